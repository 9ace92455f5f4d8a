/*
 * portable.h - the little the test programs need from the OS, for POSIX
 * (pthreads) and Windows (Win32 API, no libwinpthread).
 *
 *   pt_mutex, PT_MUTEX_INITIALIZER, pt_mutex_init/lock/unlock/destroy
 *   pt_thread_start_detached(fn, arg)   fn(arg) on a new detached thread;
 *                                       0 on success, -1 on failure
 *   pt_thread_id, pt_thread_self(), pt_thread_equal(a, b)
 *   pt_sleep_ms(ms)
 *   pt_getline(&line, &cap, stream)     getline(): length read, -1 at EOF
 *   pt_stdio_setup()                    Windows: binary stdin/stdout, stdout
 *                                       unbuffered; POSIX: nothing
 *
 * Atomics are C11 <stdatomic.h> on both (gcc and mingw-w64 gcc).
 *
 * Include it before any other header that may pull in <windows.h>, or after
 * <winsock2.h>: it defines WIN32_LEAN_AND_MEAN so <windows.h> does not bring
 * the old <winsock.h>.
 */
#ifndef IWS_TESTS_PORTABLE_H
#define IWS_TESTS_PORTABLE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#ifdef _WIN32

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#ifndef _WIN32_WINNT
#define _WIN32_WINNT 0x0601 /* SRW locks: Vista and later */
#endif
#include <windows.h>
#include <fcntl.h>
#include <io.h>
#include <process.h>

typedef SRWLOCK pt_mutex;
#define PT_MUTEX_INITIALIZER SRWLOCK_INIT
static inline void pt_mutex_init(pt_mutex *m) { InitializeSRWLock(m); }
static inline void pt_mutex_lock(pt_mutex *m) { AcquireSRWLockExclusive(m); }
static inline void pt_mutex_unlock(pt_mutex *m) { ReleaseSRWLockExclusive(m); }
static inline void pt_mutex_destroy(pt_mutex *m) { (void)m; }

typedef DWORD pt_thread_id;
static inline pt_thread_id pt_thread_self(void) { return GetCurrentThreadId(); }
static inline int pt_thread_equal(pt_thread_id a, pt_thread_id b) {
  return a == b;
}

static inline void pt_sleep_ms(unsigned ms) { Sleep(ms); }

#else /* POSIX */

#include <errno.h>
#include <pthread.h>
#include <time.h>

typedef pthread_mutex_t pt_mutex;
#define PT_MUTEX_INITIALIZER PTHREAD_MUTEX_INITIALIZER
static inline void pt_mutex_init(pt_mutex *m) { pthread_mutex_init(m, NULL); }
static inline void pt_mutex_lock(pt_mutex *m) { pthread_mutex_lock(m); }
static inline void pt_mutex_unlock(pt_mutex *m) { pthread_mutex_unlock(m); }
static inline void pt_mutex_destroy(pt_mutex *m) { pthread_mutex_destroy(m); }

typedef pthread_t pt_thread_id;
static inline pt_thread_id pt_thread_self(void) { return pthread_self(); }
static inline int pt_thread_equal(pt_thread_id a, pt_thread_id b) {
  return pthread_equal(a, b) != 0;
}

static inline void pt_sleep_ms(unsigned ms) {
  struct timespec ts;
  ts.tv_sec = (time_t)(ms / 1000);
  ts.tv_nsec = (long)(ms % 1000) * 1000000L;
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

#endif

/* ---- detached threads ---- */

typedef void (*pt_thread_fn)(void *arg);

typedef struct pt_thread_start_ {
  pt_thread_fn fn;
  void *arg;
} pt_thread_start_;

#ifdef _WIN32
static inline unsigned __stdcall pt_thread_trampoline_(void *p) {
  pt_thread_start_ s = *(pt_thread_start_ *)p;
  free(p);
  s.fn(s.arg);
  return 0;
}
#else
static inline void *pt_thread_trampoline_(void *p) {
  pt_thread_start_ s = *(pt_thread_start_ *)p;
  free(p);
  s.fn(s.arg);
  return NULL;
}
#endif

static inline int pt_thread_start_detached(pt_thread_fn fn, void *arg) {
  pt_thread_start_ *s = malloc(sizeof *s);
  if (s == NULL) return -1;
  s->fn = fn;
  s->arg = arg;
#ifdef _WIN32
  {
    /* _beginthreadex (not CreateThread): the thread uses the C runtime. */
    uintptr_t h = _beginthreadex(NULL, 0, pt_thread_trampoline_, s, 0, NULL);
    if (h == 0) {
      free(s);
      return -1;
    }
    CloseHandle((HANDLE)h);
  }
#else
  {
    pthread_t t;
    pthread_attr_t attr;
    int rc;
    if (pthread_attr_init(&attr) != 0) {
      free(s);
      return -1;
    }
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    rc = pthread_create(&t, &attr, pt_thread_trampoline_, s);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
      free(s);
      return -1;
    }
  }
#endif
  return 0;
}

/* ---- standard streams ---- */

/* getline() for every C library: reads up to and including '\n' into
 * *line (grown with realloc, always NUL-terminated); returns the number of
 * bytes read, -1 at end of file (or on an error) with nothing read. */
static inline ptrdiff_t pt_getline(char **line, size_t *cap, FILE *stream) {
  size_t n = 0;
  int c;
  if (line == NULL || cap == NULL || stream == NULL) return -1;
  if (*line == NULL || *cap == 0) {
    char *p = realloc(*line, 128);
    if (p == NULL) return -1;
    *line = p;
    *cap = 128;
  }
  while ((c = getc(stream)) != EOF) {
    if (n + 2 > *cap) {
      size_t grown = *cap * 2;
      char *p = realloc(*line, grown);
      if (p == NULL) return -1;
      *line = p;
      *cap = grown;
    }
    (*line)[n++] = (char)c;
    if (c == '\n') break;
  }
  (*line)[n] = '\0';
  if (n == 0) return -1;
  return (ptrdiff_t)n;
}

/* Windows: stdin and stdout in binary mode ("\n" stays "\n" both ways; a
 * "\r" from the peer is the reader's to strip), and stdout unbuffered: the
 * C runtime would fully buffer it when it is a pipe (it has no line
 * buffering). Writers still flush after each line. POSIX: nothing. */
static inline void pt_stdio_setup(void) {
#ifdef _WIN32
  _setmode(_fileno(stdin), _O_BINARY);
  _setmode(_fileno(stdout), _O_BINARY);
  setvbuf(stdout, NULL, _IONBF, 0);
#endif
}

#endif /* IWS_TESTS_PORTABLE_H */
