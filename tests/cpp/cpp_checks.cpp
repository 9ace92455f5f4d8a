// cpp_checks - in-process checks of bindings/cpp/iocpws.hpp that need no
// client: exceptions carry codes, option defaults mirror the library's,
// moved-from servers, life cycle rules, bad input, struct layout, and (built
// with IOCPWS_DYNAMIC) loader errors that name the missing library or symbol.
//
// Prints "PASS <name>" or "FAIL <name>: <why>" per check and a closing
// "<n> passed, <m> failed"; the exit code is the number of failed checks.
// tests/cpp/run.sh turns the lines into a JUnit report.
#include "iocpws.hpp"

#include <cstddef>
#include <cstdio>
#include <cstring>
#include <functional>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "cpp_portable.hpp"

#ifdef IOCPWS_DYNAMIC
#define C_(name) (::iocpws::api().name)
#else
#define C_(name) (::iws_##name)
#endif

namespace {

// ---- compile-time properties -------------------------------------------

static_assert(std::is_nothrow_destructible<iocpws::server>::value,
              "~server never throws");
static_assert(!std::is_copy_constructible<iocpws::server>::value &&
                  !std::is_copy_assignable<iocpws::server>::value,
              "server is not copyable");
static_assert(std::is_nothrow_move_constructible<iocpws::server>::value &&
                  std::is_nothrow_move_assignable<iocpws::server>::value,
              "server moves without throwing");
static_assert(std::is_base_of<std::runtime_error, iocpws::error>::value,
              "error is a runtime_error");
// The handshake's and plain HTTP's requests share one base for their
// common accessors (path, header, has_header, headers).
static_assert(std::is_base_of<iocpws::basic_request, iocpws::request>::value &&
                  std::is_base_of<iocpws::basic_request, iocpws::http_request>::value,
              "request and http_request derive from basic_request");
static_assert(std::is_trivially_copyable<iocpws::connection>::value,
              "connection is a plain value");
static_assert(!std::is_copy_constructible<iocpws::deferred_response>::value &&
                  !std::is_copy_assignable<iocpws::deferred_response>::value,
              "a deferred response has one owner");
static_assert(std::is_nothrow_move_constructible<iocpws::deferred_response>::value &&
                  std::is_nothrow_move_assignable<iocpws::deferred_response>::value &&
                  std::is_nothrow_destructible<iocpws::deferred_response>::value,
              "a deferred response moves (to another thread) without throwing");
static_assert(!std::is_copy_constructible<iocpws::http_response>::value,
              "the handler's response is not copied");

#ifndef IOCPWS_DYNAMIC
}  // namespace
// The loader's table: one pointer per function, of exactly the function's
// type (return, parameters, calling convention).
#include "iocpws_loader.h"
namespace {
#define CHECK_TYPE_(ret, name, params)                                   \
  static_assert(std::is_same<decltype(&::iws_##name),                    \
                             decltype(iws_api::name)>::value,            \
                "iws_api::" #name " has another type than iws_" #name);
IWS_LOADER_FUNCTIONS(CHECK_TYPE_)
#undef CHECK_TYPE_
#endif

// ---- the little framework ----------------------------------------------

struct failure {
  std::string why;
};

int g_passed = 0;
int g_failed = 0;

void expect(bool ok, const std::string &why) {
  if (!ok) throw failure{why};
}

template <class A, class B>
void expect_eq(const A &a, const B &b, const std::string &what) {
  if (!(a == b)) {
    std::ostringstream s;
    s << what << ": got " << a << ", expected " << b;
    throw failure{s.str()};
  }
}

// Runs f, which must throw iocpws::error with `code`; returns its what().
template <class F>
std::string expect_error(int32_t code, F f, const std::string &what) {
  try {
    f();
  } catch (const iocpws::error &e) {
    if (e.code() != code) {
      std::ostringstream s;
      s << what << ": threw " << e.name() << " (" << e.what() << "), expected "
        << iocpws::detail::code_name(code);
      throw failure{s.str()};
    }
    expect(std::string(e.name()) == iocpws::detail::code_name(code),
           what + ": name()");
    return e.what();
  }
  throw failure{what + ": did not throw"};
}

bool contains(const std::string &s, const std::string &part) {
  return s.find(part) != std::string::npos;
}

void run(const char *name, const std::function<void()> &f) {
  std::string why;
  try {
    f();
    std::printf("PASS %s\n", name);
    ++g_passed;
    std::fflush(stdout);
    return;
  } catch (const failure &x) {
    why = x.why;
  } catch (const std::exception &e) {
    why = std::string("unexpected exception: ") + e.what();
  } catch (...) {
    why = "unexpected exception";
  }
  std::printf("FAIL %s: %s\n", name, why.c_str());
  ++g_failed;
  std::fflush(stdout);
}

iocpws::options local() {
  iocpws::options o;
  o.bind_address = "127.0.0.1";
  o.port = 0;
  o.io_threads = 1;
  return o;
}

// ---- checks --------------------------------------------------------------

#ifdef IOCPWS_DYNAMIC
// These run first: they need the library not loaded yet.
void loader_names_missing_library() {
#ifdef _WIN32
  const char *path = "C:\\no\\such\\dir\\iocpws-missing.dll";
#else
  const char *path = "/no/such/dir/libiocpws-missing.so";
#endif
  std::string what = expect_error(IWS_E_SYSTEM, [&]() { iocpws::load(path); },
                                  "load(missing)");
  expect(contains(what, path), "the message names the library: " + what);
  // construction loads the default name lazily; a failed load is retried
}

void loader_names_missing_symbol() {
#ifdef _WIN32
  const char *path = "kernel32.dll";
#else
  const char *path = "libc.so.6";
#endif
  std::string what = expect_error(IWS_E_ABI_MISMATCH,
                                  [&]() { iocpws::load(path); },
                                  "load(not iocpws)");
  expect(contains(what, path), "the message names the library: " + what);
  expect(contains(what, "iws_version"),
         "the message names the missing symbol: " + what);
}

void loader_default_then_other_path() {
  iocpws::load();  // the default name, found next to / through RUNPATH
  expect(iocpws::api().library != nullptr, "a library handle");
  iocpws::load();  // again: nothing happens
  std::string what = expect_error(IWS_E_BAD_STATE,
                                  []() { iocpws::load("other-iocpws.so"); },
                                  "load(another path) once loaded");
  expect(contains(what, IWS_LOADER_DEFAULT_NAME), what);
}
#endif

void versions_match_header() {
  expect_eq(iocpws::version_number(), static_cast<uint32_t>(IWS_VERSION_NUMBER),
            "version_number()");
  expect_eq(iocpws::version(), std::string(IWS_VERSION_STRING), "version()");
  expect_eq(C_(abi_version)(), static_cast<uint32_t>(IWS_ABI_VERSION),
            "abi_version");
}

void components_are_listed() {
  std::vector<iocpws::component> all = iocpws::components();
  expect_eq(all.size(), static_cast<size_t>(IWS_COMPONENT_HIREDIS + 1),
            "components().size()");
  expect_eq(all[0].name, std::string("iocpws"), "engine name");
  expect_eq(all[0].version, std::string(IWS_VERSION_STRING), "engine version");
  expect_eq(all[IWS_COMPONENT_OPENSSL].name, std::string("OpenSSL"), "OpenSSL name");
  expect(all[IWS_COMPONENT_OPENSSL].version.compare(0, 2, "3.") == 0,
         "OpenSSL 3: " + all[IWS_COMPONENT_OPENSSL].version);
  for (size_t i = 0; i < all.size(); ++i) {
    expect_eq(all[i].id, static_cast<uint32_t>(i), "component id");
    expect_eq(iocpws::component_version(all[i].id), all[i].version,
              "component_version(" + all[i].name + ")");
    if (all[i].id != IWS_COMPONENT_HIREDIS)
      expect(!all[i].version.empty(), all[i].name + " has a version");
  }
  expect_error(IWS_E_INVALID_ARG,
               []() { iocpws::component_version(IWS_COMPONENT_HIREDIS + 1); },
               "component_version(unknown)");
}

void code_names_match_library() {
  for (int32_t c = -600; c <= 0; ++c) {
    std::string mine = iocpws::detail::code_name(c);
    std::string lib = C_(error_name)(c);
    if (mine != lib) {
      std::ostringstream s;
      s << "code " << c << ": wrapper says " << mine << ", library " << lib;
      throw failure{s.str()};
    }
  }
}

void check_throws_with_code() {
  expect_eq(iocpws::check(0), 0, "check(0)");
  expect_eq(iocpws::check(7), 7, "check(7)");
  std::string what = expect_error(
      IWS_E_QUEUE_FULL, []() { iocpws::check(IWS_E_QUEUE_FULL); },
      "check(IWS_E_QUEUE_FULL)");
  expect(contains(what, "IWS_E_QUEUE_FULL"), what);
  expect(contains(what, C_(strerror)(IWS_E_QUEUE_FULL)), what);
  iocpws::error e(IWS_E_BIND, "x");
  expect_eq(std::string(e.name()), std::string("IWS_E_BIND"), "name()");
  expect_eq(iocpws::error(-9999, "y").name(), std::string("IWS_E_UNKNOWN"),
            "unknown code name");
}

void option_defaults_mirror_library() {
  iocpws::server s;  // applies every field of a default options
  iws_server *raw = nullptr;
  iocpws::check(C_(create)(IWS_ABI_VERSION, nullptr, nullptr, &raw));
  for (int32_t opt = 1; opt <= IWS_OPT_DEFLATE_MAX_INFLATED_SIZE; ++opt) {
    if (opt > IWS_OPT_TLS_VERIFY_DEPTH && opt < IWS_OPT_DEFLATE) continue;  // numbers not in use
    int64_t lib = -1;
    iocpws::check(C_(get_int)(raw, opt, &lib));
    std::ostringstream name;
    name << "option " << opt;
    expect_eq(s.get_int(opt), lib, name.str());
  }
  for (int32_t opt = IWS_OPT_BIND_ADDRESS; opt <= IWS_OPT_TLS_CLIENT_CA_PEM; ++opt) {
    char a[256], b[256];
    iocpws::check(C_(get_str)(raw, opt, a, sizeof a, nullptr));
    iocpws::check(C_(get_str)(s.native_handle(), opt, b, sizeof b, nullptr));
    std::ostringstream name;
    name << "string option " << opt;
    expect_eq(std::string(b), std::string(a), name.str());
    expect_eq(s.get_str(opt), std::string(a), name.str() + " get_str");
  }
  expect_eq(s.get_int(IWS_OPT_TLS_PORT), -1, "tls_port default");
  expect_eq(s.get_int(IWS_OPT_PORT), 0, "port default");
  C_(destroy)(raw);
}

void options_are_applied() {
  iocpws::options o = local();
  o.max_message_size = 12345;
  o.send_queue_policy = iocpws::queue_policy::error;
  o.tcp_nodelay = false;
  o.subprotocols.push_back("chat");
  o.subprotocols.push_back("superchat");
  iocpws::server s(o);
  expect_eq(s.get_int(IWS_OPT_MAX_MESSAGE_SIZE), 12345, "max_message_size");
  expect_eq(s.get_int(IWS_OPT_SEND_QUEUE_POLICY), IWS_QUEUE_ERROR, "policy");
  expect_eq(s.get_int(IWS_OPT_TCP_NODELAY), 0, "tcp_nodelay");
  expect_eq(s.get_int(IWS_OPT_TCP_KEEPALIVE), 0, "tcp_keepalive default");
  o.tcp_keepalive = true;
  o.tcp_keepalive_time_ms = 30000;
  o.tcp_keepalive_interval_ms = 2000;
  s.configure(o);
  expect_eq(s.get_int(IWS_OPT_TCP_KEEPALIVE), 1, "tcp_keepalive");
  expect_eq(s.get_int(IWS_OPT_TCP_KEEPALIVE_TIME_MS), 30000, "tcp_keepalive_time_ms");
  expect_eq(s.get_int(IWS_OPT_TCP_KEEPALIVE_INTERVAL_MS), 2000,
            "tcp_keepalive_interval_ms");
  o.deflate.enabled = true;
  o.deflate.server_no_context_takeover = false;
  o.deflate.server_max_window_bits = 10;
  o.deflate.mem_level = 4;
  o.deflate.threshold = 0;
  o.deflate.max_inflated_size = 1 << 20;
  s.configure(o);
  expect_eq(s.get_int(IWS_OPT_DEFLATE), 1, "deflate.enabled");
  expect_eq(s.get_int(IWS_OPT_DEFLATE_SERVER_NO_CONTEXT_TAKEOVER), 0,
            "deflate.server_no_context_takeover");
  expect_eq(s.get_int(IWS_OPT_DEFLATE_SERVER_MAX_WINDOW_BITS), 10,
            "deflate.server_max_window_bits");
  expect_eq(s.get_int(IWS_OPT_DEFLATE_MEM_LEVEL), 4, "deflate.mem_level");
  expect_eq(s.get_int(IWS_OPT_DEFLATE_THRESHOLD), 0, "deflate.threshold");
  expect_eq(s.get_int(IWS_OPT_DEFLATE_MAX_INFLATED_SIZE), 1 << 20,
            "deflate.max_inflated_size");
  o.deflate.server_max_window_bits = 8;  // 9..15
  expect_error(IWS_E_OPTION_RANGE, [&]() { s.configure(o); },
               "deflate window 8");
  char buf[128];
  iocpws::check(C_(get_str)(s.native_handle(), IWS_OPT_SUBPROTOCOLS, buf,
                            sizeof buf, nullptr));
  expect_eq(std::string(buf), std::string("chat,superchat"), "subprotocols");
}

void tls_options_are_applied() {
  iocpws::options o = local();
  o.port = -1;
  o.tls_port = 0;
  o.tls_min_version = iocpws::tls_version::v1_3;
  o.tls_handshake_timeout_ms = 1234;
  o.tls_cert_file = "cert.pem";
  o.tls_key_file = "key.pem";
  o.tls_ca_file = "ca.pem";
  o.tls_password = "secret";
  o.tls_cert_pem = "-----BEGIN CERTIFICATE-----";
  o.tls_key_pem = "-----BEGIN PRIVATE KEY-----";
  o.tls_ca_pem = "-----BEGIN CERTIFICATE----- ca";
  o.tls_ciphers = "ECDHE+AESGCM";
  o.tls_ciphersuites = "TLS_AES_128_GCM_SHA256";
  iocpws::server s(o);
  expect_eq(s.get_int(IWS_OPT_PORT), -1, "port -1");
  expect_eq(s.get_int(IWS_OPT_TLS_PORT), 0, "tls_port");
  expect_eq(s.get_int(IWS_OPT_TLS_MIN_VERSION), IWS_TLS_1_3, "tls_min_version");
  expect_eq(s.get_int(IWS_OPT_TLS_HANDSHAKE_TIMEOUT_MS), 1234, "tls_handshake_timeout_ms");
  expect_eq(s.get_str(IWS_OPT_TLS_CERT_FILE), o.tls_cert_file, "tls_cert_file");
  expect_eq(s.get_str(IWS_OPT_TLS_KEY_FILE), o.tls_key_file, "tls_key_file");
  expect_eq(s.get_str(IWS_OPT_TLS_CA_FILE), o.tls_ca_file, "tls_ca_file");
  expect_eq(s.get_str(IWS_OPT_TLS_PASSWORD), std::string(), "tls_password (write-only)");
  expect_eq(s.get_str(IWS_OPT_TLS_CERT_PEM), o.tls_cert_pem, "tls_cert_pem");
  expect_eq(s.get_str(IWS_OPT_TLS_KEY_PEM), o.tls_key_pem, "tls_key_pem");
  expect_eq(s.get_str(IWS_OPT_TLS_CA_PEM), o.tls_ca_pem, "tls_ca_pem");
  expect_eq(s.get_str(IWS_OPT_TLS_CIPHERS), o.tls_ciphers, "tls_ciphers");
  expect_eq(s.get_str(IWS_OPT_TLS_CIPHERSUITES), o.tls_ciphersuites, "tls_ciphersuites");
  // A long value goes through get_str's second call.
  std::string big(5000, 'x');
  s.set_str(IWS_OPT_TLS_CERT_PEM, big);
  expect_eq(s.get_str(IWS_OPT_TLS_CERT_PEM), big, "long string option");
  // A default options resets them.
  s.configure(iocpws::options());
  expect_eq(s.get_int(IWS_OPT_TLS_PORT), -1, "tls_port reset");
  expect_eq(s.get_str(IWS_OPT_TLS_CERT_PEM), std::string(), "tls_cert_pem reset");
  o = local();
  o.tls_min_version = static_cast<iocpws::tls_version>(11);
  expect_error(IWS_E_OPTION_RANGE, [&]() { iocpws::server bad(o); }, "tls_min_version 11");
  o = local();
  o.tls_port = 70000;
  expect_error(IWS_E_OPTION_RANGE, [&]() { iocpws::server bad(o); }, "tls_port 70000");
}

void client_certificate_options_are_applied() {
  iocpws::options o = local();
  o.tls_verify_client = iocpws::tls_verify::require;
  o.tls_verify_depth = 3;
  o.tls_client_ca_file = "client-ca.pem";
  o.tls_client_ca_pem = "-----BEGIN CERTIFICATE----- client";
  iocpws::server s(o);
  expect_eq(s.get_int(IWS_OPT_TLS_VERIFY_CLIENT), IWS_TLS_VERIFY_REQUIRE, "tls_verify_client");
  expect_eq(s.get_int(IWS_OPT_TLS_VERIFY_DEPTH), 3, "tls_verify_depth");
  expect_eq(s.get_str(IWS_OPT_TLS_CLIENT_CA_FILE), o.tls_client_ca_file, "tls_client_ca_file");
  expect_eq(s.get_str(IWS_OPT_TLS_CLIENT_CA_PEM), o.tls_client_ca_pem, "tls_client_ca_pem");
  o = local();
  o.tls_verify_depth = 101;
  expect_error(IWS_E_OPTION_RANGE, [&]() { iocpws::server bad(o); }, "tls_verify_depth 101");
  // (start() without the CAs: tests/integration/test_listeners.py, which
  // has certificates.)
}

void listeners_are_checked() {
  iocpws::server s(local());
  expect_error(IWS_E_ADDRESS, [&]() { s.add_listener("localhost", 0); }, "not an IP literal");
  expect_error(IWS_E_INVALID_ARG, [&]() { s.add_listener("127.0.0.1", 70000); }, "port 70000");
  expect_error(IWS_E_BAD_STATE, [&]() { s.listener_count(); }, "listener_count stopped");
  for (int i = 0; i < IWS_LISTENERS_MAX; ++i) s.add_listener("127.0.0.1", 0);
  expect_error(IWS_E_OPTION_RANGE, [&]() { s.add_listener("127.0.0.1", 0); }, "65th listener");
  s.clear_listeners();
  s.add_listener("127.0.0.1", 0);
  s.add_listener("", 0, false);
  s.start();
  expect_eq(s.listener_count(), 2u, "two listeners");
  expect(s.listener_port(0) != 0 && s.listener_port(1) != 0 &&
             s.listener_port(0) != s.listener_port(1),
         "each listener has its own port");
  expect(!s.listener_is_tls(1), "plain listener");
  expect_eq(s.port(), s.listener_port(0), "port() is the first plain listener");
  expect_error(IWS_E_INVALID_ARG, [&]() { s.listener_port(2); }, "listener 2 of 2");
  expect_error(IWS_E_BAD_STATE, [&]() { s.add_listener("127.0.0.1", 0); }, "add while running");
  expect_error(IWS_E_BAD_STATE, [&]() { s.clear_listeners(); }, "clear while running");
  s.stop();
  s.clear_listeners();
  s.start();
  expect_eq(s.listener_count(), 1u, "back to the port option");
  s.stop();
}

void tls_errors() {
  iocpws::options o = local();
  o.tls_port = 0;
  o.tls_cert_file = "no-such-dir/no-such-cert.pem";
  o.tls_key_file = "no-such-dir/no-such-key.pem";
  iocpws::server s(o);
  std::string what = expect_error(IWS_E_TLS_CONFIG, [&]() { s.start(); }, "missing cert file");
  expect(contains(what, "iws_start") && contains(what, "IWS_E_TLS_CONFIG") &&
             contains(what, "certificate file") && contains(what, "error:"),
         "what() names the file problem with OpenSSL's reason: " + what);
  expect(!s.running(), "not running after IWS_E_TLS_CONFIG");
  // PEM text that is not PEM.
  o.tls_cert_file.clear();
  o.tls_cert_pem = "-----BEGIN CERTIFICATE-----\ngarbage\n";
  s.configure(o);
  what = expect_error(IWS_E_TLS_CONFIG, [&]() { s.start(); }, "garbage cert PEM");
  expect(contains(what, "IWS_E_TLS_CONFIG") && contains(what, "error:"), what);
  // Nothing to listen on.
  o = local();
  o.port = -1;
  s.configure(o);
  what = expect_error(IWS_E_OPTION_RANGE, [&]() { s.start(); }, "port and tls_port -1");
  // SNI hosts: checked arguments, stopped server only.
  expect_error(IWS_E_INVALID_ARG, [&]() { s.add_tls_host("", "c.pem", "k.pem"); },
               "add_tls_host empty host");
  s.add_tls_host("example.com", "c.pem", "k.pem");
  s.add_tls_host("*.example.org", "c.pem", "k.pem", "pw");
  s.clear_tls_hosts();
  expect_error(IWS_E_BAD_STATE, [&]() { s.tls_port(); }, "tls_port() when stopped");
  s.configure(local());
  s.start();
  expect_error(IWS_E_BAD_STATE, [&]() { s.tls_port(); }, "tls_port() without TLS listener");
  expect_error(IWS_E_BAD_STATE, [&]() { s.add_tls_host("a.com", "c", "k"); },
               "add_tls_host while running");
  expect_error(IWS_E_BAD_STATE, [&]() { s.clear_tls_hosts(); }, "clear_tls_hosts while running");
  s.stop();
  // A host whose files are missing fails start like the main certificate.
  o = local();
  o.port = -1;
  o.tls_port = 0;
  o.tls_cert_file = "no-such-dir/no-such-cert.pem";
  o.tls_key_file = "no-such-dir/no-such-key.pem";
  s.configure(o);
  expect_error(IWS_E_TLS_CONFIG, [&]() { s.start(); }, "missing cert, TLS only");
}

void bad_options_throw_with_detail() {
  iocpws::options o = local();
  o.max_handshake_size = 10;  // 256..1 MiB
  std::string what = expect_error(IWS_E_OPTION_RANGE,
                                  [&]() { iocpws::server s(o); },
                                  "max_handshake_size 10");
  expect(contains(what, "iws_set_int") && contains(what, "IWS_E_OPTION_RANGE"),
         what);
  o = local();
  o.bind_address = "not-an-address";
  expect_error(IWS_E_ADDRESS, [&]() { iocpws::server s(o); }, "bind address");
  iocpws::server s(local());
  expect_error(IWS_E_UNKNOWN_OPTION, [&]() { s.set_int(9999, 1); },
               "unknown option");
  expect_error(IWS_E_OPTION_TYPE, [&]() { s.set_int(IWS_OPT_BIND_ADDRESS, 1); },
               "int setter on a string option");
}

void moved_from_server() {
  iocpws::server a(local());
  iws_server *h = a.native_handle();
  iocpws::server b(std::move(a));
  expect(!a && b, "operator bool after move");
  expect(b.native_handle() == h && a.native_handle() == nullptr, "handles");
  expect_error(IWS_E_INVALID_ARG, [&]() { a.start(); }, "start() moved-from");
  expect_error(IWS_E_INVALID_ARG,
               [&]() { a.on_message(iocpws::message_handler()); },
               "setter moved-from");
  expect_error(IWS_E_INVALID_ARG, [&]() { a.port(); }, "port() moved-from");
  expect(!a.running(), "a moved-from server does not run");
  b.start();
  a = std::move(b);  // a takes the running server
  expect(a.running() && !b, "move assignment");
  a = iocpws::server(local());  // destroys the running one, takes a new one
  expect(a && !a.running(), "assigning over a running server");
}

void life_cycle_rules() {
  iocpws::server s(local());
  std::vector<int> calls;
  s.on_message([&](const iocpws::connection &, const iocpws::message &) {});
  expect(!s.running(), "stopped at first");
  expect_error(IWS_E_BAD_STATE, [&]() { s.port(); }, "port() when stopped");
  s.start();
  expect(s.running(), "running");
  uint16_t port = s.port();
  expect(port > 0, "a port");
  expect_error(IWS_E_BAD_STATE, [&]() { s.start(); }, "start() twice");
  expect_error(IWS_E_BAD_STATE, [&]() { s.configure(local()); },
               "configure() while running");
  expect_error(IWS_E_BAD_STATE,
               [&]() { s.on_log(iocpws::log_handler()); },
               "setter while running");
  // a second server on the same port: the bind error names it
  iocpws::options o = local();
  o.port = port;
  iocpws::server t(o);
  std::string what = expect_error(IWS_E_BIND, [&]() { t.start(); },
                                  "second bind");
  std::ostringstream p;
  p << port;
  expect(contains(what, p.str()), "the message names the port: " + what);
  expect(contains(t.last_error(), p.str()), "last_error: " + t.last_error());
  s.stop();
  s.stop();  // stopping a stopped server does nothing
  expect(!s.running(), "stopped");
  s.start();  // and again
  expect(s.running(), "restarted");
}  // destroys a running server

void sends_to_unknown_ids() {
  iocpws::server s(local());
  iocpws::connection c = s.connection_by_id(12345);
  expect_error(IWS_E_BAD_STATE, [&]() { c.send_text("x"); },
               "send on a stopped server");
  s.start();
  expect_error(IWS_E_NO_CONNECTION, [&]() { c.send_text("x"); }, "send_text");
  expect_error(IWS_E_NO_CONNECTION,
               [&]() { c.send_binary(std::vector<uint8_t>(3, 1)); },
               "send_binary");
  expect_error(IWS_E_NO_CONNECTION, [&]() { c.ping(); }, "ping");
  expect_error(IWS_E_NO_CONNECTION, [&]() { c.close(); }, "close");
  expect_error(IWS_E_NO_CONNECTION, [&]() { c.disconnect(); }, "disconnect");
  expect_error(IWS_E_NO_CONNECTION, [&]() { c.peer(); }, "peer");
  expect_error(IWS_E_NO_CONNECTION, [&]() { c.local(); }, "local");
  expect_error(IWS_E_NO_CONNECTION, [&]() { c.last_pong(); }, "last_pong");
  expect_error(IWS_E_NO_CONNECTION, [&]() { c.path(); }, "path");
  expect_error(IWS_E_NO_CONNECTION, [&]() { c.protocol(); }, "protocol");
  expect_error(IWS_E_NO_CONNECTION, [&]() { c.user_data(); }, "user_data");
  expect_eq(c.try_send_text("x"), IWS_E_NO_CONNECTION, "try_send_text");
  iocpws::connection null;
  expect(!null && null.id() == 0, "a null connection");
  expect(null.try_send_text("x") < 0, "sending to the null connection fails");
  expect(c == s.connection_by_id(12345) && c != null, "comparison");
}

void broadcasts_without_clients() {
  iocpws::server s(local());
  expect_error(IWS_E_BAD_STATE, [&]() { s.broadcast_text("x"); },
               "broadcast while stopped");
  s.start();
  expect_eq(s.broadcast_text("hello"), 0u, "broadcast_text");
  expect_eq(s.broadcast_binary("\x01\x02", 2), 0u, "broadcast_binary");
  expect_eq(s.broadcast_ping("p"), 0u, "broadcast_ping");
  int called = 0;
  expect_eq(s.broadcast_text_if("x",
                                [&](const iocpws::connection &) {
                                  ++called;
                                  return true;
                                }),
            0u, "broadcast_text_if");
  expect_eq(called, 0, "filter calls");
  expect_eq(s.broadcast_if(iocpws::opcode::text, "x", 1, iocpws::filter()), 0u,
            "empty filter = everyone");
  expect_error(IWS_E_INVALID_UTF8, [&]() { s.broadcast_text("\xff"); },
               "invalid UTF-8");
}

void statistics_and_layout() {
  iocpws::server s(local());
  iocpws::stats st = s.statistics();
  expect_eq(st.struct_size, static_cast<uint32_t>(sizeof st), "struct_size");
  expect_eq(st.connections_total, 0u, "connections_total");
  // The library's layout is the one this compiler sees in iocpws.h.
  expect_eq(C_(struct_layout)("iws_stats", nullptr),
            static_cast<int32_t>(sizeof(iws_stats)), "sizeof iws_stats");
  expect_eq(C_(struct_layout)("iws_stats", "bytes_out"),
            static_cast<int32_t>(offsetof(iws_stats, bytes_out)),
            "offsetof bytes_out");
  expect_eq(C_(struct_layout)("iws_callbacks", nullptr),
            static_cast<int32_t>(sizeof(iws_callbacks)), "sizeof iws_callbacks");
  expect_eq(C_(struct_layout)("iws_callbacks", "on_log"),
            static_cast<int32_t>(offsetof(iws_callbacks, on_log)),
            "offsetof on_log");
  expect_eq(C_(struct_layout)("iws_callbacks", "on_http_request"),
            static_cast<int32_t>(offsetof(iws_callbacks, on_http_request)),
            "offsetof on_http_request");
  expect_eq(C_(struct_layout)("iws_stats", "http_connections_current"),
            static_cast<int32_t>(offsetof(iws_stats, http_connections_current)),
            "offsetof http_connections_current");
  expect_eq(st.http_requests, 0u, "http_requests");
}

void http_option_defaults_mirror_library() {
  iocpws::server s;
  iws_server *raw = nullptr;
  iocpws::check(C_(create)(IWS_ABI_VERSION, nullptr, nullptr, &raw));
  for (int32_t opt = IWS_OPT_HTTP_MAX_BODY_SIZE; opt <= IWS_OPT_HTTP_MAX_PIPELINED;
       ++opt) {
    int64_t lib = -1;
    iocpws::check(C_(get_int)(raw, opt, &lib));
    std::ostringstream name;
    name << "option " << opt;
    expect_eq(s.get_int(opt), lib, name.str());
  }
  for (int32_t opt = IWS_OPT_HTTP_DOCUMENT_ROOT; opt <= IWS_OPT_HTTP_INDEX_FILE;
       ++opt) {
    char a[256];
    iocpws::check(C_(get_str)(raw, opt, a, sizeof a, nullptr));
    std::ostringstream name;
    name << "string option " << opt;
    expect_eq(s.get_str(opt), std::string(a), name.str());
  }
  C_(destroy)(raw);
}

void http_options_are_applied() {
  iocpws::options o = local();
  o.http.max_body_size = 4096;
  o.http.max_uri_length = 100;
  o.http.request_timeout_ms = 1234;
  o.http.keepalive_timeout_ms = 0;
  o.http.response_timeout_ms = 2000;
  o.http.max_pipelined = 2;
  o.http.document_root = "/tmp";
  o.http.index_file = "";
  iocpws::server s(o);
  expect_eq(s.get_int(IWS_OPT_HTTP_MAX_BODY_SIZE), 4096, "max_body_size");
  expect_eq(s.get_int(IWS_OPT_HTTP_MAX_URI_LENGTH), 100, "max_uri_length");
  expect_eq(s.get_int(IWS_OPT_HTTP_REQUEST_TIMEOUT_MS), 1234, "request_timeout_ms");
  expect_eq(s.get_int(IWS_OPT_HTTP_KEEPALIVE_TIMEOUT_MS), 0, "keepalive_timeout_ms");
  expect_eq(s.get_int(IWS_OPT_HTTP_RESPONSE_TIMEOUT_MS), 2000, "response_timeout_ms");
  expect_eq(s.get_int(IWS_OPT_HTTP_MAX_PIPELINED), 2, "max_pipelined");
  expect_eq(s.get_str(IWS_OPT_HTTP_DOCUMENT_ROOT), std::string("/tmp"), "document_root");
  expect_eq(s.get_str(IWS_OPT_HTTP_INDEX_FILE), std::string(), "index_file");
  o.http.max_pipelined = 0;  // 1..1024
  std::string what = expect_error(IWS_E_OPTION_RANGE, [&]() { s.configure(o); },
                                  "max_pipelined 0");
  expect(!what.empty(), "a message");
  // handlers are set while stopped, like the others
  s.on_http_request(iocpws::http_handler());
  s.start();
  expect_error(IWS_E_BAD_STATE,
               [&]() { s.on_http_request(iocpws::http_handler()); },
               "on_http_request while running");
  s.stop();
}

void http_response_misuse() {
  // An empty deferred response: nothing to send, and saying so.
  iocpws::deferred_response d;
  expect(!d, "empty deferred_response is false");
  expect_error(IWS_E_BAD_STATE, [&]() { d.send(); }, "send() of an empty one");
  expect_error(IWS_E_BAD_STATE, [&]() { d.status(200); }, "status() of an empty one");
  iocpws::deferred_response moved(std::move(d));
  expect(!moved, "moved empty is still empty");
  // The raw calls refuse NULL.
  expect_eq(C_(http_set_status)(nullptr, 200, nullptr), IWS_E_INVALID_ARG, "set_status(NULL)");
  expect_eq(C_(http_send)(nullptr), IWS_E_INVALID_ARG, "send(NULL)");
  expect_eq(C_(http_defer)(nullptr), IWS_E_INVALID_ARG, "defer(NULL)");
  expect_eq(std::string(iocpws::detail::code_name(IWS_E_FILE)), std::string("IWS_E_FILE"),
            "IWS_E_FILE's name");
  expect_eq(std::string(iocpws::detail::code_name(IWS_E_NOT_FOUND)),
            std::string("IWS_E_NOT_FOUND"), "IWS_E_NOT_FOUND's name");
}

void message_view() {
  const uint8_t bytes[] = {'h', 'i', 0, 'x'};
  iocpws::message m(iocpws::opcode::binary, bytes, sizeof bytes);
  expect(m.is_binary() && !m.is_text(), "kind");
  expect_eq(m.text().size(), sizeof bytes, "text() keeps NULs");
  expect(m.bytes() == std::vector<uint8_t>(bytes, bytes + 4), "bytes()");
  iocpws::message empty(iocpws::opcode::text, nullptr, 0);
  expect(empty.text().empty() && empty.bytes().empty(), "empty message");
}

}  // namespace

int main() {
  pt::stdio_setup();
#ifdef IOCPWS_DYNAMIC
  run("loader_names_missing_library", loader_names_missing_library);
  run("loader_names_missing_symbol", loader_names_missing_symbol);
  run("loader_default_then_other_path", loader_default_then_other_path);
#endif
  run("versions_match_header", versions_match_header);
  run("code_names_match_library", code_names_match_library);
  run("components_are_listed", components_are_listed);
  run("check_throws_with_code", check_throws_with_code);
  run("option_defaults_mirror_library", option_defaults_mirror_library);
  run("options_are_applied", options_are_applied);
  run("tls_options_are_applied", tls_options_are_applied);
  run("tls_errors", tls_errors);
  run("client_certificate_options_are_applied", client_certificate_options_are_applied);
  run("listeners_are_checked", listeners_are_checked);
  run("bad_options_throw_with_detail", bad_options_throw_with_detail);
  run("moved_from_server", moved_from_server);
  run("life_cycle_rules", life_cycle_rules);
  run("sends_to_unknown_ids", sends_to_unknown_ids);
  run("broadcasts_without_clients", broadcasts_without_clients);
  run("statistics_and_layout", statistics_and_layout);
  run("message_view", message_view);
  run("http_option_defaults_mirror_library", http_option_defaults_mirror_library);
  run("http_options_are_applied", http_options_are_applied);
  run("http_response_misuse", http_response_misuse);
  std::printf("%d passed, %d failed\n", g_passed, g_failed);
  return g_failed;
}
