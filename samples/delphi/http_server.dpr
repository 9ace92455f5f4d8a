{ http_server - one port for web pages, a small REST API and WebSocket, as
  a TIdHTTPServer / TsgcWebSocketHTTPServer application has it.

  Builds with Delphi (Win32, Win64, Linux64) and Free Pascal:
    fpc -Fu../../bindings/pascal -Fi../../bindings/pascal -Fl../../build http_server.dpr
  Run:  http_server [port] [document root]
        (default 8080 and ../web, the chat page of samples/web; type quit,
        or end stdin, to stop)
  Try:  http://127.0.0.1:8080/            the chat page (document root)
        http://127.0.0.1:8080/api/time    OnCommandGet (JSON)
        curl -X POST -d 'text=hi' http://127.0.0.1:8080/api/echo
        curl -X DELETE http://127.0.0.1:8080/api/messages   OnCommandOther
        ws://127.0.0.1:8080/chat          the chat WebSocket

  The handlers have Indy's signature (AContext, ARequestInfo,
  AResponseInfo); with sgcWebSocket_iocp in the uses clause the same code
  may name the types TIdContext, TIdHTTPRequestInfo, TIdHTTPResponseInfo.
  NotifyEvents = neAsynchronous (the default): they run on the main thread. }
program http_server;

{$ifdef FPC} {$mode delphi} {$endif}
{$ifdef MSWINDOWS} {$APPTYPE CONSOLE} {$endif}

uses
  {$ifdef FPC} {$ifdef UNIX} cthreads, {$endif} {$endif}
  SysUtils, Classes, iocpws.server;

type
  TApp = class
    Server: TIocpWebSocketServer;
    Messages: Integer;
    procedure OnMessage(Connection: TIocpWSConnection; const Text: string);
    procedure OnCommandGet(AContext: TIocpHTTPContext;
      ARequestInfo: TIocpHTTPRequestInfo; AResponseInfo: TIocpHTTPResponseInfo);
    procedure OnCommandOther(AContext: TIocpHTTPContext;
      ARequestInfo: TIocpHTTPRequestInfo; AResponseInfo: TIocpHTTPResponseInfo);
  end;

  TConsoleReader = class(TThread)
  public
    Quit: Boolean;
    procedure Execute; override;
  end;

{ JSON string escaping for the little API below. }
function JsonStr(const S: string): string;
var
  I: Integer;
begin
  Result := '"';
  for I := 1 to Length(S) do
    case S[I] of
      '"': Result := Result + '\"';
      '\': Result := Result + '\\';
      #0..#31: Result := Result + Format('\u%.4x', [Ord(S[I])]);
    else
      Result := Result + S[I];
    end;
  Result := Result + '"';
end;

procedure TApp.OnMessage(Connection: TIocpWSConnection; const Text: string);
begin
  { the chat page's messages go to every page, the sender's included }
  Inc(Messages);
  Server.Broadcast(Text);
end;

procedure TApp.OnCommandGet(AContext: TIocpHTTPContext;
  ARequestInfo: TIocpHTTPRequestInfo; AResponseInfo: TIocpHTTPResponseInfo);
begin
  Writeln(ARequestInfo.RemoteIP, ' ', ARequestInfo.Command, ' ', ARequestInfo.URI);
  if ARequestInfo.Document = '/api/time' then
  begin
    AResponseInfo.ContentType := 'application/json';
    AResponseInfo.ContentText := '{"time": ' +
      JsonStr(FormatDateTime('yyyy-mm-dd"T"hh:nn:ss', Now)) +
      ', "websockets": ' + IntToStr(Server.Count) +
      ', "messages": ' + IntToStr(Messages) + '}';
    AResponseInfo.CacheControl := 'no-store';
  end
  else if (ARequestInfo.Document = '/api/echo') and (ARequestInfo.Command = 'POST') then
  begin
    { a form post: Params holds the decoded fields }
    AResponseInfo.ContentType := 'application/json';
    AResponseInfo.ContentText := '{"text": ' +
      JsonStr(ARequestInfo.Params.Values['text']) + '}';
  end
  else if ARequestInfo.Document = '/old-chat' then
    AResponseInfo.Redirect('/')
  else
  begin
    AResponseInfo.ResponseNo := 404;
    AResponseInfo.ContentText := '<h1>Not found</h1><p>' + ARequestInfo.Document + '</p>';
  end;
end;

procedure TApp.OnCommandOther(AContext: TIocpHTTPContext;
  ARequestInfo: TIocpHTTPRequestInfo; AResponseInfo: TIocpHTTPResponseInfo);
begin
  Writeln(ARequestInfo.RemoteIP, ' ', ARequestInfo.Command, ' ', ARequestInfo.URI);
  if (ARequestInfo.Command = 'DELETE') and (ARequestInfo.Document = '/api/messages') then
  begin
    Messages := 0;
    AResponseInfo.ResponseNo := 204;
  end
  else
  begin
    AResponseInfo.ResponseNo := 405;
    AResponseInfo.CustomHeaders.Values['Allow'] := 'GET, HEAD, POST, DELETE';
  end;
end;

procedure TConsoleReader.Execute;
var
  Line: string;
begin
  while not Eof(Input) do
  begin
    Readln(Line);
    if Trim(Line) = 'quit' then
      Break;
  end;
  Quit := True;
end;

var
  App: TApp;
  Reader: TConsoleReader;
  Root: string;
begin
  App := TApp.Create;
  App.Server := TIocpWebSocketServer.Create(nil);
  Reader := TConsoleReader.Create(False);
  try
    App.Server.Port := StrToIntDef(ParamStr(1), 8080);
    Root := ParamStr(2);
    if Root = '' then
      Root := ExtractFilePath(ParamStr(0)) + '..' + PathDelim + 'web';
    App.Server.DocumentRoot := Root;
    App.Server.OnMessage := App.OnMessage;
    App.Server.OnCommandGet := App.OnCommandGet;
    App.Server.OnCommandOther := App.OnCommandOther;
    App.Server.Active := True;
    Writeln('http server listening on port ', App.Server.ListeningPort,
      ', files from ', Root, '; type quit to stop');
    Flush(Output);
    while not Reader.Quit do
      CheckSynchronize(100);
    App.Server.Active := False;
  finally
    Reader.WaitFor;
    Reader.Free;
    App.Server.Free;
    App.Free;
  end;
end.
