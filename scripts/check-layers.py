#!/usr/bin/env python3
"""Checks the layering of dll/ (README.md, "Architecture").

Files call only downward:

    api -> pubsub, http -> ws -> core -> backend -> platform

(pubsub and http are side by side: neither includes the other.) Upward
calls go only through the protocol table and the server's hooks, which need
no #include. Since every edge is checked, a header sees (transitively) only
its layer and the layers below it: no header includes everything. This script reads every `#include "..."` of dll/ (third_party/
excepted), resolves it relative to the including file, and fails on:

  - an upward or sideways edge between folders (a file of layer A includes
    a file of a layer A may not call);
  - an include circle between files (a.h -> b.h -> a.h);
  - a file over MAX_LINES lines.

usage: check-layers.py [root]   (default: the repository this script is in)
Prints what it found; exit status 1 on any failure.
"""
import os
import re
import sys

MAX_LINES = 900

# rank: a file may include files of its own layer or of a lower rank;
# layers of equal rank (http, pubsub) may not include each other.
RANK = {
    "platform": 0,
    "backend": 1,
    "core": 2,
    "ws": 3,
    "http": 4,
    "pubsub": 4,
    "api": 5,
}
SKIP = {"third_party"}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def layer_of(dll, path):
    rel = os.path.relpath(path, dll)
    top = rel.split(os.sep)[0]
    return top if top in RANK else None


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(
        os.path.dirname(os.path.abspath(__file__)))
    dll = os.path.join(root, "dll")
    files = []
    for d, dirs, names in os.walk(dll):
        dirs[:] = sorted(x for x in dirs if x not in SKIP)
        for n in sorted(names):
            if n.endswith((".c", ".h")):
                files.append(os.path.join(d, n))
    problems = []
    edges = {}
    for f in files:
        text = open(f, encoding="utf-8", errors="replace").read()
        rel = os.path.relpath(f, root)
        lines = text.count("\n")
        if lines > MAX_LINES:
            problems.append(f"{rel}: {lines} lines (over {MAX_LINES})")
        src = layer_of(dll, f)
        edges[f] = []
        for inc in INCLUDE.findall(text):
            target = os.path.normpath(os.path.join(os.path.dirname(f), inc))
            if not os.path.exists(target) or not target.startswith(dll + os.sep):
                continue  # include/ (the public header) or the system's
            edges[f].append(target)
            dst = layer_of(dll, target)
            if src is None or dst is None or src == dst:
                continue
            if RANK[dst] >= RANK[src]:
                problems.append(
                    f"{rel}: includes {os.path.relpath(target, root)}: "
                    f"{src} may not include {dst} "
                    f"({'sideways' if RANK[dst] == RANK[src] else 'upward'})")

    # include circles between files (depth-first search, colours)
    colour = {}

    def visit(f, stack):
        colour[f] = 1
        stack.append(f)
        for t in edges.get(f, []):
            if colour.get(t) == 1:
                cyc = stack[stack.index(t):] + [t]
                problems.append("include circle: " + " -> ".join(
                    os.path.relpath(x, root) for x in cyc))
            elif t in edges and not colour.get(t):
                visit(t, stack)
        stack.pop()
        colour[f] = 2

    for f in files:
        if not colour.get(f):
            visit(f, [])

    nedges = sum(len(v) for v in edges.values())
    print(f"check-layers: {len(files)} files, {nedges} includes in dll/")
    for p in problems:
        print("FAIL " + p)
    if problems:
        print(f"check-layers: {len(problems)} problem(s)")
        return 1
    print("check-layers: ok (downward only, no circle, no file over "
          f"{MAX_LINES} lines)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
