"""Shared pieces of the app benchmarks: the push generator process, the headless app, the
paint clock, percentiles and RSS.

"On screen" in these benchmarks means: a frame that shows the value has been composed and
turned into terminal bytes. Headless Textual composes every frame (`Screen` calls
`App._display` with a `CompositorUpdate`) but skips the last step; `PaintClock` wraps
`_display` on the instance, does that last step (`render_segments`, the ANSI string a real
driver would write) and then timestamps the frame. Product code is untouched.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def bench_codes(n: int = 50) -> list[str]:
    """The first n instruments of the simulated universe ("HK.00700", ...)."""
    from protocol.gateway.instruments import UNIVERSE

    return [f"{inst.market}.{inst.symbol}" for inst in UNIVERSE][:n]


# -- the push generator ------------------------------------------------------------------


class LoadGenProcess:
    """`python -m tests.bench.loadgen` as a subprocess: one JSON command, one JSON answer."""

    def __init__(self, *args: str) -> None:
        self.log_path = Path(tempfile.gettempdir()) / f"bench-loadgen-{os.getpid()}-{time.monotonic_ns()}.log"
        self._log = open(self.log_path, "w+")  # noqa: SIM115  (lives as long as the process)
        self.proc = subprocess.Popen([sys.executable, "-m", "tests.bench.loadgen", *args], cwd=ROOT,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("port "):
            raise RuntimeError(f"loadgen did not start: {line!r}\n{self.log_path.read_text()}")
        self.port = int(line.split()[1])

    def request(self, **cmd) -> dict:
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"loadgen died:\n{self.log_path.read_text()}")
        return json.loads(line)

    async def arequest(self, **cmd) -> dict:
        """The same from the app's event loop (the blocking read happens in a thread)."""
        return await asyncio.to_thread(self.request, **cmd)

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write(json.dumps({"op": "quit"}) + "\n")
                self.proc.stdin.flush()
                self.proc.wait(10)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        self._log.close()


# -- the app -----------------------------------------------------------------------------


def make_app(port: int, codes: list[str], flush_hz: float | None = None):
    """FutuTui against 127.0.0.1:port with `codes` as its watchlist, files in a temp dir."""
    from protocol.client import OpenDClient
    from workstation.app import FutuTui
    from workstation.config import Config
    from workstation.config import Watchlist as WatchlistFile
    from workstation.journal import Journal

    tmp = Path(tempfile.mkdtemp(prefix="bench-app-"))
    wl = WatchlistFile(tmp / "watchlist.json")
    wl.save(codes)
    config = Config(port=port) if flush_hz is None else Config(port=port, flush_hz=flush_hz)
    return FutuTui(config, lambda: OpenDClient("127.0.0.1", port), watchlist_file=wl, journal=Journal(tmp))


async def wait_until(pilot, predicate: Callable[[], bool], timeout: float = 30.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await pilot.pause(0.05)


def shown_price(app, code: str) -> float:
    """The Last cell of the watchlist row, as a number (NaN for '-')."""
    try:
        text = app.watchlist.get_cell(code, "last").plain
    except (AttributeError, LookupError):  # not composed yet, or no such row
        return math.nan
    try:
        return float(text.replace(",", ""))
    except ValueError:
        return math.nan


class PaintClock:
    """Timestamps every frame the app composes, after turning it into terminal bytes."""

    def __init__(self, app, render: bool = True) -> None:
        from textual._compositor import CompositorUpdate

        self.app = app
        self.render = render
        self.frames = 0
        self.bytes = 0
        self.render_s = 0.0
        self.watchers: list[Callable[[float], None]] = []
        original = app._display

        def display(screen, renderable) -> None:
            original(screen, renderable)
            if renderable is None or app._batch_count:
                return
            if render and isinstance(renderable, CompositorUpdate):
                t = time.perf_counter()
                self.bytes += len(renderable.render_segments(app.console))
                self.render_s += time.perf_counter() - t
            self.frames += 1
            now = time.monotonic()
            for watch in tuple(self.watchers):
                watch(now)

        app._display = display  # instance attribute: Screen calls app._display(screen, update)

    def next_paint(self, predicate: Callable[[], bool] = lambda: True) -> asyncio.Future[float]:
        """A future for the time of the first frame after which predicate() holds."""
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()

        def watch(now: float) -> None:
            if not future.done() and predicate():
                future.set_result(now)
                self.watchers.remove(watch)

        self.watchers.append(watch)
        return future


# -- numbers -----------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0-100); NaN for no values."""
    if not values:
        return math.nan
    s = sorted(values)
    return s[min(len(s) - 1, max(0, math.ceil(p / 100 * len(s)) - 1))]


def ms(x: float) -> str:
    return "-" if math.isnan(x) else f"{x * 1000:.1f} ms"


def rss_mb(pid: int | str = "self") -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return math.nan


def cpu_seconds(pid: int | str = "self") -> float:
    """utime + stime of a process from /proc/<pid>/stat (all its threads)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
