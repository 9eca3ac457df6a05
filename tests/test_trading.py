"""Order entry end to end: Pilot drives the real app against the real simulator over TCP.

Each test gets its own simulator, so orders, positions and rate-limit windows never leak
between tests.
"""

from __future__ import annotations

import logging
import math

import pytest

from protocol import ids
from protocol.client import OpenDClient
from protocol.fees import fee_items, total
from protocol.gateway.sim import SimThread
from workstation.app import FutuTui
from workstation.config import Config, Watchlist as WatchlistFile
from workstation.journal import Journal
from workstation.orders import Ticket, nudge_price
from workstation.screens.confirm import ConfirmScreen
from workstation.screens.modify import ModifyForm
from workstation.screens.order import OrderForm
from workstation.screens.unlock import UnlockScreen
from workstation.logs import setup_logging
from workstation.messages import OrderUpdated
from workstation.store import Store
from workstation.trading import Trading
from workstation.trading.messages import (OrderDeclined, OrderFateUnknown, OrderRefused, OrderSent, OrdersReconciled,
                                          TradingOutcome)
from protocol.proto import GetGlobalState_pb2, Qot_GetBasicQot_pb2, Qot_Sub_pb2
from protocol.trade import Side, password_md5
from textual.message import Message
from tests.test_app import priced, wait_until

pytestmark = pytest.mark.slow
CODE = "HK.00700"
PASSWORD = "Tr4de-Secret-7781"
SUBMITTED, FILLED_ALL, CANCELLED_ALL = 5, 11, 15


@pytest.fixture
def sim():
    thread = SimThread(seed=11, trade_password=PASSWORD)
    thread.start()
    yield thread
    thread.stop()


def make_app(sim, tmp_path, **settings) -> FutuTui:
    wl = WatchlistFile(tmp_path / "watchlist.json")
    wl.save([CODE, "US.AAPL"])
    port = sim.sim.port
    return FutuTui(Config(port=port, **settings), lambda: OpenDClient("127.0.0.1", port), watchlist_file=wl,
                   journal=Journal(tmp_path))


def told(seen: list, kind: type = TradingOutcome) -> list:
    """The trading outcomes the App handled (each became one notification), oldest first."""
    return [m for m in seen if isinstance(m, kind)]


def notes(seen: list) -> str:
    """What the trader was told, as the notifications read."""
    return "\n".join(m.text for m in told(seen))


def errors(seen: list) -> str:
    return "\n".join(m.text for m in told(seen) if m.severity == "error")


class Barrier(Message):
    """Posted to the App by a test: once handled, every message posted before it was handled."""


async def handled(pilot, app, seen: list) -> None:
    """A round trip through the App's message queue (FIFO)."""
    mark = Barrier()
    app.post_message(mark)
    await wait_until(pilot, lambda: any(m is mark for m in seen), what="the App's queue drained")


async def round_trip(pilot, app, seen: list) -> None:
    """A request on the app's own connection, then a pass through the App's queue. OpenD serves
    one connection's requests in order and sends pushes before later replies, so afterwards
    OpenD has received every earlier request, the app has applied every earlier push, and the
    App has handled every message those pushes posted."""
    client = app.feed.client
    await client.request(ids.GET_GLOBAL_STATE, GetGlobalState_pb2.C2S(userID=client.info.login_user_id))
    await handled(pilot, app, seen)


def received(sim, proto_id: int) -> list:
    """Every request of this kind the simulated OpenD received (refused ones too), oldest first."""
    return sim.call(lambda: [c2s for pid, c2s in sim.sim.trade.received if pid == proto_id])


def row_cells(app, order_id: str) -> list[str]:
    """The orders tab's row for this order, as the trader reads it."""
    return [str(cell) for cell in app.account.orders.get_row(order_id)]


def journal_lines(tmp_path) -> list[dict]:
    return list(Journal(tmp_path).records())


async def ready(pilot, app) -> None:
    await wait_until(pilot, lambda: app.feed.trading.accounts.all and priced(app, CODE)
                     and not math.isnan(app.store.quotes[CODE].ask) and not math.isnan(app.store.funds.cash),
                     what="account, funds and a quote")


async def resting_order(pilot, app, offset_ticks: int = -20) -> str:
    """A buy limit well under the bid (inside the price band): it rests."""
    q = app.store.quote(CODE)
    acc = app.feed.trading.accounts.account_for(CODE)
    ticket = Ticket(code=CODE, side=Side.BUY, qty=100.0, price=nudge_price(CODE, q.bid, offset_ticks), acc_id=acc.acc_id)
    outcome = await app.feed.trading.desk.place(ticket)
    assert isinstance(outcome, OrderSent), outcome.text
    order_id = outcome.order_id
    await wait_until(pilot, lambda: order_id in app.store.orders and app.store.orders[order_id].status == SUBMITTED,
                     what="the order submitted")
    return order_id


async def show_order_row(pilot, app, order_id: str) -> None:
    await pilot.press("4")
    await wait_until(pilot, lambda: order_id in app.account.orders.keys, what="the order row")
    table = app.account.orders
    table.move_cursor(row=table.get_row_index(order_id))
    table.focus()
    await wait_until(pilot, lambda: table.has_focus and table.current_key == order_id, what="the row chosen")


async def test_b_enter_fills_and_moves_position_and_cash(sim, tmp_path):
    seen: list = []
    app = make_app(sim, tmp_path)
    async with app.run_test(size=(160, 45), message_hook=seen.append) as pilot:
        await ready(pilot, app)
        cash0 = app.store.funds.cash
        pos0 = app.store.positions[CODE].qty if CODE in app.store.positions else 0.0
        statuses = lambda: [m.order.status for m in seen if isinstance(m, OrderUpdated)]  # noqa: E731 (pushed)
        app.watchlist.focus()
        await pilot.press("b")
        await wait_until(pilot, lambda: isinstance(app.screen, OrderForm), what="the order form")
        assert "fees ≈" in str(app.screen.query_one("#preview").content)
        await wait_until(pilot, lambda: "max buy" in app.screen.max_text, what="max quantities from OpenD")
        # Marketable (through the best ask): it fills against the book at once. A buy resting at
        # the bid waited on the random walk to come back, and once in ~30 runs it did not in 60 s.
        price = nudge_price(CODE, app.store.quote(CODE).ask, 4)
        app.screen.query_one("#price").value = f"{price:g}"
        await pilot.press("enter")
        await wait_until(pilot, lambda: SUBMITTED in statuses(), what="submitted")
        (c2s,) = received(sim, ids.TRD_PLACE_ORDER)
        assert (c2s.price, c2s.qty) == (price, 100)
        order_id = next(iter(app.store.orders))
        await wait_until(pilot, lambda: order_id in app.account.orders.keys, what="the order in the orders tab")
        await wait_until(pilot, lambda: app.store.orders[order_id].status == FILLED_ALL, what="filled")
        order = app.store.orders[order_id]
        await handled(pilot, app, seen)  # the push that filled it has been handled by the App
        assert statuses()[-1] == FILLED_ALL
        assert "FILLED_ALL" in row_cells(app, order_id)
        fills = [f for f in app.store.fills.values() if f.order_id == order.order_id]
        await wait_until(pilot, lambda: all(f.fill_id in app.account.fills.keys for f in fills), what="fills tab")
        value = sum(f.qty * f.price for f in fills)
        fees = total(fee_items("HK", order.qty, value, False))
        # Funds and positions refresh shortly after the fill (debounced: rate limited calls).
        await wait_until(pilot, lambda: app.store.positions.get(CODE) and app.store.positions[CODE].qty == pos0 + 100,
                         what="the position")
        await wait_until(pilot, lambda: math.isclose(app.store.funds.cash, cash0 - value - fees, abs_tol=0.011),
                         what=f"cash {cash0} - {value} - {fees}")


async def test_modify_cancel_and_cancel_all_reach_their_final_status(sim, tmp_path):
    seen: list = []
    app = make_app(sim, tmp_path)
    async with app.run_test(size=(160, 45), message_hook=seen.append) as pilot:
        await ready(pilot, app)
        first = await resting_order(pilot, app)
        await show_order_row(pilot, app, first)
        await pilot.press("m")
        await wait_until(pilot, lambda: isinstance(app.screen, ModifyForm), what="the modify form")
        new_price = nudge_price(CODE, app.store.orders[first].price, -1)
        app.screen.query_one("#price").value = f"{new_price:g}"
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.store.orders[first].price == new_price, what="the modified price")
        assert app.store.orders[first].status == SUBMITTED
        await show_order_row(pilot, app, first)
        await pilot.press("c")
        await wait_until(pilot, lambda: app.store.orders[first].status == CANCELLED_ALL, what="cancelled")
        app.refresh_all()
        assert "CANCELLED_ALL" in str(app.account.orders.get_row(first))

        two = [await resting_order(pilot, app, -20), await resting_order(pilot, app, -25)]
        app.watchlist.focus()
        await pilot.press("ctrl+k")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the cancel-all confirmation")
        await pilot.press("y")
        await wait_until(pilot, lambda: all(app.store.orders[o].status == CANCELLED_ALL for o in two), what="all cancelled")


async def test_real_needs_unlock_refuses_a_wrong_password_and_escape_aborts(sim, tmp_path):
    seen: list = []
    app = make_app(sim, tmp_path)
    async with app.run_test(size=(160, 45), message_hook=seen.append) as pilot:
        await ready(pilot, app)
        assert app.feed.trading.accounts.active.env == 0, "SIMULATE is the default"
        await pilot.press("E")
        await wait_until(pilot, lambda: app.feed.trading.accounts.active.is_real, what="the REAL account")
        assert app.screen.has_class("-real")
        await pilot.press("b")
        await wait_until(pilot, lambda: "locked" in notes(seen), what="the refusal")  # b's own outcome
        assert not isinstance(app.screen, OrderForm)
        assert "locked" in notes(seen)
        acc = app.feed.trading.accounts.active
        bid = app.store.quote(CODE).bid
        refused = await app.feed.trading.desk.place(Ticket(code=CODE, side=Side.BUY, qty=100, price=bid, env=1,
                                                           acc_id=acc.acc_id))
        assert isinstance(refused, OrderRefused) and "locked" in refused.reason

        await pilot.press("L")
        await wait_until(pilot, lambda: isinstance(app.screen, UnlockScreen), what="the unlock screen")
        app.screen.query_one("#password").value = "not-the-password"
        await pilot.press("enter")
        await wait_until(pilot, lambda: "unlock refused" in notes(seen), what="the refusal")
        assert not app.feed.trading.accounts.unlocked

        await pilot.press("L")
        await wait_until(pilot, lambda: isinstance(app.screen, UnlockScreen), what="the unlock screen")
        app.screen.query_one("#password").value = PASSWORD
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.feed.trading.accounts.unlocked, what="unlocked")
        await pilot.press("b")
        await wait_until(pilot, lambda: isinstance(app.screen, OrderForm), what="the order form")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the REAL confirmation")
        details = str(app.screen.query_one("#details").content)
        for word in ("REAL", acc.label, "BUY", CODE, "100", "Notional"):
            assert word in details
        await pilot.press("escape")
        await wait_until(pilot, lambda: told(seen, OrderDeclined), what="the declined order's outcome")
        await round_trip(pilot, app, seen)
        assert received(sim, ids.TRD_PLACE_ORDER) == []
        assert "not sent" in notes(seen)


async def test_real_relocks_after_idle_time(sim, tmp_path):
    seen: list = []
    app = make_app(sim, tmp_path, relock_minutes=0.01)  # 0.6 s
    async with app.run_test(size=(160, 45), message_hook=seen.append) as pilot:
        await ready(pilot, app)
        await app.feed.trading.accounts.unlock(password_md5(PASSWORD))
        assert app.feed.trading.accounts.unlocked
        await wait_until(pilot, lambda: not app.feed.trading.accounts.unlocked, timeout=5, what="the idle re-lock")
        await wait_until(pilot, lambda: "REAL trading locked (idle" in notes(seen), what="the re-lock notice")
        assert not sim.call(lambda: sim.sim.broker.unlocked), "OpenD is locked too"


async def test_each_validation_rule_shows_why_and_sends_nothing(sim, tmp_path):
    seen: list = []
    app = make_app(sim, tmp_path, max_notional=200_000.0)
    async with app.run_test(size=(160, 45), message_hook=seen.append) as pilot:
        await ready(pilot, app)
        last = app.store.quote(CODE).last
        cases = [  # (side, price, qty, words in the inline message)
            (1, None, "150", "multiple of the lot size"),
            (1, f"{nudge_price(CODE, last, 0) + 0.01:.2f}", "100", "off the tick grid"),
            (1, f"{nudge_price(CODE, last * 1.2, 1):g}", "100", "the band is"),
            (1, None, "1000", "per-order cap"),
            (1, None, "0", "more than 0"),
            (2, None, "100", "you can sell at most"),
        ]
        for side, price, qty, words in cases:
            app.watchlist.focus()
            await pilot.press("b" if side == 1 else "s")
            await wait_until(pilot, lambda: isinstance(app.screen, OrderForm), what="the order form")
            form = app.screen
            if price is not None:
                form.query_one("#price").value = price
            form.query_one("#qty").value = qty
            form.query_one("#qty").focus()
            await pilot.press("enter")
            await wait_until(pilot, lambda: form.problems, what=f"the form's answer to {words!r}")
            assert isinstance(app.screen, OrderForm), words
            assert any(words in p.message for p in form.problems), (words, form.problems)
            assert words in str(form.query_one("#problems").content)
            await pilot.press("escape")
            await wait_until(pilot, lambda: app.screen is not form, what="the form closed")
        await round_trip(pilot, app, seen)
        assert received(sim, ids.TRD_PLACE_ORDER) == []
        assert not (tmp_path / "orders.jsonl").exists()


async def test_sixteenth_order_in_thirty_seconds_is_held_back(sim, tmp_path):
    seen: list = []
    app = make_app(sim, tmp_path)
    async with app.run_test(size=(160, 45), message_hook=seen.append) as pilot:
        await ready(pilot, app)
        q = app.store.quote(CODE)
        acc = app.feed.trading.accounts.account_for(CODE)
        ticket = Ticket(code=CODE, side=Side.BUY, qty=100.0, price=nudge_price(CODE, q.bid, -30), acc_id=acc.acc_id)
        for _ in range(16):
            app.send_order(ticket)
        await wait_until(pilot, lambda: "order rate limit" in notes(seen), what="the wait message")
        await wait_until(pilot, lambda: len(received(sim, ids.TRD_PLACE_ORDER)) == 15, what="15 orders sent")
        await wait_until(pilot, lambda: len(told(seen, OrderSent)) == 15, what="every order's outcome")
        assert len(told(seen, OrderRefused)) == 1  # all 16 requests are done: none can still be sent
        await round_trip(pilot, app, seen)
        assert len(received(sim, ids.TRD_PLACE_ORDER)) == 15
        assert "wait" in notes(seen)
        journal = Journal(tmp_path)
        records = list(journal.records())
        assert sum(r["kind"] == "intent" for r in records) == 15
        assert sum(r["kind"] == "outcome" and bool(r["order_id"]) for r in records) == 15
        assert not journal.pending()


async def test_journal_with_unknown_outcomes_is_reconciled_at_start_and_nothing_resent(sim, tmp_path):
    # A previous run died mid-request twice: once after OpenD took the order, once before.
    client = OpenDClient("127.0.0.1", sim.sim.port)
    await client.connect()
    trading = Trading(client, Store(), lambda m: None, Journal(tmp_path / "scratch"))
    await trading.accounts.load()
    acc = trading.accounts.account_for(CODE)
    sec = [{"market": 1, "code": "00700"}]
    await client.request(ids.QOT_SUB, Qot_Sub_pb2.C2S(securityList=sec, subTypeList=[1], isSubOrUnSub=True))
    s2c = await client.request(ids.QOT_GET_BASIC_QOT, Qot_GetBasicQot_pb2.C2S(securityList=sec))
    price = nudge_price(CODE, s2c.basicQotList[0].curPrice, -25)
    placed = Ticket(code=CODE, side=Side.BUY, qty=100.0, price=price, acc_id=acc.acc_id, remark="died-after")
    lost = Ticket(code=CODE, side=Side.BUY, qty=200.0, price=price, acc_id=acc.acc_id, remark="died-before")
    journal = Journal(tmp_path)
    journal.intent(placed, "r1")
    order_id = (await trading.desk.place(placed)).order_id  # OpenD has it; our journal never heard back
    journal.intent(lost, "r2")
    await client.close()

    seen: list = []
    app = make_app(sim, tmp_path)
    async with app.run_test(size=(160, 45), message_hook=seen.append) as pilot:
        await wait_until(pilot, lambda: not journal.pending(), what="the journal reconciled")
        await wait_until(pilot, lambda: "order journal" in notes(seen), what="the report")
        text = notes(seen)
        assert f"placed as order {order_id}" in text
        assert "BUY 200 HK.00700: not found at OpenD" in text and "not resent" in text
        assert len(received(sim, ids.TRD_PLACE_ORDER)) == 1, "only the first run's order"
        outcomes = {r["ref"]: r for r in journal.records() if r["kind"] == "outcome"}
        assert outcomes["r1"]["order_id"] == order_id and outcomes["r2"]["order_id"] is None
    # Reported once: a second start finds nothing to reconcile.
    seen2: list = []
    app2 = make_app(sim, tmp_path)
    async with app2.run_test(size=(160, 45), message_hook=seen2.append) as pilot:
        await ready(pilot, app2)
        # The journal is reconciled before ready_once is set, and its report posted right after.
        await wait_until(pilot, lambda: app2.feed.trading.ready_once, what="the second start reconciled")
        await handled(pilot, app2, seen2)
        assert "order journal" not in notes(seen2)
        assert not told(seen2, OrdersReconciled)


async def test_the_trade_password_is_never_written_anywhere(sim, tmp_path, monkeypatch):
    data, conf = tmp_path / "data", tmp_path / "config"
    monkeypatch.setenv("XDG_DATA_HOME", str(data))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(conf))
    log_file = setup_logging(level=logging.DEBUG)
    try:
        port = sim.sim.port
        seen: list = []
        app = FutuTui(Config(port=port), lambda: OpenDClient("127.0.0.1", port))
        async with app.run_test(size=(160, 45), message_hook=seen.append) as pilot:
            await ready(pilot, app)
            await pilot.press("E")
            await pilot.press("L")
            await wait_until(pilot, lambda: isinstance(app.screen, UnlockScreen), what="the unlock screen")
            field = app.screen.query_one("#password")
            field.value = PASSWORD
            await pilot.press("enter")
            await wait_until(pilot, lambda: app.feed.trading.accounts.unlocked, what="unlocked")
            assert field.value == "", "the field forgets the password"
            await pilot.press("b")
            await wait_until(pilot, lambda: isinstance(app.screen, OrderForm), what="the order form")
            await pilot.press("enter")
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the confirmation")
            await pilot.press("y")
            await wait_until(pilot, lambda: (data / "futu-tui" / "orders.jsonl").exists()
                             and len((data / "futu-tui" / "orders.jsonl").read_text().splitlines()) == 2,
                             what="the REAL order journalled")
    finally:
        logging.getLogger().handlers[:] = [h for h in logging.getLogger().handlers if not getattr(h, "futu_tui", False)]
    assert log_file.exists() and log_file.stat().st_size > 0
    written = [p for p in list(data.rglob("*")) + list(conf.rglob("*")) if p.is_file()]
    assert log_file in written
    for path in written:
        assert PASSWORD.encode() not in path.read_bytes(), path


async def test_an_order_whose_reply_is_lost_is_verified_once_and_never_resent(sim, tmp_path):
    seen: list = []
    app = make_app(sim, tmp_path)
    async with app.run_test(size=(160, 45), message_hook=seen.append) as pilot:
        await ready(pilot, app)
        await wait_until(pilot, lambda: CODE in app.store.positions or app.store.funds.cash == app.store.funds.cash,
                         what="positions loaded")
        cash0 = app.store.funds.cash
        pos0 = app.store.positions[CODE].qty if CODE in app.store.positions else 0.0
        sim.call(lambda: sim.sim.faults.delay(30.0, proto_id=ids.TRD_PLACE_ORDER))  # OpenD acts, the reply waits
        q = app.store.quote(CODE)
        acc = app.feed.trading.accounts.account_for(CODE)
        ask = q.ask
        app.send_order(Ticket(code=CODE, side=Side.BUY, qty=100.0, price=nudge_price(CODE, ask, 2), acc_id=acc.acc_id))
        await wait_until(pilot, lambda: received(sim, ids.TRD_PLACE_ORDER), what="the order sent")
        await wait_until(pilot, lambda: sim.call(lambda: any(o.status == FILLED_ALL for o in
                                                             sim.sim.broker.account(acc.acc_id).orders.values())),
                         what="OpenD filled it (its reply still held back)")
        sim.call(lambda: (sim.sim.faults.clear(), sim.sim.faults.drop()))
        # The "?" row lasts only until the reconnect verifies it: wait on the message, not the row.
        await wait_until(pilot, lambda: any(isinstance(m, OrderFateUnknown) for m in seen), what="unknown, verifying")
        app.refresh_all()
        await wait_until(pilot, lambda: not any(k.startswith("?") for k in app.store.orders), timeout=20,
                         what="verified after the reconnect")
        await wait_until(pilot, lambda: "placed as order" in notes(seen), what="the verification report")
        filled = [o for o in app.store.orders.values() if o.status == FILLED_ALL and o.code == CODE]
        assert len(filled) == 1
        fills = [f for f in app.store.fills.values() if f.order_id == filled[0].order_id]
        value = sum(f.qty * f.price for f in fills)
        assert sum(f.qty for f in fills) == 100
        fees = total(fee_items("HK", 100, value, False))
        await wait_until(pilot, lambda: app.store.positions.get(CODE) and app.store.positions[CODE].qty == pos0 + 100,
                         what="the position counted once")
        await wait_until(pilot, lambda: math.isclose(app.store.funds.cash, cash0 - value - fees, abs_tol=0.011),
                         what="cash debited once")
        assert len(received(sim, ids.TRD_PLACE_ORDER)) == 1, "never resent"
        assert not Journal(tmp_path).pending()


async def test_b_and_s_work_from_the_book_tape_and_chart_and_us_orders_pick_a_session(sim, tmp_path):
    seen: list = []
    app = make_app(sim, tmp_path)
    async with app.run_test(size=(160, 45), message_hook=seen.append) as pilot:
        await ready(pilot, app)
        sim.call(sim.sim.pause)  # the best bid holds still while we compare
        await round_trip(pilot, app, seen)  # every quote pushed before the pause is applied
        for panel in (app.book, app.tape, app.chart):
            panel.focus()
            await pilot.press("s")
            await wait_until(pilot, lambda: isinstance(app.screen, OrderForm), what=f"the form from {panel.id}")
            assert app.screen.ticket.code == CODE and app.screen.ticket.side == 2
            assert app.screen.query_one("#price").value == f"{app.store.quote(CODE).bid:g}"  # best opposite price
            form = app.screen
            await pilot.press("escape")
            await wait_until(pilot, lambda: app.screen is not form, what="the form closed")
        sim.call(sim.sim.resume)
        app.choose("US.AAPL")
        await wait_until(pilot, lambda: not math.isnan(app.store.quote("US.AAPL").ask), what="a US quote")
        await pilot.press("b")
        await wait_until(pilot, lambda: isinstance(app.screen, OrderForm), what="the US form")
        form = app.screen
        form.query_one("#session").value = 2  # extended hours
        ticket, problems = form.read()  # read() takes the fields' values as they are now
        assert ticket.session == 2 and not problems
        from workstation.orders import to_c2s
        accounts = app.feed.trading.accounts
        assert to_c2s(ticket, accounts.header(accounts.account_for("US.AAPL"))).fillOutsideRTH


async def test_a_new_order_does_not_move_the_cursor_off_the_order_the_trader_chose(sim, tmp_path):
    """Newest orders go on top: a row arriving while the trader aims at another must not make
    `c` cancel the wrong order."""
    seen: list = []
    app = make_app(sim, tmp_path)
    async with app.run_test(size=(160, 45), message_hook=seen.append) as pilot:
        await ready(pilot, app)
        first = await resting_order(pilot, app, -20)
        await show_order_row(pilot, app, first)
        table = app.account.orders
        assert table.current_key == first and table.cursor_row == 0
        second = await resting_order(pilot, app, -25)
        await wait_until(pilot, lambda: second in table.keys, what="the second row")
        assert table.keys[0] == second, "newest first"
        assert table.current_key == first and table.cursor_row == 1
        assert first[-8:] in table.line_text(1 + table.cursor_row)  # the highlighted line on screen
        await pilot.press("c")
        await wait_until(pilot, lambda: app.store.orders[first].status == CANCELLED_ALL, what="the chosen order cancelled")
        assert app.store.orders[second].status == SUBMITTED
