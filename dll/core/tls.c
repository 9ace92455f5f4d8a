/*
 * tls.c - OpenSSL for wss:// on the core's byte path (see tls.h).
 *
 * The server's SSL_CTX (plus one per SNI host name) is built at iws_start,
 * so that every configuration mistake - unreadable file, wrong password, a
 * key that does not match the certificate, an unknown cipher - fails the
 * start with OpenSSL's own reason, never a client later.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "core.h"

struct iws__tls_ctx {
  SSL_CTX *ctx;      /* the default certificate */
  size_t nhosts;
  struct tls_host {
    char *name;
    SSL_CTX *ctx;
  } *hosts;
};

/* ------------------------------------------------------------------------ */
/* errors                                                                    */
/* ------------------------------------------------------------------------ */

/* Appends OpenSSL's queued errors (reason text) to buf and clears them. */
static void append_openssl_errors(char *buf, size_t size) {
  unsigned long e;
  size_t n = strlen(buf);
  int first = 1;
  while ((e = ERR_get_error()) != 0) {
    char one[256];
    ERR_error_string_n(e, one, sizeof(one));
    if (strstr(buf, one)) continue; /* decoders tried in turn repeat it */
    if (n + 4 < size) {
      snprintf(buf + n, size - n, "%s%s", first ? ": " : "; ", one);
      n = strlen(buf);
    }
    first = 0;
  }
}

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int32_t config_error(char *err, size_t errlen, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
  append_openssl_errors(err, errlen);
  return IWS_E_TLS_CONFIG;
}

/* ------------------------------------------------------------------------ */
/* the connection BIO: reads c->tls->in, appends writes to c->tls->pend        */
/* ------------------------------------------------------------------------ */

static int bio_write(BIO *b, const char *data, int len) {
  iws__conn *c = BIO_get_data(b);
  BIO_clear_retry_flags(b);
  if (len <= 0) return 0;
  if (iws__bytes_append(&c->tls->pend, data, (size_t)len) != 0) return -1;
  return len;
}

static int bio_read(BIO *b, char *out, int len) {
  iws__conn *c = BIO_get_data(b);
  size_t n;
  BIO_clear_retry_flags(b);
  if (len <= 0) return 0;
  if (c->tls->in_len == 0) {
    BIO_set_retry_read(b); /* "would block": more comes with the next read */
    return -1;
  }
  n = c->tls->in_len < (size_t)len ? c->tls->in_len : (size_t)len;
  memcpy(out, c->tls->in, n);
  c->tls->in += n;
  c->tls->in_len -= n;
  return (int)n;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr) {
  iws__conn *c = BIO_get_data(b);
  (void)num;
  (void)ptr;
  switch (cmd) {
  case BIO_CTRL_FLUSH:
    return 1;
  case BIO_CTRL_PENDING:
    return c ? (long)c->tls->in_len : 0;
  case BIO_CTRL_WPENDING:
    return 0;
  default:
    return 0;
  }
}

static int bio_create(BIO *b) {
  BIO_set_init(b, 1);
  return 1;
}

static int bio_destroy(BIO *b) {
  BIO_set_data(b, NULL);
  return 1;
}

/* The method is made once per process and kept (an SSL, with its BIO, may
 * outlive the server context by a moment: a connection is freed when its
 * last reference goes). */
static BIO_METHOD *volatile bio_method;

static BIO_METHOD *get_bio_method(void) {
  BIO_METHOD *m = iws__atomic_load_ptr((void *volatile *)&bio_method);
  if (m) return m;
  m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "iocpws");
  if (!m) return NULL;
  if (!BIO_meth_set_write(m, bio_write) || !BIO_meth_set_read(m, bio_read) ||
      !BIO_meth_set_ctrl(m, bio_ctrl) || !BIO_meth_set_create(m, bio_create) ||
      !BIO_meth_set_destroy(m, bio_destroy)) {
    BIO_meth_free(m);
    return NULL;
  }
  if (!iws__atomic_cas_ptr((void *volatile *)&bio_method, NULL, m))
    BIO_meth_free(m); /* another thread was first */
  return iws__atomic_load_ptr((void *volatile *)&bio_method);
}

/* ------------------------------------------------------------------------ */
/* callbacks                                                                 */
/* ------------------------------------------------------------------------ */

/* Renegotiation is refused (SSL_OP_NO_RENEGOTIATION: OpenSSL answers with a
 * no_renegotiation alert and would carry on); the attempt itself ends the
 * connection, so notice it here. TLS 1.3 has no renegotiation, and uses
 * "handshake start" for post-handshake messages (tickets, key updates). */
static void info_cb(const SSL *ssl, int where, int ret) {
  iws__conn *c = SSL_get_app_data(ssl);
  if (!c) return;
  if ((where & SSL_CB_HANDSHAKE_START) && c->tls->ready &&
      SSL_version(ssl) < TLS1_3_VERSION)
    c->tls->reneg = 1;
  if ((where & SSL_CB_WRITE_ALERT) && (ret & 0xff) == SSL_AD_NO_RENEGOTIATION)
    c->tls->reneg = 1;
}

static int ascii_casecmp(const char *a, const char *b) {
  for (;; a++, b++) {
    int x = (unsigned char)*a, y = (unsigned char)*b;
    if (x >= 'A' && x <= 'Z') x += 32;
    if (y >= 'A' && y <= 'Z') y += 32;
    if (x != y || !x) return x - y;
  }
}

static int host_matches(const char *pattern, const char *name) {
  if (pattern[0] == '*' && pattern[1] == '.') {
    const char *dot = strchr(name, '.');
    /* One label only: "*.example.com" covers "a.example.com", not
     * "example.com" nor "a.b.example.com". */
    return dot && dot != name && ascii_casecmp(dot + 1, pattern + 2) == 0;
  }
  return ascii_casecmp(pattern, name) == 0;
}

static int sni_cb(SSL *ssl, int *alert, void *arg) {
  iws__tls_ctx *t = arg;
  const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  size_t i;
  (void)alert;
  if (!name) return SSL_TLSEXT_ERR_OK;
  /* Exact names first, then wildcards. */
  for (i = 0; i < t->nhosts; i++)
    if (t->hosts[i].name[0] != '*' && host_matches(t->hosts[i].name, name)) {
      SSL_set_SSL_CTX(ssl, t->hosts[i].ctx);
      return SSL_TLSEXT_ERR_OK;
    }
  for (i = 0; i < t->nhosts; i++)
    if (t->hosts[i].name[0] == '*' && host_matches(t->hosts[i].name, name)) {
      SSL_set_SSL_CTX(ssl, t->hosts[i].ctx);
      return SSL_TLSEXT_ERR_OK;
    }
  return SSL_TLSEXT_ERR_OK; /* the default certificate */
}

/* ------------------------------------------------------------------------ */
/* building contexts                                                         */
/* ------------------------------------------------------------------------ */

static int is_pem_text(const char *v) {
  return strncmp(v, "-----BEGIN", 10) == 0;
}

/* A BIO over PEM text, or over a file. NULL with OpenSSL's error queued. */
static BIO *pem_source(const char *pem, const char *file) {
  if (pem && pem[0]) return BIO_new_mem_buf(pem, (int)strlen(pem));
  return BIO_new_file(file, "r");
}

/* The leaf certificate, then any chain certificates behind it. */
static int load_cert(SSL_CTX *ctx, BIO *in) {
  X509 *leaf = PEM_read_bio_X509_AUX(in, NULL, NULL, NULL), *extra;
  unsigned long e;
  int ok;
  if (!leaf) return 0;
  ok = SSL_CTX_use_certificate(ctx, leaf) == 1;
  X509_free(leaf);
  if (!ok) return 0;
  SSL_CTX_clear_chain_certs(ctx);
  while ((extra = PEM_read_bio_X509(in, NULL, NULL, NULL)) != NULL) {
    if (SSL_CTX_add0_chain_cert(ctx, extra) != 1) {
      X509_free(extra);
      return 0;
    }
  }
  /* The loop ends on "no start line" at the end of the input: not an error. */
  e = ERR_peek_last_error();
  if (ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE)
    ERR_clear_error();
  return ERR_peek_error() == 0;
}

static int load_chain(SSL_CTX *ctx, BIO *in) {
  X509 *x;
  unsigned long e;
  int count = 0;
  while ((x = PEM_read_bio_X509(in, NULL, NULL, NULL)) != NULL) {
    if (SSL_CTX_add0_chain_cert(ctx, x) != 1) {
      X509_free(x);
      return 0;
    }
    count++;
  }
  e = ERR_peek_last_error();
  if (count && ERR_GET_LIB(e) == ERR_LIB_PEM &&
      ERR_GET_REASON(e) == PEM_R_NO_START_LINE)
    ERR_clear_error();
  return count > 0 && ERR_peek_error() == 0;
}

static int load_key(SSL_CTX *ctx, BIO *in, const char *password) {
  /* With no callback OpenSSL takes the last argument as the password. A
   * missing password for an encrypted key must fail, not prompt on a
   * terminal: hand over "" then. */
  EVP_PKEY *key = PEM_read_bio_PrivateKey(in, NULL, NULL,
                                          (void *)(password ? password : ""));
  int ok;
  if (!key) return 0;
  ok = SSL_CTX_use_PrivateKey(ctx, key) == 1;
  EVP_PKEY_free(key);
  return ok;
}

typedef struct cert_spec {
  const char *what;   /* for messages: "certificate", "host example.com" */
  const char *cert_pem, *cert_file;
  const char *key_pem, *key_file;
  const char *ca_pem, *ca_file;
  const char *password;
} cert_spec;

static const char *source_name(const char *pem, const char *file, char *buf,
                               size_t size, const char *kind);

/* Trusts every certificate in `in` for client certificates and names it
 * as an acceptable issuer to the client. Returns the number added (0: none
 * in it, or an error: OpenSSL's reason is queued). */
static int load_client_cas(SSL_CTX *ctx, BIO *in) {
  X509_STORE *store = SSL_CTX_get_cert_store(ctx);
  X509 *x;
  int n = 0;
  while ((x = PEM_read_bio_X509(in, NULL, NULL, NULL)) != NULL) {
    if (X509_STORE_add_cert(store, x) != 1 ||
        SSL_CTX_add_client_CA(ctx, x) != 1) {
      X509_free(x);
      return 0;
    }
    X509_free(x);
    n++;
  }
  /* The loop ends on "no start line" at the end of the input. */
  if (n && ERR_GET_REASON(ERR_peek_last_error()) == PEM_R_NO_START_LINE)
    ERR_clear_error();
  return n;
}

static int ticket_chain(SSL *ssl, void *arg);

/* IWS_OPT_TLS_VERIFY_CLIENT and its CAs, on one context. */
static int32_t set_client_verify(iws_server *s, SSL_CTX *ctx,
                                 const char *what, char *err,
                                 size_t errlen) {
  const iws__options *o = &s->opt;
  int64_t mode = o->ints[IWS_OPT_TLS_VERIFY_CLIENT];
  const char *ca_file = iws__options_str(o, IWS_OPT_TLS_CLIENT_CA_FILE);
  const char *ca_pem = iws__options_str(o, IWS_OPT_TLS_CLIENT_CA_PEM);
  char name[320];
  BIO *in;
  int ok;
  if (mode == IWS_TLS_VERIFY_NONE) return IWS_OK;
  if (!ca_file[0] && !ca_pem[0])
    return config_error(err, errlen,
                        "TLS %s: IWS_OPT_TLS_VERIFY_CLIENT needs the CAs that "
                        "issue client certificates (IWS_OPT_TLS_CLIENT_CA_FILE "
                        "or IWS_OPT_TLS_CLIENT_CA_PEM)",
                        what);
  if (ca_file[0]) {
    in = BIO_new_file(ca_file, "r");
    ok = in && load_client_cas(ctx, in) > 0;
    BIO_free(in);
    if (!ok)
      return config_error(err, errlen, "TLS %s: %s%s", what,
                          source_name("", ca_file, name, sizeof(name),
                                      "client CA"),
                          ERR_peek_error() ? "" : ": no certificate in it");
  }
  if (ca_pem[0]) {
    in = BIO_new_mem_buf(ca_pem, -1);
    ok = in && load_client_cas(ctx, in) > 0;
    BIO_free(in);
    if (!ok)
      return config_error(err, errlen, "TLS %s: %s%s", what,
                          source_name(ca_pem, "", name, sizeof(name),
                                      "client CA"),
                          ERR_peek_error() ? "" : ": no certificate in it");
  }
  SSL_CTX_set_verify(ctx,
                     SSL_VERIFY_PEER | SSL_VERIFY_CLIENT_ONCE |
                         (mode == IWS_TLS_VERIFY_REQUIRE
                              ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT
                              : 0),
                     NULL);
  SSL_CTX_set_verify_depth(ctx, (int)o->ints[IWS_OPT_TLS_VERIFY_DEPTH]);
  /* Resumed sessions carry the verified client: OpenSSL insists on an id
   * context once peers are verified. */
  SSL_CTX_set_session_id_context(ctx, (const unsigned char *)"iocpws", 6);
  SSL_CTX_set_session_ticket_cb(ctx, ticket_chain, NULL, NULL);
  return IWS_OK;
}

/* A resumed session is not verified again, and OpenSSL's ticket keeps the
 * client's own certificate only: the verified chain rides in the ticket's
 * application data (encrypted and authenticated with the ticket key), one
 * DER certificate after another, so that a resumed connection reports the
 * same chain (iws__tls_peer_chain_cert). A ticket issued in a resumed
 * session keeps the data its session came with. */
static int ticket_chain(SSL *ssl, void *arg) {
  STACK_OF(X509) *chain = SSL_get0_verified_chain(ssl);
  SSL_SESSION *sess = SSL_get_session(ssl);
  unsigned char *der, *p;
  int i, n, len = 0, ok;
  (void)arg;
  if (!chain || !sess) return 1;
  for (i = 0; i < sk_X509_num(chain); i++) {
    n = i2d_X509(sk_X509_value(chain, i), NULL);
    if (n <= 0 || n > INT_MAX - len) return 0;
    len += n;
  }
  der = p = malloc((size_t)len + 1);
  if (!der) return 0;
  for (i = 0; i < sk_X509_num(chain); i++) i2d_X509(sk_X509_value(chain, i), &p);
  ok = SSL_SESSION_set1_ticket_appdata(sess, der, (size_t)len);
  free(der);
  return ok;
}

static const char *source_name(const char *pem, const char *file, char *buf,
                               size_t size, const char *kind) {
  if (pem && pem[0])
    snprintf(buf, size, "%s (PEM in memory)", kind);
  else
    snprintf(buf, size, "%s file '%s'", kind, file);
  return buf;
}

static int32_t new_ctx(iws_server *s, iws__tls_ctx *t, const cert_spec *cs,
                       SSL_CTX **out, char *err, size_t errlen) {
  const iws__options *o = &s->opt;
  const char *ciphers = iws__options_str(o, IWS_OPT_TLS_CIPHERS);
  const char *suites = iws__options_str(o, IWS_OPT_TLS_CIPHERSUITES);
  int minv = o->ints[IWS_OPT_TLS_MIN_VERSION] == IWS_TLS_1_3 ? TLS1_3_VERSION
                                                            : TLS1_2_VERSION;
  SSL_CTX *ctx;
  BIO *in;
  char name[320];
  int ok;
  *out = NULL;
  ERR_clear_error();
  ctx = SSL_CTX_new(TLS_server_method());
  if (!ctx) return config_error(err, errlen, "TLS: SSL_CTX_new failed");
  SSL_CTX_set_min_proto_version(ctx, minv);
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
                               SSL_OP_CIPHER_SERVER_PREFERENCE);
  /* No buffers kept while a connection is idle. */
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  /* No server-side session cache that grows with every client: TLS 1.3
   * (and 1.2 ticket) resumption is stateless. */
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_info_callback(ctx, info_cb);
  if (ciphers[0] && SSL_CTX_set_cipher_list(ctx, ciphers) != 1) {
    SSL_CTX_free(ctx);
    return config_error(err, errlen, "TLS cipher list '%s' rejected",
                        ciphers);
  }
  if (suites[0] && SSL_CTX_set_ciphersuites(ctx, suites) != 1) {
    SSL_CTX_free(ctx);
    return config_error(err, errlen, "TLS 1.3 cipher suites '%s' rejected",
                        suites);
  }
  if (!(cs->cert_pem && cs->cert_pem[0]) && !(cs->cert_file && cs->cert_file[0])) {
    SSL_CTX_free(ctx);
    return config_error(err, errlen,
                        "TLS %s: no certificate (IWS_OPT_TLS_CERT_FILE or "
                        "IWS_OPT_TLS_CERT_PEM)",
                        cs->what);
  }
  if (!(cs->key_pem && cs->key_pem[0]) && !(cs->key_file && cs->key_file[0])) {
    SSL_CTX_free(ctx);
    return config_error(err, errlen,
                        "TLS %s: no private key (IWS_OPT_TLS_KEY_FILE or "
                        "IWS_OPT_TLS_KEY_PEM)",
                        cs->what);
  }
  in = pem_source(cs->cert_pem, cs->cert_file);
  ok = in && load_cert(ctx, in);
  BIO_free(in);
  if (!ok) {
    SSL_CTX_free(ctx);
    return config_error(err, errlen, "TLS %s: %s", cs->what,
                        source_name(cs->cert_pem, cs->cert_file, name,
                                    sizeof(name), "certificate"));
  }
  if ((cs->ca_pem && cs->ca_pem[0]) || (cs->ca_file && cs->ca_file[0])) {
    in = pem_source(cs->ca_pem, cs->ca_file);
    ok = in && load_chain(ctx, in);
    BIO_free(in);
    if (!ok) {
      SSL_CTX_free(ctx);
      return config_error(err, errlen, "TLS %s: %s%s", cs->what,
                          source_name(cs->ca_pem, cs->ca_file, name,
                                      sizeof(name), "CA"),
                          ERR_peek_error() ? "" : ": no certificate in it");
    }
  }
  in = pem_source(cs->key_pem, cs->key_file);
  ok = in && load_key(ctx, in, cs->password);
  BIO_free(in);
  if (!ok) {
    SSL_CTX_free(ctx);
    return config_error(err, errlen, "TLS %s: %s", cs->what,
                        source_name(cs->key_pem, cs->key_file, name,
                                    sizeof(name), "private key"));
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    SSL_CTX_free(ctx);
    return config_error(err, errlen,
                        "TLS %s: the private key does not match the "
                        "certificate",
                        cs->what);
  }
  {
    int32_t rc = set_client_verify(s, ctx, cs->what, err, errlen);
    if (rc != IWS_OK) {
      SSL_CTX_free(ctx);
      return rc;
    }
  }
  SSL_CTX_set_tlsext_servername_callback(ctx, sni_cb);
  SSL_CTX_set_tlsext_servername_arg(ctx, t);
  *out = ctx;
  return IWS_OK;
}

void iws__tls_free(iws__tls_ctx *t) {
  size_t i;
  if (!t) return;
  for (i = 0; i < t->nhosts; i++) {
    SSL_CTX_free(t->hosts[i].ctx);
    free(t->hosts[i].name);
  }
  free(t->hosts);
  SSL_CTX_free(t->ctx);
  free(t);
}

int32_t iws__tls_start(iws_server *s, iws__tls_ctx **out, char *err,
                       size_t errlen) {
  const iws__options *o = &s->opt;
  iws__tls_ctx *t = calloc(1, sizeof(*t));
  cert_spec cs;
  int32_t rc;
  size_t i;
  *out = NULL;
  if (!t) return IWS_E_NOMEM;
  if (!get_bio_method()) {
    iws__tls_free(t);
    return config_error(err, errlen, "TLS: cannot create the BIO method");
  }
  memset(&cs, 0, sizeof(cs));
  cs.what = "certificate";
  cs.cert_pem = iws__options_str(o, IWS_OPT_TLS_CERT_PEM);
  cs.cert_file = iws__options_str(o, IWS_OPT_TLS_CERT_FILE);
  cs.key_pem = iws__options_str(o, IWS_OPT_TLS_KEY_PEM);
  cs.key_file = iws__options_str(o, IWS_OPT_TLS_KEY_FILE);
  cs.ca_pem = iws__options_str(o, IWS_OPT_TLS_CA_PEM);
  cs.ca_file = iws__options_str(o, IWS_OPT_TLS_CA_FILE);
  cs.password = iws__options_str(o, IWS_OPT_TLS_PASSWORD);
  rc = new_ctx(s, t, &cs, &t->ctx, err, errlen);
  if (rc != IWS_OK) {
    iws__tls_free(t);
    return rc;
  }
  if (s->tls_host_count) {
    t->hosts = calloc(s->tls_host_count, sizeof(*t->hosts));
    if (!t->hosts) {
      iws__tls_free(t);
      return IWS_E_NOMEM;
    }
  }
  for (i = 0; i < s->tls_host_count; i++) {
    const iws__tls_host *h = &s->tls_hosts[i];
    char what[300];
    snprintf(what, sizeof(what), "host '%s'", h->name);
    memset(&cs, 0, sizeof(cs));
    cs.what = what;
    if (is_pem_text(h->cert))
      cs.cert_pem = h->cert;
    else
      cs.cert_file = h->cert;
    if (is_pem_text(h->key))
      cs.key_pem = h->key;
    else
      cs.key_file = h->key;
    cs.password = h->password;
    t->hosts[i].name = malloc(strlen(h->name) + 1);
    if (!t->hosts[i].name) {
      iws__tls_free(t);
      return IWS_E_NOMEM;
    }
    strcpy(t->hosts[i].name, h->name);
    t->nhosts = i + 1;
    rc = new_ctx(s, t, &cs, &t->hosts[i].ctx, err, errlen);
    if (rc != IWS_OK) {
      iws__tls_free(t);
      return rc;
    }
  }
  *out = t;
  return IWS_OK;
}

/* ------------------------------------------------------------------------ */
/* connections                                                               */
/* ------------------------------------------------------------------------ */

int iws__tls_conn_init(iws__tls_ctx *t, iws__conn *c) {
  SSL *ssl;
  BIO *bio;
  iws__tls_conn *tls = calloc(1, sizeof(*tls));
  if (!tls) return -1;
  ssl = SSL_new(t->ctx);
  if (!ssl) {
    ERR_clear_error();
    free(tls);
    return -1;
  }
  bio = BIO_new(get_bio_method());
  if (!bio) {
    SSL_free(ssl);
    ERR_clear_error();
    free(tls);
    return -1;
  }
  c->tls = tls; /* before the SSL can call the BIO */
  BIO_set_data(bio, c);
  SSL_set_bio(ssl, bio, bio); /* one BIO both ways; the SSL owns it */
  SSL_set_app_data(ssl, c);
  SSL_set_accept_state(ssl);
  c->ssl = ssl;
  return 0;
}

void iws__tls_conn_free(iws__conn *c) {
  if (c->ssl) SSL_free(c->ssl);
  c->ssl = NULL;
  if (!c->tls) return; /* a plain connection */
  iws__bytes_free(&c->tls->out);
  iws__bytes_free(&c->tls->pend);
  free(c->tls->error);
  free(c->tls);
  c->tls = NULL;
}

static void set_failure(iws__conn *c, const char *what) {
  char buf[512];
  snprintf(buf, sizeof(buf), "%s", what);
  append_openssl_errors(buf, sizeof(buf));
  c->tls->failed = 1;
  free(c->tls->error);
  c->tls->error = malloc(strlen(buf) + 1);
  if (c->tls->error) strcpy(c->tls->error, buf);
}

int iws__tls_decrypt(iws__conn *c, uint8_t *out, size_t cap,
                     size_t *out_len) {
  size_t got = 0;
  int err = SSL_ERROR_NONE;
  *out_len = 0;
  if (c->tls->failed) return IWS__TLS_FAILED;
  ERR_clear_error();
  while (got < cap) {
    int n = SSL_read(c->ssl, out + got,
                     (int)((cap - got) > 0x40000000 ? 0x40000000 : cap - got));
    if (n > 0) {
      got += (size_t)n;
      continue;
    }
    err = SSL_get_error(c->ssl, n);
    break;
  }
  if (!c->tls->ready && SSL_is_init_finished(c->ssl)) c->tls->ready = 1;
  if (c->tls->reneg) {
    ERR_clear_error();
    set_failure(c, "the client tried to renegotiate TLS, which is refused");
    return IWS__TLS_FAILED;
  }
  if (got) {
    *out_len = got;
    return IWS__TLS_DATA;
  }
  switch (err) {
  case SSL_ERROR_NONE:
  case SSL_ERROR_WANT_READ:
  case SSL_ERROR_WANT_WRITE:
    return IWS__TLS_AGAIN;
  case SSL_ERROR_ZERO_RETURN:
    return IWS__TLS_CLOSED;
  default:
    if (!c->tls->ready && SSL_get_verify_result(c->ssl) != X509_V_OK) {
      char why[200];
      snprintf(why, sizeof(why),
               "TLS handshake failed: the client certificate does not "
               "verify (%s)",
               X509_verify_cert_error_string(
                   SSL_get_verify_result(c->ssl)));
      ERR_clear_error();
      set_failure(c, why);
      return IWS__TLS_FAILED;
    }
    set_failure(c, c->tls->ready ? "TLS error" : "TLS handshake failed");
    if (!c->tls->error || !strchr(c->tls->error, ':')) {
      /* No reason queued (SSL_ERROR_SYSCALL): say so. */
      set_failure(c, c->tls->ready ? "TLS error: malformed input"
                                  : "TLS handshake failed: malformed input");
    }
    return IWS__TLS_FAILED;
  }
}

int iws__tls_encrypt(iws__conn *c, const void *data, size_t len) {
  const uint8_t *p = data;
  if (c->tls->failed) return -1;
  ERR_clear_error();
  while (len) {
    int chunk = len > 0x100000 ? 0x100000 : (int)len;
    int n = SSL_write(c->ssl, p, chunk);
    if (n <= 0) {
      set_failure(c, "TLS: encryption failed");
      return -1;
    }
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

void iws__tls_close_notify(iws__conn *c) {
  if (c->tls->failed || c->tls->notify_sent || !c->tls->ready) return;
  c->tls->notify_sent = 1;
  ERR_clear_error();
  SSL_shutdown(c->ssl); /* queues close_notify; we do not wait for the peer's */
  ERR_clear_error();
}

int iws__tls_handshake_done(iws__conn *c) { return c->tls->ready != 0; }

/* Subject, issuer or PEM of x (what: IWS_CERT_*) as a malloc'd string, or
 * NULL when it cannot be printed. */
static int32_t cert_text(X509 *x, uint32_t what, char **out) {
  BIO *mem;
  BUF_MEM *bm = NULL;
  int ok = 0;
  mem = BIO_new(BIO_s_mem());
  if (!mem) return IWS_E_NOMEM;
  switch (what) {
  case IWS_CERT_SUBJECT:
  case IWS_CERT_ISSUER:
    ok = X509_NAME_print_ex(mem,
                            what == IWS_CERT_SUBJECT
                                ? X509_get_subject_name(x)
                                : X509_get_issuer_name(x),
                            0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0;
    break;
  default:
    ok = PEM_write_bio_X509(mem, x) == 1;
    break;
  }
  BIO_get_mem_ptr(mem, &bm);
  if (ok && bm) {
    *out = malloc(bm->length + 1);
    if (*out) {
      memcpy(*out, bm->data, bm->length);
      (*out)[bm->length] = '\0';
    }
  }
  BIO_free(mem);
  ERR_clear_error();
  if (!ok) return IWS_OK; /* nothing to show */
  return *out ? IWS_OK : IWS_E_NOMEM;
}

/* The client's certificate if it was verified, else NULL. */
static X509 *verified_peer(iws__conn *c) {
  X509 *x;
  if (!c->ssl || !c->tls->ready || c->tls->failed) return NULL;
  x = SSL_get0_peer_certificate(c->ssl);
  if (!x || SSL_get_verify_result(c->ssl) != X509_V_OK) return NULL;
  /* No verification asked for: a certificate the client sent anyway was
   * not checked, so it is not reported. */
  if (SSL_get_verify_mode(c->ssl) == SSL_VERIFY_NONE) return NULL;
  return x;
}

int32_t iws__tls_peer_cert(iws__conn *c, uint32_t what, char **out) {
  X509 *x;
  *out = NULL;
  x = verified_peer(c);
  return x ? cert_text(x, what, out) : IWS_OK;
}

int32_t iws__tls_peer_chain_cert(iws__conn *c, uint32_t depth, uint32_t what,
                                 char **out) {
  STACK_OF(X509) *chain;
  SSL_SESSION *sess;
  const unsigned char *p, *end;
  void *data = NULL;
  size_t len = 0;
  uint32_t i = 0;
  *out = NULL;
  if (!verified_peer(c)) return depth ? IWS_E_NOT_FOUND : IWS_OK;
  chain = SSL_get0_verified_chain(c->ssl);
  if (chain) {
    if (depth >= (uint32_t)sk_X509_num(chain)) return IWS_E_NOT_FOUND;
    return cert_text(sk_X509_value(chain, (int)depth), what, out);
  }
  /* Resumed: the chain from the ticket (ticket_chain). Without it the
   * chain is unknown, and nothing is reported rather than a part of it. */
  sess = SSL_get_session(c->ssl);
  if (!sess || SSL_SESSION_get0_ticket_appdata(sess, &data, &len) != 1)
    return IWS_E_NOT_FOUND;
  p = data;
  end = p + len;
  while (p < end) {
    X509 *x = d2i_X509(NULL, &p, (long)(end - p));
    int32_t rc;
    if (!x) break;
    if (i++ == depth) {
      rc = cert_text(x, what, out);
      X509_free(x);
      return rc;
    }
    X509_free(x);
  }
  ERR_clear_error();
  return IWS_E_NOT_FOUND;
}

int iws__tls_truncated(iws__conn *c) {
  if (c->tls->failed || !SSL_has_pending(c->ssl)) return 0;
  free(c->tls->error);
  c->tls->error = NULL;
  ERR_clear_error();
  set_failure(c, "TLS: the connection ended inside a TLS record (truncated)");
  return 1;
}

const char *iws__tls_describe(iws__conn *c, char *buf, size_t size) {
  snprintf(buf, size, "%s %s", SSL_get_version(c->ssl),
           SSL_get_cipher_name(c->ssl));
  return buf;
}
