"""The order journal: one JSON line per intent (written before the request leaves) and
one per outcome (after the reply), so requests whose fate is unknown after a crash can be
reconciled against the order list at start-up. Nothing is ever resent from here.

Lines:
  {"kind": "intent", "op": "place", "ref": "...", "time": 1718000000.123, "ticket": {...Ticket fields}, "tag": "..."}
  (tag: the client reference the order's remark carries to OpenD; absent in older journals)
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
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from protocol.markets import TZ
from workstation.config import data_dir, private_dir
from workstation.logs import open_private
from workstation.orders import Ticket, split_remark

log = logging.getLogger(__name__)

FILE_NAME = "orders.jsonl"
MATCH_WINDOW = 300.0  # seconds between an intent and the order it became
COMPACT_BYTES = 1_000_000  # at load, a journal bigger than this is archived and restarted with what is pending
PLACE, MODIFY, CANCEL, CANCEL_ALL = "place", "modify", "cancel", "cancel_all"
_TICKET_FIELDS = {f.name for f in fields(Ticket)}


_PREFIX = re.compile(rb'\{"kind":"(intent|outcome)",(?:"op":"[a-z_]+",)?"ref":"([^"\\\\]*)",')
_ORDER_ID = re.compile(rb'"order_id":"([^"\\\\]+)"')


class JournalError(OSError):
    """The journal cannot be written: nothing may be sent."""


@dataclass(frozen=True)
class Intent:
    ref: str
    time: float  # epoch seconds when written
    ticket: Ticket
    tag: str | None = None  # the client reference in the order's remark (None: an older journal's intent)


def _intent(rec: dict[str, Any]) -> Intent:
    ticket = Ticket(**{k: v for k, v in rec["ticket"].items() if k in _TICKET_FIELDS})
    when = float(rec.get("time", 0.0))
    if not (isinstance(ticket.code, str) and math.isfinite(when) and isinstance(ticket.qty, (int, float))):
        raise ValueError("not an order intent")
    tag = rec.get("tag")
    return Intent(rec["ref"], when, ticket, tag if isinstance(tag, str) and tag else None)


class Journal:
    """Append-only JSON lines. `load()` reads the file once (call it off the UI thread) and
    keeps what is unresolved in memory; an instance that never loaded reads the file each time."""

    def __init__(self, directory: Path | None = None, clock: Callable[[], float] = time.time) -> None:
        self.path = (directory or data_dir()) / FILE_NAME
        self.clock = clock
        self._open: dict[str, dict[str, Any]] | None = None  # ref -> unresolved intent record, once loaded
        self._claimed: set[str] = set()  # order IDs some outcome line names: never matched again
        self.skipped = 0  # unreadable lines met by the last read

    def writable(self) -> str | None:
        """None if orders can be journalled here, else why not (checked by opening for append)."""
        try:
            private_dir(self.path.parent)
            if self.path.exists():
                os.close(os.open(self.path, os.O_WRONLY | os.O_APPEND))
            else:  # a probe, so that checking leaves no empty journal behind
                probe = self.path.with_suffix(".probe")
                os.close(os.open(probe, os.O_WRONLY | os.O_CREAT, 0o600))
                probe.unlink()
        except OSError as exc:
            return f"the order journal {self.path} cannot be written: {exc.strerror or exc}"
        return None

    @property
    def loaded(self) -> bool:
        return self._open is not None

    def load(self) -> None:
        """Read the file once and index what is unresolved; a big file is archived beside it
        (orders.<time>.jsonl) and restarted with the unresolved lines only."""
        self._open = self._scan()
        try:
            big = self.path.stat().st_size > COMPACT_BYTES
        except OSError:
            big = False
        if big:
            self._compact()

    def intent(self, ticket: Ticket, client_ref: str, tagged: bool = False) -> None:
        """Record an order about to be sent (`tagged`: its remark carries `client_ref` to OpenD);
        on disk (fsync'ed) when this returns, else JournalError."""
        rec = {"kind": "intent", "op": PLACE, "ref": client_ref, "time": self.clock(), "ticket": asdict(ticket)}
        if tagged:
            rec["tag"] = client_ref
        self._append(rec)

    def claimed(self) -> set[str]:
        """Order IDs that an outcome line already gave to some intent."""
        if self._open is None:
            self._scan()
        return set(self._claimed)

    def request(self, op: str, client_ref: str, **details: Any) -> None:
        """Record a modify, cancel or cancel-all about to be sent (order_id, qty, price, ...)."""
        self._append({"kind": "intent", "op": op, "ref": client_ref, "time": self.clock(), **details})

    def outcome(self, client_ref: str, order_id: str | int | None = None, status: int | None = None,
                error: str | None = None) -> None:
        """Record what became of a request. Never raises: the request has gone by now; if the
        disk fails, the intent stays open and is reconciled at the next start (never resent)."""
        try:
            self._append({"kind": "outcome", "ref": client_ref, "time": self.clock(),
                          "order_id": None if order_id is None else str(order_id), "status": status, "error": error})
        except JournalError as exc:
            log.error("journal outcome for %s not written: %s", client_ref, exc.strerror)

    def _lines(self) -> list[bytes]:
        """The file's lines; none if it is missing or unreadable (said in the log)."""
        self.skipped = 0
        try:
            return self.path.read_bytes().split(b"\n")
        except FileNotFoundError:
            return []
        except OSError as exc:
            log.warning("cannot read the order journal %s: %s", self.path, exc.strerror or exc)
            return []

    def records(self) -> Iterator[dict[str, Any]]:
        """Every readable line; a torn, garbled or hostile line is skipped, whatever it raises."""
        for raw in self._lines():
            if raw.strip() and (rec := self._parse(raw)) is not None:
                yield rec
        if self.skipped:
            log.warning("%s: skipped %d unreadable journal lines", self.path, self.skipped)

    def _scan(self) -> dict[str, dict[str, Any]]:
        """What is unresolved, fast: a line as this class writes it is matched by its prefix
        and parsed only if it survives; any other line is parsed at once, in file order."""
        open_: dict[str, bytes | dict[str, Any]] = {}
        claimed: set[str] = set()
        for raw in self._lines():
            m = _PREFIX.match(raw)
            if m is not None and raw.endswith(b"}"):
                kind, ref = m.group(1), m.group(2).decode("utf-8", "replace")
            elif raw.strip():
                rec = self._parse(raw)
                if rec is None:
                    continue
                kind, ref, raw = rec["kind"].encode(), rec["ref"], rec
            else:
                continue
            if kind == b"outcome":
                open_.pop(ref, None)
                if isinstance(raw, dict):
                    if isinstance(raw.get("order_id"), str) and raw["order_id"]:
                        claimed.add(raw["order_id"])
                elif (oid := _ORDER_ID.search(raw)) is not None:
                    claimed.add(oid.group(1).decode("utf-8", "replace"))
            else:
                open_[ref] = raw
        self._claimed = claimed
        out: dict[str, dict[str, Any]] = {}
        for ref, raw in open_.items():
            rec = raw if isinstance(raw, dict) else self._parse(raw)
            if rec is not None and rec["ref"] == ref:
                out[ref] = rec
        if self.skipped:
            log.warning("%s: skipped %d unreadable journal lines", self.path, self.skipped)
        return out

    def _parse(self, raw: bytes) -> dict[str, Any] | None:
        try:
            rec = json.loads(raw)
        except (ValueError, RecursionError):
            rec = None
        if isinstance(rec, dict) and isinstance(rec.get("ref"), str) and rec.get("kind") in ("intent", "outcome"):
            return rec
        self.skipped += 1
        return None

    def _unresolved_now(self) -> dict[str, dict[str, Any]]:
        return self._open if self._open is not None else self._scan()

    def pending(self) -> list[Intent]:
        """Order intents with no outcome line, oldest first."""
        intents = []
        for rec in self._unresolved_now().values():
            if rec.get("op", PLACE) == PLACE and isinstance(rec.get("ticket"), dict):
                try:
                    intents.append(_intent(rec))
                except (TypeError, ValueError, OverflowError):
                    log.warning("%s: skipping a malformed intent", self.path)
        return sorted(intents, key=lambda i: i.time)

    def pending_requests(self) -> list[dict[str, Any]]:
        """Modify, cancel and cancel-all intents with no outcome line, oldest first."""
        return [rec for rec in self._unresolved_now().values() if rec.get("op") in (MODIFY, CANCEL, CANCEL_ALL)]

    def _compact(self) -> None:
        archive = self.path.with_name(f"orders.{time.strftime('%Y%m%d-%H%M%S')}.jsonl")
        keep = b"".join(self._line(rec) for rec in (self._open or {}).values())
        tmp = self.path.with_suffix(".tmp")
        try:
            with open_private(tmp, "wb", encoding=None) as fh:
                fh.write(keep)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(self.path, archive)
            os.replace(tmp, self.path)
            log.info("order journal archived to %s; %d unresolved lines kept", archive.name, len(self._open or {}))
        except OSError as exc:
            log.warning("could not compact the order journal: %s", exc.strerror or exc)

    @staticmethod
    def _line(rec: dict[str, Any]) -> bytes:
        return json.dumps(rec, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"

    def _append(self, rec: dict[str, Any]) -> None:
        line = self._line(rec)
        try:
            private_dir(self.path.parent)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND | getattr(os, "O_BINARY", 0), 0o600)
        except OSError as exc:
            raise JournalError(exc.errno, f"the order journal cannot be written: {exc.strerror or exc}") from exc
        try:
            # A torn last line must not swallow this record: start a fresh line.
            if os.lseek(fd, 0, os.SEEK_END) > 0:
                os.lseek(fd, -1, os.SEEK_END)
                if os.read(fd, 1) != b"\n":
                    line = b"\n" + line
            os.write(fd, line)
            os.fsync(fd)
        except OSError as exc:
            raise JournalError(exc.errno, f"the order journal cannot be written: {exc.strerror or exc}") from exc
        finally:
            os.close(fd)
        if rec["kind"] == "outcome" and rec.get("order_id"):
            self._claimed.add(rec["order_id"])
        if self._open is not None:
            if rec["kind"] == "outcome":
                self._open.pop(rec["ref"], None)
            else:
                self._open[rec["ref"]] = rec


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


@dataclass(frozen=True)
class Match:
    """What reconciliation found for one intent: its order, none (`never placed` when the
    search was conclusive), or `ambiguous` (several orders or intents fit: nobody guesses)."""

    intent: Intent
    order: Any = None
    ambiguous: bool = False


def match_exact(pending: Iterable[Intent], orders: Iterable[OrderLike], claimed: set[str] = frozenset(),
                window: float = MATCH_WINDOW) -> list[Match]:
    """Pair each unresolved intent with the order it became, by the client reference its
    remark carried to OpenD. An order ID already claimed (by an outcome line or by another
    intent here) is never matched again. Intents from older journals carry no reference: they
    match by fields (code, side, qty, remark, price, time) only when exactly one order fits
    and that order fits no other such intent; otherwise they are reported ambiguous."""
    intents = sorted(pending, key=lambda i: i.time)
    orders = [o for o in orders if getattr(o, "order_id", None) not in claimed]
    by_ref: dict[str, list[OrderLike]] = {}
    for o in orders:
        ref = split_remark(o.remark)[1]
        if ref is not None:
            by_ref.setdefault(ref, []).append(o)
    ours = {i.tag for i in intents if i.tag}
    out: dict[str, Match] = {}
    used: set[int] = set()
    for intent in intents:
        if intent.tag is None:
            continue
        found = by_ref.get(intent.tag, [])
        out[intent.ref] = Match(intent, found[0] if len(found) == 1 else None, ambiguous=len(found) > 1)
        used.update(id(o) for o in found)
    # Older intents: by fields, among orders that carry none of our references.
    free = [o for o in orders if id(o) not in used and split_remark(o.remark)[1] not in ours]
    legacy = [i for i in intents if i.tag is None]
    fits: dict[str, list[int]] = {}
    for intent in legacy:
        fits[intent.ref] = [b for b, o in enumerate(free) if _same_trader_text(intent, o)
                            and abs((order_epoch(o) or intent.time) - intent.time) <= window]
    for intent in legacy:
        mine = fits[intent.ref]
        shared = any(b in fits[other.ref] for other in legacy if other is not intent for b in mine)
        if len(mine) == 1 and not shared:
            out[intent.ref] = Match(intent, free[mine[0]])
        else:
            out[intent.ref] = Match(intent, None, ambiguous=bool(mine))
    return [out[i.ref] for i in intents]


def _same_trader_text(intent: Intent, order: OrderLike) -> bool:
    text = split_remark(order.remark)[0]
    return _same(intent, _Remarked(order, text))


class _Remarked:
    """An order seen with its remark's trader text only (the reference removed)."""

    def __init__(self, order: OrderLike, remark: str) -> None:
        self._order, self.remark = order, remark

    def __getattr__(self, name: str) -> Any:
        return getattr(self._order, name)
