"""Watchlist: one row per code, cells updated in place only when their text changes."""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable

from workstation.store import Quote, Store
from workstation.widgets.common import direction_style, fmt_big, fmt_change, fmt_pct, fmt_price, price_digits, price_styles

COLUMNS = (  # key, label, width
    ("code", "Code", 9), ("name", "Name", 10), ("last", "Last", 9), ("pct", "Chg%", 7),
    ("chg", "Chg", 8), ("vol", "Volume", 8), ("turn", "Turnover", 9), ("bid", "Bid", 9), ("ask", "Ask", 9),
)
SORT_KEYS = {
    "code": lambda q: q.code, "name": lambda q: q.name, "last": lambda q: _num(q.last),
    "chg": lambda q: _num(q.change), "pct": lambda q: _num(q.change_pct), "vol": lambda q: q.volume,
    "turn": lambda q: q.turnover, "bid": lambda q: _num(q.bid), "ask": lambda q: _num(q.ask),
}


def _num(x: float) -> float:
    return float("-inf") if x != x else x


class Watchlist(DataTable):
    """The codes a trader follows; Enter or highlight drives the other panels."""

    BINDINGS = [
        Binding("a", "add", "Add", id="watchlist.add"),
        Binding("delete,x", "remove", "Remove", id="watchlist.remove"),
        Binding("o", "sort", "Sort", id="watchlist.sort"),
        Binding("g", "import_groups", "Import group", id="watchlist.import"),
        Binding("O", "sort_reverse", "Sort desc", show=False, id="watchlist.sort_reverse"),
    ]

    class SymbolChosen(Message):
        def __init__(self, code: str) -> None:
            super().__init__()
            self.code = code

    class AddRequested(Message):
        pass

    class ImportRequested(Message):
        """Bring in one of the account's Futu watchlist groups."""

    class RemoveRequested(Message):
        def __init__(self, code: str) -> None:
            super().__init__()
            self.code = code

    def __init__(self, store: Store, **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.store = store
        self.codes: list[str] = []
        self._cells: dict[tuple[str, str], tuple[str, str]] = {}  # (text, style) each cell shows
        self._sort_col = -1
        self._sort_reverse = False
        self.flushes = 0  # how many times rows were refreshed (burst tests read it)

    def on_mount(self) -> None:
        for key, label, width in COLUMNS:
            self.add_column(label, key=key, width=width)

    # -- rows ------------------------------------------------------------------------------

    def set_codes(self, codes: list[str]) -> None:
        """Make the rows match `codes` without clearing (the cursor stays where it is)."""
        current = set(self.codes)
        for code in [c for c in self.codes if c not in codes]:
            self.remove_row(code)
            for key, _, _ in COLUMNS:
                self._cells.pop((code, key), None)
        for code in codes:
            if code not in current:
                cells = self._render_row(self.store.quote(code))
                self.add_row(*cells.values(), key=code)
                for key, text in cells.items():
                    self._cells[(code, key)] = (text.plain, str(text.style))
        self.codes = list(codes)

    def _render_row(self, q: Quote) -> dict[str, Text]:
        styles = price_styles(self.app)
        style = direction_style(q.last, q.prev_close, styles)
        d = price_digits(q.code)
        tick = direction_style(q.last, q.prev_last, styles) if q.seq > 1 else style
        return {
            "code": Text(q.code),
            "name": Text(q.name or self.store.names.get(q.code, "")),  # Text: a "[" in a name stays literal
            "last": Text(fmt_price(q.last, d), style=tick, justify="right"),
            "chg": Text(fmt_change(q.change), style=style, justify="right"),
            "pct": Text(fmt_pct(q.change_pct), style=style, justify="right"),
            "vol": Text(fmt_big(q.volume), justify="right"),
            "turn": Text(fmt_big(q.turnover), justify="right"),
            "bid": Text(fmt_price(q.bid, d), justify="right"),
            "ask": Text(fmt_price(q.ask, d), justify="right"),
        }

    def refresh_codes(self, codes) -> int:
        """Repaint the given codes' cells whose text changed; returns cells touched."""
        self.flushes += 1
        touched = 0
        for code in codes:
            if code not in self.rows:
                continue
            for key, text in self._render_row(self.store.quote(code)).items():
                shown = (text.plain, str(text.style))
                if self._cells.get((code, key)) != shown:
                    self._cells[(code, key)] = shown
                    self.update_cell(code, key, text)
                    touched += 1
        return touched

    def repaint_all(self) -> None:
        """After a theme change: every colour may differ."""
        self._cells.clear()
        self.refresh_codes(self.codes)

    @property
    def current_code(self) -> str | None:
        if not self.codes or self.cursor_row < 0 or self.cursor_row >= self.row_count:
            return None
        return self.coordinate_to_cell_key((self.cursor_row, 0)).row_key.value

    # -- actions ---------------------------------------------------------------------------

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        if event.row_key is not None and event.row_key.value:
            self.post_message(self.SymbolChosen(event.row_key.value))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key is not None and event.row_key.value:
            self.post_message(self.SymbolChosen(event.row_key.value))

    def action_add(self) -> None:
        self.post_message(self.AddRequested())

    def action_import_groups(self) -> None:
        self.post_message(self.ImportRequested())

    def action_remove(self) -> None:
        code = self.current_code
        if code:
            self.post_message(self.RemoveRequested(code))

    def action_sort(self, reverse: bool = False) -> None:
        """Cycle the sort column (o) or flip its direction (O)."""
        if reverse:
            self._sort_reverse = not self._sort_reverse
        else:
            self._sort_col = (self._sort_col + 1) % len(COLUMNS)
        key, label, _ = COLUMNS[max(self._sort_col, 0)]
        quotes = self.store.quotes
        self.codes.sort(key=lambda c: SORT_KEYS[key](quotes.get(c) or Quote(c)), reverse=self._sort_reverse)
        order = {code: i for i, code in enumerate(self.codes)}
        self.sort("code", key=lambda cell: order.get(cell.plain, 0))
        self.notify(f"sorted by {label}{' (desc)' if self._sort_reverse else ''}", timeout=1.5)

    def action_sort_reverse(self) -> None:
        self.action_sort(reverse=True)
