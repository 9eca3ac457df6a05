"""The time-share (intraday line) data: today's minutes from Qot_GetRT / Qot_UpdateRT, and the
four trading days before from 1-minute history K-lines, for the five-day view.

Pure (no Textual, no network). RT rows pass the same checks as every wire row: a point with
a NaN, infinite or huge price or volume drops its push, and is counted by the store.
"""

from __future__ import annotations

import time
from typing import NamedTuple

from workstation import wire
from workstation.store import Bar, Store
from workstation.wire import BadData

RT = "rt"  # store.bars_at / Changes.bars key kind for today's time-share: (code, RT)
RT_DAYS = "rt-days"  # the 1-minute history bars of the days before: store.bars[(code, RT_DAYS)]
RT_MAX = 24 * 60  # minutes kept per code (a US day with extended hours is 16 h)
DAYS_MAX = 5 * RT_MAX


class Minute(NamedTuple):
    time: str  # "YYYY-MM-DD HH:MM:SS" as OpenD sends it
    price: float
    avg: float  # the day's average price so far (turnover / volume); the price where none traded
    volume: int
    last_close: float


def minute_of(row) -> Minute:
    """One Qot_Common.TimeShare row; BadData unless it can be drawn."""
    p = wire.price
    volume = row.hpVolume if row.HasField("hpVolume") else row.volume
    if not 0 <= volume < wire.AMOUNT_MAX:
        raise BadData(f"time-share volume {volume!r} out of range")
    price = p(row.price, "time-share price")
    avg = p(row.avgPrice, "time-share average") if row.HasField("avgPrice") else price
    avg = avg if avg > 0 else price  # an index has no average price
    return Minute(wire.stamp(row.time), price, avg, int(volume), p(row.lastClosePrice, "previous close"))


def _rows(store: Store, code: str, rows) -> list[Minute] | None:
    try:
        return [minute_of(r) for r in rows if not r.isBlank]
    except BadData as exc:
        store.reject(f"time-share {code}", exc)
        return None


def set_rt(store: Store, code: str, rows) -> None:
    """Qot_GetRT: the whole day so far replaces what we had."""
    points = _rows(store, code, rows)
    if points is None:
        return
    store.rt[code] = sorted(points, key=lambda m: m.time)[-RT_MAX:]
    store.bars_at[(code, RT)] = time.monotonic()
    store.dirty_bars.add((code, RT))


def apply_rt(store: Store, s2c) -> None:
    """Qot_UpdateRT: the current minute is replaced, a new minute appended (a new day restarts)."""
    now = store.touch()
    code = store.pushed_code(s2c.security.market, s2c.security.code)
    if code is None:
        return
    new = _rows(store, code, s2c.rtList)
    if new is None:
        return
    points = store.rt.setdefault(code, [])
    for m in new:
        if points and points[-1].time == m.time:
            points[-1] = m
        elif not points or m.time > points[-1].time:
            if points and m.time[:10] != points[-1].time[:10]:
                points.clear()
            points.append(m)
    del points[:-RT_MAX]
    store.bars_at[(code, RT)] = now
    store.dirty_bars.add((code, RT))


def set_days(store: Store, code: str, klines) -> None:
    """The 1-minute history bars of the five-day view (more than the K-line chart keeps)."""
    store.set_bars(code, RT_DAYS, klines, keep=DAYS_MAX)


def day_minutes(bars: list[Bar]) -> list[Minute]:
    """1-minute bars of one day as time-share minutes: the average from the running turnover."""
    out, vol, turnover = [], 0, 0.0
    for b in bars:
        vol += b.volume
        turnover += b.turnover
        out.append(Minute(b.time, b.close, turnover / vol if vol and turnover > 0 else b.close, b.volume, 0.0))
    return out


def five_days(history: list[Bar], today: list[Minute]) -> list[list[Minute]]:
    """Up to five trading days, oldest first: four from history, today from RT (or, before
    the RT reply, from history's last day)."""
    days: dict[str, list[Bar]] = {}
    for b in history:
        days.setdefault(b.time[:10], []).append(b)
    today_date = today[-1].time[:10] if today else ""
    past = [day_minutes(bars) for d, bars in sorted(days.items()) if d != today_date]
    return (past + [today])[-5:] if today else past[-5:]
