/*
 * test_components.c - iws_component_version reports the versions of the
 * headers the library was built with (wslay, hiredis) and of the OpenSSL
 * and zlib in use, which for this build are those same headers' versions.
 * Uses only the public header and the library, plus the dependencies'
 * version headers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/opensslv.h>
#include <wslay/wslayver.h>
#include <zlib.h>
#ifdef IWS_TEST_HIREDIS
#include <hiredis/hiredis.h>
#endif

#include "iocpws.h"

static void expect_component(uint32_t component, const char *want_name,
                             const char *want_version) {
  const char *name = NULL, *version = NULL;
  assert_int_equal(iws_component_version(component, &name, &version), IWS_OK);
  assert_string_equal(name, want_name);
  assert_string_equal(version, want_version);
}

static void engine_and_libraries(void **state) {
  (void)state;
  expect_component(IWS_COMPONENT_ENGINE, "iocpws", IWS_VERSION_STRING);
  assert_string_equal(IWS_VERSION_STRING, iws_version_string());
  expect_component(IWS_COMPONENT_OPENSSL, "OpenSSL", OPENSSL_VERSION_STR);
  expect_component(IWS_COMPONENT_ZLIB, "zlib", ZLIB_VERSION);
  expect_component(IWS_COMPONENT_WSLAY, "wslay", WSLAY_VERSION);
}

static void hiredis_only_when_built_in(void **state) {
  const char *name = NULL, *version = NULL;
  (void)state;
#ifdef IWS_TEST_HIREDIS
  char want[32];
  snprintf(want, sizeof want, "%d.%d.%d", HIREDIS_MAJOR, HIREDIS_MINOR,
           HIREDIS_PATCH);
  expect_component(IWS_COMPONENT_HIREDIS, "hiredis", want);
#else
  assert_int_equal(iws_component_version(IWS_COMPONENT_HIREDIS, &name, &version),
                   IWS_E_UNSUPPORTED);
  assert_string_equal(name, "hiredis");
  assert_string_equal(version, "");
#endif
  (void)name;
  (void)version;
}

static void unknown_numbers_and_null_outputs(void **state) {
  const char *name = "x", *version = "y";
  uint32_t n = 0;
  int32_t rc;
  (void)state;
  assert_int_equal(iws_component_version(5, &name, &version), IWS_E_INVALID_ARG);
  assert_string_equal(name, "");
  assert_string_equal(version, "");
  assert_int_equal(iws_component_version(0xFFFFFFFFu, NULL, NULL),
                   IWS_E_INVALID_ARG);
  /* NULL outputs are allowed: the status alone. */
  assert_int_equal(iws_component_version(IWS_COMPONENT_ZLIB, NULL, NULL), IWS_OK);
  assert_int_equal(iws_component_version(IWS_COMPONENT_ZLIB, &name, NULL), IWS_OK);
  assert_string_equal(name, "zlib");
  /* Counting up from 0 lists every component and stops. */
  while ((rc = iws_component_version(n, &name, &version)) != IWS_E_INVALID_ARG) {
    assert_true(rc == IWS_OK || rc == IWS_E_UNSUPPORTED);
    assert_true(name[0] != '\0');
    assert_true((rc == IWS_OK) == (version[0] != '\0'));
    n++;
    assert_true(n <= 64);
  }
  assert_int_equal(n, IWS_COMPONENT_HIREDIS + 1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(engine_and_libraries),
      cmocka_unit_test(hiredis_only_when_built_in),
      cmocka_unit_test(unknown_numbers_and_null_outputs),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
