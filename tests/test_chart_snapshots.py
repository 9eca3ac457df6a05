"""Layout snapshots of the chart: candles with Bollinger bands and the MACD pane, and the
time-share line, at 80x24 (the chart tab), 120x40 and 200x60. Fixed seed, a paused market
at a fixed instant, a frozen clock; the view comes from the prefs, as on a restart.

Regenerate after an intended change with
`pytest tests/test_chart_snapshots.py --snapshot-update` and look at the SVGs."""

from __future__ import annotations

import pytest

from tests.test_app import make_app, wait_until
from tests.test_snapshots import CODES, START, frozen_sim, ready, still_screen  # noqa: F401 (a fixture)
from workstation.app import FutuTui
from workstation.prefs import Prefs

pytestmark = pytest.mark.snapshot
SIZES = [(80, 24), (120, 40), (200, 60)]


def chart_app(sim, tmp_path, view: str, indicators: list[str]) -> FutuTui:
    prefs = Prefs()
    prefs.set("chart_view", view)
    prefs.set("indicators", indicators)
    return make_app(sim, tmp_path, CODES, prefs=prefs)


def settle_for(app: FutuTui):
    async def settle(pilot) -> None:
        chart = app.chart
        await wait_until(pilot, lambda: ready(app), what="every panel filled")
        if app.narrow:
            await pilot.press("2")  # the chart's tab: a hidden panel is not drawn
        if chart.view == "kline":
            await wait_until(pilot, lambda: len(chart.visible_bars) > 20, what="candles")
        else:
            await wait_until(pilot, lambda: len(chart.visible_minutes) > 20, what="the time-share")
        await still_screen(pilot, app)

    return settle


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_candles_with_indicators(size, frozen_sim, tmp_path, snap_compare):  # noqa: F811
    app = chart_app(frozen_sim, tmp_path, "kline", ["BOLL", "MACD"] if size[1] < 60 else ["BOLL", "MACD", "RSI", "KDJ"])
    assert snap_compare(app, terminal_size=size, run_before=settle_for(app))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_time_share(size, frozen_sim, tmp_path, snap_compare):  # noqa: F811
    app = chart_app(frozen_sim, tmp_path, "timeshare", ["BOLL", "MACD"])
    assert snap_compare(app, terminal_size=size, run_before=settle_for(app))
