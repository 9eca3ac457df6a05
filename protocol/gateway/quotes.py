"""The quote service: subscriptions, every quote request of fact sheet section 8, pushes.

Subscriptions follow OpenD's quota rules (subscriptions.py). The realtime reads (quote,
order book, K-line, time share, ticker, broker queue) need a subscription of that SubType
on the calling connection, as the docs say ("subscribe first").

Per-connection rate limits: OpenD's documented ones (protocol/ratelimit.py LIMITS), a
sliding window; a history K-line query counts on its first page only. The other quote
calls have no documented limit.
"""

from __future__ import annotations

import asyncio
import logging
import time
import zlib
from collections.abc import Callable
from datetime import date, timedelta

from google.protobuf.message import Message

from protocol import ids
from protocol.gateway import klines as kl
from protocol.gateway import quote_msgs as qm
from protocol.gateway.instruments import MARKET_OF, SEC_INDEX, WATCHLISTS, Instrument
from protocol.gateway.market import FlowItem, Market, Trade
from protocol.gateway.server import Gateway, ServiceError, Session
from protocol.ratelimit import LIMITS, WINDOW, RateLimiter
from protocol.gateway.subscriptions import MIN_AGE, Key, SubscriptionError, Subscriptions
from protocol.proto import (
    Qot_Common_pb2 as qc, Qot_GetBasicQot_pb2, Qot_GetBroker_pb2, Qot_GetCapitalDistribution_pb2,
    Qot_GetCapitalFlow_pb2, Qot_GetKL_pb2, Qot_GetMarketState_pb2, Qot_GetOrderBook_pb2, Qot_GetRT_pb2,
    Qot_GetSecuritySnapshot_pb2, Qot_GetShortInterest_pb2, Qot_GetStaticInfo_pb2, Qot_GetSubInfo_pb2,
    Qot_GetTicker_pb2, Qot_GetUserSecurity_pb2, Qot_GetUserSecurityGroup_pb2, Qot_RegQotPush_pb2,
    Qot_RequestHistoryKL_pb2, Qot_Sub_pb2, Qot_UpdateBasicQot_pb2, Qot_UpdateBroker_pb2, Qot_UpdateKL_pb2,
    Qot_UpdateOrderBook_pb2, Qot_UpdateRT_pb2, Qot_UpdateTicker_pb2,
)

log = logging.getLogger("futu_opend_sim")

QUOTE, ORDER_BOOK, TICKER, RT, BROKER, ORDER_BOOK_ODD = 1, 2, 4, 5, 14, 22
SUBTYPE_NAMES = {
    QUOTE: "QUOTE", ORDER_BOOK: "ORDER_BOOK", TICKER: "TICKER", RT: "RT_DATA", BROKER: "BROKER",
    6: "K_DAY", 7: "K_5M", 8: "K_15M", 9: "K_30M", 10: "K_60M", 11: "K_1M", 12: "K_WEEK", 13: "K_MON",
    15: "K_QUARTER", 16: "K_YEAR", 17: "K_3M", 18: "K_10M", 19: "K_120M", 20: "K_180M", 21: "K_240M",
    ORDER_BOOK_ODD: "ORDER_BOOK_ODD",
}
MAX_CODES = 400  # snapshot and market-state requests
PUSH_IDS = {QUOTE: ids.QOT_UPDATE_BASIC_QOT, ORDER_BOOK: ids.QOT_UPDATE_ORDER_BOOK, TICKER: ids.QOT_UPDATE_TICKER,
            RT: ids.QOT_UPDATE_RT, BROKER: ids.QOT_UPDATE_BROKER}
FIRST_PUSH_TICKS = 10  # cached ticks sent on a first push
HISTORY_CACHE = 16  # history-K-line queries kept for paging

Handler = Callable[[Session, Message], Message]


class QuoteService:
    def __init__(self, gateway: Gateway, market: Market, quota: int = 300,
                 min_sub_age: float = MIN_AGE, clock: Callable[[], float] = time.monotonic) -> None:
        self.gateway, self.market = gateway, market
        self.clock = clock
        self.limits_enabled = True
        self.subs = Subscriptions(quota, min_sub_age, clock, SUBTYPE_NAMES)
        self._kl_last: dict[tuple[str, int], str] = {}  # (code, KLType) -> time of the last pushed bar
        self._rt_last: dict[str, str] = {}
        self._history: dict[tuple, tuple[float, list]] = {}
        gateway.market_state = market.states
        gateway.on_close.append(self._closed)
        handlers = {
            ids.QOT_SUB: self._sub, ids.QOT_REG_QOT_PUSH: self._reg_push, ids.QOT_GET_SUB_INFO: self._sub_info,
            ids.QOT_GET_BASIC_QOT: self._basic_qot, ids.QOT_GET_SECURITY_SNAPSHOT: self._snapshot,
            ids.QOT_GET_ORDER_BOOK: self._order_book, ids.QOT_GET_KL: self._kl, ids.QOT_GET_RT: self._rt,
            ids.QOT_GET_TICKER: self._ticker, ids.QOT_GET_BROKER: self._broker,
            ids.QOT_GET_CAPITAL_FLOW: self._capital_flow, ids.QOT_GET_CAPITAL_DISTRIBUTION: self._capital_dist,
            ids.QOT_REQUEST_HISTORY_KL: self._history_kl, ids.QOT_GET_STATIC_INFO: self._static_info,
            ids.QOT_GET_MARKET_STATE: self._market_state, ids.QOT_GET_SHORT_INTEREST: self._short_interest,
            ids.QOT_GET_USER_SECURITY_GROUP: self._user_groups, ids.QOT_GET_USER_SECURITY: self._user_security,
        }
        for pid, handler in handlers.items():
            gateway.register(pid, self._limited(pid, handler) if pid in LIMITS else handler)

    # -- helpers ------------------------------------------------------------------------

    def _limited(self, pid: int, handler: Handler) -> Handler:
        limit = LIMITS[pid]

        def run(session: Session, c2s: Message) -> Message:
            # only the first page of a history query counts (seed 004)
            if self.limits_enabled and not (pid == ids.QOT_REQUEST_HISTORY_KL and c2s.HasField("nextReqKey")):
                limiter = session.data.get("qot_rate")
                if limiter is None:
                    limiter = session.data["qot_rate"] = RateLimiter(WINDOW, self.clock)
                wait = limiter.hit(pid, limit.requests)
                if wait:
                    raise ServiceError(limit.refusal(wait))
            return handler(session, c2s)

        return run

    def _inst(self, sec: qc.Security) -> Instrument:
        code = f"{MARKET_OF.get(sec.market, 'N/A')}.{sec.code}"
        inst = self.market.instruments.get(code)
        if inst is None:
            raise ServiceError(f"unknown security {code}: the simulator lists {len(self.market.instruments)} "
                               "codes (get_stock_basicinfo)")
        return inst

    def _require(self, session: Session, inst: Instrument, subtype: int) -> None:
        if not self.subs.holds(session.conn_id, (inst.code, subtype)):
            raise ServiceError(f"{inst.code} is not subscribed for {SUBTYPE_NAMES[subtype]} on this connection: "
                               "subscribe first")

    def _stock_only(self, inst: Instrument, what: str) -> None:
        if inst.sec_type == SEC_INDEX:
            raise ServiceError(f"{what} is only available for stocks, warrants and funds, not the index {inst.code}")

    # -- subscriptions --------------------------------------------------------------------

    def _keys(self, c2s: Message) -> list[Key]:
        insts = [self._inst(sec) for sec in c2s.securityList]
        subtypes = list(dict.fromkeys(c2s.subTypeList))
        if not insts or not subtypes:
            raise ServiceError("securityList and subTypeList must not be empty")
        for st in subtypes:
            if st not in SUBTYPE_NAMES:
                raise ServiceError(f"unknown SubType {st}")
            if st == ORDER_BOOK_ODD:
                raise ServiceError("ORDER_BOOK_ODD (odd-lot order book) is not simulated")
        for inst in insts:
            if BROKER in subtypes and (inst.market != "HK" or inst.is_index):
                raise ServiceError(f"BROKER (broker queue) is only available for HK securities, not {inst.code}")
        return list(dict.fromkeys((inst.code, st) for inst in insts for st in subtypes))

    def _sub(self, session: Session, c2s: Qot_Sub_pb2.C2S) -> Qot_Sub_pb2.S2C:
        conn = session.conn_id
        try:
            if c2s.isUnsubAll:
                self.subs.unsubscribe(conn, self.subs.held(conn))
                return Qot_Sub_pb2.S2C()
            keys = self._keys(c2s)
            if not c2s.isSubOrUnSub:
                self.subs.unsubscribe(conn, keys)
                return Qot_Sub_pb2.S2C()
            self.subs.subscribe(conn, keys)
        except SubscriptionError as exc:
            raise ServiceError(str(exc)) from None
        if c2s.HasField("isRegOrUnRegPush"):
            for key in keys:
                self.subs.set_push(conn, key, session if c2s.isRegOrUnRegPush else None)
            if c2s.isRegOrUnRegPush and (not c2s.HasField("isFirstPush") or c2s.isFirstPush):
                self._first_push_soon(session, keys)
        return Qot_Sub_pb2.S2C()

    def _closed(self, session: Session) -> None:
        self.subs.close(session.conn_id)

    def _reg_push(self, session: Session, c2s: Qot_RegQotPush_pb2.C2S) -> Qot_RegQotPush_pb2.S2C:
        keys = self._keys(c2s)
        if c2s.isRegOrUnReg:
            missing = [k for k in keys if not self.subs.holds(session.conn_id, k)]
            if missing:
                code, st = missing[0]
                raise ServiceError(f"{code} is not subscribed for {SUBTYPE_NAMES[st]} on this connection: "
                                   "subscribe before registering for pushes")
        for key in keys:
            self.subs.set_push(session.conn_id, key, session if c2s.isRegOrUnReg else None)
        if c2s.isRegOrUnReg and (not c2s.HasField("isFirstPush") or c2s.isFirstPush):
            self._first_push_soon(session, keys)
        return Qot_RegQotPush_pb2.S2C()

    def _sub_info(self, session: Session, c2s: Qot_GetSubInfo_pb2.C2S) -> Qot_GetSubInfo_pb2.S2C:
        used = self.subs.used()
        s2c = Qot_GetSubInfo_pb2.S2C(totalUsedQuota=used, remainQuota=max(0, self.subs.quota - used))
        conns = list(self.gateway.sessions.values()) if c2s.isReqAllConn else [session]
        for conn in conns:
            held = self.subs.held(conn.conn_id)
            if not held and conn is not session:
                continue
            info = s2c.connSubInfoList.add(usedQuota=len(held), isOwnConnData=conn is session)
            by_type: dict[int, list[str]] = {}
            for code, st in held:
                by_type.setdefault(st, []).append(code)
            for st, codes in by_type.items():
                sub = info.subInfoList.add(subType=st)
                for code in codes:
                    sub.securityList.append(qm.security(self.market.instruments[code]))
        return s2c

    # -- realtime reads (subscription required) -------------------------------------------

    def _basic_qot(self, session: Session, c2s: Qot_GetBasicQot_pb2.C2S) -> Qot_GetBasicQot_pb2.S2C:
        insts = [self._inst(sec) for sec in c2s.securityList]
        for inst in insts:
            self._require(session, inst, QUOTE)
        return Qot_GetBasicQot_pb2.S2C(basicQotList=[qm.basic_qot(i, self.market.quote(i.code)) for i in insts])

    def _order_book(self, session: Session, c2s: Qot_GetOrderBook_pb2.C2S) -> Qot_GetOrderBook_pb2.S2C:
        inst = self._inst(c2s.security)
        self._require(session, inst, ORDER_BOOK)
        if c2s.HasField("orderBookType") and c2s.orderBookType != 0:
            raise ServiceError("only the board-lot order book (OrderBookType NORMAL) is simulated")
        s2c = Qot_GetOrderBook_pb2.S2C()
        qm.fill_order_book(s2c, inst, self.market.book(inst.code), max(0, min(c2s.num, 10)))
        return s2c

    def _kl(self, session: Session, c2s: Qot_GetKL_pb2.C2S) -> Qot_GetKL_pb2.S2C:
        inst = self._inst(c2s.security)
        if c2s.klType not in kl.ALL:
            raise ServiceError(f"unknown KLType {c2s.klType}")
        self._require(session, inst, kl.KL_SUBTYPE[c2s.klType])
        count = max(0, min(c2s.reqNum, 1000))
        bars = self.market.klines(inst.code, c2s.klType, count=count)
        return Qot_GetKL_pb2.S2C(security=qm.security(inst), name=inst.name,
                                 klList=[qm.kline(inst, b) for b in bars])

    def _rt(self, session: Session, c2s: Qot_GetRT_pb2.C2S) -> Qot_GetRT_pb2.S2C:
        inst = self._inst(c2s.security)
        self._require(session, inst, RT)
        return Qot_GetRT_pb2.S2C(security=qm.security(inst), name=inst.name,
                                 rtList=[qm.time_share(p) for p in self.market.rt(inst.code)])

    def _ticker(self, session: Session, c2s: Qot_GetTicker_pb2.C2S) -> Qot_GetTicker_pb2.S2C:
        inst = self._inst(c2s.security)
        self._require(session, inst, TICKER)
        trades = self.market.trades(inst.code, max(0, min(c2s.maxRetNum, 1000)))
        return Qot_GetTicker_pb2.S2C(security=qm.security(inst), name=inst.name,
                                     tickerList=[qm.ticker(inst, t) for t in trades])

    def _broker(self, session: Session, c2s: Qot_GetBroker_pb2.C2S) -> Qot_GetBroker_pb2.S2C:
        inst = self._inst(c2s.security)
        self._require(session, inst, BROKER)
        bids, asks = self.market.brokers(inst.code)
        return Qot_GetBroker_pb2.S2C(security=qm.security(inst), name=inst.name,
                                     brokerBidList=qm.brokers(bids), brokerAskList=qm.brokers(asks))

    # -- other reads ----------------------------------------------------------------------

    def _snapshot(self, session: Session, c2s: Qot_GetSecuritySnapshot_pb2.C2S) -> Qot_GetSecuritySnapshot_pb2.S2C:
        if len(c2s.securityList) > MAX_CODES:
            raise ServiceError(f"at most {MAX_CODES} codes per snapshot request, got {len(c2s.securityList)}")
        insts = [self._inst(sec) for sec in c2s.securityList]
        return Qot_GetSecuritySnapshot_pb2.S2C(snapshotList=[qm.snapshot(self.market, i) for i in insts])

    def _capital_flow(self, session: Session, c2s: Qot_GetCapitalFlow_pb2.C2S) -> Qot_GetCapitalFlow_pb2.S2C:
        inst = self._inst(c2s.security)
        self._stock_only(inst, "capital flow")
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
        query = (inst.code, c2s.klType, c2s.beginTime, c2s.endTime)
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
        now = self.clock()
        cached = self._history.get(query)
        if cached is None or now - cached[0] > 60 or offset == 0:
            bars = self.market.klines(inst.code, c2s.klType, begin=c2s.beginTime, end=c2s.endTime)
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

    # -- pushes ---------------------------------------------------------------------------

    def _body(self, code: str, subtype: int, trades: list[Trade] | None,
              first: bool = False) -> tuple[int, bytes] | None:
        """One push of a code x SubType, serialised; None if there is nothing to send."""
        m = self.market
        inst = m.instruments[code]
        if subtype == QUOTE:
            resp = Qot_UpdateBasicQot_pb2.Response(retType=0)
            resp.s2c.basicQotList.append(qm.basic_qot(inst, m.quote(code)))
        elif subtype == ORDER_BOOK:
            resp = Qot_UpdateOrderBook_pb2.Response(retType=0)
            qm.fill_order_book(resp.s2c, inst, m.book(code))
        elif subtype == TICKER:
            kind = qm.PUSH_CACHE if first else qm.PUSH_REALTIME
            trades = m.trades(code, FIRST_PUSH_TICKS) if first else trades
            if not trades:
                return None
            resp = Qot_UpdateTicker_pb2.Response(retType=0)
            resp.s2c.security.CopyFrom(qm.security(inst))
            resp.s2c.name = inst.name
            resp.s2c.tickerList.extend(qm.ticker(inst, t, kind) for t in trades)
        elif subtype == RT:
            point = m.rt_last(code)
            if point is None:
                return None
            points = [point]
            if not first and self._rt_last.get(code, point.time) != point.time:
                points = m.rt(code)[-2:]  # the finished minute's final state, then the new one
            self._rt_last[code] = point.time
            resp = Qot_UpdateRT_pb2.Response(retType=0)
            resp.s2c.security.CopyFrom(qm.security(inst))
            resp.s2c.name = inst.name
            resp.s2c.rtList.extend(qm.time_share(p) for p in points)
        elif subtype == BROKER:
            bids, asks = m.brokers(code)
            resp = Qot_UpdateBroker_pb2.Response(retType=0)
            resp.s2c.security.CopyFrom(qm.security(inst))
            resp.s2c.name = inst.name
            resp.s2c.brokerBidList.extend(qm.brokers(bids))
            resp.s2c.brokerAskList.extend(qm.brokers(asks))
        else:
            kl_type = kl.SUBTYPE_KL[subtype]
            bar = m.current_kline(code, kl_type)
            if bar is None:
                return None
            bars = [bar]
            last = self._kl_last.get((code, kl_type))
            if not first and last is not None and last != bar.time:
                bars = m.klines(code, kl_type, count=2)  # close the finished bar, then the new one
            if not first:
                self._kl_last[(code, kl_type)] = bar.time
            resp = Qot_UpdateKL_pb2.Response(retType=0)
            resp.s2c.rehabType = 1  # forward adjusted, the default when regPushRehabTypeList is absent
            resp.s2c.klType = kl_type
            resp.s2c.security.CopyFrom(qm.security(inst))
            resp.s2c.name = inst.name
            resp.s2c.klList.extend(qm.kline(inst, b) for b in bars)
            return ids.QOT_UPDATE_KL, resp.SerializeToString()
        return PUSH_IDS[subtype], resp.SerializeToString()

    def _first_push_soon(self, session: Session, keys: list[Key]) -> None:
        # after the reply to this request has been written
        asyncio.get_running_loop().call_soon(self._first_push, session, keys)

    def _first_push(self, session: Session, keys: list[Key]) -> None:
        items = []
        for code, subtype in keys:
            if self.subs.pushes_to(session.conn_id, (code, subtype)):
                body = self._body(code, subtype, None, first=True)
                if body is not None:
                    items.append(body)
        if items:
            session.push_bodies(items)

    def publish(self, trades: list[Trade]) -> int:
        """Push what changed in one market step to the connections registered for it.
        Each push is serialised once and the same bytes go to every subscriber."""
        self.subs.sweep()
        pushers = self.subs.pushers
        if not trades or not pushers:
            return 0
        by_code: dict[str, list[Trade]] = {}
        for tr in trades:
            if tr.code in pushers:
                by_code.setdefault(tr.code, []).append(tr)
        out: dict[int, tuple[Session, list[tuple[int, bytes]]]] = {}
        for code, code_trades in by_code.items():
            for subtype, conns in list(pushers.get(code, {}).items()):
                try:
                    body = self._body(code, subtype, code_trades)
                except Exception:  # a bug in one push must not stop the market
                    log.exception("push %s %s failed", code, SUBTYPE_NAMES.get(subtype, subtype))
                    continue
                if body is None:
                    continue
                for conn_id, session in conns.items():
                    out.setdefault(conn_id, (session, []))[1].append(body)
        sent = 0
        for session, items in out.values():
            if session.push_bodies(items):
                sent += len(items)
        return sent


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
