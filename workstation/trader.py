"""Trading: accounts, unlock, orders (place, modify, cancel, cancel all), the journal, and
reconciliation of requests whose fate is unknown, after a restart or a reconnect.

The feed owns one Trader and calls `on_ready()` after every (re)connect; the App calls the
rest. Checks that need no network (lock, throttle, account) raise `OrderRefused` before
anything is sent. Nothing here ever resends an order.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import logging
import time
from collections import Counter
from collections.abc import Callable

from protocol import ids
from protocol.client import ConnectionLost, NotConnected, OpenDClient, OpenDError, RequestTimeout
from protocol.codes import ORDER_STATUS, TRD_MARKET_NAMES, TRD_SEC_MARKETS, split_code
from protocol.proto import (
    Trd_Common_pb2,
    Trd_GetAccList_pb2,
    Trd_GetFunds_pb2,
    Trd_GetMaxTrdQtys_pb2,
    Trd_GetOrderFillList_pb2,
    Trd_GetOrderList_pb2,
    Trd_GetPositionList_pb2,
    Trd_ModifyOrder_pb2,
    Trd_SubAccPush_pb2,
    Trd_UnlockTrade_pb2,
)
from workstation.journal import CANCEL, CANCEL_ALL, MODIFY as MODIFY_OP, Journal, reconcile
from workstation.messages import AccountChanged, FeedNotice, FillReceived, OrderUpdated
from workstation.orders import REAL, SIMULATE, Ticket, fmt, to_c2s
from workstation.store import NAN, VERIFYING, OrderRow, Store, order_row
from workstation.throttle import MODIFY, PLACE, OrderThrottle

log = logging.getLogger(__name__)

ACCOUNT_DEBOUNCE = 3.0  # funds/positions: 10 calls / 30 s allowed
CURRENCY = {1: "HKD", 2: "USD", 3: "CNH"}
TRADE_MARKET = {"HK": 1, "US": 2, "SH": 3, "SZ": 3}  # code prefix -> TrdMarket of a SIMULATE order
MODIFY_NORMAL, MODIFY_CANCEL = 1, 2  # Trd_Common.ModifyOrderOp


class OrderRefused(Exception):
    """Refused before sending: locked, throttled, no account. The text is for the trader."""


class Account:
    __slots__ = ("acc_id", "env", "markets", "firm", "card")

    def __init__(self, acc) -> None:
        self.acc_id = acc.accID
        self.env = acc.trdEnv
        self.markets = list(acc.trdMarketAuthList)
        self.firm = acc.securityFirm if acc.HasField("securityFirm") else 0
        self.card = acc.cardNum if acc.HasField("cardNum") else str(acc.accID)

    @property
    def is_real(self) -> bool:
        return self.env == REAL

    @property
    def label(self) -> str:
        env = "REAL" if self.is_real else "SIM"
        return f"{env} {'/'.join(TRD_MARKET_NAMES.get(m, str(m)) for m in self.markets)} {self.card}"


def md5_of(password: str) -> str:
    """What OpenD wants instead of the trade password: its lowercase hex MD5."""
    return hashlib.md5(password.encode("utf-8")).hexdigest()


def side_word(side: int) -> str:
    return {1: "BUY", 2: "SELL", 3: "SELL SHORT", 4: "BUY BACK"}.get(side, str(side))


def request_words(rec: dict) -> str:
    """A journalled modify, cancel or cancel-all, as the trader reads it."""
    if rec["op"] == MODIFY_OP:
        return f"modify of order {rec.get('order_id')} to {fmt(rec.get('qty', 0))} @ {fmt(rec.get('price', 0))}"
    if rec["op"] == CANCEL:
        return f"cancel of order {rec.get('order_id')}"
    return f"cancel all ({TRD_MARKET_NAMES.get(rec.get('market'), rec.get('market'))})"


class Trader:
    def __init__(self, client: OpenDClient, store: Store, post: Callable[[object], object],
                 journal: Journal | None = None, relock_after: float = 900.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.client = client
        self.store = store
        self.post = post
        self.journal = journal or Journal()
        self.throttle = OrderThrottle()
        self.relock_after = relock_after
        self.clock = clock
        self.accounts: list[Account] = []
        self.account: Account | None = None
        self.unlocked = False
        self.last_activity = clock()
        self.ready_once = False
        self.inflight: set[str] = set()  # journal refs of requests awaiting their reply
        self._refs = itertools.count(1)
        self._account_refresh: asyncio.TimerHandle | None = None
        self._reconciling = asyncio.Lock()

    # -- accounts ------------------------------------------------------------------------

    def header(self, account: Account | None = None, code: str | None = None) -> Trd_Common_pb2.TrdHeader:
        acc = account or self.account
        assert acc is not None
        market = acc.markets[0]
        if code is not None and acc.env == SIMULATE:
            market = TRADE_MARKET.get(split_code(code)[0], market)
        return Trd_Common_pb2.TrdHeader(trdEnv=acc.env, accID=acc.acc_id, trdMarket=market)

    async def on_ready(self) -> list[str]:
        """After every (re)connect: accounts, account pushes, orders, fills, positions, funds,
        then the journal. Returns what changed since the last snapshot (empty the first time)."""
        before = self._snapshot() if self.ready_once else None
        await self.load_accounts()
        changes = self._changes(before) if before is not None else []
        found = await self.reconcile_journal()
        self.ready_once = True
        return changes + found

    async def load_accounts(self) -> None:
        assert self.client.info is not None
        s2c = await self.client.request(ids.TRD_GET_ACC_LIST, Trd_GetAccList_pb2.C2S(
            userID=self.client.info.login_user_id, trdCategory=1, needGeneralSecAccount=True))
        self.accounts = [Account(a) for a in s2c.accList if a.trdMarketAuthList]
        if not self.accounts:
            return
        if self.account is None or all(a.acc_id != self.account.acc_id for a in self.accounts):
            sims = [a for a in self.accounts if a.env == SIMULATE]
            self.account = (sims or self.accounts)[0]
        await self.client.request(ids.TRD_SUB_ACC_PUSH, Trd_SubAccPush_pb2.C2S(accIDList=[a.acc_id for a in self.accounts]))
        self.post(AccountChanged())
        await self.refresh_account(orders=True)

    def book_accounts(self) -> list[Account]:
        """Whose orders, fills and positions the panels show: the active REAL account, or every
        SIMULATE account (a SIMULATE order goes to the one that trades the code's market)."""
        acc = self.account
        if acc is None:
            return []
        return [acc] if acc.is_real else [a for a in self.accounts if a.env == SIMULATE]

    def next_account(self, env: int) -> Account | None:
        """The next account of this environment after the active one (cycles)."""
        same = [a for a in self.accounts if a.env == env]
        if not same:
            return None
        if self.account in same:
            return same[(same.index(self.account) + 1) % len(same)]
        return same[0]

    def select_account(self, account: Account) -> None:
        self.account = account
        self.store.clear_account()
        self.post(AccountChanged())

    async def refresh_account(self, orders: bool = False) -> None:
        acc = self.account
        if acc is None:
            return
        book = self.book_accounts()
        if orders:
            keep = {k: o for k, o in self.store.orders.items() if k[0] in "?!"}  # our own rows
            fetched = []
            for a in book:
                s2c = await self.client.request(ids.TRD_GET_ORDER_LIST, Trd_GetOrderList_pb2.C2S(header=self.header(a)))
                fetched.append((a, s2c.orderList))
            self.store.orders.clear()
            self.store.orders.update(keep)
            for a, order_list in fetched:
                for o in order_list:
                    self.store.apply_order(o, a.acc_id)
            for a in book:
                s2c = await self.client.request(ids.TRD_GET_ORDER_FILL_LIST,
                                                Trd_GetOrderFillList_pb2.C2S(header=self.header(a)))
                for f in s2c.orderFillList:
                    self.store.apply_fill(f, a.acc_id)
        positions = []
        for a in book:
            s2c = await self.client.request(ids.TRD_GET_POSITION_LIST, Trd_GetPositionList_pb2.C2S(header=self.header(a)))
            positions.extend(s2c.positionList)
        self.store.set_positions(positions)
        head = self.header(acc)
        currency = acc.markets[0] if acc.markets[0] in CURRENCY else 1
        s2c = await self.client.request(ids.TRD_GET_FUNDS, Trd_GetFunds_pb2.C2S(header=head, currency=currency))
        self.store.set_funds(s2c.funds, CURRENCY.get(currency, ""))

    def account_for(self, code: str) -> Account | None:
        """The active account if it trades this code's market; in SIMULATE, another SIM one."""
        market = TRADE_MARKET.get(code.split(".", 1)[0])
        if self.account is not None and self.account.is_real:
            return self.account if market in self.account.markets else None
        candidates = ([self.account] if self.account else []) + [a for a in self.accounts if a.env == SIMULATE]
        return next((a for a in candidates if market in a.markets), None)

    # -- unlock ------------------------------------------------------------------------

    async def unlock(self, pwd_md5: str) -> None:
        """Unlock REAL trading with the password's MD5 (OpenDError if OpenD refuses it)."""
        firm = next((a.firm for a in self.accounts if a.is_real and a.firm), 0)
        c2s = Trd_UnlockTrade_pb2.C2S(unlock=True, pwdMD5=pwd_md5)
        if firm:
            c2s.securityFirm = firm
        await self.client.request(ids.TRD_UNLOCK_TRADE, c2s)
        log.info("REAL trading unlocked")
        self.unlocked = True
        self.touch()

    async def lock(self) -> None:
        """Lock REAL trading again, here and at OpenD."""
        self.unlocked = False
        if self.client.ready:
            await self.client.request(ids.TRD_UNLOCK_TRADE, Trd_UnlockTrade_pb2.C2S(unlock=False))

    def touch(self) -> None:
        self.last_activity = self.clock()

    def relock_due(self) -> bool:
        return self.unlocked and self.clock() - self.last_activity >= self.relock_after

    def _require(self, acc_id: int) -> Account:
        acc = next((a for a in self.accounts if a.acc_id == acc_id), None)
        if acc is None:
            raise OrderRefused(f"no trading account {acc_id}")
        if acc.is_real and not self.unlocked:
            raise OrderRefused("REAL trading is locked: unlock it first (L) with your trade password")
        return acc

    # -- orders ------------------------------------------------------------------------

    async def place_order(self, ticket: Ticket) -> str:
        """Throttle, journal the intent, send, journal the outcome. Returns the order ID.

        A reply lost to a drop or a timeout leaves the order "unknown, verifying" in the
        orders panel; it is reconciled against OpenD's order list after the reconnect.
        """
        acc = self._require(ticket.acc_id)
        wait = self.throttle.check(PLACE, acc.acc_id)
        if wait:
            raise OrderRefused(self.throttle.message(PLACE, wait))
        self.touch()
        ref = self._new_ref(acc.acc_id)
        self.journal.intent(ticket, ref)
        self.inflight.add(ref)
        try:
            s2c = await self.client.request(ids.TRD_PLACE_ORDER, to_c2s(ticket, self.header(acc, ticket.code)))
        except (ConnectionLost, RequestTimeout) as exc:
            self._mark_unknown(ref, ticket, str(exc))
            raise
        except NotConnected as exc:  # nothing left the process
            self.journal.outcome(ref, error=f"not sent: {exc}")
            raise
        except OpenDError as exc:  # refused by OpenD: the row says why
            self.journal.outcome(ref, error=str(exc))
            self._add_local_row(f"!{ref}", ticket, 3, str(exc))  # SUBMIT_FAILED
            raise
        finally:
            self.inflight.discard(ref)
        self.journal.outcome(ref, order_id=s2c.orderIDEx)
        log.info("order %s placed: %s %s %s @ %s (account %s)", s2c.orderIDEx, side_word(ticket.side),
                 fmt(ticket.qty), ticket.code, fmt(ticket.price), acc.acc_id)
        self.touch()
        return s2c.orderIDEx

    def _mark_unknown(self, ref: str, ticket: Ticket, why: str) -> None:
        """Show an order we cannot vouch for; the journal keeps its intent open."""
        self._add_local_row(f"?{ref}", ticket, VERIFYING, f"unknown, verifying ({why})")

    def _add_local_row(self, key: str, ticket: Ticket, status: int, message: str) -> None:
        """An orders-panel row for an order OpenD gave no ID: refused, or fate unknown."""
        now = time.strftime("%Y-%m-%d %H:%M:%S")
        self.store.orders[key] = OrderRow(
            order_id=key, code=ticket.code, name=self.store.names.get(ticket.code, ""), side=ticket.side,
            order_type=ticket.order_type, status=status, qty=ticket.qty, price=ticket.price,
            create_time=now, update_time=now, last_error=message, remark=ticket.remark, acc_id=ticket.acc_id,
            aux_price=ticket.aux_price if ticket.aux_price is not None else NAN,
        )
        self.store.dirty_account = True

    def _new_ref(self, acc_id: int) -> str:
        return f"{acc_id}-{time.time_ns()}-{next(self._refs)}"

    async def _send_change(self, ref: str, c2s: Trd_ModifyOrder_pb2.C2S) -> None:
        """One modify_order request between its journal intent and outcome lines.

        A reply lost to a drop or a timeout leaves the intent open; it is reconciled after the
        reconnect. OpenD's refusal is journalled and raised."""
        self.inflight.add(ref)
        try:
            await self.client.request(ids.TRD_MODIFY_ORDER, c2s)
        except (ConnectionLost, RequestTimeout):
            raise
        except NotConnected as exc:  # nothing left the process
            self.journal.outcome(ref, error=f"not sent: {exc}")
            raise
        except OpenDError as exc:
            self.journal.outcome(ref, order_id=c2s.orderIDEx or None, error=str(exc))
            raise
        finally:
            self.inflight.discard(ref)
        self.journal.outcome(ref, order_id=c2s.orderIDEx or None)
        self.touch()

    async def _modify(self, order: OrderRow, op: int, qty: float | None = None, price: float | None = None) -> None:
        acc = self._require(order.acc_id or (self.account.acc_id if self.account else 0))
        wait = self.throttle.check(MODIFY, acc.acc_id)
        if wait:
            raise OrderRefused(self.throttle.message(MODIFY, wait))
        self.touch()
        c2s = Trd_ModifyOrder_pb2.C2S(header=self.header(acc, order.code), orderID=0, orderIDEx=order.order_id,
                                      modifyOrderOp=op, forAll=False)
        ref = self._new_ref(acc.acc_id)
        if op == MODIFY_NORMAL:
            c2s.qty, c2s.price = float(qty if qty is not None else order.qty), float(price if price is not None else order.price)
            c2s.adjustPrice, c2s.adjustSideAndLimit = False, 0.0
            self.journal.request(MODIFY_OP, ref, acc_id=acc.acc_id, order_id=order.order_id, qty=c2s.qty, price=c2s.price)
        else:
            self.journal.request(CANCEL, ref, acc_id=acc.acc_id, order_id=order.order_id)
        try:
            await self._send_change(ref, c2s)
        except (NotConnected, RequestTimeout):
            raise
        except OpenDError as exc:  # OpenD's refusal: the row says why
            order.last_error = str(exc)
            self.store.dirty_account = True
            raise

    async def modify_order(self, order: OrderRow, qty: float, price: float) -> None:
        await self._modify(order, MODIFY_NORMAL, qty, price)

    async def cancel_order(self, order: OrderRow) -> None:
        await self._modify(order, MODIFY_CANCEL)

    async def cancel_all(self) -> None:
        """Cancel every open order shown: one request per account and market, each counted
        against that account's modify window."""
        if self.account is None:
            raise OrderRefused("no trading account")
        targets = [(self._require(a.acc_id), m) for a in self.book_accounts() for m in sorted(set(a.markets))]
        per_account = Counter(acc.acc_id for acc, _ in targets)
        wait = max((self.throttle.wait(MODIFY, acc_id, n) for acc_id, n in per_account.items()), default=0.0)
        if wait:
            raise OrderRefused(self.throttle.message(MODIFY, wait))
        self.touch()
        refused = []
        for acc, market in targets:
            c2s = Trd_ModifyOrder_pb2.C2S(header=self.header(acc), orderID=0, modifyOrderOp=MODIFY_CANCEL,
                                          forAll=True, trdMarket=market)
            c2s.header.trdMarket = market
            ref = self._new_ref(acc.acc_id)
            self.throttle.count(MODIFY, acc.acc_id)
            self.journal.request(CANCEL_ALL, ref, acc_id=acc.acc_id, market=market)
            try:
                await self._send_change(ref, c2s)
            except (NotConnected, RequestTimeout):
                raise
            except OpenDError as exc:  # the kill switch still tries the other markets
                refused.append(f"{TRD_MARKET_NAMES.get(market, market)}: {exc}")
        if refused:
            raise OpenDError("; ".join(refused))

    async def buying_power(self, acc_id: int) -> tuple[float, str]:
        """Trd_GetFunds of one account, for a form whose order goes to an account other than
        the active one (in SIMULATE, a US code trades on the US paper account)."""
        acc = next((a for a in self.accounts if a.acc_id == acc_id), None)
        if acc is None:
            raise OrderRefused(f"no trading account {acc_id}")
        currency = acc.markets[0] if acc.markets[0] in CURRENCY else 1
        s2c = await self.client.request(ids.TRD_GET_FUNDS, Trd_GetFunds_pb2.C2S(header=self.header(acc), currency=currency))
        return s2c.funds.power, CURRENCY.get(currency, "")

    async def max_qtys(self, ticket: Ticket):
        """Trd_GetMaxTrdQtys for the form's preview (cash buy, sell, short)."""
        acc = next((a for a in self.accounts if a.acc_id == ticket.acc_id), None)
        if acc is None:
            raise OrderRefused(f"no trading account {ticket.acc_id}")
        market, symbol = split_code(ticket.code)
        c2s = Trd_GetMaxTrdQtys_pb2.C2S(header=self.header(acc, ticket.code), orderType=ticket.order_type,
                                         code=symbol, price=float(ticket.price or 0.0),
                                         secMarket=TRD_SEC_MARKETS.get(market, 0))
        s2c = await self.client.request(ids.TRD_GET_MAX_TRD_QTYS, c2s)
        return s2c.maxTrdQtys

    # -- pushes ------------------------------------------------------------------------

    def on_order_push(self, resp) -> None:
        s2c = resp.s2c
        if not self._on_book(s2c.header.accID):
            return
        row = self.store.apply_order(s2c.order, s2c.header.accID)
        self.post(OrderUpdated(row))

    def on_fill_push(self, resp) -> None:
        s2c = resp.s2c
        if not self._on_book(s2c.header.accID):
            return
        row, new = self.store.apply_fill(s2c.orderFill, s2c.header.accID)
        if new:
            self.post(FillReceived(row))
            self.schedule_refresh()

    def _on_book(self, acc_id: int) -> bool:
        return any(a.acc_id == acc_id for a in self.book_accounts())

    def schedule_refresh(self) -> None:
        """Coalesce refreshes after fills: funds and positions are rate limited."""
        if self._account_refresh is not None:
            return

        def fire() -> None:
            self._account_refresh = None
            if self.client.ready:
                asyncio.ensure_future(self._quiet(self.refresh_account()))

        self._account_refresh = asyncio.get_running_loop().call_later(ACCOUNT_DEBOUNCE, fire)

    async def _quiet(self, coro) -> None:
        try:
            await coro
        except OpenDError as exc:
            self.post(FeedNotice(f"account refresh: {exc}", "warning"))

    def cancel_timers(self) -> None:
        if self._account_refresh is not None:
            self._account_refresh.cancel()
            self._account_refresh = None

    # -- reconciliation --------------------------------------------------------------------

    def _snapshot(self) -> tuple[dict[str, tuple[int, float]], set[str]]:
        return ({k: (o.status, o.fill_qty) for k, o in self.store.orders.items()}, set(self.store.fills))

    def _changes(self, before: tuple[dict[str, tuple[int, float]], set[str]]) -> list[str]:
        """What happened to the active account's orders while we could not see it."""
        orders, fills = before
        out = []
        for fid in sorted(set(self.store.fills) - fills):
            f = self.store.fills[fid]
            out.append(f"order {f.order_id} filled {fmt(f.qty)} {f.code} @ {fmt(f.price)}")
        for key, o in self.store.orders.items():
            was = orders.get(key)
            if o.status == VERIFYING or (was is not None and was[0] == o.status):
                continue
            out.append(f"order {key} {side_word(o.side)} {fmt(o.qty)} {o.code}: "
                       f"{ORDER_STATUS.get(o.status, o.status)}" + ("" if was else " (new)"))
        return out

    async def reconcile_journal(self) -> list[str]:
        """Pair journal intents that have no outcome with OpenD's orders; write their outcomes.

        Each intent gets exactly one outcome line, so it is reported once and never resent.
        """
        async with self._reconciling:
            out = self._reconcile_requests()
            pending = [i for i in self.journal.pending() if i.ref not in self.inflight]
            if not pending:
                return out
            by_acc: dict[int, list] = {}
            for intent in pending:
                by_acc.setdefault(intent.ticket.acc_id, []).append(intent)
            for acc_id, intents in by_acc.items():
                acc = next((a for a in self.accounts if a.acc_id == acc_id), None)
                if acc is None:
                    continue  # not this OpenD's account: leave it for the one that has it
                s2c = await self.client.request(ids.TRD_GET_ORDER_LIST, Trd_GetOrderList_pb2.C2S(header=self.header(acc)))
                rows = [order_row(o, acc_id) for o in s2c.orderList]
                for intent, row in reconcile(intents, rows):
                    t = intent.ticket
                    what = f"{side_word(t.side)} {fmt(t.qty)} {t.code}"
                    self.store.orders.pop(f"?{intent.ref}", None)
                    if row is None:
                        self.journal.outcome(intent.ref, error="not found at OpenD: never placed (not resent)")
                        out.append(f"{what}: not found at OpenD, so it was never placed; not resent")
                    else:
                        self.journal.outcome(intent.ref, order_id=row.order_id, status=row.status)
                        out.append(f"{what}: placed as order {row.order_id}, "
                                   f"{ORDER_STATUS.get(row.status, row.status)}")
            self.store.dirty_account = True
            return out

    def _reconcile_requests(self) -> list[str]:
        """Modify / cancel requests that never got a reply: say what became of the order (as
        the order list just loaded shows it) and close the intent. Nothing is resent."""
        out = []
        known = {a.acc_id for a in self.accounts}
        for rec in self.journal.pending_requests():
            if rec["ref"] in self.inflight or rec.get("acc_id") not in known:
                continue
            order_id = str(rec.get("order_id") or "")
            order = self.store.orders.get(order_id)
            if order is not None:
                now = f"the order is {ORDER_STATUS.get(order.status, order.status)}, {fmt(order.qty)} @ {fmt(order.price)}"
            else:
                now = "see the orders tab"
            self.journal.outcome(rec["ref"], order_id=order_id or None, status=order.status if order else None,
                                 error="no reply received; not resent")
            out.append(f"{request_words(rec)}: no reply was received; {now}; not resent")
        return out
