"""How many pushes per second the simulated OpenD sustains to one subscribed client.

    python -m tests.bench.sim_push [--rate 60] [--seconds 5]

Starts `futu-opend-sim` as a subprocess (its own CPU), connects our OpenDClient, subscribes
every instrument to every SubType it has (quote, book, ticker, time share, broker queue
and all fifteen K-line types) with pushes on, then counts the pushes that arrive.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import time

from protocol import ids
from protocol.client import OpenDClient
from protocol.gateway.instruments import QOT_MARKET, UNIVERSE
from protocol.proto import Qot_Common_pb2, Qot_Sub_pb2
from tests.conftest import SimProcess

SUBTYPES = [1, 2, 4, 5] + [6, 7, 8, 9, 10, 11, 12, 13, 15, 16, 17, 18, 19, 20, 21]
PUSHES = [ids.QOT_UPDATE_BASIC_QOT, ids.QOT_UPDATE_ORDER_BOOK, ids.QOT_UPDATE_TICKER, ids.QOT_UPDATE_RT,
          ids.QOT_UPDATE_KL, ids.QOT_UPDATE_BROKER]


async def measure(port: int, seconds: float) -> tuple[float, dict[str, int]]:
    client = OpenDClient("127.0.0.1", port)
    await client.connect()
    counts: collections.Counter[str] = collections.Counter()
    for pid in PUSHES:
        client.on_push(pid, lambda resp, name=ids.name_of(pid): counts.update((name,)))
    for inst in UNIVERSE:
        sec = Qot_Common_pb2.Security(market=QOT_MARKET[inst.market], code=inst.symbol)
        subtypes = SUBTYPES + ([14] if inst.market == "HK" and not inst.is_index else [])
        await client.request(ids.QOT_SUB, Qot_Sub_pb2.C2S(
            securityList=[sec], subTypeList=subtypes, isSubOrUnSub=True, isRegOrUnRegPush=True, isFirstPush=False))
    await asyncio.sleep(1.0)  # let the first bursts settle
    counts.clear()
    t0 = time.perf_counter()
    await asyncio.sleep(seconds)
    elapsed = time.perf_counter() - t0
    snapshot = dict(counts)
    await client.close()
    return sum(snapshot.values()) / elapsed, snapshot


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rate", type=float, default=60.0, help="market tick-rate scale (default 60)")
    p.add_argument("--seconds", type=float, default=5.0, help="measuring time (default 5)")
    args = p.parse_args()
    sim = SimProcess("--rate", str(args.rate), "--quota", "5000")
    try:
        per_s, counts = asyncio.run(measure(sim.port, args.seconds))
    finally:
        sim.stop()
    print(f"simulated OpenD at --rate {args.rate:g}: {per_s:,.0f} pushes/s to one client over {args.seconds:g} s")
    for name, n in sorted(counts.items(), key=lambda kv: -kv[1]):
        print(f"  {name:<22} {n / args.seconds:>9,.0f}/s")


if __name__ == "__main__":
    main()
