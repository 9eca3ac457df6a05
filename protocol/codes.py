"""Codes as users write them ("HK.00700") <-> what the wire carries, plus the enums we show."""

from __future__ import annotations

# QotMarket: the quote side's market numbers.
QOT_MARKETS = {
    "HK": 1, "HK_FUTURE": 2, "US": 11, "SH": 21, "SZ": 22, "SG": 31, "JP": 41,
    "AU": 51, "MY": 61, "CA": 71, "FX": 81, "CC": 91, "EC": 101,
}
QOT_MARKET_NAMES = {v: k for k, v in QOT_MARKETS.items()}

# TrdSecMarket: the trade side's market numbers for a security.
TRD_SEC_MARKETS = {"HK": 1, "US": 2, "SH": 31, "SZ": 32, "SG": 41, "JP": 51, "AU": 61, "MY": 71, "CA": 81}
TRD_SEC_MARKET_NAMES = {v: k for k, v in TRD_SEC_MARKETS.items()}

# TrdMarket: which market an account trades.
TRD_MARKETS = {"HK": 1, "US": 2, "CN": 3, "HKCC": 4}
TRD_MARKET_NAMES = {v: k for k, v in TRD_MARKETS.items()}

# SubType numbers and the KLType each K-line subscription carries (different numbering!).
SUB_QUOTE, SUB_ORDER_BOOK, SUB_TICKER, SUB_RT, SUB_BROKER = 1, 2, 4, 5, 14
KL_SUBTYPES = {  # name -> (SubType, KLType)
    "1m": (11, 1), "3m": (17, 10), "5m": (7, 6), "10m": (18, 12), "15m": (8, 7), "30m": (9, 8),
    "60m": (10, 9), "120m": (19, 13), "180m": (20, 14), "240m": (21, 15),
    "day": (6, 2), "week": (12, 3), "month": (13, 4), "quarter": (15, 11), "year": (16, 5),
}
KLTYPE_NAMES = {kl: name for name, (_sub, kl) in KL_SUBTYPES.items()}

TRD_SIDES = {1: "BUY", 2: "SELL", 3: "SELL_SHORT", 4: "BUY_BACK"}
ORDER_TYPES = {1: "LIMIT", 2: "MARKET", 5: "ABS_LIMIT", 6: "AUCTION", 7: "AUCTION_LIMIT", 10: "STOP", 11: "STOP_LIMIT"}
ORDER_STATUS = {
    -1: "UNKNOWN", 0: "UNSUBMITTED", 1: "WAITING_SUBMIT", 2: "SUBMITTING", 3: "SUBMIT_FAILED",
    4: "TIMEOUT", 5: "SUBMITTED", 10: "FILLED_PART", 11: "FILLED_ALL", 12: "CANCELLING_PART",
    13: "CANCELLING_ALL", 14: "CANCELLED_PART", 15: "CANCELLED_ALL", 21: "FAILED", 22: "DISABLED",
    23: "DELETED", 24: "FILL_CANCELLED",
}
# Statuses after which an order can no longer change.
FINAL_STATUS = frozenset({3, 11, 14, 15, 21, 22, 23, 24})
MARKET_STATES = {
    0: "NONE", 1: "AUCTION", 2: "WAITING_OPEN", 3: "MORNING", 4: "REST", 5: "AFTERNOON", 6: "CLOSED",
    8: "PRE_MARKET_BEGIN", 9: "PRE_MARKET_END", 10: "AFTER_HOURS_BEGIN", 11: "AFTER_HOURS_END",
    19: "HK_CAS", 32: "NIGHT", 37: "OVERNIGHT",
}


def split_code(code: str) -> tuple[str, str]:
    """ "HK.00700" -> ("HK", "00700"); "US..DJI" -> ("US", ".DJI"). ValueError if malformed."""
    prefix, dot, rest = code.partition(".")
    if not dot or prefix.upper() not in QOT_MARKETS or not rest:
        raise ValueError(f"not a code: {code!r} (expected MARKET.CODE, e.g. HK.00700)")
    return prefix.upper(), rest


def security(code: str) -> tuple[int, str]:
    """ "HK.00700" -> (1, "00700"), the (market, code) pair of Qot_Common.Security."""
    market, symbol = split_code(code)
    return QOT_MARKETS[market], symbol


def code_of(market: int, symbol: str) -> str:
    """(1, "00700") -> "HK.00700"; unknown markets print as N/A like the SDK does."""
    return f"{QOT_MARKET_NAMES.get(market, 'N/A')}.{symbol}"


def trd_code_of(sec_market: int, symbol: str) -> str:
    """Trade side: (TrdSecMarket, bare code) -> "HK.00700"."""
    return f"{TRD_SEC_MARKET_NAMES.get(sec_market, 'N/A')}.{symbol}"


def normalize(code: str) -> str:
    """Canonical spelling: upper-case market and US symbol; pads HK/A-share digits."""
    market, symbol = split_code(code.strip())
    if market == "HK" and symbol.isdigit():
        symbol = symbol.zfill(5)
    elif market in ("SH", "SZ") and symbol.isdigit():
        symbol = symbol.zfill(6)
    else:
        symbol = symbol.upper()
    return f"{market}.{symbol}"
