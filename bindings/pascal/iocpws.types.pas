{ iocpws.types - the enumerations, list types and UTF-8 conversions shared
  by the iocpws component units (iocpws.options, iocpws.http,
  iocpws.server). Programs normally use iocpws.server (or
  sgcWebSocket_iocp), which repeats everything declared here. }
unit iocpws.types;

{$I iocpws.defines.inc}

interface

uses
  {$if defined(IOCPWS_FPC_UNICODE) and defined(UNIX)} cwstring, {$ifend}
  SysUtils, Classes, iocpws.lib, iocpws.common;
{$I iocpws.warnings.inc}

type
  { A list of connection ids. }
  TIocpWsIdArray = array of iws_conn_id;
  TIocpWsStringArray = array of string;

  { Where event handlers run; see the unit comment. }
  TIocpWSNotifyEvents = (neNoSync, neAsynchronous, neSynchronous);

  { TLS versions (sgc's SSLOptions.Version). tls1_0/tls1_1 are not offered
    by the engine: choosing them raises EIocpWs at Start. }
  TIocpWSTLSVersions = (tlsUndefined, tls1_0, tls1_1, tls1_2, tls1_3);

  { How sgc delivers fragmented messages. The engine joins fragments, so
    only frgOnlyBuffer (whole messages) is supported. }
  TIocpWSFragmentedMessages = (frgOnlyBuffer, frgOnlyFragmented, frgAll);

  { sgc's IOHandlerOptions.IOHandlerType (TwsIOHandler): all three run this
    engine (IOCP on Windows, epoll on Linux); they choose which of
    IOHandlerOptions.IOCP / .EPOLL supplies the thread counts. }
  TIocpWSIOHandlerType = (iohDefault, iohIOCP, iohEPOLL);

  { sgc's HeartBeat.HeartBeatType (TsgcHeartBeatType). }
  TIocpWSHeartBeatType = (hbtAlways, hbtOnlyIfNoMsgRcvInterval);

  { sgc's TwsTransport: a connection's transport (always trpRFC6455 here). }
  TIocpWSTransport = (trpUndefined, trpRFC6455, trpHixie76, trpFlash, trpSSE,
    trpTCP, trpHTTP, trpRFC8441, trpHTTP2, trpUDP, trpQUIC, trpHTTP3);

  { sgc's TwsStreaming (WriteData's aStreaming). }
  TIocpWSStreaming = (stmNone, stmFirst, stmContinue, stmLast, stmContinueAndLast);

  { sgc's TOpCode (OnFragmented's OpCode). }
  TIocpWSOpCode = (opContinuation, opText, opBinary, opClose, opPing, opPong);

  { sgc's TwsSpecification and TwsIPVersion. }
  TIocpWSSpecification = (spRFC6455, spHixie76, spRFC8441);
  TIocpWSIPVersion = (ipV4, ipV6);

  { sgc's SSLOptions.OpenSSL_Options enumerations (TwsOpenSSLAPI,
    TwsOpenSSLLibPath, TwsOpenSSLSymLinks). The engine links its own
    OpenSSL: values other than the defaults are reported at Start. }
  TIocpWSOpenSSLAPI = (oslAPI_1_0, oslAPI_1_1, oslAPI_3_0);
  TIocpWSOpenSSLLibPath = (oslpNone, oslpDefaultFolder, oslpCustomPath);
  TIocpWSOpenSSLSymLinks = (oslsSymLinksDefault, oslsSymLinksLoadFirst,
    oslsSymLinksLoad, oslsSymLinksDontLoad);

  { sgc's TwsTLSIOHandler (the TLS library of sgc's client side:
    TsgcTCPTLS_Options.IOHandler). }
  TIocpWSTLSIOHandler = (iohOpenSSL, iohSChannel, iohAndroidTLS, iohAppleTLS);

  { sgc's TtcpEOFScanBuffer (a connection's TCPEndOfFrameScanBuffer: sgc's
    raw TCP transport; no equivalent here, always eofScanNone). }
  TIocpWSEOFScanBuffer = (eofScanNone, eofScanLatestBytes, eofScanAllBytes);

  { sgc's TwsAuthentication (Connection.Authentication.AuthType): how the
    connection authenticated. sgc's reference does not publish its values;
    these are ours: authNone (no credentials: Authentication off, or
    AllowNonAuth), authSession, authURL, authBasic, and authToken for a
    scheme OnUnknownAuthentication accepted (Bearer...). }
  TIocpWSAuthentication = (authNone, authSession, authURL, authBasic, authToken);

  { Indy's TIdIPVersion (Bindings[i].IPVersion). }
  TIocpIPVersion = (Id_IPv4, Id_IPv6);

  { Enumerations of sgc option objects the engine has no equivalent for
    (iocpws.sgcoptions): sgc's TwsQueueMsgLevels, Th2FragmentedData,
    TwsPostStreamType. }
  TIocpWSQueueMsgLevels = (qmNone, qmLevel1, qmLevel2, qmLevel3);
  TIocpWSH2FragmentedData = (h2fdOnlyBuffer, h2fdOnlyFragmented, h2fdAll);
  TIocpWSPostStreamType = (pstMemoryStream, pstFileStream);

{ UTF-8 <-> string, as the component converts (exposed for tests and for
  programs that talk to iocpws.lib directly; iocpws.common has the code,
  which IdHTTPServer_iocp shares). }
function IocpWsUtf8ToString(P: PAnsiChar; Len: NativeInt): string;
function IocpWsStringToUtf8(const S: string): RawByteString;
{ A NUL-terminated UTF-8 string ('' for nil). }
function IocpWsUtf8Z(P: PAnsiChar): string;

implementation

{ ---- strings ------------------------------------------------------------ }

function IocpWsUtf8ToString(P: PAnsiChar; Len: NativeInt): string;
begin
  Result := iocpws.common.IocpWsUtf8ToString(P, Len);
end;

function IocpWsStringToUtf8(const S: string): RawByteString;
begin
  Result := iocpws.common.IocpWsStringToUtf8(S);
end;

function IocpWsUtf8Z(P: PAnsiChar): string;
begin
  Result := iocpws.common.IocpWsUtf8Z(P);
end;

{$ifdef IOCPWS_FPC_UNICODE}
initialization
  { Free Pascal with UnicodeString: the RTL's AnsiString parts (TStringList,
    Exception messages) hold UTF-8, so nothing becomes '?' on the way. }
  DefaultSystemCodePage := CP_UTF8;
{$endif}
end.
