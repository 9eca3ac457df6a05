"""A burst of 10,000 quote pushes over 50 codes: the screen ends exact, steady and bounded."""

from __future__ import annotations

import random
import time

import pytest

from protocol import ids
from protocol.client import OpenDClient
from protocol.codes import security
from protocol.gateway.sim import SimThread
from protocol.proto import GetGlobalState_pb2, Qot_Common_pb2, Qot_UpdateBasicQot_pb2
from tests.test_app import wait_until
from workstation.app import FutuTui
from workstation.config import Config, Watchlist as WatchlistFile
from workstation.journal import Journal
from workstation.widgets.common import fmt_price, price_digits

pytestmark = pytest.mark.slow
PUSHES = 10_000
FLUSH_HZ = 10.0


def burst(sim, codes: list[str], seed: int = 5) -> dict[str, float]:
    """Runs on the simulator's loop: push PUSHES quotes round-robin to every session."""
    rng = random.Random(seed)
    final: dict[str, float] = {}
    prices = {c: sim.market.last_price(c) for c in codes}
    sessions = [s for s in sim.gateway.sessions.values() if s.initialized]
    for i in range(PUSHES):
        code = codes[i % len(codes)]
        prices[code] = round(max(1.0, prices[code] + rng.choice((-0.05, 0.05))), 2)
        market, symbol = security(code)
        resp = Qot_UpdateBasicQot_pb2.Response(retType=0)
        resp.s2c.basicQotList.add(
            security=Qot_Common_pb2.Security(market=market, code=symbol), isSuspended=False, listTime="2000-01-01",
            priceSpread=0.01, updateTime="2026-11-20 10:00:00.000", highPrice=prices[code], openPrice=prices[code],
            lowPrice=prices[code], curPrice=prices[code], lastClosePrice=prices[code], volume=i, turnover=i,
            turnoverRate=0, amplitude=0,
        )
        for session in sessions:
            session.push(ids.QOT_UPDATE_BASIC_QOT, resp)
        final[code] = prices[code]
    return final


async def quiet(pilot, app: FutuTui) -> None:
    """No reply or first push still on its way that could overwrite a pushed price: every wanted
    subscription is answered, and a request sent now is answered after everything the app sent
    before it (the name and quote load among them) on the same connection."""
    feed = app.feed
    await wait_until(pilot, lambda: feed.want <= feed.have.keys() | feed.failed, what="every subscription answered")
    await feed.client.request(ids.GET_GLOBAL_STATE, GetGlobalState_pb2.C2S(userID=0))


async def test_burst_ends_on_the_last_price_without_moving_the_cursor(tmp_path):
    thread = SimThread(seed=11)
    thread.start()
    try:
        thread.call(thread.sim.pause)  # only our pushes move prices from here on
        codes = [c for c, inst in thread.sim.market.instruments.items()][:50]
        assert len(codes) == 50, "the simulated universe has at least 50 instruments"
        wl = WatchlistFile(tmp_path / "watchlist.json")
        wl.save(codes)
        port = thread.sim.port
        app = FutuTui(Config(port=port, flush_hz=FLUSH_HZ), lambda: OpenDClient("127.0.0.1", port), watchlist_file=wl,
                      journal=Journal(tmp_path))
        async with app.run_test(size=(160, 45)) as pilot:
            await wait_until(pilot, lambda: app.feed.client.ready and len(app.feed.have) >= 100, what="subscriptions")
            await wait_until(pilot, lambda: all(app.store.names.get(c) for c in codes), what="names loaded")
            app.watchlist.focus()
            app.watchlist.move_cursor(row=7)
            await wait_until(pilot, lambda: app.focus_code == app.watchlist.current_key == app.chart.code,
                             what="book, tape and chart on row 7")
            await quiet(pilot, app)
            cursor = app.watchlist.cursor_row
            flushes_before, t0 = app.watchlist.flushes, time.monotonic()
            final = thread.call(burst, thread.sim, codes)
            await wait_until(pilot, lambda: all(app.store.quotes[c].last == p for c, p in final.items()),
                             timeout=30, what="the last pushed price of every code in the store")
            digits = {c: price_digits(c, app.store.opend.sec_types.get(c, 0)) for c in codes}  # indices: 2
            await wait_until(pilot, lambda: all(app.watchlist.get_row(c)[2].plain == fmt_price(p, digits[c])
                                                for c, p in final.items()), what="the last prices painted")
            elapsed = time.monotonic() - t0
            for code, price in final.items():
                shown = app.watchlist.get_row(code)[2].plain
                assert shown == fmt_price(price, digits[code]), (code, shown, price)
            assert app.watchlist.cursor_row == cursor
            refreshes = app.watchlist.flushes - flushes_before
            assert refreshes <= elapsed * FLUSH_HZ + 2, (refreshes, elapsed)
    finally:
        thread.stop()
