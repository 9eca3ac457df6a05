"""The quote service: subscriptions, the realtime reads, pushes, and the rate limits of every
quote request of fact sheet section 8 (the other pull requests: quote_reads.py).

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
from collections.abc import Callable, Iterable

from google.protobuf.message import Message

from protocol import ids
from protocol.codes import (
    KL_SUBTYPE, SUB_BROKER, SUB_ORDER_BOOK, SUB_ORDER_BOOK_ODD, SUB_QUOTE, SUB_RT, SUB_TICKER, SUBTYPE_KL,
    SUBTYPE_NAMES,
)
from protocol.gateway import ext_quotes as xq
from protocol.gateway import klines as kl
from protocol.gateway import quote_msgs as qm
from protocol.gateway.instruments import Instrument
from protocol.gateway.market import Market, Trade
from protocol.gateway.opend_state import OpenDState
from protocol.gateway.quote_reads import QuoteReads
from protocol.gateway.server import Gateway, ServiceError, Session
from protocol.gateway.subscriptions import MIN_AGE, Key, SubscriptionError, Subscriptions
from protocol.proto import (
    Qot_GetBasicQot_pb2, Qot_GetBroker_pb2, Qot_GetKL_pb2, Qot_GetOrderBook_pb2, Qot_GetRT_pb2, Qot_GetSubInfo_pb2,
    Qot_GetTicker_pb2, Qot_RegQotPush_pb2, Qot_Sub_pb2, Qot_UpdateBasicQot_pb2, Qot_UpdateBroker_pb2,
    Qot_UpdateKL_pb2, Qot_UpdateOrderBook_pb2, Qot_UpdateRT_pb2, Qot_UpdateTicker_pb2,
)
from protocol import rights as qr
from protocol.ratelimit import LIMITS, WINDOW, RateLimiter

log = logging.getLogger("futu_opend_sim")

PUSH_IDS = {SUB_QUOTE: ids.QOT_UPDATE_BASIC_QOT, SUB_ORDER_BOOK: ids.QOT_UPDATE_ORDER_BOOK,
            SUB_TICKER: ids.QOT_UPDATE_TICKER, SUB_RT: ids.QOT_UPDATE_RT, SUB_BROKER: ids.QOT_UPDATE_BROKER}
FIRST_PUSH_TICKS = 10  # cached ticks sent on a first push
# served from OpenD's own memory: they work while OpenD is cut off from Futu's quote server
LOCAL_IDS = frozenset({ids.QOT_GET_SUB_INFO, ids.QOT_REG_QOT_PUSH})

Handler = Callable[[Session, Message], Message]


class QuoteService(QuoteReads):
    def __init__(self, gateway: Gateway, market: Market, quota: int = 300,
                 min_sub_age: float = MIN_AGE, clock: Callable[[], float] = time.monotonic,
                 state: OpenDState | None = None) -> None:
        self.gateway, self.market = gateway, market
        self.state = state or OpenDState(gateway, qr.QuoteRights(), sub_quota=quota, history_quota=1_000_000)
        self.state.on_rights_changed.append(self._rights_changed)
        self.clock = clock
        self.limits_enabled = True
        self.subs = Subscriptions(quota, min_sub_age, clock, SUBTYPE_NAMES)
        self._kl_last: dict[tuple[str, int], str] = {}  # (code, KLType) -> time of the last pushed bar
        self._rt_last: dict[str, str] = {}
        # (conn_id, code, SubType) registered for pushes whose first push (cached data) is not out
        # yet: no live push of that key goes to that connection before it, as on OpenD
        self._awaiting_first: set[tuple[int, str, int]] = set()
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
            ids.QOT_REQUEST_TRADE_DATE: self._trade_dates, ids.QOT_GET_USER_SECURITY_GROUP: self._user_groups, ids.QOT_GET_USER_SECURITY: self._user_security,
        }
        for pid, handler in handlers.items():
            handler = self._limited(pid, handler) if pid in LIMITS else handler
            gateway.register(pid, handler if pid in LOCAL_IDS else self._online(pid, handler))

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

    def _online(self, pid: int, handler: Handler) -> Handler:
        def run(session: Session, c2s: Message) -> Message:
            if not self.state.qot_logined:
                raise ServiceError(f"{ids.name_of(pid)}: OpenD is not logged in to Futu's quote server "
                                   "(connection lost); try again once it reconnects")
            return handler(session, c2s)

        return run

    def _right(self, inst: Instrument) -> int:
        return self.state.rights.of(inst.market)

    def _any_right(self, inst: Instrument, what: str) -> None:
        """Refuse `what` for a code of a market this account has no quote right for."""
        right = self._right(inst)
        if right in (qr.NO, qr.UNKNOWN):
            m = qr.right_market(inst.market)
            raise ServiceError(f"{inst.code} {what}: no permission: needs a {m} quote right "
                               f"({'BMP or ' if m == 'HK' else ''}LV1 or better); this account has none for {m}")

    def _rights_changed(self, rights: qr.QuoteRights) -> None:
        """Subscriptions the new rights no longer allow end, for every connection."""
        insts = self.market.instruments
        lost = [(code, st) for code, st in set(self.subs.holders) | set(self.subs.zombies)
                if qr.sub_refusal(code, insts[code].market, st, rights.of(insts[code].market))]
        self.subs.revoke(lost)

    def _require(self, session: Session, inst: Instrument, subtype: int) -> None:
        if not self.subs.holds(session.conn_id, (inst.code, subtype)):
            raise ServiceError(f"{inst.code} is not subscribed for {SUBTYPE_NAMES[subtype]} on this connection: "
                               "subscribe first")

    # -- subscriptions --------------------------------------------------------------------

    def _keys(self, c2s: Message) -> list[Key]:
        insts = [self._inst(sec) for sec in c2s.securityList]
        subtypes = list(dict.fromkeys(c2s.subTypeList))
        if not insts or not subtypes:
            raise ServiceError("securityList and subTypeList must not be empty")
        for st in subtypes:
            if st not in SUBTYPE_NAMES:
                raise ServiceError(f"unknown SubType {st}")
            if st == SUB_ORDER_BOOK_ODD:
                raise ServiceError("ORDER_BOOK_ODD (odd-lot order book) is not simulated")
        for inst in insts:
            if SUB_BROKER in subtypes and (inst.market != "HK" or inst.is_index):
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
            self._entitled(keys)
            self.subs.subscribe(conn, keys)
        except SubscriptionError as exc:
            raise ServiceError(str(exc)) from None
        wanted, ext = xq.sessions_wanted(c2s), session.data.setdefault("ext", {})
        for key in keys:  # extended hours as this subscription asked (a later subscribe changes it)
            ext[key] = wanted
        if c2s.HasField("isRegOrUnRegPush"):
            for key in keys:
                self.subs.set_push(conn, key, session if c2s.isRegOrUnRegPush else None)
            if c2s.isRegOrUnRegPush and (not c2s.HasField("isFirstPush") or c2s.isFirstPush):
                self._first_push_soon(session, keys)
        return Qot_Sub_pb2.S2C()

    def _entitled(self, keys: list[Key]) -> None:
        """All or nothing, as the quota: refused if any key needs a right this account lacks."""
        insts = self.market.instruments
        refused = [why for code, st in keys
                   if (why := qr.sub_refusal(code, insts[code].market, st, self._right(insts[code])))]
        if refused:
            more = f" (and {len(refused) - 1} more)" if len(refused) > 1 else ""
            raise ServiceError(refused[0] + more)

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
            self._require(session, inst, SUB_QUOTE)
        return Qot_GetBasicQot_pb2.S2C(basicQotList=[qm.basic_qot(i, self.market.quote(i.code)) for i in insts])

    def _order_book(self, session: Session, c2s: Qot_GetOrderBook_pb2.C2S) -> Qot_GetOrderBook_pb2.S2C:
        inst = self._inst(c2s.security)
        self._require(session, inst, SUB_ORDER_BOOK)
        if c2s.HasField("orderBookType") and c2s.orderBookType != 0:
            raise ServiceError("only the board-lot order book (OrderBookType NORMAL) is simulated")
        s2c = Qot_GetOrderBook_pb2.S2C()
        depth = qr.book_depth(inst.market, self._right(inst))
        qm.fill_order_book(s2c, inst, self.market.book(inst.code), max(0, min(c2s.num, depth)))
        return s2c

    def _kl(self, session: Session, c2s: Qot_GetKL_pb2.C2S) -> Qot_GetKL_pb2.S2C:
        inst = self._inst(c2s.security)
        if c2s.klType not in kl.ALL:
            raise ServiceError(f"unknown KLType {c2s.klType}")
        self._require(session, inst, KL_SUBTYPE[c2s.klType])
        count = max(0, min(c2s.reqNum, 1000))
        bars = self.market.klines(inst.code, c2s.klType, count=count)
        bars = xq.with_extended(self.market, inst.code, c2s.klType, bars,
                                self._wanted(session, (inst.code, KL_SUBTYPE[c2s.klType])), count=count)
        return Qot_GetKL_pb2.S2C(security=qm.security(inst), name=inst.name,
                                 klList=[qm.kline(inst, b) for b in bars])

    def _rt(self, session: Session, c2s: Qot_GetRT_pb2.C2S) -> Qot_GetRT_pb2.S2C:
        inst = self._inst(c2s.security)
        self._require(session, inst, SUB_RT)
        return Qot_GetRT_pb2.S2C(security=qm.security(inst), name=inst.name,
                                 rtList=[qm.time_share(p) for p in self.market.rt(inst.code)])

    def _ticker(self, session: Session, c2s: Qot_GetTicker_pb2.C2S) -> Qot_GetTicker_pb2.S2C:
        inst = self._inst(c2s.security)
        self._require(session, inst, SUB_TICKER)
        trades = xq.merged_ticks(self.market, inst.code, max(0, min(c2s.maxRetNum, 1000)),
                                 self._wanted(session, (inst.code, SUB_TICKER)))
        return Qot_GetTicker_pb2.S2C(security=qm.security(inst), name=inst.name,
                                     tickerList=[qm.ticker(inst, t) for t in trades])

    def _broker(self, session: Session, c2s: Qot_GetBroker_pb2.C2S) -> Qot_GetBroker_pb2.S2C:
        inst = self._inst(c2s.security)
        self._require(session, inst, SUB_BROKER)
        bids, asks = self.market.brokers(inst.code)
        return Qot_GetBroker_pb2.S2C(security=qm.security(inst), name=inst.name,
                                     brokerBidList=qm.brokers(bids), brokerAskList=qm.brokers(asks))

    def _wanted(self, session: Session, key: Key) -> frozenset[str]:
        """The extended sessions this connection's subscription of key asked for."""
        return session.data.get("ext", {}).get(key, frozenset())

    # -- pushes ---------------------------------------------------------------------------

    def _body(self, code: str, subtype: int, trades: list[Trade] | None,
              first: bool = False) -> tuple[int, bytes] | None:
        """One push of a code x SubType, serialised; None if there is nothing to send."""
        m = self.market
        inst = m.instruments[code]
        if subtype == SUB_QUOTE:
            resp = Qot_UpdateBasicQot_pb2.Response(retType=0)
            resp.s2c.basicQotList.append(qm.basic_qot(inst, m.quote(code)))
        elif subtype == SUB_ORDER_BOOK:
            resp = Qot_UpdateOrderBook_pb2.Response(retType=0)
            qm.fill_order_book(resp.s2c, inst, m.book(code), qr.book_depth(inst.market, self._right(inst)))
        elif subtype == SUB_TICKER:
            kind = qm.PUSH_CACHE if first else qm.PUSH_REALTIME
            trades = m.trades(code, FIRST_PUSH_TICKS) if first else trades
            if not trades:
                return None
            resp = Qot_UpdateTicker_pb2.Response(retType=0)
            resp.s2c.security.CopyFrom(qm.security(inst))
            resp.s2c.name = inst.name
            resp.s2c.tickerList.extend(qm.ticker(inst, t, kind) for t in trades)
        elif subtype == SUB_RT:
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
        elif subtype == SUB_BROKER:
            bids, asks = m.brokers(code)
            resp = Qot_UpdateBroker_pb2.Response(retType=0)
            resp.s2c.security.CopyFrom(qm.security(inst))
            resp.s2c.name = inst.name
            resp.s2c.brokerBidList.extend(qm.brokers(bids))
            resp.s2c.brokerAskList.extend(qm.brokers(asks))
        else:
            kl_type = SUBTYPE_KL[subtype]
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

    def _ext_body(self, code: str, subtype: int, ticks: list, kind: int = qm.PUSH_REALTIME,
                  bar: kl.Bar | None = None) -> tuple[int, bytes]:
        """A ticker push of these ticks, or a K-line push of one bar (extended hours)."""
        inst = self.market.instruments[code]
        if subtype == SUB_TICKER:
            resp = Qot_UpdateTicker_pb2.Response(retType=0)
            resp.s2c.tickerList.extend(qm.ticker(inst, t, kind) for t in ticks)
        else:
            resp = Qot_UpdateKL_pb2.Response(retType=0)
            resp.s2c.rehabType, resp.s2c.klType = 1, SUBTYPE_KL[subtype]
            resp.s2c.klList.append(qm.kline(inst, bar))
        resp.s2c.security.CopyFrom(qm.security(inst))
        resp.s2c.name = inst.name
        return (ids.QOT_UPDATE_TICKER if subtype == SUB_TICKER else ids.QOT_UPDATE_KL), resp.SerializeToString()

    def _publish_ext(self, prints: list[xq.ExtTrade], out: dict) -> None:
        """Extended-hours ticks and forming K-line bars, to the subscribers that asked for them."""
        by_code: dict[str, list[xq.ExtTrade]] = {}
        for tr in prints:
            by_code.setdefault(tr.code, []).append(tr)
        for code, code_prints in by_code.items():
            for subtype, conns in list(self.subs.pushers.get(code, {}).items()):
                if subtype != SUB_TICKER and subtype not in SUBTYPE_KL:
                    continue
                bodies: dict[frozenset, tuple[int, bytes] | None] = {}  # one per distinct wish
                for conn_id, session in conns.items():
                    wanted = self._wanted(session, (code, subtype))
                    if not wanted or (conn_id, code, subtype) in self._awaiting_first:
                        continue
                    if wanted not in bodies:
                        try:
                            if subtype == SUB_TICKER:
                                ticks = xq.new_ticks(code_prints, wanted)
                                bodies[wanted] = self._ext_body(code, subtype, ticks) if ticks else None
                            else:
                                bar = xq.current_bar(self.market, code, SUBTYPE_KL[subtype], wanted)
                                bodies[wanted] = None if bar is None else self._ext_body(code, subtype, [], bar=bar)
                        except Exception:  # a bug in one push must not stop the market
                            log.exception("extended push %s %s failed", code, SUBTYPE_NAMES.get(subtype, subtype))
                            bodies[wanted] = None
                    if bodies[wanted] is not None:
                        out.setdefault(conn_id, (session, []))[1].append(bodies[wanted])

    def _first_push_soon(self, session: Session, keys: list[Key]) -> None:
        # after the reply to this request has been written; a market step may come first
        self._awaiting_first.update((session.conn_id, code, st) for code, st in keys)
        asyncio.get_running_loop().call_soon(self._first_push, session, keys)

    def _first_push(self, session: Session, keys: list[Key]) -> None:
        items = []
        for code, subtype in keys:
            self._awaiting_first.discard((session.conn_id, code, subtype))
            if self.subs.pushes_to(session.conn_id, (code, subtype)):
                wanted = self._wanted(session, (code, subtype))
                kl_type = SUBTYPE_KL.get(subtype)
                bar = xq.current_bar(self.market, code, kl_type, wanted) if kl_type else None
                if wanted and subtype == SUB_TICKER:  # the cached ticks this subscriber may see
                    ticks = xq.merged_ticks(self.market, code, FIRST_PUSH_TICKS, wanted)
                    body = self._ext_body(code, subtype, ticks, qm.PUSH_CACHE) if ticks else None
                elif bar is not None and bar.t > getattr(self.market.current_kline(code, kl_type), "t", 0):
                    body = self._ext_body(code, subtype, [], bar=bar)  # an extended session's bar is the latest
                else:
                    body = self._body(code, subtype, None, first=True)
                if body is not None:
                    items.append(body)
        if items:
            session.push_bodies(items)

    def publish(self, trades: list[Trade], quiet: Iterable[str] = (), ext: Iterable[xq.ExtTrade] = ()) -> int:
        """Push what changed in one market step to the connections registered for it; `quiet`
        codes changed without a trade (a halt, extended hours); `ext`: extended-hours prints,
        pushed only to who asked for their session. Each push is serialised once and the
        same bytes go to every subscriber."""
        self.subs.sweep()
        pushers = self.subs.pushers
        quiet = [c for c in quiet if c in pushers]
        ext = [tr for tr in ext if tr.code in pushers]
        if not (trades or quiet or ext) or not pushers or not self.state.qot_logined:
            return 0
        by_code: dict[str, list[Trade]] = {}
        for tr in trades:
            if tr.code in pushers:
                by_code.setdefault(tr.code, []).append(tr)
        for code in quiet:
            by_code.setdefault(code, [])
        out: dict[int, tuple[Session, list[tuple[int, bytes]]]] = {}
        waiting = self._awaiting_first
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
                    if waiting and (conn_id, code, subtype) in waiting:
                        continue  # the cached first push, due next, carries this step's data
                    out.setdefault(conn_id, (session, []))[1].append(body)
        self._publish_ext(ext, out)
        sent = 0
        for session, items in out.values():
            if session.push_bodies(items):
                sent += len(items)
        return sent
