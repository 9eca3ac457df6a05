"""The App's side of market hours: the status bar, the panels and the chart share the feed's
`MarketHours` (workstation/sessions.py). A mixin of FutuTui, like TradingActions."""

from __future__ import annotations

from workstation.widgets.chart import ChartPanel


class HoursActions:
    """Mixed into FutuTui (workstation/app.py)."""

    def attach_hours(self) -> None:
        """The status bar names each market's session; panels whose market rests say so
        instead of going stale; the chart asks for extended-hours bars if the setting says."""
        hours = self.feed.hours  # type: ignore[attr-defined]
        status = self.status  # type: ignore[attr-defined]
        hours.wall, hours.mono = (lambda: status.wall_clock()), (lambda: status.mono_clock())  # tests freeze them
        status.hours, status.zones = hours, self.config.clock_zones  # type: ignore[attr-defined]
        self.chart.extended = self.feed.extended_bars = self.config.extended_bars  # type: ignore[attr-defined]
        for panel in self.panels.values():  # type: ignore[attr-defined]
            panel.hours = hours

    def on_chart_panel_extended_toggled(self, event: ChartPanel.ExtendedToggled) -> None:
        self.feed.set_extended_bars(event.on)  # type: ignore[attr-defined]
