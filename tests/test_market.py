"""The synthetic market without sockets: tick rules, limits, the tick process, history."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocol.gateway import klines as kl
from protocol.gateway.instruments import BY_CODE, UNIVERSE, grid_market, price_limits
from protocol.markets import (
    SEC_INDEX, ST_AFTER_HOURS, ST_AFTERNOON, ST_CLOSED, ST_HK_CAS, ST_MORNING, ST_OVERNIGHT, ST_PRE_MARKET, ST_REST,
    TZ, on_tick_grid, round_to_tick, sessions, tick_size,
)
from protocol.gateway.market import BUY, NEUTRAL, SELL, Market, size_class
from protocol.trade import Currency

STOCKS = [i.code for i in UNIVERSE if not i.is_index]


def at(market: str, y: int, mo: int, d: int, h: int, mi: int = 0) -> float:
    return datetime(y, mo, d, h, mi, tzinfo=TZ[market]).timestamp()


def solo(code: str, seed: int = 1, start: float | None = None, clock: str = "always", rate: float = 10.0) -> Market:
    """A market that runs only `code` (codes are independent, so this is the same stream)."""
    market = code.partition(".")[0]
    m = Market(seed=seed, clock=clock, rate=rate, start=at(market, 2025, 3, 4, 0) if start is None else start)
    m.instruments = {code: m.instruments[code]}
    return m


# -- universe and rules ----------------------------------------------------------------


def test_universe_has_the_instruments_the_issue_names():
    stocks = [i for i in UNIVERSE if not i.is_index]
    assert len(stocks) >= 30
    for code in ("HK.00700", "HK.09988", "HK.03690", "HK.00005", "HK.01810", "US.AAPL", "US.TSLA", "US.NVDA",
                 "US.MSFT", "SH.600519", "SZ.000001", "SZ.300750", "HK.800000", "US..DJI", "US..IXIC", "SH.000001"):
        assert code in BY_CODE
    assert {i.market for i in UNIVERSE if i.sec_type == SEC_INDEX} >= {"HK", "US", "SH"}
    lots = {c: BY_CODE[c].lot_size for c in ("HK.00700", "HK.09988", "HK.00005", "HK.01810", "US.AAPL", "SZ.000001")}
    assert lots == {"HK.00700": 100, "HK.09988": 100, "HK.00005": 400, "HK.01810": 200, "US.AAPL": 1,
                    "SZ.000001": 100}
    for inst in UNIVERSE:
        assert on_tick_grid(grid_market(inst), inst.prev_close), inst.code
        # one spelling: A-share prices are in CNH, as OpenD reports A-share accounts (issue 10)
        assert inst.currency == {"HK": Currency.HKD, "US": Currency.USD, "SH": Currency.CNH, "SZ": Currency.CNH}[inst.market]
        date.fromisoformat(inst.list_date)


@pytest.mark.parametrize("price, tick", [
    (0.01, 0.001), (0.25, 0.001), (0.255, 0.005), (0.5, 0.005), (0.51, 0.01), (10.0, 0.01), (10.02, 0.02),
    (20.0, 0.02), (20.05, 0.05), (100.0, 0.05), (100.1, 0.1), (200.0, 0.1), (200.2, 0.2), (500.0, 0.2),
    (500.5, 0.5), (1000.0, 0.5), (1001.0, 1.0), (2000.0, 1.0), (2002.0, 2.0), (5000.0, 2.0), (5005.0, 5.0),
])
def test_hk_spread_table(price, tick):
    assert tick_size("HK", price) == pytest.approx(tick)
    assert on_tick_grid("HK", price)


def test_us_and_a_share_ticks():
    assert tick_size("US", 1.0) == 0.01 and tick_size("US", 0.9999) == 0.0001
    assert on_tick_grid("US", 0.1234) and not on_tick_grid("US", 1.234) and on_tick_grid("US", 229.87)
    assert tick_size("SH", 1488.0) == 0.01 and not on_tick_grid("SZ", 11.525)
    assert not on_tick_grid("HK", 612.3) and on_tick_grid("HK", 612.5) and not on_tick_grid("HK", 10.01)
    assert round_to_tick("HK", 612.3, up=True) == 612.5 and round_to_tick("HK", 612.3, up=False) == 612.0
    assert round_to_tick("HK", 612.3) == 612.5 and round_to_tick("HK", 612.2) == 612.0
    assert round_to_tick("HK", 10.005, up=True) == 10.02 and round_to_tick("HK", 9.995, up=True) == 10.0
    assert round_to_tick("US", 0.99995, up=True) == 1.0 and round_to_tick("US", 1.005, up=False) == 1.0


@given(st.sampled_from(["HK", "US", "SH", "SZ"]), st.floats(0.01, 9000, allow_nan=False))
def test_round_to_tick_lands_on_the_grid_around_the_price(market, price):
    lo, hi, near = (round_to_tick(market, price, up) for up in (False, True, None))
    assert on_tick_grid(market, lo) and on_tick_grid(market, hi) and on_tick_grid(market, near)
    assert lo <= price + 1e-9 and hi >= price - 1e-9 and near in (lo, hi)
    assert hi - lo <= max(tick_size(market, lo), tick_size(market, hi)) + 1e-9


def test_a_share_limits():
    assert price_limits(BY_CODE["SH.600519"]) == (1339.2, 1636.8)  # +-10%
    assert price_limits(BY_CODE["SZ.300750"]) == (202.08, 303.12)  # ChiNext +-20%
    assert price_limits(BY_CODE["SH.688981"]) == (70.64, 105.96)  # STAR +-20%
    assert price_limits(BY_CODE["SZ.000001"], 11.55) == (10.4, 12.71)  # half up: 10.395, 12.705
    assert price_limits(BY_CODE["HK.00700"]) is None and price_limits(BY_CODE["US.AAPL"]) is None
    assert price_limits(BY_CODE["SH.000001"]) is None  # indices have none


def test_market_states_with_real_hours():
    m = Market(clock="real", start=at("HK", 2025, 3, 4, 10))  # a Tuesday
    cases = [
        ("HK", at("HK", 2025, 3, 4, 9, 35), ST_MORNING), ("HK", at("HK", 2025, 3, 4, 12, 30), ST_REST),
        ("HK", at("HK", 2025, 3, 4, 14), ST_AFTERNOON), ("HK", at("HK", 2025, 3, 4, 16, 4), ST_HK_CAS),
        ("HK", at("HK", 2025, 3, 4, 20), ST_CLOSED), ("HK", at("HK", 2025, 3, 8, 11), ST_CLOSED),
        ("US", at("US", 2025, 3, 4, 8), ST_PRE_MARKET), ("US", at("US", 2025, 3, 4, 10), ST_AFTERNOON),
        ("US", at("US", 2025, 3, 4, 17), ST_AFTER_HOURS), ("US", at("US", 2025, 3, 4, 21), ST_OVERNIGHT),
        ("US", at("US", 2025, 3, 8, 12), ST_CLOSED), ("SH", at("SH", 2025, 3, 4, 11, 45), ST_REST),
        ("SZ", at("SZ", 2025, 3, 4, 13, 30), ST_AFTERNOON), ("SZ", at("SZ", 2025, 3, 4, 15, 30), ST_CLOSED),
    ]
    for market, t, state in cases:
        assert m.market_state(market, t) == state, (market, datetime.fromtimestamp(t, TZ[market]))
    assert m.is_open("HK", at("HK", 2025, 3, 4, 10)) and not m.is_open("HK", at("HK", 2025, 3, 4, 12, 30))
    always = Market(clock="always")
    assert all(always.is_open(mk) for mk in ("HK", "US", "SH", "SZ"))
    assert always.market_state("US") == ST_AFTERNOON


def test_real_clock_trades_only_in_sessions():
    m = solo("HK.00700", clock="real", start=at("HK", 2025, 3, 4, 11, 50))
    trades = m.advance(at("HK", 2025, 3, 4, 13, 10))
    assert trades
    for tr in trades:
        local = datetime.fromtimestamp(tr.time, TZ["HK"])
        minute = local.hour * 60 + local.minute
        assert any(a <= minute < b for a, b in sessions("HK", "real")), local
    assert m.quote("HK.00700").day == date(2025, 3, 4)


# -- the tick process --------------------------------------------------------------------


def first_ticks(seed: int, code: str, n: int, step: float | None, start: float) -> list[tuple]:
    m = Market(seed=seed, rate=10.0, start=start)
    out = []
    t = start
    while len(out) < n:
        t += step if step else 60.0
        out += [tr for tr in m.advance(t) if tr.code == code]
    return [(tr.seq, tr.time, tr.price, tr.volume, tr.direction) for tr in out[:n]]


def test_same_seed_same_first_1000_ticks_different_seed_different():
    start = at("HK", 2025, 3, 4, 10)
    a = first_ticks(7, "HK.00700", 1000, None, start)
    assert len(a) == 1000
    assert first_ticks(7, "HK.00700", 1000, 0.25, start) == a  # advance() chunking does not matter
    alone = solo("HK.00700", seed=7, start=start)  # nor do the other codes
    t, b = start, []
    while len(b) < 1000:
        t += 60
        b += alone.advance(t)
    assert [(tr.seq, tr.time, tr.price, tr.volume, tr.direction) for tr in b[:1000]] == a
    c = first_ticks(8, "HK.00700", 1000, None, start)
    assert c != a and sum(x != y for x, y in zip(a, c)) > 900


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from(STOCKS), st.integers(20, 300))
def test_book_never_crossed_and_trades_hit_the_touch(seed, code, steps):
    m = solo(code, seed=seed)
    inst = m.instruments[code]
    gm = grid_market(inst)
    t = m.start
    book = m.book(code)
    for _ in range(steps):
        t += 0.2
        trades = m.advance(t)
        if trades:
            first = trades[0]
            if first.direction == BUY:
                assert first.price == book.asks[0].price
            elif first.direction == SELL:
                assert first.price == book.bids[0].price
            else:
                assert book.bids[0].price <= first.price <= book.asks[0].price
        book = m.book(code)
        assert book.bids and book.asks and book.bids[0].price < book.asks[0].price
        assert len(book.bids) <= 10 and len(book.asks) <= 10
        for side, sign in ((book.bids, -1), (book.asks, 1)):
            prices = [lv.price for lv in side]
            assert prices == sorted(prices, reverse=sign < 0) and len(set(prices)) == len(prices)
            for lv in side:
                assert on_tick_grid(gm, lv.price) and lv.volume > 0 and lv.orders >= 1
                assert lv.volume % inst.lot_size == 0
        limits = m.price_limits(code)
        if limits:
            assert all(limits[0] <= lv.price <= limits[1] for lv in book.bids + book.asks)


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from(STOCKS + ["HK.800000"]), st.integers(60, 600))
def test_klines_bound_their_trades_and_distribution_matches_turnover(seed, code, seconds):
    m = solo(code, seed=seed, rate=20.0)
    trades = m.advance(m.start + seconds)
    assert trades and m.minute_bars(code)[0].t > m.start  # nothing was generated before the start
    for kl_type in (1, 10, 6, 12, 7, 8, 9, 13, 14, 15, 2, 3, 4, 11, 5):
        if kl_type in kl.MINUTES:
            bars = today = m.klines(code, kl_type, begin=m.trading_day(code).isoformat() + " 00:00:00")
        else:
            bars = m.klines(code, kl_type, count=3)
            today = bars[-1:]
        assert today
        by_bar = defaultdict(list)
        for tr in trades:
            owner = next(b for b in today if tr.time < b.t + (0 if kl_type in kl.MINUTES else 1e12))
            by_bar[owner.time].append(tr)
        for b in today:
            assert b.low <= min(b.open, b.close) and b.high >= max(b.open, b.close)
            inside = by_bar.get(b.time, [])
            if kl_type in kl.MINUTES:  # the day and longer bars also hold generated history
                assert b.volume == sum(tr.volume for tr in inside)
            for tr in inside:
                assert b.low <= tr.price <= b.high
        current = m.current_kline(code, kl_type)
        assert (current.time, current.high, current.low, current.volume) == (
            bars[-1].time, bars[-1].high, bars[-1].low, bars[-1].volume)
    if m.instruments[code].is_index:
        return
    ins, outs, _ = m.capital_distribution(code)
    inst = m.instruments[code]
    want_in, want_out = [0.0] * 4, [0.0] * 4
    for tr in trades:
        if tr.direction == BUY:
            want_in[size_class(inst, tr.turnover)] += tr.turnover
        elif tr.direction == SELL:
            want_out[size_class(inst, tr.turnover)] += tr.turnover
    assert ins == pytest.approx(want_in) and outs == pytest.approx(want_out)
    assert sum(ins) + sum(outs) == pytest.approx(sum(tr.turnover for tr in trades if tr.direction != NEUTRAL))
    flows = m.capital_flow_intraday(code)
    assert flows[-1].total == pytest.approx(sum(ins) - sum(outs))


def test_quote_follows_the_trades():
    m = solo("US.TSLA", seed=3)
    trades = m.advance(m.start + 120)
    q = m.quote("US.TSLA")
    assert q.last == trades[-1].price and q.volume == sum(tr.volume for tr in trades)
    assert q.high == max(tr.price for tr in trades) and q.low == min(tr.price for tr in trades)
    assert q.open == trades[0].price and q.bid < q.ask
    assert q.amplitude == pytest.approx((q.high - q.low) / q.prev_close * 100)
    assert m.trades("US.TSLA", 5) == trades[-5:]


def test_a_share_prices_stay_inside_the_limits():
    m = solo("SZ.300750", seed=11, rate=50.0)
    low, high = m.price_limits("SZ.300750")
    trades = m.advance(m.start + 600)
    assert trades and all(low <= tr.price <= high for tr in trades)


def test_day_roll_files_the_day_into_history():
    m = solo("HK.00005", seed=2, start=at("HK", 2025, 3, 4, 23, 50))
    days = len(m.daily("HK.00005"))
    m.advance(at("HK", 2025, 3, 4, 23, 58))
    last = m.last_price("HK.00005")
    m.advance(at("HK", 2025, 3, 5, 0, 5))
    assert m.trading_day("HK.00005") == date(2025, 3, 5)
    assert m.prev_close("HK.00005") == m.daily("HK.00005")[-1].close
    assert len(m.daily("HK.00005")) == days + 1 and m.daily("HK.00005")[-1].day == date(2025, 3, 4)
    assert abs(m.prev_close("HK.00005") - last) < 1.0
    assert m.minute_bars("HK.00005", date(2025, 3, 4))[-1].close == m.prev_close("HK.00005")


# -- generated history -----------------------------------------------------------------


def test_history_spans_years_of_days_and_a_month_of_minutes():
    m = Market(seed=5, clock="real", start=at("HK", 2025, 3, 4, 10))
    daily = m.daily("HK.00700")
    assert len(daily) >= 500 and (daily[-1].day - daily[0].day).days >= 730
    assert daily[-1].close == BY_CODE["HK.00700"].prev_close
    for a, b in zip(daily, daily[1:]):
        assert b.prev_close == a.close and b.day > a.day and b.day.weekday() < 5
    for d in daily:
        assert d.low <= min(d.open, d.close) <= max(d.open, d.close) <= d.high and d.volume > 0
        assert on_tick_grid("HK", d.high) and on_tick_grid("HK", d.low)
    minutes = m.klines("HK.00700", 1, begin="2000-01-01 00:00:00", end="2100-01-01 00:00:00")
    assert len({b.time[:10] for b in minutes}) >= 30
    day = daily[-3]
    bars = m.minute_bars("HK.00700", day.day)
    assert len(bars) == 330 and bars[0].time.endswith("09:31:00") and bars[-1].time.endswith("16:00:00")
    assert (bars[0].open, bars[-1].close, sum(b.volume for b in bars)) == (day.open, day.close, day.volume)
    assert max(b.high for b in bars) == day.high and min(b.low for b in bars) == day.low
    assert sum(b.turnover for b in bars) == pytest.approx(day.turnover)
    sixty = [b for b in m.klines("HK.00700", 9, count=200) if b.time.startswith(day.day.isoformat())]
    assert [b.time[11:16] for b in sixty] == ["10:30", "11:30", "12:00", "14:00", "15:00", "16:00"]
    weeks = m.klines("HK.00700", kl.WEEK)
    assert all(date.fromisoformat(w.time[:10]).weekday() == 0 or i == 0 for i, w in enumerate(weeks))


def test_a_share_history_respects_limits():
    m = Market(seed=9, start=at("SZ", 2025, 3, 4, 10))
    for d in m.daily("SZ.000001"):
        low, high = price_limits(BY_CODE["SZ.000001"], d.prev_close)
        assert low <= d.low and d.high <= high


def test_short_interest_and_flows_history():
    m = Market(seed=4, start=at("US", 2025, 3, 4, 10))
    items = m.short_interest("US.AAPL")  # FINRA: twice a month, at the 15th and the month's end
    assert len(items) == 48 and items[0].day > items[-1].day
    assert all(11 <= it.day.day <= 15 or it.day.day >= 26 for it in items)
    assert len({(it.day.year, it.day.month, it.day.day > 15) for it in items}) == 48
    assert all(0 < it.ratio < 20 and it.short > 0 for it in items)
    hk = m.short_interest("HK.00700")  # weekly, completed weeks only: none for the week under way
    assert len(hk) == 104 and all((a.day - b.day).days == 7 or a.day.weekday() < 4 for a, b in zip(hk, hk[1:]))
    assert hk[0].day.isocalendar()[:2] != m.trading_day("HK.00700").isocalendar()[:2]
    daily_flows = m.capital_flow_daily("US.AAPL")
    assert len(daily_flows) >= 250 and all(f.time.endswith("00:00:00") for f in daily_flows)


def test_simulators_of_one_process_share_the_live_day_and_none_can_change_it():
    """The minutes before a simulator started are generated once per process and shared: a
    second simulator of the same seed starts with the same day, and a change to a shared
    minute raises instead of reaching every simulator."""
    from protocol.gateway.knobs import SimSettings
    from protocol.gateway.sim import Simulator

    start = datetime(2026, 12, 2, 14, 30).timestamp()  # a weekday afternoon: hours of HK minutes
    a = Simulator(SimSettings(port=0, seed=41, start=start, paused=True))
    b = Simulator(SimSettings(port=0, seed=41, start=start, paused=True))
    code = "HK.00700"
    ma, mb = a.market.minute_bars(code), b.market.minute_bars(code)
    assert len(ma) > 60 and [m.close for m in ma] == [m.close for m in mb]
    qa, qb = a.market.quote(code), b.market.quote(code)
    assert (qa.high, qa.low, qa.volume, qa.turnover) == (qb.high, qb.low, qb.volume, qb.turnover)
    assert a.market.capital_distribution(code) == b.market.capital_distribution(code)
    close = mb[0].close
    with pytest.raises(AttributeError, match="shared"):
        ma[0].close = close + 1.0
    assert mb[0].close == close
