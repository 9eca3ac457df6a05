from protocol.proto import Qot_Common_pb2 as _Qot_Common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class C2S(_message.Message):
    __slots__ = ("security", "nextKey", "num")
    SECURITY_FIELD_NUMBER: _ClassVar[int]
    NEXTKEY_FIELD_NUMBER: _ClassVar[int]
    NUM_FIELD_NUMBER: _ClassVar[int]
    security: _Qot_Common_pb2.Security
    nextKey: str
    num: int
    def __init__(self, security: _Optional[_Union[_Qot_Common_pb2.Security, _Mapping]] = ..., nextKey: _Optional[str] = ..., num: _Optional[int] = ...) -> None: ...

class UsShortInterestItem(_message.Message):
    __slots__ = ("timestamp", "timestampStr", "sharesShort", "shortPercent", "avgDailyShareVolume", "daysToCover", "closePrice", "lastClosePrice")
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMPSTR_FIELD_NUMBER: _ClassVar[int]
    SHARESSHORT_FIELD_NUMBER: _ClassVar[int]
    SHORTPERCENT_FIELD_NUMBER: _ClassVar[int]
    AVGDAILYSHAREVOLUME_FIELD_NUMBER: _ClassVar[int]
    DAYSTOCOVER_FIELD_NUMBER: _ClassVar[int]
    CLOSEPRICE_FIELD_NUMBER: _ClassVar[int]
    LASTCLOSEPRICE_FIELD_NUMBER: _ClassVar[int]
    timestamp: int
    timestampStr: str
    sharesShort: int
    shortPercent: float
    avgDailyShareVolume: int
    daysToCover: float
    closePrice: float
    lastClosePrice: float
    def __init__(self, timestamp: _Optional[int] = ..., timestampStr: _Optional[str] = ..., sharesShort: _Optional[int] = ..., shortPercent: _Optional[float] = ..., avgDailyShareVolume: _Optional[int] = ..., daysToCover: _Optional[float] = ..., closePrice: _Optional[float] = ..., lastClosePrice: _Optional[float] = ...) -> None: ...

class HkShortInterestItem(_message.Message):
    __slots__ = ("timestamp", "timestampStr", "closePrice", "lastClosePrice", "aggregatedShort", "aggregatedShortRatio")
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMPSTR_FIELD_NUMBER: _ClassVar[int]
    CLOSEPRICE_FIELD_NUMBER: _ClassVar[int]
    LASTCLOSEPRICE_FIELD_NUMBER: _ClassVar[int]
    AGGREGATEDSHORT_FIELD_NUMBER: _ClassVar[int]
    AGGREGATEDSHORTRATIO_FIELD_NUMBER: _ClassVar[int]
    timestamp: int
    timestampStr: str
    closePrice: float
    lastClosePrice: float
    aggregatedShort: int
    aggregatedShortRatio: float
    def __init__(self, timestamp: _Optional[int] = ..., timestampStr: _Optional[str] = ..., closePrice: _Optional[float] = ..., lastClosePrice: _Optional[float] = ..., aggregatedShort: _Optional[int] = ..., aggregatedShortRatio: _Optional[float] = ...) -> None: ...

class S2C(_message.Message):
    __slots__ = ("usItemList", "hkItemList", "nextKey")
    USITEMLIST_FIELD_NUMBER: _ClassVar[int]
    HKITEMLIST_FIELD_NUMBER: _ClassVar[int]
    NEXTKEY_FIELD_NUMBER: _ClassVar[int]
    usItemList: _containers.RepeatedCompositeFieldContainer[UsShortInterestItem]
    hkItemList: _containers.RepeatedCompositeFieldContainer[HkShortInterestItem]
    nextKey: str
    def __init__(self, usItemList: _Optional[_Iterable[_Union[UsShortInterestItem, _Mapping]]] = ..., hkItemList: _Optional[_Iterable[_Union[HkShortInterestItem, _Mapping]]] = ..., nextKey: _Optional[str] = ...) -> None: ...

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
