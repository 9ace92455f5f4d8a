// The public header compiles as C++ (-Wall -Wextra -pedantic) and links.
#include "iocpws.h"

#include <cstdio>

static int32_t IWS_CALLBACK on_connect(iws_server *, iws_conn_id,
                                       iws_request *, void *) {
  return IWS_ACCEPT;
}

int main() {
  iws_callbacks cb = iws_callbacks();
  cb.struct_size = sizeof(cb);
  cb.on_connect = on_connect;
  iws_server *server = nullptr;
  if (iws_create(IWS_ABI_VERSION, &cb, nullptr, &server) != IWS_OK) return 1;
  if (iws_version() != IWS_VERSION_NUMBER) return 1;
  std::printf("%s\n", iws_version_string());
  return iws_destroy(server) == IWS_OK ? 0 : 1;
}
