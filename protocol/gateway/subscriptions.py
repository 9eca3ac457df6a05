"""Quote subscriptions counted the way OpenD counts them (seed 004: subscribe, FAQ Q2-Q4).

- One quota per code x SubType, shared by all connections: two connections subscribing
  HK.00700 QUOTE use one quota, released only when both have unsubscribed.
- A subscription must be `min_age` (1 minute) old before it can be unsubscribed.
- When a connection closes, its subscriptions older than a minute are released at once;
  younger ones keep their quota until they reach a minute.

Also the push registry: which connections get pushes for a code x SubType. No protobuf.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

Key = tuple[str, int]  # (code, SubType)
MIN_AGE = 60.0


class SubscriptionError(Exception):
    """A subscribe or unsubscribe the rules refuse; the message says why."""


class Subscriptions:
    def __init__(self, quota: int = 300, min_age: float = MIN_AGE, clock: Callable[[], float] = time.monotonic,
                 names: dict[int, str] | None = None) -> None:
        self.quota = quota
        self.min_age = min_age
        self.clock = clock
        self.names = names or {}  # SubType -> name, for messages
        self.holders: dict[Key, dict[int, float]] = {}  # key -> {conn_id: subscribed at}
        self.zombies: dict[Key, float] = {}  # keys of closed connections -> release time
        self.pushers: dict[str, dict[int, dict[int, Any]]] = {}  # code -> SubType -> {conn_id: session}

    def _name(self, key: Key) -> str:
        return f"{key[0]} {self.names.get(key[1], key[1])}"

    def used(self) -> int:
        """Quota in use across all connections (closed ones included until released)."""
        self.sweep()
        return len(self.holders.keys() | self.zombies.keys())

    def sweep(self) -> None:
        if self.zombies:
            now = self.clock()
            for key in [k for k, at in self.zombies.items() if at <= now]:
                del self.zombies[key]

    def held(self, conn_id: int) -> list[Key]:
        return [k for k, conns in self.holders.items() if conn_id in conns]

    def holds(self, conn_id: int, key: Key) -> bool:
        return conn_id in self.holders.get(key, ())

    def subscribe(self, conn_id: int, keys: list[Key]) -> None:
        """All or nothing: refused if the new keys would exceed the quota."""
        used = self.used()
        new = [k for k in keys if k not in self.holders and k not in self.zombies]
        if used + len(new) > self.quota:
            raise SubscriptionError(f"subscription quota exceeded: {used} of {self.quota} in use, this request "
                                    f"needs {len(new)} more (one per code x SubType)")
        now = self.clock()
        for key in keys:
            self.holders.setdefault(key, {}).setdefault(conn_id, now)

    def unsubscribe(self, conn_id: int, keys: list[Key]) -> None:
        """All or nothing: refused if any of this connection's keys is younger than min_age."""
        keys = [k for k in keys if self.holds(conn_id, k)]
        now = self.clock()
        young = [(k, self.min_age - (now - self.holders[k][conn_id])) for k in keys
                 if now - self.holders[k][conn_id] < self.min_age]
        if young:
            key, wait = young[0]
            more = f" (and {len(young) - 1} more)" if len(young) > 1 else ""
            raise SubscriptionError(f"cannot unsubscribe {self._name(key)}{more} yet: a subscription must be "
                                    f"at least 1 minute old ({wait:.0f} s to go)")
        for key in keys:
            self._release(conn_id, key)

    def _release(self, conn_id: int, key: Key) -> None:
        conns = self.holders.get(key)
        if conns is not None:
            conns.pop(conn_id, None)
            if not conns:
                del self.holders[key]
        self.set_push(conn_id, key, None)

    def close(self, conn_id: int) -> None:
        """A connection closed: young subscriptions keep their quota until they are a minute old."""
        now = self.clock()
        for key in self.held(conn_id):
            since = self.holders[key][conn_id]
            if now - since < self.min_age:
                self.zombies[key] = max(self.zombies.get(key, 0.0), since + self.min_age)
            self._release(conn_id, key)

    def revoke(self, keys: list[Key]) -> None:
        """OpenD ends these subscriptions for every connection (a quote right was lost): no
        minimum age, and their quota is free at once."""
        for key in keys:
            for conn_id in list(self.holders.get(key, ())):
                self._release(conn_id, key)
            self.zombies.pop(key, None)

    def set_push(self, conn_id: int, key: Key, session: Any | None) -> None:
        """Register `session` for pushes of key, or unregister with None."""
        code, subtype = key
        by_type = self.pushers.setdefault(code, {})
        if session is not None:
            by_type.setdefault(subtype, {})[conn_id] = session
            return
        conns = by_type.get(subtype)
        if conns is not None:
            conns.pop(conn_id, None)
            if not conns:
                del by_type[subtype]
        if not by_type:
            self.pushers.pop(code, None)

    def pushes_to(self, conn_id: int, key: Key) -> bool:
        return conn_id in self.pushers.get(key[0], {}).get(key[1], ())
