{ iocpws.sgcoptions - sgcWebSockets' option objects and components that the
  iocpws engine has no equivalent for: LoadBalancer, ThreadPoolOptions,
  FallBack, QueueOptions, Specifications, LogFile, Throttle, WatchDog,
  HTTP2Options, HTTPUploadFiles, Optimizations, ClientLoadBalancer, and the
  security components Firewall, RateLimiter and APIKeyManager (with the
  JWT / OAuth2 / WebAuthn components Authentication names). They exist so
  that sgc programs compile and sgc forms (which stream every published
  property) load; they have sgc's names, types and - where sgc's reference
  gives them - defaults (it gives none for the Firewall, RateLimiter,
  APIKeyManager and Optimizations members: ours are False, 0, '' and the
  first value of an enumeration). The server's Start reports through
  OnError each setting that is not at its default, with what to do instead
  (TIocpWebSocketServer.Start); the security components, enabled, make
  Start raise EIocpWs (IWS_E_UNSUPPORTED) instead: a server must not run
  believing it is protected. Their methods raise EIocpWs
  (IWS_E_UNSUPPORTED). }
unit iocpws.sgcoptions;

{$I iocpws.defines.inc}

interface

uses
  SysUtils, Classes, iocpws.lib, iocpws.types, iocpws.options;
{$I iocpws.warnings.inc}

type
  { sgc's TsgcOpenSSLClient_Options (unit sgcSocket_Classes): the members
    the server's OpenSSL_Options has (APIVersion, LibPath, LibPathCustom,
    UnixSymLinks, CurveList, VersionMin; ECDHE is the server's). X509Checks
    and LegacyProvider are not declared: sgc's reference does not publish
    their types. }
  TIocpWSOpenSSLClientOptions = class(TIocpWSOpenSSLOptions);

  { sgc's TsgcSChannelClient_Options (unit sgcSocket_Classes): CertHash,
    CipherList, UseLegacyCredentials. CertStoreName and CertStorePath are
    not declared: sgc's reference does not publish their types. }
  TIocpWSSChannelClientOptions = class(TIocpWSOptionsBase)
  private
    FCertHash: string;
    FCipherList: string;
    FUseLegacyCredentials: Boolean;
  published
    property CertHash: string read FCertHash write FCertHash;
    property CipherList: string read FCipherList write FCipherList;
    property UseLegacyCredentials: Boolean read FUseLegacyCredentials write FUseLegacyCredentials default False;
  end;

  { sgc's TsgcTCPTLS_Options (unit sgcTCP_Classes), the TLSOptions of
    TsgcWSServerForwardHTTP. Nothing reads it: the engine does not forward
    HTTP (an OnBeforeForwardHTTP handler is reported at Start). }
  TIocpWSTCPTLSOptions = class(TPersistent)
  private
    FALPNProtocols: TStringList;
    FIOHandler: TIocpWSTLSIOHandler;
    FOpenSSLOptions: TIocpWSOpenSSLClientOptions;
    FSChannelOptions: TIocpWSSChannelClientOptions;
    FCertFile: string;
    FKeyFile: string;
    FPassword: string;
    FRootCertFile: string;
    FVerifyCertificate: Boolean;
    FVerifyDepth: Integer;
    FVersion: TIocpWSTLSVersions;
    procedure SetOpenSSLOptions(V: TIocpWSOpenSSLClientOptions);
    procedure SetSChannelOptions(V: TIocpWSSChannelClientOptions);
  public
    constructor Create;
    destructor Destroy; override;
    procedure Assign(aSource: TPersistent); override;
  published
    property ALPNProtocols: TStringList read FALPNProtocols;
    property IOHandler: TIocpWSTLSIOHandler read FIOHandler write FIOHandler default iohOpenSSL;
    property OpenSSL_Options: TIocpWSOpenSSLClientOptions read FOpenSSLOptions write SetOpenSSLOptions;
    property SChannel_Options: TIocpWSSChannelClientOptions read FSChannelOptions write SetSChannelOptions;
    property CertFile: string read FCertFile write FCertFile;
    property KeyFile: string read FKeyFile write FKeyFile;
    property Password: string read FPassword write FPassword;
    property RootCertFile: string read FRootCertFile write FRootCertFile;
    property VerifyCertificate: Boolean read FVerifyCertificate write FVerifyCertificate default False;
    property VerifyDepth: Integer read FVerifyDepth write FVerifyDepth default 0;
    property Version: TIocpWSTLSVersions read FVersion write FVersion default tlsUndefined;
  end;

  { sgc's TsgcWSServerForwardHTTP (unit sgcWebSocket_Classes_Indy), the
    aForward of OnBeforeForwardHTTP: declared so that handlers compile;
    the engine does not forward HTTP requests, so OnBeforeForwardHTTP is
    never called (a handler is reported at Start). }
  TIocpWSServerForwardHTTP = class(TPersistent)
  private
    FEnabled: Boolean;
    FDocument: string;
    FQueryParams: string;
    FURL: string;
    FHost: string;
    FOrigin: string;
    FLogFilename: string;
    FNoCache: Boolean;
    FCustomHeaders: TStringList;
    FTLSOptions: TIocpWSTCPTLSOptions;
  public
    constructor Create;
    destructor Destroy; override;
    { Back to the defaults (sgc clears it before each request). }
    procedure Clear;
    { URL, or Host + Document + '?' + QueryParams when URL is empty. }
    function GetForwardURL: string;
    property Enabled: Boolean read FEnabled write FEnabled;
    property Document: string read FDocument write FDocument;
    property QueryParams: string read FQueryParams write FQueryParams;
    property URL: string read FURL write FURL;
    property Host: string read FHost write FHost;
    property Origin: string read FOrigin write FOrigin;
    property LogFilename: string read FLogFilename write FLogFilename;
    property NoCache: Boolean read FNoCache write FNoCache;
    property CustomHeaders: TStringList read FCustomHeaders;
    property TLSOptions: TIocpWSTCPTLSOptions read FTLSOptions;
  end;

  { sgc's TsgcWSLoadBalancerServer_Options }
  TIocpWSLoadBalancerOptions = class(TIocpWSOptionsBase)
  private
    FAutoRegisterBindings: Boolean;
    FAutoRestart: Integer;
    FEnabled: Boolean;
    FHost: string;
    FPort: Integer;
    FGuid: string;
    FBindings: TStringList;
    procedure SetBindings(V: TStringList);
  public
    constructor Create(AOwner: TIocpWSServerBase); override;
    destructor Destroy; override;
  published
    property AutoRegisterBindings: Boolean read FAutoRegisterBindings write FAutoRegisterBindings default False;
    property AutoRestart: Integer read FAutoRestart write FAutoRestart default 0;
    property Enabled: Boolean read FEnabled write FEnabled default False;
    property Host: string read FHost write FHost;
    property Port: Integer read FPort write FPort default 0;
    property Guid: string read FGuid write FGuid;
    property Bindings: TStringList read FBindings write SetBindings;
  end;

  { sgc's TsgcWSThreadPool_Options }
  TIocpWSThreadPoolOptions = class(TIocpWSOptionsBase)
  private
    FMaxThreads: Integer;
    FPoolSize: Integer;
  public
    constructor Create(AOwner: TIocpWSServerBase); override;
  published
    property MaxThreads: Integer read FMaxThreads write FMaxThreads default 0;
    property PoolSize: Integer read FPoolSize write FPoolSize default 32;
  end;

  { sgc's TsgcWSFallBack_Flash }
  TIocpWSFallBackFlash = class(TIocpWSOptionsBase)
  private
    FDomain: string;
    FEnabled: Boolean;
    FPorts: string;
  public
    constructor Create(AOwner: TIocpWSServerBase); override;
  published
    property Domain: string read FDomain write FDomain;
    property Enabled: Boolean read FEnabled write FEnabled default False;
    property Ports: string read FPorts write FPorts;
  end;

  { sgc's TsgcWSFallBack_SSE }
  TIocpWSFallBackSSE = class(TIocpWSOptionsBase)
  private
    FEnabled: Boolean;
    FRetry: Integer;
  public
    constructor Create(AOwner: TIocpWSServerBase); override;
  published
    property Enabled: Boolean read FEnabled write FEnabled default False;
    property Retry: Integer read FRetry write FRetry default 3;
  end;

  { sgc's TsgcWSFallBack_Options }
  TIocpWSFallBackOptions = class(TIocpWSOptionsBase)
  private
    FFlash: TIocpWSFallBackFlash;
    FServerSentEvents: TIocpWSFallBackSSE;
    procedure SetFlash(V: TIocpWSFallBackFlash);
    procedure SetServerSentEvents(V: TIocpWSFallBackSSE);
  public
    constructor Create(AOwner: TIocpWSServerBase); override;
    destructor Destroy; override;
  published
    property Flash: TIocpWSFallBackFlash read FFlash write SetFlash;
    property ServerSentEvents: TIocpWSFallBackSSE read FServerSentEvents write SetServerSentEvents;
  end;

  { sgc's TsgcWSQueue }
  TIocpWSQueue = class(TIocpWSOptionsBase)
  private
    FLevel: TIocpWSQueueMsgLevels;
  public
    constructor Create(AOwner: TIocpWSServerBase); override;
  published
    property Level: TIocpWSQueueMsgLevels read FLevel write FLevel default qmNone;
  end;

  { sgc's TsgcWSQueueServer_Options }
  TIocpWSQueueOptions = class(TIocpWSOptionsBase)
  private
    FBinary: TIocpWSQueue;
    FPing: TIocpWSQueue;
    FText: TIocpWSQueue;
    procedure SetBinary(V: TIocpWSQueue);
    procedure SetPing(V: TIocpWSQueue);
    procedure SetText(V: TIocpWSQueue);
  public
    constructor Create(AOwner: TIocpWSServerBase); override;
    destructor Destroy; override;
  published
    property Binary: TIocpWSQueue read FBinary write SetBinary;
    property Ping: TIocpWSQueue read FPing write SetPing;
    property Text: TIocpWSQueue read FText write SetText;
  end;

  { sgc's TsgcWSDrafts }
  TIocpWSDrafts = class(TIocpWSOptionsBase)
  private
    FHixie76: Boolean;
  public
    constructor Create(AOwner: TIocpWSServerBase); override;
  published
    property Hixie76: Boolean read FHixie76 write FHixie76 default False;
  end;

  { sgc's TsgcWSSpecifications }
  TIocpWSSpecifications = class(TIocpWSOptionsBase)
  private
    FRFC6455: Boolean;
    FRFC8441: Boolean;
    FDrafts: TIocpWSDrafts;
    procedure SetDrafts(V: TIocpWSDrafts);
  public
    constructor Create(AOwner: TIocpWSServerBase); override;
    destructor Destroy; override;
  published
    property RFC6455: Boolean read FRFC6455 write FRFC6455 default True;
    property RFC8441: Boolean read FRFC8441 write FRFC8441 default False;
    property Drafts: TIocpWSDrafts read FDrafts write SetDrafts;
  end;

  { sgc's TsgcWSLogFile }
  TIocpWSLogFile = class(TIocpWSOptionsBase)
  private
    FEnabled: Boolean;
    FFileName: string;
    FRaw: Boolean;
    FUnMaskFrames: Boolean;
  public
    constructor Create(AOwner: TIocpWSServerBase); override;
  published
    property Enabled: Boolean read FEnabled write FEnabled default False;
    property FileName: string read FFileName write FFileName;
    property Raw: Boolean read FRaw write FRaw default False;
    property UnMaskFrames: Boolean read FUnMaskFrames write FUnMaskFrames default False;
  end;

  { sgc's TsgcWSThrottle }
  TIocpWSThrottle = class(TIocpWSOptionsBase)
  private
    FBitsPerSec: Integer;
    FEnabled: Boolean;
  public
    constructor Create(AOwner: TIocpWSServerBase); override;
  published
    property BitsPerSec: Integer read FBitsPerSec write FBitsPerSec default 0;
    property Enabled: Boolean read FEnabled write FEnabled default False;
  end;

  { sgc's TsgcWSWatchDogMonitorServer_Options }
  TIocpWSWatchDogMonitor = class(TIocpWSOptionsBase)
  private
    FEnabled: Boolean;
    FTimeout: Integer;
  public
    constructor Create(AOwner: TIocpWSServerBase); override;
  published
    property Enabled: Boolean read FEnabled write FEnabled default False;
    property Timeout: Integer read FTimeout write FTimeout default 10;
  end;

  { sgc's TsgcWSWatchDogServer_Options }
  TIocpWSWatchDogOptions = class(TIocpWSOptionsBase)
  private
    FAttempts: Integer;
    FEnabled: Boolean;
    FInterval: Integer;
    FMonitor: TIocpWSWatchDogMonitor;
    procedure SetMonitor(V: TIocpWSWatchDogMonitor);
  public
    constructor Create(AOwner: TIocpWSServerBase); override;
    destructor Destroy; override;
  published
    property Attempts: Integer read FAttempts write FAttempts default 0;
    property Enabled: Boolean read FEnabled write FEnabled default False;
    property Interval: Integer read FInterval write FInterval default 60;
    property Monitor: TIocpWSWatchDogMonitor read FMonitor write SetMonitor;
  end;

  { sgc's HTTP2Options.AltSvc }
  TIocpWSHTTP2AltSvc = class(TIocpWSOptionsBase)
  private
    FEnabled: Boolean;
  public
    constructor Create(AOwner: TIocpWSServerBase); override;
  published
    property Enabled: Boolean read FEnabled write FEnabled default True;
  end;

  { sgc's HTTP2Options.Events }
  TIocpWSHTTP2Events = class(TIocpWSOptionsBase)
  private
    FOnConnect: Boolean;
    FOnDisconnect: Boolean;
  public
    constructor Create(AOwner: TIocpWSServerBase); override;
  published
    property OnConnect: Boolean read FOnConnect write FOnConnect default False;
    property OnDisconnect: Boolean read FOnDisconnect write FOnDisconnect default False;
  end;

  { sgc's HTTP2Options.Settings }
  TIocpWSHTTP2Settings = class(TIocpWSOptionsBase)
  private
    FEnablePush: Boolean;
    FHeaderTableSize: Integer;
    FInitialWindowSize: Integer;
    FMaxConcurrentStreams: Integer;
    FMaxFrameSize: Integer;
    FMaxHeaderListSize: Integer;
  public
    constructor Create(AOwner: TIocpWSServerBase); override;
  published
    property EnablePush: Boolean read FEnablePush write FEnablePush default True;
    property HeaderTableSize: Integer read FHeaderTableSize write FHeaderTableSize default 4096;
    property InitialWindowSize: Integer read FInitialWindowSize write FInitialWindowSize default 65535;
    property MaxConcurrentStreams: Integer read FMaxConcurrentStreams write FMaxConcurrentStreams default 2147483647;
    property MaxFrameSize: Integer read FMaxFrameSize write FMaxFrameSize default 16384;
    property MaxHeaderListSize: Integer read FMaxHeaderListSize write FMaxHeaderListSize default 2147483647;
  end;

  { sgc's TsgcWSHTTP2Server_Options }
  TIocpWSHTTP2Options = class(TIocpWSOptionsBase)
  private
    FEnabled: Boolean;
    FFragmentedData: TIocpWSH2FragmentedData;
    FAltSvc: TIocpWSHTTP2AltSvc;
    FEvents: TIocpWSHTTP2Events;
    FSettings: TIocpWSHTTP2Settings;
    procedure SetAltSvc(V: TIocpWSHTTP2AltSvc);
    procedure SetEvents(V: TIocpWSHTTP2Events);
    procedure SetSettings(V: TIocpWSHTTP2Settings);
  public
    constructor Create(AOwner: TIocpWSServerBase); override;
    destructor Destroy; override;
  published
    property Enabled: Boolean read FEnabled write FEnabled default False;
    property FragmentedData: TIocpWSH2FragmentedData read FFragmentedData write FFragmentedData default h2fdOnlyBuffer;
    property AltSvc: TIocpWSHTTP2AltSvc read FAltSvc write SetAltSvc;
    property Events: TIocpWSHTTP2Events read FEvents write SetEvents;
    property Settings: TIocpWSHTTP2Settings read FSettings write SetSettings;
  end;

  { sgc's TsgcHTTPUploadFilesServer }
  TIocpWSHTTPUploadFiles = class(TIocpWSOptionsBase)
  private
    FMinSize: Int64;
    FRemoveBoundaries: Boolean;
    FSaveDirectory: string;
    FStreamType: TIocpWSPostStreamType;
  public
    constructor Create(AOwner: TIocpWSServerBase); override;
  published
    property MinSize: Int64 read FMinSize write FMinSize;
    property RemoveBoundaries: Boolean read FRemoveBoundaries write FRemoveBoundaries default True;
    property SaveDirectory: string read FSaveDirectory write FSaveDirectory;
    property StreamType: TIocpWSPostStreamType read FStreamType write FStreamType default pstMemoryStream;
  end;

type
  TIocpWSFirewallAction = (faDeny, faAllow, faLog);
  TIocpWSFirewallGeoIPMode = (gmBlockList, gmAllowList);
  TIocpWSRateLimitStrategy = (rlsTokenBucket, rlsSliding, rlsFixed);
  TIocpWSAPIKeyStorageType = (kstMemory, kstFile, kstCustom);
  TIocpWSAPIKeyHashAlgorithm = (khaSHA256, khaSHA512, khaBcrypt);
  TIocpWSFirewallOnFiltered = procedure(Sender: TObject; const aIP: string; const aReason: string; var Allow: Boolean) of object;
  TIocpWSFirewallOnResolveCountry = procedure(Sender: TObject; const aIP: string; var aCountryCode: string) of object;
  TIocpWSFirewallOnThreatScoreChanged = procedure(Sender: TObject; const aIP: string; aOldScore, aNewScore: Integer) of object;
  TIocpWSRateLimitOnThrottled = procedure(Sender: TObject; const aKey, aReason: string; var Allow: Boolean) of object;
  TIocpWSRateLimitOnQuotaExceeded = procedure(Sender: TObject; const aKey, aQuotaName: string) of object;
  TIocpWSRateLimitOnStateChange = procedure(Sender: TObject; const aKey: string; aOldBucketSize, aNewBucketSize: Integer) of object;
  TIocpWSAPIKeyOnKeyValidated = procedure(Sender: TObject; const aKey: string; aValid: Boolean; const aReason: string) of object;
  TIocpWSAPIKeyOnKeyRevoked = procedure(Sender: TObject; const aKey, aReason: string) of object;
  TIocpWSAPIKeyOnKeyRotated = procedure(Sender: TObject; const aOldKey, aNewKey: string) of object;
  TIocpWSAPIKeyOnKeyExpired = procedure(Sender: TObject; const aKey: string) of object;
  TIocpWSAPIKeyOnValidation = procedure(Sender: TObject; const aKey: string; var Allow: Boolean; var Reason: string) of object;
  { What sgc's Firewall, RateLimiter and APIKeyManager share: Enabled,
    Version and the per-connection checks a server calls. The engine has
    none of them: the methods raise EIocpWs (IWS_E_UNSUPPORTED); a server
    they are assigned to refuses to start while Enabled. }
  TIocpWSSecurityComponent = class(TComponent)
  private
    FEnabled: Boolean;
    function GetVersion: string;
  public
    function IsConnectionAllowed(const aIP: string): Boolean;
    function IsMessageAllowed(const aIP: string; const aMessage: string = ''): Boolean;
    procedure RegisterConnection(const aIP: string);
    procedure UnregisterConnection(const aIP: string);
    { 'iocpws <version> (not available)' }
    property Version: string read GetVersion;
  published
    property Enabled: Boolean read FEnabled write FEnabled default False;
  end;

  { sgc's TsgcFirewallIPList }
  TIocpWSFirewallIPList = class(TIocpWSOptionsBase)
  private
    FEnabled: Boolean;
    FIPs: TStringList;
    procedure SetIPs(V: TStringList);
  public
    constructor Create(AOwner: TIocpWSServerBase); override;
    destructor Destroy; override;
  published
    property Enabled: Boolean read FEnabled write FEnabled default False;
    property IPs: TStringList read FIPs write SetIPs;
  end;

  { sgc's TsgcFirewallBruteForce }
  TIocpWSFirewallBruteForce = class(TIocpWSOptionsBase)
  private
    FEnabled: Boolean;
    FMaxAttempts: Integer;
    FTimeWindowSec: Integer;
    FBanDurationSec: Integer;
  public
  published
    property Enabled: Boolean read FEnabled write FEnabled default False;
    property MaxAttempts: Integer read FMaxAttempts write FMaxAttempts default 0;
    property TimeWindowSec: Integer read FTimeWindowSec write FTimeWindowSec default 0;
    property BanDurationSec: Integer read FBanDurationSec write FBanDurationSec default 0;
  end;

  { sgc's TsgcFirewallSQLInjection }
  TIocpWSFirewallSQLInjection = class(TIocpWSOptionsBase)
  private
    FEnabled: Boolean;
    FAction: TIocpWSFirewallAction;
    FCustomPatterns: TStringList;
    procedure SetCustomPatterns(V: TStringList);
  public
    constructor Create(AOwner: TIocpWSServerBase); override;
    destructor Destroy; override;
  published
    property Enabled: Boolean read FEnabled write FEnabled default False;
    property Action: TIocpWSFirewallAction read FAction write FAction default faDeny;
    property CustomPatterns: TStringList read FCustomPatterns write SetCustomPatterns;
  end;

  { sgc's TsgcFirewallXSS }
  TIocpWSFirewallXSS = class(TIocpWSOptionsBase)
  private
    FEnabled: Boolean;
    FAction: TIocpWSFirewallAction;
  public
  published
    property Enabled: Boolean read FEnabled write FEnabled default False;
    property Action: TIocpWSFirewallAction read FAction write FAction default faDeny;
  end;

  { sgc's TsgcFirewallRateLimit }
  TIocpWSFirewallRateLimit = class(TIocpWSOptionsBase)
  private
    FEnabled: Boolean;
    FMaxConnectionsPerIP: Integer;
    FTimeWindowSec: Integer;
  public
  published
    property Enabled: Boolean read FEnabled write FEnabled default False;
    property MaxConnectionsPerIP: Integer read FMaxConnectionsPerIP write FMaxConnectionsPerIP default 0;
    property TimeWindowSec: Integer read FTimeWindowSec write FTimeWindowSec default 0;
  end;

  { sgc's TsgcFirewallFloodProtection }
  TIocpWSFirewallFloodProtection = class(TIocpWSOptionsBase)
  private
    FEnabled: Boolean;
    FMaxMessagesPerSec: Integer;
    FAction: TIocpWSFirewallAction;
  public
  published
    property Enabled: Boolean read FEnabled write FEnabled default False;
    property MaxMessagesPerSec: Integer read FMaxMessagesPerSec write FMaxMessagesPerSec default 0;
    property Action: TIocpWSFirewallAction read FAction write FAction default faDeny;
  end;

  { sgc's TsgcFirewallPayloadLimit }
  TIocpWSFirewallPayloadLimit = class(TIocpWSOptionsBase)
  private
    FEnabled: Boolean;
    FMaxSizeBytes: Integer;
    FAction: TIocpWSFirewallAction;
  public
  published
    property Enabled: Boolean read FEnabled write FEnabled default False;
    property MaxSizeBytes: Integer read FMaxSizeBytes write FMaxSizeBytes default 0;
    property Action: TIocpWSFirewallAction read FAction write FAction default faDeny;
  end;

  { sgc's TsgcFirewallPathTraversal }
  TIocpWSFirewallPathTraversal = class(TIocpWSOptionsBase)
  private
    FEnabled: Boolean;
    FAction: TIocpWSFirewallAction;
  public
  published
    property Enabled: Boolean read FEnabled write FEnabled default False;
    property Action: TIocpWSFirewallAction read FAction write FAction default faDeny;
  end;

  { sgc's TsgcFirewallCommandInjection }
  TIocpWSFirewallCommandInjection = class(TIocpWSOptionsBase)
  private
    FEnabled: Boolean;
    FAction: TIocpWSFirewallAction;
    FCustomPatterns: TStringList;
    procedure SetCustomPatterns(V: TStringList);
  public
    constructor Create(AOwner: TIocpWSServerBase); override;
    destructor Destroy; override;
  published
    property Enabled: Boolean read FEnabled write FEnabled default False;
    property Action: TIocpWSFirewallAction read FAction write FAction default faDeny;
    property CustomPatterns: TStringList read FCustomPatterns write SetCustomPatterns;
  end;

  { sgc's TsgcFirewallThreatScore }
  TIocpWSFirewallThreatScore = class(TIocpWSOptionsBase)
  private
    FEnabled: Boolean;
    FAutoBanThreshold: Integer;
    FDecayPerHour: Integer;
    FWeightSQLInjection: Integer;
    FWeightXSS: Integer;
    FWeightBruteForce: Integer;
    FWeightFlood: Integer;
    FWeightRateLimit: Integer;
    FWeightPathTraversal: Integer;
    FWeightCommandInjection: Integer;
    FWeightGeoIP: Integer;
    FWeightPayloadSize: Integer;
  public
  published
    property Enabled: Boolean read FEnabled write FEnabled default False;
    property AutoBanThreshold: Integer read FAutoBanThreshold write FAutoBanThreshold default 0;
    property DecayPerHour: Integer read FDecayPerHour write FDecayPerHour default 0;
    property WeightSQLInjection: Integer read FWeightSQLInjection write FWeightSQLInjection default 0;
    property WeightXSS: Integer read FWeightXSS write FWeightXSS default 0;
    property WeightBruteForce: Integer read FWeightBruteForce write FWeightBruteForce default 0;
    property WeightFlood: Integer read FWeightFlood write FWeightFlood default 0;
    property WeightRateLimit: Integer read FWeightRateLimit write FWeightRateLimit default 0;
    property WeightPathTraversal: Integer read FWeightPathTraversal write FWeightPathTraversal default 0;
    property WeightCommandInjection: Integer read FWeightCommandInjection write FWeightCommandInjection default 0;
    property WeightGeoIP: Integer read FWeightGeoIP write FWeightGeoIP default 0;
    property WeightPayloadSize: Integer read FWeightPayloadSize write FWeightPayloadSize default 0;
  end;

  { sgc's TsgcFirewallBanEscalation }
  TIocpWSFirewallBanEscalation = class(TIocpWSOptionsBase)
  private
    FEnabled: Boolean;
    FLevels: TStringList;
    FResetAfterSec: Integer;
    procedure SetLevels(V: TStringList);
  public
    constructor Create(AOwner: TIocpWSServerBase); override;
    destructor Destroy; override;
  published
    property Enabled: Boolean read FEnabled write FEnabled default False;
    property Levels: TStringList read FLevels write SetLevels;
    property ResetAfterSec: Integer read FResetAfterSec write FResetAfterSec default 0;
  end;

  { sgc's TsgcFirewallGeoIP }
  TIocpWSFirewallGeoIP = class(TIocpWSOptionsBase)
  private
    FEnabled: Boolean;
    FMode: TIocpWSFirewallGeoIPMode;
    FCountries: TStringList;
    FDatabaseFile: string;
    FBlocksFile: string;
    FLocationsFile: string;
    procedure SetCountries(V: TStringList);
  public
    constructor Create(AOwner: TIocpWSServerBase); override;
    destructor Destroy; override;
  published
    property Enabled: Boolean read FEnabled write FEnabled default False;
    property Mode: TIocpWSFirewallGeoIPMode read FMode write FMode default gmBlockList;
    property Countries: TStringList read FCountries write SetCountries;
    property DatabaseFile: string read FDatabaseFile write FDatabaseFile;
    property BlocksFile: string read FBlocksFile write FBlocksFile;
    property LocationsFile: string read FLocationsFile write FLocationsFile;
  end;

  { sgc's TsgcFirewallWebSocketProtection }
  TIocpWSFirewallWebSocketProtection = class(TIocpWSOptionsBase)
  private
    FEnabled: Boolean;
    FAllowedOrigins: TStringList;
    FMaxFrameSize: Integer;
    FAllowedSubprotocols: TStringList;
    procedure SetAllowedOrigins(V: TStringList);
    procedure SetAllowedSubprotocols(V: TStringList);
  public
    constructor Create(AOwner: TIocpWSServerBase); override;
    destructor Destroy; override;
  published
    property Enabled: Boolean read FEnabled write FEnabled default False;
    property AllowedOrigins: TStringList read FAllowedOrigins write SetAllowedOrigins;
    property MaxFrameSize: Integer read FMaxFrameSize write FMaxFrameSize default 0;
    property AllowedSubprotocols: TStringList read FAllowedSubprotocols write SetAllowedSubprotocols;
  end;

  { sgc's TsgcFirewallRules }
  TIocpWSFirewallRules = class(TIocpWSOptionsBase)
  private
    FEnabled: Boolean;
    FRules: TCollection;
    procedure SetRules(V: TCollection);
  public
    constructor Create(AOwner: TIocpWSServerBase); override;
    destructor Destroy; override;
  published
    property Enabled: Boolean read FEnabled write FEnabled default False;
    property Rules: TCollection read FRules write SetRules;
  end;

  { sgc's TsgcFirewallBotDatacenter }
  TIocpWSFirewallBotDatacenter = class(TIocpWSOptionsBase)
  private
    FEnabled: Boolean;
    FASNFile: string;
  public
  published
    property Enabled: Boolean read FEnabled write FEnabled default False;
    property ASNFile: string read FASNFile write FASNFile;
  end;

  { sgc's TsgcFirewallBotReverseDNS }
  TIocpWSFirewallBotReverseDNS = class(TIocpWSOptionsBase)
  private
    FEnabled: Boolean;
  public
  published
    property Enabled: Boolean read FEnabled write FEnabled default False;
  end;

  { sgc's TsgcFirewallBotDNSBL }
  TIocpWSFirewallBotDNSBL = class(TIocpWSOptionsBase)
  private
    FEnabled: Boolean;
    FZones: TStringList;
    procedure SetZones(V: TStringList);
  public
    constructor Create(AOwner: TIocpWSServerBase); override;
    destructor Destroy; override;
  published
    property Enabled: Boolean read FEnabled write FEnabled default False;
    property Zones: TStringList read FZones write SetZones;
  end;

  { sgc's TsgcFirewallBotDetection }
  TIocpWSFirewallBotDetection = class(TIocpWSOptionsBase)
  private
    FEnabled: Boolean;
    FKnownBotsFile: string;
    FDatacenter: TIocpWSFirewallBotDatacenter;
    FReverseDNS: TIocpWSFirewallBotReverseDNS;
    FDNSBL: TIocpWSFirewallBotDNSBL;
    FCacheDurationSec: Integer;
    FDNSTimeoutMS: Integer;
    procedure SetDatacenter(V: TIocpWSFirewallBotDatacenter);
    procedure SetReverseDNS(V: TIocpWSFirewallBotReverseDNS);
    procedure SetDNSBL(V: TIocpWSFirewallBotDNSBL);
  public
    constructor Create(AOwner: TIocpWSServerBase); override;
    destructor Destroy; override;
  published
    property Enabled: Boolean read FEnabled write FEnabled default False;
    property KnownBotsFile: string read FKnownBotsFile write FKnownBotsFile;
    property Datacenter: TIocpWSFirewallBotDatacenter read FDatacenter write SetDatacenter;
    property ReverseDNS: TIocpWSFirewallBotReverseDNS read FReverseDNS write SetReverseDNS;
    property DNSBL: TIocpWSFirewallBotDNSBL read FDNSBL write SetDNSBL;
    property CacheDurationSec: Integer read FCacheDurationSec write FCacheDurationSec default 0;
    property DNSTimeoutMS: Integer read FDNSTimeoutMS write FDNSTimeoutMS default 0;
  end;

  { sgc's TsgcFirewallStats }
  TIocpWSFirewallStats = class(TIocpWSOptionsBase)
  private
    FTotalConnections: Int64;
    FTotalBlocked: Int64;
    FTotalMessages: Int64;
    FTotalViolations: Int64;
    FActiveConnections: Integer;
  public
    property TotalConnections: Int64 read FTotalConnections;
    property TotalBlocked: Int64 read FTotalBlocked;
    property TotalMessages: Int64 read FTotalMessages;
    property TotalViolations: Int64 read FTotalViolations;
    property ActiveConnections: Integer read FActiveConnections;
  end;

  { sgc's TsgcWSFirewall }
  TIocpWSFirewall = class(TIocpWSSecurityComponent)
  private
    FBlacklist: TIocpWSFirewallIPList;
    FWhitelist: TIocpWSFirewallIPList;
    FBruteForce: TIocpWSFirewallBruteForce;
    FSQLInjection: TIocpWSFirewallSQLInjection;
    FXSS: TIocpWSFirewallXSS;
    FRateLimit: TIocpWSFirewallRateLimit;
    FFloodProtection: TIocpWSFirewallFloodProtection;
    FPayloadLimit: TIocpWSFirewallPayloadLimit;
    FPathTraversal: TIocpWSFirewallPathTraversal;
    FCommandInjection: TIocpWSFirewallCommandInjection;
    FThreatScore: TIocpWSFirewallThreatScore;
    FBanEscalation: TIocpWSFirewallBanEscalation;
    FGeoIP: TIocpWSFirewallGeoIP;
    FWebSocketProtection: TIocpWSFirewallWebSocketProtection;
    FCustomRules: TIocpWSFirewallRules;
    FBotDetection: TIocpWSFirewallBotDetection;
    FStats: TIocpWSFirewallStats;
    FOnFiltered: TIocpWSFirewallOnFiltered;
    FOnResolveCountry: TIocpWSFirewallOnResolveCountry;
    FOnThreatScoreChanged: TIocpWSFirewallOnThreatScoreChanged;
    procedure SetBlacklist(V: TIocpWSFirewallIPList);
    procedure SetWhitelist(V: TIocpWSFirewallIPList);
    procedure SetBruteForce(V: TIocpWSFirewallBruteForce);
    procedure SetSQLInjection(V: TIocpWSFirewallSQLInjection);
    procedure SetXSS(V: TIocpWSFirewallXSS);
    procedure SetRateLimit(V: TIocpWSFirewallRateLimit);
    procedure SetFloodProtection(V: TIocpWSFirewallFloodProtection);
    procedure SetPayloadLimit(V: TIocpWSFirewallPayloadLimit);
    procedure SetPathTraversal(V: TIocpWSFirewallPathTraversal);
    procedure SetCommandInjection(V: TIocpWSFirewallCommandInjection);
    procedure SetThreatScore(V: TIocpWSFirewallThreatScore);
    procedure SetBanEscalation(V: TIocpWSFirewallBanEscalation);
    procedure SetGeoIP(V: TIocpWSFirewallGeoIP);
    procedure SetWebSocketProtection(V: TIocpWSFirewallWebSocketProtection);
    procedure SetCustomRules(V: TIocpWSFirewallRules);
    procedure SetBotDetection(V: TIocpWSFirewallBotDetection);
  public
    constructor Create(AOwner: TComponent); override;
    destructor Destroy; override;
    procedure RegisterFailedAttempt(const aIP: string);
    procedure BanIP(const aIP: string; aDurationSec: Integer = 0);
    procedure UnbanIP(const aIP: string);
    function IsBanned(const aIP: string): Boolean;
    procedure ClearBans;
    procedure ClearTracking;
    procedure SaveBansToFile(const aFileName: string);
    procedure LoadBansFromFile(const aFileName: string);
    procedure SaveBansToStream(aStream: TStream);
    procedure LoadBansFromStream(aStream: TStream);
    procedure LoadGeoIPDatabase(const aFileName: string);
    function LookupCountry(const aIP: string): string;
    function IsOriginAllowed(const aOrigin: string): Boolean;
    function IsFrameSizeAllowed(aSize: Integer): Boolean;
    function IsSubprotocolAllowed(const aSubprotocol: string): Boolean;
    function GetThreatScore(const aIP: string): Integer;
    procedure ResetThreatScore(const aIP: string);
    function GetTopThreats(aCount: Integer): TStringList;
    property Stats: TIocpWSFirewallStats read FStats;
  published
    property Blacklist: TIocpWSFirewallIPList read FBlacklist write SetBlacklist;
    property Whitelist: TIocpWSFirewallIPList read FWhitelist write SetWhitelist;
    property BruteForce: TIocpWSFirewallBruteForce read FBruteForce write SetBruteForce;
    property SQLInjection: TIocpWSFirewallSQLInjection read FSQLInjection write SetSQLInjection;
    property XSS: TIocpWSFirewallXSS read FXSS write SetXSS;
    property RateLimit: TIocpWSFirewallRateLimit read FRateLimit write SetRateLimit;
    property FloodProtection: TIocpWSFirewallFloodProtection read FFloodProtection write SetFloodProtection;
    property PayloadLimit: TIocpWSFirewallPayloadLimit read FPayloadLimit write SetPayloadLimit;
    property PathTraversal: TIocpWSFirewallPathTraversal read FPathTraversal write SetPathTraversal;
    property CommandInjection: TIocpWSFirewallCommandInjection read FCommandInjection write SetCommandInjection;
    property ThreatScore: TIocpWSFirewallThreatScore read FThreatScore write SetThreatScore;
    property BanEscalation: TIocpWSFirewallBanEscalation read FBanEscalation write SetBanEscalation;
    property GeoIP: TIocpWSFirewallGeoIP read FGeoIP write SetGeoIP;
    property WebSocketProtection: TIocpWSFirewallWebSocketProtection read FWebSocketProtection write SetWebSocketProtection;
    property CustomRules: TIocpWSFirewallRules read FCustomRules write SetCustomRules;
    property BotDetection: TIocpWSFirewallBotDetection read FBotDetection write SetBotDetection;
    property OnFiltered: TIocpWSFirewallOnFiltered read FOnFiltered write FOnFiltered;
    property OnResolveCountry: TIocpWSFirewallOnResolveCountry read FOnResolveCountry write FOnResolveCountry;
    property OnThreatScoreChanged: TIocpWSFirewallOnThreatScoreChanged read FOnThreatScoreChanged write FOnThreatScoreChanged;
  end;

  { sgc's TsgcRateLimitTokenBucket }
  TIocpWSRateLimitTokenBucket = class(TIocpWSOptionsBase)
  private
    FEnabled: Boolean;
    FCapacity: Integer;
    FRefillRate: Integer;
    FRefillIntervalMs: Integer;
  public
  published
    property Enabled: Boolean read FEnabled write FEnabled default False;
    property Capacity: Integer read FCapacity write FCapacity default 0;
    property RefillRate: Integer read FRefillRate write FRefillRate default 0;
    property RefillIntervalMs: Integer read FRefillIntervalMs write FRefillIntervalMs default 0;
  end;

  { sgc's TsgcRateLimitSlidingWindow }
  TIocpWSRateLimitSlidingWindow = class(TIocpWSOptionsBase)
  private
    FEnabled: Boolean;
    FWindowSec: Integer;
    FMaxRequests: Integer;
  public
  published
    property Enabled: Boolean read FEnabled write FEnabled default False;
    property WindowSec: Integer read FWindowSec write FWindowSec default 0;
    property MaxRequests: Integer read FMaxRequests write FMaxRequests default 0;
  end;

  { sgc's TsgcRateLimitFixedWindow }
  TIocpWSRateLimitFixedWindow = class(TIocpWSOptionsBase)
  private
    FEnabled: Boolean;
    FWindowSec: Integer;
    FMaxRequests: Integer;
  public
  published
    property Enabled: Boolean read FEnabled write FEnabled default False;
    property WindowSec: Integer read FWindowSec write FWindowSec default 0;
    property MaxRequests: Integer read FMaxRequests write FMaxRequests default 0;
  end;

  { sgc's TsgcRateLimitRule }
  TIocpWSRateLimitRule = class(TIocpWSOptionsBase)
  private
    FEnabled: Boolean;
    FMaxRequests: Integer;
    FWindowSec: Integer;
    FStrategy: TIocpWSRateLimitStrategy;
  public
  published
    property Enabled: Boolean read FEnabled write FEnabled default False;
    property MaxRequests: Integer read FMaxRequests write FMaxRequests default 0;
    property WindowSec: Integer read FWindowSec write FWindowSec default 0;
    property Strategy: TIocpWSRateLimitStrategy read FStrategy write FStrategy default rlsTokenBucket;
  end;

  { sgc's TsgcRateLimitRuleList }
  TIocpWSRateLimitRuleList = class(TIocpWSOptionsBase)
  private
    FEnabled: Boolean;
    FRules: TCollection;
    procedure SetRules(V: TCollection);
  public
    constructor Create(AOwner: TIocpWSServerBase); override;
    destructor Destroy; override;
  published
    property Enabled: Boolean read FEnabled write FEnabled default False;
    property Rules: TCollection read FRules write SetRules;
  end;

  { sgc's TsgcRateLimitQuotaList }
  TIocpWSRateLimitQuotaList = class(TIocpWSOptionsBase)
  private
    FEnabled: Boolean;
    FQuotas: TCollection;
    procedure SetQuotas(V: TCollection);
  public
    constructor Create(AOwner: TIocpWSServerBase); override;
    destructor Destroy; override;
  published
    property Enabled: Boolean read FEnabled write FEnabled default False;
    property Quotas: TCollection read FQuotas write SetQuotas;
  end;

  { sgc's TsgcRateLimitBurst }
  TIocpWSRateLimitBurst = class(TIocpWSOptionsBase)
  private
    FEnabled: Boolean;
    FBurstThreshold: Integer;
    FBurstWindowMs: Integer;
    FCooldownSec: Integer;
  public
  published
    property Enabled: Boolean read FEnabled write FEnabled default False;
    property BurstThreshold: Integer read FBurstThreshold write FBurstThreshold default 0;
    property BurstWindowMs: Integer read FBurstWindowMs write FBurstWindowMs default 0;
    property CooldownSec: Integer read FCooldownSec write FCooldownSec default 0;
  end;

  { sgc's TsgcRateLimitResponse }
  TIocpWSRateLimitResponse = class(TIocpWSOptionsBase)
  private
    FStatusCode: Integer;
    FMessage: string;
    FRetryAfterHeader: Boolean;
    FIncludeRateLimitHeaders: Boolean;
  public
  published
    property StatusCode: Integer read FStatusCode write FStatusCode default 0;
    property Message: string read FMessage write FMessage;
    property RetryAfterHeader: Boolean read FRetryAfterHeader write FRetryAfterHeader default False;
    property IncludeRateLimitHeaders: Boolean read FIncludeRateLimitHeaders write FIncludeRateLimitHeaders default False;
  end;

  { sgc's TsgcRateLimitStats }
  TIocpWSRateLimitStats = class(TIocpWSOptionsBase)
  private
    FTotalRequests: Int64;
    FTotalThrottled: Int64;
    FTotalQuotaExceeded: Int64;
    FActiveKeys: Integer;
    FUptime: Int64;
  public
    property TotalRequests: Int64 read FTotalRequests write FTotalRequests;
    property TotalThrottled: Int64 read FTotalThrottled write FTotalThrottled;
    property TotalQuotaExceeded: Int64 read FTotalQuotaExceeded write FTotalQuotaExceeded;
    property ActiveKeys: Integer read FActiveKeys write FActiveKeys;
    property Uptime: Int64 read FUptime;
  end;

  { sgc's TsgcWSRateLimiter }
  TIocpWSRateLimiter = class(TIocpWSSecurityComponent)
  private
    FStorageFile: string;
    FTokenBucket: TIocpWSRateLimitTokenBucket;
    FSlidingWindow: TIocpWSRateLimitSlidingWindow;
    FFixedWindow: TIocpWSRateLimitFixedWindow;
    FPerIP: TIocpWSRateLimitRule;
    FPerAPIKey: TIocpWSRateLimitRule;
    FPerUser: TIocpWSRateLimitRule;
    FPerEndpoint: TIocpWSRateLimitRuleList;
    FQuotas: TIocpWSRateLimitQuotaList;
    FBurstProtection: TIocpWSRateLimitBurst;
    FResponse: TIocpWSRateLimitResponse;
    FStats: TIocpWSRateLimitStats;
    FOnThrottled: TIocpWSRateLimitOnThrottled;
    FOnQuotaExceeded: TIocpWSRateLimitOnQuotaExceeded;
    FOnStateChange: TIocpWSRateLimitOnStateChange;
    procedure SetTokenBucket(V: TIocpWSRateLimitTokenBucket);
    procedure SetSlidingWindow(V: TIocpWSRateLimitSlidingWindow);
    procedure SetFixedWindow(V: TIocpWSRateLimitFixedWindow);
    procedure SetPerIP(V: TIocpWSRateLimitRule);
    procedure SetPerAPIKey(V: TIocpWSRateLimitRule);
    procedure SetPerUser(V: TIocpWSRateLimitRule);
    procedure SetPerEndpoint(V: TIocpWSRateLimitRuleList);
    procedure SetQuotas(V: TIocpWSRateLimitQuotaList);
    procedure SetBurstProtection(V: TIocpWSRateLimitBurst);
    procedure SetResponse(V: TIocpWSRateLimitResponse);
  public
    constructor Create(AOwner: TComponent); override;
    destructor Destroy; override;
    function IsAllowed(const aKey: string; aCost: Integer = 1): Boolean;
    procedure Reset(const aKey: string);
    procedure ResetAll;
    function GetRemaining(const aKey: string): Integer;
    function GetRetryAfter(const aKey: string): Integer;
    procedure SaveStateToFile(const aFileName: string);
    procedure LoadStateFromFile(const aFileName: string);
    procedure SaveStateToStream(aStream: TStream);
    procedure LoadStateFromStream(aStream: TStream);
    property Stats: TIocpWSRateLimitStats read FStats;
  published
    property StorageFile: string read FStorageFile write FStorageFile;
    property TokenBucket: TIocpWSRateLimitTokenBucket read FTokenBucket write SetTokenBucket;
    property SlidingWindow: TIocpWSRateLimitSlidingWindow read FSlidingWindow write SetSlidingWindow;
    property FixedWindow: TIocpWSRateLimitFixedWindow read FFixedWindow write SetFixedWindow;
    property PerIP: TIocpWSRateLimitRule read FPerIP write SetPerIP;
    property PerAPIKey: TIocpWSRateLimitRule read FPerAPIKey write SetPerAPIKey;
    property PerUser: TIocpWSRateLimitRule read FPerUser write SetPerUser;
    property PerEndpoint: TIocpWSRateLimitRuleList read FPerEndpoint write SetPerEndpoint;
    property Quotas: TIocpWSRateLimitQuotaList read FQuotas write SetQuotas;
    property BurstProtection: TIocpWSRateLimitBurst read FBurstProtection write SetBurstProtection;
    property Response: TIocpWSRateLimitResponse read FResponse write SetResponse;
    property OnThrottled: TIocpWSRateLimitOnThrottled read FOnThrottled write FOnThrottled;
    property OnQuotaExceeded: TIocpWSRateLimitOnQuotaExceeded read FOnQuotaExceeded write FOnQuotaExceeded;
    property OnStateChange: TIocpWSRateLimitOnStateChange read FOnStateChange write FOnStateChange;
  end;

  { sgc's TsgcAPIKeyStats }
  TIocpWSAPIKeyStats = class(TIocpWSOptionsBase)
  private
    FTotalKeys: Int64;
    FActiveKeys: Int64;
    FRevokedKeys: Int64;
    FExpiredKeys: Int64;
    FTotalValidations: Int64;
    FTotalValidationFailures: Int64;
    FLastIssuedAt: TDateTime;
  public
    property TotalKeys: Int64 read FTotalKeys;
    property ActiveKeys: Int64 read FActiveKeys;
    property RevokedKeys: Int64 read FRevokedKeys;
    property ExpiredKeys: Int64 read FExpiredKeys;
    property TotalValidations: Int64 read FTotalValidations;
    property TotalValidationFailures: Int64 read FTotalValidationFailures;
    property LastIssuedAt: TDateTime read FLastIssuedAt;
  end;

  { sgc's TsgcAPIKeyGeneration }
  TIocpWSAPIKeyGeneration = class(TIocpWSOptionsBase)
  private
    FEnabled: Boolean;
    FKeyPrefix: string;
    FKeyLength: Integer;
    FCharset: string;
    FIncludeChecksum: Boolean;
  public
  published
    property Enabled: Boolean read FEnabled write FEnabled default False;
    property KeyPrefix: string read FKeyPrefix write FKeyPrefix;
    property KeyLength: Integer read FKeyLength write FKeyLength default 0;
    property Charset: string read FCharset write FCharset;
    property IncludeChecksum: Boolean read FIncludeChecksum write FIncludeChecksum default False;
  end;

  { sgc's TsgcAPIKeyStorage }
  TIocpWSAPIKeyStorage = class(TIocpWSOptionsBase)
  private
    FStorageType: TIocpWSAPIKeyStorageType;
    FFileName: string;
    FEncryptAtRest: Boolean;
    FEncryptionKey: string;
    FAutoSaveSeconds: Integer;
  public
  published
    property StorageType: TIocpWSAPIKeyStorageType read FStorageType write FStorageType default kstMemory;
    property FileName: string read FFileName write FFileName;
    property EncryptAtRest: Boolean read FEncryptAtRest write FEncryptAtRest default False;
    property EncryptionKey: string read FEncryptionKey write FEncryptionKey;
    property AutoSaveSeconds: Integer read FAutoSaveSeconds write FAutoSaveSeconds default 0;
  end;

  { sgc's TsgcAPIKeyHashing }
  TIocpWSAPIKeyHashing = class(TIocpWSOptionsBase)
  private
    FAlgorithm: TIocpWSAPIKeyHashAlgorithm;
    FSalt: string;
    FIterations: Integer;
  public
  published
    property Algorithm: TIocpWSAPIKeyHashAlgorithm read FAlgorithm write FAlgorithm default khaSHA256;
    property Salt: string read FSalt write FSalt;
    property Iterations: Integer read FIterations write FIterations default 0;
  end;

  { sgc's TsgcAPIKeyScopeList }
  TIocpWSAPIKeyScopeList = class(TIocpWSOptionsBase)
  private
    FEnabled: Boolean;
    FScopes: TCollection;
    procedure SetScopes(V: TCollection);
  public
    constructor Create(AOwner: TIocpWSServerBase); override;
    destructor Destroy; override;
  published
    property Enabled: Boolean read FEnabled write FEnabled default False;
    property Scopes: TCollection read FScopes write SetScopes;
  end;

  { sgc's TsgcAPIKeyRotation }
  TIocpWSAPIKeyRotation = class(TIocpWSOptionsBase)
  private
    FEnabled: Boolean;
    FGracePeriodSec: Integer;
    FAutoRotateDays: Integer;
    FNotifyBeforeExpirySec: Integer;
  public
  published
    property Enabled: Boolean read FEnabled write FEnabled default False;
    property GracePeriodSec: Integer read FGracePeriodSec write FGracePeriodSec default 0;
    property AutoRotateDays: Integer read FAutoRotateDays write FAutoRotateDays default 0;
    property NotifyBeforeExpirySec: Integer read FNotifyBeforeExpirySec write FNotifyBeforeExpirySec default 0;
  end;

  { sgc's TsgcAPIKeyExpiration }
  TIocpWSAPIKeyExpiration = class(TIocpWSOptionsBase)
  private
    FDefaultTTLSec: Integer;
    FEnforceExpiry: Boolean;
    FCheckIntervalSec: Integer;
  public
  published
    property DefaultTTLSec: Integer read FDefaultTTLSec write FDefaultTTLSec default 0;
    property EnforceExpiry: Boolean read FEnforceExpiry write FEnforceExpiry default False;
    property CheckIntervalSec: Integer read FCheckIntervalSec write FCheckIntervalSec default 0;
  end;

  { sgc's TsgcAPIKeyRateLimit }
  TIocpWSAPIKeyRateLimit = class(TIocpWSOptionsBase)
  private
    FEnabled: Boolean;
    FDefaultMaxRequests: Integer;
    FDefaultWindowSec: Integer;
  public
  published
    property Enabled: Boolean read FEnabled write FEnabled default False;
    property DefaultMaxRequests: Integer read FDefaultMaxRequests write FDefaultMaxRequests default 0;
    property DefaultWindowSec: Integer read FDefaultWindowSec write FDefaultWindowSec default 0;
  end;

  { sgc's TsgcAPIKeyAudit }
  TIocpWSAPIKeyAudit = class(TIocpWSOptionsBase)
  private
    FEnabled: Boolean;
    FLogFile: string;
    FIncludeIP: Boolean;
    FIncludePayload: Boolean;
    FRetentionDays: Integer;
    FMaxMemoryEntries: Integer;
  public
  published
    property Enabled: Boolean read FEnabled write FEnabled default False;
    property LogFile: string read FLogFile write FLogFile;
    property IncludeIP: Boolean read FIncludeIP write FIncludeIP default False;
    property IncludePayload: Boolean read FIncludePayload write FIncludePayload default False;
    property RetentionDays: Integer read FRetentionDays write FRetentionDays default 0;
    property MaxMemoryEntries: Integer read FMaxMemoryEntries write FMaxMemoryEntries default 0;
  end;

  { sgc's TsgcAPIKeyValidation }
  TIocpWSAPIKeyValidation = class(TIocpWSOptionsBase)
  private
    FHeaderName: string;
    FQueryParamName: string;
    FRequireHTTPS: Boolean;
    FIPAllowlist: TStringList;
    FFailClosed: Boolean;
    procedure SetIPAllowlist(V: TStringList);
  public
    constructor Create(AOwner: TIocpWSServerBase); override;
    destructor Destroy; override;
  published
    property HeaderName: string read FHeaderName write FHeaderName;
    property QueryParamName: string read FQueryParamName write FQueryParamName;
    property RequireHTTPS: Boolean read FRequireHTTPS write FRequireHTTPS default False;
    property IPAllowlist: TStringList read FIPAllowlist write SetIPAllowlist;
    property FailClosed: Boolean read FFailClosed write FFailClosed default False;
  end;

  { sgc's TsgcWSAPIKeyManager }
  TIocpWSAPIKeyManager = class(TIocpWSSecurityComponent)
  private
    FStats: TIocpWSAPIKeyStats;
    FGeneration: TIocpWSAPIKeyGeneration;
    FStorage: TIocpWSAPIKeyStorage;
    FHashing: TIocpWSAPIKeyHashing;
    FScopes: TIocpWSAPIKeyScopeList;
    FRotation: TIocpWSAPIKeyRotation;
    FExpiration: TIocpWSAPIKeyExpiration;
    FRateLimit: TIocpWSAPIKeyRateLimit;
    FAudit: TIocpWSAPIKeyAudit;
    FValidation: TIocpWSAPIKeyValidation;
    FOnKeyValidated: TIocpWSAPIKeyOnKeyValidated;
    FOnKeyRevoked: TIocpWSAPIKeyOnKeyRevoked;
    FOnKeyRotated: TIocpWSAPIKeyOnKeyRotated;
    FOnKeyExpired: TIocpWSAPIKeyOnKeyExpired;
    FOnValidation: TIocpWSAPIKeyOnValidation;
    procedure SetGeneration(V: TIocpWSAPIKeyGeneration);
    procedure SetStorage(V: TIocpWSAPIKeyStorage);
    procedure SetHashing(V: TIocpWSAPIKeyHashing);
    procedure SetScopes(V: TIocpWSAPIKeyScopeList);
    procedure SetRotation(V: TIocpWSAPIKeyRotation);
    procedure SetExpiration(V: TIocpWSAPIKeyExpiration);
    procedure SetRateLimit(V: TIocpWSAPIKeyRateLimit);
    procedure SetAudit(V: TIocpWSAPIKeyAudit);
    procedure SetValidation(V: TIocpWSAPIKeyValidation);
  public
    constructor Create(AOwner: TComponent); override;
    destructor Destroy; override;
    function ValidateKey(const aKey: string; const aRequiredScope: string = ''; const aIP: string = ''): Boolean;
    function RevokeKey(const aKey: string; const aReason: string = ''): Boolean;
    function RotateKey(const aOldKey: string; out aNewKey: string): Boolean;
    function RenewKey(const aKey: string; aNewExpiresInSec: Integer): Boolean;
    function IsExpired(const aKey: string): Boolean;
    function IsRevoked(const aKey: string): Boolean;
    function KeyExists(const aKey: string): Boolean;
    procedure GrantScope(const aKey, aScope: string);
    procedure RevokeScope(const aKey, aScope: string);
    function HasScope(const aKey, aScope: string): Boolean;
    procedure ClearAuditLog(const aKey: string = '');
    procedure SaveToFile(const aFileName: string = '');
    procedure LoadFromFile(const aFileName: string = '');
    procedure ExportKeys(aStream: TStream);
    procedure ImportKeys(aStream: TStream);
    procedure PurgeExpired;
    function Count: Integer;
    function IsRequestAuthorized(const aHeaders: string; const aQueryString: string = ''; const aIP: string = ''; const aRequiredScope: string = ''): Boolean;
    function ExtractKeyFromHeaders(const aHeaders: string): string;
    function ExtractKeyFromQuery(const aQueryString: string): string;
    property Stats: TIocpWSAPIKeyStats read FStats;
  published
    property Generation: TIocpWSAPIKeyGeneration read FGeneration write SetGeneration;
    property Storage: TIocpWSAPIKeyStorage read FStorage write SetStorage;
    property Hashing: TIocpWSAPIKeyHashing read FHashing write SetHashing;
    property Scopes: TIocpWSAPIKeyScopeList read FScopes write SetScopes;
    property Rotation: TIocpWSAPIKeyRotation read FRotation write SetRotation;
    property Expiration: TIocpWSAPIKeyExpiration read FExpiration write SetExpiration;
    property RateLimit: TIocpWSAPIKeyRateLimit read FRateLimit write SetRateLimit;
    property Audit: TIocpWSAPIKeyAudit read FAudit write SetAudit;
    property Validation: TIocpWSAPIKeyValidation read FValidation write SetValidation;
    property OnKeyValidated: TIocpWSAPIKeyOnKeyValidated read FOnKeyValidated write FOnKeyValidated;
    property OnKeyRevoked: TIocpWSAPIKeyOnKeyRevoked read FOnKeyRevoked write FOnKeyRevoked;
    property OnKeyRotated: TIocpWSAPIKeyOnKeyRotated read FOnKeyRotated write FOnKeyRotated;
    property OnKeyExpired: TIocpWSAPIKeyOnKeyExpired read FOnKeyExpired write FOnKeyExpired;
    property OnValidation: TIocpWSAPIKeyOnValidation read FOnValidation write FOnValidation;
  end;

  { sgc's TsgcWSConnections_Options }
  TIocpWSConnectionsOptions = class(TIocpWSOptionsBase)
  private
    FEnabled: Boolean;
    FCacheSize: Integer;
    FGroupLevel: Integer;
  public
  published
    property Enabled: Boolean read FEnabled write FEnabled default False;
    property CacheSize: Integer read FCacheSize write FCacheSize default 0;
    property GroupLevel: Integer read FGroupLevel write FGroupLevel default 0;
  end;

  { sgc's TsgcWSChannels_Options }
  TIocpWSChannelsOptions = class(TIocpWSOptionsBase)
  private
    FEnabled: Boolean;
  public
  published
    property Enabled: Boolean read FEnabled write FEnabled default False;
  end;

  { sgc's TsgcWSConnectionsFree_Options }
  TIocpWSConnectionsFreeOptions = class(TIocpWSOptionsBase)
  private
    FEnabled: Boolean;
    FInterval: Integer;
  public
  published
    property Enabled: Boolean read FEnabled write FEnabled default False;
    property Interval: Integer read FInterval write FInterval default 0;
  end;

  { sgc's TsgcWSOptimization_Options }
  TIocpWSOptimizationOptions = class(TIocpWSOptionsBase)
  private
    FConnections: TIocpWSConnectionsOptions;
    FChannels: TIocpWSChannelsOptions;
    FConnectionsFree: TIocpWSConnectionsFreeOptions;
    procedure SetConnections(V: TIocpWSConnectionsOptions);
    procedure SetChannels(V: TIocpWSChannelsOptions);
    procedure SetConnectionsFree(V: TIocpWSConnectionsFreeOptions);
  public
    constructor Create(AOwner: TIocpWSServerBase); override;
    destructor Destroy; override;
  published
    property Connections: TIocpWSConnectionsOptions read FConnections write SetConnections;
    property Channels: TIocpWSChannelsOptions read FChannels write SetChannels;
    property ConnectionsFree: TIocpWSConnectionsFreeOptions read FConnectionsFree write SetConnectionsFree;
  end;
  { sgc's TsgcWSLoadBalancerClient (the server's ClientLoadBalancer, its
    link to sgc's load balancer server): the scalar members. The engine
    has no sgc load balancer: Active True is reported at Start. }
  TIocpWSLoadBalancerClient = class(TIocpWSOptionsBase)
  private
    FActive: Boolean;
    FBoundIP: string;
    FBoundPort: Integer;
    FBoundPortMin: Integer;
    FBoundPortMax: Integer;
    FConnectTimeout: Integer;
    FDisableCS: Boolean;
    FFreeConnectionOnDestroy: Boolean;
    FHost: string;
    FLingerState: Integer;
    FPort: Integer;
    FQueueMessages: Boolean;
    FReadTimeout: Integer;
    FTLS: Boolean;
    FURL: string;
    FUseNagle: Boolean;
    FWriteTimeout: Integer;
  published
    property Active: Boolean read FActive write FActive default False;
    property BoundIP: string read FBoundIP write FBoundIP;
    property BoundPort: Integer read FBoundPort write FBoundPort default 0;
    property BoundPortMin: Integer read FBoundPortMin write FBoundPortMin default 0;
    property BoundPortMax: Integer read FBoundPortMax write FBoundPortMax default 0;
    property ConnectTimeout: Integer read FConnectTimeout write FConnectTimeout default 0;
    property DisableCS: Boolean read FDisableCS write FDisableCS default False;
    property FreeConnectionOnDestroy: Boolean read FFreeConnectionOnDestroy write FFreeConnectionOnDestroy default False;
    property Host: string read FHost write FHost;
    property LingerState: Integer read FLingerState write FLingerState default 0;
    property Port: Integer read FPort write FPort default 0;
    property QueueMessages: Boolean read FQueueMessages write FQueueMessages default False;
    property ReadTimeout: Integer read FReadTimeout write FReadTimeout default 0;
    property TLS: Boolean read FTLS write FTLS default False;
    property URL: string read FURL write FURL;
    property UseNagle: Boolean read FUseNagle write FUseNagle default False;
    property WriteTimeout: Integer read FWriteTimeout write FWriteTimeout default 0;
  end;

  { sgc's token and passkey components, which Authentication.JWT.JWT,
    .OAuth.OAuth2, .OAuth.OAuth2Provider and .WebAuthn.WebAuthn name: the
    classes exist (sgcWebSocket_iocp registers them under sgc's names) so
    that forms holding them load and programs assigning them compile;
    their own members are not declared, and a server that is to rely on
    one refuses to start (TIocpWSAuthJWTOptions). }
  TIocpWSJWTServer = class(TComponent);
  TIocpWSOAuth2Server = class(TComponent);
  TIocpWSOAuth2ServerProvider = class(TComponent);
  TIocpWSWebAuthnServer = class(TComponent);

implementation

{ ---- TIocpWSTCPTLSOptions, TIocpWSServerForwardHTTP --------------------------- }

constructor TIocpWSTCPTLSOptions.Create;
begin
  inherited Create;
  FALPNProtocols := TStringList.Create;
  FOpenSSLOptions := TIocpWSOpenSSLClientOptions.Create(nil);
  FSChannelOptions := TIocpWSSChannelClientOptions.Create(nil);
end;

destructor TIocpWSTCPTLSOptions.Destroy;
begin
  FSChannelOptions.Free;
  FOpenSSLOptions.Free;
  FALPNProtocols.Free;
  inherited Destroy;
end;

procedure TIocpWSTCPTLSOptions.SetOpenSSLOptions(V: TIocpWSOpenSSLClientOptions);
begin
  FOpenSSLOptions.Assign(V);
end;

procedure TIocpWSTCPTLSOptions.SetSChannelOptions(V: TIocpWSSChannelClientOptions);
begin
  FSChannelOptions.Assign(V);
end;

procedure TIocpWSTCPTLSOptions.Assign(aSource: TPersistent);
var
  O: TIocpWSTCPTLSOptions;
begin
  if aSource is TIocpWSTCPTLSOptions then
  begin
    O := TIocpWSTCPTLSOptions(aSource);
    FALPNProtocols.Assign(O.FALPNProtocols);
    FIOHandler := O.FIOHandler;
    FOpenSSLOptions.Assign(O.FOpenSSLOptions);
    FSChannelOptions.Assign(O.FSChannelOptions);
    FCertFile := O.FCertFile;
    FKeyFile := O.FKeyFile;
    FPassword := O.FPassword;
    FRootCertFile := O.FRootCertFile;
    FVerifyCertificate := O.FVerifyCertificate;
    FVerifyDepth := O.FVerifyDepth;
    FVersion := O.FVersion;
  end
  else
    inherited Assign(aSource);
end;

constructor TIocpWSServerForwardHTTP.Create;
begin
  inherited Create;
  FCustomHeaders := TStringList.Create;
  FTLSOptions := TIocpWSTCPTLSOptions.Create;
end;

destructor TIocpWSServerForwardHTTP.Destroy;
begin
  FTLSOptions.Free;
  FCustomHeaders.Free;
  inherited Destroy;
end;

procedure TIocpWSServerForwardHTTP.Clear;
begin
  FEnabled := False;
  FDocument := '';
  FQueryParams := '';
  FURL := '';
  FHost := '';
  FOrigin := '';
  FLogFilename := '';
  FNoCache := False;
  FCustomHeaders.Clear;
end;

function TIocpWSServerForwardHTTP.GetForwardURL: string;
begin
  Result := FURL;
  if Result = '' then
  begin
    Result := FHost + FDocument;
    if FQueryParams <> '' then
      Result := Result + '?' + FQueryParams;
  end;
end;


{ ---- what the engine has no equivalent for -------------------------------- }

procedure Unavailable(C: TComponent; const What: string);
begin
  raise EIocpWs.CreateCode(IWS_E_UNSUPPORTED, 'iocpws: ' + C.ClassName + '.' +
    What + ': not available (the engine has no sgc ' + C.ClassName +
    '; see bindings/pascal/README.md)');
end;

function UnavailableVersion: string;
begin
  Result := 'iocpws ' + IWS_HEADER_VERSION_STRING + ' (not available)';
end;

function TIocpWSSecurityComponent.GetVersion: string;
begin
  Result := UnavailableVersion;
end;

function TIocpWSSecurityComponent.IsConnectionAllowed(const aIP: string): Boolean;
begin
  Result := False;
  Unavailable(Self, 'IsConnectionAllowed');
end;

function TIocpWSSecurityComponent.IsMessageAllowed(const aIP: string;
  const aMessage: string): Boolean;
begin
  Result := False;
  Unavailable(Self, 'IsMessageAllowed');
end;

procedure TIocpWSSecurityComponent.RegisterConnection(const aIP: string);
begin
  Unavailable(Self, 'RegisterConnection');
end;

procedure TIocpWSSecurityComponent.UnregisterConnection(const aIP: string);
begin
  Unavailable(Self, 'UnregisterConnection');
end;

constructor TIocpWSFirewallIPList.Create(AOwner: TIocpWSServerBase);
begin
  inherited Create(AOwner);
  FIPs := TStringList.Create;
end;

destructor TIocpWSFirewallIPList.Destroy;
begin
  FIPs.Free;
  inherited Destroy;
end;

procedure TIocpWSFirewallIPList.SetIPs(V: TStringList);
begin
  FIPs.Assign(V);
end;

constructor TIocpWSFirewallSQLInjection.Create(AOwner: TIocpWSServerBase);
begin
  inherited Create(AOwner);
  FCustomPatterns := TStringList.Create;
end;

destructor TIocpWSFirewallSQLInjection.Destroy;
begin
  FCustomPatterns.Free;
  inherited Destroy;
end;

procedure TIocpWSFirewallSQLInjection.SetCustomPatterns(V: TStringList);
begin
  FCustomPatterns.Assign(V);
end;

constructor TIocpWSFirewallCommandInjection.Create(AOwner: TIocpWSServerBase);
begin
  inherited Create(AOwner);
  FCustomPatterns := TStringList.Create;
end;

destructor TIocpWSFirewallCommandInjection.Destroy;
begin
  FCustomPatterns.Free;
  inherited Destroy;
end;

procedure TIocpWSFirewallCommandInjection.SetCustomPatterns(V: TStringList);
begin
  FCustomPatterns.Assign(V);
end;

constructor TIocpWSFirewallBanEscalation.Create(AOwner: TIocpWSServerBase);
begin
  inherited Create(AOwner);
  FLevels := TStringList.Create;
end;

destructor TIocpWSFirewallBanEscalation.Destroy;
begin
  FLevels.Free;
  inherited Destroy;
end;

procedure TIocpWSFirewallBanEscalation.SetLevels(V: TStringList);
begin
  FLevels.Assign(V);
end;

constructor TIocpWSFirewallGeoIP.Create(AOwner: TIocpWSServerBase);
begin
  inherited Create(AOwner);
  FCountries := TStringList.Create;
end;

destructor TIocpWSFirewallGeoIP.Destroy;
begin
  FCountries.Free;
  inherited Destroy;
end;

procedure TIocpWSFirewallGeoIP.SetCountries(V: TStringList);
begin
  FCountries.Assign(V);
end;

constructor TIocpWSFirewallWebSocketProtection.Create(AOwner: TIocpWSServerBase);
begin
  inherited Create(AOwner);
  FAllowedOrigins := TStringList.Create;
  FAllowedSubprotocols := TStringList.Create;
end;

destructor TIocpWSFirewallWebSocketProtection.Destroy;
begin
  FAllowedOrigins.Free;
  FAllowedSubprotocols.Free;
  inherited Destroy;
end;

procedure TIocpWSFirewallWebSocketProtection.SetAllowedOrigins(V: TStringList);
begin
  FAllowedOrigins.Assign(V);
end;

procedure TIocpWSFirewallWebSocketProtection.SetAllowedSubprotocols(V: TStringList);
begin
  FAllowedSubprotocols.Assign(V);
end;

constructor TIocpWSFirewallRules.Create(AOwner: TIocpWSServerBase);
begin
  inherited Create(AOwner);
  FRules := TCollection.Create(TCollectionItem);
end;

destructor TIocpWSFirewallRules.Destroy;
begin
  FRules.Free;
  inherited Destroy;
end;

procedure TIocpWSFirewallRules.SetRules(V: TCollection);
begin
  FRules.Assign(V);
end;

constructor TIocpWSFirewallBotDNSBL.Create(AOwner: TIocpWSServerBase);
begin
  inherited Create(AOwner);
  FZones := TStringList.Create;
end;

destructor TIocpWSFirewallBotDNSBL.Destroy;
begin
  FZones.Free;
  inherited Destroy;
end;

procedure TIocpWSFirewallBotDNSBL.SetZones(V: TStringList);
begin
  FZones.Assign(V);
end;

constructor TIocpWSFirewallBotDetection.Create(AOwner: TIocpWSServerBase);
begin
  inherited Create(AOwner);
  FDatacenter := TIocpWSFirewallBotDatacenter.Create(nil);
  FReverseDNS := TIocpWSFirewallBotReverseDNS.Create(nil);
  FDNSBL := TIocpWSFirewallBotDNSBL.Create(nil);
end;

destructor TIocpWSFirewallBotDetection.Destroy;
begin
  FDatacenter.Free;
  FReverseDNS.Free;
  FDNSBL.Free;
  inherited Destroy;
end;

procedure TIocpWSFirewallBotDetection.SetDatacenter(V: TIocpWSFirewallBotDatacenter);
begin
  FDatacenter.Assign(V);
end;

procedure TIocpWSFirewallBotDetection.SetReverseDNS(V: TIocpWSFirewallBotReverseDNS);
begin
  FReverseDNS.Assign(V);
end;

procedure TIocpWSFirewallBotDetection.SetDNSBL(V: TIocpWSFirewallBotDNSBL);
begin
  FDNSBL.Assign(V);
end;

constructor TIocpWSFirewall.Create(AOwner: TComponent);
begin
  inherited Create(AOwner);
  FBlacklist := TIocpWSFirewallIPList.Create(nil);
  FWhitelist := TIocpWSFirewallIPList.Create(nil);
  FBruteForce := TIocpWSFirewallBruteForce.Create(nil);
  FSQLInjection := TIocpWSFirewallSQLInjection.Create(nil);
  FXSS := TIocpWSFirewallXSS.Create(nil);
  FRateLimit := TIocpWSFirewallRateLimit.Create(nil);
  FFloodProtection := TIocpWSFirewallFloodProtection.Create(nil);
  FPayloadLimit := TIocpWSFirewallPayloadLimit.Create(nil);
  FPathTraversal := TIocpWSFirewallPathTraversal.Create(nil);
  FCommandInjection := TIocpWSFirewallCommandInjection.Create(nil);
  FThreatScore := TIocpWSFirewallThreatScore.Create(nil);
  FBanEscalation := TIocpWSFirewallBanEscalation.Create(nil);
  FGeoIP := TIocpWSFirewallGeoIP.Create(nil);
  FWebSocketProtection := TIocpWSFirewallWebSocketProtection.Create(nil);
  FCustomRules := TIocpWSFirewallRules.Create(nil);
  FBotDetection := TIocpWSFirewallBotDetection.Create(nil);
  FStats := TIocpWSFirewallStats.Create(nil);
end;

destructor TIocpWSFirewall.Destroy;
begin
  FBlacklist.Free;
  FWhitelist.Free;
  FBruteForce.Free;
  FSQLInjection.Free;
  FXSS.Free;
  FRateLimit.Free;
  FFloodProtection.Free;
  FPayloadLimit.Free;
  FPathTraversal.Free;
  FCommandInjection.Free;
  FThreatScore.Free;
  FBanEscalation.Free;
  FGeoIP.Free;
  FWebSocketProtection.Free;
  FCustomRules.Free;
  FBotDetection.Free;
  FStats.Free;
  inherited Destroy;
end;

procedure TIocpWSFirewall.SetBlacklist(V: TIocpWSFirewallIPList);
begin
  FBlacklist.Assign(V);
end;

procedure TIocpWSFirewall.SetWhitelist(V: TIocpWSFirewallIPList);
begin
  FWhitelist.Assign(V);
end;

procedure TIocpWSFirewall.SetBruteForce(V: TIocpWSFirewallBruteForce);
begin
  FBruteForce.Assign(V);
end;

procedure TIocpWSFirewall.SetSQLInjection(V: TIocpWSFirewallSQLInjection);
begin
  FSQLInjection.Assign(V);
end;

procedure TIocpWSFirewall.SetXSS(V: TIocpWSFirewallXSS);
begin
  FXSS.Assign(V);
end;

procedure TIocpWSFirewall.SetRateLimit(V: TIocpWSFirewallRateLimit);
begin
  FRateLimit.Assign(V);
end;

procedure TIocpWSFirewall.SetFloodProtection(V: TIocpWSFirewallFloodProtection);
begin
  FFloodProtection.Assign(V);
end;

procedure TIocpWSFirewall.SetPayloadLimit(V: TIocpWSFirewallPayloadLimit);
begin
  FPayloadLimit.Assign(V);
end;

procedure TIocpWSFirewall.SetPathTraversal(V: TIocpWSFirewallPathTraversal);
begin
  FPathTraversal.Assign(V);
end;

procedure TIocpWSFirewall.SetCommandInjection(V: TIocpWSFirewallCommandInjection);
begin
  FCommandInjection.Assign(V);
end;

procedure TIocpWSFirewall.SetThreatScore(V: TIocpWSFirewallThreatScore);
begin
  FThreatScore.Assign(V);
end;

procedure TIocpWSFirewall.SetBanEscalation(V: TIocpWSFirewallBanEscalation);
begin
  FBanEscalation.Assign(V);
end;

procedure TIocpWSFirewall.SetGeoIP(V: TIocpWSFirewallGeoIP);
begin
  FGeoIP.Assign(V);
end;

procedure TIocpWSFirewall.SetWebSocketProtection(V: TIocpWSFirewallWebSocketProtection);
begin
  FWebSocketProtection.Assign(V);
end;

procedure TIocpWSFirewall.SetCustomRules(V: TIocpWSFirewallRules);
begin
  FCustomRules.Assign(V);
end;

procedure TIocpWSFirewall.SetBotDetection(V: TIocpWSFirewallBotDetection);
begin
  FBotDetection.Assign(V);
end;

procedure TIocpWSFirewall.RegisterFailedAttempt(const aIP: string);
begin
  Unavailable(Self, 'RegisterFailedAttempt');
end;

procedure TIocpWSFirewall.BanIP(const aIP: string; aDurationSec: Integer);
begin
  Unavailable(Self, 'BanIP');
end;

procedure TIocpWSFirewall.UnbanIP(const aIP: string);
begin
  Unavailable(Self, 'UnbanIP');
end;

function TIocpWSFirewall.IsBanned(const aIP: string): Boolean;
begin
  Result := False;
  Unavailable(Self, 'IsBanned');
end;

procedure TIocpWSFirewall.ClearBans;
begin
  Unavailable(Self, 'ClearBans');
end;

procedure TIocpWSFirewall.ClearTracking;
begin
  Unavailable(Self, 'ClearTracking');
end;

procedure TIocpWSFirewall.SaveBansToFile(const aFileName: string);
begin
  Unavailable(Self, 'SaveBansToFile');
end;

procedure TIocpWSFirewall.LoadBansFromFile(const aFileName: string);
begin
  Unavailable(Self, 'LoadBansFromFile');
end;

procedure TIocpWSFirewall.SaveBansToStream(aStream: TStream);
begin
  Unavailable(Self, 'SaveBansToStream');
end;

procedure TIocpWSFirewall.LoadBansFromStream(aStream: TStream);
begin
  Unavailable(Self, 'LoadBansFromStream');
end;

procedure TIocpWSFirewall.LoadGeoIPDatabase(const aFileName: string);
begin
  Unavailable(Self, 'LoadGeoIPDatabase');
end;

function TIocpWSFirewall.LookupCountry(const aIP: string): string;
begin
  Result := '';
  Unavailable(Self, 'LookupCountry');
end;

function TIocpWSFirewall.IsOriginAllowed(const aOrigin: string): Boolean;
begin
  Result := False;
  Unavailable(Self, 'IsOriginAllowed');
end;

function TIocpWSFirewall.IsFrameSizeAllowed(aSize: Integer): Boolean;
begin
  Result := False;
  Unavailable(Self, 'IsFrameSizeAllowed');
end;

function TIocpWSFirewall.IsSubprotocolAllowed(const aSubprotocol: string): Boolean;
begin
  Result := False;
  Unavailable(Self, 'IsSubprotocolAllowed');
end;

function TIocpWSFirewall.GetThreatScore(const aIP: string): Integer;
begin
  Result := 0;
  Unavailable(Self, 'GetThreatScore');
end;

procedure TIocpWSFirewall.ResetThreatScore(const aIP: string);
begin
  Unavailable(Self, 'ResetThreatScore');
end;

function TIocpWSFirewall.GetTopThreats(aCount: Integer): TStringList;
begin
  Result := nil;
  Unavailable(Self, 'GetTopThreats');
end;

constructor TIocpWSRateLimitRuleList.Create(AOwner: TIocpWSServerBase);
begin
  inherited Create(AOwner);
  FRules := TCollection.Create(TCollectionItem);
end;

destructor TIocpWSRateLimitRuleList.Destroy;
begin
  FRules.Free;
  inherited Destroy;
end;

procedure TIocpWSRateLimitRuleList.SetRules(V: TCollection);
begin
  FRules.Assign(V);
end;

constructor TIocpWSRateLimitQuotaList.Create(AOwner: TIocpWSServerBase);
begin
  inherited Create(AOwner);
  FQuotas := TCollection.Create(TCollectionItem);
end;

destructor TIocpWSRateLimitQuotaList.Destroy;
begin
  FQuotas.Free;
  inherited Destroy;
end;

procedure TIocpWSRateLimitQuotaList.SetQuotas(V: TCollection);
begin
  FQuotas.Assign(V);
end;

constructor TIocpWSRateLimiter.Create(AOwner: TComponent);
begin
  inherited Create(AOwner);
  FTokenBucket := TIocpWSRateLimitTokenBucket.Create(nil);
  FSlidingWindow := TIocpWSRateLimitSlidingWindow.Create(nil);
  FFixedWindow := TIocpWSRateLimitFixedWindow.Create(nil);
  FPerIP := TIocpWSRateLimitRule.Create(nil);
  FPerAPIKey := TIocpWSRateLimitRule.Create(nil);
  FPerUser := TIocpWSRateLimitRule.Create(nil);
  FPerEndpoint := TIocpWSRateLimitRuleList.Create(nil);
  FQuotas := TIocpWSRateLimitQuotaList.Create(nil);
  FBurstProtection := TIocpWSRateLimitBurst.Create(nil);
  FResponse := TIocpWSRateLimitResponse.Create(nil);
  FStats := TIocpWSRateLimitStats.Create(nil);
end;

destructor TIocpWSRateLimiter.Destroy;
begin
  FTokenBucket.Free;
  FSlidingWindow.Free;
  FFixedWindow.Free;
  FPerIP.Free;
  FPerAPIKey.Free;
  FPerUser.Free;
  FPerEndpoint.Free;
  FQuotas.Free;
  FBurstProtection.Free;
  FResponse.Free;
  FStats.Free;
  inherited Destroy;
end;

procedure TIocpWSRateLimiter.SetTokenBucket(V: TIocpWSRateLimitTokenBucket);
begin
  FTokenBucket.Assign(V);
end;

procedure TIocpWSRateLimiter.SetSlidingWindow(V: TIocpWSRateLimitSlidingWindow);
begin
  FSlidingWindow.Assign(V);
end;

procedure TIocpWSRateLimiter.SetFixedWindow(V: TIocpWSRateLimitFixedWindow);
begin
  FFixedWindow.Assign(V);
end;

procedure TIocpWSRateLimiter.SetPerIP(V: TIocpWSRateLimitRule);
begin
  FPerIP.Assign(V);
end;

procedure TIocpWSRateLimiter.SetPerAPIKey(V: TIocpWSRateLimitRule);
begin
  FPerAPIKey.Assign(V);
end;

procedure TIocpWSRateLimiter.SetPerUser(V: TIocpWSRateLimitRule);
begin
  FPerUser.Assign(V);
end;

procedure TIocpWSRateLimiter.SetPerEndpoint(V: TIocpWSRateLimitRuleList);
begin
  FPerEndpoint.Assign(V);
end;

procedure TIocpWSRateLimiter.SetQuotas(V: TIocpWSRateLimitQuotaList);
begin
  FQuotas.Assign(V);
end;

procedure TIocpWSRateLimiter.SetBurstProtection(V: TIocpWSRateLimitBurst);
begin
  FBurstProtection.Assign(V);
end;

procedure TIocpWSRateLimiter.SetResponse(V: TIocpWSRateLimitResponse);
begin
  FResponse.Assign(V);
end;

function TIocpWSRateLimiter.IsAllowed(const aKey: string; aCost: Integer): Boolean;
begin
  Result := False;
  Unavailable(Self, 'IsAllowed');
end;

procedure TIocpWSRateLimiter.Reset(const aKey: string);
begin
  Unavailable(Self, 'Reset');
end;

procedure TIocpWSRateLimiter.ResetAll;
begin
  Unavailable(Self, 'ResetAll');
end;

function TIocpWSRateLimiter.GetRemaining(const aKey: string): Integer;
begin
  Result := 0;
  Unavailable(Self, 'GetRemaining');
end;

function TIocpWSRateLimiter.GetRetryAfter(const aKey: string): Integer;
begin
  Result := 0;
  Unavailable(Self, 'GetRetryAfter');
end;

procedure TIocpWSRateLimiter.SaveStateToFile(const aFileName: string);
begin
  Unavailable(Self, 'SaveStateToFile');
end;

procedure TIocpWSRateLimiter.LoadStateFromFile(const aFileName: string);
begin
  Unavailable(Self, 'LoadStateFromFile');
end;

procedure TIocpWSRateLimiter.SaveStateToStream(aStream: TStream);
begin
  Unavailable(Self, 'SaveStateToStream');
end;

procedure TIocpWSRateLimiter.LoadStateFromStream(aStream: TStream);
begin
  Unavailable(Self, 'LoadStateFromStream');
end;

constructor TIocpWSAPIKeyScopeList.Create(AOwner: TIocpWSServerBase);
begin
  inherited Create(AOwner);
  FScopes := TCollection.Create(TCollectionItem);
end;

destructor TIocpWSAPIKeyScopeList.Destroy;
begin
  FScopes.Free;
  inherited Destroy;
end;

procedure TIocpWSAPIKeyScopeList.SetScopes(V: TCollection);
begin
  FScopes.Assign(V);
end;

constructor TIocpWSAPIKeyValidation.Create(AOwner: TIocpWSServerBase);
begin
  inherited Create(AOwner);
  FIPAllowlist := TStringList.Create;
end;

destructor TIocpWSAPIKeyValidation.Destroy;
begin
  FIPAllowlist.Free;
  inherited Destroy;
end;

procedure TIocpWSAPIKeyValidation.SetIPAllowlist(V: TStringList);
begin
  FIPAllowlist.Assign(V);
end;

constructor TIocpWSAPIKeyManager.Create(AOwner: TComponent);
begin
  inherited Create(AOwner);
  FStats := TIocpWSAPIKeyStats.Create(nil);
  FGeneration := TIocpWSAPIKeyGeneration.Create(nil);
  FStorage := TIocpWSAPIKeyStorage.Create(nil);
  FHashing := TIocpWSAPIKeyHashing.Create(nil);
  FScopes := TIocpWSAPIKeyScopeList.Create(nil);
  FRotation := TIocpWSAPIKeyRotation.Create(nil);
  FExpiration := TIocpWSAPIKeyExpiration.Create(nil);
  FRateLimit := TIocpWSAPIKeyRateLimit.Create(nil);
  FAudit := TIocpWSAPIKeyAudit.Create(nil);
  FValidation := TIocpWSAPIKeyValidation.Create(nil);
end;

destructor TIocpWSAPIKeyManager.Destroy;
begin
  FStats.Free;
  FGeneration.Free;
  FStorage.Free;
  FHashing.Free;
  FScopes.Free;
  FRotation.Free;
  FExpiration.Free;
  FRateLimit.Free;
  FAudit.Free;
  FValidation.Free;
  inherited Destroy;
end;

procedure TIocpWSAPIKeyManager.SetGeneration(V: TIocpWSAPIKeyGeneration);
begin
  FGeneration.Assign(V);
end;

procedure TIocpWSAPIKeyManager.SetStorage(V: TIocpWSAPIKeyStorage);
begin
  FStorage.Assign(V);
end;

procedure TIocpWSAPIKeyManager.SetHashing(V: TIocpWSAPIKeyHashing);
begin
  FHashing.Assign(V);
end;

procedure TIocpWSAPIKeyManager.SetScopes(V: TIocpWSAPIKeyScopeList);
begin
  FScopes.Assign(V);
end;

procedure TIocpWSAPIKeyManager.SetRotation(V: TIocpWSAPIKeyRotation);
begin
  FRotation.Assign(V);
end;

procedure TIocpWSAPIKeyManager.SetExpiration(V: TIocpWSAPIKeyExpiration);
begin
  FExpiration.Assign(V);
end;

procedure TIocpWSAPIKeyManager.SetRateLimit(V: TIocpWSAPIKeyRateLimit);
begin
  FRateLimit.Assign(V);
end;

procedure TIocpWSAPIKeyManager.SetAudit(V: TIocpWSAPIKeyAudit);
begin
  FAudit.Assign(V);
end;

procedure TIocpWSAPIKeyManager.SetValidation(V: TIocpWSAPIKeyValidation);
begin
  FValidation.Assign(V);
end;

function TIocpWSAPIKeyManager.ValidateKey(const aKey: string; const aRequiredScope: string; const aIP: string): Boolean;
begin
  Result := False;
  Unavailable(Self, 'ValidateKey');
end;

function TIocpWSAPIKeyManager.RevokeKey(const aKey: string; const aReason: string): Boolean;
begin
  Result := False;
  Unavailable(Self, 'RevokeKey');
end;

function TIocpWSAPIKeyManager.RotateKey(const aOldKey: string; out aNewKey: string): Boolean;
begin
  Result := False;
  Unavailable(Self, 'RotateKey');
end;

function TIocpWSAPIKeyManager.RenewKey(const aKey: string; aNewExpiresInSec: Integer): Boolean;
begin
  Result := False;
  Unavailable(Self, 'RenewKey');
end;

function TIocpWSAPIKeyManager.IsExpired(const aKey: string): Boolean;
begin
  Result := False;
  Unavailable(Self, 'IsExpired');
end;

function TIocpWSAPIKeyManager.IsRevoked(const aKey: string): Boolean;
begin
  Result := False;
  Unavailable(Self, 'IsRevoked');
end;

function TIocpWSAPIKeyManager.KeyExists(const aKey: string): Boolean;
begin
  Result := False;
  Unavailable(Self, 'KeyExists');
end;

procedure TIocpWSAPIKeyManager.GrantScope(const aKey, aScope: string);
begin
  Unavailable(Self, 'GrantScope');
end;

procedure TIocpWSAPIKeyManager.RevokeScope(const aKey, aScope: string);
begin
  Unavailable(Self, 'RevokeScope');
end;

function TIocpWSAPIKeyManager.HasScope(const aKey, aScope: string): Boolean;
begin
  Result := False;
  Unavailable(Self, 'HasScope');
end;

procedure TIocpWSAPIKeyManager.ClearAuditLog(const aKey: string);
begin
  Unavailable(Self, 'ClearAuditLog');
end;

procedure TIocpWSAPIKeyManager.SaveToFile(const aFileName: string);
begin
  Unavailable(Self, 'SaveToFile');
end;

procedure TIocpWSAPIKeyManager.LoadFromFile(const aFileName: string);
begin
  Unavailable(Self, 'LoadFromFile');
end;

procedure TIocpWSAPIKeyManager.ExportKeys(aStream: TStream);
begin
  Unavailable(Self, 'ExportKeys');
end;

procedure TIocpWSAPIKeyManager.ImportKeys(aStream: TStream);
begin
  Unavailable(Self, 'ImportKeys');
end;

procedure TIocpWSAPIKeyManager.PurgeExpired;
begin
  Unavailable(Self, 'PurgeExpired');
end;

function TIocpWSAPIKeyManager.Count: Integer;
begin
  Result := 0;
  Unavailable(Self, 'Count');
end;

function TIocpWSAPIKeyManager.IsRequestAuthorized(const aHeaders: string; const aQueryString: string; const aIP: string; const aRequiredScope: string): Boolean;
begin
  Result := False;
  Unavailable(Self, 'IsRequestAuthorized');
end;

function TIocpWSAPIKeyManager.ExtractKeyFromHeaders(const aHeaders: string): string;
begin
  Result := '';
  Unavailable(Self, 'ExtractKeyFromHeaders');
end;

function TIocpWSAPIKeyManager.ExtractKeyFromQuery(const aQueryString: string): string;
begin
  Result := '';
  Unavailable(Self, 'ExtractKeyFromQuery');
end;

constructor TIocpWSOptimizationOptions.Create(AOwner: TIocpWSServerBase);
begin
  inherited Create(AOwner);
  FConnections := TIocpWSConnectionsOptions.Create(nil);
  FChannels := TIocpWSChannelsOptions.Create(nil);
  FConnectionsFree := TIocpWSConnectionsFreeOptions.Create(nil);
end;

destructor TIocpWSOptimizationOptions.Destroy;
begin
  FConnections.Free;
  FChannels.Free;
  FConnectionsFree.Free;
  inherited Destroy;
end;

procedure TIocpWSOptimizationOptions.SetConnections(V: TIocpWSConnectionsOptions);
begin
  FConnections.Assign(V);
end;

procedure TIocpWSOptimizationOptions.SetChannels(V: TIocpWSChannelsOptions);
begin
  FChannels.Assign(V);
end;

procedure TIocpWSOptimizationOptions.SetConnectionsFree(V: TIocpWSConnectionsFreeOptions);
begin
  FConnectionsFree.Assign(V);
end;


procedure TIocpWSLoadBalancerOptions.SetBindings(V: TStringList);
begin
  FBindings.Assign(V);
end;

procedure TIocpWSFallBackOptions.SetFlash(V: TIocpWSFallBackFlash);
begin
  FFlash.Assign(V);
end;

procedure TIocpWSFallBackOptions.SetServerSentEvents(V: TIocpWSFallBackSSE);
begin
  FServerSentEvents.Assign(V);
end;

procedure TIocpWSQueueOptions.SetBinary(V: TIocpWSQueue);
begin
  FBinary.Assign(V);
end;

procedure TIocpWSQueueOptions.SetPing(V: TIocpWSQueue);
begin
  FPing.Assign(V);
end;

procedure TIocpWSQueueOptions.SetText(V: TIocpWSQueue);
begin
  FText.Assign(V);
end;

procedure TIocpWSSpecifications.SetDrafts(V: TIocpWSDrafts);
begin
  FDrafts.Assign(V);
end;

procedure TIocpWSWatchDogOptions.SetMonitor(V: TIocpWSWatchDogMonitor);
begin
  FMonitor.Assign(V);
end;

procedure TIocpWSHTTP2Options.SetAltSvc(V: TIocpWSHTTP2AltSvc);
begin
  FAltSvc.Assign(V);
end;

procedure TIocpWSHTTP2Options.SetEvents(V: TIocpWSHTTP2Events);
begin
  FEvents.Assign(V);
end;

procedure TIocpWSHTTP2Options.SetSettings(V: TIocpWSHTTP2Settings);
begin
  FSettings.Assign(V);
end;


constructor TIocpWSLoadBalancerOptions.Create(AOwner: TIocpWSServerBase);
begin
  inherited Create(AOwner);
  FBindings := TStringList.Create;
end;

destructor TIocpWSLoadBalancerOptions.Destroy;
begin
  FBindings.Free;
  inherited Destroy;
end;

constructor TIocpWSThreadPoolOptions.Create(AOwner: TIocpWSServerBase);
begin
  inherited Create(AOwner);
  FPoolSize := 32;
end;

constructor TIocpWSFallBackFlash.Create(AOwner: TIocpWSServerBase);
begin
  inherited Create(AOwner);
  FDomain := '*';
  FPorts := '*';
end;

constructor TIocpWSFallBackSSE.Create(AOwner: TIocpWSServerBase);
begin
  inherited Create(AOwner);
  FRetry := 3;
end;

constructor TIocpWSFallBackOptions.Create(AOwner: TIocpWSServerBase);
begin
  inherited Create(AOwner);
  FFlash := TIocpWSFallBackFlash.Create(AOwner);
  FServerSentEvents := TIocpWSFallBackSSE.Create(AOwner);
end;

destructor TIocpWSFallBackOptions.Destroy;
begin
  FFlash.Free;
  FServerSentEvents.Free;
  inherited Destroy;
end;

constructor TIocpWSQueue.Create(AOwner: TIocpWSServerBase);
begin
  inherited Create(AOwner);
end;

constructor TIocpWSQueueOptions.Create(AOwner: TIocpWSServerBase);
begin
  inherited Create(AOwner);
  FBinary := TIocpWSQueue.Create(AOwner);
  FPing := TIocpWSQueue.Create(AOwner);
  FText := TIocpWSQueue.Create(AOwner);
end;

destructor TIocpWSQueueOptions.Destroy;
begin
  FBinary.Free;
  FPing.Free;
  FText.Free;
  inherited Destroy;
end;

constructor TIocpWSDrafts.Create(AOwner: TIocpWSServerBase);
begin
  inherited Create(AOwner);
end;

constructor TIocpWSSpecifications.Create(AOwner: TIocpWSServerBase);
begin
  inherited Create(AOwner);
  FRFC6455 := True;
  FDrafts := TIocpWSDrafts.Create(AOwner);
end;

destructor TIocpWSSpecifications.Destroy;
begin
  FDrafts.Free;
  inherited Destroy;
end;

constructor TIocpWSLogFile.Create(AOwner: TIocpWSServerBase);
begin
  inherited Create(AOwner);
end;

constructor TIocpWSThrottle.Create(AOwner: TIocpWSServerBase);
begin
  inherited Create(AOwner);
end;

constructor TIocpWSWatchDogMonitor.Create(AOwner: TIocpWSServerBase);
begin
  inherited Create(AOwner);
  FTimeout := 10;
end;

constructor TIocpWSWatchDogOptions.Create(AOwner: TIocpWSServerBase);
begin
  inherited Create(AOwner);
  FInterval := 60;
  FMonitor := TIocpWSWatchDogMonitor.Create(AOwner);
end;

destructor TIocpWSWatchDogOptions.Destroy;
begin
  FMonitor.Free;
  inherited Destroy;
end;

constructor TIocpWSHTTP2AltSvc.Create(AOwner: TIocpWSServerBase);
begin
  inherited Create(AOwner);
  FEnabled := True;
end;

constructor TIocpWSHTTP2Events.Create(AOwner: TIocpWSServerBase);
begin
  inherited Create(AOwner);
end;

constructor TIocpWSHTTP2Settings.Create(AOwner: TIocpWSServerBase);
begin
  inherited Create(AOwner);
  FEnablePush := True;
  FHeaderTableSize := 4096;
  FInitialWindowSize := 65535;
  FMaxConcurrentStreams := 2147483647;
  FMaxFrameSize := 16384;
  FMaxHeaderListSize := 2147483647;
end;

constructor TIocpWSHTTP2Options.Create(AOwner: TIocpWSServerBase);
begin
  inherited Create(AOwner);
  FAltSvc := TIocpWSHTTP2AltSvc.Create(AOwner);
  FEvents := TIocpWSHTTP2Events.Create(AOwner);
  FSettings := TIocpWSHTTP2Settings.Create(AOwner);
end;

destructor TIocpWSHTTP2Options.Destroy;
begin
  FAltSvc.Free;
  FEvents.Free;
  FSettings.Free;
  inherited Destroy;
end;

constructor TIocpWSHTTPUploadFiles.Create(AOwner: TIocpWSServerBase);
begin
  inherited Create(AOwner);
  FRemoveBoundaries := True;
end;

end.
