"""Watchlist: one row per code, drawn line by line; a flush repaints only the rows whose
text changed, and each row is a handful of same-style segments.

A `DataTable` re-renders every visible row through Rich on any `update_cell` (~20 ms for
20 rows at 120x40) and the terminal then gets the whole table again. Here a row is a cached
`Strip`, rebuilt from plain strings when its text or style changes, and only its line is
refreshed: Textual then writes just the lines that changed.
"""

from __future__ import annotations

from functools import lru_cache

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from workstation.store import Quote, Store
from workstation.widgets.common import direction_style, fmt_big, fmt_change, fmt_pct, fmt_price, price_digits, price_styles

COLUMNS = (  # key, label, width, right-aligned
    ("code", "Code", 9, False), ("name", "Name", 10, False), ("last", "Last", 9, True), ("pct", "Chg%", 7, True),
    ("chg", "Chg", 8, True), ("vol", "Volume", 8, True), ("turn", "Turnover", 9, True), ("bid", "Bid", 9, True),
    ("ask", "Ask", 9, True),
)
KEYS = tuple(c[0] for c in COLUMNS)
GAP = 2  # blank cells between columns (one each side, as DataTable pads)
WIDTH = sum(c[2] + GAP for c in COLUMNS)
SORT_KEYS = {
    "code": lambda q: q.code, "name": lambda q: q.name, "last": lambda q: _num(q.last),
    "chg": lambda q: _num(q.change), "pct": lambda q: _num(q.change_pct), "vol": lambda q: q.volume,
    "turn": lambda q: q.turnover, "bid": lambda q: _num(q.bid), "ask": lambda q: _num(q.ask),
}

Cells = tuple[tuple[str, str], ...]  # (text, style) per column


def _num(x: float) -> float:
    return float("-inf") if x != x else x


@lru_cache(maxsize=256)
def _style(spec: str) -> Style:
    return Style.parse(spec) if spec else Style.null()


def _fit(text: str, width: int, right: bool) -> str:
    """Exactly `width` cells: cut with an ellipsis, or padded on the side away from the text."""
    n = cell_len(text)
    if n > width:
        return set_cell_size(text, width - 1) + "…"
    pad = " " * (width - n)
    return pad + text if right else text + pad


class Watchlist(ScrollView, can_focus=True):
    """The codes a trader follows; moving the cursor (or Enter, or a click) drives the other panels."""

    BINDINGS = [
        Binding("a", "add", "Add", id="watchlist.add"),
        Binding("delete,x", "remove", "Remove", id="watchlist.remove"),
        Binding("o", "sort", "Sort", id="watchlist.sort"),
        Binding("g", "import_groups", "Import group", id="watchlist.import"),
        Binding("O", "sort_reverse", "Sort desc", show=False, id="watchlist.sort_reverse"),
        Binding("up", "cursor(-1)", "Up", show=False, id="watchlist.up"),
        Binding("down", "cursor(1)", "Down", show=False, id="watchlist.down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="watchlist.page_up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="watchlist.page_down"),
        Binding("home,ctrl+home", "first", "First", show=False, id="watchlist.first"),
        Binding("end,ctrl+end", "last", "Last", show=False, id="watchlist.last"),
        Binding("enter", "select", "Show", show=False, id="watchlist.select"),
    ]
    COMPONENT_CLASSES = {"watchlist--header", "watchlist--cursor", "watchlist--even-row"}
    DEFAULT_CSS = """
    Watchlist { background: $surface; color: $foreground; }
    Watchlist > .watchlist--header { text-style: bold; background: $panel; color: $foreground; }
    Watchlist > .watchlist--even-row { background: $surface-lighten-1 50%; }
    Watchlist:dark > .watchlist--even-row { background: $surface-darken-1 40%; }
    Watchlist > .watchlist--cursor { background: $block-cursor-blurred-background; }
    Watchlist:focus > .watchlist--cursor { background: $block-cursor-background; text-style: bold; }
    """

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
        super().__init__(**kwargs)
        self.store = store
        self.codes: list[str] = []
        self._cells: dict[str, Cells] = {}  # what each row shows
        self._strips: dict[tuple[str, int], Strip] = {}  # (code, background) -> the row, unscrolled
        self._index: dict[str, int] = {}
        self._cursor = 0
        self._sort_col = -1
        self._sort_reverse = False
        self.flushes = 0  # how many times rows were refreshed (burst tests read it)
        self.virtual_size = Size(WIDTH, 1)

    # -- rows ------------------------------------------------------------------------------

    def set_codes(self, codes: list[str]) -> None:
        """Make the rows match `codes`; the cursor stays on its code if that is still there."""
        current = self.current_code
        for code in set(self.codes) - set(codes):
            self._forget(code)
        self.codes = list(codes)
        for code in self.codes:
            if code not in self._cells:
                self._cells[code] = self._render_row(self.store.quote(code))
        self._reindex()
        if current in self._index:
            self._cursor = self._index[current]
        self._cursor = max(0, min(self._cursor, len(self.codes) - 1))
        self.refresh()
        if self.codes and self.current_code != current:
            self.post_message(self.SymbolChosen(self.codes[self._cursor]))

    def _forget(self, code: str) -> None:
        self._cells.pop(code, None)
        for bg in range(3):
            self._strips.pop((code, bg), None)

    def _reindex(self) -> None:
        self._index = {code: i for i, code in enumerate(self.codes)}
        self.virtual_size = Size(WIDTH, len(self.codes) + 1)

    def _render_row(self, q: Quote) -> Cells:
        styles = price_styles(self.app)
        style = direction_style(q.last, q.prev_close, styles)
        d = price_digits(q.code)
        tick = direction_style(q.last, q.prev_last, styles) if q.seq > 1 else style
        return (
            (q.code, ""),
            (q.name or self.store.names.get(q.code, ""), ""),
            (fmt_price(q.last, d), tick),
            (fmt_pct(q.change_pct), style),
            (fmt_change(q.change), style),
            (fmt_big(q.volume), ""),
            (fmt_big(q.turnover), ""),
            (fmt_price(q.bid, d), ""),
            (fmt_price(q.ask, d), ""),
        )

    def refresh_codes(self, codes) -> int:
        """Repaint the rows of `codes` whose text or colour changed; returns rows touched."""
        self.flushes += 1
        touched = 0
        top = self.scroll_offset.y
        for code in codes:
            i = self._index.get(code)
            if i is None:
                continue
            cells = self._render_row(self.store.quote(code))
            if cells == self._cells.get(code):
                continue
            self._cells[code] = cells
            for bg in range(3):
                self._strips.pop((code, bg), None)
            touched += 1
            y = i + 1 - top  # the header is line 0 and does not scroll
            if 1 <= y < self.size.height:
                self.refresh(Region(0, y, self.size.width, 1))
        return touched

    def repaint_all(self) -> None:
        """After a theme change: every colour may differ."""
        self._cells = {code: self._render_row(self.store.quote(code)) for code in self.codes}
        self._strips.clear()
        self.refresh()

    # -- what tests and benchmarks read ---------------------------------------------------

    def get_row(self, code: str) -> list[Text]:
        return [Text(text, style=style) for text, style in self._cells[code]]

    def get_cell(self, code: str, key: str) -> Text:
        text, style = self._cells[code][KEYS.index(key)]
        return Text(text, style=style)

    @property
    def row_count(self) -> int:
        return len(self.codes)

    @property
    def cursor_row(self) -> int:
        return self._cursor if self.codes else -1

    @property
    def current_code(self) -> str | None:
        return self.codes[self._cursor] if 0 <= self._cursor < len(self.codes) else None

    # -- drawing ---------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        if y == 0:
            strip = self._header()
        else:
            i = self.scroll_offset.y + y - 1
            if i >= len(self.codes):
                return Strip.blank(self.size.width, self.rich_style)
            strip = self._row(i)
        x = self.scroll_offset.x
        return strip.crop_extend(x, x + self.size.width, self.rich_style)

    def _header(self) -> Strip:
        style = self.rich_style + self.get_component_rich_style("watchlist--header")
        labels = []
        for i, (key, label, width, right) in enumerate(COLUMNS):
            mark = ""
            if i == self._sort_col:
                mark = "▼" if self._sort_reverse else "▲"
            labels.append(" " + _fit(label + mark, width, right) + " ")
        return Strip([Segment("".join(labels), style)], WIDTH)

    def _row(self, i: int) -> Strip:
        code = self.codes[i]
        bg = 2 if i == self._cursor else i % 2  # cursor, even (zebra), odd
        strip = self._strips.get((code, bg))
        if strip is not None:
            return strip
        base = self.rich_style
        if bg == 2:
            base += self.get_component_rich_style("watchlist--cursor")
        elif bg == 1:
            base += self.get_component_rich_style("watchlist--even-row")
        segments: list[Segment] = []
        run, run_style = "", None  # neighbouring cells of one style become one segment
        for (text, spec), (_, _, width, right) in zip(self._cells[code], COLUMNS):
            style = base + _style(spec) if spec else base
            piece = " " + _fit(text, width, right) + " "
            if style == run_style:
                run += piece
            else:
                if run:
                    segments.append(Segment(run, run_style))
                run, run_style = piece, style
        segments.append(Segment(run, run_style))
        strip = self._strips[(code, bg)] = Strip(segments, WIDTH)
        return strip

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()  # focus, theme or class change: the backgrounds differ

    def on_focus(self, event: events.Focus) -> None:
        self._strips.clear()
        self.refresh()

    def on_blur(self, event: events.Blur) -> None:
        self._strips.clear()
        self.refresh()

    # -- the cursor ------------------------------------------------------------------------

    def move_cursor(self, row: int) -> None:
        """Put the cursor on `row` (clamped), scroll it into view and show that code."""
        if not self.codes:
            return
        row = max(0, min(row, len(self.codes) - 1))
        old, self._cursor = self._cursor, row
        top = self.scroll_offset.y
        visible = max(1, self.size.height - 1)
        if row < top:
            self.scroll_to(y=row, animate=False, immediate=True)
        elif row >= top + visible:
            self.scroll_to(y=row - visible + 1, animate=False, immediate=True)
        for r in (old, row):
            y = r + 1 - self.scroll_offset.y
            if 1 <= y < self.size.height:
                self.refresh(Region(0, y, self.size.width, 1))
        if row != old:
            self.post_message(self.SymbolChosen(self.codes[row]))

    def action_cursor(self, step: int) -> None:
        self.move_cursor(self._cursor + step)

    def action_page(self, direction: int) -> None:
        self.move_cursor(self._cursor + direction * max(1, self.size.height - 2))

    def action_first(self) -> None:
        self.move_cursor(0)

    def action_last(self) -> None:
        self.move_cursor(len(self.codes) - 1)

    def action_select(self) -> None:
        code = self.current_code
        if code:
            self.post_message(self.SymbolChosen(code))

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or offset.y == 0:
            return
        row = self.scroll_offset.y + offset.y - 1
        if row < len(self.codes):
            self.move_cursor(row)
            self.action_select()

    # -- actions ---------------------------------------------------------------------------

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
        key, label, _, _ = COLUMNS[max(self._sort_col, 0)]
        current = self.current_code
        quotes = self.store.quotes
        self.codes.sort(key=lambda c: SORT_KEYS[key](quotes.get(c) or Quote(c)), reverse=self._sort_reverse)
        self._reindex()
        if current in self._index:
            self._cursor = self._index[current]
        self._strips.clear()  # zebra parity moved with the rows
        self.refresh()
        self.notify(f"sorted by {label}{' (desc)' if self._sort_reverse else ''}", timeout=1.5)

    def action_sort_reverse(self) -> None:
        self.action_sort(reverse=True)
