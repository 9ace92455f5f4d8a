{ iocpws.options - the option objects of the server component, with
  sgcWebSockets' names and defaults: HeartBeat, IOHandlerOptions, SSLOptions,
  Options, Extensions, HTTPOptions. iocpws.server (and sgcWebSocket_iocp)
  repeat these names, so programs need not list this unit. }
unit iocpws.options;

{$I iocpws.defines.inc}

interface

uses
  SysUtils, Classes, iocpws.lib, iocpws.types;
{$I iocpws.warnings.inc}

type
  { What the option objects need of the server that owns them. }
  TIocpWSServerBase = class(TComponent)
  protected
    { Raises EIocpWs when the server is running (options are set while it
      is stopped). }
    procedure CheckInactive(const What: string); virtual; abstract;
  end;

  { Option objects: set them while the server is stopped. }
  TIocpWSOptionsBase = class(TPersistent)
  protected
    FOwner: TIocpWSServerBase;
    procedure Changing;
  public
    constructor Create(AOwner: TIocpWSServerBase);
  end;

  { Server pings: every Interval seconds; a peer silent for Timeout seconds
    after a ping is dropped (OnDisconnect 1006); Timeout 0 = no check. }
  TIocpWSHeartBeatOptions = class(TIocpWSOptionsBase)
  private
    FEnabled: Boolean;
    FInterval: Integer;
    FTimeout: Integer;
    procedure SetEnabled(V: Boolean);
    procedure SetInterval(V: Integer);
    procedure SetTimeout(V: Integer);
  public
    procedure Assign(Source: TPersistent); override;
  published
    property Enabled: Boolean read FEnabled write SetEnabled default False;
    property Interval: Integer read FInterval write SetInterval default 300;
    property Timeout: Integer read FTimeout write SetTimeout default 0;
  end;

  { IOCPThreads: I/O threads (0 = CPU count). WorkOpThreads: 0 = handlers
    on the I/O threads; N = each connection pinned to one of N threads. }
  TIocpWSIOCPOptions = class(TIocpWSOptionsBase)
  private
    FIOCPThreads: Integer;
    FWorkOpThreads: Integer;
    procedure SetIOCPThreads(V: Integer);
    procedure SetWorkOpThreads(V: Integer);
  public
    procedure Assign(Source: TPersistent); override;
  published
    property IOCPThreads: Integer read FIOCPThreads write SetIOCPThreads default 0;
    property WorkOpThreads: Integer read FWorkOpThreads write SetWorkOpThreads default 0;
  end;

  TIocpWSIOHandlerOptions = class(TIocpWSOptionsBase)
  private
    FIOCP: TIocpWSIOCPOptions;
    procedure SetIOCP(V: TIocpWSIOCPOptions);
  public
    constructor Create(AOwner: TIocpWSServerBase);
    destructor Destroy; override;
    procedure Assign(Source: TPersistent); override;
  published
    { Used on every platform (the epoll back end reads the same values). }
    property IOCP: TIocpWSIOCPOptions read FIOCP write SetIOCP;
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
  TIocpWSSSLOptions = class(TIocpWSOptionsBase)
  private
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
  public
    procedure Assign(Source: TPersistent); override;
  published
    property CertFile: string read FCertFile write SetCertFile;
    property KeyFile: string read FKeyFile write SetKeyFile;
    property RootCertFile: string read FRootCertFile write SetRootCertFile;
    property Password: string read FPassword write SetPassword;
    property Version: TIocpWSTLSVersions read FVersion write SetVersion default tlsUndefined;
    property Port: Integer read FPort write SetPort default 0;
  end;

  { Engine limits and timeouts. ValidateUTF8 and FragmentedMessages exist
    for sgc forms: the engine always validates UTF-8 and joins fragments. }
  TIocpWSServerOptions = class(TIocpWSOptionsBase)
  private
    FHandshakeTimeout: Integer;
    FCloseTimeout: Integer;
    FStopTimeout: Integer;
    FSendQueueLimit: Int64;
    FSubprotocols: string;
    FValidateUTF8: Boolean;
    FFragmentedMessages: TIocpWSFragmentedMessages;
    procedure SetInt(var F: Integer; V: Integer);
    procedure SetHandshakeTimeout(V: Integer);
    procedure SetCloseTimeout(V: Integer);
    procedure SetStopTimeout(V: Integer);
    procedure SetSendQueueLimit(V: Int64);
    procedure SetSubprotocols(const V: string);
    procedure SetFragmentedMessages(V: TIocpWSFragmentedMessages);
  public
    constructor Create(AOwner: TIocpWSServerBase);
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
    property ValidateUTF8: Boolean read FValidateUTF8 write FValidateUTF8 default True;
    property FragmentedMessages: TIocpWSFragmentedMessages read FFragmentedMessages write SetFragmentedMessages default frgOnlyBuffer;
  end;

  { permessage-deflate (RFC 7692), as sgc's Extensions.PerMessage_Deflate.
    Enabled = offer it to clients that ask (browsers always do). Window bits
    9..15; MemLevel 1..9; CompressionLevel 0..9; MinSize: messages shorter
    than this go out uncompressed. Unlike sgc, the NoContextTakeOver
    options default to True: then a connection keeps no zlib memory at all
    (False: better ratios on small similar messages, at about
    2^(ServerMaxWindowBits+2) + 2^(MemLevel+9) bytes per connection). }
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
    constructor Create(AOwner: TIocpWSServerBase);
    procedure Assign(Source: TPersistent); override;
  published
    property Enabled: Boolean read FEnabled write SetEnabled default False;
    property ServerMaxWindowBits: Integer read FServerMaxWindowBits write SetServerMaxWindowBits default 15;
    property ClientMaxWindowBits: Integer read FClientMaxWindowBits write SetClientMaxWindowBits default 15;
    property ServerNoContextTakeOver: Boolean read FServerNoContextTakeOver write SetServerNoContextTakeOver default True;
    property ClientNoContextTakeOver: Boolean read FClientNoContextTakeOver write SetClientNoContextTakeOver default True;
    property MemLevel: Integer read FMemLevel write SetMemLevel default 8;
    property CompressionLevel: Integer read FCompressionLevel write SetCompressionLevel default 6;
    property MinSize: Integer read FMinSize write SetMinSize default 64;
  end;

  { sgc's Extensions: PerMessage_Deflate, and MaxDecompressedSize (bytes; a
    compressed message inflating past it closes with 1009 before the memory
    is spent; 0 = MaxMessageSize). }
  TIocpWSExtensions = class(TIocpWSOptionsBase)
  private
    FPerMessageDeflate: TIocpWSPerMessageDeflateOptions;
    FMaxDecompressedSize: Int64;
    procedure SetPerMessageDeflate(V: TIocpWSPerMessageDeflateOptions);
    procedure SetMaxDecompressedSize(V: Int64);
  public
    constructor Create(AOwner: TIocpWSServerBase);
    destructor Destroy; override;
    procedure Assign(Source: TPersistent); override;
  published
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
    constructor Create(AOwner: TIocpWSServerBase);
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

implementation

{ ---- option objects ----------------------------------------------------- }

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

procedure TIocpWSHeartBeatOptions.Assign(Source: TPersistent);
begin
  if Source is TIocpWSHeartBeatOptions then
  begin
    Changing;
    FEnabled := TIocpWSHeartBeatOptions(Source).FEnabled;
    FInterval := TIocpWSHeartBeatOptions(Source).FInterval;
    FTimeout := TIocpWSHeartBeatOptions(Source).FTimeout;
  end
  else
    inherited Assign(Source);
end;

procedure TIocpWSIOCPOptions.SetIOCPThreads(V: Integer);
begin Changing; FIOCPThreads := V; end;
procedure TIocpWSIOCPOptions.SetWorkOpThreads(V: Integer);
begin Changing; FWorkOpThreads := V; end;

procedure TIocpWSIOCPOptions.Assign(Source: TPersistent);
begin
  if Source is TIocpWSIOCPOptions then
  begin
    Changing;
    FIOCPThreads := TIocpWSIOCPOptions(Source).FIOCPThreads;
    FWorkOpThreads := TIocpWSIOCPOptions(Source).FWorkOpThreads;
  end
  else
    inherited Assign(Source);
end;

constructor TIocpWSIOHandlerOptions.Create(AOwner: TIocpWSServerBase);
begin
  inherited Create(AOwner);
  FIOCP := TIocpWSIOCPOptions.Create(AOwner);
end;

destructor TIocpWSIOHandlerOptions.Destroy;
begin
  FIOCP.Free;
  inherited Destroy;
end;

procedure TIocpWSIOHandlerOptions.SetIOCP(V: TIocpWSIOCPOptions);
begin
  FIOCP.Assign(V);
end;

procedure TIocpWSIOHandlerOptions.Assign(Source: TPersistent);
begin
  if Source is TIocpWSIOHandlerOptions then
    FIOCP.Assign(TIocpWSIOHandlerOptions(Source).FIOCP)
  else
    inherited Assign(Source);
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

procedure TIocpWSSSLOptions.Assign(Source: TPersistent);
var
  O: TIocpWSSSLOptions;
begin
  if Source is TIocpWSSSLOptions then
  begin
    Changing;
    O := TIocpWSSSLOptions(Source);
    FCertFile := O.FCertFile;
    FKeyFile := O.FKeyFile;
    FRootCertFile := O.FRootCertFile;
    FPassword := O.FPassword;
    FVersion := O.FVersion;
    FPort := O.FPort;
  end
  else
    inherited Assign(Source);
end;

constructor TIocpWSPerMessageDeflateOptions.Create(AOwner: TIocpWSServerBase);
begin
  inherited Create(AOwner);
  FServerMaxWindowBits := 15;
  FClientMaxWindowBits := 15;
  FServerNoContextTakeOver := True;
  FClientNoContextTakeOver := True;
  FMemLevel := 8;
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
end;

destructor TIocpWSExtensions.Destroy;
begin
  FPerMessageDeflate.Free;
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
  FValidateUTF8 := True;
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
  if V <> frgOnlyBuffer then
    raise EIocpWs.CreateCode(IWS_E_INVALID_ARG, 'iocpws: only ' +
      'FragmentedMessages = frgOnlyBuffer is supported (the engine joins ' +
      'fragments into whole messages)');
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
