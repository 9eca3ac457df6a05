"""Modify and cancel are journalled like orders: one line before the request leaves, one
after its reply; a request whose reply never came is reconciled, never resent."""

from __future__ import annotations

import pytest

from protocol import ids
from workstation.journal import CANCEL, MODIFY as MODIFY_OP, Journal
from workstation.orders import fmt, nudge_price
from workstation.screens.modify import ModifyForm
from tests.test_app import wait_until
from tests.test_trading import (  # noqa: F401  (sim is a fixture)
    CODE, journal_lines, make_app, notes, ready, received, resting_order, show_order_row, sim,
)

pytestmark = pytest.mark.slow
HK_SIM = 3450309
SUBMITTED, CANCELLED_ALL = 5, 15


async def test_a_modify_is_journalled_before_it_is_sent_and_a_lost_reply_is_reconciled_not_resent(sim, tmp_path):
    seen: list = []
    app = make_app(sim, tmp_path)
    async with app.run_test(size=(160, 45), message_hook=seen.append) as pilot:
        await ready(pilot, app)
        order_id = await resting_order(pilot, app)
        new_price = nudge_price(CODE, app.store.orders[order_id].price, -1)
        sim.call(lambda: sim.sim.faults.delay(30.0, proto_id=ids.TRD_MODIFY_ORDER))  # OpenD acts, the reply waits
        await show_order_row(pilot, app, order_id)
        await pilot.press("m")
        await wait_until(pilot, lambda: isinstance(app.screen, ModifyForm), what="the modify form")
        app.screen.query_one("#price").value = fmt(new_price)
        await pilot.press("enter")
        await wait_until(pilot, lambda: received(sim, ids.TRD_MODIFY_ORDER), what="the modify at OpenD")
        (intent,) = [r for r in journal_lines(tmp_path) if r.get("op") == MODIFY_OP]
        assert (intent["order_id"], intent["qty"], intent["price"], intent["acc_id"]) == (order_id, 100, new_price, HK_SIM)
        assert not [r for r in journal_lines(tmp_path) if r["kind"] == "outcome" and r["ref"] == intent["ref"]]

        sim.call(lambda: (sim.sim.faults.clear(), sim.sim.faults.drop()))
        report = (f"modify of order {order_id} to 100 @ {fmt(new_price)}: no reply was received; "
                  f"the order is SUBMITTED, 100 @ {fmt(new_price)}; not resent")
        await wait_until(pilot, lambda: report in notes(seen), timeout=20, what="the reconciliation report")
        (outcome,) = [r for r in journal_lines(tmp_path) if r["kind"] == "outcome" and r["ref"] == intent["ref"]]
        assert (outcome["status"], outcome["error"]) == (SUBMITTED, "no reply received; not resent")
        assert len(received(sim, ids.TRD_MODIFY_ORDER)) == 1, "never resent"
        assert not Journal(tmp_path).pending_requests()

        await show_order_row(pilot, app, order_id)
        await pilot.press("c")
        await wait_until(pilot, lambda: app.store.orders[order_id].status == CANCELLED_ALL, what="cancelled")
        lines = journal_lines(tmp_path)
        (cancel,) = [r for r in lines if r.get("op") == CANCEL]
        assert (cancel["order_id"], cancel["acc_id"]) == (order_id, HK_SIM)
        assert lines.index(cancel) == len(lines) - 2
        assert lines[-1]["kind"] == "outcome" and lines[-1]["ref"] == cancel["ref"] and lines[-1]["error"] is None


async def test_a_cancel_without_an_outcome_is_reported_at_start_up(sim, tmp_path):
    journal = Journal(tmp_path)
    journal.request(CANCEL, "r-1", acc_id=HK_SIM, order_id="v3_20240603_00000001_1001")
    seen: list = []
    app = make_app(sim, tmp_path)
    async with app.run_test(size=(160, 45), message_hook=seen.append) as pilot:
        await ready(pilot, app)
        await wait_until(pilot, lambda: "order journal" in notes(seen), what="the report")
        assert ("cancel of order v3_20240603_00000001_1001: no reply was received; see the orders tab; not resent"
                in notes(seen))
        assert not journal.pending_requests()
        assert received(sim, ids.TRD_MODIFY_ORDER) == []
