/*
 * lws_echo.c - minimal libwebsockets (4.1 API) echo server, the comparison
 * point for the iocpws echo_server in tests/bench/run.sh.
 *
 *   lws_echo [port]      (default 7681; 0 = let the kernel pick)
 *
 * Prints "listening on port N" once listening, echoes every text/binary
 * message with the same opcode, and exits cleanly on SIGINT/SIGTERM.
 *
 * Receive: messages arrive in pieces of at most rx_buffer_size bytes (and as
 * many frames as the client used); pieces are accumulated per session until
 * lws_is_final_fragment(). Send: whole messages are queued per session and
 * written from LWS_CALLBACK_SERVER_WRITEABLE in fragments of at most
 * TX_CHUNK bytes, one lws_write() per writeable callback. When a session's
 * queue grows past QUEUE_HIGH bytes, reading from it is paused
 * (lws_rx_flow_control) until the queue drains below QUEUE_LOW, so a client
 * that never reads cannot make the server buffer without bound.
 *
 * Single-threaded service loop. Build:
 *   gcc -O2 -std=c11 -Wall -Wextra lws_echo.c -o lws_echo -lwebsockets
 */
#define _GNU_SOURCE
#include <libwebsockets.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RX_BUFFER 65536
#define TX_CHUNK 65536
#define QUEUE_HIGH (4u * 1024 * 1024)
#define QUEUE_LOW (1u * 1024 * 1024)

struct msg {
    struct msg *next;
    size_t len;        /* payload bytes */
    size_t off;        /* payload bytes already handed to lws_write */
    size_t cap;        /* payload capacity of buf */
    int binary;
    unsigned char *buf; /* LWS_PRE headroom, then payload */
};

struct pss {
    /* message being received */
    unsigned char *rx;  /* LWS_PRE + capacity */
    size_t rx_len, rx_cap;
    int rx_binary;
    /* outgoing queue */
    struct msg *head, *tail;
    size_t queued_bytes;
    int rx_paused;
    /* one sent message buffer kept for the next receive, so steady-state
     * echo does not allocate (and fault in fresh pages) per message */
    unsigned char *spare;
    size_t spare_cap;
};

static volatile sig_atomic_t interrupted;
static struct lws_context *g_ctx;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
    if (g_ctx)
        lws_cancel_service(g_ctx);
}

static void pss_free(struct pss *s)
{
    free(s->rx);
    s->rx = NULL;
    s->rx_len = s->rx_cap = 0;
    while (s->head) {
        struct msg *m = s->head;
        s->head = m->next;
        free(m->buf);
        free(m);
    }
    s->tail = NULL;
    s->queued_bytes = 0;
    free(s->spare);
    s->spare = NULL;
    s->spare_cap = 0;
}

static int rx_append(struct pss *s, const void *in, size_t len)
{
    if (!s->rx && s->spare) {
        s->rx = s->spare;
        s->rx_cap = s->spare_cap;
        s->spare = NULL;
        s->spare_cap = 0;
    }
    if (!s->rx || s->rx_len + len > s->rx_cap) {
        size_t cap = s->rx_cap ? s->rx_cap : 4096;
        while (cap < s->rx_len + len)
            cap *= 2;
        unsigned char *nb = realloc(s->rx, LWS_PRE + cap);
        if (!nb)
            return -1;
        s->rx = nb;
        s->rx_cap = cap;
    }
    if (len)
        memcpy(s->rx + LWS_PRE + s->rx_len, in, len);
    s->rx_len += len;
    return 0;
}

static int callback_echo(struct lws *wsi, enum lws_callback_reasons reason, void *user,
                         void *in, size_t len)
{
    struct pss *s = user;

    switch (reason) {
    case LWS_CALLBACK_ESTABLISHED:
        memset(s, 0, sizeof *s);
        break;

    case LWS_CALLBACK_RECEIVE:
        if (lws_is_first_fragment(wsi)) {
            s->rx_len = 0;
            s->rx_binary = lws_frame_is_binary(wsi);
        }
        if (rx_append(s, in, len))
            return -1;
        if (lws_is_final_fragment(wsi)) {
            /* hand the buffer to the queue; a new one is grown for the next */
            struct msg *m = malloc(sizeof *m);
            if (!m)
                return -1;
            m->next = NULL;
            m->len = s->rx_len;
            m->off = 0;
            m->binary = s->rx_binary;
            m->buf = s->rx;
            m->cap = s->rx_cap;
            s->rx = NULL;
            s->rx_cap = 0;
            s->rx_len = 0;
            if (s->tail)
                s->tail->next = m;
            else
                s->head = m;
            s->tail = m;
            s->queued_bytes += m->len;
            if (!s->rx_paused && s->queued_bytes > QUEUE_HIGH) {
                s->rx_paused = 1;
                lws_rx_flow_control(wsi, 0);
            }
            lws_callback_on_writable(wsi);
        }
        break;

    case LWS_CALLBACK_SERVER_WRITEABLE: {
        struct msg *m = s->head;
        if (!m)
            break;
        size_t chunk = m->len - m->off;
        if (chunk > TX_CHUNK)
            chunk = TX_CHUNK;
        int is_start = m->off == 0;
        int is_end = m->off + chunk == m->len;
        int flags = lws_write_ws_flags(m->binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT,
                                       is_start, is_end);
        /* lws_write needs LWS_PRE writable bytes before the data it sends;
         * for later fragments those are the already-sent payload bytes */
        unsigned char *p = m->buf + LWS_PRE + m->off;
        int n = lws_write(wsi, p, chunk, (enum lws_write_protocol)flags);
        if (n < (int)chunk)
            return -1; /* lws buffers partial sends itself; less is an error */
        m->off += chunk;
        if (is_end) {
            s->head = m->next;
            if (!s->head)
                s->tail = NULL;
            s->queued_bytes -= m->len;
            if (!s->spare && m->cap <= 4 * 1024 * 1024) {
                s->spare = m->buf;
                s->spare_cap = m->cap;
            } else {
                free(m->buf);
            }
            free(m);
            if (s->rx_paused && s->queued_bytes < QUEUE_LOW) {
                s->rx_paused = 0;
                lws_rx_flow_control(wsi, 1);
            }
        }
        if (s->head)
            lws_callback_on_writable(wsi);
        break;
    }

    case LWS_CALLBACK_CLOSED:
        pss_free(s);
        break;

    default:
        break;
    }
    return 0;
}

static const struct lws_protocols protocols[] = {
    /* the first protocol also serves clients that ask for no subprotocol */
    {"echo", callback_echo, sizeof(struct pss), RX_BUFFER, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

int main(int argc, char **argv)
{
    int port = argc > 1 ? atoi(argv[1]) : 7681;
    if (argc > 2 || port < 0 || port > 65535) {
        fprintf(stderr, "usage: lws_echo [port]\n");
        return 2;
    }

    lws_set_log_level(LLL_ERR, NULL);

    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = port;
    info.protocols = protocols;
    info.pt_serv_buf_size = 65536;
    info.options = LWS_SERVER_OPTION_VALIDATE_UTF8;

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    g_ctx = lws_create_context(&info);
    if (!g_ctx) {
        fprintf(stderr, "lws_echo: lws_create_context failed (port %d in use?)\n", port);
        return 1;
    }
    struct lws_vhost *vh = lws_get_vhost_by_name(g_ctx, "default");
    printf("listening on port %d\n", vh ? lws_get_vhost_listen_port(vh) : port);
    fflush(stdout);

    while (!interrupted)
        if (lws_service(g_ctx, 0) < 0)
            break;

    lws_context_destroy(g_ctx);
    return 0;
}
