// mixed_linked.cpp + mixed_main.cpp: one program whose translation units
// use both routes (this one linked, mixed_main.cpp with IOCPWS_DYNAMIC).
// The route-specific classes live in different inline namespaces, while
// iocpws::error and iocpws::options are shared: an error thrown here is
// caught there as iocpws::error.
#include "iocpws.hpp"

void linked_throw_bad_state() {
  iocpws::options o;
  o.bind_address = "127.0.0.1";
  iocpws::server s(o);
  s.port();  // not running: IWS_E_BAD_STATE
}

uint32_t linked_version() { return iocpws::version_number(); }
