"""The official SDK's trade context against the simulated OpenD: every trade call and both trade pushes.

One simulator (its own thread and loop) and one HK trade context serve the whole module;
every SDK trade call costs an extra Trd_GetAccList, so the calls here are counted.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta

import pytest

from protocol import ids
from protocol.client import OpenDClient, OpenDError
from protocol import markets
from protocol.gateway.sim import SimThread
from protocol.proto import Trd_Common_pb2, Trd_GetOrderList_pb2, Trd_ModifyOrder_pb2, Trd_PlaceOrder_pb2

futu = pytest.importorskip("futu")
from futu import (  # noqa: E402
    RET_ERROR, RET_OK, ModifyOrderOp, OpenSecTradeContext, OrderStatus, OrderType, SysConfig, TradeDealHandlerBase,
    TradeOrderHandlerBase, TrdEnv, TrdMarket, TrdSide,
)

pytestmark = [pytest.mark.sdk, pytest.mark.slow]

PASSWORD = "paper-trading-pw"
SIM = TrdEnv.SIMULATE
HK_SIM, CN_SIM = 3450309, 3450311
WINDOW = {"start": (datetime.now() - timedelta(days=2)).strftime("%Y-%m-%d"),
          "end": (datetime.now() + timedelta(days=2)).strftime("%Y-%m-%d")}


class Collect:
    """Rows of every push, as dicts, safe to read from the test thread."""

    def __init__(self) -> None:
        self.rows: list[dict] = []
        self.lock = threading.Lock()

    def add(self, ret: int, data) -> None:
        if ret == RET_OK:
            with self.lock:
                self.rows.extend(data.to_dict("records"))

    def where(self, **match) -> list[dict]:
        with self.lock:
            return [r for r in self.rows if all(r.get(k) == v for k, v in match.items())]


class OrderPushes(TradeOrderHandlerBase, Collect):
    def __init__(self) -> None:
        TradeOrderHandlerBase.__init__(self)
        Collect.__init__(self)

    def on_recv_rsp(self, rsp_pb):
        ret, data = super().on_recv_rsp(rsp_pb)
        self.add(ret, data)
        return ret, data


class DealPushes(TradeDealHandlerBase, Collect):
    def __init__(self) -> None:
        TradeDealHandlerBase.__init__(self)
        Collect.__init__(self)

    def on_recv_rsp(self, rsp_pb):
        ret, data = super().on_recv_rsp(rsp_pb)
        self.add(ret, data)
        return ret, data


def wait_until(predicate, timeout: float = 5.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)  # poll interval: the wait ends on the condition
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="module")
def sim():
    SysConfig.set_all_thread_daemon(True)
    thread = SimThread(seed=21, rate=4, trade_password=PASSWORD, tick_ms=20)
    thread.start()
    thread.call(setattr, thread.sim.trade, "limits_enabled", False)  # rate limits: see test_rate_limits
    yield thread
    thread.stop()


@pytest.fixture(scope="module")
def pushes():
    return OrderPushes(), DealPushes()


@pytest.fixture(scope="module")
def ctx(sim, pushes):
    context = OpenSecTradeContext(filter_trdmarket=TrdMarket.HK, host="127.0.0.1", port=sim.sim.port)
    for handler in pushes:
        context.set_handler(handler)
    # the constructor subscribes to pushes asynchronously; wait until the simulator has it
    wait_until(lambda: sim.call(lambda: any(s.data.get("trd_acc_sub") for s in sim.sim.gateway.sessions.values())),
               what="Trd_SubAccPush")
    yield context
    context.close()


def ok(result):
    ret, data = result
    assert ret == RET_OK, data
    return data


def book(sim, code: str):
    return sim.call(sim.sim.market.book, code)


def ticks_away(sim, code: str, n: int) -> float:
    """A price n ticks above (n > 0) or below the last price, on the grid."""
    market = code.split(".")[0]
    price = sim.call(sim.sim.market.last_price, code)
    for _ in range(abs(n)):
        step = markets.tick_size(market, price if n > 0 else price - 1e-9)
        price = markets.round_to_tick(market, price + step if n > 0 else price - step, n > 0)
    return price


def resting_price(sim, code: str, below: float = 0.08) -> float:
    """A buy price well below the market (so it rests) but inside the 20% band."""
    last = sim.call(sim.sim.market.last_price, code)
    return markets.round_to_tick(code.split(".")[0], last * (1 - below), False)


def funds(ctx, env=SIM, **kw) -> dict:
    return ok(ctx.accinfo_query(trd_env=env, **kw)).iloc[0].to_dict()


def position(ctx, code: str, env=SIM) -> dict | None:
    rows = ok(ctx.position_list_query(code=code, trd_env=env))
    return rows.iloc[0].to_dict() if len(rows) else None


def order(ctx, order_id: str, env=SIM) -> dict:
    return ok(ctx.order_list_query(order_id=order_id, trd_env=env)).iloc[0].to_dict()


# -- accounts ---------------------------------------------------------------------------------


def test_get_acc_list(ctx):
    accs = ok(ctx.get_acc_list()).set_index("trd_env")
    real, paper = accs.loc["REAL"], accs.loc["SIMULATE"]
    assert real.security_firm == "FUTUSECURITIES" and real.trdmarket_auth == ["HK", "US", "HKCC"]
    assert real.card_num == "1001318721909873" and real.acc_type == "MARGIN" and real.sim_acc_type == "N/A"
    assert paper.acc_id == HK_SIM and paper.trdmarket_auth == ["HK"]
    assert paper.sim_acc_type == "STOCK" and paper.security_firm == "N/A" and paper.acc_type == "CASH"


# -- the life of a filled order ----------------------------------------------------------------


def test_filled_buy_shows_in_deals_positions_funds_fees_history_and_pushes(sim, ctx, pushes):
    order_pushes, deal_pushes = pushes
    code = "HK.00700"
    before = funds(ctx)
    held = position(ctx, code)
    held_qty = held["qty"] if held else 0.0
    limit = ticks_away(sim, code, 4)  # marketable: at or through the best ask

    placed = ok(ctx.place_order(price=limit, qty=100, code=code, trd_side=TrdSide.BUY, trd_env=SIM, remark="buy-1"))
    order_id = placed.order_id[0]
    assert placed.code[0] == code and placed.stock_name[0] == "腾讯控股" and placed.remark[0] == "buy-1"
    wait_until(lambda: order_pushes.where(order_id=order_id, order_status=OrderStatus.FILLED_ALL), what="FILLED_ALL push")
    statuses = [r["order_status"] for r in order_pushes.where(order_id=order_id)]
    assert statuses[:2] == [OrderStatus.SUBMITTING, OrderStatus.SUBMITTED], statuses

    deals = ok(ctx.deal_list_query(code=code, trd_env=SIM))
    deal = deals[deals.order_id == order_id].iloc[0]
    assert deal.qty == 100 and deal.trd_side == TrdSide.BUY and deal.code == code and deal.status == "OK"
    price = deal.price
    assert price <= limit and markets.on_tick_grid("HK", price)
    (pushed,) = wait_until(lambda: deal_pushes.where(order_id=order_id), what="deal push")
    assert (pushed["deal_id"], pushed["price"], pushed["trd_env"], pushed["trd_market"]) == (deal.deal_id, price, SIM, "HK")

    fee_row = ok(ctx.order_fee_query([order_id], trd_env=SIM)).iloc[0]
    fee = fee_row.fee_amount
    assert fee > 15 and ("Platform fee", 15.0) in fee_row.fee_details

    after = funds(ctx)
    assert after["cash"] == pytest.approx(before["cash"] - 100 * price - fee, abs=0.01)
    assert after["frozen_cash"] == pytest.approx(before["frozen_cash"], abs=0.01)
    pos = position(ctx, code)
    assert pos["qty"] == held_qty + 100 and pos["can_sell_qty"] == held_qty + 100
    if not held_qty:
        assert pos["average_cost"] == pytest.approx(price)
        assert pos["diluted_cost"] == pytest.approx(price + fee / 100, abs=1e-3)
        # td_plVal, as the SDK reads it: bought today, so the day's P&L is the move since the fill.
        assert pos["today_pl_val"] == pytest.approx(100 * (pos["nominal_price"] - price), abs=0.01)
    assert pos["position_side"] == "LONG" and pos["position_market"] == "HK"
    assert pos["market_val"] == pytest.approx(pos["qty"] * pos["nominal_price"], abs=0.01)

    row = order(ctx, order_id)
    assert (row["order_status"], row["dealt_qty"], row["dealt_avg_price"]) == (OrderStatus.FILLED_ALL, 100, price)
    history = ok(ctx.history_order_list_query(status_filter_list=[OrderStatus.FILLED_ALL], code=code,
                                              trd_env=SIM, **WINDOW))
    assert order_id in set(history.order_id)
    history_deals = ok(ctx.history_deal_list_query(code=code, trd_env=SIM, **WINDOW))
    assert deal.deal_id in set(history_deals.deal_id)

    info = ok(ctx.acctradinginfo_query(order_type=OrderType.NORMAL, code=code, price=limit, trd_env=SIM)).iloc[0]
    assert info.max_position_sell == pos["can_sell_qty"]
    assert info.max_cash_buy > 0 and info.max_cash_buy % 100 == 0
    assert info.max_cash_buy * limit <= after["power"] < (info.max_cash_buy + 200) * limit

    # and sell it back at the bid
    sold = ok(ctx.place_order(price=ticks_away(sim, code, -4), qty=100, code=code, trd_side=TrdSide.SELL, trd_env=SIM))
    wait_until(lambda: order_pushes.where(order_id=sold.order_id[0], order_status=OrderStatus.FILLED_ALL),
               what="the sell to fill")
    assert (position(ctx, code) or {"qty": 0.0})["qty"] == held_qty


def test_cancelled_order_reports_cancelled_all_and_frees_frozen_cash(sim, ctx, pushes):
    code = "HK.00700"
    before = funds(ctx)
    price = resting_price(sim, code)
    placed = ok(ctx.place_order(price=price, qty=200, code=code, trd_side=TrdSide.BUY, trd_env=SIM))
    order_id = placed.order_id[0]
    assert placed.order_status[0] == OrderStatus.SUBMITTED
    held = funds(ctx)
    assert held["frozen_cash"] - before["frozen_cash"] == pytest.approx(200 * price, rel=0.01)
    assert held["power"] == pytest.approx(before["power"] - (held["frozen_cash"] - before["frozen_cash"]), abs=0.01)

    lower = resting_price(sim, code, 0.1)
    ok(ctx.modify_order(ModifyOrderOp.NORMAL, order_id, qty=300, price=lower, trd_env=SIM))
    row = order(ctx, order_id)
    assert (row["qty"], row["price"], row["order_status"]) == (300, lower, OrderStatus.SUBMITTED)
    assert funds(ctx)["frozen_cash"] - before["frozen_cash"] == pytest.approx(300 * lower, rel=0.01)

    ok(ctx.modify_order(ModifyOrderOp.CANCEL, order_id, 0, 0, trd_env=SIM))
    assert order(ctx, order_id)["order_status"] == OrderStatus.CANCELLED_ALL
    assert funds(ctx)["frozen_cash"] == pytest.approx(before["frozen_cash"], abs=0.01)
    wait_until(lambda: pushes[0].where(order_id=order_id, order_status=OrderStatus.CANCELLED_ALL), what="cancel push")
    ret, msg = ctx.modify_order(ModifyOrderOp.CANCEL, order_id, 0, 0, trd_env=SIM)
    assert ret == RET_ERROR and "CANCELLED_ALL and cannot be cancelled" in msg


def test_cancel_all_and_order_filters(sim, ctx):
    ids_ = [ok(ctx.place_order(price=resting_price(sim, code), qty=qty, code=code, trd_side=TrdSide.BUY,
                               trd_env=SIM)).order_id[0] for code, qty in (("HK.00700", 100), ("HK.09988", 100))]
    working = ok(ctx.order_list_query(status_filter_list=[OrderStatus.SUBMITTED], trd_env=SIM))
    assert set(ids_) <= set(working.order_id)
    only = ok(ctx.order_list_query(code="HK.09988", status_filter_list=[OrderStatus.SUBMITTED], trd_env=SIM))
    assert list(only.order_id) == [ids_[1]]
    ret, msg = ctx.cancel_all_order(trd_env=SIM)
    assert ret == RET_OK, msg
    cancelled = ok(ctx.order_list_query(status_filter_list=[OrderStatus.CANCELLED_ALL], trd_env=SIM))
    assert set(ids_) <= set(cancelled.order_id)
    assert not len(ok(ctx.order_list_query(status_filter_list=[OrderStatus.SUBMITTED], trd_env=SIM)))


def test_stop_order_carries_its_trigger_price(sim, ctx):
    aux = ticks_away(sim, "HK.09988", 40)
    placed = ok(ctx.place_order(price=0, qty=100, code="HK.09988", trd_side=TrdSide.BUY, order_type=OrderType.STOP,
                                aux_price=aux, trd_env=SIM))
    row = order(ctx, placed.order_id[0])
    assert row["order_type"] == OrderType.STOP and row["aux_price"] == aux
    assert row["order_status"] == OrderStatus.SUBMITTED
    ok(ctx.modify_order(ModifyOrderOp.CANCEL, placed.order_id[0], 0, 0, trd_env=SIM))


# -- refusals ---------------------------------------------------------------------------------


@pytest.mark.parametrize("case, message", [
    ("lot", "quantity 150 is not a multiple of the lot size 100 of HK.00700"),
    ("tick", "is off the tick grid of HK.00700"),
    ("band", "is too far from the last price"),
    ("cash", "insufficient buying power: HK.00700 needs HKD"),
    ("position", "insufficient position: can sell 0 of HK.09988"),
])
def test_broker_checks_refuse_with_clear_messages(sim, ctx, case, message):
    code, side, qty, price = "HK.00700", TrdSide.BUY, 100, ticks_away(sim, "HK.00700", 0)
    if case == "lot":
        qty = 150
    elif case == "tick":
        price += markets.tick_size("HK", price) / 2
    elif case == "band":
        price = markets.round_to_tick("HK", price * 1.3, True)
    elif case == "cash":
        qty = 100_000
    elif case == "position":
        code, side, price = "HK.09988", TrdSide.SELL, ticks_away(sim, "HK.09988", 0)
    ret, msg = ctx.place_order(price=price, qty=qty, code=code, trd_side=side, trd_env=SIM)
    assert ret == RET_ERROR and message in msg, msg


def test_real_account_needs_unlock(sim, ctx):
    ok(ctx.unlock_trade(is_unlock=False))
    ret, msg = ctx.place_order(price=ticks_away(sim, "HK.00700", 0), qty=100, code="HK.00700", trd_side=TrdSide.BUY,
                               trd_env=TrdEnv.REAL)
    assert ret == RET_ERROR and "is locked: call unlock_trade" in msg
    ret, msg = ctx.unlock_trade("not-the-password")
    assert ret == RET_ERROR and "wrong trade password" in msg
    ok(ctx.unlock_trade(PASSWORD))
    usd_before = funds(ctx, TrdEnv.REAL, currency="USD")
    placed = ok(ctx.place_order(price=ticks_away(sim, "US.AAPL", 5), qty=3, code="US.AAPL", trd_side=TrdSide.BUY,
                                trd_env=TrdEnv.REAL))
    assert placed.code[0] == "US.AAPL"
    wait_until(lambda: order(ctx, placed.order_id[0], TrdEnv.REAL)["order_status"] == OrderStatus.FILLED_ALL,
               what="the REAL order to fill")
    usd_after = funds(ctx, TrdEnv.REAL, currency="USD")
    assert usd_after["us_cash"] < usd_before["us_cash"] - 3 * 100
    assert usd_after["hk_cash"] == usd_before["hk_cash"]  # the US buy spent USD only
    pos = position(ctx, "US.AAPL", TrdEnv.REAL)
    assert pos["qty"] == 3 and pos["currency"] == "USD" and pos["position_market"] == "US"


@pytest.mark.parametrize("how", ["file", "environment"])
def test_trade_password_comes_from_a_file_or_the_environment_never_the_command_line(sim_process, tmp_path, monkeypatch, how):
    if how == "file":
        (tmp_path / "pw").write_text("from-a-file\n")
        proc, password = sim_process("--trade-password-file", str(tmp_path / "pw")), "from-a-file"
    else:
        monkeypatch.setenv("FUTU_OPEND_SIM_TRADE_PASSWORD", "from-the-env")
        proc, password = sim_process(), "from-the-env"
    assert password not in " ".join(proc.proc.args)  # what `ps` shows every local user
    context = OpenSecTradeContext(filter_trdmarket=TrdMarket.HK, host="127.0.0.1", port=proc.port)
    try:
        ret, msg = context.unlock_trade("123456")
        assert ret == RET_ERROR and "wrong trade password" in msg
        ok(context.unlock_trade(password))
    finally:
        context.close()


def test_the_console_escapes_what_a_client_sends(sim_process):
    proc = sim_process()
    context = OpenSecTradeContext(filter_trdmarket=TrdMarket.HK, host="127.0.0.1", port=proc.port)
    context.close()
    hostile = "x\x1b]0;pwned\x07\x1b[2J"
    from protocol.client import OpenDClient
    import asyncio

    async def connect() -> None:
        client = OpenDClient("127.0.0.1", proc.port, client_id=hostile)
        await client.connect()
        await client.close()

    asyncio.run(connect())
    proc.stop()
    log = proc.log()
    assert "\x1b" not in log and "\\x1b]0;pwned\\x07" in log


# -- the wire: replay protection and rate limits, with our own client ------------------------


def place_c2s(acc_id: int, market: int, sec_market: int, code: str, qty: float, price: float) -> Trd_PlaceOrder_pb2.C2S:
    c2s = Trd_PlaceOrder_pb2.C2S(trdSide=1, orderType=1, code=code, qty=qty, price=price, secMarket=sec_market)
    c2s.header.CopyFrom(Trd_Common_pb2.TrdHeader(trdEnv=0, accID=acc_id, trdMarket=market))
    c2s.packetID.connID, c2s.packetID.serialNo = 0, 0  # the client fills the real PacketID
    return c2s


async def test_replayed_packet_id_is_refused(sim):
    client = OpenDClient("127.0.0.1", sim.sim.port)
    await client.connect()
    try:
        c2s = place_c2s(HK_SIM, 1, 1, "00700", 100, resting_price(sim, "HK.00700"))
        first = await client.request(ids.TRD_PLACE_ORDER, c2s)
        client._serial -= 1  # resend the same frame: same serial, so the same PacketID
        with pytest.raises(OpenDError, match=r"replayed request refused: PacketID \(connID \d+, serialNo \d+\)"):
            await client.request(ids.TRD_PLACE_ORDER, c2s)
        cancel = Trd_ModifyOrder_pb2.C2S(orderID=0, modifyOrderOp=2, orderIDEx=first.orderIDEx)
        cancel.header.CopyFrom(c2s.header)
        cancel.packetID.connID, cancel.packetID.serialNo = 0, 0
        await client.request(ids.TRD_MODIFY_ORDER, cancel)
    finally:
        await client.close()


async def test_rate_limits(sim):
    sim.call(setattr, sim.sim.trade, "limits_enabled", True)
    client = OpenDClient("127.0.0.1", sim.sim.port)
    await client.connect()
    try:
        bad = place_c2s(CN_SIM, 3, 31, "600519", 1, 1.0)  # refused by the broker, but it counts
        for _ in range(15):
            with pytest.raises(OpenDError, match="not a multiple of the lot size"):
                await client.request(ids.TRD_PLACE_ORDER, bad)
        with pytest.raises(OpenDError, match=r"place_order: rate limit exceeded: at most 15 requests per 30 s "
                                             r"per account 3450311; retry in \d+\.\d s"):
            await client.request(ids.TRD_PLACE_ORDER, bad)
        query = Trd_GetOrderList_pb2.C2S()
        query.header.CopyFrom(bad.header)
        for _ in range(12):  # served from "cache": not limited
            await client.request(ids.TRD_GET_ORDER_LIST, query)
        query.refreshCache = True
        for _ in range(10):
            await client.request(ids.TRD_GET_ORDER_LIST, query)
        with pytest.raises(OpenDError, match="order_list_query: rate limit exceeded: at most 10"):
            await client.request(ids.TRD_GET_ORDER_LIST, query)
    finally:
        await client.close()
        sim.call(setattr, sim.sim.trade, "limits_enabled", False)


# -- a US paper account: short selling --------------------------------------------------------


def test_us_paper_account_sells_short_and_covers(sim):
    us = OpenSecTradeContext(filter_trdmarket=TrdMarket.US, host="127.0.0.1", port=sim.sim.port)
    try:
        short = ok(us.place_order(price=ticks_away(sim, "US.TSLA", -5), qty=4, code="US.TSLA", trd_side=TrdSide.SELL,
                                  trd_env=SIM))
        wait_until(lambda: order(us, short.order_id[0])["order_status"] == OrderStatus.FILLED_ALL, what="short fill")
        pos = position(us, "US.TSLA")
        assert pos["qty"] == -4 and pos["position_side"] == "SHORT" and pos["can_sell_qty"] == 0
        info = ok(us.acctradinginfo_query(order_type=OrderType.NORMAL, code="US.TSLA", price=pos["nominal_price"],
                                          trd_env=SIM)).iloc[0]
        assert info.max_buy_back == 4 and info.max_position_sell == 0
        assert funds(us)["short_mv"] == pytest.approx(-4 * pos["nominal_price"], rel=0.01)
        ok(us.place_order(price=ticks_away(sim, "US.TSLA", 5), qty=4, code="US.TSLA", trd_side=TrdSide.BUY,
                          trd_env=SIM))
        wait_until(lambda: position(us, "US.TSLA")["qty"] == 0, what="the cover to fill")
    finally:
        us.close()
