from protocol.proto import Qot_Common_pb2 as _Qot_Common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class DetailItem(_message.Message):
    __slots__ = ("security", "requestTime", "requestTimeStamp", "name")
    SECURITY_FIELD_NUMBER: _ClassVar[int]
    REQUESTTIME_FIELD_NUMBER: _ClassVar[int]
    REQUESTTIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    security: _Qot_Common_pb2.Security
    requestTime: str
    requestTimeStamp: int
    name: str
    def __init__(self, security: _Optional[_Union[_Qot_Common_pb2.Security, _Mapping]] = ..., requestTime: _Optional[str] = ..., requestTimeStamp: _Optional[int] = ..., name: _Optional[str] = ...) -> None: ...

class C2S(_message.Message):
    __slots__ = ("bGetDetail", "header")
    BGETDETAIL_FIELD_NUMBER: _ClassVar[int]
    HEADER_FIELD_NUMBER: _ClassVar[int]
    bGetDetail: bool
    header: _Qot_Common_pb2.QotHeader
    def __init__(self, bGetDetail: _Optional[bool] = ..., header: _Optional[_Union[_Qot_Common_pb2.QotHeader, _Mapping]] = ...) -> None: ...

class S2C(_message.Message):
    __slots__ = ("usedQuota", "remainQuota", "detailList")
    USEDQUOTA_FIELD_NUMBER: _ClassVar[int]
    REMAINQUOTA_FIELD_NUMBER: _ClassVar[int]
    DETAILLIST_FIELD_NUMBER: _ClassVar[int]
    usedQuota: int
    remainQuota: int
    detailList: _containers.RepeatedCompositeFieldContainer[DetailItem]
    def __init__(self, usedQuota: _Optional[int] = ..., remainQuota: _Optional[int] = ..., detailList: _Optional[_Iterable[_Union[DetailItem, _Mapping]]] = ...) -> None: ...

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
