/*
 * components.c - iws_component_version: the versions of the engine and of
 * the libraries linked into it (OpenSSL, zlib, wslay, hiredis), so that a
 * program can log what it runs on and a user can tell which OpenSSL a
 * shipped DLL carries. Static strings only: nothing to free, any thread.
 */
#include <openssl/crypto.h>
#include <wslay/wslay.h>
#include <zlib.h>

#include "../core/core.h"
#include "../pubsub/channels.h"

/* wslay.h includes wslayver.h, which defines WSLAY_VERSION. */
#ifndef WSLAY_VERSION
#error "wslay/wslayver.h did not define WSLAY_VERSION"
#endif

static const char *const component_names[] = {
    "iocpws",  /* IWS_COMPONENT_ENGINE  */
    "OpenSSL", /* IWS_COMPONENT_OPENSSL */
    "zlib",    /* IWS_COMPONENT_ZLIB    */
    "wslay",   /* IWS_COMPONENT_WSLAY   */
    "hiredis", /* IWS_COMPONENT_HIREDIS */
};

IWS_API int32_t IWS_CALL iws_component_version(uint32_t component,
                                               const char **name,
                                               const char **version) {
  const char *v = NULL;
  if (name) *name = "";
  if (version) *version = "";
  if (component >= sizeof(component_names) / sizeof(component_names[0]))
    return IWS_E_INVALID_ARG;
  switch (component) {
    case IWS_COMPONENT_ENGINE:
      v = IWS_VERSION_STRING;
      break;
    case IWS_COMPONENT_OPENSSL:
      /* The libcrypto in use (run time): "3.0.17". */
      v = OpenSSL_version(OPENSSL_VERSION_STRING);
      break;
    case IWS_COMPONENT_ZLIB:
      v = zlibVersion(); /* run time */
      break;
    case IWS_COMPONENT_WSLAY:
      v = WSLAY_VERSION; /* wslay has no run-time version call */
      break;
    case IWS_COMPONENT_HIREDIS:
      v = iws__redis_client_version(); /* NULL without hiredis */
      break;
    default:
      break;
  }
  if (name) *name = component_names[component];
  if (v == NULL) return IWS_E_UNSUPPORTED;
  if (version) *version = v;
  return IWS_OK;
}
