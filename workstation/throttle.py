"""Client-side order rate limits, so the user waits with a countdown instead of meeting a
server error. Windows per the vendor docs: per account, at most 15 place_order and 20
modify_order (modify, cancel and cancel-all share it) requests in any 30 s.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

from protocol.ratelimit import WINDOW

PLACE, MODIFY = "place", "modify"
LIMITS = {PLACE: 15, MODIFY: 20}  # requests per WINDOW per account
_NOUN = {PLACE: "orders", MODIFY: "modify/cancel requests"}


class OrderThrottle:
    """A sliding window per (kind, account) of the requests actually sent."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._sent: dict[tuple[str, int], deque[float]] = {}

    def wait(self, kind: str, acc_id: int, n: int = 1) -> float:
        """Seconds until `n` more requests fit in the window (0.0: now). Counts nothing."""
        limit = LIMITS[kind]
        if n > limit:
            raise ValueError(f"{n} requests can never fit a window of {limit}")
        now = self.clock()
        sent = self._sent.setdefault((kind, acc_id), deque())
        while sent and now - sent[0] >= WINDOW:
            sent.popleft()
        over = len(sent) + n - limit
        return 0.0 if over <= 0 else WINDOW - (now - sent[over - 1])

    def count(self, kind: str, acc_id: int) -> None:
        """One request is being sent now."""
        self._sent.setdefault((kind, acc_id), deque()).append(self.clock())

    def check(self, kind: str, acc_id: int) -> float:
        """0.0 and the request is counted; else the seconds to wait (nothing counted)."""
        wait = self.wait(kind, acc_id)
        if not wait:
            self.count(kind, acc_id)
        return wait

    @staticmethod
    def message(kind: str, wait: float) -> str:
        return f"order rate limit: {LIMITS[kind]} {_NOUN[kind]} per {WINDOW:g} s; wait {wait:.1f} s"
