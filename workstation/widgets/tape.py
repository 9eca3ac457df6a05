"""Ticker tape: newest trade first; direction coloured; large trades highlighted; US extended-hours
prints marked ("e" pre-market / after-hours, "n" overnight) beside their direction."""

from __future__ import annotations

from itertools import islice

from rich.table import Table
from rich.text import Text

from protocol.hours import TICKER_OVERNIGHT, TICKER_PRE_AFTER
from workstation.store import Store
from workstation.widgets.common import fmt_big, fmt_price, price_digits, price_styles, set_titles
from workstation.widgets.panel import FocusedPanel

BIG_TRADE_FACTOR = 5.0  # a trade this many times the recent mean size is "large"
DIRS = {1: "B", 2: "S", 3: " "}
SESSION_MARKS = {TICKER_PRE_AFTER: "e", TICKER_OVERNIGHT: "n"}  # TickerType -> marker; regular: none


class TapePanel(FocusedPanel):
    DEFAULT_CSS = "TapePanel { height: 1fr; }"
    key, title, cell = "tape", "Tape", (1, 2)
    watches = ("tapes",)

    store: Store

    def updated_at(self) -> float | None:
        return self.store.tape_at.get(self.code) if self.code else None

    def redraw(self) -> None:
        self.flushes += 1
        set_titles(self, title=f"Tape {self.code}" if self.code else "Tape")
        tape = self.store.tapes.get(self.code) if self.code else None
        if not tape:
            self.update(Text("waiting for trades…", style="dim"), layout=False)
            return
        up, down, flat = price_styles(self.app)
        big = self.app.current_theme.variables.get("big-trade", "yellow")
        rows = max(1, self.size.height)
        recent = list(islice(reversed(tape), rows))
        mean = sum(t.volume for t in islice(reversed(tape), 100)) / min(len(tape), 100)
        d = price_digits(self.code)
        table = Table.grid(expand=True, padding=(0, 1))
        table.add_column(no_wrap=True, style="dim")
        table.add_column(justify="right")
        table.add_column(justify="right")
        table.add_column(width=1)
        marks = any(t.kind in SESSION_MARKS for t in recent)
        if marks:
            table.add_column(width=1)
        for t in recent:
            colour = up if t.direction == 1 else down if t.direction == 2 else flat
            large = t.volume >= BIG_TRADE_FACTOR * mean
            size_style = f"bold reverse {big}" if large else colour
            cells = [t.time[11:19] if len(t.time) >= 19 else t.time, Text(fmt_price(t.price, d), style=colour),
                     Text(fmt_big(t.volume), style=size_style), Text(DIRS.get(t.direction, " "), style=colour)]
            if marks:
                cells.append(Text(SESSION_MARKS.get(t.kind, " "), style="dim italic"))
            table.add_row(*cells)
        self.update(table, layout=False)
