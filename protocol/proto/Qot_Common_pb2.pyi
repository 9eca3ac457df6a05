from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class QotMarket(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    QotMarket_Unknown: _ClassVar[QotMarket]
    QotMarket_HK_Security: _ClassVar[QotMarket]
    QotMarket_HK_Future: _ClassVar[QotMarket]
    QotMarket_US_Security: _ClassVar[QotMarket]
    QotMarket_CNSH_Security: _ClassVar[QotMarket]
    QotMarket_CNSZ_Security: _ClassVar[QotMarket]
    QotMarket_SG_Security: _ClassVar[QotMarket]
    QotMarket_JP_Security: _ClassVar[QotMarket]
    QotMarket_AU_Security: _ClassVar[QotMarket]
    QotMarket_MY_Security: _ClassVar[QotMarket]
    QotMarket_CA_Security: _ClassVar[QotMarket]
    QotMarket_FX_Security: _ClassVar[QotMarket]
    QotMarket_CC_Security: _ClassVar[QotMarket]
    QotMarket_EventContract: _ClassVar[QotMarket]

class SecurityType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SecurityType_Unknown: _ClassVar[SecurityType]
    SecurityType_Bond: _ClassVar[SecurityType]
    SecurityType_Bwrt: _ClassVar[SecurityType]
    SecurityType_Eqty: _ClassVar[SecurityType]
    SecurityType_Trust: _ClassVar[SecurityType]
    SecurityType_Warrant: _ClassVar[SecurityType]
    SecurityType_Index: _ClassVar[SecurityType]
    SecurityType_Plate: _ClassVar[SecurityType]
    SecurityType_Drvt: _ClassVar[SecurityType]
    SecurityType_PlateSet: _ClassVar[SecurityType]
    SecurityType_Future: _ClassVar[SecurityType]
    SecurityType_Forex: _ClassVar[SecurityType]
    SecurityType_Crypto: _ClassVar[SecurityType]

class PlateSetType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PlateSetType_All: _ClassVar[PlateSetType]
    PlateSetType_Industry: _ClassVar[PlateSetType]
    PlateSetType_Region: _ClassVar[PlateSetType]
    PlateSetType_Concept: _ClassVar[PlateSetType]
    PlateSetType_Other: _ClassVar[PlateSetType]

class WarrantType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    WarrantType_Unknown: _ClassVar[WarrantType]
    WarrantType_Buy: _ClassVar[WarrantType]
    WarrantType_Sell: _ClassVar[WarrantType]
    WarrantType_Bull: _ClassVar[WarrantType]
    WarrantType_Bear: _ClassVar[WarrantType]
    WarrantType_InLine: _ClassVar[WarrantType]

class OptionType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    OptionType_Unknown: _ClassVar[OptionType]
    OptionType_Call: _ClassVar[OptionType]
    OptionType_Put: _ClassVar[OptionType]

class IndexOptionType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    IndexOptionType_Unknown: _ClassVar[IndexOptionType]
    IndexOptionType_Normal: _ClassVar[IndexOptionType]
    IndexOptionType_Small: _ClassVar[IndexOptionType]

class OptionAreaType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    OptionAreaType_Unknown: _ClassVar[OptionAreaType]
    OptionAreaType_American: _ClassVar[OptionAreaType]
    OptionAreaType_European: _ClassVar[OptionAreaType]
    OptionAreaType_Bermuda: _ClassVar[OptionAreaType]

class QotMarketState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    QotMarketState_None: _ClassVar[QotMarketState]
    QotMarketState_Auction: _ClassVar[QotMarketState]
    QotMarketState_WaitingOpen: _ClassVar[QotMarketState]
    QotMarketState_Morning: _ClassVar[QotMarketState]
    QotMarketState_Rest: _ClassVar[QotMarketState]
    QotMarketState_Afternoon: _ClassVar[QotMarketState]
    QotMarketState_Closed: _ClassVar[QotMarketState]
    QotMarketState_PreMarketBegin: _ClassVar[QotMarketState]
    QotMarketState_PreMarketEnd: _ClassVar[QotMarketState]
    QotMarketState_AfterHoursBegin: _ClassVar[QotMarketState]
    QotMarketState_AfterHoursEnd: _ClassVar[QotMarketState]
    QotMarketState_FUTU_SWITCH_DATE: _ClassVar[QotMarketState]
    QotMarketState_NightOpen: _ClassVar[QotMarketState]
    QotMarketState_NightEnd: _ClassVar[QotMarketState]
    QotMarketState_FutureDayOpen: _ClassVar[QotMarketState]
    QotMarketState_FutureDayBreak: _ClassVar[QotMarketState]
    QotMarketState_FutureDayClose: _ClassVar[QotMarketState]
    QotMarketState_FutureDayWaitForOpen: _ClassVar[QotMarketState]
    QotMarketState_HkCas: _ClassVar[QotMarketState]
    QotMarketState_FutureNightWait: _ClassVar[QotMarketState]
    QotMarketState_FutureAfternoon: _ClassVar[QotMarketState]
    QotMarketState_FutureSwitchDate: _ClassVar[QotMarketState]
    QotMarketState_FutureOpen: _ClassVar[QotMarketState]
    QotMarketState_FutureBreak: _ClassVar[QotMarketState]
    QotMarketState_FutureBreakOver: _ClassVar[QotMarketState]
    QotMarketState_FutureClose: _ClassVar[QotMarketState]
    QotMarketState_StibAfterHoursWait: _ClassVar[QotMarketState]
    QotMarketState_AShareAfterHoursWait: _ClassVar[QotMarketState]
    QotMarketState_StibAfterHoursBegin: _ClassVar[QotMarketState]
    QotMarketState_AShareAfterHoursBegin: _ClassVar[QotMarketState]
    QotMarketState_StibAfterHoursEnd: _ClassVar[QotMarketState]
    QotMarketState_AShareAfterHoursEnd: _ClassVar[QotMarketState]
    QotMarketState_CLOSE_AUCTION: _ClassVar[QotMarketState]
    QotMarketState_AFTERNOON_END: _ClassVar[QotMarketState]
    QotMarketState_NIGHT: _ClassVar[QotMarketState]
    QotMarketState_OVERNIGHT_BEGIN: _ClassVar[QotMarketState]
    QotMarketState_OVERNIGHT_END: _ClassVar[QotMarketState]
    QotMarketState_TRADE_AT_LAST: _ClassVar[QotMarketState]
    QotMarketState_TRADE_AUCTION: _ClassVar[QotMarketState]
    QotMarketState_OVERNIGHT: _ClassVar[QotMarketState]

class TradeDateMarket(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TradeDateMarket_Unknown: _ClassVar[TradeDateMarket]
    TradeDateMarket_HK: _ClassVar[TradeDateMarket]
    TradeDateMarket_US: _ClassVar[TradeDateMarket]
    TradeDateMarket_CN: _ClassVar[TradeDateMarket]
    TradeDateMarket_NT: _ClassVar[TradeDateMarket]
    TradeDateMarket_ST: _ClassVar[TradeDateMarket]
    TradeDateMarket_JP_Future: _ClassVar[TradeDateMarket]
    TradeDateMarket_SG_Future: _ClassVar[TradeDateMarket]
    TradeDateMarket_SG: _ClassVar[TradeDateMarket]
    TradeDateMarket_MY: _ClassVar[TradeDateMarket]
    TradeDateMarket_JP: _ClassVar[TradeDateMarket]

class TradeDateType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TradeDateType_Whole: _ClassVar[TradeDateType]
    TradeDateType_Morning: _ClassVar[TradeDateType]
    TradeDateType_Afternoon: _ClassVar[TradeDateType]

class RehabType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RehabType_None: _ClassVar[RehabType]
    RehabType_Forward: _ClassVar[RehabType]
    RehabType_Backward: _ClassVar[RehabType]

class KLType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    KLType_Unknown: _ClassVar[KLType]
    KLType_1Min: _ClassVar[KLType]
    KLType_Day: _ClassVar[KLType]
    KLType_Week: _ClassVar[KLType]
    KLType_Month: _ClassVar[KLType]
    KLType_Year: _ClassVar[KLType]
    KLType_5Min: _ClassVar[KLType]
    KLType_15Min: _ClassVar[KLType]
    KLType_30Min: _ClassVar[KLType]
    KLType_60Min: _ClassVar[KLType]
    KLType_3Min: _ClassVar[KLType]
    KLType_Quarter: _ClassVar[KLType]
    KLType_10Min: _ClassVar[KLType]
    KLType_120Min: _ClassVar[KLType]
    KLType_180Min: _ClassVar[KLType]
    KLType_240Min: _ClassVar[KLType]

class KLFields(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    KLFields_None: _ClassVar[KLFields]
    KLFields_High: _ClassVar[KLFields]
    KLFields_Open: _ClassVar[KLFields]
    KLFields_Low: _ClassVar[KLFields]
    KLFields_Close: _ClassVar[KLFields]
    KLFields_LastClose: _ClassVar[KLFields]
    KLFields_Volume: _ClassVar[KLFields]
    KLFields_Turnover: _ClassVar[KLFields]
    KLFields_TurnoverRate: _ClassVar[KLFields]
    KLFields_PE: _ClassVar[KLFields]
    KLFields_ChangeRate: _ClassVar[KLFields]

class SubType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SubType_None: _ClassVar[SubType]
    SubType_Basic: _ClassVar[SubType]
    SubType_OrderBook: _ClassVar[SubType]
    SubType_Ticker: _ClassVar[SubType]
    SubType_RT: _ClassVar[SubType]
    SubType_KL_Day: _ClassVar[SubType]
    SubType_KL_5Min: _ClassVar[SubType]
    SubType_KL_15Min: _ClassVar[SubType]
    SubType_KL_30Min: _ClassVar[SubType]
    SubType_KL_60Min: _ClassVar[SubType]
    SubType_KL_1Min: _ClassVar[SubType]
    SubType_KL_Week: _ClassVar[SubType]
    SubType_KL_Month: _ClassVar[SubType]
    SubType_Broker: _ClassVar[SubType]
    SubType_KL_Qurater: _ClassVar[SubType]
    SubType_KL_Year: _ClassVar[SubType]
    SubType_KL_3Min: _ClassVar[SubType]
    SubType_KL_10Min: _ClassVar[SubType]
    SubType_KL_120Min: _ClassVar[SubType]
    SubType_KL_180Min: _ClassVar[SubType]
    SubType_KL_240Min: _ClassVar[SubType]
    SubType_OrderBook_Odd: _ClassVar[SubType]

class OrderBookType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    OrderBookType_Normal: _ClassVar[OrderBookType]
    OrderBookType_Odd: _ClassVar[OrderBookType]

class TickerDirection(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TickerDirection_Unknown: _ClassVar[TickerDirection]
    TickerDirection_Bid: _ClassVar[TickerDirection]
    TickerDirection_Ask: _ClassVar[TickerDirection]
    TickerDirection_Neutral: _ClassVar[TickerDirection]

class TickerType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TickerType_Unknown: _ClassVar[TickerType]
    TickerType_Automatch: _ClassVar[TickerType]
    TickerType_Late: _ClassVar[TickerType]
    TickerType_NoneAutomatch: _ClassVar[TickerType]
    TickerType_InterAutomatch: _ClassVar[TickerType]
    TickerType_InterNoneAutomatch: _ClassVar[TickerType]
    TickerType_OddLot: _ClassVar[TickerType]
    TickerType_Auction: _ClassVar[TickerType]
    TickerType_Bulk: _ClassVar[TickerType]
    TickerType_Crash: _ClassVar[TickerType]
    TickerType_CrossMarket: _ClassVar[TickerType]
    TickerType_BulkSold: _ClassVar[TickerType]
    TickerType_FreeOnBoard: _ClassVar[TickerType]
    TickerType_Rule127Or155: _ClassVar[TickerType]
    TickerType_Delay: _ClassVar[TickerType]
    TickerType_MarketCenterClosePrice: _ClassVar[TickerType]
    TickerType_NextDay: _ClassVar[TickerType]
    TickerType_MarketCenterOpening: _ClassVar[TickerType]
    TickerType_PriorReferencePrice: _ClassVar[TickerType]
    TickerType_MarketCenterOpenPrice: _ClassVar[TickerType]
    TickerType_Seller: _ClassVar[TickerType]
    TickerType_T: _ClassVar[TickerType]
    TickerType_ExtendedTradingHours: _ClassVar[TickerType]
    TickerType_Contingent: _ClassVar[TickerType]
    TickerType_AvgPrice: _ClassVar[TickerType]
    TickerType_OTCSold: _ClassVar[TickerType]
    TickerType_OddLotCrossMarket: _ClassVar[TickerType]
    TickerType_DerivativelyPriced: _ClassVar[TickerType]
    TickerType_ReOpeningPriced: _ClassVar[TickerType]
    TickerType_ClosingPriced: _ClassVar[TickerType]
    TickerType_ComprehensiveDelayPrice: _ClassVar[TickerType]
    TickerType_Overseas: _ClassVar[TickerType]

class DarkStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DarkStatus_None: _ClassVar[DarkStatus]
    DarkStatus_Trading: _ClassVar[DarkStatus]
    DarkStatus_End: _ClassVar[DarkStatus]

class SecurityStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SecurityStatus_Unknown: _ClassVar[SecurityStatus]
    SecurityStatus_Normal: _ClassVar[SecurityStatus]
    SecurityStatus_Listing: _ClassVar[SecurityStatus]
    SecurityStatus_Purchasing: _ClassVar[SecurityStatus]
    SecurityStatus_Subscribing: _ClassVar[SecurityStatus]
    SecurityStatus_BeforeDrakTradeOpening: _ClassVar[SecurityStatus]
    SecurityStatus_DrakTrading: _ClassVar[SecurityStatus]
    SecurityStatus_DrakTradeEnd: _ClassVar[SecurityStatus]
    SecurityStatus_ToBeOpen: _ClassVar[SecurityStatus]
    SecurityStatus_Suspended: _ClassVar[SecurityStatus]
    SecurityStatus_Called: _ClassVar[SecurityStatus]
    SecurityStatus_ExpiredLastTradingDate: _ClassVar[SecurityStatus]
    SecurityStatus_Expired: _ClassVar[SecurityStatus]
    SecurityStatus_Delisted: _ClassVar[SecurityStatus]
    SecurityStatus_ChangeToTemporaryCode: _ClassVar[SecurityStatus]
    SecurityStatus_TemporaryCodeTradeEnd: _ClassVar[SecurityStatus]
    SecurityStatus_ChangedPlateTradeEnd: _ClassVar[SecurityStatus]
    SecurityStatus_ChangedCodeTradeEnd: _ClassVar[SecurityStatus]
    SecurityStatus_RecoverableCircuitBreaker: _ClassVar[SecurityStatus]
    SecurityStatus_UnRecoverableCircuitBreaker: _ClassVar[SecurityStatus]
    SecurityStatus_AfterCombination: _ClassVar[SecurityStatus]
    SecurityStatus_AfterTransation: _ClassVar[SecurityStatus]

class HolderCategory(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    HolderCategory_Unknow: _ClassVar[HolderCategory]
    HolderCategory_Agency: _ClassVar[HolderCategory]
    HolderCategory_Fund: _ClassVar[HolderCategory]
    HolderCategory_SeniorManager: _ClassVar[HolderCategory]

class PushDataType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PushDataType_Unknow: _ClassVar[PushDataType]
    PushDataType_Realtime: _ClassVar[PushDataType]
    PushDataType_ByDisConn: _ClassVar[PushDataType]
    PushDataType_Cache: _ClassVar[PushDataType]

class SortField(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SortField_Unknow: _ClassVar[SortField]
    SortField_Code: _ClassVar[SortField]
    SortField_CurPrice: _ClassVar[SortField]
    SortField_PriceChangeVal: _ClassVar[SortField]
    SortField_ChangeRate: _ClassVar[SortField]
    SortField_Status: _ClassVar[SortField]
    SortField_BidPrice: _ClassVar[SortField]
    SortField_AskPrice: _ClassVar[SortField]
    SortField_BidVol: _ClassVar[SortField]
    SortField_AskVol: _ClassVar[SortField]
    SortField_Volume: _ClassVar[SortField]
    SortField_Turnover: _ClassVar[SortField]
    SortField_Amplitude: _ClassVar[SortField]
    SortField_Score: _ClassVar[SortField]
    SortField_Premium: _ClassVar[SortField]
    SortField_EffectiveLeverage: _ClassVar[SortField]
    SortField_Delta: _ClassVar[SortField]
    SortField_ImpliedVolatility: _ClassVar[SortField]
    SortField_Type: _ClassVar[SortField]
    SortField_StrikePrice: _ClassVar[SortField]
    SortField_BreakEvenPoint: _ClassVar[SortField]
    SortField_MaturityTime: _ClassVar[SortField]
    SortField_ListTime: _ClassVar[SortField]
    SortField_LastTradeTime: _ClassVar[SortField]
    SortField_Leverage: _ClassVar[SortField]
    SortField_InOutMoney: _ClassVar[SortField]
    SortField_RecoveryPrice: _ClassVar[SortField]
    SortField_ChangePrice: _ClassVar[SortField]
    SortField_Change: _ClassVar[SortField]
    SortField_StreetRate: _ClassVar[SortField]
    SortField_StreetVol: _ClassVar[SortField]
    SortField_WarrantName: _ClassVar[SortField]
    SortField_Issuer: _ClassVar[SortField]
    SortField_LotSize: _ClassVar[SortField]
    SortField_IssueSize: _ClassVar[SortField]
    SortField_UpperStrikePrice: _ClassVar[SortField]
    SortField_LowerStrikePrice: _ClassVar[SortField]
    SortField_InLinePriceStatus: _ClassVar[SortField]
    SortField_PreCurPrice: _ClassVar[SortField]
    SortField_AfterCurPrice: _ClassVar[SortField]
    SortField_PrePriceChangeVal: _ClassVar[SortField]
    SortField_AfterPriceChangeVal: _ClassVar[SortField]
    SortField_PreChangeRate: _ClassVar[SortField]
    SortField_AfterChangeRate: _ClassVar[SortField]
    SortField_PreAmplitude: _ClassVar[SortField]
    SortField_AfterAmplitude: _ClassVar[SortField]
    SortField_PreTurnover: _ClassVar[SortField]
    SortField_AfterTurnover: _ClassVar[SortField]
    SortField_LastSettlePrice: _ClassVar[SortField]
    SortField_Position: _ClassVar[SortField]
    SortField_PositionChange: _ClassVar[SortField]
    SortField_MarketCap: _ClassVar[SortField]
    SortField_Valuation: _ClassVar[SortField]
    SortField_ForwardValuation: _ClassVar[SortField]
    SortField_HistoricalPercentile: _ClassVar[SortField]
    SortField_HolderQuantity: _ClassVar[SortField]
    SortField_ShareChangeNum: _ClassVar[SortField]
    SortField_HoldingDate: _ClassVar[SortField]
    SortField_HolderPctChange: _ClassVar[SortField]
    SortField_HolderChangeAmount: _ClassVar[SortField]
    SortField_HolderPct: _ClassVar[SortField]

class SortType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SortType_Unknown: _ClassVar[SortType]
    SortType_Desc: _ClassVar[SortType]
    SortType_Asc: _ClassVar[SortType]

class Issuer(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    Issuer_Unknow: _ClassVar[Issuer]
    Issuer_SG: _ClassVar[Issuer]
    Issuer_BP: _ClassVar[Issuer]
    Issuer_CS: _ClassVar[Issuer]
    Issuer_CT: _ClassVar[Issuer]
    Issuer_EA: _ClassVar[Issuer]
    Issuer_GS: _ClassVar[Issuer]
    Issuer_HS: _ClassVar[Issuer]
    Issuer_JP: _ClassVar[Issuer]
    Issuer_MB: _ClassVar[Issuer]
    Issuer_SC: _ClassVar[Issuer]
    Issuer_UB: _ClassVar[Issuer]
    Issuer_BI: _ClassVar[Issuer]
    Issuer_DB: _ClassVar[Issuer]
    Issuer_DC: _ClassVar[Issuer]
    Issuer_ML: _ClassVar[Issuer]
    Issuer_NM: _ClassVar[Issuer]
    Issuer_RB: _ClassVar[Issuer]
    Issuer_RS: _ClassVar[Issuer]
    Issuer_BC: _ClassVar[Issuer]
    Issuer_HT: _ClassVar[Issuer]
    Issuer_VT: _ClassVar[Issuer]
    Issuer_KC: _ClassVar[Issuer]
    Issuer_MS: _ClassVar[Issuer]
    Issuer_GJ: _ClassVar[Issuer]
    Issuer_XZ: _ClassVar[Issuer]
    Issuer_HU: _ClassVar[Issuer]
    Issuer_KS: _ClassVar[Issuer]
    Issuer_CI: _ClassVar[Issuer]

class IpoPeriod(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    IpoPeriod_Unknow: _ClassVar[IpoPeriod]
    IpoPeriod_Today: _ClassVar[IpoPeriod]
    IpoPeriod_Tomorrow: _ClassVar[IpoPeriod]
    IpoPeriod_Nextweek: _ClassVar[IpoPeriod]
    IpoPeriod_Lastweek: _ClassVar[IpoPeriod]
    IpoPeriod_Lastmonth: _ClassVar[IpoPeriod]

class PriceType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PriceType_Unknow: _ClassVar[PriceType]
    PriceType_Outside: _ClassVar[PriceType]
    PriceType_WithIn: _ClassVar[PriceType]

class WarrantStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    WarrantStatus_Unknow: _ClassVar[WarrantStatus]
    WarrantStatus_Normal: _ClassVar[WarrantStatus]
    WarrantStatus_Suspend: _ClassVar[WarrantStatus]
    WarrantStatus_StopTrade: _ClassVar[WarrantStatus]
    WarrantStatus_PendingListing: _ClassVar[WarrantStatus]

class CompanyAct(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CompanyAct_None: _ClassVar[CompanyAct]
    CompanyAct_Split: _ClassVar[CompanyAct]
    CompanyAct_Join: _ClassVar[CompanyAct]
    CompanyAct_Bonus: _ClassVar[CompanyAct]
    CompanyAct_Transfer: _ClassVar[CompanyAct]
    CompanyAct_Allot: _ClassVar[CompanyAct]
    CompanyAct_Add: _ClassVar[CompanyAct]
    CompanyAct_Dividend: _ClassVar[CompanyAct]
    CompanyAct_SPDividend: _ClassVar[CompanyAct]
    CompanyAct_SpinOff: _ClassVar[CompanyAct]

class QotRight(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    QotRight_Unknow: _ClassVar[QotRight]
    QotRight_Bmp: _ClassVar[QotRight]
    QotRight_Level1: _ClassVar[QotRight]
    QotRight_Level2: _ClassVar[QotRight]
    QotRight_SF: _ClassVar[QotRight]
    QotRight_No: _ClassVar[QotRight]
    QotRight_Level3: _ClassVar[QotRight]

class PriceReminderType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PriceReminderType_Unknown: _ClassVar[PriceReminderType]
    PriceReminderType_PriceUp: _ClassVar[PriceReminderType]
    PriceReminderType_PriceDown: _ClassVar[PriceReminderType]
    PriceReminderType_ChangeRateUp: _ClassVar[PriceReminderType]
    PriceReminderType_ChangeRateDown: _ClassVar[PriceReminderType]
    PriceReminderType_5MinChangeRateUp: _ClassVar[PriceReminderType]
    PriceReminderType_5MinChangeRateDown: _ClassVar[PriceReminderType]
    PriceReminderType_VolumeUp: _ClassVar[PriceReminderType]
    PriceReminderType_TurnoverUp: _ClassVar[PriceReminderType]
    PriceReminderType_TurnoverRateUp: _ClassVar[PriceReminderType]
    PriceReminderType_BidPriceUp: _ClassVar[PriceReminderType]
    PriceReminderType_AskPriceDown: _ClassVar[PriceReminderType]
    PriceReminderType_BidVolUp: _ClassVar[PriceReminderType]
    PriceReminderType_AskVolUp: _ClassVar[PriceReminderType]
    PriceReminderType_3MinChangeRateUp: _ClassVar[PriceReminderType]
    PriceReminderType_3MinChangeRateDown: _ClassVar[PriceReminderType]

class PriceReminderFreq(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PriceReminderFreq_Unknown: _ClassVar[PriceReminderFreq]
    PriceReminderFreq_Always: _ClassVar[PriceReminderFreq]
    PriceReminderFreq_OnceADay: _ClassVar[PriceReminderFreq]
    PriceReminderFreq_OnlyOnce: _ClassVar[PriceReminderFreq]

class AssetClass(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    AssetClass_Unknow: _ClassVar[AssetClass]
    AssetClass_Stock: _ClassVar[AssetClass]
    AssetClass_Bond: _ClassVar[AssetClass]
    AssetClass_Commodity: _ClassVar[AssetClass]
    AssetClass_CurrencyMarket: _ClassVar[AssetClass]
    AssetClass_Future: _ClassVar[AssetClass]
    AssetClass_Swap: _ClassVar[AssetClass]

class ExpirationCycle(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ExpirationCycle_Unknown: _ClassVar[ExpirationCycle]
    ExpirationCycle_Week: _ClassVar[ExpirationCycle]
    ExpirationCycle_Month: _ClassVar[ExpirationCycle]
    ExpirationCycle_MonthEnd: _ClassVar[ExpirationCycle]
    ExpirationCycle_Quarter: _ClassVar[ExpirationCycle]
    ExpirationCycle_WeekMon: _ClassVar[ExpirationCycle]
    ExpirationCycle_WeekTue: _ClassVar[ExpirationCycle]
    ExpirationCycle_WeekWed: _ClassVar[ExpirationCycle]
    ExpirationCycle_WeekThu: _ClassVar[ExpirationCycle]
    ExpirationCycle_WeekFri: _ClassVar[ExpirationCycle]

class OptionStandardType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    OptionStandardType_Unknown: _ClassVar[OptionStandardType]
    OptionStandardType_Standard: _ClassVar[OptionStandardType]
    OptionStandardType_NonStandard: _ClassVar[OptionStandardType]

class OptionSettlementMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    OptionSettlementMode_Unknown: _ClassVar[OptionSettlementMode]
    OptionSettlementMode_AM: _ClassVar[OptionSettlementMode]
    OptionSettlementMode_PM: _ClassVar[OptionSettlementMode]

class ExchType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ExchType_Unknown: _ClassVar[ExchType]
    ExchType_HK_MainBoard: _ClassVar[ExchType]
    ExchType_HK_GEMBoard: _ClassVar[ExchType]
    ExchType_HK_HKEX: _ClassVar[ExchType]
    ExchType_US_NYSE: _ClassVar[ExchType]
    ExchType_US_Nasdaq: _ClassVar[ExchType]
    ExchType_US_Pink: _ClassVar[ExchType]
    ExchType_US_AMEX: _ClassVar[ExchType]
    ExchType_US_Option: _ClassVar[ExchType]
    ExchType_US_NYMEX: _ClassVar[ExchType]
    ExchType_US_COMEX: _ClassVar[ExchType]
    ExchType_US_CBOT: _ClassVar[ExchType]
    ExchType_US_CME: _ClassVar[ExchType]
    ExchType_US_CBOE: _ClassVar[ExchType]
    ExchType_CN_SH: _ClassVar[ExchType]
    ExchType_CN_SZ: _ClassVar[ExchType]
    ExchType_CN_STIB: _ClassVar[ExchType]
    ExchType_SG_SGX: _ClassVar[ExchType]
    ExchType_JP_OSE: _ClassVar[ExchType]
    ExchType_CC_CRYPTO: _ClassVar[ExchType]
    ExchType_MY_MYX: _ClassVar[ExchType]
    ExchType_JP_TSE: _ClassVar[ExchType]
    ExchType_JP_Nikkei: _ClassVar[ExchType]

class PeriodType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PeriodType_Unknown: _ClassVar[PeriodType]
    PeriodType_INTRADAY: _ClassVar[PeriodType]
    PeriodType_DAY: _ClassVar[PeriodType]
    PeriodType_WEEK: _ClassVar[PeriodType]
    PeriodType_MONTH: _ClassVar[PeriodType]

class PriceReminderMarketStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PriceReminderMarketStatus_Unknow: _ClassVar[PriceReminderMarketStatus]
    PriceReminderMarketStatus_Open: _ClassVar[PriceReminderMarketStatus]
    PriceReminderMarketStatus_USPre: _ClassVar[PriceReminderMarketStatus]
    PriceReminderMarketStatus_USAfter: _ClassVar[PriceReminderMarketStatus]
    PriceReminderMarketStatus_USOverNight: _ClassVar[PriceReminderMarketStatus]

class OptionStrategyType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    OptionStrategyType_Unknown: _ClassVar[OptionStrategyType]
    OptionStrategyType_SingleOption: _ClassVar[OptionStrategyType]
    OptionStrategyType_Covered: _ClassVar[OptionStrategyType]
    OptionStrategyType_Spread: _ClassVar[OptionStrategyType]
    OptionStrategyType_Straddle: _ClassVar[OptionStrategyType]
    OptionStrategyType_Strangle: _ClassVar[OptionStrategyType]
    OptionStrategyType_Collar: _ClassVar[OptionStrategyType]
    OptionStrategyType_Butterfly: _ClassVar[OptionStrategyType]
    OptionStrategyType_Condor: _ClassVar[OptionStrategyType]
    OptionStrategyType_IronButterfly: _ClassVar[OptionStrategyType]
    OptionStrategyType_IronCondor: _ClassVar[OptionStrategyType]
    OptionStrategyType_CalendarSpread: _ClassVar[OptionStrategyType]
    OptionStrategyType_DiagonalSpread: _ClassVar[OptionStrategyType]
    OptionStrategyType_Customize: _ClassVar[OptionStrategyType]

class F10Type(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    F10Type_Unknown: _ClassVar[F10Type]
    F10Type_Q1: _ClassVar[F10Type]
    F10Type_Q2: _ClassVar[F10Type]
    F10Type_Q3: _ClassVar[F10Type]
    F10Type_Q4: _ClassVar[F10Type]
    F10Type_Q6: _ClassVar[F10Type]
    F10Type_Q9: _ClassVar[F10Type]
    F10Type_Annual: _ClassVar[F10Type]
    F10Type_Quarterly: _ClassVar[F10Type]
    F10Type_QuarterlyAnnual: _ClassVar[F10Type]
    F10Type_MulQuarterly: _ClassVar[F10Type]

class EarningsPubTimeType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EarningsPubTimeType_Unknown: _ClassVar[EarningsPubTimeType]
    EarningsPubTimeType_PreMarket: _ClassVar[EarningsPubTimeType]
    EarningsPubTimeType_AfterMarket: _ClassVar[EarningsPubTimeType]
    EarningsPubTimeType_DuringMarket: _ClassVar[EarningsPubTimeType]

class ValuationType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ValuationType_Unknown: _ClassVar[ValuationType]
    ValuationType_PE: _ClassVar[ValuationType]
    ValuationType_PB: _ClassVar[ValuationType]
    ValuationType_PS: _ClassVar[ValuationType]

class FinancialStatementsType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    FinancialStatementsType_Unknown: _ClassVar[FinancialStatementsType]
    FinancialStatementsType_Income: _ClassVar[FinancialStatementsType]
    FinancialStatementsType_BalanceSheet: _ClassVar[FinancialStatementsType]
    FinancialStatementsType_CashFlow: _ClassVar[FinancialStatementsType]
    FinancialStatementsType_MainIndex: _ClassVar[FinancialStatementsType]

class RevenueBreakdownType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RevenueBreakdownType_Unknown: _ClassVar[RevenueBreakdownType]
    RevenueBreakdownType_Product: _ClassVar[RevenueBreakdownType]
    RevenueBreakdownType_Industry: _ClassVar[RevenueBreakdownType]
    RevenueBreakdownType_Region: _ClassVar[RevenueBreakdownType]
    RevenueBreakdownType_Business: _ClassVar[RevenueBreakdownType]

class ResearchRatingType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ResearchRatingType_Unknown: _ClassVar[ResearchRatingType]
    ResearchRatingType_Sell: _ClassVar[ResearchRatingType]
    ResearchRatingType_Underperform: _ClassVar[ResearchRatingType]
    ResearchRatingType_Hold: _ClassVar[ResearchRatingType]
    ResearchRatingType_Buy: _ClassVar[ResearchRatingType]
    ResearchRatingType_StrongBuy: _ClassVar[ResearchRatingType]

class ResearchRatingDimensionType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ResearchRatingDimensionType_Unknown: _ClassVar[ResearchRatingDimensionType]
    ResearchRatingDimensionType_Institution: _ClassVar[ResearchRatingDimensionType]
    ResearchRatingDimensionType_Analyst: _ClassVar[ResearchRatingDimensionType]

class MorningstarRatingType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MorningstarRatingType_Unknown: _ClassVar[MorningstarRatingType]
    MorningstarRatingType_Quantitative: _ClassVar[MorningstarRatingType]
    MorningstarRatingType_Qualitative: _ClassVar[MorningstarRatingType]

class ValuationIntervalType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ValuationIntervalType_Unknown: _ClassVar[ValuationIntervalType]
    ValuationIntervalType_Month3: _ClassVar[ValuationIntervalType]
    ValuationIntervalType_Month6: _ClassVar[ValuationIntervalType]
    ValuationIntervalType_Year1: _ClassVar[ValuationIntervalType]
    ValuationIntervalType_Year3: _ClassVar[ValuationIntervalType]
    ValuationIntervalType_Since2019: _ClassVar[ValuationIntervalType]
    ValuationIntervalType_Year5: _ClassVar[ValuationIntervalType]
    ValuationIntervalType_Year10: _ClassVar[ValuationIntervalType]
    ValuationIntervalType_Year2: _ClassVar[ValuationIntervalType]
    ValuationIntervalType_Year20: _ClassVar[ValuationIntervalType]
    ValuationIntervalType_Year30: _ClassVar[ValuationIntervalType]

class HoldingChangesFilterType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    HoldingChangesFilterType_Unknown: _ClassVar[HoldingChangesFilterType]
    HoldingChangesFilterType_Increase: _ClassVar[HoldingChangesFilterType]
    HoldingChangesFilterType_Decrease: _ClassVar[HoldingChangesFilterType]
    HoldingChangesFilterType_NewIn: _ClassVar[HoldingChangesFilterType]
    HoldingChangesFilterType_CloseOut: _ClassVar[HoldingChangesFilterType]

class HolderDetailType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    HolderDetailType_Default: _ClassVar[HolderDetailType]
    HolderDetailType_All: _ClassVar[HolderDetailType]
    HolderDetailType_Unclassified: _ClassVar[HolderDetailType]
    HolderDetailType_TraditionalInvestmentManager: _ClassVar[HolderDetailType]
    HolderDetailType_HedgeFundManager: _ClassVar[HolderDetailType]
    HolderDetailType_VCOrPE: _ClassVar[HolderDetailType]
    HolderDetailType_CorporatePensionPlanSponsor: _ClassVar[HolderDetailType]
    HolderDetailType_FoundationFundSponsor: _ClassVar[HolderDetailType]
    HolderDetailType_InsuranceCompany: _ClassVar[HolderDetailType]
    HolderDetailType_BankOrInvestmentBank: _ClassVar[HolderDetailType]
    HolderDetailType_FamilyOfficesOrTrust: _ClassVar[HolderDetailType]
    HolderDetailType_SovereignWealthFund: _ClassVar[HolderDetailType]
    HolderDetailType_REIT: _ClassVar[HolderDetailType]
    HolderDetailType_StructuredFinancePoolManager: _ClassVar[HolderDetailType]
    HolderDetailType_UnionPensionPlanSponsor: _ClassVar[HolderDetailType]
    HolderDetailType_GovernmentPensionPlanSponsor: _ClassVar[HolderDetailType]
    HolderDetailType_EndowmentFundSponsor: _ClassVar[HolderDetailType]
    HolderDetailType_IndividualInsiders: _ClassVar[HolderDetailType]
    HolderDetailType_IssueSponsoredADR: _ClassVar[HolderDetailType]
    HolderDetailType_CorporationsPublic: _ClassVar[HolderDetailType]
    HolderDetailType_CorporationsPrivate: _ClassVar[HolderDetailType]
    HolderDetailType_StateOwnedShares: _ClassVar[HolderDetailType]

class CompanyProfileFieldType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CompanyProfileFieldType_SourceText: _ClassVar[CompanyProfileFieldType]
    CompanyProfileFieldType_LinkType: _ClassVar[CompanyProfileFieldType]
    CompanyProfileFieldType_IndependentTitle: _ClassVar[CompanyProfileFieldType]

class BuySellType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BuySellType_Unknown: _ClassVar[BuySellType]
    BuySellType_NetBuy: _ClassVar[BuySellType]
    BuySellType_NetSell: _ClassVar[BuySellType]

class OptionVolatilityTimePeriodType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    OptionVolatilityTimePeriodType_Unknown: _ClassVar[OptionVolatilityTimePeriodType]
    OptionVolatilityTimePeriodType_Week: _ClassVar[OptionVolatilityTimePeriodType]
    OptionVolatilityTimePeriodType_Month: _ClassVar[OptionVolatilityTimePeriodType]
    OptionVolatilityTimePeriodType_Quarter: _ClassVar[OptionVolatilityTimePeriodType]
    OptionVolatilityTimePeriodType_HalfYear: _ClassVar[OptionVolatilityTimePeriodType]
    OptionVolatilityTimePeriodType_Year: _ClassVar[OptionVolatilityTimePeriodType]

class OptionImpvolStatusType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ImpvolFluctuating: _ClassVar[OptionImpvolStatusType]
    ImpvolOvervalued: _ClassVar[OptionImpvolStatusType]
    ImpvolUndervalued: _ClassVar[OptionImpvolStatusType]

class IndicatorLangType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    IndicatorLangType_Unknown: _ClassVar[IndicatorLangType]
    IndicatorLangType_MyLang: _ClassVar[IndicatorLangType]
    IndicatorLangType_Python: _ClassVar[IndicatorLangType]

class IndicatorSearchMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    IndicatorSearchMode_Partial: _ClassVar[IndicatorSearchMode]
    IndicatorSearchMode_Exact: _ClassVar[IndicatorSearchMode]

class IndicatorParamValueType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    IndicatorParamValueType_UNKNOWN: _ClassVar[IndicatorParamValueType]
    IndicatorParamValueType_INT: _ClassVar[IndicatorParamValueType]
    IndicatorParamValueType_FLOAT: _ClassVar[IndicatorParamValueType]
    IndicatorParamValueType_STRING: _ClassVar[IndicatorParamValueType]
    IndicatorParamValueType_COLOR: _ClassVar[IndicatorParamValueType]
    IndicatorParamValueType_SHAPE: _ClassVar[IndicatorParamValueType]
    IndicatorParamValueType_LINE: _ClassVar[IndicatorParamValueType]
    IndicatorParamValueType_BOOL: _ClassVar[IndicatorParamValueType]

class IndicatorShape(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    IndicatorShape_UNKNOWN: _ClassVar[IndicatorShape]
    IndicatorShape_XCROSS: _ClassVar[IndicatorShape]
    IndicatorShape_CROSS: _ClassVar[IndicatorShape]
    IndicatorShape_CIRCLE: _ClassVar[IndicatorShape]
    IndicatorShape_TRIANGLE_UP: _ClassVar[IndicatorShape]
    IndicatorShape_TRIANGLE_DOWN: _ClassVar[IndicatorShape]
    IndicatorShape_FLAG: _ClassVar[IndicatorShape]
    IndicatorShape_ARROW_UP: _ClassVar[IndicatorShape]
    IndicatorShape_ARROW_DOWN: _ClassVar[IndicatorShape]
    IndicatorShape_SQUARE: _ClassVar[IndicatorShape]
    IndicatorShape_DIAMOND: _ClassVar[IndicatorShape]
    IndicatorShape_LABEL_UP: _ClassVar[IndicatorShape]
    IndicatorShape_LABEL_DOWN: _ClassVar[IndicatorShape]

class IndicatorLineType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    IndicatorLineType_UNKNOWN: _ClassVar[IndicatorLineType]
    IndicatorLineType_SOLID: _ClassVar[IndicatorLineType]
    IndicatorLineType_DASHED: _ClassVar[IndicatorLineType]
    IndicatorLineType_DOT: _ClassVar[IndicatorLineType]
    IndicatorLineType_CROSS: _ClassVar[IndicatorLineType]
    IndicatorLineType_CIRCLE: _ClassVar[IndicatorLineType]
    IndicatorLineType_HISTOGRAM: _ClassVar[IndicatorLineType]
    IndicatorLineType_HISTOGRAM_LINE: _ClassVar[IndicatorLineType]
    IndicatorLineType_STEP: _ClassVar[IndicatorLineType]
    IndicatorLineType_STEP_DIAMONDS: _ClassVar[IndicatorLineType]

class EC_Status(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EC_Status_Initialized: _ClassVar[EC_Status]
    EC_Status_Inactive: _ClassVar[EC_Status]
    EC_Status_Active: _ClassVar[EC_Status]
    EC_Status_Closed: _ClassVar[EC_Status]
    EC_Status_Halted: _ClassVar[EC_Status]
    EC_Status_Settled: _ClassVar[EC_Status]
    EC_Status_Canceled: _ClassVar[EC_Status]
    EC_Status_DeterminationPending: _ClassVar[EC_Status]
    EC_Status_Determined: _ClassVar[EC_Status]
    EC_Status_Finalized: _ClassVar[EC_Status]
    EC_Status_EventAbnormal: _ClassVar[EC_Status]
    EC_Status_EventInitialized: _ClassVar[EC_Status]
    EC_Status_EventActive: _ClassVar[EC_Status]
    EC_Status_EventClosed: _ClassVar[EC_Status]
    EC_Status_EventSettled: _ClassVar[EC_Status]
    EC_Status_EventCanceled: _ClassVar[EC_Status]
    EC_Status_EventFinalized: _ClassVar[EC_Status]

class EC_ContractType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EC_ContractType_None: _ClassVar[EC_ContractType]
    EC_ContractType_Binary: _ClassVar[EC_ContractType]
    EC_ContractType_Scalar: _ClassVar[EC_ContractType]

class EC_Frequency(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EC_Frequency_Unknown: _ClassVar[EC_Frequency]
    EC_Frequency_Annual: _ClassVar[EC_Frequency]
    EC_Frequency_Monthly: _ClassVar[EC_Frequency]
    EC_Frequency_Weekly: _ClassVar[EC_Frequency]
    EC_Frequency_Daily: _ClassVar[EC_Frequency]
    EC_Frequency_Hourly: _ClassVar[EC_Frequency]
    EC_Frequency_Custom: _ClassVar[EC_Frequency]
    EC_Frequency_OneOff: _ClassVar[EC_Frequency]

class EC_MilestoneType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EC_MilestoneType_Unknown: _ClassVar[EC_MilestoneType]
    EC_MilestoneType_FootballGame: _ClassVar[EC_MilestoneType]
    EC_MilestoneType_BasketballGame: _ClassVar[EC_MilestoneType]
    EC_MilestoneType_SoccerTournamentMultiLeg: _ClassVar[EC_MilestoneType]
    EC_MilestoneType_BaseballTournament: _ClassVar[EC_MilestoneType]
    EC_MilestoneType_BaseballGame: _ClassVar[EC_MilestoneType]

class EC_KlineSource(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EC_KlineSource_None: _ClassVar[EC_KlineSource]
    EC_KlineSource_OrderBookYes: _ClassVar[EC_KlineSource]
QotMarket_Unknown: QotMarket
QotMarket_HK_Security: QotMarket
QotMarket_HK_Future: QotMarket
QotMarket_US_Security: QotMarket
QotMarket_CNSH_Security: QotMarket
QotMarket_CNSZ_Security: QotMarket
QotMarket_SG_Security: QotMarket
QotMarket_JP_Security: QotMarket
QotMarket_AU_Security: QotMarket
QotMarket_MY_Security: QotMarket
QotMarket_CA_Security: QotMarket
QotMarket_FX_Security: QotMarket
QotMarket_CC_Security: QotMarket
QotMarket_EventContract: QotMarket
SecurityType_Unknown: SecurityType
SecurityType_Bond: SecurityType
SecurityType_Bwrt: SecurityType
SecurityType_Eqty: SecurityType
SecurityType_Trust: SecurityType
SecurityType_Warrant: SecurityType
SecurityType_Index: SecurityType
SecurityType_Plate: SecurityType
SecurityType_Drvt: SecurityType
SecurityType_PlateSet: SecurityType
SecurityType_Future: SecurityType
SecurityType_Forex: SecurityType
SecurityType_Crypto: SecurityType
PlateSetType_All: PlateSetType
PlateSetType_Industry: PlateSetType
PlateSetType_Region: PlateSetType
PlateSetType_Concept: PlateSetType
PlateSetType_Other: PlateSetType
WarrantType_Unknown: WarrantType
WarrantType_Buy: WarrantType
WarrantType_Sell: WarrantType
WarrantType_Bull: WarrantType
WarrantType_Bear: WarrantType
WarrantType_InLine: WarrantType
OptionType_Unknown: OptionType
OptionType_Call: OptionType
OptionType_Put: OptionType
IndexOptionType_Unknown: IndexOptionType
IndexOptionType_Normal: IndexOptionType
IndexOptionType_Small: IndexOptionType
OptionAreaType_Unknown: OptionAreaType
OptionAreaType_American: OptionAreaType
OptionAreaType_European: OptionAreaType
OptionAreaType_Bermuda: OptionAreaType
QotMarketState_None: QotMarketState
QotMarketState_Auction: QotMarketState
QotMarketState_WaitingOpen: QotMarketState
QotMarketState_Morning: QotMarketState
QotMarketState_Rest: QotMarketState
QotMarketState_Afternoon: QotMarketState
QotMarketState_Closed: QotMarketState
QotMarketState_PreMarketBegin: QotMarketState
QotMarketState_PreMarketEnd: QotMarketState
QotMarketState_AfterHoursBegin: QotMarketState
QotMarketState_AfterHoursEnd: QotMarketState
QotMarketState_FUTU_SWITCH_DATE: QotMarketState
QotMarketState_NightOpen: QotMarketState
QotMarketState_NightEnd: QotMarketState
QotMarketState_FutureDayOpen: QotMarketState
QotMarketState_FutureDayBreak: QotMarketState
QotMarketState_FutureDayClose: QotMarketState
QotMarketState_FutureDayWaitForOpen: QotMarketState
QotMarketState_HkCas: QotMarketState
QotMarketState_FutureNightWait: QotMarketState
QotMarketState_FutureAfternoon: QotMarketState
QotMarketState_FutureSwitchDate: QotMarketState
QotMarketState_FutureOpen: QotMarketState
QotMarketState_FutureBreak: QotMarketState
QotMarketState_FutureBreakOver: QotMarketState
QotMarketState_FutureClose: QotMarketState
QotMarketState_StibAfterHoursWait: QotMarketState
QotMarketState_AShareAfterHoursWait: QotMarketState
QotMarketState_StibAfterHoursBegin: QotMarketState
QotMarketState_AShareAfterHoursBegin: QotMarketState
QotMarketState_StibAfterHoursEnd: QotMarketState
QotMarketState_AShareAfterHoursEnd: QotMarketState
QotMarketState_CLOSE_AUCTION: QotMarketState
QotMarketState_AFTERNOON_END: QotMarketState
QotMarketState_NIGHT: QotMarketState
QotMarketState_OVERNIGHT_BEGIN: QotMarketState
QotMarketState_OVERNIGHT_END: QotMarketState
QotMarketState_TRADE_AT_LAST: QotMarketState
QotMarketState_TRADE_AUCTION: QotMarketState
QotMarketState_OVERNIGHT: QotMarketState
TradeDateMarket_Unknown: TradeDateMarket
TradeDateMarket_HK: TradeDateMarket
TradeDateMarket_US: TradeDateMarket
TradeDateMarket_CN: TradeDateMarket
TradeDateMarket_NT: TradeDateMarket
TradeDateMarket_ST: TradeDateMarket
TradeDateMarket_JP_Future: TradeDateMarket
TradeDateMarket_SG_Future: TradeDateMarket
TradeDateMarket_SG: TradeDateMarket
TradeDateMarket_MY: TradeDateMarket
TradeDateMarket_JP: TradeDateMarket
TradeDateType_Whole: TradeDateType
TradeDateType_Morning: TradeDateType
TradeDateType_Afternoon: TradeDateType
RehabType_None: RehabType
RehabType_Forward: RehabType
RehabType_Backward: RehabType
KLType_Unknown: KLType
KLType_1Min: KLType
KLType_Day: KLType
KLType_Week: KLType
KLType_Month: KLType
KLType_Year: KLType
KLType_5Min: KLType
KLType_15Min: KLType
KLType_30Min: KLType
KLType_60Min: KLType
KLType_3Min: KLType
KLType_Quarter: KLType
KLType_10Min: KLType
KLType_120Min: KLType
KLType_180Min: KLType
KLType_240Min: KLType
KLFields_None: KLFields
KLFields_High: KLFields
KLFields_Open: KLFields
KLFields_Low: KLFields
KLFields_Close: KLFields
KLFields_LastClose: KLFields
KLFields_Volume: KLFields
KLFields_Turnover: KLFields
KLFields_TurnoverRate: KLFields
KLFields_PE: KLFields
KLFields_ChangeRate: KLFields
SubType_None: SubType
SubType_Basic: SubType
SubType_OrderBook: SubType
SubType_Ticker: SubType
SubType_RT: SubType
SubType_KL_Day: SubType
SubType_KL_5Min: SubType
SubType_KL_15Min: SubType
SubType_KL_30Min: SubType
SubType_KL_60Min: SubType
SubType_KL_1Min: SubType
SubType_KL_Week: SubType
SubType_KL_Month: SubType
SubType_Broker: SubType
SubType_KL_Qurater: SubType
SubType_KL_Year: SubType
SubType_KL_3Min: SubType
SubType_KL_10Min: SubType
SubType_KL_120Min: SubType
SubType_KL_180Min: SubType
SubType_KL_240Min: SubType
SubType_OrderBook_Odd: SubType
OrderBookType_Normal: OrderBookType
OrderBookType_Odd: OrderBookType
TickerDirection_Unknown: TickerDirection
TickerDirection_Bid: TickerDirection
TickerDirection_Ask: TickerDirection
TickerDirection_Neutral: TickerDirection
TickerType_Unknown: TickerType
TickerType_Automatch: TickerType
TickerType_Late: TickerType
TickerType_NoneAutomatch: TickerType
TickerType_InterAutomatch: TickerType
TickerType_InterNoneAutomatch: TickerType
TickerType_OddLot: TickerType
TickerType_Auction: TickerType
TickerType_Bulk: TickerType
TickerType_Crash: TickerType
TickerType_CrossMarket: TickerType
TickerType_BulkSold: TickerType
TickerType_FreeOnBoard: TickerType
TickerType_Rule127Or155: TickerType
TickerType_Delay: TickerType
TickerType_MarketCenterClosePrice: TickerType
TickerType_NextDay: TickerType
TickerType_MarketCenterOpening: TickerType
TickerType_PriorReferencePrice: TickerType
TickerType_MarketCenterOpenPrice: TickerType
TickerType_Seller: TickerType
TickerType_T: TickerType
TickerType_ExtendedTradingHours: TickerType
TickerType_Contingent: TickerType
TickerType_AvgPrice: TickerType
TickerType_OTCSold: TickerType
TickerType_OddLotCrossMarket: TickerType
TickerType_DerivativelyPriced: TickerType
TickerType_ReOpeningPriced: TickerType
TickerType_ClosingPriced: TickerType
TickerType_ComprehensiveDelayPrice: TickerType
TickerType_Overseas: TickerType
DarkStatus_None: DarkStatus
DarkStatus_Trading: DarkStatus
DarkStatus_End: DarkStatus
SecurityStatus_Unknown: SecurityStatus
SecurityStatus_Normal: SecurityStatus
SecurityStatus_Listing: SecurityStatus
SecurityStatus_Purchasing: SecurityStatus
SecurityStatus_Subscribing: SecurityStatus
SecurityStatus_BeforeDrakTradeOpening: SecurityStatus
SecurityStatus_DrakTrading: SecurityStatus
SecurityStatus_DrakTradeEnd: SecurityStatus
SecurityStatus_ToBeOpen: SecurityStatus
SecurityStatus_Suspended: SecurityStatus
SecurityStatus_Called: SecurityStatus
SecurityStatus_ExpiredLastTradingDate: SecurityStatus
SecurityStatus_Expired: SecurityStatus
SecurityStatus_Delisted: SecurityStatus
SecurityStatus_ChangeToTemporaryCode: SecurityStatus
SecurityStatus_TemporaryCodeTradeEnd: SecurityStatus
SecurityStatus_ChangedPlateTradeEnd: SecurityStatus
SecurityStatus_ChangedCodeTradeEnd: SecurityStatus
SecurityStatus_RecoverableCircuitBreaker: SecurityStatus
SecurityStatus_UnRecoverableCircuitBreaker: SecurityStatus
SecurityStatus_AfterCombination: SecurityStatus
SecurityStatus_AfterTransation: SecurityStatus
HolderCategory_Unknow: HolderCategory
HolderCategory_Agency: HolderCategory
HolderCategory_Fund: HolderCategory
HolderCategory_SeniorManager: HolderCategory
PushDataType_Unknow: PushDataType
PushDataType_Realtime: PushDataType
PushDataType_ByDisConn: PushDataType
PushDataType_Cache: PushDataType
SortField_Unknow: SortField
SortField_Code: SortField
SortField_CurPrice: SortField
SortField_PriceChangeVal: SortField
SortField_ChangeRate: SortField
SortField_Status: SortField
SortField_BidPrice: SortField
SortField_AskPrice: SortField
SortField_BidVol: SortField
SortField_AskVol: SortField
SortField_Volume: SortField
SortField_Turnover: SortField
SortField_Amplitude: SortField
SortField_Score: SortField
SortField_Premium: SortField
SortField_EffectiveLeverage: SortField
SortField_Delta: SortField
SortField_ImpliedVolatility: SortField
SortField_Type: SortField
SortField_StrikePrice: SortField
SortField_BreakEvenPoint: SortField
SortField_MaturityTime: SortField
SortField_ListTime: SortField
SortField_LastTradeTime: SortField
SortField_Leverage: SortField
SortField_InOutMoney: SortField
SortField_RecoveryPrice: SortField
SortField_ChangePrice: SortField
SortField_Change: SortField
SortField_StreetRate: SortField
SortField_StreetVol: SortField
SortField_WarrantName: SortField
SortField_Issuer: SortField
SortField_LotSize: SortField
SortField_IssueSize: SortField
SortField_UpperStrikePrice: SortField
SortField_LowerStrikePrice: SortField
SortField_InLinePriceStatus: SortField
SortField_PreCurPrice: SortField
SortField_AfterCurPrice: SortField
SortField_PrePriceChangeVal: SortField
SortField_AfterPriceChangeVal: SortField
SortField_PreChangeRate: SortField
SortField_AfterChangeRate: SortField
SortField_PreAmplitude: SortField
SortField_AfterAmplitude: SortField
SortField_PreTurnover: SortField
SortField_AfterTurnover: SortField
SortField_LastSettlePrice: SortField
SortField_Position: SortField
SortField_PositionChange: SortField
SortField_MarketCap: SortField
SortField_Valuation: SortField
SortField_ForwardValuation: SortField
SortField_HistoricalPercentile: SortField
SortField_HolderQuantity: SortField
SortField_ShareChangeNum: SortField
SortField_HoldingDate: SortField
SortField_HolderPctChange: SortField
SortField_HolderChangeAmount: SortField
SortField_HolderPct: SortField
SortType_Unknown: SortType
SortType_Desc: SortType
SortType_Asc: SortType
Issuer_Unknow: Issuer
Issuer_SG: Issuer
Issuer_BP: Issuer
Issuer_CS: Issuer
Issuer_CT: Issuer
Issuer_EA: Issuer
Issuer_GS: Issuer
Issuer_HS: Issuer
Issuer_JP: Issuer
Issuer_MB: Issuer
Issuer_SC: Issuer
Issuer_UB: Issuer
Issuer_BI: Issuer
Issuer_DB: Issuer
Issuer_DC: Issuer
Issuer_ML: Issuer
Issuer_NM: Issuer
Issuer_RB: Issuer
Issuer_RS: Issuer
Issuer_BC: Issuer
Issuer_HT: Issuer
Issuer_VT: Issuer
Issuer_KC: Issuer
Issuer_MS: Issuer
Issuer_GJ: Issuer
Issuer_XZ: Issuer
Issuer_HU: Issuer
Issuer_KS: Issuer
Issuer_CI: Issuer
IpoPeriod_Unknow: IpoPeriod
IpoPeriod_Today: IpoPeriod
IpoPeriod_Tomorrow: IpoPeriod
IpoPeriod_Nextweek: IpoPeriod
IpoPeriod_Lastweek: IpoPeriod
IpoPeriod_Lastmonth: IpoPeriod
PriceType_Unknow: PriceType
PriceType_Outside: PriceType
PriceType_WithIn: PriceType
WarrantStatus_Unknow: WarrantStatus
WarrantStatus_Normal: WarrantStatus
WarrantStatus_Suspend: WarrantStatus
WarrantStatus_StopTrade: WarrantStatus
WarrantStatus_PendingListing: WarrantStatus
CompanyAct_None: CompanyAct
CompanyAct_Split: CompanyAct
CompanyAct_Join: CompanyAct
CompanyAct_Bonus: CompanyAct
CompanyAct_Transfer: CompanyAct
CompanyAct_Allot: CompanyAct
CompanyAct_Add: CompanyAct
CompanyAct_Dividend: CompanyAct
CompanyAct_SPDividend: CompanyAct
CompanyAct_SpinOff: CompanyAct
QotRight_Unknow: QotRight
QotRight_Bmp: QotRight
QotRight_Level1: QotRight
QotRight_Level2: QotRight
QotRight_SF: QotRight
QotRight_No: QotRight
QotRight_Level3: QotRight
PriceReminderType_Unknown: PriceReminderType
PriceReminderType_PriceUp: PriceReminderType
PriceReminderType_PriceDown: PriceReminderType
PriceReminderType_ChangeRateUp: PriceReminderType
PriceReminderType_ChangeRateDown: PriceReminderType
PriceReminderType_5MinChangeRateUp: PriceReminderType
PriceReminderType_5MinChangeRateDown: PriceReminderType
PriceReminderType_VolumeUp: PriceReminderType
PriceReminderType_TurnoverUp: PriceReminderType
PriceReminderType_TurnoverRateUp: PriceReminderType
PriceReminderType_BidPriceUp: PriceReminderType
PriceReminderType_AskPriceDown: PriceReminderType
PriceReminderType_BidVolUp: PriceReminderType
PriceReminderType_AskVolUp: PriceReminderType
PriceReminderType_3MinChangeRateUp: PriceReminderType
PriceReminderType_3MinChangeRateDown: PriceReminderType
PriceReminderFreq_Unknown: PriceReminderFreq
PriceReminderFreq_Always: PriceReminderFreq
PriceReminderFreq_OnceADay: PriceReminderFreq
PriceReminderFreq_OnlyOnce: PriceReminderFreq
AssetClass_Unknow: AssetClass
AssetClass_Stock: AssetClass
AssetClass_Bond: AssetClass
AssetClass_Commodity: AssetClass
AssetClass_CurrencyMarket: AssetClass
AssetClass_Future: AssetClass
AssetClass_Swap: AssetClass
ExpirationCycle_Unknown: ExpirationCycle
ExpirationCycle_Week: ExpirationCycle
ExpirationCycle_Month: ExpirationCycle
ExpirationCycle_MonthEnd: ExpirationCycle
ExpirationCycle_Quarter: ExpirationCycle
ExpirationCycle_WeekMon: ExpirationCycle
ExpirationCycle_WeekTue: ExpirationCycle
ExpirationCycle_WeekWed: ExpirationCycle
ExpirationCycle_WeekThu: ExpirationCycle
ExpirationCycle_WeekFri: ExpirationCycle
OptionStandardType_Unknown: OptionStandardType
OptionStandardType_Standard: OptionStandardType
OptionStandardType_NonStandard: OptionStandardType
OptionSettlementMode_Unknown: OptionSettlementMode
OptionSettlementMode_AM: OptionSettlementMode
OptionSettlementMode_PM: OptionSettlementMode
ExchType_Unknown: ExchType
ExchType_HK_MainBoard: ExchType
ExchType_HK_GEMBoard: ExchType
ExchType_HK_HKEX: ExchType
ExchType_US_NYSE: ExchType
ExchType_US_Nasdaq: ExchType
ExchType_US_Pink: ExchType
ExchType_US_AMEX: ExchType
ExchType_US_Option: ExchType
ExchType_US_NYMEX: ExchType
ExchType_US_COMEX: ExchType
ExchType_US_CBOT: ExchType
ExchType_US_CME: ExchType
ExchType_US_CBOE: ExchType
ExchType_CN_SH: ExchType
ExchType_CN_SZ: ExchType
ExchType_CN_STIB: ExchType
ExchType_SG_SGX: ExchType
ExchType_JP_OSE: ExchType
ExchType_CC_CRYPTO: ExchType
ExchType_MY_MYX: ExchType
ExchType_JP_TSE: ExchType
ExchType_JP_Nikkei: ExchType
PeriodType_Unknown: PeriodType
PeriodType_INTRADAY: PeriodType
PeriodType_DAY: PeriodType
PeriodType_WEEK: PeriodType
PeriodType_MONTH: PeriodType
PriceReminderMarketStatus_Unknow: PriceReminderMarketStatus
PriceReminderMarketStatus_Open: PriceReminderMarketStatus
PriceReminderMarketStatus_USPre: PriceReminderMarketStatus
PriceReminderMarketStatus_USAfter: PriceReminderMarketStatus
PriceReminderMarketStatus_USOverNight: PriceReminderMarketStatus
OptionStrategyType_Unknown: OptionStrategyType
OptionStrategyType_SingleOption: OptionStrategyType
OptionStrategyType_Covered: OptionStrategyType
OptionStrategyType_Spread: OptionStrategyType
OptionStrategyType_Straddle: OptionStrategyType
OptionStrategyType_Strangle: OptionStrategyType
OptionStrategyType_Collar: OptionStrategyType
OptionStrategyType_Butterfly: OptionStrategyType
OptionStrategyType_Condor: OptionStrategyType
OptionStrategyType_IronButterfly: OptionStrategyType
OptionStrategyType_IronCondor: OptionStrategyType
OptionStrategyType_CalendarSpread: OptionStrategyType
OptionStrategyType_DiagonalSpread: OptionStrategyType
OptionStrategyType_Customize: OptionStrategyType
F10Type_Unknown: F10Type
F10Type_Q1: F10Type
F10Type_Q2: F10Type
F10Type_Q3: F10Type
F10Type_Q4: F10Type
F10Type_Q6: F10Type
F10Type_Q9: F10Type
F10Type_Annual: F10Type
F10Type_Quarterly: F10Type
F10Type_QuarterlyAnnual: F10Type
F10Type_MulQuarterly: F10Type
EarningsPubTimeType_Unknown: EarningsPubTimeType
EarningsPubTimeType_PreMarket: EarningsPubTimeType
EarningsPubTimeType_AfterMarket: EarningsPubTimeType
EarningsPubTimeType_DuringMarket: EarningsPubTimeType
ValuationType_Unknown: ValuationType
ValuationType_PE: ValuationType
ValuationType_PB: ValuationType
ValuationType_PS: ValuationType
FinancialStatementsType_Unknown: FinancialStatementsType
FinancialStatementsType_Income: FinancialStatementsType
FinancialStatementsType_BalanceSheet: FinancialStatementsType
FinancialStatementsType_CashFlow: FinancialStatementsType
FinancialStatementsType_MainIndex: FinancialStatementsType
RevenueBreakdownType_Unknown: RevenueBreakdownType
RevenueBreakdownType_Product: RevenueBreakdownType
RevenueBreakdownType_Industry: RevenueBreakdownType
RevenueBreakdownType_Region: RevenueBreakdownType
RevenueBreakdownType_Business: RevenueBreakdownType
ResearchRatingType_Unknown: ResearchRatingType
ResearchRatingType_Sell: ResearchRatingType
ResearchRatingType_Underperform: ResearchRatingType
ResearchRatingType_Hold: ResearchRatingType
ResearchRatingType_Buy: ResearchRatingType
ResearchRatingType_StrongBuy: ResearchRatingType
ResearchRatingDimensionType_Unknown: ResearchRatingDimensionType
ResearchRatingDimensionType_Institution: ResearchRatingDimensionType
ResearchRatingDimensionType_Analyst: ResearchRatingDimensionType
MorningstarRatingType_Unknown: MorningstarRatingType
MorningstarRatingType_Quantitative: MorningstarRatingType
MorningstarRatingType_Qualitative: MorningstarRatingType
ValuationIntervalType_Unknown: ValuationIntervalType
ValuationIntervalType_Month3: ValuationIntervalType
ValuationIntervalType_Month6: ValuationIntervalType
ValuationIntervalType_Year1: ValuationIntervalType
ValuationIntervalType_Year3: ValuationIntervalType
ValuationIntervalType_Since2019: ValuationIntervalType
ValuationIntervalType_Year5: ValuationIntervalType
ValuationIntervalType_Year10: ValuationIntervalType
ValuationIntervalType_Year2: ValuationIntervalType
ValuationIntervalType_Year20: ValuationIntervalType
ValuationIntervalType_Year30: ValuationIntervalType
HoldingChangesFilterType_Unknown: HoldingChangesFilterType
HoldingChangesFilterType_Increase: HoldingChangesFilterType
HoldingChangesFilterType_Decrease: HoldingChangesFilterType
HoldingChangesFilterType_NewIn: HoldingChangesFilterType
HoldingChangesFilterType_CloseOut: HoldingChangesFilterType
HolderDetailType_Default: HolderDetailType
HolderDetailType_All: HolderDetailType
HolderDetailType_Unclassified: HolderDetailType
HolderDetailType_TraditionalInvestmentManager: HolderDetailType
HolderDetailType_HedgeFundManager: HolderDetailType
HolderDetailType_VCOrPE: HolderDetailType
HolderDetailType_CorporatePensionPlanSponsor: HolderDetailType
HolderDetailType_FoundationFundSponsor: HolderDetailType
HolderDetailType_InsuranceCompany: HolderDetailType
HolderDetailType_BankOrInvestmentBank: HolderDetailType
HolderDetailType_FamilyOfficesOrTrust: HolderDetailType
HolderDetailType_SovereignWealthFund: HolderDetailType
HolderDetailType_REIT: HolderDetailType
HolderDetailType_StructuredFinancePoolManager: HolderDetailType
HolderDetailType_UnionPensionPlanSponsor: HolderDetailType
HolderDetailType_GovernmentPensionPlanSponsor: HolderDetailType
HolderDetailType_EndowmentFundSponsor: HolderDetailType
HolderDetailType_IndividualInsiders: HolderDetailType
HolderDetailType_IssueSponsoredADR: HolderDetailType
HolderDetailType_CorporationsPublic: HolderDetailType
HolderDetailType_CorporationsPrivate: HolderDetailType
HolderDetailType_StateOwnedShares: HolderDetailType
CompanyProfileFieldType_SourceText: CompanyProfileFieldType
CompanyProfileFieldType_LinkType: CompanyProfileFieldType
CompanyProfileFieldType_IndependentTitle: CompanyProfileFieldType
BuySellType_Unknown: BuySellType
BuySellType_NetBuy: BuySellType
BuySellType_NetSell: BuySellType
OptionVolatilityTimePeriodType_Unknown: OptionVolatilityTimePeriodType
OptionVolatilityTimePeriodType_Week: OptionVolatilityTimePeriodType
OptionVolatilityTimePeriodType_Month: OptionVolatilityTimePeriodType
OptionVolatilityTimePeriodType_Quarter: OptionVolatilityTimePeriodType
OptionVolatilityTimePeriodType_HalfYear: OptionVolatilityTimePeriodType
OptionVolatilityTimePeriodType_Year: OptionVolatilityTimePeriodType
ImpvolFluctuating: OptionImpvolStatusType
ImpvolOvervalued: OptionImpvolStatusType
ImpvolUndervalued: OptionImpvolStatusType
IndicatorLangType_Unknown: IndicatorLangType
IndicatorLangType_MyLang: IndicatorLangType
IndicatorLangType_Python: IndicatorLangType
IndicatorSearchMode_Partial: IndicatorSearchMode
IndicatorSearchMode_Exact: IndicatorSearchMode
IndicatorParamValueType_UNKNOWN: IndicatorParamValueType
IndicatorParamValueType_INT: IndicatorParamValueType
IndicatorParamValueType_FLOAT: IndicatorParamValueType
IndicatorParamValueType_STRING: IndicatorParamValueType
IndicatorParamValueType_COLOR: IndicatorParamValueType
IndicatorParamValueType_SHAPE: IndicatorParamValueType
IndicatorParamValueType_LINE: IndicatorParamValueType
IndicatorParamValueType_BOOL: IndicatorParamValueType
IndicatorShape_UNKNOWN: IndicatorShape
IndicatorShape_XCROSS: IndicatorShape
IndicatorShape_CROSS: IndicatorShape
IndicatorShape_CIRCLE: IndicatorShape
IndicatorShape_TRIANGLE_UP: IndicatorShape
IndicatorShape_TRIANGLE_DOWN: IndicatorShape
IndicatorShape_FLAG: IndicatorShape
IndicatorShape_ARROW_UP: IndicatorShape
IndicatorShape_ARROW_DOWN: IndicatorShape
IndicatorShape_SQUARE: IndicatorShape
IndicatorShape_DIAMOND: IndicatorShape
IndicatorShape_LABEL_UP: IndicatorShape
IndicatorShape_LABEL_DOWN: IndicatorShape
IndicatorLineType_UNKNOWN: IndicatorLineType
IndicatorLineType_SOLID: IndicatorLineType
IndicatorLineType_DASHED: IndicatorLineType
IndicatorLineType_DOT: IndicatorLineType
IndicatorLineType_CROSS: IndicatorLineType
IndicatorLineType_CIRCLE: IndicatorLineType
IndicatorLineType_HISTOGRAM: IndicatorLineType
IndicatorLineType_HISTOGRAM_LINE: IndicatorLineType
IndicatorLineType_STEP: IndicatorLineType
IndicatorLineType_STEP_DIAMONDS: IndicatorLineType
EC_Status_Initialized: EC_Status
EC_Status_Inactive: EC_Status
EC_Status_Active: EC_Status
EC_Status_Closed: EC_Status
EC_Status_Halted: EC_Status
EC_Status_Settled: EC_Status
EC_Status_Canceled: EC_Status
EC_Status_DeterminationPending: EC_Status
EC_Status_Determined: EC_Status
EC_Status_Finalized: EC_Status
EC_Status_EventAbnormal: EC_Status
EC_Status_EventInitialized: EC_Status
EC_Status_EventActive: EC_Status
EC_Status_EventClosed: EC_Status
EC_Status_EventSettled: EC_Status
EC_Status_EventCanceled: EC_Status
EC_Status_EventFinalized: EC_Status
EC_ContractType_None: EC_ContractType
EC_ContractType_Binary: EC_ContractType
EC_ContractType_Scalar: EC_ContractType
EC_Frequency_Unknown: EC_Frequency
EC_Frequency_Annual: EC_Frequency
EC_Frequency_Monthly: EC_Frequency
EC_Frequency_Weekly: EC_Frequency
EC_Frequency_Daily: EC_Frequency
EC_Frequency_Hourly: EC_Frequency
EC_Frequency_Custom: EC_Frequency
EC_Frequency_OneOff: EC_Frequency
EC_MilestoneType_Unknown: EC_MilestoneType
EC_MilestoneType_FootballGame: EC_MilestoneType
EC_MilestoneType_BasketballGame: EC_MilestoneType
EC_MilestoneType_SoccerTournamentMultiLeg: EC_MilestoneType
EC_MilestoneType_BaseballTournament: EC_MilestoneType
EC_MilestoneType_BaseballGame: EC_MilestoneType
EC_KlineSource_None: EC_KlineSource
EC_KlineSource_OrderBookYes: EC_KlineSource

class QotHeader(_message.Message):
    __slots__ = ("securityFirm",)
    SECURITYFIRM_FIELD_NUMBER: _ClassVar[int]
    securityFirm: int
    def __init__(self, securityFirm: _Optional[int] = ...) -> None: ...

class Security(_message.Message):
    __slots__ = ("market", "code")
    MARKET_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    market: int
    code: str
    def __init__(self, market: _Optional[int] = ..., code: _Optional[str] = ...) -> None: ...

class KLine(_message.Message):
    __slots__ = ("time", "isBlank", "highPrice", "openPrice", "lowPrice", "closePrice", "lastClosePrice", "volume", "turnover", "turnoverRate", "pe", "changeRate", "timestamp", "hpVolume")
    TIME_FIELD_NUMBER: _ClassVar[int]
    ISBLANK_FIELD_NUMBER: _ClassVar[int]
    HIGHPRICE_FIELD_NUMBER: _ClassVar[int]
    OPENPRICE_FIELD_NUMBER: _ClassVar[int]
    LOWPRICE_FIELD_NUMBER: _ClassVar[int]
    CLOSEPRICE_FIELD_NUMBER: _ClassVar[int]
    LASTCLOSEPRICE_FIELD_NUMBER: _ClassVar[int]
    VOLUME_FIELD_NUMBER: _ClassVar[int]
    TURNOVER_FIELD_NUMBER: _ClassVar[int]
    TURNOVERRATE_FIELD_NUMBER: _ClassVar[int]
    PE_FIELD_NUMBER: _ClassVar[int]
    CHANGERATE_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    HPVOLUME_FIELD_NUMBER: _ClassVar[int]
    time: str
    isBlank: bool
    highPrice: float
    openPrice: float
    lowPrice: float
    closePrice: float
    lastClosePrice: float
    volume: int
    turnover: float
    turnoverRate: float
    pe: float
    changeRate: float
    timestamp: float
    hpVolume: float
    def __init__(self, time: _Optional[str] = ..., isBlank: _Optional[bool] = ..., highPrice: _Optional[float] = ..., openPrice: _Optional[float] = ..., lowPrice: _Optional[float] = ..., closePrice: _Optional[float] = ..., lastClosePrice: _Optional[float] = ..., volume: _Optional[int] = ..., turnover: _Optional[float] = ..., turnoverRate: _Optional[float] = ..., pe: _Optional[float] = ..., changeRate: _Optional[float] = ..., timestamp: _Optional[float] = ..., hpVolume: _Optional[float] = ...) -> None: ...

class OptionBasicQotExData(_message.Message):
    __slots__ = ("strikePrice", "contractSize", "contractSizeFloat", "openInterest", "impliedVolatility", "premium", "delta", "gamma", "vega", "theta", "rho", "netOpenInterest", "expiryDateDistance", "contractNominalValue", "ownerLotMultiplier", "optionAreaType", "contractMultiplier", "indexOptionType")
    STRIKEPRICE_FIELD_NUMBER: _ClassVar[int]
    CONTRACTSIZE_FIELD_NUMBER: _ClassVar[int]
    CONTRACTSIZEFLOAT_FIELD_NUMBER: _ClassVar[int]
    OPENINTEREST_FIELD_NUMBER: _ClassVar[int]
    IMPLIEDVOLATILITY_FIELD_NUMBER: _ClassVar[int]
    PREMIUM_FIELD_NUMBER: _ClassVar[int]
    DELTA_FIELD_NUMBER: _ClassVar[int]
    GAMMA_FIELD_NUMBER: _ClassVar[int]
    VEGA_FIELD_NUMBER: _ClassVar[int]
    THETA_FIELD_NUMBER: _ClassVar[int]
    RHO_FIELD_NUMBER: _ClassVar[int]
    NETOPENINTEREST_FIELD_NUMBER: _ClassVar[int]
    EXPIRYDATEDISTANCE_FIELD_NUMBER: _ClassVar[int]
    CONTRACTNOMINALVALUE_FIELD_NUMBER: _ClassVar[int]
    OWNERLOTMULTIPLIER_FIELD_NUMBER: _ClassVar[int]
    OPTIONAREATYPE_FIELD_NUMBER: _ClassVar[int]
    CONTRACTMULTIPLIER_FIELD_NUMBER: _ClassVar[int]
    INDEXOPTIONTYPE_FIELD_NUMBER: _ClassVar[int]
    strikePrice: float
    contractSize: int
    contractSizeFloat: float
    openInterest: int
    impliedVolatility: float
    premium: float
    delta: float
    gamma: float
    vega: float
    theta: float
    rho: float
    netOpenInterest: int
    expiryDateDistance: int
    contractNominalValue: float
    ownerLotMultiplier: float
    optionAreaType: int
    contractMultiplier: float
    indexOptionType: int
    def __init__(self, strikePrice: _Optional[float] = ..., contractSize: _Optional[int] = ..., contractSizeFloat: _Optional[float] = ..., openInterest: _Optional[int] = ..., impliedVolatility: _Optional[float] = ..., premium: _Optional[float] = ..., delta: _Optional[float] = ..., gamma: _Optional[float] = ..., vega: _Optional[float] = ..., theta: _Optional[float] = ..., rho: _Optional[float] = ..., netOpenInterest: _Optional[int] = ..., expiryDateDistance: _Optional[int] = ..., contractNominalValue: _Optional[float] = ..., ownerLotMultiplier: _Optional[float] = ..., optionAreaType: _Optional[int] = ..., contractMultiplier: _Optional[float] = ..., indexOptionType: _Optional[int] = ...) -> None: ...

class PreAfterMarketData(_message.Message):
    __slots__ = ("price", "highPrice", "lowPrice", "volume", "turnover", "changeVal", "changeRate", "amplitude")
    PRICE_FIELD_NUMBER: _ClassVar[int]
    HIGHPRICE_FIELD_NUMBER: _ClassVar[int]
    LOWPRICE_FIELD_NUMBER: _ClassVar[int]
    VOLUME_FIELD_NUMBER: _ClassVar[int]
    TURNOVER_FIELD_NUMBER: _ClassVar[int]
    CHANGEVAL_FIELD_NUMBER: _ClassVar[int]
    CHANGERATE_FIELD_NUMBER: _ClassVar[int]
    AMPLITUDE_FIELD_NUMBER: _ClassVar[int]
    price: float
    highPrice: float
    lowPrice: float
    volume: int
    turnover: float
    changeVal: float
    changeRate: float
    amplitude: float
    def __init__(self, price: _Optional[float] = ..., highPrice: _Optional[float] = ..., lowPrice: _Optional[float] = ..., volume: _Optional[int] = ..., turnover: _Optional[float] = ..., changeVal: _Optional[float] = ..., changeRate: _Optional[float] = ..., amplitude: _Optional[float] = ...) -> None: ...

class FutureBasicQotExData(_message.Message):
    __slots__ = ("lastSettlePrice", "position", "positionChange", "expiryDateDistance")
    LASTSETTLEPRICE_FIELD_NUMBER: _ClassVar[int]
    POSITION_FIELD_NUMBER: _ClassVar[int]
    POSITIONCHANGE_FIELD_NUMBER: _ClassVar[int]
    EXPIRYDATEDISTANCE_FIELD_NUMBER: _ClassVar[int]
    lastSettlePrice: float
    position: int
    positionChange: int
    expiryDateDistance: int
    def __init__(self, lastSettlePrice: _Optional[float] = ..., position: _Optional[int] = ..., positionChange: _Optional[int] = ..., expiryDateDistance: _Optional[int] = ...) -> None: ...

class WarrantBasicQotExData(_message.Message):
    __slots__ = ("delta", "impliedVolatility", "premium")
    DELTA_FIELD_NUMBER: _ClassVar[int]
    IMPLIEDVOLATILITY_FIELD_NUMBER: _ClassVar[int]
    PREMIUM_FIELD_NUMBER: _ClassVar[int]
    delta: float
    impliedVolatility: float
    premium: float
    def __init__(self, delta: _Optional[float] = ..., impliedVolatility: _Optional[float] = ..., premium: _Optional[float] = ...) -> None: ...

class BasicQot(_message.Message):
    __slots__ = ("security", "name", "isSuspended", "listTime", "priceSpread", "updateTime", "highPrice", "openPrice", "lowPrice", "curPrice", "lastClosePrice", "volume", "turnover", "turnoverRate", "amplitude", "darkStatus", "optionExData", "listTimestamp", "updateTimestamp", "preMarket", "afterMarket", "secStatus", "futureExData", "warrantExData", "overnight", "hpVolume")
    SECURITY_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ISSUSPENDED_FIELD_NUMBER: _ClassVar[int]
    LISTTIME_FIELD_NUMBER: _ClassVar[int]
    PRICESPREAD_FIELD_NUMBER: _ClassVar[int]
    UPDATETIME_FIELD_NUMBER: _ClassVar[int]
    HIGHPRICE_FIELD_NUMBER: _ClassVar[int]
    OPENPRICE_FIELD_NUMBER: _ClassVar[int]
    LOWPRICE_FIELD_NUMBER: _ClassVar[int]
    CURPRICE_FIELD_NUMBER: _ClassVar[int]
    LASTCLOSEPRICE_FIELD_NUMBER: _ClassVar[int]
    VOLUME_FIELD_NUMBER: _ClassVar[int]
    TURNOVER_FIELD_NUMBER: _ClassVar[int]
    TURNOVERRATE_FIELD_NUMBER: _ClassVar[int]
    AMPLITUDE_FIELD_NUMBER: _ClassVar[int]
    DARKSTATUS_FIELD_NUMBER: _ClassVar[int]
    OPTIONEXDATA_FIELD_NUMBER: _ClassVar[int]
    LISTTIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    UPDATETIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    PREMARKET_FIELD_NUMBER: _ClassVar[int]
    AFTERMARKET_FIELD_NUMBER: _ClassVar[int]
    SECSTATUS_FIELD_NUMBER: _ClassVar[int]
    FUTUREEXDATA_FIELD_NUMBER: _ClassVar[int]
    WARRANTEXDATA_FIELD_NUMBER: _ClassVar[int]
    OVERNIGHT_FIELD_NUMBER: _ClassVar[int]
    HPVOLUME_FIELD_NUMBER: _ClassVar[int]
    security: Security
    name: str
    isSuspended: bool
    listTime: str
    priceSpread: float
    updateTime: str
    highPrice: float
    openPrice: float
    lowPrice: float
    curPrice: float
    lastClosePrice: float
    volume: int
    turnover: float
    turnoverRate: float
    amplitude: float
    darkStatus: int
    optionExData: OptionBasicQotExData
    listTimestamp: float
    updateTimestamp: float
    preMarket: PreAfterMarketData
    afterMarket: PreAfterMarketData
    secStatus: int
    futureExData: FutureBasicQotExData
    warrantExData: WarrantBasicQotExData
    overnight: PreAfterMarketData
    hpVolume: float
    def __init__(self, security: _Optional[_Union[Security, _Mapping]] = ..., name: _Optional[str] = ..., isSuspended: _Optional[bool] = ..., listTime: _Optional[str] = ..., priceSpread: _Optional[float] = ..., updateTime: _Optional[str] = ..., highPrice: _Optional[float] = ..., openPrice: _Optional[float] = ..., lowPrice: _Optional[float] = ..., curPrice: _Optional[float] = ..., lastClosePrice: _Optional[float] = ..., volume: _Optional[int] = ..., turnover: _Optional[float] = ..., turnoverRate: _Optional[float] = ..., amplitude: _Optional[float] = ..., darkStatus: _Optional[int] = ..., optionExData: _Optional[_Union[OptionBasicQotExData, _Mapping]] = ..., listTimestamp: _Optional[float] = ..., updateTimestamp: _Optional[float] = ..., preMarket: _Optional[_Union[PreAfterMarketData, _Mapping]] = ..., afterMarket: _Optional[_Union[PreAfterMarketData, _Mapping]] = ..., secStatus: _Optional[int] = ..., futureExData: _Optional[_Union[FutureBasicQotExData, _Mapping]] = ..., warrantExData: _Optional[_Union[WarrantBasicQotExData, _Mapping]] = ..., overnight: _Optional[_Union[PreAfterMarketData, _Mapping]] = ..., hpVolume: _Optional[float] = ...) -> None: ...

class TimeShare(_message.Message):
    __slots__ = ("time", "minute", "isBlank", "price", "lastClosePrice", "avgPrice", "volume", "turnover", "timestamp", "hpVolume")
    TIME_FIELD_NUMBER: _ClassVar[int]
    MINUTE_FIELD_NUMBER: _ClassVar[int]
    ISBLANK_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    LASTCLOSEPRICE_FIELD_NUMBER: _ClassVar[int]
    AVGPRICE_FIELD_NUMBER: _ClassVar[int]
    VOLUME_FIELD_NUMBER: _ClassVar[int]
    TURNOVER_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    HPVOLUME_FIELD_NUMBER: _ClassVar[int]
    time: str
    minute: int
    isBlank: bool
    price: float
    lastClosePrice: float
    avgPrice: float
    volume: int
    turnover: float
    timestamp: float
    hpVolume: float
    def __init__(self, time: _Optional[str] = ..., minute: _Optional[int] = ..., isBlank: _Optional[bool] = ..., price: _Optional[float] = ..., lastClosePrice: _Optional[float] = ..., avgPrice: _Optional[float] = ..., volume: _Optional[int] = ..., turnover: _Optional[float] = ..., timestamp: _Optional[float] = ..., hpVolume: _Optional[float] = ...) -> None: ...

class SecurityStaticBasic(_message.Message):
    __slots__ = ("security", "id", "lotSize", "secType", "name", "listTime", "delisting", "listTimestamp", "exchType")
    SECURITY_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    LOTSIZE_FIELD_NUMBER: _ClassVar[int]
    SECTYPE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    LISTTIME_FIELD_NUMBER: _ClassVar[int]
    DELISTING_FIELD_NUMBER: _ClassVar[int]
    LISTTIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    EXCHTYPE_FIELD_NUMBER: _ClassVar[int]
    security: Security
    id: int
    lotSize: int
    secType: int
    name: str
    listTime: str
    delisting: bool
    listTimestamp: float
    exchType: int
    def __init__(self, security: _Optional[_Union[Security, _Mapping]] = ..., id: _Optional[int] = ..., lotSize: _Optional[int] = ..., secType: _Optional[int] = ..., name: _Optional[str] = ..., listTime: _Optional[str] = ..., delisting: _Optional[bool] = ..., listTimestamp: _Optional[float] = ..., exchType: _Optional[int] = ...) -> None: ...

class WarrantStaticExData(_message.Message):
    __slots__ = ("type", "owner")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    type: int
    owner: Security
    def __init__(self, type: _Optional[int] = ..., owner: _Optional[_Union[Security, _Mapping]] = ...) -> None: ...

class OptionStaticExData(_message.Message):
    __slots__ = ("type", "owner", "strikeTime", "strikePrice", "suspend", "market", "strikeTimestamp", "indexOptionType", "expirationCycle", "optionStandardType", "optionSettlementMode")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    STRIKETIME_FIELD_NUMBER: _ClassVar[int]
    STRIKEPRICE_FIELD_NUMBER: _ClassVar[int]
    SUSPEND_FIELD_NUMBER: _ClassVar[int]
    MARKET_FIELD_NUMBER: _ClassVar[int]
    STRIKETIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    INDEXOPTIONTYPE_FIELD_NUMBER: _ClassVar[int]
    EXPIRATIONCYCLE_FIELD_NUMBER: _ClassVar[int]
    OPTIONSTANDARDTYPE_FIELD_NUMBER: _ClassVar[int]
    OPTIONSETTLEMENTMODE_FIELD_NUMBER: _ClassVar[int]
    type: int
    owner: Security
    strikeTime: str
    strikePrice: float
    suspend: bool
    market: str
    strikeTimestamp: float
    indexOptionType: int
    expirationCycle: int
    optionStandardType: int
    optionSettlementMode: int
    def __init__(self, type: _Optional[int] = ..., owner: _Optional[_Union[Security, _Mapping]] = ..., strikeTime: _Optional[str] = ..., strikePrice: _Optional[float] = ..., suspend: _Optional[bool] = ..., market: _Optional[str] = ..., strikeTimestamp: _Optional[float] = ..., indexOptionType: _Optional[int] = ..., expirationCycle: _Optional[int] = ..., optionStandardType: _Optional[int] = ..., optionSettlementMode: _Optional[int] = ...) -> None: ...

class FutureStaticExData(_message.Message):
    __slots__ = ("lastTradeTime", "lastTradeTimestamp", "isMainContract")
    LASTTRADETIME_FIELD_NUMBER: _ClassVar[int]
    LASTTRADETIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    ISMAINCONTRACT_FIELD_NUMBER: _ClassVar[int]
    lastTradeTime: str
    lastTradeTimestamp: float
    isMainContract: bool
    def __init__(self, lastTradeTime: _Optional[str] = ..., lastTradeTimestamp: _Optional[float] = ..., isMainContract: _Optional[bool] = ...) -> None: ...

class SecurityStaticInfo(_message.Message):
    __slots__ = ("basic", "warrantExData", "optionExData", "futureExData")
    BASIC_FIELD_NUMBER: _ClassVar[int]
    WARRANTEXDATA_FIELD_NUMBER: _ClassVar[int]
    OPTIONEXDATA_FIELD_NUMBER: _ClassVar[int]
    FUTUREEXDATA_FIELD_NUMBER: _ClassVar[int]
    basic: SecurityStaticBasic
    warrantExData: WarrantStaticExData
    optionExData: OptionStaticExData
    futureExData: FutureStaticExData
    def __init__(self, basic: _Optional[_Union[SecurityStaticBasic, _Mapping]] = ..., warrantExData: _Optional[_Union[WarrantStaticExData, _Mapping]] = ..., optionExData: _Optional[_Union[OptionStaticExData, _Mapping]] = ..., futureExData: _Optional[_Union[FutureStaticExData, _Mapping]] = ...) -> None: ...

class Broker(_message.Message):
    __slots__ = ("id", "name", "pos", "orderID", "volume")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    POS_FIELD_NUMBER: _ClassVar[int]
    ORDERID_FIELD_NUMBER: _ClassVar[int]
    VOLUME_FIELD_NUMBER: _ClassVar[int]
    id: int
    name: str
    pos: int
    orderID: int
    volume: int
    def __init__(self, id: _Optional[int] = ..., name: _Optional[str] = ..., pos: _Optional[int] = ..., orderID: _Optional[int] = ..., volume: _Optional[int] = ...) -> None: ...

class Ticker(_message.Message):
    __slots__ = ("time", "sequence", "dir", "price", "volume", "turnover", "recvTime", "type", "typeSign", "pushDataType", "timestamp", "hpVolume")
    TIME_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    DIR_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    VOLUME_FIELD_NUMBER: _ClassVar[int]
    TURNOVER_FIELD_NUMBER: _ClassVar[int]
    RECVTIME_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    TYPESIGN_FIELD_NUMBER: _ClassVar[int]
    PUSHDATATYPE_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    HPVOLUME_FIELD_NUMBER: _ClassVar[int]
    time: str
    sequence: int
    dir: int
    price: float
    volume: int
    turnover: float
    recvTime: float
    type: int
    typeSign: int
    pushDataType: int
    timestamp: float
    hpVolume: float
    def __init__(self, time: _Optional[str] = ..., sequence: _Optional[int] = ..., dir: _Optional[int] = ..., price: _Optional[float] = ..., volume: _Optional[int] = ..., turnover: _Optional[float] = ..., recvTime: _Optional[float] = ..., type: _Optional[int] = ..., typeSign: _Optional[int] = ..., pushDataType: _Optional[int] = ..., timestamp: _Optional[float] = ..., hpVolume: _Optional[float] = ...) -> None: ...

class OrderBookDetail(_message.Message):
    __slots__ = ("orderID", "volume")
    ORDERID_FIELD_NUMBER: _ClassVar[int]
    VOLUME_FIELD_NUMBER: _ClassVar[int]
    orderID: int
    volume: int
    def __init__(self, orderID: _Optional[int] = ..., volume: _Optional[int] = ...) -> None: ...

class OrderBook(_message.Message):
    __slots__ = ("price", "volume", "orederCount", "detailList", "hpVolume")
    PRICE_FIELD_NUMBER: _ClassVar[int]
    VOLUME_FIELD_NUMBER: _ClassVar[int]
    OREDERCOUNT_FIELD_NUMBER: _ClassVar[int]
    DETAILLIST_FIELD_NUMBER: _ClassVar[int]
    HPVOLUME_FIELD_NUMBER: _ClassVar[int]
    price: float
    volume: int
    orederCount: int
    detailList: _containers.RepeatedCompositeFieldContainer[OrderBookDetail]
    hpVolume: float
    def __init__(self, price: _Optional[float] = ..., volume: _Optional[int] = ..., orederCount: _Optional[int] = ..., detailList: _Optional[_Iterable[_Union[OrderBookDetail, _Mapping]]] = ..., hpVolume: _Optional[float] = ...) -> None: ...

class ShareHoldingChange(_message.Message):
    __slots__ = ("holderName", "holdingQty", "holdingRatio", "changeQty", "changeRatio", "time", "timestamp")
    HOLDERNAME_FIELD_NUMBER: _ClassVar[int]
    HOLDINGQTY_FIELD_NUMBER: _ClassVar[int]
    HOLDINGRATIO_FIELD_NUMBER: _ClassVar[int]
    CHANGEQTY_FIELD_NUMBER: _ClassVar[int]
    CHANGERATIO_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    holderName: str
    holdingQty: float
    holdingRatio: float
    changeQty: float
    changeRatio: float
    time: str
    timestamp: float
    def __init__(self, holderName: _Optional[str] = ..., holdingQty: _Optional[float] = ..., holdingRatio: _Optional[float] = ..., changeQty: _Optional[float] = ..., changeRatio: _Optional[float] = ..., time: _Optional[str] = ..., timestamp: _Optional[float] = ...) -> None: ...

class SubInfo(_message.Message):
    __slots__ = ("subType", "securityList")
    SUBTYPE_FIELD_NUMBER: _ClassVar[int]
    SECURITYLIST_FIELD_NUMBER: _ClassVar[int]
    subType: int
    securityList: _containers.RepeatedCompositeFieldContainer[Security]
    def __init__(self, subType: _Optional[int] = ..., securityList: _Optional[_Iterable[_Union[Security, _Mapping]]] = ...) -> None: ...

class ConnSubInfo(_message.Message):
    __slots__ = ("subInfoList", "usedQuota", "isOwnConnData", "securityFirm", "optionUsedQuota")
    SUBINFOLIST_FIELD_NUMBER: _ClassVar[int]
    USEDQUOTA_FIELD_NUMBER: _ClassVar[int]
    ISOWNCONNDATA_FIELD_NUMBER: _ClassVar[int]
    SECURITYFIRM_FIELD_NUMBER: _ClassVar[int]
    OPTIONUSEDQUOTA_FIELD_NUMBER: _ClassVar[int]
    subInfoList: _containers.RepeatedCompositeFieldContainer[SubInfo]
    usedQuota: int
    isOwnConnData: bool
    securityFirm: int
    optionUsedQuota: int
    def __init__(self, subInfoList: _Optional[_Iterable[_Union[SubInfo, _Mapping]]] = ..., usedQuota: _Optional[int] = ..., isOwnConnData: _Optional[bool] = ..., securityFirm: _Optional[int] = ..., optionUsedQuota: _Optional[int] = ...) -> None: ...

class PlateInfo(_message.Message):
    __slots__ = ("plate", "name", "plateType")
    PLATE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PLATETYPE_FIELD_NUMBER: _ClassVar[int]
    plate: Security
    name: str
    plateType: int
    def __init__(self, plate: _Optional[_Union[Security, _Mapping]] = ..., name: _Optional[str] = ..., plateType: _Optional[int] = ...) -> None: ...

class Rehab(_message.Message):
    __slots__ = ("time", "companyActFlag", "fwdFactorA", "fwdFactorB", "bwdFactorA", "bwdFactorB", "splitBase", "splitErt", "joinBase", "joinErt", "bonusBase", "bonusErt", "transferBase", "transferErt", "allotBase", "allotErt", "allotPrice", "addBase", "addErt", "addPrice", "dividend", "spDividend", "spinOffBase", "spinOffErt", "timestamp")
    TIME_FIELD_NUMBER: _ClassVar[int]
    COMPANYACTFLAG_FIELD_NUMBER: _ClassVar[int]
    FWDFACTORA_FIELD_NUMBER: _ClassVar[int]
    FWDFACTORB_FIELD_NUMBER: _ClassVar[int]
    BWDFACTORA_FIELD_NUMBER: _ClassVar[int]
    BWDFACTORB_FIELD_NUMBER: _ClassVar[int]
    SPLITBASE_FIELD_NUMBER: _ClassVar[int]
    SPLITERT_FIELD_NUMBER: _ClassVar[int]
    JOINBASE_FIELD_NUMBER: _ClassVar[int]
    JOINERT_FIELD_NUMBER: _ClassVar[int]
    BONUSBASE_FIELD_NUMBER: _ClassVar[int]
    BONUSERT_FIELD_NUMBER: _ClassVar[int]
    TRANSFERBASE_FIELD_NUMBER: _ClassVar[int]
    TRANSFERERT_FIELD_NUMBER: _ClassVar[int]
    ALLOTBASE_FIELD_NUMBER: _ClassVar[int]
    ALLOTERT_FIELD_NUMBER: _ClassVar[int]
    ALLOTPRICE_FIELD_NUMBER: _ClassVar[int]
    ADDBASE_FIELD_NUMBER: _ClassVar[int]
    ADDERT_FIELD_NUMBER: _ClassVar[int]
    ADDPRICE_FIELD_NUMBER: _ClassVar[int]
    DIVIDEND_FIELD_NUMBER: _ClassVar[int]
    SPDIVIDEND_FIELD_NUMBER: _ClassVar[int]
    SPINOFFBASE_FIELD_NUMBER: _ClassVar[int]
    SPINOFFERT_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    time: str
    companyActFlag: int
    fwdFactorA: float
    fwdFactorB: float
    bwdFactorA: float
    bwdFactorB: float
    splitBase: int
    splitErt: int
    joinBase: int
    joinErt: int
    bonusBase: int
    bonusErt: int
    transferBase: int
    transferErt: int
    allotBase: int
    allotErt: int
    allotPrice: float
    addBase: int
    addErt: int
    addPrice: float
    dividend: float
    spDividend: float
    spinOffBase: float
    spinOffErt: float
    timestamp: float
    def __init__(self, time: _Optional[str] = ..., companyActFlag: _Optional[int] = ..., fwdFactorA: _Optional[float] = ..., fwdFactorB: _Optional[float] = ..., bwdFactorA: _Optional[float] = ..., bwdFactorB: _Optional[float] = ..., splitBase: _Optional[int] = ..., splitErt: _Optional[int] = ..., joinBase: _Optional[int] = ..., joinErt: _Optional[int] = ..., bonusBase: _Optional[int] = ..., bonusErt: _Optional[int] = ..., transferBase: _Optional[int] = ..., transferErt: _Optional[int] = ..., allotBase: _Optional[int] = ..., allotErt: _Optional[int] = ..., allotPrice: _Optional[float] = ..., addBase: _Optional[int] = ..., addErt: _Optional[int] = ..., addPrice: _Optional[float] = ..., dividend: _Optional[float] = ..., spDividend: _Optional[float] = ..., spinOffBase: _Optional[float] = ..., spinOffErt: _Optional[float] = ..., timestamp: _Optional[float] = ...) -> None: ...

class ComboLeg(_message.Message):
    __slots__ = ("security", "side", "qtyRatio", "positionID", "predSide")
    SECURITY_FIELD_NUMBER: _ClassVar[int]
    SIDE_FIELD_NUMBER: _ClassVar[int]
    QTYRATIO_FIELD_NUMBER: _ClassVar[int]
    POSITIONID_FIELD_NUMBER: _ClassVar[int]
    PREDSIDE_FIELD_NUMBER: _ClassVar[int]
    security: Security
    side: int
    qtyRatio: float
    positionID: int
    predSide: int
    def __init__(self, security: _Optional[_Union[Security, _Mapping]] = ..., side: _Optional[int] = ..., qtyRatio: _Optional[float] = ..., positionID: _Optional[int] = ..., predSide: _Optional[int] = ...) -> None: ...

class IndicatorParamValue(_message.Message):
    __slots__ = ("type", "intValue", "floatValue", "stringValue", "boolValue", "colorValue", "shapeValue", "lineValue")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    INTVALUE_FIELD_NUMBER: _ClassVar[int]
    FLOATVALUE_FIELD_NUMBER: _ClassVar[int]
    STRINGVALUE_FIELD_NUMBER: _ClassVar[int]
    BOOLVALUE_FIELD_NUMBER: _ClassVar[int]
    COLORVALUE_FIELD_NUMBER: _ClassVar[int]
    SHAPEVALUE_FIELD_NUMBER: _ClassVar[int]
    LINEVALUE_FIELD_NUMBER: _ClassVar[int]
    type: IndicatorParamValueType
    intValue: int
    floatValue: float
    stringValue: str
    boolValue: bool
    colorValue: str
    shapeValue: IndicatorShape
    lineValue: IndicatorLineType
    def __init__(self, type: _Optional[_Union[IndicatorParamValueType, str]] = ..., intValue: _Optional[int] = ..., floatValue: _Optional[float] = ..., stringValue: _Optional[str] = ..., boolValue: _Optional[bool] = ..., colorValue: _Optional[str] = ..., shapeValue: _Optional[_Union[IndicatorShape, str]] = ..., lineValue: _Optional[_Union[IndicatorLineType, str]] = ...) -> None: ...

class IndicatorInputParam(_message.Message):
    __slots__ = ("index", "name", "value", "varName")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    VARNAME_FIELD_NUMBER: _ClassVar[int]
    index: int
    name: str
    value: IndicatorParamValue
    varName: str
    def __init__(self, index: _Optional[int] = ..., name: _Optional[str] = ..., value: _Optional[_Union[IndicatorParamValue, _Mapping]] = ..., varName: _Optional[str] = ...) -> None: ...

class IndicatorOutputParam(_message.Message):
    __slots__ = ("index", "name")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    index: int
    name: str
    def __init__(self, index: _Optional[int] = ..., name: _Optional[str] = ...) -> None: ...
