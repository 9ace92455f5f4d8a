{ iocpws.server - TIocpWebSocketServer, an sgcWebSockets-shaped WebSocket
  server component on the iocpws engine (IOCP on Windows, epoll on Linux).

  The shapes follow TsgcWebSocketServer: Active, Port, Host/Bindings,
  MaxConnections, HeartBeat, IOHandlerOptions.IOCP, Options, SSL and
  SSLOptions (wss://), NotifyEvents,
  Count, Connections[], events OnConnect/OnMessage/OnBinary/OnDisconnect/
  OnError/OnException/OnHandshake/OnStartup/OnShutdown, methods Start, Stop,
  Broadcast, WriteData, Ping, DisconnectAll. sgcWebSocket_iocp.pas maps the
  sgc class names onto these.

  Threads (NotifyEvents):
    neAsynchronous (default)  events are queued to the main thread
                              (TThread.Queue); the library threads never wait
                              for it. A console program pumps them with
                              CheckSynchronize; VCL/FMX/LCL apps do nothing.
    neSynchronous             the library thread waits until the main thread
                              has run the handler (TThread.Synchronize).
    neNoSync                  handlers run on the library's threads, at once;
                              several connections' handlers run in parallel
                              (one connection's never overlap). Make them
                              thread-safe.
  Stop (Active := False) from the main thread never deadlocks: the engine is
  stopped on a helper thread while the main thread keeps running queued and
  synchronised events; when Stop returns every OnDisconnect has run. Called
  from inside one of this server's event handlers, Stop returns at once and
  the server finishes stopping in the background (OnShutdown tells when).

  Strings: UTF-8 on the wire; `string` in the program. Delphi (UnicodeString)
  converts without loss. Free Pascal in mode delphi (AnsiString): text
  handed to you is the UTF-8 bytes, tagged CP_UTF8; text you send is
  converted from its code page (StringCodePage) to UTF-8 - set
  DefaultSystemCodePage := CP_UTF8 (as Lazarus does) to keep UTF-8 text
  unconverted in concatenations on Windows.

  Exceptions raised in your handlers never reach the engine: they are caught
  and reported to OnException (or, without it, OnError with the class name
  and message); the connection carries on. Calls with bad input - a stopped
  server, a missing or wrong library, an option changed while active, a
  port in use - raise EIocpWs with a message saying what is wrong; a send
  to a connection that is closing or gone returns False.

  Free Pascal on Linux: put cthreads first in the program's uses clause
  (creating the server raises EIocpWs if it is missing). The unit sets
  IsMultiThread.
  Floating point: every call into the engine runs with FPU exceptions
  masked (as C expects) and restores your control words; a neNoSync handler
  runs with the control words the owner thread had at Start. }
unit iocpws.server;

{$I iocpws.defines.inc}

interface

uses
  SysUtils, Classes, {$ifndef FPC} SyncObjs, {$endif} iocpws.lib,
  iocpws.common, iocpws.types, iocpws.options, iocpws.sgcoptions, iocpws.http,
  iocpws.sessions, iocpws.upload;
{$I iocpws.warnings.inc}

type
  EIocpWs = iocpws.lib.EIocpWs;
  EIocpWsLibrary = iocpws.lib.EIocpWsLibrary;

  TIocpWebSocketServer = class;
  TIocpHTTPContext = class;
  TIocpWSServerGroups = class;

  { Declared in iocpws.types / iocpws.options / iocpws.http, repeated here
    so that programs using only this unit keep compiling. }
  TIocpWsIdArray = iocpws.types.TIocpWsIdArray;
  TIocpWsStringArray = iocpws.types.TIocpWsStringArray;
  TIocpWSNotifyEvents = iocpws.types.TIocpWSNotifyEvents;
  TIocpWSTLSVersions = iocpws.types.TIocpWSTLSVersions;
  TIocpWSFragmentedMessages = iocpws.types.TIocpWSFragmentedMessages;
  TIocpHTTPHeaderList = iocpws.http.TIocpHTTPHeaderList;
  TIocpHTTPBinding = iocpws.http.TIocpHTTPBinding;
  TIocpHTTPRequestInfo = iocpws.http.TIocpHTTPRequestInfo;
  TIocpHTTPResponseInfo = iocpws.http.TIocpHTTPResponseInfo;
  TIocpWSOptionsBase = iocpws.options.TIocpWSOptionsBase;
  TIocpWSHeartBeatOptions = iocpws.options.TIocpWSHeartBeatOptions;
  TIocpWSIOCPOptions = iocpws.options.TIocpWSIOCPOptions;
  TIocpWSIOHandlerOptions = iocpws.options.TIocpWSIOHandlerOptions;
  TIocpWSSSLOptions = iocpws.options.TIocpWSSSLOptions;
  TIocpWSServerOptions = iocpws.options.TIocpWSServerOptions;
  TIocpWSPerMessageDeflateOptions = iocpws.options.TIocpWSPerMessageDeflateOptions;
  TIocpWSExtensions = iocpws.options.TIocpWSExtensions;
  TIocpWSHTTPOptions = iocpws.options.TIocpWSHTTPOptions;
  TIocpWSIOHandlerType = iocpws.types.TIocpWSIOHandlerType;
  TIocpWSHeartBeatType = iocpws.types.TIocpWSHeartBeatType;
  TIocpWSTransport = iocpws.types.TIocpWSTransport;
  TIocpWSStreaming = iocpws.types.TIocpWSStreaming;
  TIocpWSOpCode = iocpws.types.TIocpWSOpCode;
  TIocpWSSpecification = iocpws.types.TIocpWSSpecification;
  TIocpWSIPVersion = iocpws.types.TIocpWSIPVersion;
  TIocpIPVersion = iocpws.types.TIocpIPVersion;
  TIocpWSEPOLLOptions = iocpws.options.TIocpWSEPOLLOptions;
  TIocpWSOpenSSLOptions = iocpws.options.TIocpWSOpenSSLOptions;
  TIocpWSAuthenticationOptions = iocpws.options.TIocpWSAuthenticationOptions;
  TIocpWSSecurityOptions = iocpws.options.TIocpWSSecurityOptions;
  TIocpWSTCPKeepAliveOptions = iocpws.options.TIocpWSTCPKeepAliveOptions;

  { One entry of Bindings (Indy's TIdSocketHandle): an address and port to
    listen on. }
  TIocpWSBinding = class(TCollectionItem)
  private
    FIP: string;
    FPort: Integer;
    FIPVersion: TIocpIPVersion;
  public
    procedure Assign(Source: TPersistent); override;
    { 'IP:Port' ('[IP]:Port' for IPv6), as Start names it in errors. }
    function Text: string;
  published
    property IP: string read FIP write FIP;
    property IPVersion: TIocpIPVersion read FIPVersion write FIPVersion default Id_IPv4;
    property Port: Integer read FPort write FPort default 0;
  end;

  { The server's Bindings (Indy's TIdSocketHandles): Bindings.Add.IP :=
    ...; Items[i]; Clear. Forms stream it as 'Bindings = <item ... end>'.
    Empty = listen on Host and Port. Otherwise the server listens on every
    entry (IPv4 and IPv6 addresses, any number of ports up to 64; IP ''
    = Host, by default 0.0.0.0); with SSL, an entry whose Port is SSLOptions.Port - every
    entry when SSLOptions.Port is 0 - is a TLS listener, the others are
    plain. An entry that cannot be listened on (port in use, address not
    on this machine) makes Start raise EIocpWs naming it, with nothing
    left listening. Connection.ListenerIndex tells which entry accepted a
    client. }
  TIocpWSBindings = class(TOwnedCollection)
  private
    function GetItem(Index: Integer): TIocpWSBinding;
    procedure SetItem(Index: Integer; V: TIocpWSBinding);
  public
    function Add: TIocpWSBinding;
    property Items[Index: Integer]: TIocpWSBinding read GetItem write SetItem; default;
  end;

  { One SNI certificate (AddSSLHost). }
  TIocpWsSSLHost = record
    HostName, CertFile, KeyFile, Password: string;
  end;

  TIocpWSConnection = class;
  { Delphi's TList.TDirection (System.Types.TDirection: FromBeginning,
    FromEnd); Free Pascal's TList has no such nested type: TFPList's, the
    one FromBeginning names in a unit using Classes. }
  TIocpWSListDirection = {$ifdef FPC} TFPList.TDirection {$else} TList.TDirection {$endif};
  TIocpWSEOFScanBuffer = iocpws.types.TIocpWSEOFScanBuffer;
  TIocpWSAuthentication = iocpws.types.TIocpWSAuthentication;
  TIocpWSServerForwardHTTP = iocpws.sgcoptions.TIocpWSServerForwardHTTP;

  { sgc's TsgcWSHandShakeServer (Connection.HandShake): the upgrade
    request as the client sent it, read from the connection's
    HeadersRequest: Get is the request-target ('/chat?room=1', as URL),
    Host, Origin (Origin, or Sec-WebSocket-Origin), Key
    (Sec-WebSocket-Key), Version (Sec-WebSocket-Version), Protocols
    (Sec-WebSocket-Protocol, as offered) and Extensions
    (Sec-WebSocket-Extensions, as offered; several header lines joined
    with ', '). Specification: always spRFC6455. }
  TIocpWSHandShakeServer = class
  private
    FConnection: TIocpWSConnection;
    function Header(const aName: string): string;
    function GetGet: string;
    function GetHost: string;
    function GetOrigin: string;
    function GetKey: string;
    function GetVersion: string;
    function GetSpecification: TIocpWSSpecification;
    function GetProtocols: string;
    function GetExtensions: string;
  public
    constructor Create(AConnection: TIocpWSConnection);
    property Get: string read GetGet;
    property Host: string read GetHost;
    property Origin: string read GetOrigin;
    property Key: string read GetKey;
    property Version: string read GetVersion;
    property Specification: TIocpWSSpecification read GetSpecification;
    property Protocols: string read GetProtocols;
    property Extensions: string read GetExtensions;
  end;

  { sgc's TsgcWSConnectionAuthentication (Connection.Authentication): how
    the server's Authentication let the connection in, filled before
    OnConnect and not changed after by the server. Authenticated: True
    when credentials were checked and accepted (False for a client let in
    without credentials: Authentication off, or AllowNonAuth); AuthType
    (see TIocpWSAuthentication); User and Password as the client sent
    them (URL: from the path; Basic: from the header; Session: the user
    who logged in, Password ''; a token scheme: the user
    OnUnknownAuthentication set); SessionID: the session token the
    connection used (authSession only). Yours to change: the server does
    not read it back. }
  TIocpWSConnectionAuthentication = class
  private
    FAuthenticated: Boolean;
    FAuthType: TIocpWSAuthentication;
    FSessionID: string;
    FUser: string;
    FPassword: string;
  public
    property Authenticated: Boolean read FAuthenticated write FAuthenticated;
    property AuthType: TIocpWSAuthentication read FAuthType write FAuthType;
    property SessionID: string read FSessionID write FSessionID;
    property User: string read FUser write FUser;
    property Password: string read FPassword write FPassword;
  end;

  TIocpWSAuthenticationEvent = procedure(Connection: TIocpWSConnection;
    aUser, aPassword: string; var Authenticated: Boolean) of object;
  { sgc's TsgcWSUpdateEvent (Connection.OnUpdate). }
  TIocpWSUpdateEvent = procedure(Connection: TIocpWSConnection;
    aType: Integer) of object;
  { sgc's TsgcWSSubscriptionEvent (Connection.OnSubscription /
    OnUnSubscription). }
  TIocpWSSubscriptionEvent = procedure(Connection: TIocpWSConnection;
    const Subscription: string) of object;
  { sgc's TsgcWSSSECustomizeHeadersEvent: sgc's reference does not publish
    its signature; ours has OnHandshake's shape (the response headers of
    the SSE answer, writable). The engine has no SSE transport: never
    called. }
  TIocpWSSSECustomizeHeadersEvent = procedure(Connection: TIocpWSConnection;
    var Headers: TStringList) of object;

  { One WebSocket connection. Created by the server when a client has
    finished the handshake; valid until its OnDisconnect handler returned
    (with neAsynchronous: until the queued OnDisconnect has run). Do not
    free it. All methods may be called from any thread. }
  TIocpWSConnection = class
  private
    FServer: TIocpWebSocketServer;
    FId: iws_conn_id;
    FGuid: string;
    FIP: string;
    FPort: Integer;
    FURL: string;
    FProtocol: string;
    FProtocolKnown: Boolean;
    FData: TObject;
    FCloseCode: Integer;
    FDisconnected: Boolean;
    FRefs: Integer;
    FIndex: Integer;
    FHeadersRequest: TIocpHTTPHeaderList;
    FHeadersResponse: TStringList;
    FSubscriptions: TStringList;
    FCloseReason: string;
    FRecBytes: Int64;
    FSendBytes: Int64;
    FLastPing: TDateTime;
    FLocalIP: string;
    FLocalPort: Integer;
    FLastMsgRcv: TDateTime;
    FCreatedAt: TDateTime;
    FStreamText: string;
    FAuthUser: string;
    FLastSubscription: string;
    FLastUnSubscription: string;
    FFirstPing: TDateTime;
    FMasked: Boolean;
    { Authentication (sgc's TsgcWSConnectionAuthentication), set before
      OnConnect; the object is made at the first read }
    FAuthenticated: Boolean;
    FAuthType: TIocpWSAuthentication;
    FAuthPassword: string;
    FAuthSessionID: string;
    FAuthCloseCode: Integer;
    FAuthentication: TIocpWSConnectionAuthentication;
    FHandShake: TIocpWSHandShakeServer;
    FForwardHTTP: TIocpWSServerForwardHTTP;
    FMsgReceived: string;
    FMsgError: string;
    FMsgException: string;
    FRawException: Exception;
    FMsgBinary: TMemoryStream;      { OnBinary's Data while it runs }
    FMsgBinaryEmpty: TMemoryStream; { otherwise (made at the first read) }
    FTCPEOFScan: TIocpWSEOFScanBuffer;
    FOnUpdate: TIocpWSUpdateEvent;
    FOnSubscription: TIocpWSSubscriptionEvent;
    FOnUnSubscription: TIocpWSSubscriptionEvent;
    FOnAuthentication: TIocpWSAuthenticationEvent;
    FOnSSECustomizeHeaders: TIocpWSSSECustomizeHeadersEvent;
    function GetHandShake: TIocpWSHandShakeServer;
    function GetAuthentication: TIocpWSConnectionAuthentication;
    function GetForwardHTTP: TIocpWSServerForwardHTTP;
    function GetMsgBinaryReceived: TMemoryStream;
    procedure SetTCPEndOfFrameScanBuffer(V: TIocpWSEOFScanBuffer);
    function GetEnabled: Boolean;
    function GetValidateUTF8: Boolean;
    function GetRaiseDisconnectExceptions: Boolean;
    function GetFragmentedMessages: TIocpWSFragmentedMessages;
    function GetCleanDisconnect: Boolean;
    function GetExtensions: TIocpWSExtensions;
    function GetQueueOptions: TIocpWSQueueOptions;
    procedure SubscriptionEvent(const aChannel: string; Subscribed: Boolean);
    procedure AddRef;
    procedure Release;
    function GetProtocol: string;
    function Check(rc: Integer; const What: string): Boolean;
    function GetSubscriptions: TStringList;
    function GetLocalIP: string;
    function GetLocalPort: Integer;
    function GetRecBytes: Int64;
    function GetSendBytes: Int64;
    function GetLastPing: TDateTime;
    function GetLastPong: TDateTime;
    procedure AddSent(N: Int64);
    function DropTCP: Boolean;
    function GetLastSubscription: string;
    function GetLastUnSubscription: string;
    function GetFirstPing: TDateTime;
    function GetServerOriginsAllowed: string;
    function GetServerSSL: Boolean;
    function GetEnforceWebSocketVersion: Boolean;
    function GetValidateWebSocketKey: Boolean;
    function GetIOHandlerType: TIocpWSIOHandlerType;
    function GetReadTimeOut: Integer;
    function GetMaxMessageSize: Int64;
  public
    constructor Create;
    destructor Destroy; override;
    { Sends a text message (UTF-8 on the wire). True when queued; False
      when the connection is closing or gone. Raises EIocpWs when the
      server is stopped or the message is too big.
      sgc's aSize (fragment size) and aStreaming: the engine sends every
      message whole, so aSize does not split it (the peer receives the same
      message); aStreaming stmFirst / stmContinue collect the text on this
      connection and stmLast / stmContinueAndLast send what was collected
      as one message (stmNone: at once). }
    function WriteData(const aText: string; const aSize: Integer = 0;
      const aStreaming: TIocpWSStreaming = stmNone): Boolean; overload;
    { Sends the rest of aStream (from its Position) as one binary message
      (aSize, aStreaming: as sgc's; the message goes whole). }
    function WriteData(const aStream: TStream; const aSize: Integer = 0;
      const aStreaming: TIocpWSStreaming = stmNone): Boolean; overload;
    { Sends aData as one binary message. }
    function WriteData(const aData: TBytes): Boolean; overload;
    { Sends a ping (aText at most 125 bytes of UTF-8). }
    function Ping(const aText: string = ''): Boolean;
    { Starts the close handshake with aCode (1000 normal; 1000-1003,
      1007-1011, 3000-4999) and a reason of at most 123 bytes. OnDisconnect
      follows with the code. }
    function Close(aCode: Integer = IWS_CLOSE_NORMAL;
      const aReason: string = ''): Boolean;
    { Drops the TCP connection at once (OnDisconnect reports 1006); with
      Options.CleanDisconnect, a close handshake (1000) instead. }
    function Disconnect: Boolean; overload;
    { sgc's Disconnect(CloseCode): a close handshake with that code. }
    function Disconnect(aCloseCode: Integer): Boolean; overload;
    { Channels (sgc's Subscribe / UnSubscribe): the connection receives
      what Broadcast(aMessage, aChannel) sends to aChannel, on this server
      and - with RedisURL - on every server sharing that Redis. Names are
      1..255 bytes of UTF-8 without control characters (EIocpWs,
      IWS_E_CHANNEL_NAME, otherwise). Subscribing twice does nothing;
      subscriptions end with the connection. False when the connection is
      gone. }
    function Subscribe(const aChannel: string): Boolean;
    function Unsubscribe(const aChannel: string): Boolean;
    { Leaves every channel. }
    function UnsubscribeAll: Boolean;
    { The channels joined, in join order. }
    function Channels: TIocpWsStringArray;
    { sgc: True when the connection has joined aChannel. }
    function Subscribed(const aChannel: string): Boolean;
    { sgc's DoSubscribe / DoUnSubscribe: a comma list of channels. }
    procedure DoSubscribe(const aChannels: string);
    procedure DoUnSubscribe(const aChannels: string);
    { sgc's DisconnectPeer: drops the TCP connection (as Disconnect;
      OnDisconnect always follows once, so the argument changes nothing). }
    procedure DisconnectPeer(aCallOnDisconnectIfClosed: Boolean = False);

    { The engine's 64-bit connection id (never reused by this server). }
    property Id: iws_conn_id read FId;
    { A GUID-shaped unique name: 64 random bits of the server and the id. }
    property Guid: string read FGuid;
    property IP: string read FIP;
    property Port: Integer read FPort;
    { The request-target of the handshake, e.g. '/chat?room=1'. }
    property URL: string read FURL;
    { The negotiated subprotocol ('' if none). }
    property Protocol: string read GetProtocol;
    { Yours: the server never reads or frees it. }
    property Data: TObject read FData write FData;
    { The close code once disconnected (0 before). }
    property CloseCode: Integer read FCloseCode;
    property Disconnected: Boolean read FDisconnected;
    property Server: TIocpWebSocketServer read FServer;
    { sgc: the handshake's request headers ('Name: value'; Values[Name]). }
    property HeadersRequest: TIocpHTTPHeaderList read FHeadersRequest;
    { sgc: the handshake's response headers, as OnHandshake left them (the
      added lines were sent with the 101: see OnHandshake). }
    property HeadersResponse: TStringList read FHeadersResponse;
    { The close reason of the close frame that ended it ('' before). }
    property CloseReason: string read FCloseReason;
    { Payload bytes received (whole messages) and sent (queued). }
    property RecBytes: Int64 read GetRecBytes;
    property SendBytes: Int64 read GetSendBytes;
    { When Ping last sent a ping (0 = never), and when the last pong
      arrived (0 = none yet; the engine's iws_conn_last_pong: answers to
      Ping and to HeartBeat's pings, and unsolicited pongs). Local time. }
    property LastPing: TDateTime read GetLastPing;
    property LastPong: TDateTime read GetLastPong;
    { When the last message arrived / the connection opened. }
    property LastMsgRcv: TDateTime read FLastMsgRcv;
    property CreatedAt: TDateTime read FCreatedAt;
    { The local end of the connection: the server address the client
      reached (on a server bound to 0.0.0.0, the interface's own, e.g.
      127.0.0.2) and the port it connected to (the TLS port for wss://). }
    property LocalIP: string read GetLocalIP;
    property LocalPort: Integer read GetLocalPort;
    { Always trpRFC6455 / spRFC6455. }
    function Transport: TIocpWSTransport;
    function Specification: TIocpWSSpecification;
    { The user the connection authenticated as (Authentication), else ''. }
    property AuthUser: string read FAuthUser;
    { The channels joined (a copy refreshed at each read; sgc's
      Subscriptions). }
    property Subscriptions: TStringList read GetSubscriptions;
    { sgc: the last channel DoSubscribe / DoUnSubscribe (or Subscribe /
      Unsubscribe) named. }
    property LastSubscription: string read GetLastSubscription;
    property LastUnSubscription: string read GetLastUnSubscription;
    { sgc: not Disconnected. }
    function Active: Boolean;
    { sgc: ipV6 when the peer's address is IPv6. }
    function IPVersion: TIocpWSIPVersion;
    { Which listener accepted the connection: with Bindings, the index of
      its entry (Bindings[ListenerIndex]); without, 0 for Port and 1 for
      the TLS port beside it (0 when TLS is on Port alone). -1 once the
      connection is gone. }
    function ListenerIndex: Integer;
    { The client certificate verified with SSLOptions.VerifyCertificate
      (Indy's PeerCert.Subject / Issuer, RFC 2253 form, e.g.
      'CN=alice,O=Example'; the PEM text): '' on a plain connection, when
      the client sent none, or when verification is off. }
    function ClientCertificateSubject: string;
    function ClientCertificateIssuer: string;
    function ClientCertificatePEM: string;
    { sgc (TsgcWSConnection): when Ping first sent a ping (0 = never). }
    property FirstPing: TDateTime read GetFirstPing;
    { sgc: whether frames sent are masked. A server never masks (RFC 6455
      5.1): kept, no effect. }
    property Masked: Boolean read FMasked write FMasked;
    { sgc: the connection may be freed (here: it is Disconnected; the
      server frees it itself after OnDisconnect). }
    property CanFree: Boolean read FDisconnected;
    { sgc (TsgcWSConnectionServer): the server's settings that apply to
      the connection, read from the server (sgc copies them in). }
    property ServerOriginsAllowed: string read GetServerOriginsAllowed;
    property ServerSSL: Boolean read GetServerSSL;
    property EnforceWebSocketVersion: Boolean read GetEnforceWebSocketVersion;
    property ValidateWebSocketKey: Boolean read GetValidateWebSocketKey;
    property IOHandlerType: TIocpWSIOHandlerType read GetIOHandlerType;
    property ReadTimeOut: Integer read GetReadTimeOut;
    property MaxMessageSize: Int64 read GetMaxMessageSize;
    { sgc (TsgcWSConnection): the server's Options / Extensions /
      QueueOptions as they apply to the connection (read from the server;
      sgc copies them in). Enabled: as Active. }
    property ValidateUTF8: Boolean read GetValidateUTF8;
    property RaiseDisconnectExceptions: Boolean read GetRaiseDisconnectExceptions;
    property FragmentedMessages: TIocpWSFragmentedMessages read GetFragmentedMessages;
    property CleanDisconnect: Boolean read GetCleanDisconnect;
    property Extensions: TIocpWSExtensions read GetExtensions;
    property QueueOptions: TIocpWSQueueOptions read GetQueueOptions;
    property Enabled: Boolean read GetEnabled;

    { sgc (TsgcWSConnectionServer.HandShake): the upgrade request's fields
      (see TIocpWSHandShakeServer). }
    property HandShake: TIocpWSHandShakeServer read GetHandShake;
    { sgc: how the connection authenticated (see
      TIocpWSConnectionAuthentication). }
    property Authentication: TIocpWSConnectionAuthentication read GetAuthentication;
    { sgc's Forward_HTTP: the engine never forwards a request (see
      OnBeforeForwardHTTP): an empty TsgcWSServerForwardHTTP, made at the
      first read, that nothing reads. }
    property Forward_HTTP: TIocpWSServerForwardHTTP read GetForwardHTTP;
    { sgc: the close code for a connection authentication refuses after
      the upgrade. Here every refusal (Authentication, OnAuthentication,
      OnUnknownAuthentication) happens before it, as an HTTP 401 (sgc's
      status too): the code is kept (AuthenticationCloseCode) and changes
      nothing. }
    procedure SetAuthenticationCloseCode(const aCloseCode: Integer);
    property AuthenticationCloseCode: Integer read FAuthCloseCode;
    { sgc: answers an HTTP request arriving on the connection. A
      TsgcWSConnection here is always an upgraded WebSocket (HTTP requests
      go to OnCommandGet / OnCommandOther, with their own response):
      raises EIocpWs (IWS_E_UNSUPPORTED). }
    procedure SendResponseHTTP(const aContent, aContentType: string);
    { sgc's client-side request / answer: not available on a server
      connection (WriteData, then answer in OnMessage): raises EIocpWs
      (IWS_E_UNSUPPORTED). }
    function WriteAndWaitData(const aText: string; const aTimeOut: Integer = 10000): string;
    { sgc: the last text message received (set just before OnMessage is
      delivered), the last error reported for the connection (just before
      OnError), the message of the last exception a handler of the
      connection raised (just before OnException / OnError). Written on
      the thread that delivers the connection's events: read them in the
      connection's own handlers. }
    property MsgReceived: string read FMsgReceived write FMsgReceived;
    property MsgError: string read FMsgError write FMsgError;
    property MsgException: string read FMsgException write FMsgException;
    { sgc: during OnBinary, the message (the same stream as Data); at other
      times an empty stream. Never nil; do not free it. }
    property MsgBinaryReceived: TMemoryStream read GetMsgBinaryReceived;
    { sgc: the exception being reported, during OnException (and OnError
      for it); nil at other times (it is freed after). }
    property RawException: Exception read FRawException;
    { sgc's raw TCP transport framing (TCPEndOfFrameScanBuffer,
      AddTCPEndOfFrame): the engine speaks WebSocket only. Setting
      another value than eofScanNone, or AddTCPEndOfFrame, raises EIocpWs
      (IWS_E_UNSUPPORTED); ClearTCPEndOfFrame does nothing. }
    property TCPEndOfFrameScanBuffer: TIocpWSEOFScanBuffer read FTCPEOFScan write SetTCPEndOfFrameScanBuffer;
    procedure AddTCPEndOfFrame(aByte: Byte);
    procedure ClearTCPEndOfFrame;
    { sgc: after Subscribe / DoSubscribe joined a channel the connection
      was not in (OnSubscription), and after Unsubscribe / DoUnSubscribe /
      UnsubscribeAll left one it was in (OnUnSubscription); on the thread
      that made the change, at once (NotifyEvents does not apply), no lock
      held; an exception goes to OnException. }
    property OnSubscription: TIocpWSSubscriptionEvent read FOnSubscription write FOnSubscription;
    property OnUnSubscription: TIocpWSSubscriptionEvent read FOnUnSubscription write FOnUnSubscription;
    { sgc's per-connection plumbing, never called here: OnUpdate (sgc's
      internal updates), OnAuthentication (authentication is over before a
      program sees the connection: the server's OnAuthentication is the
      one), OnSSECustomizeHeaders (no SSE transport). }
    property OnUpdate: TIocpWSUpdateEvent read FOnUpdate write FOnUpdate;
    property OnAuthentication: TIocpWSAuthenticationEvent read FOnAuthentication write FOnAuthentication;
    property OnSSECustomizeHeaders: TIocpWSSSECustomizeHeadersEvent read FOnSSECustomizeHeaders write FOnSSECustomizeHeaders;
  end;

  TIocpWSConnectEvent = procedure(Connection: TIocpWSConnection) of object;
  TIocpWSMessageEvent = procedure(Connection: TIocpWSConnection;
    const Text: string) of object;
  TIocpWSBinaryEvent = procedure(Connection: TIocpWSConnection;
    const Data: TMemoryStream) of object;
  TIocpWSDisconnectEvent = procedure(Connection: TIocpWSConnection;
    Code: Integer) of object;
  TIocpWSErrorEvent = procedure(Connection: TIocpWSConnection;
    const Error: string) of object;
  TIocpWSExceptionEvent = procedure(Connection: TIocpWSConnection;
    E: Exception) of object;
  TIocpWSHandshakeEvent = procedure(Connection: TIocpWSConnection;
    var Headers: TStringList) of object;
  { sgc's OnTCPConnect / OnUnknownProtocol: set Accept False to refuse. }
  TIocpWSAcceptEvent = procedure(Connection: TIocpWSConnection;
    var Accept: Boolean) of object;
  TIocpWSFragmentedEvent = procedure(Connection: TIocpWSConnection;
    const Data: TMemoryStream; const OpCode: TIocpWSOpCode;
    const Continuation: Boolean) of object;
  TIocpWSBeforeHeartBeatEvent = procedure(Sender: TObject;
    const Connection: TIocpWSConnection; var Handled: Boolean) of object;
  { sgc's OnUnknownAuthentication: an Authorization scheme sgc does not
    know (AuthType 'Bearer', AuthData the token...). }
  TIocpWSUnknownAuthenticationEvent = procedure(Connection: TIocpWSConnection;
    AuthType, AuthData: string; var aUser, aPassword: string;
    var Authenticated: Boolean) of object;
  { sgc's OnSSLALPNSelect: choose one of the protocols a TLS client offers. }
  TIocpWSSSLALPNSelectEvent = procedure(Sender: TObject; aProtocols: TStringList;
    var aProtocol: string) of object;
  { Indy's TIdX509Name and TIdX509 (iocpws.common): a certificate of the
    client's verified chain in OnSSLVerifyPeer. }
  TIocpWSX509Name = iocpws.common.TIocpWSX509Name;
  TIocpWSX509 = iocpws.common.TIocpWSX509;
  { sgc's OnSSLVerifyPeer: called, for each TLS connection that presented a
    client certificate (SSLOptions.VerifyCertificate), once per certificate
    of the chain the engine's OpenSSL verified against
    SSLOptions.RootCertFile, deepest first as OpenSSL does: the trusted CA
    (ADepth = the chain's length - 1), each intermediate, then the client's
    own (ADepth 0). The calls come after the verification, so AOk is always
    True and AError 0; a certificate that failed verification never gets
    here (the TLS handshake failed), and a handler cannot accept it (sgc,
    inside OpenSSL's verification, can). The first Accept := False ends the
    calls. Runs before OnTCPConnect, OnAuthentication,
    OnHandshake and OnConnect of a WebSocket upgrade, and before the HTTP
    handler (OnCommandGet) of a request, with the thread rules of the
    handshake's gates (NotifyEvents). Accept := False, or an exception,
    refuses: HTTP 403 and OnError says why. No call for a client that sent
    no certificate. }
  TIocpWSSSLVerifyPeerEvent = procedure(Sender: TObject; Certificate: TIocpWSX509;
    AOk: Boolean; ADepth, AError: Integer; var Accept: Boolean) of object;
  { sgc's OnSSLGetHandler / OnSSLAfterCreateHandler hand out Indy's TLS
    handler object; sgc's reference gives no signature and the engine has
    no such object: declared with TObject. }
  TIocpWSSSLGetHandlerEvent = procedure(Sender: TObject;
    var aSSLHandler: TObject) of object;
  TIocpWSSSLAfterCreateHandlerEvent = procedure(Sender: TObject;
    aSSLHandler: TObject) of object;
  { sgc's HTTPUploadFiles events (multipart uploads saved to files). }
  TIocpWSHTTPUploadBeforeSaveFileEvent = procedure(Sender: TObject;
    var aFileName, aFilePath: string) of object;
  TIocpWSHTTPUploadAfterSaveFileEvent = procedure(Sender: TObject;
    const aFileName, aFilePath: string) of object;
  TIocpWSHTTPUploadReadInputEvent = procedure(Sender: TObject;
    const aName, aValue: string) of object;
  TIocpWSHTTPBeforeCreatePostStreamEvent = procedure(Sender: TObject;
    const Connection: TIocpWSConnection; const aHeaders: TStrings;
    var Accept: Boolean) of object;
  { sgc's OnLoadBalancerError }
  TIocpWSLoadBalancerErrorEvent = procedure(Sender: TObject;
    const Error: string) of object;

  { Indy's TIdContext for one HTTP request: which connection and peer.
    Lives for one request (keep-alive requests on one connection get one
    each, with the same ConnectionId). }
  TIocpHTTPContext = class
  private
    FServer: TIocpWebSocketServer;
    FConnectionId: iws_conn_id;
    FBinding: TIocpHTTPBinding;
    FData: TObject;
  public
    constructor Create;
    destructor Destroy; override;
    property Server: TIocpWebSocketServer read FServer;
    { The engine's id of the HTTP connection. }
    property ConnectionId: iws_conn_id read FConnectionId;
    property Binding: TIocpHTTPBinding read FBinding;
    { Yours for this request (not freed by the server). }
    property Data: TObject read FData write FData;
  end;

  { TIdHTTPServer.OnCommandGet / OnCommandOther. }
  TIocpHTTPCommandEvent = procedure(AContext: TIocpHTTPContext;
    ARequestInfo: TIocpHTTPRequestInfo;
    AResponseInfo: TIocpHTTPResponseInfo) of object;

  { sgc's TsgcThreadListType (Groups.ListType: kept, no effect) }
  TIocpWSThreadListType = (tdlThreadDictionary, tdlOnlyThread, tdlOnlyDictionary);

  { sgc's TsgcQueueItemBase: an entry of sgc's keyed lists (here: of
    Groups), with its key (ID) and sort key (Order). }
  TIocpWSQueueItemBase = class
  private
    FID: string;
    FOrder: Int64;
  protected
    procedure SetID(const aValue: string); virtual;
  public
    property ID: string read FID write SetID;
    { Sort key for TIocpWSServerGroups.SortByOrder. }
    property Order: Int64 read FOrder write FOrder;
  end;

  TIocpWSServerGroupItem = class;

  { The connections of one group (sgc's TsgcWSServerGroups_Clients: sgc's
    reference does not publish that type; this small class is ours).
    Thread-safe: Count and Connection[i] take the groups' lock for the
    call; to walk the list while it cannot change, LockList (the groups'
    lock is held: keep it short, no Groups method that sends or raises an
    event, no wait for another thread) then UnlockList. A connection is in
    the list from Add to its OnDisconnect (it leaves before OnDisconnect
    runs), so the objects listed are alive while the lock is held. }
  TIocpWSServerGroupClients = class
  private
    FGroup: TIocpWSServerGroupItem;
    FList: TList;
    function GetConnection(Index: Integer): TIocpWSConnection;
    function GetCount: Integer;
  public
    constructor Create(AGroup: TIocpWSServerGroupItem);
    destructor Destroy; override;
    { The group's connections (in GUID order), held until UnlockList. }
    function LockList: TList;
    procedure UnlockList;
    property Count: Integer read GetCount;
    { nil when Index is out of range (the group may have changed). }
    property Connection[Index: Integer]: TIocpWSConnection read GetConnection;
    property Item[Index: Integer]: TIocpWSConnection read GetConnection; default;
  end;

  { sgc's TsgcWSServerGroupItem: one named group, holding connections by
    GUID (a connection that is gone is skipped, and leaves the group at
    its OnDisconnect). Made by Groups.Add; one you create
    (Create(nil, 'name')) joins a Groups with AddItem. Its ID cannot
    change while it is in a Groups (EIocpWs). }
  TIocpWSServerGroupItem = class(TIocpWSQueueItemBase)
  private
    FGroups: TIocpWSServerGroups;
    FGuids: TStringList;  { sorted, no duplicates; Objects: the connection }
    FRefs: Integer;       { Groups events running for it (under the lock) }
    FDetached: Boolean;   { out of the groups' list: freed at FRefs = 0 }
    FClients: TIocpWSServerGroupClients;
    procedure NeedGroups(const What: string);
  protected
    procedure SetID(const aValue: string); override;
  public
    constructor Create(AGroups: TIocpWSServerGroups; const AID: string);
    destructor Destroy; override;
    { Adds the connection; False when it is nil or already in the group. }
    function Add(const aConnection: TIocpWSConnection): Boolean;
    { Removes it; False when it was not in the group. }
    function Remove(const aConnection: TIocpWSConnection): Boolean;
    { Sends aMessage to the group's connections (from any thread). }
    procedure BroadCast(const aMessage: string);
    { How many connections the group holds (iocpws). }
    function Count: Integer;
    { sgc: the group's connections (see TIocpWSServerGroupClients). }
    property Clients: TIocpWSServerGroupClients read FClients;
  end;

  { sgc's TsgcWSServerGroupClientAddedEvent / ...RemovedEvent: Sender is
    Server.Groups. }
  TIocpWSServerGroupClientEvent = procedure(Sender: TObject;
    const aGroup: TIocpWSServerGroupItem;
    const aConnection: TIocpWSConnection) of object;

  { sgc's TsgcWSServerGroups (Server.Groups): groups by name, each a set of
    connections; BroadCast sends to every group whose name matches a mask
    ('*' any run, '?' one character, any case). Thread-safe: the methods
    take the groups' own lock, and BroadCast sends outside it. An empty
    group is deleted, so groups cannot outgrow the connections in them.
    OnClientAdded / OnClientRemoved (sgc's signatures) run after the change,
    outside the lock, on the thread that made it: the caller of Add /
    Remove, or, when a connection disconnects, the library thread just
    before OnDisconnect is delivered (NotifyEvents does not apply: do not
    touch the user interface from them). The group passed stays valid
    during the call even if it was emptied and deleted. DeleteItem, Delete,
    DeleteKey, RemoveItem and Clear delete groups without these events.
    sgc's list internals (AddItem, GetItem, AddKey, Delete, DeleteKey,
    GetValue, RemoveItem; Item[i] as TsgcQueueItemBase) work on the groups,
    keyed by their ID. }
  TIocpWSServerGroups = class
  private
    FServer: TIocpWebSocketServer;
    FLock: {$ifdef FPC} TRTLCriticalSection {$else} TCriticalSection {$endif};
    FList: TStringList;   { sorted: name -> TIocpWSServerGroupItem }
    FOwnObjects: Boolean;
    FDuplicates: TDuplicates;
    FListType: TIocpWSThreadListType;
    FItems: TList;        { the groups in Item[] order (added, or sorted) }
    FOnClientAdded: TIocpWSServerGroupClientEvent;
    FOnClientRemoved: TIocpWSServerGroupClientEvent;
    function GetGroup(const aName: string): TIocpWSServerGroupItem;
    function GetItemAt(Index: Integer): TIocpWSQueueItemBase;
    function GetCount: Integer;
    function GetIsEmpty: Boolean;
    procedure Enter;
    procedure Leave;
    { deletes the group at Index if it holds nobody (under the lock) }
    procedure DropIfEmpty(Index: Integer);
    { takes G out of the list and frees it unless an event holds it (under
      the lock) }
    procedure Detach(G: TIocpWSServerGroupItem);
    { runs OnClientAdded / OnClientRemoved for G (held by the caller: its
      FRefs was raised under the lock), then lets G go; no lock held }
    procedure Notify(G: TIocpWSServerGroupItem; aConnection: TIocpWSConnection;
      Added: Boolean);
    { the server, at a connection's OnDisconnect }
    procedure ConnectionGone(aConnection: TIocpWSConnection);
  public
    constructor Create(AServer: TIocpWebSocketServer);
    destructor Destroy; override;
    { Puts the connection in the group aGroupName (created if needed);
      False when it is nil or already there. }
    function Add(const aGroupName: string; const aConnection: TIocpWSConnection): Boolean;
    { Takes the connection out of every group. }
    procedure Remove(const aConnection: TIocpWSConnection);
    { Sends aMessage once to every connection of the groups whose name
      matches aGroupMask. }
    procedure BroadCast(const aGroupMask, aMessage: string);
    { Orders Item[] (and LockList) by each group's Order; groups added
      later go to the end. }
    procedure SortByOrder(aAscending: Boolean = True);
    { Deletes the group named aID; False when there is none. }
    function DeleteItem(const aID: string): Boolean;
    { The group named aID, nil if none. }
    function GetItemByID(const aID: string): TIocpWSServerGroupItem;
    { Deletes every group. }
    procedure Clear;
    { sgc's list internals. AddItem: puts a group made with
      TsgcWSServerGroupItem.Create(nil, aID) in the list (EIocpWs when aItem
      is not a group, is in a list already, or its ID is '' or taken);
      the list owns it then. GetItem / GetValue: the group keyed aID / aKey,
      nil if none. AddKey: a group has one key, its ID: AddKey(G, G.ID)
      does nothing, another key raises EIocpWs. Delete: deletes the group
      at Item[Index]; DeleteKey: deletes the group keyed aKey if it is
      Item[Index] (EIocpWs otherwise). RemoveItem: deletes the group Item
      (a group is in the list once: Direction changes nothing); nothing
      if it is not in the list. }
    procedure AddItem(const aItem: TIocpWSQueueItemBase);
    function GetItem(const aID: string): TIocpWSQueueItemBase;
    procedure AddKey(Item: Pointer; const aKey: string);
    procedure Delete(Index: Integer);
    procedure DeleteKey(Index: Integer; const aKey: string);
    function GetValue(const aKey: string): TObject;
    procedure RemoveItem(Item: Pointer; Direction: TIocpWSListDirection);
    { The groups, held still until UnlockList (keep it short). }
    function LockList: TList;
    procedure UnlockList;
    property Group[const aName: string]: TIocpWSServerGroupItem read GetGroup;
    { sgc: Item[i] is a TsgcQueueItemBase (cast it to TsgcWSServerGroupItem,
      or use Group[name]). }
    property Item[Index: Integer]: TIocpWSQueueItemBase read GetItemAt;
    property Count: Integer read GetCount;
    property IsEmpty: Boolean read GetIsEmpty;
    { sgc's list settings: kept, no effect (a group always owns its entry
      and holds a connection once). }
    property OwnObjects: Boolean read FOwnObjects write FOwnObjects;
    property Duplicates: TDuplicates read FDuplicates write FDuplicates;
    property ListType: TIocpWSThreadListType read FListType write FListType;
    { A connection was put in a group / taken out of one (see above). }
    property OnClientAdded: TIocpWSServerGroupClientEvent read FOnClientAdded write FOnClientAdded;
    property OnClientRemoved: TIocpWSServerGroupClientEvent read FOnClientRemoved write FOnClientRemoved;
  end;

  { The server component. Create it on the main thread, and Free it there
    (Free stops it first). }
  TIocpWebSocketServer = class(TIocpWSServerBase)
  private
    FHandle: piws_server;
    FActive: Boolean;
    FStreamedActive: Boolean;
    FPort: Integer;
    FHost: string;
    FBindings: TIocpWSBindings;
    FAuthentication: TIocpWSAuthenticationOptions;
    FSecurityOptions: TIocpWSSecurityOptions;
    FTCPKeepAlive: TIocpWSTCPKeepAliveOptions;
    FLoadBalancer: TIocpWSLoadBalancerOptions;
    FThreadPool: Boolean;
    FThreadPoolOptions: TIocpWSThreadPoolOptions;
    FFallBack: TIocpWSFallBackOptions;
    FQueueOptions: TIocpWSQueueOptions;
    FQueueMessages: Boolean;
    FSpecifications: TIocpWSSpecifications;
    FLogFile: TIocpWSLogFile;
    FThrottle: TIocpWSThrottle;
    FWatchDog: TIocpWSWatchDogOptions;
    FHTTP2Options: TIocpWSHTTP2Options;
    FHTTPUploadFiles: TIocpWSHTTPUploadFiles;
    FMaxReadBufferSize: Int64;
    FGroups: TIocpWSServerGroups;
    FFirewall: TIocpWSFirewall;
    FRateLimiter: TIocpWSRateLimiter;
    FAPIKeyManager: TIocpWSAPIKeyManager;
    FOptimizations: TIocpWSOptimizationOptions;
    FClientLoadBalancer: TIocpWSLoadBalancerClient;
    FOnUnknownAuthentication: TIocpWSUnknownAuthenticationEvent;
    FOnSSLGetHandler: TIocpWSSSLGetHandlerEvent;
    FOnSSLAfterCreateHandler: TIocpWSSSLAfterCreateHandlerEvent;
    FOnSSLALPNSelect: TIocpWSSSLALPNSelectEvent;
    FOnSSLVerifyPeer: TIocpWSSSLVerifyPeerEvent;
    { connections whose certificate OnSSLVerifyPeer accepted (ids are never
      reused; a ring: one pushed out is asked again), under Lock }
    FVerifiedIds: array[0..255] of iws_conn_id;
    FVerifiedNext: Integer;
    FOnHTTPUploadBeforeSaveFile: TIocpWSHTTPUploadBeforeSaveFileEvent;
    FOnHTTPUploadAfterSaveFile: TIocpWSHTTPUploadAfterSaveFileEvent;
    FOnHTTPUploadReadInput: TIocpWSHTTPUploadReadInputEvent;
    FOnHTTPUploadBeforeCreatePostStream: TIocpWSHTTPBeforeCreatePostStreamEvent;
    FOnLoadBalancerError: TIocpWSLoadBalancerErrorEvent;
    FSessions: TStringList;   { Authentication.Session tokens: token=user }
    FUploads: TStringList;    { HTTPUploadFiles being received: id -> TIocpServerUpload or TIocpRawUpload }
    FBoundIP: string;         { the address listened on (LocalIP) }
    FOnTCPConnect: TIocpWSAcceptEvent;
    FOnUnknownProtocol: TIocpWSAcceptEvent;
    FOnAuthentication: TIocpWSAuthenticationEvent;
    FOnFragmented: TIocpWSFragmentedEvent;
    FOnBeforeHeartBeat: TIocpWSBeforeHeartBeatEvent;
    FHeartBeatCb: Boolean;    { FHandle was made with on_heartbeat }
    FStatsBase: iws_stats;    { the counters of the handles freed before FHandle }
    FOnLoadBalancerConnect: TIocpWSConnectEvent;
    FOnLoadBalancerDisconnect: TIocpWSDisconnectEvent;
    FMaxConnections: Integer;
    FRedisURL: string;
    FRedisPrefix: string;
    FMaxMessageSize: Int64;
    FUseNagle: Boolean;
    FHeartBeat: TIocpWSHeartBeatOptions;
    FIOHandlerOptions: TIocpWSIOHandlerOptions;
    FOptions: TIocpWSServerOptions;
    FSSL: Boolean;
    FSSLOptions: TIocpWSSSLOptions;
    FExtensions: TIocpWSExtensions;
    FSSLHosts: array of TIocpWsSSLHost;
    FNotifyEvents: TIocpWSNotifyEvents;
    FGuidPrefix: string;
    FList: TList;          { open connections; FIndex is the position }
    FLock: {$ifdef FPC} TRTLCriticalSection {$else} TCriticalSection {$endif};
    FPending: Integer;     { queued events not yet run }
    FRunning: Integer;     { this server's events running on the main thread }
    FStopThread: TThread;
    FLockReady: Boolean;
    FHostCW: Word;
    FHostMXCSR: Cardinal;
    FOnConnect: TIocpWSConnectEvent;
    FOnMessage: TIocpWSMessageEvent;
    FOnBinary: TIocpWSBinaryEvent;
    FOnDisconnect: TIocpWSDisconnectEvent;
    FOnError: TIocpWSErrorEvent;
    FOnException: TIocpWSExceptionEvent;
    FOnHandshake: TIocpWSHandshakeEvent;
    FOnStartup: TNotifyEvent;
    FOnShutdown: TNotifyEvent;
    FOnCommandGet: TIocpHTTPCommandEvent;
    FOnCommandOther: TIocpHTTPCommandEvent;
    FDocumentRoot: string;
    FIndexFile: string;
    FKeepAlive: Boolean;
    FHTTPOptions: TIocpWSHTTPOptions;
    procedure SetDocumentRoot(const V: string);
    procedure SetIndexFile(const V: string);
    procedure SetKeepAlive(V: Boolean);
    procedure SetHTTPOptions(V: TIocpWSHTTPOptions);
    procedure Lock;
    procedure Unlock;
    procedure SetActive(V: Boolean);
    procedure SetPort(V: Integer);
    procedure SetHost(const V: string);
    procedure SetBindings(V: TIocpWSBindings);
    procedure SetOpt(var F; V: TPersistent);
    procedure SetAuthentication(V: TIocpWSAuthenticationOptions);
    procedure SetSecurityOptions(V: TIocpWSSecurityOptions);
    procedure SetTCPKeepAlive(V: TIocpWSTCPKeepAliveOptions);
    procedure SetLoadBalancer(V: TIocpWSLoadBalancerOptions);
    procedure SetThreadPoolOptions(V: TIocpWSThreadPoolOptions);
    procedure SetFallBack(V: TIocpWSFallBackOptions);
    procedure SetQueueOptions(V: TIocpWSQueueOptions);
    procedure SetSpecifications(V: TIocpWSSpecifications);
    procedure SetLogFile(V: TIocpWSLogFile);
    procedure SetThrottle(V: TIocpWSThrottle);
    procedure SetWatchDog(V: TIocpWSWatchDogOptions);
    procedure SetHTTP2Options(V: TIocpWSHTTP2Options);
    procedure SetHTTPUploadFiles(V: TIocpWSHTTPUploadFiles);
    procedure SetFirewall(V: TIocpWSFirewall);
    procedure SetRateLimiter(V: TIocpWSRateLimiter);
    procedure SetAPIKeyManager(V: TIocpWSAPIKeyManager);
    procedure SetOptimizations(V: TIocpWSOptimizationOptions);
    function GetVersion: string;
    procedure CheckSettings;
    procedure SetMaxConnections(V: Integer);
    procedure SetRedisURL(const V: string);
    procedure SetRedisPrefix(const V: string);
    procedure SetMaxMessageSize(V: Int64);
    procedure SetUseNagle(V: Boolean);
    procedure SetHeartBeat(V: TIocpWSHeartBeatOptions);
    procedure SetIOHandlerOptions(V: TIocpWSIOHandlerOptions);
    procedure SetOptions(V: TIocpWSServerOptions);
    procedure SetSSL(V: Boolean);
    procedure SetSSLOptions(V: TIocpWSSSLOptions);
    procedure SetExtensions(V: TIocpWSExtensions);
    procedure SetNotifyEvents(V: TIocpWSNotifyEvents);
    function GetCount: Integer;
    function GetConnection(Index: Integer): TIocpWSConnection;
    function GetConnectionByGuid(const aGuid: string): TIocpWSConnection;
    function GetListeningPort: Integer;
    function GetListeningTLSPort: Integer;
    procedure EnsureHandle;
    procedure FreeHandle;
    procedure ApplyOptions;
    procedure StopDone;
    procedure WaitStopThread;
    procedure RaiseCode(rc: Integer; const What: string);
    function MakeGuid(Id: iws_conn_id): string;
    function ParseGuids(const List: string): TIocpWsIdArray;
    procedure DoBroadcast(Opcode: UInt32; Data: Pointer; Len: UInt64;
      const aProtocol, Exclude, Include: string);
    procedure DoPublish(const aChannel: string; Opcode: UInt32; Data: Pointer;
      Len: UInt64; const aProtocol, Exclude, Include: string);
  protected
    { Adds 'Name = value' lines for settings the engine has no equivalent
      for, each followed by ': ' and what to do instead (Start reports
      them). Descendants add their own. }
    procedure ListNoEquivalent(L: TStrings); virtual;
    { Raise EIocpWs unless the server is active / stopped. }
    procedure CheckActive(const What: string);
    procedure CheckInactive(const What: string); override;
    procedure Loaded; override;
    { Clears Firewall, RateLimiter, APIKeyManager and Authentication's
      token components when the component they name is freed. }
    procedure Notification(AComponent: TComponent; Operation: TOperation); override;
    { Runs one event handler with exception reporting; Kind is the event. }
    procedure DispatchEvent(Kind: Integer; Conn: TIocpWSConnection;
      const Text: string; Data: TMemoryStream; Code: Integer);
    procedure ReportException(Conn: TIocpWSConnection; E: Exception);
    { OnError with Text, where NotifyEvents says (nothing without OnError). }
    procedure ReportError(Conn: TIocpWSConnection; const Text: string);
    { Runs OnCommandGet / OnCommandOther for one request; exceptions (also
      from filling the engine's response) become a 500 response and go to
      OnException / OnError. }
    procedure DispatchHTTP(AContext: TIocpHTTPContext;
      ARequest: TIocpHTTPRequestInfo; AResponse: TIocpHTTPResponseInfo;
      H: piws_http_response);
    { Start calls it before the engine starts (descendants prepare). }
    procedure BeforeStart; virtual;
    { Runs once the engine has stopped (every handler has returned), on
      the thread that stopped it: OnShutdown (descendants end what lives
      with the server first). }
    procedure FinishStop; virtual;
    { Around the HTTP handler, on its thread: False from HTTPBefore skips
      the handler (the response as filled so far goes out); HTTPAfter runs
      whatever happened. The HTTP server's sessions. }
    function HTTPBefore(AContext: TIocpHTTPContext; ARequest: TIocpHTTPRequestInfo;
      AResponse: TIocpHTTPResponseInfo): Boolean; virtual;
    { True when HTTPBefore gates requests (sgc's OnBeforeCommand): every
      request then reaches it, also one that no handler takes (answered
      404 after the gate). }
    function HTTPGated: Boolean; virtual;
    procedure HTTPAfter(ARequest: TIocpHTTPRequestInfo); virtual;
  public
    constructor Create(AOwner: TComponent); override;
    destructor Destroy; override;
    { Applies the options, binds and starts listening; raises EIocpWs with
      the engine's reason (e.g. 'bind 0.0.0.0 port 80: Permission denied').
      Fires OnStartup. Starting a running server does nothing. Inside an
      event handler right after Stop (which then finishes in the
      background) it raises EIocpWs: start again from OnShutdown. }
    procedure Start;
    { Stops the server: every connection gets close 1001; see the unit
      comment for the threads. Fires OnShutdown. Stopping a stopped server
      does nothing. }
    procedure Stop;
    { Stop, then Start. }
    procedure ReStart;
    { Sends aMessage to every connection, or only those whose GUIDs are in
      Include (comma-separated), never those in Exclude, and - when
      aProtocol is given - only connections with that subprotocol.
      With aChannel: the subscribers of that channel (Connection.Subscribe)
      on this server, and with RedisURL on every server sharing that Redis
      (Exclude then names this server's connections only; aProtocol and
      Include cannot be combined with a channel: EIocpWs). }
    procedure Broadcast(const aMessage: string; const aChannel: string = '';
      const aProtocol: string = ''; const Exclude: string = '';
      const Include: string = ''); overload;
    { The same for a binary message: the rest of aStream from Position. }
    procedure Broadcast(aStream: TStream; const aChannel: string = '';
      const aProtocol: string = ''; const Exclude: string = '';
      const Include: string = ''); overload;
    { Sends a text message to one connection; False if it is unknown,
      closing or gone. }
    function WriteData(const aGuid, aMessage: string): Boolean;
    { Pings every connection. }
    procedure Ping(const aText: string = '');
    { Drops every connection (socket level; OnDisconnect 1006 each). }
    procedure DisconnectAll;
    { SSL: a certificate for clients that ask for aHostName by SNI
      ('example.com' or '*.example.com'); others get SSLOptions'. Cert and
      key: PEM file paths (or PEM text). Checked at Start (EIocpWs,
      IWS_E_TLS_CONFIG). A host given again replaces its entry. Only while
      stopped. }
    procedure AddSSLHost(const aHostName, aCertFile, aKeyFile: string;
      const aPassword: string = '');
    { Removes every AddSSLHost entry. }
    procedure ClearSSLHosts;
    { Engine counters (iws_get_stats). }
    function GetStats: iws_stats;
    { Holds the connection list still while you walk Connections[]; keep
      it short, and do not wait for the main thread while holding it. }
    procedure LockConnections;
    procedure UnlockConnections;
    { sgc's LockList / UnLockList: the list of open connections
      (TIocpWSConnection items), held still until UnLockList. }
    function LockList: TList;
    procedure UnLockList;
    { sgc's EnterCS / LeaveCS: the same lock as LockList; AssignedCS is
      always True. QueueClear: there is no message queue (does nothing). }
    procedure EnterCS;
    procedure LeaveCS;
    function AssignedCS: Boolean;
    procedure QueueClear;

    property Count: Integer read GetCount;
    { The Index-th open connection (0..Count-1), nil out of range. }
    property Connections[Index: Integer]: TIocpWSConnection read GetConnection;
    property ConnectionsByGUID[const aGuid: string]: TIocpWSConnection read GetConnectionByGuid;
    { The port actually listened on (useful with Port = 0); 0 if stopped.
      With SSL and SSLOptions.Port = 0 this is the TLS port. }
    property ListeningPort: Integer read GetListeningPort;
    { The TLS listener's port; 0 if stopped or without SSL. }
    property ListeningTLSPort: Integer read GetListeningTLSPort;
    { The sockets listened on while active: with Bindings, one per entry
      (ListenerPort(I) is the port Bindings[I] got, useful with Port 0),
      else Port and the TLS port beside it. ListenerPort is 0 if stopped
      or out of range; ListenerIsTLS says whether it speaks TLS. }
    function ListenerCount: Integer;
    function ListenerPort(Index: Integer): Integer;
    function ListenerIsTLS(Index: Integer): Boolean;
    { The engine's handle, for iocpws.lib calls (nil before the first Start). }
    property Handle: piws_server read FHandle;
    { 'iocpws X.Y.Z' (the library's version; sgc's Version). }
    property Version: string read GetVersion;
    { sgc's Groups: named groups of connections for BroadCast (see
      TIocpWSServerGroups); a connection leaves every group when it
      disconnects. }
    property Groups: TIocpWSServerGroups read FGroups;
    { sgc's ClientLoadBalancer (the link to sgc's load balancer server):
      there is none; Active True is reported at Start. }
    property ClientLoadBalancer: TIocpWSLoadBalancerClient read FClientLoadBalancer;
  published
    property Active: Boolean read FActive write SetActive default False;
    { 0 = any free port (see ListeningPort). }
    property Port: Integer read FPort write SetPort default 80;
    { The address to listen on ('0.0.0.0', '::', '127.0.0.1', ...). }
    property Host: string read FHost write SetHost;
    { sgc/Indy style: Bindings.Add.IP / .Port; when not empty it overrides
      Host and Port (see TIocpWSBindings for what the engine can listen
      on). }
    property Bindings: TIocpWSBindings read FBindings write SetBindings;
    { 0 = unlimited; over it a new client gets HTTP 503. }
    property MaxConnections: Integer read FMaxConnections write SetMaxConnections default 0;
    { Scale-out: 'redis://host:6379' (also redis://:password@host:port)
      makes Broadcast(aMessage, aChannel) reach the channel's subscribers
      on every server using the same Redis and RedisPrefix; '' = this
      server only. A library built without hiredis refuses it at Start
      (EIocpWs, IWS_E_UNSUPPORTED). An unreachable Redis does not fail
      Start: channels then deliver locally and OnError reports
      IWS_E_REDIS while the engine reconnects. }
    property RedisURL: string read FRedisURL write SetRedisURL;
    { Prefix of the Redis channel names ('' = the engine's 'iws:'). }
    property RedisPrefix: string read FRedisPrefix write SetRedisPrefix;
    { bytes; inbound messages over it close with 1009 (sends over it raise
      EIocpWs). sgc's default, 64 MiB; 0 = no limit (the engine's largest,
      2 GiB). }
    property MaxMessageSize: Int64 read FMaxMessageSize write SetMaxMessageSize;
    property UseNagle: Boolean read FUseNagle write SetUseNagle default False;
    property HeartBeat: TIocpWSHeartBeatOptions read FHeartBeat write SetHeartBeat;
    property IOHandlerOptions: TIocpWSIOHandlerOptions read FIOHandlerOptions write SetIOHandlerOptions;
    property Options: TIocpWSServerOptions read FOptions write SetOptions;
    { wss:// (TLS) with SSLOptions; see TIocpWSSSLOptions. }
    property SSL: Boolean read FSSL write SetSSL default False;
    property SSLOptions: TIocpWSSSLOptions read FSSLOptions write SetSSLOptions;
    { permessage-deflate: Extensions.PerMessage_Deflate.Enabled etc. }
    property Extensions: TIocpWSExtensions read FExtensions write SetExtensions;
    property NotifyEvents: TIocpWSNotifyEvents read FNotifyEvents write SetNotifyEvents default neAsynchronous;

    property OnConnect: TIocpWSConnectEvent read FOnConnect write FOnConnect;
    property OnMessage: TIocpWSMessageEvent read FOnMessage write FOnMessage;
    property OnBinary: TIocpWSBinaryEvent read FOnBinary write FOnBinary;
    property OnDisconnect: TIocpWSDisconnectEvent read FOnDisconnect write FOnDisconnect;
    { Engine errors (Connection nil for server-wide ones), and handler
      exceptions when OnException is not assigned. }
    property OnError: TIocpWSErrorEvent read FOnError write FOnError;
    { Exceptions raised by your handlers (E is freed afterwards). }
    property OnException: TIocpWSExceptionEvent read FOnException write FOnException;
    { sgc's meaning: during the handshake, before OnConnect, Headers holds
      the response headers ('Name: value' lines: Upgrade, Connection and
      Sec-WebSocket-Protocol when one is chosen; the engine adds
      Sec-WebSocket-Accept and Sec-WebSocket-Extensions itself). The request
      headers are in Connection.HeadersRequest. Lines a handler adds
      (Set-Cookie, X-...) are sent with the 101; a line the engine refuses
      (CR/LF in it, not 'Name: value', over 8 KiB in all) or a change to
      the three lines the engine writes itself is reported through OnError
      and not sent. Runs on the library thread (neNoSync) or synchronised with the main
      thread (both other modes: the request lives only that long). }
    property OnHandshake: TIocpWSHandshakeEvent read FOnHandshake write FOnHandshake;
    property OnStartup: TNotifyEvent read FOnStartup write FOnStartup;
    property OnShutdown: TNotifyEvent read FOnShutdown write FOnShutdown;

    { sgc's Authentication (see TIocpWSAuthenticationOptions). }
    property Authentication: TIocpWSAuthenticationOptions read FAuthentication write SetAuthentication;
    { sgc's SecurityOptions (OriginsAllowed). }
    property SecurityOptions: TIocpWSSecurityOptions read FSecurityOptions write SetSecurityOptions;
    { sgc's TCPKeepAlive: TCP keep-alive probes on every accepted socket
      (IWS_OPT_TCP_KEEPALIVE*; Time and Interval in ms). }
    property TCPKeepAlive: TIocpWSTCPKeepAliveOptions read FTCPKeepAlive write SetTCPKeepAlive;
    { sgc's options with no equivalent here (iocpws.sgcoptions): they
      stream, and Start reports each one that is not at its default. }
    property LoadBalancer: TIocpWSLoadBalancerOptions read FLoadBalancer write SetLoadBalancer;
    property ThreadPool: Boolean read FThreadPool write FThreadPool default False;
    property ThreadPoolOptions: TIocpWSThreadPoolOptions read FThreadPoolOptions write SetThreadPoolOptions;
    property FallBack: TIocpWSFallBackOptions read FFallBack write SetFallBack;
    property QueueOptions: TIocpWSQueueOptions read FQueueOptions write SetQueueOptions;
    property QueueMessages: Boolean read FQueueMessages write FQueueMessages default False;
    property Specifications: TIocpWSSpecifications read FSpecifications write SetSpecifications;
    property LogFile: TIocpWSLogFile read FLogFile write SetLogFile;
    property Throttle: TIocpWSThrottle read FThrottle write SetThrottle;
    property WatchDog: TIocpWSWatchDogOptions read FWatchDog write SetWatchDog;
    property HTTP2Options: TIocpWSHTTP2Options read FHTTP2Options write SetHTTP2Options;
    { sgc's HTTPUploadFiles. StreamType = pstFileStream (with
      RemoveBoundaries, the default): a multipart/form-data body whose
      Content-Length is at least MinSize (0: every one; a chunked body
      always) is parsed as it arrives, never held in memory: each file part
      is written to SaveDirectory ('' = the program's folder, created when
      needed) under the client's file name reduced to a plain name (no
      folder parts, no '..', no device name: it never leaves the folder;
      an existing file is replaced), each other field goes to
      OnHTTPUploadReadInput; then OnCommandGet runs with PostStream nil. A
      malformed body (no boundary, a bad part, the final boundary missing)
      is answered 400 (413: a part's headers over 16 KiB or a field over
      1 MiB) with the reason as text, OnCommandGet does not run, OnError
      says why and a half-written file is deleted (files completed before
      stay). Both kinds of streamed body are bounded by
      HTTPOptions.MaxBodySize (sgc's MaxRequestBodySize; 0 = none): a
      declared Content-Length over it is answered 413 before any upload
      event or file; a chunked body that goes over it is answered 413 and
      the connection closed, every file of that request (the half-written
      one and those completed before, even after OnHTTPUploadAfterSaveFile)
      is deleted, OnError says why and OnCommandGet does not run.
      pstMemoryStream (default): bodies are read into PostStream as
      before and no upload event fires. RemoveBoundaries = False (with
      pstFileStream): such a body is not parsed but written as it arrives,
      boundaries included, to a new '<GUID>.sgc_ps' file in SaveDirectory,
      bounded by HTTPOptions.MaxBodySize (413 above it); OnCommandGet gets
      it as PostStream (a file stream at Position 0) and the file is
      deleted with the request once the handler is done (copy it in
      OnCommandGet to keep it). A file that cannot be created or written
      (no such folder, disk full) answers 500, OnError says why, and the
      half-written file is deleted. }
    property HTTPUploadFiles: TIocpWSHTTPUploadFiles read FHTTPUploadFiles write SetHTTPUploadFiles;
    { sgc: the largest read buffer; the engine sizes its own (reported at
      Start when not 0). }
    property MaxReadBufferSize: Int64 read FMaxReadBufferSize write FMaxReadBufferSize;
    { sgc's security components (iocpws.sgcoptions): the engine has none of
      them. One assigned and Enabled makes Start raise EIocpWs
      (IWS_E_UNSUPPORTED) - a server must not run believing it is
      protected; assigned but not Enabled, Start reports it. What the
      engine has instead: MaxConnections, Options.SendQueueLimit,
      MaxMessageSize, SecurityOptions.OriginsAllowed, Authentication and
      OnTCPConnect (refuse by IP). }
    property Firewall: TIocpWSFirewall read FFirewall write SetFirewall;
    property RateLimiter: TIocpWSRateLimiter read FRateLimiter write SetRateLimiter;
    property APIKeyManager: TIocpWSAPIKeyManager read FAPIKeyManager write SetAPIKeyManager;
    { sgc's connection-list tuning: the engine's connection table needs
      none (reported at Start when not at its defaults). }
    property Optimizations: TIocpWSOptimizationOptions read FOptimizations write SetOptimizations;

    { sgc: a client connected. Here it runs when its handshake arrived,
      before OnHandshake (the engine reports no earlier moment); Accept :=
      False refuses it with HTTP 403. Runs like OnHandshake. }
    property OnTCPConnect: TIocpWSAcceptEvent read FOnTCPConnect write FOnTCPConnect;
    { sgc: the client asked only for subprotocols the server does not speak
      (Options.Subprotocols). Accept starts False; left False the client
      gets HTTP 400; True accepts it without a subprotocol. Without a
      handler such clients are accepted without a subprotocol (RFC 6455). }
    property OnUnknownProtocol: TIocpWSAcceptEvent read FOnUnknownProtocol write FOnUnknownProtocol;
    { sgc: credentials not found in Authentication.AuthUsers: set
      Authenticated to accept them. Connection is nil for the Session
      login request (GET /sgc/req/auth/session/...). }
    property OnAuthentication: TIocpWSAuthenticationEvent read FOnAuthentication write FOnAuthentication;
    { sgc: with Options.FragmentedMessages frgOnlyFragmented or frgAll.
      The engine joins fragments, so each message arrives once, whole, as
      its final fragment: OpCode opText / opBinary, Continuation False. }
    property OnFragmented: TIocpWSFragmentedEvent read FOnFragmented write FOnFragmented;
    { sgc: before each heartbeat ping (with hbtOnlyIfNoMsgRcvInterval only
      before the pings that are sent). Set Handled to True when the handler
      did its own heartbeat: the engine then sends no ping for this beat
      and waits for no answer. Runs as the handshake's events do: with
      neNoSync on the library's thread, never concurrently with the
      connection's other events (with WorkOpThreads on its thread, in
      order), else synchronised with the main thread (the library thread
      waits: keep it short). The engine calls in for a beat only when this
      is assigned at Start (each call takes the connection's turn):
      assigned while active, it takes effect at the next Start. }
    property OnBeforeHeartBeat: TIocpWSBeforeHeartBeatEvent read FOnBeforeHeartBeat write FOnBeforeHeartBeat;
    { sgc's load balancer events: never fired (no load balancer; a handler
      is reported at Start). }
    property OnLoadBalancerConnect: TIocpWSConnectEvent read FOnLoadBalancerConnect write FOnLoadBalancerConnect;
    property OnLoadBalancerDisconnect: TIocpWSDisconnectEvent read FOnLoadBalancerDisconnect write FOnLoadBalancerDisconnect;
    property OnLoadBalancerError: TIocpWSLoadBalancerErrorEvent read FOnLoadBalancerError write FOnLoadBalancerError;
    { sgc: the handshake brings an Authorization header whose scheme is not
      Basic (AuthType 'Bearer', AuthData the token) and Authentication is
      Enabled: set Authenticated to let it in (aUser becomes
      Connection.AuthUser), else it gets 401 (AllowNonAuth does not apply:
      it brought credentials). Runs where OnAuthentication runs. Without a
      handler such a client counts as bringing no credentials. }
    property OnUnknownAuthentication: TIocpWSUnknownAuthenticationEvent read FOnUnknownAuthentication write FOnUnknownAuthentication;
    { sgc's TLS events: never called - TLS is the engine's OpenSSL on memory
      BIOs, with no Indy handler and no client certificates; a handler is
      reported at Start (client certificates: SSLOptions.VerifyCertificate
      makes Start raise). }
    property OnSSLGetHandler: TIocpWSSSLGetHandlerEvent read FOnSSLGetHandler write FOnSSLGetHandler;
    property OnSSLAfterCreateHandler: TIocpWSSSLAfterCreateHandlerEvent read FOnSSLAfterCreateHandler write FOnSSLAfterCreateHandler;
    property OnSSLALPNSelect: TIocpWSSSLALPNSelectEvent read FOnSSLALPNSelect write FOnSSLALPNSelect;
    property OnSSLVerifyPeer: TIocpWSSSLVerifyPeerEvent read FOnSSLVerifyPeer write FOnSSLVerifyPeer;
    { sgc's HTTPUploadFiles events, in the body's order, before the
      request's OnCommandGet, where NotifyEvents says (neNoSync: on the
      library thread; neSynchronous: synchronised with the main thread;
      neAsynchronous: queued to the main thread, except the two that answer,
      BeforeCreatePostStream and BeforeSaveFile, which are synchronised).
      Sender is the server.
      OnHTTPUploadBeforeCreatePostStream(Sender, Connection = nil, request
      headers, var Accept): for every request with a body, before it is
      read (any StreamType); Accept := False refuses it with 403.
      OnHTTPUploadBeforeSaveFile(Sender, var aFileName, var aFilePath):
      aFileName is the safe file name, aFilePath the folder (with a
      trailing delimiter); change either (the name is made safe again;
      aFileName := '' skips the file, as does an exception).
      OnHTTPUploadAfterSaveFile(Sender, aFileName, aFilePath): the file is
      complete and closed. OnHTTPUploadReadInput(Sender, aName, aValue): a
      form field (its value as UTF-8 text). With StreamType pstMemoryStream
      the last three are reported at Start. }
    property OnHTTPUploadBeforeSaveFile: TIocpWSHTTPUploadBeforeSaveFileEvent read FOnHTTPUploadBeforeSaveFile write FOnHTTPUploadBeforeSaveFile;
    property OnHTTPUploadAfterSaveFile: TIocpWSHTTPUploadAfterSaveFileEvent read FOnHTTPUploadAfterSaveFile write FOnHTTPUploadAfterSaveFile;
    property OnHTTPUploadReadInput: TIocpWSHTTPUploadReadInputEvent read FOnHTTPUploadReadInput write FOnHTTPUploadReadInput;
    property OnHTTPUploadBeforeCreatePostStream: TIocpWSHTTPBeforeCreatePostStreamEvent read FOnHTTPUploadBeforeCreatePostStream write FOnHTTPUploadBeforeCreatePostStream;

    { HTTP on the same port. Requests that are not WebSocket upgrades:
      GET/HEAD of a file under DocumentRoot is answered from it (before any
      event); otherwise GET, HEAD and POST go to OnCommandGet and every
      other method (PUT, DELETE, OPTIONS, PATCH...) to OnCommandOther, as
      TIdHTTPServer does. No handler for the method: 404. The handler runs
      where NotifyEvents says (neAsynchronous: queued to the main thread,
      the engine waits up to HTTPOptions.ResponseTimeout, then answers 503;
      neSynchronous: the library thread waits for the main thread;
      neNoSync: on the library thread). Exceptions answer 500 and go to
      OnException (Connection nil) or OnError. }
    property OnCommandGet: TIocpHTTPCommandEvent read FOnCommandGet write FOnCommandGet;
    property OnCommandOther: TIocpHTTPCommandEvent read FOnCommandOther write FOnCommandOther;
    { A directory served for GET/HEAD ('' = none); paths leaving it get 404. }
    property DocumentRoot: string read FDocumentRoot write SetDocumentRoot;
    { Served for a request of a directory under DocumentRoot ('' = 404). }
    property IndexFile: string read FIndexFile write SetIndexFile;
    { False: one request per connection (Connection: close). }
    property KeepAlive: Boolean read FKeepAlive write SetKeepAlive default True;
    property HTTPOptions: TIocpWSHTTPOptions read FHTTPOptions write SetHTTPOptions;
  end;

const
  { the enumeration values of iocpws.types, for programs that use this
    unit only }
  neNoSync = iocpws.types.neNoSync;
  neAsynchronous = iocpws.types.neAsynchronous;
  neSynchronous = iocpws.types.neSynchronous;
  tlsUndefined = iocpws.types.tlsUndefined;
  tls1_0 = iocpws.types.tls1_0;
  tls1_1 = iocpws.types.tls1_1;
  tls1_2 = iocpws.types.tls1_2;
  tls1_3 = iocpws.types.tls1_3;
  frgOnlyBuffer = iocpws.types.frgOnlyBuffer;
  frgOnlyFragmented = iocpws.types.frgOnlyFragmented;
  frgAll = iocpws.types.frgAll;

type
  { Indy's session events (TIdHTTPServer's types) }
  TIdHTTPCreateSession = procedure(ASender: TIocpHTTPContext;
    var VHTTPSession: TIdHTTPSession) of object;
  TIdHTTPInvalidSessionEvent = procedure(AContext: TIocpHTTPContext;
    ARequestInfo: TIocpHTTPRequestInfo; AResponseInfo: TIocpHTTPResponseInfo;
    var VContinueProcessing: Boolean; const AInvalidSessionID: string) of object;

  { The same component under an HTTP name (the palette's HTTP + WebSocket
    server; sgc's TsgcWebSocketHTTPServer derives from it), with Indy's
    HTTP sessions (iocpws.sessions, the implementation IdHTTPServer_iocp
    uses too): SessionState on gives each request the session its
    IDHTTPSESSIONID cookie names (ARequestInfo.Session, AResponseInfo.
    Session), AutoStartSession starts one (Set-Cookie: IDHTTPSESSIONID=...;
    Path=/) when there is none, sessions unused for SessionTimeOut ms end
    (OnSessionEnd; checked at most once a second, as requests come; all
    end when the server is freed). The default list is bounded (MaxSessions 10000).
    OnCreateSession may supply the session object, OnInvalidSession sees a
    cookie naming no live session (VContinueProcessing False: the handler
    is not called). The session events run on the handler's thread. }
  TIocpWebSocketHTTPServer = class(TIocpWebSocketServer)
  private
    FAutoStartSession: Boolean;
    FSessionState: Boolean;
    FSessionTimeOut: Integer;
    FSessionIDCookieName: string;
    FSessionList: TIdHTTPCustomSessionList;
    FImplicitSessionList: Boolean;
    FLastPurge: TDateTime;
    FPurgeLock: Integer;
    FOnCreateSession: TIdHTTPCreateSession;
    FOnInvalidSession: TIdHTTPInvalidSessionEvent;
    FOnSessionStart: TIdHTTPSessionStartEvent;
    FOnSessionEnd: TIdHTTPSessionEndEvent;
    procedure SetSessionList(const AValue: TIdHTTPCustomSessionList);
    procedure SetSessionState(const Value: Boolean);
    function IsSessionIDCookieNameStored: Boolean;
    procedure DoSessionEnd(Sender: TIdHTTPSession);
    procedure DoSessionStart(Sender: TIdHTTPSession);
    procedure Hold(ARequest: TIocpHTTPRequestInfo; S: TIdHTTPSession);
    { OnInvalidSession as iocpws.sessions' IocpWsFindSession calls it }
    procedure InvalidSession(AContext, ARequest, AResponse: TObject;
      var VContinueProcessing: Boolean; const AInvalidSessionID: string);
  protected
    procedure BeforeStart; override;
    procedure FinishStop; override;
    function HTTPBefore(AContext: TIocpHTTPContext; ARequest: TIocpHTTPRequestInfo;
      AResponse: TIocpHTTPResponseInfo): Boolean; override;
    procedure HTTPAfter(ARequest: TIocpHTTPRequestInfo); override;
    procedure Notification(AComponent: TComponent; Operation: TOperation); override;
  public
    constructor Create(AOwner: TComponent); override;
    destructor Destroy; override;
    { Indy's: starts a session for this request (Set-Cookie with its id);
      nil while SessionState is off. }
    function CreateSession(AContext: TIocpHTTPContext; HTTPResponse: TIocpHTTPResponseInfo;
      HTTPRequest: TIocpHTTPRequestInfo): TIdHTTPSession;
    { Indy's: ends the session of that id (OnSessionEnd); False if none. }
    function EndSession(const SessionName: string; const RemoteIP: string = ''): Boolean;
    { The sessions (made at Start when SessionState is on and none was
      assigned; yours to assign, as in Indy). }
    property SessionList: TIdHTTPCustomSessionList read FSessionList write SetSessionList;
  published
    property AutoStartSession: Boolean read FAutoStartSession write FAutoStartSession default False;
    property SessionState: Boolean read FSessionState write SetSessionState default False;
    { ms; Indy's default 0 ends a session within a second of its last use }
    property SessionTimeOut: Integer read FSessionTimeOut write FSessionTimeOut default 0;
    property SessionIDCookieName: string read FSessionIDCookieName write FSessionIDCookieName stored IsSessionIDCookieNameStored;
    property OnCreateSession: TIdHTTPCreateSession read FOnCreateSession write FOnCreateSession;
    property OnInvalidSession: TIdHTTPInvalidSessionEvent read FOnInvalidSession write FOnInvalidSession;
    property OnSessionStart: TIdHTTPSessionStartEvent read FOnSessionStart write FOnSessionStart;
    property OnSessionEnd: TIdHTTPSessionEndEvent read FOnSessionEnd write FOnSessionEnd;
  end;


{ UTF-8 <-> string (iocpws.types). }
function IocpWsUtf8ToString(P: PAnsiChar; Len: NativeInt): string;
function IocpWsStringToUtf8(const S: string): RawByteString;

implementation

uses
  DateUtils;

function IocpWsUtf8ToString(P: PAnsiChar; Len: NativeInt): string;
begin
  Result := iocpws.types.IocpWsUtf8ToString(P, Len);
end;

function IocpWsStringToUtf8(const S: string): RawByteString;
begin
  Result := iocpws.types.IocpWsStringToUtf8(S);
end;

const
  EV_CONNECT = 1;
  EV_MESSAGE = 2;
  EV_BINARY = 3;
  EV_DISCONNECT = 4;
  EV_ERROR = 5;
  EV_FRAGMENT = 6;
  { synchronous gates during the handshake (TIocpWsEvent.Kind) }
  GATE_HANDSHAKE = 0;
  GATE_TCP = -1;
  GATE_PROTOCOL = -2;
  GATE_AUTH = -3;
  GATE_UNKNOWN_AUTH = -4; { OnUnknownAuthentication: Text = AuthType }
  GATE_HEARTBEAT = -5;    { OnBeforeHeartBeat: Accept = Handled }
  GATE_VERIFY_PEER = -6;  { OnSSLVerifyPeer: Chain = the verified chain }
  { the engine's largest MaxMessageSize (sgc's 0 = no limit) }
  IOCPWS_MAX_MESSAGE = Int64(2147483648);

{ ---- atomics, FPU ------------------------------------------------------- }

function AtomicInc(var X: Integer): Integer; {$ifdef HASINLINE} inline; {$endif}
begin
  {$ifdef FPC} Result := InterLockedIncrement(X); {$else} Result := AtomicIncrement(X); {$endif}
end;

function AtomicDec(var X: Integer): Integer; {$ifdef HASINLINE} inline; {$endif}
begin
  {$ifdef FPC} Result := InterLockedDecrement(X); {$else} Result := AtomicDecrement(X); {$endif}
end;

{ Raw control-word access: the RTL's Set8087CW/SetMXCSR also overwrite the
  process-wide defaults, which other threads read. }
{$ifdef CPUX64}
function GetCW: Word; {$ifdef FPC} assembler; nostackframe; {$endif}
asm
  push rax
  fnstcw word ptr [rsp]
  pop rax
end;

procedure SetCW(W: Word); {$ifdef FPC} assembler; nostackframe; {$endif}
asm
  {$ifdef OSWINDOWS} push rcx {$else} push rdi {$endif}
  fnclex
  fldcw word ptr [rsp]
  {$ifdef OSWINDOWS} pop rcx {$else} pop rdi {$endif}
end;

function GetMX: Cardinal; {$ifdef FPC} assembler; nostackframe; {$endif}
asm
  push rax
  stmxcsr dword ptr [rsp]
  pop rax
end;

procedure SetMX(W: Cardinal); {$ifdef FPC} assembler; nostackframe; {$endif}
asm
  {$ifdef OSWINDOWS} push rcx {$else} push rdi {$endif}
  ldmxcsr dword ptr [rsp]
  {$ifdef OSWINDOWS} pop rcx {$else} pop rdi {$endif}
end;
{$endif}

{$ifdef CPUX86}
function GetCW: Word; {$ifdef FPC} assembler; {$endif}
asm
  push eax
  fnstcw word ptr [esp]
  pop eax
end;

procedure SetCW(W: Word); {$ifdef FPC} assembler; {$endif}
asm
  push eax
  fnclex
  fldcw word ptr [esp]
  pop eax
end;

function GetMX: Cardinal; {$ifdef FPC} assembler; {$endif}
asm
  push eax
  stmxcsr dword ptr [esp]
  pop eax
end;

procedure SetMX(W: Cardinal); {$ifdef FPC} assembler; {$endif}
asm
  push eax
  ldmxcsr dword ptr [esp]
  pop eax
end;
{$endif}

type
  TFpuSave = record
    CW: Word;
    MX: Cardinal;
  end;

{ Masks every FPU exception for a call into C; returns what to restore. }
function FpuMask: TFpuSave; {$ifdef HASINLINE} inline; {$endif}
begin
  {$ifdef CPUINTEL}
  Result.CW := GetCW;
  Result.MX := GetMX;
  SetCW(Result.CW or $003F);
  SetMX((Result.MX or $1F80) and not Cardinal($3F));
  {$else}
  Result.CW := 0;
  Result.MX := 0;
  {$endif}
end;

procedure FpuRestore(const S: TFpuSave); {$ifdef HASINLINE} inline; {$endif}
begin
  {$ifdef CPUINTEL}
  SetMX(S.MX and not Cardinal($3F));
  SetCW(S.CW);
  {$endif}
end;

{ A handler that runs on a library thread (neNoSync) gets the owner
  thread's FPU settings, as if it ran there; returns what to restore with
  FpuRestore. }
function FpuHost(CW: Word; MXCSR: Cardinal): TFpuSave; {$ifdef HASINLINE} inline; {$endif}
begin
  {$ifdef CPUINTEL}
  Result.CW := GetCW;
  Result.MX := GetMX;
  SetMX(MXCSR and not Cardinal($3F));
  SetCW(CW);
  {$else}
  Result.CW := CW;
  Result.MX := MXCSR;
  {$endif}
end;

function OnMainThread: Boolean; {$ifdef HASINLINE} inline; {$endif}
begin
  Result := IocpWsOnMainThread;
end;

{ ---- thread manager check (FPC on Unix needs cthreads) ------------------ }

function HaveThreads: Boolean;
{$if defined(FPC) and defined(UNIX)}
var
  TM: TThreadManager;
begin
  GetThreadManager(TM);
  Result := Assigned(TM.InitManager);
end;
{$else}
begin
  Result := True;
end;
{$ifend}

procedure CheckThreads;
begin
  if not HaveThreads then
    raise EIocpWs.CreateCode(IWS_E_THREAD,
      'iocpws: this program has no thread support: add cthreads as the ' +
      'first unit of the program''s uses clause (Free Pascal on Unix)');
  IsMultiThread := True;
end;

{ ---- queued events ------------------------------------------------------ }

type
  { One event on its way to the main thread (neAsynchronous/neSynchronous). }
  TIocpWsEvent = class
  public
    Server: TIocpWebSocketServer;
    Kind: Integer;
    Conn: TIocpWSConnection;
    Text: string;
    Data: TMemoryStream;
    Code: Integer;
    Queued: Boolean;
    Headers: TStringList;
    Accept: Boolean;
    User, Password: string;
    AuthData: string;
    Chain: TIocpWSX509Chain;
    destructor Destroy; override;
    procedure Run;
    procedure ToQueue;
  end;

  { Runs iws_stop away from the main thread, so that the main thread can go
    on serving synchronised events meanwhile. }
  TIocpWsStopThread = class(TThread)
  public
    Server: TIocpWebSocketServer;
    Handle: piws_server;
    Rc: Integer;
    NotifyDone: Boolean;
    procedure Execute; override;
  end;

destructor TIocpWsEvent.Destroy;
begin
  Data.Free;
  inherited Destroy;
end;

procedure TIocpWsEvent.Run;
var
  S: TIocpWebSocketServer;
  I: Integer;
begin
  S := Server;
  AtomicInc(S.FRunning);
  try
    if Kind <= 0 then
    begin
      { the handshake's gates: a handler that raises refuses the client }
      try
        case Kind of
          GATE_HANDSHAKE:
            if Assigned(S.FOnHandshake) then
              S.FOnHandshake(Conn, Headers);
          GATE_TCP:
            if Assigned(S.FOnTCPConnect) then
              S.FOnTCPConnect(Conn, Accept);
          GATE_PROTOCOL:
            if Assigned(S.FOnUnknownProtocol) then
              S.FOnUnknownProtocol(Conn, Accept);
          GATE_AUTH:
            if Assigned(S.FOnAuthentication) then
              S.FOnAuthentication(Conn, User, Password, Accept);
          GATE_UNKNOWN_AUTH:
            if Assigned(S.FOnUnknownAuthentication) then
              S.FOnUnknownAuthentication(Conn, Text, AuthData, User,
                Password, Accept);
          GATE_HEARTBEAT:
            if Assigned(S.FOnBeforeHeartBeat) then
              S.FOnBeforeHeartBeat(S, Conn, Accept);
          GATE_VERIFY_PEER:
            { as OpenSSL's verify callback: deepest first, the first
              refusal ends it }
            if Assigned(S.FOnSSLVerifyPeer) then
              for I := High(Chain) downto 0 do
              begin
                S.FOnSSLVerifyPeer(S, Chain[I], True, I, 0, Accept);
                if not Accept then
                  Break;
              end;
        end;
      except
        on E: Exception do
        begin
          if Kind <> GATE_HANDSHAKE then
            Accept := False;
          S.ReportException(Conn, E);
        end;
      end;
    end
    else
      S.DispatchEvent(Kind, Conn, Text, Data, Code);
  finally
    AtomicDec(S.FRunning);
    if Queued then
    begin
      if Conn <> nil then
        Conn.Release;
      AtomicDec(S.FPending);
      Free;
    end;
  end;
end;

{ queued: the event owns itself and the connection it names; Run frees
  both }
procedure TIocpWsEvent.ToQueue;
begin
  Queued := True;
  if Conn <> nil then
    Conn.AddRef;
end;

procedure TIocpWsStopThread.Execute;
var
  F: TFpuSave;
begin
  F := FpuMask;
  Rc := iws_stop(Handle);
  FpuRestore(F);
  if NotifyDone then
    TThread.Queue(nil, Server.StopDone);
end;

{ Runs an event's Run where NotifyEvents says. neNoSync: at once on this
  library thread, with the owner thread's FPU settings. neSynchronous, or
  an event whose handler answers (Answers): synchronised with the main
  thread, this thread waiting. neAsynchronous: queued to the main thread;
  ToQueue first makes the event its own (its Run then frees it; ToQueue
  may raise, and then nothing is queued), and it counts in FPending until
  it has run. True when it ran here (the caller reads its answer and frees
  it), False when queued (the event is no longer the caller's). }
function RunNotified(S: TIocpWebSocketServer; Run, ToQueue: TThreadMethod;
  Answers: Boolean): Boolean;
var
  Saved: TFpuSave;
begin
  Result := True;
  case S.FNotifyEvents of
    neNoSync:
      begin
        { the user's handler runs with the owner thread's FPU settings }
        Saved := FpuHost(S.FHostCW, S.FHostMXCSR);
        try
          Run;
        finally
          FpuRestore(Saved);
        end;
      end;
    neSynchronous:
      TThread.Synchronize(nil, Run);
  else
    if Answers then
      TThread.Synchronize(nil, Run)
    else
    begin
      ToQueue;
      AtomicInc(S.FPending);
      TThread.Queue(nil, Run);
      Result := False;
    end;
  end;
end;

{ ---- trampolines (library threads) -------------------------------------- }

{ A new event of Kind about Conn (nil: none) on S. }
function NewEvent(S: TIocpWebSocketServer; Kind: Integer;
  Conn: TIocpWSConnection): TIocpWsEvent;
begin
  Result := TIocpWsEvent.Create;
  Result.Server := S;
  Result.Kind := Kind;
  Result.Conn := Conn;
end;

{ Data: the event's (freed with it) }
procedure Deliver(S: TIocpWebSocketServer; Kind: Integer;
  Conn: TIocpWSConnection; const Text: string; Data: TMemoryStream;
  Code: Integer);
var
  Ev: TIocpWsEvent;
begin
  Ev := nil;
  try
    Ev := NewEvent(S, Kind, Conn);
    Ev.Text := Text;
    Ev.Data := Data;
    Ev.Code := Code;
    if not RunNotified(S, Ev.Run, Ev.ToQueue, False) then
      Ev := nil; { queued: its Run frees it }
  finally
    Ev.Free;
  end;
end;

{ The local end (iws_conn_local); the address listened on if the engine
  cannot tell. }
function LocalText(S: TIocpWebSocketServer; Id: iws_conn_id;
  out Port: Integer): string;
var
  Buf: array[0..IWS_ADDRESS_SIZE - 1] of AnsiChar;
  P: UInt32;
begin
  P := 0;
  if (iws_conn_local(S.FHandle, Id, @Buf[0], SizeOf(Buf), @P) = IWS_OK) and
    (Buf[0] <> #0) then
  begin
    Result := string(AnsiString(PAnsiChar(@Buf[0])));
    Port := P;
  end
  else
  begin
    Result := S.FBoundIP;
    Port := S.ListeningPort;
  end;
end;

function PeerText(S: TIocpWebSocketServer; Id: iws_conn_id;
  out Port: Integer): string;
var
  Buf: array[0..IWS_ADDRESS_SIZE - 1] of AnsiChar;
  P: UInt32;
begin
  Result := '';
  Port := 0;
  P := 0;
  if iws_conn_peer(S.FHandle, Id, @Buf[0], SizeOf(Buf), @P) = IWS_OK then
  begin
    Result := string(AnsiString(PAnsiChar(@Buf[0])));
    Port := P;
  end;
end;

{ Adds the lines of L ('Name: value') to the handshake's answer
  (iws_request_add_response_header). With Handshake, the lines the engine
  writes itself (Upgrade, Connection, Sec-WebSocket-Protocol) are skipped
  and, if OnHandshake changed them, reported; every line the engine
  refuses is reported through OnError. }
procedure AnswerHeaders(S: TIocpWebSocketServer; C: TIocpWSConnection;
  request: piws_request; L: TStrings; Handshake: Boolean;
  const Chosen: string);
var
  I, K, rc: Integer;
  N, V: string;
begin
  for I := 0 to L.Count - 1 do
  begin
    K := Pos(':', L[I]);
    if K <= 1 then
    begin
      S.ReportError(C, 'iocpws: handshake header "' + L[I] + '" not sent: ' +
        'not a "Name: value" line');
      Continue;
    end;
    N := Trim(Copy(L[I], 1, K - 1));
    V := Trim(Copy(L[I], K + 1, MaxInt));
    if Handshake and (SameText(N, 'Upgrade') or SameText(N, 'Connection') or
      SameText(N, 'Sec-WebSocket-Protocol')) then
    begin
      if (SameText(N, 'Upgrade') and (V <> 'websocket')) or
        (SameText(N, 'Connection') and (V <> 'Upgrade')) or
        (SameText(N, 'Sec-WebSocket-Protocol') and (V <> Chosen)) then
        S.ReportError(C, 'iocpws: OnHandshake changed "' + N + '", which ' +
          'the engine writes itself (choose the subprotocol with ' +
          'Options.Subprotocols or OnUnknownProtocol); not sent');
      Continue;
    end;
    rc := iws_request_add_response_header(request,
      PAnsiChar(IocpWsStringToUtf8(N)), PAnsiChar(IocpWsStringToUtf8(V)));
    if rc <> IWS_OK then
      S.ReportError(C, 'iocpws: handshake header "' + N + '" not sent: ' +
        IocpWsErrorText(rc));
  end;
end;

{ Authentication.Basic's 401: its CustomHeaders, and a Basic challenge
  unless they hold a WWW-Authenticate line. }
procedure BasicChallenge(S: TIocpWebSocketServer; C: TIocpWSConnection;
  request: piws_request);
var
  L: TStringList;
  I: Integer;
  Have: Boolean;
begin
  L := TStringList.Create;
  try
    L.Assign(S.FAuthentication.Basic.CustomHeaders);
    Have := False;
    for I := 0 to L.Count - 1 do
      if SameText(Trim(Copy(L[I], 1, Pos(':', L[I]) - 1)), 'WWW-Authenticate') then
        Have := True;
    if not Have then
      L.Insert(0, 'WWW-Authenticate: Basic realm="iocpws"');
    AnswerHeaders(S, C, request, L, False, '');
  finally
    L.Free;
  end;
end;

type
  { ^string of this unit's mode (the RTL's PString is ^AnsiString also in
    mode delphiunicode) }
  PGateString = ^string;

{ Runs one of the handshake's gates where NotifyEvents says (RunNotified
  with Answers: the request lives only during on_connect, so never queued;
  neNoSync with the owner thread's FPU settings) and returns its Accept.
  AText, AAuthData: OnUnknownAuthentication's scheme and data; AUserOut
  (if given) gets the handler's User back (its aUser). }
function RunGate(S: TIocpWebSocketServer; Kind: Integer; C: TIocpWSConnection;
  Headers: TStringList; const User, Password: string; Accept: Boolean;
  const AText: string = ''; const AAuthData: string = '';
  AUserOut: PGateString = nil): Boolean;
var
  Ev: TIocpWsEvent;
begin
  Ev := NewEvent(S, Kind, C);
  try
    Ev.Headers := Headers;
    Ev.User := User;
    Ev.Password := Password;
    Ev.Text := AText;
    Ev.AuthData := AAuthData;
    Ev.Accept := Accept;
    RunNotified(S, Ev.Run, Ev.ToQueue, True);
    Result := Ev.Accept;
    if AUserOut <> nil then
      AUserOut^ := Ev.User;
  finally
    Ev.Headers := nil;
    Ev.Free;
  end;
end;

{ The client certificate of connection Id (iws_conn_peer_cert) into Text
  ('' when there is none); the engine's error when it could not be read. }
type
  TPeerCertCtx = record
    H: piws_server;
    Id: iws_conn_id;
    What: UInt32;
  end;
  PPeerCertCtx = ^TPeerCertCtx;

function PeerCertCall(Ctx: Pointer; Buffer: PAnsiChar; Size: UInt32;
  Needed: PUInt32): Integer;
begin
  with PPeerCertCtx(Ctx)^ do
    Result := iws_conn_peer_cert(H, Id, What, Buffer, Size, Needed);
end;

function PeerCertRc(S: TIocpWebSocketServer; Id: iws_conn_id; What: UInt32;
  out Text: string): Integer;
var
  Ctx: TPeerCertCtx;
begin
  Text := '';
  if S.FHandle = nil then
    Exit(IWS_E_BAD_STATE);
  Ctx.H := S.FHandle;
  Ctx.Id := Id;
  Ctx.What := What;
  Result := IocpWsReadEngineText(PeerCertCall, @Ctx, Text);
end;

{ As PeerCertRc; '' also when it could not be read. }
function PeerCert(S: TIocpWebSocketServer; Id: iws_conn_id; What: UInt32): string;
begin
  if PeerCertRc(S, Id, What, Result) <> IWS_OK then
    Result := '';
end;

{ sgc's OnSSLVerifyPeer for connection Id (C nil for a plain HTTP request),
  on the thread of the handshake's gates: True to go on. Called for each
  certificate of the verified chain, deepest (the trusted CA) first. No
  handler, no certificate, or a connection accepted before: True without
  a call. A chain that cannot be read is refused (fail closed). A refusal
  is reported through OnError. }
function VerifyPeer(S: TIocpWebSocketServer; C: TIocpWSConnection;
  Id: iws_conn_id): Boolean;
var
  Ev: TIocpWsEvent;
  Chain: TIocpWSX509Chain;
  Subject: string;
  I, rc: Integer;
  Known: Boolean;
begin
  Result := True;
  if not Assigned(S.FOnSSLVerifyPeer) then
    Exit;
  Known := False;
  S.Lock;
  try
    for I := Low(S.FVerifiedIds) to High(S.FVerifiedIds) do
      if S.FVerifiedIds[I] = Id then
        Known := True;
  finally
    S.Unlock;
  end;
  if Known then
    Exit;
  rc := IocpWsReadPeerChain(S.FHandle, Id, Chain);
  if rc <> IWS_OK then
  begin
    S.ReportError(C, 'iocpws: the client certificate could not be read (' +
      IocpWsErrorText(rc) + '): refused without OnSSLVerifyPeer (HTTP 403)');
    Exit(False);
  end;
  if Length(Chain) = 0 then
    Exit; { no certificate presented (or verification off) }
  Subject := Chain[0].Subject.RFC2253;
  Ev := NewEvent(S, GATE_VERIFY_PEER, C);
  try
    Ev.Accept := True;
    Ev.Chain := Chain;
    RunNotified(S, Ev.Run, Ev.ToQueue, True);
    Result := Ev.Accept;
  finally
    Ev.Chain := nil;
    IocpWsFreeChain(Chain);
    Ev.Free;
  end;
  if Result then
  begin
    S.Lock;
    try
      S.FVerifiedIds[S.FVerifiedNext] := Id;
      S.FVerifiedNext := (S.FVerifiedNext + 1) mod Length(S.FVerifiedIds);
    finally
      S.Unlock;
    end;
  end
  else
    S.ReportError(C, 'iocpws: OnSSLVerifyPeer refused the client ' +
      'certificate "' + Subject + '": the request is answered 403');
end;

{ %XX escapes of a path segment (UTF-8 bytes), decoded, as a string. }
function PercentDecode(const U: RawByteString): string;
begin
  Result := IocpWsPercentDecode(U, False);
end;

{ Splits '<user>/<password>[/...]' (the rest of an sgc authentication path,
  query removed) into its two decoded segments. Works on the UTF-8 bytes:
  in Free Pascal's mode delphi a Copy of converted text would be turned into
  the system code page. }
function SplitCredentials(const Rest: string; out U, P: string): Boolean;
var
  R: RawByteString;
  K: Integer;
begin
  R := IocpWsStringToUtf8(Rest);
  K := Pos('?', R);
  if K > 0 then
    R := Copy(R, 1, K - 1);
  K := Pos('/', R);
  Result := K > 1;
  if not Result then
    Exit;
  U := PercentDecode(Copy(R, 1, K - 1));
  R := Copy(R, K + 1, MaxInt);
  K := Pos('/', R);
  if K > 0 then
    R := Copy(R, 1, K - 1);
  P := PercentDecode(R);
end;

function StartsWithText(const Prefix, S: string): Boolean;
begin
  Result := SameText(Copy(S, 1, Length(Prefix)), Prefix);
end;

{ Authentication: AuthUsers' 'user=password' lines, else OnAuthentication. }
function CheckCredentials(S: TIocpWebSocketServer; C: TIocpWSConnection;
  const U, P: string): Boolean;
var
  K: Integer;
begin
  K := S.FAuthentication.AuthUsers.IndexOfName(U);
  Result := (U <> '') and (K >= 0) and
    (S.FAuthentication.AuthUsers.ValueFromIndex[K] = P);
  if not Result and Assigned(S.FOnAuthentication) then
    Result := RunGate(S, GATE_AUTH, C, nil, U, P, False);
end;

{ sgc's Authentication for a handshake: 0 = go on, else the HTTP status. }
function Authenticate(S: TIocpWebSocketServer; C: TIocpWSConnection): Integer;
const
  URL_PREFIX = '/sgc/auth/url/';
  SESSION_PREFIX = '/sgc/auth/session/';
var
  A, U, P, Tok: string;
  Cred: RawByteString;
  K: Integer;
  Have: Boolean;
  Kind: TIocpWSAuthentication;
begin
  Result := 401;
  Have := False;
  Kind := authURL;
  with S.FAuthentication do
  begin
    if URL.Enabled and StartsWithText(URL_PREFIX, C.FURL) then
      Have := SplitCredentials(Copy(C.FURL, Length(URL_PREFIX) + 1, MaxInt), U, P)
    else if Session.Enabled and StartsWithText(SESSION_PREFIX, C.FURL) then
    begin
      Tok := Copy(C.FURL, Length(SESSION_PREFIX) + 1, MaxInt);
      K := Pos('?', Tok);
      if K > 0 then
        Tok := Copy(Tok, 1, K - 1);
      U := '';
      S.Lock;
      try
        K := S.FSessions.IndexOfName(Tok);
        if (Tok <> '') and (K >= 0) then
        begin
          U := S.FSessions.ValueFromIndex[K];
          S.FSessions.Delete(K); { a token opens one connection }
        end;
      finally
        S.Unlock;
      end;
      if (K >= 0) and (Tok <> '') then
      begin
        C.FAuthUser := U;
        C.FAuthenticated := True;
        C.FAuthType := authSession;
        C.FAuthSessionID := Tok;
        Result := 0;
      end;
      Exit;
    end;
    A := Trim(C.FHeadersRequest.Values['Authorization']);
    if not Have and (A <> '') and not SameText(Copy(A, 1, 6), 'Basic ') and
      Assigned(S.FOnUnknownAuthentication) then
    begin
      { sgc's OnUnknownAuthentication: another scheme ('Bearer <token>'):
        the handler decides; its aUser becomes the connection's AuthUser }
      K := Pos(' ', A);
      if K = 0 then
        K := Length(A) + 1;
      { the handshake's thread rules, as OnAuthentication }
      if RunGate(S, GATE_UNKNOWN_AUTH, C, nil, '', '', False, Copy(A, 1, K - 1),
        Trim(Copy(A, K + 1, MaxInt)), @U) then
      begin
        C.FAuthUser := U;
        C.FAuthenticated := True;
        C.FAuthType := authToken;
        Result := 0;
      end;
      Exit;
    end;
    if not Have and Basic.Enabled then
    begin
      if SameText(Copy(A, 1, 6), 'Basic ') then
      begin
        { split the UTF-8 bytes, then convert each part: in Free Pascal's
          mode delphi a Copy of the converted text would be turned into the
          system code page }
        Cred := IocpWsDecodeBase64(Trim(Copy(A, 7, MaxInt)));
        K := Pos(':', Cred);
        if K > 0 then
        begin
          U := IocpWsUtf8ToString(PAnsiChar(Cred), K - 1);
          P := IocpWsUtf8ToString(PAnsiChar(Cred) + K, Length(Cred) - K);
          Have := True;
          Kind := authBasic;
        end;
      end;
    end;
    if Have then
    begin
      if CheckCredentials(S, C, U, P) then
      begin
        C.FAuthUser := U;
        C.FAuthenticated := True;
        C.FAuthType := Kind;
        C.FAuthPassword := P;
        Result := 0;
      end;
    end
    else if AllowNonAuth then
      Result := 0;
  end;
end;

{ SecurityOptions.OriginsAllowed: '' = any; a comma list ('*' = any). }
function OriginAllowed(const List, Origin: string): Boolean;
var
  Items: TStringList;
  I: Integer;
begin
  Result := Trim(List) = '';
  if Result then
    Exit;
  Items := TStringList.Create;
  try
    Items.StrictDelimiter := True;
    Items.Delimiter := ',';
    Items.DelimitedText := List;
    for I := 0 to Items.Count - 1 do
      if (Trim(Items[I]) = '*') or
        ((Origin <> '') and SameText(Trim(Items[I]), Trim(Origin))) then
        Exit(True);
  finally
    Items.Free;
  end;
end;

{ The subprotocol the engine answers with: the first of
  Options.Subprotocols the client offered ('' = none). }
function ChosenProtocol(S: TIocpWebSocketServer; request: piws_request;
  out Offered: Boolean): string;
var
  Items: TStringList;
  I: Integer;
  N, K: UInt32;
  P: PAnsiChar;
begin
  Result := '';
  N := iws_request_protocol_count(request);
  Offered := N > 0;
  if not Offered then
    Exit;
  Items := TStringList.Create;
  try
    Items.StrictDelimiter := True;
    Items.Delimiter := ',';
    Items.DelimitedText := S.FOptions.Subprotocols;
    for I := 0 to Items.Count - 1 do
    begin
      K := 0;
      while K < N do
      begin
        P := iws_request_protocol_at(request, K);
        if (P <> nil) and (Trim(Items[I]) <> '') and
          (IocpWsUtf8Z(P) = Trim(Items[I])) then
          Exit(Trim(Items[I]));
        Inc(K);
      end;
    end;
  finally
    Items.Free;
  end;
end;

function OnConnectCb(server: piws_server; id: iws_conn_id;
  request: piws_request; user: Pointer): Int32;
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
var
  S: TIocpWebSocketServer;
  C: TIocpWSConnection;
  P: PAnsiChar;
  Status: Integer;
  Chosen, Before: string;
  Offered: Boolean;
  Hdrs: TStringList;
begin
  Result := IWS_ACCEPT;
  S := TIocpWebSocketServer(user);
  C := nil;
  try
    C := TIocpWSConnection.Create;
    C.FServer := S;
    C.FId := id;
    C.FRefs := 1; { the list's reference, dropped at on_disconnect }
    C.FGuid := S.MakeGuid(id);
    C.FIP := PeerText(S, id, C.FPort);
    C.FLocalIP := LocalText(S, id, C.FLocalPort);
    P := iws_request_path(request);
    if P <> nil then
      C.FURL := IocpWsUtf8ToString(P, StrLen(P));
    IocpWsReadHeaders(request, C.FHeadersRequest);
    Status := 0;
    if not VerifyPeer(S, C, id) then
      Status := 403;
    if (Status = 0) and Assigned(S.FOnTCPConnect) and
      not RunGate(S, GATE_TCP, C, nil, '', '', True) then
      Status := 403;
    if (Status = 0) and not OriginAllowed(S.FSecurityOptions.OriginsAllowed,
      C.FHeadersRequest.Values['Origin']) then
      Status := 403;
    if (Status = 0) and S.FAuthentication.Enabled then
      Status := Authenticate(S, C);
    Chosen := ChosenProtocol(S, request, Offered);
    if (Status = 0) and Offered and (Chosen = '') and
      Assigned(S.FOnUnknownProtocol) and
      not RunGate(S, GATE_PROTOCOL, C, nil, '', '', False) then
      Status := 400;
    if Status = 0 then
    begin
      C.FHeadersResponse.Add('Upgrade: websocket');
      C.FHeadersResponse.Add('Connection: Upgrade');
      if Chosen <> '' then
        C.FHeadersResponse.Add('Sec-WebSocket-Protocol: ' + Chosen);
      if Assigned(S.FOnHandshake) then
      begin
        Before := C.FHeadersResponse.Text;
        Hdrs := C.FHeadersResponse;
        RunGate(S, GATE_HANDSHAKE, C, Hdrs, '', '', True);
        if (Hdrs <> C.FHeadersResponse) and (Hdrs <> nil) then
          C.FHeadersResponse.Assign(Hdrs);
        if C.FHeadersResponse.Text <> Before then
          AnswerHeaders(S, C, request, C.FHeadersResponse, True, Chosen);
      end;
    end
    else if (Status = 401) and S.FAuthentication.Basic.Enabled then
      BasicChallenge(S, C, request);
    if Status <> 0 then
    begin
      C.Release; { never in the list: no OnConnect, no OnDisconnect }
      Result := Status;
      Exit;
    end;
    iws_conn_set_user_data(server, id, C);
    S.Lock;
    try
      C.FIndex := S.FList.Add(C);
    finally
      S.Unlock;
    end;
  except
    { we could not set the connection up: refuse it (no on_disconnect) }
    if C <> nil then
      iws_conn_set_user_data(server, id, nil);
    if C <> nil then
      C.Release;
    Result := 500;
    Exit;
  end;
  try
    if Assigned(S.FOnConnect) then
      Deliver(S, EV_CONNECT, C, '', nil, 0);
  except
    { never into C }
  end;
end;

function ConnOf(server: piws_server; id: iws_conn_id): TIocpWSConnection;
var
  P: Pointer;
begin
  P := nil;
  if iws_conn_get_user_data(server, id, P) <> IWS_OK then
    P := nil;
  Result := TIocpWSConnection(P);
end;

procedure OnMessageCb(server: piws_server; id: iws_conn_id; opcode: UInt32;
  data: PByte; length: UInt64; user: Pointer);
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
var
  S: TIocpWebSocketServer;
  C: TIocpWSConnection;
  M: TMemoryStream;
begin
  try
    S := TIocpWebSocketServer(user);
    C := ConnOf(server, id);
    if C = nil then
      Exit;
    { written by this connection's callback thread only; read anywhere
      (64-bit CPUs: aligned 8-byte stores are atomic, no lock on the
      message path) }
    {$ifndef CPU64} S.Lock; {$endif}
    C.FRecBytes := C.FRecBytes + Int64(length);
    C.FLastMsgRcv := Now;
    {$ifndef CPU64} S.Unlock; {$endif}
    if (S.FOptions.FragmentedMessages <> frgOnlyBuffer) and Assigned(S.FOnFragmented) then
    begin
      M := TMemoryStream.Create;
      try
        if length > 0 then
          M.WriteBuffer(data^, length);
        M.Position := 0;
      except
        M.Free;
        raise;
      end;
      Deliver(S, EV_FRAGMENT, C, '', M, opcode);
    end;
    if S.FOptions.FragmentedMessages = frgOnlyFragmented then
      Exit;
    if opcode = IWS_OP_TEXT then
    begin
      if Assigned(S.FOnMessage) then
        Deliver(S, EV_MESSAGE, C, IocpWsUtf8ToString(PAnsiChar(data), length), nil, 0);
    end
    else if Assigned(S.FOnBinary) then
    begin
      M := TMemoryStream.Create;
      try
        if length > 0 then
          M.WriteBuffer(data^, length);
        M.Position := 0;
      except
        M.Free;
        raise;
      end;
      Deliver(S, EV_BINARY, C, '', M, 0);
    end;
  except
    on E: Exception do
      try
        TIocpWebSocketServer(user).ReportException(nil, E);
      except
      end;
  end;
end;

procedure OnDisconnectCb(server: piws_server; id: iws_conn_id; code: UInt32;
  reason: PAnsiChar; reason_length: UInt32; user: Pointer);
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
var
  S: TIocpWebSocketServer;
  C, Last: TIocpWSConnection;
begin
  try
    S := TIocpWebSocketServer(user);
    C := ConnOf(server, id);
    if C = nil then
      Exit;
    iws_conn_set_user_data(server, id, nil);
    C.FCloseCode := code;
    C.FCloseReason := IocpWsUtf8ToString(reason, reason_length);
    C.GetProtocol; { cache it while the engine still knows the connection }
    C.FDisconnected := True;
    S.Lock;
    try
      { swap-remove from the dense list }
      if (C.FIndex >= 0) and (C.FIndex < S.FList.Count) and
        (S.FList[C.FIndex] = Pointer(C)) then
      begin
        Last := TIocpWSConnection(S.FList[S.FList.Count - 1]);
        S.FList[C.FIndex] := Last;
        Last.FIndex := C.FIndex;
        S.FList.Delete(S.FList.Count - 1);
        C.FIndex := -1;
      end;
    finally
      S.Unlock;
    end;
    S.FGroups.ConnectionGone(C);
    try
      if Assigned(S.FOnDisconnect) then
        Deliver(S, EV_DISCONNECT, C, '', nil, code);
    finally
      C.Release;
    end;
  except
  end;
end;

{ on_heartbeat: OnBeforeHeartBeat (neNoSync on the library's thread, else
  synchronised with the main thread, as the handshake's events: Handled
  is its answer); 1 = handled, the engine sends no ping. }
function OnHeartBeatCb(server: piws_server; id: iws_conn_id;
  user: Pointer): Int32;
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
var
  S: TIocpWebSocketServer;
  C: TIocpWSConnection;
begin
  Result := 0;
  try
    S := TIocpWebSocketServer(user);
    if not Assigned(S.FOnBeforeHeartBeat) then
      Exit;
    C := ConnOf(server, id);
    if C = nil then
      Exit;
    if RunGate(S, GATE_HEARTBEAT, C, nil, '', '', False) then
      Result := 1;
  except
  end;
end;

procedure OnErrorCb(server: piws_server; id: iws_conn_id; code: Int32;
  message: PAnsiChar; user: Pointer);
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
var
  S: TIocpWebSocketServer;
  C: TIocpWSConnection;
begin
  try
    S := TIocpWebSocketServer(user);
    if not Assigned(S.FOnError) then
      Exit;
    C := nil;
    if id <> 0 then
      C := ConnOf(server, id);
    Deliver(S, EV_ERROR, C, IocpWsUtf8ToString(message, StrLen(message)),
      nil, code);
  except
  end;
end;

type
  TFilterContext = record
    Include: TIocpWsIdArray;
    UseInclude: Boolean;
    Protocol: string;
  end;
  PFilterContext = ^TFilterContext;

function FilterCb(id: iws_conn_id; conn_user_data: Pointer;
  context: Pointer): Int32;
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
var
  F: PFilterContext;
  C: TIocpWSConnection;
  I, Lo, Hi: Integer;
  Found: Boolean;
begin
  Result := 0;
  try
    F := context;
    if F^.UseInclude then
    begin
      { Include is sorted: binary search }
      Lo := 0;
      Hi := High(F^.Include);
      Found := False;
      while (Lo <= Hi) and not Found do
      begin
        I := (Lo + Hi) div 2;
        if F^.Include[I] = id then
          Found := True
        else if F^.Include[I] < id then
          Lo := I + 1
        else
          Hi := I - 1;
      end;
      if not Found then
        Exit;
    end;
    if F^.Protocol <> '' then
    begin
      C := TIocpWSConnection(conn_user_data);
      if (C = nil) or (C.GetProtocol <> F^.Protocol) then
        Exit;
    end;
    Result := 1;
  except
    Result := 0;
  end;
end;

{ Sorts ids in place (a plain heap sort: no generics needed). }
procedure SortIds(var A: TIocpWsIdArray);
  procedure Sift(Start, Stop: Integer);
  var
    Root, Child: Integer;
    T: iws_conn_id;
  begin
    Root := Start;
    while Root * 2 + 1 <= Stop do
    begin
      Child := Root * 2 + 1;
      if (Child < Stop) and (A[Child] < A[Child + 1]) then
        Inc(Child);
      if A[Root] >= A[Child] then
        Exit;
      T := A[Root];
      A[Root] := A[Child];
      A[Child] := T;
      Root := Child;
    end;
  end;
var
  I: Integer;
  T: iws_conn_id;
begin
  for I := (Length(A) - 2) div 2 downto 0 do
    Sift(I, High(A));
  for I := High(A) downto 1 do
  begin
    T := A[0];
    A[0] := A[I];
    A[I] := T;
    Sift(0, I - 1);
  end;
end;

constructor TIocpHTTPContext.Create;
begin
  inherited Create;
  FBinding := TIocpHTTPBinding.Create;
end;

destructor TIocpHTTPContext.Destroy;
begin
  FBinding.Free;
  inherited Destroy;
end;

type
  { One HTTP request for a handler (neAsynchronous: queued to the main
    thread with the engine's response deferred). }
  TIocpHTTPJob = class
  public
    Server: TIocpWebSocketServer;
    Ctx: TIocpHTTPContext;
    Req: TIocpHTTPRequestInfo;
    Resp: TIocpHTTPResponseInfo;
    H: piws_http_response;
    Deferred: Boolean;
    destructor Destroy; override;
    procedure Run;
    procedure ToQueue;
  end;

destructor TIocpHTTPJob.Destroy;
begin
  Ctx.Free;
  Req.Free;
  Resp.Free;
  inherited Destroy;
end;

{ queued: the engine's response waits for the queued Run, which sends it
  and frees the job }
procedure TIocpHTTPJob.ToQueue;
begin
  if iws_http_defer(H) <> IWS_OK then
    raise EIocpWs.CreateCode(IWS_E_BAD_STATE,
      'iocpws: the engine refused to defer an HTTP response');
  Deferred := True;
  Resp.Attach(H, True);
end;

procedure TIocpHTTPJob.Run;
var
  S: TIocpWebSocketServer;
  F: TFpuSave;
begin
  S := Server;
  AtomicInc(S.FRunning);
  try
    S.DispatchHTTP(Ctx, Req, Resp, H);
  finally
    AtomicDec(S.FRunning);
    if Deferred then
    begin
      F := FpuMask;
      iws_http_send(H); { whatever it returns, the response is released }
      FpuRestore(F);
      AtomicDec(S.FPending);
      Free;
    end;
  end;
end;

{ Authentication.Session: GET /sgc/req/auth/session/<user>/<password>
  answers a token for ws://host/sgc/auth/session/<token> (200, text/plain)
  or 401. False when the request is not that. }
function SessionLogin(S: TIocpWebSocketServer; request: piws_request;
  response: piws_http_response): Boolean;
const
  PREFIX = '/sgc/req/auth/session/';
  MAX_TOKENS = 10000; { unused tokens kept at most (oldest dropped) }
var
  Path, U, P, Tok: string;
  G1, G2: TGUID;
  B: RawByteString;
begin
  Path := IocpWsUtf8Z(iws_request_path(request));
  Result := StartsWithText(PREFIX, Path);
  if not Result then
    Exit;
  if SplitCredentials(Copy(Path, Length(PREFIX) + 1, MaxInt), U, P) and
    CheckCredentials(S, nil, U, P) then
  begin
    CreateGUID(G1);
    CreateGUID(G2);
    Tok := Format('%.8x%.4x%.4x%.2x%.2x%.2x%.2x%.8x%.4x%.4x',
      [G1.D1, G1.D2, G1.D3, G1.D4[0], G1.D4[1], G1.D4[2], G1.D4[3],
       G2.D1, G2.D2, G2.D3]);
    S.Lock;
    try
      while S.FSessions.Count >= MAX_TOKENS do
        S.FSessions.Delete(0);
      S.FSessions.Add(Tok + '=' + U);
    finally
      S.Unlock;
    end;
    B := IocpWsStringToUtf8(Tok);
    iws_http_set_status(response, 200, nil);
    iws_http_add_header(response, 'Content-Type', 'text/plain; charset=utf-8');
    iws_http_set_body(response, PAnsiChar(B), Length(B));
  end
  else
  begin
    iws_http_set_status(response, 401, nil);
    iws_http_set_body(response, PAnsiChar('Unauthorized'), 12);
  end;
end;

{ ---- HTTPUploadFiles (sgc): multipart uploads saved as they arrive ------- }

const
  UPLOAD_CREATE = 0; { OnHTTPUploadBeforeCreatePostStream: Accept }
  UPLOAD_BEFORE = 1; { OnHTTPUploadBeforeSaveFile: A = file name, B = folder }
  UPLOAD_AFTER = 2;  { OnHTTPUploadAfterSaveFile }
  UPLOAD_INPUT = 3;  { OnHTTPUploadReadInput: A = name, B = value }

type
  { One upload event, run where NotifyEvents says: neNoSync at once on the
    engine's thread; else on the main thread, synchronised when it answers
    (BeforeCreatePostStream, BeforeSaveFile) or with neSynchronous, queued
    with neAsynchronous (in order with the request's queued OnCommandGet). }
  TIocpUploadEvent = class
  public
    Server: TIocpWebSocketServer;
    Kind: Integer;
    A, B: string;
    Headers: TStringList;
    Accept: Boolean;
    Failed: Boolean;
    Queued: Boolean;
    procedure Run;
    procedure ToQueue;
  end;

  { The receiver of one request's body, its events on the server. }
  TIocpServerUpload = class(TIocpUploadReceiver)
  public
    Server: TIocpWebSocketServer;
    Received: Int64;
    Limit: Int64; { HTTPOptions.MaxBodySize; 0 = none }
    procedure BeforeSave(var AFileName, AFilePath: string);
    procedure AfterSave(const AFileName, AFilePath: string);
    procedure Input(const AName, AValue: string);
  end;

  { RemoveBoundaries = False: one request's raw body into its '.sgc_ps'
    file (freeing it deletes the file unless Stream was taken). }
  TIocpRawUpload = class
  public
    Stream: TIocpPostFileStream;
    Received: Int64;
    Limit: Int64; { HTTPOptions.MaxBodySize; 0 = none }
    destructor Destroy; override;
  end;

destructor TIocpRawUpload.Destroy;
begin
  Stream.Free;
  inherited Destroy;
end;

procedure TIocpUploadEvent.Run;
var
  S: TIocpWebSocketServer;
begin
  S := Server;
  AtomicInc(S.FRunning);
  try
    try
      case Kind of
        UPLOAD_CREATE:
          if Assigned(S.FOnHTTPUploadBeforeCreatePostStream) then
            S.FOnHTTPUploadBeforeCreatePostStream(S, nil, Headers, Accept);
        UPLOAD_BEFORE:
          if Assigned(S.FOnHTTPUploadBeforeSaveFile) then
            S.FOnHTTPUploadBeforeSaveFile(S, A, B);
        UPLOAD_AFTER:
          if Assigned(S.FOnHTTPUploadAfterSaveFile) then
            S.FOnHTTPUploadAfterSaveFile(S, A, B);
        UPLOAD_INPUT:
          if Assigned(S.FOnHTTPUploadReadInput) then
            S.FOnHTTPUploadReadInput(S, A, B);
      end;
    except
      on E: Exception do
      begin
        Failed := True;
        S.ReportException(nil, E);
      end;
    end;
  finally
    AtomicDec(S.FRunning);
    if Queued then
    begin
      AtomicDec(S.FPending);
      Free;
    end;
  end;
end;

procedure TIocpUploadEvent.ToQueue;
begin
  Queued := True;
end;

{ Runs Ev where NotifyEvents says (see TIocpUploadEvent); True when it ran
  here (the caller then reads its answer and frees it). }
function RunUploadEvent(Ev: TIocpUploadEvent; Answers: Boolean): Boolean;
begin
  Result := RunNotified(Ev.Server, Ev.Run, Ev.ToQueue, Answers);
end;

procedure TIocpServerUpload.BeforeSave(var AFileName, AFilePath: string);
var
  Ev: TIocpUploadEvent;
begin
  if not Assigned(Server.FOnHTTPUploadBeforeSaveFile) then
    Exit;
  Ev := TIocpUploadEvent.Create;
  try
    Ev.Server := Server;
    Ev.Kind := UPLOAD_BEFORE;
    Ev.A := AFileName;
    Ev.B := AFilePath;
    RunUploadEvent(Ev, True);
    if Ev.Failed then
      AFileName := '' { a handler that raised: the file is not saved }
    else
    begin
      AFileName := Ev.A;
      AFilePath := Ev.B;
    end;
  finally
    Ev.Free;
  end;
end;

procedure UploadNotify(S: TIocpWebSocketServer; Kind: Integer; const A, B: string);
var
  Ev: TIocpUploadEvent;
begin
  Ev := TIocpUploadEvent.Create;
  try
    Ev.Server := S;
    Ev.Kind := Kind;
    Ev.A := A;
    Ev.B := B;
    if not RunUploadEvent(Ev, False) then
      Ev := nil; { queued: its Run frees it }
  finally
    Ev.Free;
  end;
end;

procedure TIocpServerUpload.AfterSave(const AFileName, AFilePath: string);
begin
  if Assigned(Server.FOnHTTPUploadAfterSaveFile) then
    UploadNotify(Server, UPLOAD_AFTER, AFileName, AFilePath);
end;

procedure TIocpServerUpload.Input(const AName, AValue: string);
begin
  if Assigned(Server.FOnHTTPUploadReadInput) then
    UploadNotify(Server, UPLOAD_INPUT, AName, AValue);
end;

function UploadKey(id: iws_conn_id): string;
begin
  Result := IntToHex(Int64(id), 16);
end;

{ Takes the upload of connection id out of the server's list (nil if
  none): a TIocpServerUpload or a TIocpRawUpload. }
function TakeUpload(S: TIocpWebSocketServer; id: iws_conn_id): TObject;
var
  I: Integer;
begin
  Result := nil;
  S.Lock;
  try
    if S.FUploads.Count = 0 then
      Exit;
    I := S.FUploads.IndexOf(UploadKey(id));
    if I >= 0 then
    begin
      Result := S.FUploads.Objects[I];
      S.FUploads.Delete(I);
    end;
  finally
    S.Unlock;
  end;
end;

function FindUpload(S: TIocpWebSocketServer; id: iws_conn_id): TObject;
var
  I: Integer;
begin
  Result := nil;
  S.Lock;
  try
    I := S.FUploads.IndexOf(UploadKey(id));
    if I >= 0 then
      Result := S.FUploads.Objects[I];
  finally
    S.Unlock;
  end;
end;

function UploadPeer(S: TIocpWebSocketServer; id: iws_conn_id): string;
var
  P: Integer;
begin
  Result := PeerText(S, id, P);
  if Result = '' then
    Result := '?';
end;

{ on_http_head: OnHTTPUploadBeforeCreatePostStream for a request with a
  body (Accept = False refuses it: 403); a multipart/form-data body with
  HTTPUploadFiles.StreamType = pstFileStream (and a Content-Length of at
  least MinSize, or chunked) is streamed: with RemoveBoundaries to a
  TIocpServerUpload (files saved as their parts end), without it as it is
  into a '.sgc_ps' file (TIocpRawUpload) that becomes OnCommandGet's
  PostStream; everything else is buffered as before. }
function OnHttpHeadCb(server: piws_server; id: iws_conn_id;
  request: piws_request; user: Pointer): Int32;
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
var
  S: TIocpWebSocketServer;
  Chunked: Boolean;
  Len: Int64;
  Ev: TIocpUploadEvent;
  Boundary: RawByteString;
  U: TIocpServerUpload;
  R: TIocpRawUpload;
  Obj: TObject;
  Up: TIocpWSHTTPUploadFiles;
  Streamed: Boolean;
begin
  Result := IWS_HTTP_BODY_BUFFER;
  S := TIocpWebSocketServer(user);
  try
    Chunked := iws_request_header(request, 'Transfer-Encoding') <> nil;
    Len := StrToInt64Def(IocpWsUtf8Z(iws_request_header(request, 'Content-Length')), 0);
    if not Chunked and (Len <= 0) then
      Exit;
    { OnSSLVerifyPeer before any upload event or file (as before OnCommandGet) }
    if not VerifyPeer(S, nil, id) then
    begin
      Result := 403;
      Exit;
    end;
    Up := S.FHTTPUploadFiles;
    Streamed := (Up.StreamType = pstFileStream) and (Chunked or (Len >= Up.MinSize));
    if Streamed then
    begin
      Boundary := IocpWsMultipartBoundary(IocpWsUtf8Z(iws_request_header(request, 'Content-Type')));
      Streamed := Boundary <> '';
    end;
    { the engine does not bound a streamed body: the limit is ours; a
      declared length over it is refused before any event or file }
    if Streamed and not Chunked and (S.FHTTPOptions.MaxBodySize > 0) and
      (Len > S.FHTTPOptions.MaxBodySize) then
    begin
      S.ReportError(nil, 'HTTPUploadFiles: the body (Content-Length ' +
        IntToStr(Len) + ') is over HTTPOptions.MaxBodySize (' +
        IntToStr(S.FHTTPOptions.MaxBodySize) + ' bytes): answered 413, ' +
        'nothing written (from ' + UploadPeer(S, id) + ')');
      Result := 413;
      Exit;
    end;
    if Assigned(S.FOnHTTPUploadBeforeCreatePostStream) then
    begin
      Ev := TIocpUploadEvent.Create;
      try
        Ev.Server := S;
        Ev.Kind := UPLOAD_CREATE;
        Ev.Headers := TStringList.Create;
        IocpWsReadHeaders(request, Ev.Headers);
        Ev.Accept := True;
        RunUploadEvent(Ev, True);
        if Ev.Failed or not Ev.Accept then
        begin
          Result := 403;
          Exit;
        end;
      finally
        Ev.Headers.Free;
        Ev.Free;
      end;
    end;
    if not Streamed then
      Exit;
    if not Up.RemoveBoundaries then
    begin
      R := TIocpRawUpload.Create;
      try
        R.Limit := S.FHTTPOptions.MaxBodySize;
        R.Stream := TIocpPostFileStream.Create(Up.SaveDirectory);
      except
        on E: Exception do
        begin
          R.Free;
          S.ReportError(nil, 'HTTPUploadFiles: the body cannot be kept in a ' +
            'file (' + E.Message + '): answered 500 (from ' +
            UploadPeer(S, id) + ')');
          Result := 500;
          Exit;
        end;
      end;
      Obj := R;
    end
    else
    begin
      U := nil;
      try
        U := TIocpServerUpload.Create(Boundary, Up.SaveDirectory);
      except
        on E: EIocpMultipart do
        begin
          S.ReportError(nil, 'HTTPUploadFiles: ' + E.Message + ' (from ' +
            UploadPeer(S, id) + ')');
          Result := E.Status;
          Exit;
        end;
      end;
      U.Server := S;
      U.Limit := S.FHTTPOptions.MaxBodySize;
      U.OnBeforeSave := U.BeforeSave;
      U.OnAfterSave := U.AfterSave;
      U.OnInput := U.Input;
      Obj := U;
    end;
    TakeUpload(S, id).Free;
    S.Lock;
    try
      S.FUploads.AddObject(UploadKey(id), Obj);
    finally
      S.Unlock;
    end;
    Result := IWS_HTTP_BODY_STREAM;
  except
    on E: Exception do
    begin
      S.ReportException(nil, E);
      Result := 500;
    end;
  end;
end;

{ A streamed body (chunked) went past HTTPOptions.MaxBodySize: the upload
  of id is dropped, every file it wrote deleted (Deleted: their paths),
  OnError says why; returns 413 (the engine answers it and closes the
  connection: the rest of the body is never read). }
function UploadOverLimit(S: TIocpWebSocketServer; id: iws_conn_id;
  Limit: Int64; const Deleted: string): Int32;
var
  What: string;
begin
  if Deleted = '' then
    What := 'nothing written'
  else
    What := 'deleted: ' + Deleted;
  S.ReportError(nil, 'HTTPUploadFiles: the body went over ' +
    'HTTPOptions.MaxBodySize (' + IntToStr(Limit) + ' bytes) as it arrived: ' +
    'answered 413, the connection closed, ' + What + ' (from ' +
    UploadPeer(S, id) + ')');
  Result := 413;
end;

{ on_http_body: a piece of an upload, parsed and saved (or, raw, written
  to its '.sgc_ps' file); over HTTPOptions.MaxBodySize answers 413 and
  deletes every file of the request (the piece that crosses the limit is
  not written); malformed input answers 400 (413 for a header block or
  field over its limit), a failure to write 500 (reported), and the
  upload is dropped (the half-written file deleted). }
function OnHttpBodyCb(server: piws_server; id: iws_conn_id; data: PByte;
  length: UInt32; user: Pointer): Int32;
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
var
  S: TIocpWebSocketServer;
  O: TObject;
  R: TIocpRawUpload;
  U: TIocpServerUpload;
  N: Integer;
  Limit: Int64;
  Why: string;
begin
  Result := 0;
  S := TIocpWebSocketServer(user);
  try
    O := FindUpload(S, id); { removed only on this connection's thread }
    if O = nil then
      Exit;
    if O is TIocpRawUpload then
    begin
      R := TIocpRawUpload(O);
      Inc(R.Received, length);
      if (R.Limit > 0) and (R.Received > R.Limit) then
      begin
        Why := R.Stream.FileName;
        Limit := R.Limit;
        TakeUpload(S, id).Free; { deletes the file }
        Result := UploadOverLimit(S, id, Limit, Why);
        Exit;
      end;
      try
        N := R.Stream.Write(data^, length);
        if N <> Integer(length) then
        begin
          Why := SysErrorMessage(GetLastOSError);
          if Why = '' then
            Why := 'short write';
          raise EWriteError.Create(Why);
        end;
      except
        on E: Exception do
        begin
          Why := R.Stream.FileName;
          TakeUpload(S, id).Free;
          S.ReportError(nil, 'HTTPUploadFiles: writing the body to "' + Why +
            '" failed (' + E.Message + '): answered 500, the file deleted ' +
            '(from ' + UploadPeer(S, id) + ')');
          Result := 500;
        end;
      end;
      Exit;
    end;
    U := TIocpServerUpload(O);
    Inc(U.Received, length);
    if (U.Limit > 0) and (U.Received > U.Limit) then
    begin
      Limit := U.Limit;
      TakeUpload(S, id);
      try
        Why := U.DeleteWritten;
      finally
        U.Free;
      end;
      Result := UploadOverLimit(S, id, Limit, Why);
      Exit;
    end;
    try
      U.Feed(data, length);
    except
      on E: EIocpMultipart do
      begin
        TakeUpload(S, id).Free;
        S.ReportError(nil, 'HTTPUploadFiles: ' + E.Message + ' (from ' +
          UploadPeer(S, id) + ')');
        Result := E.Status;
      end;
      on E: Exception do
      begin
        TakeUpload(S, id).Free;
        S.ReportException(nil, E);
        Result := 500;
      end;
    end;
  except
    Result := 500;
  end;
end;

{ on_close: an upload whose body never completed is dropped. }
procedure OnCloseCb(server: piws_server; id: iws_conn_id; user: Pointer);
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
begin
  try
    TakeUpload(TIocpWebSocketServer(user), id).Free;
  except
  end;
end;

{ on_http_request of a streamed upload: True when it was malformed (the
  response is then filled with the error). Post: a raw body's file stream
  (RemoveBoundaries = False), the caller's to free; else nil. }
function FinishUpload(S: TIocpWebSocketServer; id: iws_conn_id;
  response: piws_http_response; out Post: TStream): Boolean;
var
  O: TObject;
  U: TIocpServerUpload;
  Msg: RawByteString;
begin
  Result := False;
  Post := nil;
  O := TakeUpload(S, id);
  if O = nil then
    Exit;
  if O is TIocpRawUpload then
  begin
    Post := TIocpRawUpload(O).Stream;
    TIocpRawUpload(O).Stream := nil;
    O.Free;
    Exit;
  end;
  U := TIocpServerUpload(O);
  try
    try
      U.Finish;
    except
      on E: EIocpMultipart do
      begin
        Result := True;
        S.ReportError(nil, 'HTTPUploadFiles: ' + E.Message + ' (from ' +
          UploadPeer(S, id) + ')');
        Msg := IocpWsStringToUtf8(E.Message);
        iws_http_set_status(response, E.Status, nil);
        iws_http_add_header(response, 'Content-Type', 'text/plain; charset=utf-8');
        iws_http_set_body(response, PAnsiChar(Msg), System.Length(Msg));
      end;
    end;
  finally
    U.Free;
  end;
end;

procedure OnHttpRequestCb(server: piws_server; id: iws_conn_id;
  request: piws_request; response: piws_http_response; user: Pointer);
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
var
  S: TIocpWebSocketServer;
  Job: TIocpHTTPJob;
  WasDeferred: Boolean;
  M: PAnsiChar;
  IsGet: Boolean;
  A: string;
  PeerPort: Integer;
  Post: TStream;
begin
  S := TIocpWebSocketServer(user);
  Job := nil;
  Post := nil;
  WasDeferred := False;
  try
    if not VerifyPeer(S, nil, id) then
    begin
      TakeUpload(S, id).Free; { an upload's file too (deleted) }
      iws_http_set_status(response, 403, nil);
      iws_http_set_body(response, PAnsiChar('Forbidden'), 9);
      Exit;
    end;
    if FinishUpload(S, id, response, Post) then
      Exit; { a malformed upload: answered with its error }
    if S.FAuthentication.Enabled and S.FAuthentication.Session.Enabled and
      SessionLogin(S, request, response) then
    begin
      FreeAndNil(Post);
      Exit;
    end;
    M := iws_request_method(request);
    IsGet := (M <> nil) and ((StrComp(M, 'GET') = 0) or
      (StrComp(M, 'HEAD') = 0) or (StrComp(M, 'POST') = 0));
    { a gate (sgc's OnBeforeCommand) is asked first also for a request no
      handler takes: 401 before 404, so that paths are not probed }
    if ((IsGet and not Assigned(S.FOnCommandGet)) or
      (not IsGet and not Assigned(S.FOnCommandOther))) and
      not S.HTTPGated then
    begin
      FreeAndNil(Post);
      Exit; { untouched: the engine answers 404 }
    end;
    Job := TIocpHTTPJob.Create;
    Job.Server := S;
    Job.H := response;
    Job.Ctx := TIocpHTTPContext.Create;
    Job.Ctx.FServer := S;
    Job.Ctx.FConnectionId := id;
    A := PeerText(S, id, PeerPort);
    Job.Ctx.FBinding.SetPeer(A, PeerPort, S.ListeningPort);
    { the request owns Post from here (it frees it also when this raises) }
    Job.Req := IocpWsMakeRequestInfo(request, A, PeerPort, Post);
    Post := nil;
    Job.Resp := TIocpHTTPResponseInfo.Create;
    Job.Resp.Attach(response, False);
    { neSynchronous: the request and response stay valid while this
      thread waits; Stop on the main thread keeps serving Synchronize (see
      Stop) }
    if RunNotified(S, Job.Run, Job.ToQueue, False) then
      FreeAndNil(Job)
    else
    begin
      WasDeferred := True;
      Job := nil; { queued: its Run owns and frees it }
    end;
  except
    on E: Exception do
    begin
      try
        if not WasDeferred then
        begin
          iws_http_set_status(response, 500, nil);
          iws_http_set_body(response, nil, 0);
        end;
        S.ReportException(nil, E);
      except
      end;
      Job.Free;
      Post.Free;
    end;
  end;
end;

{ ---- TIocpWSConnection -------------------------------------------------- }

procedure TIocpWSConnection.AddRef;
begin
  AtomicInc(FRefs);
end;

procedure TIocpWSConnection.Release;
begin
  if AtomicDec(FRefs) = 0 then
    Free;
end;

function TIocpWSConnection.GetProtocol: string;
var
  Buf: array[0..255] of AnsiChar;
  Needed: UInt32;
begin
  if not FProtocolKnown and not FDisconnected and (FServer <> nil) then
    if iws_conn_protocol(FServer.FHandle, FId, @Buf[0], SizeOf(Buf),
      @Needed) = IWS_OK then
    begin
      FProtocol := IocpWsUtf8ToString(@Buf[0], StrLen(PAnsiChar(@Buf[0])));
      FProtocolKnown := True;
    end;
  Result := FProtocol;
end;

{ True for a queued send; False when the connection is closing or gone;
  raises for the caller's mistakes. }
function TIocpWSConnection.Check(rc: Integer; const What: string): Boolean;
begin
  case rc of
    IWS_OK: Result := True;
    IWS_E_NO_CONNECTION, IWS_E_CLOSING, IWS_E_QUEUE_FULL: Result := False;
  else
    FServer.RaiseCode(rc, What);
    Result := False;
  end;
end;

constructor TIocpWSConnection.Create;
begin
  inherited Create;
  FHeadersRequest := TIocpHTTPHeaderList.Create;
  FHeadersResponse := TStringList.Create;
  FSubscriptions := TStringList.Create;
  FCreatedAt := Now;
end;

destructor TIocpWSConnection.Destroy;
begin
  FHandShake.Free;
  FAuthentication.Free;
  FForwardHTTP.Free;
  FMsgBinaryEmpty.Free;
  FHeadersRequest.Free;
  FHeadersResponse.Free;
  FSubscriptions.Free;
  inherited Destroy;
end;

{ ---- sgc's connection internals ------------------------------------------ }

constructor TIocpWSHandShakeServer.Create(AConnection: TIocpWSConnection);
begin
  inherited Create;
  FConnection := AConnection;
end;

function TIocpWSHandShakeServer.Header(const aName: string): string;
var
  I: Integer;
  N, V: string;
begin
  { every line of that name, joined as HTTP allows (', ') }
  Result := '';
  with FConnection.FHeadersRequest do
    for I := 0 to Count - 1 do
    begin
      N := HeaderName(I);
      if SameText(Trim(N), aName) then
      begin
        V := Trim(HeaderValue(I));
        if Result = '' then
          Result := V
        else if V <> '' then
          Result := Result + ', ' + V;
      end;
    end;
end;

function TIocpWSHandShakeServer.GetGet: string;
begin
  Result := FConnection.FURL;
end;

function TIocpWSHandShakeServer.GetHost: string;
begin
  Result := Header('Host');
end;

function TIocpWSHandShakeServer.GetOrigin: string;
begin
  Result := Header('Origin');
  if Result = '' then
    Result := Header('Sec-WebSocket-Origin');
end;

function TIocpWSHandShakeServer.GetKey: string;
begin
  Result := Header('Sec-WebSocket-Key');
end;

function TIocpWSHandShakeServer.GetVersion: string;
begin
  Result := Header('Sec-WebSocket-Version');
end;

function TIocpWSHandShakeServer.GetSpecification: TIocpWSSpecification;
begin
  Result := spRFC6455;
end;

function TIocpWSHandShakeServer.GetProtocols: string;
begin
  Result := Header('Sec-WebSocket-Protocol');
end;

function TIocpWSHandShakeServer.GetExtensions: string;
begin
  Result := Header('Sec-WebSocket-Extensions');
end;

function TIocpWSConnection.GetHandShake: TIocpWSHandShakeServer;
begin
  FServer.Lock; { any thread may ask first }
  try
    if FHandShake = nil then
      FHandShake := TIocpWSHandShakeServer.Create(Self);
    Result := FHandShake;
  finally
    FServer.Unlock;
  end;
end;

function TIocpWSConnection.GetAuthentication: TIocpWSConnectionAuthentication;
begin
  FServer.Lock;
  try
    if FAuthentication = nil then
    begin
      { the fields were set before OnConnect and never change after }
      FAuthentication := TIocpWSConnectionAuthentication.Create;
      FAuthentication.FAuthenticated := FAuthenticated;
      FAuthentication.FAuthType := FAuthType;
      FAuthentication.FSessionID := FAuthSessionID;
      FAuthentication.FUser := FAuthUser;
      FAuthentication.FPassword := FAuthPassword;
    end;
    Result := FAuthentication;
  finally
    FServer.Unlock;
  end;
end;

function TIocpWSConnection.GetForwardHTTP: TIocpWSServerForwardHTTP;
begin
  FServer.Lock;
  try
    if FForwardHTTP = nil then
      FForwardHTTP := TIocpWSServerForwardHTTP.Create;
    Result := FForwardHTTP;
  finally
    FServer.Unlock;
  end;
end;

function TIocpWSConnection.GetMsgBinaryReceived: TMemoryStream;
begin
  Result := FMsgBinary;
  if Result <> nil then
    Exit;
  FServer.Lock;
  try
    if FMsgBinaryEmpty = nil then
      FMsgBinaryEmpty := TMemoryStream.Create;
    Result := FMsgBinaryEmpty;
  finally
    FServer.Unlock;
  end;
end;

procedure TIocpWSConnection.SetTCPEndOfFrameScanBuffer(V: TIocpWSEOFScanBuffer);
begin
  if V <> eofScanNone then
    raise EIocpWs.CreateCode(IWS_E_UNSUPPORTED, 'iocpws: TCPEndOfFrameScanBuffer: ' +
      'sgc''s raw TCP framing has no equivalent (the engine speaks WebSocket only)');
  FTCPEOFScan := V;
end;

procedure TIocpWSConnection.AddTCPEndOfFrame(aByte: Byte);
begin
  raise EIocpWs.CreateCode(IWS_E_UNSUPPORTED, 'iocpws: AddTCPEndOfFrame: ' +
    'sgc''s raw TCP framing has no equivalent (the engine speaks WebSocket only)');
end;

procedure TIocpWSConnection.ClearTCPEndOfFrame;
begin
  { no end-of-frame bytes can be set: nothing to clear }
end;

procedure TIocpWSConnection.SetAuthenticationCloseCode(const aCloseCode: Integer);
begin
  FAuthCloseCode := aCloseCode;
end;

procedure TIocpWSConnection.SendResponseHTTP(const aContent, aContentType: string);
begin
  raise EIocpWs.CreateCode(IWS_E_UNSUPPORTED, 'iocpws: SendResponseHTTP: this ' +
    'connection is a WebSocket; HTTP requests are answered in OnCommandGet / ' +
    'OnCommandOther (AResponseInfo)');
end;

function TIocpWSConnection.WriteAndWaitData(const aText: string;
  const aTimeOut: Integer): string;
begin
  Result := '';
  raise EIocpWs.CreateCode(IWS_E_UNSUPPORTED, 'iocpws: WriteAndWaitData: not ' +
    'available on a server connection (WriteData, then read the answer in OnMessage)');
end;

function TIocpWSConnection.GetEnabled: Boolean;
begin
  Result := not FDisconnected;
end;

function TIocpWSConnection.GetValidateUTF8: Boolean;
begin
  Result := FServer.FOptions.ValidateUTF8;
end;

function TIocpWSConnection.GetRaiseDisconnectExceptions: Boolean;
begin
  Result := FServer.FOptions.RaiseDisconnectExceptions;
end;

function TIocpWSConnection.GetFragmentedMessages: TIocpWSFragmentedMessages;
begin
  Result := FServer.FOptions.FragmentedMessages;
end;

function TIocpWSConnection.GetCleanDisconnect: Boolean;
begin
  Result := FServer.FOptions.CleanDisconnect;
end;

function TIocpWSConnection.GetExtensions: TIocpWSExtensions;
begin
  Result := FServer.FExtensions;
end;

function TIocpWSConnection.GetQueueOptions: TIocpWSQueueOptions;
begin
  Result := FServer.FQueueOptions;
end;

procedure TIocpWSConnection.SubscriptionEvent(const aChannel: string;
  Subscribed: Boolean);
var
  Ev: TIocpWSSubscriptionEvent;
begin
  if Subscribed then
    Ev := FOnSubscription
  else
    Ev := FOnUnSubscription;
  if Assigned(Ev) then
    try
      Ev(Self, aChannel);
    except
      on E: Exception do
        FServer.ReportException(Self, E);
    end;
end;

procedure TIocpWSConnection.AddSent(N: Int64);
begin
  {$ifdef CPU64}
  {$ifdef FPC} InterlockedExchangeAdd64(FSendBytes, N); {$else} AtomicIncrement(FSendBytes, N); {$endif}
  {$else}
  FServer.Lock;
  FSendBytes := FSendBytes + N;
  FServer.Unlock;
  {$endif}
end;

function TIocpWSConnection.GetRecBytes: Int64;
begin
  {$ifdef CPU64}
  Result := FRecBytes;
  {$else}
  FServer.Lock;
  Result := FRecBytes;
  FServer.Unlock;
  {$endif}
end;

function TIocpWSConnection.GetSendBytes: Int64;
begin
  {$ifdef CPU64}
  Result := FSendBytes;
  {$else}
  FServer.Lock;
  Result := FSendBytes;
  FServer.Unlock;
  {$endif}
end;

function TIocpWSConnection.GetLastPing: TDateTime;
begin
  FServer.Lock;
  Result := FLastPing;
  FServer.Unlock;
end;

function TIocpWSConnection.GetFirstPing: TDateTime;
begin
  FServer.Lock;
  Result := FFirstPing;
  FServer.Unlock;
end;

function TIocpWSConnection.GetServerOriginsAllowed: string;
begin
  Result := FServer.FSecurityOptions.OriginsAllowed;
end;

function TIocpWSConnection.GetServerSSL: Boolean;
begin
  Result := FServer.FSSL;
end;

function TIocpWSConnection.GetEnforceWebSocketVersion: Boolean;
begin
  Result := FServer.FSecurityOptions.EnforceWebSocketVersion;
end;

function TIocpWSConnection.GetValidateWebSocketKey: Boolean;
begin
  Result := FServer.FSecurityOptions.ValidateWebSocketKey;
end;

function TIocpWSConnection.GetIOHandlerType: TIocpWSIOHandlerType;
begin
  Result := FServer.FIOHandlerOptions.IOHandlerType;
end;

function TIocpWSConnection.GetReadTimeOut: Integer;
begin
  Result := FServer.FOptions.ReadTimeOut;
end;

function TIocpWSConnection.GetMaxMessageSize: Int64;
begin
  Result := FServer.FMaxMessageSize;
end;

function TIocpWSConnection.ListenerIndex: Integer;
var
  Index: UInt32;
begin
  Result := -1;
  if (FServer.FHandle <> nil) and
    (iws_conn_listener(FServer.FHandle, FId, Index) = IWS_OK) then
    Result := Integer(Index);
end;

function ConnCert(C: TIocpWSConnection; What: UInt32): string;
begin
  Result := PeerCert(C.FServer, C.FId, What);
end;

function TIocpWSConnection.ClientCertificateSubject: string;
begin
  Result := ConnCert(Self, IWS_CERT_SUBJECT);
end;

function TIocpWSConnection.ClientCertificateIssuer: string;
begin
  Result := ConnCert(Self, IWS_CERT_ISSUER);
end;

function TIocpWSConnection.ClientCertificatePEM: string;
begin
  Result := ConnCert(Self, IWS_CERT_PEM);
end;

function TIocpWSConnection.GetLastPong: TDateTime;
var
  Ms: UInt64;
begin
  Result := 0;
  Ms := 0;
  if (iws_conn_last_pong(FServer.FHandle, FId, Ms) <> IWS_OK) or (Ms = 0) then
    Exit;
  Result := UnixToDateTime(Int64(Ms div 1000)) +
    (Ms mod 1000) / MSecsPerDay;
  {$ifdef FPC}
  Result := UniversalTimeToLocal(Result);
  {$else}
  Result := TTimeZone.Local.ToLocalTime(Result);
  {$endif}
end;

function TIocpWSConnection.GetLocalIP: string;
begin
  Result := FLocalIP;
end;

function TIocpWSConnection.GetLocalPort: Integer;
begin
  Result := FLocalPort;
end;

function TIocpWSConnection.Transport: TIocpWSTransport;
begin
  Result := trpRFC6455;
end;

function TIocpWSConnection.Specification: TIocpWSSpecification;
begin
  Result := spRFC6455;
end;

function TIocpWSConnection.GetSubscriptions: TStringList;
var
  A: TIocpWsStringArray;
  I: Integer;
begin
  A := Channels;
  FServer.Lock; { the list is shared by every caller }
  try
    FSubscriptions.Clear;
    for I := 0 to High(A) do
      FSubscriptions.Add(A[I]);
  finally
    FServer.Unlock;
  end;
  Result := FSubscriptions;
end;

function TIocpWSConnection.Subscribed(const aChannel: string): Boolean;
var
  A: TIocpWsStringArray;
  I: Integer;
begin
  Result := False;
  A := Channels;
  for I := 0 to High(A) do
    if A[I] = aChannel then
      Exit(True);
end;

procedure TIocpWSConnection.DoSubscribe(const aChannels: string);
var
  L: TStringList;
  I: Integer;
begin
  L := TStringList.Create;
  try
    L.StrictDelimiter := True;
    L.Delimiter := ',';
    L.DelimitedText := aChannels;
    for I := 0 to L.Count - 1 do
      if Trim(L[I]) <> '' then
        Subscribe(Trim(L[I]));
  finally
    L.Free;
  end;
end;

procedure TIocpWSConnection.DoUnSubscribe(const aChannels: string);
var
  L: TStringList;
  I: Integer;
begin
  L := TStringList.Create;
  try
    L.StrictDelimiter := True;
    L.Delimiter := ',';
    L.DelimitedText := aChannels;
    for I := 0 to L.Count - 1 do
      if Trim(L[I]) <> '' then
        Unsubscribe(Trim(L[I]));
  finally
    L.Free;
  end;
end;

function TIocpWSConnection.GetLastSubscription: string;
begin
  FServer.Lock;
  Result := FLastSubscription;
  FServer.Unlock;
end;

function TIocpWSConnection.GetLastUnSubscription: string;
begin
  FServer.Lock;
  Result := FLastUnSubscription;
  FServer.Unlock;
end;

function TIocpWSConnection.Active: Boolean;
begin
  Result := not FDisconnected;
end;

function TIocpWSConnection.IPVersion: TIocpWSIPVersion;
begin
  if Pos(':', FIP) > 0 then
    Result := ipV6
  else
    Result := ipV4;
end;

procedure TIocpWSConnection.DisconnectPeer(aCallOnDisconnectIfClosed: Boolean);
begin
  if not FDisconnected then
    DropTCP;
end;

function TIocpWSConnection.WriteData(const aText: string; const aSize: Integer;
  const aStreaming: TIocpWSStreaming): Boolean;
var
  U: RawByteString;
  F: TFpuSave;
  rc: Integer;
  T: string;
begin
  FServer.CheckActive('WriteData');
  case aStreaming of
    stmFirst, stmContinue:
      begin
        { sgc's streaming: collected here, sent whole by stmLast }
        FServer.Lock;
        try
          if aStreaming = stmFirst then
            FStreamText := aText
          else
            FStreamText := FStreamText + aText;
        finally
          FServer.Unlock;
        end;
        Exit(True);
      end;
    stmLast, stmContinueAndLast:
      begin
        FServer.Lock;
        try
          T := FStreamText + aText;
          FStreamText := '';
        finally
          FServer.Unlock;
        end;
      end;
  else
    T := aText;
  end;
  U := IocpWsStringToUtf8(T);
  F := FpuMask;
  rc := iws_send_text(FServer.FHandle, FId, PAnsiChar(U), System.Length(U));
  FpuRestore(F);
  Result := Check(rc, 'WriteData');
  if Result then
    AddSent(System.Length(U));
end;

function TIocpWSConnection.WriteData(const aStream: TStream; const aSize: Integer;
  const aStreaming: TIocpWSStreaming): Boolean;
var
  B: TBytes;
begin
  if aStream = nil then
    raise EIocpWs.CreateCode(IWS_E_INVALID_ARG, 'iocpws: WriteData: the stream is nil');
  SetLength(B, aStream.Size - aStream.Position);
  if System.Length(B) > 0 then
    aStream.ReadBuffer(B[0], System.Length(B));
  Result := WriteData(B);
end;

function TIocpWSConnection.WriteData(const aData: TBytes): Boolean;
var
  F: TFpuSave;
  rc: Integer;
begin
  FServer.CheckActive('WriteData');
  F := FpuMask;
  rc := iws_send_binary(FServer.FHandle, FId, Pointer(aData), System.Length(aData));
  FpuRestore(F);
  Result := Check(rc, 'WriteData');
  if Result then
    AddSent(System.Length(aData));
end;

function TIocpWSConnection.Subscribe(const aChannel: string): Boolean;
var
  U: RawByteString;
  F: TFpuSave;
  rc: Integer;
  Was: Boolean;
begin
  Was := Assigned(FOnSubscription) and Subscribed(aChannel);
  U := IocpWsStringToUtf8(aChannel);
  F := FpuMask;
  rc := iws_subscribe(FServer.FHandle, FId, PAnsiChar(U));
  FpuRestore(F);
  Result := Check(rc, 'Subscribe');
  if Result then
  begin
    FServer.Lock; { any thread may subscribe: strings need the lock }
    FLastSubscription := aChannel;
    FServer.Unlock;
    if Assigned(FOnSubscription) and not Was then
      SubscriptionEvent(aChannel, True);
  end;
end;

function TIocpWSConnection.Unsubscribe(const aChannel: string): Boolean;
var
  U: RawByteString;
  F: TFpuSave;
  rc: Integer;
  Was: Boolean;
begin
  Was := Assigned(FOnUnSubscription) and Subscribed(aChannel);
  U := IocpWsStringToUtf8(aChannel);
  F := FpuMask;
  rc := iws_unsubscribe(FServer.FHandle, FId, PAnsiChar(U));
  FpuRestore(F);
  Result := Check(rc, 'Unsubscribe');
  if Result then
  begin
    FServer.Lock;
    FLastUnSubscription := aChannel;
    FServer.Unlock;
    if Was then
      SubscriptionEvent(aChannel, False);
  end;
end;

function TIocpWSConnection.UnsubscribeAll: Boolean;
var
  F: TFpuSave;
  rc: Integer;
  Had: TIocpWsStringArray;
  I: Integer;
begin
  Had := nil;
  if Assigned(FOnUnSubscription) then
    Had := Channels;
  F := FpuMask;
  rc := iws_unsubscribe(FServer.FHandle, FId, nil);
  FpuRestore(F);
  Result := Check(rc, 'UnsubscribeAll');
  if Result then
    for I := 0 to High(Had) do
      SubscriptionEvent(Had[I], False);
end;

function TIocpWSConnection.Channels: TIocpWsStringArray;
var
  Buf: array[0..1023] of AnsiChar;
  Big: RawByteString;
  P: PAnsiChar;
  Needed: UInt32;
  rc, N, Start, I: Integer;
  L: NativeInt;
begin
  Result := nil;
  Needed := 0;
  P := @Buf[0];
  rc := iws_conn_channels(FServer.FHandle, FId, P, SizeOf(Buf), @Needed);
  if rc = IWS_E_BUFFER_TOO_SMALL then
  begin
    SetLength(Big, Needed);
    P := PAnsiChar(Big);
    rc := iws_conn_channels(FServer.FHandle, FId, P, Needed, @Needed);
  end;
  if not Check(rc, 'Channels') then
    Exit;
  L := StrLen(P);
  N := 0;
  Start := 0;
  for I := 0 to L - 1 do
    if P[I] = #10 then
    begin
      SetLength(Result, N + 1);
      Result[N] := IocpWsUtf8ToString(P + Start, I - Start);
      Inc(N);
      Start := I + 1;
    end;
end;

function TIocpWSConnection.Ping(const aText: string): Boolean;
var
  U: RawByteString;
  F: TFpuSave;
  rc: Integer;
begin
  FServer.CheckActive('Ping');
  U := IocpWsStringToUtf8(aText);
  F := FpuMask;
  rc := iws_ping(FServer.FHandle, FId, PAnsiChar(U), System.Length(U));
  FpuRestore(F);
  Result := Check(rc, 'Ping');
  if Result then
  begin
    FServer.Lock;
    FLastPing := Now;
    if FFirstPing = 0 then
      FFirstPing := FLastPing;
    FServer.Unlock;
  end;
end;

function TIocpWSConnection.Close(aCode: Integer; const aReason: string): Boolean;
var
  U: RawByteString;
  F: TFpuSave;
  rc: Integer;
begin
  FServer.CheckActive('Close');
  U := IocpWsStringToUtf8(aReason);
  F := FpuMask;
  rc := iws_close(FServer.FHandle, FId, aCode, PAnsiChar(U), System.Length(U));
  FpuRestore(F);
  Result := Check(rc, 'Close');
end;

function TIocpWSConnection.Disconnect: Boolean;
begin
  if FServer.FOptions.CleanDisconnect then
  begin
    FServer.CheckActive('Disconnect');
    Result := Close(IWS_CLOSE_NORMAL, '');
  end
  else
    Result := DropTCP;
end;

function TIocpWSConnection.DropTCP: Boolean;
var
  F: TFpuSave;
  rc: Integer;
begin
  FServer.CheckActive('Disconnect');
  F := FpuMask;
  rc := iws_disconnect(FServer.FHandle, FId);
  FpuRestore(F);
  Result := Check(rc, 'Disconnect');
end;

function TIocpWSConnection.Disconnect(aCloseCode: Integer): Boolean;
begin
  Result := Close(aCloseCode, '');
end;

{ ---- Bindings ------------------------------------------------------------ }

procedure TIocpWSBinding.Assign(Source: TPersistent);
begin
  if Source is TIocpWSBinding then
  begin
    FIP := TIocpWSBinding(Source).FIP;
    FPort := TIocpWSBinding(Source).FPort;
    FIPVersion := TIocpWSBinding(Source).FIPVersion;
  end
  else
    inherited Assign(Source);
end;

function TIocpWSBinding.Text: string;
begin
  if Pos(':', FIP) > 0 then
    Result := '[' + FIP + ']:' + IntToStr(FPort)
  else
    Result := FIP + ':' + IntToStr(FPort);
end;

function TIocpWSBindings.GetItem(Index: Integer): TIocpWSBinding;
begin
  Result := TIocpWSBinding(inherited GetItem(Index));
end;

procedure TIocpWSBindings.SetItem(Index: Integer; V: TIocpWSBinding);
begin
  inherited SetItem(Index, V);
end;

function TIocpWSBindings.Add: TIocpWSBinding;
begin
  Result := TIocpWSBinding(inherited Add);
end;

{ ---- TIocpWebSocketServer ----------------------------------------------- }

constructor TIocpWebSocketServer.Create(AOwner: TComponent);
var
  G: TGUID;
begin
  inherited Create(AOwner);
  CheckThreads; { before the first critical section: FPC without cthreads }
  FLockReady := True;
  FPort := 80;
  FHost := '0.0.0.0';
  FBindings := TIocpWSBindings.Create(Self, TIocpWSBinding);
  FMaxMessageSize := 64 * 1024 * 1024;
  FAuthentication := TIocpWSAuthenticationOptions.Create(Self);
  FSecurityOptions := TIocpWSSecurityOptions.Create(Self);
  FTCPKeepAlive := TIocpWSTCPKeepAliveOptions.Create(Self);
  FLoadBalancer := TIocpWSLoadBalancerOptions.Create(Self);
  FThreadPoolOptions := TIocpWSThreadPoolOptions.Create(Self);
  FFallBack := TIocpWSFallBackOptions.Create(Self);
  FQueueOptions := TIocpWSQueueOptions.Create(Self);
  FSpecifications := TIocpWSSpecifications.Create(Self);
  FLogFile := TIocpWSLogFile.Create(Self);
  FThrottle := TIocpWSThrottle.Create(Self);
  FWatchDog := TIocpWSWatchDogOptions.Create(Self);
  FHTTP2Options := TIocpWSHTTP2Options.Create(Self);
  FHTTPUploadFiles := TIocpWSHTTPUploadFiles.Create(Self);
  FOptimizations := TIocpWSOptimizationOptions.Create(Self);
  FGroups := TIocpWSServerGroups.Create(Self);
  FClientLoadBalancer := TIocpWSLoadBalancerClient.Create(Self);
  FSessions := TStringList.Create;
  FUploads := TStringList.Create;
  FUploads.Sorted := True;
  FNotifyEvents := neAsynchronous;
  FHeartBeat := TIocpWSHeartBeatOptions.Create(Self);
  FHeartBeat.Interval := 300;
  FIOHandlerOptions := TIocpWSIOHandlerOptions.Create(Self);
  FOptions := TIocpWSServerOptions.Create(Self);
  FSSLOptions := TIocpWSSSLOptions.Create(Self);
  FExtensions := TIocpWSExtensions.Create(Self);
  FHTTPOptions := TIocpWSHTTPOptions.Create(Self);
  FIndexFile := 'index.html';
  FKeepAlive := True;
  FList := TList.Create;
  {$ifdef FPC} InitCriticalSection(FLock); {$else} FLock := TCriticalSection.Create; {$endif}
  CreateGUID(G);
  FGuidPrefix := Format('{%.8X-%.4X-%.4X-', [G.D1, G.D2, G.D3]);
end;

destructor TIocpWebSocketServer.Destroy;
var
  I: Integer;
begin
  if not FLockReady then
  begin
    { the constructor raised in CheckThreads: nothing was set up }
    inherited Destroy;
    Exit;
  end;
  if FHandle <> nil then
  begin
    try
      Stop;
    except
    end;
    WaitStopThread;
    FreeHandle;
  end;
  TThread.RemoveQueuedEvents(nil, StopDone);
  FList.Free;
  {$ifdef FPC} DoneCriticalSection(FLock); {$else} FLock.Free; {$endif}
  FOptions.Free;
  FSSLOptions.Free;
  FExtensions.Free;
  FHTTPOptions.Free;
  FIOHandlerOptions.Free;
  FHeartBeat.Free;
  FBindings.Free;
  FAuthentication.Free;
  FSecurityOptions.Free;
  FTCPKeepAlive.Free;
  FLoadBalancer.Free;
  FThreadPoolOptions.Free;
  FFallBack.Free;
  FQueueOptions.Free;
  FSpecifications.Free;
  FLogFile.Free;
  FThrottle.Free;
  FWatchDog.Free;
  FHTTP2Options.Free;
  FHTTPUploadFiles.Free;
  FOptimizations.Free;
  FGroups.Free;
  FClientLoadBalancer.Free;
  FSessions.Free;
  if FUploads <> nil then
    for I := 0 to FUploads.Count - 1 do
      FUploads.Objects[I].Free;
  FUploads.Free;
  inherited Destroy;
end;

procedure TIocpWebSocketServer.Lock;
begin
  {$ifdef FPC} EnterCriticalSection(FLock); {$else} FLock.Enter; {$endif}
end;

procedure TIocpWebSocketServer.Unlock;
begin
  {$ifdef FPC} LeaveCriticalSection(FLock); {$else} FLock.Leave; {$endif}
end;

procedure TIocpWebSocketServer.LockConnections;
begin
  Lock;
end;

procedure TIocpWebSocketServer.UnlockConnections;
begin
  Unlock;
end;

procedure TIocpWebSocketServer.RaiseCode(rc: Integer; const What: string);
var
  Buf: array[0..511] of AnsiChar;
  Detail: string;
begin
  Detail := '';
  if FHandle <> nil then
  begin
    Buf[0] := #0;
    if iws_last_error(FHandle, @Buf[0], SizeOf(Buf)) = rc then
      Detail := IocpWsUtf8ToString(@Buf[0], StrLen(PAnsiChar(@Buf[0])));
  end;
  if rc = IWS_E_IN_CALLBACK then
    Detail := 'not allowed inside an event handler running on a library ' +
      'thread (NotifyEvents = neNoSync): call it from another thread';
  if rc = IWS_E_BAD_STATE then
    Detail := 'the server is not active';
  if Detail = '' then
    raise EIocpWs.CreateCode(rc, Format('iocpws: %s failed: %s',
      [What, IocpWsErrorText(rc)]))
  else
    raise EIocpWs.CreateCode(rc, Format('iocpws: %s failed: %s (%s)',
      [What, Detail, IocpWsErrorText(rc)]));
end;

procedure TIocpWebSocketServer.CheckInactive(const What: string);
begin
  if FActive then
    raise EIocpWs.CreateCode(IWS_E_BAD_STATE, 'iocpws: ' + What +
      ' is not allowed while the server is active: stop it first');
end;

procedure TIocpWebSocketServer.CheckActive(const What: string);
begin
  if not FActive or (FHandle = nil) then
    raise EIocpWs.CreateCode(IWS_E_BAD_STATE, 'iocpws: ' + What +
      ': the server is not active (call Start or set Active := True first)');
end;

procedure TIocpWebSocketServer.SetActive(V: Boolean);
begin
  if csLoading in ComponentState then
  begin
    FStreamedActive := V;
    Exit;
  end;
  if V then
    Start
  else
    Stop;
end;

procedure TIocpWebSocketServer.Loaded;
begin
  inherited Loaded;
  if FStreamedActive and not (csDesigning in ComponentState) then
    Start;
end;

procedure TIocpWebSocketServer.SetPort(V: Integer);
begin
  CheckInactive('changing an option');
  if (V < 0) or (V > 65535) then
    raise EIocpWs.CreateCode(IWS_E_OPTION_RANGE, Format('iocpws: Port %d is not in 0..65535', [V]));
  FPort := V;
end;

procedure TIocpWebSocketServer.SetHost(const V: string);
begin CheckInactive('changing an option'); FHost := V; end;
procedure TIocpWebSocketServer.SetBindings(V: TIocpWSBindings);
begin
  FBindings.Assign(V);
end;

procedure TIocpWebSocketServer.SetOpt(var F; V: TPersistent);
begin
  TPersistent(F).Assign(V);
end;

procedure TIocpWebSocketServer.SetAuthentication(V: TIocpWSAuthenticationOptions);
begin SetOpt(FAuthentication, V); end;
procedure TIocpWebSocketServer.SetSecurityOptions(V: TIocpWSSecurityOptions);
begin SetOpt(FSecurityOptions, V); end;
procedure TIocpWebSocketServer.SetTCPKeepAlive(V: TIocpWSTCPKeepAliveOptions);
begin SetOpt(FTCPKeepAlive, V); end;
procedure TIocpWebSocketServer.SetLoadBalancer(V: TIocpWSLoadBalancerOptions);
begin SetOpt(FLoadBalancer, V); end;
procedure TIocpWebSocketServer.SetThreadPoolOptions(V: TIocpWSThreadPoolOptions);
begin SetOpt(FThreadPoolOptions, V); end;
procedure TIocpWebSocketServer.SetFallBack(V: TIocpWSFallBackOptions);
begin SetOpt(FFallBack, V); end;
procedure TIocpWebSocketServer.SetQueueOptions(V: TIocpWSQueueOptions);
begin SetOpt(FQueueOptions, V); end;
procedure TIocpWebSocketServer.SetSpecifications(V: TIocpWSSpecifications);
begin SetOpt(FSpecifications, V); end;
procedure TIocpWebSocketServer.SetLogFile(V: TIocpWSLogFile);
begin SetOpt(FLogFile, V); end;
procedure TIocpWebSocketServer.SetThrottle(V: TIocpWSThrottle);
begin SetOpt(FThrottle, V); end;
procedure TIocpWebSocketServer.SetWatchDog(V: TIocpWSWatchDogOptions);
begin SetOpt(FWatchDog, V); end;
procedure TIocpWebSocketServer.SetHTTP2Options(V: TIocpWSHTTP2Options);
begin SetOpt(FHTTP2Options, V); end;
procedure TIocpWebSocketServer.SetHTTPUploadFiles(V: TIocpWSHTTPUploadFiles);
begin SetOpt(FHTTPUploadFiles, V); end;
procedure TIocpWebSocketServer.SetOptimizations(V: TIocpWSOptimizationOptions);
begin SetOpt(FOptimizations, V); end;

procedure TIocpWebSocketServer.SetFirewall(V: TIocpWSFirewall);
begin
  CheckInactive('changing an option');
  IocpWsSetComponentRef(Self, FFirewall, V);
end;

procedure TIocpWebSocketServer.SetRateLimiter(V: TIocpWSRateLimiter);
begin
  CheckInactive('changing an option');
  IocpWsSetComponentRef(Self, FRateLimiter, V);
end;

procedure TIocpWebSocketServer.SetAPIKeyManager(V: TIocpWSAPIKeyManager);
begin
  CheckInactive('changing an option');
  IocpWsSetComponentRef(Self, FAPIKeyManager, V);
end;

procedure TIocpWebSocketServer.Notification(AComponent: TComponent;
  Operation: TOperation);
begin
  inherited Notification(AComponent, Operation);
  if Operation <> opRemove then
    Exit;
  if AComponent = FFirewall then
    FFirewall := nil;
  if AComponent = FRateLimiter then
    FRateLimiter := nil;
  if AComponent = FAPIKeyManager then
    FAPIKeyManager := nil;
  if FAuthentication <> nil then
    FAuthentication.ComponentRemoved(AComponent);
end;

function TIocpWebSocketServer.GetVersion: string;
begin
  Result := 'iocpws ' + IocpWsUtf8Z(iws_version_string);
end;

function TIocpWebSocketServer.LockList: TList;
begin
  Lock;
  Result := FList;
end;

procedure TIocpWebSocketServer.UnLockList;
begin
  Unlock;
end;

procedure TIocpWebSocketServer.EnterCS;
begin
  Lock;
end;

procedure TIocpWebSocketServer.LeaveCS;
begin
  Unlock;
end;

function TIocpWebSocketServer.AssignedCS: Boolean;
begin
  Result := True;
end;

procedure TIocpWebSocketServer.QueueClear;
begin
end;

procedure TIocpWebSocketServer.ReportError(Conn: TIocpWSConnection; const Text: string);
begin
  if Assigned(FOnError) then
    Deliver(Self, EV_ERROR, Conn, Text, nil, 0);
end;

function CompName(C: TComponent): string;
begin
  if C = nil then
    Result := 'nil'
  else if C.Name <> '' then
    Result := C.Name
  else
    Result := C.ClassName;
end;

procedure TIocpWebSocketServer.ListNoEquivalent(L: TStrings);
var
  T: TStringList;
  I: Integer;

  procedure Opt(O: TIocpWSOptionsBase; const Path, Advice: string);
  var
    T: TStringList;
    I: Integer;
  begin
    T := TStringList.Create;
    try
      IocpWsNonDefaults(O, Path, T);
      for I := 0 to T.Count - 1 do
        L.Add(T[I] + ': ' + Advice);
    finally
      T.Free;
    end;
  end;

  procedure Flag(Cond: Boolean; const What, Advice: string);
  begin
    if Cond then
      L.Add(What + ': ' + Advice);
  end;

begin
  Opt(FLoadBalancer, 'LoadBalancer', 'iocpws has no sgc load balancer; run ' +
    'several servers behind any TCP load balancer and share channels with RedisURL');
  Flag(Assigned(FOnLoadBalancerConnect) or Assigned(FOnLoadBalancerDisconnect),
    'OnLoadBalancerConnect/OnLoadBalancerDisconnect', 'never fired (no load balancer)');
  Flag(FThreadPool, 'ThreadPool = True', 'the engine has its own threads: ' +
    'IOHandlerOptions.IOCP.IOCPThreads and WorkOpThreads');
  Opt(FThreadPoolOptions, 'ThreadPoolOptions', 'the engine has its own threads: ' +
    'IOHandlerOptions.IOCP.IOCPThreads and WorkOpThreads');
  Opt(FFallBack, 'FallBack', 'no Flash or Server-Sent Events fallback: ' +
    'clients must speak WebSocket (every browser does)');
  Opt(FQueueOptions, 'QueueOptions', 'no message queues by level: the engine ' +
    'sends in order and bounds each connection with Options.SendQueueLimit');
  Flag(FQueueMessages, 'QueueMessages = True', 'no message queue: messages ' +
    'are sent in order as WriteData is called');
  Opt(FSpecifications, 'Specifications', 'only RFC 6455 is spoken (no ' +
    'Hixie-76 drafts, no RFC 8441 over HTTP/2)');
  Opt(FLogFile, 'LogFile', 'no frame log file: use OnError and the engine''s ' +
    'log (IWS_OPT_LOG_LEVEL)');
  Opt(FThrottle, 'Throttle', 'no bandwidth throttle');
  Opt(FWatchDog, 'WatchDog', 'no automatic restart: restart from OnShutdown ' +
    'or from the service manager');
  Opt(FHTTP2Options, 'HTTP2Options', 'HTTP/1.1 only (no HTTP/2)');
  Flag(FMaxReadBufferSize <> 0, 'MaxReadBufferSize = ' + IntToStr(FMaxReadBufferSize),
    'the engine sizes its buffers; MaxMessageSize limits messages');
  Flag(FIOHandlerOptions.IOCP.TimeOut <> 10000, 'IOHandlerOptions.IOCP.TimeOut = ' +
    IntToStr(FIOHandlerOptions.IOCP.TimeOut), 'no equivalent (the engine ' +
    'waits for completions without a timeout)');
  Flag(FIOHandlerOptions.EPOLL.AcceptBatchSize <> 0,
    'IOHandlerOptions.EPOLL.AcceptBatchSize = ' +
    IntToStr(FIOHandlerOptions.EPOLL.AcceptBatchSize), 'no equivalent (the ' +
    'engine accepts until the queue is empty)');
  Flag(FIOHandlerOptions.EPOLL.WaitTimeoutMS <> 0,
    'IOHandlerOptions.EPOLL.WaitTimeoutMS = ' +
    IntToStr(FIOHandlerOptions.EPOLL.WaitTimeoutMS), 'no equivalent');
  Flag(FOptions.ReadTimeOut <> 10, 'Options.ReadTimeOut = ' +
    IntToStr(FOptions.ReadTimeOut), 'no socket read timeout: use ' +
    'HeartBeat.Timeout and HTTPOptions.RequestTimeout');
  Flag(FOptions.WriteTimeOut <> 0, 'Options.WriteTimeOut = ' +
    IntToStr(FOptions.WriteTimeOut), 'no socket write timeout: ' +
    'Options.SendQueueLimit closes peers that do not read');
  Flag(not FOptions.HTMLFiles or not FOptions.JavascriptFiles,
    'Options.HTMLFiles / JavascriptFiles = False', 'sgc''s own HTML and ' +
    'JavaScript files are never served here (serve yours from DocumentRoot)');
  Flag(FOptions.Software <> '', 'Options.Software', 'the engine sends no ' +
    'Server header');
  Opt(FExtensions.DeflateFrame, 'Extensions.DeflateFrame', 'deflate-frame is ' +
    'not offered: use Extensions.PerMessage_Deflate');
  Opt(FSSLOptions.OpenSSL_Options, 'SSLOptions.OpenSSL_Options', 'the engine ' +
    'uses the OpenSSL it was built with (SSLOptions.Version sets the oldest ' +
    'TLS version)');
  Flag(not FSecurityOptions.EnforceWebSocketVersion or not FSecurityOptions.ValidateWebSocketKey,
    'SecurityOptions.EnforceWebSocketVersion / ValidateWebSocketKey = False',
    'the engine always checks the version (13) and the key');
  { assigned but not enabled (enabled ones stop Start: CheckSettings) }
  Flag(Assigned(FFirewall), 'Firewall = ' + CompName(FFirewall) + ' (Enabled = ' +
    'False)', 'the engine has no sgc firewall; refuse clients in ' +
    'OnTCPConnect, bound them with MaxConnections and Options.SendQueueLimit');
  Flag(Assigned(FRateLimiter), 'RateLimiter = ' + CompName(FRateLimiter) +
    ' (Enabled = False)', 'the engine has no sgc rate limiter');
  Flag(Assigned(FAPIKeyManager), 'APIKeyManager = ' + CompName(FAPIKeyManager) +
    ' (Enabled = False)', 'the engine has no sgc API key manager; check ' +
    'keys in OnAuthentication');
  if not FAuthentication.Enabled then
  begin
    T := TStringList.Create;
    try
      FAuthentication.ListTokenComponents(T);
      for I := 0 to T.Count - 1 do
        L.Add(T[I] + ' (Authentication.Enabled = False): no JWT, OAuth2 or ' +
          'WebAuthn validation in the engine');
    finally
      T.Free;
    end;
  end;
  Opt(FOptimizations, 'Optimizations', 'none needed: the engine finds ' +
    'connections by id in constant time and frees them itself');
  Opt(FClientLoadBalancer, 'ClientLoadBalancer', 'iocpws has no sgc load ' +
    'balancer; share channels between servers with RedisURL');
  Flag(Assigned(FOnLoadBalancerError), 'OnLoadBalancerError', 'never fired ' +
    '(no load balancer)');
  Flag(Assigned(FOnSSLGetHandler) or Assigned(FOnSSLAfterCreateHandler),
    'OnSSLGetHandler / OnSSLAfterCreateHandler', 'never called: TLS is the ' +
    'engine''s OpenSSL (SSLOptions), there is no Indy handler');
  Flag(Assigned(FOnSSLALPNSelect), 'OnSSLALPNSelect', 'never called: the ' +
    'engine offers no ALPN (HTTP/1.1 only)');
  Flag((FHTTPUploadFiles.StreamType <> pstFileStream) and
    (Assigned(FOnHTTPUploadBeforeSaveFile) or Assigned(FOnHTTPUploadAfterSaveFile) or
    Assigned(FOnHTTPUploadReadInput)), 'OnHTTPUpload* events',
    'called only with HTTPUploadFiles.StreamType = pstFileStream (as in sgc)');
end;

{ ---- Groups (sgc's TsgcWSServerGroups) ----------------------------------- }

{ '*' any run, '?' one character; any case. }
function MaskMatches(const Mask, S: string): Boolean;
var
  M, T: string;
  I, J, StarI, StarJ: Integer;
begin
  M := LowerCase(Mask);
  T := LowerCase(S);
  I := 1;
  J := 1;
  StarI := 0;
  StarJ := 0;
  while J <= Length(T) do
  begin
    if (I <= Length(M)) and ((M[I] = '?') or (M[I] = T[J])) then
    begin
      Inc(I);
      Inc(J);
    end
    else if (I <= Length(M)) and (M[I] = '*') then
    begin
      StarI := I;
      StarJ := J;
      Inc(I);
    end
    else if StarI > 0 then
    begin
      I := StarI + 1;
      Inc(StarJ);
      J := StarJ;
    end
    else
      Exit(False);
  end;
  while (I <= Length(M)) and (M[I] = '*') do
    Inc(I);
  Result := I > Length(M);
end;

procedure TIocpWSQueueItemBase.SetID(const aValue: string);
begin
  FID := aValue;
end;

constructor TIocpWSServerGroupClients.Create(AGroup: TIocpWSServerGroupItem);
begin
  inherited Create;
  FGroup := AGroup;
  FList := TList.Create;
end;

destructor TIocpWSServerGroupClients.Destroy;
begin
  FList.Free;
  inherited Destroy;
end;

function TIocpWSServerGroupClients.GetCount: Integer;
begin
  Result := FGroup.Count;
end;

function TIocpWSServerGroupClients.GetConnection(Index: Integer): TIocpWSConnection;
begin
  Result := nil;
  if FGroup.FGroups <> nil then
    FGroup.FGroups.Enter;
  try
    if (Index >= 0) and (Index < FGroup.FGuids.Count) then
      Result := TIocpWSConnection(FGroup.FGuids.Objects[Index]);
  finally
    if FGroup.FGroups <> nil then
      FGroup.FGroups.Leave;
  end;
end;

function TIocpWSServerGroupClients.LockList: TList;
var
  I: Integer;
begin
  if FGroup.FGroups <> nil then
    FGroup.FGroups.Enter;
  try
    FList.Clear;
    for I := 0 to FGroup.FGuids.Count - 1 do
      FList.Add(FGroup.FGuids.Objects[I]);
  except
    if FGroup.FGroups <> nil then
      FGroup.FGroups.Leave;
    raise;
  end;
  Result := FList;
end;

procedure TIocpWSServerGroupClients.UnlockList;
begin
  if FGroup.FGroups <> nil then
    FGroup.FGroups.Leave;
end;

constructor TIocpWSServerGroupItem.Create(AGroups: TIocpWSServerGroups; const AID: string);
begin
  inherited Create;
  FGroups := AGroups;
  FID := AID;
  FGuids := TStringList.Create;
  FGuids.Sorted := True;
  FGuids.Duplicates := dupIgnore;
  FClients := TIocpWSServerGroupClients.Create(Self);
end;

destructor TIocpWSServerGroupItem.Destroy;
begin
  FClients.Free;
  FGuids.Free;
  inherited Destroy;
end;

procedure TIocpWSServerGroupItem.NeedGroups(const What: string);
begin
  if FGroups = nil then
    raise EIocpWs.CreateCode(IWS_E_BAD_STATE, 'iocpws: ' + What +
      ': the group is in no Groups list (Groups.AddItem)');
end;

procedure TIocpWSServerGroupItem.SetID(const aValue: string);
begin
  if (FGroups <> nil) and (aValue <> FID) then
    raise EIocpWs.CreateCode(IWS_E_BAD_STATE,
      'iocpws: a group''s ID cannot change while it is in Groups');
  FID := aValue;
end;

function TIocpWSServerGroupItem.Add(const aConnection: TIocpWSConnection): Boolean;
var
  K: Integer;
begin
  Result := False;
  NeedGroups('Add');
  if (aConnection = nil) or aConnection.FDisconnected then
    Exit;
  FGroups.Enter;
  try
    Result := not FGuids.Find(aConnection.FGuid, K);
    if Result then
    begin
      FGuids.AddObject(aConnection.FGuid, aConnection);
      Inc(FRefs);
    end;
  finally
    FGroups.Leave;
  end;
  if Result then
    FGroups.Notify(Self, aConnection, True);
end;

function TIocpWSServerGroupItem.Remove(const aConnection: TIocpWSConnection): Boolean;
var
  K: Integer;
begin
  Result := False;
  NeedGroups('Remove');
  if aConnection = nil then
    Exit;
  FGroups.Enter;
  try
    Result := FGuids.Find(aConnection.FGuid, K);
    if Result then
    begin
      FGuids.Delete(K);
      Inc(FRefs);
    end;
  finally
    FGroups.Leave;
  end;
  if Result then
    FGroups.Notify(Self, aConnection, False);
end;

function TIocpWSServerGroupItem.Count: Integer;
begin
  if FGroups = nil then
    Exit(FGuids.Count);
  FGroups.Enter;
  try
    Result := FGuids.Count;
  finally
    FGroups.Leave;
  end;
end;

procedure TIocpWSServerGroupItem.BroadCast(const aMessage: string);
var
  Include: string;
begin
  NeedGroups('BroadCast');
  FGroups.Enter;
  try
    FGuids.Delimiter := ',';
    FGuids.StrictDelimiter := True;
    Include := FGuids.DelimitedText;
  finally
    FGroups.Leave;
  end;
  if Include <> '' then { '' would mean everyone }
    FGroups.FServer.Broadcast(aMessage, '', '', '', Include);
end;

constructor TIocpWSServerGroups.Create(AServer: TIocpWebSocketServer);
begin
  inherited Create;
  FServer := AServer;
  FList := TStringList.Create;
  FList.Sorted := True;
  FList.CaseSensitive := False;
  FItems := TList.Create;
  FOwnObjects := True;
  FDuplicates := dupIgnore;
  {$ifdef FPC} InitCriticalSection(FLock); {$else} FLock := TCriticalSection.Create; {$endif}
end;

destructor TIocpWSServerGroups.Destroy;
begin
  Clear;
  FList.Free;
  FItems.Free;
  {$ifdef FPC} DoneCriticalSection(FLock); {$else} FLock.Free; {$endif}
  inherited Destroy;
end;

procedure TIocpWSServerGroups.Enter;
begin
  {$ifdef FPC} EnterCriticalSection(FLock); {$else} FLock.Enter; {$endif}
end;

procedure TIocpWSServerGroups.Leave;
begin
  {$ifdef FPC} LeaveCriticalSection(FLock); {$else} FLock.Leave; {$endif}
end;

procedure TIocpWSServerGroups.Detach(G: TIocpWSServerGroupItem);
var
  K: Integer;
begin
  K := FList.IndexOfObject(G);
  if K >= 0 then
    FList.Delete(K);
  FItems.Remove(G);
  G.FDetached := True;
  if G.FRefs = 0 then
    G.Free;
end;

procedure TIocpWSServerGroups.DropIfEmpty(Index: Integer);
var
  G: TIocpWSServerGroupItem;
begin
  G := TIocpWSServerGroupItem(FList.Objects[Index]);
  if G.FGuids.Count = 0 then
    Detach(G);
end;

procedure TIocpWSServerGroups.Notify(G: TIocpWSServerGroupItem;
  aConnection: TIocpWSConnection; Added: Boolean);
var
  Ev: TIocpWSServerGroupClientEvent;
  Gone: Boolean;
begin
  try
    if Added then
      Ev := FOnClientAdded
    else
      Ev := FOnClientRemoved;
    if Assigned(Ev) then
      try
        Ev(Self, G, aConnection);
      except
        on E: Exception do
          FServer.ReportException(aConnection, E);
      end;
  finally
    Enter;
    try
      Dec(G.FRefs);
      Gone := G.FDetached and (G.FRefs = 0);
    finally
      Leave;
    end;
    if Gone then
      G.Free;
  end;
end;

function TIocpWSServerGroups.Add(const aGroupName: string;
  const aConnection: TIocpWSConnection): Boolean;
var
  K: Integer;
  G: TIocpWSServerGroupItem;
begin
  Result := False;
  if (aConnection = nil) or aConnection.FDisconnected then
    Exit;
  Enter;
  try
    if FList.Find(aGroupName, K) then
      G := TIocpWSServerGroupItem(FList.Objects[K])
    else
    begin
      G := TIocpWSServerGroupItem.Create(Self, aGroupName);
      FList.AddObject(aGroupName, G);
      FItems.Add(G);
    end;
    Result := not G.FGuids.Find(aConnection.FGuid, K);
    if Result then
    begin
      G.FGuids.AddObject(aConnection.FGuid, aConnection);
      Inc(G.FRefs);
    end;
  finally
    Leave;
  end;
  if Result then
    Notify(G, aConnection, True);
end;

procedure TIocpWSServerGroups.ConnectionGone(aConnection: TIocpWSConnection);
var
  I, K: Integer;
  G: TIocpWSServerGroupItem;
  Left: TList; { the groups it left, held for their events }
begin
  Left := TList.Create;
  try
    Enter;
    try
      for I := FList.Count - 1 downto 0 do
      begin
        G := TIocpWSServerGroupItem(FList.Objects[I]);
        if G.FGuids.Find(aConnection.FGuid, K) then
        begin
          G.FGuids.Delete(K);
          Inc(G.FRefs);
          Left.Add(G);
          DropIfEmpty(I);
        end;
      end;
    finally
      Leave;
    end;
    { in the groups' list order (sorted by name), as they were left }
    for I := Left.Count - 1 downto 0 do
      Notify(TIocpWSServerGroupItem(Left[I]), aConnection, False);
  finally
    Left.Free;
  end;
end;

procedure TIocpWSServerGroups.Remove(const aConnection: TIocpWSConnection);
begin
  if aConnection <> nil then
    ConnectionGone(aConnection);
end;

procedure TIocpWSServerGroups.BroadCast(const aGroupMask, aMessage: string);
var
  All: TStringList;
  I, J: Integer;
  G: TIocpWSServerGroupItem;
  Include: string;
begin
  All := TStringList.Create;
  try
    All.Sorted := True;
    All.Duplicates := dupIgnore; { a connection in two groups gets it once }
    Enter;
    try
      for I := 0 to FList.Count - 1 do
        if MaskMatches(aGroupMask, FList[I]) then
        begin
          G := TIocpWSServerGroupItem(FList.Objects[I]);
          for J := 0 to G.FGuids.Count - 1 do
            All.Add(G.FGuids[J]);
        end;
    finally
      Leave;
    end;
    All.Delimiter := ',';
    All.StrictDelimiter := True;
    Include := All.DelimitedText;
  finally
    All.Free;
  end;
  if Include <> '' then { '' would mean everyone }
    FServer.Broadcast(aMessage, '', '', '', Include);
end;

function CompareGroupOrder(A, B: Pointer): Integer;
var
  X, Y: Int64;
begin
  X := TIocpWSServerGroupItem(A).FOrder;
  Y := TIocpWSServerGroupItem(B).FOrder;
  if X < Y then
    Result := -1
  else if X > Y then
    Result := 1
  else
    Result := 0;
end;

function CompareGroupOrderDesc(A, B: Pointer): Integer;
begin
  Result := -CompareGroupOrder(A, B);
end;

procedure TIocpWSServerGroups.SortByOrder(aAscending: Boolean);
begin
  Enter;
  try
    if aAscending then
      FItems.Sort(CompareGroupOrder)
    else
      FItems.Sort(CompareGroupOrderDesc);
  finally
    Leave;
  end;
end;

function TIocpWSServerGroups.DeleteItem(const aID: string): Boolean;
var
  K: Integer;
  G: TIocpWSServerGroupItem;
begin
  Enter;
  try
    Result := FList.Find(aID, K);
    if Result then
    begin
      G := TIocpWSServerGroupItem(FList.Objects[K]);
      Detach(G);
    end;
  finally
    Leave;
  end;
end;

function TIocpWSServerGroups.GetItemByID(const aID: string): TIocpWSServerGroupItem;
var
  K: Integer;
begin
  Enter;
  try
    if FList.Find(aID, K) then
      Result := TIocpWSServerGroupItem(FList.Objects[K])
    else
      Result := nil;
  finally
    Leave;
  end;
end;

function TIocpWSServerGroups.GetGroup(const aName: string): TIocpWSServerGroupItem;
begin
  Result := GetItemByID(aName);
end;

function TIocpWSServerGroups.GetItemAt(Index: Integer): TIocpWSQueueItemBase;
begin
  Enter;
  try
    Result := nil;
    if (Index >= 0) and (Index < FItems.Count) then
      Result := TIocpWSServerGroupItem(FItems[Index]);
  finally
    Leave;
  end;
end;

procedure TIocpWSServerGroups.AddItem(const aItem: TIocpWSQueueItemBase);
var
  G: TIocpWSServerGroupItem;
  K: Integer;
begin
  if not (aItem is TIocpWSServerGroupItem) then
    raise EIocpWs.CreateCode(IWS_E_INVALID_ARG,
      'iocpws: Groups.AddItem: the item is not a TsgcWSServerGroupItem');
  G := TIocpWSServerGroupItem(aItem);
  Enter;
  try
    if (G.FGroups <> nil) or (G.FID = '') or FList.Find(G.FID, K) then
      raise EIocpWs.CreateCode(IWS_E_INVALID_ARG, 'iocpws: Groups.AddItem: ' +
        'the group is in a list already, has no ID, or its ID is taken');
    G.FGroups := Self;
    G.FDetached := False;
    FList.AddObject(G.FID, G);
    FItems.Add(G);
  finally
    Leave;
  end;
end;

function TIocpWSServerGroups.GetItem(const aID: string): TIocpWSQueueItemBase;
begin
  Result := GetItemByID(aID);
end;

function TIocpWSServerGroups.GetValue(const aKey: string): TObject;
begin
  Result := GetItemByID(aKey);
end;

procedure TIocpWSServerGroups.AddKey(Item: Pointer; const aKey: string);
var
  Ok: Boolean;
begin
  Enter;
  try
    Ok := (FItems.IndexOf(Item) >= 0) and
      SameText(TIocpWSServerGroupItem(Item).FID, aKey);
  finally
    Leave;
  end;
  if not Ok then
    raise EIocpWs.CreateCode(IWS_E_INVALID_ARG, 'iocpws: Groups.AddKey: a ' +
      'group is keyed by its ID only (Groups.Add / AddItem make the key)');
end;

procedure TIocpWSServerGroups.Delete(Index: Integer);
begin
  Enter;
  try
    if (Index < 0) or (Index >= FItems.Count) then
      raise EIocpWs.CreateCode(IWS_E_INVALID_ARG, Format(
        'iocpws: Groups.Delete: index %d out of range (%d groups)', [Index, FItems.Count]));
    Detach(TIocpWSServerGroupItem(FItems[Index]));
  finally
    Leave;
  end;
end;

procedure TIocpWSServerGroups.DeleteKey(Index: Integer; const aKey: string);
begin
  Enter;
  try
    if (Index < 0) or (Index >= FItems.Count) or
      not SameText(TIocpWSServerGroupItem(FItems[Index]).FID, aKey) then
      raise EIocpWs.CreateCode(IWS_E_INVALID_ARG, Format(
        'iocpws: Groups.DeleteKey: Item[%d] is not the group %s', [Index, aKey]));
    Detach(TIocpWSServerGroupItem(FItems[Index]));
  finally
    Leave;
  end;
end;

procedure TIocpWSServerGroups.RemoveItem(Item: Pointer; Direction: TIocpWSListDirection);
begin
  Enter;
  try
    if (Item <> nil) and (FItems.IndexOf(Item) >= 0) then
      Detach(TIocpWSServerGroupItem(Item));
  finally
    Leave;
  end;
end;

function TIocpWSServerGroups.GetCount: Integer;
begin
  Enter;
  try
    Result := FList.Count;
  finally
    Leave;
  end;
end;

function TIocpWSServerGroups.GetIsEmpty: Boolean;
begin
  Result := GetCount = 0;
end;

procedure TIocpWSServerGroups.Clear;
var
  I: Integer;
begin
  Enter;
  try
    for I := FList.Count - 1 downto 0 do
      Detach(TIocpWSServerGroupItem(FList.Objects[I]));
    FItems.Clear;
  finally
    Leave;
  end;
end;

function TIocpWSServerGroups.LockList: TList;
begin
  Enter;
  Result := FItems;
end;

procedure TIocpWSServerGroups.UnlockList;
begin
  Leave;
end;

{ Settings the engine cannot honour and that must not be ignored. }
procedure TIocpWebSocketServer.CheckSettings;

  procedure Refuse(const What, Instead: string);
  begin
    raise EIocpWs.CreateCode(IWS_E_UNSUPPORTED, 'iocpws: ' + What +
      ': the engine has no equivalent; refusing to start rather than run ' +
      'unprotected (' + Instead + ')');
  end;

var
  T: TStringList;
begin
  if (FFirewall <> nil) and FFirewall.Enabled then
    Refuse('Firewall = ' + CompName(FFirewall) + ' (Enabled)', 'set Firewall ' +
      'to nil or its Enabled to False; refuse clients by IP in OnTCPConnect, ' +
      'bound them with MaxConnections, MaxMessageSize and ' +
      'Options.SendQueueLimit, check origins with SecurityOptions.OriginsAllowed');
  if (FRateLimiter <> nil) and FRateLimiter.Enabled then
    Refuse('RateLimiter = ' + CompName(FRateLimiter) + ' (Enabled)', 'set ' +
      'RateLimiter to nil or its Enabled to False; count requests in your ' +
      'handlers, bound connections with MaxConnections');
  if (FAPIKeyManager <> nil) and FAPIKeyManager.Enabled then
    Refuse('APIKeyManager = ' + CompName(FAPIKeyManager) + ' (Enabled)', 'set ' +
      'APIKeyManager to nil or its Enabled to False; check keys in ' +
      'OnAuthentication (Authentication.Basic / URL)');
  if FAuthentication.Enabled then
  begin
    T := TStringList.Create;
    try
      FAuthentication.ListTokenComponents(T);
      if T.Count > 0 then
        Refuse(T[0], 'JWT, OAuth2 and WebAuthn tokens are not validated by ' +
          'the engine: clear it, and check credentials in OnAuthentication ' +
          '(Authentication.Basic / URL / Session)');
    finally
      T.Free;
    end;
  end;
  { Client certificates are verified against RootCertFile: without it,
    refuse to start rather than accept clients without checking them. }
  if FSSL and (FSSLOptions.VerifyCertificate or
    FSSLOptions.VerifyCertificate_Options.FailIfNoCertificate) and
    (FSSLOptions.RootCertFile = '') then
    raise EIocpWs.CreateCode(IWS_E_TLS_CONFIG, 'iocpws: ' +
      'SSLOptions.VerifyCertificate needs SSLOptions.RootCertFile: the CA ' +
      'certificate(s) that issue the client certificates');
  if (FSSLOptions.VerifyDepth < 0) or (FSSLOptions.VerifyDepth > 100) then
    raise EIocpWs.CreateCode(IWS_E_OPTION_RANGE, 'iocpws: ' +
      'SSLOptions.VerifyDepth must be 0..100');
end;

procedure TIocpWebSocketServer.SetRedisURL(const V: string);
begin CheckInactive('changing an option'); FRedisURL := V; end;

procedure TIocpWebSocketServer.SetRedisPrefix(const V: string);
begin CheckInactive('changing an option'); FRedisPrefix := V; end;

procedure TIocpWebSocketServer.SetMaxConnections(V: Integer);
begin CheckInactive('changing an option'); FMaxConnections := V; end;
procedure TIocpWebSocketServer.SetMaxMessageSize(V: Int64);
begin CheckInactive('changing an option'); FMaxMessageSize := V; end;
procedure TIocpWebSocketServer.SetUseNagle(V: Boolean);
begin CheckInactive('changing an option'); FUseNagle := V; end;
procedure TIocpWebSocketServer.SetHeartBeat(V: TIocpWSHeartBeatOptions);
begin FHeartBeat.Assign(V); end;
procedure TIocpWebSocketServer.SetIOHandlerOptions(V: TIocpWSIOHandlerOptions);
begin FIOHandlerOptions.Assign(V); end;
procedure TIocpWebSocketServer.SetOptions(V: TIocpWSServerOptions);
begin FOptions.Assign(V); end;
procedure TIocpWebSocketServer.SetSSL(V: Boolean);
begin CheckInactive('changing an option'); FSSL := V; end;
procedure TIocpWebSocketServer.SetSSLOptions(V: TIocpWSSSLOptions);
begin FSSLOptions.Assign(V); end;

procedure TIocpWebSocketServer.SetExtensions(V: TIocpWSExtensions);
begin FExtensions.Assign(V); end;
procedure TIocpWebSocketServer.SetDocumentRoot(const V: string);
begin CheckInactive('changing an option'); FDocumentRoot := V; end;
procedure TIocpWebSocketServer.SetIndexFile(const V: string);
begin CheckInactive('changing an option'); FIndexFile := V; end;
procedure TIocpWebSocketServer.SetKeepAlive(V: Boolean);
begin CheckInactive('changing an option'); FKeepAlive := V; end;
procedure TIocpWebSocketServer.SetHTTPOptions(V: TIocpWSHTTPOptions);
begin FHTTPOptions.Assign(V); end;
procedure TIocpWebSocketServer.SetNotifyEvents(V: TIocpWSNotifyEvents);
begin CheckInactive('changing an option'); FNotifyEvents := V; end;

function TIocpWebSocketServer.GetCount: Integer;
begin
  Lock;
  try
    Result := FList.Count;
  finally
    Unlock;
  end;
end;

function TIocpWebSocketServer.GetConnection(Index: Integer): TIocpWSConnection;
begin
  Lock;
  try
    if (Index >= 0) and (Index < FList.Count) then
      Result := TIocpWSConnection(FList[Index])
    else
      Result := nil;
  finally
    Unlock;
  end;
end;

function TIocpWebSocketServer.GetConnectionByGuid(const aGuid: string): TIocpWSConnection;
var
  Ids: TIocpWsIdArray;
begin
  Result := nil;
  Ids := ParseGuids(aGuid);
  if (Length(Ids) = 1) and (FHandle <> nil) then
    Result := ConnOf(FHandle, Ids[0]);
end;

function TIocpWebSocketServer.GetListeningPort: Integer;
var
  P: UInt32;
begin
  Result := 0;
  if FActive and (FHandle <> nil) and (iws_get_port(FHandle, P) = IWS_OK) then
    Result := P;
end;

function TIocpWebSocketServer.ListenerCount: Integer;
var
  N: UInt32;
begin
  Result := 0;
  if FActive and (FHandle <> nil) and (iws_get_listener_count(FHandle, N) = IWS_OK) then
    Result := N;
end;

function TIocpWebSocketServer.ListenerPort(Index: Integer): Integer;
var
  P: UInt32;
begin
  Result := 0;
  if FActive and (FHandle <> nil) and (Index >= 0) and
    (iws_get_listener(FHandle, UInt32(Index), P, nil) = IWS_OK) then
    Result := P;
end;

function TIocpWebSocketServer.ListenerIsTLS(Index: Integer): Boolean;
var
  P, F: UInt32;
begin
  F := 0;
  Result := FActive and (FHandle <> nil) and (Index >= 0) and
    (iws_get_listener(FHandle, UInt32(Index), P, @F) = IWS_OK) and
    (F and IWS_LISTEN_TLS <> 0);
end;

function TIocpWebSocketServer.GetListeningTLSPort: Integer;
var
  P: UInt32;
begin
  Result := 0;
  if FActive and FSSL and (FHandle <> nil) and (iws_get_tls_port(FHandle, P) = IWS_OK) then
    Result := P;
end;

function TIocpWebSocketServer.MakeGuid(Id: iws_conn_id): string;
begin
  Result := FGuidPrefix + Format('%.4X-%.12X}', [Word(Id shr 48),
    Int64(Id and $FFFFFFFFFFFF)]);
end;

function TIocpWebSocketServer.ParseGuids(const List: string): TIocpWsIdArray;
var
  Parts: TStringList;
  I, N: Integer;
  G, Hex: string;
  V: Int64;
begin
  Result := nil;
  if List = '' then
    Exit;
  Parts := TStringList.Create;
  try
    Parts.StrictDelimiter := True;
    Parts.Delimiter := ',';
    Parts.DelimitedText := List;
    SetLength(Result, Parts.Count);
    N := 0;
    for I := 0 to Parts.Count - 1 do
    begin
      G := Trim(Parts[I]);
      // "{XXXXXXXX-XXXX-XXXX-IIII-IIIIIIIIIIII}", the prefix of this server
      if (Length(G) <> 38) or not SameText(Copy(G, 1, 20), FGuidPrefix) then
        Continue;
      Hex := Copy(G, 21, 4) + Copy(G, 26, 12);
      if TryStrToInt64('$' + Hex, V) then
      begin
        Result[N] := iws_conn_id(V);
        Inc(N);
      end;
    end;
    SetLength(Result, N);
  finally
    Parts.Free;
  end;
end;

procedure TIocpWebSocketServer.EnsureHandle;
var
  Cb: iws_callbacks;
  rc: Integer;
  F: TFpuSave;
begin
  if FHandle <> nil then
    Exit;
  CheckThreads;
  IocpWsLoad;
  IocpWsCheckVersion;
  FillChar(Cb, SizeOf(Cb), 0);
  Cb.struct_size := SizeOf(Cb);
  Cb.on_connect := OnConnectCb;
  Cb.on_message := OnMessageCb;
  Cb.on_disconnect := OnDisconnectCb;
  Cb.on_error := OnErrorCb;
  Cb.on_http_request := OnHttpRequestCb;
  { only with a handler: the engine takes the connection's gate for each
    beat it calls on_heartbeat for (see Start) }
  FHeartBeatCb := Assigned(FOnBeforeHeartBeat);
  if FHeartBeatCb then
    Cb.on_heartbeat := OnHeartBeatCb;
  Cb.on_close := OnCloseCb;
  Cb.on_http_head := OnHttpHeadCb;
  Cb.on_http_body := OnHttpBodyCb;
  F := FpuMask;
  rc := iws_create(IWS_HEADER_ABI_VERSION, @Cb, Self, FHandle);
  FpuRestore(F);
  if rc <> IWS_OK then
  begin
    FHandle := nil;
    RaiseCode(rc, 'creating the server');
  end;
end;

{ The engine's server freed (stopped), once no queued event of it is left;
  its counters are kept for GetStats. }
procedure TIocpWebSocketServer.FreeHandle;
var
  F: TFpuSave;
  G: TGUID;
begin
  { queued events of this server must not outlive it }
  while (FPending > 0) and OnMainThread do
    CheckSynchronize(10);
  while FPending > 0 do
    Sleep(10);
  FStatsBase := GetStats;
  F := FpuMask;
  iws_destroy(FHandle);
  FpuRestore(F);
  FHandle := nil;
  { the next handle numbers its connections from 1 again: new Guids, and
    no id accepted by OnSSLVerifyPeer before }
  CreateGUID(G);
  Lock;
  try
    FGuidPrefix := Format('{%.8X-%.4X-%.4X-', [G.D1, G.D2, G.D3]);
    FillChar(FVerifiedIds, SizeOf(FVerifiedIds), 0);
    FVerifiedNext := 0;
  finally
    Unlock;
  end;
end;

procedure TIocpWebSocketServer.ApplyOptions;
var
  Addr: string;
  P, I, TLSPort: Integer;

  procedure SetI(Opt: Integer; V: Int64; const Name: string);
  var
    rc: Integer;
  begin
    rc := iws_set_int(FHandle, Opt, V);
    if rc <> IWS_OK then
      RaiseCode(rc, 'setting ' + Name);
  end;

  procedure SetS(Opt: Integer; const V, Name: string);
  var
    rc: Integer;
    U: RawByteString;
  begin
    U := IocpWsStringToUtf8(V);
    if V = '' then
      rc := iws_set_str(FHandle, Opt, nil)
    else
      rc := iws_set_str(FHandle, Opt, PAnsiChar(U));
    if rc <> IWS_OK then
      RaiseCode(rc, 'setting ' + Name);
  end;

  { Bindings -> one engine listener per entry (iws_add_listener), in
    order, so that Connection.ListenerIndex is the entry's index. }
  procedure AddListeners;
  var
    I, rc: Integer;
    B: TIocpWSBinding;
    Flags: UInt32;
    U: RawByteString;
    A: PAnsiChar;
  begin
    if FBindings.Count > IWS_LISTENERS_MAX then
      raise EIocpWs.CreateCode(IWS_E_OPTION_RANGE, Format('iocpws: %d ' +
        'Bindings; the engine listens on at most %d',
        [FBindings.Count, IWS_LISTENERS_MAX]));
    for I := 0 to FBindings.Count - 1 do
    begin
      B := FBindings[I];
      if (B.Port < 0) or (B.Port > 65535) then
        raise EIocpWs.CreateCode(IWS_E_INVALID_ARG, Format('iocpws: ' +
          'Bindings[%d] %s: the port is not in 0..65535', [I, B.Text]));
      Flags := 0;
      if FSSL and ((FSSLOptions.Port = 0) or (B.Port = FSSLOptions.Port)) then
        Flags := IWS_LISTEN_TLS;
      U := IocpWsStringToUtf8(B.IP);
      A := nil;
      if U <> '' then
        A := PAnsiChar(U);
      rc := iws_add_listener(FHandle, A, UInt32(B.Port), Flags);
      if rc <> IWS_OK then
        RaiseCode(rc, Format('Bindings[%d] %s', [I, B.Text]));
    end;
  end;

  procedure AddHosts;
  var
    rc, I: Integer;
    H, C, K, W: RawByteString;
    PW: PAnsiChar;
  begin
    rc := iws_tls_add_host(FHandle, nil, nil, nil, nil);
    if rc <> IWS_OK then
      RaiseCode(rc, 'AddSSLHost');
    for I := 0 to High(FSSLHosts) do
    begin
      H := IocpWsStringToUtf8(FSSLHosts[I].HostName);
      C := IocpWsStringToUtf8(FSSLHosts[I].CertFile);
      K := IocpWsStringToUtf8(FSSLHosts[I].KeyFile);
      W := IocpWsStringToUtf8(FSSLHosts[I].Password);
      PW := nil;
      if W <> '' then
        PW := PAnsiChar(W);
      rc := iws_tls_add_host(FHandle, PAnsiChar(H), PAnsiChar(C), PAnsiChar(K), PW);
      if rc <> IWS_OK then
        RaiseCode(rc, 'AddSSLHost ' + FSSLHosts[I].HostName);
    end;
  end;

begin
  Addr := FHost;
  P := FPort;
  TLSPort := -2; { not chosen by Bindings }
  I := iws_clear_listeners(FHandle);
  if I <> IWS_OK then
    RaiseCode(I, 'Bindings');
  if FBindings.Count > 0 then
  begin
    { The engine listens on the added listeners alone: the port options
      are not used. Host stays the address of an entry with IP ''. }
    AddListeners;
    if FBindings[0].IP <> '' then
      Addr := FBindings[0].IP;
    TLSPort := -1;
  end;
  if Addr = '' then
    Addr := '0.0.0.0';
  FBoundIP := Addr;
  SetS(IWS_OPT_BIND_ADDRESS, Addr, 'Host');
  if FSSL then
  begin
    { sgc's mapping (see iocpws.h): SSLOptions.Port 0 = TLS on Port only }
    if TLSPort <> -2 then
      SetI(IWS_OPT_TLS_PORT, TLSPort, 'Bindings')
    else if FSSLOptions.Port = 0 then
    begin
      SetI(IWS_OPT_TLS_PORT, P, 'Port');
      P := -1;
    end
    else
      SetI(IWS_OPT_TLS_PORT, FSSLOptions.Port, 'SSLOptions.Port');
    case FSSLOptions.Version of
      tls1_0, tls1_1:
        raise EIocpWs.CreateCode(IWS_E_OPTION_RANGE, 'iocpws: ' +
          'SSLOptions.Version: TLS 1.0 and 1.1 are not offered (use ' +
          'tls1_2, tls1_3 or tlsUndefined)');
      tls1_3: SetI(IWS_OPT_TLS_MIN_VERSION, IWS_TLS_1_3, 'SSLOptions.Version');
    else
      SetI(IWS_OPT_TLS_MIN_VERSION, IWS_TLS_1_2, 'SSLOptions.Version');
    end;
    SetS(IWS_OPT_TLS_CERT_FILE, FSSLOptions.CertFile, 'SSLOptions.CertFile');
    SetS(IWS_OPT_TLS_KEY_FILE, FSSLOptions.KeyFile, 'SSLOptions.KeyFile');
    SetS(IWS_OPT_TLS_CA_FILE, FSSLOptions.RootCertFile, 'SSLOptions.RootCertFile');
    SetS(IWS_OPT_TLS_PASSWORD, FSSLOptions.Password, 'SSLOptions.Password');
    { Client certificates (sgc's VerifyCertificate, VerifyDepth,
      VerifyCertificate_Options.FailIfNoCertificate), against RootCertFile. }
    if FSSLOptions.VerifyCertificate_Options.FailIfNoCertificate then
      SetI(IWS_OPT_TLS_VERIFY_CLIENT, IWS_TLS_VERIFY_REQUIRE, 'SSLOptions.VerifyCertificate')
    else if FSSLOptions.VerifyCertificate then
      SetI(IWS_OPT_TLS_VERIFY_CLIENT, IWS_TLS_VERIFY_REQUEST, 'SSLOptions.VerifyCertificate')
    else
      SetI(IWS_OPT_TLS_VERIFY_CLIENT, IWS_TLS_VERIFY_NONE, 'SSLOptions.VerifyCertificate');
    if FSSLOptions.VerifyDepth > 0 then
      SetI(IWS_OPT_TLS_VERIFY_DEPTH, FSSLOptions.VerifyDepth, 'SSLOptions.VerifyDepth')
    else
      SetI(IWS_OPT_TLS_VERIFY_DEPTH, 9, 'SSLOptions.VerifyDepth');
    if FSSLOptions.VerifyCertificate or
      FSSLOptions.VerifyCertificate_Options.FailIfNoCertificate then
      SetS(IWS_OPT_TLS_CLIENT_CA_FILE, FSSLOptions.RootCertFile, 'SSLOptions.RootCertFile')
    else
      SetS(IWS_OPT_TLS_CLIENT_CA_FILE, '', 'SSLOptions.RootCertFile');
    AddHosts;
  end
  else
    SetI(IWS_OPT_TLS_PORT, -1, 'SSL');
  SetI(IWS_OPT_PORT, P, 'Port');
  if FIOHandlerOptions.IOHandlerType = iohEPOLL then
  begin
    SetI(IWS_OPT_IO_THREADS, FIOHandlerOptions.EPOLL.EPOLLThreads, 'EPOLL.EPOLLThreads');
    SetI(IWS_OPT_WORKER_THREADS, FIOHandlerOptions.EPOLL.WorkOpThreads, 'EPOLL.WorkOpThreads');
    SetI(IWS_OPT_ACCEPTS_POSTED, 0, 'IOCP.AcceptExMultiplier');
  end
  else
  begin
    SetI(IWS_OPT_IO_THREADS, FIOHandlerOptions.IOCP.IOCPThreads, 'IOCPThreads');
    SetI(IWS_OPT_WORKER_THREADS, FIOHandlerOptions.IOCP.WorkOpThreads, 'WorkOpThreads');
    I := FIOHandlerOptions.IOCP.IOCPThreads;
    if I = 0 then
      I := TThread.ProcessorCount;
    if FIOHandlerOptions.IOCP.AcceptExMultiplier < 0 then
      raise EIocpWs.CreateCode(IWS_E_OPTION_RANGE,
        'iocpws: IOHandlerOptions.IOCP.AcceptExMultiplier is negative');
    SetI(IWS_OPT_ACCEPTS_POSTED, Int64(FIOHandlerOptions.IOCP.AcceptExMultiplier) * I,
      'IOHandlerOptions.IOCP.AcceptExMultiplier');
  end;
  SetI(IWS_OPT_MAX_CONNECTIONS, FMaxConnections, 'MaxConnections');
  if FMaxMessageSize = 0 then
    SetI(IWS_OPT_MAX_MESSAGE_SIZE, IOCPWS_MAX_MESSAGE, 'MaxMessageSize')
  else
    SetI(IWS_OPT_MAX_MESSAGE_SIZE, FMaxMessageSize, 'MaxMessageSize');
  with FExtensions.PerMessage_Deflate do
  begin
    SetI(IWS_OPT_DEFLATE, Ord(Enabled), 'Extensions.PerMessage_Deflate.Enabled');
    SetI(IWS_OPT_DEFLATE_SERVER_MAX_WINDOW_BITS, ServerMaxWindowBits,
      'Extensions.PerMessage_Deflate.ServerMaxWindowBits');
    SetI(IWS_OPT_DEFLATE_CLIENT_MAX_WINDOW_BITS, ClientMaxWindowBits,
      'Extensions.PerMessage_Deflate.ClientMaxWindowBits');
    SetI(IWS_OPT_DEFLATE_SERVER_NO_CONTEXT_TAKEOVER, Ord(ServerNoContextTakeOver),
      'Extensions.PerMessage_Deflate.ServerNoContextTakeOver');
    SetI(IWS_OPT_DEFLATE_CLIENT_NO_CONTEXT_TAKEOVER, Ord(ClientNoContextTakeOver),
      'Extensions.PerMessage_Deflate.ClientNoContextTakeOver');
    SetI(IWS_OPT_DEFLATE_MEM_LEVEL, MemLevel, 'Extensions.PerMessage_Deflate.MemLevel');
    SetI(IWS_OPT_DEFLATE_LEVEL, CompressionLevel,
      'Extensions.PerMessage_Deflate.CompressionLevel');
    SetI(IWS_OPT_DEFLATE_THRESHOLD, MinSize, 'Extensions.PerMessage_Deflate.MinSize');
  end;
  SetI(IWS_OPT_DEFLATE_MAX_INFLATED_SIZE, FExtensions.MaxDecompressedSize,
    'Extensions.MaxDecompressedSize');
  SetI(IWS_OPT_TCP_NODELAY, Ord(not FUseNagle), 'UseNagle');
  SetI(IWS_OPT_TCP_KEEPALIVE, Ord(FTCPKeepAlive.Enabled), 'TCPKeepAlive.Enabled');
  if FTCPKeepAlive.Enabled then
  begin
    SetI(IWS_OPT_TCP_KEEPALIVE_TIME_MS, FTCPKeepAlive.Time, 'TCPKeepAlive.Time');
    SetI(IWS_OPT_TCP_KEEPALIVE_INTERVAL_MS, FTCPKeepAlive.Interval,
      'TCPKeepAlive.Interval');
  end;
  if FHeartBeat.Enabled then
  begin
    SetI(IWS_OPT_HEARTBEAT_INTERVAL_MS, Int64(FHeartBeat.Interval) * 1000, 'HeartBeat.Interval');
    SetI(IWS_OPT_HEARTBEAT_TIMEOUT_MS, Int64(FHeartBeat.Timeout) * 1000, 'HeartBeat.Timeout');
    SetI(IWS_OPT_HEARTBEAT_IF_IDLE,
      Ord(FHeartBeat.HeartBeatType = hbtOnlyIfNoMsgRcvInterval),
      'HeartBeat.HeartBeatType');
  end
  else
  begin
    SetI(IWS_OPT_HEARTBEAT_INTERVAL_MS, 0, 'HeartBeat.Interval');
    SetI(IWS_OPT_HEARTBEAT_TIMEOUT_MS, 0, 'HeartBeat.Timeout');
  end;
  if (FIOHandlerOptions.IOHandlerType = iohEPOLL) and
    (FIOHandlerOptions.EPOLL.HandshakeTimeoutMS <> 0) then
    SetI(IWS_OPT_HANDSHAKE_TIMEOUT_MS, FIOHandlerOptions.EPOLL.HandshakeTimeoutMS,
      'IOHandlerOptions.EPOLL.HandshakeTimeoutMS')
  else
    SetI(IWS_OPT_HANDSHAKE_TIMEOUT_MS, FOptions.HandshakeTimeout, 'Options.HandshakeTimeout');
  SetI(IWS_OPT_CLOSE_TIMEOUT_MS, FOptions.CloseTimeout, 'Options.CloseTimeout');
  SetI(IWS_OPT_STOP_TIMEOUT_MS, FOptions.StopTimeout, 'Options.StopTimeout');
  SetI(IWS_OPT_SEND_QUEUE_LIMIT, FOptions.SendQueueLimit, 'Options.SendQueueLimit');
  SetS(IWS_OPT_SUBPROTOCOLS, FOptions.Subprotocols, 'Options.Subprotocols');
  SetS(IWS_OPT_REDIS_URL, FRedisURL, 'RedisURL');
  SetS(IWS_OPT_REDIS_PREFIX, FRedisPrefix, 'RedisPrefix');
  SetS(IWS_OPT_HTTP_DOCUMENT_ROOT, FDocumentRoot, 'DocumentRoot');
  { '' is a value here (no index file), not the default }
  if FIndexFile = '' then
  begin
    I := iws_set_str(FHandle, IWS_OPT_HTTP_INDEX_FILE, '');
    if I <> IWS_OK then
      RaiseCode(I, 'setting IndexFile');
  end
  else
    SetS(IWS_OPT_HTTP_INDEX_FILE, FIndexFile, 'IndexFile');
  SetI(IWS_OPT_HTTP_MAX_BODY_SIZE, FHTTPOptions.MaxBodySize, 'HTTPOptions.MaxBodySize');
  SetI(IWS_OPT_HTTP_MAX_URI_LENGTH, FHTTPOptions.MaxURILength, 'HTTPOptions.MaxURILength');
  SetI(IWS_OPT_HTTP_REQUEST_TIMEOUT_MS, FHTTPOptions.RequestTimeout, 'HTTPOptions.RequestTimeout');
  if FKeepAlive then
    SetI(IWS_OPT_HTTP_KEEPALIVE_TIMEOUT_MS, FHTTPOptions.KeepAliveTimeout, 'HTTPOptions.KeepAliveTimeout')
  else
    SetI(IWS_OPT_HTTP_KEEPALIVE_TIMEOUT_MS, 0, 'KeepAlive');
  SetI(IWS_OPT_HTTP_RESPONSE_TIMEOUT_MS, FHTTPOptions.ResponseTimeout, 'HTTPOptions.ResponseTimeout');
  SetI(IWS_OPT_HTTP_MAX_PIPELINED, FHTTPOptions.MaxPipelined, 'HTTPOptions.MaxPipelined');
end;

procedure TIocpWebSocketServer.Start;
var
  rc, I: Integer;
  F: TFpuSave;
  L: TStringList;
begin
  if FActive then
    Exit;
  if (FStopThread <> nil) and (FRunning > 0) and not FStopThread.Finished then
    { the stop asked for inside a handler may be waiting for this very
      handler to return (neSynchronous): waiting here would never end }
    raise EIocpWs.CreateCode(IWS_E_BAD_STATE, 'iocpws: Start: the server ' +
      'is still stopping (Stop was called inside an event handler); start ' +
      'it again from OnShutdown or after the handler has returned');
  WaitStopThread;
  CheckSettings;
  BeforeStart;
  if (FHandle <> nil) and Assigned(FOnBeforeHeartBeat) and not FHeartBeatCb then
    { OnBeforeHeartBeat assigned since the engine's server was made without
      on_heartbeat, which it fixes at iws_create: a new one (every option
      is applied below; GetStats goes on counting) }
    FreeHandle;
  EnsureHandle;
  F := FpuMask;
  try
    ApplyOptions;
    {$ifdef CPUINTEL}
    FHostCW := F.CW;
    FHostMXCSR := F.MX;
    {$endif}
    rc := iws_start(FHandle);
  finally
    FpuRestore(F);
  end;
  if rc <> IWS_OK then
    RaiseCode(rc, 'Start');
  FActive := True;
  { what the engine has no equivalent for: each setting through OnError }
  L := TStringList.Create;
  try
    ListNoEquivalent(L);
    for I := 0 to L.Count - 1 do
      ReportError(nil, 'iocpws: not supported, ignored: ' + L[I]);
  finally
    L.Free;
  end;
  if Assigned(FOnStartup) then
    try
      FOnStartup(Self);
    except
      on E: Exception do
        ReportException(nil, E);
    end;
end;

procedure TIocpWebSocketServer.WaitStopThread;
begin
  { CheckSynchronize may run StopDone, which frees the thread }
  while (FStopThread <> nil) and not FStopThread.Finished do
    if OnMainThread then
      CheckSynchronize(10)
    else
      Sleep(10);
  if FStopThread = nil then
    Exit;
  TThread.RemoveQueuedEvents(nil, StopDone);
  FreeAndNil(FStopThread);
  FinishStop;
end;

procedure TIocpWebSocketServer.StopDone;
begin
  { the background stop (requested inside a handler) has finished }
  if FStopThread <> nil then
  begin
    FStopThread.WaitFor;
    FreeAndNil(FStopThread);
    FinishStop;
  end;
end;

procedure TIocpWebSocketServer.FinishStop;
begin
  if Assigned(FOnShutdown) then
    try
      FOnShutdown(Self);
    except
      on E: Exception do
        ReportException(nil, E);
    end;
end;

procedure TIocpWebSocketServer.Stop;
var
  T: TIocpWsStopThread;
  F: TFpuSave;
  rc: Integer;
  OnMain: Boolean;
begin
  if not FActive or (FHandle = nil) then
    Exit;
  OnMain := OnMainThread;
  if OnMain and (FNotifyEvents <> neNoSync) then
  begin
    T := TIocpWsStopThread.Create(True);
    T.Server := Self;
    T.Handle := FHandle;
    if FRunning > 0 then
    begin
      { inside one of our own handlers: a library thread may be waiting for
        this very handler to return, so finish the stop in the background }
      T.NotifyDone := True;
      FStopThread := T;
      FActive := False;
      T.Start;
      Exit;
    end;
    T.Start;
    while not T.Finished do
      CheckSynchronize(10);
    rc := T.Rc;
    T.Free;
    { deliver what is still queued (the OnDisconnects) before returning }
    while FPending > 0 do
      CheckSynchronize(10);
  end
  else
  begin
    F := FpuMask;
    rc := iws_stop(FHandle);
    FpuRestore(F);
  end;
  if rc <> IWS_OK then
    RaiseCode(rc, 'Stop');
  FActive := False;
  FinishStop;
end;

procedure TIocpWebSocketServer.ReStart;
begin
  Stop;
  Start;
end;

procedure TIocpWebSocketServer.DoBroadcast(Opcode: UInt32; Data: Pointer;
  Len: UInt64; const aProtocol, Exclude, Include: string);
var
  Ex: TIocpWsIdArray;
  Ctx: TFilterContext;
  F: TFpuSave;
  rc, I, J: Integer;
  Sent: UInt32;
begin
  CheckActive('Broadcast');
  Sent := 0;
  if (Include = '') and (aProtocol = '') then
  begin
    Ex := ParseGuids(Exclude);
    F := FpuMask;
    if Length(Ex) > 0 then
      rc := iws_broadcast(FHandle, Opcode, Data, Len, @Ex[0], Length(Ex), @Sent)
    else
      rc := iws_broadcast(FHandle, Opcode, Data, Len, nil, 0, @Sent);
    FpuRestore(F);
  end
  else
  begin
    { Include and/or protocol: a filter; Exclude ids are removed from it }
    Ex := ParseGuids(Exclude);
    Ctx.UseInclude := Include <> '';
    Ctx.Include := ParseGuids(Include);
    Ctx.Protocol := aProtocol;
    if Length(Ex) > 0 then
    begin
      if not Ctx.UseInclude then
      begin
        { everyone but Ex: list the open connections }
        Ctx.UseInclude := True;
        Lock;
        try
          SetLength(Ctx.Include, FList.Count);
          for I := 0 to FList.Count - 1 do
            Ctx.Include[I] := TIocpWSConnection(FList[I]).FId;
        finally
          Unlock;
        end;
      end;
      for I := 0 to High(Ctx.Include) do
        for J := 0 to High(Ex) do
          if Ctx.Include[I] = Ex[J] then
            Ctx.Include[I] := 0; { 0 is never a connection id }
    end;
    SortIds(Ctx.Include);
    F := FpuMask;
    rc := iws_broadcast_filter(FHandle, Opcode, Data, Len, FilterCb, @Ctx, @Sent);
    FpuRestore(F);
  end;
  if rc <> IWS_OK then
    RaiseCode(rc, 'Broadcast');
end;

procedure TIocpWebSocketServer.DoPublish(const aChannel: string;
  Opcode: UInt32; Data: Pointer; Len: UInt64; const aProtocol, Exclude,
  Include: string);
var
  Ex: TIocpWsIdArray;
  C: RawByteString;
  F: TFpuSave;
  rc: Integer;
  Sent: UInt32;
begin
  CheckActive('Broadcast');
  if (aProtocol <> '') or (Include <> '') then
    raise EIocpWs.CreateCode(IWS_E_INVALID_ARG, 'iocpws: Broadcast: a ' +
      'channel cannot be combined with aProtocol or Include');
  Ex := ParseGuids(Exclude);
  C := IocpWsStringToUtf8(aChannel);
  Sent := 0;
  F := FpuMask;
  if Length(Ex) > 0 then
    rc := iws_publish(FHandle, PAnsiChar(C), Opcode, Data, Len, @Ex[0],
      Length(Ex), @Sent)
  else
    rc := iws_publish(FHandle, PAnsiChar(C), Opcode, Data, Len, nil, 0, @Sent);
  FpuRestore(F);
  if rc <> IWS_OK then
    RaiseCode(rc, 'Broadcast to channel ' + aChannel);
end;

procedure TIocpWebSocketServer.Broadcast(const aMessage: string;
  const aChannel: string; const aProtocol: string; const Exclude: string;
  const Include: string);
var
  U: RawByteString;
begin
  U := IocpWsStringToUtf8(aMessage);
  if aChannel <> '' then
    DoPublish(aChannel, IWS_OP_TEXT, PAnsiChar(U), Length(U), aProtocol,
      Exclude, Include)
  else
    DoBroadcast(IWS_OP_TEXT, PAnsiChar(U), Length(U), aProtocol, Exclude, Include);
end;

procedure TIocpWebSocketServer.Broadcast(aStream: TStream;
  const aChannel: string; const aProtocol: string; const Exclude: string;
  const Include: string);
var
  B: TBytes;
begin
  if aStream = nil then
    raise EIocpWs.CreateCode(IWS_E_INVALID_ARG, 'iocpws: Broadcast: the stream is nil');
  SetLength(B, aStream.Size - aStream.Position);
  if Length(B) > 0 then
    aStream.ReadBuffer(B[0], Length(B));
  if aChannel <> '' then
    DoPublish(aChannel, IWS_OP_BINARY, Pointer(B), Length(B), aProtocol,
      Exclude, Include)
  else
    DoBroadcast(IWS_OP_BINARY, Pointer(B), Length(B), aProtocol, Exclude, Include);
end;

function TIocpWebSocketServer.WriteData(const aGuid, aMessage: string): Boolean;
var
  Ids: TIocpWsIdArray;
  U: RawByteString;
  F: TFpuSave;
  rc: Integer;
begin
  CheckActive('WriteData');
  Ids := ParseGuids(aGuid);
  if Length(Ids) <> 1 then
    Exit(False);
  U := IocpWsStringToUtf8(aMessage);
  F := FpuMask;
  rc := iws_send_text(FHandle, Ids[0], PAnsiChar(U), Length(U));
  FpuRestore(F);
  case rc of
    IWS_OK: Result := True;
    IWS_E_NO_CONNECTION, IWS_E_CLOSING, IWS_E_QUEUE_FULL: Result := False;
  else
    RaiseCode(rc, 'WriteData');
    Result := False;
  end;
end;

procedure TIocpWebSocketServer.Ping(const aText: string);
var
  U: RawByteString;
begin
  U := IocpWsStringToUtf8(aText);
  DoBroadcast(IWS_OP_PING, PAnsiChar(U), Length(U), '', '', '');
end;

procedure TIocpWebSocketServer.DisconnectAll;
var
  Ids: TIocpWsIdArray;
  I: Integer;
  F: TFpuSave;
begin
  CheckActive('DisconnectAll');
  Lock;
  try
    SetLength(Ids, FList.Count);
    for I := 0 to FList.Count - 1 do
      Ids[I] := TIocpWSConnection(FList[I]).FId;
  finally
    Unlock;
  end;
  F := FpuMask;
  for I := 0 to High(Ids) do
    iws_disconnect(FHandle, Ids[I]);
  FpuRestore(F);
end;

procedure TIocpWebSocketServer.AddSSLHost(const aHostName, aCertFile,
  aKeyFile: string; const aPassword: string);
var
  I: Integer;
begin
  CheckInactive('AddSSLHost');
  if (aHostName = '') or (aCertFile = '') or (aKeyFile = '') then
    raise EIocpWs.CreateCode(IWS_E_INVALID_ARG,
      'iocpws: AddSSLHost needs a host name, a certificate and a key');
  I := 0;
  while (I < Length(FSSLHosts)) and not SameText(FSSLHosts[I].HostName, aHostName) do
    Inc(I);
  if I = Length(FSSLHosts) then
    SetLength(FSSLHosts, I + 1);
  FSSLHosts[I].HostName := aHostName;
  FSSLHosts[I].CertFile := aCertFile;
  FSSLHosts[I].KeyFile := aKeyFile;
  FSSLHosts[I].Password := aPassword;
end;

procedure TIocpWebSocketServer.ClearSSLHosts;
begin
  CheckInactive('ClearSSLHosts');
  FSSLHosts := nil;
end;

function TIocpWebSocketServer.GetStats: iws_stats;
var
  rc: Integer;
begin
  FillChar(Result, SizeOf(Result), 0);
  Result.struct_size := SizeOf(Result);
  if FHandle <> nil then
  begin
    rc := iws_get_stats(FHandle, @Result);
    if rc <> IWS_OK then
      RaiseCode(rc, 'GetStats');
  end;
  { what the handles freed before counted (FreeHandle): counters only grow }
  Inc(Result.connections_total, FStatsBase.connections_total);
  Inc(Result.handshakes_refused, FStatsBase.handshakes_refused);
  Inc(Result.messages_in, FStatsBase.messages_in);
  Inc(Result.messages_out, FStatsBase.messages_out);
  Inc(Result.bytes_in, FStatsBase.bytes_in);
  Inc(Result.bytes_out, FStatsBase.bytes_out);
  Inc(Result.publishes, FStatsBase.publishes);
  Inc(Result.redis_out, FStatsBase.redis_out);
  Inc(Result.redis_in, FStatsBase.redis_in);
  Inc(Result.http_requests, FStatsBase.http_requests);
  Inc(Result.http_refused, FStatsBase.http_refused);
end;

procedure TIocpWebSocketServer.ReportException(Conn: TIocpWSConnection; E: Exception);
var
  Prev: Exception;
begin
  Prev := nil;
  if Conn <> nil then
  begin
    { sgc's MsgException / RawException (RawException only during the call:
      E is freed after) }
    Conn.FMsgException := E.Message;
    Prev := Conn.FRawException;
    Conn.FRawException := E;
  end;
  try
    try
      if Assigned(FOnException) then
        FOnException(Conn, E)
      else if Assigned(FOnError) then
        FOnError(Conn, E.ClassName + ': ' + E.Message);
    except
      { an exception in the exception handler goes nowhere }
    end;
  finally
    if Conn <> nil then
      Conn.FRawException := Prev;
  end;
end;

const
  HTTP_500_BODY: AnsiString = '<HTML><BODY><B>500 Internal Server Error</B></BODY></HTML>';

procedure TIocpWebSocketServer.DispatchHTTP(AContext: TIocpHTTPContext;
  ARequest: TIocpHTTPRequestInfo; AResponse: TIocpHTTPResponseInfo;
  H: piws_http_response);
var
  F: TFpuSave;
  Handler: TIocpHTTPCommandEvent;
begin
  try
    if (ARequest.Command = 'GET') or (ARequest.Command = 'HEAD') or
      (ARequest.Command = 'POST') then
      Handler := FOnCommandGet
    else
      Handler := FOnCommandOther;
    try
      if HTTPBefore(AContext, ARequest, AResponse) then
        if Assigned(Handler) then
          Handler(AContext, ARequest, AResponse)
        else
          AResponse.ResponseNo := 404;
    finally
      HTTPAfter(ARequest);
    end;
    F := FpuMask;
    try
      { a streamed answer (WriteHeader) is out already: it only ends }
      if not AResponse.FinishStream then
        AResponse.Apply(H);
    finally
      FpuRestore(F);
    end;
  except
    on E: Exception do
    begin
      F := FpuMask;
      if AResponse.HeaderHasBeenWritten then
      begin
        { too late for a 500: the connection is dropped, so that the client
          sees a cut answer rather than a complete-looking one }
        iws_disconnect(FHandle, AContext.ConnectionId);
        AResponse.FinishStream;
      end
      else
      begin
        iws_http_set_status(H, 500, nil);
        iws_http_set_body(H, PAnsiChar(HTTP_500_BODY), Length(HTTP_500_BODY));
      end;
      FpuRestore(F);
      ReportException(nil, E);
    end;
  end;
end;

procedure TIocpWebSocketServer.BeforeStart;
begin
end;

function TIocpWebSocketServer.HTTPBefore(AContext: TIocpHTTPContext;
  ARequest: TIocpHTTPRequestInfo; AResponse: TIocpHTTPResponseInfo): Boolean;
begin
  Result := True;
end;

procedure TIocpWebSocketServer.HTTPAfter(ARequest: TIocpHTTPRequestInfo);
begin
end;

function TIocpWebSocketServer.HTTPGated: Boolean;
begin
  Result := False;
end;

procedure TIocpWebSocketServer.DispatchEvent(Kind: Integer; Conn: TIocpWSConnection;
  const Text: string; Data: TMemoryStream; Code: Integer);
begin
  try
    case Kind of
      EV_CONNECT:
        if Assigned(FOnConnect) then FOnConnect(Conn);
      EV_MESSAGE:
        begin
          if Conn <> nil then
            Conn.FMsgReceived := Text;
          if Assigned(FOnMessage) then FOnMessage(Conn, Text);
        end;
      EV_BINARY:
        if Assigned(FOnBinary) then
        begin
          if Conn <> nil then
            Conn.FMsgBinary := Data;
          try
            FOnBinary(Conn, Data);
          finally
            if Conn <> nil then
              Conn.FMsgBinary := nil;
          end;
        end;
      EV_DISCONNECT:
        if Assigned(FOnDisconnect) then FOnDisconnect(Conn, Code);
      EV_ERROR:
        begin
          if Conn <> nil then
            Conn.FMsgError := Text;
          if Assigned(FOnError) then FOnError(Conn, Text);
        end;
      EV_FRAGMENT:
        if Assigned(FOnFragmented) then
          FOnFragmented(Conn, Data, TIocpWSOpCode(Code), False);
    end;
  except
    on E: Exception do
      ReportException(Conn, E);
  end;
end;

{ ---- TIocpWebSocketHTTPServer: sessions ------------------------------------ }

constructor TIocpWebSocketHTTPServer.Create(AOwner: TComponent);
begin
  inherited Create(AOwner);
  FSessionIDCookieName := GSessionIDCookie;
end;

destructor TIocpWebSocketHTTPServer.Destroy;
begin
  inherited Destroy; { stops the server first }
  if FImplicitSessionList then
    FreeAndNil(FSessionList);
end;

procedure TIocpWebSocketHTTPServer.Notification(AComponent: TComponent;
  Operation: TOperation);
begin
  inherited Notification(AComponent, Operation);
  if (Operation = opRemove) and (AComponent = FSessionList) then
  begin
    FSessionList := nil;
    FImplicitSessionList := False;
  end;
end;

procedure TIocpWebSocketHTTPServer.SetSessionList(const AValue: TIdHTTPCustomSessionList);
begin
  if FSessionList = AValue then
    Exit;
  CheckInactive('changing SessionList');
  IocpWsSetSessionList(Self, FSessionList, FImplicitSessionList, AValue);
end;

procedure TIocpWebSocketHTTPServer.SetSessionState(const Value: Boolean);
begin
  if Value <> FSessionState then
    CheckInactive('changing SessionState');
  FSessionState := Value;
end;

function TIocpWebSocketHTTPServer.IsSessionIDCookieNameStored: Boolean;
begin
  Result := FSessionIDCookieName <> GSessionIDCookie;
end;

procedure TIocpWebSocketHTTPServer.DoSessionEnd(Sender: TIdHTTPSession);
begin
  if Assigned(FOnSessionEnd) then
    FOnSessionEnd(Sender);
end;

procedure TIocpWebSocketHTTPServer.DoSessionStart(Sender: TIdHTTPSession);
begin
  if Assigned(FOnSessionStart) then
    FOnSessionStart(Sender);
end;

procedure TIocpWebSocketHTTPServer.BeforeStart;
begin
  inherited BeforeStart;
  if Trim(FSessionIDCookieName) = '' then
    FSessionIDCookieName := GSessionIDCookie;
  if FSessionState then
  begin
    if FSessionList = nil then
    begin
      { owned by this server's destructor, not as a component (it must
        outlive the engine's stop: handlers may still hold sessions) }
      FSessionList := TIdHTTPDefaultSessionList.Create(nil);
      FImplicitSessionList := True;
    end;
    FSessionList.SessionTimeout := FSessionTimeOut;
    FSessionList.OnSessionEnd := DoSessionEnd;
    FSessionList.OnSessionStart := DoSessionStart;
    FLastPurge := Now;
  end;
end;

{ Indy's Shutdown: the sessions end with the server (SessionList.Clear:
  OnSessionEnd for each), at Stop / Active := False, not only at free; a
  session a late handler still holds ends as that handler is done }
procedure TIocpWebSocketHTTPServer.FinishStop;
begin
  if FSessionList <> nil then
    try
      FSessionList.Clear;
    except
      on E: Exception do
        ReportException(nil, E);
    end;
  inherited FinishStop;
end;

{ a request counts a use of its session in the default list (released in
  HTTPAfter), so that a session ended meanwhile is freed only after it }
procedure TIocpWebSocketHTTPServer.Hold(ARequest: TIocpHTTPRequestInfo;
  S: TIdHTTPSession);
var
  H: TIdHTTPSession;
begin
  H := ARequest.HeldSession;
  if IocpWsHoldSession(FSessionList, H, S) then
    ARequest.SetSession(S, H)
  else
    ARequest.SetSession(S, nil);
end;

procedure TIocpWebSocketHTTPServer.InvalidSession(AContext, ARequest,
  AResponse: TObject; var VContinueProcessing: Boolean;
  const AInvalidSessionID: string);
begin
  if Assigned(FOnInvalidSession) then
    FOnInvalidSession(TIocpHTTPContext(AContext), TIocpHTTPRequestInfo(ARequest),
      TIocpHTTPResponseInfo(AResponse), VContinueProcessing, AInvalidSessionID);
end;

function TIocpWebSocketHTTPServer.CreateSession(AContext: TIocpHTTPContext;
  HTTPResponse: TIocpHTTPResponseInfo; HTTPRequest: TIocpHTTPRequestInfo): TIdHTTPSession;
begin
  Result := nil;
  if not FSessionState or (FSessionList = nil) then
    Exit;
  if Assigned(FOnCreateSession) then
    FOnCreateSession(AContext, Result);
  Result := IocpWsAddSession(FSessionList, Result, HTTPRequest.RemoteIP);
  HTTPResponse.CustomHeaders.AddValue('Set-Cookie',
    FSessionIDCookieName + '=' + Result.SessionID + '; Path=/');
  HTTPResponse.Session := Result;
  Hold(HTTPRequest, Result);
end;

function TIocpWebSocketHTTPServer.EndSession(const SessionName: string;
  const RemoteIP: string): Boolean;
begin
  Result := IocpWsEndSession(FSessionList, SessionName, RemoteIP);
end;

function TIocpWebSocketHTTPServer.HTTPBefore(AContext: TIocpHTTPContext;
  ARequest: TIocpHTTPRequestInfo; AResponse: TIocpHTTPResponseInfo): Boolean;
var
  Ids: TStringList;
  S: TIdHTTPSession;
begin
  Result := True;
  if not FSessionState or (FSessionList = nil) then
    Exit;
  AResponse.AttachSessions(FSessionList, FSessionIDCookieName);
  { stale sessions end at most once a second, on one request's thread }
  if ((Now - FLastPurge) * SecsPerDay >= 1) and
    ({$ifdef FPC} InterlockedCompareExchange(FPurgeLock, 1, 0) {$else}
     AtomicCmpExchange(FPurgeLock, 1, 0) {$endif} = 0) then
    try
      FLastPurge := Now;
      FSessionList.PurgeStaleSessions(False);
    finally
      {$ifdef FPC} InterlockedExchange(FPurgeLock, 0); {$else} AtomicExchange(FPurgeLock, 0); {$endif}
    end;
  Ids := TStringList.Create;
  try
    ARequest.CookieValues(FSessionIDCookieName, Ids);
    S := IocpWsFindSession(FSessionList, Ids, ARequest.RemoteIP,
      InvalidSession, AContext, ARequest, AResponse, Result);
  finally
    Ids.Free;
  end;
  if S <> nil then
  begin
    Hold(ARequest, S);
    AResponse.Session := S;
  end
  else if Result and FAutoStartSession then
    CreateSession(AContext, AResponse, ARequest);
end;

procedure TIocpWebSocketHTTPServer.HTTPAfter(ARequest: TIocpHTTPRequestInfo);
var
  H: TIdHTTPSession;
begin
  H := ARequest.HeldSession;
  IocpWsReleaseHeld(FSessionList, H);
  ARequest.SetSession(nil, nil);
end;

initialization
  { callbacks arrive on threads the RTL did not create. Without a thread
    manager (FPC on Unix without cthreads) IsMultiThread would turn every
    critical section into "Runtime error 232": leave it to CheckThreads,
    which raises EIocpWs instead. }
  if HaveThreads then
    IsMultiThread := True;
  RegisterClass(TIocpWebSocketServer);
  RegisterClass(TIocpWebSocketHTTPServer);

end.
