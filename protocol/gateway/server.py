"""The simulated OpenD's TCP server: one session per connection, dispatch by proto ID.

The server speaks exactly the wire the official SDK speaks (see protocol/frame.py and
protocol/crypto.py). Handlers are plain callables registered per proto ID; they get the
session and the request's C2S and return an S2C, or raise `ServiceError` for a failure
reply. Any proto ID without a handler gets a failure reply that names it.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import ipaddress
import itertools
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from google.protobuf.message import DecodeError, EncodeError, Message

from protocol import ids
from protocol.crypto import ALGO_AES_CBC, ALGO_AES_ECB, ALGO_NONE, RsaCipher, aes_cipher, random_key_text
from protocol.frame import DEFAULT_MAX_BODY, FMT_PROTOBUF, BodyCrypto, Frame, FrameDecoder, ProtocolError, encode_frame
from protocol.proto import GetGlobalState_pb2, InitConnect_pb2, KeepAlive_pb2
from protocol.sanitize import escape_controls

log = logging.getLogger("futu_opend_sim")

SERVER_VER = 1011  # reported as OpenD 10.11
SERVER_BUILD = 7108
LOGIN_USER_ID = 10_000_001
MAX_CONNECTIONS = 128  # OpenD's documented ceiling
WRITE_BUFFER_LIMIT = 32 * 1024 * 1024  # a client this far behind on pushes is dropped
READ_CHUNK = 256 * 1024
HANDSHAKE_TIMEOUT = 10.0  # seconds from connect to InitConnect (every client sends it first)
STALL_TIMEOUT = 10.0  # seconds a started frame may stay incomplete, or replies wait for the client to read
YIELD_EVERY = 64  # frames of one read handled before other sessions get the loop
IDLE_FACTOR = 3  # keepalive intervals of silence that drop an initialised session (clients send every 0.8)

Handler = Callable[["Session", Message], Message | Awaitable[Message]]


class ServiceError(Exception):
    """Raised by a handler: becomes a reply with this retType and retMsg."""

    def __init__(self, message: str, ret_type: int = -1, err_code: int = 0) -> None:
        super().__init__(message)
        self.ret_type = ret_type
        self.err_code = err_code


def _error_body(message: str, ret_type: int = -1, err_code: int = 0) -> bytes:
    # Every Response shares fields 1-3 (retType, retMsg, errCode), so any one encodes it.
    resp = KeepAlive_pb2.Response(retType=ret_type, retMsg=message)
    if err_code:
        resp.errCode = err_code
    return resp.SerializeToString()


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass
class Session:
    """One client connection and everything OpenD keeps per connection."""

    gateway: Gateway
    conn_id: int
    peer: str
    writer: asyncio.StreamWriter
    crypto: BodyCrypto
    initialized: bool = False
    recv_notify: bool = False
    client_id: str = ""
    encryption: str = "none"
    frames_in: int = 0
    serial_no: int = 0  # serial of the request being handled (trade handlers check PacketID)
    pushes_out: int = 0
    closed: bool = False
    reason: str = ""  # why the session ended (the first reason given to Gateway._abort)
    data: dict[str, Any] = field(default_factory=dict)  # per-connection state of services

    def send(self, proto_id: int, serial_no: int, body: bytes) -> None:
        if self.closed:
            return
        self.writer.write(encode_frame(proto_id, serial_no, body, self.crypto))

    def reply(self, frame: Frame, response: Message) -> None:
        self.send(frame.proto_id, frame.serial_no, response.SerializeToString())

    def push(self, proto_id: int, response: Message) -> bool:
        """Send a push; False (and the session is dropped) if the client has fallen too far behind."""
        return self.push_bodies(((proto_id, response.SerializeToString()),))

    def push_bodies(self, items: Iterable[tuple[int, bytes]]) -> bool:
        """Send already serialised push Responses in one write (fan-out serialises a push
        once for all its subscribers); False if the session is gone or dropped for lagging."""
        if self.closed or not self.initialized:
            return False
        if self.writer.transport.get_write_buffer_size() > self.gateway.max_write_buffer:
            self.gateway._abort(self, "client is not reading its pushes", hard=True)
            return False
        frames = []
        for proto_id, body in items:
            self.pushes_out += 1
            frames.append(encode_frame(proto_id, self.pushes_out, body, self.crypto))
        self.writer.write(b"".join(frames))
        return True


class Gateway:
    """The server end of the OpenD protocol."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 11111,
        *,
        rsa: RsaCipher | None = None,
        keepalive_interval: int = 10,
        aes_mode: str = "auto",
        max_connections: int = MAX_CONNECTIONS,
        max_body: int = DEFAULT_MAX_BODY,
        max_write_buffer: int = WRITE_BUFFER_LIMIT,
        handshake_timeout: float = HANDSHAKE_TIMEOUT,
        stall_timeout: float = STALL_TIMEOUT,
    ) -> None:
        self.host = host
        self.port = port
        self.rsa = rsa
        self.keepalive_interval = keepalive_interval
        self.aes_mode = aes_mode  # "auto": CBC when the client asks for it; "ecb": always FTAES-ECB
        self.max_connections = max_connections
        self.max_body = max_body
        self.max_write_buffer = max_write_buffer  # bytes queued to one client before it is dropped
        self.handshake_timeout = handshake_timeout
        self.stall_timeout = stall_timeout
        self.sessions: dict[int, Session] = {}
        self.received: dict[int, int] = {}  # proto ID -> requests handled (tests read what OpenD was asked)
        self.handlers: dict[int, Handler] = {}
        self.market_state: Callable[[], dict[str, int]] = lambda: {}
        self.clock: Callable[[], float] = time.time  # OpenD's clock as clients see it (the simulator's market clock)
        self.on_close: list[Callable[[Session], None]] = []  # services forget a session here
        self.reply_delay: Callable[[int], float] = lambda proto_id: 0.0  # seconds to hold a reply back (sim.faults)
        # (quote logged in, trade logged in, ProgramStatusType, its detail): OpenD's own login (opend_state.py)
        self.login_state: Callable[[], tuple[bool, bool, int, str]] = lambda: (True, True, 10, "")
        # sim.faults: True drops the connection as this request arrives, before it is handled
        self.lose_request: Callable[[int], bool] = lambda proto_id: False
        self._conn_ids = itertools.count(7_000_000_001)
        self._server: asyncio.base_events.Server | None = None
        self._session_tasks: set[asyncio.Task] = set()
        self.register(ids.KEEP_ALIVE, self._keep_alive)
        self.register(ids.GET_GLOBAL_STATE, self._global_state)

    @property
    def trading_allowed(self) -> bool:
        """OpenD refuses trading on a non-loopback listener that has no RSA key."""
        return self.rsa is not None or is_loopback(self.host)

    @property
    def connections_served(self) -> int:
        """Connections with a task still serving them: a closed session must leave none behind."""
        return len(self._session_tasks)

    @property
    def serving(self) -> bool:
        """The listener accepts connections (between start() and stop())."""
        return self._server is not None and self._server.is_serving()

    def register(self, proto_id: int, handler: Handler) -> None:
        self.handlers[proto_id] = handler

    # -- lifecycle ---------------------------------------------------------------------

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._on_connect, self.host, self.port, limit=READ_CHUNK)
        self.port = self._server.sockets[0].getsockname()[1]
        log.info("listening on %s:%d (%s)", self.host, self.port, "RSA + AES" if self.rsa else "plain")

    async def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
        for session in list(self.sessions.values()):
            self._abort(session, "simulator shutting down")
        tasks = list(self._session_tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if server is not None:  # after the sessions: from Python 3.12 this waits for every connection
            with contextlib.suppress(Exception):
                await server.wait_closed()

    async def __aenter__(self) -> Gateway:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- connections -------------------------------------------------------------------

    async def _on_connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        self._session_tasks.add(task)
        try:
            await self._serve(reader, writer)
        finally:
            self._session_tasks.discard(task)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = "%s:%s" % writer.get_extra_info("peername")[:2]
        if len(self.sessions) >= self.max_connections:
            log.warning("refused connection from %s: %d connections already open", peer, len(self.sessions))
            writer.close()
            return
        session = Session(self, next(self._conn_ids), peer, writer, BodyCrypto(rsa=self.rsa))
        self.sessions[session.conn_id] = session
        log.debug("conn %d from %s: open", session.conn_id, peer)
        loop = asyncio.get_running_loop()
        opened = last_rx = loop.time()
        partial_since = opened  # when the incomplete frame in the decoder (if any) began
        decoder = FrameDecoder(session.crypto, self.max_body)
        reason, hard = "closed by client", False
        try:
            while not session.closed:
                deadline, why = self._read_deadline(session, decoder, opened, last_rx, partial_since)
                try:
                    async with asyncio.timeout_at(deadline):
                        data = await reader.read(READ_CHUNK)
                except TimeoutError:
                    reason, hard = why, True
                    break
                if not data:
                    break
                last_rx = loop.time()
                had_partial = decoder.buffered > 0
                decoder.feed(data)
                handled = 0
                for frame in decoder:
                    handled += 1
                    session.frames_in += 1
                    session.serial_no = frame.serial_no
                    await self._handle(session, frame)
                    if session.closed:
                        break
                    # Replies wait in memory only while the client reads them: no amplification.
                    if writer.transport.get_write_buffer_size():
                        try:
                            async with asyncio.timeout(self.stall_timeout):
                                await writer.drain()
                        except TimeoutError:
                            reason, hard = f"client read no replies for {self.stall_timeout:g} s", True
                            return
                    if handled % YIELD_EVERY == 0:
                        await asyncio.sleep(0)  # a long pipelined burst must not starve the other sessions
                if handled:
                    # The stall clock of the frame left incomplete starts when we read again: the time we
                    # spent handling (and draining replies to) the frames before it is not the client's.
                    partial_since = loop.time()
                elif not had_partial:
                    partial_since = last_rx
        except ProtocolError as exc:
            reason = f"protocol error: {exc}"
        except (ConnectionError, OSError) as exc:
            reason = f"connection error: {exc}"
        except asyncio.CancelledError:
            reason = "simulator shutting down"
        except Exception as exc:  # a bug must cost one connection, never the gateway
            log.exception("conn %d: serving failed", session.conn_id)
            reason = f"simulator error: {exc!r}"
        finally:
            self._abort(session, reason, hard=hard)
            # The one line per connection: who, how, how long, how much, why it ended.
            log.info("conn %d from %s (%s, %s): closed after %.1f s (%s; %d frames in, %d pushes out)",
                     session.conn_id, peer, session.client_id or "no InitConnect", session.encryption,
                     loop.time() - opened, session.reason, session.frames_in, session.pushes_out)

    def _read_deadline(self, session: Session, decoder: FrameDecoder, opened: float, last_rx: float,
                       partial_since: float) -> tuple[float, str]:
        """When the next read gives up, and the reason it will give: a slow or silent peer
        must not hold one of the max_connections slots for ever."""
        if session.initialized:
            idle = IDLE_FACTOR * max(1, self.keepalive_interval)
            limit = (last_rx + idle, f"nothing received for {idle:g} s (keepalive every {self.keepalive_interval} s)")
        else:
            limit = (opened + self.handshake_timeout, f"no InitConnect within {self.handshake_timeout:g} s")
        if decoder.buffered:
            limit = min(limit, (partial_since + self.stall_timeout,
                                f"a frame stayed incomplete for {self.stall_timeout:g} s ({decoder.buffered} bytes)"))
        return limit

    def _abort(self, session: Session, reason: str, hard: bool = False) -> None:
        """End a session once. `hard` discards unsent bytes: a graceful close would wait
        for a client that does not read to take them, holding the socket and buffer for ever."""
        if session.closed:
            return
        session.closed = True
        session.reason = reason
        self.sessions.pop(session.conn_id, None)
        for hook in self.on_close:
            try:
                hook(session)
            except Exception:
                log.exception("close hook failed")
        if hard:
            session.writer.transport.abort()
        else:
            session.writer.close()
        if reason not in ("closed by client", "simulator shutting down"):
            log.debug("conn %d dropped: %s", session.conn_id, reason)

    # -- dispatch ----------------------------------------------------------------------

    async def _handle(self, session: Session, frame: Frame) -> None:
        pid, name = frame.proto_id, ids.name_of(frame.proto_id)
        self.received[pid] = self.received.get(pid, 0) + 1
        if frame.fmt != FMT_PROTOBUF:
            session.send(pid, frame.serial_no, _error_body(f"{name}: only protobuf bodies are supported"))
            return
        if pid == ids.INIT_CONNECT:
            self._init_connect(session, frame)
            return
        if not session.initialized:
            session.send(pid, frame.serial_no, _error_body(f"{name}: send InitConnect first"))
            return
        if ids.is_trade(pid) and not self.trading_allowed:
            session.send(pid, frame.serial_no, _error_body(
                f"{name}: trading is disabled: this OpenD listens on {self.host} without an RSA key"))
            return
        if ids.is_trade(pid) and pid not in (ids.TRD_GET_ACC_LIST, ids.TRD_SUB_ACC_PUSH) and not self.login_state()[1]:
            session.send(pid, frame.serial_no, _error_body(
                f"{name}: OpenD is not logged in to Futu's trade server; try again once it reconnects"))
            return
        if self.lose_request(pid):  # the request dies with the link: OpenD never sees it
            self._abort(session, "dropped by fault injection", hard=True)
            return
        handler = self.handlers.get(pid)
        if handler is None:
            session.send(pid, frame.serial_no, _error_body(f"{name} (proto ID {pid}) is not served by this simulator"))
            return
        mod = ids.module_for(pid)
        req = mod.Request()
        try:
            req.ParseFromString(frame.body)
        except DecodeError as exc:
            session.send(pid, frame.serial_no, _error_body(f"{name}: cannot parse request: {exc}"))
            return
        try:
            result = handler(session, req.c2s)
            if inspect.isawaitable(result):
                result = await result
            resp = mod.Response(retType=0)
            if result is not None:
                resp.s2c.CopyFrom(result)
            body = resp.SerializeToString()
        except ServiceError as exc:
            body = _error_body(f"{exc}", exc.ret_type, exc.err_code)
        except EncodeError as exc:
            log.error("%s: reply misses required fields: %s", name, exc)
            body = _error_body(f"{name}: simulator built an incomplete reply: {exc}")
        except Exception as exc:  # one bad request must not take the session down
            log.exception("%s handler failed", name)
            body = _error_body(f"{name}: simulator error: {exc!r}")
        delay = self.reply_delay(pid)
        if delay:
            asyncio.get_running_loop().call_later(delay, session.send, pid, frame.serial_no, body)
            return
        session.send(pid, frame.serial_no, body)

    def _init_connect(self, session: Session, frame: Frame) -> None:
        req = InitConnect_pb2.Request()
        try:
            req.ParseFromString(frame.body)
        except DecodeError as exc:
            session.send(frame.proto_id, frame.serial_no, _error_body(f"InitConnect: cannot parse request: {exc}"))
            return
        c2s = req.c2s
        algo = c2s.packetEncAlgo if c2s.HasField("packetEncAlgo") else None
        if session.initialized:
            session.send(frame.proto_id, frame.serial_no, _error_body("InitConnect: this connection is already initialised"))
            return
        if algo == ALGO_AES_ECB:
            session.send(frame.proto_id, frame.serial_no, _error_body("InitConnect: standard AES-ECB is not supported; use 0 (FTAES-ECB) or 2 (AES-CBC)"))
            return
        key = random_key_text()
        s2c = InitConnect_pb2.S2C(
            serverVer=SERVER_VER, loginUserID=LOGIN_USER_ID, connID=session.conn_id,
            connAESKey=key, keepAliveInterval=self.keepalive_interval, userAttribution=1,
        )
        encrypt = self.rsa is not None and algo != ALGO_NONE
        cbc = algo == ALGO_AES_CBC and self.aes_mode != "ecb"
        iv = random_key_text() if encrypt and cbc else None
        if iv:
            s2c.aesCBCiv = iv
        session.send(frame.proto_id, frame.serial_no, InitConnect_pb2.Response(retType=0, s2c=s2c).SerializeToString())
        # The reply went out under RSA only; AES covers every frame after it.
        if encrypt:
            session.crypto.aes = aes_cipher(key, iv)
            session.encryption = "aes-cbc" if iv else "ftaes-ecb"
        session.initialized = True
        session.recv_notify = c2s.recvNotify
        session.client_id = escape_controls(c2s.clientID, 64)  # shown on the console: a client's words, escaped
        log.debug("conn %d: InitConnect from %s (%s)", session.conn_id, session.client_id or "?", session.encryption)

    # -- fault injection (protocol/gateway/knobs.py; call on the gateway's event loop) ---

    def _targets(self, conn_id: int | None) -> list[Session]:
        return [s for s in list(self.sessions.values()) if conn_id is None or s.conn_id == conn_id]

    def drop(self, conn_id: int | None = None) -> int:
        """Close one connection (or all) abruptly; returns how many were dropped."""
        targets = self._targets(conn_id)
        for session in targets:
            self._abort(session, "dropped by fault injection")
        return len(targets)

    def send_corrupt(self, conn_id: int | None = None) -> int:
        """Send a frame whose SHA-1 does not match its body to one connection (or all)."""
        targets = self._targets(conn_id)
        for session in targets:
            wire = bytearray(encode_frame(ids.NOTIFY, 0, _error_body("corrupt"), session.crypto))
            wire[16] ^= 0xFF  # first byte of the header's SHA-1
            session.writer.write(bytes(wire))
        return len(targets)

    # -- built-in services ---------------------------------------------------------------

    def _keep_alive(self, session: Session, c2s: Message) -> Message:
        return KeepAlive_pb2.S2C(time=int(self.clock()))

    def _global_state(self, session: Session, c2s: Message) -> Message:
        states = {"HK": 3, "US": 3, "SH": 3, "SZ": 3, "HKFuture": 3} | self.market_state()
        now = self.clock()
        qot, trd, status, desc = self.login_state()
        s2c = GetGlobalState_pb2.S2C(
            marketHK=states["HK"], marketUS=states["US"], marketSH=states["SH"], marketSZ=states["SZ"],
            marketHKFuture=states["HKFuture"], qotLogined=qot, trdLogined=trd,
            serverVer=SERVER_VER, serverBuildNo=SERVER_BUILD, time=int(now), localTime=now,
            connID=session.conn_id,
        )
        s2c.programStatus.type = status
        if desc:
            s2c.programStatus.strExtDesc = desc
        return s2c
