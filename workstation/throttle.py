"""Client-side order rate limits, so the user waits with a countdown instead of meeting a
server error. Windows per the vendor docs: per account, at most 15 place_order and 20
modify_order (modify and cancel share it) requests in any 30 s.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from protocol.ratelimit import WINDOW, RateLimiter

PLACE, MODIFY = "place", "modify"
LIMITS = {PLACE: 15, MODIFY: 20}  # requests per WINDOW per account
_NOUN = {PLACE: "orders", MODIFY: "modify/cancel requests"}


class OrderThrottle:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.limiter = RateLimiter(WINDOW, clock)

    def check(self, kind: str, acc_id: int) -> float:
        """0.0 and the request is counted; else the seconds to wait (nothing counted)."""
        return self.limiter.hit((kind, acc_id), LIMITS[kind])

    @staticmethod
    def message(kind: str, wait: float) -> str:
        return f"order rate limit: {LIMITS[kind]} {_NOUN[kind]} per {WINDOW:g} s; wait {wait:.1f} s"
