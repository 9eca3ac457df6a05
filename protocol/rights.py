"""Quote rights: what an OpenD account may see per market, as both ends read the rules.

Pure data (no protobuf, no I/O). Sources: seed 003 "行情权限" and the subscribe / broker
queue / snapshot limits; seed 004 FAQ Q11 (order-book depth per right):

- HK securities: NO, BMP, LV1, LV2, SF. BMP cannot subscribe at all (snapshots only, at
  most 20 HK codes per snapshot request); LV1 subscribes quotes, ticks, K-lines and time
  share but has no order book and no broker queue; LV2 has 10 book levels; SF the full book.
- US securities: NO, LV1 (one book level), LV2 (60 levels).
- A-shares (SH and SZ): NO, LV1 (5 levels).

A separate module from markets.py (exchange rules) because rights belong to the account,
not to the exchange.
"""

from __future__ import annotations

from dataclasses import dataclass

from protocol.codes import SUB_BROKER, SUB_ORDER_BOOK, SUB_ORDER_BOOK_ODD, SUBTYPE_NAMES

# Qot_Common.QotRight
UNKNOWN, BMP, LV1, LV2, SF, NO = 0, 1, 2, 3, 4, 5
NAMES = {UNKNOWN: "?", BMP: "BMP", LV1: "LV1", LV2: "LV2", SF: "SF", NO: "NO"}
BY_NAME = {v: k for k, v in NAMES.items() if k != UNKNOWN}
RANK = {NO: 0, UNKNOWN: 0, BMP: 1, LV1: 2, LV2: 3, SF: 4}

RIGHT_MARKETS = ("HK", "US", "CN")  # the markets a right is held for (SH and SZ share CN)
ALLOWED = {"HK": (NO, BMP, LV1, LV2, SF), "US": (NO, LV1, LV2), "CN": (NO, LV1)}

# FAQ Q11: book levels per (market, right); absent = no order book
BOOK_DEPTH = {("HK", LV2): 10, ("HK", SF): 40, ("US", LV1): 1, ("US", LV2): 60, ("CN", LV1): 5}
BMP_SNAPSHOT_CODES = 20  # HK securities per snapshot request under HK BMP
SNAPSHOT_CODES = 400  # codes per snapshot request otherwise


def right_market(market: str) -> str:
    """The market a code's right is held for: "SH.600519" -> "CN"."""
    return "CN" if market in ("SH", "SZ", "CN") else market


def name(right: int) -> str:
    return NAMES.get(right, "?")


def can_subscribe(right: int) -> bool:
    return right in (LV1, LV2, SF)


def book_depth(market: str, right: int) -> int:
    return BOOK_DEPTH.get((right_market(market), right), 0)


def needed(market: str, subtype: int) -> int:
    """The lowest right that may subscribe `subtype` in `market`."""
    m = right_market(market)
    if m == "HK" and subtype in (SUB_ORDER_BOOK, SUB_BROKER, SUB_ORDER_BOOK_ODD):
        return LV2
    return LV1


def sub_refusal(code: str, market: str, subtype: int, right: int) -> str | None:
    """Why subscribing code x subtype is refused under `right`, naming the right it needs; None if allowed."""
    need = needed(market, subtype)
    if RANK.get(right, 0) >= RANK[need] and can_subscribe(right):
        return None
    what = SUBTYPE_NAMES.get(subtype, str(subtype))
    m = right_market(market)
    held = "no quote right" if right in (NO, UNKNOWN) else f"only {name(right)}"
    if right == BMP:
        held = "only BMP, which cannot subscribe"
    return f"{code} {what}: no permission: needs {m} {name(need)} quote right or better; this account has {held} for {m}"


@dataclass(frozen=True)
class QuoteRights:
    """One right per market: HK, US and CN (A-shares)."""

    HK: int = LV2
    US: int = LV2
    CN: int = LV1

    def __post_init__(self) -> None:
        for m in RIGHT_MARKETS:
            if getattr(self, m) not in ALLOWED[m]:
                allowed = ", ".join(NAMES[r] for r in ALLOWED[m])
                raise ValueError(f"{m} quote right must be one of {allowed} (got {name(getattr(self, m))})")

    def of(self, market: str) -> int:
        return getattr(self, right_market(market), NO)

    def replace(self, **rights: int) -> QuoteRights:
        return QuoteRights(**({m: getattr(self, m) for m in RIGHT_MARKETS} | rights))

    @classmethod
    def parse(cls, text: str) -> QuoteRights:
        """"HK=LV2,US=LV1,CN=LV1"; markets not named keep their default."""
        given: dict[str, int] = {}
        for part in filter(None, (p.strip() for p in text.split(","))):
            market, sep, level = part.partition("=")
            market, level = right_market(market.strip().upper()), level.strip().upper()
            if not sep or market not in ALLOWED:
                raise ValueError(f"write MARKET=RIGHT pairs such as HK=LV2,US=LV1,CN=LV1 (got {part!r})")
            if level not in BY_NAME or BY_NAME[level] not in ALLOWED[market]:
                allowed = ", ".join(NAMES[r] for r in ALLOWED[market])
                raise ValueError(f"{market} quote right must be one of {allowed} (got {level!r})")
            given[market] = BY_NAME[level]
        return cls(**given)

    def __str__(self) -> str:
        return ",".join(f"{m}={name(getattr(self, m))}" for m in RIGHT_MARKETS)
