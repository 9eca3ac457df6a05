"""`m` on an open order: a new price and quantity, checked by the same rules as a new order."""

from __future__ import annotations

import math

from rich.text import Text
from textual import on
from textual.containers import Grid, Vertical
from textual.widgets import Input, Label, Static

from protocol.trade import Side
from workstation.orders import Limits, Problem, Ticket, fmt, validate
from workstation.screens.form import PriceQtyForm
from workstation.account_rows import OrderRow


class ModifyForm(PriceQtyForm[tuple[float, float] | None]):
    """Returns (qty, price) or None."""

    def __init__(self, order: OrderRow, *, lot_size: int, last_price: float | None, can_sell_qty: float,
                 limits: Limits) -> None:
        super().__init__()
        self.order = order
        self.code = order.code
        self.lot_size = max(1, lot_size)
        self.last_price = last_price
        self.can_sell_qty = can_sell_qty + max(order.qty - order.fill_qty, 0)  # this order's shares are frozen
        self.limits = limits

    def compose(self):
        o = self.order
        with Vertical():
            yield Static(Text.assemble((" MODIFY ", "bold reverse"), f" order {o.order_id} ",
                                       (Side.word_of(o.side), "bold"), " ", o.code, " ", Text(o.name)))
            with Grid():
                yield Label("Price")
                yield Input(fmt(o.price), id="price")
                yield Label("Quantity")
                yield Input(fmt(o.qty), id="qty")
            yield Static(Text(f"filled so far {fmt(o.fill_qty)}", style="dim"))
            yield Static(id="problems")
            yield Static(Text("Enter send · Esc cancel · ctrl+↑/↓ tick · PgUp/PgDn lot", style="dim"))

    def on_mount(self) -> None:
        self.query_one("#price", Input).focus()

    def read(self) -> tuple[float, float, list[Problem]]:
        o = self.order
        price, qty = (math.nan if v is None else v for v in (self.number("price"), self.number("qty")))
        problems = [Problem(f, f"{f}: not a number") for f, v in (("price", price), ("qty", qty)) if math.isnan(v)]
        if not problems:
            ticket = Ticket(code=o.code, side=o.side, qty=qty, price=price, order_type=o.order_type,
                            aux_price=None if math.isnan(o.aux_price) else o.aux_price, acc_id=o.acc_id)
            problems = [p for p in validate(ticket, lot_size=self.lot_size, last_price=self.last_price,
                                            can_sell_qty=self.can_sell_qty, limits=self.limits)
                        if p.field in ("price", "qty")]
            if qty <= o.fill_qty:
                problems.append(Problem("qty", f"quantity must be more than the {fmt(o.fill_qty)} already filled"))
        return qty, price, problems

    @on(Input.Submitted)
    def submit(self) -> None:
        qty, price, problems = self.read()
        bad = {p.field for p in problems}
        for field in ("price", "qty"):
            self.query_one(f"#{field}", Input).set_class(field in bad, "-invalid")
        self.query_one("#problems", Static).update(Text("\n".join(f"• {p.message}" for p in problems)))
        if not problems:
            self.dismiss((qty, price))
