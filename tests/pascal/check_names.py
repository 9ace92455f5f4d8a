#!/usr/bin/env python3
"""Keeps bindings/pascal/iocpws.lib.pas in step with include/iocpws.h.

Every IWS_API function of the header must be declared in the unit's
interface, imported in its static section (external ... name 'fn') and
listed in its IOCPWS_DYNAMIC name table; every IWS_ constant of the header
must be declared with the same value. Two constants carry a HEADER_ prefix in
Pascal (identifiers ignore case there, so IWS_ABI_VERSION would clash with
iws_abi_version). Writes a JUnit report (one test case per check) and exits
non-zero when something is missing.

  check_names.py include/iocpws.h bindings/pascal/iocpws.lib.pas REPORT.xml
"""
import re
import sys
from xml.sax.saxutils import escape

RENAMED = {"IWS_ABI_VERSION": "IWS_HEADER_ABI_VERSION",
           "IWS_VERSION_STRING": "IWS_HEADER_VERSION_STRING"}
NOT_CONSTANTS = {"IWS_CALL", "IWS_CALLBACK", "IWS_API"}


def c_value(text, defs):
    """Evaluates a #define body made of numbers, strings and other IWS_ names."""
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S).replace("\\\n", " ").strip()
    if text.startswith('"'):
        return text.strip('"')
    expr = re.sub(r"\bIWS_[A-Z0-9_]+\b", lambda m: str(defs[m.group(0)]), text)
    return int(eval(expr, {"__builtins__": {}}))  # digits, + * ( ) only


def main():
    header, unit, report = sys.argv[1:4]
    h = open(header).read()
    p = open(unit).read()
    cases = []

    def case(name, problems):
        cases.append((name, problems))

    functions = re.findall(r"IWS_API\s+[^;]*?\bIWS_CALL\s+(iws_\w+)\s*\(", h, re.S)
    interface = p[: p.index("\nimplementation")]
    case("every header function is declared in the interface",
         [f for f in functions
          if not re.search(rf"^function {f}\b", interface, re.M | re.I)])
    case("every header function has a static import",
         [f for f in functions
          if not re.search(rf"^function {f}; external IOCPWS_LIB name '{f}';", p, re.M)])
    table = re.search(r"IOCPWS_ENTRY_NAMES:.*?\((.*?)\);", p, re.S).group(1)
    names = re.findall(r"'(iws_\w+)'", table)
    count = int(re.search(r"IOCPWS_ENTRY_COUNT = (\d+);", p).group(1))
    case("the dynamic name table lists every header function, in a table of the right size",
         [f for f in functions if f not in names]
         + ([f"IOCPWS_ENTRY_COUNT {count} but {len(names)} names"] if count != len(names) else []))
    case("the unit declares no function the header does not have",
         [f for f in re.findall(r"^function (iws_\w+)", interface, re.M) if f not in functions])

    defs = {}
    bare = re.sub(r"/\*.*?\*/", "", h, flags=re.S)
    for m in re.finditer(r"^#define (IWS_[A-Z0-9_]+)[ \t]+((?:.*\\\n)*.*)$", bare, re.M):
        name = m.group(1)
        if name in NOT_CONSTANTS:
            continue
        defs[name] = c_value(m.group(2), defs)
    wrong = []
    for name, value in defs.items():
        pname = RENAMED.get(name, name)
        m = re.search(rf"^\s*{pname}\s*=\s*(.*?);", interface, re.M | re.S)
        if not m:
            wrong.append(f"{name} missing (as {pname})")
            continue
        text = m.group(1)
        if isinstance(value, str):
            ok = text == f"'{value}'"
        else:
            # multi-line Pascal constants: take the declaration up to ';'
            pexpr = re.sub(r"\bIWS_[A-Z0-9_]+\b", lambda n: str(defs.get(n.group(0), 0)), " ".join(text.split()))
            try:
                ok = int(eval(pexpr, {"__builtins__": {}})) == value
            except Exception:  # noqa: BLE001 - report it
                ok = False
        if not ok:
            wrong.append(f"{name} = {value!r} in C, {text!r} in Pascal")
    case(f"every IWS_ constant of the header ({len(defs)}) is declared with its value", wrong)

    body = []
    failed = 0
    for name, problems in cases:
        if problems:
            failed += 1
            print(f"FAIL {name}: {', '.join(problems)}")
            body.append(f'<testcase name="{escape(name)}"><failure message="missing">'
                        f"{escape(', '.join(problems))}</failure></testcase>")
        else:
            print(f"ok   {name}")
            body.append(f'<testcase name="{escape(name)}"/>')
    print(f"{len(functions)} functions, {len(defs)} constants checked")
    with open(report, "w") as f:
        f.write(f'<testsuite name="pascal-names">{"".join(body)}</testsuite>\n')
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
