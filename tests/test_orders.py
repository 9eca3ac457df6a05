"""Order tickets: validation rules, tick/lot nudging, the PlaceOrder request, the throttle."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocol.markets import UNIT, on_tick_grid
from protocol.proto import Trd_Common_pb2
from protocol.trade import OrderType, Session, Side, TimeInForce
from workstation.orders import Limits, Problem, Ticket, nudge_price, nudge_qty, to_c2s, validate
from workstation.throttle import MODIFY, PLACE, OrderThrottle

HK = {"lot_size": 100, "last_price": 612.5, "can_sell_qty": 0}
DEFAULT = Limits()


def check(ticket: Ticket, limits: Limits = DEFAULT, **kw) -> list[Problem]:
    return validate(ticket, limits=limits, **{**HK, **kw})


def only(problems: list[Problem], field: str) -> str:
    assert [p.field for p in problems] == [field], problems
    return problems[0].message


def test_a_good_limit_order_passes():
    assert check(Ticket("HK.00700", Side.BUY, 200, 612.0)) == []


@pytest.mark.parametrize("qty", [0, -100])
def test_qty_must_be_positive(qty):
    assert "more than 0" in only(check(Ticket("HK.00700", Side.BUY, qty, 612.0)), "qty")


def test_lot_multiple_names_lot_and_neighbours():
    msg = only(check(Ticket("HK.00700", Side.BUY, 250, 612.0)), "qty")
    assert "lot size 100" in msg and "200 or 300" in msg
    assert "try 100" in only(check(Ticket("HK.00700", Side.BUY, 50, 612.0)), "qty")


def test_tick_grid_names_tick_and_neighbours():
    # 612.3: the HK band 500-1000 moves in 0.5
    msg = only(check(Ticket("HK.00700", Side.BUY, 100, 612.3)), "price")
    assert "tick is 0.5" in msg and "612 and 612.5" in msg


def test_tick_grid_follows_the_spread_table_bands():
    ok = {"lot_size": 1000, "last_price": 19.99}
    assert check(Ticket("HK.00939", Side.BUY, 1000, 19.98), **ok) == []  # 10-20: 0.02
    msg = only(check(Ticket("HK.00939", Side.BUY, 1000, 20.02), **ok), "price")  # 20-100: 0.05
    assert "tick is 0.05" in msg and "20 and 20.05" in msg
    assert check(Ticket("US.AAPL", Side.BUY, 1, 0.5012), lot_size=1, last_price=0.5) == []  # US below $1: 0.0001
    assert "tick is 0.01" in only(check(Ticket("US.AAPL", Side.BUY, 1, 229.875), lot_size=1, last_price=229.87), "price")


def test_price_band_vs_last():
    msg = only(check(Ticket("HK.00700", Side.BUY, 100, 700.0)), "price")
    assert "14.3% above" in msg and "±10%" in msg and "612.5" in msg
    assert check(Ticket("HK.00700", Side.BUY, 100, 700.0), Limits(band_pct=15)) == []
    assert "below" in only(check(Ticket("HK.00700", Side.BUY, 100, 500.0)), "price")


def test_price_band_needs_a_last_price():
    assert "no last price" in only(check(Ticket("HK.00700", Side.BUY, 100, 612.0), last_price=None), "price")


def test_notional_cap():
    msg = only(check(Ticket("HK.00700", Side.BUY, 2000, 612.0)), "qty")
    assert "1,224,000.00" in msg and "1,000,000.00" in msg
    assert check(Ticket("HK.00700", Side.BUY, 2000, 612.0), Limits(max_notional=2e6)) == []


def test_market_order_skips_price_checks_but_not_notional():
    assert check(Ticket("HK.00700", Side.BUY, 100, 0.0, order_type=OrderType.MARKET)) == []
    assert check(Ticket("HK.00700", Side.BUY, 100, 612.3, order_type=OrderType.MARKET)) == []  # price ignored
    assert "notional" in only(check(Ticket("HK.00700", Side.BUY, 2000, order_type=OrderType.MARKET)), "qty")
    assert "no last price" in only(check(Ticket("HK.00700", Side.BUY, 100, order_type=OrderType.MARKET), last_price=None), "price")


def test_sell_at_most_can_sell_unless_short():
    assert check(Ticket("HK.00700", Side.SELL, 300, 612.0), can_sell_qty=300) == []
    assert "at most 200" in only(check(Ticket("HK.00700", Side.SELL, 300, 612.0), can_sell_qty=200), "qty")
    assert "turned off" in only(check(Ticket("HK.00700", Side.SELL_SHORT, 300, 612.0)), "side")
    assert check(Ticket("HK.00700", Side.SELL_SHORT, 300, 612.0), Limits(allow_short=True)) == []


def test_stop_orders_need_a_trigger_on_the_right_side():
    assert "trigger price is required" in only(check(Ticket("HK.00700", Side.BUY, 100, order_type=OrderType.STOP)), "aux_price")
    assert check(Ticket("HK.00700", Side.BUY, 100, order_type=OrderType.STOP, aux_price=620.0)) == []
    assert "above" in only(check(Ticket("HK.00700", Side.BUY, 100, order_type=OrderType.STOP, aux_price=600.0)), "aux_price")
    assert "below" in only(check(Ticket("HK.00700", Side.SELL, 100, 600.0, OrderType.STOP_LIMIT, 615.0), can_sell_qty=100), "aux_price")
    assert check(Ticket("HK.00700", Side.SELL, 100, 600.0, OrderType.STOP_LIMIT, 600.0), can_sell_qty=100) == []
    assert "tick is 0.5" in only(check(Ticket("HK.00700", Side.BUY, 100, order_type=OrderType.STOP, aux_price=620.2)), "aux_price")


def test_remark_byte_length():
    assert check(Ticket("HK.00700", Side.BUY, 100, 612.0, remark="x" * 64)) == []
    msg = only(check(Ticket("HK.00700", Side.BUY, 100, 612.0, remark="买" * 22)), "remark")  # 66 bytes
    assert "66 bytes" in msg


def test_bad_code_and_session():
    assert only(check(Ticket("00700", Side.BUY, 100, 612.0)), "code")
    assert "US orders only" in only(check(Ticket("HK.00700", Side.BUY, 100, 612.0, session=Session.ETH)), "session")


def test_nudge_price_crosses_hk_band_edges():
    assert nudge_price("HK.00939", 19.98, 1) == 20.0
    assert nudge_price("HK.00939", 20.0, 1) == 20.05
    assert nudge_price("HK.00939", 20.05, -1) == 20.0
    assert nudge_price("HK.00939", 20.0, -1) == 19.98
    assert nudge_price("HK.00700", 500.0, 1) == 500.5
    assert nudge_price("HK.00700", 500.0, -1) == 499.8
    assert nudge_price("HK.00700", 612.3, 1) == 612.5  # off grid: snapping is the first step
    assert nudge_price("HK.00700", 612.3, -2) == 611.5
    assert nudge_price("US.AAPL", 1.0, -1) == 0.9999
    assert nudge_price("HK.00001", 0.001, -5) == 0.001  # never at or below zero


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["HK.00700", "US.AAPL", "SH.600519"]), st.integers(1, 60_000_000),
       st.integers(-30, 30).filter(bool))
def test_nudged_prices_are_on_the_grid(code, units, ticks):
    out = nudge_price(code, units / UNIT, ticks)
    assert out > 0 and on_tick_grid(code[:2], out)
    if ticks > 0:
        assert out > units / UNIT
    else:
        assert out < units / UNIT or out == nudge_price(code, 0.0, 1)  # down, or stuck at the floor


def test_nudge_qty():
    assert nudge_qty(200, 1, 100) == 300
    assert nudge_qty(200, -1, 100) == 100
    assert nudge_qty(100, -3, 100) == 100  # at least one lot
    assert nudge_qty(250, 1, 100) == 300 and nudge_qty(250, -1, 100) == 200
    assert nudge_qty(7, 5, 1) == 12


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 20_000_000), st.integers(1, 3000), st.sampled_from([1, 100, 500]))
def test_validate_accepts_exactly_grid_lot_band(units, qty, lot):
    last = 612.5
    price = units / UNIT
    ticket = Ticket("HK.00700", Side.BUY, qty, price)
    problems = validate(ticket, lot_size=lot, last_price=last, can_sell_qty=0, limits=Limits(max_notional=1e12))
    expected = on_tick_grid("HK", price) and qty % lot == 0 and abs(price / last - 1) <= 0.10 + 1e-12
    assert (problems == []) == expected, problems


HEADER = Trd_Common_pb2.TrdHeader(trdEnv=0, accID=281756, trdMarket=1)


def test_to_c2s_fields():
    c2s = to_c2s(Ticket("HK.00700", Side.BUY, 200, 612.5, remark="r1", tif=TimeInForce.GTC), HEADER)
    assert (c2s.code, c2s.secMarket, c2s.trdSide, c2s.orderType, c2s.qty, c2s.price) == ("00700", 1, 1, 1, 200.0, 612.5)
    assert c2s.timeInForce == 1 and c2s.remark == "r1" and not c2s.HasField("auxPrice")
    assert not c2s.HasField("packetID")
    stop = to_c2s(Ticket("US.AAPL", Side.SELL, 5, 0.0, OrderType.STOP, 200.0, session=Session.ETH), HEADER)
    assert (stop.code, stop.secMarket, stop.auxPrice, stop.session, stop.fillOutsideRTH) == ("AAPL", 2, 200.0, 2, True)
    assert not to_c2s(Ticket("HK.00700", Side.BUY, 100, 612.0, aux_price=600.0), HEADER).HasField("auxPrice")


@pytest.mark.sdk
@pytest.mark.parametrize("ticket", [
    Ticket("HK.00700", Side.BUY, 200, 612.5, remark="kb-1"),
    Ticket("US.AAPL", Side.SELL, 3, 230.0, OrderType.STOP_LIMIT, 229.0, tif=TimeInForce.GTC, session=Session.ETH),
    Ticket("SH.600519", Side.BUY, 100, 0.0, OrderType.MARKET),
])
def test_to_c2s_matches_the_official_sdk(ticket, monkeypatch):
    trade_query = pytest.importorskip("futu.trade.trade_query")
    from futu.common import constant as sdk_const

    sent = []
    monkeypatch.setattr(trade_query, "pack_pb_req", lambda req, *a, **k: sent.append(req))
    names = {1: sdk_const.OrderType.NORMAL, 2: sdk_const.OrderType.MARKET, 10: sdk_const.OrderType.STOP,
             11: sdk_const.OrderType.STOP_LIMIT}
    market, code = ticket.code.split(".")
    trade_query.PlaceOrder.pack_req(
        {1: sdk_const.TrdSide.BUY, 2: sdk_const.TrdSide.SELL}[ticket.side], names[ticket.order_type], ticket.price,
        ticket.qty, code, 0.0, sdk_const.TrdEnv.SIMULATE, market, 281756, sdk_const.TrdMarket.HK, 7,
        ticket.remark or None, {0: sdk_const.TimeInForce.DAY, 1: sdk_const.TimeInForce.GTC}[ticket.tif],
        ticket.session == Session.ETH, {0: sdk_const.Session.NONE, 2: sdk_const.Session.ETH}[ticket.session],
        ticket.aux_price, None, None, None, sdk_const.SubAccType.NONE, None, None, None, None,
    )
    sdk = sent[0].c2s
    sdk.ClearField("packetID")
    assert to_c2s(ticket, HEADER).SerializePartialToString(deterministic=True) == sdk.SerializePartialToString(
        deterministic=True)


def test_throttle_holds_the_16th_order_and_does_not_count_refusals():
    now = [0.0]
    throttle = OrderThrottle(clock=lambda: now[0])
    for i in range(15):
        now[0] = i * 0.5
        assert throttle.check(PLACE, 1) == 0.0
    now[0] = 10.0
    wait = throttle.check(PLACE, 1)
    assert wait == pytest.approx(20.0)
    assert throttle.message(PLACE, wait) == "order rate limit: 15 orders per 30 s; wait 20.0 s"
    assert throttle.check(PLACE, 2) == 0.0  # per account
    assert throttle.check(MODIFY, 1) == 0.0  # separate window
    now[0] = 30.0  # the first order has aged out; the refused one was never counted
    assert throttle.check(PLACE, 1) == 0.0
    assert throttle.check(PLACE, 1) == pytest.approx(0.5)


def test_throttle_modify_window_is_20():
    throttle = OrderThrottle(clock=lambda: 0.0)
    assert all(throttle.check(MODIFY, 1) == 0.0 for _ in range(20))
    assert throttle.check(MODIFY, 1) == pytest.approx(30.0)
    assert "20 modify/cancel requests per 30 s" in throttle.message(MODIFY, 30.0)


def test_throttle_waits_until_n_requests_fit_and_counts_only_what_is_sent():
    now = [0.0]
    throttle = OrderThrottle(clock=lambda: now[0])
    for i in range(19):
        now[0] = float(i)
        throttle.count(MODIFY, 1)
    now[0] = 20.0
    assert throttle.wait(MODIFY, 1, 1) == 0.0
    assert throttle.wait(MODIFY, 1, 2) == pytest.approx(10.0)  # the first one ages out at 30 s
    assert throttle.wait(MODIFY, 1, 3) == pytest.approx(11.0)
    assert throttle.wait(MODIFY, 1, 1) == 0.0, "asking counted nothing"
    with pytest.raises(ValueError):
        throttle.wait(MODIFY, 1, 21)
