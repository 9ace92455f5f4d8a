#!/usr/bin/env python3
"""Checks a built iocpws.dll against the ABI.

- every function declared IWS_API in include/iocpws.h is exported by the DLL
  under its undecorated name, and nothing else is (also on Win32, where
  __stdcall names would otherwise be decorated: _iws_start@4);
- dll/iocpws.def lists exactly the same names;
- the DLL imports only Windows system DLLs (OpenSSL, wslay, zlib and hiredis are linked in
  statically; no mingw runtime DLL).

usage: check-exports.py <objdump> <iocpws.dll>
"""
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SYSTEM_DLLS = {"kernel32.dll", "ws2_32.dll", "advapi32.dll", "crypt32.dll",
               "user32.dll", "msvcrt.dll", "mswsock.dll", "bcrypt.dll",
               "ntdll.dll"}


def header_functions():
    text = open(os.path.join(ROOT, "include", "iocpws.h")).read()
    return set(re.findall(r"IWS_API\b[^;]*?IWS_CALL\s+(iws_\w+)\s*\(", text,
                          re.S))


def def_functions():
    names, in_exports = set(), False
    for line in open(os.path.join(ROOT, "dll", "iocpws.def")):
        line = line.split(";")[0].strip()
        if not line:
            continue
        if line.upper() == "EXPORTS":
            in_exports = True
        elif in_exports:
            names.add(line.split()[0])
    return names


def dll_tables(objdump, dll):
    out = subprocess.run([objdump, "-p", dll], check=True, capture_output=True,
                         text=True).stdout
    imports = {m.lower() for m in re.findall(r"DLL Name: (\S+)", out)}
    exports, in_table = set(), False
    for line in out.splitlines():
        if line.startswith("[Ordinal/Name Pointer] Table"):
            in_table = True
            continue
        if in_table:
            m = re.match(r"\s+\[\s*\d+\]\s+(\S+)", line)
            if not m:
                break
            exports.add(m.group(1))
    return exports, imports


def main():
    objdump, dll = sys.argv[1], sys.argv[2]
    header, deffile = header_functions(), def_functions()
    exports, imports = dll_tables(objdump, dll)
    problems = []
    if len(header) < 30:
        problems.append(f"only {len(header)} functions parsed from the header")
    for name in sorted(header - deffile):
        problems.append(f"{name}: in iocpws.h, missing from iocpws.def")
    for name in sorted(deffile - header):
        problems.append(f"{name}: in iocpws.def, not in iocpws.h")
    for name in sorted(header - exports):
        problems.append(f"{name}: not exported by {os.path.basename(dll)} "
                        "under its undecorated name")
    for name in sorted(exports - header):
        problems.append(f"{name}: exported but not part of the ABI")
    for name in sorted(imports - SYSTEM_DLLS):
        problems.append(f"depends on {name}, which is not a Windows system DLL")
    for p in problems:
        print("check-exports:", p)
    print(f"check-exports: {dll}: {len(exports)} exports, imports "
          f"{', '.join(sorted(imports))}: "
          + ("OK" if not problems else f"{len(problems)} problem(s)"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
