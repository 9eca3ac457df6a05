"""The quote detail (`d`) through the real app against the simulated OpenD: the snapshot's
figures for an HK and a US code, figures that move with a pushed quote, and the
short-interest history paged with next_key; then a hostile OpenD's replies."""

from __future__ import annotations

import math
import re

import pytest

from protocol import ids
from protocol.gateway.server import ServiceError
from protocol.gateway.sim import SimThread
from tests import hostile
from tests.test_app import make_app, priced, wait_until
from workstation.screens import detail
from workstation.screens.detail import QuoteDetail
from workstation.widgets.common import fmt_big

pytestmark = pytest.mark.slow
LABELS = ("Open", "High", "Low", "Prev close", "Amplitude", "VWAP", "Volume", "Turnover", "Turnover rate",
          "52w high", "52w low", "Lot size", "Market cap", "P/E", "P/E TTM")


def value_of(text: str, label: str) -> str:
    """The value shown right of `label` ("Turnover" must not match "Turnover rate")."""
    m = re.search(rf"(?:^|\s){re.escape(label)}\s+(\S+)", text, re.M)
    assert m, f"{label} not on screen:\n{text}"
    return m.group(1)


async def open_detail(pilot, app) -> QuoteDetail:
    await pilot.press("d")
    screen = app.screen
    assert isinstance(screen, QuoteDetail) and screen.code == app.focus_code
    await wait_until(pilot, lambda: screen.snap is not None and screen.pages >= 1, what="snapshot and first page")
    return screen


async def test_detail_shows_hk_figures_follows_the_quote_and_pages_older_short_interest(tmp_path, monkeypatch):
    monkeypatch.setattr(detail, "SNAPSHOT_EVERY", 1.0)
    thread = SimThread(seed=5)
    thread.start()
    try:
        app = make_app(thread, tmp_path, codes=["HK.00700"])
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_until(pilot, lambda: priced(app, "HK.00700"), what="HK.00700 priced")
            screen = await open_detail(pilot, app)
            text = screen.text()
            for label in LABELS:
                assert value_of(text, label) != "-", f"{label} empty:\n{text}"
            assert value_of(text, "Lot size") == "100" and "HK short positions" in text

            # a pushed quote moves the price fields and what follows from them, before the next snapshot
            thread.call(thread.sim.pause)
            polled = app.detail_reads.snapshots
            await wait_until(pilot, lambda: app.detail_reads.snapshots >= polled + 2, what="a snapshot of the paused market")
            snap = screen.snap
            hostile.push(thread, ids.QOT_UPDATE_BASIC_QOT, hostile.quote(
                "HK.00700", 650.5, highPrice=655.0, lowPrice=640.0, openPrice=641.0, lastClosePrice=640.0,
                volume=2_000_000, turnover=1_300_000_000.0))
            await wait_until(pilot, lambda: "Last 650.500" in screen.text(), what="the pushed price")
            text = screen.text()
            assert value_of(text, "High") == "655.000" and value_of(text, "Low") == "640.000"
            assert value_of(text, "Amplitude") == "2.34%"  # (655 - 640) / 640
            assert value_of(text, "VWAP") == "650.000"  # 1.3e9 / 2e6
            assert value_of(text, "Market cap") == fmt_big(snap.market_cap * 650.5 / snap.price)
            assert value_of(text, "P/E") == f"{snap.pe * 650.5 / snap.price:,.2f}"
            assert float(value_of(text, "52w high").replace(",", "")) >= 655.0

            # short interest: 20 records, then older pages with n and by moving past the last row
            assert len(screen.rows) == 20 and screen.table.row_count == 20 and screen.next_key is not None
            oldest = screen.rows[-1].day
            await pilot.press("n")
            await wait_until(pilot, lambda: screen.pages == 2, what="a second page")
            assert len(screen.rows) == 40 and screen.table.row_count == 40
            assert all(r.day < oldest for r in screen.rows[20:]), "the second page holds older dates"
            assert [r.day for r in screen.rows] == sorted((r.day for r in screen.rows), reverse=True)
            await pilot.press("ctrl+end")  # the cursor on the last row asks for the next page
            await wait_until(pilot, lambda: screen.pages == 3, what="a third page")
            assert "60 records" in screen.text()
            await pilot.press("escape")
            assert not isinstance(app.screen, QuoteDetail)
    finally:
        thread.stop()


async def test_detail_shows_us_fields_pages_to_the_oldest_record_and_asks_nothing_for_a_shares(tmp_path):
    thread = SimThread(seed=5)
    thread.start()
    try:
        app = make_app(thread, tmp_path, codes=["US.AAPL", "SH.600519"])
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_until(pilot, lambda: priced(app, "US.AAPL"), what="US.AAPL priced")
            screen = await open_detail(pilot, app)
            text = screen.text()
            for label in LABELS:
                assert value_of(text, label) != "-", f"{label} empty:\n{text}"
            assert "US short interest" in text
            assert "Days to cover" in [c.label.plain for c in screen.table.columns.values()]
            assert all(r.days_to_cover > 0 and r.avg_volume > 0 and math.isnan(r.short) is False for r in screen.rows)
            while screen.next_key is not None:
                pages = screen.pages
                await pilot.press("n")
                await wait_until(pilot, lambda: screen.pages > pages, what="the next page")
            assert len(screen.rows) == 48 and "oldest record reached" in screen.text()
            await pilot.press("escape")

            await pilot.press("down")  # SH.600519: OpenD serves no short interest there; nothing is asked
            await wait_until(pilot, lambda: app.focus_code == "SH.600519", what="SH.600519")
            asked = app.detail_reads.short_requests
            await pilot.press("d")
            screen = app.screen
            await wait_until(pilot, lambda: screen.snap is not None, what="the SH snapshot")
            assert "HK and US stocks and funds, not SH" in screen.text()
            assert app.detail_reads.short_requests == asked and app.detail_reads.snapshots >= 2
    finally:
        thread.stop()


EVIL = "\x1b[2J\x1b]0;pwned\x07[bold red]WIPE[/] [@click=app.quit]x[/]"


def tamper(thread: SimThread, proto_id: int, change) -> None:
    """The simulator's reply to `proto_id` passes through `change(c2s, s2c)` (a hostile OpenD)."""
    gateway = thread.sim.gateway
    served = gateway.handlers[proto_id]

    def run(session, c2s):
        return change(c2s, served(session, c2s))

    thread.call(gateway.register, proto_id, run)


def hostile_snapshot(c2s, s2c):
    for snap in s2c.snapshotList:
        b = snap.basic
        b.name, b.updateTime = EVIL, EVIL * 10
        b.openPrice, b.highPrice, b.lowPrice, b.amplitude = math.nan, math.inf, -1e300, math.nan
        b.avgPrice, b.turnoverRate, b.highest52WeeksPrice, b.lowest52WeeksPrice = 1e300, -5.0, math.nan, -math.inf
        b.lotSize = -100
        if snap.HasField("equityExData"):
            snap.equityExData.issuedMarketVal, snap.equityExData.peRate = math.inf, math.nan
            snap.equityExData.peTTMRate = 1e300
    return s2c


def hostile_short(c2s, s2c):
    if c2s.security.code == "09988":
        raise ServiceError(EVIL)
    for it in s2c.hkItemList:
        it.timestampStr = EVIL  # not a date: the row is dated from its timestamp
        it.aggregatedShort, it.aggregatedShortRatio, it.closePrice = 2**64 - 1, math.nan, -5.0
    s2c.nextKey = c2s.nextKey if c2s.HasField("nextKey") else "1"  # the second page repeats its key
    return s2c


async def test_a_hostile_opend_detail_shows_dashes_plain_text_and_stops_paging(tmp_path):
    thread = SimThread(seed=6)
    thread.start()
    try:
        thread.call(thread.sim.pause)  # no pushes: the figures are the snapshot's alone
        tamper(thread, ids.QOT_GET_SECURITY_SNAPSHOT, hostile_snapshot)
        tamper(thread, ids.QOT_GET_SHORT_INTEREST, hostile_short)
        app = make_app(thread, tmp_path, codes=["HK.00700", "HK.09988"])
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_until(pilot, lambda: priced(app, "HK.00700"), what="HK.00700 priced")
            screen = await open_detail(pilot, app)
            text = screen.text()
            for label in ("52w low", "Market cap", "P/E", "P/E TTM", "Turnover rate"):
                assert value_of(text, label) == "-", f"{label} shown from a bad value:\n{text}"
            assert value_of(text, "Lot size") == "100"  # the static info's, not the snapshot's -100
            assert "\x1b" not in text + screen.snap.name + screen.snap.update_time
            assert len(screen.snap.update_time) <= 32 and "[bold red]" in screen.snap.name  # plain text, kept as typed
            assert len(screen.rows) == 20 and all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", r.day) for r in screen.rows)
            assert all(math.isnan(r.short) and math.isnan(r.ratio) and math.isnan(r.close) for r in screen.rows)
            await pilot.press("n")
            await wait_until(pilot, lambda: screen.pages == 2, what="the second page")
            assert screen.next_key is None, "a repeated key ends the paging"
            requests = app.detail_reads.short_requests
            await pilot.press("n")
            await pilot.press("ctrl+end")
            await pilot.pause()
            assert app.detail_reads.short_requests == requests
            await pilot.press("escape")

            await pilot.press("down")
            await wait_until(pilot, lambda: app.focus_code == "HK.09988", what="HK.09988")
            await pilot.press("d")
            screen = app.screen
            await wait_until(pilot, lambda: "WIPE" in screen.text(), what="the refusal shown")
            text = screen.text()
            assert "\x1b" not in text and "[bold red]WIPE[/]" in text  # shown as typed, never as markup
            asked = app.detail_reads.short_requests
            await pilot.press("n")  # a refused first page can be asked for again
            await wait_until(pilot, lambda: app.detail_reads.short_requests == asked + 1 and not screen.busy,
                             what="the first page asked again")
            assert "WIPE" in screen.text() and not screen.rows
            assert app.is_running
    finally:
        thread.stop()
