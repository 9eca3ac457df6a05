"""The App's trading keys: order form, REAL unlock and confirmation, modify, cancel,
cancel all, environment switch and idle re-lock. A mixin of `FutuTui`, kept apart so
app.py stays about layout and data.

Every path is: a form or confirmation (UI thread) -> a worker awaiting the Trader ->
a notification. Refusals that need no network (locked, throttled) are `OrderRefused`;
OpenD's own refusals are `OpenDError`, shown with the server's message.
"""

from __future__ import annotations

from textual import work

from protocol.client import ConnectionLost, NotConnected, OpenDError, RequestTimeout
from protocol.codes import ORDER_STATUS, ORDER_TYPES
from workstation.orders import BUY, REAL, TRIGGERED, Limits, Ticket, fmt
from workstation.screens.confirm import ConfirmScreen
from workstation.screens.modify import ModifyForm
from workstation.screens.order import OrderForm
from workstation.screens.unlock import UnlockScreen
from workstation.store import VERIFYING
from workstation.trader import OrderRefused, side_word
from workstation.widgets.account import AccountPanel


FAILED_STATUS = {3: "failed", 21: "failed", 22: "is no longer valid"}  # SUBMIT_FAILED, FAILED, DISABLED (expired)
CURRENCY = {"HK": "HKD", "US": "USD", "SH": "CNH", "SZ": "CNH"}  # what a market's prices are in


class TradingActions:
    """Mixed into FutuTui: uses self.feed, self.store, self.config, self.focus_code."""

    @property
    def trader(self):
        return self.feed.trader

    @property
    def limits(self) -> Limits:
        c = self.config
        return Limits(band_pct=c.price_band_pct, max_notional=c.max_notional, allow_short=c.allow_short)

    def trading_ready(self) -> bool:
        return self.feed.client.ready and bool(self.trader.accounts)

    def show_env(self) -> None:
        """The whole screen wears a REAL border while a REAL account is active."""
        acc = self.trader.account
        if self.screen_stack:  # empty while the app shuts down
            self.screen_stack[0].set_class(acc is not None and acc.is_real, "-real")

    def order_pushed(self, order) -> None:
        """An order that OpenD failed after accepting it: say so, with the server's reason, once."""
        if order.status not in FAILED_STATUS:
            return
        told = self.__dict__.setdefault("_failures_told", set())
        if order.order_id in told:
            return
        told.add(order.order_id)
        why = order.last_error or ORDER_STATUS.get(order.status, str(order.status))
        self.notify(f"order {order.order_id} {side_word(order.side)} {order.qty:g} {order.code} "
                    f"{FAILED_STATUS[order.status]}: {why}", severity="error" if order.status != 22 else "warning",
                    timeout=8)

    # -- new orders ----------------------------------------------------------------------

    def action_order(self, side: int) -> None:
        """b / s: an order form for the focused code at the best opposite price and one lot."""
        code = self.focus_code
        if not code or not self.feed.client.ready:
            return
        acc = self.trader.account_for(code)
        if acc is None:
            self.notify(f"no {'REAL ' if self.trader.account and self.trader.account.is_real else ''}"
                        f"trading account for {code}", severity="warning")
            return
        if acc.is_real and not self.trader.unlocked:
            self.notify("REAL trading is locked: press L to unlock with your trade password", severity="error")
            return
        q = self.store.quote(code)
        best = q.ask if side == BUY else q.bid
        price = best if best == best else q.last
        position = self.store.positions.get(code)
        ticket = Ticket(code=code, side=side, qty=float(q.lot_size or 1), price=price if price == price else 0.0,
                        env=acc.env, acc_id=acc.acc_id)
        funds = self.store.funds
        form = OrderForm(ticket, name=q.name, lot_size=q.lot_size or 1, last_price=q.last if q.last == q.last else None,
                         can_sell_qty=position.can_sell_qty if position else 0.0, limits=self.limits,
                         env_label="REAL" if acc.is_real else "SIM", position_qty=position.qty if position else 0.0,
                         buying_power=funds.power if acc is self.trader.account else float("nan"),
                         currency=funds.currency if acc is self.trader.account else "",
                         max_qtys=self.trader.max_qtys,
                         power_of=None if acc is self.trader.account else self.trader.buying_power)
        self.push_screen(form, self._order_ticket)

    def _order_ticket(self, ticket: Ticket | None) -> None:
        if ticket is None:
            return
        if ticket.env != REAL:
            self.send_order(ticket)
            return
        self.push_screen(ConfirmScreen("REAL ORDER", self.confirm_rows(ticket), "Send this order with real money?",
                                       danger=True),
                         lambda yes: self.send_order(ticket) if yes else self.notify("REAL order not sent", timeout=3))

    def confirm_rows(self, ticket: Ticket) -> list[tuple[str, str]]:
        """What a REAL order's confirmation shows; an order without a price is valued at the last."""
        acc = next((a for a in self.trader.accounts if a.acc_id == ticket.acc_id), None)
        q = self.store.quote(ticket.code)
        price = ticket.price if ticket.has_price else q.last
        kind = ORDER_TYPES.get(ticket.order_type, str(ticket.order_type))
        shown = fmt(ticket.price) if ticket.has_price else f"{kind} (last {fmt(q.last)})" if q.last == q.last else kind
        if ticket.aux_price is not None and ticket.order_type in TRIGGERED:
            shown += f", trigger {fmt(ticket.aux_price)}"
        currency = CURRENCY.get(ticket.market, "")
        return [
            ("Env", "REAL"), ("Account", acc.label if acc else str(ticket.acc_id)),
            ("Side", side_word(ticket.side)), ("Code", ticket.code),
            ("Name", self.store.names.get(ticket.code) or q.name), ("Qty", fmt(ticket.qty)), ("Price", shown),
            ("Notional", f"{price * ticket.qty:,.2f} {currency}".rstrip() if price == price else "-"),
        ]

    @work(group="orders")
    async def send_order(self, ticket: Ticket) -> None:
        what = f"{side_word(ticket.side)} {fmt(ticket.qty)} {ticket.code}"
        try:
            order_id = await self.trader.place_order(ticket)
        except OrderRefused as exc:
            self.notify(f"{what} not sent: {exc}", severity="warning", timeout=6)
            return
        except (ConnectionLost, RequestTimeout) as exc:
            self.notify(f"{what}: {exc}. Its fate is unknown; it will be checked after reconnecting "
                        "and is never resent.", severity="error", timeout=10)
            return
        except OpenDError as exc:
            self.notify(f"{what} rejected: {exc}", severity="error", timeout=8)
            return
        self.notify(f"order {order_id} sent: {what}", timeout=3)

    # -- open orders -------------------------------------------------------------------

    def on_account_panel_modify_requested(self, event: AccountPanel.ModifyRequested) -> None:
        order = self.store.orders.get(event.order_id)
        if order is None or not order.is_open or order.status == VERIFYING:
            return
        q = self.store.quote(order.code)
        position = self.store.positions.get(order.code)
        form = ModifyForm(order, lot_size=q.lot_size or 1, last_price=q.last if q.last == q.last else None,
                          can_sell_qty=position.can_sell_qty if position else 0.0, limits=self.limits)
        self.push_screen(form, lambda result: result and self.modify_order(order.order_id, *result))

    @work(group="orders")
    async def modify_order(self, order_id: str, qty: float, price: float) -> None:
        order = self.store.orders.get(order_id)
        if order is None:
            return
        if await self._change(f"modify {order_id}", self.trader.modify_order(order, qty, price)):
            self.notify(f"modify {order_id} sent: {fmt(qty)} @ {fmt(price)}", timeout=3)

    def on_account_panel_cancel_requested(self, event: AccountPanel.CancelRequested) -> None:
        self.cancel_order(event.order_id)

    @work(group="orders")
    async def cancel_order(self, order_id: str) -> None:
        order = self.store.orders.get(order_id)
        if order is None or not order.is_open or order.status == VERIFYING:
            return
        if await self._change(f"cancel {order_id}", self.trader.cancel_order(order)):
            self.notify(f"cancel {order_id} sent", timeout=3)

    def action_cancel_all(self) -> None:
        """ctrl+k from anywhere: every open order shown (each account, each market), after a y."""
        acc = self.trader.account
        if acc is None or not self.feed.client.ready:
            self.notify("cancel all: not connected to an account", severity="warning")
            return
        if isinstance(self.screen, ConfirmScreen):
            return
        n = self.open_orders()
        self.push_screen(ConfirmScreen("CANCEL ALL", [("Account", acc.label), ("Open", str(n))],
                                       f"Cancel all {n} open orders?", danger=acc.is_real),
                         lambda yes: yes and self.cancel_all())

    @work(group="orders")
    async def cancel_all(self) -> None:
        n = self.open_orders()
        if await self._change("cancel all", self.trader.cancel_all()):
            self.notify(f"cancel all sent ({n} open orders)", timeout=3)

    def open_orders(self) -> int:
        return sum(1 for o in self.store.orders.values() if o.is_open and o.status != VERIFYING)

    async def _change(self, what: str, request) -> bool:
        """Await a modify, cancel or cancel-all; tell the trader if it did not go through."""
        try:
            await request
        except OrderRefused as exc:
            self.notify(f"{what} not sent: {exc}", severity="warning", timeout=6)
            return False
        except (ConnectionLost, RequestTimeout) as exc:
            self.notify(f"{what}: {exc}. Its fate is unknown; it will be checked after reconnecting "
                        "and is never resent.", severity="error", timeout=10)
            return False
        except NotConnected as exc:
            self.notify(f"{what} not sent: {exc}", severity="warning", timeout=6)
            return False
        except OpenDError as exc:
            self.notify(f"{what} refused by OpenD: {exc}", severity="error", timeout=8)
            return False
        return True

    # -- environment and unlock -----------------------------------------------------------

    def action_switch_env(self) -> None:
        """E: SIMULATE <-> REAL (and between accounts of the same environment)."""
        current = self.trader.account
        want = 0 if current is not None and current.is_real else REAL
        acc = self.trader.next_account(want)
        if acc is None:
            self.notify("OpenD lists no REAL trading account" if want == REAL else "no SIMULATE account",
                        severity="warning")
            return
        self.trader.select_account(acc)
        self.feed.spawn(self.trader.refresh_account(orders=True))
        self.show_env()
        hint = "" if not acc.is_real or self.trader.unlocked else "; press L to unlock"
        self.notify(f"trading on {acc.label}{hint}", severity="warning" if acc.is_real else "information", timeout=4)

    def action_unlock(self) -> None:
        """L: unlock REAL trading (or lock it again when it is unlocked)."""
        if not self.trading_ready():
            return
        if self.trader.unlocked:
            self.relock("locked by you")
            return
        real = [a for a in self.trader.accounts if a.is_real]
        if not real:
            self.notify("OpenD lists no REAL trading account to unlock", severity="warning")
            return
        self.push_screen(UnlockScreen(" · ".join(a.label for a in real)), self._unlock_digest)

    def _unlock_digest(self, digest: str | None) -> None:
        if digest:
            self.unlock(digest)

    @work(group="unlock", exclusive=True)
    async def unlock(self, digest: str) -> None:
        try:
            await self.trader.unlock(digest)
        except OpenDError as exc:
            self.notify(f"unlock refused: {exc}", severity="error", timeout=6)
            return
        minutes = self.config.relock_minutes
        self.notify(f"REAL trading unlocked; it locks again after {minutes:g} min without trading",
                    severity="warning", timeout=5)
        self.refresh_bindings()

    @work(group="unlock", exclusive=True)
    async def relock(self, why: str) -> None:
        try:
            await self.trader.lock()
        except OpenDError as exc:
            self.notify(f"lock at OpenD failed ({exc}); orders stay refused here", severity="warning")
        self.notify(f"REAL trading locked ({why})", timeout=4)
        self.refresh_bindings()

    def check_relock(self) -> None:
        if self.trader.relock_due():
            self.trader.unlocked = False  # refuse at once; OpenD hears it next
            self.relock(f"idle {self.config.relock_minutes:g} min")
