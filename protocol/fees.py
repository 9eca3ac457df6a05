"""Published fee schedules per market, named, so a preview can say which one it estimates with.

Both ends use them: the paper broker charges them, the order form shows an estimate. The
figures are modelled on Futu's published retail schedules (the vendor docs in seeds/ give
no fee table); a real account's fees differ with plan, promotions and the broker's own
rounding, so on the workstation a figure from here is always an estimate, and says which
schedule it came from.

Fees are charged per order on its cumulative fills: after every fill the order's fees are
recomputed for the total filled quantity and value, and the difference is debited. So
per-order minimums and fixed platform fees are paid once, on the first fill, and an order
that never fills costs nothing. Every item is rounded to cents.

HK (HKD)                              US (USD)                          A-shares SH/SZ (CNH)
  Commission    0.03%, min 3            Commission  0.0049/sh, min 0.99,   Commission  0.03%, min 3
  Platform fee  15 per order                        max 0.5% of value      Platform fee 15 per order
  Stamp duty    0.1%, rounded up to 1   Platform fee 0.005/sh, min 1.00    Handling fee 0.00341%
  Trading fee   0.00565%, min 0.01      Settlement  0.003/sh               Management fee 0.002%
  SFC levy      0.0027%, min 0.01       SEC fee     0.00278% (sells)       Transfer fee 0.001%
  AFRC levy     0.00015%                FINRA TAF   0.000166/sh (sells),   Stamp duty  0.05% (sells)
  Settlement    0.002%, min 2, max 100              min 0.01, max 8.30
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from protocol.trade import Currency

FeeItems = list[tuple[str, float]]


def _pct(value: float, rate: float, lo: float = 0.0, hi: float = math.inf) -> float:
    return min(max(value * rate, lo), hi)


def hk_fees(qty: float, value: float, is_sell: bool) -> FeeItems:
    return [
        ("Commission", _pct(value, 0.0003, 3.0)),
        ("Platform fee", 15.0),
        ("Stamp duty", float(math.ceil(value * 0.001 - 1e-9))),
        ("Trading fee", _pct(value, 0.0000565, 0.01)),
        ("SFC levy", _pct(value, 0.000027, 0.01)),
        ("AFRC levy", value * 0.0000015),
        ("Settlement fee", _pct(value, 0.00002, 2.0, 100.0)),
    ]


def us_fees(qty: float, value: float, is_sell: bool) -> FeeItems:
    items = [
        ("Commission", min(max(qty * 0.0049, 0.99), max(value * 0.005, 0.99))),
        ("Platform fee", max(qty * 0.005, 1.0)),
        ("Settlement fee", qty * 0.003),
    ]
    if is_sell:
        items.append(("SEC fee", _pct(value, 0.0000278, 0.01)))
        items.append(("FINRA TAF", min(max(qty * 0.000166, 0.01), 8.30)))
    return items


def cn_fees(qty: float, value: float, is_sell: bool) -> FeeItems:
    items = [
        ("Commission", _pct(value, 0.0003, 3.0)),
        ("Platform fee", 15.0),
        ("Handling fee", value * 0.0000341),
        ("Management fee", value * 0.00002),
        ("Transfer fee", value * 0.00001),
    ]
    if is_sell:
        items.append(("Stamp duty", value * 0.0005))
    return items


@dataclass(frozen=True)
class FeeSchedule:
    """One published schedule: its name and the fee lines it charges an order."""

    name: str
    currency: Currency
    lines: Callable[[float, float, bool], FeeItems]

    def items(self, qty: float, value: float, is_sell: bool) -> FeeItems:
        """Fee lines for an order that has filled `qty` shares worth `value` so far."""
        if qty <= 0:
            return []
        return [(title, round(amount, 2)) for title, amount in self.lines(qty, value, is_sell)]

    def total(self, qty: float, value: float, is_sell: bool) -> float:
        return total(self.items(qty, value, is_sell))


HK_SCHEDULE = FeeSchedule("Futu HK published schedule", Currency.HKD, hk_fees)
US_SCHEDULE = FeeSchedule("Futu US published schedule", Currency.USD, us_fees)
CN_SCHEDULE = FeeSchedule("Futu A-share (Stock Connect) published schedule", Currency.CNH, cn_fees)
SCHEDULES: dict[str, FeeSchedule] = {"HK": HK_SCHEDULE, "US": US_SCHEDULE, "SH": CN_SCHEDULE, "SZ": CN_SCHEDULE}


def schedule_for(market: str) -> FeeSchedule | None:
    """The schedule for a market prefix ("HK", "US", "SH", "SZ"), or None if we have none."""
    return SCHEDULES.get(market)


def fee_items(market: str, qty: float, value: float, is_sell: bool) -> FeeItems:
    """Fee lines for an order that has filled `qty` shares worth `value` so far."""
    return SCHEDULES[market].items(qty, value, is_sell)


def total(items: FeeItems) -> float:
    return round(sum(amount for _, amount in items), 2)
