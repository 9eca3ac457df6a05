"""Account area: orders, fills, positions (with P&L) and funds, as tabs."""

from __future__ import annotations

import math

from rich.text import Text
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Static, TabbedContent, TabPane

from protocol.trade import OrderStatus, OrderType, Side
from workstation.account_rows import VERIFYING
from workstation.orders import split_remark
from workstation.sessions import local_hms, row_time
from workstation.store import Store
from workstation.widgets.common import fmt_big, fmt_price, price_digits, price_styles
from workstation.widgets.panel import Panel
from workstation.widgets.table import Cells, Column, LineTable, as_cell

ORDER_COLS = (("id", "Order"), ("code", "Code"), ("side", "Side"), ("type", "Type"), ("qty", "Qty"),
              ("price", "Price"), ("filled", "Filled"), ("avg", "Avg"), ("status", "Status"),
              ("time", "Updated"), ("msg", "Message"), ("remark", "Remark"))
FILL_COLS = (("id", "Fill"), ("order", "Order"), ("code", "Code"), ("side", "Side"), ("qty", "Qty"),
             ("price", "Price"), ("time", "Time"))
POS_COLS = (("code", "Code"), ("name", "Name"), ("qty", "Qty"), ("sell", "Can sell"), ("cost", "Cost"),
            ("price", "Price"), ("value", "Value"), ("pl", "P&L"), ("plr", "P&L%"))


IDS = {"id", "order"}  # long; shown by their last digits
RIGHT = {"qty", "price", "filled", "avg", "sell", "cost", "value", "pl", "plr"}


class KeyedTable(LineTable):
    """A table kept in step with a dict of rows (in the dict's order): only changed lines repaint."""

    def __init__(self, columns, **kwargs) -> None:
        super().__init__([Column(key, label, right=key in RIGHT, tail=key in IDS, max_width=12 if key in IDS else 40)
                          for key, label in columns], **kwargs)

    @property
    def _shown(self) -> dict[str, Cells]:
        """The cells of each row on screen, by key."""
        return self._cells

    def sync(self, rows: dict[str, tuple]) -> None:
        self.set_rows(list(rows), {key: tuple(as_cell(c) for c in cells) for key, cells in rows.items()})


class AccountPanel(Panel, Vertical):
    key, title, cell = "account", "Account", (1, 0)
    watches = ("account",)
    # The App acts at once (the form opens while the key is handled, so keys typed after m
    # reach it) and says why when the order under the cursor cannot be changed.
    BINDINGS = [
        Binding("m", "app.modify_selected", "Modify order", id="orders.modify"),
        Binding("c,delete", "app.cancel_selected", "Cancel order", id="orders.cancel"),
    ]

    def __init__(self, store: Store, **kwargs) -> None:
        super().__init__(**kwargs)
        self.store = store
        self.orders = KeyedTable(ORDER_COLS, id="orders")
        self.fills = KeyedTable(FILL_COLS, id="fills")
        self.positions = KeyedTable(POS_COLS, id="positions")
        self.funds = Static("", id="funds")
        self.flushes = 0

    def compose(self):
        with TabbedContent(id="account-tabs"):
            with TabPane("Orders", id="tab-orders"):
                yield self.orders
            with TabPane("Fills", id="tab-fills"):
                yield self.fills
            with TabPane("Positions", id="tab-positions"):
                yield self.positions
            with TabPane("Funds", id="tab-funds"):
                yield self.funds

    def selected_order(self) -> str | None:
        """The order under the cursor of the orders tab, if that tab is showing."""
        tabs = self.query_one("#account-tabs", TabbedContent)
        return self.orders.current_key if tabs.active == "tab-orders" else None

    def on_line_table_row_highlighted(self, event: LineTable.RowHighlighted) -> None:
        event.stop()

    @property
    def focus_target(self):
        return self.orders

    def redraw(self) -> None:
        self.refresh_account()

    def refresh_account(self) -> None:
        self.flushes += 1
        self.refresh_orders()
        up, down, flat = price_styles(self.app)
        s = self.store
        # Sorted on one time line (epoch), shown in one zone (the trader's): HK and US rows mix.
        when = {f.fill_id: row_time(f.timestamp, f.create_time, f.code) for f in s.fills.values()}
        fills = sorted(s.fills.values(), key=lambda f: (when[f.fill_id], f.fill_id), reverse=True)
        self.fills.sync({f.fill_id: (
            f.fill_id, f.order_id, f.code, Side.short_of(f.side), f"{f.qty:g}", fmt_price(f.price, price_digits(f.code)),
            local_hms(when[f.fill_id]),
        ) for f in fills})
        self.positions.sync({p.code: (
            p.code, Text(p.name), f"{p.qty:g}", f"{p.can_sell_qty:g}", fmt_price(p.cost_price, price_digits(p.code)), fmt_price(p.price, price_digits(p.code)),
            fmt_big(p.value), Text(f"{p.pl_val:+,.2f}", style=up if p.pl_val > 0 else down if p.pl_val < 0 else flat),
            Text("-" if math.isnan(p.pl_ratio) else f"{p.pl_ratio * 100:+.2f}%",
                 style=up if p.pl_val > 0 else down if p.pl_val < 0 else flat),
        ) for p in s.positions.values()})
        f = s.funds
        self.funds.update(Text.assemble(
            ("Total assets  ", "dim"), f"{fmt_big(f.total_assets)} {f.currency}\n",
            ("Cash          ", "dim"), f"{fmt_big(f.cash)}\n",
            ("Buying power  ", "dim"), f"{fmt_big(f.power)}\n",
            ("Market value  ", "dim"), f"{fmt_big(f.market_value)}\n",
            ("Frozen cash   ", "dim"), f"{fmt_big(f.frozen_cash)}\n",
            ("Unrealized P&L ", "dim"), f"{fmt_big(f.unrealized_pl)}\n",
            ("Realized P&L  ", "dim"), f"{fmt_big(f.realized_pl)}",
        ))

    def refresh_orders(self) -> None:
        """Only the orders table: what an order push changes, painted at once."""
        created = {o.order_id: row_time(o.create_timestamp, o.create_time, o.code) for o in self.store.orders.values()}
        orders = sorted(self.store.orders.values(), key=lambda o: (created[o.order_id], o.order_id), reverse=True)
        self.orders.sync({o.order_id: (
            o.order_id, o.code, Side.short_of(o.side), OrderType.short_of(o.order_type),
            f"{o.qty:g}", fmt_price(o.price, price_digits(o.code)), f"{o.fill_qty:g}",
            fmt_price(o.fill_avg_price, price_digits(o.code)) if o.fill_qty else "-",
            "UNKNOWN?" if o.status == VERIFYING else OrderStatus.short_of(o.status),
            local_hms(row_time(o.update_timestamp, o.update_time, o.code)), Text(o.last_error),
            Text(split_remark(o.remark)[0]),  # the trader's text: our client reference is not shown
        ) for o in orders})
