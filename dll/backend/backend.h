/*
 * backend.h - the contract between the portable core and an I/O back end
 * (dll/backend/epoll on Linux, dll/backend/iocp on Windows). Exactly one back
 * end is linked into the library.
 *
 * The model is completion-based, because that is what IOCP is and epoll can
 * emulate it cheaply:
 *  - reads: the back end owns the read buffers (a per-thread scratch buffer:
 *    idle connections hold none). It delivers what arrived with
 *    iws__core_read(), which consumes it synchronously. Reads of one socket
 *    are never delivered concurrently.
 *  - writes: the core hands a gather list to iws__be_write(). The back end
 *    either writes some bytes right away (returns the count) or accepts the
 *    list for later and reports with iws__core_write_done(). The buffers stay
 *    valid until then; the gather array itself may be reused at once.
 *    Files go the same way with iws__be_write_file (zero copy).
 *  - close: iws__be_close() ends the socket; once no back-end activity for it
 *    remains, iws__core_closed() is called exactly once, and the back end
 *    never mentions that socket again.
 *  - time: iws__core_tick() is called about every IWS__TICK_MS from one I/O
 *    thread; the core runs its timers there.
 *
 * Locking: the core calls iws__be_write/shutdown/close/read_resume while
 * holding its connection lock. A back end therefore never calls a core hook
 * from inside one of those functions (hooks are called only from its own
 * threads' event processing), and its own locks are leaves.
 */
#ifndef IWS_BACKEND_H
#define IWS_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "iocpws.h"

#define IWS__TICK_MS 50

/* Gather entry with struct iovec's layout (the epoll back end passes an array
 * of these to writev as is; IOCP copies them into WSABUFs). */
typedef struct iws__iov {
  void *base;
  size_t len;
} iws__iov;
#define IWS__IOV_MAX 64

/* A socket address held compactly (20 bytes) and made text only when asked
 * (iws__addr_text): each connection keeps two of these for its life. The
 * back end fills them at accept (iws__sockaddr_to_addr in sockaddr.h). An
 * IPv4-mapped IPv6 address is kept as IPv4, so that it reads as IPv4. */
enum { IWS__ADDR_NONE = 0, IWS__ADDR_V4 = 4, IWS__ADDR_V6 = 6 };
typedef struct iws__addr {
  uint8_t family; /* IWS__ADDR_*; NONE: unknown ("" and port 0) */
  uint8_t reserved;
  uint16_t port;  /* host order */
  uint8_t ip[16]; /* network order; IPv4 uses the first 4 bytes */
} iws__addr;

/* Room for any iws__addr_text: the public IWS_ADDRESS_SIZE (64; the longest
 * text, an IPv6 address with an IPv4 tail, is 45 characters and the NUL). */
#define IWS__ADDR_TEXT IWS_ADDRESS_SIZE

/* The address as text ("203.0.113.5", "2001:db8::1"; "" for NONE) into
 * ip[iplen] with the system's inet_ntop; returns ip. Any thread. */
const char *iws__addr_text(const iws__addr *a, char *ip, size_t iplen);

/* iws__addr_text into a buffer that lives until the end of the enclosing
 * block (a compound literal): for an argument, e.g. of a log line. */
#define IWS__ADDR_STR(a) \
  iws__addr_text((a), (char[IWS__ADDR_TEXT]){0}, IWS__ADDR_TEXT)

typedef struct iws__be iws__be;     /* one per running server */
typedef struct iws__sock iws__sock; /* one per accepted socket */
typedef struct iws__conn iws__conn; /* the core's connection */

/* One listening socket. The back end passes `tag` to iws__core_accept for
 * every socket accepted on it (the core uses it to tell the listeners
 * apart: which one, plain or TLS; the back end attaches no meaning to it).
 * Listeners may mix IPv4 and IPv6 addresses. */
typedef struct iws__be_listen {
  const char *address; /* IPv4 or IPv6 literal; valid during iws__be_start */
  uint32_t port;       /* 0 = any free port */
  uint32_t tag;
} iws__be_listen;
#define IWS__LISTEN_MAX IWS_LISTENERS_MAX

typedef struct iws__be_config {
  uint32_t nlisten; /* 1..IWS__LISTEN_MAX */
  iws__be_listen listen[IWS__LISTEN_MAX];
  uint32_t io_threads; /* resolved: >= 1 */
  uint32_t backlog;
  uint32_t ipv6_only;
  uint32_t tcp_nodelay;
  uint32_t accepts_posted; /* IOCP only */
  /* Since 0.6: TCP keep-alive on accepted sockets (IWS_OPT_TCP_KEEPALIVE*) */
  uint32_t keepalive;
  uint32_t keepalive_time_ms;
  uint32_t keepalive_interval_ms;
} iws__be_config;

/* iws__be_write: the back end took the list and will call
 * iws__core_write_done() later. */
#define IWS__BE_PENDING (-1)
/* iws__be_write: the socket is broken; the core closes it. */
#define IWS__BE_ERROR (-2)

/* iws__core_read return values. */
#define IWS__READ_CONTINUE 0
#define IWS__READ_PAUSE 1 /* stop reading until iws__be_read_resume() */

/* ---- back end, called by the core ---- */

const char *iws__be_name(void);

/* Binds, listens and starts the I/O threads. On failure returns an IWS_E_*
 * code with a sentence in err[errlen] that names the listener that failed
 * (its index, address and port), and nothing is left listening. */
int iws__be_start(iws_server *server, const iws__be_config *config,
                  iws__be **out, char *err, size_t errlen);

/* The bound port of listener `index` (order of config.listen). */
uint32_t iws__be_port(iws__be *be, uint32_t index);

/* Closes the listening socket(s); accepts in progress complete or are
 * dropped. Returns when no new connection can appear. */
void iws__be_stop_accepting(iws__be *be);

/* Ends the I/O threads and frees the back end. Every socket must have been
 * closed and reported with iws__core_closed() before. */
void iws__be_stop(iws__be *be);

/* Writes (see above). Returns bytes written now (> 0; may be fewer than
 * asked), IWS__BE_PENDING or IWS__BE_ERROR. Any thread; at most one write
 * per socket at a time (the core guarantees it). */
int64_t iws__be_write(iws__sock *sock, const iws__iov *iov, int iovcnt);

/* Writes `length` (> 0) bytes of an open file from `offset` (Since 0.5:
 * static files; sendfile on Linux, TransmitFile on Windows) with
 * iws__be_write's contract: bytes written now (> 0; may be fewer),
 * IWS__BE_PENDING (then iws__core_write_done with the count), or
 * IWS__BE_ERROR - also when the file ends before `length` bytes (it was
 * truncated while being sent). The file stays open until the write is
 * done. At most one write (of either kind) per socket at a time. */
typedef struct iws__file iws__file;
int64_t iws__be_write_file(iws__sock *sock, iws__file *file, uint64_t offset,
                           size_t length);

/* Sends FIN after what was written (half close). Any thread. */
void iws__be_shutdown(iws__sock *sock);

/* Closes the socket (abortive = reset, discarding unsent data). Any thread,
 * once per socket. */
void iws__be_close(iws__sock *sock, int abortive);

/* Restarts reading after iws__core_read returned IWS__READ_PAUSE. Any
 * thread. */
void iws__be_read_resume(iws__sock *sock);

/* Asks the socket's I/O thread to call iws__core_flush soon, so that what
 * other threads queue meanwhile goes out in one write. Any thread; returns
 * 0, or -1 if it could not be posted (the core then writes itself). */
int iws__be_post_flush(iws__sock *sock);

/* ---- core hooks, called by the back end's threads ---- */

/* A new socket from the listener with `tag`. Returns the core's connection,
 * or NULL to refuse it (the back end then closes the socket without
 * reporting it). `peer` is the client's address; `local` the local end of
 * the socket (the address the client reached, e.g. 127.0.0.2 on a listener
 * bound to 0.0.0.0; family NONE if the system cannot tell, since 0.6). The
 * core copies both. */
iws__conn *iws__core_accept(iws_server *server, iws__sock *sock,
                            const iws__addr *peer, const iws__addr *local,
                            uint32_t tag);

/* Bytes arrived (len > 0), the peer closed its side (len == 0, error 0), or
 * the connection broke (error = OS code). The data is valid during the call
 * only, and the core's to change meanwhile (WebSocket unmasks payloads in
 * place): the back end's read buffer, never bytes it still needs. Returns
 * IWS__READ_CONTINUE or IWS__READ_PAUSE. */
int iws__core_read(iws__conn *conn, uint8_t *data, size_t len, int error);

/* Reading restarted after a pause (iws__be_read_resume): called on the
 * thread that reads the socket, serialised with iws__core_read, before any
 * further read, once per resume. Lets the core go on with input it had
 * buffered (plain HTTP's pipelined requests). Returns IWS__READ_CONTINUE,
 * or IWS__READ_PAUSE to stay paused until the next resume. Since 0.5. */
int iws__core_resumed(iws__conn *conn);

/* A write accepted with IWS__BE_PENDING finished: `written` bytes went out
 * (0 is allowed: "try again now"), or error != 0. */
void iws__core_write_done(iws__conn *conn, size_t written, int error);

/* The socket is gone (see above). */
void iws__core_closed(iws__conn *conn);

/* The flush asked for with iws__be_post_flush (not called once the socket
 * is closing). */
void iws__core_flush(iws__conn *conn);

/* About every IWS__TICK_MS, from one I/O thread. */
void iws__core_tick(iws_server *server);

/* A log line from the back end (printf-style). */
void iws__core_log(iws_server *server, int level, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

#endif /* IWS_BACKEND_H */
