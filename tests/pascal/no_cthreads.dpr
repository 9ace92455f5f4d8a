{ no_cthreads - a Free Pascal program for Linux that forgot cthreads must get
  an EIocpWs saying so, not "Runtime error 232". Built and run by
  tests/pascal/run.sh (native tier); prints "ok - ..." / "not ok - ...". }
program no_cthreads;

{$mode delphi}

uses
  SysUtils, Classes, iocpws.lib, iocpws.server;

var
  S: TIocpWebSocketServer;
begin
  S := nil;
  try
    S := TIocpWebSocketServer.Create(nil);
    Writeln('not ok - a server without cthreads raises EIocpWs: it was created');
  except
    on E: EIocpWs do
      if (E.Code = IWS_E_THREAD) and (Pos('cthreads', E.Message) > 0) then
        Writeln('ok - a server without cthreads raises EIocpWs naming cthreads')
      else
        Writeln('not ok - a server without cthreads raises EIocpWs naming cthreads: ',
          E.Code, ' ', E.Message);
    on E: Exception do
      Writeln('not ok - a server without cthreads raises EIocpWs naming cthreads: ',
        E.ClassName, ' ', E.Message);
  end;
  S.Free;
  Writeln('ok - the program goes on after it');
end.
