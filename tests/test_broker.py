"""The paper broker on its own: a tiny fake market, every rule, and property tests over random order flows."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from protocol import fees, markets
from protocol.gateway import instruments as mkt
from protocol.gateway.broker import Broker, BrokerError
from protocol.gateway.ledger import FillEvent, OrderEvent
from protocol.trade import (
    Currency, ModifyOp, OrderStatus as Status, OrderType, Side, TimeInForce, password_md5 as md5_hex,
)

DAY, GTC = TimeInForce.DAY, TimeInForce.GTC

HK_SIM, US_SIM, CN_SIM, REAL = 3450309, 3450310, 3450311, 281756480572583411


@dataclass
class Level:
    price: float
    volume: int
    orders: int = 1


@dataclass
class Book:
    code: str
    bids: list[Level]
    asks: list[Level]
    time: float = 0.0


@dataclass
class Trade:
    code: str
    seq: int
    time: float
    price: float
    volume: int
    direction: int = 3
    turnover: float = 0.0


@dataclass
class FakeMarket:
    """Just the Market API the broker uses: a symmetric 10-level book around a settable last price."""

    instruments: dict[str, mkt.Instrument] = field(default_factory=lambda: {
        code: dataclasses.replace(mkt.BY_CODE[code], prev_close=price) for code, price in
        [("HK.00700", 350.0), ("HK.09988", 80.0), ("HK.800000", 18000.0), ("US.AAPL", 190.0), ("SH.600519", 1700.0)]
    })
    prices: dict[str, float] = field(default_factory=dict)
    closed: set[str] = field(default_factory=set)
    depth: int = 5  # lots per book level (times the level number)
    seq: int = 0

    def last_price(self, code: str) -> float:
        return self.prices.get(code) or self.instruments[code].prev_close

    def book(self, code: str) -> Book:
        inst, last = self.instruments[code], self.last_price(code)  # lot_size 0 = index
        bids, asks, bid, ask = [], [], last, last
        for k in range(1, 11):
            bid = markets.round_to_tick(inst.market, bid - markets.tick_size(inst.market, bid - 1e-9), False)
            ask = markets.round_to_tick(inst.market, ask + markets.tick_size(inst.market, ask), True)
            bids.append(Level(bid, inst.lot_size * self.depth * k))
            asks.append(Level(ask, inst.lot_size * self.depth * k))
        return Book(code, bids, asks)

    def price_limits(self, code: str) -> tuple[float, float] | None:
        return mkt.price_limits(self.instruments[code])

    def is_open(self, market: str) -> bool:
        return market not in self.closed

    def is_suspended(self, code: str) -> bool:
        return False

    def market_state(self, market: str, t: float | None = None) -> int:
        return markets.ST_CLOSED if market in self.closed else markets.ST_AFTERNOON

    def trade(self, code: str, price: float, volume: int) -> Trade:
        self.prices[code] = price
        self.seq += 1
        return Trade(code, self.seq, 0.0, price, volume, turnover=price * volume)


class Clock:
    def __init__(self, t: float = 1_763_700_000.0) -> None:  # a weekday, 12:40 HK time
        self.t = t

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def market() -> FakeMarket:
    return FakeMarket()


@pytest.fixture
def broker(market: FakeMarket) -> Broker:
    return Broker(market, "s3cret", clock=Clock())


def statuses(events) -> list[int]:
    return [e.order.status for e in events if isinstance(e, OrderEvent)]


def fills(events):
    return [e.fill for e in events if isinstance(e, FillEvent)]


# -- fees -------------------------------------------------------------------------------------


def test_hk_fee_schedule_by_hand() -> None:
    items = dict(fees.fee_items("HK", 100, 35_020.0, False))
    assert items["Commission"] == pytest.approx(10.51)  # 0.03% of 35,020 = 10.506
    assert items["Platform fee"] == 15.0
    assert items["Stamp duty"] == 36.0  # 35.02 rounded up to a whole dollar
    assert items["Settlement fee"] == 2.0  # minimum
    assert fees.total(list(items.items())) == pytest.approx(10.51 + 15 + 36 + 1.98 + 0.95 + 0.05 + 2.0)


def test_us_fees_only_sells_pay_sec_and_taf() -> None:
    buy = dict(fees.fee_items("US", 10, 1900.0, False))
    sell = dict(fees.fee_items("US", 10, 1900.0, True))
    assert buy == {"Commission": 0.99, "Platform fee": 1.0, "Settlement fee": 0.03}
    assert sell["SEC fee"] == 0.05 and sell["FINRA TAF"] == 0.01


def test_no_fill_no_fee() -> None:
    assert fees.fee_items("SH", 0, 0.0, True) == []


# -- placing and filling ----------------------------------------------------------------------


def test_marketable_limit_buy_fills_at_the_ask(broker: Broker, market: FakeMarket) -> None:
    ask = market.book("HK.00700").asks[0].price
    order, events = broker.place_order(HK_SIM, "HK.00700", Side.BUY, OrderType.NORMAL, 200, ask + 1.0)
    assert statuses(events) == [Status.SUBMITTING, Status.SUBMITTED, Status.FILLED_ALL]
    (fill,) = fills(events)
    assert (fill.qty, fill.price) == (200, ask)
    acc = broker.accounts[HK_SIM]
    fee = fees.total(fees.fee_items("HK", 200, 200 * ask, False))
    assert order.fee_total == fee > 0
    assert acc.cash[Currency.HKD] == pytest.approx(1_000_000 - 200 * ask - fee)
    (view,) = broker.positions(HK_SIM)
    assert (view.qty, view.can_sell, view.avg_cost) == (200, 200, ask)
    assert view.diluted_cost == pytest.approx(ask + fee / 200)
    funds = broker.funds(HK_SIM)
    assert funds.frozen_cash == 0
    assert funds.total_assets == pytest.approx(acc.cash[Currency.HKD] + 200 * market.last_price("HK.00700"))


def test_sweep_takes_levels_up_to_their_volume_and_rests_the_rest(broker: Broker, market: FakeMarket) -> None:
    book = market.book("HK.00700")
    limit = book.asks[1].price
    qty = book.asks[0].volume + book.asks[1].volume + 300
    order, events = broker.place_order(HK_SIM, "HK.00700", Side.BUY, OrderType.NORMAL, qty, limit)
    assert [(f.qty, f.price) for f in fills(events)] == [(book.asks[0].volume, book.asks[0].price),
                                                         (book.asks[1].volume, book.asks[1].price)]
    assert order.status == Status.FILLED_PART and order.remaining == 300
    # the market trades through the limit: the rest fills at the order's own price
    events = broker.on_trades([market.trade("HK.00700", limit - 0.2, 1000)])
    assert [(f.qty, f.price) for f in fills(events)] == [(300, limit)]
    assert order.status == Status.FILLED_ALL


def test_resting_order_fills_only_when_traded_at_or_through(broker: Broker, market: FakeMarket) -> None:
    order, events = broker.place_order(HK_SIM, "HK.00700", Side.BUY, OrderType.NORMAL, 500, 340.0)
    assert statuses(events) == [Status.SUBMITTING, Status.SUBMITTED]
    assert broker.on_trades([market.trade("HK.00700", 340.2, 10_000)]) == []
    events = broker.on_trades([market.trade("HK.00700", 340.0, 200)])
    assert [(f.qty, f.price) for f in fills(events)] == [(200, 340.0)]
    assert order.status == Status.FILLED_PART


def test_cancel_frees_frozen_cash(broker: Broker) -> None:
    before = broker.funds(HK_SIM)
    order, _ = broker.place_order(HK_SIM, "HK.00700", Side.BUY, OrderType.NORMAL, 1000, 330.0)
    held = broker.funds(HK_SIM)
    est = fees.total(fees.fee_items("HK", 1000, 330_000.0, False))
    assert held.frozen_cash == pytest.approx(330_000 + est)
    assert held.power == pytest.approx(before.power - held.frozen_cash)
    assert held.cash == before.cash
    _, events = broker.modify_order(HK_SIM, order.order_id_ex, ModifyOp.CANCEL)
    assert statuses(events) == [Status.CANCELLING_ALL, Status.CANCELLED_ALL]
    after = broker.funds(HK_SIM)
    assert after.frozen_cash == 0 and after.power == before.power


def test_modify_price_and_qty_then_marketable(broker: Broker, market: FakeMarket) -> None:
    order, _ = broker.place_order(HK_SIM, "HK.00700", Side.BUY, OrderType.NORMAL, 300, 330.0)
    _, events = broker.modify_order(HK_SIM, order.order_id_ex, ModifyOp.NORMAL, qty=400, price=331.0)
    assert (order.qty, order.price, order.status) == (400, 331.0, Status.SUBMITTED)
    assert statuses(events) == [Status.SUBMITTED]
    ask = market.book("HK.00700").asks[0]
    _, events = broker.modify_order(HK_SIM, order.order_id_ex, ModifyOp.NORMAL, qty=400, price=ask.price)
    assert order.status == Status.FILLED_ALL and fills(events)[0].price == ask.price


def test_cancel_all_and_partial_cancel(broker: Broker, market: FakeMarket) -> None:
    a, _ = broker.place_order(HK_SIM, "HK.00700", Side.BUY, OrderType.NORMAL, 100, 330.0)
    b, _ = broker.place_order(HK_SIM, "HK.09988", Side.BUY, OrderType.NORMAL, 100, 79.0)
    book = market.book("HK.09988")
    c, _ = broker.place_order(HK_SIM, "HK.09988", Side.BUY, OrderType.NORMAL, book.asks[0].volume + 100,
                              book.asks[0].price)
    assert c.status == Status.FILLED_PART
    events = broker.cancel_all(HK_SIM)
    assert {o.status for o in (a, b)} == {Status.CANCELLED_ALL} and c.status == Status.CANCELLED_PART
    assert Status.CANCELLING_PART in statuses(events)
    assert broker.funds(HK_SIM).frozen_cash == 0
    with pytest.raises(BrokerError, match="CANCELLED_ALL and cannot be cancelled"):
        broker.modify_order(HK_SIM, a.order_id_ex, ModifyOp.CANCEL)


def test_market_order_and_sell_back(broker: Broker, market: FakeMarket) -> None:
    order, events = broker.place_order(HK_SIM, "HK.09988", Side.BUY, OrderType.MARKET, 400)
    assert order.status == Status.FILLED_ALL and order.fill_qty == 400
    sell, events = broker.place_order(HK_SIM, "HK.09988", Side.SELL, OrderType.MARKET, 400)
    assert sell.status == Status.FILLED_ALL
    assert fills(events)[0].price == market.book("HK.09988").bids[0].price
    (view,) = broker.positions(HK_SIM)
    assert view.qty == 0
    acc = broker.accounts[HK_SIM]
    assert acc.realized[Currency.HKD] == pytest.approx(acc.cash[Currency.HKD] - 1_000_000)


def test_stop_order_waits_for_its_trigger(broker: Broker, market: FakeMarket) -> None:
    order, events = broker.place_order(HK_SIM, "HK.00700", Side.BUY, OrderType.STOP, 100, aux_price=355.0)
    assert order.status == Status.SUBMITTED and not order.triggered
    assert broker.on_trades([market.trade("HK.00700", 352.0, 1000)]) == []
    events = broker.on_trades([market.trade("HK.00700", 355.2, 1000)])
    assert order.triggered and order.status == Status.FILLED_ALL
    assert fills(events)[0].price >= 355.0


def test_stop_limit_becomes_a_limit(broker: Broker, market: FakeMarket) -> None:
    order, _ = broker.place_order(HK_SIM, "HK.00700", Side.BUY, OrderType.STOP_LIMIT, 100, 356.0, aux_price=355.0)
    market.prices["HK.00700"] = 357.0  # book now above the limit: trigger but no fill from the book
    events = broker.on_trades([market.trade("HK.00700", 357.0, 1000)])
    assert order.triggered and order.status == Status.SUBMITTED and not fills(events)
    events = broker.on_trades([market.trade("HK.00700", 356.0, 1000)])
    assert fills(events)[0].price == 356.0


def test_absolute_limit_fills_only_at_its_price(broker: Broker, market: FakeMarket) -> None:
    order, _ = broker.place_order(HK_SIM, "HK.00700", Side.BUY, OrderType.ABSOLUTE_LIMIT, 100, 349.0)
    assert broker.on_trades([market.trade("HK.00700", 348.8, 1000)]) == []
    assert fills(broker.on_trades([market.trade("HK.00700", 349.0, 1000)]))[0].price == 349.0
    with pytest.raises(BrokerError, match="HK securities only"):
        broker.place_order(US_SIM, "US.AAPL", Side.BUY, OrderType.ABSOLUTE_LIMIT, 1, 189.0)


# -- refusals ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kwargs, message", [
    ({"qty": 150}, "not a multiple of the lot size 100"),
    ({"qty": 0}, "not a positive whole number"),
    ({"price": 350.1}, r"off the tick grid of HK.00700 \(tick 0.2; nearest 350 or 350.2\)"),
    ({"price": 430.0}, "too far from the last price 350"),
    ({"qty": 10_000}, "insufficient buying power: HK.00700 needs HKD 3,50.*available HKD 1,000,000.00"),
    ({"code": "HK.800000", "qty": 1}, "is an index"),
    ({"code": "US.AAPL", "qty": 1, "price": 190.0}, "cannot trade US securities"),
    ({"code": "HK.99999"}, "unknown security"),
    ({"order_type": 6}, "order type 6 is not supported"),
])
def test_order_checks(broker: Broker, kwargs: dict, message: str) -> None:
    args = {"code": "HK.00700", "side": Side.BUY, "order_type": OrderType.NORMAL, "qty": 100, "price": 350.0} | kwargs
    with pytest.raises(BrokerError, match=message):
        broker.place_order(HK_SIM, **args)
    assert not broker.accounts[HK_SIM].orders


def test_a_share_limit_band_and_t_plus_one(broker: Broker, market: FakeMarket) -> None:
    low, high = market.price_limits("SH.600519")
    with pytest.raises(BrokerError, match="outside today's price limits"):
        broker.place_order(CN_SIM, "SH.600519", Side.BUY, OrderType.NORMAL, 100, round(high + 1, 2))
    ask = market.book("SH.600519").asks[0].price
    broker.place_order(CN_SIM, "SH.600519", Side.BUY, OrderType.NORMAL, 100, ask)
    assert broker.positions(CN_SIM)[0].qty == 100
    with pytest.raises(BrokerError, match="can sell 0 .* T\\+1"):
        broker.place_order(CN_SIM, "SH.600519", Side.SELL, OrderType.NORMAL, 100, ask)
    broker.clock.t += 86_400  # next day
    order, _ = broker.place_order(CN_SIM, "SH.600519", Side.SELL, OrderType.MARKET, 100)
    assert order.status == Status.FILLED_ALL


def test_no_short_selling_outside_us(broker: Broker) -> None:
    with pytest.raises(BrokerError, match="insufficient position: can sell 0 of HK.00700"):
        broker.place_order(HK_SIM, "HK.00700", Side.SELL, OrderType.NORMAL, 100, 350.0)
    with pytest.raises(BrokerError, match="short selling HK.00700 is not allowed"):
        broker.place_order(HK_SIM, "HK.00700", Side.SELL_SHORT, OrderType.NORMAL, 100, 350.0)


def test_us_short_sale_cover_and_no_reversal(broker: Broker, market: FakeMarket) -> None:
    bid = market.book("US.AAPL").bids[0].price
    short, _ = broker.place_order(US_SIM, "US.AAPL", Side.SELL, OrderType.NORMAL, 5, bid)
    assert short.status == Status.FILLED_ALL
    (view,) = broker.positions(US_SIM)
    assert view.qty == -5 and view.can_sell == 0
    funds = broker.funds(US_SIM)
    assert funds.short_mv == pytest.approx(-5 * market.last_price("US.AAPL"))
    assert funds.power == pytest.approx(funds.cash + 2 * funds.short_mv)
    with pytest.raises(BrokerError, match="no reversal"):
        broker.place_order(US_SIM, "US.AAPL", Side.BUY, OrderType.MARKET, 6)
    cover, _ = broker.place_order(US_SIM, "US.AAPL", Side.BUY_BACK, OrderType.MARKET, 5)
    assert cover.status == Status.FILLED_ALL and broker.positions(US_SIM)[0].qty == 0
    assert broker.max_qtys(US_SIM, "US.AAPL", OrderType.NORMAL, 190.0).sell_short > 0


def test_market_closed(broker: Broker, market: FakeMarket) -> None:
    market.closed.add("HK")
    with pytest.raises(BrokerError, match="HK market is closed"):
        broker.place_order(HK_SIM, "HK.00700", Side.BUY, OrderType.NORMAL, 100, 350.0)


def test_day_orders_expire_at_the_close(broker: Broker, market: FakeMarket) -> None:
    day, _ = broker.place_order(HK_SIM, "HK.00700", Side.BUY, OrderType.NORMAL, 100, 330.0, tif=DAY)
    gtc, _ = broker.place_order(HK_SIM, "HK.00700", Side.BUY, OrderType.NORMAL, 100, 331.0, tif=GTC)
    broker.on_trades([])
    market.closed.add("HK")
    events = broker.on_trades([])
    assert day.status == Status.CANCELLED_ALL and "expired" in day.last_err
    assert gtc.status == Status.SUBMITTED and statuses(events)[-1] == Status.CANCELLED_ALL


def test_real_account_lock(broker: Broker, market: FakeMarket) -> None:
    with pytest.raises(BrokerError, match="REAL account 281756480572583411 is locked"):
        broker.place_order(REAL, "HK.00700", Side.BUY, OrderType.NORMAL, 100, 350.0)
    with pytest.raises(BrokerError, match="wrong trade password"):
        broker.unlock(True, md5_hex("nope"))
    broker.unlock(True, md5_hex("s3cret"))
    order, _ = broker.place_order(REAL, "US.AAPL", Side.BUY, OrderType.MARKET, 5)
    assert order.status == Status.FILLED_ALL
    funds_usd, funds_hkd = broker.funds(REAL, Currency.USD), broker.funds(REAL, Currency.HKD)
    assert funds_hkd.total_assets == pytest.approx(funds_usd.total_assets * 7.8)
    assert broker.accounts[REAL].cash[Currency.HKD] == 500_000  # a US buy spends USD
    # REAL supports disable / enable / delete; SIMULATE does not
    resting, _ = broker.place_order(REAL, "HK.00700", Side.BUY, OrderType.NORMAL, 100, 330.0)
    broker.modify_order(REAL, resting.order_id_ex, ModifyOp.DISABLE)
    assert resting.status == Status.DISABLED and broker.funds(REAL).frozen_cash == 0
    broker.modify_order(REAL, resting.order_id_ex, ModifyOp.ENABLE)
    assert resting.status == Status.SUBMITTED
    broker.modify_order(REAL, resting.order_id_ex, ModifyOp.CANCEL)
    broker.modify_order(REAL, resting.order_id_ex, ModifyOp.DELETE)
    assert resting.status == Status.DELETED
    sim, _ = broker.place_order(HK_SIM, "HK.00700", Side.BUY, OrderType.NORMAL, 100, 330.0)
    with pytest.raises(BrokerError, match="modify and cancel only"):
        broker.modify_order(HK_SIM, sim.order_id_ex, ModifyOp.DISABLE)
    broker.unlock(False)
    with pytest.raises(BrokerError, match="locked"):
        broker.cancel_all(REAL)


def test_replayed_packet_id(broker: Broker) -> None:
    broker.check_packet(7_000_000_001, 42)
    broker.check_packet(7_000_000_002, 42)
    with pytest.raises(BrokerError, match="replayed request refused"):
        broker.check_packet(7_000_000_001, 42)


def test_reject_next_order_fault(broker: Broker) -> None:
    broker.reject_next = ("risk check failed", False)
    with pytest.raises(BrokerError, match="risk check failed"):
        broker.place_order(HK_SIM, "HK.00700", Side.BUY, OrderType.NORMAL, 100, 350.0)
    broker.reject_next = ("exchange rejected", True)
    order, events = broker.place_order(HK_SIM, "HK.00700", Side.BUY, OrderType.NORMAL, 100, 350.0)
    assert statuses(events) == [Status.SUBMITTING, Status.FAILED] and order.last_err == "exchange rejected"
    assert broker.funds(HK_SIM).frozen_cash == 0


def test_reject_next_modify_fault_refuses_one_modify_or_cancel(broker: Broker) -> None:
    order, _ = broker.place_order(HK_SIM, "HK.00700", Side.BUY, OrderType.NORMAL, 100, 340.0)
    broker.reject_next_modify = "order is being processed"
    with pytest.raises(BrokerError, match="order is being processed"):
        broker.modify_order(HK_SIM, order.order_id_ex, ModifyOp.CANCEL)
    assert order.active and broker.reject_next_modify is None
    broker.reject_next_modify = "busy"
    with pytest.raises(BrokerError, match="busy"):
        broker.cancel_all(HK_SIM)
    broker.modify_order(HK_SIM, order.order_id_ex, ModifyOp.CANCEL)
    assert order.status == Status.CANCELLED_ALL


def test_max_qtys(broker: Broker, market: FakeMarket) -> None:
    m = broker.max_qtys(HK_SIM, "HK.00700", OrderType.NORMAL, 350.0)
    assert m.cash_buy % 100 == 0
    cost = lambda q: q * 350.0 + fees.total(fees.fee_items("HK", q, q * 350.0, False))  # noqa: E731
    assert cost(m.cash_buy) <= 1_000_000 < cost(m.cash_buy + 100)
    assert m.position_sell == 0
    broker.place_order(HK_SIM, "HK.00700", Side.BUY, OrderType.MARKET, 300)
    assert broker.max_qtys(HK_SIM, "HK.00700", OrderType.NORMAL, 350.0).position_sell == 300


# -- properties over random order flows -------------------------------------------------------

CODES = {HK_SIM: ["HK.00700", "HK.09988"], US_SIM: ["US.AAPL"], CN_SIM: ["SH.600519"]}

place_st = st.tuples(st.just("place"), st.sampled_from(sorted(CODES)), st.integers(0, 3),
                     st.sampled_from(list(Side)[:2]), st.sampled_from([OrderType.NORMAL, OrderType.MARKET, OrderType.STOP]),
                     st.integers(1, 10), st.integers(-8, 8))
trade_st = st.tuples(st.just("trade"), st.sampled_from(sorted(CODES)), st.integers(0, 3), st.integers(-20, 20),
                     st.integers(1, 50))
op_st = st.one_of(
    place_st, place_st, place_st, trade_st, trade_st,
    st.tuples(st.just("cancel"), st.sampled_from(sorted(CODES)), st.integers(0, 50)),
    st.tuples(st.just("modify"), st.sampled_from(sorted(CODES)), st.integers(0, 50), st.integers(1, 10),
              st.integers(-8, 8)),
    st.tuples(st.just("cancel_all"), st.sampled_from(sorted(CODES))),
    st.tuples(st.just("next_day"),),
)


def _ticks(market: FakeMarket, code: str, n: int) -> float:
    inst = market.instruments[code]
    price = market.last_price(code)
    for _ in range(abs(n)):
        step = markets.tick_size(inst.market, price if n > 0 else price - 1e-9)
        price = markets.round_to_tick(inst.market, price + step if n > 0 else price - step, n > 0)
    return price


def _apply(broker: Broker, market: FakeMarket, op: tuple) -> None:
    kind = op[0]
    try:
        if kind == "place":
            _, acc, i, side, otype, lots, offset = op
            code = CODES[acc][i % len(CODES[acc])]
            lot = market.instruments[code].lot_size
            price = _ticks(market, code, offset)
            aux = price if otype == OrderType.STOP else None
            broker.place_order(acc, code, side, otype, lots * lot, price if otype == OrderType.NORMAL else 0.0,
                               aux_price=aux)
        elif kind == "trade":
            _, acc, i, offset, lots = op
            code = CODES[acc][i % len(CODES[acc])]
            price = _ticks(market, code, offset)
            broker.on_trades([market.trade(code, price, lots * market.instruments[code].lot_size)])
        elif kind in ("cancel", "modify"):
            orders = [o for o in broker.accounts[op[1]].orders.values() if o.active]
            if orders:
                o = orders[op[2] % len(orders)]
                if kind == "cancel":
                    broker.modify_order(o.acc_id, o.order_id_ex, ModifyOp.CANCEL)
                else:
                    broker.modify_order(o.acc_id, o.order_id_ex, ModifyOp.NORMAL, qty=op[3] * o.lot,
                                        price=_ticks(market, o.code, op[4]))
        elif kind == "cancel_all":
            broker.cancel_all(op[1])
        elif kind == "next_day":
            broker.clock.t += 86_400
    except BrokerError:
        pass


def _check_invariants(broker: Broker, market: FakeMarket) -> None:
    for acc in broker.accounts.values():
        cash = dict(acc.initial_cash)
        qty: dict[str, float] = {}
        orders = {o.order_id: o for o in acc.orders.values()}
        for f in acc.fills:
            cur = {"HK": Currency.HKD, "US": Currency.USD}.get(f.market, Currency.CNH)
            buy = f.side in (Side.BUY, Side.BUY_BACK)
            cash[cur] += -f.qty * f.price if buy else f.qty * f.price
            qty[f.code] = qty.get(f.code, 0) + (f.qty if buy else -f.qty)
        for o in orders.values():
            cash[o.currency] -= o.fee_total
            assert 0 <= o.fill_qty <= o.qty
            assert o.fee_total == fees.total(fees.fee_items(o.market, o.fill_qty, o.fill_value, not o.is_buy))
            assert (o.status == Status.FILLED_ALL) == (o.fill_qty == o.qty)
        for cur, value in cash.items():  # cash reconciles with the fills and the fees
            assert acc.cash[cur] == pytest.approx(value, abs=1e-6)
        for code, pos in acc.positions.items():  # positions reconcile with the fills
            assert pos.qty == pytest.approx(qty.get(code, 0))
            if pos.market not in acc.short_markets:
                assert pos.qty >= 0
            assert broker.can_sell(acc, code) >= 0
        for cur in acc.cash:
            frozen = broker.frozen(acc, cur)
            assert frozen >= 0
            f = broker.funds(acc.acc_id, cur)
            if acc.acc_id != REAL:  # one currency: assets change = realized + unrealized P&L
                assert f.total_assets - acc.initial_cash[cur] == pytest.approx(f.realized_pl + f.unrealized_pl, abs=1e-6)
                assert f.total_assets == pytest.approx(f.cash + f.market_val)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(op_st, min_size=5, max_size=60), depth=st.integers(1, 6))
def test_random_order_flows_reconcile(ops: list[tuple], depth: int) -> None:
    market = FakeMarket(depth=depth)
    broker = Broker(market, clock=Clock())
    for op in ops:
        _apply(broker, market, op)
        _check_invariants(broker, market)
    for acc_id in CODES:
        broker.cancel_all(acc_id)
        assert broker.funds(acc_id).frozen_cash == 0  # cancelling frees every frozen dollar
        assert not [o for o in broker.accounts[acc_id].orders.values() if o.active]
    assert math.isfinite(broker.funds(HK_SIM).power)
