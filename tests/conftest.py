"""Shared fixtures: an RSA key file, the simulated OpenD as a real subprocess."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from protocol.crypto import RsaCipher

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session", autouse=True)
def own_config_and_data_dirs(tmp_path_factory):
    """No test reads the user's settings or writes the user's journal, watchlist or log, and no
    two xdist workers share them: the default config and data dirs point into this worker's
    temp dir, and FUTU_TUI_* settings from the shell are ignored. (Tests that use these dirs on
    purpose point them at their own tmp_path with monkeypatch.) Hypothesis's example database
    in .hypothesis/ is shared on purpose: it writes each example atomically (temp file + rename)
    and every test has its own key, so workers never write the same entry."""
    home = tmp_path_factory.mktemp("home")
    saved = dict(os.environ)
    for key in [k for k in os.environ if k.startswith("FUTU_TUI_")]:
        del os.environ[key]
    os.environ["XDG_CONFIG_HOME"] = str(home / "config")
    os.environ["XDG_DATA_HOME"] = str(home / "data")
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture(scope="session")
def rsa_key_file(tmp_path_factory) -> Path:
    """A PKCS#1 RSA-1024 private key shared by the simulator and the clients."""
    path = tmp_path_factory.mktemp("rsa") / "opend_rsa.pem"
    path.write_bytes(RsaCipher.generate().private_pem())
    return path


class SimProcess:
    """`futu-opend-sim` running as a subprocess on a free port; stderr is captured."""

    def __init__(self, *args: str) -> None:
        self.log_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"opend-sim-{os.getpid()}-{time.monotonic_ns()}.log"
        self._log = open(self.log_path, "w+")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "protocol.gateway.cli", "--port", "0", *args],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=self._log, text=True,
        )
        self.port = self._wait_for_port()

    def _wait_for_port(self, timeout: float = 20.0) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            match = re.search(r"listening on [\d.]+:(\d+)", self.log())
            if match:
                return int(match.group(1))
            if self.proc.poll() is not None:
                raise RuntimeError(f"futu-opend-sim exited early:\n{self.log()}")
            time.sleep(0.05)  # poll interval: the wait ends on the log line, not on time
        raise RuntimeError(f"futu-opend-sim did not start:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text()

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        return self.proc.returncode


@pytest.fixture
def sim_process():
    started: list[SimProcess] = []

    def start(*args: str) -> SimProcess:
        sim = SimProcess(*args)
        started.append(sim)
        return sim

    yield start
    for sim in started:
        sim.stop()


@pytest.fixture(autouse=True)
def plain_sdk_after_each_test():
    """The official SDK keeps encryption settings process-wide; leave them plain for the next test.

    (With an RSA file configured, every new SDK context RSA-encrypts its InitConnect, and a
    plain simulator cannot answer it: the SDK's constructor then retries forever.)
    """
    yield
    futu = sys.modules.get("futu")
    if futu is not None:
        futu.SysConfig.enable_proto_encrypt(False)
        futu.SysConfig.set_init_rsa_file("")


LONGEST_FIRST = ("test_fifty_gateway_restarts",)  # minutes long: started first, the other worker takes the rest


def pytest_collection_modifyitems(config, items):
    """Run the longest tests first, so that with xdist no worker is left with one at the end."""
    items.sort(key=lambda item: not item.name.startswith(LONGEST_FIRST))
