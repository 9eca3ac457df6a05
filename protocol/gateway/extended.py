"""US extended hours: the pre-market, after-hours and overnight prices of each US stock.

A thin market of its own beside the regular one (market.py): every STEP seconds of a session
a stock may trade a few lots (TRADE_SHARE of the steps), its mid a random walk from the
session's reference (the previous regular close for the pre-market, the day's close for
after-hours, the after-hours price for the overnight session), each print at the bid or the
ask of a spread SPREAD_BP wide (several ticks: wider than the regular book), deterministic
from (seed, code, session, day). It moves no regular figure (last, high, low, volume),
K-line or order book, as on the real tape, where extended trades are reported apart: the
prints are ExtTrades, tagged with their session, served only to who asks for extended hours
(ext_quotes.py). Only with clock="real": with "always" every market is in its regular
session around the clock.

    ext = ExtendedHours(market)
    ext.blocks("US.AAPL", t, q)   # {"pre": ExtBlock, "after": ..., "overnight": ...} begun by t
    ext.moved(now)             # US codes whose extended price may have changed since last call
    ext.take_prints()          # the prints made since the last call, in time order
    ext.prints("US.AAPL", day) # one cycle's prints (finished cycles generated from history)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, NamedTuple

from protocol.gateway.history import rng_for
from protocol.markets import (
    EXTENDED_STATES, UNIT, US_AFTER, US_AFTER_HALF, US_PRE, DayClock, band_tick, is_half_day, is_trading_day,
)

STEP = 15.0  # seconds between extended-hours prints
TRADE_SHARE = 0.6  # share of steps with a print
SESSION_VOL = 0.25  # a session's volatility as a share of the regular day's
SPREAD_BP = 30  # the extended-hours spread, in basis points of the price (at least two ticks)
PAST_CYCLES = 24  # finished cycles whose prints are kept (history K-lines)


class ExtTrade(NamedTuple):
    """An extended-hours print: a process.Trade plus its session ("pre", "after", "overnight")."""

    code: str
    seq: int
    time: float
    price: float
    volume: int
    direction: int  # 1 buy (at the ask), 2 sell (at the bid)
    turnover: float
    session: str


@dataclass
class ExtBlock:
    """One session's figures so far (Qot_Common.PreAfterMarketData)."""

    price: float
    high: float
    low: float
    volume: int
    turnover: float
    change: float  # against `base`
    change_rate: float  # percent
    amplitude: float  # percent of `base`
    base: float  # the regular close the change is measured from


class _Walk:
    __slots__ = ("rng", "steps", "u", "last", "hi", "lo", "volume", "turnover", "sigma", "lot", "start", "code",
                 "session", "prints", "sent")

    def __init__(self, rng: Any, ref: float, sigma: float, lot: int, start: float, code: str, session: str) -> None:
        self.rng, self.sigma, self.lot, self.start, self.code, self.session = rng, sigma, lot, start, code, session
        self.steps = 0
        self.u = self.last = self.hi = self.lo = int(round(ref * UNIT))  # u: the mid; last: the last print
        self.volume, self.turnover = 0, 0.0
        self.prints: list[ExtTrade] = []
        self.sent = 0  # prints already handed out by take_prints

    def run_to(self, k: int) -> None:
        rng = self.rng
        while self.steps < k:
            self.steps += 1
            if rng.random() >= TRADE_SHARE:
                continue
            tick = band_tick("US", self.u)
            moved = self.u * math.exp(rng.gauss(0, self.sigma))
            self.u = max(tick, int(round(moved / tick)) * tick)
            vol = self.lot * max(1, int(rng.paretovariate(1.5)))
            half = max(tick, int(self.u * SPREAD_BP / 20000 / tick) * tick)
            buy = rng.random() < 0.5
            self.last = self.u + half if buy else max(tick, self.u - half)
            when = round(self.start + (self.steps - 1 + rng.random()) * STEP, 3)
            self.volume += vol
            turnover = vol * self.last / UNIT
            self.turnover += turnover
            self.hi, self.lo = max(self.hi, self.last), min(self.lo, self.last)
            self.prints.append(ExtTrade(self.code, len(self.prints) + 1, when, self.last / UNIT, vol,
                                        1 if buy else 2, turnover, self.session))


class ExtendedHours:
    def __init__(self, market: Any) -> None:
        self.market = market
        self.dc = DayClock("US")
        self._walks: dict[tuple[str, str, date], _Walk] = {}
        self._codes = [c for c, i in market.instruments.items() if i.market == "US" and not i.is_index]
        self._last_step: float | None = None
        self._past: dict[tuple[str, date], list[ExtTrade]] = {}  # finished cycles' prints

    @property
    def active(self) -> bool:
        return self.market.clock == "real"

    def _cycle(self, t: float) -> date:
        """The trading day whose pre-market most recently began at or before t."""
        day, d0 = self.dc.locate(t)
        if is_trading_day(day, "real", "US") and (t - d0) / 60 >= US_PRE:
            return day
        d = day - timedelta(days=1)
        while not is_trading_day(d, "real", "US"):
            d -= timedelta(days=1)
        return d

    def sessions(self, day: date) -> list[tuple[str, float, float]]:
        return self._sessions(day)

    def _sessions(self, day: date) -> list[tuple[str, float, float]]:
        """(name, start, end) epochs of one cycle's extended sessions."""
        dc = self.dc
        after_end = US_AFTER_HALF if is_half_day("US", day) else US_AFTER
        out = [("pre", dc.at(day, US_PRE), dc.at(day, 570)),
               ("after", dc.at(day, 780 if is_half_day("US", day) else 960), dc.at(day, after_end))]
        nxt = day + timedelta(days=1)
        while not is_trading_day(nxt, "real", "US"):
            nxt += timedelta(days=1)
        out.append(("overnight", dc.at(nxt - timedelta(days=1), US_AFTER), dc.at(nxt, US_PRE)))
        return out

    def _walk(self, code: str, name: str, day: date, ref: float, start: float, end: float) -> _Walk:
        walk = self._walks.get((code, name, day))
        if walk is None:
            inst = self.market.instruments[code]
            sigma = inst.daily_vol * SESSION_VOL / math.sqrt(max(1.0, (end - start) / STEP))
            walk = self._walks[(code, name, day)] = _Walk(
                rng_for(self.market.seed, code, f"{name}:{day.isoformat()}"), ref, sigma, inst.lot, start, code, name)
            if len(self._walks) > 4 * len(self._codes) + 16:
                self._walks.pop(next(iter(self._walks)))
        return walk

    def blocks(self, code: str, t: float, q: Any) -> dict[str, ExtBlock]:
        """The extended sessions of the current cycle that have begun by t, with their figures
        (`q`: the code's regular quote, market.Quote)."""
        inst = self.market.instruments[code]
        if not self.active or inst.market != "US" or inst.is_index:
            return {}
        day = self._cycle(t)
        if q.day == day:
            before, close = q.prev_close, q.last
        else:  # the regular day has not begun: the quote still shows the day before
            before, close = q.last, q.last
        out: dict[str, ExtBlock] = {}
        for name, start, end in self._sessions(day):
            if t < start:
                continue
            if name == "pre":
                ref, base = before, before
            elif name == "after":
                ref, base = close, close
            else:
                ref, base = (out["after"].price if "after" in out else close), close
            walk = self._walk(code, name, day, ref, start, end)
            walk.run_to(int((min(t, end) - start) // STEP))
            price, hi, lo = walk.last / UNIT, walk.hi / UNIT, walk.lo / UNIT
            out[name] = ExtBlock(price, hi, lo, walk.volume, walk.turnover, round(price - base, 4),
                                 round((price / base - 1) * 100, 4) if base else 0.0,
                                 round((hi - lo) / base * 100, 4) if base else 0.0, base)
        return out

    def moved(self, now: float) -> set[str]:
        """US stocks whose extended price may have moved since the last call (a new step).
        Each new step runs every stock's walk to `now`, so its prints exist for take_prints."""
        if not self.active or self.market.market_state("US", now) not in EXTENDED_STATES:
            self._last_step = None
            return set()
        step = now // STEP
        if step == self._last_step:
            return set()
        first = self._last_step is None
        self._last_step = step
        for code in self._codes:
            self.market.quote(code)  # runs the walks (Market.quote -> blocks)
        if first:  # what happened before the simulator (or the session) got here is history, not news
            for walk in self._walks.values():
                walk.sent = len(walk.prints)
        return set(self._codes)

    def take_prints(self) -> list[ExtTrade]:
        """The prints made since the last call, in time order."""
        out: list[ExtTrade] = []
        for walk in self._walks.values():
            if walk.sent < len(walk.prints):
                out.extend(walk.prints[walk.sent:])
                walk.sent = len(walk.prints)
        out.sort(key=lambda tr: tr.time)
        return out

    def cycle(self, t: float | None = None) -> date:
        """The trading day whose extended sessions are running or last ran at t (default now)."""
        return self._cycle(self.market.now if t is None else t)

    def prints(self, code: str, day: date) -> list[ExtTrade]:
        """Every print of one cycle's extended sessions so far (the live one, or a finished one
        generated again from the day's history), in time order."""
        inst = self.market.instruments.get(code)
        if not self.active or inst is None or inst.market != "US" or inst.is_index:
            return []
        now = self.market.now
        if day == self._cycle(now):
            self.market.quote(code)
            return sorted((tr for name in ("pre", "after", "overnight")
                           for tr in self._walks.get((code, name, day), _EMPTY).prints), key=lambda tr: tr.time)
        if day > self._cycle(now):
            return []
        key = (code, day)
        cached = self._past.get(key)
        if cached is None:
            bar = next((d for d in reversed(self.market.daily(code)) if d.day == day), None)
            if bar is not None:
                closes = {"pre": bar.prev_close, "after": bar.close}
            elif day == self.market.trading_day(code):  # the regular day is over but not yet history
                q = self.market.quote(code)
                closes = {"pre": q.prev_close, "after": q.last}
            else:
                return []
            cached = []
            for name, start, end in self._sessions(day):
                ref = closes.get(name, closes["after"])
                sigma = inst.daily_vol * SESSION_VOL / math.sqrt(max(1.0, (end - start) / STEP))
                walk = _Walk(rng_for(self.market.seed, code, f"{name}:{day.isoformat()}"), ref, sigma, inst.lot,
                             start, code, name)
                walk.run_to(int((end - start) // STEP))
                closes["overnight"] = walk.last / UNIT
                cached.extend(walk.prints)
            self._past[key] = cached
            while len(self._past) > PAST_CYCLES:
                self._past.pop(next(iter(self._past)))
        return cached


class _Empty:
    prints: list[ExtTrade] = []


_EMPTY = _Empty()
