/*
 * loader_check - include/iocpws_loader.h used from C (built as C89 by
 * tests/cpp/run.sh, as the project's C standard by CMake): it loads the
 * library, runs a server through the table, and names what is missing when
 * a library or a symbol is not there.
 *
 * Prints "PASS <name>" / "FAIL <name>: <why>" per check and a closing
 * "<n> passed, <m> failed"; the exit code is the number of failed checks.
 */
#include <stdio.h>
#include <string.h>

#include "iocpws_loader.h"

static int passed, failed;

static void report(const char *name, const char *why) {
  if (why == NULL) {
    printf("PASS %s\n", name);
    passed++;
  } else {
    printf("FAIL %s: %s\n", name, why);
    failed++;
  }
  fflush(stdout);
}

static const char *open_default(void) {
  iws_api api;
  char err[512];
  iws_server *srv = NULL;
  uint32_t port = 0;
  if (iws_loader_open(NULL, &api, err, sizeof err) != IWS_OK) return "open";
  if (api.library == NULL) return "no library handle";
  if (api.version() != IWS_VERSION_NUMBER) return "version";
  if (strcmp(api.error_name(IWS_E_BIND), "IWS_E_BIND") != 0) return "names";
  if (api.create(IWS_ABI_VERSION, NULL, NULL, &srv) != IWS_OK) return "create";
  if (api.set_str(srv, IWS_OPT_BIND_ADDRESS, "127.0.0.1") != IWS_OK ||
      api.start(srv) != IWS_OK || api.get_port(srv, &port) != IWS_OK ||
      port == 0)
    return "start";
  if (api.destroy(srv) != IWS_OK) return "destroy";
  iws_loader_close(&api);
  if (api.library != NULL || api.create != NULL) return "close clears";
  iws_loader_close(&api); /* a cleared table: nothing happens */
  return NULL;
}

static char why[600];

static const char *missing_library(void) {
  iws_api api;
  char err[512];
#ifdef _WIN32
  const char *path = "C:\\no\\such\\dir\\iocpws-missing.dll";
#else
  const char *path = "/no/such/dir/libiocpws-missing.so";
#endif
  int32_t rc = iws_loader_open(path, &api, err, sizeof err);
  if (rc != IWS_E_SYSTEM) return "not IWS_E_SYSTEM";
  if (strstr(err, path) == NULL) {
    sprintf(why, "the message does not name the library: %.500s", err);
    return why;
  }
  if (api.library != NULL || api.start != NULL) return "table not cleared";
  printf("  (%s)\n", err);
  return NULL;
}

static const char *missing_symbol(void) {
  iws_api api;
  char err[512];
#ifdef _WIN32
  const char *path = "kernel32.dll";
#else
  const char *path = "libc.so.6";
#endif
  int32_t rc = iws_loader_open(path, &api, err, sizeof err);
  if (rc != IWS_E_ABI_MISMATCH) return "not IWS_E_ABI_MISMATCH";
  if (strstr(err, "iws_version") == NULL || strstr(err, path) == NULL) {
    sprintf(why, "the message names neither symbol nor library: %.500s", err);
    return why;
  }
  if (api.library != NULL) return "the library stayed loaded";
  printf("  (%s)\n", err);
  return NULL;
}

static const char *bad_arguments(void) {
  char small[8];
  iws_api api;
  if (iws_loader_open(NULL, NULL, small, sizeof small) != IWS_E_INVALID_ARG)
    return "api NULL";
  if (strlen(small) != sizeof small - 1) return "truncated, NUL-terminated";
  if (iws_loader_open("/no/such/lib", &api, NULL, 0) != IWS_E_SYSTEM)
    return "error buffer NULL";
  iws_loader_close(NULL);
  return NULL;
}

int main(void) {
  report("c_loader_open_default", open_default());
  report("c_loader_missing_library", missing_library());
  report("c_loader_missing_symbol", missing_symbol());
  report("c_loader_bad_arguments", bad_arguments());
  printf("%d passed, %d failed\n", passed, failed);
  return failed;
}
