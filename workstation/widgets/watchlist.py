"""Watchlist: one row per code; a flush repaints only the rows whose text changed. The Session
column marks halts and A-share limits, and shows a US code's pre-market, after-hours or
overnight price while that session runs."""

from __future__ import annotations

from textual.binding import Binding
from textual.message import Message

from workstation.sessions import EXT_WORDS, limit_state
from workstation.store import Changes, Quote, Store
from workstation.widgets.common import direction_style, fmt_big, fmt_change, fmt_pct, fmt_price, price_digits, price_styles
from workstation.widgets.panel import Panel
from workstation.widgets.table import Cells, Column, LineTable

COLUMNS = (  # key, label, width, right-aligned
    ("code", "Code", 9, False), ("name", "Name", 10, False), ("last", "Last", 9, True), ("pct", "Chg%", 7, True),
    ("chg", "Chg", 8, True), ("state", "Session", 20, False), ("vol", "Volume", 8, True), ("turn", "Turnover", 9, True), ("bid", "Bid", 9, True),
    ("ask", "Ask", 9, True),
)
SORT_KEYS = {
    "code": lambda q: q.code, "name": lambda q: q.name, "last": lambda q: _num(q.last),
    "chg": lambda q: _num(q.change), "pct": lambda q: _num(q.change_pct), "vol": lambda q: q.volume,
    "turn": lambda q: q.turnover, "bid": lambda q: _num(q.bid), "ask": lambda q: _num(q.ask),
    "state": lambda q: (q.halted, sorted(q.ext or ())),
}


def _num(x: float) -> float:
    return float("-inf") if x != x else x


class Watchlist(Panel, LineTable):
    """The codes a trader follows; moving the cursor (or Enter, or a click) drives the other panels."""

    key, title, cell = "watchlist", "Watchlist", (0, 0)
    watches = ("quotes",)
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
        super().__init__([Column(*c) for c in COLUMNS], **kwargs)
        self.store = store
        self._sort_col = -1
        self._sort_reverse = False
        self.flushes = 0  # how many times rows were refreshed (burst tests read it)

    @property
    def codes(self) -> list[str]:
        return self.keys

    @property
    def current_code(self) -> str | None:
        return self.current_key

    def set_codes(self, codes: list[str]) -> None:
        """Make the rows match `codes`; the cursor stays on its code if that is still there."""
        self.set_rows(list(codes), {c: self._cells.get(c) or self._render_row(self.store.quote(c)) for c in codes})

    def _render_row(self, q: Quote) -> Cells:
        styles = price_styles(self.app)
        style = direction_style(q.last, q.prev_close, styles)
        d = price_digits(q.code)
        tick = direction_style(q.last, q.prev_last, styles) if q.seq > 1 else style
        opend = self.store.opend
        name = q.name or self.store.names.get(q.code, "")
        missing = opend.missing(q.code)
        if missing:  # said in the row, once, quietly: no warning per code and subtype
            name = missing
        elif opend.polls(q.code):
            name = "≈ " + name  # priced by polling snapshots, not pushes
        return (
            (q.code, "italic" if opend.polls(q.code) else ""),
            (name, "dim italic" if missing else ""),
            (fmt_price(q.last, d), tick),
            (fmt_pct(q.change_pct), style),
            (fmt_change(q.change), style),
            self._state_cell(q, d, styles),
            (fmt_big(q.volume), ""),
            (fmt_big(q.turnover), ""),
            (fmt_price(q.bid, d), ""),
            (fmt_price(q.ask, d), ""),
        )

    def _state_cell(self, q: Quote, d: int, styles: tuple[str, str, str]) -> tuple[str, str]:
        """Halted, at an A-share daily limit, or (US, outside regular hours) the session's
        price and change beside the regular close in Last."""
        if q.halted:
            return "HALTED", "bold reverse"
        limit = limit_state(q.code, q.name, q.last, q.prev_close)
        if limit:
            return ("LIMIT UP", f"bold reverse {styles[0]}") if limit > 0 else ("LIMIT DOWN", f"bold reverse {styles[1]}")
        session = self.hours.us_session() if self.hours is not None and q.ext else None
        block = q.ext.get(session) if session and q.ext else None
        if block is None:
            return "", ""
        return (f"{EXT_WORDS[session]} {fmt_price(block.price, d)} {fmt_pct(block.change_pct)}",
                direction_style(block.change, 0.0, styles))

    def refresh_codes(self, codes) -> int:
        """Repaint the rows of `codes` whose text or colour changed; returns rows touched."""
        self.flushes += 1
        quote = self.store.quote
        return sum(self.set_cells(code, self._render_row(quote(code))) for code in codes if code in self._index)

    def refresh_from(self, changes: Changes) -> None:
        self.refresh_codes(changes.quotes)

    def redraw(self) -> None:
        self.repaint_all()

    def repaint_all(self) -> None:
        """After a theme change: every colour may differ."""
        self._cells.update({code: self._render_row(self.store.quote(code)) for code in self.keys})
        super().repaint_all()

    # -- actions ---------------------------------------------------------------------------

    def on_line_table_row_highlighted(self, event: LineTable.RowHighlighted) -> None:
        event.stop()
        self.post_message(self.SymbolChosen(event.key))

    def on_line_table_row_selected(self, event: LineTable.RowSelected) -> None:
        event.stop()
        self.post_message(self.SymbolChosen(event.key))

    def action_add(self) -> None:
        self.post_message(self.AddRequested())

    def action_import_groups(self) -> None:
        self.post_message(self.ImportRequested())

    def action_remove(self) -> None:
        code = self.current_code
        if code:
            self.post_message(self.RemoveRequested(code))

    def action_sort(self, reverse: bool = False) -> None:
        """Cycle the sort column (o) or flip its direction (O); the cursor keeps its code."""
        if reverse:
            self._sort_reverse = not self._sort_reverse
        else:
            self._sort_col = (self._sort_col + 1) % len(COLUMNS)
        col = max(self._sort_col, 0)
        key, label = COLUMNS[col][:2]
        quotes = self.store.quotes
        order = sorted(self.keys, key=lambda c: SORT_KEYS[key](quotes.get(c) or Quote(c)), reverse=self._sort_reverse)
        self.sort_mark = (col, self._sort_reverse)
        self.set_rows(order, self._cells)
        self.refresh()  # the header's sort mark
        self.notify(f"sorted by {label}{' (desc)' if self._sort_reverse else ''}", timeout=1.5)

    def action_sort_reverse(self) -> None:
        self.action_sort(reverse=True)
