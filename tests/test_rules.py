"""The shared rules: protocol/markets.py, protocol/fees.py, protocol/ratelimit.py, and the
workstation's checks built on them (no sockets, no Textual)."""

from __future__ import annotations

import pytest

from protocol import ids, markets
from protocol.fees import SCHEDULES, fee_items, schedule_for
from protocol.ratelimit import LIMITS, RateLimiter
from protocol.trade import Currency, Side
from workstation.orders import Ticket, nudge_price, validate
from workstation.throttle import MODIFY, PLACE, OrderThrottle


def test_a_share_funds_tick_in_tenths_of_a_cent_stocks_and_indices_in_cents():
    fund = markets.grid("SH", markets.SEC_ETF)
    assert fund == markets.GRID_CN_FUND and markets.tick_size(fund, 3.456) == 0.001
    assert markets.on_tick_grid(fund, 3.456) and not markets.on_tick_grid("SH", 3.456)
    assert markets.grid("SH") == "SH" and markets.tick_size("SH", 3.45) == 0.01
    assert markets.grid("HK", markets.SEC_INDEX) == markets.GRID_INDEX
    assert markets.grid("HK", markets.SEC_ETF) == "HK"  # HK funds follow the spread table


def test_a_quotes_price_spread_wins_over_the_table():
    assert markets.tick_size("SH", 3.45, spread=0.001) == 0.001
    assert markets.on_tick_grid("SH", 3.456, spread=0.001)
    assert markets.round_to_tick("HK", 612.3, up=True, spread=0.1) == 612.3
    assert nudge_price("SH.510300", 3.456, 1, spread=0.001) == 3.457
    assert nudge_price("SH.510300", 3.456, 1) == 3.46  # no spread: the stock table
    ticket = Ticket("SH.510300", Side.BUY, 100, 3.456)
    common = dict(lot_size=100, last_price=3.45, can_sell_qty=0)
    assert [p.field for p in validate(ticket, **common)] == ["price"]
    assert validate(ticket, **common, spread=0.001) == []


def test_a_share_odd_lots_may_be_sold_whole_never_bought():
    assert markets.odd_lot_sell("SH", False, 150, 100) == 150
    assert markets.odd_lot_sell("SH", True, 150, 100) == 0.0
    assert markets.odd_lot_sell("HK", False, 150, 100) == 0.0  # HK odd lots trade on a separate book
    assert markets.odd_lot_sell("SZ", False, 200, 100) == 0.0  # a round holding has no odd part
    assert markets.lot_ok("SZ", 150, 100, is_buy=False, can_sell=150)
    assert not markets.lot_ok("SZ", 50, 100, is_buy=False, can_sell=150)
    assert not markets.lot_ok("SZ", 150, 100, is_buy=True, can_sell=150)
    sell_all = Ticket("SZ.000001", Side.SELL, 150, 11.52)
    assert validate(sell_all, lot_size=100, last_price=11.52, can_sell_qty=150) == []
    buy = Ticket("SZ.000001", Side.BUY, 150, 11.52)
    problems = validate(buy, lot_size=100, last_price=11.52, can_sell_qty=150)
    assert [p.field for p in problems] == ["qty"]
    part = validate(Ticket("SZ.000001", Side.SELL, 120, 11.52), lot_size=100, last_price=11.52, can_sell_qty=150)
    assert "or all 150: odd lots may be sold" in part[0].message


def test_price_limits_by_board_and_special_treatment():
    assert markets.limit_pct("SH", "600519") == 10
    assert markets.limit_pct("SZ", "300750") == 20 and markets.limit_pct("SH", "688981") == 20
    assert markets.limit_pct("SZ", "000001", name="*ST 某某") == 5
    assert markets.limit_pct("SH", "600001", name="ST 某某") == 5
    assert markets.limit_pct("SH", "000001", markets.SEC_INDEX) is None
    assert markets.limit_pct("HK", "00700") is None
    assert markets.limit_band_units(5, 10.0) == (95_000, 105_000)


def test_fee_schedules_are_named_and_the_broker_and_the_form_read_the_same_ones():
    hk = schedule_for("HK")
    assert hk is not None and hk.name == "Futu HK published schedule" and hk.currency == Currency.HKD
    assert schedule_for("SH") is schedule_for("SZ") and schedule_for("SH").currency == Currency.CNH
    assert schedule_for("SG") is None
    assert hk.items(100, 35_020.0, False) == fee_items("HK", 100, 35_020.0, False)
    assert {s.name for s in SCHEDULES.values()} >= {"Futu HK published schedule", "Futu US published schedule"}


def test_rate_limits_are_one_table_for_both_ends():
    place, modify = LIMITS[ids.TRD_PLACE_ORDER], LIMITS[ids.TRD_MODIFY_ORDER]
    assert (place.requests, place.window, place.per) == (15, 30.0, "account")
    assert (modify.requests, modify.window) == (20, 30.0)
    assert LIMITS[ids.TRD_GET_FUNDS].cached and not LIMITS[ids.TRD_GET_MAX_TRD_QTYS].cached
    assert LIMITS[ids.QOT_GET_SECURITY_SNAPSHOT].per == "connection"
    assert place.refusal(2.0, "account 7") == (
        "place_order: rate limit exceeded: at most 15 requests per 30 s per account 7; retry in 2.0 s")
    now = [0.0]
    throttle = OrderThrottle(clock=lambda: now[0])
    for _ in range(place.requests):
        assert throttle.check(PLACE, 1) == 0.0
    assert throttle.wait(PLACE, 1) == 30.0 and throttle.wait(MODIFY, 1, modify.requests) == 0.0
    with pytest.raises(ValueError):
        throttle.wait(MODIFY, 1, modify.requests + 1)


def test_rate_limiter_wait_and_record_agree_with_hit():
    now = [0.0]
    a, b = RateLimiter(clock=lambda: now[0]), RateLimiter(clock=lambda: now[0])
    for t in (0.0, 1.0, 2.0, 31.5, 32.0):
        now[0] = t
        waited = a.wait("k", 3)
        if not waited:
            a.record("k")
        assert waited == b.hit("k", 3)
