/* win32.c - platform.h on Windows (Vista and later: SRW locks, condition
 * variables, fiber-local storage with destructors). */
#include "platform.h"

#include "iocpws.h"

#include <process.h>
#include <string.h>
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

uint64_t iws__wall_ms(void) {
  FILETIME ft;
  ULARGE_INTEGER t;
  GetSystemTimeAsFileTime(&ft); /* 100 ns units since 1601 */
  t.LowPart = ft.dwLowDateTime;
  t.HighPart = ft.dwHighDateTime;
  return (uint64_t)(t.QuadPart / 10000u) - UINT64_C(11644473600000);
}

/* The Windows heap gives large blocks back by itself (they are mapped on
 * their own); the rest is its business. */
void iws__mem_trim(void) {}

/* The CPUs this process may run on (its affinity mask), as on POSIX. */
uint32_t iws__cpu_count(void) {
  SYSTEM_INFO si;
  DWORD_PTR mask = 0, sys = 0;
  if (GetProcessAffinityMask(GetCurrentProcess(), &mask, &sys) && mask) {
    uint32_t n = 0;
    for (; mask; mask &= mask - 1) n++;
    return n;
  }
  GetSystemInfo(&si);
  return si.dwNumberOfProcessors ? (uint32_t)si.dwNumberOfProcessors : 1u;
}

/* Fiber-local storage: unlike TlsAlloc it runs a destructor when a thread
 * exits, which frees the per-thread caches on threads the DLL does not own
 * (a Delphi application's own threads that send). */
struct iws__tlocal_key {
  DWORD index;
  int slot;
};

/* FLS callbacks are NTAPI (__stdcall on x86): calling a cdecl destructor
 * through that type would unbalance the stack on Win32. So each key gets one
 * of a few trampolines, each with its own destructor slot (the core uses
 * two keys: the frame encoder and the deflate streams; a key made by the
 * loser of a first-use race is deleted again and its slot reused). */
#define FLS_SLOTS 8
static void (*volatile fls_destructors[FLS_SLOTS])(void *);
static volatile LONG fls_slot_used[FLS_SLOTS];

#define FLS_TRAMPOLINE(n)                                  \
  static VOID NTAPI fls_trampoline##n(PVOID value) {       \
    void (*destructor)(void *) = fls_destructors[n];       \
    if (value && destructor) destructor(value);            \
  }
FLS_TRAMPOLINE(0)
FLS_TRAMPOLINE(1)
FLS_TRAMPOLINE(2)
FLS_TRAMPOLINE(3)
FLS_TRAMPOLINE(4)
FLS_TRAMPOLINE(5)
FLS_TRAMPOLINE(6)
FLS_TRAMPOLINE(7)
static PFLS_CALLBACK_FUNCTION const fls_trampolines[FLS_SLOTS] = {
    fls_trampoline0, fls_trampoline1, fls_trampoline2, fls_trampoline3,
    fls_trampoline4, fls_trampoline5, fls_trampoline6, fls_trampoline7};

iws__tlocal_key *iws__tlocal_key_create(void (*destructor)(void *)) {
  iws__tlocal_key *k = malloc(sizeof(*k));
  int i;
  if (!k) return NULL;
  for (i = 0; i < FLS_SLOTS; i++)
    if (InterlockedCompareExchange(&fls_slot_used[i], 1, 0) == 0) break;
  if (i == FLS_SLOTS) {
    free(k);
    return NULL;
  }
  k->slot = i;
  fls_destructors[i] = destructor;
  k->index = FlsAlloc(fls_trampolines[i]);
  if (k->index == FLS_OUT_OF_INDEXES) {
    fls_destructors[i] = NULL;
    InterlockedExchange(&fls_slot_used[i], 0);
    free(k);
    return NULL;
  }
  return k;
}

void iws__tlocal_key_delete(iws__tlocal_key *key) {
  if (!key) return;
  FlsFree(key->index); /* runs the destructor for values still set */
  fls_destructors[key->slot] = NULL;
  InterlockedExchange(&fls_slot_used[key->slot], 0);
  free(key);
}

void *iws__tlocal_get(iws__tlocal_key *key) { return FlsGetValue(key->index); }
void iws__tlocal_set(iws__tlocal_key *key, void *value) {
  FlsSetValue(key->index, value);
}

/* ---- files (static file serving) ---- */

struct iws__file {
  HANDLE h;
};

/* UTF-8 to a new wide string (free it), NULL if invalid or out of memory. */
static wchar_t *widen(const char *s) {
  int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, NULL, 0);
  wchar_t *w;
  if (n <= 0) return NULL;
  w = malloc((size_t)n * sizeof(wchar_t));
  if (!w) return NULL;
  if (MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, w, n) != n) {
    free(w);
    return NULL;
  }
  return w;
}

static HANDLE open_shared(const char *path, DWORD access, DWORD flags) {
  wchar_t *w = widen(path);
  HANDLE h;
  if (!w) return INVALID_HANDLE_VALUE;
  /* Others may read, rename and delete the file while it is being sent. */
  h = CreateFileW(w, access, FILE_SHARE_READ | FILE_SHARE_WRITE |
                                 FILE_SHARE_DELETE,
                  NULL, OPEN_EXISTING, flags, NULL);
  free(w);
  return h;
}

int32_t iws__file_open(const char *path, iws__file **out, uint64_t *size,
                       int64_t *mtime) {
  BY_HANDLE_FILE_INFORMATION info;
  iws__file *f;
  ULARGE_INTEGER t;
  HANDLE h;
  *out = NULL;
  h = open_shared(path, GENERIC_READ, FILE_FLAG_SEQUENTIAL_SCAN);
  if (h == INVALID_HANDLE_VALUE) return IWS_E_FILE;
  /* Only files on disk: not a directory, device (CON, NUL, COM1...) or
   * pipe. */
  if (GetFileType(h) != FILE_TYPE_DISK ||
      !GetFileInformationByHandle(h, &info) ||
      (info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)) {
    CloseHandle(h);
    return IWS_E_FILE;
  }
  f = malloc(sizeof(*f));
  if (!f) {
    CloseHandle(h);
    return IWS_E_NOMEM;
  }
  f->h = h;
  *size = ((uint64_t)info.nFileSizeHigh << 32) | info.nFileSizeLow;
  t.LowPart = info.ftLastWriteTime.dwLowDateTime;
  t.HighPart = info.ftLastWriteTime.dwHighDateTime;
  /* 100 ns ticks since 1601 to seconds since 1970. */
  *mtime = (int64_t)(t.QuadPart / 10000000u) - INT64_C(11644473600);
  *out = f;
  return IWS_OK;
}

void iws__file_close(iws__file *f) {
  if (!f) return;
  CloseHandle(f->h);
  free(f);
}

int iws__file_read(iws__file *f, uint64_t offset, void *buf, size_t len,
                   size_t *got) {
  OVERLAPPED ov;
  DWORD n = 0;
  *got = 0;
  if (len > 0x40000000u) len = 0x40000000u;
  /* A synchronous handle reads at the OVERLAPPED's offset. */
  memset(&ov, 0, sizeof(ov));
  ov.Offset = (DWORD)(offset & 0xffffffffu);
  ov.OffsetHigh = (DWORD)(offset >> 32);
  if (!ReadFile(f->h, buf, (DWORD)len, &n, &ov)) {
    if (GetLastError() == ERROR_HANDLE_EOF) return 0;
    return -1;
  }
  *got = n;
  return 0;
}

intptr_t iws__file_os_handle(const iws__file *f) { return (intptr_t)f->h; }

static int final_path(HANDLE h, char *out, size_t size) {
  wchar_t w[4096];
  DWORD n = GetFinalPathNameByHandleW(h, w, (DWORD)(sizeof(w) / sizeof(w[0])),
                                      FILE_NAME_NORMALIZED | VOLUME_NAME_DOS);
  int m;
  if (n == 0 || n >= sizeof(w) / sizeof(w[0]) || size > 0x7fffffff) return -1;
  m = WideCharToMultiByte(CP_UTF8, 0, w, (int)n, out, (int)size - 1, NULL,
                          NULL);
  if (m <= 0) return -1;
  out[m] = '\0';
  return 0;
}

int iws__file_real_path(iws__file *f, char *out, size_t size) {
  return final_path(f->h, out, size);
}

int iws__path_real(const char *path, char *out, size_t size, int *is_dir) {
  BY_HANDLE_FILE_INFORMATION info;
  int rc = -1;
  /* No access rights are needed to ask where it is; BACKUP_SEMANTICS
   * opens directories too. */
  HANDLE h = open_shared(path, 0, FILE_FLAG_BACKUP_SEMANTICS);
  if (h == INVALID_HANDLE_VALUE) return -1;
  if (GetFileInformationByHandle(h, &info) && final_path(h, out, size) == 0) {
    *is_dir = (info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) ? 1 : 0;
    rc = 0;
  }
  CloseHandle(h);
  return rc;
}
