"""The synthetic market: every instrument's tick process behind one facade.

    m = Market(seed=7, clock="always", rate=1.0)
    trades = m.advance(time.time())     # every tick up to now, in time order
    m.book("HK.00700"), m.quote("HK.00700"), m.klines("HK.00700", 1, count=100)

Pure Python, deterministic: each code's ticks depend only on (seed, code, start, clock)
(see process.py), never on how often `advance` is called or on the other codes. `rate`
scales how many ticks happen per second, not what they are. Before the first tick each
code's live day is filled in minute by minute from its session start to `start`, so
charts and the day's figures look like a market that has been open for a while.

Read-only results (bars, books) are the market's own objects or fresh copies; callers must
not modify them.
"""

from __future__ import annotations

import dataclasses

import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import NamedTuple

from protocol.gateway import klines as kl
from protocol.gateway.extended import ExtendedHours
from protocol.gateway.history import Bar, DayBar, ShortItem, day_minutes, short_interest
from protocol.gateway.instruments import BY_CODE, HK_BROKERS, MARKETS, Instrument
from protocol.markets import (
    ST_AFTERNOON, ST_MORNING, TZ, UNIT, DayClock, minute_labels, session_minutes, state_at,
)
from protocol.gateway.process import (  # noqa: F401  (re-exported: the broker codes against them)
    BIG, BUY, MID, NEUTRAL, SELL, SMALL, SUPER, Level, Process, Trade, avg_trade_turnover, size_class,
)


@dataclass(frozen=True)
class Book:
    code: str
    bids: tuple[Level, ...]  # best first
    asks: tuple[Level, ...]
    time: float


@dataclass(frozen=True)
class Quote:
    code: str
    day: date  # trading day these figures belong to
    time: float  # time of the last trade (or of the last generated minute)
    last: float
    open: float
    high: float
    low: float
    prev_close: float
    volume: int
    turnover: float
    bid: float | None
    ask: float | None
    bid_vol: int
    ask_vol: int
    turnover_rate: float  # percent of the free float
    amplitude: float  # percent of the previous close
    avg_price: float
    suspended: bool = False
    ext: dict | None = None  # US extended hours: {"pre"|"after"|"overnight": extended.ExtBlock}


class RTPoint(NamedTuple):
    time: str  # "YYYY-MM-DD HH:MM:00", the minute's start
    t: float
    minute: int  # minutes since local midnight
    price: float
    avg_price: float
    volume: int
    turnover: float
    last_close: float


class FlowItem(NamedTuple):
    time: str
    t: float
    super: float  # net inflow per size class
    big: float
    mid: float
    small: float

    @property
    def total(self) -> float:
        return self.super + self.big + self.mid + self.small


def local_time(market: str, t: float, ms: bool = False) -> str:
    """'YYYY-MM-DD HH:MM:SS' (with '.mmm' if ms) in the market's time zone."""
    total_ms = int(round(t * 1000))
    text = datetime.fromtimestamp(total_ms // 1000, TZ[market]).strftime("%Y-%m-%d %H:%M:%S")
    return f"{text}.{total_ms % 1000:03d}" if ms else text


class Market:
    def __init__(self, seed: int = 1, clock: str = "always", rate: float = 1.0, start: float | None = None) -> None:
        if clock not in ("always", "real"):
            raise ValueError("clock is 'always' or 'real'")
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.seed, self.clock, self.rate = seed, clock, rate
        self.start = time.time() if start is None else float(start)
        self.now = self.start
        self.instruments: dict[str, Instrument] = dict(BY_CODE)
        self._dc = {m: DayClock(m) for m in MARKETS}
        self._codes: dict[str, Process] = {}
        self._labels = {m: minute_labels(m, clock) for m in MARKETS}
        self._label_idx = {m: {lab: i for i, lab in enumerate(labs)} for m, labs in self._labels.items()}
        self.suspended: set[str] = set()  # halted codes: no ticks, an empty book
        self.extended = ExtendedHours(self)

    def rename(self, code: str, name: str) -> None:
        """Serve another name for `code` from now on (a fault hook: names are wire text)."""
        inst = dataclasses.replace(self.instruments[code], name=name)
        self.instruments[code] = inst
        if code in self._codes:
            self._codes[code].inst = inst

    def _state(self, code: str) -> Process:
        p = self._codes.get(code)
        if p is None:
            inst = self.instruments[code]
            m = inst.market
            p = self._codes[code] = Process(inst, self.seed, self.clock, self.rate, self.start, self._dc[m],
                                            self._labels[m], self._label_idx[m])
        return p

    def advance(self, now: float) -> list[Trade]:
        """Generate every tick up to `now` (epoch seconds); returns the new trades in time order."""
        out: list[Trade] = []
        for code in self.instruments:
            if code in self.suspended:
                continue
            p = self._state(code)
            if p.t_next <= now:
                p.run(now, out)
        if now > self.now:
            self.now = now
            for code, p in self._codes.items():
                if code not in self.suspended:
                    p.fill_to(now)
        if len(out) > 1:
            out.sort(key=lambda tr: tr.time)
        return out

    # -- halts and limits -----------------------------------------------------------------

    def halt(self, code: str) -> None:
        """Suspend trading in a code (see Faults.halt)."""
        self._state(code)
        self.suspended.add(code)

    def resume(self, code: str) -> None:
        if code in self.suspended:
            self.suspended.discard(code)
            p = self._state(code)
            p.t_next = p.after(self.now)  # trading restarts now: the halt leaves no burst of ticks

    def pin(self, code: str, side: str | None) -> None:
        """Hold an A-share at its daily limit "up" or "down"; None lets it go."""
        p = self._state(code)
        if side is not None and p.lim is None:
            raise ValueError(f"{code} has no daily price limits")
        p.pin = None if side is None else {"up": 1, "down": 0}[side]
        if p.pin is not None:
            p.hold_at_limit()
            p.last_u = p.lim[p.pin]
            p.last = p.last_u / UNIT
            p.high, p.low = max(p.high, p.last), min(p.low, p.last)

    def is_suspended(self, code: str) -> bool:
        return code in self.suspended

    def limit_state(self, code: str) -> int:
        """1 at the limit up, -1 at the limit down, 0 otherwise (A-shares)."""
        p = self._state(code)
        if not p.lim or p.inst.is_index:
            return 0
        return 1 if p.last_u >= p.lim[1] else -1 if p.last_u <= p.lim[0] else 0

    # -- public reads ---------------------------------------------------------------------

    def book(self, code: str) -> Book:
        p = self._state(code)
        if code in self.suspended:
            return Book(code, (), (), p.last_time)
        return Book(code, tuple(Level(u / UNIT, v, o) for u, v, o in p.bids),
                    tuple(Level(u / UNIT, v, o) for u, v, o in p.asks), p.last_time)

    def quote(self, code: str) -> Quote:
        p = self._state(code)
        inst = p.inst
        bids, asks = ([], []) if code in self.suspended else (p.bids, p.asks)
        opened = p.open is not None
        q = Quote(
            code, p.day, p.last_time, p.last,
            p.open if opened else p.prev_close, p.high, p.low, p.prev_close, p.volume, p.turnover,
            bids[0][0] / UNIT if bids else None, asks[0][0] / UNIT if asks else None,
            bids[0][1] if bids else 0, asks[0][1] if asks else 0,
            p.volume / inst.float_shares * 100 if inst.float_shares else 0.0,
            (p.high - p.low) / p.prev_close * 100 if opened else 0.0,
            p.turnover / p.volume if p.volume else p.last,
            code in self.suspended,
        )
        if self.clock == "real" and inst.market == "US" and not inst.is_index:
            q = dataclasses.replace(q, ext=self.extended.blocks(code, self.now, q))
        return q

    def last_price(self, code: str) -> float:
        return self._state(code).last

    def trades(self, code: str, n: int = 100) -> list[Trade]:
        """The last n ticks of a code (at most 1000), oldest first."""
        tape = self._state(code).tape
        n = min(n, len(tape))
        return list(tape)[len(tape) - n:] if n > 0 else []

    def prev_close(self, code: str) -> float:
        return self._state(code).prev_close

    def trading_day(self, code: str) -> date:
        return self._state(code).day

    def price_limits(self, code: str) -> tuple[float, float] | None:
        """Today's (limit down, limit up) for A-shares; None elsewhere."""
        lim = self._state(code).lim
        return None if lim is None else (lim[0] / UNIT, lim[1] / UNIT)

    def market_state(self, market: str, t: float | None = None) -> int:
        t = self.now if t is None else t
        dc = self._dc[market]
        day, d0 = dc.locate(t)
        return state_at(market, self.clock, day, (t - d0) / 60)

    def states(self) -> dict[str, int]:
        return {m: self.market_state(m) for m in MARKETS}

    def is_open(self, market: str, t: float | None = None) -> bool:
        """True during continuous trading (always, with clock="always")."""
        return self.clock == "always" or self.market_state(market, t) in (ST_MORNING, ST_AFTERNOON)

    # -- K-lines, time share, flows -------------------------------------------------------

    def daily(self, code: str) -> list[DayBar]:
        """Finished trading days, oldest first (generated history, then days lived here)."""
        return self._state(code).ensure_daily()

    def today(self, code: str) -> Bar | None:
        """The live day's bar so far; None before its first trade."""
        p = self._state(code)
        if p.open is None:
            return None
        return Bar(f"{p.prefix} 00:00:00", p.day_start, 0, p.open, p.high, p.low, p.last,
                   p.volume, p.turnover, p.prev_close)

    def minute_bars(self, code: str, day: date | None = None) -> list[Bar]:
        """1-minute bars of a day (default: the live day). Read-only: they are the market's own."""
        p = self._state(code)
        day = p.day if day is None else day
        if day == p.day:
            return p.minutes
        bars = p.minute_cache.get(day)
        if bars is None:
            p.ensure_daily()
            bar = p.daily_index.get(day)
            if bar is None or day not in p.minute_days:
                return []
            bars = day_minutes(p.inst, self.seed, bar, p.labels, p.dc.day_start(day),
                               self.clock == "real")
            p.minute_cache[day] = bars
        return bars

    def klines(self, code: str, kl_type: int, count: int | None = None,
               begin: str | None = None, end: str | None = None) -> list[Bar]:
        """Bars of a KLType, oldest first, the live day's forming bar last; `begin`/`end`
        bound the bar time ("YYYY-MM-DD HH:MM:SS"), `count` keeps the latest ones."""
        p = self._state(code)
        if kl_type in kl.MINUTES:
            days = p.minute_days + [p.day]
            if begin or end:
                lo, hi = (begin or "0000")[:10], (end or "9999")[:10]
                days = [d for d in days if lo <= d.isoformat() <= hi]
            chunks: list[list[Bar]] = []
            total = 0
            for day in reversed(days):
                bars = kl.intraday(self.minute_bars(code, day), kl.MINUTES[kl_type], p.market, self.clock,
                                   day.isoformat(), p.dc.day_start(day))
                chunks.append(bars)
                total += len(bars)
                if count and not (begin or end) and total >= count:
                    break
            bars = [b for chunk in reversed(chunks) for b in chunk]
        elif kl_type in kl.PERIODS:
            days = [kl.day_bar(d, p.dc.day_start(d.day)) for d in p.ensure_daily()]
            today = self.today(code)
            if today is not None:
                days.append(today)
            bars = kl.periods(days, kl_type)
        else:
            raise ValueError(f"unknown KLType {kl_type}")
        if begin or end:
            lo, hi = begin or "", end or "\uffff"
            bars = [b for b in bars if lo <= b.time <= hi]
        if count is not None:
            bars = bars[-count:] if count > 0 else []
        return bars

    def current_kline(self, code: str, kl_type: int) -> Bar | None:
        """The forming bar of a KLType, cheaply (the push path)."""
        p = self._state(code)
        if kl_type in kl.MINUTES:
            return kl.current_intraday(p.minutes, p.kl_cache, kl.MINUTES[kl_type], p.market, self.clock,
                                       p.prefix, p.day_start)
        today = self.today(code)
        if today is None:
            return None
        if kl_type == kl.DAY:
            return today
        key = kl.period_key(kl_type, p.day)
        cached = p.period_cache.get(kl_type)
        if cached is None or cached[0] != key:
            done = [kl.day_bar(d, p.dc.day_start(d.day)) for d in reversed(p.ensure_daily()[-400:])
                    if kl.period_key(kl_type, d.day) == key]
            partial = kl.merge(list(reversed(done))) if done else None
            cached = p.period_cache[kl_type] = (key, partial)
        partial = cached[1]
        return today if partial is None else kl.merge([partial, today])

    def rt(self, code: str) -> list[RTPoint]:
        """The live day's time-share line: one point per minute so far."""
        p = self._state(code)
        out, vol, turnover = [], 0, 0.0
        for b in p.minutes:
            vol += b.volume
            turnover += b.turnover
            m = b.minute - 1
            out.append(RTPoint(f"{p.prefix} {m // 60:02d}:{m % 60:02d}:00", b.t - 60, m, b.close,
                               turnover / vol if vol else b.close, b.volume, b.turnover, p.prev_close))
        return out

    def rt_last(self, code: str) -> RTPoint | None:
        p = self._state(code)
        if not p.minutes:
            return None
        b = p.minutes[-1]
        m = b.minute - 1
        return RTPoint(f"{p.prefix} {m // 60:02d}:{m % 60:02d}:00", b.t - 60, m, b.close,
                       p.turnover / p.volume if p.volume else b.close, b.volume, b.turnover, p.prev_close)

    def capital_distribution(self, code: str) -> tuple[list[float], list[float], float]:
        """Today's (inflow, outflow) turnover per class [super, big, mid, small], and its time."""
        p = self._state(code)
        return list(p.dist_in), list(p.dist_out), p.last_time

    def capital_flow_intraday(self, code: str) -> list[FlowItem]:
        """Cumulative net inflow per class at the end of each minute of the live day."""
        p = self._state(code)
        acc = [0.0] * 4
        out = []
        for b, f in zip(p.minutes, p.flows):
            for k in range(4):
                acc[k] += f[k] - f[4 + k]
            out.append(FlowItem(b.time, b.t, *acc))
        return out

    def capital_flow_daily(self, code: str) -> list[FlowItem]:
        """Net inflow per class per day: finished days, then the live day so far."""
        p = self._state(code)
        out = [FlowItem(f"{d.day.isoformat()} 00:00:00", p.dc.day_start(d.day), *d.flows)
               for d in p.ensure_daily() if d.flows is not None]
        if p.open is not None:
            out.append(FlowItem(f"{p.prefix} 00:00:00", p.day_start,
                                *(i - o for i, o in zip(p.dist_in, p.dist_out))))
        return out

    def brokers(self, code: str) -> tuple[list[tuple[int, str, int]], list[tuple[int, str, int]]]:
        """HK broker queues (id, name, level) for the bid and ask side, drawn from the book."""
        p = self._state(code)
        if p.market != "HK" or p.inst.is_index:
            return [], []

        def side(levels: list[list[int]], salt: int) -> list[tuple[int, str, int]]:
            rows: list[tuple[int, str, int]] = []
            for pos, (u, _vol, orders) in enumerate(levels, 1):
                for j in range(min(orders, 4)):
                    bid, name = HK_BROKERS[(u // 10 * 7919 + orders * 131 + j * 977 + salt) % len(HK_BROKERS)]
                    rows.append((bid, name, pos))
                    if len(rows) == 40:
                        return rows
            return rows

        return side(p.bids, 1), side(p.asks, 2)

    def short_interest(self, code: str) -> list[ShortItem]:
        p = self._state(code)
        if p.short is None:
            p.short = short_interest(p.inst, self.seed, p.ensure_daily())
        return p.short

    def stats(self, code: str) -> dict[str, float]:
        """Snapshot extras: 52-week and all-time range, volume ratio, close 5 minutes ago."""
        p = self._state(code)
        daily = p.ensure_daily()
        year_ago = p.day - timedelta(days=364)
        recent = [d for d in daily if d.day >= year_ago]
        highs = [d.high for d in recent] + ([p.high] if p.open is not None else [])
        lows = [d.low for d in recent] + ([p.low] if p.open is not None else [])
        last5 = daily[-5:]
        # history days traded real hours, whatever the clock: compare per-minute rates
        per_min = sum(d.volume for d in last5) / max(1, len(last5)) / session_minutes(p.market, "real")
        elapsed = max(1, len(p.minutes))
        return {
            "high52": max(highs), "low52": min(lows),
            "high_all": max(max(d.high for d in daily), p.high),
            "low_all": min(min(d.low for d in daily), p.low),
            "volume_ratio": (p.volume / elapsed) / per_min if per_min else 0.0,
            "close5": p.minutes[-6].close if len(p.minutes) > 5 else p.prev_close,
        }

    def local_time(self, code_or_market: str, t: float, ms: bool = False) -> str:
        return local_time(code_or_market.partition(".")[0], t, ms)

