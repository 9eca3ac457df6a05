"""Market hours through the official SDK: market states at chosen instants (`--start` with
`--clock real`), US extended-hours blocks, a halt through get_market_snapshot, trade dates."""

from __future__ import annotations

import contextlib
from datetime import datetime

import pytest

from protocol.gateway.knobs import SimSettings
from protocol.gateway.sim import SimThread

pytestmark = pytest.mark.sdk

futu = pytest.importorskip("futu")
from futu import RET_OK, OpenQuoteContext, SubType, TradeDateMarket  # noqa: E402

HALTED = "HK.09988"


def at(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


@contextlib.contextmanager
def quotes_at(start: str, **changes):
    from futu import SysConfig

    saved = (SysConfig.IS_PROTO_ENCRYPT, SysConfig.INIT_RSA_FILE)
    SysConfig.enable_proto_encrypt(False)
    SysConfig.set_init_rsa_file("")
    runner = SimThread(SimSettings(port=0, clock="real", start=at(start), paused=True, seed=3, **changes))
    port = runner.start()
    ctx = OpenQuoteContext("127.0.0.1", port)
    try:
        yield ctx, runner
    finally:
        ctx.close()
        runner.stop()
        SysConfig.enable_proto_encrypt(saved[0])
        SysConfig.set_init_rsa_file(saved[1])


def ok(result):
    ret, data = result
    assert ret == RET_OK, data
    return data


# instant -> (market_hk, market_us, market_sh) as the SDK spells them
INSTANTS = {
    "hk lunch": ("2026-12-01T12:30+08:00", "REST", "OVERNIGHT", "REST"),
    "us pre-market": ("2026-12-01T08:00-05:00", "CLOSED", "PRE_MARKET_BEGIN", "CLOSED"),
    "us after-hours": ("2026-12-01T17:00-05:00", "CLOSED", "AFTER_HOURS_BEGIN", "CLOSED"),
    "us overnight": ("2026-12-01T22:00-05:00", "MORNING", "OVERNIGHT", "MORNING"),
    "hk and us holiday": ("2026-12-25T10:00+08:00", "CLOSED", "CLOSED", "MORNING"),
    "hk closing auction": ("2026-12-02T16:05+08:00", "HK_CAS", "OVERNIGHT", "CLOSED"),
}


@pytest.mark.parametrize("name", sorted(INSTANTS))
def test_market_states_at_chosen_instants(name):
    start, hk, us, sh = INSTANTS[name]
    with quotes_at(start) as (ctx, _):
        state = ok(ctx.get_global_state())
        assert (state["market_hk"], state["market_us"], state["market_sh"]) == (hk, us, sh)
        assert abs(int(state["timestamp"]) - at(start)) < 5
        per_code = ok(ctx.get_market_state(["HK.00700", "US.AAPL", "SH.600519"]))
        assert list(per_code["market_state"]) == [hk, us, sh]


def test_us_extended_hours_blocks_in_snapshot_and_basic_quote():
    with quotes_at("2026-12-01T08:00-05:00") as (ctx, _):  # pre-market
        snap = ok(ctx.get_market_snapshot(["US.AAPL", "HK.00700"])).set_index("code")
        aapl = snap.loc["US.AAPL"]
        assert aapl["pre_price"] > 0 and aapl["pre_volume"] > 0
        # before the open the regular quote is still the last session's: the change is against its close
        assert aapl["pre_change_val"] == pytest.approx(aapl["pre_price"] - aapl["last_price"], abs=1e-6)
        assert aapl["pre_high_price"] >= aapl["pre_price"] >= aapl["pre_low_price"]
        assert aapl["after_price"] == "N/A" and aapl["overnight_price"] == "N/A"  # not begun yet
        assert snap.loc["HK.00700"]["pre_price"] == "N/A"  # HK has no pre-market block
        ok(ctx.subscribe(["US.AAPL"], [SubType.QUOTE], subscribe_push=False))
        quote = ok(ctx.get_stock_quote(["US.AAPL"])).iloc[0]
        assert quote["pre_price"] == pytest.approx(aapl["pre_price"])
    with quotes_at("2026-12-01T22:00-05:00") as (ctx, _):  # overnight: the day's three blocks
        aapl = ok(ctx.get_market_snapshot(["US.AAPL"])).iloc[0]
        assert aapl["pre_price"] > 0 and aapl["after_price"] > 0 and aapl["overnight_price"] > 0
        assert aapl["after_change_val"] == pytest.approx(aapl["after_price"] - aapl["last_price"], abs=1e-6)


def test_a_halt_shows_in_get_market_snapshot_and_a_resume_lifts_it():
    with quotes_at("2026-12-02T10:30+08:00", suspend=(HALTED,)) as (ctx, runner):
        snap = ok(ctx.get_market_snapshot([HALTED, "HK.00700"])).set_index("code")
        assert bool(snap.loc[HALTED]["suspension"]) is True
        assert snap.loc[HALTED]["sec_status"] == "SUSPENDED"
        assert bool(snap.loc["HK.00700"]["suspension"]) is False
        assert snap.loc["HK.00700"]["sec_status"] == "NORMAL"
        ok(ctx.subscribe([HALTED], [SubType.ORDER_BOOK], subscribe_push=False))
        book = ok(ctx.get_order_book(HALTED))
        assert book["Bid"] == [] and book["Ask"] == []
        runner.call(runner.sim.faults.halt, "HK.00700")
        runner.call(runner.sim.faults.resume, HALTED)
        snap = ok(ctx.get_market_snapshot([HALTED, "HK.00700"])).set_index("code")
        assert bool(snap.loc[HALTED]["suspension"]) is False and bool(snap.loc["HK.00700"]["suspension"]) is True


def test_a_share_pinned_at_its_limit_up_has_no_sellers():
    with quotes_at("2026-12-02T10:30+08:00", limit_up=("SH.600519",)) as (ctx, _):
        ok(ctx.subscribe(["SH.600519"], [SubType.ORDER_BOOK, SubType.QUOTE], subscribe_push=False))
        quote = ok(ctx.get_stock_quote(["SH.600519"])).iloc[0]
        limit_up = round(quote["prev_close_price"] * 1.1 + 1e-9, 2)
        assert quote["last_price"] == pytest.approx(limit_up)
        book = ok(ctx.get_order_book("SH.600519"))
        assert book["Ask"] == [] and book["Bid"][0][0] == pytest.approx(limit_up)


def test_trade_dates_come_from_the_calendar():
    with quotes_at("2026-12-02T10:30+08:00") as (ctx, _):
        hk = ok(ctx.request_trading_days(TradeDateMarket.HK, start="2026-12-21", end="2026-12-31"))
        assert [d["time"] for d in hk] == ["2026-12-21", "2026-12-22", "2026-12-23", "2026-12-24", "2026-12-28",
                                          "2026-12-29", "2026-12-30", "2026-12-31"]
        assert {d["time"]: d["trade_date_type"] for d in hk}["2026-12-24"] == "MORNING"
        us = ok(ctx.request_trading_days(TradeDateMarket.US, start="2026-11-23", end="2026-11-27"))
        assert [d["time"] for d in us] == ["2026-11-23", "2026-11-24", "2026-11-25", "2026-11-27"]  # Thanksgiving
        cn = ok(ctx.request_trading_days(TradeDateMarket.CN, start="2026-09-28", end="2026-10-09"))
        assert [d["time"] for d in cn] == ["2026-09-28", "2026-09-29", "2026-09-30", "2026-10-08", "2026-10-09"]
        by_code = ok(ctx.request_trading_days(code="US.AAPL", start="2026-12-24", end="2026-12-28"))
        assert [d["time"] for d in by_code] == ["2026-12-24", "2026-12-28"]
