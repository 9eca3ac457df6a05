"""Market hours as the trader lives them: each market's session, when it changes, whether a
quiet panel is quiet because its market is, halts, daily limits and US extended-hours prices.

Pure Python (no Textual, no network). The feed hands `MarketHours` OpenD's market states and
clock (GetGlobalState, polled); between polls the shared calendar (protocol/hours.py) moves
each market on by itself, as long as OpenD's states agreed with it at the last poll. An OpenD
whose states disagree with the calendar (the simulator's `--clock always`) is believed as is,
without a countdown.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from datetime import datetime
from typing import NamedTuple

from protocol import markets as mkt
from protocol.trade import Session
from protocol.hours import EXTENDED_STATES, PHASE_WORDS, TRADING_STATES, TZ, Phase, phase

MARKETS = ("HK", "US", "SH")  # the status bar's markets; SZ keeps SH's hours
LABEL = {"HK": "HK", "US": "US", "SH": "CN", "SZ": "CN"}
EXT_NAMES = {mkt.ST_PRE_MARKET: "pre", mkt.ST_AFTER_HOURS: "after", mkt.ST_OVERNIGHT: "overnight"}
EXT_WORDS = {"pre": "pre", "after": "post", "overnight": "night"}
SUSPENDED = 9  # Qot_Common.SecurityStatus
# The tape's subscription: every US session's prints (pre-market, after-hours, overnight), each
# marked by its TickerType; OpenD needs a US LV1 right for the overnight, which any US right is
TAPE_SUB = {"extendedTime": True, "session": Session.ALL}


class ExtPrice(NamedTuple):
    """One US extended session's price (Qot_Common.PreAfterMarketData)."""

    price: float
    change: float
    change_pct: float


def ext_prices(item) -> dict[str, ExtPrice] | None:
    """The pre / after / overnight blocks of a BasicQot, finite numbers only; None if none."""
    out = None
    for name, field in (("pre", "preMarket"), ("after", "afterMarket"), ("overnight", "overnight")):
        if item.HasField(field):
            block = getattr(item, field)
            values = (block.price, block.changeVal, block.changeRate)
            if block.price > 0 and all(math.isfinite(v) for v in values):
                (out := out or {})[name] = ExtPrice(*values)
    return out


def is_halted(item) -> bool:
    return bool(item.isSuspended) or (item.HasField("secStatus") and item.secStatus == SUSPENDED)


def limit_state(code: str, name: str, last: float, prev_close: float) -> int:
    """1 at the A-share limit up, -1 at the limit down, 0 otherwise (or elsewhere)."""
    market, _, symbol = code.partition(".")
    if not (last == last and prev_close == prev_close and prev_close > 0):
        return 0
    pct = mkt.limit_pct(market, symbol, mkt.SEC_STOCK, name)
    if pct is None:
        return 0
    down, up = mkt.limit_band_units(pct, prev_close)
    u = mkt.to_units(last)
    return 1 if u >= up else -1 if u <= down else 0


def exchange_time(ts: float, code: str) -> str:
    """'YYYY-MM-DD HH:MM:SS' in the code's exchange time zone (as OpenD stamps orders)."""
    zone = TZ.get(code.partition(".")[0])
    return datetime.fromtimestamp(ts, zone).strftime("%Y-%m-%d %H:%M:%S")


def row_time(ts: float, text: str, code: str) -> float:
    """A row's epoch time: its timestamp, or its exchange-local text read in its market's zone."""
    if ts > 0:
        return ts
    zone = TZ.get(code.partition(".")[0])
    for pattern in ("%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.strptime(text, pattern).replace(tzinfo=zone).timestamp()
        except (ValueError, TypeError):
            pass
    return 0.0


def local_hms(ts: float) -> str:
    """One zone for a whole table: the trader's own."""
    return time.strftime("%H:%M:%S", time.localtime(ts)) if ts > 0 else "-"


def fmt_countdown(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds >= 86_400:
        return f"{seconds // 86_400}d{seconds % 86_400 // 3600}h"
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


class MarketHours:
    def __init__(self, wall: Callable[[], float] = time.time, mono: Callable[[], float] = time.monotonic) -> None:
        self.wall = wall  # the trader's clock (the status bar's local time)
        self.mono = mono  # how time passes between polls
        self.states: dict[str, int] = {}  # OpenD's QotMarketState per market, at the last poll
        self._server = 0.0  # OpenD's clock at the last poll ...
        self._at = 0.0  # ... and our monotonic time then
        self._follows = False  # OpenD's states agreed with the calendar for every market at the last poll

    def update(self, states: dict[str, int], server_time: float) -> None:
        """OpenD's market states (GetGlobalState) and its clock, read just now. When every
        market's state matches the calendar at that instant, the calendar carries each market
        on between polls (with a countdown); otherwise OpenD's word stands as it is."""
        self._server, self._at = server_time, self.mono()
        self.states = dict(states)
        self._follows = all(phase(m, server_time).state == s for m, s in states.items())

    def now(self) -> float:
        """OpenD's (the market's) clock."""
        if not self.states:
            return self.wall()
        return self._server + (self.mono() - self._at)

    def phase(self, market: str) -> Phase | None:
        """Where a market is now; None before OpenD has said."""
        market = "SH" if market == "SZ" else market
        state = self.states.get(market)
        if state is None:
            return None
        if self._follows:
            return phase(market, self.now())
        return Phase(state, PHASE_WORDS.get(state, "closed"), None)

    def trading(self, market: str) -> bool:
        """The market is in continuous regular trading (or OpenD has not said)."""
        p = self.phase(market)
        return p is None or p.state in TRADING_STATES

    def quiet(self, market: str) -> str | None:
        """Why a market's data is expected to stand still ("lunch break", "closed", ...), or None."""
        p = self.phase(market)
        return None if p is None or p.state in TRADING_STATES else p.word

    def us_session(self) -> str | None:
        """"pre", "after" or "overnight" while the US market is in that session."""
        p = self.phase("US")
        return EXT_NAMES.get(p.state) if p is not None else None

    def extended(self, market: str) -> bool:
        p = self.phase(market)
        return market == "US" and p is not None and p.state in EXTENDED_STATES

    def session_price(self, code: str, ext: dict[str, ExtPrice] | None) -> float | None:
        """A US code's price in the current extended session; None in regular hours or elsewhere."""
        session = self.us_session() if code.startswith("US.") and ext else None
        block = ext.get(session) if session and ext else None
        return None if block is None else block.price

    def default_session(self, code: str) -> int:
        """A new order's session: regular in regular hours, extended outside them (US only)."""
        if not code.startswith("US."):
            return Session.NONE
        return Session.ETH if self.extended("US") else Session.RTH

    def segment(self) -> list[tuple[str, str]]:
        """The status bar's sessions: "HK lunch break 13:00 in 29m" per market."""
        out: list[tuple[str, str]] = []
        now = self.now()
        for m in MARKETS:
            p = self.phase(m)
            if p is None:
                continue
            style = "green" if p.state in TRADING_STATES else "yellow" if p.state in EXTENDED_STATES else "dim"
            text = f"{LABEL[m]} {p.word}"
            if p.until is not None:
                text += f" {fmt_countdown(p.until - now)}"
            out.append((text, style))
        return out

    def clock_text(self, market: str | None, zones: str = "both") -> str:
        """Local time, and the focused market's own ("14:02:11 HK 14:02"); `zones`: local,
        market or both."""
        local = time.strftime("%H:%M:%S", time.localtime(self.wall()))  # the trader's own clock
        if market is None or zones == "local":
            return local
        there = datetime.fromtimestamp(self.now(), TZ.get(market, TZ["HK"])).strftime("%H:%M")  # OpenD's
        mine = f"{LABEL.get(market, market)} {there}"
        return mine if zones == "market" else f"{local} {mine}"

