{ sgcWebSocket_iocp - sgcWebSockets names for the iocpws server component.

  An sgcWebSockets server program switches to iocpws by replacing, in its
  uses clause, sgcWebSocket (and sgcWebSocket_Classes, sgcWebSocket_Types
  when listed) by sgcWebSocket_iocp. The class names, event types and
  NotifyEvents values it uses keep their sgc names:

    uses sgcWebSocket, sgcWebSocket_Classes;   ->   uses sgcWebSocket_iocp;

  TsgcWebSocketServer is a subclass (not an alias) of TIocpWebSocketServer so
  that its ClassName is 'TsgcWebSocketServer' and forms (.dfm/.lfm) that
  stream it keep loading; everything else is an alias of the iocpws type.
  Every member of sgc's server, connection and option classes that sgc
  documents is declared with sgc's name, type and default; what the engine
  has no equivalent for (load balancer, Flash/SSE fallback, HTTP/2, ...)
  streams, and Start reports each such setting that is not at its default
  through OnError, with what to do instead (bindings/pascal/README.md has
  the list). The security components (TsgcWebSocketFirewall,
  TsgcWSRateLimiter, TsgcWSAPIKeyManager, the JWT / OAuth2 / WebAuthn
  servers) exist so that forms holding them load; a server that is to rely
  on one refuses to start. sgc's own subprotocol components
  (TsgcWSPServer_*) are not provided.

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
  SysUtils, Classes, iocpws.lib, iocpws.types, iocpws.options,
  iocpws.sgcoptions, iocpws.server, iocpws.sessions;
{$I iocpws.warnings.inc}

type
  { The server (unit sgcWebSocket in sgc). }
  TsgcWebSocketServer = class(TIocpWebSocketServer);

  { sgc's HTTP server events the engine never fires (see
    TsgcWebSocketHTTPServer). }
  TsgcWSOnAfterForwardHTTP = procedure(Connection: TIocpWSConnection;
    ARequestInfo: TIocpHTTPRequestInfo; AResponseInfo: TIocpHTTPResponseInfo;
    E: Exception) of object;
  TsgcWSOnBeforeHttp2AsyncRequest = procedure(Sender: TObject;
    Connection: TIocpWSConnection; const ARequestInfo: TIocpHTTPRequestInfo;
    var Async: Boolean) of object;

  { sgc's TsgcHTTPCommandOptions, OnBeforeCommand's answer. sgc's reference
    names these two values (no complete list is published):
    hcoUnauthorized answers 401 at once; hcoAuthorizedBasic makes the
    request need Basic credentials that Authentication.AuthUsers or
    OnAuthentication accept (else 401 with a Basic challenge). }
  TsgcHTTPCommandOption = (hcoUnauthorized, hcoAuthorizedBasic);
  TsgcHTTPCommandOptions = set of TsgcHTTPCommandOption;

  { sgc's OnBeforeCommand (sgc's signature). aConnection is always nil
    here: HTTP requests have no TsgcWSConnection in iocpws. }
  TsgcWSOnBeforeCommand = procedure(const aConnection: TIocpWSConnection;
    ARequestInfo: TIocpHTTPRequestInfo; AResponseInfo: TIocpHTTPResponseInfo;
    var aOptions: TsgcHTTPCommandOptions) of object;

  { sgc's TsgcTCPTLS_Options and TsgcWSServerForwardHTTP: declared in
    iocpws.sgcoptions (the connection's Forward_HTTP needs them). }
  TsgcTCPTLS_Options = iocpws.sgcoptions.TIocpWSTCPTLSOptions;
  TsgcOpenSSLClient_Options = iocpws.sgcoptions.TIocpWSOpenSSLClientOptions;
  TsgcSChannelClient_Options = iocpws.sgcoptions.TIocpWSSChannelClientOptions;
  TwsTLSIOHandler = iocpws.types.TIocpWSTLSIOHandler;
  TsgcWSServerForwardHTTP = iocpws.sgcoptions.TIocpWSServerForwardHTTP;

  { sgc's OnBeforeForwardHTTP (sgc's signature): never called here. }
  TsgcWSOnBeforeForwardHTTP = procedure(Connection: TIocpWSConnection;
    ARequestInfo: TIocpHTTPRequestInfo;
    aForward: TsgcWSServerForwardHTTP) of object;

  { The HTTP + WebSocket server (unit sgcWebSocket in sgc): the same
    component; OnCommandGet, OnCommandOther, DocumentRoot and KeepAlive
    are TIocpWebSocketServer's. }
  TsgcWebSocketHTTPServer = class(TIocpWebSocketHTTPServer)
  private
    FCharset: string;
    FMaxRequestBodySize: Int64;
    FParseParams: Boolean;
    FReadEmptySource: Integer;
    FReadStartSSL: Integer;
    FStrictRequestParsing: Boolean;
    FOnAfterForwardHTTP: TsgcWSOnAfterForwardHTTP;
    FOnBeforeForwardHTTP: TsgcWSOnBeforeForwardHTTP;
    FOnBeforeCommand: TsgcWSOnBeforeCommand;
    FOnHTTP2BeforeAsyncRequest: TsgcWSOnBeforeHttp2AsyncRequest;
    FPushPromise: TStringList; { the path matches given preload links }
    procedure SetMaxRequestBodySize(V: Int64);
    function BasicAccepted(ARequest: TIocpHTTPRequestInfo): Boolean;
  protected
    procedure ListNoEquivalent(L: TStrings); override;
    procedure BeforeStart; override;
    function HTTPBefore(AContext: TIocpHTTPContext; ARequest: TIocpHTTPRequestInfo;
      AResponse: TIocpHTTPResponseInfo): Boolean; override;
    function HTTPGated: Boolean; override;
  public
    constructor Create(AOwner: TComponent); override;
    destructor Destroy; override;
    { sgc's HTTP/2 server push preload links: kept, never pushed (the
      engine speaks HTTP/1.1 only); Start reports them while any are set. }
    procedure PushPromiseAddPreLoadLinks(const aPathMatch: string; const aLinks: TStrings);
    procedure PushPromiseRemovePreLoadLinks(const aPathMatch: string);
  published
    { sgc's default charset of text responses: ContentText always goes out
      as UTF-8 here (another value is reported at Start). }
    property Charset: string read FCharset write FCharset;
    { The largest request body: when not 0 it sets HTTPOptions.MaxBodySize
      (a larger body is answered 413 by the engine); 0 leaves
      HTTPOptions.MaxBodySize (1 MiB) as it is. }
    { sgc's default (64 MB) and meaning: a larger request body is answered
      413. It sets HTTPOptions.MaxBodySize; 0 (sgc: unlimited) sets the
      engine's largest bound, 2 GiB: a body held in memory is never
      unbounded. Negative raises EIocpWs. }
    property MaxRequestBodySize: Int64 read FMaxRequestBodySize write SetMaxRequestBodySize default 67108864;
    { Params are always parsed (query and form body): False is reported. }
    property ParseParams: Boolean read FParseParams write FParseParams default True;
    { Indy's socket read tuning: no equivalent (reported when not 0). }
    property ReadEmptySource: Integer read FReadEmptySource write FReadEmptySource default 0;
    property ReadStartSSL: Integer read FReadStartSSL write FReadStartSSL default 0;
    { no equivalent switch: the engine's own request parser applies
      (True is reported). }
    property StrictRequestParsing: Boolean read FStrictRequestParsing write FStrictRequestParsing default False;
    { sgc's HTTP forwarding and HTTP/2 events: never fired (no forwarding,
      HTTP/1.1 only); a handler is reported at Start. }
    property OnAfterForwardHTTP: TsgcWSOnAfterForwardHTTP read FOnAfterForwardHTTP write FOnAfterForwardHTTP;
    property OnBeforeForwardHTTP: TsgcWSOnBeforeForwardHTTP read FOnBeforeForwardHTTP write FOnBeforeForwardHTTP;
    { sgc's OnBeforeCommand: runs for every HTTP request, before
      OnCommandGet / OnCommandOther (and before the request's session is
      looked up), on their thread; a request no handler takes is answered
      404 only after it (a refused one gets its 401 first, so paths cannot
      be probed without credentials). aOptions starts empty:
      [hcoUnauthorized] answers 401 (with Authentication.Basic.CustomHeaders
      and a Basic challenge) and the handler does not run;
      [hcoAuthorizedBasic] lets the request through only with Basic
      credentials that Authentication.AuthUsers or OnAuthentication
      (Connection nil) accept, else the same 401. An exception answers 500
      (OnException). Differences from sgc: aConnection is nil; files under
      DocumentRoot are answered by the engine before any event, so the
      two together make Start raise EIocpWs (gate the files by serving
      them from OnCommandGet with AResponseInfo.ServeFile). }
    property OnBeforeCommand: TsgcWSOnBeforeCommand read FOnBeforeCommand write FOnBeforeCommand;
    property OnHTTP2BeforeAsyncRequest: TsgcWSOnBeforeHttp2AsyncRequest read FOnHTTP2BeforeAsyncRequest write FOnHTTP2BeforeAsyncRequest;
    { Indy's HTTP sessions (AutoStartSession, SessionState, SessionTimeOut,
      SessionList, OnCreateSession, OnInvalidSession, OnSessionStart,
      OnSessionEnd) are TIocpWebSocketHTTPServer's: see iocpws.server. }
  end;

  { Indy's session types (iocpws.sessions: the same classes as the Indy
    drop-in's) }
  TIdHTTPSession = iocpws.sessions.TIdHTTPSession;
  TIdHTTPCustomSessionList = iocpws.sessions.TIdHTTPCustomSessionList;
  TIdHTTPDefaultSessionList = iocpws.sessions.TIdHTTPDefaultSessionList;
  TIdHTTPSessionEndEvent = iocpws.sessions.TIdHTTPSessionEndEvent;
  TIdHTTPSessionStartEvent = iocpws.sessions.TIdHTTPSessionStartEvent;
  TIdHTTPCreateSession = iocpws.server.TIdHTTPCreateSession;
  TIdHTTPInvalidSessionEvent = iocpws.server.TIdHTTPInvalidSessionEvent;

  { Indy's names for the HTTP handler's parameters. }
  TIdContext = TIocpHTTPContext;
  TIdHTTPRequestInfo = TIocpHTTPRequestInfo;
  TIdHTTPResponseInfo = TIocpHTTPResponseInfo;
  TIdHTTPCommandEvent = TIocpHTTPCommandEvent;
  TIdHeaderList = TIocpHTTPHeaderList;

  { The connection (unit sgcWebSocket_Classes in sgc). }
  TsgcWSConnection = TIocpWSConnection;
  TsgcWSConnectionServer = TIocpWSConnection;
  TsgcWSConnectionServer_Base = TIocpWSConnection;
  TsgcWSHandShakeServer = TIocpWSHandShakeServer;
  TsgcWSHandShakeServer_Base = TIocpWSHandShakeServer;
  TsgcWSConnectionAuthentication = TIocpWSConnectionAuthentication;
  TsgcWSUpdateEvent = TIocpWSUpdateEvent;
  TsgcWSSubscriptionEvent = TIocpWSSubscriptionEvent;
  TsgcWSSSECustomizeHeadersEvent = TIocpWSSSECustomizeHeadersEvent;

  { Event types (sgc's names). }
  TsgcWSConnectEvent = TIocpWSConnectEvent;
  TsgcWSMessageEvent = TIocpWSMessageEvent;
  TsgcWSBinaryEvent = TIocpWSBinaryEvent;
  TsgcWSDisconnectEvent = TIocpWSDisconnectEvent;
  TsgcWSErrorEvent = TIocpWSErrorEvent;
  TsgcWSExceptionEvent = TIocpWSExceptionEvent;
  TsgcExceptionEvent = TIocpWSExceptionEvent;
  TsgcWSHandshakeEvent = TIocpWSHandshakeEvent;
  TsgcWSOnTCPConnect = TIocpWSAcceptEvent;
  TsgcWSUnknownProtocolEvent = TIocpWSAcceptEvent;
  TsgcWSAuthenticationEvent = TIocpWSAuthenticationEvent;
  TsgcWSFragmentedEvent = TIocpWSFragmentedEvent;
  TsgcWSOnBeforeHeartBeatEvent = TIocpWSBeforeHeartBeatEvent;

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
  TwsIOHandler = TIocpWSIOHandlerType;
  TsgcHeartBeatType = TIocpWSHeartBeatType;
  TwsTransport = TIocpWSTransport;
  TwsStreaming = TIocpWSStreaming;
  TOpCode = TIocpWSOpCode;
  TwsSpecification = TIocpWSSpecification;
  TwsIPVersion = TIocpWSIPVersion;
  TtcpEOFScanBuffer = TIocpWSEOFScanBuffer;
  TwsAuthentication = TIocpWSAuthentication;
  TwsOpenSSLAPI = TIocpWSOpenSSLAPI;
  TwsOpenSSLLibPath = TIocpWSOpenSSLLibPath;
  TwsOpenSSLSymLinks = TIocpWSOpenSSLSymLinks;
  TwsQueueMsgLevels = TIocpWSQueueMsgLevels;
  Th2FragmentedData = TIocpWSH2FragmentedData;
  TwsPostStreamType = TIocpWSPostStreamType;
  TsgcWSIOHandler_Options_Base = TIocpWSOptionsBase;
  TsgcWSIOHandler_IOCP_Options = TIocpWSIOCPOptions;
  TsgcWSIOHandler_EPOLL_Options = TIocpWSEPOLLOptions;
  TsgcWSExtension_PerMessage_Deflate = TIocpWSPerMessageDeflateOptions;
  TsgcWSExtension_DeflateFrame = TIocpWSDeflateFrameOptions;
  TsgcWSAuthenticationServer_Options = TIocpWSAuthenticationOptions;
  TsgcWSAuthenticationServer_URL = TIocpWSAuthURLOptions;
  TsgcWSAuthenticationServer_Session = TIocpWSAuthSessionOptions;
  TsgcWSAuthenticationServer_Basic = TIocpWSAuthBasicOptions;
  TsgcWSSecurity_Options = TIocpWSSecurityOptions;
  TsgcTCPKeepAlive = TIocpWSTCPKeepAliveOptions;
  TsgcOpenSSLServer_Options = TIocpWSOpenSSLOptions;
  TsgcSSL_Verify_Certificate_Options = TIocpWSVerifyCertificateOptions;
  TsgcWSLoadBalancerServer_Options = TIocpWSLoadBalancerOptions;
  TsgcWSThreadPool_Options = TIocpWSThreadPoolOptions;
  TsgcWSFallBack_Options = TIocpWSFallBackOptions;
  TsgcWSFallBack_Flash = TIocpWSFallBackFlash;
  TsgcWSFallBack_SSE = TIocpWSFallBackSSE;
  TsgcWSQueueServer_Options = TIocpWSQueueOptions;
  TsgcWSQueue = TIocpWSQueue;
  TsgcWSSpecifications = TIocpWSSpecifications;
  TsgcWSDrafts = TIocpWSDrafts;
  TsgcWSLogFile = TIocpWSLogFile;
  TsgcWSThrottle = TIocpWSThrottle;
  TsgcWSWatchDogServer_Options = TIocpWSWatchDogOptions;
  TsgcWSWatchDogMonitorServer_Options = TIocpWSWatchDogMonitor;
  TsgcWSHTTP2Server_Options = TIocpWSHTTP2Options;
  TsgcHTTPUploadFilesServer = TIocpWSHTTPUploadFiles;

  { sgc's security components and what they hold (iocpws.sgcoptions): they
    stream and compile; enabled and assigned to a server, Start raises
    EIocpWs (the engine has no equivalent); their methods raise EIocpWs. }
  TsgcWebSocketFirewall = class(TIocpWSFirewall);
  TsgcWSRateLimiter = class(TIocpWSRateLimiter);
  TsgcWSAPIKeyManager = class(TIocpWSAPIKeyManager);
  { the token / passkey components Authentication.JWT / OAuth / WebAuthn
    name (their own members are not declared) }
  TsgcHTTP_JWT_Server = class(TIocpWSJWTServer);
  TsgcHTTP_OAuth2_Server = class(TIocpWSOAuth2Server);
  TsgcHTTP_OAuth2_Server_Provider = class(TIocpWSOAuth2ServerProvider);
  TsgcWSAPIServer_WebAuthn = class(TIocpWSWebAuthnServer);
  TsgcFirewallAction = TIocpWSFirewallAction;
  TsgcFirewallGeoIPMode = TIocpWSFirewallGeoIPMode;
  TsgcRateLimitStrategy = TIocpWSRateLimitStrategy;
  TsgcAPIKeyStorageType = TIocpWSAPIKeyStorageType;
  TsgcAPIKeyHashAlgorithm = TIocpWSAPIKeyHashAlgorithm;
  TsgcFirewallOnFiltered = TIocpWSFirewallOnFiltered;
  TsgcFirewallOnResolveCountry = TIocpWSFirewallOnResolveCountry;
  TsgcFirewallOnThreatScoreChanged = TIocpWSFirewallOnThreatScoreChanged;
  TsgcRateLimitOnThrottled = TIocpWSRateLimitOnThrottled;
  TsgcRateLimitOnQuotaExceeded = TIocpWSRateLimitOnQuotaExceeded;
  TsgcRateLimitOnStateChange = TIocpWSRateLimitOnStateChange;
  TsgcAPIKeyOnKeyValidated = TIocpWSAPIKeyOnKeyValidated;
  TsgcAPIKeyOnKeyRevoked = TIocpWSAPIKeyOnKeyRevoked;
  TsgcAPIKeyOnKeyRotated = TIocpWSAPIKeyOnKeyRotated;
  TsgcAPIKeyOnKeyExpired = TIocpWSAPIKeyOnKeyExpired;
  TsgcAPIKeyOnValidation = TIocpWSAPIKeyOnValidation;
  TsgcFirewallIPList = TIocpWSFirewallIPList;
  TsgcFirewallBruteForce = TIocpWSFirewallBruteForce;
  TsgcFirewallSQLInjection = TIocpWSFirewallSQLInjection;
  TsgcFirewallXSS = TIocpWSFirewallXSS;
  TsgcFirewallRateLimit = TIocpWSFirewallRateLimit;
  TsgcFirewallFloodProtection = TIocpWSFirewallFloodProtection;
  TsgcFirewallPayloadLimit = TIocpWSFirewallPayloadLimit;
  TsgcFirewallPathTraversal = TIocpWSFirewallPathTraversal;
  TsgcFirewallCommandInjection = TIocpWSFirewallCommandInjection;
  TsgcFirewallThreatScore = TIocpWSFirewallThreatScore;
  TsgcFirewallBanEscalation = TIocpWSFirewallBanEscalation;
  TsgcFirewallGeoIP = TIocpWSFirewallGeoIP;
  TsgcFirewallWebSocketProtection = TIocpWSFirewallWebSocketProtection;
  TsgcFirewallRules = TIocpWSFirewallRules;
  TsgcFirewallBotDatacenter = TIocpWSFirewallBotDatacenter;
  TsgcFirewallBotReverseDNS = TIocpWSFirewallBotReverseDNS;
  TsgcFirewallBotDNSBL = TIocpWSFirewallBotDNSBL;
  TsgcFirewallBotDetection = TIocpWSFirewallBotDetection;
  TsgcFirewallStats = TIocpWSFirewallStats;
  TsgcWSFirewall = TIocpWSFirewall;
  TsgcRateLimitTokenBucket = TIocpWSRateLimitTokenBucket;
  TsgcRateLimitSlidingWindow = TIocpWSRateLimitSlidingWindow;
  TsgcRateLimitFixedWindow = TIocpWSRateLimitFixedWindow;
  TsgcRateLimitRule = TIocpWSRateLimitRule;
  TsgcRateLimitRuleList = TIocpWSRateLimitRuleList;
  TsgcRateLimitQuotaList = TIocpWSRateLimitQuotaList;
  TsgcRateLimitBurst = TIocpWSRateLimitBurst;
  TsgcRateLimitResponse = TIocpWSRateLimitResponse;
  TsgcRateLimitStats = TIocpWSRateLimitStats;
  TsgcAPIKeyStats = TIocpWSAPIKeyStats;
  TsgcAPIKeyGeneration = TIocpWSAPIKeyGeneration;
  TsgcAPIKeyStorage = TIocpWSAPIKeyStorage;
  TsgcAPIKeyHashing = TIocpWSAPIKeyHashing;
  TsgcAPIKeyScopeList = TIocpWSAPIKeyScopeList;
  TsgcAPIKeyRotation = TIocpWSAPIKeyRotation;
  TsgcAPIKeyExpiration = TIocpWSAPIKeyExpiration;
  TsgcAPIKeyRateLimit = TIocpWSAPIKeyRateLimit;
  TsgcAPIKeyAudit = TIocpWSAPIKeyAudit;
  TsgcAPIKeyValidation = TIocpWSAPIKeyValidation;
  TsgcWSConnections_Options = TIocpWSConnectionsOptions;
  TsgcWSChannels_Options = TIocpWSChannelsOptions;
  TsgcWSConnectionsFree_Options = TIocpWSConnectionsFreeOptions;
  TsgcWSOptimization_Options = TIocpWSOptimizationOptions;
  TsgcWSLoadBalancerClient = TIocpWSLoadBalancerClient;
  TsgcWSServerGroups = TIocpWSServerGroups;
  TsgcWSServerGroupItem = TIocpWSServerGroupItem;
  TsgcQueueItemBase = TIocpWSQueueItemBase;
  { ours: sgc does not publish this type (see TIocpWSServerGroupClients) }
  TsgcWSServerGroups_Clients = TIocpWSServerGroupClients;
  TsgcThreadListType = TIocpWSThreadListType;
  TsgcWSAuthenticationServer_JWT = TIocpWSAuthJWTOptions;
  TsgcWSAuthenticationServer_OAuth = TIocpWSAuthOAuthOptions;
  TsgcWSAuthenticationServer_WebAuthn = TIocpWSAuthWebAuthnOptions;
  TsgcWSUnknownAuthenticationEvent = TIocpWSUnknownAuthenticationEvent;
  TsgcWSOnSSLGetHandler = TIocpWSSSLGetHandlerEvent;
  TsgcWSOnSSLAfterCreateHandler = TIocpWSSSLAfterCreateHandlerEvent;
  TsgcWSOnSSLALPNSelect = TIocpWSSSLALPNSelectEvent;
  TsgcOnSSLVerifyPeer = TIocpWSSSLVerifyPeerEvent;
  TIdX509 = TIocpWSX509;
  TIdX509Name = TIocpWSX509Name;
  TsgcWSHTTPUploadBeforeSaveFileEvent = TIocpWSHTTPUploadBeforeSaveFileEvent;
  TsgcWSHTTPUploadAfterSaveFileEvent = TIocpWSHTTPUploadAfterSaveFileEvent;
  TsgcWSHTTPUploadReadInputEvent = TIocpWSHTTPUploadReadInputEvent;
  TsgcWSHTTPBeforeCreatePostStream = TIocpWSHTTPBeforeCreatePostStreamEvent;
  TsgcWSLoadBalancerErrorEvent = TIocpWSLoadBalancerErrorEvent;
  TsgcWSServerGroupClientAddedEvent = TIocpWSServerGroupClientEvent;
  TsgcWSServerGroupClientRemovedEvent = TIocpWSServerGroupClientEvent;

  { Indy's names for Bindings (sgc's Bindings is a TIdSocketHandles). }
  TIdSocketHandles = TIocpWSBindings;
  TIdSocketHandle = TIocpWSBinding;
  TIdIPVersion = TIocpIPVersion;

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
  iohDefault = iocpws.types.iohDefault;
  iohIOCP = iocpws.types.iohIOCP;
  iohEPOLL = iocpws.types.iohEPOLL;
  iohOpenSSL = iocpws.types.iohOpenSSL;
  iohSChannel = iocpws.types.iohSChannel;
  iohAndroidTLS = iocpws.types.iohAndroidTLS;
  iohAppleTLS = iocpws.types.iohAppleTLS;
  hbtAlways = iocpws.types.hbtAlways;
  hbtOnlyIfNoMsgRcvInterval = iocpws.types.hbtOnlyIfNoMsgRcvInterval;
  trpUndefined = iocpws.types.trpUndefined;
  trpRFC6455 = iocpws.types.trpRFC6455;
  trpHixie76 = iocpws.types.trpHixie76;
  trpFlash = iocpws.types.trpFlash;
  trpSSE = iocpws.types.trpSSE;
  trpTCP = iocpws.types.trpTCP;
  trpHTTP = iocpws.types.trpHTTP;
  trpRFC8441 = iocpws.types.trpRFC8441;
  trpHTTP2 = iocpws.types.trpHTTP2;
  trpUDP = iocpws.types.trpUDP;
  trpQUIC = iocpws.types.trpQUIC;
  trpHTTP3 = iocpws.types.trpHTTP3;
  stmNone = iocpws.types.stmNone;
  stmFirst = iocpws.types.stmFirst;
  stmContinue = iocpws.types.stmContinue;
  stmLast = iocpws.types.stmLast;
  stmContinueAndLast = iocpws.types.stmContinueAndLast;
  opContinuation = iocpws.types.opContinuation;
  opText = iocpws.types.opText;
  opBinary = iocpws.types.opBinary;
  opClose = iocpws.types.opClose;
  opPing = iocpws.types.opPing;
  opPong = iocpws.types.opPong;
  spRFC6455 = iocpws.types.spRFC6455;
  spHixie76 = iocpws.types.spHixie76;
  spRFC8441 = iocpws.types.spRFC8441;
  ipV4 = iocpws.types.ipV4;
  ipV6 = iocpws.types.ipV6;
  oslAPI_1_0 = iocpws.types.oslAPI_1_0;
  oslAPI_1_1 = iocpws.types.oslAPI_1_1;
  oslAPI_3_0 = iocpws.types.oslAPI_3_0;
  oslpNone = iocpws.types.oslpNone;
  oslpDefaultFolder = iocpws.types.oslpDefaultFolder;
  oslpCustomPath = iocpws.types.oslpCustomPath;
  oslsSymLinksDefault = iocpws.types.oslsSymLinksDefault;
  oslsSymLinksLoadFirst = iocpws.types.oslsSymLinksLoadFirst;
  oslsSymLinksLoad = iocpws.types.oslsSymLinksLoad;
  oslsSymLinksDontLoad = iocpws.types.oslsSymLinksDontLoad;
  qmNone = iocpws.types.qmNone;
  eofScanNone = iocpws.types.eofScanNone;
  eofScanLatestBytes = iocpws.types.eofScanLatestBytes;
  eofScanAllBytes = iocpws.types.eofScanAllBytes;
  authNone = iocpws.types.authNone;
  authSession = iocpws.types.authSession;
  authURL = iocpws.types.authURL;
  authBasic = iocpws.types.authBasic;
  authToken = iocpws.types.authToken;
  qmLevel1 = iocpws.types.qmLevel1;
  qmLevel2 = iocpws.types.qmLevel2;
  qmLevel3 = iocpws.types.qmLevel3;
  h2fdOnlyBuffer = iocpws.types.h2fdOnlyBuffer;
  h2fdOnlyFragmented = iocpws.types.h2fdOnlyFragmented;
  h2fdAll = iocpws.types.h2fdAll;
  pstMemoryStream = iocpws.types.pstMemoryStream;
  pstFileStream = iocpws.types.pstFileStream;
  Id_IPv4 = iocpws.types.Id_IPv4;
  Id_IPv6 = iocpws.types.Id_IPv6;
  faDeny = iocpws.sgcoptions.faDeny;
  faAllow = iocpws.sgcoptions.faAllow;
  faLog = iocpws.sgcoptions.faLog;
  gmBlockList = iocpws.sgcoptions.gmBlockList;
  gmAllowList = iocpws.sgcoptions.gmAllowList;
  rlsTokenBucket = iocpws.sgcoptions.rlsTokenBucket;
  rlsSliding = iocpws.sgcoptions.rlsSliding;
  rlsFixed = iocpws.sgcoptions.rlsFixed;
  kstMemory = iocpws.sgcoptions.kstMemory;
  kstFile = iocpws.sgcoptions.kstFile;
  kstCustom = iocpws.sgcoptions.kstCustom;
  khaSHA256 = iocpws.sgcoptions.khaSHA256;
  khaSHA512 = iocpws.sgcoptions.khaSHA512;
  khaBcrypt = iocpws.sgcoptions.khaBcrypt;
  tdlThreadDictionary = iocpws.server.tdlThreadDictionary;
  tdlOnlyThread = iocpws.server.tdlOnlyThread;
  tdlOnlyDictionary = iocpws.server.tdlOnlyDictionary;

implementation

const
  { sgc's default MaxRequestBodySize (64 MB), and the engine's largest
    IWS_OPT_HTTP_MAX_BODY_SIZE }
  SGC_MAX_REQUEST_BODY = 64 * 1024 * 1024;
  ENGINE_MAX_BODY = Int64(1) shl 31;

{ ---- TsgcWebSocketHTTPServer ----------------------------------------------- }

constructor TsgcWebSocketHTTPServer.Create(AOwner: TComponent);
begin
  inherited Create(AOwner);
  FParseParams := True;
  FPushPromise := TStringList.Create;
  SetMaxRequestBodySize(SGC_MAX_REQUEST_BODY);
end;

destructor TsgcWebSocketHTTPServer.Destroy;
begin
  inherited Destroy; { stops the server first }
  FPushPromise.Free;
end;

procedure TsgcWebSocketHTTPServer.PushPromiseAddPreLoadLinks(const aPathMatch: string;
  const aLinks: TStrings);
begin
  { only that some are set matters: nothing is ever pushed }
  if FPushPromise.IndexOf(aPathMatch) < 0 then
    FPushPromise.Add(aPathMatch);
end;

procedure TsgcWebSocketHTTPServer.PushPromiseRemovePreLoadLinks(const aPathMatch: string);
var
  I: Integer;
begin
  I := FPushPromise.IndexOf(aPathMatch);
  if I >= 0 then
    FPushPromise.Delete(I);
end;

procedure TsgcWebSocketHTTPServer.SetMaxRequestBodySize(V: Int64);
begin
  CheckInactive('changing an option');
  if V < 0 then
    raise EIocpWs.CreateCode(IWS_E_OPTION_RANGE, 'iocpws: MaxRequestBodySize ' +
      IntToStr(V) + ' is negative (0 = the largest, 2 GiB)');
  FMaxRequestBodySize := V;
  if (V = 0) or (V > ENGINE_MAX_BODY) then
    HTTPOptions.MaxBodySize := ENGINE_MAX_BODY
  else
    HTTPOptions.MaxBodySize := V;
end;

procedure TsgcWebSocketHTTPServer.ListNoEquivalent(L: TStrings);
begin
  inherited ListNoEquivalent(L);
  if (FCharset <> '') and not SameText(FCharset, 'utf-8') then
    L.Add('Charset = ' + FCharset + ': ContentText is always sent as UTF-8');
  if not FParseParams then
    L.Add('ParseParams = False: Params are always parsed (query and form body)');
  if (FReadEmptySource <> 0) or (FReadStartSSL <> 0) then
    L.Add('ReadEmptySource / ReadStartSSL: no equivalent (the engine reads ' +
      'the sockets itself)');
  if FStrictRequestParsing then
    L.Add('StrictRequestParsing = True: no equivalent switch (the engine''s ' +
      'own request parser applies)');
  if Assigned(FOnBeforeForwardHTTP) or Assigned(FOnAfterForwardHTTP) or
    Assigned(FOnHTTP2BeforeAsyncRequest) then
    L.Add('OnBeforeForwardHTTP / OnAfterForwardHTTP / OnHTTP2BeforeAsyncRequest: ' +
      'never called (no HTTP forwarding, HTTP/1.1 only): forward from ' +
      'OnCommandGet with an HTTP client, or put a reverse proxy in front');
  if FPushPromise.Count > 0 then
    L.Add(Format('PushPromiseAddPreLoadLinks (%d paths): never pushed (HTTP/1.1 ' +
      'only): list the resources with Link: rel=preload headers in OnCommandGet',
      [FPushPromise.Count]));
end;

procedure TsgcWebSocketHTTPServer.BeforeStart;
begin
  { the engine answers files under DocumentRoot before any event: a gate
    in OnBeforeCommand would not cover them, and a server must never run
    believing it is protected }
  if Assigned(FOnBeforeCommand) and (DocumentRoot <> '') then
    raise EIocpWs.CreateCode(IWS_E_UNSUPPORTED, 'iocpws: OnBeforeCommand ' +
      'with DocumentRoot: the files under DocumentRoot are answered before ' +
      'any event, so OnBeforeCommand could not refuse them; refusing to ' +
      'start. Leave DocumentRoot empty and serve the files from ' +
      'OnCommandGet (AResponseInfo.ServeFile)');
  inherited BeforeStart;
end;

function TsgcWebSocketHTTPServer.BasicAccepted(ARequest: TIocpHTTPRequestInfo): Boolean;
var
  K: Integer;
begin
  Result := False;
  if not ARequest.AuthExists or (ARequest.AuthUsername = '') then
    Exit;
  K := Authentication.AuthUsers.IndexOfName(ARequest.AuthUsername);
  Result := (K >= 0) and
    (Authentication.AuthUsers.ValueFromIndex[K] = ARequest.AuthPassword);
  if not Result and Assigned(OnAuthentication) then
    OnAuthentication(nil, ARequest.AuthUsername, ARequest.AuthPassword, Result);
end;

function TsgcWebSocketHTTPServer.HTTPGated: Boolean;
begin
  Result := Assigned(FOnBeforeCommand);
end;

function TsgcWebSocketHTTPServer.HTTPBefore(AContext: TIocpHTTPContext;
  ARequest: TIocpHTTPRequestInfo; AResponse: TIocpHTTPResponseInfo): Boolean;
var
  Opts: TsgcHTTPCommandOptions;
  I, P: Integer;
  Challenge: Boolean;
  N: string;
begin
  if Assigned(FOnBeforeCommand) then
  begin
    Opts := [];
    FOnBeforeCommand(nil, ARequest, AResponse, Opts);
    if (hcoUnauthorized in Opts) or
      ((hcoAuthorizedBasic in Opts) and not BasicAccepted(ARequest)) then
    begin
      AResponse.ResponseNo := 401;
      AResponse.ResponseText := '';
      AResponse.ContentType := 'text/plain';
      AResponse.ContentText := 'Unauthorized';
      AResponse.ContentStream := nil;
      Challenge := True;
      for I := 0 to Authentication.Basic.CustomHeaders.Count - 1 do
      begin
        N := Authentication.Basic.CustomHeaders[I];
        P := Pos(':', N);
        if P = 0 then
          Continue;
        AResponse.CustomHeaders.AddValue(Trim(Copy(N, 1, P - 1)),
          Trim(Copy(N, P + 1, MaxInt)));
        if SameText(Trim(Copy(N, 1, P - 1)), 'WWW-Authenticate') then
          Challenge := False;
      end;
      if Challenge then
        AResponse.CustomHeaders.AddValue('WWW-Authenticate', 'Basic realm="iocpws"');
      Exit(False);
    end;
  end;
  Result := inherited HTTPBefore(AContext, ARequest, AResponse);
end;

initialization
  RegisterClass(TsgcWebSocketServer);
  RegisterClass(TsgcWebSocketHTTPServer);
  RegisterClasses([TsgcWebSocketFirewall, TsgcWSRateLimiter, TsgcWSAPIKeyManager,
    TsgcHTTP_JWT_Server, TsgcHTTP_OAuth2_Server, TsgcHTTP_OAuth2_Server_Provider,
    TsgcWSAPIServer_WebAuthn]);
end.
