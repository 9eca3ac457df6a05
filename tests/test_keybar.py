"""The key bar at the bottom: what it shows, dim keys while trading is off, clicks run keys."""

from __future__ import annotations

import pytest
from rich.text import Text

from protocol.client import ConnState, OpenDClient
from tests.test_app import make_app, sim, wait_until  # noqa: F401  (sim is a fixture)
from workstation.app import FutuTui
from workstation.config import Config
from workstation.config import Watchlist as WatchlistFile
from workstation.journal import Journal
from workstation.screens.help import HelpScreen
from workstation.screens.order import OrderForm
from workstation.widgets.footer import KeyBar

pytestmark = pytest.mark.slow


def bar_line(app) -> Text:
    bar = app.query_one(KeyBar)
    return Text.assemble(*((seg.text, seg.style) for seg in bar.render_line(0)))


def dim_at(line: Text, word: str) -> bool:
    start = line.plain.index(word)
    return any(s.style.dim for s in line.spans if s.start <= start < s.end and s.style)


async def test_the_bar_shows_the_focused_panels_keys_dims_trading_keys_until_ready_and_a_click_runs_a_key(sim, tmp_path):
    app = make_app(sim, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: " b Buy " in bar_line(app).plain, what="the keys drawn")
        line = bar_line(app)
        assert len(line.plain) == 120 and line.plain.rstrip().endswith("▏^p palette")
        assert " a Add " in line.plain  # the watchlist has focus: its keys come first
        if not app.trading_ready():  # the account arrives a moment after the quotes
            assert dim_at(line, "Buy")
        await wait_until(pilot, app.trading_ready, what="an account")
        await wait_until(pilot, lambda: not dim_at(bar_line(app), "Buy"), what="Buy lit")

        app.action_show_panel("account")
        await wait_until(pilot, lambda: " m Modify order " in bar_line(app).plain, what="the account tab's keys")
        assert " a Add " not in bar_line(app).plain

        x = bar_line(app).plain.index(" b Bu") + 1  # cut to "Bu" at 120 columns, still a key
        await pilot.click(KeyBar, offset=(x, 0))
        await wait_until(pilot, lambda: isinstance(app.screen, OrderForm), what="the buy form from a click")


async def test_with_no_opend_the_trading_keys_are_dim_and_a_click_on_one_opens_nothing(tmp_path):
    wl = WatchlistFile(tmp_path / "watchlist.json")
    wl.save(["HK.00700"])
    app = FutuTui(Config(port=1), lambda: OpenDClient("127.0.0.1", 1, connect_timeout=1),
                  watchlist_file=wl, journal=Journal(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.status.state is ConnState.LOST, what="the outage")
        await wait_until(pilot, lambda: " b Buy " in bar_line(app).plain, what="the keys drawn")
        line = bar_line(app)
        assert dim_at(line, "Buy") and dim_at(line, "Sell") and not dim_at(line, "Help")
        screen = app.screen
        await pilot.click(KeyBar, offset=(line.plain.index(" b Buy ") + 1, 0))
        await pilot.click(KeyBar, offset=(line.plain.index(" ? Help ") + 1, 0))
        await wait_until(pilot, lambda: app.screen is not screen, what="help from a click")
        assert isinstance(app.screen, HelpScreen)  # the dim Buy before it opened nothing
