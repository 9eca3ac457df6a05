"""Asyncio OpenD client: handshake, keepalive, request/reply by serial number, pushes.

    client = OpenDClient("127.0.0.1", 11111, on_state=print)
    await client.connect()
    s2c = await client.request(ids.GET_GLOBAL_STATE, GetGlobalState_pb2.C2S(userID=...))
    client.on_push(ids.QOT_UPDATE_BASIC_QOT, handle)   # handle(Response)
    await client.close()

`run()` keeps the connection up: it reconnects with capped backoff after a loss and
awaits the owner's `on_ready` coroutine each time, so the owner can subscribe again.
No Textual here; the owner hears about state changes through `on_state(state, reason)`.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from google.protobuf.message import DecodeError, EncodeError, Message

from protocol import ids
from protocol.crypto import ALGO_AES_CBC, ALGO_FTAES_ECB, ALGO_NONE, RsaCipher, aes_cipher
from protocol.frame import DEFAULT_MAX_BODY, BodyCrypto, Frame, FrameDecoder, ProtocolError, encode_frame
from protocol.proto import InitConnect_pb2, KeepAlive_pb2
from protocol.sanitize import clean_text

log = logging.getLogger(__name__)

CLIENT_VER = 300  # what the official SDK reports; OpenD never checks it
READ_CHUNK = 256 * 1024
YIELD_EVERY = 256  # frames handled before giving the event loop a turn
SILENCE_FACTOR = 2.5  # keepalive intervals without a byte before the peer counts as dead
LOG_EVERY = 60.0  # s between two log lines about the same repeating push failure
MAX_KEEPALIVE = 60  # s: a larger interval from OpenD would switch dead-link detection off
_SERIAL_WRAP = 0xFFFFFFFF
_PUSH_IDS = frozenset(ids.PUSH_IDS)

PushHandler = Callable[[Message], None]
StateHandler = Callable[["ConnState", str], None]


class ConnState(enum.Enum):
    CONNECTING = "connecting"
    READY = "ready"
    LOST = "lost"
    CLOSED = "closed"


class OpenDError(Exception):
    """OpenD answered with a failure, or the request could not be completed."""

    def __init__(self, message: str, ret_type: int = -1, err_code: int = 0, proto_id: int = 0) -> None:
        super().__init__(message)
        self.ret_type = ret_type
        self.err_code = err_code
        self.proto_id = proto_id


class RequestTimeout(OpenDError, TimeoutError):
    """No reply within the timeout."""


class NotConnected(OpenDError, ConnectionError):
    """The connection is down (not yet up, lost, or closed)."""


class ConnectionLost(NotConnected):
    """The connection dropped after the request was sent: OpenD may have acted on it."""


@dataclass(frozen=True, slots=True)
class SessionInfo:
    """What InitConnect told us about this connection."""

    conn_id: int
    login_user_id: int
    server_ver: int
    keepalive_interval: int
    encryption: str  # "none", "aes-cbc" or "ftaes-ecb"
    user_attribution: int | None = None


class OpenDClient:
    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 11111,
        *,
        rsa: RsaCipher | None = None,
        aes_mode: str = "cbc",
        client_id: str = "futu-tui",
        request_timeout: float = 12.0,
        connect_timeout: float = 10.0,
        max_body: int = DEFAULT_MAX_BODY,
        on_state: StateHandler | None = None,
        on_ready: Callable[[], Awaitable[None]] | None = None,
        backoff: tuple[float, float] = (0.5, 10.0),
    ) -> None:
        if aes_mode not in ("cbc", "ecb"):
            raise ValueError("aes_mode is 'cbc' or 'ecb'")
        self.host, self.port = host, port
        self.rsa = rsa
        self.aes_mode = aes_mode
        self.client_id = client_id
        self.request_timeout = request_timeout
        self.connect_timeout = connect_timeout
        self.max_body = max_body
        self.on_state = on_state
        self.on_ready = on_ready
        self.backoff = backoff
        self.info: SessionInfo | None = None
        self.last_rx = 0.0  # loop time of the last byte received
        self._state = ConnState.CLOSED
        self._serial = 0
        self._pending: dict[tuple[int, int], asyncio.Future[Frame]] = {}
        self._push: dict[int, list[PushHandler]] = {}
        self._push_types: dict[int, type[Message]] = {}  # proto ID -> its Response class
        self._logged: dict[str, tuple[float, int]] = {}  # repeating failure -> (last logged, not logged since)
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._crypto = BodyCrypto()
        self._tasks: list[asyncio.Task] = []
        self._lost: asyncio.Event | None = None
        self._closing = False

    # -- state -------------------------------------------------------------------------

    @property
    def state(self) -> ConnState:
        return self._state

    @property
    def ready(self) -> bool:
        return self._state is ConnState.READY

    def _set_state(self, state: ConnState, reason: str = "") -> None:
        self._state = state
        if self.on_state is not None:
            try:
                self.on_state(state, clean_text(reason))
            except Exception:  # the owner's bug must not take the connection down
                log.exception("on_state handler failed")

    # -- connecting --------------------------------------------------------------------

    async def connect(self) -> SessionInfo:
        """Open one connection and complete InitConnect. Raises NotConnected on failure."""
        if self._state in (ConnState.CONNECTING, ConnState.READY):
            raise NotConnected("already connected or connecting", -200)
        self._closing = False
        self._set_state(ConnState.CONNECTING, f"connecting to {self.host}:{self.port}")
        try:
            async with asyncio.timeout(self.connect_timeout):
                self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        except (OSError, TimeoutError) as exc:
            reason = f"cannot reach OpenD at {self.host}:{self.port}: {exc or 'timed out'}"
            self._set_state(ConnState.LOST, reason)
            raise NotConnected(reason, -200) from None
        self._crypto = BodyCrypto(rsa=self.rsa)
        self._lost = asyncio.Event()
        self.last_rx = asyncio.get_running_loop().time()
        self._tasks = [asyncio.create_task(self._read_loop(), name="opend-read")]
        try:
            info = await self._handshake()
        except (OpenDError, DecodeError) as exc:
            reason = f"InitConnect failed: {exc}"
            await self._drop(reason)
            raise NotConnected(reason, -200) from None
        self.info = info
        self._tasks.append(asyncio.create_task(self._keepalive_loop(), name="opend-keepalive"))
        self._set_state(ConnState.READY, f"connected to {self.host}:{self.port} (conn {info.conn_id}, {info.encryption})")
        return info

    async def _handshake(self) -> SessionInfo:
        if self.rsa is None:
            algo = ALGO_NONE
        else:
            algo = ALGO_AES_CBC if self.aes_mode == "cbc" else ALGO_FTAES_ECB
        c2s = InitConnect_pb2.C2S(
            clientVer=CLIENT_VER, clientID=self.client_id, recvNotify=True,
            packetEncAlgo=algo, pushProtoFmt=0, programmingLanguage="Python",
        )
        resp = await self._call(ids.INIT_CONNECT, c2s, self.connect_timeout, handshake=True)
        s2c = resp.s2c
        if self.rsa is None:
            encryption = "none"
        else:
            encryption = "aes-cbc" if s2c.HasField("aesCBCiv") else "ftaes-ecb"
        return SessionInfo(
            conn_id=s2c.connID, login_user_id=s2c.loginUserID, server_ver=s2c.serverVer,
            keepalive_interval=min(max(1, s2c.keepAliveInterval), MAX_KEEPALIVE), encryption=encryption,
            user_attribution=s2c.userAttribution if s2c.HasField("userAttribution") else None,
        )

    def _on_init_reply(self, frame: Frame) -> None:
        """Runs inside the read loop, so AES is on before the next frame is decrypted."""
        if self.rsa is None:
            return
        resp = InitConnect_pb2.Response()
        with contextlib.suppress(DecodeError):
            resp.ParseFromString(frame.body)
        if resp.retType == 0 and resp.HasField("s2c"):
            iv = resp.s2c.aesCBCiv if resp.s2c.HasField("aesCBCiv") else None
            self._crypto.aes = aes_cipher(resp.s2c.connAESKey, iv)

    async def run(self) -> None:
        """Stay connected until close(): reconnect with capped backoff after each loss.

        A connection counts only once `on_ready` has succeeded on it: if that fails while
        the link is up (a reply timed out, OpenD refused), the link is dropped and tried
        again after the backoff, so the owner is never left half set up behind a READY.
        """
        delay = self.backoff[0]
        try:
            while not self._closing:
                try:
                    await self.connect()
                except NotConnected:
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, self.backoff[1])
                    continue
                lost = self._lost
                assert lost is not None
                if await self._set_up():
                    delay = self.backoff[0]
                await lost.wait()
                if not self._closing:
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, self.backoff[1])
        except BaseException as exc:
            # Cancelled, or a bug in the owner: leave no socket or task behind, so that a
            # later run() (the owner restarting its worker) starts from a clean slate.
            if self._writer is not None:
                cancelled = isinstance(exc, asyncio.CancelledError)
                await self._drop("stopped" if cancelled else f"internal error: {exc!r}", final=cancelled)
            raise

    async def _set_up(self) -> bool:
        """Await the owner's on_ready; False, and the link dropped if still up, when it fails."""
        if self.on_ready is None:
            return True
        try:
            await self.on_ready()
        except OpenDError as exc:
            log.warning("setting up the connection failed: %s", exc)
            if self._state is ConnState.READY:
                await self._drop(f"setting up the connection failed: {exc}")
            return False
        return True

    # -- requests ----------------------------------------------------------------------

    def _next_serial(self) -> int:
        self._serial = self._serial + 1 if self._serial < _SERIAL_WRAP else 1
        return self._serial

    async def request(self, proto_id: int, c2s: Message | None = None, timeout: float | None = None) -> Message:
        """Send a request and return the reply's S2C; OpenDError if retType is not 0."""
        resp = await self.request_response(proto_id, c2s, timeout)
        return resp.s2c

    async def request_response(self, proto_id: int, c2s: Message | None = None, timeout: float | None = None) -> Message:
        """Send a request and return the whole Response message (retType checked)."""
        if self._state is not ConnState.READY:
            raise NotConnected(f"{ids.name_of(proto_id)}: not connected to OpenD ({self._state.value})", -200, proto_id=proto_id)
        return await self._call(proto_id, c2s, self.request_timeout if timeout is None else timeout)

    async def _call(self, proto_id: int, c2s: Message | None, timeout: float, handshake: bool = False) -> Message:
        mod = ids.module_for(proto_id)
        req = mod.Request()
        if c2s is not None:
            req.c2s.CopyFrom(c2s)
        else:
            req.c2s.SetInParent()
        serial = self._next_serial()
        if proto_id in ids.PACKET_ID_IDS and self.info is not None:
            req.c2s.packetID.connID = self.info.conn_id
            req.c2s.packetID.serialNo = serial
        name = ids.name_of(proto_id)
        try:
            body = req.SerializeToString()
        except EncodeError as exc:
            raise OpenDError(f"{name}: request is missing required fields: {exc}", -500, proto_id=proto_id) from None
        key = (proto_id, serial)
        future = asyncio.get_running_loop().create_future()
        self._pending[key] = future
        try:
            self._send(proto_id, serial, body)
            # asyncio.timeout, not wait_for: on 3.11 wait_for loses a cancel that lands after
            # the reply has come, and a stopping caller then runs on.
            try:
                async with asyncio.timeout(timeout):
                    frame = await future
            except TimeoutError:
                raise RequestTimeout(f"{name}: no reply from OpenD within {timeout:g} s", -100, proto_id=proto_id) from None
        finally:
            self._pending.pop(key, None)
        resp = mod.Response()
        try:
            resp.ParseFromString(frame.body)
        except DecodeError as exc:
            raise OpenDError(f"{name}: unreadable reply: {exc}", -400, proto_id=proto_id) from None
        if resp.retType != 0:
            msg = clean_text(resp.retMsg) or f"failed with retType {resp.retType}"  # the server's words, made one safe line
            raise OpenDError(f"{name}: {msg}", resp.retType, resp.errCode, proto_id)
        return resp

    def _send(self, proto_id: int, serial: int, body: bytes) -> None:
        if self._writer is None or self._writer.is_closing():
            raise NotConnected(f"{ids.name_of(proto_id)}: connection is closed", -200, proto_id=proto_id)
        self._writer.write(encode_frame(proto_id, serial, body, self._crypto))

    # -- pushes ------------------------------------------------------------------------

    def on_push(self, proto_id: int, handler: PushHandler) -> Callable[[], None]:
        """Call handler(Response) for every push with this proto ID; returns an unsubscriber."""
        handlers = self._push.setdefault(proto_id, [])
        handlers.append(handler)
        return lambda: handlers.remove(handler) if handler in handlers else None

    def _dispatch_push(self, proto_id: int, body: bytes) -> None:
        handlers = self._push.get(proto_id)
        if not handlers:
            return
        try:
            response = self._push_types.get(proto_id)
            if response is None:
                response = self._push_types[proto_id] = ids.module_for(proto_id).Response
            resp = response()
            resp.ParseFromString(body)
        except (KeyError, DecodeError) as exc:
            self._log_every(f"unreadable {proto_id}", logging.WARNING, "dropped unreadable push %s: %s",
                            ids.name_of(proto_id), exc)
            return
        for handler in handlers if len(handlers) == 1 else tuple(handlers):  # a handler may unsubscribe
            try:
                handler(resp)
            except Exception:
                self._log_every(f"handler {proto_id}", logging.ERROR, "push handler for %s failed",
                                ids.name_of(proto_id), exc_info=True)

    def _log_every(self, key: str, level: int, msg: str, *args, exc_info: bool = False) -> None:
        """A failure that can repeat per push is logged once, then at most once a minute with
        how many were not logged (a flood must not rotate the log files away)."""
        now = time.monotonic()
        last, quiet = self._logged.get(key, (-math.inf, 0))
        if now - last < LOG_EVERY:
            self._logged[key] = (last, quiet + 1)
            return
        self._logged[key] = (now, 0)
        note = f" ({quiet} more since the last report)" if quiet else ""
        log.log(level, msg + note, *args, exc_info=exc_info)

    # -- background tasks --------------------------------------------------------------

    async def _read_loop(self) -> None:
        assert self._reader is not None
        decoder = FrameDecoder(self._crypto, self.max_body)
        loop = asyncio.get_running_loop()
        reason = "connection closed by OpenD"
        try:
            while True:
                data = await self._reader.read(READ_CHUNK)
                if not data:
                    break
                self.last_rx = loop.time()
                decoder.feed(data)
                handled = 0
                for frame in decoder:
                    self._dispatch(frame)
                    handled += 1
                    if handled % YIELD_EVERY == 0:
                        await asyncio.sleep(0)
        except ProtocolError as exc:
            reason = f"corrupt data from OpenD: {exc}"
        except (ConnectionError, OSError) as exc:
            reason = f"connection error: {exc}"
        except asyncio.CancelledError:
            return
        await self._drop(reason)

    def _dispatch(self, frame: Frame) -> None:
        proto_id, serial_no, body, _ = frame  # one unpack: this runs for every frame
        if proto_id in _PUSH_IDS:
            self._dispatch_push(proto_id, body)
            return
        if proto_id == ids.INIT_CONNECT:
            self._on_init_reply(frame)
        future = self._pending.get((proto_id, serial_no))
        if future is not None and not future.done():
            future.set_result(frame)
        elif proto_id != ids.KEEP_ALIVE:
            log.debug("reply nobody waits for: %s serial %d", ids.name_of(proto_id), serial_no)

    async def _keepalive_loop(self) -> None:
        assert self.info is not None
        interval = self.info.keepalive_interval
        loop = asyncio.get_running_loop()
        try:
            while True:
                await asyncio.sleep(0.8 * interval)
                silent = loop.time() - self.last_rx
                if silent > SILENCE_FACTOR * interval:
                    await self._drop(f"no data from OpenD for {silent:.1f} s (keepalive every {interval} s)")
                    return
                body = KeepAlive_pb2.Request(c2s=KeepAlive_pb2.C2S(time=int(time.time()))).SerializeToString()
                self._send(ids.KEEP_ALIVE, self._next_serial(), body)
        except NotConnected:
            return
        except asyncio.CancelledError:
            return

    # -- shutting down -----------------------------------------------------------------

    async def _drop(self, reason: str, final: bool = False) -> None:
        """Tear the connection down once; fail pending calls; report LOST or CLOSED."""
        if self._writer is None:
            return
        writer, self._writer = self._writer, None
        current = asyncio.current_task()
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            if task is not current:
                task.cancel()
        writer.close()
        try:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(1.0):
                    await writer.wait_closed()
            others = [task for task in tasks if task is not current]
            if others:
                await asyncio.wait(others)  # a cancel of this task still goes through
        finally:  # cancelled or not, the callers and the owner learn of the end
            error = ConnectionLost(f"connection lost: {reason}", -200)
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(error)
            self._pending.clear()
            self._crypto.aes = None
            if self._lost is not None:
                self._lost.set()
            self._set_state(ConnState.CLOSED if final else ConnState.LOST, reason)

    async def close(self) -> None:
        """Close for good: no reconnect after this."""
        self._closing = True
        if self._writer is None:
            if self._lost is not None:
                self._lost.set()
            if self._state is not ConnState.CLOSED:
                self._set_state(ConnState.CLOSED, "closed")
            return
        await self._drop("closed by the user", final=True)
