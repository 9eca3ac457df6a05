"""Layout snapshots of the orders and positions tabs at 80x24, 120x40 and 200x60: a market buy
(filled: a position), a resting limit buy and a stop sell, on a paused market at a fixed instant.

Regenerate after an intended layout change with
`pytest tests/test_account_snapshots.py --snapshot-update` and look at the SVGs."""

from __future__ import annotations

import pytest

from protocol.client import OpenDClient
from protocol.gateway.sim import SimThread
from protocol.trade import OrderType, Side
from tests.test_account_tables import ready
from tests.test_app import wait_until
from tests.test_snapshots import still_screen
from workstation.app import FutuTui
from workstation.config import Config, Watchlist as WatchlistFile
from workstation.journal import Journal
from workstation.orders import Ticket, nudge_price
from workstation.trading.messages import OrderSent

pytestmark = pytest.mark.snapshot
START = 1_795_660_200.0  # 2026-11-26 10:30 in Hong Kong: a Thursday morning session
CODE = "HK.00700"


@pytest.fixture
def frozen_sim():
    thread = SimThread(seed=7, start=START, paused=True)
    thread.start()
    yield thread
    thread.stop()


@pytest.mark.parametrize("tab", ["orders", "positions"])
@pytest.mark.parametrize("size", [(80, 24), (120, 40), (200, 60)], ids=["80x24", "120x40", "200x60"])
def test_account_tab(size, tab, frozen_sim, tmp_path, snap_compare):
    wl = WatchlistFile(tmp_path / "watchlist.json")
    wl.save([CODE])
    port = frozen_sim.sim.port
    app = FutuTui(Config(port=port), lambda: OpenDClient("127.0.0.1", port), watchlist_file=wl,
                  journal=Journal(tmp_path))

    async def settle(pilot) -> None:
        await ready(pilot, app)
        q = app.store.quote(CODE)
        acc = app.feed.trading.accounts.account_for(CODE)
        sent = []
        for fields in (dict(side=Side.BUY, order_type=OrderType.MARKET),
                       dict(side=Side.BUY, price=nudge_price(CODE, q.bid, -20)),
                       dict(side=Side.SELL, order_type=OrderType.STOP, aux_price=nudge_price(CODE, q.bid, -10))):
            outcome = await app.feed.trading.desk.place(Ticket(code=CODE, qty=100.0, acc_id=acc.acc_id, **fields))
            assert isinstance(outcome, OrderSent), outcome.text
            sent.append(outcome.order_id)
            # The cursor lands on the first row a shown table gets and stays on that order as
            # newer ones come in above it: orders reaching one repaint together (a loaded
            # machine) would put it on another row. A hidden table (80x24) gets all at once.
            await wait_until(pilot, lambda: sent[-1] in app.store.orders and (
                not app.is_visible("account") or sent[-1] in app.account.orders.keys), what="the order's row")
        await wait_until(pilot, lambda: CODE in app.store.positions and app.store.orders[sent[1]].status == 5,
                         what="the position and the resting limit order")
        await app.feed.trading.book.refresh()  # the funds and positions after all three
        await pilot.press("4")
        if tab == "positions":
            await pilot.press("right_square_bracket", "right_square_bracket")
        await still_screen(pilot, app)

    assert snap_compare(app, terminal_size=size, run_before=settle)
