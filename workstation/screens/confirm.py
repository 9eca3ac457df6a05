"""A yes/no question: y confirms, n or escape declines. REAL orders, modifies and cancels,
and cancel-all use it.

Every value may come from the wire (names, codes, order IDs): each row is one line of plain
`Text`, control characters and line breaks removed, so nothing can add a line to what the
trader reads, nor change the question."""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from protocol.sanitize import clean_text
from workstation.screens.form import DismissOnce


class ConfirmScreen(DismissOnce, ModalScreen[bool]):
    BINDINGS = [
        Binding("y", "dismiss(True)", "Yes", id="confirm.yes"),
        Binding("n,escape", "dismiss(False)", "No", id="confirm.no"),
    ]
    AUTO_FOCUS = ""  # nothing to focus: y / n / Esc are the screen's own keys
    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen > Vertical { width: 72; max-width: 100%; height: auto; max-height: 100%;
                               border: thick $warning; background: $surface; padding: 0 1; }
    ConfirmScreen.-danger > Vertical { border: thick $error; }
    ConfirmScreen VerticalScroll { height: auto; max-height: 24; }
    ConfirmScreen #question { text-style: bold; margin-top: 1; }
    """

    def __init__(self, title: str, rows: list[tuple[str, str]], question: str, danger: bool = False) -> None:
        super().__init__()
        self.title_text = title
        self.rows = [(clean_text(label, 20), clean_text(value)) for label, value in rows]
        self.question = clean_text(question)
        self.set_class(danger, "-danger")

    def compose(self):
        with Vertical():
            yield Static(Text(self.title_text, style="bold reverse"), id="title")
            lines = [Text.assemble((f"{label:<10}", "dim"), value) for label, value in self.rows]
            with VerticalScroll(can_focus=False):
                yield Static(Text("\n").join(lines), id="details")  # values from the wire: Text, never markup
            yield Static(Text(self.question), id="question")
            yield Static(Text("y yes · n / Esc no", style="dim"))
