"""Ticker tape: newest trade first; direction coloured; large trades highlighted; US extended-hours
prints marked ("e" pre-market / after-hours, "n" overnight) beside their direction."""

from __future__ import annotations

from itertools import islice

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
        marks = any(t.kind in SESSION_MARKS for t in recent)
        times = [t.time[11:19] if len(t.time) >= 19 else t.time[:8] for t in recent]
        prices = [fmt_price(t.price, d) for t in recent]
        sizes = [fmt_big(t.volume) for t in recent]
        pw, sw = max(map(len, prices)), max(map(len, sizes))
        # Price and size always fit whole; the time gives way first (hh:mm:ss, then mm:ss, then none).
        room = self.size.width - (pw + sw + 3 + (2 if marks else 0))
        tw = 8 if room >= 9 else 5 if room >= 6 else 0
        out = Text(no_wrap=True, overflow="crop")
        for t, when, price, size in zip(recent, times, prices, sizes):
            colour = up if t.direction == 1 else down if t.direction == 2 else flat
            large = t.volume >= BIG_TRADE_FACTOR * mean
            if tw:
                out.append(when[-tw:].ljust(tw) + " ", style="dim")
            out.append(price.rjust(pw + max(0, room - tw - 1 if tw else room)), style=colour)
            out.append(" ")
            out.append(size.rjust(sw), style=f"bold reverse {big}" if large else colour)
            out.append(" " + DIRS.get(t.direction, " "), style=colour)
            if marks:
                out.append(" " + SESSION_MARKS.get(t.kind, " "), style="dim italic")
            out.append("\n")
        out.rstrip()
        self.update(out, layout=False)
