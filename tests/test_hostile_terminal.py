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

from protocol import ids
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
        term.read_until(b"pwned", timeout=60)  # the hostile name has been drawn (as text)
        # A later push with a price of its own: once it is drawn, every earlier write has been made.
        sim.call(sim.sim.pause)
        hostile.push(sim, ids.QOT_UPDATE_BASIC_QOT, hostile.quote("HK.00700", 777.7))
        term.read_until(b"777.7", timeout=30)
        for forbidden in hostile.FORBIDDEN:
            assert forbidden not in term.out, forbidden
        assert b"]0;pwned" in term.out and b"[2JWIPE" in term.out  # the names' words were drawn, as text
        term.send(b"\x11")  # ctrl+q
        assert term.wait() == 0
    finally:
        term.close()
        sim.stop()
