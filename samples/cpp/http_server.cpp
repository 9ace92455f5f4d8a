// http_server.cpp - HTTP and WebSocket on one port with the C++ wrapper: the
// chat page of samples/web from the document root, a small JSON API, and a
// long poll answered later from another thread (deferred responses).
//
//   cpp_http_server [port] [document root]   (default 8080, samples/web)
//
//   GET  /               the chat page (document root; it connects to /chat)
//   GET  /api/hello?name=x   {"hello": "x"}
//   GET  /api/next       waits (deferred) for the next chat message, then
//                        answers it as {"text": ...}
//   POST /api/say        form field text=...: sent to every chat page and
//                        every waiting /api/next; 204
//   ws://host:port/chat  the chat: each text message goes to everyone
//
// Ctrl-C stops it.
#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

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

#ifndef IWS_SAMPLE_WEB_ROOT
#define IWS_SAMPLE_WEB_ROOT "samples/web"
#endif

static volatile std::sig_atomic_t stop_requested = 0;
extern "C" void on_signal(int) { stop_requested = 1; }

static std::string json_string(const std::string &s) {
  std::string out = "\"";
  for (std::string::size_type i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

// The /api/next requests waiting for a message. Handlers of different
// connections run on different threads: a tiny spin lock guards the list
// (held for a few pointer moves only; no <mutex>, which some Windows tool
// chains lack).
class waiters {
 public:
  waiters() { flag_.clear(); }
  std::size_t add(iocpws::deferred_response d) {
    lock();
    list_.push_back(std::move(d));
    std::size_t n = list_.size();
    unlock();
    return n;
  }
  // Answers every waiting request with text (from the caller's thread).
  void answer_all(const std::string &text) {
    std::vector<iocpws::deferred_response> taken;
    lock();
    taken.swap(list_);
    unlock();
    for (std::size_t i = 0; i < taken.size(); ++i) {
      taken[i].header("Content-Type", "application/json");
      taken[i].body("{\"text\": " + json_string(text) + "}\n");
      taken[i].send();  // a client that went away: nothing to do
    }
  }

 private:
  void lock() {
    while (flag_.test_and_set(std::memory_order_acquire)) {
    }
  }
  void unlock() { flag_.clear(std::memory_order_release); }
  std::atomic_flag flag_;
  std::vector<iocpws::deferred_response> list_;
};

int main(int argc, char **argv) {
  long port = argc > 1 ? std::strtol(argv[1], nullptr, 10) : 8080;
  if (port < 0 || port > 65535 || argc > 3) {
    std::fprintf(stderr, "usage: %s [port 0..65535] [document root]\n", argv[0]);
    return 2;
  }
  iocpws::options opt;
  opt.port = static_cast<int32_t>(port);
  opt.http.document_root = argc > 2 ? argv[2] : IWS_SAMPLE_WEB_ROOT;
  try {
    iocpws::server srv(opt);
    iocpws::server *self = &srv;
    // After srv: destroyed first, while the server still exists (a
    // deferred response must be sent or dropped before its server goes).
    waiters waiting;
    srv.on_connect([](const iocpws::connection &, iocpws::request &r) {
      return r.path().compare(0, 5, "/chat") == 0 ? iocpws::accept : 404;
    });
    srv.on_message([self, &waiting](const iocpws::connection &,
                                    const iocpws::message &m) {
      if (!m.is_text()) return;
      self->broadcast_text(m.text());
      waiting.answer_all(m.text());  // deferred responses, sent from here
    });
    srv.on_http_request([self, &waiting](const iocpws::connection &c,
                                         const iocpws::http_request &req,
                                         iocpws::http_response &res) {
      const std::string doc = req.document();
      if (doc == "/api/hello") {
        res.header("Content-Type", "application/json");
        res.body("{\"hello\": " + json_string(req.param("name", "world")) +
                 ", \"from\": " + json_string(c.peer().ip) + "}\n");
      } else if (doc == "/api/next" && req.method() == "GET") {
        std::size_t n = waiting.add(res.defer());
        std::printf("waiting: %u\n", static_cast<unsigned>(n));
        std::fflush(stdout);
      } else if (doc == "/api/say" && req.method() == "POST") {
        std::string text = req.param("text");
        if (text.empty()) {
          res.status(400);
          res.body("text is missing\n");
          return;
        }
        self->broadcast_text(text);
        waiting.answer_all(text);
        res.status(204);
      } else {
        res.status(404);
        res.header("Content-Type", "text/plain; charset=utf-8");
        res.body("no such page: " + doc + "\n");
      }
    });
    srv.on_exception([](const iocpws::connection &, std::exception_ptr e) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception &x) {
        std::fprintf(stderr, "handler failed: %s\n", x.what());
      } catch (...) {
        std::fprintf(stderr, "handler failed\n");
      }
    });
    srv.start();
    std::printf("iocpws %s http server: open http://localhost:%u/ (files from "
                "%s)\nlistening on port %u\n",
                iocpws::version().c_str(), static_cast<unsigned>(srv.port()),
                opt.http.document_root.c_str(), static_cast<unsigned>(srv.port()));
    std::fflush(stdout);
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    while (!stop_requested) sleep_ms(100);
    std::printf("stopping\n");
    srv.stop();  // no handler runs after this: nothing adds to `waiting`
    waiting.answer_all("the server stopped");  // released; clients are gone
  } catch (const iocpws::error &e) {
    std::fprintf(stderr, "cpp_http_server: %s\n", e.what());
    return 1;
  }
  return 0;
}
