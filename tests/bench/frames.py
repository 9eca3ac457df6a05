"""Deterministic push frames for benchmarks: basic quotes, 10-level books, tickers."""

from __future__ import annotations

import random
import time

from protocol import ids
from protocol.frame import BodyCrypto, encode_frame
from protocol.proto import Qot_UpdateBasicQot_pb2, Qot_UpdateOrderBook_pb2, Qot_UpdateTicker_pb2

CODES = [f"{i:05d}" for i in range(700, 750)]  # 50 HK codes


def _stamp(t: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(t)) + f".{int(t * 1000) % 1000:03d}"


def basic_quote(rng: random.Random, code: str, price: float, t: float) -> bytes:
    resp = Qot_UpdateBasicQot_pb2.Response(retType=0)
    q = resp.s2c.basicQotList.add()
    q.security.market, q.security.code = 1, code
    q.name = "TENCENT"
    q.isSuspended, q.listTime, q.priceSpread = False, "2004-06-16", 0.2
    q.updateTime, q.updateTimestamp = _stamp(t), t
    q.highPrice, q.openPrice, q.lowPrice, q.curPrice = price * 1.01, price * 0.995, price * 0.99, price
    q.lastClosePrice = price * 0.998
    q.volume, q.turnover = rng.randrange(10**6, 10**8), price * rng.randrange(10**6, 10**8)
    q.turnoverRate, q.amplitude = rng.random(), rng.random() * 3
    q.darkStatus, q.secStatus = 0, 1
    return resp.SerializeToString()


def order_book(rng: random.Random, code: str, price: float, t: float) -> bytes:
    resp = Qot_UpdateOrderBook_pb2.Response(retType=0)
    s = resp.s2c
    s.security.market, s.security.code = 1, code
    s.name = "TENCENT"
    for side, sign in ((s.orderBookBidList, -1), (s.orderBookAskList, 1)):
        for level in range(10):
            ob = side.add()
            ob.price = round(price + sign * 0.2 * (level + 1), 3)
            ob.volume = rng.randrange(100, 200_000, 100)
            ob.orederCount = rng.randrange(1, 60)
    s.svrRecvTimeBid = s.svrRecvTimeAsk = _stamp(t)
    s.svrRecvTimeBidTimestamp = s.svrRecvTimeAskTimestamp = t
    return resp.SerializeToString()


def ticker(rng: random.Random, code: str, price: float, t: float, seq: int) -> bytes:
    resp = Qot_UpdateTicker_pb2.Response(retType=0)
    s = resp.s2c
    s.security.market, s.security.code = 1, code
    s.name = "TENCENT"
    for i in range(rng.randrange(1, 4)):
        tk = s.tickerList.add()
        tk.time, tk.timestamp = _stamp(t), t
        tk.sequence = seq + i
        tk.dir = rng.choice((1, 2, 3))
        tk.price = price
        tk.volume = rng.randrange(100, 20_000, 100)
        tk.turnover = tk.price * tk.volume
        tk.recvTime = t
        tk.type, tk.typeSign, tk.pushDataType = 1, 0, 1
    return resp.SerializeToString()


def push_bodies(n: int, seed: int = 7) -> list[tuple[int, bytes]]:
    """n (proto_id, body) pairs cycling quote / book / ticker over 50 codes."""
    rng = random.Random(seed)
    prices = {c: rng.uniform(20, 500) for c in CODES}
    t = 1_795_000_000.0
    out = []
    for i in range(n):
        code = CODES[i % len(CODES)]
        prices[code] = max(1.0, prices[code] + rng.choice((-0.2, 0, 0.2)))
        t += 0.0005
        kind = i % 3
        if kind == 0:
            out.append((ids.QOT_UPDATE_BASIC_QOT, basic_quote(rng, code, prices[code], t)))
        elif kind == 1:
            out.append((ids.QOT_UPDATE_ORDER_BOOK, order_book(rng, code, prices[code], t)))
        else:
            out.append((ids.QOT_UPDATE_TICKER, ticker(rng, code, prices[code], t, i * 4)))
    return out


def wire_stream(bodies: list[tuple[int, bytes]], crypto: BodyCrypto | None = None) -> bytes:
    return b"".join(encode_frame(pid, i + 1, body, crypto) for i, (pid, body) in enumerate(bodies))


def record_pushes(n: int = 30_000, seed: int = 7, rate: float = 60.0) -> list[tuple[int, bytes]]:
    """Record n quote / book / ticker push bodies from the simulated OpenD over loopback."""
    import asyncio

    from protocol.client import OpenDClient
    from protocol.codes import SUB_ORDER_BOOK, SUB_QUOTE, SUB_TICKER, security
    from protocol.gateway.sim import SimThread
    from protocol.proto import Qot_Sub_pb2

    thread = SimThread(seed=seed, rate=rate)
    port = thread.start()
    wanted = (ids.QOT_UPDATE_BASIC_QOT, ids.QOT_UPDATE_ORDER_BOOK, ids.QOT_UPDATE_TICKER)

    async def record() -> list[tuple[int, bytes]]:
        got: list[tuple[int, bytes]] = []
        done = asyncio.Event()
        client = OpenDClient("127.0.0.1", port)
        await client.connect()
        for pid in wanted:
            def keep(resp, pid=pid) -> None:
                if len(got) < n:
                    got.append((pid, resp.SerializeToString()))
                elif not done.is_set():
                    done.set()
            client.on_push(pid, keep)
        codes = [c for c, inst in thread.sim.market.instruments.items() if not inst.is_index][:50]
        c2s = Qot_Sub_pb2.C2S(subTypeList=[SUB_QUOTE, SUB_ORDER_BOOK, SUB_TICKER], isSubOrUnSub=True,
                              isRegOrUnRegPush=True, isFirstPush=False)
        for code in codes:
            market, symbol = security(code)
            c2s.securityList.add(market=market, code=symbol)
        await client.request(ids.QOT_SUB, c2s)
        await asyncio.wait_for(done.wait(), 120)
        await client.close()
        return got

    try:
        return asyncio.run(record())
    finally:
        thread.stop()


def cycle(bodies: list[tuple[int, bytes]], n: int) -> list[tuple[int, bytes]]:
    return [bodies[i % len(bodies)] for i in range(n)]
