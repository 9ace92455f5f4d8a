/*
 * api.h - what the exported functions in api/ share: the checks of public
 * arguments and the recording of a failed call.
 */
#ifndef IWS_API_H
#define IWS_API_H

#include "../core/core.h"
#include "../http/http.h"
#include "../pubsub/channels.h"
#include "../ws/ws.h"

/* A server handle the caller may use (not NULL, not destroyed). */
static inline int iws__api_valid_server(const iws_server *s) {
  return s != NULL && s->magic == IWS__MAGIC;
}

/* Records a failed call's code with the generic text, and returns it. */
int32_t iws__api_fail(iws_server *s, int32_t code);

/* Copies text into buffer[size] with its NUL; *needed (may be NULL) gets
 * the size required. IWS_OK or IWS_E_BUFFER_TOO_SMALL. */
int32_t iws__api_copy_out(const char *text, char *buffer, uint32_t size,
                          uint32_t *needed);

/* Running or stopping: sends are allowed (stopping: the goodbyes). */
int iws__api_running(iws_server *s);

#endif /* IWS_API_H */
