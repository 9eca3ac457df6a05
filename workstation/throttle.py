"""Client-side order rate limits, so the user waits with a countdown instead of meeting a
server error. The limits are OpenD's documented ones (protocol/ratelimit.py): per account,
place_order, and modify_order (modify, cancel and cancel-all share it), in any 30 s.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from protocol import ids
from protocol.ratelimit import LIMITS as OPEND_LIMITS, RateLimiter

PLACE, MODIFY = "place", "modify"
_LIMIT = {PLACE: OPEND_LIMITS[ids.TRD_PLACE_ORDER], MODIFY: OPEND_LIMITS[ids.TRD_MODIFY_ORDER]}
LIMITS = {kind: limit.requests for kind, limit in _LIMIT.items()}  # requests per window per account
_NOUN = {PLACE: "orders", MODIFY: "modify/cancel requests"}


class OrderThrottle:
    """A sliding window per (kind, account) of the requests actually sent."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._windows = {kind: RateLimiter(limit.window, self._now) for kind, limit in _LIMIT.items()}

    def _now(self) -> float:
        return self.clock()  # read late, so a clock swapped after construction counts

    def wait(self, kind: str, acc_id: int, n: int = 1) -> float:
        """Seconds until `n` more requests fit in the window (0.0: now). Counts nothing."""
        return self._windows[kind].wait(acc_id, LIMITS[kind], n)

    def count(self, kind: str, acc_id: int) -> None:
        """One request is being sent now."""
        self._windows[kind].record(acc_id)

    def check(self, kind: str, acc_id: int) -> float:
        """0.0 and the request is counted; else the seconds to wait (nothing counted)."""
        wait = self.wait(kind, acc_id)
        if not wait:
            self.count(kind, acc_id)
        return wait

    @staticmethod
    def message(kind: str, wait: float) -> str:
        return f"order rate limit: {LIMITS[kind]} {_NOUN[kind]} per {_LIMIT[kind].window:g} s; wait {wait:.1f} s"
