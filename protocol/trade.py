"""The trading vocabulary both ends share: Trd_Common's enums, one spelling each, with the
predicates the order lifecycle is decided by.

Values are the wire values of Trd_Common.proto and Common.proto. `word` is what a trader
reads ("SELL SHORT", "LIMIT"); `name` stays the Python identifier. Pure: no I/O.
"""

from __future__ import annotations

import hashlib
from enum import IntEnum


class _Worded(IntEnum):
    """An IntEnum whose members read as words: SELL_SHORT -> "SELL SHORT"."""

    @property
    def word(self) -> str:
        return self.name.replace("_", " ")

    @property
    def short(self) -> str:
        """How a table column spells it: the wire name (SELL_SHORT, FILLED_ALL)."""
        return self.name

    @classmethod
    def short_of(cls, value: int) -> str:
        try:
            return cls(value).short
        except ValueError:
            return str(value)

    @classmethod
    def word_of(cls, value: int) -> str:
        """The word for a wire value, or the number itself when this end does not know it."""
        try:
            return cls(value).word
        except ValueError:
            return str(value)


class TrdEnv(_Worded):
    SIMULATE = 0
    REAL = 1


class TrdMarket(_Worded):
    """Which market an account trades in (Trd_Common.TrdMarket)."""

    HK = 1
    US = 2
    CN = 3
    HKCC = 4  # A-shares through HK Stock Connect
    FUTURES = 5
    SG = 6
    AU = 8
    JP = 15
    MY = 111
    CA = 112


class TrdSecMarket(_Worded):
    """Which exchange a security trades on (Trd_Common.TrdSecMarket)."""

    HK = 1
    US = 2
    CN_SH = 31
    CN_SZ = 32
    SG = 41
    JP = 51
    AU = 61
    MY = 71
    CA = 81


class Currency(_Worded):
    HKD = 1
    USD = 2
    CNH = 3  # offshore renminbi: what OpenD reports for A-share accounts
    JPY = 4
    SGD = 5
    AUD = 6
    CAD = 7
    MYR = 8


class Side(_Worded):
    BUY = 1
    SELL = 2
    SELL_SHORT = 3
    BUY_BACK = 4

    @property
    def is_buy(self) -> bool:
        return self in (Side.BUY, Side.BUY_BACK)


class OrderType(_Worded):
    NORMAL = 1  # a limit order (enhanced limit for HK stocks)
    MARKET = 2
    ABSOLUTE_LIMIT = 5
    AUCTION = 6
    AUCTION_LIMIT = 7
    SPECIAL_LIMIT = 8
    SPECIAL_LIMIT_ALL = 9
    STOP = 10
    STOP_LIMIT = 11

    @property
    def word(self) -> str:
        return "LIMIT" if self is OrderType.NORMAL else self.name.replace("_", " ")

    @property
    def short(self) -> str:
        return {OrderType.NORMAL: "LIMIT", OrderType.ABSOLUTE_LIMIT: "ABS_LIMIT"}.get(self, self.name)

    @property
    def needs_price(self) -> bool:
        """The order's `price` is used (a limit); MARKET and STOP ignore it."""
        return self in _PRICED

    @property
    def needs_trigger(self) -> bool:
        """The order needs `auxPrice`, its trigger."""
        return self in (OrderType.STOP, OrderType.STOP_LIMIT)


_PRICED = frozenset({OrderType.NORMAL, OrderType.ABSOLUTE_LIMIT, OrderType.AUCTION_LIMIT,
                     OrderType.SPECIAL_LIMIT, OrderType.SPECIAL_LIMIT_ALL, OrderType.STOP_LIMIT})


class TimeInForce(_Worded):
    DAY = 0
    GTC = 1


class Session(_Worded):
    """Common.Session: which US session an order may trade in."""

    NONE = 0
    RTH = 1  # regular hours only
    ETH = 2  # regular and extended hours
    ALL = 3
    OVERNIGHT = 4


class OrderStatus(_Worded):
    UNKNOWN = -1
    UNSUBMITTED = 0
    WAITING_SUBMIT = 1
    SUBMITTING = 2
    SUBMIT_FAILED = 3
    TIMEOUT = 4  # the outcome is unknown: verify, never assume
    SUBMITTED = 5
    FILLED_PART = 10
    FILLED_ALL = 11
    CANCELLING_PART = 12
    CANCELLING_ALL = 13
    CANCELLED_PART = 14
    CANCELLED_ALL = 15
    FAILED = 21
    DISABLED = 22  # deactivated (or expired); can be enabled again
    DELETED = 23
    FILL_CANCELLED = 24

    @property
    def is_final(self) -> bool:
        """Nothing more can happen to the order."""
        return self in _FINAL

    @property
    def is_active(self) -> bool:
        """Working at the exchange: it can still fill, be changed or cancelled."""
        return self in _ACTIVE

    @property
    def is_failure(self) -> bool:
        """The order never worked or stopped working because something refused it."""
        return self in (OrderStatus.SUBMIT_FAILED, OrderStatus.FAILED)

    @property
    def is_open(self) -> bool:
        """Not final: the trader may still see it change (DISABLED can be re-enabled)."""
        return self not in _FINAL


_FINAL = frozenset({OrderStatus.SUBMIT_FAILED, OrderStatus.FILLED_ALL, OrderStatus.CANCELLED_PART,
                    OrderStatus.CANCELLED_ALL, OrderStatus.FAILED, OrderStatus.DELETED,
                    OrderStatus.FILL_CANCELLED})
_ACTIVE = frozenset({OrderStatus.WAITING_SUBMIT, OrderStatus.SUBMITTING, OrderStatus.SUBMITTED,
                     OrderStatus.FILLED_PART, OrderStatus.CANCELLING_PART, OrderStatus.CANCELLING_ALL})


def status_is_open(status: int) -> bool:
    """For a raw wire value: unknown statuses count as open (never assume an order is done)."""
    try:
        return OrderStatus(status).is_open
    except ValueError:
        return True


class FillStatus(_Worded):
    OK = 0
    CANCELLED = 1  # the exchange busted the trade
    CHANGED = 2


class ModifyOp(_Worded):
    NORMAL = 1  # change price and quantity
    CANCEL = 2
    DISABLE = 3
    ENABLE = 4
    DELETE = 5


class AccStatus(_Worded):
    ACTIVE = 0
    DISABLED = 1


# A code's market prefix -> the exchange it trades on, and the currency its prices are in.
SEC_MARKET_OF = {"HK": TrdSecMarket.HK, "US": TrdSecMarket.US, "SH": TrdSecMarket.CN_SH,
                 "SZ": TrdSecMarket.CN_SZ, "SG": TrdSecMarket.SG, "JP": TrdSecMarket.JP,
                 "AU": TrdSecMarket.AU, "MY": TrdSecMarket.MY, "CA": TrdSecMarket.CA}
PREFIX_OF_SEC_MARKET = {v: k for k, v in SEC_MARKET_OF.items()}
CURRENCY_OF = {"HK": Currency.HKD, "US": Currency.USD, "SH": Currency.CNH, "SZ": Currency.CNH,
               "SG": Currency.SGD, "JP": Currency.JPY, "AU": Currency.AUD, "MY": Currency.MYR,
               "CA": Currency.CAD}
ACCOUNT_CURRENCY = {TrdMarket.HK: Currency.HKD, TrdMarket.US: Currency.USD, TrdMarket.CN: Currency.CNH,
                    TrdMarket.HKCC: Currency.CNH, TrdMarket.SG: Currency.SGD, TrdMarket.JP: Currency.JPY,
                    TrdMarket.AU: Currency.AUD, TrdMarket.MY: Currency.MYR, TrdMarket.CA: Currency.CAD}


def trd_market_for(prefix: str, env: int) -> TrdMarket:
    """The TrdMarket an order on a code of this market goes to, as the official SDK derives it:
    A-shares trade as CN on paper accounts and through Stock Connect (HKCC) on real ones."""
    if prefix in ("SH", "SZ"):
        return TrdMarket.CN if env == TrdEnv.SIMULATE else TrdMarket.HKCC
    return TrdMarket[prefix]


def password_md5(password: str) -> str:
    """What Trd_UnlockTrade carries: the lower-case hex MD5 of the UTF-8 trade password."""
    return hashlib.md5(password.encode("utf-8")).hexdigest()
