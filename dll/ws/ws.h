/*
 * ws.h - what the connection layer calls in ws/ws.c: a connection's input
 * on its strand (the opening handshake, then WebSocket frames), and the
 * release of a message being reassembled. (These become the connection's
 * protocol table; see README, "Architecture".)
 */
#ifndef IWS_WS_H
#define IWS_WS_H

#include <stddef.h>
#include <stdint.h>

struct iws__conn;

/* Runs input on the connection's strand (this thread), then flushes. */
void iws__strand_run(struct iws__conn *c, const uint8_t *data, size_t len);
/* The HTTP cycle's turn after a kick (no new bytes), then a flush. */
void iws__strand_kick(struct iws__conn *c);
/* The message being reassembled is dropped (its bytes leave the server's
 * budget). Strand. */
void iws__ws_rx_release(struct iws__conn *c);

#endif /* IWS_WS_H */
