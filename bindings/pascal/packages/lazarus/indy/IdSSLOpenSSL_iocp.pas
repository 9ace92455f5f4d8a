{ The Lazarus package iocpws_indy.lpk compiles bindings/pascal/IdSSLOpenSSL_iocp.pas
  through this file (see IdHTTPServer_iocp.pas here for why). Programs use
  bindings/pascal/IdSSLOpenSSL_iocp.pas, never this. }
{$I ../../../IdSSLOpenSSL_iocp.pas}
