"""State the widgets read: latest quote per code, books, tapes, bars, flows, account.

Pure Python (no Textual, no network): the feed applies pushes and replies here and the
App's flush timer takes what changed (one `Changes`) to refresh only that. "Latest value wins"
data is overwritten in place; tapes and bars are bounded.
"""

from __future__ import annotations

import math
import time
from collections import deque
from dataclasses import dataclass, field
from typing import NamedTuple

from protocol.codes import FINAL_STATUS, code_of, trd_code_of

VERIFYING = -1000  # our own status: the order's reply was lost, reconciling after reconnect
TAPE_LEN = 500
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
    sec_type: int = 0  # Qot_Common.SecurityType from the static info; 0 until it is known
    seq: int = 0  # how many updates this quote has had; tests and tick colouring use it
    prev_last: float = NAN  # last price before the latest update: up-tick or down-tick

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


@dataclass(slots=True)
class OrderRow:
    order_id: str
    code: str
    name: str
    side: int
    order_type: int
    status: int
    qty: float
    price: float
    fill_qty: float = 0.0
    fill_avg_price: float = 0.0
    create_time: str = ""
    update_time: str = ""
    last_error: str = ""
    remark: str = ""
    acc_id: int = 0
    aux_price: float = NAN

    @property
    def is_open(self) -> bool:
        return self.status not in FINAL_STATUS


def order_row(o, acc_id: int = 0) -> OrderRow:
    """A Trd_Common.Order as the orders panel shows it."""
    return OrderRow(
        order_id=o.orderIDEx, code=trd_code_of(o.secMarket, o.code), name=o.name, side=o.trdSide,
        order_type=o.orderType, status=o.orderStatus, qty=o.qty, price=o.price,
        fill_qty=o.fillQty, fill_avg_price=o.fillAvgPrice, create_time=o.createTime,
        update_time=o.updateTime, last_error=o.lastErrMsg, remark=o.remark, acc_id=acc_id,
        aux_price=o.auxPrice if o.HasField("auxPrice") else NAN,
    )


@dataclass(frozen=True, slots=True)
class FillRow:
    fill_id: str
    order_id: str
    code: str
    name: str
    side: int
    qty: float
    price: float
    create_time: str
    acc_id: int = 0


@dataclass(slots=True)
class PositionRow:
    code: str
    name: str
    qty: float
    can_sell_qty: float
    cost_price: float
    price: float
    value: float
    pl_val: float
    pl_ratio: float  # fraction on the wire


@dataclass(slots=True)
class Funds:
    power: float = NAN
    total_assets: float = NAN
    cash: float = NAN
    market_value: float = NAN
    frozen_cash: float = NAN
    unrealized_pl: float = NAN
    realized_pl: float = NAN
    currency: str = ""


@dataclass(frozen=True, slots=True)
class Changes:
    """What changed between two flushes, by kind; each panel watches one or more kinds."""

    quotes: set[str] = field(default_factory=set)
    books: set[str] = field(default_factory=set)  # order book or broker queue
    tapes: set[str] = field(default_factory=set)
    bars: set[tuple[str, int]] = field(default_factory=set)  # (code, K-line type)
    flows: set[str] = field(default_factory=set)  # capital flow or distribution
    account: bool = False  # orders, fills, positions or funds


CHANGE_KINDS = frozenset(Changes.__dataclass_fields__)


@dataclass
class Store:
    quotes: dict[str, Quote] = field(default_factory=dict)
    books: dict[str, BookSnap] = field(default_factory=dict)
    tapes: dict[str, deque[Tick]] = field(default_factory=dict)
    bars: dict[tuple[str, int], list[Bar]] = field(default_factory=dict)
    brokers: dict[str, BrokerSnap] = field(default_factory=dict)
    flows: dict[str, FlowSnap] = field(default_factory=dict)
    dists: dict[str, DistSnap] = field(default_factory=dict)
    orders: dict[str, OrderRow] = field(default_factory=dict)
    fills: dict[str, FillRow] = field(default_factory=dict)
    positions: dict[str, PositionRow] = field(default_factory=dict)
    funds: Funds = field(default_factory=Funds)
    names: dict[str, str] = field(default_factory=dict)
    last_push: float = 0.0  # monotonic time of the last push of any kind
    pushes: int = 0
    # Monotonic time each code's data last changed: the panels show its age and dim when old.
    book_at: dict[str, float] = field(default_factory=dict)  # order book or broker queue
    tape_at: dict[str, float] = field(default_factory=dict)
    bars_at: dict[tuple[str, int], float] = field(default_factory=dict)
    flow_at: dict[str, float] = field(default_factory=dict)  # capital flow or distribution
    _codes: dict[tuple[int, str], str] = field(default_factory=dict)  # (market, symbol) -> "HK.00700"
    # What changed since the last flush, by panel kind.
    dirty_quotes: set[str] = field(default_factory=set)
    dirty_books: set[str] = field(default_factory=set)
    dirty_tapes: set[str] = field(default_factory=set)
    dirty_bars: set[tuple[str, int]] = field(default_factory=set)
    dirty_flows: set[str] = field(default_factory=set)
    dirty_account: bool = False

    def _touch(self) -> float:
        now = self.last_push = time.monotonic()
        self.pushes += 1
        return now

    def quote(self, code: str) -> Quote:
        q = self.quotes.get(code)
        if q is None:
            q = self.quotes[code] = Quote(code, self.names.get(code, ""))
        return q

    # -- quotes -------------------------------------------------------------------------

    def apply_basic_qots(self, items) -> None:
        """Qot_UpdateBasicQot / Qot_GetBasicQot rows."""
        self.last_push = time.monotonic()  # _touch(), inline: this runs for every quote push
        self.pushes += 1
        codes, quotes, dirty = self._codes, self.quotes, self.dirty_quotes
        for item in items:
            sec = item.security
            key = (sec.market, sec.code)
            code = codes.get(key)
            if code is None:
                code = codes[key] = code_of(*key)
            q = quotes.get(code) or self.quote(code)
            if not q.name and item.name:  # names come with the first push; reading one costs
                q.name = self.names[code] = item.name
            q.prev_last = q.last
            q.last = item.curPrice
            q.prev_close = item.lastClosePrice
            q.open, q.high, q.low = item.openPrice, item.highPrice, item.lowPrice
            q.volume = int(item.hpVolume) or item.volume  # hpVolume: the precise one, when sent
            q.turnover = item.turnover
            q.update_time = item.updateTime
            q.seq += 1
            dirty.add(code)

    def apply_order_book(self, s2c) -> None:
        now = self._touch()
        code = code_of(s2c.security.market, s2c.security.code)
        self.book_at[code] = now
        bids = tuple(Level(x.price, x.volume, x.orederCount) for x in s2c.orderBookBidList)
        asks = tuple(Level(x.price, x.volume, x.orederCount) for x in s2c.orderBookAskList)
        self.books[code] = BookSnap(code, bids, asks, s2c.svrRecvTimeBid or s2c.svrRecvTimeAsk)
        q = self.quote(code)
        q.bid, q.bid_vol = (bids[0].price, bids[0].volume) if bids else (NAN, 0)
        q.ask, q.ask_vol = (asks[0].price, asks[0].volume) if asks else (NAN, 0)
        self.dirty_books.add(code)
        self.dirty_quotes.add(code)

    def apply_tickers(self, s2c) -> None:
        now = self._touch()
        code = code_of(s2c.security.market, s2c.security.code)
        self.tape_at[code] = now
        tape = self.tapes.get(code)
        if tape is None:
            tape = self.tapes[code] = deque(maxlen=TAPE_LEN)
        last_seq = tape[-1].seq if tape else -1
        for t in s2c.tickerList:
            if t.sequence <= last_seq:
                continue  # a repeat (first push, backfill after reconnect)
            tape.append(Tick(t.time, t.price, t.volume, t.dir, t.sequence, t.turnover))
            last_seq = t.sequence
        self.dirty_tapes.add(code)

    def apply_broker(self, s2c) -> None:
        now = self._touch()
        code = code_of(s2c.security.market, s2c.security.code)
        self.book_at[code] = now
        self.brokers[code] = BrokerSnap(
            code,
            tuple((b.id, b.name, b.pos) for b in s2c.brokerBidList),
            tuple((b.id, b.name, b.pos) for b in s2c.brokerAskList),
        )
        self.dirty_books.add(code)

    # -- K-lines ------------------------------------------------------------------------

    @staticmethod
    def _bar(k) -> Bar:
        return Bar(k.time, k.openPrice, k.highPrice, k.lowPrice, k.closePrice,
                   int(k.hpVolume) if k.HasField("hpVolume") else k.volume, k.turnover)

    def set_bars(self, code: str, kl_type: int, klines) -> None:
        """History (RequestHistoryKL): replaces what we had for this code and period."""
        bars = [self._bar(k) for k in klines if not k.isBlank]
        self.bars[(code, kl_type)] = bars[-BARS_LEN:]
        self.bars_at[(code, kl_type)] = time.monotonic()
        self.dirty_bars.add((code, kl_type))

    def apply_kl(self, s2c) -> None:
        """Qot_UpdateKL: the forming bar is replaced, a new bar is appended."""
        now = self._touch()
        code = code_of(s2c.security.market, s2c.security.code)
        key = (code, s2c.klType)
        self.bars_at[key] = now
        bars = self.bars.setdefault(key, [])
        for k in s2c.klList:
            if k.isBlank:
                continue
            bar = self._bar(k)
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
        self.flows[code] = FlowSnap(
            code,
            tuple(r.time for r in rows),
            tuple(r.inFlow for r in rows),
            tuple(r.superInFlow for r in rows),
            tuple(r.bigInFlow for r in rows),
            tuple(r.midInFlow for r in rows),
            tuple(r.smlInFlow for r in rows),
        )
        self.flow_at[code] = time.monotonic()
        self.dirty_flows.add(code)

    def set_distribution(self, code: str, s2c) -> None:
        self.dists[code] = DistSnap(
            code,
            {"super": s2c.capitalInSuper, "big": s2c.capitalInBig, "mid": s2c.capitalInMid, "small": s2c.capitalInSmall},
            {"super": s2c.capitalOutSuper, "big": s2c.capitalOutBig, "mid": s2c.capitalOutMid, "small": s2c.capitalOutSmall},
            s2c.updateTime,
        )
        self.flow_at[code] = time.monotonic()
        self.dirty_flows.add(code)

    # -- account ------------------------------------------------------------------------

    def apply_order(self, o, acc_id: int = 0) -> OrderRow:
        row = order_row(o, acc_id)
        self.orders[row.order_id] = row
        self.dirty_account = True
        return row

    def apply_fill(self, f, acc_id: int = 0) -> tuple[FillRow, bool]:
        """Returns the row and whether it is new (a fill pushed twice is counted once)."""
        row = FillRow(
            fill_id=f.fillIDEx, order_id=f.orderIDEx, code=trd_code_of(f.secMarket, f.code), name=f.name,
            side=f.trdSide, qty=f.qty, price=f.price, create_time=f.createTime, acc_id=acc_id,
        )
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
        self.positions = {
            (code := trd_code_of(p.secMarket, p.code)): PositionRow(
                code=code, name=p.name, qty=p.qty, can_sell_qty=p.canSellQty,
                cost_price=p.costPrice if p.HasField("costPrice") else NAN,
                price=p.price, value=p.val, pl_val=p.plVal,
                pl_ratio=p.plRatio if p.HasField("plRatio") else NAN,
            )
            for p in positions
        }
        self.dirty_account = True

    def set_funds(self, f, currency: str = "") -> None:
        self.funds = Funds(
            power=f.power, total_assets=f.totalAssets, cash=f.cash, market_value=f.marketVal,
            frozen_cash=f.frozenCash,
            unrealized_pl=f.unrealizedPL if f.HasField("unrealizedPL") else NAN,
            realized_pl=f.realizedPL if f.HasField("realizedPL") else NAN,
            currency=currency,
        )
        self.dirty_account = True

    # -- flushing -----------------------------------------------------------------------

    def take_dirty(self) -> Changes:
        """Everything changed since the last call, and start afresh."""
        out = Changes(self.dirty_quotes, self.dirty_books, self.dirty_tapes, self.dirty_bars, self.dirty_flows,
                      self.dirty_account)
        self.dirty_quotes, self.dirty_books, self.dirty_tapes = set(), set(), set()
        self.dirty_bars, self.dirty_flows, self.dirty_account = set(), set(), False
        return out
