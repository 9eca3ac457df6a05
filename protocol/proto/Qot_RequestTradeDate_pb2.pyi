from protocol.proto import Qot_Common_pb2 as _Qot_Common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class C2S(_message.Message):
    __slots__ = ("market", "beginTime", "endTime", "security", "header")
    MARKET_FIELD_NUMBER: _ClassVar[int]
    BEGINTIME_FIELD_NUMBER: _ClassVar[int]
    ENDTIME_FIELD_NUMBER: _ClassVar[int]
    SECURITY_FIELD_NUMBER: _ClassVar[int]
    HEADER_FIELD_NUMBER: _ClassVar[int]
    market: int
    beginTime: str
    endTime: str
    security: _Qot_Common_pb2.Security
    header: _Qot_Common_pb2.QotHeader
    def __init__(self, market: _Optional[int] = ..., beginTime: _Optional[str] = ..., endTime: _Optional[str] = ..., security: _Optional[_Union[_Qot_Common_pb2.Security, _Mapping]] = ..., header: _Optional[_Union[_Qot_Common_pb2.QotHeader, _Mapping]] = ...) -> None: ...

class TradeDate(_message.Message):
    __slots__ = ("time", "timestamp", "tradeDateType")
    TIME_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    TRADEDATETYPE_FIELD_NUMBER: _ClassVar[int]
    time: str
    timestamp: float
    tradeDateType: int
    def __init__(self, time: _Optional[str] = ..., timestamp: _Optional[float] = ..., tradeDateType: _Optional[int] = ...) -> None: ...

class S2C(_message.Message):
    __slots__ = ("tradeDateList",)
    TRADEDATELIST_FIELD_NUMBER: _ClassVar[int]
    tradeDateList: _containers.RepeatedCompositeFieldContainer[TradeDate]
    def __init__(self, tradeDateList: _Optional[_Iterable[_Union[TradeDate, _Mapping]]] = ...) -> None: ...

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
