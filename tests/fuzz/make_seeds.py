#!/usr/bin/env python3
"""Writes the hand-made seed corpora in tests/fuzz/corpus/ (run once; the
files are in git). Frames are client frames: masked."""
import os
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
UPGRADE = (b"GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
           b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
           b"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: chat\r\n\r\n")


def frame(op, payload=b"", fin=True, mask=b"\x01\x02\x03\x04", length=None, rsv=0):
    n = len(payload) if length is None else length
    b0 = (0x80 if fin else 0) | rsv | op
    if n < 126:
        head = bytes([b0, 0x80 | n])
    elif n < 65536:
        head = bytes([b0, 0x80 | 126]) + struct.pack(">H", n)
    else:
        head = bytes([b0, 0x80 | 127]) + struct.pack(">Q", n)
    body = bytes(c ^ mask[i % 4] for i, c in enumerate(payload))
    return head + mask + body


def close(code=1000, reason=b""):
    return frame(8, struct.pack(">H", code) + reason)


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


FRAMES = {
    "text": frame(1, b"Hello") + close(),
    "binary": frame(2, bytes(range(256))) + close(1001, b"going"),
    "fragments": frame(1, b"Hel", fin=False) + frame(9, b"ping") +
                 frame(0, b"lo ", fin=False) + frame(0, "w\u00f6rld".encode(), fin=True) + close(),
    "bad_utf8": frame(1, b"\xc3\x28") + close(),
    "split_utf8": frame(1, "\u20ac".encode()[:2], fin=False) + frame(0, "\u20ac".encode()[2:]) + close(),
    "ping_pong": frame(9, b"x" * 125) + frame(10, b"") + close(),
    "huge_length": frame(2, b"", length=(1 << 63) - 1),
    "big_16": frame(2, b"A" * 300) + frame(1, b"C") ,
    "unmasked": bytes([0x81, 0x05]) + b"Hello",
    "rsv_bits": frame(1, b"x", rsv=0x40),
    "bad_close": frame(8, b"\x03\xe7") + frame(8, b"\x01"),
    "echo_cmds": frame(1, b"Pping") + frame(1, b"Dbye"),
    "cont_first": frame(0, b"x") + close(),
    "long_control": frame(9, b"x" * 126),
}

for name, data in FRAMES.items():
    write("conn", name, b"\x80" + data)            # upgrade sent by the driver
    write("conn", name + "_1b", b"\x81" + data)    # one byte per read
    write("conn", name + "_tight", b"\xc3" + data)  # tiny limits, 3-byte reads
    write("conn", name + "_slow", b"\xe5" + data)   # tight, slow socket, 5-byte reads
    write("tls", name, b"\x80" + data)             # through a real TLS client


def deflated(payload):
    """permessage-deflate payload: raw deflate, sync flush, tail removed."""
    c = zlib.compressobj(wbits=-15)
    data = c.compress(payload) + c.flush(zlib.Z_SYNC_FLUSH)
    return data[:-4]


DEFLATE_FRAMES = {
    "deflate_text": frame(1, deflated(b"hello hello hello"), rsv=0x40) + close(),
    "deflate_fragments": frame(1, deflated(b"abcabcabc")[:3], fin=False, rsv=0x40) +
                         frame(0, deflated(b"abcabcabc")[3:]) + close(),
    "deflate_bomb": frame(2, deflated(b"\0" * 100000), rsv=0x40),
    "deflate_rsv_control": frame(9, b"x", rsv=0x40),
    "deflate_corrupt": frame(1, b"\xff\xff\xff", rsv=0x40),
    "deflate_plain_mix": frame(1, b"plain") + frame(1, deflated(b"packed"), rsv=0x40),
}
for name, data in DEFLATE_FRAMES.items():
    write("conn", name, b"\x90" + data)            # offers permessage-deflate
    write("conn", name + "_tight", b"\xd3" + data)  # + context takeover, tiny limits
write("conn", "upgrade_in_input", b"\x00" + UPGRADE + frame(1, b"hi") + close())
write("conn", "upgrade_split", b"\x07" + UPGRADE + frame(1, b"hi"))
write("conn", "refused", b"\x00" + UPGRADE.replace(b"/chat", b"/refuse"))
write("conn", "http_garbage", b"\x00GET / HTTP/1.0\r\n\r\n")
# plain HTTP (0.5): keep-alive, pipelining, bodies, deferred answers, upgrade
HTTP = {
    "get": b"GET /x?a=1&b=%41+c HTTP/1.1\r\nHost: h\r\n\r\n",
    "pipelined": b"".join(b"GET /e%d HTTP/1.1\r\nHost: h\r\n\r\n" % i for i in range(5)),
    "post_length": b"POST /e HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n"
                   b"Content-Type: application/x-www-form-urlencoded\r\n\r\na=1&b",
    "chunked": b"POST /e HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
               b"3;ext=1\r\nabc\r\n1F\r\n" + b"x" * 31 + b"\r\n0\r\nT: v\r\n\r\n",
    "deferred": b"GET /d HTTP/1.1\r\nHost: h\r\n\r\nGET /e HTTP/1.1\r\nHost: h\r\n\r\n",
    "quick": b"GET /q HTTP/1.1\r\nHost: h\r\n\r\n",
    "headers": b"GET /h?n=X-A&v=b HTTP/1.1\r\nHost: h\r\n\r\nGET /h?n=Bad%20N&v=x HTTP/1.1\r\nHost: h\r\n\r\n",
    "status": b"GET /s?s=299&r=Fine HTTP/1.1\r\nHost: h\r\n\r\nHEAD /s?s=204 HTTP/1.1\r\nHost: h\r\n\r\n",
    "close": b"GET /c HTTP/1.1\r\nHost: h\r\n\r\nGET /e HTTP/1.1\r\nHost: h\r\n\r\n",
    "http10": b"GET /e HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /e HTTP/1.0\r\n\r\n",
    "expect": b"POST /e HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nab",
    "smuggle": b"POST /e HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
    "upgrade_after": b"GET /e HTTP/1.1\r\nHost: h\r\n\r\n" + UPGRADE + frame(1, b"hi") + close(),
    "upgrade_behind_deferred": b"GET /d HTTP/1.1\r\nHost: h\r\n\r\n" + UPGRADE + frame(1, b"hi"),
    "long_target": b"GET /" + b"a" * 300 + b" HTTP/1.1\r\nHost: h\r\n\r\n",
    # issue 16: absolute-form, OPTIONS *, Host rules, empty lines first
    "absolute": b"GET http://h:81/x?a=1 HTTP/1.1\r\nHost: h\r\n\r\nGET HTTP://h HTTP/1.1\r\nHost: h\r\n\r\n",
    "options_star": b"OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\nGET /e HTTP/1.1\r\nHost: h\r\n\r\n",
    "two_hosts": b"GET /e HTTP/1.1\r\nHost: h\r\nHost: h\r\n\r\n",
    "bad_host": b"GET /e HTTP/1.1\r\nHost: [::1\r\n\r\n",
    # issue 20: on_http_head streams (/s...), refuses (/r), answers badly
    # (/x); on_http_body refuses a piece starting with '!'
    "stream_length": b"POST /s HTTP/1.1\r\nHost: h\r\nContent-Length: 2000\r\n\r\n"
                     + b"y" * 2000 + b"GET /e HTTP/1.1\r\nHost: h\r\n\r\n",
    "stream_chunked": b"POST /s HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
                      b"Expect: 100-continue\r\n\r\n3\r\nabc\r\n200\r\n" + b"z" * 512
                      + b"\r\n0\r\n\r\nGET /e HTTP/1.1\r\nHost: h\r\n\r\n",
    "stream_refused": b"POST /s HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nab!c",
    "head_refused": b"POST /r HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n"
                    b"Content-Length: 9999999\r\n\r\n",
    "head_unknown": b"GET /x HTTP/1.1\r\nHost: h\r\n\r\n",
}
write("conn", "blank_lines_first", b"\x00" + b"\r\n" * 5000 + UPGRADE + frame(1, b"hi"))
write("conn", "blank_lines_first_http", b"\x00" + b"\r\n" * 5000 + HTTP["get"])
for name, data in HTTP.items():
    write("conn", "http_" + name, b"\x00" + data)
    write("conn", "http_" + name + "_3b", b"\x43" + data)  # tiny limits, 3-byte reads
    write("conn", "http_" + name + "_slow", b"\x65" + data)  # tight, slow socket
write("tls", "raw_garbage", b"\x00\x16\x03\x01\x00\x05hello")
write("tls", "raw_http", b"\x00" + UPGRADE)

HS = {
    "valid": UPGRADE,
    "lower": UPGRADE.lower().replace(b"dghlihnhbxbszsbub25jzq==", b"dGhlIHNhbXBsZSBub25jZQ=="),
    "protocols": UPGRADE.replace(b"chat\r\n", b"x, superchat ,chat\r\n"),
    "folded": b"GET / HTTP/1.1\r\nHost: a\r\n b\r\n\r\n",
    "http10": b"GET / HTTP/1.0\r\nHost: a\r\n\r\n",
    "post": UPGRADE.replace(b"GET", b"POST"),
    "version8": UPGRADE.replace(b"Version: 13", b"Version: 8"),
    "bad_key": UPGRADE.replace(b"dGhlIHNhbXBsZSBub25jZQ==", b"short"),
    "empty_values": b"GET / HTTP/1.1\r\nHost:\r\nUpgrade:\r\n\r\n",
    "absolute": UPGRADE.replace(b"/chat", b"http://x/chat?a=b"),
    "absolute_bare": UPGRADE.replace(b"/chat", b"https://[::1]:9"),
    "absolute_userinfo": UPGRADE.replace(b"/chat", b"http://u@x/chat"),
    "two_keys": UPGRADE.replace(b"\r\n\r\n", b"\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"),
    "two_versions": UPGRADE.replace(b"\r\n\r\n", b"\r\nSec-WebSocket-Version: 13\r\n\r\n"),
    "two_hosts": UPGRADE.replace(b"Host: x\r\n", b"Host: x\r\nHost: y\r\n"),
    "deflate_longest": UPGRADE.replace(b"\r\n\r\n", b"\r\nSec-WebSocket-Extensions: permessage-deflate; "
                                     b"server_no_context_takeover; client_no_context_takeover; "
                                     b"server_max_window_bits=12; client_max_window_bits=12\r\n\r\n"),
    "many_headers": b"GET / HTTP/1.1\r\n" + b"".join(b"X-%d: v\r\n" % i for i in range(120)) + b"\r\n",
    "deflate_offer": UPGRADE.replace(b"\r\n\r\n", b"\r\nSec-WebSocket-Extensions: permessage-deflate; "
                                   b"client_max_window_bits; server_max_window_bits=10, "
                                   b"permessage-deflate\r\n\r\n"),
    "deflate_bad": UPGRADE.replace(b"\r\n\r\n", b"\r\nSec-WebSocket-Extensions: permessage-deflate; "
                                 b"server_max_window_bits=8;;=\r\n\r\n"),
}
for name, data in HS.items():
    write("handshake", name, bytes([len(data) // 2 % 256]) + data)

def rec(kind, opt, value):
    if isinstance(value, bytes):
        return bytes([kind]) + struct.pack("<H", opt) + value + b"\0"
    return bytes([kind]) + struct.pack("<H", opt) + struct.pack("<q", value)

write("options", "ints", rec(0, 1, 0) + rec(0, 2, 300) + rec(0, 5, -1) + rec(3, 5, 0) + rec(6, 0, 0))
write("options", "strings", rec(2, 10001, b"::1") + rec(2, 10002, b"a,b") + rec(4 | (3 << 3), 10002, 0)[:3] + rec(5, 10001, 0)[:3])
write("options", "tls", rec(0, 19, 0) + rec(2, 10007, b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n") + rec(6, 0, 0)[:3] + rec(7 | (5 << 3), 0, 0)[:3])
write("options", "edges", rec(0x20, 6, 255) + rec(0x21, 10, 0x80) + rec(0, 9999, 1) + rec(2, 19999, b"x") + rec(0, 0xFFFF, 0))

# wslay_diff: byte 0 = configuration (bit 0 no_buffering, bit 1 RSV1 allowed,
# bits 2-3 max message length default/64/1000/70000, bit 4 the patched side
# reads through wslay_event_recv_buffer), byte 1 = read size - 1,
# then client frames straight into wslay (no upgrade).
WSLAY = {
    "text": b"\x00\xff" + frame(1, b"hello"),
    "text_1b": b"\x00\x00" + frame(1, b"hello world"),
    "binary_16k_nobuf": b"\x01\x3f" + frame(2, bytes(range(256)) * 64),
    "binary_70k": b"\x00\xff" + frame(2, bytes(range(251)) * 280),
    "fragmented_utf8": b"\x00\x06" + frame(1, "héllo ".encode(), fin=False) + frame(0, "wörld ✓".encode()),
    "bad_utf8": b"\x00\xff" + frame(1, b"ab\xc3\x28cd"),
    "ping_close": b"\x00\xff" + frame(9, b"p") + close(1000, b"bye"),
    "unmasked": b"\x00\xff" + bytes([0x81, 1]) + b"x",
    "rsv1_allowed": b"\x02\xff" + frame(1, b"deflated?", rsv=0x40),
    "rsv1_refused": b"\x00\xff" + frame(1, b"deflated?", rsv=0x40),
    "too_big_64": b"\x04\xff" + frame(2, b"z" * 100),
    "len16": b"\x00\x80" + frame(1, b"a" * 300),
    "close_bad_code": b"\x00\xff" + close(1005),
    "interleaved_ping": b"\x00\x04" + frame(1, b"part1", fin=False) + frame(9) + frame(0, b"part2"),
    # the UTF-8 fast paths: long ASCII runs, whole non-ASCII sequences of
    # every length, sequences cut by the 7-byte reads, then ill-formed ones
    "utf8_mixed_7b": b"\x00\x06" + frame(1, ("a" * 40 + "приветмир世界 𝄞" * 20 + "b" * 40).encode()),
    "utf8_mixed_nobuf": b"\x01\xff" + frame(1, ("приветмир世界 " * 30 + "z" * 70).encode()),
    "utf8_bad_after_ascii": b"\x00\xff" + frame(1, b"a" * 40 + b"\xc3" + b"a" * 20 + b"\xa9"),
    "utf8_surrogate": b"\x00\xff" + frame(1, "миру".encode() + b"\xed\xa0\x80" + "世界".encode()),
    "utf8_above_max": b"\x00\x10" + frame(1, "миру".encode() + b"\xf4\x90\x80\x80" + b"tail"),
    # wslay_event_recv_buffer (patch 6): frames whole in one read, headers
    # cut by the end of a read (16-bit and 64-bit lengths), a control frame
    # inside a fragmented message, a close followed by more bytes
    "rbuf_whole_nobuf": b"\x11\xff" + frame(2, b"x" * 100) + frame(1, b"hello"),
    "rbuf_cut_headers": b"\x10\x02" + frame(1, b"a" * 300) + frame(2, bytes(range(256)) * 300) + frame(1, b"z"),
    "rbuf_interleaved_nobuf": b"\x11\x0c" + frame(1, b"part1", fin=False) + frame(9, b"pi") + frame(0, "wörld".encode()),
    "rbuf_close_then_more": b"\x10\xff" + frame(1, b"m") + close(1000, b"bye") + frame(1, b"after"),
    "rbuf_too_big": b"\x15\x20" + frame(2, b"z" * 100),
}
for name, data in WSLAY.items():
    write("wslay_diff", name, data)
