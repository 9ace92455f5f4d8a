/*
 * Proves that lib/iocpws.lib from the Windows zip is an import library
 * MSVC's tool chain links: tests/package/run.sh compiles this with clang in
 * MSVC mode (--target=<arch>-pc-windows-msvc, -ffreestanding: no C runtime
 * or Windows SDK needed) and links it with lld-link, the LLVM drop-in for
 * link.exe, against iocpws.lib alone, then runs it under Wine next to
 * iocpws.dll. On Win32 the calls use the decorated __stdcall names
 * (__imp__iws_version@0) that iocpws.lib must map to the undecorated
 * exports. Exit code 0 when the library answers with the header's version.
 */
#include "iocpws.h"

int mainCRTStartup(void) {
  const char *name = 0, *version = 0;
  if (iws_version() != IWS_VERSION_NUMBER) return 1;
  if (iws_abi_version() != IWS_ABI_VERSION) return 2;
  if (iws_component_version(IWS_COMPONENT_OPENSSL, &name, &version) != IWS_OK)
    return 3;
  if (version[0] != '3') return 4; /* OpenSSL 3 is linked in */
  return 0;
}
