"""The real app against a hostile OpenD (tests/hostile.py): names, messages and pushes chosen
to hurt never crash it, freeze it, reshape its screen or reach the terminal raw."""

from __future__ import annotations

import math

import pytest
from textual.notifications import Notify

from protocol import ids
from protocol.client import ConnState
from protocol.codes import KL_SUBTYPES
from protocol.gateway.sim import SimThread
from tests import hostile
from tests.test_app import make_app as shared_app, wait_until
from workstation.app import FutuTui
from workstation.messages import FillReceived
from workstation.trading.messages import OrderRejected
from workstation.widgets.common import fmt_price, price_digits

pytestmark = pytest.mark.slow
CODES = list(hostile.NAMES)


@pytest.fixture
def sim():
    thread = SimThread(seed=5)
    thread.start()
    hostile.rename_all(thread)
    yield thread
    thread.stop()


def make_app(sim, tmp_path, codes=CODES) -> FutuTui:
    return shared_app(sim, tmp_path, codes)




def settled(app) -> bool:
    """Every row has a name and a price, and no start-up request is still in flight."""
    return app.feed.idle and all(app.store.names.get(c) and not math.isnan(app.store.quote(c).last) for c in CODES)


def notes(seen: list) -> list[str]:
    """Every notification the app raised (Textual posts each as a Notify message)."""
    return [m.notification.message for m in seen if isinstance(m, Notify)]


def plain(text: str) -> bool:
    return not any(ord(ch) < 32 or 0x7F <= ord(ch) <= 0x9F for ch in text)


def row_text(app, code: str) -> str:
    return " ".join(cell.plain for cell in app.watchlist.get_row(code))


def connections(sim) -> frozenset[int]:
    """The simulator's live connections past InitConnect."""
    return sim.call(lambda: frozenset(c for c, s in sim.sim.gateway.sessions.items() if s.initialized))


async def still_live(app, pilot, sim, code: str = "HK.00700") -> None:
    """A push after the hostile ones still reaches the screen: the app neither died nor froze.
    The market is paused first, so no tick of its own can overwrite ours before it is drawn.
    On a starved machine the simulator may cut off an app that read nothing for 10 s; a push sent
    while it reconnects reaches nobody, so the check is made again on the new connection."""
    sim.call(sim.sim.pause)
    for _ in range(3):
        await wait_until(pilot, lambda: app.status.state is ConnState.READY and app.feed.idle, what="READY and settled")
        before = connections(sim)
        price = round(app.store.quote(code).last + 1.5, 1)
        sent = hostile.push(sim, ids.QOT_UPDATE_BASIC_QOT, hostile.quote(code, price))
        shown = fmt_price(price, price_digits(code))
        await wait_until(pilot, lambda: shown in row_text(app, code) or connections(sim) != before,
                         what=f"{code} at {shown} on screen")
        if sent and shown in row_text(app, code):
            return
    raise AssertionError(f"the app lost its connection three times: {code} never showed a pushed price")


async def test_hostile_names_become_one_short_plain_line(sim, tmp_path):
    app = make_app(sim, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: settled(app), what="names and prices")
        for code in CODES:
            name = app.store.names[code]
            assert plain(name) and len(name) <= 64, (code, name[:80])
            assert plain(row_text(app, code))
        assert "]0;pwned Tencent" in app.store.names["HK.00700"]  # the words stay, the escape goes
        assert "[@click=app.quit]" in app.store.names["HK.09988"]  # markup is text, not an action
        await still_live(app, pilot, sim)


async def test_nan_inf_and_huge_prices_and_negative_volumes_are_dropped_whole(sim, tmp_path):
    seen: list = []
    app = make_app(sim, tmp_path)
    code = CODES[0]
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        await wait_until(pilot, lambda: settled(app) and code in app.store.books, what="a priced book")
        sim.call(sim.sim.pause)  # only our pushes move anything from here on
        before = app.store.quote(code).last
        kl_type = KL_SUBTYPES[app.feed.period][1]
        for bad in (hostile.NAN, hostile.INF, 1e308):
            hostile.push(sim, ids.QOT_UPDATE_KL, hostile.kline(code, kl_type, bad))
            hostile.push(sim, ids.QOT_UPDATE_BASIC_QOT, hostile.quote(code, bad))
        hostile.push(sim, ids.QOT_UPDATE_BASIC_QOT, hostile.quote(code, 700.0, hpVolume=hostile.NAN))
        hostile.push(sim, ids.QOT_UPDATE_ORDER_BOOK, hostile.book(code, -10**8))
        await wait_until(pilot, lambda: app.store.rejected >= 8, what="eight pushes dropped")
        assert app.store.quote(code).last == before  # not half-applied
        assert all(level.volume >= 0 for level in app.store.books[code].bids)
        assert all(math.isfinite(bar.close) and bar.close < 1e9 for bar in app.store.bars.get((code, kl_type), []))
        await wait_until(pilot, lambda: any("malformed" in n for n in notes(seen)),
                         what="one warning about the dropped pushes")
        await still_live(app, pilot, sim)
        assert sum("malformed" in n for n in notes(seen)) == 1


async def test_pushes_for_codes_nobody_subscribed_are_not_kept(sim, tmp_path):
    app = make_app(sim, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: settled(app), what="names and prices")
        known = len(app.store.quotes)
        base = app.store.unwanted
        for start in range(100_000, 200_000, 10_000):  # one at a time: a reader that keeps up is never cut off
            hostile.push(sim, ids.QOT_UPDATE_BASIC_QOT, hostile.quotes_for_codes(10_000, start))
            await wait_until(pilot, lambda n=base + start - 90_000: app.store.unwanted >= n, timeout=60, what="the push taken")
        assert len(app.store.quotes) == known and not any(c.startswith("HK.1") for c in app.store.quotes)
        await still_live(app, pilot, sim)


async def test_a_burst_of_fills_is_one_notification(sim, tmp_path):
    seen: list = []
    app = make_app(sim, tmp_path)
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        await wait_until(pilot, lambda: settled(app) and app.trading.ready, what="prices and accounts")
        for n in range(2000):
            hostile.push(sim, ids.TRD_UPDATE_ORDER_FILL, hostile.fill(n))
        await wait_until(pilot, lambda: sum(isinstance(m, FillReceived) for m in seen) == 2000, timeout=60,
                         what="2,000 fills received")
        await wait_until(pilot, lambda: any("fills:" in n for n in notes(seen)), what="the fills summary")
        fill_notes = [n for n in notes(seen) if "fill" in n]
        assert len(fill_notes) <= 5, len(fill_notes)
        await still_live(app, pilot, sim)


async def test_markup_in_a_rejection_is_shown_as_text(sim, tmp_path):
    seen: list = []
    app = make_app(sim, tmp_path)
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        await wait_until(pilot, lambda: settled(app) and app.trading.ready, what="prices and accounts")
        sim.call(sim.sim.faults.reject_next_order, hostile.MARKUP)
        await pilot.press("b")
        await wait_until(pilot, lambda: app.screen.query("#price") and app.screen.query_one("#price").has_focus,
                         what="the order form taking keys")
        await pilot.press("enter")
        await wait_until(pilot, lambda: any(isinstance(m, OrderRejected) for m in seen), what="the rejection")
        await wait_until(pilot, lambda: any("[code=1001]" in n and "[@click=app.quit]" in n for n in notes(seen)),
                         what="the rejection told with its brackets")
        await still_live(app, pilot, sim)
        assert app.is_running


async def test_a_code_with_markup_typed_in_search_is_refused_and_never_saved(sim, tmp_path):
    seen: list = []
    app = make_app(sim, tmp_path)
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        await wait_until(pilot, lambda: settled(app), what="names and prices")
        await pilot.press("a")  # add to the watchlist
        await wait_until(pilot, lambda: bool(app.screen.query("#query")), what="the symbol search")
        await pilot.press(*"HK.[/]", "enter")
        await wait_until(pilot, lambda: any("not a code" in n for n in notes(seen)), what="the refusal")
        await pilot.press("escape")
        await still_live(app, pilot, sim)
        assert "HK.[/]" not in app.watchlist_codes
        assert "[/]" not in (tmp_path / "watchlist.json").read_text()
