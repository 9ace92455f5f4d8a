{ iocpws.http - the HTTP request and response objects of the server
  component, shaped as Indy's TIdHTTPRequestInfo / TIdHTTPResponseInfo /
  TIdHeaderList. The context (TIocpHTTPContext) and the handler type are in
  iocpws.server, which repeats these names. }
unit iocpws.http;

{$I iocpws.defines.inc}

interface

uses
  SysUtils, Classes, iocpws.lib, iocpws.common, iocpws.types, iocpws.sessions;
{$I iocpws.warnings.inc}

type
  { ---- HTTP on the same port (Indy's TIdHTTPServer shapes) ------------- }

  { HTTP header lines 'Name: value' (Indy's TIdHeaderList): Values[Name]
    finds a header by name without regard to case and trims the value;
    assigning Values[Name] replaces (or, with '', removes) the first line of
    that name; AddValue adds one more line (Set-Cookie). }
  TIocpHTTPHeaderList = class(TStringList)
  private
    function IndexOfHeader(const AName: string): Integer;
    function GetHeaderValue(const AName: string): string;
    procedure SetHeaderValue(const AName, AValue: string);
  public
    constructor Create;
    procedure AddValue(const AName, AValue: string);
    { The header names of the lines, in order. }
    function HeaderName(Index: Integer): string;
    function HeaderValue(Index: Integer): string;
    property Values[const AName: string]: string read GetHeaderValue write SetHeaderValue;
  end;

  { Indy's AContext.Binding: the peer's address. }
  TIocpHTTPBinding = class
  private
    FPeerIP: string;
    FPeerPort: Integer;
    FPort: Integer;
  public
    { Fills the binding (the server does, for each request). }
    procedure SetPeer(const APeerIP: string; APeerPort, APort: Integer);
    property PeerIP: string read FPeerIP;
    property PeerPort: Integer read FPeerPort;
    { The port the server listens on. }
    property Port: Integer read FPort;
  end;

  { Indy's TIdHTTPRequestInfo: a copy of the request, valid while the
    handler runs (also on the main thread: nothing refers to the engine). }
  TIocpHTTPRequestInfo = class
  private
    FCommand: string;
    FVersion: string;
    FDocument: string;
    FURI: string;
    FQueryParams: string;
    FFormParams: string;
    FUnparsedParams: string;
    FParams: TStringList;
    FRawHeaders: TIocpHTTPHeaderList;
    FPostStream: TStream;
    FRemoteIP: string;
    FRemotePort: Integer;
    FContentLength: Int64;
    FAuthExists: Boolean;
    FAuthUsername: string;
    FAuthPassword: string;
    FSession: TIdHTTPSession;
    FHeldSession: TIdHTTPSession; { counted in the default list until released }
    function Header(const AName: string): string;
    function GetContentType: string;
    function GetContentEncoding: string;
    function GetHost: string;
    function GetUserAgent: string;
    function GetAccept: string;
    function GetReferer: string;
    function GetCharSet: string;
  public
    constructor Create;
    destructor Destroy; override;
    { The method as sent: 'GET', 'POST', 'PUT', ... }
    property Command: string read FCommand;
    { The request line's version as the client sent it: 'HTTP/1.1' or
      'HTTP/1.0' (Indy's Version). }
    property Version: string read FVersion;
    { The path, percent-decoded: '/a b' for '/a%20b?x=1'. }
    property Document: string read FDocument;
    { The request-target as sent, not decoded: '/a%20b?x=1'. }
    property URI: string read FURI;
    { The query as sent (not decoded), '' if none. }
    property QueryParams: string read FQueryParams;
    { An application/x-www-form-urlencoded body as sent, else ''. }
    property FormParams: string read FFormParams;
    { QueryParams, then '&' and FormParams when both exist. }
    property UnparsedParams: string read FUnparsedParams;
    { Decoded 'name=value' lines: the query's, then the form body's. }
    property Params: TStringList read FParams;
    { Every request header as 'Name: value' (Values['Name'] works). }
    property RawHeaders: TIocpHTTPHeaderList read FRawHeaders;
    { The body (Position 0); nil when the request has none. Owned by the
      request. A TStream as Indy's: a TMemoryStream, or with sgc's
      HTTPUploadFiles.RemoveBoundaries = False a file stream on the raw
      multipart body (its '.sgc_ps' file is deleted with the request). }
    property PostStream: TStream read FPostStream;
    property ContentType: string read GetContentType;
    { The media type's charset parameter ('' if none). }
    property CharSet: string read GetCharSet;
    { The body's length (-1 when the request has no body). }
    property ContentLength: Int64 read FContentLength;
    property ContentEncoding: string read GetContentEncoding;
    property Host: string read GetHost;
    property UserAgent: string read GetUserAgent;
    property Accept: string read GetAccept;
    property Referer: string read GetReferer;
    property RemoteIP: string read FRemoteIP;
    property RemotePort: Integer read FRemotePort;
    { Authorization: Basic credentials, decoded (AuthExists False
      otherwise). }
    property AuthExists: Boolean read FAuthExists;
    property AuthUsername: string read FAuthUsername;
    property AuthPassword: string read FAuthPassword;
    { The HTTP session (Indy's): set when the server's SessionState is on
      and the request's session cookie names a live session, or one was
      started (AutoStartSession); nil otherwise. }
    property Session: TIdHTTPSession read FSession;
    { The values of every cookie named AName in the Cookie headers. }
    procedure CookieValues(const AName: string; AValues: TStrings);
    { the server's (session handling) }
    procedure SetSession(ASession, AHeld: TIdHTTPSession);
    property HeldSession: TIdHTTPSession read FHeldSession;
  end;

  { Indy's TIdHTTPResponseInfo: what the handler fills. Sent after the
    handler returns, unless the handler streams it: WriteHeader sends the
    status line and headers at once, then WriteContent sends ContentText
    (else ContentStream) as it is then, and may be called again for more;
    that body goes out chunked (HTTP/1.0: unframed, then the connection
    closes) and nothing more is sent when the handler returns. While the
    client reads slower than the body comes, WriteContent waits for room
    (the engine's send queue, IWS_OPT_SEND_QUEUE_LIMIT: memory stays
    bounded). With NotifyEvents = neAsynchronous (the default) there is no
    limit to a streamed body; with neNoSync and neSynchronous the handler
    runs inside the engine's callback, whose streamed bytes go out only as
    it returns: more than the send-queue limit (32 MiB by default) raises
    EIocpWs there. ResponseNo defaults to 200. The body is, in
    this order of preference: ServeFile's file, ContentStream (all of it,
    from position 0), ContentText (sent as UTF-8). A response with no body
    and a status of 400 or more gets Indy's small HTML page. ContentType
    defaults to 'text/html' ('; charset=utf-8' is added to text types for
    ContentText). CustomHeaders lines are sent as they are (Content-Length
    and Transfer-Encoding are the engine's: setting them fails the response
    with 500). }
  TIocpHTTPResponseInfo = class
  private
    FResponseNo: Integer;
    FResponseText: string;
    FContentType: string;
    FCharSet: string;
    FContentText: string;
    FContentStream: TStream;
    FFreeContentStream: Boolean;
    FContentLength: Int64;
    FContentEncoding: string;
    FContentDisposition: string;
    FCacheControl: string;
    FLocation: string;
    FCustomHeaders: TIocpHTTPHeaderList;
    FFileName: string;
    FH: piws_http_response;    { the engine's response (Attach) }
    FSession: TIdHTTPSession;
    FSessionList: TIdHTTPCustomSessionList; { AttachSessions }
    FSessionCookie: string;
    FDeferred: Boolean;        { deferred by the server before the handler }
    FHeaderHasBeenWritten: Boolean;
    procedure SetContentStream(V: TStream);
    procedure Hdr(const AName, AValue: string);
    procedure ApplyHeaders;
    procedure StreamOut(const AData; ALen: Integer);
  public
    { The engine's response this object fills, and whether the server
      deferred it (then it sends it after the handler); the server calls it
      before the handler. }
    procedure Attach(H: piws_http_response; ADeferred: Boolean);
    { The server calls it after the handler: a streamed response (after
      WriteHeader) ends; True when it was one (Apply is then not called). }
    function FinishStream: Boolean;
    { Fills the engine's response (raises EIocpWs on a refused header);
      the server calls it after the handler. }
    procedure Apply(H: piws_http_response);
    constructor Create;
    destructor Destroy; override;
    { The HTTP server's session list and cookie name (SessionState on);
      the server calls it before the handler. }
    procedure AttachSessions(AList: TIdHTTPCustomSessionList; const ACookie: string);
    { Indy's CloseSession: the request's session ends now (OnSessionEnd;
      freed once this request is done with it), Session becomes nil, and
      the response expires the session cookie in the browser (a Set-Cookie
      this response had for it is dropped). Nothing to end without a
      session. }
    procedure CloseSession;
    { 302 to AURL (Indy's Redirect). }
    procedure Redirect(const AURL: string);
    { Answers with the file (sendfile/TransmitFile, Range, If-Modified-
      Since, Content-Type from the extension unless ContentType is set).
      Returns its size, or 0 when it is missing (then the response is 404,
      as Indy's). AContext may be nil. }
    function ServeFile(AContext: TObject; const AFileName: string): Int64;
    { Sends the status line and the headers now (Indy's WriteHeader): the
      body is what WriteContent sends from now on. Raises EIocpWs when
      called twice, when the client has gone, or on a response no server
      handed to a handler (IWS_E_BAD_STATE). An exception out of the
      handler after it drops the connection (too late for a 500). }
    procedure WriteHeader;
    { Sends ContentText (UTF-8) if set, else ContentStream from position 0,
      as they are now (Indy's WriteContent); WriteHeader first if it was
      not called. Waits while the client is slow to read (see above);
      raises EIocpWs when the client has gone. }
    procedure WriteContent;
    { True after WriteHeader. }
    property HeaderHasBeenWritten: Boolean read FHeaderHasBeenWritten;
    { The request's session (Indy's AResponseInfo.Session); nil without. }
    property Session: TIdHTTPSession read FSession write FSession;
    property ResponseNo: Integer read FResponseNo write FResponseNo;
    { The reason phrase ('' = the standard one for ResponseNo). }
    property ResponseText: string read FResponseText write FResponseText;
    property ContentType: string read FContentType write FContentType;
    { Informational: ContentText always goes out as UTF-8. }
    property CharSet: string read FCharSet write FCharSet;
    property ContentText: string read FContentText write FContentText;
    { Freed by the response when FreeContentStream (the default). }
    property ContentStream: TStream read FContentStream write SetContentStream;
    property FreeContentStream: Boolean read FFreeContentStream write FFreeContentStream;
    { Informational: the engine writes Content-Length from the body. }
    property ContentLength: Int64 read FContentLength write FContentLength;
    property ContentEncoding: string read FContentEncoding write FContentEncoding;
    property ContentDisposition: string read FContentDisposition write FContentDisposition;
    property CacheControl: string read FCacheControl write FCacheControl;
    property Location: string read FLocation write FLocation;
    property CustomHeaders: TIocpHTTPHeaderList read FCustomHeaders;
  end;


{ Copies what a handler may read out of the engine's request (valid only
  during on_http_request) into a new request object. APostStream: a body
  received elsewhere (streamed to a file): it becomes the request's
  PostStream (positioned at 0, freed with the request, also when this
  raises) in place of the engine's. }
function IocpWsMakeRequestInfo(request: piws_request; const APeerIP: string;
  APeerPort: Integer; APostStream: TStream = nil): TIocpHTTPRequestInfo;

implementation

{ ---- header list --------------------------------------------------------------- }

constructor TIocpHTTPHeaderList.Create;
begin
  inherited Create;
  NameValueSeparator := ':';
end;

function TIocpHTTPHeaderList.HeaderName(Index: Integer): string;
var
  P: Integer;
begin
  Result := Strings[Index];
  P := Pos(':', Result);
  if P > 0 then
    Result := Trim(Copy(Result, 1, P - 1))
  else
    Result := Trim(Result);
end;

function TIocpHTTPHeaderList.HeaderValue(Index: Integer): string;
var
  N: string;
begin
  IocpWsSplitHeader(Strings[Index], N, Result);
end;

function TIocpHTTPHeaderList.IndexOfHeader(const AName: string): Integer;
begin
  for Result := 0 to Count - 1 do
    if SameText(HeaderName(Result), AName) then
      Exit;
  Result := -1;
end;

function TIocpHTTPHeaderList.GetHeaderValue(const AName: string): string;
var
  I: Integer;
begin
  I := IndexOfHeader(AName);
  if I >= 0 then
    Result := HeaderValue(I)
  else
    Result := '';
end;

procedure TIocpHTTPHeaderList.SetHeaderValue(const AName, AValue: string);
var
  I: Integer;
begin
  I := IndexOfHeader(AName);
  if AValue = '' then
  begin
    if I >= 0 then
      Delete(I);
  end
  else if I >= 0 then
    Strings[I] := AName + ': ' + AValue
  else
    Add(AName + ': ' + AValue);
end;

procedure TIocpHTTPHeaderList.AddValue(const AName, AValue: string);
begin
  Add(AName + ': ' + AValue);
end;

procedure TIocpHTTPBinding.SetPeer(const APeerIP: string; APeerPort, APort: Integer);
begin
  FPeerIP := APeerIP;
  FPeerPort := APeerPort;
  FPort := APort;
end;

constructor TIocpHTTPRequestInfo.Create;
begin
  inherited Create;
  FParams := TStringList.Create;
  FRawHeaders := TIocpHTTPHeaderList.Create;
  FContentLength := -1;
end;

destructor TIocpHTTPRequestInfo.Destroy;
begin
  FParams.Free;
  FRawHeaders.Free;
  FPostStream.Free;
  inherited Destroy;
end;

function TIocpHTTPRequestInfo.Header(const AName: string): string;
begin
  Result := FRawHeaders.Values[AName];
end;

procedure TIocpHTTPRequestInfo.CookieValues(const AName: string; AValues: TStrings);
var
  I, P: Integer;
  Line, Item: string;
begin
  for I := 0 to FRawHeaders.Count - 1 do
    if SameText(FRawHeaders.HeaderName(I), 'Cookie') then
    begin
      Line := FRawHeaders.HeaderValue(I) + ';';
      while Line <> '' do
      begin
        P := Pos(';', Line);
        Item := Trim(Copy(Line, 1, P - 1));
        Delete(Line, 1, P);
        P := Pos('=', Item);
        if (P > 1) and (Trim(Copy(Item, 1, P - 1)) = AName) then
          AValues.Add(Trim(Copy(Item, P + 1, MaxInt)));
      end;
    end;
end;

procedure TIocpHTTPRequestInfo.SetSession(ASession, AHeld: TIdHTTPSession);
begin
  FSession := ASession;
  FHeldSession := AHeld;
end;

function TIocpHTTPRequestInfo.GetContentType: string;
begin Result := Header('Content-Type'); end;
function TIocpHTTPRequestInfo.GetContentEncoding: string;
begin Result := Header('Content-Encoding'); end;
function TIocpHTTPRequestInfo.GetHost: string;
begin Result := Header('Host'); end;
function TIocpHTTPRequestInfo.GetUserAgent: string;
begin Result := Header('User-Agent'); end;
function TIocpHTTPRequestInfo.GetAccept: string;
begin Result := Header('Accept'); end;
function TIocpHTTPRequestInfo.GetReferer: string;
begin Result := Header('Referer'); end;

function TIocpHTTPRequestInfo.GetCharSet: string;
var
  T: string;
  P: Integer;
begin
  Result := '';
  T := ContentType;
  P := Pos('charset=', LowerCase(T));
  if P = 0 then
    Exit;
  Result := Copy(T, P + 8, MaxInt);
  P := Pos(';', Result);
  if P > 0 then
    Result := Copy(Result, 1, P - 1);
  Result := Trim(Result);
  if (Length(Result) >= 2) and (Result[1] = '"') then
    Result := Copy(Result, 2, Length(Result) - 2);
end;

constructor TIocpHTTPResponseInfo.Create;
begin
  inherited Create;
  FResponseNo := 200;
  FFreeContentStream := True;
  FContentLength := -1;
  FCustomHeaders := TIocpHTTPHeaderList.Create;
end;

destructor TIocpHTTPResponseInfo.Destroy;
begin
  if FFreeContentStream then
    FContentStream.Free;
  FCustomHeaders.Free;
  inherited Destroy;
end;

procedure TIocpHTTPResponseInfo.SetContentStream(V: TStream);
begin
  if (V <> FContentStream) and FFreeContentStream then
    FContentStream.Free;
  FContentStream := V;
end;

procedure TIocpHTTPResponseInfo.AttachSessions(AList: TIdHTTPCustomSessionList;
  const ACookie: string);
begin
  FSessionList := AList;
  FSessionCookie := ACookie;
end;

procedure TIocpHTTPResponseInfo.CloseSession;
var
  I: Integer;
begin
  if FSessionCookie = '' then
    Exit; { SessionState off: no session, no cookie }
  for I := FCustomHeaders.Count - 1 downto 0 do
    if SameText(FCustomHeaders.HeaderName(I), 'Set-Cookie') and
      (Copy(FCustomHeaders.HeaderValue(I), 1, Length(FSessionCookie) + 1) = FSessionCookie + '=') then
      FCustomHeaders.Delete(I);
  FCustomHeaders.AddValue('Set-Cookie', FSessionCookie +
    '=; Expires=Thu, 01-Jan-1970 00:00:01 GMT; Path=/');
  if (FSession <> nil) and (FSessionList <> nil) then
    FSessionList.RemoveSession(FSession);
  FSession := nil;
end;

procedure TIocpHTTPResponseInfo.Redirect(const AURL: string);
begin
  FResponseNo := 302;
  FLocation := AURL;
end;

function TIocpHTTPResponseInfo.ServeFile(AContext: TObject;
  const AFileName: string): Int64;
var
  R: TSearchRec;
begin
  Result := 0;
  if FindFirst(AFileName, faAnyFile, R) = 0 then
  begin
    if (R.Attr and faDirectory) = 0 then
      Result := R.Size;
    FindClose(R);
  end;
  FFileName := AFileName;
end;

{ a text type (text/*, JSON, JavaScript, XML) without a charset gets
  '; charset=utf-8': the bytes sent are UTF-8 }
function StreamTextType(const T: string): string;
var
  L: string;
begin
  Result := T;
  L := LowerCase(T);
  if (Pos('charset=', L) = 0) and ((Copy(L, 1, 5) = 'text/') or
    (Pos('json', L) > 0) or (Pos('javascript', L) > 0) or (Pos('xml', L) > 0)) then
    Result := T + '; charset=utf-8';
end;

procedure TIocpHTTPResponseInfo.Attach(H: piws_http_response; ADeferred: Boolean);
begin
  FH := H;
  FDeferred := ADeferred;
end;

procedure TIocpHTTPResponseInfo.Hdr(const AName, AValue: string);
var
  N, V: RawByteString;
  r: Integer;
begin
  N := IocpWsStringToUtf8(AName);
  V := IocpWsStringToUtf8(AValue);
  r := iws_http_add_header(FH, PAnsiChar(N), PAnsiChar(V));
  if r <> IWS_OK then
    raise EIocpWs.CreateCode(r, Format('iocpws: the response header ' +
      '"%s: %s" was refused: %s', [AName, AValue, IocpWsErrorText(r)]));
end;

{ the headers every answer carries (custom ones and the named properties) }
procedure TIocpHTTPResponseInfo.ApplyHeaders;
var
  I: Integer;
begin
  for I := 0 to FCustomHeaders.Count - 1 do
    if FCustomHeaders.HeaderName(I) <> '' then
      Hdr(FCustomHeaders.HeaderName(I), FCustomHeaders.HeaderValue(I));
  if FLocation <> '' then
    Hdr('Location', FLocation);
  if FCacheControl <> '' then
    Hdr('Cache-Control', FCacheControl);
  if FContentEncoding <> '' then
    Hdr('Content-Encoding', FContentEncoding);
  if FContentDisposition <> '' then
    Hdr('Content-Disposition', FContentDisposition);
end;

procedure TIocpHTTPResponseInfo.WriteHeader;
var
  rc: Integer;
  Reason: RawByteString;
  PR: PAnsiChar;
begin
  if FHeaderHasBeenWritten then
    raise EIocpWs.CreateCode(IWS_E_BAD_STATE, 'iocpws: WriteHeader: the header has been written already');
  if FH = nil then
    raise EIocpWs.CreateCode(IWS_E_BAD_STATE, 'iocpws: WriteHeader: this response is not a server''s');
  if not FDeferred then
  begin
    { the handler runs inside on_http_request (neNoSync, neSynchronous):
      a streamed answer must be deferred; FinishStream sends its end }
    rc := iws_http_defer(FH);
    if rc <> IWS_OK then
      raise EIocpWs.CreateCode(rc, 'iocpws: WriteHeader: ' + IocpWsErrorText(rc));
  end;
  FHeaderHasBeenWritten := True;
  ApplyHeaders;
  if FContentType = '' then
    Hdr('Content-Type', 'text/html; charset=utf-8')
  else
    Hdr('Content-Type', StreamTextType(FContentType));
  PR := nil;
  if FResponseText <> '' then
  begin
    Reason := IocpWsStringToUtf8(FResponseText);
    PR := PAnsiChar(Reason);
  end;
  rc := iws_http_set_status(FH, FResponseNo, PR);
  if rc = IWS_OK then
    rc := iws_http_send_head(FH);
  if rc <> IWS_OK then
    raise EIocpWs.CreateCode(rc, 'iocpws: WriteHeader: ' + IocpWsErrorText(rc));
end;

procedure TIocpHTTPResponseInfo.WriteContent;
var
  B: RawByteString;
begin
  if not FHeaderHasBeenWritten then
    WriteHeader;
  if FContentText <> '' then
  begin
    B := IocpWsStringToUtf8(FContentText);
    StreamOut(PAnsiChar(B)^, Length(B));
  end
  else if FContentStream <> nil then
    IocpWsStreamContent(FContentStream, StreamOut);
end;

{ a streamed body's bytes (iocpws.common's IocpWsStreamOut) }
procedure TIocpHTTPResponseInfo.StreamOut(const AData; ALen: Integer);
var
  rc: Integer;
begin
  { not deferred: the handler runs inside the engine's callback
    (neNoSync: on its thread; neSynchronous: that thread waits for this
    one), whose streamed bytes go out only as it returns: waiting for room
    would never end }
  rc := IocpWsStreamOut(FH, AData, ALen, not FDeferred);
  if (rc = IWS_E_QUEUE_FULL) and not FDeferred then
    raise EIocpWs.CreateCode(IWS_E_QUEUE_FULL, 'iocpws: WriteContent: ' +
      'a streamed body over the send-queue limit needs NotifyEvents = ' +
      'neAsynchronous (this handler runs inside the engine''s callback, ' +
      'which sends it only as it returns)');
  if rc <> IWS_OK then
    raise EIocpWs.CreateCode(rc, 'iocpws: WriteContent: ' + IocpWsErrorText(rc));
end;

function TIocpHTTPResponseInfo.FinishStream: Boolean;
begin
  Result := FHeaderHasBeenWritten;
  if Result and not FDeferred then
    iws_http_send(FH); { deferred by WriteHeader: ends it (and releases) }
end;

procedure TIocpHTTPResponseInfo.Apply(H: piws_http_response);
var
  rc, Status: Integer;
  CT, Reason, Body: RawByteString;
  B: TBytes;
  PR: PAnsiChar;
begin
  FH := H;
  Status := FResponseNo;
  ApplyHeaders;
  rc := IWS_E_FILE;
  if FFileName <> '' then
  begin
    if FContentType <> '' then
      Hdr('Content-Type', FContentType);
    Body := IocpWsStringToUtf8(FFileName);
    rc := iws_http_serve_file(H, PAnsiChar(Body));
    if (rc <> IWS_OK) and (rc <> IWS_E_FILE) then
      raise EIocpWs.CreateCode(rc, 'iocpws: ServeFile ' + FFileName + ': ' +
        IocpWsErrorText(rc));
    if rc = IWS_E_FILE then
      Status := 404;
  end;
  if rc <> IWS_OK then
  begin
    if (FContentStream <> nil) and (FFileName = '') then
    begin
      SetLength(B, FContentStream.Size);
      FContentStream.Position := 0;
      if Length(B) > 0 then
        FContentStream.ReadBuffer(B[0], Length(B));
      if FContentType <> '' then
        Hdr('Content-Type', FContentType);
      rc := iws_http_set_body(H, Pointer(B), Length(B));
    end
    else
    begin
      CT := '';
      if FFileName <> '' then
      begin
        Body := '<HTML><BODY><B>404 Not Found</B></BODY></HTML>';
        CT := 'text/html; charset=utf-8';
      end
      else if (FContentText = '') and (Status >= 400) then
      begin
        Body := IocpWsStringToUtf8('<HTML><BODY><B>' + IntToStr(Status) +
          ' ' + FResponseText + '</B></BODY></HTML>');
        CT := 'text/html; charset=utf-8';
      end
      else
      begin
        Body := IocpWsStringToUtf8(FContentText);
        if FContentType = '' then
          CT := 'text/html; charset=utf-8'
        else
          CT := IocpWsStringToUtf8(StreamTextType(FContentType));
      end;
      if (FFileName = '') or (FContentType = '') then
        if (Body <> '') or (FContentType <> '') then
          Hdr('Content-Type', IocpWsUtf8ToString(PAnsiChar(CT), Length(CT)));
      { no body at all (204, 302...): nothing to set; the status alone
        makes the response }
      rc := IWS_OK;
      if Body <> '' then
        rc := iws_http_set_body(H, PAnsiChar(Body), Length(Body));
    end;
    if rc <> IWS_OK then
      raise EIocpWs.CreateCode(rc, 'iocpws: the response body was refused: ' +
        IocpWsErrorText(rc));
  end;
  PR := nil;
  if (FResponseText <> '') and (Status = FResponseNo) then
  begin
    Reason := IocpWsStringToUtf8(FResponseText);
    PR := PAnsiChar(Reason);
  end;
  rc := iws_http_set_status(H, Status, PR);
  if rc <> IWS_OK then
    raise EIocpWs.CreateCode(rc, Format('iocpws: ResponseNo %d was refused: %s',
      [Status, IocpWsErrorText(rc)]));
end;

{ Copies what the handler may read out of the engine's request (valid only
  during on_http_request). }
function IocpWsMakeRequestInfo(request: piws_request; const APeerIP: string;
  APeerPort: Integer; APostStream: TStream): TIocpHTTPRequestInfo;
var
  R: TIocpHTTPRequestInfo;
  N, I: UInt32;
  Name, Value: PAnsiChar;
  Data: PByte;
  Len: UInt64;
  A: string;
  Cred: RawByteString;
  C: string;
  P: Integer;
begin
  R := TIocpHTTPRequestInfo.Create;
  try
    R.FCommand := IocpWsUtf8Z(iws_request_method(request));
    R.FVersion := IocpWsUtf8Z(iws_request_version(request));
    R.FDocument := IocpWsUtf8Z(iws_request_document(request));
    R.FURI := IocpWsUtf8Z(iws_request_path(request));
    R.FQueryParams := IocpWsUtf8Z(iws_request_query(request));
    IocpWsReadHeaders(request, R.FRawHeaders);
    N := iws_request_param_count(request);
    I := 0;
    while I < N do
    begin
      if iws_request_param_at(request, I, Name, Value) = IWS_OK then
        R.FParams.Add(IocpWsUtf8Z(Name) + '=' + IocpWsUtf8Z(Value));
      Inc(I);
    end;
    Data := nil;
    Len := 0;
    if APostStream <> nil then
    begin
      R.FPostStream := APostStream;
      APostStream := nil;
      R.FContentLength := R.FPostStream.Size;
      R.FPostStream.Position := 0;
    end
    else if (iws_request_body(request, Data, Len) = IWS_OK) and (Data <> nil) then
    begin
      R.FContentLength := Len;
      R.FPostStream := TMemoryStream.Create;
      if Len > 0 then
        R.FPostStream.WriteBuffer(Data^, Len);
      R.FPostStream.Position := 0;
      if Pos('application/x-www-form-urlencoded', LowerCase(R.ContentType)) = 1 then
        R.FFormParams := IocpWsUtf8ToString(PAnsiChar(Data), Len);
    end;
    R.FUnparsedParams := R.FQueryParams;
    if R.FFormParams <> '' then
    begin
      if R.FUnparsedParams <> '' then
        R.FUnparsedParams := R.FUnparsedParams + '&';
      R.FUnparsedParams := R.FUnparsedParams + R.FFormParams;
    end;
    R.FRemoteIP := APeerIP;
    R.FRemotePort := APeerPort;
    A := R.Header('Authorization');
    if SameText(Copy(A, 1, 6), 'Basic ') then
    begin
      Cred := IocpWsDecodeBase64(Trim(Copy(A, 7, MaxInt)));
      C := IocpWsUtf8ToString(PAnsiChar(Cred), Length(Cred));
      P := Pos(':', C);
      if P > 0 then
      begin
        R.FAuthExists := True;
        R.FAuthUsername := Copy(C, 1, P - 1);
        R.FAuthPassword := Copy(C, P + 1, MaxInt);
      end;
    end;
  except
    APostStream.Free;
    R.Free;
    raise;
  end;
  Result := R;
end;

end.
