#!/usr/bin/env python3
"""Adds up the JUnit reports of every tier and prints the closing line.

A report that was promised but not written counts as one failure: a tier
that could not run is never reported as passed. A tier that was skipped on
purpose (<name>.skipped holds the reason; only the Win32 runtime tier when
32-bit Wine cannot be installed) prints SKIPPED and counts nowhere.
"""
import os
import sys
import xml.etree.ElementTree as ET


def count(path):
    passed = failed = skipped = 0
    root = ET.parse(path).getroot()
    for case in root.iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            failed += 1
        elif case.find("skipped") is not None:
            skipped += 1
        else:
            passed += 1
    return passed, failed, skipped


def main():
    results, tiers = sys.argv[1], sys.argv[2:]
    total_p = total_f = total_s = 0
    for tier in tiers:
        path = os.path.join(results, tier + ".xml")
        skipped = os.path.join(results, tier + ".skipped")
        if os.path.exists(skipped):
            print(f"{tier:22} SKIPPED: {open(skipped).read().strip()}")
            continue
        if not os.path.exists(path):
            print(f"{tier:22} did not run (no report): counted as 1 failure")
            total_f += 1
            continue
        p, f, s = count(path)
        if p + f == 0:
            # A tier that ran no test proves nothing: it fails.
            print(f"{tier:22} ran no test: counted as 1 failure")
            total_f += 1
            continue
        print(f"{tier:22} {p} passed, {f} failed" + (f", {s} skipped" if s else ""))
        total_p, total_f, total_s = total_p + p, total_f + f, total_s + s
    line = f"{total_p} passed, {total_f} failed"
    if total_s:
        line += f", {total_s} skipped"
    print(line)
    return 1 if total_f else 0


if __name__ == "__main__":
    sys.exit(main())
