"""Fixtures of the C++ binding tests: the very ones of tests/integration
(start_server, server, tls_files...), loaded from its conftest.py, driving
the server named by IWS_TEST_SERVER: cpp_test_server built from
cpp_test_server.cpp with bindings/cpp/iocpws.hpp (linked, or through the
run-time loader)."""

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

# Everything it defines, fixtures and helpers alike: when pytest collects
# tests/integration and tests/cpp in one run, `from conftest import ...` in
# a test module (test_tls.py) finds whichever conftest was loaded last, so
# this one must offer the same names.
for _name, _value in vars(_fixtures).items():
    if not _name.startswith("_") and not _name.startswith("pytest_"):
        globals()[_name] = _value
del _name, _value
