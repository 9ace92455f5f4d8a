/*
 * loadgen.c - WebSocket load generator for benchmarking iocpws (and other
 * WebSocket echo servers) over loopback.
 *
 * Single process, epoll, non-blocking sockets, optional worker threads. It
 * carries its own minimal client-side RFC 6455 framing: this is a test tool,
 * not the product. All client frames of a run use one mask key chosen at start
 * (cheap PRNG), so one pre-masked frame is built once and written repeatedly.
 *
 * Echo mode (default): every connection keeps --pipeline K messages in flight.
 * When an echo arrives (its length, and optionally its bytes, checked) the
 * round-trip latency is recorded in a log-linear histogram and the next
 * message is queued. After --warmup seconds, --seconds seconds are measured:
 *
 *   RESULT conns=.. size=.. pipeline=.. msgs=.. msg_per_s=.. p50_us=..
 *          p99_us=.. server_rss_kib=.. server_cpu_us_per_msg=..
 *          client_cpu_pct=..
 *
 * Fan-out mode (--fanout): open --conns connections, send nothing, count the
 * --size byte data messages the server pushes during the window:
 *   RESULT fanout conns=.. size=.. deliveries=.. deliveries_per_s=..
 *          server_cpu_us_per_delivery=.. client_cpu_pct=..
 *
 * Idle mode (--idle): open --conns connections, complete the handshakes, wait
 * --seconds, and report the server's resident memory growth. With
 * --idle-messages M every connection first exchanges M --size messages with
 * the server (one at a time, each echo awaited), then all go quiet: memory
 * that was grown for a message must have gone back by the end of the wait.
 *
 *   RESULT idle conns=.. server_rss_kib=.. rss_per_conn_kib=.. messages=M
 *
 * Any protocol violation by the server (bad frame, masked frame, wrong
 * opcode, wrong length, close frame or EOF before the end) is fatal: a message
 * goes to stderr and the exit status is 1. Usage errors exit with 2.
 *
 * TLS (--tls): wss:// with OpenSSL on the same non-blocking sockets
 * (certificate verification off: it measures the server, not the PKI).
 *
 * Build: gcc -O2 -std=c11 -Wall -Wextra -pthread loadgen.c -o loadgen -lssl -lcrypto
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

/* ------------------------------------------------------------------------ */
/* Options and global state                                                 */
/* ------------------------------------------------------------------------ */

static struct {
    const char *host;
    const char *port;
    const char *path;
    int conns;
    size_t size;
    double seconds;
    double warmup;
    int pipeline;
    int binary;
    int utf8; /* text that is mostly non-ASCII */
    int threads;
    long server_pid;
    int idle;
    int idle_messages;
    int fanout; /* receive only: count the server's broadcasts */
    int verify;
    long baseline_rss;
    int ramp; /* connects + handshakes in progress at once, per thread */
    double connect_timeout;
    int tls;
} opt = {
    .host = "127.0.0.1",
    .port = NULL,
    .path = "/",
    .conns = 100,
    .size = 20,
    .seconds = 10,
    .warmup = 1,
    .pipeline = 1,
    .binary = 0,
    .threads = 1,
    .server_pid = 0,
    .idle = 0,
    .verify = 0,
    .baseline_rss = -1,
    .ramp = 64,
    .connect_timeout = 60,
};

enum phase { PH_CONNECT = 0, PH_RUN, PH_MEASURE, PH_STOP };
static atomic_int g_phase = PH_CONNECT;
static atomic_int g_ready;   /* connections with a completed handshake */
static atomic_int g_echoed;  /* --idle-messages: echoes received so far */

static struct addrinfo *g_addr;
static SSL_CTX *g_tls; /* --tls */
static unsigned char g_mask[4];
static unsigned char *g_payload;   /* unmasked payload, for --verify */
static unsigned char *g_frame;     /* header + masked payload */
static size_t g_frame_len;
static char g_request[512];
static size_t g_request_len;

/* Sec-WebSocket-Key is fixed (RFC 6455 sample nonce); its accept value: */
#define WS_KEY "dGhlIHNhbXBsZSBub25jZQ=="
#define WS_ACCEPT "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="

#define RDBUF_SIZE (256 * 1024)
#define HS_BUF_SIZE 4096
#define MAX_IOV 64

static void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("loadgen: error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    fflush(stderr);
    _exit(1);
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void sleep_s(double s)
{
    if (s <= 0)
        return;
    struct timespec ts;
    ts.tv_sec = (time_t)s;
    ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* ------------------------------------------------------------------------ */
/* Latency histogram: log-linear, 64 linear sub-buckets per power of two     */
/* (relative error < 1.6%), values in nanoseconds.                          */
/* ------------------------------------------------------------------------ */

#define H_SUB_BITS 6
#define H_SUB (1u << H_SUB_BITS)
#define H_BUCKETS ((64 - H_SUB_BITS + 1) * H_SUB)

struct hist {
    uint64_t count[H_BUCKETS];
    uint64_t total;
};

static unsigned hist_index(uint64_t v)
{
    if (v < H_SUB)
        return (unsigned)v;
    unsigned e = 63u - (unsigned)__builtin_clzll(v); /* e >= H_SUB_BITS */
    unsigned sub = (unsigned)(v >> (e - H_SUB_BITS)) & (H_SUB - 1);
    return (e - H_SUB_BITS + 1) * H_SUB + sub;
}

/* Middle of the value range of bucket i. */
static double hist_value(unsigned i)
{
    if (i < H_SUB)
        return (double)i;
    unsigned e = i / H_SUB + H_SUB_BITS - 1;
    unsigned sub = i % H_SUB;
    double lo = (double)((uint64_t)(H_SUB + sub) << (e - H_SUB_BITS));
    double width = (double)(1ull << (e - H_SUB_BITS));
    return lo + width / 2;
}

static void hist_add(struct hist *h, uint64_t v)
{
    h->count[hist_index(v)]++;
    h->total++;
}

static double hist_percentile(const struct hist *h, double p)
{
    if (h->total == 0)
        return 0;
    uint64_t rank = (uint64_t)(p / 100.0 * (double)h->total + 0.5);
    if (rank < 1)
        rank = 1;
    if (rank > h->total)
        rank = h->total;
    uint64_t seen = 0;
    for (unsigned i = 0; i < H_BUCKETS; i++) {
        seen += h->count[i];
        if (seen >= rank)
            return hist_value(i);
    }
    return hist_value(H_BUCKETS - 1);
}

/* ------------------------------------------------------------------------ */
/* Connections                                                              */
/* ------------------------------------------------------------------------ */

enum cstate { CS_NEW = 0, CS_CONNECTING, CS_TLS, CS_HS_SEND, CS_HS_RECV, CS_OPEN };

struct conn {
    int fd;
    SSL *ssl;               /* --tls */
    int idx;
    enum cstate state;
    int want_out;           /* EPOLLOUT registered */

    /* handshake */
    char *hs;               /* response buffer while handshaking */
    size_t hs_len;
    size_t hs_sent;

    /* send side */
    int queued;             /* data frames queued but not fully written */
    size_t woff;            /* bytes of the first queued frame written */
    int inflight;           /* messages queued or sent, awaiting echo */
    int echoed;             /* --idle-messages: echoes received */
    uint64_t measured;      /* echoes completed while measuring */
    unsigned ts_head;       /* ring of queue timestamps, size pipeline */
    uint64_t *ts;
    unsigned char ctrl[2 + 4 + 125]; /* pending pong frame */
    size_t ctrl_len, ctrl_off;

    /* receive side: frame parser */
    unsigned char hdr[14];
    unsigned hdr_have;
    unsigned hdr_need;
    int in_frame;           /* header parsed, payload pending */
    int frame_op;
    int frame_fin;
    uint64_t frame_left;
    int in_msg;             /* inside a fragmented data message */
    int msg_op;
    uint64_t msg_len;
    unsigned char cbuf[125]; /* control frame payload */
    unsigned cbuf_len;
};

struct worker {
    pthread_t thread;
    int id;
    int epfd;
    struct conn *conns;
    int nconns;
    int next_connect;       /* next conn index to start */
    int pending;            /* connects/handshakes in progress */
    int ready;
    int queued_initial;     /* already kicked off sending for PH_RUN */
    uint64_t msgs;          /* echoes completed while measuring */
    struct hist hist;
    unsigned char *rdbuf;
};

static const char *cname(const struct conn *c)
{
    static _Thread_local char buf[32];
    snprintf(buf, sizeof buf, "conn %d", c->idx);
    return buf;
}

static void set_events(struct worker *w, struct conn *c, int out)
{
    if (c->want_out == out)
        return;
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    ev.events = EPOLLIN | (out ? EPOLLOUT : 0);
    ev.data.ptr = c;
    if (epoll_ctl(w->epfd, EPOLL_CTL_MOD, c->fd, &ev) != 0)
        die("%s: epoll_ctl MOD: %s", cname(c), strerror(errno));
    c->want_out = out;
}

/* read()/write() on the socket, or through TLS: the same results (EAGAIN
 * when OpenSSL wants the socket, 0 at the end). */
static ssize_t tls_result(struct conn *c, int r)
{
    int e = SSL_get_error(c->ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        errno = EAGAIN;
        return -1;
    }
    if (e == SSL_ERROR_ZERO_RETURN || (e == SSL_ERROR_SYSCALL && errno == 0))
        return 0;
    if (e == SSL_ERROR_SSL) {
        char buf[256];
        ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
        fprintf(stderr, "loadgen: %s: TLS: %s\n", cname(c), buf);
        errno = EPROTO;
    }
    return -1;
}

static ssize_t c_read(struct conn *c, void *buf, size_t n)
{
    if (!c->ssl)
        return read(c->fd, buf, n);
    ERR_clear_error();
    int r = SSL_read(c->ssl, buf, n > INT_MAX ? INT_MAX : (int)n);
    return r > 0 ? r : tls_result(c, r);
}

static ssize_t c_write(struct conn *c, const void *buf, size_t n)
{
    if (!c->ssl)
        return write(c->fd, buf, n);
    ERR_clear_error();
    int r = SSL_write(c->ssl, buf, n > INT_MAX ? INT_MAX : (int)n);
    return r > 0 ? r : tls_result(c, r);
}

/* writev through TLS: the frames are copied into one buffer (the same bytes
 * on a retry, as OpenSSL requires). */
static ssize_t c_writev(struct conn *c, const struct iovec *iov, int cnt)
{
    static _Thread_local unsigned char *buf;
    static _Thread_local size_t cap;
    size_t total = 0, off = 0;
    if (!c->ssl)
        return writev(c->fd, iov, cnt);
    for (int i = 0; i < cnt; i++)
        total += iov[i].iov_len;
    if (total > 256 * 1024)
        total = 256 * 1024;
    if (total > cap) {
        free(buf);
        buf = malloc(total);
        cap = buf ? total : 0;
        if (!buf)
            die("out of memory");
    }
    for (int i = 0; i < cnt && off < total; i++) {
        size_t n = iov[i].iov_len < total - off ? iov[i].iov_len : total - off;
        memcpy(buf + off, iov[i].iov_base, n);
        off += n;
    }
    return c_write(c, buf, total);
}

static void start_connect(struct worker *w, struct conn *c)
{
    int fd = socket(g_addr->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        die("socket: %s (open-file limit too low for %d connections?)",
            strerror(errno), opt.conns);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->fd = fd;
    c->state = CS_CONNECTING;
    w->pending++;
    if (connect(fd, g_addr->ai_addr, g_addr->ai_addrlen) != 0 && errno != EINPROGRESS)
        die("%s: connect: %s", cname(c), strerror(errno));
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    ev.events = EPOLLIN | EPOLLOUT;
    ev.data.ptr = c;
    if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev) != 0)
        die("%s: epoll_ctl ADD: %s", cname(c), strerror(errno));
    c->want_out = 1;
}

static void ramp_connects(struct worker *w)
{
    while (w->pending < opt.ramp && w->next_connect < w->nconns)
        start_connect(w, &w->conns[w->next_connect++]);
}

/* Queue one data message on an open connection. */
static void queue_msg(struct conn *c, uint64_t t)
{
    unsigned slot = (c->ts_head + (unsigned)c->inflight) % (unsigned)opt.pipeline;
    c->ts[slot] = t;
    c->inflight++;
    c->queued++;
}

/* Write whatever can be written; toggles EPOLLOUT as needed. */
static void flush_out(struct worker *w, struct conn *c)
{
    for (;;) {
        /* a pending pong goes out at a frame boundary */
        if (c->ctrl_len && c->woff == 0) {
            ssize_t n = c_write(c, c->ctrl + c->ctrl_off, c->ctrl_len - c->ctrl_off);
            if (n < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK)
                    break;
                if (errno == EINTR)
                    continue;
                if (atomic_load_explicit(&g_phase, memory_order_relaxed) == PH_STOP)
                    return;
                die("%s: write: %s", cname(c), strerror(errno));
            }
            c->ctrl_off += (size_t)n;
            if (c->ctrl_off < c->ctrl_len)
                break;
            c->ctrl_len = c->ctrl_off = 0;
        }
        if (c->queued == 0) {
            set_events(w, c, 0);
            return;
        }
        struct iovec iov[MAX_IOV];
        int cnt = 0;
        size_t total = 0;
        iov[cnt].iov_base = g_frame + c->woff;
        iov[cnt].iov_len = g_frame_len - c->woff;
        total += iov[cnt].iov_len;
        cnt++;
        while (cnt < c->queued && cnt < MAX_IOV && !c->ctrl_len) {
            iov[cnt].iov_base = g_frame;
            iov[cnt].iov_len = g_frame_len;
            total += g_frame_len;
            cnt++;
        }
        ssize_t n = c_writev(c, iov, cnt);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            if (errno == EINTR)
                continue;
            if (atomic_load_explicit(&g_phase, memory_order_relaxed) == PH_STOP)
                return;
            die("%s: write: %s", cname(c), strerror(errno));
        }
        size_t left = (size_t)n;
        size_t first = g_frame_len - c->woff;
        if (left >= first) {
            left -= first;
            c->queued--;
            c->woff = 0;
            size_t whole = left / g_frame_len;
            c->queued -= (int)whole;
            c->woff = left % g_frame_len;
        } else {
            c->woff += left;
        }
        if ((size_t)n < total)
            break;
    }
    set_events(w, c, 1);
}

static void on_echo(struct worker *w, struct conn *c)
{
    if (opt.fanout) { /* a delivery: nothing was sent, nothing to time */
        if (atomic_load_explicit(&g_phase, memory_order_relaxed) == PH_MEASURE)
            w->msgs++;
        return;
    }
    if (c->inflight <= 0)
        die("%s: received an unsolicited data message", cname(c));
    uint64_t t = now_ns();
    uint64_t sent = c->ts[c->ts_head];
    c->ts_head = (c->ts_head + 1) % (unsigned)opt.pipeline;
    c->inflight--;
    if (opt.idle) { /* --idle-messages: one at a time, then quiet */
        atomic_fetch_add(&g_echoed, 1);
        if (++c->echoed < opt.idle_messages)
            queue_msg(c, t);
        return;
    }
    int ph = atomic_load_explicit(&g_phase, memory_order_relaxed);
    if (ph == PH_MEASURE) {
        w->msgs++;
        c->measured++;
        hist_add(&w->hist, t - sent);
    }
    if (ph == PH_RUN || ph == PH_MEASURE)
        queue_msg(c, t);
}

static void on_control(struct worker *w, struct conn *c)
{
    int ph = atomic_load_explicit(&g_phase, memory_order_relaxed);
    switch (c->frame_op) {
    case 0x8: {
        if (ph == PH_STOP)
            return;
        unsigned code = c->cbuf_len >= 2 ? (unsigned)c->cbuf[0] << 8 | c->cbuf[1] : 0;
        die("%s: server sent a close frame (code %u%s%.*s) before the end of the run",
            cname(c), code, c->cbuf_len > 2 ? ", reason: " : "",
            c->cbuf_len > 2 ? (int)c->cbuf_len - 2 : 0, (const char *)c->cbuf + 2);
    }
    case 0x9: /* ping: answer with a pong carrying the same payload */
        if (c->ctrl_len) /* an older pong still pending: only the latest counts */
            return;
        c->ctrl[0] = 0x80 | 0xA;
        c->ctrl[1] = 0x80 | (unsigned char)c->cbuf_len;
        memcpy(c->ctrl + 2, g_mask, 4);
        for (unsigned i = 0; i < c->cbuf_len; i++)
            c->ctrl[6 + i] = c->cbuf[i] ^ g_mask[i & 3];
        c->ctrl_len = 6 + c->cbuf_len;
        c->ctrl_off = 0;
        set_events(w, c, 1);
        return;
    default: /* pong: ignore */
        return;
    }
}

/* Frame parser for server-to-client frames. */
static void parse(struct worker *w, struct conn *c, const unsigned char *p, size_t n)
{
    while (n > 0 || (c->in_frame && c->frame_left == 0)) {
        if (!c->in_frame) {
            if (c->hdr_need == 0)
                c->hdr_need = 2;
            size_t take = c->hdr_need - c->hdr_have;
            if (take > n)
                take = n;
            memcpy(c->hdr + c->hdr_have, p, take);
            c->hdr_have += (unsigned)take;
            p += take;
            n -= take;
            if (c->hdr_have < c->hdr_need)
                return;
            if (c->hdr_need == 2) {
                unsigned char b0 = c->hdr[0], b1 = c->hdr[1];
                if (b0 & 0x70)
                    die("%s: bad frame: RSV bits set (0x%02x)", cname(c), b0);
                if (b1 & 0x80)
                    die("%s: bad frame: server frame is masked", cname(c));
                unsigned l7 = b1 & 0x7f;
                c->hdr_need = 2 + (l7 == 126 ? 2 : l7 == 127 ? 8 : 0);
                if (c->hdr_need > 2)
                    continue;
            }
            /* full header */
            unsigned char b0 = c->hdr[0];
            unsigned l7 = c->hdr[1] & 0x7f;
            uint64_t len = l7;
            if (l7 == 126) {
                len = (uint64_t)c->hdr[2] << 8 | c->hdr[3];
                if (len < 126)
                    die("%s: bad frame: non-minimal 16-bit length %llu", cname(c),
                        (unsigned long long)len);
            } else if (l7 == 127) {
                len = 0;
                for (int i = 0; i < 8; i++)
                    len = len << 8 | c->hdr[2 + i];
                if (len >> 63)
                    die("%s: bad frame: 64-bit length with the top bit set", cname(c));
                if (len < 65536)
                    die("%s: bad frame: non-minimal 64-bit length %llu", cname(c),
                        (unsigned long long)len);
            }
            c->hdr_have = 0;
            c->hdr_need = 0;
            c->frame_op = b0 & 0x0f;
            c->frame_fin = (b0 & 0x80) != 0;
            c->frame_left = len;
            c->in_frame = 1;
            switch (c->frame_op) {
            case 0x0:
                if (!c->in_msg)
                    die("%s: bad frame: continuation without a started message", cname(c));
                break;
            case 0x1:
            case 0x2:
                if (c->in_msg)
                    die("%s: bad frame: new data frame inside a fragmented message",
                        cname(c));
                if (c->frame_op != (opt.binary ? 0x2 : 0x1))
                    die("%s: wrong opcode: sent %s, echo is %s", cname(c),
                        opt.binary ? "binary" : "text",
                        c->frame_op == 0x2 ? "binary" : "text");
                c->in_msg = 1;
                c->msg_op = c->frame_op;
                c->msg_len = 0;
                break;
            case 0x8:
            case 0x9:
            case 0xA:
                if (!c->frame_fin)
                    die("%s: bad frame: fragmented control frame", cname(c));
                if (len > 125)
                    die("%s: bad frame: control frame payload %llu > 125", cname(c),
                        (unsigned long long)len);
                c->cbuf_len = 0;
                break;
            default:
                die("%s: bad frame: reserved opcode 0x%x", cname(c), c->frame_op);
            }
            continue;
        }
        /* payload */
        size_t take = c->frame_left < n ? (size_t)c->frame_left : n;
        if (c->frame_op >= 0x8) {
            memcpy(c->cbuf + c->cbuf_len, p, take);
            c->cbuf_len += (unsigned)take;
        } else {
            if (c->msg_len + take > opt.size)
                die("%s: wrong length: echo is longer than the %zu bytes sent", cname(c),
                    opt.size);
            if (opt.verify && take && memcmp(p, g_payload + c->msg_len, take) != 0)
                die("%s: echo payload differs from what was sent (near offset %llu)",
                    cname(c), (unsigned long long)c->msg_len);
            c->msg_len += take;
        }
        c->frame_left -= take;
        p += take;
        n -= take;
        if (c->frame_left > 0)
            return;
        /* frame complete */
        c->in_frame = 0;
        if (c->frame_op >= 0x8) {
            on_control(w, c);
        } else if (c->frame_fin) {
            c->in_msg = 0;
            if (c->msg_len != opt.size)
                die("%s: wrong length: echo is %llu bytes, sent %zu", cname(c),
                    (unsigned long long)c->msg_len, opt.size);
            on_echo(w, c);
        }
    }
}

static void conn_ready(struct worker *w, struct conn *c)
{
    c->state = CS_OPEN;
    free(c->hs);
    c->hs = NULL;
    w->pending--;
    w->ready++;
    atomic_fetch_add(&g_ready, 1);
    set_events(w, c, 0);
    ramp_connects(w);
}

static void check_handshake(struct worker *w, struct conn *c)
{
    char *end = memmem(c->hs, c->hs_len, "\r\n\r\n", 4);
    if (!end) {
        if (c->hs_len >= HS_BUF_SIZE - 1)
            die("%s: handshake response headers longer than %d bytes", cname(c),
                HS_BUF_SIZE);
        return;
    }
    size_t hlen = (size_t)(end - c->hs) + 4;
    *end = '\0';
    if (strncmp(c->hs, "HTTP/1.1 101", 12) != 0) {
        char *eol = strstr(c->hs, "\r\n");
        if (eol)
            *eol = '\0';
        die("%s: handshake refused: \"%s\" (expected HTTP/1.1 101)", cname(c), c->hs);
    }
    /* find Sec-WebSocket-Accept */
    int ok = 0;
    for (char *line = strstr(c->hs, "\r\n"); line; line = strstr(line, "\r\n")) {
        line += 2;
        if (strncasecmp(line, "Sec-WebSocket-Accept:", 21) == 0) {
            char *v = line + 21;
            while (*v == ' ' || *v == '\t')
                v++;
            size_t vl = strcspn(v, "\r\n");
            while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
                vl--;
            if (vl == strlen(WS_ACCEPT) && memcmp(v, WS_ACCEPT, vl) == 0)
                ok = 1;
            else
                die("%s: handshake: wrong Sec-WebSocket-Accept \"%.*s\"", cname(c),
                    (int)vl, v);
        }
    }
    if (!ok)
        die("%s: handshake: no Sec-WebSocket-Accept header", cname(c));
    size_t extra = c->hs_len - hlen;
    unsigned char tail[HS_BUF_SIZE];
    memcpy(tail, c->hs + hlen, extra);
    conn_ready(w, c);
    if (extra)
        parse(w, c, tail, extra);
}

static void handle_event(struct worker *w, struct conn *c, uint32_t ev)
{
    int ph = atomic_load_explicit(&g_phase, memory_order_relaxed);
    if (c->state == CS_CONNECTING) {
        if (!(ev & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
            return;
        int err = 0;
        socklen_t el = sizeof err;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el);
        if (err)
            die("%s: connect to %s port %s: %s", cname(c), opt.host, opt.port,
                strerror(err));
        c->state = CS_HS_SEND;
        if (g_tls) {
            c->ssl = SSL_new(g_tls);
            if (!c->ssl || !SSL_set_fd(c->ssl, c->fd))
                die("%s: SSL_new failed", cname(c));
            SSL_set_tlsext_host_name(c->ssl, opt.host);
            c->state = CS_TLS;
        }
        c->hs = malloc(HS_BUF_SIZE);
        if (!c->hs)
            die("out of memory");
        c->hs_len = c->hs_sent = 0;
    }
    if (c->state == CS_TLS) {
        ERR_clear_error();
        int r = SSL_connect(c->ssl);
        if (r != 1) {
            int e = SSL_get_error(c->ssl, r);
            if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
                set_events(w, c, e == SSL_ERROR_WANT_WRITE);
                return;
            }
            char buf[256];
            ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
            die("%s: TLS handshake: %s", cname(c), buf);
        }
        c->state = CS_HS_SEND;
        set_events(w, c, 1);
    }
    if (c->state == CS_HS_SEND) {
        while (c->hs_sent < g_request_len) {
            ssize_t n = c_write(c, g_request + c->hs_sent, g_request_len - c->hs_sent);
            if (n < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK)
                    return;
                if (errno == EINTR)
                    continue;
                die("%s: write handshake: %s", cname(c), strerror(errno));
            }
            c->hs_sent += (size_t)n;
        }
        c->state = CS_HS_RECV;
        set_events(w, c, 0);
        return;
    }
    if (c->state == CS_HS_RECV) {
        if (!(ev & (EPOLLIN | EPOLLERR | EPOLLHUP)))
            return;
        ssize_t n = c_read(c, c->hs + c->hs_len, HS_BUF_SIZE - 1 - c->hs_len);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
                return;
            die("%s: read handshake: %s", cname(c), strerror(errno));
        }
        if (n == 0)
            die("%s: server closed the connection during the handshake", cname(c));
        c->hs_len += (size_t)n;
        check_handshake(w, c);
        return;
    }
    /* open */
    /* TLS may hold decrypted bytes the socket no longer signals. */
    while ((ev & (EPOLLIN | EPOLLERR | EPOLLHUP)) || (c->ssl && SSL_pending(c->ssl) > 0)) {
        ev &= ~(uint32_t)(EPOLLIN | EPOLLERR | EPOLLHUP);
        ssize_t n = c_read(c, w->rdbuf, RDBUF_SIZE);
        if (n < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                if (ph == PH_STOP)
                    return;
                die("%s: read: %s", cname(c), strerror(errno));
            }
            break;
        } else if (n == 0) {
            if (ph == PH_STOP)
                return;
            die("%s: server closed the connection (EOF) before the end of the run",
                cname(c));
        } else {
            parse(w, c, w->rdbuf, (size_t)n);
        }
    }
    if (c->queued || c->ctrl_len)
        flush_out(w, c);
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct epoll_event evs[256];
    ramp_connects(w);
    for (;;) {
        int ph = atomic_load_explicit(&g_phase, memory_order_acquire);
        if (ph == PH_STOP)
            break;
        if ((ph == PH_RUN || ph == PH_MEASURE) && !w->queued_initial) {
            w->queued_initial = 1;
            if ((!opt.idle || opt.idle_messages) && !opt.fanout) {
                uint64_t t = now_ns();
                for (int i = 0; i < w->nconns; i++) {
                    struct conn *c = &w->conns[i];
                    for (int k = 0; k < (opt.idle ? 1 : opt.pipeline); k++)
                        queue_msg(c, t);
                    flush_out(w, c);
                }
            }
        }
        int n = epoll_wait(w->epfd, evs, 256, 5);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            die("epoll_wait: %s", strerror(errno));
        }
        for (int i = 0; i < n; i++)
            handle_event(w, evs[i].data.ptr, evs[i].events);
    }
    return NULL;
}

/* ------------------------------------------------------------------------ */
/* Server statistics from /proc                                             */
/* ------------------------------------------------------------------------ */

static long read_rss_kib(long pid)
{
    if (pid <= 0)
        return -1;
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/status", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char line[256];
    long kib = -1;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "VmRSS:", 6) == 0) {
            kib = strtol(line + 6, NULL, 10);
            break;
        }
    }
    fclose(f);
    return kib;
}

/* utime + stime of the whole process, in clock ticks; -1 if unavailable. */
static long long read_cpu_ticks(long pid)
{
    if (pid <= 0)
        return -1;
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char buf[1024];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')'); /* comm may contain spaces */
    if (!p)
        return -1;
    p++;
    while (*p == ' ')
        p++;
    if (*p == 'Z' || *p == 'X') /* exited (zombie or dead) */
        return -1;
    /* after ")": state(3) ppid(4) ... utime(14) stime(15) */
    unsigned long long ut = 0, st = 0;
    int field = 2;
    char *save = NULL;
    for (char *tok = strtok_r(p, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
        field++;
        if (field == 14)
            ut = strtoull(tok, NULL, 10);
        else if (field == 15) {
            st = strtoull(tok, NULL, 10);
            return (long long)(ut + st);
        }
    }
    return -1;
}

static double self_cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* ------------------------------------------------------------------------ */
/* Setup                                                                    */
/* ------------------------------------------------------------------------ */

static void usage(FILE *f)
{
    fprintf(f,
        "usage: loadgen --port N [options]\n"
        "  --host H          server address (default 127.0.0.1; loopback only)\n"
        "  --port N          server port (required)\n"
        "  --path P          request path (default /)\n"
        "  --conns N         connections (default 100)\n"
        "  --size BYTES      message payload size (default 20; suffix k/m allowed)\n"
        "  --seconds S       measuring window, or idle wait with --idle (default 10)\n"
        "  --warmup S        seconds of load before measuring (default 1)\n"
        "  --pipeline K      messages in flight per connection (default 1 = closed loop)\n"
        "  --binary          send binary messages (default text)\n"
        "  --utf8            text that is mostly non-ASCII UTF-8 (Cyrillic and CJK,\n"
        "                    1 byte in 25 ASCII; default: ASCII letters)\n"
        "  --threads T       worker threads, connections split among them (default 1)\n"
        "  --server-pid PID  server process, for RSS and CPU from /proc\n"
        "  --idle            only connect, handshake, wait, and report server RSS\n"
        "  --idle-messages M with --idle: each connection first exchanges M messages\n"
        "                    of --size (one at a time), then all wait (default 0)\n"
        "  --fanout          send nothing; count the server's --size messages\n"
        "                    (deliveries) in the window (a broadcasting server)\n"
        "  --baseline-rss K  server RSS (KiB) before connecting, for --idle\n"
        "                    (default: read from /proc when loadgen starts)\n"
        "  --verify          compare echoed bytes, not only lengths\n"
        "  --ramp N          connects/handshakes in progress per thread (default 64)\n"
        "  --connect-timeout S  give up if not all connected by then (default 60)\n"
        "  --tls             wss:// (OpenSSL; the server's certificate is not checked)\n");
}

static size_t parse_size(const char *s)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s)
        goto bad;
    if (*end == 'k' || *end == 'K')
        v *= 1024, end++;
    else if (*end == 'm' || *end == 'M')
        v *= 1024 * 1024, end++;
    if (*end == 'i' || *end == 'I')
        end++;
    if (*end == 'b' || *end == 'B')
        end++;
    if (*end)
        goto bad;
    return (size_t)v;
bad:
    fprintf(stderr, "loadgen: bad size \"%s\"\n", s);
    exit(2);
}

static long parse_long(const char *s, const char *what, long lo, long hi)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) {
        fprintf(stderr, "loadgen: bad %s \"%s\" (%ld..%ld)\n", what, s, lo, hi);
        exit(2);
    }
    return v;
}

static double parse_double(const char *s, const char *what)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || v < 0) {
        fprintf(stderr, "loadgen: bad %s \"%s\"\n", what, s);
        exit(2);
    }
    return v;
}

static void parse_args(int argc, char **argv)
{
    enum { OPT_HOST = 1, OPT_PORT, OPT_PATH, OPT_CONNS, OPT_SIZE, OPT_SECONDS, OPT_WARMUP, OPT_PIPE,
           OPT_BINARY, OPT_THREADS, OPT_PID, OPT_IDLE, OPT_IDLE_MSGS, OPT_BASE, OPT_VERIFY, OPT_RAMP, OPT_CTIMEOUT,
           OPT_TLS, OPT_FANOUT, OPT_UTF8, OPT_HELP };
    static const struct option lo[] = {
        {"host", required_argument, 0, OPT_HOST},
        {"port", required_argument, 0, OPT_PORT},
        {"path", required_argument, 0, OPT_PATH},
        {"conns", required_argument, 0, OPT_CONNS},
        {"size", required_argument, 0, OPT_SIZE},
        {"seconds", required_argument, 0, OPT_SECONDS},
        {"warmup", required_argument, 0, OPT_WARMUP},
        {"pipeline", required_argument, 0, OPT_PIPE},
        {"binary", no_argument, 0, OPT_BINARY},
        {"utf8", no_argument, 0, OPT_UTF8},
        {"threads", required_argument, 0, OPT_THREADS},
        {"server-pid", required_argument, 0, OPT_PID},
        {"idle", no_argument, 0, OPT_IDLE},
        {"idle-messages", required_argument, 0, OPT_IDLE_MSGS},
        {"baseline-rss", required_argument, 0, OPT_BASE},
        {"verify", no_argument, 0, OPT_VERIFY},
        {"ramp", required_argument, 0, OPT_RAMP},
        {"connect-timeout", required_argument, 0, OPT_CTIMEOUT},
        {"tls", no_argument, 0, OPT_TLS},
        {"fanout", no_argument, 0, OPT_FANOUT},
        {"help", no_argument, 0, OPT_HELP},
        {0, 0, 0, 0},
    };
    int ch;
    while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (ch) {
        case OPT_HOST: opt.host = optarg; break;
        case OPT_PORT: parse_long(optarg, "port", 1, 65535); opt.port = optarg; break;
        case OPT_PATH: opt.path = optarg; break;
        case OPT_CONNS: opt.conns = (int)parse_long(optarg, "conns", 1, 1000000); break;
        case OPT_SIZE: opt.size = parse_size(optarg); break;
        case OPT_SECONDS: opt.seconds = parse_double(optarg, "seconds"); break;
        case OPT_WARMUP: opt.warmup = parse_double(optarg, "warmup"); break;
        case OPT_PIPE: opt.pipeline = (int)parse_long(optarg, "pipeline", 1, 65536); break;
        case OPT_BINARY: opt.binary = 1; break;
        case OPT_UTF8: opt.utf8 = 1; break;
        case OPT_THREADS: opt.threads = (int)parse_long(optarg, "threads", 1, 256); break;
        case OPT_PID: opt.server_pid = parse_long(optarg, "server pid", 1, LONG_MAX); break;
        case OPT_IDLE: opt.idle = 1; break;
        case OPT_IDLE_MSGS: opt.idle_messages = (int)parse_long(optarg, "idle messages", 0, 1000000); break;
        case OPT_BASE: opt.baseline_rss = parse_long(optarg, "baseline rss", 0, LONG_MAX); break;
        case OPT_VERIFY: opt.verify = 1; break;
        case OPT_TLS: opt.tls = 1; break;
        case OPT_FANOUT: opt.fanout = 1; break;
        case OPT_RAMP: opt.ramp = (int)parse_long(optarg, "ramp", 1, 100000); break;
        case OPT_CTIMEOUT: opt.connect_timeout = parse_double(optarg, "connect timeout"); break;
        case OPT_HELP: usage(stdout); exit(0);
        default: usage(stderr); exit(2);
        }
    }
    if (optind < argc || !opt.port) {
        usage(stderr);
        exit(2);
    }
    if (opt.size > ((size_t)1 << 30)) {
        fprintf(stderr, "loadgen: --size above 1 GiB is not supported\n");
        exit(2);
    }
    if (opt.threads > opt.conns)
        opt.threads = opt.conns;
}

static void resolve(void)
{
    struct addrinfo hints;
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    int rc = getaddrinfo(opt.host, opt.port, &hints, &g_addr);
    if (rc != 0)
        die("resolve %s: %s", opt.host, gai_strerror(rc));
    /* loopback only: this tool is not meant to load anything else */
    int loop = 0;
    if (g_addr->ai_family == AF_INET) {
        const struct sockaddr_in *a = (const void *)g_addr->ai_addr;
        loop = (ntohl(a->sin_addr.s_addr) >> 24) == 127;
    } else if (g_addr->ai_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const void *)g_addr->ai_addr;
        loop = IN6_IS_ADDR_LOOPBACK(&a->sin6_addr);
    }
    if (!loop)
        die("%s is not a loopback address; loadgen only targets 127.0.0.0/8 or ::1",
            opt.host);
}

static void build_frames(void)
{
    /* cheap PRNG (xorshift) seeded from the clock for the mask key */
    uint64_t x = now_ns() ^ ((uint64_t)getpid() << 32) ^ 0x9E3779B97F4A7C15ull;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    memcpy(g_mask, &x, 4);

    g_payload = malloc(opt.size ? opt.size : 1);
    if (!g_payload)
        die("out of memory");
    for (size_t i = 0; i < opt.size; i++)
        g_payload[i] = opt.binary ? (unsigned char)(i * 31 + 7) : (unsigned char)('a' + i % 26);
    if (opt.utf8 && !opt.binary) {
        /* whole units of 9 Cyrillic letters (2 bytes), 2 CJK characters
         * (3 bytes) and a space, then spaces up to the size */
        static const char unit[] = "\xd0\xbf\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82"
                                   "\xd0\xbc\xd0\xb8\xd1\x80\xe4\xb8\x96\xe7\x95\x8c ";
        size_t u = sizeof(unit) - 1, i = 0;
        for (; i + u <= opt.size; i += u)
            memcpy(g_payload + i, unit, u);
        memset(g_payload + i, ' ', opt.size - i);
    }

    size_t hl = 2 + (opt.size < 126 ? 0 : opt.size < 65536 ? 2 : 8) + 4;
    g_frame_len = hl + opt.size;
    g_frame = malloc(g_frame_len);
    if (!g_frame)
        die("out of memory");
    unsigned char *h = g_frame;
    h[0] = 0x80 | (opt.binary ? 0x2 : 0x1);
    if (opt.size < 126) {
        h[1] = 0x80 | (unsigned char)opt.size;
        h += 2;
    } else if (opt.size < 65536) {
        h[1] = 0x80 | 126;
        h[2] = (unsigned char)(opt.size >> 8);
        h[3] = (unsigned char)opt.size;
        h += 4;
    } else {
        h[1] = 0x80 | 127;
        for (int i = 0; i < 8; i++)
            h[2 + i] = (unsigned char)((uint64_t)opt.size >> (56 - 8 * i));
        h += 10;
    }
    memcpy(h, g_mask, 4);
    h += 4;
    for (size_t i = 0; i < opt.size; i++)
        h[i] = g_payload[i] ^ g_mask[i & 3];

    int hostv6 = strchr(opt.host, ':') != NULL;
    int n = snprintf(g_request, sizeof g_request,
                     "GET %s HTTP/1.1\r\n"
                     "Host: %s%s%s:%s\r\n"
                     "Upgrade: websocket\r\n"
                     "Connection: Upgrade\r\n"
                     "Sec-WebSocket-Key: " WS_KEY "\r\n"
                     "Sec-WebSocket-Version: 13\r\n"
                     "\r\n",
                     opt.path, hostv6 ? "[" : "", opt.host, hostv6 ? "]" : "", opt.port);
    if (n < 0 || (size_t)n >= sizeof g_request)
        die("request path too long");
    g_request_len = (size_t)n;
}

static void raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return;
    rlim_t need = (rlim_t)opt.conns + 64;
    if (rl.rlim_cur < need && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max < need ? rl.rlim_max : need;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    getrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur < need)
        die("open-file limit %llu is too low for %d connections (need about %llu)",
            (unsigned long long)rl.rlim_cur, opt.conns, (unsigned long long)need);
}

int main(int argc, char **argv)
{
    parse_args(argc, argv);
    signal(SIGPIPE, SIG_IGN);
    raise_nofile();
    resolve();
    build_frames();
    if (opt.tls) {
        g_tls = SSL_CTX_new(TLS_client_method());
        if (!g_tls)
            die("SSL_CTX_new failed");
        SSL_CTX_set_verify(g_tls, SSL_VERIFY_NONE, NULL);
        SSL_CTX_set_mode(g_tls, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    }

    long rss_before = opt.baseline_rss >= 0 ? opt.baseline_rss : read_rss_kib(opt.server_pid);
    if (opt.server_pid && read_cpu_ticks(opt.server_pid) < 0)
        die("cannot read /proc/%ld/stat (is --server-pid right?)", opt.server_pid);

    int T = opt.threads;
    struct worker *ws = calloc((size_t)T, sizeof *ws);
    struct conn *conns = calloc((size_t)opt.conns, sizeof *conns);
    uint64_t *ts = calloc((size_t)opt.conns * (size_t)opt.pipeline, sizeof *ts);
    if (!ws || !conns || !ts)
        die("out of memory");
    /* contiguous split: worker t gets conns [t*N/T, (t+1)*N/T) */
    for (int t = 0; t < T; t++) {
        struct worker *w = &ws[t];
        int lo = (int)((long long)opt.conns * t / T);
        int hi = (int)((long long)opt.conns * (t + 1) / T);
        w->id = t;
        w->conns = conns + lo;
        w->nconns = hi - lo;
        w->epfd = epoll_create1(EPOLL_CLOEXEC);
        w->rdbuf = malloc(RDBUF_SIZE);
        if (w->epfd < 0 || !w->rdbuf)
            die("epoll_create1/malloc: %s", strerror(errno));
        for (int i = lo; i < hi; i++) {
            conns[i].idx = i;
            conns[i].fd = -1;
            conns[i].ts = ts + (size_t)i * (size_t)opt.pipeline;
        }
    }

    uint64_t t_conn0 = now_ns();
    for (int t = 0; t < T; t++)
        if (pthread_create(&ws[t].thread, NULL, worker_main, &ws[t]) != 0)
            die("pthread_create failed");

    /* wait for every handshake */
    while (atomic_load(&g_ready) < opt.conns) {
        if ((double)(now_ns() - t_conn0) / 1e9 > opt.connect_timeout)
            die("only %d of %d connections completed the handshake within %.0f s",
                atomic_load(&g_ready), opt.conns, opt.connect_timeout);
        if (opt.server_pid && kill((pid_t)opt.server_pid, 0) != 0 && errno == ESRCH)
            die("server process %ld is gone", opt.server_pid);
        sleep_s(0.01);
    }
    double connect_s = (double)(now_ns() - t_conn0) / 1e9;
    fprintf(stderr, "loadgen: %d connections open in %.2f s\n", opt.conns, connect_s);

    if (opt.idle) {
        if (opt.idle_messages) {
            long long want = (long long)opt.conns * opt.idle_messages;
            uint64_t t_msg0 = now_ns();
            atomic_store(&g_phase, PH_RUN);
            while (atomic_load(&g_echoed) < want) {
                if ((double)(now_ns() - t_msg0) / 1e9 > opt.connect_timeout)
                    die("only %d of %lld echoes came back within %.0f s",
                        atomic_load(&g_echoed), want, opt.connect_timeout);
                if (opt.server_pid && kill((pid_t)opt.server_pid, 0) != 0 && errno == ESRCH)
                    die("server process %ld is gone", opt.server_pid);
                sleep_s(0.01);
            }
        }
        sleep_s(opt.seconds);
        long rss_after = read_rss_kib(opt.server_pid);
        if (opt.server_pid && (rss_after < 0 || read_cpu_ticks(opt.server_pid) < 0))
            die("server process %ld exited during the idle wait", opt.server_pid);
        atomic_store(&g_phase, PH_STOP);
        for (int t = 0; t < T; t++)
            pthread_join(ws[t].thread, NULL);
        double per = (rss_before >= 0 && rss_after >= 0)
                         ? (double)(rss_after - rss_before) / opt.conns
                         : -1;
        printf("RESULT idle conns=%d server_rss_kib=%ld rss_per_conn_kib=%.2f "
               "server_rss_before_kib=%ld connect_s=%.2f messages=%d size=%zu\n",
               opt.conns, rss_after, per, rss_before, connect_s, opt.idle_messages, opt.size);
        fflush(stdout);
        _exit(0);
    }

    atomic_store(&g_phase, PH_RUN);
    sleep_s(opt.warmup);

    long long sc0 = read_cpu_ticks(opt.server_pid);
    double cc0 = self_cpu_s();
    uint64_t t0 = now_ns();
    atomic_store(&g_phase, PH_MEASURE);
    sleep_s(opt.seconds);
    atomic_store(&g_phase, PH_STOP);
    uint64_t t1 = now_ns();
    double cc1 = self_cpu_s();
    long long sc1 = read_cpu_ticks(opt.server_pid);
    long rss = read_rss_kib(opt.server_pid);
    if (opt.server_pid && (sc1 < 0 || rss < 0))
        die("server process %ld exited during the measuring window", opt.server_pid);

    for (int t = 0; t < T; t++)
        pthread_join(ws[t].thread, NULL);

    static struct hist all;
    uint64_t msgs = 0;
    for (int t = 0; t < T; t++) {
        msgs += ws[t].msgs;
        for (unsigned i = 0; i < H_BUCKETS; i++)
            all.count[i] += ws[t].hist.count[i];
        all.total += ws[t].hist.total;
    }
    double win = (double)(t1 - t0) / 1e9;
    double srv_us = -1;
    if (sc0 >= 0 && sc1 >= 0 && msgs > 0)
        srv_us = (double)(sc1 - sc0) / (double)sysconf(_SC_CLK_TCK) * 1e6 / (double)msgs;
    if (msgs == 0)
        die("no %s during the %.1f s measuring window",
            opt.fanout ? "delivery" : "echo completed", win);

    if (opt.fanout) {
        printf("RESULT fanout conns=%d size=%zu deliveries=%llu deliveries_per_s=%.0f "
               "msg_per_s=%.0f server_rss_kib=%ld server_cpu_us_per_delivery=%.3f "
               "client_cpu_pct=%.0f window_s=%.2f threads=%d\n",
               opt.conns, opt.size, (unsigned long long)msgs, (double)msgs / win,
               (double)msgs / win / opt.conns, rss, srv_us, (cc1 - cc0) / win * 100.0, win,
               T);
        fflush(stdout);
        _exit(0);
    }
    /* Fairness across connections: the fewest and most echoes one
     * connection completed in the window (equal service: both near
     * msgs / conns). */
    uint64_t conn_min = UINT64_MAX, conn_max = 0;
    for (int i = 0; i < opt.conns; i++) {
        if (conns[i].measured < conn_min)
            conn_min = conns[i].measured;
        if (conns[i].measured > conn_max)
            conn_max = conns[i].measured;
    }
    printf("RESULT conns=%d size=%zu pipeline=%d msgs=%llu msg_per_s=%.0f p50_us=%.1f "
           "p99_us=%.1f server_rss_kib=%ld server_cpu_us_per_msg=%.2f client_cpu_pct=%.0f "
           "window_s=%.2f threads=%d binary=%d utf8=%d conn_min_msgs=%llu conn_max_msgs=%llu\n",
           opt.conns, opt.size, opt.pipeline, (unsigned long long)msgs, (double)msgs / win,
           hist_percentile(&all, 50) / 1e3, hist_percentile(&all, 99) / 1e3, rss, srv_us,
           (cc1 - cc0) / win * 100.0, win, T, opt.binary, opt.utf8 && !opt.binary,
           (unsigned long long)conn_min, (unsigned long long)conn_max);
    fflush(stdout);
    /* sockets are closed by process exit */
    _exit(0);
}
