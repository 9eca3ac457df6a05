"""US extended-hours ticks and K-lines through the official SDK: served to who asks for them
(`extended_time` / `session` on subscribe and request_history_kline), and to no one else."""

from __future__ import annotations

import contextlib
import threading
import time
from datetime import datetime

import pytest

from protocol.gateway.knobs import SimSettings
from protocol.gateway.sim import SimThread

pytestmark = pytest.mark.sdk

futu = pytest.importorskip("futu")
from futu import (  # noqa: E402
    RET_OK, CurKlineHandlerBase, KLType, OpenQuoteContext, Session, SubType, TickerHandlerBase,
)

CODE = "US.AAPL"
PRE_MARKET = "2026-12-01T05:00:00-05:00"  # a Tuesday: the pre-market began at 04:00 ET


def at(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def ok(result):
    ret, data = result[:2]  # request_history_kline adds a page key
    assert ret == RET_OK, data
    return data


class Seen(TickerHandlerBase):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[dict] = []
        self.lock = threading.Lock()

    def on_recv_rsp(self, rsp_pb):
        ret, data = super().on_recv_rsp(rsp_pb)
        if ret == RET_OK:
            with self.lock:
                self.rows.extend(data.to_dict("records"))
        return ret, data


class SeenKL(CurKlineHandlerBase):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[dict] = []

    def on_recv_rsp(self, rsp_pb):
        ret, data = super().on_recv_rsp(rsp_pb)
        if ret == RET_OK:
            self.rows.extend(data.to_dict("records"))
        return ret, data


@contextlib.contextmanager
def sim_at(start: str):
    from futu import SysConfig

    saved = (SysConfig.IS_PROTO_ENCRYPT, SysConfig.INIT_RSA_FILE)
    SysConfig.enable_proto_encrypt(False)
    SysConfig.set_init_rsa_file("")
    runner = SimThread(SimSettings(port=0, clock="real", start=at(start), paused=True, seed=3))
    port = runner.start()
    ctxs: list[OpenQuoteContext] = []

    def connect() -> OpenQuoteContext:
        ctx = OpenQuoteContext("127.0.0.1", port)
        ctxs.append(ctx)
        return ctx

    try:
        yield runner, connect
    finally:
        for ctx in ctxs:
            ctx.close()
        runner.stop()
        SysConfig.enable_proto_encrypt(saved[0])
        SysConfig.set_init_rsa_file(saved[1])


def wait_for(predicate, what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_pre_market_ticks_and_k_lines_only_for_a_subscription_with_extended_time():
    with sim_at(PRE_MARKET) as (runner, connect):
        ext, plain = connect(), connect()
        ext_ticks, plain_ticks, ext_bars = Seen(), Seen(), SeenKL()
        ext.set_handler(ext_ticks)
        ext.set_handler(ext_bars)
        plain.set_handler(plain_ticks)
        ok(ext.subscribe([CODE], [SubType.TICKER, SubType.K_1M], extended_time=True))
        ok(plain.subscribe([CODE], [SubType.TICKER, SubType.K_1M]))

        # the tape: the pre-market prints, marked as extended-hours trades (TickerType T)
        ticks = ok(ext.get_rt_ticker(CODE, 20))
        assert len(ticks) == 20 and set(ticks["type"]) == {"T"}
        assert all("2026-12-01 04:" in t or "2026-12-01 05:00" in t for t in ticks["time"])
        assert list(ticks["sequence"]) == sorted(ticks["sequence"])
        spread = ticks["price"].max() - ticks["price"].min()
        assert spread > 0.02  # prints at the bid and the ask of a wide spread
        regular = ok(plain.get_rt_ticker(CODE, 20))
        assert not any(t.startswith("2026-12-01") for t in regular["time"])
        assert "T" not in set(regular["type"])

        # the 1-minute K-line: pre-market bars for the extended subscriber, the last regular bar for the other
        bars = ok(ext.get_cur_kline(CODE, 30, KLType.K_1M))
        assert bars["time_key"].iloc[-1].startswith("2026-12-01 05:0")
        assert all(t.startswith("2026-12-01 0") for t in bars["time_key"].iloc[-5:])
        plain_bars = ok(plain.get_cur_kline(CODE, 30, KLType.K_1M))
        assert plain_bars["time_key"].iloc[-1] == "2026-11-30 16:00:00"

        # history: extended bars only when asked
        window = dict(start="2026-11-30 00:00:00", end="2026-11-30 23:59:59", ktype=KLType.K_5M)
        with_ext = ok(ext.request_history_kline(CODE, extended_time=True, **window))
        without = ok(ext.request_history_kline(CODE, **window))
        times = list(with_ext["time_key"])
        assert any("2026-11-30 04:05:00" <= t <= "2026-11-30 09:30:00" for t in times)  # pre-market
        assert any("2026-11-30 16:05:00" <= t <= "2026-11-30 20:00:00" for t in times)  # after-hours
        assert all("2026-11-30 09:35:00" <= t <= "2026-11-30 16:00:00" for t in without["time_key"])
        assert set(without["time_key"]) < set(times)
        day = ok(ext.request_history_kline(CODE, extended_time=True, start="2026-11-20", end="2026-11-30",
                                           ktype=KLType.K_DAY))
        assert all(t.endswith("00:00:00") for t in day["time_key"])  # day bars: no extended rows

        # pushes: a minute of market time brings new prints to the extended subscriber only
        before = len(ext_ticks.rows)
        runner.call(runner.sim.step, at(PRE_MARKET) + 90)
        wait_for(lambda: len(ext_ticks.rows) > before, "an extended-hours tick push")
        new = ext_ticks.rows[before:]
        assert {r["type"] for r in new} == {"T"} and all(r["time"] >= "2026-12-01 05:00" for r in new)
        wait_for(lambda: any(r["time_key"] >= "2026-12-01 05:01:00" for r in ext_bars.rows), "a pre-market bar push")
        ok(plain.get_global_state())  # a round trip: pushes sent before its reply have arrived
        assert not any(r["time"].startswith("2026-12-01") for r in plain_ticks.rows)


def test_the_overnight_session_needs_session_all():
    with sim_at("2026-12-01T20:05:00-05:00") as (runner, connect):
        eth, every = connect(), connect()
        ok(eth.subscribe([CODE], [SubType.TICKER], extended_time=True, subscribe_push=False))
        ok(every.subscribe([CODE], [SubType.TICKER], session=Session.ALL, subscribe_push=False))
        all_ticks = ok(every.get_rt_ticker(CODE, 50))
        assert all_ticks["type"].iloc[-1] == "EXTENDED_TRADING_HOURS"
        assert all_ticks["time"].iloc[-1] >= "2026-12-01 20:0"
        assert {"T", "EXTENDED_TRADING_HOURS"} <= set(all_ticks["type"])  # after-hours, then overnight
        eth_ticks = ok(eth.get_rt_ticker(CODE, 50))
        assert "EXTENDED_TRADING_HOURS" not in set(eth_ticks["type"])
        assert eth_ticks["time"].iloc[-1] < "2026-12-01 20:00:00"  # the after-hours ended at 20:00
