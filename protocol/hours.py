"""Trading hours both ends share: time zones, sessions, the holiday calendar, market states.

Pure data and arithmetic (no protobuf, no asyncio; the calendar is read once from
protocol/holidays.toml, which says where its dates come from). Re-exported by
protocol/markets.py, the one place callers import exchange rules from.

Local minutes since midnight, in each market's own time zone:
- HK: pre-opening 09:00-09:30 (auction 09:15-09:20), morning 09:30-12:00, lunch 12:00-13:00,
  afternoon 13:00-16:00, closing auction 16:00-16:10. Half days: the morning only.
- US (ET): overnight 20:00-04:00 (it belongs to the next trading day), pre-market
  04:00-09:30, regular 09:30-16:00, after-hours 16:00-20:00. Early closes: regular until
  13:00, after-hours until 17:00.
- SH/SZ: call auction 09:15-09:25, morning 09:30-11:30, lunch, afternoon 13:00-15:00.
With clock="always" every market trades all day every day (the simulator's default).
"""

from __future__ import annotations

import functools
import tomllib
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import NamedTuple
from zoneinfo import ZoneInfo

TZ = {
    "HK": ZoneInfo("Asia/Hong_Kong"), "US": ZoneInfo("America/New_York"),
    "SH": ZoneInfo("Asia/Shanghai"), "SZ": ZoneInfo("Asia/Shanghai"),
}

# Qot_Common.QotMarketState
ST_NONE, ST_AUCTION, ST_WAITING_OPEN, ST_MORNING, ST_REST, ST_AFTERNOON, ST_CLOSED = 0, 1, 2, 3, 4, 5, 6
ST_PRE_MARKET, ST_AFTER_HOURS, ST_HK_CAS, ST_OVERNIGHT = 8, 10, 19, 37
TRADING_STATES = frozenset({ST_MORNING, ST_AFTERNOON})  # continuous regular trading
EXTENDED_STATES = frozenset({ST_PRE_MARKET, ST_AFTER_HOURS, ST_OVERNIGHT})  # US extended hours
# Qot_Common.TickerType of US extended-hours prints: T ("pre-market and after-hours trade") and
# EXTENDED_TRADING_HOURS, which the simulator uses for the overnight session
TICKER_PRE_AFTER, TICKER_OVERNIGHT = 21, 22

# What a trader calls each state (the status bar's words).
PHASE_WORDS = {
    ST_NONE: "pre-open", ST_AUCTION: "auction", ST_WAITING_OPEN: "pre-open", ST_MORNING: "open",
    ST_REST: "lunch break", ST_AFTERNOON: "open", ST_CLOSED: "closed", ST_PRE_MARKET: "pre-market",
    ST_AFTER_HOURS: "after-hours", ST_HK_CAS: "closing auction", ST_OVERNIGHT: "overnight",
}
HOLIDAY = "holiday"

# Continuous sessions in local minutes since midnight, [start, end).
SESSIONS = {
    "HK": ((570, 720), (780, 960)),
    "US": ((570, 960),),
    "SH": ((570, 690), (780, 900)),
    "SZ": ((570, 690), (780, 900)),
}
HALF_DAY_SESSIONS = {"HK": ((570, 720),), "US": ((570, 780),), "SH": ((570, 690),), "SZ": ((570, 690),)}
US_PRE, US_AFTER, US_AFTER_HALF = 240, 1200, 1020  # pre-market start, after-hours end (normal, early close)
# With clock="always" every day trades 00:00-23:59; the last minute is left empty so that
# every 1-minute bar ends on the same date it starts.
ALWAYS_SESSIONS = ((0, 1439),)

# -------------------------------------------------------------------------- the calendar

CALENDAR_OF = {"HK": "HK", "US": "US", "SH": "CN", "SZ": "CN"}
WHOLE, MORNING_ONLY = 0, 1  # Qot_Common.TradeDateType
HOLIDAYS_FILE = Path(__file__).with_name("holidays.toml")


@functools.cache
def _calendar() -> dict[str, tuple[frozenset[date], frozenset[date]]]:
    with open(HOLIDAYS_FILE, "rb") as fh:
        raw = tomllib.load(fh)
    return {name: (frozenset(date.fromisoformat(d) for d in days.get("closed", ())),
                   frozenset(date.fromisoformat(d) for d in days.get("half_day", ())))
            for name, days in raw.items()}


def is_holiday(market: str, day: date) -> bool:
    """A weekday the exchange is closed."""
    return day in _calendar()[CALENDAR_OF[market]][0]


def is_half_day(market: str, day: date) -> bool:
    return day in _calendar()[CALENDAR_OF[market]][1]


def is_trading_day(day: date, clock: str, market: str | None = None) -> bool:
    if clock == "always":
        return True
    return day.weekday() < 5 and (market is None or not is_holiday(market, day))


def trade_dates(market: str, begin: date, end: date) -> list[tuple[date, int]]:
    """Trading days from begin to end inclusive, each WHOLE or MORNING_ONLY (half days)."""
    out, d = [], begin
    while d <= end:
        if is_trading_day(d, "real", market):
            out.append((d, MORNING_ONLY if is_half_day(market, d) else WHOLE))
        d += timedelta(days=1)
    return out


def trading_days_before(day: date, n: int, market: str | None = None, clock: str = "always") -> list[date]:
    """The n trading days before `day`, oldest first. With clock="always" (and for history
    before the calendar's years) every weekday counts; with "real" the holidays do not."""
    return list(_trading_days_before(day, n, market if clock == "real" else None))


@functools.lru_cache(maxsize=256)
def _trading_days_before(day: date, n: int, cal: str | None) -> tuple[date, ...]:
    """Worked out once per day, count and calendar: every instrument of a market asks the same."""
    out: list[date] = []
    d = day
    while len(out) < n:
        d -= timedelta(days=1)
        if d.weekday() < 5 and (cal is None or not is_holiday(cal, d)):
            out.append(d)
    out.reverse()
    return tuple(out)


# ------------------------------------------------------------------------------ sessions


def sessions(market: str, clock: str) -> tuple[tuple[int, int], ...]:
    return ALWAYS_SESSIONS if clock == "always" else SESSIONS[market]


def day_sessions(market: str, clock: str, day: date) -> tuple[tuple[int, int], ...]:
    """Continuous sessions of one day: none on a holiday or weekend, the morning on a half day."""
    if clock == "always":
        return ALWAYS_SESSIONS
    if not is_trading_day(day, clock, market):
        return ()
    return HALF_DAY_SESSIONS[market] if is_half_day(market, day) else SESSIONS[market]


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


_HK_TABLE = ((535, ST_CLOSED), (540, ST_NONE), (560, ST_AUCTION), (570, ST_WAITING_OPEN), (720, ST_MORNING),
             (780, ST_REST), (960, ST_AFTERNOON), (970, ST_HK_CAS))
_HK_HALF = ((535, ST_CLOSED), (540, ST_NONE), (560, ST_AUCTION), (570, ST_WAITING_OPEN), (720, ST_MORNING),
            (730, ST_HK_CAS))
_CN_TABLE = ((535, ST_CLOSED), (555, ST_NONE), (565, ST_AUCTION), (570, ST_WAITING_OPEN), (690, ST_MORNING),
             (780, ST_REST), (900, ST_AFTERNOON))
_CN_HALF = _CN_TABLE[:5]


def _us_state(day: date, minute: float) -> int:
    trades = is_trading_day(day, "real", "US")
    if minute < US_PRE:  # the overnight session that began last evening serves today
        return ST_OVERNIGHT if trades else ST_CLOSED
    half = is_half_day("US", day)
    after_end = US_AFTER_HALF if half else US_AFTER
    if minute >= after_end:
        if minute >= US_AFTER and is_trading_day(day + timedelta(days=1), "real", "US"):
            return ST_OVERNIGHT
        return ST_CLOSED
    if not trades:
        return ST_CLOSED
    if minute < 570:
        return ST_PRE_MARKET
    return ST_AFTERNOON if minute < (780 if half else 960) else ST_AFTER_HOURS  # US regular reads AFTERNOON


def state_at(market: str, clock: str, day: date, minute: float) -> int:
    """QotMarketState of a market at a local date and minute (vendor FAQ Q14 table)."""
    if clock == "always":
        if market == "US":
            return ST_AFTERNOON  # the US regular session is reported as AFTERNOON
        return ST_MORNING if minute < 720 else ST_AFTERNOON
    if market == "US":
        return _us_state(day, minute)
    if not is_trading_day(day, clock, market):
        return ST_CLOSED
    half = is_half_day(market, day)
    if market == "HK":
        table = _HK_HALF if half else _HK_TABLE
    else:
        table = _CN_HALF if half else _CN_TABLE
    for bound, state in table:
        if minute < bound:
            return state
    return ST_CLOSED


def in_session(market: str, clock: str, day: date, minute: float) -> tuple[int, int] | None:
    """The continuous session (start, end) holding this local minute, if any."""
    for start, end in day_sessions(market, clock, day):
        if start <= minute < end:
            return start, end
    return None


def next_open(dc: DayClock, clock: str, t: float) -> float:
    """Epoch of the first session start at or after t."""
    day, _ = dc.locate(t)
    minute = dc.minute(t)
    for _ in range(30):
        for start, _end in day_sessions(dc.market, clock, day):
            if minute <= start:
                return dc.at(day, start)
        day += timedelta(days=1)
        minute = -1.0
    raise RuntimeError("no session within thirty days")


def last_session_day(dc: DayClock, clock: str, t: float) -> date:
    """The trading day the quote shows at time t: today once its first session has begun,
    otherwise the last trading day before it."""
    day, _ = dc.locate(t)
    if clock == "always":
        return day
    first_open = sessions(dc.market, clock)[0][0]
    if is_trading_day(day, clock, dc.market) and dc.minute(t) >= first_open:
        return day
    d = day - timedelta(days=1)
    while not is_trading_day(d, clock, dc.market):
        d -= timedelta(days=1)
    return d


# ------------------------------------------------------------------ phases (the app's view)

# Every local minute at which some market's state can change.
_BOUNDARIES = sorted({0, US_PRE, 535, 540, 555, 560, 565, 570, 690, 720, 730, 780, 900, 960, 970,
                      US_AFTER_HALF, US_AFTER})


class Phase(NamedTuple):
    state: int  # QotMarketState
    word: str  # "lunch break", "pre-market", "holiday", ...
    until: float | None  # epoch of the next change; None when unknown (clock="always")


def phase_word(market: str, state: int, day: date | None = None) -> str:
    """The trader's word for a state; a closed weekday in the calendar is a holiday."""
    if state == ST_CLOSED and day is not None and day.weekday() < 5 and is_holiday(market, day):
        return HOLIDAY
    return PHASE_WORDS.get(state, "closed")


@functools.lru_cache(maxsize=64)
def _clock(market: str) -> DayClock:
    return DayClock(market)


def phase(market: str, t: float, clock: str = "real") -> Phase:
    """Where a market is at epoch t, in words, and when that changes next."""
    dc = _clock(market)
    day, d0 = dc.locate(t)
    minute = (t - d0) / 60
    state = state_at(market, clock, day, minute)
    word = phase_word(market, state, day)
    if clock == "always":
        return Phase(state, word, None)
    d = day
    for _ in range(30):
        for bound in _BOUNDARIES:
            if d == day and bound <= minute:
                continue
            if state_at(market, clock, d, bound) != state:
                return Phase(state, word, dc.at(d, bound))
        d += timedelta(days=1)
    return Phase(state, word, None)


def local_time(ts: float, market: str) -> str:
    """Exchange-local "YYYY-MM-DD HH:MM:SS.mmm"."""
    return datetime.fromtimestamp(ts, TZ[market]).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def local_day(ts: float, market: str) -> str:
    return datetime.fromtimestamp(ts, TZ[market]).strftime("%Y-%m-%d")
