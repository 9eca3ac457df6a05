"""The simulated universe: instruments with names, lots and previous closes, and watchlists.

The exchange rules they follow (tick grids, price limits, sessions, time zones) live in
protocol/markets.py, shared with the workstation; this module binds them to an Instrument.
"""

from __future__ import annotations

from dataclasses import dataclass

from protocol.codes import QOT_MARKETS
from protocol.markets import SEC_ETF, SEC_INDEX, SEC_STOCK, UNIT, grid, limit_band_units, limit_pct as _limit_pct
from protocol.trade import CURRENCY_OF, Currency

MARKETS = ("HK", "US", "SH", "SZ")  # the markets the simulator lists
QOT_MARKET = {m: QOT_MARKETS[m] for m in MARKETS}  # Qot_Common.QotMarket of each
MARKET_OF = {v: k for k, v in QOT_MARKET.items()}


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
    currency: Currency  # what its prices are in (CNH for A-shares, as OpenD reports it)
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
        code, market, symbol, name, lot, sec, listed, prev, CURRENCY_OF[market], exch,
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

# What OpenD serves as names when its `lang` is `en` (the default `chs` serves `name`): HKEX short
# names for HK, company names for US, English names for A-shares and indices.
NAMES_EN: dict[str, str] = {
    "HK.00700": "TENCENT", "HK.09988": "BABA-W", "HK.03690": "MEITUAN-W", "HK.00005": "HSBC HOLDINGS",
    "HK.01810": "XIAOMI-W", "HK.00941": "CHINA MOBILE", "HK.01299": "AIA", "HK.00388": "HKEX",
    "HK.02318": "PING AN", "HK.00939": "CCB", "HK.01211": "BYD COMPANY", "HK.02800": "TRACKER FUND",
    "HK.00001": "CKH HOLDINGS", "HK.00883": "CNOOC", "HK.02020": "ANTA SPORTS", "HK.00981": "SMIC",
    "HK.01024": "KUAISHOU-W", "HK.09618": "JD-SW", "HK.02269": "WUXI BIO", "HK.00027": "GALAXY ENT",
    "HK.800000": "Hang Seng Index", "HK.800700": "Hang Seng TECH Index",
    "US.AAPL": "Apple", "US.TSLA": "Tesla", "US.NVDA": "NVIDIA", "US.MSFT": "Microsoft", "US.AMZN": "Amazon",
    "US.GOOG": "Alphabet-C", "US.META": "Meta Platforms", "US.BABA": "Alibaba", "US.AMD": "Advanced Micro Devices",
    "US.NFLX": "Netflix", "US.JPM": "JPMorgan Chase", "US.KO": "Coca-Cola", "US.INTC": "Intel",
    "US.PDD": "PDD Holdings", "US.SPY": "SPDR S&P 500 ETF Trust", "US.QQQ": "Invesco QQQ Trust",
    "US..DJI": "Dow Jones Industrial Average", "US..IXIC": "NASDAQ Composite Index", "US..SPX": "S&P 500 Index",
    "SH.600519": "Kweichow Moutai", "SH.601318": "Ping An Insurance", "SH.600036": "China Merchants Bank",
    "SH.688981": "SMIC", "SZ.000001": "Ping An Bank", "SZ.300750": "CATL", "SZ.000858": "Wuliangye Yibin",
    "SZ.002594": "BYD", "SH.601988": "Bank of China", "SZ.000333": "Midea Group", "SH.600900": "China Yangtze Power",
    "SH.000001": "SSE Composite Index", "SZ.399001": "SZSE Component Index", "SH.000300": "CSI 300 Index",
}

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

# ------------------------------------------------------------ the rules, bound to an instrument


def grid_market(inst: Instrument) -> str:
    """The tick table an instrument's prices follow (protocol.markets.grid)."""
    return grid(inst.market, inst.sec_type)


def limit_pct(inst: Instrument) -> int | None:
    """Daily price limit in percent, or None where the market has none."""
    return _limit_pct(inst.market, inst.symbol, inst.sec_type, inst.name)


def limit_units(inst: Instrument, prev_close: float) -> tuple[int, int] | None:
    pct = limit_pct(inst)
    return None if pct is None else limit_band_units(pct, prev_close)


def price_limits(inst: Instrument, prev_close: float | None = None) -> tuple[float, float] | None:
    """(limit down, limit up) for A-shares from the previous close; None elsewhere."""
    lim = limit_units(inst, inst.prev_close if prev_close is None else prev_close)
    return None if lim is None else (lim[0] / UNIT, lim[1] / UNIT)


BY_CODE: dict[str, Instrument] = {i.code: i for i in UNIVERSE}
