"""`?`: every key, read from the BINDINGS the app, its panels (and the widgets inside them,
such as the account sub-tabs) and its screens declare, with the keys the `[keys]` table of
the config file gave them. Nothing here is a hand-written list: a new binding appears by itself."""

from __future__ import annotations

import re

from rich.table import Table
from rich.text import Text
from textual.binding import Binding
from textual.containers import ScrollableContainer, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.scroll_view import ScrollView
from textual.widgets import Static

from workstation.keymap import own_bindings, workstation_classes

Row = tuple[str, str]  # (keys as shown, what they do)
Section = tuple[str, list[Row]]


def _ours(cls: type) -> bool:
    return cls.__module__.startswith("workstation.")


def _declared(cls: type) -> list[Binding]:
    """What a class and its bases declare: ours all; Textual's own only where they say what
    they do and are not plain scrolling or every screen's focus keys (the sub-tabs' left /
    right, not every scroll key)."""
    out = []
    for base in reversed(cls.__mro__):
        if _ours(base):
            out += own_bindings(base)
        elif base.__module__.startswith("textual.") and not issubclass(base, (ScrollableContainer, ScrollView, Screen)):
            out += [b for b in own_bindings(base) if b.description and not b.system]
    return out


def _rows(app, bindings: list[Binding], extra: list[Row] = ()) -> list[Row]:
    """Each binding once, with its keys as remapped by the keymap, as the footer shows them."""
    keymap = getattr(app.config, "keys", {}) or {}
    rows: list[Row] = []
    seen: set[tuple[str, str]] = set()
    for b in bindings:
        keys = keymap.get(b.id, b.key) if b.id else b.key
        if (keys, b.action) in seen:
            continue
        seen.add((keys, b.action))
        shown = ", ".join(app.get_key_display(Binding(k.strip(), b.action)) for k in keys.split(","))
        rows.append((shown, b.description or b.action.replace("_", " ")))
    return rows + list(extra)


def _title(cls: type) -> str:
    title = getattr(cls, "HELP_TITLE", "") or " ".join(re.findall("[A-Z][a-z]*", cls.__name__)).capitalize()
    return title.removesuffix(" screen")


def sections(app) -> list[Section]:
    """The app's keys, then each panel's (its widgets' too), then each screen's."""
    out: list[Section] = [("Workstation", _rows(app, _declared(type(app))))]
    for panel in app.panels.values():
        bindings = _declared(type(panel))
        for child in panel.walk_children():
            bindings += _declared(type(child))
        if rows := _rows(app, bindings):
            out.append((panel.title, rows))
    screens = [c for c in workstation_classes() if issubclass(c, Screen)
               and not any(_ours(s) for s in c.__subclasses__())]  # the forms, not their shared base
    screens.sort(key=lambda c: (getattr(c, "HELP_ORDER", 9), -len(_declared(c))))  # the fuller form first
    for cls in screens:
        if rows := _rows(app, _declared(cls), getattr(cls, "HELP_KEYS", [])):
            out.append((_title(cls), rows))
    return out


class HelpScreen(ModalScreen[None]):
    HELP_TITLE, HELP_ORDER = "This help", 99
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close", id="help.close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 90%; max-width: 100; height: 90%; border: round $primary; background: $surface; padding: 0 1; }
    """

    def __init__(self, sections: list[Section]) -> None:
        super().__init__()
        self.sections = sections

    def compose(self):
        with VerticalScroll() as scroll:
            scroll.border_title = "Keys · Esc closes · remap them in the config file's keys table"
            yield Static(self._table())

    def _table(self) -> Table:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold", no_wrap=True)
        table.add_column()
        for title, rows in self.sections:
            table.add_row("", "")
            table.add_row(Text(title, style="underline"), "")
            for keys, what in rows:
                table.add_row(Text(keys), Text(what))
        return table
