"""OpenD's "at most n per 30 s" rule: a sliding window, request n+1 must come 30 s after request 1.

Used by the simulated OpenD to enforce the documented limits, and meant for clients that
would rather wait than be refused.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Hashable

WINDOW = 30.0


class RateLimiter:
    """Sliding-window counters, one per key."""

    def __init__(self, window: float = WINDOW, clock: Callable[[], float] = time.monotonic) -> None:
        self.window = window
        self.clock = clock
        self._hits: dict[Hashable, deque[float]] = {}

    def hit(self, key: Hashable, limit: int) -> float:
        """Record a request; 0.0 if allowed, else the seconds to wait (nothing recorded)."""
        now = self.clock()
        hits = self._hits.setdefault(key, deque())
        while hits and now - hits[0] >= self.window:
            hits.popleft()
        if len(hits) >= limit:
            return self.window - (now - hits[0])
        hits.append(now)
        return 0.0
