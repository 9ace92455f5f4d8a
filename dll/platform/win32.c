/* win32.c - platform.h on Windows (Vista and later: SRW locks, condition
 * variables, fiber-local storage with destructors). */
#include "../core/platform.h"

#include <process.h>
#include <stdlib.h>

void iws__mutex_init(iws__mutex *m) { InitializeSRWLock(m); }
void iws__mutex_destroy(iws__mutex *m) { (void)m; }
void iws__mutex_lock(iws__mutex *m) { AcquireSRWLockExclusive(m); }
void iws__mutex_unlock(iws__mutex *m) { ReleaseSRWLockExclusive(m); }

void iws__cond_init(iws__cond *c) { InitializeConditionVariable(c); }
void iws__cond_destroy(iws__cond *c) { (void)c; }
void iws__cond_wait(iws__cond *c, iws__mutex *m) {
  SleepConditionVariableSRW(c, m, INFINITE, 0);
}
int iws__cond_timedwait(iws__cond *c, iws__mutex *m, uint32_t timeout_ms) {
  if (SleepConditionVariableSRW(c, m, timeout_ms, 0)) return 0;
  return GetLastError() == ERROR_TIMEOUT ? 1 : 0;
}
void iws__cond_signal(iws__cond *c) { WakeConditionVariable(c); }
void iws__cond_broadcast(iws__cond *c) { WakeAllConditionVariable(c); }

typedef struct thread_start {
  iws__thread_fn fn;
  void *arg;
} thread_start;

static unsigned __stdcall thread_main(void *p) {
  thread_start start = *(thread_start *)p;
  free(p);
  start.fn(start.arg);
  return 0;
}

int iws__thread_create(iws__thread *t, iws__thread_fn fn, void *arg) {
  thread_start *start = malloc(sizeof(*start));
  uintptr_t h;
  if (!start) return -1;
  start->fn = fn;
  start->arg = arg;
  /* _beginthreadex, not CreateThread: the C runtime of the thread is set
   * up and torn down properly. */
  h = _beginthreadex(NULL, 0, thread_main, start, 0, NULL);
  if (h == 0) {
    free(start);
    return -1;
  }
  *t = (HANDLE)h;
  return 0;
}

void iws__thread_join(iws__thread t) {
  WaitForSingleObject(t, INFINITE);
  CloseHandle(t);
}

uint64_t iws__now_ms(void) { return (uint64_t)GetTickCount64(); }

uint32_t iws__cpu_count(void) {
  SYSTEM_INFO si;
  GetSystemInfo(&si);
  return si.dwNumberOfProcessors ? (uint32_t)si.dwNumberOfProcessors : 1u;
}

/* Fiber-local storage: unlike TlsAlloc it runs a destructor when a thread
 * exits, which frees the per-thread caches on threads the DLL does not own
 * (a Delphi application's own threads that send). */
struct iws__tls_key {
  DWORD index;
};

/* FLS callbacks are NTAPI (__stdcall on x86): calling a cdecl destructor
 * through that type would unbalance the stack on Win32. The core uses one
 * key, so one trampoline with one destructor slot is enough. */
static void (*volatile fls_destructor)(void *);

static VOID NTAPI fls_trampoline(PVOID value) {
  void (*destructor)(void *) = fls_destructor;
  if (value && destructor) destructor(value);
}

iws__tls_key *iws__tls_key_create(void (*destructor)(void *)) {
  iws__tls_key *k = malloc(sizeof(*k));
  if (!k) return NULL;
  fls_destructor = destructor;
  k->index = FlsAlloc(fls_trampoline);
  if (k->index == FLS_OUT_OF_INDEXES) {
    free(k);
    return NULL;
  }
  return k;
}

void iws__tls_key_delete(iws__tls_key *key) {
  if (!key) return;
  FlsFree(key->index);
  free(key);
}

void *iws__tls_get(iws__tls_key *key) { return FlsGetValue(key->index); }
void iws__tls_set(iws__tls_key *key, void *value) {
  FlsSetValue(key->index, value);
}
