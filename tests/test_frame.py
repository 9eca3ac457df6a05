"""The sans-IO codec: round trips, any chunking, and bad bytes -> ProtocolError only."""

from __future__ import annotations

import hashlib
import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from protocol.crypto import AesCbcCipher, AesEcbCipher, RsaCipher
from protocol.frame import HEADER_SIZE, BodyCrypto, Frame, FrameDecoder, ProtocolError, encode_frame

KEEPALIVE_BODY = bytes.fromhex("0a060880e2cfaa06")  # KeepAlive C2S time=1700000000

frames_st = st.lists(
    st.tuples(st.integers(1000, 4000), st.integers(0, 2**32 - 1), st.binary(max_size=300)),
    min_size=1, max_size=8,
)


def stream_of(frames, crypto=None) -> bytes:
    return b"".join(encode_frame(pid, sn, body, crypto) for pid, sn, body in frames)


def decode_in_chunks(data: bytes, cuts: list[int], crypto=None) -> list[Frame]:
    dec = FrameDecoder(crypto)
    out: list[Frame] = []
    last = 0
    for cut in sorted(set(cuts)) + [len(data)]:
        out += dec.frames(data[last:cut])
        last = cut
    dec.close()
    return out


def test_worked_example_from_fact_sheet():
    wire = encode_frame(1004, 7, KEEPALIVE_BODY)
    assert len(wire) == 52
    assert wire[:16].hex() == "4654ec03000000000700000008000000"
    assert wire[16:36] == hashlib.sha1(KEEPALIVE_BODY).digest()
    assert wire[16:36].hex().startswith("a574904e")
    assert FrameDecoder().frames(wire) == [Frame(1004, 7, KEEPALIVE_BODY)]


@pytest.mark.parametrize("cipher", [None, "cbc", "ecb"])
def test_round_trip_plain_and_encrypted(cipher):
    aes = {None: None, "cbc": AesCbcCipher(b"0123456789abcdef", b"fedcba9876543210"),
           "ecb": AesEcbCipher(b"0123456789abcdef")}[cipher]
    crypto = BodyCrypto(aes=aes)
    frames = [(3005, 1, b"x" * 16), (3013, 2, b""), (1004, 3, KEEPALIVE_BODY)]
    data = stream_of(frames, crypto)
    assert [(f.proto_id, f.serial_no, f.body) for f in FrameDecoder(BodyCrypto(aes=aes)).frames(data)] == frames
    last_len = struct.unpack_from("<I", encode_frame(1004, 3, KEEPALIVE_BODY, crypto), 12)[0]
    assert last_len == {None: 8, "cbc": 16, "ecb": 32}[cipher]  # body_len counts what is sent


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(frames=frames_st, data=st.data())
def test_any_chunking_yields_the_same_frames(frames, data):
    wire = stream_of(frames)
    cuts = data.draw(st.lists(st.integers(0, len(wire)), max_size=20))
    got = decode_in_chunks(wire, cuts)
    assert [(f.proto_id, f.serial_no, f.body) for f in got] == frames


@settings(max_examples=100)
@given(frames=frames_st, data=st.data())
def test_any_chunking_encrypted(frames, data):
    aes = AesCbcCipher(b"0123456789abcdef", b"fedcba9876543210")
    wire = stream_of(frames, BodyCrypto(aes=aes))
    cuts = data.draw(st.lists(st.integers(0, len(wire)), max_size=10))
    got = decode_in_chunks(wire, cuts, BodyCrypto(aes=aes))
    assert [(f.proto_id, f.serial_no, f.body) for f in got] == frames


def test_byte_by_byte():
    wire = stream_of([(3005, 9, b"abc" * 50), (3011, 10, b"")])
    dec = FrameDecoder()
    got = []
    for i in range(len(wire)):
        got += dec.frames(wire[i:i + 1])
    assert [f.serial_no for f in got] == [9, 10]
    assert dec.buffered == 0


def test_truncated_stream_is_an_error_at_close():
    wire = encode_frame(3005, 1, b"hello world")
    for n in (1, 2, HEADER_SIZE - 1, HEADER_SIZE, len(wire) - 1):
        dec = FrameDecoder()
        assert dec.frames(wire[:n]) == []
        with pytest.raises(ProtocolError, match="ended inside a frame"):
            dec.close()


def test_wrong_flag_is_reported_with_offset():
    good = encode_frame(1004, 1, KEEPALIVE_BODY)
    bad = b"XY" + good[2:]
    with pytest.raises(ProtocolError, match=r"bad frame flag b'XY' at stream offset 52"):
        FrameDecoder().frames(good + bad)


def test_wrong_flag_detected_before_a_full_header():
    with pytest.raises(ProtocolError, match="bad frame flag"):
        FrameDecoder().frames(b"GET / HTTP/1.1")


def test_wrong_sha1():
    wire = bytearray(encode_frame(3005, 5, b"payload"))
    wire[-1] ^= 0xFF
    with pytest.raises(ProtocolError, match="SHA-1 mismatch.*proto_id 3005, serial 5"):
        FrameDecoder().frames(bytes(wire))


def test_absurd_length_rejected_before_buffering():
    head = struct.pack("<2sIBBII20s8s", b"FT", 3005, 0, 0, 1, 0xFFFFFFF0, bytes(20), bytes(8))
    dec = FrameDecoder(max_body=1 << 20)
    with pytest.raises(ProtocolError, match="exceeds the 1048576-byte limit"):
        dec.frames(head)  # raised on the header alone: nothing waits for 4 GiB


def test_failed_decoder_stays_failed():
    dec = FrameDecoder()
    with pytest.raises(ProtocolError):
        dec.frames(b"NOPE" * 20)
    with pytest.raises(ProtocolError):
        dec.feed(encode_frame(1004, 1, KEEPALIVE_BODY))


def test_undecryptable_body_is_a_protocol_error():
    sender = BodyCrypto(aes=AesCbcCipher(b"0123456789abcdef", b"fedcba9876543210"))
    receiver = BodyCrypto(aes=AesCbcCipher(b"fedcba9876543210", b"0123456789abcdef"))
    with pytest.raises(ProtocolError):
        FrameDecoder(receiver).frames(encode_frame(3005, 1, b"secret quote", sender))


def test_crypto_switch_between_buffered_frames():
    """InitConnect reply then an AES frame in one read: the switch applies to the second."""
    aes = AesCbcCipher(b"0123456789abcdef", b"fedcba9876543210")
    wire = encode_frame(1001, 1, b"init reply") + encode_frame(1004, 2, KEEPALIVE_BODY, BodyCrypto(aes=aes))
    crypto = BodyCrypto()
    dec = FrameDecoder(crypto)
    dec.feed(wire)
    first = dec.next_frame()
    assert first.body == b"init reply"
    crypto.aes = aes
    assert dec.next_frame().body == KEEPALIVE_BODY


def test_rsa_init_connect_frames():
    rsa = RsaCipher.generate()
    body = bytes(range(256)) * 2  # several RSA chunks
    wire = encode_frame(1001, 3, body, BodyCrypto(rsa=rsa))
    assert (len(wire) - HEADER_SIZE) % 128 == 0
    assert FrameDecoder(BodyCrypto(rsa=rsa)).frames(wire)[0].body == body


@settings(max_examples=300)
@given(garbage=st.binary(max_size=400), cuts=st.lists(st.integers(0, 400), max_size=5))
def test_random_garbage_only_ever_raises_protocol_error(garbage, cuts):
    for crypto in (None, BodyCrypto(aes=AesEcbCipher(b"0123456789abcdef"))):
        dec = FrameDecoder(crypto, max_body=4096)
        try:
            last = 0
            for cut in sorted(c for c in cuts if c <= len(garbage)) + [len(garbage)]:
                dec.frames(garbage[last:cut])
                last = cut
            dec.close()
        except ProtocolError:
            pass


@settings(max_examples=300)
@given(frames=frames_st, pos=st.integers(0, 10_000), byte=st.integers(0, 255), cut=st.integers(0, 10_000))
def test_mutated_streams_only_ever_raise_protocol_error(frames, pos, byte, cut):
    for aes in (None, AesCbcCipher(b"0123456789abcdef", b"fedcba9876543210"), AesEcbCipher(b"0123456789abcdef")):
        wire = bytearray(stream_of(frames, BodyCrypto(aes=aes)))
        wire[pos % len(wire)] = byte
        wire = bytes(wire[: max(1, cut % (len(wire) + 1))])
        dec = FrameDecoder(BodyCrypto(aes=aes), max_body=1 << 16)
        try:
            dec.frames(wire)
            dec.close()
        except ProtocolError:
            pass
