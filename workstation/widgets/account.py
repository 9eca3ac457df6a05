"""Account area: orders, fills, positions (with P&L) and funds, as tabs."""

from __future__ import annotations

from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import TabbedContent, TabPane

from workstation.sessions import row_time
from workstation.store import Changes, Store
from workstation.widgets.account_cells import (FILL_COLS, FUNDS_COLS, ID_WIDTH, IDS, ORDER_COLS, POS_COLS, RIGHT,
                                               fill_cells, funds_currencies, funds_lines, order_cells, position_cells)
from workstation.widgets.common import price_styles
from workstation.widgets.panel import Panel
from workstation.widgets.table import Cells, Column, LineTable, as_cell

TABS = ("tab-orders", "tab-fills", "tab-positions", "tab-funds")


def columns(spec) -> list[Column]:
    return [Column(key, label, right=key in RIGHT, tail=key in IDS, max_width=ID_WIDTH if key in IDS else 40,
                   priority=priority) for key, label, priority in spec]


class KeyedTable(LineTable):
    """A table kept in step with a dict of rows (in the dict's order): only changed lines repaint."""

    def __init__(self, spec, **kwargs) -> None:
        super().__init__(columns(spec), **kwargs)

    @property
    def _shown(self) -> dict[str, Cells]:
        """The cells of each row on screen, by key."""
        return self._cells

    def sync(self, rows: dict[str, tuple]) -> None:
        self.set_rows(list(rows), {key: tuple(as_cell(c) for c in cells) for key, cells in rows.items()})


class AccountPanel(Panel, Vertical):
    key, title, cell = "account", "Account", (1, 0)
    watches = ("account", "marks")
    # The App acts at once (the form opens while the key is handled, so keys typed after m
    # reach it) and says why when the order under the cursor cannot be changed.
    BINDINGS = [
        Binding("m", "app.modify_selected", "Modify order", id="orders.modify"),
        Binding("c,delete", "app.cancel_selected", "Cancel order", id="orders.cancel"),
        Binding("]", "tab(1)", "Next account tab", id="account.next_tab"),
        Binding("[", "tab(-1)", "Previous account tab", id="account.prev_tab"),
        Binding(">", "columns(1)", "Scroll columns right", show=False, id="account.right"),
        Binding("<", "columns(-1)", "Scroll columns left", show=False, id="account.left"),
    ]

    def __init__(self, store: Store, **kwargs) -> None:
        super().__init__(**kwargs)
        self.store = store
        self.orders = KeyedTable(ORDER_COLS, id="orders")
        self.fills = KeyedTable(FILL_COLS, id="fills")
        self.positions = KeyedTable(POS_COLS, id="positions")
        self.funds = KeyedTable(FUNDS_COLS, id="funds")
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

    @property
    def tables(self) -> dict[str, KeyedTable]:
        return dict(zip(TABS, (self.orders, self.fills, self.positions, self.funds)))

    def action_tab(self, step: int) -> None:
        """Orders, fills, positions, funds, round again; the shown tab's table takes the keys."""
        tabs = self.query_one("#account-tabs", TabbedContent)
        i = TABS.index(tabs.active) if tabs.active in TABS else 0
        tabs.active = TABS[(i + step) % len(TABS)]
        self.tables[tabs.active].focus()

    def action_columns(self, step: int) -> None:
        tabs = self.query_one("#account-tabs", TabbedContent)
        table = self.tables.get(tabs.active)
        if table is not None:
            table.scroll_columns(step)

    def on_line_table_row_highlighted(self, event: LineTable.RowHighlighted) -> None:
        event.stop()

    @property
    def focus_target(self):
        return self.orders

    def redraw(self) -> None:
        self.refresh_account()

    def refresh_from(self, changes: Changes) -> None:
        if changes.account:
            self.refresh_account()
        else:  # only the marks moved: positions and funds
            self.refresh_holdings()

    def refresh_account(self) -> None:
        self.flushes += 1
        self.refresh_orders()
        s = self.store
        # Sorted on one time line (epoch), shown in one zone (the trader's): HK and US rows mix.
        when = {f.fill_id: row_time(f.timestamp, f.create_time, f.code) for f in s.fills.values()}
        fills = sorted(s.fills.values(), key=lambda f: (when[f.fill_id], f.fill_id), reverse=True)
        self.fills.sync({f.fill_id: fill_cells(f, when[f.fill_id]) for f in fills})
        self.refresh_holdings()

    def refresh_holdings(self) -> None:
        """Positions and funds: what a new quote moves."""
        styles = price_styles(self.app)
        s = self.store
        self.positions.sync({p.code: position_cells(p, styles) for p in s.positions.values()})
        labels = funds_currencies(s.funds)
        if [c.label for c in self.funds.columns[1:]] != labels:
            self.funds.set_columns(columns((*FUNDS_COLS, *((f"c{i}", label, 0) for i, label in enumerate(labels)))))
            for col in self.funds.columns[1:]:
                col.right = True
        self.funds.sync(funds_lines(s.funds, s.positions.values(), styles))

    def refresh_orders(self) -> None:
        """Only the orders table: what an order push changes, painted at once."""
        created = {o.order_id: row_time(o.create_timestamp, o.create_time, o.code) for o in self.store.orders.values()}
        orders = sorted(self.store.orders.values(), key=lambda o: (created[o.order_id], o.order_id), reverse=True)
        self.orders.sync({o.order_id: order_cells(o, created[o.order_id]) for o in orders})
