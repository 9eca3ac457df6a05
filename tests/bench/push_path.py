"""Push path: our decode + apply-to-store per push, next to the SDK's decode + handler.

    python -m tests.bench.push_path [--frames 5000] [--repeats 3]

The same recorded frames go through three paths, per push kind (basic quote, 10-level
book, ticker, 1-minute K-line, order update), each in 128 KiB reads as off a socket:

  futu-tui   FrameDecoder (header, SHA-1) -> OpenDClient's push dispatch (Response
             ParseFromString) -> the Feed's handler -> Store.apply_* (the live product path;
             only the socket read and the event loop are missing)
  SDK        its receive loop body: `parse_rsp` (head, SHA-1, ParseFromString), `del buf[:n]`,
             then `HandlerContext.recv_func` -> XxxHandlerBase.on_recv_rsp through a trivial
             subclass that only calls super (the minimum any SDK user pays per push)
  bare       Response().ParseFromString(body) and nothing else: the floor

Frames are recorded from the simulated OpenD over loopback (50 codes subscribed to quote,
book, ticker and K_1M; orders placed and cancelled on the HK paper account). Goals (issue
6), for basic quotes: at least 30x the SDK, and within 10x of bare ParseFromString.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from protocol import ids
from protocol.client import OpenDClient
from protocol.codes import KL_SUBTYPES, SUB_ORDER_BOOK, SUB_QUOTE, SUB_TICKER, security
from protocol.frame import FrameDecoder
from protocol import markets
from protocol.gateway.sim import SimThread
from protocol.proto import (
    Qot_Sub_pb2,
    Trd_Common_pb2,
    Trd_GetAccList_pb2,
    Trd_ModifyOrder_pb2,
    Trd_SubAccPush_pb2,
)
from tests.bench.frames import cycle, wire_stream
from workstation.journal import Journal
from workstation.orders import Ticket, to_c2s
from workstation.store import Store

CHUNK = 128 * 1024
KINDS = (  # label, proto ID, SDK handler base class name
    ("basic quote", ids.QOT_UPDATE_BASIC_QOT, "StockQuoteHandlerBase"),
    ("order book", ids.QOT_UPDATE_ORDER_BOOK, "OrderBookHandlerBase"),
    ("ticker", ids.QOT_UPDATE_TICKER, "TickerHandlerBase"),
    ("K-line 1m", ids.QOT_UPDATE_KL, "CurKlineHandlerBase"),
    ("order", ids.TRD_UPDATE_ORDER, "TradeOrderHandlerBase"),
)
HK_SIM = 3450309  # the simulator's HK paper account


# -- recording -------------------------------------------------------------------------


def record(n: int, orders: int = 120, seed: int = 7, rate: float = 60.0) -> dict[int, list[bytes]]:
    """Up to n distinct push bodies per kind from the simulated OpenD (orders: as many as
    `orders` place + cancel cycles give)."""
    thread = SimThread(seed=seed, rate=rate)
    port = thread.start()
    thread.call(setattr, thread.sim.trade, "limits_enabled", False)  # we place orders back to back
    kl_sub = KL_SUBTYPES["1m"][0]
    quote_kinds = (ids.QOT_UPDATE_BASIC_QOT, ids.QOT_UPDATE_ORDER_BOOK, ids.QOT_UPDATE_TICKER, ids.QOT_UPDATE_KL)
    codes = [c for c, inst in thread.sim.market.instruments.items() if not inst.is_index][:50]
    prices = {c: thread.call(thread.sim.market.last_price, c) for c in codes if c.startswith("HK.")}

    async def run() -> dict[int, list[bytes]]:
        got: dict[int, list[bytes]] = {pid: [] for _, pid, _ in KINDS}
        client = OpenDClient("127.0.0.1", port)
        info = await client.connect()
        for pid, bucket in got.items():
            client.on_push(pid, lambda resp, b=bucket: len(b) < n and b.append(resp.SerializeToString()))
        # orders first, while the quote pushes are not yet flowing
        await client.request(ids.TRD_GET_ACC_LIST, Trd_GetAccList_pb2.C2S(userID=info.login_user_id))
        await client.request(ids.TRD_SUB_ACC_PUSH, Trd_SubAccPush_pb2.C2S(accIDList=[HK_SIM]))
        header = Trd_Common_pb2.TrdHeader(trdEnv=0, accID=HK_SIM, trdMarket=1)
        hk = list(prices)
        for i in range(orders):
            code = hk[i % len(hk)]
            lot = thread.sim.market.instruments[code].lot_size
            price = markets.round_to_tick("HK", prices[code] * (0.92 + 0.0005 * (i % 20)), False)
            placed = await client.request(ids.TRD_PLACE_ORDER, to_c2s(Ticket(code, 1, lot, price, acc_id=HK_SIM), header))
            await client.request(ids.TRD_MODIFY_ORDER, Trd_ModifyOrder_pb2.C2S(
                header=header, orderID=placed.orderID, modifyOrderOp=2, qty=0, price=0))
        c2s = Qot_Sub_pb2.C2S(subTypeList=[SUB_QUOTE, SUB_ORDER_BOOK, SUB_TICKER, kl_sub], isSubOrUnSub=True,
                              isRegOrUnRegPush=True, isFirstPush=False)
        for code in codes:
            market, symbol = security(code)
            c2s.securityList.add(market=market, code=symbol)
        await client.request(ids.QOT_SUB, c2s)
        deadline = time.monotonic() + 180
        while any(len(got[pid]) < n for pid in quote_kinds) and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        await client.close()
        return got

    try:
        return asyncio.run(run())
    finally:
        thread.stop()


# -- the three paths -------------------------------------------------------------------


def chunks(data: bytes) -> list[bytes]:
    return [data[i:i + CHUNK] for i in range(0, len(data), CHUNK)]


def make_feed():
    """A real Feed on an unconnected client: the push handlers are the product's own."""
    from workstation.feed import Feed
    from workstation.trading import Account

    client = OpenDClient("127.0.0.1", 1)
    posted: list[object] = []
    feed = Feed(client, Store(), posted.append, Journal(Path(tempfile.mkdtemp(prefix="bench-journal-"))))
    # Order pushes count only for the accounts on screen: the HK paper account, as after start-up.
    acc = Account(Trd_Common_pb2.TrdAcc(trdEnv=0, accID=HK_SIM, trdMarketAuthList=[1]))
    feed.trading.accounts.all, feed.trading.accounts.active = [acc], acc
    return client, feed, posted


def ours(stream: list[bytes], expected: int) -> float:
    client, feed, posted = make_feed()
    dispatch = client._dispatch  # the read loop's per-frame call
    dec = FrameDecoder()
    t0 = time.perf_counter()
    n = 0
    for chunk in stream:
        dec.feed(chunk)
        for frame in dec:
            dispatch(frame)
            n += 1
    elapsed = time.perf_counter() - t0
    assert n == expected and feed.store.pushes + len(posted) >= expected, (n, feed.store.pushes, len(posted))
    return elapsed


def sdk_context():
    import futu
    from futu.common.handler_context import HandlerContext

    ctx = HandlerContext(lambda: True)
    for _, _, base_name in KINDS:
        base = getattr(futu, base_name)

        def on_recv_rsp(self, rsp_pb, _base=base):
            return _base.on_recv_rsp(self, rsp_pb)  # a user's handler that does nothing of its own

        ctx.set_handler(type(f"Bench{base_name}", (base,), {"on_recv_rsp": on_recv_rsp})())
    return ctx


def sdk(stream: list[bytes], expected: int) -> float:
    from futu.common.utils import ParseRspErr, parse_rsp

    ctx = sdk_context()
    recv = ctx.recv_func
    buf = bytearray()
    n = 0
    t0 = time.perf_counter()
    for chunk in stream:
        buf.extend(chunk)
        while True:
            result = parse_rsp(buf, 4242, False)
            if result.err == ParseRspErr.NOT_ENOUGH_DATA:
                break
            del buf[:result.total_len]
            recv(result.rsp_pb, result.head_dict["proto_id"])
            n += 1
    elapsed = time.perf_counter() - t0
    assert n == expected, (n, expected)
    return elapsed


def bare(bodies: list[tuple[int, bytes]], expected: int) -> float:
    cls = ids.module_for(bodies[0][0]).Response
    t0 = time.perf_counter()
    for _, body in bodies:
        cls().ParseFromString(body)
    return time.perf_counter() - t0


def best(fn, data, n: int, repeats: int) -> float:
    """Best of `repeats` runs, in microseconds per push."""
    return min(fn(data, n) for _ in range(repeats)) / n * 1e6


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=5000, help="pushes per kind (default 5000)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    import futu  # noqa: F401  (import cost outside the timings)
    import pandas  # noqa: F401
    recorded = record(args.frames)
    print(f"{args.frames} pushes per kind, recorded from the simulator; best of {args.repeats}; µs per push")
    print(f"{'kind':<12} {'distinct':>8} {'body B':>7} {'futu-tui':>9} {'SDK':>9} {'SDK/ours':>9} "
          f"{'bare parse':>10} {'ours/bare':>9}")
    verdict = ""
    for label, pid, _ in KINDS:
        distinct = recorded[pid]
        if not distinct:
            print(f"{label:<12} nothing recorded")
            continue
        bodies = cycle([(pid, b) for b in distinct], args.frames)
        stream = chunks(wire_stream(bodies))
        mine = best(ours, stream, args.frames, args.repeats)
        theirs = best(sdk, stream, args.frames, args.repeats)
        floor = best(bare, bodies, args.frames, args.repeats)
        size = sum(len(b) for _, b in bodies) / len(bodies)
        print(f"{label:<12} {len(distinct):>8} {size:>7.0f} {mine:>9.2f} {theirs:>9.1f} {theirs / mine:>8.0f}x "
              f"{floor:>10.2f} {mine / floor:>8.1f}x")
        if pid == ids.QOT_UPDATE_BASIC_QOT:
            verdict = (f"goals, basic quote: >= 30x the SDK: {'met' if theirs / mine >= 30 else 'MISSED'} "
                       f"({theirs / mine:.0f}x); within 10x of bare ParseFromString: "
                       f"{'met' if mine / floor <= 10 else 'MISSED'} ({mine / floor:.1f}x)")
    print(verdict)


if __name__ == "__main__":
    main()
