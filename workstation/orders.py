"""Order tickets: what the order form returns, the checks run before anything is sent,
and the Trd_PlaceOrder request built from a ticket.

Pure Python: no Textual, no network. The rules are protocol/markets.py's (tick grids, the
A-share odd-lot rule), the words protocol/trade.py's (Side, OrderType, ...).
"""

from __future__ import annotations

import math
import re
import secrets
from dataclasses import dataclass

from protocol.codes import split_code
from protocol.markets import (
    UNIT, lot_ok, odd_lot_sell, on_tick_grid, round_to_tick, tick_down_units, tick_size, tick_up_units,
)
from protocol.proto import Trd_Common_pb2, Trd_PlaceOrder_pb2
from protocol.trade import SEC_MARKET_OF, OrderType, Session, Side, TimeInForce, TrdEnv

# What the order form can send (OpenD knows more sides and types).
SIDES = (Side.BUY, Side.SELL, Side.SELL_SHORT)
ORDER_TYPES = (OrderType.NORMAL, OrderType.MARKET, OrderType.ABSOLUTE_LIMIT, OrderType.STOP, OrderType.STOP_LIMIT)
TIFS = (TimeInForce.DAY, TimeInForce.GTC)
SESSIONS = (Session.NONE, Session.RTH, Session.ETH)  # NONE: the market's default; the others for US only
REMARK_BYTES = 64  # OpenD's limit on an order's remark, in UTF-8 bytes
# Each order carries its client reference in the remark, after the trader's own text:
# "<text> ft:<12 hex>", so reconciliation matches an order to its intent exactly.
TAG_PREFIX = "ft:"
REF_CHARS = 12
TAG_BYTES = 1 + len(TAG_PREFIX) + REF_CHARS  # the space, the prefix, the reference
TRADER_REMARK_BYTES = REMARK_BYTES - TAG_BYTES  # what is left for the trader's text
_TAG = re.compile(r"(?:^| )" + re.escape(TAG_PREFIX) + r"([0-9a-f]{%d})$" % REF_CHARS)

@dataclass(frozen=True)
class Ticket:
    code: str  # "HK.00700"
    side: int  # a Side
    qty: float
    price: float = 0.0  # limit price; ignored by MARKET and STOP
    order_type: int = OrderType.NORMAL
    aux_price: float | None = None  # trigger price, STOP / STOP_LIMIT only
    tif: int = TimeInForce.DAY
    session: int = Session.NONE
    remark: str = ""
    env: int = TrdEnv.SIMULATE
    acc_id: int = 0

    @property
    def market(self) -> str:
        return split_code(self.code)[0]

    @property
    def has_price(self) -> bool:
        return _type(self.order_type).needs_price

    @property
    def needs_trigger(self) -> bool:
        return _type(self.order_type).needs_trigger


def _type(value: int) -> OrderType:
    try:
        return OrderType(value)
    except ValueError:
        return OrderType.MARKET  # unknown types use no price; validate() refuses them anyway


@dataclass(frozen=True)
class Limits:
    band_pct: float = 10.0  # limit price at most this far from the last price
    max_notional: float = 1_000_000.0  # per order, in the security's currency
    allow_short: bool = False
    remark_bytes: int = REMARK_BYTES  # the app passes TRADER_REMARK_BYTES: the rest carries the reference


@dataclass(frozen=True)
class Problem:
    field: str  # the Ticket field the form should mark
    message: str


def fmt(x: float) -> str:
    """A price or quantity without float noise: 612.5, 0.0105, 100."""
    return f"{x:.4f}".rstrip("0").rstrip(".")


def _known(x: float | None) -> bool:
    return x is not None and math.isfinite(x) and x > 0


def _grid_problem(field: str, market: str, price: float, spread: float | None) -> Problem | None:
    if on_tick_grid(market, price, spread):
        return None
    lo, hi = round_to_tick(market, price, up=False, spread=spread), round_to_tick(market, price, up=True, spread=spread)
    return Problem(field, f"{fmt(price)} is off the tick grid: the tick is {fmt(tick_size(market, price, spread))} "
                          f"here; nearest valid prices {fmt(lo)} and {fmt(hi)}")


def price_band(market: str, last_price: float, band_pct: float, spread: float | None = None) -> tuple[float, float]:
    """The limit prices within ±band_pct of the last price, on the tick grid."""
    lo = round_to_tick(market, last_price * (1 - band_pct / 100), up=True, spread=spread)
    hi = round_to_tick(market, last_price * (1 + band_pct / 100), up=False, spread=spread)
    return lo, hi


def validate(ticket: Ticket, *, lot_size: int, last_price: float | None, can_sell_qty: float,
             limits: Limits = Limits(), spread: float | None = None) -> list[Problem]:
    """Everything wrong with a ticket, one Problem per rule broken; empty means sendable.
    `spread` is the quote's priceSpread when known: it wins over the market's tick table."""
    t = ticket
    try:
        market = t.market
    except ValueError as exc:
        return [Problem("code", str(exc))]
    out: list[Problem] = []
    if t.side not in SIDES:
        out.append(Problem("side", f"unsupported side {Side.word_of(t.side)}"))
    if t.order_type not in ORDER_TYPES:
        out.append(Problem("order_type", f"unsupported order type {OrderType.word_of(t.order_type)}"))
    if t.tif not in TIFS:
        out.append(Problem("tif", f"unsupported time in force {t.tif}"))
    if t.session not in SESSIONS or (t.session != Session.NONE and market != "US"):
        out.append(Problem("session", "the trading session applies to US orders only (RTH or extended)"))

    lot = max(int(lot_size), 1)
    is_buy = t.side in SIDES and Side(t.side).is_buy
    if not (t.qty > 0):
        out.append(Problem("qty", "quantity must be more than 0"))
    elif not lot_ok(market, t.qty, lot, is_buy=is_buy, can_sell=can_sell_qty):
        below = math.floor(t.qty / lot) * lot
        near = f"{fmt(below)} or {fmt(below + lot)}" if below else fmt(lot)
        odd = odd_lot_sell(market, is_buy, can_sell_qty, lot)
        if odd:
            near += f" (or all {fmt(odd)}: odd lots may be sold, not bought)"
        out.append(Problem("qty", f"quantity must be a multiple of the lot size {lot}; try {near}"))

    last_ok = _known(last_price)
    if t.has_price:
        if not _known(t.price):
            out.append(Problem("price", "a limit price is required"))
        elif (grid := _grid_problem("price", market, t.price, spread)) is not None:
            out.append(grid)
        elif not last_ok:
            out.append(Problem("price", "no last price yet to check the price band against; wait for a quote"))
        else:
            assert last_price is not None
            move = (t.price / last_price - 1) * 100
            if abs(move) > limits.band_pct + 1e-9:
                lo, hi = price_band(market, last_price, limits.band_pct, spread)
                out.append(Problem("price", f"{fmt(t.price)} is {abs(move):.1f}% {'above' if move > 0 else 'below'} "
                                            f"the last price {fmt(last_price)}; the band is ±{limits.band_pct:g}% "
                                            f"({fmt(lo)} to {fmt(hi)})"))

    if t.needs_trigger:
        aux = t.aux_price
        if not _known(aux):
            out.append(Problem("aux_price", "a trigger price is required for stop orders"))
        elif (grid := _grid_problem("aux_price", market, aux, spread)) is not None:
            out.append(grid)
        elif last_ok:
            assert aux is not None and last_price is not None
            if t.side == Side.BUY and aux <= last_price:
                out.append(Problem("aux_price", f"a buy stop triggers above the last price {fmt(last_price)}"))
            elif t.side in (Side.SELL, Side.SELL_SHORT) and aux >= last_price:
                out.append(Problem("aux_price", f"a sell stop triggers below the last price {fmt(last_price)}"))

    # Notional at the limit price, or at the last price when the order has none.
    ref = t.price if t.has_price and _known(t.price) else last_price
    if t.qty > 0 and _known(ref):
        assert ref is not None
        notional = t.qty * ref
        if notional > limits.max_notional:
            out.append(Problem("qty", f"notional {notional:,.2f} is over the per-order cap "
                                      f"of {limits.max_notional:,.2f}"))
    elif t.qty > 0 and not t.has_price:
        out.append(Problem("price", "no last price yet to estimate the notional; wait for a quote"))

    if t.side == Side.SELL and t.qty > can_sell_qty:
        hint = "; to short, choose SELL SHORT (ctrl+s)" if limits.allow_short else ""
        out.append(Problem("qty", f"you can sell at most {fmt(max(can_sell_qty, 0))}{hint}"))
    elif t.side == Side.SELL_SHORT and not limits.allow_short:
        out.append(Problem("side", "short selling is turned off in the order limits"))

    size = len(t.remark.encode("utf-8"))
    if size > limits.remark_bytes:
        out.append(Problem("remark", f"remark is {size} bytes in UTF-8; at most {limits.remark_bytes}"))
    return out


def nudge_price(code: str, price: float, ticks: int, spread: float | None = None) -> float:
    """Move `price` by `ticks` grid steps, following the spread table across band edges
    (or the quote's `spread`, when given).

    An off-grid price first snaps to the grid in the direction of travel (that counts as
    one step). Never goes below the smallest grid price.
    """
    market = split_code(code)[0]
    if ticks == 0:
        return price
    step = tick_up_units if ticks > 0 else tick_down_units
    if price <= 0:
        u = 0
    elif on_tick_grid(market, price, spread):
        u = round(price * UNIT)
    else:
        u = round(round_to_tick(market, price, up=ticks > 0, spread=spread) * UNIT)
        ticks -= 1 if ticks > 0 else -1
    for _ in range(abs(ticks)):
        nxt = step(market, u, spread)
        if nxt <= 0:
            break
        u = nxt
    if u <= 0:
        u = tick_up_units(market, 0, spread)
    return u / UNIT


def nudge_qty(qty: float, lots: int, lot_size: int) -> float:
    """Move `qty` by `lots` board lots, snapping to a lot multiple; at least one lot."""
    lot = max(int(lot_size), 1)
    units = qty / lot
    n = (math.floor(units + 1e-9) if lots > 0 else math.ceil(units - 1e-9)) + lots
    return max(n, 1) * lot


def new_ref() -> str:
    """A fresh client reference: 12 hex digits, unique across runs (48 random bits)."""
    return secrets.token_hex(REF_CHARS // 2)


def tagged_remark(remark: str, ref: str) -> str:
    """The remark OpenD gets: the trader's text, then the client reference."""
    return f"{remark} {TAG_PREFIX}{ref}" if remark else f"{TAG_PREFIX}{ref}"


def split_remark(remark: str) -> tuple[str, str | None]:
    """An order's remark as (the trader's text, the client reference or None)."""
    m = _TAG.search(remark or "")
    if m is None:
        return remark, None
    return remark[:m.start()], m.group(1)


def to_c2s(ticket: Ticket, header: Trd_Common_pb2.TrdHeader, ref: str | None = None) -> Trd_PlaceOrder_pb2.C2S:
    """The request the official SDK's place_order sends for this ticket (with `ref`, the remark
    carries the client reference after the trader's text); the client fills packetID."""
    t = ticket
    market, symbol = split_code(t.code)
    c2s = Trd_PlaceOrder_pb2.C2S(
        header=header, trdSide=t.side, orderType=t.order_type, code=symbol, qty=float(t.qty),
        price=float(t.price) if t.has_price else 0.0,
        adjustPrice=False, adjustSideAndLimit=0.0,  # the SDK always sends these (adjust_limit=0)
        secMarket=SEC_MARKET_OF.get(market, 0), timeInForce=t.tif,
        fillOutsideRTH=t.session == Session.ETH, session=t.session,
    )
    remark = tagged_remark(t.remark, ref) if ref else t.remark
    if remark:
        c2s.remark = remark
    if t.needs_trigger and t.aux_price is not None:
        c2s.auxPrice = float(t.aux_price)
    return c2s
