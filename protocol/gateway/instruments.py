"""The simulated universe: instruments, tick-size rules, price limits, trading hours.

Pure data and arithmetic; no protobuf, no asyncio. Prices are floats at the API and
integer "units" of 0.0001 inside, so grid arithmetic is exact.

Rules modelled (sources: HKEX spread table, SEC Rule 612, SSE/SZSE trading rules, the
vendor docs' market-state table, seed 004 FAQ Q14):
- HK: the HKEX spread table (0.001 up to 0.25 ... 5.000 above 5,000).
- US: 0.01 at or above $1, 0.0001 below.
- SH/SZ: 0.01; daily limits of +-10% of the previous close, +-20% on ChiNext (300xxx)
  and STAR (688xxx), rounded half up to 0.01.
No holiday calendars: every weekday is a trading day.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

UNIT = 10_000  # price units per 1.0 (0.0001 resolution)

# Qot_Common.SecurityType
SEC_STOCK, SEC_ETF, SEC_INDEX = 3, 4, 6
# Qot_Common.QotMarket
QOT_MARKET = {"HK": 1, "US": 11, "SH": 21, "SZ": 22}
MARKET_OF = {v: k for k, v in QOT_MARKET.items()}
MARKETS = ("HK", "US", "SH", "SZ")
CURRENCY = {"HK": "HKD", "US": "USD", "SH": "CNY", "SZ": "CNY"}
TRD_CURRENCY = {"HKD": 1, "USD": 2, "CNY": 3}  # Trd_Common.Currency (CNH stands in for CNY)
TZ = {
    "HK": ZoneInfo("Asia/Hong_Kong"), "US": ZoneInfo("America/New_York"),
    "SH": ZoneInfo("Asia/Shanghai"), "SZ": ZoneInfo("Asia/Shanghai"),
}

# Qot_Common.QotMarketState
ST_NONE, ST_AUCTION, ST_WAITING_OPEN, ST_MORNING, ST_REST, ST_AFTERNOON, ST_CLOSED = 0, 1, 2, 3, 4, 5, 6
ST_PRE_MARKET, ST_AFTER_HOURS, ST_HK_CAS, ST_OVERNIGHT = 8, 10, 19, 37


@dataclass(frozen=True)
class Instrument:
    code: str  # "HK.00700"
    market: str  # "HK", "US", "SH", "SZ"
    symbol: str  # "00700"
    name: str
    lot_size: int  # board lot; 0 for indices (not tradable)
    sec_type: int  # Qot_Common.SecurityType
    list_date: str  # "YYYY-MM-DD"
    prev_close: float  # close of the trading day before the simulator's first day
    currency: str  # "HKD", "USD", "CNY"
    exch_type: int = 0  # Qot_Common.ExchType
    total_shares: int = 0
    float_shares: int = 0
    eps: float = 0.0  # trailing earnings per share
    bvps: float = 0.0  # book value per share
    daily_vol: float = 0.02  # daily log-return standard deviation
    tick_rate: float = 1.0  # trades per second at rate 1, on average
    trade_lots: float = 2.0  # scale of one trade's size, in lots (shares for US)

    @property
    def is_index(self) -> bool:
        return self.sec_type == SEC_INDEX

    @property
    def lot(self) -> int:
        """Shares per size step of the model (1 for indices)."""
        return self.lot_size or 1


def _i(code, name, lot, sec, listed, prev, exch, shares, float_pct, eps, bvps, vol, rate, lots) -> Instrument:
    market, _, symbol = code.partition(".")
    return Instrument(
        code, market, symbol, name, lot, sec, listed, prev, CURRENCY[market], exch,
        int(shares), int(shares * float_pct), eps, bvps, vol, rate, lots,
    )


_HK, _NYSE, _NASDAQ, _AMEX, _SH, _SZ, _STAR = 1, 4, 5, 7, 14, 15, 16

UNIVERSE: tuple[Instrument, ...] = (
    # HK: real board lots
    _i("HK.00700", "腾讯控股", 100, SEC_STOCK, "2004-06-16", 612.5, _HK, 9.2e9, 1.0, 24.1, 118.0, 0.020, 3.0, 2),
    _i("HK.09988", "阿里巴巴-W", 100, SEC_STOCK, "2019-11-26", 158.2, _HK, 19.1e9, 1.0, 7.2, 52.0, 0.028, 2.5, 3),
    _i("HK.03690", "美团-W", 100, SEC_STOCK, "2018-09-20", 102.3, _HK, 6.1e9, 0.9, 5.8, 22.0, 0.030, 2.0, 3),
    _i("HK.00005", "汇丰控股", 400, SEC_STOCK, "1991-04-19", 98.85, _HK, 17.6e9, 1.0, 11.5, 105.0, 0.013, 1.5, 2),
    _i("HK.01810", "小米集团-W", 200, SEC_STOCK, "2018-07-09", 42.35, _HK, 25.9e9, 0.8, 1.1, 9.5, 0.030, 2.5, 4),
    _i("HK.00941", "中国移动", 500, SEC_STOCK, "1997-10-23", 85.65, _HK, 21.5e9, 1.0, 6.6, 62.0, 0.011, 1.0, 2),
    _i("HK.01299", "友邦保险", 200, SEC_STOCK, "2010-10-29", 72.3, _HK, 10.7e9, 1.0, 3.4, 30.0, 0.018, 1.5, 3),
    _i("HK.00388", "香港交易所", 100, SEC_STOCK, "2000-06-27", 412.2, _HK, 1.27e9, 1.0, 10.5, 40.0, 0.020, 1.2, 2),
    _i("HK.02318", "中国平安", 500, SEC_STOCK, "2004-06-24", 52.85, _HK, 7.4e9, 1.0, 6.8, 63.0, 0.020, 1.5, 3),
    _i("HK.00939", "建设银行", 1000, SEC_STOCK, "2005-10-27", 7.42, _HK, 240e9, 0.95, 1.3, 12.0, 0.012, 1.5, 5),
    _i("HK.01211", "比亚迪股份", 500, SEC_STOCK, "2002-07-31", 108.6, _HK, 1.1e9, 1.0, 13.0, 75.0, 0.027, 1.5, 2),
    _i("HK.02800", "盈富基金", 500, SEC_ETF, "1999-11-12", 26.1, _HK, 6.0e9, 1.0, 0.0, 0.0, 0.013, 1.0, 10),
    _i("HK.00001", "长和", 500, SEC_STOCK, "1972-11-01", 47.7, _HK, 3.8e9, 1.0, 4.5, 112.0, 0.015, 0.8, 2),
    _i("HK.00883", "中国海洋石油", 1000, SEC_STOCK, "2001-02-28", 19.38, _HK, 47.5e9, 1.0, 2.9, 15.0, 0.019, 1.2, 3),
    _i("HK.02020", "安踏体育", 200, SEC_STOCK, "2007-07-10", 86.45, _HK, 2.8e9, 1.0, 5.4, 22.0, 0.022, 1.0, 3),
    _i("HK.00981", "中芯国际", 500, SEC_STOCK, "2004-03-18", 45.85, _HK, 7.9e9, 0.75, 0.6, 18.0, 0.035, 1.5, 4),
    _i("HK.01024", "快手-W", 100, SEC_STOCK, "2021-02-05", 52.35, _HK, 4.3e9, 0.8, 3.2, 15.0, 0.030, 1.2, 4),
    _i("HK.09618", "京东集团-SW", 50, SEC_STOCK, "2020-06-18", 128.7, _HK, 3.1e9, 0.9, 12.5, 80.0, 0.027, 1.2, 4),
    _i("HK.02269", "药明生物", 500, SEC_STOCK, "2017-06-13", 18.42, _HK, 4.1e9, 1.0, 0.9, 9.0, 0.035, 1.0, 3),
    _i("HK.00027", "银河娱乐", 1000, SEC_STOCK, "1991-10-07", 34.55, _HK, 4.4e9, 1.0, 2.1, 18.0, 0.024, 0.8, 2),
    _i("HK.800000", "恒生指数", 0, SEC_INDEX, "1969-11-24", 20150.35, _HK, 0, 0, 0, 0, 0.012, 1.0, 2e5),
    _i("HK.800700", "恒生科技指数", 0, SEC_INDEX, "2020-07-27", 4502.18, _HK, 0, 0, 0, 0, 0.018, 1.0, 5e4),
    # US: lot 1, sizes in shares
    _i("US.AAPL", "苹果", 1, SEC_STOCK, "1980-12-12", 229.87, _NASDAQ, 15.1e9, 1.0, 6.6, 4.4, 0.015, 4.0, 30),
    _i("US.TSLA", "特斯拉", 1, SEC_STOCK, "2010-06-29", 251.44, _NASDAQ, 3.2e9, 0.87, 3.1, 22.0, 0.035, 4.0, 25),
    _i("US.NVDA", "英伟达", 1, SEC_STOCK, "1999-01-22", 132.65, _NASDAQ, 24.5e9, 0.96, 2.5, 2.6, 0.030, 4.0, 40),
    _i("US.MSFT", "微软", 1, SEC_STOCK, "1986-03-13", 415.3, _NASDAQ, 7.43e9, 1.0, 12.1, 36.0, 0.014, 3.0, 15),
    _i("US.AMZN", "亚马逊", 1, SEC_STOCK, "1997-05-15", 186.51, _NASDAQ, 10.5e9, 0.9, 4.7, 28.0, 0.020, 3.0, 25),
    _i("US.GOOG", "谷歌-C", 1, SEC_STOCK, "2014-04-03", 167.06, _NASDAQ, 5.8e9, 0.9, 7.5, 26.0, 0.018, 2.5, 20),
    _i("US.META", "Meta Platforms", 1, SEC_STOCK, "2012-05-18", 571.2, _NASDAQ, 2.53e9, 0.86, 19.6, 68.0, 0.022, 2.5, 10),
    _i("US.BABA", "阿里巴巴", 1, SEC_STOCK, "2014-09-19", 86.9, _NYSE, 2.4e9, 1.0, 3.6, 52.0, 0.028, 2.0, 30),
    _i("US.AMD", "超威半导体", 1, SEC_STOCK, "1979-10-15", 142.38, _NASDAQ, 1.62e9, 1.0, 1.2, 35.0, 0.032, 3.0, 30),
    _i("US.NFLX", "奈飞", 1, SEC_STOCK, "2002-05-23", 689.2, _NASDAQ, 0.43e9, 0.98, 17.7, 54.0, 0.022, 1.5, 10),
    _i("US.JPM", "摩根大通", 1, SEC_STOCK, "1980-03-17", 221.49, _NYSE, 2.84e9, 1.0, 18.2, 115.0, 0.014, 2.0, 15),
    _i("US.KO", "可口可乐", 1, SEC_STOCK, "1919-09-05", 71.06, _NYSE, 4.31e9, 1.0, 2.5, 6.4, 0.009, 1.5, 25),
    _i("US.INTC", "英特尔", 1, SEC_STOCK, "1971-10-13", 22.87, _NASDAQ, 4.3e9, 1.0, 0.4, 23.0, 0.030, 3.0, 60),
    _i("US.PDD", "拼多多", 1, SEC_STOCK, "2018-07-26", 137.2, _NASDAQ, 1.39e9, 0.8, 10.6, 37.0, 0.033, 2.0, 20),
    _i("US.SPY", "SPDR标普500指数ETF", 1, SEC_ETF, "1993-01-29", 568.62, _AMEX, 0.92e9, 1.0, 0, 0, 0.010, 3.0, 40),
    _i("US.QQQ", "纳指100ETF-Invesco", 1, SEC_ETF, "1999-03-10", 486.4, _NASDAQ, 0.57e9, 1.0, 0, 0, 0.013, 2.5, 40),
    _i("US..DJI", "道琼斯指数", 0, SEC_INDEX, "1896-05-26", 42114.4, _NYSE, 0, 0, 0, 0, 0.009, 1.0, 3e5),
    _i("US..IXIC", "纳斯达克综合指数", 0, SEC_INDEX, "1971-02-05", 18291.62, _NASDAQ, 0, 0, 0, 0, 0.013, 1.0, 5e5),
    _i("US..SPX", "标普500指数", 0, SEC_INDEX, "1957-03-04", 5751.07, _NYSE, 0, 0, 0, 0, 0.010, 1.0, 4e5),
    # A-shares: lot 100 (STAR Market: 200-share minimum, modelled as a 200 lot)
    _i("SH.600519", "贵州茅台", 100, SEC_STOCK, "2001-08-27", 1488.0, _SH, 1.256e9, 1.0, 66.0, 210.0, 0.017, 1.0, 2),
    _i("SH.601318", "中国平安", 100, SEC_STOCK, "2007-03-01", 51.2, _SH, 18.2e9, 0.6, 6.9, 53.0, 0.018, 1.5, 5),
    _i("SH.600036", "招商银行", 100, SEC_STOCK, "2002-04-09", 38.45, _SH, 25.2e9, 0.82, 5.9, 42.0, 0.015, 1.5, 6),
    _i("SH.688981", "中芯国际", 200, SEC_STOCK, "2020-07-16", 88.3, _STAR, 7.95e9, 0.25, 0.6, 18.0, 0.035, 1.5, 3),
    _i("SZ.000001", "平安银行", 100, SEC_STOCK, "1991-04-03", 11.52, _SZ, 19.4e9, 1.0, 2.3, 22.0, 0.015, 2.0, 10),
    _i("SZ.300750", "宁德时代", 100, SEC_STOCK, "2018-06-11", 252.6, _SZ, 4.4e9, 0.88, 11.8, 60.0, 0.028, 1.5, 3),
    _i("SZ.000858", "五粮液", 100, SEC_STOCK, "1998-04-27", 132.15, _SZ, 3.88e9, 1.0, 8.2, 38.0, 0.020, 1.0, 3),
    _i("SZ.002594", "比亚迪", 100, SEC_STOCK, "2011-06-30", 289.4, _SZ, 2.9e9, 0.4, 13.0, 80.0, 0.026, 1.2, 3),
    _i("SH.601988", "中国银行", 100, SEC_STOCK, "2006-07-05", 5.12, _SH, 294e9, 0.7, 0.8, 7.0, 0.010, 1.5, 20),
    _i("SZ.000333", "美的集团", 100, SEC_STOCK, "2013-09-18", 72.35, _SZ, 7.0e9, 0.95, 5.2, 27.0, 0.020, 1.2, 4),
    _i("SH.600900", "长江电力", 100, SEC_STOCK, "2003-11-18", 29.88, _SH, 24.5e9, 1.0, 1.4, 8.7, 0.012, 1.2, 6),
    _i("SH.000001", "上证指数", 0, SEC_INDEX, "1991-07-15", 3336.5, _SH, 0, 0, 0, 0, 0.011, 1.0, 4e6),
    _i("SZ.399001", "深证成指", 0, SEC_INDEX, "1995-01-23", 10528.24, _SZ, 0, 0, 0, 0, 0.014, 1.0, 5e6),
    _i("SH.000300", "沪深300", 0, SEC_INDEX, "2005-04-08", 3887.83, _SH, 0, 0, 0, 0, 0.012, 1.0, 2e6),
)

# The user's watchlists: (name, GroupType 1 custom / 2 system, codes).
WATCHLISTS: tuple[tuple[str, int, tuple[str, ...]], ...] = (
    ("All", 2, tuple(i.code for i in UNIVERSE if not i.is_index)),
    ("HK", 2, tuple(i.code for i in UNIVERSE if i.market == "HK" and not i.is_index)),
    ("US", 2, tuple(i.code for i in UNIVERSE if i.market == "US" and not i.is_index)),
    ("A-Shares", 2, tuple(i.code for i in UNIVERSE if i.market in ("SH", "SZ") and not i.is_index)),
    ("Tech", 1, ("HK.00700", "HK.09988", "HK.03690", "HK.01810", "US.AAPL", "US.NVDA", "US.MSFT",
                 "US.GOOG", "US.META", "SH.688981")),
    ("Banks", 1, ("HK.00005", "HK.00939", "SH.600036", "SZ.000001")),
    ("Indices", 1, tuple(i.code for i in UNIVERSE if i.is_index)),
)

# HK exchange participants shown in broker queues (ids and names are illustrative).
HK_BROKERS: tuple[tuple[int, str], ...] = (
    (1799, "富途证券国际(香港)"), (4088, "高盛(亚洲)证券"), (5338, "摩根士丹利香港证券"),
    (6387, "摩根大通证券(亚太)"), (8130, "瑞银证券香港"), (4489, "美林远东"), (2137, "汇丰证券经纪"),
    (8738, "法国巴黎证券(亚洲)"), (1456, "中银国际证券"), (3440, "海通国际证券"), (7389, "花旗环球金融亚洲"),
    (5465, "辉立证券(香港)"), (8577, "招商证券(香港)"), (3036, "中信里昂证券"), (6828, "华泰金融控股(香港)"),
    (1049, "国泰君安证券(香港)"), (9068, "麦格理资本"), (6996, "中国投资信息"), (2846, "盈透证券香港"),
    (7727, "中金香港证券"),
)

# ---------------------------------------------------------------------------- tick rules

# HKEX spread table: (upper bound of the band, spread), both in units; a band is "over the
# previous bound up to and including this one".
_HK_BANDS = (
    (2_500, 10), (5_000, 50), (100_000, 100), (200_000, 200), (1_000_000, 500), (2_000_000, 1_000),
    (5_000_000, 2_000), (10_000_000, 5_000), (20_000_000, 10_000), (50_000_000, 20_000),
)
_HK_TOP = 50_000


def _band_tick(market: str, u: float) -> int:
    """Spread (units) of the band a price in units falls in."""
    if market == "HK":
        for bound, tick in _HK_BANDS:
            if u <= bound:
                return tick
        return _HK_TOP
    if market == "US":
        return 1 if u < UNIT else 100
    return 100  # SH, SZ and anything else: 0.01


def to_units(price: float) -> int:
    return int(round(price * UNIT))


def tick_size(market: str, price: float) -> float:
    """Minimum price step at `price` in `market`."""
    return _band_tick(market, price * UNIT) / UNIT


def tick_up_units(market: str, u: int) -> int:
    """The next grid price above an on-grid price (units)."""
    return u + _band_tick(market, u + 0.5)


def tick_down_units(market: str, u: int) -> int:
    """The next grid price below an on-grid price (units)."""
    return u - _band_tick(market, u - 0.5)


def on_tick_grid(market: str, price: float) -> bool:
    """True if `price` is a valid quote price (a multiple of its band's spread)."""
    exact = price * UNIT
    u = round(exact)
    if abs(exact - u) > 1e-6 * max(1.0, abs(exact)) or u <= 0:
        return False
    return u % _band_tick(market, u) == 0


def floor_units(market: str, price: float) -> int:
    exact = price * UNIT
    if abs(exact - round(exact)) < 1e-6:
        exact = float(round(exact))
    tick = _band_tick(market, exact)
    return int(math.floor(exact / tick + 1e-9)) * tick


def ceil_units(market: str, price: float) -> int:
    exact = price * UNIT
    if abs(exact - round(exact)) < 1e-6:
        exact = float(round(exact))
    tick = _band_tick(market, exact)
    return int(math.ceil(exact / tick - 1e-9)) * tick


def round_to_tick(market: str, price: float, up: bool | None = None) -> float:
    """Snap to the grid: up=True rounds up, up=False down, None to the nearest (ties up)."""
    lo, hi = floor_units(market, price), ceil_units(market, price)
    if up is True:
        return hi / UNIT
    if up is False:
        return lo / UNIT
    exact = price * UNIT
    return (lo if exact - lo < hi - exact else hi) / UNIT


def grid_market(inst: Instrument) -> str:
    """The tick table an instrument's prices follow: indices move in 0.01 everywhere."""
    return "IDX" if inst.is_index else inst.market


def limit_pct(inst: Instrument) -> int | None:
    """Daily price limit in percent, or None where the market has none."""
    if inst.market not in ("SH", "SZ") or inst.is_index:
        return None
    return 20 if inst.symbol.startswith(("300", "301", "688", "689")) else 10


def limit_units(inst: Instrument, prev_close: float) -> tuple[int, int] | None:
    pct = limit_pct(inst)
    if pct is None:
        return None
    cents = int(round(prev_close * 100))
    up = (cents * (100 + pct) + 50) // 100  # half up to 0.01
    down = (cents * (100 - pct) + 50) // 100
    return down * 100, up * 100


def price_limits(inst: Instrument, prev_close: float | None = None) -> tuple[float, float] | None:
    """(limit down, limit up) for A-shares from the previous close; None elsewhere."""
    lim = limit_units(inst, inst.prev_close if prev_close is None else prev_close)
    return None if lim is None else (lim[0] / UNIT, lim[1] / UNIT)


# ----------------------------------------------------------------------- trading hours

# Continuous sessions in local minutes since midnight, [start, end).
SESSIONS = {
    "HK": ((570, 720), (780, 960)),
    "US": ((570, 960),),
    "SH": ((570, 690), (780, 900)),
    "SZ": ((570, 690), (780, 900)),
}
# With clock="always" every day trades 00:00-23:59; the last minute is left empty so that
# every 1-minute bar ends on the same date it starts.
ALWAYS_SESSIONS = ((0, 1439),)


def sessions(market: str, clock: str) -> tuple[tuple[int, int], ...]:
    return ALWAYS_SESSIONS if clock == "always" else SESSIONS[market]


@functools.lru_cache(maxsize=None)
def minute_labels(market: str, clock: str) -> tuple[int, ...]:
    """End minute of every 1-minute bar of a trading day (HK: 571 ... 720, 781 ... 960)."""
    return tuple(m + 1 for start, end in sessions(market, clock) for m in range(start, end))


@functools.lru_cache(maxsize=None)
def bucket_map(market: str, clock: str, minutes: int) -> dict[int, int]:
    """1-minute bar label -> label of the `minutes`-bar holding it (bars restart each session)."""
    out = {}
    for start, end in sessions(market, clock):
        for m in range(start, end):
            out[m + 1] = min(start + ((m - start) // minutes + 1) * minutes, end)
    return out


def session_minutes(market: str, clock: str) -> int:
    return sum(end - start for start, end in sessions(market, clock))


class DayClock:
    """Local calendar arithmetic for one market, cached per day (ticks ask it a lot)."""

    def __init__(self, market: str) -> None:
        self.market = market
        self.tz = TZ[market]
        self._lo = self._hi = 0.0
        self._day: date = date(1970, 1, 1)

    def day_start(self, day: date) -> float:
        return datetime(day.year, day.month, day.day, tzinfo=self.tz).timestamp()

    def locate(self, t: float) -> tuple[date, float]:
        """(local date, epoch of its midnight) for epoch time t."""
        if not (self._lo <= t < self._hi):
            day = datetime.fromtimestamp(t, self.tz).date()
            self._day, self._lo = day, self.day_start(day)
            self._hi = self.day_start(day + timedelta(days=1))
        return self._day, self._lo

    def minute(self, t: float) -> float:
        """Local minutes since midnight (fractional)."""
        return (t - self.locate(t)[1]) / 60.0

    def at(self, day: date, minute: float) -> float:
        """Epoch time of a local minute of a day."""
        return self.day_start(day) + minute * 60.0


def is_trading_day(day: date, clock: str) -> bool:
    return clock == "always" or day.weekday() < 5


def state_at(market: str, clock: str, day: date, minute: float) -> int:
    """QotMarketState of a market at a local date and minute (vendor FAQ Q14 table)."""
    if clock == "always":
        if market == "US":
            return ST_AFTERNOON  # the US regular session is reported as AFTERNOON
        return ST_MORNING if minute < 720 else ST_AFTERNOON
    wd = day.weekday()
    if market == "US":
        if wd == 5 or (wd == 4 and minute >= 1200) or (wd == 6 and minute < 1200):
            return ST_CLOSED
        if minute < 240 or minute >= 1200:
            return ST_OVERNIGHT
        if minute < 570:
            return ST_PRE_MARKET
        if minute < 960:
            return ST_AFTERNOON
        return ST_AFTER_HOURS
    if wd >= 5:
        return ST_CLOSED
    if market == "HK":
        table = ((535, ST_CLOSED), (540, ST_NONE), (560, ST_AUCTION), (570, ST_WAITING_OPEN), (720, ST_MORNING),
                 (780, ST_REST), (960, ST_AFTERNOON), (968, ST_HK_CAS))
    else:
        table = ((535, ST_CLOSED), (555, ST_NONE), (565, ST_AUCTION), (570, ST_WAITING_OPEN), (690, ST_MORNING),
                 (780, ST_REST), (900, ST_AFTERNOON))
    for bound, state in table:
        if minute < bound:
            return state
    return ST_CLOSED


def in_session(market: str, clock: str, day: date, minute: float) -> tuple[int, int] | None:
    """The continuous session (start, end) holding this local minute, if any."""
    if not is_trading_day(day, clock):
        return None
    for start, end in sessions(market, clock):
        if start <= minute < end:
            return start, end
    return None


def next_open(dc: DayClock, clock: str, t: float) -> float:
    """Epoch of the first session start at or after t."""
    day, _ = dc.locate(t)
    minute = dc.minute(t)
    for _ in range(10):
        if is_trading_day(day, clock):
            for start, _end in sessions(dc.market, clock):
                if minute <= start:
                    return dc.at(day, start)
        day += timedelta(days=1)
        minute = -1.0
    raise RuntimeError("no session within ten days")  # unreachable with a weekday calendar


def trading_days_before(day: date, n: int) -> list[date]:
    """The n trading days before `day`, oldest first. History always uses weekdays."""
    out: list[date] = []
    d = day
    while len(out) < n:
        d -= timedelta(days=1)
        if d.weekday() < 5:
            out.append(d)
    out.reverse()
    return out


def last_session_day(dc: DayClock, clock: str, t: float) -> date:
    """The trading day the quote shows at time t: today once its first session has begun,
    otherwise the last trading day before it."""
    day, _ = dc.locate(t)
    if clock == "always":
        return day
    first_open = sessions(dc.market, clock)[0][0]
    if day.weekday() < 5 and dc.minute(t) >= first_open:
        return day
    d = day - timedelta(days=1)
    while d.weekday() >= 5:
        d -= timedelta(days=1)
    return d


BY_CODE: dict[str, Instrument] = {i.code: i for i in UNIVERSE}
