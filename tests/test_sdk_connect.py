"""The official SDK's OpenQuoteContext against `futu-opend-sim`, plain and encrypted."""

from __future__ import annotations

import re
import time

import pytest

pytestmark = [pytest.mark.sdk, pytest.mark.slow]


@pytest.fixture
def sdk_config():
    from futu import SysConfig

    saved = (SysConfig.IS_PROTO_ENCRYPT, SysConfig.INIT_RSA_FILE)
    yield SysConfig
    SysConfig.enable_proto_encrypt(saved[0])
    SysConfig.set_init_rsa_file(saved[1])


@pytest.mark.parametrize("mode", ["plain", "aes-cbc", "ftaes-ecb"])
def test_sdk_connects_and_survives_keepalives(mode, sim_process, sdk_config, rsa_key_file):
    from futu import RET_OK, OpenQuoteContext

    args = ["--keepalive", "2"]
    if mode != "plain":
        args += ["--rsa-key", str(rsa_key_file), "--aes", "ecb" if mode == "ftaes-ecb" else "auto"]
    sim = sim_process(*args)
    sdk_config.enable_proto_encrypt(mode != "plain")
    sdk_config.set_init_rsa_file(str(rsa_key_file) if mode != "plain" else "")

    ctx = OpenQuoteContext("127.0.0.1", sim.port)
    try:
        ret, state = ctx.get_global_state()
        assert ret == RET_OK, state
        assert state["qot_logined"] and state["trd_logined"]
        assert state["server_ver"] == "1011"
        conn_id = ctx.get_sync_conn_id()
        time.sleep(5.5)  # on purpose, a duration: the SDK sends KeepAlive every 0.8 x 2 s, at least two rounds
        ret, state = ctx.get_global_state()
        assert ret == RET_OK, state
        assert ctx.get_sync_conn_id() == conn_id, "the SDK reconnected: a keepalive went unanswered"
    finally:
        ctx.close()

    deadline = time.monotonic() + 5
    while "closed after" not in sim.log() and time.monotonic() < deadline:
        time.sleep(0.05)  # poll interval: the wait ends on the log line
    log = sim.log()
    assert log.count("): closed after") == 1  # one connection: the SDK never reconnected
    assert f"(PyNormal, {'none' if mode == 'plain' else mode}): closed after" in log
    frames_in = int(re.search(r"closed after .*; (\d+) frames in", log).group(1))
    assert frames_in >= 1 + 2 + 2  # InitConnect, two GetGlobalState, two or more KeepAlive


def test_sdk_unserved_call_gets_a_clear_error(sim_process, sdk_config):
    """An unserved proto ID is answered at once with a failure that names it."""
    from futu import RET_ERROR, OpenQuoteContext

    sim = sim_process("--keepalive", "10")
    sdk_config.enable_proto_encrypt(False)
    sdk_config.set_init_rsa_file("")
    ctx = OpenQuoteContext("127.0.0.1", sim.port)
    try:
        t0 = time.monotonic()
        ret, msg = ctx.get_option_expiration_date("HK.00700")
        assert ret == RET_ERROR
        assert "3224" in msg and "not served" in msg
        assert time.monotonic() - t0 < 3  # a reply, not the SDK's 12 s timeout
    finally:
        ctx.close()
