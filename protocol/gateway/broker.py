"""The paper broker: accounts, orders, matching against the simulated book, fills, positions, funds.

Pure Python (no protobuf, no asyncio). Every call that changes state returns the events
(order snapshots and fills, in order) that the trade service pushes to subscribed
connections. The records themselves live in protocol/gateway/ledger.py.

Rules of the house (documented, since a real broker has many more):
- Accounts: SIMULATE stock accounts for HK (cash), US (margin) and CN (cash), plus one
  REAL-flavoured paper account (HK + US, FutuSecurities) that must be unlocked with the
  trade password before it can place, modify or cancel. Unlocking is OpenD-wide.
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
- Fees: see protocol/gateway/fees.py; charged on fills (also on SIMULATE accounts, unlike
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
import math
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

from protocol.gateway import fees as fee_schedule
from protocol.gateway import instruments as mkt  # tick grid and price limits
from protocol.gateway.ledger import (
    BUY_SIDES, CURRENCY, DAY, GTC, HKD_PER, MARKET_CURRENCY, MARKET_PROTECTION, Account, Currency, Event, Fill,
    FillEvent, Funds, MaxQtys, ModifyOp, Order, OrderEvent, OrderType, Position, PositionView, Side, Status, TrdEnv,
    TrdMarket, default_accounts, local_day, md5_hex, money, trd_market_of,
)

PRICE_BAND = 0.20  # limit prices further than this from the last price are refused (HK, US)
NOT_TRADABLE = {6, 7, 9}  # SecurityType index, plate, plate set
REPLAY_MEMORY = 100_000  # PacketIDs remembered for replay protection
HK_COUNTER_BROKERS = ((8130, "Futu Securities"), (6998, "China Investment"), (5337, "J.P. Morgan"),
                      (1799, "Interactive Brokers"), (4978, "Goldman Sachs"))


class BrokerError(Exception):
    """A refused request; the message is what the client sees as retMsg."""


class Broker:
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
        self.password_md5 = md5_hex(trade_password)
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

    def today_orders(self, acc_id: int) -> list[Order]:
        """Orders created today (exchange-local) plus any still working."""
        now = self.clock()
        return [o for o in self.account(acc_id).orders.values()
                if o.active or o.status == Status.DISABLED or local_day(o.create_time, o.market) == local_day(now, o.market)]

    def today_fills(self, acc_id: int) -> list[Fill]:
        now = self.clock()
        return [f for f in self.account(acc_id).fills if local_day(f.time, f.market) == local_day(now, f.market)]

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

    # -- funds -----------------------------------------------------------------------

    def frozen(self, acc: Account, cur: Currency) -> float:
        return sum(o.frozen() for o in acc.orders.values() if o.currency == cur and o.active)

    def _market_values(self, acc: Account, cur: Currency) -> tuple[float, float]:
        long_mv = short_mv = 0.0
        for pos in acc.positions.values():
            if pos.qty and CURRENCY[pos.market] == cur:
                value = pos.qty * self.last_price(pos.code)
                if value > 0:
                    long_mv += value
                else:
                    short_mv += value
        return long_mv, short_mv

    def power(self, acc: Account, cur: Currency) -> float:
        """Cash buying power in one currency: no margin lending; open shorts tie up twice their value."""
        _, short_mv = self._market_values(acc, cur)
        return acc.cash.get(cur, 0.0) - self.frozen(acc, cur) + 2 * short_mv

    def funds(self, acc_id: int, currency: int | None = None) -> Funds:
        """Funds in `currency` (multi-currency accounts) or the account's own currency."""
        acc = self.account(acc_id)
        target = acc.currency
        if len(acc.cash) > 1 and currency in HKD_PER:
            target = Currency(currency)
        sums = dict.fromkeys(("power", "cash", "long", "short", "frozen", "unreal", "real", "wd"), 0.0)
        per_cur: dict[Currency, tuple[float, float, float]] = {}
        per_market: dict[int, float] = {}
        for cur, cash in acc.cash.items():
            rate = HKD_PER[cur] / HKD_PER[target]
            long_mv, short_mv = self._market_values(acc, cur)
            frozen = self.frozen(acc, cur)
            power = cash - frozen + 2 * short_mv
            withdraw = max(0.0, min(cash - frozen, power))
            unreal = sum((self.last_price(p.code) - p.avg_cost) * p.qty
                         for p in acc.positions.values() if p.qty and CURRENCY[p.market] == cur)
            per_cur[cur] = (cash, withdraw, power)
            for key, value in (("power", power), ("cash", cash), ("long", long_mv), ("short", short_mv),
                               ("frozen", frozen), ("unreal", unreal), ("real", acc.realized[cur]), ("wd", withdraw)):
                sums[key] += value * rate
            for m in acc.markets:
                if MARKET_CURRENCY[m] == cur:
                    per_market[m] = (cash + long_mv + short_mv) * rate
        market_val = sums["long"] + sums["short"]
        return Funds(
            currency=target, power=sums["power"], total_assets=sums["cash"] + market_val, cash=sums["cash"],
            market_val=market_val, long_mv=sums["long"], short_mv=sums["short"], frozen_cash=sums["frozen"],
            avl_withdrawal_cash=sums["wd"], unrealized_pl=sums["unreal"], realized_pl=sums["real"],
            max_power_short=sums["power"] if acc.short_markets else 0.0,
            cash_by_currency=per_cur, assets_by_market=per_market,
        )

    # -- positions -------------------------------------------------------------------

    def can_sell(self, acc: Account, code: str) -> float:
        pos = acc.positions.get(code)
        if pos is None or pos.qty <= 0:
            return 0.0
        pending = sum(o.remaining for o in acc.orders.values() if o.active and o.code == code and not o.is_buy)
        locked = pos.t1_locked if pos.day == local_day(self.clock(), pos.market) else 0.0
        return max(0.0, pos.qty - locked - pending)

    def positions(self, acc_id: int) -> list[PositionView]:
        acc = self.account(acc_id)
        now = self.clock()
        views = []
        for pos in acc.positions.values():
            today = pos.day == local_day(now, pos.market)
            if not pos.qty and not today:
                continue
            price = self.last_price(pos.code)
            value = pos.qty * price
            diluted = pos.net_cost / pos.qty if pos.qty else 0.0
            unreal = (price - pos.avg_cost) * pos.qty
            pl_val = value - pos.net_cost
            basis = abs(pos.net_cost)
            views.append(PositionView(
                position=pos, price=price, qty=pos.qty, can_sell=self.can_sell(acc, pos.code), value=value,
                avg_cost=pos.avg_cost, diluted_cost=diluted, unrealized=unreal, pl_val=pl_val,
                pl_ratio=pl_val / basis if pos.qty and basis > 1e-9 else None,
                avg_pl_ratio=unreal / abs(pos.avg_cost * pos.qty) if pos.qty and pos.avg_cost else None,
                today=today,
            ))
        return views

    def _position(self, acc: Account, code: str, name: str) -> Position:
        pos = acc.positions.get(code)
        if pos is None:
            pos = acc.positions[code] = Position(next(self._position_ids), code, name)
        return pos

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
        if not mkt.on_tick_grid(inst.market, price):
            lo, hi = mkt.round_to_tick(inst.market, price, False), mkt.round_to_tick(inst.market, price, True)
            raise BrokerError(f"{what} {price:g} is off the tick grid of {inst.code} "
                              f"(tick {mkt.tick_size(inst.market, price):g}; nearest {lo:g} or {hi:g})")
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
        limit = mkt.round_to_tick(inst.market, max(limit, mkt.tick_size(inst.market, ref)), not is_buy)
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
        tif: int = DAY,
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
        if order_type not in OrderType.__members__.values():
            raise BrokerError(f"order type {order_type} is not supported by the simulator "
                              f"(NORMAL, MARKET, ABSOLUTE_LIMIT, STOP, STOP_LIMIT)")
        if order_type == OrderType.ABSOLUTE_LIMIT and market != "HK":
            raise BrokerError("ABSOLUTE_LIMIT orders are for HK securities only")
        if tif not in (DAY, GTC):
            raise BrokerError(f"time in force {tif} is not supported (DAY or GTC)")
        if side not in Side.__members__.values():
            raise BrokerError(f"unknown trade side {side}")
        pos = acc.positions.get(code)
        held = pos.qty if pos else 0.0
        is_buy = side in BUY_SIDES
        lot = int(getattr(inst, "lot_size", 1) or 1)
        can_sell = self.can_sell(acc, code)
        odd = can_sell if market in ("SH", "SZ") and not is_buy and can_sell % lot else 0.0
        q = self._check_qty(inst, qty, lot, sell_all=odd)
        if not self.market.is_open(market):
            raise BrokerError(f"the {market} market is closed: orders are accepted during trading hours only")
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
                    why = " (A-shares bought today settle T+1)" if market in ("SH", "SZ") and pos and pos.t1_locked else ""
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
            order.status, order.last_err = Status.FAILED, message
            return order, events + [self._snap(order)]
        order.status = Status.SUBMITTED
        events.append(self._snap(order))
        self._working.setdefault(code, []).append(order)
        if not order.triggered:
            self._maybe_trigger(order, self.last_price(code))
        if order.triggered:
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
                raise BrokerError(f"order {order.order_id_ex} is {Status(order.status).name} and cannot be cancelled")
            return order, self._cancel(order)
        if op in (ModifyOp.DISABLE, ModifyOp.ENABLE, ModifyOp.DELETE) and acc.env == TrdEnv.SIMULATE:
            raise BrokerError("SIMULATE accounts support modify and cancel only (not disable, enable or delete)")
        if op == ModifyOp.NORMAL:
            return order, self._modify(acc, order, qty, price, aux_price)
        if op == ModifyOp.DISABLE:
            if not order.active:
                raise BrokerError(f"order {order.order_id_ex} is {Status(order.status).name} and cannot be disabled")
            order.status = Status.DISABLED
            self._unwork(order)
        elif op == ModifyOp.ENABLE:
            if order.status != Status.DISABLED:
                raise BrokerError(f"order {order.order_id_ex} is not disabled")
            self._check_funds(acc, order, dataclasses.replace(order, status=Status.SUBMITTED).frozen())
            order.status = Status.FILLED_PART if order.fill_qty else Status.SUBMITTED
            self._working.setdefault(order.code, []).append(order)
        elif op == ModifyOp.DELETE:
            if order.active or order.fill_qty:
                raise BrokerError(f"order {order.order_id_ex} cannot be deleted: only orders that ended without fills can")
            order.status = Status.DELETED
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
            raise BrokerError(f"order {order.order_id_ex} is {Status(order.status).name} and cannot be modified")
        inst = self.instrument(order.code)
        new = dataclasses.replace(order)
        if qty is not None and qty > 0:
            odd = 0.0
            if not order.is_buy and order.market in ("SH", "SZ"):
                odd = self.can_sell(acc, order.code) + order.remaining
            new.qty = self._check_qty(inst, qty, order.lot, sell_all=odd if odd % order.lot else 0.0)
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
        order.status = Status.CANCELLING_PART if part else Status.CANCELLING_ALL
        order.update_time = self.clock()
        events: list[Event] = [self._snap(order)]
        order.status = Status.CANCELLED_PART if part else Status.CANCELLED_ALL
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
            if order.active and (not trd_market or trd_market_of(order.market, acc.env) == trd_market):
                events += self._cancel(order)
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
            if was_open and not is_open:
                for order in list(working):
                    if order.tif == DAY:
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
        order.status = Status.FILLED_ALL if order.remaining <= 1e-9 else Status.FILLED_PART
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
            if pos.market in ("SH", "SZ"):
                pos.t1_locked += dq
        else:
            pos.today_sell_qty -= dq
            pos.today_sell_val -= dq * price
        cur = CURRENCY[pos.market]
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

    # -- queries ---------------------------------------------------------------------

    def max_qtys(self, acc_id: int, code: str, order_type: int, price: float, order_id_ex: str = "") -> MaxQtys:
        acc = self.account(acc_id)
        inst = self.instrument(code)
        lot = int(getattr(inst, "lot_size", 1) or 1)
        cur = CURRENCY[inst.market]
        if order_type in (OrderType.MARKET, OrderType.STOP) or not price:
            price = self._protection(inst, True, self.last_price(code))
        power = self.power(acc, cur)
        can_sell = self.can_sell(acc, code)
        if order_id_ex:  # modifying: the order's own freeze / position counts back in
            order = self.order(acc_id, order_id_ex)
            power += order.frozen()
            if not order.is_buy and not order.opening:
                can_sell += order.remaining
        pos = acc.positions.get(code)
        held = pos.qty if pos else 0.0
        buy = 0.0
        if power > 0 and price > 0:
            buy = math.floor(power / price / lot) * lot
            while buy > 0:
                value = buy * price
                if value + fee_schedule.total(fee_schedule.fee_items(inst.market, buy, value, False)) <= power:
                    break
                buy -= lot * max(1, int(buy / lot * 0.001))
            buy = max(buy, 0.0)
        short = 0.0
        if inst.market in acc.short_markets and held <= 0 and power > 0 and price > 0:
            short = math.floor(power / price / lot) * lot
        return MaxQtys(cash_buy=buy, cash_and_margin_buy=buy, position_sell=can_sell, sell_short=short,
                       buy_back=max(0.0, -held))
