{ IdHTTPServer_iocp_reg - puts the Indy drop-in's TIdHTTPServer on the
  component palette (Delphi's IDE, Lazarus).

  Design-time only: list it in a design-time package (Delphi: a package
  marked design-only (DESIGNONLY) that requires the runtime package holding
  IdHTTPServer_iocp; Lazarus: a unit of the .lpk marked "Register unit").
  The palette page is IdHTTPServer_iocpPalettePage ('Indy Servers', where
  Indy's own TIdHTTPServer sits). An IDE cannot hold two classes named
  TIdHTTPServer: install this package in place of Indy's design-time
  package (indy*dcl), or in an IDE profile of its own; forms that stream
  `object IdHTTPServer1: TIdHTTPServer` then open with this component. }
unit IdHTTPServer_iocp_reg;

{$I iocpws.defines.inc}

interface

const
  IdHTTPServer_iocpPalettePage = 'Indy Servers';

procedure Register;

implementation

uses
  Classes, IdHTTPServer_iocp;

procedure Register;
begin
  RegisterComponents(IdHTTPServer_iocpPalettePage, [TIdHTTPServer]);
end;

end.
