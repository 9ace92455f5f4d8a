/*
 * platform.h - the few OS services the portable core needs: threads, mutexes,
 * condition variables, atomics, a monotonic clock and thread-local keys.
 * Implemented in dll/platform/posix.c and dll/platform/win32.c. Nothing here
 * knows about sockets or event loops: that is the back end's business.
 */
#ifndef IWS_PLATFORM_H
#define IWS_PLATFORM_H

#include <stddef.h>
#include <stdint.h>

#ifdef _WIN32
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>
typedef SRWLOCK iws__mutex;
typedef CONDITION_VARIABLE iws__cond;
typedef HANDLE iws__thread;
#else
#include <pthread.h>
typedef pthread_mutex_t iws__mutex;
typedef pthread_cond_t iws__cond;
typedef pthread_t iws__thread;
#endif

void iws__mutex_init(iws__mutex *m);
void iws__mutex_destroy(iws__mutex *m);
void iws__mutex_lock(iws__mutex *m);
void iws__mutex_unlock(iws__mutex *m);

void iws__cond_init(iws__cond *c);
void iws__cond_destroy(iws__cond *c);
void iws__cond_wait(iws__cond *c, iws__mutex *m);
/* Waits at most timeout_ms; returns 0 when signalled (or spuriously), 1 on
 * timeout. */
int iws__cond_timedwait(iws__cond *c, iws__mutex *m, uint32_t timeout_ms);
void iws__cond_signal(iws__cond *c);
void iws__cond_broadcast(iws__cond *c);

typedef void (*iws__thread_fn)(void *arg);
/* Returns 0 or -1. */
int iws__thread_create(iws__thread *t, iws__thread_fn fn, void *arg);
void iws__thread_join(iws__thread t);

/* Milliseconds from an arbitrary origin, never going backwards. */
uint64_t iws__now_ms(void);

/* Wall-clock time: milliseconds since 1970-01-01 UTC (may jump). */
uint64_t iws__wall_ms(void);

/* Gives freed heap memory back to the system where the C library keeps it
 * (glibc's arenas after large buffers went); elsewhere nothing to do. */
void iws__mem_trim(void);

/* Number of logical CPUs (at least 1). */
uint32_t iws__cpu_count(void);

/* A thread-local slot with a destructor run at thread exit (for per-thread
 * caches the library creates lazily on threads it does not own). */
typedef struct iws__tlocal_key iws__tlocal_key;
iws__tlocal_key *iws__tlocal_key_create(void (*destructor)(void *));
void iws__tlocal_key_delete(iws__tlocal_key *key);
void *iws__tlocal_get(iws__tlocal_key *key);
void iws__tlocal_set(iws__tlocal_key *key, void *value);

/* Files, for static file serving (Since 0.5). Paths are UTF-8. An open,
 * read-only regular file: */
typedef struct iws__file iws__file;

/* Opens a regular file (UTF-8 path). Returns 0 and fills *out, *size and
 * *mtime (seconds since 1970, UTC); or IWS_E_FILE (missing, unreadable,
 * a directory or device). */
int32_t iws__file_open(const char *path, iws__file **out, uint64_t *size,
                       int64_t *mtime);
void iws__file_close(iws__file *file);
/* Reads up to len bytes at offset (positional: no shared file pointer).
 * Returns 0 with *got (0 = end of file), or -1. */
int iws__file_read(iws__file *f, uint64_t offset, void *buf, size_t len,
                   size_t *got);
/* The OS handle for the back end: the descriptor (POSIX) or the HANDLE. */
intptr_t iws__file_os_handle(const iws__file *f);
/* The canonical path of the open file (symlinks resolved; on Windows
 * GetFinalPathNameByHandleW's form). Returns 0, or -1 (also when it does
 * not fit in size bytes with its NUL). */
int iws__file_real_path(iws__file *f, char *out, size_t size);
/* The canonical path of an existing file or directory, as above, and
 * whether it is a directory. Returns 0, or -1 (missing, no access, or
 * too long). */
int iws__path_real(const char *path, char *out, size_t size, int *is_dir);
/* The directory separator of canonical paths. */
#ifdef _WIN32
#define IWS__PATH_SEP '\\'
#else
#define IWS__PATH_SEP '/'
#endif

/* Atomics on plain integers: sequentially consistent unless named _relaxed. */
#if defined(_MSC_VER) && !defined(__clang__)
#include <intrin.h>
#define IWS_THREAD_LOCAL __declspec(thread)
static __inline uint64_t iws__atomic_add64(volatile uint64_t *p, int64_t v) {
  return (uint64_t)_InterlockedExchangeAdd64((volatile long long *)p, v) + v;
}
static __inline uint64_t iws__atomic_load64(volatile uint64_t *p) {
  return (uint64_t)_InterlockedCompareExchange64((volatile long long *)p, 0, 0);
}
static __inline void iws__atomic_store64(volatile uint64_t *p, uint64_t v) {
  /* a compare-exchange loop: _InterlockedExchange64 is no intrinsic in
   * 32-bit MSVC builds, _InterlockedCompareExchange64 is */
  long long old;
  do {
    old = _InterlockedCompareExchange64((volatile long long *)p, 0, 0);
  } while (_InterlockedCompareExchange64((volatile long long *)p, (long long)v,
                                         old) != old);
}
static __inline uint32_t iws__atomic_add32(volatile uint32_t *p, int32_t v) {
  return (uint32_t)_InterlockedExchangeAdd((volatile long *)p, v) + v;
}
static __inline uint32_t iws__atomic_load32(volatile uint32_t *p) {
  return (uint32_t)_InterlockedCompareExchange((volatile long *)p, 0, 0);
}
static __inline void iws__atomic_store32(volatile uint32_t *p, uint32_t v) {
  _InterlockedExchange((volatile long *)p, (long)v);
}
static __inline uint32_t iws__atomic_exchange32(volatile uint32_t *p,
                                                uint32_t v) {
  return (uint32_t)_InterlockedExchange((volatile long *)p, (long)v);
}
#define iws__atomic_add64_relaxed iws__atomic_add64
/* A counter with one writer, read anywhere (see iws__atomic_bump64 below);
 * here (32-bit MSVC has no plain 64-bit atomic store) an interlocked add. */
#define iws__atomic_bump64 iws__atomic_add64
#define iws__atomic_load64_relaxed iws__atomic_load64
static __inline void *iws__atomic_load_ptr(void *volatile *p) {
  return InterlockedCompareExchangePointer(p, NULL, NULL);
}
static __inline int iws__atomic_cas_ptr(void *volatile *p, void *expected,
                                        void *desired) {
  return InterlockedCompareExchangePointer(p, desired, expected) == expected;
}
#else
#define IWS_THREAD_LOCAL _Thread_local
static inline uint64_t iws__atomic_add64(volatile uint64_t *p, int64_t v) {
  return __atomic_add_fetch(p, (uint64_t)v, __ATOMIC_SEQ_CST);
}
static inline uint64_t iws__atomic_add64_relaxed(volatile uint64_t *p,
                                                 int64_t v) {
  return __atomic_add_fetch(p, (uint64_t)v, __ATOMIC_RELAXED);
}
static inline uint64_t iws__atomic_load64(volatile uint64_t *p) {
  return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}
/* Adds v to a counter only this thread writes (others only read it): a
 * relaxed load and store, no read-modify-write (no locked instruction). */
static inline void iws__atomic_bump64(volatile uint64_t *p, int64_t v) {
  __atomic_store_n(p, __atomic_load_n(p, __ATOMIC_RELAXED) + (uint64_t)v,
                   __ATOMIC_RELAXED);
}
static inline uint64_t iws__atomic_load64_relaxed(volatile uint64_t *p) {
  return __atomic_load_n(p, __ATOMIC_RELAXED);
}
static inline void iws__atomic_store64(volatile uint64_t *p, uint64_t v) {
  __atomic_store_n(p, v, __ATOMIC_SEQ_CST);
}
static inline uint32_t iws__atomic_add32(volatile uint32_t *p, int32_t v) {
  return __atomic_add_fetch(p, (uint32_t)v, __ATOMIC_SEQ_CST);
}
static inline uint32_t iws__atomic_load32(volatile uint32_t *p) {
  return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}
static inline void iws__atomic_store32(volatile uint32_t *p, uint32_t v) {
  __atomic_store_n(p, v, __ATOMIC_SEQ_CST);
}
static inline uint32_t iws__atomic_exchange32(volatile uint32_t *p,
                                              uint32_t v) {
  return __atomic_exchange_n(p, v, __ATOMIC_SEQ_CST);
}
/* Stores desired if *p == expected; returns non-zero when it did. */
static inline int iws__atomic_cas_ptr(void *volatile *p, void *expected,
                                      void *desired) {
  return __atomic_compare_exchange_n(p, &expected, desired, 0,
                                     __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}
static inline void *iws__atomic_load_ptr(void *volatile *p) {
  return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}
#endif

/* The key in *slot, created on first use by whichever thread comes first
 * (the others delete theirs); NULL out of memory. */
static inline iws__tlocal_key *iws__tlocal_key_once(
    iws__tlocal_key *volatile *slot, void (*destructor)(void *)) {
  iws__tlocal_key *key = iws__atomic_load_ptr((void *volatile *)slot);
  if (!key) {
    iws__tlocal_key *fresh = iws__tlocal_key_create(destructor);
    if (!fresh) return NULL;
    if (!iws__atomic_cas_ptr((void *volatile *)slot, NULL, fresh))
      iws__tlocal_key_delete(fresh);
    key = iws__atomic_load_ptr((void *volatile *)slot);
  }
  return key;
}

#endif /* IWS_PLATFORM_H */
