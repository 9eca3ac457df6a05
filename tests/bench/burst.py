"""Burst: 20,000 quote pushes over 50 codes as fast as the gateway can send them; the time
from the last push sent to the last price on screen.

    python -m tests.bench.burst [--pushes 20000] [--runs 3] [--size 120x40]

The gateway is the simulated OpenD in another process (tests/bench/loadgen.py, market
paused), the app is FutuTui headless (`run_test`) with the 50 codes as its watchlist. The
pushes are serialised beforehand and written back to back; "sent" is the moment the last
byte left the gateway's user-space buffer for the socket. "On screen" is the first frame,
composed and rendered to terminal bytes, in which every watchlist row's Last cell shows that
code's final price. Goal (issue 6): under 250 ms.

The official SDK gets the same burst in the same run, after the app has quit: an
OpenQuoteContext on the same gateway with a StockQuoteHandlerBase subclass that only calls
super (the minimum an SDK user pays per push); its figure is last push sent to the handler
call that delivers the last code's final price (it has no screen). --no-sdk skips it.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import statistics
import time

from tests.bench.harness import (
    LoadGenProcess,
    PaintClock,
    bench_codes,
    make_app,
    ms,
    shown_price,
    wait_until,
)
from tests.bench.loadgen import STEP


async def run(lg: LoadGenProcess, codes: list[str], pushes: int, runs: int, size: tuple[int, int]) -> list[dict]:
    app = make_app(lg.port, codes)
    results = []
    async with app.run_test(size=size) as pilot:
        await wait_until(pilot, lambda: app.feed.client.ready and len(app.feed.have) >= 2 * len(codes),
                         what="subscriptions")
        await wait_until(pilot, lambda: not any(math.isnan(shown_price(app, c)) for c in codes[:10]),
                         what="first prices")
        await pilot.pause(1.0)  # names, history, capital flow: let the start-up requests finish
        clock = PaintClock(app)
        applied = {"n": 0, "t": 0.0, "target": pushes}
        original = app.store.apply_basic_qots

        def counting(items) -> None:
            original(items)
            applied["n"] += 1
            if applied["n"] == applied["target"]:
                applied["t"] = time.monotonic()

        app.store.apply_basic_qots = counting  # the feed's handler looks the method up on each push
        for r in range(runs):
            base = 5000.0 + 1000.0 * r  # a fresh price range per run, so a run cannot see the last one's prices
            m = len(codes)
            final = {codes[j]: round(base + (((pushes - 1 - j) // m) + 1) * STEP, 2) for j in range(min(m, pushes))}
            applied.update(n=0, t=0.0)
            frames_before = clock.frames
            painted = clock.next_paint(lambda final=final: all(shown_price(app, c) == p for c, p in final.items()))
            sent = await lg.arequest(op="burst", codes=codes, n=pushes, base=base)
            t_paint = await asyncio.wait_for(painted, 30)
            results.append({
                "sent_to_screen": t_paint - sent["t_sent"],
                "last_write_to_screen": t_paint - sent["t_last_write"],
                "first_write_to_screen": t_paint - sent["t_first"],
                "send": sent["t_sent"] - sent["t_first"],
                "sent_to_applied": applied["t"] - sent["t_sent"],
                "applied_to_screen": t_paint - applied["t"],
                "frames": clock.frames - frames_before,
                "mb": sent["bytes"] / 1e6,
            })
            await pilot.pause(1.0)
    return results


def sdk_burst(lg: LoadGenProcess, codes: list[str], pushes: int) -> dict:
    """The same burst into the official SDK: last push sent -> last final price in its handler."""
    import threading

    from futu import RET_OK, OpenQuoteContext, StockQuoteHandlerBase, SubType, SysConfig

    SysConfig.set_all_thread_daemon(True)
    base = 9000.0  # a price range no earlier run used
    m = len(codes)
    final = {codes[j]: round(base + (((pushes - 1 - j) // m) + 1) * STEP, 2) for j in range(min(m, pushes))}
    seen: dict[str, float] = {}
    done = threading.Event()
    stamp = {"t": 0.0, "calls": 0}

    class Quotes(StockQuoteHandlerBase):
        def on_recv_rsp(self, rsp_pb):
            ret, data = super().on_recv_rsp(rsp_pb)
            stamp["calls"] += 1
            if ret == RET_OK:
                for code, price in zip(data["code"], data["last_price"]):
                    seen[code] = price
                if all(seen.get(c) == p for c, p in final.items()):
                    stamp["t"] = time.monotonic()
                    done.set()
            return ret, data

    ctx = OpenQuoteContext(host="127.0.0.1", port=lg.port)
    try:
        ctx.set_handler(Quotes())
        ret, msg = ctx.subscribe(codes, [SubType.QUOTE], subscribe_push=True)
        assert ret == RET_OK, msg
        time.sleep(1.0)  # first pushes of the subscription
        stamp["calls"] = 0
        sent = lg.request(op="burst", codes=codes, n=pushes, base=base)
        if not done.wait(120):
            raise TimeoutError(f"the SDK's handler saw {stamp['calls']} of {pushes} pushes in 120 s")
    finally:
        ctx.close()
    return {"sent_to_handler": stamp["t"] - sent["t_sent"], "calls": stamp["calls"]}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pushes", type=int, default=20_000)
    parser.add_argument("--codes", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--size", default="120x40", help="terminal size of the headless app (default 120x40)")
    parser.add_argument("--no-sdk", action="store_true", help="skip the official SDK's run")
    args = parser.parse_args(argv)
    size = tuple(int(x) for x in args.size.split("x"))
    codes = bench_codes(args.codes)
    if not args.no_sdk:
        import futu  # noqa: F401  (import cost outside the timings)
        from futu.common.ft_logger import logger as sdk_logger

        sdk_logger.console_level = logging.WARNING  # the SDK prints every connect to stdout
    lg = LoadGenProcess()
    try:
        results = asyncio.run(run(lg, codes, args.pushes, args.runs, size))
        theirs = None if args.no_sdk else sdk_burst(lg, codes, args.pushes)
    finally:
        lg.stop()
    print(f"burst of {args.pushes:,} Qot_UpdateBasicQot pushes over {len(codes)} codes "
          f"({results[0]['mb']:.1f} MB), app headless at {args.size}, {args.runs} runs")
    print(f"{'run':>3} {'gateway send':>13} {'sent->applied':>14} {'applied->screen':>16} "
          f"{'SENT->SCREEN':>13} {'first write->screen':>20} {'frames':>6}")
    for i, r in enumerate(results, 1):
        print(f"{i:>3} {ms(r['send']):>13} {ms(r['sent_to_applied']):>14} {ms(r['applied_to_screen']):>16} "
              f"{ms(r['sent_to_screen']):>13} {ms(r['first_write_to_screen']):>20} {r['frames']:>6}")
    med = statistics.median(r["sent_to_screen"] for r in results)
    print(f"last push sent -> last price on screen: median {ms(med)}, worst "
          f"{ms(max(r['sent_to_screen'] for r in results))} (goal < 250 ms: {'met' if med < 0.25 else 'MISSED'})")
    if theirs is not None:
        print(f"official SDK, same burst, same gateway: last push sent -> last final price in its handler "
              f"{ms(theirs['sent_to_handler'])} ({theirs['calls']:,} handler calls; "
              f"{theirs['sent_to_handler'] / med:.0f}x futu-tui's time to the screen)")


if __name__ == "__main__":
    main()
