"""The App's trading keys: they open the order, modify, unlock and confirmation screens and
hand the result to `workstation.trading` in a worker. Decisions (may this order be changed,
is REAL locked, what cancel-all covers) and outcomes (typed messages, turned into
notifications by the App) live in `workstation.trading`, not here.
"""

from __future__ import annotations

from collections import deque

from textual import events, work

from protocol.markets import untradable
from protocol.sanitize import NAME_CHARS, clean_text
from protocol.trade import OrderType, Side, TrdEnv
from workstation.account_rows import OrderRow
from workstation.orders import TRADER_REMARK_BYTES, Limits, Ticket, fmt
from workstation.screens.accounts import AccountPicker
from workstation.screens.confirm import ConfirmScreen
from workstation.screens.form import PriceQtyForm
from workstation.screens.modify import Change, ModifyForm, order_ticket
from workstation.screens.order import OrderForm, order_currency
from workstation.screens.unlock import UnlockScreen
from workstation.trading import Trading
from workstation.trading.messages import AccountSwitched, TradingRefused


class TradingActions:
    """Mixed into FutuTui: uses self.feed, self.store, self.config, self.focus_code."""

    keys_to_main: deque  # keys the App gave the main screen, until they bubble back (FutuTui sets it)
    order_form: OrderForm | None = None  # the b / s form, kept between orders

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

    async def on_event(self, event) -> None:
        """Keys typed right after `b` go to the focused panel before the form exists and bubble
        back here after `b` has opened it: they belong to the form (`5` would switch panels and
        the typed price would be lost)."""
        if isinstance(event, events.Key) and self.screen_stack:
            screen = self.screen
            if not event.is_forwarded and screen is self.screen_stack[0]:
                self.keys_to_main.append(event)
            elif event.is_forwarded and isinstance(screen, PriceQtyForm) and event in self.keys_to_main:
                self.keys_to_main.remove(event)
                event.stop()
                screen.take_key(event)
                return
        await super().on_event(event)

    # -- new orders ----------------------------------------------------------------------

    def action_order(self, side: int) -> None:
        """b / s: an order form for the focused code at the best opposite price and one lot.
        Indices, sectors and codes whose type is not known yet are refused before any form."""
        code = self.focus_code
        if not code or not self.feed.client.ready:
            return
        q = self.store.quote(code)
        sec_type = self.store.opend.sec_types.get(code, 0)
        if (kind := untradable(sec_type)) is not None:
            self.post_message(TradingRefused(f"{code} is {kind}: it cannot be traded"))
            return
        if not sec_type:
            self.post_message(TradingRefused(f"{code}: its security type is not known yet; try again in a moment"))
            return
        acc = self.trading.desk.form_account(code)
        if acc is None:
            return
        accounts = self.trading.accounts
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
        details = dict(name=q.name, lot_size=q.lot_size or 1,
                       last_price=last if last == last and fresh else None, no_quote=no_quote,
                       can_sell_qty=position.can_sell_qty if position else 0.0, limits=self.limits,
                       env_label="REAL" if acc.is_real else "SIM", position_qty=position.qty if position else 0.0,
                       buying_power=funds.power if active else float("nan"),
                       currency=funds.currency if active else "",
                       max_qtys=accounts.max_qtys, power_of=None if active else accounts.buying_power,
                       last_of=lambda: self.reference_price(code),
                       power_now=(lambda: (self.store.funds.power, self.store.funds.currency)) if active else None,
                       can_send=self.why_not_send, halted_of=lambda: self.store.quote(code).halted)
        form = self.order_form
        if form is None:  # built once, kept (installed) and refilled: a new form costs 50-150 ms to mount
            form = self.order_form = OrderForm(ticket, **details)
            self.install_screen(form, "order-form")
        elif form in self.screen_stack:
            return
        else:
            form.refill(ticket, **details)
        self.push_screen(form, self._order_ticket)

    def reference_price(self, code: str) -> float | None:
        """The price the form's band and notional use now, as b chose it: the session's own
        price for US outside regular hours, else the last; None while prices are not live."""
        opend = self.store.opend
        if not (opend.qot_logined and (opend.live(code) or code in opend.polled)):
            return None
        q = self.store.quote(code)
        session_price = self.feed.hours.session_price(code, q.ext)
        return q.last if session_price is None else session_price

    def why_not_send(self, ticket: Ticket) -> str | None:
        """Asked at Enter in the order form: REAL may have re-locked, or the code halted, while
        the form was open."""
        if self.store.quote(ticket.code).halted:
            return f"{ticket.code} is halted: trading is suspended, no orders until it resumes"
        acc = self.trading.accounts.find(ticket.acc_id)
        if acc is None:
            return f"no trading account {ticket.acc_id}"
        if acc.is_real and not self.trading.accounts.unlocked:
            return "REAL trading is locked: press Esc, then L to unlock with your trade password"
        if not self.feed.client.ready:
            return "not connected to OpenD"
        return None

    def _order_ticket(self, ticket: Ticket | None) -> None:
        if ticket is None:
            return
        if ticket.env != TrdEnv.REAL:
            self.send_order(ticket)
            return
        self.push_screen(ConfirmScreen("REAL ORDER", self.confirm_rows(ticket),
                                       f"Send {self.order_words(ticket)} with real money?", danger=True),
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
        return [
            ("Env", "REAL"), ("Account", acc.label if acc else str(ticket.acc_id)),
            ("Side", Side.word_of(ticket.side)), ("Code", ticket.code),
            ("Name", self.store.names.get(ticket.code) or q.name), ("Qty", fmt(ticket.qty)), ("Price", shown),
            ("Notional", self.money(price * ticket.qty, ticket)),
        ]

    def money(self, amount: float, ticket: Ticket) -> str:
        """An amount in the order's currency ("-" when unknown)."""
        return f"{amount:,.2f} {order_currency(ticket)}".rstrip() if amount == amount else "-"

    def order_words(self, ticket: Ticket) -> str:
        """The confirmation's question: side, quantity, code, price and notional, one line."""
        last = self.store.quote(ticket.code).last
        price = ticket.price if ticket.has_price else last
        at = fmt(ticket.price) if ticket.has_price else f"{OrderType.word_of(ticket.order_type)}"
        if ticket.needs_trigger and ticket.aux_price is not None:
            at += f" (trigger {fmt(ticket.aux_price)})"
        return (f"{Side.word_of(ticket.side)} {fmt(ticket.qty)} {ticket.code} @ {at}, "
                f"notional {self.money(price * ticket.qty, ticket)}")

    @work(group="orders")
    async def send_order(self, ticket: Ticket) -> None:
        await self.trading.desk.place(ticket)

    # -- open orders -------------------------------------------------------------------

    def selected_changeable(self, verb: str) -> OrderRow | None:
        """The order under the orders tab's cursor, if it may be changed; else the trader is told why."""
        if isinstance(self.screen, ConfirmScreen):
            return None
        order_id = self.account.selected_order()
        if not order_id:
            self.post_message(TradingRefused(f"nothing to {verb}: no order under the cursor on the Orders tab"))
            return None
        if (why := self.trading.desk.why_unchangeable(order_id)) is not None:
            done = {"modify": "modified", "cancel": "cancelled"}[verb]
            self.post_message(TradingRefused(f"order {order_id} cannot be {done}: {why}"))
            return None
        return self.trading.desk.changeable(order_id)

    def action_modify_selected(self) -> None:
        """m on the orders tab: the modify form opens while m is handled, so the keys typed
        after m (`m 575 Enter`) reach it in order, as after b."""
        order = self.selected_changeable("modify")
        if order is None:
            return
        q = self.store.quote(order.code)
        position = self.store.positions.get(order.code)
        acc = self.trading.accounts.find(order.acc_id) or self.trading.accounts.active
        real = acc is not None and acc.is_real
        form = ModifyForm(order, lot_size=q.lot_size or 1, last_price=q.last if q.last == q.last else None,
                          can_sell_qty=position.can_sell_qty if position else 0.0, limits=self.limits,
                          env_label="REAL" if real else "SIM", currency=order_currency(order_ticket(order)))
        self.push_screen(form, lambda change: change and self._modify_change(order.order_id, change, real))

    def _modify_change(self, order_id: str, change: Change, real: bool) -> None:
        """SIMULATE: send. REAL: confirm first (old -> new price, trigger, quantity, notional)."""
        if not real:
            self.modify_order(order_id, *change)
            return
        order = self.store.orders.get(order_id)
        if order is None:
            return
        old = order_ticket(order)
        new = Ticket(code=old.code, side=old.side, qty=change.qty, price=change.price, order_type=old.order_type,
                     aux_price=change.aux_price, acc_id=old.acc_id)
        last = self.store.quote(old.code).last
        value = lambda t: self.money((t.price if t.has_price else last) * t.qty, t)  # noqa: E731
        rows = self.change_rows(order)
        if old.has_price:
            rows.append(("Price", f"{fmt(old.price)} → {fmt(new.price)}"))
        if old.needs_trigger:
            rows.append(("Trigger", f"{fmt(old.aux_price or 0)} → {fmt(new.aux_price or 0)}"))
        rows += [("Qty", f"{fmt(old.qty)} → {fmt(new.qty)}"), ("Notional", f"{value(old)} → {value(new)}")]
        self.push_screen(ConfirmScreen("REAL MODIFY", rows, f"Change to {self.order_words(new)}?", danger=True),
                         lambda yes: yes and self.modify_order(order_id, *change))

    def change_rows(self, order) -> list[tuple[str, str]]:
        """What a REAL modify or cancel confirmation shows first: env, account, the order."""
        acc = self.trading.accounts.find(order.acc_id)
        return [("Env", "REAL"), ("Account", acc.label if acc else str(order.acc_id)), ("Order", order.order_id),
                ("Side", Side.word_of(order.side)), ("Code", order.code),
                ("Name", clean_text(self.store.names.get(order.code) or order.name, NAME_CHARS)),
                ("Type", OrderType.word_of(order.order_type))]

    @work(group="orders")
    async def modify_order(self, order_id: str, qty: float, price: float, aux_price: float | None = None) -> None:
        await self.trading.desk.modify(order_id, qty, price, aux_price)

    def action_cancel_selected(self) -> None:
        """c on the orders tab: SIMULATE cancels at once, REAL asks first."""
        order = self.selected_changeable("cancel")
        if order is None:
            return
        acc = self.trading.accounts.find(order.acc_id) or self.trading.accounts.active
        if acc is None or not acc.is_real:
            self.cancel_order(order.order_id)
            return
        ticket = order_ticket(order)
        last = self.store.quote(order.code).last
        rows = self.change_rows(order) + [
            ("Price", fmt(order.price) if ticket.has_price else OrderType.word_of(order.order_type)),
            ("Qty", f"{fmt(order.qty)} (filled {fmt(order.fill_qty)})"),
            ("Notional", self.money((ticket.price if ticket.has_price else last) * ticket.qty, ticket))]
        self.push_screen(ConfirmScreen("REAL CANCEL", rows, f"Cancel {self.order_words(ticket)}?", danger=True),
                         lambda yes: yes and self.cancel_order(order.order_id))

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
        plan = self.trading.desk.cancel_all_plan()
        n = sum(len(orders) for _, orders in plan)
        rows: list[tuple[str, str]] = []
        for account, orders in plan:
            rows.append(("Account", f"{account.label} · {len(orders)} open"))
            rows += [("", f"{o.order_id} {Side.word_of(o.side)} {fmt(o.qty)} {o.code} @ "
                          f"{fmt(o.price) if order_ticket(o).has_price else OrderType.word_of(o.order_type)}")
                     for o in orders]
        self.push_screen(ConfirmScreen("CANCEL ALL", rows, f"Cancel all {n} open orders on {len(plan)} accounts?",
                                       danger=acc.is_real),
                         lambda yes: yes and self.cancel_all(n))

    @work(group="orders")
    async def cancel_all(self, open_orders: int | None = None) -> None:
        await self.trading.desk.cancel_all(open_orders)

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
