"""The paper broker follows the trading hours (clock="real"): halts, US sessions, DAY expiry;
and the shared calendar / phase rules in protocol/hours.py."""

from __future__ import annotations

from datetime import datetime

import pytest

from protocol import hours
from protocol.gateway.broker import Broker, BrokerError
from protocol.gateway.market import Market
from protocol.markets import tick_size
from protocol.trade import OrderStatus, OrderType, Side, TimeInForce

HK_ACC, US_ACC = 3450309, 3450310


def at(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


class Desk:
    """A real-clock market and a broker on the same (hand-moved) clock."""

    def __init__(self, start: str) -> None:
        self.t = at(start)
        self.market = Market(seed=4, clock="real", start=self.t)
        self.market.advance(self.t)
        self.broker = Broker(self.market, clock=lambda: self.t)

    def run_to(self, text: str, step: float = 5.0) -> list:
        end, events = at(text), []
        while self.t < end:
            self.t = min(end, self.t + step)
            events += self.broker.on_trades(self.market.advance(self.t), self.t)
        return events


def test_an_rth_only_us_order_rests_in_the_pre_market_and_fills_after_the_open():
    desk = Desk("2026-12-01T09:00-05:00")
    last = desk.market.last_price("US.AAPL")
    limit = round(last * 1.05, 2)  # marketable: would fill at once in regular hours
    order, _ = desk.broker.place_order(US_ACC, "US.AAPL", Side.BUY, OrderType.NORMAL, 10, limit)
    assert order.status == OrderStatus.SUBMITTED and order.fill_qty == 0
    desk.run_to("2026-12-01T09:29:55-05:00")
    assert order.fill_qty == 0, "filled before the regular session"
    desk.run_to("2026-12-01T09:35-05:00")
    assert order.status == OrderStatus.FILLED_ALL


def test_outside_rth_us_orders_must_be_limits_and_fill_on_the_session_price():
    desk = Desk("2026-12-01T07:00-05:00")
    with pytest.raises(BrokerError, match="limit orders"):
        desk.broker.place_order(US_ACC, "US.AAPL", Side.BUY, OrderType.MARKET, 10, fill_outside_rth=True)
    pre = desk.market.quote("US.AAPL").ext["pre"].price
    order, _ = desk.broker.place_order(US_ACC, "US.AAPL", Side.BUY, OrderType.NORMAL, 10,
                                       round(pre + 5 * tick_size("US", pre), 2), fill_outside_rth=True)
    events = desk.run_to("2026-12-01T07:00:10-05:00")
    assert order.status == OrderStatus.FILLED_ALL and events


def test_a_day_order_expires_at_its_market_close_and_says_so():
    desk = Desk("2026-12-01T15:50+08:00")
    low = desk.market.last_price("HK.00700") * 0.9
    price = round(low - low % tick_size("HK", low), 3)
    day, _ = desk.broker.place_order(HK_ACC, "HK.00700", Side.BUY, OrderType.NORMAL, 100, price)
    gtc, _ = desk.broker.place_order(HK_ACC, "HK.00700", Side.BUY, OrderType.NORMAL, 100, price,
                                     tif=TimeInForce.GTC)
    desk.run_to("2026-12-01T15:59:55+08:00")
    assert day.status == OrderStatus.SUBMITTED
    events = desk.run_to("2026-12-01T16:00:05+08:00")
    assert day.status == OrderStatus.CANCELLED_ALL and "expired" in day.last_err
    assert any(getattr(e, "order", None) is not None and e.order.order_id == day.order_id
               and e.order.status == OrderStatus.CANCELLED_ALL for e in events)
    assert gtc.status == OrderStatus.SUBMITTED


def test_orders_on_a_halted_code_are_refused_and_a_resume_lifts_it():
    desk = Desk("2026-12-01T10:30+08:00")
    desk.market.halt("HK.00700")
    with pytest.raises(BrokerError, match="suspended"):
        desk.broker.place_order(HK_ACC, "HK.00700", Side.BUY, OrderType.MARKET, 100)
    assert desk.market.book("HK.00700").bids == () and desk.market.quote("HK.00700").suspended
    desk.market.resume("HK.00700")
    order, _ = desk.broker.place_order(HK_ACC, "HK.00700", Side.BUY, OrderType.MARKET, 100)
    assert order.fill_qty == 100


def test_lunch_break_and_holidays_stop_the_tape():
    desk = Desk("2026-12-01T11:59+08:00")
    before = desk.market.quote("HK.00700").time
    desk.run_to("2026-12-01T12:59+08:00", step=60)
    assert desk.market.quote("HK.00700").time < at("2026-12-01T12:00+08:00") and before


@pytest.mark.parametrize("market,when,word,until", [
    ("HK", "2026-12-01T12:30+08:00", "lunch break", "2026-12-01T13:00+08:00"),
    ("HK", "2026-12-01T16:05+08:00", "closing auction", "2026-12-01T16:10+08:00"),
    ("HK", "2026-12-25T10:00+08:00", "holiday", "2026-12-28T08:55+08:00"),
    ("US", "2026-12-01T08:00-05:00", "pre-market", "2026-12-01T09:30-05:00"),
    ("US", "2026-12-01T17:00-05:00", "after-hours", "2026-12-01T20:00-05:00"),
    ("US", "2026-12-01T22:00-05:00", "overnight", "2026-12-02T04:00-05:00"),
    ("US", "2026-12-04T21:00-05:00", "closed", "2026-12-06T20:00-05:00"),  # Friday night: the weekend
    ("US", "2026-11-27T14:00-05:00", "after-hours", "2026-11-27T17:00-05:00"),  # early close
    ("SH", "2026-10-05T10:00+08:00", "holiday", "2026-10-08T08:55+08:00"),
])
def test_phases_and_the_next_change(market, when, word, until):
    p = hours.phase(market, at(when))
    assert (p.word, p.until) == (word, at(until))


def test_history_counts_trading_days_from_the_calendar():
    from datetime import date

    days = hours.trading_days_before(date(2026, 12, 29), 3, "HK", "real")
    assert days == [date(2026, 12, 23), date(2026, 12, 24), date(2026, 12, 28)]
    assert hours.trading_days_before(date(2026, 12, 29), 3) == [date(2026, 12, 24), date(2026, 12, 25),
                                                               date(2026, 12, 28)]
