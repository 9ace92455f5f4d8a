/*
 * A program that uses an installed iocpws the way a C user does: includes
 * <iocpws.h>, links the library, starts a server on a free port, stops it.
 * Fails (exit 1) when the header and the library it was linked with
 * disagree, or the server cannot start. Built by tests/package/run.sh with
 * find_package, with pkg-config, through add_subdirectory and against the
 * .deb.
 */
#include <stdio.h>
#include <string.h>

#include <iocpws.h>

int main(void) {
  iws_callbacks cb;
  iws_server *server = NULL;
  uint32_t port = 0, i;
  const char *name, *version;
  int32_t rc;

  if (iws_version() != IWS_VERSION_NUMBER ||
      strcmp(iws_version_string(), IWS_VERSION_STRING) != 0) {
    fprintf(stderr, "header %s, library %s\n", IWS_VERSION_STRING,
            iws_version_string());
    return 1;
  }
  for (i = 0; iws_component_version(i, &name, &version) != IWS_E_INVALID_ARG; i++)
    printf("%s %s\n", name, version[0] ? version : "(not in this build)");
  memset(&cb, 0, sizeof cb);
  cb.struct_size = sizeof cb;
  rc = iws_create(IWS_ABI_VERSION, &cb, NULL, &server);
  if (rc == IWS_OK) rc = iws_set_int(server, IWS_OPT_PORT, 0);
  if (rc == IWS_OK) rc = iws_start(server);
  if (rc == IWS_OK) rc = iws_get_port(server, &port);
  if (rc != IWS_OK || port == 0) {
    fprintf(stderr, "server: %s\n", iws_strerror(rc));
    iws_destroy(server);
    return 1;
  }
  printf("consumer OK: iocpws %s served on port %u\n", iws_version_string(),
         (unsigned)port);
  iws_destroy(server);
  return 0;
}
