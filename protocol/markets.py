"""Exchange rules both ends share: tick grids, lots, time zones, sessions, price limits.

Pure data and arithmetic (no protobuf, no asyncio, no I/O). Prices are floats at the API
and integer "units" of 0.0001 inside, so grid arithmetic is exact.

Rules (sources: HKEX spread table, SEC Rule 612, SSE/SZSE trading rules, the vendor docs'
market-state table, seed 004 FAQ Q14):
- HK: the HKEX spread table (0.001 up to 0.25 ... 5.000 above 5,000).
- US: 0.01 at or above $1, 0.0001 below.
- SH/SZ: 0.01 for stocks, 0.001 for ETFs and funds; daily limits of +-10% of the previous
  close, +-20% on ChiNext (300xxx/301xxx) and STAR (688xxx/689xxx), +-5% for ST stocks,
  rounded half up to 0.01. Odd lots may be sold (the whole odd holding), never bought.
- Indices move in 0.01 everywhere.
- A quote's own `priceSpread` (OpenD's tick at the current price) wins over the tables:
  the grid functions take it as `spread`.
Trading hours, time zones and the holiday calendar: protocol/hours.py (re-exported here).
"""

from __future__ import annotations

import math

UNIT = 10_000  # price units per 1.0 (0.0001 resolution)

# Qot_Common.SecurityType (the ones the rules look at)
SEC_STOCK, SEC_ETF, SEC_INDEX = 3, 4, 6  # SEC_ETF is "Trust": ETFs and funds
# What no order can be placed on (Qot_Common.SecurityType -> how the trader is told)
UNTRADABLE = {SEC_INDEX: "an index", 7: "a sector", 9: "a sector group"}


def untradable(sec_type: int) -> str | None:
    """Why a security of this type cannot be traded ("an index"), or None if it can be."""
    return UNTRADABLE.get(sec_type)

A_SHARES = frozenset({"SH", "SZ"})


# ---------------------------------------------------------------------------- tick grids

# Grid names: a market prefix ("HK", "US", "SH", "SZ"), or one of these.
GRID_INDEX = "IDX"  # indices: 0.01
GRID_CN_FUND = "CN_FUND"  # A-share ETFs and funds: 0.001

# HKEX spread table: (upper bound of the band, spread), both in units; a band is "over the
# previous bound up to and including this one".
_HK_BANDS = (
    (2_500, 10), (5_000, 50), (100_000, 100), (200_000, 200), (1_000_000, 500), (2_000_000, 1_000),
    (5_000_000, 2_000), (10_000_000, 5_000), (20_000_000, 10_000), (50_000_000, 20_000),
)
_HK_TOP = 50_000


def grid(market: str, sec_type: int = SEC_STOCK) -> str:
    """The tick table a security's prices follow."""
    if sec_type == SEC_INDEX:
        return GRID_INDEX
    if market in A_SHARES and sec_type == SEC_ETF:
        return GRID_CN_FUND
    return market


def band_tick(market: str, u: float) -> int:
    """Spread (units) of the band a price in units falls in (`market` is a grid name)."""
    if market == "HK":
        for bound, tick in _HK_BANDS:
            if u <= bound:
                return tick
        return _HK_TOP
    if market == "US":
        return 1 if u < UNIT else 100
    if market == GRID_CN_FUND:
        return 10
    return 100  # SH, SZ stocks, indices and anything else: 0.01


def _tick_units(market: str, u: float, spread: float | None) -> int:
    if spread:
        return max(1, round(spread * UNIT))
    return band_tick(market, u)


def to_units(price: float) -> int:
    return int(round(price * UNIT))


def tick_size(market: str, price: float, spread: float | None = None) -> float:
    """Minimum price step at `price` (a quote's `spread`, when given, wins)."""
    return _tick_units(market, price * UNIT, spread) / UNIT


def tick_up_units(market: str, u: int, spread: float | None = None) -> int:
    """The next grid price above an on-grid price (units)."""
    return u + (_tick_units(market, u, spread) if spread else band_tick(market, u + 0.5))


def tick_down_units(market: str, u: int, spread: float | None = None) -> int:
    """The next grid price below an on-grid price (units)."""
    return u - (_tick_units(market, u, spread) if spread else band_tick(market, u - 0.5))


def on_tick_grid(market: str, price: float, spread: float | None = None) -> bool:
    """True if `price` is a valid quote price (a multiple of its band's spread)."""
    exact = price * UNIT
    u = round(exact)
    if abs(exact - u) > 1e-6 * max(1.0, abs(exact)) or u <= 0:
        return False
    return u % _tick_units(market, u, spread) == 0


def _exact(price: float) -> float:
    exact = price * UNIT
    if abs(exact - round(exact)) < 1e-6:
        exact = float(round(exact))
    return exact


def floor_units(market: str, price: float, spread: float | None = None) -> int:
    exact = _exact(price)
    tick = _tick_units(market, exact, spread)
    return int(math.floor(exact / tick + 1e-9)) * tick


def ceil_units(market: str, price: float, spread: float | None = None) -> int:
    exact = _exact(price)
    tick = _tick_units(market, exact, spread)
    return int(math.ceil(exact / tick - 1e-9)) * tick


def round_to_tick(market: str, price: float, up: bool | None = None, spread: float | None = None) -> float:
    """Snap to the grid: up=True rounds up, up=False down, None to the nearest (ties up)."""
    lo, hi = floor_units(market, price, spread), ceil_units(market, price, spread)
    if up is True:
        return hi / UNIT
    if up is False:
        return lo / UNIT
    exact = price * UNIT
    return (lo if exact - lo < hi - exact else hi) / UNIT


# ---------------------------------------------------------------------------------- lots


def odd_lot_sell(market: str, is_buy: bool, can_sell: float, lot: int) -> float:
    """The one quantity off the lot grid an order may have: on A-shares, a sale of the whole
    sellable holding when that holding is an odd lot (odd lots may be sold, never bought).
    0.0 when there is none."""
    if is_buy or market not in A_SHARES or lot <= 1 or not can_sell % lot:
        return 0.0
    return can_sell


def lot_ok(market: str, qty: float, lot: int, *, is_buy: bool, can_sell: float = 0.0) -> bool:
    """A quantity passes the lot rule: a lot multiple, or an A-share odd-lot sale of it all."""
    lot = max(int(lot), 1)
    odd = odd_lot_sell(market, is_buy, can_sell, lot)
    return not qty % lot or bool(odd and abs(qty - odd) < 1e-9)


# -------------------------------------------------------------------------- price limits


def is_st(name: str) -> bool:
    """A-share "special treatment" stocks are named ST xxx or *ST xxx."""
    return name.lstrip("*").upper().startswith("ST")


def limit_pct(market: str, symbol: str, sec_type: int = SEC_STOCK, name: str = "") -> int | None:
    """Daily price limit in percent, or None where the market has none."""
    if market not in A_SHARES or sec_type == SEC_INDEX:
        return None
    if symbol.startswith(("300", "301", "688", "689")):
        return 20
    return 5 if is_st(name) else 10


def limit_band_units(pct: int, prev_close: float) -> tuple[int, int]:
    """(limit down, limit up) in units: prev_close -+ pct%, half up to 0.01."""
    cents = int(round(prev_close * 100))
    up = (cents * (100 + pct) + 50) // 100
    down = (cents * (100 - pct) + 50) // 100
    return down * 100, up * 100


# ----------------------------------------------------------------------- trading hours

# Time zones, sessions, the holiday calendar and market states live in protocol/hours.py.
from protocol.hours import (  # noqa: E402,F401  (re-exported: callers import exchange rules from here)
    ALWAYS_SESSIONS, EXTENDED_STATES, HOLIDAY, MORNING_ONLY, PHASE_WORDS, SESSIONS, ST_AFTER_HOURS, ST_AFTERNOON,
    ST_AUCTION, ST_CLOSED, ST_HK_CAS, ST_MORNING, ST_NONE, ST_OVERNIGHT, ST_PRE_MARKET, ST_REST, ST_WAITING_OPEN,
    TRADING_STATES, TZ, US_AFTER, US_AFTER_HALF, US_PRE, WHOLE, DayClock, Phase, bucket_map, day_sessions, in_session, is_half_day, is_holiday,
    is_trading_day, last_session_day, local_day, local_time, minute_labels, next_open, phase, phase_word,
    session_minutes, sessions, state_at, trade_dates, trading_days_before,
)
