"""Watchlist: one row per code; a flush repaints only the rows whose text changed. The Session
column marks halts and A-share limits, and shows a US code's pre-market, after-hours or
overnight price while that session runs.

Columns come by priority as the width allows (widgets/watch_layout.py); Last and the changes
are coloured against the previous close; a sort follows the data, re-sorted at most every
SORT_EVERY seconds, the cursor staying on its code. The border title holds the group tabs:
the local list first, then the account's Futu groups (the App fills them, workstation/watch_groups.py).
"""

from __future__ import annotations

import math
import time

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.message import Message

from workstation.sessions import EXT_WORDS, limit_state
from workstation.store import Changes, Quote, Store
from workstation.widgets.common import direction_style, fmt_big, fmt_pct, fmt_price, price_digits, price_styles
from workstation.widgets.panel import Panel
from workstation.widgets.table import Cells, Column, LineTable
from workstation.widgets.watch_layout import KEYS, SPECS, choose, natural_widths, tab_strip

LOCAL = "Local"  # the first tab: the codes in watchlist.json
SORT_EVERY = 0.4  # s: a live sort re-orders rows at most this often
SORT_KEYS = {
    "code": lambda q: q.code, "name": lambda q: q.name, "last": lambda q: _num(q.last),
    "chg": lambda q: _num(q.change), "pct": lambda q: _num(q.change_pct), "vol": lambda q: q.volume,
    "turn": lambda q: q.turnover, "bid": lambda q: _num(q.bid), "ask": lambda q: _num(q.ask),
    "state": lambda q: (q.halted, sorted(q.ext or ())),
}


def _num(x: float) -> float:
    return float("-inf") if x != x else x


def fmt_signed(x: float, digits: int) -> str:
    return "-" if math.isnan(x) else f"{x:+,.{digits}f}"


class Watchlist(Panel, LineTable):
    """The codes a trader follows; moving the cursor (or Enter, or a click) drives the other panels."""

    key, title, cell = "watchlist", "Watchlist", (0, 0)
    watches = ("quotes",)
    gap = 1  # one blank before each column: at 120x40 a fifth column fits
    BINDINGS = [
        Binding("a", "add", "Add", id="watchlist.add"),
        Binding("delete,x", "remove", "Remove", id="watchlist.remove"),
        Binding("o", "sort", "Sort", id="watchlist.sort"),
        Binding("O", "sort_reverse", "Sort desc", show=False, id="watchlist.sort_reverse"),
        Binding("g", "import_groups", "Import group", id="watchlist.import"),
        Binding("right_square_bracket", "group(1)", "Next group", id="watchlist.next_group"),
        Binding("left_square_bracket", "group(-1)", "Previous group", show=False, id="watchlist.previous_group"),
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

    class GroupChosen(Message):
        """Show another tab: 0 is the local list, the others the Futu groups in `groups`."""

        def __init__(self, index: int, name: str) -> None:
            super().__init__()
            self.index, self.name = index, name

    def __init__(self, store: Store, **kwargs) -> None:
        super().__init__([Column(s.key, s.label, len(s.label), s.right) for s in SPECS], **kwargs)
        self.store = store
        self.full: dict[str, Cells] = {}  # every column's cells by code, shown or not
        self.spec_cols: list[int] = list(range(len(SPECS)))  # indices into SPECS on screen
        self.widths: list[int] = []  # natural width of each column over the rows
        self.sort_key: str | None = None  # a key of SORT_KEYS, or None: the list's own order
        self.sort_desc = False
        self.order: list[str] = []  # the codes in their own order
        self._sorted_at = 0.0
        self._sort_timer = None
        self.groups: list[str] = [LOCAL]  # tab names, cleaned; the local list first
        self.group = 0  # the tab shown
        self._tabs_key: tuple = ()
        self.flushes = 0  # how many times rows were refreshed (burst tests read it)

    def on_mount(self) -> None:
        prefs = getattr(self.app, "prefs", None)
        key, _, way = (prefs.get("watchlist_sort", "") if prefs else "").partition(":")
        if key in SORT_KEYS:
            self.sort_key, self.sort_desc = key, way == "desc"
        self.show_tabs()

    @property
    def codes(self) -> list[str]:
        return self.keys

    @property
    def current_code(self) -> str | None:
        return self.current_key

    def set_codes(self, codes: list[str]) -> None:
        """Make the rows match `codes`; the cursor stays on its code if that is still there."""
        self.order = list(dict.fromkeys(codes))
        self.full = {c: self.full.get(c) or self._render_row(self.store.quote(c)) for c in self.order}
        self._layout(force=True)

    def get_row(self, key: str) -> list[Text]:
        """Every column's cells, shown or not, in SPECS order."""
        return [Text(text, style=style) for text, style in self.full[key]]

    def get_cell(self, key: str, column: str) -> Text:
        text, style = self.full[key][KEYS.index(column)]
        return Text(text, style=style)

    # -- columns by width ------------------------------------------------------------------

    def _project(self, cells: Cells) -> Cells:
        return tuple(cells[i] for i in self.spec_cols)

    def _sorted_col(self) -> int | None:
        return KEYS.index(self.sort_key) if self.sort_key else None

    def _layout(self, force: bool = False) -> None:
        """Pick the columns that fit and put the rows in order; repaints only if either changed."""
        self.widths = natural_widths(self.full.values(), self._sorted_col())
        room = self.size.width or 200
        if len(self.order) + 1 > self.size.height:  # rows overflow: the scrollbar takes its cells
            room -= self.styles.scrollbar_size_vertical
        picked = choose(self.widths, room, self.gap)
        columns = [Column(SPECS[i].key, SPECS[i].label, w, SPECS[i].right) for i, w in picked]
        changed = [(c.key, c.width) for c in columns] != [(c.key, c.width) for c in self.columns]
        if changed:
            self.spec_cols = [i for i, _ in picked]
            self.replace_columns(columns)
            col = self._sorted_col()
            self.sort_mark = (self.spec_cols.index(col), self.sort_desc) if col in self.spec_cols else None
        keys = self._ordered()
        self.set_rows(keys, {c: self._project(self.full[c]) for c in keys})
        if changed or force:
            self.repaint_all()
            self._resize()
        self._sorted_at = time.monotonic()

    def _ordered(self) -> list[str]:
        if not self.sort_key:
            return list(self.order)
        key, quotes = SORT_KEYS[self.sort_key], self.store.quotes
        return sorted(self.order, key=lambda c: key(quotes.get(c) or Quote(c)), reverse=self.sort_desc)

    def on_resize(self) -> None:  # LineTable's own on_resize runs too (Textual calls each class's)
        self._layout()
        self.show_tabs()

    # -- rows ------------------------------------------------------------------------------

    def _render_row(self, q: Quote, styles: tuple[str, str, str] | None = None) -> Cells:
        styles = styles or price_styles(self.app)
        style = direction_style(q.last, q.prev_close, styles)  # against the previous close, never the last tick
        opend = self.store.opend
        d = price_digits(q.code, opend.sec_types.get(q.code, 0))  # index levels to 2 places
        name = q.name or self.store.names.get(q.code, "")
        missing = opend.missing(q.code)
        polls = not missing and opend.polls(q.code)
        if missing:  # said in the row, once, quietly: no warning per code and subtype
            name = missing
        elif polls:
            name = "≈ " + name  # priced by polling snapshots, not pushes
        return (
            (q.code, "italic" if polls else ""),
            (name, "dim italic" if missing else ""),
            (fmt_price(q.last, d), style),
            (fmt_pct(q.change_pct), style),
            (fmt_signed(q.change, d), style),
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
        """Repaint the rows of `codes` whose text or colour changed; returns rows touched. A cell
        wider than its column (or a first word in Session) lays the columns out again."""
        self.flushes += 1
        quote, full, widths = self.store.quote, self.full, self.widths
        styles = price_styles(self.app)
        touched, wider = [], False
        for code in codes:
            old = full.get(code)
            if old is None:
                continue
            cells = self._render_row(quote(code), styles)
            if cells == old:
                continue
            full[code] = cells
            touched.append(code)
            for i, (text, _) in enumerate(cells):
                if text != old[i][0] and cell_len(text) > (widths[i] if i < len(widths) else 0):
                    wider = True
        if wider:
            self._layout()
        else:
            for code in touched:
                self.set_cells(code, self._project(full[code]))
        if self.sort_key and touched:
            self._resort_soon()
        return len(touched)

    def refresh_from(self, changes: Changes) -> None:
        self.refresh_codes(changes.quotes)

    def redraw(self) -> None:
        self.repaint_all()

    def repaint_all(self) -> None:
        """After a theme change: every colour may differ."""
        if self.full:
            self.full = {code: self._render_row(self.store.quote(code)) for code in self.full}
            # The rows may now hold data wider than the columns chosen before it came (a repaint
            # that lands before the first refresh_codes): choose the columns again.
            self._layout()
        super().repaint_all()

    # -- the live sort ---------------------------------------------------------------------

    def _resort_soon(self) -> None:
        if self._sort_timer is not None:
            return
        wait = SORT_EVERY - (time.monotonic() - self._sorted_at)
        if wait <= 0:
            self._resort()
        else:
            self._sort_timer = self.set_timer(wait, self._resort, name="re-sort the watchlist")

    def _resort(self) -> None:
        self._sort_timer = None
        self._sorted_at = time.monotonic()
        keys = self._ordered()
        if keys != self.keys:
            self.set_rows(keys, self._cells)
            self.move_cursor(self.cursor_row)  # keep its row in view

    def sort_by(self, key: str | None, desc: bool) -> None:
        """Sort by column `key` (None: the list's own order), remembered in prefs."""
        self.sort_key, self.sort_desc = key, desc
        prefs = getattr(self.app, "prefs", None)
        if prefs is not None:
            prefs.set("watchlist_sort", f"{key}:{'desc' if desc else 'asc'}" if key else "")
        self.replace_columns([])  # the header's sort mark may need a cell more
        self._layout(force=True)
        self.move_cursor(self.cursor_row)
        label = next((s.label for s in SPECS if s.key == key), "")
        self.notify(f"sorted by {label}{' (desc)' if desc else ''}" if key else "unsorted", timeout=1.5)

    def action_sort(self, reverse: bool = False) -> None:
        """o: the next column shown (after the last, the list's own order); O: flip the direction."""
        if reverse:
            self.sort_by(self.sort_key or "pct", not self.sort_desc)
            return
        keys = [SPECS[i].key for i in self.spec_cols]
        i = keys.index(self.sort_key) + 1 if self.sort_key in keys else 0
        self.sort_by(keys[i] if i < len(keys) else None, self.sort_desc)

    def action_sort_reverse(self) -> None:
        self.action_sort(reverse=True)

    def on_click(self, event: events.Click) -> None:
        """A click on a column's label sorts by it (again: the other way)."""
        offset = event.get_content_offset(self)
        if offset is None or offset.y != 0:
            return  # a row: LineTable's own on_click (Textual calls each class's handler)
        x = offset.x + self.scroll_offset.x
        for col in self.columns:
            x -= col.width + self.gap
            if x < 0:
                self.sort_by(col.key, not self.sort_desc if col.key == self.sort_key else col.right)
                return

    # -- group tabs ------------------------------------------------------------------------

    def set_groups(self, names: list[str], active: int | None = None) -> None:
        """The tabs: the local list, then `names` (cleaned by the caller)."""
        self.groups = [LOCAL, *names]
        if active is not None:
            self.group = active
        self.group = min(self.group, len(self.groups) - 1)
        self.show_tabs()

    def show_tabs(self) -> None:
        room = max(12, self.outer_size.width - 6)
        key = (tuple(self.groups), self.group, room)
        if key != self._tabs_key:  # a new title repaints the whole widget
            self._tabs_key = key
            self.border_title = self.title if len(self.groups) == 1 else tab_strip(self.groups, self.group, room)

    def action_group(self, step: int) -> None:
        """]: the next tab, [: the previous one."""
        if len(self.groups) < 2:
            self.notify("no Futu watchlist groups (OpenD has not listed any)", timeout=2)
            return
        self.group = (self.group + step) % len(self.groups)
        self.show_tabs()
        self.post_message(self.GroupChosen(self.group, self.groups[self.group]))

    # -- actions ---------------------------------------------------------------------------

    def highlighted(self, key: str) -> None:
        """The App follows the cursor in the same call, not after a message has gone round:
        `b` typed together with Down opens the form for the row the cursor moved to, never
        the one it left. (A bare App, in tests of the table alone, gets the message.)"""
        choose = getattr(self.app, "choose", None)
        if choose is not None:
            choose(key)
        else:
            self.post_message(self.SymbolChosen(key))

    def on_line_table_row_selected(self, event: LineTable.RowSelected) -> None:
        event.stop()
        self.post_message(self.SymbolChosen(event.key))

    def action_add(self) -> None:
        self.post_message(self.AddRequested())

    def action_import_groups(self) -> None:
        self.post_message(self.ImportRequested())

    def action_remove(self) -> None:
        code = self.current_code
        if code and self.group:
            self.notify(f"{self.groups[self.group]} is a Futu group: edit it in Futu; x removes from {LOCAL}",
                        timeout=3, markup=False)
        elif code:
            self.post_message(self.RemoveRequested(code))
