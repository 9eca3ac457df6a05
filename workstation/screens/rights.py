"""`Q`: OpenD's own status, the quote right per market and every quota, in full."""

from __future__ import annotations

from collections.abc import Callable

from rich.table import Table
from rich.text import Text
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from protocol import rights as qr
from workstation.rights import STATUS_NAMES, OpenDStatus

WHAT = {qr.NO: "nothing: rows say so", qr.BMP: "snapshots only (polled, ≤20 HK codes a request)",
        qr.LV1: "live quotes, ticks, K-lines", qr.LV2: "live quotes and the order book", qr.SF: "full book",
        qr.UNKNOWN: "not reported by OpenD"}


class RightsScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,Q", "dismiss", "Close", id="rights.close")]
    DEFAULT_CSS = """
    RightsScreen { align: center middle; }
    RightsScreen > VerticalScroll { width: 80%; max-width: 96; height: 80%; border: round $primary; background: $surface; padding: 0 1; }
    """

    def __init__(self, opend: OpenDStatus, sub_quota: Callable[[], tuple[int, int]]) -> None:
        super().__init__()
        self.opend = opend
        self.sub_quota = sub_quota
        self.body = Static(id="rights-body")

    def compose(self):
        with VerticalScroll():
            yield self.body

    def on_mount(self) -> None:
        self.redraw()
        self.set_interval(1.0, self.redraw, name="rights follow OpenD")

    def lines(self) -> list[str]:
        """The screen as plain lines (tests read them)."""
        o = self.opend
        used, total = self.sub_quota()
        out = [
            f"OpenD quotes: {'logged in' if o.qot_logined else 'NOT logged in'}",
            f"OpenD trading: {'logged in' if o.trd_logined else 'NOT logged in'}",
            f"OpenD program: {STATUS_NAMES.get(o.program_status, o.program_status)}"
            + (f" ({o.status_desc})" if o.status_desc else ""),
            f"subscription quota: {used} used of {total}",
            f"history K-line quota: {o.history_used} used, {o.history_remain} left of {o.history_quota}",
        ]
        for m in qr.RIGHT_MARKETS:
            right = o.rights.get(m, qr.UNKNOWN)
            depth = qr.book_depth(m, right)
            out.append(f"{m}: {qr.name(right)} - {WHAT.get(right, '')}"
                       + (f", book {depth} level{'s' if depth != 1 else ''}" if depth else ""))
        if o.history_codes:
            out.append("history counted for: " + ", ".join(sorted(o.history_codes)))
        return out

    def redraw(self) -> None:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold", no_wrap=True)
        table.add_column()
        for line in self.lines():
            key, _, value = line.partition(": ")
            table.add_row(Text(key), Text(value))  # codes and OpenD's words are text, never markup
        self.body.update(table)
