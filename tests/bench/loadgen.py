"""A simulated OpenD in its own process that sends pushes on command, for the app benchmarks.

    python -m tests.bench.loadgen [--seed 7] [--no-limits]

The full Simulator (every request the app makes is answered as usual), started with its
market paused so that the only pushes are the ones commanded here. It prints
`port N`, then reads one JSON command per line on stdin and answers one JSON line on
stdout. Running it in another process keeps its CPU and GIL out of the app's figures.

Commands (every push goes to every initialised session):
  {"op": "sessions"}                      how many clients have completed InitConnect
  {"op": "burst", "codes": [...], "n": N} N Qot_UpdateBasicQot pushes round-robin over codes,
                                          serialised beforehand, written as fast as the
                                          socket takes them; answers the monotonic times of the
                                          first write, the last write and the moment the last
                                          byte left the user-space buffer ("sent")
  {"op": "stream", "codes": [...], "rate": R, "seconds": S, ...}
                                          R pushes/s for S seconds, written every 2 ms; quote
                                          k of a code (k = 1, 2, ...) carries the price
                                          base + k * step, so the receiver can tell which push
                                          a cell shows; answers the send time of every batch

Quote push i (0-based) goes to code i % len(codes) and is that code's k = i // len(codes) + 1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import random
import sys
import time

from protocol import ids
from protocol.codes import security
from protocol.gateway.sim import Simulator
from protocol.proto import (
    Qot_Common_pb2,
    Qot_UpdateBasicQot_pb2,
    Qot_UpdateKL_pb2,
    Qot_UpdateOrderBook_pb2,
    Qot_UpdateTicker_pb2,
)

BASE, STEP = 5000.0, 0.01
TICK_S = 0.002


def price_of(k: int, base: float = BASE, step: float = STEP) -> float:
    return round(base + k * step, 2)


def quote_body(code: str, k: int, base: float = BASE, step: float = STEP) -> bytes:
    market, symbol = security(code)
    price = price_of(k, base, step)
    resp = Qot_UpdateBasicQot_pb2.Response(retType=0)
    resp.s2c.basicQotList.add(
        security=Qot_Common_pb2.Security(market=market, code=symbol), isSuspended=False, listTime="2000-01-01",
        priceSpread=0.01, updateTime=time.strftime("%Y-%m-%d %H:%M:%S.000"), highPrice=price + 1, openPrice=base,
        lowPrice=base - 1, curPrice=price, lastClosePrice=base, volume=1000 * k, turnover=1000.0 * k * price,
        turnoverRate=0.1, amplitude=1.0,
    )
    return resp.SerializeToString()


def book_body(code: str, k: int, rng: random.Random, base: float = BASE, step: float = STEP) -> bytes:
    market, symbol = security(code)
    price = price_of(k, base, step)
    resp = Qot_UpdateOrderBook_pb2.Response(retType=0)
    s = resp.s2c
    s.security.market, s.security.code = market, symbol
    for side, sign in ((s.orderBookBidList, -1), (s.orderBookAskList, 1)):
        for level in range(10):
            side.add(price=round(price + sign * step * (level + 1), 2), volume=rng.randrange(100, 200_000, 100),
                     orederCount=rng.randrange(1, 60))
    s.svrRecvTimeBid = s.svrRecvTimeAsk = time.strftime("%Y-%m-%d %H:%M:%S.000")
    return resp.SerializeToString()


def ticker_body(code: str, seq: int, rng: random.Random, base: float = BASE) -> tuple[bytes, int]:
    market, symbol = security(code)
    resp = Qot_UpdateTicker_pb2.Response(retType=0)
    s = resp.s2c
    s.security.market, s.security.code = market, symbol
    now = time.time()
    for _ in range(rng.randrange(1, 4)):
        seq += 1
        vol = rng.randrange(100, 20_000, 100)
        s.tickerList.add(time=time.strftime("%Y-%m-%d %H:%M:%S.000"), sequence=seq, dir=rng.choice((1, 2, 3)),
                         price=base, volume=vol, turnover=base * vol, recvTime=now, timestamp=now, type=1)
    return resp.SerializeToString(), seq


def kl_body(code: str, kl_type: int, n: int, base: float = BASE) -> bytes:
    """A new bar every push: bar n is n minutes after 2030-01-01 (later than any history bar;
    the label only has to grow, whatever the period)."""
    market, symbol = security(code)
    resp = Qot_UpdateKL_pb2.Response(retType=0)
    s = resp.s2c
    s.rehabType, s.klType = 1, kl_type
    s.security.market, s.security.code = market, symbol
    t = 1_893_456_000 + 60 * n
    s.klList.add(time=time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(t)), isBlank=False, highPrice=base + 1,
                 openPrice=base, lowPrice=base - 1, closePrice=base, lastClosePrice=base, volume=1000 * n,
                 turnover=1000.0 * n * base, timestamp=t)
    return resp.SerializeToString()


class LoadGen:
    def __init__(self, sim: Simulator) -> None:
        self.sim = sim

    def sessions(self) -> list:
        return [s for s in self.sim.gateway.sessions.values() if s.initialized and not s.closed]

    def _send(self, items: list[tuple[int, bytes]]) -> None:
        for session in self.sessions():
            session.push_bodies(items)

    def _buffered(self) -> int:
        return sum(s.writer.transport.get_write_buffer_size() for s in self.sessions())

    async def burst(self, codes: list[str], n: int, chunk: int = 1000, base: float = BASE, step: float = STEP) -> dict:
        m = len(codes)
        bodies = [(ids.QOT_UPDATE_BASIC_QOT, quote_body(codes[i % m], i // m + 1, base, step)) for i in range(n)]
        t_first = time.monotonic()
        for i in range(0, n, chunk):
            self._send(bodies[i:i + chunk])
        t_last_write = time.monotonic()
        while self._buffered():
            await asyncio.sleep(0.0002)
        t_sent = time.monotonic()
        # code j's last push is the largest i < n with i % m == j
        final = {codes[j]: price_of(((n - 1 - j) // m) + 1, base, step) for j in range(min(m, n))}
        return {"t_first": t_first, "t_last_write": t_last_write, "t_sent": t_sent, "final": final, "n": n,
                "bytes": sum(len(b) + 44 for _, b in bodies)}

    async def stream(self, codes: list[str], rate: float, seconds: float, base: float = BASE, step: float = STEP,
                     books: float = 0.0, focus: str | None = None, tickers: float = 0.0, klines: float = 0.0,
                     kl_type: int = 1, record: bool = True) -> dict:
        """`rate` quote pushes/s round-robin over codes, plus `books` order-book pushes/s over
        the same codes and `tickers` / `klines` pushes/s for the focus code."""
        rng = random.Random(5)
        m = len(codes)
        counts = {"quote": 0, "book": 0, "ticker": 0, "kline": 0}
        batches: list[tuple[int, int, float]] = []  # (first quote index, count, monotonic send time)
        seq = 0
        late = 0.0
        t0 = time.monotonic()
        end = t0 + seconds
        while True:
            now = time.monotonic()
            if now >= end:
                break
            el = now - t0
            items: list[tuple[int, bytes]] = []
            first = counts["quote"]
            due = int(el * rate) - counts["quote"]
            for i in range(first, first + due):
                items.append((ids.QOT_UPDATE_BASIC_QOT, quote_body(codes[i % m], i // m + 1, base, step)))
            counts["quote"] += due
            for _ in range(int(el * books) - counts["book"]):
                b = counts["book"]
                items.append((ids.QOT_UPDATE_ORDER_BOOK, book_body(codes[b % m], b // m + 1, rng, base, step)))
                counts["book"] += 1
            if focus:
                for _ in range(int(el * tickers) - counts["ticker"]):
                    body, seq = ticker_body(focus, seq, rng, base)
                    items.append((ids.QOT_UPDATE_TICKER, body))
                    counts["ticker"] += 1
                for _ in range(int(el * klines) - counts["kline"]):
                    counts["kline"] += 1
                    items.append((ids.QOT_UPDATE_KL, kl_body(focus, kl_type, counts["kline"], base)))
            if items:
                self._send(items)
                sent = time.monotonic()
                late = max(late, sent - now)
                if record and due:
                    batches.append((first, due, sent))
            await asyncio.sleep(TICK_S)
        return {"t0": t0, "seconds": time.monotonic() - t0, "counts": counts, "batches": batches,
                "max_batch_build_s": late, "buffered": self._buffered(), "sessions": len(self.sessions())}


async def serve(args) -> None:
    sim = Simulator(host="127.0.0.1", port=0, seed=args.seed, quota=args.quota, paused=True)
    await sim.start()
    if args.no_limits:
        sim.trade.limits_enabled = False
        if hasattr(sim.quotes, "limits_enabled"):
            sim.quotes.limits_enabled = False
    if args.resume:
        sim.resume()
    gen = LoadGen(sim)
    print(f"port {sim.port}", flush=True)
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            break
        cmd = json.loads(line)
        op = cmd.pop("op")
        if op == "sessions":
            out = {"sessions": len(gen.sessions())}
        elif op == "burst":
            out = await gen.burst(**cmd)
        elif op == "stream":
            out = await gen.stream(**cmd)
        elif op == "quit":
            break
        else:
            out = {"error": f"unknown op {op}"}
        print(json.dumps(out), flush=True)
    await sim.stop()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--quota", type=int, default=1000)
    p.add_argument("--no-limits", action="store_true", help="switch off the simulator's per-call rate limits")
    p.add_argument("--resume", action="store_true", help="let the simulated market run (its own pushes too)")
    args = p.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    asyncio.run(serve(args))


if __name__ == "__main__":
    main()
