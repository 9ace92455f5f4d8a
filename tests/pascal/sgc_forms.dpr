{ sgc_forms - forms (.dfm text) holding sgc's servers, written as sgc's IDE
  writes them (every published property, Bindings = <> or with items),
  loaded through sgcWebSocket_iocp with ObjectTextToBinary + TReader:

    sgc_forms <dir>    reads <dir>/sgc_server.dfm and sgc_http_server.dfm

  For each: no reader error (no unknown property, no unknown value, every
  event bound to its handler), the values arrived, and the form written back
  by our component (WriteComponent + ObjectBinaryToText) loads again and
  writes the same text. Prints "ok - ..." / "not ok - ...: why" and
  "N passed, N failed"; exit code 0 when nothing failed. }
program sgc_forms;

{$I iocpws.defines.inc}
{$ifdef MSWINDOWS} {$APPTYPE CONSOLE} {$endif}

uses
  {$ifdef FPC} {$ifdef UNIX} cthreads, {$endif} {$endif}
  SysUtils, Classes, iocpws.lib, sgcWebSocket_iocp;
{$I iocpws.warnings.inc}

type
  { The data module of the form files: its published methods are the
    handlers the forms name. }
  TServerModule = class(TDataModule)
  published
    procedure WSServerStartup(Sender: TObject);
    procedure WSServerShutdown(Sender: TObject);
    procedure WSServerConnect(Connection: TsgcWSConnection);
    procedure WSServerMessage(Connection: TsgcWSConnection; const Text: string);
    procedure WSServerBinary(Connection: TsgcWSConnection; const Data: TMemoryStream);
    procedure WSServerDisconnect(Connection: TsgcWSConnection; Code: Integer);
    procedure WSServerError(Connection: TsgcWSConnection; const Error: string);
    procedure WSServerHandshake(Connection: TsgcWSConnection; var Headers: TStringList);
    procedure WSServerException(Connection: TsgcWSConnection; E: Exception);
    procedure WSServerTCPConnect(Connection: TsgcWSConnection; var Accept: Boolean);
    procedure WSServerFragmented(Connection: TsgcWSConnection;
      const Data: TMemoryStream; const OpCode: TOpCode; const Continuation: Boolean);
    procedure WSServerUnknownProtocol(Connection: TsgcWSConnection; var Accept: Boolean);
    procedure WSServerBeforeHeartBeat(Sender: TObject;
      const Connection: TsgcWSConnection; var Handled: Boolean);
    procedure WSServerAuthentication(Connection: TsgcWSConnection;
      aUser, aPassword: string; var Authenticated: Boolean);
    procedure WSServerCommandGet(AContext: TIdContext;
      ARequestInfo: TIdHTTPRequestInfo; AResponseInfo: TIdHTTPResponseInfo);
    procedure WSServerBeforeCommand(const aConnection: TsgcWSConnection;
      ARequestInfo: TIdHTTPRequestInfo; AResponseInfo: TIdHTTPResponseInfo;
      var aOptions: TsgcHTTPCommandOptions);
    procedure WSServerBeforeForwardHTTP(Connection: TsgcWSConnection;
      ARequestInfo: TIdHTTPRequestInfo; aForward: TsgcWSServerForwardHTTP);
    { sgc_security.dfm: the server's other events and the security
      components' events, with sgc's types }
    procedure WSServerUnknownAuthentication(Connection: TsgcWSConnection;
      AuthType, AuthData: string; var aUser, aPassword: string;
      var Authenticated: Boolean);
    procedure WSServerSSLALPNSelect(Sender: TObject; aProtocols: TStringList;
      var aProtocol: string);
    procedure WSServerSSLVerifyPeer(Sender: TObject; Certificate: TIdX509;
      AOk: Boolean; ADepth, AError: Integer; var Accept: Boolean);
    procedure WSServerHTTPUploadBeforeSaveFile(Sender: TObject;
      var aFileName, aFilePath: string);
    procedure WSServerHTTPUploadAfterSaveFile(Sender: TObject;
      const aFileName, aFilePath: string);
    procedure WSServerLoadBalancerError(Sender: TObject; const Error: string);
    procedure FirewallFiltered(Sender: TObject; const aIP: string;
      const aReason: string; var Allow: Boolean);
    procedure FirewallResolveCountry(Sender: TObject; const aIP: string;
      var aCountryCode: string);
    procedure FirewallThreatScoreChanged(Sender: TObject; const aIP: string;
      aOldScore, aNewScore: Integer);
    procedure RateLimiterThrottled(Sender: TObject; const aKey, aReason: string;
      var Allow: Boolean);
    procedure APIKeyValidation(Sender: TObject; const aKey: string;
      var Allow: Boolean; var Reason: string);
  end;

  TErrors = class
    List: TStringList;
    { Free Pascal 3.2: TReaderError passes an AnsiString }
    procedure ReaderError(Reader: TReader; const Message: {$ifdef FPC} AnsiString {$else} string {$endif};
      var Handled: Boolean);
  end;

procedure TServerModule.WSServerStartup(Sender: TObject); begin end;
procedure TServerModule.WSServerShutdown(Sender: TObject); begin end;
procedure TServerModule.WSServerConnect(Connection: TsgcWSConnection); begin end;
procedure TServerModule.WSServerMessage(Connection: TsgcWSConnection; const Text: string); begin end;
procedure TServerModule.WSServerBinary(Connection: TsgcWSConnection; const Data: TMemoryStream); begin end;
procedure TServerModule.WSServerDisconnect(Connection: TsgcWSConnection; Code: Integer); begin end;
var
  Reported: TStringList; { what OnError said (sgc_security.dfm) }

procedure TServerModule.WSServerError(Connection: TsgcWSConnection; const Error: string);
begin
  if Reported <> nil then
    Reported.Add(Error);
end;
procedure TServerModule.WSServerHandshake(Connection: TsgcWSConnection; var Headers: TStringList); begin end;
procedure TServerModule.WSServerException(Connection: TsgcWSConnection; E: Exception); begin end;
procedure TServerModule.WSServerTCPConnect(Connection: TsgcWSConnection; var Accept: Boolean); begin end;
procedure TServerModule.WSServerFragmented(Connection: TsgcWSConnection;
  const Data: TMemoryStream; const OpCode: TOpCode; const Continuation: Boolean); begin end;
procedure TServerModule.WSServerUnknownProtocol(Connection: TsgcWSConnection; var Accept: Boolean); begin end;
procedure TServerModule.WSServerBeforeHeartBeat(Sender: TObject;
  const Connection: TsgcWSConnection; var Handled: Boolean); begin end;
procedure TServerModule.WSServerAuthentication(Connection: TsgcWSConnection;
  aUser, aPassword: string; var Authenticated: Boolean); begin end;
procedure TServerModule.WSServerCommandGet(AContext: TIdContext;
  ARequestInfo: TIdHTTPRequestInfo; AResponseInfo: TIdHTTPResponseInfo); begin end;
procedure TServerModule.WSServerBeforeCommand(const aConnection: TsgcWSConnection;
  ARequestInfo: TIdHTTPRequestInfo; AResponseInfo: TIdHTTPResponseInfo;
  var aOptions: TsgcHTTPCommandOptions); begin end;
procedure TServerModule.WSServerBeforeForwardHTTP(Connection: TsgcWSConnection;
  ARequestInfo: TIdHTTPRequestInfo; aForward: TsgcWSServerForwardHTTP); begin end;

procedure TServerModule.WSServerUnknownAuthentication(Connection: TsgcWSConnection;
  AuthType, AuthData: string; var aUser, aPassword: string;
  var Authenticated: Boolean); begin end;
procedure TServerModule.WSServerSSLALPNSelect(Sender: TObject; aProtocols: TStringList;
  var aProtocol: string); begin end;
procedure TServerModule.WSServerSSLVerifyPeer(Sender: TObject; Certificate: TIdX509;
  AOk: Boolean; ADepth, AError: Integer; var Accept: Boolean); begin end;
procedure TServerModule.WSServerHTTPUploadBeforeSaveFile(Sender: TObject;
  var aFileName, aFilePath: string); begin end;
procedure TServerModule.WSServerHTTPUploadAfterSaveFile(Sender: TObject;
  const aFileName, aFilePath: string); begin end;
procedure TServerModule.WSServerLoadBalancerError(Sender: TObject; const Error: string); begin end;
procedure TServerModule.FirewallFiltered(Sender: TObject; const aIP: string;
  const aReason: string; var Allow: Boolean); begin end;
procedure TServerModule.FirewallResolveCountry(Sender: TObject; const aIP: string;
  var aCountryCode: string); begin end;
procedure TServerModule.FirewallThreatScoreChanged(Sender: TObject; const aIP: string;
  aOldScore, aNewScore: Integer); begin end;
procedure TServerModule.RateLimiterThrottled(Sender: TObject; const aKey, aReason: string;
  var Allow: Boolean); begin end;
procedure TServerModule.APIKeyValidation(Sender: TObject; const aKey: string;
  var Allow: Boolean; var Reason: string); begin end;

procedure TErrors.ReaderError(Reader: TReader;
  const Message: {$ifdef FPC} AnsiString {$else} string {$endif}; var Handled: Boolean);
begin
  List.Add(Message);
  Handled := True; { go on: count them all }
end;

var
  Passed, Failed: Integer;

procedure Check(Cond: Boolean; const What: string; const Why: string = '');
begin
  if Cond then
  begin
    WriteLn('ok - ', What);
    Inc(Passed);
  end
  else
  begin
    WriteLn('not ok - ', What, ': ', Why);
    Inc(Failed);
  end;
end;

{ Reads form text into a new module; Errors gets the reader's complaints. }
{ Form text <-> the UTF-8 bytes the streaming functions read and write. }
function ToBytes(const Text: string): TMemoryStream;
var
  U: RawByteString;
begin
  {$ifdef UNICODE} U := UTF8Encode(Text); {$else} U := Text; {$endif}
  Result := TMemoryStream.Create;
  if Length(U) > 0 then
    Result.WriteBuffer(U[1], Length(U));
  Result.Position := 0;
end;

function FromBytes(M: TMemoryStream): string;
var
  U: RawByteString;
begin
  SetString(U, PAnsiChar(M.Memory), M.Size);
  {$ifdef UNICODE} Result := UTF8ToString(U); {$else} Result := U; {$endif}
end;

function LoadForm(const Text: string; Errors: TStringList): TServerModule;
var
  Src, Bin: TMemoryStream;
  R: TReader;
  E: TErrors;
begin
  Result := TServerModule.CreateNew(nil);
  Src := ToBytes(Text);
  Bin := TMemoryStream.Create;
  E := TErrors.Create;
  try
    E.List := Errors;
    ObjectTextToBinary(Src, Bin);
    Bin.Position := 0;
    R := TReader.Create(Bin, 4096);
    try
      R.OnError := E.ReaderError;
      R.ReadRootComponent(Result);
    finally
      R.Free;
    end;
  finally
    E.Free;
    Bin.Free;
    Src.Free;
  end;
end;

{ The module as our components write it, as text. }
function SaveForm(M: TComponent): string;
var
  Bin, Txt: TMemoryStream;
begin
  Bin := TMemoryStream.Create;
  Txt := TMemoryStream.Create;
  try
    Bin.WriteComponent(M);
    Bin.Position := 0;
    ObjectBinaryToText(Bin, Txt);
    Result := FromBytes(Txt);
  finally
    Txt.Free;
    Bin.Free;
  end;
end;

function ReadFile(const Name: string): string;
var
  L: TStringList;
begin
  L := TStringList.Create;
  try
    L.LoadFromFile(Name);
    Result := L.Text;
  finally
    L.Free;
  end;
end;

procedure RoundTrip(const Name: string; M: TServerModule);
var
  T1, T2: string;
  M2: TServerModule;
  Errors: TStringList;
begin
  T1 := SaveForm(M);
  Errors := TStringList.Create;
  M2 := nil;
  try
    M2 := LoadForm(T1, Errors);
    Check(Errors.Count = 0, Name + ': the form our component writes loads back',
      Errors.Text);
    T2 := SaveForm(M2);
    Check(T1 = T2, Name + ': and writes the same text again', T1 + #10'---'#10 + T2);
  finally
    M2.Free;
    Errors.Free;
  end;
end;

{ sgc_security.dfm's values arrived, references resolved }
procedure SecurityChecks(M: TServerModule; S: TsgcWebSocketServer);
var
  FW: TsgcWebSocketFirewall;
  RL: TsgcWSRateLimiter;
  AK: TsgcWSAPIKeyManager;
begin
  FW := M.FindComponent('sgcWebSocketFirewall1') as TsgcWebSocketFirewall;
  RL := M.FindComponent('sgcWSRateLimiter1') as TsgcWSRateLimiter;
  AK := M.FindComponent('sgcWSAPIKeyManager1') as TsgcWSAPIKeyManager;
  Check((FW <> nil) and (S.Firewall = FW), 'Firewall = sgcWebSocketFirewall1 resolved');
  Check((RL <> nil) and (S.RateLimiter = RL), 'RateLimiter = sgcWSRateLimiter1 resolved');
  Check((AK <> nil) and (S.APIKeyManager = AK), 'APIKeyManager = sgcWSAPIKeyManager1 resolved');
  Check((S.Authentication.JWT.JWT = M.FindComponent('sgcHTTP_JWT_Server1')) and
    (S.Authentication.JWT.JWT is TsgcHTTP_JWT_Server) and
    (S.Authentication.OAuth.OAuth2 is TsgcHTTP_OAuth2_Server) and
    (S.Authentication.OAuth.OAuth2Provider = nil) and
    (S.Authentication.WebAuthn.WebAuthn is TsgcWSAPIServer_WebAuthn),
    'Authentication.JWT / OAuth / WebAuthn resolved');
  if FW <> nil then
    Check(FW.Enabled and FW.Blacklist.Enabled and (FW.Blacklist.IPs.Count = 2) and
      (FW.BruteForce.MaxAttempts = 5) and (FW.XSS.Action = faLog) and
      (FW.GeoIP.Mode = gmAllowList) and (FW.GeoIP.DatabaseFile = 'geo.csv') and
      (FW.ThreatScore.WeightSQLInjection = 40) and
      (FW.BotDetection.DNSBL.Zones.Count = 1) and (FW.BotDetection.DNSTimeoutMS = 2000) and
      (FW.CustomRules.Rules.Count = 0) and Assigned(FW.OnFiltered) and
      Assigned(FW.OnResolveCountry) and Assigned(FW.OnThreatScoreChanged),
      'Firewall members streamed');
  if RL <> nil then
    Check(RL.Enabled and (RL.StorageFile = 'limits.dat') and (RL.TokenBucket.Capacity = 20) and
      (RL.PerIP.Strategy = rlsSliding) and (RL.PerAPIKey.Strategy = rlsFixed) and
      (RL.Response.StatusCode = 429) and (RL.Response.Message = 'Too Many Requests') and
      RL.Response.RetryAfterHeader and Assigned(RL.OnThrottled),
      'RateLimiter members streamed');
  if AK <> nil then
    Check(AK.Enabled and (AK.Generation.KeyPrefix = 'sk_') and (AK.Storage.StorageType = kstFile) and
      (AK.Hashing.Algorithm = khaSHA512) and (AK.Validation.HeaderName = 'X-API-Key') and
      (AK.Validation.IPAllowlist.Count = 1) and AK.Validation.FailClosed and
      Assigned(AK.OnValidation), 'APIKeyManager members streamed');
  Check(S.Optimizations.Connections.Enabled and (S.Optimizations.Connections.CacheSize = 100) and
    (S.Optimizations.ConnectionsFree.Interval = 60), 'Optimizations streamed');
  Check(Assigned(S.OnUnknownAuthentication) and Assigned(S.OnSSLALPNSelect) and
    Assigned(S.OnSSLVerifyPeer) and Assigned(S.OnHTTPUploadBeforeSaveFile) and
    Assigned(S.OnHTTPUploadAfterSaveFile) and Assigned(S.OnLoadBalancerError),
    'the server''s other sgc events bound');
end;

{ Start reported this setting through OnError (Reported). }
function ReportedHas(const Prefix: string): Boolean;
var
  I: Integer;
begin
  for I := 0 to Reported.Count - 1 do
    if Pos('iocpws: not supported, ignored: ' + Prefix, Reported[I]) = 1 then
      Exit(True);
  Result := False;
end;

{ TsgcWebSocketHTTPServer's own settings with no equivalent are reported. }
procedure HTTPStartChecks(M: TServerModule; H: TsgcWebSocketHTTPServer);
var
  Links: TStringList;
begin
  Reported := TStringList.Create;
  try
    H.OnError := M.WSServerError;
    H.NotifyEvents := neNoSync;
    H.SSL := False;
    H.Bindings.Clear;
    H.Port := 0;
    H.DocumentRoot := '';
    H.ParseParams := False;
    H.StrictRequestParsing := True;
    H.Charset := 'iso-8859-1';
    Links := TStringList.Create;
    try
      Links.Add('/style.css');
      H.PushPromiseAddPreLoadLinks('/index.html', Links);
      H.PushPromiseAddPreLoadLinks('/other.html', Links);
      H.PushPromiseRemovePreLoadLinks('/other.html');
    finally
      Links.Free;
    end;
    H.Active := True;
    Check(ReportedHas('ParseParams = False') and ReportedHas('StrictRequestParsing = True') and
      ReportedHas('Charset = iso-8859-1'), 'TsgcWebSocketHTTPServer reports ParseParams, ' +
      'StrictRequestParsing, Charset at Start', Reported.Text);
    Check(ReportedHas('OnBeforeForwardHTTP') and not ReportedHas('OnBeforeCommand'),
      'OnBeforeForwardHTTP (never called) is reported at Start, OnBeforeCommand ' +
      '(it works) is not', Reported.Text);
    Check(ReportedHas('PushPromiseAddPreLoadLinks (1 paths)'),
      'HTTP/2 push preload links are kept and reported at Start', Reported.Text);
    H.Active := False;
  finally
    FreeAndNil(Reported);
  end;
end;

{ Start refuses while a security component is enabled, one by one; then
  runs, reporting what is wired but off. }
procedure StartChecks(S: TsgcWebSocketServer);

  function StartError: string;
  begin
    Result := '';
    try
      S.Active := True;
    except
      on E: EIocpWs do
        if E.Code = IWS_E_UNSUPPORTED then
          Result := E.Message
        else
          Result := 'wrong code: ' + E.Message;
    end;
  end;

var
  E: string;
begin
  S.Port := 0;
  E := StartError;
  Check(Pos('iocpws: Firewall = sgcWebSocketFirewall1 (Enabled)', E) = 1,
    'an enabled Firewall makes Start raise', E);
  Check(not S.Active, 'and the server is not running');
  S.Firewall.Enabled := False;
  E := StartError;
  Check(Pos('iocpws: RateLimiter = sgcWSRateLimiter1 (Enabled)', E) = 1,
    'an enabled RateLimiter makes Start raise', E);
  S.RateLimiter.Enabled := False;
  E := StartError;
  Check(Pos('iocpws: APIKeyManager = sgcWSAPIKeyManager1 (Enabled)', E) = 1,
    'an enabled APIKeyManager makes Start raise', E);
  S.APIKeyManager.Enabled := False;
  E := StartError;
  Check(Pos('iocpws: Authentication.JWT.JWT = sgcHTTP_JWT_Server1', E) = 1,
    'Authentication.JWT.JWT with Authentication.Enabled makes Start raise', E);
  S.Authentication.JWT.JWT := nil;
  E := StartError;
  Check(Pos('iocpws: Authentication.OAuth.OAuth2 = sgcHTTP_OAuth2_Server1', E) = 1,
    'Authentication.OAuth.OAuth2 makes Start raise', E);
  S.Authentication.OAuth.OAuth2 := nil;
  E := StartError;
  Check(Pos('iocpws: Authentication.WebAuthn.WebAuthn = sgcWSAPIServer_WebAuthn1', E) = 1,
    'Authentication.WebAuthn.WebAuthn makes Start raise', E);
  S.Authentication.Enabled := False; { sgc then consults none of them }
  Reported := TStringList.Create;
  try
    E := StartError;
    Check((E = '') and S.Active, 'with each switched off the server starts', E);
    Check(ReportedHas('Firewall = sgcWebSocketFirewall1 (Enabled = False)') and
      ReportedHas('RateLimiter = sgcWSRateLimiter1 (Enabled = False)') and
      ReportedHas('APIKeyManager = sgcWSAPIKeyManager1 (Enabled = False)') and
      ReportedHas('Authentication.WebAuthn.WebAuthn = sgcWSAPIServer_WebAuthn1'),
      'and Start reports what is wired but off', Reported.Text);
    Check(ReportedHas('Optimizations.Connections.CacheSize = 100') and
      ReportedHas('OnSSLALPNSelect') and
      ReportedHas('OnHTTPUpload* events') and
      ReportedHas('OnLoadBalancerError'), 'and the other settings it has no equivalent for',
      Reported.Text);
    { works since 0.6: bound from the form, never reported }
    Check(not ReportedHas('OnUnknownAuthentication'),
      'OnUnknownAuthentication is bound and not reported', Reported.Text);
    Check(not ReportedHas('OnSSLVerifyPeer'),
      'OnSSLVerifyPeer is bound and not reported', Reported.Text);
    S.Active := False;
  finally
    FreeAndNil(Reported);
  end;
end;

var
  Dir: string;
  Errors: TStringList;
  M: TServerModule;
  S: TsgcWebSocketServer;
  H: TsgcWebSocketHTTPServer;

{ sgc's MaxRequestBodySize: default 64 MB, 0 = sgc's "unlimited" (the
  engine's largest bound here), negative refused. }
procedure MaxRequestBodyChecks;
var
  H: TsgcWebSocketHTTPServer;
  Raised: Boolean;
begin
  H := TsgcWebSocketHTTPServer.Create(nil);
  try
    Check((H.MaxRequestBodySize = 64 * 1024 * 1024) and
      (H.HTTPOptions.MaxBodySize = 64 * 1024 * 1024),
      'MaxRequestBodySize defaults to sgc''s 64 MB, and so does HTTPOptions.MaxBodySize',
      IntToStr(H.MaxRequestBodySize) + ' / ' + IntToStr(H.HTTPOptions.MaxBodySize));
    H.MaxRequestBodySize := 0;
    Check((H.MaxRequestBodySize = 0) and (H.HTTPOptions.MaxBodySize = Int64(1) shl 31),
      'MaxRequestBodySize 0 sets the engine''s largest bound (2 GiB)',
      IntToStr(H.HTTPOptions.MaxBodySize));
    Raised := False;
    try
      H.MaxRequestBodySize := -1;
    except
      on E: EIocpWs do
        Raised := True;
    end;
    Check(Raised and (H.MaxRequestBodySize = 0), 'a negative MaxRequestBodySize raises EIocpWs and changes nothing');
  finally
    H.Free;
  end;
end;

begin
  Dir := IncludeTrailingPathDelimiter(ParamStr(1));
  Errors := TStringList.Create;
  try
    { ---- TsgcWebSocketServer, Bindings = <> ---- }
    M := LoadForm(ReadFile(Dir + 'sgc_server.dfm'), Errors);
    try
      Check(Errors.Count = 0, 'sgc_server.dfm loads with no reader error', Errors.Text);
      S := M.FindComponent('WSServer') as TsgcWebSocketServer;
      Check(S <> nil, 'sgc_server.dfm: WSServer is a TsgcWebSocketServer');
      if S <> nil then
      begin
        Check(S.Port = 5414, 'Port streamed');
        Check(S.Bindings.Count = 0, 'Bindings = <> streamed (empty)');
        Check(S.Authentication.Enabled and (S.Authentication.AuthUsers.Count = 2) and
          (S.Authentication.AuthUsers.Values['admin'] = 'secret'),
          'Authentication.Enabled / AuthUsers streamed');
        Check(S.IOHandlerOptions.IOHandlerType = iohIOCP, 'IOHandlerOptions.IOHandlerType streamed');
        Check(S.SecurityOptions.OriginsAllowed = 'http://localhost', 'SecurityOptions.OriginsAllowed streamed');
        Check(S.NotifyEvents = neNoSync, 'NotifyEvents streamed');
        Check(S.MaxMessageSize = 67108864, 'MaxMessageSize streamed');
        Check(Assigned(S.OnConnect) and Assigned(S.OnAuthentication) and
          Assigned(S.OnTCPConnect) and Assigned(S.OnFragmented) and
          Assigned(S.OnUnknownProtocol) and Assigned(S.OnBeforeHeartBeat),
          'events bound to the module''s handlers');
      end;
      RoundTrip('sgc_server.dfm', M);
    finally
      M.Free;
    end;

    { ---- TsgcWebSocketHTTPServer, Bindings with items ---- }
    Errors.Clear;
    M := LoadForm(ReadFile(Dir + 'sgc_http_server.dfm'), Errors);
    try
      Check(Errors.Count = 0, 'sgc_http_server.dfm loads with no reader error', Errors.Text);
      H := M.FindComponent('WSServer') as TsgcWebSocketHTTPServer;
      Check(H <> nil, 'sgc_http_server.dfm: WSServer is a TsgcWebSocketHTTPServer');
      if H <> nil then
      begin
        Check((H.Bindings.Count = 2) and (H.Bindings[0].IP = '127.0.0.1') and
          (H.Bindings[0].Port = 8080) and (H.Bindings.Items[1].Port = 8443),
          'Bindings = <item ... end> streamed');
        Check(H.SSL and (H.SSLOptions.Port = 8443) and (H.SSLOptions.Version = tls1_3),
          'SSL / SSLOptions streamed');
        Check(H.Options.FragmentedMessages = frgAll, 'Options.FragmentedMessages streamed');
        Check(not H.KeepAlive and (H.MaxConnections = 100), 'KeepAlive / MaxConnections streamed');
        Check(Assigned(H.OnBeforeCommand) and Assigned(H.OnBeforeForwardHTTP),
          'OnBeforeCommand / OnBeforeForwardHTTP bound to the module''s handlers');
        Check((H.Charset = 'utf-8') and (H.MaxRequestBodySize = 2097152) and
          (H.HTTPOptions.MaxBodySize = 2097152) and H.ParseParams,
          'Charset / MaxRequestBodySize (sets HTTPOptions.MaxBodySize) / ParseParams streamed');
        Check(Assigned(H.OnCommandGet), 'OnCommandGet bound');
      end;
      RoundTrip('sgc_http_server.dfm', M);
      if H <> nil then
        HTTPStartChecks(M, H);
      MaxRequestBodyChecks;
    finally
      M.Free;
    end;

    { ---- sgc's security components, wired to the server ---- }
    Errors.Clear;
    M := LoadForm(ReadFile(Dir + 'sgc_security.dfm'), Errors);
    try
      Check(Errors.Count = 0, 'sgc_security.dfm loads with no reader error', Errors.Text);
      S := M.FindComponent('WSServer') as TsgcWebSocketServer;
      Check(S <> nil, 'sgc_security.dfm: WSServer is a TsgcWebSocketServer');
      if S <> nil then
      begin
        SecurityChecks(M, S);
        RoundTrip('sgc_security.dfm', M);
        StartChecks(S);
      end;
    finally
      M.Free;
    end;

    { ---- a form with something unknown is reported, not skipped ---- }
    Errors.Clear;
    M := LoadForm('object ServerModule: TServerModule'#10 +
      '  object WSServer: TsgcWebSocketServer'#10 +
      '    NoSuchProperty = 1'#10 +
      '  end'#10 + 'end'#10, Errors);
    M.Free;
    Check(Errors.Count = 1, 'an unknown property is a reader error (the check can fail)',
      Errors.Text);
  finally
    Errors.Free;
  end;
  WriteLn(Format('%d passed, %d failed', [Passed, Failed]));
  if Failed > 0 then
    Halt(1);
end.
