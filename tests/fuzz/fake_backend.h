/* fake_backend.h - the memory back end's socket and the helpers a test
 * drives it with (see fake_backend.c). */
#ifndef IWS_FAKE_BACKEND_H
#define IWS_FAKE_BACKEND_H

#include "backend.h"
#include "core.h"
#include "ws.h" /* every layer a fake-backend test drives */

struct iws__sock {
  iws__conn *conn;
  int closed, abortive, shut, paused;
  int resumed; /* iws__be_read_resume was called: fake_resume runs the hook */
  uint64_t written;
  int keep_output; /* keep what is written in out (until fake_take) */
  int slow;        /* writes complete later, a few bytes at a time */
  int pending;     /* a slow write is outstanding */
  size_t pending_len;
  size_t out_len, out_cap;
  uint8_t *out;
};

/* A new connection on the listener `tag` (IWS__LISTEN_PLAIN / _TLS). */
iws__conn *fake_accept(iws_server *server, iws__sock *sock, uint32_t tag);
/* Bytes from the peer. */
/* Runs the resume hook if the core resumed reading since. */
int fake_resume(iws__sock *sock);
int fake_feed(iws__sock *sock, const uint8_t *data, size_t len);
/* The peer leaves (FIN); if the core does not close, it aborts; then the
 * socket is reported closed. Returns -1 if the core never closed it. */
int fake_finish(iws__sock *sock);
/* fake_finish in two steps: the core closes the socket (the peer left, or
 * it aborts), and only later does the back end report it closed; between
 * them a test can act on a connection that is closing but not closed. */
int fake_close_hold(iws__sock *sock);
void fake_close_release(iws__sock *sock);

/* A slow socket: completes the outstanding write with at most `max`
 * bytes, up to `rounds` times (each completion may start the next write). */
void fake_drain(iws__sock *sock, int rounds, size_t max);
/* Hands over what was kept (the caller frees it), and empties it. */
uint8_t *fake_take(iws__sock *sock, size_t *len);

#endif
