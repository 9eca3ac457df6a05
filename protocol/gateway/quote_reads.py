"""The quote service's pull requests that need no subscription: snapshots, capital flow and
distribution, history K-lines (paged), static info, market state, short interest and the
user's watchlists. A mixin of QuoteService (protocol/gateway/quotes.py), which registers
them and applies the rate limits.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable
from typing import Any
from datetime import date, datetime, timedelta

from protocol.gateway import ext_quotes as xq
from protocol.gateway import klines as kl
from protocol.gateway import quote_msgs as qm
from protocol.gateway.instruments import MARKET_OF, WATCHLISTS, Instrument
from protocol.gateway.market import FlowItem, Market
from protocol.gateway.server import ServiceError, Session
from protocol import rights as qr
from protocol.markets import SEC_INDEX, DayClock, trade_dates
from protocol.proto import (
    Qot_Common_pb2 as qc, Qot_GetCapitalDistribution_pb2, Qot_GetCapitalFlow_pb2, Qot_GetMarketState_pb2,
    Qot_GetSecuritySnapshot_pb2, Qot_GetShortInterest_pb2, Qot_GetStaticInfo_pb2, Qot_GetUserSecurity_pb2,
    Qot_GetUserSecurityGroup_pb2, Qot_RequestHistoryKL_pb2, Qot_RequestTradeDate_pb2,
)

MAX_CODES = qr.SNAPSHOT_CODES  # snapshot and market-state requests
TRADE_DATE_MARKET = {1: "HK", 2: "US", 3: "SH"}  # Qot_Common.TradeDateMarket -> calendar
HISTORY_CACHE = 16  # history-K-line queries kept for paging
TIME_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}( [0-9]{2}:[0-9]{2}:[0-9]{2})?")


def is_time(text: str | bytes) -> bool:
    """A time as the SDK sends it ("YYYY-MM-DD HH:MM:SS"), or a date. (Protobuf hands over a
    string field that is not UTF-8 as bytes.)"""
    if not isinstance(text, str) or not TIME_TEXT.fullmatch(text):
        return False
    try:
        datetime.strptime(text, "%Y-%m-%d %H:%M:%S" if len(text) > 10 else "%Y-%m-%d")
    except ValueError:
        return False
    return True


class QuoteReads:
    """Pull handlers (mixed into QuoteService)."""

    market: Market
    clock: Callable[[], float]
    _history: dict[tuple, tuple[float, list]]
    state: Any  # OpenDState: rights, history-K-line quota
    _any_right: Callable[[Instrument, str], None]

    def _inst(self, sec: qc.Security) -> Instrument:
        code = f"{MARKET_OF.get(sec.market, 'N/A')}.{sec.code}"
        inst = self.market.instruments.get(code)
        if inst is None:
            raise ServiceError(f"unknown security {code}: the simulator lists {len(self.market.instruments)} "
                               "codes (get_stock_basicinfo)")
        return inst

    def _stock_only(self, inst: Instrument, what: str) -> None:
        if inst.sec_type == SEC_INDEX:
            raise ServiceError(f"{what} is only available for stocks, warrants and funds, not the index {inst.code}")

    # -- other reads ----------------------------------------------------------------------

    def _snapshot(self, session: Session, c2s: Qot_GetSecuritySnapshot_pb2.C2S) -> Qot_GetSecuritySnapshot_pb2.S2C:
        if len(c2s.securityList) > MAX_CODES:
            raise ServiceError(f"at most {MAX_CODES} codes per snapshot request, got {len(c2s.securityList)}")
        insts = [self._inst(sec) for sec in c2s.securityList]
        for inst in insts:
            self._any_right(inst, "snapshot")
        hk = sum(1 for i in insts if i.market == "HK")
        if self.state.rights.HK == qr.BMP and hk > qr.BMP_SNAPSHOT_CODES:
            raise ServiceError(f"under the HK BMP quote right at most {qr.BMP_SNAPSHOT_CODES} HK securities per "
                               f"snapshot request, got {hk} (LV1 or better: {MAX_CODES})")
        return Qot_GetSecuritySnapshot_pb2.S2C(snapshotList=[qm.snapshot(self.market, i) for i in insts])

    def _capital_flow(self, session: Session, c2s: Qot_GetCapitalFlow_pb2.C2S) -> Qot_GetCapitalFlow_pb2.S2C:
        inst = self._inst(c2s.security)
        self._stock_only(inst, "capital flow")
        self._any_right(inst, "capital flow")
        period = c2s.periodType if c2s.HasField("periodType") else 1
        if period == 1:
            items = self.market.capital_flow_intraday(inst.code)
        elif period in (2, 3, 4):
            items = self.market.capital_flow_daily(inst.code)
            year_ago = (self.market.trading_day(inst.code) - timedelta(days=365)).isoformat()
            lo = max(year_ago, c2s.beginTime[:10] if c2s.HasField("beginTime") else "")
            hi = c2s.endTime[:10] if c2s.HasField("endTime") else "9999"
            items = [it for it in items if lo <= it.time[:10] <= hi]
            if period != 2:
                items = _group_flows(items, kl.WEEK if period == 3 else kl.MONTH)
        else:
            raise ServiceError(f"unknown PeriodType {period}")
        s2c = Qot_GetCapitalFlow_pb2.S2C(flowItemList=[qm.flow_item(it, period != 1) for it in items])
        if items:
            s2c.lastValidTime, s2c.lastValidTimestamp = items[-1].time, items[-1].t
        return s2c

    def _capital_dist(self, session: Session,
                      c2s: Qot_GetCapitalDistribution_pb2.C2S) -> Qot_GetCapitalDistribution_pb2.S2C:
        inst = self._inst(c2s.security)
        self._stock_only(inst, "capital distribution")
        self._any_right(inst, "capital distribution")
        ins, outs, t = self.market.capital_distribution(inst.code)
        r = [round(x, 2) for x in ins + outs]
        return Qot_GetCapitalDistribution_pb2.S2C(
            capitalInSuper=r[0], capitalInBig=r[1], capitalInMid=r[2], capitalInSmall=r[3],
            capitalOutSuper=r[4], capitalOutBig=r[5], capitalOutMid=r[6], capitalOutSmall=r[7],
            updateTime=self.market.local_time(inst.code, t), updateTimestamp=t,
        )

    def _history_kl(self, session: Session, c2s: Qot_RequestHistoryKL_pb2.C2S) -> Qot_RequestHistoryKL_pb2.S2C:
        inst = self._inst(c2s.security)
        if c2s.klType not in kl.ALL:
            raise ServiceError(f"unknown KLType {c2s.klType}")
        # Refused before any work: text that is no time compared as a range took in the whole
        # history (a 44,000-bar page of 1-minute bars, ~0.7 s of CPU with every push waiting).
        for field, text in (("beginTime", c2s.beginTime), ("endTime", c2s.endTime)):
            if not is_time(text):
                raise ServiceError(f"{field} must be a time as YYYY-MM-DD HH:MM:SS (or a date YYYY-MM-DD)")
        wanted = xq.sessions_wanted(c2s)  # extended hours only when asked
        query = (inst.code, c2s.klType, c2s.beginTime, c2s.endTime, tuple(sorted(wanted)))
        tag = zlib.crc32(repr(query).encode())
        offset = 0
        if c2s.HasField("nextReqKey"):
            try:
                text = c2s.nextReqKey.decode()
                key_tag, _, key_offset = text.partition(":")
                if int(key_tag, 16) != tag:
                    raise ValueError
                offset = int(key_offset)
            except ValueError:
                raise ServiceError("nextReqKey does not belong to this query "
                                   "(pass the key from its previous page)") from None
        else:  # a query's first page: needs a right, and counts against the history-K-line quota
            self._any_right(inst, "history K-line")
            self.state.charge_history(inst)
        now = self.clock()
        cached = self._history.get(query)
        if cached is None or now - cached[0] > 60 or offset == 0:
            bars = self.market.klines(inst.code, c2s.klType, begin=c2s.beginTime, end=c2s.endTime)
            bars = xq.with_extended(self.market, inst.code, c2s.klType, bars, wanted,
                                    begin=c2s.beginTime, end=c2s.endTime)
            self._history[query] = (now, bars)
            while len(self._history) > HISTORY_CACHE:
                self._history.pop(next(iter(self._history)))
        else:
            bars = cached[1]
        size = c2s.maxAckKLNum if c2s.HasField("maxAckKLNum") and c2s.maxAckKLNum > 0 else len(bars)
        page = bars[offset:offset + size]
        fields = c2s.needKLFieldsFlag if c2s.HasField("needKLFieldsFlag") else qm.ALL_FIELDS
        s2c = Qot_RequestHistoryKL_pb2.S2C(security=qm.security(inst), name=inst.name,
                                           klList=[qm.kline(inst, b, fields) for b in page])
        if offset + len(page) < len(bars):  # presence means "more pages"; absent on the last page
            s2c.nextReqKey = f"{tag:08x}:{offset + len(page)}".encode()
        return s2c

    def _static_info(self, session: Session, c2s: Qot_GetStaticInfo_pb2.C2S) -> Qot_GetStaticInfo_pb2.S2C:
        if len(c2s.securityList):
            insts = [self._inst(sec) for sec in c2s.securityList]
        else:
            market = MARKET_OF.get(c2s.market)
            if market is None:
                raise ServiceError(f"market {c2s.market} is not simulated (HK 1, US 11, SH 21, SZ 22)")
            insts = [i for i in self.market.instruments.values()
                     if i.market == market and (not c2s.secType or i.sec_type == c2s.secType)]
        return Qot_GetStaticInfo_pb2.S2C(staticInfoList=[qm.static_info(i) for i in insts])

    def _market_state(self, session: Session, c2s: Qot_GetMarketState_pb2.C2S) -> Qot_GetMarketState_pb2.S2C:
        if len(c2s.securityList) > MAX_CODES:
            raise ServiceError(f"at most {MAX_CODES} codes per request, got {len(c2s.securityList)}")
        s2c = Qot_GetMarketState_pb2.S2C()
        for sec in c2s.securityList:
            inst = self._inst(sec)
            s2c.marketInfoList.add(security=qm.security(inst), name=inst.name,
                                   marketState=self.market.market_state(inst.market))
        return s2c

    def _trade_dates(self, session: Session, c2s: Qot_RequestTradeDate_pb2.C2S) -> Qot_RequestTradeDate_pb2.S2C:
        if c2s.HasField("security"):
            market = self._inst(c2s.security).market
        else:
            market = TRADE_DATE_MARKET.get(c2s.market)
            if market is None:
                raise ServiceError(f"trade-date market {c2s.market} is not simulated (HK 1, US 2, CN 3)")
        try:
            begin, end = date.fromisoformat(c2s.beginTime[:10]), date.fromisoformat(c2s.endTime[:10])
        except (ValueError, TypeError):  # TypeError: not UTF-8, so protobuf gave bytes
            raise ServiceError(f"beginTime and endTime are dates like 2026-12-01, got {c2s.beginTime!r} "
                               f"and {c2s.endTime!r}") from None
        if end < begin:
            raise ServiceError(f"endTime {c2s.endTime} is before beginTime {c2s.beginTime}")
        if (end - begin).days > 366:
            raise ServiceError("at most one year of trading days per request")
        dc = DayClock(market)
        return Qot_RequestTradeDate_pb2.S2C(tradeDateList=[
            Qot_RequestTradeDate_pb2.TradeDate(time=d.isoformat(), timestamp=dc.day_start(d), tradeDateType=kind)
            for d, kind in trade_dates(market, begin, end)])

    def _short_interest(self, session: Session, c2s: Qot_GetShortInterest_pb2.C2S) -> Qot_GetShortInterest_pb2.S2C:
        inst = self._inst(c2s.security)
        if inst.market not in ("HK", "US") or inst.is_index:
            raise ServiceError(f"short interest is only available for HK and US stocks and funds, not {inst.code}")
        num = c2s.num if c2s.HasField("num") else 10
        if not 1 <= num <= 50:
            raise ServiceError(f"num must be 1 to 50, got {num}")
        key = c2s.nextKey if c2s.HasField("nextKey") else ""
        if key == "-1":
            return Qot_GetShortInterest_pb2.S2C(nextKey="-1")
        try:
            offset = int(key or 0)
        except ValueError:
            raise ServiceError(f"bad nextKey {key!r}: pass the next_key of the previous page") from None
        items = self.market.short_interest(inst.code)
        page = items[offset:offset + num]
        s2c = Qot_GetShortInterest_pb2.S2C(nextKey=str(offset + num) if offset + num < len(items) else "-1")
        for it in page:
            ts = int(qm.day_start(inst, it.day))
            if inst.market == "US":
                s2c.usItemList.add(timestamp=ts, timestampStr=it.day.isoformat(), sharesShort=it.short,
                                   shortPercent=it.ratio, avgDailyShareVolume=it.avg_volume,
                                   daysToCover=round(it.short / it.avg_volume, 2) if it.avg_volume else 0.0,
                                   closePrice=it.close, lastClosePrice=it.last_close)
            else:
                s2c.hkItemList.add(timestamp=ts, timestampStr=it.day.isoformat(), closePrice=it.close,
                                   lastClosePrice=it.last_close, aggregatedShort=it.short,
                                   aggregatedShortRatio=it.ratio)
        return s2c

    def _user_groups(self, session: Session,
                     c2s: Qot_GetUserSecurityGroup_pb2.C2S) -> Qot_GetUserSecurityGroup_pb2.S2C:
        want = c2s.groupType
        return Qot_GetUserSecurityGroup_pb2.S2C(groupList=[
            Qot_GetUserSecurityGroup_pb2.GroupData(groupName=name, groupType=gtype)
            for name, gtype, _codes in WATCHLISTS if want in (0, 3, gtype)
        ])

    def _user_security(self, session: Session, c2s: Qot_GetUserSecurity_pb2.C2S) -> Qot_GetUserSecurity_pb2.S2C:
        for name, _gtype, codes in WATCHLISTS:
            if name == c2s.groupName:
                return Qot_GetUserSecurity_pb2.S2C(
                    staticInfoList=[qm.static_info(self.market.instruments[c]) for c in codes])
        names = ", ".join(n for n, _, _ in WATCHLISTS)
        raise ServiceError(f"no watchlist group named {c2s.groupName!r} (groups: {names})")


def _group_flows(items: list[FlowItem], kl_type: int) -> list[FlowItem]:
    """Daily flows summed per week or month, labelled by the period's first day."""
    out: list[FlowItem] = []
    key = None
    for it in items:
        k = kl.period_key(kl_type, date.fromisoformat(it.time[:10]))
        if k != key or not out:
            out.append(it)
            key = k
        else:
            last = out[-1]
            out[-1] = FlowItem(last.time, last.t, last.super + it.super, last.big + it.big,
                               last.mid + it.mid, last.small + it.small)
    return out
