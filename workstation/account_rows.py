"""The account's rows as the orders, fills and positions tabs and the funds line show them,
built from OpenD's Trd_Common messages through the wire checks (BadData if one cannot be shown)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from protocol.trade import Currency, status_is_open
from workstation import wire
from workstation.wire import BadData

NAN = math.nan
VERIFYING = -1000  # our own status: the order's reply was lost, reconciling after reconnect


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
    create_timestamp: float = 0.0  # epoch seconds: orders of every market sort on one time line
    update_timestamp: float = 0.0

    @property
    def is_open(self) -> bool:
        return status_is_open(self.status)


def order_row(o, acc_id: int = 0) -> OrderRow:
    """A Trd_Common.Order as the orders panel shows it (BadData if it cannot be shown)."""
    return OrderRow(
        order_id=wire.name(o.orderIDEx), code=wire.trade_code(o.secMarket, o.code), name=wire.name(o.name),
        side=o.trdSide, order_type=o.orderType, status=o.orderStatus, qty=wire.amount(o.qty, "qty", 0),
        price=wire.price(o.price), fill_qty=wire.amount(o.fillQty, "filled qty", 0),
        fill_avg_price=wire.price(o.fillAvgPrice), create_time=wire.stamp(o.createTime),
        update_time=wire.stamp(o.updateTime), last_error=wire.message(o.lastErrMsg), remark=wire.remark(o.remark),
        acc_id=acc_id, aux_price=wire.price(o.auxPrice, "trigger") if o.HasField("auxPrice") else NAN,
        create_timestamp=stamp_of(o, "createTimestamp"), update_timestamp=stamp_of(o, "updateTimestamp"),
    )


def stamp_of(msg, name: str) -> float:
    """An optional epoch timestamp field; 0.0 when absent or not a sane time."""
    value = getattr(msg, name) if msg.HasField(name) else 0.0
    return value if math.isfinite(value) and 0 < value < 1e11 else 0.0


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
    timestamp: float = 0.0  # epoch seconds


CURRENCY_OF_MARKET = {"HK": "HKD", "US": "USD", "SH": "CNH", "SZ": "CNH", "SG": "SGD", "JP": "JPY", "AU": "AUD",
                      "MY": "MYR", "CA": "CAD"}


def currency_word(value: int, code: str = "") -> str:
    """A Trd_Common.Currency as three letters; unknown values fall back to the code's market."""
    try:
        return Currency(value).name
    except ValueError:
        return CURRENCY_OF_MARKET.get(code.split(".", 1)[0], "")


def money(x: float) -> float:
    """An amount drawn as money: NaN unless finite and in range."""
    return x if -wire.AMOUNT_MAX < x < wire.AMOUNT_MAX else NAN


@dataclass(slots=True)
class PositionRow:
    """A position as OpenD last reported it (`read_*`) and as marked since from the latest
    quote in the store (`price`, `value`, the P&Ls). P&L is against the average cost."""

    code: str
    name: str
    qty: float
    can_sell_qty: float
    avg_cost: float  # averageCostPrice (NaN: not sent)
    diluted_cost: float  # dilutedCostPrice, or the older costPrice (diluted for securities)
    price: float
    value: float
    pl_val: float  # against the average cost
    pl_ratio: float  # fraction, against the average cost
    diluted_pl: float  # OpenD's plVal: against the diluted cost
    today_pl: float  # td_plVal (NaN: not sent)
    currency: str
    acc_id: int = 0
    read_price: float = NAN  # OpenD's figures when last read: marking starts from these
    read_value: float = NAN
    read_pl: float = NAN
    read_diluted_pl: float = NAN
    read_today_pl: float = NAN
    multiplier: float = 1.0  # value per unit of price per share (options: the contract size)

    def mark(self, last: float) -> bool:
        """Mark to `last`: value and P&Ls move by quantity x price move. False if unchanged."""
        if not (0 < last < wire.PRICE_MAX) or last == self.price or math.isnan(self.read_price):
            return False
        move = self.multiplier * self.qty * (last - self.read_price)
        self.price = last
        self.value = money(self.read_value + move)
        self.pl_val = money(self.read_pl + move)
        self.diluted_pl = money(self.read_diluted_pl + move)
        self.today_pl = money(self.read_today_pl + move)
        self.pl_ratio = ratio(self.pl_val, self.multiplier * self.qty * self.avg_cost)
        return True


def ratio(pl: float, basis: float) -> float:
    basis = abs(basis)
    return pl / basis if basis > 1e-9 and not math.isnan(pl) else NAN


def position_row(p, acc_id: int = 0) -> PositionRow:
    """A Trd_Common.Position (BadData if it cannot be shown; odd optional figures read as NaN)."""
    code = wire.trade_code(p.secMarket, p.code)
    qty = wire.amount(p.qty, "qty")
    price = wire.price(p.price)
    value = money(p.val)

    def opt(name: str) -> float:
        return money(getattr(p, name)) if p.HasField(name) else NAN

    avg = opt("averageCostPrice")
    diluted = opt("dilutedCostPrice") if p.HasField("dilutedCostPrice") else opt("costPrice")
    mult = value / (qty * price) if qty and price else 1.0
    mult = mult if 0.001 <= mult <= 1e6 else 1.0
    if math.isnan(value):  # not sent sanely: quantity x price is what it means
        value = money(qty * price)
    if p.HasField("unrealizedPL"):
        pl = money(p.unrealizedPL)
    else:
        pl = money(mult * qty * (price - avg))
    diluted_pl = money(p.plVal)
    row = PositionRow(
        code=code, name=wire.name(p.name), qty=qty, can_sell_qty=wire.amount(p.canSellQty, "can-sell qty"),
        avg_cost=avg, diluted_cost=diluted, price=price, value=value, pl_val=pl,
        pl_ratio=ratio(pl, mult * qty * avg), diluted_pl=diluted_pl, today_pl=opt("td_plVal"),
        currency=currency_word(p.currency if p.HasField("currency") else 0, code), acc_id=acc_id,
        read_price=price, read_value=value, read_pl=pl, read_diluted_pl=diluted_pl, multiplier=mult,
    )
    row.read_today_pl = row.today_pl
    return row


@dataclass(slots=True)
class Funds:
    """The active account's funds in its currency, as OpenD last reported them (`read_*`) and
    marked since by its positions' moves; `cash_by` and `rates` per currency."""

    power: float = NAN
    total_assets: float = NAN
    cash: float = NAN
    market_value: float = NAN
    frozen_cash: float = NAN
    unrealized_pl: float = NAN
    realized_pl: float = NAN
    currency: str = ""
    acc_id: int = 0
    withdrawable: float = NAN
    read_total: float = NAN
    read_value: float = NAN
    read_unrealized: float = NAN
    cash_by: dict[str, tuple[float, float, float]] = field(default_factory=dict)  # cash, withdrawable, power
    rates: dict[str, float] = field(default_factory=dict)  # one unit of the currency in the account's


MAX_CURRENCIES = 12  # cashInfoList rows kept


def funds_of(f, currency: str, acc_id: int, reject) -> Funds:
    """A Trd_Common.Funds: a figure that cannot be shown reads as NaN (and `reject` is told)."""
    def shown(name: str, what: str) -> float:
        if not f.HasField(name):
            return NAN
        try:
            return wire.optional(getattr(f, name), what)
        except BadData as exc:
            reject("funds", exc)
            return NAN

    out = Funds(
        power=shown("power", "buying power"), total_assets=shown("totalAssets", "total assets"),
        cash=shown("cash", "cash"), market_value=shown("marketVal", "market value"),
        frozen_cash=shown("frozenCash", "frozen cash"), unrealized_pl=shown("unrealizedPL", "unrealized P&L"),
        realized_pl=shown("realizedPL", "realized P&L"), currency=currency, acc_id=acc_id,
        withdrawable=shown("avlWithdrawalCash", "withdrawable cash"),
    )
    out.read_total, out.read_value, out.read_unrealized = out.total_assets, out.market_value, out.unrealized_pl
    for c in f.cashInfoList[:MAX_CURRENCIES]:
        word = currency_word(c.currency)
        if word:
            out.cash_by[word] = (money(c.cash), money(c.availableBalance), money(c.netCashPower))
    if currency:
        out.rates[currency] = 1.0
    return out


def mark_funds(funds: Funds, positions) -> None:
    """Total assets, market value and unrealized P&L moved by the account's positions' moves
    since they were read, each converted at the rate OpenD's figures give (a currency
    without a rate is left out)."""
    move = 0.0
    for p in positions:
        if p.acc_id != funds.acc_id or math.isnan(p.value) or math.isnan(p.read_value):
            continue
        rate = funds.rates.get(p.currency)
        if rate is not None:
            move += (p.value - p.read_value) * rate
    funds.total_assets = money(funds.read_total + move)
    funds.market_value = money(funds.read_value + move)
    funds.unrealized_pl = money(funds.read_unrealized + move)
