"""The account tables as a trader reads them: columns that fit the width by priority, market
and stop orders priced as such, positions and funds marked to market from the quotes and
reconciled with OpenD's figures, the sub-tab and sideways keys (and help listing them).

The real app against the real simulator (paused: prices move only when a test pushes one)."""

from __future__ import annotations

import io
import math
import time

import pytest
from rich.cells import cell_len
from rich.console import Console
from textual.widgets import Static, TabbedContent

from protocol import ids
from protocol.gateway.sim import SimThread
from protocol.proto import Trd_Common_pb2
from protocol.trade import OrderType, Side
from tests.hostile import push, quote
from tests.test_app import make_app, priced, wait_until
from workstation.account_rows import position_row
from workstation.orders import Ticket, nudge_price
from workstation.screens.help import HelpScreen
from workstation.store import Store
from workstation.trading.messages import OrderSent

pytestmark = pytest.mark.slow
CODE = "HK.00700"
START = 1_795_660_200.0  # 2026-11-26 10:30 in Hong Kong: a Thursday morning session
SUBMITTED = 5
ORDER_FIELDS = ["time", "code", "side", "type", "qty", "price", "trigger", "filled", "status"]
POSITION_FIELDS = ["code", "qty", "avg", "last", "value", "pl", "plr", "today", "ccy"]


@pytest.fixture
def sim():
    thread = SimThread(seed=7, start=START, paused=True)
    thread.start()
    yield thread
    thread.stop()


async def ready(pilot, app) -> None:
    await wait_until(pilot, lambda: app.feed.trading.accounts.all and priced(app, CODE)
                     and not math.isnan(app.store.quotes[CODE].ask) and not math.isnan(app.store.funds.cash),
                     what="account, funds and a quote")


async def place(pilot, app, **fields) -> str:
    acc = app.feed.trading.accounts.account_for(CODE)
    outcome = await app.feed.trading.desk.place(Ticket(code=CODE, qty=100.0, acc_id=acc.acc_id, **fields))
    assert isinstance(outcome, OrderSent), outcome.text
    await wait_until(pilot, lambda: outcome.order_id in app.account.orders.keys, what="the order's row")
    return outcome.order_id


async def three_orders(pilot, app) -> tuple[str, str, str]:
    """A market buy that fills (a position), a resting limit buy, a stop sell under the market."""
    q = app.store.quote(CODE)
    market = await place(pilot, app, side=Side.BUY, order_type=OrderType.MARKET)
    await wait_until(pilot, lambda: CODE in app.store.positions, what="the position")
    limit = await place(pilot, app, side=Side.BUY, price=nudge_price(CODE, q.bid, -20))
    stop = await place(pilot, app, side=Side.SELL, order_type=OrderType.STOP, aux_price=nudge_price(CODE, q.bid, -10))
    return market, limit, stop


def drawn_exactly(table) -> bool:
    """Every line on screen is exactly the table's width (a longer one spills over the panels beside it)."""
    return all(sum(cell_len(seg.text) for seg in table.render_line(y)) == table.size.width
               for y in range(table.size.height))


def widths_fit(table) -> bool:
    """Each column as wide as its widest cell (up to its cap), shown or not: a hidden tab's
    table is drawn at once from these when it is shown."""
    return all(col.width >= min(col.max_width, max((cell_len(table.get_cell(k, col.key).plain) for k in table.keys),
                                                   default=0)) for col in table.columns)


def screen_line(table, key: str) -> str:
    """The row as drawn on screen, cut to the table's width (no sideways scrolling)."""
    return table.line_text(1 + table.get_row_index(key) - table.scroll_offset.y)


async def test_orders_fit_120_columns_keys_move_between_tabs_and_help_lists_them(sim, tmp_path):
    app = make_app(sim, tmp_path, codes=[CODE])
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        market, limit, stop = await three_orders(pilot, app)
        await pilot.press("4")
        orders = app.account.orders
        await wait_until(pilot, lambda: app.store.orders[limit].status == SUBMITTED, what="the limit order resting")
        await pilot.pause()
        assert set(ORDER_FIELDS) <= set(orders.fitted_keys)  # time to status, without scrolling
        header = orders.line_text(0)
        for label in ("Time", "Code", "Side", "Type", "Qty", "Price", "Trigger", "Filled", "Status"):
            assert label in header
        limit_line = screen_line(orders, limit)
        o = app.store.orders[limit]
        assert f"{o.price:,.3f}" in limit_line and "SUBMITTED" in limit_line and "LIMIT" in limit_line
        market_line = screen_line(orders, market)
        assert "MKT" in market_line and "FILLED_ALL" in market_line and "0.000" not in market_line
        stop_line = screen_line(orders, stop)
        s = app.store.orders[stop]
        assert "MKT" in stop_line and f"{s.aux_price:,.3f}" in stop_line and "0.000" not in stop_line
        assert stop not in stop_line  # the long ID gave way to the columns that matter

        # Sub-tabs: ] and [ (focus follows, so the keys go on working); < and > scroll sideways.
        tabs = app.query_one("#account-tabs", TabbedContent)
        await pilot.press("right_square_bracket", "right_square_bracket")
        await wait_until(pilot, lambda: tabs.active == "tab-positions", what="the positions tab")
        positions = app.account.positions
        await wait_until(pilot, lambda: CODE in positions.keys, what="the position row")
        assert set(POSITION_FIELDS) <= set(positions.fitted_keys)
        assert "HKD" in screen_line(positions, CODE)
        funds = app.account.funds
        assert funds.row_count and widths_fit(funds), "the hidden funds table's widths follow its rows"
        await pilot.press("right_square_bracket")
        await wait_until(pilot, lambda: tabs.active == "tab-funds", what="the funds tab")
        funds = app.account.funds
        assert drawn_exactly(funds) and drawn_exactly(positions) and drawn_exactly(orders)
        cash = app.store.funds.cash
        assert any(f"{cash:,.2f}" in funds.line_text(y) for y in range(1, 10)), "money exact, not 1.00M"
        await pilot.press("right_square_bracket")
        await wait_until(pilot, lambda: tabs.active == "tab-orders", what="round to the orders tab")
        await pilot.press("left_square_bracket")
        await wait_until(pilot, lambda: tabs.active == "tab-funds", what="back to funds")
        await pilot.press("left_square_bracket", "left_square_bracket", "left_square_bracket")
        await wait_until(pilot, lambda: tabs.active == "tab-orders", what="back to orders")

        # 200 columns: more columns, most of the order ID (the remark takes the rest); 80 columns: the important ones, then scroll.
        await pilot.resize_terminal(200, 60)
        await wait_until(pilot, lambda: "id" in orders.fitted_keys and stop[-20:] in screen_line(orders, stop),
                         what="the order ID's last 20 characters at 200 columns")
        await pilot.resize_terminal(80, 24)
        await pilot.press("4")
        await wait_until(pilot, lambda: "id" not in orders.fitted_keys, what="fewer columns at 80")
        for key in ("code", "side", "qty", "price", "status"):
            assert key in orders.fitted_keys
        line = screen_line(orders, limit)
        assert "SUBMITTED" in line and f"{o.price:,.3f}" in line
        orders.focus()
        await pilot.press("greater_than_sign")
        await wait_until(pilot, lambda: orders.scroll_offset.x > 0, what="scrolled a column right")
        await pilot.press("less_than_sign")
        await wait_until(pilot, lambda: orders.scroll_offset.x == 0, what="scrolled back")

        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen), what="help")
        console = Console(width=100, record=True, file=io.StringIO())
        console.print(app.screen.query_one(Static).content)
        text = console.export_text()
        for words in ("Next account tab", "Previous account tab", "Scroll columns right", "Scroll columns left"):
            assert words in text
        assert "]" in text and "[" in text


async def test_pnl_follows_the_quote_and_is_reconciled_and_frozen_cash_follows_a_cancel(sim, tmp_path):
    app = make_app(sim, tmp_path, codes=[CODE])
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await place(pilot, app, side=Side.BUY, order_type=OrderType.MARKET)
        await wait_until(pilot, lambda: CODE in app.store.positions, what="the position")
        p = app.store.positions[CODE]
        acc = app.feed.trading.accounts.account_for(CODE)
        sim_view = sim.call(lambda: next(v for v in sim.sim.broker.positions(acc.acc_id) if v.position.code == CODE))
        assert p.today_pl == pytest.approx(sim_view.today_pl, abs=0.01), "OpenD's td_plVal, served by the sim"
        assert not math.isnan(p.avg_cost) and p.pl_val == pytest.approx((p.price - p.avg_cost) * p.qty, abs=0.01)
        await pilot.press("4", "right_square_bracket", "right_square_bracket")
        table = app.account.positions
        await wait_until(pilot, lambda: CODE in table.keys, what="the position row")
        total0, today0, last0 = app.store.funds.total_assets, p.today_pl, p.price

        moved = round(last0 + 5.0, 3)
        push(sim, ids.QOT_UPDATE_BASIC_QOT, quote(CODE, moved, lastClosePrice=app.store.quotes[CODE].prev_close))
        await wait_until(pilot, lambda: app.store.positions[CODE].price == moved, what="the position marked")
        p = app.store.positions[CODE]
        assert p.value == pytest.approx(moved * p.qty)
        assert p.pl_val == pytest.approx((moved - p.avg_cost) * p.qty, abs=0.01)
        assert p.pl_ratio == pytest.approx((moved - p.avg_cost) / p.avg_cost, rel=1e-6)
        assert p.today_pl == pytest.approx(today0 + 5.0 * p.qty, abs=0.01)
        assert app.store.funds.total_assets == pytest.approx(total0 + 5.0 * p.qty, abs=0.01)
        await wait_until(pilot, lambda: f"{moved:,.3f}" in screen_line(table, CODE)
                         and f"{p.pl_val:,.2f}" in screen_line(table, CODE), what="the row redrawn")

        # Re-read: OpenD's own figures (the sim's price never moved) replace the marks.
        await app.feed.trading.book.refresh()
        await wait_until(pilot, lambda: app.store.positions[CODE].read_price == last0, what="reconciled")
        assert app.store.funds.read_total == pytest.approx(total0, abs=0.01)

        # Frozen cash: a resting order freezes, a cancel frees it promptly (no fill needed).
        q = app.store.quote(CODE)
        order_id = await place(pilot, app, side=Side.BUY, price=nudge_price(CODE, q.bid, -20))
        await wait_until(pilot, lambda: app.store.funds.frozen_cash > 0, what="cash frozen")
        start = time.monotonic()
        await app.feed.trading.desk.cancel(order_id)
        await wait_until(pilot, lambda: app.store.funds.frozen_cash == 0, what="frozen cash freed")
        assert time.monotonic() - start < 5.0

        # The universal REAL account holds HKD, USD and CNH: totals in HKD at the rates OpenD's
        # own figures give, and a column per currency.
        await pilot.press("E")
        await wait_until(pilot, lambda: set(app.store.funds.rates) == {"HKD", "USD", "CNH"}, what="the rates")
        assert app.store.funds.rates["USD"] == pytest.approx(7.8) and app.store.funds.rates["CNH"] == pytest.approx(1.08)
        await pilot.press("4", "right_square_bracket", "right_square_bracket", "right_square_bracket")
        funds = app.account.funds
        await wait_until(pilot, lambda: "Total HKD" in funds.line_text(0) and "USD" in funds.line_text(0),
                         what="a column per currency")
        usd_cash = app.store.funds.cash_by["USD"][0]
        assert any(f"{usd_cash:,.2f}" in funds.line_text(y) for y in range(1, 12))


def test_untrusted_position_figures_read_as_dashes_not_crashes():
    """NaN P&L, a huge value, an unknown currency and markup in the name: the row still shows."""
    pos = Trd_Common_pb2.Position(
        positionID=1, positionSide=0, code="00700", name="[bold]x[/] \x1b[2J", qty=100, canSellQty=100, price=600.0,
        val=1e300, plVal=math.nan, secMarket=1, currency=999, averageCostPrice=math.inf, td_plVal=math.nan)
    row = position_row(pos, 1)
    assert row.code == "HK.00700" and row.currency == "HKD" and "\x1b" not in row.name
    assert row.value == pytest.approx(60_000.0) and math.isnan(row.diluted_pl) and math.isnan(row.avg_cost)
    assert math.isnan(row.pl_ratio) and math.isnan(row.today_pl)
    store = Store()
    store.set_positions([(1, pos)])
    store.quote(CODE).last = math.nan  # a quote without a price marks nothing
    assert not store.mark_account({CODE})
    store.quote(CODE).last = 610.0
    assert store.mark_account({CODE}) and store.positions[CODE].value == pytest.approx(61_000.0)
