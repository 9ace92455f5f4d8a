{ iocpws.lib - the raw iocpws C ABI for Delphi and Free Pascal.

  Every type, constant and function of include/iocpws.h, under the same C
  names, with records laid out exactly as the C structs (tests/pascal checks
  sizes and offsets against iws_struct_layout at run time). Read iocpws.h for
  the meaning, return codes and thread rules of each declaration; they are
  not repeated here.

  Calling convention: stdcall on Windows (it matters on Win32, Win64 has only
  one convention), cdecl elsewhere - IWS_CALL / IWS_CALLBACK of the header.

  Linking:
    default          static `external` imports: the program needs
                     iocpws.dll (Windows) / libiocpws.so (Linux) to start; a
                     missing library is reported by the OS loader.
    IOCPWS_DYNAMIC   (define it for the project, or in iocpws.defines.inc)
                     the library is loaded on first use with LoadLibrary /
                     dlopen and every function resolved by GetProcAddress /
                     dlsym. A missing library, a missing function or another
                     ABI raises EIocpWsLibrary naming it; call IocpWsLoad to
                     load early (and choose the path), IocpWsLoaded to test.
  Either way IocpWsCheckVersion raises EIocpWsLibrary when the library
  implements another ABI than IWS_HEADER_ABI_VERSION (iocpws.server calls it). }
unit iocpws.lib;

{$I iocpws.defines.inc}

interface

uses
  SysUtils;
{$I iocpws.warnings.inc}

const
  { The file the imports refer to. }
  {$ifdef OSWINDOWS}
  IOCPWS_LIB = 'iocpws.dll';
  {$else}
  IOCPWS_LIB = 'libiocpws.so';
  {$endif}

  { ---- versions ---------------------------------------------------------- }
  IWS_VERSION_MAJOR = 0;
  IWS_VERSION_MINOR = 5;
  IWS_VERSION_PATCH = 0;
  IWS_VERSION_NUMBER = IWS_VERSION_MAJOR * 1000000 + IWS_VERSION_MINOR * 1000 +
    IWS_VERSION_PATCH;
  { Pascal identifiers ignore case, so the header's IWS_VERSION_STRING and
    IWS_ABI_VERSION would clash with the functions iws_version_string and
    iws_abi_version: these two constants carry a HEADER_ prefix. }
  IWS_HEADER_VERSION_STRING = '0.5.0';
  IWS_HEADER_ABI_VERSION = 1;

  { ---- status codes ------------------------------------------------------ }
  IWS_OK = 0;

  IWS_E_INVALID_ARG = -100;
  IWS_E_BAD_STATE = -101;
  IWS_E_ABI_MISMATCH = -102;
  IWS_E_UNKNOWN_OPTION = -103;
  IWS_E_OPTION_TYPE = -104;
  IWS_E_OPTION_RANGE = -105;
  IWS_E_IN_CALLBACK = -106;
  IWS_E_BUFFER_TOO_SMALL = -107;
  IWS_E_INVALID_UTF8 = -108;
  IWS_E_STRUCT_SIZE = -109;
  IWS_E_CLOSE_CODE = -110;
  IWS_E_TOO_LONG = -111;
  { Since 0.4 }
  IWS_E_CHANNEL_NAME = -115;
  IWS_E_UNSUPPORTED = -116;
  { Since 0.5 }
  IWS_E_FILE = -117;
  { Since 0.6: a depth past the end of a certificate chain }
  IWS_E_NOT_FOUND = -118;

  IWS_E_NO_CONNECTION = -200;
  IWS_E_CLOSING = -201;
  IWS_E_QUEUE_FULL = -202;
  IWS_E_MESSAGE_TOO_BIG = -203;
  IWS_E_PROTOCOL = -204;
  IWS_E_HANDSHAKE = -205;
  IWS_E_TIMEOUT = -206;
  IWS_E_CONNECTION_LOST = -207;

  IWS_E_NOMEM = -300;
  IWS_E_SYSTEM = -301;
  IWS_E_THREAD = -302;

  IWS_E_ADDRESS = -400;
  IWS_E_BIND = -401;
  IWS_E_LISTEN = -402;
  { Since 0.4 }
  IWS_E_REDIS = -403;

  { Since 0.3 }
  IWS_E_TLS_CONFIG = -500;
  IWS_E_TLS = -501;

  { ---- opcodes, close codes, answers ------------------------------------- }
  IWS_OP_TEXT = 1;
  IWS_OP_BINARY = 2;
  IWS_OP_PING = 9;

  IWS_CLOSE_NORMAL = 1000;
  IWS_CLOSE_GOING_AWAY = 1001;
  IWS_CLOSE_PROTOCOL_ERROR = 1002;
  IWS_CLOSE_UNSUPPORTED_DATA = 1003;
  IWS_CLOSE_NO_STATUS = 1005;
  IWS_CLOSE_ABNORMAL = 1006;
  IWS_CLOSE_INVALID_DATA = 1007;
  IWS_CLOSE_POLICY_VIOLATION = 1008;
  IWS_CLOSE_MESSAGE_TOO_BIG = 1009;
  IWS_CLOSE_INTERNAL_ERROR = 1011;

  IWS_ACCEPT = 0;

  { on_http_head's answers (Since 0.6) }
  IWS_HTTP_BODY_BUFFER = 0;
  IWS_HTTP_BODY_STREAM = 1;

  IWS_LOG_ERROR = 1;
  IWS_LOG_WARN = 2;
  IWS_LOG_INFO = 3;
  IWS_LOG_DEBUG = 4;

  IWS_QUEUE_CLOSE = 0;
  IWS_QUEUE_ERROR = 1;

  { Components for iws_component_version (Since 0.6) }
  IWS_COMPONENT_ENGINE = 0;
  IWS_COMPONENT_OPENSSL = 1;
  IWS_COMPONENT_ZLIB = 2;
  IWS_COMPONENT_WSLAY = 3;
  IWS_COMPONENT_HIREDIS = 4;

  { TLS versions for IWS_OPT_TLS_MIN_VERSION (Since 0.3) }
  IWS_TLS_1_2 = 12;
  IWS_TLS_1_3 = 13;

  { Client certificates for IWS_OPT_TLS_VERIFY_CLIENT (Since 0.6) }
  IWS_TLS_VERIFY_NONE = 0;
  IWS_TLS_VERIFY_REQUEST = 1;
  IWS_TLS_VERIFY_REQUIRE = 2;

  { Listeners (iws_add_listener, Since 0.6) }
  IWS_LISTEN_TLS = 1;
  IWS_LISTENERS_MAX = 64;

  { What iws_conn_peer_cert reads (Since 0.6) }
  IWS_CERT_SUBJECT = 0;
  IWS_CERT_ISSUER = 1;
  IWS_CERT_PEM = 2;

  { ---- options ----------------------------------------------------------- }
  IWS_OPT_PORT = 1;
  IWS_OPT_IO_THREADS = 2;
  IWS_OPT_WORKER_THREADS = 3;
  IWS_OPT_MAX_CONNECTIONS = 4;
  IWS_OPT_MAX_MESSAGE_SIZE = 5;
  IWS_OPT_MAX_HANDSHAKE_SIZE = 6;
  IWS_OPT_HANDSHAKE_TIMEOUT_MS = 7;
  IWS_OPT_HEARTBEAT_INTERVAL_MS = 8;
  IWS_OPT_HEARTBEAT_TIMEOUT_MS = 9;
  IWS_OPT_SEND_QUEUE_LIMIT = 10;
  IWS_OPT_SEND_QUEUE_POLICY = 11;
  IWS_OPT_TCP_NODELAY = 12;
  IWS_OPT_LISTEN_BACKLOG = 13;
  IWS_OPT_CLOSE_TIMEOUT_MS = 14;
  IWS_OPT_STOP_TIMEOUT_MS = 15;
  IWS_OPT_LOG_LEVEL = 16;
  IWS_OPT_IPV6_ONLY = 17;
  IWS_OPT_ACCEPTS_POSTED = 18;
  { TLS (wss://), Since 0.3 }
  IWS_OPT_TLS_PORT = 19;
  IWS_OPT_TLS_MIN_VERSION = 20;
  IWS_OPT_TLS_HANDSHAKE_TIMEOUT_MS = 21;
  { client certificates, Since 0.6 }
  IWS_OPT_TLS_VERIFY_CLIENT = 22;
  IWS_OPT_TLS_VERIFY_DEPTH = 23;
  { permessage-deflate (RFC 7692), Since 0.4 }
  IWS_OPT_DEFLATE = 30;
  IWS_OPT_DEFLATE_SERVER_MAX_WINDOW_BITS = 31;
  IWS_OPT_DEFLATE_CLIENT_MAX_WINDOW_BITS = 32;
  IWS_OPT_DEFLATE_SERVER_NO_CONTEXT_TAKEOVER = 33;
  IWS_OPT_DEFLATE_CLIENT_NO_CONTEXT_TAKEOVER = 34;
  IWS_OPT_DEFLATE_MEM_LEVEL = 35;
  IWS_OPT_DEFLATE_LEVEL = 36;
  IWS_OPT_DEFLATE_THRESHOLD = 37;
  IWS_OPT_DEFLATE_MAX_INFLATED_SIZE = 38;
  { Since 0.4: channels across servers through Redis }
  IWS_OPT_REDIS_RECONNECT_MAX_MS = 40;
  { HTTP, Since 0.5 }
  IWS_OPT_HTTP_MAX_BODY_SIZE = 50;
  IWS_OPT_HTTP_MAX_URI_LENGTH = 51;
  IWS_OPT_HTTP_REQUEST_TIMEOUT_MS = 52;
  IWS_OPT_HTTP_KEEPALIVE_TIMEOUT_MS = 53;
  IWS_OPT_HTTP_RESPONSE_TIMEOUT_MS = 54;
  IWS_OPT_HTTP_MAX_PIPELINED = 55;
  { Since 0.6 }
  IWS_OPT_INCOMPLETE_MESSAGES_LIMIT = 56;
  IWS_OPT_TCP_KEEPALIVE = 57;
  IWS_OPT_TCP_KEEPALIVE_TIME_MS = 58;
  IWS_OPT_TCP_KEEPALIVE_INTERVAL_MS = 59;
  { Since 0.6: 1 = the heartbeat pings only connections from which no
    message came during the last interval (hbtOnlyIfNoMsgRcvInterval) }
  IWS_OPT_HEARTBEAT_IF_IDLE = 60;

  IWS_OPT_BIND_ADDRESS = 10001;
  IWS_OPT_SUBPROTOCOLS = 10002;
  { TLS strings, Since 0.3 }
  IWS_OPT_TLS_CERT_FILE = 10003;
  IWS_OPT_TLS_KEY_FILE = 10004;
  IWS_OPT_TLS_CA_FILE = 10005;
  IWS_OPT_TLS_PASSWORD = 10006;
  IWS_OPT_TLS_CERT_PEM = 10007;
  IWS_OPT_TLS_KEY_PEM = 10008;
  IWS_OPT_TLS_CA_PEM = 10009;
  IWS_OPT_TLS_CIPHERS = 10010;
  IWS_OPT_TLS_CIPHERSUITES = 10011;
  { client certificates, Since 0.6 }
  IWS_OPT_TLS_CLIENT_CA_FILE = 10012;
  IWS_OPT_TLS_CLIENT_CA_PEM = 10013;
  { Since 0.4 }
  IWS_OPT_REDIS_URL = 10040;
  IWS_OPT_REDIS_PREFIX = 10041;
  { HTTP strings, Since 0.5 }
  IWS_OPT_HTTP_DOCUMENT_ROOT = 10050;
  IWS_OPT_HTTP_INDEX_FILE = 10051;

  IWS_ADDRESS_SIZE = 64;

type
  { Opaque handles (pointers to C structs the caller never looks into). }
  piws_server = type Pointer;
  piws_request = type Pointer;
  { Since 0.5: the answer to one HTTP request (iws_http_*). }
  piws_http_response = type Pointer;
  { A connection id: 64-bit, starts at 1, never reused; 0 is no connection. }
  iws_conn_id = UInt64;
  piws_conn_id = ^iws_conn_id;

  { ---- callbacks --------------------------------------------------------- }
  iws_on_connect_fn = function(server: piws_server; id: iws_conn_id;
    request: piws_request; user: Pointer): Int32;
    {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
  iws_on_message_fn = procedure(server: piws_server; id: iws_conn_id;
    opcode: UInt32; data: PByte; length: UInt64; user: Pointer);
    {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
  iws_on_disconnect_fn = procedure(server: piws_server; id: iws_conn_id;
    code: UInt32; reason: PAnsiChar; reason_length: UInt32; user: Pointer);
    {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
  iws_on_error_fn = procedure(server: piws_server; id: iws_conn_id;
    code: Int32; message: PAnsiChar; user: Pointer);
    {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
  iws_on_log_fn = procedure(server: piws_server; level: Int32;
    message: PAnsiChar; user: Pointer);
    {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
  { Since 0.5 }
  iws_on_http_request_fn = procedure(server: piws_server; id: iws_conn_id;
    request: piws_request; response: piws_http_response; user: Pointer);
    {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
  { Since 0.6: every connection's start (at accept) and end }
  iws_on_open_fn = procedure(server: piws_server; id: iws_conn_id;
    user: Pointer);
    {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
  iws_on_close_fn = procedure(server: piws_server; id: iws_conn_id;
    user: Pointer);
    {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
  { Since 0.6: before a heartbeat ping; return 1 = handled (no ping) }
  iws_on_heartbeat_fn = function(server: piws_server; id: iws_conn_id;
    user: Pointer): Int32;
    {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
  { Since 0.6: a plain HTTP request's head before its body (returns
    IWS_HTTP_BODY_BUFFER, IWS_HTTP_BODY_STREAM or a status 400..599), and
    the pieces of a body it streamed (returns 0 or a status 400..599) }
  iws_on_http_head_fn = function(server: piws_server; id: iws_conn_id;
    request: piws_request; user: Pointer): Int32;
    {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
  iws_on_http_body_fn = function(server: piws_server; id: iws_conn_id;
    data: PByte; length: UInt32; user: Pointer): Int32;
    {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
  iws_filter_fn = function(id: iws_conn_id; conn_user_data: Pointer;
    context: Pointer): Int32;
    {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};

  { The callback table: struct_size := SizeOf(iws_callbacks). }
  piws_callbacks = ^iws_callbacks;
  iws_callbacks = record
    struct_size: UInt32;
    reserved0: UInt32;
    on_connect: iws_on_connect_fn;
    on_message: iws_on_message_fn;
    on_disconnect: iws_on_disconnect_fn;
    on_error: iws_on_error_fn;
    on_log: iws_on_log_fn;
    { Since 0.5 }
    on_http_request: iws_on_http_request_fn;
    { Since 0.6 }
    on_open: iws_on_open_fn;
    on_close: iws_on_close_fn;
    on_heartbeat: iws_on_heartbeat_fn;
    on_http_head: iws_on_http_head_fn;
    on_http_body: iws_on_http_body_fn;
  end;

  { Counters since iws_create: struct_size := SizeOf(iws_stats). }
  piws_stats = ^iws_stats;
  iws_stats = record
    struct_size: UInt32;
    reserved0: UInt32;
    connections_current: UInt64;
    connections_total: UInt64;
    handshakes_refused: UInt64;
    messages_in: UInt64;
    messages_out: UInt64;
    bytes_in: UInt64;
    bytes_out: UInt64;
    bytes_queued: UInt64;
    { Since 0.4: channels }
    channels_current: UInt64;
    subscriptions_current: UInt64;
    publishes: UInt64;
    redis_out: UInt64;
    redis_in: UInt64;
    redis_connected: UInt64;
    { Since 0.5: HTTP }
    http_requests: UInt64;
    http_refused: UInt64;
    http_connections_current: UInt64;
  end;

  { Every iocpws error raised as an exception; Code is the IWS_E_* value. }
  EIocpWs = class(Exception)
  private
    FCode: Integer;
  public
    constructor CreateCode(ACode: Integer; const AMessage: string);
    property Code: Integer read FCode;
  end;

  { A library that cannot be used: not found, a function missing, another
    ABI (Code IWS_E_ABI_MISMATCH), not loadable (Code IWS_E_SYSTEM). }
  EIocpWsLibrary = class(EIocpWs);

{ ---- library ------------------------------------------------------------- }
function iws_version: UInt32;
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
function iws_version_string: PAnsiChar;
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
function iws_abi_version: UInt32;
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
function iws_struct_layout(struct_name, field_name: PAnsiChar): Int32;
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
function iws_strerror(code: Int32): PAnsiChar;
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
function iws_error_name(code: Int32): PAnsiChar;
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};

{ ---- life cycle ---------------------------------------------------------- }
function iws_create(abi_version: UInt32; callbacks: piws_callbacks;
  user: Pointer; out server: piws_server): Int32;
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
function iws_set_int(server: piws_server; option: Int32; value: Int64): Int32;
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
function iws_set_str(server: piws_server; option: Int32;
  value: PAnsiChar): Int32;
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
function iws_get_int(server: piws_server; option: Int32;
  out value: Int64): Int32;
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
function iws_get_str(server: piws_server; option: Int32; buffer: PAnsiChar;
  size: UInt32; needed: PUInt32): Int32;
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
function iws_start(server: piws_server): Int32;
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
function iws_get_port(server: piws_server; out port: UInt32): Int32;
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
function iws_get_tls_port(server: piws_server; out port: UInt32): Int32;
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
function iws_tls_add_host(server: piws_server; host_name, cert, key,
  password: PAnsiChar): Int32;
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
function iws_stop(server: piws_server): Int32;
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
function iws_destroy(server: piws_server): Int32;
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
function iws_last_error(server: piws_server; buffer: PAnsiChar;
  size: UInt32): Int32;
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};

{ ---- sending and closing ------------------------------------------------- }
function iws_send(server: piws_server; id: iws_conn_id; opcode: UInt32;
  data: Pointer; length: UInt64): Int32;
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
function iws_send_text(server: piws_server; id: iws_conn_id; text: PAnsiChar;
  length: UInt64): Int32;
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
function iws_send_binary(server: piws_server; id: iws_conn_id; data: Pointer;
  length: UInt64): Int32;
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
function iws_ping(server: piws_server; id: iws_conn_id; data: Pointer;
  length: UInt32): Int32;
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
function iws_close(server: piws_server; id: iws_conn_id; code: UInt32;
  reason: PAnsiChar; reason_length: UInt32): Int32;
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
function iws_disconnect(server: piws_server; id: iws_conn_id): Int32;
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
function iws_broadcast(server: piws_server; opcode: UInt32; data: Pointer;
  length: UInt64; exclude: piws_conn_id; exclude_count: UInt32;
  sent: PUInt32): Int32;
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
function iws_broadcast_filter(server: piws_server; opcode: UInt32;
  data: Pointer; length: UInt64; filter: iws_filter_fn; context: Pointer;
  sent: PUInt32): Int32;
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};

{ ---- channels (Since 0.4) ------------------------------------------------ }
function iws_subscribe(server: piws_server; id: iws_conn_id;
  channel: PAnsiChar): Int32;
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
function iws_unsubscribe(server: piws_server; id: iws_conn_id;
  channel: PAnsiChar): Int32;
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
function iws_publish(server: piws_server; channel: PAnsiChar; opcode: UInt32;
  data: Pointer; length: UInt64; exclude: piws_conn_id; exclude_count: UInt32;
  sent: PUInt32): Int32;
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
function iws_conn_channels(server: piws_server; id: iws_conn_id;
  buffer: PAnsiChar; size: UInt32; needed: PUInt32): Int32;
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};

{ ---- connection details -------------------------------------------------- }
function iws_conn_set_user_data(server: piws_server; id: iws_conn_id;
  data: Pointer): Int32;
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
function iws_conn_get_user_data(server: piws_server; id: iws_conn_id;
  out data: Pointer): Int32;
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
function iws_conn_peer(server: piws_server; id: iws_conn_id;
  buffer: PAnsiChar; size: UInt32; port: PUInt32): Int32;
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
function iws_conn_path(server: piws_server; id: iws_conn_id;
  buffer: PAnsiChar; size: UInt32; needed: PUInt32): Int32;
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
function iws_conn_protocol(server: piws_server; id: iws_conn_id;
  buffer: PAnsiChar; size: UInt32; needed: PUInt32): Int32;
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};

{ ---- the handshake request (inside on_connect only) ---------------------- }
function iws_request_path(request: piws_request): PAnsiChar;
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
function iws_request_header(request: piws_request; name: PAnsiChar): PAnsiChar;
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
function iws_request_header_count(request: piws_request): UInt32;
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
function iws_request_header_at(request: piws_request; index: UInt32;
  out name: PAnsiChar; out value: PAnsiChar): Int32;
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
function iws_request_protocol_count(request: piws_request): UInt32;
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
function iws_request_protocol_at(request: piws_request;
  index: UInt32): PAnsiChar;
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
function iws_request_select_protocol(request: piws_request;
  protocol: PAnsiChar): Int32;
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};

{ ---- plain HTTP requests (inside on_http_request; Since 0.5) ------------ }
function iws_request_method(request: piws_request): PAnsiChar;
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
function iws_request_document(request: piws_request): PAnsiChar;
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
{ Since 0.6: "HTTP/1.1", "HTTP/1.0" (Indy's RequestInfo.Version) }
function iws_request_version(request: piws_request): PAnsiChar;
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
function iws_request_query(request: piws_request): PAnsiChar;
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
function iws_request_param_count(request: piws_request): UInt32;
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
function iws_request_param_at(request: piws_request; index: UInt32;
  out name: PAnsiChar; out value: PAnsiChar): Int32;
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
function iws_request_param(request: piws_request; name: PAnsiChar): PAnsiChar;
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
function iws_request_body(request: piws_request; out data: PByte;
  out length: UInt64): Int32;
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};

{ ---- HTTP responses (Since 0.5) ------------------------------------------ }
function iws_http_set_status(response: piws_http_response; status: Int32;
  reason: PAnsiChar): Int32;
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
function iws_http_add_header(response: piws_http_response; name,
  value: PAnsiChar): Int32;
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
function iws_http_set_body(response: piws_http_response; data: Pointer;
  length: UInt64): Int32;
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
function iws_http_serve_file(response: piws_http_response;
  path: PAnsiChar): Int32;
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
function iws_http_defer(response: piws_http_response): Int32;
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
function iws_http_send(response: piws_http_response): Int32;
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
{ Since 0.6: a streamed response (Indy's WriteHeader / WriteContent) }
function iws_http_send_head(response: piws_http_response): Int32;
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
function iws_http_send_chunk(response: piws_http_response; data: Pointer;
  length: UInt64): Int32;
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
{ Since 0.6: sleeps until a streamed response has room again (see the
  header): never on an engine thread (IWS_E_IN_CALLBACK there) }
function iws_http_stream_wait(response: piws_http_response;
  timeout_ms: UInt32): Int32;
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
{ Since 0.6: inside on_http_head only, refuses the request with this
  answer (Indy's OnHeadersBlocked: VResponseNo, VResponseText,
  VContentText); reason/content_type nil: the standard phrase / none }
function iws_http_head_refuse(request: piws_request; status: Int32;
  reason, content_type: PAnsiChar; body: Pointer; length: UInt64): Int32;
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};

{ ---- statistics ---------------------------------------------------------- }
function iws_get_stats(server: piws_server; stats: piws_stats): Int32;
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};

{ ---- components (Since 0.6) ---------------------------------------------- }
{ name and version receive static strings ('' when there is nothing to
  report); IWS_E_UNSUPPORTED for a component this build lacks,
  IWS_E_INVALID_ARG for an unknown number. }
function iws_component_version(component: UInt32; out name: PAnsiChar;
  out version: PAnsiChar): Int32;
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};

{ ---- listeners and client certificates (Since 0.6) ------------------------ }
{ address nil or '' = IWS_OPT_BIND_ADDRESS; flags 0 or IWS_LISTEN_TLS. }
function iws_add_listener(server: piws_server; address: PAnsiChar;
  port: UInt32; flags: UInt32): Int32;
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
function iws_clear_listeners(server: piws_server): Int32;
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
function iws_get_listener_count(server: piws_server; out count: UInt32): Int32;
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
function iws_get_listener(server: piws_server; index: UInt32;
  out port: UInt32; flags: PUInt32): Int32;
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
function iws_conn_listener(server: piws_server; id: iws_conn_id;
  out index: UInt32): Int32;
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
function iws_conn_peer_cert(server: piws_server; id: iws_conn_id;
  what: UInt32; buffer: PAnsiChar; size: UInt32; needed: PUInt32): Int32;
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
{ Since 0.6: the certificate at depth of the verified chain (0 = the
  client's, the last = the trusted CA), as iws_conn_peer_cert;
  IWS_E_NOT_FOUND past the end }
function iws_conn_peer_chain_cert(server: piws_server; id: iws_conn_id;
  depth, what: UInt32; buffer: PAnsiChar; size: UInt32;
  needed: PUInt32): Int32;
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
{ ---- per-connection details and the handshake answer (Since 0.6) -------- }
{ The local end of a connection (the address the client reached), like
  iws_conn_peer. }
function iws_conn_local(server: piws_server; id: iws_conn_id;
  buffer: PAnsiChar; size: UInt32; port: PUInt32): Int32;
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
{ When the last pong arrived, in ms since 1970 UTC; 0 = none yet. }
function iws_conn_last_pong(server: piws_server; id: iws_conn_id;
  out unix_ms: UInt64): Int32;
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
{ Inside on_connect only: a header line for its answer (101 or refusal). }
function iws_request_add_response_header(request: piws_request; name,
  value: PAnsiChar): Int32;
  {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};

{ ---- loading and version ------------------------------------------------- }

{ The library file used by IOCPWS_DYNAMIC (a name the OS searches for, or a
  path). Change it before the first call or pass it to IocpWsLoad. }
var
  IocpWsLibraryName: string = IOCPWS_LIB;

{ IOCPWS_DYNAMIC: loads the library (LibraryName '' = IocpWsLibraryName) and
  resolves every function; raises EIocpWsLibrary naming the library or the
  function that is missing, or the ABI that does not match. Loading twice
  does nothing. Static builds: only checks the version. Thread-safe. }
procedure IocpWsLoad(const LibraryName: string = '');

{ True when the library is loaded and usable (always True for static
  builds, where the OS loaded it with the program). Never raises. }
function IocpWsLoaded: Boolean;

{ Raises EIocpWsLibrary unless iws_abi_version = IWS_HEADER_ABI_VERSION. }
procedure IocpWsCheckVersion;

{ The text of a status code: 'IWS_E_BIND: bind failed' (never raises; a
  library that cannot be loaded gives the number only). }
function IocpWsErrorText(Code: Integer): string;

{ The version of one part of the library (iws_component_version):
  IWS_COMPONENT_ENGINE, IWS_COMPONENT_OPENSSL ('3.0.17'), IWS_COMPONENT_ZLIB,
  IWS_COMPONENT_WSLAY, IWS_COMPONENT_HIREDIS; '' when this build does not
  contain it. Raises EIocpWs (IWS_E_INVALID_ARG) for a number the library
  does not know. Any thread. Since 0.6. }
function IocpWsComponentVersion(Component: UInt32): string;

{ Every component of the library with its version, for a log line or an
  About box: 'iocpws 0.6.0, OpenSSL 3.0.17, zlib 1.2.13, wslay 1.1.1'
  (components this build lacks are left out). Any thread. Since 0.6. }
function IocpWsVersions: string;

implementation

{$ifdef IOCPWS_DYNAMIC}
{ FPC: dynlibs; Delphi: Windows, or System's LoadLibrary on POSIX }
{$ifdef FPC}
uses
  dynlibs;
{$else} {$ifdef OSWINDOWS}
uses
  Windows;
{$endif} {$endif}
{$endif}

constructor EIocpWs.CreateCode(ACode: Integer; const AMessage: string);
begin
  inherited Create(AMessage);
  FCode := ACode;
end;

{$ifndef IOCPWS_DYNAMIC}

{ ---- static imports ------------------------------------------------------ }
function iws_version; external IOCPWS_LIB name 'iws_version';
function iws_version_string; external IOCPWS_LIB name 'iws_version_string';
function iws_abi_version; external IOCPWS_LIB name 'iws_abi_version';
function iws_struct_layout; external IOCPWS_LIB name 'iws_struct_layout';
function iws_strerror; external IOCPWS_LIB name 'iws_strerror';
function iws_error_name; external IOCPWS_LIB name 'iws_error_name';
function iws_create; external IOCPWS_LIB name 'iws_create';
function iws_set_int; external IOCPWS_LIB name 'iws_set_int';
function iws_set_str; external IOCPWS_LIB name 'iws_set_str';
function iws_get_int; external IOCPWS_LIB name 'iws_get_int';
function iws_get_str; external IOCPWS_LIB name 'iws_get_str';
function iws_start; external IOCPWS_LIB name 'iws_start';
function iws_get_port; external IOCPWS_LIB name 'iws_get_port';
function iws_get_tls_port; external IOCPWS_LIB name 'iws_get_tls_port';
function iws_tls_add_host; external IOCPWS_LIB name 'iws_tls_add_host';
function iws_stop; external IOCPWS_LIB name 'iws_stop';
function iws_destroy; external IOCPWS_LIB name 'iws_destroy';
function iws_last_error; external IOCPWS_LIB name 'iws_last_error';
function iws_send; external IOCPWS_LIB name 'iws_send';
function iws_send_text; external IOCPWS_LIB name 'iws_send_text';
function iws_send_binary; external IOCPWS_LIB name 'iws_send_binary';
function iws_ping; external IOCPWS_LIB name 'iws_ping';
function iws_close; external IOCPWS_LIB name 'iws_close';
function iws_disconnect; external IOCPWS_LIB name 'iws_disconnect';
function iws_broadcast; external IOCPWS_LIB name 'iws_broadcast';
function iws_broadcast_filter; external IOCPWS_LIB name 'iws_broadcast_filter';
function iws_subscribe; external IOCPWS_LIB name 'iws_subscribe';
function iws_unsubscribe; external IOCPWS_LIB name 'iws_unsubscribe';
function iws_publish; external IOCPWS_LIB name 'iws_publish';
function iws_conn_channels; external IOCPWS_LIB name 'iws_conn_channels';
function iws_conn_set_user_data; external IOCPWS_LIB name 'iws_conn_set_user_data';
function iws_conn_get_user_data; external IOCPWS_LIB name 'iws_conn_get_user_data';
function iws_conn_peer; external IOCPWS_LIB name 'iws_conn_peer';
function iws_conn_path; external IOCPWS_LIB name 'iws_conn_path';
function iws_conn_protocol; external IOCPWS_LIB name 'iws_conn_protocol';
function iws_request_path; external IOCPWS_LIB name 'iws_request_path';
function iws_request_header; external IOCPWS_LIB name 'iws_request_header';
function iws_request_header_count; external IOCPWS_LIB name 'iws_request_header_count';
function iws_request_header_at; external IOCPWS_LIB name 'iws_request_header_at';
function iws_request_protocol_count; external IOCPWS_LIB name 'iws_request_protocol_count';
function iws_request_protocol_at; external IOCPWS_LIB name 'iws_request_protocol_at';
function iws_request_select_protocol; external IOCPWS_LIB name 'iws_request_select_protocol';
function iws_get_stats; external IOCPWS_LIB name 'iws_get_stats';
function iws_component_version; external IOCPWS_LIB name 'iws_component_version';
function iws_add_listener; external IOCPWS_LIB name 'iws_add_listener';
function iws_clear_listeners; external IOCPWS_LIB name 'iws_clear_listeners';
function iws_get_listener_count; external IOCPWS_LIB name 'iws_get_listener_count';
function iws_get_listener; external IOCPWS_LIB name 'iws_get_listener';
function iws_conn_listener; external IOCPWS_LIB name 'iws_conn_listener';
function iws_conn_peer_cert; external IOCPWS_LIB name 'iws_conn_peer_cert';
function iws_request_method; external IOCPWS_LIB name 'iws_request_method';
function iws_request_document; external IOCPWS_LIB name 'iws_request_document';
function iws_request_version; external IOCPWS_LIB name 'iws_request_version';
function iws_request_query; external IOCPWS_LIB name 'iws_request_query';
function iws_request_param_count; external IOCPWS_LIB name 'iws_request_param_count';
function iws_request_param_at; external IOCPWS_LIB name 'iws_request_param_at';
function iws_request_param; external IOCPWS_LIB name 'iws_request_param';
function iws_request_body; external IOCPWS_LIB name 'iws_request_body';
function iws_http_set_status; external IOCPWS_LIB name 'iws_http_set_status';
function iws_http_add_header; external IOCPWS_LIB name 'iws_http_add_header';
function iws_http_set_body; external IOCPWS_LIB name 'iws_http_set_body';
function iws_http_serve_file; external IOCPWS_LIB name 'iws_http_serve_file';
function iws_http_defer; external IOCPWS_LIB name 'iws_http_defer';
function iws_http_send; external IOCPWS_LIB name 'iws_http_send';
function iws_conn_local; external IOCPWS_LIB name 'iws_conn_local';
function iws_conn_last_pong; external IOCPWS_LIB name 'iws_conn_last_pong';
function iws_request_add_response_header; external IOCPWS_LIB name 'iws_request_add_response_header';
function iws_http_send_head; external IOCPWS_LIB name 'iws_http_send_head';
function iws_http_send_chunk; external IOCPWS_LIB name 'iws_http_send_chunk';
function iws_http_stream_wait; external IOCPWS_LIB name 'iws_http_stream_wait';
function iws_http_head_refuse; external IOCPWS_LIB name 'iws_http_head_refuse';
function iws_conn_peer_chain_cert; external IOCPWS_LIB name 'iws_conn_peer_chain_cert';

procedure IocpWsLoad(const LibraryName: string);
begin
  IocpWsCheckVersion;
end;

function IocpWsLoaded: Boolean;
begin
  Result := True;
end;

{$else IOCPWS_DYNAMIC}

{ ---- dynamic loading ----------------------------------------------------- }
{ One function pointer per export, in the order of IOCPWS_ENTRY_NAMES. }
type
  TIocpWsApi = record
    version: function: UInt32; {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
    version_string: function: PAnsiChar; {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
    abi_version: function: UInt32; {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
    struct_layout: function(struct_name, field_name: PAnsiChar): Int32; {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
    strerror: function(code: Int32): PAnsiChar; {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
    error_name: function(code: Int32): PAnsiChar; {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
    create: function(abi_version: UInt32; callbacks: piws_callbacks; user: Pointer; out server: piws_server): Int32; {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
    set_int: function(server: piws_server; option: Int32; value: Int64): Int32; {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
    set_str: function(server: piws_server; option: Int32; value: PAnsiChar): Int32; {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
    get_int: function(server: piws_server; option: Int32; out value: Int64): Int32; {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
    get_str: function(server: piws_server; option: Int32; buffer: PAnsiChar; size: UInt32; needed: PUInt32): Int32; {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
    start: function(server: piws_server): Int32; {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
    get_port: function(server: piws_server; out port: UInt32): Int32; {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
    get_tls_port: function(server: piws_server; out port: UInt32): Int32; {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
    tls_add_host: function(server: piws_server; host_name, cert, key, password: PAnsiChar): Int32; {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
    stop: function(server: piws_server): Int32; {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
    destroy: function(server: piws_server): Int32; {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
    last_error: function(server: piws_server; buffer: PAnsiChar; size: UInt32): Int32; {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
    send: function(server: piws_server; id: iws_conn_id; opcode: UInt32; data: Pointer; length: UInt64): Int32; {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
    send_text: function(server: piws_server; id: iws_conn_id; text: PAnsiChar; length: UInt64): Int32; {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
    send_binary: function(server: piws_server; id: iws_conn_id; data: Pointer; length: UInt64): Int32; {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
    ping: function(server: piws_server; id: iws_conn_id; data: Pointer; length: UInt32): Int32; {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
    close: function(server: piws_server; id: iws_conn_id; code: UInt32; reason: PAnsiChar; reason_length: UInt32): Int32; {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
    disconnect: function(server: piws_server; id: iws_conn_id): Int32; {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
    broadcast: function(server: piws_server; opcode: UInt32; data: Pointer; length: UInt64; exclude: piws_conn_id; exclude_count: UInt32; sent: PUInt32): Int32; {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
    broadcast_filter: function(server: piws_server; opcode: UInt32; data: Pointer; length: UInt64; filter: iws_filter_fn; context: Pointer; sent: PUInt32): Int32; {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
    conn_set_user_data: function(server: piws_server; id: iws_conn_id; data: Pointer): Int32; {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
    conn_get_user_data: function(server: piws_server; id: iws_conn_id; out data: Pointer): Int32; {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
    conn_peer: function(server: piws_server; id: iws_conn_id; buffer: PAnsiChar; size: UInt32; port: PUInt32): Int32; {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
    conn_path: function(server: piws_server; id: iws_conn_id; buffer: PAnsiChar; size: UInt32; needed: PUInt32): Int32; {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
    conn_protocol: function(server: piws_server; id: iws_conn_id; buffer: PAnsiChar; size: UInt32; needed: PUInt32): Int32; {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
    request_path: function(request: piws_request): PAnsiChar; {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
    request_header: function(request: piws_request; name: PAnsiChar): PAnsiChar; {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
    request_header_count: function(request: piws_request): UInt32; {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
    request_header_at: function(request: piws_request; index: UInt32; out name: PAnsiChar; out value: PAnsiChar): Int32; {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
    request_protocol_count: function(request: piws_request): UInt32; {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
    request_protocol_at: function(request: piws_request; index: UInt32): PAnsiChar; {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
    request_select_protocol: function(request: piws_request; protocol: PAnsiChar): Int32; {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
    get_stats: function(server: piws_server; stats: piws_stats): Int32; {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
    subscribe: function(server: piws_server; id: iws_conn_id; channel: PAnsiChar): Int32; {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
    unsubscribe: function(server: piws_server; id: iws_conn_id; channel: PAnsiChar): Int32; {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
    publish: function(server: piws_server; channel: PAnsiChar; opcode: UInt32; data: Pointer; length: UInt64; exclude: piws_conn_id; exclude_count: UInt32; sent: PUInt32): Int32; {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
    conn_channels: function(server: piws_server; id: iws_conn_id; buffer: PAnsiChar; size: UInt32; needed: PUInt32): Int32; {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
    request_method: function(request: piws_request): PAnsiChar; {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
    request_document: function(request: piws_request): PAnsiChar; {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
    request_query: function(request: piws_request): PAnsiChar; {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
    request_param_count: function(request: piws_request): UInt32; {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
    request_param_at: function(request: piws_request; index: UInt32; out name: PAnsiChar; out value: PAnsiChar): Int32; {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
    request_param: function(request: piws_request; name: PAnsiChar): PAnsiChar; {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
    request_body: function(request: piws_request; out data: PByte; out length: UInt64): Int32; {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
    http_set_status: function(response: piws_http_response; status: Int32; reason: PAnsiChar): Int32; {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
    http_add_header: function(response: piws_http_response; name, value: PAnsiChar): Int32; {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
    http_set_body: function(response: piws_http_response; data: Pointer; length: UInt64): Int32; {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
    http_serve_file: function(response: piws_http_response; path: PAnsiChar): Int32; {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
    http_defer: function(response: piws_http_response): Int32; {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
    http_send: function(response: piws_http_response): Int32; {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
    component_version: function(component: UInt32; out name: PAnsiChar; out version: PAnsiChar): Int32; {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
    add_listener: function(server: piws_server; address: PAnsiChar; port: UInt32; flags: UInt32): Int32; {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
    clear_listeners: function(server: piws_server): Int32; {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
    get_listener_count: function(server: piws_server; out count: UInt32): Int32; {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
    get_listener: function(server: piws_server; index: UInt32; out port: UInt32; flags: PUInt32): Int32; {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
    conn_listener: function(server: piws_server; id: iws_conn_id; out index: UInt32): Int32; {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
    conn_peer_cert: function(server: piws_server; id: iws_conn_id; what: UInt32; buffer: PAnsiChar; size: UInt32; needed: PUInt32): Int32; {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
    conn_local: function(server: piws_server; id: iws_conn_id; buffer: PAnsiChar; size: UInt32; port: PUInt32): Int32; {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
    conn_last_pong: function(server: piws_server; id: iws_conn_id; out unix_ms: UInt64): Int32; {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
    request_add_response_header: function(request: piws_request; name, value: PAnsiChar): Int32; {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
    request_version: function(request: piws_request): PAnsiChar; {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
    http_send_head: function(response: piws_http_response): Int32; {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
    http_send_chunk: function(response: piws_http_response; data: Pointer; length: UInt64): Int32; {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
    http_stream_wait: function(response: piws_http_response; timeout_ms: UInt32): Int32; {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
    http_head_refuse: function(request: piws_request; status: Int32; reason, content_type: PAnsiChar; body: Pointer; length: UInt64): Int32; {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
    conn_peer_chain_cert: function(server: piws_server; id: iws_conn_id; depth, what: UInt32; buffer: PAnsiChar; size: UInt32; needed: PUInt32): Int32; {$ifdef OSWINDOWS}stdcall{$else}cdecl{$endif};
  end;

const
  IOCPWS_ENTRY_COUNT = 72;
  IOCPWS_ENTRY_NAMES: array[0..IOCPWS_ENTRY_COUNT - 1] of PAnsiChar = (
    'iws_version', 'iws_version_string', 'iws_abi_version',
    'iws_struct_layout', 'iws_strerror', 'iws_error_name',
    'iws_create', 'iws_set_int', 'iws_set_str', 'iws_get_int', 'iws_get_str',
    'iws_start', 'iws_get_port', 'iws_get_tls_port', 'iws_tls_add_host',
    'iws_stop', 'iws_destroy', 'iws_last_error',
    'iws_send', 'iws_send_text', 'iws_send_binary', 'iws_ping', 'iws_close',
    'iws_disconnect', 'iws_broadcast', 'iws_broadcast_filter',
    'iws_conn_set_user_data', 'iws_conn_get_user_data', 'iws_conn_peer',
    'iws_conn_path', 'iws_conn_protocol',
    'iws_request_path', 'iws_request_header', 'iws_request_header_count',
    'iws_request_header_at', 'iws_request_protocol_count',
    'iws_request_protocol_at', 'iws_request_select_protocol',
    'iws_get_stats',
    'iws_subscribe', 'iws_unsubscribe', 'iws_publish', 'iws_conn_channels',
    'iws_request_method', 'iws_request_document', 'iws_request_query',
    'iws_request_param_count', 'iws_request_param_at', 'iws_request_param',
    'iws_request_body',
    'iws_http_set_status', 'iws_http_add_header', 'iws_http_set_body',
    'iws_http_serve_file', 'iws_http_defer', 'iws_http_send',
    'iws_component_version',
    'iws_add_listener', 'iws_clear_listeners', 'iws_get_listener_count',
    'iws_get_listener', 'iws_conn_listener', 'iws_conn_peer_cert',
    'iws_conn_local', 'iws_conn_last_pong', 'iws_request_add_response_header',
    'iws_request_version', 'iws_http_send_head', 'iws_http_send_chunk',
    'iws_http_stream_wait', 'iws_http_head_refuse',
    'iws_conn_peer_chain_cert');

var
  Api: TIocpWsApi;
  ApiLoaded: Boolean = False;
  ApiLock: Integer = 0; { spin lock around loading }

function LoadErrorText: string;
begin
  {$ifdef FPC}
  Result := GetLoadErrorStr;
  {$else}
  {$ifdef OSWINDOWS}
  Result := SysErrorMessage(GetLastError);
  {$else}
  Result := 'dlopen failed';
  {$endif}
  {$endif}
end;

procedure DoLoad(const Name: string);
type
  TPointerTable = array[0..IOCPWS_ENTRY_COUNT - 1] of Pointer;
var
  H: {$ifdef FPC} TLibHandle {$else} HMODULE {$endif};
  Table: TIocpWsApi;
  P: Pointer;
  I: Integer;
begin
  {$ifdef FPC}
  H := LoadLibrary(Name);
  if H = NilHandle then
  {$else}
  H := LoadLibrary(PChar(Name));
  if H = 0 then
  {$endif}
    raise EIocpWsLibrary.CreateCode(IWS_E_SYSTEM, Format(
      'iocpws: cannot load the library %s (%s). Put it next to the ' +
      'program or on the library search path, or set IocpWsLibraryName.',
      [Name, LoadErrorText]));
  FillChar(Table, SizeOf(Table), 0);
  for I := 0 to IOCPWS_ENTRY_COUNT - 1 do
  begin
    {$ifdef FPC}
    P := GetProcedureAddress(H, AnsiString(IOCPWS_ENTRY_NAMES[I]));
    {$else} {$ifdef OSWINDOWS}
    P := GetProcAddress(H, IOCPWS_ENTRY_NAMES[I]);
    {$else}
    P := GetProcAddress(H, PChar(string(IOCPWS_ENTRY_NAMES[I])));
    {$endif} {$endif}
    if P = nil then
    begin
      {$ifdef FPC} UnloadLibrary(H); {$else} FreeLibrary(H); {$endif}
      raise EIocpWsLibrary.CreateCode(IWS_E_SYSTEM, Format(
        'iocpws: the library %s has no function %s: it is not iocpws, or ' +
        'older than these bindings (%s)',
        [Name, string(IOCPWS_ENTRY_NAMES[I]), IWS_HEADER_VERSION_STRING]));
    end;
    TPointerTable(Table)[I] := P;
  end;
  if Table.abi_version() <> IWS_HEADER_ABI_VERSION then
  begin
    I := Table.abi_version();
    {$ifdef FPC} UnloadLibrary(H); {$else} FreeLibrary(H); {$endif}
    raise EIocpWsLibrary.CreateCode(IWS_E_ABI_MISMATCH, Format(
      'iocpws: the library %s implements ABI %d, these bindings need ABI %d',
      [Name, I, IWS_HEADER_ABI_VERSION]));
  end;
  Api := Table; { loaded for the life of the process: never unloaded, the
                  engine's threads may outlive any unit finalization }
end;

procedure IocpWsLoad(const LibraryName: string);
var
  Name: string;
begin
  if ApiLoaded then
    Exit;
  {$ifdef FPC}
  while InterlockedCompareExchange(ApiLock, 1, 0) <> 0 do
  {$else}
  while AtomicCmpExchange(ApiLock, 1, 0) <> 0 do
  {$endif}
    Sleep(0);
  try
    if not ApiLoaded then
    begin
      Name := LibraryName;
      if Name = '' then
        Name := IocpWsLibraryName;
      DoLoad(Name);
      ApiLoaded := True;
    end;
  finally
    {$ifdef FPC} InterlockedExchange(ApiLock, 0); {$else} AtomicExchange(ApiLock, 0); {$endif}
  end;
end;

function IocpWsLoaded: Boolean;
begin
  Result := ApiLoaded;
end;

procedure Need; {$ifdef HASINLINE} inline; {$endif}
begin
  if not ApiLoaded then
    IocpWsLoad('');
end;

function iws_version: UInt32;
begin Need; Result := Api.version(); end;
function iws_version_string: PAnsiChar;
begin Need; Result := Api.version_string(); end;
function iws_abi_version: UInt32;
begin Need; Result := Api.abi_version(); end;
function iws_struct_layout(struct_name, field_name: PAnsiChar): Int32;
begin Need; Result := Api.struct_layout(struct_name, field_name); end;
function iws_strerror(code: Int32): PAnsiChar;
begin Need; Result := Api.strerror(code); end;
function iws_error_name(code: Int32): PAnsiChar;
begin Need; Result := Api.error_name(code); end;
function iws_create(abi_version: UInt32; callbacks: piws_callbacks;
  user: Pointer; out server: piws_server): Int32;
begin Need; Result := Api.create(abi_version, callbacks, user, server); end;
function iws_set_int(server: piws_server; option: Int32; value: Int64): Int32;
begin Need; Result := Api.set_int(server, option, value); end;
function iws_set_str(server: piws_server; option: Int32;
  value: PAnsiChar): Int32;
begin Need; Result := Api.set_str(server, option, value); end;
function iws_get_int(server: piws_server; option: Int32;
  out value: Int64): Int32;
begin Need; Result := Api.get_int(server, option, value); end;
function iws_get_str(server: piws_server; option: Int32; buffer: PAnsiChar;
  size: UInt32; needed: PUInt32): Int32;
begin Need; Result := Api.get_str(server, option, buffer, size, needed); end;
function iws_start(server: piws_server): Int32;
begin Need; Result := Api.start(server); end;
function iws_get_port(server: piws_server; out port: UInt32): Int32;
begin Need; Result := Api.get_port(server, port); end;
function iws_get_tls_port(server: piws_server; out port: UInt32): Int32;
begin Need; Result := Api.get_tls_port(server, port); end;
function iws_tls_add_host(server: piws_server; host_name, cert, key,
  password: PAnsiChar): Int32;
begin Need; Result := Api.tls_add_host(server, host_name, cert, key, password); end;
function iws_stop(server: piws_server): Int32;
begin Need; Result := Api.stop(server); end;
function iws_destroy(server: piws_server): Int32;
begin Need; Result := Api.destroy(server); end;
function iws_last_error(server: piws_server; buffer: PAnsiChar;
  size: UInt32): Int32;
begin Need; Result := Api.last_error(server, buffer, size); end;
function iws_send(server: piws_server; id: iws_conn_id; opcode: UInt32;
  data: Pointer; length: UInt64): Int32;
begin Need; Result := Api.send(server, id, opcode, data, length); end;
function iws_send_text(server: piws_server; id: iws_conn_id; text: PAnsiChar;
  length: UInt64): Int32;
begin Need; Result := Api.send_text(server, id, text, length); end;
function iws_send_binary(server: piws_server; id: iws_conn_id; data: Pointer;
  length: UInt64): Int32;
begin Need; Result := Api.send_binary(server, id, data, length); end;
function iws_ping(server: piws_server; id: iws_conn_id; data: Pointer;
  length: UInt32): Int32;
begin Need; Result := Api.ping(server, id, data, length); end;
function iws_close(server: piws_server; id: iws_conn_id; code: UInt32;
  reason: PAnsiChar; reason_length: UInt32): Int32;
begin Need; Result := Api.close(server, id, code, reason, reason_length); end;
function iws_disconnect(server: piws_server; id: iws_conn_id): Int32;
begin Need; Result := Api.disconnect(server, id); end;
function iws_broadcast(server: piws_server; opcode: UInt32; data: Pointer;
  length: UInt64; exclude: piws_conn_id; exclude_count: UInt32;
  sent: PUInt32): Int32;
begin Need; Result := Api.broadcast(server, opcode, data, length, exclude, exclude_count, sent); end;
function iws_broadcast_filter(server: piws_server; opcode: UInt32;
  data: Pointer; length: UInt64; filter: iws_filter_fn; context: Pointer;
  sent: PUInt32): Int32;
begin Need; Result := Api.broadcast_filter(server, opcode, data, length, filter, context, sent); end;
function iws_conn_set_user_data(server: piws_server; id: iws_conn_id;
  data: Pointer): Int32;
begin Need; Result := Api.conn_set_user_data(server, id, data); end;
function iws_conn_get_user_data(server: piws_server; id: iws_conn_id;
  out data: Pointer): Int32;
begin Need; Result := Api.conn_get_user_data(server, id, data); end;
function iws_conn_peer(server: piws_server; id: iws_conn_id;
  buffer: PAnsiChar; size: UInt32; port: PUInt32): Int32;
begin Need; Result := Api.conn_peer(server, id, buffer, size, port); end;
function iws_conn_path(server: piws_server; id: iws_conn_id;
  buffer: PAnsiChar; size: UInt32; needed: PUInt32): Int32;
begin Need; Result := Api.conn_path(server, id, buffer, size, needed); end;
function iws_conn_protocol(server: piws_server; id: iws_conn_id;
  buffer: PAnsiChar; size: UInt32; needed: PUInt32): Int32;
begin Need; Result := Api.conn_protocol(server, id, buffer, size, needed); end;
function iws_request_path(request: piws_request): PAnsiChar;
begin Need; Result := Api.request_path(request); end;
function iws_request_header(request: piws_request; name: PAnsiChar): PAnsiChar;
begin Need; Result := Api.request_header(request, name); end;
function iws_request_header_count(request: piws_request): UInt32;
begin Need; Result := Api.request_header_count(request); end;
function iws_request_header_at(request: piws_request; index: UInt32;
  out name: PAnsiChar; out value: PAnsiChar): Int32;
begin Need; Result := Api.request_header_at(request, index, name, value); end;
function iws_request_protocol_count(request: piws_request): UInt32;
begin Need; Result := Api.request_protocol_count(request); end;
function iws_request_protocol_at(request: piws_request;
  index: UInt32): PAnsiChar;
begin Need; Result := Api.request_protocol_at(request, index); end;
function iws_request_select_protocol(request: piws_request;
  protocol: PAnsiChar): Int32;
begin Need; Result := Api.request_select_protocol(request, protocol); end;
function iws_get_stats(server: piws_server; stats: piws_stats): Int32;
begin Need; Result := Api.get_stats(server, stats); end;
function iws_subscribe(server: piws_server; id: iws_conn_id;
  channel: PAnsiChar): Int32;
begin Need; Result := Api.subscribe(server, id, channel); end;
function iws_unsubscribe(server: piws_server; id: iws_conn_id;
  channel: PAnsiChar): Int32;
begin Need; Result := Api.unsubscribe(server, id, channel); end;
function iws_publish(server: piws_server; channel: PAnsiChar; opcode: UInt32;
  data: Pointer; length: UInt64; exclude: piws_conn_id; exclude_count: UInt32;
  sent: PUInt32): Int32;
begin Need; Result := Api.publish(server, channel, opcode, data, length, exclude, exclude_count, sent); end;
function iws_conn_channels(server: piws_server; id: iws_conn_id;
  buffer: PAnsiChar; size: UInt32; needed: PUInt32): Int32;
begin Need; Result := Api.conn_channels(server, id, buffer, size, needed); end;
function iws_request_method(request: piws_request): PAnsiChar;
begin Need; Result := Api.request_method(request); end;
function iws_request_document(request: piws_request): PAnsiChar;
begin Need; Result := Api.request_document(request); end;
function iws_request_version(request: piws_request): PAnsiChar;
begin Need; Result := Api.request_version(request); end;
function iws_http_send_head(response: piws_http_response): Int32;
begin Need; Result := Api.http_send_head(response); end;
function iws_http_send_chunk(response: piws_http_response; data: Pointer;
  length: UInt64): Int32;
begin Need; Result := Api.http_send_chunk(response, data, length); end;
function iws_http_stream_wait(response: piws_http_response;
  timeout_ms: UInt32): Int32;
begin Need; Result := Api.http_stream_wait(response, timeout_ms); end;
function iws_http_head_refuse(request: piws_request; status: Int32;
  reason, content_type: PAnsiChar; body: Pointer; length: UInt64): Int32;
begin Need; Result := Api.http_head_refuse(request, status, reason, content_type, body, length); end;
function iws_request_query(request: piws_request): PAnsiChar;
begin Need; Result := Api.request_query(request); end;
function iws_request_param_count(request: piws_request): UInt32;
begin Need; Result := Api.request_param_count(request); end;
function iws_request_param_at(request: piws_request; index: UInt32;
  out name: PAnsiChar; out value: PAnsiChar): Int32;
begin Need; Result := Api.request_param_at(request, index, name, value); end;
function iws_request_param(request: piws_request; name: PAnsiChar): PAnsiChar;
begin Need; Result := Api.request_param(request, name); end;
function iws_request_body(request: piws_request; out data: PByte;
  out length: UInt64): Int32;
begin Need; Result := Api.request_body(request, data, length); end;
function iws_http_set_status(response: piws_http_response; status: Int32;
  reason: PAnsiChar): Int32;
begin Need; Result := Api.http_set_status(response, status, reason); end;
function iws_http_add_header(response: piws_http_response; name,
  value: PAnsiChar): Int32;
begin Need; Result := Api.http_add_header(response, name, value); end;
function iws_http_set_body(response: piws_http_response; data: Pointer;
  length: UInt64): Int32;
begin Need; Result := Api.http_set_body(response, data, length); end;
function iws_http_serve_file(response: piws_http_response;
  path: PAnsiChar): Int32;
begin Need; Result := Api.http_serve_file(response, path); end;
function iws_http_defer(response: piws_http_response): Int32;
begin Need; Result := Api.http_defer(response); end;
function iws_http_send(response: piws_http_response): Int32;
begin Need; Result := Api.http_send(response); end;
function iws_component_version(component: UInt32; out name: PAnsiChar;
  out version: PAnsiChar): Int32;
begin Need; Result := Api.component_version(component, name, version); end;
function iws_add_listener(server: piws_server; address: PAnsiChar;
  port: UInt32; flags: UInt32): Int32;
begin Need; Result := Api.add_listener(server, address, port, flags); end;
function iws_clear_listeners(server: piws_server): Int32;
begin Need; Result := Api.clear_listeners(server); end;
function iws_get_listener_count(server: piws_server; out count: UInt32): Int32;
begin Need; Result := Api.get_listener_count(server, count); end;
function iws_get_listener(server: piws_server; index: UInt32;
  out port: UInt32; flags: PUInt32): Int32;
begin Need; Result := Api.get_listener(server, index, port, flags); end;
function iws_conn_listener(server: piws_server; id: iws_conn_id;
  out index: UInt32): Int32;
begin Need; Result := Api.conn_listener(server, id, index); end;
function iws_conn_peer_cert(server: piws_server; id: iws_conn_id;
  what: UInt32; buffer: PAnsiChar; size: UInt32; needed: PUInt32): Int32;
begin Need; Result := Api.conn_peer_cert(server, id, what, buffer, size, needed); end;
function iws_conn_peer_chain_cert(server: piws_server; id: iws_conn_id;
  depth, what: UInt32; buffer: PAnsiChar; size: UInt32;
  needed: PUInt32): Int32;
begin Need; Result := Api.conn_peer_chain_cert(server, id, depth, what, buffer, size, needed); end;
function iws_conn_local(server: piws_server; id: iws_conn_id;
  buffer: PAnsiChar; size: UInt32; port: PUInt32): Int32;
begin Need; Result := Api.conn_local(server, id, buffer, size, port); end;
function iws_conn_last_pong(server: piws_server; id: iws_conn_id;
  out unix_ms: UInt64): Int32;
begin Need; Result := Api.conn_last_pong(server, id, unix_ms); end;
function iws_request_add_response_header(request: piws_request; name,
  value: PAnsiChar): Int32;
begin Need; Result := Api.request_add_response_header(request, name, value); end;

{$endif IOCPWS_DYNAMIC}

procedure IocpWsCheckVersion;
var
  Abi: UInt32;
begin
  Abi := iws_abi_version;
  if Abi <> IWS_HEADER_ABI_VERSION then
    raise EIocpWsLibrary.CreateCode(IWS_E_ABI_MISMATCH, Format(
      'iocpws: the library implements ABI %d, these bindings need ABI %d',
      [Abi, IWS_HEADER_ABI_VERSION]));
end;

function IocpWsComponentVersion(Component: UInt32): string;
var
  Name, Version: PAnsiChar;
  rc: Int32;
begin
  rc := iws_component_version(Component, Name, Version);
  if rc = IWS_E_UNSUPPORTED then
    Result := ''
  else if rc <> IWS_OK then
    raise EIocpWs.CreateCode(rc, Format('iocpws: component %d: %s',
      [Component, IocpWsErrorText(rc)]))
  else
    Result := string(UTF8String(Version));
end;

function IocpWsVersions: string;
var
  Name, Version: PAnsiChar;
  I: UInt32;
  rc: Int32;
begin
  Result := '';
  I := 0;
  repeat
    rc := iws_component_version(I, Name, Version);
    if rc = IWS_OK then
    begin
      if Result <> '' then
        Result := Result + ', ';
      Result := Result + string(UTF8String(Name)) + ' ' +
        string(UTF8String(Version));
    end;
    Inc(I);
  until (rc <> IWS_OK) and (rc <> IWS_E_UNSUPPORTED);
end;

function IocpWsErrorText(Code: Integer): string;
begin
  try
    Result := Format('%s: %s', [string(UTF8String(iws_error_name(Code))),
      string(UTF8String(iws_strerror(Code)))]);
  except
    Result := Format('iocpws error %d', [Code]);
  end;
end;

end.
