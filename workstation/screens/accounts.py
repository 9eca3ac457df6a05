"""`A`: every account OpenD lists, REAL and SIMULATE, with its markets, status and funds per
currency. Enter trades on the highlighted one; a DISABLED account is shown but cannot be chosen.
Funds fill in after the screen is shown (one Trd_GetFunds per account, through a callable)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from rich.text import Text
from textual import work
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option


class AccountPicker(ModalScreen[int | None]):
    BINDINGS = [Binding("escape", "dismiss(None)", "Close", id="accounts.close")]
    DEFAULT_CSS = """
    AccountPicker { align: center middle; }
    AccountPicker > Vertical { width: 100; max-width: 100%; height: auto; max-height: 90%;
                               border: round $primary; background: $surface; padding: 0 1; }
    AccountPicker OptionList { height: auto; max-height: 30; }
    """

    def __init__(self, accounts: list, active, funds_of: Callable[[object], Awaitable[list[str]]]) -> None:
        super().__init__()
        self.accounts = list(accounts)
        self.active = active
        self.funds_of = funds_of
        self.funds: dict[int, list[str]] = {}  # acc_id -> one line per currency, once loaded

    def compose(self):
        with Vertical():
            yield Static(Text("ACCOUNTS", style="bold reverse"))
            yield OptionList(*[self._option(a) for a in self.accounts], id="accounts")
            yield Static(Text("Enter trade on this account · Esc close · DISABLED accounts cannot be chosen",
                              style="dim"))

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        if self.active in self.accounts:
            options.highlighted = self.accounts.index(self.active)
        self.load_funds()

    def _option(self, acc) -> Option:
        status = "DISABLED" if acc.disabled else "active"
        mark = "▶ " if acc is self.active else "  "
        head = Text.assemble(mark, (f"{acc.label:<40}", "bold" if acc.is_real else ""), f"  {status}")
        lines = self.funds.get(acc.acc_id, ["funds: loading…"])
        body = Text("\n").join(Text(f"    {line}", style="dim") for line in lines)  # wire numbers: Text
        return Option(Text.assemble(head, "\n", body), id=str(acc.acc_id), disabled=acc.disabled)

    @work(group="account-funds", exclusive=True, description="load each account's funds for the picker")
    async def load_funds(self) -> None:
        options = self.query_one(OptionList)
        for acc in self.accounts:
            try:
                self.funds[acc.acc_id] = await self.funds_of(acc)
            except Exception as exc:  # one account's funds failing must not hide the others
                self.funds[acc.acc_id] = [f"funds unavailable: {exc}"]
            options.replace_option_prompt(str(acc.acc_id), self._option(acc).prompt)

    def funds_text(self, acc_id: int) -> str:
        """What the picker shows of one account's funds (for tests and screen readers)."""
        return "\n".join(self.funds.get(acc_id, []))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        acc_id = int(event.option.id or 0)
        acc = next((a for a in self.accounts if a.acc_id == acc_id), None)
        if acc is not None and not acc.disabled:
            self.dismiss(acc_id)
