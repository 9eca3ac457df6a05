"""Fast keys on a kept order form and on open orders: a form used again starts fresh, keys
typed right after m reach the modify form, the remark is the trader's own text (in bytes of
UTF-8, within what OpenD leaves after our reference), and c / m on an order that cannot be
changed say why. Pilot drives the real app against the simulator over TCP."""

from __future__ import annotations

import math
import re

import pytest
from textual import events
from textual.color import Color
from textual.containers import Vertical

from protocol import ids
from protocol.trade import Side
from workstation.orders import REMARK_BYTES, nudge_price
from workstation.screens.modify import ModifyForm
from workstation.screens.order import OrderForm
from workstation.trading.messages import ChangeSent, OrderDisabled, OrderSent, TradingRefused
from tests.test_app import text_of, wait_until
from tests.test_trading import (  # noqa: F401  (sim is a fixture)
    CODE, make_app, ready, received, resting_order, round_trip, row_cells, show_order_row, sim, told,
)
from tests.test_trading_keys import HK_SIM, quiet_market, typed

pytestmark = pytest.mark.slow
REF = re.compile(r"ft:[0-9a-f]{12}$")


def burst(app, keys: list[str]) -> None:
    """Keys already queued before anything answers them (a paste, keys batched over SSH)."""
    for key in keys:
        app.post_message(events.Key("enter", "\r") if key == "enter" else events.Key(key, key))


async def test_the_form_starts_fresh_each_time_and_the_remark_is_the_traders_own(sim, tmp_path):
    seen: list = []
    app = make_app(sim, tmp_path)
    async with app.run_test(size=(160, 45), message_hook=seen.append) as pilot:
        await ready(pilot, app)
        price = await quiet_market(pilot, app, sim, seen)
        app.watchlist.focus()
        await pilot.press("b")
        await wait_until(pilot, lambda: isinstance(app.screen, OrderForm) and app.screen.focused is not None,
                         what="the order form")
        form = app.screen
        border = lambda: form.query_one(Vertical).styles.border_top[1]  # noqa: E731  (BUY: the theme's price-up)
        up_before = border()
        remark = form.query_one("#remark")
        room = REMARK_BYTES - len(" ft:") - 12  # what our reference leaves of OpenD's 64 bytes
        assert f"up to {room} bytes" in remark.placeholder
        await pilot.press(*typed(price))
        remark.focus()
        await pilot.press(*"é" * (room // 2 + 1), "enter")  # 2 bytes each: over by 2 bytes, under in characters
        await wait_until(pilot, lambda: form.problems, what="the remark refused")
        assert f"remark is {room + 2} bytes in UTF-8; at most {room}" in text_of(form.query_one("#problems"))
        remark.value = ""
        await pilot.press(*"dip", "space", *"buy", "enter")
        await wait_until(pilot, lambda: told(seen, OrderSent), what="the order sent")
        (c2s,) = received(sim, ids.TRD_PLACE_ORDER)
        assert c2s.price == price and c2s.remark.startswith("dip buy ") and REF.search(c2s.remark)
        order_id = told(seen, OrderSent)[0].order_id
        await show_order_row(pilot, app, order_id)
        cells = row_cells(app, order_id)
        assert "dip buy" in cells and not any("ft:" in c for c in cells), cells

        # The same keys again, all queued before the form is back: it opens fresh (one lot,
        # no remark, the price field taking the keys), never with the last order's values.
        price2 = nudge_price(CODE, price, -2)
        app.watchlist.focus()
        await pilot.pause()
        burst(app, ["b", *typed(price2), "enter"])
        await wait_until(pilot, lambda: len(told(seen, OrderSent)) == 2, what="the second order sent")
        second = received(sim, ids.TRD_PLACE_ORDER)[1]
        assert (second.trdSide, second.price, second.qty) == (Side.BUY, price2, 100)
        assert REF.fullmatch(second.remark), "no remark of the trader's: only our reference"
        assert not isinstance(app.screen, OrderForm) and app.is_running

        # Up and down colours swapped while the form was put away: it wears the new ones.
        theme = app.theme
        await pilot.press("u")
        await wait_until(pilot, lambda: app.theme != theme, what="the other colour convention")
        await pilot.press("b")
        await wait_until(pilot, lambda: isinstance(app.screen, OrderForm), what="the form again")
        await pilot.pause()
        assert border() == Color.parse(app.current_theme.variables["price-up"]) and border() != up_before


async def test_keys_typed_after_m_reach_the_form_and_unchangeable_orders_say_why(sim, tmp_path):
    seen: list = []
    app = make_app(sim, tmp_path)
    async with app.run_test(size=(160, 45), message_hook=seen.append) as pilot:
        await ready(pilot, app)
        await quiet_market(pilot, app, sim, seen)
        order_id = await resting_order(pilot, app)
        await show_order_row(pilot, app, order_id)
        new_price = nudge_price(CODE, app.store.orders[order_id].price, -3)
        burst(app, ["m", *typed(new_price), "enter"])  # `5` would switch panels were it not the form's
        await wait_until(pilot, lambda: told(seen, ChangeSent), what="the modify sent")
        await wait_until(pilot, lambda: app.store.orders[order_id].price == new_price, what="the new price")
        assert [c.price for c in received(sim, ids.TRD_MODIFY_ORDER)] == [new_price]
        assert app.active_panel == "account" and not isinstance(app.screen, ModifyForm)

        # DISABLED: c and m say why, and nothing is sent.
        sim.call(lambda: sim.sim.faults.disable_order(HK_SIM, order_id))
        await wait_until(pilot, lambda: told(seen, OrderDisabled), what="disabled")
        await show_order_row(pilot, app, order_id)
        await pilot.press("c")
        await wait_until(pilot, lambda: told(seen, TradingRefused), what="why c does nothing")
        await pilot.press("m")
        await wait_until(pilot, lambda: len(told(seen, TradingRefused)) == 2, what="why m does nothing")
        cancel_why, modify_why = (m.text for m in told(seen, TradingRefused))
        assert cancel_why.startswith(f"order {order_id} cannot be cancelled") and "DISABLED" in cancel_why
        assert modify_why.startswith(f"order {order_id} cannot be modified") and "DISABLED" in modify_why
        await round_trip(pilot, app, seen)
        assert not isinstance(app.screen, ModifyForm) and len(received(sim, ids.TRD_MODIFY_ORDER)) == 1


async def test_cursor_keys_then_b_typed_together_open_the_form_for_the_row_under_the_cursor(sim, tmp_path):
    """Down and b in one burst: the form is for the code the cursor moved to, never the one
    it left (the cursor key and the panels that follow it take different routes)."""
    app = make_app(sim, tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        await ready(pilot, app)
        await wait_until(pilot, lambda: not math.isnan(app.store.quote("US.AAPL").ask), what="a US quote")
        app.watchlist.focus()
        assert app.watchlist.current_key == CODE
        for keys, code, side in ((["down", "b"], "US.AAPL", Side.BUY), (["up", "s"], CODE, Side.SELL),
                                 (["down", "up", "down", "b"], "US.AAPL", Side.BUY),
                                 (["up", "down", "up", "s"], CODE, Side.SELL)):
            depth = len(app.screen_stack)
            burst(app, keys)
            await wait_until(pilot, lambda: isinstance(app.screen, OrderForm), what=f"the form after {keys}")
            assert (app.screen.ticket.code, app.screen.ticket.side) == (code, side), keys
            assert app.watchlist.current_key == code and len(app.screen_stack) == depth + 1
            await pilot.press("escape")
            await wait_until(pilot, lambda: not isinstance(app.screen, OrderForm), what="the form closed")
