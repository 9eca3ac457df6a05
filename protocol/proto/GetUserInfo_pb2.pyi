from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class UpdateType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    UpdateType_None: _ClassVar[UpdateType]
    UpdateType_Advice: _ClassVar[UpdateType]
    UpdateType_Force: _ClassVar[UpdateType]

class UserInfoField(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    UserInfoField_Basic: _ClassVar[UserInfoField]
    UserInfoField_API: _ClassVar[UserInfoField]
    UserInfoField_QotRight: _ClassVar[UserInfoField]
    UserInfoField_Disclaimer: _ClassVar[UserInfoField]
    UserInfoField_Update: _ClassVar[UserInfoField]
    UserInfoField_WebKey: _ClassVar[UserInfoField]
UpdateType_None: UpdateType
UpdateType_Advice: UpdateType
UpdateType_Force: UpdateType
UserInfoField_Basic: UserInfoField
UserInfoField_API: UserInfoField
UserInfoField_QotRight: UserInfoField
UserInfoField_Disclaimer: UserInfoField
UserInfoField_Update: UserInfoField
UserInfoField_WebKey: UserInfoField

class C2S(_message.Message):
    __slots__ = ("flag",)
    FLAG_FIELD_NUMBER: _ClassVar[int]
    flag: int
    def __init__(self, flag: _Optional[int] = ...) -> None: ...

class S2C(_message.Message):
    __slots__ = ("nickName", "avatarUrl", "apiLevel", "hkQotRight", "usQotRight", "cnQotRight", "isNeedAgreeDisclaimer", "userID", "updateType", "webKey", "hkOptionQotRight", "hasUSOptionQotRight", "hkFutureQotRight", "subQuota", "historyKLQuota", "usFutureQotRight", "usOptionQotRight", "webJumpUrlHead", "userAttribution", "updateWhatsNew", "usIndexQotRight", "usOtcQotRight", "usCMEFutureQotRight", "usCBOTFutureQotRight", "usNYMEXFutureQotRight", "usCOMEXFutureQotRight", "usCBOEFutureQotRight", "sgFutureQotRight", "jpFutureQotRight", "isAppNNOrMM", "shQotRight", "szQotRight", "extra", "ccQotRight", "sgStockQotRight", "myStockQotRight", "jpStockQotRight", "ecQotRight")
    NICKNAME_FIELD_NUMBER: _ClassVar[int]
    AVATARURL_FIELD_NUMBER: _ClassVar[int]
    APILEVEL_FIELD_NUMBER: _ClassVar[int]
    HKQOTRIGHT_FIELD_NUMBER: _ClassVar[int]
    USQOTRIGHT_FIELD_NUMBER: _ClassVar[int]
    CNQOTRIGHT_FIELD_NUMBER: _ClassVar[int]
    ISNEEDAGREEDISCLAIMER_FIELD_NUMBER: _ClassVar[int]
    USERID_FIELD_NUMBER: _ClassVar[int]
    UPDATETYPE_FIELD_NUMBER: _ClassVar[int]
    WEBKEY_FIELD_NUMBER: _ClassVar[int]
    HKOPTIONQOTRIGHT_FIELD_NUMBER: _ClassVar[int]
    HASUSOPTIONQOTRIGHT_FIELD_NUMBER: _ClassVar[int]
    HKFUTUREQOTRIGHT_FIELD_NUMBER: _ClassVar[int]
    SUBQUOTA_FIELD_NUMBER: _ClassVar[int]
    HISTORYKLQUOTA_FIELD_NUMBER: _ClassVar[int]
    USFUTUREQOTRIGHT_FIELD_NUMBER: _ClassVar[int]
    USOPTIONQOTRIGHT_FIELD_NUMBER: _ClassVar[int]
    WEBJUMPURLHEAD_FIELD_NUMBER: _ClassVar[int]
    USERATTRIBUTION_FIELD_NUMBER: _ClassVar[int]
    UPDATEWHATSNEW_FIELD_NUMBER: _ClassVar[int]
    USINDEXQOTRIGHT_FIELD_NUMBER: _ClassVar[int]
    USOTCQOTRIGHT_FIELD_NUMBER: _ClassVar[int]
    USCMEFUTUREQOTRIGHT_FIELD_NUMBER: _ClassVar[int]
    USCBOTFUTUREQOTRIGHT_FIELD_NUMBER: _ClassVar[int]
    USNYMEXFUTUREQOTRIGHT_FIELD_NUMBER: _ClassVar[int]
    USCOMEXFUTUREQOTRIGHT_FIELD_NUMBER: _ClassVar[int]
    USCBOEFUTUREQOTRIGHT_FIELD_NUMBER: _ClassVar[int]
    SGFUTUREQOTRIGHT_FIELD_NUMBER: _ClassVar[int]
    JPFUTUREQOTRIGHT_FIELD_NUMBER: _ClassVar[int]
    ISAPPNNORMM_FIELD_NUMBER: _ClassVar[int]
    SHQOTRIGHT_FIELD_NUMBER: _ClassVar[int]
    SZQOTRIGHT_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    CCQOTRIGHT_FIELD_NUMBER: _ClassVar[int]
    SGSTOCKQOTRIGHT_FIELD_NUMBER: _ClassVar[int]
    MYSTOCKQOTRIGHT_FIELD_NUMBER: _ClassVar[int]
    JPSTOCKQOTRIGHT_FIELD_NUMBER: _ClassVar[int]
    ECQOTRIGHT_FIELD_NUMBER: _ClassVar[int]
    nickName: str
    avatarUrl: str
    apiLevel: str
    hkQotRight: int
    usQotRight: int
    cnQotRight: int
    isNeedAgreeDisclaimer: bool
    userID: int
    updateType: int
    webKey: str
    hkOptionQotRight: int
    hasUSOptionQotRight: bool
    hkFutureQotRight: int
    subQuota: int
    historyKLQuota: int
    usFutureQotRight: int
    usOptionQotRight: int
    webJumpUrlHead: str
    userAttribution: int
    updateWhatsNew: str
    usIndexQotRight: int
    usOtcQotRight: int
    usCMEFutureQotRight: int
    usCBOTFutureQotRight: int
    usNYMEXFutureQotRight: int
    usCOMEXFutureQotRight: int
    usCBOEFutureQotRight: int
    sgFutureQotRight: int
    jpFutureQotRight: int
    isAppNNOrMM: bool
    shQotRight: int
    szQotRight: int
    extra: int
    ccQotRight: int
    sgStockQotRight: int
    myStockQotRight: int
    jpStockQotRight: int
    ecQotRight: int
    def __init__(self, nickName: _Optional[str] = ..., avatarUrl: _Optional[str] = ..., apiLevel: _Optional[str] = ..., hkQotRight: _Optional[int] = ..., usQotRight: _Optional[int] = ..., cnQotRight: _Optional[int] = ..., isNeedAgreeDisclaimer: _Optional[bool] = ..., userID: _Optional[int] = ..., updateType: _Optional[int] = ..., webKey: _Optional[str] = ..., hkOptionQotRight: _Optional[int] = ..., hasUSOptionQotRight: _Optional[bool] = ..., hkFutureQotRight: _Optional[int] = ..., subQuota: _Optional[int] = ..., historyKLQuota: _Optional[int] = ..., usFutureQotRight: _Optional[int] = ..., usOptionQotRight: _Optional[int] = ..., webJumpUrlHead: _Optional[str] = ..., userAttribution: _Optional[int] = ..., updateWhatsNew: _Optional[str] = ..., usIndexQotRight: _Optional[int] = ..., usOtcQotRight: _Optional[int] = ..., usCMEFutureQotRight: _Optional[int] = ..., usCBOTFutureQotRight: _Optional[int] = ..., usNYMEXFutureQotRight: _Optional[int] = ..., usCOMEXFutureQotRight: _Optional[int] = ..., usCBOEFutureQotRight: _Optional[int] = ..., sgFutureQotRight: _Optional[int] = ..., jpFutureQotRight: _Optional[int] = ..., isAppNNOrMM: _Optional[bool] = ..., shQotRight: _Optional[int] = ..., szQotRight: _Optional[int] = ..., extra: _Optional[int] = ..., ccQotRight: _Optional[int] = ..., sgStockQotRight: _Optional[int] = ..., myStockQotRight: _Optional[int] = ..., jpStockQotRight: _Optional[int] = ..., ecQotRight: _Optional[int] = ...) -> None: ...

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
