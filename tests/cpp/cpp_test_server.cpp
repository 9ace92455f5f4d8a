// cpp_test_server - tests/integration/ws_test_server.c written with the C++
// wrapper (bindings/cpp/iocpws.hpp), so that the same real-client tests
// (tests/integration, Python websockets and Node ws) drive the wrapper. Built
// twice: linked against the library, and with IOCPWS_DYNAMIC (the run-time
// loader, no import library).
//
// Usage, stdout lines, stdin commands and cmd: messages: exactly those of
// ws_test_server.c (see the comment at its top), plus, for the wrapper:
//
//   cmd:throw             the handler throws std::runtime_error("boom");
//                         on_exception prints "EXCEPTION <id> boom"
//   cmd:throwint          the handler throws an int; "EXCEPTION <id> non-std"
//   cmd:errors            wrapper calls that must throw, inside a handler;
//                         reply "errors <name> <name>..." (the error names)
//   cmd:room TEXT         broadcast_text_if to the connections with the same
//                         path, except the sender; reply "room-sent <n>"
//   cmd:filterthrow       broadcast_if whose filter throws; reply
//                         "filter-threw <what>"
//   cmd:headers           reply "headers <n> <x-test value or ->" (from
//                         on_connect's request, kept in the user data)
//   cmd:destroy           destroys the server inside this handler (it is
//                         orphaned, see ~server); prints "DESTROYED"
//   path /throw-connect   on_connect throws: the client gets 500
//   HTTP: the routes of ws_test_server.c (/echo, /status/N, /defer, ...,
//   /serve, /httpstats; --docroot DIR), through on_http_request, plus:
//   /cpp/throw            the handler throws std::runtime_error("http boom"):
//                         500, "EXCEPTION <id> http boom"
//   /cpp/drop             defers, then drops the deferred_response unsent:
//                         its destructor answers 500
//   /cpp/deferthrow       defers, then throws: 500 from the deferred
//                         response's destructor, "EXCEPTION <id> after defer"
//   /cpp/request          text/plain lines: method, document, path, query,
//                         has_param(a), param(a), header(x-test), body size
//   --log-calls           on_log calls the wrapper back for lines naming a
//                         connection (peer(), path(), broadcast_text("log")),
//                         "LOGCALL <id> <rc> <rc> <rc>", as ws_test_server
//   LIBRARY <path>        printed first by the run-time-loader build
//   BYE ... orphaned=1    at quit after cmd:destroy (exit 0 if no anomaly)
#include "iocpws.hpp"

#include <atomic>
#include <cerrno>
#include <cinttypes>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "cpp_portable.hpp"
#include "procinfo.h"

namespace {

std::unique_ptr<iocpws::server> g_server;
std::vector<std::pair<bool, std::string> > g_listen_args;  // --listen[-tls]
pt::mutex g_out_lock;
std::atomic<uint64_t> g_connects(0);
std::atomic<uint64_t> g_disconnects(0);
std::atomic<int> g_anomalies(0);
std::atomic<uint64_t> g_sleeping_id(0);  // the id inside cmd:sleep, 0 none
std::atomic<int> g_foreign_running(0);
std::atomic<bool> g_orphaned(false);

// 0 = never accepted, 1 = open, 2 = disconnected; ids only grow.
pt::mutex g_ids_lock;
std::vector<unsigned char> g_ids;

struct conn_data {
  pt::thread_id connect_thread;
  std::string path;
  std::size_t header_count;
  std::string x_test;
};

#if defined(__GNUC__)
__attribute__((format(printf, 1, 2)))
#endif
void emit(const char *fmt, ...) {
  char small[1024];
  std::vector<char> big;
  char *buf = small;
  va_list ap;
  va_start(ap, fmt);
  int n = std::vsnprintf(small, sizeof small, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if (static_cast<std::size_t>(n) >= sizeof small) {
    big.resize(static_cast<std::size_t>(n) + 1);
    buf = &big[0];
    va_start(ap, fmt);
    std::vsnprintf(buf, big.size(), fmt, ap);
    va_end(ap);
  }
  buf[n] = '\n';
  pt::lock_guard guard(g_out_lock);
  std::fwrite(buf, 1, static_cast<std::size_t>(n) + 1, stdout);
  std::fflush(stdout);
}

std::string one_line(const std::string &text) {
  std::string out(text, 0, 500);
  for (std::size_t i = 0; i < out.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(out[i]);
    if (c < 0x20 || c == 0x7f) out[i] = ' ';
  }
  return out;
}

int id_transition(iocpws::conn_id id, unsigned char to) {
  pt::lock_guard guard(g_ids_lock);
  if (id >= g_ids.size()) g_ids.resize(static_cast<std::size_t>(id) * 2 + 1024);
  int was = g_ids[static_cast<std::size_t>(id)];
  g_ids[static_cast<std::size_t>(id)] = to;
  return was;
}

void reply(const iocpws::connection &c, const std::string &text) {
  int32_t rc = c.try_send_text(text);
  if (rc != IWS_OK) emit("SEND_FAIL %" PRIu64 " %d", c.id(), static_cast<int>(rc));
}

// The error code of a failing wrapper call, or 0 when it did not throw.
template <class F>
int32_t code_of(F f) {
  try {
    f();
  } catch (const iocpws::error &e) {
    return e.code();
  }
  return 0;
}

// The text after `name` when cmd is `name` or `name ...`; nullptr otherwise.
const char *command_arg(const char *cmd, const char *name) {
  std::size_t n = std::strlen(name);
  if (std::strncmp(cmd, name, n) != 0) return nullptr;
  if (cmd[n] == '\0') return cmd + n;
  if (cmd[n] == ' ') return cmd + n + 1;
  return nullptr;
}

// Sends "foreign-0".."foreign-<count-1>" from a new thread, each padded with
// '.' to size bytes (at most 65536), like ws_test_server.c.
void start_foreign(const iocpws::connection &c, long count, long size) {
  std::size_t pad = size < 0 ? 0 : size > 65536 ? 65536 : static_cast<std::size_t>(size);
  ++g_foreign_running;
  bool ok = pt::start_detached([c, count, pad]() {
    long i;
    std::string text;
    for (i = 0; i < count; i++) {
      text = "foreign-" + std::to_string(i);
      if (pad > text.size()) text.append(pad - text.size(), '.');
      int32_t rc = c.try_send_text(text);
      if (rc != IWS_OK) {
        emit("FOREIGN_FAIL %" PRIu64 " %ld %d", c.id(), i, static_cast<int>(rc));
        break;
      }
    }
    emit("FOREIGN_DONE %" PRIu64 " %ld", c.id(), i);
    --g_foreign_running;
  });
  if (!ok) {
    --g_foreign_running;
    reply(c, "foreign-failed thread");
  }
}

void run_command(const iocpws::connection &c, const std::string &line) {
  iocpws::server &srv = *g_server;
  const char *cmd = line.c_str();
  const char *arg;
  if ((arg = command_arg(cmd, "close")) != nullptr) {
    char *end;
    unsigned long code = std::strtoul(arg, &end, 10);
    const char *reason = end;
    while (*reason == ' ') reason++;
    int32_t rc = code_of([&]() { c.close(static_cast<uint32_t>(code), reason); });
    emit("CLOSE_RC %d", static_cast<int>(rc));
  } else if ((arg = command_arg(cmd, "disconnect")) != nullptr) {
    int32_t rc = code_of([&]() { c.disconnect(); });
    if (rc != IWS_OK) emit("DISCONNECT_RC %" PRIu64 " %d", c.id(), static_cast<int>(rc));
  } else if ((arg = command_arg(cmd, "foreign")) != nullptr) {
    char *end;
    long count = std::strtol(arg, &end, 10);
    long size = std::strtol(end, nullptr, 10);
    start_foreign(c, count < 0 ? 0 : count, size);
  } else if ((arg = command_arg(cmd, "broadcast")) != nullptr) {
    uint32_t sent = 0;
    int32_t rc = code_of([&]() { sent = srv.broadcast_text(arg, c); });
    if (rc == IWS_OK)
      reply(c, "broadcast-sent " + std::to_string(sent));
    else
      reply(c, "broadcast-rc " + std::to_string(rc));
  } else if ((arg = command_arg(cmd, "thread")) != nullptr) {
    conn_data *cd = nullptr;
    int32_t rc = code_of([&]() { cd = c.user_data_as<conn_data>(); });
    if (rc != IWS_OK || cd == nullptr)
      reply(c, "thread-rc " + std::to_string(rc));
    else
      reply(c, std::string("thread ") +
                   (pt::same_thread(cd->connect_thread, pt::self()) ? "1" : "0"));
  } else if ((arg = command_arg(cmd, "stats")) != nullptr) {
    iocpws::stats st = srv.statistics();
    reply(c, "stats current=" + std::to_string(st.connections_current) +
                 " total=" + std::to_string(st.connections_total) +
                 " in=" + std::to_string(st.messages_in) +
                 " out=" + std::to_string(st.messages_out));
  } else if ((arg = command_arg(cmd, "info")) != nullptr) {
    try {
      std::string path = c.path();
      std::string proto = c.protocol();
      iocpws::peer_address peer = c.peer();
      reply(c, "info " + path + " " + (proto.empty() ? "-" : proto) + " " +
                   peer.ip + " " + std::to_string(peer.port));
    } catch (const iocpws::error &e) {
      reply(c, std::string("info-rc ") + e.name());
    }
  } else if ((arg = command_arg(cmd, "local")) != nullptr) {
    try {
      iocpws::peer_address local = c.local();
      reply(c, "local " + local.ip + " " + std::to_string(local.port) + " 0");
    } catch (const iocpws::error &e) {
      reply(c, "local - 0 " + std::to_string(e.code()));
    }
  } else if ((arg = command_arg(cmd, "lastpong")) != nullptr) {
    try {
      reply(c, "lastpong " + std::to_string(c.last_pong()) + " 0");
    } catch (const iocpws::error &e) {
      reply(c, "lastpong 0 " + std::to_string(e.code()));
    }
  } else if ((arg = command_arg(cmd, "id")) != nullptr) {
    reply(c, "id " + std::to_string(c.id()));
  } else if ((arg = command_arg(cmd, "listener")) != nullptr) {
    try {
      reply(c, "listener " + std::to_string(c.listener()));
    } catch (const iocpws::error &e) {
      reply(c, "listener-rc " + std::to_string(e.code()));
    }
  } else if ((arg = command_arg(cmd, "cert")) != nullptr) {
    unsigned long what = std::strtoul(arg, nullptr, 10);
    try {
      reply(c, "cert 0 " + c.peer_cert(static_cast<iocpws::cert_part>(what)));
    } catch (const iocpws::error &e) {
      reply(c, "cert " + std::to_string(e.code()) + " ");
    }
  } else if ((arg = command_arg(cmd, "chain")) != nullptr) {
    // as ws_test_server's reply through connection::peer_chain: an empty
    // chain is the C call's "" at depth 0, and the end is IWS_E_NOT_FOUND
    unsigned long what = std::strtoul(arg, nullptr, 10);
    std::string out = "chain";
    try {
      std::vector<std::string> chain =
          c.peer_chain(static_cast<iocpws::cert_part>(what));
      if (chain.empty()) out += " []";
      for (size_t i = 0; i < chain.size(); ++i) out += " [" + chain[i] + "]";
      out += " end=" + std::to_string(IWS_E_NOT_FOUND);
    } catch (const iocpws::error &e) {
      out += " end=" + std::to_string(e.code());
    }
    reply(c, out);
  } else if ((arg = command_arg(cmd, "sendto")) != nullptr) {
    iocpws::conn_id to = std::strtoull(arg, nullptr, 10);
    int32_t rc = srv.connection_by_id(to).try_send_text(
        "sendto-from " + std::to_string(c.id()));
    reply(c, "sendto-rc " + std::to_string(rc));
  } else if ((arg = command_arg(cmd, "sleep")) != nullptr) {
    g_sleeping_id = c.id();  // on_heartbeat must not overlap it
    pt::sleep_ms(static_cast<unsigned>(std::strtoul(arg, nullptr, 10)));
    g_sleeping_id = 0;
    reply(c, "slept");
  } else if ((arg = command_arg(cmd, "ping")) != nullptr) {
    int32_t rc = code_of([&]() { c.ping("hb"); });
    reply(c, "ping-rc " + std::to_string(rc));
  } else if ((arg = command_arg(cmd, "subscribe")) != nullptr) {
    int32_t rc = code_of([&]() { c.subscribe(arg); });
    reply(c, "subscribe-rc " + std::to_string(rc));
  } else if ((arg = command_arg(cmd, "unsubscribe")) != nullptr) {
    int32_t rc = code_of([&]() {
      if (*arg)
        c.unsubscribe(arg);
      else
        c.unsubscribe_all();
    });
    reply(c, "unsubscribe-rc " + std::to_string(rc));
  } else if ((arg = command_arg(cmd, "publish")) != nullptr ||
             (arg = command_arg(cmd, "publishx")) != nullptr ||
             (arg = command_arg(cmd, "publishbin")) != nullptr) {
    std::string rest = arg;
    std::size_t sp = rest.find(' ');
    std::string ch = rest.substr(0, sp);
    std::string text = sp == std::string::npos ? "" : rest.substr(sp + 1);
    bool exclude = std::strncmp(cmd, "publishx", 8) == 0;
    bool binary = std::strncmp(cmd, "publishbin", 10) == 0;
    std::vector<iocpws::conn_id> ex;
    if (exclude) ex.push_back(c.id());
    uint32_t sent = 0;
    int32_t rc = code_of([&]() {
      sent = binary ? srv.publish_binary(ch, text.data(), text.size(), ex)
                    : srv.publish_text(ch, text, ex);
    });
    if (rc == IWS_OK)
      reply(c, "publish-sent " + std::to_string(sent));
    else
      reply(c, "publish-rc " + std::to_string(rc));
  } else if ((arg = command_arg(cmd, "channels")) != nullptr) {
    std::vector<std::string> list;
    int32_t rc = code_of([&]() { list = c.channels(); });
    if (rc != IWS_OK) {
      reply(c, "channels-rc " + std::to_string(rc));
    } else {
      std::string out;
      for (std::size_t i = 0; i < list.size(); ++i) out += (i ? "," : "") + list[i];
      reply(c, "channels " + (out.empty() ? std::string("-") : out));
    }
  } else if ((arg = command_arg(cmd, "chanstats")) != nullptr) {
    iocpws::stats st = srv.statistics();
    reply(c, "chanstats channels=" + std::to_string(st.channels_current) +
                 " subs=" + std::to_string(st.subscriptions_current) +
                 " pub=" + std::to_string(st.publishes) +
                 " redis_out=" + std::to_string(st.redis_out) +
                 " redis_in=" + std::to_string(st.redis_in) +
                 " redis_up=" + std::to_string(st.redis_connected));
  } else if (line == "throw") {
    throw std::runtime_error("boom");
  } else if (line == "throwint") {
    throw 42;
  } else if (line == "errors") {
    std::string out = "errors";
    out += " " + std::string(iocpws::detail::code_name(
                     code_of([&]() { c.close(999); })));
    out += " " + std::string(iocpws::detail::code_name(
                     code_of([&]() { c.ping(std::string(126, 'x')); })));
    out += " " + std::string(iocpws::detail::code_name(
                     code_of([&]() { c.send_text(std::string("\xff\xfe")); })));
    out += " " + std::string(iocpws::detail::code_name(
                     code_of([&]() { srv.stop(); })));
    out += " " + std::string(iocpws::detail::code_name(
                     code_of([&]() { srv.on_log(iocpws::log_handler()); })));
    out += " " + std::string(iocpws::detail::code_name(code_of(
                     [&]() { srv.connection_by_id(c.id() + 1000000).send_text("x"); })));
    reply(c, out);
  } else if ((arg = command_arg(cmd, "room")) != nullptr) {
    std::string text = arg;
    const std::string path = c.path();
    uint32_t sent = srv.broadcast_text_if(text, [&](const iocpws::connection &o) {
      if (o == c) return false;
      conn_data *cd = o.user_data_as<conn_data>();
      return cd != nullptr && cd->path == path;
    });
    reply(c, "room-sent " + std::to_string(sent));
  } else if (line == "filterthrow") {
    try {
      srv.broadcast_text_if("never", [](const iocpws::connection &) -> bool {
        throw std::logic_error("filter failed");
      });
      reply(c, "filter-did-not-throw");
    } catch (const std::logic_error &e) {
      reply(c, std::string("filter-threw ") + e.what());
    }
  } else if (line == "headers") {
    conn_data *cd = c.user_data_as<conn_data>();
    reply(c, "headers " + std::to_string(cd ? cd->header_count : 0) + " " +
                 (cd && !cd->x_test.empty() ? cd->x_test : "-"));
  } else if (line == "destroy") {
    g_orphaned = true;
    g_server.reset();  // inside a handler: the server is orphaned, no UB
    emit("DESTROYED");
  } else {
    reply(c, "unknown-command");
  }
}

int on_connect(const iocpws::connection &c, iocpws::request &req) {
  std::string path = req.path();
  std::string ip = "?";
  try {
    ip = c.peer().ip;
  } catch (const iocpws::error &) {
  }
  std::string chosen;
  if (path.compare(0, 7, "/proto/") == 0) {
    std::string proto = path.substr(7, path.find_first_of("/?#", 7) - 7);
    try {
      req.select_protocol(proto);
      chosen = proto;
    } catch (const iocpws::error &e) {
      emit("SELECT_PROTOCOL_RC %" PRIu64 " %d", c.id(), static_cast<int>(e.code()));
    }
  } else {
    chosen = c.protocol();  // what the server's preference list picked
  }
  emit("CONNECT %" PRIu64 " %s %s %s", c.id(), path.c_str(),
       chosen.empty() ? "-" : chosen.c_str(), ip.c_str());
  if (path.compare(0, 9, "/welcome/") == 0) {
    // A slow on_connect that greets (as ws_test_server): "welcome" must
    // reach the client after the 101.
    int32_t wrc = c.try_send_text("welcome");
    emit("WELCOMED %" PRIu64 " %d", c.id(), static_cast<int>(wrc));
    pt::sleep_ms(static_cast<unsigned>(std::strtoul(path.c_str() + 9, nullptr, 10)));
  }
  if (path.compare(0, 5, "/hdr/") == 0) {
    // Headers on the answer (as ws_test_server): four added, then a CR LF
    // value, a reserved name and an empty name, refused.
    int32_t a = code_of([&]() { req.add_response_header("X-Iws-Test", "one"); });
    int32_t b = code_of([&]() { req.add_response_header("X-Iws-Test", "two"); });
    int32_t d = code_of([&]() {
      req.add_response_header("Set-Cookie", "sid=42; Path=/; HttpOnly");
    });
    int32_t e = code_of([&]() {
      req.add_response_header("WWW-Authenticate", "Basic realm=\"iocpws\"");
    });
    int32_t f = code_of([&]() { req.add_response_header("X-Bad", "a\r\nX-Injected: 1"); });
    int32_t g = code_of([&]() { req.add_response_header("Upgrade", "h2c"); });
    int32_t h = code_of([&]() { req.add_response_header("", "x"); });
    emit("ADDHDR %" PRIu64 " %d %d %d %d %d %d %d", c.id(), static_cast<int>(a),
         static_cast<int>(b), static_cast<int>(d), static_cast<int>(e),
         static_cast<int>(f), static_cast<int>(g), static_cast<int>(h));
    path = path.substr(4);
  }
  if (path.compare(0, 8, "/reject/") == 0) {
    int status = std::atoi(path.c_str() + 8);
    emit("REJECT %" PRIu64 " %d", c.id(), status);
    return status;
  }
  if (path == "/throw-connect") throw std::runtime_error("connect refused by exception");

  conn_data *cd = new conn_data;
  cd->connect_thread = pt::self();
  cd->path = path;
  cd->header_count = req.headers().size();
  cd->x_test = req.header("X-Test");
  try {
    c.set_user_data(cd);
  } catch (const iocpws::error &e) {
    emit("SET_USER_DATA_RC %" PRIu64 " %d", c.id(), static_cast<int>(e.code()));
    delete cd;
  }
  if (id_transition(c.id(), 1) != 0) {
    emit("DUPLICATE_CONNECT %" PRIu64, c.id());
    ++g_anomalies;
  }
  ++g_connects;
  return iocpws::accept;
}

void on_message(const iocpws::connection &c, const iocpws::message &m) {
  if (m.is_text() && m.size() >= 4 && std::memcmp(m.data(), "cmd:", 4) == 0) {
    run_command(c, m.text().substr(4));
    return;
  }
  int32_t rc = c.try_send(m.kind(), m.data(), m.size());
  if (rc != IWS_OK) emit("SEND_FAIL %" PRIu64 " %d", c.id(), static_cast<int>(rc));
}

void on_disconnect(const iocpws::connection &c, uint32_t code, const std::string &) {
  int was = id_transition(c.id(), 2);
  if (was == 2) {
    emit("DOUBLE_DISCONNECT %" PRIu64, c.id());
    ++g_anomalies;
    return;
  }
  if (was != 1) {
    emit("UNKNOWN_DISCONNECT %" PRIu64, c.id());
    ++g_anomalies;
  }
  ++g_disconnects;
  conn_data *cd = c.user_data_as<conn_data>();
  if (cd != nullptr) {
    c.set_user_data(nullptr);
    delete cd;
  }
  emit("DISCONNECT %" PRIu64 " %u", c.id(), static_cast<unsigned>(code));
}

bool parse_number(const std::string &text, long long &out) {
  char *end = nullptr;
  errno = 0;
  out = std::strtoll(text.c_str(), &end, 0);
  return errno == 0 && end != text.c_str() && *end == '\0';
}

// on_heartbeat=N: server::on_heartbeat is set, prints "HEARTBEAT <id>" and
// returns N == 1 (handled); -1 = not set.
int g_on_heartbeat = -1;

// tls_host=NAME,CERT,KEY[,PASSWORD] values, added after the server exists.
std::vector<std::string> g_tls_hosts;

// Reads a whole file (false if it cannot be read).
bool read_file(const std::string &path, std::string &text) {
  FILE *f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return false;
  text.clear();
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
  bool ok = !std::ferror(f);
  std::fclose(f);
  return ok;
}

// server::add_tls_host for "NAME,CERT,KEY[,PASSWORD]"; fewer than three
// parts is IWS_E_INVALID_ARG (as in ws_test_server.c).
void add_host(iocpws::server &srv, const std::string &value) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (parts.size() < 4) {
    std::size_t comma = parts.size() < 3 ? value.find(',', start) : std::string::npos;
    if (comma == std::string::npos) {
      parts.push_back(value.substr(start));
      break;
    }
    parts.push_back(value.substr(start, comma - start));
    start = comma + 1;
  }
  if (parts.size() < 3)
    throw iocpws::error(IWS_E_INVALID_ARG, "tls_host needs NAME,CERT,KEY[,PASSWORD]");
  srv.add_tls_host(parts[0], parts[1], parts[2], parts.size() > 3 ? parts[3] : std::string());
}

// Applies NAME=VALUE to the options; false (with a message) if it is bad.
bool apply_option(iocpws::options &o, const std::string &spec) {
  std::size_t eq = spec.find('=');
  if (eq == std::string::npos) {
    std::fprintf(stderr, "cpp_test_server: --opt needs NAME=VALUE, got '%s'\n", spec.c_str());
    return false;
  }
  std::string name = spec.substr(0, eq), value = spec.substr(eq + 1);
  if (name == "bind") {
    o.bind_address = value;
    return true;
  }
  if (name == "redis_url") {
    o.redis_url = value;
    return true;
  }
  if (name == "redis_prefix") {
    o.redis_prefix = value;
    return true;
  }
  if (name == "http_document_root") {
    o.http.document_root = value;
    return true;
  }
  if (name == "http_index_file") {
    o.http.index_file = value;
    return true;
  }
  if (name == "subprotocols") {
    o.subprotocols.clear();
    std::size_t start = 0;
    while (start <= value.size() && !value.empty()) {
      std::size_t comma = value.find(',', start);
      std::string item = value.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      std::size_t a = item.find_first_not_of(' '), b = item.find_last_not_of(' ');
      if (a != std::string::npos) o.subprotocols.push_back(item.substr(a, b - a + 1));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    return true;
  }
  std::string *str = name == "tls_cert_file"      ? &o.tls_cert_file
                     : name == "tls_key_file"     ? &o.tls_key_file
                     : name == "tls_ca_file"      ? &o.tls_ca_file
                     : name == "tls_password"     ? &o.tls_password
                     : name == "tls_ciphers"      ? &o.tls_ciphers
                     : name == "tls_ciphersuites" ? &o.tls_ciphersuites
                     : name == "tls_client_ca_file" ? &o.tls_client_ca_file
                                                  : nullptr;
  if (str != nullptr) {
    *str = value;
    return true;
  }
  // The test passes a file; the library gets its text in memory.
  std::string *pem = name == "tls_cert_pem"  ? &o.tls_cert_pem
                     : name == "tls_key_pem" ? &o.tls_key_pem
                     : name == "tls_ca_pem"  ? &o.tls_ca_pem
                     : name == "tls_client_ca_pem" ? &o.tls_client_ca_pem
                                             : nullptr;
  if (pem != nullptr) {
    if (!read_file(value, *pem)) {
      std::fprintf(stderr, "cpp_test_server: cannot read '%s'\n", value.c_str());
      return false;
    }
    return true;
  }
  if (name == "tls_host") {
    g_tls_hosts.push_back(value);
    return true;
  }
  long long v = 0;
  if (name == "send_queue_policy" && (value == "close" || value == "error")) {
    o.send_queue_policy = value == "close" ? iocpws::queue_policy::close
                                           : iocpws::queue_policy::error;
    return true;
  }
  if (!parse_number(value, v)) {
    std::fprintf(stderr, "cpp_test_server: bad number in '%s'\n", spec.c_str());
    return false;
  }
  uint32_t u = static_cast<uint32_t>(v);
  bool is_signed = name == "port" || name == "tls_port";  // -1 = no listener
  if (name == "port") o.port = static_cast<int32_t>(v);
  else if (name == "tls_port") o.tls_port = static_cast<int32_t>(v);
  else if (name == "tls_min_version") o.tls_min_version = static_cast<iocpws::tls_version>(v);
  else if (name == "tls_handshake_timeout_ms") o.tls_handshake_timeout_ms = u;
  else if (name == "tls_verify_client") o.tls_verify_client = static_cast<iocpws::tls_verify>(v);
  else if (name == "tls_verify_depth") o.tls_verify_depth = u;
  else if (name == "io_threads") o.io_threads = u;
  else if (name == "worker_threads") o.worker_threads = u;
  else if (name == "max_connections") o.max_connections = static_cast<uint64_t>(v);
  else if (name == "max_message_size") o.max_message_size = static_cast<uint64_t>(v);
  else if (name == "max_handshake_size") o.max_handshake_size = u;
  else if (name == "handshake_timeout_ms") o.handshake_timeout_ms = u;
  else if (name == "heartbeat_interval_ms") o.heartbeat_interval_ms = u;
  else if (name == "heartbeat_timeout_ms") o.heartbeat_timeout_ms = u;
  else if (name == "heartbeat_if_idle") o.heartbeat_if_idle = v != 0;
  else if (name == "on_heartbeat") g_on_heartbeat = static_cast<int>(v);
  else if (name == "send_queue_limit") o.send_queue_limit = static_cast<uint64_t>(v);
  else if (name == "incomplete_messages_limit")
    o.incomplete_messages_limit = static_cast<uint64_t>(v);
  else if (name == "send_queue_policy") o.send_queue_policy = static_cast<iocpws::queue_policy>(v);
  else if (name == "tcp_nodelay") o.tcp_nodelay = v != 0;
  else if (name == "tcp_keepalive") o.tcp_keepalive = v != 0;
  else if (name == "tcp_keepalive_time_ms") o.tcp_keepalive_time_ms = u;
  else if (name == "tcp_keepalive_interval_ms") o.tcp_keepalive_interval_ms = u;
  else if (name == "listen_backlog") o.listen_backlog = u;
  else if (name == "close_timeout_ms") o.close_timeout_ms = u;
  else if (name == "stop_timeout_ms") o.stop_timeout_ms = u;
  else if (name == "log_level") o.log_level = static_cast<int>(v);
  else if (name == "ipv6_only") o.ipv6_only = v != 0;
  else if (name == "accepts_posted") o.accepts_posted = u;
  else if (name == "deflate") o.deflate.enabled = v != 0;
  else if (name == "deflate_server_max_window_bits") o.deflate.server_max_window_bits = u;
  else if (name == "deflate_client_max_window_bits") o.deflate.client_max_window_bits = u;
  else if (name == "deflate_server_no_context_takeover") o.deflate.server_no_context_takeover = v != 0;
  else if (name == "deflate_client_no_context_takeover") o.deflate.client_no_context_takeover = v != 0;
  else if (name == "deflate_mem_level") o.deflate.mem_level = u;
  else if (name == "deflate_level") o.deflate.level = u;
  else if (name == "deflate_threshold") o.deflate.threshold = static_cast<uint64_t>(v);
  else if (name == "deflate_max_inflated_size") o.deflate.max_inflated_size = static_cast<uint64_t>(v);
  else if (name == "redis_reconnect_max_ms") o.redis_reconnect_max_ms = u;
  else if (name == "http_max_body_size") o.http.max_body_size = static_cast<uint64_t>(v);
  else if (name == "http_max_uri_length") o.http.max_uri_length = u;
  else if (name == "http_request_timeout_ms") o.http.request_timeout_ms = u;
  else if (name == "http_keepalive_timeout_ms") o.http.keepalive_timeout_ms = u;
  else if (name == "http_response_timeout_ms") o.http.response_timeout_ms = u;
  else if (name == "http_max_pipelined") o.http.max_pipelined = u;
  else {
    std::fprintf(stderr, "cpp_test_server: unknown option name in '%s'\n", spec.c_str());
    return false;
  }
  if (is_signed ? (v < -0x7fffffffLL - 1 || v > 0x7fffffffLL) : (v < 0 || v > 0xffffffffLL)) {
    // Out of the field's type: let the library refuse it through set_int.
    std::fprintf(stderr, "cpp_test_server: option '%s' out of range\n", spec.c_str());
    return false;
  }
  return true;
}

// ---- HTTP (the routes of ws_test_server.c, through the wrapper) ----------

std::atomic<int> g_defer_running(0);

std::string json_string(const std::string &s) {
  static const char hex[] = "0123456789abcdef";
  std::string out = "\"";
  for (std::size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f) {
      // bytes as \u00XX: the tests compare bytes, the JSON stays ASCII
      out += "\\u00";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

// CPU time this thread has used, in milliseconds (-1 if unknown).
long thread_cpu_ms() {
#ifdef _WIN32
  FILETIME created, exited, kernel, user;
  if (!GetThreadTimes(GetCurrentThread(), &created, &exited, &kernel, &user)) return -1;
  ULARGE_INTEGER k, u;
  k.LowPart = kernel.dwLowDateTime;
  k.HighPart = kernel.dwHighDateTime;
  u.LowPart = user.dwLowDateTime;
  u.HighPart = user.dwHighDateTime;
  return static_cast<long>((k.QuadPart + u.QuadPart) / 10000u);
#else
  struct timespec ts;
  if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0) return -1;
  return static_cast<long>(ts.tv_sec) * 1000L + ts.tv_nsec / 1000000L;
#endif
}

long param_long(const iocpws::http_request &req, const char *name, long def) {
  return req.has_param(name) ? std::strtol(req.param(name).c_str(), nullptr, 10) : def;
}

void http_echo(const iocpws::connection &c, const iocpws::http_request &req,
               iocpws::http_response &res) {
  std::string out = "{\"method\":" + json_string(req.method()) +
                    ",\"document\":" + json_string(req.document()) +
                    ",\"query\":" + json_string(req.query()) + ",\"params\":[";
  std::vector<std::pair<std::string, std::string> > params = req.params();
  for (std::size_t i = 0; i < params.size(); ++i)
    out += (i ? ",[" : "[") + json_string(params[i].first) + "," +
           json_string(params[i].second) + "]";
  out += "],\"body\":" + json_string(req.body());
  out += ",\"id\":" + std::to_string(c.id()) +
         ",\"headers\":" + std::to_string(req.headers().size()) + ",\"host\":" +
         (req.has_header("Host") ? json_string(req.header("Host")) : std::string("null")) + "}";
  res.header("Content-Type", "application/json");
  res.body(out);
}

// Streamed uploads (ws_test_server's /upload and /deny/N, Since 0.6),
// through on_http_head and on_http_body. CRC-32 (zlib's polynomial) by
// table: these test programs link the library alone.
struct upload_state {
  uint64_t bytes, pieces, maxpiece, fail;
  uint32_t crc;
  long delay_ms;
};
pt::mutex g_uploads_lock;
std::map<iocpws::conn_id, upload_state> g_uploads;

struct crc_table {
  uint32_t t[256];
  crc_table() {
    for (uint32_t i = 0; i < 256; i++) {
      uint32_t c = i;
      for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
  }
};

uint32_t crc32_update(uint32_t crc, const uint8_t *p, size_t n) {
  static const crc_table tab;  // made once, thread-safe (C++11)
  const uint32_t *table = tab.t;
  crc = ~crc;
  while (n--) crc = table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
  return ~crc;
}

int32_t on_head(const iocpws::connection &c, const iocpws::http_request &req) {
  const std::string doc = req.document();
  if (doc.compare(0, 6, "/deny/") == 0) {
    long status = std::strtol(doc.c_str() + 6, nullptr, 10);
    emit("HTTP_HEAD %" PRIu64 " deny %ld", c.id(), status);
    return static_cast<int32_t>(status);
  }
  if (doc.compare(0, 8, "/refuse/") == 0) {
    // http_request::head_refuse (iws_http_head_refuse): the refusal wins
    // over the body_buffer returned below
    long status = std::strtol(doc.c_str() + 8, nullptr, 10);
    int32_t bad = IWS_OK, rc = IWS_OK;
    try {
      req.head_refuse(200, std::string());
    } catch (const iocpws::error &e) {
      bad = e.code();
    }
    try {
      req.head_refuse(static_cast<int32_t>(status), "refused by the app",
                      "text/plain", "Not Today");
    } catch (const iocpws::error &e) {
      rc = e.code();
    }
    emit("HTTP_HEAD %" PRIu64 " refuse %ld bad=%d rc=%d", c.id(), status,
         static_cast<int>(bad), static_cast<int>(rc));
    return iocpws::body_buffer;
  }
  if (doc == "/upload") {
    upload_state u = upload_state();
    u.delay_ms = param_long(req, "delay", 0);
    u.fail = req.has_param("fail")
                 ? std::strtoull(req.param("fail").c_str(), nullptr, 10)
                 : UINT64_MAX;
    {
      pt::lock_guard guard(g_uploads_lock);
      g_uploads[c.id()] = u;
    }
    emit("HTTP_HEAD %" PRIu64 " upload", c.id());
    return iocpws::body_stream;
  }
  return iocpws::body_buffer;
}

int32_t on_body(const iocpws::connection &c, const uint8_t *data, size_t n) {
  long delay = 0;
  int32_t rc = 0;
  {
    pt::lock_guard guard(g_uploads_lock);
    std::map<iocpws::conn_id, upload_state>::iterator it = g_uploads.find(c.id());
    if (it == g_uploads.end() || n == 0 || data == nullptr) {
      rc = 500;
    } else {
      upload_state &u = it->second;
      u.crc = crc32_update(u.crc, data, n);
      u.bytes += n;
      u.pieces++;
      if (n > u.maxpiece) u.maxpiece = n;
      delay = u.delay_ms;
      if (u.bytes > u.fail) rc = 507;
    }
  }
  if (rc == 500) emit("BAD_PIECE %" PRIu64 " %u", c.id(), static_cast<unsigned>(n));
  if (delay > 0) pt::sleep_ms(static_cast<unsigned>(delay));
  return rc;
}

void upload_done(const iocpws::connection &c, iocpws::http_response &res) {
  char body[200];
  pt::lock_guard guard(g_uploads_lock);
  std::map<iocpws::conn_id, upload_state>::iterator it = g_uploads.find(c.id());
  if (it == g_uploads.end()) {
    res.body("no upload");
    return;
  }
  const upload_state &u = it->second;
  std::snprintf(body, sizeof body,
                "bytes=%" PRIu64 " crc=%08lx pieces=%" PRIu64 " maxpiece=%" PRIu64,
                u.bytes, static_cast<unsigned long>(u.crc), u.pieces, u.maxpiece);
  g_uploads.erase(it);
  res.body(body);
}

void on_http(const iocpws::connection &c, const iocpws::http_request &req,
             iocpws::http_response &res) {
  const std::string doc = req.document();
  if (doc == "/echo") {
    http_echo(c, req, res);
  } else if (doc == "/upload") {
    upload_done(c, res);
  } else if (doc == "/whoami") {
    res.body("listener=" + std::to_string(c.listener()) +
             " subject=" + c.peer_cert(iocpws::cert_part::subject));
  } else if (doc == "/chain") {
    // connection::peer_chain: the subjects, depth 0 first, '|' between
    std::string body;
    std::vector<std::string> chain = c.peer_chain();
    for (size_t i = 0; i < chain.size(); ++i)
      body += (i ? "|" : "") + chain[i];
    res.body(body);
  } else if (doc.compare(0, 8, "/status/") == 0) {
    long status = std::strtol(doc.c_str() + 8, nullptr, 10);
    std::string body = "status " + std::to_string(status);
    try {
      res.status(static_cast<int>(status));
    } catch (const iocpws::error &) {
      res.status(500);
      body = "bad status " + std::to_string(status);
    }
    res.body(body);
  } else if (doc == "/defer") {
    long ms = param_long(req, "ms", 0);
    int status = static_cast<int>(param_long(req, "status", 200));
    std::string tag = req.param("tag", "-");
    // std::function needs a copyable callable: share the move-only response
    std::shared_ptr<iocpws::deferred_response> d(new iocpws::deferred_response(res.defer()));
    ++g_defer_running;
    bool started = pt::start_detached([d, ms, status, tag]() {
      pt::sleep_ms(static_cast<unsigned>(ms));
      try {
        d->status(status);
        d->body("deferred " + tag);
      } catch (const iocpws::error &) {
        // too late (the library answered 503): send() says so
      }
      int32_t rc = d->send();
      emit("HTTP_SEND %s %d", tag.c_str(), static_cast<int>(rc));
      --g_defer_running;
    });
    if (!started) {
      --g_defer_running;
      d->status(500);
      d->send();
    }
  } else if (doc == "/streamwait") {
    // a streamed body written from a thread of ours that sleeps in
    // wait_room() while the queue is full (tests/integration/test_http.py)
    long total = param_long(req, "total", 1 << 20);
    long chunk = param_long(req, "chunk", 65536);
    if (chunk <= 0 || chunk > (16L << 20)) chunk = 65536;
    std::string tag = req.param("tag", "-");
    std::shared_ptr<iocpws::deferred_response> d(new iocpws::deferred_response(res.defer()));
    d->header("Content-Type", "application/octet-stream");
    d->send_head();
    emit("STREAM_WAIT_IN_CALLBACK %s %d", tag.c_str(), static_cast<int>(d->wait_room(1000)));
    ++g_defer_running;
    bool started = pt::start_detached([d, total, chunk, tag]() {
      std::string buf(static_cast<size_t>(chunk), 'a');
      for (long k = 0; k < chunk; k++) buf[static_cast<size_t>(k)] = static_cast<char>('a' + k % 26);
      long sent = 0, waits = 0, timeouts = 0, cpu0 = thread_cpu_ms();
      int32_t rc = IWS_OK;
      try {
        while (rc == IWS_OK && sent < total) {
          long n = total - sent < chunk ? total - sent : chunk;
          rc = d->send_chunk(buf.data(), static_cast<size_t>(n));
          if (rc == IWS_OK) {
            sent += n;
          } else if (rc == IWS_E_QUEUE_FULL) {
            waits++;
            rc = d->wait_room(200);
            if (rc == IWS_E_TIMEOUT) {
              timeouts++;
              rc = IWS_OK;
            }
          }
        }
      } catch (const iocpws::error &e) {
        rc = e.code();
      }
      emit("STREAM_WAIT %s %ld %ld %ld %ld %d", tag.c_str(), sent, waits, timeouts,
           thread_cpu_ms() - cpu0, static_cast<int>(rc));
      d->send();
      --g_defer_running;
    });
    if (!started) {
      --g_defer_running;
      d->send();
    }
  } else if (doc == "/deferquick") {
    int32_t dr = IWS_OK, sr;
    iocpws::deferred_response d;
    try {
      d = res.defer();
    } catch (const iocpws::error &e) {
      dr = e.code();
    }
    d.body("quick");
    sr = d.send();
    emit("HTTP_QUICK %d %d", static_cast<int>(dr), static_cast<int>(sr));
  } else if (doc == "/big") {
    long size = param_long(req, "n", 0);
    if (size < 0 || size > 64L * 1024 * 1024) size = 0;
    std::string big(static_cast<std::size_t>(size), 'a');
    for (long k = 0; k < size; k++) big[static_cast<std::size_t>(k)] = static_cast<char>('a' + k % 26);
    res.header("Content-Type", "application/octet-stream");
    res.body(big);
  } else if (doc == "/header") {
    int32_t rc = IWS_OK;
    try {
      if (!req.has_param("name")) throw iocpws::error(IWS_E_INVALID_ARG, "no name");
      res.header(req.param("name"), req.param("value"));
    } catch (const iocpws::error &e) {
      rc = e.code();
    }
    res.body("rc=" + std::to_string(rc));
  } else if (doc == "/close") {
    res.header("Connection", "close");
    res.body("closing");
  } else if (doc == "/conn") {
    res.body("conn " + std::to_string(c.id()));
  } else if (doc == "/answerheader") {
    // add_response_header belongs to on_connect: IWS_E_BAD_STATE here
    iocpws::request handshake(const_cast<iws_request *>(req.native_handle()));
    int32_t rc = code_of([&]() { handshake.add_response_header("X-A", "b"); });
    res.body("rc=" + std::to_string(rc));
  } else if (doc == "/untouched") {
    // the library answers 404
  } else if (doc == "/reason") {
    res.status(299, "Fine Thanks");
    res.body("ok");
  } else if (doc == "/nocontent") {
    res.status(204);
  } else if (doc == "/serve") {
    int32_t rc = IWS_OK;
    try {
      if (!res.serve_file(req.param("path"))) rc = IWS_E_FILE;
    } catch (const iocpws::error &e) {
      rc = e.code();
    }
    if (rc != IWS_OK) {
      res.status(404);
      res.body("serve-rc " + std::to_string(rc));
    }
  } else if (doc == "/headrefuse") {
    // outside on_http_head: IWS_E_BAD_STATE
    int32_t rc = IWS_OK;
    try {
      req.head_refuse(403, std::string());
    } catch (const iocpws::error &e) {
      rc = e.code();
    }
    res.body("rc=" + std::to_string(rc));
  } else if (doc == "/httpstats") {
    iocpws::stats st = g_server->statistics();
    res.body("requests=" + std::to_string(st.http_requests) +
             " refused=" + std::to_string(st.http_refused) +
             " current=" + std::to_string(st.http_connections_current));
  } else if (doc == "/cpp/throw") {
    res.body("never sent");
    throw std::runtime_error("http boom");
  } else if (doc == "/cpp/drop") {
    iocpws::deferred_response d = res.defer();
    d.body("never sent");
  } else if (doc == "/cpp/deferthrow") {
    iocpws::deferred_response d = res.defer();
    throw std::runtime_error("after defer");
  } else if (doc == "/cpp/stream") {
    // streamed inside the handler: held until it returns, then chunked
    iocpws::deferred_response d = res.defer();
    d.header("Content-Type", "text/plain");
    if (d.send_head() != IWS_OK) return;
    d.send_chunk("ab");
    // wait_room() inside the handler refuses instead of blocking
    d.send_chunk(std::to_string(d.wait_room(1000)));
    d.send_chunk(std::string("cd"));
    d.send();
  } else if (doc == "/cpp/request") {
    res.header("Content-Type", "text/plain; charset=utf-8");
    res.body(req.method() + "\n" + req.document() + "\n" + req.path() + "\n" +
             req.query() + "\n" + (req.has_param("a") ? "yes" : "no") + "\n" +
             req.param("a", "-") + "\n" + req.header("x-test", "-") + "\n" +
             std::to_string(req.body_size()) + "\n" + req.version() + "\n");
  }
}

bool start_and_report() {
  try {
    g_server->start();
    for (uint32_t i = 0; i < g_server->listener_count(); i++)
      emit("LISTENER %u %u %s", static_cast<unsigned>(i),
           static_cast<unsigned>(g_server->listener_port(i)),
           g_server->listener_is_tls(i) ? "tls" : "plain");
    if (g_server->get_int(IWS_OPT_TLS_PORT) >= 0)
      emit("TLS_PORT %u", static_cast<unsigned>(g_server->tls_port()));
    emit("PORT %u", static_cast<unsigned>(g_server->port()));
    return true;
  } catch (const iocpws::error &e) {
    emit("START_FAILED rc=%d %s: %s", static_cast<int>(e.code()), e.name(), e.what());
    return false;
  }
}

// "ADDR/PORT" (ADDR may be empty) -> server::add_listener's status.
int32_t add_listener_spec(const std::string &v, bool tls) {
  std::size_t slash = v.rfind('/');
  if (slash == std::string::npos) return IWS_E_INVALID_ARG;
  unsigned long port = std::strtoul(v.c_str() + slash + 1, nullptr, 10);
  return code_of([&]() {
    g_server->add_listener(v.substr(0, slash), static_cast<uint32_t>(port), tls);
  });
}

}  // namespace

int main(int argc, char **argv) {
  pt::stdio_setup();
  iocpws::options opts;
  bool log_calls = false;
  for (int i = 1; i < argc; i++) {
    std::string spec;
    if (std::strcmp(argv[i], "--log-calls") == 0) {
      log_calls = true;
      continue;
    } else if (std::strcmp(argv[i], "--nofile") == 0 && i + 1 < argc) {
      if (pt_set_nofile("cpp_test_server", argv[++i]) != 0) return 2;
      continue;
    } else if (std::strcmp(argv[i], "--on-heartbeat") == 0 && i + 1 < argc) {
      // as ws_test_server's: on_heartbeat set, answering N (1 = handled)
      g_on_heartbeat = std::atoi(argv[++i]);
      continue;
    } else if (std::strcmp(argv[i], "--opt") == 0 && i + 1 < argc) {
      spec = argv[++i];
    } else if (std::strncmp(argv[i], "--opt=", 6) == 0) {
      spec = argv[i] + 6;
    } else if (std::strcmp(argv[i], "--docroot") == 0 && i + 1 < argc) {
      opts.http.document_root = argv[++i];  // static files
      continue;
    } else if ((std::strcmp(argv[i], "--listen") == 0 ||
                std::strcmp(argv[i], "--listen-tls") == 0) &&
               i + 1 < argc) {
      // added once the server exists (see below)
      g_listen_args.push_back(std::make_pair(std::strcmp(argv[i], "--listen-tls") == 0,
                                             std::string(argv[i + 1])));
      i++;
      continue;
    } else {
      std::fprintf(stderr, "usage: cpp_test_server [--nofile N] [--docroot DIR] [--log-calls] [--on-heartbeat N] [--opt NAME=VALUE]...\nunexpected argument '%s'\n", argv[i]);
      return 2;
    }
    if (!apply_option(opts, spec)) return 2;
  }

  try {
#ifdef IOCPWS_DYNAMIC
    const char *lib = std::getenv("IWS_LIBRARY");  // else the default name
    iocpws::load(lib && *lib ? lib : nullptr);
    emit("LIBRARY %s", lib && *lib ? lib : IWS_LOADER_DEFAULT_NAME);
#endif
    g_server.reset(new iocpws::server(opts));
    for (std::size_t i = 0; i < g_tls_hosts.size(); i++) add_host(*g_server, g_tls_hosts[i]);
    for (std::size_t i = 0; i < g_listen_args.size(); i++) {
      int32_t rc = add_listener_spec(g_listen_args[i].second, g_listen_args[i].first);
      if (rc != IWS_OK) {
        std::fprintf(stderr, "cpp_test_server: --listen %s refused: %d\n",
                     g_listen_args[i].second.c_str(), static_cast<int>(rc));
        return 2;
      }
    }
  } catch (const iocpws::error &e) {
    std::fprintf(stderr, "cpp_test_server: %s (%s)\n", e.what(), e.name());
    return 2;
  }
  g_server->on_connect(on_connect)
      .on_message(on_message)
      .on_disconnect(on_disconnect)
      .on_http_request(on_http)
      .on_http_head(on_head)
      .on_http_body(on_body)
      .on_open([](const iocpws::connection &c) {
        emit("TCP_OPEN %" PRIu64 " %u", c.id(),
             static_cast<unsigned>(c.peer().port));
      })
      .on_close([](const iocpws::connection &c) {
        emit("TCP_CLOSE %" PRIu64 " %u", c.id(),
             static_cast<unsigned>(c.peer().port));
      })
      .on_heartbeat(g_on_heartbeat < 0
                        ? iocpws::heartbeat_handler()
                        : iocpws::heartbeat_handler([](const iocpws::connection &c) {
                            // as ws_test_server.c: never while another
                            // handler of the connection runs (cmd:sleep)
                            if (g_sleeping_id.load() == c.id()) {
                              emit("HEARTBEAT_OVERLAP %" PRIu64, c.id());
                              ++g_anomalies;
                            }
                            emit("HEARTBEAT %" PRIu64, c.id());
                            return g_on_heartbeat == 1;
                          }))
      .on_error([](const iocpws::connection &c, const iocpws::error &e) {
        emit("ERROR %" PRIu64 " %d %s", c.id(), static_cast<int>(e.code()),
             one_line(e.what()).c_str());
      })
      .on_exception([](const iocpws::connection &c, std::exception_ptr p) {
        try {
          std::rethrow_exception(p);
        } catch (const std::exception &e) {
          emit("EXCEPTION %" PRIu64 " %s", c.id(), one_line(e.what()).c_str());
        } catch (...) {
          emit("EXCEPTION %" PRIu64 " non-std", c.id());
        }
      })
      .on_log([log_calls](int level, const std::string &text) {
        emit("LOG %d %s", level, one_line(text).c_str());
        std::string::size_type at = text.find("connection ");
        if (!log_calls || at == std::string::npos) return;
        const iocpws::conn_id id = std::strtoull(text.c_str() + at + 11, nullptr, 10);
        if (id == 0) return;
        // The API from inside on_log, as the header allows: the library
        // holds no lock around it.
        int32_t a = code_of([&]() { g_server->connection_by_id(id).peer(); });
        int32_t b = code_of([&]() { g_server->connection_by_id(id).path(); });
        int32_t c = code_of([&]() { g_server->broadcast_text("log"); });
        emit("LOGCALL %" PRIu64 " %d %d %d", id, static_cast<int>(a), static_cast<int>(b),
             static_cast<int>(c));
      });

  if (!start_and_report()) return 3;

  std::string line;
  while (std::getline(std::cin, line)) {
    while (!line.empty() && (line[line.size() - 1] == '\r' || line[line.size() - 1] == '\n'))
      line.erase(line.size() - 1);
    if (line == "quit") break;
    if (g_orphaned) {
      emit("UNKNOWN_STDIN %s (the server was destroyed)", line.c_str());
      continue;
    }
    const char *arg;
    if (line == "stop") {
      int32_t rc = code_of([]() { g_server->stop(); });
      emit("STOPPED rc=%d connects=%" PRIu64 " disconnects=%" PRIu64, static_cast<int>(rc),
           g_connects.load(), g_disconnects.load());
    } else if (line == "start") {
      start_and_report();
    } else if ((arg = command_arg(line.c_str(), "addlistener")) != nullptr) {
      bool tls = std::strncmp(arg, "tls ", 4) == 0;
      emit("ADDLISTENER_RC %d", static_cast<int>(add_listener_spec(tls ? arg + 4 : arg, tls)));
    } else if (line == "clearlisteners") {
      emit("CLEARLISTENERS_RC %d",
           static_cast<int>(code_of([]() { g_server->clear_listeners(); })));
    } else if (line == "proc") {
      pt_proc_info p;
      pt_proc_info_read(&p);
      emit("PROC rss=%lld fds=%lld threads=%lld cpu_ms=%lld commit=%lld", p.rss, p.fds,
           p.threads, p.cpu_ms, p.commit);
    } else if ((arg = command_arg(line.c_str(), "sendall")) != nullptr) {
      uint32_t sent = 0;
      int32_t rc = code_of([&]() { sent = g_server->broadcast_text(arg); });
      emit("SENDALL %u rc=%d", static_cast<unsigned>(sent), static_cast<int>(rc));
    } else if ((arg = command_arg(line.c_str(), "publish")) != nullptr) {
      std::string rest = arg;
      std::size_t sp = rest.find(' ');
      std::string text = sp == std::string::npos ? "" : rest.substr(sp + 1);
      uint32_t sent = 0;
      int32_t rc = code_of([&]() { sent = g_server->publish_text(rest.substr(0, sp), text); });
      emit("PUBLISH %u rc=%d", static_cast<unsigned>(sent), static_cast<int>(rc));
    } else if ((arg = command_arg(line.c_str(), "publishn")) != nullptr) {
      char ch[512];
      long count = 0, size = 0;
      int32_t first = IWS_OK;
      if (std::sscanf(arg, "%511s %ld %ld", ch, &count, &size) < 2) count = 0;
      if (size > 65536) size = 65536;
      for (long k = 0; k < count; k++) {
        std::string msg = std::string(ch) + "-" + std::to_string(k);
        if (static_cast<long>(msg.size()) < size) msg.resize(static_cast<std::size_t>(size), '.');
        int32_t rc = code_of([&]() { g_server->publish_text(ch, msg); });
        if (rc != IWS_OK && first == IWS_OK) first = rc;
      }
      emit("PUBLISHN %ld rc=%d", count, static_cast<int>(first));
    } else if ((arg = command_arg(line.c_str(), "subscribe")) != nullptr) {
      char *end;
      iocpws::conn_id id = std::strtoull(arg, &end, 10);
      while (*end == ' ') end++;
      std::string ch = end;
      int32_t rc = code_of([&]() { g_server->connection_by_id(id).subscribe(ch); });
      emit("SUBSCRIBE_RC %d", static_cast<int>(rc));
    } else if ((arg = command_arg(line.c_str(), "closeid")) != nullptr) {
      char *end;
      iocpws::conn_id id = std::strtoull(arg, &end, 10);
      unsigned long code = std::strtoul(end, &end, 10);
      const char *reason = end;
      while (*reason == ' ') reason++;
      int32_t rc = code_of([&]() {
        g_server->connection_by_id(id).close(static_cast<uint32_t>(code), reason);
      });
      emit("CLOSEID_RC %d", static_cast<int>(rc));
    } else if (!line.empty()) {
      emit("UNKNOWN_STDIN %s", line.c_str());
    }
  }

  while (g_foreign_running.load() > 0 || g_defer_running.load() > 0) pt::sleep_ms(5);
  bool orphaned = g_orphaned.load();
  // Stop first: handlers still running use *g_server, which reset() clears
  // before the destructor waits for them. (Orphaned: nothing to stop.)
  if (!orphaned) code_of([]() { g_server->stop(); });
  g_server.reset();
  uint64_t connects = g_connects.load(), disconnects = g_disconnects.load();
  int exit_code = ((orphaned || connects == disconnects) && g_anomalies.load() == 0) ? 0 : 1;
  emit("BYE connects=%" PRIu64 " disconnects=%" PRIu64 " destroy_rc=0 orphaned=%d", connects,
       disconnects, orphaned ? 1 : 0);
  return exit_code;
}
