"""Trading accounts: which ones OpenD lists, which one is active, which one trades a code,
and whether REAL trading is unlocked (with the idle re-lock policy)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from protocol import ids
from protocol.client import OpenDClient, OpenDError
from protocol.codes import split_code
from protocol.proto import (
    Trd_Common_pb2,
    Trd_GetAccList_pb2,
    Trd_GetFunds_pb2,
    Trd_GetMaxTrdQtys_pb2,
    Trd_SubAccPush_pb2,
    Trd_UnlockTrade_pb2,
)
from protocol.trade import ACCOUNT_CURRENCY, SEC_MARKET_OF, AccStatus, Currency, TrdEnv, TrdMarket, trd_market_for
from workstation.messages import AccountChanged
from workstation.orders import Ticket
from workstation.store import Store
from workstation.trading.messages import (
    AccountSwitched, LockAtOpenDFailed, TradingLocked, TradingRefused, TradingUnlocked, UnlockForgotten, UnlockRefused,
)

log = logging.getLogger(__name__)


class Refused(Exception):
    """Refused before anything is sent: locked, throttled, no account. The text is for the trader."""


class Account:
    __slots__ = ("acc_id", "env", "markets", "firm", "card", "disabled")

    def __init__(self, acc) -> None:
        self.acc_id = acc.accID
        self.env = TrdEnv(acc.trdEnv)
        self.markets = list(acc.trdMarketAuthList)
        self.firm = acc.securityFirm if acc.HasField("securityFirm") else 0
        self.card = acc.cardNum if acc.HasField("cardNum") else str(acc.accID)
        # Listed by OpenD but unable to trade: shown, never chosen.
        self.disabled = acc.HasField("accStatus") and acc.accStatus == AccStatus.DISABLED

    @property
    def is_real(self) -> bool:
        return self.env is TrdEnv.REAL

    @property
    def label(self) -> str:
        env = "REAL" if self.is_real else "SIM"
        return f"{env} {'/'.join(TrdMarket.word_of(m) for m in self.markets)} {self.card}"

    @property
    def currency(self) -> Currency:
        """What its funds are reported in: its first market's currency."""
        try:
            return ACCOUNT_CURRENCY.get(TrdMarket(self.markets[0]), Currency.HKD)
        except ValueError:
            return Currency.HKD


def market_of(code: str, env: int) -> int | None:
    """The TrdMarket an order on this code goes to from an account of `env` (None: unknown)."""
    try:
        return trd_market_for(code.split(".", 1)[0], env)
    except KeyError:
        return None


class Accounts:
    """The account list, the active account and the lock. Posts AccountChanged, AccountSwitched,
    TradingUnlocked / UnlockRefused and TradingLocked / LockAtOpenDFailed."""

    def __init__(self, client: OpenDClient, store: Store, post: Callable[[object], object],
                 relock_after: float = 900.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.client = client
        self.store = store
        self.post = post
        self.relock_after = relock_after
        self.clock = clock
        self.all: list[Account] = []
        self.active: Account | None = None
        self.unlocked = False
        self.last_activity = clock()

    # -- the list and the active account ------------------------------------------------

    async def load(self) -> None:
        """Trd_GetAccList, keep the active account if it is still listed, subscribe to pushes."""
        assert self.client.info is not None
        s2c = await self.client.request(ids.TRD_GET_ACC_LIST, Trd_GetAccList_pb2.C2S(
            userID=self.client.info.login_user_id, trdCategory=1, needGeneralSecAccount=True))
        self.all = [Account(a) for a in s2c.accList if a.trdMarketAuthList]
        if not self.all:
            return
        kept = self.find(self.active.acc_id) if self.active is not None else None
        if kept is None or kept.disabled:
            usable = [a for a in self.all if not a.disabled] or self.all
            sims = [a for a in usable if a.env is TrdEnv.SIMULATE]
            self.active = (sims or usable)[0]
        else:
            self.active = kept  # the fresh record: its markets and status as OpenD lists them now
        await self.client.request(ids.TRD_SUB_ACC_PUSH, Trd_SubAccPush_pb2.C2S(accIDList=[a.acc_id for a in self.all]))
        self.post(AccountChanged())

    def find(self, acc_id: int) -> Account | None:
        return next((a for a in self.all if a.acc_id == acc_id), None)

    def real(self) -> list[Account]:
        return [a for a in self.all if a.is_real]

    def book_accounts(self) -> list[Account]:
        """Whose orders, fills and positions the panels show: the active REAL account, or every
        SIMULATE account (a SIMULATE order goes to the one that trades the code's market)."""
        acc = self.active
        if acc is None:
            return []
        return [acc] if acc.is_real else [a for a in self.all if a.env is TrdEnv.SIMULATE]

    def next_account(self, env: int) -> Account | None:
        """The next account of this environment after the active one (cycles)."""
        same = [a for a in self.all if a.env == env and not a.disabled]
        if not same:
            return None
        if self.active in same:
            return same[(same.index(self.active) + 1) % len(same)]
        return same[0]

    def select(self, account: Account) -> None:
        self.active = account
        self.store.clear_account()
        self.post(AccountChanged())

    def switch_env(self) -> Account | None:
        """SIMULATE <-> REAL: select the next account of the other environment and say so."""
        want = TrdEnv.SIMULATE if self.active is not None and self.active.is_real else TrdEnv.REAL
        acc = self.next_account(want)
        if acc is None:
            self.post(TradingRefused("OpenD lists no REAL trading account" if want is TrdEnv.REAL
                                     else "no SIMULATE account"))
            return None
        self.select(acc)
        self.post(AccountSwitched(acc.label, acc.is_real, self.unlocked))
        return acc

    def account_for(self, code: str) -> Account | None:
        """The active account if it trades this code's market; in SIMULATE, another SIM one."""
        if self.active is not None and self.active.is_real:
            ok = not self.active.disabled and market_of(code, TrdEnv.REAL) in self.active.markets
            return self.active if ok else None
        market = market_of(code, TrdEnv.SIMULATE)
        candidates = ([self.active] if self.active else []) + [a for a in self.all if a.env is TrdEnv.SIMULATE]
        return next((a for a in candidates if market in a.markets and not a.disabled), None)

    def header(self, account: Account | None = None, code: str | None = None) -> Trd_Common_pb2.TrdHeader:
        """The TrdHeader for a request on this account. A request about a code names the code's
        trade market, as the official SDK derives it (a US order on a universal account is US,
        an A-share on a REAL one HKCC); other requests name the account's first market."""
        acc = account or self.active
        assert acc is not None
        market = acc.markets[0]
        if code is not None:
            market = market_of(code, acc.env) or market
        return Trd_Common_pb2.TrdHeader(trdEnv=acc.env, accID=acc.acc_id, trdMarket=market)

    def require(self, acc_id: int) -> Account:
        """The account an order goes to, if it may trade now (raises Refused)."""
        acc = self.find(acc_id)
        if acc is None:
            raise Refused(f"no trading account {acc_id}")
        if acc.disabled:
            raise Refused(f"account {acc.label} is disabled at OpenD")
        if acc.is_real and not self.unlocked:
            raise Refused("REAL trading is locked: unlock it first (L) with your trade password")
        return acc

    # -- what the order form asks ------------------------------------------------------

    async def buying_power(self, acc_id: int) -> tuple[float, str]:
        """Trd_GetFunds of one account, for a form whose order goes to an account other than
        the active one (in SIMULATE, a US code trades on the US paper account)."""
        acc = self.find(acc_id)
        if acc is None:
            raise Refused(f"no trading account {acc_id}")
        s2c = await self.client.request(ids.TRD_GET_FUNDS, Trd_GetFunds_pb2.C2S(header=self.header(acc),
                                                                               currency=acc.currency))
        return s2c.funds.power, acc.currency.name

    async def funds_lines(self, acc: Account) -> list[str]:
        """One account's funds as the account picker shows them: totals in its own currency,
        then cash and buying power per currency (a universal account holds several)."""
        s2c = await self.client.request(ids.TRD_GET_FUNDS, Trd_GetFunds_pb2.C2S(header=self.header(acc),
                                                                               currency=acc.currency))
        f = s2c.funds
        cur = Currency.word_of(f.currency) if f.HasField("currency") else acc.currency.name
        out = [f"{cur}: total assets {f.totalAssets:,.2f} · cash {f.cash:,.2f} · buying power {f.power:,.2f}"]
        for c in f.cashInfoList:
            out.append(f"{Currency.word_of(c.currency)}: cash {c.cash:,.2f} · buying power {c.netCashPower:,.2f}")
        return out

    async def max_qtys(self, ticket: Ticket):
        """Trd_GetMaxTrdQtys for the form's preview (cash buy, sell, short)."""
        acc = self.find(ticket.acc_id)
        if acc is None:
            raise Refused(f"no trading account {ticket.acc_id}")
        market, symbol = split_code(ticket.code)
        c2s = Trd_GetMaxTrdQtys_pb2.C2S(header=self.header(acc, ticket.code), orderType=ticket.order_type,
                                         code=symbol, price=float(ticket.price or 0.0),
                                         secMarket=SEC_MARKET_OF.get(market, 0))
        s2c = await self.client.request(ids.TRD_GET_MAX_TRD_QTYS, c2s)
        return s2c.maxTrdQtys

    # -- the lock ------------------------------------------------------------------------

    async def unlock(self, pwd_md5: str) -> bool:
        """Unlock REAL trading with the password's MD5; posts TradingUnlocked or UnlockRefused."""
        firm = next((a.firm for a in self.all if a.is_real and a.firm), 0)
        c2s = Trd_UnlockTrade_pb2.C2S(unlock=True, pwdMD5=pwd_md5)
        if firm:
            c2s.securityFirm = firm
        try:
            await self.client.request(ids.TRD_UNLOCK_TRADE, c2s)
        except OpenDError as exc:
            self.post(UnlockRefused(str(exc)))
            return False
        log.info("REAL trading unlocked")
        self.unlocked = True
        self.touch()
        self.post(TradingUnlocked(self.relock_after / 60))
        return True

    async def lock(self, why: str) -> None:
        """Lock REAL trading again, here at once and then at OpenD; posts TradingLocked."""
        self.unlocked = False
        try:
            if self.client.ready:
                await self.client.request(ids.TRD_UNLOCK_TRADE, Trd_UnlockTrade_pb2.C2S(unlock=False))
        except OpenDError as exc:
            self.post(LockAtOpenDFailed(str(exc)))
        self.post(TradingLocked(why))

    def forget_unlock(self) -> bool:
        """After a reconnect: OpenD may have restarted and forgotten the unlock, and there is no
        call that tells. REAL counts as locked until the trader unlocks again; posts
        UnlockForgotten and returns True if it was unlocked."""
        if not self.unlocked:
            return False
        self.unlocked = False
        self.post(UnlockForgotten())
        return True

    def touch(self) -> None:
        """Trading activity: the idle re-lock counts from now."""
        self.last_activity = self.clock()

    def relock_due(self) -> bool:
        return self.unlocked and self.clock() - self.last_activity >= self.relock_after

    def idle_too_long(self) -> str | None:
        """If REAL trading idled past the re-lock time: refuse orders at once and say why
        (the caller then locks at OpenD with `lock(why)`)."""
        if not self.relock_due():
            return None
        self.unlocked = False
        return f"idle {self.relock_after / 60:g} min"
