/*
 * iocpws_loader.h - loads the iocpws library at run time instead of linking
 * it: header-only, for C (C89 and later) and C++.
 *
 * Linking needs an import library in the format of the caller's tool chain
 * (OMF for C++Builder Win32, ELF .a for classic Win64, COFF for Win64x and
 * MSVC, libiocpws.dll.a for mingw). This header needs none: it opens the
 * library with LoadLibraryW/GetProcAddress on Windows and dlopen/dlsym
 * elsewhere, and fills a table with one function pointer per IWS_API
 * function of iocpws.h, each with the same signature and calling convention
 * (IWS_CALL: __stdcall on 32-bit Windows).
 *
 *   #include "iocpws_loader.h"
 *
 *   iws_api api;
 *   char why[256];
 *   if (iws_loader_open(NULL, &api, why, sizeof why) != IWS_OK) {
 *     fprintf(stderr, "%s\n", why);   // names the library or the symbol
 *     return 1;
 *   }
 *   api.create(IWS_ABI_VERSION, &callbacks, NULL, &server);
 *   ...
 *   api.destroy(server);
 *   iws_loader_close(&api);
 *
 * Fields drop the iws_ prefix: iws_send_text is api.send_text. Do not call
 * the iws_* functions themselves in a program that loads the library: they
 * are the linked route and need the import library.
 *
 * On Windows this header includes <windows.h>; a program that uses Winsock 2
 * includes <winsock2.h> before it, as always. On POSIX systems link with
 * -ldl where the C library does not contain dlopen (glibc before 2.34).
 *
 * IWS_LOADER_FUNCTIONS lists every function of iocpws.h, in the header's
 * order; scripts/check-loader.py keeps the two in step, and the C++ tests
 * check each pointer type against the function's declared type.
 */
#ifndef IOCPWS_LOADER_H
#define IOCPWS_LOADER_H

#include <stddef.h>
#include <string.h>

#include "iocpws.h"

#if defined(_WIN32)
#include <windows.h>
#else
#include <dlfcn.h>
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* The name loaded when iws_loader_open gets path NULL: found through the
 * system's usual search (on Windows the application's directory first; on
 * Linux LD_LIBRARY_PATH, the program's RUNPATH and the ld.so cache). Pass a
 * full path to load one file and no other. */
#if defined(_WIN32)
#define IWS_LOADER_DEFAULT_NAME "iocpws.dll"
#elif defined(__APPLE__)
#define IWS_LOADER_DEFAULT_NAME "libiocpws.0.dylib"
#else
#define IWS_LOADER_DEFAULT_NAME "libiocpws.so.0"
#endif

/* X(return type, name without "iws_", (parameters)) for every IWS_API
 * function of iocpws.h. */
#define IWS_LOADER_FUNCTIONS(X)                                                \
  X(uint32_t, version, (void))                                                 \
  X(const char *, version_string, (void))                                      \
  X(uint32_t, abi_version, (void))                                             \
  X(int32_t, struct_layout, (const char *struct_name, const char *field_name)) \
  X(const char *, strerror, (int32_t code))                                    \
  X(const char *, error_name, (int32_t code))                                  \
  X(int32_t, create,                                                           \
    (uint32_t abi_version, const iws_callbacks *callbacks, void *user,         \
     iws_server **out))                                                        \
  X(int32_t, set_int, (iws_server * server, int32_t option, int64_t value))    \
  X(int32_t, set_str,                                                          \
    (iws_server * server, int32_t option, const char *value))                  \
  X(int32_t, get_int, (iws_server * server, int32_t option, int64_t *value))   \
  X(int32_t, get_str,                                                          \
    (iws_server * server, int32_t option, char *buffer, uint32_t size,         \
     uint32_t *needed))                                                        \
  X(int32_t, start, (iws_server * server))                                     \
  X(int32_t, get_port, (iws_server * server, uint32_t *port))                  \
  X(int32_t, get_tls_port, (iws_server * server, uint32_t *port))              \
  X(int32_t, tls_add_host,                                                     \
    (iws_server * server, const char *host_name, const char *cert,             \
     const char *key, const char *password))                                   \
  X(int32_t, stop, (iws_server * server))                                      \
  X(int32_t, destroy, (iws_server * server))                                   \
  X(int32_t, last_error, (iws_server * server, char *buffer, uint32_t size))   \
  X(int32_t, send,                                                             \
    (iws_server * server, iws_conn_id id, uint32_t opcode, const void *data,   \
     uint64_t length))                                                         \
  X(int32_t, send_text,                                                        \
    (iws_server * server, iws_conn_id id, const char *text, uint64_t length))  \
  X(int32_t, send_binary,                                                      \
    (iws_server * server, iws_conn_id id, const void *data, uint64_t length))  \
  X(int32_t, ping,                                                             \
    (iws_server * server, iws_conn_id id, const void *data, uint32_t length))  \
  X(int32_t, close,                                                            \
    (iws_server * server, iws_conn_id id, uint32_t code, const char *reason,   \
     uint32_t reason_length))                                                  \
  X(int32_t, disconnect, (iws_server * server, iws_conn_id id))                \
  X(int32_t, broadcast,                                                        \
    (iws_server * server, uint32_t opcode, const void *data, uint64_t length,  \
     const iws_conn_id *exclude, uint32_t exclude_count, uint32_t *sent))      \
  X(int32_t, broadcast_filter,                                                 \
    (iws_server * server, uint32_t opcode, const void *data, uint64_t length,  \
     iws_filter_fn filter, void *context, uint32_t *sent))                     \
  X(int32_t, subscribe,                                                        \
    (iws_server * server, iws_conn_id id, const char *channel))                \
  X(int32_t, unsubscribe,                                                      \
    (iws_server * server, iws_conn_id id, const char *channel))                \
  X(int32_t, publish,                                                          \
    (iws_server * server, const char *channel, uint32_t opcode,                \
     const void *data, uint64_t length, const iws_conn_id *exclude,            \
     uint32_t exclude_count, uint32_t *sent))                                  \
  X(int32_t, conn_channels,                                                    \
    (iws_server * server, iws_conn_id id, char *buffer, uint32_t size,         \
     uint32_t *needed))                                                        \
  X(int32_t, conn_set_user_data,                                               \
    (iws_server * server, iws_conn_id id, void *data))                         \
  X(int32_t, conn_get_user_data,                                               \
    (iws_server * server, iws_conn_id id, void **data))                        \
  X(int32_t, conn_peer,                                                        \
    (iws_server * server, iws_conn_id id, char *buffer, uint32_t size,         \
     uint32_t *port))                                                          \
  X(int32_t, conn_path,                                                        \
    (iws_server * server, iws_conn_id id, char *buffer, uint32_t size,         \
     uint32_t *needed))                                                        \
  X(int32_t, conn_protocol,                                                    \
    (iws_server * server, iws_conn_id id, char *buffer, uint32_t size,         \
     uint32_t *needed))                                                        \
  X(const char *, request_path, (const iws_request *request))                  \
  X(const char *, request_header,                                              \
    (const iws_request *request, const char *name))                            \
  X(uint32_t, request_header_count, (const iws_request *request))              \
  X(int32_t, request_header_at,                                                \
    (const iws_request *request, uint32_t index, const char **name,            \
     const char **value))                                                      \
  X(uint32_t, request_protocol_count, (const iws_request *request))            \
  X(const char *, request_protocol_at,                                         \
    (const iws_request *request, uint32_t index))                              \
  X(int32_t, request_select_protocol,                                          \
    (iws_request * request, const char *protocol))                             \
  X(const char *, request_method, (const iws_request *request))                \
  X(const char *, request_version, (const iws_request *request))               \
  X(const char *, request_document, (const iws_request *request))              \
  X(const char *, request_query, (const iws_request *request))                 \
  X(uint32_t, request_param_count, (const iws_request *request))               \
  X(int32_t, request_param_at,                                                 \
    (const iws_request *request, uint32_t index, const char **name,           \
     const char **value))                                                      \
  X(const char *, request_param,                                               \
    (const iws_request *request, const char *name))                            \
  X(int32_t, request_body,                                                     \
    (const iws_request *request, const uint8_t **data, uint64_t *length))      \
  X(int32_t, http_set_status,                                                  \
    (iws_http_response * response, int32_t status, const char *reason))        \
  X(int32_t, http_add_header,                                                  \
    (iws_http_response * response, const char *name, const char *value))       \
  X(int32_t, http_set_body,                                                    \
    (iws_http_response * response, const void *data, uint64_t length))         \
  X(int32_t, http_serve_file,                                                  \
    (iws_http_response * response, const char *path))                          \
  X(int32_t, http_defer, (iws_http_response * response))                       \
  X(int32_t, http_send, (iws_http_response * response))                        \
  X(int32_t, http_send_head, (iws_http_response * response))                   \
  X(int32_t, http_send_chunk,                                                  \
    (iws_http_response * response, const void *data, uint64_t length))         \
  X(int32_t, get_stats, (iws_server * server, iws_stats *stats))               \
  X(int32_t, component_version,                                                \
    (uint32_t component, const char **name, const char **version))            \
  X(int32_t, add_listener,                                                     \
    (iws_server * server, const char *address, uint32_t port, uint32_t flags)) \
  X(int32_t, clear_listeners, (iws_server * server))                           \
  X(int32_t, get_listener_count, (iws_server * server, uint32_t *count))       \
  X(int32_t, get_listener,                                                     \
    (iws_server * server, uint32_t index, uint32_t *port, uint32_t *flags))    \
  X(int32_t, conn_listener,                                                    \
    (iws_server * server, iws_conn_id id, uint32_t *index))                    \
  X(int32_t, conn_peer_cert,                                                   \
    (iws_server * server, iws_conn_id id, uint32_t what, char *buffer,         \
     uint32_t size, uint32_t *needed))                                          \
  X(int32_t, conn_local,                                                       \
    (iws_server * server, iws_conn_id id, char *buffer, uint32_t size,         \
     uint32_t *port))                                                          \
  X(int32_t, conn_last_pong,                                                   \
    (iws_server * server, iws_conn_id id, uint64_t *unix_ms))                  \
  X(int32_t, request_add_response_header,                                      \
    (iws_request * request, const char *name, const char *value))            \
  X(int32_t, http_stream_wait,                                                 \
    (iws_http_response * response, uint32_t timeout_ms))                       \
  X(int32_t, http_head_refuse,                                                 \
    (iws_request * request, int32_t status, const char *reason,                \
     const char *content_type, const void *body, uint64_t length))            \
  X(int32_t, conn_peer_chain_cert,                                             \
    (iws_server * server, iws_conn_id id, uint32_t depth, uint32_t what,       \
     char *buffer, uint32_t size, uint32_t *needed))

/* The table iws_loader_open fills: `library` is the OS handle (HMODULE or
 * the dlopen handle), then one pointer per function. Owned by the caller;
 * valid until iws_loader_close. */
#define IWS_LOADER__FIELD(ret, name, params) ret(IWS_CALL *name) params;
typedef struct iws_api {
  void *library;
  IWS_LOADER_FUNCTIONS(IWS_LOADER__FIELD)
} iws_api;
#undef IWS_LOADER__FIELD

/* The functions below are static (internal to each translation unit that
 * includes this header), so the header needs no separate source file. */
#if defined(__cplusplus)
#define IWS_LOADER_FN static inline
#elif defined(__STDC_VERSION__) && __STDC_VERSION__ >= 199901L
#define IWS_LOADER_FN static inline
#elif defined(__GNUC__) || defined(__clang__)
#define IWS_LOADER_FN static __inline__
#elif defined(_MSC_VER)
#define IWS_LOADER_FN static __inline
#else
#define IWS_LOADER_FN static
#endif

/* What the OS returns for a symbol: a FARPROC or a data pointer. */
#if defined(_WIN32)
typedef FARPROC iws_loader__sym;
#define IWS_LOADER__SYM(lib, sym) GetProcAddress((HMODULE)(lib), sym)
#else
typedef void *iws_loader__sym;
#define IWS_LOADER__SYM(lib, sym) dlsym((lib), sym)
#endif

/* Appends text to buffer[size] (NUL-terminated, truncated). */
IWS_LOADER_FN void iws_loader__append(char *buffer, size_t size,
                                      const char *text) {
  size_t n = 0;
  if (buffer == NULL || size == 0 || text == NULL) return;
  while (n < size && buffer[n] != '\0') n++;
  if (n == size) return;
  while (*text != '\0' && n + 1 < size) buffer[n++] = *text++;
  buffer[n] = '\0';
}

IWS_LOADER_FN void iws_loader__append_uint(char *buffer, size_t size,
                                           unsigned long value) {
  char digits[24];
  size_t n = sizeof digits - 1;
  digits[n] = '\0';
  do {
    digits[--n] = (char)('0' + (int)(value % 10));
    value /= 10;
  } while (value != 0 && n > 0);
  iws_loader__append(buffer, size, digits + n);
}

/* Releases the library if the table holds one, and clears the table. Safe
 * on a cleared or failed table. Call it only when no server of this library
 * exists any more (every one destroyed): the code would vanish under it. */
IWS_LOADER_FN void iws_loader_close(iws_api *api) {
  if (api == NULL) return;
  if (api->library != NULL) {
#if defined(_WIN32)
    FreeLibrary((HMODULE)api->library);
#else
    dlclose(api->library);
#endif
  }
  memset(api, 0, sizeof *api);
}

/* Loads the library and fills *api.
 * path: a file name or path (UTF-8), or NULL for IWS_LOADER_DEFAULT_NAME.
 * error: receives a NUL-terminated English sentence when it fails (may be
 * NULL; error_size 0). It names what is missing: the library file (with the
 * system's reason), or the first function the library does not export.
 * Returns IWS_OK; IWS_E_INVALID_ARG (api NULL); IWS_E_SYSTEM (the library
 * could not be loaded); IWS_E_ABI_MISMATCH (a function is missing, or the
 * library implements another IWS_ABI_VERSION than this header). On failure
 * nothing stays loaded and *api is cleared. Any thread; each successful
 * call takes one reference on the library (iws_loader_close drops it). */
IWS_LOADER_FN int32_t iws_loader_open(const char *path, iws_api *api,
                                      char *error, size_t error_size) {
  const char *name = path != NULL ? path : IWS_LOADER_DEFAULT_NAME;
  const char *missing = NULL;
  void *lib;
  uint32_t abi;

  if (error != NULL && error_size > 0) error[0] = '\0';
  if (api == NULL) {
    iws_loader__append(error, error_size, "iws_loader_open: api is NULL");
    return IWS_E_INVALID_ARG;
  }
  memset(api, 0, sizeof *api); /* the caller's table may be uninitialized */

#if defined(_WIN32)
  {
    /* UTF-8 to UTF-16, so that paths outside the ANSI code page load. */
    wchar_t wide[1024];
    int n = MultiByteToWideChar(CP_UTF8, 0, name, -1, wide,
                                (int)(sizeof wide / sizeof wide[0]));
    DWORD code;
    lib = NULL;
    if (n > 0) lib = (void *)LoadLibraryW(wide);
    if (lib == NULL) {
      char sys[256];
      code = n > 0 ? GetLastError() : ERROR_FILENAME_EXCED_RANGE;
      sys[0] = '\0';
      if (FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM |
                             FORMAT_MESSAGE_IGNORE_INSERTS,
                         NULL, code, 0, sys, (DWORD)sizeof sys, NULL) == 0)
        sys[0] = '\0';
      /* Drop the trailing ".\r\n" FormatMessage adds. */
      {
        size_t len = 0;
        while (sys[len] != '\0') len++;
        while (len > 0 && (sys[len - 1] == '\r' || sys[len - 1] == '\n' ||
                           sys[len - 1] == ' ' || sys[len - 1] == '.'))
          sys[--len] = '\0';
      }
      iws_loader__append(error, error_size, "iocpws: cannot load ");
      iws_loader__append(error, error_size, name);
      iws_loader__append(error, error_size, ": error ");
      iws_loader__append_uint(error, error_size, (unsigned long)code);
      if (sys[0] != '\0') {
        iws_loader__append(error, error_size, " (");
        iws_loader__append(error, error_size, sys);
        iws_loader__append(error, error_size, ")");
      }
      return IWS_E_SYSTEM;
    }
  }
#else
  lib = dlopen(name, RTLD_NOW | RTLD_LOCAL);
  if (lib == NULL) {
    const char *why = dlerror();
    iws_loader__append(error, error_size, "iocpws: cannot load ");
    iws_loader__append(error, error_size, name);
    iws_loader__append(error, error_size, ": ");
    iws_loader__append(error, error_size, why != NULL ? why : "dlopen failed");
    return IWS_E_SYSTEM;
  }
#endif
  api->library = lib;

  /* dlsym returns a data pointer and GetProcAddress a FARPROC; memcpy
   * turns either into the typed pointer without a cast -pedantic warns
   * about. */
#define IWS_LOADER__RESOLVE(ret, name, params)              \
  if (missing == NULL) {                                    \
    iws_loader__sym p_ = IWS_LOADER__SYM(lib, "iws_" #name);\
    if (p_ == NULL)                                         \
      missing = "iws_" #name;                               \
    else                                                    \
      memcpy((void *)&api->name, &p_, sizeof api->name);    \
  }
  IWS_LOADER_FUNCTIONS(IWS_LOADER__RESOLVE)
#undef IWS_LOADER__RESOLVE

  if (missing != NULL) {
    iws_loader__append(error, error_size, "iocpws: ");
    iws_loader__append(error, error_size, name);
    iws_loader__append(error, error_size, " does not export ");
    iws_loader__append(error, error_size, missing);
    iws_loader__append(error, error_size,
                       " (not iocpws, or older than this iocpws_loader.h "
                       IWS_VERSION_STRING ")");
    iws_loader_close(api);
    return IWS_E_ABI_MISMATCH;
  }
  abi = api->abi_version();
  if (abi != IWS_ABI_VERSION) {
    iws_loader__append(error, error_size, "iocpws: ");
    iws_loader__append(error, error_size, name);
    iws_loader__append(error, error_size, " implements ABI ");
    iws_loader__append_uint(error, error_size, (unsigned long)abi);
    iws_loader__append(error, error_size, ", this header ABI ");
    iws_loader__append_uint(error, error_size,
                            (unsigned long)IWS_ABI_VERSION);
    iws_loader_close(api);
    return IWS_E_ABI_MISMATCH;
  }
  return IWS_OK;
}

#ifdef __cplusplus
}
#endif

#endif /* IOCPWS_LOADER_H */
