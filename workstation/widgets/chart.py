"""K-line chart: candles, MA5/10/20 and volume (plotext), title with the focused bar's OHLC."""

from __future__ import annotations

import time

from textual.binding import Binding
from textual.message import Message

from protocol.codes import KL_SUBTYPES
from workstation.store import Bar, Changes, Store
from workstation.widgets.common import fmt_big, fmt_price, price_digits, price_styles, set_titles
from workstation.widgets.panel import Follow, Panel
from workstation.widgets.plot import CachedPlot

PERIODS = ("1m", "5m", "15m", "30m", "60m", "day", "week", "month")
MAS = ((5, "yellow"), (10, "magenta"), (20, "cyan"))
FORMING_EVERY = 1.0  # s between redraws while only the forming bar changes (a redraw repaints the whole chart)


def _rgb(colour: str) -> tuple[int, int, int] | str:
    if colour.startswith("#") and len(colour) == 7:
        return tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]
    return colour


def moving_average(closes: list[float], n: int) -> list[float]:
    out, total = [], 0.0
    for i, c in enumerate(closes):
        total += c
        if i >= n:
            total -= closes[i - n]
        out.append(total / min(i + 1, n))
    return out


class ChartPanel(Panel, CachedPlot):
    BINDINGS = [
        Binding("]", "period(1)", "Next period", id="chart.next_period"),
        Binding("[", "period(-1)", "Prev period", id="chart.prev_period"),
        Binding("left", "move(-1)", "Older bar", show=False, id="chart.older"),
        Binding("right", "move(1)", "Newer bar", show=False, id="chart.newer"),
        Binding("end", "latest", "Latest bar", show=False, id="chart.latest"),
        Binding("e", "extended", "Extended hours", show=False, id="chart.extended"),
    ]
    can_focus = True
    key, title, cell = "chart", "Chart", (0, 1)
    watches = ("bars",)
    follows = Follow.SETTLED

    class PeriodChanged(Message):
        def __init__(self, period: str) -> None:
            super().__init__()
            self.period = period

    class ExtendedToggled(Message):
        """US intraday bars with (or without) the pre-market and after-hours."""

        def __init__(self, on: bool) -> None:
            super().__init__()
            self.on = on

    extended = False  # US pre-market and after-hours bars asked for (setting extended_bars, key e)

    def action_extended(self) -> None:
        self.extended = not self.extended
        self.post_message(self.ExtendedToggled(self.extended))
        self.notify(f"extended-hours bars {'on' if self.extended else 'off'} (US intraday)", timeout=1.5)

    def __init__(self, store: Store, **kwargs) -> None:
        super().__init__(**kwargs)
        self.store = store
        self.code: str | None = None
        self.period = "day"
        self.back = 0  # bars back from the newest: the bar under focus
        self.flushes = 0
        self._drawn: tuple | None = None
        self._drawn_at = 0.0
        self.visible_bars: list[Bar] = []
        self.focus_line = ""  # OHLC of the bar under focus, shown in the title
        self.bar_line = ""  # the same in the border, marked when it is the latest bar

    @property
    def kl_type(self) -> int:
        return KL_SUBTYPES[self.period][1]

    def change_key(self) -> object:
        return (self.code, self.kl_type)

    def refresh_from(self, changes: Changes) -> None:
        self.refresh_chart()  # throttled while only the forming bar moves

    def redraw(self) -> None:
        self.refresh_chart(force=True)

    def updated_at(self) -> float | None:
        return self.store.bars_at.get((self.code, self.kl_type)) if self.code else None

    def subtitle(self) -> str:
        # The age first: a narrow border truncates the end, and the plot's title repeats the bar.
        return " · ".join(part for part in (self.age_label, self.bar_line) if part)

    def show(self, code: str | None, period: str | None = None) -> None:
        self.code = code
        if period:
            self.period = period
        self.back = 0
        self.refresh_chart(force=True)

    def action_period(self, step: int) -> None:
        i = (PERIODS.index(self.period) + step) % len(PERIODS) if self.period in PERIODS else 0
        self.period = PERIODS[i]
        self.back = 0
        self.post_message(self.PeriodChanged(self.period))
        self.refresh_chart(force=True)

    def action_move(self, step: int) -> None:
        bars = self.store.bars.get((self.code, self.kl_type), [])
        self.back = max(0, min(len(bars) - 1, self.back - step))
        self.refresh_chart(force=True)

    def action_latest(self) -> None:
        self.back = 0
        self.refresh_chart(force=True)

    def refresh_chart(self, force: bool = False) -> None:
        """Redraw when a bar closed, the view changed, or (throttled) the forming bar moved."""
        bars = self.store.bars.get((self.code, self.kl_type), []) if self.code else []
        key = (self.code, self.period, len(bars), bars[0].time if bars else "", self.back, self.size)
        now = time.monotonic()
        if not force and key == self._drawn and now - self._drawn_at < FORMING_EVERY:
            return
        self._drawn, self._drawn_at = key, now
        self.flushes += 1
        self._draw(bars)
        self.replot()

    def _draw(self, bars: list[Bar]) -> None:
        plt = self.plt
        plt.clear_figure()
        up, down, _ = price_styles(self.app)
        if not self.code or not bars:
            set_titles(self, title=f"{self.code or ''} {self.period}")
            plt.title(f"{self.code or 'no symbol'} {self.period}: loading…")
            self.visible_bars = []
            self.bar_line = ""
            set_titles(self, subtitle=self.subtitle())
            return
        room = max(10, (self.size.width - 12) // 2)
        end = len(bars) - self.back
        shown = bars[max(0, end - room):end] if self.back else bars[-room:]
        start = max(0, end - room) if self.back else max(0, len(bars) - room)
        closes_all = [b.close for b in bars[max(0, start - 20):start + len(shown)]]
        lead = len(closes_all) - len(shown)
        self.visible_bars = shown
        x = list(range(len(shown)))
        focus = shown[-1]
        set_titles(self, title=f"{self.code} {self.period}")
        plt.subplots(2, 1)
        top = plt.subplot(1, 1)
        top.plotsize(None, max(5, self.size.height * 3 // 4))
        top.candlestick(x, {"Open": [b.open for b in shown], "Close": [b.close for b in shown],
                            "High": [b.high for b in shown], "Low": [b.low for b in shown]},
                        colors=[_rgb(up), _rgb(down)])
        for n, colour in MAS:
            ma = moving_average(closes_all, n)[lead:]
            top.plot(x, ma, marker="braille", color=colour, label=f"MA{n}")
        step = max(1, len(shown) // 5)
        top.xticks(x[::step], [b.time[:10] if self.period in ("day", "week", "month") else b.time[5:16] for b in shown[::step]])
        d = price_digits(self.code)
        stamp = focus.time[:10] if self.period in ("day", "week", "month") else focus.time[5:16]
        self.focus_line = (f"{stamp} O {fmt_price(focus.open, d)} H {fmt_price(focus.high, d)} "
                           f"L {fmt_price(focus.low, d)} C {fmt_price(focus.close, d)} V {fmt_big(focus.volume)}")
        self.bar_line = self.focus_line if self.back else f"{self.focus_line} (latest)"
        set_titles(self, subtitle=self.subtitle())
        top.title(self.focus_line)
        bottom = plt.subplot(2, 1)
        bottom.bar(x, [b.volume for b in shown], marker="sd",
                   color=[_rgb(up) if b.close >= b.open else _rgb(down) for b in shown])
        bottom.xticks([], [])
        top_vol = max((b.volume for b in shown), default=0)
        bottom.yticks([0, top_vol / 2, top_vol], ["0", fmt_big(top_vol / 2), fmt_big(top_vol)])
