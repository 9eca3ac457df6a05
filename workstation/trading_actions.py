"""The App's trading keys: they open the order, modify, unlock and confirmation screens and
hand the result to `workstation.trading` in a worker. Decisions (may this order be changed,
is REAL locked, what cancel-all covers) and outcomes (typed messages, turned into
notifications by the App) live in `workstation.trading`, not here.
"""

from __future__ import annotations

from textual import work

from protocol.trade import CURRENCY_OF, OrderType, Side, TrdEnv
from workstation.orders import TRADER_REMARK_BYTES, Limits, Ticket, fmt
from workstation.screens.accounts import AccountPicker
from workstation.screens.confirm import ConfirmScreen
from workstation.screens.modify import ModifyForm
from workstation.screens.order import OrderForm
from workstation.screens.unlock import UnlockScreen
from workstation.trading import Trading
from workstation.trading.messages import AccountSwitched, TradingRefused
from workstation.widgets.account import AccountPanel


class TradingActions:
    """Mixed into FutuTui: uses self.feed, self.store, self.config, self.focus_code."""

    @property
    def trading(self) -> Trading:
        return self.feed.trading

    @property
    def limits(self) -> Limits:
        c = self.config
        return Limits(band_pct=c.price_band_pct, max_notional=c.max_notional, allow_short=c.allow_short,
                      remark_bytes=TRADER_REMARK_BYTES)  # the rest of OpenD's 64 carries the order's reference

    def trading_ready(self) -> bool:
        return self.trading.ready and not self.journal_problem

    def show_env(self) -> None:
        """The whole screen wears a REAL border while a REAL account is active."""
        acc = self.trading.accounts.active
        if self.screen_stack:  # empty while the app shuts down
            self.screen_stack[0].set_class(acc is not None and acc.is_real, "-real")

    # -- new orders ----------------------------------------------------------------------

    def action_order(self, side: int) -> None:
        """b / s: an order form for the focused code at the best opposite price and one lot."""
        code = self.focus_code
        if not code or not self.feed.client.ready:
            return
        acc = self.trading.desk.form_account(code)
        if acc is None:
            return
        accounts = self.trading.accounts
        q = self.store.quote(code)
        if q.halted:
            self.post_message(TradingRefused(f"{code} is halted: trading is suspended, no orders until it resumes"))
            return
        opend = self.store.opend
        # Never prefill from frozen prices: OpenD off Futu's quote server, or no right for the code.
        fresh = opend.qot_logined and (opend.live(code) or code in opend.polled)
        no_quote = "" if fresh else (opend.missing(code) or opend.offline_reason() or "prices are not live")
        best = q.ask if side == Side.BUY else q.bid
        price = (best if best == best else q.last) if fresh else float("nan")
        # US outside regular hours: the session's own price is the reference (band, default price),
        # and the order may trade in it unless the trader says otherwise
        session_price = self.feed.hours.session_price(code, q.ext) if fresh else None
        if session_price is not None:
            price = session_price
        last = q.last if session_price is None else session_price
        position = self.store.positions.get(code)
        ticket = Ticket(code=code, side=side, qty=float(q.lot_size or 1), price=price if price == price else 0.0,
                        env=acc.env, acc_id=acc.acc_id,
                        session=self.feed.hours.default_session(code))
        funds = self.store.funds
        active = acc is accounts.active
        form = OrderForm(ticket, name=q.name, lot_size=q.lot_size or 1,
                         last_price=last if last == last and fresh else None, no_quote=no_quote,
                         can_sell_qty=position.can_sell_qty if position else 0.0, limits=self.limits,
                         env_label="REAL" if acc.is_real else "SIM", position_qty=position.qty if position else 0.0,
                         buying_power=funds.power if active else float("nan"),
                         currency=funds.currency if active else "",
                         max_qtys=accounts.max_qtys, power_of=None if active else accounts.buying_power)
        self.push_screen(form, self._order_ticket)

    def _order_ticket(self, ticket: Ticket | None) -> None:
        if ticket is None:
            return
        if ticket.env != TrdEnv.REAL:
            self.send_order(ticket)
            return
        self.push_screen(ConfirmScreen("REAL ORDER", self.confirm_rows(ticket), "Send this order with real money?",
                                       danger=True),
                         lambda yes: self.send_order(ticket) if yes else self.trading.desk.decline(ticket))

    def confirm_rows(self, ticket: Ticket) -> list[tuple[str, str]]:
        """What a REAL order's confirmation shows; an order without a price is valued at the last."""
        acc = self.trading.accounts.find(ticket.acc_id)
        q = self.store.quote(ticket.code)
        price = ticket.price if ticket.has_price else q.last
        kind = OrderType.word_of(ticket.order_type)
        shown = fmt(ticket.price) if ticket.has_price else f"{kind} (last {fmt(q.last)})" if q.last == q.last else kind
        if ticket.aux_price is not None and ticket.order_type in (OrderType.STOP, OrderType.STOP_LIMIT):
            shown += f", trigger {fmt(ticket.aux_price)}"
        currency = CURRENCY_OF[ticket.market].name if ticket.market in CURRENCY_OF else ""
        return [
            ("Env", "REAL"), ("Account", acc.label if acc else str(ticket.acc_id)),
            ("Side", Side.word_of(ticket.side)), ("Code", ticket.code),
            ("Name", self.store.names.get(ticket.code) or q.name), ("Qty", fmt(ticket.qty)), ("Price", shown),
            ("Notional", f"{price * ticket.qty:,.2f} {currency}".rstrip() if price == price else "-"),
        ]

    @work(group="orders")
    async def send_order(self, ticket: Ticket) -> None:
        await self.trading.desk.place(ticket)

    # -- open orders -------------------------------------------------------------------

    def on_account_panel_modify_requested(self, event: AccountPanel.ModifyRequested) -> None:
        order = self.trading.desk.changeable(event.order_id)
        if order is None:
            return
        q = self.store.quote(order.code)
        position = self.store.positions.get(order.code)
        form = ModifyForm(order, lot_size=q.lot_size or 1, last_price=q.last if q.last == q.last else None,
                          can_sell_qty=position.can_sell_qty if position else 0.0, limits=self.limits)
        self.push_screen(form, lambda result: result and self.modify_order(order.order_id, *result))

    @work(group="orders")
    async def modify_order(self, order_id: str, qty: float, price: float) -> None:
        await self.trading.desk.modify(order_id, qty, price)

    def on_account_panel_cancel_requested(self, event: AccountPanel.CancelRequested) -> None:
        if self.trading.desk.changeable(event.order_id) is not None:
            self.cancel_order(event.order_id)

    @work(group="orders")
    async def cancel_order(self, order_id: str) -> None:
        await self.trading.desk.cancel(order_id)

    def action_cancel_all(self) -> None:
        """ctrl+k from anywhere: every open order shown (each account, each market), after a y."""
        acc = self.trading.accounts.active
        if acc is None or not self.feed.client.ready:
            self.post_message(TradingRefused("cancel all: not connected to an account"))
            return
        if isinstance(self.screen, ConfirmScreen):
            return
        n = self.trading.desk.open_orders()
        self.push_screen(ConfirmScreen("CANCEL ALL", [("Account", acc.label), ("Open", str(n))],
                                       f"Cancel all {n} open orders?", danger=acc.is_real),
                         lambda yes: yes and self.cancel_all())

    @work(group="orders")
    async def cancel_all(self) -> None:
        await self.trading.desk.cancel_all()

    # -- environment and unlock -----------------------------------------------------------

    def action_accounts(self) -> None:
        """A: every account OpenD lists (REAL and SIM, markets, status, funds); Enter trades on one."""
        if not self.trading_ready():
            return
        accounts = self.trading.accounts
        self.push_screen(AccountPicker(accounts.all, accounts.active, accounts.funds_lines), self._account_chosen)

    def _account_chosen(self, acc_id: int | None) -> None:
        accounts = self.trading.accounts
        acc = accounts.find(acc_id) if acc_id is not None else None
        if acc is None or acc.disabled or acc is accounts.active:
            return
        accounts.select(acc)
        self.post_message(AccountSwitched(acc.label, acc.is_real, accounts.unlocked))
        self.feed.spawn(self.trading.book.refresh(orders=True))
        self.show_env()

    def action_switch_env(self) -> None:
        """E: SIMULATE <-> REAL (and between accounts of the same environment)."""
        if self.trading.accounts.switch_env() is not None:
            self.feed.spawn(self.trading.book.refresh(orders=True))
            self.show_env()

    def action_lock(self) -> None:
        """L while REAL is unlocked: lock it here and at OpenD."""
        if self.trading.accounts.unlocked:
            self.relock("locked by you")

    def action_unlock(self) -> None:
        """L while REAL is locked: ask for the trade password and unlock."""
        if not self.trading_ready():
            return
        accounts = self.trading.accounts
        if accounts.unlocked:
            self.relock("locked by you")
            return
        real = accounts.real()
        if not real:
            self.post_message(TradingRefused("OpenD lists no REAL trading account to unlock"))
            return
        self.push_screen(UnlockScreen(" · ".join(a.label for a in real)), self._unlock_digest)

    def _unlock_digest(self, digest: str | None) -> None:
        if digest:
            self.unlock(digest)

    @work(group="unlock", exclusive=True)
    async def unlock(self, digest: str) -> None:
        await self.trading.accounts.unlock(digest)

    @work(group="unlock", exclusive=True)
    async def relock(self, why: str) -> None:
        await self.trading.accounts.lock(why)

    def check_relock(self) -> None:
        if why := self.trading.accounts.idle_too_long():  # orders are refused from now
            self.relock(why)
