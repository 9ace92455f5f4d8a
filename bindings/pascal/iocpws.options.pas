{ iocpws.options - the option objects of the server component, with
  sgcWebSockets' names and defaults: HeartBeat, IOHandlerOptions, SSLOptions,
  Options, Extensions, HTTPOptions. iocpws.server (and sgcWebSocket_iocp)
  repeat these names, so programs need not list this unit. }
unit iocpws.options;

{$I iocpws.defines.inc}

interface

uses
  SysUtils, Classes, TypInfo, Variants, iocpws.lib, iocpws.types;
{$I iocpws.warnings.inc}

type
  { What the option objects need of the server that owns them. }
  TIocpWSServerBase = class(TComponent)
  protected
    { Raises EIocpWs when the server is running (options are set while it
      is stopped). }
    procedure CheckInactive(const What: string); virtual; abstract;
  end;

  { Option objects: set them while the server is stopped (the ones the
    engine reads raise EIocpWs when changed while it runs; the others are
    read at Start or, for Authentication and SecurityOptions, at each new
    connection). Assign copies every published property. }
  TIocpWSOptionsBase = class(TPersistent)
  protected
    FOwner: TIocpWSServerBase;
    procedure Changing;
  public
    constructor Create(AOwner: TIocpWSServerBase); virtual;
    procedure Assign(Source: TPersistent); override;
  end;
  TIocpWSOptionsClass = class of TIocpWSOptionsBase;

  { Server pings: every Interval seconds; a peer silent for Timeout seconds
    after a ping is dropped (OnDisconnect 1006); Timeout 0 = no check. }
  TIocpWSHeartBeatOptions = class(TIocpWSOptionsBase)
  private
    FEnabled: Boolean;
    FInterval: Integer;
    FTimeout: Integer;
    FHeartBeatType: TIocpWSHeartBeatType;
    procedure SetEnabled(V: Boolean);
    procedure SetInterval(V: Integer);
    procedure SetTimeout(V: Integer);
  public
  published
    property Enabled: Boolean read FEnabled write SetEnabled default False;
    property Interval: Integer read FInterval write SetInterval default 300;
    property Timeout: Integer read FTimeout write SetTimeout default 0;
    { hbtAlways: a ping every Interval; hbtOnlyIfNoMsgRcvInterval: only to
      connections from which no message came during the last Interval
      (IWS_OPT_HEARTBEAT_IF_IDLE; their pongs do not count). }
    property HeartBeatType: TIocpWSHeartBeatType read FHeartBeatType write FHeartBeatType default hbtAlways;
  end;

  { IOCPThreads: I/O threads (0 = CPU count). WorkOpThreads: 0 = handlers
    on the I/O threads; N = each connection pinned to one of N threads. }
  TIocpWSIOCPOptions = class(TIocpWSOptionsBase)
  private
    FIOCPThreads: Integer;
    FWorkOpThreads: Integer;
    FAcceptExMultiplier: Integer;
    FTimeOut: Integer;
    procedure SetIOCPThreads(V: Integer);
    procedure SetWorkOpThreads(V: Integer);
  public
    constructor Create(AOwner: TIocpWSServerBase); override;
  published
    property IOCPThreads: Integer read FIOCPThreads write SetIOCPThreads default 0;
    property WorkOpThreads: Integer read FWorkOpThreads write SetWorkOpThreads default 0;
    { AcceptEx calls kept posted per I/O thread (IWS_OPT_ACCEPTS_POSTED =
      AcceptExMultiplier x I/O threads; 0 = the engine's 2 per thread;
      ignored by the epoll back end). }
    property AcceptExMultiplier: Integer read FAcceptExMultiplier write FAcceptExMultiplier default 0;
    { sgc: the GetQueuedCompletionStatus wait (ms). The engine has no such
      setting: values other than 10000 are reported at Start. }
    property TimeOut: Integer read FTimeOut write FTimeOut default 10000;
  end;

  { sgc's IOHandlerOptions.EPOLL: read when IOHandlerType = iohEPOLL.
    EPOLLThreads = I/O threads (0 = CPU count), WorkOpThreads as IOCP's,
    HandshakeTimeoutMS = Options.HandshakeTimeout when not 0. The engine
    has no AcceptBatchSize / WaitTimeoutMS settings: other values than the
    defaults are reported at Start. }
  TIocpWSEPOLLOptions = class(TIocpWSOptionsBase)
  private
    FEPOLLThreads: Integer;
    FWorkOpThreads: Integer;
    FHandshakeTimeoutMS: Integer;
    FAcceptBatchSize: Integer;
    FWaitTimeoutMS: Integer;
  public
    constructor Create(AOwner: TIocpWSServerBase); override;
  published
    property EPOLLThreads: Integer read FEPOLLThreads write FEPOLLThreads default 0;
    property WorkOpThreads: Integer read FWorkOpThreads write FWorkOpThreads default 0;
    property HandshakeTimeoutMS: Integer read FHandshakeTimeoutMS write FHandshakeTimeoutMS default 0;
    property AcceptBatchSize: Integer read FAcceptBatchSize write FAcceptBatchSize default 0;
    property WaitTimeoutMS: Integer read FWaitTimeoutMS write FWaitTimeoutMS default 0;
  end;

  { sgc's IOHandlerOptions. IOHandlerType: iohDefault and iohIOCP take the
    thread counts from IOCP (on every platform, as before), iohEPOLL from
    EPOLL; every value runs this engine. }
  TIocpWSIOHandlerOptions = class(TIocpWSOptionsBase)
  private
    FIOCP: TIocpWSIOCPOptions;
    FEPOLL: TIocpWSEPOLLOptions;
    FIOHandlerType: TIocpWSIOHandlerType;
    procedure SetIOCP(V: TIocpWSIOCPOptions);
    procedure SetEPOLL(V: TIocpWSEPOLLOptions);
  public
    constructor Create(AOwner: TIocpWSServerBase); override;
    destructor Destroy; override;
  published
    property IOCP: TIocpWSIOCPOptions read FIOCP write SetIOCP;
    property EPOLL: TIocpWSEPOLLOptions read FEPOLL write SetEPOLL;
    property IOHandlerType: TIocpWSIOHandlerType read FIOHandlerType write FIOHandlerType default iohDefault;
  end;

  { TLS (wss://) when the server's SSL is True, as sgc's SSLOptions:
    PEM files for the certificate (optionally followed by its chain), its
    private key (Password if encrypted) and the CA / intermediate
    certificates sent after it (RootCertFile). Port 0 = TLS on the server's
    Port, with no plain listener; another Port = TLS there, and plain ws://
    on the server's Port too. Version = the oldest version accepted
    (tlsUndefined = TLS 1.2). Errors (a missing file, a wrong password, a key
    that does not match) raise EIocpWs (Code IWS_E_TLS_CONFIG) at Start with
    OpenSSL's reason. }
  { sgc's SSLOptions.OpenSSL_Options. The engine uses the OpenSSL it was
    built with: values other than these defaults are reported at Start
    (ECDHE: the engine's OpenSSL defaults already prefer ECDHE suites). }
  TIocpWSOpenSSLOptions = class(TIocpWSOptionsBase)
  private
    FAPIVersion: TIocpWSOpenSSLAPI;
    FLibPath: TIocpWSOpenSSLLibPath;
    FLibPathCustom: string;
    FUnixSymLinks: TIocpWSOpenSSLSymLinks;
    FECDHE: Boolean;
    FCurveList: string;
    FVersionMin: TIocpWSTLSVersions;
  published
    property APIVersion: TIocpWSOpenSSLAPI read FAPIVersion write FAPIVersion default oslAPI_1_0;
    property LibPath: TIocpWSOpenSSLLibPath read FLibPath write FLibPath default oslpNone;
    property LibPathCustom: string read FLibPathCustom write FLibPathCustom;
    property UnixSymLinks: TIocpWSOpenSSLSymLinks read FUnixSymLinks write FUnixSymLinks default oslsSymLinksDefault;
    property ECDHE: Boolean read FECDHE write FECDHE default False;
    property CurveList: string read FCurveList write FCurveList;
    property VersionMin: TIocpWSTLSVersions read FVersionMin write FVersionMin default tlsUndefined;
  end;

  { sgc's SSLOptions.VerifyCertificate_Options (client certificates). }
  TIocpWSVerifyCertificateOptions = class(TIocpWSOptionsBase)
  private
    FFailIfNoCertificate: Boolean;
    FVerifyClientOnce: Boolean;
  published
    property FailIfNoCertificate: Boolean read FFailIfNoCertificate write FFailIfNoCertificate default False;
    property VerifyClientOnce: Boolean read FVerifyClientOnce write FVerifyClientOnce default False;
  end;

  TIocpWSSSLOptions = class(TIocpWSOptionsBase)
  private
    FVerifyCertificate: Boolean;
    FVerifyDepth: Integer;
    FOpenSSLOptions: TIocpWSOpenSSLOptions;
    FVerifyCertificateOptions: TIocpWSVerifyCertificateOptions;
    FCertFile: string;
    FKeyFile: string;
    FRootCertFile: string;
    FPassword: string;
    FVersion: TIocpWSTLSVersions;
    FPort: Integer;
    procedure SetStr(var F: string; const V: string);
    procedure SetCertFile(const V: string);
    procedure SetKeyFile(const V: string);
    procedure SetRootCertFile(const V: string);
    procedure SetPassword(const V: string);
    procedure SetVersion(V: TIocpWSTLSVersions);
    procedure SetPort(V: Integer);
    procedure SetOpenSSL_Options(V: TIocpWSOpenSSLOptions);
    procedure SetVerifyCertificate_Options(V: TIocpWSVerifyCertificateOptions);
  public
    constructor Create(AOwner: TIocpWSServerBase); override;
    destructor Destroy; override;
  published
    property CertFile: string read FCertFile write SetCertFile;
    property KeyFile: string read FKeyFile write SetKeyFile;
    property RootCertFile: string read FRootCertFile write SetRootCertFile;
    property Password: string read FPassword write SetPassword;
    property Version: TIocpWSTLSVersions read FVersion write SetVersion default tlsUndefined;
    property Port: Integer read FPort write SetPort default 0;
    { Client certificates (sgc: ask the client for one and check it against
      RootCertFile). The engine cannot verify client certificates yet:
      True makes Start raise EIocpWs rather than accept unverified
      clients. }
    property VerifyCertificate: Boolean read FVerifyCertificate write FVerifyCertificate default False;
    { Depth of the client's chain (with VerifyCertificate). }
    property VerifyDepth: Integer read FVerifyDepth write FVerifyDepth default 0;
    property OpenSSL_Options: TIocpWSOpenSSLOptions read FOpenSSLOptions write SetOpenSSL_Options;
    property VerifyCertificate_Options: TIocpWSVerifyCertificateOptions read FVerifyCertificateOptions write SetVerifyCertificate_Options;
  end;

  { Engine limits and timeouts, and sgc's Options (TsgcWSOptionsServer):
    FragmentedMessages: the engine joins fragments, so a message reaches
      OnFragmented (frgOnlyFragmented, frgAll) as one final fragment;
      frgOnlyBuffer / frgAll also give it to OnMessage / OnBinary.
    CleanDisconnect: Connection.Disconnect sends a close frame (1000)
      instead of dropping the TCP link.
    ValidateUTF8: the engine always validates text (invalid UTF-8 closes
      with 1007), whatever this says.
    ReadTimeOut, WriteTimeOut: sgc's socket timeouts; the engine has
      HeartBeat.Timeout and Options.SendQueueLimit instead: values other
      than 10 / 0 are reported at Start.
    HTMLFiles, JavascriptFiles: sgc serves its own JavaScript and HTML
      files; iocpws does not (serve them from DocumentRoot).
    RaiseDisconnectExceptions: no effect (disconnects raise nothing).
    Software: the Server header of HTTP answers ('' = the engine's none). }
  TIocpWSServerOptions = class(TIocpWSOptionsBase)
  private
    FHandshakeTimeout: Integer;
    FCloseTimeout: Integer;
    FStopTimeout: Integer;
    FSendQueueLimit: Int64;
    FSubprotocols: string;
    FValidateUTF8: Boolean;
    FFragmentedMessages: TIocpWSFragmentedMessages;
    FCleanDisconnect: Boolean;
    FHTMLFiles: Boolean;
    FJavascriptFiles: Boolean;
    FReadTimeOut: Integer;
    FWriteTimeOut: Integer;
    FRaiseDisconnectExceptions: Boolean;
    FSoftware: string;
    procedure SetInt(var F: Integer; V: Integer);
    procedure SetHandshakeTimeout(V: Integer);
    procedure SetCloseTimeout(V: Integer);
    procedure SetStopTimeout(V: Integer);
    procedure SetSendQueueLimit(V: Int64);
    procedure SetSubprotocols(const V: string);
    procedure SetFragmentedMessages(V: TIocpWSFragmentedMessages);
  public
    constructor Create(AOwner: TIocpWSServerBase); override;
    procedure Assign(Source: TPersistent); override;
  published
    { milliseconds; 0 = none }
    property HandshakeTimeout: Integer read FHandshakeTimeout write SetHandshakeTimeout default 10000;
    { milliseconds to wait for the peer's close frame }
    property CloseTimeout: Integer read FCloseTimeout write SetCloseTimeout default 5000;
    { milliseconds Stop waits for close handshakes before aborting }
    property StopTimeout: Integer read FStopTimeout write SetStopTimeout default 3000;
    { bytes queued per connection before the slow peer is closed (1008) }
    property SendQueueLimit: Int64 read FSendQueueLimit write SetSendQueueLimit;
    { comma list of subprotocols the server speaks, in preference order }
    property Subprotocols: string read FSubprotocols write SetSubprotocols;
    property ValidateUTF8: Boolean read FValidateUTF8 write FValidateUTF8 default False;
    property FragmentedMessages: TIocpWSFragmentedMessages read FFragmentedMessages write SetFragmentedMessages default frgOnlyBuffer;
    property CleanDisconnect: Boolean read FCleanDisconnect write FCleanDisconnect default False;
    property HTMLFiles: Boolean read FHTMLFiles write FHTMLFiles default True;
    property JavascriptFiles: Boolean read FJavascriptFiles write FJavascriptFiles default True;
    property ReadTimeOut: Integer read FReadTimeOut write FReadTimeOut default 10;
    property WriteTimeOut: Integer read FWriteTimeOut write FWriteTimeOut default 0;
    property RaiseDisconnectExceptions: Boolean read FRaiseDisconnectExceptions write FRaiseDisconnectExceptions default True;
    property Software: string read FSoftware write FSoftware;
  end;

  { permessage-deflate (RFC 7692), as sgc's Extensions.PerMessage_Deflate.
    Enabled = offer it to clients that ask (browsers always do). Window bits
    9..15; MemLevel 1..9; CompressionLevel 0..9; MinSize: messages shorter
    than this go out uncompressed. Defaults are sgc's (context takeover,
    MemLevel 1): a connection keeps about 2^(ServerMaxWindowBits+2) +
    2^(MemLevel+9) bytes of zlib memory; set both NoContextTakeOver to True
    to keep none. }
  TIocpWSPerMessageDeflateOptions = class(TIocpWSOptionsBase)
  private
    FEnabled: Boolean;
    FServerMaxWindowBits: Integer;
    FClientMaxWindowBits: Integer;
    FServerNoContextTakeOver: Boolean;
    FClientNoContextTakeOver: Boolean;
    FMemLevel: Integer;
    FCompressionLevel: Integer;
    FMinSize: Integer;
    procedure SetBool(var F: Boolean; V: Boolean);
    procedure SetInt(var F: Integer; V: Integer);
    procedure SetEnabled(V: Boolean);
    procedure SetServerMaxWindowBits(V: Integer);
    procedure SetClientMaxWindowBits(V: Integer);
    procedure SetServerNoContextTakeOver(V: Boolean);
    procedure SetClientNoContextTakeOver(V: Boolean);
    procedure SetMemLevel(V: Integer);
    procedure SetCompressionLevel(V: Integer);
    procedure SetMinSize(V: Integer);
  public
    constructor Create(AOwner: TIocpWSServerBase); override;
    procedure Assign(Source: TPersistent); override;
  published
    property Enabled: Boolean read FEnabled write SetEnabled default False;
    property ServerMaxWindowBits: Integer read FServerMaxWindowBits write SetServerMaxWindowBits default 15;
    property ClientMaxWindowBits: Integer read FClientMaxWindowBits write SetClientMaxWindowBits default 15;
    property ServerNoContextTakeOver: Boolean read FServerNoContextTakeOver write SetServerNoContextTakeOver default False;
    property ClientNoContextTakeOver: Boolean read FClientNoContextTakeOver write SetClientNoContextTakeOver default False;
    property MemLevel: Integer read FMemLevel write SetMemLevel default 1;
    property CompressionLevel: Integer read FCompressionLevel write SetCompressionLevel default 6;
    property MinSize: Integer read FMinSize write SetMinSize default 64;
  end;

  { sgc's Extensions: PerMessage_Deflate, and MaxDecompressedSize (bytes; a
    compressed message inflating past it closes with 1009 before the memory
    is spent; 0 = MaxMessageSize). }
  { sgc's Extensions.DeflateFrame (the pre-RFC deflate-frame extension): the
    engine has no equivalent (Enabled is reported at Start; browsers use
    PerMessage_Deflate). }
  TIocpWSDeflateFrameOptions = class(TIocpWSOptionsBase)
  private
    FEnabled: Boolean;
    FWindowBits: Integer;
  public
    constructor Create(AOwner: TIocpWSServerBase); override;
  published
    property Enabled: Boolean read FEnabled write FEnabled default False;
    property WindowBits: Integer read FWindowBits write FWindowBits default 15;
  end;

  TIocpWSExtensions = class(TIocpWSOptionsBase)
  private
    FDeflateFrame: TIocpWSDeflateFrameOptions;
    FPerMessageDeflate: TIocpWSPerMessageDeflateOptions;
    FMaxDecompressedSize: Int64;
    procedure SetPerMessageDeflate(V: TIocpWSPerMessageDeflateOptions);
    procedure SetMaxDecompressedSize(V: Int64);
    procedure SetDeflateFrame(V: TIocpWSDeflateFrameOptions);
  public
    constructor Create(AOwner: TIocpWSServerBase); override;
    destructor Destroy; override;
    procedure Assign(Source: TPersistent); override;
  published
    property DeflateFrame: TIocpWSDeflateFrameOptions read FDeflateFrame write SetDeflateFrame;
    property PerMessage_Deflate: TIocpWSPerMessageDeflateOptions read FPerMessageDeflate write SetPerMessageDeflate;
    property MaxDecompressedSize: Int64 read FMaxDecompressedSize write SetMaxDecompressedSize default 0;
  end;

  { HTTP limits (the engine's IWS_OPT_HTTP_*; times in milliseconds). }
  TIocpWSHTTPOptions = class(TIocpWSOptionsBase)
  private
    FMaxBodySize: Int64;
    FMaxURILength: Integer;
    FRequestTimeout: Integer;
    FKeepAliveTimeout: Integer;
    FResponseTimeout: Integer;
    FMaxPipelined: Integer;
    procedure SetMaxBodySize(V: Int64);
    procedure SetInt(var F: Integer; V: Integer);
    procedure SetMaxURILength(V: Integer);
    procedure SetRequestTimeout(V: Integer);
    procedure SetKeepAliveTimeout(V: Integer);
    procedure SetResponseTimeout(V: Integer);
    procedure SetMaxPipelined(V: Integer);
  public
    constructor Create(AOwner: TIocpWSServerBase); override;
    procedure Assign(Source: TPersistent); override;
  published
    { larger request bodies are refused with 413 }
    property MaxBodySize: Int64 read FMaxBodySize write SetMaxBodySize;
    { longer request-targets are refused with 414 }
    property MaxURILength: Integer read FMaxURILength write SetMaxURILength default 8192;
    { head and body must arrive within it (408); 0 = none }
    property RequestTimeout: Integer read FRequestTimeout write SetRequestTimeout default 30000;
    { an idle keep-alive connection is closed after it }
    property KeepAliveTimeout: Integer read FKeepAliveTimeout write SetKeepAliveTimeout default 15000;
    { a response not sent within it (a handler queued to a main thread that
      is busy) is answered 503 by the engine; 0 = none }
    property ResponseTimeout: Integer read FResponseTimeout write SetResponseTimeout default 60000;
    property MaxPipelined: Integer read FMaxPipelined write SetMaxPipelined default 16;
  end;

  { sgc's Authentication.URL: credentials in the request path,
    ws://host/sgc/auth/url/<user>/<password>. }
  TIocpWSAuthURLOptions = class(TIocpWSOptionsBase)
  private
    FEnabled: Boolean;
  public
    constructor Create(AOwner: TIocpWSServerBase); override;
  published
    property Enabled: Boolean read FEnabled write FEnabled default True;
  end;

  { sgc's Authentication.Session: GET /sgc/req/auth/session/<user>/<password>
    answers a token (text/plain) when the credentials are good (401
    otherwise); the client then opens ws://host/sgc/auth/session/<token>.
    A token is good for one connection. }
  TIocpWSAuthSessionOptions = class(TIocpWSOptionsBase)
  private
    FEnabled: Boolean;
  public
    constructor Create(AOwner: TIocpWSServerBase); override;
  published
    property Enabled: Boolean read FEnabled write FEnabled default True;
  end;

  { sgc's Authentication.Basic: an 'Authorization: Basic ...' header on the
    handshake. A refused client gets 401 with CustomHeaders ('Name: value'
    lines) and, unless they hold one, 'WWW-Authenticate: Basic
    realm="iocpws"'. }
  TIocpWSAuthBasicOptions = class(TIocpWSOptionsBase)
  private
    FEnabled: Boolean;
    FCustomHeaders: TStringList;
    procedure SetCustomHeaders(V: TStringList);
  public
    constructor Create(AOwner: TIocpWSServerBase); override;
    destructor Destroy; override;
  published
    property Enabled: Boolean read FEnabled write FEnabled default False;
    property CustomHeaders: TStringList read FCustomHeaders write SetCustomHeaders;
  end;

  { sgc's Authentication.JWT, .OAuth and .WebAuthn: each names a component
    of sgc's (TsgcHTTP_JWT_Server, TsgcHTTP_OAuth2_Server,
    TsgcHTTP_OAuth2_Server_Provider, TsgcWSAPIServer_WebAuthn; declared in
    sgcWebSocket_iocp so that forms holding them load) that validates
    tokens or passkeys. The engine has none of them: with
    Authentication.Enabled, one assigned makes Start raise EIocpWs
    (IWS_E_UNSUPPORTED) rather than accept clients without the check;
    with Authentication disabled sgc does not consult them either, and
    Start only reports them. The references are cleared when the
    component is freed. }
  TIocpWSAuthJWTOptions = class(TIocpWSOptionsBase)
  private
    FJWT: TComponent;
    procedure SetJWT(V: TComponent);
  published
    property JWT: TComponent read FJWT write SetJWT;
  end;

  TIocpWSAuthOAuthOptions = class(TIocpWSOptionsBase)
  private
    FOAuth2: TComponent;
    FOAuth2Provider: TComponent;
    procedure SetOAuth2(V: TComponent);
    procedure SetOAuth2Provider(V: TComponent);
  published
    property OAuth2: TComponent read FOAuth2 write SetOAuth2;
    property OAuth2Provider: TComponent read FOAuth2Provider write SetOAuth2Provider;
  end;

  TIocpWSAuthWebAuthnOptions = class(TIocpWSOptionsBase)
  private
    FWebAuthn: TComponent;
    procedure SetWebAuthn(V: TComponent);
  published
    property WebAuthn: TComponent read FWebAuthn write SetWebAuthn;
  end;

  { sgc's Authentication (TsgcWSAuthenticationServer_Options). With Enabled,
    a WebSocket client must bring credentials by one of the enabled ways
    (URL, Session, Basic); they are good when AuthUsers has the line
    'user=password', or else when OnAuthentication sets Authenticated.
    Refused clients get HTTP 401 and never reach OnConnect. A client with
    no credentials at all is refused (401) unless AllowNonAuth. }
  TIocpWSAuthenticationOptions = class(TIocpWSOptionsBase)
  private
    FEnabled: Boolean;
    FAllowNonAuth: Boolean;
    FAuthUsers: TStringList;
    FURL: TIocpWSAuthURLOptions;
    FSession: TIocpWSAuthSessionOptions;
    FBasic: TIocpWSAuthBasicOptions;
    FJWT: TIocpWSAuthJWTOptions;
    FOAuth: TIocpWSAuthOAuthOptions;
    FWebAuthn: TIocpWSAuthWebAuthnOptions;
    procedure SetAuthUsers(V: TStringList);
    procedure SetJWT(V: TIocpWSAuthJWTOptions);
    procedure SetOAuth(V: TIocpWSAuthOAuthOptions);
    procedure SetWebAuthn(V: TIocpWSAuthWebAuthnOptions);
    procedure UsersChanging(Sender: TObject);
    procedure SetURL(V: TIocpWSAuthURLOptions);
    procedure SetSession(V: TIocpWSAuthSessionOptions);
    procedure SetBasic(V: TIocpWSAuthBasicOptions);
  public
    constructor Create(AOwner: TIocpWSServerBase); override;
    destructor Destroy; override;
  published
    property Enabled: Boolean read FEnabled write FEnabled default False;
    property AllowNonAuth: Boolean read FAllowNonAuth write FAllowNonAuth default False;
    property AuthUsers: TStringList read FAuthUsers write SetAuthUsers;
    property URL: TIocpWSAuthURLOptions read FURL write SetURL;
    property Session: TIocpWSAuthSessionOptions read FSession write SetSession;
    property Basic: TIocpWSAuthBasicOptions read FBasic write SetBasic;
    property JWT: TIocpWSAuthJWTOptions read FJWT write SetJWT;
    property OAuth: TIocpWSAuthOAuthOptions read FOAuth write SetOAuth;
    property WebAuthn: TIocpWSAuthWebAuthnOptions read FWebAuthn write SetWebAuthn;
  public
    { The assigned token components (JWT.JWT, OAuth.OAuth2,
      OAuth.OAuth2Provider, WebAuthn.WebAuthn) as 'Path = Name' lines. }
    procedure ListTokenComponents(L: TStrings);
    { Clears every reference to AComponent (the server's Notification). }
    procedure ComponentRemoved(AComponent: TComponent);
  end;

  { sgc's SecurityOptions. OriginsAllowed: '' = any origin; else a comma
    list of origins ('http://example.com,https://example.com'; '*' allows
    any): a handshake whose Origin header is missing or not listed is
    refused with 403. The engine always checks the WebSocket version (13)
    and key: setting EnforceWebSocketVersion or ValidateWebSocketKey to
    False is reported at Start (the checks stay). }
  TIocpWSSecurityOptions = class(TIocpWSOptionsBase)
  private
    FOriginsAllowed: string;
    FEnforceWebSocketVersion: Boolean;
    FValidateWebSocketKey: Boolean;
  public
    constructor Create(AOwner: TIocpWSServerBase); override;
  published
    property OriginsAllowed: string read FOriginsAllowed write FOriginsAllowed;
    property EnforceWebSocketVersion: Boolean read FEnforceWebSocketVersion write FEnforceWebSocketVersion default True;
    property ValidateWebSocketKey: Boolean read FValidateWebSocketKey write FValidateWebSocketKey default True;
  end;

  { sgc's TCPKeepAlive (TsgcTCPKeepAlive): TCP keep-alive probes after Time
    ms of silence, every Interval ms, set on every accepted socket
    (IWS_OPT_TCP_KEEPALIVE*; Linux rounds up to whole seconds). HeartBeat
    also finds dead peers, at the WebSocket level. }
  TIocpWSTCPKeepAliveOptions = class(TIocpWSOptionsBase)
  private
    FEnabled: Boolean;
    FTime: Integer;
    FInterval: Integer;
  public
    constructor Create(AOwner: TIocpWSServerBase); override;
  published
    property Enabled: Boolean read FEnabled write FEnabled default False;
    property Time: Integer read FTime write FTime default 7200000;
    property Interval: Integer read FInterval write FInterval default 1000;
  end;

{ Adds to L one line 'Path.Name = value' for every published property of
  Obj (recursively) whose value differs from a new object's. Start uses it
  to report the settings that have no equivalent. }
procedure IocpWsNonDefaults(Obj: TIocpWSOptionsBase; const Path: string; L: TStrings);

{ Sets the component reference F (a TComponent field) to V, so that Owner
  hears of V's destruction (Owner's Notification then clears F). }
procedure IocpWsSetComponentRef(Owner: TComponent; var F; V: TComponent);

implementation

{ ---- option objects ----------------------------------------------------- }

procedure TIocpWSOptionsBase.Assign(Source: TPersistent);
var
  Props: PPropList;
  N, I: Integer;
  P: PPropInfo;
  SO, DO_: TObject;
begin
  if (Source = nil) or (Source.ClassType <> ClassType) then
  begin
    inherited Assign(Source);
    Exit;
  end;
  Changing;
  N := GetPropList(Self, Props);
  try
    for I := 0 to N - 1 do
    begin
      P := Props^[I];
      if P^.PropType{$ifndef FPC}^{$endif}^.Kind = tkClass then
      begin
        SO := GetObjectProp(Source, P);
        DO_ := GetObjectProp(Self, P);
        if (SO is TComponent) or (DO_ is TComponent) then
        begin
          { a reference to another component: copy the reference }
          if P^.SetProc <> nil then
            SetObjectProp(Self, P, SO);
        end
        else if (SO is TPersistent) and (DO_ is TPersistent) then
          TPersistent(DO_).Assign(TPersistent(SO));
      end
      else if P^.SetProc <> nil then
        SetPropValue(Self, P, GetPropValue(Source, P));
    end;
  finally
    FreeMem(Props);
  end;
end;

procedure IocpWsNonDefaults(Obj: TIocpWSOptionsBase; const Path: string; L: TStrings);
var
  Ref: TIocpWSOptionsBase;

  procedure Walk(A, B: TPersistent; const APath: string);
  var
    Props: PPropList;
    N, I: Integer;
    P: PPropInfo;
    Name, VA: string;
    OA, OB: TObject;
  begin
    N := GetPropList(A, Props);
    try
      for I := 0 to N - 1 do
      begin
        P := Props^[I];
        Name := APath + '.' + string(P^.Name);
        if P^.PropType{$ifndef FPC}^{$endif}^.Kind = tkClass then
        begin
          OA := GetObjectProp(A, P);
          OB := GetObjectProp(B, P);
          if (OA is TComponent) or (OB is TComponent) then
          begin
            if OA <> OB then
              if OA = nil then
                L.Add(Name + ' = nil')
              else
                L.Add(Name + ' = ' + TComponent(OA).Name);
          end
          else if (OA is TStrings) and (OB is TStrings) then
          begin
            if TStrings(OA).Text <> TStrings(OB).Text then
              L.Add(Name + ' = (' + IntToStr(TStrings(OA).Count) + ' lines)');
          end
          else if (OA is TPersistent) and (OB is TPersistent) then
            Walk(TPersistent(OA), TPersistent(OB), Name);
        end
        else if P^.PropType{$ifndef FPC}^{$endif}^.Kind in [tkEnumeration {$ifdef FPC}, tkBool{$endif}] then
        begin
          if GetOrdProp(A, P) <> GetOrdProp(B, P) then
            L.Add(Name + ' = ' + GetEnumName(P^.PropType{$ifndef FPC}^{$endif}, GetOrdProp(A, P)));
        end
        else
        begin
          VA := VarToStr(GetPropValue(A, P, True));
          if VA <> VarToStr(GetPropValue(B, P, True)) then
            L.Add(Name + ' = ' + VA);
        end;
      end;
    finally
      FreeMem(Props);
    end;
  end;

begin
  if Obj = nil then
    Exit;
  Ref := TIocpWSOptionsClass(Obj.ClassType).Create(nil);
  try
    Walk(Obj, Ref, Path);
  finally
    Ref.Free;
  end;
end;

procedure TIocpWSSSLOptions.SetOpenSSL_Options(V: TIocpWSOpenSSLOptions);
begin
  FOpenSSLOptions.Assign(V);
end;

procedure TIocpWSSSLOptions.SetVerifyCertificate_Options(V: TIocpWSVerifyCertificateOptions);
begin
  FVerifyCertificateOptions.Assign(V);
end;

procedure TIocpWSExtensions.SetDeflateFrame(V: TIocpWSDeflateFrameOptions);
begin
  FDeflateFrame.Assign(V);
end;

procedure TIocpWSAuthenticationOptions.SetURL(V: TIocpWSAuthURLOptions);
begin
  FURL.Assign(V);
end;

procedure TIocpWSAuthenticationOptions.SetSession(V: TIocpWSAuthSessionOptions);
begin
  FSession.Assign(V);
end;

procedure TIocpWSAuthenticationOptions.SetBasic(V: TIocpWSAuthBasicOptions);
begin
  FBasic.Assign(V);
end;

constructor TIocpWSIOCPOptions.Create(AOwner: TIocpWSServerBase);
begin
  inherited Create(AOwner);
  FTimeOut := 10000;
end;

constructor TIocpWSEPOLLOptions.Create(AOwner: TIocpWSServerBase);
begin
  inherited Create(AOwner);
end;

procedure TIocpWSIOHandlerOptions.SetEPOLL(V: TIocpWSEPOLLOptions);
begin
  FEPOLL.Assign(V);
end;

constructor TIocpWSSSLOptions.Create(AOwner: TIocpWSServerBase);
begin
  inherited Create(AOwner);
  FOpenSSLOptions := TIocpWSOpenSSLOptions.Create(AOwner);
  FVerifyCertificateOptions := TIocpWSVerifyCertificateOptions.Create(AOwner);
end;

destructor TIocpWSSSLOptions.Destroy;
begin
  FOpenSSLOptions.Free;
  FVerifyCertificateOptions.Free;
  inherited Destroy;
end;

constructor TIocpWSDeflateFrameOptions.Create(AOwner: TIocpWSServerBase);
begin
  inherited Create(AOwner);
  FWindowBits := 15;
end;

constructor TIocpWSAuthURLOptions.Create(AOwner: TIocpWSServerBase);
begin
  inherited Create(AOwner);
  FEnabled := True;
end;

constructor TIocpWSAuthSessionOptions.Create(AOwner: TIocpWSServerBase);
begin
  inherited Create(AOwner);
  FEnabled := True;
end;

constructor TIocpWSAuthBasicOptions.Create(AOwner: TIocpWSServerBase);
begin
  inherited Create(AOwner);
  FCustomHeaders := TStringList.Create;
end;

destructor TIocpWSAuthBasicOptions.Destroy;
begin
  FCustomHeaders.Free;
  inherited Destroy;
end;

procedure TIocpWSAuthBasicOptions.SetCustomHeaders(V: TStringList);
begin
  FCustomHeaders.Assign(V);
end;

constructor TIocpWSAuthenticationOptions.Create(AOwner: TIocpWSServerBase);
begin
  inherited Create(AOwner);
  FAuthUsers := TStringList.Create;
  FAuthUsers.OnChanging := UsersChanging;
  FURL := TIocpWSAuthURLOptions.Create(AOwner);
  FSession := TIocpWSAuthSessionOptions.Create(AOwner);
  FBasic := TIocpWSAuthBasicOptions.Create(AOwner);
  FJWT := TIocpWSAuthJWTOptions.Create(AOwner);
  FOAuth := TIocpWSAuthOAuthOptions.Create(AOwner);
  FWebAuthn := TIocpWSAuthWebAuthnOptions.Create(AOwner);
end;

destructor TIocpWSAuthenticationOptions.Destroy;
begin
  FAuthUsers.Free;
  FURL.Free;
  FSession.Free;
  FBasic.Free;
  FJWT.Free;
  FOAuth.Free;
  FWebAuthn.Free;
  inherited Destroy;
end;

procedure TIocpWSAuthenticationOptions.SetJWT(V: TIocpWSAuthJWTOptions);
begin
  FJWT.Assign(V);
end;

procedure TIocpWSAuthenticationOptions.SetOAuth(V: TIocpWSAuthOAuthOptions);
begin
  FOAuth.Assign(V);
end;

procedure TIocpWSAuthenticationOptions.SetWebAuthn(V: TIocpWSAuthWebAuthnOptions);
begin
  FWebAuthn.Assign(V);
end;

procedure TIocpWSAuthenticationOptions.ListTokenComponents(L: TStrings);

  procedure Add(C: TComponent; const Path: string);
  begin
    if C <> nil then
      L.Add('Authentication.' + Path + ' = ' + C.Name + ' (' + C.ClassName + ')');
  end;

begin
  Add(FJWT.JWT, 'JWT.JWT');
  Add(FOAuth.OAuth2, 'OAuth.OAuth2');
  Add(FOAuth.OAuth2Provider, 'OAuth.OAuth2Provider');
  Add(FWebAuthn.WebAuthn, 'WebAuthn.WebAuthn');
end;

procedure TIocpWSAuthenticationOptions.ComponentRemoved(AComponent: TComponent);
begin
  if FJWT.FJWT = AComponent then
    FJWT.FJWT := nil;
  if FOAuth.FOAuth2 = AComponent then
    FOAuth.FOAuth2 := nil;
  if FOAuth.FOAuth2Provider = AComponent then
    FOAuth.FOAuth2Provider := nil;
  if FWebAuthn.FWebAuthn = AComponent then
    FWebAuthn.FWebAuthn := nil;
end;

procedure IocpWsSetComponentRef(Owner: TComponent; var F; V: TComponent);
begin
  if (TComponent(F) <> nil) and (Owner <> nil) then
    TComponent(F).RemoveFreeNotification(Owner);
  TComponent(F) := V;
  if (V <> nil) and (Owner <> nil) then
    V.FreeNotification(Owner);
end;

procedure TIocpWSAuthJWTOptions.SetJWT(V: TComponent);
begin
  Changing;
  IocpWsSetComponentRef(FOwner, FJWT, V);
end;

procedure TIocpWSAuthOAuthOptions.SetOAuth2(V: TComponent);
begin
  Changing;
  IocpWsSetComponentRef(FOwner, FOAuth2, V);
end;

procedure TIocpWSAuthOAuthOptions.SetOAuth2Provider(V: TComponent);
begin
  Changing;
  IocpWsSetComponentRef(FOwner, FOAuth2Provider, V);
end;

procedure TIocpWSAuthWebAuthnOptions.SetWebAuthn(V: TComponent);
begin
  Changing;
  IocpWsSetComponentRef(FOwner, FWebAuthn, V);
end;

procedure TIocpWSAuthenticationOptions.SetAuthUsers(V: TStringList);
begin
  FAuthUsers.Assign(V);
end;

procedure TIocpWSAuthenticationOptions.UsersChanging(Sender: TObject);
begin
  { library threads read the list at each handshake }
  if FOwner <> nil then
    FOwner.CheckInactive('changing Authentication.AuthUsers');
end;

constructor TIocpWSSecurityOptions.Create(AOwner: TIocpWSServerBase);
begin
  inherited Create(AOwner);
  FEnforceWebSocketVersion := True;
  FValidateWebSocketKey := True;
end;

constructor TIocpWSTCPKeepAliveOptions.Create(AOwner: TIocpWSServerBase);
begin
  inherited Create(AOwner);
  FTime := 7200000;
  FInterval := 1000;
end;

constructor TIocpWSOptionsBase.Create(AOwner: TIocpWSServerBase);
begin
  inherited Create;
  FOwner := AOwner;
end;

procedure TIocpWSOptionsBase.Changing;
begin
  if FOwner <> nil then
    FOwner.CheckInactive('changing an option');
end;

procedure TIocpWSHeartBeatOptions.SetEnabled(V: Boolean);
begin Changing; FEnabled := V; end;
procedure TIocpWSHeartBeatOptions.SetInterval(V: Integer);
begin Changing; FInterval := V; end;
procedure TIocpWSHeartBeatOptions.SetTimeout(V: Integer);
begin Changing; FTimeout := V; end;


procedure TIocpWSIOCPOptions.SetIOCPThreads(V: Integer);
begin Changing; FIOCPThreads := V; end;
procedure TIocpWSIOCPOptions.SetWorkOpThreads(V: Integer);
begin Changing; FWorkOpThreads := V; end;


constructor TIocpWSIOHandlerOptions.Create(AOwner: TIocpWSServerBase);
begin
  inherited Create(AOwner);
  FIOCP := TIocpWSIOCPOptions.Create(AOwner);
  FEPOLL := TIocpWSEPOLLOptions.Create(AOwner);
end;

destructor TIocpWSIOHandlerOptions.Destroy;
begin
  FIOCP.Free;
  FEPOLL.Free;
  inherited Destroy;
end;

procedure TIocpWSIOHandlerOptions.SetIOCP(V: TIocpWSIOCPOptions);
begin
  FIOCP.Assign(V);
end;


procedure TIocpWSSSLOptions.SetStr(var F: string; const V: string);
begin Changing; F := V; end;
procedure TIocpWSSSLOptions.SetCertFile(const V: string);
begin SetStr(FCertFile, V); end;
procedure TIocpWSSSLOptions.SetKeyFile(const V: string);
begin SetStr(FKeyFile, V); end;
procedure TIocpWSSSLOptions.SetRootCertFile(const V: string);
begin SetStr(FRootCertFile, V); end;
procedure TIocpWSSSLOptions.SetPassword(const V: string);
begin SetStr(FPassword, V); end;
procedure TIocpWSSSLOptions.SetVersion(V: TIocpWSTLSVersions);
begin Changing; FVersion := V; end;
procedure TIocpWSSSLOptions.SetPort(V: Integer);
begin Changing; FPort := V; end;


constructor TIocpWSPerMessageDeflateOptions.Create(AOwner: TIocpWSServerBase);
begin
  inherited Create(AOwner);
  FServerMaxWindowBits := 15;
  FClientMaxWindowBits := 15;
  FServerNoContextTakeOver := False;
  FClientNoContextTakeOver := False;
  FMemLevel := 1;
  FCompressionLevel := 6;
  FMinSize := 64;
end;

procedure TIocpWSPerMessageDeflateOptions.SetBool(var F: Boolean; V: Boolean);
begin Changing; F := V; end;
procedure TIocpWSPerMessageDeflateOptions.SetInt(var F: Integer; V: Integer);
begin Changing; F := V; end;
procedure TIocpWSPerMessageDeflateOptions.SetEnabled(V: Boolean);
begin SetBool(FEnabled, V); end;
procedure TIocpWSPerMessageDeflateOptions.SetServerMaxWindowBits(V: Integer);
begin SetInt(FServerMaxWindowBits, V); end;
procedure TIocpWSPerMessageDeflateOptions.SetClientMaxWindowBits(V: Integer);
begin SetInt(FClientMaxWindowBits, V); end;
procedure TIocpWSPerMessageDeflateOptions.SetServerNoContextTakeOver(V: Boolean);
begin SetBool(FServerNoContextTakeOver, V); end;
procedure TIocpWSPerMessageDeflateOptions.SetClientNoContextTakeOver(V: Boolean);
begin SetBool(FClientNoContextTakeOver, V); end;
procedure TIocpWSPerMessageDeflateOptions.SetMemLevel(V: Integer);
begin SetInt(FMemLevel, V); end;
procedure TIocpWSPerMessageDeflateOptions.SetCompressionLevel(V: Integer);
begin SetInt(FCompressionLevel, V); end;
procedure TIocpWSPerMessageDeflateOptions.SetMinSize(V: Integer);
begin SetInt(FMinSize, V); end;

procedure TIocpWSPerMessageDeflateOptions.Assign(Source: TPersistent);
var
  O: TIocpWSPerMessageDeflateOptions;
begin
  if Source is TIocpWSPerMessageDeflateOptions then
  begin
    Changing;
    O := TIocpWSPerMessageDeflateOptions(Source);
    FEnabled := O.FEnabled;
    FServerMaxWindowBits := O.FServerMaxWindowBits;
    FClientMaxWindowBits := O.FClientMaxWindowBits;
    FServerNoContextTakeOver := O.FServerNoContextTakeOver;
    FClientNoContextTakeOver := O.FClientNoContextTakeOver;
    FMemLevel := O.FMemLevel;
    FCompressionLevel := O.FCompressionLevel;
    FMinSize := O.FMinSize;
  end
  else
    inherited Assign(Source);
end;

constructor TIocpWSExtensions.Create(AOwner: TIocpWSServerBase);
begin
  inherited Create(AOwner);
  FPerMessageDeflate := TIocpWSPerMessageDeflateOptions.Create(AOwner);
  FDeflateFrame := TIocpWSDeflateFrameOptions.Create(AOwner);
end;

destructor TIocpWSExtensions.Destroy;
begin
  FPerMessageDeflate.Free;
  FDeflateFrame.Free;
  inherited Destroy;
end;

procedure TIocpWSExtensions.SetPerMessageDeflate(V: TIocpWSPerMessageDeflateOptions);
begin FPerMessageDeflate.Assign(V); end;
procedure TIocpWSExtensions.SetMaxDecompressedSize(V: Int64);
begin Changing; FMaxDecompressedSize := V; end;

procedure TIocpWSExtensions.Assign(Source: TPersistent);
begin
  if Source is TIocpWSExtensions then
  begin
    Changing;
    FPerMessageDeflate.Assign(TIocpWSExtensions(Source).FPerMessageDeflate);
    FDeflateFrame.Assign(TIocpWSExtensions(Source).FDeflateFrame);
    FMaxDecompressedSize := TIocpWSExtensions(Source).FMaxDecompressedSize;
  end
  else
    inherited Assign(Source);
end;

constructor TIocpWSServerOptions.Create(AOwner: TIocpWSServerBase);
begin
  inherited Create(AOwner);
  FHandshakeTimeout := 10000;
  FCloseTimeout := 5000;
  FStopTimeout := 3000;
  FSendQueueLimit := 32 * 1024 * 1024;
  FHTMLFiles := True;
  FJavascriptFiles := True;
  FReadTimeOut := 10;
  FRaiseDisconnectExceptions := True;
end;

procedure TIocpWSServerOptions.SetInt(var F: Integer; V: Integer);
begin Changing; F := V; end;
procedure TIocpWSServerOptions.SetHandshakeTimeout(V: Integer);
begin SetInt(FHandshakeTimeout, V); end;
procedure TIocpWSServerOptions.SetCloseTimeout(V: Integer);
begin SetInt(FCloseTimeout, V); end;
procedure TIocpWSServerOptions.SetStopTimeout(V: Integer);
begin SetInt(FStopTimeout, V); end;
procedure TIocpWSServerOptions.SetSendQueueLimit(V: Int64);
begin Changing; FSendQueueLimit := V; end;
procedure TIocpWSServerOptions.SetSubprotocols(const V: string);
begin Changing; FSubprotocols := V; end;

procedure TIocpWSServerOptions.SetFragmentedMessages(V: TIocpWSFragmentedMessages);
begin
  FFragmentedMessages := V;
end;

procedure TIocpWSServerOptions.Assign(Source: TPersistent);
var
  O: TIocpWSServerOptions;
begin
  if Source is TIocpWSServerOptions then
  begin
    Changing;
    O := TIocpWSServerOptions(Source);
    FHandshakeTimeout := O.FHandshakeTimeout;
    FCloseTimeout := O.FCloseTimeout;
    FStopTimeout := O.FStopTimeout;
    FSendQueueLimit := O.FSendQueueLimit;
    FSubprotocols := O.FSubprotocols;
    FValidateUTF8 := O.FValidateUTF8;
    FFragmentedMessages := O.FFragmentedMessages;
    FCleanDisconnect := O.FCleanDisconnect;
    FHTMLFiles := O.FHTMLFiles;
    FJavascriptFiles := O.FJavascriptFiles;
    FReadTimeOut := O.FReadTimeOut;
    FWriteTimeOut := O.FWriteTimeOut;
    FRaiseDisconnectExceptions := O.FRaiseDisconnectExceptions;
    FSoftware := O.FSoftware;
  end
  else
    inherited Assign(Source);
end;

constructor TIocpWSHTTPOptions.Create(AOwner: TIocpWSServerBase);
begin
  inherited Create(AOwner);
  FMaxBodySize := 1024 * 1024;
  FMaxURILength := 8192;
  FRequestTimeout := 30000;
  FKeepAliveTimeout := 15000;
  FResponseTimeout := 60000;
  FMaxPipelined := 16;
end;

procedure TIocpWSHTTPOptions.SetMaxBodySize(V: Int64);
begin Changing; FMaxBodySize := V; end;
procedure TIocpWSHTTPOptions.SetInt(var F: Integer; V: Integer);
begin Changing; F := V; end;
procedure TIocpWSHTTPOptions.SetMaxURILength(V: Integer);
begin SetInt(FMaxURILength, V); end;
procedure TIocpWSHTTPOptions.SetRequestTimeout(V: Integer);
begin SetInt(FRequestTimeout, V); end;
procedure TIocpWSHTTPOptions.SetKeepAliveTimeout(V: Integer);
begin SetInt(FKeepAliveTimeout, V); end;
procedure TIocpWSHTTPOptions.SetResponseTimeout(V: Integer);
begin SetInt(FResponseTimeout, V); end;
procedure TIocpWSHTTPOptions.SetMaxPipelined(V: Integer);
begin SetInt(FMaxPipelined, V); end;

procedure TIocpWSHTTPOptions.Assign(Source: TPersistent);
var
  O: TIocpWSHTTPOptions;
begin
  if Source is TIocpWSHTTPOptions then
  begin
    Changing;
    O := TIocpWSHTTPOptions(Source);
    FMaxBodySize := O.FMaxBodySize;
    FMaxURILength := O.FMaxURILength;
    FRequestTimeout := O.FRequestTimeout;
    FKeepAliveTimeout := O.FKeepAliveTimeout;
    FResponseTimeout := O.FResponseTimeout;
    FMaxPipelined := O.FMaxPipelined;
  end
  else
    inherited Assign(Source);
end;

end.
