"""Trading, split by job and kept outside the App:

- `accounts`: the account list, the active account, the REAL lock and its idle re-lock;
- `book`: the orders, fills, positions and funds the panels show (replies and pushes);
- `desk`: place, modify, cancel, cancel all (throttle, journal, send) and their safety rules;
- `reconcile`: the journal against OpenD after a start or reconnect, in the trader's words;
- `messages`: every outcome as a typed message the App turns into a notification.

The feed owns one `Trading` per connection and calls `on_ready()` after every (re)connect.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from protocol.client import OpenDClient, OpenDError
from workstation.journal import Journal
from workstation.store import Store
from workstation.trading.accounts import Account, Accounts, Refused
from workstation.trading.book import AccountBook
from workstation.trading.desk import OrderDesk
from workstation.trading.messages import OrdersVerified
from workstation.trading.reconcile import Reconciler

__all__ = ["Account", "Accounts", "AccountBook", "OrderDesk", "Reconciler", "Refused", "Trading"]

# A reply that timed out with the link up, or an order pushed as TIMEOUT: OpenD's order list is
# read after each of these waits (seconds) until it tells; the last read is conclusive.
VERIFY_DELAYS = (0.5, 1.0, 2.0, 4.0)


class Trading:
    def __init__(self, client: OpenDClient, store: Store, post: Callable[[object], object],
                 journal: Journal | None = None, relock_after: float = 900.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.client = client
        self.journal = journal or Journal()
        self.accounts = Accounts(client, store, post, relock_after, clock)
        self.book = AccountBook(client, store, self.accounts, post)
        self.desk = OrderDesk(client, store, self.accounts, self.book, post, self.journal)
        self.reconciler = Reconciler(client, store, self.accounts, self.book, self.journal, self.desk.inflight)
        self.post = post
        self.ready_once = False
        self.verify_delays = VERIFY_DELAYS
        self._verifying: asyncio.Task | None = None
        self._verify_again = False
        self.desk.on_unknown = self.verify_soon
        self.book.on_unknown = self.verify_soon

    @property
    def ready(self) -> bool:
        """Connected, with at least one account to trade on."""
        return self.client.ready and bool(self.accounts.all)

    async def on_ready(self) -> list[str]:
        """After every (re)connect: accounts, account pushes, orders, fills, positions, funds,
        then the journal. Returns what changed since the last snapshot (nothing the first time)
        followed by what the journal's open requests became."""
        before = self.reconciler.snapshot() if self.ready_once else None
        if self.ready_once:  # OpenD may have restarted, which forgets the unlock: no call tells
            self.accounts.forget_unlock()
        if not self.journal.loaded:  # once, off the UI thread: a big journal takes a while
            await asyncio.to_thread(self.journal.load)
        await self.accounts.load()
        if self.accounts.all:
            await self.book.refresh(orders=True)
        changes = self.reconciler.changes(before) if before is not None else []
        found = await self.reconciler.reconcile_journal()
        self.ready_once = True
        return changes + found

    def verify_soon(self) -> None:
        """Check OpenD's order list now, with the link up, for orders whose fate is unknown."""
        if self._verifying is not None and not self._verifying.done():
            self._verify_again = True  # the running check starts over for the newcomer
            return
        self._verifying = asyncio.ensure_future(self._verify())

    async def _verify(self) -> None:
        """Bounded re-reads of the order list: each unknown order is resolved (placed, never
        placed, its real status) and told once; if the link drops, the reconnect reconciles."""
        attempt = 0
        while attempt < len(self.verify_delays):
            await asyncio.sleep(self.verify_delays[attempt])
            if self._verify_again:
                self._verify_again, attempt = False, 0
                continue
            if not self.client.ready:
                return
            final = attempt == len(self.verify_delays) - 1
            attempt += 1
            try:
                await self.book.reload_orders()
                lines = await self.reconciler.reconcile_journal(final=final)
            except OpenDError as exc:
                if final:
                    self.post(OrdersVerified([f"OpenD's order list could not be read ({exc}); "
                                              "it is checked again after the next reconnect"]))
                continue
            lines += self.book.timeouts_resolved(final)
            if lines:
                self.post(OrdersVerified(lines))
            unknown = [i for i in self.journal.pending() if i.ref not in self.desk.inflight]
            if not unknown and not self.book.timed_out and not self._verify_again:
                return

    def stop(self) -> None:
        """The connection's worker ended: no timers or checks left behind."""
        self.book.cancel_timers()
        if self._verifying is not None:
            self._verifying.cancel()
