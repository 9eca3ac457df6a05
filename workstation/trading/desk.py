"""The order desk: place, modify, cancel and cancel all, each throttled, journalled before
and after it is sent, and told as exactly one typed outcome message. Also the safety
decisions around them: which order may be changed, how many are open, what cancel-all covers.

Nothing here ever resends a request: a reply lost to a drop or a timeout leaves the journal
intent open, to be reconciled against OpenD after the reconnect.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable

from protocol import ids
from protocol.client import ConnectionLost, NotConnected, OpenDClient, OpenDError, RequestTimeout
from protocol.proto import Trd_ModifyOrder_pb2
from protocol.trade import ModifyOp, OrderStatus, Side, TrdMarket, status_is_open
from workstation.journal import CANCEL, CANCEL_ALL, MODIFY as MODIFY_OP, Journal, JournalError
from workstation.orders import REMARK_BYTES, TRADER_REMARK_BYTES, Ticket, fmt, new_ref, to_c2s
from workstation.account_rows import VERIFYING, OrderRow
from workstation.store import Store
from workstation.throttle import MODIFY, PLACE, OrderThrottle
from workstation.trading.accounts import Account, Accounts, Refused
from workstation.trading.book import AccountBook
from workstation.trading.messages import (
    CancelAllDone, ChangeFateUnknown, ChangeRefused, ChangeRejected, ChangeSent, OrderDeclined, OrderFateUnknown,
    OrderRefused, OrderRejected, OrderSent, TradingOutcome, TradingRefused,
)

log = logging.getLogger(__name__)


class OrderDesk:
    def __init__(self, client: OpenDClient, store: Store, accounts: Accounts, book: AccountBook,
                 post: Callable[[object], object], journal: Journal | None = None,
                 throttle: OrderThrottle | None = None) -> None:
        self.client = client
        self.store = store
        self.accounts = accounts
        self.book = book
        self.post = post
        self.journal = journal or Journal()
        self.throttle = throttle or OrderThrottle()
        self.inflight: set[str] = set()  # journal refs of requests awaiting their reply
        # A reply that timed out with the link up: the Trading object checks OpenD's orders now.
        self.on_unknown: Callable[[], object] = lambda: None

    def _tell(self, outcome: TradingOutcome) -> TradingOutcome:
        self.post(outcome)
        return outcome

    # -- decisions -----------------------------------------------------------------------

    def changeable(self, order_id: str) -> OrderRow | None:
        """The order, if it may be modified or cancelled: open, known to OpenD (not one whose
        fate is being verified), and not DISABLED (told as no longer valid; treated as final)."""
        return self.store.orders.get(order_id) if self.why_unchangeable(order_id) is None else None

    def why_unchangeable(self, order_id: str) -> str | None:
        """Why the order may not be modified or cancelled (the trader is told); None if it may."""
        order = self.store.orders.get(order_id)
        if order is None:
            return "it is no longer listed"
        if order.status == VERIFYING:
            return "its fate is still being checked with OpenD"
        if order.status == OrderStatus.DISABLED:
            return "OpenD shows it DISABLED (not working; it may be enabled again elsewhere)"
        if not status_is_open(order.status):
            return f"it is {OrderStatus.word_of(order.status)}"
        return None

    def open_orders(self) -> int:
        """What cancel-all covers, as the trader counts it: every changeable order shown."""
        return sum(1 for key in self.store.orders if self.changeable(key) is not None)

    def cancel_all_targets(self) -> list[tuple[Account, int]]:
        """One cancel-all request per book account and market it trades (raises Refused)."""
        if self.accounts.active is None:
            raise Refused("no trading account")
        return [(self.accounts.require(a.acc_id), m) for a in self.accounts.book_accounts()
                for m in sorted(set(a.markets))]

    def cancel_all_plan(self) -> list[tuple[Account, list[OrderRow]]]:
        """What cancel-all will cancel, as its confirmation lists it: every book account (each
        gets a request, open orders or not) with its changeable orders."""
        plan = []
        for acc in self.accounts.book_accounts():
            orders = [o for key, o in self.store.orders.items()
                      if o.acc_id == acc.acc_id and self.changeable(key) is not None]
            plan.append((acc, orders))
        return plan

    def form_account(self, code: str) -> Account | None:
        """The account a new order on this code would go to, if it may trade now; else says why."""
        acc = self.accounts.account_for(code)
        active = self.accounts.active
        if acc is None:
            real = "REAL " if active is not None and active.is_real else ""
            self.post(TradingRefused(f"no {real}trading account for {code}"))
            return None
        if acc.is_real and not self.accounts.unlocked:
            self.post(TradingRefused("REAL trading is locked: press L to unlock with your trade password", "error"))
            return None
        return acc

    # -- new orders ----------------------------------------------------------------------

    def decline(self, ticket: Ticket) -> TradingOutcome:
        """The trader said no at the REAL confirmation: nothing is sent."""
        return self._tell(OrderDeclined(ticket))

    async def place(self, ticket: Ticket) -> TradingOutcome:
        """Throttle, journal the intent, send, journal the outcome. Returns (and posts) one of
        OrderSent, OrderRefused, OrderRejected, OrderFateUnknown.

        A reply lost to a drop or a timeout leaves the order "unknown, verifying" in the
        orders panel; it is reconciled against OpenD's order list after the reconnect."""
        try:
            acc = self.accounts.require(ticket.acc_id)
        except Refused as exc:
            return self._tell(OrderRefused(ticket, str(exc)))
        wait = self.throttle.check(PLACE, acc.acc_id)
        if wait:
            return self._tell(OrderRefused(ticket, self.throttle.message(PLACE, wait)))
        ref = self._new_ref(acc.acc_id)
        if len(ticket.remark.encode("utf-8")) > TRADER_REMARK_BYTES:  # no room for the reference
            return self._tell(OrderRefused(ticket, f"the remark is over {TRADER_REMARK_BYTES} bytes: the rest of "
                                                   f"OpenD's {REMARK_BYTES} carries the order's reference"))
        self.accounts.touch()
        try:
            self.journal.intent(ticket, ref, tagged=True)
        except JournalError as exc:  # unjournalled means unsent: a crash could not reconcile it
            return self._tell(OrderRefused(ticket, f"not sent: {exc.strerror}"))
        self.inflight.add(ref)
        try:
            s2c = await self.client.request(ids.TRD_PLACE_ORDER,
                                            to_c2s(ticket, self.accounts.header(acc, ticket.code), ref))
        except (ConnectionLost, RequestTimeout) as exc:
            checking = isinstance(exc, RequestTimeout) and self.client.ready
            self.book.show_unplaced(f"?{ref}", ticket, VERIFYING, f"unknown, verifying ({exc})")
            outcome = self._tell(OrderFateUnknown(ticket, str(exc), checking=checking))
            if checking:  # the link is up: check OpenD's order list now, not after a reconnect
                self.on_unknown()
            return outcome
        except NotConnected as exc:  # nothing left the process
            self.journal.outcome(ref, error=f"not sent: {exc}")
            return self._tell(OrderRefused(ticket, str(exc)))
        except OpenDError as exc:  # refused by OpenD: the row says why
            self.journal.outcome(ref, error=str(exc))
            self.book.show_unplaced(f"!{ref}", ticket, OrderStatus.SUBMIT_FAILED, str(exc))
            return self._tell(OrderRejected(ticket, str(exc)))
        finally:
            self.inflight.discard(ref)
        self.journal.outcome(ref, order_id=s2c.orderIDEx)
        log.info("order %s placed: %s %s %s @ %s (account %s)", s2c.orderIDEx, Side.word_of(ticket.side),
                 fmt(ticket.qty), ticket.code, fmt(ticket.price), acc.acc_id)
        self.accounts.touch()
        return self._tell(OrderSent(ticket, s2c.orderIDEx))

    # -- open orders ---------------------------------------------------------------------

    async def modify(self, order_id: str, qty: float, price: float, aux_price: float | None = None) -> TradingOutcome:
        """A new quantity and price (and trigger, for stops: `aux_price`). An order without a
        limit price (market, stop) is told as "qty, trigger X", never "@ 0"."""
        what = f"modify {order_id}"
        order = self.store.orders.get(order_id)
        priced = order is None or Ticket(code=order.code, side=order.side, qty=qty,
                                         order_type=order.order_type).has_price
        detail = f": {fmt(qty)}" + (f" @ {fmt(price)}" if priced else "")
        if aux_price is not None:
            detail += f", trigger {fmt(aux_price)}"
        return await self._change(what, order_id, ModifyOp.NORMAL, qty, price, aux_price,
                                  sent=lambda: ChangeSent(what, order_id, detail))

    async def cancel(self, order_id: str) -> TradingOutcome:
        what = f"cancel {order_id}"
        return await self._change(what, order_id, ModifyOp.CANCEL, sent=lambda: ChangeSent(what, order_id))

    async def _change(self, what: str, order_id: str, op: ModifyOp, qty: float | None = None,
                      price: float | None = None, aux_price: float | None = None, *,
                      sent: Callable[[], TradingOutcome]) -> TradingOutcome:
        order = self.changeable(order_id)
        if order is None:
            return self._tell(ChangeRefused(what, "the order is not open"))
        active = self.accounts.active
        try:
            acc = self.accounts.require(order.acc_id or (active.acc_id if active else 0))
        except Refused as exc:
            return self._tell(ChangeRefused(what, str(exc)))
        wait = self.throttle.check(MODIFY, acc.acc_id)
        if wait:
            return self._tell(ChangeRefused(what, self.throttle.message(MODIFY, wait)))
        self.accounts.touch()
        c2s = Trd_ModifyOrder_pb2.C2S(header=self.accounts.header(acc, order.code), orderID=0,
                                      orderIDEx=order.order_id, modifyOrderOp=op, forAll=False)
        ref = self._new_ref(acc.acc_id)
        try:
            if op is ModifyOp.NORMAL:
                c2s.qty = float(qty if qty is not None else order.qty)
                c2s.price = float(price if price is not None else order.price)
                c2s.adjustPrice, c2s.adjustSideAndLimit = False, 0.0
                extra = {}
                if aux_price is not None:
                    c2s.auxPrice = extra["aux_price"] = float(aux_price)
                self.journal.request(MODIFY_OP, ref, acc_id=acc.acc_id, order_id=order.order_id, qty=c2s.qty,
                                     price=c2s.price, **extra)
            else:
                self.journal.request(CANCEL, ref, acc_id=acc.acc_id, order_id=order.order_id)
        except JournalError as exc:
            return self._tell(ChangeRefused(what, f"not sent: {exc.strerror}"))
        failed = await self._send_change(what, ref, c2s)
        if isinstance(failed, ChangeRejected):
            self.book.show_error(order, failed.reason)
        return self._tell(failed or sent())

    async def cancel_all(self, open_orders: int | None = None) -> TradingOutcome:
        """Cancel every open order shown: one request per account and market, each counted
        against that account's modify window. The kill switch tries every market even when
        OpenD refuses one. `open_orders` is the count the trader confirmed."""
        what = "cancel all"
        n = self.open_orders() if open_orders is None else open_orders
        try:
            targets = self.cancel_all_targets()
        except Refused as exc:
            return self._tell(ChangeRefused(what, str(exc)))
        per_account = Counter(acc.acc_id for acc, _ in targets)
        wait = max((self.throttle.wait(MODIFY, acc_id, k) for acc_id, k in per_account.items()), default=0.0)
        if wait:
            return self._tell(ChangeRefused(what, self.throttle.message(MODIFY, wait)))
        self.accounts.touch()
        refused = []
        for acc, market in targets:
            c2s = Trd_ModifyOrder_pb2.C2S(header=self.accounts.header(acc), orderID=0, modifyOrderOp=ModifyOp.CANCEL,
                                          forAll=True, trdMarket=market)
            c2s.header.trdMarket = market
            ref = self._new_ref(acc.acc_id)
            try:
                self.journal.request(CANCEL_ALL, ref, acc_id=acc.acc_id, market=market)
            except JournalError as exc:
                return self._tell(ChangeRefused(what, f"not sent: {exc.strerror}"))
            self.throttle.count(MODIFY, acc.acc_id)
            failed = await self._send_change(what, ref, c2s)
            if isinstance(failed, ChangeRejected):
                refused.append(f"{TrdMarket.word_of(market)}: {failed.reason}")
            elif failed is not None:  # not connected, or the fate of this one is unknown: stop here
                return self._tell(failed)
        if refused:
            return self._tell(ChangeRejected(what, "; ".join(refused)))
        return self._tell(CancelAllDone(n))

    async def _send_change(self, what: str, ref: str, c2s: Trd_ModifyOrder_pb2.C2S) -> TradingOutcome | None:
        """One Trd_ModifyOrder between its journal intent and outcome lines; None if accepted,
        else the (unposted) outcome. A lost reply leaves the intent open for reconciliation."""
        self.inflight.add(ref)
        try:
            await self.client.request(ids.TRD_MODIFY_ORDER, c2s)
        except (ConnectionLost, RequestTimeout) as exc:
            checking = isinstance(exc, RequestTimeout) and self.client.ready
            if checking:
                self.on_unknown()
            return ChangeFateUnknown(what, str(exc), checking=checking)
        except NotConnected as exc:  # nothing left the process
            self.journal.outcome(ref, error=f"not sent: {exc}")
            return ChangeRefused(what, str(exc))
        except OpenDError as exc:
            self.journal.outcome(ref, order_id=c2s.orderIDEx or None, error=str(exc))
            return ChangeRejected(what, str(exc))
        finally:
            self.inflight.discard(ref)
        self.journal.outcome(ref, order_id=c2s.orderIDEx or None)
        self.accounts.touch()
        return None

    @staticmethod
    def _new_ref(acc_id: int) -> str:
        """A fresh client reference (a place's travels to OpenD in its remark)."""
        return new_ref()

