/* http_pending.c - TEMPORARY: stand-ins for the HTTP request cycle
 * (http.c on the http-core branch) so that the static-file work links and
 * its unit tests run before the two meet. Removed by the merge of
 * http-core. Every call fails: no request reaches static.c through them. */
#include "http.h"

IWS_API int32_t IWS_CALL iws_http_set_status(iws_http_response *r,
                                             int32_t status,
                                             const char *reason) {
  (void)r;
  (void)status;
  (void)reason;
  return IWS_E_UNSUPPORTED;
}
IWS_API int32_t IWS_CALL iws_http_add_header(iws_http_response *r,
                                             const char *name,
                                             const char *value) {
  (void)r;
  (void)name;
  (void)value;
  return IWS_E_UNSUPPORTED;
}
IWS_API int32_t IWS_CALL iws_http_set_body(iws_http_response *r,
                                           const void *data,
                                           uint64_t length) {
  (void)r;
  (void)data;
  (void)length;
  return IWS_E_UNSUPPORTED;
}
IWS_API const char *IWS_CALL iws_request_method(const iws_request *r) {
  (void)r;
  return NULL;
}
IWS_API const char *IWS_CALL iws_request_document(const iws_request *r) {
  (void)r;
  return NULL;
}
IWS_API const char *IWS_CALL iws_request_query(const iws_request *r) {
  (void)r;
  return NULL;
}
iws_request *iws__http_response_request(iws_http_response *r) {
  (void)r;
  return NULL;
}
const char *iws__http_response_header(iws_http_response *r,
                                      const char *name) {
  (void)r;
  (void)name;
  return NULL;
}
int32_t iws__http_response_set_file(iws_http_response *r, iws__file *file,
                                    uint64_t offset, uint64_t length,
                                    int32_t status) {
  (void)r;
  (void)offset;
  (void)length;
  (void)status;
  iws__file_close(file);
  return IWS_E_UNSUPPORTED;
}
