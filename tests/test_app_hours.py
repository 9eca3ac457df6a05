"""Market hours on screen, driven through Pilot against the real simulator: a lunch break
that is quiet and not stale, a halt refused at `b`, US pre-market prices, orders of two
markets on one time line, a DAY order expiring at the close."""

from __future__ import annotations

import math
import time
from datetime import datetime

import pytest

from protocol.gateway.sim import SimThread
from protocol.trade import OrderStatus, Session
from tests.test_app import make_app, text_of, wait_until
from workstation.orders import fmt
from workstation.screens.order import OrderForm
from workstation.trading.messages import TradingRefused

pytestmark = pytest.mark.slow


def at(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


@pytest.fixture
def sim_at():
    started: list[SimThread] = []

    def start(when: str | None = None, **settings) -> SimThread:
        if when is not None:
            settings.update(clock="real", start=at(when))
        thread = SimThread(seed=7, **settings)
        thread.start()
        started.append(thread)
        return thread

    yield start
    for thread in started:
        thread.stop()


def status_text(app) -> str:
    return text_of(app.status, width=220)


async def trading_ready(pilot, app, code: str) -> None:
    await wait_until(pilot, lambda: app.feed.trading.accounts.all and code in app.store.quotes
                     and not math.isnan(app.store.quotes[code].last), what="accounts and a quote")


async def test_at_the_hk_lunch_break_the_screen_names_it_and_no_hk_panel_reads_stale(sim_at, tmp_path):
    sim = sim_at("2026-12-01T12:20+08:00")
    app = make_app(sim, tmp_path, codes=["HK.00700", "HK.09988"])
    async with app.run_test(size=(200, 50)) as pilot:
        await wait_until(pilot, lambda: "HK.00700" in app.store.books, what="the book")
        await wait_until(pilot, lambda: "HK lunch break" in status_text(app), what="the break in the status bar")
        assert "HK lunch break 39m" in status_text(app) or "HK lunch break 40m" in status_text(app)  # to 13:00
        # A minute on: long past the age at which a trading market's panels read stale.
        app.status.mono_clock = lambda: time.monotonic() + 60  # the clock staleness is measured with
        hk = [p for p in app.panels.values() if (p.code or "").startswith("HK.")]
        assert {p.key for p in hk} >= {"book", "tape"}
        # Staleness is shown at the status tick: wait for the tick that saw the clock move on.
        await wait_until(pilot, lambda: all(p.age_label == "lunch break" and not p.has_class("-stale") for p in hk),
                         what="panels quiet, none stale")
        assert "lunch break" in str(app.book.border_subtitle)


async def test_b_on_a_halted_code_is_refused_with_the_reason(sim_at, tmp_path):
    sim = sim_at(suspend=("HK.09988",))
    seen: list = []
    app = make_app(sim, tmp_path, codes=["HK.09988", "HK.00700"])
    async with app.run_test(size=(200, 50), message_hook=seen.append) as pilot:
        await trading_ready(pilot, app, "HK.09988")
        await wait_until(pilot, lambda: app.store.quotes["HK.09988"].halted, what="the halt in the quote")
        app.flush()
        assert "HALTED" in app.watchlist.line_text(1 + app.watchlist.get_row_index("HK.09988"))
        await wait_until(pilot, lambda: "HALTED" in str(app.book.border_title), what="the book marked")
        app.watchlist.focus()
        await pilot.press("b")
        await wait_until(pilot, lambda: any(isinstance(m, TradingRefused) for m in seen), what="the refusal")
        (refusal,) = [m for m in seen if isinstance(m, TradingRefused)]
        assert "HK.09988" in refusal.text and "halted" in refusal.text
        assert not isinstance(app.screen, OrderForm)
        # Trading resumes: the mark goes and the form opens.
        sim.call(sim.sim.faults.resume, "HK.09988")
        await wait_until(pilot, lambda: not app.store.quotes["HK.09988"].halted, what="the resume")
        await pilot.press("s")
        await wait_until(pilot, lambda: isinstance(app.screen, OrderForm), what="the order form")


async def test_in_us_pre_market_the_watchlist_and_the_form_use_the_pre_market_price(sim_at, tmp_path):
    sim = sim_at("2026-12-01T08:00-05:00")
    app = make_app(sim, tmp_path, codes=["US.AAPL", "HK.00700"])
    async with app.run_test(size=(200, 50)) as pilot:
        await trading_ready(pilot, app, "US.AAPL")
        await wait_until(pilot, lambda: (app.store.quotes["US.AAPL"].ext or {}).get("pre") is not None,
                         what="the pre-market block")
        await wait_until(pilot, lambda: "US pre-market" in status_text(app), what="the session in the status bar")
        q = app.store.quotes["US.AAPL"]
        pre = q.ext["pre"]
        app.watchlist.repaint_all()
        line = app.watchlist.line_text(1 + app.watchlist.get_row_index("US.AAPL"))
        assert f"pre {pre.price:,.2f} {pre.change_pct:+.2f}%" in line
        assert f"{q.last:,.2f}" in line  # the regular close beside it
        app.watchlist.focus()
        await pilot.press("b")
        await wait_until(pilot, lambda: isinstance(app.screen, OrderForm), what="the order form")
        form = app.screen
        assert form.last_price == pre.price  # the band's reference
        assert form.ticket.price == pre.price and form.ticket.session == Session.ETH
        band = app.config.price_band_pct / 100
        form.query_one("#price").value = f"{pre.price * (1 + band) + 0.5:.2f}"  # just outside the band
        _ticket, problems = form.read()
        assert any(p.field == "price" and fmt(pre.price) in p.message for p in problems)


async def test_a_us_order_placed_after_an_hk_order_sorts_above_it(sim_at, tmp_path):
    sim = sim_at()  # clock "always": HK's exchange time is ahead of New York's by 12-13 hours
    app = make_app(sim, tmp_path, codes=["HK.00700", "US.AAPL"])
    async with app.run_test(size=(200, 50)) as pilot:
        await trading_ready(pilot, app, "HK.00700")
        await trading_ready(pilot, app, "US.AAPL")
        placed: list[str] = []
        for code in ("HK.00700", "US.AAPL"):
            app.choose(code)
            app.watchlist.focus()
            before = set(app.store.orders)
            await pilot.press("b")
            await wait_until(pilot, lambda: isinstance(app.screen, OrderForm), what="the order form")
            bid = app.store.quotes[code].bid
            app.screen.query_one("#price").value = f"{bid:g}"
            await pilot.press("enter")
            await wait_until(pilot, lambda: any(not o.startswith(("!", "?")) for o in set(app.store.orders) - before),
                             what=f"the {code} order")
            placed.append(next(o for o in set(app.store.orders) - before if not o.startswith(("!", "?"))))
        hk_id, us_id = placed
        await wait_until(pilot, lambda: {hk_id, us_id} <= set(app.account.orders.keys), what="both in the tab")
        keys = list(app.account.orders.keys)
        assert keys.index(us_id) < keys.index(hk_id)
        assert app.store.orders[hk_id].create_time > app.store.orders[us_id].create_time  # as text it would not


async def test_a_day_order_expires_at_the_close(sim_at, tmp_path):
    # The market clock stands still 5 s before the close while the order is placed, then runs.
    sim = sim_at("2026-12-01T15:59:55+08:00", paused=True)
    app = make_app(sim, tmp_path, codes=["HK.00700"])
    async with app.run_test(size=(200, 50)) as pilot:
        await trading_ready(pilot, app, "HK.00700")
        app.watchlist.focus()
        await pilot.press("b")
        await wait_until(pilot, lambda: isinstance(app.screen, OrderForm), what="the order form")
        q = app.store.quotes["HK.00700"]
        app.screen.query_one("#price").value = f"{round(q.bid * 0.97, 1):g}"  # rests: well under the bid
        await pilot.press("enter")
        await wait_until(pilot, lambda: any(o.status == OrderStatus.SUBMITTED for o in app.store.orders.values()),
                         what="the order resting")
        (order_id,) = [k for k, o in app.store.orders.items() if o.status == OrderStatus.SUBMITTED]
        assert "HK closed" not in status_text(app)
        sim.call(sim.sim.resume)
        await wait_until(pilot, lambda: app.store.orders[order_id].status == OrderStatus.CANCELLED_ALL,
                         timeout=40, what="expiry at 16:00")
        assert "expired" in app.store.orders[order_id].last_error
        await wait_until(pilot, lambda: "HK closing auction" in status_text(app) or "HK closed" in status_text(app),
                         what="the close in the status bar")


async def test_key_e_on_the_chart_asks_for_extended_hours_bars(sim_at, tmp_path):
    sim = sim_at()
    app = make_app(sim, tmp_path, codes=["US.AAPL"])
    async with app.run_test(size=(200, 50)) as pilot:
        await wait_until(pilot, lambda: app.focus_code == "US.AAPL", what="the focus")
        assert not app.feed.extended_bars  # the setting extended_bars defaults to off
        app.chart.focus()
        await pilot.press("e")
        await wait_until(pilot, lambda: app.feed.extended_bars and app.chart.extended, what="extended bars on")
