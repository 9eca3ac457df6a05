"""Reconciliation: after a start or a reconnect, pair the journal's requests that never got a
reply with what OpenD now shows, close each with exactly one outcome line, and say in the
trader's words what became of them (and, after an outage, what changed meanwhile).
Nothing is ever resent from here."""

from __future__ import annotations

import asyncio
import time

from protocol import ids
from protocol.client import OpenDClient
from protocol.proto import Trd_GetOrderList_pb2
from protocol.trade import Side, TrdMarket
from workstation.journal import CANCEL, MODIFY as MODIFY_OP, Journal, match_exact
from workstation.orders import fmt
from workstation.account_rows import VERIFYING, order_row
from workstation.wire import BadData
from workstation.store import Store
from workstation.trading.accounts import Accounts
from workstation.trading.book import AccountBook
from workstation.trading.messages import status_name

TODAY_ONLY = 12 * 3600.0  # an intent older than this may be missing from today's order list without a doubt
Snapshot = tuple[dict[str, tuple[int, float, str]], set[str]]


def request_words(rec: dict) -> str:
    """A journalled modify, cancel or cancel-all, as the trader reads it."""
    if rec["op"] == MODIFY_OP:
        return f"modify of order {rec.get('order_id')} to {fmt(rec.get('qty', 0))} @ {fmt(rec.get('price', 0))}"
    if rec["op"] == CANCEL:
        return f"cancel of order {rec.get('order_id')}"
    market = rec.get("market")
    return f"cancel all ({TrdMarket.word_of(market) if isinstance(market, int) else market})"


class Reconciler:
    def __init__(self, client: OpenDClient, store: Store, accounts: Accounts, book: AccountBook,
                 journal: Journal, inflight: set[str]) -> None:
        self.client = client
        self.store = store
        self.accounts = accounts
        self.book = book
        self.journal = journal
        self.inflight = inflight  # the desk's: requests still awaiting their reply are not ours
        self._lock = asyncio.Lock()

    # -- while away ----------------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        """The book's orders (status, filled, how the trader names it) and fills, before a re-read."""
        return ({k: (o.status, o.fill_qty, f"{Side.word_of(o.side)} {fmt(o.qty)} {o.code}")
                 for k, o in self.store.orders.items() if k[0] not in "?!"}, set(self.store.fills))

    def changes(self, before: Snapshot) -> list[str]:
        """What happened to the book's orders while we could not see it: fills, orders that
        appeared, changed status or vanished from OpenD's list."""
        orders, fills = before
        out = []
        for fid in sorted(set(self.store.fills) - fills):
            f = self.store.fills[fid]
            out.append(f"order {f.order_id} filled {fmt(f.qty)} {f.code} @ {fmt(f.price)}")
        for fid in sorted(fills - set(self.store.fills)):
            out.append(f"fill {fid} is no longer listed by OpenD (busted?)")
        for key, o in self.store.orders.items():
            was = orders.get(key)
            if o.status == VERIFYING or key[0] in "?!" or (was is not None and was[0] == o.status):
                continue
            out.append(f"order {key} {Side.word_of(o.side)} {fmt(o.qty)} {o.code}: "
                       f"{status_name(o.status)}" + ("" if was else " (new)"))
        for key, (status, _filled, words) in orders.items():
            if key not in self.store.orders:
                out.append(f"order {key} {words} ({status_name(status)} before) vanished: OpenD no longer lists it")
        return out

    # -- the journal ---------------------------------------------------------------------

    async def reconcile_journal(self, final: bool = True) -> list[str]:
        """Pair journal intents that have no outcome with OpenD's orders; write their outcomes.

        Each intent gets exactly one outcome line, so it is reported once and never resent. An
        intent is matched by the client reference its order's remark carries; an order ID is
        given to one intent only; where the match is ambiguous the trader is told so. With
        `final` False (a check soon after a timeout), an intent whose order is not listed yet
        stays open for the next check."""
        async with self._lock:
            out = self._reconcile_requests()
            pending = [i for i in self.journal.pending() if i.ref not in self.inflight]
            if not pending:
                return out
            by_acc: dict[int, list] = {}
            for intent in pending:
                by_acc.setdefault(intent.ticket.acc_id, []).append(intent)
            claimed = self.journal.claimed()
            shown = {a.acc_id for a in self.accounts.book_accounts()}
            for acc_id, intents in by_acc.items():
                acc = self.accounts.find(acc_id)
                if acc is None:
                    continue  # not this OpenD's account: leave it for the one that has it
                s2c = await self.client.request(ids.TRD_GET_ORDER_LIST,
                                                Trd_GetOrderList_pb2.C2S(header=self.accounts.header(acc)))
                rows = []
                for o in s2c.orderList:
                    try:
                        rows.append(order_row(o, acc_id))
                    except BadData as exc:
                        self.store.reject("order", exc)
                if acc_id in shown:  # the row the trader sees is OpenD's, whatever the journal says
                    for o in s2c.orderList:
                        self.store.apply_order(o, acc_id)
                for m in match_exact(intents, rows, claimed):
                    out.extend(self._close(m, final, claimed))
            self.store.dirty_account = True
            return out

    def _close(self, m, final: bool, claimed: set[str]) -> list[str]:
        intent, row = m.intent, m.order
        t = intent.ticket
        what = f"{Side.word_of(t.side)} {fmt(t.qty)} {t.code}"
        if row is not None:
            self.book.forget_unplaced(f"?{intent.ref}")
            claimed.add(row.order_id)
            self.journal.outcome(intent.ref, order_id=row.order_id, status=row.status)
            return [f"{what}: placed as order {row.order_id}, {status_name(row.status)}"]
        if not final:
            return []
        self.book.forget_unplaced(f"?{intent.ref}")
        if m.ambiguous:
            self.journal.outcome(intent.ref, error="ambiguous: more than one order fits; not matched, not resent")
            return [f"{what}: more than one order at OpenD fits it and it carries no reference, so which one "
                    f"it became cannot be told; check the orders tab; not resent"]
        if time.time() - intent.time > TODAY_ONLY:  # the order list holds today's orders only
            self.journal.outcome(intent.ref, error="older than OpenD's order list of today: fate unknown; not resent")
            return [f"{what}: sent over {TODAY_ONLY / 3600:g} h ago and not in OpenD's order list of today, so "
                    f"what became of it cannot be told here; check the order history; not resent"]
        self.journal.outcome(intent.ref, error="not found at OpenD: never placed (not resent)")
        return [f"{what}: not found at OpenD, so it was never placed; not resent"]

    def _reconcile_requests(self) -> list[str]:
        """Modify / cancel requests that never got a reply: say what became of the order (as
        the order list just loaded shows it) and close the intent. Nothing is resent."""
        out = []
        known = {a.acc_id for a in self.accounts.all}
        for rec in self.journal.pending_requests():
            if rec["ref"] in self.inflight or rec.get("acc_id") not in known:
                continue
            order_id = str(rec.get("order_id") or "")
            order = self.store.orders.get(order_id)
            if order is not None:
                now = f"the order is {status_name(order.status)}, {fmt(order.qty)} @ {fmt(order.price)}"
            else:
                now = "see the orders tab"
            self.journal.outcome(rec["ref"], order_id=order_id or None, status=order.status if order else None,
                                 error="no reply received; not resent")
            out.append(f"{request_words(rec)}: no reply was received; {now}; not resent")
        return out
