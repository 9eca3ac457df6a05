"""US extended hours on the quote wire: who asked for them, and the ticks and K-lines they see.

OpenD serves pre-market, after-hours and overnight data only to who asks (seed 004, Qot_Sub
and Qot_RequestHistoryKL): `extendedTime` (or Session ETH) adds the pre-market and
after-hours, Session ALL adds the overnight session too, and OVERNIGHT the overnight alone.
The regular session is always served. Only ticks and K-lines of 60 minutes or finer carry
extended hours (the time-share line and the quote do not: the quote has its own blocks).

Extended ticks are tagged by their TickerType: T (21, "pre-market and after-hours trade") for
the pre-market and after-hours, EXTENDED_TRADING_HOURS (22) for the overnight session.
Extended K-line bars are built from the prints, labelled by their end like regular ones and
cut at each session's bounds; minutes without a print have no bar (a thin market).

    wanted = sessions_wanted(c2s)                    # frozenset of "pre", "after", "overnight"
    ticks = merged_ticks(market, code, 50, wanted)   # regular and extended, last 50
    bars = with_extended(market, code, kl_type, bars, wanted, count=100)
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from google.protobuf.message import Message

from protocol.gateway import klines as kl
from protocol.gateway.extended import ExtTrade
from protocol.gateway.history import Bar
from protocol.gateway.market import Market, Trade, local_time
from protocol.hours import TICKER_OVERNIGHT, TICKER_PRE_AFTER
from protocol.trade import Session

PRE_AFTER = frozenset({"pre", "after"})
EVERY = frozenset({"pre", "after", "overnight"})
MAX_MINUTES = 60  # extended hours only for K-lines of 60 minutes or finer (seed 004)
MAX_DAYS = 10  # trading days back whose extended bars a K-line read may include


def sessions_wanted(c2s: Message) -> frozenset[str]:
    """The extended sessions a Qot_Sub or Qot_RequestHistoryKL request asks for."""
    session = c2s.session if c2s.HasField("session") else 0
    wanted: set[str] = set()
    if (c2s.HasField("extendedTime") and c2s.extendedTime) or session in (Session.ETH, Session.ALL):
        wanted |= PRE_AFTER
    if session in (Session.ALL, Session.OVERNIGHT):
        wanted.add("overnight")
    return frozenset(wanted)


def ticker_type(tr: Trade | ExtTrade) -> int | None:
    """The TickerType of an extended print; None for a regular trade."""
    session = getattr(tr, "session", None)
    if session is None:
        return None
    return TICKER_OVERNIGHT if session == "overnight" else TICKER_PRE_AFTER


def applies(market: Market, code: str) -> bool:
    inst = market.instruments[code]
    return market.extended.active and inst.market == "US" and not inst.is_index


def merged_ticks(market: Market, code: str, n: int, wanted: frozenset[str]) -> list[Trade | ExtTrade]:
    """The last n ticks of a code, oldest first: regular ones and the extended ones wanted."""
    regular = market.trades(code, n)
    if not wanted or n <= 0 or not applies(market, code):
        return regular
    ext = market.extended
    day = ext.cycle()
    prints = [tr for tr in ext.prints(code, day) if tr.session in wanted]
    if len(prints) < n:  # early in a cycle: the previous cycle's overnight and after-hours too
        prev = [tr for tr in ext.prints(code, _previous_cycle(market, day)) if tr.session in wanted]
        prints = prev[-(n - len(prints)):] + prints
    out = sorted(list(regular) + prints[-n:], key=lambda tr: tr.time)
    return out[-n:]


def _previous_cycle(market: Market, day):
    ext = market.extended
    return ext.cycle(ext.sessions(day)[0][1] - 1)


def new_ticks(prints: Iterable[ExtTrade], wanted: frozenset[str]) -> list[ExtTrade]:
    return [tr for tr in prints if tr.session in wanted]


def _bars(prints: list[ExtTrade], sessions: list[tuple[str, float, float]], length: int,
          base: dict[str, float]) -> list[Bar]:
    """Prints grouped into `length`-minute bars, each session's bars cut at its bounds."""
    bounds = {name: (start, end) for name, start, end in sessions}
    out: list[Bar] = []
    cur: list = []  # [end, open, high, low, close, volume, turnover, session]
    for tr in prints:
        start, end = bounds[tr.session]
        span = length * 60
        stop = min(end, start + math.floor((tr.time - start) / span + 1) * span)
        if cur and cur[0] == stop:
            cur[2], cur[3] = max(cur[2], tr.price), min(cur[3], tr.price)
            cur[4] = tr.price
            cur[5] += tr.volume
            cur[6] += tr.turnover
            continue
        if cur:
            out.append(_bar(cur, base))
        cur = [stop, tr.price, tr.price, tr.price, tr.price, tr.volume, tr.turnover, tr.session]
    if cur:
        out.append(_bar(cur, base))
    return out


def _bar(cur: list, base: dict[str, float]) -> Bar:
    end = cur[0]
    text = local_time("US", end)
    minute = int(text[11:13]) * 60 + int(text[14:16])
    return Bar(text, end, minute, cur[1], cur[2], cur[3], cur[4], cur[5], cur[6], base.get(cur[7], cur[1]))


def extended_bars(market: Market, code: str, kl_type: int, days: Iterable, wanted: frozenset[str]) -> list[Bar]:
    """The extended-hours bars of the given cycles (trading days), oldest first."""
    length = kl.MINUTES.get(kl_type)
    if not wanted or length is None or length > MAX_MINUTES or not applies(market, code):
        return []
    ext = market.extended
    out: list[Bar] = []
    closes = {d.day: d for d in market.daily(code)[-MAX_DAYS - 5:]}
    for day in sorted(set(days)):
        prints = [tr for tr in ext.prints(code, day) if tr.session in wanted]
        if not prints:
            continue
        d = closes.get(day)
        q = market.quote(code) if d is None else None
        close = d.close if d is not None else q.last
        prev = d.prev_close if d is not None else (q.prev_close if q.day == day else q.last)
        out.extend(_bars(prints, ext.sessions(day), length, {"pre": prev, "after": close, "overnight": close}))
    return out


def with_extended(market: Market, code: str, kl_type: int, bars: list[Bar], wanted: frozenset[str],
                  count: int | None = None, begin: str | None = None, end: str | None = None) -> list[Bar]:
    """Regular bars (as Market.klines returned them) with the wanted extended bars merged in."""
    if not wanted or kl_type not in kl.MINUTES or kl.MINUTES[kl_type] > MAX_MINUTES or not applies(market, code):
        return bars
    ext = market.extended
    current = ext.cycle()
    days = {b.time[:10] for b in bars}
    recent = sorted({d.day for d in market.daily(code)[-MAX_DAYS:]} | {current, market.trading_day(code)})
    cycles = [d for d in recent if d.isoformat() in days or d == current]
    extra = extended_bars(market, code, kl_type, cycles, wanted)
    if begin or end:
        lo, hi = begin or "", end or "\uffff"
        extra = [b for b in extra if lo <= b.time <= hi]
    merged = sorted(bars + extra, key=lambda b: b.t)
    if count is not None:
        merged = merged[-count:] if count > 0 else []
    return merged


def current_bar(market: Market, code: str, kl_type: int, wanted: frozenset[str]) -> Bar | None:
    """The forming extended bar of a KLType right now (None outside the wanted sessions)."""
    bars = extended_bars(market, code, kl_type, [market.extended.cycle()], wanted)
    return bars[-1] if bars else None
