// See mixed_linked.cpp. Prints PASS/FAIL lines like cpp_checks.
#define IOCPWS_DYNAMIC
#include "iocpws.hpp"

#include <cstdio>

void linked_throw_bad_state();
uint32_t linked_version();

int main() {
  int failed = 0;
  try {
    linked_throw_bad_state();
    std::printf("FAIL mixed_error_crosses_routes: nothing thrown\n");
    ++failed;
  } catch (const iocpws::error &e) {
    bool ok = e.code() == IWS_E_BAD_STATE;
    std::printf("%s mixed_error_crosses_routes\n", ok ? "PASS" : "FAIL");
    failed += ok ? 0 : 1;
  }
  bool same = linked_version() == iocpws::version_number();
  std::printf("%s mixed_same_library\n", same ? "PASS" : "FAIL");
  failed += same ? 0 : 1;
  return failed;
}
