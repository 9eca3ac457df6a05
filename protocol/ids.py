"""OpenD proto IDs: the u32 in every frame header that names the message."""

from __future__ import annotations

import importlib
from types import ModuleType

INIT_CONNECT = 1001
GET_GLOBAL_STATE = 1002
NOTIFY = 1003
KEEP_ALIVE = 1004
GET_USER_INFO = 1005

TRD_GET_ACC_LIST = 2001
TRD_UNLOCK_TRADE = 2005
TRD_SUB_ACC_PUSH = 2008
TRD_GET_FUNDS = 2101
TRD_GET_POSITION_LIST = 2102
TRD_GET_MAX_TRD_QTYS = 2111
TRD_GET_ORDER_LIST = 2201
TRD_PLACE_ORDER = 2202
TRD_MODIFY_ORDER = 2205
TRD_UPDATE_ORDER = 2208
TRD_GET_ORDER_FILL_LIST = 2211
TRD_UPDATE_ORDER_FILL = 2218
TRD_GET_HISTORY_ORDER_LIST = 2221
TRD_GET_HISTORY_ORDER_FILL_LIST = 2222
TRD_GET_ORDER_FEE = 2225

QOT_SUB = 3001
QOT_REG_QOT_PUSH = 3002
QOT_GET_SUB_INFO = 3003
QOT_GET_BASIC_QOT = 3004
QOT_UPDATE_BASIC_QOT = 3005
QOT_GET_KL = 3006
QOT_UPDATE_KL = 3007
QOT_GET_RT = 3008
QOT_UPDATE_RT = 3009
QOT_GET_TICKER = 3010
QOT_UPDATE_TICKER = 3011
QOT_GET_ORDER_BOOK = 3012
QOT_UPDATE_ORDER_BOOK = 3013
QOT_GET_BROKER = 3014
QOT_UPDATE_BROKER = 3015
QOT_REQUEST_HISTORY_KL = 3103
QOT_REQUEST_HISTORY_KL_QUOTA = 3104
QOT_GET_STATIC_INFO = 3202
QOT_REQUEST_TRADE_DATE = 3219
QOT_GET_SECURITY_SNAPSHOT = 3203
QOT_GET_CAPITAL_FLOW = 3211
QOT_GET_CAPITAL_DISTRIBUTION = 3212
QOT_GET_USER_SECURITY = 3213
QOT_GET_USER_SECURITY_GROUP = 3222
QOT_GET_MARKET_STATE = 3223
QOT_GET_SHORT_INTEREST = 3249

# proto ID -> name of the .proto (and of the generated module, minus "_pb2").
NAMES: dict[int, str] = {
    INIT_CONNECT: "InitConnect",
    GET_GLOBAL_STATE: "GetGlobalState",
    NOTIFY: "Notify",
    KEEP_ALIVE: "KeepAlive",
    GET_USER_INFO: "GetUserInfo",
    TRD_GET_ACC_LIST: "Trd_GetAccList",
    TRD_UNLOCK_TRADE: "Trd_UnlockTrade",
    TRD_SUB_ACC_PUSH: "Trd_SubAccPush",
    TRD_GET_FUNDS: "Trd_GetFunds",
    TRD_GET_POSITION_LIST: "Trd_GetPositionList",
    TRD_GET_MAX_TRD_QTYS: "Trd_GetMaxTrdQtys",
    TRD_GET_ORDER_LIST: "Trd_GetOrderList",
    TRD_PLACE_ORDER: "Trd_PlaceOrder",
    TRD_MODIFY_ORDER: "Trd_ModifyOrder",
    TRD_UPDATE_ORDER: "Trd_UpdateOrder",
    TRD_GET_ORDER_FILL_LIST: "Trd_GetOrderFillList",
    TRD_UPDATE_ORDER_FILL: "Trd_UpdateOrderFill",
    TRD_GET_HISTORY_ORDER_LIST: "Trd_GetHistoryOrderList",
    TRD_GET_HISTORY_ORDER_FILL_LIST: "Trd_GetHistoryOrderFillList",
    TRD_GET_ORDER_FEE: "Trd_GetOrderFee",
    QOT_SUB: "Qot_Sub",
    QOT_REG_QOT_PUSH: "Qot_RegQotPush",
    QOT_GET_SUB_INFO: "Qot_GetSubInfo",
    QOT_GET_BASIC_QOT: "Qot_GetBasicQot",
    QOT_UPDATE_BASIC_QOT: "Qot_UpdateBasicQot",
    QOT_GET_KL: "Qot_GetKL",
    QOT_UPDATE_KL: "Qot_UpdateKL",
    QOT_GET_RT: "Qot_GetRT",
    QOT_UPDATE_RT: "Qot_UpdateRT",
    QOT_GET_TICKER: "Qot_GetTicker",
    QOT_UPDATE_TICKER: "Qot_UpdateTicker",
    QOT_GET_ORDER_BOOK: "Qot_GetOrderBook",
    QOT_UPDATE_ORDER_BOOK: "Qot_UpdateOrderBook",
    QOT_GET_BROKER: "Qot_GetBroker",
    QOT_UPDATE_BROKER: "Qot_UpdateBroker",
    QOT_REQUEST_HISTORY_KL: "Qot_RequestHistoryKL",
    QOT_REQUEST_HISTORY_KL_QUOTA: "Qot_RequestHistoryKLQuota",
    QOT_GET_STATIC_INFO: "Qot_GetStaticInfo",
    QOT_GET_SECURITY_SNAPSHOT: "Qot_GetSecuritySnapshot",
    QOT_GET_CAPITAL_FLOW: "Qot_GetCapitalFlow",
    QOT_GET_CAPITAL_DISTRIBUTION: "Qot_GetCapitalDistribution",
    QOT_GET_USER_SECURITY: "Qot_GetUserSecurity",
    QOT_GET_USER_SECURITY_GROUP: "Qot_GetUserSecurityGroup",
    QOT_GET_MARKET_STATE: "Qot_GetMarketState",
    QOT_REQUEST_TRADE_DATE: "Qot_RequestTradeDate",
    QOT_GET_SHORT_INTEREST: "Qot_GetShortInterest",
}

# Frames with these IDs are pushes, never replies (the SDK's list).
PUSH_IDS = frozenset({
    NOTIFY, TRD_UPDATE_ORDER, TRD_UPDATE_ORDER_FILL,
    QOT_UPDATE_BASIC_QOT, QOT_UPDATE_KL, QOT_UPDATE_RT, QOT_UPDATE_TICKER,
    QOT_UPDATE_ORDER_BOOK, QOT_UPDATE_BROKER,
    3019, 3261, 3310, 3450, 3451, 3452,
})

# Requests that carry a Common.PacketID (anti-replay).
PACKET_ID_IDS = frozenset({TRD_PLACE_ORDER, TRD_MODIFY_ORDER})


def is_trade(proto_id: int) -> bool:
    """Trading protocols: OpenD refuses them on a public listener without an RSA key."""
    return 2000 <= proto_id < 3000


def name_of(proto_id: int) -> str:
    return NAMES.get(proto_id, f"proto {proto_id}")


_modules: dict[int, ModuleType] = {}


def module_for(proto_id: int) -> ModuleType:
    """The generated *_pb2 module for a proto ID (KeyError if we have none)."""
    mod = _modules.get(proto_id)
    if mod is None:
        mod = importlib.import_module(f"protocol.proto.{NAMES[proto_id]}_pb2")
        _modules[proto_id] = mod
    return mod
