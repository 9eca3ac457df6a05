"""The paper broker's account views: funds, buying power, positions, today's orders and fills,
and the maximum quantities an order could have (Trd_GetFunds, Trd_GetPositionList,
Trd_GetOrderList, Trd_GetMaxTrdQtys). Read-only over the records; a mixin of Broker.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from protocol import fees as fee_schedule
from protocol.gateway.ledger import HKD_PER, Account, Fill, Funds, MaxQtys, Order, Position, PositionView
from protocol.markets import local_day
from protocol.trade import ACCOUNT_CURRENCY, CURRENCY_OF, Currency, OrderStatus, OrderType


class AccountViews:
    """What an account holds and may do, computed from its records (mixed into Broker)."""

    market: Any
    clock: Callable[[], float]
    accounts: dict[int, Account]

    def today_orders(self, acc_id: int) -> list[Order]:
        """Orders created today (exchange-local) plus any still working."""
        now = self.clock()
        return [o for o in self.account(acc_id).orders.values()
                if o.active or o.status == OrderStatus.DISABLED or local_day(o.create_time, o.market) == local_day(now, o.market)]

    def today_fills(self, acc_id: int) -> list[Fill]:
        now = self.clock()
        return [f for f in self.account(acc_id).fills if local_day(f.time, f.market) == local_day(now, f.market)]

    # -- funds -----------------------------------------------------------------------

    def frozen(self, acc: Account, cur: Currency) -> float:
        return sum(o.frozen() for o in acc.orders.values() if o.currency == cur and o.active)

    def _market_values(self, acc: Account, cur: Currency) -> tuple[float, float]:
        long_mv = short_mv = 0.0
        for pos in acc.positions.values():
            if pos.qty and CURRENCY_OF[pos.market] == cur:
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
                         for p in acc.positions.values() if p.qty and CURRENCY_OF[p.market] == cur)
            per_cur[cur] = (cash, withdraw, power)
            for key, value in (("power", power), ("cash", cash), ("long", long_mv), ("short", short_mv),
                               ("frozen", frozen), ("unreal", unreal), ("real", acc.realized[cur]), ("wd", withdraw)):
                sums[key] += value * rate
            for m in acc.markets:
                if ACCOUNT_CURRENCY[m] == cur:
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
            bought, sold = (pos.today_buy_val, pos.today_sell_val) if today else (0.0, 0.0)
            opening = pos.qty - (pos.today_buy_qty - pos.today_sell_qty if today else 0.0)
            views.append(PositionView(
                position=pos, price=price, qty=pos.qty, can_sell=self.can_sell(acc, pos.code), value=value,
                avg_cost=pos.avg_cost, diluted_cost=diluted, unrealized=unreal, pl_val=pl_val,
                pl_ratio=pl_val / basis if pos.qty and basis > 1e-9 else None,
                avg_pl_ratio=unreal / abs(pos.avg_cost * pos.qty) if pos.qty and pos.avg_cost else None,
                today=today, today_pl=value - opening * self._prev_close(pos.code) - bought + sold,
            ))
        return views

    def _prev_close(self, code: str) -> float:
        prev = getattr(self.market, "prev_close", None)  # the market's day; else the universe's
        return float((prev(code) if prev else 0.0) or self.instrument(code).prev_close)

    def _position(self, acc: Account, code: str, name: str) -> Position:
        pos = acc.positions.get(code)
        if pos is None:
            pos = acc.positions[code] = Position(next(self._position_ids), code, name)
        return pos

    # -- queries ---------------------------------------------------------------------

    def max_qtys(self, acc_id: int, code: str, order_type: int, price: float, order_id_ex: str = "") -> MaxQtys:
        acc = self.account(acc_id)
        inst = self.instrument(code)
        lot = int(getattr(inst, "lot_size", 1) or 1)
        cur = CURRENCY_OF[inst.market]
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
