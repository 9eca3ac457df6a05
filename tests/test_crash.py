"""A crash is visible: `futu-tui` exits non-zero and its log holds the traceback.

No input can crash the app any more (the hostile-OpenD tests say so), so the fault is planted:
the script below makes the app's mount raise, then runs the real `futu-tui` entry point on a
real pseudo-terminal."""

from __future__ import annotations

import os
import sys

import pytest

from tests.test_hostile_terminal import Terminal

pytestmark = pytest.mark.slow

PLANTED = """
import sys
from workstation import app, cli

def boom(self):
    raise RuntimeError("planted fault for the crash test")

app.FutuTui.on_mount = boom
sys.exit(cli.main(["--port", "1"]))
"""


def test_a_crash_exits_non_zero_and_logs_its_traceback(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("FUTU_TUI_")}
    env.update(TERM="xterm-256color", XDG_CONFIG_HOME=str(tmp_path / "cfg"), XDG_DATA_HOME=str(tmp_path / "data"))
    term = Terminal([sys.executable, "-c", PLANTED], env)
    try:
        code = term.wait(timeout=60)
    finally:
        term.close()
    assert code != 0
    log = (tmp_path / "data" / "futu-tui" / "futu-tui.log").read_text()
    assert "futu-tui crashed" in log and "RuntimeError: planted fault for the crash test" in log
    assert "Traceback" in log
