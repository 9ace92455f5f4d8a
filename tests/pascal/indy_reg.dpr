{ indy_reg - IdHTTPServer_iocp_reg registers TIdHTTPServer on Indy's
  palette page, and the class streams by its name (FindClass), as an IDE
  and a form loader need. Prints "ok - x" / "not ok - x: why". }
program indy_reg;

{$ifdef FPC} {$mode delphi} {$endif}
{$ifdef MSWINDOWS} {$APPTYPE CONSOLE} {$endif}

uses
  {$ifdef FPC} {$ifdef UNIX} cthreads, {$endif} {$endif}
  SysUtils, Classes, IdHTTPServer_iocp, IdHTTPServer_iocp_reg, IdSSLOpenSSL_iocp;

var
  Pages: string;
  Registered: TList;
  Failed: Integer;

procedure Check(Cond: Boolean; const Name, Why: string);
begin
  if Cond then
    Writeln('ok - ', Name)
  else
  begin
    Writeln('not ok - ', Name, ': ', Why);
    Inc(Failed);
  end;
end;

procedure Capture(const Page: string; ComponentClasses: array of TComponentClass);
var
  I: Integer;
begin
  Pages := Pages + Page + ';';
  for I := Low(ComponentClasses) to High(ComponentClasses) do
    Registered.Add(Pointer(ComponentClasses[I]));
end;

var
  S: TComponent;
begin
  Failed := 0;
  Registered := TList.Create;
  RegisterComponentsProc := @Capture;
  IdHTTPServer_iocp_reg.Register;
  Check(Pages = 'Indy Servers;Indy I/O Handlers;', 'palette pages', 'got ' + Pages);
  Check((Registered.Count = 2) and (TClass(Registered[0]) = TIdHTTPServer) and
    (TClass(Registered[1]) = TIdServerIOHandlerSSLOpenSSL),
    'TIdHTTPServer and TIdServerIOHandlerSSLOpenSSL registered',
    IntToStr(Registered.Count) + ' classes');
  Check(FindClass('TIdServerIOHandlerSSLOpenSSL') = TIdServerIOHandlerSSLOpenSSL,
    'FindClass(TIdServerIOHandlerSSLOpenSSL)', 'not found');
  S := TIdServerIOHandlerSSLOpenSSL.Create(nil);
  try
    with TIdServerIOHandlerSSLOpenSSL(S).SSLOptions do
      Check((Method = sslvTLSv1) and (SSLVersions = [sslvTLSv1]) and (Mode = sslmUnassigned) and
        (VerifyMode = []) and (VerifyDepth = 0), 'SSLOptions: Indy defaults',
        'a default differs from Indy''s');
  finally
    S.Free;
  end;
  Check(FindClass('TIdHTTPServer') = TIdHTTPServer, 'FindClass(TIdHTTPServer)', 'not found');
  S := TComponentClass(FindClass('TIdHTTPServer')).Create(nil);
  try
    Check((S as TIdHTTPServer).DefaultPort = 80, 'DefaultPort default 80',
      IntToStr(TIdHTTPServer(S).DefaultPort));
    Check(not TIdHTTPServer(S).KeepAlive and TIdHTTPServer(S).ParseParams and
      not TIdHTTPServer(S).SessionState and (TIdHTTPServer(S).ListenQueue = 15) and
      (TIdHTTPServer(S).TerminateWaitTime = 5000) and (TIdHTTPServer(S).SessionTimeOut = 0) and
      (TIdHTTPServer(S).SessionIDCookieName = 'IDHTTPSESSIONID') and
      (TIdHTTPServer(S).MaxConnections = 0) and TIdHTTPServer(S).UseNagle and
      (TIdHTTPServer(S).MaximumHeaderLineCount = 1024) and not TIdHTTPServer(S).Active,
      'Indy defaults', 'a default differs from Indy''s');
  finally
    S.Free;
  end;
  Registered.Free;
  if Failed > 0 then
    Halt(1);
end.
