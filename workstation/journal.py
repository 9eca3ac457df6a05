"""The order journal: one JSON line per intent (written before the request leaves) and
one per outcome (after the reply), so requests whose fate is unknown after a crash can be
reconciled against the order list at start-up. Nothing is ever resent from here.

Lines:
  {"kind": "intent", "op": "place", "ref": "...", "time": 1718000000.123, "ticket": {...Ticket fields}}
  {"kind": "intent", "op": "modify", "ref": "...", "time": ..., "order_id": "...", "qty": 200, "price": 612.5}
  {"kind": "intent", "op": "cancel", "ref": "...", "time": ..., "order_id": "..."}
  {"kind": "intent", "op": "cancel_all", "ref": "...", "time": ..., "acc_id": 1, "market": 1}
  {"kind": "outcome", "ref": "...", "time": ..., "order_id": "..." | null, "status": int | null, "error": str | null}
"""

from __future__ import annotations

import json
import logging
import math
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from protocol.markets import TZ
from workstation.config import data_dir
from workstation.orders import Ticket

log = logging.getLogger(__name__)

FILE_NAME = "orders.jsonl"
MATCH_WINDOW = 300.0  # seconds between an intent and the order it became
PLACE, MODIFY, CANCEL, CANCEL_ALL = "place", "modify", "cancel", "cancel_all"
_TICKET_FIELDS = {f.name for f in fields(Ticket)}


@dataclass(frozen=True)
class Intent:
    ref: str
    time: float  # epoch seconds when written
    ticket: Ticket


class Journal:
    def __init__(self, directory: Path | None = None, clock: Callable[[], float] = time.time) -> None:
        self.path = (directory or data_dir()) / FILE_NAME
        self.clock = clock

    def intent(self, ticket: Ticket, client_ref: str) -> None:
        """Record an order about to be sent; on disk (fsync'ed) when this returns."""
        self._append({"kind": "intent", "op": PLACE, "ref": client_ref, "time": self.clock(), "ticket": asdict(ticket)})

    def request(self, op: str, client_ref: str, **details: Any) -> None:
        """Record a modify, cancel or cancel-all about to be sent (order_id, qty, price, ...)."""
        self._append({"kind": "intent", "op": op, "ref": client_ref, "time": self.clock(), **details})

    def outcome(self, client_ref: str, order_id: str | int | None = None, status: int | None = None,
                error: str | None = None) -> None:
        self._append({"kind": "outcome", "ref": client_ref, "time": self.clock(),
                      "order_id": None if order_id is None else str(order_id), "status": status, "error": error})

    def records(self) -> Iterator[dict[str, Any]]:
        """Every readable line; a torn or garbled line (the app died mid-write) is skipped."""
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return
        for n, raw in enumerate(data.split(b"\n"), 1):
            if not raw.strip():
                continue
            try:
                rec = json.loads(raw.decode("utf-8"))
            except ValueError:
                log.warning("%s:%d: skipping an unreadable journal line", self.path, n)
                continue
            if isinstance(rec, dict) and isinstance(rec.get("ref"), str):
                yield rec

    def pending(self) -> list[Intent]:
        """Intents with no outcome line, oldest first."""
        intents: dict[str, Intent] = {}
        done: set[str] = set()
        for rec in self.records():
            if rec.get("kind") == "outcome":
                done.add(rec["ref"])
            elif rec.get("kind") == "intent" and isinstance(rec.get("ticket"), dict):
                try:
                    ticket = Ticket(**{k: v for k, v in rec["ticket"].items() if k in _TICKET_FIELDS})
                    intents[rec["ref"]] = Intent(rec["ref"], float(rec.get("time", 0.0)), ticket)
                except (TypeError, ValueError):
                    log.warning("%s: skipping a malformed intent %r", self.path, rec["ref"])
        return sorted((i for ref, i in intents.items() if ref not in done), key=lambda i: i.time)

    def pending_requests(self) -> list[dict[str, Any]]:
        """Modify, cancel and cancel-all intents with no outcome line, oldest first."""
        intents: dict[str, dict[str, Any]] = {}
        done: set[str] = set()
        for rec in self.records():
            if rec.get("kind") == "outcome":
                done.add(rec["ref"])
            elif rec.get("kind") == "intent" and rec.get("op") in (MODIFY, CANCEL, CANCEL_ALL):
                intents[rec["ref"]] = rec
        return [rec for ref, rec in intents.items() if ref not in done]

    def _append(self, rec: dict[str, Any]) -> None:
        line = json.dumps(rec, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND | getattr(os, "O_BINARY", 0), 0o600)
        try:
            # A torn last line must not swallow this record: start a fresh line.
            if os.lseek(fd, 0, os.SEEK_END) > 0:
                os.lseek(fd, -1, os.SEEK_END)
                if os.read(fd, 1) != b"\n":
                    line = b"\n" + line
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)


# ------------------------------------------------------------------------ reconciliation


class OrderLike(Protocol):
    """What reconcile reads from an order (workstation.store.OrderRow fits)."""

    code: str
    side: int
    qty: float
    price: float
    remark: str
    create_time: str  # exchange-local "YYYY-MM-DD HH:MM:SS[.mmm]"


def order_epoch(order: OrderLike) -> float | None:
    """When the order was created, in epoch seconds; a `create_timestamp` wins if present."""
    ts = getattr(order, "create_timestamp", None)
    if isinstance(ts, (int, float)) and ts > 0:
        return float(ts)
    tz = TZ.get(order.code.partition(".")[0])
    if tz is None or not order.create_time:
        return None
    for pattern in ("%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.strptime(order.create_time, pattern).replace(tzinfo=tz).timestamp()
        except ValueError:
            pass
    return None


def _same(intent: Intent, order: OrderLike) -> bool:
    t = intent.ticket
    if (order.code, order.side, order.remark) != (t.code, t.side, t.remark):
        return False
    if not math.isclose(order.qty, t.qty, abs_tol=1e-9):
        return False
    acc = getattr(order, "acc_id", 0)
    if acc and t.acc_id and acc != t.acc_id:
        return False
    return not t.has_price or math.isclose(order.price, t.price, abs_tol=1e-6)


def reconcile(pending: Iterable[Intent], orders: Iterable[OrderLike],
              window: float = MATCH_WINDOW) -> list[tuple[Intent, OrderLike | None]]:
    """Pair each unresolved intent with the order it became, or None if none matches.

    A match has the same code, side, qty, remark (and price for priced types, account
    when known) and was created within `window` s of the intent. Closest pairs are taken
    first and each order is used once; an order with no readable time ranks last.
    """
    intents = sorted(pending, key=lambda i: i.time)
    orders = list(orders)
    pairs = []
    for a, intent in enumerate(intents):
        for b, order in enumerate(orders):
            if _same(intent, order):
                at = order_epoch(order)
                gap = window if at is None else abs(at - intent.time)
                if gap <= window:
                    pairs.append((gap, a, b))
    found: dict[int, OrderLike] = {}
    used: set[int] = set()
    for _gap, a, b in sorted(pairs):
        if a not in found and b not in used:
            found[a] = orders[b]
            used.add(b)
    return [(intent, found.get(a)) for a, intent in enumerate(intents)]
