"""The key bar: one widget that draws the screen's keys on one line.

Textual's Footer mounts a widget per key and rebuilds them all whenever the bindings are
refreshed: at each focus change, connection event and account update. Each rebuild restyled
some twenty widgets and laid the screen out again (~10% of the app's CPU across fifty
reconnects). Here a change of bindings only redraws one line, and only if what it shows
changed. It looks as Footer does: key, description, disabled keys dim, the palette key on the
right; a click runs the key, hovering shows its tooltip."""

from __future__ import annotations

from typing import NamedTuple

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.screen import Screen
from textual.strip import Strip
from textual.widget import Widget


class Shown(NamedTuple):
    key: str
    display: str
    description: str
    enabled: bool
    tooltip: str


class KeyBar(Widget):
    ALLOW_SELECT = False
    COMPONENT_CLASSES = {"keybar--key", "keybar--description", "keybar--rule", "keybar--hover"}
    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
        .keybar--key { color: $footer-key-foreground; background: $footer-key-background; text-style: bold; }
        .keybar--description { color: $footer-description-foreground; background: $footer-description-background; }
        .keybar--rule { color: $foreground 20%; }
        .keybar--hover { color: $footer-key-foreground; background: $block-hover-background; }
    }
    """

    def __init__(self) -> None:
        super().__init__()
        self.keys: tuple[Shown, ...] = ()  # left to right
        self.palette: Shown | None = None  # drawn at the right end
        self.spans: list[tuple[int, int, Shown]] = []  # columns of each drawn key, for the mouse
        self.hover: Shown | None = None

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self.bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def bindings_changed(self, screen: Screen) -> None:
        app = self.app
        if not (self.is_attached and screen is self.screen and app.app_focus):
            return
        active = screen.active_bindings
        keys, seen = [], set()
        for _, b, enabled, tooltip in active.values():
            if b.show and b.action not in seen:  # one entry per action, as Footer shows them
                seen.add(b.action)
                keys.append(Shown(b.key, app.get_key_display(b), b.description, enabled, tooltip))
        palette = None
        if app.ENABLE_COMMAND_PALETTE and app.COMMAND_PALETTE_BINDING in active:
            _, b, enabled, _ = active[app.COMMAND_PALETTE_BINDING]
            palette = Shown(b.key, app.get_key_display(b), b.description, enabled, b.tooltip or b.description)
        if (tuple(keys), palette) != (self.keys, self.palette):
            self.keys, self.palette = tuple(keys), palette
            self.refresh()

    # -- drawing ---------------------------------------------------------------------------

    def _styles(self, item: Shown) -> tuple[Style, Style]:
        key, text = self.get_component_rich_style("keybar--key"), self.get_component_rich_style("keybar--description")
        if item is self.hover:
            hover = self.get_component_rich_style("keybar--hover")
            key, text = key + hover, text + hover
        if not item.enabled:
            key, text = key + Style(dim=True), text + Style(dim=True)
        return key, text

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        line = Text(no_wrap=True, end="")
        tail = Text(no_wrap=True, end="")
        spans = []
        if self.palette is not None:  # "▏^p palette " at the right end
            key, text = self._styles(self.palette)
            tail.append("▏", self.get_component_rich_style("keybar--rule"))
            tail.append(self.palette.display, key)
            tail.append(f" {self.palette.description}", text)
        room = max(0, width - tail.cell_len - (self.palette is not None))  # and one column of padding
        for item in self.keys:
            if line.cell_len >= room:
                break
            key, text = self._styles(item)
            start = line.cell_len
            line.append(f" {item.display} ", key)
            line.append(f"{item.description} " if item.description else "", text)
            spans.append((start, min(line.cell_len, room), item))
        line.truncate(room, pad=True)
        if self.palette is not None:
            spans.append((room + 1, room + tail.cell_len, self.palette))
        line.append_text(tail)
        line.truncate(width)
        self.spans = spans
        base = self.rich_style
        line.stylize_before(base)
        segments = list(line.render(self.app.console))
        if line.cell_len < width:  # the palette key's right padding: background only
            segments.append(Segment(" " * (width - line.cell_len), Style(bgcolor=base.bgcolor)))
        return Strip(segments, width).simplify()

    # -- the mouse -------------------------------------------------------------------------

    def _at(self, x: int) -> Shown | None:
        return next((item for start, end, item in self.spans if start <= x < end), None)

    def on_mouse_move(self, event: events.MouseMove) -> None:
        item = self._at(event.x)
        if item is not self.hover:
            self.hover = item
            self.tooltip = (item.tooltip or item.description) if item else None
            self.refresh()

    def on_leave(self) -> None:
        if self.hover is not None:
            self.hover = None
            self.refresh()

    def on_mouse_down(self, event: events.MouseDown) -> None:
        item = self._at(event.x)
        if item is None:
            return
        if item.enabled:
            self.app.simulate_key(item.key)
        else:
            self.app.bell()
