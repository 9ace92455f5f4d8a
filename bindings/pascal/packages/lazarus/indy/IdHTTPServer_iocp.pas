{ The Lazarus package iocpws_indy.lpk compiles bindings/pascal/IdHTTPServer_iocp.pas
  through this file, from a directory of its own: a package that had
  bindings/pascal on its unit path would rebuild iocpws.lib (lazbuild and the
  IDE compile packages with -B), and a unit may be in only one package of an
  IDE. Programs use bindings/pascal/IdHTTPServer_iocp.pas, never this. }
{$I ../../../IdHTTPServer_iocp.pas}
