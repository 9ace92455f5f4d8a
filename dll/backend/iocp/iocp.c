/*
 * iocp.c - the Windows back end: I/O Completion Ports (backend.h).
 *
 * One completion port, N threads dequeuing with GetQueuedCompletionStatusEx.
 * Accepts are AcceptEx calls kept posted ahead on every listening socket
 * (plain and TLS listeners side by side). A connection holds no receive
 * buffer while idle: it keeps a zero-byte WSARecv posted, and when that
 * completes the thread reads what is there with non-blocking recv() into its
 * own 64 KiB buffer. Writes are overlapped WSASend with the core's gather
 * list, files overlapped TransmitFile; FILE_SKIP_COMPLETION_PORT_ON_SUCCESS lets a write that finishes at
 * once report its count directly, without a completion packet.
 *
 * Lifetime: a socket's `refs` counts one for being open, one per operation
 * in flight and one while a thread works on it. iws__be_close cancels the
 * operations (CancelIoEx) and drops the "open" reference; the socket handle
 * is closed and iws__core_closed called only when the count reaches zero, so
 * no thread can be inside recv() on a handle that was closed (and perhaps
 * reused). Any failed completion on a closing socket just means "closed":
 * Windows reports 995 (operation aborted), Wine 676 (handles closed).
 */
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <winsock2.h>
#include <ws2tcpip.h>
#include <mswsock.h>
#include <mstcpip.h> /* SIO_KEEPALIVE_VALS */
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../platform/platform.h"
#include "../backend.h"
#include "../sockaddr.h"

#define READ_BUFFER_SIZE (64 * 1024)
#define READS_PER_EVENT 4 /* then KEY_MORE: as epoll.c's (fairness) */
#define ENTRIES_PER_WAIT 64
#define ACCEPT_RETRY_MS 200

/* Completion keys. Socket I/O uses KEY_IO with an OVERLAPPED inside an
 * io_op; the others are packets the back end posts to itself. */
#define KEY_IO 0
#define KEY_STOP 1
#define KEY_RESUME 2 /* lpOverlapped is the iws__sock */
#define KEY_CLOSED 3 /* lpOverlapped is the iws__sock */
#define KEY_FLUSH 4  /* lpOverlapped is the iws__sock */
#define KEY_MORE 5   /* lpOverlapped is the iws__sock: read on (it holds a
                        ref and the reading token) */

enum { OP_ACCEPT, OP_READ, OP_WRITE };

typedef struct io_op {
  OVERLAPPED ov; /* first: the OVERLAPPED* from the port is the io_op* */
  int type;
} io_op;

typedef struct accept_op {
  io_op op;
  SOCKET s;
  uint32_t li; /* the listener it accepts on */
  struct accept_op *next_retry;
  /* AcceptEx wants room for both addresses plus 16 bytes each. */
  char addresses[2 * (sizeof(SOCKADDR_STORAGE) + 16)];
} accept_op;

struct iws__sock {
  SOCKET s;
  iws__be *be;
  iws__conn *conn;
  io_op rd, wr;
  volatile LONG refs;
  volatile LONG closing;
  volatile LONG abortive;
  /* Reading is a token: a posted receive, a thread in read_cycle, or
   * "parked" after the core paused. The core's resume may arrive on another
   * thread before the reader parks; the lock makes the hand-off exact. */
  iws__mutex rlock;
  int parked, resume_requested;
  int skip_on_success; /* FILE_SKIP_COMPLETION_PORT_ON_SUCCESS is set */
  int wr_file;         /* the write in flight is a TransmitFile */
};

typedef struct io_thread {
  iws__be *be;
  uint32_t index;
  iws__thread thread;
  char *rbuf;
} io_thread;

typedef struct listener {
  SOCKET s;
  uint32_t port, tag;
  int family;          /* AF_INET or AF_INET6: accepted sockets are alike */
  const char *address; /* valid during iws__be_start only */
  /* Extension functions are the socket's provider's: asked per listener
   * (an IPv6 one may have another provider than an IPv4 one). */
  LPFN_ACCEPTEX accept_ex;
  LPFN_GETACCEPTEXSOCKADDRS get_sockaddrs;
} listener;

struct iws__be {
  iws_server *server;
  iws__be_config config;
  HANDLE port;
  listener listeners[IWS__LISTEN_MAX];
  uint32_t nlisten;
  LPFN_TRANSMITFILE transmit_file;
  uint32_t nthreads;
  io_thread *threads;
  iws__mutex lock; /* listen socket, accept bookkeeping */
  iws__cond cond;
  int accept_stopping;
  uint32_t accepts_out;     /* accept_ops not yet returned */
  accept_op *accept_retry;  /* ops waiting to be posted again */
  uint64_t accept_retry_at;
  int wsa_started;
};

const char *iws__be_name(void) { return "iocp"; }

/* ---- socket references ---- */

static void sock_finish_close(iws__sock *s) {
  if (s->abortive) {
    struct linger lg;
    lg.l_onoff = 1;
    lg.l_linger = 0;
    setsockopt(s->s, SOL_SOCKET, SO_LINGER, (const char *)&lg, sizeof(lg));
  }
  closesocket(s->s);
  iws__core_closed(s->conn);
  iws__mutex_destroy(&s->rlock);
  free(s);
}

/* Drops a reference. The last one closes the socket: directly when the
 * caller is a port thread outside any core lock (io_thread != 0), else by a
 * packet to a port thread (core hooks never run inside a back-end call). */
static void sock_release(iws__sock *s, int on_io_thread) {
  if (InterlockedDecrement(&s->refs) != 0) return;
  if (on_io_thread)
    sock_finish_close(s);
  else
    PostQueuedCompletionStatus(s->be->port, 0, KEY_CLOSED, (OVERLAPPED *)s);
}

/* ---- reading ---- */

/* Posts the zero-byte receive. Returns 1 if it completed at once (data is
 * already there: read again), 0 if pending, -1 on error (reported). */
static int post_read(iws__sock *s) {
  WSABUF buf;
  DWORD bytes = 0, flags = 0;
  int rc;
  buf.len = 0;
  buf.buf = NULL;
  memset(&s->rd.ov, 0, sizeof(s->rd.ov));
  InterlockedIncrement(&s->refs);
  rc = WSARecv(s->s, &buf, 1, &bytes, &flags, &s->rd.ov, NULL);
  if (rc == 0 && s->skip_on_success) {
    InterlockedDecrement(&s->refs); /* no packet will come */
    return 1;
  }
  if (rc == 0 || WSAGetLastError() == WSA_IO_PENDING) return 0;
  {
    int err = WSAGetLastError();
    InterlockedDecrement(&s->refs);
    if (!s->closing) iws__core_read(s->conn, NULL, 0, err ? err : -1);
  }
  return -1;
}

/* The core said "pause". Returns 1 if a resume already came (go on
 * reading), 0 if the token is parked until iws__be_read_resume. */
static int park_reader(iws__sock *s) {
  int go_on;
  iws__mutex_lock(&s->rlock);
  go_on = s->resume_requested;
  s->resume_requested = 0;
  s->parked = !go_on;
  iws__mutex_unlock(&s->rlock);
  return go_on;
}

/* Reading resumes: the core first goes on with what it buffered; it may
 * pause again. Returns non-zero if reading goes on. */
static int resume_core(iws__sock *s) {
  while (iws__core_resumed(s->conn) == IWS__READ_PAUSE)
    if (!park_reader(s)) return 0;
  return 1;
}

/* Reads what is there and re-arms. Port thread; the caller holds a ref and
 * the reading token. */
static void read_cycle(iws__sock *s, char *rbuf) {
  for (;;) {
    int i, posted;
    for (i = 0; i < READS_PER_EVENT; i++) {
      int n;
      if (s->closing) return;
      n = recv(s->s, rbuf, READ_BUFFER_SIZE, 0);
      if (n > 0) {
        if (iws__core_read(s->conn, (uint8_t *)rbuf, (size_t)n, 0) ==
                IWS__READ_PAUSE &&
            (!park_reader(s) || !resume_core(s)))
          return;
        if (n < READ_BUFFER_SIZE) break; /* drained for now */
        continue;
      }
      if (n == 0) {
        iws__core_read(s->conn, NULL, 0, 0);
        return;
      }
      if (WSAGetLastError() == WSAEWOULDBLOCK) break;
      iws__core_read(s->conn, NULL, 0, WSAGetLastError());
      return;
    }
    if (s->closing) return;
    if (i == READS_PER_EVENT) {
      /* Still more to read: the other sockets' completions queued before
       * this packet go first (as epoll's REQ_MORE); the zero-byte receive
       * below would complete at once and keep this thread here. */
      InterlockedIncrement(&s->refs); /* held by the packet */
      if (PostQueuedCompletionStatus(s->be->port, 0, KEY_MORE,
                                     (OVERLAPPED *)s))
        return;
      InterlockedDecrement(&s->refs);
    }
    posted = post_read(s);
    if (posted != 1) return; /* pending, or failed and reported */
  }
}

/* ---- the core's calls (any thread) ---- */

int64_t iws__be_write(iws__sock *s, const iws__iov *iov, int iovcnt) {
  WSABUF bufs[IWS__IOV_MAX];
  DWORD sent = 0;
  int i, rc;
  if (iovcnt > IWS__IOV_MAX) iovcnt = IWS__IOV_MAX;
  for (i = 0; i < iovcnt; i++) {
    /* WSABUF lengths are 32-bit: a larger entry is sent in pieces. */
    bufs[i].buf = (char *)iov[i].base;
    bufs[i].len = iov[i].len > 0x40000000u ? 0x40000000u : (ULONG)iov[i].len;
  }
  memset(&s->wr.ov, 0, sizeof(s->wr.ov));
  s->wr_file = 0;
  InterlockedIncrement(&s->refs);
  rc = WSASend(s->s, bufs, (DWORD)iovcnt, &sent, 0, &s->wr.ov, NULL);
  if (rc == 0 && s->skip_on_success) {
    /* Done inline and no packet will follow. Zero bytes for a non-empty
     * list cannot be waited for (nothing would wake us): treat it as a
     * broken socket rather than hang the connection. */
    InterlockedDecrement(&s->refs);
    return sent > 0 ? (int64_t)sent : IWS__BE_ERROR;
  }
  if (rc == 0 || WSAGetLastError() == WSA_IO_PENDING) return IWS__BE_PENDING;
  InterlockedDecrement(&s->refs);
  return IWS__BE_ERROR;
}

/* TransmitFile takes at most 2^31 - 2 bytes per call. */
#define TRANSMIT_MAX 0x40000000u

int64_t iws__be_write_file(iws__sock *s, iws__file *file, uint64_t offset,
                           size_t length) {
  HANDLE h = (HANDLE)iws__file_os_handle(file);
  DWORD n = length > TRANSMIT_MAX ? TRANSMIT_MAX : (DWORD)length;
  LARGE_INTEGER pos;
  if (length == 0) return IWS__BE_ERROR;
  /* The OVERLAPPED's offset says where to read; the file pointer is set
   * too, for TransmitFile implementations that read from it (the handle
   * belongs to this one response). */
  pos.QuadPart = (LONGLONG)offset;
  SetFilePointerEx(h, pos, NULL, FILE_BEGIN);
  memset(&s->wr.ov, 0, sizeof(s->wr.ov));
  s->wr.ov.Offset = (DWORD)(offset & 0xffffffffu);
  s->wr.ov.OffsetHigh = (DWORD)(offset >> 32);
  s->wr_file = 1;
  InterlockedIncrement(&s->refs);
  if (s->be->transmit_file(s->s, h, n, 0, &s->wr.ov, NULL, 0)) {
    if (s->skip_on_success) {
      DWORD sent = 0, flags = 0;
      InterlockedDecrement(&s->refs); /* no packet will come */
      if (!WSAGetOverlappedResult(s->s, &s->wr.ov, &sent, FALSE, &flags))
        sent = n; /* finished: all of it went */
      return sent > 0 ? (int64_t)sent : IWS__BE_ERROR;
    }
    return IWS__BE_PENDING;
  }
  if (WSAGetLastError() == WSA_IO_PENDING ||
      WSAGetLastError() == ERROR_IO_PENDING)
    return IWS__BE_PENDING;
  InterlockedDecrement(&s->refs);
  return IWS__BE_ERROR;
}

void iws__be_shutdown(iws__sock *s) { shutdown(s->s, SD_SEND); }

void iws__be_close(iws__sock *s, int abortive) {
  if (InterlockedExchange(&s->closing, 1)) return;
  InterlockedExchange(&s->abortive, abortive);
  CancelIoEx((HANDLE)s->s, NULL);
  sock_release(s, 0); /* the "open" reference */
}

void iws__be_read_resume(iws__sock *s) {
  int unpark;
  iws__mutex_lock(&s->rlock);
  unpark = s->parked;
  s->parked = 0;
  if (!unpark) s->resume_requested = 1; /* the reader has not parked yet */
  iws__mutex_unlock(&s->rlock);
  if (!unpark) return;
  InterlockedIncrement(&s->refs); /* held by the packet */
  if (!PostQueuedCompletionStatus(s->be->port, 0, KEY_RESUME,
                                  (OVERLAPPED *)s))
    InterlockedDecrement(&s->refs);
}

int iws__be_post_flush(iws__sock *s) {
  InterlockedIncrement(&s->refs); /* held by the packet */
  if (PostQueuedCompletionStatus(s->be->port, 0, KEY_FLUSH, (OVERLAPPED *)s))
    return 0;
  InterlockedDecrement(&s->refs);
  return -1;
}

/* ---- accepting ---- */

/* Posts one AcceptEx. Called with be->lock held. Returns 0, or -1 if the op
 * could not be posted now (it goes to the retry list). */
static int post_accept_locked(iws__be *be, accept_op *op) {
  DWORD bytes = 0;
  DWORD addrlen = sizeof(SOCKADDR_STORAGE) + 16;
  const listener *ln = &be->listeners[op->li];
  if (be->accept_stopping) return -1;
  op->s = WSASocketW(ln->family, SOCK_STREAM, IPPROTO_TCP, NULL, 0,
                     WSA_FLAG_OVERLAPPED);
  if (op->s == INVALID_SOCKET) goto retry;
  memset(&op->op.ov, 0, sizeof(op->op.ov));
  op->op.type = OP_ACCEPT;
  if (!ln->accept_ex(ln->s, op->s, op->addresses, 0, addrlen, addrlen,
                     &bytes, &op->op.ov) &&
      WSAGetLastError() != ERROR_IO_PENDING) {
    closesocket(op->s);
    op->s = INVALID_SOCKET;
    goto retry;
  }
  return 0;
retry:
  /* Out of sockets or buffers: try again later instead of spinning. */
  iws__core_log(be->server, IWS_LOG_ERROR,
                "AcceptEx could not be posted (error %d); retrying in %d ms",
                WSAGetLastError(), ACCEPT_RETRY_MS);
  op->next_retry = be->accept_retry;
  be->accept_retry = op;
  be->accept_retry_at = iws__now_ms() + ACCEPT_RETRY_MS;
  return -1;
}

/* An accept op is finished with for good (stopping). */
static void accept_op_done_locked(iws__be *be, accept_op *op) {
  if (op->s != INVALID_SOCKET) closesocket(op->s);
  free(op);
  be->accepts_out--;
  iws__cond_broadcast(&be->cond);
}

static void repost_accept(iws__be *be, accept_op *op) {
  iws__mutex_lock(&be->lock);
  if (be->accept_stopping) {
    op->s = INVALID_SOCKET;
    accept_op_done_locked(be, op);
  } else {
    post_accept_locked(be, op);
  }
  iws__mutex_unlock(&be->lock);
}

/* IWS_OPT_TCP_KEEPALIVE*: one ioctl sets on/off, time and interval (ms);
 * the probe count is Windows' own (10). */
static void set_keepalive(iws__be *be, SOCKET s) {
  struct tcp_keepalive ka;
  DWORD got = 0;
  ka.onoff = 1;
  ka.keepalivetime = be->config.keepalive_time_ms;
  ka.keepaliveinterval = be->config.keepalive_interval_ms;
  if (WSAIoctl(s, SIO_KEEPALIVE_VALS, &ka, sizeof(ka), NULL, 0, &got, NULL,
               NULL) != 0)
    iws__core_log(be->server, IWS_LOG_WARN,
                  "accept: cannot set TCP keep-alive (error %d)",
                  WSAGetLastError());
}

static void on_accept(io_thread *t, accept_op *op, DWORD status) {
  iws__be *be = t->be;
  SOCKET s = op->s;
  struct sockaddr *local = NULL, *remote = NULL;
  int local_len = 0, remote_len = 0;
  DWORD addrlen = sizeof(SOCKADDR_STORAGE) + 16;
  iws__addr peer, local_addr; /* AcceptEx's two addresses */
  iws__sock *sock;
  u_long nonblocking = 1;
  op->s = INVALID_SOCKET;
  if (status != 0) {
    /* Stopping (the listen socket was closed), or a client that reset
     * before we got to it. */
    if (s != INVALID_SOCKET) closesocket(s);
    repost_accept(be, op);
    return;
  }
  uint32_t tag = be->listeners[op->li].tag;
  setsockopt(s, SOL_SOCKET, SO_UPDATE_ACCEPT_CONTEXT,
             (const char *)&be->listeners[op->li].s,
             sizeof(be->listeners[op->li].s));
  be->listeners[op->li].get_sockaddrs(op->addresses, 0, addrlen, addrlen,
                                      &local, &local_len, &remote,
                                      &remote_len);
  iws__sockaddr_to_addr(remote, &peer);
  iws__sockaddr_to_addr(local, &local_addr);
  repost_accept(be, op); /* keep the queue full before handling this one */

  sock = calloc(1, sizeof(*sock));
  if (!sock || !CreateIoCompletionPort((HANDLE)s, be->port, KEY_IO, 0)) {
    iws__core_log(be->server, IWS_LOG_ERROR, "accept: %s",
                  sock ? "cannot associate with the port" : "out of memory");
    free(sock);
    closesocket(s);
    return;
  }
  sock->s = s;
  sock->be = be;
  iws__mutex_init(&sock->rlock);
  sock->refs = 2; /* open + this thread's work */
  sock->rd.type = OP_READ;
  sock->wr.type = OP_WRITE;
  sock->skip_on_success = SetFileCompletionNotificationModes(
                              (HANDLE)s, FILE_SKIP_COMPLETION_PORT_ON_SUCCESS |
                                             FILE_SKIP_SET_EVENT_ON_HANDLE)
                              ? 1
                              : 0;
  ioctlsocket(s, FIONBIO, &nonblocking);
  if (be->config.tcp_nodelay) {
    BOOL one = TRUE;
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, (const char *)&one, sizeof(one));
  }
  if (be->config.keepalive) set_keepalive(be, s);
  sock->conn = iws__core_accept(be->server, sock, &peer, &local_addr, tag);
  if (!sock->conn) {
    closesocket(s);
    iws__mutex_destroy(&sock->rlock);
    free(sock);
    return;
  }
  read_cycle(sock, t->rbuf);
  sock_release(sock, 1);
}

static void retry_accepts(iws__be *be) {
  accept_op *list;
  iws__mutex_lock(&be->lock);
  if (be->accept_retry && iws__now_ms() >= be->accept_retry_at) {
    list = be->accept_retry;
    be->accept_retry = NULL;
    while (list) {
      accept_op *op = list;
      list = op->next_retry;
      if (be->accept_stopping)
        accept_op_done_locked(be, op);
      else
        post_accept_locked(be, op);
    }
  }
  iws__mutex_unlock(&be->lock);
}

/* ---- the port threads ---- */

static void on_io(io_thread *t, OVERLAPPED_ENTRY *e) {
  io_op *op = (io_op *)e->lpOverlapped;
  /* The status is an NTSTATUS; Wine has returned garbage in the upper half
   * of Internal on win64, so only the low 32 bits are read. */
  DWORD status = (DWORD)(e->Internal & 0xffffffffu);
  DWORD bytes = e->dwNumberOfBytesTransferred;
  if (op->type == OP_ACCEPT) {
    on_accept(t, (accept_op *)op, status);
  } else if (op->type == OP_READ) {
    iws__sock *s = (iws__sock *)((char *)op - offsetof(iws__sock, rd));
    if (status == 0 && !s->closing)
      read_cycle(s, t->rbuf);
    else if (!s->closing)
      iws__core_read(s->conn, NULL, 0, (int)status);
    sock_release(s, 1);
  } else {
    iws__sock *s = (iws__sock *)((char *)op - offsetof(iws__sock, wr));
    /* A file transfer that sent nothing hit the end of a file truncated
     * meanwhile: "again" would spin, so it is an error. */
    if (status == 0 && bytes == 0 && s->wr_file) status = ERROR_HANDLE_EOF;
    iws__core_write_done(s->conn, status == 0 ? bytes : 0,
                         status == 0 ? 0 : (int)status);
    sock_release(s, 1);
  }
}

static void io_main(void *arg) {
  io_thread *t = arg;
  iws__be *be = t->be;
  OVERLAPPED_ENTRY entries[ENTRIES_PER_WAIT];
  uint64_t next_tick = iws__now_ms() + IWS__TICK_MS;
  int stop = 0;
  while (!stop) {
    ULONG n = 0, i;
    DWORD timeout = INFINITE;
    uint64_t now = iws__now_ms();
    if (t->index == 0) {
      if (now >= next_tick) {
        iws__core_tick(be->server);
        retry_accepts(be);
        next_tick = now + IWS__TICK_MS;
      }
      timeout = (DWORD)(next_tick - now);
    }
    if (!GetQueuedCompletionStatusEx(be->port, entries, ENTRIES_PER_WAIT, &n,
                                     timeout, FALSE))
      continue; /* timeout */
    for (i = 0; i < n; i++) {
      OVERLAPPED_ENTRY *e = &entries[i];
      switch (e->lpCompletionKey) {
      case KEY_STOP:
        /* One sentinel per thread: a batch may hold several, and a thread
         * that swallowed them all would leave the others waiting forever.
         * Keep one, hand the rest back to the port. */
        if (stop)
          PostQueuedCompletionStatus(be->port, 0, KEY_STOP, NULL);
        stop = 1;
        break;
      case KEY_RESUME: {
        iws__sock *s = (iws__sock *)e->lpOverlapped;
        if (!s->closing && resume_core(s)) read_cycle(s, t->rbuf);
        sock_release(s, 1);
        break;
      }
      case KEY_CLOSED:
        sock_finish_close((iws__sock *)e->lpOverlapped);
        break;
      case KEY_MORE: {
        iws__sock *s = (iws__sock *)e->lpOverlapped;
        if (!s->closing) read_cycle(s, t->rbuf);
        sock_release(s, 1);
        break;
      }
      case KEY_FLUSH: {
        iws__sock *s = (iws__sock *)e->lpOverlapped;
        if (!s->closing) iws__core_flush(s->conn);
        sock_release(s, 1);
        break;
      }
      default:
        on_io(t, e);
        break;
      }
    }
  }
}

/* ---- start / stop ---- */

static int load_extensions(iws__be *be, char *err, size_t errlen) {
  GUID accept_guid = WSAID_ACCEPTEX, addrs_guid = WSAID_GETACCEPTEXSOCKADDRS;
  GUID transmit_guid = WSAID_TRANSMITFILE;
  DWORD bytes = 0;
  uint32_t i;
  for (i = 0; i < be->nlisten; i++) {
    listener *ln = &be->listeners[i];
    if (WSAIoctl(ln->s, SIO_GET_EXTENSION_FUNCTION_POINTER, &accept_guid,
                 sizeof(accept_guid), &ln->accept_ex, sizeof(ln->accept_ex),
                 &bytes, NULL, NULL) != 0 ||
        WSAIoctl(ln->s, SIO_GET_EXTENSION_FUNCTION_POINTER, &addrs_guid,
                 sizeof(addrs_guid), &ln->get_sockaddrs,
                 sizeof(ln->get_sockaddrs), &bytes, NULL, NULL) != 0) {
      snprintf(err, errlen,
               "listener %u: AcceptEx is not available (error %d)",
               (unsigned)i, WSAGetLastError());
      return IWS_E_SYSTEM;
    }
  }
  if (WSAIoctl(be->listeners[0].s, SIO_GET_EXTENSION_FUNCTION_POINTER,
               &transmit_guid, sizeof(transmit_guid), &be->transmit_file,
               sizeof(be->transmit_file), &bytes, NULL, NULL) != 0) {
    snprintf(err, errlen, "TransmitFile is not available (error %d)",
             WSAGetLastError());
    return IWS_E_SYSTEM;
  }
  return IWS_OK;
}

static int bind_listener(iws__be *be, listener *ln, uint32_t index,
                         char *err, size_t errlen) {
  const iws__be_config *c = &be->config;
  SOCKADDR_STORAGE ss;
  int sslen, rc;
  BOOL exclusive = TRUE;
  char why[300];
  rc = iws__sockaddr_parse(ln->address, ln->port, &ss, &sslen, why,
                           sizeof(why));
  if (rc != IWS_OK) {
    snprintf(err, errlen, "listener %u: %s", (unsigned)index, why);
    return rc;
  }
  ln->family = ss.ss_family;
  ln->s = WSASocketW(ln->family, SOCK_STREAM, IPPROTO_TCP, NULL, 0,
                     WSA_FLAG_OVERLAPPED);
  if (ln->s == INVALID_SOCKET) {
    snprintf(err, errlen, "listener %u (%s port %u): socket: error %d",
             (unsigned)index, ln->address, (unsigned)ln->port,
             WSAGetLastError());
    return IWS_E_SYSTEM;
  }
  /* Another process must not be able to steal the port (Windows' SO_REUSEADDR
   * would allow it); SO_EXCLUSIVEADDRUSE is the safe choice for servers. */
  setsockopt(ln->s, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, (const char *)&exclusive,
             sizeof(exclusive));
  if (ln->family == AF_INET6) {
    DWORD v6only = c->ipv6_only ? 1 : 0;
    setsockopt(ln->s, IPPROTO_IPV6, IPV6_V6ONLY, (const char *)&v6only,
               sizeof(v6only));
  }
  if (bind(ln->s, (struct sockaddr *)&ss, sslen) != 0) {
    snprintf(err, errlen, "listener %u: bind %s port %u: error %d",
             (unsigned)index, ln->address, (unsigned)ln->port,
             WSAGetLastError());
    return IWS_E_BIND;
  }
  if (listen(ln->s, (int)c->backlog) != 0) {
    snprintf(err, errlen, "listener %u (%s port %u): listen: error %d",
             (unsigned)index, ln->address, (unsigned)ln->port,
             WSAGetLastError());
    return IWS_E_LISTEN;
  }
  sslen = sizeof(ss);
  getsockname(ln->s, (struct sockaddr *)&ss, &sslen);
  ln->port = iws__sockaddr_port(&ss);
  if (!CreateIoCompletionPort((HANDLE)ln->s, be->port, KEY_IO, 0)) {
    snprintf(err, errlen, "cannot associate the listener with the port");
    return IWS_E_SYSTEM;
  }
  return IWS_OK;
}

static void close_listeners(iws__be *be) {
  uint32_t i;
  for (i = 0; i < be->nlisten; i++) {
    if (be->listeners[i].s != INVALID_SOCKET) {
      CancelIoEx((HANDLE)be->listeners[i].s, NULL);
      closesocket(be->listeners[i].s);
    }
    be->listeners[i].s = INVALID_SOCKET;
  }
}

static void stop_threads(iws__be *be, uint32_t count) {
  uint32_t i;
  for (i = 0; i < count; i++)
    PostQueuedCompletionStatus(be->port, 0, KEY_STOP, NULL);
  for (i = 0; i < count; i++) iws__thread_join(be->threads[i].thread);
}

static void free_be(iws__be *be) {
  uint32_t i;
  if (be->threads) {
    for (i = 0; i < be->nthreads; i++) free(be->threads[i].rbuf);
    free(be->threads);
  }
  close_listeners(be);
  if (be->port) CloseHandle(be->port);
  iws__cond_destroy(&be->cond);
  iws__mutex_destroy(&be->lock);
  if (be->wsa_started) WSACleanup();
  free(be);
}

int iws__be_start(iws_server *server, const iws__be_config *config,
                  iws__be **out, char *err, size_t errlen) {
  iws__be *be = calloc(1, sizeof(*be));
  WSADATA wsa;
  uint32_t i, li, accepts;
  int rc;
  if (!be) return IWS_E_NOMEM;
  be->server = server;
  be->config = *config;
  be->nlisten = config->nlisten;
  for (i = 0; i < be->nlisten; i++) {
    be->listeners[i].s = INVALID_SOCKET;
    be->listeners[i].port = config->listen[i].port;
    be->listeners[i].tag = config->listen[i].tag;
    be->listeners[i].address = config->listen[i].address;
  }
  be->nthreads = config->io_threads ? config->io_threads : 1;
  iws__mutex_init(&be->lock);
  iws__cond_init(&be->cond);
  if (WSAStartup(MAKEWORD(2, 2), &wsa) != 0) {
    snprintf(err, errlen, "WSAStartup failed");
    free_be(be);
    return IWS_E_SYSTEM;
  }
  be->wsa_started = 1;
  be->port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0,
                                    be->nthreads);
  if (!be->port) {
    snprintf(err, errlen, "CreateIoCompletionPort: error %lu",
             (unsigned long)GetLastError());
    free_be(be);
    return IWS_E_SYSTEM;
  }
  for (i = 0; i < be->nlisten; i++) {
    rc = bind_listener(be, &be->listeners[i], i, err, errlen);
    if (rc != IWS_OK) {
      free_be(be);
      return rc;
    }
  }
  rc = load_extensions(be, err, errlen);
  if (rc != IWS_OK) {
    free_be(be);
    return rc;
  }
  be->threads = calloc(be->nthreads, sizeof(io_thread));
  if (!be->threads) {
    free_be(be);
    return IWS_E_NOMEM;
  }
  for (i = 0; i < be->nthreads; i++) {
    io_thread *t = &be->threads[i];
    t->be = be;
    t->index = i;
    t->rbuf = malloc(READ_BUFFER_SIZE);
    if (!t->rbuf) {
      free_be(be);
      return IWS_E_NOMEM;
    }
  }
  for (i = 0; i < be->nthreads; i++) {
    if (iws__thread_create(&be->threads[i].thread, io_main, &be->threads[i]) !=
        0) {
      snprintf(err, errlen, "cannot start I/O thread %u", (unsigned)i);
      stop_threads(be, i);
      free_be(be);
      return IWS_E_THREAD;
    }
  }
  accepts = config->accepts_posted ? config->accepts_posted : 2 * be->nthreads;
  iws__mutex_lock(&be->lock);
  for (li = 0; li < be->nlisten; li++) {
    for (i = 0; i < accepts; i++) {
      accept_op *op = calloc(1, sizeof(*op));
      if (!op) break;
      op->s = INVALID_SOCKET;
      op->li = li;
      be->accepts_out++;
      post_accept_locked(be, op);
    }
  }
  iws__mutex_unlock(&be->lock);
  *out = be;
  return IWS_OK;
}

uint32_t iws__be_port(iws__be *be, uint32_t index) {
  return index < be->nlisten ? be->listeners[index].port : 0;
}

void iws__be_stop_accepting(iws__be *be) {
  accept_op *list;
  iws__mutex_lock(&be->lock);
  if (be->accept_stopping) {
    iws__mutex_unlock(&be->lock);
    return;
  }
  be->accept_stopping = 1;
  /* Cancel the pending AcceptEx calls, then close the listeners: each call
   * completes with an error and its port thread frees it. (Closing alone
   * is enough on Windows, not reliably under Wine.) */
  close_listeners(be);
  list = be->accept_retry;
  be->accept_retry = NULL;
  while (list) {
    accept_op *op = list;
    list = op->next_retry;
    accept_op_done_locked(be, op);
  }
  while (be->accepts_out) iws__cond_wait(&be->cond, &be->lock);
  iws__mutex_unlock(&be->lock);
}

void iws__be_stop(iws__be *be) {
  iws__be_stop_accepting(be);
  stop_threads(be, be->nthreads);
  free_be(be);
}
