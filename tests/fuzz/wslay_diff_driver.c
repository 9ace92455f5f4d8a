/* One run of a wslay server context over fuzz input, recorded as a list of
 * event hashes. Compiled twice by tests/fuzz/run.sh: once as
 * iwsdiff_run_patched against the in-tree wslay (dll/third_party/wslay),
 * once as iwsdiff_run_pristine against the same upstream commit with the
 * local patches reverse-applied (its wslay_* symbols renamed, so both live
 * in one program). fuzz_wslay_diff.c requires the two records to be equal.
 *
 * Input: byte 0 = configuration (bit 0 no_buffering, bit 1 RSV1 allowed,
 * bits 2-3 max_recv_msg_length: default / 64 / 1000 / 70000, bit 4: one
 * read a round, see below), byte 1 = the
 * size of each read (1..256), the rest = the bytes a client sends.
 *
 * Recorded: every frame start (fin, rsv, opcode, payload length); the
 * payload of a frame as one hash and length at its end (so a patch may
 * change how a frame is cut into chunks, never what it carries); every
 * message (opcode, rsv, length, bytes, status code); the return values of
 * wslay_event_recv/send; every byte wslay sends back (pongs, closes); the
 * close state at the end.
 *
 * Rounds: without bit 4, a round is one wslay_event_recv (reading until
 * the input ends or wslay returns) and one wslay_event_send. With bit 4, a
 * round is one read: the patched run hands it to wslay_event_recv_buffer
 * (patch 6) in a buffer of its own, freed after the call; the pristine
 * run, which has no such function, gives the same bytes to
 * wslay_event_recv through recv_callback, calling it until they are taken
 * (it also returns when a read ends inside a frame header); then one
 * wslay_event_send. Both sides so send at the same points of the input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <wslay/wslay.h>

#include "wslay_diff.h"

#ifndef IWSDIFF_RUN
#error "compile with -DIWSDIFF_RUN=iwsdiff_run_patched or iwsdiff_run_pristine"
#endif

struct run {
  const uint8_t *in;
  size_t left;
  size_t read_size;
  struct iwsdiff_log *log;
  uint64_t frame_hash; /* payload of the current frame so far */
  uint64_t frame_len;
  int piece_mode;    /* bit 4: recv_cb serves only piece_left bytes */
  size_t piece_left;
};

static uint64_t fnv(uint64_t h, const void *p, size_t n) {
  const uint8_t *b = p;
  for (size_t i = 0; i < n; i++) {
    h ^= b[i];
    h *= 1099511628211ull;
  }
  return h;
}

static void emit(struct run *r, uint32_t kind, const void *p, size_t n,
                 uint64_t a, uint64_t b) {
  struct iwsdiff_log *l = r->log;
  uint64_t h = 14695981039346656037ull;
  h = fnv(h, &kind, sizeof kind);
  h = fnv(h, &a, sizeof a);
  h = fnv(h, &b, sizeof b);
  if (n)
    h = fnv(h, p, n);
  if (l->count < IWSDIFF_MAX_EVENTS) {
    l->kind[l->count] = kind;
    l->hash[l->count] = h;
  }
  l->count++;
  l->all = fnv(l->all, &h, sizeof h);
}

static ssize_t recv_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len,
                       int flags, void *user) {
  struct run *r = user;
  (void)flags;
  if (r->left == 0) {
    wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
    return -1;
  }
  size_t n = len < r->read_size ? len : r->read_size;
  if (n > r->left)
    n = r->left;
  if (r->piece_mode) {
    if (r->piece_left == 0) {
      wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
      return -1;
    }
    if (n > r->piece_left)
      n = r->piece_left;
    r->piece_left -= n;
  }
  memcpy(buf, r->in, n);
  r->in += n;
  r->left -= n;
  return (ssize_t)n;
}

static ssize_t send_cb(wslay_event_context_ptr ctx, const uint8_t *data,
                       size_t len, int flags, void *user) {
  (void)ctx;
  (void)flags;
  emit(user, IWSDIFF_EV_SENT, data, len, len, 0);
  return (ssize_t)len;
}

static int genmask_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len,
                      void *user) {
  (void)ctx;
  (void)user;
  memset(buf, 0, len);
  return 0;
}

static void frame_end_record(struct run *r) {
  emit(r, IWSDIFF_EV_FRAME_PAYLOAD, NULL, 0, r->frame_hash, r->frame_len);
  r->frame_hash = 14695981039346656037ull;
  r->frame_len = 0;
}

static void start_cb(wslay_event_context_ptr ctx,
                     const struct wslay_event_on_frame_recv_start_arg *arg,
                     void *user) {
  (void)ctx;
  emit(user, IWSDIFF_EV_FRAME_START, NULL, 0,
       ((uint64_t)arg->fin << 16) | ((uint64_t)arg->rsv << 8) | arg->opcode,
       arg->payload_length);
}

static void chunk_cb(wslay_event_context_ptr ctx,
                     const struct wslay_event_on_frame_recv_chunk_arg *arg,
                     void *user) {
  struct run *r = user;
  (void)ctx;
  r->frame_hash = fnv(r->frame_hash, arg->data, arg->data_length);
  r->frame_len += arg->data_length;
}

static void end_cb(wslay_event_context_ptr ctx, void *user) {
  (void)ctx;
  frame_end_record(user);
}

static void msg_cb(wslay_event_context_ptr ctx,
                   const struct wslay_event_on_msg_recv_arg *arg, void *user) {
  (void)ctx;
  emit(user, IWSDIFF_EV_MESSAGE, arg->msg, arg->msg_length,
       ((uint64_t)arg->rsv << 8) | arg->opcode,
       ((uint64_t)arg->status_code << 32) | (uint32_t)arg->msg_length);
}

/* One read of bit-4 mode: its bytes taken, or reading stopped. */
static int recv_piece(wslay_event_context_ptr ctx, struct run *r) {
  size_t n = r->left < r->read_size ? r->left : r->read_size;
  int rv;
#ifdef IWSDIFF_RECV_BUFFER
  uint8_t *piece = malloc(n);
  if (!piece)
    abort();
  memcpy(piece, r->in, n);
  r->in += n;
  r->left -= n;
  rv = wslay_event_recv_buffer(ctx, piece, n);
  free(piece); /* wslay must keep no pointer into it */
#else
  size_t before;
  r->piece_mode = 1;
  r->piece_left = n;
  do {
    before = r->piece_left;
    rv = wslay_event_recv(ctx);
  } while (rv == 0 && r->piece_left && r->piece_left != before &&
           wslay_event_get_read_enabled(ctx));
  /* what reading did not take is dropped, as wslay_event_recv_buffer
   * drops it */
  r->in += r->piece_left;
  r->left -= r->piece_left;
  r->piece_left = 0;
  r->piece_mode = 0;
#endif
  return rv;
}

void IWSDIFF_RUN(const uint8_t *data, size_t size, struct iwsdiff_log *log) {
  static const uint64_t max_len[4] = {0, 64, 1000, 70000};
  struct run r;
  struct wslay_event_callbacks cb = {recv_cb, send_cb, genmask_cb, start_cb,
                                     chunk_cb, end_cb, msg_cb};
  wslay_event_context_ptr ctx;

  memset(log, 0, sizeof *log);
  log->all = 14695981039346656037ull;
  if (size < 2)
    return;
  memset(&r, 0, sizeof r);
  r.in = data + 2;
  r.left = size - 2;
  r.read_size = (size_t)data[1] + 1;
  r.log = log;
  r.frame_hash = 14695981039346656037ull;
  if (wslay_event_context_server_init(&ctx, &cb, &r) != 0) {
    emit(&r, IWSDIFF_EV_INIT_FAILED, NULL, 0, 0, 0);
    return;
  }
  wslay_event_config_set_no_buffering(ctx, data[0] & 1);
  wslay_event_config_set_allowed_rsv_bits(
      ctx, (data[0] & 2) ? WSLAY_RSV1_BIT : WSLAY_RSV_NONE);
  if ((data[0] >> 2) & 3)
    wslay_event_config_set_max_recv_msg_length(ctx, max_len[(data[0] >> 2) & 3]);

  /* Bounded: every round reads at least one byte or stops. */
  for (int round = 0; round < 200000; round++) {
    size_t before = r.left;
    int rv = (data[0] & 16) ? recv_piece(ctx, &r) : wslay_event_recv(ctx);
    emit(&r, IWSDIFF_EV_RECV_RV, NULL, 0, (uint64_t)(int64_t)rv, 0);
    int sv = wslay_event_send(ctx);
    emit(&r, IWSDIFF_EV_SEND_RV, NULL, 0, (uint64_t)(int64_t)sv, 0);
    if (rv != 0 || sv != 0 || r.left == 0 || r.left == before ||
        !wslay_event_get_read_enabled(ctx))
      break;
  }
  emit(&r, IWSDIFF_EV_PARTIAL, NULL, 0, r.frame_hash, r.frame_len);
  emit(&r, IWSDIFF_EV_END, NULL, 0,
       ((uint64_t)wslay_event_get_close_received(ctx) << 1) |
           (uint64_t)wslay_event_get_close_sent(ctx),
       ((uint64_t)wslay_event_get_status_code_received(ctx) << 16) |
           wslay_event_get_status_code_sent(ctx));
  emit(&r, IWSDIFF_EV_QUEUED, NULL, 0, wslay_event_get_queued_msg_count(ctx),
       wslay_event_get_read_enabled(ctx));
  wslay_event_context_free(ctx);
}
