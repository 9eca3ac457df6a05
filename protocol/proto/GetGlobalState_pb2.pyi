from protocol.proto import Common_pb2 as _Common_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class C2S(_message.Message):
    __slots__ = ("userID",)
    USERID_FIELD_NUMBER: _ClassVar[int]
    userID: int
    def __init__(self, userID: _Optional[int] = ...) -> None: ...

class S2C(_message.Message):
    __slots__ = ("marketHK", "marketUS", "marketSH", "marketSZ", "marketHKFuture", "marketUSFuture", "marketSGFuture", "marketJPFuture", "marketSG", "marketMY", "marketJP", "qotLogined", "trdLogined", "serverVer", "serverBuildNo", "time", "localTime", "programStatus", "qotSvrIpAddr", "trdSvrIpAddr", "connID")
    MARKETHK_FIELD_NUMBER: _ClassVar[int]
    MARKETUS_FIELD_NUMBER: _ClassVar[int]
    MARKETSH_FIELD_NUMBER: _ClassVar[int]
    MARKETSZ_FIELD_NUMBER: _ClassVar[int]
    MARKETHKFUTURE_FIELD_NUMBER: _ClassVar[int]
    MARKETUSFUTURE_FIELD_NUMBER: _ClassVar[int]
    MARKETSGFUTURE_FIELD_NUMBER: _ClassVar[int]
    MARKETJPFUTURE_FIELD_NUMBER: _ClassVar[int]
    MARKETSG_FIELD_NUMBER: _ClassVar[int]
    MARKETMY_FIELD_NUMBER: _ClassVar[int]
    MARKETJP_FIELD_NUMBER: _ClassVar[int]
    QOTLOGINED_FIELD_NUMBER: _ClassVar[int]
    TRDLOGINED_FIELD_NUMBER: _ClassVar[int]
    SERVERVER_FIELD_NUMBER: _ClassVar[int]
    SERVERBUILDNO_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    LOCALTIME_FIELD_NUMBER: _ClassVar[int]
    PROGRAMSTATUS_FIELD_NUMBER: _ClassVar[int]
    QOTSVRIPADDR_FIELD_NUMBER: _ClassVar[int]
    TRDSVRIPADDR_FIELD_NUMBER: _ClassVar[int]
    CONNID_FIELD_NUMBER: _ClassVar[int]
    marketHK: int
    marketUS: int
    marketSH: int
    marketSZ: int
    marketHKFuture: int
    marketUSFuture: int
    marketSGFuture: int
    marketJPFuture: int
    marketSG: int
    marketMY: int
    marketJP: int
    qotLogined: bool
    trdLogined: bool
    serverVer: int
    serverBuildNo: int
    time: int
    localTime: float
    programStatus: _Common_pb2.ProgramStatus
    qotSvrIpAddr: str
    trdSvrIpAddr: str
    connID: int
    def __init__(self, marketHK: _Optional[int] = ..., marketUS: _Optional[int] = ..., marketSH: _Optional[int] = ..., marketSZ: _Optional[int] = ..., marketHKFuture: _Optional[int] = ..., marketUSFuture: _Optional[int] = ..., marketSGFuture: _Optional[int] = ..., marketJPFuture: _Optional[int] = ..., marketSG: _Optional[int] = ..., marketMY: _Optional[int] = ..., marketJP: _Optional[int] = ..., qotLogined: _Optional[bool] = ..., trdLogined: _Optional[bool] = ..., serverVer: _Optional[int] = ..., serverBuildNo: _Optional[int] = ..., time: _Optional[int] = ..., localTime: _Optional[float] = ..., programStatus: _Optional[_Union[_Common_pb2.ProgramStatus, _Mapping]] = ..., qotSvrIpAddr: _Optional[str] = ..., trdSvrIpAddr: _Optional[str] = ..., connID: _Optional[int] = ...) -> None: ...

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
