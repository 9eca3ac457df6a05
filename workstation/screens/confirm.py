"""A yes/no question: y confirms, n or escape declines. REAL orders and cancel-all use it."""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static


class ConfirmScreen(ModalScreen[bool]):
    BINDINGS = [
        Binding("y", "dismiss(True)", "Yes", id="confirm.yes"),
        Binding("n,escape", "dismiss(False)", "No", id="confirm.no"),
    ]
    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen > Vertical { width: 60; max-width: 100%; height: auto; max-height: 100%;
                               border: thick $warning; background: $surface; padding: 0 1; }
    ConfirmScreen.-danger > Vertical { border: thick $error; }
    ConfirmScreen #question { text-style: bold; margin-top: 1; }
    """

    def __init__(self, title: str, rows: list[tuple[str, str]], question: str, danger: bool = False) -> None:
        super().__init__()
        self.title_text = title
        self.rows = rows
        self.question = question
        self.set_class(danger, "-danger")

    def compose(self):
        with Vertical():
            yield Static(Text(self.title_text, style="bold reverse"), id="title")
            lines = [Text.assemble((f"{label:<10}", "dim"), value) for label, value in self.rows]
            yield Static(Text("\n").join(lines), id="details")  # values from the wire: Text, never markup
            yield Static(Text(self.question), id="question")
            yield Static(Text("y yes · n / Esc no", style="dim"))
