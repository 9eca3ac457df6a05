"""Settings a user can get wrong: every one is checked for type, finiteness and range, from
the file, the environment and the flags alike, and the error names the setting and its source.
Also: the data dir and the log are private to the user."""

from __future__ import annotations

import logging
import os
import stat
import subprocess
import sys

import pytest

from tests.conftest import ROOT
from workstation.logs import setup_logging


def run_cli(tmp_path, *flags: str, toml: str | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("FUTU_TUI_")}
    environ.update(XDG_CONFIG_HOME=str(tmp_path / "cfg"), XDG_DATA_HOME=str(tmp_path / "data"), **(env or {}))
    if toml is not None:
        (tmp_path / "cfg" / "futu-tui").mkdir(parents=True, exist_ok=True)
        (tmp_path / "cfg" / "futu-tui" / "config.toml").write_text(toml)
    return subprocess.run([sys.executable, "-m", "workstation.cli", "--print-config", *flags],
                          cwd=ROOT, capture_output=True, text=True, timeout=30, env=environ)


@pytest.mark.parametrize(("toml", "said"), [
    ("price_band_pct = nan", "price_band_pct must be a finite number, not nan"),
    ("max_notional = nan", "max_notional must be a finite number, not nan"),
    ("relock_minutes = nan", "relock_minutes must be a finite number, not nan"),
    ("max_notional = inf", "max_notional must be a finite number, not inf"),
    ("flush_hz = 0", "flush_hz must be 1 to 120, not 0"),
    ("flush_hz = -1", "flush_hz must be 1 to 120, not -1"),
    ("flush_hz = nan", "flush_hz must be a finite number"),
    ("port = true", "port must be a whole number, not True"),
    ("port = [1]", "port must be a whole number, not [1]"),
    ("port = 70000", "port must be 1 to 65535, not 70000"),
    ("rsa_key = 5", "rsa_key must be text, not 5"),
    ("allow_short = 1", "allow_short must be true or false, not 1"),
    ('host = "a\\u001b[2Jb"', "host must not hold control characters"),
])
def test_a_bad_value_in_the_file_is_refused_naming_setting_and_file(tmp_path, toml, said):
    result = run_cli(tmp_path, toml=toml)
    assert result.returncode == 2, result.stdout
    assert said in result.stderr
    assert "the config file" in result.stderr and "config.toml" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(("var", "value", "said"), [
    ("FUTU_TUI_PORT", "abc", "port must be a whole number, not 'abc' (from the environment variable FUTU_TUI_PORT)"),
    ("FUTU_TUI_SEED", "1.5", "seed must be a whole number, not '1.5' (from the environment variable FUTU_TUI_SEED)"),
    ("FUTU_TUI_SIM", "maybe", "sim must be true or false, not 'maybe' (from the environment variable FUTU_TUI_SIM)"),
])
def test_a_bad_environment_variable_is_refused_naming_it(tmp_path, var, value, said):
    result = run_cli(tmp_path, env={var: value})
    assert result.returncode == 2 and said in result.stderr


def test_a_bad_flag_is_refused_naming_it(tmp_path):
    result = run_cli(tmp_path, "--port", "0")
    assert result.returncode == 2 and "port must be 1 to 65535, not 0 (from the flag --port)" in result.stderr


def test_a_broken_toml_file_names_the_file(tmp_path):
    result = run_cli(tmp_path, toml="port = = 3")
    assert result.returncode == 2 and "config.toml: not a valid TOML file" in result.stderr


def test_good_values_still_load(tmp_path):
    result = run_cli(tmp_path, toml="flush_hz = 30\nprice_band_pct = 5\nallow_short = true\n")
    assert result.returncode == 0, result.stderr
    assert '"flush_hz": 30.0' in result.stdout and '"allow_short": true' in result.stdout


def test_the_data_dir_and_the_log_are_private(tmp_path):
    root = logging.getLogger()
    before = list(root.handlers)
    try:
        path = setup_logging(directory=tmp_path / "data" / "futu-tui")
        logging.getLogger("futu-tui.test").warning("account 1234 placed an order")
        for handler in root.handlers:
            handler.flush()
    finally:
        for handler in [h for h in root.handlers if h not in before]:
            handler.close()
            root.removeHandler(handler)
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "placed an order" in path.read_text()


def test_an_existing_world_readable_log_is_tightened(tmp_path):
    folder = tmp_path / "d"
    folder.mkdir(mode=0o755)
    (folder / "futu-tui.log").write_text("old line\n")
    os.chmod(folder / "futu-tui.log", 0o644)
    root = logging.getLogger()
    before = list(root.handlers)
    try:
        path = setup_logging(directory=folder)
    finally:
        for handler in [h for h in root.handlers if h not in before]:
            handler.close()
            root.removeHandler(handler)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_the_log_shows_wire_text_escaped_and_cannot_be_given_fake_lines(tmp_path):
    root = logging.getLogger()
    before = list(root.handlers)
    try:
        path = setup_logging(directory=tmp_path / "d")
        logging.getLogger("futu-tui.test").warning("order %s placed", "\x1b]0;pwned\x07\n2026-01-01 INFO fake: all good")
        for handler in root.handlers:
            handler.flush()
    finally:
        for handler in [h for h in root.handlers if h not in before]:
            handler.close()
            root.removeHandler(handler)
    text = path.read_text()
    assert "\x1b" not in text and "\\x1b]0;pwned\\x07\\n2026-01-01 INFO fake" in text
    assert len(text.splitlines()) == 1
