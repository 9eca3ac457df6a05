"""The background protocol worker: owns the OpenD client, keeps subscriptions, fills the store.

The App starts `Feed.run()` as a worker on its own event loop. Pushes are applied to the
store (coalesced: the App's flush timer repaints what is dirty); order, fill and
connection events are posted as messages. UI code never awaits the network: it calls the
non-blocking methods here (`set_watchlist`, `focus`, ...), which schedule requests as tasks.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from protocol import ids
from protocol.client import ConnState, NotConnected, OpenDClient, OpenDError, RequestTimeout
from protocol.codes import KL_SUBTYPES, SUB_BROKER, SUB_ORDER_BOOK, SUB_QUOTE, SUB_TICKER, code_of, security
from protocol.sanitize import NAME_CHARS, clean_text
from protocol.proto import (
    GetGlobalState_pb2,
    Qot_GetBasicQot_pb2,
    Qot_GetCapitalDistribution_pb2,
    Qot_GetCapitalFlow_pb2,
    Qot_GetStaticInfo_pb2,
    Qot_GetSubInfo_pb2,
    Qot_RequestHistoryKL_pb2,
    Qot_Sub_pb2,
)
from protocol.markets import trading_days_before
from workstation.chart_reads import ChartReads
from workstation.journal import Journal
from workstation.sessions import TAPE_SUB, MarketHours
from workstation.messages import FeedNotice, FeedStateChanged
from workstation.trading import Trading
from workstation.trading.messages import OrdersReconciled
from workstation.rights_keeper import RightsKeeper
from workstation.store import Store

log = logging.getLogger(__name__)

MIN_SUB_AGE = 60.0  # OpenD refuses to unsubscribe anything younger than a minute
FLOW_EVERY = 6.0  # capital flow + distribution: 30 calls / 30 s each allowed; stay well under
SUB_EVERY = 10.0
HOURS_EVERY = 30.0  # market states polled (GetGlobalState); the calendar fills in between  # how often old subscriptions are released and timed-out ones retried
HISTORY_DAYS = {"day": 500, "week": 2000, "month": 4000}
HISTORY_BARS = 600
FOCUS_SETTLE = 0.3  # s the focused code must rest before its tape, K-lines, history and flow are asked for
# refusals that browsing meets in the normal course: logged, never a pop-up
QUIET_REFUSALS = ("rate limit", "no permission", "quota", "only available for")
RETRY_REFUSED = 60.0  # s between retries of refused subscriptions (rights and quota can change)


class Feed:
    def __init__(self, client: OpenDClient, store: Store, post: Callable[[object], object],
                 journal: Journal | None = None, relock_after: float = 900.0) -> None:
        self.client = client
        self.trading = Trading(client, store, post, journal, relock_after)
        self.store = store
        self.post = post
        client.on_state = self._on_state
        client.on_ready = self._on_ready
        self.watch: list[str] = []
        self.focus_code: str | None = None
        self.period = "day"
        self.want: set[tuple[str, int]] = set()
        self.have: dict[tuple[str, int], float] = {}  # -> monotonic time subscribed
        self.failed: set[tuple[str, int]] = set()  # refused by OpenD: retried on a slow timer or a rights change
        self.quota_refused: set[tuple[str, int]] = set()  # refused for quota: retried as soon as ours frees
        self.quota_used = 0
        self.quota_total = 0
        self._sync_lock = asyncio.Lock()
        self._tasks: set[asyncio.Task] = set()
        self.lost_at: float | None = None  # wall time the connection was lost, until the account is re-synced
        self.ready_at = 0.0  # wall time of the last READY
        self._ready_reason = ""
        self._epoch = 0  # bumped on every loss: replies from an older connection must not count
        self._set_up_epoch = -1  # the epoch whose set-up (_on_ready) finished
        self._trading_epoch = -1  # the epoch whose trading set-up (accounts, orders, journal) finished
        self._trading_task: asyncio.Task | None = None
        self._resync = False  # a subscribe timed out: the sub loop tries again
        self.sub_every, self.flow_every = SUB_EVERY, FLOW_EVERY  # s between the loops' rounds
        self._history_loaded: set[tuple[str, int]] = set()
        self.clock_skew = 0.0  # OpenD's clock minus ours, in seconds
        self.hours = MarketHours()  # each market's session, from OpenD's market states (polled)
        self.extended_bars = False  # US intraday history with pre-market and after-hours bars
        self.rights = RightsKeeper(client, store, post, self._rights_changed,
                                   lambda: self.watch + ([self.focus_code] if self.focus_code else []))
        self._settle: asyncio.TimerHandle | None = None
        self._refused_at = 0.0
        client.on_push(ids.QOT_UPDATE_BASIC_QOT, lambda r: store.apply_basic_qots(r.s2c.basicQotList))
        client.on_push(ids.QOT_UPDATE_ORDER_BOOK, lambda r: store.apply_order_book(r.s2c))
        client.on_push(ids.QOT_UPDATE_TICKER, lambda r: store.apply_tickers(r.s2c))
        client.on_push(ids.QOT_UPDATE_KL, lambda r: store.apply_kl(r.s2c))
        client.on_push(ids.QOT_UPDATE_BROKER, lambda r: store.apply_broker(r.s2c))
        self.charts = ChartReads(self)  # the time-share line and its five days
        client.on_push(ids.TRD_UPDATE_ORDER, self.trading.book.on_order_push)
        client.on_push(ids.TRD_UPDATE_ORDER_FILL, self.trading.book.on_fill_push)

    # -- lifecycle ---------------------------------------------------------------------

    async def run(self) -> None:
        """Connect and stay connected until `stop()`; the App runs this as a worker."""
        flows = asyncio.create_task(self._flow_loop(), name="feed-flow")
        hours = asyncio.create_task(self._hours_loop(), name="feed-hours")
        subs = asyncio.create_task(self._sub_loop(), name="feed-subs")
        polls = asyncio.create_task(self.rights.poll_loop(), name="feed-polls")
        try:
            await self.client.run()
        finally:
            for task in [flows, hours, subs, polls, *self._tasks]:
                task.cancel()
            self.trading.stop()

    async def stop(self) -> None:
        await self.client.close()

    def _on_state(self, state: ConnState, reason: str) -> None:
        log.info("OpenD %s:%s %s: %s", self.client.host, self.client.port, state.value, reason)
        if state is ConnState.READY:
            self.ready_at, self._ready_reason = time.time(), reason
            return  # the App hears READY from _on_ready, once quotes are subscribed again
        self._epoch += 1
        self.have.clear()  # a new connection starts with no subscriptions
        self.failed.clear()
        self.quota_refused.clear()
        self._history_loaded.clear()
        if state is ConnState.LOST and self.lost_at is None and self.trading.ready_once:
            self.lost_at = time.time()
        self.post(FeedStateChanged(state, reason))

    async def _on_ready(self) -> None:
        """After every (re)connect: subscriptions, names, account, orders."""
        assert self.client.info is not None
        epoch = self._epoch
        state = await self.client.request(ids.GET_GLOBAL_STATE, GetGlobalState_pb2.C2S(userID=self.client.info.login_user_id))
        self.clock_skew = state.time - time.time()  # history windows follow OpenD's clock, not ours
        self._market_states(state)
        await self.rights.on_ready(state)
        self._recompute_wants()
        await self._sync_subscriptions()
        if self._epoch != epoch:
            raise NotConnected("connection lost while subscribing", -200)
        self._set_up_epoch = epoch
        self.post(FeedStateChanged(ConnState.READY, self._ready_reason))
        self.spawn(self._load_names(self.watch))
        self._trading_task = self.spawn(self._trading_ready())
        if self.focus_code:
            self.spawn(self._load_focus(self.focus_code, self.period))

    @property
    def set_up(self) -> bool:
        """Connected, and this connection's set-up (rights first, then subscriptions) is done:
        subscribing before the rights are known would ask for what the account may lack."""
        return self.client.ready and self._set_up_epoch == self._epoch

    async def _trading_ready(self) -> None:
        """Accounts and the journal; after an outage, tell the trader what happened meanwhile."""
        epoch = self._epoch
        try:
            changes = await self.trading.on_ready()
        except Exception as exc:  # a timeout is tried again by the sub loop; a refusal is told once
            if not isinstance(exc, RequestTimeout):
                self._trading_epoch = epoch
            raise
        self._trading_epoch = epoch
        # Only now: if the re-sync failed, the next one still reports from the first loss.
        lost_at, self.lost_at = self.lost_at, None
        if lost_at is not None:
            span = f"disconnected {_hms(lost_at)}-{_hms(self.ready_at)}"
            self.post(OrdersReconciled(changes, away=span))
        elif changes:
            self.post(OrdersReconciled(changes))

    @property
    def idle(self) -> bool:
        """No background request in flight."""
        return not self._tasks

    def has_history(self, code: str, kl_type: int) -> bool:
        """This code's K-line history of this type was loaded on the current connection."""
        return (code, kl_type) in self._history_loaded

    def spawn(self, coro) -> asyncio.Task:
        """Run a request in the background; failures become notices, never exceptions."""
        task = asyncio.create_task(self._guard(coro))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        task.add_done_callback(lambda _: coro.close())  # cancelled before it started (shutdown): no warning
        return task

    async def _guard(self, coro) -> None:
        try:
            await coro
        except OpenDError as exc:
            if self.client.ready:
                self.post(FeedNotice(str(exc), "warning"))
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug in a request must not take the feed down
            log.exception("feed task failed")
            self.post(FeedNotice(f"internal error: {exc!r}", "error"))

    # -- what the UI asks for ------------------------------------------------------------

    def set_watchlist(self, codes: list[str]) -> None:
        added = [c for c in codes if c not in self.watch]
        self.watch = list(codes)
        self._recompute_wants()
        if self.set_up:
            self.spawn(self._sync_subscriptions())
            if added:
                self.spawn(self._load_names(added))

    def focus(self, code: str, period: str | None = None) -> None:
        """Drive book, tape, chart and flow from this code (and chart period)."""
        self.focus_code = code
        if period:
            self.period = period
        # Browsing is cheap: only the code the trader rests on gets its subscriptions, history
        # and flow (holding Down through 20 codes asks for one code's history, not 20).
        if self._settle is not None:
            self._settle.cancel()
        self._settle = asyncio.get_running_loop().call_later(FOCUS_SETTLE, self._focus_settled)

    def _focus_settled(self) -> None:
        self._settle = None
        self._recompute_wants()
        if self.set_up and self.focus_code:
            self.spawn(self._sync_subscriptions())
            self.spawn(self._load_focus(self.focus_code, self.period))
            code = self.focus_code
            if code not in self.watch and code not in self.store.opend.sec_types:  # its type decides b and s
                self.spawn(self._load_names([code]))

    def _rights_changed(self) -> None:
        """Rights changed (QotRight Notify) or OpenD is back on Futu's servers: what was
        refused may be allowed now."""
        opend = self.store.opend
        for key in [k for k in self.have if not opend.allows(*k)]:
            del self.have[key]  # OpenD ended what the new rights do not allow
        self.failed.clear()
        self.quota_refused.clear()
        self._recompute_wants()
        if self.set_up:
            self.spawn(self._sync_subscriptions())
            if self.focus_code:
                self.spawn(self._load_focus(self.focus_code, self.period))

    def set_extended_bars(self, on: bool) -> None:
        """US intraday history with or without extended hours: reload what is shown."""
        self.extended_bars = on
        self._history_loaded = {k for k in self._history_loaded if not k[0].startswith("US.")}
        if self.set_up and self.focus_code and self.focus_code.startswith("US."):
            self.spawn(self._load_focus(self.focus_code, self.period))

    def _recompute_wants(self) -> None:
        want = {(c, SUB_QUOTE) for c in self.watch} | {(c, SUB_ORDER_BOOK) for c in self.watch}
        code = self.focus_code
        if code:
            want |= {(code, SUB_QUOTE), (code, SUB_ORDER_BOOK), (code, SUB_TICKER), (code, KL_SUBTYPES[self.period][0])}
            if code.startswith("HK."):
                want.add((code, SUB_BROKER))
            want |= self.charts.wants(code)
        opend = self.store.opend
        self.want = {key for key in want if opend.allows(*key)}  # what the rights refuse is never asked
        self.store.admit(c for c, _ in want)  # pushes for anything else are dropped

    # -- subscriptions -------------------------------------------------------------------

    async def _sync_subscriptions(self) -> None:
        async with self._sync_lock:
            epoch = self._epoch
            missing = sorted(self.want - self.have.keys() - self.failed, key=self._priority)
            room = self.quota_total - self.quota_used if self.quota_total else len(missing)
            if self.quota_total and len(missing) > room:
                self.post(FeedNotice(f"subscription quota full: {len(missing) - room} subscriptions left out", "warning"))
                missing = missing[:max(0, room)]
            by_type: dict[int, list[str]] = {}
            for code, sub in missing:
                by_type.setdefault(sub, []).append(code)
            for sub, codes in by_type.items():
                if not await self._subscribe(codes, [sub], True, epoch):
                    return  # the connection went; the next one starts afresh
            now = time.monotonic()
            stale = [k for k, t in self.have.items() if k not in self.want and now - t >= MIN_SUB_AGE]
            by_type = {}
            for code, sub in stale:
                by_type.setdefault(sub, []).append(code)
            for sub, codes in by_type.items():
                if not await self._subscribe(codes, [sub], False, epoch):
                    return
            if stale and self.want - self.have.keys():  # quota freed: what it kept out gets its turn
                self.failed -= self.quota_refused
                self.quota_refused.clear()
                self._resync = True
            await self._refresh_quota()

    def _priority(self, key: tuple[str, int]) -> tuple[int, str]:
        return (0 if key[0] == self.focus_code else 1, key[0])

    async def _subscribe(self, codes: list[str], subs: list[int], on: bool, epoch: int) -> bool:
        """Qot_Sub in chunks; False once the connection it was meant for is gone (the next starts afresh)."""
        for i in range(0, len(codes), 100):
            chunk = codes[i:i + 100]
            c2s = Qot_Sub_pb2.C2S(isSubOrUnSub=on, isRegOrUnRegPush=on, isFirstPush=on, subTypeList=subs,
                                  **(TAPE_SUB if subs == [SUB_TICKER] else {}))
            for code in chunk:
                market, symbol = security(code)
                c2s.securityList.add(market=market, code=symbol)
            what = f"{'subscribe' if on else 'unsubscribe'} {', '.join(chunk[:3])}"
            try:
                await self.client.request(ids.QOT_SUB, c2s)
            except OpenDError as exc:
                if self._epoch != epoch:
                    return False
                if isinstance(exc, RequestTimeout):  # not a refusal: try again later
                    self._resync = True
                    self.post(FeedNotice(f"{what}: {exc}; will retry", "warning"))
                    continue
                if len(chunk) > 1:
                    for code in chunk:  # one bad code must not keep the others dark
                        if not await self._subscribe([code], subs, on, epoch):
                            return False
                    continue
                self.post(FeedNotice(f"{what}: {exc}", "warning"))
                if on:
                    keys = {(code, sub) for code in chunk for sub in subs}
                    self.failed |= keys
                    if "quota" in str(exc).lower():
                        self.quota_refused |= keys
                continue
            if self._epoch != epoch:
                return False  # answered, but the connection dropped before we got here
            now = time.monotonic()
            for code in chunk:
                for sub in subs:
                    if on:
                        self.have[(code, sub)] = now
                    else:
                        self.have.pop((code, sub), None)
        return True

    async def _refresh_quota(self) -> None:
        s2c = await self.client.request(ids.QOT_GET_SUB_INFO, Qot_GetSubInfo_pb2.C2S(isReqAllConn=False))
        self.quota_used = s2c.totalUsedQuota
        self.quota_total = s2c.totalUsedQuota + s2c.remainQuota

    async def _sub_loop(self) -> None:
        """Release subscriptions that are no longer on screen once they are a minute old,
        retry the ones whose subscribe timed out, and a trading set-up that failed."""
        while True:
            await asyncio.sleep(self.sub_every)
            if self.failed and time.monotonic() - self._refused_at >= RETRY_REFUSED:
                self._refused_at = time.monotonic()
                self.failed.clear()  # refusals are not forever: rights and quota change
                self.quota_refused.clear()
                self._resync = True
            if self.set_up and (self._resync or self.have.keys() - self.want):
                self._resync = False
                with contextlib.suppress(OpenDError):
                    await self._sync_subscriptions()
            trading = self._trading_task  # a set-up that timed out: no accounts until tried again
            if self.set_up and self._trading_epoch != self._epoch and (trading is None or trading.done()):
                self._trading_task = self.spawn(self._trading_ready())

    # -- quote data ----------------------------------------------------------------------

    async def _load_names(self, codes: list[str]) -> None:
        if not codes:
            return
        c2s = Qot_GetStaticInfo_pb2.C2S()
        for code in codes:
            market, symbol = security(code)
            c2s.securityList.add(market=market, code=symbol)
        s2c = await self.client.request(ids.QOT_GET_STATIC_INFO, c2s)
        for info in s2c.staticInfoList:
            b = info.basic
            code = code_of(b.security.market, b.security.code)
            if code not in codes or not 0 <= b.lotSize < 10**9:
                continue  # not what we asked about
            self.store.opend.sec_types[code] = b.secType
            name = self.store.names[code] = clean_text(b.name, NAME_CHARS)
            q = self.store.quote(code)
            q.name, q.lot_size = name, b.lotSize
            self.store.dirty_quotes.add(code)
        qc2s = Qot_GetBasicQot_pb2.C2S()
        qc2s.securityList.extend(c2s.securityList)
        with contextlib.suppress(OpenDError):  # needs QUOTE subscribed; pushes fill it anyway
            s2c = await self.client.request(ids.QOT_GET_BASIC_QOT, qc2s)
            self.store.apply_basic_qots(s2c.basicQotList)

    async def _load_focus(self, code: str, period: str) -> None:
        await asyncio.gather(self._quiet(self._load_history, code, period), self._quiet(self._load_flow, code),
                             self._quiet(self.charts.load, code))

    async def _quiet(self, read, *args) -> None:
        """Browsing never raises pop-ups: a refused or rate-limited read is logged; the next
        focus, timer round or rights change asks again. (The read is started here: a read
        made by the caller and cancelled before this started would never be awaited.)"""
        try:
            await read(*args)
        except OpenDError as exc:
            if isinstance(exc, RequestTimeout) or not any(w in str(exc) for w in QUIET_REFUSALS):
                raise  # a timeout or an unexpected refusal is still the trader's business
            log.info("%s", exc)

    async def _load_history(self, code: str, period: str) -> None:
        kl_type = KL_SUBTYPES[period][1]
        if (code, kl_type) in self._history_loaded:
            return
        opend = self.store.opend
        if opend.missing(code) or not opend.history_allowed(code) or not opend.qot_logined:
            return  # the chart says why; the quota is kept for codes that can use it
        market, symbol = security(code)
        now = datetime.now() + timedelta(seconds=self.clock_skew)
        minutes = {"1m": 1, "3m": 3, "5m": 5, "10m": 10, "15m": 15, "30m": 30, "60m": 60}.get(period)
        if minutes:  # counted in trading days: a holiday or a weekend must not empty the chart
            days = trading_days_before(now.date() + timedelta(days=1), max(2, minutes * HISTORY_BARS // 330 + 2),
                                       code.partition(".")[0], "real")
            begin = datetime.combine(days[0], datetime.min.time())
        else:
            begin = now - timedelta(days=HISTORY_DAYS.get(period, 3000))
        c2s = Qot_RequestHistoryKL_pb2.C2S(
            rehabType=1, klType=kl_type, beginTime=begin.strftime("%Y-%m-%d %H:%M:%S"),
            # Bar times are in the market's own zone: a day of slack covers any local zone.
            endTime=(now + timedelta(days=1)).strftime("%Y-%m-%d 23:59:59"), maxAckKLNum=1000,
        )
        c2s.security.market, c2s.security.code = market, symbol
        if self.extended_bars and minutes and code.startswith("US."):
            c2s.extendedTime = True  # pre-market and after-hours bars too (60 minutes and finer)
        rows = []
        while True:
            s2c = await self.client.request(ids.QOT_REQUEST_HISTORY_KL, c2s)
            rows.extend(s2c.klList)
            if not s2c.HasField("nextReqKey") or len(rows) >= 3000:
                break
            c2s.nextReqKey = s2c.nextReqKey
        live = self.store.bars.get((code, kl_type), [])
        self.store.set_bars(code, kl_type, rows)
        bars = self.store.bars[(code, kl_type)]
        for bar in live:  # pushes that arrived while history was loading win
            if bars and bar.time == bars[-1].time:
                bars[-1] = bar
            elif not bars or bar.time > bars[-1].time:
                bars.append(bar)
        self._history_loaded.add((code, kl_type))
        if code not in opend.history_codes:
            opend.history_codes.add(code)
            await self.rights.refresh_history()

    async def _load_flow(self, code: str) -> None:
        opend = self.store.opend
        if opend.missing(code) or not opend.qot_logined:
            return
        if opend.serves_flow(code) is None:
            await self._load_names([code])
        if not opend.serves_flow(code):
            return  # indices and other types OpenD serves no capital flow for
        market, symbol = security(code)
        c2s = Qot_GetCapitalFlow_pb2.C2S(periodType=1)
        c2s.security.market, c2s.security.code = market, symbol
        s2c = await self.client.request(ids.QOT_GET_CAPITAL_FLOW, c2s)
        self.store.set_flow(code, s2c.flowItemList)
        d2s = Qot_GetCapitalDistribution_pb2.C2S()
        d2s.security.market, d2s.security.code = market, symbol
        dist = await self.client.request(ids.QOT_GET_CAPITAL_DISTRIBUTION, d2s)
        self.store.set_distribution(code, dist)

    async def _flow_loop(self) -> None:
        """Every `flow_every` s: the focused code's capital flow again, and its K-line history if
        the read made when it was focused failed (a late reply must not leave the chart loading
        until the trader moves). A failed round is told like any read, and the loop goes on."""
        while True:
            await asyncio.sleep(self.flow_every)
            code = self.focus_code
            if not (self.set_up and code):
                continue
            await self._guard(self._quiet(self._load_history, code, self.period))  # at once if loaded
            await self._guard(self._quiet(self._load_flow, code))

    def _market_states(self, s2c) -> None:
        states = {"HK": s2c.marketHK, "US": s2c.marketUS, "SH": s2c.marketSH, "SZ": s2c.marketSZ}
        self.hours.update(states, s2c.localTime if s2c.HasField("localTime") else float(s2c.time))

    async def _hours_loop(self) -> None:
        """Market states move on (lunch, the close, a holiday): ask OpenD again now and then."""
        while True:
            await asyncio.sleep(HOURS_EVERY)
            if self.client.ready and self.client.info is not None:
                with contextlib.suppress(OpenDError):
                    self._market_states(await self.client.request(
                        ids.GET_GLOBAL_STATE, GetGlobalState_pb2.C2S(userID=self.client.info.login_user_id)))


def _hms(t: float) -> str:
    return datetime.fromtimestamp(t).strftime("%H:%M:%S")
