"""One misbehaving connection never hurts the others.

Each test runs the real Simulator on this loop, with a well-behaved `Watcher` client
subscribed to quote pushes, then abuses the gateway over real loopback sockets (garbage,
oversized frames, slowloris, a 129th connection, clients that never read) and checks that
the abuser is cut off for the right reason and in bounded time while the watcher's pushes
never paused and its requests are still answered.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import itertools
import logging
import re
import socket
import threading
import time

import pytest

from protocol import ids
from protocol.client import OpenDClient, OpenDError
from protocol.crypto import ALGO_NONE, RsaCipher, aes_cipher
from protocol.frame import HEADER, BodyCrypto, FrameDecoder, encode_frame
from protocol.gateway.instruments import QOT_MARKET, UNIVERSE
from protocol.gateway.sim import Simulator
from protocol.proto import (
    GetGlobalState_pb2,
    InitConnect_pb2,
    KeepAlive_pb2,
    Qot_Common_pb2,
    Qot_GetStaticInfo_pb2,
    Qot_RequestHistoryKL_pb2,
    Qot_RequestTradeDate_pb2,
    Qot_Sub_pb2,
)

MAX_GAP = 1.0  # longest pause in the watcher's pushes we blame on the gateway (normally ~0.1 s at rate 5)
QUOTE, ORDER_BOOK, TICKER = 1, 2, 4
WATCHED = UNIVERSE[:10]


async def wait_until(predicate, timeout: float = 5.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not met within {timeout} s")
        await asyncio.sleep(0.01)  # poll interval: the wait ends on the condition


def securities(insts) -> list[Qot_Common_pb2.Security]:
    return [Qot_Common_pb2.Security(market=QOT_MARKET[i.market], code=i.symbol) for i in insts]


def subscribe(insts, subtypes) -> Qot_Sub_pb2.C2S:
    return Qot_Sub_pb2.C2S(securityList=securities(insts), subTypeList=subtypes, isSubOrUnSub=True,
                           isRegOrUnRegPush=True, isFirstPush=False)


class Control:
    """What held the gateway up from outside, measured two ways. A thread of the test process
    sleeps 10 ms at a time and notes how late it wakes: a pause of the whole process (a busy
    machine, a VM stolen from) holds it up as it holds up the gateway and the watcher, while the
    gateway busy or blocked does not (a busy thread hands the GIL over every 5 ms, within JITTER;
    a blocking call releases it). And each wake it reads how long the gateway's thread has
    waited, ready to run, for a CPU (Linux's schedstat): on a saturated machine the scheduler
    wakes this sleeper promptly and makes the busy gateway thread wait, which its lateness misses."""

    PERIOD = 0.01
    JITTER = 0.01  # lateness routine on a busy machine (and a wait for the GIL): not counted

    def __init__(self, gateway_thread: int) -> None:
        self.late: list[tuple[float, float]] = []  # (when it should have woken, when it did)
        self.waits: list[tuple[float, float]] = []  # (when, the gateway thread's run-queue wait so far)
        self.woke = time.monotonic()  # its last wake: everything before it is recorded
        self._schedstat = f"/proc/self/task/{gateway_thread}/schedstat"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="stall-control", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            due = time.monotonic() + self.PERIOD
            if self._stop.wait(self.PERIOD):  # the sleep is the measurement
                return
            woke = time.monotonic()
            if woke > due + self.JITTER:
                self.late.append((due + self.JITTER, woke))
            try:
                with open(self._schedstat) as f:
                    self.waits.append((woke, int(f.read().split()[1]) / 1e9))
            except (OSError, IndexError, ValueError):  # not Linux: the lateness alone
                pass
            self.woke = woke

    def held_up(self, start: float, end: float) -> float:
        """Seconds between start and end the gateway was held up by the machine (a lower bound)."""
        late = sum(max(0.0, min(end, woke) - max(start, due)) for due, woke in list(self.late))
        waits = list(self.waits)
        times = [t for t, _ in waits]
        i, j = bisect.bisect_left(times, start), bisect.bisect_right(times, end) - 1
        queued = waits[j][1] - waits[i][1] if i < j else 0.0
        return max(late, queued)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


class Watcher:
    """A well-behaved client subscribed to quotes: notes when each push arrives."""

    def __init__(self, port: int, rsa: RsaCipher | None = None) -> None:
        self.client = OpenDClient("127.0.0.1", port, rsa=rsa, request_timeout=5)
        self.arrivals: list[float] = []
        self.control: Control | None = None

    async def start(self) -> None:
        self.control = Control(threading.get_native_id())  # this loop's thread is the gateway's
        await self.client.connect()
        self.client.on_push(ids.QOT_UPDATE_BASIC_QOT, lambda resp: self.arrivals.append(time.monotonic()))
        await self.client.request(ids.QOT_SUB, subscribe(WATCHED, [QUOTE]))
        await wait_until(lambda: self.arrivals, what="first push")

    def stalled(self, start: float, end: float) -> float:
        """How much of the time from start to end the gateway's pushes stood still by its own
        doing: what the control saw the machine hold it up for is not."""
        return end - start - self.control.held_up(start, end)

    async def assert_served(self, since: float) -> None:
        """Pushes kept coming from `since` until now with no pause of the gateway's doing over
        MAX_GAP, and still come; a request still gets its reply."""
        now = time.monotonic()
        deadline = now + 30  # a hard stop, however busy the machine
        # A push after the abuse; the control's lateness is known up to its last wake only.
        while self.arrivals[-1] <= now or self.control.woke <= self.arrivals[-1]:
            waited = self.stalled(now, max(now, self.control.woke))
            assert waited < MAX_GAP and time.monotonic() < deadline, f"no push for {waited:.2f} s after the abuse"
            await asyncio.sleep(0.01)  # poll interval: the wait ends on the push
        stamps = [since] + [t for t in self.arrivals if t > since]
        start, end = max(itertools.pairwise(stamps), key=lambda gap: self.stalled(*gap))
        if (stalled := self.stalled(start, end)) >= MAX_GAP:
            raise AssertionError(f"pushes paused for {end - start:.2f} s, {stalled:.2f} s of it the gateway's own "
                                 "(the rest, the machine held it up)")
        s2c = await self.client.request(ids.GET_GLOBAL_STATE, GetGlobalState_pb2.C2S(userID=0))
        assert s2c.connID == self.client.info.conn_id

    async def close(self) -> None:
        if self.control is not None:
            self.control.stop()
        await self.client.close()


@contextlib.asynccontextmanager
async def running(rsa: RsaCipher | None = None, keepalive: int = 1, **gateway_settings):
    """A Simulator (quick market, short timeouts) with a Watcher already receiving pushes."""
    sim = Simulator(port=0, seed=3, rate=5.0, keepalive=keepalive, rsa=rsa)
    settings = {"handshake_timeout": 1.0, "stall_timeout": 0.5} | gateway_settings
    for name, value in settings.items():
        assert hasattr(sim.gateway, name)
        setattr(sim.gateway, name, value)
    await sim.start()
    watcher = Watcher(sim.port, rsa)
    try:
        await watcher.start()
        yield sim, watcher
        await wait_until(lambda: len(sim.gateway.sessions) == 1, what="abusers gone")
        assert sim.gateway.connections_served == 1  # nothing left serving a dead connection
    finally:
        await watcher.close()
        await sim.stop()


@pytest.fixture
def closes(caplog):
    """Reasons the gateway logged for the connections it closed."""
    caplog.set_level(logging.INFO, logger="futu_opend_sim")

    def reasons() -> list[str]:
        return [m.group(1) for r in caplog.records
                if (m := re.search(r"closed after [\d.]+ s \((.*); \d+ frames in", r.getMessage()))]

    return reasons


# -- raw connections -------------------------------------------------------------------

def init_connect_frame(rsa: RsaCipher | None = None, algo: int = ALGO_NONE, serial: int = 1) -> bytes:
    c2s = InitConnect_pb2.C2S(clientVer=300, clientID="abuser", recvNotify=True, packetEncAlgo=algo)
    return encode_frame(ids.INIT_CONNECT, serial, InitConnect_pb2.Request(c2s=c2s).SerializeToString(),
                        BodyCrypto(rsa=rsa))


def keepalive_frame(serial: int = 2, crypto: BodyCrypto | None = None) -> bytes:
    body = KeepAlive_pb2.Request(c2s=KeepAlive_pb2.C2S(time=int(time.time()))).SerializeToString()
    return encode_frame(ids.KEEP_ALIVE, serial, body, crypto)


def request_frame(proto_id: int, c2s, serial: int, crypto: BodyCrypto | None = None) -> bytes:
    req = ids.module_for(proto_id).Request()
    req.c2s.CopyFrom(c2s)
    return encode_frame(proto_id, serial, req.SerializeToString(), crypto)


class RawConn:
    """A hand-driven connection on asyncio streams: handshake, then whatever the test sends."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, crypto: BodyCrypto) -> None:
        self.reader, self.writer, self.crypto = reader, writer, crypto
        self.decoder = FrameDecoder(crypto)

    @classmethod
    async def open(cls, port: int, *, init: bool = True, rsa: RsaCipher | None = None,
                   algo: int = ALGO_NONE) -> RawConn:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        conn = cls(reader, writer, BodyCrypto(rsa=rsa))
        if init:
            writer.write(init_connect_frame(rsa, algo))
            resp = InitConnect_pb2.Response.FromString((await conn.next_frame()).body)
            assert resp.retType == 0, resp.retMsg
            if rsa is not None and algo != ALGO_NONE:
                iv = resp.s2c.aesCBCiv if resp.s2c.HasField("aesCBCiv") else None
                conn.crypto.aes = aes_cipher(resp.s2c.connAESKey, iv)
        return conn

    async def next_frame(self, timeout: float = 3.0):
        async with asyncio.timeout(timeout):
            while (frame := self.decoder.next_frame()) is None:
                data = await self.reader.read(65536)
                assert data, "connection closed"
                self.decoder.feed(data)
        return frame

    async def wait_closed(self, timeout: float = 3.0) -> None:
        """Until the gateway hangs up (EOF or reset); whatever it sent before is dropped."""
        async with asyncio.timeout(timeout):
            with contextlib.suppress(ConnectionError):
                while await self.reader.read(65536):
                    pass

    def close(self) -> None:
        self.writer.close()


async def non_reader(port: int, subscription: Qot_Sub_pb2.C2S | None = None) -> socket.socket:
    """A connection that completes InitConnect (and Qot_Sub), then is never read again:
    a plain socket (a StreamReader would keep draining it) with a tiny receive buffer."""
    loop = asyncio.get_running_loop()
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    await loop.sock_connect(sock, ("127.0.0.1", port))
    dec = FrameDecoder()
    frames = [init_connect_frame()] + ([request_frame(ids.QOT_SUB, subscription, 2)] if subscription else [])
    for frame in frames:
        await loop.sock_sendall(sock, frame)
        while dec.next_frame() is None:
            dec.feed(await loop.sock_recv(sock, 65536))
    return sock


# -- bad bytes -------------------------------------------------------------------------

def _header(body_len: int, fmt: int = 0) -> bytes:
    return HEADER.pack(b"FT", ids.GET_GLOBAL_STATE, fmt, 0, 1, body_len, bytes(20), bytes(8))


def _varint(n: int) -> bytes:
    out = bytearray()
    while n > 0x7F:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    return bytes(out + bytes((n,)))


def _bad_sha() -> bytes:
    wire = bytearray(keepalive_frame())
    wire[20] ^= 0x55
    return bytes(wire)


BAD_BYTES = {
    "http request": (b"GET / HTTP/1.1\r\nHost: opend\r\n\r\n", "bad frame flag b'GE'"),
    "one byte past max_body": (_header(4 * 1024 * 1024 + 1), "exceeds the 4194304-byte limit"),
    "4 GiB body_len": (_header(0xFFFFFFFF), "body_len 4294967295 exceeds"),
    "bad SHA-1": (_bad_sha(), "SHA-1 mismatch"),
    "unknown body format": (_header(0, fmt=9), "unknown body format 9"),
    "valid frame then garbage": (keepalive_frame() + b"\x00" * 60, "bad frame flag"),
}


@pytest.mark.parametrize("after_init", [False, True], ids=["raw", "after-init"])
@pytest.mark.parametrize("case", BAD_BYTES)
async def test_bad_bytes_close_only_that_connection(case, after_init, closes):
    payload, reason = BAD_BYTES[case]
    async with running(stall_timeout=30) as (sim, watcher):  # decided on the bytes, not by a timer
        t0 = time.monotonic()
        conn = await RawConn.open(sim.port, init=after_init)
        conn.writer.write(payload)
        await conn.wait_closed(timeout=2)
        conn.close()
        await watcher.assert_served(t0)
    assert any(reason in r for r in closes()), closes()


async def test_oversized_frame_is_refused_on_its_header_while_a_big_legal_one_passes(closes):
    async with running(max_body=64 * 1024) as (sim, watcher):
        t0 = time.monotonic()
        legal = await RawConn.open(sim.port)
        padding = bytes(60 * 1024)  # an unknown field 100 the parser skips: a legal 60 KiB request
        req = GetGlobalState_pb2.Request(c2s=GetGlobalState_pb2.C2S(userID=0)).SerializeToString()
        req += _varint(100 << 3 | 2) + _varint(len(padding)) + padding
        legal.writer.write(encode_frame(ids.GET_GLOBAL_STATE, 5, req))
        assert (await legal.next_frame()).serial_no == 5
        big = await RawConn.open(sim.port)
        big.writer.write(_header(64 * 1024 + 1))
        await big.wait_closed(timeout=1)
        big.close()
        legal.writer.write(keepalive_frame(6))
        assert (await legal.next_frame()).serial_no == 6
        legal.close()
        await watcher.assert_served(t0)
    assert any("exceeds the 65536-byte limit" in r for r in closes()), closes()


# -- slowloris -------------------------------------------------------------------------

async def _silent(conn: RawConn) -> None:
    await asyncio.Event().wait()


# The abusers' sleeps are their behaviour (how slowly they send), not waits for an outcome.

async def _keepalives_without_init(conn: RawConn) -> None:
    for serial in range(1, 1000):  # each gets a "send InitConnect first" reply
        conn.writer.write(keepalive_frame(serial))
        await asyncio.sleep(0.1)


async def _half_a_header(conn: RawConn) -> None:
    conn.writer.write(keepalive_frame(7)[:20])
    await asyncio.Event().wait()


async def _trickle(conn: RawConn) -> None:
    wire = encode_frame(ids.GET_GLOBAL_STATE, 8, bytes(4000))
    for i in range(len(wire)):  # a byte every 20 ms: always "active", never a whole frame
        conn.writer.write(wire[i:i + 1])
        await asyncio.sleep(0.02)


async def _slow_but_whole_frames(conn: RawConn, answered: list[float]) -> None:
    """Legal: every frame completes within the stall timeout, keepalives keep it alive.
    Notes when each keepalive is answered."""
    for serial in range(2, 1000):
        wire = keepalive_frame(serial)
        conn.writer.write(wire[:30])
        await asyncio.sleep(0.3)
        conn.writer.write(wire[30:])
        assert (await conn.next_frame()).serial_no == serial
        answered.append(time.monotonic())
        await asyncio.sleep(0.3)


SLOWLORIS = {
    # name: (behaviour, InitConnect first, expected reason, seconds until dropped (handshake 1, stall 0.5, idle 3))
    "silent after connect": (_silent, False, "no InitConnect within 1 s", 1.0),
    "keepalives but never InitConnect": (_keepalives_without_init, False, "no InitConnect within 1 s", 1.0),
    "half a header": (_half_a_header, True, "a frame stayed incomplete for 0.5 s (20 bytes)", 0.5),
    "a byte at a time": (_trickle, True, "a frame stayed incomplete for 0.5 s", 0.5),
    "silent after InitConnect": (_silent, True, "nothing received for 3 s (keepalive every 1 s)", 3.0),
}


@pytest.mark.parametrize("case", SLOWLORIS)
async def test_slow_or_silent_peer_is_dropped_in_bounded_time(case, closes):
    behave, init, reason, after = SLOWLORIS[case]
    async with running() as (sim, watcher):
        t0 = time.monotonic()
        conn = await RawConn.open(sim.port, init=init)
        task = asyncio.create_task(behave(conn))
        await conn.wait_closed(timeout=after + 2)
        took = time.monotonic() - t0
        task.cancel()
        conn.close()
        assert after - 0.1 < took < after + 1.0, took
        await watcher.assert_served(t0)
    assert any(r.startswith(reason) for r in closes()), closes()


async def test_slow_client_sending_whole_frames_is_kept():
    async with running() as (sim, watcher):
        t0 = time.monotonic()
        conn = await RawConn.open(sim.port)
        answered: list[float] = []
        task = asyncio.create_task(_slow_but_whole_frames(conn, answered))
        # Still answered after the handshake, stall and idle timeouts (1, 0.5 and 3 s) have all passed.
        await wait_until(lambda: answered and answered[-1] - t0 > 3.5 or task.done(), timeout=6,
                         what="a keepalive answered after 3.5 s")
        assert not task.done() and len(sim.gateway.sessions) == 2
        task.cancel()
        conn.close()
        await watcher.assert_served(t0)


# -- connection limit ------------------------------------------------------------------

async def test_129th_connection_is_refused_and_a_freed_slot_is_reused(caplog):
    async with running(keepalive=10, handshake_timeout=10) as (sim, watcher):
        t0 = time.monotonic()
        conns = [await RawConn.open(sim.port) for _ in range(127)]  # 128 with the watcher
        assert len(sim.gateway.sessions) == 128
        extra = await RawConn.open(sim.port, init=False)
        assert await asyncio.wait_for(extra.reader.read(), 2) == b""  # refused: closed at once
        extra.close()
        assert any("refused connection" in r.getMessage() for r in caplog.records)
        for serial, conn in enumerate(conns, 2):  # the 128 all still work
            conn.writer.write(keepalive_frame(serial))
        for serial, conn in enumerate(conns, 2):
            assert (await conn.next_frame()).serial_no == serial
        conns.pop().close()
        await wait_until(lambda: len(sim.gateway.sessions) == 127, what="freed slot")
        conns.append(await RawConn.open(sim.port))  # InitConnect answered
        assert len(sim.gateway.sessions) == 128
        await watcher.assert_served(t0)
        for conn in conns:
            conn.close()


# -- clients that do not read ------------------------------------------------------------

async def test_client_that_never_reads_its_pushes_is_cut_off(closes):
    limit = 256 * 1024
    async with running(keepalive=10, max_write_buffer=limit) as (sim, watcher):
        t0 = time.monotonic()
        sock = await non_reader(sim.port, subscribe(UNIVERSE, [QUOTE, ORDER_BOOK, TICKER]))
        (session,) = [s for s in sim.gateway.sessions.values() if s.conn_id != watcher.client.info.conn_id]
        transport = session.writer.transport
        transport.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)  # fill sooner
        most = 0
        deadline = time.monotonic() + 15
        while not session.closed:
            most = max(most, transport.get_write_buffer_size())
            assert time.monotonic() < deadline, f"not dropped; {most} bytes queued"
            await asyncio.sleep(0.01)  # sampling the peak queue until the session closes
        assert most < 2 * limit  # queued memory stayed bounded
        assert transport.get_write_buffer_size() == 0  # discarded, not left waiting for a reader
        await watcher.assert_served(t0)
        sock.close()
    assert "client is not reading its pushes" in closes()


async def test_client_that_never_reads_its_replies_is_cut_off(closes):
    async with running(keepalive=10) as (sim, watcher):
        t0 = time.monotonic()
        loop = asyncio.get_running_loop()
        sock = await non_reader(sim.port)
        (session,) = [s for s in sim.gateway.sessions.values() if s.conn_id != watcher.client.info.conn_id]
        every_hk_stock = Qot_GetStaticInfo_pb2.C2S(market=1, secType=3)  # a 1.2 KB reply to 50 bytes
        batch = b"".join(request_frame(ids.QOT_GET_STATIC_INFO, every_hk_stock, serial) for serial in range(100, 200))
        most = 0

        async def flood() -> None:
            with contextlib.suppress(ConnectionError):
                while True:  # blocks once the gateway stops reading us
                    await loop.sock_sendall(sock, batch)

        task = asyncio.create_task(flood())
        deadline = time.monotonic() + 10
        while not session.closed:
            most = max(most, session.writer.transport.get_write_buffer_size())
            assert time.monotonic() < deadline, f"not dropped; {most} bytes queued"
            await asyncio.sleep(0.01)  # sampling the peak queue until the session closes
        await asyncio.wait_for(task, 2)
        assert most < 1024 * 1024  # the gateway stopped reading instead of queueing replies
        await watcher.assert_served(t0)
        sock.close()
    assert "client read no replies for 0.5 s" in closes()


async def test_a_frame_split_behind_slow_replies_is_not_blamed_on_the_client(closes):
    """The incomplete-frame clock runs while the gateway waits for bytes, not while it works
    on the whole frames read with it (the cause of a flake of the test above under load)."""
    async with running() as (sim, watcher):
        t0 = time.monotonic()
        conn = await RawConn.open(sim.port)
        state = sim.gateway.handlers[ids.GET_GLOBAL_STATE]

        async def slow_state(session, c2s):
            if session.conn_id != watcher.client.info.conn_id:
                await asyncio.sleep(0.25)  # a slow handler: three replies take longer than stall_timeout
            return state(session, c2s)

        sim.gateway.register(ids.GET_GLOBAL_STATE, slow_state)
        wires = [request_frame(ids.GET_GLOBAL_STATE, GetGlobalState_pb2.C2S(userID=0), serial) for serial in range(10, 14)]
        conn.writer.write(b"".join(wires[:3]) + wires[3][:6])  # three whole frames and the start of a fourth
        for serial in (10, 11, 12):
            assert (await conn.next_frame()).serial_no == serial
        conn.writer.write(wires[3][6:])  # the rest, at once after the third reply
        assert (await conn.next_frame()).serial_no == 13
        conn.close()
        await watcher.assert_served(t0)
    assert not any("incomplete" in r for r in closes()), closes()


# -- the watch itself --------------------------------------------------------------------

async def test_a_gateway_that_stands_still_fails_the_watch():
    """The watch is not blind to the gateway: a request whose handler blocks the gateway's loop
    for 1.5 s of the test process's running time (a blocking call, so the control thread runs
    meanwhile, however busy the machine) fails it."""
    async with running() as (sim, watcher):
        t0 = time.monotonic()
        conn = await RawConn.open(sim.port)
        state = sim.gateway.handlers[ids.GET_GLOBAL_STATE]

        def blocking_state(session, c2s):
            if session.conn_id != watcher.client.info.conn_id:
                start = time.monotonic()
                while watcher.stalled(start, watcher.control.woke) < 1.5 and time.monotonic() < start + 30:
                    time.sleep(0.05)  # the stall under test: the loop stands still, the GIL is free
            return state(session, c2s)

        sim.gateway.register(ids.GET_GLOBAL_STATE, blocking_state)
        conn.writer.write(request_frame(ids.GET_GLOBAL_STATE, GetGlobalState_pb2.C2S(userID=0), 10))
        assert (await conn.next_frame(timeout=30)).serial_no == 10
        conn.close()
        with pytest.raises(AssertionError, match="pushes paused for") as failed:
            await watcher.assert_served(t0)
        stalled = float(re.search(r"([\d.]+) s of it", str(failed.value)).group(1))
        assert stalled >= 1.5, failed.value


async def test_a_history_query_whose_times_are_no_times_is_refused_at_once():
    """Compared as a range, text that is no time (as the fuzz test sends) took in every 1-minute
    bar of the history: one page of 44,000 bars, ~0.7 s of CPU with every push waiting."""
    async with running() as (_sim, watcher):
        t0 = time.monotonic()
        spx = Qot_Common_pb2.Security(market=11, code=".SPX")
        for begin, end in [("\x15", "\U000ecf83"), ("", "2099-12-31 23:59:59"), ("2026-11-20", "2026-13-01")]:
            c2s = Qot_RequestHistoryKL_pb2.C2S(rehabType=0, klType=1, security=spx, beginTime=begin, endTime=end)
            with pytest.raises(OpenDError, match="Time must be a time as YYYY-MM-DD HH:MM:SS"):
                await watcher.client.request(ids.QOT_REQUEST_HISTORY_KL, c2s)
        c2s = Qot_RequestHistoryKL_pb2.C2S(rehabType=0, klType=1, security=spx, beginTime="2026-11-20",
                                           endTime="2026-11-20 10:00:00", maxAckKLNum=5)
        assert len((await watcher.client.request(ids.QOT_REQUEST_HISTORY_KL, c2s)).klList) <= 5
        await watcher.assert_served(t0)


async def test_times_that_are_not_utf8_are_refused_not_a_handler_crash(caplog):
    """Protobuf hands over a string field that is not UTF-8 as bytes (a fuzz test's find)."""
    spx = Qot_Common_pb2.Security(market=11, code=".SPX")
    requests = {
        ids.QOT_REQUEST_TRADE_DATE: (Qot_RequestTradeDate_pb2, Qot_RequestTradeDate_pb2.C2S(
            market=1, beginTime="2026-01-01", endTime="2026-02-01"), "beginTime and endTime are dates"),
        ids.QOT_REQUEST_HISTORY_KL: (Qot_RequestHistoryKL_pb2, Qot_RequestHistoryKL_pb2.C2S(
            rehabType=0, klType=1, security=spx, beginTime="2026-01-01", endTime="2026-02-01"),
            "beginTime must be a time"),
    }
    async with running() as (sim, watcher):
        t0 = time.monotonic()
        conn = await RawConn.open(sim.port)
        for serial, (pid, (mod, c2s, refusal)) in enumerate(requests.items(), 10):
            body = mod.Request(c2s=c2s).SerializeToString().replace(b"2026-01-01", b"\xff026-01-01")
            conn.writer.write(encode_frame(pid, serial, body))
            resp = mod.Response.FromString((await conn.next_frame()).body)
            assert resp.retType != 0 and refusal in resp.retMsg, resp.retMsg
        conn.close()
        await watcher.assert_served(t0)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
