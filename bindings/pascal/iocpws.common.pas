{ iocpws.common - the helpers both components need: the iocpws server
  (iocpws.types, iocpws.http, iocpws.server) and Indy's TIdHTTPServer on
  the engine (IdHTTPServer_iocp): UTF-8 <-> string, the main-thread test,
  the verified client certificate chain (Indy's TIdX509 for sgc's
  OnSSLVerifyPeer and Indy's OnVerifyPeer),
  %XX and base64 decoding, an engine request's headers, a streamed
  response body's bytes (and a ContentStream's), and the header-line helpers of Indy's
  TIdHeaderList. One copy of each, so that a fix reaches both.

  Free of side effects: no initialization section and no code-page unit
  (iocpws.types, which the iocpws server uses, is the one that sets
  DefaultSystemCodePage in mode delphiunicode; IdHTTPServer_iocp leaves it
  to the program, as its README section says). }
unit iocpws.common;

{$I iocpws.defines.inc}

interface

uses
  SysUtils, Classes, iocpws.lib;
{$I iocpws.warnings.inc}

type
  { Indy's TIdX509Name (IdSSLOpenSSL): a certificate's subject or issuer. }
  TIocpWSX509Name = class(TObject)
  private
    FRFC2253: string;
    FOneLine: string;
  public
    constructor Create(const ARFC2253: string);
    { Indy: X509_NAME_oneline's form, most significant part first:
      '/O=Example/CN=alice'. Characters other than printable ASCII stay as
      they are (OpenSSL's oneline writes them as \xXX). }
    property OneLine: string read FOneLine;
    { iocpws addition: RFC 2253, least significant part first,
      'CN=alice,O=Example' (as Connection.ClientCertificateSubject). }
    property RFC2253: string read FRFC2253;
  end;

  { Indy's TIdX509 in sgc's OnSSLVerifyPeer and Indy's OnVerifyPeer: a
    certificate of the chain the engine's OpenSSL has verified for a
    client (iws_conn_peer_chain_cert). Only what the engine hands out is
    declared: Indy's Version, SigInfo, Fingerprint(s),
    FingerprintAsString, SerialNumber, notBefore, notAfter, AltSubjectNames,
    DisplayInfo and Certificate are not (read them from PEM with a
    library). Valid during the call only. }
  TIocpWSX509 = class(TObject)
  private
    FSubject, FIssuer: TIocpWSX509Name;
    FPEM: string;
  public
    constructor Create(const ASubject, AIssuer, APEM: string);
    destructor Destroy; override;
    property Subject: TIocpWSX509Name read FSubject;
    property Issuer: TIocpWSX509Name read FIssuer;
    { iocpws addition: the whole certificate, PEM text. }
    property PEM: string read FPEM;
  end;
  TIocpWSX509Chain = array of TIocpWSX509;

{ The chain the engine verified for the client of connection Id
  (iws_conn_peer_chain_cert): Chain[I] is the certificate at depth I (0 =
  the client's own, the last = the trusted CA); empty when the client sent
  no certificate (or verification is off). Returns IWS_OK, or the engine's
  error with Chain empty: the caller refuses the client then (fail
  closed). Free the chain with IocpWsFreeChain. }
function IocpWsReadPeerChain(H: piws_server; Id: iws_conn_id;
  out Chain: TIocpWSX509Chain): Integer;
procedure IocpWsFreeChain(var Chain: TIocpWSX509Chain);

type
  { One engine call that writes UTF-8 text into (Buffer, Size) and, with
    Needed not nil, reports the size it needs (terminating NUL included):
    IWS_E_BUFFER_TOO_SMALL when Size is too small. Ctx: the caller's. }
  TIocpWsTextCall = function(Ctx: Pointer; Buffer: PAnsiChar; Size: UInt32;
    Needed: PUInt32): Integer;

{ Reads the text of such a call (iws_conn_peer_cert,
  iws_conn_peer_chain_cert): asks its size, then reads it. Text is ''
  when the engine has an empty text (none) or on an error; returns IWS_OK
  or the engine's error. }
function IocpWsReadEngineText(Call: TIocpWsTextCall; Ctx: Pointer;
  out Text: string): Integer;

{ UTF-8 <-> string: Delphi 2009+ and FPC mode delphiunicode convert; FPC
  mode delphi keeps the UTF-8 bytes, tagged CP_UTF8 (text from the program
  in another code page is converted to UTF-8). }
function IocpWsUtf8ToString(P: PAnsiChar; Len: NativeInt): string;
function IocpWsStringToUtf8(const S: string): RawByteString;
{ A NUL-terminated UTF-8 string ('' for nil). }
function IocpWsUtf8Z(P: PAnsiChar): string;

{ True on the program's main thread (cheap: no TThread.CurrentThread, which
  would create a TExternalThread for an engine thread). }
function IocpWsOnMainThread: Boolean;

{ %XX escapes decoded (and, with APlus, '+' as a space), the bytes taken as
  UTF-8; an escape that is not two hex digits stays as it is. }
function IocpWsPercentDecode(const S: RawByteString; APlus: Boolean): string;

{ Base64 (as in 'Authorization: Basic ...') to bytes; characters outside
  the alphabet are skipped, '=' ends it. }
function IocpWsDecodeBase64(const S: string): RawByteString;

{ Adds each header of an engine request (valid only during its callback)
  to L as a 'Name: value' line. }
procedure IocpWsReadHeaders(request: piws_request; L: TStrings);

{ A streamed response body's bytes (after iws_http_send_head), in pieces
  the engine's send queue takes. While the queue is full (a slow client)
  the thread sleeps in iws_http_stream_wait until the client has read (no
  polling, no limit: a client that goes away or the server's stop ends it
  with an error). AInCallback: the caller runs inside the engine's callback
  for this response, whose bytes go out only as it returns, so waiting
  would never end: a full queue returns IWS_E_QUEUE_FULL instead. Returns
  IWS_OK or the engine's error; the caller raises its own exception. }
function IocpWsStreamOut(H: piws_http_response; const AData; ALen: Integer;
  AInCallback: Boolean): Integer;

type
  { a response's StreamOut: sends ALen bytes of a streamed body or raises }
  TIocpWsStreamOutProc = procedure(const AData; ALen: Integer) of object;

{ Both HTTP servers' WriteContent of a ContentStream: AStream from its
  start to its end through AOut, 64 KiB at a time. }
procedure IocpWsStreamContent(AStream: TStream; AOut: TIocpWsStreamOutProc);

{ A 'Name: value' line's parts, trimmed (False, '' and '' without a ':'). }
function IocpWsSplitHeader(const Line: string; out AName, AValue: string): Boolean;
{ The index of the first line of L named AName (any case), or -1. }
function IocpWsIndexOfHeader(L: TStrings; const AName: string): Integer;

implementation

{ ---- certificates ------------------------------------------------------- }

{ RFC 2253 ('CN=alice,O=Example', as OpenSSL writes it) into OpenSSL's
  oneline form ('/O=Example/CN=alice'): the parts reversed, the escapes
  undone (an escaped control character as \xXX, as oneline writes it). }
function Rfc2253ToOneLine(const S: string): string;
var
  Parts: TStringList;
  Cur: string;
  I: Integer;

  function IsHex(Ch: Char): Boolean;
  begin
    case Ch of
      '0'..'9', 'A'..'F', 'a'..'f': Result := True;
    else
      Result := False;
    end;
  end;

begin
  Result := '';
  if S = '' then
    Exit;
  Parts := TStringList.Create;
  try
    Cur := '';
    I := 1;
    while I <= Length(S) do
    begin
      if (S[I] = '\') and (I < Length(S)) then
      begin
        if (I + 2 <= Length(S)) and IsHex(S[I + 1]) and IsHex(S[I + 2]) then
        begin
          Cur := Cur + '\x' + UpperCase(Copy(S, I + 1, 2));
          Inc(I, 3);
        end
        else
        begin
          Cur := Cur + S[I + 1];
          Inc(I, 2);
        end;
        Continue;
      end;
      if S[I] = ',' then
      begin
        Parts.Add(Cur);
        Cur := '';
      end
      else
        Cur := Cur + S[I];
      Inc(I);
    end;
    Parts.Add(Cur);
    for I := Parts.Count - 1 downto 0 do
      Result := Result + '/' + Parts[I];
  finally
    Parts.Free;
  end;
end;

constructor TIocpWSX509Name.Create(const ARFC2253: string);
begin
  inherited Create;
  FRFC2253 := ARFC2253;
  FOneLine := Rfc2253ToOneLine(ARFC2253);
end;

constructor TIocpWSX509.Create(const ASubject, AIssuer, APEM: string);
begin
  inherited Create;
  FSubject := TIocpWSX509Name.Create(ASubject);
  FIssuer := TIocpWSX509Name.Create(AIssuer);
  FPEM := APEM;
end;

destructor TIocpWSX509.Destroy;
begin
  FSubject.Free;
  FIssuer.Free;
  inherited Destroy;
end;

{ One certificate's part at Depth into Text. }
function IocpWsReadEngineText(Call: TIocpWsTextCall; Ctx: Pointer;
  out Text: string): Integer;
var
  Buf: array of AnsiChar;
  Needed: UInt32;
begin
  Text := '';
  Needed := 0;
  Result := Call(Ctx, nil, 0, @Needed);
  if (Result = IWS_E_BUFFER_TOO_SMALL) and (Needed <= 1) then
    Result := IWS_OK; { the empty text: none }
  if Result <> IWS_E_BUFFER_TOO_SMALL then
    Exit;
  SetLength(Buf, Needed + 1);
  Result := Call(Ctx, @Buf[0], Needed + 1, nil);
  if Result = IWS_OK then
    Text := IocpWsUtf8ToString(PAnsiChar(@Buf[0]), NativeInt(Needed) - 1);
end;

type
  TChainCertCtx = record
    H: piws_server;
    Id: iws_conn_id;
    Depth, What: UInt32;
  end;
  PChainCertCtx = ^TChainCertCtx;

function ChainCertCall(Ctx: Pointer; Buffer: PAnsiChar; Size: UInt32;
  Needed: PUInt32): Integer;
begin
  with PChainCertCtx(Ctx)^ do
    Result := iws_conn_peer_chain_cert(H, Id, Depth, What, Buffer, Size, Needed);
end;

function ChainCertRc(H: piws_server; Id: iws_conn_id; Depth, What: UInt32;
  out Text: string): Integer;
var
  Ctx: TChainCertCtx;
begin
  Ctx.H := H;
  Ctx.Id := Id;
  Ctx.Depth := Depth;
  Ctx.What := What;
  Result := IocpWsReadEngineText(ChainCertCall, @Ctx, Text);
end;

function IocpWsReadPeerChain(H: piws_server; Id: iws_conn_id;
  out Chain: TIocpWSX509Chain): Integer;
var
  Depth: UInt32;
  Pem, Subject, Issuer: string;
begin
  Chain := nil;
  if H = nil then
    Exit(IWS_E_BAD_STATE);
  Depth := 0;
  repeat
    Result := ChainCertRc(H, Id, Depth, IWS_CERT_PEM, Pem);
    if (Result = IWS_E_NOT_FOUND) and (Depth > 0) then
      Exit(IWS_OK); { past the end }
    if (Result = IWS_OK) and (Pem = '') then
      Break; { no certificate }
    if Result = IWS_OK then
      Result := ChainCertRc(H, Id, Depth, IWS_CERT_SUBJECT, Subject);
    if Result = IWS_OK then
      Result := ChainCertRc(H, Id, Depth, IWS_CERT_ISSUER, Issuer);
    if Result <> IWS_OK then
      Break;
    SetLength(Chain, Length(Chain) + 1);
    Chain[High(Chain)] := TIocpWSX509.Create(Subject, Issuer, Pem);
    Inc(Depth);
  until False;
  if Result <> IWS_OK then
    IocpWsFreeChain(Chain);
end;

procedure IocpWsFreeChain(var Chain: TIocpWSX509Chain);
var
  I: Integer;
begin
  for I := 0 to High(Chain) do
    Chain[I].Free;
  Chain := nil;
end;

{ ---- strings ------------------------------------------------------------ }

function IocpWsUtf8ToString(P: PAnsiChar; Len: NativeInt): string;
{$ifdef UNICODE}
var
  U: UTF8String;
begin
  if (P = nil) or (Len <= 0) then
    Exit('');
  SetString(U, P, Len);
  Result := UTF8ToString(U);
end;
{$else}
begin
  if (P = nil) or (Len <= 0) then
    Exit('');
  SetString(Result, P, Len);
  SetCodePage(RawByteString(Result), CP_UTF8, False);
end;
{$endif}

function IocpWsStringToUtf8(const S: string): RawByteString;
{$ifdef UNICODE}
begin
  Result := UTF8Encode(S);
end;
{$else}
var
  cp: Word;
begin
  Result := S;
  cp := StringCodePage(S);
  if cp = CP_ACP then
    cp := DefaultSystemCodePage;
  if (cp <> CP_UTF8) and (cp <> CP_NONE) and (cp <> CP_ACP) and (Result <> '') then
    SetCodePage(Result, CP_UTF8, True);
end;
{$endif}

function IocpWsUtf8Z(P: PAnsiChar): string;
begin
  if P = nil then
    Result := ''
  else
    Result := IocpWsUtf8ToString(P, StrLen(P));
end;

function IocpWsOnMainThread: Boolean;
begin
  {$if defined(FPC) or defined(MSWINDOWS)}
  Result := GetCurrentThreadId = MainThreadID;
  {$else}
  Result := TThread.Current.ThreadID = MainThreadID;
  {$ifend}
end;

{ ---- decoding ----------------------------------------------------------- }

function HexVal(C: AnsiChar): Integer;
begin
  case C of
    '0'..'9': Result := Ord(C) - Ord('0');
    'a'..'f': Result := Ord(C) - Ord('a') + 10;
    'A'..'F': Result := Ord(C) - Ord('A') + 10;
  else
    Result := -1;
  end;
end;

function IocpWsPercentDecode(const S: RawByteString; APlus: Boolean): string;
var
  R: RawByteString;
  I, N, H1, H2: Integer;
begin
  SetLength(R, Length(S));
  N := 0;
  I := 1;
  while I <= Length(S) do
  begin
    Inc(N);
    if (S[I] = '%') and (I + 2 <= Length(S)) then
    begin
      H1 := HexVal(S[I + 1]);
      H2 := HexVal(S[I + 2]);
      if (H1 >= 0) and (H2 >= 0) then
      begin
        R[N] := AnsiChar(H1 * 16 + H2);
        Inc(I, 3);
        Continue;
      end;
    end;
    if APlus and (S[I] = '+') then
      R[N] := ' '
    else
      R[N] := S[I];
    Inc(I);
  end;
  SetLength(R, N);
  Result := IocpWsUtf8ToString(PAnsiChar(R), Length(R));
end;

function IocpWsDecodeBase64(const S: string): RawByteString;
const
  Alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
var
  I, V, Bits, Acc: Integer;
begin
  Result := '';
  Acc := 0;
  Bits := 0;
  for I := 1 to Length(S) do
  begin
    if S[I] = '=' then
      Break;
    V := Pos(S[I], Alphabet) - 1;
    if V < 0 then
      Continue;
    Acc := ((Acc shl 6) or V) and $FFFFFF;
    Inc(Bits, 6);
    if Bits >= 8 then
    begin
      Dec(Bits, 8);
      Result := Result + AnsiChar((Acc shr Bits) and $FF);
    end;
  end;
end;

{ ---- streamed bodies ---------------------------------------------------- }

function IocpWsStreamOut(H: piws_http_response; const AData; ALen: Integer;
  AInCallback: Boolean): Integer;
const
  PIECE = 65536;
var
  P: PByte;
  N: Integer;
begin
  Result := IWS_OK;
  P := @AData;
  while ALen > 0 do
  begin
    N := ALen;
    if N > PIECE then
      N := PIECE;
    repeat
      Result := iws_http_send_chunk(H, P, N);
      if (Result = IWS_E_QUEUE_FULL) and not AInCallback then
      begin
        Result := iws_http_stream_wait(H, 60000);
        if (Result = IWS_OK) or (Result = IWS_E_TIMEOUT) then
          Result := IWS_E_QUEUE_FULL; { room again (or still waiting): retry }
      end
      else if Result = IWS_E_QUEUE_FULL then
        Exit;
    until Result <> IWS_E_QUEUE_FULL;
    if Result <> IWS_OK then
      Exit;
    Inc(P, N);
    Dec(ALen, N);
  end;
end;

procedure IocpWsStreamContent(AStream: TStream; AOut: TIocpWsStreamOutProc);
var
  Buf: TBytes;
  N: Integer;
begin
  AStream.Position := 0;
  SetLength(Buf, 65536);
  repeat
    N := AStream.Read(Buf[0], Length(Buf));
    if N > 0 then
      AOut(Buf[0], N);
  until N <= 0;
end;

{ ---- headers ------------------------------------------------------------ }

procedure IocpWsReadHeaders(request: piws_request; L: TStrings);
var
  N, I: UInt32;
  Name, Value: PAnsiChar;
begin
  N := iws_request_header_count(request);
  I := 0;
  while I < N do
  begin
    if iws_request_header_at(request, I, Name, Value) = IWS_OK then
      L.Add(IocpWsUtf8Z(Name) + ': ' + IocpWsUtf8Z(Value));
    Inc(I);
  end;
end;

function IocpWsSplitHeader(const Line: string; out AName, AValue: string): Boolean;
var
  P: Integer;
begin
  P := Pos(':', Line);
  Result := P > 0;
  if Result then
  begin
    AName := Trim(Copy(Line, 1, P - 1));
    AValue := Trim(Copy(Line, P + 1, MaxInt));
  end
  else
  begin
    AName := '';
    AValue := '';
  end;
end;

function IocpWsIndexOfHeader(L: TStrings; const AName: string): Integer;
var
  N, V: string;
begin
  for Result := 0 to L.Count - 1 do
    if IocpWsSplitHeader(L[Result], N, V) and SameText(N, AName) then
      Exit;
  Result := -1;
end;

end.
