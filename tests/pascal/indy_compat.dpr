{ indy_compat - the Indy drop-in (IdHTTPServer_iocp) under test.

  A TIdHTTPServer loaded from a form (.dfm text as Delphi's IDE writes it
  for Indy's component, every published property set), whose handlers use
  every member of the Indy HTTP surface the drop-in promises. Built twice by
  tests/pascal/run.sh: -Mdelphi (string = AnsiString) and -Mdelphiunicode
  (string = UnicodeString); tests/pascal/test_pascal_indy.py drives it with
  curl, Python's http.client and the websockets client.

  Protocol (as iocpws_test): prints "PORT n" once listening and one line
  per event; reads commands on stdin: stop (Active := False, then
  "STOPPED ms" or "STOP_TIMEOUT ms class"), start, quit, iohandler (an
  SSL IOHandler owned by another component is freed: "IOHANDLER set
  cleared", 1 each when the server's property was it and then nil), wake
  (read on the stdin thread, so also while Active := False waits: prints
  WAKE and releases one /sleep handler). GET /sleep prints SLEEPING and
  blocks its handler until a wake (at most 60 s), then answers.
  Options: --opt name=value
    ka=0|1              KeepAlive (default 1)
    sessiontimeout=ms   SessionTimeOut (default the form's 600000)
    terminatewait=ms    TerminateWaitTime (default the form's 5000)
    pool=n              ThreadPoolSize (default 0)
    file=path           the file /file and /smartfile serve
    bindings=two        a second Binding (127.0.0.2, any port): both listen,
                        each printed as "BINDING <i> <ip> <port>"
    bindings=busy       a second Binding on the first one's port: Active
                        must raise (prints START_FAILED class message, exit 3)
    dual=1              0.0.0.0 and :: on one port (honoured)
    verifypeer=SUBJECT  (tls=on) OnVerifyPeer prints "VERIFY_PEER <depth>
                        <subject>|<issuer>|<subject RFC 2253> <AOk> <AError>
                        <PEM?>" (subjects as OneLine) and refuses SUBJECT
  Exit code 0 when every OnConnect got its OnDisconnect. }
program indy_compat;

{$ifdef MSWINDOWS} {$APPTYPE CONSOLE} {$endif}
{$if defined(FPC) and defined(FPC_UNICODESTRINGS)}
  {$warn 4104 off} {$warn 4105 off} {$warn 4106 off} {$warn 4107 off} {$warn 4108 off}
{$ifend}

uses
  {$ifdef FPC} {$ifdef UNIX} cthreads, {$endif} {$endif}
  SysUtils, Classes, SyncObjs, IdHTTPServer_iocp, IdSSLOpenSSL_iocp;

const
  FormText =
    'object TestForm: TTestForm'#10 +
    '  object IdHTTPServer1: TIdHTTPServer'#10 +
    '    Bindings = <'#10 +
    '      item'#10 +
    '        IP = ''127.0.0.1'''#10 +
    '        Port = 0'#10 +
    '      end>'#10 +
    '    DefaultPort = 0'#10 +
    '    ListenQueue = 64'#10 +
    '    MaxConnections = 1000'#10 +
    '    OnBeforeBind = IdHTTPServer1BeforeBind'#10 +
    '    OnAfterBind = IdHTTPServer1AfterBind'#10 +
    '    OnContextCreated = IdHTTPServer1ContextCreated'#10 +
    '    OnConnect = IdHTTPServer1Connect'#10 +
    '    OnDisconnect = IdHTTPServer1Disconnect'#10 +
    '    OnException = IdHTTPServer1Exception'#10 +
    '    ReuseSocket = rsTrue'#10 +
    '    UseNagle = False'#10 +
    '    TerminateWaitTime = 5000'#10 +
    '    AutoStartSession = True'#10 +
    '    KeepAlive = True'#10 +
    '    MaximumHeaderLineCount = 512'#10 +
    '    ServerSoftware = ''IndyCompat/1.0'''#10 +
    '    SessionState = True'#10 +
    '    SessionTimeOut = 600000'#10 +
    '    OnCommandError = IdHTTPServer1CommandError'#10 +
    '    OnCommandOther = IdHTTPServer1CommandOther'#10 +
    '    OnCreateSession = IdHTTPServer1CreateSession'#10 +
    '    OnInvalidSession = IdHTTPServer1InvalidSession'#10 +
    '    OnHeadersAvailable = IdHTTPServer1HeadersAvailable'#10 +
    '    OnHeadersBlocked = IdHTTPServer1HeadersBlocked'#10 +
    '    OnParseAuthentication = IdHTTPServer1ParseAuthentication'#10 +
    '    OnSessionStart = IdHTTPServer1SessionStart'#10 +
    '    OnSessionEnd = IdHTTPServer1SessionEnd'#10 +
    '    OnCreatePostStream = IdHTTPServer1CreatePostStream'#10 +
    '    OnDoneWithPostStream = IdHTTPServer1DoneWithPostStream'#10 +
    '    OnCommandGet = IdHTTPServer1CommandGet'#10 +
    '    OnWebSocketConnect = IdHTTPServer1WebSocketConnect'#10 +
    '    OnWebSocketMessage = IdHTTPServer1WebSocketMessage'#10 +
    '    OnWebSocketBinary = IdHTTPServer1WebSocketBinary'#10 +
    '    OnWebSocketDisconnect = IdHTTPServer1WebSocketDisconnect'#10 +
    '    Left = 48'#10 +
    '    Top = 32'#10 +
    '  end'#10 +
    'end'#10;

type
  { what a handler keeps per connection in AContext.Data }
  TConnData = class
    Requests: Integer;
  end;

  { the post stream OnCreatePostStream hands out }
  TTestPostStream = class(TMemoryStream)
  end;

  { a large body made as it is read (byte i = i mod 251), never held in
    memory: what /bigwrite streams with WriteContent }
  TPatternStream = class(TStream)
  private
    FSize, FPos: Int64;
  protected
    function GetSize: Int64; override;
  public
    constructor Create(ASize: Int64);
    function Read(var Buffer; Count: Longint): Longint; override;
    function Write(const Buffer; Count: Longint): Longint; override;
    function Seek(const Offset: Int64; Origin: TSeekOrigin): Int64; override;
  end;

  TTestForm = class(TComponent)
  published
    IdHTTPServer1: TIdHTTPServer;
    procedure IdHTTPServer1BeforeBind(AHandle: TIdSocketHandle);
    procedure IdHTTPServer1AfterBind(Sender: TObject);
    procedure IdHTTPServer1ContextCreated(AContext: TIdContext);
    procedure IdHTTPServer1Connect(AContext: TIdContext);
    procedure IdHTTPServer1Disconnect(AContext: TIdContext);
    procedure IdHTTPServer1Exception(AContext: TIdContext; AException: Exception);
    procedure IdHTTPServer1CommandGet(AContext: TIdContext;
      ARequestInfo: TIdHTTPRequestInfo; AResponseInfo: TIdHTTPResponseInfo);
    procedure IdHTTPServer1CommandOther(AContext: TIdContext;
      ARequestInfo: TIdHTTPRequestInfo; AResponseInfo: TIdHTTPResponseInfo);
    procedure IdHTTPServer1CommandError(AContext: TIdContext;
      ARequestInfo: TIdHTTPRequestInfo; AResponseInfo: TIdHTTPResponseInfo;
      AException: Exception);
    procedure IdHTTPServer1CreateSession(ASender: TIdContext;
      var VHTTPSession: TIdHTTPSession);
    procedure IdHTTPServer1InvalidSession(AContext: TIdContext;
      ARequestInfo: TIdHTTPRequestInfo; AResponseInfo: TIdHTTPResponseInfo;
      var VContinueProcessing: Boolean; const AInvalidSessionID: string);
    procedure IdHTTPServer1HeadersAvailable(AContext: TIdContext;
      const AUri: string; AHeaders: TIdHeaderList; var VContinueProcessing: Boolean);
    procedure IdHTTPServer1HeadersBlocked(AContext: TIdContext;
      AHeaders: TIdHeaderList; var VResponseNo: Integer;
      var VResponseText, VContentText: string);
    procedure IdHTTPServer1ParseAuthentication(AContext: TIdContext;
      const AAuthType, AAuthData: string; var VUsername, VPassword: string;
      var VHandled: Boolean);
    procedure IdHTTPServer1SessionStart(Sender: TIdHTTPSession);
    procedure IdHTTPServer1SessionEnd(Sender: TIdHTTPSession);
    procedure IdHTTPServer1CreatePostStream(AContext: TIdContext;
      AHeaders: TIdHeaderList; var VPostStream: TStream);
    procedure IdHTTPServer1DoneWithPostStream(AContext: TIdContext;
      ARequestInfo: TIdHTTPRequestInfo; var VCanFree: Boolean);
    procedure IdHTTPServer1WebSocketConnect(AContext: TIdContext;
      ARequestInfo: TIdHTTPRequestInfo; var VAccept: Boolean);
    procedure IdHTTPServer1WebSocketMessage(AContext: TIdContext; const AText: string);
    procedure IdHTTPServer1WebSocketBinary(AContext: TIdContext; const AData: TIdBytes);
    procedure IdHTTPServer1WebSocketDisconnect(AContext: TIdContext; ACode: Integer);
    { the SSL IOHandler's events (tls=on) }
    procedure SSLGetPassword(var Password: string);
    function SSLVerifyPeer(Certificate: TIdX509; AOk: Boolean; ADepth, AError: Integer): Boolean;
    procedure IdHTTPServer1QuerySSLPort(APort: TIdPort; var VUseSSL: Boolean);
  end;

  TStdinReader = class(TThread)
  public
    Lines: TStringList;
    Lock: TCriticalSection;
    AtEof: Boolean;  { set under Lock when stdin ended: the thread is ending }
    procedure Execute; override;
    function Next(out Line: string): Boolean;
  end;

var
  OutLock: TCriticalSection;
  SleepGate: TEvent; { /sleep waits for it; stdin's wake sets it }
  Connects, Disconnects, Anomalies: Integer;
  FilePath: string;

procedure Say(const S: string);
begin
  OutLock.Enter;
  try
    Writeln(S);
    Flush(Output);
  finally
    OutLock.Leave;
  end;
end;

function ThreadName: string;
begin
  if GetCurrentThreadId = MainThreadID then
    Result := 'main'
  else
    Result := 'other';
end;

{ ---- events ------------------------------------------------------------ }

procedure TTestForm.IdHTTPServer1BeforeBind(AHandle: TIdSocketHandle);
begin
  Say(Format('BEFORE_BIND %s %d', [AHandle.IP, AHandle.Port]));
end;

procedure TTestForm.IdHTTPServer1AfterBind(Sender: TObject);
begin
  Say('AFTER_BIND ' + (Sender as TComponent).Name);
end;

procedure TTestForm.IdHTTPServer1ContextCreated(AContext: TIdContext);
begin
  Say('CONTEXT_CREATED ' + IntToStr(AContext.Binding.PeerPort));
end;

procedure TTestForm.IdHTTPServer1Connect(AContext: TIdContext);
begin
  OutLock.Enter;
  Inc(Connects);
  OutLock.Leave;
  if AContext.Data <> nil then
    Inc(Anomalies);
  AContext.Data := TConnData.Create;
  Say(Format('CONNECT %d %s', [AContext.Binding.PeerPort, ThreadName]));
end;

procedure TTestForm.IdHTTPServer1Disconnect(AContext: TIdContext);
begin
  OutLock.Enter;
  Inc(Disconnects);
  OutLock.Leave;
  if not (AContext.Data is TConnData) then
    Inc(Anomalies);
  Say(Format('DISCONNECT %d %d %s', [AContext.Binding.PeerPort,
    TConnData(AContext.Data).Requests, ThreadName]));
  AContext.Data.Free;
  AContext.Data := nil;
end;

procedure TTestForm.IdHTTPServer1Exception(AContext: TIdContext; AException: Exception);
begin
  Say('EXCEPTION ' + AException.ClassName + ' ' + AException.Message);
end;

procedure TTestForm.IdHTTPServer1CommandError(AContext: TIdContext;
  ARequestInfo: TIdHTTPRequestInfo; AResponseInfo: TIdHTTPResponseInfo;
  AException: Exception);
begin
  Say('COMMAND_ERROR ' + AException.Message);
  AResponseInfo.ContentText := 'handled: ' + AException.Message;
end;

procedure TTestForm.IdHTTPServer1CommandOther(AContext: TIdContext;
  ARequestInfo: TIdHTTPRequestInfo; AResponseInfo: TIdHTTPResponseInfo);
begin
  AResponseInfo.ContentType := 'text/plain';
  AResponseInfo.ContentText := 'other ' + ARequestInfo.Command + ' ' +
    IntToStr(Ord(ARequestInfo.CommandType)) + ' ' + ARequestInfo.Document +
    ' ' + ThreadName;
  if ARequestInfo.CommandType = hcPUT then
    AResponseInfo.ResponseNo := 201;
end;

procedure TTestForm.IdHTTPServer1CreateSession(ASender: TIdContext;
  var VHTTPSession: TIdHTTPSession);
begin
  Say('CREATE_SESSION ' + IntToStr(ASender.Binding.PeerPort));
  VHTTPSession := nil; { the default list makes it }
end;

procedure TTestForm.IdHTTPServer1InvalidSession(AContext: TIdContext;
  ARequestInfo: TIdHTTPRequestInfo; AResponseInfo: TIdHTTPResponseInfo;
  var VContinueProcessing: Boolean; const AInvalidSessionID: string);
begin
  Say('INVALID_SESSION ' + AInvalidSessionID);
end;

procedure TTestForm.IdHTTPServer1HeadersAvailable(AContext: TIdContext;
  const AUri: string; AHeaders: TIdHeaderList; var VContinueProcessing: Boolean);
begin
  VContinueProcessing := AHeaders.Values['X-Block'] = '';
end;

procedure TTestForm.IdHTTPServer1HeadersBlocked(AContext: TIdContext;
  AHeaders: TIdHeaderList; var VResponseNo: Integer;
  var VResponseText, VContentText: string);
begin
  VResponseNo := 418;
  VResponseText := 'Blocked Here';
  VContentText := 'blocked ' + AHeaders.Values['X-Block'];
end;

procedure TTestForm.IdHTTPServer1ParseAuthentication(AContext: TIdContext;
  const AAuthType, AAuthData: string; var VUsername, VPassword: string;
  var VHandled: Boolean);
begin
  { a scheme of our own; Basic is left to the server }
  if SameText(AAuthType, 'Token') then
  begin
    VUsername := 'token:' + AAuthData;
    VPassword := '';
    VHandled := True;
  end;
end;

procedure TTestForm.IdHTTPServer1SessionStart(Sender: TIdHTTPSession);
begin
  Say('SESSION_START ' + Sender.SessionID);
end;

procedure TTestForm.IdHTTPServer1SessionEnd(Sender: TIdHTTPSession);
begin
  Say('SESSION_END ' + Sender.SessionID + ' ' + Sender.Content.Values['n']);
end;

procedure TTestForm.IdHTTPServer1CreatePostStream(AContext: TIdContext;
  AHeaders: TIdHeaderList; var VPostStream: TStream);
begin
  if AHeaders.Values['X-Own-Stream'] <> '' then
    VPostStream := TTestPostStream.Create
  else if AHeaders.Values['X-File-Stream'] <> '' then
    { a body larger than MaxRequestBodySize, written to disk as it comes }
    VPostStream := TFileStream.Create(AHeaders.Values['X-File-Stream'], fmCreate);
end;

procedure TTestForm.IdHTTPServer1DoneWithPostStream(AContext: TIdContext;
  ARequestInfo: TIdHTTPRequestInfo; var VCanFree: Boolean);
begin
  Say('DONE_POST_STREAM ' + ARequestInfo.PostStream.ClassName + ' ' +
    IntToStr(ARequestInfo.PostStream.Size));
  VCanFree := True;
end;

procedure TTestForm.IdHTTPServer1WebSocketConnect(AContext: TIdContext;
  ARequestInfo: TIdHTTPRequestInfo; var VAccept: Boolean);
begin
  VAccept := ARequestInfo.Document = '/ws';
  Say(Format('WS_CONNECT %s %s %d', [ARequestInfo.Document,
    ARequestInfo.Params.Values['room'], Ord(VAccept)]));
end;

procedure TTestForm.IdHTTPServer1WebSocketMessage(AContext: TIdContext; const AText: string);
begin
  if AText = 'broadcast' then
    IdHTTPServer1.WebSocketBroadcast('to all')
  else if AText = 'raise' then
    raise Exception.Create('ws boom')
  else if AText = 'close' then
    AContext.WebSocketClose(4001, 'bye')
  else
    AContext.WebSocketSend('echo: ' + AText);
end;

procedure TTestForm.IdHTTPServer1WebSocketBinary(AContext: TIdContext; const AData: TIdBytes);
begin
  AContext.WebSocketSend(AData);
end;

procedure TTestForm.IdHTTPServer1WebSocketDisconnect(AContext: TIdContext; ACode: Integer);
begin
  Say(Format('WS_DISCONNECT %d', [ACode]));
end;

constructor TPatternStream.Create(ASize: Int64);
begin
  inherited Create;
  FSize := ASize;
end;

function TPatternStream.GetSize: Int64;
begin
  Result := FSize;
end;

function TPatternStream.Read(var Buffer; Count: Longint): Longint;
var
  P: PByte;
  I: Longint;
begin
  if Count > FSize - FPos then
    Count := FSize - FPos;
  if Count < 0 then
    Count := 0;
  P := @Buffer;
  for I := 0 to Count - 1 do
    P[I] := Byte((FPos + I) mod 251);
  Inc(FPos, Count);
  Result := Count;
end;

function TPatternStream.Write(const Buffer; Count: Longint): Longint;
begin
  Result := 0; { read-only }
end;

function TPatternStream.Seek(const Offset: Int64; Origin: TSeekOrigin): Int64;
begin
  case Origin of
    soBeginning: FPos := Offset;
    soCurrent: Inc(FPos, Offset);
    soEnd: FPos := FSize + Offset;
  end;
  Result := FPos;
end;

var
  TlsPassword: string;
  PlainPort: Integer = -1;

procedure TTestForm.SSLGetPassword(var Password: string);
begin
  Say('GET_PASSWORD');
  Password := TlsPassword;
end;

var
  VerifyPeerRefuse: string;

function TTestForm.SSLVerifyPeer(Certificate: TIdX509; AOk: Boolean; ADepth, AError: Integer): Boolean;
begin
  Say(Format('VERIFY_PEER %d %s|%s|%s %s %d %s', [ADepth,
    Certificate.Subject.OneLine, Certificate.Issuer.OneLine,
    Certificate.Subject.RFC2253, BoolToStr(AOk, True), AError,
    BoolToStr(Pos('-----BEGIN CERTIFICATE-----', Certificate.PEM) = 1, True)]));
  Result := AOk and (Certificate.Subject.OneLine <> VerifyPeerRefuse);
end;

procedure TTestForm.IdHTTPServer1QuerySSLPort(APort: TIdPort; var VUseSSL: Boolean);
begin
  Say(Format('QUERY_SSL_PORT %d', [APort]));
  if APort = PlainPort then
    VUseSSL := False;
end;

{ the bytes of a stream as UTF-8 text, and a stream holding text as UTF-8
  (Free Pascal's TStringStream keeps UTF-16 in delphiunicode mode) }
function StreamText(S: TStream): string;
var
  B: RawByteString;
begin
  SetLength(B, S.Size);
  S.Position := 0;
  if Length(B) > 0 then
    S.ReadBuffer(B[1], Length(B));
  SetCodePage(B, CP_UTF8, False);
  Result := string(B);
end;

function TextStream(const S: string): TStream;
var
  B: RawByteString;
begin
  B := UTF8Encode(S);
  Result := TMemoryStream.Create;
  if B <> '' then
    Result.WriteBuffer(B[1], Length(B));
  Result.Position := 0;
end;

function DT(const V: TDateTime): string;
begin
  if V = 0 then
    Result := '0'
  else
    Result := FormatDateTime('yyyy-mm-dd', V);
end;

procedure TTestForm.IdHTTPServer1CommandGet(AContext: TIdContext;
  ARequestInfo: TIdHTTPRequestInfo; AResponseInfo: TIdHTTPResponseInfo);
var
  L: TStringList;
  I: Integer;
  Doc, S: string;
  C: TIdCookie;
begin
  if AContext.Data is TConnData then
    Inc(TConnData(AContext.Data).Requests)
  else
    Inc(Anomalies);
  Doc := ARequestInfo.Document;
  if Doc = '/info' then
  begin
    L := TStringList.Create;
    try
      L.Add('cmd=' + ARequestInfo.Command);
      L.Add('type=' + IntToStr(Ord(ARequestInfo.CommandType)));
      L.Add('is_get=' + IntToStr(Ord(ARequestInfo.CommandType = hcGET)));
      L.Add('doc=' + ARequestInfo.Document);
      L.Add('uri=' + ARequestInfo.URI);
      L.Add('query=' + ARequestInfo.QueryParams);
      L.Add('form=' + ARequestInfo.FormParams);
      L.Add('unparsed=' + ARequestInfo.UnparsedParams);
      L.Add('raw=' + ARequestInfo.RawHTTPCommand);
      L.Add('version=' + ARequestInfo.Version);
      L.Add('v11=' + IntToStr(Ord(ARequestInfo.IsVersionAtLeast(1, 1))));
      L.Add('host=' + ARequestInfo.Host);
      L.Add('ua=' + ARequestInfo.UserAgent);
      L.Add('referer=' + ARequestInfo.Referer);
      L.Add('accept=' + ARequestInfo.Accept);
      L.Add('accept_charset=' + ARequestInfo.AcceptCharSet);
      L.Add('accept_encoding=' + ARequestInfo.AcceptEncoding);
      L.Add('accept_language=' + ARequestInfo.AcceptLanguage);
      L.Add('connection=' + ARequestInfo.Connection);
      L.Add('ct=' + ARequestInfo.ContentType);
      L.Add('charset=' + ARequestInfo.CharSet);
      L.Add('clen=' + IntToStr(ARequestInfo.ContentLength));
      L.Add('cenc=' + ARequestInfo.ContentEncoding);
      L.Add('range=' + ARequestInfo.Range);
      L.Add('ranges=' + IntToStr(ARequestInfo.Ranges.Count));
      if ARequestInfo.Ranges.Count > 0 then
        L.Add(Format('range0=%d-%d', [ARequestInfo.Ranges[0].StartPos,
          ARequestInfo.Ranges[0].EndPos]));
      L.Add('remote=' + ARequestInfo.RemoteIP);
      L.Add('peer=' + AContext.Connection.Socket.Binding.PeerIP + ':' +
        IntToStr(AContext.Connection.Socket.Binding.PeerPort));
      L.Add('local=' + AContext.Binding.IP + ':' + IntToStr(AContext.Binding.Port));
      L.Add('requests=' + IntToStr(TConnData(AContext.Data).Requests));
      L.Add('auth=' + IntToStr(Ord(ARequestInfo.AuthExists)) + ' ' +
        ARequestInfo.AuthType + ' ' + ARequestInfo.AuthUsername + ' ' +
        ARequestInfo.AuthPassword);
      L.Add('thread=' + ThreadName);
      L.Add('x_custom=' + ARequestInfo.RawHeaders.Values['X-Custom']);
      for I := 0 to ARequestInfo.Cookies.Count - 1 do
        L.Add('cookie:' + ARequestInfo.Cookies[I].CookieName + '=' +
          ARequestInfo.Cookies[I].Value);
      for I := 0 to ARequestInfo.Params.Count - 1 do
        L.Add('p:' + ARequestInfo.Params[I]);
      if ARequestInfo.PostStream <> nil then
      begin
        SetLength(S, 0);
        L.Add('post_stream=' + ARequestInfo.PostStream.ClassName + ' ' +
          IntToStr(ARequestInfo.PostStream.Size));
      end;
      AResponseInfo.ContentType := 'text/plain';
      AResponseInfo.CharSet := 'utf-8';
      AResponseInfo.ContentText := L.Text;
    finally
      L.Free;
    end;
  end
  else if Doc = '/post' then
  begin
    AResponseInfo.ContentType := 'text/plain';
    if ARequestInfo.PostStream <> nil then
      AResponseInfo.ContentText := ARequestInfo.PostStream.ClassName + ' ' +
        IntToStr(ARequestInfo.PostStream.Size) + ' ' + StreamText(ARequestInfo.PostStream)
    else
      AResponseInfo.ContentText := 'no post stream';
  end
  else if Doc = '/upload' then
  begin
    AResponseInfo.ContentType := 'text/plain';
    if ARequestInfo.PostStream <> nil then
      AResponseInfo.ContentText := ARequestInfo.PostStream.ClassName + ' ' +
        IntToStr(ARequestInfo.PostStream.Size) + ' ' +
        IntToStr(ARequestInfo.PostStream.Position)
    else
      AResponseInfo.ContentText := 'no post stream';
  end
  else if Doc = '/sleep' then
  begin
    { a handler that blocks (as on a database) until the test says wake }
    Say('SLEEPING');
    SleepGate.WaitFor(60000);
    AResponseInfo.ContentText := 'slept ' + ThreadName;
  end
  else if Doc = '/fast' then
    AResponseInfo.ContentText := 'fast'
  else if Doc = '/session' then
  begin
    if ARequestInfo.Session = nil then
      AResponseInfo.ContentText := 'no session'
    else
    begin
      ARequestInfo.Session.Lock;
      try
        with ARequestInfo.Session do
          Content.Values['n'] := IntToStr(StrToIntDef(Content.Values['n'], 0) + 1);
        AResponseInfo.ContentText := 'n=' + ARequestInfo.Session.Content.Values['n'] +
          ' id=' + ARequestInfo.Session.SessionID +
          ' same=' + IntToStr(Ord(AResponseInfo.Session = ARequestInfo.Session));
      finally
        ARequestInfo.Session.Unlock;
      end;
    end;
  end
  else if Doc = '/sessions' then
    AResponseInfo.ContentText := IntToStr(
      (IdHTTPServer1.SessionList as TIdHTTPDefaultSessionList).Count)
  else if Doc = '/logout' then
  begin
    AResponseInfo.CloseSession;
    AResponseInfo.ContentText := 'bye';
  end
  else if Doc = '/auth' then
  begin
    if ARequestInfo.AuthExists and (ARequestInfo.AuthUsername = 'alice') and
      (ARequestInfo.AuthPassword = 'secret') then
      AResponseInfo.ContentText := 'welcome ' + ARequestInfo.AuthUsername
    else
      AResponseInfo.AuthRealm := 'iocpws test';
  end
  else if Doc = '/resp' then
  begin
    AResponseInfo.ResponseNo := 201;
    AResponseInfo.ResponseText := 'Made It';
    AResponseInfo.ContentType := 'application/json';
    AResponseInfo.CharSet := 'utf-8';
    AResponseInfo.ContentText := '{"ok": true}';
    AResponseInfo.CustomHeaders.AddValue('X-One', '1');
    AResponseInfo.CustomHeaders.Values['X-Two'] := 'two';
    AResponseInfo.CacheControl := 'no-store';
    AResponseInfo.ETag := '"v1"';
    AResponseInfo.Expires := EncodeDate(2030, 1, 2) + 0.5;
    AResponseInfo.LastModified := EncodeDate(2020, 3, 4) + 0.5;
    AResponseInfo.Date := EncodeDate(2025, 5, 6) + 0.5;
    AResponseInfo.ContentDisposition := 'inline; filename="r.json"';
    AResponseInfo.ContentEncoding := 'identity';
    AResponseInfo.ContentLanguage := 'en';
    AResponseInfo.Location := '/resp/1';
    AResponseInfo.Server := 'Custom/2';
    AResponseInfo.Pragma := 'no-cache';
    C := AResponseInfo.Cookies.Add;
    C.CookieName := 'full';
    C.Value := 'v';
    C.Path := '/p';
    C.Domain := 'example.com';
    C.Secure := True;
    C.HttpOnly := True;
    C.MaxAge := 60;
    C.Expires := EncodeDate(2031, 7, 8) + 0.5;
    C.SameSite := 'Strict';
    C := AResponseInfo.Cookies.Add;
    C.CookieName := 'plain';
    C.Value := 'p';
    Say('RESP ' + DT(AResponseInfo.Expires) + ' ' + DT(AResponseInfo.LastModified) +
      ' ' + AResponseInfo.ServerSoftware + ' ' + IntToStr(AResponseInfo.ResponseNo) +
      ' ' + AResponseInfo.HTTPServer.Name);
  end
  else if Doc = '/redirect' then
    AResponseInfo.Redirect('/info?from=redirect')
  else if Doc = '/stream' then
  begin
    AResponseInfo.ContentType := 'text/plain';
    AResponseInfo.ContentStream := TextStream('from a stream');
    AResponseInfo.FreeContentStream := True;
    AResponseInfo.ContentLength := AResponseInfo.ContentStream.Size;
  end
  else if Doc = '/file' then
  begin
    AResponseInfo.ContentDisposition := 'attachment';
    AResponseInfo.ServeFile(AContext, FilePath);
  end
  else if Doc = '/smartfile' then
    AResponseInfo.SmartServeFile(AContext, ARequestInfo, FilePath)
  else if Doc = '/mime' then
    AResponseInfo.ContentText := IdHTTPServer1.MIMETable.GetFileMIMEType(ARequestInfo.Params.Values['f'])
  else if Doc = '/write' then
  begin
    AResponseInfo.ContentType := 'text/plain';
    AResponseInfo.ContentText := 'head;';
    S := IntToStr(Ord(AResponseInfo.HeaderHasBeenWritten));
    AResponseInfo.WriteHeader;
    AResponseInfo.WriteContent;
    AContext.Connection.IOHandler.Write('raw;');
    AContext.Connection.IOHandler.WriteLn('line');
    AResponseInfo.ContentText := AResponseInfo.ContentText + S +
      IntToStr(Ord(AResponseInfo.HeaderHasBeenWritten)) + ';';
    try
      AResponseInfo.WriteHeader;
    except
      on E: EIdHTTPHeaderAlreadyWritten do
        AContext.Connection.IOHandler.Write('again refused');
    end;
  end
  else if Doc = '/bigwrite' then
  begin
    { WriteContent of a large ContentStream to a client that reads slowly:
      the handler's thread waits for room (back-pressure), memory stays
      bounded by the engine's send queue }
    AResponseInfo.ContentType := 'application/octet-stream';
    AResponseInfo.ContentStream := TPatternStream.Create(
      StrToInt64(ARequestInfo.Params.Values['mb']) * 1048576);
    AResponseInfo.FreeContentStream := True;
    AResponseInfo.WriteHeader;
    AResponseInfo.WriteContent;
    Say('BIGWRITE_DONE ' + IntToStr(AResponseInfo.ContentStream.Size));
  end
  else if Doc = '/close' then
  begin
    AResponseInfo.CloseConnection := True;
    AResponseInfo.ContentText := 'closing';
  end
  else if Doc = '/error' then
    raise Exception.Create('boom')
  else if Doc = '/rewrite' then
  begin
    ARequestInfo.Document := '/rewritten';
    AResponseInfo.ContentText := ARequestInfo.Document;
  end
  else if Doc = '/nocontent' then
    AResponseInfo.ResponseNo := 204
  else if Doc = '/default' then
    { nothing set: Indy's "200 OK" page }
  else
    AResponseInfo.ResponseNo := 404;
end;

{ ---- stdin ------------------------------------------------------------- }

procedure TStdinReader.Execute;
var
  L: string;
begin
  while not Eof(Input) do
  begin
    Readln(L);
    if Trim(L) = 'wake' then
    begin
      Say('WAKE');
      SleepGate.SetEvent;
      Continue;
    end;
    Lock.Enter;
    Lines.Add(Trim(L));
    Lock.Leave;
  end;
  Lock.Enter;
  AtEof := True;
  Lines.Add('quit');
  Lock.Leave;
end;

function ReaderAtEof(R: TStdinReader): Boolean;
begin
  R.Lock.Enter;
  Result := R.AtEof;
  R.Lock.Leave;
end;

function TStdinReader.Next(out Line: string): Boolean;
begin
  Lock.Enter;
  try
    Result := Lines.Count > 0;
    if Result then
    begin
      Line := Lines[0];
      Lines.Delete(0);
    end;
  finally
    Lock.Leave;
  end;
end;

function Opt(const Name, Default: string): string;
var
  I: Integer;
begin
  Result := Default;
  I := 1;
  while I < ParamCount do
  begin
    if (ParamStr(I) = '--opt') and (Pos(Name + '=', ParamStr(I + 1)) = 1) then
      Result := Copy(ParamStr(I + 1), Length(Name) + 2, MaxInt);
    Inc(I);
  end;
end;

{ Indy's FreeNotification: an IOHandler owned by another component (a
  form, a data module) is freed while a server still names it; the
  server's property becomes nil instead of a dangling reference. And the
  other way round: a server freed first is forgotten by the IOHandler. }
procedure IOHandlerFreed;
var
  Owner: TComponent;
  Server: TIdHTTPServer;
  H: TIdServerIOHandlerSSLOpenSSL;
  WasSet, Cleared: Boolean;
begin
  Owner := TComponent.Create(nil);
  Server := TIdHTTPServer.Create(nil);
  try
    H := TIdServerIOHandlerSSLOpenSSL.Create(Owner);
    Server.IOHandler := H;
    WasSet := Server.IOHandler = H;
    FreeAndNil(Owner); { frees H }
    Cleared := Server.IOHandler = nil;
    Say(Format('IOHANDLER %d %d', [Ord(WasSet), Ord(Cleared)]));
    { the server goes first: freeing its IOHandler later must not touch it }
    Owner := TComponent.Create(nil);
    H := TIdServerIOHandlerSSLOpenSSL.Create(Owner);
    Server.IOHandler := H;
    FreeAndNil(Server);
    FreeAndNil(Owner);
    Say('IOHANDLER_FREED');
  finally
    Server.Free;
    Owner.Free;
  end;
end;

var
  Form: TTestForm;
  Bin: TMemoryStream;
  Txt: TMemoryStream;
  FormU8: RawByteString;
  R: TStdinReader;
  Line: string;
  Quit: Boolean;
  BI: Integer;
  T0: TDateTime;
  B: TIdSocketHandle;
  SSLHandler: TIdServerIOHandlerSSLOpenSSL;
  S: string;
begin
  OutLock := TCriticalSection.Create;
  SleepGate := TEvent.Create(nil, False, False, '');
  {$ifdef FPC}
  DefaultSystemCodePage := CP_UTF8;
  {$endif}
  { the form, from its text as the IDE writes it }
  Form := TTestForm.Create(nil);
  Txt := TMemoryStream.Create;
  Bin := TMemoryStream.Create;
  try
    FormU8 := UTF8Encode(FormText);
    Txt.WriteBuffer(FormU8[1], Length(FormU8));
    Txt.Position := 0;
    ObjectTextToBinary(Txt, Bin);
    Bin.Position := 0;
    Bin.ReadComponent(Form);
  finally
    Txt.Free;
    Bin.Free;
  end;
  with Form.IdHTTPServer1 do
  begin
    if (Bindings.Count <> 1) or (Bindings[0].IP <> '127.0.0.1') or (ListenQueue <> 64) or
      (MaxConnections <> 1000) or UseNagle or (ReuseSocket <> rsTrue) or
      not AutoStartSession or not KeepAlive or (MaximumHeaderLineCount <> 512) or
      (ServerSoftware <> 'IndyCompat/1.0') or not SessionState or
      (SessionTimeOut <> 600000) or not Assigned(OnCommandGet) or
      not Assigned(OnCreatePostStream) or (SessionIDCookieName <> 'IDHTTPSESSIONID') or
      not ParseParams or (DefaultPort <> 0) then
    begin
      Say('FORM_MISMATCH');
      Halt(4);
    end;
    KeepAlive := Opt('ka', '1') = '1';
    SessionTimeOut := StrToInt(Opt('sessiontimeout', '600000'));
    TerminateWaitTime := StrToInt(Opt('terminatewait', '5000'));
    ThreadPoolSize := StrToInt(Opt('pool', '0'));
    if Opt('bindings', '') = 'two' then
    begin
      B := Bindings.Add;
      B.IP := '127.0.0.2';
      B.Port := 0;
    end;
    if Opt('bindings', '') = 'busy' then
    begin
      Bindings[0].Port := 28411;
      B := Bindings.Add;
      B.IP := '127.0.0.1';
      B.Port := 28411;
    end;
    if Opt('dual', '') = '1' then
    begin
      Bindings.Clear;
      Bindings.Add.IP := '0.0.0.0';
      B := Bindings.Add;
      B.IP := '::';
      B.IPVersion := Id_IPv6;
    end;
  end;
  if Opt('tls', '') = 'on' then
  begin
    { an Indy HTTPS server: the SSL IOHandler as Indy programs set it }
    SSLHandler := TIdServerIOHandlerSSLOpenSSL.Create(Form);
    SSLHandler.Name := 'IdServerIOHandlerSSLOpenSSL1';
    SSLHandler.SSLOptions.CertFile := Opt('cert', '');
    SSLHandler.SSLOptions.KeyFile := Opt('key', '');
    SSLHandler.SSLOptions.RootCertFile := Opt('ca', '');
    SSLHandler.SSLOptions.Method := sslvTLSv1_2;
    SSLHandler.SSLOptions.SSLVersions := [sslvTLSv1_1, sslvTLSv1_2];
    SSLHandler.SSLOptions.Mode := sslmServer;
    SSLHandler.SSLOptions.VerifyDepth := StrToInt(Opt('depth', '0'));
    if Opt('verify', '') = 'peer' then
      SSLHandler.SSLOptions.VerifyMode := [sslvrfPeer]
    else if Opt('verify', '') = 'require' then
      SSLHandler.SSLOptions.VerifyMode := [sslvrfPeer, sslvrfFailIfNoPeerCert, sslvrfClientOnce];
    TlsPassword := Opt('password', '');
    if TlsPassword <> '' then
      SSLHandler.OnGetPassword := Form.SSLGetPassword;
    VerifyPeerRefuse := Opt('verifypeer', '');
    if VerifyPeerRefuse <> '' then
      SSLHandler.OnVerifyPeer := Form.SSLVerifyPeer;
    { what the engine cannot honour: Active must raise }
    S := Opt('unsupported', '');
    if S = 'verifydirs' then
      SSLHandler.SSLOptions.VerifyDirs := '/etc/ssl/certs'
    else if S = 'dhparams' then
      SSLHandler.SSLOptions.DHParamsFile := 'dh.pem'
    else if S = 'client' then
      SSLHandler.SSLOptions.Mode := sslmClient
    else if S = 'sslv3' then
      SSLHandler.SSLOptions.Method := sslvSSLv3
    else if S = 'nocert' then
      SSLHandler.SSLOptions.CertFile := '';
    Form.IdHTTPServer1.IOHandler := SSLHandler;
    { plain=<port>: a second binding on that port, kept plain by
      OnQuerySSLPort }
    PlainPort := StrToInt(Opt('plain', '-1'));
    if PlainPort >= 0 then
    begin
      B := Form.IdHTTPServer1.Bindings.Add;
      B.IP := '127.0.0.1';
      B.Port := PlainPort;
    end;
    Form.IdHTTPServer1.OnQuerySSLPort := Form.IdHTTPServer1QuerySSLPort;
  end;
  FilePath := Opt('file', '');
  Say('LOADED ' + Form.IdHTTPServer1.ClassName + ' ' + Form.IdHTTPServer1.Name);

  { no thread of ours runs yet when a failed start halts: a thread ending
    while the process exits can leave the RTL's or the loader's lock held
    (a hang at exit under Wine) }
  try
    Form.IdHTTPServer1.Active := True;
  except
    on E: Exception do
    begin
      Say('START_FAILED ' + E.ClassName + ' ' + E.Message);
      Halt(3);
    end;
  end;
  R := TStdinReader.Create(True);
  R.Lines := TStringList.Create;
  R.Lock := TCriticalSection.Create;
  R.FreeOnTerminate := False;
  R.Start;
  for BI := 0 to Form.IdHTTPServer1.Bindings.Count - 1 do
    Say(Format('BINDING %d %s %d', [BI, Form.IdHTTPServer1.Bindings[BI].IP,
      Form.IdHTTPServer1.Bindings[BI].Port]));
  Say('PORT ' + IntToStr(Form.IdHTTPServer1.Bindings[0].Port));
  Quit := False;
  while not Quit do
  begin
    CheckSynchronize(20);
    while R.Next(Line) do
    begin
      try
        if Line = 'quit' then
          Quit := True
        else if Line = 'stop' then
        begin
          T0 := Now;
          try
            Form.IdHTTPServer1.Active := False;
            Say(Format('STOPPED %d %d', [Round((Now - T0) * MSecsPerDay),
              Ord(Form.IdHTTPServer1.Active)]));
          except
            on E: EIdTerminateThreadTimeout do
              Say(Format('STOP_TIMEOUT %d %s', [Round((Now - T0) * MSecsPerDay), E.ClassName]));
          end;
        end
        else if Line = 'iohandler' then
          IOHandlerFreed
        else if Line = 'start' then
        begin
          Form.IdHTTPServer1.Active := True;
          Say('PORT ' + IntToStr(Form.IdHTTPServer1.Bindings[0].Port));
        end;
      except
        on E: Exception do
          Say('COMMAND_FAILED ' + E.ClassName + ' ' + E.Message);
      end;
      if Quit then
        Break;
    end;
  end;
  try
    Form.IdHTTPServer1.Active := False;
  except
    on E: Exception do
      Say('QUIT_STOP ' + E.ClassName);
  end;
  Form.Free;
  Say(Format('BYE connects=%d disconnects=%d anomalies=%d', [Connects, Disconnects, Anomalies]));
  if (Connects <> Disconnects) or (Anomalies <> 0) then
    ExitCode := 1;
  { a reader blocked in Readln holds no lock and dies with the process; one
    that saw EOF is ending now: wait for it (see above) }
  if ReaderAtEof(R) then
    R.WaitFor;
  Halt(ExitCode);
end.
