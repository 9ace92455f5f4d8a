/* errors.c - status code names and messages, from one table. */
#include "../core/core.h"

/* X(code, name, message) */
#define IWS__ERRORS(X)                                                       \
  X(IWS_OK, "IWS_OK", "success")                                             \
  X(IWS_E_INVALID_ARG, "IWS_E_INVALID_ARG", "invalid argument")              \
  X(IWS_E_BAD_STATE, "IWS_E_BAD_STATE",                                      \
    "not allowed in the server's current state")                             \
  X(IWS_E_ABI_MISMATCH, "IWS_E_ABI_MISMATCH",                                \
    "the caller was built for another iocpws ABI version")                   \
  X(IWS_E_UNKNOWN_OPTION, "IWS_E_UNKNOWN_OPTION", "unknown option")          \
  X(IWS_E_OPTION_TYPE, "IWS_E_OPTION_TYPE",                                  \
    "option has another type (integer vs string)")                           \
  X(IWS_E_OPTION_RANGE, "IWS_E_OPTION_RANGE", "option value out of range")   \
  X(IWS_E_IN_CALLBACK, "IWS_E_IN_CALLBACK",                                  \
    "not allowed inside a callback of this server")                          \
  X(IWS_E_BUFFER_TOO_SMALL, "IWS_E_BUFFER_TOO_SMALL",                        \
    "output buffer too small")                                               \
  X(IWS_E_INVALID_UTF8, "IWS_E_INVALID_UTF8", "text is not valid UTF-8")     \
  X(IWS_E_STRUCT_SIZE, "IWS_E_STRUCT_SIZE",                                  \
    "struct_size is not one this library knows")                             \
  X(IWS_E_CLOSE_CODE, "IWS_E_CLOSE_CODE",                                    \
    "close code may not be sent (use 1000-1003, 1007-1011, 3000-4999)")      \
  X(IWS_E_TOO_LONG, "IWS_E_TOO_LONG",                                        \
    "control payload over 125 bytes or close reason over 123 bytes")         \
  X(IWS_E_CHANNEL_NAME, "IWS_E_CHANNEL_NAME",                                \
    "channel name empty, over 255 bytes, not UTF-8 or with a control "       \
    "character")                                                             \
  X(IWS_E_UNSUPPORTED, "IWS_E_UNSUPPORTED",                                  \
    "not supported by this build of the library")                            \
  X(IWS_E_FILE, "IWS_E_FILE",                                                \
    "a file cannot be opened or read, or is not a regular file")             \
  X(IWS_E_NOT_FOUND, "IWS_E_NOT_FOUND",                                      \
    "no such item (e.g. a depth past the end of a certificate chain)")      \
  X(IWS_E_NO_CONNECTION, "IWS_E_NO_CONNECTION",                              \
    "no such connection (unknown id, or already closed)")                    \
  X(IWS_E_CLOSING, "IWS_E_CLOSING", "the connection is closing")             \
  X(IWS_E_QUEUE_FULL, "IWS_E_QUEUE_FULL",                                    \
    "the connection's send queue limit would be exceeded")                   \
  X(IWS_E_MESSAGE_TOO_BIG, "IWS_E_MESSAGE_TOO_BIG",                          \
    "message larger than the maximum message size")                          \
  X(IWS_E_PROTOCOL, "IWS_E_PROTOCOL", "the peer violated RFC 6455")          \
  X(IWS_E_HANDSHAKE, "IWS_E_HANDSHAKE", "opening handshake refused")         \
  X(IWS_E_TIMEOUT, "IWS_E_TIMEOUT", "timed out")                             \
  X(IWS_E_CONNECTION_LOST, "IWS_E_CONNECTION_LOST",                          \
    "the connection was lost")                                               \
  X(IWS_E_NOMEM, "IWS_E_NOMEM", "out of memory")                             \
  X(IWS_E_SYSTEM, "IWS_E_SYSTEM", "an operating system call failed")         \
  X(IWS_E_THREAD, "IWS_E_THREAD", "a thread could not be created")           \
  X(IWS_E_ADDRESS, "IWS_E_ADDRESS",                                          \
    "the bind address is not an IPv4 or IPv6 literal")                       \
  X(IWS_E_BIND, "IWS_E_BIND", "bind failed (address in use or not allowed)") \
  X(IWS_E_LISTEN, "IWS_E_LISTEN", "listen failed")                          \
  X(IWS_E_REDIS, "IWS_E_REDIS", "the Redis link failed or was lost")         \
  X(IWS_E_TLS_CONFIG, "IWS_E_TLS_CONFIG",                                    \
    "the TLS configuration was rejected (certificate, key, password, "       \
    "chain or ciphers)")                                                     \
  X(IWS_E_TLS, "IWS_E_TLS", "the connection's TLS failed")

IWS_API const char *IWS_CALL iws_strerror(int32_t code) {
  switch (code) {
#define X(c, n, m) \
  case c:          \
    return m;
    IWS__ERRORS(X)
#undef X
  default:
    return "unknown error";
  }
}

IWS_API const char *IWS_CALL iws_error_name(int32_t code) {
  switch (code) {
#define X(c, n, m) \
  case c:          \
    return n;
    IWS__ERRORS(X)
#undef X
  default:
    return "IWS_E_UNKNOWN";
  }
}
