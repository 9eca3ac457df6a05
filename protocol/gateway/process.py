"""One instrument's tick process: its random stream, order book, tape and the day's figures.

A tick: news moves the fair value; a trader hits the standing book (a buy at the best ask,
a sell at the best bid; 3% are neutral prints inside the spread); the trade pushes the fair
value; the book re-centres on it, keeping a one-tick spread (sometimes two) and ten levels a
side, inside A-share limits. Every draw comes from this instrument's own `Random`, seeded
from (seed, code), so its ticks do not depend on how often the market is advanced.

Trade sizes are Pareto (alpha 1.5, capped) in lots. Orders are classed by the vendor's rule
(seed 001): the reference is the average turnover per trade, here the model's expected
value, 3 x trade_lots x lot x previous close; below it small, from 1x mid, from 10x big. The
docs define no "super" class; we class 50x the reference and above as super. Only buyer-
and seller-initiated trades count as inflow and outflow; neutral prints are neither.
"""

from __future__ import annotations

import math
from collections import deque
from datetime import date
from typing import NamedTuple

from protocol.gateway.history import (
    HISTORY_DAYS, MINUTE_DAYS, PARETO_ALPHA, PARETO_MEAN, Bar, DayBar, daily_history, live_minutes, rng_for,
    turnover_of, u_shape,
)
from protocol.gateway.instruments import Instrument, limit_units
from protocol.markets import (
    UNIT, DayClock, band_tick, in_session, last_session_day, next_open, session_minutes, sessions,
    tick_down_units, tick_up_units, trading_days_before,
)

BUY, SELL, NEUTRAL = 1, 2, 3  # Qot_Common.TickerDirection
SUPER, BIG, MID, SMALL = 0, 1, 2, 3  # order size classes
LEVELS = 10
TAPE = 1000  # ticks kept per code (get_rt_ticker returns at most 1000)
NEUTRAL_SHARE = 0.03
MAX_TRADE_LOTS = 400  # cap on one trade, in units of trade_lots


class Level(NamedTuple):
    price: float
    volume: int
    orders: int


class Trade(NamedTuple):
    code: str
    seq: int
    time: float  # epoch seconds, millisecond precision
    price: float
    volume: int
    direction: int  # 1 buy (at the ask), 2 sell (at the bid), 3 neutral
    turnover: float


def avg_trade_turnover(inst: Instrument) -> float:
    """The reference size for order classes: the model's mean turnover per trade."""
    return PARETO_MEAN * inst.trade_lots * inst.lot * inst.prev_close


def size_class(inst: Instrument, turnover: float) -> int:
    ref = avg_trade_turnover(inst)
    if turnover >= 50 * ref:
        return SUPER
    if turnover >= 10 * ref:
        return BIG
    return MID if turnover >= ref else SMALL


class Process:
    """Mutable state of one instrument. Book sides are lists of [units, volume, orders], best first."""

    __slots__ = (
        "inst", "code", "market", "seed", "clock", "rng", "dc", "labels", "label_idx", "lot", "sigma", "lam",
        "depth", "order_lots", "cls", "t_next", "fair", "bids", "asks", "seq", "tape", "last_u",
        "day", "day_start", "prefix", "prev_close", "lim", "open", "high", "low", "last", "volume",
        "turnover", "last_time", "minutes", "flows", "dist_in", "dist_out",
        "history_days", "minute_days", "daily", "daily_index", "closed", "minute_cache",
        "kl_cache", "period_cache", "short", "pin",
    )

    def __init__(self, inst: Instrument, seed: int, clock: str, rate: float, start: float, dc: DayClock,
                 labels: tuple[int, ...], label_idx: dict[int, int]) -> None:
        self.inst, self.code, self.market = inst, inst.code, inst.market
        self.seed, self.clock, self.dc = seed, clock, dc
        self.labels, self.label_idx = labels, label_idx
        self.rng = rng_for(seed, inst.code, "ticks")
        self.lot = inst.lot
        self.sigma = inst.daily_vol / math.sqrt(inst.tick_rate * session_minutes(inst.market, clock) * 60)
        self.lam = inst.tick_rate * rate
        self.depth = max(1.0, inst.trade_lots * 5)
        self.order_lots = max(1.0, inst.trade_lots * 0.8)
        ref = avg_trade_turnover(inst)
        self.cls = (50 * ref, 10 * ref, ref)
        self.seq = 0
        self.tape: deque[Trade] = deque(maxlen=TAPE)
        self.bids: list[list[int]] = []
        self.asks: list[list[int]] = []
        live = last_session_day(dc, clock, start)
        self.history_days = trading_days_before(live, HISTORY_DAYS, inst.market, clock)
        self.minute_days = self.history_days[-MINUTE_DAYS:]
        self.daily: list[DayBar] | None = None
        self.daily_index: dict[date, DayBar] = {}
        self.short = None
        self.closed: list[DayBar] = []
        self.minute_cache: dict[date, list[Bar]] = {}
        self.pin: int | None = None  # 1: held at the limit up, 0: at the limit down (A-shares)
        self.begin_day(live, inst.prev_close)
        count = sum(1 for lab in labels if self.day_start + lab * 60 <= start)
        if count:  # the live day before the simulator started, generated minute by minute
            bars, flows, day = live_minutes(inst, seed, live, inst.prev_close, labels, count, self.day_start,
                                            clock == "real")
            self.minutes, self.flows = bars, flows
            self.open, self.last = bars[0].open, bars[-1].close
            self.high, self.low, self.volume, self.turnover = day.high, day.low, day.volume, day.turnover
            self.last_time = bars[-1].t
            self.dist_in, self.dist_out = list(day.flows[:4]), list(day.flows[4:])
        self.last_u = round(self.last * UNIT)
        self.fair = float(self.last_u)
        if not inst.is_index:
            self.recenter()
        self.t_next = self.after(start)

    # -- days -----------------------------------------------------------------------------

    def begin_day(self, day: date, prev_close: float) -> None:
        self.day, self.day_start, self.prefix = day, self.dc.day_start(day), day.isoformat()
        self.prev_close, self.lim = prev_close, limit_units(self.inst, prev_close)
        self.open = None
        self.high = self.low = self.last = prev_close
        self.volume, self.turnover, self.last_time = 0, 0.0, self.day_start
        self.minutes, self.flows = [], []
        self.dist_in, self.dist_out = [0.0] * 4, [0.0] * 4
        self.kl_cache, self.period_cache = {}, {}

    def ensure_daily(self) -> list[DayBar]:
        if self.daily is None:
            self.daily = daily_history(self.inst, self.seed, self.history_days) + self.closed
            self.daily_index = {b.day: b for b in self.daily}
        return self.daily

    def roll(self, day: date) -> None:
        """A new trading day: file the finished one into history, reset the day's figures."""
        daily = self.ensure_daily()
        if self.open is not None:
            flows = None if self.inst.is_index else tuple(i - o for i, o in zip(self.dist_in, self.dist_out))
            bar = DayBar(self.day, self.open, self.high, self.low, self.last, self.volume, self.turnover,
                         self.prev_close, flows)
            daily.append(bar)
            self.closed.append(bar)
            self.daily_index[self.day] = bar
            self.minute_cache[self.day] = self.minutes
            self.minute_days.append(self.day)
            self.short = None
        self.begin_day(day, self.last)
        if self.lim:
            self.fair = min(max(self.fair, self.lim[0]), self.lim[1])
        if not self.inst.is_index:
            self.recenter()

    # -- ticks ----------------------------------------------------------------------------

    def after(self, t: float) -> float:
        """Time of the next tick after t: an exponential gap of trading time, skipping closed hours."""
        dt = self.rng.expovariate(self.lam)
        dc, clock = self.dc, self.clock
        for _ in range(10_000):
            day, d0 = dc.locate(t)
            sess = in_session(self.market, clock, day, (t - d0) / 60)
            if sess is None:
                t = next_open(dc, clock, t)
                continue
            end = d0 + sess[1] * 60
            if t + dt < end:
                return t + dt
            dt -= end - t
            t = end
        return t + dt

    def run(self, until: float, out: list[Trade]) -> None:
        """Every tick up to `until`, appended to `out`."""
        index = self.inst.is_index
        shaped = self.clock == "real"
        first, last = sessions(self.market, "real")[0][0], sessions(self.market, "real")[-1][1]
        while self.t_next <= until:
            t = round(self.t_next, 3)
            day, d0 = self.dc.locate(t)
            if day != self.day:
                self.roll(day)
            scale = 1.0
            if shaped:  # more volatile at the open and the close
                scale = math.sqrt(u_shape(min(1.0, max(0.0, ((t - d0) / 60 - first) / (last - first)))))
            if index:
                self._index_tick(t, scale, out)
            else:
                self._stock_tick(t, scale, out)
            self.t_next = self.after(self.t_next)

    def _index_tick(self, t: float, scale: float, out: list[Trade]) -> None:
        rng = self.rng
        self.fair *= math.exp(rng.gauss(0, self.sigma * scale))
        u = max(100, int(round(self.fair / 100)) * 100)
        vol = max(1, int(self.inst.trade_lots * PARETO_MEAN * rng.lognormvariate(0, 0.3)))
        self._print(t, u, vol, NEUTRAL, out)

    def _stock_tick(self, t: float, scale: float, out: list[Trade]) -> None:
        rng = self.rng
        self.fair *= math.exp(rng.gauss(0, self.sigma * scale))
        bids, asks = self.bids, self.asks
        tick = band_tick(self.market, self.fair)
        if rng.random() < NEUTRAL_SHARE and bids and asks:
            u = self.last_u if bids[0][0] <= self.last_u <= asks[0][0] else bids[0][0]
            self._print(t, u, self.lot * (1 + int(rng.random() * 2)), NEUTRAL, out)
        else:
            mid = (bids[0][0] + asks[0][0]) / 2 if bids and asks else self.fair
            buy = rng.random() < 0.5 + 0.3 * math.tanh((self.fair - mid) / tick)
            if (buy and not asks) or (not buy and not bids):
                buy = not buy
            lots = int(self.inst.trade_lots * rng.paretovariate(PARETO_ALPHA))
            vol = max(1, min(lots, int(MAX_TRADE_LOTS * self.inst.trade_lots))) * self.lot
            side = asks if buy else bids
            if side:
                level = side[0]
                # the whole size prints at the touch (hidden size rests there too)
                self._print(t, level[0], vol, BUY if buy else SELL, out)
                if vol >= level[1]:
                    del side[0]
                else:
                    left = level[1] - vol
                    level[2] = max(1, -(-level[2] * left // level[1]))
                    level[1] = left
                push = tick * 0.2 * min(5.0, vol / (self.depth * self.lot))
                self.fair += push if buy else -push
        if self.lim:
            self.fair = min(max(self.fair, self.lim[0]), self.lim[1])
        self.recenter()
        if rng.random() < 0.5:
            self._jitter()
        if self.pin is not None:
            self.hold_at_limit()

    def hold_at_limit(self) -> None:
        """Pinned at a daily limit: the price sits there and the side beyond it is empty
        (at the limit up nobody sells below it; at the limit down nobody buys)."""
        if not self.lim or self.inst.is_index:
            return
        u = self.lim[self.pin]
        self.fair = float(u)
        self.recenter()
        if self.pin:
            self.asks.clear()
            if not self.bids or self.bids[0][0] != u:
                self.bids[:0] = [self._level(u)]
        else:
            self.bids.clear()
            if not self.asks or self.asks[0][0] != u:
                self.asks[:0] = [self._level(u)]
        del self.bids[LEVELS:], self.asks[LEVELS:]

    def _print(self, t: float, u: int, vol: int, direction: int, out: list[Trade]) -> None:
        price = u / UNIT
        turnover = turnover_of(self.inst, vol, price)
        self.seq += 1
        trade = Trade(self.code, self.seq, t, price, vol, direction, turnover)
        out.append(trade)
        self.tape.append(trade)
        self.last_u, self.last, self.last_time = u, price, t
        if self.open is None:
            self.open = self.high = self.low = price
        elif price > self.high:
            self.high = price
        elif price < self.low:
            self.low = price
        self.volume += vol
        self.turnover += turnover
        idx = self.label_idx.get(int((t - self.day_start) // 60) + 1)
        if idx is None:  # only on a 25-hour DST day with clock="always"
            idx = len(self.labels) - 1
        bars = self.minutes
        if len(bars) <= idx:
            self.fill(idx)
        bar = bars[idx]
        if bar.volume == 0:
            bar.open = bar.high = bar.low = price
        elif price > bar.high:
            bar.high = price
        elif price < bar.low:
            bar.low = price
        bar.close = price
        bar.volume += vol
        bar.turnover += turnover
        if direction != NEUTRAL and not self.inst.is_index:
            sup, big, ref = self.cls
            k = SUPER if turnover >= sup else BIG if turnover >= big else MID if turnover >= ref else SMALL
            if direction == BUY:
                self.dist_in[k] += turnover
                self.flows[idx][k] += turnover
            else:
                self.dist_out[k] += turnover
                self.flows[idx][4 + k] += turnover

    def fill(self, idx: int) -> None:
        """Append flat bars (no trades) up to and including minute index idx."""
        bars = self.minutes
        while len(bars) <= idx:
            lab = self.labels[len(bars)]
            last = bars[-1].close if bars else self.prev_close
            bars.append(Bar(f"{self.prefix} {lab // 60:02d}:{lab % 60:02d}:00", self.day_start + lab * 60, lab,
                            last, last, last, last, 0, 0.0, last))
            self.flows.append([0.0] * 8)

    def fill_to(self, now: float) -> None:
        """Give the current minute a bar once its market is trading, even before a trade."""
        day, d0 = self.dc.locate(now)
        if day != self.day or in_session(self.market, self.clock, day, (now - d0) / 60) is None:
            return
        idx = self.label_idx.get(int((now - self.day_start) // 60) + 1)
        if idx is not None and len(self.minutes) <= idx:
            self.fill(idx)

    # -- the book -------------------------------------------------------------------------

    def _level(self, u: int) -> list[int]:
        rng = self.rng
        lots = max(1, int(self.depth * rng.lognormvariate(0, 0.6)))
        orders = max(1, min(lots, int(lots / self.order_lots + rng.random() * 2)))
        return [u, lots * self.lot, orders]

    def recenter(self) -> None:
        """Move the book so the best bid is the grid price at or below the fair value."""
        market, lim = self.market, self.lim
        tick = band_tick(market, self.fair)
        b = max(tick, int(self.fair // tick) * tick)
        a = tick_up_units(market, b)
        if self.rng.random() < 0.06:
            a = tick_up_units(market, a)
        lo, hi = lim if lim else (0, 1 << 62)
        b = min(max(b, lo), hi)
        bids, asks = self.bids, self.asks
        i = 0
        while i < len(bids) and bids[i][0] > b:
            i += 1
        del bids[:i]
        i = 0
        while i < len(asks) and asks[i][0] < a:
            i += 1
        del asks[:i]
        if not bids or bids[0][0] < b:
            stop = bids[0][0] if bids else 0
            new, u = [], b
            while u > stop and u >= lo and len(new) < LEVELS:
                new.append(self._level(u))
                u = tick_down_units(market, u)
            bids[:0] = new
        if a <= hi and (not asks or asks[0][0] > a):
            stop = asks[0][0] if asks else 1 << 62
            new, u = [], a
            while u < stop and u <= hi and len(new) < LEVELS:
                new.append(self._level(u))
                u = tick_up_units(market, u)
            asks[:0] = new
        del bids[LEVELS:], asks[LEVELS:]
        while 0 < len(bids) < LEVELS:  # refill the far end, now and then skipping a price
            u = tick_down_units(market, bids[-1][0])
            if self.rng.random() < 0.1:
                u = tick_down_units(market, u)
            if u <= 0 or u < lo:
                break
            bids.append(self._level(u))
        while 0 < len(asks) < LEVELS:
            u = tick_up_units(market, asks[-1][0])
            if self.rng.random() < 0.1:
                u = tick_up_units(market, u)
            if u > hi:
                break
            asks.append(self._level(u))

    def _jitter(self) -> None:
        """Orders arrive and cancel away from the touch too."""
        rng = self.rng
        side = self.bids if rng.random() < 0.5 else self.asks
        if not side:
            return
        level = side[int(rng.random() * len(side))]
        lots = max(1, level[1] // self.lot + int(self.depth * rng.uniform(-0.5, 0.8)))
        level[1] = lots * self.lot
        level[2] = max(1, min(lots, level[2] + (1 if rng.random() < 0.5 else -1)))
