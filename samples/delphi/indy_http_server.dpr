{ indy_http_server - an Indy TIdHTTPServer program on the iocpws engine.

  Written exactly as an Indy program is: the uses clause is the only line
  that differs from the Indy original (it named IdContext,
  IdCustomHTTPServer and IdHTTPServer). Handlers run on the server's pool
  threads as with Indy, so the main thread just waits for Enter.

  Builds with Delphi (Win32, Win64, Linux64) and Free Pascal:
    fpc -Fu../../bindings/pascal -Fi../../bindings/pascal -Fl../../build indy_http_server.dpr
  Run:  indy_http_server [port]        (default 8080; Enter, or end stdin, stops)
  Try:  http://127.0.0.1:8080/                 visits counted in a session
        http://127.0.0.1:8080/hello?name=Ann   parameters
        curl -u admin:admin http://127.0.0.1:8080/admin    Basic auth (401 without)
        curl -d 'note=hi' http://127.0.0.1:8080/notes      a POST form
        curl -X DELETE http://127.0.0.1:8080/notes         OnCommandOther }
program indy_http_server;

{$ifdef FPC} {$mode delphi} {$endif}
{$ifdef MSWINDOWS} {$APPTYPE CONSOLE} {$endif}

uses
  {$ifdef FPC} {$ifdef UNIX} cthreads, {$endif} {$endif}
  SysUtils, Classes, SyncObjs,
  IdHTTPServer_iocp; { with Indy: IdContext, IdCustomHTTPServer, IdHTTPServer }

type
  TWebApp = class
  private
    FServer: TIdHTTPServer;
    FLock: TCriticalSection;
    FNotes: TStringList;
    procedure CommandGet(AContext: TIdContext; ARequestInfo: TIdHTTPRequestInfo;
      AResponseInfo: TIdHTTPResponseInfo);
    procedure CommandOther(AContext: TIdContext; ARequestInfo: TIdHTTPRequestInfo;
      AResponseInfo: TIdHTTPResponseInfo);
    procedure ServerException(AContext: TIdContext; AException: Exception);
  public
    constructor Create(APort: Integer);
    destructor Destroy; override;
    procedure Start;
    procedure Stop;
    property Server: TIdHTTPServer read FServer;
  end;

function HtmlEncode(const S: string): string;
begin
  Result := StringReplace(S, '&', '&amp;', [rfReplaceAll]);
  Result := StringReplace(Result, '<', '&lt;', [rfReplaceAll]);
  Result := StringReplace(Result, '>', '&gt;', [rfReplaceAll]);
end;

constructor TWebApp.Create(APort: Integer);
begin
  inherited Create;
  FLock := TCriticalSection.Create;
  FNotes := TStringList.Create;
  FServer := TIdHTTPServer.Create(nil);
  FServer.DefaultPort := APort;
  FServer.KeepAlive := True;
  FServer.SessionState := True;
  FServer.AutoStartSession := True;
  FServer.SessionTimeOut := 10 * 60 * 1000;
  FServer.ServerSoftware := 'IndySample/1.0';
  FServer.OnCommandGet := CommandGet;
  FServer.OnCommandOther := CommandOther;
  FServer.OnException := ServerException;
end;

destructor TWebApp.Destroy;
begin
  FServer.Free;
  FNotes.Free;
  FLock.Free;
  inherited Destroy;
end;

procedure TWebApp.Start;
begin
  FServer.Active := True;
end;

procedure TWebApp.Stop;
begin
  FServer.Active := False;
end;

procedure TWebApp.CommandGet(AContext: TIdContext; ARequestInfo: TIdHTTPRequestInfo;
  AResponseInfo: TIdHTTPResponseInfo);
var
  Visits: Integer;
begin
  WriteLn(ARequestInfo.RemoteIP, ' ', ARequestInfo.Command, ' ', ARequestInfo.URI);
  if ARequestInfo.Document = '/' then
  begin
    ARequestInfo.Session.Lock;
    try
      Visits := StrToIntDef(ARequestInfo.Session.Content.Values['visits'], 0) + 1;
      ARequestInfo.Session.Content.Values['visits'] := IntToStr(Visits);
    finally
      ARequestInfo.Session.Unlock;
    end;
    AResponseInfo.ContentType := 'text/html';
    AResponseInfo.ContentText := '<html><body><h1>Hello from Indy</h1><p>Visit ' +
      IntToStr(Visits) + ' of this session.</p></body></html>';
  end
  else if ARequestInfo.Document = '/hello' then
  begin
    AResponseInfo.ContentType := 'text/plain';
    AResponseInfo.ContentText := 'Hello, ' + ARequestInfo.Params.Values['name'] + '!';
  end
  else if ARequestInfo.Document = '/admin' then
  begin
    if ARequestInfo.AuthExists and (ARequestInfo.AuthUsername = 'admin') and
      (ARequestInfo.AuthPassword = 'admin') then
      AResponseInfo.ContentText := 'Welcome, administrator.'
    else
      AResponseInfo.AuthRealm := 'Sample';
  end
  else if ARequestInfo.Document = '/notes' then
  begin
    FLock.Enter;
    try
      if (ARequestInfo.CommandType = hcPOST) and (ARequestInfo.Params.Values['note'] <> '') then
        FNotes.Add(ARequestInfo.Params.Values['note']);
      AResponseInfo.ContentType := 'text/plain';
      AResponseInfo.ContentText := FNotes.Text;
    finally
      FLock.Leave;
    end;
  end
  else if ARequestInfo.Document = '/slow' then
  begin
    Sleep(1000); { a slow database: only this request waits }
    AResponseInfo.ContentText := HtmlEncode('<done>');
  end
  else
    AResponseInfo.ResponseNo := 404;
end;

procedure TWebApp.CommandOther(AContext: TIdContext; ARequestInfo: TIdHTTPRequestInfo;
  AResponseInfo: TIdHTTPResponseInfo);
begin
  if (ARequestInfo.CommandType = hcDELETE) and (ARequestInfo.Document = '/notes') then
  begin
    FLock.Enter;
    try
      FNotes.Clear;
    finally
      FLock.Leave;
    end;
    AResponseInfo.ResponseNo := 204;
  end
  else
    AResponseInfo.ResponseNo := 405;
end;

procedure TWebApp.ServerException(AContext: TIdContext; AException: Exception);
begin
  WriteLn('Exception: ', AException.Message);
end;

var
  App: TWebApp;
begin
  App := TWebApp.Create(StrToIntDef(ParamStr(1), 8080));
  try
    App.Start;
    WriteLn('PORT ', App.Server.Bindings[0].Port);
    WriteLn('Serving; press Enter to stop.');
    Flush(Output);
    ReadLn;
    App.Stop;
  finally
    App.Free;
  end;
end.
