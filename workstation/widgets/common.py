"""Small helpers shared by panels: number formats, price colours from the theme, line drawing."""

from __future__ import annotations

import math

from rich.cells import cell_len, set_cell_size
from rich.console import RenderableType
from rich.text import Text
from textual.app import App
from textual.geometry import Region, Size
from textual.strip import Strip
from textual.widget import Widget

from protocol.markets import SEC_INDEX
from workstation.widgets.strips import text_strip


STALE_AFTER = 10.0  # seconds without an update before a panel's data counts as stale


def fmt_age(age: float) -> str:
    """How old a panel's data is, for its border: 7s ago, 3m ago, 2h ago."""
    if age < 60:
        return f"{age:.0f}s ago"
    if age < 3600:
        return f"{age // 60:.0f}m ago"
    return f"{age // 3600:.0f}h ago"


def set_titles(widget, title: str | None = None, subtitle: str | None = None) -> None:
    """Set a border title or subtitle only if it differs: each assignment repaints the
    whole widget, border and content, which would undo the line-by-line repaints."""
    if title is not None and widget.border_title != title:
        widget.border_title = title
    if subtitle is not None and widget.border_subtitle != subtitle:
        widget.border_subtitle = subtitle


def fit(text: str, width: int, right: bool, tail: bool = False) -> str:
    """Exactly `width` cells: cut with an ellipsis (keeping the end if `tail`), or padded on
    the side away from the text."""
    if width <= 0:
        return ""
    n = cell_len(text)
    if n > width:
        if tail and n == len(text):  # IDs: the end is what tells them apart
            return "…" + text[n - width + 1:]
        return set_cell_size(text, width - 1) + "…"
    pad = " " * (width - n)
    return pad + text if right else text + pad


class LinePanel(Widget):
    """Shows a Rich renderable like `Static`, but `update()` renders it to lines at once and
    repaints only the lines that differ from what is on screen. A book whose sizes moved on
    two levels sends the terminal two lines, not the whole panel."""

    DEFAULT_CSS = "LinePanel { height: auto; }"

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.content: RenderableType = Text("")  # what update() was last given
        self._lines: list[Strip] = []
        self._drawn_size = Size(0, 0)

    def update(self, renderable: RenderableType, layout: bool = False) -> None:
        self.content = renderable
        self._draw()
        if layout:
            self.refresh(layout=True)

    def _draw(self) -> None:
        size = self.size
        if not size.width or not self.is_attached:
            return
        console, base, content = self.app.console, self.rich_style, self.content
        lines = None
        if isinstance(content, Text):  # plain lines: cut at their spans (Rich's renderer is ~5x slower)
            parts = content.split("\n", allow_blank=True)
            if content.no_wrap or all(part.cell_len <= size.width for part in parts):
                lines = [text_strip(part, base, console).crop_extend(0, size.width, base) for part in parts]
        if lines is None:
            options = console.options.update(width=size.width, height=None, highlight=False)
            rendered = console.render_lines(content, options, style=base, pad=True)
            lines = [Strip(line, size.width).simplify() for line in rendered]
        old, self._lines = self._lines, lines
        if size != self._drawn_size:
            self._drawn_size = size
            self.refresh()
            return
        for y in range(min(max(len(old), len(lines)), size.height)):
            if y >= len(old) or y >= len(lines) or old[y] != lines[y]:
                self.refresh(Region(0, y, size.width, 1))

    def on_resize(self) -> None:
        self._draw()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._drawn_size = Size(0, 0)  # colours may differ: repaint everything on the next draw
        self._draw()

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self._lines) or 1

    def render_line(self, y: int) -> Strip:
        if y < len(self._lines):
            return self._lines[y]
        return Strip.blank(self.size.width, self.rich_style)

    def lines_text(self) -> str:
        """The plain text on screen, a line each (tests read it)."""
        return "\n".join(line.text.rstrip() for line in self._lines)


def price_styles(app: App) -> tuple[str, str, str]:
    """(up, down, flat) colours of the current theme's price convention."""
    v = app.current_theme.variables
    return v.get("price-up", "red"), v.get("price-down", "green"), v.get("price-flat", "")


def direction_style(value: float, base: float, styles: tuple[str, str, str]) -> str:
    if math.isnan(value) or math.isnan(base) or value == base:
        return styles[2]
    return styles[0] if value > base else styles[1]


def price_digits(code: str | None, sec_type: int = 0) -> int:
    """Decimals a price is shown with: HK quotes to 3 places (sub-dollar tick sizes), others
    and index levels (when the type is known) 2."""
    return 3 if code and code.startswith("HK.") and sec_type != SEC_INDEX else 2


def fmt_price(x: float, digits: int = 2) -> str:
    """Fixed decimals so prices line up in a column."""
    if x is None or math.isnan(x):
        return "-"
    return f"{x:,.{digits}f}"


def fmt_big(x: float, digits: int = 2) -> str:
    """1234567 -> 1.23M (1.2M with digits=1); keeps columns narrow."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    a = abs(x)
    for div, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
        if a >= div:
            return f"{x / div:,.{digits}f}{suffix}"
    return f"{x:,.0f}"


def fmt_pct(x: float) -> str:
    return "-" if math.isnan(x) else f"{x:+.2f}%"


def fmt_change(x: float) -> str:
    return "-" if math.isnan(x) else f"{x:+,.3f}".rstrip("0").rstrip(".")
