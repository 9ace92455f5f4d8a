{ iocpws.sgcoptions - sgcWebSockets' option objects that the iocpws engine
  has no equivalent for: LoadBalancer, ThreadPoolOptions, FallBack,
  QueueOptions, Specifications, LogFile, Throttle, WatchDog, HTTP2Options,
  HTTPUploadFiles. They exist so that sgc programs compile and sgc forms
  (which stream every published property) load; they have sgc's names and
  defaults, and the server's Start reports through OnError each one set to
  another value than its default, with what to do instead
  (TIocpWebSocketServer.Start). None of them is security-relevant. }
unit iocpws.sgcoptions;

{$I iocpws.defines.inc}

interface

uses
  SysUtils, Classes, iocpws.types, iocpws.options;
{$I iocpws.warnings.inc}

type
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

implementation

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
