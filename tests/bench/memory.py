"""Memory: RSS of the app over a long run at 1,000 pushes/s (bounded tape, bounded bars, no leaks).

    python -m tests.bench.memory [--seconds 600] [--rate 1000] [--every 30]

The gateway is the simulated OpenD in another process (tests/bench/loadgen.py, market
paused); the app is FutuTui headless at 120x40 in this process, its frames rendered to
terminal bytes as a real driver would (tests/bench/harness.py PaintClock), so whatever the
render path keeps alive is counted. The push mix, per second: 80% basic quotes and 15%
10-level books over the 50 watchlist codes, 4% tickers (1-3 trades each) and 1% K-line
pushes for the focused code, each K-line push opening a new bar, so within minutes the tape
passes its 500 trades and the chart its 1,500 bars.

RSS (VmRSS of this process) is sampled every --every seconds with the store's sizes.
Goal (issue 6): under 20 MB of growth over 10 minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import math
import time

from tests.bench.harness import (
    LoadGenProcess,
    PaintClock,
    bench_codes,
    cpu_seconds,
    make_app,
    rss_mb,
    wait_until,
)

MIX = {"quote": 0.80, "book": 0.15, "ticker": 0.04, "kline": 0.01}


def store_sizes(app) -> dict:
    s = app.store
    return {"tape": sum(len(t) for t in s.tapes.values()), "bars": sum(len(b) for b in s.bars.values()),
            "quotes": len(s.quotes), "books": len(s.books), "orders": len(s.orders)}


async def run(lg: LoadGenProcess, codes: list[str], rate: float, seconds: float, every: float) -> dict:
    app = make_app(lg.port, codes)
    samples: list[tuple[float, float, dict, int]] = []
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.feed.client.ready and len(app.feed.have) >= 2 * len(codes),
                         what="subscriptions")
        await wait_until(pilot, lambda: len(app.store.bars.get((app.focus_code, app.chart.kl_type), ())) > 20,
                         what="chart history")
        await pilot.pause(2.0)
        clock = PaintClock(app)
        focus = app.focus_code
        gc.collect()
        t0, cpu0 = time.monotonic(), cpu_seconds()
        samples.append((0.0, rss_mb(), store_sizes(app), clock.frames))
        print(f"{'t (s)':>6} {'RSS MB':>8} {'growth':>8} {'tape':>6} {'bars':>6} {'frames':>7}", flush=True)
        print(f"{0:>6.0f} {samples[0][1]:>8.1f} {0:>+8.1f} {samples[0][2]['tape']:>6} {samples[0][2]['bars']:>6} "
              f"{0:>7}", flush=True)
        stream = asyncio.create_task(lg.arequest(
            op="stream", codes=codes, rate=rate * MIX["quote"], books=rate * MIX["book"], focus=focus,
            tickers=rate * MIX["ticker"], klines=rate * MIX["kline"], kl_type=app.chart.kl_type, seconds=seconds,
            record=False))
        while not stream.done():
            await asyncio.wait({stream}, timeout=every)
            t = time.monotonic() - t0
            if t - samples[-1][0] < 1.0:
                continue  # the stream's answer came in just after a sample
            sample = (t, rss_mb(), store_sizes(app), clock.frames)
            samples.append(sample)
            print(f"{t:>6.0f} {sample[1]:>8.1f} {sample[1] - samples[0][1]:>+8.1f} {sample[2]['tape']:>6} "
                  f"{sample[2]['bars']:>6} {sample[3] - samples[0][3]:>7}", flush=True)
        sent = stream.result()
        cpu = cpu_seconds() - cpu0
        wall = time.monotonic() - t0
        await pilot.pause(0.5)
        gc.collect()
        after_gc = rss_mb()
        connected = app.feed.client.ready
    return {"samples": samples, "sent": sent, "cpu": cpu, "wall": wall, "after_gc": after_gc, "connected": connected,
            "focus": focus}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=600.0)
    parser.add_argument("--rate", type=float, default=1000.0, help="pushes per second, all kinds (default 1000)")
    parser.add_argument("--every", type=float, default=30.0, help="seconds between RSS samples (default 30)")
    args = parser.parse_args(argv)
    codes = bench_codes(50)
    lg = LoadGenProcess()
    try:
        r = asyncio.run(run(lg, codes, args.rate, args.seconds, min(args.every, args.seconds / 4)))
    finally:
        lg.stop()
    s = r["samples"]
    counts = r["sent"]["counts"]
    total = sum(counts.values())
    growth = s[-1][1] - s[0][1]
    half = [x for x in s if x[0] >= s[-1][0] / 2]
    slope = (half[-1][1] - half[0][1]) / (half[-1][0] - half[0][0]) * 600 if s[-1][0] >= 120 else float("nan")
    print(f"{total:,} pushes in {r['sent']['seconds']:.0f} s ({total / r['sent']['seconds']:,.0f}/s: {counts}), "
          f"focus {r['focus']}; app CPU {r['cpu'] / r['wall'] * 100:.0f}% of one core; "
          f"still connected: {r['connected']}")
    print(f"RSS {s[0][1]:.1f} MB -> {s[-1][1]:.1f} MB: growth {growth:+.1f} MB over {s[-1][0]:.0f} s "
          f"(after gc.collect(): {r['after_gc']:.1f} MB); second half's rate "
          f"{'-' if math.isnan(slope) else f'{slope:+.1f}'} MB per 10 min; "
          f"peak {max(x[1] for x in s):.1f} MB")
    warm = next((x for x in s if x[0] >= 60), None)
    if warm is not None and warm is not s[-1]:
        print(f"after the first minute (tape full, caches warm): {warm[1]:.1f} MB at {warm[0]:.0f} s -> "
              f"{s[-1][1]:.1f} MB: {s[-1][1] - warm[1]:+.1f} MB over {s[-1][0] - warm[0]:.0f} s")
    print(f"goal: under 20 MB growth over 10 minutes: {'met' if growth < 20 else 'MISSED'}"
          + ("" if s[-1][0] >= 590 else f" (this run was only {s[-1][0]:.0f} s)"))


if __name__ == "__main__":
    main()
