{ iocpws_test - the Pascal bindings' test program (Free Pascal).

    iocpws_test selftest [--lib PATH] [--fake-abi PATH]
        In-process checks: record layout against iws_struct_layout, versions,
        bad input raising EIocpWs (never an access violation), options,
        strings, FPU control words; built with -dIOCPWS_DYNAMIC also the
        loader's errors (missing library, missing function, another ABI:
        --fake-abi names a library exporting every iws_ name whose
        iws_abi_version returns 99, built by run.sh). Prints one
        line per check ("ok - name" / "not ok - name: why") and ends with
        "N passed, N failed"; exit code 0 when nothing failed.

    iocpws_test [server] [--opt NAME=VALUE]...
        A TIocpWebSocketServer on 127.0.0.1, port 0, for tests/pascal/
        test_pascal.py and its real clients. Options:
          mode=async|sync|nosync   NotifyEvents (default async)
          handlers=none            no event handler at all
          onexception=none         no OnException (exceptions go to OnError)
          fpu=masked               mask FPU exceptions in the host (the
                                   default keeps Free Pascal's: unmasked)
          workers=N                IOHandlerOptions.IOCP.WorkOpThreads
          protocols=a,b            Options.Subprotocols
          maxconn=N                MaxConnections
          heartbeat=I,T            HeartBeat on, Interval I s, Timeout T s
          ssl=on                   SSL (wss://) on Port; with
          cert=F key=F ca=F password=P tlsversion=1.0|1.2|1.3
                                   SSLOptions (files as the server sees them)
          sni=HOST|CERT|KEY        AddSSLHost(HOST, CERT, KEY)
          handshake=on             OnHandshake prints
                                   HANDSHAKE <thread> <headers> <X-Test value>
          redis=URL                RedisURL (channels across servers)
          redisprefix=P            RedisPrefix
          docroot=DIR              DocumentRoot (as the server sees it)
          keepalive=off            KeepAlive := False
        HTTP (OnCommandGet for GET/HEAD/POST, OnCommandOther for the rest),
        each request printing HTTP <Command> <Document> <thread>:
          /params        text/plain lines: cmd=, doc=, uri=, query=, thread=,
                         ct=, len=, form=, unparsed=, body= (PostStream as
                         UTF-8), then one p:<name>=<value> per Params line
          /text          ContentText of non-ASCII text, text/plain
          /stream?n=N    ContentStream of N bytes (i*7+3) and 255
          /headers       CustomHeaders X-One, X-Two, two Set-Cookie,
                         CacheControl; the body is the X-Test header
          /missing       ResponseNo 404, ContentText 'nothing here'
          /redirect      Redirect('/text')
          /raise         the handler raises Exception('boom in http handler')
          /slow          sleeps 200 ms in the handler, answers 'slow'
          /file?name=F   ServeFile(AContext, DocumentRoot + '/' + F); the
                         body says 'missing' when ServeFile returned 0
          /auth          'auth <AuthExists> <AuthUsername> <AuthPassword>'
          /peer          'peer <RemoteIP> <Binding.PeerIP> <Binding.PeerPort>'
          other          'get <Command> <Document>'
          OnCommandOther 'other <Command> <Document> <body>', DELETE -> 204
        It prints one line per event, flushed:
          PORT <n>                        listening
          START_FAILED <code> <message>   Start raised EIocpWs (then PORT 0)
          CONNECT <id> <url> <thread>     thread = main | other
          DISCONNECT <id> <code>
          DOUBLE_DISCONNECT <id>          (a bug)
          EXCEPTION <id> <class> <message>
          ERROR <id> <text>
          STARTUP / SHUTDOWN              OnStartup / OnShutdown
          STOPPED active=<0|1> connects=<n> disconnects=<n>
          BYE connects=<n> disconnects=<n>
        Messages are echoed (text with WriteData(Text), binary with
        WriteData(stream)), except text commands:
          cmd:guid             reply "guid <Guid>"
          cmd:id               reply "id <Id>"
          cmd:thread           reply "thread main|other"
          cmd:raise            the handler raises Exception('boom in handler')
          cmd:bcast-excl TEXT  Broadcast(TEXT) excluding the sender;
                               reply "bcast-done"
          cmd:bcast-incl GUIDS TEXT  Broadcast(TEXT) to GUIDS (comma list)
          cmd:writeguid TEXT   Server.WriteData(own Guid, TEXT)
          cmd:count            reply "count <Count>"
          cmd:ping             Connection.Ping('hb'); reply "ping-rc 0" when
                               it was queued (what node_client.js expects)
          cmd:protocol         reply "protocol <Protocol or ->"
          cmd:bcast-proto P TEXT  Broadcast(TEXT) to connections of
                               subprotocol P; reply "bcast-done"
          cmd:fdiv             reply "fdiv <result or exception class>" of 1/0
          cmd:stop             Active := False inside the handler; prints
                               STOP_CALLED active=<0|1>
          cmd:close CODE       Connection.Close(CODE)
          cmd:sub CH           Connection.Subscribe(CH); reply "sub True|False"
          cmd:unsub CH         Connection.Unsubscribe(CH); reply "unsub .."
          cmd:chans            reply "chans A,B" (Connection.Channels)
          cmd:pub CH TEXT      Server.Broadcast(TEXT, CH); reply "pub-done"
          cmd:pubx CH TEXT     the same excluding the sender
          cmd:redis            reply "redis <connected> <out> <in>" (GetStats:
                               redis_connected, redis_out, redis_in)
        Standard input: "stop", "start" (prints PORT), "quit" (or EOF).
        Exit code 0 when every connect got exactly one disconnect. }
program iocpws_test;

{$I iocpws.defines.inc}
{$ifdef MSWINDOWS} {$APPTYPE CONSOLE} {$endif}

uses
  {$ifdef FPC} {$ifdef UNIX} cthreads, {$endif} {$endif}
  SysUtils, Classes, Math, iocpws.lib, iocpws.server;
{ built with -Mdelphiunicode too: Free Pascal's RTL strings are AnsiString }
{$I iocpws.warnings.inc}

{ ------------------------------------------------------------------------ }
{ output, shared by all threads                                             }
{ ------------------------------------------------------------------------ }

var
  OutLock: TRTLCriticalSection;

procedure Say(const S: string);
{$ifdef UNICODE}
var
  U: RawByteString;
{$endif}
begin
  EnterCriticalSection(OutLock);
  try
    {$ifdef UNICODE}
    { UTF-8 bytes as they are: Output is per thread in Free Pascal, and a
      library thread's Output converts to the Windows code page }
    U := UTF8Encode(S);
    {$ifdef FPC} SetCodePage(U, CP_NONE, False); {$endif}
    Writeln(U);
    {$else}
    Writeln(S);
    {$endif}
    Flush(Output);
  finally
    LeaveCriticalSection(OutLock);
  end;
end;

function ThreadName: string;
begin
  if GetCurrentThreadId = MainThreadID then
    Result := 'main'
  else
    Result := 'other';
end;

{ ------------------------------------------------------------------------ }
{ selftest                                                                  }
{ ------------------------------------------------------------------------ }

var
  Passed, Failed: Integer;

procedure Check(Ok: Boolean; const Name: string; const Why: string = '');
begin
  if Ok then
  begin
    Inc(Passed);
    Say('ok - ' + Name);
  end
  else
  begin
    Inc(Failed);
    Say('not ok - ' + Name + ': ' + Why);
  end;
end;

{ Runs P and checks that it raises EIocpWs (or a subclass) with Code and a
  message containing Part. }
type
  TProc = procedure of object;

procedure ExpectRaise(P: TProc; Code: Integer; const Part, Name: string);
begin
  try
    P;
    Check(False, Name, 'no exception');
  except
    on E: EIocpWs do
      Check(((Code = 0) or (E.Code = Code)) and
        (Pos(LowerCase(Part), LowerCase(E.Message)) > 0), Name,
        Format('%s code %d: %s', [E.ClassName, E.Code, E.Message]));
    on E: Exception do
      Check(False, Name, E.ClassName + ': ' + E.Message);
  end;
end;

type
  TSelfTest = class
    S, S2: TIocpWebSocketServer;
    LibPath, FakeAbiPath: string;
    procedure DoWrite;
    procedure DoBroadcast;
    procedure DoPing;
    procedure DoDisconnectAll;
    procedure DoSetPortActive;
    procedure DoSecondStart;
    procedure DoTwoBindings;
    procedure DoFragmented;
    procedure DoBroadcastChannel;
    procedure DoLoadMissing;
    procedure DoLoadNotIocpws;
    procedure DoLoadFakeAbi;
    procedure DoDocumentRootActive;
    procedure Run;
  end;

procedure TSelfTest.DoWrite;
begin
  S.WriteData('{00000000-0000-0000-0000-000000000001}', 'x');
end;

procedure TSelfTest.DoBroadcast;
begin
  S.Broadcast('x');
end;

procedure TSelfTest.DoPing;
begin
  S.Ping;
end;

procedure TSelfTest.DoDisconnectAll;
begin
  S.DisconnectAll;
end;

procedure TSelfTest.DoSetPortActive;
begin
  S.Port := 1234;
end;

procedure TSelfTest.DoSecondStart;
begin
  S2.Start;
end;

{ Bindings[1] on the port S listens on: Start must fail naming it. }
procedure TSelfTest.DoTwoBindings;
begin
  S2.Bindings.Clear;
  with S2.Bindings.Add do
  begin
    IP := '127.0.0.1';
    Port := 0;
  end;
  with S2.Bindings.Add do
  begin
    IP := '127.0.0.1';
    Port := S.ListeningPort;
  end;
  S2.Start;
end;

procedure TSelfTest.DoFragmented;
begin
  S.Options.FragmentedMessages := frgAll;
end;

procedure TSelfTest.DoBroadcastChannel;
begin
  S.Broadcast('x', 'news', 'some-protocol');
end;

procedure TSelfTest.DoLoadMissing;
begin
  IocpWsLoad('libiocpws-does-not-exist.so.9');
end;

procedure TSelfTest.DoLoadNotIocpws;
begin
  {$ifdef MSWINDOWS}
  IocpWsLoad('kernel32.dll');
  {$else}
  IocpWsLoad('libc.so.6');
  {$endif}
end;

procedure TSelfTest.DoLoadFakeAbi;
begin
  IocpWsLoad(FakeAbiPath);
end;

{ iws_component_version and its wrappers (Since 0.6). }
procedure ComponentChecks;
var
  Name, Version: PAnsiChar;
  rc: Int32;
  V: string;
begin
  rc := iws_component_version(IWS_COMPONENT_ENGINE, Name, Version);
  Check((rc = IWS_OK) and (string(Name) = 'iocpws') and
    (string(Version) = IWS_HEADER_VERSION_STRING),
    'iws_component_version(ENGINE) is iocpws ' + IWS_HEADER_VERSION_STRING,
    Format('rc %d: %s %s', [rc, string(Name), string(Version)]));
  V := IocpWsComponentVersion(IWS_COMPONENT_OPENSSL);
  Check(Copy(V, 1, 2) = '3.', 'IocpWsComponentVersion(OPENSSL) is OpenSSL 3', V);
  Check(IocpWsComponentVersion(IWS_COMPONENT_ZLIB) <> '',
    'IocpWsComponentVersion(ZLIB) is set');
  Check(IocpWsComponentVersion(IWS_COMPONENT_WSLAY) <> '',
    'IocpWsComponentVersion(WSLAY) is set');
  rc := iws_component_version(IWS_COMPONENT_HIREDIS + 1, Name, Version);
  Check((rc = IWS_E_INVALID_ARG) and (Name <> nil) and (Name^ = #0),
    'iws_component_version(unknown) is IWS_E_INVALID_ARG with empty strings',
    IntToStr(rc));
  try
    IocpWsComponentVersion(IWS_COMPONENT_HIREDIS + 1);
    Check(False, 'IocpWsComponentVersion(unknown) raises', 'no exception');
  except
    on E: EIocpWs do
      Check(E.Code = IWS_E_INVALID_ARG, 'IocpWsComponentVersion(unknown) raises',
        E.Message);
  end;
  V := IocpWsVersions;
  Check((Pos('iocpws ' + IWS_HEADER_VERSION_STRING + ', OpenSSL 3.', V) = 1) and
    (Pos(', zlib ', V) > 0) and (Pos(', wslay ', V) > 0),
    'IocpWsVersions lists the components', V);
  Say('# ' + V);
end;

procedure LayoutChecks;
var
  Cb: iws_callbacks;
  St: iws_stats;

  procedure Field(const SName, FName: AnsiString; Pascal: PtrUInt);
  var
    C: Integer;
  begin
    C := iws_struct_layout(PAnsiChar(SName), PAnsiChar(FName));
    Check(C = Integer(Pascal), Format('layout %s.%s', [SName, FName]),
      Format('C offset %d, Pascal offset %d', [C, Pascal]));
  end;

begin
  Check(iws_struct_layout('iws_callbacks', nil) = SizeOf(iws_callbacks),
    'layout sizeof(iws_callbacks)', Format('C %d, Pascal %d',
    [iws_struct_layout('iws_callbacks', nil), SizeOf(iws_callbacks)]));
  Field('iws_callbacks', 'struct_size', PtrUInt(@Cb.struct_size) - PtrUInt(@Cb));
  Field('iws_callbacks', 'reserved0', PtrUInt(@Cb.reserved0) - PtrUInt(@Cb));
  Field('iws_callbacks', 'on_connect', PtrUInt(@@Cb.on_connect) - PtrUInt(@Cb));
  Field('iws_callbacks', 'on_message', PtrUInt(@@Cb.on_message) - PtrUInt(@Cb));
  Field('iws_callbacks', 'on_disconnect', PtrUInt(@@Cb.on_disconnect) - PtrUInt(@Cb));
  Field('iws_callbacks', 'on_error', PtrUInt(@@Cb.on_error) - PtrUInt(@Cb));
  Field('iws_callbacks', 'on_log', PtrUInt(@@Cb.on_log) - PtrUInt(@Cb));
  Field('iws_callbacks', 'on_http_request', PtrUInt(@@Cb.on_http_request) - PtrUInt(@Cb));
  Field('iws_callbacks', 'on_open', PtrUInt(@@Cb.on_open) - PtrUInt(@Cb));
  Field('iws_callbacks', 'on_close', PtrUInt(@@Cb.on_close) - PtrUInt(@Cb));
  Field('iws_callbacks', 'on_heartbeat', PtrUInt(@@Cb.on_heartbeat) - PtrUInt(@Cb));
  Field('iws_callbacks', 'on_http_head', PtrUInt(@@Cb.on_http_head) - PtrUInt(@Cb));
  Field('iws_callbacks', 'on_http_body', PtrUInt(@@Cb.on_http_body) - PtrUInt(@Cb));
  Check(iws_struct_layout('iws_stats', nil) = SizeOf(iws_stats),
    'layout sizeof(iws_stats)', Format('C %d, Pascal %d',
    [iws_struct_layout('iws_stats', nil), SizeOf(iws_stats)]));
  Field('iws_stats', 'struct_size', PtrUInt(@St.struct_size) - PtrUInt(@St));
  Field('iws_stats', 'reserved0', PtrUInt(@St.reserved0) - PtrUInt(@St));
  Field('iws_stats', 'connections_current', PtrUInt(@St.connections_current) - PtrUInt(@St));
  Field('iws_stats', 'connections_total', PtrUInt(@St.connections_total) - PtrUInt(@St));
  Field('iws_stats', 'handshakes_refused', PtrUInt(@St.handshakes_refused) - PtrUInt(@St));
  Field('iws_stats', 'messages_in', PtrUInt(@St.messages_in) - PtrUInt(@St));
  Field('iws_stats', 'messages_out', PtrUInt(@St.messages_out) - PtrUInt(@St));
  Field('iws_stats', 'bytes_in', PtrUInt(@St.bytes_in) - PtrUInt(@St));
  Field('iws_stats', 'bytes_out', PtrUInt(@St.bytes_out) - PtrUInt(@St));
  Field('iws_stats', 'bytes_queued', PtrUInt(@St.bytes_queued) - PtrUInt(@St));
  Field('iws_stats', 'channels_current', PtrUInt(@St.channels_current) - PtrUInt(@St));
  Field('iws_stats', 'subscriptions_current', PtrUInt(@St.subscriptions_current) - PtrUInt(@St));
  Field('iws_stats', 'publishes', PtrUInt(@St.publishes) - PtrUInt(@St));
  Field('iws_stats', 'redis_out', PtrUInt(@St.redis_out) - PtrUInt(@St));
  Field('iws_stats', 'redis_in', PtrUInt(@St.redis_in) - PtrUInt(@St));
  Field('iws_stats', 'redis_connected', PtrUInt(@St.redis_connected) - PtrUInt(@St));
  Field('iws_stats', 'http_requests', PtrUInt(@St.http_requests) - PtrUInt(@St));
  Field('iws_stats', 'http_refused', PtrUInt(@St.http_refused) - PtrUInt(@St));
  Field('iws_stats', 'http_connections_current', PtrUInt(@St.http_connections_current) - PtrUInt(@St));
  Check(iws_struct_layout('iws_nothing', nil) = IWS_E_INVALID_ARG,
    'layout of an unknown struct is IWS_E_INVALID_ARG');
end;

procedure TSelfTest.DoDocumentRootActive;
begin
  S.DocumentRoot := '/tmp';
end;

{ The HTTP objects and the raw HTTP calls with bad input. }
procedure HttpChecks;
var
  L: TIocpHTTPHeaderList;
  R: TIocpHTTPResponseInfo;
  Q: TIocpHTTPRequestInfo;
  M: TMemoryStream;
  H: piws_server;
  V: Int64;
  D: PByte;
  N: UInt64;
  Buf: array[0..255] of AnsiChar;
begin
  L := TIocpHTTPHeaderList.Create;
  try
    L.Add('Content-Type:  text/plain ');
    L.AddValue('Set-Cookie', 'a=1');
    L.AddValue('Set-Cookie', 'b=2');
    Check(L.Values['content-type'] = 'text/plain',
      'header list: Values[] ignores case and trims', L.Values['content-type']);
    Check(L.Values['Set-Cookie'] = 'a=1', 'header list: Values[] is the first line');
    L.Values['X-New'] := 'x';
    L.Values['Content-Type'] := 'text/html';
    Check((L.Count = 4) and (L[0] = 'Content-Type: text/html') and (L[3] = 'X-New: x'),
      'header list: assigning Values[] replaces or adds', L.Text);
    L.Values['X-New'] := '';
    Check((L.Count = 3) and (L.Values['X-New'] = ''), 'header list: Values[] := '''' removes');
    Check(L.Values['Missing'] = '', 'header list: a missing header is ''''');
  finally
    L.Free;
  end;

  R := TIocpHTTPResponseInfo.Create;
  try
    Check((R.ResponseNo = 200) and R.FreeContentStream and (R.ContentStream = nil),
      'response defaults: 200, FreeContentStream, no stream');
    M := TMemoryStream.Create;
    R.ContentStream := M;
    R.ContentStream := TMemoryStream.Create; { frees M }
    R.Redirect('/x');
    Check((R.ResponseNo = 302) and (R.Location = '/x'), 'Redirect sets 302 and Location');
    Check(R.ServeFile(nil, '/nonexistent/file.txt') = 0, 'ServeFile of a missing file returns 0');
    { a response that is no server's cannot stream: a clear error }
    try
      R.WriteHeader;
      Check(False, 'WriteHeader outside a server raises EIocpWs');
    except
      on E: EIocpWs do
        Check((E.Code = IWS_E_BAD_STATE) and not R.HeaderHasBeenWritten,
          'WriteHeader outside a server raises EIocpWs(IWS_E_BAD_STATE)', E.Message);
    end;
  finally
    R.Free; { frees the second stream }
  end;
  Check(True, 'ContentStream is freed on replace and with the response');

  Q := TIocpHTTPRequestInfo.Create;
  try
    Check((Q.ContentLength = -1) and (Q.PostStream = nil) and not Q.AuthExists,
      'an empty request: ContentLength -1, no PostStream, no auth');
  finally
    Q.Free;
  end;

  { the raw layer: NULL requests and responses are errors, never crashes }
  Check(iws_http_set_status(nil, 200, nil) = IWS_E_INVALID_ARG, 'iws_http_set_status(nil) is IWS_E_INVALID_ARG');
  Check(iws_http_add_header(nil, 'X', 'y') = IWS_E_INVALID_ARG, 'iws_http_add_header(nil) is IWS_E_INVALID_ARG');
  Check(iws_http_set_body(nil, nil, 0) = IWS_E_INVALID_ARG, 'iws_http_set_body(nil) is IWS_E_INVALID_ARG');
  Check(iws_http_serve_file(nil, 'x') = IWS_E_INVALID_ARG, 'iws_http_serve_file(nil) is IWS_E_INVALID_ARG');
  Check(iws_http_defer(nil) = IWS_E_INVALID_ARG, 'iws_http_defer(nil) is IWS_E_INVALID_ARG');
  Check(iws_http_send(nil) = IWS_E_INVALID_ARG, 'iws_http_send(nil) is IWS_E_INVALID_ARG');
  Check(iws_request_method(nil) = nil, 'iws_request_method(nil) is nil');
  Check(iws_request_param_count(nil) = 0, 'iws_request_param_count(nil) is 0');
  Check(iws_request_body(nil, D, N) = IWS_E_INVALID_ARG, 'iws_request_body(nil) is IWS_E_INVALID_ARG');
  Check(Pos('IWS_E_FILE', IocpWsErrorText(IWS_E_FILE)) = 1, 'IWS_E_FILE has a name',
    IocpWsErrorText(IWS_E_FILE));

  { HTTPOptions and IndexFile defaults are the library's }
  if iws_create(IWS_HEADER_ABI_VERSION, nil, nil, H) = IWS_OK then
  begin
    with TIocpWebSocketServer.Create(nil) do
    try
      iws_get_int(H, IWS_OPT_HTTP_MAX_BODY_SIZE, V);
      Check(V = HTTPOptions.MaxBodySize, 'HTTPOptions.MaxBodySize default is the library''s', IntToStr(V));
      iws_get_int(H, IWS_OPT_HTTP_MAX_URI_LENGTH, V);
      Check(V = HTTPOptions.MaxURILength, 'HTTPOptions.MaxURILength default is the library''s', IntToStr(V));
      iws_get_int(H, IWS_OPT_HTTP_REQUEST_TIMEOUT_MS, V);
      Check(V = HTTPOptions.RequestTimeout, 'HTTPOptions.RequestTimeout default is the library''s', IntToStr(V));
      iws_get_int(H, IWS_OPT_HTTP_KEEPALIVE_TIMEOUT_MS, V);
      Check(V = HTTPOptions.KeepAliveTimeout, 'HTTPOptions.KeepAliveTimeout default is the library''s', IntToStr(V));
      iws_get_int(H, IWS_OPT_HTTP_RESPONSE_TIMEOUT_MS, V);
      Check(V = HTTPOptions.ResponseTimeout, 'HTTPOptions.ResponseTimeout default is the library''s', IntToStr(V));
      iws_get_int(H, IWS_OPT_HTTP_MAX_PIPELINED, V);
      Check(V = HTTPOptions.MaxPipelined, 'HTTPOptions.MaxPipelined default is the library''s', IntToStr(V));
      Buf[0] := #0;
      iws_get_str(H, IWS_OPT_HTTP_INDEX_FILE, @Buf[0], SizeOf(Buf), nil);
      Check(string(PAnsiChar(@Buf[0])) = IndexFile, 'IndexFile default is the library''s', string(PAnsiChar(@Buf[0])));
    finally
      Free;
    end;
    iws_destroy(H);
  end
  else
    Check(False, 'HTTP option defaults', 'iws_create failed');
end;

procedure TSelfTest.Run;
var
  H: piws_server;
  rc: Integer;
  Cb: iws_callbacks;
  U: RawByteString;
  T: string;
  CW, CW2: Word;
  MX, MX2: Cardinal;
  Got: Boolean;
begin
  {$ifdef IOCPWS_DYNAMIC}
  { the loader's errors come first: nothing is loaded yet }
  Check(not IocpWsLoaded, 'dynamic: nothing loaded before the first call');
  ExpectRaise(DoLoadMissing, IWS_E_SYSTEM, 'libiocpws-does-not-exist.so.9',
    'dynamic: a missing library is named in EIocpWsLibrary');
  ExpectRaise(DoLoadNotIocpws, IWS_E_SYSTEM, 'iws_version',
    'dynamic: a library without iocpws functions names the missing function');
  if FakeAbiPath = '' then
    Check(False, 'dynamic: a library of another ABI is refused', 'no --fake-abi PATH given')
  else
    ExpectRaise(DoLoadFakeAbi, IWS_E_ABI_MISMATCH, 'implements ABI 99',
      'dynamic: a library of another ABI is refused');
  Check(not IocpWsLoaded, 'dynamic: still not loaded after the failures');
  if LibPath <> '' then
    IocpWsLibraryName := LibPath;
  try
    IocpWsLoad;
    Check(IocpWsLoaded, 'dynamic: the real library loads');
  except
    on E: Exception do
      Check(False, 'dynamic: the real library loads', E.Message);
  end;
  {$endif}

  { versions }
  Check(iws_abi_version = IWS_HEADER_ABI_VERSION, 'iws_abi_version matches the header');
  Check(iws_version = IWS_VERSION_NUMBER, 'iws_version matches the header',
    IntToStr(iws_version));
  Check(string(iws_version_string) = IWS_HEADER_VERSION_STRING,
    'iws_version_string matches the header');
  try
    IocpWsCheckVersion;
    Check(True, 'IocpWsCheckVersion accepts this library');
  except
    on E: Exception do
      Check(False, 'IocpWsCheckVersion accepts this library', E.Message);
  end;
  Check(Pos('IWS_E_BIND', IocpWsErrorText(IWS_E_BIND)) = 1, 'IocpWsErrorText names the code',
    IocpWsErrorText(IWS_E_BIND));
  ComponentChecks;

  LayoutChecks;
  HttpChecks;

  { the raw layer refuses bad input with codes }
  FillChar(Cb, SizeOf(Cb), 0);
  Cb.struct_size := SizeOf(Cb);
  rc := iws_create(IWS_HEADER_ABI_VERSION + 98, @Cb, nil, H);
  Check(rc = IWS_E_ABI_MISMATCH, 'iws_create refuses another ABI', IntToStr(rc));
  Check(iws_start(nil) = IWS_E_INVALID_ARG, 'iws_start(nil) is IWS_E_INVALID_ARG');
  Check(iws_send_text(nil, 1, 'x', 1) = IWS_E_INVALID_ARG, 'iws_send_text(nil) is IWS_E_INVALID_ARG');
  Cb.struct_size := 3;
  rc := iws_create(IWS_HEADER_ABI_VERSION, @Cb, nil, H);
  Check(rc = IWS_E_STRUCT_SIZE, 'iws_create refuses a struct_size it does not know', IntToStr(rc));

  { strings }
  U := #$C3#$A9#$E2#$82#$AC#$F0#$9F#$98#$80; { e-acute, euro, emoji }
  T := IocpWsUtf8ToString(PAnsiChar(U), Length(U));
  Check(IocpWsStringToUtf8(T) = U, 'UTF-8 -> string -> UTF-8 keeps non-ASCII text');
  Check(IocpWsUtf8ToString(nil, 0) = '', 'empty UTF-8 is an empty string');

  { the component on a stopped server }
  S := TIocpWebSocketServer.Create(nil);
  S2 := TIocpWebSocketServer.Create(nil);
  try
    ExpectRaise(DoWrite, IWS_E_BAD_STATE, 'not active', 'WriteData on a stopped server raises EIocpWs');
    ExpectRaise(DoBroadcast, IWS_E_BAD_STATE, 'not active', 'Broadcast on a stopped server raises EIocpWs');
    ExpectRaise(DoPing, IWS_E_BAD_STATE, 'not active', 'Ping on a stopped server raises EIocpWs');
    ExpectRaise(DoDisconnectAll, IWS_E_BAD_STATE, 'not active', 'DisconnectAll on a stopped server raises EIocpWs');
    DoFragmented;
    Check(S.Options.FragmentedMessages = frgAll, 'FragmentedMessages frgAll is accepted');
    S.Options.FragmentedMessages := frgOnlyBuffer;
    try
      S.Stop;
      Check(not S.Active, 'Stop on a stopped server does nothing');
    except
      on E: Exception do
        Check(False, 'Stop on a stopped server does nothing', E.Message);
    end;
    Check(S.Count = 0, 'Count of a stopped server is 0');
    Check(S.Connections[0] = nil, 'Connections[] out of range is nil');
    Check(S.ConnectionsByGUID['nonsense'] = nil, 'ConnectionsByGUID of an unknown GUID is nil');

    { start with no handler at all; FPU words of the host unchanged }
    S.Host := '127.0.0.1';
    S.Port := 0;
    CW := Get8087CW;
    MX := GetMXCSR;
    S.Active := True;
    CW2 := Get8087CW;
    MX2 := GetMXCSR;
    Check(S.Active and (S.ListeningPort > 0), 'Start with no handlers listens', IntToStr(S.ListeningPort));
    Check((CW = CW2) and ((MX and $FFC0) = (MX2 and $FFC0)),
      'the host''s FPU control words survive Start',
      Format('x87 %x -> %x, MXCSR %x -> %x', [CW, CW2, MX, MX2]));
    S.Start;
    Check(S.Active, 'Start on an active server does nothing');
    ExpectRaise(DoSetPortActive, IWS_E_BAD_STATE, 'stop it first', 'changing Port while active raises EIocpWs');
    ExpectRaise(DoDocumentRootActive, IWS_E_BAD_STATE, 'stop it first', 'changing DocumentRoot while active raises EIocpWs');
    ExpectRaise(DoBroadcastChannel, IWS_E_INVALID_ARG, 'channel', 'Broadcast to a channel with aProtocol raises EIocpWs');
    Got := True;
    try
      S.Broadcast('nobody listens');
      S.Broadcast('nobody subscribed', 'news');
      S.Ping('hb');
      Check(S.WriteData('{00000000-0000-0000-0000-000000000001}', 'x') = False,
        'WriteData to an unknown GUID is False');
    except
      on E: Exception do
      begin
        Got := False;
        Check(False, 'Broadcast and Ping with no connection', E.Message);
      end;
    end;
    if Got then
      Check(True, 'Broadcast and Ping with no connection');
    Check(S.GetStats.connections_current = 0, 'GetStats works');

    { a second server on the same port: bind error, named }
    S2.Host := '127.0.0.1';
    S2.Port := S.ListeningPort;
    ExpectRaise(DoSecondStart, IWS_E_BIND, 'bind', 'a port in use raises EIocpWs naming bind');
    Check(not S2.Active, 'a failed Start leaves the server stopped');
    S2.Port := 0;
    ExpectRaise(DoTwoBindings, IWS_E_BIND, 'listener 1: bind 127.0.0.1 port',
      'a Binding on a port in use raises EIocpWs naming it');
    Check(not S2.Active, 'a refused binding set leaves the server stopped');
    S2.Bindings[1].IP := '127.0.0.2';
    S2.Bindings[1].Port := 0;
    S2.Start;
    Check(S2.Active and (S2.ListenerCount = 2) and (S2.ListenerPort(0) > 0) and
      (S2.ListenerPort(1) > 0) and not S2.ListenerIsTLS(1) and
      (S2.ListeningPort = S2.ListenerPort(0)),
      'two Bindings on two addresses both listen');
    S2.Stop;
    Check(S2.ListenerCount = 0, 'no listener once stopped');
    S2.Bindings.Delete(1);
    Check((S2.Bindings.Count = 1) and (S2.Bindings[0].IP = '127.0.0.1'),
      'Bindings: Add, Items[i], Delete');
    S2.Start;
    Check(S2.Active and (S2.ListeningPort > 0), 'Bindings 127.0.0.1:0 listens');
    S2.Stop;
    CW := Get8087CW;
    S.Active := False;
    Check(not S.Active and (Get8087CW = CW), 'Stop works and keeps the host''s FPU word');
    S.Start;
    Check(S.Active, 'a stopped server starts again');
  finally
    S.Free;
    S2.Free;
  end;
  Check(True, 'Free of an active server stops it');
end;

procedure RunSelfTest;
var
  T: TSelfTest;
  I: Integer;
begin
  T := TSelfTest.Create;
  try
    for I := 2 to ParamCount - 1 do
      if ParamStr(I) = '--lib' then
        T.LibPath := ParamStr(I + 1)
      else if ParamStr(I) = '--fake-abi' then
        T.FakeAbiPath := ParamStr(I + 1);
    try
      T.Run;
    except
      on E: Exception do
        Check(False, 'selftest ran to the end', E.ClassName + ': ' + E.Message);
    end;
  finally
    T.Free;
  end;
  Say(Format('%d passed, %d failed', [Passed, Failed]));
  if Failed > 0 then
    ExitCode := 1;
end;

{ ------------------------------------------------------------------------ }
{ server                                                                    }
{ ------------------------------------------------------------------------ }

type
  TStdinReader = class(TThread)
  public
    Lines: TStringList;
    Lock: TRTLCriticalSection;
    AtEof: Boolean;  { set under Lock when stdin ended: the thread is ending }
    procedure Execute; override;
    function Next(out Line: string): Boolean;
  end;

  TTestServer = class
    Server: TIocpWebSocketServer;
    IdsLock: TRTLCriticalSection;
    Seen: TStringList;    { ids ever connected -> 'open' / 'gone' }
    Connects, Disconnects, Anomalies: Integer;
    procedure OnConnect(Connection: TIocpWSConnection);
    procedure OnMessage(Connection: TIocpWSConnection; const Text: string);
    procedure OnBinary(Connection: TIocpWSConnection; const Data: TMemoryStream);
    procedure OnDisconnect(Connection: TIocpWSConnection; Code: Integer);
    procedure OnError(Connection: TIocpWSConnection; const Error: string);
    procedure OnException(Connection: TIocpWSConnection; E: Exception);
    procedure OnStartup(Sender: TObject);
    procedure OnShutdown(Sender: TObject);
    procedure OnHandshake(Connection: TIocpWSConnection; var Headers: TStringList);
    procedure OnCommandGet(AContext: TIocpHTTPContext;
      ARequestInfo: TIocpHTTPRequestInfo; AResponseInfo: TIocpHTTPResponseInfo);
    procedure OnCommandOther(AContext: TIocpHTTPContext;
      ARequestInfo: TIocpHTTPRequestInfo; AResponseInfo: TIocpHTTPResponseInfo);
  end;

procedure TStdinReader.Execute;
var
  L: string;
begin
  while not Eof(Input) do
  begin
    Readln(L);
    EnterCriticalSection(Lock);
    Lines.Add(Trim(L));
    LeaveCriticalSection(Lock);
  end;
  EnterCriticalSection(Lock);
  AtEof := True;
  Lines.Add('quit');
  LeaveCriticalSection(Lock);
end;

function ReaderAtEof(R: TStdinReader): Boolean;
begin
  EnterCriticalSection(R.Lock);
  Result := R.AtEof;
  LeaveCriticalSection(R.Lock);
end;

function TStdinReader.Next(out Line: string): Boolean;
begin
  EnterCriticalSection(Lock);
  try
    Result := Lines.Count > 0;
    if Result then
    begin
      Line := Lines[0];
      Lines.Delete(0);
    end;
  finally
    LeaveCriticalSection(Lock);
  end;
end;

function IdOf(C: TIocpWSConnection): string;
begin
  if C = nil then
    Result := '0'
  else
    Result := IntToStr(C.Id);
end;

procedure TTestServer.OnConnect(Connection: TIocpWSConnection);
begin
  EnterCriticalSection(IdsLock);
  try
    Inc(Connects);
    if Seen.IndexOfName(IdOf(Connection)) >= 0 then
    begin
      Inc(Anomalies);
      Say('DUPLICATE_CONNECT ' + IdOf(Connection));
    end;
    Seen.Values[IdOf(Connection)] := 'open';
  finally
    LeaveCriticalSection(IdsLock);
  end;
  Say(Format('CONNECT %s %s %s', [IdOf(Connection), Connection.URL, ThreadName]));
end;

procedure TTestServer.OnDisconnect(Connection: TIocpWSConnection; Code: Integer);
var
  State: string;
begin
  EnterCriticalSection(IdsLock);
  try
    Inc(Disconnects);
    State := Seen.Values[IdOf(Connection)];
    if State <> 'open' then
      Inc(Anomalies);
    Seen.Values[IdOf(Connection)] := 'gone';
  finally
    LeaveCriticalSection(IdsLock);
  end;
  if State = 'gone' then
    Say('DOUBLE_DISCONNECT ' + IdOf(Connection))
  else if State <> 'open' then
    Say('UNKNOWN_DISCONNECT ' + IdOf(Connection));
  Say(Format('DISCONNECT %s %d', [IdOf(Connection), Code]));
end;

procedure TTestServer.OnMessage(Connection: TIocpWSConnection; const Text: string);
var
  Cmd, Arg, Rest: string;
  P: Integer;
  Zero, R: Double;
  St: iws_stats;
begin
  if Copy(Text, 1, 4) <> 'cmd:' then
  begin
    Connection.WriteData(Text);
    Exit;
  end;
  Cmd := Copy(Text, 5, MaxInt);
  Arg := '';
  P := Pos(' ', Cmd);
  if P > 0 then
  begin
    Arg := Copy(Cmd, P + 1, MaxInt);
    Cmd := Copy(Cmd, 1, P - 1);
  end;
  if Cmd = 'guid' then
    Connection.WriteData('guid ' + Connection.Guid)
  else if Cmd = 'id' then
    Connection.WriteData('id ' + IdOf(Connection))
  else if Cmd = 'thread' then
    Connection.WriteData('thread ' + ThreadName)
  else if Cmd = 'raise' then
    raise Exception.Create('boom in handler')
  else if Cmd = 'bcast-excl' then
  begin
    Server.Broadcast(Arg, '', '', Connection.Guid);
    Connection.WriteData('bcast-done');
  end
  else if Cmd = 'bcast-incl' then
  begin
    P := Pos(' ', Arg);
    Rest := Copy(Arg, P + 1, MaxInt);
    Server.Broadcast(Rest, '', '', '', Copy(Arg, 1, P - 1));
    Connection.WriteData('bcast-done');
  end
  else if Cmd = 'writeguid' then
    Server.WriteData(Connection.Guid, Arg)
  else if Cmd = 'ping' then
  begin
    if Connection.Ping('hb') then
      Connection.WriteData('ping-rc 0')
    else
      Connection.WriteData('ping-rc -1');
  end
  else if Cmd = 'protocol' then
  begin
    if Connection.Protocol = '' then
      Connection.WriteData('protocol -')
    else
      Connection.WriteData('protocol ' + Connection.Protocol);
  end
  else if Cmd = 'bcast-proto' then
  begin
    P := Pos(' ', Arg);
    Server.Broadcast(Copy(Arg, P + 1, MaxInt), '', Copy(Arg, 1, P - 1));
    Connection.WriteData('bcast-done');
  end
  else if Cmd = 'count' then
    Connection.WriteData('count ' + IntToStr(Server.Count))
  else if Cmd = 'sub' then
    Connection.WriteData('sub ' + BoolToStr(Connection.Subscribe(Arg), True))
  else if Cmd = 'unsub' then
    Connection.WriteData('unsub ' + BoolToStr(Connection.Unsubscribe(Arg), True))
  else if Cmd = 'chans' then
  begin
    Rest := '';
    for P := 0 to High(Connection.Channels) do
    begin
      if Rest <> '' then
        Rest := Rest + ',';
      Rest := Rest + Connection.Channels[P];
    end;
    Connection.WriteData('chans ' + Rest);
  end
  else if (Cmd = 'pub') or (Cmd = 'pubx') then
  begin
    P := Pos(' ', Arg);
    if Cmd = 'pubx' then
      Server.Broadcast(Copy(Arg, P + 1, MaxInt), Copy(Arg, 1, P - 1), '',
        Connection.Guid)
    else
      Server.Broadcast(Copy(Arg, P + 1, MaxInt), Copy(Arg, 1, P - 1));
    Connection.WriteData('pub-done');
  end
  else if Cmd = 'redis' then
  begin
    St := Server.GetStats;
    Connection.WriteData(Format('redis %d %d %d', [St.redis_connected,
      St.redis_out, St.redis_in]));
  end
  else if Cmd = 'fdiv' then
  begin
    Zero := StrToFloat('0');
    try
      R := 1 / Zero;
      Connection.WriteData('fdiv ' + FloatToStr(R));
    except
      on E: Exception do
        Connection.WriteData('fdiv ' + E.ClassName);
    end;
  end
  else if Cmd = 'stop' then
  begin
    Server.Active := False;
    Say('STOP_CALLED active=' + IntToStr(Ord(Server.Active)));
  end
  else if Cmd = 'close' then
    Connection.Close(StrToIntDef(Arg, 1000))
  else
    Connection.WriteData('unknown command ' + Cmd);
end;

procedure TTestServer.OnBinary(Connection: TIocpWSConnection; const Data: TMemoryStream);
begin
  Connection.WriteData(Data);
end;

procedure TTestServer.OnError(Connection: TIocpWSConnection; const Error: string);
begin
  Say(Format('ERROR %s %s', [IdOf(Connection), Error]));
end;

procedure TTestServer.OnException(Connection: TIocpWSConnection; E: Exception);
begin
  Say(Format('EXCEPTION %s %s %s', [IdOf(Connection), E.ClassName, E.Message]));
end;

procedure TTestServer.OnHandshake(Connection: TIocpWSConnection;
  var Headers: TStringList);
var
  V: string;
begin
  { sgc's meaning: Headers are the response's, the request's are in
    Connection.HeadersRequest }
  V := Connection.HeadersRequest.Values['X-Test'];
  if V = '' then
    V := '-';
  Say(Format('HANDSHAKE %s %d %s %s %d %s', [ThreadName,
    Connection.HeadersRequest.Count, V, Connection.URL, Headers.Count,
    StringReplace(Headers[0], ' ', '', [rfReplaceAll])]));
end;

const
  NON_ASCII_TEXT = 'h'#$C3#$A9'llo w'#$C3#$B6'rld '#$E2#$80#$94' '#$E2#$82#$AC' '#$E2#$98#$83' '#$E6#$97#$A5#$E6#$9C#$AC#$E8#$AA#$9E' '#$F0#$9F#$8E#$89;

function StreamText(S: TStream): string;
var
  U: RawByteString;
begin
  Result := '';
  if S = nil then
    Exit;
  SetLength(U, S.Size);
  S.Position := 0;
  if Length(U) > 0 then
    S.ReadBuffer(U[1], Length(U));
  Result := IocpWsUtf8ToString(PAnsiChar(U), Length(U));
end;

{ a stream holding the UTF-8 of S }
function TextUtf8Stream(const S: string): TStream;
var
  U: RawByteString;
begin
  U := IocpWsStringToUtf8(S);
  Result := TMemoryStream.Create;
  if Length(U) > 0 then
    Result.WriteBuffer(U[1], Length(U));
end;

procedure TTestServer.OnCommandGet(AContext: TIocpHTTPContext;
  ARequestInfo: TIocpHTTPRequestInfo; AResponseInfo: TIocpHTTPResponseInfo);
var
  L: TStringList;
  I, N: Integer;
  M: TMemoryStream;
  B: TBytes;
  D: string;
begin
  D := ARequestInfo.Document;
  Say(Format('HTTP %s %s %s', [ARequestInfo.Command, D, ThreadName]));
  if D = '/params' then
  begin
    L := TStringList.Create;
    try
      L.Add('cmd=' + ARequestInfo.Command);
      L.Add('doc=' + ARequestInfo.Document);
      L.Add('uri=' + ARequestInfo.URI);
      L.Add('query=' + ARequestInfo.QueryParams);
      L.Add('thread=' + ThreadName);
      L.Add('ct=' + ARequestInfo.ContentType);
      L.Add('len=' + IntToStr(ARequestInfo.ContentLength));
      L.Add('form=' + ARequestInfo.FormParams);
      L.Add('unparsed=' + ARequestInfo.UnparsedParams);
      L.Add('body=' + StreamText(ARequestInfo.PostStream));
      for I := 0 to ARequestInfo.Params.Count - 1 do
        L.Add('p:' + ARequestInfo.Params[I]);
      AResponseInfo.ContentType := 'text/plain';
      AResponseInfo.ContentText := L.Text;
    finally
      L.Free;
    end;
  end
  else if D = '/text' then
  begin
    AResponseInfo.ContentType := 'text/plain';
    AResponseInfo.ContentText := IocpWsUtf8ToString(PAnsiChar(NON_ASCII_TEXT), Length(NON_ASCII_TEXT));
  end
  else if D = '/stream' then
  begin
    N := StrToIntDef(ARequestInfo.Params.Values['n'], 0);
    SetLength(B, N);
    for I := 0 to N - 1 do
      B[I] := (I * 7 + 3) and $FF;
    M := TMemoryStream.Create;
    if N > 0 then
      M.WriteBuffer(B[0], N);
    M.Position := N; { the server sends it all, from the start }
    AResponseInfo.ContentType := 'application/octet-stream';
    AResponseInfo.ContentStream := M;
  end
  else if D = '/version' then
  begin
    AResponseInfo.ContentType := 'text/plain';
    AResponseInfo.ContentText := ARequestInfo.Version;
  end
  else if D = '/write' then
  begin
    { streamed: the head now, then each WriteContent as it is called }
    AResponseInfo.ContentType := 'text/plain';
    AResponseInfo.CustomHeaders.Values['X-Streamed'] := 'yes';
    L := TStringList.Create;
    try
      L.Add(IntToStr(Ord(AResponseInfo.HeaderHasBeenWritten)));
      AResponseInfo.WriteHeader;
      L.Add(IntToStr(Ord(AResponseInfo.HeaderHasBeenWritten)));
      try
        AResponseInfo.WriteHeader;
      except
        on E: EIocpWs do
          L.Add('again refused');
      end;
      AResponseInfo.ContentText := 'part1;';
      AResponseInfo.WriteContent;
      AResponseInfo.ContentText := L[0] + L[1] + ' ' + L[2] + ';';
      AResponseInfo.WriteContent;
      AResponseInfo.ContentText := ''; { nothing more goes after the handler }
      AResponseInfo.ContentStream := TextUtf8Stream('stream;');
      AResponseInfo.WriteContent;
    finally
      L.Free;
    end;
  end
  else if D = '/bigwrite' then
  begin
    { n MiB through WriteContent, 1 MiB at a time (the same ContentStream
      sent again: WriteContent sends it from its start) }
    N := 1048576;
    SetLength(B, N);
    for I := 0 to N - 1 do
      B[I] := (I * 7 + 3) and $FF;
    M := TMemoryStream.Create;
    M.WriteBuffer(B[0], N);
    AResponseInfo.ContentType := 'application/octet-stream';
    AResponseInfo.ContentStream := M;
    try
      for I := 1 to StrToIntDef(ARequestInfo.Params.Values['mb'], 1) do
        AResponseInfo.WriteContent;
      Say('BIGWRITE ok');
    except
      on E: EIocpWs do
      begin
        Say('BIGWRITE ' + IntToStr(E.Code));
        raise;
      end;
    end;
  end
  else if D = '/headers' then
  begin
    AResponseInfo.CustomHeaders.AddValue('X-One', '1');
    AResponseInfo.CustomHeaders.Values['X-Two'] := '2';
    AResponseInfo.CustomHeaders.AddValue('Set-Cookie', 'a=1');
    AResponseInfo.CustomHeaders.AddValue('Set-Cookie', 'b=2');
    AResponseInfo.CacheControl := 'no-store';
    AResponseInfo.ContentType := 'text/plain';
    AResponseInfo.ContentText := ARequestInfo.RawHeaders.Values['x-test'];
  end
  else if D = '/missing' then
  begin
    AResponseInfo.ResponseNo := 404;
    AResponseInfo.ContentText := 'nothing here';
  end
  else if D = '/redirect' then
    AResponseInfo.Redirect('/text')
  else if D = '/raise' then
    raise Exception.Create('boom in http handler')
  else if D = '/slow' then
  begin
    Sleep(200);
    AResponseInfo.ContentText := 'slow';
  end
  else if D = '/file' then
  begin
    if AResponseInfo.ServeFile(AContext, Server.DocumentRoot + '/' +
      ARequestInfo.Params.Values['name']) = 0 then
      AResponseInfo.ContentText := 'missing';
  end
  else if D = '/auth' then
    AResponseInfo.ContentText := Format('auth %s %s %s',
      [BoolToStr(ARequestInfo.AuthExists, True), ARequestInfo.AuthUsername,
      ARequestInfo.AuthPassword])
  else if D = '/peer' then
    AResponseInfo.ContentText := Format('peer %s %s %d', [ARequestInfo.RemoteIP,
      AContext.Binding.PeerIP, AContext.Binding.PeerPort])
  else
    AResponseInfo.ContentText := 'get ' + ARequestInfo.Command + ' ' + D;
end;

procedure TTestServer.OnCommandOther(AContext: TIocpHTTPContext;
  ARequestInfo: TIocpHTTPRequestInfo; AResponseInfo: TIocpHTTPResponseInfo);
begin
  Say(Format('HTTP %s %s %s', [ARequestInfo.Command, ARequestInfo.Document, ThreadName]));
  if ARequestInfo.Command = 'DELETE' then
    AResponseInfo.ResponseNo := 204
  else
  begin
    AResponseInfo.ContentType := 'text/plain';
    AResponseInfo.ContentText := 'other ' + ARequestInfo.Command + ' ' +
      ARequestInfo.Document + ' ' + StreamText(ARequestInfo.PostStream);
  end;
end;

procedure TTestServer.OnStartup(Sender: TObject);
begin
  Say('STARTUP');
end;

procedure TTestServer.OnShutdown(Sender: TObject);
begin
  Say('SHUTDOWN');
end;

procedure RunServer;
var
  T: TTestServer;
  R: TStdinReader;
  I: Integer;
  Opt, Name, Value, Line: string;
  Quit: Boolean;
begin
  T := TTestServer.Create;
  InitCriticalSection(T.IdsLock);
  T.Seen := TStringList.Create;
  T.Server := TIocpWebSocketServer.Create(nil);
  T.Server.Host := '127.0.0.1';
  T.Server.Port := 0;
  T.Server.MaxMessageSize := 17 * 1024 * 1024;
  T.Server.Options.StopTimeout := 3000;
  T.Server.OnConnect := T.OnConnect;
  T.Server.OnMessage := T.OnMessage;
  T.Server.OnBinary := T.OnBinary;
  T.Server.OnDisconnect := T.OnDisconnect;
  T.Server.OnError := T.OnError;
  T.Server.OnException := T.OnException;
  T.Server.OnStartup := T.OnStartup;
  T.Server.OnShutdown := T.OnShutdown;
  T.Server.OnCommandGet := T.OnCommandGet;
  T.Server.OnCommandOther := T.OnCommandOther;
  I := 1;
  while I <= ParamCount do
  begin
    if (ParamStr(I) = '--opt') and (I < ParamCount) then
    begin
      Inc(I);
      Opt := ParamStr(I);
      Name := Copy(Opt, 1, Pos('=', Opt) - 1);
      Value := Copy(Opt, Pos('=', Opt) + 1, MaxInt);
      if Name = 'mode' then
      begin
        if Value = 'sync' then T.Server.NotifyEvents := neSynchronous
        else if Value = 'nosync' then T.Server.NotifyEvents := neNoSync
        else T.Server.NotifyEvents := neAsynchronous;
      end
      else if (Name = 'handlers') and (Value = 'none') then
      begin
        T.Server.OnConnect := nil;
        T.Server.OnMessage := nil;
        T.Server.OnBinary := nil;
        T.Server.OnDisconnect := nil;
        T.Server.OnError := nil;
        T.Server.OnException := nil;
        T.Server.OnCommandGet := nil;
        T.Server.OnCommandOther := nil;
      end
      else if Name = 'docroot' then
        T.Server.DocumentRoot := Value
      else if Name = 'redis' then
        T.Server.RedisURL := Value
      else if Name = 'redisprefix' then
        T.Server.RedisPrefix := Value
      else if (Name = 'keepalive') and (Value = 'off') then
        T.Server.KeepAlive := False
      else if (Name = 'onexception') and (Value = 'none') then
        T.Server.OnException := nil
      else if (Name = 'fpu') and (Value = 'masked') then
        SetExceptionMask([exInvalidOp, exDenormalized, exZeroDivide,
          exOverflow, exUnderflow, exPrecision])
      else if Name = 'workers' then
        T.Server.IOHandlerOptions.IOCP.WorkOpThreads := StrToInt(Value)
      else if Name = 'protocols' then
        T.Server.Options.Subprotocols := Value
      else if Name = 'maxconn' then
        T.Server.MaxConnections := StrToInt(Value)
      else if (Name = 'ssl') and (Value = 'on') then
        T.Server.SSL := True
      else if Name = 'cert' then
        T.Server.SSLOptions.CertFile := Value
      else if Name = 'key' then
        T.Server.SSLOptions.KeyFile := Value
      else if Name = 'ca' then
        T.Server.SSLOptions.RootCertFile := Value
      else if Name = 'password' then
        T.Server.SSLOptions.Password := Value
      else if Name = 'sni' then
      begin
        Opt := Value;
        Name := Copy(Opt, 1, Pos('|', Opt) - 1);
        Delete(Opt, 1, Pos('|', Opt));
        T.Server.AddSSLHost(Name, Copy(Opt, 1, Pos('|', Opt) - 1),
          Copy(Opt, Pos('|', Opt) + 1, MaxInt));
      end
      else if Name = 'tlsversion' then
      begin
        if Value = '1.0' then T.Server.SSLOptions.Version := tls1_0
        else if Value = '1.3' then T.Server.SSLOptions.Version := tls1_3
        else T.Server.SSLOptions.Version := tls1_2;
      end
      else if Name = 'deflate' then
      begin
        { deflate=on | takeover: sgc's Extensions.PerMessage_Deflate }
        T.Server.Extensions.PerMessage_Deflate.Enabled := True;
        { on: no context takeover (each message on its own) }
        T.Server.Extensions.PerMessage_Deflate.ServerNoContextTakeOver := True;
        T.Server.Extensions.PerMessage_Deflate.ClientNoContextTakeOver := True;
        T.Server.Extensions.PerMessage_Deflate.MemLevel := 8;
        if Value = 'takeover' then
        begin
          T.Server.Extensions.PerMessage_Deflate.ServerNoContextTakeOver := False;
          T.Server.Extensions.PerMessage_Deflate.ClientNoContextTakeOver := False;
          T.Server.Extensions.PerMessage_Deflate.ServerMaxWindowBits := 10;
          T.Server.Extensions.PerMessage_Deflate.MemLevel := 4;
        end;
      end
      else if Name = 'maxdecompressed' then
        T.Server.Extensions.MaxDecompressedSize := StrToInt64(Value)
      else if (Name = 'handshake') and (Value = 'on') then
        T.Server.OnHandshake := T.OnHandshake
      else if Name = 'heartbeat' then
      begin
        T.Server.HeartBeat.Enabled := True;
        T.Server.HeartBeat.Interval := StrToInt(Copy(Value, 1, Pos(',', Value) - 1));
        T.Server.HeartBeat.Timeout := StrToInt(Copy(Value, Pos(',', Value) + 1, MaxInt));
      end;
    end;
    Inc(I);
  end;

  R := TStdinReader.Create(True);
  R.Lines := TStringList.Create;
  InitCriticalSection(R.Lock);
  R.FreeOnTerminate := False;
  R.Start;

  try
    T.Server.Active := True;
  except
    on E: EIocpWs do
      Say(Format('START_FAILED %d %s', [E.Code, E.Message]));
  end;
  Say('PORT ' + IntToStr(T.Server.ListeningPort));
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
          T.Server.Active := False;
          EnterCriticalSection(T.IdsLock);
          Say(Format('STOPPED active=%d connects=%d disconnects=%d',
            [Ord(T.Server.Active), T.Connects, T.Disconnects]));
          LeaveCriticalSection(T.IdsLock);
        end
        else if Line = 'start' then
        begin
          T.Server.Active := True;
          Say('PORT ' + IntToStr(T.Server.ListeningPort));
        end;
      except
        on E: Exception do
          Say('COMMAND_FAILED ' + E.ClassName + ' ' + E.Message);
      end;
      if Quit then
        Break;
    end;
  end;
  T.Server.Free;
  Say(Format('BYE connects=%d disconnects=%d', [T.Connects, T.Disconnects]));
  if (T.Connects <> T.Disconnects) or (T.Anomalies <> 0) then
    ExitCode := 1;
  { free what is ours, so that a -gh (heaptrc) build shows only what the
    units would leak }
  T.Seen.Free;
  DoneCriticalSection(T.IdsLock);
  T.Free;
  { A reader still blocked in Readln holds no lock and dies with the
    process; one that saw EOF is ending right now, and a thread ending while
    the process exits can leave the RTL's or the loader's lock held (a hang
    at exit under Wine), so wait for that one. }
  if ReaderAtEof(R) then
    R.WaitFor;
  Halt(ExitCode);
end;

begin
  InitCriticalSection(OutLock);
  {$ifdef FPC}
  { UTF-8 everywhere for the non-Unicode string type (see the README) }
  DefaultSystemCodePage := CP_UTF8;
  {$endif}
  if ParamStr(1) = 'selftest' then
    RunSelfTest
  else
    RunServer;
end.
