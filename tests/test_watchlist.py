"""The watchlist and the symbol search, through the real app against the simulated OpenD: search by
English name, pinyin initials and unpadded HK codes; Last coloured against the previous close; a
live sort that follows pushes while the cursor keeps its code; Futu groups as tabs."""

from __future__ import annotations

import math
import time

import pytest
from textual.widgets import OptionList

from protocol import ids
from protocol.gateway.instruments import WATCHLISTS
from protocol.gateway.sim import SimThread
from tests.hostile import push, quote
from tests.test_app import make_app as shared_app, wait_until
from workstation.app import FutuTui
from workstation.prefs import Prefs
from workstation.screens.symbol import SymbolSearch
from workstation.widgets.common import price_styles

pytestmark = pytest.mark.slow
CODES = ["HK.00700", "HK.09988", "HK.03690", "US.AAPL"]


def make_app(thread, tmp_path, codes=CODES, prefs: Prefs | None = None) -> FutuTui:
    return shared_app(thread, tmp_path, codes, prefs=prefs)




def priced(app, code) -> bool:
    q = app.store.quotes.get(code)
    return q is not None and not math.isnan(q.last) and bool(q.name)


async def quiet(pilot, app) -> None:
    """Every row priced and named, no request in flight, nothing pushed for a while (paused sim)."""
    await wait_until(pilot, lambda: all(priced(app, c) for c in app.watchlist.codes), what="every row priced")
    await wait_until(pilot, lambda: app.feed.idle and time.monotonic() - app.store.last_push > 0.5,
                     what="a quiet feed")


async def search(pilot, app, query: str) -> str:
    """Type `query` into `/` and return the code the first choice offers (then Enter takes it)."""
    await pilot.press("slash")
    await wait_until(pilot, lambda: isinstance(app.screen, SymbolSearch), what="the search screen")
    await pilot.press(*query)
    options = app.screen.query_one(OptionList)
    await wait_until(pilot, lambda: options.option_count > 0, what=f"a match for {query!r}")
    first = options.get_option_at_index(0).id
    await pilot.press("enter")
    await wait_until(pilot, lambda: not isinstance(app.screen, SymbolSearch), what="the search closed")
    return first


@pytest.mark.parametrize("lang", ["en", "chs"])
async def test_search_by_english_name_pinyin_and_unpadded_hk_code(lang, tmp_path):
    thread = SimThread(seed=7, lang=lang)
    thread.start()
    try:
        app = make_app(thread, tmp_path, codes=["SH.600519"])
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_until(pilot, lambda: app.feed.client.ready, what="connected")
            app.watchlist.focus()
            if lang == "en":  # OpenD set to English serves TENCENT, Apple
                assert await search(pilot, app, "apple") == "US.AAPL"
                await wait_until(pilot, lambda: app.focus_code == "US.AAPL", what="AAPL focused")
                assert await search(pilot, app, "tencent") == "HK.00700"
            else:  # ... set to Chinese: 腾讯控股, found by its pinyin
                assert await search(pilot, app, "albb") in ("HK.09988", "US.BABA")
                assert await search(pilot, app, "tengxun") == "HK.00700"
                assert await search(pilot, app, "txkg") == "HK.00700"
            await wait_until(pilot, lambda: app.focus_code == "HK.00700", what="Tencent focused")
            app.choose("SH.600519")
            assert await search(pilot, app, "HK.700") == "HK.00700"
            assert await search(pilot, app, "700") == "HK.00700"
            await wait_until(pilot, lambda: app.focus_code == "HK.00700", what="Tencent focused")
            # Chosen from a closing screen: book and tape still follow, a frame later.
            await wait_until(pilot, lambda: all(app.panels[k].code == "HK.00700" for k in ("book", "tape")),
                             what="book and tape on Tencent")
    finally:
        thread.stop()


async def test_last_is_coloured_against_the_previous_close_not_the_last_tick(tmp_path):
    thread = SimThread(seed=3, paused=True)
    thread.start()
    try:
        app = make_app(thread, tmp_path)
        async with app.run_test(size=(120, 40)) as pilot:
            await quiet(pilot, app)
            up, down, _ = price_styles(app)
            code, close = "HK.09988", 160.0
            # Far below the close, then an up-tick that stays below it: still the down colour.
            for price in (150.0, 152.0):
                push(thread, ids.QOT_UPDATE_BASIC_QOT, quote(code, price, lastClosePrice=close))
                await wait_until(pilot, lambda: app.watchlist.get_cell(code, "last").plain == f"{price:,.3f}",
                                 what=f"{price} shown")
            last = app.watchlist.get_cell(code, "last")
            assert down in str(last.style) and up not in str(last.style)
            assert app.watchlist.get_cell(code, "pct").plain == "-5.00%"
            # Above the close on a down-tick: the up colour.
            for price in (170.0, 168.0):
                push(thread, ids.QOT_UPDATE_BASIC_QOT, quote(code, price, lastClosePrice=close))
                await wait_until(pilot, lambda: app.watchlist.get_cell(code, "last").plain == f"{price:,.3f}",
                                 what=f"{price} shown")
            assert up in str(app.watchlist.get_cell(code, "last").style)
    finally:
        thread.stop()


async def test_the_live_sort_follows_the_data_and_the_cursor_keeps_its_code(tmp_path):
    thread = SimThread(seed=3, paused=True)
    thread.start()
    try:
        prefs = Prefs(tmp_path / "prefs.json")
        app = make_app(thread, tmp_path, prefs=prefs)
        async with app.run_test(size=(120, 40)) as pilot:
            await quiet(pilot, app)
            wl = app.watchlist
            wl.focus()
            while wl.sort_key != "pct":  # o cycles through the columns shown
                await pilot.press("o")
            await pilot.press("O")  # biggest gainers first
            assert wl.sort_desc and "Chg%▼" in wl.line_text(0)
            pct = [app.store.quotes[c].change_pct for c in wl.codes]
            assert pct == sorted(pct, reverse=True)
            held = wl.codes[1]
            wl.move_cursor(1)
            await wait_until(pilot, lambda: app.focus_code == held, what="the cursor's code focused")
            mover = wl.codes[-1]
            close = app.store.quotes[mover].prev_close
            push(thread, ids.QOT_UPDATE_BASIC_QOT, quote(mover, round(close * 1.09, 2), lastClosePrice=close))
            await wait_until(pilot, lambda: wl.codes[0] == mover, what="the new top gainer moved to the top")
            assert wl.current_code == held and wl.cursor_row == 2  # one row down, on the same code
            assert app.focus_code == held
            assert prefs.get("watchlist_sort") == "pct:desc"
        again = make_app(thread, tmp_path, prefs=Prefs(tmp_path / "prefs.json"))
        async with again.run_test(size=(120, 40)) as pilot:
            await quiet(pilot, again)
            assert (again.watchlist.sort_key, again.watchlist.sort_desc) == ("pct", True)
    finally:
        thread.stop()


async def test_futu_groups_are_tabs_after_the_local_list_and_the_choice_is_remembered(tmp_path):
    thread = SimThread(seed=7)
    thread.start()
    groups = {name: list(codes) for name, _, codes in WATCHLISTS}
    try:
        prefs = Prefs(tmp_path / "prefs.json")
        app = make_app(thread, tmp_path, prefs=prefs)
        async with app.run_test(size=(200, 60)) as pilot:
            wl = app.watchlist
            await wait_until(pilot, lambda: len(wl.groups) > 1, what="the groups listed")
            assert wl.groups == ["Local", *groups]
            assert all(name in str(wl.border_title) for name in ("Local", "All", "HK", "Tech", "Indices"))
            wl.focus()
            await pilot.press("right_square_bracket", "right_square_bracket")  # All, then HK
            assert wl.groups[wl.group] == "HK"
            await wait_until(pilot, lambda: wl.codes == groups["HK"], what="the HK group's rows")
            assert app.feed.watch == groups["HK"]  # what is shown is what is subscribed
            await wait_until(pilot, lambda: all(priced(app, c) for c in groups["HK"]), what="HK rows priced")
            assert app.watchlist_codes == CODES  # the local list is untouched
            assert prefs.get("watchlist_group") == "HK"
            await pilot.press("left_square_bracket", "left_square_bracket")
            await wait_until(pilot, lambda: wl.codes == CODES, what="the local list again")
            await pilot.press("left_square_bracket")  # wraps round to the last group
            await wait_until(pilot, lambda: wl.codes == groups["Indices"], what="the Indices group's rows")
        again = make_app(thread, tmp_path, prefs=Prefs(tmp_path / "prefs.json"))
        async with again.run_test(size=(120, 40)) as pilot:
            await wait_until(pilot, lambda: again.watchlist.codes == groups["Indices"], what="the remembered group")
            await wait_until(pilot, lambda: all(priced(again, c) for c in groups["Indices"]), what="indices priced")
            for code in groups["Indices"]:  # index levels are never cut
                line = again.watchlist.line_text(1 + again.watchlist.get_row_index(code))
                assert again.watchlist.get_cell(code, "last").plain in line
    finally:
        thread.stop()
