// iocpws.hpp - C++ bindings for the iocpws WebSocket server engine.
//
// Header-only, C++11 and later, no dependency besides the C headers in
// include/ (iocpws.h, and iocpws_loader.h for the run-time route). Written
// for g++, clang and C++Builder's clang-based compilers (bcc32c, bcc64,
// bcc64x): no C++14 features, no <thread>/<mutex> (mingw's win32 thread
// model lacks them), calling conventions through the C header's IWS_CALL /
// IWS_CALLBACK.
//
//   #include "iocpws.hpp"
//
//   iocpws::options opt;
//   opt.port = 8080;
//   iocpws::server srv(opt);
//   srv.on_message([](const iocpws::connection &c, const iocpws::message &m) {
//     c.send(m);                                   // echo
//   });
//   srv.start();
//
// Two ways to reach the library (bindings/cpp/README.md):
//  - linked (default): calls iws_* directly; link the import library
//    (libiocpws.dll.a, iocpws.lib, or one made with implib/mkexp) or
//    -liocpws on Linux.
//  - loaded at run time: #define IOCPWS_DYNAMIC before including this header
//    (or pass -DIOCPWS_DYNAMIC to the compiler for the whole program). Calls
//    go through the table iocpws_loader.h fills; no import library is
//    needed. The library is loaded by the first call that needs it (or by
//    iocpws::load(path)) and stays loaded until the process ends. Both
//    routes may even be mixed in one program: the classes that call the
//    library live in different inline namespaces, so they never collide at
//    link time; error, options, message and the enums are shared.
//
// Threads. Handlers run on the library's threads (I/O threads, or worker
// threads with options::worker_threads > 0), never on the thread that calls
// start(). One connection's handlers never run concurrently and arrive in
// order: on_connect, on_message..., on_disconnect exactly once. Different
// connections' handlers run concurrently: guard shared state. connection's
// send/close/ping and server::broadcast* are safe from any thread, inside
// handlers too. Construction, configure(), start(), stop(), the handler
// setters and destruction belong to the owner thread and must not be called
// from inside a handler (configure(), start() and stop() throw error with
// IWS_E_IN_CALLBACK there, the setters IWS_E_BAD_STATE; the destructor
// cannot throw: see ~server).
//
// Errors. A failing call throws iocpws::error, which carries the library's
// code (IWS_E_*) and its symbolic name. Exceptions thrown by your handlers
// never reach the C library: each trampoline catches everything and reports
// it to on_exception (or, without one, to on_log at IWS_LOG_ERROR).
//
// Texts are std::string holding UTF-8, as the library expects.
#ifndef IOCPWS_HPP
#define IOCPWS_HPP

#ifdef IOCPWS_DYNAMIC
#include "iocpws_loader.h"
#else
#include "iocpws.h"
#endif

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

// IOCPWS_C_(name): the C function iws_<name>, linked or from the loaded table.
#ifdef IOCPWS_DYNAMIC
#define IOCPWS_C_(name) (::iocpws::impl::api().name)
#else
#define IOCPWS_C_(name) (::iws_##name)
#endif

namespace iocpws {

// What does not call the library (types, error, options, message) is the
// same for both routes; the rest lives in an inline namespace per route, so
// translation units built linked and loaded can share one program.

/// A connection id: 64-bit, never 0, never reused within a server's life.
typedef iws_conn_id conn_id;

/// Counters since the server was created (iws_stats of iocpws.h).
typedef iws_stats stats;

/// on_connect's answer that accepts a connection; any HTTP status from 400
/// to 599 refuses it with that status instead.
const int accept = IWS_ACCEPT;

/// Message kinds (the RFC 6455 opcodes).
enum class opcode : uint32_t { text = IWS_OP_TEXT, binary = IWS_OP_BINARY };

/// The oldest TLS version a TLS listener accepts (TLS 1.3 is always offered;
/// 1.0 and 1.1 never are).
enum class tls_version : int {
  v1_2 = IWS_TLS_1_2,  ///< TLS 1.2 and 1.3 (the default)
  v1_3 = IWS_TLS_1_3   ///< TLS 1.3 only
};

/// Client certificates (options::tls_verify_client, Since 0.6).
enum class tls_verify : int {
  none = IWS_TLS_VERIFY_NONE,        ///< not asked for (the default)
  request = IWS_TLS_VERIFY_REQUEST,  ///< asked for; one sent must verify
  require = IWS_TLS_VERIFY_REQUIRE   ///< no verified certificate: refused
};

/// What connection::peer_cert reads (Since 0.6).
enum class cert_part : uint32_t {
  subject = IWS_CERT_SUBJECT,  ///< RFC 2253, "CN=alice,O=Example"
  issuer = IWS_CERT_ISSUER,    ///< RFC 2253
  pem = IWS_CERT_PEM           ///< the whole certificate, PEM text
};

/// What to do with a peer whose send queue is over options::send_queue_limit.
enum class queue_policy : int {
  close = IWS_QUEUE_CLOSE,  ///< close it with 1008 (the send throws IWS_E_CLOSING)
  error = IWS_QUEUE_ERROR   ///< keep it; the send throws IWS_E_QUEUE_FULL
};

namespace detail {

// The symbolic name of a status code without calling the library (an error
// thrown because the library could not be loaded needs one too). The tests
// compare it with iws_error_name for every code.
inline const char *code_name(int32_t code) noexcept {
  switch (code) {
#define IOCPWS_NAME_(c) \
  case c:               \
    return #c;
    IOCPWS_NAME_(IWS_OK)
    IOCPWS_NAME_(IWS_E_INVALID_ARG)
    IOCPWS_NAME_(IWS_E_BAD_STATE)
    IOCPWS_NAME_(IWS_E_ABI_MISMATCH)
    IOCPWS_NAME_(IWS_E_UNKNOWN_OPTION)
    IOCPWS_NAME_(IWS_E_OPTION_TYPE)
    IOCPWS_NAME_(IWS_E_OPTION_RANGE)
    IOCPWS_NAME_(IWS_E_IN_CALLBACK)
    IOCPWS_NAME_(IWS_E_BUFFER_TOO_SMALL)
    IOCPWS_NAME_(IWS_E_INVALID_UTF8)
    IOCPWS_NAME_(IWS_E_STRUCT_SIZE)
    IOCPWS_NAME_(IWS_E_CLOSE_CODE)
    IOCPWS_NAME_(IWS_E_TOO_LONG)
    IOCPWS_NAME_(IWS_E_CHANNEL_NAME)
    IOCPWS_NAME_(IWS_E_UNSUPPORTED)
    IOCPWS_NAME_(IWS_E_FILE)
    IOCPWS_NAME_(IWS_E_NOT_FOUND)
    IOCPWS_NAME_(IWS_E_NO_CONNECTION)
    IOCPWS_NAME_(IWS_E_CLOSING)
    IOCPWS_NAME_(IWS_E_QUEUE_FULL)
    IOCPWS_NAME_(IWS_E_MESSAGE_TOO_BIG)
    IOCPWS_NAME_(IWS_E_PROTOCOL)
    IOCPWS_NAME_(IWS_E_HANDSHAKE)
    IOCPWS_NAME_(IWS_E_TIMEOUT)
    IOCPWS_NAME_(IWS_E_CONNECTION_LOST)
    IOCPWS_NAME_(IWS_E_NOMEM)
    IOCPWS_NAME_(IWS_E_SYSTEM)
    IOCPWS_NAME_(IWS_E_THREAD)
    IOCPWS_NAME_(IWS_E_ADDRESS)
    IOCPWS_NAME_(IWS_E_BIND)
    IOCPWS_NAME_(IWS_E_LISTEN)
    IOCPWS_NAME_(IWS_E_REDIS)
    IOCPWS_NAME_(IWS_E_TLS_CONFIG)
    IOCPWS_NAME_(IWS_E_TLS)
#undef IOCPWS_NAME_
    default:
      return "IWS_E_UNKNOWN";
  }
}

}  // namespace detail

/// The exception every failing call throws. code() is the library's status
/// code (IWS_E_*, always negative), name() its symbol ("IWS_E_BIND"), what()
/// a sentence naming the call and the library's detail, e.g.
/// "iws_start: IWS_E_BIND: bind 0.0.0.0 port 80: Permission denied".
class error : public std::runtime_error {
 public:
  error(int32_t code, const std::string &message)
      : std::runtime_error(message), code_(code) {}
  /// The IWS_E_* status code.
  int32_t code() const noexcept { return code_; }
  /// The code's symbolic name, e.g. "IWS_E_QUEUE_FULL" (static string).
  const char *name() const noexcept { return detail::code_name(code_); }

 private:
  int32_t code_;
};

/// A peer's address: IP as text (IPv4-mapped IPv6 shown as IPv4) and port.
struct peer_address {
  std::string ip;
  uint16_t port;
  peer_address() : port(0) {}
};

/// A received message: a view of the library's buffer, valid only during
/// the on_message call (copy what you keep: text() / bytes()).
class message {
 public:
  /// A view of size bytes at data (the trampoline makes these).
  message(opcode kind, const uint8_t *data, std::size_t size) noexcept
      : kind_(kind), data_(data), size_(size) {}
  /// opcode::text (the payload is valid UTF-8) or opcode::binary.
  opcode kind() const noexcept { return kind_; }
  bool is_text() const noexcept { return kind_ == opcode::text; }
  bool is_binary() const noexcept { return kind_ == opcode::binary; }
  /// The payload (valid UTF-8 for text; not NUL-terminated; may be nullptr
  /// when size() is 0).
  const uint8_t *data() const noexcept { return data_; }
  std::size_t size() const noexcept { return size_; }
  /// A copy of the payload as a string (UTF-8 for text messages).
  std::string text() const {
    return size_ ? std::string(reinterpret_cast<const char *>(data_), size_)
                 : std::string();
  }
  /// A copy of the payload as bytes.
  std::vector<uint8_t> bytes() const {
    return std::vector<uint8_t>(data_, data_ + size_);
  }

 private:
  opcode kind_;
  const uint8_t *data_;
  std::size_t size_;
};

/// permessage-deflate (RFC 7692), Since 0.4; the defaults are the library's
/// (iocpws.h, IWS_OPT_DEFLATE_*). With both no_context_takeover fields true
/// a connection keeps no zlib memory; false gives better ratios on small,
/// similar messages at about 2^(window_bits+2) + 2^(mem_level+9) bytes per
/// connection.
struct deflate_options {
  bool enabled = false;  ///< negotiate it with clients that offer it
  uint32_t server_max_window_bits = 15;    ///< 9..15: our compressor's window
  uint32_t client_max_window_bits = 15;    ///< 9..15: asked of clients
  bool server_no_context_takeover = true;  ///< each message on its own
  bool client_no_context_takeover = true;  ///< ask clients the same
  uint32_t mem_level = 8;                  ///< 1..9: zlib memLevel
  uint32_t level = 6;                      ///< 0..9: zlib compression level
  uint64_t threshold = 64;  ///< shorter messages go out uncompressed
  /// Largest inflated message (past it: close 1009, the memory never
  /// spent); 0 = max_message_size.
  uint64_t max_inflated_size = 0;
};

/// HTTP on the listening port(s), Since 0.5; the defaults are the library's
/// (iocpws.h, IWS_OPT_HTTP_*). Requests that are not WebSocket upgrades are
/// answered from document_root (GET/HEAD of a file under it) or by
/// server::on_http_request; without either they get 404.
struct http_options {
  uint64_t max_body_size = 1u << 20;  ///< larger request bodies: 413
  uint32_t max_uri_length = 8192;     ///< longer request-targets: 414
  uint32_t request_timeout_ms = 30000;  ///< head + body within it, else 408
  /// An idle keep-alive connection closes after it; 0 = one request each.
  uint32_t keepalive_timeout_ms = 15000;
  /// A deferred response not sent within it is answered 503; 0 = none.
  uint32_t response_timeout_ms = 60000;
  uint32_t max_pipelined = 16;  ///< requests read ahead on one connection
  /// "" = no static files; else a directory served for GET/HEAD (before
  /// on_http_request); paths leaving it are refused with 404.
  std::string document_root;
  /// Served for a request of a directory under document_root; "" = none.
  std::string index_file = "index.html";
};

/// Server configuration; the defaults are the library's (iocpws.h, "Options";
/// cpp_checks compares them). server's constructor and configure() apply
/// every field, so a default-constructed options resets a server to the
/// library's defaults (the SNI host certificates of server::add_tls_host are
/// not options: clear_tls_hosts() removes them). A plain struct: no thread
/// rules of its own.
///
/// TLS (wss://, library 0.3 and later): tls_port >= 0 opens a TLS listener
/// beside the plain one (port), on the same bind_address; port = -1 leaves
/// only the TLS listener. A TLS listener needs a certificate and its key:
/// tls_cert_file/tls_key_file (PEM files), or tls_cert_pem/tls_key_pem (PEM
/// text in memory, which wins over the file of the same kind). They are
/// read and checked by server::start(), which throws error with
/// IWS_E_TLS_CONFIG and OpenSSL's reason in what(). For sgcWebSockets'
/// SSLOptions: CertFile -> tls_cert_file, KeyFile -> tls_key_file,
/// RootCertFile -> tls_ca_file, Password -> tls_password, Version ->
/// tls_min_version (tls1_2 -> v1_2, tls1_3 -> v1_3, tlsUndefined -> the
/// default), Port -> tls_port (SSL = True; with port = -1 for TLS only).
struct options {
  std::string bind_address = "0.0.0.0";  ///< IPv4/IPv6 literal; "::" = both
  /// The plain (ws://) listener: 0 = any free port (server::port()); -1 = none
  /// (TLS only; then tls_port must be >= 0).
  int32_t port = 0;
  uint32_t io_threads = 0;               ///< 0 = one per CPU
  uint32_t worker_threads = 0;  ///< 0 = handlers on I/O threads; N = pinned
  uint64_t max_connections = 0;            ///< 0 = unlimited; over it: 503
  uint64_t max_message_size = 16u << 20;   ///< inbound over it: close 1009
  uint32_t max_handshake_size = 8192;      ///< over it: HTTP 431
  uint32_t handshake_timeout_ms = 10000;   ///< 0 = none
  uint32_t heartbeat_interval_ms = 0;      ///< 0 = no server pings
  uint32_t heartbeat_timeout_ms = 0;       ///< 0 = no dead-peer check
  /// Since 0.6: ping (and call on_heartbeat for) only connections from
  /// which no message came during the last interval (sgc's
  /// hbtOnlyIfNoMsgRcvInterval; IWS_OPT_HEARTBEAT_IF_IDLE).
  bool heartbeat_if_idle = false;
  uint64_t send_queue_limit = 32u << 20;   ///< bytes per connection; 0 = none
  /// Bytes all connections together may hold for messages still arriving
  /// (Since 0.6); past it a message is refused with 1009. 0 = unlimited.
  uint64_t incomplete_messages_limit = sizeof(void *) >= 8 ? 256u << 20 : 64u << 20;
  queue_policy send_queue_policy = queue_policy::close;
  bool tcp_nodelay = true;                 ///< disable Nagle's algorithm
  /// TCP keep-alive on every accepted socket (Since 0.6): probes after
  /// tcp_keepalive_time_ms of silence, then every tcp_keepalive_interval_ms
  /// (Linux rounds both up to whole seconds).
  bool tcp_keepalive = false;
  uint32_t tcp_keepalive_time_ms = 7200000;
  uint32_t tcp_keepalive_interval_ms = 1000;
  uint32_t listen_backlog = 511;
  uint32_t close_timeout_ms = 5000;  ///< wait for the peer's close frame
  uint32_t stop_timeout_ms = 3000;   ///< stop() waits this long, then aborts
  int log_level = IWS_LOG_WARN;      ///< 0 silent .. 4 debug, to on_log
  bool ipv6_only = false;            ///< IPv6 bind address: refuse IPv4
  uint32_t accepts_posted = 0;       ///< IOCP: AcceptEx kept posted; 0 = auto
  /// Subprotocols the server speaks, in preference order.
  std::vector<std::string> subprotocols;

  /// The TLS (wss://) listener: -1 = none (the default); 0 = any free port
  /// (server::tls_port()).
  int32_t tls_port = -1;
  tls_version tls_min_version = tls_version::v1_2;
  /// A client that has not finished the TLS handshake by then is dropped;
  /// 0 = none (handshake_timeout_ms then covers the HTTP upgrade).
  uint32_t tls_handshake_timeout_ms = 10000;
  std::string tls_cert_file;   ///< PEM file: certificate, optionally + chain
  std::string tls_key_file;    ///< PEM file: its private key
  std::string tls_ca_file;     ///< PEM file: CA/intermediates sent after it
  std::string tls_password;    ///< of an encrypted key (write-only option)
  std::string tls_cert_pem;    ///< like tls_cert_file, the PEM text itself
  std::string tls_key_pem;     ///< like tls_key_file, the PEM text itself
  std::string tls_ca_pem;      ///< like tls_ca_file, the PEM text itself
  std::string tls_ciphers;     ///< OpenSSL cipher list, TLS 1.2 ("" = default)
  std::string tls_ciphersuites;  ///< TLS 1.3 suites ("" = OpenSSL's default)
  /// Client certificates (Since 0.6): asked for and verified against
  /// tls_client_ca_file / tls_client_ca_pem (one is then needed), with at
  /// most tls_verify_depth intermediate CAs; a certificate that does not
  /// verify fails the TLS handshake. connection::peer_cert() reads it.
  /// sgc: VerifyCertificate -> request, with FailIfNoCertificate ->
  /// require; VerifyDepth -> tls_verify_depth.
  tls_verify tls_verify_client = tls_verify::none;
  uint32_t tls_verify_depth = 9;
  std::string tls_client_ca_file;  ///< PEM file: CAs of client certificates
  std::string tls_client_ca_pem;   ///< the same, PEM text in memory
  /// permessage-deflate (Since 0.4).
  deflate_options deflate;
  /// Channels across servers (Since 0.4): "" = this server only, else
  /// "redis://[[user]:password@]host[:port]" (IWS_E_UNSUPPORTED from a
  /// library built without hiredis).
  std::string redis_url;
  std::string redis_prefix = "iws:";  ///< servers sharing it share channels
  uint32_t redis_reconnect_max_ms = 5000;  ///< backoff 100 ms doubling to it
  /// HTTP on the same port (Since 0.5).
  http_options http;
};

#ifdef IOCPWS_DYNAMIC
inline namespace dynamic_abi1 {
#else
inline namespace linked_abi1 {
#endif

namespace impl {

#ifdef IOCPWS_DYNAMIC
// The library, loaded once per process by a function-local static (its
// initialisation is thread-safe in C++11; a failed load throws and is tried
// again by the next call). It is never unloaded: servers may outlive any
// scope, even static destructors.
struct library {
  iws_api table;
  std::string path;
  explicit library(const char *p) : path(p ? p : IWS_LOADER_DEFAULT_NAME) {
    char why[512];
    int32_t rc = iws_loader_open(p, &table, why, sizeof why);
    if (rc != IWS_OK) throw error(rc, why);
  }
};
inline library &loaded(const char *path) {
  static library lib(path);
  return lib;
}
inline const iws_api &api() { return loaded(nullptr).table; }
#endif

inline std::string describe(int32_t code) {
  return std::string(detail::code_name(code)) + ": " + IOCPWS_C_(strerror)(code);
}

// Throws error(rc) for a call on a connection: the sentence of the code
// (iws_last_error is server-wide, so it may belong to another thread's call).
inline void check_call(int32_t rc, const char *call) {
  if (rc < 0) throw error(rc, std::string(call) + ": " + describe(rc));
}

}  // namespace impl

#ifdef IOCPWS_DYNAMIC
/// Loads the library now (only with IOCPWS_DYNAMIC). path: a file name or
/// full path, UTF-8; nullptr = IWS_LOADER_DEFAULT_NAME ("iocpws.dll",
/// "libiocpws.so.0"). Without this call the first server loads the default
/// name. Throws error: IWS_E_SYSTEM naming the library that could not be
/// loaded, IWS_E_ABI_MISMATCH naming a missing function or a library with
/// another ABI, IWS_E_BAD_STATE when the library was already loaded from
/// another path. Any thread.
inline void load(const char *path = nullptr) {
  impl::library &lib = impl::loaded(path);
  if (path != nullptr && lib.path != path)
    throw error(IWS_E_BAD_STATE,
                std::string("iocpws::load: the library is already loaded from ") +
                    lib.path);
}

/// The function table the run-time route calls through (loads the library
/// if needed, see load()).
inline const iws_api &api() { return impl::api(); }
#endif

/// Throws error when rc is a failure (negative); returns rc otherwise.
inline int32_t check(int32_t rc) {
  if (rc < 0) throw error(rc, impl::describe(rc));
  return rc;
}

/// The library's version, "X.Y.Z". Any thread.
inline std::string version() { return IOCPWS_C_(version_string)(); }

/// The library's version as X*1000000 + Y*1000 + Z. Any thread.
inline uint32_t version_number() { return IOCPWS_C_(version)(); }

/// One part of the library: the engine itself or a library linked into it
/// (iws_component_version). Since 0.6.
struct component {
  uint32_t id;          ///< IWS_COMPONENT_* (IWS_COMPONENT_OPENSSL, ...)
  std::string name;     ///< "iocpws", "OpenSSL", "zlib", "wslay", "hiredis"
  std::string version;  ///< "3.0.17"; "" when this build lacks it
};

/// The version of one component (IWS_COMPONENT_OPENSSL etc.), "" when this
/// build does not contain it (hiredis without Redis). Throws error
/// (IWS_E_INVALID_ARG) for a number the library does not know. Any thread.
inline std::string component_version(uint32_t id) {
  const char *name = nullptr;
  const char *ver = nullptr;
  int32_t rc = IOCPWS_C_(component_version)(id, &name, &ver);
  if (rc == IWS_E_UNSUPPORTED) return std::string();
  check(rc);
  return ver;
}

/// Every component the library knows, engine first, in IWS_COMPONENT_*
/// order; those this build lacks have an empty version. Any thread.
inline std::vector<component> components() {
  std::vector<component> all;
  for (uint32_t id = 0;; ++id) {
    const char *name = nullptr;
    const char *ver = nullptr;
    int32_t rc = IOCPWS_C_(component_version)(id, &name, &ver);
    if (rc != IWS_OK && rc != IWS_E_UNSUPPORTED) break;
    all.push_back(component{id, name, ver});
  }
  return all;
}

/// The sentence for a status code ("unknown error" for unknown codes).
inline std::string strerror(int32_t code) { return IOCPWS_C_(strerror)(code); }

/// A connection of a server: a small value (the server's handle and the
/// connection id), cheap to copy and to keep. Every method is safe from any
/// thread, inside handlers too. Once the connection is gone (after its
/// on_disconnect returned) the id stays dead: calls throw error with
/// IWS_E_NO_CONNECTION, they never reach a newer connection. A connection
/// must not be used after its server was destroyed.
class connection {
 public:
  /// A null connection (id 0): what on_error and on_exception get for
  /// problems that concern no connection.
  connection() noexcept : server_(nullptr), id_(0) {}
  /// The connection `id` of the library's server `server` (what the
  /// handlers get; server::connection_by_id makes one too). Not checked.
  connection(iws_server *server, conn_id id) noexcept
      : server_(server), id_(id) {}

  /// The 64-bit id (0 for the null connection).
  conn_id id() const noexcept { return id_; }
  /// False for the null connection.
  explicit operator bool() const noexcept { return id_ != 0; }
  /// The library's server handle, for iws_* calls this wrapper lacks.
  iws_server *native_server() const noexcept { return server_; }

  /// Queues a text message (UTF-8; invalid UTF-8 throws
  /// IWS_E_INVALID_UTF8). Never blocks on the network; inside this
  /// connection's handler it is written when the handler returns. Throws
  /// error: IWS_E_NO_CONNECTION, IWS_E_CLOSING, IWS_E_MESSAGE_TOO_BIG,
  /// IWS_E_QUEUE_FULL, IWS_E_BAD_STATE (server stopped), IWS_E_NOMEM.
  void send_text(const std::string &utf8) const {
    send_text(utf8.data(), utf8.size());
  }
  void send_text(const char *utf8, std::size_t size) const {
    impl::check_call(try_send_text(utf8, size), "iws_send_text");
  }
  /// Queues a binary message; throws like send_text.
  void send_binary(const void *data, std::size_t size) const {
    impl::check_call(try_send_binary(data, size), "iws_send_binary");
  }
  void send_binary(const std::vector<uint8_t> &data) const {
    send_binary(data.empty() ? nullptr : &data[0], data.size());
  }
  /// Sends a message of the given kind (echo: c.send(m) in on_message).
  void send(opcode kind, const void *data, std::size_t size) const {
    impl::check_call(try_send(kind, data, size), "iws_send");
  }
  void send(const message &m) const { send(m.kind(), m.data(), m.size()); }

  /// The non-throwing forms: return IWS_OK or the IWS_E_* code.
  int32_t try_send_text(const char *utf8, std::size_t size) const noexcept {
    return try_send(opcode::text, utf8, size);
  }
  int32_t try_send_text(const std::string &utf8) const noexcept {
    return try_send(opcode::text, utf8.data(), utf8.size());
  }
  int32_t try_send_binary(const void *data, std::size_t size) const noexcept {
    return try_send(opcode::binary, data, size);
  }
  int32_t try_send(opcode kind, const void *data,
                   std::size_t size) const noexcept {
    try {
      return IOCPWS_C_(send)(server_, id_, static_cast<uint32_t>(kind), data,
                             static_cast<uint64_t>(size));
    } catch (...) {  // only the run-time route can throw: library not loaded
      return IWS_E_SYSTEM;
    }
  }

  /// Sends a ping with a payload of at most 125 bytes (IWS_E_TOO_LONG).
  void ping(const std::string &payload = std::string()) const {
    impl::check_call(
        IOCPWS_C_(ping)(server_, id_, payload.data(),
                        static_cast<uint32_t>(payload.size())),
        "iws_ping");
  }

  /// Starts the close handshake with code (1000-1003, 1007-1011, 3000-4999;
  /// else IWS_E_CLOSE_CODE) and a UTF-8 reason of at most 123 bytes
  /// (IWS_E_TOO_LONG). Data queued before is still sent; on_disconnect
  /// reports the code. Throws IWS_E_CLOSING when already closing.
  void close(uint32_t code = IWS_CLOSE_NORMAL,
             const std::string &reason = std::string()) const {
    impl::check_call(
        IOCPWS_C_(close)(server_, id_, code, reason.data(),
                         static_cast<uint32_t>(reason.size())),
        "iws_close");
  }

  /// Drops the TCP connection at once, without a close handshake
  /// (on_disconnect reports 1006).
  void disconnect() const {
    impl::check_call(IOCPWS_C_(disconnect)(server_, id_), "iws_disconnect");
  }

  /// Subscribes to a channel (1..255 bytes of UTF-8 without control
  /// characters, else IWS_E_CHANNEL_NAME); subscribing twice does nothing,
  /// and subscriptions end with the connection. Any thread. Since 0.4.
  void subscribe(const std::string &channel) const {
    impl::check_call(IOCPWS_C_(subscribe)(server_, id_, channel.c_str()),
                     "iws_subscribe");
  }
  /// Leaves a channel (not being in it is fine). Any thread. Since 0.4.
  void unsubscribe(const std::string &channel) const {
    impl::check_call(IOCPWS_C_(unsubscribe)(server_, id_, channel.c_str()),
                     "iws_unsubscribe");
  }
  /// Leaves every channel. Any thread. Since 0.4.
  void unsubscribe_all() const {
    impl::check_call(IOCPWS_C_(unsubscribe)(server_, id_, nullptr),
                     "iws_unsubscribe");
  }
  /// The channels joined, in join order. Any thread. Since 0.4.
  std::vector<std::string> channels() const {
    std::string all = fetch(IOCPWS_C_(conn_channels), "iws_conn_channels");
    std::vector<std::string> list;
    std::size_t start = 0, lf;
    while ((lf = all.find('\n', start)) != std::string::npos) {
      list.push_back(all.substr(start, lf - start));
      start = lf + 1;
    }
    return list;
  }

  /// The peer's IP address and port.
  peer_address peer() const {
    char buf[IWS_ADDRESS_SIZE];
    uint32_t port = 0;
    impl::check_call(
        IOCPWS_C_(conn_peer)(server_, id_, buf, sizeof buf, &port),
        "iws_conn_peer");
    peer_address a;
    a.ip = buf;
    a.port = static_cast<uint16_t>(port);
    return a;
  }

  /// The local end (Since 0.6): the server address the client reached
  /// (on a server bound to 0.0.0.0, e.g. "127.0.0.2") and the port.
  peer_address local() const {
    char buf[IWS_ADDRESS_SIZE];
    uint32_t port = 0;
    impl::check_call(
        IOCPWS_C_(conn_local)(server_, id_, buf, sizeof buf, &port),
        "iws_conn_local");
    peer_address a;
    a.ip = buf;
    a.port = static_cast<uint16_t>(port);
    return a;
  }

  /// When the last pong arrived (Since 0.6): milliseconds since 1970 UTC,
  /// 0 if none yet.
  uint64_t last_pong() const {
    uint64_t ms = 0;
    impl::check_call(IOCPWS_C_(conn_last_pong)(server_, id_, &ms),
                     "iws_conn_last_pong");
    return ms;
  }

  /// The request-target of the handshake, e.g. "/chat?room=1".
  std::string path() const {
    return fetch(IOCPWS_C_(conn_path), "iws_conn_path");
  }

  /// The negotiated subprotocol ("" if none).
  std::string protocol() const {
    return fetch(IOCPWS_C_(conn_protocol), "iws_conn_protocol");
  }

  /// The index of the listener that accepted the connection (the order of
  /// server::add_listener; without it 0 = port, then tls_port). Since 0.6.
  uint32_t listener() const {
    uint32_t index = 0;
    impl::check_call(IOCPWS_C_(conn_listener)(server_, id_, &index),
                     "iws_conn_listener");
    return index;
  }

  /// The verified client certificate (options::tls_verify_client): its
  /// subject, issuer or PEM text; "" on a plain connection, when the client
  /// sent none, or when verification is off. Since 0.6.
  std::string peer_cert(cert_part part = cert_part::subject) const {
    uint32_t what = static_cast<uint32_t>(part), needed = 0;
    char small[256];
    int32_t rc = IOCPWS_C_(conn_peer_cert)(server_, id_, what, small,
                                           sizeof small, &needed);
    if (rc == IWS_OK) return small;
    if (rc != IWS_E_BUFFER_TOO_SMALL)
      impl::check_call(rc, "iws_conn_peer_cert");
    std::vector<char> big(needed > 0 ? needed : 1);
    impl::check_call(IOCPWS_C_(conn_peer_cert)(
                         server_, id_, what, &big[0],
                         static_cast<uint32_t>(big.size()), &needed),
                     "iws_conn_peer_cert");
    return std::string(&big[0]);
  }

  /// The chain the library verified for the client certificate, [0] = the
  /// client's own (peer_cert()), then each issuer up to the trusted CA
  /// (iws_conn_peer_chain_cert); empty when peer_cert() is "". Since 0.6.
  std::vector<std::string> peer_chain(
      cert_part part = cert_part::subject) const {
    std::vector<std::string> chain;
    uint32_t what = static_cast<uint32_t>(part);
    for (uint32_t depth = 0;; ++depth) {
      uint32_t needed = 0;
      int32_t rc = IOCPWS_C_(conn_peer_chain_cert)(server_, id_, depth, what,
                                                   nullptr, 0, &needed);
      if (rc == IWS_E_NOT_FOUND) break;
      if (rc != IWS_E_BUFFER_TOO_SMALL && rc != IWS_OK)
        impl::check_call(rc, "iws_conn_peer_chain_cert");
      std::vector<char> text(needed > 0 ? needed : 1);
      impl::check_call(IOCPWS_C_(conn_peer_chain_cert)(
                           server_, id_, depth, what, &text[0],
                           static_cast<uint32_t>(text.size()), &needed),
                       "iws_conn_peer_chain_cert");
      if (text[0] == '\0') break; /* no certificate: the chain is empty */
      chain.push_back(std::string(&text[0]));
    }
    return chain;
  }

  /// Attaches a pointer of yours to the connection (nullptr clears it). The
  /// library never frees it: free it in on_disconnect.
  void set_user_data(void *data) const {
    impl::check_call(IOCPWS_C_(conn_set_user_data)(server_, id_, data),
                       "iws_conn_set_user_data");
  }
  /// The pointer set_user_data attached (nullptr if none).
  void *user_data() const {
    void *data = nullptr;
    impl::check_call(IOCPWS_C_(conn_get_user_data)(server_, id_, &data),
                       "iws_conn_get_user_data");
    return data;
  }
  /// user_data() as a T*.
  template <class T>
  T *user_data_as() const {
    return static_cast<T *>(user_data());
  }

  friend bool operator==(const connection &a, const connection &b) noexcept {
    return a.server_ == b.server_ && a.id_ == b.id_;
  }
  friend bool operator!=(const connection &a, const connection &b) noexcept {
    return !(a == b);
  }

 private:
  typedef int32_t(IWS_CALL *string_getter)(iws_server *, iws_conn_id, char *,
                                           uint32_t, uint32_t *);
  std::string fetch(string_getter get, const char *call) const {
    char small[256];
    uint32_t needed = 0;
    int32_t rc = get(server_, id_, small, sizeof small, &needed);
    if (rc == IWS_OK) return small;
    if (rc != IWS_E_BUFFER_TOO_SMALL) impl::check_call(rc, call);
    std::vector<char> big(needed > 0 ? needed : 1);
    impl::check_call(get(server_, id_, &big[0],
                           static_cast<uint32_t>(big.size()), &needed),
                       call);
    return std::string(&big[0]);
  }

  iws_server *server_;
  conn_id id_;
};

/// What request and http_request share: the request-target and the
/// headers of the request they wrap. Valid only during the callback that
/// received the request, like them.
class basic_request {
 public:
  /// The request-target as sent, not decoded, e.g. "/chat?room=1".
  std::string path() const { return str(IOCPWS_C_(request_path)(r_)); }
  /// True when the client sent header `name` (case-insensitive).
  bool has_header(const std::string &name) const {
    return IOCPWS_C_(request_header)(r_, name.c_str()) != nullptr;
  }
  /// The header's (first) value, or fallback when it is absent.
  std::string header(const std::string &name,
                     const std::string &fallback = std::string()) const {
    const char *v = IOCPWS_C_(request_header)(r_, name.c_str());
    return v ? v : fallback;
  }
  /// Every header as (name, value), in the order received.
  std::vector<std::pair<std::string, std::string> > headers() const {
    std::vector<std::pair<std::string, std::string> > all;
    uint32_t n = IOCPWS_C_(request_header_count)(r_);
    for (uint32_t i = 0; i < n; ++i) {
      const char *name = nullptr;
      const char *value = nullptr;
      if (IOCPWS_C_(request_header_at)(r_, i, &name, &value) == IWS_OK)
        all.push_back(std::make_pair(str(name), str(value)));
    }
    return all;
  }

 protected:
  explicit basic_request(const iws_request *native) noexcept : r_(native) {}
  static std::string str(const char *p) { return p ? p : ""; }
  const iws_request *r_;
};

/// The handshake request, handed to on_connect and valid only during it
/// (copy what you keep). Its methods run on the on_connect thread.
class request : public basic_request {
 public:
  /// Wraps the library's request (the trampoline makes these).
  explicit request(iws_request *native) noexcept : basic_request(native) {}
  /// The subprotocols the client offered, in its order.
  std::vector<std::string> protocols() const {
    std::vector<std::string> all;
    uint32_t n = IOCPWS_C_(request_protocol_count)(r_);
    for (uint32_t i = 0; i < n; ++i) {
      const char *p = IOCPWS_C_(request_protocol_at)(r_, i);
      if (p) all.push_back(p);
    }
    return all;
  }
  /// Chooses the subprotocol to answer with; it must be one the client
  /// offered (else throws IWS_E_INVALID_ARG). "" = none.
  void select_protocol(const std::string &protocol) {
    impl::check_call(
        IOCPWS_C_(request_select_protocol)(
            native_handle(), protocol.empty() ? nullptr : protocol.c_str()),
        "iws_request_select_protocol");
  }
  /// Adds a header line to on_connect's answer, the 101 or the refusal
  /// (Since 0.6), e.g. add_response_header("WWW-Authenticate",
  /// "Basic realm=\"app\"") before returning 401. Throws iocpws::error
  /// (IWS_E_INVALID_ARG: CR/LF, a bad or reserved name, over 8 KiB).
  void add_response_header(const std::string &name, const std::string &value) {
    impl::check_call(IOCPWS_C_(request_add_response_header)(
                         native_handle(), name.c_str(), value.c_str()),
                     "iws_request_add_response_header");
  }
  /// The library's request, for iws_request_* calls this wrapper lacks.
  iws_request *native_handle() const noexcept {
    // made from a non-const request (the constructor), so writable
    return const_cast<iws_request *>(r_);
  }
};

/// A plain HTTP request (not a WebSocket upgrade), handed to
/// on_http_request and valid only during it (copy what you keep; a handler
/// that answers later with http_response::defer copies what it needs
/// first). Indy's TIdHTTPRequestInfo: method() = Command, version() =
/// Version, document() = Document, query() = UnparsedParams, params() = Params. Since 0.5.
/// path(), has_header(), header() and headers() come from basic_request.
class http_request : public basic_request {
 public:
  /// Wraps the library's request (the trampoline makes these).
  explicit http_request(const iws_request *native) noexcept
      : basic_request(native) {}
  /// The method as sent ("GET", "POST", ...; case-sensitive).
  std::string method() const { return str(IOCPWS_C_(request_method)(r_)); }
  /// The request line's version, "HTTP/1.1" or "HTTP/1.0" (Indy's
  /// Version). Since 0.6.
  std::string version() const { return str(IOCPWS_C_(request_version)(r_)); }
  /// The path, percent-decoded ("/a b" for "/a%20b?x=1").
  std::string document() const {
    return str(IOCPWS_C_(request_document)(r_));
  }
  /// The query after '?', not decoded ("" if none).
  std::string query() const { return str(IOCPWS_C_(request_query)(r_)); }
  /// The decoded parameters: the query's, then an
  /// application/x-www-form-urlencoded body's, in order (names may repeat).
  std::vector<std::pair<std::string, std::string> > params() const {
    std::vector<std::pair<std::string, std::string> > all;
    uint32_t n = IOCPWS_C_(request_param_count)(r_);
    for (uint32_t i = 0; i < n; ++i) {
      const char *name = nullptr;
      const char *value = nullptr;
      if (IOCPWS_C_(request_param_at)(r_, i, &name, &value) == IWS_OK)
        all.push_back(std::make_pair(str(name), str(value)));
    }
    return all;
  }
  /// True when parameter `name` (case-sensitive) is present.
  bool has_param(const std::string &name) const {
    return IOCPWS_C_(request_param)(r_, name.c_str()) != nullptr;
  }
  /// The first value of parameter `name`, or fallback.
  std::string param(const std::string &name,
                    const std::string &fallback = std::string()) const {
    const char *v = IOCPWS_C_(request_param)(r_, name.c_str());
    return v ? v : fallback;
  }
  /// The body's bytes (chunked bodies joined; nullptr when empty) and size.
  const uint8_t *body_data() const noexcept {
    const uint8_t *d = nullptr;
    uint64_t n = 0;
    IOCPWS_C_(request_body)(r_, &d, &n);
    return d;
  }
  std::size_t body_size() const noexcept {
    const uint8_t *d = nullptr;
    uint64_t n = 0;
    IOCPWS_C_(request_body)(r_, &d, &n);
    return static_cast<std::size_t>(n);
  }
  /// A copy of the body (bytes in a string; may hold NULs).
  std::string body() const {
    const uint8_t *d = nullptr;
    uint64_t n = 0;
    if (IOCPWS_C_(request_body)(r_, &d, &n) != IWS_OK || d == nullptr)
      return std::string();
    return std::string(reinterpret_cast<const char *>(d),
                       static_cast<std::size_t>(n));
  }
  /// The library's request, for iws_request_* calls this wrapper lacks.
  const iws_request *native_handle() const noexcept { return r_; }
  /// Inside on_http_head only (Since 0.6): refuses this request with the
  /// application's own answer - status 400..599, body, content_type (""
  /// = no Content-Type), reason ("" = the standard phrase) - whatever
  /// on_http_head then returns (Indy's OnHeadersBlocked): the body is
  /// never read, the connection closes after the answer. Throws
  /// iocpws::error (IWS_E_BAD_STATE outside on_http_head,
  /// IWS_E_INVALID_ARG for another status or CR/LF in a text).
  void head_refuse(int32_t status, const std::string &body,
                   const std::string &content_type =
                       "text/plain; charset=utf-8",
                   const std::string &reason = std::string()) const {
    // on_http_head hands the library's (writable) request to the wrapper
    impl::check_call(
        IOCPWS_C_(http_head_refuse)(
            const_cast<iws_request *>(r_), status,
            reason.empty() ? nullptr : reason.c_str(),
            content_type.empty() ? nullptr : content_type.c_str(),
            body.data(), body.size()),
        "iws_http_head_refuse");
  }
};

/// What http_response and deferred_response share: the calls that fill the
/// library's response. Each throws error: IWS_E_INVALID_ARG (a bad status,
/// a header name that is no token, a value with CR/LF, Content-Length or
/// Transfer-Encoding, which are the library's), IWS_E_BAD_STATE (already
/// deferred or sent).
class http_response_base {
 public:
  /// The status (100..599, not 101) and reason ("" = the standard one).
  /// Without it a response with a body or file is 200, an untouched one 404.
  void status(int code, const std::string &reason = std::string()) {
    check(IOCPWS_C_(http_set_status)(live(), code,
                                     reason.empty() ? nullptr : reason.c_str()),
          "iws_http_set_status");
  }
  /// Adds a header line; several calls with one name send several lines.
  /// Without Content-Type a body goes as "text/html; charset=utf-8".
  void header(const std::string &name, const std::string &value) {
    check(IOCPWS_C_(http_add_header)(live(), name.c_str(), value.c_str()),
          "iws_http_add_header");
  }
  /// The body (copied; replaces a body or file set before).
  void body(const void *data, std::size_t size) {
    check(IOCPWS_C_(http_set_body)(live(), data, static_cast<uint64_t>(size)),
          "iws_http_set_body");
  }
  void body(const std::string &bytes) { body(bytes.data(), bytes.size()); }
  void body(const std::vector<uint8_t> &bytes) {
    body(bytes.empty() ? nullptr : &bytes[0], bytes.size());
  }
  /// Answers with a file (UTF-8 path), honouring If-Modified-Since and
  /// Range, Content-Type from the extension unless set. Returns false when
  /// it cannot be opened or is no regular file (IWS_E_FILE: the response is
  /// untouched, answer 404 yourself); throws error for other failures.
  bool serve_file(const std::string &path) {
    int32_t rc = IOCPWS_C_(http_serve_file)(live(), path.c_str());
    if (rc == IWS_E_FILE) return false;
    check(rc, "iws_http_serve_file");
    return true;
  }
  /// The library's response (nullptr once deferred or sent).
  iws_http_response *native_handle() const noexcept { return r_; }

 protected:
  explicit http_response_base(iws_http_response *r) noexcept : r_(r) {}
  iws_http_response *live() const {
    if (r_ == nullptr)
      throw error(IWS_E_BAD_STATE,
                  "iocpws: the HTTP response was deferred or already sent");
    return r_;
  }
  static void check(int32_t rc, const char *call) {
    impl::check_call(rc, call);
  }
  iws_http_response *r_;
};

/// A response whose sending was put off with http_response::defer: fill it
/// and send() it from any thread, once. Move-only. Destroyed without
/// send(), it answers 500 (never leaks the request, never leaves the
/// client waiting). Owned by one thread at a time. Since 0.5.
class deferred_response : public http_response_base {
 public:
  /// An empty one (nothing to send).
  deferred_response() noexcept : http_response_base(nullptr) {}
  explicit deferred_response(iws_http_response *r) noexcept
      : http_response_base(r) {}
  deferred_response(deferred_response &&o) noexcept
      : http_response_base(o.r_) {
    o.r_ = nullptr;
  }
  deferred_response &operator=(deferred_response &&o) noexcept {
    if (this != &o) {
      abandon();
      r_ = o.r_;
      o.r_ = nullptr;
    }
    return *this;
  }
  deferred_response(const deferred_response &) = delete;
  deferred_response &operator=(const deferred_response &) = delete;
  ~deferred_response() { abandon(); }

  /// False once sent (or moved from).
  explicit operator bool() const noexcept { return r_ != nullptr; }

  /// Sends the response and releases it. Any thread. Returns IWS_OK;
  /// IWS_E_NO_CONNECTION (the client went away), IWS_E_TIMEOUT
  /// (http_options::response_timeout_ms passed: the library answered
  /// 503). Throws error with IWS_E_BAD_STATE when already sent.
  int32_t send() {
    iws_http_response *r = live();
    r_ = nullptr;
    return IOCPWS_C_(http_send)(r);
  }

  /// Streaming (Indy's WriteHeader / WriteContent), Since 0.6: sends the
  /// status line and headers now; the body follows piece by piece with
  /// send_chunk() (Transfer-Encoding: chunked on the wire) and ends with
  /// send(). Returns IWS_OK, IWS_E_NO_CONNECTION (the client went away:
  /// still call send(), which releases it) or IWS_E_TIMEOUT; throws error
  /// for the rest (IWS_E_BAD_STATE: called twice, or after send()).
  int32_t send_head() {
    int32_t rc = IOCPWS_C_(http_send_head)(live());
    if (rc != IWS_E_NO_CONNECTION && rc != IWS_E_TIMEOUT)
      check(rc, "iws_http_send_head");
    return rc;
  }
  /// A piece of a streamed body (copied). Returns IWS_OK;
  /// IWS_E_QUEUE_FULL when the client reads slower than the body comes
  /// (the connection's send-queue limit: nothing was taken, send it again
  /// later); IWS_E_NO_CONNECTION. Throws error for the rest
  /// (IWS_E_BAD_STATE before send_head()).
  int32_t send_chunk(const void *data, std::size_t size) {
    int32_t rc = IOCPWS_C_(http_send_chunk)(live(), data,
                                            static_cast<uint64_t>(size));
    if (rc != IWS_E_QUEUE_FULL && rc != IWS_E_NO_CONNECTION &&
        rc != IWS_E_TIMEOUT)
      check(rc, "iws_http_send_chunk");
    return rc;
  }
  int32_t send_chunk(const std::string &text) {
    return send_chunk(text.data(), text.size());
  }
  /// Back-pressure without polling (Since 0.6): after send_chunk()
  /// returned IWS_E_QUEUE_FULL, sleeps until the client has read enough
  /// (the queue is down to half its limit), the connection is gone or
  /// timeout_ms passed. Not on an engine thread (inside a callback):
  /// there it returns IWS_E_IN_CALLBACK without waiting. Returns IWS_OK,
  /// IWS_E_TIMEOUT, IWS_E_NO_CONNECTION or IWS_E_IN_CALLBACK; throws
  /// error for the rest (IWS_E_BAD_STATE before send_head()).
  int32_t wait_room(uint32_t timeout_ms) {
    int32_t rc = IOCPWS_C_(http_stream_wait)(live(), timeout_ms);
    if (rc != IWS_E_TIMEOUT && rc != IWS_E_NO_CONNECTION &&
        rc != IWS_E_IN_CALLBACK)
      check(rc, "iws_http_stream_wait");
    return rc;
  }

 private:
  void abandon() noexcept {
    if (r_ == nullptr) return;
    iws_http_response *r = r_;
    r_ = nullptr;
    try {
      IOCPWS_C_(http_set_status)(r, 500, nullptr);
      IOCPWS_C_(http_set_body)(r, "Internal Server Error", 21);
      IOCPWS_C_(http_add_header)(r, "Content-Type", "text/plain; charset=utf-8");
      IOCPWS_C_(http_send)(r);
    } catch (...) {
      // only the run-time route can throw, and it is loaded by now
    }
  }
};

/// The response to fill in on_http_request (Indy's TIdHTTPResponseInfo:
/// status() = ResponseNo, body() = ContentText/ContentStream, header() =
/// CustomHeaders, serve_file() = ServeFile). Sent when the handler
/// returns, unless defer() was called. Since 0.5.
class http_response : public http_response_base {
 public:
  explicit http_response(iws_http_response *r) noexcept
      : http_response_base(r), deferred_(false) {}
  http_response(const http_response &) = delete;
  http_response &operator=(const http_response &) = delete;
  /// Puts the sending off: the returned object owns the response, may be
  /// moved to another thread, filled there, and sent with send(). This
  /// object is unusable afterwards (IWS_E_BAD_STATE). Later requests on the
  /// same connection wait for it.
  deferred_response defer() {
    iws_http_response *r = live();
    check(IOCPWS_C_(http_defer)(r), "iws_http_defer");
    r_ = nullptr;
    deferred_ = true;
    return deferred_response(r);
  }
  /// True once defer() was called.
  bool deferred() const noexcept { return deferred_; }

 private:
  bool deferred_;
};

/// The handler types (see server::on_connect and the others; they run on
/// library threads).
typedef std::function<int(const connection &, request &)> connect_handler;
typedef std::function<void(const connection &, const message &)>
    message_handler;
typedef std::function<void(const connection &, uint32_t code,
                           const std::string &reason)>
    disconnect_handler;
typedef std::function<void(const connection &, const error &)> error_handler;
typedef std::function<void(const connection &, std::exception_ptr)>
    exception_handler;
typedef std::function<void(int level, const std::string &message)> log_handler;
/// on_http_request's type (Since 0.5).
typedef std::function<void(const connection &, const http_request &,
                           http_response &)>
    http_handler;
/// on_open's and on_close's type (Since 0.6).
typedef std::function<void(const connection &)> conn_handler;
/// on_heartbeat's type (Since 0.6): true = handled, no ping for this beat.
typedef std::function<bool(const connection &)> heartbeat_handler;
/// on_http_head's answers (Since 0.6; any status 400..599 refuses).
const int32_t body_buffer = IWS_HTTP_BODY_BUFFER;
const int32_t body_stream = IWS_HTTP_BODY_STREAM;
/// on_http_head's type (Since 0.6): body_buffer, body_stream or a status.
typedef std::function<int32_t(const connection &, const http_request &)>
    http_head_handler;
/// on_http_body's type (Since 0.6): 0 to go on, or a status 400..599.
typedef std::function<int32_t(const connection &, const uint8_t *data,
                              size_t length)>
    http_body_handler;
/// broadcast_if's choice: true = this connection receives the message.
typedef std::function<bool(const connection &)> filter;

namespace impl {

// What the C callbacks reach through their user pointer. It lives on the
// heap so that moving a server never moves it.
struct state {
  iws_server *handle;
  connect_handler on_connect;
  message_handler on_message;
  disconnect_handler on_disconnect;
  error_handler on_error;
  exception_handler on_exception;
  log_handler on_log;
  http_handler on_http_request;
  conn_handler on_open;
  conn_handler on_close;
  heartbeat_handler on_heartbeat;
  http_head_handler on_http_head;
  http_body_handler on_http_body;
  // Set when the server was destroyed inside one of its own handlers: the
  // handle could not be freed, so it and this state are kept, and no user
  // handler is called any more (see ~server).
  std::atomic<bool> orphaned;

  state() : handle(nullptr), orphaned(false) {}
  state(const state &) = delete;
  state &operator=(const state &) = delete;

  static std::string what_of(std::exception_ptr e) {
    try {
      std::rethrow_exception(e);
    } catch (const std::exception &x) {
      return x.what();
    } catch (...) {
      return "an exception not derived from std::exception";
    }
  }

  // Reports an exception that escaped handler `where`. Never throws.
  void report(const connection &c, const char *where,
              std::exception_ptr e) noexcept {
    try {
      if (on_exception) {
        on_exception(c, e);
      } else if (on_log) {
        std::string line = std::string("iocpws: exception escaped the ") +
                           where + " handler";
        if (c) line += " (connection " + std::to_string(c.id()) + ")";
        on_log(IWS_LOG_ERROR, line + ": " + what_of(e));
      }
    } catch (...) {
      // The reporter failed as well: nothing is left to tell.
    }
  }

  static int32_t IWS_CALLBACK connect_cb(iws_server *s, iws_conn_id id,
                                         iws_request *r, void *user) {
    state *st = static_cast<state *>(user);
    if (st->orphaned.load()) return 503;
    if (!st->on_connect) return IWS_ACCEPT;
    try {
      request req(r);
      return static_cast<int32_t>(st->on_connect(connection(s, id), req));
    } catch (...) {
      st->report(connection(s, id), "on_connect", std::current_exception());
      return 500;
    }
  }

  static void IWS_CALLBACK message_cb(iws_server *s, iws_conn_id id,
                                      uint32_t op, const uint8_t *data,
                                      uint64_t length, void *user) {
    state *st = static_cast<state *>(user);
    if (st->orphaned.load() || !st->on_message) return;
    try {
      st->on_message(connection(s, id),
                     message(op == IWS_OP_TEXT ? opcode::text : opcode::binary,
                             data, static_cast<std::size_t>(length)));
    } catch (...) {
      st->report(connection(s, id), "on_message", std::current_exception());
    }
  }

  static void IWS_CALLBACK disconnect_cb(iws_server *s, iws_conn_id id,
                                         uint32_t code, const char *reason,
                                         uint32_t reason_length, void *user) {
    state *st = static_cast<state *>(user);
    if (st->orphaned.load() || !st->on_disconnect) return;
    try {
      st->on_disconnect(connection(s, id), code,
                        reason_length ? std::string(reason, reason_length)
                                      : std::string());
    } catch (...) {
      st->report(connection(s, id), "on_disconnect", std::current_exception());
    }
  }

  static void IWS_CALLBACK error_cb(iws_server *s, iws_conn_id id,
                                    int32_t code, const char *text,
                                    void *user) {
    state *st = static_cast<state *>(user);
    if (st->orphaned.load() || !st->on_error) return;
    connection c = id ? connection(s, id) : connection();
    try {
      st->on_error(c, error(code, text ? text : ""));
    } catch (...) {
      st->report(c, "on_error", std::current_exception());
    }
  }

  static void IWS_CALLBACK log_cb(iws_server *, int32_t level,
                                  const char *text, void *user) {
    state *st = static_cast<state *>(user);
    if (st->orphaned.load() || !st->on_log) return;
    try {
      st->on_log(level, text ? text : "");
    } catch (...) {
      // Not back into on_log: it is the one that failed.
      try {
        if (st->on_exception)
          st->on_exception(connection(), std::current_exception());
      } catch (...) {
      }
    }
  }

  static void IWS_CALLBACK http_cb(iws_server *s, iws_conn_id id,
                                   iws_request *r, iws_http_response *resp,
                                   void *user) {
    state *st = static_cast<state *>(user);
    if (st->orphaned.load()) {
      IOCPWS_C_(http_set_status)(resp, 503, nullptr);
      return;
    }
    if (!st->on_http_request) return;  // untouched: the library answers 404
    http_response res(resp);
    try {
      http_request req(r);
      st->on_http_request(connection(s, id), req, res);
    } catch (...) {
      if (!res.deferred()) {
        // whatever the handler set, the client learns it failed
        IOCPWS_C_(http_set_status)(resp, 500, nullptr);
        IOCPWS_C_(http_set_body)(resp, "Internal Server Error", 21);
      }
      st->report(connection(s, id), "on_http_request",
                 std::current_exception());
    }
  }

  static int32_t IWS_CALLBACK head_cb(iws_server *s, iws_conn_id id,
                                      iws_request *r, void *user) {
    state *st = static_cast<state *>(user);
    if (st->orphaned.load()) return 503;
    if (!st->on_http_head) return IWS_HTTP_BODY_BUFFER;
    try {
      http_request req(r);
      return st->on_http_head(connection(s, id), req);
    } catch (...) {
      st->report(connection(s, id), "on_http_head", std::current_exception());
      return 500;
    }
  }

  static int32_t IWS_CALLBACK body_cb(iws_server *s, iws_conn_id id,
                                      const uint8_t *data, uint32_t length,
                                      void *user) {
    state *st = static_cast<state *>(user);
    if (st->orphaned.load()) return 503;
    if (!st->on_http_body) return 0;
    try {
      return st->on_http_body(connection(s, id), data, length);
    } catch (...) {
      st->report(connection(s, id), "on_http_body", std::current_exception());
      return 500;
    }
  }

  static void IWS_CALLBACK open_cb(iws_server *s, iws_conn_id id,
                                   void *user) {
    state *st = static_cast<state *>(user);
    if (st->orphaned.load() || !st->on_open) return;
    try {
      st->on_open(connection(s, id));
    } catch (...) {
      st->report(connection(s, id), "on_open", std::current_exception());
    }
  }

  static void IWS_CALLBACK close_cb(iws_server *s, iws_conn_id id,
                                    void *user) {
    state *st = static_cast<state *>(user);
    if (st->orphaned.load() || !st->on_close) return;
    try {
      st->on_close(connection(s, id));
    } catch (...) {
      st->report(connection(s, id), "on_close", std::current_exception());
    }
  }

  // 1 = handled (no ping); 0 = the library pings (also when the handler
  // throws: the exception goes to on_exception).
  static int32_t IWS_CALLBACK heartbeat_cb(iws_server *s, iws_conn_id id,
                                           void *user) {
    state *st = static_cast<state *>(user);
    if (st->orphaned.load() || !st->on_heartbeat) return 0;
    try {
      return st->on_heartbeat(connection(s, id)) ? 1 : 0;
    } catch (...) {
      st->report(connection(s, id), "on_heartbeat", std::current_exception());
    }
    return 0;
  }

  // Orphaning: drop every connection (allowed inside a callback).
  static int32_t IWS_CALLBACK drop_cb(iws_conn_id id, void *, void *context) {
    state *st = static_cast<state *>(context);
    IOCPWS_C_(disconnect)(st->handle, id);
    return 0;  // and send nothing
  }

  // A broadcast filter: calls the user's predicate; the first exception it
  // throws is kept (and the rest receive nothing) to be rethrown on the
  // broadcasting thread once the C call returned.
  struct filter_context {
    iws_server *handle;
    const filter *pred;
    std::exception_ptr failure;
  };
  static int32_t IWS_CALLBACK filter_cb(iws_conn_id id, void *,
                                        void *context) {
    filter_context *fc = static_cast<filter_context *>(context);
    if (fc->failure) return 0;
    try {
      return (*fc->pred)(connection(fc->handle, id)) ? 1 : 0;
    } catch (...) {
      fc->failure = std::current_exception();
      return 0;
    }
  }

  // Destroys the handle; see ~server for IWS_E_IN_CALLBACK (the state is
  // then orphaned, and kept). Returns true when the state may be freed.
  bool destroy() noexcept {
    if (handle == nullptr) return true;
    try {
      int32_t rc = IOCPWS_C_(destroy)(handle);
      if (rc != IWS_E_IN_CALLBACK) {
        handle = nullptr;
        return true;
      }
      orphaned.store(true);
      uint32_t sent = 0;
      IOCPWS_C_(broadcast_filter)(handle, IWS_OP_PING, nullptr, 0, &drop_cb,
                                  this, &sent);
    } catch (...) {
      // Only the run-time route can throw (library not loaded), and a
      // handle exists only once it is loaded.
    }
    return false;
  }
};

struct state_deleter {
  void operator()(state *st) const noexcept {
    if (st->destroy()) delete st;
    // else: deliberately kept alive, with its handle (see ~server).
  }
};

}  // namespace impl

/// A WebSocket server: owns the library's server handle. Movable, not
/// copyable; a moved-from server is empty (operator bool false) and every
/// call on it throws error with IWS_E_INVALID_ARG, except destruction and
/// assignment.
class server {
 public:
  /// Creates a stopped server with these options (it does not listen yet:
  /// start()). Throws error: IWS_E_ABI_MISMATCH (library of another ABI),
  /// IWS_E_OPTION_RANGE / IWS_E_ADDRESS (a bad option; what() names it),
  /// IWS_E_NOMEM; with IOCPWS_DYNAMIC also the load errors of load().
  /// Owner thread.
  explicit server(const options &opts = options()) : st_(new impl::state) {
    iws_callbacks cb;
    std::memset(&cb, 0, sizeof cb);
    cb.struct_size = static_cast<uint32_t>(sizeof cb);
    cb.on_connect = &impl::state::connect_cb;
    cb.on_message = &impl::state::message_cb;
    cb.on_disconnect = &impl::state::disconnect_cb;
    cb.on_error = &impl::state::error_cb;
    cb.on_log = &impl::state::log_cb;
    cb.on_http_request = &impl::state::http_cb;
    cb.on_open = &impl::state::open_cb;
    cb.on_close = &impl::state::close_cb;
    cb.on_heartbeat = &impl::state::heartbeat_cb;
    cb.on_http_head = &impl::state::head_cb;
    cb.on_http_body = &impl::state::body_cb;
    iws_server *h = nullptr;
    impl::check_call(
        IOCPWS_C_(create)(IWS_ABI_VERSION, &cb, st_.get(), &h), "iws_create");
    st_->handle = h;
    configure(opts);  // on failure st_'s deleter destroys the handle
  }

  /// Stops the server if it runs (close 1001 to every client, waiting up to
  /// options::stop_timeout_ms; every on_disconnect runs before it returns)
  /// and frees it. Never throws.
  ///
  /// Destroying a server inside one of its own handlers (directly, or by
  /// destroying an object that owns it) cannot stop it: stop waits for the
  /// handlers to return. Then, instead of undefined behaviour, the server
  /// is orphaned: the library's handle and the handlers' storage are
  /// deliberately leaked, every open connection is dropped (on_disconnect
  /// is not called), new clients are refused with HTTP 503, and none of
  /// your handlers is called again once those running now return. The
  /// listening socket stays open until the process ends. Destroy servers
  /// from the owner thread.
  ~server() = default;

  server(server &&other) noexcept : st_(std::move(other.st_)) {}
  /// Destroys the server held (as ~server does), then takes other's.
  server &operator=(server &&other) noexcept {
    st_ = std::move(other.st_);
    return *this;
  }
  server(const server &) = delete;
  server &operator=(const server &) = delete;

  /// False once moved from.
  explicit operator bool() const noexcept { return st_ != nullptr; }

  /// The library's handle, for calls this wrapper does not cover.
  iws_server *native_handle() const noexcept {
    return st_ ? st_->handle : nullptr;
  }

  /// Applies every field of opts (the server must be stopped). Throws error:
  /// IWS_E_BAD_STATE (running), IWS_E_OPTION_RANGE / IWS_E_ADDRESS with the
  /// option named in what(), IWS_E_IN_CALLBACK. Fields applied before the
  /// failing one keep their new value. Owner thread.
  void configure(const options &o) {
    set_int(IWS_OPT_PORT, o.port);
    set_int(IWS_OPT_IO_THREADS, o.io_threads);
    set_int(IWS_OPT_WORKER_THREADS, o.worker_threads);
    set_int(IWS_OPT_MAX_CONNECTIONS, static_cast<int64_t>(o.max_connections));
    set_int(IWS_OPT_MAX_MESSAGE_SIZE,
            static_cast<int64_t>(o.max_message_size));
    set_int(IWS_OPT_MAX_HANDSHAKE_SIZE, o.max_handshake_size);
    set_int(IWS_OPT_HANDSHAKE_TIMEOUT_MS, o.handshake_timeout_ms);
    set_int(IWS_OPT_HEARTBEAT_INTERVAL_MS, o.heartbeat_interval_ms);
    set_int(IWS_OPT_HEARTBEAT_TIMEOUT_MS, o.heartbeat_timeout_ms);
    set_int(IWS_OPT_HEARTBEAT_IF_IDLE, o.heartbeat_if_idle ? 1 : 0);
    set_int(IWS_OPT_SEND_QUEUE_LIMIT,
            static_cast<int64_t>(o.send_queue_limit));
    set_int(IWS_OPT_SEND_QUEUE_POLICY, static_cast<int>(o.send_queue_policy));
    set_int(IWS_OPT_INCOMPLETE_MESSAGES_LIMIT,
            static_cast<int64_t>(o.incomplete_messages_limit));
    set_int(IWS_OPT_TCP_NODELAY, o.tcp_nodelay ? 1 : 0);
    set_int(IWS_OPT_TCP_KEEPALIVE, o.tcp_keepalive ? 1 : 0);
    set_int(IWS_OPT_TCP_KEEPALIVE_TIME_MS, o.tcp_keepalive_time_ms);
    set_int(IWS_OPT_TCP_KEEPALIVE_INTERVAL_MS, o.tcp_keepalive_interval_ms);
    set_int(IWS_OPT_LISTEN_BACKLOG, o.listen_backlog);
    set_int(IWS_OPT_CLOSE_TIMEOUT_MS, o.close_timeout_ms);
    set_int(IWS_OPT_STOP_TIMEOUT_MS, o.stop_timeout_ms);
    set_int(IWS_OPT_LOG_LEVEL, o.log_level);
    set_int(IWS_OPT_IPV6_ONLY, o.ipv6_only ? 1 : 0);
    set_int(IWS_OPT_ACCEPTS_POSTED, o.accepts_posted);
    set_int(IWS_OPT_DEFLATE, o.deflate.enabled ? 1 : 0);
    set_int(IWS_OPT_DEFLATE_SERVER_MAX_WINDOW_BITS,
            o.deflate.server_max_window_bits);
    set_int(IWS_OPT_DEFLATE_CLIENT_MAX_WINDOW_BITS,
            o.deflate.client_max_window_bits);
    set_int(IWS_OPT_DEFLATE_SERVER_NO_CONTEXT_TAKEOVER,
            o.deflate.server_no_context_takeover ? 1 : 0);
    set_int(IWS_OPT_DEFLATE_CLIENT_NO_CONTEXT_TAKEOVER,
            o.deflate.client_no_context_takeover ? 1 : 0);
    set_int(IWS_OPT_DEFLATE_MEM_LEVEL, o.deflate.mem_level);
    set_int(IWS_OPT_DEFLATE_LEVEL, o.deflate.level);
    set_int(IWS_OPT_DEFLATE_THRESHOLD,
            static_cast<int64_t>(o.deflate.threshold));
    set_int(IWS_OPT_DEFLATE_MAX_INFLATED_SIZE,
            static_cast<int64_t>(o.deflate.max_inflated_size));
    set_str(IWS_OPT_BIND_ADDRESS, o.bind_address);
    std::string list;
    for (std::size_t i = 0; i < o.subprotocols.size(); ++i)
      list += (i ? "," : "") + o.subprotocols[i];
    set_str(IWS_OPT_SUBPROTOCOLS, list);
    set_int(IWS_OPT_TLS_PORT, o.tls_port);
    set_int(IWS_OPT_TLS_MIN_VERSION, static_cast<int>(o.tls_min_version));
    set_int(IWS_OPT_TLS_HANDSHAKE_TIMEOUT_MS, o.tls_handshake_timeout_ms);
    set_str(IWS_OPT_TLS_CERT_FILE, o.tls_cert_file);
    set_str(IWS_OPT_TLS_KEY_FILE, o.tls_key_file);
    set_str(IWS_OPT_TLS_CA_FILE, o.tls_ca_file);
    set_str(IWS_OPT_TLS_PASSWORD, o.tls_password);
    set_str(IWS_OPT_TLS_CERT_PEM, o.tls_cert_pem);
    set_str(IWS_OPT_TLS_KEY_PEM, o.tls_key_pem);
    set_str(IWS_OPT_TLS_CA_PEM, o.tls_ca_pem);
    set_str(IWS_OPT_TLS_CIPHERS, o.tls_ciphers);
    set_str(IWS_OPT_TLS_CIPHERSUITES, o.tls_ciphersuites);
    set_int(IWS_OPT_TLS_VERIFY_CLIENT, static_cast<int>(o.tls_verify_client));
    set_int(IWS_OPT_TLS_VERIFY_DEPTH, o.tls_verify_depth);
    set_str(IWS_OPT_TLS_CLIENT_CA_FILE, o.tls_client_ca_file);
    set_str(IWS_OPT_TLS_CLIENT_CA_PEM, o.tls_client_ca_pem);
    set_int(IWS_OPT_REDIS_RECONNECT_MAX_MS, o.redis_reconnect_max_ms);
    set_str(IWS_OPT_REDIS_PREFIX, o.redis_prefix);
    set_str(IWS_OPT_REDIS_URL, o.redis_url);
    set_int(IWS_OPT_HTTP_MAX_BODY_SIZE,
            static_cast<int64_t>(o.http.max_body_size));
    set_int(IWS_OPT_HTTP_MAX_URI_LENGTH, o.http.max_uri_length);
    set_int(IWS_OPT_HTTP_REQUEST_TIMEOUT_MS, o.http.request_timeout_ms);
    set_int(IWS_OPT_HTTP_KEEPALIVE_TIMEOUT_MS, o.http.keepalive_timeout_ms);
    set_int(IWS_OPT_HTTP_RESPONSE_TIMEOUT_MS, o.http.response_timeout_ms);
    set_int(IWS_OPT_HTTP_MAX_PIPELINED, o.http.max_pipelined);
    set_str(IWS_OPT_HTTP_DOCUMENT_ROOT, o.http.document_root);
    set_str(IWS_OPT_HTTP_INDEX_FILE, o.http.index_file);
  }

  /// Sets one option by number (IWS_OPT_* below 10000), for options this
  /// wrapper does not name yet. Throws like configure.
  void set_int(int32_t option, int64_t value) {
    check(IOCPWS_C_(set_int)(handle(), option, value), "iws_set_int");
  }
  /// Sets one string option (IWS_OPT_* from 10000).
  void set_str(int32_t option, const std::string &value) {
    check(IOCPWS_C_(set_str)(handle(), option, value.c_str()), "iws_set_str");
  }
  /// Reads an integer option. Any thread.
  int64_t get_int(int32_t option) const {
    int64_t v = 0;
    check(IOCPWS_C_(get_int)(handle(), option, &v), "iws_get_int");
    return v;
  }
  /// Reads a string option (IWS_OPT_TLS_PASSWORD always reads ""). Throws
  /// error: IWS_E_UNKNOWN_OPTION, IWS_E_OPTION_TYPE. Any thread.
  std::string get_str(int32_t option) const {
    uint32_t needed = 0;
    char small[256];
    int32_t rc = IOCPWS_C_(get_str)(handle(), option, small, sizeof small,
                                    &needed);
    if (rc != IWS_E_BUFFER_TOO_SMALL) {
      check(rc, "iws_get_str");
      return small;
    }
    for (;;) {  // the value may grow between the calls: ask again
      std::vector<char> big(needed);
      rc = IOCPWS_C_(get_str)(handle(), option, &big[0], needed, &needed);
      if (rc != IWS_E_BUFFER_TOO_SMALL) {
        check(rc, "iws_get_str");
        return &big[0];
      }
    }
  }

  /// Adds a certificate for one host name, chosen by the client's SNI
  /// (server name indication); clients naming another host, or none, get
  /// the main certificate (options::tls_cert_*). host_name: "example.com"
  /// or a wildcard "*.example.com" (one label), compared without regard to
  /// case; adding a host name again replaces its entry. cert and key: a PEM
  /// file path, or the PEM text itself (a value starting with
  /// "-----BEGIN"); cert may carry the chain after the leaf
  /// (options::tls_ca_* is not added to it). password: of an encrypted key,
  /// "" for none. The strings are copied; the files are read and checked by
  /// start() (IWS_E_TLS_CONFIG there). The entries outlive configure() and
  /// stop(). The server must be stopped. Throws error: IWS_E_INVALID_ARG
  /// (empty or over-long host name), IWS_E_BAD_STATE (running),
  /// IWS_E_IN_CALLBACK, IWS_E_NOMEM. Owner thread.
  void add_tls_host(const std::string &host_name, const std::string &cert,
                    const std::string &key,
                    const std::string &password = std::string()) {
    check(IOCPWS_C_(tls_add_host)(handle(), host_name.c_str(), cert.c_str(),
                                  key.c_str(),
                                  password.empty() ? nullptr
                                                   : password.c_str()),
          "iws_tls_add_host");
  }
  /// Removes every add_tls_host entry. Throws error like add_tls_host
  /// (IWS_E_BAD_STATE while running). Owner thread.
  void clear_tls_hosts() {
    check(IOCPWS_C_(tls_add_host)(handle(), nullptr, nullptr, nullptr,
                                  nullptr),
          "iws_tls_add_host");
  }

  /// Adds a listener (Since 0.6; Indy's and sgc's Bindings). Once one was
  /// added the server listens on exactly the added ones, and options::port,
  /// tls_port and bind_address (except as the address of one added with
  /// address "") are not used. address: an IPv4 or IPv6 literal, "" =
  /// options::bind_address; port: 0 = any free port (listener_port()); tls:
  /// a TLS listener with the server's tls_* options. Listeners outlive
  /// configure() and stop(), like add_tls_host; their index (the order
  /// added) is connection::listener(). A listener that cannot be opened
  /// makes start() throw IWS_E_BIND (or IWS_E_ADDRESS, IWS_E_LISTEN) naming
  /// it, with none left listening. Throws error: IWS_E_ADDRESS (not an IP
  /// literal), IWS_E_INVALID_ARG (port over 65535), IWS_E_OPTION_RANGE (64
  /// listeners already), IWS_E_BAD_STATE (running), IWS_E_IN_CALLBACK,
  /// IWS_E_NOMEM. Owner thread.
  void add_listener(const std::string &address, uint32_t port,
                    bool tls = false) {
    check(IOCPWS_C_(add_listener)(handle(),
                                  address.empty() ? nullptr : address.c_str(),
                                  port, tls ? IWS_LISTEN_TLS : 0),
          "iws_add_listener");
  }
  /// Removes every add_listener entry (back to port / tls_port). Throws
  /// error with IWS_E_BAD_STATE while running. Owner thread. Since 0.6.
  void clear_listeners() {
    check(IOCPWS_C_(clear_listeners)(handle()), "iws_clear_listeners");
  }

  /// The handlers. Set them while the server is stopped (they run on
  /// library threads; replacing one while it may run would be a data race):
  /// a setter throws error with IWS_E_BAD_STATE while the server runs (so
  /// also inside a handler). An empty std::function removes the handler.
  /// Each returns *this for chaining.
  ///
  /// on_connect(connection, request&) -> int: a client completed a valid
  /// handshake; inspect the request, select a subprotocol, attach user data,
  /// then return iocpws::accept, or an HTTP status 400..599 to refuse (no
  /// on_disconnect follows a refusal). Without it every client is accepted.
  /// If it throws, the client is refused with 500.
  server &on_connect(connect_handler h) {
    settable();
    st_->on_connect = std::move(h);
    return *this;
  }
  /// on_message(connection, message): a complete message (fragments
  /// joined). The message's bytes are valid during the call only.
  server &on_message(message_handler h) {
    settable();
    st_->on_message = std::move(h);
    return *this;
  }
  /// on_disconnect(connection, code, reason): the connection is gone;
  /// exactly once per accepted connection, also at stop(). code: the close
  /// code that ended it (1006 when no close handshake took place). The id
  /// is dead once it returns: free the user data here.
  server &on_disconnect(disconnect_handler h) {
    settable();
    st_->on_disconnect = std::move(h);
    return *this;
  }
  /// on_error(connection, error): something went wrong; the connection is
  /// null (id 0) for server-wide problems (any library thread), else it is
  /// the one concerned (its handler thread, before its on_disconnect).
  server &on_error(error_handler h) {
    settable();
    st_->on_error = std::move(h);
    return *this;
  }
  /// on_exception(connection, exception_ptr): one of your handlers threw;
  /// the exception stopped at the trampoline (std::rethrow_exception to
  /// inspect it). The connection is the handler's (null for on_log). The
  /// connection stays open unless you close it. Without on_exception the
  /// exception is reported to on_log at IWS_LOG_ERROR.
  server &on_exception(exception_handler h) {
    settable();
    st_->on_exception = std::move(h);
    return *this;
  }
  /// on_log(level, line): the library's log lines at options::log_level or
  /// more important. May run on any library thread, concurrently: make it
  /// thread-safe.
  server &on_log(log_handler h) {
    settable();
    st_->on_log = std::move(h);
    return *this;
  }

  /// on_http_request(connection, http_request, http_response&): a plain
  /// HTTP request (not a WebSocket upgrade, not answered from
  /// http_options::document_root) arrived whole. Fill the response; it is
  /// sent when the handler returns, or later from any thread through
  /// response.defer(). Runs on the connection's handler thread, like
  /// on_message; the connection is the HTTP connection (peer() works; sends
  /// of WebSocket messages to it throw IWS_E_NO_CONNECTION). If the handler
  /// throws, the client gets 500 (unless it deferred: then the
  /// deferred_response sends 500 when destroyed unsent) and the exception
  /// goes to on_exception. Without it every such request gets 404. Since
  /// 0.5.
  server &on_http_request(http_handler h) {
    settable();
    st_->on_http_request = std::move(h);
    return *this;
  }

  /// on_http_head(connection, http_request) -> int32_t: the head of a plain
  /// HTTP request, before its body is read (body() is empty here). Return
  /// body_buffer (the body into memory, up to http_options' max body size,
  /// then on_http_request: as without this handler), body_stream (the body
  /// to on_http_body piece by piece, unbounded, then on_http_request with
  /// an empty body) or a status 400..599 (sent at once, the body never
  /// read, the connection closes; a client expecting 100-continue gets it
  /// instead of the 100). If it throws: 500, and the exception goes to
  /// on_exception. Indy's OnHeadersAvailable + OnCreatePostStream. Since 0.6.
  server &on_http_head(http_head_handler h) {
    settable();
    st_->on_http_head = std::move(h);
    return *this;
  }
  /// on_http_body(connection, data, length) -> int32_t: a piece of a body
  /// that on_http_head streamed, in order, on the connection's handler
  /// thread (chunked coding removed; the data is valid during the call
  /// only). Return 0, or a status 400..599 to refuse the rest (e.g. 507,
  /// disk full; the connection closes). If it throws: 500, and the
  /// exception goes to on_exception. Reading of the connection waits while
  /// it runs, so the library's memory stays bounded. Since 0.6.
  server &on_http_body(http_body_handler h) {
    settable();
    st_->on_http_body = std::move(h);
    return *this;
  }

  /// on_open(connection): a connection was accepted (every one, plain HTTP
  /// or WebSocket, before any of its bytes is read); its first handler, on
  /// its handler thread (with worker_threads 0 the I/O thread that
  /// accepted it: keep it short). Indy's OnConnect. Since 0.6.
  server &on_open(conn_handler h) {
    settable();
    st_->on_open = std::move(h);
    return *this;
  }
  /// on_close(connection): the connection on_open announced ended, exactly
  /// once, whatever the cause (also at stop()); its last handler, after
  /// on_disconnect for a WebSocket. peer() still works during it. Indy's
  /// OnDisconnect. Since 0.6.
  server &on_close(conn_handler h) {
    settable();
    st_->on_close = std::move(h);
    return *this;
  }
  /// on_heartbeat(connection) -> bool: the heartbeat is about to ping the
  /// connection (with heartbeat_if_idle only a ping that is sent); return
  /// true when the handler did its own heartbeat: no ping is sent and no
  /// answer awaited for this beat. Never concurrently with the
  /// connection's other handlers: on its worker (worker_threads > 0), else
  /// on the timer's I/O thread while its own waits (keep it short).
  /// sgc's OnBeforeHeartBeat. Since 0.6.
  server &on_heartbeat(heartbeat_handler h) {
    settable();
    st_->on_heartbeat = std::move(h);
    return *this;
  }

  /// Binds, listens and starts the threads; returns once clients can
  /// connect. Throws error: IWS_E_BAD_STATE (running), IWS_E_ADDRESS,
  /// IWS_E_BIND, IWS_E_LISTEN, IWS_E_THREAD, IWS_E_SYSTEM, IWS_E_NOMEM,
  /// IWS_E_IN_CALLBACK; what() has the library's detail ("bind 0.0.0.0 port
  /// 80: Permission denied"). With TLS also IWS_E_TLS_CONFIG, what() giving
  /// OpenSSL's reason (unreadable file, wrong password, key not matching
  /// the certificate, unknown cipher), and IWS_E_OPTION_RANGE when port and
  /// tls_port are both -1 (nothing to listen on). Owner thread.
  void start() { check(IOCPWS_C_(start)(handle()), "iws_start"); }

  /// Stops: no new clients, close 1001 to every connection, then after
  /// options::stop_timeout_ms the rest are dropped. When it returns every
  /// on_disconnect has run and no handler runs any more; start() may be
  /// called again. Stopping a stopped server does nothing. Throws error
  /// with IWS_E_IN_CALLBACK inside a handler (stop from another thread).
  /// Owner thread.
  void stop() { check(IOCPWS_C_(stop)(handle()), "iws_stop"); }

  /// True while the server runs (between start() and stop()). Any thread.
  bool running() const noexcept {
    uint32_t p = 0;
    try {
      return st_ && IOCPWS_C_(get_port)(st_->handle, &p) == IWS_OK;
    } catch (...) {
      return false;
    }
  }

  /// The port the server listens on (useful with options::port 0); with
  /// options::port -1 (TLS only) the TLS listener's. Throws error with
  /// IWS_E_BAD_STATE when not running. Any thread.
  uint16_t port() const {
    uint32_t p = 0;
    check(IOCPWS_C_(get_port)(handle(), &p), "iws_get_port");
    return static_cast<uint16_t>(p);
  }

  /// The TLS listener's port (useful with options::tls_port 0). Throws
  /// error with IWS_E_BAD_STATE when not running or without a TLS listener
  /// (options::tls_port -1). Any thread.
  uint16_t tls_port() const {
    uint32_t p = 0;
    check(IOCPWS_C_(get_tls_port)(handle(), &p), "iws_get_tls_port");
    return static_cast<uint16_t>(p);
  }

  /// The number of sockets listened on (the add_listener ones, or the 1 or
  /// 2 of port / tls_port). Throws error with IWS_E_BAD_STATE when not
  /// running. Any thread. Since 0.6.
  uint32_t listener_count() const {
    uint32_t n = 0;
    check(IOCPWS_C_(get_listener_count)(handle(), &n), "iws_get_listener_count");
    return n;
  }

  /// The port listener `index` is bound to (the one the system chose for
  /// port 0). Throws error: IWS_E_BAD_STATE (not running),
  /// IWS_E_INVALID_ARG (index not below listener_count()). Any thread.
  /// Since 0.6.
  uint16_t listener_port(uint32_t index) const {
    uint32_t p = 0;
    check(IOCPWS_C_(get_listener)(handle(), index, &p, nullptr),
          "iws_get_listener");
    return static_cast<uint16_t>(p);
  }

  /// Whether listener `index` speaks TLS; throws like listener_port.
  bool listener_is_tls(uint32_t index) const {
    uint32_t p = 0, flags = 0;
    check(IOCPWS_C_(get_listener)(handle(), index, &p, &flags),
          "iws_get_listener");
    return (flags & IWS_LISTEN_TLS) != 0;
  }

  /// The connection with this id (not checked: calls on a gone id throw
  /// IWS_E_NO_CONNECTION).
  connection connection_by_id(conn_id id) const {
    return connection(handle(), id);
  }

  /// Sends one message to every open connection except those in exclude.
  /// The frame is built once and shared. Returns the number of connections
  /// it was queued for; a receiver over its send-queue limit is handled by
  /// options::send_queue_policy and does not fail the call. Throws error:
  /// IWS_E_BAD_STATE (not running), IWS_E_INVALID_UTF8,
  /// IWS_E_MESSAGE_TOO_BIG, IWS_E_NOMEM. Any thread, inside handlers too.
  uint32_t broadcast(opcode kind, const void *data, std::size_t size,
                     const std::vector<conn_id> &exclude =
                         std::vector<conn_id>()) {
    uint32_t sent = 0;
    check(IOCPWS_C_(broadcast)(handle(), static_cast<uint32_t>(kind), data,
                               static_cast<uint64_t>(size),
                               exclude.empty() ? nullptr : &exclude[0],
                               static_cast<uint32_t>(exclude.size()), &sent),
          "iws_broadcast");
    return sent;
  }
  uint32_t broadcast_text(const std::string &utf8,
                          const std::vector<conn_id> &exclude =
                              std::vector<conn_id>()) {
    return broadcast(opcode::text, utf8.data(), utf8.size(), exclude);
  }
  /// To everyone but one (a chat's sender).
  uint32_t broadcast_text(const std::string &utf8, const connection &except) {
    return broadcast_text(utf8, std::vector<conn_id>(1, except.id()));
  }
  uint32_t broadcast_binary(const void *data, std::size_t size,
                            const std::vector<conn_id> &exclude =
                                std::vector<conn_id>()) {
    return broadcast(opcode::binary, data, size, exclude);
  }
  /// Pings every connection (payload at most 125 bytes).
  uint32_t broadcast_ping(const std::string &payload = std::string()) {
    uint32_t sent = 0;
    check(IOCPWS_C_(broadcast)(handle(), IWS_OP_PING, payload.data(),
                               payload.size(), nullptr, 0, &sent),
          "iws_broadcast");
    return sent;
  }

  /// Sends to the connections for which choose(connection) returns true.
  /// choose runs on this thread, once per connection, with no library lock
  /// held (it may call user_data() or send). If it throws, the rest receive
  /// nothing and the exception is rethrown here once the broadcast ended.
  uint32_t broadcast_if(opcode kind, const void *data, std::size_t size,
                        const filter &choose) {
    impl::state::filter_context fc;
    fc.handle = handle();
    fc.pred = &choose;
    uint32_t sent = 0;
    int32_t rc = IOCPWS_C_(broadcast_filter)(
        fc.handle, static_cast<uint32_t>(kind), data,
        static_cast<uint64_t>(size),
        choose ? &impl::state::filter_cb : nullptr, &fc, &sent);
    if (fc.failure) std::rethrow_exception(fc.failure);
    check(rc, "iws_broadcast_filter");
    return sent;
  }
  uint32_t broadcast_text_if(const std::string &utf8, const filter &choose) {
    return broadcast_if(opcode::text, utf8.data(), utf8.size(), choose);
  }

  /// Sends one message to every subscriber of channel (connection::
  /// subscribe) except the local ids in exclude, and with
  /// options::redis_url to the subscribers on every server sharing that
  /// Redis. Returns how many local connections it was queued for (0 is
  /// fine). Throws error: IWS_E_CHANNEL_NAME, IWS_E_BAD_STATE (not
  /// running), IWS_E_INVALID_UTF8, IWS_E_MESSAGE_TOO_BIG, IWS_E_NOMEM; a
  /// Redis outage does not throw (on_error reports IWS_E_REDIS). Any
  /// thread, inside handlers too. Since 0.4.
  uint32_t publish(const std::string &channel, opcode kind, const void *data,
                   std::size_t size,
                   const std::vector<conn_id> &exclude =
                       std::vector<conn_id>()) {
    uint32_t sent = 0;
    check(IOCPWS_C_(publish)(handle(), channel.c_str(),
                             static_cast<uint32_t>(kind), data,
                             static_cast<uint64_t>(size),
                             exclude.empty() ? nullptr : &exclude[0],
                             static_cast<uint32_t>(exclude.size()), &sent),
          "iws_publish");
    return sent;
  }
  uint32_t publish_text(const std::string &channel, const std::string &utf8,
                        const std::vector<conn_id> &exclude =
                            std::vector<conn_id>()) {
    return publish(channel, opcode::text, utf8.data(), utf8.size(), exclude);
  }
  uint32_t publish_binary(const std::string &channel, const void *data,
                          std::size_t size,
                          const std::vector<conn_id> &exclude =
                              std::vector<conn_id>()) {
    return publish(channel, opcode::binary, data, size, exclude);
  }

  /// The counters since the server was created. Any thread.
  stats statistics() const {
    stats s;
    std::memset(&s, 0, sizeof s);
    s.struct_size = static_cast<uint32_t>(sizeof s);
    check(IOCPWS_C_(get_stats)(handle(), &s), "iws_get_stats");
    return s;
  }

  /// The detail of the server's most recent failure ("" if none). Any thread.
  std::string last_error() const {
    char buf[512];
    buf[0] = '\0';
    IOCPWS_C_(last_error)(handle(), buf, sizeof buf);
    return buf;
  }

 private:
  iws_server *handle() const {
    if (!st_)
      throw error(IWS_E_INVALID_ARG, "iocpws::server: used after a move");
    return st_->handle;
  }
  // Throws error(rc) with the server's detail for the failed call.
  void check(int32_t rc, const char *call) const {
    if (rc >= 0) return;
    char detail[512];
    detail[0] = '\0';
    int32_t last = IOCPWS_C_(last_error)(st_->handle, detail, sizeof detail);
    std::string text = std::string(call) + ": " + detail::code_name(rc) + ": ";
    text += (last == rc && detail[0]) ? detail : IOCPWS_C_(strerror)(rc);
    throw error(rc, text);
  }
  void settable() const {
    if (!st_)
      throw error(IWS_E_INVALID_ARG, "iocpws::server: used after a move");
    if (running())
      throw error(IWS_E_BAD_STATE,
                  "iocpws::server: handlers are set while the server is "
                  "stopped");
  }

  std::unique_ptr<impl::state, impl::state_deleter> st_;
};

}  // inline namespace
}  // namespace iocpws

#undef IOCPWS_C_

#endif  // IOCPWS_HPP
