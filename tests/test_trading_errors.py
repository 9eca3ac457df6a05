"""OpenD's refusals reach the trader: a notification with the server's message and the
message in the order's row, for a rejected order (by reply or by push), a refused modify
and a refused cancel. Pilot drives the real app against the simulator over TCP."""

from __future__ import annotations

import math

import pytest

from protocol import ids
from workstation.screens.modify import ModifyForm
from workstation.screens.order import OrderForm
from workstation.widgets.account import ORDER_COLS
from tests.test_app import wait_until
from tests.test_trading import (  # noqa: F401  (sim is a fixture)
    CODE, errors, journal_lines, make_app, ready, received, resting_order, round_trip, row_cells, show_order_row,
    sim,
)

pytestmark = pytest.mark.slow
MSG = [spec[0] for spec in ORDER_COLS].index("msg")  # the orders tab's Message column
SUBMIT_FAILED, FAILED = 3, 21


async def place_from_the_watchlist(pilot, app) -> None:
    app.watchlist.focus()
    await pilot.press("b")
    await wait_until(pilot, lambda: isinstance(app.screen, OrderForm), what="the order form")
    await pilot.press("enter")
    await wait_until(pilot, lambda: not isinstance(app.screen, OrderForm), what="the form sent")


async def test_a_rejection_pushed_after_acceptance_is_notified_and_shown_in_its_row(sim, tmp_path):
    why = "exchange rejected: price outside the auction band"
    seen: list = []
    app = make_app(sim, tmp_path)
    async with app.run_test(size=(160, 45), message_hook=seen.append) as pilot:
        await ready(pilot, app)
        sim.call(lambda: sim.sim.faults.reject_next_order(why, failed=True))
        await place_from_the_watchlist(pilot, app)
        await wait_until(pilot, lambda: any(o.status == FAILED for o in app.store.orders.values()), what="FAILED")
        (order,) = [o for o in app.store.orders.values() if o.status == FAILED]
        await wait_until(pilot, lambda: why in errors(seen), what="the error notification")
        assert f"order {order.order_id} BUY 100 {CODE} failed: {why}" in errors(seen)
        await wait_until(pilot, lambda: order.order_id in app.account.orders.keys, what="the row")
        cells = row_cells(app, order.order_id)
        assert "FAILED" in cells and why in cells
        await round_trip(pilot, app, seen)  # every push OpenD sent so far has been handled
        assert errors(seen).count(why) == 1, "told once"


async def test_an_order_refused_in_the_reply_is_notified_and_shown_in_its_row(sim, tmp_path):
    why = "risk check failed: order value exceeds the daily limit"
    seen: list = []
    app = make_app(sim, tmp_path)
    async with app.run_test(size=(160, 45), message_hook=seen.append) as pilot:
        await ready(pilot, app)
        sim.call(lambda: sim.sim.faults.reject_next_order(why))
        await place_from_the_watchlist(pilot, app)
        await wait_until(pilot, lambda: why in errors(seen), what="the error notification")
        assert f"BUY 100 {CODE} rejected: Trd_PlaceOrder: {why}" in errors(seen)
        (key,) = [k for k, o in app.store.orders.items() if o.status == SUBMIT_FAILED]
        await wait_until(pilot, lambda: key in app.account.orders.keys, what="the row")
        cells = row_cells(app, key)
        assert "SUBMIT_FAILED" in cells and why in cells[MSG]
        outcome = journal_lines(tmp_path)[-1]
        assert outcome["kind"] == "outcome" and why in outcome["error"] and outcome["order_id"] is None


async def test_a_refused_modify_and_a_refused_cancel_show_the_servers_message(sim, tmp_path):
    seen: list = []
    app = make_app(sim, tmp_path, max_notional=10_000_000.0)
    async with app.run_test(size=(160, 45), message_hook=seen.append) as pilot:
        await ready(pilot, app)
        order_id = await resting_order(pilot, app)
        order = app.store.orders[order_id]
        # More shares than the account's cash can pay for: OpenD refuses (insufficient buying power).
        qty = math.ceil(1_500_000 / order.price / 100) * 100
        await show_order_row(pilot, app, order_id)
        await pilot.press("m")
        await wait_until(pilot, lambda: isinstance(app.screen, ModifyForm), what="the modify form")
        app.screen.query_one("#qty").value = str(qty)
        await pilot.press("enter")
        await wait_until(pilot, lambda: "insufficient buying power" in errors(seen), what="the refusal")
        assert f"modify {order_id} refused by OpenD: Trd_ModifyOrder: insufficient buying power" in errors(seen)
        await wait_until(pilot, lambda: "insufficient buying power" in row_cells(app, order_id)[MSG], what="the row")
        assert app.store.orders[order_id].qty == 100, "unchanged"
        assert received(sim, ids.TRD_MODIFY_ORDER)[-1].qty == qty

        why = "order is being processed by the exchange; try again"
        sim.call(lambda: sim.sim.faults.reject_next_modify(why))
        await show_order_row(pilot, app, order_id)
        await pilot.press("c")
        await wait_until(pilot, lambda: f"cancel {order_id} refused by OpenD: Trd_ModifyOrder: {why}" in errors(seen),
                         what="the refusal")
        await wait_until(pilot, lambda: why in row_cells(app, order_id)[MSG], what="the row")
        assert app.store.orders[order_id].is_open
        lines = [r for r in journal_lines(tmp_path) if r.get("op") in ("modify", "cancel") or r["kind"] == "outcome"]
        assert [(r["kind"], r.get("op")) for r in lines[-4:]] == [
            ("intent", "modify"), ("outcome", None), ("intent", "cancel"), ("outcome", None)]
        assert "insufficient buying power" in lines[-3]["error"] and why in lines[-1]["error"]
        assert lines[-4]["order_id"] == order_id and lines[-4]["qty"] == qty
        assert lines[-4]["price"] == order.price
