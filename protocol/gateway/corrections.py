"""What the exchange or OpenD does to orders and fills after the fact, for `sim.faults`: a
trade busted, an order disabled and enabled again, orders OpenD no longer lists. A mixin
of Broker; each call returns the events the trade service pushes (as `Broker` calls do).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from protocol import fees as fee_schedule
from protocol.gateway.ledger import Account, Event, FillEvent, Order, OrderEvent
from protocol.trade import CURRENCY_OF, FillStatus, OrderStatus


class Corrections:
    """Busts, disable / enable and forgotten orders (mixed into Broker)."""

    accounts: dict[int, Account]
    clock: Callable[[], float]
    _working: dict[str, list[Order]]
    account: Callable[[int], Account]
    order: Callable[..., Order]
    _unwork: Callable[[Order], None]
    _snap: Callable[[Order], OrderEvent]
    _sweep: Callable[[Order], list[Event]]

    def bust_fill(self, acc_id: int, fill_id_ex: str) -> list[Event]:
        """The exchange cancels a trade: the fill goes, its cash, fees and position are undone,
        and the order no longer counts it. Pushed as a fill with status CANCELLED."""
        acc = self.account(acc_id)
        fill = next((f for f in acc.fills if f.fill_id_ex == fill_id_ex), None)
        if fill is None:
            raise KeyError(f"no fill {fill_id_ex} in account {acc_id}")
        acc.fills.remove(fill)
        order = self.order(acc_id, fill.order_id_ex)
        value = fill.qty * fill.price
        old_fee = order.fee_total
        order.fill_qty -= fill.qty
        order.fill_value -= value
        order.fees = (fee_schedule.fee_items(order.market, order.fill_qty, order.fill_value, not order.is_buy)
                      if order.fill_qty > 1e-9 else [])
        refund = old_fee - order.fee_total
        cur = CURRENCY_OF[order.market]
        acc.cash[cur] += value + refund if order.is_buy else -value + refund
        pos = acc.positions.get(order.code)
        if pos is not None:
            dq = -fill.qty if order.is_buy else fill.qty
            held = pos.qty + dq
            if abs(held) < 1e-9:
                pos.avg_cost, held = 0.0, 0.0
            elif order.is_buy and pos.qty > 0:
                pos.avg_cost = (pos.avg_cost * pos.qty - value) / held
            pos.qty = held
            pos.net_cost -= (value if order.is_buy else -value) + refund
            pos.fees -= refund
            pos.realized += refund
            acc.realized[cur] += refund
            if order.is_buy:
                pos.today_buy_qty -= fill.qty
                pos.today_buy_val -= value
                pos.t1_locked = max(0.0, pos.t1_locked - fill.qty)
            else:
                pos.today_sell_qty -= fill.qty
                pos.today_sell_val -= value
        if order.status == OrderStatus.FILLED_ALL:  # it no longer works at the exchange
            order.status = OrderStatus.CANCELLED_PART if order.fill_qty > 1e-9 else OrderStatus.CANCELLED_ALL
        elif order.status == OrderStatus.FILLED_PART and order.fill_qty <= 1e-9:
            order.status = OrderStatus.SUBMITTED
        order.update_time = self.clock()
        busted = dataclasses.replace(fill, status=FillStatus.CANCELLED)
        return [FillEvent(busted), self._snap(order)]

    def set_disabled(self, acc_id: int, order_id_ex: str, disabled: bool) -> list[Event]:
        """Disable a working order (it stops working, stays listed as DISABLED) or enable it again."""
        order = self.order(acc_id, order_id_ex)
        if disabled:
            if not order.active:
                raise ValueError(f"order {order_id_ex} is {OrderStatus(order.status).name}: only working orders are disabled")
            order.status = OrderStatus.DISABLED
            self._unwork(order)
        else:
            if order.status != OrderStatus.DISABLED:
                raise ValueError(f"order {order_id_ex} is not disabled")
            order.status = OrderStatus.FILLED_PART if order.fill_qty else OrderStatus.SUBMITTED
            self._working.setdefault(order.code, []).append(order)
        order.update_time = self.clock()
        events: list[Event] = [self._snap(order)]
        if order.active and order.triggered:
            events += self._sweep(order)
        return events

    def as_timeout(self, acc_id: int, order_id_ex: str) -> list[Event]:
        """A push of the order with status TIMEOUT (outcome unknown); the order itself is unchanged,
        so the order list tells its real status."""
        order = self.order(acc_id, order_id_ex)
        return [OrderEvent(dataclasses.replace(order, status=OrderStatus.TIMEOUT, fees=list(order.fees)))]

    def forget_orders(self, acc_id: int) -> int:
        """OpenD no longer lists this account's orders (they stop working); returns how many."""
        acc = self.account(acc_id)
        for order in acc.orders.values():
            self._unwork(order)
        n = len(acc.orders)
        acc.orders.clear()
        return n

