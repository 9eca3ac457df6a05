"""The simulator's knobs: `SimSettings` and `futu-opend-sim`'s flags agree; `sim.faults` does what it says."""

from __future__ import annotations

import asyncio
import dataclasses
import math
import re
import subprocess
import sys
import time

import pytest

from protocol import ids
from protocol.client import ConnState, OpenDClient, OpenDError
from protocol.crypto import RsaCipher
from protocol.gateway.cli import build_parser
from protocol.gateway.knobs import SettingError, SimSettings, flag_of
from protocol.gateway.sim import Simulator, SimThread
from protocol.proto import GetGlobalState_pb2, Trd_Common_pb2, Trd_ModifyOrder_pb2
from tests.conftest import ROOT

START = 1_795_660_200  # 2026-11-26 10:30 in Hong Kong
HK_SIM = 3450309
SETTINGS = dataclasses.fields(SimSettings)
CLI_ONLY = {"--help", "--gen-rsa-key", "--verbose"}  # actions of the command, not settings

NO_VALUE = object()  # a bad value only the flag's text can carry (any int is a seed)
BAD = {  # setting: (flag text, value given in-process)
    "host": ("", ""),
    "port": ("70000", 70000),
    "rsa": ("/nonexistent/opend_rsa.pem", NO_VALUE),
    "aes_mode": ("cbc", "cbc"),
    "keepalive": ("0", 0),
    "seed": ("seven", NO_VALUE),
    "rate": ("0", 0.0),
    "clock": ("noon", "noon"),
    "lang": ("cht", "cht"),
    "start": ("2026-11-26T10:30", math.inf),  # no UTC offset: which 10:30?
    "tick_ms": ("-5", -5),
    "quota": ("-1", -1),
    "trade_password": ("/nonexistent/password.txt", ""),
    "suspend": ("HK.99999", ("HK.99999",)),
    "limit_up": ("HK.00700", ("HK.00700",)),  # no daily limits outside A-shares
    "limit_down": ("US.AAPL", ("US.AAPL",)),
    "quote_rights": ("US=SF", "HK=LV2"),
    "history_quota": ("-1", -1),
    "history_quota_period": ("soon", 0.0),
}


def global_state() -> GetGlobalState_pb2.C2S:
    return GetGlobalState_pb2.C2S(userID=0)


async def wait_for(predicate, timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)


# -- settings and flags -------------------------------------------------------------------


def test_every_setting_has_a_flag_that_help_lists_and_no_flag_is_undeclared():
    help_text = build_parser().format_help()
    flags = {flag_of(f) for f in SETTINGS}
    assert len(flags) == len(SETTINGS)
    listed = set(re.findall(r"(?<![\w-])--[a-z][a-z-]*", help_text))
    negations = {"--no-" + flag_of(f)[2:] for f in SETTINGS if isinstance(f.default, bool)}
    assert listed == flags | negations | CLI_ONLY


def test_no_flags_give_the_declared_defaults():
    assert SimSettings.from_args(build_parser().parse_args([])) == SimSettings()


def test_flags_set_their_settings(rsa_key_file, tmp_path):
    (tmp_path / "pw").write_text("654321\n")
    argv = ["--host", "0.0.0.0", "--port", "0", "--rsa-key", str(rsa_key_file), "--aes", "ecb",
            "--keepalive", "3", "--seed", "5", "--rate", "2.5", "--clock", "real",
            "--start", "2026-11-26T10:30+08:00", "--paused", "--tick-ms", "20", "--quota", "0", "--lang", "en",
            "--trade-password-file", str(tmp_path / "pw")]
    got = SimSettings.from_args(build_parser().parse_args(argv))
    assert isinstance(got.rsa, RsaCipher)
    assert dataclasses.replace(got, rsa=None) == SimSettings(
        host="0.0.0.0", port=0, aes_mode="ecb", keepalive=3, seed=5, rate=2.5, clock="real",
        start=START, paused=True, tick_ms=20, quota=0, lang="en", trade_password="654321")
    assert SimSettings.from_args(build_parser().parse_args(["--start", str(START)])).start == START


def test_every_setting_but_a_switch_has_a_bad_example():
    assert set(BAD) == {f.name for f in SETTINGS if not isinstance(f.default, bool)}


@pytest.mark.parametrize("name", sorted(BAD))
def test_a_bad_flag_value_is_refused_naming_the_flag(name, capsys):
    (f,) = [f for f in SETTINGS if f.name == name]
    with pytest.raises(SystemExit) as exit_:
        build_parser().parse_args([f"{flag_of(f)}={BAD[name][0]}"])
    assert exit_.value.code == 2
    assert f"argument {flag_of(f)}: " in capsys.readouterr().err


@pytest.mark.parametrize("name", sorted(n for n, (_, value) in BAD.items() if value is not NO_VALUE))
def test_a_bad_setting_is_refused_in_process_naming_it(name):
    with pytest.raises(SettingError) as refused:
        SimSettings(**{name: BAD[name][1]})
    assert refused.value.name == name and str(refused.value).startswith(f"{name}: ")


def test_simulator_and_thread_refuse_bad_and_unknown_settings_before_starting():
    with pytest.raises(SettingError, match="rate"):
        Simulator(rate=0)
    with pytest.raises(SettingError, match="quota"):
        SimThread(SimSettings(), quota=-1)  # in the caller's thread, not the simulator's
    with pytest.raises(TypeError, match="tick_rate"):
        Simulator(tick_rate=5)


def test_the_command_refuses_a_bad_value_naming_its_flag():
    result = subprocess.run([sys.executable, "-m", "protocol.gateway.cli", "--quota", "-1"],
                            cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert result.returncode == 2 and "argument --quota: must not be negative" in result.stderr


async def test_flags_reach_the_running_simulator(sim_process):
    sim = sim_process("--keepalive", "3", "--paused", "--start", "2026-11-26T10:30+08:00", "--seed", "5")
    client = OpenDClient("127.0.0.1", sim.port)
    info = await client.connect()
    try:
        assert info.keepalive_interval == 3
        assert (await client.request(ids.GET_GLOBAL_STATE, global_state())).time == START  # paused at --start
    finally:
        await client.close()
    assert "market: seed 5" in sim.log()


async def test_settings_reach_the_running_simulator():
    settings = SimSettings(port=0, keepalive=2, start=START, paused=True)
    async with Simulator(settings) as sim:
        assert sim.settings == settings
        client = OpenDClient("127.0.0.1", sim.port)
        assert (await client.connect()).keepalive_interval == 2
        try:
            assert (await client.request(ids.GET_GLOBAL_STATE, global_state())).time == START
        finally:
            await client.close()


# -- runtime events -------------------------------------------------------------------------


@pytest.fixture
async def sim():
    async with Simulator(port=0, seed=3) as simulator:
        yield simulator


@pytest.fixture
async def client(sim):
    c = OpenDClient("127.0.0.1", sim.port)
    await c.connect()
    yield c
    await c.close()


def cancel_all() -> Trd_ModifyOrder_pb2.C2S:
    c2s = Trd_ModifyOrder_pb2.C2S(orderID=0, modifyOrderOp=2, forAll=True, trdMarket=1)
    c2s.header.CopyFrom(Trd_Common_pb2.TrdHeader(trdEnv=0, accID=HK_SIM, trdMarket=1))
    c2s.packetID.connID, c2s.packetID.serialNo = 0, 0
    return c2s


async def test_stall_goes_silent_on_an_open_socket(sim, client):
    other = OpenDClient("127.0.0.1", sim.port)
    await other.connect()
    try:
        assert sim.faults.stall(client.info.conn_id) == 1
        with pytest.raises(OpenDError, match="no reply from OpenD within 0.3 s"):
            await client.request(ids.GET_GLOBAL_STATE, global_state(), timeout=0.3)
        assert client.info.conn_id in sim.gateway.sessions and client.state is ConnState.READY  # open, silent
        await other.request(ids.GET_GLOBAL_STATE, global_state())  # the other link still answers
        assert sim.faults.drop(client.info.conn_id) == 1
        await wait_for(lambda: client.state is ConnState.LOST)
    finally:
        await other.close()


async def test_delay_with_a_count_holds_back_that_many_replies(sim, client):
    sim.faults.delay(0.4, count=2)
    for _ in range(2):
        t0 = time.monotonic()
        await client.request(ids.GET_GLOBAL_STATE, global_state())
        assert time.monotonic() - t0 >= 0.4
    t0 = time.monotonic()
    await client.request(ids.GET_GLOBAL_STATE, global_state())
    assert time.monotonic() - t0 < 0.4  # the third is not held back


async def test_reject_next_modify_refuses_one_cancel(sim, client):
    sim.faults.reject_next_modify("order is being processed")
    with pytest.raises(OpenDError, match="order is being processed"):
        await client.request(ids.TRD_MODIFY_ORDER, cancel_all())
    await client.request(ids.TRD_MODIFY_ORDER, cancel_all())  # one-shot


async def test_clear_forgets_pending_rejections(sim, client):
    sim.faults.reject_next_modify("busy")
    sim.faults.clear()
    await client.request(ids.TRD_MODIFY_ORDER, cancel_all())
