"""Over SSH: bytes per second `futu-tui` writes to its terminal at 120x40 at the default
simulator rate, and its CPU share of one core, measured through a pty.

    python -m tests.bench.ssh_output [--seconds 30] [--warmup 8] [--size 120x40] [--mode both]

The app runs in a pseudo-terminal (`pty.fork`) as a user's shell would start it over SSH:
TERM=xterm-256color, no COLORTERM (ssh does not forward it by default, so 256 colours),
window size set with TIOCSWINSZ, config and data in temporary XDG directories (so the
default watchlist of 12 codes), the simulator at its default rate. This process drains
the pty master and counts bytes; nothing answers the terminal's queries, as with a dumb
pipe. The first --warmup seconds (start-up, history and the first full paint) are not
counted. CPU is utime + stime of the app's process from /proc/<pid>/stat over the same
window (all its threads).

Two modes (--mode both runs each in turn):
  sim       `futu-tui --sim`: the simulated OpenD runs in a thread of the same process, so
            its CPU is in the figure (the user's command in the issue)
  external  `futu-opend-sim` in its own process and `futu-tui --port N`: the app alone
--flush-hz writes `flush_hz = N` to the app's config file, to see how the figures scale with
the repaint rate. Goals (issue 6): under 50 KB/s, under 30 % of one core.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import re
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

from tests.bench.harness import ROOT, cpu_seconds


def app_env(home: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEXTUAL", "FUTU_TUI", "COLORTERM"))}
    env.update(TERM="xterm-256color", XDG_CONFIG_HOME=os.path.join(home, "config"),
               XDG_DATA_HOME=os.path.join(home, "data"), XDG_CACHE_HOME=os.path.join(home, "cache"))
    env.pop("NO_COLOR", None)
    return env


def futu_tui() -> list[str]:
    exe = shutil.which("futu-tui", path=os.path.dirname(sys.executable)) or shutil.which("futu-tui")
    return [exe] if exe else [sys.executable, "-m", "workstation.cli"]


def spawn_in_pty(argv: list[str], env: dict[str, str], cols: int, rows: int) -> tuple[int, int]:
    pid, fd = pty.fork()
    if pid == 0:  # the child: stdin/stdout/stderr are the pty's slave
        try:
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
            os.chdir(ROOT)
            os.execvpe(argv[0], argv, env)
        finally:
            os._exit(127)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    return pid, fd


def drain(fd: int, seconds: float) -> tuple[int, list[int]]:
    """Read everything the app writes for `seconds`; total bytes and bytes per whole second."""
    total, per_second = 0, [0]
    start = time.monotonic()
    end = start + seconds
    while True:
        now = time.monotonic()
        if now >= end:
            break
        ready, _, _ = select.select([fd], [], [], end - now)
        if not ready:
            continue
        try:
            data = os.read(fd, 65536)
        except OSError:  # the child exited
            break
        if not data:
            break
        total += len(data)
        sec = int(time.monotonic() - start)
        while len(per_second) <= sec:
            per_second.append(0)
        per_second[sec] += len(data)
    return total, per_second[: int(seconds)]


def stop_child(pid: int, fd: int) -> None:
    try:
        os.write(fd, b"\x11")  # ctrl+q: quit
    except OSError:
        pass
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            drain(fd, 0.1)
        except OSError:
            pass
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done:
            break
    else:
        os.kill(pid, signal.SIGTERM)
        time.sleep(1)
        if os.waitpid(pid, os.WNOHANG)[0] == 0:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    os.close(fd)


def measure(mode: str, seconds: float, warmup: float, cols: int, rows: int, flush_hz: float | None = None) -> dict:
    home = tempfile.mkdtemp(prefix="bench-ssh-")
    env = app_env(home)
    if flush_hz is not None:  # through the config file, as a user would set it
        os.makedirs(os.path.join(home, "config", "futu-tui"))
        with open(os.path.join(home, "config", "futu-tui", "config.toml"), "w") as f:
            f.write(f"flush_hz = {flush_hz}\n")
    sim = None
    argv = [*futu_tui(), "--sim"]
    if mode == "external":
        log = Path(home) / "sim.log"
        with open(log, "w") as err:  # the child keeps its own copy of the descriptor
            sim = subprocess.Popen([sys.executable, "-m", "protocol.gateway.cli", "--port", "0"], cwd=ROOT,
                                   stdout=subprocess.DEVNULL, stderr=err, text=True)
        port = None
        for _ in range(400):
            match = re.search(r"listening on [\d.]+:(\d+)", log.read_text())
            if match:
                port = int(match.group(1))
                break
            time.sleep(0.05)
        if port is None:
            raise RuntimeError("futu-opend-sim did not start")
        argv = [*futu_tui(), "--port", str(port)]
    pid, fd = spawn_in_pty(argv, env, cols, rows)
    try:
        startup_bytes, _ = drain(fd, warmup)
        cpu0, t0 = cpu_seconds(pid), time.monotonic()
        total, per_second = drain(fd, seconds)
        wall = time.monotonic() - t0
        cpu = cpu_seconds(pid) - cpu0
    finally:
        stop_child(pid, fd)
        if sim is not None:
            sim.terminate()
            sim.wait(10)
    return {"mode": mode, "bytes": total, "wall": wall, "cpu": cpu, "per_second": per_second,
            "startup_bytes": startup_bytes, "argv": " ".join(os.path.basename(a) for a in argv)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="measuring window (default 30)")
    parser.add_argument("--warmup", type=float, default=8.0, help="start-up seconds not counted (default 8)")
    parser.add_argument("--size", default="120x40")
    parser.add_argument("--mode", choices=("sim", "external", "both"), default="both")
    parser.add_argument("--flush-hz", type=float, help="set flush_hz in the app's config file (default: the app's own)")
    args = parser.parse_args(argv)
    cols, rows = (int(x) for x in args.size.split("x"))
    modes = ("sim", "external") if args.mode == "both" else (args.mode,)
    print(f"futu-tui in a pty at {cols}x{rows}, TERM=xterm-256color, default simulator rate; "
          f"{args.seconds:g} s measured after {args.warmup:g} s of start-up")
    if args.flush_hz is not None:
        print(f"(config file: flush_hz = {args.flush_hz:g})")
    results = [measure(m, args.seconds, args.warmup, cols, rows, args.flush_hz) for m in modes]
    for r in results:
        rate = r["bytes"] / r["wall"] / 1000
        share = r["cpu"] / r["wall"] * 100
        ps = r["per_second"]
        print(f"  {r['mode']:<9} ({r['argv']}): {rate:6.1f} KB/s (per second: min {min(ps) / 1000:.1f}, "
              f"max {max(ps) / 1000:.1f} KB), CPU {share:4.1f}% of one core; start-up wrote "
              f"{r['startup_bytes'] / 1000:.0f} KB   [goals < 50 KB/s: {'met' if rate < 50 else 'MISSED'}, "
              f"< 30% CPU: {'met' if share < 30 else 'MISSED'}]")


if __name__ == "__main__":
    main()
