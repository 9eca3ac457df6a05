"""The chart's own OpenD reads: the time-share line (Qot_GetRT once, then Qot_UpdateRT pushes)
and, for the five-day view, the 1-minute history K-lines of the days before today.

Owned by the feed (`feed.charts`); the App tells it the chart's view. RT_DATA is subscribed
only while a time-share view is shown, so a K-line trader spends no quota on it.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from protocol import ids
from protocol.codes import KL_SUBTYPES, SUB_RT, security
from protocol.hours import trading_days_before
from protocol.proto import Qot_GetRT_pb2, Qot_RequestHistoryKL_pb2
from workstation.timeshare import apply_rt, set_days, set_rt

VIEWS = ("kline", "timeshare", "timeshare5")  # the chart's views, as prefs.py spells them
SUBSCRIBED_WITHIN = 10.0  # s to wait for RT_DATA to be subscribed before asking for the day


class ChartReads:
    def __init__(self, feed) -> None:
        self.feed = feed
        self.view = "kline"
        self._days_loaded: set[str] = set()
        feed.client.on_push(ids.QOT_UPDATE_RT, lambda r: apply_rt(feed.store, r.s2c))

    @property
    def timeshare(self) -> bool:
        return self.view != "kline"

    def wants(self, code: str) -> set[tuple[str, int]]:
        """Subscriptions the chart's view needs for the focused code."""
        return {(code, SUB_RT)} if self.timeshare else set()

    async def load(self, code: str) -> None:
        """What the view shows that pushes alone do not give: the day so far and the days before."""
        if not self.timeshare:
            return
        if self.view == "timeshare5":
            await self._load_days(code)
        await self._load_rt(code)

    async def _load_rt(self, code: str) -> None:
        feed, key = self.feed, (code, SUB_RT)
        waited = 0.0
        while key not in feed.have:  # Qot_GetRT is refused until RT_DATA is subscribed
            if key not in feed.want or key in feed.failed or waited > SUBSCRIBED_WITHIN:
                return
            await asyncio.sleep(0.05)
            waited += 0.05
        c2s = Qot_GetRT_pb2.C2S()
        c2s.security.market, c2s.security.code = security(code)
        s2c = await feed.client.request(ids.QOT_GET_RT, c2s)
        set_rt(feed.store, code, s2c.rtList)

    async def _load_days(self, code: str) -> None:
        feed = self.feed
        opend = feed.store.opend
        if code in self._days_loaded or opend.missing(code) or not opend.history_allowed(code) or not opend.qot_logined:
            return
        now = datetime.now() + timedelta(seconds=feed.clock_skew)
        days = trading_days_before(now.date() + timedelta(days=1), 5, code.partition(".")[0], "real")
        c2s = Qot_RequestHistoryKL_pb2.C2S(
            rehabType=1, klType=KL_SUBTYPES["1m"][1], maxAckKLNum=1000,
            beginTime=datetime.combine(days[0], datetime.min.time()).strftime("%Y-%m-%d %H:%M:%S"),
            endTime=(now + timedelta(days=1)).strftime("%Y-%m-%d 23:59:59"))  # a day of slack for the zone
        c2s.security.market, c2s.security.code = security(code)
        rows = []
        while True:
            s2c = await feed.client.request(ids.QOT_REQUEST_HISTORY_KL, c2s)
            rows.extend(s2c.klList)
            if not s2c.HasField("nextReqKey") or len(rows) >= 8000:
                break
            c2s.nextReqKey = s2c.nextReqKey
        set_days(feed.store, code, rows)
        self._days_loaded.add(code)
