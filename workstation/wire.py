"""Where wire data becomes the app's data: every protobuf row the store keeps passes here.

Strings lose control characters and are capped (names to a column, messages to a line);
numbers must be finite and in range; codes must be MARKET.CODE. A row that fails raises
`BadData`, and the store drops that push and counts it. Past this module every value is
safe to draw: no escape byte, no NaN, no 10^308, no newline.
"""

from __future__ import annotations

import math

from protocol.codes import code_of, trd_code_of
from protocol.sanitize import MESSAGE_CHARS, NAME_CHARS, REMARK_CHARS, clean_text, valid_code

PRICE_MAX = 1e9  # no listed price comes near; plotext and the columns break far above
AMOUNT_MAX = 1e15  # volumes, turnovers, cash, market values
NAN = math.nan


class BadData(ValueError):
    """A value from OpenD that cannot be shown: the push carrying it is dropped."""


def price(x: float, what: str = "price") -> float:
    if -PRICE_MAX < x < PRICE_MAX:  # False for NaN
        return x
    raise BadData(f"{what} {x!r} out of range")


def amount(x: float, what: str = "amount", lo: float = -AMOUNT_MAX) -> float:
    if lo <= x < AMOUNT_MAX:
        return x
    raise BadData(f"{what} {x!r} out of range")


def optional(x: float, what: str) -> float:
    """NaN stays NaN (the field was not sent); anything else must be in range."""
    return x if x != x else amount(x, what)


def quote_code(market: int, symbol: str) -> str:
    code = code_of(market, symbol)
    if not valid_code(code):
        raise BadData(f"not a code: {clean_text(code, 40)!r}")
    return code


def trade_code(sec_market: int, symbol: str) -> str:
    code = trd_code_of(sec_market, symbol)
    if not valid_code(code):
        raise BadData(f"not a code: {clean_text(code, 40)!r}")
    return code


def name(text: str) -> str:
    return clean_text(text, NAME_CHARS)


def message(text: str) -> str:
    return clean_text(text, MESSAGE_CHARS)


def remark(text: str) -> str:
    return clean_text(text, REMARK_CHARS)


def stamp(text: str) -> str:
    """A time string as OpenD sends them ("2024-06-03 10:00:00.123"): short and plain."""
    return clean_text(text, 32)


def levels(rows, level_type) -> tuple:
    """Order-book levels: price in range, volume and order count not negative."""
    out = []
    for x in rows:
        p, v, n = x.price, x.volume, x.orederCount
        if not (-PRICE_MAX < p < PRICE_MAX and 0 <= v < AMOUNT_MAX and 0 <= n < AMOUNT_MAX):
            raise BadData(f"book level {p!r} x {v!r} ({n!r} orders) out of range")
        out.append(level_type(p, v, n))
    return tuple(out)
