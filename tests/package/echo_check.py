#!/usr/bin/env python3
"""Runs an echo server program and talks to it with a real client.

  echo_check.py COMMAND...    (e.g. tests/wine/run-exe.sh unpacked/bin/echo_server.exe 0)

The program must print "listening on port N" within 120 s (a first Wine
start creates its prefix); Python's websockets then sends a text and a
binary message and expects them back unchanged. Exit 0 on success. The
program is ended afterwards (terminate, then kill).
"""
import asyncio
import re
import subprocess
import sys
import threading
import time

import websockets


def main():
    cmd = sys.argv[1:]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, text=True, bufsize=1)
    lines, port = [], []

    def reader():
        for line in proc.stdout:
            lines.append(line.rstrip("\n"))
            m = re.search(r"listening on port (\d+)", line)
            if m and not port:
                port.append(int(m.group(1)))

    threading.Thread(target=reader, daemon=True).start()
    try:
        deadline = time.monotonic() + 120
        while not port and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        if not port:
            print("echo_check: no 'listening on port N' from", cmd, "exit",
                  proc.poll(), "output:", *lines, sep="\n  ")
            return 1

        async def talk():
            uri = f"ws://127.0.0.1:{port[0]}/"
            async with websockets.connect(uri, open_timeout=30) as ws:
                await ws.send("hello from the package test")
                text = await asyncio.wait_for(ws.recv(), 30)
                await ws.send(bytes(range(256)) * 64)
                data = await asyncio.wait_for(ws.recv(), 30)
            return text, data

        text, data = asyncio.run(talk())
        ok = text == "hello from the package test" and data == bytes(range(256)) * 64
        print(f"echo_check: port {port[0]}: text and 16 KiB binary echoed: "
              + ("OK" if ok else f"WRONG ({text!r}, {len(data)} bytes)"))
        return 0 if ok else 1
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


if __name__ == "__main__":
    sys.exit(main())
