{ iocpws.upload - multipart/form-data bodies (RFC 7578) read as they
  arrive: sgc's HTTPUploadFiles on the engine's streamed request bodies.

  TIocpMultipartParser takes the body in pieces of any size (a boundary may
  be split across pieces) and calls PartBegin / PartData / PartEnd. Its
  memory is bounded whatever the input: at most one slice of input
  (64 KiB) plus one part's header block (MaxHeaderSize); a part's content
  is handed on, never kept. Malformed input (no boundary, a bad delimiter
  line, headers too long, the body ending before the final boundary)
  raises EIocpMultipart with the HTTP status to answer (400, or 413 for a
  header block or a form field over its limit).

  TIocpUploadReceiver saves each file part to a folder and hands each form
  field to OnInput: file names from the client are reduced to a plain
  name (IocpWsSafeFileName), so that no name can leave the folder. The
  events run on the calling thread: the server component decides where its
  handlers run (NotifyEvents). }
unit iocpws.upload;

{$I iocpws.defines.inc}

interface

uses
  SysUtils, Classes, iocpws.common;
{$I iocpws.warnings.inc}

type
  { Malformed multipart input; Status is the HTTP status to answer. }
  EIocpMultipart = class(Exception)
  public
    Status: Integer;
    constructor CreateStatus(AStatus: Integer; const Msg: string);
  end;

  TIocpMultipartState = (mpPreamble, mpDelimiterLine, mpHeaders, mpBody, mpDone);

  TIocpMultipartParser = class
  private
    FDelim: RawByteString;   { CRLF '--' boundary }
    FBuf: array of Byte;     { input not yet consumed }
    FLen: Integer;
    FState: TIocpMultipartState;
    FMaxHeaderSize: Integer;
    FPartCount: Integer;
    function FindBytes(const Pat: RawByteString; From: Integer): Integer;
    procedure Consume(N: Integer);
    procedure Process;
    procedure ParseHeaders(const Block: string);
  protected
    { The current part's headers (its Content-Disposition parameters). }
    FName, FFileName, FContentType: string;
    FIsFile: Boolean;
    procedure PartBegin; virtual; abstract;
    procedure PartData(Data: PByte; Len: Integer); virtual; abstract;
    procedure PartEnd; virtual; abstract;
  public
    { ABoundary: the boundary parameter of the Content-Type (1..70
      characters, else EIocpMultipart 400). }
    constructor Create(const ABoundary: RawByteString);
    { A piece of the body, in order. }
    procedure Feed(Data: PByte; Len: Integer);
    { The body is complete: raises EIocpMultipart unless the final
      boundary was read. }
    procedure Finish;
    property State: TIocpMultipartState read FState;
    property PartCount: Integer read FPartCount;
    property MaxHeaderSize: Integer read FMaxHeaderSize write FMaxHeaderSize;
  end;

  TIocpUploadBeforeSaveEvent = procedure(var AFileName, AFilePath: string) of object;
  TIocpUploadAfterSaveEvent = procedure(const AFileName, AFilePath: string) of object;
  TIocpUploadInputEvent = procedure(const AName, AValue: string) of object;

  { Saves file parts to Directory, hands fields to OnInput. }
  TIocpUploadReceiver = class(TIocpMultipartParser)
  private
    FDirectory: string;
    FFile: TFileStream;
    FFilePath, FSavedName, FSavedDir: string;
    FValue: RawByteString;
    FValueLen: Integer;
    FMaxFieldSize: Integer;
    FSaved: Integer;
    FWritten: TStringList; { the files completed so far (full paths) }
    FOnBeforeSave: TIocpUploadBeforeSaveEvent;
    FOnAfterSave: TIocpUploadAfterSaveEvent;
    FOnInput: TIocpUploadInputEvent;
  protected
    procedure PartBegin; override;
    procedure PartData(Data: PByte; Len: Integer); override;
    procedure PartEnd; override;
  public
    { ADirectory: where files go ('' = the program's folder); created when
      the first file comes. }
    constructor Create(const ABoundary: RawByteString; const ADirectory: string);
    { Deletes a file left half-written (the body did not complete);
      completed files stay. }
    destructor Destroy; override;
    { Deletes every file this body wrote: the one being written and those
      completed before (e.g. the body went over the size limit). Returns
      their paths, ', '-separated ('' if none). }
    function DeleteWritten: string;
    property MaxFieldSize: Integer read FMaxFieldSize write FMaxFieldSize;
    property Saved: Integer read FSaved;
    { (var file name, var folder) before a file is created: the name is
      made safe again afterwards; an empty name skips the file. }
    property OnBeforeSave: TIocpUploadBeforeSaveEvent read FOnBeforeSave write FOnBeforeSave;
    { (file name, folder) once the file is complete and closed. }
    property OnAfterSave: TIocpUploadAfterSaveEvent read FOnAfterSave write FOnAfterSave;
    { (field name, value as UTF-8 text) for each part without a filename. }
    property OnInput: TIocpUploadInputEvent read FOnInput write FOnInput;
  end;

  { sgc's HTTPUploadFiles.RemoveBoundaries = False: the raw body
    (boundaries included) kept in a new file named '<GUID>.sgc_ps' in
    ADirectory ('' = the program's folder; created when needed). The file
    is deleted when the stream is freed. Raises EFCreateError when the
    file cannot be created. }
  TIocpPostFileStream = class(TFileStream)
  public
    constructor Create(const ADirectory: string); reintroduce;
    destructor Destroy; override;
  end;

{ The boundary parameter of a multipart/form-data Content-Type ('' when the
  type is another or has no boundary). }
function IocpWsMultipartBoundary(const ContentType: string): RawByteString;

{ A client's file name reduced to a plain name in the folder: the part
  after the last '/' or '\', control characters and  : * ? " < > |  made
  '_', leading and trailing spaces and dots removed, Windows device names
  (CON, NUL, COM1...) prefixed with '_', at most 200 characters; '' when
  nothing is left (e.g. '..'). }
function IocpWsSafeFileName(const Name: string): string;

implementation

const
  CRLF: RawByteString = #13#10;
  SLICE = 65536;                { input appended to the buffer at a time }
  DEFAULT_MAX_HEADER = 16384;   { one part's header block }
  DEFAULT_MAX_FIELD = 1048576;  { one form field's value }
  MAX_DELIM_LINE = 1024;        { transport padding after a delimiter }

constructor EIocpMultipart.CreateStatus(AStatus: Integer; const Msg: string);
begin
  inherited Create(Msg);
  Status := AStatus;
end;

function Malformed(const Msg: string): EIocpMultipart;
begin
  Result := EIocpMultipart.CreateStatus(400, 'malformed multipart body: ' + Msg);
end;

{ ---- helpers ------------------------------------------------------------- }

{ The value of parameter AName in a header value 'type; a=b; c="d"' (''
  when absent; Found says whether it was there). Quoted strings may hold
  ';'. A backslash is a character, not an escape: browsers send '"' as %22
  (HTML's form encoding) and some send a full Windows path as it is. }
function HeaderParam(const Value, AName: string; out Found: Boolean): string;
var
  I, N, Start: Integer;
  Key, V: string;
  InQuote: Boolean;
begin
  Result := '';
  Found := False;
  N := Length(Value);
  I := 1;
  { skip the type }
  while (I <= N) and (Value[I] <> ';') do
    Inc(I);
  while I <= N do
  begin
    Inc(I); { past ';' }
    while (I <= N) and ((Value[I] = ' ') or (Value[I] = #9)) do
      Inc(I);
    Start := I;
    while (I <= N) and (Value[I] <> '=') and (Value[I] <> ';') do
      Inc(I);
    Key := Trim(Copy(Value, Start, I - Start));
    V := '';
    if (I <= N) and (Value[I] = '=') then
    begin
      Inc(I);
      while (I <= N) and ((Value[I] = ' ') or (Value[I] = #9)) do
        Inc(I);
      if (I <= N) and (Value[I] = '"') then
      begin
        Inc(I);
        InQuote := True;
        while (I <= N) and InQuote do
        begin
          if Value[I] = '"' then
            InQuote := False
          else
            V := V + Value[I];
          Inc(I);
        end;
        while (I <= N) and (Value[I] <> ';') do
          Inc(I);
      end
      else
      begin
        Start := I;
        while (I <= N) and (Value[I] <> ';') do
          Inc(I);
        V := Trim(Copy(Value, Start, I - Start));
      end;
    end;
    if SameText(Key, AName) then
    begin
      Result := V;
      Found := True;
      Exit;
    end;
  end;
end;

function IocpWsMultipartBoundary(const ContentType: string): RawByteString;
var
  T, B: string;
  K: Integer;
  Found: Boolean;
begin
  Result := '';
  T := ContentType;
  K := Pos(';', T);
  if K > 0 then
    T := Copy(T, 1, K - 1);
  if not SameText(Trim(T), 'multipart/form-data') then
    Exit;
  B := HeaderParam(ContentType, 'boundary', Found);
  Result := IocpWsStringToUtf8(B);
end;

function IocpWsSafeFileName(const Name: string): string;
const
  DEVICES: array[0..21] of string = ('CON', 'PRN', 'AUX', 'NUL', 'COM1',
    'COM2', 'COM3', 'COM4', 'COM5', 'COM6', 'COM7', 'COM8', 'COM9', 'LPT1',
    'LPT2', 'LPT3', 'LPT4', 'LPT5', 'LPT6', 'LPT7', 'LPT8', 'LPT9');
var
  I, K: Integer;
  Base: string;
begin
  Result := Name;
  for I := Length(Result) downto 1 do
    if (Result[I] = '/') or (Result[I] = '\') then
    begin
      Result := Copy(Result, I + 1, MaxInt);
      Break;
    end;
  for I := 1 to Length(Result) do
    if (Ord(Result[I]) < 32) or (Ord(Result[I]) = 127) or
      (Pos(Result[I], ':*?"<>|') > 0) then
      Result[I] := '_';
  { Windows drops trailing dots and spaces: '..' and '. .' would name the
    folder above or the folder itself }
  while (Result <> '') and ((Result[1] = ' ') or (Result[1] = '.')) do
    Delete(Result, 1, 1);
  while (Result <> '') and ((Result[Length(Result)] = ' ') or
    (Result[Length(Result)] = '.')) do
    Delete(Result, Length(Result), 1);
  if Length(Result) > 200 then
    Result := Copy(Result, 1, 200);
  if Result = '' then
    Exit;
  Base := Result;
  K := Pos('.', Base);
  if K > 0 then
    Base := Copy(Base, 1, K - 1);
  Base := TrimRight(Base);
  for I := Low(DEVICES) to High(DEVICES) do
    if SameText(Base, DEVICES[I]) then
    begin
      Result := '_' + Result;
      Break;
    end;
end;

{ ---- TIocpMultipartParser ------------------------------------------------ }

constructor TIocpMultipartParser.Create(const ABoundary: RawByteString);
begin
  inherited Create;
  if (Length(ABoundary) < 1) or (Length(ABoundary) > 70) then
    raise Malformed('the boundary must have 1 to 70 characters');
  FDelim := CRLF + '--' + ABoundary;
  FMaxHeaderSize := DEFAULT_MAX_HEADER;
  { the body begins as if after a line break: a delimiter on its first line
    is found like any other }
  SetLength(FBuf, SLICE + DEFAULT_MAX_HEADER + 256);
  FBuf[0] := 13;
  FBuf[1] := 10;
  FLen := 2;
end;

function TIocpMultipartParser.FindBytes(const Pat: RawByteString; From: Integer): Integer;
var
  I, J, M: Integer;
  First: Byte;
begin
  M := Length(Pat);
  First := Ord(Pat[1]);
  I := From;
  while I <= FLen - M do
  begin
    if FBuf[I] = First then
    begin
      J := 1;
      while (J < M) and (FBuf[I + J] = Ord(Pat[J + 1])) do
        Inc(J);
      if J = M then
      begin
        Result := I;
        Exit;
      end;
    end;
    Inc(I);
  end;
  Result := -1;
end;

procedure TIocpMultipartParser.Consume(N: Integer);
begin
  if N <= 0 then
    Exit;
  if N < FLen then
    Move(FBuf[N], FBuf[0], FLen - N);
  Dec(FLen, N);
end;

procedure TIocpMultipartParser.ParseHeaders(const Block: string);
var
  L: TStringList;
  I: Integer;
  N, V, Disp, Star: string;
  HasName, HasFile, HasStar: Boolean;
begin
  FName := '';
  FFileName := '';
  FContentType := '';
  FIsFile := False;
  Disp := '';
  L := TStringList.Create;
  try
    L.Text := Block;
    for I := 0 to L.Count - 1 do
    begin
      if L[I] = '' then
        Continue;
      if not IocpWsSplitHeader(L[I], N, V) then
        raise Malformed('a part header line without '':''');
      if SameText(N, 'Content-Disposition') then
        Disp := V
      else if SameText(N, 'Content-Type') then
        FContentType := V;
    end;
  finally
    L.Free;
  end;
  if not SameText(Trim(Copy(Disp, 1, Pos(';', Disp + ';') - 1)), 'form-data') then
    raise Malformed('a part without "Content-Disposition: form-data"');
  FName := HeaderParam(Disp, 'name', HasName);
  if not HasName then
    raise Malformed('a part without a name');
  FFileName := HeaderParam(Disp, 'filename', HasFile);
  Star := HeaderParam(Disp, 'filename*', HasStar);
  if HasStar and SameText(Copy(Star, 1, 7), 'UTF-8''''') then
  begin
    { RFC 5987: UTF-8''percent-encoded }
    FFileName := IocpWsPercentDecode(IocpWsStringToUtf8(Copy(Star, 8, MaxInt)), False);
    HasFile := True;
  end;
  FIsFile := HasFile;
end;

procedure TIocpMultipartParser.Process;
var
  I, K, Safe: Integer;
  Block: string;
begin
  while True do
    case FState of
      mpPreamble, mpBody:
        begin
          I := FindBytes(FDelim, 0);
          if I >= 0 then
          begin
            if FState = mpBody then
            begin
              if I > 0 then
                PartData(@FBuf[0], I);
              PartEnd;
            end;
            Consume(I + Length(FDelim));
            FState := mpDelimiterLine;
          end
          else
          begin
            { everything but a possible start of the delimiter is content }
            Safe := FLen - (Length(FDelim) - 1);
            if Safe > 0 then
            begin
              if FState = mpBody then
                PartData(@FBuf[0], Safe);
              Consume(Safe);
            end;
            Exit;
          end;
        end;
      mpDelimiterLine:
        begin
          if FLen < 2 then
            Exit;
          if (FBuf[0] = Ord('-')) and (FBuf[1] = Ord('-')) then
          begin
            FState := mpDone; { the close delimiter: the epilogue is ignored }
            FLen := 0;
            Exit;
          end;
          I := FindBytes(CRLF, 0);
          if I < 0 then
          begin
            if FLen > MAX_DELIM_LINE then
              raise Malformed('a delimiter line that does not end');
            Exit;
          end;
          for K := 0 to I - 1 do
            if (FBuf[K] <> 32) and (FBuf[K] <> 9) then
              raise Malformed('text after a boundary delimiter');
          Consume(I + 2);
          FState := mpHeaders;
        end;
      mpHeaders:
        begin
          if (FLen >= 2) and (FBuf[0] = 13) and (FBuf[1] = 10) then
            I := 0 { no headers at all }
          else
          begin
            I := FindBytes(CRLF + CRLF, 0);
            if I < 0 then
            begin
              if FLen > FMaxHeaderSize then
                raise EIocpMultipart.CreateStatus(413,
                  'malformed multipart body: a part''s headers are over ' +
                  IntToStr(FMaxHeaderSize) + ' bytes');
              Exit;
            end;
            Inc(I, 2);
          end;
          if I > FMaxHeaderSize then
            raise EIocpMultipart.CreateStatus(413,
              'malformed multipart body: a part''s headers are over ' +
              IntToStr(FMaxHeaderSize) + ' bytes');
          if I > 0 then
            Block := IocpWsUtf8ToString(PAnsiChar(@FBuf[0]), I)
          else
            Block := '';
          Consume(I + 2);
          ParseHeaders(Block);
          Inc(FPartCount);
          FState := mpBody;
          PartBegin;
        end;
      mpDone:
        begin
          FLen := 0;
          Exit;
        end;
    end;
end;

procedure TIocpMultipartParser.Feed(Data: PByte; Len: Integer);
var
  N: Integer;
begin
  if FState = mpDone then
    Exit;
  while Len > 0 do
  begin
    N := Len;
    if N > SLICE then
      N := SLICE;
    if FLen + N > Length(FBuf) then
      SetLength(FBuf, FLen + N);
    Move(Data^, FBuf[FLen], N);
    Inc(FLen, N);
    Inc(Data, N);
    Dec(Len, N);
    Process;
  end;
end;

procedure TIocpMultipartParser.Finish;
begin
  case FState of
    mpDone: ;
    mpPreamble:
      raise Malformed('no boundary delimiter in the body');
  else
    raise Malformed('the body ended before the final boundary');
  end;
end;

{ ---- TIocpPostFileStream ------------------------------------------------- }

function NewPostFileName(const ADirectory: string): string;
var
  G: TGUID;
  D: string;
begin
  D := ADirectory;
  if D = '' then
    D := ExtractFilePath(ParamStr(0));
  D := IncludeTrailingPathDelimiter(D);
  ForceDirectories(D); { a failure shows as the file's creation error }
  { a GUID: unique among requests at once and across runs }
  if CreateGUID(G) <> 0 then
    raise EFCreateError.Create('HTTPUploadFiles: no unique file name (CreateGUID failed)');
  Result := D + Format('%.8x%.4x%.4x%.2x%.2x%.2x%.2x%.2x%.2x%.2x%.2x.sgc_ps',
    [G.D1, G.D2, G.D3, G.D4[0], G.D4[1], G.D4[2], G.D4[3], G.D4[4], G.D4[5],
     G.D4[6], G.D4[7]]);
end;

constructor TIocpPostFileStream.Create(const ADirectory: string);
begin
  inherited Create(NewPostFileName(ADirectory), fmCreate);
end;

destructor TIocpPostFileStream.Destroy;
var
  N: string;
begin
  N := FileName;
  inherited Destroy; { closes the handle first: Windows cannot delete an open file }
  DeleteFile(N);
end;

{ ---- TIocpUploadReceiver ------------------------------------------------- }

constructor TIocpUploadReceiver.Create(const ABoundary: RawByteString;
  const ADirectory: string);
begin
  inherited Create(ABoundary);
  FDirectory := ADirectory;
  if FDirectory = '' then
    FDirectory := ExtractFilePath(ParamStr(0));
  FMaxFieldSize := DEFAULT_MAX_FIELD;
  FWritten := TStringList.Create;
end;

destructor TIocpUploadReceiver.Destroy;
begin
  if FFile <> nil then
  begin
    FreeAndNil(FFile);
    DeleteFile(FFilePath);
  end;
  FWritten.Free;
  inherited Destroy;
end;

function TIocpUploadReceiver.DeleteWritten: string;
var
  I: Integer;
begin
  Result := '';
  if FFile <> nil then
  begin
    FreeAndNil(FFile); { closed first: Windows cannot delete an open file }
    DeleteFile(FFilePath);
    Result := FFilePath;
  end;
  for I := FWritten.Count - 1 downto 0 do
  begin
    DeleteFile(FWritten[I]);
    if Result <> '' then
      Result := ', ' + Result;
    Result := FWritten[I] + Result;
  end;
  FWritten.Clear;
end;

procedure TIocpUploadReceiver.PartBegin;
var
  N, D: string;
begin
  FValueLen := 0;
  FFilePath := '';
  if not FIsFile then
    Exit;
  N := IocpWsSafeFileName(FFileName);
  if N = '' then
    Exit; { no file chosen (filename=""), or a name that is no name }
  D := IncludeTrailingPathDelimiter(FDirectory);
  if Assigned(FOnBeforeSave) then
  begin
    FOnBeforeSave(N, D);
    N := IocpWsSafeFileName(N);
    if N = '' then
      Exit; { the application skips this file }
    if D = '' then
      D := IncludeTrailingPathDelimiter(FDirectory)
    else
      D := IncludeTrailingPathDelimiter(D);
  end;
  ForceDirectories(D);
  FSavedName := N;
  FSavedDir := D;
  FFilePath := D + N;
  FFile := TFileStream.Create(FFilePath, fmCreate);
end;

procedure TIocpUploadReceiver.PartData(Data: PByte; Len: Integer);
begin
  if FIsFile then
  begin
    if FFile <> nil then
      FFile.WriteBuffer(Data^, Len);
    Exit;
  end;
  if FValueLen + Len > FMaxFieldSize then
    raise EIocpMultipart.CreateStatus(413, 'multipart body: the value of field "' +
      FName + '" is over ' + IntToStr(FMaxFieldSize) + ' bytes');
  if FValueLen + Len > Length(FValue) then
    SetLength(FValue, FValueLen + Len + 256);
  Move(Data^, FValue[FValueLen + 1], Len);
  Inc(FValueLen, Len);
end;

procedure TIocpUploadReceiver.PartEnd;
begin
  if FIsFile then
  begin
    if FFile = nil then
      Exit;
    FreeAndNil(FFile);
    FWritten.Add(FFilePath);
    Inc(FSaved);
    if Assigned(FOnAfterSave) then
      FOnAfterSave(FSavedName, FSavedDir);
    Exit;
  end;
  if Assigned(FOnInput) then
    FOnInput(FName, IocpWsUtf8ToString(PAnsiChar(FValue), FValueLen));
  FValueLen := 0;
  if Length(FValue) > 4096 then
    FValue := '';
end;

end.
