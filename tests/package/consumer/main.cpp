// The C++ binding from an installed iocpws: <iocpws.hpp> is on the include
// path of iocpws::iocpws as it is in the source tree.
#include <cstdio>

#include <iocpws.hpp>

int main() {
  if (iocpws::version() != IWS_VERSION_STRING) return 1;
  for (const iocpws::component &c : iocpws::components())
    std::printf("%s %s\n", c.name.c_str(), c.version.c_str());
  std::printf("consumer_cpp OK\n");
  return 0;
}
