{ IdSSLOpenSSL_iocp - Indy's server SSL IOHandler (TIdServerIOHandlerSSLOpenSSL,
  unit IdSSLOpenSSL) for the Indy drop-in's TIdHTTPServer (IdHTTPServer_iocp).

  An Indy HTTPS server moves to the engine by its uses clause alone:

    uses ..., IdHTTPServer, IdSSLOpenSSL;   ->   uses IdHTTPServer_iocp, IdSSLOpenSSL_iocp;

  and keeps its code and its form:

    IdHTTPServer1.IOHandler := IdServerIOHandlerSSLOpenSSL1;
    IdServerIOHandlerSSLOpenSSL1.SSLOptions.CertFile := 'server.pem';
    IdServerIOHandlerSSLOpenSSL1.SSLOptions.KeyFile := 'server.key';
    IdServerIOHandlerSSLOpenSSL1.OnGetPassword := GetPassword;

  The engine does TLS itself (OpenSSL on memory BIOs, linked into the
  library: no OpenSSL DLLs to ship). Active := True maps SSLOptions onto the
  engine's TLS options (Indy's names and types, Indy 10.6's
  IdSSLOpenSSL.pas):

    CertFile         IWS_OPT_TLS_CERT_FILE (may carry its chain)
    KeyFile          IWS_OPT_TLS_KEY_FILE; its password from OnGetPassword
                     (or OnGetPasswordEx), asked once at Active, on that
                     thread
    RootCertFile     IWS_OPT_TLS_CA_FILE (chain sent to clients) and, with
                     sslvrfPeer, IWS_OPT_TLS_CLIENT_CA_FILE (the CAs client
                     certificates must chain to)
    VerifyMode       [] = no client certificate; [sslvrfPeer] = asked for,
                     one sent must verify (IWS_TLS_VERIFY_REQUEST);
                     + sslvrfFailIfNoPeerCert = required
                     (IWS_TLS_VERIFY_REQUIRE); sslvrfClientOnce: always so
                     (no renegotiation)
    VerifyDepth      IWS_OPT_TLS_VERIFY_DEPTH when > 0 (0: the engine's 9)
    Method,          the versions offered: the engine speaks TLS 1.2 and
    SSLVersions      1.3. A set holding sslvTLSv1_2 (or sslvSSLv23, "any")
                     offers both; one holding only sslvTLSv1 and/or
                     sslvTLSv1_1 (Indy's default, [sslvTLSv1]) is served
                     with TLS 1.2 and 1.3, since OpenSSL 3 no longer
                     offers the old versions by default (the stronger
                     protocol, never plain); a set of only sslvSSLv2 /
                     sslvSSLv3, or an empty one, cannot be honoured
    Mode             sslmServer, sslmBoth, sslmUnassigned: served;
                     sslmClient cannot accept clients
    CipherList       IWS_OPT_TLS_CIPHERS (TLS 1.2 cipher list)

  Which bindings speak TLS: every one, unless the server's OnQuerySSLPort
  sets VUseSSL := False for its port (as Indy asks it per connection).

  What the engine cannot honour makes Active := True raise
  EIdIocpUnsupported, never a plain or weaker server: VerifyDirs or
  DHParamsFile set, Mode = sslmClient, SSLVersions without a TLS version,
  no CertFile. OnStatusInfo / OnStatusInfoEx are kept but never called.

  OnVerifyPeer is called once per certificate of the client's chain,
  deepest (the trusted CA) first down to the client's own (ADepth 0), as
  OpenSSL's verify callback calls it, but after the engine's OpenSSL
  verified the chain: AOk is always True and AError 0, and a handler
  cannot accept a certificate OpenSSL refused (that client's TLS
  handshake failed; the server never hears of it). It runs once per
  connection, before its first request reaches OnCommandGet (or its head
  events, or the WebSocket upgrade), on that request's thread (a pool
  thread for OnCommandGet). Result False (or an exception) refuses: 403,
  the connection closed, OnException told why. Certificate is valid
  during the call only.

  Thread rules: the component is read at Active := True only, on that
  thread. }
unit IdSSLOpenSSL_iocp;

{$I iocpws.defines.inc}

interface

uses
  SysUtils, Classes, iocpws.common;

type
  TIdSSLVersion = (sslvSSLv2, sslvSSLv23, sslvSSLv3, sslvTLSv1, sslvTLSv1_1, sslvTLSv1_2);
  TIdSSLVersions = set of TIdSSLVersion;
  TIdSSLMode = (sslmUnassigned, sslmClient, sslmServer, sslmBoth);
  TIdSSLVerifyMode = (sslvrfPeer, sslvrfFailIfNoPeerCert, sslvrfClientOnce);
  TIdSSLVerifyModeSet = set of TIdSSLVerifyMode;
  TIdSSLCtxMode = (sslCtxClient, sslCtxServer);

const
  DEF_SSLVERSION = sslvTLSv1;
  DEF_SSLVERSIONS = [sslvTLSv1];

type
  { Indy's certificate object, OnVerifyPeer's parameter: Subject and
    Issuer (TIdX509Name: OneLine; RFC2253 added) and PEM (added); the one
    class sgc's OnSSLVerifyPeer gets too (iocpws.common) }
  TIdX509Name = TIocpWSX509Name;
  TIdX509 = TIocpWSX509;

  TCallbackEvent = procedure(const AMsg: string) of object;
  TCallbackExEvent = procedure(ASender: TObject; const AsslSocket: Pointer;
    const AWhere, Aret: Integer; const AType, AMsg: string) of object;
  TPasswordEvent = procedure(var Password: string) of object;
  TPasswordEventEx = procedure(ASender: TObject; var VPassword: string;
    const AIsWrite: Boolean) of object;
  TVerifyPeerEvent = function(Certificate: TIdX509; AOk: Boolean;
    ADepth, AError: Integer): Boolean of object;

  TIdSSLOptions = class(TPersistent)
  protected
    fsRootCertFile, fsCertFile, fsKeyFile, fsDHParamsFile: string;
    fMethod: TIdSSLVersion;
    fSSLVersions: TIdSSLVersions;
    fMode: TIdSSLMode;
    fVerifyDepth: Integer;
    fVerifyMode: TIdSSLVerifyModeSet;
    fVerifyDirs: string;
    fCipherList: string;
    procedure AssignTo(Destination: TPersistent); override;
    procedure SetSSLVersions(const AValue: TIdSSLVersions);
    procedure SetMethod(const AValue: TIdSSLVersion);
  public
    constructor Create;
  published
    property RootCertFile: string read fsRootCertFile write fsRootCertFile;
    property CertFile: string read fsCertFile write fsCertFile;
    property KeyFile: string read fsKeyFile write fsKeyFile;
    property DHParamsFile: string read fsDHParamsFile write fsDHParamsFile;
    { as Indy: setting Method sets SSLVersions to [Method] (sslvSSLv23:
      every version); a set of one version sets Method to it }
    property Method: TIdSSLVersion read fMethod write SetMethod default DEF_SSLVERSION;
    property SSLVersions: TIdSSLVersions read fSSLVersions write SetSSLVersions default DEF_SSLVERSIONS;
    property Mode: TIdSSLMode read fMode write fMode;
    property VerifyMode: TIdSSLVerifyModeSet read fVerifyMode write fVerifyMode;
    property VerifyDepth: Integer read fVerifyDepth write fVerifyDepth;
    property VerifyDirs: string read fVerifyDirs write fVerifyDirs;
    property CipherList: string read fCipherList write fCipherList;
  end;

  { Indy's TIdServerIOHandlerSSLOpenSSL: assign it to TIdHTTPServer.IOHandler
    (see the unit's comment for what each member does here). }
  TIdServerIOHandlerSSLOpenSSL = class(TComponent)
  protected
    fxSSLOptions: TIdSSLOptions;
    fOnStatusInfo: TCallbackEvent;
    fOnStatusInfoEx: TCallbackExEvent;
    fOnGetPassword: TPasswordEvent;
    fOnGetPasswordEx: TPasswordEventEx;
    fOnVerifyPeer: TVerifyPeerEvent;
    procedure SetSSLOptions(const AValue: TIdSSLOptions);
  public
    constructor Create(AOwner: TComponent); override;
    destructor Destroy; override;
    { the key's password: OnGetPasswordEx, else OnGetPassword, else '' }
    function GetPassword: string;
    { The first setting the engine cannot honour, in words ('' when all
      can be): the server raises it as EIdIocpUnsupported at Active. }
    function Unsupported: string;
  published
    property SSLOptions: TIdSSLOptions read fxSSLOptions write SetSSLOptions;
    property OnStatusInfo: TCallbackEvent read fOnStatusInfo write fOnStatusInfo;
    property OnStatusInfoEx: TCallbackExEvent read fOnStatusInfoEx write fOnStatusInfoEx;
    property OnGetPassword: TPasswordEvent read fOnGetPassword write fOnGetPassword;
    property OnGetPasswordEx: TPasswordEventEx read fOnGetPasswordEx write fOnGetPasswordEx;
    property OnVerifyPeer: TVerifyPeerEvent read fOnVerifyPeer write fOnVerifyPeer;
  end;

implementation

constructor TIdSSLOptions.Create;
begin
  inherited Create;
  fMethod := DEF_SSLVERSION;
  fSSLVersions := DEF_SSLVERSIONS;
end;

procedure TIdSSLOptions.SetMethod(const AValue: TIdSSLVersion);
begin
  fMethod := AValue;
  if AValue = sslvSSLv23 then
    fSSLVersions := [Low(TIdSSLVersion)..High(TIdSSLVersion)] - [sslvSSLv23]
  else
    fSSLVersions := [AValue];
end;

procedure TIdSSLOptions.SetSSLVersions(const AValue: TIdSSLVersions);
var
  V: TIdSSLVersion;
  N: Integer;
begin
  fSSLVersions := AValue;
  N := 0;
  for V := Low(TIdSSLVersion) to High(TIdSSLVersion) do
    if V in AValue then
    begin
      Inc(N);
      fMethod := V;
    end;
  if N <> 1 then
    fMethod := sslvSSLv23;
end;

procedure TIdSSLOptions.AssignTo(Destination: TPersistent);
var
  D: TIdSSLOptions;
begin
  if Destination is TIdSSLOptions then
  begin
    D := TIdSSLOptions(Destination);
    D.fsRootCertFile := fsRootCertFile;
    D.fsCertFile := fsCertFile;
    D.fsKeyFile := fsKeyFile;
    D.fsDHParamsFile := fsDHParamsFile;
    D.fMethod := fMethod;
    D.fSSLVersions := fSSLVersions;
    D.fMode := fMode;
    D.fVerifyDepth := fVerifyDepth;
    D.fVerifyMode := fVerifyMode;
    D.fVerifyDirs := fVerifyDirs;
    D.fCipherList := fCipherList;
  end
  else
    inherited AssignTo(Destination);
end;

constructor TIdServerIOHandlerSSLOpenSSL.Create(AOwner: TComponent);
begin
  inherited Create(AOwner);
  fxSSLOptions := TIdSSLOptions.Create;
end;

destructor TIdServerIOHandlerSSLOpenSSL.Destroy;
begin
  fxSSLOptions.Free;
  inherited Destroy;
end;

procedure TIdServerIOHandlerSSLOpenSSL.SetSSLOptions(const AValue: TIdSSLOptions);
begin
  fxSSLOptions.Assign(AValue);
end;

function TIdServerIOHandlerSSLOpenSSL.GetPassword: string;
begin
  Result := '';
  if Assigned(fOnGetPasswordEx) then
    fOnGetPasswordEx(Self, Result, False)
  else if Assigned(fOnGetPassword) then
    fOnGetPassword(Result);
end;

function TIdServerIOHandlerSSLOpenSSL.Unsupported: string;
var
  O: TIdSSLOptions;
begin
  Result := '';
  O := fxSSLOptions;
  if Trim(O.CertFile) = '' then
    Result := 'SSLOptions.CertFile is empty: a TLS server needs its certificate'
  else if O.Mode = sslmClient then
    Result := 'SSLOptions.Mode = sslmClient: a server accepts clients (sslmServer)'
  else if O.SSLVersions * [sslvSSLv23, sslvTLSv1, sslvTLSv1_1, sslvTLSv1_2] = [] then
    Result := 'SSLOptions.SSLVersions holds no TLS version (the engine speaks ' +
      'TLS 1.2 and 1.3; SSL 2 and 3 are not offered)'
  else if O.VerifyDirs <> '' then
    Result := 'SSLOptions.VerifyDirs: the engine reads CA certificates from ' +
      'RootCertFile only (one PEM file)'
  else if O.DHParamsFile <> '' then
    Result := 'SSLOptions.DHParamsFile: the engine uses ECDHE key exchange ' +
      '(no DH parameters)';
end;

initialization
  RegisterClass(TIdServerIOHandlerSSLOpenSSL);
end.
