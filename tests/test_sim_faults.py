"""`sim.faults`: dropped connections, delayed replies, corrupt frames, rejected orders."""

from __future__ import annotations

import asyncio
import time

import pytest

from protocol import ids
from protocol.client import ConnState, OpenDClient, OpenDError
from protocol.gateway.sim import Simulator
from protocol.proto import GetGlobalState_pb2, KeepAlive_pb2, Trd_Common_pb2, Trd_GetOrderList_pb2, Trd_PlaceOrder_pb2

HK_SIM = 3450309


@pytest.fixture
async def sim():
    async with Simulator(port=0, seed=3) as simulator:
        yield simulator


@pytest.fixture
async def client(sim):
    c = OpenDClient("127.0.0.1", sim.port)
    await c.connect()
    yield c
    await c.close()


async def wait_for(predicate, timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)  # poll interval: the wait ends on the condition


def global_state() -> GetGlobalState_pb2.C2S:
    return GetGlobalState_pb2.C2S(userID=0)


def place(sim: Simulator) -> Trd_PlaceOrder_pb2.C2S:
    price = sim.market.last_price("HK.00700")
    c2s = Trd_PlaceOrder_pb2.C2S(trdSide=1, orderType=1, code="00700", qty=100, price=price, secMarket=1)
    c2s.header.CopyFrom(Trd_Common_pb2.TrdHeader(trdEnv=0, accID=HK_SIM, trdMarket=1))
    c2s.packetID.connID, c2s.packetID.serialNo = 0, 0
    return c2s


async def test_delay_next_replies(sim, client):
    sim.faults.delay(0.3, count=1)
    t0 = time.monotonic()
    await client.request(ids.GET_GLOBAL_STATE, global_state())
    assert time.monotonic() - t0 >= 0.3
    t0 = time.monotonic()
    await client.request(ids.GET_GLOBAL_STATE, global_state())
    assert time.monotonic() - t0 < 0.2  # only the next one was held back


async def test_delay_one_proto_until_cleared(sim, client):
    sim.faults.delay(5.0, proto_id=ids.GET_GLOBAL_STATE)
    with pytest.raises(OpenDError, match="no reply from OpenD within 0.3 s"):
        await client.request(ids.GET_GLOBAL_STATE, global_state(), timeout=0.3)
    await client.request(ids.KEEP_ALIVE, KeepAlive_pb2.C2S(time=int(time.time())))  # others are not held back
    sim.faults.clear()
    await client.request(ids.GET_GLOBAL_STATE, global_state(), timeout=1.0)


async def test_drop_one_connection(sim, client):
    other = OpenDClient("127.0.0.1", sim.port)
    await other.connect()
    try:
        assert sim.faults.drop(client.info.conn_id) == 1
        await wait_for(lambda: client.state is ConnState.LOST)
        await other.request(ids.GET_GLOBAL_STATE, global_state())  # the other one lives on
    finally:
        await other.close()


async def test_corrupt_frame_breaks_the_connection(sim, client):
    assert sim.faults.corrupt() == 1
    reasons: list[str] = []
    client.on_state = lambda state, reason: reasons.append(reason)
    await wait_for(lambda: client.state is ConnState.LOST)
    assert "corrupt data from OpenD" in reasons[-1] and "SHA" in reasons[-1].upper()


async def test_reject_next_order(sim, client):
    sim.faults.reject_next_order("risk control: order refused")
    with pytest.raises(OpenDError, match="risk control: order refused"):
        await client.request(ids.TRD_PLACE_ORDER, place(sim))
    sim.faults.reject_next_order("exchange rejected the order", failed=True)
    s2c = await client.request(ids.TRD_PLACE_ORDER, place(sim))
    query = Trd_GetOrderList_pb2.C2S()
    query.header.CopyFrom(Trd_Common_pb2.TrdHeader(trdEnv=0, accID=HK_SIM, trdMarket=1))
    query.filterConditions.orderIDExList.append(s2c.orderIDEx)
    (order,) = (await client.request(ids.TRD_GET_ORDER_LIST, query)).orderList
    assert order.orderStatus == 21 and order.lastErrMsg == "exchange rejected the order"  # FAILED
    s2c = await client.request(ids.TRD_PLACE_ORDER, place(sim))  # the fault was one-shot
    assert s2c.orderIDEx
