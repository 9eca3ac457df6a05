"""`/`: jump to a symbol, with completion from OpenD's static info (Qot_GetStaticInfo)."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

from protocol.codes import normalize

MAX_SHOWN = 30


def matches(universe: list[tuple[str, str]], query: str) -> list[tuple[str, str]]:
    """Code prefix matches first, then code or name substrings; case-insensitive."""
    q = query.strip().upper()
    if not q:
        return universe[:MAX_SHOWN]
    prefix, rest = [], []
    for code, name in universe:
        bare = code.rpartition(".")[2].upper() if "." in code else code.upper()
        if code.upper().startswith(q) or bare.startswith(q):
            prefix.append((code, name))
        elif q in code.upper() or q in name.upper():
            rest.append((code, name))
        if len(prefix) >= MAX_SHOWN:
            break
    return (prefix + rest)[:MAX_SHOWN]


class SymbolSearch(ModalScreen[str | None]):
    """Returns the chosen code, or None."""

    BINDINGS = [
        Binding("escape", "dismiss(None)", "Cancel", id="symbol.cancel"),
        Binding("down", "cursor(1)", "Next", show=False, id="symbol.next"),
        Binding("up", "cursor(-1)", "Previous", show=False, id="symbol.previous"),
    ]
    DEFAULT_CSS = """
    SymbolSearch { align: center top; }
    SymbolSearch > Vertical { width: 60; max-width: 95%; height: auto; max-height: 80%; margin-top: 2;
                              border: round $primary; background: $surface; }
    SymbolSearch OptionList { height: auto; max-height: 16; }
    """

    def __init__(self, universe: list[tuple[str, str]], title: str = "Go to symbol") -> None:
        super().__init__()
        self.universe = universe
        self.title_text = title

    def compose(self):
        with Vertical():
            yield Input(placeholder="code or name, e.g. 00700, AAPL, HK.09988", id="query")
            yield OptionList(id="choices")

    def on_mount(self) -> None:
        self.query_one(Vertical).border_title = self.title_text
        self._fill("")

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        self._fill(event.value)

    def _fill(self, query: str) -> None:
        options = self.query_one(OptionList)
        options.clear_options()
        for code, name in matches(self.universe, query):
            options.add_option(Option(Text.assemble((f"{code:<12}", "bold"), name), id=code))
        if options.option_count:
            options.highlighted = 0

    def action_cursor(self, step: int) -> None:
        options = self.query_one(OptionList)
        if options.option_count:
            options.highlighted = ((options.highlighted or 0) + step) % options.option_count

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        options = self.query_one(OptionList)
        if options.option_count and options.highlighted is not None:
            self.dismiss(options.get_option_at_index(options.highlighted).id)
            return
        try:
            self.dismiss(normalize(event.value))
        except ValueError as exc:
            self.notify(str(exc), severity="warning")

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)
