{ sgcWebSocket_iocp - sgcWebSockets names for the iocpws server component.

  An sgcWebSockets server program switches to iocpws by replacing, in its
  uses clause, sgcWebSocket (and sgcWebSocket_Classes, sgcWebSocket_Types
  when listed) by sgcWebSocket_iocp. The class names, event types and
  NotifyEvents values it uses keep their sgc names:

    uses sgcWebSocket, sgcWebSocket_Classes;   ->   uses sgcWebSocket_iocp;

  TsgcWebSocketServer is a subclass (not an alias) of TIocpWebSocketServer so
  that its ClassName is 'TsgcWebSocketServer' and forms (.dfm/.lfm) that
  stream it keep loading; everything else is an alias of the iocpws type.
  What iocpws does not have (Authentication, sgc's protocols...) is not
  declared, so the compiler names what a program must change.

  HTTP (sgc's TsgcWebSocketHTTPServer, Indy's TIdHTTPServer events): the
  handler types keep Indy's names - TIdContext, TIdHTTPRequestInfo,
  TIdHTTPResponseInfo, TIdHTTPCommandEvent - so an OnCommandGet handler
  written for Indy compiles unchanged:

    procedure TForm1.ServerCommandGet(AContext: TIdContext;
      ARequestInfo: TIdHTTPRequestInfo; AResponseInfo: TIdHTTPResponseInfo);

  A program that still uses Indy's units (IdContext, IdCustomHTTPServer)
  for something else gets two types of each name: list sgcWebSocket_iocp
  after them in the uses clause (the last unit wins), or write the iocpws
  names (TIocpHTTPContext, TIocpHTTPRequestInfo, TIocpHTTPResponseInfo). }
unit sgcWebSocket_iocp;

{$I iocpws.defines.inc}

interface

uses
  SysUtils, Classes, iocpws.lib, iocpws.server;
{$I iocpws.warnings.inc}

type
  { The server (unit sgcWebSocket in sgc). }
  TsgcWebSocketServer = class(TIocpWebSocketServer);

  { The HTTP + WebSocket server (unit sgcWebSocket in sgc): the same
    component; OnCommandGet, OnCommandOther, DocumentRoot and KeepAlive
    are TIocpWebSocketServer's. }
  TsgcWebSocketHTTPServer = class(TIocpWebSocketServer);

  { Indy's names for the HTTP handler's parameters. }
  TIdContext = TIocpHTTPContext;
  TIdHTTPRequestInfo = TIocpHTTPRequestInfo;
  TIdHTTPResponseInfo = TIocpHTTPResponseInfo;
  TIdHTTPCommandEvent = TIocpHTTPCommandEvent;
  TIdHeaderList = TIocpHTTPHeaderList;

  { The connection (unit sgcWebSocket_Classes in sgc). }
  TsgcWSConnection = TIocpWSConnection;
  TsgcWSConnectionServer = TIocpWSConnection;

  { Event types (sgc's names). }
  TsgcWSConnectEvent = TIocpWSConnectEvent;
  TsgcWSMessageEvent = TIocpWSMessageEvent;
  TsgcWSBinaryEvent = TIocpWSBinaryEvent;
  TsgcWSDisconnectEvent = TIocpWSDisconnectEvent;
  TsgcWSErrorEvent = TIocpWSErrorEvent;
  TsgcWSExceptionEvent = TIocpWSExceptionEvent;
  TsgcWSHandshakeEvent = TIocpWSHandshakeEvent;

  { Option and enumeration types (unit sgcWebSocket_Types in sgc). }
  TwsNotifyEvent = TIocpWSNotifyEvents;
  TwsFragmentedMessages = TIocpWSFragmentedMessages;
  TsgcWSHeartBeat_Options = TIocpWSHeartBeatOptions;
  TsgcWSIOHandler_Options = TIocpWSIOHandlerOptions;
  TsgcWSIOCP_Options = TIocpWSIOCPOptions;
  TsgcWSOptionsServer = TIocpWSServerOptions;
  TsgcWSSSL_Options = TIocpWSSSLOptions;
  TsgcWSExtensions = TIocpWSExtensions;
  TsgcWSPerMessage_Deflate = TIocpWSPerMessageDeflateOptions;
  TwsTLSVersions = TIocpWSTLSVersions;

  EsgcWebSocketException = EIocpWs;

const
  { Enumeration values are scoped to the unit that declares them: repeat
    them here so that sgc code using them compiles with this unit alone. }
  neNoSync = iocpws.server.neNoSync;
  neAsynchronous = iocpws.server.neAsynchronous;
  neSynchronous = iocpws.server.neSynchronous;
  frgOnlyBuffer = iocpws.server.frgOnlyBuffer;
  frgOnlyFragmented = iocpws.server.frgOnlyFragmented;
  frgAll = iocpws.server.frgAll;
  tlsUndefined = iocpws.server.tlsUndefined;
  tls1_0 = iocpws.server.tls1_0;
  tls1_1 = iocpws.server.tls1_1;
  tls1_2 = iocpws.server.tls1_2;
  tls1_3 = iocpws.server.tls1_3;

implementation

initialization
  RegisterClass(TsgcWebSocketServer);
  RegisterClass(TsgcWebSocketHTTPServer);
end.
