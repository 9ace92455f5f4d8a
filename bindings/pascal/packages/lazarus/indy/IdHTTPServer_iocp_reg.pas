{ The Lazarus package iocpws_indy.lpk compiles bindings/pascal/IdHTTPServer_iocp_reg.pas
  through this file, for the reason given in IdHTTPServer_iocp.pas here. }
{$I ../../../IdHTTPServer_iocp_reg.pas}
