from protocol.proto import Qot_Common_pb2 as _Qot_Common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class TrdEnv(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TrdEnv_Simulate: _ClassVar[TrdEnv]
    TrdEnv_Real: _ClassVar[TrdEnv]

class TrdCategory(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TrdCategory_Unknown: _ClassVar[TrdCategory]
    TrdCategory_Security: _ClassVar[TrdCategory]
    TrdCategory_Future: _ClassVar[TrdCategory]
    TrdCategory_Crypto: _ClassVar[TrdCategory]

class TrdMarket(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TrdMarket_Unknown: _ClassVar[TrdMarket]
    TrdMarket_HK: _ClassVar[TrdMarket]
    TrdMarket_US: _ClassVar[TrdMarket]
    TrdMarket_CN: _ClassVar[TrdMarket]
    TrdMarket_HKCC: _ClassVar[TrdMarket]
    TrdMarket_Futures: _ClassVar[TrdMarket]
    TrdMarket_SG: _ClassVar[TrdMarket]
    TrdMarket_Crypto: _ClassVar[TrdMarket]
    TrdMarket_AU: _ClassVar[TrdMarket]
    TrdMarket_Futures_Simulate_HK: _ClassVar[TrdMarket]
    TrdMarket_Futures_Simulate_US: _ClassVar[TrdMarket]
    TrdMarket_Futures_Simulate_SG: _ClassVar[TrdMarket]
    TrdMarket_Futures_Simulate_JP: _ClassVar[TrdMarket]
    TrdMarket_JP: _ClassVar[TrdMarket]
    TrdMarket_Prediction: _ClassVar[TrdMarket]
    TrdMarket_MY: _ClassVar[TrdMarket]
    TrdMarket_CA: _ClassVar[TrdMarket]
    TrdMarket_HK_Fund: _ClassVar[TrdMarket]
    TrdMarket_US_Fund: _ClassVar[TrdMarket]
    TrdMarket_SG_Fund: _ClassVar[TrdMarket]
    TrdMarket_MY_Fund: _ClassVar[TrdMarket]
    TrdMarket_JP_Fund: _ClassVar[TrdMarket]

class TrdSecMarket(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TrdSecMarket_Unknown: _ClassVar[TrdSecMarket]
    TrdSecMarket_HK: _ClassVar[TrdSecMarket]
    TrdSecMarket_US: _ClassVar[TrdSecMarket]
    TrdSecMarket_CN_SH: _ClassVar[TrdSecMarket]
    TrdSecMarket_CN_SZ: _ClassVar[TrdSecMarket]
    TrdSecMarket_SG: _ClassVar[TrdSecMarket]
    TrdSecMarket_JP: _ClassVar[TrdSecMarket]
    TrdSecMarket_AU: _ClassVar[TrdSecMarket]
    TrdSecMarket_MY: _ClassVar[TrdSecMarket]
    TrdSecMarket_CA: _ClassVar[TrdSecMarket]
    TrdSecMarket_FX: _ClassVar[TrdSecMarket]
    TrdSecMarket_CC: _ClassVar[TrdSecMarket]
    TrdSecMarket_EC: _ClassVar[TrdSecMarket]

class TrdSide(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TrdSide_Unknown: _ClassVar[TrdSide]
    TrdSide_Buy: _ClassVar[TrdSide]
    TrdSide_Sell: _ClassVar[TrdSide]
    TrdSide_SellShort: _ClassVar[TrdSide]
    TrdSide_BuyBack: _ClassVar[TrdSide]

class OrderType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    OrderType_Unknown: _ClassVar[OrderType]
    OrderType_Normal: _ClassVar[OrderType]
    OrderType_Market: _ClassVar[OrderType]
    OrderType_AbsoluteLimit: _ClassVar[OrderType]
    OrderType_Auction: _ClassVar[OrderType]
    OrderType_AuctionLimit: _ClassVar[OrderType]
    OrderType_SpecialLimit: _ClassVar[OrderType]
    OrderType_SpecialLimit_All: _ClassVar[OrderType]
    OrderType_Stop: _ClassVar[OrderType]
    OrderType_StopLimit: _ClassVar[OrderType]
    OrderType_MarketifTouched: _ClassVar[OrderType]
    OrderType_LimitifTouched: _ClassVar[OrderType]
    OrderType_TrailingStop: _ClassVar[OrderType]
    OrderType_TrailingStopLimit: _ClassVar[OrderType]
    OrderType_TWAP_MARKET: _ClassVar[OrderType]
    OrderType_TWAP_LIMIT: _ClassVar[OrderType]
    OrderType_VWAP_MARKET: _ClassVar[OrderType]
    OrderType_VWAP_LIMIT: _ClassVar[OrderType]

class TrailType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TrailType_Unknown: _ClassVar[TrailType]
    TrailType_Ratio: _ClassVar[TrailType]
    TrailType_Amount: _ClassVar[TrailType]

class OrderStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    OrderStatus_Unsubmitted: _ClassVar[OrderStatus]
    OrderStatus_Unknown: _ClassVar[OrderStatus]
    OrderStatus_WaitingSubmit: _ClassVar[OrderStatus]
    OrderStatus_Submitting: _ClassVar[OrderStatus]
    OrderStatus_SubmitFailed: _ClassVar[OrderStatus]
    OrderStatus_TimeOut: _ClassVar[OrderStatus]
    OrderStatus_Submitted: _ClassVar[OrderStatus]
    OrderStatus_Filled_Part: _ClassVar[OrderStatus]
    OrderStatus_Filled_All: _ClassVar[OrderStatus]
    OrderStatus_Cancelling_Part: _ClassVar[OrderStatus]
    OrderStatus_Cancelling_All: _ClassVar[OrderStatus]
    OrderStatus_Cancelled_Part: _ClassVar[OrderStatus]
    OrderStatus_Cancelled_All: _ClassVar[OrderStatus]
    OrderStatus_Failed: _ClassVar[OrderStatus]
    OrderStatus_Disabled: _ClassVar[OrderStatus]
    OrderStatus_Deleted: _ClassVar[OrderStatus]
    OrderStatus_FillCancelled: _ClassVar[OrderStatus]

class OrderFillStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    OrderFillStatus_OK: _ClassVar[OrderFillStatus]
    OrderFillStatus_Cancelled: _ClassVar[OrderFillStatus]
    OrderFillStatus_Changed: _ClassVar[OrderFillStatus]
    OrderFillStatus_Payout: _ClassVar[OrderFillStatus]

class PositionSide(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PositionSide_Long: _ClassVar[PositionSide]
    PositionSide_Unknown: _ClassVar[PositionSide]
    PositionSide_Short: _ClassVar[PositionSide]

class ModifyOrderOp(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ModifyOrderOp_Unknown: _ClassVar[ModifyOrderOp]
    ModifyOrderOp_Normal: _ClassVar[ModifyOrderOp]
    ModifyOrderOp_Cancel: _ClassVar[ModifyOrderOp]
    ModifyOrderOp_Disable: _ClassVar[ModifyOrderOp]
    ModifyOrderOp_Enable: _ClassVar[ModifyOrderOp]
    ModifyOrderOp_Delete: _ClassVar[ModifyOrderOp]

class TrdAccType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TrdAccType_Unknown: _ClassVar[TrdAccType]
    TrdAccType_Cash: _ClassVar[TrdAccType]
    TrdAccType_Margin: _ClassVar[TrdAccType]
    TrdAccType_TFSA: _ClassVar[TrdAccType]
    TrdAccType_RRSP: _ClassVar[TrdAccType]
    TrdAccType_SRRSP: _ClassVar[TrdAccType]
    TrdAccType_Derivatives: _ClassVar[TrdAccType]

class TrdAccStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TrdAccStatus_Active: _ClassVar[TrdAccStatus]
    TrdAccStatus_Disabled: _ClassVar[TrdAccStatus]

class TrdAccRole(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TrdAccRole_Unknown: _ClassVar[TrdAccRole]
    TrdAccRole_Normal: _ClassVar[TrdAccRole]
    TrdAccRole_Master: _ClassVar[TrdAccRole]
    TrdAccRole_IPO: _ClassVar[TrdAccRole]

class Currency(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    Currency_Unknown: _ClassVar[Currency]
    Currency_HKD: _ClassVar[Currency]
    Currency_USD: _ClassVar[Currency]
    Currency_CNH: _ClassVar[Currency]
    Currency_JPY: _ClassVar[Currency]
    Currency_SGD: _ClassVar[Currency]
    Currency_AUD: _ClassVar[Currency]
    Currency_CAD: _ClassVar[Currency]
    Currency_MYR: _ClassVar[Currency]
    Currency_NZD: _ClassVar[Currency]

class CltRiskLevel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CltRiskLevel_Unknown: _ClassVar[CltRiskLevel]
    CltRiskLevel_Safe: _ClassVar[CltRiskLevel]
    CltRiskLevel_Warning: _ClassVar[CltRiskLevel]
    CltRiskLevel_Danger: _ClassVar[CltRiskLevel]
    CltRiskLevel_AbsoluteSafe: _ClassVar[CltRiskLevel]
    CltRiskLevel_OptDanger: _ClassVar[CltRiskLevel]

class TimeInForce(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TimeInForce_DAY: _ClassVar[TimeInForce]
    TimeInForce_GTC: _ClassVar[TimeInForce]
    TimeInForce_IOC: _ClassVar[TimeInForce]
    TimeInForce_GTD: _ClassVar[TimeInForce]

class SimAccType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SimAccType_Unknown: _ClassVar[SimAccType]
    SimAccType_Stock: _ClassVar[SimAccType]
    SimAccType_Option: _ClassVar[SimAccType]
    SimAccType_Futures: _ClassVar[SimAccType]
    SimAccType_StockAndOption: _ClassVar[SimAccType]
    SimAccType_Competition: _ClassVar[SimAccType]

class CltRiskStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CltRiskStatus_Unknown: _ClassVar[CltRiskStatus]
    CltRiskStatus_Level1: _ClassVar[CltRiskStatus]
    CltRiskStatus_Level2: _ClassVar[CltRiskStatus]
    CltRiskStatus_Level3: _ClassVar[CltRiskStatus]
    CltRiskStatus_Level4: _ClassVar[CltRiskStatus]
    CltRiskStatus_Level5: _ClassVar[CltRiskStatus]
    CltRiskStatus_Level6: _ClassVar[CltRiskStatus]
    CltRiskStatus_Level7: _ClassVar[CltRiskStatus]
    CltRiskStatus_Level8: _ClassVar[CltRiskStatus]
    CltRiskStatus_Level9: _ClassVar[CltRiskStatus]

class DTStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DTStatus_Unknown: _ClassVar[DTStatus]
    DTStatus_Unlimited: _ClassVar[DTStatus]
    DTStatus_EMCall: _ClassVar[DTStatus]
    DTStatus_DTCall: _ClassVar[DTStatus]

class TrdSubAccType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TrdSubAccType_None: _ClassVar[TrdSubAccType]
    TrdSubAccType_JP_GENERAL: _ClassVar[TrdSubAccType]
    TrdSubAccType_JP_TOKUTEI: _ClassVar[TrdSubAccType]
    TrdSubAccType_JP_NISA_GENERAL: _ClassVar[TrdSubAccType]
    TrdSubAccType_JP_NISA_TSUMITATE: _ClassVar[TrdSubAccType]
    TrdSubAccType_JP_GENERAL_SHORT: _ClassVar[TrdSubAccType]
    TrdSubAccType_JP_TOKUTEI_SHORT: _ClassVar[TrdSubAccType]
    TrdSubAccType_JP_HONPO_GENERAL: _ClassVar[TrdSubAccType]
    TrdSubAccType_JP_GAIKOKU_GENERAL: _ClassVar[TrdSubAccType]
    TrdSubAccType_JP_HONPO_TOKUTEI: _ClassVar[TrdSubAccType]
    TrdSubAccType_JP_GAIKOKU_TOKUTEI: _ClassVar[TrdSubAccType]
    TrdSubAccType_JP_DERIVATIVE_LONG: _ClassVar[TrdSubAccType]
    TrdSubAccType_JP_DERIVATIVE_SHORT: _ClassVar[TrdSubAccType]
    TrdSubAccType_JP_HONPO_DERIVATIVE_GENERAL: _ClassVar[TrdSubAccType]
    TrdSubAccType_JP_GAIKOKU_DERIVATIVE_GENERAL: _ClassVar[TrdSubAccType]
    TrdSubAccType_JP_HONPO_DERIVATIVE_TOKUTEI: _ClassVar[TrdSubAccType]
    TrdSubAccType_JP_GAIKOKU_DERIVATIVE_TOKUTEI: _ClassVar[TrdSubAccType]

class TrdAssetCategory(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TrdAssetCategory_Unknown: _ClassVar[TrdAssetCategory]
    TrdAssetCategory_JP: _ClassVar[TrdAssetCategory]
    TrdAssetCategory_US: _ClassVar[TrdAssetCategory]

class ExposureLevel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ExposureLevel_Unknown: _ClassVar[ExposureLevel]
    ExposureLevel_Normal: _ClassVar[ExposureLevel]
    ExposureLevel_NearLimit: _ClassVar[ExposureLevel]
    ExposureLevel_Restricted: _ClassVar[ExposureLevel]
    ExposureLevel_Safe: _ClassVar[ExposureLevel]
    ExposureLevel_Moderate: _ClassVar[ExposureLevel]
    ExposureLevel_Warning: _ClassVar[ExposureLevel]
    ExposureLevel_MarginCall: _ClassVar[ExposureLevel]

class PositionType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PositionType_Unknown: _ClassVar[PositionType]
    PositionType_Combined: _ClassVar[PositionType]
    PositionType_Leg: _ClassVar[PositionType]

class SecurityFirm(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SecurityFirm_Unknown: _ClassVar[SecurityFirm]
    SecurityFirm_FutuSecurities: _ClassVar[SecurityFirm]
    SecurityFirm_FutuInc: _ClassVar[SecurityFirm]
    SecurityFirm_FutuSG: _ClassVar[SecurityFirm]
    SecurityFirm_FutuAU: _ClassVar[SecurityFirm]
    SecurityFirm_FutuCA: _ClassVar[SecurityFirm]
    SecurityFirm_FutuMY: _ClassVar[SecurityFirm]
    SecurityFirm_FutuJP: _ClassVar[SecurityFirm]
TrdEnv_Simulate: TrdEnv
TrdEnv_Real: TrdEnv
TrdCategory_Unknown: TrdCategory
TrdCategory_Security: TrdCategory
TrdCategory_Future: TrdCategory
TrdCategory_Crypto: TrdCategory
TrdMarket_Unknown: TrdMarket
TrdMarket_HK: TrdMarket
TrdMarket_US: TrdMarket
TrdMarket_CN: TrdMarket
TrdMarket_HKCC: TrdMarket
TrdMarket_Futures: TrdMarket
TrdMarket_SG: TrdMarket
TrdMarket_Crypto: TrdMarket
TrdMarket_AU: TrdMarket
TrdMarket_Futures_Simulate_HK: TrdMarket
TrdMarket_Futures_Simulate_US: TrdMarket
TrdMarket_Futures_Simulate_SG: TrdMarket
TrdMarket_Futures_Simulate_JP: TrdMarket
TrdMarket_JP: TrdMarket
TrdMarket_Prediction: TrdMarket
TrdMarket_MY: TrdMarket
TrdMarket_CA: TrdMarket
TrdMarket_HK_Fund: TrdMarket
TrdMarket_US_Fund: TrdMarket
TrdMarket_SG_Fund: TrdMarket
TrdMarket_MY_Fund: TrdMarket
TrdMarket_JP_Fund: TrdMarket
TrdSecMarket_Unknown: TrdSecMarket
TrdSecMarket_HK: TrdSecMarket
TrdSecMarket_US: TrdSecMarket
TrdSecMarket_CN_SH: TrdSecMarket
TrdSecMarket_CN_SZ: TrdSecMarket
TrdSecMarket_SG: TrdSecMarket
TrdSecMarket_JP: TrdSecMarket
TrdSecMarket_AU: TrdSecMarket
TrdSecMarket_MY: TrdSecMarket
TrdSecMarket_CA: TrdSecMarket
TrdSecMarket_FX: TrdSecMarket
TrdSecMarket_CC: TrdSecMarket
TrdSecMarket_EC: TrdSecMarket
TrdSide_Unknown: TrdSide
TrdSide_Buy: TrdSide
TrdSide_Sell: TrdSide
TrdSide_SellShort: TrdSide
TrdSide_BuyBack: TrdSide
OrderType_Unknown: OrderType
OrderType_Normal: OrderType
OrderType_Market: OrderType
OrderType_AbsoluteLimit: OrderType
OrderType_Auction: OrderType
OrderType_AuctionLimit: OrderType
OrderType_SpecialLimit: OrderType
OrderType_SpecialLimit_All: OrderType
OrderType_Stop: OrderType
OrderType_StopLimit: OrderType
OrderType_MarketifTouched: OrderType
OrderType_LimitifTouched: OrderType
OrderType_TrailingStop: OrderType
OrderType_TrailingStopLimit: OrderType
OrderType_TWAP_MARKET: OrderType
OrderType_TWAP_LIMIT: OrderType
OrderType_VWAP_MARKET: OrderType
OrderType_VWAP_LIMIT: OrderType
TrailType_Unknown: TrailType
TrailType_Ratio: TrailType
TrailType_Amount: TrailType
OrderStatus_Unsubmitted: OrderStatus
OrderStatus_Unknown: OrderStatus
OrderStatus_WaitingSubmit: OrderStatus
OrderStatus_Submitting: OrderStatus
OrderStatus_SubmitFailed: OrderStatus
OrderStatus_TimeOut: OrderStatus
OrderStatus_Submitted: OrderStatus
OrderStatus_Filled_Part: OrderStatus
OrderStatus_Filled_All: OrderStatus
OrderStatus_Cancelling_Part: OrderStatus
OrderStatus_Cancelling_All: OrderStatus
OrderStatus_Cancelled_Part: OrderStatus
OrderStatus_Cancelled_All: OrderStatus
OrderStatus_Failed: OrderStatus
OrderStatus_Disabled: OrderStatus
OrderStatus_Deleted: OrderStatus
OrderStatus_FillCancelled: OrderStatus
OrderFillStatus_OK: OrderFillStatus
OrderFillStatus_Cancelled: OrderFillStatus
OrderFillStatus_Changed: OrderFillStatus
OrderFillStatus_Payout: OrderFillStatus
PositionSide_Long: PositionSide
PositionSide_Unknown: PositionSide
PositionSide_Short: PositionSide
ModifyOrderOp_Unknown: ModifyOrderOp
ModifyOrderOp_Normal: ModifyOrderOp
ModifyOrderOp_Cancel: ModifyOrderOp
ModifyOrderOp_Disable: ModifyOrderOp
ModifyOrderOp_Enable: ModifyOrderOp
ModifyOrderOp_Delete: ModifyOrderOp
TrdAccType_Unknown: TrdAccType
TrdAccType_Cash: TrdAccType
TrdAccType_Margin: TrdAccType
TrdAccType_TFSA: TrdAccType
TrdAccType_RRSP: TrdAccType
TrdAccType_SRRSP: TrdAccType
TrdAccType_Derivatives: TrdAccType
TrdAccStatus_Active: TrdAccStatus
TrdAccStatus_Disabled: TrdAccStatus
TrdAccRole_Unknown: TrdAccRole
TrdAccRole_Normal: TrdAccRole
TrdAccRole_Master: TrdAccRole
TrdAccRole_IPO: TrdAccRole
Currency_Unknown: Currency
Currency_HKD: Currency
Currency_USD: Currency
Currency_CNH: Currency
Currency_JPY: Currency
Currency_SGD: Currency
Currency_AUD: Currency
Currency_CAD: Currency
Currency_MYR: Currency
Currency_NZD: Currency
CltRiskLevel_Unknown: CltRiskLevel
CltRiskLevel_Safe: CltRiskLevel
CltRiskLevel_Warning: CltRiskLevel
CltRiskLevel_Danger: CltRiskLevel
CltRiskLevel_AbsoluteSafe: CltRiskLevel
CltRiskLevel_OptDanger: CltRiskLevel
TimeInForce_DAY: TimeInForce
TimeInForce_GTC: TimeInForce
TimeInForce_IOC: TimeInForce
TimeInForce_GTD: TimeInForce
SimAccType_Unknown: SimAccType
SimAccType_Stock: SimAccType
SimAccType_Option: SimAccType
SimAccType_Futures: SimAccType
SimAccType_StockAndOption: SimAccType
SimAccType_Competition: SimAccType
CltRiskStatus_Unknown: CltRiskStatus
CltRiskStatus_Level1: CltRiskStatus
CltRiskStatus_Level2: CltRiskStatus
CltRiskStatus_Level3: CltRiskStatus
CltRiskStatus_Level4: CltRiskStatus
CltRiskStatus_Level5: CltRiskStatus
CltRiskStatus_Level6: CltRiskStatus
CltRiskStatus_Level7: CltRiskStatus
CltRiskStatus_Level8: CltRiskStatus
CltRiskStatus_Level9: CltRiskStatus
DTStatus_Unknown: DTStatus
DTStatus_Unlimited: DTStatus
DTStatus_EMCall: DTStatus
DTStatus_DTCall: DTStatus
TrdSubAccType_None: TrdSubAccType
TrdSubAccType_JP_GENERAL: TrdSubAccType
TrdSubAccType_JP_TOKUTEI: TrdSubAccType
TrdSubAccType_JP_NISA_GENERAL: TrdSubAccType
TrdSubAccType_JP_NISA_TSUMITATE: TrdSubAccType
TrdSubAccType_JP_GENERAL_SHORT: TrdSubAccType
TrdSubAccType_JP_TOKUTEI_SHORT: TrdSubAccType
TrdSubAccType_JP_HONPO_GENERAL: TrdSubAccType
TrdSubAccType_JP_GAIKOKU_GENERAL: TrdSubAccType
TrdSubAccType_JP_HONPO_TOKUTEI: TrdSubAccType
TrdSubAccType_JP_GAIKOKU_TOKUTEI: TrdSubAccType
TrdSubAccType_JP_DERIVATIVE_LONG: TrdSubAccType
TrdSubAccType_JP_DERIVATIVE_SHORT: TrdSubAccType
TrdSubAccType_JP_HONPO_DERIVATIVE_GENERAL: TrdSubAccType
TrdSubAccType_JP_GAIKOKU_DERIVATIVE_GENERAL: TrdSubAccType
TrdSubAccType_JP_HONPO_DERIVATIVE_TOKUTEI: TrdSubAccType
TrdSubAccType_JP_GAIKOKU_DERIVATIVE_TOKUTEI: TrdSubAccType
TrdAssetCategory_Unknown: TrdAssetCategory
TrdAssetCategory_JP: TrdAssetCategory
TrdAssetCategory_US: TrdAssetCategory
ExposureLevel_Unknown: ExposureLevel
ExposureLevel_Normal: ExposureLevel
ExposureLevel_NearLimit: ExposureLevel
ExposureLevel_Restricted: ExposureLevel
ExposureLevel_Safe: ExposureLevel
ExposureLevel_Moderate: ExposureLevel
ExposureLevel_Warning: ExposureLevel
ExposureLevel_MarginCall: ExposureLevel
PositionType_Unknown: PositionType
PositionType_Combined: PositionType
PositionType_Leg: PositionType
SecurityFirm_Unknown: SecurityFirm
SecurityFirm_FutuSecurities: SecurityFirm
SecurityFirm_FutuInc: SecurityFirm
SecurityFirm_FutuSG: SecurityFirm
SecurityFirm_FutuAU: SecurityFirm
SecurityFirm_FutuCA: SecurityFirm
SecurityFirm_FutuMY: SecurityFirm
SecurityFirm_FutuJP: SecurityFirm

class AccCashInfo(_message.Message):
    __slots__ = ("currency", "cash", "availableBalance", "netCashPower")
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    CASH_FIELD_NUMBER: _ClassVar[int]
    AVAILABLEBALANCE_FIELD_NUMBER: _ClassVar[int]
    NETCASHPOWER_FIELD_NUMBER: _ClassVar[int]
    currency: int
    cash: float
    availableBalance: float
    netCashPower: float
    def __init__(self, currency: _Optional[int] = ..., cash: _Optional[float] = ..., availableBalance: _Optional[float] = ..., netCashPower: _Optional[float] = ...) -> None: ...

class AccMarketInfo(_message.Message):
    __slots__ = ("trdMarket", "assets")
    TRDMARKET_FIELD_NUMBER: _ClassVar[int]
    ASSETS_FIELD_NUMBER: _ClassVar[int]
    trdMarket: int
    assets: float
    def __init__(self, trdMarket: _Optional[int] = ..., assets: _Optional[float] = ...) -> None: ...

class TrdHeader(_message.Message):
    __slots__ = ("trdEnv", "accID", "trdMarket", "jpAccType")
    TRDENV_FIELD_NUMBER: _ClassVar[int]
    ACCID_FIELD_NUMBER: _ClassVar[int]
    TRDMARKET_FIELD_NUMBER: _ClassVar[int]
    JPACCTYPE_FIELD_NUMBER: _ClassVar[int]
    trdEnv: int
    accID: int
    trdMarket: int
    jpAccType: int
    def __init__(self, trdEnv: _Optional[int] = ..., accID: _Optional[int] = ..., trdMarket: _Optional[int] = ..., jpAccType: _Optional[int] = ...) -> None: ...

class TrdAcc(_message.Message):
    __slots__ = ("trdEnv", "accID", "trdMarketAuthList", "accType", "cardNum", "securityFirm", "simAccType", "uniCardNum", "accStatus", "accRole", "jpAccType", "competitionAccName")
    TRDENV_FIELD_NUMBER: _ClassVar[int]
    ACCID_FIELD_NUMBER: _ClassVar[int]
    TRDMARKETAUTHLIST_FIELD_NUMBER: _ClassVar[int]
    ACCTYPE_FIELD_NUMBER: _ClassVar[int]
    CARDNUM_FIELD_NUMBER: _ClassVar[int]
    SECURITYFIRM_FIELD_NUMBER: _ClassVar[int]
    SIMACCTYPE_FIELD_NUMBER: _ClassVar[int]
    UNICARDNUM_FIELD_NUMBER: _ClassVar[int]
    ACCSTATUS_FIELD_NUMBER: _ClassVar[int]
    ACCROLE_FIELD_NUMBER: _ClassVar[int]
    JPACCTYPE_FIELD_NUMBER: _ClassVar[int]
    COMPETITIONACCNAME_FIELD_NUMBER: _ClassVar[int]
    trdEnv: int
    accID: int
    trdMarketAuthList: _containers.RepeatedScalarFieldContainer[int]
    accType: int
    cardNum: str
    securityFirm: int
    simAccType: int
    uniCardNum: str
    accStatus: int
    accRole: int
    jpAccType: _containers.RepeatedScalarFieldContainer[int]
    competitionAccName: str
    def __init__(self, trdEnv: _Optional[int] = ..., accID: _Optional[int] = ..., trdMarketAuthList: _Optional[_Iterable[int]] = ..., accType: _Optional[int] = ..., cardNum: _Optional[str] = ..., securityFirm: _Optional[int] = ..., simAccType: _Optional[int] = ..., uniCardNum: _Optional[str] = ..., accStatus: _Optional[int] = ..., accRole: _Optional[int] = ..., jpAccType: _Optional[_Iterable[int]] = ..., competitionAccName: _Optional[str] = ...) -> None: ...

class Funds(_message.Message):
    __slots__ = ("power", "totalAssets", "cash", "marketVal", "frozenCash", "debtCash", "avlWithdrawalCash", "currency", "availableFunds", "unrealizedPL", "realizedPL", "riskLevel", "initialMargin", "maintenanceMargin", "cashInfoList", "maxPowerShort", "netCashPower", "longMv", "shortMv", "pendingAsset", "maxWithdrawal", "riskStatus", "marginCallMargin", "isPdt", "pdtSeq", "beginningDTBP", "remainingDTBP", "dtCallAmount", "dtStatus", "securitiesAssets", "fundAssets", "bondAssets", "marketInfoList", "cryptoMv", "exposureLevel", "exposureLimit", "usedLimit", "remainingLimit")
    POWER_FIELD_NUMBER: _ClassVar[int]
    TOTALASSETS_FIELD_NUMBER: _ClassVar[int]
    CASH_FIELD_NUMBER: _ClassVar[int]
    MARKETVAL_FIELD_NUMBER: _ClassVar[int]
    FROZENCASH_FIELD_NUMBER: _ClassVar[int]
    DEBTCASH_FIELD_NUMBER: _ClassVar[int]
    AVLWITHDRAWALCASH_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    AVAILABLEFUNDS_FIELD_NUMBER: _ClassVar[int]
    UNREALIZEDPL_FIELD_NUMBER: _ClassVar[int]
    REALIZEDPL_FIELD_NUMBER: _ClassVar[int]
    RISKLEVEL_FIELD_NUMBER: _ClassVar[int]
    INITIALMARGIN_FIELD_NUMBER: _ClassVar[int]
    MAINTENANCEMARGIN_FIELD_NUMBER: _ClassVar[int]
    CASHINFOLIST_FIELD_NUMBER: _ClassVar[int]
    MAXPOWERSHORT_FIELD_NUMBER: _ClassVar[int]
    NETCASHPOWER_FIELD_NUMBER: _ClassVar[int]
    LONGMV_FIELD_NUMBER: _ClassVar[int]
    SHORTMV_FIELD_NUMBER: _ClassVar[int]
    PENDINGASSET_FIELD_NUMBER: _ClassVar[int]
    MAXWITHDRAWAL_FIELD_NUMBER: _ClassVar[int]
    RISKSTATUS_FIELD_NUMBER: _ClassVar[int]
    MARGINCALLMARGIN_FIELD_NUMBER: _ClassVar[int]
    ISPDT_FIELD_NUMBER: _ClassVar[int]
    PDTSEQ_FIELD_NUMBER: _ClassVar[int]
    BEGINNINGDTBP_FIELD_NUMBER: _ClassVar[int]
    REMAININGDTBP_FIELD_NUMBER: _ClassVar[int]
    DTCALLAMOUNT_FIELD_NUMBER: _ClassVar[int]
    DTSTATUS_FIELD_NUMBER: _ClassVar[int]
    SECURITIESASSETS_FIELD_NUMBER: _ClassVar[int]
    FUNDASSETS_FIELD_NUMBER: _ClassVar[int]
    BONDASSETS_FIELD_NUMBER: _ClassVar[int]
    MARKETINFOLIST_FIELD_NUMBER: _ClassVar[int]
    CRYPTOMV_FIELD_NUMBER: _ClassVar[int]
    EXPOSURELEVEL_FIELD_NUMBER: _ClassVar[int]
    EXPOSURELIMIT_FIELD_NUMBER: _ClassVar[int]
    USEDLIMIT_FIELD_NUMBER: _ClassVar[int]
    REMAININGLIMIT_FIELD_NUMBER: _ClassVar[int]
    power: float
    totalAssets: float
    cash: float
    marketVal: float
    frozenCash: float
    debtCash: float
    avlWithdrawalCash: float
    currency: int
    availableFunds: float
    unrealizedPL: float
    realizedPL: float
    riskLevel: int
    initialMargin: float
    maintenanceMargin: float
    cashInfoList: _containers.RepeatedCompositeFieldContainer[AccCashInfo]
    maxPowerShort: float
    netCashPower: float
    longMv: float
    shortMv: float
    pendingAsset: float
    maxWithdrawal: float
    riskStatus: int
    marginCallMargin: float
    isPdt: bool
    pdtSeq: str
    beginningDTBP: float
    remainingDTBP: float
    dtCallAmount: float
    dtStatus: int
    securitiesAssets: float
    fundAssets: float
    bondAssets: float
    marketInfoList: _containers.RepeatedCompositeFieldContainer[AccMarketInfo]
    cryptoMv: float
    exposureLevel: int
    exposureLimit: float
    usedLimit: float
    remainingLimit: float
    def __init__(self, power: _Optional[float] = ..., totalAssets: _Optional[float] = ..., cash: _Optional[float] = ..., marketVal: _Optional[float] = ..., frozenCash: _Optional[float] = ..., debtCash: _Optional[float] = ..., avlWithdrawalCash: _Optional[float] = ..., currency: _Optional[int] = ..., availableFunds: _Optional[float] = ..., unrealizedPL: _Optional[float] = ..., realizedPL: _Optional[float] = ..., riskLevel: _Optional[int] = ..., initialMargin: _Optional[float] = ..., maintenanceMargin: _Optional[float] = ..., cashInfoList: _Optional[_Iterable[_Union[AccCashInfo, _Mapping]]] = ..., maxPowerShort: _Optional[float] = ..., netCashPower: _Optional[float] = ..., longMv: _Optional[float] = ..., shortMv: _Optional[float] = ..., pendingAsset: _Optional[float] = ..., maxWithdrawal: _Optional[float] = ..., riskStatus: _Optional[int] = ..., marginCallMargin: _Optional[float] = ..., isPdt: _Optional[bool] = ..., pdtSeq: _Optional[str] = ..., beginningDTBP: _Optional[float] = ..., remainingDTBP: _Optional[float] = ..., dtCallAmount: _Optional[float] = ..., dtStatus: _Optional[int] = ..., securitiesAssets: _Optional[float] = ..., fundAssets: _Optional[float] = ..., bondAssets: _Optional[float] = ..., marketInfoList: _Optional[_Iterable[_Union[AccMarketInfo, _Mapping]]] = ..., cryptoMv: _Optional[float] = ..., exposureLevel: _Optional[int] = ..., exposureLimit: _Optional[float] = ..., usedLimit: _Optional[float] = ..., remainingLimit: _Optional[float] = ...) -> None: ...

class Position(_message.Message):
    __slots__ = ("positionID", "positionSide", "code", "name", "qty", "canSellQty", "price", "costPrice", "val", "plVal", "plRatio", "secMarket", "td_plVal", "td_trdVal", "td_buyVal", "td_buyQty", "td_sellVal", "td_sellQty", "unrealizedPL", "realizedPL", "currency", "trdMarket", "dilutedCostPrice", "averageCostPrice", "averagePlRatio", "comboID", "strategyType", "positionType", "accID", "jpAccType", "payoutIfWin")
    POSITIONID_FIELD_NUMBER: _ClassVar[int]
    POSITIONSIDE_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    QTY_FIELD_NUMBER: _ClassVar[int]
    CANSELLQTY_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    COSTPRICE_FIELD_NUMBER: _ClassVar[int]
    VAL_FIELD_NUMBER: _ClassVar[int]
    PLVAL_FIELD_NUMBER: _ClassVar[int]
    PLRATIO_FIELD_NUMBER: _ClassVar[int]
    SECMARKET_FIELD_NUMBER: _ClassVar[int]
    TD_PLVAL_FIELD_NUMBER: _ClassVar[int]
    TD_TRDVAL_FIELD_NUMBER: _ClassVar[int]
    TD_BUYVAL_FIELD_NUMBER: _ClassVar[int]
    TD_BUYQTY_FIELD_NUMBER: _ClassVar[int]
    TD_SELLVAL_FIELD_NUMBER: _ClassVar[int]
    TD_SELLQTY_FIELD_NUMBER: _ClassVar[int]
    UNREALIZEDPL_FIELD_NUMBER: _ClassVar[int]
    REALIZEDPL_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    TRDMARKET_FIELD_NUMBER: _ClassVar[int]
    DILUTEDCOSTPRICE_FIELD_NUMBER: _ClassVar[int]
    AVERAGECOSTPRICE_FIELD_NUMBER: _ClassVar[int]
    AVERAGEPLRATIO_FIELD_NUMBER: _ClassVar[int]
    COMBOID_FIELD_NUMBER: _ClassVar[int]
    STRATEGYTYPE_FIELD_NUMBER: _ClassVar[int]
    POSITIONTYPE_FIELD_NUMBER: _ClassVar[int]
    ACCID_FIELD_NUMBER: _ClassVar[int]
    JPACCTYPE_FIELD_NUMBER: _ClassVar[int]
    PAYOUTIFWIN_FIELD_NUMBER: _ClassVar[int]
    positionID: int
    positionSide: int
    code: str
    name: str
    qty: float
    canSellQty: float
    price: float
    costPrice: float
    val: float
    plVal: float
    plRatio: float
    secMarket: int
    td_plVal: float
    td_trdVal: float
    td_buyVal: float
    td_buyQty: float
    td_sellVal: float
    td_sellQty: float
    unrealizedPL: float
    realizedPL: float
    currency: int
    trdMarket: int
    dilutedCostPrice: float
    averageCostPrice: float
    averagePlRatio: float
    comboID: int
    strategyType: int
    positionType: int
    accID: int
    jpAccType: int
    payoutIfWin: float
    def __init__(self, positionID: _Optional[int] = ..., positionSide: _Optional[int] = ..., code: _Optional[str] = ..., name: _Optional[str] = ..., qty: _Optional[float] = ..., canSellQty: _Optional[float] = ..., price: _Optional[float] = ..., costPrice: _Optional[float] = ..., val: _Optional[float] = ..., plVal: _Optional[float] = ..., plRatio: _Optional[float] = ..., secMarket: _Optional[int] = ..., td_plVal: _Optional[float] = ..., td_trdVal: _Optional[float] = ..., td_buyVal: _Optional[float] = ..., td_buyQty: _Optional[float] = ..., td_sellVal: _Optional[float] = ..., td_sellQty: _Optional[float] = ..., unrealizedPL: _Optional[float] = ..., realizedPL: _Optional[float] = ..., currency: _Optional[int] = ..., trdMarket: _Optional[int] = ..., dilutedCostPrice: _Optional[float] = ..., averageCostPrice: _Optional[float] = ..., averagePlRatio: _Optional[float] = ..., comboID: _Optional[int] = ..., strategyType: _Optional[int] = ..., positionType: _Optional[int] = ..., accID: _Optional[int] = ..., jpAccType: _Optional[int] = ..., payoutIfWin: _Optional[float] = ...) -> None: ...

class Order(_message.Message):
    __slots__ = ("trdSide", "orderType", "orderStatus", "orderID", "orderIDEx", "code", "name", "qty", "price", "createTime", "updateTime", "fillQty", "fillAvgPrice", "lastErrMsg", "secMarket", "createTimestamp", "updateTimestamp", "remark", "timeInForce", "fillOutsideRTH", "auxPrice", "trailType", "trailValue", "trailSpread", "currency", "trdMarket", "session", "jpAccType", "expireTime", "orderAmount", "strategyType", "comboLegs")
    TRDSIDE_FIELD_NUMBER: _ClassVar[int]
    ORDERTYPE_FIELD_NUMBER: _ClassVar[int]
    ORDERSTATUS_FIELD_NUMBER: _ClassVar[int]
    ORDERID_FIELD_NUMBER: _ClassVar[int]
    ORDERIDEX_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    QTY_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    CREATETIME_FIELD_NUMBER: _ClassVar[int]
    UPDATETIME_FIELD_NUMBER: _ClassVar[int]
    FILLQTY_FIELD_NUMBER: _ClassVar[int]
    FILLAVGPRICE_FIELD_NUMBER: _ClassVar[int]
    LASTERRMSG_FIELD_NUMBER: _ClassVar[int]
    SECMARKET_FIELD_NUMBER: _ClassVar[int]
    CREATETIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    UPDATETIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    REMARK_FIELD_NUMBER: _ClassVar[int]
    TIMEINFORCE_FIELD_NUMBER: _ClassVar[int]
    FILLOUTSIDERTH_FIELD_NUMBER: _ClassVar[int]
    AUXPRICE_FIELD_NUMBER: _ClassVar[int]
    TRAILTYPE_FIELD_NUMBER: _ClassVar[int]
    TRAILVALUE_FIELD_NUMBER: _ClassVar[int]
    TRAILSPREAD_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    TRDMARKET_FIELD_NUMBER: _ClassVar[int]
    SESSION_FIELD_NUMBER: _ClassVar[int]
    JPACCTYPE_FIELD_NUMBER: _ClassVar[int]
    EXPIRETIME_FIELD_NUMBER: _ClassVar[int]
    ORDERAMOUNT_FIELD_NUMBER: _ClassVar[int]
    STRATEGYTYPE_FIELD_NUMBER: _ClassVar[int]
    COMBOLEGS_FIELD_NUMBER: _ClassVar[int]
    trdSide: int
    orderType: int
    orderStatus: int
    orderID: int
    orderIDEx: str
    code: str
    name: str
    qty: float
    price: float
    createTime: str
    updateTime: str
    fillQty: float
    fillAvgPrice: float
    lastErrMsg: str
    secMarket: int
    createTimestamp: float
    updateTimestamp: float
    remark: str
    timeInForce: int
    fillOutsideRTH: bool
    auxPrice: float
    trailType: int
    trailValue: float
    trailSpread: float
    currency: int
    trdMarket: int
    session: int
    jpAccType: int
    expireTime: str
    orderAmount: float
    strategyType: int
    comboLegs: _containers.RepeatedCompositeFieldContainer[_Qot_Common_pb2.ComboLeg]
    def __init__(self, trdSide: _Optional[int] = ..., orderType: _Optional[int] = ..., orderStatus: _Optional[int] = ..., orderID: _Optional[int] = ..., orderIDEx: _Optional[str] = ..., code: _Optional[str] = ..., name: _Optional[str] = ..., qty: _Optional[float] = ..., price: _Optional[float] = ..., createTime: _Optional[str] = ..., updateTime: _Optional[str] = ..., fillQty: _Optional[float] = ..., fillAvgPrice: _Optional[float] = ..., lastErrMsg: _Optional[str] = ..., secMarket: _Optional[int] = ..., createTimestamp: _Optional[float] = ..., updateTimestamp: _Optional[float] = ..., remark: _Optional[str] = ..., timeInForce: _Optional[int] = ..., fillOutsideRTH: _Optional[bool] = ..., auxPrice: _Optional[float] = ..., trailType: _Optional[int] = ..., trailValue: _Optional[float] = ..., trailSpread: _Optional[float] = ..., currency: _Optional[int] = ..., trdMarket: _Optional[int] = ..., session: _Optional[int] = ..., jpAccType: _Optional[int] = ..., expireTime: _Optional[str] = ..., orderAmount: _Optional[float] = ..., strategyType: _Optional[int] = ..., comboLegs: _Optional[_Iterable[_Union[_Qot_Common_pb2.ComboLeg, _Mapping]]] = ...) -> None: ...

class OrderFeeItem(_message.Message):
    __slots__ = ("title", "value")
    TITLE_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    title: str
    value: float
    def __init__(self, title: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...

class OrderFee(_message.Message):
    __slots__ = ("orderIDEx", "feeAmount", "feeList")
    ORDERIDEX_FIELD_NUMBER: _ClassVar[int]
    FEEAMOUNT_FIELD_NUMBER: _ClassVar[int]
    FEELIST_FIELD_NUMBER: _ClassVar[int]
    orderIDEx: str
    feeAmount: float
    feeList: _containers.RepeatedCompositeFieldContainer[OrderFeeItem]
    def __init__(self, orderIDEx: _Optional[str] = ..., feeAmount: _Optional[float] = ..., feeList: _Optional[_Iterable[_Union[OrderFeeItem, _Mapping]]] = ...) -> None: ...

class OrderFill(_message.Message):
    __slots__ = ("trdSide", "fillID", "fillIDEx", "orderID", "orderIDEx", "code", "name", "qty", "price", "createTime", "counterBrokerID", "counterBrokerName", "secMarket", "createTimestamp", "updateTimestamp", "status", "trdMarket", "jpAccType")
    TRDSIDE_FIELD_NUMBER: _ClassVar[int]
    FILLID_FIELD_NUMBER: _ClassVar[int]
    FILLIDEX_FIELD_NUMBER: _ClassVar[int]
    ORDERID_FIELD_NUMBER: _ClassVar[int]
    ORDERIDEX_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    QTY_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    CREATETIME_FIELD_NUMBER: _ClassVar[int]
    COUNTERBROKERID_FIELD_NUMBER: _ClassVar[int]
    COUNTERBROKERNAME_FIELD_NUMBER: _ClassVar[int]
    SECMARKET_FIELD_NUMBER: _ClassVar[int]
    CREATETIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    UPDATETIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    TRDMARKET_FIELD_NUMBER: _ClassVar[int]
    JPACCTYPE_FIELD_NUMBER: _ClassVar[int]
    trdSide: int
    fillID: int
    fillIDEx: str
    orderID: int
    orderIDEx: str
    code: str
    name: str
    qty: float
    price: float
    createTime: str
    counterBrokerID: int
    counterBrokerName: str
    secMarket: int
    createTimestamp: float
    updateTimestamp: float
    status: int
    trdMarket: int
    jpAccType: int
    def __init__(self, trdSide: _Optional[int] = ..., fillID: _Optional[int] = ..., fillIDEx: _Optional[str] = ..., orderID: _Optional[int] = ..., orderIDEx: _Optional[str] = ..., code: _Optional[str] = ..., name: _Optional[str] = ..., qty: _Optional[float] = ..., price: _Optional[float] = ..., createTime: _Optional[str] = ..., counterBrokerID: _Optional[int] = ..., counterBrokerName: _Optional[str] = ..., secMarket: _Optional[int] = ..., createTimestamp: _Optional[float] = ..., updateTimestamp: _Optional[float] = ..., status: _Optional[int] = ..., trdMarket: _Optional[int] = ..., jpAccType: _Optional[int] = ...) -> None: ...

class MaxTrdQtys(_message.Message):
    __slots__ = ("maxCashBuy", "maxCashAndMarginBuy", "maxPositionSell", "maxSellShort", "maxBuyBack", "longRequiredIM", "shortRequiredIM", "session")
    MAXCASHBUY_FIELD_NUMBER: _ClassVar[int]
    MAXCASHANDMARGINBUY_FIELD_NUMBER: _ClassVar[int]
    MAXPOSITIONSELL_FIELD_NUMBER: _ClassVar[int]
    MAXSELLSHORT_FIELD_NUMBER: _ClassVar[int]
    MAXBUYBACK_FIELD_NUMBER: _ClassVar[int]
    LONGREQUIREDIM_FIELD_NUMBER: _ClassVar[int]
    SHORTREQUIREDIM_FIELD_NUMBER: _ClassVar[int]
    SESSION_FIELD_NUMBER: _ClassVar[int]
    maxCashBuy: float
    maxCashAndMarginBuy: float
    maxPositionSell: float
    maxSellShort: float
    maxBuyBack: float
    longRequiredIM: float
    shortRequiredIM: float
    session: int
    def __init__(self, maxCashBuy: _Optional[float] = ..., maxCashAndMarginBuy: _Optional[float] = ..., maxPositionSell: _Optional[float] = ..., maxSellShort: _Optional[float] = ..., maxBuyBack: _Optional[float] = ..., longRequiredIM: _Optional[float] = ..., shortRequiredIM: _Optional[float] = ..., session: _Optional[int] = ...) -> None: ...

class ComboMaxTrdQtys(_message.Message):
    __slots__ = ("nlvChange", "initialMarginChange", "maintenanceMarginChange", "optionBuyPower", "maxWithDrawChange", "buyPowerDecrease")
    NLVCHANGE_FIELD_NUMBER: _ClassVar[int]
    INITIALMARGINCHANGE_FIELD_NUMBER: _ClassVar[int]
    MAINTENANCEMARGINCHANGE_FIELD_NUMBER: _ClassVar[int]
    OPTIONBUYPOWER_FIELD_NUMBER: _ClassVar[int]
    MAXWITHDRAWCHANGE_FIELD_NUMBER: _ClassVar[int]
    BUYPOWERDECREASE_FIELD_NUMBER: _ClassVar[int]
    nlvChange: float
    initialMarginChange: float
    maintenanceMarginChange: float
    optionBuyPower: float
    maxWithDrawChange: float
    buyPowerDecrease: float
    def __init__(self, nlvChange: _Optional[float] = ..., initialMarginChange: _Optional[float] = ..., maintenanceMarginChange: _Optional[float] = ..., optionBuyPower: _Optional[float] = ..., maxWithDrawChange: _Optional[float] = ..., buyPowerDecrease: _Optional[float] = ...) -> None: ...

class TrdFilterConditions(_message.Message):
    __slots__ = ("codeList", "idList", "beginTime", "endTime", "orderIDExList", "filterMarket")
    CODELIST_FIELD_NUMBER: _ClassVar[int]
    IDLIST_FIELD_NUMBER: _ClassVar[int]
    BEGINTIME_FIELD_NUMBER: _ClassVar[int]
    ENDTIME_FIELD_NUMBER: _ClassVar[int]
    ORDERIDEXLIST_FIELD_NUMBER: _ClassVar[int]
    FILTERMARKET_FIELD_NUMBER: _ClassVar[int]
    codeList: _containers.RepeatedScalarFieldContainer[str]
    idList: _containers.RepeatedScalarFieldContainer[int]
    beginTime: str
    endTime: str
    orderIDExList: _containers.RepeatedScalarFieldContainer[str]
    filterMarket: int
    def __init__(self, codeList: _Optional[_Iterable[str]] = ..., idList: _Optional[_Iterable[int]] = ..., beginTime: _Optional[str] = ..., endTime: _Optional[str] = ..., orderIDExList: _Optional[_Iterable[str]] = ..., filterMarket: _Optional[int] = ...) -> None: ...
