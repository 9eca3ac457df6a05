"""`futu-tui` in a real pseudo-terminal against a hostile OpenD: of everything the app writes
to the terminal, no escape sequence that came from the wire survives (no window title, no
screen wipe, no clipboard write), and the app still answers and quits cleanly."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import time

import pytest

from protocol.gateway.sim import SimThread
from tests import hostile
from tests.conftest import ROOT

pytestmark = pytest.mark.slow


class Terminal:
    """A process on a 120x40 pty; every byte it writes is kept."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, cwd=ROOT, env=env,
                                     start_new_session=True)
        os.close(slave)
        self.master = master
        self.out = bytearray()

    def read_until(self, marker: bytes, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while marker not in self.out:
            left = deadline - time.monotonic()
            if left <= 0 or self.proc.poll() is not None:
                raise AssertionError(f"{marker!r} never written; exit {self.proc.poll()}; tail {bytes(self.out[-400:])!r}")
            ready, _, _ = select.select([self.master], [], [], min(left, 0.2))
            if ready:
                try:
                    self.out += os.read(self.master, 65536)
                except OSError:
                    break

    def pump(self, wait: float = 0.2) -> None:
        """Take what the app has written so far (waiting at most `wait` for something)."""
        ready, _, _ = select.select([self.master], [], [], wait)
        if ready:
            try:
                self.out += os.read(self.master, 65536)
            except OSError:
                pass

    def send(self, data: bytes) -> None:
        os.write(self.master, data)

    def wait(self, timeout: float = 20.0) -> int:
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < deadline:
            ready, _, _ = select.select([self.master], [], [], 0.2)
            if ready:
                try:
                    self.out += os.read(self.master, 65536)
                except OSError:
                    break
        return self.proc.wait(timeout=1)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        os.close(self.master)


def test_no_escape_from_the_wire_reaches_the_terminal(tmp_path):
    sim = SimThread(seed=5)
    sim.start()
    hostile.rename_all(sim)
    wl = tmp_path / "data" / "futu-tui"
    wl.mkdir(parents=True)
    (wl / "watchlist.json").write_text('["HK.00700", "HK.09988", "HK.03690", "HK.00005", "HK.01810"]')
    env = {k: v for k, v in os.environ.items() if not k.startswith("FUTU_TUI_")}
    env.update(TERM="xterm-256color", XDG_CONFIG_HOME=str(tmp_path / "cfg"), XDG_DATA_HOME=str(tmp_path / "data"),
               COLUMNS="120", LINES="40")
    term = Terminal([sys.executable, "-m", "workstation.cli", "--port", str(sim.sim.port)], env)
    try:
        term.read_until(b"]0;pwned", timeout=60)  # the hostile names have been drawn, as text
        term.read_until(b"[2JWIPE", timeout=30)
        # Whatever the app draws next comes after every write it made for them: the help screen.
        term.send(b"?")
        term.read_until(b"Next panel", timeout=30)  # in help only, never in the footer
        for forbidden in hostile.FORBIDDEN:
            assert forbidden not in term.out, forbidden
        term.send(b"\x1b")  # Esc closes the help
        term.send(b"\x11")  # ctrl+q
        assert term.wait() == 0
    finally:
        term.close()
        sim.stop()
