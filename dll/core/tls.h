/*
 * tls.h - TLS (wss://) for the core: OpenSSL between the back end's bytes
 * and the HTTP/WebSocket parser. Not part of the ABI.
 *
 * OpenSSL never touches a socket. Each TLS connection's SSL object reads
 * ciphertext from, and writes ciphertext to, a small BIO of ours that works
 * on the connection's own memory: reads come straight from the bytes the
 * back end delivered (no copy into a BIO buffer), writes append to the
 * connection's ciphertext buffer, which the send path hands to the back end
 * and frees once written. So it is the same over epoll and completion ports,
 * and an idle TLS connection holds no buffer at all (SSL_MODE_RELEASE_BUFFERS
 * frees OpenSSL's record buffers too).
 *
 * Locking: every call on a connection's SSL happens under conn->lock (the
 * strand decrypts, any sending thread encrypts in flush).
 */
#ifndef IWS_TLS_H
#define IWS_TLS_H

#include <stddef.h>
#include <stdint.h>

typedef struct iws__tls_ctx iws__tls_ctx; /* one per running server */
typedef struct iws__tls_conn iws__tls_conn; /* core.h */
struct iws__conn;
struct iws_server;

/* The SNI entries set with iws_tls_add_host (kept while stopped). */
typedef struct iws__tls_host {
  char *name, *cert, *key, *password;
} iws__tls_host;

/* Builds the server's TLS context from its options (at iws_start). Returns
 * IWS_OK, or IWS_E_TLS_CONFIG / IWS_E_NOMEM with a sentence (OpenSSL's
 * reason text included) in err. */
int32_t iws__tls_start(struct iws_server *s, iws__tls_ctx **out, char *err,
                       size_t errlen);
void iws__tls_free(iws__tls_ctx *t);

/* A new server-side SSL for a connection; 0 or -1 (out of memory). */
int iws__tls_conn_init(iws__tls_ctx *t, struct iws__conn *c);
/* Frees the connection's SSL (when the connection is freed). */
void iws__tls_conn_free(struct iws__conn *c);

/* Outcome of iws__tls_decrypt. */
#define IWS__TLS_AGAIN 0  /* everything consumed; more ciphertext needed */
#define IWS__TLS_DATA 1   /* *out_len plaintext bytes in out; call again */
#define IWS__TLS_CLOSED 2 /* the peer sent close_notify */
#define IWS__TLS_FAILED 3 /* fatal: reason in c->tls_error */

/* Feeds ciphertext (set with iws__tls_input) and decrypts into out[cap].
 * Under conn->lock. */
int iws__tls_decrypt(struct iws__conn *c, uint8_t *out, size_t cap,
                     size_t *out_len);
/* Encrypts plaintext into the connection's pending ciphertext. 0 or -1
 * (fatal: reason in c->tls_error). Under conn->lock. */
int iws__tls_encrypt(struct iws__conn *c, const void *data, size_t len);
/* Queues close_notify into the pending ciphertext. Under conn->lock. */
void iws__tls_close_notify(struct iws__conn *c);
/* At the end of the stream: non-zero (and c->tls_error set) if OpenSSL
 * holds part of a record, i.e. the peer's data was cut off. */
int iws__tls_truncated(struct iws__conn *c);
/* The verified client certificate's subject, issuer or PEM (what: an
 * IWS_CERT_* value) as a malloc'd string into *out, or NULL when there is
 * none. IWS_OK or IWS_E_NOMEM. Under conn->lock. */
int32_t iws__tls_peer_cert(struct iws__conn *c, uint32_t what, char **out);
/* As iws__tls_peer_cert for the certificate at `depth` of the verified
 * chain (0 = the client's, the last = the trusted CA). IWS_E_NOT_FOUND past
 * its end; with no verified certificate, depth 0 gives NULL (IWS_OK).
 * Under conn->lock. */
int32_t iws__tls_peer_chain_cert(struct iws__conn *c, uint32_t depth,
                                 uint32_t what, char **out);
/* Non-zero once the TLS handshake finished. */
int iws__tls_handshake_done(struct iws__conn *c);
/* The negotiated protocol ("TLSv1.3") and cipher, for logs. */
const char *iws__tls_describe(struct iws__conn *c, char *buf, size_t size);

#endif /* IWS_TLS_H */
