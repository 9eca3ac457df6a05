"""The official SDK's quote calls and push handlers against the simulated OpenD.

One simulator (in a thread) and one OpenQuoteContext serve the whole module; a few tests
open a second context when they need a connection of their own.
"""

from __future__ import annotations

import threading
import time
from datetime import date

import pytest

from protocol.gateway.instruments import BY_CODE, grid_market
from protocol.markets import on_tick_grid, tick_size
from protocol.gateway.sim import SimThread

pytestmark = pytest.mark.sdk

futu = pytest.importorskip("futu")
from futu import (  # noqa: E402
    KL_FIELD, RET_ERROR, RET_OK, KLType, Market, OpenQuoteContext, PeriodType, SecurityType, SubType,
)

CODES = ["HK.00700", "US.AAPL", "SH.600519", "HK.800000"]
SUBS = [SubType.QUOTE, SubType.ORDER_BOOK, SubType.TICKER, SubType.RT_DATA, SubType.K_1M, SubType.K_5M,
        SubType.K_DAY, SubType.K_WEEK]
QUIET = "US.MSFT"  # subscribed without pushes
NEVER = "HK.09988"  # never subscribed in this module


def wait_until(predicate, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)  # poll interval: the wait ends on the condition
    return predicate()


@pytest.fixture(scope="module")
def sim():
    from futu import SysConfig

    saved = (SysConfig.IS_PROTO_ENCRYPT, SysConfig.INIT_RSA_FILE)
    SysConfig.enable_proto_encrypt(False)
    SysConfig.set_init_rsa_file("")  # an RSA file left by another module would RSA-encrypt InitConnect
    runner = SimThread(seed=11, rate=5.0, quota=300)
    runner.start()
    yield runner
    runner.stop()
    SysConfig.enable_proto_encrypt(saved[0])
    SysConfig.set_init_rsa_file(saved[1])


@pytest.fixture(scope="module")
def quotes(sim):
    return sim.sim.quotes.subs  # the subscription registry: quota and minimum age


@pytest.fixture(scope="module")
def ctx(sim):
    context = OpenQuoteContext("127.0.0.1", sim.sim.port)
    assert context.subscribe(CODES, SUBS) == (RET_OK, None)
    assert context.subscribe(["HK.00700"], [SubType.BROKER]) == (RET_OK, None)
    assert context.subscribe([QUIET], [SubType.QUOTE], subscribe_push=False) == (RET_OK, None)
    yield context
    context.close()


@pytest.fixture
def other(sim):
    context = OpenQuoteContext("127.0.0.1", sim.sim.port)
    yield context
    context.close()


def ok(result):
    ret, data = result[0], result[1]
    assert ret == RET_OK, data
    return data if len(result) == 2 else result[1:]


# -- state and subscriptions ---------------------------------------------------------------


def test_global_state_reports_each_market(ctx):
    state = ok(ctx.get_global_state())
    assert state["qot_logined"] and state["trd_logined"]
    for key in ("market_hk", "market_us", "market_sh", "market_sz"):
        assert state[key] in ("MORNING", "AFTERNOON")  # the default clock is always open
    assert state["market_us"] == "AFTERNOON"


def test_realtime_reads_need_a_subscription(ctx):
    for call in (lambda: ctx.get_stock_quote([NEVER]), lambda: ctx.get_order_book(NEVER),
                 lambda: ctx.get_cur_kline(NEVER, 10, KLType.K_DAY), lambda: ctx.get_rt_data(NEVER),
                 lambda: ctx.get_rt_ticker(NEVER, 10), lambda: ctx.get_broker_queue(NEVER)):
        result = call()
        assert result[0] == RET_ERROR
        assert "HK.09988 is not subscribed" in result[1] and "subscribe first" in result[1]
    ret, msg = ctx.get_cur_kline("HK.00700", 10, KLType.K_60M)  # K_60M was not subscribed
    assert ret == RET_ERROR and "K_60M" in msg


def test_quota_counts_code_x_subtype_across_connections(ctx, other, sim, quotes):
    info = ok(ctx.query_subscription())
    mine = len(CODES) * len(SUBS) + 2
    assert info["own_used"] == mine and info["total_used"] == mine and info["remain"] == 300 - mine
    assert set(info["sub_list"]["QUOTE"]) == set(CODES) | {QUIET} and info["sub_list"]["BROKER"] == ["HK.00700"]
    assert other.subscribe(["HK.00700"], [SubType.QUOTE]) == (RET_OK, None)  # shared: no new quota
    assert ok(other.query_subscription())["total_used"] == mine
    assert other.subscribe(["HK.00005"], [SubType.QUOTE]) == (RET_OK, None)
    both = ok(other.query_subscription())
    assert both["total_used"] == mine + 1 and both["own_used"] == 2
    assert ok(other.query_subscription(is_all_conn=False))["sub_list"] == {"QUOTE": ["HK.00700", "HK.00005"]}
    sim.call(setattr, quotes, "quota", mine + 1)
    try:
        ret, msg = other.subscribe(["HK.00388"], [SubType.QUOTE])
        assert ret == RET_ERROR and "quota exceeded" in msg
    finally:
        sim.call(setattr, quotes, "quota", 300)


def test_unsubscribe_waits_a_minute_and_frees_quota(other, sim, quotes):
    assert other.subscribe(["HK.01299"], [SubType.QUOTE, SubType.TICKER]) == (RET_OK, None)
    used = ok(other.query_subscription())["total_used"]
    ret, msg = other.unsubscribe(["HK.01299"], [SubType.QUOTE])
    assert ret == RET_ERROR and "at least 1 minute old" in msg
    sim.call(setattr, quotes, "min_age", 0.0)
    try:
        assert other.unsubscribe(["HK.01299"], [SubType.QUOTE]) == (RET_OK, None)
        assert ok(other.query_subscription())["total_used"] == used - 1
        assert other.unsubscribe_all() == (RET_OK, None)
        assert ok(other.query_subscription())["own_used"] == 0
    finally:
        sim.call(setattr, quotes, "min_age", 60.0)


def test_a_closed_connection_keeps_young_subscriptions_until_they_are_a_minute_old(sim, quotes, ctx):
    sim.call(setattr, quotes, "min_age", 1.5)
    try:
        short = OpenQuoteContext("127.0.0.1", sim.sim.port)
        base = ok(ctx.query_subscription())["total_used"]
        assert short.subscribe(["HK.00941"], [SubType.QUOTE]) == (RET_OK, None)
        short.close()
        assert wait_until(lambda: len(sim.call(lambda: list(sim.sim.gateway.sessions))) == 1, 5)
        assert ok(ctx.query_subscription())["total_used"] == base + 1  # still held
        assert wait_until(lambda: ok(ctx.query_subscription())["total_used"] == base, 5)
    finally:
        sim.call(setattr, quotes, "min_age", 60.0)


# -- realtime reads ------------------------------------------------------------------------


def test_stock_quote(ctx):
    data = ok(ctx.get_stock_quote(CODES))
    assert list(data["code"]) == CODES
    for row in data.itertuples():
        assert row.low_price <= row.last_price <= row.high_price and row.prev_close_price > 0
        inst = BY_CODE[row.code]
        assert date.fromisoformat(row.data_date) and len(row.data_time) == 8
        assert row.listing_date == inst.list_date
        assert row.price_spread == pytest.approx(tick_size(grid_market(inst), row.last_price))
        assert row.amplitude == pytest.approx((row.high_price - row.low_price) / row.prev_close_price * 100, abs=1e-3)
        assert row.volume > 0 and row.turnover > 0 and not row.suspension
        assert row.name == inst.name and row.sec_status == "NORMAL"


def test_order_book(ctx):
    book = ok(ctx.get_order_book("HK.00700"))
    assert book["name"] == "腾讯控股" and len(book["Bid"]) == 10 and len(book["Ask"]) == 10
    bids, asks = [p for p, *_ in book["Bid"]], [p for p, *_ in book["Ask"]]
    assert bids == sorted(bids, reverse=True) and asks == sorted(asks) and bids[0] < asks[0]
    assert all(on_tick_grid("HK", p) for p in bids + asks)
    assert all(v > 0 and v % 100 == 0 and n >= 1 for _, v, n, _ in book["Bid"] + book["Ask"])
    assert len(ok(ctx.get_order_book("US.AAPL", num=5))["Ask"]) == 5
    a_share = ok(ctx.get_order_book("SH.600519"))
    low, high = 1339.2, 1636.8  # +-10% of the previous close, 1488
    assert all(low <= p <= high for p, *_ in a_share["Bid"] + a_share["Ask"])
    quote = ok(ctx.get_stock_quote(["HK.00700"])).iloc[0]
    assert quote.low_price <= bids[0] + 5 and asks[0] - 5 <= quote.high_price


@pytest.mark.parametrize("ktype", [KLType.K_1M, KLType.K_5M, KLType.K_DAY, KLType.K_WEEK])
def test_cur_kline(ctx, ktype):
    data = ok(ctx.get_cur_kline("HK.00700", 50, ktype))
    assert len(data) == 50
    assert list(data["time_key"]) == sorted(data["time_key"])
    assert (data["low"] <= data[["open", "close"]].min(axis=1)).all()
    assert (data["high"] >= data[["open", "close"]].max(axis=1)).all()
    assert (data["volume"] >= 0).all() and (data["last_close"].iloc[1:].values == data["close"].iloc[:-1].values).all()


ALL_KTYPES = ["K_1M", "K_3M", "K_5M", "K_15M", "K_30M", "K_60M", "K_120M", "K_180M", "K_240M", "K_DAY", "K_WEEK",
              "K_MON", "K_QUARTER", "K_YEAR"]


def test_every_kline_type(other):
    assert other.subscribe(["HK.00005"], [getattr(SubType, k) for k in ALL_KTYPES]) == (RET_OK, None)
    for name in ALL_KTYPES:
        ktype = getattr(KLType, name)
        cur = ok(other.get_cur_kline("HK.00005", 1000, ktype))
        hist, _ = ok(other.request_history_kline("HK.00005", start="2024-01-01", end="2099-12-31", ktype=ktype,
                                                 max_count=5))
        for data in (cur, hist):
            assert len(data) > 0, name
            assert (data["low"] <= data[["open", "close"]].min(axis=1)).all(), name
            assert (data["high"] >= data[["open", "close"]].max(axis=1)).all(), name
        assert list(cur["time_key"]) == sorted(cur["time_key"]), name
    assert len(ok(other.get_cur_kline("HK.00005", 1000, KLType.K_DAY))) == 1000


def test_rt_data(ctx):
    data = ok(ctx.get_rt_data("HK.00700"))
    assert len(data) >= 1 and list(data["time"]) == sorted(data["time"])
    quote = ok(ctx.get_stock_quote(["HK.00700"])).iloc[0]
    assert (data["last_close"] == quote.prev_close_price).all() and not data["is_blank"].any()
    assert ((data["avg_price"] >= quote.low_price - 1) & (data["avg_price"] <= quote.high_price + 1)).all()


def test_rt_ticker(ctx):
    assert wait_until(lambda: len(ok(ctx.get_rt_ticker("HK.00700", 20))) == 20)
    data = ok(ctx.get_rt_ticker("HK.00700", 20))
    assert list(data["sequence"]) == sorted(data["sequence"]) and len(set(data["sequence"])) == 20
    assert set(data["ticker_direction"]) <= {"BUY", "SELL", "NEUTRAL"}
    assert all(on_tick_grid("HK", p) for p in data["price"]) and (data["volume"] % 100 == 0).all()
    assert list(data["turnover"]) == pytest.approx(list(data["price"] * data["volume"]))


def test_broker_queue(ctx):
    bids, asks = ok(ctx.get_broker_queue("HK.00700"))
    assert set(bids["code"]) == {"HK.00700"} and len(bids) > 0 and len(asks) > 0
    assert bids["bid_broker_pos"].min() == 1 and bids["bid_broker_pos"].max() <= 10
    assert bids["bid_broker_name"].map(bool).all() and (asks["ask_broker_id"] > 0).all()
    ret, msg = ctx.subscribe(["US.AAPL"], [SubType.BROKER])
    assert ret == RET_ERROR and "only available for HK" in msg


# -- snapshot and other reads -----------------------------------------------------------


def test_market_snapshot(ctx):
    data = ok(ctx.get_market_snapshot(["HK.00700", "HK.800000", "US.SPY", NEVER]))
    stock, index, etf, unsubscribed = (row for _, row in data.iterrows())
    assert stock.equity_valid and stock.lot_size == 100 and stock.issued_shares > 0
    assert stock.pe_ratio == pytest.approx(stock.last_price / stock.earning_per_share, rel=1e-3)
    assert stock.bid_price < stock.ask_price and stock.ask_vol > 0
    assert stock.lowest52weeks_price <= stock.last_price <= stock.highest52weeks_price
    assert stock.lowest_history_price <= stock.lowest52weeks_price and stock.enable_margin
    hk_stocks = sum(1 for i in BY_CODE.values() if i.market == "HK" and not i.is_index)
    assert index.index_valid and index.index_raise_count + index.index_fall_count + index.index_equal_count == hk_stocks
    assert index.bid_price == "N/A" and index.lot_size == 0
    assert etf.trust_valid and etf.trust_netAssetValue > 0
    assert unsubscribed.code == NEVER and unsubscribed.last_price > 0  # no subscription needed
    ret, msg = ctx.get_market_snapshot(["HK.99999"])
    assert ret == RET_ERROR and "unknown security HK.99999" in msg


def test_capital_flow_and_distribution(ctx):
    intraday = ok(ctx.get_capital_flow("HK.00700"))
    assert len(intraday) >= 1 and list(intraday["capital_flow_item_time"]) == sorted(intraday["capital_flow_item_time"])
    assert (intraday["main_in_flow"] == "N/A").all()
    row = intraday.iloc[-1]
    assert row.in_flow == pytest.approx(row.super_in_flow + row.big_in_flow + row.mid_in_flow + row.sml_in_flow, abs=0.1)
    daily = ok(ctx.get_capital_flow("HK.00700", period_type=PeriodType.DAY))
    assert 200 <= len(daily) <= 262  # the last year only
    assert (abs(daily["main_in_flow"] - daily["super_in_flow"] - daily["big_in_flow"]) < 0.1).all()
    weekly = ok(ctx.get_capital_flow("HK.00700", period_type=PeriodType.WEEK))
    assert 50 <= len(weekly) <= 54
    old = ok(ctx.get_capital_flow("HK.00700", period_type=PeriodType.DAY, start="2000-01-01"))
    assert old.empty  # the SDK asks for 2000-01-01 .. 2000-12-31; history goes back one year
    dist = ok(ctx.get_capital_distribution("HK.00700")).iloc[0]
    for side in ("in", "out"):
        for size in ("super", "big", "mid", "small"):
            assert dist[f"capital_{side}_{size}"] >= 0
    assert dist.capital_in_small > dist.capital_in_super  # most trades are small
    ret, msg = ctx.get_capital_distribution("HK.800000")
    assert ret == RET_ERROR and "only available for stocks" in msg


def test_history_kline_pages_through_years_of_days(ctx):
    full, _key = ok(ctx.request_history_kline("HK.00700", start="2015-01-01", end="2099-12-31", max_count=None))
    assert len(full) >= 500 and _key is None
    days = [date.fromisoformat(t[:10]) for t in full["time_key"]]
    assert (days[-1] - days[0]).days >= 730 and days == sorted(days)
    assert ((full["low"] <= full["open"]) & (full["open"] <= full["high"])).all()
    pages, key = [], None
    while True:
        page, key = ok(ctx.request_history_kline("HK.00700", start="2015-01-01", end="2099-12-31",
                                                 max_count=300, page_req_key=key))
        pages.append(page)
        if key is None:
            break
    assert [len(p) for p in pages[:-1]] == [300] * (len(pages) - 1) and 0 < len(pages[-1]) <= 300
    assert sum(len(p) for p in pages) == len(full)
    assert list(pages[0]["time_key"]) == list(full["time_key"][:300])
    minutes, _ = ok(ctx.request_history_kline("US.AAPL", ktype=KLType.K_1M, max_count=None,
                                              fields=[KL_FIELD.DATE_TIME, KL_FIELD.CLOSE]))
    assert len({t[:10] for t in minutes["time_key"]}) >= 30
    assert set(minutes.columns) == {"code", "name", "time_key", "close"}
    ret, msg, _ = ctx.request_history_kline("HK.00700", max_count=10, page_req_key=b"nonsense")
    assert ret == RET_ERROR and "nextReqKey" in msg


def test_stock_basicinfo(ctx):
    hk = ok(ctx.get_stock_basicinfo(Market.HK, SecurityType.STOCK))
    assert "HK.00700" in set(hk["code"]) and set(hk["stock_type"]) == {"STOCK"}
    assert hk.set_index("code").loc["HK.00005", "lot_size"] == 400
    assert list(ok(ctx.get_stock_basicinfo(Market.HK, SecurityType.ETF))["code"]) == ["HK.02800"]
    assert set(ok(ctx.get_stock_basicinfo(Market.US, SecurityType.IDX))["code"]) == {"US..DJI", "US..IXIC", "US..SPX"}
    both = ok(ctx.get_stock_basicinfo(Market.HK, code_list=["SZ.300750", "US.TSLA"]))
    assert list(both["code"]) == ["SZ.300750", "US.TSLA"] and list(both["listing_date"]) == ["2018-06-11", "2010-06-29"]
    ret, msg = ctx.get_stock_basicinfo(Market.HK, code_list=["US.NOPE"])
    assert ret == RET_ERROR and "unknown security US.NOPE" in msg


def test_market_state(ctx):
    data = ok(ctx.get_market_state(["HK.00700", "US.AAPL", "SZ.000001"]))
    assert list(data["stock_name"]) == ["腾讯控股", "苹果", "平安银行"]
    assert set(data["market_state"]) <= {"MORNING", "AFTERNOON"}


def test_short_interest(ctx):
    ret, us, hk = ctx.get_short_interest("US.AAPL")
    assert ret == RET_OK and len(us) == 10 and hk.empty
    assert list(us["timestamp"]) == sorted(us["timestamp"], reverse=True)
    assert (us["days_to_cover"] > 0).all() and (us["shares_short"] > 0).all()
    assert us.attrs["next_key"] not in ("", "-1")
    seen, key = 0, None
    while key != "-1":
        ret, us, _ = ctx.get_short_interest("US.AAPL", next_key=key, num=50)
        assert ret == RET_OK
        seen += len(us)
        key = us.attrs["next_key"]
    assert seen == 48  # two years, twice a month
    ret, us, hk = ctx.get_short_interest("HK.00700", num=3)
    assert ret == RET_OK and us.empty and len(hk) == 3 and (hk["aggregated_short_ratio"] > 0).all()
    ret, msg, _ = ctx.get_short_interest("SH.600519")
    assert ret == RET_ERROR and "HK and US" in msg


def test_watchlists(ctx):
    groups = ok(ctx.get_user_security_group())
    assert {"All", "HK", "US", "Tech"} <= set(groups["group_name"])
    assert set(ok(ctx.get_user_security_group("CUSTOM"))["group_type"]) == {"CUSTOM"}
    tech = ok(ctx.get_user_security("Tech"))
    assert {"HK.00700", "US.AAPL", "US.NVDA"} <= set(tech["code"])
    ret, msg = ctx.get_user_security("Nope")
    assert ret == RET_ERROR and "no watchlist group" in msg


def test_rate_limit_is_per_connection(other, ctx):
    for _ in range(10):
        ok(other.get_market_state(["HK.00700"]))
    ret, msg = other.get_market_state(["HK.00700"])
    assert ret == RET_ERROR and "rate limit" in msg and "10 requests per 30 s" in msg
    ok(ctx.get_market_state(["HK.00700"]))  # another connection has its own window


# -- pushes --------------------------------------------------------------------------------


class Recorder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.seen: dict[str, list] = {}

    def add(self, kind: str, item) -> None:
        with self.lock:
            self.seen.setdefault(kind, []).append(item)

    def codes(self, kind: str) -> set[str]:
        with self.lock:
            return {c for c, *_ in self.seen.get(kind, [])}


def handlers(rec: Recorder) -> list:
    from futu import (
        BrokerHandlerBase, CurKlineHandlerBase, OrderBookHandlerBase, RTDataHandlerBase, StockQuoteHandlerBase,
        TickerHandlerBase,
    )

    class Quote(StockQuoteHandlerBase):
        def on_recv_rsp(self, rsp_pb):
            ret, data = super().on_recv_rsp(rsp_pb)
            if ret == RET_OK:
                for row in data.itertuples():
                    rec.add("quote", (row.code, row.last_price, row.low_price, row.high_price))
            return ret, data

    class Book(OrderBookHandlerBase):
        def on_recv_rsp(self, rsp_pb):
            ret, data = super().on_recv_rsp(rsp_pb)
            if ret == RET_OK:
                rec.add("book", (data["code"], data["Bid"][:1], data["Ask"][:1]))
            return ret, data

    class Kline(CurKlineHandlerBase):
        def on_recv_rsp(self, rsp_pb):
            ret, data = super().on_recv_rsp(rsp_pb)
            if ret == RET_OK:
                for row in data.itertuples():
                    rec.add("kline", (row.code, row.k_type, row.open, row.high, row.low, row.close))
            return ret, data

    class Ticks(TickerHandlerBase):
        def on_recv_rsp(self, rsp_pb):
            ret, data = super().on_recv_rsp(rsp_pb)
            if ret == RET_OK:
                for row in data.itertuples():
                    rec.add("ticker", (row.code, row.sequence, row.push_data_type))
            return ret, data

    class RT(RTDataHandlerBase):
        def on_recv_rsp(self, rsp_pb):
            ret, data = super().on_recv_rsp(rsp_pb)
            if ret == RET_OK:
                for row in data.itertuples():
                    rec.add("rt", (row.code, row.time, row.cur_price))
            return ret, data

    class Brokers(BrokerHandlerBase):
        def on_recv_rsp(self, rsp_pb):
            ret, code, frames = super().on_recv_rsp(rsp_pb)
            if ret == RET_OK:
                rec.add("broker", (code, len(frames[0]), len(frames[1])))
            return ret, code

    return [Quote(), Book(), Kline(), Ticks(), RT(), Brokers()]


def test_push_handlers_get_what_was_subscribed_and_nothing_else(ctx):
    rec = Recorder()
    for handler in handlers(rec):
        ctx.set_handler(handler)
    kinds = ("quote", "book", "kline", "ticker", "rt", "broker")
    assert wait_until(lambda: all(rec.codes(k) for k in kinds) and len(rec.codes("quote")) == len(CODES), 8), \
        {k: rec.codes(k) for k in kinds}
    for kind in kinds:
        assert rec.codes(kind) <= set(CODES), kind
    assert QUIET not in rec.codes("quote") and NEVER not in rec.codes("quote")
    assert rec.codes("broker") == {"HK.00700"}
    with rec.lock:
        assert {k for _, k, *_ in rec.seen["kline"]} <= {"K_1M", "K_5M", "K_DAY", "K_WEEK"}
        assert all(lo <= last <= hi for _, last, lo, hi in rec.seen["quote"])
        assert all(b[0][0] < a[0][0] for _, b, a in rec.seen["book"] if b and a)
        assert all(lo <= min(o, c) and max(o, c) <= hi for _, _, o, hi, lo, c in rec.seen["kline"])
        assert {t for _, _, t in rec.seen["ticker"]} == {"REALTIME"}


def test_first_push_sends_cached_data_at_once(sim):
    rec = Recorder()
    context = OpenQuoteContext("127.0.0.1", sim.sim.port)
    try:
        for handler in handlers(rec):
            context.set_handler(handler)
        assert context.subscribe(["SZ.000858"], [SubType.TICKER, SubType.QUOTE]) == (RET_OK, None)
        assert wait_until(lambda: rec.codes("ticker") and rec.codes("quote"), 3)
        with rec.lock:
            assert rec.seen["ticker"][0][2] == "CACHE"  # the cached ticks come first
        assert context.subscribe(["SZ.002594"], [SubType.TICKER], is_first_push=False) == (RET_OK, None)
        assert wait_until(lambda: "SZ.002594" in rec.codes("ticker"), 5)
        with rec.lock:
            assert {t for c, _, t in rec.seen["ticker"] if c == "SZ.002594"} == {"REALTIME"}
    finally:
        context.close()
