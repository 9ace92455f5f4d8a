/*
 * epoll.c - the Linux back end: completion semantics (backend.h) over epoll.
 *
 * N loops, one thread each, each with its own epoll set. The listening
 * sockets (one per listener: plain and TLS side by side) are in every set
 * with EPOLLEXCLUSIVE, so an incoming connection wakes one loop, which
 * accepts it and owns it for life: its reads and its close happen
 * on that loop's thread. Writes come from any thread (the core serialises
 * them per socket); when the kernel buffer is full the socket waits for an
 * EPOLLOUT edge, which is reported as a zero-byte write completion.
 * Requests from other threads (close, resume reading, stop) travel through a
 * per-loop queue and an eventfd.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "../../platform/platform.h"
#include "../backend.h"
#include "../sockaddr.h"

#define READ_BUFFER_SIZE (64 * 1024)
/* Reads of one socket per turn (at most 256 KiB); then the other ready
 * sockets have theirs (REQ_MORE) before it reads again. Was 16 (1 MiB): a
 * client that refills its socket as fast as its answers come (loopback,
 * an idle machine) kept one socket read for 64 messages of 16 KiB while
 * every other waited (pipelined 16 KiB: p50 0.14 ms, p99 108 ms,
 * tests/bench/RESULTS.md). 1 cost a third more CPU per message there (a
 * turn per 64 KiB); 4 is as cheap as 16. */
#define READS_PER_EVENT 4
#define ACCEPTS_PER_EVENT 64
#define ACCEPT_BACKOFF_MS 200 /* after EMFILE/ENFILE */
#define EVENTS_PER_WAIT 256

typedef struct loop loop;

/* Pending cross-thread requests on a socket (bit set). */
#define REQ_CLOSE 1u
#define REQ_RESUME 2u /* the core lifts its pause */
#define REQ_MORE 4u   /* read on after yielding to other sockets */
#define REQ_FLUSH 8u  /* the core's posted flush */

/* One per connection, so small fields (48 bytes: malloc's 64-byte class). */
struct iws__sock {
  loop *owner;
  iws__conn *conn;
  iws__sock *next_request;      /* owner->requests list */
  int fd;
  volatile uint32_t want_write; /* a write is waiting for EPOLLOUT */
  volatile uint32_t closing;
  uint8_t requests;             /* REQ_*, under owner->lock */
  uint8_t abortive;             /* under owner->lock */
  uint8_t read_paused;          /* owner thread only */
  uint8_t read_eof;             /* owner thread only */
  uint8_t hangup_seen;          /* owner thread: FIN/RST/error signalled */
};

struct loop {
  iws__be *be;
  uint32_t index;
  int epfd;
  int wakefd;
  iws__thread thread;
  iws__mutex lock; /* requests list and flags below */
  iws__sock *requests;
  int stop;           /* end the thread */
  int drop_listener;  /* remove the listening socket from this loop */
  int listener_added; /* owner thread only: the listeners are in the set */
  uint64_t listener_retry_at;
  uint8_t *rbuf;
};

typedef struct listener {
  int fd;
  uint32_t port, tag;
  const char *address; /* valid during iws__be_start only */
} listener;

struct iws__be {
  iws_server *server;
  iws__be_config config;
  listener listeners[IWS__LISTEN_MAX]; /* epoll_event.data.ptr for them */
  uint32_t nlisten;
  int listening;
  uint32_t nloops;
  loop *loops;
  iws__mutex lock;
  iws__cond cond;
  uint32_t listener_drops; /* loops that removed the listener */
};

/* Tag for the wake-up fd in epoll_event.data.ptr. */
static char wake_tag;

/* The listener `tag` points at, or NULL: one range check, as every event
 * of every socket asks (there may be up to IWS__LISTEN_MAX listeners). */
static listener *as_listener(iws__be *be, void *tag) {
  uintptr_t off = (uintptr_t)tag - (uintptr_t)&be->listeners[0];
  if (off >= (uintptr_t)be->nlisten * sizeof(listener) ||
      off % sizeof(listener) != 0)
    return NULL;
  return &be->listeners[off / sizeof(listener)];
}

const char *iws__be_name(void) { return "epoll"; }

static void loop_wake(loop *l) {
  uint64_t one = 1;
  ssize_t r = write(l->wakefd, &one, sizeof(one));
  (void)r; /* EAGAIN means a wake-up is already pending */
}

static void post_request(iws__sock *s, uint32_t req) {
  loop *l = s->owner;
  int was_empty;
  iws__mutex_lock(&l->lock);
  was_empty = l->requests == NULL;
  if (s->requests == 0) {
    s->next_request = l->requests;
    l->requests = s;
  }
  s->requests = (uint8_t)(s->requests | req);
  iws__mutex_unlock(&l->lock);
  if (was_empty) loop_wake(l);
}

/* ---- accepting ---- */

static void listener_remove(loop *l) {
  uint32_t i;
  if (!l->listener_added) return;
  for (i = 0; i < l->be->nlisten; i++)
    epoll_ctl(l->epfd, EPOLL_CTL_DEL, l->be->listeners[i].fd, NULL);
  l->listener_added = 0;
}

static int listener_add(loop *l) {
  uint32_t i;
  for (i = 0; i < l->be->nlisten; i++) {
    struct epoll_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.events = EPOLLIN | EPOLLEXCLUSIVE;
    ev.data.ptr = &l->be->listeners[i];
    if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->be->listeners[i].fd, &ev) != 0) {
      while (i-- > 0)
        epoll_ctl(l->epfd, EPOLL_CTL_DEL, l->be->listeners[i].fd, NULL);
      return -1;
    }
  }
  l->listener_added = 1;
  return 0;
}

/* IWS_OPT_TCP_KEEPALIVE*: Linux counts in seconds (rounded up) and takes
 * the probe count separately (10, Windows' fixed count). */
static void set_keepalive(iws__be *be, int fd) {
  int on = 1, idle, intvl, cnt = 10;
  idle = (int)((be->config.keepalive_time_ms + 999) / 1000);
  intvl = (int)((be->config.keepalive_interval_ms + 999) / 1000);
  if (setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on)) != 0 ||
      setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle)) != 0 ||
      setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl)) != 0 ||
      setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt)) != 0)
    iws__core_log(be->server, IWS_LOG_WARN,
                  "accept: cannot set TCP keep-alive: %s", strerror(errno));
}

static void on_accept(loop *l, listener *ln) {
  iws__be *be = l->be;
  int i;
  for (i = 0; i < ACCEPTS_PER_EVENT; i++) {
    struct sockaddr_storage ss;
    socklen_t sslen = sizeof(ss);
    iws__addr peer, local;
    iws__sock *s;
    struct epoll_event ev;
    int fd = accept4(ln->fd, (struct sockaddr *)&ss, &sslen,
                     SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
          errno == ENOMEM) {
        /* Out of descriptors: the pending connection stays in the backlog
         * and the listener would report it forever. Step back instead of
         * spinning, and try again later. */
        iws__core_log(be->server, IWS_LOG_ERROR,
                      "accept: %s; pausing accepts for %d ms", strerror(errno),
                      ACCEPT_BACKOFF_MS);
        listener_remove(l);
        l->listener_retry_at = iws__now_ms() + ACCEPT_BACKOFF_MS;
      }
      return; /* EAGAIN, or an error reported above */
    }
    if (be->config.tcp_nodelay) {
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    if (be->config.keepalive) set_keepalive(be, fd);
    s = calloc(1, sizeof(*s));
    if (!s) {
      iws__core_log(be->server, IWS_LOG_ERROR, "accept: out of memory");
      close(fd);
      continue;
    }
    s->fd = fd;
    s->owner = l;
    iws__sockaddr_to_addr((const struct sockaddr *)&ss, &peer);
    sslen = sizeof(ss); /* the local end: the address the client reached */
    if (getsockname(fd, (struct sockaddr *)&ss, &sslen) == 0)
      iws__sockaddr_to_addr((const struct sockaddr *)&ss, &local);
    else
      iws__sockaddr_to_addr(NULL, &local);
    s->conn = iws__core_accept(be->server, s, &peer, &local, ln->tag);
    if (!s->conn) {
      close(fd);
      free(s);
      continue;
    }
    memset(&ev, 0, sizeof(ev));
    /* Edge-triggered: one registration for life, no epoll_ctl per event. */
    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    ev.data.ptr = s;
    if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
      /* The core already knows the socket: report it broken through the
       * normal path so that its bookkeeping runs. */
      iws__core_read(s->conn, NULL, 0, errno);
    }
  }
}

/* ---- reading ---- */

static void sock_read(loop *l, iws__sock *s) {
  int i;
  if (iws__atomic_load32(&s->closing) || s->read_paused || s->read_eof) return;
  for (i = 0; i < READS_PER_EVENT; i++) {
    /* recv, not read: read goes through the VFS layer first (vfs_read,
     * fdget_pos, the file checks), a measurable part of a small
     * message's cost (issue 18's profile); recv goes to the socket. */
    ssize_t n = recv(s->fd, l->rbuf, READ_BUFFER_SIZE, 0);
    if (n > 0) {
      if (iws__core_read(s->conn, l->rbuf, (size_t)n, 0) == IWS__READ_PAUSE)
        s->read_paused = 1;
      if (iws__atomic_load32(&s->closing) || s->read_paused) return;
      /* A short read emptied the kernel buffer: the next arrival raises a
       * new edge, so there is no need to ask again now - unless the peer's
       * FIN or reset came with this edge: no further edge will announce
       * it, so read on until it shows. */
      if ((size_t)n < READ_BUFFER_SIZE && !s->hangup_seen) return;
      continue;
    }
    if (n == 0) {
      s->read_eof = 1;
      iws__core_read(s->conn, NULL, 0, 0);
      return;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return;
    s->read_eof = 1;
    iws__core_read(s->conn, NULL, 0, errno);
    return;
  }
  /* Still more to read: come back after the other sockets had their turn
   * (the edge will not fire again for bytes already there). */
  post_request(s, REQ_MORE);
}

/* ---- writing (any thread) ---- */

int64_t iws__be_write(iws__sock *s, const iws__iov *iov, int iovcnt) {
  struct msghdr msg;
  ssize_t n;
  /* Set before the attempt so that an EPOLLOUT edge racing with it is never
   * lost; a spurious zero-byte completion is harmless. */
  iws__atomic_store32(&s->want_write, 1);
  memset(&msg, 0, sizeof(msg));
  msg.msg_iov = (struct iovec *)(void *)iov;
  msg.msg_iovlen = (size_t)iovcnt;
  /* sendmsg with MSG_NOSIGNAL, not writev: a peer that reset must give
   * EPIPE, never SIGPIPE, which would kill the host process. */
  /* One buffer (the common echo: one frame): send(), which skips
   * sendmsg's copy and check of the message header and iovec. */
  do {
    n = iovcnt == 1 ? send(s->fd, iov[0].base, iov[0].len, MSG_NOSIGNAL)
                    : sendmsg(s->fd, &msg, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  if (n > 0) {
    iws__atomic_store32(&s->want_write, 0);
    return (int64_t)n;
  }
  if (n == 0) return IWS__BE_PENDING; /* never report "0 now" */
  if (errno == EAGAIN || errno == EWOULDBLOCK) return IWS__BE_PENDING;
  iws__atomic_store32(&s->want_write, 0);
  return IWS__BE_ERROR;
}

/* sendfile has no MSG_NOSIGNAL: a peer that reset would raise SIGPIPE and
 * kill the host. SIGPIPE is blocked on this thread around the call, and a
 * SIGPIPE the call raised (thread-directed, so pending here) is consumed
 * before the mask is restored. */
static ssize_t sendfile_nosigpipe(int out, int in, off_t *off, size_t len) {
  sigset_t pipe_set, old, pending;
  int was_pending;
  ssize_t n;
  int err;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  sigpending(&pending);
  was_pending = sigismember(&pending, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
  do {
    n = sendfile(out, in, off, len);
  } while (n < 0 && errno == EINTR);
  err = errno;
  /* Also after a partial count: the kernel may raise SIGPIPE for the part
   * it could not send and still report the bytes it did. */
  if (!was_pending && sigpending(&pending) == 0 &&
      sigismember(&pending, SIGPIPE)) {
    struct timespec zero = {0, 0};
    while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR) {
    }
  }
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  errno = err;
  return n;
}

int64_t iws__be_write_file(iws__sock *s, iws__file *file, uint64_t offset,
                           size_t length) {
  off_t off = (off_t)offset;
  ssize_t n;
  if (offset > (uint64_t)INT64_MAX || length == 0) return IWS__BE_ERROR;
  if (length > 0x40000000u) length = 0x40000000u; /* sendfile's limit is
                                                     a little under 2 GiB */
  iws__atomic_store32(&s->want_write, 1); /* as in iws__be_write */
  n = sendfile_nosigpipe(s->fd, (int)iws__file_os_handle(file), &off, length);
  if (n > 0) {
    iws__atomic_store32(&s->want_write, 0);
    return (int64_t)n;
  }
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
    return IWS__BE_PENDING;
  /* 0: the file ends before the bytes promised (truncated meanwhile). */
  iws__atomic_store32(&s->want_write, 0);
  return IWS__BE_ERROR;
}

void iws__be_shutdown(iws__sock *s) { shutdown(s->fd, SHUT_WR); }

void iws__be_close(iws__sock *s, int abortive) {
  iws__atomic_store32(&s->closing, 1);
  iws__mutex_lock(&s->owner->lock);
  s->abortive = (uint8_t)(abortive != 0);
  iws__mutex_unlock(&s->owner->lock);
  post_request(s, REQ_CLOSE);
}

void iws__be_read_resume(iws__sock *s) { post_request(s, REQ_RESUME); }

int iws__be_post_flush(iws__sock *s) {
  post_request(s, REQ_FLUSH);
  return 0;
}

/* ---- the loop ---- */

static void sock_finish_close(loop *l, iws__sock *s, int abortive) {
  epoll_ctl(l->epfd, EPOLL_CTL_DEL, s->fd, NULL);
  if (abortive) {
    struct linger lg;
    lg.l_onoff = 1;
    lg.l_linger = 0;
    setsockopt(s->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
  }
  close(s->fd);
  iws__core_closed(s->conn);
  free(s);
}

/* Runs the requests other threads posted. Called between event batches
 * only, so that no event of the current batch refers to a freed socket. */
static int run_requests(loop *l) {
  iws__sock *list, *s;
  int stop, drop;
  iws__mutex_lock(&l->lock);
  list = l->requests;
  l->requests = NULL;
  stop = l->stop;
  drop = l->drop_listener;
  l->drop_listener = 0;
  iws__mutex_unlock(&l->lock);
  if (drop) {
    listener_remove(l);
    l->listener_retry_at = 0;
    iws__mutex_lock(&l->be->lock);
    l->be->listener_drops++;
    iws__cond_broadcast(&l->be->cond);
    iws__mutex_unlock(&l->be->lock);
  }
  while (list) {
    uint32_t req;
    int abortive;
    s = list;
    iws__mutex_lock(&l->lock);
    list = s->next_request;
    req = s->requests;
    abortive = s->abortive;
    s->requests = 0;
    s->next_request = NULL;
    iws__mutex_unlock(&l->lock);
    if (req & REQ_CLOSE) {
      sock_finish_close(l, s, abortive);
    } else {
      if ((req & REQ_FLUSH) && !iws__atomic_load32(&s->closing))
        iws__core_flush(s->conn);
      if (req & REQ_RESUME) {
        s->read_paused = 0;
        if (!iws__atomic_load32(&s->closing) &&
            iws__core_resumed(s->conn) == IWS__READ_PAUSE)
          s->read_paused = 1;
      }
      if (req & (REQ_RESUME | REQ_MORE)) sock_read(l, s);
    }
  }
  return stop;
}

static void loop_main(void *arg) {
  loop *l = arg;
  iws__be *be = l->be;
  struct epoll_event events[EVENTS_PER_WAIT];
  uint64_t next_tick = iws__now_ms() + IWS__TICK_MS;
  for (;;) {
    int n, i, timeout = -1;
    uint64_t now;
    if (run_requests(l)) break;
    now = iws__now_ms();
    if (l->index == 0) {
      if (now >= next_tick) {
        iws__core_tick(be->server);
        next_tick = now + IWS__TICK_MS;
      }
      timeout = (int)(next_tick - now);
    }
    if (l->listener_retry_at) {
      if (now >= l->listener_retry_at) {
        l->listener_retry_at = 0;
        if (listener_add(l) != 0)
          l->listener_retry_at = now + ACCEPT_BACKOFF_MS;
      }
      if (l->listener_retry_at) {
        int wait = (int)(l->listener_retry_at - now);
        if (timeout < 0 || wait < timeout) timeout = wait;
      }
    }
    n = epoll_wait(l->epfd, events, EVENTS_PER_WAIT, timeout);
    if (n < 0) {
      if (errno == EINTR) continue;
      iws__core_log(be->server, IWS_LOG_ERROR, "epoll_wait: %s",
                    strerror(errno));
      break;
    }
    for (i = 0; i < n; i++) {
      void *tag = events[i].data.ptr;
      uint32_t ev = events[i].events;
      if (tag == &wake_tag) {
        uint64_t v;
        ssize_t r = read(l->wakefd, &v, sizeof(v));
        (void)r;
      } else if (as_listener(be, tag)) {
        if (l->listener_added) on_accept(l, as_listener(be, tag));
      } else {
        iws__sock *s = tag;
        if (iws__atomic_load32(&s->closing)) continue;
        if (ev & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) s->hangup_seen = 1;
        if ((ev & EPOLLOUT) && iws__atomic_exchange32(&s->want_write, 0))
          iws__core_write_done(s->conn, 0, 0);
        if (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) sock_read(l, s);
      }
    }
  }
}

/* ---- start / stop ---- */

static int bind_listener(iws__be *be, listener *ln, uint32_t index,
                         char *err, size_t errlen) {
  const iws__be_config *c = &be->config;
  struct sockaddr_storage ss;
  socklen_t sslen;
  int fd, one = 1, len, rc;
  char why[300];
  rc = iws__sockaddr_parse(ln->address, ln->port, &ss, &len, why,
                           sizeof(why));
  if (rc != IWS_OK) {
    snprintf(err, errlen, "listener %u: %s", (unsigned)index, why);
    return rc;
  }
  sslen = (socklen_t)len;
  fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    snprintf(err, errlen, "listener %u (%s port %u): socket: %s",
             (unsigned)index, ln->address, (unsigned)ln->port,
             strerror(errno));
    return IWS_E_SYSTEM;
  }
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (ss.ss_family == AF_INET6) {
    int v6only = c->ipv6_only ? 1 : 0;
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only));
  }
  if (bind(fd, (struct sockaddr *)&ss, sslen) != 0) {
    snprintf(err, errlen, "listener %u: bind %s port %u: %s",
             (unsigned)index, ln->address, (unsigned)ln->port,
             strerror(errno));
    close(fd);
    return IWS_E_BIND;
  }
  if (listen(fd, (int)c->backlog) != 0) {
    snprintf(err, errlen, "listener %u (%s port %u): listen: %s",
             (unsigned)index, ln->address, (unsigned)ln->port,
             strerror(errno));
    close(fd);
    return IWS_E_LISTEN;
  }
  sslen = sizeof(ss);
  getsockname(fd, (struct sockaddr *)&ss, &sslen);
  ln->port = iws__sockaddr_port(&ss);
  ln->fd = fd;
  return IWS_OK;
}

static void close_listeners(iws__be *be) {
  uint32_t i;
  for (i = 0; i < be->nlisten; i++) {
    if (be->listeners[i].fd >= 0) close(be->listeners[i].fd);
    be->listeners[i].fd = -1;
  }
}

static void free_loops(iws__be *be, uint32_t count) {
  uint32_t i;
  for (i = 0; i < count; i++) {
    loop *l = &be->loops[i];
    if (l->epfd >= 0) close(l->epfd);
    if (l->wakefd >= 0) close(l->wakefd);
    iws__mutex_destroy(&l->lock);
    free(l->rbuf);
  }
}

static void join_loops(iws__be *be, uint32_t count) {
  uint32_t i;
  for (i = 0; i < count; i++) {
    loop *l = &be->loops[i];
    iws__mutex_lock(&l->lock);
    l->stop = 1;
    iws__mutex_unlock(&l->lock);
    loop_wake(l);
  }
  for (i = 0; i < count; i++) iws__thread_join(be->loops[i].thread);
}

int iws__be_start(iws_server *server, const iws__be_config *config,
                  iws__be **out, char *err, size_t errlen) {
  iws__be *be = calloc(1, sizeof(*be));
  uint32_t i, started = 0;
  int rc;
  if (!be) return IWS_E_NOMEM;
  be->server = server;
  be->config = *config;
  be->nlisten = config->nlisten;
  for (i = 0; i < be->nlisten; i++) {
    be->listeners[i].fd = -1;
    be->listeners[i].port = config->listen[i].port;
    be->listeners[i].tag = config->listen[i].tag;
    be->listeners[i].address = config->listen[i].address;
  }
  be->nloops = config->io_threads ? config->io_threads : 1;
  iws__mutex_init(&be->lock);
  iws__cond_init(&be->cond);
  for (i = 0; i < be->nlisten; i++) {
    rc = bind_listener(be, &be->listeners[i], i, err, errlen);
    if (rc != IWS_OK) goto fail_listen;
  }
  be->listening = 1;
  be->loops = calloc(be->nloops, sizeof(loop));
  if (!be->loops) {
    rc = IWS_E_NOMEM;
    goto fail_listen;
  }
  for (i = 0; i < be->nloops; i++) {
    loop *l = &be->loops[i];
    struct epoll_event ev;
    l->be = be;
    l->index = i;
    iws__mutex_init(&l->lock);
    l->epfd = epoll_create1(EPOLL_CLOEXEC);
    l->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    l->rbuf = malloc(READ_BUFFER_SIZE);
    memset(&ev, 0, sizeof(ev));
    ev.events = EPOLLIN;
    ev.data.ptr = &wake_tag;
    if (l->epfd < 0 || l->wakefd < 0 || !l->rbuf ||
        epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->wakefd, &ev) != 0 ||
        listener_add(l) != 0) {
      snprintf(err, errlen, "epoll set-up: %s", strerror(errno));
      free_loops(be, i + 1);
      rc = IWS_E_SYSTEM;
      goto fail_loops;
    }
  }
  for (i = 0; i < be->nloops; i++) {
    if (iws__thread_create(&be->loops[i].thread, loop_main, &be->loops[i]) !=
        0) {
      snprintf(err, errlen, "cannot start I/O thread %u", (unsigned)i);
      join_loops(be, started);
      free_loops(be, be->nloops);
      rc = IWS_E_THREAD;
      goto fail_loops;
    }
    started++;
  }
  *out = be;
  return IWS_OK;

fail_loops:
  free(be->loops);
fail_listen:
  close_listeners(be);
  iws__cond_destroy(&be->cond);
  iws__mutex_destroy(&be->lock);
  free(be);
  return rc;
}

uint32_t iws__be_port(iws__be *be, uint32_t index) {
  return index < be->nlisten ? be->listeners[index].port : 0;
}

void iws__be_stop_accepting(iws__be *be) {
  uint32_t i;
  if (!be->listening) return;
  for (i = 0; i < be->nloops; i++) {
    loop *l = &be->loops[i];
    iws__mutex_lock(&l->lock);
    l->drop_listener = 1;
    iws__mutex_unlock(&l->lock);
    loop_wake(l);
  }
  /* Close only when no loop can be inside accept4() on it any more, or the
   * descriptor number could be reused under its feet. */
  iws__mutex_lock(&be->lock);
  while (be->listener_drops < be->nloops) iws__cond_wait(&be->cond, &be->lock);
  iws__mutex_unlock(&be->lock);
  close_listeners(be);
  be->listening = 0;
}

void iws__be_stop(iws__be *be) {
  iws__be_stop_accepting(be);
  join_loops(be, be->nloops);
  free_loops(be, be->nloops);
  free(be->loops);
  iws__cond_destroy(&be->cond);
  iws__mutex_destroy(&be->lock);
  free(be);
}
