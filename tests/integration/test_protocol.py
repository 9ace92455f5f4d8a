"""RFC 6455 framing rules, enforced against a raw-socket client."""

import os
import struct
import time

import pytest

from iws_helpers import (
    OP_BINARY,
    OP_CLOSE,
    OP_CONT,
    OP_PING,
    OP_TEXT,
    RawClient,
    ask,
    close,
    connect,
    expected_close,
    frame,
    run,
    url,
)


def violate(server, *frames, codes=(1002,), close_required=True):
    """Opens a connection, sends frames, and checks that the server closes it
    with one of codes and echoes nothing. Returns the connection id.

    With close_required=False, a TCP close without a close frame is accepted
    too (and the server may report 1006)."""
    with RawClient(server.port) as c:
        c.handshake()
        cid = c.conn_id()
        for f in frames:
            try:
                c.send(f)
            except OSError:
                break  # the server already dropped us
        seen = []
        while True:
            f = c.recv_frame(timeout=10)
            if f is None:
                assert not close_required, (
                    f"connection closed without a close frame; frames: {seen!r}"
                )
                break
            if f.opcode == OP_CLOSE:
                expected_close(f, codes)
                try:
                    c.send(frame(OP_CLOSE, f.payload[:2]))
                except OSError:
                    pass
                c.wait_eof(5)
                break
            seen.append(f)
        assert not seen, f"no data or pong expected before the close, got {seen!r}"
    code = server.disconnect_code(cid)
    allowed = set(codes) if close_required else set(codes) | {1006}
    assert code in allowed, f"on_disconnect code {code}, expected one of {allowed}"
    return cid


def still_serving(server):
    async def main():
        async with connect(url(server)) as ws:
            assert await ask(ws, "next client") == "next client"
            await close(ws)

    run(main())


def test_unmasked_client_frame(server):
    violate(server, frame(OP_TEXT, b"hello", mask=False))
    still_serving(server)


@pytest.mark.parametrize("rsv", [4, 2, 1], ids=["rsv1", "rsv2", "rsv3"])
def test_reserved_bits(server, rsv):
    violate(server, frame(OP_TEXT, b"hello", rsv=rsv))


@pytest.mark.parametrize("opcode", [3, 7, 0xB, 0xF])
def test_unknown_opcode(server, opcode):
    violate(server, frame(opcode, b"?"))


def test_ping_payload_over_125_bytes(server):
    violate(server, frame(OP_PING, b"p" * 126), close_required=False)
    still_serving(server)


def test_fragmented_control_frame(server):
    violate(server, frame(OP_PING, b"ping", fin=False), close_required=False)


def test_fragmented_close_frame(server):
    violate(server, frame(OP_CLOSE, struct.pack("!H", 1000), fin=False),
            close_required=False)


def test_continuation_without_start(server):
    violate(server, frame(OP_CONT, b"orphan", fin=True))


def test_new_message_inside_fragmented_message(server):
    violate(server, frame(OP_TEXT, b"start", fin=False), frame(OP_BINARY, b"again"))


@pytest.mark.parametrize(
    "payload",
    [
        b"\xff\xfe",
        b"abc\xc0\xaf",  # overlong '/'
        b"\xed\xa0\x80",  # UTF-16 surrogate
        b"\xf4\x90\x80\x80",  # above U+10FFFF
        b"truncated \xe2\x82",  # message ends inside a sequence
        b"\xe2\x28\xa1",
    ],
    ids=["ff-fe", "overlong", "surrogate", "too-high", "truncated", "bad-continuation"],
)
def test_invalid_utf8_text(server, payload):
    violate(server, frame(OP_TEXT, payload), codes=(1007,))


def test_invalid_utf8_split_across_fragments_fails_fast(server):
    # the sequence E2 82 would need a continuation byte; 0x28 is not one.
    # No final fragment is ever sent: the server must not wait for it.
    violate(
        server,
        frame(OP_TEXT, b"ok \xe2\x82", fin=False),
        frame(OP_CONT, b"\x28 more", fin=False),
        codes=(1007,),
    )


def test_invalid_utf8_in_first_fragment_fails_fast(server):
    violate(server, frame(OP_TEXT, b"bad \xff", fin=False), codes=(1007,))


def test_invalid_utf8_does_not_apply_to_binary(server):
    with RawClient(server.port) as c:
        c.handshake()
        c.send_frame(OP_BINARY, b"\xff\xfe\xfd")
        f = c.recv_message()
        assert (f.opcode, f.payload) == (OP_BINARY, b"\xff\xfe\xfd")


# -- message size --------------------------------------------------------


def test_message_over_max_size(start_server):
    server = start_server(max_message_size=1024)
    with RawClient(server.port) as c:
        c.handshake()
        payload = os.urandom(1024)
        c.send_frame(OP_BINARY, payload)
        f = c.recv_message()
        assert f.payload == payload, "a message of exactly max_message_size is fine"
    violate(server, frame(OP_BINARY, os.urandom(1025)), codes=(1009,))
    violate(server, frame(OP_TEXT, b"t" * 1025), codes=(1009,))
    still_serving(server)


def test_fragmented_message_over_max_size(start_server):
    server = start_server(max_message_size=1024)
    violate(
        server,
        frame(OP_BINARY, b"a" * 600, fin=False),
        frame(OP_CONT, b"b" * 600, fin=False),
        codes=(1009,),
    )


def test_huge_length_header(start_server):
    server = start_server(max_message_size=1024)
    # announces 2^63-1 bytes and sends only a few: the server must refuse
    # from the header alone
    violate(server, frame(OP_BINARY, b"x" * 16, length=(1 << 63) - 1), codes=(1009,))
    still_serving(server)


def test_huge_length_header_default_limit(server):
    violate(server, frame(OP_BINARY, b"x" * 16, length=(1 << 63) - 1), codes=(1009,))
    still_serving(server)


def test_length_with_most_significant_bit_set(start_server):
    server = start_server(max_message_size=1024)
    # RFC 6455 5.2: the most significant bit of a 64-bit length must be 0
    violate(server, frame(OP_BINARY, b"x" * 16, length=1 << 63), codes=(1002, 1009))
    still_serving(server)


def test_non_minimal_length_encoding_accepted_or_refused_cleanly(server):
    # A 5-byte payload announced with the 16-bit form. RFC 6455 says the
    # minimal number of bytes MUST be used; servers either accept it or fail
    # with 1002. Either way the server keeps serving.
    with RawClient(server.port) as c:
        c.handshake()
        key = os.urandom(4)
        payload = bytes(b ^ key[i % 4] for i, b in enumerate(b"hello"))
        c.send(bytes([0x81, 0x80 | 126]) + struct.pack("!H", 5) + key + payload)
        f = c.recv_frame()
        assert f is not None
        if f.opcode == OP_CLOSE:
            expected_close(f, (1002,))
        else:
            assert (f.opcode, f.payload) == (OP_TEXT, b"hello")
    still_serving(server)


def test_data_after_close_frame_is_ignored(server):
    with RawClient(server.port) as c:
        c.handshake()
        cid = c.conn_id()
        c.send(frame(OP_CLOSE, struct.pack("!H", 1000)) + frame(OP_TEXT, b"late"))
        f = c.expect_close(reply=False)
        expected_close(f, (1000,))
        assert not [x for x in c.frames_before if x.opcode == OP_TEXT]
        c.wait_eof(5)
    assert server.disconnect_code(cid) == 1000


def test_frames_split_byte_by_byte(server):
    with RawClient(server.port) as c:
        c.handshake()
        data = frame(OP_TEXT, "slow ✓ frame".encode()) + frame(OP_BINARY, os.urandom(300))
        for i in range(0, len(data), 7):
            c.send(data[i : i + 7])
            time.sleep(0.001)
        f1 = c.recv_message()
        f2 = c.recv_message()
        assert f1.payload.decode() == "slow ✓ frame"
        assert f2.opcode == OP_BINARY and len(f2.payload) == 300
