{ This file was automatically created by Lazarus. Do not edit!
  This source is only used to compile and install the package.
 }

unit iocpws_indy;

{$warn 5023 off : no warning about unused units}
interface

uses
  IdHTTPServer_iocp, IdHTTPServer_iocp_reg, IdSSLOpenSSL_iocp, LazarusPackageIntf;

implementation

procedure Register;
begin
  RegisterUnit('IdHTTPServer_iocp_reg', @IdHTTPServer_iocp_reg.Register);
end;

initialization
  RegisterPackage('iocpws_indy', @Register);
end.
