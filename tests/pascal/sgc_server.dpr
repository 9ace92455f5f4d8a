{ sgc_server - an sgcWebSockets server program, written as sgc's
  documentation shows, built against sgcWebSocket_iocp (the uses clause is
  the only change), for tests/pascal/test_pascal_sgc.py. Built twice by
  tests/pascal/run.sh: mode delphi and mode delphiunicode.

  sgc_server [name=value ...]      prints one line per event on stdout:
    STARTUP / PORT <port> / TLSPORT <port> / START_FAILED <message>
    TCPCONNECT <ip> <url>            (OnTCPConnect; url containing
                                     'refuse-tcp' is refused)
    AUTH <user> <password>           (OnAuthentication: user 'event' with
                                     password 'ok' is accepted)
    UNKNOWN <url>                    (OnUnknownProtocol: accepted when the
                                     url contains 'accept')
    HANDSHAKE <request headers> <response headers>
    CONNECT <guid> <url> <transport> <local port> <auth user>
    MESSAGE <text> / BINARY <size> / FRAGMENT <opcode> <size> <continuation>
    DISCONNECT <code> <reason> <recbytes> <sendbytes>
    ERROR <text>
    BEFOREHEARTBEAT <guid>           (OnBeforeHeartBeat; Handled as
                                     heartbeat=...,handled says)
    UNKNOWNAUTH <type> <data>        (OnUnknownAuthentication with
                                     bearer=on: 'Bearer good-token' is
                                     accepted as user 'token-user')
    VERIFYPEER <subject>|<issuer>|<subject RFC 2253> <AOk> <ADepth>
      <AError> <PEM?>                (OnSSLVerifyPeer with verifypeer=
                                     refuse|raise: '/CN=bob' is refused,
                                     or the handler raises for him)
  Options (each as --opt name=value): auth=basic|url|session|all|nonauth, origins=<list>,
  protocols=<list>, unknown=on, handshake=add, fragments=all|only,
  noequiv=on (sgc settings with no equivalent: reported at Start),
  verifycert=on, verifypeer=refuse|raise (OnSSLVerifyPeer; with
  httpsessions the HTTP server gets the WebSocket server's SSL settings and
  the handler too), bindings=<ip:port,...>, epoll=<threads>, cleandisconnect=on,
  maxmsg=<bytes>, heartbeat=<interval s>,<always|idle>,<ping|handled>[,late]
  (HeartBeat with OnBeforeHeartBeat; late: no handler at the first Start,
  the stdin command hbhandler sets Active to False, assigns it, sets Active
  to True and prints RESTARTED <port> <GetStats.connections_total>), bearer=on (OnUnknownAuthentication),
  secure=firewall|ratelimiter|apikey|jwt|oauth2|freed (sgc's
  security components: enabled, Start must refuse; freed: the server
  forgets them), httpsessions=<SessionTimeOut ms> (a second server, sgc's
  TsgcWebSocketHTTPServer with SessionState and AutoStartSession, prints
  HTTPPORT <port>; /s/set?v=..., /s/get, /s/end (EndSession), /s/logout
  (CloseSession); SESSION_START/_END <id>, INVALID_SESSION <id>; a cookie
  IDHTTPSESSIONID=reject is refused 403; the stdin command httpstop sets
  its Active to False and prints HTTPSTOPPED).
  upload=<folder> (a TsgcWebSocketHTTPServer, prints HTTPPORT <port>, with
  HTTPUploadFiles.StreamType = pstFileStream, SaveDirectory = folder and
  MaxRequestBodySize 8 MiB:
  UPLOAD_CREATE <Content-Type> (a request with 'X-Refuse: 1' is refused),
  UPLOAD_BEFORE <name> <folder> (rename-me.txt becomes renamed.txt,
  skip.bin is skipped), UPLOAD_AFTER <name> <folder>,
  UPLOAD_INPUT <name>=<value>, HTTP <method> <document> <PostStream size or
  nil>).
  uploadraw=<folder> (as upload=, with HTTPUploadFiles.RemoveBoundaries =
  False and MaxRequestBodySize 8 MiB: OnCommandGet prints RAWPOST <size>
  <FNV-1a 32 of PostStream, hex> <Position> <its file's name> <exists> and
  answers '<size> <hash>').
  beforecommand=on|docroot (a TsgcWebSocketHTTPServer, prints HTTPPORT
  <port>, with OnBeforeCommand: BEFORECOMMAND <method> <document> <conn>;
  /private -> [hcoUnauthorized], /basic* -> [hcoAuthorizedBasic]
  (AuthUsers user=pass, OnAuthentication as above), /raise raises;
  OnCommandGet answers 'ok <document>' and prints HTTP <method>
  <document>; docroot: DocumentRoot set too, so Start refuses; getonly:
  no OnCommandOther, so other methods have no handler (404 after the
  gate)).
  Groups: GROUP_ADDED <group> <guid> / GROUP_REMOVED <group> <guid>
  (Groups.OnClientAdded / OnClientRemoved, Sender checked).
  Messages to the server ('cmd:...') make it answer: see OnMessage. }
program sgc_server;

{$I iocpws.defines.inc}
{$ifdef FPC} {$codepage utf8} {$endif}
{$ifdef MSWINDOWS} {$APPTYPE CONSOLE} {$endif}

uses
  {$ifdef FPC} {$ifdef UNIX} cthreads, {$endif} {$endif}
  SysUtils, Classes, sgcWebSocket_iocp;
{$I iocpws.warnings.inc}

type
  TServerForm = class(TComponent)
  public
    WSServer: TsgcWebSocketServer;
    HTTPServer: TsgcWebSocketHTTPServer;
    procedure HTTPCommandGet(AContext: TIdContext; ARequestInfo: TIdHTTPRequestInfo;
      AResponseInfo: TIdHTTPResponseInfo);
    procedure HTTPSessionStart(Sender: TIdHTTPSession);
    procedure HTTPSessionEnd(Sender: TIdHTTPSession);
    procedure HTTPCreateSession(ASender: TIdContext; var VHTTPSession: TIdHTTPSession);
    procedure HTTPInvalidSession(AContext: TIdContext; ARequestInfo: TIdHTTPRequestInfo;
      AResponseInfo: TIdHTTPResponseInfo; var VContinueProcessing: Boolean;
      const AInvalidSessionID: string);
    procedure WSServerStartup(Sender: TObject);
    procedure WSServerTCPConnect(Connection: TsgcWSConnection; var Accept: Boolean);
    procedure WSServerAuthentication(Connection: TsgcWSConnection;
      aUser, aPassword: string; var Authenticated: Boolean);
    procedure WSServerUnknownProtocol(Connection: TsgcWSConnection; var Accept: Boolean);
    procedure WSServerHandshake(Connection: TsgcWSConnection; var Headers: TStringList);
    procedure WSServerConnect(Connection: TsgcWSConnection);
    { Connection.OnSubscription / OnUnSubscription (sgc's
      TsgcWSSubscriptionEvent), assigned in OnConnect }
    procedure ConnSubscription(Connection: TsgcWSConnection; const Subscription: string);
    procedure ConnUnSubscription(Connection: TsgcWSConnection; const Subscription: string);
    { never called: assigned so that the types are checked }
    procedure ConnUpdate(Connection: TsgcWSConnection; aType: Integer);
    procedure ConnSSECustomizeHeaders(Connection: TsgcWSConnection; var Headers: TStringList);
    procedure WSServerMessage(Connection: TsgcWSConnection; const Text: string);
    procedure WSServerBinary(Connection: TsgcWSConnection; const Data: TMemoryStream);
    procedure WSServerFragmented(Connection: TsgcWSConnection;
      const Data: TMemoryStream; const OpCode: TOpCode; const Continuation: Boolean);
    procedure WSServerDisconnect(Connection: TsgcWSConnection; Code: Integer);
    procedure WSServerError(Connection: TsgcWSConnection; const Error: string);
    procedure WSServerException(Connection: TsgcWSConnection; E: Exception);
    procedure WSServerBeforeHeartBeat(Sender: TObject;
      const Connection: TsgcWSConnection; var Handled: Boolean);
    procedure WSServerUnknownAuthentication(Connection: TsgcWSConnection;
      AuthType, AuthData: string; var aUser, aPassword: string;
      var Authenticated: Boolean);
    procedure WSServerBearer(Connection: TsgcWSConnection;
      AuthType, AuthData: string; var aUser, aPassword: string;
      var Authenticated: Boolean);
    procedure WSServerSSLVerifyPeer(Sender: TObject; Certificate: TIdX509;
      AOk: Boolean; ADepth, AError: Integer; var Accept: Boolean);
    { sgc's events the engine never fires (declared with sgc's types, so
      that they compile; reported at Start with noequiv=on) }
    procedure WSServerSSLALPNSelect(Sender: TObject; aProtocols: TStringList;
      var aProtocol: string);
    procedure WSServerHTTPUploadReadInput(Sender: TObject; const aName, aValue: string);
    procedure WSServerHTTPUploadBeforeCreatePostStream(Sender: TObject;
      const Connection: TsgcWSConnection; const aHeaders: TStrings; var Accept: Boolean);
    procedure WSServerLoadBalancerError(Sender: TObject; const Error: string);
    { sgc's HTTPUploadFiles (upload=<folder>) }
    procedure UploadCommandGet(AContext: TIdContext; ARequestInfo: TIdHTTPRequestInfo;
      AResponseInfo: TIdHTTPResponseInfo);
    procedure UploadBeforeCreatePostStream(Sender: TObject;
      const Connection: TsgcWSConnection; const aHeaders: TStrings; var Accept: Boolean);
    procedure UploadBeforeSaveFile(Sender: TObject; var aFileName, aFilePath: string);
    procedure UploadAfterSaveFile(Sender: TObject; const aFileName, aFilePath: string);
    procedure UploadReadInput(Sender: TObject; const aName, aValue: string);
    { RemoveBoundaries = False (uploadraw=<folder>) }
    procedure RawUploadCommandGet(AContext: TIdContext; ARequestInfo: TIdHTTPRequestInfo;
      AResponseInfo: TIdHTTPResponseInfo);
    procedure FirewallFiltered(Sender: TObject; const aIP: string;
      const aReason: string; var Allow: Boolean);
    { sgc's OnBeforeCommand (beforecommand=...) }
    procedure HTTPBeforeCommand(const aConnection: TsgcWSConnection;
      ARequestInfo: TIdHTTPRequestInfo; AResponseInfo: TIdHTTPResponseInfo;
      var aOptions: TsgcHTTPCommandOptions);
    procedure GateCommandGet(AContext: TIdContext; ARequestInfo: TIdHTTPRequestInfo;
      AResponseInfo: TIdHTTPResponseInfo);
    { sgc's OnBeforeForwardHTTP: never called (reported at Start) }
    procedure HTTPBeforeForward(Connection: TsgcWSConnection;
      ARequestInfo: TIdHTTPRequestInfo; aForward: TsgcWSServerForwardHTTP);
    { sgc's Groups events }
    procedure GroupClientAdded(Sender: TObject; const aGroup: TsgcWSServerGroupItem;
      const aConnection: TsgcWSConnection);
    procedure GroupClientRemoved(Sender: TObject; const aGroup: TsgcWSServerGroupItem;
      const aConnection: TsgcWSConnection);
  end;

procedure TServerForm.WSServerUnknownAuthentication(Connection: TsgcWSConnection;
  AuthType, AuthData: string; var aUser, aPassword: string; var Authenticated: Boolean);
begin
  Authenticated := False;
end;

procedure TServerForm.WSServerSSLALPNSelect(Sender: TObject; aProtocols: TStringList;
  var aProtocol: string);
begin
end;

var
  VerifyPeerMode: string;

procedure Say(const S: string); forward;

procedure TServerForm.WSServerSSLVerifyPeer(Sender: TObject; Certificate: TIdX509;
  AOk: Boolean; ADepth, AError: Integer; var Accept: Boolean);
var
  Subject: TIdX509Name;
begin
  Subject := Certificate.Subject;
  Say(Format('VERIFYPEER %s|%s|%s %s %d %d %s', [Subject.OneLine,
    Certificate.Issuer.OneLine, Subject.RFC2253, BoolToStr(AOk, True), ADepth,
    AError, BoolToStr(Pos('-----BEGIN CERTIFICATE-----', Certificate.PEM) = 1, True)]));
  Accept := AOk;
  if Subject.OneLine = '/CN=bob' then
  begin
    if VerifyPeerMode = 'raise' then
      raise Exception.Create('bob is not welcome');
    Accept := False;
  end;
end;

procedure TServerForm.WSServerHTTPUploadReadInput(Sender: TObject; const aName, aValue: string);
begin
end;

procedure TServerForm.WSServerHTTPUploadBeforeCreatePostStream(Sender: TObject;
  const Connection: TsgcWSConnection; const aHeaders: TStrings; var Accept: Boolean);
begin
end;

procedure TServerForm.WSServerLoadBalancerError(Sender: TObject; const Error: string);
begin
end;

procedure TServerForm.FirewallFiltered(Sender: TObject; const aIP: string;
  const aReason: string; var Allow: Boolean);
begin
end;

var
  OutLock: TRTLCriticalSection;
  HandshakeAdd: Boolean;
  HeartBeatHandled: Boolean;

{ one line, UTF-8, flushed }
procedure Say(const S: string);
var
  U: RawByteString;
begin
  EnterCriticalSection(OutLock);
  try
    { mode delphi: text from the component is UTF-8 already }
    {$ifdef UNICODE} U := UTF8Encode(S); {$else} U := S; {$endif}
    {$ifdef FPC} SetCodePage(U, CP_NONE, False); {$endif}
    WriteLn(U);
    Flush(Output);
  finally
    LeaveCriticalSection(OutLock);
  end;
end;

procedure TServerForm.WSServerStartup(Sender: TObject);
begin
  Say('STARTUP');
end;

procedure TServerForm.WSServerTCPConnect(Connection: TsgcWSConnection; var Accept: Boolean);
begin
  Say('TCPCONNECT ' + Connection.IP + ' ' + Connection.URL);
  if Pos('refuse-tcp', Connection.URL) > 0 then
    Accept := False;
end;

procedure TServerForm.WSServerAuthentication(Connection: TsgcWSConnection;
  aUser, aPassword: string; var Authenticated: Boolean);
begin
  Say('AUTH ' + aUser + ' ' + aPassword);
  Authenticated := (aUser = 'event') and (aPassword = 'ok');
end;

procedure TServerForm.WSServerUnknownProtocol(Connection: TsgcWSConnection; var Accept: Boolean);
begin
  Say('UNKNOWN ' + Connection.URL);
  Accept := Pos('accept', Connection.URL) > 0;
end;

procedure TServerForm.WSServerHandshake(Connection: TsgcWSConnection; var Headers: TStringList);
begin
  Say(Format('HANDSHAKE %d %d', [Connection.HeadersRequest.Count, Headers.Count]));
  if HandshakeAdd then
  begin
    Headers.Add('X-Extra: 1');
    Headers.Add('Set-Cookie: sid=7; Path=/');
    Headers.Add('not a header'); { reported through OnError, not sent }
  end;
end;

procedure TServerForm.WSServerConnect(Connection: TsgcWSConnection);
var
  U: string;
  A: TsgcWSConnectionAuthentication;
  H: TsgcWSHandShakeServer;
  { sgc's type names for the same things }
  CB: TsgcWSConnectionServer_Base;
  HB: TsgcWSHandShakeServer_Base;
  Kind: TwsAuthentication;
  Scan: TtcpEOFScanBuffer;
  SubEv: TsgcWSSubscriptionEvent;
  UpdEv: TsgcWSUpdateEvent;
  SSEEv: TsgcWSSSECustomizeHeadersEvent;
begin
  U := Connection.AuthUser;
  if U = '' then
    U := '-';
  Say(Format('CONNECT %s %s %d %d %s', [Connection.Guid, Connection.URL,
    Ord(Connection.Transport), Connection.LocalPort, U]));
  { sgc's TsgcWSConnectionServer.Authentication and HandShake }
  A := Connection.Authentication;
  Say(Format('CONNAUTH %s|%d|%s|%s|%s', [BoolToStr(A.Authenticated, True),
    Ord(A.AuthType), A.User, A.Password, A.SessionID]));
  H := Connection.HandShake;
  Say(Format('HANDSHAKESERVER %s|%s|%s|%s|%s|%d|%s|%s', [H.Get, H.Host, H.Origin,
    H.Key, H.Version, Ord(H.Specification), H.Protocols, H.Extensions]));
  CB := Connection;
  HB := CB.HandShake;
  Kind := CB.Authentication.AuthType;
  Scan := CB.TCPEndOfFrameScanBuffer;
  if (HB <> H) or not (Kind in [authNone, authSession, authURL, authBasic, authToken]) or
    (Scan <> eofScanNone) or (eofScanLatestBytes = eofScanAllBytes) then
    Say('ERROR sgc type names');
  SubEv := ConnSubscription;
  Connection.OnSubscription := SubEv;
  SubEv := ConnUnSubscription;
  Connection.OnUnSubscription := SubEv;
  UpdEv := ConnUpdate;
  Connection.OnUpdate := UpdEv;
  SSEEv := ConnSSECustomizeHeaders;
  Connection.OnSSECustomizeHeaders := SSEEv;
  Connection.OnAuthentication := WSServerAuthentication;
end;

procedure TServerForm.ConnSubscription(Connection: TsgcWSConnection; const Subscription: string);
begin
  Say('SUBSCRIPTION ' + Subscription + ' ' + BoolToStr(Connection.Subscribed(Subscription), True));
end;

procedure TServerForm.ConnUnSubscription(Connection: TsgcWSConnection; const Subscription: string);
begin
  Say('UNSUBSCRIPTION ' + Subscription + ' ' + BoolToStr(Connection.Subscribed(Subscription), True));
end;

procedure TServerForm.ConnUpdate(Connection: TsgcWSConnection; aType: Integer);
begin
  Say('UPDATE');
end;

procedure TServerForm.ConnSSECustomizeHeaders(Connection: TsgcWSConnection; var Headers: TStringList);
begin
  Say('SSEHEADERS');
end;

{ 'ok' when Proc raises EIocpWs (sgc's members the engine has no equivalent
  for), else 'no' }
function RaisesIocpWs(Connection: TsgcWSConnection; What: Integer): string;
begin
  Result := 'ok';
  try
    case What of
      0: Connection.SendResponseHTTP('x', 'text/plain');
      1: Connection.AddTCPEndOfFrame(10);
      2: Connection.TCPEndOfFrameScanBuffer := eofScanAllBytes;
      3: Connection.WriteAndWaitData('x', 10);
    end;
    Result := 'no';
  except
    on EsgcWebSocketException do
      ;
  end;
end;

procedure TServerForm.WSServerMessage(Connection: TsgcWSConnection; const Text: string);
var
  L: TList;
  N, I: Integer;
  Cmd, Arg: string;
  Grp: TsgcWSServerGroups;
  Item: TsgcWSServerGroupItem;
  Base: TsgcQueueItemBase;
begin
  Say('MESSAGE ' + Text);
  if Copy(Text, 1, 4) <> 'cmd:' then
  begin
    Connection.WriteData(Text);
    Exit;
  end;
  Cmd := Copy(Text, 5, MaxInt);
  Arg := '';
  I := Pos(' ', Cmd);
  if I > 0 then
  begin
    Arg := Copy(Cmd, I + 1, MaxInt);
    Cmd := Copy(Cmd, 1, I - 1);
  end;
  if Cmd = 'info' then
    Connection.WriteData(Format('info %s|%s|%d|%d|%d|%s|%s|%s|%d|%d', [
      Connection.HeadersRequest.Values['Host'],
      Connection.HeadersResponse[0],
      Connection.RecBytes, Connection.SendBytes,
      Ord(Connection.Transport), Connection.LocalIP,
      BoolToStr(Connection.LastPing <> 0, True),
      BoolToStr(Connection.LastPong <> 0, True),
      Connection.LocalPort, WSServer.Count]))
  else if Cmd = 'join' then
    { sgc's Groups: 'cmd:join room.1' }
    Connection.WriteData(Format('join %s %d', [BoolToStr(WSServer.Groups.Add(Arg, Connection), True),
      WSServer.Groups.Group[Arg].Count]))
  else if Cmd = 'leave' then
  begin
    WSServer.Groups.Remove(Connection);
    Connection.WriteData(Format('leave %d', [WSServer.Groups.Count]));
  end
  else if Cmd = 'groupcast' then
    { 'cmd:groupcast room.* text': every group matching the mask }
    WSServer.Groups.BroadCast(Copy(Arg, 1, Pos(' ', Arg) - 1), Copy(Arg, Pos(' ', Arg) + 1, MaxInt))
  else if Cmd = 'clients' then
  begin
    { sgc's TsgcWSServerGroupItem.Clients: 'cmd:clients room.1' }
    Grp := WSServer.Groups;
    L := Grp.Group[Arg].Clients.LockList;
    try
      N := L.Count;
      Cmd := BoolToStr(L.IndexOf(Connection) >= 0, True);
    finally
      Grp.Group[Arg].Clients.UnlockList;
    end;
    Connection.WriteData(Format('clients %d %d %s %s', [N, Grp.Group[Arg].Clients.Count, Cmd,
      BoolToStr(Grp.Group[Arg].Clients.Connection[0] <> nil, True)]));
  end
  else if Cmd = 'groupitems' then
  begin
    { sgc's list internals of TsgcWSServerGroups }
    Grp := WSServer.Groups;
    Item := TsgcWSServerGroupItem.Create(nil, 'manual');
    Item.Order := -5;
    Grp.AddItem(Item);
    Cmd := BoolToStr((Grp.GetItem('manual') = Item) and (Grp.GetValue('MANUAL') = Item), True);
    Grp.AddKey(Item, 'manual');
    try
      Grp.AddKey(Item, 'other');
      Cmd := Cmd + ' addkey-accepted';
    except
      on EsgcWebSocketException do Cmd := Cmd + ' addkey-refused';
    end;
    Grp.SortByOrder(True);
    Base := Grp.Item[0];
    Cmd := Cmd + Format(' %s %d %d', [Base.ID, Base.Order, Grp.Count]);
    Grp.DeleteKey(0, 'manual');
    Cmd := Cmd + Format(' %d', [Grp.Count]);
    Grp.AddItem(TsgcWSServerGroupItem.Create(nil, 'manual2'));
    Grp.RemoveItem(Grp.GetItem('manual2'), FromBeginning);
    Cmd := Cmd + Format(' %d', [Grp.Count]);
    Grp.AddItem(TsgcWSServerGroupItem.Create(nil, 'manual3'));
    Grp.Delete(Grp.Count - 1);
    Connection.WriteData(Format('groupitems %s %d', [Cmd, Grp.Count]));
  end
  else if Cmd = 'internals' then
  begin
    { sgc's connection internals: 'cmd:internals' }
    Connection.SetAuthenticationCloseCode(4401);
    Connection.ClearTCPEndOfFrame;
    Connection.TCPEndOfFrameScanBuffer := eofScanNone;
    Connection.WriteData(Format('internals %s|%s|%s|%s|%s|%s|%d|%s|%s|%s|%s|%s|%d|%s|%s|%s', [
      Connection.MsgReceived, Connection.MsgError,
      RaisesIocpWs(Connection, 0), RaisesIocpWs(Connection, 1),
      RaisesIocpWs(Connection, 2), RaisesIocpWs(Connection, 3),
      Ord(Connection.TCPEndOfFrameScanBuffer),
      BoolToStr(Connection.Forward_HTTP.Enabled, True),
      BoolToStr(Connection.RawException = nil, True),
      BoolToStr(Connection.MsgBinaryReceived.Size = 0, True),
      BoolToStr(Connection.Enabled, True),
      BoolToStr(Connection.ValidateUTF8 and Connection.CleanDisconnect, True),
      Ord(Connection.FragmentedMessages),
      BoolToStr(Connection.RaiseDisconnectExceptions, True),
      BoolToStr((Connection.Extensions <> nil) and (Connection.QueueOptions <> nil), True),
      Connection.MsgException]));
  end
  else if Cmd = 'raise2' then
    raise Exception.Create('boom2')
  else if Cmd = 'groups' then
  begin
    { sgc's type names for them, from sgcWebSocket_iocp }
    Grp := WSServer.Groups;
    if Grp.ListType = tdlThreadDictionary then
      Connection.WriteData(Format('groups %d %s', [Grp.Count, BoolToStr(Grp.IsEmpty, True)]));
  end
  else if Cmd = 'conn' then
    { TsgcWSConnection(Server)'s copies of the server's settings }
    Connection.WriteData(Format('conn %s|%s|%s|%s|%d|%d|%d|%s|%s|%s', [
      Connection.ServerOriginsAllowed, BoolToStr(Connection.ServerSSL, True),
      BoolToStr(Connection.EnforceWebSocketVersion, True),
      BoolToStr(Connection.ValidateWebSocketKey, True),
      Ord(Connection.IOHandlerType), Connection.ReadTimeOut,
      Connection.MaxMessageSize, BoolToStr(Connection.FirstPing <> 0, True),
      BoolToStr(Connection.CanFree, True), BoolToStr(Connection.Masked, True)]))
  else if Cmd = 'whoami' then
    Connection.WriteData(Format('whoami %d %s|%s', [Connection.ListenerIndex,
      Connection.ClientCertificateSubject, Connection.ClientCertificateIssuer]))
  else if Cmd = 'ping' then
  begin
    Connection.Ping('p');
    Connection.WriteData('pinged ' + BoolToStr(Connection.LastPing <> 0, True));
  end
  else if Cmd = 'sub' then
  begin
    Connection.Subscribe(Arg);
    Connection.WriteData(Format('sub %s %d %s', [BoolToStr(Connection.Subscribed(Arg), True),
      Connection.Subscriptions.Count, Connection.Subscriptions.Text]));
  end
  else if Cmd = 'dosub' then
  begin
    Connection.DoSubscribe(Arg);
    Connection.DoUnSubscribe('b');
    Connection.WriteData(Format('dosub %s %s %d', [Connection.LastSubscription,
      Connection.LastUnSubscription, Connection.Subscriptions.Count]));
  end
  else if Cmd = 'more' then
  begin
    WSServer.EnterCS;
    WSServer.LeaveCS;
    WSServer.QueueClear;
    Connection.WriteData(Format('more %d %d %s %s %s %s %s', [
      Ord(Connection.Specification), Ord(Connection.IPVersion),
      BoolToStr(Connection.Active, True),
      BoolToStr((Connection.CreatedAt > 0) and (Connection.LastMsgRcv >= Connection.CreatedAt), True),
      BoolToStr(WSServer.AssignedCS, True),
      BoolToStr(WSServer.ConnectionsByGUID[Connection.Guid] = Connection, True),
      BoolToStr(WSServer.Connections[0] = Connection, True)]));
  end
  else if Cmd = 'stream' then
  begin
    { sgc's streaming: three pieces, one message }
    Connection.WriteData('a', 0, stmFirst);
    Connection.WriteData(Arg, 0, stmContinue);
    Connection.WriteData('z', 1, stmLast);
  end
  else if Cmd = 'list' then
  begin
    L := WSServer.LockList;
    try
      N := L.Count;
      for I := 0 to L.Count - 1 do
        if TsgcWSConnection(L[I]).Guid = '' then
          N := -1;
    finally
      WSServer.UnLockList;
    end;
    Connection.WriteData('list ' + IntToStr(N) + ' ' + WSServer.Version);
  end
  else if Cmd = 'close' then
    Connection.Close(4001, Arg)
  else if Cmd = 'disconnect' then
    Connection.Disconnect
  else if Cmd = 'peer' then
    Connection.DisconnectPeer;
end;

procedure TServerForm.WSServerBinary(Connection: TsgcWSConnection; const Data: TMemoryStream);
begin
  Say('BINARY ' + IntToStr(Data.Size));
  Say('MSGBINARY ' + BoolToStr(Connection.MsgBinaryReceived = Data, True));
  Connection.WriteData(Data);
end;

procedure TServerForm.WSServerFragmented(Connection: TsgcWSConnection;
  const Data: TMemoryStream; const OpCode: TOpCode; const Continuation: Boolean);
begin
  Say(Format('FRAGMENT %d %d %s', [Ord(OpCode), Data.Size, BoolToStr(Continuation, True)]));
end;

procedure TServerForm.WSServerDisconnect(Connection: TsgcWSConnection; Code: Integer);
var
  R: string;
begin
  R := Connection.CloseReason;
  if R = '' then
    R := '-';
  Say(Format('DISCONNECT %d %s %d %d', [Code, R, Connection.RecBytes, Connection.SendBytes]));
end;

procedure TServerForm.WSServerError(Connection: TsgcWSConnection; const Error: string);
begin
  Say('ERROR ' + Error);
end;

procedure TServerForm.WSServerException(Connection: TsgcWSConnection; E: Exception);
begin
  Say('EXCEPTION ' + E.ClassName + ' ' + E.Message);
  if Connection <> nil then
    Say('RAWEXCEPTION ' + BoolToStr(Connection.RawException = E, True) + ' ' +
      Connection.MsgException);
end;

procedure TServerForm.WSServerBeforeHeartBeat(Sender: TObject;
  const Connection: TsgcWSConnection; var Handled: Boolean);
begin
  if Sender <> WSServer then
    Say('ERROR OnBeforeHeartBeat: Sender is not the server');
  Say('BEFOREHEARTBEAT ' + Connection.Guid);
  Handled := HeartBeatHandled;
end;

procedure TServerForm.WSServerBearer(Connection: TsgcWSConnection;
  AuthType, AuthData: string; var aUser, aPassword: string;
  var Authenticated: Boolean);
begin
  Say('UNKNOWNAUTH ' + AuthType + ' ' + AuthData);
  Authenticated := (AuthType = 'Bearer') and (AuthData = 'good-token');
  if Authenticated then
    aUser := 'token-user';
end;

procedure TServerForm.HTTPBeforeCommand(const aConnection: TsgcWSConnection;
  ARequestInfo: TIdHTTPRequestInfo; AResponseInfo: TIdHTTPResponseInfo;
  var aOptions: TsgcHTTPCommandOptions);
var
  C: string;
begin
  if aConnection = nil then
    C := 'nil'
  else
    C := aConnection.Guid;
  Say('BEFORECOMMAND ' + ARequestInfo.Command + ' ' + ARequestInfo.Document + ' ' + C);
  if aOptions <> [] then
    Say('ERROR OnBeforeCommand: aOptions does not start empty');
  if ARequestInfo.Document = '/private' then
    aOptions := [hcoUnauthorized]
  else if Copy(ARequestInfo.Document, 1, 6) = '/basic' then
    aOptions := [hcoAuthorizedBasic]
  else if ARequestInfo.Document = '/raise' then
    raise Exception.Create('refused by raising');
end;

procedure TServerForm.GateCommandGet(AContext: TIdContext;
  ARequestInfo: TIdHTTPRequestInfo; AResponseInfo: TIdHTTPResponseInfo);
begin
  Say('HTTP ' + ARequestInfo.Command + ' ' + ARequestInfo.Document);
  AResponseInfo.ContentType := 'text/plain';
  AResponseInfo.ContentText := 'ok ' + ARequestInfo.Document;
end;

procedure TServerForm.HTTPBeforeForward(Connection: TsgcWSConnection;
  ARequestInfo: TIdHTTPRequestInfo; aForward: TsgcWSServerForwardHTTP);
begin
  aForward.Enabled := True;
  aForward.URL := 'http://127.0.0.1:1' + ARequestInfo.Document;
  aForward.TLSOptions.Version := tls1_2;
  Say('ERROR OnBeforeForwardHTTP was called: ' + aForward.GetForwardURL);
end;

procedure TServerForm.GroupClientAdded(Sender: TObject; const aGroup: TsgcWSServerGroupItem;
  const aConnection: TsgcWSConnection);
begin
  if Sender <> WSServer.Groups then
    Say('ERROR OnClientAdded: Sender is not Groups');
  Say('GROUP_ADDED ' + aGroup.ID + ' ' + aConnection.Guid);
end;

procedure TServerForm.GroupClientRemoved(Sender: TObject; const aGroup: TsgcWSServerGroupItem;
  const aConnection: TsgcWSConnection);
begin
  if Sender <> WSServer.Groups then
    Say('ERROR OnClientRemoved: Sender is not Groups');
  Say('GROUP_REMOVED ' + aGroup.ID + ' ' + aConnection.Guid);
end;

procedure CheckSender(F: TServerForm; Sender: TObject; const Event: string);
begin
  if Sender <> F.HTTPServer then
    Say('ERROR ' + Event + ': Sender is not the server');
end;

procedure TServerForm.UploadCommandGet(AContext: TIdContext;
  ARequestInfo: TIdHTTPRequestInfo; AResponseInfo: TIdHTTPResponseInfo);
var
  P: string;
begin
  if ARequestInfo.PostStream = nil then
    P := 'nil'
  else
    P := IntToStr(ARequestInfo.PostStream.Size);
  Say('HTTP ' + ARequestInfo.Command + ' ' + ARequestInfo.Document + ' ' + P);
  AResponseInfo.ContentType := 'text/plain';
  AResponseInfo.ContentText := 'done';
end;

procedure TServerForm.RawUploadCommandGet(AContext: TIdContext;
  ARequestInfo: TIdHTTPRequestInfo; AResponseInfo: TIdHTTPResponseInfo);
var
  P: TStream;
  Buf: array[0..65535] of Byte;
  N, I: Integer;
  H: Cardinal;
  Size: Int64;
  Pos0, Name, Exists: string;
begin
  P := ARequestInfo.PostStream;
  if P = nil then
  begin
    Say('RAWPOST nil');
    AResponseInfo.ContentText := 'nil';
    Exit;
  end;
  Pos0 := IntToStr(P.Position);
  if P is TFileStream then
  begin
    Name := TFileStream(P).FileName;
    if FileExists(Name) then
      Exists := 'exists'
    else
      Exists := 'missing';
  end
  else
  begin
    Name := P.ClassName;
    Exists := '-';
  end;
  { FNV-1a, 32 bits }
  H := $811C9DC5;
  Size := 0;
  repeat
    N := P.Read(Buf, SizeOf(Buf));
    for I := 0 to N - 1 do
      H := (H xor Buf[I]) * 16777619;
    Inc(Size, N);
  until N <= 0;
  Say('RAWPOST ' + IntToStr(Size) + ' ' + IntToHex(H, 8) + ' ' + Pos0 + ' ' +
    Name + ' ' + Exists);
  AResponseInfo.ContentType := 'text/plain';
  AResponseInfo.ContentText := IntToStr(Size) + ' ' + IntToHex(H, 8);
end;

procedure TServerForm.UploadBeforeCreatePostStream(Sender: TObject;
  const Connection: TsgcWSConnection; const aHeaders: TStrings; var Accept: Boolean);
var
  I: Integer;
  CT: string;
begin
  CheckSender(Self, Sender, 'OnHTTPUploadBeforeCreatePostStream');
  CT := '-';
  for I := 0 to aHeaders.Count - 1 do
  begin
    if SameText(Copy(aHeaders[I], 1, 13), 'Content-Type:') then
      CT := Trim(Copy(aHeaders[I], 14, MaxInt));
    if SameText(aHeaders[I], 'X-Refuse: 1') then
      Accept := False;
  end;
  if Pos(';', CT) > 0 then
    CT := Copy(CT, 1, Pos(';', CT) - 1);
  Say('UPLOAD_CREATE ' + CT);
end;

procedure TServerForm.UploadBeforeSaveFile(Sender: TObject; var aFileName, aFilePath: string);
begin
  CheckSender(Self, Sender, 'OnHTTPUploadBeforeSaveFile');
  Say('UPLOAD_BEFORE ' + aFileName + ' ' + aFilePath);
  if aFileName = 'rename-me.txt' then
    aFileName := 'renamed.txt'
  else if aFileName = 'skip.bin' then
    aFileName := '';
end;

procedure TServerForm.UploadAfterSaveFile(Sender: TObject; const aFileName, aFilePath: string);
begin
  CheckSender(Self, Sender, 'OnHTTPUploadAfterSaveFile');
  Say('UPLOAD_AFTER ' + aFileName + ' ' + aFilePath);
end;

procedure TServerForm.UploadReadInput(Sender: TObject; const aName, aValue: string);
begin
  CheckSender(Self, Sender, 'OnHTTPUploadReadInput');
  Say('UPLOAD_INPUT ' + aName + '=' + aValue);
end;

{ sgc's HTTP server with Indy's sessions (httpsessions=...) }
procedure TServerForm.HTTPCommandGet(AContext: TIdContext;
  ARequestInfo: TIdHTTPRequestInfo; AResponseInfo: TIdHTTPResponseInfo);
var
  S: TIdHTTPSession;
begin
  S := ARequestInfo.Session;
  AResponseInfo.ContentType := 'text/plain';
  if S <> AResponseInfo.Session then
    AResponseInfo.ContentText := 'request and response sessions differ'
  else if S = nil then
    AResponseInfo.ContentText := 'nosession'
  else if ARequestInfo.Document = '/s/set' then
  begin
    S.Lock;
    try
      S.Content.Values['v'] := ARequestInfo.Params.Values['v'];
    finally
      S.Unlock;
    end;
    AResponseInfo.ContentText := 'set ' + S.SessionID;
  end
  else if ARequestInfo.Document = '/s/logout' then
  begin
    AResponseInfo.CloseSession; { Indy's: ends it, expires the cookie }
    if AResponseInfo.Session = nil then
      AResponseInfo.ContentText := 'closed'
    else
      AResponseInfo.ContentText := 'still open';
  end
  else if ARequestInfo.Document = '/s/end' then
  begin
    if HTTPServer.EndSession(S.SessionID) then
      AResponseInfo.ContentText := 'ended'
    else
      AResponseInfo.ContentText := 'not ended';
  end
  else
  begin
    S.Lock;
    try
      AResponseInfo.ContentText := 'id=' + S.SessionID + ' v=' + S.Content.Values['v'] +
        ' ip=' + S.RemoteHost;
    finally
      S.Unlock;
    end;
  end;
end;

procedure TServerForm.HTTPSessionStart(Sender: TIdHTTPSession);
begin
  Say('SESSION_START ' + Sender.SessionID);
end;

procedure TServerForm.HTTPSessionEnd(Sender: TIdHTTPSession);
begin
  Say('SESSION_END ' + Sender.SessionID + ' v=' + Sender.Content.Values['v']);
end;

procedure TServerForm.HTTPCreateSession(ASender: TIdContext; var VHTTPSession: TIdHTTPSession);
begin
  Say('CREATE_SESSION');
  VHTTPSession := nil; { the list makes it }
end;

procedure TServerForm.HTTPInvalidSession(AContext: TIdContext; ARequestInfo: TIdHTTPRequestInfo;
  AResponseInfo: TIdHTTPResponseInfo; var VContinueProcessing: Boolean;
  const AInvalidSessionID: string);
begin
  Say('INVALID_SESSION ' + AInvalidSessionID);
  if AInvalidSessionID = 'reject' then
  begin
    VContinueProcessing := False;
    AResponseInfo.ResponseNo := 403;
    AResponseInfo.ContentText := 'refused';
  end;
end;

var
  F: TServerForm;
  I, J, K: Integer;
  Opt, OptName, OptValue: string;
  Parts: TStringList;
  Quit: Boolean;
  Line: string;
begin
  InitCriticalSection(OutLock);
  {$ifdef FPC}
  { as bindings/pascal/README.md says for mode delphi: UTF-8 as the system
    code page, so Format and concatenations keep the component's UTF-8
    text (on Windows the start-up code page would be 1252) }
  DefaultSystemCodePage := CP_UTF8;
  {$endif}
  F := TServerForm.Create(nil);
  F.WSServer := TsgcWebSocketServer.Create(F);
  with F.WSServer do
  begin
    Port := 0;
    Host := '127.0.0.1';
    NotifyEvents := neNoSync;
    OnStartup := F.WSServerStartup;
    OnConnect := F.WSServerConnect;
    OnMessage := F.WSServerMessage;
    OnBinary := F.WSServerBinary;
    OnDisconnect := F.WSServerDisconnect;
    OnError := F.WSServerError;
    OnException := F.WSServerException;
    OnTCPConnect := F.WSServerTCPConnect;
    OnAuthentication := F.WSServerAuthentication;
    OnHandshake := F.WSServerHandshake;
    OnFragmented := F.WSServerFragmented;
    IOHandlerOptions.IOHandlerType := iohIOCP;
    IOHandlerOptions.IOCP.IOCPThreads := 2;
    IOHandlerOptions.IOCP.WorkOpThreads := 0;
    IOHandlerOptions.IOCP.AcceptExMultiplier := 2;
    HeartBeat.HeartBeatType := hbtAlways;
    Options.ValidateUTF8 := True;
    Options.RaiseDisconnectExceptions := True;
    Extensions.PerMessage_Deflate.Enabled := False;
    Groups.OnClientAdded := F.GroupClientAdded;
    Groups.OnClientRemoved := F.GroupClientRemoved;
  end;
  for I := 1 to ParamCount do
  begin
    Opt := ParamStr(I);
    if Opt = '--opt' then
      Continue;
    OptName := Copy(Opt, 1, Pos('=', Opt) - 1);
    OptValue := Copy(Opt, Pos('=', Opt) + 1, MaxInt);
    with F.WSServer do
      if OptName = 'auth' then
      begin
        Authentication.Enabled := True;
        Authentication.AuthUsers.Add('user=pass');
        Authentication.AuthUsers.Add('ünï=pässwörd');
        Authentication.Basic.Enabled := (OptValue = 'basic') or (OptValue = 'all') or (OptValue = 'nonauth');
        Authentication.URL.Enabled := (OptValue = 'url') or (OptValue = 'all') or (OptValue = 'nonauth');
        Authentication.Session.Enabled := (OptValue = 'session') or (OptValue = 'all') or (OptValue = 'nonauth');
        Authentication.AllowNonAuth := OptValue = 'nonauth';
      end
      else if OptName = 'origins' then
        SecurityOptions.OriginsAllowed := OptValue
      else if OptName = 'protocols' then
        Options.Subprotocols := OptValue
      else if OptName = 'unknown' then
        OnUnknownProtocol := F.WSServerUnknownProtocol
      else if OptName = 'handshake' then
        HandshakeAdd := True
      else if OptName = 'keepalive' then
      begin
        TCPKeepAlive.Enabled := True;
        TCPKeepAlive.Time := 5000;
        TCPKeepAlive.Interval := 1000;
      end
      else if OptName = 'basicheaders' then
        Authentication.Basic.CustomHeaders.Add('X-Auth-Hint: user=pass')
      else if OptName = 'fragments' then
      begin
        if OptValue = 'only' then
          Options.FragmentedMessages := frgOnlyFragmented
        else
          Options.FragmentedMessages := frgAll;
      end
      else if OptName = 'noequiv' then
      begin
        LoadBalancer.Enabled := True;
        FallBack.ServerSentEvents.Enabled := True;
        TCPKeepAlive.Enabled := True;
        TCPKeepAlive.Time := 5000;
        TCPKeepAlive.Interval := 500;
        HeartBeat.HeartBeatType := hbtOnlyIfNoMsgRcvInterval;
        OnBeforeHeartBeat := F.WSServerBeforeHeartBeat;
        Options.ReadTimeOut := 5;
        Options.WriteTimeOut := 7;
        Options.HTMLFiles := False;
        Options.JavascriptFiles := False;
        Specifications.Drafts.Hixie76 := True;
        SSLOptions.OpenSSL_Options.APIVersion := oslAPI_3_0;
        IOHandlerOptions.IOCP.TimeOut := 500;
        ThreadPool := True;
        Optimizations.Connections.Enabled := True;
        Optimizations.ConnectionsFree.Interval := 60;
        ClientLoadBalancer.Active := True;
        OnUnknownAuthentication := F.WSServerUnknownAuthentication;
        OnSSLALPNSelect := F.WSServerSSLALPNSelect;
        OnSSLVerifyPeer := F.WSServerSSLVerifyPeer;
        OnHTTPUploadReadInput := F.WSServerHTTPUploadReadInput;
        OnHTTPUploadBeforeCreatePostStream := F.WSServerHTTPUploadBeforeCreatePostStream;
        OnLoadBalancerError := F.WSServerLoadBalancerError;
        { a firewall wired but switched off: reported, the server runs }
        Firewall := TsgcWebSocketFirewall.Create(F);
        Firewall.Name := 'sgcWebSocketFirewall1';
        Firewall.Blacklist.IPs.Add('10.0.0.1');
        Firewall.OnFiltered := F.FirewallFiltered;
      end
      else if OptName = 'secure' then
      begin
        { sgc's security components, enabled: Start must refuse }
        if OptValue = 'firewall' then
        begin
          Firewall := TsgcWebSocketFirewall.Create(F);
          Firewall.Enabled := True;
          Firewall.BruteForce.Enabled := True;
          Firewall.BruteForce.MaxAttempts := 5;
        end
        else if OptValue = 'ratelimiter' then
        begin
          RateLimiter := TsgcWSRateLimiter.Create(F);
          RateLimiter.Enabled := True;
          RateLimiter.PerIP.MaxRequests := 10;
          RateLimiter.PerIP.Strategy := rlsSliding;
        end
        else if OptValue = 'apikey' then
        begin
          APIKeyManager := TsgcWSAPIKeyManager.Create(F);
          APIKeyManager.Enabled := True;
          APIKeyManager.Validation.HeaderName := 'X-API-Key';
          APIKeyManager.Storage.StorageType := kstMemory;
        end
        else if OptValue = 'jwt' then
        begin
          Authentication.Enabled := True;
          Authentication.AllowNonAuth := True;
          Authentication.JWT.JWT := TsgcHTTP_JWT_Server.Create(F);
        end
        else if OptValue = 'oauth2' then
        begin
          Authentication.Enabled := True;
          Authentication.OAuth.OAuth2 := TsgcHTTP_OAuth2_Server.Create(F);
        end
        else if OptValue = 'freed' then
        begin
          { a component freed after it was assigned leaves no reference }
          Firewall := TsgcWebSocketFirewall.Create(F);
          Firewall.Enabled := True;
          Firewall.Free;
          Authentication.Enabled := True;
          Authentication.AllowNonAuth := True;
          Authentication.JWT.JWT := TsgcHTTP_JWT_Server.Create(F);
          Authentication.JWT.JWT.Free;
          if (Firewall <> nil) or (Authentication.JWT.JWT <> nil) then
            Say('ERROR a freed component is still referenced');
        end;
      end
      else if OptName = 'verifycert' then
      begin
        SSLOptions.VerifyCertificate := True;
        SSLOptions.VerifyDepth := 2;
      end
      else if OptName = 'verifypeer' then
      begin
        VerifyPeerMode := OptValue;
        OnSSLVerifyPeer := F.WSServerSSLVerifyPeer;
      end
      else if OptName = 'failifnocert' then
        SSLOptions.VerifyCertificate_Options.FailIfNoCertificate := True
      else if OptName = 'ssl' then
      begin
        SSL := True;
        SSLOptions.Port := StrToInt(OptValue);
      end
      else if OptName = 'cert' then
        SSLOptions.CertFile := OptValue
      else if OptName = 'key' then
        SSLOptions.KeyFile := OptValue
      else if OptName = 'ca' then
        SSLOptions.RootCertFile := OptValue
      else if OptName = 'bindings' then
      begin
        Parts := TStringList.Create;
        try
          Parts.Delimiter := ',';
          Parts.StrictDelimiter := True;
          Parts.DelimitedText := OptValue;
          Bindings.Clear;
          for K := 0 to Parts.Count - 1 do
            with Bindings.Add do
            begin
              { IP:Port, or [IPv6]:Port }
              J := LastDelimiter(':', Parts[K]);
              IP := Copy(Parts[K], 1, J - 1);
              if (IP <> '') and (IP[1] = '[') then
                IP := Copy(IP, 2, Length(IP) - 2);
              Port := StrToInt(Copy(Parts[K], J + 1, MaxInt));
            end;
        finally
          Parts.Free;
        end;
      end
      else if OptName = 'epoll' then
      begin
        IOHandlerOptions.IOHandlerType := iohEPOLL;
        IOHandlerOptions.EPOLL.EPOLLThreads := StrToInt(OptValue);
        IOHandlerOptions.EPOLL.WorkOpThreads := 1;
        IOHandlerOptions.EPOLL.HandshakeTimeoutMS := 5000;
      end
      else if OptName = 'cleandisconnect' then
        Options.CleanDisconnect := True
      else if OptName = 'maxmsg' then
        MaxMessageSize := StrToInt64(OptValue)
      else if OptName = 'heartbeat' then
      begin
        Parts := TStringList.Create;
        try
          Parts.CommaText := OptValue;
          HeartBeat.Enabled := True;
          HeartBeat.Interval := StrToInt(Parts[0]);
          HeartBeat.Timeout := 0;
          if Parts[1] = 'idle' then
            HeartBeat.HeartBeatType := hbtOnlyIfNoMsgRcvInterval;
          HeartBeatHandled := Parts[2] = 'handled';
          if (Parts.Count < 4) or (Parts[3] <> 'late') then
            OnBeforeHeartBeat := F.WSServerBeforeHeartBeat;
        finally
          Parts.Free;
        end;
      end
      else if OptName = 'bearer' then
        OnUnknownAuthentication := F.WSServerBearer
      else if OptName = 'httpsessions' then
      begin
        F.HTTPServer := TsgcWebSocketHTTPServer.Create(F);
        F.HTTPServer.Port := 0;
        F.HTTPServer.Host := '127.0.0.1';
        F.HTTPServer.NotifyEvents := neNoSync;
        F.HTTPServer.SessionState := True;
        F.HTTPServer.AutoStartSession := True;
        F.HTTPServer.SessionTimeOut := StrToInt(OptValue);
        F.HTTPServer.OnCommandGet := F.HTTPCommandGet;
        F.HTTPServer.OnSessionStart := F.HTTPSessionStart;
        F.HTTPServer.OnSessionEnd := F.HTTPSessionEnd;
        F.HTTPServer.OnCreateSession := F.HTTPCreateSession;
        F.HTTPServer.OnInvalidSession := F.HTTPInvalidSession;
        F.HTTPServer.OnError := F.WSServerError;
      end
      else if OptName = 'beforecommand' then
      begin
        { sgc's OnBeforeCommand: public and authenticated endpoints on
          one server }
        F.HTTPServer := TsgcWebSocketHTTPServer.Create(F);
        F.HTTPServer.Port := 0;
        F.HTTPServer.Host := '127.0.0.1';
        F.HTTPServer.NotifyEvents := neNoSync;
        F.HTTPServer.Authentication.AuthUsers.Add('user=pass');
        F.HTTPServer.Authentication.Basic.CustomHeaders.Add('X-Auth-Hint: user=pass');
        F.HTTPServer.OnAuthentication := F.WSServerAuthentication;
        F.HTTPServer.OnBeforeCommand := F.HTTPBeforeCommand;
        F.HTTPServer.OnBeforeForwardHTTP := F.HTTPBeforeForward;
        F.HTTPServer.OnCommandGet := F.GateCommandGet;
        if OptValue <> 'getonly' then
          F.HTTPServer.OnCommandOther := F.GateCommandGet;
        F.HTTPServer.OnError := F.WSServerError;
        F.HTTPServer.OnException := F.WSServerException;
        if OptValue = 'docroot' then
          F.HTTPServer.DocumentRoot := GetCurrentDir;
      end
      else if OptName = 'upload' then
      begin
        { sgc's HTTP Post Big File demo, with every upload event }
        F.HTTPServer := TsgcWebSocketHTTPServer.Create(F);
        F.HTTPServer.Port := 0;
        F.HTTPServer.Host := '127.0.0.1';
        F.HTTPServer.NotifyEvents := neNoSync;
        F.HTTPServer.MaxRequestBodySize := 8 * 1024 * 1024;
        F.HTTPServer.HTTPUploadFiles.StreamType := pstFileStream;
        F.HTTPServer.HTTPUploadFiles.SaveDirectory := OptValue;
        F.HTTPServer.OnCommandGet := F.UploadCommandGet;
        F.HTTPServer.OnHTTPUploadBeforeCreatePostStream := F.UploadBeforeCreatePostStream;
        F.HTTPServer.OnHTTPUploadBeforeSaveFile := F.UploadBeforeSaveFile;
        F.HTTPServer.OnHTTPUploadAfterSaveFile := F.UploadAfterSaveFile;
        F.HTTPServer.OnHTTPUploadReadInput := F.UploadReadInput;
        F.HTTPServer.OnError := F.WSServerError;
        F.HTTPServer.OnException := F.WSServerException;
      end
      else if OptName = 'uploadraw' then
      begin
        { RemoveBoundaries = False: the raw body as PostStream }
        F.HTTPServer := TsgcWebSocketHTTPServer.Create(F);
        F.HTTPServer.Port := 0;
        F.HTTPServer.Host := '127.0.0.1';
        F.HTTPServer.NotifyEvents := neNoSync;
        F.HTTPServer.MaxRequestBodySize := 8 * 1024 * 1024;
        F.HTTPServer.HTTPUploadFiles.StreamType := pstFileStream;
        F.HTTPServer.HTTPUploadFiles.RemoveBoundaries := False;
        F.HTTPServer.HTTPUploadFiles.SaveDirectory := OptValue;
        F.HTTPServer.OnCommandGet := F.RawUploadCommandGet;
        F.HTTPServer.OnError := F.WSServerError;
        F.HTTPServer.OnException := F.WSServerException;
      end;
  end;
  if (VerifyPeerMode <> '') and (F.HTTPServer <> nil) then
    with F.HTTPServer do
    begin
      { sgc's HTTP server on TLS, verifying as the WebSocket server does }
      SSL := F.WSServer.SSL;
      SSLOptions.Port := 0;
      SSLOptions.CertFile := F.WSServer.SSLOptions.CertFile;
      SSLOptions.KeyFile := F.WSServer.SSLOptions.KeyFile;
      SSLOptions.RootCertFile := F.WSServer.SSLOptions.RootCertFile;
      SSLOptions.VerifyCertificate := F.WSServer.SSLOptions.VerifyCertificate;
      SSLOptions.VerifyDepth := F.WSServer.SSLOptions.VerifyDepth;
      OnSSLVerifyPeer := F.WSServerSSLVerifyPeer;
    end;
  try
    F.WSServer.Active := True;
    for K := 0 to F.WSServer.ListenerCount - 1 do
      if F.WSServer.ListenerIsTLS(K) then
        Say(Format('LISTENER %d %d tls', [K, F.WSServer.ListenerPort(K)]))
      else
        Say(Format('LISTENER %d %d plain', [K, F.WSServer.ListenerPort(K)]));
    if F.HTTPServer <> nil then
    begin
      F.HTTPServer.Active := True;
      Say('HTTPPORT ' + IntToStr(F.HTTPServer.ListeningPort));
    end;
    Say('PORT ' + IntToStr(F.WSServer.ListeningPort));
  except
    on E: Exception do
    begin
      Say('START_FAILED ' + E.Message);
      Say('PORT 0');
    end;
  end;
  { until stdin says quit (or closes) }
  Quit := False;
  while not Quit do
  begin
    if Eof(Input) then
      Break;
    ReadLn(Line);
    Quit := Line = 'quit';
    if (Line = 'httpstop') and (F.HTTPServer <> nil) then
    begin
      F.HTTPServer.Active := False; { Indy's Shutdown: the sessions end }
      Say('HTTPSTOPPED');
    end;
    if Line = 'hbhandler' then
    begin
      F.WSServer.Active := False;
      F.WSServer.OnBeforeHeartBeat := F.WSServerBeforeHeartBeat;
      F.WSServer.Active := True;
      Say('RESTARTED ' + IntToStr(F.WSServer.ListeningPort) + ' ' +
        IntToStr(F.WSServer.GetStats.connections_total));
    end;
  end;
  F.WSServer.Active := False;
  if F.HTTPServer <> nil then
    F.HTTPServer.Active := False;
  F.Free;
  Say('BYE');
end.
