"""The modify/cancel window (20 per 30 s per account) through the app: the 21st is held back
with a wait message and never sent; cancel-all counts one request per request it sends."""

from __future__ import annotations

import pytest

from protocol import ids
from workstation.journal import CANCEL_ALL, MODIFY as MODIFY_OP
from workstation.screens.confirm import ConfirmScreen
from workstation.screens.modify import ModifyForm
from workstation.throttle import MODIFY
from protocol.trade import password_md5
from tests.test_app import wait_until
from tests.test_trading import (  # noqa: F401  (sim is a fixture)
    PASSWORD, journal_lines, make_app, notes, ready, received, resting_order, show_order_row, sim,
)

pytestmark = pytest.mark.slow
HK_SIM, US_SIM, CN_SIM, REAL_ACC = 3450309, 3450310, 3450311, 281756480572583411
WAIT = "order rate limit: 20 modify/cancel requests per 30 s; wait"


async def test_the_21st_modify_in_thirty_seconds_is_held_back_and_not_sent(sim, tmp_path):
    seen: list = []
    app = make_app(sim, tmp_path)
    async with app.run_test(size=(160, 45), message_hook=seen.append) as pilot:
        await ready(pilot, app)
        order_id = await resting_order(pilot, app)
        price = app.store.orders[order_id].price
        for _ in range(20):
            app.modify_order(order_id, 100.0, price)
        await wait_until(pilot, lambda: notes(seen).count(f"modify {order_id} sent") == 20, what="20 modifies sent")
        await show_order_row(pilot, app, order_id)
        await pilot.press("m")
        await wait_until(pilot, lambda: isinstance(app.screen, ModifyForm), what="the modify form")
        await pilot.press("enter")
        await wait_until(pilot, lambda: f"modify {order_id} not sent: {WAIT}" in notes(seen), what="the wait message")
        await show_order_row(pilot, app, order_id)
        await pilot.press("c")  # cancels share the window
        await wait_until(pilot, lambda: f"cancel {order_id} not sent: {WAIT}" in notes(seen), what="the wait message")
        assert len(received(sim, ids.TRD_MODIFY_ORDER)) == 20
        modifies = [r for r in journal_lines(tmp_path) if r.get("op") == MODIFY_OP]
        assert len(modifies) == 20, "nothing journalled for the held-back ones"
        assert app.store.orders[order_id].is_open


async def test_cancel_all_counts_one_request_per_account_and_market_it_sends(sim, tmp_path):
    seen: list = []
    app = make_app(sim, tmp_path)
    async with app.run_test(size=(160, 45), message_hook=seen.append) as pilot:
        await ready(pilot, app)
        throttle = app.feed.trading.desk.throttle

        async def cancel_all() -> list:
            before = len(received(sim, ids.TRD_MODIFY_ORDER))
            await pilot.press("ctrl+k")
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the confirmation")
            await pilot.press("y")
            await wait_until(pilot, lambda: notes(seen).count("cancel all sent") == calls + 1, what="cancel all sent")
            return received(sim, ids.TRD_MODIFY_ORDER)[before:]

        calls = 0
        sent = await cancel_all()  # SIMULATE: one request to each SIM account, one market each
        assert sorted((c.header.accID, c.trdMarket, c.forAll) for c in sent) == [
            (HK_SIM, 1, True), (US_SIM, 2, True), (CN_SIM, 3, True)]
        for acc in (HK_SIM, US_SIM, CN_SIM):
            assert throttle.wait(MODIFY, acc, 19) == 0.0 < throttle.wait(MODIFY, acc, 20), acc

        await app.feed.trading.accounts.unlock(password_md5(PASSWORD))
        await pilot.press("E")
        await wait_until(pilot, lambda: app.feed.trading.accounts.active.is_real, what="the REAL account")
        calls = 1
        sent = await cancel_all()  # REAL (universal) trades HK, US and HKCC: three requests, three counted
        assert sorted((c.header.accID, c.trdMarket) for c in sent) == [(REAL_ACC, 1), (REAL_ACC, 2), (REAL_ACC, 4)]
        assert throttle.wait(MODIFY, REAL_ACC, 17) == 0.0 < throttle.wait(MODIFY, REAL_ACC, 18)

        lines = journal_lines(tmp_path)
        intents = [r for r in lines if r.get("op") == CANCEL_ALL]
        assert sorted((r["acc_id"], r["market"]) for r in intents) == [
            (HK_SIM, 1), (US_SIM, 2), (CN_SIM, 3), (REAL_ACC, 1), (REAL_ACC, 2), (REAL_ACC, 4)]
        outcomes = {r["ref"]: r for r in lines if r["kind"] == "outcome"}
        assert all(outcomes[r["ref"]]["error"] is None for r in intents)
