/* deflate.c - permessage-deflate (RFC 7692): negotiation and zlib streams. */
#include "deflate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "../platform/platform.h"

/* ------------------------------------------------------------------------ */
/* negotiation (pure)                                                        */
/* ------------------------------------------------------------------------ */

#define MAX_PARAMS 16

typedef struct span {
  const char *p;
  size_t n;
} span;

typedef struct param {
  span name, value;
  int has_value;
  int escaped; /* the quoted value had a backslash: never a valid number */
} param;

static int is_tchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
      (c >= '0' && c <= '9'))
    return 1;
  return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static const char *skip_ows(const char *s) {
  while (*s == ' ' || *s == '\t') s++;
  return s;
}

static int span_is(span s, const char *word) {
  size_t i, n = strlen(word);
  if (s.n != n) return 0;
  for (i = 0; i < n; i++) {
    char a = s.p[i], b = word[i];
    if (a >= 'A' && a <= 'Z') a = (char)(a - 'A' + 'a');
    if (a != b) return 0;
  }
  return 1;
}

static const char *token(const char *s, span *out) {
  out->p = s;
  while (is_tchar(*s)) s++;
  out->n = (size_t)(s - out->p);
  return s;
}

/* RFC 7692 7.1.2: "8".."15", decimal, no leading zero. -1 if not. */
static int window_bits(const param *pr) {
  int v = 0;
  size_t i;
  if (!pr->has_value || pr->escaped || pr->value.n == 0 || pr->value.n > 2)
    return -1;
  if (pr->value.p[0] == '0') return -1;
  for (i = 0; i < pr->value.n; i++) {
    char c = pr->value.p[i];
    if (c < '0' || c > '9') return -1;
    v = v * 10 + (c - '0');
  }
  return v >= 8 && v <= 15 ? v : -1;
}

/* One offer: fills *out and returns 1 if the server can accept it. */
static int evaluate(const param *ps, size_t n, int overflow,
                    const iws__pmd_config *cfg, iws__pmd_params *out) {
  int snct = 0, cnct = 0, smwb = 0, cmwb = 0, has_cmwb = 0;
  size_t i;
  if (overflow) return 0;
  for (i = 0; i < n; i++) {
    const param *pr = &ps[i];
    if (span_is(pr->name, "server_no_context_takeover")) {
      if (snct || pr->has_value) return 0;
      snct = 1;
    } else if (span_is(pr->name, "client_no_context_takeover")) {
      if (cnct || pr->has_value) return 0;
      cnct = 1;
    } else if (span_is(pr->name, "server_max_window_bits")) {
      if (smwb) return 0;
      smwb = window_bits(pr);
      if (smwb < 0) return 0;
    } else if (span_is(pr->name, "client_max_window_bits")) {
      if (has_cmwb) return 0;
      has_cmwb = 1;
      if (pr->has_value) {
        cmwb = window_bits(pr);
        if (cmwb < 0) return 0;
      } else {
        cmwb = 15;
      }
    } else {
      return 0; /* a parameter we do not know: decline this offer */
    }
  }
  /* zlib cannot compress with a 256-byte window (it makes 8 into 9). */
  if (smwb == 8) return 0;
  memset(out, 0, sizeof(*out));
  out->enabled = 1;
  out->server_bits = cfg->server_max_window_bits;
  if (smwb) {
    if ((uint32_t)smwb < out->server_bits) out->server_bits = (uint32_t)smwb;
    out->say_server_bits = 1;
  }
  out->server_no_context_takeover =
      snct || cfg->server_no_context_takeover ? 1u : 0u;
  out->client_no_context_takeover =
      cnct || cfg->client_no_context_takeover ? 1u : 0u;
  out->client_bits = 15;
  if (has_cmwb) {
    out->client_bits = (uint32_t)cmwb;
    if (cfg->client_max_window_bits < out->client_bits)
      out->client_bits = cfg->client_max_window_bits;
    out->say_client_bits = 1;
  }
  return 1;
}

/* Parses one header value; accepts the first acceptable offer unless one
 * was accepted already (*done). Returns 0 or 400. */
static int parse_value(const char *s, const iws__pmd_config *cfg,
                       iws__pmd_params *out, int *done) {
  for (;;) {
    span name;
    param ps[MAX_PARAMS];
    size_t n = 0;
    int overflow = 0;
    s = skip_ows(s);
    if (*s == ',') { /* empty list element (RFC 7230 7) */
      s++;
      continue;
    }
    if (*s == '\0') return 0;
    s = token(s, &name);
    if (name.n == 0) return 400;
    s = skip_ows(s);
    while (*s == ';') {
      param pr;
      memset(&pr, 0, sizeof(pr));
      s = skip_ows(s + 1);
      s = token(s, &pr.name);
      if (pr.name.n == 0) return 400;
      s = skip_ows(s);
      if (*s == '=') {
        pr.has_value = 1;
        s = skip_ows(s + 1);
        if (*s == '"') {
          s++;
          pr.value.p = s;
          while (*s && *s != '"') {
            if (*s == '\\') {
              pr.escaped = 1;
              s++;
              if (!*s) return 400;
            }
            s++;
          }
          if (*s != '"') return 400;
          pr.value.n = (size_t)(s - pr.value.p);
          s++;
        } else {
          s = token(s, &pr.value);
          if (pr.value.n == 0) return 400;
        }
        s = skip_ows(s);
      }
      if (n < MAX_PARAMS)
        ps[n++] = pr;
      else
        overflow = 1;
    }
    if (*s != ',' && *s != '\0') return 400;
    if (!*done && span_is(name, "permessage-deflate") &&
        evaluate(ps, n, overflow, cfg, out))
      *done = 1;
  }
}

int iws__pmd_negotiate(const char *const *values, size_t count,
                       const iws__pmd_config *cfg, iws__pmd_params *out) {
  size_t i;
  int done = 0;
  memset(out, 0, sizeof(*out));
  for (i = 0; i < count; i++) {
    iws__pmd_params got;
    int status;
    memset(&got, 0, sizeof(got));
    status = parse_value(values[i] ? values[i] : "", cfg,
                         done ? &got : out, &done);
    if (status) {
      memset(out, 0, sizeof(*out));
      return status;
    }
  }
  if (!done) memset(out, 0, sizeof(*out));
  return 0;
}

size_t iws__pmd_response(const iws__pmd_params *p, char *out, size_t size) {
  char sb[32] = "", cb[32] = "";
  int n;
  if (p->say_server_bits)
    snprintf(sb, sizeof(sb), "; server_max_window_bits=%u",
             (unsigned)p->server_bits);
  if (p->say_client_bits)
    snprintf(cb, sizeof(cb), "; client_max_window_bits=%u",
             (unsigned)p->client_bits);
  n = snprintf(out, size, "permessage-deflate%s%s%s%s",
               p->server_no_context_takeover ? "; server_no_context_takeover"
                                             : "",
               p->client_no_context_takeover ? "; client_no_context_takeover"
                                             : "",
               sb, cb);
  return (n > 0 && (size_t)n < size) ? (size_t)n : 0;
}

/* ------------------------------------------------------------------------ */
/* streams                                                                   */
/* ------------------------------------------------------------------------ */

struct iws__zstream {
  z_stream z;
  int inflater; /* 1 = inflate, 0 = deflate */
  int bits, mem_level, level;
};

void iws__pmd_stream_free(iws__zstream *zs) {
  if (!zs) return;
  if (zs->inflater)
    inflateEnd(&zs->z);
  else
    deflateEnd(&zs->z);
  free(zs);
}

static iws__zstream *deflater_new(const iws__pmd_deflate_cfg *cfg) {
  iws__zstream *zs = calloc(1, sizeof(*zs));
  if (!zs) return NULL;
  if (deflateInit2(&zs->z, cfg->level, Z_DEFLATED, -cfg->window_bits,
                   cfg->mem_level, Z_DEFAULT_STRATEGY) != Z_OK) {
    free(zs);
    return NULL;
  }
  zs->bits = cfg->window_bits;
  zs->mem_level = cfg->mem_level;
  zs->level = cfg->level;
  return zs;
}

static iws__zstream *inflater_new(int bits) {
  iws__zstream *zs = calloc(1, sizeof(*zs));
  if (!zs) return NULL;
  if (inflateInit2(&zs->z, -bits) != Z_OK) {
    free(zs);
    return NULL;
  }
  zs->inflater = 1;
  zs->bits = bits;
  return zs;
}

/* The thread's own streams, for directions without context takeover: one
 * deflater per window size (settings checked at each use) and one inflater
 * with the largest window (it reads any smaller one). */
typedef struct thread_streams {
  iws__zstream *def[16];
  iws__zstream *inf;
} thread_streams;

static iws__tlocal_key *volatile streams_key;

static void thread_streams_free(void *p) {
  thread_streams *t = p;
  int i;
  if (!t) return;
  for (i = 0; i < 16; i++) iws__pmd_stream_free(t->def[i]);
  iws__pmd_stream_free(t->inf);
  free(t);
}

static thread_streams *thread_streams_get(void) {
  iws__tlocal_key *key = iws__tlocal_key_once(&streams_key, thread_streams_free);
  thread_streams *t;
  if (!key) return NULL;
  t = iws__tlocal_get(key);
  if (!t) {
    t = calloc(1, sizeof(*t));
    if (!t) return NULL;
    iws__tlocal_set(key, t);
  }
  return t;
}

static const uint8_t TAIL[4] = {0x00, 0x00, 0xff, 0xff};

uint8_t *iws__pmd_compress(iws__zstream **stream, int fresh,
                           const iws__pmd_deflate_cfg *cfg, const void *data,
                           size_t len, size_t *out_len) {
  iws__zstream *zs, **slot = stream;
  uint8_t *out, *grown;
  size_t cap, total;
  int r;
  if (len == 0) {
    /* RFC 7692 7.2.3.6: an empty stored block, whatever the context (zlib
     * would give nothing for a second flush in a row). */
    out = malloc(1);
    if (out) *out = 0;
    *out_len = 1;
    return out;
  }
  if (!slot) {
    thread_streams *t = thread_streams_get();
    if (!t) return NULL;
    slot = &t->def[cfg->window_bits & 15];
    if (*slot && ((*slot)->mem_level != cfg->mem_level ||
                  (*slot)->level != cfg->level)) {
      iws__pmd_stream_free(*slot);
      *slot = NULL;
    }
    fresh = 1;
  }
  zs = *slot;
  if (!zs) {
    zs = *slot = deflater_new(cfg);
    if (!zs) return NULL;
  } else if (fresh && deflateReset(&zs->z) != Z_OK) {
    return NULL;
  }
  cap = (size_t)deflateBound(&zs->z, (uLong)len) + 64;
  if (len > (size_t)0x7fffffff || cap < len) return NULL;
  out = malloc(cap);
  if (!out) return NULL;
  zs->z.next_in = (Bytef *)data;
  zs->z.avail_in = (uInt)len;
  zs->z.next_out = out;
  zs->z.avail_out = (uInt)cap;
  for (;;) {
    r = deflate(&zs->z, Z_SYNC_FLUSH);
    if (r != Z_OK && r != Z_BUF_ERROR) break;
    if (zs->z.avail_out) break; /* flushed completely */
    total = cap;
    grown = realloc(out, cap * 2);
    if (!grown) {
      r = Z_MEM_ERROR;
      break;
    }
    out = grown;
    zs->z.next_out = out + total;
    zs->z.avail_out = (uInt)cap;
    cap *= 2;
  }
  total = cap - zs->z.avail_out;
  zs->z.next_in = NULL;
  zs->z.next_out = NULL;
  if ((r != Z_OK && r != Z_BUF_ERROR) || zs->z.avail_in || total < 4 ||
      memcmp(out + total - 4, TAIL, 4) != 0) {
    /* Never half a message: the next one starts from a fresh stream. */
    free(out);
    iws__pmd_stream_free(zs);
    *slot = NULL;
    return NULL;
  }
  *out_len = total - 4;
  return out;
}

int iws__pmd_inflate(iws__zstream **stream, int window_bits, const void *data,
                     size_t len, uint64_t limit, uint8_t **out,
                     size_t *out_len) {
  iws__zstream *zs, **slot = stream;
  uint8_t *buf;
  size_t cap, produced = 0;
  int seg, ended = 0;
  if (window_bits < 9) window_bits = 9; /* zlib's "8" deflates with 9 */
  if (!slot) {
    thread_streams *t = thread_streams_get();
    if (!t) return IWS__PMD_NOMEM;
    slot = &t->inf;
    window_bits = 15;
    if (*slot && inflateReset(&(*slot)->z) != Z_OK) {
      iws__pmd_stream_free(*slot);
      *slot = NULL;
    }
  }
  zs = *slot;
  if (!zs) {
    zs = *slot = inflater_new(window_bits);
    if (!zs) return IWS__PMD_NOMEM;
  }
  if (limit > (uint64_t)SIZE_MAX / 2) limit = (uint64_t)SIZE_MAX / 2;
  cap = len < 64 ? 256 : len * 4;
  if (cap > limit + 1) cap = (size_t)limit + 1;
  buf = malloc(cap);
  if (!buf) return IWS__PMD_NOMEM;
  zs->z.next_out = buf;
  zs->z.avail_out = (uInt)cap;
  for (seg = 0; seg < 2 && !ended; seg++) {
    const uint8_t *in = seg == 0 ? (const uint8_t *)data : TAIL;
    size_t in_len = seg == 0 ? len : 4;
    zs->z.next_in = (Bytef *)in;
    zs->z.avail_in = (uInt)in_len;
    while (zs->z.avail_in || !zs->z.avail_out) {
      int r;
      if (!zs->z.avail_out) {
        size_t ncap;
        uint8_t *grown;
        if (cap > limit) {
          free(buf);
          return IWS__PMD_TOO_BIG;
        }
        ncap = cap * 2 > limit + 1 ? (size_t)limit + 1 : cap * 2;
        grown = realloc(buf, ncap);
        if (!grown) {
          free(buf);
          return IWS__PMD_NOMEM;
        }
        buf = grown;
        zs->z.next_out = buf + cap;
        zs->z.avail_out = (uInt)(ncap - cap);
        cap = ncap;
      }
      r = inflate(&zs->z, Z_SYNC_FLUSH);
      produced = cap - zs->z.avail_out;
      if (produced > limit) {
        free(buf);
        return IWS__PMD_TOO_BIG;
      }
      if (r == Z_STREAM_END) {
        /* A final block (BFINAL): the message ends here; the next one
         * starts a new stream. */
        inflateReset(&zs->z);
        ended = 1;
        break;
      }
      if (r == Z_BUF_ERROR) {
        if (!zs->z.avail_out) continue; /* room first */
        break; /* needs more input */
      }
      if (r != Z_OK) {
        free(buf);
        zs->z.next_in = NULL;
        zs->z.next_out = NULL;
        return r == Z_MEM_ERROR ? IWS__PMD_NOMEM : IWS__PMD_CORRUPT;
      }
    }
  }
  zs->z.next_in = NULL;
  zs->z.next_out = NULL;
  zs->z.avail_in = 0;
  *out = buf;
  *out_len = produced;
  return IWS__PMD_OK;
}
