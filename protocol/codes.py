"""Codes as users write them ("HK.00700") <-> what the wire carries; the quote side's market
and SubType numbers. The trade side's words (sides, order types, statuses, markets) are
protocol/trade.py's enums."""

from __future__ import annotations

import re

from protocol.trade import PREFIX_OF_SEC_MARKET

# QotMarket: the quote side's market numbers.
QOT_MARKETS = {
    "HK": 1, "HK_FUTURE": 2, "US": 11, "SH": 21, "SZ": 22, "SG": 31, "JP": 41,
    "AU": 51, "MY": 61, "CA": 71, "FX": 81, "CC": 91, "EC": 101,
}
QOT_MARKET_NAMES = {v: k for k, v in QOT_MARKETS.items()}


# SubType numbers and the KLType each K-line subscription carries (different numbering!).
SUB_QUOTE, SUB_ORDER_BOOK, SUB_TICKER, SUB_RT, SUB_BROKER, SUB_ORDER_BOOK_ODD = 1, 2, 4, 5, 14, 22
KL_SUBTYPES = {  # name -> (SubType, KLType)
    "1m": (11, 1), "3m": (17, 10), "5m": (7, 6), "10m": (18, 12), "15m": (8, 7), "30m": (9, 8),
    "60m": (10, 9), "120m": (19, 13), "180m": (20, 14), "240m": (21, 15),
    "day": (6, 2), "week": (12, 3), "month": (13, 4), "quarter": (15, 11), "year": (16, 5),
}
KLTYPE_NAMES = {kl: name for name, (_sub, kl) in KL_SUBTYPES.items()}
SUBTYPE_KL = {sub: kl for sub, kl in KL_SUBTYPES.values()}  # K-line SubType -> its KLType
KL_SUBTYPE = {kl: sub for sub, kl in SUBTYPE_KL.items()}
# SubType -> the SDK's name for it (messages)
SUBTYPE_NAMES = {
    SUB_QUOTE: "QUOTE", SUB_ORDER_BOOK: "ORDER_BOOK", SUB_TICKER: "TICKER", SUB_RT: "RT_DATA", SUB_BROKER: "BROKER",
    6: "K_DAY", 7: "K_5M", 8: "K_15M", 9: "K_30M", 10: "K_60M", 11: "K_1M", 12: "K_WEEK", 13: "K_MON",
    15: "K_QUARTER", 16: "K_YEAR", 17: "K_3M", 18: "K_10M", 19: "K_120M", 20: "K_180M", 21: "K_240M",
    SUB_ORDER_BOOK_ODD: "ORDER_BOOK_ODD",
}

MARKET_STATES = {
    0: "NONE", 1: "AUCTION", 2: "WAITING_OPEN", 3: "MORNING", 4: "REST", 5: "AFTERNOON", 6: "CLOSED",
    8: "PRE_MARKET_BEGIN", 9: "PRE_MARKET_END", 10: "AFTER_HOURS_BEGIN", 11: "AFTER_HOURS_END",
    19: "HK_CAS", 32: "NIGHT", 37: "OVERNIGHT",
}


_CODE = re.compile(r"([A-Z_]{2,10})\.([A-Za-z0-9][A-Za-z0-9.\-_]{0,31}|\.[A-Za-z0-9][A-Za-z0-9.\-_]{0,30})")


def valid_code(code: object) -> bool:
    """A strict "MARKET.CODE": a known market, then letters, digits, '.', '-' or '_'."""
    if not isinstance(code, str) or len(code) > 48:
        return False
    m = _CODE.fullmatch(code)
    return m is not None and m.group(1) in QOT_MARKETS


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
    return f"{PREFIX_OF_SEC_MARKET.get(sec_market, 'N/A')}.{symbol}"


def normalize(code: str) -> str:
    """Canonical spelling: upper-case market and US symbol; pads HK/A-share digits."""
    market, symbol = split_code(code.strip())
    if market == "HK" and symbol.isdigit():
        symbol = symbol.zfill(5)
    elif market in ("SH", "SZ") and symbol.isdigit():
        symbol = symbol.zfill(6)
    else:
        symbol = symbol.upper()
    code = f"{market}.{symbol}"
    if not valid_code(code):
        raise ValueError(f"not a code: {code[:40]!r} (letters, digits, '.', '-' and '_' after MARKET.)")
    return code
