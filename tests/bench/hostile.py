"""Floods and big files from a hostile world, measured (issue 11's figures).

    python -m tests.bench.hostile

- memory: RSS of the app before and after pushes for 100,000 codes it never subscribed;
- a burst of 2,000 fill pushes: the app's CPU while it takes them, and the notifications shown;
- start-up with a 50 MB order journal: time to read it (once, on a thread, at the first
  connect) against an empty one, and the app's launch to first price either way.
The simulated OpenD runs in a thread of this process; the SDK has no equivalent of these
paths, so there is no SDK column. Figures only: nothing here fails.
"""

from __future__ import annotations

import asyncio
import json
import math
import tempfile
import time
from pathlib import Path

from protocol import ids
from protocol.client import OpenDClient
from protocol.gateway.sim import SimThread
from tests import hostile
from tests.bench.harness import cpu_seconds, rss_mb, wait_until

CODES = ["HK.00700", "HK.09988", "HK.03690", "HK.00005", "HK.01810"]


def make_app(port: int, folder: Path):
    from textual.notifications import Notify

    from workstation.app import FutuTui
    from workstation.config import Config, Watchlist as WatchlistFile
    from workstation.journal import Journal

    wl = WatchlistFile(folder / "watchlist.json")
    wl.save(CODES)
    seen: list[str] = []

    def hook(message) -> None:
        if isinstance(message, Notify):
            seen.append(message.notification.message)

    app = FutuTui(Config(port=port), lambda: OpenDClient("127.0.0.1", port), watchlist_file=wl, journal=Journal(folder))
    return app, hook, seen


def big_journal(folder: Path, megabytes: int = 50) -> int:
    rec = {"kind": "intent", "op": "place", "time": 1000.0,
           "ticket": {"code": "HK.00700", "side": 1, "qty": 100, "price": 500.0, "order_type": 1, "aux_price": None,
                      "tif": 0, "session": 0, "remark": "x" * 40, "env": 0, "acc_id": 1}}
    n = 0
    with open(folder / "orders.jsonl", "wb") as fh:
        while fh.tell() < megabytes * 1_000_000:
            fh.write(json.dumps({"kind": "intent", "op": "place", "ref": f"r{n}", "time": rec["time"],
                                 "ticket": rec["ticket"]}, separators=(",", ":")).encode() + b"\n")
            fh.write(json.dumps({"kind": "outcome", "ref": f"r{n}", "time": 1001.0, "order_id": str(n), "status": 5,
                                 "error": None}, separators=(",", ":")).encode() + b"\n")
            n += 1
    return n


async def to_first_price(sim: SimThread, folder: Path) -> tuple[float, float]:
    """(launch to first price on screen, launch to the journal read) in seconds."""
    app, hook, _ = make_app(sim.sim.port, folder)
    t0 = time.perf_counter()
    async with app.run_test(size=(120, 40), message_hook=hook) as pilot:
        await wait_until(pilot, lambda: not math.isnan(app.store.quote("HK.00700").last), what="a price")
        first = time.perf_counter() - t0
        await wait_until(pilot, lambda: app.journal.loaded, what="the journal read")
        loaded = time.perf_counter() - t0
    return first, loaded


async def floods(sim: SimThread) -> None:
    folder = Path(tempfile.mkdtemp(prefix="bench-hostile-"))
    app, hook, seen = make_app(sim.sim.port, folder)
    async with app.run_test(size=(120, 40), message_hook=hook) as pilot:
        await wait_until(pilot, lambda: app.trading.ready and app.feed.idle
                         and not math.isnan(app.store.quote("HK.00700").last), what="a settled app")
        before = rss_mb()
        base = app.store.unwanted
        for start in range(100_000, 200_000, 10_000):
            hostile.push(sim, ids.QOT_UPDATE_BASIC_QOT, hostile.quotes_for_codes(10_000, start))
            await wait_until(pilot, lambda n=base + start - 90_000: app.store.unwanted >= n, timeout=120, what="the flood")
        after = rss_mb()
        print(f"100,000 unsubscribed codes pushed: RSS {before:.1f} -> {after:.1f} MB ({after - before:+.1f} MB); "
              f"quotes kept {len(app.store.quotes)}")
        shown = len(seen)
        cpu0, t0 = cpu_seconds(), time.perf_counter()
        for n in range(2000):
            hostile.push(sim, ids.TRD_UPDATE_ORDER_FILL, hostile.fill(n))
        await wait_until(pilot, lambda: len(app.store.fills) >= 2000 and not app.notices.fills, timeout=120,
                         what="2,000 fills taken and told")
        wall, cpu = time.perf_counter() - t0, cpu_seconds() - cpu0
        told = [s for s in seen[shown:] if "fill" in s]
        print(f"2,000 fill pushes: taken in {wall:.2f} s using {cpu:.2f} s CPU ({cpu / wall * 100:.0f}% of a core, "
              f"simulator thread included); {len(told)} notification(s): {told[-1][:90] if told else '-'}")


async def startup(sim: SimThread) -> None:
    empty = Path(tempfile.mkdtemp(prefix="bench-journal-empty-"))
    big = Path(tempfile.mkdtemp(prefix="bench-journal-big-"))
    orders = big_journal(big)
    size = (big / "orders.jsonl").stat().st_size / 1e6
    base_first, base_loaded = await to_first_price(sim, empty)
    first, loaded = await to_first_price(sim, big)
    again_first, again_loaded = await to_first_price(sim, big)  # archived by the first start
    print(f"start-up, empty journal: first price {base_first:.2f} s, journal read at {base_loaded:.2f} s")
    print(f"start-up, {size:.0f} MB journal ({orders:,} orders): first price {first:.2f} s "
          f"({first - base_first:+.2f} s), journal read and archived at {loaded:.2f} s")
    print(f"next start (journal archived): first price {again_first:.2f} s ({again_first - base_first:+.2f} s), "
          f"journal read at {again_loaded:.2f} s")


def main() -> None:
    sim = SimThread(seed=5)
    sim.start()
    try:
        asyncio.run(floods(sim))
        asyncio.run(startup(sim))
    finally:
        sim.stop()


if __name__ == "__main__":
    main()
