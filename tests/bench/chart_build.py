"""Chart build: candles with MA 5/10/20, Bollinger bands, volume and the MACD, RSI and KDJ panes
at 200x60, from 600 fixed daily bars; the time to build it and render it to terminal text.

    python -m tests.bench.chart_build [--runs 200] [--size 200x60]

"Build + render" is `draw_candles` (indicators computed with pandas, every cell drawn), its
lines cut into Strips as the panel does, and the Strips rendered to a truecolor ANSI string as
Textual's compositor does for a frame. Goal
(issue 15): under 20 ms. The official SDK draws nothing, so there is no SDK figure; the
baseline is the chart this replaced, built the same way: plotext candles, three MA lines and
a volume subplot (no indicators), `build()` plus `Text.from_ansi` as textual-plotext renders it.
"""

from __future__ import annotations

import argparse
import io
import statistics
import time

from rich.console import Console
from rich.style import Style
from rich.text import Text

from workstation.store import Bar
from workstation.widgets.chart_draw import Look, draw_candles
from workstation.widgets.strips import text_strip


def fixed_bars(n: int = 600) -> list[Bar]:
    bars, x, seed = [], 100.0, 42
    for i in range(n):
        seed = (1103515245 * seed + 12345) % 2**31
        step = (seed / 2**31 - 0.5) * 4
        o, x = x, max(1.0, x + step)
        bars.append(Bar(f"{2024 + i // 336}-{1 + i // 28 % 12:02d}-{1 + i % 28:02d} 00:00:00", o, max(o, x) + 0.7,
                        min(o, x) - 0.6, x, 1000 + seed % 90000, 1e6))
    return bars


def ours(bars: list[Bar], width: int, height: int, console: Console) -> str:
    """What the chart panel does: draw, cut the lines into Strips, and (as Textual's
    compositor does for each frame) turn the Strips into terminal text."""
    lines, _, _ = draw_candles(bars, 0, width, height, ("BOLL", "MACD", "RSI", "KDJ"), Look())
    base = Style.null()
    strips = [text_strip(line, base, console).crop_extend(0, width, base) for line in lines]
    return "\n".join(strip.render(console) for strip in strips)


def plotext_baseline(bars: list[Bar], width: int, height: int) -> Text:
    from textual_plotext.plot import Plot

    plt = Plot()
    shown = bars[-max(10, (width - 12) // 2):]
    x = list(range(len(shown)))
    plt.clear_figure()
    plt.plotsize(width, height)
    plt.subplots(2, 1)
    top = plt.subplot(1, 1)
    top.plotsize(None, height * 3 // 4)
    top.candlestick(x, {"Open": [b.open for b in shown], "Close": [b.close for b in shown],
                        "High": [b.high for b in shown], "Low": [b.low for b in shown]})
    closes = [b.close for b in shown]
    for n in (5, 10, 20):
        top.plot(x, [sum(closes[max(0, i - n + 1):i + 1]) / min(i + 1, n) for i in range(len(x))], marker="braille")
    bottom = plt.subplot(2, 1)
    bottom.bar(x, [b.volume for b in shown], marker="sd")
    return Text.from_ansi(plt.build())


def timed(fn, runs: int) -> tuple[list[float], list[float]]:
    """(wall ms, CPU ms) per run. CPU time is this process's own: on a machine shared with
    other loads it is the steadier figure."""
    fn()  # warm: imports, caches
    wall, cpu = [], []
    for _ in range(runs):
        t, c = time.perf_counter(), time.process_time()
        fn()
        cpu.append((time.process_time() - c) * 1000)
        wall.append((time.perf_counter() - t) * 1000)
    return wall, cpu


def p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--baseline-runs", type=int, default=20)
    ap.add_argument("--size", default="200x60")
    args = ap.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    bars = fixed_bars()
    console = Console(width=width, height=height, color_system="truecolor", force_terminal=True, file=io.StringIO())
    build = timed(lambda: draw_candles(bars, 0, width, height, ("BOLL", "MACD", "RSI", "KDJ"), Look()), args.runs)
    full = timed(lambda: ours(bars, width, height, console), args.runs)
    base = timed(lambda: plotext_baseline(bars, width, height), args.baseline_runs)
    print(f"chart {width}x{height}, {len(bars)} bars, MA + BOLL + MACD + RSI + KDJ; wall (CPU) ms")

    def line(label: str, figures: tuple[list[float], list[float]], runs: int) -> str:
        wall, cpu = figures
        return (f"  {label:<24} p50 {p(wall, 50):6.2f} ({p(cpu, 50):6.2f})  p99 {p(wall, 99):6.2f} "
                f"({p(cpu, 99):6.2f})  [{runs} runs]")

    print(line("build only", build, args.runs))
    print(line("build + render (ANSI)", full, args.runs) + f"  goal < 20 ms: "
          f"{'met' if p(full[0], 50) < 20 else 'missed'} (wall p50), {'met' if p(full[1], 50) < 20 else 'missed'} (CPU p50)")
    print(line("plotext baseline", base, args.baseline_runs)
          + f"  candles + MA + volume only: ours {p(base[1], 50) / p(full[1], 50):.1f}x less CPU")
    print("  SDK: no equivalent (the SDK draws no charts)")


if __name__ == "__main__":
    main()
