"""Our asyncio client against the gateway over real loopback sockets."""

from __future__ import annotations

import asyncio
import time

import pytest

from protocol import ids
from protocol.client import ConnState, NotConnected, OpenDClient, OpenDError, RequestTimeout
from protocol.crypto import RsaCipher
from protocol.frame import FrameDecoder, encode_frame
from protocol.gateway.server import Gateway, ServiceError
from protocol.proto import (
    GetGlobalState_pb2,
    InitConnect_pb2,
    KeepAlive_pb2,
    Qot_Common_pb2,
    Qot_UpdateBasicQot_pb2,
    Trd_GetAccList_pb2,
    Trd_PlaceOrder_pb2,
)

RSA = RsaCipher.generate()


async def wait_until(predicate, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)  # poll interval: the wait ends on the condition


@pytest.fixture
async def gateway():
    async with Gateway("127.0.0.1", 0) as gw:
        yield gw


async def global_state(client: OpenDClient):
    return await client.request(ids.GET_GLOBAL_STATE, GetGlobalState_pb2.C2S(userID=client.info.login_user_id))


@pytest.mark.parametrize("rsa,aes_mode,expect", [
    (None, "cbc", "none"), (RSA, "cbc", "aes-cbc"), (RSA, "ecb", "ftaes-ecb"),
])
async def test_connect_request_close(rsa, aes_mode, expect):
    states = []
    async with Gateway("127.0.0.1", 0, rsa=rsa) as gw:
        client = OpenDClient("127.0.0.1", gw.port, rsa=rsa, aes_mode=aes_mode, on_state=lambda s, r: states.append(s))
        info = await client.connect()
        assert info.encryption == expect
        assert gw.sessions[info.conn_id].encryption == expect
        s2c = await global_state(client)
        assert s2c.qotLogined and s2c.connID == info.conn_id
        await client.close()
    assert states == [ConnState.CONNECTING, ConnState.READY, ConnState.CLOSED]


async def test_unserved_proto_is_an_error_reply_not_a_timeout(gateway):
    client = OpenDClient("127.0.0.1", gateway.port, request_timeout=10)
    await client.connect()
    t0 = time.monotonic()
    with pytest.raises(OpenDError, match=r"proto ID 3223.*not served") as err:
        await client.request(ids.QOT_GET_MARKET_STATE, None)
    assert time.monotonic() - t0 < 1.0
    assert err.value.ret_type == -1 and not isinstance(err.value, RequestTimeout)
    await global_state(client)  # the connection is still fine
    await client.close()


async def test_request_timeout_then_connection_still_usable(gateway):
    late = asyncio.Event()

    async def slow(session, c2s):
        await late.wait()  # answers only after the client has given up
        return GetGlobalState_pb2.S2C()

    gateway.register(ids.QOT_GET_MARKET_STATE, slow)
    client = OpenDClient("127.0.0.1", gateway.port)
    await client.connect()
    with pytest.raises(RequestTimeout, match="no reply from OpenD within 0.2 s"):
        await client.request(ids.QOT_GET_MARKET_STATE, None, timeout=0.2)
    late.set()
    s2c = await global_state(client)  # the late reply comes first and is dropped, the next one matches
    assert s2c.serverVer > 0
    await client.close()


async def test_service_error_reaches_the_caller(gateway):
    def refuse(session, c2s):
        raise ServiceError("market closed for lunch", -1)

    gateway.register(ids.QOT_GET_MARKET_STATE, refuse)
    client = OpenDClient("127.0.0.1", gateway.port)
    await client.connect()
    with pytest.raises(OpenDError, match="market closed for lunch"):
        await client.request(ids.QOT_GET_MARKET_STATE, None)
    await client.close()


async def test_keepalive_cadence_is_point_eight_of_the_interval():
    seen: list[float] = []
    async with Gateway("127.0.0.1", 0, keepalive_interval=1) as gw:
        original = gw.handlers[ids.KEEP_ALIVE]
        gw.register(ids.KEEP_ALIVE, lambda s, c: (seen.append(time.monotonic()), original(s, c))[1])
        client = OpenDClient("127.0.0.1", gw.port)
        await client.connect()
        await wait_until(lambda: len(seen) >= 3, timeout=5)
        await client.close()
    gaps = [b - a for a, b in zip(seen, seen[1:])]
    assert all(0.5 < g < 1.2 for g in gaps), gaps  # 0.8 s nominal on a noisy machine


async def test_pushes_reach_subscribers(gateway):
    client = OpenDClient("127.0.0.1", gateway.port)
    info = await client.connect()
    got = []
    unsubscribe = client.on_push(ids.QOT_UPDATE_BASIC_QOT, got.append)
    push = Qot_UpdateBasicQot_pb2.Response(retType=0)
    push.s2c.basicQotList.add(
        security=Qot_Common_pb2.Security(market=1, code="00700"), isSuspended=False, listTime="2004-06-16",
        priceSpread=0.2, updateTime="2026-11-20 10:00:00", highPrice=1, openPrice=1, lowPrice=1, curPrice=388.2,
        lastClosePrice=1, volume=1, turnover=1, turnoverRate=0, amplitude=0,
    )
    session = gateway.sessions[info.conn_id]
    session.push(ids.QOT_UPDATE_BASIC_QOT, push)
    await wait_until(lambda: got)
    assert got[0].s2c.basicQotList[0].curPrice == pytest.approx(388.2)
    unsubscribe()
    session.push(ids.QOT_UPDATE_BASIC_QOT, push)
    await global_state(client)  # a round trip: the second push has arrived by now
    assert len(got) == 1
    await client.close()


async def test_trade_requests_carry_packet_id(gateway):
    seen = {}

    def place(session, c2s):
        seen.update(conn=c2s.packetID.connID, serial=c2s.packetID.serialNo, frame_serial=session.serial_no)
        return Trd_PlaceOrder_pb2.S2C(header=c2s.header, orderIDEx="X1")

    gateway.register(ids.TRD_PLACE_ORDER, place)
    client = OpenDClient("127.0.0.1", gateway.port)
    info = await client.connect()
    c2s = Trd_PlaceOrder_pb2.C2S(trdSide=1, orderType=1, code="00700", qty=100, price=388.2)
    c2s.header.trdEnv, c2s.header.accID, c2s.header.trdMarket = 0, 1, 1
    c2s.packetID.connID, c2s.packetID.serialNo = 0, 0  # filled in by the client
    s2c = await client.request(ids.TRD_PLACE_ORDER, c2s)
    assert s2c.orderIDEx == "X1"
    assert seen["conn"] == info.conn_id
    assert seen["serial"] == seen["frame_serial"] > 0
    await client.close()


async def test_trading_refused_on_public_listener_without_rsa():
    async with Gateway("0.0.0.0", 0) as gw:
        client = OpenDClient("127.0.0.1", gw.port)
        info = await client.connect()
        with pytest.raises(OpenDError, match="trading is disabled"):
            await client.request(ids.TRD_GET_ACC_LIST, Trd_GetAccList_pb2.C2S(userID=info.login_user_id))
        await global_state(client)  # quotes still work
        await client.close()
    async with Gateway("0.0.0.0", 0, rsa=RSA) as gw:
        client = OpenDClient("127.0.0.1", gw.port, rsa=RSA)
        info = await client.connect()
        try:
            await client.request(ids.TRD_GET_ACC_LIST, Trd_GetAccList_pb2.C2S(userID=info.login_user_id))
        except OpenDError as exc:  # served or not, it is not refused for being public
            assert "trading is disabled" not in str(exc)
        await client.close()


async def raw_exchange(port: int, data: bytes) -> list:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(data)
    dec = FrameDecoder()
    frames = []
    try:
        while not frames:
            chunk = await asyncio.wait_for(reader.read(4096), 2)
            if not chunk:
                break
            frames += dec.frames(chunk)
    finally:
        writer.close()
    return frames


async def test_requests_before_init_connect_are_refused(gateway):
    body = KeepAlive_pb2.Request(c2s=KeepAlive_pb2.C2S(time=1)).SerializeToString()
    frames = await raw_exchange(gateway.port, encode_frame(ids.KEEP_ALIVE, 5, body))
    resp = KeepAlive_pb2.Response.FromString(frames[0].body)
    assert frames[0].serial_no == 5 and resp.retType != 0
    assert "InitConnect first" in resp.retMsg


async def test_garbage_closes_only_that_connection(gateway):
    client = OpenDClient("127.0.0.1", gateway.port)
    await client.connect()
    reader, writer = await asyncio.open_connection("127.0.0.1", gateway.port)
    writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert await asyncio.wait_for(reader.read(), 2) == b""  # the gateway hung up on it
    writer.close()
    await global_state(client)
    await client.close()


async def test_plain_client_cannot_init_against_rsa_gateway():
    async with Gateway("127.0.0.1", 0, rsa=RSA) as gw:
        client = OpenDClient("127.0.0.1", gw.port, connect_timeout=2)
        with pytest.raises(NotConnected, match="InitConnect failed"):
            await client.connect()
        assert client.state is ConnState.LOST


async def test_unreachable_opend_is_reported():
    client = OpenDClient("127.0.0.1", 1, connect_timeout=2)
    with pytest.raises(NotConnected, match="cannot reach OpenD at 127.0.0.1:1"):
        await client.connect()
    assert client.state is ConnState.LOST


async def test_silent_peer_is_detected():
    """A peer that completes InitConnect and then goes quiet counts as lost."""
    async def serve(reader, writer):
        dec = FrameDecoder()
        while chunk := await reader.read(4096):
            for frame in dec.frames(chunk):
                if frame.proto_id == ids.INIT_CONNECT:
                    s2c = InitConnect_pb2.S2C(serverVer=1, loginUserID=1, connID=9, connAESKey="k" * 16, keepAliveInterval=1)
                    writer.write(encode_frame(frame.proto_id, frame.serial_no,
                                              InitConnect_pb2.Response(retType=0, s2c=s2c).SerializeToString()))

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    states = []
    client = OpenDClient("127.0.0.1", port, on_state=lambda s, r: states.append((s, r)))
    await client.connect()
    await wait_until(lambda: client.state is ConnState.LOST, timeout=20)
    assert "no data from OpenD" in states[-1][1]
    with pytest.raises(NotConnected):
        await client.request(ids.GET_GLOBAL_STATE, GetGlobalState_pb2.C2S(userID=0))
    server.close()
    await client.close()


async def test_pending_requests_fail_fast_when_the_connection_drops(gateway):
    never, arrived = asyncio.Event(), asyncio.Event()

    async def hang(session, c2s):
        arrived.set()
        await never.wait()

    gateway.register(ids.QOT_GET_MARKET_STATE, hang)
    client = OpenDClient("127.0.0.1", gateway.port, request_timeout=30)
    info = await client.connect()
    call = asyncio.create_task(client.request(ids.QOT_GET_MARKET_STATE, None))
    await asyncio.wait_for(arrived.wait(), 3)  # the request is pending at the gateway
    gateway.sessions[info.conn_id].writer.transport.abort()
    with pytest.raises(NotConnected, match="connection lost"):
        await asyncio.wait_for(call, 3)
    assert client.state is ConnState.LOST
    never.set()
    await client.close()


async def test_run_reconnects_after_the_gateway_restarts():
    gw = Gateway("127.0.0.1", 0)
    await gw.start()
    port = gw.port
    ready_calls = []

    async def on_ready():
        ready_calls.append(client.info.conn_id)

    client = OpenDClient("127.0.0.1", port, on_ready=on_ready, backoff=(0.05, 0.2))
    runner = asyncio.create_task(client.run())
    await wait_until(lambda: len(ready_calls) == 1)
    await gw.stop()
    await wait_until(lambda: client.state is not ConnState.READY)
    gw = Gateway("127.0.0.1", port)
    await gw.start()
    await wait_until(lambda: len(ready_calls) == 2)
    await global_state(client)
    await client.close()
    await asyncio.wait_for(runner, 2)
    await gw.stop()
    assert client.state is ConnState.CLOSED


async def test_a_cancelled_request_ends_cancelled_in_every_loop_pass(gateway):
    """A caller that stops waiting (a worker shutting down) gets CancelledError, never the reply.

    The gateway shares this loop, so the reply reaches the client a fixed number of passes after
    the request; cancelling at each pass in turn also cancels after the reply has arrived but
    before the request resumed. asyncio.wait_for (Python 3.11) returned the reply there and the
    cancel was lost: a stopping worker went on to wait forever.
    """
    client = OpenDClient("127.0.0.1", gateway.port)
    await client.connect()
    try:
        late = 0
        for passes in range(40):
            task = asyncio.create_task(global_state(client))
            for _ in range(passes):
                await asyncio.sleep(0)
            if not task.cancel():
                late += 1  # it had finished: the reply came first
                assert task.result().connID == client.info.conn_id
                continue
            with pytest.raises(asyncio.CancelledError):
                await task
        assert late > 0, "40 passes were not enough for a reply: the test covered nothing"
        assert (await global_state(client)).connID == client.info.conn_id  # the link is still good
    finally:
        await client.close()
