"""`m` on an open order: a new price, trigger and quantity, checked by the same rules as a
new order. The form wears the environment badge and shows the order's type and notional; a
stop's trigger is editable and a market-priced order (market, stop) shows no price field."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import NamedTuple

from rich.text import Text
from textual import on
from textual.containers import Grid, Vertical
from textual.widgets import Input, Label, Static

from protocol.sanitize import NAME_CHARS, clean_text
from protocol.trade import OrderType, Side
from workstation.orders import Limits, Problem, Ticket, fmt, validate
from workstation.screens.form import PriceQtyForm
from workstation.account_rows import OrderRow

REAL_BADGE = "bold white on #ff2d55"
SIM_BADGE = "bold white on #3d8bfd"


class Change(NamedTuple):
    """What the modify form returns: the order's new quantity, price and trigger. `price` is
    the order's own for types without a limit price; `aux_price` None for non-stop orders."""

    qty: float
    price: float
    aux_price: float | None


def order_ticket(order: OrderRow) -> Ticket:
    """The order as a ticket (for the rules and the notional)."""
    return Ticket(code=order.code, side=order.side, qty=order.qty, price=order.price, order_type=order.order_type,
                  aux_price=None if math.isnan(order.aux_price) else order.aux_price, acc_id=order.acc_id)


class ModifyForm(PriceQtyForm[Change | None]):
    """Returns a Change or None."""

    def __init__(self, order: OrderRow, *, lot_size: int, last_price: float | None, can_sell_qty: float,
                 limits: Limits, env_label: str = "SIM", currency: str = "") -> None:
        super().__init__()
        self.order = order
        self.ticket = order_ticket(order)
        self.code = order.code
        self.lot_size = max(1, lot_size)
        self.last_price = last_price
        self.can_sell_qty = can_sell_qty + max(order.qty - order.fill_qty, 0)  # this order's shares are frozen
        self.limits = limits
        self.env_label = env_label
        self.currency = currency

    def compose(self):
        o, t = self.order, self.ticket
        badge = REAL_BADGE if self.env_label == "REAL" else SIM_BADGE
        with Vertical():
            yield Static(Text.assemble((" MODIFY ", "bold reverse"), f" order {o.order_id} ",
                                       (Side.word_of(o.side), "bold"), " ", o.code, " ",
                                       clean_text(o.name, NAME_CHARS), "  ", (f" {self.env_label} ", badge)),
                         id="title")
            with Grid():
                yield Label("Type")
                yield Label(OrderType.word_of(o.order_type), id="type")
                if t.has_price:
                    yield Label("Price")
                    yield Input(fmt(o.price), id="price")
                if t.needs_trigger:
                    yield Label("Trigger")
                    yield Input(fmt(t.aux_price) if t.aux_price else "", id="aux")
                yield Label("Quantity")
                yield Input(fmt(o.qty), id="qty")
            yield Static(id="preview")
            yield Static(id="problems")
            yield Static(Text("Enter send · Esc cancel · ctrl+↑/↓ tick · PgUp/PgDn lot", style="dim"))

    def on_mount(self) -> None:
        self._refresh_preview()
        first = "#price" if self.ticket.has_price else "#aux" if self.ticket.needs_trigger else "#qty"
        self.take_focus(self.query_one(first, Input))

    def action_nudge_price(self, ticks: int) -> None:
        if self.ticket.has_price:
            super().action_nudge_price(ticks)

    def _value(self, field: str, keep: float | None) -> float | None:
        """A field's number; the order's own value when the form has no such field."""
        if not self.query(f"#{field}"):
            return keep
        v = self.number(field)
        return math.nan if v is None else v

    def read(self) -> tuple[Change, list[Problem]]:
        o, t = self.order, self.ticket
        price = self._value("price", o.price)
        aux = self._value("aux", t.aux_price) if t.needs_trigger else None
        qty = self._value("qty", o.qty)
        fields = (("price", price), ("aux", aux), ("qty", qty))
        problems = [Problem(f, f"{f}: not a number") for f, v in fields if v is not None and math.isnan(v)]
        change = Change(qty, price, aux)
        if not problems:
            ticket = replace(t, qty=qty, price=price, aux_price=aux)
            problems = [Problem("aux" if p.field == "aux_price" else p.field, p.message)
                        for p in validate(ticket, lot_size=self.lot_size, last_price=self.last_price,
                                          can_sell_qty=self.can_sell_qty, limits=self.limits)
                        if p.field in ("price", "qty", "aux_price")]
            if qty <= o.fill_qty:
                problems.append(Problem("qty", f"quantity must be more than the {fmt(o.fill_qty)} already filled"))
        return change, problems

    def notional(self, change: Change) -> float:
        price = change.price if self.ticket.has_price else (self.last_price or 0.0)
        return price * change.qty if price == price and change.qty == change.qty else math.nan

    def _refresh_preview(self) -> None:
        change, _ = self.read()
        o = self.order
        before = self.notional(Change(o.qty, o.price, self.ticket.aux_price))
        after = self.notional(change)
        money = lambda x: "-" if x != x else f"{x:,.2f} {self.currency}".rstrip()  # noqa: E731
        last = "-" if self.last_price is None else fmt(self.last_price)
        self.query_one("#preview", Static).update(Text(
            f"notional {money(before)} → {money(after)}  last {last}\n"
            f"filled so far {fmt(o.fill_qty)}", style="dim"))

    @on(Input.Changed)
    def _changed(self) -> None:
        self._refresh_preview()

    @on(Input.Submitted)
    def submit(self) -> None:
        if self.dismissed:  # a second Enter: the first one already gave the change
            return
        change, problems = self.read()
        bad = {p.field for p in problems}
        for field in ("price", "aux", "qty"):
            for widget in self.query(f"#{field}"):
                widget.set_class(field in bad, "-invalid")
        self.query_one("#problems", Static).update(Text("\n".join(f"• {p.message}" for p in problems)))
        if not problems:
            self.dismiss(change)
