"""Issue 12, the reports part: every order reconciles exactly (a client reference in the remark),
OpenD's unlock and order statuses are believed, not assumed. Pilot drives the real app against
the simulator over TCP; faults come from `sim.faults`."""

from __future__ import annotations

import math
import time

import pytest

from protocol import ids
from protocol.client import OpenDClient
from protocol.trade import OrderStatus, Side, TrdMarket, password_md5
from textual.widgets import Static

from tests.test_app import text_of, wait_until
from tests.test_trading import (  # noqa: F401  (sim is a fixture)
    CODE, PASSWORD, make_app, notes, ready, received, resting_order, round_trip, row_cells, show_order_row, sim, told,
)
from workstation.app import FutuTui
from workstation.config import Config, Watchlist as WatchlistFile
from workstation.journal import Journal
from workstation.orders import split_remark
from workstation.screens.accounts import AccountPicker
from workstation.screens.confirm import ConfirmScreen
from workstation.screens.help import HelpScreen
from workstation.screens.order import OrderForm
from workstation.screens.unlock import UnlockScreen
from workstation.account_rows import VERIFYING
from workstation.trading.messages import (
    FillBusted, OrderDisabled, OrderEnabled, OrderFateUnknown, OrdersReconciled, OrdersVerified, OrderTimedOut,
    UnlockForgotten,
)

pytestmark = pytest.mark.slow
REAL_ACC, HK_SIM, US_SIM, CN_SIM = 281756480572583411, 3450309, 3450310, 3450311


async def buy_with_keys(pilot, app) -> None:
    """b, then Enter in the form (SIMULATE: no confirmation)."""
    app.watchlist.focus()
    await pilot.press("b")
    await wait_until(pilot, lambda: isinstance(app.screen, OrderForm), what="the order form")
    await pilot.press("enter")
    await wait_until(pilot, lambda: not isinstance(app.screen, OrderForm), what="the form sent")


async def unlock_with_keys(pilot, app) -> None:
    await pilot.press("L")
    await wait_until(pilot, lambda: isinstance(app.screen, UnlockScreen), what="the unlock screen")
    app.screen.query_one("#password").value = PASSWORD
    await pilot.press("enter")
    await wait_until(pilot, lambda: app.feed.trading.accounts.unlocked, what="unlocked")


def footer_label(app, key: str) -> str:
    return app.screen.active_bindings[key].binding.description


async def test_two_identical_orders_one_lost_reconcile_to_one_placed_and_one_never_placed(sim, tmp_path):
    seen: list = []
    app = make_app(sim, tmp_path)
    async with app.run_test(size=(160, 45), message_hook=seen.append) as pilot:
        await ready(pilot, app)
        sim.call(sim.sim.pause)  # the prefilled price holds still: both orders are the same
        await round_trip(pilot, app, seen)
        sim.call(lambda: sim.sim.faults.delay(60.0, proto_id=ids.TRD_PLACE_ORDER, count=1))  # OpenD acts, no reply
        await buy_with_keys(pilot, app)
        await wait_until(pilot, lambda: len(received(sim, ids.TRD_PLACE_ORDER)) == 1, what="the first order at OpenD")
        sim.call(lambda: sim.sim.faults.lose_next(ids.TRD_PLACE_ORDER))  # the second dies with the link
        await buy_with_keys(pilot, app)
        await wait_until(pilot, lambda: len(told(seen, OrderFateUnknown)) == 2, what="both fates unknown")
        first, second = (m.ticket for m in told(seen, OrderFateUnknown))
        assert first == second and first.remark == "", "two identical intents, empty remarks"
        sim.call(sim.sim.faults.clear)
        await wait_until(pilot, lambda: told(seen, OrdersReconciled) and not any(
            k.startswith("?") for k in app.store.orders), what="reconciled after the reconnect")
        text = "\n".join(m.text for m in told(seen, OrdersReconciled))
        assert text.count("placed as order") == 1 and text.count("never placed") == 1, text
        (placed,) = received(sim, ids.TRD_PLACE_ORDER)  # the second never reached OpenD
        ref = split_remark(placed.remark)[1]
        assert ref is not None and len(placed.remark.encode()) <= 64
        order_id = next(o.order_id_ex for o in sim.call(lambda: list(sim.sim.broker.account(HK_SIM).orders.values())))
        assert f"placed as order {order_id}" in text
        outcomes = [r for r in Journal(tmp_path).records() if r["kind"] == "outcome"]
        assert sorted(bool(r["order_id"]) for r in outcomes) == [False, True]
        assert [r["order_id"] for r in outcomes if r["order_id"]] == [order_id]
        assert not Journal(tmp_path).pending()


async def test_a_timeout_with_the_link_up_resolves_within_seconds_and_is_told_once(sim, tmp_path):
    wl = WatchlistFile(tmp_path / "watchlist.json")
    wl.save([CODE])
    port = sim.sim.port
    app = FutuTui(Config(port=port), lambda: OpenDClient("127.0.0.1", port, request_timeout=1.0), watchlist_file=wl,
                  journal=Journal(tmp_path))
    seen: list = []
    async with app.run_test(size=(160, 45), message_hook=seen.append) as pilot:
        await ready(pilot, app)
        sim.call(lambda: sim.sim.faults.delay(4.0, proto_id=ids.TRD_PLACE_ORDER, count=1))
        await buy_with_keys(pilot, app)
        await wait_until(pilot, lambda: told(seen, OrderFateUnknown), what="the timeout")
        t0 = time.monotonic()  # measuring how long the UNKNOWN? row stays: not a wait
        (unknown,) = told(seen, OrderFateUnknown)
        assert unknown.checking and "being checked now" in unknown.text
        await wait_until(pilot, lambda: told(seen, OrdersVerified), timeout=10, what="the check's report")
        took = time.monotonic() - t0
        assert took < 5.0, took
        assert not any(o.status == VERIFYING for o in app.store.orders.values())
        (report,) = told(seen, OrdersVerified)
        order_id = next(iter(sim.call(lambda: [o.order_id_ex for o in sim.sim.broker.account(HK_SIM).orders.values()])))
        assert f"placed as order {order_id}" in report.text
        assert order_id in app.store.orders
        await round_trip(pilot, app, seen)
        assert len(told(seen, OrdersVerified)) == 1, "told once"
        assert len(received(sim, ids.TRD_PLACE_ORDER)) == 1, "never resent"
        assert not told(seen, OrdersReconciled), "no reconnect was needed"


async def test_after_an_opend_restart_real_is_locked_says_so_and_vanished_orders_are_reported(sim, tmp_path):
    seen: list = []
    app = make_app(sim, tmp_path)
    async with app.run_test(size=(160, 45), message_hook=seen.append) as pilot:
        await ready(pilot, app)
        await pilot.press("E")
        await wait_until(pilot, lambda: app.feed.trading.accounts.active.is_real, what="the REAL account")
        assert footer_label(app, "L") == "Unlock"
        await unlock_with_keys(pilot, app)
        await wait_until(pilot, lambda: footer_label(app, "L") == "Lock", what="L now locks")
        order_id = await resting_order(pilot, app, -20)
        await wait_until(pilot, lambda: order_id in app.store.orders, what="the REAL order shown")
        assert sim.call(lambda: sim.sim.faults.forget_orders(REAL_ACC)) == 1
        sim.call(sim.sim.faults.restart)
        await wait_until(pilot, lambda: told(seen, UnlockForgotten), what="the unlock forgotten")
        assert "unlock again with L" in told(seen, UnlockForgotten)[0].text
        assert not app.feed.trading.accounts.unlocked
        await wait_until(pilot, lambda: any(m.away for m in told(seen, OrdersReconciled)), what="the while-away report")
        (report,) = [m for m in told(seen, OrdersReconciled) if m.away]
        assert f"order {order_id}" in report.text and "vanished" in report.text, report.text
        assert "nothing changed" not in report.text
        await wait_until(pilot, lambda: footer_label(app, "L") == "Unlock", what="L unlocks again")
        await pilot.press("L")  # does what its label says: asks for the password
        await wait_until(pilot, lambda: isinstance(app.screen, UnlockScreen), what="the unlock screen")


async def test_a_us_order_on_the_universal_account_carries_trade_market_us(sim, tmp_path):
    seen: list = []
    app = make_app(sim, tmp_path)
    async with app.run_test(size=(160, 45), message_hook=seen.append) as pilot:
        await ready(pilot, app)
        await pilot.press("E")
        await wait_until(pilot, lambda: app.feed.trading.accounts.active.is_real, what="the REAL account")
        await unlock_with_keys(pilot, app)
        app.choose("US.AAPL")
        await wait_until(pilot, lambda: not math.isnan(app.store.quote("US.AAPL").ask), what="a US quote")
        await pilot.press("b")
        await wait_until(pilot, lambda: isinstance(app.screen, OrderForm), what="the US order form")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the REAL confirmation")
        await pilot.press("y")
        await wait_until(pilot, lambda: received(sim, ids.TRD_PLACE_ORDER), what="the order at OpenD")
        (c2s,) = received(sim, ids.TRD_PLACE_ORDER)
        assert c2s.header.accID == REAL_ACC and c2s.header.trdMarket == TrdMarket.US and c2s.code == "AAPL"
        await wait_until(pilot, lambda: "sent" in notes(seen) or "rejected" in notes(seen), what="the outcome")
        assert "does not match" not in notes(seen)
        # An A-share on REAL trades through Stock Connect: the universal account has it.
        assert app.feed.trading.accounts.account_for("SH.600519").acc_id == REAL_ACC
        assert app.feed.trading.accounts.header(code="SH.600519").trdMarket == TrdMarket.HKCC


async def test_timeout_busted_fill_and_disabled_orders_show_as_they_are(sim, tmp_path):
    seen: list = []
    app = make_app(sim, tmp_path)
    async with app.run_test(size=(160, 45), message_hook=seen.append) as pilot:
        await ready(pilot, app)
        order_id = await resting_order(pilot, app, -20)
        # TIMEOUT: told, then verified against the order list (which says SUBMITTED).
        sim.call(lambda: sim.sim.faults.push_timeout(HK_SIM, order_id))
        await wait_until(pilot, lambda: told(seen, OrderTimedOut), what="the TIMEOUT told")
        await wait_until(pilot, lambda: told(seen, OrdersVerified), timeout=8, what="the TIMEOUT resolved")
        assert f"order {order_id} (pushed as TIMEOUT) is SUBMITTED" in told(seen, OrdersVerified)[0].text
        assert app.store.orders[order_id].status == OrderStatus.SUBMITTED
        # DISABLED: shown as disabled, not final; enabled again: told.
        sim.call(lambda: sim.sim.faults.disable_order(HK_SIM, order_id))
        await wait_until(pilot, lambda: told(seen, OrderDisabled), what="disabled")
        assert app.store.orders[order_id].is_open and "does not work until enabled again" in told(seen, OrderDisabled)[0].text
        await show_order_row(pilot, app, order_id)
        assert "DISABLED" in row_cells(app, order_id)
        sim.call(lambda: sim.sim.faults.enable_order(HK_SIM, order_id))
        await wait_until(pilot, lambda: told(seen, OrderEnabled), what="enabled again")
        assert app.store.orders[order_id].status == OrderStatus.SUBMITTED
        # A busted fill leaves fills and positions.
        pos0 = app.store.positions[CODE].qty if CODE in app.store.positions else 0.0
        await buy_with_keys(pilot, app)  # at the ask: it fills
        await wait_until(pilot, lambda: app.store.fills and CODE in app.store.positions
                         and app.store.positions[CODE].qty > pos0, timeout=10, what="filled, position up")
        fill_id = next(iter(app.store.fills))
        sim.call(lambda: sim.sim.faults.bust_fill(HK_SIM, fill_id))
        await wait_until(pilot, lambda: told(seen, FillBusted), what="the bust told")
        assert fill_id not in app.store.fills
        await wait_until(pilot, lambda: (app.store.positions[CODE].qty if CODE in app.store.positions else 0.0)
                         == pos0 + sum(f.qty for f in app.store.fills.values() if f.code == CODE and f.side == Side.BUY),
                         timeout=10, what="positions read again")


async def test_the_account_picker_lists_every_account_with_funds_and_refuses_a_disabled_one(sim, tmp_path):
    sim.call(lambda: sim.sim.faults.disable_account(CN_SIM))
    seen: list = []
    app = make_app(sim, tmp_path)
    async with app.run_test(size=(160, 45), message_hook=seen.append) as pilot:
        await ready(pilot, app)
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen), what="help")
        assert "Accounts" in text_of(app.screen.query_one(Static))  # the picker's key is listed
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, HelpScreen), what="help closed")
        await pilot.press("A")
        await wait_until(pilot, lambda: isinstance(app.screen, AccountPicker), what="the account picker")
        picker = app.screen
        await wait_until(pilot, lambda: all(picker.funds_text(a.acc_id) for a in picker.accounts), what="funds")
        assert {a.acc_id for a in picker.accounts} == {REAL_ACC, HK_SIM, US_SIM, CN_SIM}
        assert "USD: total assets" in picker.funds_text(US_SIM)
        assert "CNH: total assets" in picker.funds_text(CN_SIM)
        assert "USD: cash" in picker.funds_text(REAL_ACC) and "CNH: cash" in picker.funds_text(REAL_ACC)
        options = picker.query_one("OptionList")
        assert options.get_option(str(CN_SIM)).disabled and "DISABLED" in str(options.get_option(str(CN_SIM)).prompt)
        options.highlighted = options.get_option_index(str(US_SIM))
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.feed.trading.accounts.active.acc_id == US_SIM, what="trading on US SIM")
        assert not isinstance(app.screen, AccountPicker)


async def test_the_sim_refuses_an_order_whose_header_market_does_not_match_its_code(sim, tmp_path):
    client = OpenDClient("127.0.0.1", sim.sim.port)
    await client.connect()
    try:
        from protocol.client import OpenDError
        from protocol.proto import Trd_Common_pb2, Trd_PlaceOrder_pb2, Trd_UnlockTrade_pb2
        await client.request(ids.TRD_UNLOCK_TRADE, Trd_UnlockTrade_pb2.C2S(unlock=True, pwdMD5=password_md5(PASSWORD)))
        c2s = Trd_PlaceOrder_pb2.C2S(header=Trd_Common_pb2.TrdHeader(trdEnv=1, accID=REAL_ACC, trdMarket=TrdMarket.HK),
                                     trdSide=1, orderType=2, code="AAPL", qty=1.0, price=0.0, secMarket=2)
        with pytest.raises(OpenDError, match="trade market HK does not match US.AAPL"):
            await client.request(ids.TRD_PLACE_ORDER, c2s)
    finally:
        await client.close()
