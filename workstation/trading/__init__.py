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

from protocol.client import OpenDClient
from workstation.journal import Journal
from workstation.store import Store
from workstation.trading.accounts import Account, Accounts, Refused
from workstation.trading.book import AccountBook
from workstation.trading.desk import OrderDesk
from workstation.trading.reconcile import Reconciler

__all__ = ["Account", "Accounts", "AccountBook", "OrderDesk", "Reconciler", "Refused", "Trading"]


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
        self.ready_once = False

    @property
    def ready(self) -> bool:
        """Connected, with at least one account to trade on."""
        return self.client.ready and bool(self.accounts.all)

    async def on_ready(self) -> list[str]:
        """After every (re)connect: accounts, account pushes, orders, fills, positions, funds,
        then the journal. Returns what changed since the last snapshot (nothing the first time)
        followed by what the journal's open requests became."""
        before = self.reconciler.snapshot() if self.ready_once else None
        if not self.journal.loaded:  # once, off the UI thread: a big journal takes a while
            await asyncio.to_thread(self.journal.load)
        await self.accounts.load()
        if self.accounts.all:
            await self.book.refresh(orders=True)
        changes = self.reconciler.changes(before) if before is not None else []
        found = await self.reconciler.reconcile_journal()
        self.ready_once = True
        return changes + found

    def stop(self) -> None:
        """The connection's worker ended: no timers left behind."""
        self.book.cancel_timers()
