"""The quote detail's two reads as the official SDK sees them from the simulated OpenD:
snapshot figures consistent with each other and with the quote, and get_short_interest's
paging, US and HK fields, refusals and rate limit."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from protocol.gateway.sim import SimThread
from protocol.hours import TZ

pytestmark = pytest.mark.sdk

futu = pytest.importorskip("futu")
from futu import RET_ERROR, RET_OK, OpenQuoteContext  # noqa: E402


@pytest.fixture(scope="module")
def sim():
    from futu import SysConfig

    SysConfig.enable_proto_encrypt(False)
    SysConfig.set_init_rsa_file("")
    runner = SimThread(seed=12)
    runner.start()
    runner.call(runner.sim.pause)  # figures that hold still while one snapshot is compared with another
    yield runner
    runner.stop()


@pytest.fixture
def ctx(sim):
    c = OpenQuoteContext(host="127.0.0.1", port=sim.sim.port)
    yield c
    c.close()


def test_snapshot_figures_agree_with_each_other(ctx):
    ret, data = ctx.get_market_snapshot(["HK.00700", "US.AAPL", "HK.02800"])
    assert ret == RET_OK, data
    for _, s in data.iterrows():
        assert s.low_price <= s.last_price <= s.high_price and s.prev_close_price > 0 and s.lot_size > 0
        assert s.amplitude == pytest.approx((s.high_price - s.low_price) / s.prev_close_price * 100, abs=2e-3)
        assert s.avg_price == pytest.approx(s.turnover / s.volume, rel=1e-4)
        assert s.lowest52weeks_price <= s.low_price and s.high_price <= s.highest52weeks_price
    stock, etf = data.iloc[0], data.iloc[2]
    assert stock.turnover_rate == pytest.approx(stock.volume / stock.outstanding_shares * 100, abs=2e-3)
    assert stock.total_market_val == pytest.approx(stock.issued_shares * stock.last_price, rel=1e-6)
    assert stock.pe_ratio == pytest.approx(stock.last_price / stock.earning_per_share, rel=1e-3)
    assert etf.trust_aum == pytest.approx(etf.trust_outstanding_units * etf.last_price, rel=1e-6)


def test_short_interest_pages_us_and_hk_records_as_documented(ctx):
    ret, us, hk = ctx.get_short_interest("US.AAPL", num=20)
    assert ret == RET_OK and len(us) == 20 and hk.empty
    assert list(us.columns) == ["timestamp", "timestamp_str", "shares_short", "short_percent",
                                "avg_daily_share_volume", "days_to_cover", "close_price", "last_close_price"]
    days = [date.fromisoformat(d) for d in us["timestamp_str"]]
    assert all(11 <= d.day <= 15 or d.day >= 26 for d in days)  # FINRA: mid-month and month-end
    for _, row in us.iterrows():  # the trading day's local midnight, in epoch seconds
        d = date.fromisoformat(row.timestamp_str)
        assert row.timestamp == datetime(d.year, d.month, d.day, tzinfo=TZ["US"]).timestamp()
        assert row.days_to_cover == pytest.approx(row.shares_short / row.avg_daily_share_volume, abs=0.01)
    key = us.attrs["next_key"]
    ret, older, _ = ctx.get_short_interest("US.AAPL", next_key=key, num=20)
    assert ret == RET_OK and older["timestamp_str"].iloc[0] < us["timestamp_str"].iloc[-1]
    ret, end, _ = ctx.get_short_interest("US.AAPL", next_key="-1")
    assert ret == RET_OK and end.empty and end.attrs["next_key"] == "-1"
    ret, msg, _ = ctx.get_short_interest("US.AAPL", next_key="not-a-key")
    assert ret == RET_ERROR and "nextKey" in msg

    ret, us, hk = ctx.get_short_interest("HK.00700", num=50)
    assert ret == RET_OK and us.empty and len(hk) == 50
    assert list(hk.columns) == ["timestamp", "timestamp_str", "aggregated_short", "aggregated_short_ratio",
                                "close_price", "last_close_price"]
    days = [date.fromisoformat(d) for d in hk["timestamp_str"]]
    assert all((a - b).days == 7 or a.weekday() < 4 for a, b in zip(days, days[1:]))  # weekly, newest first
    ret, _us, fund = ctx.get_short_interest("HK.02800", num=1)  # funds too
    assert ret == RET_OK and len(fund) == 1
    for code, words in (("HK.800000", "HK and US stocks"), ("SZ.000001", "HK and US")):
        ret, msg, _ = ctx.get_short_interest(code)
        assert ret == RET_ERROR and words in msg
    ret, msg, _ = ctx.get_short_interest("HK.00700", num=51)
    assert ret == RET_ERROR and "num must be 1 to 50" in msg


def test_short_interest_keeps_to_30_requests_in_30_seconds(sim):
    ctx = OpenQuoteContext(host="127.0.0.1", port=sim.sim.port)  # a connection of its own: its own window
    try:
        for _ in range(30):
            assert ctx.get_short_interest("HK.00700", num=1)[0] == RET_OK
        ret, msg, _ = ctx.get_short_interest("HK.00700", num=1)
        assert ret == RET_ERROR and "rate limit" in msg and "30 requests per 30 s" in msg
    finally:
        ctx.close()
