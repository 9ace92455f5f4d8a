// cpp_portable.hpp - the little the C++ test programs need from the OS
// (a mutex, detached threads, thread ids, sleeping, binary stdio), for
// POSIX and Win32. Not <mutex>/<thread>: mingw-w64's win32 thread model
// (the compilers the Windows builds use) does not provide them in gcc 12.
#ifndef IWS_CPP_PORTABLE_HPP
#define IWS_CPP_PORTABLE_HPP

#include <cstdio>
#include <functional>

#ifdef _WIN32
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>
#include <fcntl.h>
#include <io.h>
#include <process.h>
#else
#include <pthread.h>
#include <time.h>
#endif

namespace pt {

class mutex {
 public:
#ifdef _WIN32
  mutex() { InitializeSRWLock(&m_); }
  void lock() { AcquireSRWLockExclusive(&m_); }
  void unlock() { ReleaseSRWLockExclusive(&m_); }
#else
  mutex() { pthread_mutex_init(&m_, nullptr); }
  ~mutex() { pthread_mutex_destroy(&m_); }
  void lock() { pthread_mutex_lock(&m_); }
  void unlock() { pthread_mutex_unlock(&m_); }
#endif
  mutex(const mutex &) = delete;
  mutex &operator=(const mutex &) = delete;

 private:
#ifdef _WIN32
  SRWLOCK m_;
#else
  pthread_mutex_t m_;
#endif
};

class lock_guard {
 public:
  explicit lock_guard(mutex &m) : m_(m) { m_.lock(); }
  ~lock_guard() { m_.unlock(); }
  lock_guard(const lock_guard &) = delete;
  lock_guard &operator=(const lock_guard &) = delete;

 private:
  mutex &m_;
};

#ifdef _WIN32
typedef DWORD thread_id;
inline thread_id self() { return GetCurrentThreadId(); }
inline bool same_thread(thread_id a, thread_id b) { return a == b; }
inline void sleep_ms(unsigned ms) { Sleep(ms); }
#else
typedef pthread_t thread_id;
inline thread_id self() { return pthread_self(); }
inline bool same_thread(thread_id a, thread_id b) {
  return pthread_equal(a, b) != 0;
}
inline void sleep_ms(unsigned ms) {
  struct timespec ts;
  ts.tv_sec = static_cast<time_t>(ms / 1000);
  ts.tv_nsec = static_cast<long>(ms % 1000) * 1000000L;
  while (nanosleep(&ts, &ts) != 0) {
  }
}
#endif

namespace detail {
#ifdef _WIN32
inline unsigned __stdcall thread_main(void *p) {
#else
extern "C" inline void *thread_main(void *p) {
#endif
  std::function<void()> *fn = static_cast<std::function<void()> *>(p);
  try {
    (*fn)();
  } catch (...) {
  }
  delete fn;
#ifdef _WIN32
  return 0;
#else
  return nullptr;
#endif
}
}  // namespace detail

// Runs fn on a new detached thread; false if it could not be created.
inline bool start_detached(const std::function<void()> &fn) {
  std::function<void()> *p = new std::function<void()>(fn);
#ifdef _WIN32
  uintptr_t h = _beginthreadex(nullptr, 0, detail::thread_main, p, 0, nullptr);
  if (h == 0) {
    delete p;
    return false;
  }
  CloseHandle(reinterpret_cast<HANDLE>(h));
#else
  pthread_t t;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  int rc = pthread_create(&t, &attr, detail::thread_main, p);
  pthread_attr_destroy(&attr);
  if (rc != 0) {
    delete p;
    return false;
  }
#endif
  return true;
}

// Windows: binary stdin/stdout and unbuffered stdout (the C runtime fully
// buffers a pipe). POSIX: nothing.
inline void stdio_setup() {
#ifdef _WIN32
  _setmode(_fileno(stdin), _O_BINARY);
  _setmode(_fileno(stdout), _O_BINARY);
  std::setvbuf(stdout, nullptr, _IONBF, 0);
#endif
}

}  // namespace pt

#endif  // IWS_CPP_PORTABLE_HPP
