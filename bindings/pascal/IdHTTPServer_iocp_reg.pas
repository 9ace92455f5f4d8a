{ IdHTTPServer_iocp_reg - puts the Indy drop-in's TIdHTTPServer on the
  component palette (Delphi's IDE, Lazarus).

  Design-time only, in the packages made for it: Delphi
  packages/delphi/iocpws_indy_dt.dpk (design-only, requires iocpws_indy_rt,
  which holds IdHTTPServer_iocp), Lazarus packages/lazarus/iocpws_indy.lpk.
  The palette page is IdHTTPServer_iocpPalettePage ('Indy Servers', where
  Indy's own TIdHTTPServer sits); TIdServerIOHandlerSSLOpenSSL (unit
  IdSSLOpenSSL_iocp) goes to 'Indy I/O Handlers', as Indy's. An IDE cannot hold two classes named
  TIdHTTPServer: install these packages in place of Indy's design-time
  package (Delphi dclIndyProtocols<NNN>, Lazarus indylaz or
  dclindyprotocolslaz), or in an IDE profile of its own; forms that stream
  `object IdHTTPServer1: TIdHTTPServer` then open with this component. }
unit IdHTTPServer_iocp_reg;

{$I iocpws.defines.inc}

interface

const
  IdHTTPServer_iocpPalettePage = 'Indy Servers';
  { where Indy puts TIdServerIOHandlerSSLOpenSSL }
  IdSSLOpenSSL_iocpPalettePage = 'Indy I/O Handlers';

procedure Register;

implementation

uses
  Classes, IdHTTPServer_iocp, IdSSLOpenSSL_iocp;

procedure Register;
begin
  RegisterComponents(IdHTTPServer_iocpPalettePage, [TIdHTTPServer]);
  RegisterComponents(IdSSLOpenSSL_iocpPalettePage, [TIdServerIOHandlerSSLOpenSSL]);
end;

end.
