"""OpenD's documented rate limits, once, and the one sliding window that enforces them.

"At most n per 30 s" is a sliding window: request n+1 must come 30 s after request 1.
The simulated OpenD refuses with the documented message; the workstation waits instead
of being refused (workstation/throttle.py). Sources: the vendor docs' per-call "interface
limits" (seed 004; seed 003 FAQ: "如下单 15 次/30 秒"). Calls not listed have no documented
limit.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from protocol import ids

WINDOW = 30.0


@dataclass(frozen=True)
class Limit:
    """One documented limit: at most `requests` per `window` s per `per`."""

    call: str  # the SDK call, as messages name it
    requests: int
    per: str  # "account", "connection" or "user"
    window: float = WINDOW
    cached: bool = False  # a cached query: only requests with refreshCache count

    def refusal(self, wait: float, who: str = "") -> str:
        """OpenD's refusal text; `who` names the account ("account 42"), else `per` is used."""
        return (f"{self.call}: rate limit exceeded: at most {self.requests} requests per {self.window:g} s "
                f"per {who or self.per}; retry in {wait:.1f} s")


_ACC, _CONN = "account", "connection"

# proto ID -> its documented limit
LIMITS: dict[int, Limit] = {
    # trading: per account (unlock: per user)
    ids.TRD_UNLOCK_TRADE: Limit("unlock_trade", 10, "user"),
    ids.TRD_GET_FUNDS: Limit("accinfo_query", 10, _ACC, cached=True),
    ids.TRD_GET_POSITION_LIST: Limit("position_list_query", 10, _ACC, cached=True),
    ids.TRD_GET_MAX_TRD_QTYS: Limit("acctradinginfo_query", 10, _ACC),
    ids.TRD_GET_ORDER_LIST: Limit("order_list_query", 10, _ACC, cached=True),
    ids.TRD_PLACE_ORDER: Limit("place_order", 15, _ACC),
    ids.TRD_MODIFY_ORDER: Limit("modify_order", 20, _ACC),  # modify, cancel and cancel-all share it
    ids.TRD_GET_ORDER_FILL_LIST: Limit("deal_list_query", 10, _ACC, cached=True),
    ids.TRD_GET_HISTORY_ORDER_LIST: Limit("history_order_list_query", 10, _ACC),
    ids.TRD_GET_HISTORY_ORDER_FILL_LIST: Limit("history_deal_list_query", 10, _ACC),
    ids.TRD_GET_ORDER_FEE: Limit("order_fee_query", 10, _ACC),
    # quotes: per connection
    ids.QOT_GET_SECURITY_SNAPSHOT: Limit("get_market_snapshot", 60, _CONN),
    ids.QOT_REQUEST_HISTORY_KL: Limit("request_history_kline", 60, _CONN),  # first page of a query only
    ids.QOT_GET_CAPITAL_FLOW: Limit("get_capital_flow", 30, _CONN),
    ids.QOT_GET_CAPITAL_DISTRIBUTION: Limit("get_capital_distribution", 30, _CONN),
    ids.QOT_GET_SHORT_INTEREST: Limit("get_short_interest", 30, _CONN),
    ids.QOT_GET_MARKET_STATE: Limit("get_market_state", 10, _CONN),
    ids.QOT_GET_USER_SECURITY: Limit("get_user_security", 10, _CONN),
    ids.QOT_GET_USER_SECURITY_GROUP: Limit("get_user_security_group", 10, _CONN),
}


class RateLimiter:
    """Sliding-window counters, one per key."""

    def __init__(self, window: float = WINDOW, clock: Callable[[], float] = time.monotonic) -> None:
        self.window = window
        self.clock = clock
        self._hits: dict[Hashable, deque[float]] = {}

    def _live(self, key: Hashable, now: float) -> deque[float]:
        hits = self._hits.setdefault(key, deque())
        while hits and now - hits[0] >= self.window:
            hits.popleft()
        return hits

    def wait(self, key: Hashable, limit: int, n: int = 1) -> float:
        """Seconds until `n` more requests fit under `limit` (0.0: now). Records nothing."""
        if n > limit:
            raise ValueError(f"{n} requests can never fit a window of {limit}")
        now = self.clock()
        hits = self._live(key, now)
        over = len(hits) + n - limit
        return 0.0 if over <= 0 else self.window - (now - hits[over - 1])

    def record(self, key: Hashable) -> None:
        """One request goes now, whatever the window says."""
        self._hits.setdefault(key, deque()).append(self.clock())

    def hit(self, key: Hashable, limit: int) -> float:
        """Record a request; 0.0 if allowed, else the seconds to wait (nothing recorded)."""
        now = self.clock()
        hits = self._live(key, now)
        if len(hits) >= limit:
            return self.window - (now - hits[0])
        hits.append(now)
        return 0.0
