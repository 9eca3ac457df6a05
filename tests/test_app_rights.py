"""Pilot tests: the workstation with a real OpenD account's limits (quote rights, OpenD's own
login, quotas), against the simulated OpenD over loopback TCP."""

from __future__ import annotations

import pytest
from textual import events

from protocol import ids
from protocol.codes import SUB_QUOTE
from protocol.gateway.sim import SimThread
from protocol.rights import QuoteRights
from workstation.messages import FeedNotice
from workstation.screens.rights import RightsScreen
from tests.test_app import make_app, priced, text_of, wait_until

pytestmark = pytest.mark.slow


@pytest.fixture
def opend():
    started: list[SimThread] = []

    def start(**settings) -> SimThread:
        runner = SimThread(seed=7, **settings)
        runner.start()
        started.append(runner)
        return runner

    yield start
    for runner in started:
        runner.stop()


def status_text(app) -> str:
    return text_of(app.status, 200)


def warnings(seen) -> list[str]:
    return [m.text for m in seen if isinstance(m, FeedNotice) and m.severity != "information"]


async def test_hk_bmp_rows_are_priced_by_polling_and_change(opend, tmp_path):
    sim = opend(quote_rights=QuoteRights.parse("HK=BMP"), rate=20.0)
    seen: list = []
    app = make_app(sim, tmp_path, codes=["HK.00700", "HK.09988", "US.AAPL"])
    async with app.run_test(size=(160, 45), message_hook=seen.append) as pilot:
        app.feed.rights.poll_every = 0.5  # poll briskly so the test is short (OpenD's limits still hold)
        await wait_until(pilot, lambda: "HK.00700" in app.store.opend.polled and priced(app, "HK.00700"),
                         what="HK.00700 priced from snapshots")
        prices = set()

        def moved() -> bool:
            prices.add(app.store.quotes["HK.00700"].last)
            return len(prices) > 1

        await wait_until(pilot, moved, timeout=30, what="the polled price to change")
        assert priced(app, "US.AAPL")  # US LV2: pushed as before
        app.flush()
        assert app.watchlist.get_row("HK.00700")[1].plain.startswith("≈")  # marked as polled
        assert not any((c, SUB_QUOTE) in app.feed.have for c in ("HK.00700", "HK.09988"))
        assert "HK BMP" in status_text(app)
        assert not warnings(seen)


async def test_us_code_without_right_says_so_once_and_quietly(opend, tmp_path):
    sim = opend(quote_rights=QuoteRights.parse("US=NO"))
    seen: list = []
    app = make_app(sim, tmp_path, codes=["HK.00700", "US.AAPL", "US.MSFT", "SH.600519"])
    async with app.run_test(size=(160, 45), message_hook=seen.append) as pilot:
        await wait_until(pilot, lambda: priced(app, "HK.00700") and priced(app, "SH.600519"), what="HK and CN prices")
        await wait_until(pilot, lambda: app.store.opend.known, what="rights")

        def says() -> bool:
            app.flush()
            return "needs US LV1" in app.watchlist.get_row("US.AAPL")[1].plain

        await wait_until(pilot, says, what="the US row to name the missing right")
        assert "needs US LV1" in app.watchlist.get_row("US.MSFT")[1].plain
        assert not warnings(seen)  # no warning per code and subtype
        assert not any(k[0].startswith("US.") for k in app.feed.want | app.feed.have.keys())


async def test_quote_right_taken_dims_and_resubscribes_when_back(opend, tmp_path):
    sim = opend(rate=5.0)
    app = make_app(sim, tmp_path, codes=["HK.00700", "SH.600519"])
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_until(pilot, lambda: ("HK.00700", SUB_QUOTE) in app.feed.have and priced(app, "HK.00700"),
                         what="HK.00700 subscribed")
        await wait_until(pilot, lambda: "HK LV2" in status_text(app), what="rights in the status bar")
        sim.call(sim.sim.faults.take_quote_right)
        await wait_until(pilot, lambda: "HK BMP" in status_text(app) and "US NO" in status_text(app),
                         what="the status bar to show the fallen rights")
        await wait_until(pilot, lambda: app.book.has_class("-stale"), what="the focused HK panels to dim")
        sim.call(sim.sim.faults.give_back_quote_right)
        await wait_until(pilot, lambda: "HK LV2" in status_text(app), what="the right back")
        held = lambda: sim.call(lambda: sim.sim.quotes.subs.holds  # noqa: E731
                                and any(k[0] == "HK.00700" and k[1] == SUB_QUOTE for k in sim.sim.quotes.subs.holders))
        await wait_until(pilot, held, what="HK.00700 subscribed again on the simulated OpenD")
        seq = app.store.quotes["HK.00700"].seq
        await wait_until(pilot, lambda: app.store.quotes["HK.00700"].seq > seq + 2, what="pushes again")
        await wait_until(pilot, lambda: not app.book.has_class("-stale"), what="the panels to brighten")


async def test_opend_cut_off_from_futu_is_not_ready(opend, tmp_path):
    sim = opend()
    app = make_app(sim, tmp_path, codes=["HK.00700"])
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_until(pilot, lambda: " READY " in status_text(app) and app.store.opend.known, what="READY")
        sim.call(sim.sim.faults.lose_futu)
        await wait_until(pilot, lambda: " READY " not in status_text(app), what="the status bar to drop READY")
        assert "OPEND OFFLINE" in status_text(app) and "lost Futu's servers" in status_text(app)
        await wait_until(pilot, lambda: app.watchlist.has_class("-stale"), what="the watchlist to dim")
        sim.call(sim.sim.faults.regain_futu)
        await wait_until(pilot, lambda: " READY " in status_text(app), what="READY again")


async def test_holding_down_through_20_codes_loads_history_once(opend, tmp_path):
    sim = opend()
    codes = [c for c, i in sim.sim.market.instruments.items() if not i.is_index][:21]
    app = make_app(sim, tmp_path, codes=codes)
    async with app.run_test(size=(160, 45)) as pilot:
        first_kl = app.chart.kl_type
        await wait_until(pilot, lambda: app.feed.has_history(codes[0], first_kl), what="the first code's history")
        await wait_until(pilot, lambda: app.feed.idle, what="start-up requests to finish")
        before = sim.sim.gateway.received.get(ids.QOT_REQUEST_HISTORY_KL, 0)
        # Held down, the key repeats faster than the app draws: the presses queue up, as here.
        for _ in range(20):
            app.post_message(events.Key("down", None))
        await wait_until(pilot, lambda: app.focus_code == codes[20], what="the cursor at the 21st code")
        await wait_until(pilot, lambda: app.feed.has_history(codes[20], first_kl), what="the last code's history")
        asked = sim.sim.gateway.received.get(ids.QOT_REQUEST_HISTORY_KL, 0) - before
        assert 1 <= asked <= 2


async def test_quota_figures_on_screen_equal_the_simulators(opend, tmp_path):
    sim = opend(history_quota=100)
    app = make_app(sim, tmp_path, codes=["HK.00700", "US.AAPL", "HK.800000"])
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_until(pilot, lambda: app.feed.has_history("HK.00700", app.chart.kl_type), what="history")
        await pilot.press("Q")
        await wait_until(pilot, lambda: isinstance(app.screen, RightsScreen), what="the rights screen")

        def agrees() -> bool:
            used = sim.call(sim.sim.opend.history_used)
            subs = sim.call(sim.sim.quotes.subs.used)
            lines = app.screen.lines()
            return (f"history K-line quota: {used} used, {100 - used} left of 100" in lines
                    and f"subscription quota: {subs} used of 300" in lines and used >= 1)

        await wait_until(pilot, agrees, what="the screen's quotas to equal the simulator's")
        assert f"hist {sim.call(sim.sim.opend.history_used)}/100" in status_text(app)
        await pilot.press("escape")
        # an index: history, but no capital flow or distribution (OpenD serves them for stocks only)
        flows = sim.sim.gateway.received.get(ids.QOT_GET_CAPITAL_FLOW, 0)
        app.choose("HK.800000")
        await wait_until(pilot, lambda: app.feed.has_history("HK.800000", app.chart.kl_type), what="index history")
        await wait_until(pilot, lambda: app.feed.idle, what="requests to finish")
        assert sim.sim.gateway.received.get(ids.QOT_GET_CAPITAL_FLOW, 0) == flows


async def test_an_order_on_a_code_with_no_quote_says_why_and_takes_a_typed_price(opend, tmp_path):
    from workstation.screens.order import OrderForm
    from tests.test_trading import received

    sim = opend(quote_rights=QuoteRights.parse("US=NO"))
    app = make_app(sim, tmp_path, codes=["US.AAPL", "HK.00700"])
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_until(pilot, lambda: app.trading.ready and app.store.opend.known and priced(app, "HK.00700"),
                         what="accounts and rights")
        app.choose("US.AAPL")
        await wait_until(pilot, lambda: app.focus_code == "US.AAPL" and app.check_action("order", (1,)),
                         what="US.AAPL focused and tradable")
        before = len(received(sim, ids.TRD_PLACE_ORDER))
        await pilot.press("b")
        await wait_until(pilot, lambda: isinstance(app.screen, OrderForm), what="the order form")
        form = app.screen
        await wait_until(pilot, lambda: "no quote" in text_of(form.query_one("#preview"), 200), what="the reason")
        assert "needs US LV1" in text_of(form.query_one("#preview"), 200)
        assert not form.query_one("#price").value  # nothing prefilled from a price that is not there
        await pilot.press(*"230.5", "enter")
        await wait_until(pilot, lambda: len(received(sim, ids.TRD_PLACE_ORDER)) > before, what="the order sent")
        sent = received(sim, ids.TRD_PLACE_ORDER)[-1]
        assert (sent.code, sent.price) == ("AAPL", 230.5)
