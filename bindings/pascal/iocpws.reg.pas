{ iocpws.reg - design time: puts the servers on the component palette,
  page 'iocpws', under their iocpws names (TIocpWebSocketServer,
  TIocpWebSocketHTTPServer) and sgc's names (TsgcWebSocketServer, TsgcWebSocketHTTPServer), so that a form
  written for sgcWebSockets opens in the IDE after its uses clause changed;
  and sgc's security components (Firewall, RateLimiter, APIKeyManager, the
  JWT / OAuth2 / WebAuthn servers) under sgc's names.
  Used by packages/delphi/iocpws_dt.dpk and packages/lazarus/iocpws.lpk;
  programs never use it. }
unit iocpws.reg;

{$I iocpws.defines.inc}

interface

uses
  Classes, iocpws.server, sgcWebSocket_iocp;
{$I iocpws.warnings.inc}

const
  IOCPWS_PALETTE_PAGE = 'iocpws';

procedure Register;

implementation

procedure Register;
begin
  RegisterComponents(IOCPWS_PALETTE_PAGE, [TIocpWebSocketServer,
    TIocpWebSocketHTTPServer, TsgcWebSocketServer, TsgcWebSocketHTTPServer]);
  { sgc's security components, so that forms holding them open (they stream;
    a server relying on one refuses to start: iocpws.sgcoptions) }
  RegisterComponents(IOCPWS_PALETTE_PAGE, [TsgcWebSocketFirewall,
    TsgcWSRateLimiter, TsgcWSAPIKeyManager, TsgcHTTP_JWT_Server,
    TsgcHTTP_OAuth2_Server, TsgcHTTP_OAuth2_Server_Provider,
    TsgcWSAPIServer_WebAuthn]);
end;

end.
