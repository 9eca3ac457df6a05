"""The feed's side of quote rights and OpenD's status: reads GetUserInfo, GetGlobalState and
the history-K-line quota into `store.opend`, follows Notify (1003) pushes, and prices codes
that cannot be subscribed (HK BMP) by polling snapshots within OpenD's limits.

Everything here is quiet: a right that is missing is shown in its row once, not raised as
a warning; a failed poll is logged and tried again on the next round.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from protocol import ids
from protocol import rights as qr
from protocol.client import OpenDClient, OpenDError
from protocol.codes import code_of, security
from protocol.proto import GetUserInfo_pb2, Qot_GetSecuritySnapshot_pb2, Qot_RequestHistoryKLQuota_pb2
from protocol.sanitize import clean_text, finite
from workstation.messages import FeedNotice
from workstation.store import Store

log = logging.getLogger(__name__)

POLL_EVERY = 3.0  # s between snapshot rounds: at most 2 requests a round stays far under 60 / 30 s
N_GTW_EVENT, N_PROGRAM_STATUS, N_CONN_STATUS, N_QOT_RIGHT, N_USED_QUOTA = 1, 2, 3, 4, 7
GTW_WORDS = {3: "OpenD must be updated", 7: "this account logged in elsewhere: OpenD was logged out",
             8: "the login password changed: OpenD was logged out", 9: "this account may not log in",
             14: "the trade password changed", 15: "device lock switched on"}


class RightsKeeper:
    def __init__(self, client: OpenDClient, store: Store, post: Callable[[object], object],
                 on_rights_changed: Callable[[], None], watched: Callable[[], list[str]]) -> None:
        self.client = client
        self.store = store
        self.opend = store.opend
        self.post = post
        self.on_rights_changed = on_rights_changed
        self.watched = watched
        self.poll_every = POLL_EVERY
        self.snapshots = 0  # snapshot requests sent (tests, the rights screen)
        client.on_push(ids.NOTIFY, self._notify)

    # -- on every READY ------------------------------------------------------------------

    async def on_ready(self, state) -> None:
        o = self.opend
        status = state.programStatus.type if state.HasField("programStatus") else None
        desc = state.programStatus.strExtDesc if state.HasField("programStatus") else None
        o.set_login(state.qotLogined, state.trdLogined, status, desc)
        try:
            info = await self.client.request(ids.GET_USER_INFO, GetUserInfo_pb2.C2S(flag=4))
        except OpenDError as exc:  # an old OpenD: carry on as if every right were held
            log.info("GetUserInfo unavailable: %s", exc)
            return
        o.sub_quota = info.subQuota if finite(info.subQuota, 0, 1e7) else 0
        cn = info.cnQotRight if info.HasField("cnQotRight") else info.shQotRight
        o.set_rights(info.hkQotRight, info.usQotRight, cn)
        o.history_quota = info.historyKLQuota if finite(info.historyKLQuota, 0, 1e7) else 0
        await self.refresh_history()

    async def refresh_history(self) -> None:
        try:
            s2c = await self.client.request(ids.QOT_REQUEST_HISTORY_KL_QUOTA,
                                            Qot_RequestHistoryKLQuota_pb2.C2S(bGetDetail=True))
        except OpenDError as exc:
            log.info("history K-line quota unavailable: %s", exc)
            return
        codes = [code_of(d.security.market, d.security.code) for d in s2c.detailList]
        self.opend.set_history(s2c.usedQuota, s2c.remainQuota, codes)

    # -- Notify --------------------------------------------------------------------------

    def _notify(self, resp) -> None:
        if resp.retType != 0 or not resp.HasField("s2c"):
            return
        s2c, o = resp.s2c, self.opend
        if s2c.type == N_QOT_RIGHT and s2c.HasField("qotRight"):
            r = s2c.qotRight
            cn = r.cnQotRight if r.HasField("cnQotRight") else r.shQotRight
            if o.set_rights(r.hkQotRight, r.usQotRight, cn):
                o.told.clear()
                self.on_rights_changed()
        elif s2c.type == N_CONN_STATUS and s2c.HasField("connectStatus"):
            was = o.qot_logined
            o.set_login(s2c.connectStatus.qotLogined, s2c.connectStatus.trdLogined)
            if o.qot_logined and not was:
                self.on_rights_changed()  # back on Futu's servers: subscribe what was refused meanwhile
        elif s2c.type == N_PROGRAM_STATUS and s2c.HasField("programStatus"):
            ps = s2c.programStatus.programStatus
            o.set_login(o.qot_logined, o.trd_logined, ps.type, ps.strExtDesc if ps.HasField("strExtDesc") else "")
        elif s2c.type == N_GTW_EVENT and s2c.HasField("event"):
            words = GTW_WORDS.get(s2c.event.eventType)
            if words:  # our words: wire text never reaches a notification
                self.post(FeedNotice(f"OpenD: {words}", "warning", timeout=8))
        elif s2c.type == N_USED_QUOTA and s2c.HasField("usedQuota") and s2c.usedQuota.HasField("usedKLineQuota"):
            used = s2c.usedQuota.usedKLineQuota
            o.set_history(used, max(0, o.history_quota - used))
            if self.client.ready:
                asyncio.get_running_loop().create_task(self.refresh_history())

    # -- polling -------------------------------------------------------------------------

    async def poll_loop(self) -> None:
        """Codes without a subscription right (HK BMP) are priced from snapshots."""
        while True:
            await asyncio.sleep(self.poll_every)
            if not self.client.ready or not self.opend.qot_logined:
                continue
            codes = [c for c in dict.fromkeys(self.watched()) if self.opend.polls(c)]
            self.opend.polled = set(codes)
            for i in range(0, len(codes), qr.BMP_SNAPSHOT_CODES):
                try:
                    await self.poll(codes[i:i + qr.BMP_SNAPSHOT_CODES])
                except OpenDError as exc:
                    log.info("snapshot poll failed: %s", exc)
                    break

    async def poll(self, codes: list[str]) -> None:
        c2s = Qot_GetSecuritySnapshot_pb2.C2S()
        for code in codes:
            market, symbol = security(code)
            c2s.securityList.add(market=market, code=symbol)
        self.snapshots += 1
        s2c = await self.client.request(ids.QOT_GET_SECURITY_SNAPSHOT, c2s)
        self.apply_snapshots(s2c.snapshotList)

    def apply_snapshots(self, items) -> None:
        store, now = self.store, time.monotonic()
        for snap in items:
            b = snap.basic
            code = code_of(b.security.market, b.security.code)
            if code not in self.opend.polled or not finite(b.curPrice, 0):
                continue
            q = store.quote(code)
            if b.HasField("name") and not q.name:
                q.name = store.names[code] = clean_text(b.name, 64)
            q.prev_last, q.last = q.last, b.curPrice
            for attr, value in (("prev_close", b.lastClosePrice), ("open", b.openPrice), ("high", b.highPrice),
                                ("low", b.lowPrice), ("turnover", b.turnover)):
                if finite(value, 0):
                    setattr(q, attr, value)
            if finite(b.volume, 0):
                q.volume = int(b.volume)
            if b.HasField("bidPrice") and finite(b.bidPrice, 0):
                q.bid = b.bidPrice
            if b.HasField("askPrice") and finite(b.askPrice, 0):
                q.ask = b.askPrice
            if finite(b.lotSize, 0, 1e9):
                q.lot_size = int(b.lotSize)
            q.update_time = clean_text(b.updateTime, 32)
            q.seq += 1
            self.opend.polled_at[code] = now
            store.dirty_quotes.add(code)
