// chat_server.cpp - a chat room with the C++ wrapper: every text message goes
// to everyone, with the sender's name.
//
//   cpp_chat_server [port]      (default 8080; 0 = any free port)
//
// Connect with ws://host:port/?name=alice (else you are guest-<id>). Send
// text to talk; "/who" answers how many are here; "/msg bob hello" talks to
// bob only. Binary messages are refused (close 1003). Ctrl-C stops.
//
// It shows: per-connection user data (the name), broadcast to all but the
// sender, broadcast with a filter, closing with a code, and handlers that
// throw (the wrapper stops the exception and reports it to on_exception).
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <string>

#include "iocpws.hpp"

#ifdef _WIN32
#include <windows.h>
static void sleep_ms(unsigned ms) { Sleep(ms); }
#else
#include <time.h>
static void sleep_ms(unsigned ms) {
  struct timespec ts;
  ts.tv_sec = ms / 1000;
  ts.tv_nsec = static_cast<long>(ms % 1000) * 1000000L;
  nanosleep(&ts, nullptr);
}
#endif

static volatile std::sig_atomic_t stop_requested = 0;
extern "C" void on_signal(int) { stop_requested = 1; }

// The name in "/?name=alice" ("" if none); letters, digits, - and _ only.
static std::string name_from_path(const std::string &path) {
  std::string::size_type at = path.find("name=");
  if (at == std::string::npos) return "";
  std::string name;
  for (std::string::size_type i = at + 5; i < path.size() && name.size() < 32; ++i) {
    char c = path[i];
    if (c == '&') break;
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
        (c >= '0' && c <= '9') || c == '-' || c == '_')
      name += c;
  }
  return name;
}

// The name kept as the connection's user data (set in on_connect).
static const std::string &name_of(const iocpws::connection &c) {
  return *c.user_data_as<std::string>();
}

int main(int argc, char **argv) {
  long port = argc > 1 ? std::strtol(argv[1], nullptr, 10) : 8080;
  if (port < 0 || port > 65535) {
    std::cerr << "usage: " << argv[0] << " [port 0..65535]\n";
    return 2;
  }
  try {
    iocpws::options opt;
    opt.port = static_cast<int32_t>(port);
    opt.max_message_size = 64 * 1024;        // chat lines, not files
    opt.heartbeat_interval_ms = 30000;       // find dead peers
    opt.heartbeat_timeout_ms = 60000;
    iocpws::server srv(opt);

    // The server is needed inside the handlers to broadcast: capture it by
    // reference (it outlives them: ~server stops before it frees).
    srv.on_connect([&srv](const iocpws::connection &c, iocpws::request &req) {
      std::string name = name_from_path(req.path());
      if (name.empty()) name = "guest-" + std::to_string(c.id());
      c.set_user_data(new std::string(name));  // freed in on_disconnect
      // To everyone else (inside on_connect the newcomer would get it too).
      srv.broadcast_text("* " + name + " joined", c);
      return iocpws::accept;
    });

    srv.on_message([&srv](const iocpws::connection &c, const iocpws::message &m) {
      if (m.is_binary()) {
        c.close(IWS_CLOSE_UNSUPPORTED_DATA, "text only");
        return;
      }
      const std::string text = m.text();
      const std::string &me = name_of(c);
      if (text == "/who") {
        c.send_text(std::to_string(srv.statistics().connections_current) +
                    " here");
      } else if (text.compare(0, 5, "/msg ") == 0) {
        std::string::size_type space = text.find(' ', 5);
        std::string to = text.substr(5, space == std::string::npos ? space : space - 5);
        std::string body = space == std::string::npos ? "" : text.substr(space + 1);
        uint32_t n = srv.broadcast_text_if(
            "(private) " + me + ": " + body,
            [&to](const iocpws::connection &o) { return name_of(o) == to; });
        if (n == 0) c.send_text("nobody is called " + to);
      } else {
        srv.broadcast_text(me + ": " + text);  // to everyone, sender too
      }
    });

    srv.on_disconnect([&srv](const iocpws::connection &c, uint32_t code,
                             const std::string &) {
      std::string *name = c.user_data_as<std::string>();
      c.set_user_data(nullptr);
      // At stop() everyone leaves (code 1001): nobody to tell.
      if (code != IWS_CLOSE_GOING_AWAY) {
        try {
          srv.broadcast_text("* " + *name + " left", c);
        } catch (const iocpws::error &) {
        }
      }
      delete name;
    });

    srv.on_exception([](const iocpws::connection &c, std::exception_ptr e) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception &x) {
        std::fprintf(stderr, "handler of connection %llu threw: %s\n",
                     static_cast<unsigned long long>(c.id()), x.what());
      } catch (...) {
        std::fprintf(stderr, "a handler threw something odd\n");
      }
    });
    srv.on_log([](int level, const std::string &line) {
      std::fprintf(stderr, "[%d] %s\n", level, line.c_str());
    });

    srv.start();
    std::cout << "iocpws " << iocpws::version()
              << " C++ chat server listening on port " << srv.port()
              << " (Ctrl-C stops)" << std::endl;

    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    while (!stop_requested) sleep_ms(100);
    std::cout << "stopping" << std::endl;
  } catch (const iocpws::error &e) {
    std::cerr << e.what() << " (" << e.name() << ")\n";
    return 1;
  }
  return 0;
}
