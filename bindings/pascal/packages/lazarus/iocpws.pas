{ This file was automatically created by Lazarus. Do not edit!
  This source is only used to compile and install the package.
 }

unit iocpws;

{$warn 5023 off : no warning about unused units}
interface

uses
  iocpws.lib, iocpws.common, iocpws.types, iocpws.options, iocpws.sgcoptions, iocpws.http, iocpws.sessions, iocpws.upload, 
  iocpws.server, sgcWebSocket_iocp, iocpws.reg, LazarusPackageIntf;

implementation

procedure Register;
begin
  RegisterUnit('iocpws.reg', @iocpws.reg.Register);
end;

initialization
  RegisterPackage('iocpws', @Register);
end.
