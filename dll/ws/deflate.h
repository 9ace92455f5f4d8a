/*
 * deflate.h - permessage-deflate (RFC 7692): the negotiation as pure
 * functions over header values, and the zlib streams that compress and
 * inflate messages.
 *
 * Memory. A direction that negotiated no_context_takeover keeps no zlib
 * stream on its connection: every message is compressed (or inflated) with
 * the calling thread's stream, reset before each message. Only a direction
 * with context takeover keeps a stream per connection, created on its first
 * compressed message and freed with the connection. Inflating stops at the
 * inflated-size limit: a decompression bomb never gets its memory.
 */
#ifndef IWS_DEFLATE_H
#define IWS_DEFLATE_H

#include <stddef.h>
#include <stdint.h>

/* iws__pmd_config, _params, _deflate_cfg: plain data the core stores */
#include "../core/core.h"



/* Negotiates from the request's Sec-WebSocket-Extensions header values
 * (values[0..count), each a comma-separated extension list). Offers of
 * permessage-deflate are tried in order; the first one the server can
 * honour is accepted, the others are declined (RFC 7692 5). An offer with an
 * unknown or repeated parameter or a bad value is declined, not refused.
 * Returns 0 (out->enabled says whether an offer was accepted), or 400 when
 * a value does not parse as an extension list (RFC 6455 9.1). */
int iws__pmd_negotiate(const char *const *values, size_t count,
                       const iws__pmd_config *cfg, iws__pmd_params *out);

/* The Sec-WebSocket-Extensions value answering an accepted offer, e.g.
 * "permessage-deflate; server_no_context_takeover; client_max_window_bits=12"
 * into out[size]. Returns its length, or 0 if it does not fit. Every answer
 * fits IWS__PMD_RESPONSE_SIZE (the longest, both flags and two two-digit
 * sizes, is 128 characters plus the NUL). */
#define IWS__PMD_RESPONSE_SIZE 160
size_t iws__pmd_response(const iws__pmd_params *p, char *out, size_t size);

/* ---- streams ---- */

/* iws__zstream (core.h: a z_stream and its settings) */


/* Compresses data[0..len) as one message (RFC 7692 7.2.1: the trailing
 * 00 00 ff ff removed). *stream: a connection's stream when context takeover
 * is on (created on first use, kept), NULL pointer = the thread's own stream,
 * reset first. `fresh`: reset a connection's stream first (a broadcast sent
 * it a frame made by another stream). Returns a malloc'ed buffer (caller
 * frees) with *out_len, or NULL on out of memory. */
uint8_t *iws__pmd_compress(iws__zstream **stream, int fresh,
                           const iws__pmd_deflate_cfg *cfg, const void *data,
                           size_t len, size_t *out_len);

#define IWS__PMD_OK 0
#define IWS__PMD_TOO_BIG 1  /* the inflated message passes the limit */
#define IWS__PMD_CORRUPT 2  /* not a valid deflate stream */
#define IWS__PMD_NOMEM 3

/* Inflates one compressed message (the 00 00 ff ff tail is added here).
 * *stream: a connection's stream (context takeover), or NULL pointer = the
 * thread's own, reset first. window_bits: the client's window (9..15).
 * Stops as soon as more than `limit` bytes would come out. On IWS__PMD_OK
 * *out (malloc'ed, caller frees; non-NULL even when empty) and *out_len. */
int iws__pmd_inflate(iws__zstream **stream, int window_bits, const void *data,
                     size_t len, uint64_t limit, uint8_t **out,
                     size_t *out_len);

/* Frees a connection's stream (NULL is fine). */
void iws__pmd_stream_free(iws__zstream *stream);

#endif /* IWS_DEFLATE_H */
