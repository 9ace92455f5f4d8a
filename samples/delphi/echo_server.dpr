{ echo_server - every message comes back to its sender.

  Builds with Delphi (Win32, Win64, Linux64) and Free Pascal:
    fpc -Fu../../bindings/pascal -Fi../../bindings/pascal -Fl../../build echo_server.dpr
  Run:  echo_server [port]      (default 8080; Enter stops it)

  NotifyEvents = neNoSync: the handlers run on the engine's threads, which
  is the fastest mode for handlers that touch nothing but their connection.
  The main thread only waits for Enter. }
program echo_server;

{$ifdef FPC} {$mode delphi} {$endif}
{$ifdef MSWINDOWS} {$APPTYPE CONSOLE} {$endif}

uses
  {$ifdef FPC} {$ifdef UNIX} cthreads, {$endif} {$endif}
  SysUtils, Classes, iocpws.server;

type
  TEcho = class
    procedure OnMessage(Connection: TIocpWSConnection; const Text: string);
    procedure OnBinary(Connection: TIocpWSConnection; const Data: TMemoryStream);
  end;

procedure TEcho.OnMessage(Connection: TIocpWSConnection; const Text: string);
begin
  Connection.WriteData(Text);
end;

procedure TEcho.OnBinary(Connection: TIocpWSConnection; const Data: TMemoryStream);
begin
  Connection.WriteData(Data);
end;

var
  Server: TIocpWebSocketServer;
  Echo: TEcho;
begin
  Echo := TEcho.Create;
  Server := TIocpWebSocketServer.Create(nil);
  try
    Server.Port := StrToIntDef(ParamStr(1), 8080);
    Server.NotifyEvents := neNoSync;
    Server.HeartBeat.Enabled := True;
    Server.HeartBeat.Interval := 30;
    Server.HeartBeat.Timeout := 60;
    Server.OnMessage := Echo.OnMessage;
    Server.OnBinary := Echo.OnBinary;
    Server.Active := True;
    Writeln('echo server listening on port ', Server.ListeningPort,
      '; press Enter to stop');
    Flush(Output);
    Readln;
    Server.Active := False;
  finally
    Server.Free;
    Echo.Free;
  end;
end.
