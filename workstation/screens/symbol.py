"""`/`: jump to a symbol, with completion from OpenD's static info (Qot_GetStaticInfo): by code,
unpadded HK code, name, or the pinyin of a Chinese name (workstation/search.py)."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

from protocol.codes import normalize
from workstation.search import SymbolIndex


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

    def __init__(self, universe: SymbolIndex | list[tuple[str, str]], title: str = "Go to symbol") -> None:
        super().__init__()
        self.universe = universe if isinstance(universe, SymbolIndex) else SymbolIndex(universe)
        self.title_text = title

    def compose(self):
        with Vertical():
            yield Input(placeholder="code, name or pinyin: 700, AAPL, tencent, txkg", id="query")
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
        for code, name in self.universe.matches(query):
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
