#!/usr/bin/env python3
"""Checks that THIRD-PARTY-NOTICES covers every library linked into a binary.

The linked set comes from the build itself: the GNU linker's map file
(-Wl,-Map, which cmake/iocpws-install.cmake asks for when it links the
library), so a library that reaches the link by any route -- a new
target_link_libraries line, a dependency of a dependency, a static archive
from the Windows dependency cache -- is seen. Each input the linker used is
classified:

  - the project's own objects (under the build tree);
  - a third-party library that needs a notice: its section
    "=== <id>: ... ===" must be in THIRD-PARTY-NOTICES;
  - the toolchain and the operating system (C library, GCC runtime under
    its Runtime Library Exception, Windows import libraries): no notice;
  - anything else fails: add a rule below and, where its license asks for
    it, a section to THIRD-PARTY-NOTICES.

Static archives count when the linker took a member from them; shared
objects count when they were loaded.

usage: check-notices.py <map file> [<map file> ...]
"""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOTICES = os.path.join(ROOT, "THIRD-PARTY-NOTICES")

# (regex on the file's base name, notice section or None for "no notice").
RULES = [
    (r"^lib(ssl|crypto)(-\d+)?(\.dll)?\.(a|so(\.[\d.]+)?|lib)$", "openssl"),
    (r"^libwslay\.(a|so(\.[\d.]+)?)$", "wslay"),
    (r"^(libz|libzlib|libzlibstatic|zlib|zlibstatic)(\.dll)?\.(a|so(\.[\d.]+)?|lib)$", "zlib"),
    (r"^libhiredis(_static|_ssl)?\.(a|so(\.[\d.]+)?)$", "hiredis"),
    # mingw-w64's C runtime: start-up code and helpers linked into every
    # DLL and program (ZPL 2.1 and others: notices required).
    (r"^(dll)?crt2\.o$|^lib(mingw32|mingwex|moldname|mingwthrd|msvcrt|ucrt|ucrtbase)\.a$",
     "mingw-w64-runtime"),
    # GCC's runtime (Runtime Library Exception: no notice).
    (r"^libgcc(_eh|_s)?(\.so(\.\d+)?|\.a)$|^crt(begin|end)S?\.o$|^libstdc\+\+", None),
    # GCC's sanitizer runtimes, linked only into the test builds (asan,
    # tsan tiers), never into a shipped artefact.
    (r"^lib(asan|ubsan|tsan|lsan)(\.so(\.\d+)?|\.a)$", None),
    # glibc and the Linux loader.
    (r"^(libc|libm|libdl|libpthread|librt)(\.so(\.[\d.]+)?|_nonshared\.a)$"
     r"|^ld-linux[-\w.]*\.so(\.\d+)?$|^(crt1|Scrt1|crti|crtn)\.o$|^libmvec", None),
    # Windows system DLLs' import libraries (what check-exports.py allows
    # the DLL to import, plus the ones its dependencies name).
    (r"^lib(kernel32|ws2_32|mswsock|crypt32|advapi32|user32|gdi32|bcrypt|ntdll"
     r"|psapi|shell32|ole32|uuid|oleaut32|comdlg32|secur32|iphlpapi)\.a$", None),
]


def linked_files(map_path):
    """The files the linker used: (path, kind) with kind member|shared|object."""
    text = open(map_path, errors="replace").read()
    used = {}
    # "Archive member included to satisfy reference by file (symbol)":
    # lines that start with "archive(member)".
    head = text.split("\nDiscarded input sections", 1)[0]
    head = head.split("\nMemory Configuration", 1)[0]
    for m in re.finditer(r"^(\S[^\n(]*\.(?:a|lib))\(([^)\n]+)\)", head, re.M):
        used[os.path.normpath(m.group(1))] = "member"
    for m in re.finditer(r"^LOAD (\S.*)$", text, re.M):
        path = os.path.normpath(m.group(1).strip())
        base = os.path.basename(path)
        if re.search(r"\.so(\.[\d.]+)?$", base) or base.endswith(".dll"):
            used.setdefault(path, "shared")
        elif base.endswith((".o", ".obj", ".res")):
            used.setdefault(path, "object")
    return used


def notice_sections():
    text = open(NOTICES).read()
    return set(re.findall(r"^=== ([\w.-]+): .* ===$", text, re.M))


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    sections = notice_sections()
    problems, seen_total = [], 0
    for map_path in sys.argv[1:]:
        if not os.path.exists(map_path):
            problems.append(f"{map_path}: no map file (was the library linked "
                            "with cmake/iocpws-install.cmake's -Wl,-Map?)")
            continue
        build_dir = os.path.dirname(os.path.abspath(map_path))
        needs, own = {}, 0
        for path, kind in sorted(linked_files(map_path).items()):
            base = os.path.basename(path)
            # The linker names the build's own inputs relative to the build
            # directory (the map lies there too).
            full = path if os.path.isabs(path) else os.path.join(build_dir, path)
            if kind == "object" and full.startswith(build_dir + os.sep):
                own += 1
                continue
            for pattern, section in RULES:
                if re.search(pattern, base):
                    if section:
                        needs.setdefault(section, set()).add(base)
                    break
            else:
                problems.append(f"{os.path.basename(map_path)}: {path} is linked "
                                "but check-notices.py does not know it: add a "
                                "rule and, if its license asks, a section to "
                                "THIRD-PARTY-NOTICES")
        seen_total += own
        if own == 0:
            problems.append(f"{map_path}: none of the project's own objects "
                            "found: the map file was not understood")
        # What every build of the library links, whatever else changes: a
        # parser that stopped seeing them would pass anything.
        for must in ("openssl", "wslay", "zlib"):
            if must not in needs:
                problems.append(f"{map_path}: {must} not seen in the link: the "
                                "map file was not understood")
        for section, files in sorted(needs.items()):
            if section not in sections:
                problems.append(f"{os.path.basename(map_path)}: links "
                                f"{', '.join(sorted(files))} but THIRD-PARTY-"
                                f"NOTICES has no '=== {section}: ... ===' section")
        print(f"check-notices: {map_path}: {own} own objects; notices needed: "
              + ", ".join(f"{s} ({', '.join(sorted(f))})"
                          for s, f in sorted(needs.items())))
    for p in problems:
        print("check-notices:", p)
    print("check-notices: " + ("OK" if not problems
                               else f"{len(problems)} problem(s)"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
