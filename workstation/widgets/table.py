"""LineTable: keyed rows drawn line by line, for tables that change many times a second.

A `DataTable` re-renders every visible row through Rich on any `update_cell` (~20 ms for
20 rows at 120x40), and each added or removed row changes its virtual size, which costs a
layout pass of the whole screen (~14 ms). Here a row is a cached `Strip` built from plain
strings, only the lines whose text changed are refreshed (so the terminal gets only those),
and the scrollable height grows in steps, so a new order or fill is a line, not a layout.
"""

from __future__ import annotations

from functools import lru_cache

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from workstation.widgets.common import fit
from workstation.widgets.keys_first import BindingsAtFocus

GAP = 2  # blank cells between columns: one each side
HEIGHT_STEP = 32  # rows the scrollable height grows by once rows no longer fit
Cells = tuple[tuple[str, str], ...]  # (text, style) per column


@lru_cache(maxsize=512)
def _style(spec: str) -> Style:
    return Style.parse(spec) if spec else Style.null()


def as_cell(value) -> tuple[str, str]:
    """A str or a rich Text as (text, style)."""
    if isinstance(value, Text):
        return value.plain, str(value.style) if value.style else ""
    return str(value), ""


class Column:
    """`priority` 0 is always shown; higher numbers go first when the width runs short.
    An auto column is as wide as its widest cell up to `max_width`, wider still (up to the
    widest cell) when every shown column fits and space is left over."""

    __slots__ = ("key", "label", "width", "right", "auto", "tail", "max_width", "priority", "base", "need")

    def __init__(self, key: str, label: str, width: int = 0, right: bool = False, tail: bool = False,
                 max_width: int = 40, priority: int = 0) -> None:
        self.key, self.label, self.right, self.tail, self.max_width = key, label, right, tail, max_width
        self.priority = priority
        self.auto = not width
        self.need = width or cell_len(label)  # the widest cell (or label) seen
        self.base = self.width = self.need if not self.auto else min(self.need, max_width)


class LineTable(BindingsAtFocus, ScrollView, can_focus=True):
    """Rows in `keys` order, a header line that does not scroll, a row cursor, zebra stripes."""

    BINDINGS = [
        Binding("up", "cursor(-1)", "Up", show=False),
        Binding("down", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home,ctrl+home", "first", "First", show=False),
        Binding("end,ctrl+end", "last", "Last", show=False),
        Binding("enter", "select", "Select", show=False),
    ]
    COMPONENT_CLASSES = {"table--header", "table--cursor", "table--even-row"}
    gap = GAP  # blank cells per column: 2 is one each side, 1 one before (dense tables)
    DEFAULT_CSS = """
    LineTable { background: $surface; color: $foreground; }
    LineTable > .table--header { text-style: bold; background: $panel; color: $foreground; }
    LineTable > .table--even-row { background: $surface-lighten-1 50%; }
    LineTable:dark > .table--even-row { background: $surface-darken-1 40%; }
    LineTable > .table--cursor { background: $block-cursor-blurred-background; }
    LineTable:focus > .table--cursor { background: $block-cursor-background; text-style: bold; }
    """

    class RowEvent(Message):
        def __init__(self, table: LineTable, key: str) -> None:
            super().__init__()
            self.table, self.key = table, key

        @property
        def control(self) -> LineTable:
            return self.table

    class RowHighlighted(RowEvent):
        """The cursor moved to another row."""

    class RowSelected(RowEvent):
        """Enter or a click on a row."""

    def __init__(self, columns: list[Column], **kwargs) -> None:
        super().__init__(**kwargs)
        self.columns = columns
        self.shown: list[Column] = list(columns)  # screen order: those that fit, then the rest
        self.fitted = len(columns)  # how many of `shown` fit the width
        self._chosen_for = 0  # the width the columns were chosen for
        self._at = list(range(len(columns)))  # each shown column's index in `columns`
        self.keys: list[str] = []
        self._cells: dict[str, Cells] = {}
        self._strips: dict[tuple[str, int], Strip] = {}  # (key, background) -> the row, unscrolled
        self._bases: tuple[Style, ...] | None = None  # odd, even, cursor, header row styles (DOM lookups are slow)
        self._index: dict[str, int] = {}
        self._cursor = 0
        self.sort_mark: tuple[int, bool] | None = None  # (column, descending) shown in the header
        self.virtual_size = Size(self._width(), 1)

    def set_columns(self, columns: list[Column]) -> None:
        """Other columns (the funds tab gains one per currency): the rows are drawn afresh."""
        self.columns = columns
        self.shown, self.fitted, self._at = list(columns), len(columns), list(range(len(columns)))
        self.keys, self._cells, self._index = [], {}, {}
        self._strips.clear()
        self._choose_columns()
        self._resize()
        self.refresh()

    def replace_columns(self, columns: list[Column]) -> None:
        """Other columns for the same rows (the watchlist chooses its own by width)."""
        self.columns = columns
        self.shown, self.fitted, self._at = list(columns), len(columns), list(range(len(columns)))
        self._chosen_for = 0
        self._strips.clear()

    # -- rows ------------------------------------------------------------------------------

    def set_rows(self, keys: list[str], cells: dict[str, Cells]) -> int:
        """Show `keys` in this order with these cells; repaint only what changed. The cursor
        stays on its row's key while that row exists. Returns the rows whose cells changed."""
        current = self.current_key
        order_changed = keys != self.keys
        for key in set(self._cells) - set(keys):
            self._forget(key)
        changed = []
        for key in keys:
            new = cells[key]
            if self._cells.get(key) != new:
                self._cells[key] = new
                self._drop_strips(key)
                changed.append(key)
        if self._fit_columns(changed):
            self._choose_columns()
            self._strips.clear()
            order_changed = True
        if order_changed:
            self.keys = list(keys)
            self._index = {key: i for i, key in enumerate(self.keys)}
            if current in self._index:
                self._cursor = self._index[current]
            self._cursor = max(0, min(self._cursor, len(self.keys) - 1))
            self._strips.clear()  # zebra parity moved with the rows
            self._resize()
            self.refresh()
            if self.keys and self.current_key != current:
                self.highlighted(self.keys[self._cursor])
        else:
            for key in changed:
                self._refresh_row(self._index[key])
        return len(changed)

    def set_cells(self, key: str, cells: Cells) -> bool:
        """One row's new cells; repaints its line if they differ. False if unchanged or unknown."""
        if key not in self._index or self._cells.get(key) == cells:
            return False
        self._cells[key] = cells
        self._drop_strips(key)
        if self._fit_columns([key]):
            self._choose_columns()
            self._strips.clear()
            self._resize()
            self.refresh()
        else:
            self._refresh_row(self._index[key])
        return True

    def repaint_all(self) -> None:
        self._strips.clear()
        self.refresh()

    def _forget(self, key: str) -> None:
        self._cells.pop(key, None)
        self._drop_strips(key)

    def _drop_strips(self, key: str) -> None:
        for bg in range(3):
            self._strips.pop((key, bg), None)

    def _fit_columns(self, keys) -> bool:
        """Widen auto columns to fit these rows' cells; True if any width changed."""
        grew = False
        for i, col in enumerate(self.columns):
            if not col.auto:
                continue
            widest = max((cell_len(self._cells[k][i][0]) for k in keys), default=0)
            if widest > col.need:
                col.need = widest
                col.base = min(widest, col.max_width)
                grew = True
        return grew

    def _choose_columns(self) -> bool:
        """Order the columns for the width: those that fit, most important first (a priority
        that does not fit drops with every lower one), then the rest, off to the right where
        scrolling sideways reaches them. Spare width goes to cut cells. True if anything changed."""
        room = self._room()
        if room <= 0:  # not laid out yet, or on a hidden tab: the same columns, their new widths
            before = [c.width for c in self.columns]
            for col in self.columns:
                col.width = col.base
            return before != [c.width for c in self.columns]
        self._chosen_for = room
        chosen, used, cut_at = set(), 0, None
        for col in sorted(self.columns, key=lambda c: c.priority):
            if cut_at is not None and col.priority >= cut_at:
                break
            if col.priority and used + col.base + self.gap > room:
                cut_at = col.priority
                continue
            chosen.add(col.key)
            used += col.base + self.gap
        before = [(c.key, c.width) for c in self.shown]
        spare = room - used
        for col in self.columns:
            col.width = col.base
            if col.key in chosen and spare > 0 and col.need > col.base:
                col.width += min(spare, col.need - col.base)
                spare -= col.width - col.base
        rest = sorted((c for c in self.columns if c.key not in chosen), key=lambda c: c.priority)  # next most wanted first
        self.shown = [c for c in self.columns if c.key in chosen] + rest
        self.fitted = len(chosen)
        self._at = [self.columns.index(c) for c in self.shown]
        return before != [(c.key, c.width) for c in self.shown]

    def _room(self) -> int:
        """The width for columns: a vertical scrollbar comes and goes without a resize."""
        return self.size.width - self.scrollbar_size_vertical

    @property
    def fitted_keys(self) -> list[str]:
        """The keys of the columns on screen without scrolling sideways, in screen order."""
        return [c.key for c in self.shown[:self.fitted]]

    def scroll_columns(self, step: int) -> None:
        """Scroll sideways by whole columns."""
        edges, x = [], 0
        for col in self.shown:
            edges.append(x)
            x += col.width + self.gap
        now = self.scroll_offset.x
        if step > 0:
            target = next((e for e in edges if e > now), now)
        else:
            target = max((e for e in edges if e < now), default=0)
        self.scroll_to(x=target, animate=False)

    def _width(self) -> int:
        return sum(c.width + self.gap for c in self.shown)

    def _resize(self) -> None:
        """Rows that fit need no scrolling; beyond that the height grows in steps, so that one
        more row is not a layout pass of the whole screen."""
        need = len(self.keys) + 1
        height = self.virtual_size.height
        if need <= max(self.size.height, 1):
            height = need
        elif need > height or need < height - 2 * HEIGHT_STEP:
            height = need + HEIGHT_STEP - need % HEIGHT_STEP
        size = Size(self._width(), height)
        if size != self.virtual_size:
            self.virtual_size = size

    def on_resize(self) -> None:
        self.refit()

    def on_show(self) -> None:  # a tab shown again: the width may have changed while it was hidden
        self.refit()

    def refit(self) -> None:
        if self._choose_columns():
            self._strips.clear()
            self.refresh()
        self._resize()

    def _refresh_row(self, i: int) -> None:
        y = i + 1 - self.scroll_offset.y  # the header is line 0 and does not scroll
        if 1 <= y < self.size.height:
            self.refresh(Region(0, y, self.size.width, 1))

    # -- what the app and tests read ------------------------------------------------------

    @property
    def row_count(self) -> int:
        return len(self.keys)

    @property
    def cursor_row(self) -> int:
        return self._cursor if self.keys else -1

    @property
    def current_key(self) -> str | None:
        return self.keys[self._cursor] if 0 <= self._cursor < len(self.keys) else None

    def get_row(self, key: str) -> list[Text]:
        return [Text(text, style=style) for text, style in self._cells[key]]

    def get_cell(self, key: str, column: str) -> Text:
        i = next(i for i, c in enumerate(self.columns) if c.key == column)
        text, style = self._cells[key][i]
        return Text(text, style=style)

    def get_row_index(self, key: str) -> int:
        return self._index[key]

    def line_text(self, y: int) -> str:
        """The plain text of screen line y (0 is the header)."""
        return self.render_line(y).text

    # -- drawing ---------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        if y == 0:
            if self._room() != self._chosen_for:  # a scrollbar came or went
                self.call_later(self.refit)
            strip = self._header()
        else:
            i = self.scroll_offset.y + y - 1
            if i >= len(self.keys):
                return Strip.blank(self.size.width, self.bases[0])
            strip = self._row(i)
        x = self.scroll_offset.x
        return strip.crop_extend(x, x + self.size.width, self.bases[0])

    @property
    def bases(self) -> tuple[Style, ...]:
        """The backgrounds of odd, even, cursor and header rows, looked up once per style change."""
        if self._bases is None:
            plain = self.rich_style
            self._bases = (plain, plain + self.get_component_rich_style("table--even-row"),
                           plain + self.get_component_rich_style("table--cursor"),
                           plain + self.get_component_rich_style("table--header"))
        return self._bases

    def _header(self) -> Strip:
        style = self.bases[3]
        labels = []
        for i, col in zip(self._at, self.shown):
            mark = ""
            if self.sort_mark and self.sort_mark[0] == i:
                mark = "▼" if self.sort_mark[1] else "▲"
            labels.append(" " + fit(col.label + mark, col.width, col.right) + " " * (self.gap - 1))
        return Strip([Segment("".join(labels), style)], self._width())

    def _row(self, i: int) -> Strip:
        key = self.keys[i]
        bg = 2 if i == self._cursor else i % 2  # cursor, even (zebra), odd
        strip = self._strips.get((key, bg))
        if strip is not None:
            return strip
        base = self.bases[bg]
        segments: list[Segment] = []
        run, run_style = "", None  # neighbouring cells of one style become one segment
        cells = self._cells[key]
        for i, col in zip(self._at, self.shown):
            text, spec = cells[i]
            style = base + _style(spec) if spec else base
            piece = " " + fit(text, col.width, col.right, col.tail) + " " * (self.gap - 1)
            if style == run_style:
                run += piece
            else:
                if run:
                    segments.append(Segment(run, run_style))
                run, run_style = piece, style
        if run:
            segments.append(Segment(run, run_style))
        strip = self._strips[(key, bg)] = Strip(segments, self._width())
        return strip

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()  # focus, theme or class change: the backgrounds differ
        self._bases = None

    def on_focus(self, event: events.Focus) -> None:
        self._strips.clear()
        self._bases = None
        self.refresh()

    def on_blur(self, event: events.Blur) -> None:
        self._strips.clear()
        self._bases = None
        self.refresh()

    # -- the cursor ------------------------------------------------------------------------

    def move_cursor(self, row: int) -> None:
        """Put the cursor on `row` (clamped) and scroll it into view."""
        if not self.keys:
            return
        row = max(0, min(row, len(self.keys) - 1))
        old, self._cursor = self._cursor, row
        top = self.scroll_offset.y
        visible = max(1, self.size.height - 1)
        if row < top:
            self.scroll_to(y=row, animate=False, immediate=True)
        elif row >= top + visible:
            self.scroll_to(y=row - visible + 1, animate=False, immediate=True)
        self._refresh_row(old)
        self._refresh_row(row)
        if row != old:
            self.highlighted(self.keys[row])

    def highlighted(self, key: str) -> None:
        """The cursor is on another row: a key, a click, or rows replaced under it. A table
        whose owner must follow before the next key is handled overrides this."""
        self.post_message(self.RowHighlighted(self, key))

    def action_cursor(self, step: int) -> None:
        self.move_cursor(self._cursor + step)

    def action_page(self, direction: int) -> None:
        self.move_cursor(self._cursor + direction * max(1, self.size.height - 2))

    def action_first(self) -> None:
        self.move_cursor(0)

    def action_last(self) -> None:
        self.move_cursor(len(self.keys) - 1)

    def action_select(self) -> None:
        key = self.current_key
        if key is not None:
            self.post_message(self.RowSelected(self, key))

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or offset.y == 0:
            return
        row = self.scroll_offset.y + offset.y - 1
        if row < len(self.keys):
            self.move_cursor(row)
            self.action_select()
