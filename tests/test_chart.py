"""The chart as a trader uses it, against the real simulator: candles that fill the panel,
volume in each candle's colour, a readout that follows Left/Right, indicators on and off (i),
the time-share line for one day and five (v), and all of it remembered in the prefs."""

from __future__ import annotations

import re

import pytest
from rich.text import Text

from protocol.client import OpenDClient
from protocol.codes import KL_SUBTYPES, SUB_RT
from protocol.gateway.sim import SimThread
from tests.test_app import CODES, make_app, wait_until
from workstation.app import FutuTui
from workstation.config import Config, Watchlist as WatchlistFile
from workstation.journal import Journal
from workstation.prefs import Prefs
from workstation.timeshare import RT
from workstation.widgets.chart_draw import EIGHTHS, GUTTER
from workstation.widgets.common import fmt_price, price_styles

pytestmark = pytest.mark.slow
CODE = "HK.00700"


@pytest.fixture(scope="module")
def sim():
    thread = SimThread(seed=7)
    thread.start()
    yield thread
    thread.stop()


def screen_lines(app) -> list[Text]:
    """The chart's lines as the panel renders them."""
    chart = app.chart
    return [Text.assemble(*((seg.text, seg.style) for seg in chart.render_line(y))) for y in range(chart.size.height)]


def screen_text(app) -> str:
    return "\n".join(line.plain.rstrip() for line in screen_lines(app))


def style_at(line: Text, col: int) -> str:
    styles = [str(s.style) for s in line.spans if s.start <= col < s.end]
    return styles[-1] if styles else ""


async def test_candles_fill_the_width_volume_takes_their_colour_and_the_readout_follows_keys(sim, tmp_path):
    app = make_app(sim, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.focus_code == CODE and len(app.chart.visible_bars) >= 40,
                         what="40 daily candles at 120x40")
        app.chart.focus()
        bars = app.store.bars[(CODE, app.chart.kl_type)]
        shown = app.chart.visible_bars
        assert shown[-1].time == bars[-1].time and app.chart.bar_line == "latest"
        lines = screen_lines(app)
        # The MA legend is a line of its own above the plot, never on it.
        legend = next(i for i, line in enumerate(lines) if "MA5 " in line.plain)
        header = " ".join(line.plain for line in lines[:legend + 2])
        assert legend <= 2 and "MA10 " in header and "MA20 " in header and "BOLL " in header
        plot = lines[legend + 2:]  # the legend is above the plot; no name is drawn on it
        assert not any(name in line.plain for line in plot for name in ("MA5", "MA10", "MA20"))
        # Volume: every bar's cell in its candle's colour (the bottom volume row has a block for each).
        up, down, _ = price_styles(app)
        axis = next(i for i, line in enumerate(lines) if i > 1 and re.search(r"\d{4}-\d\d-\d\d", line.plain))
        bottom = lines[axis - 1]  # the volume rows sit on the date axis
        assert set(bottom.plain[GUTTER:]) <= set(EIGHTHS)
        checked = 0
        for i, bar in enumerate(shown):
            if bottom.plain[GUTTER + i] != " ":
                want = up if bar.close >= bar.open else down
                assert want.lower() in style_at(bottom, GUTTER + i).lower(), (i, bar)
                checked += 1
        assert checked >= 30
        assert {bar.close >= bar.open for bar in shown} == {True, False}  # both colours were checked
        # Left moves the focus bar back; the readout shows its OHLC; Right and End come back.
        d = 3
        await pilot.press("left", "left", "left")
        await wait_until(pilot, lambda: app.chart.visible_bars and app.chart.visible_bars[-1].time == bars[-4].time,
                         what="the focus three bars back")
        bar = bars[-4]
        readout = app.chart.readout
        assert readout.startswith(bar.time[:10]) and screen_text(app).replace("\n", " ").startswith(readout)
        for value in (bar.open, bar.high, bar.low, bar.close):
            assert fmt_price(value, d) in readout
        change = bar.close - bars[-5].close
        assert f"{change:+,.{d}f}" in readout and app.chart.bar_line == ""
        await pilot.press("right")
        await wait_until(pilot, lambda: app.chart.visible_bars[-1].time == bars[-3].time, what="one bar newer")
        assert screen_lines(app)[0].plain.startswith(bars[-3].time[:10]) and app.chart.readout.startswith(bars[-3].time[:10])
        await pilot.press("end")
        await wait_until(pilot, lambda: app.chart.bar_line == "latest", what="back to the latest bar")
        # Indicators: MACD with Bollinger bands by default; i goes on to RSI, KDJ, all three, none.
        text = screen_text(app)
        assert "MACD 12,26,9" in text and "BOLL" in text
        await pilot.press("i")
        await wait_until(pilot, lambda: "RSI 14" in screen_text(app), what="the RSI pane")
        assert "MACD 12,26,9" not in screen_text(app)
        await pilot.press("i", "i")
        await wait_until(pilot, lambda: app.chart.indicators == ("BOLL", "MACD", "RSI", "KDJ"), what="all three")
        await pilot.press("i")
        await wait_until(pilot, lambda: app.chart.indicators == (), what="indicators off")
        text = screen_text(app)
        assert not any(name in text for name in ("MACD", "RSI", "KDJ", "BOLL"))
        assert app.prefs.get("indicators") == []


async def test_time_share_for_one_day_and_five(sim, tmp_path):
    app = make_app(sim, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.focus_code == CODE and app.chart.visible_bars, what="the chart")
        assert (CODE, SUB_RT) not in app.feed.want  # K-lines spend no quota on the time-share
        app.chart.focus()
        await pilot.press("v")
        assert app.chart.view == "timeshare"
        await wait_until(pilot, lambda: len(app.chart.visible_minutes) > 5, what="today's time-share")
        assert (CODE, SUB_RT) in app.feed.have
        minutes = app.store.rt[CODE]
        last = app.chart.visible_minutes[-1]
        assert last.time in {m.time for m in minutes[-2:]}  # the newest minute (a push may have followed the draw)
        text = screen_text(app)
        assert "time-share" in app.chart.border_title and "Avg" in text and "Prev close" in text
        assert f"Price {fmt_price(last.price, 3)}" in app.chart.readout and f"Avg {fmt_price(last.avg, 3)}" in text
        # Pushes (Qot_UpdateRT) keep it moving after the snapshot.
        at = app.store.bars_at[(CODE, RT)]
        await wait_until(pilot, lambda: app.store.bars_at[(CODE, RT)] > at, what="an RT push")
        await pilot.press("left", "left")
        await wait_until(pilot, lambda: app.chart.visible_minutes[-1].time == app.store.rt[CODE][-3].time,
                         what="the readout two minutes back")
        await pilot.press("v")
        assert app.chart.view == "timeshare5"
        await wait_until(pilot, lambda: "5 days" in screen_text(app), what="five days")
        dates = {m.time[:10] for m in app.chart.visible_minutes}
        assert len(dates) == 5
        await pilot.press("v")
        assert app.chart.view == "kline"
        await wait_until(pilot, lambda: app.chart.visible_bars and "MA5 " in screen_text(app),
                         what="candles again")


async def test_period_view_and_indicators_are_restored_on_a_new_app(sim, tmp_path):
    wl = WatchlistFile(tmp_path / "watchlist.json")
    wl.save(CODES)
    port = sim.sim.port

    def new_app() -> FutuTui:
        return FutuTui(Config(port=port), lambda: OpenDClient("127.0.0.1", port), watchlist_file=wl,
                       journal=Journal(tmp_path), prefs=Prefs(tmp_path / "prefs.json"))

    app = new_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.focus_code == CODE and app.chart.visible_bars, what="the chart")
        app.chart.focus()
        await pilot.press("]", "i", "i")  # weekly bars, KDJ with Bollinger bands
        await pilot.press("v")  # then the time-share
        await wait_until(pilot, lambda: app.chart.visible_minutes, what="the time-share")
    assert (app.chart.period, app.chart.view, app.chart.indicators) == ("week", "timeshare", ("BOLL", "KDJ"))
    again = new_app()
    async with again.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: again.chart.visible_minutes, what="the time-share on start")
        chart = again.chart
        assert (chart.period, chart.view, chart.indicators) == ("week", "timeshare", ("BOLL", "KDJ"))
        assert (CODE, SUB_RT) in again.feed.have and again.feed.period == "week"
        chart.focus()
        await pilot.press("v", "v")  # five days, then the candles: weekly, with KDJ
        await wait_until(pilot, lambda: chart.view == "kline" and chart.visible_bars
                         and again.feed.has_history(CODE, KL_SUBTYPES["week"][1]), what="weekly candles")
        await wait_until(pilot, lambda: "KDJ 9,3,3" in screen_text(again), what="the KDJ pane")
