from protocol.proto import Common_pb2 as _Common_pb2
from protocol.proto import Trd_Common_pb2 as _Trd_Common_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class C2S(_message.Message):
    __slots__ = ("packetID", "header", "trdSide", "orderType", "code", "qty", "price", "adjustPrice", "adjustSideAndLimit", "secMarket", "remark", "timeInForce", "fillOutsideRTH", "auxPrice", "trailType", "trailValue", "trailSpread", "session", "positionID", "expireTime", "amount", "predSide")
    PACKETID_FIELD_NUMBER: _ClassVar[int]
    HEADER_FIELD_NUMBER: _ClassVar[int]
    TRDSIDE_FIELD_NUMBER: _ClassVar[int]
    ORDERTYPE_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    QTY_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    ADJUSTPRICE_FIELD_NUMBER: _ClassVar[int]
    ADJUSTSIDEANDLIMIT_FIELD_NUMBER: _ClassVar[int]
    SECMARKET_FIELD_NUMBER: _ClassVar[int]
    REMARK_FIELD_NUMBER: _ClassVar[int]
    TIMEINFORCE_FIELD_NUMBER: _ClassVar[int]
    FILLOUTSIDERTH_FIELD_NUMBER: _ClassVar[int]
    AUXPRICE_FIELD_NUMBER: _ClassVar[int]
    TRAILTYPE_FIELD_NUMBER: _ClassVar[int]
    TRAILVALUE_FIELD_NUMBER: _ClassVar[int]
    TRAILSPREAD_FIELD_NUMBER: _ClassVar[int]
    SESSION_FIELD_NUMBER: _ClassVar[int]
    POSITIONID_FIELD_NUMBER: _ClassVar[int]
    EXPIRETIME_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    PREDSIDE_FIELD_NUMBER: _ClassVar[int]
    packetID: _Common_pb2.PacketID
    header: _Trd_Common_pb2.TrdHeader
    trdSide: int
    orderType: int
    code: str
    qty: float
    price: float
    adjustPrice: bool
    adjustSideAndLimit: float
    secMarket: int
    remark: str
    timeInForce: int
    fillOutsideRTH: bool
    auxPrice: float
    trailType: int
    trailValue: float
    trailSpread: float
    session: int
    positionID: int
    expireTime: str
    amount: float
    predSide: int
    def __init__(self, packetID: _Optional[_Union[_Common_pb2.PacketID, _Mapping]] = ..., header: _Optional[_Union[_Trd_Common_pb2.TrdHeader, _Mapping]] = ..., trdSide: _Optional[int] = ..., orderType: _Optional[int] = ..., code: _Optional[str] = ..., qty: _Optional[float] = ..., price: _Optional[float] = ..., adjustPrice: _Optional[bool] = ..., adjustSideAndLimit: _Optional[float] = ..., secMarket: _Optional[int] = ..., remark: _Optional[str] = ..., timeInForce: _Optional[int] = ..., fillOutsideRTH: _Optional[bool] = ..., auxPrice: _Optional[float] = ..., trailType: _Optional[int] = ..., trailValue: _Optional[float] = ..., trailSpread: _Optional[float] = ..., session: _Optional[int] = ..., positionID: _Optional[int] = ..., expireTime: _Optional[str] = ..., amount: _Optional[float] = ..., predSide: _Optional[int] = ...) -> None: ...

class S2C(_message.Message):
    __slots__ = ("header", "orderID", "orderIDEx")
    HEADER_FIELD_NUMBER: _ClassVar[int]
    ORDERID_FIELD_NUMBER: _ClassVar[int]
    ORDERIDEX_FIELD_NUMBER: _ClassVar[int]
    header: _Trd_Common_pb2.TrdHeader
    orderID: int
    orderIDEx: str
    def __init__(self, header: _Optional[_Union[_Trd_Common_pb2.TrdHeader, _Mapping]] = ..., orderID: _Optional[int] = ..., orderIDEx: _Optional[str] = ...) -> None: ...

class Request(_message.Message):
    __slots__ = ("c2s",)
    C2S_FIELD_NUMBER: _ClassVar[int]
    c2s: C2S
    def __init__(self, c2s: _Optional[_Union[C2S, _Mapping]] = ...) -> None: ...

class Response(_message.Message):
    __slots__ = ("retType", "retMsg", "errCode", "s2c")
    RETTYPE_FIELD_NUMBER: _ClassVar[int]
    RETMSG_FIELD_NUMBER: _ClassVar[int]
    ERRCODE_FIELD_NUMBER: _ClassVar[int]
    S2C_FIELD_NUMBER: _ClassVar[int]
    retType: int
    retMsg: str
    errCode: int
    s2c: S2C
    def __init__(self, retType: _Optional[int] = ..., retMsg: _Optional[str] = ..., errCode: _Optional[int] = ..., s2c: _Optional[_Union[S2C, _Mapping]] = ...) -> None: ...
