{ chat_server - every message goes to everyone else in the room.

  Builds with Delphi (Win32, Win64, Linux64) and Free Pascal:
    fpc -Fu../../bindings/pascal -Fi../../bindings/pascal -Fl../../build chat_server.dpr
  Run:  chat_server [port]      (default 8080; type quit, or end stdin, to stop)
  Try:  python3 -m websockets ws://127.0.0.1:8080/   in two terminals.

  NotifyEvents = neAsynchronous (the default): the handlers run on the main
  thread, queued there, so they can use the program's state without locks.
  A console program runs them by calling CheckSynchronize in its main loop;
  a VCL/FMX/LCL application needs nothing (its message loop does it). }
program chat_server;

{$ifdef FPC} {$mode delphi} {$endif}
{$ifdef MSWINDOWS} {$APPTYPE CONSOLE} {$endif}

uses
  {$ifdef FPC} {$ifdef UNIX} cthreads, {$endif} {$endif}
  SysUtils, Classes, iocpws.server;

type
  TChat = class
    Server: TIocpWebSocketServer;
    procedure OnConnect(Connection: TIocpWSConnection);
    procedure OnMessage(Connection: TIocpWSConnection; const Text: string);
    procedure OnDisconnect(Connection: TIocpWSConnection; Code: Integer);
  end;

  { Reads standard input on its own thread; the main thread stays free to
    run the queued events. }
  TConsoleReader = class(TThread)
  public
    Quit: Boolean;
    procedure Execute; override;
  end;

procedure TChat.OnConnect(Connection: TIocpWSConnection);
begin
  Writeln(Connection.IP, ':', Connection.Port, ' joined (', Server.Count, ' online)');
  Server.Broadcast('* someone joined', '', '', Connection.Guid);
  Connection.WriteData(Format('welcome: %d online', [Server.Count]));
end;

procedure TChat.OnMessage(Connection: TIocpWSConnection; const Text: string);
begin
  { everyone but the sender }
  Server.Broadcast(Text, '', '', Connection.Guid);
end;

procedure TChat.OnDisconnect(Connection: TIocpWSConnection; Code: Integer);
begin
  Writeln(Connection.IP, ':', Connection.Port, ' left (code ', Code, ')');
  if Server.Active then
    Server.Broadcast('* someone left');
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
  Chat: TChat;
  Reader: TConsoleReader;
begin
  Chat := TChat.Create;
  Chat.Server := TIocpWebSocketServer.Create(nil);
  Reader := TConsoleReader.Create(False);
  try
    Chat.Server.Port := StrToIntDef(ParamStr(1), 8080);
    Chat.Server.OnConnect := Chat.OnConnect;
    Chat.Server.OnMessage := Chat.OnMessage;
    Chat.Server.OnDisconnect := Chat.OnDisconnect;
    Chat.Server.Active := True;
    Writeln('chat server listening on port ', Chat.Server.ListeningPort,
      '; type quit to stop');
    Flush(Output);
    while not Reader.Quit do
      CheckSynchronize(100);
    { from the main thread, with events queued: no deadlock, and every
      OnDisconnect has run when this returns }
    Chat.Server.Active := False;
  finally
    Reader.WaitFor;
    Reader.Free;
    Chat.Server.Free;
    Chat.Free;
  end;
end.
