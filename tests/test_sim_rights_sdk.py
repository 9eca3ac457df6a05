"""Quote rights, OpenD's own login state and the history-K-line quota, with the official SDK
as the oracle: what a real account without every right sees from the simulated OpenD."""

from __future__ import annotations

import time

import pytest

from protocol.gateway.knobs import SettingError, SimSettings
from protocol.gateway.sim import SimThread
from protocol.rights import BMP, LV1, NO, QuoteRights

pytestmark = pytest.mark.sdk

futu = pytest.importorskip("futu")
from futu import (  # noqa: E402
    RET_ERROR, RET_OK, OpenQuoteContext, SubType, SysNotifyHandlerBase, SysNotifyType,
)


def wait_until(predicate, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


@pytest.fixture
def opend():
    """A simulator per test, started with the given settings: opend(quote_rights=...)."""
    started: list[SimThread] = []
    contexts: list[OpenQuoteContext] = []

    def start(**settings):
        runner = SimThread(seed=5, **settings)
        runner.start()
        started.append(runner)
        ctx = OpenQuoteContext("127.0.0.1", runner.sim.port)
        contexts.append(ctx)
        return runner, ctx

    yield start
    for ctx in contexts:
        ctx.close()
    for runner in started:
        runner.stop()


def test_flag_parses_and_refuses_rights_a_market_does_not_sell():
    assert QuoteRights.parse("HK=BMP,US=NO") == QuoteRights(HK=BMP, US=NO, CN=LV1)
    assert str(QuoteRights.parse("hk=lv1, cn=no")) == "HK=LV1,US=LV2,CN=NO"
    with pytest.raises(ValueError, match="US quote right must be one of NO, LV1, LV2"):
        QuoteRights.parse("US=SF")
    with pytest.raises(ValueError, match="MARKET=RIGHT"):
        QuoteRights.parse("JP=LV1")
    with pytest.raises(SettingError):
        SimSettings(history_quota=-1)


def test_bmp_cannot_subscribe_and_snapshots_take_20_hk_codes(opend):
    _, ctx = opend(quote_rights=QuoteRights.parse("HK=BMP,US=LV1,CN=LV1"))
    ret, msg = ctx.subscribe(["HK.00700"], [SubType.QUOTE])
    assert ret == RET_ERROR
    assert "HK.00700" in msg and "HK LV1" in msg and "BMP" in msg
    ret, data = ctx.get_market_snapshot(["HK.00700", "HK.09988"])
    assert ret == RET_OK and list(data["code"]) == ["HK.00700", "HK.09988"]
    many = []
    for kind in (futu.SecurityType.STOCK, futu.SecurityType.ETF, futu.SecurityType.IDX):
        many += list(ctx.get_stock_basicinfo(futu.Market.HK, kind)[1]["code"])
    many = many[:21]
    assert len(many) == 21
    ret, msg = ctx.get_market_snapshot(many)
    assert ret == RET_ERROR and "at most 20 HK securities" in msg
    assert ctx.get_market_snapshot(many[:20])[0] == RET_OK
    assert ctx.subscribe(["US.AAPL"], [SubType.QUOTE, SubType.ORDER_BOOK]) == (RET_OK, None)


def test_book_depth_per_right_and_hk_lv1_has_no_book_or_broker_queue(opend):
    _, ctx = opend(quote_rights=QuoteRights.parse("HK=LV1,US=LV1,CN=LV1"))
    assert ctx.subscribe(["HK.00700"], [SubType.QUOTE, SubType.TICKER, SubType.K_DAY, SubType.RT_DATA]) == (RET_OK, None)
    for st in (SubType.ORDER_BOOK, SubType.BROKER):
        ret, msg = ctx.subscribe(["HK.00700"], [st])
        assert ret == RET_ERROR and "needs HK LV2" in msg and "only LV1" in msg
    assert ctx.subscribe(["US.AAPL", "SH.600519"], [SubType.ORDER_BOOK]) == (RET_OK, None)
    ret, book = ctx.get_order_book("US.AAPL", num=10)
    assert ret == RET_OK and len(book["Bid"]) == 1 and len(book["Ask"]) == 1
    ret, book = ctx.get_order_book("SH.600519", num=10)
    assert ret == RET_OK and len(book["Bid"]) == 5


def test_us_lv2_and_hk_lv2_show_their_depth_and_no_right_refuses_everything(opend):
    _, ctx = opend(quote_rights=QuoteRights.parse("HK=LV2,US=LV2,CN=NO"))
    assert ctx.subscribe(["HK.00700", "US.AAPL"], [SubType.ORDER_BOOK]) == (RET_OK, None)
    assert len(ctx.get_order_book("HK.00700", num=10)[1]["Bid"]) == 10
    assert len(ctx.get_order_book("US.AAPL", num=60)[1]["Bid"]) == 10  # the simulated book has 10 levels
    ret, msg = ctx.subscribe(["SH.600519"], [SubType.QUOTE])
    assert ret == RET_ERROR and "SH.600519" in msg and "needs CN LV1" in msg
    ret, msg = ctx.get_market_snapshot(["SH.600519"])
    assert ret == RET_ERROR and "no permission" in msg
    ret, msg, _ = ctx.request_history_kline("SH.600519", max_count=5)
    assert ret == RET_ERROR and "no permission" in msg


def test_get_user_info_reports_rights_and_quotas(opend):
    _, ctx = opend(quote_rights=QuoteRights.parse("HK=BMP,US=NO,CN=LV1"), quota=100, history_quota=100)
    ret, info = ctx.get_user_info()
    assert ret == RET_OK
    assert (info["hk_qot_right"], info["us_qot_right"], info["cn_qot_right"]) == ("BMP", "NO", "LV1")
    assert (info["sub_quota"], info["history_kl_quota"]) == (100, 100)


def test_history_quota_counts_distinct_codes_and_refuses_when_spent(opend):
    runner, ctx = opend(history_quota=2, history_quota_period=3.0)
    assert ctx.get_history_kl_quota() == (RET_OK, (0, 2, []))
    for code in ("HK.00700", "HK.00700", "US.AAPL"):
        ret, _, _ = ctx.request_history_kline(code, max_count=5)
        assert ret == RET_OK
    ret, (used, remain, detail) = ctx.get_history_kl_quota(get_detail=True)
    assert (used, remain) == (2, 0)
    assert [d["code"] for d in detail] == ["HK.00700", "US.AAPL"]
    ret, msg, _ = ctx.request_history_kline("HK.09988", max_count=5)
    assert ret == RET_ERROR and "history K-line quota" in msg and "HK.09988" in msg
    assert ctx.request_history_kline("US.AAPL", max_count=5)[0] == RET_OK  # counted already: free
    # The period is 3 s of the market clock: once it has passed the quota frees.
    assert wait_until(lambda: ctx.get_history_kl_quota()[1][0] == 0, timeout=8)
    assert ctx.request_history_kline("HK.09988", max_count=5)[0] == RET_OK


def test_capital_flow_and_distribution_refused_for_indices(opend):
    _, ctx = opend()
    ret, msg = ctx.get_capital_flow("HK.800000")
    assert ret == RET_ERROR and "index" in msg
    ret, msg = ctx.get_capital_distribution("HK.800000")
    assert ret == RET_ERROR and "index" in msg


class Notes(SysNotifyHandlerBase):
    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple] = []

    def on_recv_rsp(self, rsp_pb):
        ret, data = super().on_recv_rsp(rsp_pb)
        if ret == RET_OK:
            self.seen.append(data)
        return ret, data


def test_quote_right_taken_and_given_back_with_notify(opend):
    runner, ctx = opend()
    notes = Notes()
    ctx.set_handler(notes)
    assert ctx.subscribe(["HK.00700", "US.AAPL", "SH.600519"], [SubType.QUOTE]) == (RET_OK, None)
    runner.call(runner.sim.faults.take_quote_right)
    assert wait_until(lambda: any(n[0] == SysNotifyType.QOT_RIGHT for n in notes.seen))
    right = next(n[2] for n in notes.seen if n[0] == SysNotifyType.QOT_RIGHT)
    assert (right["hk_qot_right"], right["us_qot_right"], right["cn_qot_right"]) == ("BMP", "NO", "LV1")
    ret, info = ctx.get_user_info()
    assert (info["hk_qot_right"], info["us_qot_right"]) == ("BMP", "NO")
    # those markets' subscriptions ended: realtime reads refuse, A-shares carry on
    ret, data = ctx.query_subscription()
    held = {c for codes in data["sub_list"].values() for c in codes}
    assert held == {"SH.600519"}
    assert ctx.get_stock_quote(["HK.00700"])[0] == RET_ERROR
    assert ctx.subscribe(["HK.00700"], [SubType.QUOTE])[0] == RET_ERROR
    runner.call(runner.sim.faults.give_back_quote_right)
    assert wait_until(lambda: sum(n[0] == SysNotifyType.QOT_RIGHT for n in notes.seen) == 2)
    assert next(n[2] for n in reversed(notes.seen) if n[0] == SysNotifyType.QOT_RIGHT)["hk_qot_right"] == "LV2"
    assert ctx.subscribe(["HK.00700"], [SubType.QUOTE]) == (RET_OK, None)


def test_losing_futu_servers_and_forced_logout(opend):
    runner, ctx = opend()
    notes = Notes()
    ctx.set_handler(notes)
    assert ctx.get_global_state()[1]["qot_logined"] is True
    runner.call(lambda: runner.sim.faults.lose_futu(quote=True, trade=False))
    assert wait_until(lambda: any(n[0] == SysNotifyType.CONN_STATUS for n in notes.seen))
    status = next(n[2] for n in notes.seen if n[0] == SysNotifyType.CONN_STATUS)
    assert status == {"qot_logined": False, "trd_logined": True}
    state = ctx.get_global_state()[1]
    assert (state["qot_logined"], state["trd_logined"]) == (False, True)
    ret, msg = ctx.get_market_snapshot(["HK.00700"])
    assert ret == RET_ERROR and "not logged in to Futu's quote server" in msg
    runner.call(runner.sim.faults.regain_futu)
    assert wait_until(lambda: ctx.get_global_state()[1]["qot_logined"] is True)
    assert ctx.get_market_snapshot(["HK.00700"])[0] == RET_OK
    runner.call(runner.sim.faults.force_logout)
    assert wait_until(lambda: any(n[0] == SysNotifyType.GTW_EVENT for n in notes.seen))
    event = next(n for n in notes.seen if n[0] == SysNotifyType.GTW_EVENT)
    assert event[1] == futu.GtwEventType.KickedOut and "another device" in event[2]
    state = ctx.get_global_state()[1]
    assert (state["qot_logined"], state["trd_logined"]) == (False, False)
    assert state["program_status_type"] == futu.ProgramStatusType.FORCE_LOGOUT
