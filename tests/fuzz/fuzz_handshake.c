/*
 * fuzz_handshake.c - libFuzzer target for the HTTP upgrade parser
 * (dll/ws/handshake.c): the input is what a client sent before its first
 * frame. Finds the end of the head (fed in two parts, as two reads would
 * bring it), parses it, validates it as an RFC 6455 upgrade, picks a
 * subprotocol and writes both possible answers.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deflate.h"
#include "handshake.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  size_t split = size ? data[0] % (size + 1) : 0;
  size_t end = iws__http_head_end(data, split, 0);
  iws_request req;
  const char *why = NULL;
  char out[2048];
  int status;
  if (!end) end = iws__http_head_end(data, size, split > 3 ? split - 3 : 0);
  if (!end) end = size; /* the parser must cope with any bytes anyway */
  memset(&req, 0x5a, sizeof(req));
  status = iws__http_parse((const char *)data, end, &req);
  if (status == 0) {
    uint32_t i;
    for (i = 0; i < req.header_count; i++)
      if (!req.headers[i].name || !req.headers[i].value) abort();
    (void)iws__http_header(&req, "Sec-WebSocket-Protocol");
    status = iws__ws_validate(&req, &why);
    if (status == 0) {
      char key[IWS__ACCEPT_KEY_SIZE];
      const char *p = iws__ws_pick_protocol(&req, "chat, superchat,x");
      const char *values[1];
      size_t nvalues = 0;
      char ext[256];
      const char *ext_answer = NULL;
      iws__pmd_config cfg = {15, 12, 0, 0};
      iws__pmd_params pmd;
      /* permessage-deflate negotiation over the Sec-WebSocket-Extensions
       * value the input brought */
      values[0] = iws__http_header(&req, "Sec-WebSocket-Extensions");
      if (values[0]) nvalues = 1;
      memset(&pmd, 0, sizeof(pmd));
      if (iws__pmd_negotiate(values, nvalues, &cfg, &pmd) == 0 && pmd.enabled) {
        if (pmd.server_bits < 9 || pmd.server_bits > 15 || pmd.client_bits < 9 ||
            pmd.client_bits > 15)
          abort();
        if (iws__pmd_response(&pmd, ext, sizeof(ext)) == 0) abort();
        ext_answer = ext;
      }
      iws__ws_accept_key(req.key, key);
      if (iws__ws_response_101(key, p, ext_answer, out, sizeof(out)) == 0)
        abort();
      if (iws__ws_response_101(key, p, ext_answer, out, 8) != 0) abort();
    } else {
      (void)why;
      if (!iws__ws_refusal_headers(status)) abort();
    }
    iws__http_request_free(&req);
  } else {
    if (!iws__ws_refusal_headers(status)) abort();
  }
  /* Token matching on raw bytes (NUL-terminated copy). */
  if (size < 512) {
    char *v = malloc(size + 1);
    memcpy(v, data, size);
    v[size] = '\0';
    (void)iws__http_has_token(v, "upgrade");
    free(v);
  }
  return 0;
}
