"""Order form latency in a real terminal: `b` pressed to the order form on screen, idle and
while 2,000 quote pushes/s arrive.

    python -m tests.bench.form_latency [--opens 60] [--rate 2000] [--size 120x40]

The gateway is the simulated OpenD in another process (tests/bench/loadgen.py: market
paused, pushes only on command). `futu-tui --port N` runs in a pseudo-terminal (`pty.fork`,
TERM=xterm-256color, temporary XDG directories, a watchlist of the universe's first 50
codes, HK.00700 focused), as over SSH. This process writes `b` to the pty master the way a
terminal does and reads everything the app writes: "on screen" is the moment the form's
key hint ("Enter send") has been written to the terminal. Esc closes the form; the next
`b` follows 250-450 ms later. Two phases: idle (no pushes), then under load (loadgen
streams `--rate` quote pushes/s round-robin over the 50 codes for the whole phase).

Goal (issue 12): p50 < 30 ms and p99 < 80 ms, idle and under load.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import select
import tempfile
import threading
import time

from tests.bench.harness import LoadGenProcess, bench_codes, ms, percentile
from tests.bench.ssh_output import app_env, futu_tui, spawn_in_pty, stop_child

MARKER = "Enter send".encode()
FOOTER = "Buy".encode()


class Screen:
    """Everything the app wrote, with a condition to wait on (a reader thread drains the pty)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.data = bytearray()
        self.cond = threading.Condition()
        self.done = False
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        while not self.done:
            ready, _, _ = select.select([self.fd], [], [], 0.1)
            if not ready:
                continue
            try:
                chunk = os.read(self.fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            with self.cond:
                self.data += chunk
                self.cond.notify_all()

    def mark(self) -> int:
        with self.cond:
            return len(self.data)

    def wait_for(self, needle: bytes, since: int, timeout: float) -> float | None:
        """The monotonic time `needle` showed up after byte `since`, or None on timeout."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                # a needle may straddle two reads: search from a little before the last end
                if self.data.find(needle, since) >= 0:
                    return time.monotonic()
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.cond.wait(left)


def open_forms(screen: Screen, opens: int, rng: random.Random) -> tuple[list[float], int]:
    times, missed = [], 0
    for _ in range(opens):
        time.sleep(rng.uniform(0.25, 0.45))  # a trader's pause between orders (not a measurement)
        since = screen.mark()
        t0 = time.monotonic()
        os.write(screen.fd, b"b")
        t1 = screen.wait_for(MARKER, since, 3.0)
        if t1 is None:
            missed += 1
        else:
            times.append(t1 - t0)
        os.write(screen.fd, b"\x1b")  # Esc: the form closes
    return times, missed


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--opens", type=int, default=60, help="forms opened per phase (default 60)")
    parser.add_argument("--rate", type=float, default=2000.0, help="quote pushes/s under load (default 2000)")
    parser.add_argument("--warmup", type=float, default=8.0, help="start-up seconds before the first b")
    parser.add_argument("--size", default="120x40")
    args = parser.parse_args(argv)
    cols, rows = (int(x) for x in args.size.split("x"))
    codes = bench_codes(50)
    codes.remove("HK.00700")
    codes.insert(0, "HK.00700")
    home = tempfile.mkdtemp(prefix="bench-form-")
    os.makedirs(os.path.join(home, "data", "futu-tui"), mode=0o700)
    with open(os.path.join(home, "data", "futu-tui", "watchlist.json"), "w") as f:
        json.dump(codes, f)
    lg = LoadGenProcess()
    pid, fd = spawn_in_pty([*futu_tui(), "--port", str(lg.port)], app_env(home), cols, rows)
    screen = Screen(fd)
    rng = random.Random(12)
    try:
        if screen.wait_for(FOOTER, 0, 30.0) is None:
            raise RuntimeError("the app did not start")
        time.sleep(args.warmup)  # accounts, quotes, history: let start-up finish (not a measurement)
        open_forms(screen, 3, rng)  # the first form pays for imports and CSS: not counted
        idle, idle_missed = open_forms(screen, args.opens, rng)
        print(f"  idle: p50 {ms(percentile(idle, 50))}, p99 {ms(percentile(idle, 99))}", flush=True)
        seconds = args.opens * 1.5 + 10  # outlasts the loaded phase
        result: dict = {}
        stream = threading.Thread(target=lambda: result.update(lg.request(op="stream", codes=codes, rate=args.rate,
                                                                           seconds=seconds, record=False)))
        stream.start()
        time.sleep(2.0)  # the stream reaches its rate (not a measurement)
        loaded, loaded_missed = open_forms(screen, args.opens, rng)
        stream.join()  # the loadgen answers when its stream ends
    finally:
        screen.done = True
        stop_child(pid, fd)
        lg.stop()
    print(f"futu-tui in a pty at {cols}x{rows}: b to the order form written to the terminal, {args.opens} opens "
          f"per phase")
    for name, times, missed in (("idle", idle, idle_missed), (f"{args.rate:g} pushes/s", loaded, loaded_missed)):
        p50, p99 = percentile(times, 50), percentile(times, 99)
        ok = p50 < 0.030 and p99 < 0.080 and not missed
        print(f"  {name:<16} p50 {ms(p50)}  p90 {ms(percentile(times, 90))}  p99 {ms(p99)}  max {ms(max(times, default=float('nan')))}"
              f"  missed {missed}   [goal p50 < 30 ms, p99 < 80 ms: {'met' if ok else 'MISSED'}]")
    if result:
        print(f"  load: {result.get('counts', {}).get('quote', 0)} quote pushes in {result.get('seconds', 0):.1f} s")


if __name__ == "__main__":
    main()
