"""Generated history: daily bars, 1-minute bars of past days, the live day's early minutes,
daily capital flows and weekly short interest. Deterministic from (seed, code, day).

Daily bars are drawn backwards from the instrument's previous close, so the last history
day closes exactly there. A past day's minute bars are a Brownian bridge from its open to
its close, stretched so that their extremes are the day's high and low and scaled so their
volume and turnover add up to the day's: K-lines of every type agree with each other.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from datetime import date, timedelta
from random import Random
from typing import NamedTuple

from protocol.gateway.instruments import Instrument, grid_market, limit_units
from protocol.markets import UNIT, ceil_units, floor_units, is_trading_day, session_minutes, to_units

HISTORY_DAYS = 1300  # trading days of daily bars (about five years)
MINUTE_DAYS = 30  # trading days of 1-minute bars before the live day
PARETO_ALPHA = 1.5  # tail of the trade-size distribution (see market.py)
PARETO_MEAN = PARETO_ALPHA / (PARETO_ALPHA - 1)
CLASS_WEIGHTS = (0.04, 0.10, 0.40, 0.46)  # turnover share of super/big/mid/small orders
# An index "share" is a unit of market volume; its turnover uses a typical stock price.
INDEX_SHARE_PRICE = {"HK": 12.0, "US": 80.0, "SH": 12.0, "SZ": 15.0}


def turnover_of(inst: Instrument, volume: float, price: float) -> float:
    return volume * (INDEX_SHARE_PRICE[inst.market] if inst.is_index else price)


@dataclass(slots=True)
class Bar:
    """One candle. `minute` is the end minute of an intraday bar (0 for daily and longer)."""

    time: str  # "YYYY-MM-DD HH:MM:SS" local time of the bar's end (its start for day and longer)
    t: float  # epoch seconds of `time`
    minute: int
    open: float
    high: float
    low: float
    close: float
    volume: int
    turnover: float
    last_close: float  # close of the bar before


class DayBar(NamedTuple):
    day: date
    open: float
    high: float
    low: float
    close: float
    volume: int
    turnover: float
    prev_close: float
    flows: tuple[float, float, float, float] | None  # net inflow of super/big/mid/small orders


def rng_for(seed: int, code: str, what: str) -> Random:
    # str seeds hash with SHA-512: stable across runs and independent of PYTHONHASHSEED
    return Random(f"{seed}:{code}:{what}")


def avg_daily_volume(inst: Instrument) -> float:
    """Expected shares traded per regular day (real trading hours)."""
    secs = session_minutes(inst.market, "real") * 60
    return inst.tick_rate * secs * inst.trade_lots * inst.lot * PARETO_MEAN


def u_shape(x: float) -> float:
    """Intraday activity: busy at the open, quieter at lunch, busy again into the close."""
    return 1.0 + 1.2 * math.exp(-x / 0.06) + 0.6 * math.exp(-(1.0 - x) / 0.06)


def _clamp(u: int, lim: tuple[int, int] | None) -> int:
    if lim is None:
        return u
    return min(max(u, lim[0]), lim[1])


def _grid(market: str, price: float) -> int:
    lo, hi = floor_units(market, price), ceil_units(market, price)
    exact = price * UNIT
    return lo if exact - lo < hi - exact else hi


def _flows(rng: Random, turnover: float, bias: float) -> tuple[float, float, float, float]:
    """Net inflow per size class for `turnover` traded with buy share around 0.5 + bias."""
    out = []
    weights = [w * rng.lognormvariate(0, 0.25) for w in CLASS_WEIGHTS]
    total = sum(weights)
    for w in weights:
        buy = min(0.98, max(0.02, 0.5 + bias + rng.gauss(0, 0.06)))
        out.append(turnover * w / total * (2 * buy - 1))
    return tuple(out)  # type: ignore[return-value]


def daily_history(inst: Instrument, seed: int, days: list[date]) -> list[DayBar]:
    """One bar per day in `days` (oldest first); the last closes at inst.prev_close."""
    rng = rng_for(seed, inst.code, "daily")
    n = len(days)
    market = grid_market(inst)
    sigma = inst.daily_vol
    anchor = math.log(inst.prev_close)
    x = anchor
    closes = [0.0] * (n + 1)  # closes[k+1] is day k's close; closes[0] the close before day 0
    rets = [0.0] * n
    h = 0.0
    pct = 0.095 if limit_units(inst, inst.prev_close) else None
    if pct and inst.symbol.startswith(("300", "301", "688", "689")):
        pct = 0.19
    closes[n] = inst.prev_close
    for k in range(n - 1, -1, -1):
        h = 0.95 * h + rng.gauss(0, 0.2)  # volatility clustering
        r = rng.gauss(0.0002, sigma * math.exp(h)) + 0.005 * (x - anchor)
        if pct:
            r = max(-pct, min(pct, r))
        rets[k] = r
        x -= r
        closes[k] = _grid(market, math.exp(x)) / UNIT
    avg_vol = avg_daily_volume(inst)
    lot = inst.lot
    out: list[DayBar] = []
    for k, day in enumerate(days):
        prev, close = closes[k], closes[k + 1]
        lim = limit_units(inst, prev)
        r = rets[k]
        o = _clamp(_grid(market, prev * math.exp(rng.gauss(0, 0.3 * sigma))), lim)
        c = to_units(close)
        top, bot = max(o, c) / UNIT, min(o, c) / UNIT
        hi = _clamp(ceil_units(market, top * math.exp(abs(rng.gauss(0, 0.5 * sigma)))), lim)
        lo = _clamp(floor_units(market, bot * math.exp(-abs(rng.gauss(0, 0.5 * sigma)))), lim)
        vol = avg_vol * rng.lognormvariate(0, 0.3) * (0.7 + 0.3 * min(4.0, abs(r) / sigma))
        vol = max(lot, int(vol / lot) * lot)
        turnover = turnover_of(inst, vol, (o + hi + lo + c) / 4 / UNIT)
        flows = None if inst.is_index else _flows(rng, turnover, 0.25 * math.tanh(r / sigma))
        out.append(DayBar(day, o / UNIT, hi / UNIT, lo / UNIT, close, vol, turnover, prev, flows))
    return out


def _split_volume(rng: Random, total: int, lot: int, n: int, shape: list[float]) -> list[int]:
    weights = [s * (0.4 + 1.2 * rng.random()) for s in shape]
    scale = total / lot / sum(weights)
    lots = [int(w * scale) for w in weights]
    lots[max(range(n), key=lambda i: weights[i])] += total // lot - sum(lots)
    return [q * lot for q in lots]


def day_minutes(inst: Instrument, seed: int, bar: DayBar, labels: tuple[int, ...],
                day_start: float, shaped: bool) -> list[Bar]:
    """The 1-minute bars of a past day, consistent with its daily bar."""
    rng = rng_for(seed, inst.code, f"{bar.day.isoformat()}:m")
    market, n = grid_market(inst), len(labels)
    o, c, hi, lo = bar.open, bar.close, bar.high, bar.low
    shape = [u_shape(i / n) if shaped else 1.0 for i in range(n)]
    walk = [0.0]
    for i in range(n):
        walk.append(walk[-1] + rng.gauss(0, math.sqrt(shape[i] / n)))
    end = walk[-1]
    scale = inst.daily_vol * o
    path = [o + (c - o) * i / n + scale * (walk[i] - end * i / n) for i in range(n + 1)]
    path[0], path[n] = o, c
    top, bot = max(o, c), min(o, c)
    peak, trough = max(path), min(path)
    for i in range(1, n):  # stretch excursions so the extremes are exactly high and low
        p = path[i]
        if p > top:
            path[i] = top + (p - top) * (hi - top) / (peak - top)
        elif p < bot:
            path[i] = bot - (bot - p) * (bot - lo) / (bot - trough)
    units = [_grid(market, p) for p in path]
    hi_u, lo_u = to_units(hi), to_units(lo)
    vols = _split_volume(rng, bar.volume, inst.lot, n, shape)
    prefix = bar.day.isoformat()
    bars: list[Bar] = []
    last = bar.prev_close
    wiggle = inst.daily_vol / math.sqrt(n) * 0.5
    for i, label in enumerate(labels):
        ou, cu = units[i], units[i + 1]
        h = min(hi_u, max(ceil_units(market, max(ou, cu) / UNIT * (1 + rng.random() * wiggle)), ou, cu))
        low = max(lo_u, min(floor_units(market, min(ou, cu) / UNIT * (1 - rng.random() * wiggle)), ou, cu))
        v = vols[i]
        bars.append(Bar(f"{prefix} {label // 60:02d}:{label % 60:02d}:00", day_start + label * 60, label,
                        ou / UNIT, h / UNIT, low / UNIT, cu / UNIT, v, v * (ou + h + low + cu) / 4 / UNIT, last))
        last = cu / UNIT
    # the day's extremes belong to some minute even when the walk never reached them
    if max(b.high for b in bars) < hi:
        max(bars, key=lambda b: max(b.open, b.close)).high = hi
    if min(b.low for b in bars) > lo:
        min(bars, key=lambda b: min(b.open, b.close)).low = lo
    raw = sum(b.turnover for b in bars)
    if raw > 0:
        k = bar.turnover / raw
        for b in bars:
            b.turnover *= k
    return bars


def live_minutes(inst: Instrument, seed: int, day: date, prev_close: float, labels: tuple[int, ...],
                 count: int, day_start: float, shaped: bool) -> tuple[list[Bar], list[tuple[float, ...]], DayTotals]:
    """The first `count` 1-minute bars of the live day (before the simulator started), with
    their buy (in) and sell (out) turnover per size class: [in x4, out x4] per minute, and
    their totals. The lists are the caller's own; the bars and flow tuples in them are shared
    (`KeptBar`)."""
    key = (inst, seed, day, prev_close, labels, day_start, shaped)
    with _WALKS_LOCK:  # simulators in several threads of one process share the walks
        walk = _WALKS.pop(key, None) or _LiveWalk(inst, seed, day, prev_close, labels, day_start, shaped)
        _WALKS[key] = walk  # most recently used last
        while len(_WALKS) > WALKS_KEPT:
            del _WALKS[next(iter(_WALKS))]
        walk.extend(count)
        return walk.bars[:count], walk.flows[:count], walk.totals(count)


class KeptBar(Bar):
    """A generated minute, shared by every simulator of the process (bars and flows of the
    minutes before a simulator started are never changed: trades go to the minutes after).
    Changing one raises instead of changing it for all."""

    __slots__ = ()

    def __setattr__(self, name: str, value) -> None:
        raise AttributeError(f"a generated minute is shared by every simulator: {name} cannot change")


class DayTotals(NamedTuple):
    high: float
    low: float
    volume: int
    turnover: float
    flows: tuple[float, ...]  # [in x4, out x4] summed over the minutes


WALKS_KEPT = 512  # live days kept per process: 55 instruments x a few seeds
_WALKS: dict[tuple, _LiveWalk] = {}
_WALKS_LOCK = threading.Lock()


class _LiveWalk:
    """One instrument's live day, generated minute by minute and kept: the first n minutes
    never depend on how many follow, so a simulator started a minute later (the tests start
    hundreds) continues the walk instead of generating the day again (~1 s for the universe
    in US overnight hours)."""

    def __init__(self, inst: Instrument, seed: int, day: date, prev_close: float, labels: tuple[int, ...],
                 day_start: float, shaped: bool) -> None:
        self.inst, self.labels, self.day_start, self.shaped = inst, labels, day_start, shaped
        self.rng = rng_for(seed, inst.code, f"{day.isoformat()}:live")
        self.market = grid_market(inst)
        self.lim = limit_units(inst, prev_close)
        self.n_day = len(labels)
        self.sigma = inst.daily_vol / math.sqrt(self.n_day)
        per_min = avg_daily_volume(inst) / session_minutes(inst.market, "real")
        if shaped:
            per_min *= self.n_day / sum(u_shape(i / self.n_day) for i in range(self.n_day))
        self.per_min = per_min
        self.prefix = day.isoformat()
        self.bars: list[Bar] = []
        self.flows: list[tuple[float, ...]] = []
        self.summed: tuple[int, DayTotals] | None = None  # the last totals asked for, by count
        self.last = prev_close
        self.price = _clamp(_grid(self.market, prev_close * math.exp(self.rng.gauss(0, 0.3 * inst.daily_vol))), self.lim)

    def totals(self, count: int) -> DayTotals:
        if self.summed is None or self.summed[0] != count:
            bars, flows = self.bars[:count], self.flows[:count]
            self.summed = count, DayTotals(max(b.high for b in bars), min(b.low for b in bars),
                                           sum(b.volume for b in bars), sum(b.turnover for b in bars),
                                           tuple(map(sum, zip(*flows))))
        return self.summed[1]

    def extend(self, count: int) -> None:
        inst, rng, market, lim, sigma, n_day = self.inst, self.rng, self.market, self.lim, self.sigma, self.n_day
        lot, labels, bars, flows = inst.lot, self.labels, self.bars, self.flows
        price, last = self.price, self.last
        for i in range(len(bars), count):
            label = labels[i]
            s = u_shape(i / n_day) if self.shaped else 1.0
            step = rng.gauss(0, sigma * math.sqrt(s))
            ou = price
            cu = _clamp(_grid(market, ou / UNIT * math.exp(step)), lim)
            # cheap uniform draws for the small stuff: this runs for every minute of every code
            h = _clamp(ceil_units(market, max(ou, cu) / UNIT * (1 + rng.random() * sigma * 0.6)), lim)
            low = _clamp(floor_units(market, min(ou, cu) / UNIT * (1 - rng.random() * sigma * 0.6)), lim)
            h, low = max(h, ou, cu), min(low, ou, cu)
            v = int(self.per_min * s * (0.4 + 1.2 * rng.random()) / lot) * lot
            turnover = turnover_of(inst, v, (ou + h + low + cu) / 4 / UNIT)
            bar = Bar(f"{self.prefix} {label // 60:02d}:{label % 60:02d}:00", self.day_start + label * 60, label,
                      ou / UNIT, h / UNIT, low / UNIT, cu / UNIT, v, turnover, last)
            bar.__class__ = KeptBar  # from now on read-only
            bars.append(bar)
            if inst.is_index:
                flows.append((0.0,) * 8)
            else:
                bias = 0.5 + 0.3 * math.tanh(step / sigma)
                ins, outs = [], []
                for w in CLASS_WEIGHTS:
                    buy = min(0.95, max(0.05, bias + (rng.random() - 0.5) * 0.2))
                    ins.append(turnover * w * buy)
                    outs.append(turnover * w * (1 - buy))
                flows.append(tuple(ins + outs))
            last = cu / UNIT
            price = cu
        self.price, self.last = price, last


class ShortItem(NamedTuple):
    day: date
    short: int  # US shares short / HK aggregated reportable short position
    ratio: float  # percent of the free float
    avg_volume: int  # US: average daily volume of the prior 20 days
    close: float
    last_close: float


SHORT_RECORDS = {"US": 48, "HK": 104}  # two years of records


def _short_period(market: str, day: date) -> tuple:
    """The reporting period a trading day falls in: HK weekly (the SFC's aggregated reportable
    short positions, as at each week's last trading day); US twice a month (FINRA's
    settlement dates: the 15th and the month's end)."""
    return (day.year, day.month, day.day > 15) if market == "US" else tuple(day.isocalendar()[:2])


def _next_trading_day(day: date, market: str) -> date:
    day += timedelta(days=1)
    while not is_trading_day(day, "real", market):
        day += timedelta(days=1)
    return day


def short_interest(inst: Instrument, seed: int, daily: list[DayBar]) -> list[ShortItem]:
    """Short interest at the end of each completed reporting period (a period still running
    has no record yet), newest first."""
    rng = rng_for(seed, inst.code, "short")
    us = inst.market == "US"
    # US: the level walked is days to cover (large caps: 1-5 days), so shares short follow the
    # stock's own volume; HK: the share of the float held short
    base = rng.uniform(1.5, 4.0) if us else 0.008 * rng.uniform(0.5, 2.0)
    ends: list[int] = []
    for k, bar in enumerate(daily):
        nxt = daily[k + 1].day if k + 1 < len(daily) else _next_trading_day(bar.day, inst.market)
        if _short_period(inst.market, nxt) != _short_period(inst.market, bar.day):
            ends.append(k)
    ends = ends[-SHORT_RECORDS.get(inst.market, 104):]
    out: list[ShortItem] = []
    level = base
    for k in ends:
        level = max(0.001, level * math.exp(rng.gauss(0, 0.08)) + 0.1 * (base - level))
        bar = daily[k]
        window = daily[max(0, k - 19):k + 1]
        avg = int(sum(b.volume for b in window) / len(window))
        short = int(avg * level) if us else int(inst.float_shares * level)
        out.append(ShortItem(bar.day, short, round(short / inst.float_shares * 100, 2), avg, bar.close, bar.prev_close))
    out.reverse()
    return out
