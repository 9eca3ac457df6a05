from protocol.proto import Trd_Common_pb2 as _Trd_Common_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class C2S(_message.Message):
    __slots__ = ("header", "orderType", "code", "price", "orderID", "adjustPrice", "adjustSideAndLimit", "secMarket", "orderIDEx", "session", "positionID")
    HEADER_FIELD_NUMBER: _ClassVar[int]
    ORDERTYPE_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    ORDERID_FIELD_NUMBER: _ClassVar[int]
    ADJUSTPRICE_FIELD_NUMBER: _ClassVar[int]
    ADJUSTSIDEANDLIMIT_FIELD_NUMBER: _ClassVar[int]
    SECMARKET_FIELD_NUMBER: _ClassVar[int]
    ORDERIDEX_FIELD_NUMBER: _ClassVar[int]
    SESSION_FIELD_NUMBER: _ClassVar[int]
    POSITIONID_FIELD_NUMBER: _ClassVar[int]
    header: _Trd_Common_pb2.TrdHeader
    orderType: int
    code: str
    price: float
    orderID: int
    adjustPrice: bool
    adjustSideAndLimit: float
    secMarket: int
    orderIDEx: str
    session: int
    positionID: int
    def __init__(self, header: _Optional[_Union[_Trd_Common_pb2.TrdHeader, _Mapping]] = ..., orderType: _Optional[int] = ..., code: _Optional[str] = ..., price: _Optional[float] = ..., orderID: _Optional[int] = ..., adjustPrice: _Optional[bool] = ..., adjustSideAndLimit: _Optional[float] = ..., secMarket: _Optional[int] = ..., orderIDEx: _Optional[str] = ..., session: _Optional[int] = ..., positionID: _Optional[int] = ...) -> None: ...

class S2C(_message.Message):
    __slots__ = ("header", "maxTrdQtys")
    HEADER_FIELD_NUMBER: _ClassVar[int]
    MAXTRDQTYS_FIELD_NUMBER: _ClassVar[int]
    header: _Trd_Common_pb2.TrdHeader
    maxTrdQtys: _Trd_Common_pb2.MaxTrdQtys
    def __init__(self, header: _Optional[_Union[_Trd_Common_pb2.TrdHeader, _Mapping]] = ..., maxTrdQtys: _Optional[_Union[_Trd_Common_pb2.MaxTrdQtys, _Mapping]] = ...) -> None: ...

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
