"""The quote detail's reads: one code's snapshot (Qot_GetSecuritySnapshot 3203) and its
short-interest history (Qot_GetShortInterest 3249), paged with `nextKey`.

Replies are untrusted: every number passes a range check (NaN where it fails or was not
sent), text is cleaned, a date must look like one, and a paging key that repeats or
runs on forever ends the paging. The calls keep to a share of OpenD's documented
limits (protocol/ratelimit.py) on their own, so that the detail never spends what the
feed's own snapshot polling (rights_keeper.py) needs on the same connection.
"""

from __future__ import annotations

import asyncio
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from protocol import ids
from protocol.client import OpenDClient, OpenDError
from protocol.codes import security
from protocol.hours import local_day
from protocol.proto import Qot_GetSecuritySnapshot_pb2, Qot_GetShortInterest_pb2
from protocol.ratelimit import LIMITS, RateLimiter
from workstation import wire

NAN = math.nan
SNAPSHOT_SHARE = 15  # of OpenD's 60 snapshots / 30 s: the BMP poller may take up to 20
SHORT_SHARE = 20  # of OpenD's 30 short-interest requests / 30 s
SHORT_PAGE = 20  # records per page (OpenD: 1-50)
SHORT_MARKETS = ("HK", "US")  # OpenD serves short interest for these markets' stocks and funds
MAX_ROWS = 2000  # records kept however many pages OpenD offers
KEY_CHARS = 200  # a paging key longer than this is not one
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _num(msg, field: str, lo: float = -wire.AMOUNT_MAX, hi: float = wire.AMOUNT_MAX) -> float:
    """The field if sent and within [lo, hi], else NaN (shown as "-")."""
    if not msg.HasField(field):
        return NAN
    x = getattr(msg, field)
    return float(x) if lo <= x <= hi else NAN  # NaN fails both comparisons


@dataclass(frozen=True, eq=False)
class SnapshotView:
    """One snapshot, checked: NaN marks a field OpenD did not send or sent out of range."""

    code: str
    name: str
    price: float  # curPrice at the snapshot: what market cap and P/E were computed at
    open: float
    high: float
    low: float
    prev_close: float
    volume: float
    turnover: float
    turnover_rate: float  # percent
    amplitude: float  # percent
    avg_price: float  # VWAP
    high52: float
    low52: float
    market_cap: float  # issued market value (equities) or assets under management (funds)
    issued_shares: float
    float_shares: float
    pe: float
    pe_ttm: float
    lot_size: int
    update_time: str


def snapshot_view(code: str, snap) -> SnapshotView:
    b = snap.basic
    p = wire.PRICE_MAX
    eq = snap.equityExData if snap.HasField("equityExData") else None
    trust = snap.trustExData if snap.HasField("trustExData") else None
    cap = issued = floats = pe = pe_ttm = NAN
    if eq is not None:
        cap, issued = _num(eq, "issuedMarketVal", 0), _num(eq, "issuedShares", 0)
        floats, pe, pe_ttm = _num(eq, "outstandingShares", 0), _num(eq, "peRate", -1e7, 1e7), _num(eq, "peTTMRate", -1e7, 1e7)
    elif trust is not None:
        cap, floats = _num(trust, "aum", 0), _num(trust, "outstandingUnits", 0)
    lot = b.lotSize if 0 < b.lotSize < 10**9 else 0
    volume = _num(b, "hpVolume", 0) if b.HasField("hpVolume") else _num(b, "volume", 0)
    return SnapshotView(
        code=code, name=wire.name(b.name) if b.HasField("name") else "",
        price=_num(b, "curPrice", -p, p), open=_num(b, "openPrice", -p, p), high=_num(b, "highPrice", -p, p),
        low=_num(b, "lowPrice", -p, p), prev_close=_num(b, "lastClosePrice", -p, p), volume=volume,
        turnover=_num(b, "turnover", 0), turnover_rate=_num(b, "turnoverRate", 0, 1e6),
        amplitude=_num(b, "amplitude", 0, 1e6), avg_price=_num(b, "avgPrice", -p, p),
        high52=_num(b, "highest52WeeksPrice", -p, p), low52=_num(b, "lowest52WeeksPrice", -p, p),
        market_cap=cap, issued_shares=issued, float_shares=floats, pe=pe, pe_ttm=pe_ttm, lot_size=lot,
        update_time=wire.stamp(b.updateTime),
    )


class ShortRow(NamedTuple):
    """One short-interest record; US-only fields are NaN for HK and the other way round."""

    day: str  # YYYY-MM-DD, the market's trading day
    short: float  # US shares sold short / HK aggregated reportable short position, shares
    ratio: float  # percent (of shares outstanding, US; of the free float, HK)
    avg_volume: float  # US: average daily share volume
    days_to_cover: float  # US
    close: float
    last_close: float


@dataclass(frozen=True, eq=False)
class ShortPage:
    rows: tuple[ShortRow, ...]  # newest first, as OpenD sends them
    next_key: str | None  # None: no older page


def _day(item, market: str) -> str:
    if item.HasField("timestampStr") and _DAY.fullmatch(item.timestampStr[:10]):
        return item.timestampStr[:10]
    ts = _num(item, "timestamp", 0, 4e9)
    return "" if math.isnan(ts) else local_day(ts, market)


def short_rows(s2c, market: str) -> list[ShortRow]:
    """Rows of the caller's market only (a US code's reply carries no HK rows, and the other
    way round); a record without a readable date is left out."""
    p, big = wire.PRICE_MAX, wire.AMOUNT_MAX
    out: list[ShortRow] = []
    if market == "US":
        for it in s2c.usItemList[:MAX_ROWS]:
            out.append(ShortRow(_day(it, market), _num(it, "sharesShort", 0), _num(it, "shortPercent", 0, 100),
                                _num(it, "avgDailyShareVolume", 0), _num(it, "daysToCover", 0, 1e6),
                                _num(it, "closePrice", 0, p), _num(it, "lastClosePrice", 0, p)))
    else:
        for it in s2c.hkItemList[:MAX_ROWS]:
            out.append(ShortRow(_day(it, market), _num(it, "aggregatedShort", 0, big),
                                _num(it, "aggregatedShortRatio", 0, 100), NAN, NAN,
                                _num(it, "closePrice", 0, p), _num(it, "lastClosePrice", 0, p)))
    return [r for r in out if r.day]


def next_key_of(s2c, sent: str | None) -> str | None:
    """The key for the next page, or None at the end: "-1", absent, empty, the key just sent
    (a server that would page forever), or anything that cannot be a key."""
    if not s2c.HasField("nextKey"):
        return None
    key = s2c.nextKey
    if key in ("", "-1") or key == sent or len(key) > KEY_CHARS or not key.isprintable():
        return None
    return key


class Unavailable(Exception):
    """A read that gave nothing to show; the text (clean, one line) says why."""


class DetailReads:
    """The two requests, each within its share of OpenD's limit on this connection."""

    def __init__(self, client: Callable[[], OpenDClient], clock: Callable[[], float] = time.monotonic) -> None:
        self.client = client  # read on every call: the App may swap its client (S: the simulator)
        self.limiter = RateLimiter(LIMITS[ids.QOT_GET_SHORT_INTEREST].window, clock)
        self.snapshots = 0  # requests sent (tests read them)
        self.short_requests = 0

    def snapshot_wait(self) -> float:
        """Seconds before a snapshot fits this share (0.0: now)."""
        return self.limiter.wait(ids.QOT_GET_SECURITY_SNAPSHOT, SNAPSHOT_SHARE)

    async def snapshot(self, code: str, wait: bool = False) -> SnapshotView | None:
        """The code's snapshot. If the share is spent: None (a poll skips a round), or with
        `wait` (the first figures of a screen) once it has room again. Raises Unavailable."""
        while delay := self.limiter.hit(ids.QOT_GET_SECURITY_SNAPSHOT, SNAPSHOT_SHARE):
            if not wait:
                return None
            await asyncio.sleep(delay)
        market, symbol = security(code)
        c2s = Qot_GetSecuritySnapshot_pb2.C2S()
        c2s.securityList.add(market=market, code=symbol)
        self.snapshots += 1
        s2c = await self._request(ids.QOT_GET_SECURITY_SNAPSHOT, c2s)
        for snap in s2c.snapshotList[:8]:
            sec = snap.basic.security
            if (sec.market, sec.code) == (market, symbol):
                return snapshot_view(code, snap)
        raise Unavailable(f"OpenD's snapshot reply holds no {code}")

    async def short_interest(self, code: str, key: str | None = None, num: int = SHORT_PAGE,
                             waiting: Callable[[float], object] = lambda s: None) -> ShortPage:
        """One page, newest first; `key` from the previous page. Waits (telling `waiting`
        how long) rather than be refused when the share is spent. Raises Unavailable."""
        while wait := self.limiter.hit(ids.QOT_GET_SHORT_INTEREST, SHORT_SHARE):
            waiting(wait)
            await asyncio.sleep(wait)
        market, symbol = security(code)
        c2s = Qot_GetShortInterest_pb2.C2S(num=num)
        c2s.security.market, c2s.security.code = market, symbol
        if key is not None:
            c2s.nextKey = key
        self.short_requests += 1
        s2c = await self._request(ids.QOT_GET_SHORT_INTEREST, c2s)
        return ShortPage(tuple(short_rows(s2c, code.partition(".")[0])), next_key_of(s2c, key))

    async def _request(self, proto_id: int, c2s):
        try:
            return await self.client().request(proto_id, c2s)
        except OpenDError as exc:
            raise Unavailable(wire.message(str(exc))) from None
