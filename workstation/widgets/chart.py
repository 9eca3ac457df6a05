"""The chart panel: candles (MA 5/10/20, volume, Bollinger bands, a MACD, RSI or KDJ pane) or
the time-share line (price, average price, volume) for one day or five, with a readout of
the bar under focus. Period, view and indicators are remembered in the prefs.

Keys: [ ] period, v view (K-line / time-share / five days), i indicators, Left/Right move
the focus bar, End back to the latest, e extended hours (US).
"""

from __future__ import annotations

import time

from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

from protocol.codes import KL_SUBTYPES
from workstation.chart_reads import VIEWS
from workstation.store import Bar, Changes, Store
from workstation.timeshare import RT, RT_DAYS, five_days
from workstation.widgets.chart_draw import Look, draw_candles, draw_timeshare
from workstation.widgets.common import price_digits, price_styles, set_titles
from workstation.widgets.panel import Follow, Panel
from workstation.widgets.strips import text_strip

PERIODS = ("1m", "5m", "15m", "30m", "60m", "day", "week", "month")
# What i cycles through: Bollinger bands on the price and one pane below, or all three panes.
INDICATOR_SETS = ((), ("BOLL", "MACD"), ("BOLL", "RSI"), ("BOLL", "KDJ"), ("BOLL", "MACD", "RSI", "KDJ"))
VIEW_NAMES = {"kline": "K-line", "timeshare": "time-share", "timeshare5": "5-day time-share"}
FORMING_EVERY = 1.0  # s between redraws while only the forming bar changes


class ChartPanel(Panel, Widget):
    DEFAULT_CSS = "ChartPanel { width: 1fr; height: 1fr; }"
    BINDINGS = [
        Binding("]", "period(1)", "Next period", id="chart.next_period"),
        Binding("[", "period(-1)", "Prev period", id="chart.prev_period"),
        Binding("v", "view", "K-line/time-share", id="chart.view"),
        Binding("i", "indicators", "Indicators", id="chart.indicators"),
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
        """The chart's period or view changed: the feed's subscriptions and reads follow."""

        def __init__(self, period: str, view: str = "kline") -> None:
            super().__init__()
            self.period = period
            self.view = view

    class ExtendedToggled(Message):
        """US intraday bars with (or without) the pre-market and after-hours."""

        def __init__(self, on: bool) -> None:
            super().__init__()
            self.on = on

    extended = False  # US pre-market and after-hours bars asked for (setting extended_bars, key e)

    def __init__(self, store: Store, **kwargs) -> None:
        super().__init__(**kwargs)
        self.store = store
        self.code: str | None = None
        self.period = "day"
        self.view = "kline"
        self.indicators: tuple[str, ...] = ("BOLL", "MACD")
        self.back = 0  # bars (or minutes) back from the newest: the one under focus
        self.flushes = 0
        self._drawn: tuple | None = None
        self._drawn_at = 0.0
        self._lines: list[Text] = []
        self._strips: list[Strip] = []  # _lines on the panel's background, what render_line gives
        self._base: Style | None = None  # that background, looked up once per drawing (it walks the DOM)
        self.visible_bars: list[Bar] = []  # K-line view: the bars on screen, the focus bar last
        self.visible_minutes: list = []  # time-share view: the minutes up to the focus one
        self.readout = ""  # the focus bar's OHLC, volume and change, as on screen
        self.bar_line = ""  # the border's short form of it

    def on_mount(self) -> None:
        """The period, view and indicators the trader last chose (before the App's first focus)."""
        prefs = getattr(self.app, "prefs", None)
        if prefs is None:
            return
        period, view, chosen = prefs.get("period"), prefs.get("chart_view"), prefs.get("indicators")
        self.period = period if period in KL_SUBTYPES else self.period
        self.view = view if view in VIEWS else self.view
        if isinstance(chosen, list):
            self.indicators = tuple(k for k in INDICATOR_SETS[-1] if k in chosen)
        if (self.period, self.view) != ("day", "kline"):
            self.post_message(self.PeriodChanged(self.period, self.view))

    def _remember(self, key: str, value) -> None:
        prefs = getattr(self.app, "prefs", None)
        if prefs is not None:
            prefs.set(key, value)

    @property
    def kl_type(self) -> int:
        return KL_SUBTYPES[self.period][1]

    def change_key(self) -> object:
        return (self.code, self.kl_type if self.view == "kline" else RT)

    def changed(self, changes: Changes) -> bool:
        keys = changes.bars
        if self.view == "kline":
            return (self.code, self.kl_type) in keys
        return (self.code, RT) in keys or (self.view == "timeshare5" and (self.code, RT_DAYS) in keys)

    def refresh_from(self, changes: Changes) -> None:
        self.refresh_chart()  # throttled while only the forming bar moves

    def redraw(self) -> None:
        self.refresh_chart(force=True)

    def updated_at(self) -> float | None:
        if not self.code:
            return None
        return self.store.bars_at.get((self.code, self.kl_type if self.view == "kline" else RT))

    def subtitle(self) -> str:
        # The age first: a narrow border truncates the end.
        return " · ".join(part for part in (self.age_label, self.bar_line) if part)

    def show(self, code: str | None, period: str | None = None) -> None:
        self.code = code
        if period:  # chosen in the palette
            self.period = period
            self._remember("period", period)
        self.back = 0
        self.refresh_chart(force=True)

    # -- keys ---------------------------------------------------------------------------

    def action_period(self, step: int) -> None:
        i = (PERIODS.index(self.period) + step) % len(PERIODS) if self.period in PERIODS else 0
        self.period = PERIODS[i]
        if self.view != "kline":
            self.view = "kline"  # [ and ] are K-line periods: they bring the candles back
            self._remember("chart_view", self.view)
        self.back = 0
        self._remember("period", self.period)
        self.post_message(self.PeriodChanged(self.period, self.view))
        self.refresh_chart(force=True)

    def action_view(self) -> None:
        self.view = VIEWS[(VIEWS.index(self.view) + 1) % len(VIEWS)]
        self.back = 0
        self._remember("chart_view", self.view)
        self.post_message(self.PeriodChanged(self.period, self.view))
        self.notify(VIEW_NAMES[self.view], timeout=1.5)
        self.refresh_chart(force=True)

    def action_indicators(self) -> None:
        sets = list(INDICATOR_SETS)
        i = sets.index(self.indicators) if self.indicators in sets else 0
        self.indicators = sets[(i + 1) % len(sets)]
        self._remember("indicators", list(self.indicators))
        self.notify(f"indicators: {' '.join(self.indicators) or 'off'}", timeout=1.5)
        self.refresh_chart(force=True)

    def action_move(self, step: int) -> None:
        self.back = max(0, min(self._count() - 1, self.back - step))
        self.refresh_chart(force=True)

    def action_latest(self) -> None:
        self.back = 0
        self.refresh_chart(force=True)

    def action_extended(self) -> None:
        self.extended = not self.extended
        self.post_message(self.ExtendedToggled(self.extended))
        self.notify(f"extended-hours bars {'on' if self.extended else 'off'} (US intraday)", timeout=1.5)

    # -- drawing ------------------------------------------------------------------------

    def _bars(self) -> list[Bar]:
        return self.store.bars.get((self.code, self.kl_type), []) if self.code else []

    def _days(self) -> list[list]:
        if not self.code:
            return []
        today = self.store.rt.get(self.code, [])
        if self.view == "timeshare":
            return [today] if today else []
        return five_days(self.store.bars.get((self.code, RT_DAYS), []), today)

    def _count(self) -> int:
        """How many bars or minutes there are (cheap: asked at every flush)."""
        if self.view == "kline":
            return len(self._bars())
        if not self.code:
            return 0
        today = len(self.store.rt.get(self.code, ()))
        return today + (len(self.store.bars.get((self.code, RT_DAYS), ())) if self.view == "timeshare5" else 0)

    def refresh_chart(self, force: bool = False) -> None:
        """Redraw when a bar closed, the view changed, or (throttled) the forming bar moved."""
        count = self._count()
        key = (self.code, self.period, self.view, self.indicators, count, self.back, self.size, self.app.theme)
        now = time.monotonic()
        if not force and key == self._drawn and now - self._drawn_at < FORMING_EVERY:
            return
        self._drawn, self._drawn_at = key, now
        self.flushes += 1
        self._draw()
        self.refresh()

    def _draw(self) -> None:
        up, down, _ = price_styles(self.app)
        look = Look(up=up, down=down, digits=price_digits(self.code), daily=self.period in ("day", "week", "month"))
        width, height = self.size.width, self.size.height
        name = self.period if self.view == "kline" else VIEW_NAMES[self.view]
        set_titles(self, title=f"{self.code or ''} {name}")
        self.visible_bars, self.visible_minutes = [], []
        if self.view == "kline":
            bars = self._bars()
            if bars and width > 0 and height > 0:
                self._lines, self.visible_bars, self.readout = draw_candles(bars, self.back, width, height, self.indicators, look)
        else:
            days = self._days()
            self.back = max(0, min(self.back, sum(len(d) for d in days) - 1))
            if days and width > 0 and height > 0:
                self._lines, self.visible_minutes, self.readout = draw_timeshare(days, self.back, width, height, self.code or "", look)
        if not (self.visible_bars or self.visible_minutes):
            self._lines = [Text(f"{self.code or 'no symbol'} {name}: loading…", style="dim")]
            self.readout = ""
        self.bar_line = "" if self.back else "latest"
        set_titles(self, subtitle=self.subtitle())

        self._strips, self._base = [], None

    def render_line(self, y: int) -> Strip:
        if self._base is None:
            self._base = base = self.rich_style
            console = self.app.console
            self._strips = [text_strip(line, base, console) for line in self._lines[: max(1, self.size.height)]]
        base = self._base
        width = max(1, self.size.width)
        if y < len(self._strips):  # a long readout is cut, never wrapped onto the plot
            return self._strips[y].crop_extend(0, width, base)
        return Strip.blank(width, base)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips, self._base = [], None  # the background (focus, dimming, theme) is in every strip

    def on_resize(self) -> None:
        self.refresh_chart(force=True)
