"""The machine's own noise: a fixed piece of pure-Python work, timed over and over in a process
of its own while a benchmark runs. On a shared virtual machine the same work sometimes takes
several times longer (the CPU it runs on is slower for a while, with nothing else in the guest
to blame); a tail latency below that floor cannot be promised by any code.

    python -m tests.bench.noise [--seconds 10]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

WORK = 20_000  # loop steps: about 1.5 ms of CPU on the 2-core machine
PAUSE = 0.05  # s between samples: the probe itself takes ~3% of one core


def _work() -> int:
    total = 0
    for i in range(WORK):
        total += i * i
    return total


def sample(seconds: float) -> list[float]:
    """Wall times of the fixed work, one sample every ~52 ms for `seconds`."""
    out: list[float] = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        t0 = time.perf_counter()
        _work()
        out.append(time.perf_counter() - t0)
        time.sleep(PAUSE)
    return out


class NoiseProbe:
    """`sample()` in a child process for the length of a `with` block; `times` after it."""

    def __init__(self, seconds: float) -> None:
        self.times: list[float] = []
        self._proc = subprocess.Popen([sys.executable, "-m", "tests.bench.noise", "--seconds", str(seconds), "--json"],
                                      stdout=subprocess.PIPE, text=True)

    def __enter__(self) -> NoiseProbe:
        return self

    def __exit__(self, *exc) -> None:
        out, _ = self._proc.communicate(timeout=600)
        self.times = json.loads(out) if out else []


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--json", action="store_true", help="print the raw times (for NoiseProbe)")
    args = parser.parse_args(argv)
    times = sample(args.seconds)
    if args.json:
        print(json.dumps(times))
        return
    from tests.bench.harness import ms, percentile

    print(f"fixed work, n={len(times)}: p50 {ms(percentile(times, 50))}  p90 {ms(percentile(times, 90))}  "
          f"p99 {ms(percentile(times, 99))}  max {ms(max(times))}")


if __name__ == "__main__":
    main()
