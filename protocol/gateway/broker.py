"""The paper broker: accounts, orders, matching against the simulated book, fills, positions, funds.

Pure Python (no protobuf, no asyncio). Every call that changes state returns the events
(order snapshots and fills, in order) that the trade service pushes to subscribed
connections. The records themselves live in protocol/gateway/ledger.py.

Rules of the house (documented, since a real broker has many more):
- Accounts: SIMULATE stock accounts for HK (cash), US (margin) and CN (cash), plus one
  REAL-flavoured paper account, universal (HK + US + A-shares through HKCC, FutuSecurities),
  that must be unlocked with the trade password before it can place, modify or cancel.
  Unlocking is OpenD-wide and forgotten when OpenD restarts (`sim.faults.restart()`). An
  order's header must name its code's trade market (as the SDK derives it), as in OpenD.
- Matching: a marketable order fills at once against the opposite book levels, each up
  to its volume, never beyond its limit; the rest rests. A resting order fills when a
  trade prints at or through its limit: limit orders fill at their own price, market
  orders at the trade price, up to the trade's volume (at least one lot). Paper orders
  never change the simulated market.
- MARKET orders carry a protection price 5% beyond the last price (so a buy cannot run
  away from its frozen cash); STOP / STOP_LIMIT wait for a trade at or through the
  trigger (auxPrice; at once if the last price is already there) and then behave as
  MARKET / NORMAL orders.
- Checks: lot multiples, tick grid, price within 20% of the last price (HK, US) or
  inside the daily limit band (A-shares), buying power, position, market open,
  REAL lock, replayed PacketID.
- Short selling: US only (as in Futu's paper trading), on the US SIMULATE account and on
  the REAL paper account; no long/short reversal in one order. A short sale freezes
  its notional; an open short keeps twice its market value out of buying power (the
  proceeds plus 100% margin). A-shares are T+1: today's buys cannot be sold today.
- Fees: see protocol/fees.py; charged on fills (also on SIMULATE accounts, unlike
  Futu's paper trading, so cash arithmetic can be tested). Realized P&L counts every fee
  paid, so total assets - initial cash = realized + unrealized P&L (unrealized against
  the average fill price). Paper FX: USD 7.8, CNH 1.08 HKD; a universal account keeps
  cash per currency and a US buy spends USD only.
- Beyond Futu's paper trading: fills, fill pushes and order fees on SIMULATE accounts,
  and GTC there. As in it: disable / enable / delete work on REAL accounts only.
"""

from __future__ import annotations

import dataclasses
import itertools
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

from protocol import markets as mkt  # tick grid, lots
from protocol.gateway.account_views import AccountViews
from protocol.gateway.corrections import Corrections
from protocol.gateway.ledger import MARKET_PROTECTION, Account, Event, Order, OrderEvent, default_accounts, money
from protocol.gateway.matching import Matching
from protocol.markets import A_SHARES, local_day
from protocol.trade import (
    ModifyOp, OrderStatus, OrderType, Side, TimeInForce, TrdEnv, TrdMarket, password_md5, trd_market_for,
)

PRICE_BAND = 0.20  # limit prices further than this from the last price are refused (HK, US)
NOT_TRADABLE = {6, 7, 9}  # SecurityType index, plate, plate set
REPLAY_MEMORY = 100_000  # PacketIDs remembered for replay protection
# What the simulator accepts (OpenD knows more: AUCTION, SPECIAL_LIMIT, ...)
SUPPORTED_TYPES = frozenset({OrderType.NORMAL, OrderType.MARKET, OrderType.ABSOLUTE_LIMIT, OrderType.STOP,
                             OrderType.STOP_LIMIT})


class BrokerError(Exception):
    """A refused request; the message is what the client sees as retMsg."""


class Broker(AccountViews, Matching, Corrections):
    """Paper broker over a `protocol.gateway.market.Market` (or anything with its API)."""

    def __init__(
        self,
        market: Any,
        trade_password: str = "123456",
        *,
        clock: Callable[[], float] = time.time,
        accounts: Iterable[Account] | None = None,
    ) -> None:
        self.market = market
        self.password_md5 = password_md5(trade_password)
        self.clock = clock
        self.accounts: dict[int, Account] = {a.acc_id: a for a in (accounts or default_accounts())}
        self.unlocked = False  # OpenD-wide, like the real one
        self.reject_next: tuple[str, bool] | None = None  # fault injection: (message, as FAILED order)
        self.reject_next_modify: str | None = None  # fault injection: refuse the next modify / cancel
        self._order_ids = itertools.count(int(clock()) % 100_000 * 1000 + 1001)
        self._fill_ids = itertools.count(1)
        self._position_ids = itertools.count(1)
        self._packets: OrderedDict[tuple[int, int], None] = OrderedDict()
        self._working: dict[str, list[Order]] = {}  # code -> active orders, oldest first
        self._was_open: dict[str, bool] = {}

    # -- lookups ---------------------------------------------------------------------

    def account(self, acc_id: int) -> Account:
        acc = self.accounts.get(acc_id)
        if acc is None:
            raise BrokerError(f"unknown account {acc_id}")
        return acc

    def instrument(self, code: str) -> Any:
        inst = self.market.instruments.get(code)
        if inst is None:
            raise BrokerError(f"unknown security {code}")
        return inst

    def order(self, acc_id: int, order_id_ex: str = "", order_id: int = 0) -> Order:
        acc = self.account(acc_id)
        for o in acc.orders.values():
            if (order_id_ex and o.order_id_ex == order_id_ex) or (not order_id_ex and o.order_id == order_id):
                return o
        raise BrokerError(f"order {order_id_ex or order_id} not found in account {acc_id}")

    def last_price(self, code: str) -> float:
        price = self.market.last_price(code)
        if not price:
            price = self.instrument(code).prev_close
        return float(price)

    # -- unlock and replay protection -------------------------------------------------

    def unlock(self, unlock: bool, pwd_md5: str = "") -> None:
        if not unlock:
            self.unlocked = False
            return
        if pwd_md5.lower() != self.password_md5:
            raise BrokerError("unlock_trade failed: wrong trade password")
        self.unlocked = True

    def check_packet(self, conn_id: int, serial_no: int) -> None:
        """Refuse a write whose PacketID was seen before (a replayed request)."""
        key = (conn_id, serial_no)
        if key in self._packets:
            raise BrokerError(f"replayed request refused: PacketID (connID {conn_id}, serialNo {serial_no}) was already used")
        self._packets[key] = None
        if len(self._packets) > REPLAY_MEMORY:
            self._packets.popitem(last=False)

    def _check_unlocked(self, acc: Account) -> None:
        if acc.env == TrdEnv.REAL and not self.unlocked:
            raise BrokerError(f"REAL account {acc.acc_id} is locked: call unlock_trade with the trade password first")

    # -- checks ----------------------------------------------------------------------

    def _check_qty(self, inst: Any, qty: float, lot: int, *, sell_all: float = 0.0) -> int:
        if qty <= 0 or abs(qty - round(qty)) > 1e-9:
            raise BrokerError(f"quantity {qty:g} is not a positive whole number of shares")
        q = int(round(qty))
        if q % lot and not (sell_all and q == sell_all):
            raise BrokerError(f"quantity {q} is not a multiple of the lot size {lot} of {inst.code}")
        return q

    def _check_price(self, inst: Any, price: float, what: str = "price") -> float:
        if not price or price <= 0:
            raise BrokerError(f"{what} must be positive for this order type")
        price = round(price, 3)
        grid = _grid(inst)
        if not mkt.on_tick_grid(grid, price):
            lo, hi = mkt.round_to_tick(grid, price, False), mkt.round_to_tick(grid, price, True)
            raise BrokerError(f"{what} {price:g} is off the tick grid of {inst.code} "
                              f"(tick {mkt.tick_size(grid, price):g}; nearest {lo:g} or {hi:g})")
        limits = self.market.price_limits(inst.code)
        if limits is not None:
            low, high = limits
            if not low - 1e-9 <= price <= high + 1e-9:
                raise BrokerError(f"{what} {price:g} is outside today's price limits {low:g}-{high:g} of {inst.code}")
        else:
            last = self.last_price(inst.code)
            if last and abs(price - last) > PRICE_BAND * last + 1e-9:
                raise BrokerError(f"{what} {price:g} is too far from the last price {last:g} of {inst.code} "
                                  f"(more than {PRICE_BAND:.0%})")
        return price

    def _protection(self, inst: Any, is_buy: bool, ref: float) -> float:
        limit = ref * (1 + MARKET_PROTECTION) if is_buy else ref * (1 - MARKET_PROTECTION)
        grid = _grid(inst)
        limit = mkt.round_to_tick(grid, max(limit, mkt.tick_size(grid, ref)), not is_buy)
        limits = self.market.price_limits(inst.code)
        if limits is not None:
            limit = min(max(limit, limits[0]), limits[1])
        return limit

    def _check_funds(self, acc: Account, order: Order, extra: float) -> None:
        if extra <= 0:
            return
        cur = order.currency
        power = self.power(acc, cur)
        if extra > power + 1e-6:
            what = "cash" if order.is_buy else "collateral for the short sale"
            raise BrokerError(f"insufficient buying power: {order.code} needs {money(extra, cur)} of {what}, "
                              f"available {money(max(power, 0.0), cur)}")

    # -- placing ---------------------------------------------------------------------

    def place_order(
        self,
        acc_id: int,
        code: str,
        side: int,
        order_type: int,
        qty: float,
        price: float = 0.0,
        *,
        aux_price: float | None = None,
        tif: int = TimeInForce.DAY,
        remark: str = "",
        fill_outside_rth: bool = False,
    ) -> tuple[Order, list[Event]]:
        """Validate and accept an order; match what is marketable. Raises BrokerError."""
        if self.reject_next is not None and not self.reject_next[1]:
            message, _ = self.reject_next
            self.reject_next = None
            raise BrokerError(message)
        acc = self.account(acc_id)
        self._check_unlocked(acc)
        inst = self.instrument(code)
        market = inst.market
        if market not in acc.quote_markets:
            rights = ", ".join(TrdMarket(m).name for m in acc.markets)
            raise BrokerError(f"account {acc_id} cannot trade {market} securities (trading rights: {rights})")
        if getattr(inst, "sec_type", 3) in NOT_TRADABLE:
            raise BrokerError(f"{code} is an index and cannot be traded")
        if order_type not in SUPPORTED_TYPES:
            raise BrokerError(f"order type {order_type} is not supported by the simulator "
                              f"(NORMAL, MARKET, ABSOLUTE_LIMIT, STOP, STOP_LIMIT)")
        if order_type == OrderType.ABSOLUTE_LIMIT and market != "HK":
            raise BrokerError("ABSOLUTE_LIMIT orders are for HK securities only")
        if tif not in TimeInForce.__members__.values():
            raise BrokerError(f"time in force {tif} is not supported (DAY or GTC)")
        if side not in Side.__members__.values():
            raise BrokerError(f"unknown trade side {side}")
        pos = acc.positions.get(code)
        held = pos.qty if pos else 0.0
        is_buy = Side(side).is_buy
        lot = int(getattr(inst, "lot_size", 1) or 1)
        can_sell = self.can_sell(acc, code)
        odd = mkt.odd_lot_sell(market, is_buy, can_sell, lot)
        q = self._check_qty(inst, qty, lot, sell_all=odd)
        self._check_tradable_now(code, market, order_type, fill_outside_rth)
        now = self.clock()
        order = Order(
            order_id=0, order_id_ex="", acc_id=acc_id, env=acc.env, code=code, name=inst.name, side=side,
            order_type=order_type, qty=q, price=0.0, aux_price=None, tif=tif, remark=remark,
            fill_outside_rth=fill_outside_rth, lot=lot, create_time=now, update_time=now,
        )
        self._set_prices(order, inst, price, aux_price)
        # direction: long buys/sells, short sales, buy-to-cover
        if is_buy:
            pending_cover = sum(o.remaining for o in acc.orders.values()
                                if o.active and o.code == code and o.is_buy and not o.opening)
            if held < 0:
                if q > -held - pending_cover:
                    raise BrokerError(f"buy of {q} exceeds the short position of {-held:g} in {code} still to cover; "
                                      "cover first, then buy (no reversal in one order)")
                order.opening = False
            elif side == Side.BUY_BACK:
                raise BrokerError(f"no short position in {code} to buy back")
        else:
            if held > 0 or (side == Side.SELL and market not in acc.short_markets):
                if q > can_sell:
                    why = " (A-shares bought today settle T+1)" if market in A_SHARES and pos and pos.t1_locked else ""
                    raise BrokerError(f"insufficient position: can sell {can_sell:g} of {code}, order is for {q}{why}")
                order.opening = False
            elif market not in acc.short_markets:
                raise BrokerError(f"short selling {code} is not allowed in account {acc_id}")
        self._check_funds(acc, order, order.frozen())
        order.order_id = next(self._order_ids)
        order.order_id_ex = f"v3_{local_day(now, 'HK').replace('-', '')}_{acc_id % 100_000_000:08d}_{order.order_id}"
        acc.orders[order.order_id] = order
        events: list[Event] = [self._snap(order)]
        if self.reject_next is not None:  # fault injection: accepted, then failed
            message, _ = self.reject_next
            self.reject_next = None
            order.status, order.last_err = OrderStatus.FAILED, message
            return order, events + [self._snap(order)]
        order.status = OrderStatus.SUBMITTED
        events.append(self._snap(order))
        self._working.setdefault(code, []).append(order)
        if not order.triggered:
            self._maybe_trigger(order, self.last_price(code))
        if order.triggered and self.market.is_open(market):  # outside RTH it rests (see matching.py)
            events += self._sweep(order)
        return order, events

    def _set_prices(self, order: Order, inst: Any, price: float, aux_price: float | None) -> None:
        ot = order.order_type
        if ot in (OrderType.NORMAL, OrderType.ABSOLUTE_LIMIT, OrderType.STOP_LIMIT):
            order.price = order.limit = self._check_price(inst, price)
        if ot in (OrderType.STOP, OrderType.STOP_LIMIT):
            order.aux_price = self._check_price(inst, aux_price or 0.0, "trigger price (aux_price)")
            order.triggered = False
        elif ot == OrderType.MARKET:
            order.limit = self._protection(inst, order.is_buy, self.last_price(inst.code))

    def _snap(self, order: Order) -> OrderEvent:
        return OrderEvent(dataclasses.replace(order, fees=list(order.fees)))

    # -- modify / cancel -------------------------------------------------------------

    def modify_order(
        self,
        acc_id: int,
        order_id_ex: str,
        op: int,
        qty: float | None = None,
        price: float | None = None,
        *,
        aux_price: float | None = None,
        order_id: int = 0,
    ) -> tuple[Order, list[Event]]:
        self._injected_modify_refusal()
        acc = self.account(acc_id)
        self._check_unlocked(acc)
        order = self.order(acc_id, order_id_ex, order_id)
        if op == ModifyOp.CANCEL:
            if not order.active:
                raise BrokerError(f"order {order.order_id_ex} is {OrderStatus(order.status).name} and cannot be cancelled")
            return order, self._cancel(order)
        if op in (ModifyOp.DISABLE, ModifyOp.ENABLE, ModifyOp.DELETE) and acc.env == TrdEnv.SIMULATE:
            raise BrokerError("SIMULATE accounts support modify and cancel only (not disable, enable or delete)")
        if op == ModifyOp.NORMAL:
            return order, self._modify(acc, order, qty, price, aux_price)
        if op == ModifyOp.DISABLE:
            if not order.active:
                raise BrokerError(f"order {order.order_id_ex} is {OrderStatus(order.status).name} and cannot be disabled")
            order.status = OrderStatus.DISABLED
            self._unwork(order)
        elif op == ModifyOp.ENABLE:
            if order.status != OrderStatus.DISABLED:
                raise BrokerError(f"order {order.order_id_ex} is not disabled")
            self._check_funds(acc, order, dataclasses.replace(order, status=OrderStatus.SUBMITTED).frozen())
            order.status = OrderStatus.FILLED_PART if order.fill_qty else OrderStatus.SUBMITTED
            self._working.setdefault(order.code, []).append(order)
        elif op == ModifyOp.DELETE:
            if order.active or order.fill_qty:
                raise BrokerError(f"order {order.order_id_ex} cannot be deleted: only orders that ended without fills can")
            order.status = OrderStatus.DELETED
        else:
            raise BrokerError(f"unknown modify operation {op}")
        order.update_time = self.clock()
        events: list[Event] = [self._snap(order)]
        if order.active and order.triggered:
            events += self._sweep(order)
        return order, events

    def _injected_modify_refusal(self) -> None:
        if self.reject_next_modify is not None:
            message, self.reject_next_modify = self.reject_next_modify, None
            raise BrokerError(message)

    def _modify(self, acc: Account, order: Order, qty: float | None, price: float | None,
                aux_price: float | None) -> list[Event]:
        if not order.active:
            raise BrokerError(f"order {order.order_id_ex} is {OrderStatus(order.status).name} and cannot be modified")
        inst = self.instrument(order.code)
        new = dataclasses.replace(order)
        if qty is not None and qty > 0:
            odd = 0.0
            if not order.is_buy and order.market in A_SHARES:
                odd = mkt.odd_lot_sell(order.market, False, self.can_sell(acc, order.code) + order.remaining, order.lot)
            new.qty = self._check_qty(inst, qty, order.lot, sell_all=odd)
            if new.qty <= order.fill_qty:
                raise BrokerError(f"new quantity {new.qty} must exceed the filled quantity {order.fill_qty:g}")
        if order.order_type in (OrderType.NORMAL, OrderType.ABSOLUTE_LIMIT, OrderType.STOP_LIMIT) and price:
            new.price = new.limit = self._check_price(inst, price)
        if order.order_type in (OrderType.STOP, OrderType.STOP_LIMIT) and aux_price:
            new.aux_price = self._check_price(inst, aux_price, "trigger price (aux_price)")
        if not order.is_buy and not order.opening:
            room = self.can_sell(acc, order.code) + order.remaining
            if new.remaining > room:
                raise BrokerError(f"insufficient position: can sell {room:g} of {order.code}, order would need {new.remaining:g}")
        if order.is_buy and not order.opening:
            pos = acc.positions.get(order.code)
            short = -pos.qty if pos and pos.qty < 0 else 0.0
            others = sum(o.remaining for o in acc.orders.values()
                         if o.active and o.code == order.code and o.is_buy and o is not order)
            if new.remaining > short - others:
                raise BrokerError(f"buy of {new.remaining:g} exceeds the short position of {short:g} in {order.code} still to cover")
        self._check_funds(acc, order, new.frozen() - order.frozen())
        order.qty, order.price, order.limit, order.aux_price = new.qty, new.price, new.limit, new.aux_price
        order.update_time = self.clock()
        events: list[Event] = [self._snap(order)]
        if not order.triggered:
            self._maybe_trigger(order, self.last_price(order.code))
        if order.triggered:
            events += self._sweep(order)
        return events

    def _cancel(self, order: Order, reason: str = "") -> list[Event]:
        part = order.fill_qty > 0
        order.status = OrderStatus.CANCELLING_PART if part else OrderStatus.CANCELLING_ALL
        order.update_time = self.clock()
        events: list[Event] = [self._snap(order)]
        order.status = OrderStatus.CANCELLED_PART if part else OrderStatus.CANCELLED_ALL
        if reason:
            order.last_err = reason
        self._unwork(order)
        events.append(self._snap(order))
        return events

    def cancel_all(self, acc_id: int, trd_market: int = 0) -> list[Event]:
        self._injected_modify_refusal()
        acc = self.account(acc_id)
        self._check_unlocked(acc)
        events: list[Event] = []
        for order in list(acc.orders.values()):
            if order.active and (not trd_market or trd_market_for(order.market, acc.env) == trd_market):
                events += self._cancel(order)
        return events


def _grid(inst: Any) -> str:
    return mkt.grid(inst.market, getattr(inst, "sec_type", mkt.SEC_STOCK))
