/*
 * procinfo.h - the process figures the test servers print for "proc" on
 * stdin (memory, descriptors or handles, threads, CPU time) and the
 * --nofile limit, shared by tests/integration/ws_test_server.c and
 * tests/cpp/cpp_test_server.cpp. C and C++; -1 where a figure is unknown.
 * Windows: link psapi (GetProcessMemoryInfo).
 */
#ifndef IWS_TEST_PROCINFO_H
#define IWS_TEST_PROCINFO_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#include <windows.h>
#include <psapi.h>
#include <tlhelp32.h>
#else
#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>
#endif

typedef struct pt_proc_info {
  long long rss, fds, threads, cpu_ms;
  long long commit; /* private memory committed or reserved: VmData on
                       Linux, PagefileUsage (commit charge) on Windows */
} pt_proc_info;

static void pt_proc_info_read(pt_proc_info *out) {
  long long rss = -1, fds = -1, threads = -1, cpu_ms = -1, commit = -1;
#ifdef _WIN32
  PROCESS_MEMORY_COUNTERS pmc;
  DWORD handles = 0;
  FILETIME created, exited, kernel, user;
  HANDLE snap;
  memset(&pmc, 0, sizeof pmc);
  pmc.cb = sizeof pmc;
  if (GetProcessMemoryInfo(GetCurrentProcess(), &pmc, sizeof pmc))
    rss = (long long)pmc.WorkingSetSize;
  if (rss >= 0) commit = (long long)pmc.PagefileUsage;
  if (GetProcessHandleCount(GetCurrentProcess(), &handles))
    fds = (long long)handles;
  if (GetProcessTimes(GetCurrentProcess(), &created, &exited, &kernel,
                      &user)) {
    ULARGE_INTEGER k, u;
    k.LowPart = kernel.dwLowDateTime;
    k.HighPart = kernel.dwHighDateTime;
    u.LowPart = user.dwLowDateTime;
    u.HighPart = user.dwHighDateTime;
    cpu_ms = (long long)((k.QuadPart + u.QuadPart) / 10000);
  }
  snap = CreateToolhelp32Snapshot(TH32CS_SNAPTHREAD, 0);
  if (snap != INVALID_HANDLE_VALUE) {
    THREADENTRY32 te;
    DWORD me = GetCurrentProcessId();
    te.dwSize = sizeof te;
    threads = 0;
    if (Thread32First(snap, &te)) {
      do {
        if (te.th32OwnerProcessID == me) threads++;
        te.dwSize = sizeof te;
      } while (Thread32Next(snap, &te));
    }
    CloseHandle(snap);
  }
#else
  FILE *f = fopen("/proc/self/statm", "r");
  struct rusage ru;
  DIR *d;
  if (f) {
    long long size, resident, shared, text, lib, data;
    int got = fscanf(f, "%lld %lld %lld %lld %lld %lld", &size, &resident,
                     &shared, &text, &lib, &data);
    if (got >= 2) rss = resident * (long long)sysconf(_SC_PAGESIZE);
    if (got == 6) commit = data * (long long)sysconf(_SC_PAGESIZE);
    fclose(f);
  }
  if ((d = opendir("/proc/self/fd")) != NULL) {
    struct dirent *e;
    fds = 0;
    while ((e = readdir(d)) != NULL)
      if (e->d_name[0] != '.') fds++;
    closedir(d);
    fds--; /* the directory being read */
  }
  if ((d = opendir("/proc/self/task")) != NULL) {
    struct dirent *e;
    threads = 0;
    while ((e = readdir(d)) != NULL)
      if (e->d_name[0] != '.') threads++;
    closedir(d);
  }
  if (getrusage(RUSAGE_SELF, &ru) == 0)
    cpu_ms = (long long)ru.ru_utime.tv_sec * 1000 + ru.ru_utime.tv_usec / 1000 +
             (long long)ru.ru_stime.tv_sec * 1000 + ru.ru_stime.tv_usec / 1000;
#endif
  out->rss = rss;
  out->fds = fds;
  out->threads = threads;
  out->cpu_ms = cpu_ms;
  out->commit = commit;
}

/* Lowers RLIMIT_NOFILE to `value` (POSIX only). 0, or -1 with a message on
 * stderr naming `program`. */
static int pt_set_nofile(const char *program, const char *value) {
#ifdef _WIN32
  (void)value;
  fprintf(stderr, "%s: --nofile is POSIX only\n", program);
  return -1;
#else
  struct rlimit rl;
  rl.rlim_cur = rl.rlim_max = (rlim_t)strtoul(value, NULL, 10);
  if (rl.rlim_cur < 8 || setrlimit(RLIMIT_NOFILE, &rl) != 0) {
    fprintf(stderr, "%s: setrlimit(RLIMIT_NOFILE, %s) failed\n", program,
            value);
    return -1;
  }
  return 0;
#endif
}

#endif /* IWS_TEST_PROCINFO_H */
