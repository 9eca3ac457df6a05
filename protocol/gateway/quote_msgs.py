"""Market objects -> Qot protobuf messages, every proto2 required field filled.

Optional fields are set only where the simulator has a value, because the SDK shows an
absent optional as 'N/A' (HasField) and a present one as its value.
"""

from __future__ import annotations

import zlib
from datetime import date, datetime

from protocol.gateway.history import Bar
from protocol.gateway.instruments import QOT_MARKET, Instrument, grid_market
from protocol.markets import SEC_ETF, SEC_INDEX, SEC_STOCK, TZ, UNIT, band_tick
from protocol.gateway.ext_quotes import ticker_type
from protocol.gateway.market import Book, FlowItem, Market, Quote, RTPoint, Trade, local_time
from protocol.proto import Qot_Common_pb2 as qc
from protocol.proto import Qot_GetCapitalFlow_pb2, Qot_GetSecuritySnapshot_pb2 as snap

STATUS_NORMAL, STATUS_SUSPENDED = 1, 9  # Qot_Common.SecurityStatus
TICKER_AUTOMATCH = 1  # Qot_Common.TickerType
PUSH_REALTIME, PUSH_CACHE = 1, 3  # Qot_Common.PushDataType
# KLFields bits of Qot_RequestHistoryKL.needKLFieldsFlag
F_HIGH, F_OPEN, F_LOW, F_CLOSE, F_LAST_CLOSE, F_VOLUME, F_TURNOVER, F_TURNOVER_RATE, F_PE, F_CHANGE = (
    1, 2, 4, 8, 16, 32, 64, 128, 256, 512)
ALL_FIELDS = 1023


def security(inst: Instrument) -> qc.Security:
    return qc.Security(market=QOT_MARKET[inst.market], code=inst.symbol)


def security_id(inst: Instrument) -> int:
    """OpenD's numeric stock id: stable per code."""
    return (QOT_MARKET[inst.market] << 32) | zlib.crc32(inst.code.encode())


def day_start(inst: Instrument, day: date) -> float:
    """Epoch of local midnight of a day in the instrument's market."""
    return datetime(day.year, day.month, day.day, tzinfo=TZ[inst.market]).timestamp()


def list_timestamp(inst: Instrument) -> float:
    return day_start(inst, date.fromisoformat(inst.list_date))


def spread(inst: Instrument, price: float) -> float:
    return band_tick(grid_market(inst), price * UNIT) / UNIT


def sec_status(q: Quote) -> int:
    return STATUS_SUSPENDED if q.suspended else STATUS_NORMAL


EXT_FIELDS = {"pre": "preMarket", "after": "afterMarket", "overnight": "overnight"}


def fill_extended(msg, q: Quote) -> None:
    """US pre-market, after-hours and overnight blocks (BasicQot and SnapshotBasicData)."""
    for name, block in (q.ext or {}).items():
        getattr(msg, EXT_FIELDS[name]).CopyFrom(qc.PreAfterMarketData(
            price=block.price, highPrice=block.high, lowPrice=block.low, volume=block.volume,
            turnover=round(block.turnover, 3), changeVal=block.change, changeRate=block.change_rate,
            amplitude=block.amplitude))


def basic_qot(inst: Instrument, q: Quote) -> qc.BasicQot:
    msg = _basic_qot(inst, q)
    fill_extended(msg, q)
    return msg


def _basic_qot(inst: Instrument, q: Quote) -> qc.BasicQot:
    return qc.BasicQot(
        security=security(inst), name=inst.name, isSuspended=q.suspended, listTime=inst.list_date,
        priceSpread=spread(inst, q.last), updateTime=local_time(inst.market, q.time), highPrice=q.high,
        openPrice=q.open, lowPrice=q.low, curPrice=q.last, lastClosePrice=q.prev_close, volume=q.volume,
        turnover=round(q.turnover, 3), turnoverRate=round(q.turnover_rate, 3), amplitude=round(q.amplitude, 3),
        listTimestamp=list_timestamp(inst), updateTimestamp=q.time, secStatus=sec_status(q),
    )


def snapshot(market: Market, inst: Instrument) -> snap.Snapshot:
    q = market.quote(inst.code)
    stats = market.stats(inst.code)
    book = market.book(inst.code)
    bid_sum = sum(lv.volume for lv in book.bids)
    ask_sum = sum(lv.volume for lv in book.asks)
    basic = snap.SnapshotBasicData(
        security=security(inst), name=inst.name, type=inst.sec_type, isSuspend=q.suspended,
        listTime=inst.list_date, lotSize=inst.lot_size, priceSpread=spread(inst, q.last),
        updateTime=local_time(inst.market, q.time), highPrice=q.high, openPrice=q.open, lowPrice=q.low,
        lastClosePrice=q.prev_close, curPrice=q.last, volume=q.volume, turnover=round(q.turnover, 3),
        turnoverRate=round(q.turnover_rate, 3), listTimestamp=list_timestamp(inst), updateTimestamp=q.time,
        amplitude=round(q.amplitude, 3), avgPrice=round(q.avg_price, 4),
        bidAskRatio=round((bid_sum - ask_sum) / (bid_sum + ask_sum) * 100, 3) if bid_sum + ask_sum else 0.0,
        volumeRatio=round(stats["volume_ratio"], 3), highest52WeeksPrice=stats["high52"],
        lowest52WeeksPrice=stats["low52"], highestHistoryPrice=stats["high_all"],
        lowestHistoryPrice=stats["low_all"], secStatus=sec_status(q), closePrice5Minute=stats["close5"],
    )
    fill_extended(basic, q)
    if q.bid is not None:
        basic.bidPrice, basic.bidVol = q.bid, q.bid_vol
    if q.ask is not None:
        basic.askPrice, basic.askVol = q.ask, q.ask_vol
    if inst.sec_type != SEC_INDEX:
        basic.enableMargin = inst.market in ("HK", "US")
        if basic.enableMargin:
            basic.mortgageRatio, basic.longMarginInitialRatio = 60.0, 40.0
        basic.enableShortSell = inst.market in ("HK", "US")
        if basic.enableShortSell:
            basic.shortSellRate = 1.5
            basic.shortAvailableVolume = inst.float_shares // 2000
            basic.shortMarginInitialRatio = 50.0
    s = snap.Snapshot(basic=basic)
    price = q.last
    if inst.sec_type == SEC_STOCK:
        eps, bvps = inst.eps, inst.bvps
        s.equityExData.CopyFrom(snap.EquitySnapshotExData(
            issuedShares=inst.total_shares, issuedMarketVal=round(inst.total_shares * price, 2),
            netAsset=round(bvps * inst.total_shares, 2), netProfit=round(eps * inst.total_shares, 2),
            earningsPershare=eps, outstandingShares=inst.float_shares,
            outstandingMarketVal=round(inst.float_shares * price, 2), netAssetPershare=bvps,
            eyRate=round(eps / price * 100, 3), peRate=round(price / eps, 3) if eps else 0.0,
            pbRate=round(price / bvps, 3) if bvps else 0.0, peTTMRate=round(price / eps * 0.96, 3) if eps else 0.0,
            dividendTTM=round(eps * 0.3, 3), dividendRatioTTM=round(eps * 0.3 / price * 100, 3),
            dividendLFY=round(eps * 0.28, 3), dividendLFYRatio=round(eps * 0.28 / price * 100, 3),
        ))
    elif inst.sec_type == SEC_ETF:
        s.trustExData.CopyFrom(snap.TrustSnapshotExData(
            dividendYield=1.6, aum=round(inst.float_shares * price, 2), outstandingUnits=inst.float_shares,
            netAssetValue=round(price * 0.9995, 4), premium=0.05, assetClass=1,
        ))
    elif inst.sec_type == SEC_INDEX:
        up = down = flat = 0
        group = ("SH", "SZ") if inst.market in ("SH", "SZ") else (inst.market,)
        for other in market.instruments.values():
            if other.market in group and not other.is_index:
                oq = market.quote(other.code)
                up += oq.last > oq.prev_close
                down += oq.last < oq.prev_close
                flat += oq.last == oq.prev_close
        s.indexExData.CopyFrom(snap.IndexSnapshotExData(raiseCount=up, fallCount=down, equalCount=flat))
    return s


def order_book_levels(book: Book, num: int) -> tuple[list[qc.OrderBook], list[qc.OrderBook]]:
    bids = [qc.OrderBook(price=lv.price, volume=lv.volume, orederCount=lv.orders) for lv in book.bids[:num]]
    asks = [qc.OrderBook(price=lv.price, volume=lv.volume, orederCount=lv.orders) for lv in book.asks[:num]]
    return bids, asks


def fill_order_book(s2c, inst: Instrument, book: Book, num: int = 10) -> None:
    """Fill a Qot_GetOrderBook / Qot_UpdateOrderBook S2C (same fields)."""
    s2c.security.CopyFrom(security(inst))
    s2c.name = inst.name
    bids, asks = order_book_levels(book, num)
    s2c.orderBookBidList.extend(bids)
    s2c.orderBookAskList.extend(asks)
    stamp = local_time(inst.market, book.time, ms=True)
    s2c.svrRecvTimeBid = s2c.svrRecvTimeAsk = stamp
    s2c.svrRecvTimeBidTimestamp = s2c.svrRecvTimeAskTimestamp = book.time


def kline(inst: Instrument, bar: Bar, fields: int = ALL_FIELDS) -> qc.KLine:
    k = qc.KLine(time=bar.time, isBlank=False, timestamp=bar.t)
    if fields & F_HIGH:
        k.highPrice = bar.high
    if fields & F_OPEN:
        k.openPrice = bar.open
    if fields & F_LOW:
        k.lowPrice = bar.low
    if fields & F_CLOSE:
        k.closePrice = bar.close
    if fields & F_LAST_CLOSE:
        k.lastClosePrice = bar.last_close
    if fields & F_VOLUME:
        k.volume = bar.volume
    if fields & F_TURNOVER:
        k.turnover = round(bar.turnover, 3)
    if fields & F_TURNOVER_RATE:
        k.turnoverRate = round(bar.volume / inst.float_shares, 6) if inst.float_shares else 0.0
    if fields & F_PE:
        k.pe = round(bar.close / inst.eps, 3) if inst.eps else 0.0
    if fields & F_CHANGE:
        k.changeRate = round((bar.close / bar.last_close - 1) * 100, 4) if bar.last_close else 0.0
    return k


def time_share(p: RTPoint) -> qc.TimeShare:
    return qc.TimeShare(time=p.time, minute=p.minute, isBlank=False, price=p.price, lastClosePrice=p.last_close,
                        avgPrice=round(p.avg_price, 4), volume=p.volume, turnover=round(p.turnover, 3),
                        timestamp=p.t)


def ticker(inst: Instrument, tr: Trade, push_type: int = PUSH_REALTIME) -> qc.Ticker:
    """A regular trade or an extended-hours print (ext_quotes: its TickerType says its session).
    The sequence grows with time across both (the millisecond, then a counter), as the
    client drops a tick whose sequence is not above the last one's."""
    ext = ticker_type(tr)
    seq = int(round(tr.time * 1000)) * 1000 + (tr.seq % 500 if ext is None else 500 + tr.seq % 500)
    t = qc.Ticker(time=local_time(inst.market, tr.time, ms=True), sequence=seq, dir=tr.direction,
                  price=tr.price, volume=tr.volume, turnover=round(tr.turnover, 3), recvTime=tr.time,
                  pushDataType=push_type, timestamp=tr.time)
    if not inst.is_index:
        t.type = TICKER_AUTOMATCH if ext is None else ext
    return t


def brokers(rows: list[tuple[int, str, int]]) -> list[qc.Broker]:
    return [qc.Broker(id=bid, name=name, pos=pos) for bid, name, pos in rows]


def flow_item(item: FlowItem, main: bool) -> Qot_GetCapitalFlow_pb2.CapitalFlowItem:
    out = Qot_GetCapitalFlow_pb2.CapitalFlowItem(
        inFlow=round(item.total, 2), time=item.time, timestamp=item.t, superInFlow=round(item.super, 2),
        bigInFlow=round(item.big, 2), midInFlow=round(item.mid, 2), smlInFlow=round(item.small, 2),
    )
    if main:  # "main" = super + big, reported for day and longer periods only
        out.mainInFlow = round(item.super + item.big, 2)
    return out


def static_info(inst: Instrument) -> qc.SecurityStaticInfo:
    return qc.SecurityStaticInfo(basic=qc.SecurityStaticBasic(
        security=security(inst), id=security_id(inst), lotSize=inst.lot_size, secType=inst.sec_type,
        name=inst.name, listTime=inst.list_date, delisting=False, listTimestamp=list_timestamp(inst),
        exchType=inst.exch_type,
    ))

