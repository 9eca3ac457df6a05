"""US extended hours: the pre-market, after-hours and overnight prices of each US stock.

A thin market of its own beside the regular one (market.py): every STEP seconds of a session
a stock may trade a few lots, its price a random walk from the session's reference (the
previous regular close for the pre-market, the day's close for after-hours, the after-hours
price for the overnight session), deterministic from (seed, code, session, day). It moves
no regular figure (last, high, low, volume), K-line or order book, as on the real tape,
where extended trades are reported apart. Only with clock="real": with "always" every
market is in its regular session around the clock.

    ext = ExtendedHours(market)
    ext.blocks("US.AAPL", t, q)   # {"pre": ExtBlock, "after": ..., "overnight": ...} begun by t
    ext.moved(now)             # US codes whose extended price may have changed since last call
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from protocol.gateway.history import rng_for
from protocol.markets import (
    EXTENDED_STATES, UNIT, US_AFTER, US_AFTER_HALF, US_PRE, DayClock, band_tick, is_half_day, is_trading_day,
)

STEP = 15.0  # seconds between extended-hours prints
TRADE_SHARE = 0.6  # share of steps with a print
SESSION_VOL = 0.25  # a session's volatility as a share of the regular day's


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
    __slots__ = ("rng", "steps", "u", "hi", "lo", "volume", "turnover", "sigma", "lot")

    def __init__(self, rng: Any, ref: float, sigma: float, lot: int) -> None:
        self.rng, self.sigma, self.lot = rng, sigma, lot
        self.steps = 0
        self.u = self.hi = self.lo = int(round(ref * UNIT))
        self.volume, self.turnover = 0, 0.0

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
            self.volume += vol
            self.turnover += vol * self.u / UNIT
            self.hi, self.lo = max(self.hi, self.u), min(self.lo, self.u)


class ExtendedHours:
    def __init__(self, market: Any) -> None:
        self.market = market
        self.dc = DayClock("US")
        self._walks: dict[tuple[str, str, date], _Walk] = {}
        self._codes = [c for c, i in market.instruments.items() if i.market == "US" and not i.is_index]
        self._last_step: float | None = None

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
            walk = self._walks.get((code, name, day))
            if walk is None:
                sigma = inst.daily_vol * SESSION_VOL / math.sqrt(max(1.0, (end - start) / STEP))
                walk = self._walks[(code, name, day)] = _Walk(
                    rng_for(self.market.seed, code, f"{name}:{day.isoformat()}"), ref, sigma, inst.lot)
                if len(self._walks) > 4 * len(self._codes) + 16:
                    self._walks.pop(next(iter(self._walks)))
            walk.run_to(int((min(t, end) - start) // STEP))
            price, hi, lo = walk.u / UNIT, walk.hi / UNIT, walk.lo / UNIT
            out[name] = ExtBlock(price, hi, lo, walk.volume, walk.turnover, round(price - base, 4),
                                 round((price / base - 1) * 100, 4) if base else 0.0,
                                 round((hi - lo) / base * 100, 4) if base else 0.0, base)
        return out

    def moved(self, now: float) -> set[str]:
        """US stocks whose extended price may have moved since the last call (a new step)."""
        if not self.active or self.market.market_state("US", now) not in EXTENDED_STATES:
            self._last_step = None
            return set()
        step = now // STEP
        if step == self._last_step:
            return set()
        self._last_step = step
        return set(self._codes)
