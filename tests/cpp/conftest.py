"""Fixtures of the C++ binding tests: the very ones of tests/integration
(start_server, server), loaded from its conftest.py, driving the server
named by IWS_TEST_SERVER: cpp_test_server built from cpp_test_server.cpp
with bindings/cpp/iocpws.hpp (linked, or through the run-time loader)."""

import importlib.util
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
INTEGRATION = os.path.join(os.path.dirname(HERE), "integration")
if INTEGRATION not in sys.path:
    sys.path.insert(0, INTEGRATION)  # iws_helpers

_spec = importlib.util.spec_from_file_location(
    "iws_integration_fixtures", os.path.join(INTEGRATION, "conftest.py"))
_fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_fixtures)

start_server = _fixtures.start_server
server = _fixtures.server
# Everything else too: pytest imports one of the two files as the module
# "conftest", so `from conftest import tls_options` (test_tls.py,
# test_redis.py) must work whichever it is.
globals().update({k: v for k, v in vars(_fixtures).items()
                  if not k.startswith("_") and k not in globals()})
