"""The simulated OpenD sends a new push subscriber its cached data before any live push.

A first push is sent once the registration's reply is out; a market step that runs in
between must not reach the new subscriber first. With a market step every millisecond
most registrations meet one (before the fix, about one in thirty saw REALTIME first).
"""

from __future__ import annotations

import asyncio

from protocol import ids
from protocol.client import OpenDClient
from protocol.gateway.sim import SimThread
from protocol.proto import Qot_Common_pb2, Qot_RegQotPush_pb2, Qot_Sub_pb2

TICKER = 4
PUSH_CACHE = 3  # Qot_Common.PushDataType
ROUNDS = 200


async def test_first_ticker_push_after_registering_is_the_cached_one():
    runner = SimThread(seed=11, rate=50.0, tick_ms=1)
    runner.start()
    client = OpenDClient("127.0.0.1", runner.sim.port)
    try:
        await client.connect()
        first: list[int] = []
        waiting = asyncio.Event()

        def on_ticker(resp) -> None:
            if waiting.is_set():
                waiting.clear()
                first.append(resp.s2c.tickerList[0].pushDataType)

        client.on_push(ids.QOT_UPDATE_TICKER, on_ticker)
        sec = [Qot_Common_pb2.Security(market=22, code="000858")]  # SZ.000858
        await client.request(ids.QOT_SUB, Qot_Sub_pb2.C2S(securityList=sec, subTypeList=[TICKER], isSubOrUnSub=True,
                                                          isRegOrUnRegPush=True))
        for _ in range(ROUNDS):
            # Pushes sent before the reply to the unregistration arrive before it: none is counted.
            await client.request(ids.QOT_REG_QOT_PUSH, Qot_RegQotPush_pb2.C2S(
                securityList=sec, subTypeList=[TICKER], isRegOrUnReg=False))
            waiting.set()
            await client.request(ids.QOT_REG_QOT_PUSH, Qot_RegQotPush_pb2.C2S(
                securityList=sec, subTypeList=[TICKER], isRegOrUnReg=True))
            async with asyncio.timeout(10):
                while waiting.is_set():
                    await asyncio.sleep(0.001)  # poll: the wait ends on the first ticker push
        assert len(first) == ROUNDS
        realtime = [i for i, kind in enumerate(first) if kind != PUSH_CACHE]
        assert not realtime, f"a live push came before the cached first push in rounds {realtime}"
    finally:
        await client.close()
        runner.stop()
