"""K-line arithmetic: KLType numbering, intraday buckets, daily periods, merging bars.

Intraday bars are labelled by their end time (the 09:30-09:31 bar is "09:31:00") and
restart with each session, so HK 60-minute bars end 10:30, 11:30, 12:00, 14:00, 15:00,
16:00. Day and longer bars are labelled by their first trading day at 00:00:00.
"""

from __future__ import annotations

from datetime import date

from protocol.gateway.history import Bar, DayBar
from protocol.markets import bucket_map

# Qot_Common.KLType -> bar length in minutes
MINUTES = {1: 1, 10: 3, 6: 5, 12: 10, 7: 15, 8: 30, 9: 60, 13: 120, 14: 180, 15: 240}
DAY, WEEK, MONTH, YEAR, QUARTER = 2, 3, 4, 5, 11
PERIODS = frozenset({DAY, WEEK, MONTH, QUARTER, YEAR})
ALL = frozenset(MINUTES) | PERIODS


def merge(bars: list[Bar], time: str | None = None, t: float | None = None, minute: int | None = None) -> Bar:
    """One bar spanning `bars` (in order); labelled like the first unless told otherwise."""
    first, last = bars[0], bars[-1]
    high, low, volume, turnover = first.high, first.low, 0, 0.0
    for b in bars:
        if b.high > high:
            high = b.high
        if b.low < low:
            low = b.low
        volume += b.volume
        turnover += b.turnover
    return Bar(first.time if time is None else time, first.t if t is None else t,
               first.minute if minute is None else minute,
               first.open, high, low, last.close, volume, turnover, first.last_close)


def _label(prefix: str, day_start: float, minute: int) -> tuple[str, float]:
    return f"{prefix} {minute // 60:02d}:{minute % 60:02d}:00", day_start + minute * 60


def intraday(minutes: list[Bar], length: int, market: str, clock: str, prefix: str, day_start: float) -> list[Bar]:
    """A day's 1-minute bars grouped into `length`-minute bars."""
    if length == 1:
        return list(minutes)
    buckets = bucket_map(market, clock, length)
    out: list[Bar] = []
    group: list[Bar] = []
    label = None
    for b in minutes:
        lab = buckets.get(b.minute, b.minute)
        if lab != label and group:
            out.append(merge(group, *_label(prefix, day_start, label), label))
            group = []
        label = lab
        group.append(b)
    if group:
        out.append(merge(group, *_label(prefix, day_start, label), label))
    return out


def current_intraday(minutes: list[Bar], cache: dict, length: int, market: str, clock: str,
                     prefix: str, day_start: float) -> Bar | None:
    """The forming `length`-minute bar, folding finished minutes into a cached partial bar.
    Only the last 1-minute bar of a day ever changes, so earlier ones fold once."""
    if not minutes:
        return None
    last = minutes[-1]
    if length == 1:
        return last
    buckets = bucket_map(market, clock, length)
    label = buckets.get(last.minute, last.minute)
    entry = cache.get(length)
    if entry is None or entry[0] != label:
        i = len(minutes) - 1
        while i > 0 and buckets.get(minutes[i - 1].minute) == label:
            i -= 1
        entry = cache[length] = [label, None, i]
    while entry[2] < len(minutes) - 1:
        b = minutes[entry[2]]
        entry[1] = b if entry[1] is None else merge([entry[1], b])
        entry[2] += 1
    parts = [last] if entry[1] is None else [entry[1], last]
    return merge(parts, *_label(prefix, day_start, label), label)


def day_bar(d: DayBar, t: float) -> Bar:
    return Bar(f"{d.day.isoformat()} 00:00:00", t, 0, d.open, d.high, d.low, d.close, d.volume, d.turnover,
               d.prev_close)


def period_key(kl_type: int, day: date) -> object:
    if kl_type == WEEK:
        return day.isocalendar()[:2]
    if kl_type == MONTH:
        return day.year, day.month
    if kl_type == QUARTER:
        return day.year, (day.month - 1) // 3
    if kl_type == YEAR:
        return day.year
    return day


def periods(days: list[Bar], kl_type: int) -> list[Bar]:
    """Daily bars grouped into weeks, months, quarters or years (labelled by the first day)."""
    if kl_type == DAY:
        return days
    out: list[Bar] = []
    group: list[Bar] = []
    key = None
    for b in days:
        k = period_key(kl_type, date.fromisoformat(b.time[:10]))
        if k != key and group:
            out.append(merge(group))
            group = []
        key = k
        group.append(b)
    if group:
        out.append(merge(group))
    return out
