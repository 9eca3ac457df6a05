"""The trade service: Trd_* handlers on the Gateway over the paper broker, and the order/fill pushes.

Every reply carries all proto2 required fields and `secMarket`, so the SDK prints codes as
"HK.00700". Per-account rate limits are OpenD's documented ones (protocol/ratelimit.py): a
sliding 30 s window; for the cached queries (funds, positions, orders, fills) the limit
applies only when refreshCache is true, as in OpenD.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Iterable
from typing import Any

from google.protobuf.message import Message

from protocol import ids
from protocol.gateway.broker import Broker, BrokerError
from protocol.gateway.instruments import MARKETS
from protocol.gateway.ledger import Account, Event, Fill, FillEvent, Order, OrderEvent, PositionView
from protocol.gateway.server import Gateway, ServiceError, Session
from protocol.markets import local_time
from protocol.ratelimit import LIMITS, RateLimiter
from protocol.trade import CURRENCY_OF, SEC_MARKET_OF, TrdEnv, trd_market_for
from protocol.trade import Session as Session_  # Common.Session (the gateway has its own Session)
from protocol.proto import (
    Trd_Common_pb2 as tc, Trd_GetAccList_pb2, Trd_GetFunds_pb2, Trd_GetHistoryOrderFillList_pb2,
    Trd_GetHistoryOrderList_pb2, Trd_GetMaxTrdQtys_pb2, Trd_GetOrderFee_pb2, Trd_GetOrderFillList_pb2,
    Trd_GetOrderList_pb2, Trd_GetPositionList_pb2, Trd_ModifyOrder_pb2, Trd_PlaceOrder_pb2,
    Trd_SubAccPush_pb2, Trd_UnlockTrade_pb2, Trd_UpdateOrder_pb2, Trd_UpdateOrderFill_pb2,
)

EXTENDED_SESSIONS = (Session_.ETH, Session_.ALL, Session_.OVERNIGHT)  # US orders that may trade outside RTH
SUB_KEY = "trd_acc_sub"  # Session.data: account IDs this connection gets pushes for
MARKET_OF_SEC = {SEC_MARKET_OF[m]: m for m in MARKETS}  # the simulated ones
RECEIVED_KEPT = 1000  # write requests (and max-quantity queries) remembered in TradeService.received


def _r(x: float) -> float:
    """Drop float noise from money figures."""
    return round(x, 4)


def _passes(fc: Any, env: int, market: str, symbol: str, row_id: int, order_id_ex: str, created: float) -> bool:
    """Whether an order or fill row passes TrdFilterConditions (codes, IDs, market, time window)."""
    if not _code_match(fc.codeList, market, symbol):
        return False
    if fc.idList and row_id not in fc.idList:
        return False
    if fc.orderIDExList and order_id_ex not in fc.orderIDExList:
        return False
    if fc.filterMarket and trd_market_for(market, env) != fc.filterMarket:
        return False
    stamp = local_time(created, market)[:19]
    if fc.beginTime and stamp < _window(fc.beginTime, False):
        return False
    return not (fc.endTime and stamp > _window(fc.endTime, True))


def _header(env: int, acc_id: int, trd_market: int) -> tc.TrdHeader:
    return tc.TrdHeader(trdEnv=env, accID=acc_id, trdMarket=trd_market)


def order_pb(o: Order) -> tc.Order:
    pb = tc.Order(
        trdSide=o.side, orderType=o.order_type, orderStatus=o.status, orderID=o.order_id,
        orderIDEx=o.order_id_ex, code=o.symbol, name=o.name, qty=o.qty, price=o.price,
        createTime=local_time(o.create_time, o.market), updateTime=local_time(o.update_time, o.market),
        fillQty=o.fill_qty, fillAvgPrice=round(o.avg_price, 6), lastErrMsg=o.last_err,
        secMarket=SEC_MARKET_OF[o.market], createTimestamp=o.create_time, updateTimestamp=o.update_time,
        timeInForce=o.tif, fillOutsideRTH=o.fill_outside_rth, currency=o.currency,
        trdMarket=trd_market_for(o.market, o.env),
    )
    if o.remark:
        pb.remark = o.remark
    if o.aux_price is not None:
        pb.auxPrice = o.aux_price
    if o.market == "US":
        pb.session = Session_.ETH if o.fill_outside_rth else Session_.RTH
    return pb


def fill_pb(f: Fill) -> tc.OrderFill:
    pb = tc.OrderFill(
        trdSide=f.side, fillID=f.fill_id, fillIDEx=f.fill_id_ex, orderID=f.order_id, orderIDEx=f.order_id_ex,
        code=f.symbol, name=f.name, qty=f.qty, price=f.price, createTime=local_time(f.time, f.market),
        secMarket=SEC_MARKET_OF[f.market], createTimestamp=f.time, updateTimestamp=f.time, status=f.status,
        trdMarket=trd_market_for(f.market, f.env),
    )
    if f.counter_broker is not None:
        pb.counterBrokerID, pb.counterBrokerName = f.counter_broker
    return pb


def position_pb(v: PositionView, acc_id: int, env: int) -> tc.Position:
    p = v.position
    pb = tc.Position(
        positionID=p.position_id, positionSide=1 if v.qty < 0 else 0, code=p.symbol, name=p.name,
        qty=v.qty, canSellQty=v.can_sell, price=v.price, costPrice=_r(v.diluted_cost), val=_r(v.value),
        plVal=_r(v.pl_val), secMarket=SEC_MARKET_OF[p.market], currency=CURRENCY_OF[p.market],
        trdMarket=trd_market_for(p.market, env), dilutedCostPrice=_r(v.diluted_cost),
        averageCostPrice=_r(v.avg_cost), unrealizedPL=_r(v.unrealized), realizedPL=_r(p.realized), accID=acc_id,
    )
    if v.pl_ratio is not None:
        pb.plRatio = v.pl_ratio  # a fraction on the wire: the SDK multiplies by 100
    if v.avg_pl_ratio is not None:
        pb.averagePlRatio = v.avg_pl_ratio
    pb.td_plVal = _r(v.today_pl)
    if v.today:
        pb.td_buyQty, pb.td_buyVal = p.today_buy_qty, _r(p.today_buy_val)
        pb.td_sellQty, pb.td_sellVal = p.today_sell_qty, _r(p.today_sell_val)
        pb.td_trdVal = _r(p.today_buy_val + p.today_sell_val)
    return pb


def _market_name(trd_market: int) -> str:
    try:
        return tc.TrdMarket.Name(trd_market).removeprefix("TrdMarket_")
    except ValueError:
        return str(trd_market)


def _window(s: str, end: bool) -> str:
    if not isinstance(s, str):  # not UTF-8: protobuf hands the field over as bytes
        raise ServiceError("filterConditions beginTime and endTime are times as YYYY-MM-DD HH:MM:SS")
    s = s.strip()
    if len(s) == 10:
        s += " 23:59:59" if end else " 00:00:00"
    return s[:19]


def _code_match(codes: Iterable[str], market: str, symbol: str) -> bool:
    codes = list(codes)
    return not codes or symbol in codes or f"{market}.{symbol}" in codes


class TradeService:
    """Registers the Trd_* handlers and pushes broker events to subscribed connections."""

    def __init__(self, gateway: Gateway, broker: Broker) -> None:
        self.gateway = gateway
        self.broker = broker
        self.limits_enabled = True
        self.limiter = RateLimiter()
        # Every place / modify request as it arrived, refused ones too (what tests assert on).
        self.received: deque[tuple[int, Message]] = deque(maxlen=RECEIVED_KEPT)
        for pid, handler in {
            ids.TRD_GET_ACC_LIST: self.get_acc_list,
            ids.TRD_UNLOCK_TRADE: self.unlock_trade,
            ids.TRD_SUB_ACC_PUSH: self.sub_acc_push,
            ids.TRD_GET_FUNDS: self.get_funds,
            ids.TRD_GET_POSITION_LIST: self.get_positions,
            ids.TRD_GET_MAX_TRD_QTYS: self.get_max_qtys,
            ids.TRD_GET_ORDER_LIST: self.get_orders,
            ids.TRD_PLACE_ORDER: self.place_order,
            ids.TRD_MODIFY_ORDER: self.modify_order,
            ids.TRD_GET_ORDER_FILL_LIST: self.get_fills,
            ids.TRD_GET_HISTORY_ORDER_LIST: self.get_history_orders,
            ids.TRD_GET_HISTORY_ORDER_FILL_LIST: self.get_history_fills,
            ids.TRD_GET_ORDER_FEE: self.get_order_fees,
        }.items():
            gateway.register(pid, handler)

    # -- pushes ----------------------------------------------------------------------

    def publish(self, events: Iterable[Event]) -> None:
        """Push each order / fill event to the connections subscribed to its account."""
        for ev in events:
            if isinstance(ev, OrderEvent):
                o = ev.order
                pid = ids.TRD_UPDATE_ORDER
                resp: Message = Trd_UpdateOrder_pb2.Response(retType=0, s2c=Trd_UpdateOrder_pb2.S2C(
                    header=_header(o.env, o.acc_id, trd_market_for(o.market, o.env)), order=order_pb(o)))
            elif isinstance(ev, FillEvent):
                f = ev.fill
                pid = ids.TRD_UPDATE_ORDER_FILL
                resp = Trd_UpdateOrderFill_pb2.Response(retType=0, s2c=Trd_UpdateOrderFill_pb2.S2C(
                    header=_header(f.env, f.acc_id, trd_market_for(f.market, f.env)), orderFill=fill_pb(f)))
            else:
                continue
            body = resp.SerializeToString()
            for session in list(self.gateway.sessions.values()):
                if ev.acc_id in session.data.get(SUB_KEY, ()):
                    session.push_bodies(((pid, body),))

    def _publish_soon(self, events: list[Event]) -> None:
        """Push after the reply has gone out (the handler's reply is sent when it returns)."""
        if events:
            asyncio.get_running_loop().call_soon(self.publish, events)

    # -- common checks ---------------------------------------------------------------

    def _account(self, header: tc.TrdHeader) -> Account:
        acc = self.broker.accounts.get(header.accID)
        if acc is None:
            raise ServiceError(f"unknown account {header.accID}")
        if header.trdEnv != acc.env:
            raise ServiceError(f"account {acc.acc_id} is a {TrdEnv(acc.env).name} account, "
                               f"the request is for {'REAL' if header.trdEnv else 'SIMULATE'}")
        if header.trdMarket not in acc.markets:
            rights = ", ".join(_market_name(m) for m in acc.markets)
            raise ServiceError(f"account {acc.acc_id} has no trading rights for market "
                               f"{_market_name(header.trdMarket)} (it trades {rights})")
        return acc

    def _limit(self, proto_id: int, key: int, refresh: bool = True) -> None:
        limit = LIMITS[proto_id]
        if not self.limits_enabled or (limit.cached and not refresh):
            return
        wait = self.limiter.hit((proto_id, key), limit.requests)
        if wait:
            raise ServiceError(limit.refusal(wait, "" if limit.per == "user" else f"account {key}"))

    @staticmethod
    def _code(sec_market: int, code: str, trd_market: int) -> str:
        market = MARKET_OF_SEC.get(sec_market)
        if market is None:
            market = {1: "HK", 2: "US"}.get(trd_market) or ("SH" if code.startswith(("6", "9")) else "SZ")
        return f"{market}.{code}"

    # -- accounts --------------------------------------------------------------------

    def get_acc_list(self, session: Session, c2s: Message) -> Message:
        s2c = Trd_GetAccList_pb2.S2C()
        if c2s.HasField("trdCategory") and c2s.trdCategory not in (0, 1):
            return s2c  # securities accounts only: no futures or crypto accounts here
        for acc in self.broker.accounts.values():
            row = s2c.accList.add(trdEnv=acc.env, accID=acc.acc_id, accType=acc.acc_type, accStatus=acc.status, accRole=1)
            row.trdMarketAuthList.extend(acc.markets)
            if acc.card_num:
                row.cardNum = acc.card_num
            if acc.uni_card_num:
                row.uniCardNum = acc.uni_card_num
            if acc.security_firm is not None:
                row.securityFirm = acc.security_firm
            if acc.sim_acc_type is not None:
                row.simAccType = acc.sim_acc_type
        return s2c

    def unlock_trade(self, session: Session, c2s: Message) -> Message:
        self._limit(ids.TRD_UNLOCK_TRADE, 0)
        firm = c2s.securityFirm if c2s.HasField("securityFirm") else 0
        firms = {a.security_firm for a in self.broker.accounts.values() if a.env == TrdEnv.REAL}
        if firm and firm not in firms:
            raise ServiceError(f"unlock_trade failed: no REAL account with security firm {firm}")
        try:
            self.broker.unlock(c2s.unlock, c2s.pwdMD5)
        except BrokerError as exc:
            raise ServiceError(str(exc)) from None
        return Trd_UnlockTrade_pb2.S2C()

    def sub_acc_push(self, session: Session, c2s: Message) -> Message:
        unknown = [a for a in c2s.accIDList if a not in self.broker.accounts]
        if unknown:
            raise ServiceError(f"Trd_SubAccPush: unknown account(s) {', '.join(map(str, unknown))}")
        session.data[SUB_KEY] = set(c2s.accIDList)  # the full list each time, not incremental
        return Trd_SubAccPush_pb2.S2C()

    # -- funds and positions ---------------------------------------------------------

    def get_funds(self, session: Session, c2s: Message) -> Message:
        acc = self._account(c2s.header)
        self._limit(ids.TRD_GET_FUNDS, acc.acc_id, c2s.refreshCache)
        f = self.broker.funds(acc.acc_id, c2s.currency if c2s.HasField("currency") else None)
        funds = tc.Funds(
            power=_r(f.power), totalAssets=_r(f.total_assets), cash=_r(f.cash), marketVal=_r(f.market_val),
            frozenCash=_r(f.frozen_cash), debtCash=0.0, avlWithdrawalCash=_r(f.avl_withdrawal_cash),
            currency=f.currency, unrealizedPL=_r(f.unrealized_pl), realizedPL=_r(f.realized_pl),
            maxPowerShort=_r(f.max_power_short), netCashPower=_r(f.power), longMv=_r(f.long_mv),
            shortMv=_r(f.short_mv), pendingAsset=0.0, maxWithdrawal=_r(f.avl_withdrawal_cash),
            riskStatus=1, securitiesAssets=_r(f.total_assets), fundAssets=0.0, bondAssets=0.0,
        )
        for cur, (cash, withdraw, power) in f.cash_by_currency.items():
            funds.cashInfoList.add(currency=cur, cash=_r(cash), availableBalance=_r(withdraw), netCashPower=_r(power))
        for market, assets in f.assets_by_market.items():
            funds.marketInfoList.add(trdMarket=market, assets=_r(assets))
        return Trd_GetFunds_pb2.S2C(header=_header(acc.env, acc.acc_id, c2s.header.trdMarket), funds=funds)

    def get_positions(self, session: Session, c2s: Message) -> Message:
        acc = self._account(c2s.header)
        self._limit(ids.TRD_GET_POSITION_LIST, acc.acc_id, c2s.refreshCache)
        fc = c2s.filterConditions
        s2c = Trd_GetPositionList_pb2.S2C(header=_header(acc.env, acc.acc_id, c2s.header.trdMarket))
        for v in self.broker.positions(acc.acc_id):
            p = v.position
            if not _code_match(fc.codeList, p.market, p.symbol):
                continue
            if fc.idList and p.position_id not in fc.idList:
                continue
            if fc.filterMarket and trd_market_for(p.market, acc.env) != fc.filterMarket:
                continue
            ratio = v.pl_ratio if v.pl_ratio is not None else 0.0
            if c2s.HasField("filterPLRatioMin") and ratio < c2s.filterPLRatioMin:
                continue
            if c2s.HasField("filterPLRatioMax") and ratio > c2s.filterPLRatioMax:
                continue
            s2c.positionList.append(position_pb(v, acc.acc_id, acc.env))
        return s2c

    def get_max_qtys(self, session: Session, c2s: Message) -> Message:
        acc = self._account(c2s.header)
        self.received.append((ids.TRD_GET_MAX_TRD_QTYS, c2s))  # tests check the price it is asked with
        self._limit(ids.TRD_GET_MAX_TRD_QTYS, acc.acc_id)
        code = self._code(c2s.secMarket, c2s.code, c2s.header.trdMarket)
        try:
            m = self.broker.max_qtys(acc.acc_id, code, c2s.orderType, c2s.price, c2s.orderIDEx)
        except BrokerError as exc:
            raise ServiceError(str(exc)) from None
        qtys = tc.MaxTrdQtys(maxCashBuy=m.cash_buy, maxCashAndMarginBuy=m.cash_and_margin_buy,
                             maxPositionSell=m.position_sell, maxSellShort=m.sell_short, maxBuyBack=m.buy_back)
        return Trd_GetMaxTrdQtys_pb2.S2C(header=_header(acc.env, acc.acc_id, c2s.header.trdMarket), maxTrdQtys=qtys)

    # -- orders ----------------------------------------------------------------------

    def _filter_orders(self, orders: Iterable[Order], fc: Any, statuses: Iterable[int], env: int) -> list[Order]:
        statuses = set(statuses)
        out = [o for o in orders
               if _passes(fc, env, o.market, o.symbol, o.order_id, o.order_id_ex, o.create_time)
               and not (statuses and o.status not in statuses)]
        return sorted(out, key=lambda o: o.order_id, reverse=True)

    def get_orders(self, session: Session, c2s: Message) -> Message:
        acc = self._account(c2s.header)
        self._limit(ids.TRD_GET_ORDER_LIST, acc.acc_id, c2s.refreshCache)
        orders = self._filter_orders(self.broker.today_orders(acc.acc_id), c2s.filterConditions,
                                     c2s.filterStatusList, acc.env)
        s2c = Trd_GetOrderList_pb2.S2C(header=_header(acc.env, acc.acc_id, c2s.header.trdMarket))
        s2c.orderList.extend(order_pb(o) for o in orders)
        return s2c

    def get_history_orders(self, session: Session, c2s: Message) -> Message:
        acc = self._account(c2s.header)
        self._limit(ids.TRD_GET_HISTORY_ORDER_LIST, acc.acc_id)
        fc = c2s.filterConditions
        if not fc.beginTime or not fc.endTime:
            raise ServiceError("history_order_list_query: filterConditions.beginTime and endTime are required")
        orders = self._filter_orders(acc.orders.values(), fc, c2s.filterStatusList, acc.env)
        s2c = Trd_GetHistoryOrderList_pb2.S2C(header=_header(acc.env, acc.acc_id, c2s.header.trdMarket))
        s2c.orderList.extend(order_pb(o) for o in orders)
        return s2c

    def place_order(self, session: Session, c2s: Message) -> Message:
        self.received.append((ids.TRD_PLACE_ORDER, c2s))
        acc = self._account(c2s.header)
        self._check_packet(session, c2s)
        self._limit(ids.TRD_PLACE_ORDER, acc.acc_id)
        code = self._code(c2s.secMarket, c2s.code, c2s.header.trdMarket)
        self._check_trade_market(acc, code, c2s.header.trdMarket)
        try:
            order, events = self.broker.place_order(
                acc.acc_id, code, c2s.trdSide, c2s.orderType, c2s.qty, c2s.price,
                aux_price=c2s.auxPrice if c2s.HasField("auxPrice") else None,
                tif=c2s.timeInForce, remark=c2s.remark,
                fill_outside_rth=c2s.fillOutsideRTH or c2s.session in EXTENDED_SESSIONS,
            )
        except BrokerError as exc:
            raise ServiceError(str(exc)) from None
        self._publish_soon(events)
        return Trd_PlaceOrder_pb2.S2C(header=_header(acc.env, acc.acc_id, c2s.header.trdMarket),
                                      orderID=order.order_id, orderIDEx=order.order_id_ex)

    @staticmethod
    def _check_trade_market(acc: Account, code: str, trd_market: int) -> None:
        """OpenD refuses an order whose header names another trade market than its code's (a US
        code sent as HK on a universal account), and any order on a disabled account."""
        if acc.status:
            raise ServiceError(f"account {acc.acc_id} is disabled and cannot trade")
        want = trd_market_for(code.split(".", 1)[0], acc.env)
        if trd_market != want:
            raise ServiceError(f"the order's trade market {_market_name(trd_market)} does not match {code} "
                               f"(trade market {_market_name(want)})")

    def modify_order(self, session: Session, c2s: Message) -> Message:
        self.received.append((ids.TRD_MODIFY_ORDER, c2s))
        acc = self._account(c2s.header)
        self._check_packet(session, c2s)
        self._limit(ids.TRD_MODIFY_ORDER, acc.acc_id)
        header = _header(acc.env, acc.acc_id, c2s.header.trdMarket)
        try:
            if c2s.forAll:
                if c2s.modifyOrderOp != 2:
                    raise BrokerError("forAll supports the cancel operation only")
                events = self.broker.cancel_all(acc.acc_id, c2s.trdMarket if c2s.HasField("trdMarket") else 0)
                self._publish_soon(events)
                return Trd_ModifyOrder_pb2.S2C(header=header, orderID=0)
            order, events = self.broker.modify_order(
                acc.acc_id, c2s.orderIDEx, c2s.modifyOrderOp,
                qty=c2s.qty if c2s.HasField("qty") else None,
                price=c2s.price if c2s.HasField("price") else None,
                aux_price=c2s.auxPrice if c2s.HasField("auxPrice") else None,
                order_id=c2s.orderID,
            )
        except BrokerError as exc:
            raise ServiceError(str(exc)) from None
        self._publish_soon(events)
        return Trd_ModifyOrder_pb2.S2C(header=header, orderID=order.order_id, orderIDEx=order.order_id_ex)

    def _check_packet(self, session: Session, c2s: Message) -> None:
        # a call packed while the SDK reconnects carries connID 0: key it by this connection
        conn_id = c2s.packetID.connID or session.conn_id
        try:
            self.broker.check_packet(conn_id, c2s.packetID.serialNo)
        except BrokerError as exc:
            raise ServiceError(str(exc)) from None

    # -- fills and fees --------------------------------------------------------------

    def _filter_fills(self, fills: Iterable[Fill], fc: Any, env: int) -> list[Fill]:
        out = [f for f in fills if _passes(fc, env, f.market, f.symbol, f.fill_id, f.order_id_ex, f.time)]
        return sorted(out, key=lambda f: f.fill_id, reverse=True)

    def get_fills(self, session: Session, c2s: Message) -> Message:
        acc = self._account(c2s.header)
        self._limit(ids.TRD_GET_ORDER_FILL_LIST, acc.acc_id, c2s.refreshCache)
        s2c = Trd_GetOrderFillList_pb2.S2C(header=_header(acc.env, acc.acc_id, c2s.header.trdMarket))
        fills = self._filter_fills(self.broker.today_fills(acc.acc_id), c2s.filterConditions, acc.env)
        s2c.orderFillList.extend(fill_pb(f) for f in fills)
        return s2c

    def get_history_fills(self, session: Session, c2s: Message) -> Message:
        acc = self._account(c2s.header)
        self._limit(ids.TRD_GET_HISTORY_ORDER_FILL_LIST, acc.acc_id)
        fc = c2s.filterConditions
        if not fc.beginTime or not fc.endTime:
            raise ServiceError("history_deal_list_query: filterConditions.beginTime and endTime are required")
        s2c = Trd_GetHistoryOrderFillList_pb2.S2C(header=_header(acc.env, acc.acc_id, c2s.header.trdMarket))
        s2c.orderFillList.extend(fill_pb(f) for f in self._filter_fills(acc.fills, fc, acc.env))
        return s2c

    def get_order_fees(self, session: Session, c2s: Message) -> Message:
        acc = self._account(c2s.header)
        self._limit(ids.TRD_GET_ORDER_FEE, acc.acc_id)
        by_ex = {o.order_id_ex: o for o in acc.orders.values()}
        s2c = Trd_GetOrderFee_pb2.S2C(header=_header(acc.env, acc.acc_id, c2s.header.trdMarket))
        for order_id_ex in c2s.orderIdExList:
            o = by_ex.get(order_id_ex)
            if o is None:
                continue
            fee = s2c.orderFeeList.add(orderIDEx=o.order_id_ex, feeAmount=o.fee_total)
            for title, value in o.fees:
                fee.feeList.add(title=title, value=value)
        return s2c
