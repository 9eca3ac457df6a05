"""The workstation driven through Pilot against the real simulator over loopback TCP."""

from __future__ import annotations

import math
import time

import pytest

from protocol import ids
from protocol.client import ConnState, OpenDClient
from protocol.gateway.sim import SimThread
from protocol.proto import GetGlobalState_pb2
from workstation.app import FutuTui
from workstation.config import Config, Watchlist as WatchlistFile
from workstation.journal import Journal
from workstation.screens.order import OrderForm
from workstation.screens.help import HelpScreen
from workstation.screens.symbol import SymbolSearch
from workstation.widgets.common import price_styles

pytestmark = pytest.mark.slow
CODES = ["HK.00700", "HK.09988", "US.AAPL", "SH.600519", "SZ.000001"]


@pytest.fixture(scope="module")
def sim():
    thread = SimThread(seed=7)
    thread.start()
    yield thread
    thread.stop()


def make_app(sim, tmp_path, codes=CODES, prefs=None, **settings) -> FutuTui:
    """The app against `sim` (a SimThread), its files in tmp_path; the watchlist file is
    written only if absent (a restarted app keeps what the last one saved)."""
    wl = WatchlistFile(tmp_path / "watchlist.json")
    if not wl.path.exists():
        wl.save(codes)
    port = sim.sim.port
    return FutuTui(Config(port=port, **settings), lambda: OpenDClient("127.0.0.1", port), watchlist_file=wl,
                   journal=Journal(tmp_path), prefs=prefs)


async def wait_until(pilot, predicate, timeout: float = 45.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause()  # until the app is idle: messages handled, the screen refreshed


def text_of(widget, width: int = 100) -> str:
    """The plain text a Static shows (its content rendered as a terminal would)."""
    from rich.console import Console

    console = Console(width=width, record=True, file=open("/dev/null", "w"))
    console.print(widget.content)
    return console.export_text()


def has_row(table, key: str) -> bool:
    try:
        table.get_row_index(key)
    except KeyError:
        return False
    return True


def priced(app, code) -> bool:
    q = app.store.quotes.get(code)
    return q is not None and not math.isnan(q.last)


async def test_every_panel_fills_and_keeps_changing(sim, tmp_path):
    app = make_app(sim, tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_until(pilot, lambda: all(priced(app, c) for c in CODES), what="prices for every row")
        code = app.focus_code
        assert code == "HK.00700"
        await wait_until(pilot, lambda: len(app.store.books.get(code, ()).bids if code in app.store.books else ()) == 10,
                         what="a 10-level book")
        await wait_until(pilot, lambda: len(app.store.tapes.get(code, ())) > 3, what="trades on the tape")
        await wait_until(pilot, lambda: len(app.chart.visible_bars) > 20, what="history bars on the chart")
        await wait_until(pilot, lambda: code in app.store.flows and code in app.store.dists, what="capital flow")
        await wait_until(pilot, lambda: not math.isnan(app.store.funds.cash), what="account funds")
        # What is on screen, not just in the store.
        row = app.watchlist.get_row("HK.00700")
        app.flush()
        row = app.watchlist.get_row("HK.00700")
        assert row[2].plain == f"{app.store.quotes['HK.00700'].last:,.3f}"  # the Last cell shows the latest price
        book_text = app.book.lines_text()  # the lines on screen
        assert "A10" in book_text and "B10" in book_text and "spr" in book_text
        wl_line = app.watchlist.line_text(1 + app.watchlist.get_row_index("HK.00700"))
        assert f"{app.store.quotes['HK.00700'].last:,.3f}" in wl_line and "HK.00700" in wl_line
        assert app.chart.border_title.startswith("HK.00700")
        # Alive: prices, the book and the tape move on their own.
        seq, tape_len = app.store.quotes[code].seq, app.store.tapes[code][-1].seq
        book = app.store.books[code]
        await wait_until(pilot, lambda: app.store.quotes[code].seq > seq, what="a new quote")
        await wait_until(pilot, lambda: app.store.tapes[code][-1].seq > tape_len, what="a new trade")
        await wait_until(pilot, lambda: app.store.books[code] is not book, what="a new book")
        assert app.status.state is ConnState.READY


async def test_switching_symbol_moves_book_tape_chart_and_flow(sim, tmp_path):
    app = make_app(sim, tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_until(pilot, lambda: app.focus_code == "HK.00700" and len(app.chart.visible_bars) > 5)
        app.watchlist.focus()
        await pilot.press("down")
        await wait_until(pilot, lambda: app.focus_code == "HK.09988", what="the second row to take focus")
        new = "HK.09988"
        assert app.book.code == app.tape.code == new  # at once; the chart and flow once the cursor rests
        await wait_until(pilot, lambda: app.chart.code == app.flow.code == new, what="the chart and flow following")
        await wait_until(pilot, lambda: new in app.store.books and len(app.store.tapes.get(new, ())) > 0)
        await wait_until(pilot, lambda: len(app.chart.visible_bars) > 5 and app.chart.border_title.startswith(new))
        await wait_until(pilot, lambda: new in app.store.flows)
        assert new in app.book.border_title and new in app.tape.border_title and new in app.flow.border_title


async def test_switching_period_changes_the_bars(sim, tmp_path):
    app = make_app(sim, tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_until(pilot, lambda: len(app.chart.visible_bars) > 20, what="daily bars")
        day_bars = list(app.chart.visible_bars)
        assert app.chart.period == "day"
        app.chart.focus()
        await pilot.press("]")
        assert app.chart.period == "week"
        await wait_until(pilot, lambda: app.chart.visible_bars and app.chart.visible_bars[-1].time != day_bars[-1].time
                         or (len(app.chart.visible_bars) > 5 and app.chart.visible_bars[0].time != day_bars[0].time),
                         what="weekly bars")
        await pilot.press("[", "[")
        assert app.chart.period == "60m"
        await wait_until(pilot, lambda: len(app.chart.visible_bars) > 5 and ":" in app.chart.visible_bars[-1].time[11:],
                         what="hourly bars")


async def test_theme_and_convention_change_the_up_tick_colour(sim, tmp_path):
    app = make_app(sim, tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_until(pilot, lambda: priced(app, "HK.00700"))
        up_hk = price_styles(app)[0]
        await pilot.press("u")
        up_us = price_styles(app)[0]
        assert app.convention == "green-up" and up_us != up_hk
        assert up_us == app.current_theme.variables["price-up"]
        await pilot.press("t")
        assert app.palette == "light" and price_styles(app)[0] not in (up_hk, up_us)
        # A cell that shows an up move is painted with the new colour.
        q = app.store.quotes["HK.00700"]
        q.prev_close = q.last - 1
        app.watchlist.refresh_codes(["HK.00700"])
        cell = app.watchlist.get_row("HK.00700")[3]
        assert price_styles(app)[0] in str(cell.style)


async def test_watchlist_edits_survive_a_restart(sim, tmp_path):
    app = make_app(sim, tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_until(pilot, lambda: app.feed.client.ready)
        app.watchlist.focus()
        app.watchlist.move_cursor(row=CODES.index("US.AAPL"))
        await pilot.press("x")
        assert "US.AAPL" not in app.watchlist_codes
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, SymbolSearch), what="the add-symbol screen")
        await pilot.press(*"TSLA")
        await pilot.press("enter")
        await wait_until(pilot, lambda: "US.TSLA" in app.watchlist_codes, what="US.TSLA added")
        await wait_until(pilot, lambda: priced(app, "US.TSLA"), what="a price for the new row")
    again = make_app(sim, tmp_path)
    async with again.run_test(size=(160, 45)):
        assert "US.TSLA" in again.watchlist_codes and "US.AAPL" not in again.watchlist_codes
        assert again.watchlist.codes == again.watchlist_codes


async def test_help_lists_the_bindings(sim, tmp_path):
    app = make_app(sim, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = text_of(app.screen.query_one("Static"))
        for words in ("Symbol", "Next period", "Sort", "Theme"):
            assert words in text
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_small_terminal_collapses_panels_into_tabs(sim, tmp_path):
    app = make_app(sim, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: priced(app, "HK.00700"))
        assert app.narrow
        assert app.watchlist.display and not app.book.display
        await pilot.press("3")
        assert app.active_panel == "book" and app.book.display and not app.watchlist.display
        await wait_until(pilot, lambda: "B1" in text_of(app.book), what="the book drawn when shown")


async def test_unreachable_opend_opens_explains_and_offers_the_simulator(tmp_path):
    spare = SimThread(seed=3)
    wl = WatchlistFile(tmp_path / "watchlist.json")
    wl.save(["HK.00700"])
    app = FutuTui(Config(port=1), lambda: OpenDClient("127.0.0.1", 1, connect_timeout=1),
                  watchlist_file=wl, start_sim=spare.start, journal=Journal(tmp_path))
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_until(pilot, lambda: app.status.state is ConnState.LOST, what="the outage to show")
            assert "cannot reach OpenD at 127.0.0.1:1" in app.status.reason
            await pilot.press("S")
            await wait_until(pilot, lambda: priced(app, "HK.00700"), what="prices from the simulator")
    finally:
        spare.stop()


async def test_import_a_futu_watchlist_group(sim, tmp_path):
    app = make_app(sim, tmp_path, codes=["HK.00700"])
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.feed.client.ready)
        name, codes = "Banks", ["HK.00005", "HK.00939", "SH.600036", "SZ.000001"]
        app.watchlist.focus()
        await pilot.press("g")
        await wait_until(pilot, lambda: isinstance(app.screen, SymbolSearch), what="the group picker")
        await pilot.press(*name)
        await pilot.press("enter")
        await wait_until(pilot, lambda: all(c in app.watchlist_codes for c in codes), what="the group's codes added")
        assert app.watchlist_codes.count("HK.00700") == 1
        assert WatchlistFile(tmp_path / "watchlist.json").load() == app.watchlist_codes


async def test_an_unknown_code_does_not_keep_the_others_dark(sim, tmp_path):
    app = make_app(sim, tmp_path, codes=["HK.00700", "HK.99999", "US.AAPL"])
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: priced(app, "HK.00700") and priced(app, "US.AAPL"), what="the known codes priced")
        await wait_until(pilot, lambda: ("HK.99999", 1) in app.feed.failed, what="the unknown code refused")
        assert not priced(app, "HK.99999")
        assert app.watchlist.get_row("HK.99999")[2].plain == "-"


async def test_b_then_enter_places_an_order_that_shows_in_the_orders_tab(sim, tmp_path):
    app = make_app(sim, tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_until(pilot, lambda: app.feed.trading.accounts.all and priced(app, "HK.00700")
                         and not math.isnan(app.store.quotes["HK.00700"].ask), what="account and quote")
        before = set(app.store.orders)
        app.watchlist.focus()
        await pilot.press("b")
        await wait_until(pilot, lambda: isinstance(app.screen, OrderForm), what="the order form")
        form = app.screen
        assert form.ticket.code == "HK.00700" and form.ticket.qty == 100
        assert form.query_one("#price").value  # prefilled with the best ask
        await pilot.press("enter")
        await wait_until(pilot, lambda: set(app.store.orders) - before, what="the order in the store")
        order = app.store.orders[(set(app.store.orders) - before).pop()]
        assert order.code == "HK.00700" and order.side == 1 and order.qty == 100
        await wait_until(pilot, lambda: has_row(app.account.orders, order.order_id), what="the order in the orders tab")
        lines = (tmp_path / "orders.jsonl").read_text().splitlines()
        assert len(lines) == 2 and '"intent"' in lines[0] and order.order_id in lines[1]


def orders_received(sim) -> int:
    """Place-order requests the simulated OpenD has received so far (refused ones too)."""
    return sim.call(lambda: sum(1 for pid, _ in sim.sim.trade.received if pid == ids.TRD_PLACE_ORDER))


async def test_an_invalid_order_shows_why_and_sends_nothing(sim, tmp_path):
    app = make_app(sim, tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_until(pilot, lambda: app.feed.trading.accounts.all and priced(app, "HK.00700"), what="account and quote")
        placed = orders_received(sim)  # the module's simulator may have taken orders from other tests
        app.watchlist.focus()
        await pilot.press("b")
        await wait_until(pilot, lambda: isinstance(app.screen, OrderForm), what="the order form")
        form = app.screen
        qty = form.query_one("#qty")
        qty.value = "150"
        qty.focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: form.problems, what="the form's verdict")
        assert app.screen is form, "the form stays open"
        assert any("lot" in p.message for p in form.problems)
        assert qty.has_class("-invalid")
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, OrderForm), what="the form closed")
        # Barrier: no order worker is left, and a request sent now is answered after any the app
        # sent before it on the same connection.
        await wait_until(pilot, lambda: not [w for w in app.workers if w.group == "orders" and not w.is_finished],
                         what="no order worker running")
        await app.feed.client.request(ids.GET_GLOBAL_STATE, GetGlobalState_pb2.C2S(userID=0))
        assert orders_received(sim) == placed, "the simulated OpenD received an order"
        assert not (tmp_path / "orders.jsonl").exists() or not (tmp_path / "orders.jsonl").read_text()
