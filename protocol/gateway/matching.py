"""The paper broker's matching: sweeping the book, triggers, resting orders against the
tape, DAY expiry at the close, fills with their fees, and the positions they move.
A mixin of Broker; see protocol/gateway/broker.py for the house rules.

Market hours (clock="real"): orders on a halted code are refused. HK and A-share orders are
taken while the market trades. US orders are also taken in the pre-market, after-hours and
overnight sessions: a regular-hours-only order rests until the regular session opens; one
that may trade outside it (fillOutsideRTH, or session ETH / ALL / OVERNIGHT) must be a limit
order there and fills at its limit once the session's price reaches it. A DAY order expires
at its market's close (a US extended-hours one at the end of after-hours), pushed as
CANCELLED with the reason.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

from protocol import fees as fee_schedule
from protocol.gateway.ledger import Account, Event, Fill, FillEvent, Order, Position
from protocol.markets import A_SHARES, EXTENDED_STATES, ST_AFTER_HOURS, ST_OVERNIGHT, ST_PRE_MARKET, local_day
from protocol.trade import CURRENCY_OF, OrderStatus, OrderType, TimeInForce

_EXT_BLOCK = {ST_PRE_MARKET: "pre", ST_AFTER_HOURS: "after", ST_OVERNIGHT: "overnight"}
HK_COUNTER_BROKERS = ((8130, "Futu Securities"), (6998, "China Investment"), (5337, "J.P. Morgan"),
                      (1799, "Interactive Brokers"), (4978, "Goldman Sachs"))


class Matching:
    """Matching and fills (mixed into Broker)."""

    market: Any
    clock: Callable[[], float]
    accounts: dict[int, Account]
    _working: dict[str, list[Order]]
    _was_open: dict[str, bool]

    def _check_tradable_now(self, code: str, market: str, order_type: int, outside_rth: bool) -> None:
        from protocol.gateway.broker import BrokerError  # broker.py imports this module

        if self.market.is_suspended(code):
            raise BrokerError(f"{code} is suspended (trading halted): orders are refused until it resumes")
        if self.market.is_open(market):
            return
        if market == "US" and self.market.market_state("US") in EXTENDED_STATES:
            if outside_rth and order_type not in (OrderType.NORMAL, OrderType.STOP_LIMIT):
                raise BrokerError("outside regular hours US orders must be limit orders (NORMAL or STOP_LIMIT)")
            return
        raise BrokerError(f"the {market} market is closed: orders are accepted during trading hours only")

    def _extended_fills(self, now: float) -> list[Event]:
        """US orders allowed outside RTH fill at their limit once the session's price reaches it."""
        state = self.market.market_state("US", now)
        name = _EXT_BLOCK.get(state)
        if name is None:
            return []
        events: list[Event] = []
        for code, working in self._working.items():
            if not code.startswith("US.") or not any(o.fill_outside_rth for o in working):
                continue
            block = (self.market.quote(code).ext or {}).get(name)
            if block is None or not block.volume:
                continue
            for order in list(working):
                if order.active and order.fill_outside_rth and order.triggered and self._crosses(order, block.price):
                    events += self._fill(order, order.remaining, order.limit, now)
        return events

    def _unwork(self, order: Order) -> None:
        working = self._working.get(order.code)
        if working and order in working:
            working.remove(order)

    # -- matching --------------------------------------------------------------------

    def _crosses(self, order: Order, price: float) -> bool:
        if order.order_type == OrderType.ABSOLUTE_LIMIT:
            return abs(price - order.limit) < 1e-9
        return price <= order.limit + 1e-9 if order.is_buy else price >= order.limit - 1e-9

    def _lots(self, order: Order, available: float) -> float:
        """How much of `available` the order may take: whole lots, or its odd remainder."""
        rem = order.remaining
        if available >= rem:
            return rem
        return math.floor(available / order.lot) * order.lot

    def _sweep(self, order: Order) -> list[Event]:
        """Fill a marketable order against the opposite side of the current book."""
        book = self.market.book(order.code)
        if book is None:
            return []
        events: list[Event] = []
        for level in (book.asks if order.is_buy else book.bids):
            if not order.active or not self._crosses(order, level.price):
                break
            qty = self._lots(order, level.volume)
            if qty > 0:
                events += self._fill(order, qty, level.price, self.clock())
        return events

    def _maybe_trigger(self, order: Order, price: float) -> bool:
        aux = order.aux_price or 0.0
        if (order.is_buy and price >= aux - 1e-9) or (not order.is_buy and price <= aux + 1e-9):
            order.triggered = True
            if order.order_type == OrderType.STOP:
                order.limit = self._protection(self.instrument(order.code), order.is_buy, max(price, aux) if order.is_buy else min(price, aux))
            return True
        return False

    def on_trades(self, trades: Iterable[Any], now: float | None = None) -> list[Event]:
        """Match resting orders against new market trades; expire DAY orders at the close."""
        now = self.clock() if now is None else now
        events: list[Event] = []
        for trade in trades:
            working = self._working.get(trade.code)
            if not working:
                continue
            for order in list(working):
                if not order.active:
                    continue
                if not order.triggered:
                    if not self._maybe_trigger(order, trade.price):
                        continue
                    events.append(self._snap(order))
                    events += self._sweep(order)
                    if not order.active:
                        continue
                if self._crosses(order, trade.price):
                    qty = min(order.remaining, max(self._lots(order, trade.volume), order.lot))
                    price = trade.price if order.market_like else order.limit
                    events += self._fill(order, qty, price, now)
        events += self._extended_fills(now)
        events += self._expire(now)
        return events

    def _expire(self, now: float) -> list[Event]:
        """At a market's close, cancel its working DAY orders (only with clock='real')."""
        events: list[Event] = []
        for code, working in self._working.items():
            if not working:
                continue
            market = code.split(".", 1)[0]
            is_open = bool(self.market.is_open(market))
            was_open = self._was_open.get(market, is_open)
            self._was_open[market] = is_open
            ext_open = is_open or self.market.market_state(market, now) in (ST_PRE_MARKET, ST_AFTER_HOURS)
            was_ext = self._was_open.get(market + "+ext", ext_open)
            self._was_open[market + "+ext"] = ext_open
            for order in list(working):
                if order.tif != TimeInForce.DAY:
                    continue
                if (was_ext and not ext_open) if order.fill_outside_rth and market == "US" else (was_open and not is_open):
                    events += self._cancel(order, "expired at the market close (time in force DAY)")
        return events

    def _fill(self, order: Order, qty: float, price: float, now: float) -> list[Event]:
        acc = self.accounts[order.acc_id]
        cur = order.currency
        value = qty * price
        old_fee = order.fee_total
        order.fill_qty += qty
        order.fill_value += value
        order.fees = fee_schedule.fee_items(order.market, order.fill_qty, order.fill_value, not order.is_buy)
        fee = order.fee_total - old_fee
        acc.cash[cur] += -value - fee if order.is_buy else value - fee
        pos = self._position(acc, order.code, order.name)
        self._book_position(acc, pos, qty if order.is_buy else -qty, price, fee, now)
        order.status = OrderStatus.FILLED_ALL if order.remaining <= 1e-9 else OrderStatus.FILLED_PART
        order.update_time = now
        if not order.active:
            self._unwork(order)
        fill_id = next(self._fill_ids)
        counter = HK_COUNTER_BROKERS[fill_id % len(HK_COUNTER_BROKERS)] if order.market == "HK" else None
        fill = Fill(
            fill_id=fill_id, fill_id_ex=f"f3_{local_day(now, 'HK').replace('-', '')}_{fill_id}_{order.order_id}",
            order_id=order.order_id, order_id_ex=order.order_id_ex, acc_id=order.acc_id, env=order.env,
            code=order.code, name=order.name, side=order.side, qty=qty, price=price, time=now, counter_broker=counter,
        )
        acc.fills.append(fill)
        return [FillEvent(fill), self._snap(order)]

    def _book_position(self, acc: Account, pos: Position, dq: float, price: float, fee: float, now: float) -> None:
        day = local_day(now, pos.market)
        if pos.day != day:
            pos.day, pos.t1_locked = day, 0.0
            pos.today_buy_qty = pos.today_buy_val = pos.today_sell_qty = pos.today_sell_val = 0.0
        if dq > 0:
            pos.today_buy_qty += dq
            pos.today_buy_val += dq * price
            if pos.market in A_SHARES:
                pos.t1_locked += dq
        else:
            pos.today_sell_qty -= dq
            pos.today_sell_val -= dq * price
        cur = CURRENCY_OF[pos.market]
        if pos.qty == 0 or (pos.qty > 0) == (dq > 0):  # open or add
            pos.avg_cost = (pos.avg_cost * pos.qty + price * dq) / (pos.qty + dq)
        else:  # reduce (reversal is refused at order entry)
            pnl = (price - pos.avg_cost) * -dq
            pos.realized += pnl
            acc.realized[cur] += pnl
        pos.qty += dq
        if abs(pos.qty) < 1e-9:
            pos.qty, pos.avg_cost = 0.0, 0.0
        pos.net_cost += dq * price + fee
        pos.fees += fee
        pos.realized -= fee
        acc.realized[cur] -= fee
