"""The watchlist's columns follow its rows' data however the first data reaches them.

On a loaded machine the first quotes can reach the rows through a repaint (OpenD's quote
rights changed, a theme change) before any flush: the columns chosen from the placeholder
rows (every one at its label's width) must be chosen again, or prices show as `610…`."""

from __future__ import annotations

from textual.app import App

from protocol.gateway import quote_msgs as qm
from protocol.gateway.market import Market
from workstation.store import Store
from workstation.widgets.watchlist import Watchlist

CODES = ["HK.00700", "HK.09988", "HK.03690", "US.AAPL", "US.NVDA", "SH.600519", "SZ.300750"]


class OneWatchlist(App):
    def __init__(self, store: Store) -> None:
        super().__init__()
        self.store = store

    def compose(self):
        yield Watchlist(self.store)


async def test_a_repaint_that_brings_the_first_data_fits_the_columns_to_it():
    store = Store()
    app = OneWatchlist(store)
    async with app.run_test(size=(60, 20)) as pilot:
        wl = app.query_one(Watchlist)
        wl.set_codes(CODES)
        await pilot.pause()
        before = {c.key: c.width for c in wl.columns}
        assert before["last"] == len("Last")  # placeholders: every column at its label's width
        market = Market(seed=7)
        store.apply_basic_qots([qm.basic_qot(market.instruments[c], market.quote(c)) for c in CODES])
        wl.repaint_all()  # before any refresh of the rows
        await pilot.pause()
        row = wl.line_text(1 + wl.get_row_index("HK.00700"))
        q = store.quotes["HK.00700"]
        assert f"{q.last:,.3f}" in row and q.name in row, row
        assert "…" not in row, row
