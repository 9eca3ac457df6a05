"""`m` on an open order: a new price and quantity, checked by the same rules as a new order."""

from __future__ import annotations

import math

from rich.text import Text
from textual import on
from textual.binding import Binding
from textual.containers import Grid, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from workstation.orders import Limits, Problem, Ticket, fmt, nudge_price, nudge_qty, validate
from workstation.store import OrderRow
from workstation.trader import side_word


class ModifyForm(ModalScreen[tuple[float, float] | None]):
    """Returns (qty, price) or None."""

    BINDINGS = [
        Binding("escape", "dismiss(None)", "Cancel", id="modify.cancel"),
        Binding("ctrl+up", "nudge_price(1)", "Price +1 tick", id="modify.price_up"),
        Binding("ctrl+down", "nudge_price(-1)", "Price -1 tick", id="modify.price_down"),
        Binding("pageup", "nudge_qty(1)", "Qty +1 lot", id="modify.qty_up"),
        Binding("pagedown", "nudge_qty(-1)", "Qty -1 lot", id="modify.qty_down"),
    ]
    DEFAULT_CSS = """
    ModifyForm { align: center middle; }
    ModifyForm > Vertical { width: 60; max-width: 100%; height: auto; border: thick $primary;
                            background: $surface; padding: 0 1; }
    ModifyForm Grid { grid-size: 2; grid-columns: 10 1fr; grid-rows: 1; height: auto; grid-gutter: 0 1; }
    ModifyForm Input { height: 1; border: none; padding: 0 1; background: $panel; }
    ModifyForm Input:focus { border: none; background: $primary 30%; }
    ModifyForm Input.-invalid, ModifyForm Input.-invalid:focus { border: none; background: $error 40%; }
    ModifyForm #problems { color: $error; height: auto; }
    """

    def __init__(self, order: OrderRow, *, lot_size: int, last_price: float | None, can_sell_qty: float,
                 limits: Limits) -> None:
        super().__init__()
        self.order = order
        self.lot_size = max(1, lot_size)
        self.last_price = last_price
        self.can_sell_qty = can_sell_qty + max(order.qty - order.fill_qty, 0)  # this order's shares are frozen
        self.limits = limits

    def compose(self):
        o = self.order
        with Vertical():
            yield Static(Text.assemble((" MODIFY ", "bold reverse"), f" order {o.order_id} ",
                                       (side_word(o.side), "bold"), " ", o.code, " ", Text(o.name)))
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

    def _number(self, field: str) -> float:
        try:
            return float(self.query_one(f"#{field}", Input).value.replace(",", "").strip())
        except ValueError:
            return math.nan

    def read(self) -> tuple[float, float, list[Problem]]:
        o = self.order
        price, qty = self._number("price"), self._number("qty")
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

    def action_nudge_price(self, ticks: int) -> None:
        base = self._number("price")
        if base == base and base > 0:
            self.query_one("#price", Input).value = fmt(nudge_price(self.order.code, base, ticks))

    def action_nudge_qty(self, lots: int) -> None:
        qty = self._number("qty")
        self.query_one("#qty", Input).value = fmt(nudge_qty(0.0 if qty != qty else qty, lots, self.lot_size))
