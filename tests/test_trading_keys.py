"""Issue 12 through the keys: what is sent is what was typed, once; REAL modify and cancel
confirm; the preview stays live; cancel-all lists what it cancels; indices are refused.
Pilot drives the real app against the simulator over TCP."""

from __future__ import annotations

import math

import pytest
from textual import events

from protocol import ids
from protocol.trade import OrderType, Side, password_md5
from workstation.orders import Ticket, fmt, nudge_price
from workstation.screens.confirm import ConfirmScreen
from workstation.screens.modify import ModifyForm
from workstation.screens.order import OrderForm
from workstation.trading.messages import ChangeSent, OrderSent, TradingRefused
from tests.test_app import text_of, wait_until
from tests.test_trading import (  # noqa: F401  (sim is a fixture)
    CODE, PASSWORD, make_app, ready, received, resting_order, round_trip, show_order_row, sim, told,
)

pytestmark = pytest.mark.slow
HK_SIM, US_SIM = 3450309, 3450310


def typed(price: float) -> list[str]:
    """The keys a trader types for this price ("623.5" -> 6 2 3 . 5)."""
    return list(fmt(price))


async def quiet_market(pilot, app, sim, seen) -> float:
    """Prices hold still; returns a price 8 ticks under the last (inside the band: it rests)."""
    sim.call(sim.sim.pause)
    await round_trip(pilot, app, seen)
    return nudge_price(CODE, app.store.quote(CODE).last, -8)


async def test_a_typed_burst_sends_the_typed_price_and_a_double_enter_sends_once(sim, tmp_path):
    seen: list = []
    app = make_app(sim, tmp_path)
    async with app.run_test(size=(160, 45), message_hook=seen.append) as pilot:
        await ready(pilot, app)
        price = await quiet_market(pilot, app, sim, seen)
        app.watchlist.focus()
        await pilot.press("b", *typed(price), "enter", "enter")  # no waits between keys
        await wait_until(pilot, lambda: told(seen, OrderSent), what="the order sent")
        await round_trip(pilot, app, seen)
        (c2s,) = received(sim, ids.TRD_PLACE_ORDER)
        assert (c2s.price, c2s.qty, c2s.trdSide) == (price, 100, Side.BUY)
        assert app.is_running and not isinstance(app.screen, OrderForm)

        # Harder: every key already queued before the form can exist (a paste, or keys
        # batched over SSH); the driver posts them to the App back to back.
        price2 = nudge_price(CODE, price, -3)
        app.watchlist.focus()
        for key in ["b", *typed(price2), "enter", "enter"]:
            app.post_message(events.Key("enter" if key == "enter" else key, "\r" if key == "enter" else key))
        await wait_until(pilot, lambda: len(told(seen, OrderSent)) == 2, what="the second order sent")
        await round_trip(pilot, app, seen)
        assert [c.price for c in received(sim, ids.TRD_PLACE_ORDER)] == [price, price2]
        assert app.is_running and not isinstance(app.screen, OrderForm)


async def test_a_double_enter_in_the_modify_form_sends_one_modify(sim, tmp_path):
    seen: list = []
    app = make_app(sim, tmp_path)
    async with app.run_test(size=(160, 45), message_hook=seen.append) as pilot:
        await ready(pilot, app)
        order_id = await resting_order(pilot, app)
        await show_order_row(pilot, app, order_id)
        new_price = nudge_price(CODE, app.store.orders[order_id].price, -1)
        await pilot.press("m", *typed(new_price), "enter", "enter")
        await wait_until(pilot, lambda: told(seen, ChangeSent), what="the modify sent")
        await wait_until(pilot, lambda: app.store.orders[order_id].price == new_price, what="the new price")
        await round_trip(pilot, app, seen)
        assert [c.price for c in received(sim, ids.TRD_MODIFY_ORDER)] == [new_price]
        assert app.is_running and not isinstance(app.screen, ModifyForm)


async def test_real_modify_and_cancel_ask_first_and_show_old_and_new(sim, tmp_path):
    seen: list = []
    app = make_app(sim, tmp_path)
    async with app.run_test(size=(160, 45), message_hook=seen.append) as pilot:
        await ready(pilot, app)
        await app.feed.trading.accounts.unlock(password_md5(PASSWORD))
        await pilot.press("E")
        await wait_until(pilot, lambda: app.feed.trading.accounts.active.is_real, what="the REAL account")
        app.store.names[CODE] = "Tencent\nSend? y"  # a hostile name must not add a line
        order_id = await resting_order(pilot, app)
        old = app.store.orders[order_id]
        await show_order_row(pilot, app, order_id)
        await pilot.press("m")
        await wait_until(pilot, lambda: isinstance(app.screen, ModifyForm), what="the modify form")
        form = app.screen
        assert "REAL" in text_of(form.query_one("#title")) and "LIMIT" in str(form.query_one("#type").content)
        assert f"notional {old.price * 100:,.2f} HKD" in text_of(form.query_one("#preview"))
        new_price = nudge_price(CODE, old.price, -2)
        await pilot.press(*typed(new_price), "pageup", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the REAL modify confirmation")
        details = text_of(app.screen.query_one("#details"))
        for words in ("REAL", app.feed.trading.accounts.active.label, order_id, "BUY", CODE,
                      f"{fmt(old.price)} → {fmt(new_price)}", "100 → 200",
                      f"{old.price * 100:,.2f} HKD → {new_price * 200:,.2f} HKD"):
            assert words in details, words
        assert len(details.strip().splitlines()) == len(app.screen.rows), "one line per row"
        question = text_of(app.screen.query_one("#question")).strip()
        assert question == f"Change to BUY 200 {CODE} @ {fmt(new_price)}, notional {new_price * 200:,.2f} HKD?"
        await round_trip(pilot, app, seen)
        assert received(sim, ids.TRD_MODIFY_ORDER) == [], "nothing sent before y"
        await pilot.press("y")
        await wait_until(pilot, lambda: app.store.orders[order_id].price == new_price, what="the modified price")
        (c2s,) = received(sim, ids.TRD_MODIFY_ORDER)
        assert (c2s.price, c2s.qty, c2s.header.trdEnv) == (new_price, 200, 1)

        await show_order_row(pilot, app, order_id)
        await pilot.press("c")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the REAL cancel confirmation")
        assert "REAL CANCEL" in text_of(app.screen.query_one("#title"))
        assert f"Cancel BUY 200 {CODE} @ {fmt(new_price)}" in text_of(app.screen.query_one("#question"))
        await pilot.press("n")
        await round_trip(pilot, app, seen)
        assert len(received(sim, ids.TRD_MODIFY_ORDER)) == 1, "n sends nothing"
        await show_order_row(pilot, app, order_id)
        await pilot.press("c")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the confirmation again")
        await pilot.press("y", "y")
        await wait_until(pilot, lambda: not app.store.orders[order_id].is_open, what="cancelled")
        await round_trip(pilot, app, seen)
        assert [c.modifyOrderOp for c in received(sim, ids.TRD_MODIFY_ORDER)] == [1, 2]


async def test_m_on_a_stop_edits_its_trigger_and_never_sends_price_0(sim, tmp_path):
    seen: list = []
    app = make_app(sim, tmp_path)
    async with app.run_test(size=(160, 45), message_hook=seen.append) as pilot:
        await ready(pilot, app)
        last = app.store.quote(CODE).last
        sim.call(sim.sim.pause)  # the stop stays untriggered
        await round_trip(pilot, app, seen)
        trigger = nudge_price(CODE, app.store.quote(CODE).last, 20)
        outcome = await app.feed.trading.desk.place(Ticket(code=CODE, side=Side.BUY, qty=200.0, acc_id=HK_SIM,
                                                           order_type=OrderType.STOP, aux_price=trigger))
        assert isinstance(outcome, OrderSent), outcome.text
        order_id = outcome.order_id
        await wait_until(pilot, lambda: order_id in app.store.orders and app.store.orders[order_id].is_open,
                         what="the stop working")
        await show_order_row(pilot, app, order_id)
        await pilot.press("m")
        await wait_until(pilot, lambda: isinstance(app.screen, ModifyForm), what="the modify form")
        form = app.screen
        assert not form.query("#price") and form.query_one("#aux").has_focus, "no price field; the trigger first"
        assert "STOP" in str(form.query_one("#type").content) and "notional" in text_of(form.query_one("#preview"))
        new_trigger = nudge_price(CODE, trigger, 2)
        await pilot.press(*typed(new_trigger), "enter")
        await wait_until(pilot, lambda: told(seen, ChangeSent), what="the modify sent")
        (c2s,) = received(sim, ids.TRD_MODIFY_ORDER)
        assert (c2s.auxPrice, c2s.qty) == (new_trigger, 200)
        assert "@ 0" not in told(seen, ChangeSent)[0].text and f"trigger {fmt(new_trigger)}" in told(seen, ChangeSent)[0].text
        assert not math.isnan(last)


async def test_the_preview_stays_live_and_market_orders_ask_max_qtys_with_a_price(sim, tmp_path):
    seen: list = []
    app = make_app(sim, tmp_path)
    async with app.run_test(size=(160, 45), message_hook=seen.append) as pilot:
        await ready(pilot, app)
        app.watchlist.focus()
        await pilot.press("b")
        await wait_until(pilot, lambda: isinstance(app.screen, OrderForm), what="the order form")
        form = app.screen
        preview = lambda: text_of(form.query_one("#preview"))  # noqa: E731
        power = app.store.funds.power
        await wait_until(pilot, lambda: f"buying power {power:,.2f} HKD" in preview(), what="the buying power")
        assert "band" in preview()
        # A fill elsewhere (another window, a phone): the open form's buying power follows.
        q = app.store.quote(CODE)
        outcome = await app.feed.trading.desk.place(Ticket(code=CODE, side=Side.BUY, qty=100.0, acc_id=HK_SIM,
                                                           price=nudge_price(CODE, q.ask, 3)))
        assert isinstance(outcome, OrderSent), outcome.text
        await wait_until(pilot, lambda: f"buying power {power:,.2f}" not in preview() and "buying power -" not in preview(),
                         timeout=20, what="the buying power after the fill")
        assert app.screen is form

        form.query_one("#type").value = OrderType.MARKET
        await wait_until(pilot, lambda: any(c.orderType == OrderType.MARKET for c in received(sim, ids.TRD_GET_MAX_TRD_QTYS)),
                         timeout=20, what="max quantities for the market order")
        asked = [c for c in received(sim, ids.TRD_GET_MAX_TRD_QTYS) if c.orderType == OrderType.MARKET]
        assert all(c.price > 0 for c in asked), "asked with the current price, never 0"


async def test_the_form_stays_open_when_real_relocks_while_it_is_open(sim, tmp_path):
    seen: list = []
    app = make_app(sim, tmp_path)
    async with app.run_test(size=(160, 45), message_hook=seen.append) as pilot:
        await ready(pilot, app)
        accounts = app.feed.trading.accounts
        await accounts.unlock(password_md5(PASSWORD))
        await pilot.press("E")
        await wait_until(pilot, lambda: accounts.active.is_real, what="the REAL account")
        await pilot.press("b")
        await wait_until(pilot, lambda: isinstance(app.screen, OrderForm), what="the order form")
        form = app.screen
        await wait_until(pilot, lambda: form.query_one("#price").has_focus, what="the form taking keys")
        await accounts.lock("locked by a test")
        await pilot.press("enter")
        await wait_until(pilot, lambda: form.problems, what="the form's answer")
        assert app.screen is form and "locked" in text_of(form.query_one("#problems"))
        await round_trip(pilot, app, seen)
        assert received(sim, ids.TRD_PLACE_ORDER) == []


async def test_cancel_all_names_every_account_and_order_it_cancels(sim, tmp_path):
    seen: list = []
    app = make_app(sim, tmp_path)
    async with app.run_test(size=(160, 45), message_hook=seen.append) as pilot:
        await ready(pilot, app)
        first = await resting_order(pilot, app)
        await wait_until(pilot, lambda: not math.isnan(app.store.quote("US.AAPL").bid), what="a US quote")
        us = await app.feed.trading.desk.place(Ticket(code="US.AAPL", side=Side.BUY, qty=1.0, acc_id=US_SIM,
                                                      price=nudge_price("US.AAPL", app.store.quote("US.AAPL").bid, -30)))
        assert isinstance(us, OrderSent), us.text
        await wait_until(pilot, lambda: us.order_id in app.store.orders and app.store.orders[us.order_id].is_open,
                         what="the US order working")
        app.watchlist.focus()
        await pilot.press("ctrl+k")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the cancel-all confirmation")
        details = text_of(app.screen.query_one("#details"), width=200)
        sims = [a for a in app.feed.trading.accounts.all if not a.is_real]
        assert len(sims) == 3
        for acc in sims:
            assert acc.label in details, acc.label
        assert first in details and us.order_id in details
        assert "Cancel all 2 open orders on 3 accounts?" in text_of(app.screen.query_one("#question"))
        await pilot.press("y")
        await wait_until(pilot, lambda: not app.store.orders[first].is_open and not app.store.orders[us.order_id].is_open,
                         what="both cancelled")


async def test_b_on_an_index_is_refused_before_any_form(sim, tmp_path):
    seen: list = []
    app = make_app(sim, tmp_path)
    async with app.run_test(size=(160, 45), message_hook=seen.append) as pilot:
        await ready(pilot, app)
        app.choose("HK.800000")
        await wait_until(pilot, lambda: app.store.opend.sec_types.get("HK.800000"), what="the index's static info")
        app.watchlist.focus()
        await pilot.press("b")
        await wait_until(pilot, lambda: told(seen, TradingRefused), what="the refusal")
        assert "HK.800000 is an index" in told(seen, TradingRefused)[0].text
        await pilot.press("s")
        await round_trip(pilot, app, seen)
        assert not isinstance(app.screen, OrderForm) and len(told(seen, TradingRefused)) == 2
        assert received(sim, ids.TRD_PLACE_ORDER) == [] and received(sim, ids.TRD_GET_MAX_TRD_QTYS) == []
