/*
 * fake_backend.c - a back end over memory (dll/backend/backend.h), linked
 * with the core objects instead of epoll/IOCP. No sockets and no threads:
 * a test accepts a "socket" with fake_accept(), feeds bytes through
 * iws__core_read() exactly as a socket would, and every write completes at
 * once (the bytes are counted, optionally kept). Single-threaded: the
 * fuzz targets and tests that link it drive everything from one thread.
 */
#include "fake_backend.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct iws__be {
  iws_server *server;
};

const char *iws__be_name(void) { return "fake"; }

int iws__be_start(iws_server *server, const iws__be_config *config,
                  iws__be **out, char *err, size_t errlen) {
  iws__be *be = calloc(1, sizeof(*be));
  (void)config;
  (void)err;
  (void)errlen;
  if (!be) return IWS_E_NOMEM;
  be->server = server;
  *out = be;
  return IWS_OK;
}

uint32_t iws__be_port(iws__be *be, uint32_t index) {
  (void)be;
  return 40000u + index;
}

void iws__be_stop_accepting(iws__be *be) { (void)be; }

void iws__be_stop(iws__be *be) { free(be); }

int64_t iws__be_write(iws__sock *sock, const iws__iov *iov, int iovcnt) {
  int64_t total = 0;
  int i;
  if (sock->closed) return IWS__BE_ERROR;
  for (i = 0; i < iovcnt; i++) {
    if (sock->keep_output && iov[i].len) {
      if (sock->out_len + iov[i].len > sock->out_cap) {
        size_t cap = (sock->out_len + iov[i].len) * 2;
        uint8_t *p = realloc(sock->out, cap);
        if (!p) abort();
        sock->out = p;
        sock->out_cap = cap;
      }
      memcpy(sock->out + sock->out_len, iov[i].base, iov[i].len);
      sock->out_len += iov[i].len;
    }
    total += (int64_t)iov[i].len;
  }
  if (sock->slow) {
    /* The core promises one write at a time per socket. */
    if (sock->pending) abort();
    sock->pending = 1;
    sock->pending_len = (size_t)total;
    return IWS__BE_PENDING;
  }
  sock->written += (uint64_t)total;
  /* The core never hands an empty list; "0 written" would mean "again". */
  return total > 0 ? total : IWS__BE_PENDING;
}

/* Files: read into the output like a gather list of one entry. */
int64_t iws__be_write_file(iws__sock *sock, iws__file *file, uint64_t offset,
                           size_t length) {
  uint8_t buf[16384];
  size_t got = 0;
  iws__iov iov;
  if (sock->closed || length == 0) return IWS__BE_ERROR;
  if (length > sizeof(buf)) length = sizeof(buf);
  if (iws__file_read(file, offset, buf, length, &got) != 0 || got == 0)
    return IWS__BE_ERROR;
  iov.base = buf;
  iov.len = got;
  return iws__be_write(sock, &iov, 1);
}

void iws__be_shutdown(iws__sock *sock) { sock->shut = 1; }

void iws__be_close(iws__sock *sock, int abortive) {
  sock->closed = 1;
  sock->abortive = abortive;
}

/* Called under the connection's lock: the resume hook runs from the next
 * fake_feed / fake_resume, like a back end's own thread would. */
void iws__be_read_resume(iws__sock *sock) {
  sock->paused = 0;
  sock->resumed = 1;
}

int fake_resume(iws__sock *sock) {
  int r = IWS__READ_CONTINUE;
  while (sock->conn && !sock->closed && sock->resumed) {
    sock->resumed = 0;
    r = iws__core_resumed(sock->conn);
    if (r == IWS__READ_PAUSE) sock->paused = 1;
  }
  return r;
}

int iws__be_post_flush(iws__sock *sock) {
  (void)sock;
  return -1; /* the core writes at once */
}

void fake_drain(iws__sock *sock, int rounds, size_t max) {
  while (rounds-- > 0 && sock->pending && !sock->closed) {
    size_t n = sock->pending_len < max ? sock->pending_len : max;
    sock->pending = 0;
    sock->written += n;
    iws__core_write_done(sock->conn, n, 0);
  }
}

uint8_t *fake_take(iws__sock *sock, size_t *len) {
  uint8_t *p = sock->out;
  *len = sock->out_len;
  sock->out = NULL;
  sock->out_len = sock->out_cap = 0;
  return p;
}

iws__conn *fake_accept(iws_server *server, iws__sock *sock, uint32_t tag) {
  int keep = sock->keep_output, slow = sock->slow;
  memset(sock, 0, sizeof(*sock));
  sock->keep_output = keep;
  sock->slow = slow;
  /* 127.0.0.1 port 40000 to 127.0.0.1 port 9 */
  static const iws__addr peer = {IWS__ADDR_V4, 0, 40000, {127, 0, 0, 1}};
  static const iws__addr local = {IWS__ADDR_V4, 0, 9, {127, 0, 0, 1}};
  sock->conn = iws__core_accept(server, sock, &peer, &local, tag);
  return sock->conn;
}

int fake_feed(iws__sock *sock, const uint8_t *data, size_t len) {
  int r = IWS__READ_CONTINUE;
  uint8_t *rbuf;
  if (!sock->conn || sock->closed || len == 0) return r;
  fake_resume(sock);
  /* The core may change what it reads (WebSocket unmasks in place), as it
   * may a back end's read buffer: a copy of exactly len bytes, gone after
   * the call (ASan: no read past it, no pointer kept into it). */
  rbuf = malloc(len);
  if (!rbuf) abort();
  memcpy(rbuf, data, len);
  r = iws__core_read(sock->conn, rbuf, len, 0);
  free(rbuf);
  if (r == IWS__READ_PAUSE) sock->paused = 1;
  fake_resume(sock);
  return r;
}

/* The peer leaves: the core closes the socket, but the back end has not
 * reported it closed yet (a close in flight, as on a real back end where
 * the close completes later). Returns -1 if the core never closed it. */
int fake_close_hold(iws__sock *sock) {
  if (!sock->conn) return 0;
  if (!sock->closed) iws__core_read(sock->conn, NULL, 0, 0); /* FIN */
  if (!sock->closed) iws__conn_abort(sock->conn);
  return sock->closed ? 0 : -1;
}

/* The close held by fake_close_hold completes. */
void fake_close_release(iws__sock *sock) {
  if (!sock->conn) return;
  iws__core_closed(sock->conn);
  sock->conn = NULL;
  free(sock->out);
  sock->out = NULL;
  sock->out_len = sock->out_cap = 0;
}

int fake_finish(iws__sock *sock) {
  if (fake_close_hold(sock) != 0) return -1;
  fake_close_release(sock);
  return 0;
}
