"""The two console entry points, run as a user would run them."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import ROOT

CONNECT = """
import asyncio, sys
from protocol.client import OpenDClient
async def main():
    c = OpenDClient("127.0.0.1", int(sys.argv[1]), client_id="cli-test")
    info = await c.connect()
    print("conn", info.conn_id)
    await c.close()
asyncio.run(main())
"""


def test_opend_sim_logs_connections_and_exits_cleanly_on_sigterm(sim_process):
    sim = sim_process()
    result = subprocess.run([sys.executable, "-c", CONNECT, str(sim.port)], cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert sim.stop() == 0
    log = sim.log()
    assert "(cli-test, none): closed after" in log and "stopping" in log


def test_bad_rsa_key_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "key.pem"
    bad.write_text("not a key")
    result = subprocess.run(
        [sys.executable, "-m", "protocol.gateway.cli", "--rsa-key", str(bad)], cwd=ROOT, capture_output=True, text=True, timeout=30,
    )
    assert result.returncode == 2 and "cannot use RSA key" in result.stderr


def print_config(tmp_path, *flags: str, env: dict | None = None) -> dict:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("FUTU_TUI_")}
    environ.update(XDG_CONFIG_HOME=str(tmp_path / "cfg"), **(env or {}))
    result = subprocess.run([sys.executable, "-m", "workstation.cli", "--print-config", *flags],
                            cwd=ROOT, capture_output=True, text=True, timeout=30, env=environ)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_settings_flags_beat_env_beat_file_beat_defaults(tmp_path):
    assert print_config(tmp_path)["port"] == 11111  # default
    cfg_dir = tmp_path / "cfg" / "futu-tui"
    cfg_dir.mkdir(parents=True)
    (cfg_dir / "config.toml").write_text('port = 22222\nhost = "10.0.0.5"\ncolors = "green-up"\n')
    got = print_config(tmp_path)
    assert (got["port"], got["host"], got["colors"]) == (22222, "10.0.0.5", "green-up")
    got = print_config(tmp_path, env={"FUTU_TUI_PORT": "33333"})
    assert (got["port"], got["host"]) == (33333, "10.0.0.5")
    got = print_config(tmp_path, "--port", "44444", env={"FUTU_TUI_PORT": "33333"})
    assert got["port"] == 44444


def test_bad_settings_are_refused_clearly(tmp_path):
    environ = {k: v for k, v in os.environ.items() if not k.startswith("FUTU_TUI_")}
    environ["XDG_CONFIG_HOME"] = str(tmp_path)
    result = subprocess.run([sys.executable, "-m", "workstation.cli", "--theme", "neon", "--print-config"],
                            cwd=ROOT, capture_output=True, text=True, timeout=30, env=environ)
    assert result.returncode == 2 and "theme must be one of dark, light, contrast" in result.stderr
