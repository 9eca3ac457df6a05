"""Fuzzing the wire: edited frame streams into the decoder and into a running gateway.

test_frame.py already feeds the decoder random bytes and single-byte edits; here the edits
know the frame layout (length and header fields, a valid header over a garbage body, bit
flips, truncation, inserted and deleted runs) and run plain, AES-CBC, FTAES-ECB and RSA.
Into the gateway go whole connections: random well-formed requests for every proto ID
(generated from the protobuf descriptors), mutated request bodies and edited wire bytes,
several connections at a time, while a well-behaved client keeps receiving pushes.
Both are bounded in examples so the file runs in well under 20 s.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import struct
import time

import pytest
from google.protobuf import message_factory
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from protocol import ids
from protocol.client import OpenDClient
from protocol.crypto import ALGO_AES_CBC, ALGO_FTAES_ECB, ALGO_NONE, AesCbcCipher, AesEcbCipher, RsaCipher
from protocol.frame import HEADER_SIZE, BodyCrypto, Frame, FrameDecoder, ProtocolError, encode_frame
from protocol.gateway.instruments import QOT_MARKET, UNIVERSE
from protocol.proto import GetGlobalState_pb2, Qot_Common_pb2, Trd_Common_pb2
from protocol.gateway.sim import SimThread
from tests.test_gateway_robust import RawConn, Watcher, wait_until

RSA = RsaCipher.generate()
KEY, IV = b"0123456789abcdef", b"fedcba9876543210"
CRYPTOS = {
    "plain": lambda: BodyCrypto(),
    "rsa, aes-cbc": lambda: BodyCrypto(rsa=RSA, aes=AesCbcCipher(KEY, IV)),
    "rsa, ftaes-ecb": lambda: BodyCrypto(rsa=RSA, aes=AesEcbCipher(KEY)),
}
MAX_BODY = 2048

# -- edits of a frame stream -------------------------------------------------------------

HEADER_FIELDS = {"flag": (0, 2), "proto_id": (2, 4), "fmt": (6, 1), "proto_ver": (7, 1), "serial_no": (8, 4),
                 "body_len": (12, 4), "sha1": (16, 20), "reserved": (36, 8)}
positions = st.integers(0, 1 << 16)  # taken modulo the stream length (or frame count) when applied
lengths = st.one_of(
    st.sampled_from([0, 1, 15, 16, 17, 128, MAX_BODY, MAX_BODY + 1, 1 << 31, (1 << 32) - 1]),
    st.integers(0, (1 << 32) - 1),
)
edits = st.one_of(
    st.tuples(st.just("flip"), positions, st.integers(0, 7)),
    st.tuples(st.just("byte"), positions, st.integers(0, 255)),
    st.tuples(st.just("truncate"), positions),
    st.tuples(st.just("insert"), positions, st.one_of(st.binary(min_size=1, max_size=64), st.just(b"FT"))),
    st.tuples(st.just("delete"), positions, st.integers(1, 64)),
    st.tuples(st.just("length"), positions, lengths),
    st.tuples(st.just("nudge length"), positions, st.integers(-40, 40)),
    st.tuples(st.just("field"), positions, st.sampled_from(sorted(HEADER_FIELDS)), st.binary(min_size=20, max_size=20)),
    st.tuples(st.just("body"), positions, st.binary(max_size=300), st.booleans()),
)


def apply_edit(wire: bytearray, starts: list[int], edit: tuple) -> int:
    """Apply one edit in place; returns the first offset it may have changed."""
    kind, where, *args = edit
    n = len(wire)
    if kind in ("flip", "byte"):
        if not n:
            return 0
        pos = where % n
        wire[pos] = wire[pos] ^ (1 << args[0]) if kind == "flip" else args[0]
        return pos
    if kind in ("truncate", "insert", "delete"):
        pos = where % (n + 1)
        if kind == "truncate":
            del wire[pos:]
        elif kind == "insert":
            wire[pos:pos] = args[0]
        else:
            del wire[pos:pos + args[0]]
        return pos
    # frame-relative edits: the frame may have moved under earlier edits; then they hit whatever is there
    start = starts[where % len(starts)] if starts else n
    if start + HEADER_SIZE > n:
        return n
    if kind in ("length", "nudge length"):
        old = struct.unpack_from("<I", wire, start + 12)[0]
        struct.pack_into("<I", wire, start + 12, args[0] if kind == "length" else (old + args[0]) % (1 << 32))
        return start + 12
    if kind == "field":
        off, size = HEADER_FIELDS[args[0]]
        wire[start + off:start + off + size] = args[1][:size]
        return start + off
    garbage, fix_length = args  # "body": a valid header over a garbage body
    old = struct.unpack_from("<I", wire, start + 12)[0]
    wire[start + HEADER_SIZE:start + HEADER_SIZE + old] = garbage
    if fix_length:
        struct.pack_into("<I", wire, start + 12, len(garbage))
        return start + 12
    return start + HEADER_SIZE


def edited_stream(frames: list[tuple[int, int, bytes, int]], crypto: BodyCrypto, ops: list[tuple]) -> tuple[bytes, list[int], int]:
    """Encode frames, apply the edits: (wire, frame end offsets, length of the untouched prefix)."""
    wire, starts, ends = bytearray(), [], []
    for pid, serial, body, fmt in frames:
        starts.append(len(wire))
        wire += encode_frame(pid, serial, body, crypto, fmt)
        ends.append(len(wire))
    clean = len(wire)
    for op in ops:
        clean = min(clean, apply_edit(wire, starts, op))
    return bytes(wire), ends, clean


# -- the decoder -----------------------------------------------------------------------

frames_st = st.lists(
    st.tuples(
        st.one_of(st.sampled_from([ids.INIT_CONNECT, ids.KEEP_ALIVE, ids.QOT_UPDATE_BASIC_QOT, ids.TRD_PLACE_ORDER]),
                  st.integers(0, (1 << 32) - 1)),
        st.integers(0, (1 << 32) - 1),
        st.binary(max_size=300),
        st.sampled_from([0, 0, 0, 1]),
    ),
    min_size=1, max_size=6,
)


@settings(max_examples=400, deadline=None)
@given(crypto=st.sampled_from(sorted(CRYPTOS)), frames=frames_st, ops=st.lists(edits, min_size=1, max_size=4),
       cuts=st.lists(positions, max_size=6))
def test_edited_streams_raise_only_protocol_error_and_keep_the_frames_before_the_edit(crypto, frames, ops, cuts):
    wire, ends, clean = edited_stream(frames, CRYPTOS[crypto](), ops)
    dec = FrameDecoder(CRYPTOS[crypto](), max_body=MAX_BODY)
    got: list[Frame] = []
    try:
        last = 0
        for cut in sorted({c % (len(wire) + 1) for c in cuts}) + [len(wire)]:
            dec.feed(wire[last:cut])
            last = cut
            got.extend(dec)
            assert dec.buffered < HEADER_SIZE + MAX_BODY  # nothing buffered beyond one legal frame
        dec.close()
    except ProtocolError:
        with pytest.raises(ProtocolError):  # a failed decoder stays failed
            dec.feed(b"FT")
    intact = sum(1 for end in ends if end <= clean)
    assert [tuple(f) for f in got[:intact]] == [tuple(f) for f in frames[:intact]]


# -- the gateway -----------------------------------------------------------------------

CODES = ["00700", "09988", "AAPL", "TSLA", "600519", "000001", "HSImain", "800000", ".IXIC", ""]
_interesting_ints = st.sampled_from([0, 1, -1, 2, 3, 4, 5, 6, 11, 12, 21, 22, 31, 100, 1000, 3450309, 2**31 - 1, -2**31])
_ints = {
    FieldDescriptor.TYPE_INT32: st.integers(-2**31, 2**31 - 1), FieldDescriptor.TYPE_SINT32: st.integers(-2**31, 2**31 - 1),
    FieldDescriptor.TYPE_SFIXED32: st.integers(-2**31, 2**31 - 1), FieldDescriptor.TYPE_UINT32: st.integers(0, 2**32 - 1),
    FieldDescriptor.TYPE_FIXED32: st.integers(0, 2**32 - 1), FieldDescriptor.TYPE_INT64: st.integers(-2**63, 2**63 - 1),
    FieldDescriptor.TYPE_SINT64: st.integers(-2**63, 2**63 - 1), FieldDescriptor.TYPE_SFIXED64: st.integers(-2**63, 2**63 - 1),
    FieldDescriptor.TYPE_UINT64: st.integers(0, 2**64 - 1), FieldDescriptor.TYPE_FIXED64: st.integers(0, 2**64 - 1),
}


# Values that get a request past the first checks and into the services, by field name.
LIKELY = {
    "code": CODES, "market": [1, 11, 21, 22], "secMarket": [1, 2, 31, 32], "trdMarket": [1, 2, 4],
    "accID": [3450309, 3450310, 281756480572583411], "trdEnv": [0, 1], "subTypeList": list(range(1, 22)),
    "klType": list(range(1, 12)), "rehabType": [0, 1, 2], "trdSide": [1, 2, 3, 4], "orderType": [1, 2, 5, 6],
    "qty": [1, 100, 500, 1e12], "price": [0.01, 388.2, 1e9], "userID": [0, 10_000_001],
}


def _scalar(field: FieldDescriptor) -> st.SearchStrategy:
    generic = _generic(field)
    likely = [v for v in LIKELY.get(field.name, ()) if _accepts(field, v)]
    return st.one_of(st.sampled_from(likely), st.sampled_from(likely), generic) if likely else generic


def _accepts(field: FieldDescriptor, value: object) -> bool:
    if field.type in _ints:
        return isinstance(value, int) and _fits(field, value)
    if field.type in (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT):
        return isinstance(value, (int, float))
    return field.type == FieldDescriptor.TYPE_STRING and isinstance(value, str)


def _generic(field: FieldDescriptor) -> st.SearchStrategy:
    t = field.type
    if t in _ints:
        return st.one_of(_interesting_ints, _ints[t]).filter(lambda v: _fits(field, v))
    if t == FieldDescriptor.TYPE_DOUBLE:
        return st.one_of(st.sampled_from([0.0, 1.0, -1.0, 0.01, 388.2, 1e308]), st.floats())
    if t == FieldDescriptor.TYPE_FLOAT:
        return st.floats(width=32)
    if t == FieldDescriptor.TYPE_BOOL:
        return st.booleans()
    if t == FieldDescriptor.TYPE_STRING:
        return st.one_of(st.sampled_from(CODES + ["123456", "2026-11-20", "2026-11-20 10:00:00", "e10adc3949ba59abbe56e057f20f883e"]),
                         st.text(max_size=24))
    if t == FieldDescriptor.TYPE_BYTES:
        return st.binary(max_size=24)
    if t == FieldDescriptor.TYPE_ENUM:
        return st.sampled_from([v.number for v in field.enum_type.values])
    raise AssertionError(f"no strategy for {field.full_name}")


def _fits(field: FieldDescriptor, value: int) -> bool:
    unsigned = field.type in (FieldDescriptor.TYPE_UINT32, FieldDescriptor.TYPE_FIXED32,
                              FieldDescriptor.TYPE_UINT64, FieldDescriptor.TYPE_FIXED64)
    bits = 32 if field.cpp_type in (FieldDescriptor.CPPTYPE_INT32, FieldDescriptor.CPPTYPE_UINT32) else 64
    return 0 <= value < 2**bits if unsigned else -2**(bits - 1) <= value < 2**(bits - 1)


# Usually a real security and a real account, so requests reach the services' deeper code.
SECURITIES = [Qot_Common_pb2.Security(market=QOT_MARKET[i.market], code=i.symbol) for i in UNIVERSE]
TRD_HEADERS = [Trd_Common_pb2.TrdHeader(trdEnv=env, accID=acc, trdMarket=mkt)
               for env, acc, mkt in [(0, 3450309, 1), (0, 3450310, 2), (0, 3450311, 3), (1, 281756480572583411, 1)]]
REAL = {Qot_Common_pb2.Security.DESCRIPTOR.full_name: SECURITIES,
        Trd_Common_pb2.TrdHeader.DESCRIPTOR.full_name: TRD_HEADERS}


@st.composite
def messages(draw, descriptor: Descriptor, depth: int = 0):
    """Any message of this type: required fields set, optional ones sometimes, odd values."""
    real = REAL.get(descriptor.full_name)
    if real and draw(st.integers(0, 4)):
        return draw(st.sampled_from(real))
    msg = message_factory.GetMessageClass(descriptor)()
    for field in descriptor.fields:
        if not field.is_required and (depth >= 3 or not draw(st.integers(0, 9)) < 4):
            continue  # required fields are always set: "mutated" requests cover missing ones
        if field.type == FieldDescriptor.TYPE_MESSAGE:
            values = draw(st.lists(messages(field.message_type, depth + 1), min_size=1,
                                   max_size=3 if field.is_repeated else 1))
            if field.is_repeated:
                for value in values:
                    getattr(msg, field.name).add().CopyFrom(value)
            else:
                getattr(msg, field.name).CopyFrom(values[0])
        elif field.is_repeated:
            getattr(msg, field.name).extend(draw(st.lists(_scalar(field), min_size=1, max_size=4)))
        else:
            setattr(msg, field.name, draw(_scalar(field)))
    return msg


REQUEST_IDS = sorted(pid for pid in ids.NAMES if hasattr(ids.module_for(pid), "C2S"))
ANY_IDS = sorted(ids.NAMES)


@st.composite
def requests(draw) -> tuple[int, int, bytes, int]:
    """One frame's (proto_id, serial, plaintext body, fmt): a random well-formed request,
    its bytes mutated, or random bytes under a known or unknown proto ID."""
    kind = draw(st.sampled_from(["request", "request", "request", "mutated", "random"]))
    serial = draw(st.integers(0, (1 << 32) - 1))
    fmt = draw(st.sampled_from([0] * 9 + [1]))
    if kind == "random":
        pid = draw(st.one_of(st.sampled_from(ANY_IDS), st.integers(0, (1 << 32) - 1)))
        return pid, serial, draw(st.binary(max_size=200)), fmt
    pid = draw(st.sampled_from(REQUEST_IDS))
    mod = ids.module_for(pid)
    body = bytearray(mod.Request(c2s=draw(messages(mod.C2S.DESCRIPTOR))).SerializePartialToString())
    if kind == "mutated" and body:
        for pos, byte in draw(st.lists(st.tuples(positions, st.integers(0, 255)), min_size=1, max_size=4)):
            body[pos % len(body)] = byte
    return pid, serial, bytes(body), fmt


connections = st.tuples(
    st.sampled_from([ALGO_NONE, ALGO_AES_CBC, ALGO_FTAES_ECB, None]),  # None: no InitConnect first
    st.lists(requests(), max_size=6),
    st.lists(edits, max_size=2),  # wire edits on top of the well-formed frames
    st.lists(positions, max_size=3),  # where the stream is split into writes
)


async def run_connection(port: int, script: tuple) -> None:
    """Play one connection to the end: the gateway must hang up after our EOF (or sooner)."""
    algo, frames, ops, cuts = script
    conn = await RawConn.open(port, init=algo is not None, rsa=RSA, algo=ALGO_NONE if algo is None else algo)
    try:
        wire, _, _ = edited_stream(frames, conn.crypto, ops)
        last = 0
        for cut in sorted({c % (len(wire) + 1) for c in cuts}) + [len(wire)]:
            conn.writer.write(wire[last:cut])
            last = cut
            await asyncio.sleep(0)  # lets the gateway read each cut on its own (the splits are the test)
        conn.writer.write_eof()
        await conn.wait_closed(timeout=3)
    except TimeoutError:
        raise AssertionError("the gateway kept a connection open after its EOF") from None
    except OSError:  # reset or not connected: the gateway may hang up while we still write
        pass
    finally:
        conn.close()


class ErrorLog(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(self.format(record))


class OffLoop:
    """The simulator and the watcher on a thread of their own. Hypothesis draws each example
    with the test's event loop stopped; a gateway on that loop would stand still meanwhile
    and the watcher would measure hypothesis, not the gateway."""

    def __init__(self, **gateway_settings) -> None:
        self.thread = SimThread(seed=3, rate=5.0, keepalive=10, rsa=RSA)
        self.thread.start()
        self.sim = self.thread.sim
        for name, value in gateway_settings.items():
            assert hasattr(self.sim.gateway, name)
            self.thread.call(setattr, self.sim.gateway, name, value)
        self.watcher = Watcher(self.sim.port, RSA)

    def run(self, coro):
        """Await coro on the simulator's loop."""
        return asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, self.thread.loop))


@pytest.fixture
async def fuzzed_gateway():
    """One simulated OpenD (RSA, so connections choose plain, FTAES-ECB or AES-CBC) for every
    example, with a watcher subscribed to quotes; afterwards it must be whole."""
    errors = ErrorLog()
    logging.getLogger("futu_opend_sim").addHandler(errors)
    off = OffLoop(handshake_timeout=3, stall_timeout=3)
    sim, watcher = off.sim, off.watcher
    try:
        await off.run(watcher.start())
        t0 = time.monotonic()
        yield sim, watcher
        await wait_until(lambda: len(sim.gateway.sessions) == 1, what="every fuzzed connection closed")
        assert sim.gateway.connections_served == 1  # nothing left serving a dead connection
        await off.run(watcher.assert_served(t0))
        fresh = OpenDClient("127.0.0.1", sim.port, rsa=RSA)
        await fresh.connect()
        await fresh.request(ids.GET_GLOBAL_STATE, GetGlobalState_pb2.C2S(userID=0))
        await fresh.close()
    finally:
        with contextlib.suppress(Exception):
            await off.run(watcher.close())
        off.thread.stop()
        logging.getLogger("futu_opend_sim").removeHandler(errors)
    assert not errors.messages, "\n\n".join(errors.messages)


# One gateway serves all examples on purpose: it must survive the whole sequence.
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=st.lists(connections, min_size=1, max_size=4))
async def test_fuzzed_connections_never_hurt_the_gateway(fuzzed_gateway, batch):
    sim, watcher = fuzzed_gateway
    async with asyncio.timeout(10):
        await asyncio.gather(*(run_connection(sim.port, script) for script in batch))
    assert watcher.client.ready and sim.gateway.serving and sim.pacing
