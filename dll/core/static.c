/* static.c - static files under IWS_OPT_HTTP_DOCUMENT_ROOT and
 * iws_http_serve_file. Placeholder until the static-file work lands: no
 * document root is served and iws_http_serve_file is unsupported. */
#include "http.h"

int iws__static_try(iws_server *server, iws_request *request,
                    iws_http_response *response) {
  (void)server;
  (void)request;
  (void)response;
  return 0;
}

IWS_API int32_t IWS_CALL iws_http_serve_file(iws_http_response *response,
                                             const char *path) {
  (void)response;
  (void)path;
  return IWS_E_UNSUPPORTED;
}

void iws__file_close(iws__file *file) { (void)file; }

int32_t iws__conn_queue_file(iws__conn *conn, iws__file *file,
                             uint64_t offset, uint64_t length) {
  (void)conn;
  (void)offset;
  (void)length;
  iws__file_close(file);
  return IWS_E_UNSUPPORTED;
}
