/*
 * iocpws.h - the whole public C ABI of the iocpws WebSocket server engine.
 *
 * One opaque server handle, 64-bit connection ids, typed option setters, a
 * size-prefixed callback table and integer status codes. Everything a caller
 * needs is declared here; anything not declared here is not part of the API.
 *
 * ABI rules (see docs in README.md, "The C API"):
 *  - every function and callback uses IWS_CALL / IWS_CALLBACK (__stdcall on
 *    32-bit Windows, the platform default elsewhere); no variadic functions;
 *  - only fixed-width integers, pointers and UTF-8 `const char *` cross the
 *    boundary; structs begin with `struct_size` and only ever grow at the end;
 *  - functions return IWS_OK (0) or a negative IWS_E_* code unless they
 *    obviously return a value (strings, counts); iws_strerror() explains a
 *    code, iws_last_error() gives the detail of a server's last failure;
 *  - memory the library hands out (strings in callbacks) is valid for that
 *    call only; the library never frees caller memory and vice versa.
 *
 * Threads, in one paragraph: callbacks run on the library's threads (I/O
 * threads, or worker threads when IWS_OPT_WORKER_THREADS > 0). The callbacks
 * of one connection never run concurrently and arrive in order: on_connect,
 * then on_message*, then on_disconnect exactly once. Sending, closing, pinging
 * and broadcasting are safe from any thread, including inside callbacks, and
 * never invoke a callback on the calling thread. Configuration, start, stop
 * and destroy belong to the thread that owns the server and must not be
 * called from inside a callback (they return IWS_E_IN_CALLBACK there).
 *
 * The declarations are C89 and compile as C and C++ (-Wall -Wextra -pedantic).
 */
#ifndef IOCPWS_H
#define IOCPWS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Versions                                                                  */
/* ------------------------------------------------------------------------ */

#define IWS_VERSION_MAJOR 0
#define IWS_VERSION_MINOR 5
#define IWS_VERSION_PATCH 0
/* X*1000000 + Y*1000 + Z, as returned by iws_version(). */
#define IWS_VERSION_NUMBER \
  (IWS_VERSION_MAJOR * 1000000 + IWS_VERSION_MINOR * 1000 + IWS_VERSION_PATCH)
#define IWS_VERSION_STRING "0.5.0"
/* Bumped only when an existing declaration changes incompatibly. A caller
 * passes this to iws_create(); a library with another ABI refuses it. */
#define IWS_ABI_VERSION 1

/* ------------------------------------------------------------------------ */
/* Calling convention and export                                             */
/* ------------------------------------------------------------------------ */

#if defined(_WIN32) && !defined(_WIN64)
#define IWS_CALL __stdcall
#define IWS_CALLBACK __stdcall
#else
#define IWS_CALL
#define IWS_CALLBACK
#endif

#if defined(IWS_STATIC)
#define IWS_API
#elif defined(_WIN32)
#if defined(IWS_BUILDING)
#define IWS_API __declspec(dllexport)
#else
#define IWS_API __declspec(dllimport)
#endif
#elif defined(__GNUC__) && defined(IWS_BUILDING)
#define IWS_API __attribute__((visibility("default")))
#else
#define IWS_API
#endif

/* ------------------------------------------------------------------------ */
/* Status codes                                                              */
/* ------------------------------------------------------------------------ */
/* Numbers are fixed forever and grouped by hundreds: -1xx the caller's
 * mistake, -2xx the connection or the peer, -3xx resources and the OS,
 * -4xx the network setup, -5xx TLS (Since 0.3). iws_strerror() gives the
 * text. */

#define IWS_OK 0

#define IWS_E_INVALID_ARG -100      /* NULL handle, NULL pointer, bad value */
#define IWS_E_BAD_STATE -101        /* not allowed in the server's state    */
#define IWS_E_ABI_MISMATCH -102     /* caller built for another ABI         */
#define IWS_E_UNKNOWN_OPTION -103   /* option number not known              */
#define IWS_E_OPTION_TYPE -104      /* int setter on a string option etc.   */
#define IWS_E_OPTION_RANGE -105     /* option value out of range            */
#define IWS_E_IN_CALLBACK -106      /* call not allowed inside a callback   */
#define IWS_E_BUFFER_TOO_SMALL -107 /* output buffer too small              */
#define IWS_E_INVALID_UTF8 -108     /* text is not valid UTF-8              */
#define IWS_E_STRUCT_SIZE -109      /* struct_size unknown to this library  */
#define IWS_E_CLOSE_CODE -110       /* close code not allowed to be sent    */
#define IWS_E_TOO_LONG -111         /* control payload or reason too long   */
/* Since 0.4. */
#define IWS_E_CHANNEL_NAME -115     /* channel name empty, over 255 bytes,
                                       not UTF-8, or with a control
                                       character (bytes below 0x20)         */
#define IWS_E_UNSUPPORTED -116      /* this build lacks the feature (e.g.
                                       IWS_OPT_REDIS_URL in a library built
                                       without hiredis)                     */
#define IWS_E_FILE -117             /* Since 0.5: a file cannot be opened
                                       or read (iws_http_serve_file)       */
#define IWS_E_NOT_FOUND -118        /* Since 0.6: no such item (a depth past
                                       the end of a certificate chain:
                                       iws_conn_peer_chain_cert)           */

#define IWS_E_NO_CONNECTION -200    /* id unknown, or connection gone       */
#define IWS_E_CLOSING -201          /* connection is closing: nothing sent  */
#define IWS_E_QUEUE_FULL -202       /* send would exceed the queue limit    */
#define IWS_E_MESSAGE_TOO_BIG -203  /* over IWS_OPT_MAX_MESSAGE_SIZE        */
#define IWS_E_PROTOCOL -204         /* peer broke RFC 6455                  */
#define IWS_E_HANDSHAKE -205        /* handshake refused or malformed       */
#define IWS_E_TIMEOUT -206          /* handshake, close or heartbeat timeout*/
#define IWS_E_CONNECTION_LOST -207  /* peer reset / vanished                */

#define IWS_E_NOMEM -300            /* out of memory                        */
#define IWS_E_SYSTEM -301           /* an OS call failed (see last_error)   */
#define IWS_E_THREAD -302           /* a thread could not be created        */

#define IWS_E_ADDRESS -400          /* bind address cannot be parsed        */
#define IWS_E_BIND -401             /* bind failed (port in use, ...)       */
#define IWS_E_LISTEN -402           /* listen failed                        */
/* Since 0.4. */
#define IWS_E_REDIS -403            /* the Redis link failed or was lost
                                       (on_error, id 0): publishing goes on
                                       locally while it reconnects          */

/* Since 0.3. */
#define IWS_E_TLS_CONFIG -500       /* TLS options rejected at iws_start:
                                       certificate, key, password, chain,
                                       ciphers; iws_last_error has OpenSSL's
                                       reason text                          */
#define IWS_E_TLS -501              /* a connection's TLS failed: bad
                                       records, not TLS at all, handshake
                                       failure, renegotiation attempt
                                       (OpenSSL's reason goes to on_log at
                                       IWS_LOG_INFO, and to on_error when
                                       the WebSocket was open)              */

/* ------------------------------------------------------------------------ */
/* Types                                                                     */
/* ------------------------------------------------------------------------ */

/* The server: opaque. Created by iws_create, released by iws_destroy. */
typedef struct iws_server iws_server;

/* A request: the WebSocket handshake (valid only inside on_connect) or,
 * Since 0.5, a plain HTTP request (valid only inside on_http_request). */
typedef struct iws_request iws_request;

/* The answer to one HTTP request (Since 0.5). Created by the library for
 * each on_http_request; see "HTTP" below for its life. */
typedef struct iws_http_response iws_http_response;

/* A connection id: 64-bit, starts at 1, never reused within one server's
 * life (also across stop/start). 0 is never a connection. */
typedef uint64_t iws_conn_id;

/* Message opcodes (the RFC 6455 values). */
#define IWS_OP_TEXT 1
#define IWS_OP_BINARY 2
#define IWS_OP_PING 9 /* iws_broadcast only: ping every connection */

/* Close codes worth naming (RFC 6455 section 7.4.1). */
#define IWS_CLOSE_NORMAL 1000
#define IWS_CLOSE_GOING_AWAY 1001
#define IWS_CLOSE_PROTOCOL_ERROR 1002
#define IWS_CLOSE_UNSUPPORTED_DATA 1003
#define IWS_CLOSE_NO_STATUS 1005 /* reported only: peer sent no code */
#define IWS_CLOSE_ABNORMAL 1006  /* reported only: no close handshake */
#define IWS_CLOSE_INVALID_DATA 1007
#define IWS_CLOSE_POLICY_VIOLATION 1008
#define IWS_CLOSE_MESSAGE_TOO_BIG 1009
#define IWS_CLOSE_INTERNAL_ERROR 1011

/* on_connect's answer to accept a connection; any HTTP status from 400 to
 * 599 refuses it with that status instead. */
#define IWS_ACCEPT 0

/* Log levels for on_log and IWS_OPT_LOG_LEVEL. */
#define IWS_LOG_ERROR 1
#define IWS_LOG_WARN 2
#define IWS_LOG_INFO 3
#define IWS_LOG_DEBUG 4

/* Send-queue policies for IWS_OPT_SEND_QUEUE_POLICY. */
#define IWS_QUEUE_CLOSE 0 /* over the limit: close the slow peer with 1008 */
#define IWS_QUEUE_ERROR 1 /* over the limit: the send returns IWS_E_QUEUE_FULL */

/* TLS protocol versions for IWS_OPT_TLS_MIN_VERSION (Since 0.3). */
#define IWS_TLS_1_2 12
#define IWS_TLS_1_3 13

/* ------------------------------------------------------------------------ */
/* Callbacks                                                                 */
/* ------------------------------------------------------------------------ */
/* Every callback receives the server, and `user` = the pointer given to
 * iws_create. Pointers passed in are valid for the duration of the call only.
 * A callback must not call iws_stop, iws_destroy, iws_set_* or iws_start
 * (they return IWS_E_IN_CALLBACK); everything else is allowed. */

/* A client finished a valid opening handshake. Runs on the connection's
 * callback thread. Inspect the request with iws_request_*; choose a
 * subprotocol with iws_request_select_protocol; attach data with
 * iws_conn_set_user_data. Return IWS_ACCEPT, or an HTTP status 400..599 to
 * refuse (the client gets that status and the connection is closed, and no
 * on_disconnect follows). Any other value refuses with 500. */
typedef int32_t(IWS_CALLBACK *iws_on_connect_fn)(iws_server *server,
                                                 iws_conn_id id,
                                                 iws_request *request,
                                                 void *user);

/* A complete message arrived (fragments already joined). opcode is
 * IWS_OP_TEXT (data is valid UTF-8, not NUL-terminated) or IWS_OP_BINARY.
 * data may be NULL when length is 0. */
typedef void(IWS_CALLBACK *iws_on_message_fn)(iws_server *server,
                                              iws_conn_id id, uint32_t opcode,
                                              const uint8_t *data,
                                              uint64_t length, void *user);

/* The connection is gone. Fires exactly once for every connection whose
 * on_connect accepted it: after a close handshake (code = the code that
 * ended it: the peer's, or ours such as 1009/1002/1001), when the peer
 * vanished or a heartbeat/close timeout expired (1006), and at iws_stop.
 * reason is the close reason (UTF-8, may be empty, not NUL-terminated).
 * After it returns the id is dead: sends to it return IWS_E_NO_CONNECTION. */
typedef void(IWS_CALLBACK *iws_on_disconnect_fn)(iws_server *server,
                                                 iws_conn_id id, uint32_t code,
                                                 const char *reason,
                                                 uint32_t reason_length,
                                                 void *user);

/* Something went wrong. id = 0 for server-wide problems (any thread), else
 * the connection concerned (its callback thread, before its on_disconnect).
 * code is an IWS_E_* value, message a NUL-terminated English sentence. */
typedef void(IWS_CALLBACK *iws_on_error_fn)(iws_server *server, iws_conn_id id,
                                            int32_t code, const char *message,
                                            void *user);

/* A log line at `level` (IWS_LOG_*) or more important than
 * IWS_OPT_LOG_LEVEL. May be called from any library thread, concurrently:
 * make it thread-safe. message is NUL-terminated. Like every callback it
 * may call the API (iws_broadcast, iws_conn_peer...): it never runs while
 * the library holds a lock (a line made under one is delivered once the
 * lock is released, in order). */
typedef void(IWS_CALLBACK *iws_on_log_fn)(iws_server *server, int32_t level,
                                          const char *message, void *user);

/* Since 0.5. An HTTP request that is not a WebSocket upgrade arrived whole
 * (head and body) and was not answered from IWS_OPT_HTTP_DOCUMENT_ROOT.
 * Runs on the connection's callback thread, like on_message. Read it with
 * iws_request_* (method, path, query, parameters, headers, body); fill
 * `response` with iws_http_*. When the callback returns, the response is
 * sent, unless the callback called iws_http_defer: then it is sent by
 * iws_http_send, from any thread, later. A response left untouched (no
 * status, no body, no file) is answered 404. Without on_http_request, every
 * request that is not an upgrade is answered 404 (or from the document
 * root). The connection id is the HTTP connection's (iws_conn_peer works
 * on it; sends of WebSocket messages to it return IWS_E_NO_CONNECTION);
 * keep-alive requests on one connection share it. Plain HTTP connections
 * get no on_connect and no on_disconnect (a later WebSocket upgrade on the
 * same connection does, as usual); on_open and on_close (Since 0.6) mark
 * every connection's start and end. See "HTTP" below. */
typedef void(IWS_CALLBACK *iws_on_http_request_fn)(iws_server *server,
                                                   iws_conn_id id,
                                                   iws_request *request,
                                                   iws_http_response *response,
                                                   void *user);

/* Since 0.6. A connection was accepted: every TCP connection, before any
 * byte of it is read (on a TLS port before the TLS handshake), whether it
 * will speak plain HTTP or WebSocket. It is the first callback of `id` and
 * runs on the connection's callback thread: with IWS_OPT_WORKER_THREADS 0
 * on the I/O thread that accepted it (a slow on_open delays that thread's
 * other accepts and connections), else on its worker. The id works at
 * once with iws_conn_peer, iws_conn_set_user_data and iws_disconnect (which
 * refuses the connection: on_close follows). Indy's OnConnect. */
typedef void(IWS_CALLBACK *iws_on_open_fn)(iws_server *server, iws_conn_id id,
                                           void *user);

/* Since 0.6. The connection that on_open announced is gone: exactly once
 * for every on_open (also when on_open is NULL and on_close is not: the
 * pair is counted from accept), for every cause (the client closed, a
 * timeout, iws_disconnect, a refused request or handshake, iws_stop). It
 * is the last callback of `id`, on its callback thread, after
 * on_disconnect when the connection had become a WebSocket; while it runs
 * iws_conn_peer and iws_conn_get_user_data still answer; afterwards the
 * id is dead. Plain HTTP connections have no other end notification.
 * Indy's OnDisconnect. */
typedef void(IWS_CALLBACK *iws_on_close_fn)(iws_server *server,
                                            iws_conn_id id, void *user);

/* Since 0.6. The heartbeat (IWS_OPT_HEARTBEAT_INTERVAL_MS) is about to ping
 * connection `id` (with IWS_OPT_HEARTBEAT_IF_IDLE 1: only a ping the
 * option lets through; a beat it skips calls nothing). Return 0 and the
 * library sends its ping (and, with IWS_OPT_HEARTBEAT_TIMEOUT_MS, expects
 * an answer in time); return 1 ("handled": the application did its own
 * heartbeat, e.g. iws_ping or a message of its protocol) and nothing is
 * sent and no answer is awaited for this beat. Any other value counts as 0.
 * sgcWebSockets' OnBeforeHeartBeat(Sender, Connection, var Handled).
 * Threads: like on_message, never concurrently with another callback of
 * `id` and never under a lock of the library's. With
 * IWS_OPT_WORKER_THREADS > 0 it runs on the connection's worker, in order
 * with its other callbacks. With 0 it runs on the thread that keeps the
 * timers (one of the I/O threads) while the connection's own I/O thread
 * waits for it to return (a slow on_heartbeat delays that thread's other
 * connections and every other connection's heartbeat: keep it short); a
 * beat that falls while another callback of `id` runs is skipped (the
 * connection is evidently alive). The connection may call iws_send,
 * iws_ping, iws_close or iws_disconnect from inside it. */
typedef int32_t(IWS_CALLBACK *iws_on_heartbeat_fn)(iws_server *server,
                                                   iws_conn_id id, void *user);

/* Since 0.6. on_http_head's answers: how the body of the request is read
 * (any other answer from 400 to 599 refuses the request with that status). */
#define IWS_HTTP_BODY_BUFFER 0 /* into memory, bounded by
                                  IWS_OPT_HTTP_MAX_BODY_SIZE (else 413), then
                                  on_http_request with the body: as when
                                  on_http_head is NULL                     */
#define IWS_HTTP_BODY_STREAM 1 /* piece by piece to on_http_body as it
                                  arrives, unbounded (the application keeps
                                  it), then on_http_request with an empty
                                  body                                     */

/* Since 0.6. The head of an HTTP request that is not a WebSocket upgrade
 * was read; its body (if any) was not. Runs on the connection's callback
 * thread, before on_http_body and on_http_request of that request; the
 * request's accessors work as in on_http_request, except that the body is
 * empty and the parameters hold only the query's. Returns
 * IWS_HTTP_BODY_BUFFER, IWS_HTTP_BODY_STREAM or a status from 400 to 599:
 * the request is then answered with that status (a short text body, no
 * on_http_request), its body is never read, and the connection closes
 * after the answer; a client that sent "Expect: 100-continue" gets that
 * refusal instead of "100 Continue" (which is sent only once on_http_head
 * accepted the body); iws_http_head_refuse, called meanwhile, makes that
 * answer the application's own (reason, content type, body). Any other
 * value refuses with 500. A request whose
 * Content-Length is over IWS_OPT_HTTP_MAX_BODY_SIZE reaches on_http_head,
 * and is answered 413 only if it answers IWS_HTTP_BODY_BUFFER. NULL: every
 * body is read into memory (IWS_HTTP_BODY_BUFFER). The request is valid
 * during the call only. Indy's OnHeadersAvailable and OnCreatePostStream. */
typedef int32_t(IWS_CALLBACK *iws_on_http_head_fn)(iws_server *server,
                                                   iws_conn_id id,
                                                   iws_request *request,
                                                   void *user);

/* Since 0.6. A piece of the body of a request for which on_http_head
 * answered IWS_HTTP_BODY_STREAM: pieces arrive in order, on the
 * connection's callback thread, one call at a time, chunked transfer
 * coding already removed (length > 0, data valid during the call only);
 * on_http_request follows once the body is complete (with an empty body).
 * Memory stays bounded, whatever the body's size: with
 * IWS_OPT_WORKER_THREADS 0 the I/O thread runs it and reads nothing more
 * of the connection meanwhile; with worker threads, reading of this
 * connection pauses while more than 256 KiB of it wait for the worker. The
 * request timeout (IWS_OPT_HTTP_REQUEST_TIMEOUT_MS) counts from each piece
 * for a streamed body: a body may take as long as it keeps arriving.
 * Returns 0 to go on, or a status from 400 to 599: the request is answered
 * with it (no on_http_request), the rest of the body is not read and the
 * connection closes (e.g. 507 when the disk is full); any other value
 * refuses with 500. If the connection ends before the body is complete,
 * no on_http_request follows (on_close does, as always): the application
 * drops what it kept. NULL: the pieces are dropped. */
typedef int32_t(IWS_CALLBACK *iws_on_http_body_fn)(iws_server *server,
                                                   iws_conn_id id,
                                                   const uint8_t *data,
                                                   uint32_t length,
                                                   void *user);

/* The callback table. Set struct_size = sizeof(iws_callbacks); any entry may
 * be NULL. Copied by iws_create: the caller may free it afterwards.
 * Since 0.1: on_connect, on_message, on_disconnect, on_error, on_log.
 * Since 0.5: on_http_request (a caller with the 0.1 struct_size has none).
 * Since 0.6: on_open, on_close, on_heartbeat, on_http_head, on_http_body. */
typedef struct iws_callbacks {
  uint32_t struct_size;
  uint32_t reserved0; /* keeps the layout identical for every compiler */
  iws_on_connect_fn on_connect;
  iws_on_message_fn on_message;
  iws_on_disconnect_fn on_disconnect;
  iws_on_error_fn on_error;
  iws_on_log_fn on_log;
  iws_on_http_request_fn on_http_request; /* Since 0.5 */
  iws_on_open_fn on_open;                 /* Since 0.6 */
  iws_on_close_fn on_close;               /* Since 0.6 */
  iws_on_heartbeat_fn on_heartbeat;       /* Since 0.6 */

  iws_on_http_head_fn on_http_head;       /* Since 0.6 */
  iws_on_http_body_fn on_http_body;       /* Since 0.6 */
} iws_callbacks;

/* ------------------------------------------------------------------------ */
/* Options                                                                   */
/* ------------------------------------------------------------------------ */
/* Numbers carry their type: 0..9999 integers (iws_set_int/iws_get_int),
 * 10000..19999 strings (iws_set_str/iws_get_str). Numbers are never reused.
 * Options may be set while the server is stopped; setting one while it runs
 * returns IWS_E_BAD_STATE. Defaults in brackets. */

/* integers */
#define IWS_OPT_PORT 1                  /* [0] -1..65535; 0 = any free port;
                                           -1 = no plain (ws://) listener,
                                           e.g. wss:// only (Since 0.3)       */
#define IWS_OPT_IO_THREADS 2            /* [0] 0..256; 0 = the number of CPUs
                                           the process may run on (its
                                           affinity mask; Since 0.5)          */
#define IWS_OPT_WORKER_THREADS 3        /* [0] 0..256; 0 = callbacks on I/O
                                           threads; N = each connection pinned
                                           to one of N callback threads       */
#define IWS_OPT_MAX_CONNECTIONS 4       /* [0] 0 = unlimited; over it a new
                                           client gets HTTP 503               */
#define IWS_OPT_MAX_MESSAGE_SIZE 5      /* [16 MiB] 1..2^31; inbound messages
                                           over it close with 1009; sends over
                                           it return IWS_E_MESSAGE_TOO_BIG    */
#define IWS_OPT_MAX_HANDSHAKE_SIZE 6    /* [8192] 256..1 MiB; over it: 431    */
#define IWS_OPT_HANDSHAKE_TIMEOUT_MS 7  /* [10000] 0 = none; slow clients are
                                           dropped                             */
#define IWS_OPT_HEARTBEAT_INTERVAL_MS 8 /* [0] 0 = off; server pings every
                                           connection at this interval         */
#define IWS_OPT_HEARTBEAT_TIMEOUT_MS 9  /* [0] 0 = no dead-peer check; else a
                                           peer silent this long after a ping
                                           is dropped (on_disconnect 1006)     */
#define IWS_OPT_SEND_QUEUE_LIMIT 10     /* [32 MiB] bytes queued per
                                           connection; 0 = unlimited. Also
                                           (Since 0.6) reading from a
                                           connection pauses while more than
                                           this (32 MiB when 0) waits to be
                                           sent, so replies the library makes
                                           itself (pongs) never pile up for
                                           a peer that does not read; it
                                           resumes below half of it          */
#define IWS_OPT_SEND_QUEUE_POLICY 11    /* [IWS_QUEUE_CLOSE] or IWS_QUEUE_ERROR */
#define IWS_OPT_TCP_NODELAY 12          /* [1] 0/1: disable Nagle              */
#define IWS_OPT_LISTEN_BACKLOG 13       /* [511] 1..65535                      */
#define IWS_OPT_CLOSE_TIMEOUT_MS 14     /* [5000] wait for the peer's close
                                           frame, then drop the TCP link       */
#define IWS_OPT_STOP_TIMEOUT_MS 15      /* [3000] iws_stop waits this long for
                                           close handshakes, then aborts       */
#define IWS_OPT_LOG_LEVEL 16            /* [IWS_LOG_WARN] 0..4; 0 = silent     */
#define IWS_OPT_IPV6_ONLY 17            /* [0] 0/1 for an IPv6 bind address    */
#define IWS_OPT_ACCEPTS_POSTED 18       /* [0] IOCP: AcceptEx calls kept
                                           posted (0 = 2 per I/O thread);
                                           ignored by the epoll back end       */

/* TLS (wss://), Since 0.3. A server has a plain listener (IWS_OPT_PORT) and
 * optionally a TLS listener (IWS_OPT_TLS_PORT) on the same bind address,
 * side by side; set IWS_OPT_PORT to -1 for TLS only (Since 0.6, any set of
 * plain and TLS listeners: iws_add_listener). TLS needs a
 * certificate and its private key (IWS_OPT_TLS_CERT_FILE/_KEY_FILE, or the
 * _PEM options for PEM text held in memory; a PEM option wins over the file
 * option of the same kind). Everything is checked at iws_start, which fails
 * with IWS_E_TLS_CONFIG and OpenSSL's reason text in iws_last_error (bad
 * file, wrong password, key not matching the certificate, unknown cipher).
 * TLS 1.2 renegotiation is refused (the connection ends); close_notify is
 * sent on every clean close. Byte counters in iws_stats (bytes_in,
 * bytes_out) count TLS bytes on the wire; the send-queue limit counts the
 * plaintext frames waiting plus the ciphertext being written.
 *
 * For sgcWebSockets' SSL / SSLOptions, the bindings map:
 *   SSL = True               IWS_OPT_TLS_PORT = SSLOptions.Port (or Port,
 *                            with IWS_OPT_PORT = -1, when it is 0)
 *   SSLOptions.CertFile      IWS_OPT_TLS_CERT_FILE
 *   SSLOptions.KeyFile       IWS_OPT_TLS_KEY_FILE
 *   SSLOptions.RootCertFile  IWS_OPT_TLS_CA_FILE
 *   SSLOptions.Password      IWS_OPT_TLS_PASSWORD
 *   SSLOptions.Version       IWS_OPT_TLS_MIN_VERSION (tls1_2 -> IWS_TLS_1_2,
 *                            tls1_3 -> IWS_TLS_1_3; tlsUndefined -> the
 *                            default; tls1_0/tls1_1 are not offered)      */
#define IWS_OPT_TLS_PORT 19             /* [-1] -1..65535; -1 = no TLS
                                           listener; 0 = any free port
                                           (iws_get_tls_port tells which)     */
#define IWS_OPT_TLS_MIN_VERSION 20      /* [IWS_TLS_1_2] IWS_TLS_1_2 or
                                           IWS_TLS_1_3: oldest version
                                           accepted (1.3 is always offered)   */
#define IWS_OPT_TLS_HANDSHAKE_TIMEOUT_MS 21 /* [10000] 0..3600000; 0 = none:
                                           a client that has not finished the
                                           TLS handshake by then is dropped;
                                           IWS_OPT_HANDSHAKE_TIMEOUT_MS then
                                           covers the HTTP upgrade            */

/* Client certificates, Since 0.6. With IWS_OPT_TLS_VERIFY_CLIENT set, the
 * server asks every TLS client for a certificate and verifies it against
 * the CAs in IWS_OPT_TLS_CLIENT_CA_FILE / _PEM (one of them is then
 * required: IWS_E_TLS_CONFIG at iws_start otherwise), with at most
 * IWS_OPT_TLS_VERIFY_DEPTH intermediate certificates between the client's
 * certificate and a trusted CA. A certificate that does not verify
 * (unknown issuer, expired, not yet valid, chain too long, not meant for
 * clients) fails the TLS handshake: the client gets a TLS alert, the
 * application never hears of it (no on_connect, no on_http_request) and
 * on_log (IWS_LOG_INFO) says why. iws_conn_peer_cert reads the verified
 * certificate of a connection, iws_conn_peer_chain_cert its chain. Every
 * TLS listener and every SNI host (iws_tls_add_host) verifies alike.
 *
 * For sgcWebSockets' SSLOptions and Indy's SSL IOHandler, the bindings map:
 *   VerifyCertificate = True                 IWS_TLS_VERIFY_REQUEST, or
 *     with VerifyCertificate_Options.FailIfNoCertificate (Indy:
 *     sslvrfFailIfNoPeerCert)                IWS_TLS_VERIFY_REQUIRE
 *   VerifyDepth (> 0)                        IWS_OPT_TLS_VERIFY_DEPTH
 *   RootCertFile                             IWS_OPT_TLS_CLIENT_CA_FILE
 *                                            too, when verifying           */
#define IWS_TLS_VERIFY_NONE 0    /* no client certificate asked for        */
#define IWS_TLS_VERIFY_REQUEST 1 /* asked for; a client may send none (the
                                    connection goes on, without one), but
                                    one it sends must verify              */
#define IWS_TLS_VERIFY_REQUIRE 2 /* a client without a certificate that
                                    verifies is refused in the handshake  */
#define IWS_OPT_TLS_VERIFY_CLIENT 22    /* [IWS_TLS_VERIFY_NONE] 0..2        */
#define IWS_OPT_TLS_VERIFY_DEPTH 23     /* [9] 0..100: most intermediate CA
                                           certificates allowed between the
                                           client's and a trusted CA (0 = the
                                           client's certificate must be
                                           issued by a trusted CA itself)    */

/* permessage-deflate (RFC 7692), Since: 0.4. Off by default. When on, a
 * client that offers permessage-deflate (every browser, Python websockets,
 * Node ws) gets it; offers the server cannot honour are declined (the
 * connection opens uncompressed); a Sec-WebSocket-Extensions header that
 * does not parse is refused with HTTP 400. Compression is invisible to the
 * callbacks: on_message gets the inflated message, iws_send takes the plain
 * one. RSV1 on a control or continuation frame closes with 1002; a message
 * that does not inflate closes with 1007; one that inflates past
 * IWS_OPT_DEFLATE_MAX_INFLATED_SIZE closes with 1009 before that memory is
 * spent.
 *
 * Memory. A direction without context takeover (the default both ways)
 * keeps nothing per connection: each message is compressed or inflated with
 * a stream of the thread doing it, reset first. With context takeover a
 * connection keeps its own stream: compressing costs about
 * 2^(window_bits+2) + 2^(mem_level+9) + 6 KiB (zlib's 15/8: ~262 KiB;
 * 10/4: ~18 KiB), inflating about 2^client_window_bits + 7 KiB.
 *
 * Broadcast compresses each message once per distinct negotiated server
 * window (usually once) with a fresh stream, and every receiver shares that
 * frame; a receiver with server context takeover starts its next own
 * message from a fresh context.
 *
 * For sgcWebSockets' Extensions.PerMessage_Deflate the bindings map:
 *   Enabled                  IWS_OPT_DEFLATE
 *   ServerMaxWindowBits      IWS_OPT_DEFLATE_SERVER_MAX_WINDOW_BITS
 *   ClientMaxWindowBits      IWS_OPT_DEFLATE_CLIENT_MAX_WINDOW_BITS
 *   ServerNoContextTakeOver  IWS_OPT_DEFLATE_SERVER_NO_CONTEXT_TAKEOVER
 *   ClientNoContextTakeOver  IWS_OPT_DEFLATE_CLIENT_NO_CONTEXT_TAKEOVER
 *   MemLevel                 IWS_OPT_DEFLATE_MEM_LEVEL
 *   Extensions.MaxDecompressedSize  IWS_OPT_DEFLATE_MAX_INFLATED_SIZE     */
#define IWS_OPT_DEFLATE 30              /* [0] 1 = negotiate permessage-deflate */
#define IWS_OPT_DEFLATE_SERVER_MAX_WINDOW_BITS 31 /* [15] 9..15: window of
                                           the server's compressor (a client
                                           may ask for less)                  */
#define IWS_OPT_DEFLATE_CLIENT_MAX_WINDOW_BITS 32 /* [15] 9..15: window asked
                                           of clients that offer
                                           client_max_window_bits             */
#define IWS_OPT_DEFLATE_SERVER_NO_CONTEXT_TAKEOVER 33 /* [1] 0/1: 1 = every
                                           message compressed on its own (no
                                           memory per connection); 0 = keep
                                           the context unless the client asks
                                           otherwise (better ratio)           */
#define IWS_OPT_DEFLATE_CLIENT_NO_CONTEXT_TAKEOVER 34 /* [1] 0/1: 1 = ask the
                                           client to compress every message
                                           on its own (no inflate memory per
                                           connection)                        */
#define IWS_OPT_DEFLATE_MEM_LEVEL 35    /* [8] 1..9: zlib memLevel of the
                                           compressor                         */
#define IWS_OPT_DEFLATE_LEVEL 36        /* [6] 0..9: zlib compression level   */
#define IWS_OPT_DEFLATE_THRESHOLD 37    /* [64] 0..2^31: messages shorter than
                                           this are sent uncompressed         */
#define IWS_OPT_DEFLATE_MAX_INFLATED_SIZE 38 /* [0] 0..2^31: largest inflated
                                           message, else close 1009; 0 = the
                                           IWS_OPT_MAX_MESSAGE_SIZE           */

/* Channels across servers through Redis pub/sub, Since 0.4 (see "Channels"
 * below). Setting IWS_OPT_REDIS_URL to a non-empty value in a library built
 * without hiredis returns IWS_E_UNSUPPORTED. */
#define IWS_OPT_REDIS_RECONNECT_MAX_MS 40 /* [5000] 100..600000: the Redis
                                           reconnect delay starts at 100 ms
                                           and doubles up to this            */

/* HTTP, Since 0.5 (see "HTTP" below). The request head's limit is
 * IWS_OPT_MAX_HANDSHAKE_SIZE (over it: 431). */
#define IWS_OPT_HTTP_MAX_BODY_SIZE 50   /* [1 MiB] 0..2^31: largest request
                                           body (Content-Length or chunked),
                                           else 413 and the connection closes;
                                           not for bodies streamed to
                                           on_http_body (Since 0.6)         */
#define IWS_OPT_HTTP_MAX_URI_LENGTH 51  /* [8192] 16..1 MiB: longest
                                           request-target, else 414          */
#define IWS_OPT_HTTP_REQUEST_TIMEOUT_MS 52 /* [30000] 0 = none: a request's
                                           head and body must arrive within
                                           this from its first byte, else 408
                                           and the connection closes        */
#define IWS_OPT_HTTP_KEEPALIVE_TIMEOUT_MS 53 /* [15000] 0..3600000: an idle
                                           keep-alive connection is closed
                                           after this; 0 = one request per
                                           connection (Connection: close)   */
#define IWS_OPT_HTTP_RESPONSE_TIMEOUT_MS 54 /* [60000] 0 = none: a deferred
                                           response not sent within this is
                                           answered 503 by the library, and
                                           the late iws_http_send returns
                                           IWS_E_TIMEOUT                    */
#define IWS_OPT_HTTP_MAX_PIPELINED 55   /* [16] 1..1024: pipelined requests
                                           one connection has answered in
                                           one turn: beyond it, with more
                                           buffered, the connection yields
                                           its thread to others and comes
                                           back (reading pauses and
                                           resumes). Requests behind an
                                           unanswered (deferred) one wait
                                           as read-ahead bytes; reading
                                           pauses until it is sent          */

/* Memory for messages still arriving, Since 0.6. A message's buffer grows
 * with the bytes that arrive, never with what a frame header announces, and
 * all connections together hold at most this many bytes for messages not
 * yet complete: a message that would need more is refused with close 1009
 * and on_error (IWS_E_MESSAGE_TOO_BIG, "the server's memory for incomplete
 * messages is exhausted"); the others go on. A message that arrives in one
 * read holds nothing. Set it above IWS_OPT_MAX_MESSAGE_SIZE times the
 * number of large messages you expect at once. */
#define IWS_OPT_INCOMPLETE_MESSAGES_LIMIT 56 /* [256 MiB; 64 MiB in 32-bit
                                           builds] 0..2^40, 0 = unlimited:
                                           bytes all connections together
                                           may hold for incomplete messages */

/* TCP keep-alive on every accepted socket, Since 0.6 (sgc's TCPKeepAlive:
 * Enabled, Time, Interval; Indy's SetKeepAliveValues). With it on, the
 * system probes a connection that was silent for _TIME_MS every
 * _INTERVAL_MS, and drops it after 10 unanswered probes (Windows' fixed
 * count; set to 10 on Linux too): the next read fails and on_disconnect
 * fires with 1006. It finds dead peers below WebSocket, also for HTTP
 * connections; a heartbeat (IWS_OPT_HEARTBEAT_*) is finer-grained.
 * Windows: SIO_KEEPALIVE_VALS (milliseconds); Linux: SO_KEEPALIVE,
 * TCP_KEEPIDLE and TCP_KEEPINTVL (seconds: the times are rounded up to
 * whole seconds). A socket option the system refuses is logged (warning)
 * and the connection goes on without it. */
#define IWS_OPT_TCP_KEEPALIVE 57        /* [0] 0/1: probe idle connections   */
#define IWS_OPT_TCP_KEEPALIVE_TIME_MS 58 /* [7200000] 1..32767000: silence
                                           before the first probe (sgc's
                                           TCPKeepAlive.Time)                */
#define IWS_OPT_TCP_KEEPALIVE_INTERVAL_MS 59 /* [1000] 1..32767000: between
                                           unanswered probes (sgc's
                                           TCPKeepAlive.Interval)            */

/* Heartbeat only for quiet connections, Since 0.6 (sgc's HeartBeat.
 * HeartBeatType = hbtOnlyIfNoMsgRcvInterval). With it, a beat of
 * IWS_OPT_HEARTBEAT_INTERVAL_MS pings a connection (and calls
 * on_heartbeat) only if no data frame (text, binary or continuation: a
 * message or a piece of one) came from it during the last interval;
 * control frames (its pings, its pongs to our pings) do not count, so a
 * client that only answers pings keeps being pinged. A connection that
 * keeps talking is never pinged; IWS_OPT_HEARTBEAT_TIMEOUT_MS applies to
 * the pings that are sent. */
#define IWS_OPT_HEARTBEAT_IF_IDLE 60    /* [0] 0 = ping every interval
                                           (hbtAlways); 1 = only connections
                                           with no message received during
                                           the last interval                 */

/* strings (UTF-8, NUL-terminated; NULL resets to the default) */
#define IWS_OPT_BIND_ADDRESS 10001 /* ["0.0.0.0"] IPv4 or IPv6 literal;
                                      "::" listens on IPv6 and IPv4            */
#define IWS_OPT_SUBPROTOCOLS 10002 /* [""] comma-separated subprotocols the
                                      server speaks, in preference order; the
                                      first one a client offers is chosen
                                      unless on_connect selects another       */
/* TLS strings, Since 0.3 (see above). Files are paths (UTF-8); PEM options
 * hold the PEM text itself (up to 1 MiB). */
#define IWS_OPT_TLS_CERT_FILE 10003 /* [""] PEM: the server certificate,
                                       optionally followed by its chain      */
#define IWS_OPT_TLS_KEY_FILE 10004  /* [""] PEM: its private key (may be
                                       encrypted: IWS_OPT_TLS_PASSWORD)      */
#define IWS_OPT_TLS_CA_FILE 10005   /* [""] PEM: CA / intermediate
                                       certificates sent after the server's
                                       own to complete its chain             */
#define IWS_OPT_TLS_PASSWORD 10006  /* [""] password of an encrypted key;
                                       write-only: iws_get_str gives ""      */
#define IWS_OPT_TLS_CERT_PEM 10007  /* [""] like _CERT_FILE, PEM in memory   */
#define IWS_OPT_TLS_KEY_PEM 10008   /* [""] like _KEY_FILE, PEM in memory    */
#define IWS_OPT_TLS_CA_PEM 10009    /* [""] like _CA_FILE, PEM in memory     */
#define IWS_OPT_TLS_CIPHERS 10010   /* [""] OpenSSL cipher list for TLS 1.2
                                       ("" = OpenSSL's default), e.g.
                                       "ECDHE+AESGCM:ECDHE+CHACHA20"         */
#define IWS_OPT_TLS_CIPHERSUITES 10011 /* [""] TLS 1.3 suites ("" = default),
                                       e.g. "TLS_AES_128_GCM_SHA256"         */
/* Since 0.6: client certificates (see IWS_OPT_TLS_VERIFY_CLIENT). */
#define IWS_OPT_TLS_CLIENT_CA_FILE 10012 /* [""] PEM: the CA certificates
                                       trusted to issue client certificates
                                       (their names are also sent to the
                                       client as the acceptable issuers)     */
#define IWS_OPT_TLS_CLIENT_CA_PEM 10013 /* [""] like _CLIENT_CA_FILE, PEM in
                                       memory (both may be given: all their
                                       CAs are trusted)                      */
/* Redis, Since 0.4 (see "Channels" below). */
#define IWS_OPT_REDIS_URL 10040    /* [""] "" = channels stay inside this
                                      server; else redis://[[user]:password@]
                                      host[:port][/db] (port 6379): every
                                      iws_publish also goes to Redis and
                                      messages other servers publish there
                                      reach this server's subscribers       */
#define IWS_OPT_REDIS_PREFIX 10041 /* ["iws:"] prefix of the Redis channel
                                      names (up to 200 bytes): servers with
                                      the same Redis and prefix share
                                      channels; another prefix isolates
                                      another application                   */

/* HTTP strings, Since 0.5. */
#define IWS_OPT_HTTP_DOCUMENT_ROOT 10050 /* [""] "" = no static files; else
                                      a directory (iws_start fails with
                                      IWS_E_FILE if it is not one): GET and
                                      HEAD requests for files under it are
                                      answered from it before
                                      on_http_request, as iws_http_serve_file
                                      does. A directory asked without its
                                      '/' gets 301 to path + "/" (query
                                      kept); with it, its index file.
                                      Paths that could leave the root are
                                      refused with 404: ".." segments (also
                                      %2e%2e), backslashes, control bytes,
                                      on Windows ':' and segments ending in
                                      '.' or ' ', and any path whose real
                                      location (symlinks and junctions
                                      resolved) is outside the root; a
                                      symlink that stays inside is served.
                                      Missing files, directories without an
                                      index and other methods go on to
                                      on_http_request (default 404) */
#define IWS_OPT_HTTP_INDEX_FILE 10051 /* ["index.html"] the file served for
                                      a request of a directory under the
                                      document root (a plain name, no '/');
                                      "" = none (404)                       */

/* ------------------------------------------------------------------------ */
/* Library                                                                   */
/* ------------------------------------------------------------------------ */

/* The library's version as IWS_VERSION_NUMBER. Any thread. */
IWS_API uint32_t IWS_CALL iws_version(void);

/* The library's version as "X.Y.Z" (static string). Any thread. */
IWS_API const char *IWS_CALL iws_version_string(void);

/* The ABI the library implements (IWS_ABI_VERSION it was built with). */
IWS_API uint32_t IWS_CALL iws_abi_version(void);

/* The layout of a public struct as this library was compiled, for language
 * bindings that mirror iocpws.h (Pascal records, FFI declarations) and want
 * to check their copy: field_name NULL gives sizeof(struct_name), otherwise
 * the byte offset of that field. Names are the C names ("iws_stats",
 * "bytes_out"). Returns the size or offset (>= 0), or IWS_E_INVALID_ARG for
 * a NULL or unknown struct or field name. Any thread. Since 0.2. */
IWS_API int32_t IWS_CALL iws_struct_layout(const char *struct_name,
                                           const char *field_name);

/* A short English sentence for a status code (static string; unknown codes
 * give "unknown error"). Any thread. */
IWS_API const char *IWS_CALL iws_strerror(int32_t code);

/* The symbolic name of a status code, e.g. "IWS_E_QUEUE_FULL" (static
 * string; unknown codes give "IWS_E_UNKNOWN"). Any thread. */
IWS_API const char *IWS_CALL iws_error_name(int32_t code);

/* ------------------------------------------------------------------------ */
/* Server life cycle                                                         */
/* ------------------------------------------------------------------------ */

/* Creates a stopped server with default options.
 * abi_version: pass IWS_ABI_VERSION. callbacks: may be NULL (no callbacks);
 * its struct_size must be one this library knows. user: handed to every
 * callback. *out receives the handle.
 * Returns IWS_OK; IWS_E_INVALID_ARG (out NULL); IWS_E_ABI_MISMATCH (caller
 * built against another ABI); IWS_E_STRUCT_SIZE; IWS_E_NOMEM. Any thread. */
IWS_API int32_t IWS_CALL iws_create(uint32_t abi_version,
                                    const iws_callbacks *callbacks, void *user,
                                    iws_server **out);

/* Sets an integer option (IWS_OPT_* below 10000). The server must be
 * stopped. Returns IWS_OK; IWS_E_INVALID_ARG; IWS_E_UNKNOWN_OPTION;
 * IWS_E_OPTION_TYPE (a string option); IWS_E_OPTION_RANGE; IWS_E_BAD_STATE
 * (running); IWS_E_IN_CALLBACK. Owner thread. */
IWS_API int32_t IWS_CALL iws_set_int(iws_server *server, int32_t option,
                                     int64_t value);

/* Sets a string option (IWS_OPT_* from 10000); value NULL = default. The
 * string is copied. Same returns as iws_set_int, plus IWS_E_ADDRESS for a bind
 * address that is not an IPv4/IPv6 literal. Owner thread. */
IWS_API int32_t IWS_CALL iws_set_str(iws_server *server, int32_t option,
                                     const char *value);

/* Reads an integer option into *value. Returns IWS_OK; IWS_E_INVALID_ARG;
 * IWS_E_UNKNOWN_OPTION; IWS_E_OPTION_TYPE. Any thread. */
IWS_API int32_t IWS_CALL iws_get_int(iws_server *server, int32_t option,
                                     int64_t *value);

/* Copies a string option, NUL-terminated, into buffer[size]. *needed (may be
 * NULL) receives the size required including the NUL. Returns IWS_OK;
 * IWS_E_BUFFER_TOO_SMALL (buffer left empty); IWS_E_INVALID_ARG;
 * IWS_E_UNKNOWN_OPTION; IWS_E_OPTION_TYPE. Any thread. */
IWS_API int32_t IWS_CALL iws_get_str(iws_server *server, int32_t option,
                                     char *buffer, uint32_t size,
                                     uint32_t *needed);

/* Binds, listens and starts the I/O (and worker) threads. Returns when the
 * server accepts connections. Returns IWS_OK; IWS_E_BAD_STATE (running);
 * IWS_E_ADDRESS; IWS_E_BIND; IWS_E_LISTEN; IWS_E_THREAD; IWS_E_NOMEM;
 * IWS_E_SYSTEM; IWS_E_IN_CALLBACK; since 0.3 IWS_E_TLS_CONFIG (TLS options,
 * with OpenSSL's reason) and IWS_E_OPTION_RANGE (IWS_OPT_PORT and
 * IWS_OPT_TLS_PORT both -1: nothing to listen on); since 0.4
 * IWS_E_OPTION_RANGE also for an IWS_OPT_REDIS_URL it cannot parse (the
 * Redis links then connect in the background: an unreachable Redis does not
 * fail the start). Details: iws_last_error.
 * Owner thread. */
IWS_API int32_t IWS_CALL iws_start(iws_server *server);

/* The port the server listens on (useful with IWS_OPT_PORT = 0); with
 * IWS_OPT_PORT = -1 (TLS only), the TLS listener's port.
 * Returns IWS_OK; IWS_E_INVALID_ARG; IWS_E_BAD_STATE (not running). Any
 * thread. */
IWS_API int32_t IWS_CALL iws_get_port(iws_server *server, uint32_t *port);

/* The port of the TLS listener (useful with IWS_OPT_TLS_PORT = 0).
 * Returns IWS_OK; IWS_E_INVALID_ARG; IWS_E_BAD_STATE (not running, or no
 * TLS listener). Any thread. Since 0.3. (iws_get_port gives the plain
 * listener's port, or the TLS port when IWS_OPT_PORT is -1.) */
IWS_API int32_t IWS_CALL iws_get_tls_port(iws_server *server, uint32_t *port);

/* Listeners, Since 0.6. By default a server listens on IWS_OPT_BIND_ADDRESS
 * with a plain listener on IWS_OPT_PORT and, if IWS_OPT_TLS_PORT is not -1,
 * a TLS listener beside it. To listen on several addresses and ports
 * instead (Indy's and sgcWebSockets' Bindings), add each listener with
 * iws_add_listener before iws_start: once at least one was added, the
 * server listens on exactly the added ones, and IWS_OPT_PORT,
 * IWS_OPT_TLS_PORT and IWS_OPT_BIND_ADDRESS (except as the default
 * address) are not used. Every listener serves WebSocket and HTTP alike;
 * a TLS one uses the server's TLS options (IWS_OPT_TLS_*, the SNI hosts).
 * Addresses may mix IPv4 and IPv6 ("::" with IWS_OPT_IPV6_ONLY 0 listens
 * on both families). If one listener cannot be opened (IWS_E_ADDRESS,
 * IWS_E_BIND: port in use or address not on this machine, IWS_E_LISTEN),
 * iws_start fails, iws_last_error and on_log name the listener (its index,
 * address and port), and none of them is left listening.
 *
 * Listener numbers (index) are the order of iws_add_listener (0 first);
 * without added listeners, the plain listener is 0 and the TLS one follows
 * it (it is 0 with IWS_OPT_PORT = -1). iws_conn_listener tells which one
 * accepted a connection. */
#define IWS_LISTEN_TLS 1        /* iws_add_listener flags: TLS (wss://,
                                   https://) on this listener             */
#define IWS_LISTENERS_MAX 64    /* listeners per server                   */

/* Adds a listener. address: an IPv4 or IPv6 literal ("127.0.0.1", "::1",
 * "0.0.0.0", "::"), or NULL / "" for IWS_OPT_BIND_ADDRESS's value at
 * iws_start. port: 0..65535, 0 = any free port (iws_get_listener tells
 * which). flags: 0 (plain) or IWS_LISTEN_TLS. The address is copied; the
 * same address and port given twice fails at iws_start (IWS_E_BIND). The
 * server must be stopped; listeners stay for every later iws_start until
 * iws_clear_listeners. Returns IWS_OK; IWS_E_INVALID_ARG (NULL server,
 * port over 65535, unknown flags); IWS_E_ADDRESS (not an IP literal);
 * IWS_E_OPTION_RANGE (IWS_LISTENERS_MAX reached); IWS_E_BAD_STATE
 * (running); IWS_E_IN_CALLBACK; IWS_E_NOMEM. Owner thread. Since 0.6. */
IWS_API int32_t IWS_CALL iws_add_listener(iws_server *server,
                                          const char *address, uint32_t port,
                                          uint32_t flags);

/* Removes every listener added with iws_add_listener (the server goes back
 * to IWS_OPT_PORT / IWS_OPT_TLS_PORT). The server must be stopped. Returns
 * IWS_OK; IWS_E_INVALID_ARG; IWS_E_BAD_STATE (running); IWS_E_IN_CALLBACK.
 * Owner thread. Since 0.6. */
IWS_API int32_t IWS_CALL iws_clear_listeners(iws_server *server);

/* The number of sockets the running server listens on (the added
 * listeners, or the 1 or 2 of the options). Returns IWS_OK;
 * IWS_E_INVALID_ARG; IWS_E_BAD_STATE (not running). Any thread. Since
 * 0.6. */
IWS_API int32_t IWS_CALL iws_get_listener_count(iws_server *server,
                                                uint32_t *count);

/* Listener `index` of the running server: the port it is bound to (the
 * one chosen by the system for port 0) into *port, and its flags
 * (IWS_LISTEN_TLS or 0) into *flags (may be NULL). Returns IWS_OK;
 * IWS_E_INVALID_ARG (NULL server or port, index not below the count);
 * IWS_E_BAD_STATE (not running). Any thread. Since 0.6. iws_get_port gives
 * the first plain listener's port (the first TLS one's if none is plain),
 * iws_get_tls_port the first TLS listener's. */
IWS_API int32_t IWS_CALL iws_get_listener(iws_server *server, uint32_t index,
                                          uint32_t *port, uint32_t *flags);

/* Adds a certificate for one host name, chosen by the client's SNI (server
 * name indication); clients naming another host, or none, get the main
 * certificate (IWS_OPT_TLS_CERT_*). host_name: "example.com", or a wildcard
 * "*.example.com" (one label); compared without regard to case. cert and
 * key: a PEM file path, or PEM text itself (a value starting with
 * "-----BEGIN"); cert may carry the chain after the leaf (the main
 * IWS_OPT_TLS_CA_* chain is not added to it). password: for an
 * encrypted key, or NULL. Strings are copied; the files are read and checked
 * at iws_start (IWS_E_TLS_CONFIG there). A host name given again replaces
 * its entry. host_name NULL removes every entry (the other arguments are
 * then ignored). The server must be stopped. Returns IWS_OK;
 * IWS_E_INVALID_ARG (NULL cert or key, empty or over-long host name);
 * IWS_E_BAD_STATE (running); IWS_E_IN_CALLBACK; IWS_E_NOMEM. Owner thread.
 * Since 0.3. */
IWS_API int32_t IWS_CALL iws_tls_add_host(iws_server *server,
                                          const char *host_name,
                                          const char *cert, const char *key,
                                          const char *password);

/* Stops the server: no new connections; every open connection gets close
 * 1001 (going away); after IWS_OPT_STOP_TIMEOUT_MS the rest are aborted.
 * Since 0.4 the Redis links (IWS_OPT_REDIS_URL) close first.
 * When it returns every on_disconnect has fired, the threads have ended and
 * no callback runs any more. The server may be started again. Stopping a
 * stopped server returns IWS_OK. Returns IWS_E_IN_CALLBACK when called inside
 * a callback (it would wait for itself): stop from another thread. Owner
 * thread. */
IWS_API int32_t IWS_CALL iws_stop(iws_server *server);

/* Stops the server if running, then frees it. The handle is invalid
 * afterwards. NULL is accepted and does nothing. Returns IWS_OK;
 * IWS_E_IN_CALLBACK (nothing is freed). Owner thread. */
IWS_API int32_t IWS_CALL iws_destroy(iws_server *server);

/* Copies the detail of the most recent failure of a call on this server
 * (e.g. "bind 0.0.0.0:80: Permission denied") into buffer[size],
 * NUL-terminated and truncated if needed, and returns that failure's code
 * (IWS_OK when nothing failed yet). Any thread. */
IWS_API int32_t IWS_CALL iws_last_error(iws_server *server, char *buffer,
                                        uint32_t size);

/* ------------------------------------------------------------------------ */
/* Sending and closing (any thread, inside callbacks too)                    */
/* ------------------------------------------------------------------------ */
/* A send copies the data and queues one unfragmented frame; the call never
 * blocks on the network. Sends from inside a connection's own callbacks are
 * flushed when the callback returns (several become one write).
 * Common returns: IWS_OK; IWS_E_INVALID_ARG (NULL server, data NULL with
 * length > 0, bad opcode); IWS_E_BAD_STATE (server not running);
 * IWS_E_NO_CONNECTION (unknown or gone id); IWS_E_CLOSING (close started:
 * dropped); IWS_E_MESSAGE_TOO_BIG; IWS_E_QUEUE_FULL (policy IWS_QUEUE_ERROR;
 * with IWS_QUEUE_CLOSE the connection is closed with 1008 and the call
 * returns IWS_E_CLOSING); IWS_E_INVALID_UTF8 (text); IWS_E_NOMEM. */

/* Sends a message with opcode IWS_OP_TEXT (data must be UTF-8) or
 * IWS_OP_BINARY. */
IWS_API int32_t IWS_CALL iws_send(iws_server *server, iws_conn_id id,
                                  uint32_t opcode, const void *data,
                                  uint64_t length);

/* iws_send(server, id, IWS_OP_TEXT, text, length). */
IWS_API int32_t IWS_CALL iws_send_text(iws_server *server, iws_conn_id id,
                                       const char *text, uint64_t length);

/* iws_send(server, id, IWS_OP_BINARY, data, length). */
IWS_API int32_t IWS_CALL iws_send_binary(iws_server *server, iws_conn_id id,
                                         const void *data, uint64_t length);

/* Sends a ping (payload 0..125 bytes; IWS_E_TOO_LONG otherwise). The client's
 * pong counts as activity for the heartbeat. */
IWS_API int32_t IWS_CALL iws_ping(iws_server *server, iws_conn_id id,
                                  const void *data, uint32_t length);

/* Starts the close handshake: sends a close frame with `code` (0 = 1000;
 * allowed: 1000-1003, 1007-1011, 3000-4999, else IWS_E_CLOSE_CODE) and a
 * UTF-8 reason of at most 123 bytes (IWS_E_TOO_LONG, IWS_E_INVALID_UTF8).
 * Data queued before it is still sent. The connection ends when the peer
 * answers or after IWS_OPT_CLOSE_TIMEOUT_MS; on_disconnect then reports code.
 * Closing a connection that is already closing returns IWS_E_CLOSING. */
IWS_API int32_t IWS_CALL iws_close(iws_server *server, iws_conn_id id,
                                   uint32_t code, const char *reason,
                                   uint32_t reason_length);

/* Drops the TCP connection at once, without a close handshake (queued data
 * is discarded). on_disconnect reports 1006. */
IWS_API int32_t IWS_CALL iws_disconnect(iws_server *server, iws_conn_id id);

/* Decides, for iws_broadcast_filter, whether connection `id` receives the
 * message: non-zero = send. conn_user_data is what iws_conn_set_user_data
 * stored. Called on the broadcasting thread, once per connection, with no
 * library lock held; it may call iws_* functions except stop/destroy. */
typedef int32_t(IWS_CALLBACK *iws_filter_fn)(iws_conn_id id,
                                             void *conn_user_data,
                                             void *context);

/* Sends one message to every open connection except the `exclude_count` ids
 * in `exclude` (may be NULL when 0). The frame is built once and its bytes
 * are shared by all receivers. opcode: IWS_OP_TEXT, IWS_OP_BINARY, or
 * IWS_OP_PING (payload <= 125). *sent (may be NULL) receives the number of
 * connections the message was queued for. A receiver over its send-queue
 * limit is handled by the queue policy and does not fail the call. Returns
 * IWS_OK or the common send errors that concern the call itself. */
IWS_API int32_t IWS_CALL iws_broadcast(iws_server *server, uint32_t opcode,
                                       const void *data, uint64_t length,
                                       const iws_conn_id *exclude,
                                       uint32_t exclude_count, uint32_t *sent);

/* Like iws_broadcast, but `filter(id, conn_user_data, context)` chooses the
 * receivers (filter NULL = everyone). */
IWS_API int32_t IWS_CALL iws_broadcast_filter(iws_server *server,
                                              uint32_t opcode, const void *data,
                                              uint64_t length,
                                              iws_filter_fn filter,
                                              void *context, uint32_t *sent);

/* ------------------------------------------------------------------------ */
/* Channels (any thread, inside callbacks too), Since 0.4                    */
/* ------------------------------------------------------------------------ */
/* A channel is a name (1..255 bytes of UTF-8 without control characters;
 * IWS_E_CHANNEL_NAME otherwise) that connections subscribe to; publishing
 * to it sends one message to every subscriber. Channels exist while they
 * have subscribers. A connection's subscriptions end with it (after its
 * on_disconnect). A publish builds the frame once; every receiver's queue
 * shares it, and a slow receiver is handled by the send-queue policy
 * without holding up the others.
 *
 * Across servers: with IWS_OPT_REDIS_URL set, iws_publish delivers to the
 * local subscribers at once and also publishes to Redis channel
 * IWS_OPT_REDIS_PREFIX + channel, tagged with this server's instance id
 * (chosen at each iws_start); every other server with the same Redis and
 * prefix delivers it to its own subscribers, and a server ignores its own
 * messages when Redis echoes them back, so each subscriber gets a message
 * exactly once. The library keeps one subscriber link (PSUBSCRIBE
 * prefix*) and one publisher link, on two threads of its own. When Redis
 * is unreachable, publishing goes on locally: on_error (id 0,
 * IWS_E_REDIS) and on_log report it, the links are retried after 100 ms,
 * doubling up to IWS_OPT_REDIS_RECONNECT_MAX_MS, and on_log (IWS_LOG_INFO)
 * reports the reconnection. What an outage loses: messages published on
 * this server while its publisher link is down reach only its own
 * subscribers, and messages published elsewhere while its subscriber link
 * is down never reach it (Redis pub/sub keeps nothing). The channel
 * functions never block on Redis. */

/* Subscribes connection `id` to `channel` (from on_connect on, until
 * on_disconnect returns). Subscribing again to the same channel does
 * nothing. Returns IWS_OK; IWS_E_INVALID_ARG (NULL server or channel);
 * IWS_E_CHANNEL_NAME; IWS_E_NO_CONNECTION (unknown or gone); IWS_E_NOMEM.
 * Any thread. Since 0.4. */
IWS_API int32_t IWS_CALL iws_subscribe(iws_server *server, iws_conn_id id,
                                       const char *channel);

/* Unsubscribes connection `id` from `channel`, or from every channel when
 * channel is NULL. Unsubscribing from a channel the connection is not in
 * does nothing. Returns IWS_OK; IWS_E_INVALID_ARG (NULL server);
 * IWS_E_CHANNEL_NAME; IWS_E_NO_CONNECTION (unknown or gone). Any thread.
 * Since 0.4. */
IWS_API int32_t IWS_CALL iws_unsubscribe(iws_server *server, iws_conn_id id,
                                         const char *channel);

/* Sends one message to every subscriber of `channel` except the
 * `exclude_count` ids in `exclude` (may be NULL when 0; they are this
 * server's ids, so they exclude nobody on other servers), and, with
 * IWS_OPT_REDIS_URL set, to the subscribers on the other servers. opcode:
 * IWS_OP_TEXT or IWS_OP_BINARY. *sent (may be NULL) receives the number of
 * local connections the message was queued for (0 is not an error: maybe
 * nobody listens here). A receiver over its send-queue limit is handled
 * by the queue policy and does not fail the call; nor does a Redis
 * outage (see above). Returns IWS_OK; IWS_E_INVALID_ARG (NULL server or
 * channel, data NULL with length > 0, exclude NULL with a count, bad
 * opcode); IWS_E_CHANNEL_NAME; IWS_E_BAD_STATE (not running);
 * IWS_E_MESSAGE_TOO_BIG; IWS_E_INVALID_UTF8 (text); IWS_E_NOMEM. Any
 * thread. Since 0.4. */
IWS_API int32_t IWS_CALL iws_publish(iws_server *server, const char *channel,
                                     uint32_t opcode, const void *data,
                                     uint64_t length,
                                     const iws_conn_id *exclude,
                                     uint32_t exclude_count, uint32_t *sent);

/* The channels connection `id` is subscribed to, in the order it joined
 * them, each followed by a line feed ("a\nb\n"; "" for none),
 * NUL-terminated, into buffer[size]; *needed (may be NULL) receives the
 * size required including the NUL. Returns IWS_OK; IWS_E_INVALID_ARG;
 * IWS_E_NO_CONNECTION; IWS_E_BUFFER_TOO_SMALL (buffer left empty). Any
 * thread. Since 0.4. */
IWS_API int32_t IWS_CALL iws_conn_channels(iws_server *server,
                                           iws_conn_id id, char *buffer,
                                           uint32_t size, uint32_t *needed);

/* ------------------------------------------------------------------------ */
/* Connection details (any thread)                                           */
/* ------------------------------------------------------------------------ */
/* Returns IWS_OK; IWS_E_INVALID_ARG; IWS_E_NO_CONNECTION (unknown or gone,
 * including after its on_disconnect returned); IWS_E_BUFFER_TOO_SMALL. */

/* Attaches a pointer of the caller's to a connection (NULL clears it). */
IWS_API int32_t IWS_CALL iws_conn_set_user_data(iws_server *server,
                                                iws_conn_id id, void *data);

/* Reads the pointer attached with iws_conn_set_user_data (NULL if none). */
IWS_API int32_t IWS_CALL iws_conn_get_user_data(iws_server *server,
                                                iws_conn_id id, void **data);

/* The peer's IP address as text ("203.0.113.5", "2001:db8::1"; IPv4-mapped
 * IPv6 addresses are shown as IPv4) into buffer[size] (IWS_ADDRESS_SIZE is
 * always enough), and its TCP port into *port (may be NULL). */
#define IWS_ADDRESS_SIZE 64
IWS_API int32_t IWS_CALL iws_conn_peer(iws_server *server, iws_conn_id id,
                                       char *buffer, uint32_t size,
                                       uint32_t *port);

/* Since 0.6. The local end of the connection: the server address the
 * client reached, as text like iws_conn_peer (on a listener bound to
 * "0.0.0.0" or "::", the interface's own address: "127.0.0.2", "::1"),
 * and the server port into *port (may be NULL): sgc's LocalIP/LocalPort,
 * Indy's Binding.IP/Port. Works on HTTP connections too. */
IWS_API int32_t IWS_CALL iws_conn_local(iws_server *server, iws_conn_id id,
                                        char *buffer, uint32_t size,
                                        uint32_t *port);

/* Since 0.6. When the last pong frame from the peer arrived: *unix_ms
 * receives milliseconds since 1970-01-01 UTC (wall clock), or 0 if none
 * came yet (sgc's LastPong). Every pong counts: answers to iws_ping, to the
 * heartbeat's pings, and unsolicited ones. Returns IWS_OK;
 * IWS_E_INVALID_ARG (NULL server or unix_ms); IWS_E_NO_CONNECTION. */
IWS_API int32_t IWS_CALL iws_conn_last_pong(iws_server *server,
                                            iws_conn_id id, uint64_t *unix_ms);

/* The request-target of the handshake ("/chat?room=1"), NUL-terminated,
 * into buffer[size]; *needed (may be NULL) receives the size required. */
IWS_API int32_t IWS_CALL iws_conn_path(iws_server *server, iws_conn_id id,
                                       char *buffer, uint32_t size,
                                       uint32_t *needed);

/* The negotiated subprotocol ("" if none), like iws_conn_path. */
IWS_API int32_t IWS_CALL iws_conn_protocol(iws_server *server, iws_conn_id id,
                                           char *buffer, uint32_t size,
                                           uint32_t *needed);

/* The listener that accepted the connection (its index: see "Listeners"),
 * into *index. Since 0.6. */
IWS_API int32_t IWS_CALL iws_conn_listener(iws_server *server, iws_conn_id id,
                                           uint32_t *index);

/* What iws_conn_peer_cert reads (Since 0.6). */
#define IWS_CERT_SUBJECT 0 /* the subject, RFC 2253 ("CN=alice,O=Example") */
#define IWS_CERT_ISSUER 1  /* the issuer, RFC 2253                        */
#define IWS_CERT_PEM 2     /* the whole certificate, PEM text             */

/* The client certificate of a TLS connection, verified as
 * IWS_OPT_TLS_VERIFY_CLIENT asks (never one that failed verification),
 * NUL-terminated, into buffer[size]; *needed (may be NULL) receives the
 * size required. `what`: IWS_CERT_SUBJECT, IWS_CERT_ISSUER or IWS_CERT_PEM.
 * The text is "" when there is none: a plain connection, a client that
 * sent none (IWS_TLS_VERIFY_REQUEST), verification off, or the TLS
 * handshake not finished yet (it is finished in on_connect and
 * on_http_request). Returns the common returns above, and
 * IWS_E_INVALID_ARG also for an unknown `what`. Since 0.6. */
IWS_API int32_t IWS_CALL iws_conn_peer_cert(iws_server *server,
                                            iws_conn_id id, uint32_t what,
                                            char *buffer, uint32_t size,
                                            uint32_t *needed);

/* The certificate at `depth` of the chain the library's OpenSSL verified
 * for this connection's client, as iws_conn_peer_cert reads its client
 * certificate (`what`, buffer, *needed, thread rules and returns alike):
 * depth 0 is the client's own certificate (what iws_conn_peer_cert
 * reads), then each issuer up to the trusted CA, the last. Read from
 * depth 0 up until IWS_E_NOT_FOUND, which a depth past the end of the
 * chain returns. Without a verified certificate (see iws_conn_peer_cert)
 * the chain is empty: depth 0 reads "" and deeper depths IWS_E_NOT_FOUND.
 * A resumed TLS session reports the chain verified in its first
 * handshake.
 *
 * Only a chain that verified is ever reported: a certificate OpenSSL
 * refuses fails the TLS handshake before the application hears of the
 * connection. The bindings call sgc's OnSSLVerifyPeer and Indy's
 * OnVerifyPeer with each certificate of this chain, deepest first, after
 * the handshake; AOk is therefore always True there, and a handler can
 * refuse a certificate OpenSSL accepted but cannot accept one it refused
 * (Indy and sgc, called inside OpenSSL's verification, can). Since 0.6. */
IWS_API int32_t IWS_CALL iws_conn_peer_chain_cert(iws_server *server,
                                                  iws_conn_id id,
                                                  uint32_t depth,
                                                  uint32_t what, char *buffer,
                                                  uint32_t size,
                                                  uint32_t *needed);

/* ------------------------------------------------------------------------ */
/* The request (inside on_connect or on_http_request only)                   */
/* ------------------------------------------------------------------------ */
/* Strings returned are NUL-terminated and valid until the callback that
 * received the request returns. */

/* The request-target, e.g. "/chat?room=1" (not decoded). An absolute-form
 * target ("http://host/chat?room=1", Since 0.6) reads as its path
 * ("/chat?room=1"), and the Host header then as its authority ("host"). */
IWS_API const char *IWS_CALL iws_request_path(const iws_request *request);

/* The value of header `name` (case-insensitive), or NULL if absent. A header
 * sent several times gives its first value. */
IWS_API const char *IWS_CALL iws_request_header(const iws_request *request,
                                                const char *name);

/* The number of request headers, and the index-th one (0-based) through
 * *name and *value. Returns IWS_OK or IWS_E_INVALID_ARG. */
IWS_API uint32_t IWS_CALL iws_request_header_count(const iws_request *request);
IWS_API int32_t IWS_CALL iws_request_header_at(const iws_request *request,
                                               uint32_t index,
                                               const char **name,
                                               const char **value);

/* The subprotocols the client offered (Sec-WebSocket-Protocol), in order. */
IWS_API uint32_t IWS_CALL
iws_request_protocol_count(const iws_request *request);
IWS_API const char *IWS_CALL iws_request_protocol_at(
    const iws_request *request, uint32_t index); /* NULL if out of range */

/* Chooses the subprotocol to answer with; it must be one the client offered
 * (IWS_E_INVALID_ARG otherwise). NULL = none. */
IWS_API int32_t IWS_CALL iws_request_select_protocol(iws_request *request,
                                                     const char *protocol);

/* Since 0.6. Inside on_connect only: adds a header line to the answer the
 * client gets, whether on_connect accepts (the 101) or refuses (its HTTP
 * status): sgc's OnHandshake response headers, "WWW-Authenticate: Basic
 * realm=..." on a 401, Set-Cookie on the 101. Several calls with one name
 * send several lines, in call order, after the status line. name must be
 * a token (RFC 9110); value must not hold CR, LF, NUL or another control
 * character but TAB; at most 8 KiB of added headers in all. The lines the
 * library writes itself are refused: Upgrade, Connection,
 * Sec-WebSocket-Accept, Sec-WebSocket-Protocol (choose with
 * iws_request_select_protocol), Sec-WebSocket-Extensions, Content-Length,
 * Transfer-Encoding. Refusals the library makes before on_connect (400,
 * 503 ...) carry none. Call it on on_connect's thread, or from code
 * on_connect waits for. Returns IWS_OK; IWS_E_INVALID_ARG (NULL, a bad or
 * reserved name, a bad value, over 8 KiB); IWS_E_BAD_STATE (not inside
 * on_connect, e.g. in on_http_request: use iws_http_add_header there);
 * IWS_E_NOMEM. */
IWS_API int32_t IWS_CALL iws_request_add_response_header(iws_request *request,
                                                         const char *name,
                                                         const char *value);

/* Since 0.5. The method, e.g. "GET", "POST" (as sent: methods are case-
 * sensitive). */
IWS_API const char *IWS_CALL iws_request_method(const iws_request *request);

/* Since 0.6. The request's protocol version as sent on its request line,
 * e.g. "HTTP/1.1" or "HTTP/1.0" (Indy's RequestInfo.Version). Plain HTTP
 * requests are always HTTP/1.x (others are refused with 505 before any
 * callback); a WebSocket handshake in on_connect is HTTP/1.1 or later.
 * NULL for a NULL request. Thread: the callback's, like every iws_request_*
 * call; the string is static (valid for the library's life). */
IWS_API const char *IWS_CALL iws_request_version(const iws_request *request);

/* Since 0.5. The path part of the target, percent-decoded, e.g. "/a b/c"
 * for "/a%20b/c?x=1" (Indy's Document; '+' stays '+'). A target that is
 * not a path ("*", absolute-form), has a bad %-escape in its path, or
 * decodes to a NUL byte is refused with 400 before any callback. NULL in
 * on_connect (WebSocket requests are not decoded). */
IWS_API const char *IWS_CALL iws_request_document(const iws_request *request);

/* Since 0.5. The query after '?', not decoded, "" if none. */
IWS_API const char *IWS_CALL iws_request_query(const iws_request *request);

/* Since 0.5. The decoded parameters (Indy's Params): name=value pairs from
 * the query, then, for a body of type application/x-www-form-urlencoded,
 * from the body; '+' and %XX decoded (a malformed escape is kept as is; a
 * parameter that decodes to a NUL byte makes the request a 400). Empty
 * pieces ("a&&b") are skipped. *name and *value are NUL-terminated (a
 * parameter without '=' has value ""). Returns IWS_OK or
 * IWS_E_INVALID_ARG (index out of range). None in on_connect. */
IWS_API uint32_t IWS_CALL iws_request_param_count(const iws_request *request);
IWS_API int32_t IWS_CALL iws_request_param_at(const iws_request *request,
                                              uint32_t index,
                                              const char **name,
                                              const char **value);
/* Since 0.5. The first value of parameter `name` (case-sensitive), or NULL. */
IWS_API const char *IWS_CALL iws_request_param(const iws_request *request,
                                               const char *name);

/* Since 0.5. The body (chunked bodies already joined; NULL/0 if none, and
 * in on_http_head, and for a body streamed to on_http_body). The
 * bytes are followed by a NUL not counted in *length. Returns IWS_OK or
 * IWS_E_INVALID_ARG. */
IWS_API int32_t IWS_CALL iws_request_body(const iws_request *request,
                                          const uint8_t **data,
                                          uint64_t *length);

/* ------------------------------------------------------------------------ */
/* HTTP (Since 0.5)                                                          */
/* ------------------------------------------------------------------------ */
/* The listening port(s) also serve HTTP/1.1: a request that is not a
 * WebSocket upgrade (no "Upgrade: websocket") is answered from
 * IWS_OPT_HTTP_DOCUMENT_ROOT or by on_http_request; an upgrade takes the
 * WebSocket path exactly as before 0.5, also after plain requests on the
 * same connection (its 101 follows their responses).
 *
 * Keep-alive and pipelining follow RFC 9112. The requests of one
 * connection reach on_http_request one at a time, in order: the next one
 * only after the previous response was sent (a deferred one: by
 * iws_http_send, or the 503 of IWS_OPT_HTTP_RESPONSE_TIMEOUT_MS), so
 * responses leave in request order and handlers of one connection never
 * overlap. Pipelined requests wait meanwhile as read-ahead bytes; while a
 * deferred response is outstanding and more requests are buffered,
 * reading pauses. HTTP/1.1 connections stay open unless the client or the
 * response says "Connection: close"; HTTP/1.0 closes after one response
 * unless it asked for keep-alive; an idle connection closes after
 * IWS_OPT_HTTP_KEEPALIVE_TIMEOUT_MS. Bodies: Content-Length or chunked
 * (extensions and trailers are read and ignored), up to
 * IWS_OPT_HTTP_MAX_BODY_SIZE; "Expect: 100-continue" is answered
 * "100 Continue" before the body is read (or 413 at once). Since 0.6,
 * on_http_head sees each head before its body and chooses: the body into
 * memory as above, streamed to on_http_body piece by piece (no size limit;
 * the engine's memory stays bounded), or a refusal (401, 413...) sent at
 * once, the body never read (a client that expects 100-continue gets the
 * refusal instead). HEAD gets GET's
 * headers (Content-Length included) without the body. Empty lines before
 * a request line are ignored. "OPTIONS *" is answered by the library
 * (Since 0.6: 204 with Allow) and never reaches on_http_request.
 *
 * Requests the library refuses before any callback (but 413: after
 * on_http_head, when it answers IWS_HTTP_BODY_BUFFER), then closes the
 * connection (after the responses before it): 400 malformed (also: no Host
 * in HTTP/1.1, several Host lines or an invalid one (Since 0.6),
 * Content-Length together with Transfer-Encoding, differing
 * or malformed lengths, Transfer-Encoding in HTTP/1.0, a bad chunk), 408
 * head and body not in within IWS_OPT_HTTP_REQUEST_TIMEOUT_MS, 413 body
 * too large, 414 target longer than IWS_OPT_HTTP_MAX_URI_LENGTH (seen
 * from the request line alone), 431 head over IWS_OPT_MAX_HANDSHAKE_SIZE
 * or too many header lines, 501 a transfer coding other than "chunked",
 * 505 not HTTP/1.x. The handshake timeout applies to the first request's
 * head only; keep-alive connections then live by the HTTP timeouts.
 *
 * A response belongs to the library until on_http_request returns; the
 * callback fills it, on its own thread. If the callback called
 * iws_http_defer, it belongs to the caller afterwards, who fills it (from
 * one thread at a time) and must call iws_http_send exactly once, from any
 * thread; after that call (whatever it returns, except IWS_E_BAD_STATE
 * for a response that was not deferred) the pointer is invalid. A deferred
 * response outlives its connection and its server: after the client went
 * away, after iws_stop and even after iws_destroy, iws_http_send only
 * releases it and returns IWS_E_NO_CONNECTION. iws_stop does not wait for
 * deferred responses: their connections are closed like every other.
 *
 * The library writes the status line (HTTP/1.1), Date and Server "iocpws"
 * unless the caller added them, Content-Length (always: the length is
 * known, as iws_http_set_body copies and a file has a size; only a
 * streamed response, Since 0.6, is sent chunked), Content-Type "text/html; charset=utf-8" for a
 * non-empty body unless set, and Connection (close, or keep-alive for an
 * HTTP/1.0 client that asked for it). 1xx, 204 and 304 responses carry no
 * body and no Content-Length. A response left untouched (no status, body
 * or file) is 404 with a short text.
 * Calls on a response return IWS_E_INVALID_ARG for NULL or bad arguments
 * and IWS_E_BAD_STATE once it was handed over for sending. */

/* The status (100..599, not 101) and reason phrase (NULL = the standard
 * one, e.g. "Not Found"). Default: 200 once a body or file is set. */
IWS_API int32_t IWS_CALL iws_http_set_status(iws_http_response *response,
                                             int32_t status,
                                             const char *reason);

/* Adds a header. name must be a token (RFC 9110), value must not hold CR,
 * LF, NUL or another control character but TAB (IWS_E_INVALID_ARG); at
 * most 64 KiB of headers. Content-Length and Transfer-Encoding are the
 * library's (IWS_E_INVALID_ARG). Connection is the library's too: it is
 * not sent as given, but a value with "close" makes the library close the
 * connection after this response. Several calls with one name send
 * several lines (e.g. Set-Cookie). */
IWS_API int32_t IWS_CALL iws_http_add_header(iws_http_response *response,
                                             const char *name,
                                             const char *value);

/* The body: copied; replaces any body or file set before. */
IWS_API int32_t IWS_CALL iws_http_set_body(iws_http_response *response,
                                           const void *data,
                                           uint64_t length);

/* Answers with a file (UTF-8 path, any location: no document-root check),
 * sent without copies: sendfile on Linux, TransmitFile on Windows (read in
 * 16 KiB records and encrypted on TLS connections; never held in memory
 * whole). Sets Accept-Ranges, Last-Modified, a weak ETag (size-mtime) and,
 * unless the response has one, Content-Type from the extension (text types
 * with "; charset=utf-8"; application/octet-stream when unknown). For GET
 * and HEAD it honours If-None-Match (304), else If-Modified-Since (304;
 * the three date forms of RFC 9110); for GET, Range "bytes=a-b", "a-" or
 * "-n" (206 with Content-Range; 416 whose Content-Range gives only the size
 * when unsatisfiable; several ranges or a malformed one: the whole file,
 * 200) and If-Range (a date equal to Last-Modified). The file is opened
 * now; if it is truncated while being sent the connection is closed.
 * Returns IWS_OK; IWS_E_FILE if it cannot be opened or is not a regular
 * file (the response is then untouched: the caller may answer 404
 * itself); IWS_E_INVALID_ARG for NULL or ""; IWS_E_BAD_STATE once sent.
 * Replaces any body set before. */
IWS_API int32_t IWS_CALL iws_http_serve_file(iws_http_response *response,
                                             const char *path);

/* Inside on_http_request only: the response will be sent later with
 * iws_http_send (IWS_E_BAD_STATE elsewhere, or if already deferred).
 * Later requests pipelined on the same connection wait for it. Calling
 * iws_http_send before on_http_request returns is allowed: the response is
 * then sent as the callback returns. */
IWS_API int32_t IWS_CALL iws_http_defer(iws_http_response *response);

/* Sends a deferred response and releases it. Any thread (also after
 * iws_stop and iws_destroy: see above). Returns IWS_OK; IWS_E_NO_CONNECTION
 * (the client went away, or the server stopped: nothing sent);
 * IWS_E_TIMEOUT (IWS_OPT_HTTP_RESPONSE_TIMEOUT_MS passed: the library
 * answered 503 in its place, and the connection went on); in these cases
 * the response is released. IWS_E_BAD_STATE: it was not deferred (or was
 * sent already): the library still owns it and sends it itself when
 * on_http_request returns - nothing is released. IWS_E_INVALID_ARG: NULL
 * or not a response. */
IWS_API int32_t IWS_CALL iws_http_send(iws_http_response *response);

/* Since 0.6. Streaming a deferred response (Indy's WriteHeader, then
 * WriteContent): iws_http_send_head sends the status line and headers
 * now, iws_http_send_chunk sends body bytes as they come (copied), and
 * iws_http_send ends the body and releases the response (its usual
 * returns). The body goes out with "Transfer-Encoding: chunked" instead
 * of Content-Length (to an HTTP/1.0 client: unframed, and the connection
 * closes after it); HEAD, 1xx, 204 and 304 send the head only (chunks are
 * accepted and dropped). A body or file set before iws_http_send_head is
 * not sent; status, headers and body can no longer be set after it
 * (IWS_E_BAD_STATE). Content-Type defaults as for a non-empty body.
 *
 * Both need a deferred response (iws_http_defer; IWS_E_BAD_STATE
 * otherwise, also after iws_http_send) and are called by its owner, one
 * thread at a time, any thread. Called inside on_http_request, the head
 * and the chunks wait until it returns. Once the head is out the response
 * timeout (IWS_OPT_HTTP_RESPONSE_TIMEOUT_MS) no longer applies: the
 * stream keeps its own pace, and pipelined requests wait for its end.
 *
 * Memory is bounded: a chunk that would make the connection's unsent
 * bytes exceed IWS_OPT_SEND_QUEUE_LIMIT (32 MiB when 0) returns
 * IWS_E_QUEUE_FULL and takes nothing, whatever the queue policy: send it
 * again once the client has read (back-pressure; a chunk larger than the
 * limit never fits: split it). Returns IWS_OK; IWS_E_INVALID_ARG (NULL
 * response, or NULL data with a length); IWS_E_BAD_STATE (see above, or
 * send_head twice, or send_chunk before send_head); IWS_E_NO_CONNECTION
 * (the client went away or the server stopped: end with iws_http_send,
 * which releases it); IWS_E_TIMEOUT (the response timeout passed before
 * the head: a 503 went in its place); IWS_E_QUEUE_FULL; IWS_E_NOMEM (the
 * connection is aborted). */
IWS_API int32_t IWS_CALL iws_http_send_head(iws_http_response *response);
IWS_API int32_t IWS_CALL iws_http_send_chunk(iws_http_response *response,
                                             const void *data,
                                             uint64_t length);

/* Since 0.6. Back-pressure without polling: blocks the calling thread
 * until a streamed response has room again - the connection's unsent
 * bytes (before the head is out: the bytes held for it) are at or below
 * the resume mark, half of IWS_OPT_SEND_QUEUE_LIMIT (16 MiB when the
 * limit is 0) - or the connection is gone, or timeout_ms milliseconds
 * passed. The thread sleeps meanwhile: the write completions that drain
 * the queue wake it. Use it when iws_http_send_chunk returned
 * IWS_E_QUEUE_FULL, then send the chunk again (a chunk of up to half the
 * limit then fits).
 *
 * Thread rules: the response's owner, on a thread of its own - never on
 * an engine thread: inside any callback of any server (on_http_request,
 * on_message, on_log...) it returns IWS_E_IN_CALLBACK at once, without
 * waiting, since the bytes it would wait for drain on those threads
 * (defer the response and stream it from a thread of yours). From a
 * thread of yours while the response's on_http_request still runs (a
 * thread it started), the wait covers the bytes held for the head: they
 * go out, and drain, once the callback returns - so that callback must
 * not wait for this thread meanwhile.
 *
 * Returns IWS_OK (room); IWS_E_TIMEOUT (still full after timeout_ms; 0
 * only checks); IWS_E_NO_CONNECTION (the client went away or the server
 * stopped: end with iws_http_send); IWS_E_IN_CALLBACK (see above);
 * IWS_E_BAD_STATE (not streaming: no iws_http_send_head yet, or after
 * iws_http_send); IWS_E_INVALID_ARG (NULL or not a response). */
IWS_API int32_t IWS_CALL iws_http_stream_wait(iws_http_response *response,
                                              uint32_t timeout_ms);

/* Since 0.6. Refuses the request of an on_http_head call with a full
 * answer of the application's: status (400 to 599), reason (NULL: the
 * standard phrase), content_type (NULL: no Content-Type header) and body
 * (length bytes, copied; NULL with 0: empty) - Indy's OnHeadersBlocked
 * (VResponseNo, VResponseText, VContentText). Once it returned IWS_OK,
 * the request is answered with it as on_http_head returns, whatever that
 * returns (a later call replaces it): its body is never read, the client
 * that sent "Expect: 100-continue" gets it instead of "100 Continue", and
 * the connection closes after it, as for a status on_http_head returns.
 *
 * Thread rules: only inside on_http_head, on its thread, for the request
 * it was given (the request is valid during that call only).
 *
 * Returns IWS_OK; IWS_E_BAD_STATE (not inside on_http_head for this
 * request: in on_http_request answer with iws_http_set_status and
 * iws_http_set_body, in on_connect refuse with a status and
 * iws_request_add_response_header); IWS_E_INVALID_ARG (NULL request, a
 * status outside 400..599, a reason or content type with control
 * characters, body NULL with a length); IWS_E_NOMEM. */
IWS_API int32_t IWS_CALL iws_http_head_refuse(iws_request *request,
                                              int32_t status,
                                              const char *reason,
                                              const char *content_type,
                                              const void *body,
                                              uint64_t length);

/* ------------------------------------------------------------------------ */
/* Statistics (any thread)                                                   */
/* ------------------------------------------------------------------------ */

/* Counters since iws_create. Set struct_size = sizeof(iws_stats) before the
 * call; the library fills only the fields that fit in it. Bytes are counted
 * on the wire (frames and handshakes; on TLS connections, since 0.3, the TLS
 * records), except bytes_queued: frames not yet written (on TLS connections:
 * not yet encrypted). Since 0.1: the fields up to bytes_queued; Since 0.4:
 * the channel fields; Since 0.5: the HTTP fields (a caller with an older
 * struct_size gets that version's fields). */
typedef struct iws_stats {
  uint32_t struct_size;
  uint32_t reserved0;
  uint64_t connections_current; /* open WebSocket connections now       */
  uint64_t connections_total;   /* accepted by on_connect, ever          */
  uint64_t handshakes_refused;  /* clients answered with an HTTP error   */
  uint64_t messages_in;
  uint64_t messages_out; /* queued for sending, per receiver */
  uint64_t bytes_in;
  uint64_t bytes_out;
  uint64_t bytes_queued; /* waiting in send queues now */
  /* Since 0.4: channels. */
  uint64_t channels_current;      /* channels with a local subscriber now */
  uint64_t subscriptions_current; /* (connection, channel) pairs now      */
  uint64_t publishes;             /* iws_publish calls that succeeded     */
  uint64_t redis_out;             /* messages written to Redis            */
  uint64_t redis_in;              /* messages from other servers delivered */
  uint64_t redis_connected;       /* 1 while both Redis links are up      */
  /* Since 0.5: HTTP. */
  uint64_t http_requests;  /* HTTP requests answered (any status)     */
  uint64_t http_refused;   /* of those, refused by the library (4xx/5xx
                              before any callback: 400, 408, 413, ...) */
  uint64_t http_connections_current; /* open connections serving HTTP */
} iws_stats;

/* Fills *stats. Returns IWS_OK; IWS_E_INVALID_ARG; IWS_E_STRUCT_SIZE
 * (struct_size smaller than the first two fields). Any thread, also inside
 * callbacks. The server's threads count in counters of their own, which
 * each call adds up (a short lock, no I/O waits for it): the counters only
 * grow, across iws_stop and iws_start too, except the levels
 * (connections_current, bytes_queued and the other *_current fields). */
IWS_API int32_t IWS_CALL iws_get_stats(iws_server *server, iws_stats *stats);

/* ------------------------------------------------------------------------ */
/* Components (Since 0.6)                                                    */
/* ------------------------------------------------------------------------ */

/* What iws_component_version reports: the engine itself and each library
 * linked into it. Numbers are fixed forever; new ones are appended. */
#define IWS_COMPONENT_ENGINE 0  /* "iocpws": IWS_VERSION_STRING             */
#define IWS_COMPONENT_OPENSSL 1 /* "OpenSSL": the libcrypto/libssl in use,
                                   "3.0.17" (in the Windows DLL: the one
                                   linked into it)                         */
#define IWS_COMPONENT_ZLIB 2    /* "zlib": zlibVersion(), "1.2.13"          */
#define IWS_COMPONENT_WSLAY 3   /* "wslay": the version built with          */
#define IWS_COMPONENT_HIREDIS 4 /* "hiredis": the version built with; only
                                   in builds with Redis (IWS_OPT_REDIS_URL) */

/* The name and version of one component of this library, to log what a
 * program runs on or to tell which OpenSSL a shipped DLL carries (the
 * THIRD-PARTY-NOTICES file lists their licenses).
 *
 * component: an IWS_COMPONENT_* number; to list them all, count up from 0
 * until IWS_E_INVALID_ARG. name and version may each be NULL; otherwise they
 * receive static UTF-8 strings, valid as long as the library is loaded
 * (never freed by anyone), "" where there is nothing to report - never NULL.
 *
 * Returns IWS_OK (both set); IWS_E_UNSUPPORTED: a component this build does
 * not contain (the name is set, the version is ""; e.g. hiredis in a
 * library built without Redis); IWS_E_INVALID_ARG: a number this library
 * does not know (both ""). Any thread, also inside callbacks; no server
 * needed. Since 0.6. */
IWS_API int32_t IWS_CALL iws_component_version(uint32_t component,
                                               const char **name,
                                               const char **version);

#ifdef __cplusplus
}
#endif

#endif /* IOCPWS_H */
