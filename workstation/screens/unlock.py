"""Unlock REAL trading: a password field whose text never leaves this screen.

Only the MD5 is returned (what Trd_UnlockTrade sends). The field is emptied as soon as
the digest is taken, so the password is not kept by the widget; it is never logged.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from protocol.trade import password_md5


class UnlockScreen(ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel", id="unlock.cancel")]
    DEFAULT_CSS = """
    UnlockScreen { align: center middle; }
    UnlockScreen > Vertical { width: 52; max-width: 100%; height: auto; border: thick $error;
                              background: $surface; padding: 0 1; }
    UnlockScreen Input { margin: 1 0; }
    """

    def __init__(self, account_label: str) -> None:
        super().__init__()
        self.account_label = account_label

    def compose(self):
        with Vertical():
            yield Static(Text(" UNLOCK REAL TRADING ", style="bold white on #ff2d55"))
            yield Static(Text(self.account_label))
            yield Input(password=True, placeholder="trade password", id="password")
            yield Static(Text("Enter unlock · Esc cancel · only the MD5 is sent", style="dim"))

    @on(Input.Submitted, "#password")
    def _submit(self, event: Input.Submitted) -> None:
        field = event.input
        if not field.value:
            return
        digest = password_md5(field.value)
        field.value = ""
        self.dismiss(digest)
