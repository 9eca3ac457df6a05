"""The two console entry points, run as a user would run them."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def test_opend_sim_logs_connections_and_exits_cleanly_on_sigterm(sim_process):
    sim = sim_process()
    result = subprocess.run(
        [sys.executable, "-m", "workstation.cli", "--port", str(sim.port)],
        cwd=ROOT, capture_output=True, text=True, timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert f"connected to OpenD at 127.0.0.1:{sim.port}" in result.stdout
    assert sim.stop() == 0
    log = sim.log()
    assert "(futu-tui, none): closed after" in log and "stopping" in log


def test_futu_tui_sim_connects_for_real():
    result = subprocess.run(
        [sys.executable, "-m", "workstation.cli", "--sim"], cwd=ROOT, capture_output=True, text=True, timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert "connected to simulated OpenD at 127.0.0.1:" in result.stdout
    assert "quote server logged in: True" in result.stdout


def test_futu_tui_reports_an_unreachable_opend():
    result = subprocess.run(
        [sys.executable, "-m", "workstation.cli", "--port", "1"], cwd=ROOT, capture_output=True, text=True, timeout=30,
    )
    assert result.returncode == 1
    assert "cannot reach OpenD at 127.0.0.1:1" in result.stderr


def test_bad_rsa_key_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "key.pem"
    bad.write_text("not a key")
    result = subprocess.run(
        [sys.executable, "-m", "protocol.gateway.cli", "--rsa-key", str(bad)], cwd=ROOT, capture_output=True, text=True, timeout=30,
    )
    assert result.returncode == 2 and "cannot use RSA key" in result.stderr
