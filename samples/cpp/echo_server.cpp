// echo_server.cpp - the C++ wrapper's smallest useful program: every text or
// binary message comes back to its sender.
//
//   cpp_echo_server [port]                (default 8080; 0 = any free port)
//   cpp_echo_server [port] --tls CERT KEY wss:// only, on that port: CERT and
//                                         KEY are PEM files (KEY unencrypted)
//
// Ctrl-C (SIGINT) or SIGTERM stops it cleanly: clients get close 1001.
// Build: see bindings/cpp/README.md (linked, or -DIOCPWS_DYNAMIC for the
// run-time loader); CMake builds it as cpp_echo_server.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>

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

int main(int argc, char **argv) {
  long port = argc > 1 ? std::strtol(argv[1], nullptr, 10) : 8080;
  bool tls = argc == 5 && std::strcmp(argv[2], "--tls") == 0;
  if (port < 0 || port > 65535 || (argc > 2 && !tls)) {
    std::cerr << "usage: " << argv[0]
              << " [port 0..65535] [--tls CERT.pem KEY.pem]\n";
    return 2;
  }
  try {
    iocpws::options opt;
    if (tls) {
      // TLS only: no plain listener, the TLS one on the port asked for. The
      // files are read (and checked) by start().
      opt.port = -1;
      opt.tls_port = static_cast<int32_t>(port);
      opt.tls_cert_file = argv[3];
      opt.tls_key_file = argv[4];
    } else {
      opt.port = static_cast<int32_t>(port);
    }
    iocpws::server srv(opt);

    // Handlers run on the library's threads. Sending from inside one is
    // safe: the message is queued and written when the handler returns.
    srv.on_message([](const iocpws::connection &c, const iocpws::message &m) {
      c.send(m);
    });
    srv.on_log([](int level, const std::string &line) {
      std::fprintf(stderr, "[%d] %s\n", level, line.c_str());
    });

    srv.start();
    std::cout << "iocpws " << iocpws::version()
              << " C++ echo server listening on port " << srv.port()
              << (tls ? " (wss://)" : "") << " (Ctrl-C stops)" << std::endl;

    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    while (!stop_requested) sleep_ms(100);
    std::cout << "stopping" << std::endl;
  } catch (const iocpws::error &e) {  // create, options or start failed
    // (a bad certificate or key: IWS_E_TLS_CONFIG, OpenSSL's reason in what())
    std::cerr << e.what() << " (" << e.name() << ")\n";
    return 1;
  }  // ~server: stops (close 1001 to everyone), then frees
  return 0;
}
