{ sgc_compat - code written for sgcWebSockets, unchanged but for its uses
  clause (sgcWebSocket, sgcWebSocket_Classes -> sgcWebSocket_iocp), must
  compile. tests/pascal/run.sh builds it on every Pascal tier; run, it
  starts and stops a server and prints its class name. }
program sgc_compat;

{$ifdef FPC} {$mode delphi} {$endif}
{$ifdef MSWINDOWS} {$APPTYPE CONSOLE} {$endif}

uses
  {$ifdef FPC} {$ifdef UNIX} cthreads, {$endif} {$endif}
  SysUtils, Classes, sgcWebSocket_iocp;

type
  TForm1 = class(TComponent)
  public
    WSServer: TsgcWebSocketServer;
    procedure WSServerConnect(Connection: TsgcWSConnection);
    procedure WSServerMessage(Connection: TsgcWSConnection; const Text: string);
    procedure WSServerBinary(Connection: TsgcWSConnection; const Data: TMemoryStream);
    procedure WSServerDisconnect(Connection: TsgcWSConnection; Code: Integer);
    procedure WSServerError(Connection: TsgcWSConnection; const Error: string);
    procedure WSServerException(Connection: TsgcWSConnection; E: Exception);
    procedure WSServerHandshake(Connection: TsgcWSConnection; var Headers: TStringList);
    procedure WSServerStartup(Sender: TObject);
    { Indy / sgc HTTP handlers, written against TIdHTTPServer }
    procedure HTTPCommandGet(AContext: TIdContext;
      ARequestInfo: TIdHTTPRequestInfo; AResponseInfo: TIdHTTPResponseInfo);
    procedure HTTPCommandOther(AContext: TIdContext;
      ARequestInfo: TIdHTTPRequestInfo; AResponseInfo: TIdHTTPResponseInfo);
    { sgc's OnBeforeCommand, OnBeforeForwardHTTP, Groups events }
    procedure HTTPBeforeCommand(const aConnection: TsgcWSConnection;
      ARequestInfo: TIdHTTPRequestInfo; AResponseInfo: TIdHTTPResponseInfo;
      var aOptions: TsgcHTTPCommandOptions);
    procedure HTTPBeforeForwardHTTP(Connection: TsgcWSConnection;
      ARequestInfo: TIdHTTPRequestInfo; aForward: TsgcWSServerForwardHTTP);
    procedure GroupClientAdded(Sender: TObject; const aGroup: TsgcWSServerGroupItem;
      const aConnection: TsgcWSConnection);
    procedure GroupClientRemoved(Sender: TObject; const aGroup: TsgcWSServerGroupItem;
      const aConnection: TsgcWSConnection);
  end;

procedure TForm1.WSServerConnect(Connection: TsgcWSConnection);
begin
  Connection.Data := nil;
  WSServer.Broadcast('joined: ' + Connection.IP, '', '', Connection.Guid);
end;

procedure TForm1.WSServerMessage(Connection: TsgcWSConnection; const Text: string);
begin
  Connection.WriteData(Text);
  WSServer.WriteData(Connection.Guid, Text);
end;

procedure TForm1.WSServerBinary(Connection: TsgcWSConnection; const Data: TMemoryStream);
begin
  Connection.WriteData(Data);
  WSServer.Broadcast(Data);
end;

procedure TForm1.WSServerDisconnect(Connection: TsgcWSConnection; Code: Integer);
begin
  if Code <> 1000 then
    Writeln('abnormal: ', Code);
end;

procedure TForm1.WSServerError(Connection: TsgcWSConnection; const Error: string);
begin
  Writeln(Error);
end;

procedure TForm1.WSServerException(Connection: TsgcWSConnection; E: Exception);
begin
  Writeln(E.Message);
end;

procedure TForm1.WSServerHandshake(Connection: TsgcWSConnection; var Headers: TStringList);
begin
end;

procedure TForm1.WSServerStartup(Sender: TObject);
begin
end;

procedure TForm1.HTTPCommandGet(AContext: TIdContext;
  ARequestInfo: TIdHTTPRequestInfo; AResponseInfo: TIdHTTPResponseInfo);
var
  S: TStringStream;
begin
  if ARequestInfo.Document = '/hello' then
  begin
    AResponseInfo.ContentType := 'text/plain';
    AResponseInfo.CharSet := 'utf-8';
    AResponseInfo.ContentText := 'hello ' + ARequestInfo.Params.Values['name'] +
      ' from ' + AContext.Binding.PeerIP + ':' + IntToStr(AContext.Binding.PeerPort) +
      ' ' + ARequestInfo.RemoteIP + ' ' + ARequestInfo.UserAgent;
    AResponseInfo.CustomHeaders.AddValue('X-Powered-By', 'iocpws');
    AResponseInfo.CacheControl := 'no-cache';
  end
  else if ARequestInfo.Document = '/old' then
    AResponseInfo.Redirect('/hello')
  else if ARequestInfo.Command = 'POST' then
  begin
    S := TStringStream.Create('');
    if ARequestInfo.PostStream <> nil then
      S.CopyFrom(ARequestInfo.PostStream, 0);
    S.Position := 0;
    AResponseInfo.ContentStream := S;
    AResponseInfo.FreeContentStream := True;
    AResponseInfo.ContentType := ARequestInfo.ContentType;
    AResponseInfo.ResponseNo := 201;
  end
  else if ARequestInfo.AuthExists and (ARequestInfo.AuthUsername <> 'admin') then
  begin
    AResponseInfo.ResponseNo := 403;
    AResponseInfo.ResponseText := 'Forbidden';
  end
  else
    AResponseInfo.ServeFile(AContext, 'www' + ARequestInfo.Document);
  AResponseInfo.WriteContent;
end;

procedure TForm1.HTTPCommandOther(AContext: TIdContext;
  ARequestInfo: TIdHTTPRequestInfo; AResponseInfo: TIdHTTPResponseInfo);
begin
  if ARequestInfo.Command = 'DELETE' then
    AResponseInfo.ResponseNo := 204
  else
    AResponseInfo.ResponseNo := 405;
  AResponseInfo.ContentText := ARequestInfo.RawHeaders.Values['Host'] +
    ARequestInfo.UnparsedParams + ARequestInfo.QueryParams + ARequestInfo.URI;
end;

procedure TForm1.HTTPBeforeCommand(const aConnection: TsgcWSConnection;
  ARequestInfo: TIdHTTPRequestInfo; AResponseInfo: TIdHTTPResponseInfo;
  var aOptions: TsgcHTTPCommandOptions);
begin
  { sgc's reference example: public and authenticated endpoints }
  if ARequestInfo.Document = '/public' then
    aOptions := [hcoAuthorizedBasic]
  else if ARequestInfo.Document = '/admin' then
    aOptions := [hcoUnauthorized];
end;

procedure TForm1.HTTPBeforeForwardHTTP(Connection: TsgcWSConnection;
  ARequestInfo: TIdHTTPRequestInfo; aForward: TsgcWSServerForwardHTTP);
begin
  if ARequestInfo.Document = '/api' then
  begin
    aForward.Enabled := True;
    aForward.URL := 'http://127.0.0.1:8081/api';
    aForward.Document := ARequestInfo.Document;
    aForward.QueryParams := ARequestInfo.QueryParams;
    aForward.Origin := 'http://localhost';
    aForward.NoCache := True;
    aForward.LogFilename := '';
    aForward.CustomHeaders.Add('X-Forwarded: 1');
    aForward.TLSOptions.VerifyCertificate := False;
    aForward.TLSOptions.Version := tls1_2;
    aForward.TLSOptions.IOHandler := iohOpenSSL;
    aForward.TLSOptions.OpenSSL_Options.APIVersion := oslAPI_3_0;
    aForward.TLSOptions.OpenSSL_Options.VersionMin := tls1_2;
    aForward.TLSOptions.SChannel_Options.CipherList := '';
    aForward.TLSOptions.SChannel_Options.CertHash := '';
    aForward.TLSOptions.SChannel_Options.UseLegacyCredentials := False;
    Writeln(aForward.GetForwardURL);
  end;
end;

procedure TForm1.GroupClientAdded(Sender: TObject; const aGroup: TsgcWSServerGroupItem;
  const aConnection: TsgcWSConnection);
begin
  Writeln(aConnection.Guid, ' joined ', aGroup.ID);
end;

procedure TForm1.GroupClientRemoved(Sender: TObject; const aGroup: TsgcWSServerGroupItem;
  const aConnection: TsgcWSConnection);
begin
  Writeln(aConnection.Guid, ' left ', aGroup.ID);
end;

{ sgc's security components, wired as sgc's Firewall demo does
  (04.WebSocket_Other_Samples/13.Firewall): with Enabled, Start refuses. }
procedure WireFirewall(WSServer: TsgcWebSocketServer);
var
  Firewall: TsgcWebSocketFirewall;
  Limiter: TsgcWSRateLimiter;
  Keys: TsgcWSAPIKeyManager;
begin
  Firewall := TsgcWebSocketFirewall.Create(WSServer.Owner);
  Firewall.Blacklist.Enabled := True;
  Firewall.Blacklist.IPs.Add('10.0.0.1');
  Firewall.BruteForce.Enabled := True;
  Firewall.BruteForce.MaxAttempts := 5;
  Firewall.BruteForce.BanDurationSec := 300;
  Firewall.SQLInjection.Action := faDeny;
  Firewall.FloodProtection.MaxMessagesPerSec := 100;
  Firewall.GeoIP.Mode := gmBlockList;
  Firewall.Enabled := True;
  WSServer.Firewall := Firewall;
  Limiter := TsgcWSRateLimiter.Create(WSServer.Owner);
  Limiter.PerIP.Strategy := rlsTokenBucket;
  Limiter.TokenBucket.Capacity := 10;
  WSServer.RateLimiter := Limiter;
  Keys := TsgcWSAPIKeyManager.Create(WSServer.Owner);
  Keys.Hashing.Algorithm := khaSHA256;
  Keys.Storage.StorageType := kstMemory;
  WSServer.APIKeyManager := Keys;
  WSServer.Authentication.JWT.JWT := TsgcHTTP_JWT_Server.Create(WSServer.Owner);
  WSServer.Optimizations.Connections.Enabled := True;
  WSServer.Optimizations.Connections.CacheSize := 100;
  if WSServer.ClientLoadBalancer.Active then
    Writeln('load balancer');
  Writeln(Firewall.Version);
end;

var
  F: TForm1;
  H: TsgcWebSocketHTTPServer;
begin
  F := TForm1.Create(nil);
  F.WSServer := TsgcWebSocketServer.Create(F);
  with F.WSServer do
  begin
    Port := 0;
    MaxConnections := 1000;
    HeartBeat.Enabled := True;
    HeartBeat.Interval := 30;
    HeartBeat.Timeout := 10;
    IOHandlerOptions.IOCP.IOCPThreads := 0;
    IOHandlerOptions.IOCP.WorkOpThreads := 0;
    NotifyEvents := neAsynchronous;
    Options.FragmentedMessages := frgOnlyBuffer;
    Options.ValidateUTF8 := True;
    SSL := False;
    SSLOptions.CertFile := 'server.pem';
    SSLOptions.KeyFile := 'server.key';
    SSLOptions.RootCertFile := 'ca.pem';
    SSLOptions.Password := '';
    SSLOptions.Version := tls1_2;
    SSLOptions.Port := 0;
    OnConnect := F.WSServerConnect;
    OnMessage := F.WSServerMessage;
    OnBinary := F.WSServerBinary;
    OnDisconnect := F.WSServerDisconnect;
    OnError := F.WSServerError;
    OnException := F.WSServerException;
    OnHandshake := F.WSServerHandshake;
    OnStartup := F.WSServerStartup;
    Groups.OnClientAdded := F.GroupClientAdded;
    Groups.OnClientRemoved := F.GroupClientRemoved;
    Active := True;
    Writeln(ClassName, ' listening on ', ListeningPort, ', ', Count, ' connections');
    Active := False;
  end;
  WireFirewall(F.WSServer);
  try
    F.WSServer.Active := True;
    Writeln('not ok: started with an enabled Firewall');
    Halt(1);
  except
    on E: EsgcWebSocketException do
      Writeln(E.Message);
  end;
  H := TsgcWebSocketHTTPServer.Create(F);
  H.Port := 0;
  H.DocumentRoot := 'www';
  H.KeepAlive := True;
  H.OnCommandGet := F.HTTPCommandGet;
  H.OnCommandOther := F.HTTPCommandOther;
  H.OnMessage := F.WSServerMessage;
  H.Active := True;
  Writeln(H.ClassName, ' listening on ', H.ListeningPort);
  H.Active := False;
  H.OnBeforeForwardHTTP := F.HTTPBeforeForwardHTTP;
  H.OnBeforeCommand := F.HTTPBeforeCommand;
  try
    H.Active := True; { files under DocumentRoot could not be gated }
    Writeln('not ok: started with OnBeforeCommand and DocumentRoot');
    Halt(1);
  except
    on E: EsgcWebSocketException do
      Writeln(E.Message);
  end;
  H.DocumentRoot := '';
  H.Active := True;
  H.Active := False;
  F.Free;
end.
