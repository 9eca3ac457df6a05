"""Capital flow on a focus change: the time for the flow panel to follow a new code and have
its lines ready to paint, at a terminal size.

    python -m tests.bench.flow_focus [--runs 300] [--size 120x40]

The app runs headless (`run_test`) against the simulated OpenD with two codes whose flow and
distribution are loaded; the market is then paused. One run is `FlowPanel.show(code)` for the
other code plus `render_lines` of every visible widget of the panel (what the compositor asks
for on the next frame; a plot drawn lazily is built there). Goal (issue 15): well under 5 ms
at 120x40. Measured on the shared 2-core machine (load ~7), median / min of 300 runs: the
panel this replaced (a plotext figure and a Rich Table in a Static) 6.4 / 3.0 ms at 120x40
and 25 / 11 ms at 200x60; the plain lines 1.1 / 0.9 ms and 4.0 / 2.4 ms. The official SDK
draws nothing, so there is no SDK figure.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from textual.geometry import Region

from protocol.gateway.sim import SimThread
from tests.bench.harness import make_app, percentile, wait_until

CODES = ["HK.00700", "HK.09988"]


async def run(runs: int, size: tuple[int, int]) -> list[float]:
    sim = SimThread(seed=7)
    sim.start()
    try:
        app = make_app(sim.sim.port, CODES)
        async with app.run_test(size=size) as pilot:
            loaded = lambda: all(c in app.store.flows and c in app.store.dists for c in CODES)
            await wait_until(pilot, lambda: app.focus_code in app.store.dists, what="the first distribution")
            await pilot.press("down")
            await wait_until(pilot, loaded, what="both codes' capital flow")
            sim.call(sim.sim.pause)  # no pushes while timing
            await pilot.pause(0.3)
            panel = app.flow
            nodes = [panel, *panel.walk_children()]
            times = []
            for i in range(runs):
                t0 = time.perf_counter()
                panel.show(CODES[i % 2])
                for widget in nodes:
                    if widget.display and widget.size.area:
                        widget.render_lines(Region(0, 0, widget.size.width, widget.size.height))
                times.append(time.perf_counter() - t0)
            return times
    finally:
        sim.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--size", default="120x40")
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))
    times = asyncio.run(run(args.runs, size))
    print(f"flow focus change at {args.size}, {args.runs} runs: median {statistics.median(times) * 1000:.2f} ms, "
          f"p90 {percentile(times, 90) * 1000:.2f} ms, min {min(times) * 1000:.2f} ms")


if __name__ == "__main__":
    main()
