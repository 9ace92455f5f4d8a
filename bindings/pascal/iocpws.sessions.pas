{ iocpws.sessions - Indy's HTTP sessions (TIdHTTPSession, the session
  lists) in one implementation, used by both HTTP servers of the bindings:
  the Indy drop-in (IdHTTPServer_iocp: TIdHTTPServer) and sgc's
  TsgcWebSocketHTTPServer (sgcWebSocket_iocp, through iocpws.server). The
  classes keep Indy's names, types and meaning (IdCustomHTTPServer.pas);
  both units re-export them, so a program sees one type whichever it uses.

  Sessions live in memory, bounded: TIdHTTPDefaultSessionList holds at most
  MaxSessions (10000); at that size the stale ones end, then the least
  recently used, so a client that never returns its cookie cannot grow it
  without limit. Session ids are 64 hex digits from two GUIDs (the OS's
  random source). Any thread: the list has its own lock, a session's
  Content is guarded by Lock/Unlock as in Indy. }
unit iocpws.sessions;

{$I iocpws.defines.inc}

interface

uses
  SysUtils, Classes, SyncObjs, iocpws.lib;
{$I iocpws.warnings.inc}

const
  { Indy's cookie name for the session id (SessionIDCookieName) }
  GSessionIDCookie = 'IDHTTPSESSIONID';

type
  TIdHTTPCustomSessionList = class;

  TIdHTTPSession = class(TObject)
  protected
    FContent: TStrings;
    FLastTimeStamp: TDateTime;
    FLock: TCriticalSection;
    FOwner: TIdHTTPCustomSessionList;
    FSessionID: string;
    FRemoteHost: string;
    FUses: Integer;          { requests holding it (default list's lock) }
    FEnded: Boolean;         { out of the list; freed at its last release }
    procedure SetContent(const Value: TStrings);
    function IsSessionStale: Boolean; virtual;
    procedure DoSessionEnd; virtual;
  public
    constructor Create(AOwner: TIdHTTPCustomSessionList); virtual;
    constructor CreateInitialized(AOwner: TIdHTTPCustomSessionList;
      const SessionID, RemoteIP: string); virtual;
    destructor Destroy; override;
    procedure Lock;
    procedure Unlock;
    property Content: TStrings read FContent write SetContent;
    property LastTimeStamp: TDateTime read FLastTimeStamp;
    property RemoteHost: string read FRemoteHost;
    property SessionID: string read FSessionID;
  end;

  TIdHTTPSessionEndEvent = procedure(Sender: TIdHTTPSession) of object;
  TIdHTTPSessionStartEvent = procedure(Sender: TIdHTTPSession) of object;
  TIdHTTPSessionList = TList;
  TIdHTTPSessionThreadList = TThreadList;

  TIdHTTPCustomSessionList = class(TComponent)
  private
    FSessionTimeout: Integer;
    FOnSessionEnd: TIdHTTPSessionEndEvent;
    FOnSessionStart: TIdHTTPSessionStartEvent;
  public
    { ends a session (used by the servers' EndSession) }
    procedure RemoveSession(Session: TIdHTTPSession); virtual; abstract;
    procedure Clear; virtual; abstract;
    procedure PurgeStaleSessions(PurgeAll: Boolean = False); virtual; abstract;
    function CreateUniqueSession(const RemoteIP: string): TIdHTTPSession; virtual; abstract;
    function CreateSession(const RemoteIP, SessionID: string): TIdHTTPSession; virtual; abstract;
    function GetSession(const SessionID, RemoteIP: string): TIdHTTPSession; virtual; abstract;
    procedure Add(ASession: TIdHTTPSession); virtual; abstract;
  published
    property SessionTimeout: Integer read FSessionTimeout write FSessionTimeout;
    property OnSessionEnd: TIdHTTPSessionEndEvent read FOnSessionEnd write FOnSessionEnd;
    property OnSessionStart: TIdHTTPSessionStartEvent read FOnSessionStart write FOnSessionStart;
  end;

  { what TIdHTTPDefaultSessionList.Sweep ends: every session, the stale
    ones, the least recently used one when the list is full, one given }
  TIdHTTPSessionSweep = (ssAll, ssStale, ssOldest, ssOne);

  { Indy's default list, bounded: at MaxSessions (default 10000) the stale
    sessions are purged and then the least recently used one ends, so a
    client that never returns its cookie cannot grow it without limit. }
  TIdHTTPDefaultSessionList = class(TIdHTTPCustomSessionList)
  protected
    FSessionList: TIdHTTPSessionThreadList;
    FMaxSessions: Integer;
    procedure MakeRoom;
    { L locked: S leaves the list; Gone gets it when no request holds it }
    procedure Unlist(L: TList; S: TIdHTTPSession; Gone: TList);
    { the sessions AKind picks (ASession for ssOne) leave the list under
      its lock, then end (OnSessionEnd) outside it }
    procedure Sweep(AKind: TIdHTTPSessionSweep; ASession: TIdHTTPSession = nil);
  public
    constructor Create(AOwner: TComponent); override;
    destructor Destroy; override;
    procedure RemoveSession(Session: TIdHTTPSession); override;
    property SessionList: TIdHTTPSessionThreadList read FSessionList;
    procedure Clear; override;
    procedure Add(ASession: TIdHTTPSession); override;
    procedure PurgeStaleSessions(PurgeAll: Boolean = False); override;
    function CreateUniqueSession(const RemoteIP: string): TIdHTTPSession; override;
    function CreateSession(const RemoteIP, SessionID: string): TIdHTTPSession; override;
    function GetSession(const SessionID, RemoteIP: string): TIdHTTPSession; override;
    function Count: Integer;
    { a request is done with a session GetSession or Add gave it }
    procedure ReleaseSession(ASession: TIdHTTPSession);
    property MaxSessions: Integer read FMaxSessions write FMaxSessions;
  end;


{ a new session id: 32 random bytes as hex (the OS's random source) }
function IocpWsNewSessionID: string;

{ A server's SessionList := AValue, for both HTTP servers (the caller
  refuses it while active, with its own exception): the list the server
  made itself (AImplicit) is freed, and AServer is told when AValue is
  freed (FreeNotification; its Notification sets AList to nil). }
procedure IocpWsSetSessionList(AServer: TComponent;
  var AList: TIdHTTPCustomSessionList; var AImplicit: Boolean;
  AValue: TIdHTTPCustomSessionList);

{ Both HTTP servers' EndSession: takes the session out of AList (nil: no
  sessions) and frees it (a default list's, once the requests holding it
  are done); False when there is no such session. }
function IocpWsEndSession(AList: TIdHTTPCustomSessionList;
  const SessionName, RemoteIP: string): Boolean;

type
  { A server's OnInvalidSession as IocpWsFindSession calls it: AContext,
    ARequest and AResponse are the server's own request objects, passed
    through as given. }
  TIocpWsInvalidSessionCall = procedure(AContext, ARequest, AResponse: TObject;
    var VContinueProcessing: Boolean; const AInvalidSessionID: string) of object;

{ Both HTTP servers' session lookup (Indy's GetSessionFromCookie): the
  session AList holds for the first of AIds (the request's session cookie
  values, in order) and RemoteIP, counted as used by its GetSession; nil
  when there is none. Each id naming no live session (every id when AList
  is nil) goes to AOnInvalid; VContinueProcessing False from it ends the
  search. }
function IocpWsFindSession(AList: TIdHTTPCustomSessionList; AIds: TStrings;
  const RemoteIP: string; AOnInvalid: TIocpWsInvalidSessionCall;
  AContext, ARequest, AResponse: TObject;
  var VContinueProcessing: Boolean): TIdHTTPSession;

{ Both HTTP servers' CreateSession (AList not nil): AGiven (the session
  OnCreateSession supplied, or nil) added to AList, else a new one with a
  unique id for RemoteIP; either way counted as used (hold it with
  IocpWsHoldSession). }
function IocpWsAddSession(AList: TIdHTTPCustomSessionList;
  AGiven: TIdHTTPSession; const RemoteIP: string): TIdHTTPSession;

{ A request holds S, which AList's GetSession or Add counted as used. With
  a default list AHeld (what the request releases when it is done, with
  IocpWsReleaseHeld) becomes S, and a different session it held before is
  released, and the result is True; other lists count no uses: False,
  AHeld as it was. }
function IocpWsHoldSession(AList: TIdHTTPCustomSessionList;
  var AHeld: TIdHTTPSession; S: TIdHTTPSession): Boolean;

{ A request is done: the session it held (AHeld, may be nil) is released
  (a default list's use ends) and AHeld is nil. }
procedure IocpWsReleaseHeld(AList: TIdHTTPCustomSessionList;
  var AHeld: TIdHTTPSession);

implementation

function IocpWsFindSession(AList: TIdHTTPCustomSessionList; AIds: TStrings;
  const RemoteIP: string; AOnInvalid: TIocpWsInvalidSessionCall;
  AContext, ARequest, AResponse: TObject;
  var VContinueProcessing: Boolean): TIdHTTPSession;
var
  I: Integer;
begin
  Result := nil;
  for I := 0 to AIds.Count - 1 do
  begin
    if AList <> nil then
    begin
      Result := AList.GetSession(AIds[I], RemoteIP);
      if Result <> nil then
        Exit;
    end;
    AOnInvalid(AContext, ARequest, AResponse, VContinueProcessing, AIds[I]);
    if not VContinueProcessing then
      Exit;
  end;
end;

function IocpWsAddSession(AList: TIdHTTPCustomSessionList;
  AGiven: TIdHTTPSession; const RemoteIP: string): TIdHTTPSession;
begin
  Result := AGiven;
  if Result = nil then
    Result := AList.CreateUniqueSession(RemoteIP)
  else
    AList.Add(Result);
end;

function IocpWsHoldSession(AList: TIdHTTPCustomSessionList;
  var AHeld: TIdHTTPSession; S: TIdHTTPSession): Boolean;
begin
  Result := AList is TIdHTTPDefaultSessionList;
  if not Result then
    Exit;
  if (AHeld <> nil) and (AHeld <> S) then
    TIdHTTPDefaultSessionList(AList).ReleaseSession(AHeld);
  AHeld := S;
end;

procedure IocpWsReleaseHeld(AList: TIdHTTPCustomSessionList;
  var AHeld: TIdHTTPSession);
begin
  if (AHeld <> nil) and (AList is TIdHTTPDefaultSessionList) then
    TIdHTTPDefaultSessionList(AList).ReleaseSession(AHeld);
  AHeld := nil;
end;

function IocpWsEndSession(AList: TIdHTTPCustomSessionList;
  const SessionName, RemoteIP: string): Boolean;
var
  S: TIdHTTPSession;
begin
  Result := False;
  if AList = nil then
    Exit;
  S := AList.GetSession(SessionName, RemoteIP);
  if S = nil then
    Exit;
  AList.RemoveSession(S);
  if AList is TIdHTTPDefaultSessionList then
    TIdHTTPDefaultSessionList(AList).ReleaseSession(S)
  else
    S.Free;
  Result := True;
end;

procedure IocpWsSetSessionList(AServer: TComponent;
  var AList: TIdHTTPCustomSessionList; var AImplicit: Boolean;
  AValue: TIdHTTPCustomSessionList);
begin
  if AList = AValue then
    Exit;
  if AImplicit then
    FreeAndNil(AList);
  AImplicit := False;
  if AList <> nil then
    AList.RemoveFreeNotification(AServer);
  AList := AValue;
  if AValue <> nil then
    AValue.FreeNotification(AServer);
end;

{ a session id: 32 random bytes as hex (the OS's random source) }
function IocpWsNewSessionID: string;
var
  G: TGUID;
  I: Integer;
begin
  Result := '';
  for I := 1 to 2 do
  begin
    if CreateGUID(G) <> 0 then
      raise EIocpWs.CreateCode(IWS_E_SYSTEM, 'iocpws: no random source for a session id');
    Result := Result + IntToHex(G.D1, 8) + IntToHex(G.D2, 4) + IntToHex(G.D3, 4) +
      IntToHex(G.D4[0], 2) + IntToHex(G.D4[1], 2) + IntToHex(G.D4[2], 2) +
      IntToHex(G.D4[3], 2) + IntToHex(G.D4[4], 2) + IntToHex(G.D4[5], 2) +
      IntToHex(G.D4[6], 2) + IntToHex(G.D4[7], 2);
  end;
end;

constructor TIdHTTPSession.Create(AOwner: TIdHTTPCustomSessionList);
begin
  inherited Create;
  FLock := TCriticalSection.Create;
  FContent := TStringList.Create;
  FOwner := AOwner;
  FLastTimeStamp := Now;
  if AOwner <> nil then
    if Assigned(AOwner.OnSessionStart) then
      AOwner.OnSessionStart(Self);
end;

constructor TIdHTTPSession.CreateInitialized(AOwner: TIdHTTPCustomSessionList;
  const SessionID, RemoteIP: string);
begin
  FSessionID := SessionID;
  FRemoteHost := RemoteIP;
  Create(AOwner);
end;

destructor TIdHTTPSession.Destroy;
begin
  DoSessionEnd;
  FContent.Free;
  FLock.Free;
  inherited Destroy;
end;

procedure TIdHTTPSession.DoSessionEnd;
begin
  if (FOwner <> nil) and Assigned(FOwner.OnSessionEnd) then
    FOwner.OnSessionEnd(Self);
end;

function TIdHTTPSession.IsSessionStale: Boolean;
begin
  if FOwner <> nil then
    Result := Trunc((Now - FLastTimeStamp) * MSecsPerDay) > FOwner.SessionTimeout
  else
    Result := True;
end;

procedure TIdHTTPSession.Lock;
begin
  FLock.Enter;
end;

procedure TIdHTTPSession.Unlock;
begin
  FLock.Leave;
end;

procedure TIdHTTPSession.SetContent(const Value: TStrings);
begin
  FContent.Assign(Value);
end;

constructor TIdHTTPDefaultSessionList.Create(AOwner: TComponent);
begin
  inherited Create(AOwner);
  FSessionList := TIdHTTPSessionThreadList.Create;
  FMaxSessions := 10000;
end;

destructor TIdHTTPDefaultSessionList.Destroy;
var
  L: TList;
  I: Integer;
begin
  Clear;
  { sessions still held by a request (a handler past TerminateWaitTime)
    end with the list }
  L := FSessionList.LockList;
  try
    for I := 0 to L.Count - 1 do
      TIdHTTPSession(L[I]).Free;
    L.Clear;
  finally
    FSessionList.UnlockList;
  end;
  FSessionList.Free;
  inherited Destroy;
end;

function TIdHTTPDefaultSessionList.Count: Integer;
begin
  Result := FSessionList.LockList.Count;
  FSessionList.UnlockList;
end;

procedure TIdHTTPDefaultSessionList.Clear;
begin
  Sweep(ssAll);
end;

{ Sessions are counted while requests use them (Add and GetSession count
  one use, ReleaseSession ends it): one that goes stale, is evicted or
  ended while a handler still works with it leaves the list at once and is
  freed (OnSessionEnd) when that request is done - Indy's default
  SessionTimeOut of 0 makes every session stale within a millisecond. }
procedure TIdHTTPDefaultSessionList.Unlist(L: TList; S: TIdHTTPSession; Gone: TList);
begin
  L.Remove(S);
  if S.FUses > 0 then
    S.FEnded := True
  else
    Gone.Add(S);
end;

procedure FreeSessions(Gone: TList);
var
  I: Integer;
begin
  for I := 0 to Gone.Count - 1 do
    TIdHTTPSession(Gone[I]).Free;
end;

procedure TIdHTTPDefaultSessionList.Add(ASession: TIdHTTPSession);
begin
  MakeRoom;
  ASession.FOwner := Self;
  FSessionList.LockList;
  try
    Inc(ASession.FUses);
    FSessionList.Add(ASession);
  finally
    FSessionList.UnlockList;
  end;
end;

procedure TIdHTTPDefaultSessionList.ReleaseSession(ASession: TIdHTTPSession);
var
  Free_: Boolean;
begin
  FSessionList.LockList;
  try
    Dec(ASession.FUses);
    Free_ := ASession.FEnded and (ASession.FUses <= 0);
  finally
    FSessionList.UnlockList;
  end;
  if Free_ then
    ASession.Free;
end;

procedure TIdHTTPDefaultSessionList.Sweep(AKind: TIdHTTPSessionSweep;
  ASession: TIdHTTPSession);
var
  L, Gone: TList;
  I, Oldest: Integer;
  S: TIdHTTPSession;
begin
  Gone := TList.Create;
  try
    L := FSessionList.LockList;
    try
      case AKind of
        ssAll, ssStale:
          for I := L.Count - 1 downto 0 do
          begin
            S := TIdHTTPSession(L[I]);
            if (AKind = ssAll) or S.IsSessionStale then
              Unlist(L, S, Gone);
          end;
        ssOldest:
          if (L.Count > 0) and (L.Count >= FMaxSessions) then
          begin
            Oldest := 0;
            for I := 1 to L.Count - 1 do
              if TIdHTTPSession(L[I]).FLastTimeStamp < TIdHTTPSession(L[Oldest]).FLastTimeStamp then
                Oldest := I;
            Unlist(L, TIdHTTPSession(L[Oldest]), Gone);
          end;
        ssOne:
          if L.IndexOf(ASession) >= 0 then { else ended already }
            Unlist(L, ASession, Gone);
      end;
    finally
      FSessionList.UnlockList;
    end;
    FreeSessions(Gone);
  finally
    Gone.Free;
  end;
end;

procedure TIdHTTPDefaultSessionList.RemoveSession(Session: TIdHTTPSession);
begin
  Sweep(ssOne, Session);
end;

procedure TIdHTTPDefaultSessionList.PurgeStaleSessions(PurgeAll: Boolean);
begin
  if PurgeAll then
    Sweep(ssAll)
  else
    Sweep(ssStale);
end;

procedure TIdHTTPDefaultSessionList.MakeRoom;
begin
  if Count < FMaxSessions then
    Exit;
  Sweep(ssStale);
  Sweep(ssOldest);
end;

function TIdHTTPDefaultSessionList.CreateSession(const RemoteIP, SessionID: string): TIdHTTPSession;
begin
  Result := TIdHTTPSession.CreateInitialized(Self, SessionID, RemoteIP);
  Add(Result);
end;

function TIdHTTPDefaultSessionList.CreateUniqueSession(const RemoteIP: string): TIdHTTPSession;
begin
  Result := CreateSession(RemoteIP, IocpWsNewSessionID);
end;

function TIdHTTPDefaultSessionList.GetSession(const SessionID, RemoteIP: string): TIdHTTPSession;
var
  L: TList;
  I: Integer;
  S: TIdHTTPSession;
begin
  Result := nil;
  L := FSessionList.LockList;
  try
    for I := 0 to L.Count - 1 do
    begin
      S := TIdHTTPSession(L[I]);
      if S.FSessionID = SessionID then
      begin
        if S.IsSessionStale then
          Break; { the cleaner ends it }
        S.FLastTimeStamp := Now;
        Inc(S.FUses);
        Result := S;
        Break;
      end;
    end;
  finally
    FSessionList.UnlockList;
  end;
end;

end.
