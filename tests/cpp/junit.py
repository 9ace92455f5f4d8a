#!/usr/bin/env python3
"""JUnit reports for tests/cpp/run.sh (scripts/summarize.py adds them up).

  junit.py lines REPORT PREFIX [EXIT]   stdin: a check program's output;
        "PASS name" / "FAIL name: why" lines become test cases PREFIX:name; a
        non-zero EXIT with no FAIL line (a crash) or no line at all adds a
        failed case, so a program that died never reads as passed.
  junit.py case REPORT NAME STATUS [OUTPUT]   appends one case (STATUS 0 =
        passed) to REPORT, creating it if needed.
  junit.py merge REPORT PREFIX IN.xml         appends IN's cases to REPORT,
        their names prefixed with PREFIX (a missing IN adds a failed case).
"""
import os
import sys
import xml.etree.ElementTree as ET


def load(path, suite):
    if os.path.exists(path):
        return ET.parse(path)
    return ET.ElementTree(ET.Element("testsuite", name=suite))


def add(tree, name, ok, text=""):
    case = ET.SubElement(tree.getroot(), "testcase", name=name)
    if not ok:
        f = ET.SubElement(case, "failure", message=text[:200])
        f.text = text


def main():
    mode, report = sys.argv[1], sys.argv[2]
    suite = os.path.splitext(os.path.basename(report))[0]
    tree = load(report, suite)
    if mode == "lines":
        prefix = sys.argv[3]
        status = int(sys.argv[4]) if len(sys.argv) > 4 else 0
        out = sys.stdin.read()
        seen = failed = 0
        for line in out.splitlines():
            if line.startswith("PASS "):
                add(tree, f"{prefix}:{line[5:].strip()}", True)
                seen += 1
            elif line.startswith("FAIL "):
                name, _, why = line[5:].partition(":")
                add(tree, f"{prefix}:{name.strip()}", False, why.strip())
                seen += 1
                failed += 1
        if seen == 0 or (status != 0 and failed == 0):
            add(tree, f"{prefix}:exit", False,
                f"exit status {status}, {seen} checks reported\n{out[-4000:]}")
    elif mode == "case":
        name, status = sys.argv[3], int(sys.argv[4])
        add(tree, name, status == 0, sys.argv[5] if len(sys.argv) > 5 else "")
    elif mode == "merge":
        prefix, src = sys.argv[3], sys.argv[4]
        if not os.path.exists(src):
            add(tree, f"{prefix}:report", False, f"{src} was not written")
        else:
            n = 0
            for case in ET.parse(src).getroot().iter("testcase"):
                case.set("name", f"{prefix}:{case.get('classname', '')}."
                                 f"{case.get('name')}")
                tree.getroot().append(case)
                n += 1
            if n == 0:
                add(tree, f"{prefix}:report", False, f"{src} holds no test")
    else:
        sys.exit(f"junit.py: unknown mode {mode}")
    tree.write(report, encoding="unicode")


if __name__ == "__main__":
    main()
