"""State the widgets read: latest quote per code, books, tapes, bars, flows, account.

Pure Python (no Textual, no network): the feed applies pushes and replies here and the
App's flush timer takes what changed (one `Changes`) to refresh only that. "Latest value wins"
data is overwritten in place; tapes and bars are bounded.
"""

from __future__ import annotations

import logging
import math
import time
from collections import deque
from dataclasses import dataclass, field
from typing import NamedTuple

from workstation import wire
from workstation.account_rows import (FillRow, Funds, OrderRow, PositionRow, funds_of, mark_funds,
                                      order_row, position_row, stamp_of)
from workstation.sessions import SUSPENDED, ext_prices
from workstation.rights import OpenDStatus
from workstation.wire import BadData

log = logging.getLogger(__name__)

TAPE_LEN = 500
MAX_LEVELS = 60  # book levels kept per side (US LV2 sends up to 60)
MAX_BROKERS = 80  # broker queue entries kept per side
BARS_LEN = 1500
NAN = math.nan


@dataclass(slots=True)
class Quote:
    code: str
    name: str = ""
    last: float = NAN
    prev_close: float = NAN
    open: float = NAN
    high: float = NAN
    low: float = NAN
    volume: int = 0
    turnover: float = 0.0
    bid: float = NAN
    ask: float = NAN
    bid_vol: int = 0
    ask_vol: int = 0
    update_time: str = ""
    lot_size: int = 0
    seq: int = 0  # how many updates this quote has had; tests and tick colouring use it
    prev_last: float = NAN  # last price before the latest update: up-tick or down-tick
    halted: bool = False  # trading suspended (isSuspended / secStatus SUSPENDED)
    ext: dict | None = None  # US extended hours: {"pre"|"after"|"overnight": sessions.ExtPrice}

    @property
    def change(self) -> float:
        return self.last - self.prev_close

    @property
    def change_pct(self) -> float:
        return (self.last / self.prev_close - 1) * 100 if self.prev_close else NAN


class Level(NamedTuple):  # a tuple: 20 of them per book push, ~4x cheaper than a frozen dataclass
    price: float
    volume: int
    orders: int


@dataclass(frozen=True, eq=False, slots=True)
class BookSnap:
    """One order book as pushed; replaced whole, so identity says 'changed'."""

    code: str
    bids: tuple[Level, ...]
    asks: tuple[Level, ...]
    time: str = ""


class Tick(NamedTuple):
    time: str
    price: float
    volume: int
    direction: int  # 1 buy (at the ask), 2 sell, 3 neutral
    seq: int
    turnover: float
    kind: int = 0  # TickerType: TICKER_PRE_AFTER / TICKER_OVERNIGHT mark US extended-hours prints


@dataclass(slots=True)
class Bar:
    time: str
    open: float
    high: float
    low: float
    close: float
    volume: int
    turnover: float


@dataclass(frozen=True, eq=False, slots=True)
class BrokerSnap:
    code: str
    bids: tuple[tuple[int, str, int], ...]  # (broker id, name, position)
    asks: tuple[tuple[int, str, int], ...]


@dataclass(frozen=True, eq=False, slots=True)
class FlowSnap:
    """Intraday capital flow: one row per minute, cumulative net inflow by class."""

    code: str
    times: tuple[str, ...]
    total: tuple[float, ...]
    super_: tuple[float, ...]
    big: tuple[float, ...]
    mid: tuple[float, ...]
    small: tuple[float, ...]


@dataclass(frozen=True, eq=False, slots=True)
class DistSnap:
    """Today's capital distribution: money in and out by order size class."""

    code: str
    inflow: dict[str, float]
    outflow: dict[str, float]
    update_time: str = ""


@dataclass(frozen=True, slots=True)
class Changes:
    """What changed between two flushes, by kind; each panel watches one or more kinds."""

    quotes: set[str] = field(default_factory=set)
    books: set[str] = field(default_factory=set)  # order book or broker queue
    tapes: set[str] = field(default_factory=set)
    bars: set[tuple[str, int]] = field(default_factory=set)  # (code, K-line type)
    flows: set[str] = field(default_factory=set)  # capital flow or distribution
    account: bool = False  # orders, fills, positions or funds
    marks: bool = False  # positions and funds marked to new quotes


CHANGE_KINDS = frozenset(Changes.__dataclass_fields__)


@dataclass
class Store:
    quotes: dict[str, Quote] = field(default_factory=dict)
    books: dict[str, BookSnap] = field(default_factory=dict)
    tapes: dict[str, deque[Tick]] = field(default_factory=dict)
    bars: dict[tuple[str, int], list[Bar]] = field(default_factory=dict)
    rt: dict[str, list] = field(default_factory=dict)  # code -> today's time-share minutes (timeshare.py)
    brokers: dict[str, BrokerSnap] = field(default_factory=dict)
    flows: dict[str, FlowSnap] = field(default_factory=dict)
    dists: dict[str, DistSnap] = field(default_factory=dict)
    orders: dict[str, OrderRow] = field(default_factory=dict)
    fills: dict[str, FillRow] = field(default_factory=dict)
    positions: dict[str, PositionRow] = field(default_factory=dict)
    funds: Funds = field(default_factory=Funds)
    names: dict[str, str] = field(default_factory=dict)
    opend: OpenDStatus = field(default_factory=OpenDStatus)  # OpenD's login, quote rights and quotas
    last_push: float = 0.0  # monotonic time of the last push of any kind
    pushes: int = 0
    # Monotonic time each code's data last changed: the panels show its age and dim when old.
    book_at: dict[str, float] = field(default_factory=dict)  # order book or broker queue
    tape_at: dict[str, float] = field(default_factory=dict)
    bars_at: dict[tuple[str, int], float] = field(default_factory=dict)
    flow_at: dict[str, float] = field(default_factory=dict)  # capital flow or distribution
    _codes: dict[tuple[int, str], str] = field(default_factory=dict)  # (market, symbol) -> admitted "HK.00700"
    # The codes whose pushes are kept (what the feed subscribed); None keeps every valid code.
    admitted: frozenset[str] | None = None
    unwanted: int = 0  # pushes dropped for codes nobody subscribed
    rejected: int = 0  # pushes dropped because a value could not be shown
    last_rejected: str = ""  # why the latest one was dropped
    _logged_at: float = -math.inf
    _broker_names: dict[str, str] = field(default_factory=dict)  # raw -> clean
    # What changed since the last flush, by panel kind.
    dirty_quotes: set[str] = field(default_factory=set)
    dirty_books: set[str] = field(default_factory=set)
    dirty_tapes: set[str] = field(default_factory=set)
    dirty_bars: set[tuple[str, int]] = field(default_factory=set)
    dirty_flows: set[str] = field(default_factory=set)
    dirty_account: bool = False

    def touch(self) -> float:
        now = self.last_push = time.monotonic()
        self.pushes += 1
        return now

    def admit(self, codes) -> None:
        """Keep pushes for these codes only (the feed's subscriptions); forget the rest."""
        self.admitted = frozenset(codes)
        self._codes = {k: c for k, c in self._codes.items() if c in self.admitted}

    def pushed_code(self, market: int, symbol: str) -> str | None:
        """The admitted code of a pushed security, or None (the push is dropped and counted)."""
        key = (market, symbol)
        code = self._codes.get(key)
        if code is not None:
            return code
        try:
            code = wire.quote_code(market, symbol)
        except BadData as exc:
            self.reject("push", exc)
            return None
        if self.admitted is not None and code not in self.admitted:
            self.unwanted += 1
            return None
        if len(self._codes) < 100_000:
            self._codes[key] = code
        return code

    def reject(self, what: str, exc: Exception) -> None:
        """Count a dropped push; log the first and then at most one line a minute, with the count."""
        self.rejected += 1
        self.last_rejected = f"{what}: {exc}"
        now = time.monotonic()
        if now - self._logged_at >= 60.0:
            self._logged_at = now
            log.warning("dropped malformed data from OpenD (%d so far): %s", self.rejected, self.last_rejected)

    def quote(self, code: str) -> Quote:
        q = self.quotes.get(code)
        if q is None:
            q = self.quotes[code] = Quote(code, self.names.get(code, ""))
        return q

    # -- quotes -------------------------------------------------------------------------

    def apply_basic_qots(self, items) -> None:
        """Qot_UpdateBasicQot / Qot_GetBasicQot rows."""
        self.last_push = time.monotonic()  # touch(), inline: this runs for every quote push
        self.pushes += 1
        codes, quotes, dirty = self._codes, self.quotes, self.dirty_quotes
        lim, big = wire.PRICE_MAX, wire.AMOUNT_MAX
        for item in items:
            sec = item.security
            code = codes.get((sec.market, sec.code)) or self.pushed_code(sec.market, sec.code)
            if code is None:
                continue
            cur, pc, op, hi, lo = item.curPrice, item.lastClosePrice, item.openPrice, item.highPrice, item.lowPrice
            hp, turnover, volume = item.hpVolume, item.turnover, item.volume
            # Checked whole before anything is applied: a bad row is dropped, never half-applied.
            if not (-lim < cur < lim and -lim < pc < lim and -lim < op < lim and -lim < hi < lim
                    and -lim < lo < lim and 0 <= hp < big and 0 <= turnover < big and 0 <= volume < big):
                self.reject(f"quote {code}", BadData("price, volume or turnover out of range"))
                continue
            q = quotes.get(code) or self.quote(code)
            if not q.name and item.name:  # names come with the first push; reading one costs
                q.name = self.names[code] = wire.name(item.name)
            q.prev_last = q.last
            q.last = cur
            q.prev_close = pc
            q.open, q.high, q.low = op, hi, lo
            q.volume = int(hp) or volume  # hpVolume: the precise one, when sent
            q.turnover = turnover
            t = item.updateTime  # cleaned only when it needs it: this runs for every quote push
            q.update_time = t if len(t) <= 32 and t.isprintable() else wire.stamp(t)
            q.halted = item.isSuspended or item.secStatus == SUSPENDED  # is_halted(), inline
            q.ext = ext_prices(item) if code[:3] == "US." else None
            q.seq += 1
            dirty.add(code)

    def apply_order_book(self, s2c) -> None:
        now = self.touch()
        code = self.pushed_code(s2c.security.market, s2c.security.code)
        if code is None:
            return
        try:
            bids = wire.levels(s2c.orderBookBidList[:MAX_LEVELS], Level)
            asks = wire.levels(s2c.orderBookAskList[:MAX_LEVELS], Level)
        except BadData as exc:
            self.reject(f"order book {code}", exc)
            return
        self.book_at[code] = now
        self.books[code] = BookSnap(code, bids, asks, wire.stamp(s2c.svrRecvTimeBid or s2c.svrRecvTimeAsk))
        q = self.quote(code)
        q.bid, q.bid_vol = (bids[0].price, bids[0].volume) if bids else (NAN, 0)
        q.ask, q.ask_vol = (asks[0].price, asks[0].volume) if asks else (NAN, 0)
        self.dirty_books.add(code)
        self.dirty_quotes.add(code)

    def apply_tickers(self, s2c) -> None:
        now = self.touch()
        code = self.pushed_code(s2c.security.market, s2c.security.code)
        if code is None:
            return
        self.tape_at[code] = now
        tape = self.tapes.get(code)
        if tape is None:
            tape = self.tapes[code] = deque(maxlen=TAPE_LEN)
        last_seq = tape[-1].seq if tape else -1
        for t in s2c.tickerList:
            if t.sequence <= last_seq:
                continue  # a repeat (first push, backfill after reconnect)
            if not (-wire.PRICE_MAX < t.price < wire.PRICE_MAX and 0 <= t.volume < wire.AMOUNT_MAX
                    and 0 <= t.turnover < wire.AMOUNT_MAX):
                self.reject(f"ticker {code}", BadData("price, volume or turnover out of range"))
                continue
            tape.append(Tick(wire.stamp(t.time), t.price, t.volume, t.dir, t.sequence, t.turnover, t.type))
            last_seq = t.sequence
        self.dirty_tapes.add(code)

    def apply_broker(self, s2c) -> None:
        now = self.touch()
        code = self.pushed_code(s2c.security.market, s2c.security.code)
        if code is None:
            return
        self.book_at[code] = now
        self.brokers[code] = BrokerSnap(
            code,
            tuple((b.id, self._broker_name(b.name), b.pos) for b in s2c.brokerBidList[:MAX_BROKERS]),
            tuple((b.id, self._broker_name(b.name), b.pos) for b in s2c.brokerAskList[:MAX_BROKERS]),
        )
        self.dirty_books.add(code)

    def _broker_name(self, raw: str) -> str:
        clean = self._broker_names.get(raw)
        if clean is None:
            if len(self._broker_names) > 10_000:
                self._broker_names.clear()
            clean = self._broker_names[raw] = wire.name(raw)
        return clean

    # -- K-lines ------------------------------------------------------------------------

    @staticmethod
    def bar_of(k) -> Bar:
        """BadData unless every price and amount can be drawn."""
        p, big = wire.price, wire.AMOUNT_MAX
        volume = k.hpVolume if k.HasField("hpVolume") else k.volume
        if not (0 <= volume < big and 0 <= k.turnover < big):
            raise BadData("bar volume or turnover out of range")
        return Bar(wire.stamp(k.time), p(k.openPrice), p(k.highPrice), p(k.lowPrice), p(k.closePrice),
                   int(volume), k.turnover)

    def set_bars(self, code: str, kl_type: int, klines, keep: int = BARS_LEN) -> None:
        """History (RequestHistoryKL): replaces what we had for this code and period (the
        newest `keep` bars)."""
        bars = []
        for k in klines:
            if not k.isBlank:
                try:
                    bars.append(self.bar_of(k))
                except BadData as exc:
                    self.reject(f"K-line {code}", exc)
        self.bars[(code, kl_type)] = bars[-keep:]
        self.bars_at[(code, kl_type)] = time.monotonic()
        self.dirty_bars.add((code, kl_type))

    def apply_kl(self, s2c) -> None:
        """Qot_UpdateKL: the forming bar is replaced, a new bar is appended."""
        now = self.touch()
        code = self.pushed_code(s2c.security.market, s2c.security.code)
        if code is None:
            return
        try:
            new = [self.bar_of(k) for k in s2c.klList if not k.isBlank]
        except BadData as exc:
            self.reject(f"K-line {code}", exc)
            return
        key = (code, s2c.klType)
        self.bars_at[key] = now
        bars = self.bars.setdefault(key, [])
        for bar in new:
            if bars and bars[-1].time == bar.time:
                bars[-1] = bar
            elif not bars or bar.time > bars[-1].time:
                bars.append(bar)
                if len(bars) > BARS_LEN:
                    del bars[: len(bars) - BARS_LEN]
        self.dirty_bars.add(key)

    # -- capital flow -------------------------------------------------------------------

    def set_flow(self, code: str, items) -> None:
        rows = list(items)
        try:
            for r in rows:
                for x in (r.inFlow, r.superInFlow, r.bigInFlow, r.midInFlow, r.smlInFlow):
                    wire.amount(x, "capital flow")
        except BadData as exc:
            self.reject(f"capital flow {code}", exc)
            return
        self.flows[code] = FlowSnap(
            code,
            tuple(wire.stamp(r.time) for r in rows),
            tuple(r.inFlow for r in rows),
            tuple(r.superInFlow for r in rows),
            tuple(r.bigInFlow for r in rows),
            tuple(r.midInFlow for r in rows),
            tuple(r.smlInFlow for r in rows),
        )
        self.flow_at[code] = time.monotonic()
        self.dirty_flows.add(code)

    def set_distribution(self, code: str, s2c) -> None:
        values = (s2c.capitalInSuper, s2c.capitalInBig, s2c.capitalInMid, s2c.capitalInSmall,
                  s2c.capitalOutSuper, s2c.capitalOutBig, s2c.capitalOutMid, s2c.capitalOutSmall)
        try:
            for x in values:
                wire.amount(x, "capital distribution", 0)
        except BadData as exc:
            self.reject(f"capital distribution {code}", exc)
            return
        self.dists[code] = DistSnap(
            code,
            {"super": s2c.capitalInSuper, "big": s2c.capitalInBig, "mid": s2c.capitalInMid, "small": s2c.capitalInSmall},
            {"super": s2c.capitalOutSuper, "big": s2c.capitalOutBig, "mid": s2c.capitalOutMid, "small": s2c.capitalOutSmall},
            wire.stamp(s2c.updateTime),
        )
        self.flow_at[code] = time.monotonic()
        self.dirty_flows.add(code)

    # -- account ------------------------------------------------------------------------

    def apply_order(self, o, acc_id: int = 0) -> OrderRow | None:
        """The order's row, or None if it could not be shown (dropped and counted)."""
        try:
            row = order_row(o, acc_id)
        except BadData as exc:
            self.reject("order", exc)
            return None
        self.orders[row.order_id] = row
        self.dirty_account = True
        return row

    def apply_fill(self, f, acc_id: int = 0) -> tuple[FillRow | None, bool]:
        """Returns the row and whether it is new (a fill pushed twice is counted once)."""
        try:
            row = FillRow(
                fill_id=wire.name(f.fillIDEx), order_id=wire.name(f.orderIDEx), code=wire.trade_code(f.secMarket, f.code),
                name=wire.name(f.name), side=f.trdSide, qty=wire.amount(f.qty, "fill qty", 0), price=wire.price(f.price),
                create_time=wire.stamp(f.createTime), acc_id=acc_id, timestamp=stamp_of(f, "createTimestamp"),
            )
        except BadData as exc:
            self.reject("fill", exc)
            return None, False
        new = row.fill_id not in self.fills
        self.fills[row.fill_id] = row
        self.dirty_account = True
        return row, new

    def clear_account(self) -> None:
        self.orders.clear()
        self.fills.clear()
        self.positions.clear()
        self.funds = Funds()
        self.dirty_account = True

    def set_positions(self, positions) -> None:
        """(acc_id, Trd_Common.Position) pairs: OpenD's figures, then marked to the quotes held."""
        rows = {}
        for acc_id, p in positions:
            try:
                row = position_row(p, acc_id)
            except BadData as exc:
                self.reject("position", exc)
                continue
            rows[row.code] = row
        self.positions = rows
        self.mark_account(set(rows))
        self.dirty_account = True

    def set_funds(self, f, currency: str = "", acc_id: int = 0, rates: dict[str, float] | None = None) -> None:
        self.funds = funds_of(f, currency, acc_id, self.reject)
        self.funds.rates.update(rates or {})
        mark_funds(self.funds, self.positions.values())
        self.dirty_account = True

    def mark_account(self, codes) -> bool:
        """Positions in `codes` marked to their quote's last price, then the funds; True if any moved."""
        moved = False
        for code in codes:
            p, q = self.positions.get(code), self.quotes.get(code)
            if p is not None and q is not None and p.mark(q.last):
                moved = True
        if moved:
            mark_funds(self.funds, self.positions.values())
        return moved

    # -- flushing -----------------------------------------------------------------------

    def take_dirty(self) -> Changes:
        """Everything changed since the last call, and start afresh."""
        marks = bool(self.positions) and bool(self.dirty_quotes) and self.mark_account(self.dirty_quotes)
        out = Changes(self.dirty_quotes, self.dirty_books, self.dirty_tapes, self.dirty_bars, self.dirty_flows,
                      self.dirty_account, marks)
        self.dirty_quotes, self.dirty_books, self.dirty_tapes = set(), set(), set()
        self.dirty_bars, self.dirty_flows, self.dirty_account = set(), set(), False
        return out
