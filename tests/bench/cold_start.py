"""Cold start: `futu-tui --sim` from launch to the first live price on screen, with the
import-time breakdown.

    python -m tests.bench.cold_start [--runs 5] [--top 12]

1. Wall clock, in a real terminal: a detached tmux server (private socket, 120x40) starts
   `futu-tui --sim` in a fresh interpreter (temporary XDG directories, so the default
   watchlist) and this process polls `tmux capture-pane` every 10 ms until the watchlist
   row of HK.00700 shows a price. --runs launches, each timed; the first is reported apart
   (it may pay for cold .pyc and disk caches).
2. Where the time goes, headless in a fresh interpreter: imports, starting the in-process
   simulator, the app's first frame, the connection, the first price in a frame.
3. `python -X importtime` of what `futu-tui --sim` imports, summarised: total, by
   top-level package (self time), and the heaviest single modules.
Every child runs with its bytecode cached, as in an installed copy (pip compiles .pyc at
install time): PYTHONPYCACHEPREFIX points at a cache outside the repo that a first,
untimed import fills, and PYTHONDONTWRITEBYTECODE is dropped. --as-is keeps this shell's
environment instead (with PYTHONDONTWRITEBYTECODE=1 and no __pycache__ in the repo, every
launch compiles our modules from source).
Goal (issue 6): under 1.5 s to first live prices.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict

from tests.bench.harness import ROOT
from tests.bench.ssh_output import app_env, futu_tui

PYCACHE = os.path.join(tempfile.gettempdir(), "futu-tui-bench-pycache")
CHILD_ENV: dict[str, str] = dict(os.environ)


def use_bytecode_cache() -> None:
    """Children read and write .pyc under PYCACHE; one untimed import fills it."""
    CHILD_ENV.pop("PYTHONDONTWRITEBYTECODE", None)
    CHILD_ENV["PYTHONPYCACHEPREFIX"] = PYCACHE
    subprocess.run([sys.executable, "-c", IMPORTS], cwd=ROOT, env=CHILD_ENV, check=True, capture_output=True)


PRICE_ROW = re.compile(r"HK\.00700\s+\S+\s+-?\d[\d,]*\.\d{3}")
IMPORTS = "import workstation.cli, protocol.gateway.sim, workstation.app"


# -- 1. wall clock in tmux -----------------------------------------------------------------


def tmux_runs(runs: int, timeout: float = 20.0) -> list[float]:
    sock = f"bench-cold-{os.getpid()}"
    tmux = ["tmux", "-L", sock, "-f", "/dev/null"]
    subprocess.run([*tmux, "new-session", "-d", "-s", "cold", "-x", "120", "-y", "40", "sleep 3600"], check=True)
    subprocess.run([*tmux, "set-option", "-g", "remain-on-exit", "on"], check=True)
    times = []
    try:
        for _ in range(runs):
            home = tempfile.mkdtemp(prefix="bench-cold-")
            env = app_env(home)
            assigns = " ".join(f"{k}={v}" for k, v in env.items() if k.startswith("XDG_"))
            unset = "-u PYTHONDONTWRITEBYTECODE" if "PYTHONDONTWRITEBYTECODE" not in CHILD_ENV else ""
            prefix = f"PYTHONPYCACHEPREFIX={CHILD_ENV['PYTHONPYCACHEPREFIX']}" if "PYTHONPYCACHEPREFIX" in CHILD_ENV else ""
            cmd = f"cd {ROOT} && exec env {unset} {prefix} {assigns} {' '.join(futu_tui())} --sim"
            t0 = time.monotonic()
            subprocess.run([*tmux, "respawn-pane", "-k", "-t", "cold", cmd], check=True)
            found = None
            while time.monotonic() - t0 < timeout:
                screen = subprocess.run([*tmux, "capture-pane", "-p", "-t", "cold"], capture_output=True,
                                        text=True, check=False).stdout
                if PRICE_ROW.search(screen):
                    found = time.monotonic() - t0
                    break
                time.sleep(0.01)
            times.append(found if found is not None else float("nan"))
            subprocess.run([*tmux, "respawn-pane", "-k", "-t", "cold", "sleep 3600"], check=True)
            time.sleep(1.0)  # let the killed app and its simulator go before the next launch
    finally:
        subprocess.run([*tmux, "kill-server"], capture_output=True, check=False)
    return times


# -- 2. phases, headless ----------------------------------------------------------------------

PHASES = r'''
import time
t0 = time.perf_counter()
import asyncio, json, math, tempfile
from pathlib import Path
import workstation.cli, protocol.gateway.sim, workstation.app
t_import = time.perf_counter()
from protocol.client import OpenDClient
from protocol.gateway.sim import SimThread
from workstation.app import FutuTui
from workstation.config import Config, Watchlist
from workstation.journal import Journal
from tests.bench.harness import PaintClock, shown_price
sim = SimThread(seed=1)
port = sim.start()
t_sim = time.perf_counter()
tmp = Path(tempfile.mkdtemp())
app = FutuTui(Config(port=port), lambda: OpenDClient("127.0.0.1", port), watchlist_file=Watchlist(tmp / "w.json"),
              journal=Journal(tmp))
t_app = time.perf_counter()
marks = {}

clock = PaintClock(app)  # before the app runs: its first frame is timed too

async def main():
    first = clock.next_paint()
    priced = clock.next_paint(lambda: shown_price(app, "HK.00700") == shown_price(app, "HK.00700"))
    async with app.run_test(size=(120, 40)) as pilot:
        marks["frame"] = await first
        while not app.feed.client.ready:
            await asyncio.sleep(0.002)
        marks["ready"] = time.monotonic()
        marks["price"] = await asyncio.wait_for(priced, 20)
        await pilot.pause(0.1)

m0 = time.monotonic()
asyncio.run(main())
sim.stop()
out = {"import": t_import - t0, "sim": t_sim - t_import, "app_init": t_app - t_sim,
       "first_frame": marks["frame"] - m0, "connected": marks["ready"] - m0, "first_price": marks["price"] - m0}
print(json.dumps(out))
'''


def phases() -> dict:
    # once to warm the disk cache, once timed
    subprocess.run([sys.executable, "-c", "pass"], cwd=ROOT, env=CHILD_ENV, capture_output=True, check=False)
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], cwd=ROOT, env=CHILD_ENV, capture_output=True, check=False)
    bare = time.perf_counter() - t0
    proc = subprocess.run([sys.executable, "-c", PHASES], cwd=ROOT, capture_output=True, text=True,
                          env={**CHILD_ENV, "PYTHONPATH": str(ROOT)}, check=False)
    if proc.returncode:
        raise RuntimeError(proc.stderr[-3000:])
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["interpreter"] = bare
    return out


# -- 3. -X importtime -------------------------------------------------------------------------


def importtime() -> list[tuple[int, int, str]]:
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", IMPORTS], cwd=ROOT, env=CHILD_ENV,
                          capture_output=True, text=True, check=False)
    rows = []
    for line in proc.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if m:
            rows.append((int(m.group(1)), int(m.group(2)), m.group(4)))
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--top", type=int, default=12)
    parser.add_argument("--as-is", action="store_true", help="no bytecode cache: this shell's environment as it is")
    args = parser.parse_args(argv)
    if not args.as_is:
        use_bytecode_cache()
    print("bytecode: " + ("as this shell has it" if args.as_is else f"cached under {PYCACHE} (as installed)"))

    if shutil.which("tmux"):
        times = tmux_runs(args.runs)
        rest = [t for t in times[1:] if not math.isnan(t)] or times
        print(f"`futu-tui --sim` in tmux at 120x40, launch to HK.00700's price on screen, {args.runs} launches:")
        print(f"  first {times[0]:.2f} s; then median {statistics.median(rest):.2f} s, min {min(rest):.2f} s, "
              f"max {max(rest):.2f} s  (all: {', '.join(f'{t:.2f}' for t in times)})")
        print(f"  goal < 1.5 s: {'met' if statistics.median(rest) < 1.5 else 'MISSED'}")
    else:
        print("tmux not found: wall-clock launches skipped")

    p = phases()
    print("phases, headless in a fresh interpreter (s):")
    print(f"  interpreter start {p['interpreter']:.3f} | imports {p['import']:.3f} | simulator start {p['sim']:.3f} | "
          f"FutuTui() {p['app_init']:.3f} | from run: first frame {p['first_frame']:.3f}, connected {p['connected']:.3f}, first price painted "
          f"{p['first_price']:.3f} | total {p['interpreter'] + p['import'] + p['sim'] + p['app_init'] + p['first_price']:.3f}")

    rows = importtime()
    total = sum(r[0] for r in rows)
    by_pkg: dict[str, int] = defaultdict(int)
    for self_us, _, name in rows:
        by_pkg[name.split(".")[0]] += self_us
    print(f"python -X importtime -c '{IMPORTS}': {len(rows)} modules, {total / 1e6:.3f} s of import time (self, summed)")
    print("  by top-level package (self time):")
    for pkg, us in sorted(by_pkg.items(), key=lambda kv: -kv[1])[: args.top]:
        print(f"    {pkg:<22} {us / 1000:8.1f} ms  {us / total * 100:5.1f}%")
    print("  heaviest single modules (self time):")
    for self_us, cum_us, name in sorted(rows, key=lambda r: -r[0])[: args.top]:
        print(f"    {name:<44} {self_us / 1000:7.1f} ms (cumulative {cum_us / 1000:.1f} ms)")


if __name__ == "__main__":
    main()
