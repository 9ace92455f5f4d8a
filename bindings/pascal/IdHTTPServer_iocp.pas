{ IdHTTPServer_iocp - Indy's TIdHTTPServer on the iocpws engine.

  An Indy HTTP server program moves to iocpws by its uses clause alone:

    uses IdBaseComponent, IdComponent, IdCustomTCPServer, IdCustomHTTPServer,
      IdHTTPServer, IdContext;                    ->   uses IdHTTPServer_iocp;

  This one unit declares, under Indy's names, types, defaults and meaning,
  what such a program touches: TIdHTTPServer (TIdCustomHTTPServer),
  TIdContext (Connection.Socket.Binding, Data), TIdHTTPRequestInfo,
  TIdHTTPResponseInfo, TIdHTTPSession and the session lists, TIdCookie(s),
  TIdHeaderList, TIdSocketHandle(s), TIdEntityRange(s), the THTTPCommandType
  values (hcGET...) and the event types. Sources followed: Indy 10.6.3
  (IdCustomHTTPServer.pas, IdHTTPHeaderInfo.pas, IdContext.pas,
  IdCustomTCPServer.pas, IdSocketHandle.pas, IdCookie.pas).

  Threads, as Indy: OnCommandGet, OnCommandOther and every other request
  event run on a thread of this component's pool, never on the main thread
  and never on the engine's I/O threads: a handler may block (database,
  disk, Sleep) and only its own request waits; the engine keeps serving the
  other connections meanwhile and the response leaves when the handler
  returns (iws_http_defer + iws_http_send). ThreadPoolSize threads
  (0 = 4 per CPU, at least 8; the completion-port advice for blocking work
  is 2-4 per core): more handlers blocked at once than that wait in a queue
  whose length is bounded by the number of connections (one connection's
  requests run one after the other, in order). Handlers of different
  connections run in parallel: make shared state thread-safe, as with Indy.
  The WebSocket events (below) run on the engine's callback threads, one
  connection's in order.

  Active := False answers new requests 503, waits up to TerminateWaitTime ms
  for the handlers in flight (their responses are still sent), stops the
  engine, then fires OnDisconnect for every connection; a handler still
  running after TerminateWaitTime makes it raise EIdTerminateThreadTimeout
  (as Indy) - the server is stopped all the same and that handler's late
  response is dropped. From the main thread it keeps running
  TThread.Synchronize/Queue calls while it waits, so handlers that
  Synchronize do not deadlock it (Indy's trap).

  What differs from Indy, and why, is listed in bindings/pascal/README.md
  ("Indy drop-in"): the engine reads the whole request body before the
  handler runs (into OnCreatePostStream's stream as it arrives when that
  gives one: OnHeadersAvailable, OnHeaderExpectations and
  OnCreatePostStream of a request with a body run at its head, on the
  engine's callback thread), sends a response when the handler returns unless
  WriteHeader streamed it (then writes go out chunked as they are made)
  and does TLS itself: an Indy HTTPS server's TIdServerIOHandlerSSLOpenSSL
  comes from IdSSLOpenSSL_iocp (in place of IdSSLOpenSSL), whose
  SSLOptions Active maps onto the engine's TLS options (what it cannot
  honour raises EIdIocpUnsupported, never a plain server).
  OnContextCreated and OnConnect run at accept (the engine's on_open), on a
  pool thread, before the connection's first request is handled;
  OnDisconnect when the connection ends (on_close), on a pool thread or at
  the end of the last handler that still holds the context. }
unit IdHTTPServer_iocp;

{$ifdef FPC}{$ifdef FPC_UNICODESTRINGS}{$define IDIOCP_UNICODE}{$endif}{$endif}
{$I iocpws.defines.inc}
{$ifdef IDIOCP_UNICODE}{$modeswitch unicodestrings}{$endif}
{$ifdef UNICODE}{$define IDIOCP_UNICODE}{$endif}
{$if defined(FPC) and defined(IDIOCP_UNICODE)}
  { Free Pascal 3.2's TStrings hold AnsiString also in delphiunicode mode:
    the conversions between them and string are on purpose (lossless with
    DefaultSystemCodePage = CP_UTF8, as Lazarus sets it) }
  {$warn 4104 off} {$warn 4105 off} {$warn 4106 off} {$warn 4107 off} {$warn 4108 off}
{$ifend}

interface

uses
  SysUtils, Classes, SyncObjs, iocpws.lib, iocpws.sessions;

type
  TIdPort = Word;
  TIdBytes = TBytes;
  TIdIPVersion = (Id_IPv4, Id_IPv6);
  TIdReuseSocket = (rsOSDependent, rsTrue, rsFalse);
  TIdThread = TThread;

  THTTPCommandType = (hcUnknown, hcHEAD, hcGET, hcPOST, hcDELETE, hcPUT,
    hcTRACE, hcOPTION, hcPATCH);

const
  IdPORT_HTTP = 80;
  IdListenQueueDefault = 15;
  ID_DEFAULT_IP_VERSION = Id_IPv4;
  Id_TId_HTTPServer_KeepAlive = False;
  Id_TId_HTTPServer_ParseParams = True;
  Id_TId_HTTPServer_SessionState = False;
  Id_TId_HTTPSessionTimeOut = 0;
  Id_TId_HTTPAutoStartSession = False;
  Id_TId_HTTPMaximumHeaderLineCount = 1024;
  GResponseNo = 200;
  GFContentLength = -1;
  GServerSoftware = 'iocpws/' + IWS_HEADER_VERSION_STRING;
  GContentType = 'text/html';
  GSessionIDCookie = iocpws.sessions.GSessionIDCookie;
  HTTPRequestStrings: array[0..Ord(High(THTTPCommandType))] of string = (
    'UNKNOWN', 'HEAD', 'GET', 'POST', 'DELETE', 'PUT', 'TRACE', 'OPTIONS',
    'PATCH');
  { the WebSocket close code of a normal close }
  IdWS_CLOSE_NORMAL = 1000;

type
  EIdException = class(Exception);
  EIdHTTPServerError = class(EIdException);
  EIdHTTPHeaderAlreadyWritten = class(EIdHTTPServerError);
  EIdHTTPErrorParsingCommand = class(EIdHTTPServerError);
  EIdHTTPUnsupportedAuthorisationScheme = class(EIdHTTPServerError);
  EIdHTTPCannotSwitchSessionStateWhenActive = class(EIdHTTPServerError);
  EIdHTTPCannotSwitchSessionIDCookieNameWhenActive = class(EIdHTTPServerError);
  EIdTCPServerError = class(EIdException);
  EIdTerminateThreadTimeout = class(EIdTCPServerError);
  { A setting the engine cannot honour (several listening addresses, an
    SSL IOHandler...): raised by Active := True, never ignored. }
  EIdIocpUnsupported = class(EIdTCPServerError);

  TIdCustomHTTPServer = class;
  TIdContext = class;
  TIdHTTPRequestInfo = class;
  TIdHTTPResponseInfo = class;

  { ---- headers (IdHeaderList) ------------------------------------------- }

  { "Name: Value" lines; Values[] finds a header without regard to case. }
  TIdHeaderList = class(TStringList)
  protected
    function GetHeaderValue(const AName: string): string;
    procedure SetHeaderValue(const AName, AValue: string);
  public
    constructor Create; overload;
    procedure AddValue(const AName, AValue: string);
    function IndexOfName(const AName: string): Integer; reintroduce;
    procedure Extract(const AName: string; ADest: TStrings);
    function GetNameAndValue(AIndex: Integer; out VName, VValue: string): Boolean;
    property Values[const AName: string]: string read GetHeaderValue write SetHeaderValue;
  end;

  { ---- sockets (IdSocketHandle) ----------------------------------------- }

  TIdSocketHandle = class(TCollectionItem)
  protected
    FIP: string;
    FPort: TIdPort;
    FPeerIP: string;
    FPeerPort: TIdPort;
    FIPVersion: TIdIPVersion;
    FReuseSocket: TIdReuseSocket;
    FUseNagle: Boolean;
    FBroadcastEnabled: Boolean;
    FClientPortMin: TIdPort;
    FClientPortMax: TIdPort;
  public
    constructor Create(ACollection: TCollection); override;
    procedure Assign(Source: TPersistent); override;
    property PeerIP: string read FPeerIP;
    property PeerPort: TIdPort read FPeerPort;
  published
    property BroadcastEnabled: Boolean read FBroadcastEnabled write FBroadcastEnabled default False;
    property ClientPortMin: TIdPort read FClientPortMin write FClientPortMin default 0;
    property ClientPortMax: TIdPort read FClientPortMax write FClientPortMax default 0;
    property IP: string read FIP write FIP;
    property IPVersion: TIdIPVersion read FIPVersion write FIPVersion default ID_DEFAULT_IP_VERSION;
    property Port: TIdPort read FPort write FPort;
    property ReuseSocket: TIdReuseSocket read FReuseSocket write FReuseSocket default rsOSDependent;
    property UseNagle: Boolean read FUseNagle write FUseNagle default True;
  end;

  TIdSocketHandles = class(TOwnedCollection)
  protected
    FDefaultPort: TIdPort;
    function GetItem(Index: Integer): TIdSocketHandle;
    procedure SetItem(Index: Integer; const Value: TIdSocketHandle);
  public
    constructor Create(AOwner: TComponent); reintroduce;
    function Add: TIdSocketHandle; reintroduce;
    property Items[Index: Integer]: TIdSocketHandle read GetItem write SetItem; default;
    property DefaultPort: TIdPort read FDefaultPort write FDefaultPort;
  end;

  TIdSocketHandleEvent = procedure(AHandle: TIdSocketHandle) of object;
  TIdNotifyThreadEvent = procedure(AThread: TIdThread) of object;
  TIdListenerThread = class(TThread);
  TIdListenExceptionEvent = procedure(AThread: TIdListenerThread; AException: Exception) of object;

  { ---- the connection (IdTCPConnection, IdIOHandlerSocket) -------------- }

  { AContext.Connection.Socket / .IOHandler. Write and WriteLn add to the
    response body (after what ContentText/ContentStream give): the engine
    sends the whole response when the handler returns. }
  TIdIOHandlerSocket = class
  protected
    FBinding: TIdSocketHandle;
    FContext: TIdContext;
  public
    destructor Destroy; override;
    procedure Write(const AOut: string); overload;
    procedure Write(const ABuffer: TIdBytes); overload;
    procedure Write(AStream: TStream; ASize: Int64 = 0); overload;
    procedure WriteLn(const AOut: string = '');
    function Connected: Boolean;
    property Binding: TIdSocketHandle read FBinding;
  end;

  TIdTCPConnection = class
  protected
    FSocket: TIdIOHandlerSocket;
    FContext: TIdContext;
  public
    destructor Destroy; override;
    function Connected: Boolean;
    { closes the connection after the current response (or, on a
      WebSocket, at once) }
    procedure Disconnect;
    property Socket: TIdIOHandlerSocket read FSocket;
    property IOHandler: TIdIOHandlerSocket read FSocket;
  end;

  { ---- the context (IdContext) ------------------------------------------ }

  TIdContext = class
  protected
    FServer: TIdCustomHTTPServer;
    FId: iws_conn_id;
    FConnection: TIdTCPConnection;
    FData: TObject;
    FBusy: Integer;          { jobs holding this context (pool lock) }
    FConnected: Boolean;     { OnConnect has run }
    FOpening: Boolean;       { its OnConnect job has not finished (server lock) }
    FWaiting: TObject;       { the request job that waits for it (server lock) }
    FOpened: TEvent;         { made by a WebSocket upgrade or a request's head
                               that waits for the OnConnect job; set as
                               FOpening ends (server lock) }
    FGone: Boolean;          { the engine's connection ended }
    FDetached: Boolean;      { the server stopped while a job held it }
    FIsWebSocket: Boolean;
    FProtocol: string;
    FResponse: TIdHTTPResponseInfo; { the request being handled, if any }
    { a request's head handled by the engine callback (on_http_head:
      OnHeadersAvailable, OnHeaderExpectations, OnCreatePostStream) and the
      stream its body is being written into; engine callback thread, then
      handed to the request }
    FHeadDone: Boolean;
    FPeerVerified: Boolean;  { OnVerifyPeer accepted its client's chain }
    FPostStream: TStream;
    function GetBinding: TIdSocketHandle;
  public
    constructor Create(AServer: TIdCustomHTTPServer; AId: iws_conn_id);
    destructor Destroy; override;
    { WebSocket connections (OnWebSocket* events): send, ping, close.
      False when the connection is closing or gone. Any thread. }
    function WebSocketSend(const AText: string): Boolean; overload;
    function WebSocketSend(const AData: TIdBytes): Boolean; overload;
    function WebSocketPing(const AText: string = ''): Boolean;
    function WebSocketClose(ACode: Integer = IdWS_CLOSE_NORMAL; const AReason: string = ''): Boolean;
    property Binding: TIdSocketHandle read GetBinding;
    property Connection: TIdTCPConnection read FConnection;
    property Data: TObject read FData write FData;
    property Server: TIdCustomHTTPServer read FServer;
    { the engine's connection id }
    property ConnectionId: iws_conn_id read FId;
    property IsWebSocket: Boolean read FIsWebSocket;
    { the negotiated WebSocket subprotocol ('' if none) }
    property WebSocketProtocol: string read FProtocol;
  end;
  TIdServerContext = TIdContext;

  TIdContextEvent = procedure(AContext: TIdContext) of object;
  TIdServerThreadEvent = procedure(AContext: TIdContext) of object;
  TIdServerThreadExceptionEvent = procedure(AContext: TIdContext; AException: Exception) of object;
  TIdContextExceptionEvent = TIdServerThreadExceptionEvent;

  { ---- cookies (IdCookie) ----------------------------------------------- }

  TIdCookie = class(TCollectionItem)
  protected
    FDomain: string;
    FExpires: TDateTime;
    FHttpOnly: Boolean;
    FName: string;
    FPath: string;
    FSecure: Boolean;
    FValue: string;
    FMaxAge: Int64;
    FSameSite: string;
    FCreatedAt: TDateTime;
    function GetServerCookie: string; virtual;
    function GetClientCookie: string; virtual;
    function GetIsExpired: Boolean;
  public
    constructor Create(ACollection: TCollection); override;
    procedure Assign(Source: TPersistent); override;
    function ParseClientCookie(const ACookieText: string): Boolean; virtual;
    property ClientCookie: string read GetClientCookie;
    property CookieName: string read FName write FName;
    property CookieText: string read GetServerCookie;
    property Domain: string read FDomain write FDomain;
    property Expires: TDateTime read FExpires write FExpires;
    property HttpOnly: Boolean read FHttpOnly write FHttpOnly;
    property Path: string read FPath write FPath;
    property Secure: Boolean read FSecure write FSecure;
    property ServerCookie: string read GetServerCookie;
    property Value: string read FValue write FValue;
    { Indy computes it from Expires; here it may also be set (-1 = none) }
    property MaxAge: Int64 read FMaxAge write FMaxAge;
    property SameSite: string read FSameSite write FSameSite;
    property CreatedAt: TDateTime read FCreatedAt write FCreatedAt;
    property IsExpired: Boolean read GetIsExpired;
  end;

  TIdCookies = class(TOwnedCollection)
  protected
    function GetCookie(Index: Integer): TIdCookie;
    procedure SetCookie(Index: Integer; const Value: TIdCookie);
    function GetCookieByNameAndDomain(const AName, ADomain: string): TIdCookie;
  public
    constructor Create(AOwner: TPersistent);
    function Add: TIdCookie; reintroduce;
    function AddClientCookie(const ACookie: string): TIdCookie;
    procedure AddClientCookies(const ACookie: string); overload;
    procedure AddClientCookies(const ACookies: TStrings); overload;
    function GetCookieIndex(const AName: string; FirstIndex: Integer = 0): Integer; overload;
    function GetCookieIndex(const AName, ADomain: string; FirstIndex: Integer = 0): Integer; overload;
    property Cookie[const AName, ADomain: string]: TIdCookie read GetCookieByNameAndDomain;
    property Cookies[Index: Integer]: TIdCookie read GetCookie write SetCookie; default;
  end;
  TIdServerCookie = TIdCookie;
  TIdServerCookies = TIdCookies;

  { ---- ranges (IdHTTPHeaderInfo) ---------------------------------------- }

  TIdEntityRange = class(TCollectionItem)
  protected
    FStartPos: Int64;
    FEndPos: Int64;
    FSuffixLength: Int64;
    function GetText: string;
    procedure SetText(const AValue: string);
  public
    constructor Create(Collection: TCollection); override;
  published
    property StartPos: Int64 read FStartPos write FStartPos;
    property EndPos: Int64 read FEndPos write FEndPos;
    property SuffixLength: Int64 read FSuffixLength write FSuffixLength;
    property Text: string read GetText write SetText;
  end;

  TIdEntityRanges = class(TOwnedCollection)
  protected
    FUnits: string;
    function GetRange(Index: Integer): TIdEntityRange;
    procedure SetRange(Index: Integer; AValue: TIdEntityRange);
    function GetText: string;
    procedure SetText(const AValue: string);
  public
    constructor Create(AOwner: TPersistent); reintroduce;
    function Add: TIdEntityRange; reintroduce;
    property Ranges[Index: Integer]: TIdEntityRange read GetRange write SetRange; default;
  published
    property Text: string read GetText write SetText;
    property Units: string read FUnits write FUnits;
  end;

  { ---- header info (IdHTTPHeaderInfo) ----------------------------------- }

  TIdEntityHeaderInfo = class(TPersistent)
  protected
    FCacheControl: string;
    FRawHeaders: TIdHeaderList;
    FCharSet: string;
    FConnection: string;
    FContentDisposition: string;
    FContentEncoding: string;
    FContentLanguage: string;
    FContentLength: Int64;
    FContentRangeEnd: Int64;
    FContentRangeStart: Int64;
    FContentRangeInstanceLength: Int64;
    FContentRangeUnits: string;
    FContentType: string;
    FContentVersion: string;
    FCustomHeaders: TIdHeaderList;
    FDate: TDateTime;
    FExpires: TDateTime;
    FETag: string;
    FLastModified: TDateTime;
    FPragma: string;
    FHasContentLength: Boolean;
    FTransferEncoding: string;
    procedure SetContentLength(const AValue: Int64);
    procedure SetContentType(const AValue: string);
    procedure SetCustomHeaders(const AValue: TIdHeaderList);
    function GetHasContentRange: Boolean;
  public
    constructor Create(AOwner: TPersistent); virtual;
    destructor Destroy; override;
    procedure Clear; virtual;
    property HasContentLength: Boolean read FHasContentLength;
    property HasContentRange: Boolean read GetHasContentRange;
    property RawHeaders: TIdHeaderList read FRawHeaders;
  published
    property CacheControl: string read FCacheControl write FCacheControl;
    property CharSet: string read FCharSet write FCharSet;
    property Connection: string read FConnection write FConnection;
    property ContentDisposition: string read FContentDisposition write FContentDisposition;
    property ContentEncoding: string read FContentEncoding write FContentEncoding;
    property ContentLanguage: string read FContentLanguage write FContentLanguage;
    property ContentLength: Int64 read FContentLength write SetContentLength;
    property ContentRangeEnd: Int64 read FContentRangeEnd write FContentRangeEnd;
    property ContentRangeStart: Int64 read FContentRangeStart write FContentRangeStart;
    property ContentRangeInstanceLength: Int64 read FContentRangeInstanceLength write FContentRangeInstanceLength;
    property ContentRangeUnits: string read FContentRangeUnits write FContentRangeUnits;
    property ContentType: string read FContentType write SetContentType;
    property ContentVersion: string read FContentVersion write FContentVersion;
    property CustomHeaders: TIdHeaderList read FCustomHeaders write SetCustomHeaders;
    property Date: TDateTime read FDate write FDate;
    property ETag: string read FETag write FETag;
    property Expires: TDateTime read FExpires write FExpires;
    property LastModified: TDateTime read FLastModified write FLastModified;
    property Pragma: string read FPragma write FPragma;
    property TransferEncoding: string read FTransferEncoding write FTransferEncoding;
  end;

  TIdRequestHeaderInfo = class(TIdEntityHeaderInfo)
  protected
    FAccept: string;
    FAcceptCharSet: string;
    FAcceptEncoding: string;
    FAcceptLanguage: string;
    FExpect: string;
    FFrom: string;
    FPassword: string;
    FReferer: string;
    FUserAgent: string;
    FUserName: string;
    FHost: string;
    FProxyConnection: string;
    FRanges: TIdEntityRanges;
    FMethodOverride: string;
    FBasicByDefault: Boolean;
    procedure ProcessHeaders; virtual;
    function GetRange: string;
    procedure SetRange(const AValue: string);
    procedure SetRanges(AValue: TIdEntityRanges);
  public
    constructor Create(AOwner: TPersistent); override;
    destructor Destroy; override;
  published
    property Accept: string read FAccept write FAccept;
    property AcceptCharSet: string read FAcceptCharSet write FAcceptCharSet;
    property AcceptEncoding: string read FAcceptEncoding write FAcceptEncoding;
    property AcceptLanguage: string read FAcceptLanguage write FAcceptLanguage;
    property BasicAuthentication: Boolean read FBasicByDefault write FBasicByDefault;
    property Expect: string read FExpect write FExpect;
    property Host: string read FHost write FHost;
    property From: string read FFrom write FFrom;
    property Password: string read FPassword write FPassword;
    property Referer: string read FReferer write FReferer;
    property UserAgent: string read FUserAgent write FUserAgent;
    property Username: string read FUserName write FUserName;
    property ProxyConnection: string read FProxyConnection write FProxyConnection;
    property Range: string read GetRange write SetRange;
    property Ranges: TIdEntityRanges read FRanges write SetRanges;
    property MethodOverride: string read FMethodOverride write FMethodOverride;
  end;

  TIdResponseHeaderInfo = class(TIdEntityHeaderInfo)
  protected
    FAcceptPatch: string;
    FAcceptRanges: string;
    FLocation: string;
    FServer: string;
    FProxyConnection: string;
    FProxyAuthenticate: TIdHeaderList;
    FWWWAuthenticate: TIdHeaderList;
    procedure SetProxyAuthenticate(const Value: TIdHeaderList);
    procedure SetWWWAuthenticate(const Value: TIdHeaderList);
  public
    constructor Create(AOwner: TPersistent); override;
    destructor Destroy; override;
  published
    property AcceptPatch: string read FAcceptPatch write FAcceptPatch;
    property AcceptRanges: string read FAcceptRanges write FAcceptRanges;
    property Location: string read FLocation write FLocation;
    property ProxyConnection: string read FProxyConnection write FProxyConnection;
    property ProxyAuthenticate: TIdHeaderList read FProxyAuthenticate write SetProxyAuthenticate;
    property Server: string read FServer write FServer;
    property WWWAuthenticate: TIdHeaderList read FWWWAuthenticate write SetWWWAuthenticate;
  end;

  { ---- request and response (IdCustomHTTPServer) ------------------------ }

  TIdHTTPRequestInfo = class(TIdRequestHeaderInfo)
  protected
    FAuthExists: Boolean;
    FCookies: TIdCookies;
    FParams: TStrings;
    FPostStream: TStream;
    FRawHTTPCommand: string;
    FRemoteIP: string;
    FSession: TIdHTTPSession;
    FDocument: string;
    FURI: string;
    FCommand: string;
    FVersion: string;
    FVersionMajor: Integer;
    FVersionMinor: Integer;
    FAuthUsername: string;
    FAuthPassword: string;
    FUnparsedParams: string;
    FQueryParams: string;
    FFormParams: string;
    FCommandType: THTTPCommandType;
    FAuthType: string;
    FBody: TIdBytes;         { the engine's copy of the body }
    FHeadDone: Boolean;      { headers checked and post stream made at the head }
    FHeldSession: TIdHTTPSession; { held in the default list until the job ends }
    procedure DecodeAndSetParams(const AValue: string); virtual;
  public
    constructor Create(AOwner: TPersistent); override;
    destructor Destroy; override;
    function IsVersionAtLeast(const AMajor, AMinor: Integer): Boolean;
    property Session: TIdHTTPSession read FSession;
    property AuthExists: Boolean read FAuthExists;
    property AuthType: string read FAuthType;
    property AuthPassword: string read FAuthPassword;
    property AuthUsername: string read FAuthUsername;
    property Command: string read FCommand;
    property CommandType: THTTPCommandType read FCommandType;
    property Cookies: TIdCookies read FCookies;
    property Document: string read FDocument write FDocument;
    property URI: string read FURI;
    property Params: TStrings read FParams;
    property PostStream: TStream read FPostStream write FPostStream;
    property RawHTTPCommand: string read FRawHTTPCommand;
    property RemoteIP: string read FRemoteIP;
    property UnparsedParams: string read FUnparsedParams write FUnparsedParams;
    property FormParams: string read FFormParams write FFormParams;
    property QueryParams: string read FQueryParams write FQueryParams;
    property Version: string read FVersion;
    property VersionMajor: Integer read FVersionMajor;
    property VersionMinor: Integer read FVersionMinor;
  end;

  TIdHTTPResponseInfo = class(TIdResponseHeaderInfo)
  protected
    FAuthRealm: string;
    FConnection: TIdTCPConnection;
    FResponseNo: Integer;
    FCookies: TIdCookies;
    FContentStream: TStream;
    FContentText: string;
    FCloseConnection: Boolean;
    FFreeContentStream: Boolean;
    FHeaderHasBeenWritten: Boolean;
    FContentWritten: Boolean;
    FResponseText: string;
    FHTTPServer: TIdCustomHTTPServer;
    FSession: TIdHTTPSession;
    FRequestInfo: TIdHTTPRequestInfo;
    FFileName: string;       { ServeFile / SmartServeFile }
    FExtra: TMemoryStream;   { IOHandler.Write after the header }
    FStreamH: piws_http_response; { the engine's response (handler's job) }
    FIsHead: Boolean;
    FStreaming: Boolean;     { WriteHeader sent the head: writes go out now }
    procedure StreamOut(const AData; ALen: Integer);
    procedure ReleaseContentStream;
    procedure SetCookies(const AValue: TIdCookies);
    procedure SetResponseNo(const AValue: Integer);
    procedure SetCloseConnection(const Value: Boolean);
    procedure AppendRaw(const AData; ALen: Integer);
  public
    function GetServer: string;
    procedure SetServer(const Value: string);
    constructor Create(AServer: TIdCustomHTTPServer; ARequestInfo: TIdHTTPRequestInfo;
      AConnection: TIdTCPConnection); reintroduce;
    destructor Destroy; override;
    procedure CloseSession;
    procedure Redirect(const AURL: string);
    procedure WriteHeader;
    procedure WriteContent;
    function ServeFile(AContext: TIdContext; const AFile: string): Int64; virtual;
    function SmartServeFile(AContext: TIdContext; ARequestInfo: TIdHTTPRequestInfo;
      const AFile: string): Int64;
    property AuthRealm: string read FAuthRealm write FAuthRealm;
    property CloseConnection: Boolean read FCloseConnection write SetCloseConnection;
    property ContentStream: TStream read FContentStream write FContentStream;
    property ContentText: string read FContentText write FContentText;
    property Cookies: TIdCookies read FCookies write SetCookies;
    property FreeContentStream: Boolean read FFreeContentStream write FFreeContentStream;
    property HeaderHasBeenWritten: Boolean read FHeaderHasBeenWritten write FHeaderHasBeenWritten;
    property ResponseNo: Integer read FResponseNo write SetResponseNo;
    property ResponseText: string read FResponseText write FResponseText;
    property HTTPServer: TIdCustomHTTPServer read FHTTPServer;
    property ServerSoftware: string read GetServer write SetServer;
    property Session: TIdHTTPSession read FSession;
  end;

  { ---- sessions (iocpws.sessions: one implementation, also sgc's) ------- }

  TIdHTTPSession = iocpws.sessions.TIdHTTPSession;
  TIdHTTPSessionEndEvent = iocpws.sessions.TIdHTTPSessionEndEvent;
  TIdHTTPSessionStartEvent = iocpws.sessions.TIdHTTPSessionStartEvent;
  TIdHTTPSessionList = iocpws.sessions.TIdHTTPSessionList;
  TIdHTTPSessionThreadList = iocpws.sessions.TIdHTTPSessionThreadList;
  TIdHTTPCustomSessionList = iocpws.sessions.TIdHTTPCustomSessionList;
  TIdHTTPDefaultSessionList = iocpws.sessions.TIdHTTPDefaultSessionList;

  { ---- MIME types ------------------------------------------------------- }

  TIdThreadSafeMimeTable = class
  protected
    FLock: TCriticalSection;
    FTable: TStringList;       { .ext=type }
    FLoadTypesFromOS: Boolean;
    FOnBuildCache: TNotifyEvent;
  public
    constructor Create(const AutoFill: Boolean = True);
    destructor Destroy; override;
    procedure BuildCache;
    procedure AddMimeType(const Ext, MIMEType: string; const ARaiseOnError: Boolean = True);
    function GetFileMIMEType(const AFileName: string): string;
    function GetDefaultFileExt(const MIMEType: string): string;
    procedure LoadFromStrings(const AStrings: TStrings; const MimeSeparator: Char = '=');
    procedure SaveToStrings(const AStrings: TStrings; const MimeSeparator: Char = '=');
    property LoadTypesFromOS: Boolean read FLoadTypesFromOS write FLoadTypesFromOS;
    property OnBuildCache: TNotifyEvent read FOnBuildCache write FOnBuildCache;
  end;

  { ---- events ----------------------------------------------------------- }

  TIdHTTPCreateSession = procedure(ASender: TIdContext; var VHTTPSession: TIdHTTPSession) of object;
  TIdHTTPCreatePostStream = procedure(AContext: TIdContext; AHeaders: TIdHeaderList;
    var VPostStream: TStream) of object;
  TIdHTTPDoneWithPostStream = procedure(AContext: TIdContext; ARequestInfo: TIdHTTPRequestInfo;
    var VCanFree: Boolean) of object;
  TIdHTTPParseAuthenticationEvent = procedure(AContext: TIdContext;
    const AAuthType, AAuthData: string; var VUsername, VPassword: string;
    var VHandled: Boolean) of object;
  TIdHTTPCommandEvent = procedure(AContext: TIdContext; ARequestInfo: TIdHTTPRequestInfo;
    AResponseInfo: TIdHTTPResponseInfo) of object;
  TIdHTTPCommandError = procedure(AContext: TIdContext; ARequestInfo: TIdHTTPRequestInfo;
    AResponseInfo: TIdHTTPResponseInfo; AException: Exception) of object;
  TIdHTTPInvalidSessionEvent = procedure(AContext: TIdContext; ARequestInfo: TIdHTTPRequestInfo;
    AResponseInfo: TIdHTTPResponseInfo; var VContinueProcessing: Boolean;
    const AInvalidSessionID: string) of object;
  TIdHTTPHeadersAvailableEvent = procedure(AContext: TIdContext; const AUri: string;
    AHeaders: TIdHeaderList; var VContinueProcessing: Boolean) of object;
  TIdHTTPHeadersBlockedEvent = procedure(AContext: TIdContext; AHeaders: TIdHeaderList;
    var VResponseNo: Integer; var VResponseText, VContentText: string) of object;
  TIdHTTPHeaderExpectationsEvent = procedure(AContext: TIdContext; const AExpectations: string;
    var VContinueProcessing: Boolean) of object;
  TIdHTTPQuerySSLPortEvent = procedure(APort: TIdPort; var VUseSSL: Boolean) of object;

  { WebSocket (not Indy: an Indy program that upgraded by hand in
    OnCommandGet moves its code here). Run on the engine's callback
    threads; one connection's events never overlap and come in order. }
  TIdWebSocketConnectEvent = procedure(AContext: TIdContext; ARequestInfo: TIdHTTPRequestInfo;
    var VAccept: Boolean) of object;
  TIdWebSocketMessageEvent = procedure(AContext: TIdContext; const AText: string) of object;
  TIdWebSocketBinaryEvent = procedure(AContext: TIdContext; const AData: TIdBytes) of object;
  TIdWebSocketDisconnectEvent = procedure(AContext: TIdContext; ACode: Integer) of object;

  { ---- the server ------------------------------------------------------- }

  TIdIocpPool = class;

  TIdCustomHTTPServer = class(TComponent)
  protected
    FActive: Boolean;
    FStreamedActive: Boolean;
    FBindings: TIdSocketHandles;
    FListenQueue: Integer;
    FMaxConnections: Integer;
    FTerminateWaitTime: Integer;
    FUseNagle: Boolean;
    FReuseSocket: TIdReuseSocket;
    FIOHandler: TComponent;
    FIntercept: TComponent;
    FScheduler: TComponent;
    FOnContextCreated: TIdServerThreadEvent;
    FOnConnect: TIdServerThreadEvent;
    FOnDisconnect: TIdServerThreadEvent;
    FOnException: TIdServerThreadExceptionEvent;
    FOnListenException: TIdListenExceptionEvent;
    FOnBeforeBind: TIdSocketHandleEvent;
    FOnAfterBind: TNotifyEvent;
    FOnBeforeListenerRun: TIdNotifyThreadEvent;
    FAutoStartSession: Boolean;
    FKeepAlive: Boolean;
    FParseParams: Boolean;
    FServerSoftware: string;
    FMIMETable: TIdThreadSafeMimeTable;
    FSessionList: TIdHTTPCustomSessionList;
    FImplicitSessionList: Boolean;
    FSessionState: Boolean;
    FSessionTimeOut: Integer;
    FMaximumHeaderLineCount: Integer;
    FSessionIDCookieName: string;
    FOnCreatePostStream: TIdHTTPCreatePostStream;
    FOnDoneWithPostStream: TIdHTTPDoneWithPostStream;
    FOnCreateSession: TIdHTTPCreateSession;
    FOnInvalidSession: TIdHTTPInvalidSessionEvent;
    FOnParseAuthentication: TIdHTTPParseAuthenticationEvent;
    FOnSessionEnd: TIdHTTPSessionEndEvent;
    FOnSessionStart: TIdHTTPSessionStartEvent;
    FOnCommandGet: TIdHTTPCommandEvent;
    FOnCommandOther: TIdHTTPCommandEvent;
    FOnCommandError: TIdHTTPCommandError;
    FOnHeadersAvailable: TIdHTTPHeadersAvailableEvent;
    FOnHeadersBlocked: TIdHTTPHeadersBlockedEvent;
    FOnHeaderExpectations: TIdHTTPHeaderExpectationsEvent;
    FOnQuerySSLPort: TIdHTTPQuerySSLPortEvent;
    FOnWebSocketConnect: TIdWebSocketConnectEvent;
    FOnWebSocketMessage: TIdWebSocketMessageEvent;
    FOnWebSocketBinary: TIdWebSocketBinaryEvent;
    FOnWebSocketDisconnect: TIdWebSocketDisconnectEvent;
    { iocpws }
    FThreadPoolSize: Integer;
    FMaxRequestBodySize: Int64;
    FKeepAliveTimeout: Integer;
    FWebSocketProtocols: string;
    FHandle: piws_server;
    FPool: TIdIocpPool;
    FLock: TCriticalSection;          { the contexts }
    FContexts: TStringList;           { hex id -> TIdContext, sorted }
    FStopping: Boolean;
    FHousekeeper: TThread;
    FBoundIP: string;
    FBoundPort: Integer;
    FMulti: Boolean;                  { one engine listener per Binding }
    FLastPurge: TDateTime;
    function GetDefaultPort: TIdPort;
    procedure SetDefaultPort(const AValue: TIdPort);
    procedure SetActive(AValue: Boolean);
    procedure SetBindings(const AValue: TIdSocketHandles);
    procedure SetSessionList(const AValue: TIdHTTPCustomSessionList);
    procedure SetSessionState(const Value: Boolean);
    procedure SetLinked(var AField: TComponent; AValue: TComponent);
    procedure SetIOHandler(const AValue: TComponent);
    procedure SetIntercept(const AValue: TComponent);
    procedure SetScheduler(const AValue: TComponent);
    procedure SetSessionIDCookieName(const AValue: string);
    function IsSessionIDCookieNameStored: Boolean;
    { DoInvalidSession as iocpws.sessions' IocpWsFindSession calls it }
    procedure InvalidSession(AContext, ARequest, AResponse: TObject;
      var VContinueProcessing: Boolean; const AInvalidSessionID: string);
    procedure Loaded; override;
    procedure Notification(AComponent: TComponent; Operation: TOperation); override;
    procedure Startup; virtual;
    procedure Shutdown; virtual;
    procedure RaiseEngine(rc: Integer; const What: string);
    { contexts }
    function AcquireContext(Id: iws_conn_id; out IsNew: Boolean): TIdContext;
    procedure ReleaseContext(AContext: TIdContext);
    { until the context's OnConnect job finished (an upgrade's events come
      after OnConnect, as in Indy) }
    procedure WaitConnected(AContext: TIdContext);
    function FindContext(Id: iws_conn_id): TIdContext;
    procedure RemoveContext(AContext: TIdContext);
    procedure Housekeep;
    { the request cycle, on a pool thread }
    procedure ContextCreated(AContext: TIdContext); virtual;
    procedure DoConnect(AContext: TIdContext); virtual;
    procedure DoDisconnect(AContext: TIdContext); virtual;
    procedure DoException(AContext: TIdContext; AException: Exception); virtual;
    { the SSL IOHandler's OnVerifyPeer for AContext's client certificate
      chain, once per connection, on the calling thread: True to go on }
    function VerifyPeer(AContext: TIdContext): Boolean;
    procedure HandleRequest(AContext: TIdContext; ARequestInfo: TIdHTTPRequestInfo;
      AResponseInfo: TIdHTTPResponseInfo);
    procedure CreatePostStream(ASender: TIdContext; AHeaders: TIdHeaderList;
      var VPostStream: TStream); virtual;
    procedure DoneWithPostStream(ASender: TIdContext; ARequestInfo: TIdHTTPRequestInfo); virtual;
    procedure DoOnCreateSession(AContext: TIdContext; var VNewSession: TIdHTTPSession); virtual;
    procedure DoInvalidSession(AContext: TIdContext; ARequestInfo: TIdHTTPRequestInfo;
      AResponseInfo: TIdHTTPResponseInfo; var VContinueProcessing: Boolean;
      const AInvalidSessionID: string); virtual;
    procedure DoCommandGet(AContext: TIdContext; ARequestInfo: TIdHTTPRequestInfo;
      AResponseInfo: TIdHTTPResponseInfo); virtual;
    procedure DoCommandOther(AContext: TIdContext; ARequestInfo: TIdHTTPRequestInfo;
      AResponseInfo: TIdHTTPResponseInfo); virtual;
    procedure DoCommandError(AContext: TIdContext; ARequestInfo: TIdHTTPRequestInfo;
      AResponseInfo: TIdHTTPResponseInfo; AException: Exception); virtual;
    function DoHeadersAvailable(ASender: TIdContext; const AUri: string;
      AHeaders: TIdHeaderList): Boolean; virtual;
    procedure DoHeadersBlocked(ASender: TIdContext; AHeaders: TIdHeaderList;
      var VResponseNo: Integer; var VResponseText, VContentText: string); virtual;
    function DoHeaderExpectations(ASender: TIdContext; const AExpectations: string): Boolean; virtual;
    function DoParseAuthentication(ASender: TIdContext; const AAuthType, AAuthData: string;
      var VUsername, VPassword: string): Boolean; virtual;
    procedure DoSessionEnd(Sender: TIdHTTPSession); virtual;
    procedure DoSessionStart(Sender: TIdHTTPSession); virtual;
    function GetSessionFromCookie(AContext: TIdContext; AHTTPrequest: TIdHTTPRequestInfo;
      AHTTPResponse: TIdHTTPResponseInfo; var VContinueProcessing: Boolean): TIdHTTPSession;
    { to be published in TIdHTTPServer }
    property OnCreatePostStream: TIdHTTPCreatePostStream read FOnCreatePostStream write FOnCreatePostStream;
    property OnDoneWithPostStream: TIdHTTPDoneWithPostStream read FOnDoneWithPostStream write FOnDoneWithPostStream;
    property OnCommandGet: TIdHTTPCommandEvent read FOnCommandGet write FOnCommandGet;
  public
    constructor Create(AOwner: TComponent); override;
    destructor Destroy; override;
    function CreateSession(AContext: TIdContext; HTTPResponse: TIdHTTPResponseInfo;
      HTTPRequest: TIdHTTPRequestInfo): TIdHTTPSession;
    function EndSession(const SessionName: string; const RemoteIP: string = ''): Boolean;
    procedure StartListening;
    procedure StopListening;
    { WebSocket: one text message to every WebSocket connection; returns
      how many it was queued for. Any thread. }
    function WebSocketBroadcast(const AText: string): Integer;
    property MIMETable: TIdThreadSafeMimeTable read FMIMETable;
    property SessionList: TIdHTTPCustomSessionList read FSessionList write SetSessionList;
    { the engine's handle (nil while inactive) }
    property Handle: piws_server read FHandle;
  published
    property Active: Boolean read FActive write SetActive default False;
    { Every Binding listens (several addresses and ports, IPv4 and IPv6,
      up to 64); empty = DefaultPort on 0.0.0.0. After Active := True each
      Binding's Port is the port it got (useful with Port 0). }
    property Bindings: TIdSocketHandles read FBindings write SetBindings;
    property DefaultPort: TIdPort read GetDefaultPort write SetDefaultPort default IdPORT_HTTP;
    { Indy's server IOHandler (SSL), Intercept and Scheduler: streamed from
      forms. IOHandler: a TIdServerIOHandlerSSLOpenSSL (IdSSLOpenSSL_iocp)
      makes every binding TLS; any other component assigned, and an
      Intercept, make Active := True raise EIdIocpUnsupported (TLS is never
      silently dropped). As in Indy, the server is told when one is freed
      (FreeNotification) and the property becomes nil. }
    property Intercept: TComponent read FIntercept write SetIntercept;
    property IOHandler: TComponent read FIOHandler write SetIOHandler;
    property ListenQueue: Integer read FListenQueue write FListenQueue default IdListenQueueDefault;
    property MaxConnections: Integer read FMaxConnections write FMaxConnections default 0;
    property OnBeforeBind: TIdSocketHandleEvent read FOnBeforeBind write FOnBeforeBind;
    property OnAfterBind: TNotifyEvent read FOnAfterBind write FOnAfterBind;
    property OnBeforeListenerRun: TIdNotifyThreadEvent read FOnBeforeListenerRun write FOnBeforeListenerRun;
    property OnContextCreated: TIdServerThreadEvent read FOnContextCreated write FOnContextCreated;
    property OnConnect: TIdServerThreadEvent read FOnConnect write FOnConnect;
    property OnDisconnect: TIdServerThreadEvent read FOnDisconnect write FOnDisconnect;
    property OnException: TIdServerThreadExceptionEvent read FOnException write FOnException;
    property OnListenException: TIdListenExceptionEvent read FOnListenException write FOnListenException;
    property ReuseSocket: TIdReuseSocket read FReuseSocket write FReuseSocket default rsOSDependent;
    property UseNagle: Boolean read FUseNagle write FUseNagle default True;
    property TerminateWaitTime: Integer read FTerminateWaitTime write FTerminateWaitTime default 5000;
    property Scheduler: TComponent read FScheduler write SetScheduler;
    property AutoStartSession: Boolean read FAutoStartSession write FAutoStartSession default Id_TId_HTTPAutoStartSession;
    property KeepAlive: Boolean read FKeepAlive write FKeepAlive default Id_TId_HTTPServer_KeepAlive;
    property MaximumHeaderLineCount: Integer read FMaximumHeaderLineCount write FMaximumHeaderLineCount default Id_TId_HTTPMaximumHeaderLineCount;
    property ParseParams: Boolean read FParseParams write FParseParams default Id_TId_HTTPServer_ParseParams;
    property ServerSoftware: string read FServerSoftware write FServerSoftware;
    property SessionState: Boolean read FSessionState write SetSessionState default Id_TId_HTTPServer_SessionState;
    property SessionTimeOut: Integer read FSessionTimeOut write FSessionTimeOut default Id_TId_HTTPSessionTimeOut;
    property SessionIDCookieName: string read FSessionIDCookieName write SetSessionIDCookieName stored IsSessionIDCookieNameStored;
    property OnCommandError: TIdHTTPCommandError read FOnCommandError write FOnCommandError;
    property OnCommandOther: TIdHTTPCommandEvent read FOnCommandOther write FOnCommandOther;
    property OnCreateSession: TIdHTTPCreateSession read FOnCreateSession write FOnCreateSession;
    property OnInvalidSession: TIdHTTPInvalidSessionEvent read FOnInvalidSession write FOnInvalidSession;
    property OnHeadersAvailable: TIdHTTPHeadersAvailableEvent read FOnHeadersAvailable write FOnHeadersAvailable;
    property OnHeadersBlocked: TIdHTTPHeadersBlockedEvent read FOnHeadersBlocked write FOnHeadersBlocked;
    property OnHeaderExpectations: TIdHTTPHeaderExpectationsEvent read FOnHeaderExpectations write FOnHeaderExpectations;
    property OnParseAuthentication: TIdHTTPParseAuthenticationEvent read FOnParseAuthentication write FOnParseAuthentication;
    property OnQuerySSLPort: TIdHTTPQuerySSLPortEvent read FOnQuerySSLPort write FOnQuerySSLPort;
    property OnSessionStart: TIdHTTPSessionStartEvent read FOnSessionStart write FOnSessionStart;
    property OnSessionEnd: TIdHTTPSessionEndEvent read FOnSessionEnd write FOnSessionEnd;
    { iocpws additions }
    { pool threads for the request handlers; 0 = 4 per CPU, at least 8 }
    property ThreadPoolSize: Integer read FThreadPoolSize write FThreadPoolSize default 0;
    { largest request body (the engine answers 413 above it) }
    property MaxRequestBodySize: Int64 read FMaxRequestBodySize write FMaxRequestBodySize;
    { idle keep-alive connections close after this many ms (KeepAlive) }
    property KeepAliveTimeout: Integer read FKeepAliveTimeout write FKeepAliveTimeout default 15000;
    { comma-separated WebSocket subprotocols, preferred first }
    property WebSocketProtocols: string read FWebSocketProtocols write FWebSocketProtocols;
    property OnWebSocketConnect: TIdWebSocketConnectEvent read FOnWebSocketConnect write FOnWebSocketConnect;
    property OnWebSocketMessage: TIdWebSocketMessageEvent read FOnWebSocketMessage write FOnWebSocketMessage;
    property OnWebSocketBinary: TIdWebSocketBinaryEvent read FOnWebSocketBinary write FOnWebSocketBinary;
    property OnWebSocketDisconnect: TIdWebSocketDisconnectEvent read FOnWebSocketDisconnect write FOnWebSocketDisconnect;
  end;

  TIdHTTPServer = class(TIdCustomHTTPServer)
  published
    property OnCreatePostStream;
    property OnDoneWithPostStream;
    property OnCommandGet;
  end;

  { ---- the pool (internal) ---------------------------------------------- }

  TIdIocpJob = class
  public
    Server: TIdCustomHTTPServer;
    Context: TIdContext;
    IsNew: Boolean;
    Disconnect: Boolean;     { fire OnDisconnect and free the context }
    Connect: Boolean;        { accepted: OnContextCreated and OnConnect }
    Req: TIdHTTPRequestInfo;
    Resp: TIdHTTPResponseInfo;
    H: piws_http_response;
    procedure Run;
  end;

  TIdIocpPool = class
  protected
    FLock: TCriticalSection;
    FWake: TEvent;
    FQueue: TList;
    FThreads: TList;
    FInFlight: Integer;      { queued + running }
    FTerminated: Boolean;
  public
    constructor Create(ACount: Integer);
    destructor Destroy; override;
    procedure Push(AJob: TIdIocpJob);
    function Pop: TIdIocpJob;
    procedure Done;
    function InFlight: Integer;
    function ThreadCount: Integer;
  end;

{ The Indy helpers programs call from their handlers. }
function DecodeHTTPCommand(const ACmd: string): THTTPCommandType;
function LocalDateTimeToHttpStr(const Value: TDateTime): string;
function LocalDateTimeToCookieStr(const Value: TDateTime): string;
function TIdURI_URLDecode(const ASrc: string): string;

implementation

uses
  {$if defined(FPC) and not defined(OSWINDOWS)} BaseUnix, {$ifend}
  DateUtils, iocpws.common, IdSSLOpenSSL_iocp;
{ again: Free Pascal forgets a unit's warn settings while it compiles the
  units it uses (iocpws.warnings.inc) }
{$if defined(FPC) and defined(IDIOCP_UNICODE)}
  {$warn 4104 off} {$warn 4105 off} {$warn 4106 off} {$warn 4107 off} {$warn 4108 off}
{$ifend}

function CharsetBytes(const AText, ACharSet: string): RawByteString; forward;
{ the response's status and headers (AStream: only those, for a streamed
  response's head) and body onto the engine's response }
procedure ApplyResponse(R: TIdHTTPResponseInfo; H: piws_http_response;
  IsHead: Boolean; AStream: Boolean); forward;

{$ifdef OSWINDOWS}
{ declared here rather than through unit Windows, whose FindClose and
  TCriticalSection would hide SysUtils' and SyncObjs' }
type
  TIdFileTime = record
    Low, High: Cardinal;
  end;
  TIdFileAttributeData = record
    dwFileAttributes: Cardinal;
    ftCreationTime, ftLastAccessTime, ftLastWriteTime: TIdFileTime;
    nFileSizeHigh, nFileSizeLow: Cardinal;
  end;

function GetFileAttributesExW(lpFileName: PWideChar; fInfoLevelId: Integer;
  lpFileInformation: Pointer): LongBool; stdcall; external 'kernel32.dll';
{$endif}

{ ---- strings --------------------------------------------------------------- }

{ the UTF-8 conversions and the main-thread test are iocpws.common's, shared
  with the iocpws server }
function U8(const S: string): RawByteString; {$ifdef HASINLINE} inline; {$endif}
begin
  Result := IocpWsStringToUtf8(S);
end;

function FromU8(P: PAnsiChar; Len: NativeInt): string; {$ifdef HASINLINE} inline; {$endif}
begin
  Result := IocpWsUtf8ToString(P, Len);
end;

function FromZ(P: PAnsiChar): string; {$ifdef HASINLINE} inline; {$endif}
begin
  Result := IocpWsUtf8Z(P);
end;

function OnMainThread: Boolean; {$ifdef HASINLINE} inline; {$endif}
begin
  Result := IocpWsOnMainThread;
end;

function HexId(Id: iws_conn_id): string;
begin
  Result := IntToHex(Int64(Id), 16);
end;

function CPUCount: Integer;
begin
  Result := TThread.ProcessorCount;
  if Result < 1 then
    Result := 1;
end;

{ ---- Indy helpers --------------------------------------------------------- }

function DecodeHTTPCommand(const ACmd: string): THTTPCommandType;
var
  I: Integer;
begin
  Result := hcUnknown;
  for I := Ord(Low(THTTPCommandType)) + 1 to Ord(High(THTTPCommandType)) do
    if ACmd = HTTPRequestStrings[I] then
    begin
      Result := THTTPCommandType(I);
      Exit;
    end;
end;

function ToUTC(const Value: TDateTime): TDateTime;
begin
  {$ifdef FPC}
  Result := LocalTimeToUniversal(Value);
  {$else}
  Result := TTimeZone.Local.ToUniversalTime(Value);
  {$endif}
end;

const
  DayNames: array[1..7] of string = ('Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat');
  MonthNames: array[1..12] of string = ('Jan', 'Feb', 'Mar', 'Apr', 'May',
    'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec');

function GMTStr(const Value: TDateTime; Sep: Char): string;
var
  U: TDateTime;
  Y, M, D, HH, MM, SS, MS: Word;
begin
  U := ToUTC(Value);
  DecodeDate(U, Y, M, D);
  DecodeTime(U, HH, MM, SS, MS);
  Result := Format('%s, %.2d%s%s%s%.4d %.2d:%.2d:%.2d GMT', [DayNames[DayOfWeek(U)],
    D, Sep, MonthNames[M], Sep, Y, HH, MM, SS]);
end;

function LocalDateTimeToHttpStr(const Value: TDateTime): string;
begin
  Result := GMTStr(Value, ' ');
end;

function LocalDateTimeToCookieStr(const Value: TDateTime): string;
begin
  Result := GMTStr(Value, '-');
end;

{ %XX and (APlus) '+' decoded; the bytes are UTF-8; a bad escape stays. }
function PercentDecode(const ASrc: string; APlus: Boolean): string;
begin
  Result := IocpWsPercentDecode(U8(ASrc), APlus);
end;

function TIdURI_URLDecode(const ASrc: string): string;
begin
  Result := PercentDecode(ASrc, True);
end;

function Base64Decode(const S: string): RawByteString; {$ifdef HASINLINE} inline; {$endif}
begin
  Result := IocpWsDecodeBase64(S);
end;

{ ---- TIdHeaderList -------------------------------------------------------- }

constructor TIdHeaderList.Create;
begin
  inherited Create;
  NameValueSeparator := ':';
end;

function TIdHeaderList.IndexOfName(const AName: string): Integer;
begin
  Result := IocpWsIndexOfHeader(Self, AName);
end;

function TIdHeaderList.GetNameAndValue(AIndex: Integer; out VName, VValue: string): Boolean;
begin
  Result := IocpWsSplitHeader(Strings[AIndex], VName, VValue);
end;

function TIdHeaderList.GetHeaderValue(const AName: string): string;
var
  I: Integer;
  N: string;
begin
  I := IndexOfName(AName);
  Result := '';
  if I >= 0 then
    GetNameAndValue(I, N, Result);
end;

procedure TIdHeaderList.SetHeaderValue(const AName, AValue: string);
var
  I: Integer;
begin
  I := IndexOfName(AName);
  if AValue = '' then
  begin
    while I >= 0 do
    begin
      Delete(I);
      I := IndexOfName(AName);
    end;
  end
  else if I >= 0 then
    Strings[I] := AName + ': ' + AValue
  else
    Add(AName + ': ' + AValue);
end;

procedure TIdHeaderList.AddValue(const AName, AValue: string);
begin
  Add(AName + ': ' + AValue);
end;

procedure TIdHeaderList.Extract(const AName: string; ADest: TStrings);
var
  I: Integer;
  N, V: string;
begin
  for I := 0 to Count - 1 do
    if GetNameAndValue(I, N, V) and SameText(N, AName) then
      ADest.Add(V);
end;

{ ---- sockets --------------------------------------------------------------- }

constructor TIdSocketHandle.Create(ACollection: TCollection);
begin
  inherited Create(ACollection);
  FUseNagle := True;
  FIPVersion := ID_DEFAULT_IP_VERSION;
  if ACollection is TIdSocketHandles then
    FPort := TIdSocketHandles(ACollection).DefaultPort;
end;

procedure TIdSocketHandle.Assign(Source: TPersistent);
var
  S: TIdSocketHandle;
begin
  if Source is TIdSocketHandle then
  begin
    S := TIdSocketHandle(Source);
    FIP := S.FIP;
    FPort := S.FPort;
    FIPVersion := S.FIPVersion;
    FReuseSocket := S.FReuseSocket;
    FUseNagle := S.FUseNagle;
    FBroadcastEnabled := S.FBroadcastEnabled;
    FClientPortMin := S.FClientPortMin;
    FClientPortMax := S.FClientPortMax;
  end
  else
    inherited Assign(Source);
end;

constructor TIdSocketHandles.Create(AOwner: TComponent);
begin
  inherited Create(AOwner, TIdSocketHandle);
end;

function TIdSocketHandles.Add: TIdSocketHandle;
begin
  Result := TIdSocketHandle(inherited Add);
end;

function TIdSocketHandles.GetItem(Index: Integer): TIdSocketHandle;
begin
  Result := TIdSocketHandle(inherited Items[Index]);
end;

procedure TIdSocketHandles.SetItem(Index: Integer; const Value: TIdSocketHandle);
begin
  inherited Items[Index] := Value;
end;

{ ---- connection ------------------------------------------------------------ }

destructor TIdIOHandlerSocket.Destroy;
begin
  FBinding.Free;
  inherited Destroy;
end;

procedure TIdIOHandlerSocket.Write(const AOut: string);
var
  B: RawByteString;
begin
  B := U8(AOut);
  if (B <> '') and (FContext.FResponse <> nil) then
    FContext.FResponse.AppendRaw(PAnsiChar(B)^, Length(B));
end;

procedure TIdIOHandlerSocket.Write(const ABuffer: TIdBytes);
begin
  if (Length(ABuffer) > 0) and (FContext.FResponse <> nil) then
    FContext.FResponse.AppendRaw(ABuffer[0], Length(ABuffer));
end;

procedure TIdIOHandlerSocket.Write(AStream: TStream; ASize: Int64);
var
  B: TIdBytes;
begin
  if ASize <= 0 then
  begin
    if ASize < 0 then
      AStream.Position := 0;
    ASize := AStream.Size - AStream.Position;
  end;
  SetLength(B, ASize);
  if ASize > 0 then
    AStream.ReadBuffer(B[0], ASize);
  Write(B);
end;

procedure TIdIOHandlerSocket.WriteLn(const AOut: string);
begin
  Write(AOut + #13#10);
end;

function TIdIOHandlerSocket.Connected: Boolean;
begin
  Result := FContext.FConnection.Connected;
end;

destructor TIdTCPConnection.Destroy;
begin
  FSocket.Free;
  inherited Destroy;
end;

function TIdTCPConnection.Connected: Boolean;
var
  Buf: array[0..IWS_ADDRESS_SIZE - 1] of AnsiChar;
  H: piws_server;
begin
  H := FContext.FServer.FHandle;
  Result := (H <> nil) and not FContext.FGone and
    (iws_conn_peer(H, FContext.FId, @Buf[0], SizeOf(Buf), nil) = IWS_OK);
end;

procedure TIdTCPConnection.Disconnect;
var
  H: piws_server;
begin
  if FContext.FResponse <> nil then
    FContext.FResponse.CloseConnection := True
  else
  begin
    H := FContext.FServer.FHandle;
    if H <> nil then
      iws_disconnect(H, FContext.FId);
  end;
end;

{ ---- TIdContext ------------------------------------------------------------- }

constructor TIdContext.Create(AServer: TIdCustomHTTPServer; AId: iws_conn_id);
var
  Buf: array[0..IWS_ADDRESS_SIZE - 1] of AnsiChar;
  P: UInt32;
begin
  inherited Create;
  FServer := AServer;
  FId := AId;
  FConnection := TIdTCPConnection.Create;
  FConnection.FContext := Self;
  FConnection.FSocket := TIdIOHandlerSocket.Create;
  FConnection.FSocket.FContext := Self;
  FConnection.FSocket.FBinding := TIdSocketHandle.Create(nil);
  with FConnection.FSocket.FBinding do
  begin
    FIP := AServer.FBoundIP;
    FPort := AServer.FBoundPort;
    { several Bindings: the one whose listener accepted the connection }
    if AServer.FMulti and (iws_conn_listener(AServer.FHandle, AId, P) = IWS_OK) and
      (Integer(P) < AServer.FBindings.Count) then
    begin
      FIP := AServer.FBindings[P].IP;
      FPort := AServer.FBindings[P].Port;
      FIPVersion := AServer.FBindings[P].IPVersion;
      if FIP = '' then
        if FIPVersion = Id_IPv6 then
          FIP := '::'
        else
          FIP := '0.0.0.0';
    end;
    { the local end the client reached (iws_conn_local), where the engine
      can tell; else the binding's address }
    P := 0;
    if (iws_conn_local(AServer.FHandle, AId, @Buf[0], SizeOf(Buf), @P) = IWS_OK)
      and (Buf[0] <> #0) then
    begin
      FIP := string(AnsiString(PAnsiChar(@Buf[0])));
      FPort := P;
    end;
    if Pos(':', FIP) > 0 then
      FIPVersion := Id_IPv6;
    P := 0;
    if iws_conn_peer(AServer.FHandle, AId, @Buf[0], SizeOf(Buf), @P) = IWS_OK then
    begin
      FPeerIP := string(AnsiString(PAnsiChar(@Buf[0])));
      FPeerPort := P;
    end;
  end;
end;

destructor TIdContext.Destroy;
begin
  FPostStream.Free; { a body cut short: the connection ended }
  FOpened.Free;
  FConnection.Free;
  inherited Destroy;
end;

function TIdContext.GetBinding: TIdSocketHandle;
begin
  Result := FConnection.FSocket.FBinding;
end;

function TIdContext.WebSocketSend(const AText: string): Boolean;
var
  B: RawByteString;
  H: piws_server;
begin
  H := FServer.FHandle;
  B := U8(AText);
  Result := (H <> nil) and (iws_send_text(H, FId, PAnsiChar(B), Length(B)) = IWS_OK);
end;

function TIdContext.WebSocketSend(const AData: TIdBytes): Boolean;
var
  H: piws_server;
begin
  H := FServer.FHandle;
  Result := (H <> nil) and (iws_send_binary(H, FId, Pointer(AData), Length(AData)) = IWS_OK);
end;

function TIdContext.WebSocketPing(const AText: string): Boolean;
var
  B: RawByteString;
  H: piws_server;
begin
  H := FServer.FHandle;
  B := U8(AText);
  Result := (H <> nil) and (iws_ping(H, FId, PAnsiChar(B), Length(B)) = IWS_OK);
end;

function TIdContext.WebSocketClose(ACode: Integer; const AReason: string): Boolean;
var
  B: RawByteString;
  H: piws_server;
begin
  H := FServer.FHandle;
  B := U8(AReason);
  Result := (H <> nil) and (iws_close(H, FId, ACode, PAnsiChar(B), Length(B)) = IWS_OK);
end;

{ ---- cookies ----------------------------------------------------------------- }

constructor TIdCookie.Create(ACollection: TCollection);
begin
  inherited Create(ACollection);
  FMaxAge := -1;
  FCreatedAt := Now;
end;

procedure TIdCookie.Assign(Source: TPersistent);
var
  S: TIdCookie;
begin
  if Source is TIdCookie then
  begin
    S := TIdCookie(Source);
    FDomain := S.FDomain;
    FExpires := S.FExpires;
    FHttpOnly := S.FHttpOnly;
    FName := S.FName;
    FPath := S.FPath;
    FSecure := S.FSecure;
    FValue := S.FValue;
    FMaxAge := S.FMaxAge;
    FSameSite := S.FSameSite;
    FCreatedAt := S.FCreatedAt;
  end
  else
    inherited Assign(Source);
end;

function TIdCookie.GetClientCookie: string;
begin
  Result := FName + '=' + FValue;
end;

function TIdCookie.GetServerCookie: string;
begin
  Result := FName + '=' + FValue;
  if FPath <> '' then
    Result := Result + '; Path=' + FPath;
  if FDomain <> '' then
    Result := Result + '; Domain=' + FDomain;
  if FSecure then
    Result := Result + '; Secure';
  if FHttpOnly then
    Result := Result + '; HttpOnly';
  if FMaxAge >= 0 then
    Result := Result + '; Max-Age=' + IntToStr(FMaxAge);
  if FExpires <> 0.0 then
    Result := Result + '; Expires=' + LocalDateTimeToCookieStr(FExpires);
  if FSameSite <> '' then
    Result := Result + '; SameSite=' + FSameSite;
end;

function TIdCookie.GetIsExpired: Boolean;
begin
  Result := (FExpires <> 0.0) and (FExpires < Now);
end;

function TIdCookie.ParseClientCookie(const ACookieText: string): Boolean;
var
  P: Integer;
begin
  P := Pos('=', ACookieText);
  Result := P > 1;
  if Result then
  begin
    FName := Trim(Copy(ACookieText, 1, P - 1));
    FValue := Trim(Copy(ACookieText, P + 1, MaxInt));
    if (Length(FValue) >= 2) and (FValue[1] = '"') and (FValue[Length(FValue)] = '"') then
      FValue := Copy(FValue, 2, Length(FValue) - 2);
  end;
end;

constructor TIdCookies.Create(AOwner: TPersistent);
begin
  inherited Create(AOwner, TIdCookie);
end;

function TIdCookies.Add: TIdCookie;
begin
  Result := TIdCookie(inherited Add);
end;

function TIdCookies.GetCookie(Index: Integer): TIdCookie;
begin
  Result := TIdCookie(inherited Items[Index]);
end;

procedure TIdCookies.SetCookie(Index: Integer; const Value: TIdCookie);
begin
  inherited Items[Index] := Value;
end;

function TIdCookies.AddClientCookie(const ACookie: string): TIdCookie;
begin
  Result := Add;
  if not Result.ParseClientCookie(ACookie) then
    FreeAndNil(Result);
end;

procedure TIdCookies.AddClientCookies(const ACookie: string);
var
  S, Piece: string;
  P: Integer;
begin
  S := ACookie;
  while S <> '' do
  begin
    P := Pos(';', S);
    if P = 0 then
      P := Length(S) + 1;
    Piece := Trim(Copy(S, 1, P - 1));
    System.Delete(S, 1, P);
    if Piece <> '' then
      AddClientCookie(Piece);
  end;
end;

procedure TIdCookies.AddClientCookies(const ACookies: TStrings);
var
  I: Integer;
begin
  for I := 0 to ACookies.Count - 1 do
    AddClientCookies(ACookies[I]);
end;

function TIdCookies.GetCookieIndex(const AName: string; FirstIndex: Integer): Integer;
var
  I: Integer;
begin
  for I := FirstIndex to Count - 1 do
    if Cookies[I].CookieName = AName then
      Exit(I);
  Result := -1;
end;

function TIdCookies.GetCookieIndex(const AName, ADomain: string; FirstIndex: Integer): Integer;
var
  I: Integer;
begin
  for I := FirstIndex to Count - 1 do
    if (Cookies[I].CookieName = AName) and SameText(Cookies[I].Domain, ADomain) then
      Exit(I);
  Result := -1;
end;

function TIdCookies.GetCookieByNameAndDomain(const AName, ADomain: string): TIdCookie;
var
  I: Integer;
begin
  I := GetCookieIndex(AName, ADomain);
  if I >= 0 then
    Result := Cookies[I]
  else
    Result := nil;
end;

{ ---- ranges -------------------------------------------------------------- }

constructor TIdEntityRange.Create(Collection: TCollection);
begin
  inherited Create(Collection);
  FStartPos := -1;
  FEndPos := -1;
  FSuffixLength := -1;
end;

function TIdEntityRange.GetText: string;
begin
  if (FStartPos >= 0) or (FEndPos >= 0) then
  begin
    Result := '';
    if FStartPos >= 0 then
      Result := IntToStr(FStartPos);
    Result := Result + '-';
    if FEndPos >= 0 then
      Result := Result + IntToStr(FEndPos);
  end
  else if FSuffixLength >= 0 then
    Result := '-' + IntToStr(FSuffixLength)
  else
    Result := '';
end;

procedure TIdEntityRange.SetText(const AValue: string);
var
  S: string;
  P: Integer;
begin
  FStartPos := -1;
  FEndPos := -1;
  FSuffixLength := -1;
  S := Trim(AValue);
  P := Pos('-', S);
  if P = 0 then
    Exit;
  if P = 1 then
    FSuffixLength := StrToInt64Def(Copy(S, 2, MaxInt), -1)
  else
  begin
    FStartPos := StrToInt64Def(Trim(Copy(S, 1, P - 1)), -1);
    FEndPos := StrToInt64Def(Trim(Copy(S, P + 1, MaxInt)), -1);
  end;
end;

constructor TIdEntityRanges.Create(AOwner: TPersistent);
begin
  inherited Create(AOwner, TIdEntityRange);
  FUnits := 'bytes';
end;

function TIdEntityRanges.Add: TIdEntityRange;
begin
  Result := TIdEntityRange(inherited Add);
end;

function TIdEntityRanges.GetRange(Index: Integer): TIdEntityRange;
begin
  Result := TIdEntityRange(inherited Items[Index]);
end;

procedure TIdEntityRanges.SetRange(Index: Integer; AValue: TIdEntityRange);
begin
  inherited Items[Index] := AValue;
end;

function TIdEntityRanges.GetText: string;
var
  I: Integer;
begin
  Result := '';
  for I := 0 to Count - 1 do
  begin
    if Result <> '' then
      Result := Result + ',';
    Result := Result + Ranges[I].Text;
  end;
  if Result <> '' then
    Result := FUnits + '=' + Result;
end;

procedure TIdEntityRanges.SetText(const AValue: string);
var
  S, Piece: string;
  P: Integer;
begin
  Clear;
  S := Trim(AValue);
  P := Pos('=', S);
  if P > 0 then
  begin
    FUnits := Trim(Copy(S, 1, P - 1));
    System.Delete(S, 1, P);
  end;
  while S <> '' do
  begin
    P := Pos(',', S);
    if P = 0 then
      P := Length(S) + 1;
    Piece := Trim(Copy(S, 1, P - 1));
    System.Delete(S, 1, P);
    if Piece <> '' then
      Add.Text := Piece;
  end;
end;

{ ---- header info ------------------------------------------------------------ }

constructor TIdEntityHeaderInfo.Create(AOwner: TPersistent);
begin
  inherited Create;
  FRawHeaders := TIdHeaderList.Create;
  FCustomHeaders := TIdHeaderList.Create;
  Clear;
end;

destructor TIdEntityHeaderInfo.Destroy;
begin
  FRawHeaders.Free;
  FCustomHeaders.Free;
  inherited Destroy;
end;

procedure TIdEntityHeaderInfo.Clear;
begin
  FContentLength := -1;
  FHasContentLength := False;
  FContentRangeStart := -1;
  FContentRangeEnd := -1;
  FContentRangeInstanceLength := -1;
  FContentRangeUnits := '';
end;

procedure TIdEntityHeaderInfo.SetContentLength(const AValue: Int64);
begin
  FContentLength := AValue;
  FHasContentLength := AValue >= 0;
end;

procedure TIdEntityHeaderInfo.SetContentType(const AValue: string);
var
  P: Integer;
  L: string;
begin
  FContentType := AValue;
  L := LowerCase(AValue);
  P := Pos('charset=', L);
  if P > 0 then
  begin
    FCharSet := Trim(Copy(AValue, P + 8, MaxInt));
    P := Pos(';', FCharSet);
    if P > 0 then
      FCharSet := Copy(FCharSet, 1, P - 1);
    FCharSet := Trim(StringReplace(FCharSet, '"', '', [rfReplaceAll]));
  end;
end;

procedure TIdEntityHeaderInfo.SetCustomHeaders(const AValue: TIdHeaderList);
begin
  FCustomHeaders.Assign(AValue);
end;

function TIdEntityHeaderInfo.GetHasContentRange: Boolean;
begin
  Result := FContentRangeEnd >= 0;
end;

constructor TIdRequestHeaderInfo.Create(AOwner: TPersistent);
begin
  FRanges := TIdEntityRanges.Create(Self);
  inherited Create(AOwner);
end;

destructor TIdRequestHeaderInfo.Destroy;
begin
  FRanges.Free;
  inherited Destroy;
end;

function TIdRequestHeaderInfo.GetRange: string;
begin
  Result := FRanges.Text;
end;

procedure TIdRequestHeaderInfo.SetRange(const AValue: string);
begin
  FRanges.Text := AValue;
end;

procedure TIdRequestHeaderInfo.SetRanges(AValue: TIdEntityRanges);
begin
  FRanges.Assign(AValue);
end;

procedure TIdRequestHeaderInfo.ProcessHeaders;
var
  S: string;
begin
  FAccept := FRawHeaders.Values['Accept'];
  FAcceptCharSet := FRawHeaders.Values['Accept-Charset'];
  FAcceptEncoding := FRawHeaders.Values['Accept-Encoding'];
  FAcceptLanguage := FRawHeaders.Values['Accept-Language'];
  FExpect := FRawHeaders.Values['Expect'];
  FFrom := FRawHeaders.Values['From'];
  FReferer := FRawHeaders.Values['Referer'];
  FUserAgent := FRawHeaders.Values['User-Agent'];
  FHost := FRawHeaders.Values['Host'];
  FProxyConnection := FRawHeaders.Values['Proxy-Connection'];
  FMethodOverride := FRawHeaders.Values['X-HTTP-Method-Override'];
  FCacheControl := FRawHeaders.Values['Cache-Control'];
  FConnection := FRawHeaders.Values['Connection'];
  FContentDisposition := FRawHeaders.Values['Content-Disposition'];
  FContentEncoding := FRawHeaders.Values['Content-Encoding'];
  FContentLanguage := FRawHeaders.Values['Content-Language'];
  ContentType := FRawHeaders.Values['Content-Type'];
  FContentVersion := FRawHeaders.Values['Content-Version'];
  FPragma := FRawHeaders.Values['Pragma'];
  FTransferEncoding := FRawHeaders.Values['Transfer-Encoding'];
  FETag := FRawHeaders.Values['ETag'];
  S := FRawHeaders.Values['Content-Length'];
  if S <> '' then
    ContentLength := StrToInt64Def(S, -1);
  S := FRawHeaders.Values['Range'];
  if S <> '' then
    FRanges.Text := S;
end;

constructor TIdResponseHeaderInfo.Create(AOwner: TPersistent);
begin
  FProxyAuthenticate := TIdHeaderList.Create;
  FWWWAuthenticate := TIdHeaderList.Create;
  inherited Create(AOwner);
end;

destructor TIdResponseHeaderInfo.Destroy;
begin
  FProxyAuthenticate.Free;
  FWWWAuthenticate.Free;
  inherited Destroy;
end;

procedure TIdResponseHeaderInfo.SetProxyAuthenticate(const Value: TIdHeaderList);
begin
  FProxyAuthenticate.Assign(Value);
end;

procedure TIdResponseHeaderInfo.SetWWWAuthenticate(const Value: TIdHeaderList);
begin
  FWWWAuthenticate.Assign(Value);
end;

{ ---- request info --------------------------------------------------------- }

constructor TIdHTTPRequestInfo.Create(AOwner: TPersistent);
begin
  inherited Create(AOwner);
  FCookies := TIdCookies.Create(Self);
  FParams := TStringList.Create;
  FCommandType := hcUnknown;
  FVersion := 'HTTP/1.1';
  FVersionMajor := 1;
  FVersionMinor := 1;
end;

destructor TIdHTTPRequestInfo.Destroy;
begin
  FCookies.Free;
  FParams.Free;
  FPostStream.Free;
  inherited Destroy;
end;

function TIdHTTPRequestInfo.IsVersionAtLeast(const AMajor, AMinor: Integer): Boolean;
begin
  Result := (FVersionMajor > AMajor) or ((FVersionMajor = AMajor) and (FVersionMinor >= AMinor));
end;

procedure TIdHTTPRequestInfo.DecodeAndSetParams(const AValue: string);
var
  S, Piece: string;
  P: Integer;
begin
  FParams.BeginUpdate;
  try
    FParams.Clear;
    S := AValue;
    while S <> '' do
    begin
      P := Pos('&', S);
      if P = 0 then
        P := Length(S) + 1;
      Piece := Copy(S, 1, P - 1);
      System.Delete(S, 1, P);
      if Piece <> '' then
        FParams.Add(PercentDecode(Piece, True));
    end;
  finally
    FParams.EndUpdate;
  end;
end;

{ ---- response info ---------------------------------------------------------- }

constructor TIdHTTPResponseInfo.Create(AServer: TIdCustomHTTPServer;
  ARequestInfo: TIdHTTPRequestInfo; AConnection: TIdTCPConnection);
begin
  inherited Create(AServer);
  FHTTPServer := AServer;
  FRequestInfo := ARequestInfo;
  FConnection := AConnection;
  FCookies := TIdCookies.Create(Self);
  FFreeContentStream := True;
  ResponseNo := GResponseNo;
  FContentType := '';
  if AServer <> nil then
    FServer := AServer.ServerSoftware;
  FCloseConnection := (AServer <> nil) and not AServer.KeepAlive;
end;

destructor TIdHTTPResponseInfo.Destroy;
begin
  ReleaseContentStream;
  FCookies.Free;
  FExtra.Free;
  inherited Destroy;
end;

procedure TIdHTTPResponseInfo.ReleaseContentStream;
begin
  if FFreeContentStream then
    FreeAndNil(FContentStream)
  else
    FContentStream := nil;
end;

procedure TIdHTTPResponseInfo.SetCookies(const AValue: TIdCookies);
begin
  FCookies.Assign(AValue);
end;

procedure TIdHTTPResponseInfo.SetCloseConnection(const Value: Boolean);
begin
  FCloseConnection := Value;
end;

function TIdHTTPResponseInfo.GetServer: string;
begin
  Result := FServer;
end;

procedure TIdHTTPResponseInfo.SetServer(const Value: string);
begin
  FServer := Value;
end;

procedure TIdHTTPResponseInfo.SetResponseNo(const AValue: Integer);
begin
  FResponseNo := AValue;
  case AValue of
    100: FResponseText := 'Continue';
    101: FResponseText := 'Switching Protocols';
    200: FResponseText := 'OK';
    201: FResponseText := 'Created';
    202: FResponseText := 'Accepted';
    203: FResponseText := 'Non-authoritative Information';
    204: FResponseText := 'No Content';
    205: FResponseText := 'Reset Content';
    206: FResponseText := 'Partial Content';
    301: FResponseText := 'Moved Permanently';
    302: FResponseText := 'Moved Temporarily';
    303: FResponseText := 'See Other';
    304: FResponseText := 'Not Modified';
    305: FResponseText := 'Use Proxy';
    307: FResponseText := 'Temporary Redirect';
    308: FResponseText := 'Permanent Redirect';
    400: FResponseText := 'Bad Request';
    401: FResponseText := 'Unauthorized';
    403: FResponseText := 'Forbidden';
    404: FResponseText := 'Not Found';
    405: FResponseText := 'Method not allowed';
    406: FResponseText := 'Not Acceptable';
    407: FResponseText := 'Proxy Authentication Required';
    408: FResponseText := 'Request Timeout';
    409: FResponseText := 'Conflict';
    410: FResponseText := 'Gone';
    411: FResponseText := 'Length Required';
    412: FResponseText := 'Precondition Failed';
    413: FResponseText := 'Request Entity Too Long';
    414: FResponseText := 'Request-URI Too Long';
    415: FResponseText := 'Unsupported Media Type';
    416: FResponseText := 'Requested Range Not Satisfiable';
    417: FResponseText := 'Expectation Failed';
    429: FResponseText := 'Too Many Requests';
    500: FResponseText := 'Internal Server Error';
    501: FResponseText := 'Not Implemented';
    502: FResponseText := 'Bad Gateway';
    503: FResponseText := 'Service Unavailable';
    504: FResponseText := 'Gateway timeout';
    505: FResponseText := 'HTTP version not supported';
  else
    FResponseText := 'Unknown Response Code';
  end;
end;

procedure TIdHTTPResponseInfo.AppendRaw(const AData; ALen: Integer);
begin
  if FStreaming then
  begin
    StreamOut(AData, ALen);
    Exit;
  end;
  if FExtra = nil then
    FExtra := TMemoryStream.Create;
  FExtra.WriteBuffer(AData, ALen);
  FHeaderHasBeenWritten := True;
end;

procedure TIdHTTPResponseInfo.CloseSession;
var
  I: Integer;
  C: TIdCookie;
begin
  I := Cookies.GetCookieIndex(FHTTPServer.SessionIDCookieName);
  while I > -1 do
  begin
    Cookies.Delete(I);
    I := Cookies.GetCookieIndex(FHTTPServer.SessionIDCookieName, I);
  end;
  C := Cookies.Add;
  C.CookieName := FHTTPServer.SessionIDCookieName;
  C.Expires := Date - 7;
  if FSession <> nil then
    FHTTPServer.EndSession(FSession.SessionID);
  FSession := nil;
  if FRequestInfo <> nil then
    FRequestInfo.FSession := nil;
end;

procedure TIdHTTPResponseInfo.Redirect(const AURL: string);
begin
  ResponseNo := 302;
  Location := AURL;
end;

procedure TIdHTTPResponseInfo.WriteHeader;
var
  rc: Integer;
begin
  if FHeaderHasBeenWritten then
    raise EIdHTTPHeaderAlreadyWritten.Create('HTTP header already written');
  FHeaderHasBeenWritten := True;
  if FStreamH = nil then
    Exit; { outside a handler's job: nothing to send to }
  ApplyResponse(Self, FStreamH, FIsHead, True);
  rc := iws_http_send_head(FStreamH);
  if rc <> IWS_OK then
    raise EIdHTTPServerError.Create('the response head was not sent: ' + IocpWsErrorText(rc));
  FStreaming := True;
  if FExtra <> nil then
    FreeAndNil(FExtra);
end;

procedure TIdHTTPResponseInfo.WriteContent;
var
  CS: string;
  B: RawByteString;
begin
  if not FHeaderHasBeenWritten then
    WriteHeader;
  FContentWritten := True;
  if not FStreaming then
    Exit;
  { Indy's WriteContent: ContentText in CharSet, else ContentStream }
  if FContentText <> '' then
  begin
    CS := FCharSet;
    if CS = '' then
      CS := 'utf-8';
    B := CharsetBytes(FContentText, CS);
    if B <> '' then
      StreamOut(PAnsiChar(B)^, Length(B));
  end
  else if FContentStream <> nil then
    IocpWsStreamContent(FContentStream, StreamOut);
end;

{ a streamed body's bytes (iocpws.common's IocpWsStreamOut): while the
  send queue is full (a slow client) the handler sleeps until the client
  has read, as Indy's blocking write waits (without a limit, as Indy's
  default; a client that goes away, or Active := False, ends the wait with
  an error). }
procedure TIdHTTPResponseInfo.StreamOut(const AData; ALen: Integer);
var
  rc: Integer;
begin
  rc := IocpWsStreamOut(FStreamH, AData, ALen, False);
  if rc <> IWS_OK then
    raise EIdHTTPServerError.Create('the response content was not sent: ' + IocpWsErrorText(rc));
end;

function FileSizeOf(const AFile: string): Int64;
var
  R: TSearchRec;
begin
  Result := -1;
  if FindFirst(AFile, faAnyFile, R) = 0 then
  begin
    if (R.Attr and faDirectory) = 0 then
      Result := R.Size;
    FindClose(R);
  end;
end;

function TIdHTTPResponseInfo.ServeFile(AContext: TIdContext; const AFile: string): Int64;
begin
  if FContentType = '' then
    ContentType := FHTTPServer.MIMETable.GetFileMIMEType(AFile);
  Result := FileSizeOf(AFile);
  if Result < 0 then
    raise EFOpenError.CreateFmt('Cannot open file "%s"', [AFile]);
  ReleaseContentStream;
  FContentText := '';
  FContentLength := Result;
  FFileName := AFile;
end;

{ a file's modification time in Unix seconds, as the engine reads it for
  its ETag (FileAge rounds to 2 s on Windows); -1 if it cannot be read }
function FileMTimeUnix(const AFile: string): Int64;
{$ifdef OSWINDOWS}
var
  D: TIdFileAttributeData;
  W: UnicodeString;
  T: Int64;
begin
  Result := -1;
  W := UnicodeString(AFile);
  if GetFileAttributesExW(PWideChar(W), 0 { GetFileExInfoStandard }, @D) then
  begin
    T := (Int64(D.ftLastWriteTime.High) shl 32) or D.ftLastWriteTime.Low;
    Result := T div 10000000 - 11644473600;
  end;
end;
{$else}
{$ifdef FPC}
var
  St: Stat;
begin
  if fpStat(RawByteString(U8(AFile)), St) = 0 then
    Result := St.st_mtime
  else
    Result := -1;
end;
{$else}
var
  DT: TDateTime;
begin
  if FileAge(AFile, DT) then
    Result := DateTimeToUnix(ToUTC(DT))
  else
    Result := -1;
end;
{$endif}
{$endif}

{ "Sun, 06 Nov 1994 08:49:37 GMT" (RFC 9110's preferred form) as Unix
  seconds; -1 if it is not one }
function HttpDateToUnix(const S: string): Int64;
var
  T: string;
  D, M, Y, HH, MM, SS, I: Integer;
begin
  Result := -1;
  T := Trim(S);
  if (Length(T) < 29) or (T[4] <> ',') then
    Exit;
  D := StrToIntDef(Copy(T, 6, 2), -1);
  M := 0;
  for I := 1 to 12 do
    if Copy(T, 9, 3) = MonthNames[I] then
      M := I;
  Y := StrToIntDef(Copy(T, 13, 4), -1);
  HH := StrToIntDef(Copy(T, 18, 2), -1);
  MM := StrToIntDef(Copy(T, 21, 2), -1);
  SS := StrToIntDef(Copy(T, 24, 2), -1);
  if (D < 1) or (D > 31) or (M = 0) or (Y < 1970) or (HH < 0) or (HH > 23) or
    (MM < 0) or (MM > 59) or (SS < 0) or (SS > 60) then
    Exit;
  Result := DateTimeToUnix(EncodeDate(Y, M, D) + EncodeTime(HH, MM, SS mod 60, 0));
end;

{ Indy's SmartServeFile answers If-Modified-Since (and here If-None-Match,
  with the engine's ETag) and a Range itself: the engine sees no request
  any more once a response is deferred. A single satisfiable range is read
  into the response (up to 64 MiB; a larger one gets the whole file);
  otherwise the file goes out whole through iws_http_serve_file. }
function TIdHTTPResponseInfo.SmartServeFile(AContext: TIdContext;
  ARequestInfo: TIdHTTPRequestInfo; const AFile: string): Int64;
const
  MaxRangeRead = 64 * 1024 * 1024;
var
  Size, MTime, Since, First, Last: Int64;
  DT: TDateTime;
  Tag, INM: string;
  R: TIdEntityRange;
  FS: TFileStream;
  MS: TMemoryStream;
begin
  Size := FileSizeOf(AFile);
  MTime := FileMTimeUnix(AFile);
  if (Size < 0) or (MTime < 0) then
  begin
    ResponseNo := 404;
    Result := 0;
    Exit;
  end;
  DT := UnixToDateTime(MTime);
  {$ifdef FPC}
  DT := UniversalTimeToLocal(DT);
  {$else}
  DT := TTimeZone.Local.ToLocalTime(DT);
  {$endif}
  Tag := 'W/"' + LowerCase(Format('%x-%x', [Size, MTime])) + '"'; { the engine's ETag }
  INM := ARequestInfo.RawHeaders.Values['If-None-Match'];
  Since := HttpDateToUnix(ARequestInfo.RawHeaders.Values['If-Modified-Since']);
  if ((INM <> '') and ((Pos(Tag, INM) > 0) or (Trim(INM) = '*'))) or
    ((INM = '') and (Since >= 0) and (MTime <= Since)) then
  begin
    ResponseNo := 304;
    ETag := Tag;
    Result := 0;
    Exit;
  end;
  if (ARequestInfo.CommandType = hcGET) and (ARequestInfo.Ranges.Count = 1) and
    SameText(ARequestInfo.Ranges.Units, 'bytes') then
  begin
    R := ARequestInfo.Ranges[0];
    if R.StartPos >= 0 then
    begin
      First := R.StartPos;
      Last := R.EndPos;
      if (Last < 0) or (Last >= Size) then
        Last := Size - 1;
    end
    else
    begin
      First := Size - R.SuffixLength;
      if First < 0 then
        First := 0;
      Last := Size - 1;
    end;
    if (R.StartPos < 0) and (R.SuffixLength <= 0) or (First >= Size) then
    begin
      ResponseNo := 416;
      CustomHeaders.Values['Content-Range'] := Format('bytes */%d', [Size]);
      Result := 0;
      Exit;
    end;
    if (First <= Last) and (Last - First + 1 <= MaxRangeRead) then
    begin
      if FContentType = '' then
        ContentType := FHTTPServer.MIMETable.GetFileMIMEType(AFile);
      MS := TMemoryStream.Create;
      try
        FS := TFileStream.Create(AFile, fmOpenRead or fmShareDenyWrite);
        try
          FS.Position := First;
          MS.CopyFrom(FS, Last - First + 1);
        finally
          FS.Free;
        end;
      except
        MS.Free;
        raise;
      end;
      ReleaseContentStream;
      FContentStream := MS;
      FFreeContentStream := True;
      FContentText := '';
      ResponseNo := 206;
      FContentRangeStart := First;
      FContentRangeEnd := Last;
      FContentRangeInstanceLength := Size;
      AcceptRanges := 'bytes';
      ETag := Tag;
      LastModified := DT;
      Result := Last - First + 1;
      Exit;
    end;
  end;
  Result := ServeFile(AContext, AFile);
end;

{ ---- MIME table ------------------------------------------------------------- }

constructor TIdThreadSafeMimeTable.Create(const AutoFill: Boolean);
begin
  inherited Create;
  FLock := TCriticalSection.Create;
  FTable := TStringList.Create;
  FTable.Sorted := True;
  FTable.Duplicates := dupIgnore;
  FLoadTypesFromOS := True;
  if AutoFill then
    BuildCache;
end;

destructor TIdThreadSafeMimeTable.Destroy;
begin
  FTable.Free;
  FLock.Free;
  inherited Destroy;
end;

procedure TIdThreadSafeMimeTable.BuildCache;
const
  Builtin: array[0..33] of string = (
    '.htm=text/html', '.html=text/html', '.css=text/css', '.js=text/javascript',
    '.mjs=text/javascript', '.json=application/json', '.xml=text/xml',
    '.txt=text/plain', '.csv=text/csv', '.png=image/png', '.jpg=image/jpeg',
    '.jpeg=image/jpeg', '.gif=image/gif', '.svg=image/svg+xml',
    '.ico=image/x-icon', '.webp=image/webp', '.bmp=image/bmp',
    '.pdf=application/pdf', '.zip=application/zip', '.gz=application/gzip',
    '.tar=application/x-tar', '.wasm=application/wasm', '.mp3=audio/mpeg',
    '.wav=audio/wav', '.ogg=audio/ogg', '.mp4=video/mp4', '.webm=video/webm',
    '.woff=font/woff', '.woff2=font/woff2', '.ttf=font/ttf', '.otf=font/otf',
    '.bin=application/octet-stream', '.exe=application/octet-stream',
    '.doc=application/msword');
var
  I: Integer;
begin
  FLock.Enter;
  try
    for I := Low(Builtin) to High(Builtin) do
      FTable.Add(Builtin[I]);
  finally
    FLock.Leave;
  end;
  if Assigned(FOnBuildCache) then
    FOnBuildCache(Self);
end;

procedure TIdThreadSafeMimeTable.AddMimeType(const Ext, MIMEType: string;
  const ARaiseOnError: Boolean);
var
  E: string;
begin
  E := LowerCase(Ext);
  if (E <> '') and (E[1] <> '.') then
    E := '.' + E;
  if (E = '') or (MIMEType = '') then
  begin
    if ARaiseOnError then
      raise EIdException.Create('MIME type or extension empty');
    Exit;
  end;
  FLock.Enter;
  try
    if FTable.IndexOfName(E) >= 0 then
    begin
      if ARaiseOnError then
        raise EIdException.Create('MIME type already defined: ' + E);
      Exit;
    end;
    FTable.Add(E + '=' + LowerCase(MIMEType));
  finally
    FLock.Leave;
  end;
end;

function TIdThreadSafeMimeTable.GetFileMIMEType(const AFileName: string): string;
begin
  FLock.Enter;
  try
    Result := FTable.Values[LowerCase(ExtractFileExt(AFileName))];
  finally
    FLock.Leave;
  end;
  if Result = '' then
    Result := 'application/octet-stream';
end;

function TIdThreadSafeMimeTable.GetDefaultFileExt(const MIMEType: string): string;
var
  I: Integer;
begin
  Result := '';
  FLock.Enter;
  try
    for I := 0 to FTable.Count - 1 do
      if SameText(FTable.ValueFromIndex[I], MIMEType) then
      begin
        Result := FTable.Names[I];
        Break;
      end;
  finally
    FLock.Leave;
  end;
end;

procedure TIdThreadSafeMimeTable.LoadFromStrings(const AStrings: TStrings; const MimeSeparator: Char);
var
  I, P: Integer;
begin
  for I := 0 to AStrings.Count - 1 do
  begin
    P := Pos(MimeSeparator, AStrings[I]);
    if P > 0 then
      AddMimeType(Copy(AStrings[I], 1, P - 1), Copy(AStrings[I], P + 1, MaxInt), False);
  end;
end;

procedure TIdThreadSafeMimeTable.SaveToStrings(const AStrings: TStrings; const MimeSeparator: Char);
var
  I: Integer;
begin
  FLock.Enter;
  try
    for I := 0 to FTable.Count - 1 do
      AStrings.Add(FTable.Names[I] + MimeSeparator + FTable.ValueFromIndex[I]);
  finally
    FLock.Leave;
  end;
end;

{ ---- the pool ------------------------------------------------------------------ }

type
  TIdIocpWorker = class(TThread)
  protected
    FPool: TIdIocpPool;
    procedure Execute; override;
  end;

  TIdIocpHousekeeper = class(TThread)
  protected
    FServer: TIdCustomHTTPServer;
    FWake: TEvent;
    procedure Execute; override;
  public
    destructor Destroy; override;
  end;

  TIdIocpStopper = class(TThread)
  protected
    FHandle: piws_server;
    procedure Execute; override;
  end;

procedure TIdIocpWorker.Execute;
var
  J: TIdIocpJob;
begin
  while not FPool.FTerminated do
  begin
    J := FPool.Pop;
    if J = nil then
    begin
      FPool.FWake.WaitFor(500);
      Continue;
    end;
    try
      J.Run;
    except
      { J.Run reports everything; nothing may end this thread }
    end;
    J.Free;
    FPool.Done;
  end;
end;

constructor TIdIocpPool.Create(ACount: Integer);
var
  I: Integer;
  W: TIdIocpWorker;
begin
  inherited Create;
  FLock := TCriticalSection.Create;
  FWake := TEvent.Create(nil, True, False, '');
  FQueue := TList.Create;
  FThreads := TList.Create;
  for I := 1 to ACount do
  begin
    W := TIdIocpWorker.Create(True);
    W.FPool := Self;
    W.FreeOnTerminate := False;
    FThreads.Add(W);
    W.Start;
  end;
end;

destructor TIdIocpPool.Destroy;
var
  I: Integer;
begin
  FTerminated := True;
  FWake.SetEvent;
  for I := 0 to FThreads.Count - 1 do
  begin
    TThread(FThreads[I]).WaitFor;
    TThread(FThreads[I]).Free;
  end;
  for I := 0 to FQueue.Count - 1 do
    TIdIocpJob(FQueue[I]).Free;
  FThreads.Free;
  FQueue.Free;
  FWake.Free;
  FLock.Free;
  inherited Destroy;
end;

procedure TIdIocpPool.Push(AJob: TIdIocpJob);
begin
  FLock.Enter;
  try
    FQueue.Add(AJob);
    Inc(FInFlight);
    FWake.SetEvent;
  finally
    FLock.Leave;
  end;
end;

function TIdIocpPool.Pop: TIdIocpJob;
begin
  FLock.Enter;
  try
    if FQueue.Count = 0 then
    begin
      FWake.ResetEvent;
      Result := nil;
    end
    else
    begin
      Result := TIdIocpJob(FQueue[0]);
      FQueue.Delete(0);
    end;
  finally
    FLock.Leave;
  end;
end;

procedure TIdIocpPool.Done;
begin
  FLock.Enter;
  Dec(FInFlight);
  FLock.Leave;
end;

function TIdIocpPool.InFlight: Integer;
begin
  FLock.Enter;
  Result := FInFlight;
  FLock.Leave;
end;

function TIdIocpPool.ThreadCount: Integer;
begin
  Result := FThreads.Count;
end;

procedure TIdIocpHousekeeper.Execute;
begin
  while not Terminated do
  begin
    FWake.WaitFor(250);
    if Terminated then
      Break;
    try
      FServer.Housekeep;
    except
    end;
  end;
end;

destructor TIdIocpHousekeeper.Destroy;
begin
  FWake.Free;
  inherited Destroy;
end;

procedure TIdIocpStopper.Execute;
begin
  iws_stop(FHandle);
end;

{ ---- the response onto the engine -------------------------------------------- }

function CharsetBytes(const AText, ACharSet: string): RawByteString;
var
  C: string;
  I: Integer;
  W: UnicodeString;
begin
  C := LowerCase(ACharSet);
  if (C = 'iso-8859-1') or (C = 'us-ascii') or (C = 'latin1') then
  begin
    {$ifdef IDIOCP_UNICODE}
    W := AText;
    {$else}
    W := UTF8Decode(U8(AText));
    {$endif}
    SetLength(Result, Length(W));
    for I := 1 to Length(W) do
      if Ord(W[I]) < 256 then
        Result[I] := AnsiChar(Ord(W[I]))
      else
        Result[I] := '?';
  end
  else
    Result := U8(AText);
end;

procedure ApplyResponse(R: TIdHTTPResponseInfo; H: piws_http_response;
  IsHead: Boolean; AStream: Boolean);
var
  I, rc: Integer;
  Body, Reason, PathU: RawByteString;
  B: TIdBytes;
  N, V, CT, CS: string;
  NoBody, HaveBody: Boolean;

  procedure Hdr(const AName, AValue: string);
  var
    HN, HV: RawByteString;
    r: Integer;
  begin
    HN := U8(AName);
    HV := U8(AValue);
    r := iws_http_add_header(H, PAnsiChar(HN), PAnsiChar(HV));
    if r <> IWS_OK then
      raise EIdHTTPServerError.CreateFmt('the response header "%s: %s" was refused: %s',
        [AName, AValue, IocpWsErrorText(r)]);
  end;

begin
  { Indy's WriteHeader: AuthRealm makes a 401 }
  if R.AuthRealm <> '' then
  begin
    R.ResponseNo := 401;
    if (R.ContentText = '') and (R.ContentStream = nil) and (R.FFileName = '') then
    begin
      R.ContentType := 'text/html; charset=utf-8';
      R.ContentText := '<HTML><BODY><B>' + IntToStr(R.ResponseNo) + ' ' +
        R.ResponseText + '</B></BODY></HTML>';
    end;
  end;
  NoBody := (R.ResponseNo div 100 = 1) or (R.ResponseNo = 204) or (R.ResponseNo = 304);
  HaveBody := (R.ContentText <> '') or (R.ContentStream <> nil) or (R.FExtra <> nil);
  CS := R.CharSet;
  if CS = '' then
    CS := 'utf-8';
  CT := R.ContentType;
  if (CT = '') and (HaveBody or (R.FFileName = '')) and not NoBody then
  begin
    if not HaveBody and not AStream then
    begin
      { Indy's default body: "<HTML><BODY><B>200 OK</B></BODY></HTML>" }
      R.ContentText := '<HTML><BODY><B>' + IntToStr(R.ResponseNo) + ' ' +
        R.ResponseText + '</B></BODY></HTML>';
      CS := 'utf-8';
    end;
    CT := 'text/html; charset=' + CS;
  end
  else if (CT <> '') and (R.CharSet <> '') and (Pos('charset=', LowerCase(CT)) = 0) then
    CT := CT + '; charset=' + R.CharSet;
  if (CT <> '') and not NoBody then
    Hdr('Content-Type', CT);
  if R.Server <> '' then
    Hdr('Server', R.Server);
  if R.Date > 0 then
    Hdr('Date', LocalDateTimeToHttpStr(R.Date));
  if R.Expires > 0 then
    Hdr('Expires', LocalDateTimeToHttpStr(R.Expires));
  if R.LastModified > 0 then
    Hdr('Last-Modified', LocalDateTimeToHttpStr(R.LastModified));
  if R.ETag <> '' then
    Hdr('ETag', R.ETag);
  if R.CacheControl <> '' then
    Hdr('Cache-Control', R.CacheControl);
  if R.Pragma <> '' then
    Hdr('Pragma', R.Pragma);
  if R.Location <> '' then
    Hdr('Location', R.Location);
  if R.ContentDisposition <> '' then
    Hdr('Content-Disposition', R.ContentDisposition);
  if R.ContentEncoding <> '' then
    Hdr('Content-Encoding', R.ContentEncoding);
  if R.ContentLanguage <> '' then
    Hdr('Content-Language', R.ContentLanguage);
  if R.ContentVersion <> '' then
    Hdr('Content-Version', R.ContentVersion);
  if R.AcceptRanges <> '' then
    Hdr('Accept-Ranges', R.AcceptRanges);
  if R.AcceptPatch <> '' then
    Hdr('Accept-Patch', R.AcceptPatch);
  if R.HasContentRange then
    if R.ContentRangeInstanceLength >= 0 then
      Hdr('Content-Range', Format('bytes %d-%d/%d', [R.ContentRangeStart,
        R.ContentRangeEnd, R.ContentRangeInstanceLength]))
    else
      Hdr('Content-Range', Format('bytes %d-%d/*', [R.ContentRangeStart, R.ContentRangeEnd]));
  if R.WWWAuthenticate.Count > 0 then
  begin
    for I := 0 to R.WWWAuthenticate.Count - 1 do
      Hdr('WWW-Authenticate', R.WWWAuthenticate[I]);
  end
  else if R.AuthRealm <> '' then
    Hdr('WWW-Authenticate', 'Basic realm="' + R.AuthRealm + '"');
  for I := 0 to R.ProxyAuthenticate.Count - 1 do
    Hdr('Proxy-Authenticate', R.ProxyAuthenticate[I]);
  for I := 0 to R.Cookies.Count - 1 do
    Hdr('Set-Cookie', R.Cookies[I].ServerCookie);
  for I := 0 to R.CustomHeaders.Count - 1 do
    if R.CustomHeaders.GetNameAndValue(I, N, V) and (N <> '') then
      Hdr(N, V);
  if R.CloseConnection then
    Hdr('Connection', 'close');
  if AStream then
  begin
    { WriteHeader: the status and headers now, the body as it is written }
    Reason := U8(R.ResponseText);
    rc := iws_http_set_status(H, R.ResponseNo, PAnsiChar(Reason));
    if rc <> IWS_OK then
      raise EIdHTTPServerError.CreateFmt('ResponseNo %d was refused: %s',
        [R.ResponseNo, IocpWsErrorText(rc)]);
    Exit;
  end;
  { the body }
  rc := IWS_OK;
  if R.FFileName <> '' then
  begin
    PathU := U8(R.FFileName);
    rc := iws_http_serve_file(H, PAnsiChar(PathU));
    if rc = IWS_E_FILE then
    begin
      R.ResponseNo := 404;
      Body := '<HTML><BODY><B>404 Not Found</B></BODY></HTML>';
      rc := iws_http_set_body(H, PAnsiChar(Body), Length(Body));
    end;
  end
  else if not NoBody then
  begin
    if R.ContentText <> '' then
      Body := CharsetBytes(R.ContentText, CS)
    else if R.ContentStream <> nil then
    begin
      SetLength(B, R.ContentStream.Size);
      R.ContentStream.Position := 0;
      if Length(B) > 0 then
        R.ContentStream.ReadBuffer(B[0], Length(B));
      SetString(Body, PAnsiChar(Pointer(B)), Length(B));
    end
    else
      Body := '';
    if R.FExtra <> nil then
    begin
      I := Length(Body);
      SetLength(Body, I + R.FExtra.Size);
      if R.FExtra.Size > 0 then
        Move(R.FExtra.Memory^, Body[I + 1], R.FExtra.Size);
    end;
    if Body <> '' then
      rc := iws_http_set_body(H, PAnsiChar(Body), Length(Body));
  end;
  if rc <> IWS_OK then
    raise EIdHTTPServerError.Create('the response body was refused: ' + IocpWsErrorText(rc));
  Reason := U8(R.ResponseText);
  rc := iws_http_set_status(H, R.ResponseNo, PAnsiChar(Reason));
  if rc <> IWS_OK then
    raise EIdHTTPServerError.CreateFmt('ResponseNo %d was refused: %s',
      [R.ResponseNo, IocpWsErrorText(rc)]);
  if IsHead then
    ; { the engine sends HEAD's headers without the body }
end;

{ ---- jobs --------------------------------------------------------------------- }

procedure TIdIocpJob.Run;
var
  S: TIdCustomHTTPServer;
begin
  S := Server;
  if Connect then
  begin
    try
      try
        S.ContextCreated(Context);
        S.DoConnect(Context);
      except
        on E: Exception do
          S.DoException(Context, E);
      end;
    finally
      { the connection's first request, if it came meanwhile, runs now }
      S.FLock.Enter;
      try
        Context.FOpening := False;
        if Context.FOpened <> nil then
          Context.FOpened.SetEvent; { an upgrade waits in WaitConnected }
        if Context.FWaiting <> nil then
          S.FPool.Push(TIdIocpJob(Context.FWaiting));
        Context.FWaiting := nil;
      finally
        S.FLock.Leave;
      end;
      S.ReleaseContext(Context);
    end;
    Exit;
  end;
  if Disconnect then
  begin
    try
      S.DoDisconnect(Context);
    finally
      Context.Free;
    end;
    Exit;
  end;
  try
    try
      if IsNew then
      begin
        S.ContextCreated(Context);
        S.DoConnect(Context);
      end;
      Resp.FStreamH := H;
      Resp.FIsHead := Req.CommandType = hcHEAD;
      S.HandleRequest(Context, Req, Resp);
    except
      on E: Exception do
        S.DoException(Context, E);
    end;
    try
      if Resp.FStreaming then
      begin
        { WriteHeader sent the head: the content not yet written follows }
        if not Resp.FContentWritten then
          Resp.WriteContent;
      end
      else
        ApplyResponse(Resp, H, Req.CommandType = hcHEAD, False);
    except
      on E: Exception do
      begin
        { the response as built cannot go out: a plain 500 }
        iws_http_set_status(H, 500, nil);
        iws_http_set_body(H, nil, 0);
        S.DoException(Context, E);
      end;
    end;
  finally
    iws_http_send(H); { releases the response whatever it returns }
    IocpWsReleaseHeld(S.FSessionList, Req.FHeldSession);
    FreeAndNil(Resp);
    FreeAndNil(Req);
    S.ReleaseContext(Context);
  end;
end;

{ ---- engine callbacks ------------------------------------------------------------ }

procedure HeadersOf(request: piws_request; L: TIdHeaderList); {$ifdef HASINLINE} inline; {$endif}
begin
  IocpWsReadHeaders(request, L);
end;


{ Version, VersionMajor, VersionMinor from the request line, as sent
  ("HTTP/1.0", "HTTP/1.1"; the engine serves no other plain HTTP) }
procedure SetRequestVersion(R: TIdHTTPRequestInfo; request: piws_request);
var
  V: string;
begin
  V := FromZ(iws_request_version(request));
  if (Length(V) <> 8) or (Copy(V, 1, 5) <> 'HTTP/') then
    Exit; { keeps the constructor's HTTP/1.1 }
  R.FVersion := V;
  R.FVersionMajor := Ord(V[6]) - Ord('0');
  R.FVersionMinor := Ord(V[8]) - Ord('0');
end;

procedure OnHttpRequestCb(server: piws_server; id: iws_conn_id;
  request: piws_request; response: piws_http_response; user: Pointer);
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
var
  S: TIdCustomHTTPServer;
  J: TIdIocpJob;
  Data: PByte;
  Len: UInt64;
  Q: string;
  Deferred: Boolean;
begin
  S := TIdCustomHTTPServer(user);
  J := nil;
  Deferred := False;
  try
    if S.FStopping or (S.FPool = nil) then
    begin
      iws_http_set_status(response, 503, nil);
      Exit;
    end;
    J := TIdIocpJob.Create;
    J.Server := S;
    J.H := response;
    J.Context := S.AcquireContext(id, J.IsNew);
    J.Req := TIdHTTPRequestInfo.Create(S);
    with J.Req do
    begin
      FCommand := FromZ(iws_request_method(request));
      FCommandType := DecodeHTTPCommand(FCommand);
      FURI := FromZ(iws_request_path(request));
      Q := FromZ(iws_request_query(request));
      FQueryParams := Q;
      if Pos('?', FURI) > 0 then
        FURI := Copy(FURI, 1, Pos('?', FURI) - 1);
      FDocument := FromZ(iws_request_document(request));
      if FDocument = '' then
        FDocument := FURI;
      SetRequestVersion(J.Req, request);
      FRawHTTPCommand := FCommand + ' ' + FromZ(iws_request_path(request)) + ' ' + FVersion;
      HeadersOf(request, FRawHeaders);
      ProcessHeaders;
      FRemoteIP := J.Context.Binding.PeerIP;
      if J.Context.FHeadDone then
      begin
        { on_http_head ran the head's events; a streamed body is whole }
        FHeadDone := True;
        FPostStream := J.Context.FPostStream;
        J.Context.FPostStream := nil;
        J.Context.FHeadDone := False;
        if FPostStream <> nil then
          FPostStream.Position := 0;
      end;
      Data := nil;
      Len := 0;
      if (iws_request_body(request, Data, Len) = IWS_OK) and (Data <> nil) then
      begin
        SetLength(FBody, Len);
        if Len > 0 then
          Move(Data^, FBody[0], Len);
      end;
    end;
    J.Resp := TIdHTTPResponseInfo.Create(S, J.Req, J.Context.Connection);
    if iws_http_defer(response) <> IWS_OK then
      raise EIdHTTPServerError.Create('the engine refused to defer a response');
    Deferred := True;
    S.FLock.Enter;
    try
      if J.Context.FOpening then
        J.Context.FWaiting := J { its OnConnect job pushes it }
      else
        S.FPool.Push(J);
    finally
      S.FLock.Leave;
    end;
    J := nil;
  except
    on E: Exception do
    begin
      try
        if not Deferred then
        begin
          iws_http_set_status(response, 500, nil);
          iws_http_set_body(response, nil, 0);
        end;
        if J <> nil then
        begin
          if J.Context <> nil then
          begin
            S.ReleaseContext(J.Context);
            J.Context := nil;
          end;
          J.Req.Free;
          J.Resp.Free;
          J.Free;
        end;
        S.DoException(nil, E);
      except
      end;
    end;
  end;
end;

{ OnHeadersBlocked's answer to a request with a body, sent by the engine
  before the body (iws_http_head_refuse), as the request cycle answers
  one without: VResponseNo, VResponseText (else Indy's text for it),
  VContentText (else Indy's page for the status) as text/html in UTF-8.
  Returns the status for on_http_head (the engine's plain refusal, should
  the engine refuse the answer: a reason with a line break). }
function RefuseHead(S: TIdCustomHTTPServer; request: piws_request; No: Integer;
  const Txt, Content: string): Int32;
var
  R: TIdHTTPResponseInfo;
  Reason, Body: RawByteString;
begin
  Result := No;
  R := TIdHTTPResponseInfo.Create(S, nil, nil);
  try
    R.ResponseNo := No;
    if Txt <> '' then
      R.ResponseText := Txt;
    if Content <> '' then
      Body := U8(Content)
    else
      Body := U8('<HTML><BODY><B>' + IntToStr(No) + ' ' + R.ResponseText +
        '</B></BODY></HTML>');
    Reason := U8(R.ResponseText);
  finally
    R.Free;
  end;
  iws_http_head_refuse(request, No, PAnsiChar(Reason), 'text/html; charset=utf-8',
    PAnsiChar(Body), Length(Body));
end;

{ The context of connection Id for a callback on its strand (a request's
  head, an upgrade), counted busy (the caller ends with ReleaseContext),
  once its OnConnect job has returned (Indy: OnConnect, then the
  connection's requests; WaitConnected). ACreate: an unknown id gets a new
  context (IsNew: the caller runs its OnConnect); else nil. nil while the
  server stops. }
function ContextFor(S: TIdCustomHTTPServer; Id: iws_conn_id; ACreate: Boolean;
  out IsNew: Boolean): TIdContext;
var
  I: Integer;
begin
  IsNew := False;
  Result := nil;
  if S.FStopping then
    Exit;
  if ACreate then
    Result := S.AcquireContext(Id, IsNew)
  else
  begin
    S.FLock.Enter;
    try
      I := S.FContexts.IndexOf(HexId(Id));
      if I >= 0 then
      begin
        Result := TIdContext(S.FContexts.Objects[I]);
        Inc(Result.FBusy);
      end;
    finally
      S.FLock.Leave;
    end;
  end;
  if Result <> nil then
    S.WaitConnected(Result);
end;

{ on_http_head: for a request with a body, Indy's head events run here, on
  the engine callback thread, before the body is read (after the
  connection's OnConnect): OnHeadersAvailable (blocked: OnHeadersBlocked's
  ResponseNo refuses it, the body never read), OnHeaderExpectations (417),
  OnCreatePostStream (a stream: the body is written into it as it arrives;
  none: the body is read into memory, up to MaxRequestBodySize, and goes to
  a TMemoryStream as before). A request without a body takes the usual
  path (all of it on the pool). }
function OnHttpHeadCb(server: piws_server; id: iws_conn_id;
  request: piws_request; user: Pointer): Int32;
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
var
  S: TIdCustomHTTPServer;
  C: TIdContext;
  IsNew: Boolean;
  L: TIdHeaderList;
  No: Integer;
  URI, Txt, Content, Expect: string;
  PS: TStream;
begin
  S := TIdCustomHTTPServer(user);
  Result := IWS_HTTP_BODY_BUFFER;
  if (iws_request_header(request, 'Transfer-Encoding') = nil) and
     (StrToInt64Def(FromZ(iws_request_header(request, 'Content-Length')), 0) <= 0) then
    Exit;
  C := nil;
  try
    { Indy: OnConnect, then the request's head }
    C := ContextFor(S, id, False, IsNew);
  except
    on E: Exception do
    begin
      S.DoException(nil, E);
      Result := 500;
      Exit;
    end;
  end;
  if C = nil then
  begin
    Result := 503;
    Exit;
  end;
  try
    try
      FreeAndNil(C.FPostStream);
      C.FHeadDone := False;
      L := TIdHeaderList.Create;
      try
        HeadersOf(request, L);
        URI := FromZ(iws_request_path(request));
        if Pos('?', URI) > 0 then
          URI := Copy(URI, 1, Pos('?', URI) - 1);
        if not S.VerifyPeer(C) then
        begin
          Result := RefuseHead(S, request, 403, '', '');
          Exit;
        end;
        if not S.DoHeadersAvailable(C, URI, L) then
        begin
          No := 403;
          S.DoHeadersBlocked(C, L, No, Txt, Content);
          if (No < 400) or (No > 599) then
            No := 403;
          Result := RefuseHead(S, request, No, Txt, Content);
          Exit;
        end;
        Expect := L.Values['Expect'];
        if (Expect <> '') and not S.DoHeaderExpectations(C, Expect) then
        begin
          Result := 417;
          Exit;
        end;
        PS := nil;
        S.CreatePostStream(C, L, PS);
        C.FHeadDone := True;
        if PS <> nil then
        begin
          C.FPostStream := PS;
          Result := IWS_HTTP_BODY_STREAM;
        end;
      finally
        L.Free;
      end;
    except
      on E: Exception do
      begin
        C.FHeadDone := False;
        FreeAndNil(C.FPostStream);
        S.DoException(C, E);
        Result := 500;
      end;
    end;
  finally
    S.ReleaseContext(C);
  end;
end;

{ on_http_body: a piece of the body into OnCreatePostStream's stream, in
  order, on the engine callback thread; an exception refuses the request
  (500) and goes to OnException }
function OnHttpBodyCb(server: piws_server; id: iws_conn_id; data: PByte;
  length: UInt32; user: Pointer): Int32;
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
var
  S: TIdCustomHTTPServer;
  C: TIdContext;
begin
  S := TIdCustomHTTPServer(user);
  Result := 0;
  C := S.FindContext(id); { alive: its on_close comes after this, on this strand }
  try
    if (C = nil) or (C.FPostStream = nil) then
      raise EIdHTTPServerError.Create('a body piece for no post stream');
    C.FPostStream.WriteBuffer(data^, length);
  except
    on E: Exception do
    begin
      Result := 500;
      try
        S.DoException(C, E);
      except
      end;
    end;
  end;
end;

function OnConnectCb(server: piws_server; id: iws_conn_id;
  request: piws_request; user: Pointer): Int32;
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
var
  S: TIdCustomHTTPServer;
  C: TIdContext;
  R: TIdHTTPRequestInfo;
  Accept, IsNew: Boolean;
  Buf: array[0..255] of AnsiChar;
begin
  S := TIdCustomHTTPServer(user);
  Result := 404;
  if not Assigned(S.FOnWebSocketConnect) or S.FStopping then
    Exit;
  C := nil;
  R := nil;
  try
    try
      C := ContextFor(S, id, True, IsNew);
      if C = nil then
      begin
        Result := 503;
        Exit;
      end;
      C.FIsWebSocket := True;
      R := TIdHTTPRequestInfo.Create(S);
      R.FCommand := FromZ(iws_request_method(request));
      if R.FCommand = '' then
        R.FCommand := 'GET';
      R.FCommandType := DecodeHTTPCommand(R.FCommand);
      R.FURI := FromZ(iws_request_path(request));
      if Pos('?', R.FURI) > 0 then
      begin
        R.FQueryParams := Copy(R.FURI, Pos('?', R.FURI) + 1, MaxInt);
        R.FURI := Copy(R.FURI, 1, Pos('?', R.FURI) - 1);
      end;
      R.FDocument := PercentDecode(R.FURI, False);
      SetRequestVersion(R, request);
      R.FRawHTTPCommand := R.FCommand + ' ' + FromZ(iws_request_path(request)) + ' ' + R.FVersion;
      HeadersOf(request, R.FRawHeaders);
      R.ProcessHeaders;
      R.FRemoteIP := C.Binding.PeerIP;
      R.FCookies.AddClientCookies(R.RawHeaders.Values['Cookie']);
      if S.FParseParams then
        R.DecodeAndSetParams(R.FQueryParams);
      if IsNew then
      begin
        S.ContextCreated(C);
        S.DoConnect(C);
      end;
      Accept := S.VerifyPeer(C);
      if Accept then
        S.FOnWebSocketConnect(C, R, Accept);
      if Accept then
      begin
        Result := IWS_ACCEPT;
        if iws_conn_protocol(server, id, @Buf[0], SizeOf(Buf), nil) = IWS_OK then
          C.FProtocol := string(AnsiString(PAnsiChar(@Buf[0])));
      end
      else
        Result := 403;
    except
      on E: Exception do
      begin
        Result := 500;
        S.DoException(C, E);
      end;
    end;
  finally
    R.Free;
    if C <> nil then
    begin
      if Result <> IWS_ACCEPT then
        C.FIsWebSocket := False; { no on_disconnect follows: the HTTP path ends it }
      S.ReleaseContext(C);
    end;
  end;
end;

procedure OnMessageCb(server: piws_server; id: iws_conn_id; opcode: UInt32;
  data: PByte; length: UInt64; user: Pointer);
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
var
  S: TIdCustomHTTPServer;
  C: TIdContext;
  B: TIdBytes;
begin
  S := TIdCustomHTTPServer(user);
  C := S.FindContext(id);
  if C = nil then
    Exit;
  try
    if opcode = IWS_OP_TEXT then
    begin
      if Assigned(S.FOnWebSocketMessage) then
        S.FOnWebSocketMessage(C, FromU8(PAnsiChar(data), length));
    end
    else if Assigned(S.FOnWebSocketBinary) then
    begin
      SetLength(B, length);
      if length > 0 then
        Move(data^, B[0], length);
      S.FOnWebSocketBinary(C, B);
    end;
  except
    on E: Exception do
      S.DoException(C, E);
  end;
end;

procedure OnDisconnectCb(server: piws_server; id: iws_conn_id; code: UInt32;
  reason: PAnsiChar; reason_length: UInt32; user: Pointer);
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
var
  S: TIdCustomHTTPServer;
  C: TIdContext;
begin
  S := TIdCustomHTTPServer(user);
  C := S.FindContext(id);
  if C = nil then
    Exit;
  { OnDisconnect and the context's end follow in on_close }
  try
    if Assigned(S.FOnWebSocketDisconnect) then
      S.FOnWebSocketDisconnect(C, code);
  except
    on E: Exception do
      S.DoException(C, E);
  end;
end;

{ at accept, on the engine's thread: the context, and a job for
  OnContextCreated and OnConnect on a pool thread (Indy runs them on the
  connection's thread) }
procedure OnOpenCb(server: piws_server; id: iws_conn_id; user: Pointer);
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
var
  S: TIdCustomHTTPServer;
  C: TIdContext;
  J: TIdIocpJob;
begin
  S := TIdCustomHTTPServer(user);
  try
    S.FLock.Enter;
    try
      if S.FStopping or (S.FPool = nil) then
        Exit;
      C := TIdContext.Create(S, id);
      S.FContexts.AddObject(HexId(id), C);
      Inc(C.FBusy); { the job's; ReleaseContext at its end }
      C.FOpening := True;
      J := TIdIocpJob.Create;
      J.Server := S;
      J.Context := C;
      J.Connect := True;
      S.FPool.Push(J);
    finally
      S.FLock.Leave;
    end;
  except
    on E: Exception do
      S.DoException(nil, E);
  end;
end;

{ the connection ended (every cause, after on_disconnect): OnDisconnect on
  a pool thread, or by the last job that still holds the context; during
  Active := False the server's Shutdown ends what is left }
procedure OnCloseCb(server: piws_server; id: iws_conn_id; user: Pointer);
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
var
  S: TIdCustomHTTPServer;
  C: TIdContext;
  J: TIdIocpJob;
  I: Integer;
begin
  S := TIdCustomHTTPServer(user);
  C := nil;
  try
    S.FLock.Enter;
    try
      I := S.FContexts.IndexOf(HexId(id));
      if (I < 0) or S.FStopping then
        Exit;
      C := TIdContext(S.FContexts.Objects[I]);
      S.FContexts.Delete(I);
      C.FGone := True;
      if C.FBusy > 0 then
      begin
        C.FDetached := True; { ReleaseContext of the last job ends it }
        C := nil;
      end
      else if C.FConnected and (S.FPool <> nil) then
      begin
        J := TIdIocpJob.Create;
        J.Server := S;
        J.Context := C;
        J.Disconnect := True;
        S.FPool.Push(J);
        C := nil;
      end;
    finally
      S.FLock.Leave;
    end;
    FreeAndNil(C); { never reached OnConnect }
  except
    on E: Exception do
      S.DoException(nil, E);
  end;
end;

procedure OnErrorCb(server: piws_server; id: iws_conn_id; code: Int32;
  message: PAnsiChar; user: Pointer);
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
var
  S: TIdCustomHTTPServer;
  E: EIdException;
begin
  S := TIdCustomHTTPServer(user);
  if not Assigned(S.FOnException) then
    Exit;
  E := EIdException.Create(FromZ(message));
  try
    S.DoException(S.FindContext(id), E);
  finally
    E.Free;
  end;
end;

{ ---- the server --------------------------------------------------------------- }

constructor TIdCustomHTTPServer.Create(AOwner: TComponent);
begin
  inherited Create(AOwner);
  FBindings := TIdSocketHandles.Create(Self);
  FBindings.DefaultPort := IdPORT_HTTP;
  FListenQueue := IdListenQueueDefault;
  FTerminateWaitTime := 5000;
  FUseNagle := True;
  FReuseSocket := rsOSDependent;
  FSessionState := Id_TId_HTTPServer_SessionState;
  FParseParams := Id_TId_HTTPServer_ParseParams;
  FSessionTimeOut := Id_TId_HTTPSessionTimeOut;
  FAutoStartSession := Id_TId_HTTPAutoStartSession;
  FKeepAlive := Id_TId_HTTPServer_KeepAlive;
  FMaximumHeaderLineCount := Id_TId_HTTPMaximumHeaderLineCount;
  FServerSoftware := GServerSoftware;
  FSessionIDCookieName := GSessionIDCookie;
  FMIMETable := TIdThreadSafeMimeTable.Create(True);
  FMaxRequestBodySize := 1024 * 1024;
  FKeepAliveTimeout := 15000;
  FLock := TCriticalSection.Create;
  FContexts := TStringList.Create;
  FContexts.Sorted := True;
  FContexts.Duplicates := dupError;
end;

destructor TIdCustomHTTPServer.Destroy;
begin
  try
    Active := False;
  except
    { EIdTerminateThreadTimeout: the pool below waits for those handlers }
  end;
  FreeAndNil(FPool);
  if FImplicitSessionList then
    FreeAndNil(FSessionList);
  FMIMETable.Free;
  FContexts.Free;
  FLock.Free;
  FBindings.Free;
  inherited Destroy;
end;

function TIdCustomHTTPServer.GetDefaultPort: TIdPort;
begin
  Result := FBindings.DefaultPort;
end;

procedure TIdCustomHTTPServer.SetDefaultPort(const AValue: TIdPort);
begin
  FBindings.DefaultPort := AValue;
end;

procedure TIdCustomHTTPServer.SetBindings(const AValue: TIdSocketHandles);
begin
  FBindings.Assign(AValue);
end;

procedure TIdCustomHTTPServer.SetSessionList(const AValue: TIdHTTPCustomSessionList);
begin
  if FSessionList = AValue then
    Exit;
  if FActive then
    raise EIdHTTPServerError.Create('SessionList cannot change while the server is active');
  IocpWsSetSessionList(Self, FSessionList, FImplicitSessionList, AValue);
end;

{ a linked component (IOHandler, Intercept, Scheduler), as Indy links it:
  FreeNotification, so that freeing it (owned by a form or another
  component) clears the property in Notification }
procedure TIdCustomHTTPServer.SetLinked(var AField: TComponent; AValue: TComponent);
begin
  if AField = AValue then
    Exit;
  if AField <> nil then
    AField.RemoveFreeNotification(Self);
  AField := AValue;
  if AValue <> nil then
    AValue.FreeNotification(Self);
end;

procedure TIdCustomHTTPServer.SetIOHandler(const AValue: TComponent);
begin
  SetLinked(FIOHandler, AValue);
end;

procedure TIdCustomHTTPServer.SetIntercept(const AValue: TComponent);
begin
  SetLinked(FIntercept, AValue);
end;

procedure TIdCustomHTTPServer.SetScheduler(const AValue: TComponent);
begin
  SetLinked(FScheduler, AValue);
end;

procedure TIdCustomHTTPServer.SetSessionState(const Value: Boolean);
begin
  if FActive and (Value <> FSessionState) and not (csLoading in ComponentState) then
    raise EIdHTTPCannotSwitchSessionStateWhenActive.Create(
      'Cannot change session state while the server is active');
  FSessionState := Value;
end;

procedure TIdCustomHTTPServer.SetSessionIDCookieName(const AValue: string);
var
  V: string;
begin
  V := Trim(AValue);
  if V = '' then
    V := GSessionIDCookie;
  if FActive and (V <> FSessionIDCookieName) then
    raise EIdHTTPCannotSwitchSessionIDCookieNameWhenActive.Create(
      'Cannot change the session id cookie name while the server is active');
  FSessionIDCookieName := V;
end;

function TIdCustomHTTPServer.IsSessionIDCookieNameStored: Boolean;
begin
  Result := FSessionIDCookieName <> GSessionIDCookie;
end;

procedure TIdCustomHTTPServer.Notification(AComponent: TComponent; Operation: TOperation);
begin
  inherited Notification(AComponent, Operation);
  if Operation = opRemove then
  begin
    if AComponent = FSessionList then
    begin
      FSessionList := nil;
      FImplicitSessionList := False;
    end;
    if AComponent = FIOHandler then
      FIOHandler := nil;
    if AComponent = FIntercept then
      FIntercept := nil;
    if AComponent = FScheduler then
      FScheduler := nil;
  end;
end;

procedure TIdCustomHTTPServer.Loaded;
begin
  inherited Loaded;
  if FStreamedActive then
  begin
    FStreamedActive := False;
    Active := True;
  end;
end;

procedure TIdCustomHTTPServer.SetActive(AValue: Boolean);
begin
  if csLoading in ComponentState then
  begin
    FStreamedActive := AValue;
    Exit;
  end;
  if csDesigning in ComponentState then
  begin
    FActive := AValue;
    Exit;
  end;
  if AValue = FActive then
    Exit;
  if AValue then
    Startup
  else
    Shutdown;
end;

procedure TIdCustomHTTPServer.StartListening;
begin
  Active := True;
end;

procedure TIdCustomHTTPServer.StopListening;
begin
  Active := False;
end;

procedure TIdCustomHTTPServer.RaiseEngine(rc: Integer; const What: string);
var
  Buf: array[0..511] of AnsiChar;
  Detail: string;
begin
  Detail := '';
  if FHandle <> nil then
  begin
    Buf[0] := #0;
    iws_last_error(FHandle, @Buf[0], SizeOf(Buf));
    Detail := FromZ(@Buf[0]);
  end;
  if Detail = '' then
    Detail := IocpWsErrorText(rc);
  raise EIdTCPServerError.CreateFmt('TIdHTTPServer: %s: %s', [What, Detail]);
end;

function AnyIP(const IP: string): Boolean;
begin
  Result := (IP = '') or (IP = '0.0.0.0') or (IP = '::');
end;

procedure TIdCustomHTTPServer.Startup;
var
  cb: iws_callbacks;
  rc, I, N: Integer;
  B, B2: TIdSocketHandle;
  Addr: string;
  Port: Integer;
  Dual: Boolean;
  A: RawByteString;
  SSL: TIdServerIOHandlerSSLOpenSSL;
  S: string;
  Tls, AnyTls: Boolean;
  Flags: UInt32;
  P: UInt32;
  HK: TIdIocpHousekeeper;
  {$if defined(FPC) and defined(UNIX)}
  TM: TThreadManager;
  {$ifend}

  { Indy asks OnQuerySSLPort per connection; here per binding, at Active }
  function UseSSL(APort: Integer): Boolean;
  begin
    Result := SSL <> nil;
    if Result and Assigned(FOnQuerySSLPort) then
      FOnQuerySSLPort(TIdPort(APort), Result);
  end;

  procedure SetStr(Opt: Int32; const V, What: string);
  var
    U: RawByteString;
  begin
    if V = '' then
      Exit;
    U := U8(V);
    rc := iws_set_str(FHandle, Opt, PAnsiChar(U));
    if rc <> IWS_OK then
      RaiseEngine(rc, What);
  end;

  { the SSL IOHandler's SSLOptions as the engine's TLS options }
  procedure ApplyTLS;
  var
    O: TIdSSLOptions;
  begin
    O := SSL.SSLOptions;
    SetStr(IWS_OPT_TLS_CERT_FILE, O.CertFile, 'SSLOptions.CertFile');
    SetStr(IWS_OPT_TLS_KEY_FILE, O.KeyFile, 'SSLOptions.KeyFile');
    SetStr(IWS_OPT_TLS_CA_FILE, O.RootCertFile, 'SSLOptions.RootCertFile');
    SetStr(IWS_OPT_TLS_PASSWORD, SSL.GetPassword, 'OnGetPassword');
    SetStr(IWS_OPT_TLS_CIPHERS, O.CipherList, 'SSLOptions.CipherList');
    { TLS 1.2 and 1.3 whatever older version the set names (see
      IdSSLOpenSSL_iocp); 1.3 only is not a set Indy 10.6 can express }
    rc := iws_set_int(FHandle, IWS_OPT_TLS_MIN_VERSION, IWS_TLS_1_2);
    if (rc = IWS_OK) and (sslvrfPeer in O.VerifyMode) then
    begin
      if sslvrfFailIfNoPeerCert in O.VerifyMode then
        rc := iws_set_int(FHandle, IWS_OPT_TLS_VERIFY_CLIENT, IWS_TLS_VERIFY_REQUIRE)
      else
        rc := iws_set_int(FHandle, IWS_OPT_TLS_VERIFY_CLIENT, IWS_TLS_VERIFY_REQUEST);
      if (rc = IWS_OK) and (O.VerifyDepth > 0) then
        rc := iws_set_int(FHandle, IWS_OPT_TLS_VERIFY_DEPTH, O.VerifyDepth);
      if rc = IWS_OK then
        SetStr(IWS_OPT_TLS_CLIENT_CA_FILE, O.RootCertFile, 'SSLOptions.RootCertFile');
    end;
    if rc <> IWS_OK then
      RaiseEngine(rc, 'SSLOptions');
  end;
begin
  {$if defined(FPC) and defined(UNIX)}
  GetThreadManager(TM);
  if not Assigned(TM.InitManager) then
    raise EIdTCPServerError.Create('TIdHTTPServer: this program has no thread ' +
      'support: add cthreads as the first unit of its uses clause (Free Pascal on Unix)');
  {$ifend}
  IsMultiThread := True;
  SSL := nil;
  if FIOHandler is TIdServerIOHandlerSSLOpenSSL then
  begin
    SSL := TIdServerIOHandlerSSLOpenSSL(FIOHandler);
    S := SSL.Unsupported;
    if S <> '' then
      raise EIdIocpUnsupported.CreateFmt('TIdHTTPServer: IOHandler %s: %s',
        [FIOHandler.Name, S]);
  end
  else if FIOHandler <> nil then
    raise EIdIocpUnsupported.CreateFmt('TIdHTTPServer: IOHandler %s (%s) is not supported ' +
      'by the iocpws engine (TLS: TIdServerIOHandlerSSLOpenSSL of IdSSLOpenSSL_iocp); ' +
      'never ignored', [FIOHandler.Name, FIOHandler.ClassName]);
  if FIntercept <> nil then
    raise EIdIocpUnsupported.CreateFmt('TIdHTTPServer: Intercept %s is not supported by ' +
      'the iocpws engine', [FIntercept.Name]);
  if FScheduler <> nil then
    raise EIdIocpUnsupported.CreateFmt('TIdHTTPServer: Scheduler %s is not supported: ' +
      'the engine has its own thread pool (ThreadPoolSize)', [FScheduler.Name]);
  { the bindings the engine can honour: none (DefaultPort on every IPv4
    address), one address and port, or the same port on 0.0.0.0 and :: }
  Dual := False;
  AnyTls := False;
  Tls := False;
  N := FBindings.Count;
  if N = 0 then
  begin
    Addr := '0.0.0.0';
    Port := DefaultPort;
  end
  else
  begin
    B := FBindings[0];
    Addr := B.IP;
    if Addr = '' then
      if B.IPVersion = Id_IPv6 then
        Addr := '::'
      else
        Addr := '0.0.0.0';
    Port := B.Port;
    if N = 2 then
    begin
      B2 := FBindings[1];
      Dual := AnyIP(B.IP) and AnyIP(B2.IP) and (B.Port = B2.Port) and
        (B.IPVersion <> B2.IPVersion);
      if Dual then
        Addr := '::';
    end;
    { several addresses or ports: one engine listener per Binding }
    FMulti := (N > 2) or ((N = 2) and not Dual);
  end;
  if N = 0 then
    FMulti := False;
  if FMulti and (N > IWS_LISTENERS_MAX) then
    raise EIdIocpUnsupported.CreateFmt('TIdHTTPServer: %d Bindings; the iocpws ' +
      'engine listens on at most %d', [N, IWS_LISTENERS_MAX]);
  for I := 0 to N - 1 do
    if Assigned(FOnBeforeBind) then
      FOnBeforeBind(FBindings[I]);
  if FSessionState then
  begin
    if FSessionList = nil then
    begin
      FSessionList := TIdHTTPDefaultSessionList.Create(Self);
      FImplicitSessionList := True;
    end;
    FSessionList.SessionTimeout := FSessionTimeOut;
    FSessionList.OnSessionEnd := DoSessionEnd;
    FSessionList.OnSessionStart := DoSessionStart;
  end;
  FillChar(cb, SizeOf(cb), 0);
  cb.struct_size := SizeOf(cb);
  cb.on_connect := OnConnectCb;
  cb.on_message := OnMessageCb;
  cb.on_disconnect := OnDisconnectCb;
  cb.on_error := OnErrorCb;
  cb.on_http_request := OnHttpRequestCb;
  cb.on_open := OnOpenCb;
  cb.on_close := OnCloseCb;
  cb.on_http_head := OnHttpHeadCb;
  cb.on_http_body := OnHttpBodyCb;
  IocpWsCheckVersion;
  rc := iws_create(IWS_HEADER_ABI_VERSION, @cb, Self, FHandle);
  if rc <> IWS_OK then
  begin
    FHandle := nil;
    RaiseEngine(rc, 'the engine could not be created');
  end;
  try
    A := U8(Addr);
    rc := iws_set_str(FHandle, IWS_OPT_BIND_ADDRESS, PAnsiChar(A));
    if rc <> IWS_OK then
      RaiseEngine(rc, 'binding ' + Addr);
    if Dual then
      iws_set_int(FHandle, IWS_OPT_IPV6_ONLY, 0);
    if FMulti then
    begin
      { as Indy: every Binding its own socket of its own family, so '::'
        and '0.0.0.0' on one port are two listeners }
      iws_set_int(FHandle, IWS_OPT_IPV6_ONLY, 1);
      for I := 0 to N - 1 do
      begin
        B := FBindings[I];
        if B.IP <> '' then
          A := U8(B.IP)
        else if B.IPVersion = Id_IPv6 then
          A := '::'
        else
          A := '0.0.0.0';
        Flags := 0;
        if UseSSL(B.Port) then
        begin
          Flags := IWS_LISTEN_TLS;
          AnyTls := True;
        end;
        rc := iws_add_listener(FHandle, PAnsiChar(A), UInt32(B.Port), Flags);
        if rc <> IWS_OK then
          RaiseEngine(rc, Format('Bindings[%d] %s:%d', [I, B.IP, B.Port]));
      end;
      Addr := '';
      for I := 0 to N - 1 do
        Addr := Addr + Format(' %s:%d', [FBindings[I].IP, FBindings[I].Port]);
      Addr := Trim(Addr);
    end;
    Tls := False;
    if not FMulti then
    begin
      Tls := UseSSL(Port);
      AnyTls := Tls;
    end;
    if Tls then
    begin
      { the one listener (or the dual-stack pair) speaks TLS only }
      rc := iws_set_int(FHandle, IWS_OPT_PORT, -1);
      if rc = IWS_OK then
        rc := iws_set_int(FHandle, IWS_OPT_TLS_PORT, Port);
    end
    else
      rc := iws_set_int(FHandle, IWS_OPT_PORT, Port);
    if (rc = IWS_OK) and AnyTls then
      ApplyTLS;
    if rc = IWS_OK then
      rc := iws_set_int(FHandle, IWS_OPT_MAX_CONNECTIONS, FMaxConnections);
    if rc = IWS_OK then
      rc := iws_set_int(FHandle, IWS_OPT_LISTEN_BACKLOG, FListenQueue);
    if rc = IWS_OK then
      rc := iws_set_int(FHandle, IWS_OPT_TCP_NODELAY, Ord(not FUseNagle));
    if rc = IWS_OK then
      if FKeepAlive then
        rc := iws_set_int(FHandle, IWS_OPT_HTTP_KEEPALIVE_TIMEOUT_MS, FKeepAliveTimeout)
      else
        rc := iws_set_int(FHandle, IWS_OPT_HTTP_KEEPALIVE_TIMEOUT_MS, 0);
    if rc = IWS_OK then
      rc := iws_set_int(FHandle, IWS_OPT_HTTP_MAX_BODY_SIZE, FMaxRequestBodySize);
    { Indy lets a handler take as long as it likes }
    if rc = IWS_OK then
      rc := iws_set_int(FHandle, IWS_OPT_HTTP_RESPONSE_TIMEOUT_MS, 0);
    if rc <> IWS_OK then
      RaiseEngine(rc, 'an option was refused');
    if FWebSocketProtocols <> '' then
    begin
      A := U8(FWebSocketProtocols);
      rc := iws_set_str(FHandle, IWS_OPT_SUBPROTOCOLS, PAnsiChar(A));
      if rc <> IWS_OK then
        RaiseEngine(rc, 'WebSocketProtocols');
    end;
    if FPool = nil then
    begin
      N := FThreadPoolSize;
      if N <= 0 then
      begin
        N := 4 * CPUCount;
        if N < 8 then
          N := 8;
      end;
      FPool := TIdIocpPool.Create(N);
    end;
    FStopping := False;
    rc := iws_start(FHandle);
    if rc <> IWS_OK then
      RaiseEngine(rc, Format('listening on %s port %d', [Addr, Port]));
    P := 0;
    if Tls then
      iws_get_tls_port(FHandle, P)
    else
      iws_get_port(FHandle, P);
    FBoundIP := Addr;
    FBoundPort := P;
    if FMulti then
    begin
      { each Binding gets the port its listener was bound to }
      FBoundIP := FBindings[0].IP;
      for I := 0 to FBindings.Count - 1 do
        if iws_get_listener(FHandle, UInt32(I), P, nil) = IWS_OK then
          FBindings[I].FPort := P;
    end
    else
    begin
      if FBindings.Count = 0 then
      begin
        B := FBindings.Add;
        B.IP := '0.0.0.0';
      end;
      for I := 0 to FBindings.Count - 1 do
        FBindings[I].FPort := P;
    end;
  except
    iws_destroy(FHandle);
    FHandle := nil;
    raise;
  end;
  FActive := True;
  FLastPurge := Now;
  HK := TIdIocpHousekeeper.Create(True);
  HK.FServer := Self;
  HK.FWake := TEvent.Create(nil, True, False, '');
  HK.FreeOnTerminate := False;
  FHousekeeper := HK;
  HK.Start;
  if Assigned(FOnAfterBind) then
    FOnAfterBind(Self);
end;

{ waits for Done, running TThread.Synchronize/Queue work meanwhile when on
  the main thread; False on timeout (TimeoutMS < 0: no limit) }
function WaitPumping(Done: TEvent; TimeoutMS: Integer): Boolean;
var
  Start: TDateTime;
  Main: Boolean;
begin
  Main := OnMainThread;
  Start := Now;
  repeat
    if Done.WaitFor(10) = wrSignaled then
      Exit(True);
    if Main then
      CheckSynchronize(0);
  until (TimeoutMS >= 0) and ((Now - Start) * MSecsPerDay > TimeoutMS);
  Result := False;
end;

procedure TIdCustomHTTPServer.Shutdown;
var
  Start: TDateTime;
  TimedOut: Boolean;
  St: TIdIocpStopper;
  Ev: TEvent;
  L: TList;
  I: Integer;
  C: TIdContext;
begin
  { under the lock: every job pushed before this is counted in InFlight }
  FLock.Enter;
  try
    FStopping := True;
    { whoever waits for an OnConnect (WaitConnected) goes on }
    for I := 0 to FContexts.Count - 1 do
      if TIdContext(FContexts.Objects[I]).FOpened <> nil then
        TIdContext(FContexts.Objects[I]).FOpened.SetEvent;
  finally
    FLock.Leave;
  end;
  { 1. the handlers in flight finish and their responses go out }
  Start := Now;
  TimedOut := False;
  if FPool <> nil then
    while FPool.InFlight > 0 do
    begin
      if (Now - Start) * MSecsPerDay > FTerminateWaitTime then
      begin
        TimedOut := True;
        Break;
      end;
      if OnMainThread then
        CheckSynchronize(10)
      else
        Sleep(10);
    end;
  { 2. the housekeeper ends }
  if FHousekeeper <> nil then
  begin
    FHousekeeper.Terminate;
    TIdIocpHousekeeper(FHousekeeper).FWake.SetEvent;
    FHousekeeper.WaitFor;
    FreeAndNil(FHousekeeper);
  end;
  { 3. the engine stops, on a helper thread while this one keeps serving
    Synchronize (WebSocket handlers may use it) }
  Ev := TEvent.Create(nil, True, False, '');
  try
    St := TIdIocpStopper.Create(True);
    St.FHandle := FHandle;
    St.FreeOnTerminate := False;
    St.Start;
    { iws_stop returns once every WebSocket on_disconnect has run }
    while not St.Finished do
      WaitPumping(Ev, 20);
    St.WaitFor;
    St.Free;
  finally
    Ev.Free;
  end;
  iws_destroy(FHandle);
  { 4. OnDisconnect for every connection left; a context a late handler
    still holds is ended by that handler's job }
  L := TList.Create;
  try
    FLock.Enter;
    try
      for I := FContexts.Count - 1 downto 0 do
      begin
        C := TIdContext(FContexts.Objects[I]);
        C.FGone := True;
        if C.FBusy > 0 then
          C.FDetached := True
        else
          L.Add(C);
        FContexts.Delete(I);
      end;
    finally
      FLock.Leave;
    end;
    for I := 0 to L.Count - 1 do
    begin
      C := TIdContext(L[I]);
      try
        if C.FConnected then
          DoDisconnect(C);
      finally
        C.Free;
      end;
    end;
  finally
    L.Free;
  end;
  FHandle := nil;
  FActive := False;
  if FSessionList <> nil then
    FSessionList.Clear; { Indy's Shutdown: OnSessionEnd for each }
  if not TimedOut and (FPool <> nil) and (FPool.InFlight = 0) then
    FreeAndNil(FPool);
  if TimedOut then
    raise EIdTerminateThreadTimeout.CreateFmt('TIdHTTPServer: %d request handler(s) ' +
      'still running after TerminateWaitTime (%d ms); their responses are dropped',
      [FPool.InFlight, FTerminateWaitTime]);
end;

function TIdCustomHTTPServer.AcquireContext(Id: iws_conn_id; out IsNew: Boolean): TIdContext;
var
  I: Integer;
  K: string;
begin
  K := HexId(Id);
  FLock.Enter;
  try
    I := FContexts.IndexOf(K);
    if I >= 0 then
    begin
      Result := TIdContext(FContexts.Objects[I]);
      IsNew := False;
    end
    else
    begin
      Result := TIdContext.Create(Self, Id);
      FContexts.AddObject(K, Result);
      IsNew := True;
    end;
    Inc(Result.FBusy);
  finally
    FLock.Leave;
  end;
end;

procedure TIdCustomHTTPServer.ReleaseContext(AContext: TIdContext);
var
  Orphan: Boolean;
begin
  FLock.Enter;
  try
    Dec(AContext.FBusy);
    Orphan := AContext.FDetached and (AContext.FBusy = 0);
  finally
    FLock.Leave;
  end;
  if Orphan then
  begin
    try
      if AContext.FConnected then
        DoDisconnect(AContext);
    finally
      AContext.Free;
    end;
  end;
end;

{ An upgrade or a request's head (on the connection's strand) waits until
  its OnConnect job has returned: on an event the job sets, made here only
  when there is something to wait for (no polling); Shutdown sets it too,
  so that a stop never waits for an OnConnect past TerminateWaitTime. The
  context lives on meanwhile: the caller holds it (AcquireContext). }
procedure TIdCustomHTTPServer.WaitConnected(AContext: TIdContext);
var
  Ev: TEvent;
begin
  FLock.Enter;
  try
    if not AContext.FOpening or FStopping then
      Exit;
    if AContext.FOpened = nil then
      AContext.FOpened := TEvent.Create(nil, True, False, '');
    Ev := AContext.FOpened;
  finally
    FLock.Leave;
  end;
  Ev.WaitFor(INFINITE);
end;

function TIdCustomHTTPServer.FindContext(Id: iws_conn_id): TIdContext;
var
  I: Integer;
begin
  Result := nil;
  FLock.Enter;
  try
    I := FContexts.IndexOf(HexId(Id));
    if I >= 0 then
      Result := TIdContext(FContexts.Objects[I]);
  finally
    FLock.Leave;
  end;
end;

procedure TIdCustomHTTPServer.RemoveContext(AContext: TIdContext);
var
  I: Integer;
begin
  FLock.Enter;
  try
    I := FContexts.IndexOf(HexId(AContext.FId));
    if (I >= 0) and (FContexts.Objects[I] = AContext) then
      FContexts.Delete(I);
  finally
    FLock.Leave;
  end;
end;

{ every 250 ms on the housekeeper thread: every second the stale sessions
  end (connections report their end through on_close: no polling) }
procedure TIdCustomHTTPServer.Housekeep;
begin
  if (FSessionList <> nil) and ((Now - FLastPurge) * SecsPerDay >= 1) then
  begin
    FLastPurge := Now;
    FSessionList.PurgeStaleSessions(False);
  end;
end;

procedure TIdCustomHTTPServer.ContextCreated(AContext: TIdContext);
begin
  if Assigned(FOnContextCreated) then
    FOnContextCreated(AContext);
end;

procedure TIdCustomHTTPServer.DoConnect(AContext: TIdContext);
begin
  AContext.FConnected := True;
  if Assigned(FOnConnect) then
    FOnConnect(AContext);
end;

procedure TIdCustomHTTPServer.DoDisconnect(AContext: TIdContext);
begin
  if Assigned(FOnDisconnect) then
  try
    FOnDisconnect(AContext);
  except
    on E: Exception do
      DoException(AContext, E);
  end;
end;

{ Indy's OnVerifyPeer is OpenSSL's verify callback: once per certificate
  of the client's chain, deepest first. Here it runs after the engine's
  OpenSSL verified the chain (AOk True, AError 0), before the connection's
  first request reaches OnCommandGet (or its head events, or the WebSocket
  upgrade), on that request's thread. False (or an exception) refuses: the
  request is answered 403, the connection closed, and OnException gets an
  EIdHTTPServerError naming the certificate. A chain that cannot be read
  is refused alike (fail closed). }
function TIdCustomHTTPServer.VerifyPeer(AContext: TIdContext): Boolean;
var
  Handler: TIdServerIOHandlerSSLOpenSSL;
  Chain: TIocpWSX509Chain;
  rc, I: Integer;
  Why: string;
begin
  Result := True;
  if (AContext = nil) or AContext.FPeerVerified or
     not (FIOHandler is TIdServerIOHandlerSSLOpenSSL) then
    Exit;
  Handler := TIdServerIOHandlerSSLOpenSSL(FIOHandler);
  if not Assigned(Handler.OnVerifyPeer) then
    Exit;
  Why := '';
  rc := IocpWsReadPeerChain(FHandle, AContext.FId, Chain);
  try
    if rc <> IWS_OK then
    begin
      Result := False;
      Why := 'the client certificate could not be read (' +
        IocpWsErrorText(rc) + ')';
    end
    else
      try
        for I := High(Chain) downto 0 do
          if not Handler.OnVerifyPeer(Chain[I], True, I, 0) then
          begin
            Result := False;
            Why := 'OnVerifyPeer refused the client certificate "' +
              Chain[I].Subject.OneLine + '" (depth ' + IntToStr(I) + ')';
            Break;
          end;
      except
        on E: Exception do
        begin
          Result := False;
          Why := 'OnVerifyPeer raised ' + E.ClassName + ': ' + E.Message;
        end;
      end;
  finally
    IocpWsFreeChain(Chain);
  end;
  if Result then
    AContext.FPeerVerified := True
  else
  begin
    Why := 'TIdHTTPServer: ' + Why + ': the request is answered 403';
    try
      raise EIdHTTPServerError.Create(Why);
    except
      on E: Exception do
        DoException(AContext, E);
    end;
  end;
end;

procedure TIdCustomHTTPServer.DoException(AContext: TIdContext; AException: Exception);
begin
  if Assigned(FOnException) then
  try
    FOnException(AContext, AException);
  except
    { an exception in OnException goes nowhere: never into the engine }
  end;
end;

function TIdCustomHTTPServer.WebSocketBroadcast(const AText: string): Integer;
var
  B: RawByteString;
  Sent: UInt32;
begin
  Result := 0;
  if FHandle = nil then
    Exit;
  B := U8(AText);
  Sent := 0;
  if iws_broadcast(FHandle, IWS_OP_TEXT, PAnsiChar(B), Length(B), nil, 0, @Sent) = IWS_OK then
    Result := Sent;
end;

procedure TIdCustomHTTPServer.CreatePostStream(ASender: TIdContext; AHeaders: TIdHeaderList;
  var VPostStream: TStream);
begin
  if Assigned(FOnCreatePostStream) then
    FOnCreatePostStream(ASender, AHeaders, VPostStream);
end;

procedure TIdCustomHTTPServer.DoneWithPostStream(ASender: TIdContext;
  ARequestInfo: TIdHTTPRequestInfo);
var
  CanFree: Boolean;
begin
  CanFree := True;
  if Assigned(FOnDoneWithPostStream) then
    FOnDoneWithPostStream(ASender, ARequestInfo, CanFree);
  if CanFree then
    FreeAndNil(ARequestInfo.FPostStream)
  else
    ARequestInfo.FPostStream := nil;
end;

procedure TIdCustomHTTPServer.DoOnCreateSession(AContext: TIdContext;
  var VNewSession: TIdHTTPSession);
begin
  VNewSession := nil;
  if Assigned(FOnCreateSession) then
    FOnCreateSession(AContext, VNewSession);
end;

procedure TIdCustomHTTPServer.DoInvalidSession(AContext: TIdContext;
  ARequestInfo: TIdHTTPRequestInfo; AResponseInfo: TIdHTTPResponseInfo;
  var VContinueProcessing: Boolean; const AInvalidSessionID: string);
begin
  if Assigned(FOnInvalidSession) then
    FOnInvalidSession(AContext, ARequestInfo, AResponseInfo, VContinueProcessing,
      AInvalidSessionID);
end;

procedure TIdCustomHTTPServer.DoCommandGet(AContext: TIdContext;
  ARequestInfo: TIdHTTPRequestInfo; AResponseInfo: TIdHTTPResponseInfo);
begin
  if Assigned(FOnCommandGet) then
    FOnCommandGet(AContext, ARequestInfo, AResponseInfo);
end;

procedure TIdCustomHTTPServer.DoCommandOther(AContext: TIdContext;
  ARequestInfo: TIdHTTPRequestInfo; AResponseInfo: TIdHTTPResponseInfo);
begin
  if Assigned(FOnCommandOther) then
    FOnCommandOther(AContext, ARequestInfo, AResponseInfo);
end;

procedure TIdCustomHTTPServer.DoCommandError(AContext: TIdContext;
  ARequestInfo: TIdHTTPRequestInfo; AResponseInfo: TIdHTTPResponseInfo;
  AException: Exception);
begin
  if Assigned(FOnCommandError) then
    FOnCommandError(AContext, ARequestInfo, AResponseInfo, AException);
end;

function TIdCustomHTTPServer.DoHeadersAvailable(ASender: TIdContext; const AUri: string;
  AHeaders: TIdHeaderList): Boolean;
begin
  Result := True;
  if Assigned(FOnHeadersAvailable) then
    FOnHeadersAvailable(ASender, AUri, AHeaders, Result);
end;

procedure TIdCustomHTTPServer.DoHeadersBlocked(ASender: TIdContext; AHeaders: TIdHeaderList;
  var VResponseNo: Integer; var VResponseText, VContentText: string);
begin
  VResponseNo := 403;
  VResponseText := '';
  VContentText := '';
  if Assigned(FOnHeadersBlocked) then
    FOnHeadersBlocked(ASender, AHeaders, VResponseNo, VResponseText, VContentText);
end;

function TIdCustomHTTPServer.DoHeaderExpectations(ASender: TIdContext;
  const AExpectations: string): Boolean;
begin
  Result := SameText(AExpectations, '100-continue');
  if Assigned(FOnHeaderExpectations) then
    FOnHeaderExpectations(ASender, AExpectations, Result);
end;

function TIdCustomHTTPServer.DoParseAuthentication(ASender: TIdContext;
  const AAuthType, AAuthData: string; var VUsername, VPassword: string): Boolean;
var
  S: RawByteString;
  T: string;
  P: Integer;
begin
  Result := False;
  if Assigned(FOnParseAuthentication) then
    FOnParseAuthentication(ASender, AAuthType, AAuthData, VUsername, VPassword, Result);
  if (not Result) and SameText(AAuthType, 'Basic') then
  begin
    S := Base64Decode(AAuthData);
    T := FromU8(PAnsiChar(S), Length(S));
    P := Pos(':', T);
    if P > 0 then
    begin
      VUsername := Copy(T, 1, P - 1);
      VPassword := Copy(T, P + 1, MaxInt);
    end
    else
      VUsername := T;
    Result := True;
  end;
end;

procedure TIdCustomHTTPServer.DoSessionEnd(Sender: TIdHTTPSession);
begin
  if Assigned(FOnSessionEnd) then
  try
    FOnSessionEnd(Sender);
  except
    on E: Exception do
      DoException(nil, E);
  end;
end;

procedure TIdCustomHTTPServer.DoSessionStart(Sender: TIdHTTPSession);
begin
  if Assigned(FOnSessionStart) then
    FOnSessionStart(Sender);
end;

function TIdCustomHTTPServer.CreateSession(AContext: TIdContext;
  HTTPResponse: TIdHTTPResponseInfo; HTTPRequest: TIdHTTPRequestInfo): TIdHTTPSession;
var
  C: TIdCookie;
begin
  Result := nil;
  if FSessionState and (FSessionList <> nil) then
  begin
    DoOnCreateSession(AContext, Result);
    Result := IocpWsAddSession(FSessionList, Result, HTTPRequest.RemoteIP);
    C := HTTPResponse.Cookies.Add;
    C.CookieName := SessionIDCookieName;
    C.Value := Result.SessionID;
    C.Path := '/';
    HTTPResponse.FSession := Result;
    HTTPRequest.FSession := Result;
    IocpWsHoldSession(FSessionList, HTTPRequest.FHeldSession, Result);
  end;
end;

procedure TIdCustomHTTPServer.InvalidSession(AContext, ARequest, AResponse: TObject;
  var VContinueProcessing: Boolean; const AInvalidSessionID: string);
begin
  DoInvalidSession(TIdContext(AContext), TIdHTTPRequestInfo(ARequest),
    TIdHTTPResponseInfo(AResponse), VContinueProcessing, AInvalidSessionID);
end;

function TIdCustomHTTPServer.EndSession(const SessionName: string;
  const RemoteIP: string): Boolean;
begin
  Result := IocpWsEndSession(FSessionList, SessionName, RemoteIP);
end;

function TIdCustomHTTPServer.GetSessionFromCookie(AContext: TIdContext;
  AHTTPrequest: TIdHTTPRequestInfo; AHTTPResponse: TIdHTTPResponseInfo;
  var VContinueProcessing: Boolean): TIdHTTPSession;
var
  I: Integer;
  Ids: TStringList;
begin
  Result := nil;
  VContinueProcessing := True;
  if FSessionState then
  begin
    Ids := TStringList.Create;
    try
      I := AHTTPrequest.Cookies.GetCookieIndex(SessionIDCookieName);
      while I >= 0 do
      begin
        Ids.Add(AHTTPrequest.Cookies[I].Value);
        I := AHTTPrequest.Cookies.GetCookieIndex(SessionIDCookieName, I + 1);
      end;
      Result := IocpWsFindSession(FSessionList, Ids, AHTTPrequest.RemoteIP,
        InvalidSession, AContext, AHTTPrequest, AHTTPResponse, VContinueProcessing);
    finally
      Ids.Free;
    end;
    if (Result = nil) and VContinueProcessing and FAutoStartSession then
      Result := CreateSession(AContext, AHTTPResponse, AHTTPrequest);
  end;
  AHTTPrequest.FSession := Result;
  AHTTPResponse.FSession := Result;
  if Result <> nil then
    IocpWsHoldSession(FSessionList, AHTTPrequest.FHeldSession, Result);
end;

{ Indy's DoExecute for one request, on a pool thread }
procedure TIdCustomHTTPServer.HandleRequest(AContext: TIdContext;
  ARequestInfo: TIdHTTPRequestInfo; AResponseInfo: TIdHTTPResponseInfo);
var
  No, I: Integer;
  Txt, Content, S, CT: string;
  Continue_, HasBasic: Boolean;
  PS: TStream;
  B: RawByteString;
begin
  AContext.FResponse := AResponseInfo;
  try
    if not VerifyPeer(AContext) then
    begin
      AResponseInfo.ResponseNo := 403;
      AResponseInfo.CloseConnection := True;
      Exit;
    end;
    if ARequestInfo.FMethodOverride <> '' then
    begin
      ARequestInfo.FCommand := UpperCase(ARequestInfo.FMethodOverride);
      ARequestInfo.FCommandType := DecodeHTTPCommand(ARequestInfo.FCommand);
    end;
    if ARequestInfo.FHeadDone then
      { OnHeadersAvailable and OnHeaderExpectations ran at the head }
    else if not DoHeadersAvailable(AContext, ARequestInfo.URI, ARequestInfo.RawHeaders) then
    begin
      No := 403;
      DoHeadersBlocked(AContext, ARequestInfo.RawHeaders, No, Txt, Content);
      AResponseInfo.ResponseNo := No;
      if Txt <> '' then
        AResponseInfo.ResponseText := Txt;
      AResponseInfo.ContentText := Content;
      AResponseInfo.CloseConnection := True;
      Exit;
    end;
    if (ARequestInfo.Expect <> '') and not ARequestInfo.FHeadDone then
      if not DoHeaderExpectations(AContext, ARequestInfo.Expect) then
      begin
        AResponseInfo.ResponseNo := 417;
        AResponseInfo.CloseConnection := True;
        Exit;
      end;
    CT := LowerCase(Trim(ARequestInfo.ContentType));
    if Pos(';', CT) > 0 then
      CT := Trim(Copy(CT, 1, Pos(';', CT) - 1));
    { a body streamed at the head: already in OnCreatePostStream's stream }
    if (ARequestInfo.FPostStream <> nil) and (CT = 'application/x-www-form-urlencoded') then
    begin
      SetLength(B, ARequestInfo.FPostStream.Size);
      if Length(B) > 0 then
        ARequestInfo.FPostStream.ReadBuffer(PAnsiChar(B)^, Length(B));
      ARequestInfo.FPostStream.Position := 0;
      ARequestInfo.FormParams := FromU8(PAnsiChar(B), Length(B));
    end;
    { the body the engine read, into the stream OnCreatePostStream gives }
    if Length(ARequestInfo.FBody) > 0 then
    begin
      PS := nil;
      if not ARequestInfo.FHeadDone then { else it gave none at the head }
        CreatePostStream(AContext, ARequestInfo.RawHeaders, PS);
      if PS = nil then
        PS := TMemoryStream.Create;
      ARequestInfo.FPostStream := PS;
      PS.WriteBuffer(ARequestInfo.FBody[0], Length(ARequestInfo.FBody));
      PS.Position := 0;
      if CT = 'application/x-www-form-urlencoded' then
      begin
        SetString(B, PAnsiChar(Pointer(ARequestInfo.FBody)), Length(ARequestInfo.FBody));
        ARequestInfo.FormParams := FromU8(PAnsiChar(B), Length(B));
      end;
      SetLength(ARequestInfo.FBody, 0);
    end;
    ARequestInfo.UnparsedParams := ARequestInfo.FormParams;
    if ARequestInfo.QueryParams <> '' then
      if ARequestInfo.UnparsedParams = '' then
        ARequestInfo.FUnparsedParams := ARequestInfo.QueryParams
      else
        ARequestInfo.FUnparsedParams := ARequestInfo.UnparsedParams + '&' + ARequestInfo.QueryParams;
    if FParseParams then
      if CT = 'application/x-www-form-urlencoded' then
        ARequestInfo.DecodeAndSetParams(ARequestInfo.UnparsedParams)
      else
        ARequestInfo.DecodeAndSetParams(ARequestInfo.QueryParams);
    ARequestInfo.Cookies.AddClientCookies(ARequestInfo.RawHeaders.Values['Cookie']);
    try
      try
        S := ARequestInfo.RawHeaders.Values['Authorization'];
        if S <> '' then
        begin
          I := Pos(' ', S);
          if I = 0 then
            I := Length(S) + 1;
          ARequestInfo.FAuthType := Copy(S, 1, I - 1);
          S := Trim(Copy(S, I + 1, MaxInt));
          ARequestInfo.FAuthExists := DoParseAuthentication(AContext, ARequestInfo.FAuthType,
            S, ARequestInfo.FAuthUsername, ARequestInfo.FAuthPassword);
          if not ARequestInfo.FAuthExists then
            raise EIdHTTPUnsupportedAuthorisationScheme.Create(
              'Unsupported authorization scheme.');
        end;
        Continue_ := True;
        GetSessionFromCookie(AContext, ARequestInfo, AResponseInfo, Continue_);
        if Continue_ then
          if ARequestInfo.CommandType in [hcGET, hcPOST, hcHEAD] then
            DoCommandGet(AContext, ARequestInfo, AResponseInfo)
          else
            DoCommandOther(AContext, ARequestInfo, AResponseInfo);
      except
        on E: EIdHTTPUnsupportedAuthorisationScheme do
        begin
          AResponseInfo.ResponseNo := 401;
          AResponseInfo.ContentText := E.Message;
          AResponseInfo.CharSet := 'utf-8';
          HasBasic := False;
          for I := 0 to AResponseInfo.WWWAuthenticate.Count - 1 do
            if SameText(Copy(AResponseInfo.WWWAuthenticate[I], 1, 5), 'Basic') then
              HasBasic := True;
          if not HasBasic then
            AResponseInfo.WWWAuthenticate.Add('Basic');
        end;
        on E: Exception do
        begin
          AResponseInfo.ResponseNo := 500;
          AResponseInfo.ContentText := E.Message;
          AResponseInfo.CharSet := 'utf-8';
          DoCommandError(AContext, ARequestInfo, AResponseInfo, E);
        end;
      end;
    finally
      if ARequestInfo.PostStream <> nil then
        DoneWithPostStream(AContext, ARequestInfo);
    end;
  finally
    AContext.FResponse := nil;
  end;
end;

initialization
  RegisterClass(TIdHTTPServer);
end.
