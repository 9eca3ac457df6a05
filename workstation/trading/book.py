"""The account book the panels show: orders, fills, positions and funds of the book accounts,
written into the store from replies and pushes (pushes for other accounts are dropped),
refreshed after fills at a rate OpenD allows, plus the rows for orders OpenD gave no ID."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable

from protocol import ids
from protocol.client import OpenDClient, OpenDError
from protocol.proto import (
    Trd_GetFunds_pb2,
    Trd_GetOrderFillList_pb2,
    Trd_GetOrderList_pb2,
    Trd_GetPositionList_pb2,
)
from protocol.trade import FillStatus, OrderStatus, Side
from workstation.messages import FeedNotice, FillReceived, OrderUpdated
from workstation.orders import Ticket, fmt
from workstation.account_rows import MAX_CURRENCIES, OrderRow, currency_word
from workstation.sessions import exchange_time
from workstation.store import NAN, Store
from workstation.trading.accounts import Accounts
from workstation.trading.messages import FillBusted, OrderDisabled, OrderEnabled, OrderFailed, OrderTimedOut

ACCOUNT_DEBOUNCE = 3.0  # funds/positions: 10 calls / 30 s allowed
STATUS_DEBOUNCE = 0.5  # after an order changes status: frozen cash and buying power follow promptly
# Pushed after OpenD accepted the order: told once as a failure. DISABLED is told as disabled
# (it can be enabled again, and that is told too); TIMEOUT is verified against the order list.
TOLD_STATUSES = frozenset({OrderStatus.SUBMIT_FAILED, OrderStatus.FAILED})


class AccountBook:
    def __init__(self, client: OpenDClient, store: Store, accounts: Accounts,
                 post: Callable[[object], object]) -> None:
        self.client = client
        self.store = store
        self.accounts = accounts
        self.post = post
        self._refresh_timer: asyncio.TimerHandle | None = None
        self._failures_told: set[str] = set()
        self.disabled: set[str] = set()  # orders told as disabled, until told enabled again
        self.timed_out: set[str] = set()  # orders pushed as TIMEOUT, until the order list tells more
        self.on_unknown: Callable[[], object] = lambda: None  # the Trading object checks OpenD's list

    # -- replies -------------------------------------------------------------------------

    async def refresh(self, orders: bool = False) -> None:
        """Positions and funds (and with `orders`, the order and fill lists) of the book accounts."""
        acc = self.accounts.active
        if acc is None:
            return
        book = self.accounts.book_accounts()
        header = self.accounts.header
        if orders:
            keep = {k: o for k, o in self.store.orders.items() if k[0] in "?!"}  # our own rows
            fetched = []
            for a in book:
                s2c = await self.client.request(ids.TRD_GET_ORDER_LIST, Trd_GetOrderList_pb2.C2S(header=header(a)))
                fetched.append((a, s2c.orderList))
            self.store.orders.clear()
            self.store.orders.update(keep)
            for a, order_list in fetched:
                for o in order_list:
                    self.tell_status(self.store.apply_order(o, a.acc_id))
            for a in book:
                s2c = await self.client.request(ids.TRD_GET_ORDER_FILL_LIST,
                                                Trd_GetOrderFillList_pb2.C2S(header=header(a)))
                for f in s2c.orderFillList:
                    self.store.apply_fill(f, a.acc_id)
        positions = []
        for a in book:
            s2c = await self.client.request(ids.TRD_GET_POSITION_LIST, Trd_GetPositionList_pb2.C2S(header=header(a)))
            positions.extend((a.acc_id, p) for p in s2c.positionList)
        self.store.set_positions(positions)
        s2c = await self.client.request(ids.TRD_GET_FUNDS, Trd_GetFunds_pb2.C2S(header=header(acc),
                                                                               currency=acc.currency))
        rates = await self._rates(acc, s2c.funds)
        self.store.set_funds(s2c.funds, acc.currency.name, acc.acc_id, rates)

    async def _rates(self, acc, funds) -> dict[str, float]:
        """The rate of each other currency the account holds, as OpenD converts: its total
        assets in the account's currency over the same total in that currency."""
        rates: dict[str, float] = {}
        base = funds.totalAssets
        for info in funds.cashInfoList[:MAX_CURRENCIES]:
            word = currency_word(info.currency)
            if not word or word == acc.currency.name or word in rates:
                continue
            s2c = await self.client.request(ids.TRD_GET_FUNDS, Trd_GetFunds_pb2.C2S(
                header=self.accounts.header(acc), currency=info.currency))
            other = s2c.funds.totalAssets
            got = currency_word(s2c.funds.currency) if s2c.funds.HasField("currency") else word
            rate = base / other if got == word and math.isfinite(base) and math.isfinite(other) and other else NAN
            if 1e-6 < rate < 1e6:
                rates[word] = rate
        return rates

    # -- pushes --------------------------------------------------------------------------

    def on_order_push(self, resp) -> None:
        s2c = resp.s2c
        if not self._on_book(s2c.header.accID):
            return
        before = self.store.orders.get(s2c.order.orderIDEx)
        row = self.store.apply_order(s2c.order, s2c.header.accID)
        if row is None:  # could not be shown: dropped and counted by the store
            return
        if before is None or before.status != row.status:  # placed, cancelled, filled: funds moved
            self.schedule_refresh(STATUS_DEBOUNCE)
        self.post(OrderUpdated(row))
        if row.status in TOLD_STATUSES and row.order_id not in self._failures_told:
            self._failures_told.add(row.order_id)
            self.post(OrderFailed(row))
        self.tell_status(row)

    def tell_status(self, row: OrderRow | None) -> None:
        """DISABLED and its end, and TIMEOUT (then checked against the order list), told once each."""
        if row is None:  # could not be shown: dropped and counted by the store
            return
        if row.status == OrderStatus.DISABLED:
            if row.order_id not in self.disabled:
                self.disabled.add(row.order_id)
                self.post(OrderDisabled(row))
        elif row.order_id in self.disabled:
            self.disabled.discard(row.order_id)
            self.post(OrderEnabled(row))
        if row.status == OrderStatus.TIMEOUT and row.order_id not in self.timed_out:
            self.timed_out.add(row.order_id)
            self.post(OrderTimedOut(row))
            self.on_unknown()

    def timeouts_resolved(self, final: bool) -> list[str]:
        """Orders pushed as TIMEOUT whose status the order list now tells (or, `final`, still does not)."""
        out = []
        for order_id in sorted(self.timed_out):
            row = self.store.orders.get(order_id)
            if row is not None and row.status == OrderStatus.TIMEOUT and not final:
                continue
            self.timed_out.discard(order_id)
            if row is None:
                out.append(f"order {order_id} (pushed as TIMEOUT) is not in OpenD's order list; its outcome is "
                           "unknown: check with the broker")
            elif row.status == OrderStatus.TIMEOUT:
                out.append(f"order {order_id} is still TIMEOUT at OpenD; its outcome is unknown: check with the broker")
            else:
                out.append(f"order {order_id} (pushed as TIMEOUT) is {OrderStatus.word_of(row.status)}, "
                           f"filled {fmt(row.fill_qty)} of {fmt(row.qty)}")
        return out

    def on_fill_push(self, resp) -> None:
        s2c = resp.s2c
        if not self._on_book(s2c.header.accID):
            return
        f = s2c.orderFill
        if f.HasField("status") and f.status in (FillStatus.CANCELLED, FillStatus.CHANGED):
            cancelled = f.status == FillStatus.CANCELLED
            if cancelled:
                self.store.fills.pop(f.fillIDEx, None)
                self.store.dirty_account = True
            else:
                self.store.apply_fill(f, s2c.header.accID)
            words = f"{Side.word_of(f.trdSide)} {fmt(f.qty)} @ {fmt(f.price)}"
            self.post(FillBusted(f.fillIDEx, f.orderIDEx, words, cancelled))
            self.schedule_refresh()  # positions and funds as OpenD has them now
            return
        row, new = self.store.apply_fill(f, s2c.header.accID)
        if row is not None and new:
            self.post(FillReceived(row))
            self.schedule_refresh()

    async def reload_orders(self) -> None:
        """The order lists of the book accounts, applied over the rows shown (nothing cleared)."""
        for a in self.accounts.book_accounts():
            s2c = await self.client.request(ids.TRD_GET_ORDER_LIST,
                                            Trd_GetOrderList_pb2.C2S(header=self.accounts.header(a)))
            for o in s2c.orderList:
                self.tell_status(self.store.apply_order(o, a.acc_id))

    def _on_book(self, acc_id: int) -> bool:
        return any(a.acc_id == acc_id for a in self.accounts.book_accounts())

    # -- the refresh after fills ---------------------------------------------------------

    @property
    def refresh_pending(self) -> bool:
        """A refresh after fills is scheduled and has not started yet."""
        return self._refresh_timer is not None

    def schedule_refresh(self, delay: float = ACCOUNT_DEBOUNCE) -> None:
        """Coalesce refreshes after fills and status changes (funds and positions are rate
        limited when the cache is refreshed; these reads do not ask that)."""
        if self._refresh_timer is not None:
            return

        def fire() -> None:
            self._refresh_timer = None
            if self.client.ready:
                asyncio.ensure_future(self._quiet_refresh())

        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # pushes replayed outside the app's loop (benchmarks): nothing to refresh on
            return
        self._refresh_timer = loop.call_later(delay, fire)

    async def _quiet_refresh(self) -> None:
        try:
            await self.refresh()
        except OpenDError as exc:
            self.post(FeedNotice(f"account refresh: {exc}", "warning"))

    def cancel_timers(self) -> None:
        if self._refresh_timer is not None:
            self._refresh_timer.cancel()
            self._refresh_timer = None

    # -- our own rows --------------------------------------------------------------------

    def show_unplaced(self, key: str, ticket: Ticket, status: int, message: str) -> None:
        """An orders-panel row for an order OpenD gave no ID: refused ("!ref"), or fate unknown
        ("?ref", status VERIFYING)."""
        stamp = time.time()
        now = exchange_time(stamp, ticket.code)  # like OpenD's own rows: the exchange's time
        self.store.orders[key] = OrderRow(
            order_id=key, code=ticket.code, name=self.store.names.get(ticket.code, ""), side=ticket.side,
            order_type=ticket.order_type, status=status, qty=ticket.qty, price=ticket.price,
            create_time=now, update_time=now, last_error=message, remark=ticket.remark, acc_id=ticket.acc_id,
            aux_price=ticket.aux_price if ticket.aux_price is not None else NAN,
            create_timestamp=stamp, update_timestamp=stamp,
        )
        self.store.dirty_account = True

    def forget_unplaced(self, key: str) -> None:
        if self.store.orders.pop(key, None) is not None:
            self.store.dirty_account = True

    def show_error(self, order: OrderRow, message: str) -> None:
        """OpenD refused a change to this order: its row says why."""
        order.last_error = message
        self.store.dirty_account = True
