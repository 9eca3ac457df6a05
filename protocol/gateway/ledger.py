"""The paper broker's records: wire enums, orders, fills, positions, accounts, events, views.

Plain data with the arithmetic that belongs to one record (an order's frozen cash, its
fees); the rules that move them live in protocol/gateway/broker.py. The enums are
protocol/trade.py's, the wire values of Trd_Common.proto.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from protocol import fees as fee_schedule
from protocol.trade import CURRENCY_OF, Currency, OrderStatus, OrderType, Side, TrdEnv, TrdMarket

SECURITY_FIRM_FUTU_HK = 1
HKD_PER = {Currency.HKD: 1.0, Currency.USD: 7.8, Currency.CNH: 1.08}  # fixed paper FX rates
MARKET_PROTECTION = 0.05  # MARKET orders never fill further than this from the reference price
ACTIVE = frozenset(s for s in OrderStatus if s.is_active)


def money(value: float, currency: int) -> str:
    return f"{Currency(currency).name} {value:,.2f}"


_BUY_SIDES = frozenset(s for s in Side if s.is_buy)


class _Coded:
    """Market and bare symbol of a "MARKET.SYMBOL" code field."""

    code: str

    @property
    def market(self) -> str:
        return self.code.split(".", 1)[0]

    @property
    def symbol(self) -> str:
        return self.code.split(".", 1)[1]


@dataclass
class Order(_Coded):
    order_id: int
    order_id_ex: str
    acc_id: int
    env: int
    code: str  # "HK.00700"
    name: str
    side: int
    order_type: int
    qty: float
    price: float  # as given; 0 for MARKET / STOP
    aux_price: float | None
    tif: int
    remark: str
    fill_outside_rth: bool
    lot: int
    create_time: float
    update_time: float
    status: int = OrderStatus.SUBMITTING
    fill_qty: float = 0.0
    fill_value: float = 0.0
    last_err: str = ""
    limit: float = 0.0  # effective matching limit: price, or the protection price of a market order
    triggered: bool = True  # STOP / STOP_LIMIT: has the trigger fired
    opening: bool = True  # buys that open/add long, short sales: these freeze cash
    fees: list[tuple[str, float]] = field(default_factory=list)


    @property
    def currency(self) -> Currency:
        return CURRENCY_OF[self.market]

    @property
    def is_buy(self) -> bool:
        return self.side in _BUY_SIDES

    @property
    def remaining(self) -> float:
        return self.qty - self.fill_qty

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    @property
    def avg_price(self) -> float:
        return self.fill_value / self.fill_qty if self.fill_qty else 0.0

    @property
    def fee_total(self) -> float:
        return fee_schedule.total(self.fees)

    @property
    def market_like(self) -> bool:
        """Fills at the trade price (MARKET, triggered STOP) rather than at its own price."""
        return self.order_type in (OrderType.MARKET, OrderType.STOP)

    def frozen(self) -> float:
        """Cash this working order holds back from buying power."""
        if not self.active or not self.opening:
            return 0.0
        basis = self.limit if self.triggered else self._trigger_basis()
        value = self.remaining * basis
        if not self.is_buy:  # a short sale freezes its notional as collateral
            return value
        est = fee_schedule.total(fee_schedule.fee_items(self.market, self.remaining, value, False))
        return value + est

    def _trigger_basis(self) -> float:
        if self.order_type == OrderType.STOP_LIMIT:
            return self.price
        aux = self.aux_price or 0.0
        return aux * (1 + MARKET_PROTECTION) if self.is_buy else aux * (1 - MARKET_PROTECTION)


@dataclass
class Fill(_Coded):
    fill_id: int
    fill_id_ex: str
    order_id: int
    order_id_ex: str
    acc_id: int
    env: int
    code: str
    name: str
    side: int
    qty: float
    price: float
    time: float
    counter_broker: tuple[int, str] | None = None
    status: int = 0  # FillStatus: OK, or CANCELLED / CHANGED when the exchange busts or corrects it



@dataclass
class Position(_Coded):
    position_id: int
    code: str
    name: str
    qty: float = 0.0  # signed: negative = short
    avg_cost: float = 0.0  # average fill price of the open quantity (fees excluded)
    realized: float = 0.0  # realized P&L on this code, fees included
    fees: float = 0.0  # all fees paid on this code
    net_cost: float = 0.0  # buys + fees - sells: the diluted cost basis
    day: str = ""  # the local day the today_* counters belong to
    today_buy_qty: float = 0.0
    today_buy_val: float = 0.0
    today_sell_qty: float = 0.0
    today_sell_val: float = 0.0
    t1_locked: float = 0.0  # A-shares bought today (T+1)



@dataclass
class Account:
    acc_id: int
    env: int
    markets: tuple[int, ...]  # TrdMarket values it may trade (trdMarketAuthList)
    quote_markets: frozenset[str]  # "HK", "US", "SH", "SZ"
    currency: Currency  # reporting currency
    cash: dict[Currency, float]
    acc_type: int  # TrdAccType: 1 cash, 2 margin
    short_markets: frozenset[str] = frozenset()
    security_firm: int | None = None
    sim_acc_type: int | None = None
    card_num: str | None = None
    uni_card_num: str | None = None
    status: int = 0  # AccStatus: ACTIVE, or DISABLED (listed, cannot trade)
    initial_cash: dict[Currency, float] = field(default_factory=dict)
    orders: dict[int, Order] = field(default_factory=dict)
    fills: list[Fill] = field(default_factory=list)
    positions: dict[str, Position] = field(default_factory=dict)
    realized: dict[Currency, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.initial_cash = dict(self.cash)
        self.realized = {cur: 0.0 for cur in self.cash}


@dataclass(frozen=True)
class OrderEvent:
    order: Order  # a snapshot, safe to keep

    @property
    def acc_id(self) -> int:
        return self.order.acc_id


@dataclass(frozen=True)
class FillEvent:
    fill: Fill

    @property
    def acc_id(self) -> int:
        return self.fill.acc_id


Event = OrderEvent | FillEvent


@dataclass(frozen=True)
class PositionView:
    position: Position
    price: float
    qty: float
    can_sell: float
    value: float
    avg_cost: float
    diluted_cost: float
    unrealized: float
    pl_val: float  # P&L against the diluted cost (realized + unrealized - fees on this code)
    pl_ratio: float | None  # fraction of the diluted cost basis
    avg_pl_ratio: float | None  # fraction of the average cost basis
    today: bool  # the today_* counters are for today
    today_pl: float = 0.0  # value now - value at the previous close of the day's opening quantity - buys + sells


@dataclass(frozen=True)
class Funds:
    currency: Currency
    power: float
    total_assets: float
    cash: float
    market_val: float
    long_mv: float
    short_mv: float
    frozen_cash: float
    avl_withdrawal_cash: float
    unrealized_pl: float
    realized_pl: float
    max_power_short: float
    cash_by_currency: dict[Currency, tuple[float, float, float]]  # cash, withdrawable, power
    assets_by_market: dict[int, float]


@dataclass(frozen=True)
class MaxQtys:
    cash_buy: float
    cash_and_margin_buy: float
    position_sell: float
    sell_short: float
    buy_back: float


def default_accounts() -> list[Account]:
    hk, us, cn = frozenset({"HK"}), frozenset({"US"}), frozenset({"SH", "SZ"})
    return [
        # A universal account, as Futu's are: HK, US and A-shares through Stock Connect (HKCC).
        Account(281756480572583411, TrdEnv.REAL, (TrdMarket.HK, TrdMarket.US, TrdMarket.HKCC), hk | us | cn,
                Currency.HKD, {Currency.HKD: 500_000.0, Currency.USD: 50_000.0, Currency.CNH: 200_000.0},
                acc_type=2, short_markets=us,
                security_firm=SECURITY_FIRM_FUTU_HK, card_num="1001318721909873",
                uni_card_num="1001200163530138"),
        Account(3450309, TrdEnv.SIMULATE, (TrdMarket.HK,), hk, Currency.HKD, {Currency.HKD: 1_000_000.0},
                acc_type=1, sim_acc_type=1),
        Account(3450310, TrdEnv.SIMULATE, (TrdMarket.US,), us, Currency.USD, {Currency.USD: 1_000_000.0},
                acc_type=2, sim_acc_type=1, short_markets=us),
        Account(3450311, TrdEnv.SIMULATE, (TrdMarket.CN,), cn, Currency.CNH, {Currency.CNH: 1_000_000.0},
                acc_type=1, sim_acc_type=1),
    ]
