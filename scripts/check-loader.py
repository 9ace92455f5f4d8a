#!/usr/bin/env python3
"""Checks that include/iocpws_loader.h lists every function of the ABI.

The loader's IWS_LOADER_FUNCTIONS(X) table must name each IWS_API function
of include/iocpws.h exactly once, and nothing else, so that a function added
to the header cannot be forgotten by the run-time route. (The C++ checks,
tests/cpp/cpp_checks.cpp, compare each pointer's type with the function's.)

usage: check-loader.py
"""
import importlib.util
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def header_functions():
    # The same parser check-exports.py uses for the DLL's exports.
    spec = importlib.util.spec_from_file_location(
        "check_exports", os.path.join(ROOT, "scripts", "check-exports.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.header_functions()


def loader_functions():
    text = open(os.path.join(ROOT, "include", "iocpws_loader.h")).read()
    block = text[text.index("#define IWS_LOADER_FUNCTIONS(X)"):]
    lines = []
    for line in block.splitlines():
        lines.append(line)
        if not line.rstrip().endswith("\\"):
            break
    body = "\n".join(lines)
    return re.findall(r"\bX\(\s*[^,]+?,\s*(\w+)\s*,", body)


def main():
    header = header_functions()
    names = ["iws_" + n for n in loader_functions()]
    problems = []
    if len(header) < 30:
        problems.append(f"only {len(header)} functions parsed from iocpws.h")
    for name in sorted({n for n in names if names.count(n) > 1}):
        problems.append(f"{name}: listed more than once in iocpws_loader.h")
    for name in sorted(header - set(names)):
        problems.append(f"{name}: in iocpws.h, missing from iocpws_loader.h")
    for name in sorted(set(names) - header):
        problems.append(f"{name}: in iocpws_loader.h, not in iocpws.h")
    for p in problems:
        print("check-loader:", p)
    print(f"check-loader: iocpws.h {len(header)} functions, iocpws_loader.h "
          f"{len(names)}: " + ("OK" if not problems else
                               f"{len(problems)} problem(s)"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
