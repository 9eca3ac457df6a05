"""The order form through the keyboard: short selling, every order type and GTC reaching the
simulated broker, the REAL confirmation's values, the preview, the nudge keys, Delete and
ctrl+k. Pilot drives the real app against the simulator over TCP."""

from __future__ import annotations

import math

import pytest

from protocol import ids
from workstation.orders import Ticket, fmt, nudge_price
from workstation.screens.confirm import ConfirmScreen
from workstation.screens.order import OrderForm
from protocol.trade import OrderType, Side, TimeInForce, password_md5
from tests.test_app import text_of, wait_until
from tests.test_trading import (  # noqa: F401  (sim is a fixture)
    CODE, PASSWORD, journal_lines, make_app, ready, received, resting_order, round_trip, row_cells, show_order_row,
    sim,
)

pytestmark = pytest.mark.slow
US = "US.AAPL"
HK_SIM, US_SIM, REAL_ACC = 3450309, 3450310, 281756480572583411
SUBMITTED, FILLED_ALL, CANCELLED_ALL = 5, 11, 15


async def open_form(pilot, app, key: str = "b") -> OrderForm:
    app.watchlist.focus()
    await pilot.press(key)
    await wait_until(pilot, lambda: isinstance(app.screen, OrderForm), what="the order form")
    return app.screen


def broker_order(sim, acc_id: int, order_id: str):
    return sim.call(lambda: next(o for o in sim.sim.broker.account(acc_id).orders.values() if o.order_id_ex == order_id))


async def test_selling_more_than_can_sell_is_refused_and_ctrl_s_chooses_a_short_sale(sim, tmp_path):
    seen: list = []
    app = make_app(sim, tmp_path, allow_short=True)
    async with app.run_test(size=(160, 45), message_hook=seen.append) as pilot:
        await ready(pilot, app)
        app.watchlist.focus()
        await pilot.press("down")  # the watchlist's second row
        await wait_until(pilot, lambda: app.focus_code == US and not math.isnan(app.store.quote(US).bid),
                         what="a US quote")
        form = await open_form(pilot, app, "s")
        assert form.ticket.side == Side.SELL
        form.query_one("#qty").value = "10"
        await pilot.press("enter")
        await wait_until(pilot, lambda: form.problems, what="the refusal")
        assert "you can sell at most 0; to short, choose SELL SHORT (ctrl+s)" in text_of(form.query_one("#problems"))
        assert isinstance(app.screen, OrderForm)
        assert received(sim, ids.TRD_PLACE_ORDER) == [] and not journal_lines(tmp_path), "nothing sent"

        await pilot.press("ctrl+s")
        assert form.ticket.side == Side.SELL_SHORT and "SELL SHORT" in text_of(form.query_one("#title"))
        assert "position 0 → -10" in text_of(form.query_one("#preview"))
        await pilot.press("enter")
        await wait_until(pilot, lambda: received(sim, ids.TRD_PLACE_ORDER), what="the short sale sent")
        (c2s,) = received(sim, ids.TRD_PLACE_ORDER)
        assert (c2s.trdSide, c2s.code, c2s.qty, c2s.header.accID) == (Side.SELL_SHORT, "AAPL", 10, US_SIM)
        await wait_until(pilot, lambda: any(o.side == Side.SELL_SHORT for o in app.store.orders.values()),
                         what="the short sale in the orders tab")
        (order,) = [o for o in app.store.orders.values() if o.side == Side.SELL_SHORT]
        await wait_until(pilot, lambda: order.order_id in app.account.orders.keys, what="its row")
        assert [app.account.orders.get_cell(order.order_id, k).plain for k in ("id", "code", "side")] == [
            order.order_id, US, "SELL_SHORT"]
        assert broker_order(sim, US_SIM, order.order_id).status in (SUBMITTED, FILLED_ALL)


async def test_without_allow_short_ctrl_s_only_flips_buy_and_sell(sim, tmp_path):
    seen: list = []
    app = make_app(sim, tmp_path)
    async with app.run_test(size=(160, 45), message_hook=seen.append) as pilot:
        await ready(pilot, app)
        form = await open_form(pilot, app, "s")
        sides = []
        for _ in range(3):
            await pilot.press("ctrl+s")
            sides.append(form.ticket.side)
        assert sides == [Side.BUY, Side.SELL, Side.BUY]
        await pilot.press("ctrl+s")
        form.query_one("#qty").value = "100"
        await pilot.press("enter")
        await wait_until(pilot, lambda: form.problems, what="the refusal")
        assert [p.message for p in form.problems] == ["you can sell at most 0"]


async def test_each_order_type_and_gtc_reach_the_broker_as_chosen(sim, tmp_path):
    seen: list = []
    app = make_app(sim, tmp_path)
    async with app.run_test(size=(160, 45), message_hook=seen.append) as pilot:
        await ready(pilot, app)
        sim.call(sim.sim.pause)  # prices hold still: the stops stay untriggered, the limits rest
        await round_trip(pilot, app, seen)  # every quote pushed before the pause is applied
        last = app.store.quote(CODE).last
        cases = [  # type, limit price, trigger price, time in force, where the broker leaves it
            (OrderType.MARKET, None, None, TimeInForce.DAY, FILLED_ALL),
            (OrderType.ABSOLUTE_LIMIT, nudge_price(CODE, last, -20), None, TimeInForce.GTC, SUBMITTED),
            (OrderType.STOP, None, nudge_price(CODE, last, 15), TimeInForce.GTC, SUBMITTED),
            (OrderType.STOP_LIMIT, nudge_price(CODE, last, 17), nudge_price(CODE, last, 15), TimeInForce.DAY, SUBMITTED),
        ]
        names = {OrderType.MARKET: "MARKET", OrderType.ABSOLUTE_LIMIT: "ABS_LIMIT", OrderType.STOP: "STOP", OrderType.STOP_LIMIT: "STOP_LIMIT"}
        for n, (kind, price, aux, tif, status) in enumerate(cases, 1):
            form = await open_form(pilot, app)
            form.query_one("#type").value = kind
            form.query_one("#tif").value = tif
            if price is not None:
                form.query_one("#price").value = fmt(price)
            if aux is not None:
                form.query_one("#aux").value = fmt(aux)
            form.query_one("#qty").focus()
            await pilot.press("enter")
            await wait_until(pilot, lambda: len(received(sim, ids.TRD_PLACE_ORDER)) == n, what=f"order {n} sent")
            c2s = received(sim, ids.TRD_PLACE_ORDER)[-1]
            assert (c2s.orderType, c2s.timeInForce, c2s.qty) == (kind, tif, 100)
            assert c2s.price == (price or 0.0)
            assert (c2s.auxPrice if c2s.HasField("auxPrice") else None) == aux
            await wait_until(pilot, lambda: any(o.order_type == kind for o in app.store.orders.values()),
                             what="the order in the store")
            (row,) = [o for o in app.store.orders.values() if o.order_type == kind]
            await wait_until(pilot, lambda: app.store.orders[row.order_id].status == status, what=f"status {status}")
            at_broker = broker_order(sim, HK_SIM, row.order_id)
            assert (at_broker.order_type, at_broker.tif, at_broker.aux_price) == (kind, tif, aux)
            await wait_until(pilot, lambda: row.order_id in app.account.orders.keys, what="its row")
            assert row_cells(app, row.order_id)[3] == names[kind]


async def test_the_real_confirmation_shows_every_value_of_the_order(sim, tmp_path):
    seen: list = []
    app = make_app(sim, tmp_path)
    async with app.run_test(size=(160, 45), message_hook=seen.append) as pilot:
        await ready(pilot, app)
        sim.call(sim.sim.pause)
        await app.feed.trading.accounts.unlock(password_md5(PASSWORD))
        await pilot.press("E")
        await wait_until(pilot, lambda: app.feed.trading.accounts.active.is_real, what="the REAL account")
        label = app.feed.trading.accounts.active.label
        name = sim.call(lambda: sim.sim.market.instruments[CODE].name)
        form = await open_form(pilot, app)
        price = float(form.query_one("#price").value)
        form.query_one("#qty").value = "300"
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the REAL confirmation")
        shown = [line.split(None, 1) for line in text_of(app.screen.query_one("#details")).splitlines() if line.strip()]
        assert shown == [
            ["Env", "REAL"], ["Account", label], ["Side", "BUY"], ["Code", CODE], ["Name", name], ["Qty", "300"],
            ["Price", fmt(price)], ["Notional", f"{price * 300:,.2f} HKD"],
        ]
        assert label == "REAL HK/US/HKCC 1001318721909873"  # the universal paper account
        await pilot.press("y")
        await wait_until(pilot, lambda: received(sim, ids.TRD_PLACE_ORDER), what="the REAL order sent")
        (c2s,) = received(sim, ids.TRD_PLACE_ORDER)
        assert (c2s.header.accID, c2s.header.trdEnv, c2s.price, c2s.qty) == (REAL_ACC, 1, price, 300)

        form = await open_form(pilot, app)
        form.query_one("#type").value = OrderType.MARKET
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the market order's confirmation")
        last = app.store.quote(CODE).last
        details = text_of(app.screen.query_one("#details"))
        assert f"MARKET (last {fmt(last)})" in details and f"{last * 100:,.2f} HKD" in details
        await pilot.press("n")


async def test_preview_nudge_keys_delete_and_ctrl_k_inside_the_form(sim, tmp_path):
    seen: list = []
    app = make_app(sim, tmp_path)
    async with app.run_test(size=(160, 45), message_hook=seen.append) as pilot:
        await ready(pilot, app)
        trading = app.feed.trading
        q = app.store.quote(CODE)
        bought = (await trading.desk.place(Ticket(code=CODE, side=Side.BUY, qty=100.0, price=nudge_price(CODE, q.ask, 2),
                                                  acc_id=HK_SIM))).order_id
        await wait_until(pilot, lambda: app.store.orders.get(bought) and app.store.orders[bought].status == FILLED_ALL,
                         what="the buy filled")
        await trading.book.refresh()
        await wait_until(pilot, lambda: CODE in app.store.positions, what="the position")
        sim.call(sim.sim.pause)
        await round_trip(pilot, app, seen)  # every push sent before the pause is applied
        power = sim.call(lambda: sim.sim.broker.funds(HK_SIM).power)
        await trading.book.refresh()
        assert app.store.funds.power == pytest.approx(power)

        form = await open_form(pilot, app)
        preview = lambda: text_of(form.query_one("#preview"))  # noqa: E731
        assert f"buying power {power:,.2f}" in preview()
        assert "position 100 → 200" in preview()
        price0 = float(form.query_one("#price").value)
        await pilot.press("ctrl+up")
        assert form.query_one("#price").value == fmt(nudge_price(CODE, price0, 1))
        await pilot.press("ctrl+down", "ctrl+down")
        assert form.query_one("#price").value == fmt(nudge_price(CODE, price0, -1))
        await pilot.press("pageup", "pageup")
        assert form.query_one("#qty").value == "300" and "position 100 → 400" in preview()
        await pilot.press("pagedown")
        assert form.query_one("#qty").value == "200" and "position 100 → 300" in preview()
        assert f"notional {nudge_price(CODE, price0, -1) * 200:,.2f}" in preview()
        await pilot.press("ctrl+s")
        assert "position 100 → -100" in preview()
        await pilot.press("escape")
        sim.call(sim.sim.resume)

        first = await resting_order(pilot, app)
        await show_order_row(pilot, app, first)
        await pilot.press("delete")
        await wait_until(pilot, lambda: app.store.orders[first].status == CANCELLED_ALL, what="Delete cancelled it")
        cancel = received(sim, ids.TRD_MODIFY_ORDER)[-1]
        assert (cancel.orderIDEx, cancel.modifyOrderOp, cancel.forAll) == (first, 2, False)

        second = await resting_order(pilot, app)
        form = await open_form(pilot, app)
        assert form.query_one("#price").has_focus
        await pilot.press("ctrl+k")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the cancel-all confirmation")
        await pilot.press("y")
        await wait_until(pilot, lambda: app.store.orders[second].status == CANCELLED_ALL, what="all cancelled")
        assert app.screen is form, "back in the order form"


async def test_a_us_order_in_simulate_previews_the_us_accounts_buying_power(sim, tmp_path):
    """The active account is the HK paper one; a US order goes to the US one, whose funds the
    preview must show (not "-", not the HK account's)."""
    seen: list = []
    app = make_app(sim, tmp_path)
    async with app.run_test(size=(160, 45), message_hook=seen.append) as pilot:
        await ready(pilot, app)
        assert app.feed.trading.accounts.active.acc_id == HK_SIM
        app.watchlist.focus()
        await pilot.press("down")
        await wait_until(pilot, lambda: app.focus_code == US and not math.isnan(app.store.quote(US).ask),
                         what="a US quote")
        form = await open_form(pilot, app)
        assert form.ticket.acc_id == US_SIM
        power = sim.call(lambda: sim.sim.broker.funds(US_SIM).power)
        await wait_until(pilot, lambda: f"buying power {power:,.2f}" in text_of(form.query_one("#preview")),
                         what="the US account's buying power")
        assert "USD" in text_of(form.query_one("#preview"))  # the US account's currency, not HKD
        await pilot.press("escape")


async def test_a_hostile_name_cannot_reshape_the_real_confirmation(sim, tmp_path):
    """40 newlines and fake rows in the security's name: the confirmation still has exactly its
    own rows, the name is one capped line, and the question line states the true order."""
    from tests.hostile import NAMES

    sim.call(sim.sim.faults.rename, CODE, NAMES["HK.03690"])
    try:
        app = make_app(sim, tmp_path)
        async with app.run_test(size=(160, 45)) as pilot:
            await ready(pilot, app)
            await wait_until(pilot, lambda: "Notional 100.00" in app.store.names.get(CODE, ""), what="the hostile name")
            await app.feed.trading.accounts.unlock(password_md5(PASSWORD))
            await pilot.press("E")
            await wait_until(pilot, lambda: app.feed.trading.accounts.active.is_real, what="the REAL account")
            form = await open_form(pilot, app)
            price = float(form.query_one("#price").value)
            form.query_one("#qty").value = "500"
            await pilot.press("enter")
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the REAL confirmation")
            rows = [line for line in text_of(app.screen.query_one("#details"), 200).splitlines() if line.strip()]
            assert [r.split(None, 1)[0] for r in rows] == ["Env", "Account", "Side", "Code", "Name", "Qty", "Price",
                                                          "Notional"]
            assert rows[5].split() == ["Qty", "500"] and rows[6].split() == ["Price", fmt(price)]
            await pilot.press("n")
    finally:
        sim.call(sim.sim.faults.rename, CODE, "腾讯控股")
