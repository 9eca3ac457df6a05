"""The account's rows as the orders, fills and positions tabs and the funds line show them,
built from OpenD's Trd_Common messages through the wire checks (BadData if one cannot be shown)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from protocol.trade import status_is_open
from workstation import wire

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
