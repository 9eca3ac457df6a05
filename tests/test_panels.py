"""The panel interface, through the real app against the simulated OpenD: pushes repaint the
panels that watch them, narrow mode shows one panel at a time, old data is dimmed and aged,
and a panel added with one registration line takes part in all of it."""

from __future__ import annotations

import math
import time

import pytest
from textual.widgets import Static, Tabs

from protocol import ids
from protocol.client import ConnState
from protocol.codes import security
from protocol.gateway.sim import SimThread
from protocol.proto import Qot_Common_pb2, Qot_UpdateBasicQot_pb2
from tests.test_app import make_app as shared_app, wait_until
from workstation import panels as registry
from workstation.app import FutuTui
from workstation.store import Changes, Store
from workstation.widgets.common import fmt_price, price_digits
from workstation.widgets.panel import FOCUS_GRACE, Panel

pytestmark = pytest.mark.slow
CODES = ["HK.00700", "HK.09988", "US.AAPL"]
KEYS = ["watchlist", "chart", "book", "account", "flow", "tape"]  # keys 1-6, tabs left to right


@pytest.fixture(scope="module")
def sim():
    thread = SimThread(seed=7)
    thread.start()
    yield thread
    thread.stop()


def make_app(sim, tmp_path, codes=CODES) -> FutuTui:
    return shared_app(sim, tmp_path, codes)




def priced(app, code) -> bool:
    q = app.store.quotes.get(code)
    return q is not None and not math.isnan(q.last)


def push_quote(sim, code: str, price: float) -> None:
    """Runs on the simulator's loop: one basic-quote push for `code` to every session."""
    market, symbol = security(code)
    resp = Qot_UpdateBasicQot_pb2.Response(retType=0)
    resp.s2c.basicQotList.add(
        security=Qot_Common_pb2.Security(market=market, code=symbol), isSuspended=False, listTime="2000-01-01",
        priceSpread=0.01, updateTime="2026-11-20 10:00:00.000", highPrice=price, openPrice=price, lowPrice=price,
        curPrice=price, lastClosePrice=price, volume=1, turnover=price, turnoverRate=0, amplitude=0,
    )
    for session in sim.gateway.sessions.values():
        if session.initialized:
            session.push(ids.QOT_UPDATE_BASIC_QOT, resp)


class QuoteCounter(Panel, Static):
    """A tiny extra panel: how many codes have ticked since start."""

    key, title, cell = "ticks", "Ticks", (2, 0)
    watches = ("quotes",)

    def __init__(self, store: Store, **kwargs) -> None:
        super().__init__("", **kwargs)
        self.store = store
        self.ticked: set[str] = set()
        self.flushes = 0

    def refresh_from(self, changes: Changes) -> None:
        self.flushes += 1
        self.ticked |= changes.quotes
        self.redraw()

    def redraw(self) -> None:
        self.update(f"{len(self.ticked)} codes ticked")


async def test_a_quote_push_repaints_its_watchlist_row(tmp_path):
    thread = SimThread(seed=3)
    thread.start()
    try:
        thread.call(thread.sim.pause)  # only our push moves a price from here on
        app = make_app(thread, tmp_path)
        async with app.run_test(size=(160, 45)) as pilot:
            await wait_until(pilot, lambda: all(priced(app, c) and app.store.quotes[c].name for c in CODES),
                             what="prices and names for every row")
            # The start-up snapshot (names, then a basic-quote fetch) must have landed, or it would
            # overwrite our push: no request in flight, and nothing pushed for a while.
            await wait_until(pilot, lambda: app.feed.idle and time.monotonic() - app.store.last_push > 0.5,
                             what="a quiet feed with no request in flight")
            code = "HK.09988"
            price = round(app.store.quotes[code].last + 1.234, 3)
            shown = fmt_price(price, price_digits(code))
            others = {c: app.watchlist.get_row(c)[2].plain for c in CODES if c != code}
            assert app.watchlist.get_row(code)[2].plain != shown
            thread.call(push_quote, thread.sim, code, price)
            await wait_until(pilot, lambda: app.watchlist.get_row(code)[2].plain == shown,
                             what="the pushed price in the Last cell")
            assert {c: app.watchlist.get_row(c)[2].plain for c in others} == others
    finally:
        thread.stop()


async def test_narrow_mode_shows_one_panel_and_number_keys_switch(sim, tmp_path):
    app = make_app(sim, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: priced(app, "HK.00700") and "HK.00700" in app.store.books,
                         what="a price and a book")
        assert app.narrow
        tabs = app.query_one("#panel-tabs", Tabs)
        assert tabs.display and [t.id for t in tabs.query("Tab")] == [f"tab-{k}" for k in KEYS]
        assert [str(t.label) for t in tabs.query("Tab")] == ["Watchlist", "Chart", "Book", "Account", "Flow", "Tape"]
        for number, key in reversed(list(enumerate(KEYS, 1))):
            await pilot.press(str(number))
            assert app.active_panel == key and tabs.active == f"tab-{key}"
            assert [k for k in KEYS if app.panels[k].display] == [key]


async def test_a_hidden_panel_is_not_redrawn_and_catches_up_when_shown(sim, tmp_path):
    app = make_app(sim, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        code = "HK.00700"
        await wait_until(pilot, lambda: code in app.store.books and app.book.code == code, what="a book")
        hidden_redraws = app.book.flushes
        first_book = app.store.books[code]
        watchlist_flushes = app.watchlist.flushes
        await wait_until(pilot, lambda: app.store.books[code] is not first_book
                         and app.watchlist.flushes > watchlist_flushes + 2, what="a new book and a few flushes")
        assert app.book.flushes == hidden_redraws  # the book changed while hidden: nothing drawn
        await pilot.press("3")
        assert app.book.display and app.book.flushes > hidden_redraws
        assert "B1" in app.book.lines_text() and "A1" in app.book.lines_text()


async def test_old_data_is_dimmed_and_aged_and_everything_dims_offline(tmp_path):
    thread = SimThread(seed=5)
    thread.start()
    try:
        app = make_app(thread, tmp_path)
        async with app.run_test(size=(160, 45)) as pilot:
            code = "HK.00700"
            await wait_until(pilot, lambda: code in app.store.books and code in app.store.flows
                             and len(app.chart.visible_bars) > 5 and app.status.state is ConnState.READY,
                             what="every panel filled")
            dated = [p for p in app.panels.values() if p.updated_at() is not None]
            assert {p.key for p in dated} >= {"book", "chart", "flow"}
            await wait_until(pilot, lambda: not any(p.has_class("-stale") for p in app.panels.values()),
                             what="fresh panels, none dimmed")
            assert not any("ago" in str(p.border_subtitle or "") for p in dated)

            later = time.monotonic() + 120  # the status bar's clock (the one snapshot tests freeze), two minutes on
            app.status.mono_clock = lambda: later
            await wait_until(pilot, lambda: all(p.has_class("-stale") for p in dated), what="old data dimmed")
            for panel in dated:
                assert "m ago" in str(panel.border_subtitle), (panel.key, panel.border_subtitle)
            # No age of their own: online is enough.
            assert not app.watchlist.has_class("-stale") and not app.account.has_class("-stale")

            thread.stop()  # OpenD goes away: every panel dims
            await wait_until(pilot, lambda: app.status.state is not ConnState.READY, what="the connection lost")
            await wait_until(pilot, lambda: all(p.has_class("-stale") for p in app.panels.values()),
                             what="everything dimmed")
    finally:
        thread.stop()  # idempotent


async def test_a_code_just_focused_is_loading_not_stale_until_its_grace_runs_out(sim, tmp_path):
    """Moving onto a code whose data is old shows it undimmed while its subscription starts
    (no dim-then-brighten flicker per cursor move); old data still dims after FOCUS_GRACE."""
    app = make_app(sim, tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        first, second = CODES[0], CODES[1]
        await wait_until(pilot, lambda: first in app.store.books and app.book.code == first, what=f"{first}'s book")
        await pilot.press("down")
        await wait_until(pilot, lambda: app.book.code == second and second in app.store.books, what=f"{second}'s book")
        await pilot.press("up")
        await wait_until(pilot, lambda: app.book.code == first, what=f"back on {first}")
        shift = [120.0]  # the status bar's clock runs ahead: every book update looks two minutes old
        app.status.mono_clock = lambda: time.monotonic() + shift[0]
        await wait_until(pilot, lambda: app.book.has_class("-stale"), what="old data dimmed once the grace ran out")
        await pilot.press("down")  # onto a code whose book is (by that clock) two minutes old
        await wait_until(pilot, lambda: app.book.code == second, what=f"the book on {second}")
        assert not app.book.has_class("-stale") and "ago" not in str(app.book.border_subtitle or "")
        shift[0] += FOCUS_GRACE + 1
        await wait_until(pilot, lambda: app.book.has_class("-stale") and "m ago" in str(app.book.border_subtitle),
                         what="old data dimmed after the grace")


async def test_a_panel_registered_with_one_line_is_composed_flushed_and_tabbed(sim, tmp_path, monkeypatch):
    monkeypatch.setattr(registry, "PANELS", [*registry.PANELS, QuoteCounter])  # the one registration line

    app = make_app(sim, tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        counter = app.query_one("#main #ticks", QuoteCounter)
        assert counter is app.panels["ticks"] and counter.has_class("panel") and counter.border_title == "Ticks"
        await wait_until(pilot, lambda: counter.ticked >= set(CODES), what="every code's quotes flushed to it")
        assert f"{len(counter.ticked)} codes ticked" in str(counter.render())
        assert "tab-ticks" in [t.id for t in app.query_one("#panel-tabs", Tabs).query("Tab")]

    app = make_app(sim, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        counter = app.panels["ticks"]
        await wait_until(pilot, lambda: priced(app, "HK.00700"), what="prices")
        tabs = app.query_one("#panel-tabs", Tabs)
        assert [str(t.label) for t in tabs.query("Tab")][-1] == "Ticks"
        assert not counter.display
        flushes = counter.flushes  # hidden: quotes change, it is not flushed
        watchlist_flushes = app.watchlist.flushes
        await wait_until(pilot, lambda: app.watchlist.flushes > watchlist_flushes + 2, what="a few flushes")
        assert counter.flushes == flushes
        await pilot.click(tabs.query_one("#tab-ticks"))
        await wait_until(pilot, lambda: app.active_panel == "ticks", what="the Ticks tab chosen")
        assert counter.display and not app.watchlist.display
        await wait_until(pilot, lambda: counter.flushes > flushes, what="flushed once shown")
