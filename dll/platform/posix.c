/* posix.c - platform.h on POSIX threads. */
#define _GNU_SOURCE
#include "platform.h"

#include "iocpws.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif


void iws__mutex_init(iws__mutex *m) { pthread_mutex_init(m, NULL); }
void iws__mutex_destroy(iws__mutex *m) { pthread_mutex_destroy(m); }
void iws__mutex_lock(iws__mutex *m) { pthread_mutex_lock(m); }
void iws__mutex_unlock(iws__mutex *m) { pthread_mutex_unlock(m); }

void iws__cond_init(iws__cond *c) {
  pthread_condattr_t attr;
  pthread_condattr_init(&attr);
  /* Timed waits measure the monotonic clock: wall-clock jumps must not cut
   * stop's grace period short or stretch it. */
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  pthread_cond_init(c, &attr);
  pthread_condattr_destroy(&attr);
}
void iws__cond_destroy(iws__cond *c) { pthread_cond_destroy(c); }
void iws__cond_wait(iws__cond *c, iws__mutex *m) { pthread_cond_wait(c, m); }

int iws__cond_timedwait(iws__cond *c, iws__mutex *m, uint32_t timeout_ms) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  ts.tv_sec += timeout_ms / 1000;
  ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
  if (ts.tv_nsec >= 1000000000L) {
    ts.tv_sec += 1;
    ts.tv_nsec -= 1000000000L;
  }
  return pthread_cond_timedwait(c, m, &ts) == ETIMEDOUT ? 1 : 0;
}
void iws__cond_signal(iws__cond *c) { pthread_cond_signal(c); }
void iws__cond_broadcast(iws__cond *c) { pthread_cond_broadcast(c); }

typedef struct thread_start {
  iws__thread_fn fn;
  void *arg;
} thread_start;

static void *thread_main(void *p) {
  thread_start start = *(thread_start *)p;
  free(p);
  start.fn(start.arg);
  return NULL;
}

int iws__thread_create(iws__thread *t, iws__thread_fn fn, void *arg) {
  thread_start *start = malloc(sizeof(*start));
  if (!start) return -1;
  start->fn = fn;
  start->arg = arg;
  if (pthread_create(t, NULL, thread_main, start) != 0) {
    free(start);
    return -1;
  }
  return 0;
}

void iws__thread_join(iws__thread t) { pthread_join(t, NULL); }

uint64_t iws__now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t iws__wall_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void iws__mem_trim(void) {
#ifdef __GLIBC__
  /* glibc raises its mmap threshold after large frees and keeps the memory
   * of every arena: bursts of large messages otherwise leave the process
   * holding what it no longer uses. */
  malloc_trim(0);
#endif
}

/* The CPUs this process may run on (taskset, cgroup cpusets), not all the
 * machine's: more I/O threads than that only take turns on the same CPUs,
 * a context switch each time. */
uint32_t iws__cpu_count(void) {
  long n;
#ifdef CPU_COUNT
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
    return (uint32_t)CPU_COUNT(&set);
#endif
  n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? (uint32_t)n : 1u;
}

struct iws__tlocal_key {
  pthread_key_t key;
};

iws__tlocal_key *iws__tlocal_key_create(void (*destructor)(void *)) {
  iws__tlocal_key *k = malloc(sizeof(*k));
  if (!k) return NULL;
  if (pthread_key_create(&k->key, destructor) != 0) {
    free(k);
    return NULL;
  }
  return k;
}

void iws__tlocal_key_delete(iws__tlocal_key *key) {
  if (!key) return;
  pthread_key_delete(key->key);
  free(key);
}

void *iws__tlocal_get(iws__tlocal_key *key) { return pthread_getspecific(key->key); }
void iws__tlocal_set(iws__tlocal_key *key, void *value) {
  pthread_setspecific(key->key, value);
}

/* ---- files (static file serving) ---- */

struct iws__file {
  int fd;
};

int32_t iws__file_open(const char *path, iws__file **out, uint64_t *size,
                       int64_t *mtime) {
  struct stat st;
  iws__file *f;
  int fd;
  *out = NULL;
  /* O_NONBLOCK: a FIFO must not block the opening thread (it is refused
   * below); it has no effect on regular files. */
  do {
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return IWS_E_FILE;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 0) {
    close(fd);
    return IWS_E_FILE;
  }
  f = malloc(sizeof(*f));
  if (!f) {
    close(fd);
    return IWS_E_NOMEM;
  }
  f->fd = fd;
  *size = (uint64_t)st.st_size;
  *mtime = (int64_t)st.st_mtime;
  *out = f;
  return IWS_OK;
}

void iws__file_close(iws__file *f) {
  if (!f) return;
  close(f->fd);
  free(f);
}

int iws__file_read(iws__file *f, uint64_t offset, void *buf, size_t len,
                   size_t *got) {
  ssize_t n;
  *got = 0;
  if (offset > (uint64_t)INT64_MAX) return -1;
  do {
    n = pread(f->fd, buf, len, (off_t)offset);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return -1;
  *got = (size_t)n;
  return 0;
}

intptr_t iws__file_os_handle(const iws__file *f) { return (intptr_t)f->fd; }

int iws__file_real_path(iws__file *f, char *out, size_t size) {
  char link[64];
  ssize_t n;
  struct stat a, b;
  snprintf(link, sizeof(link), "/proc/self/fd/%d", f->fd);
  n = readlink(link, out, size);
  if (n <= 0 || (size_t)n >= size) return -1;
  out[n] = '\0';
  /* A file deleted since it was opened reads "path (deleted)": that is no
   * path to trust. The name must still lead to this very file. */
  if (out[0] != '/' || stat(out, &a) != 0 || fstat(f->fd, &b) != 0 ||
      a.st_dev != b.st_dev || a.st_ino != b.st_ino)
    return -1;
  return 0;
}

int iws__path_real(const char *path, char *out, size_t size, int *is_dir) {
  char *real = realpath(path, NULL);
  struct stat st;
  size_t n;
  if (!real) return -1;
  n = strlen(real);
  if (n >= size || stat(real, &st) != 0) {
    free(real);
    return -1;
  }
  memcpy(out, real, n + 1);
  free(real);
  *is_dir = S_ISDIR(st.st_mode) ? 1 : 0;
  return 0;
}
