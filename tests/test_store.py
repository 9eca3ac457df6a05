"""The store's apply / dirty logic, without Textual or sockets."""

from __future__ import annotations

from protocol.proto import (
    Qot_Common_pb2,
    Qot_UpdateKL_pb2,
    Qot_UpdateOrderBook_pb2,
    Qot_UpdateTicker_pb2,
    Trd_Common_pb2,
)
from workstation.store import Store


def qot(code="00700", price=388.2, market=1):
    q = Qot_Common_pb2.BasicQot(
        security=Qot_Common_pb2.Security(market=market, code=code), isSuspended=False, listTime="2004-06-16",
        priceSpread=0.2, updateTime="2026-11-20 10:00:00", highPrice=price + 1, openPrice=price, lowPrice=price - 1,
        curPrice=price, lastClosePrice=380.0, volume=1000, turnover=price * 1000, turnoverRate=0.1, amplitude=0.5,
    )
    return q


def test_quotes_latest_wins_and_mark_dirty_once():
    s = Store()
    s.apply_basic_qots([qot(price=388.0), qot(price=388.4), qot("AAPL", 190.0, market=11)])
    q = s.quotes["HK.00700"]
    assert q.last == 388.4 and q.prev_last == 388.0 and q.seq == 2
    assert round(q.change, 3) == 8.4 and round(q.change_pct, 3) == round(8.4 / 380 * 100, 3)
    quotes = s.take_dirty().quotes
    assert quotes == {"HK.00700", "US.AAPL"}
    assert s.take_dirty().quotes == set()


def test_order_book_sets_best_bid_ask():
    s = Store()
    msg = Qot_UpdateOrderBook_pb2.S2C(security=Qot_Common_pb2.Security(market=1, code="00700"))
    for i in range(10):
        msg.orderBookBidList.add(price=388.0 - i * 0.2, volume=100 * (i + 1), orederCount=i + 1)
        msg.orderBookAskList.add(price=388.2 + i * 0.2, volume=100 * (i + 1), orederCount=i + 1)
    s.apply_order_book(msg)
    book = s.books["HK.00700"]
    assert len(book.bids) == len(book.asks) == 10
    assert s.quotes["HK.00700"].bid == 388.0 and s.quotes["HK.00700"].ask == 388.2


def test_tape_is_bounded_and_skips_repeats():
    s = Store()
    msg = Qot_UpdateTicker_pb2.S2C(security=Qot_Common_pb2.Security(market=1, code="00700"))
    for seq in range(1, 701):
        msg.tickerList.add(time="2026-11-20 10:00:00.000", sequence=seq, dir=1, price=388.0, volume=100, turnover=38800)
    s.apply_tickers(msg)
    s.apply_tickers(msg)  # the same ticks again (first push after a resubscribe)
    tape = s.tapes["HK.00700"]
    assert len(tape) == 500 and tape[-1].seq == 700 and tape[0].seq == 201


def test_kline_push_replaces_forming_bar_and_appends_new_ones():
    s = Store()
    msg = Qot_UpdateKL_pb2.S2C(rehabType=1, klType=1, security=Qot_Common_pb2.Security(market=1, code="00700"))
    msg.klList.add(time="2026-11-20 10:01:00", isBlank=False, openPrice=1, highPrice=2, lowPrice=1, closePrice=2, volume=5)
    s.apply_kl(msg)
    msg.klList[0].closePrice = 1.5
    s.apply_kl(msg)
    msg.klList[0].time = "2026-11-20 10:02:00"
    s.apply_kl(msg)
    bars = s.bars[("HK.00700", 1)]
    assert [b.time[-8:] for b in bars] == ["10:01:00", "10:02:00"] and bars[0].close == 1.5


def test_fills_counted_once():
    s = Store()
    f = Trd_Common_pb2.OrderFill(trdSide=1, fillID=1, fillIDEx="F1", orderIDEx="O1", code="00700", name="TENCENT",
                                 qty=100, price=388.2, createTime="2026-11-20 10:00:00", secMarket=1)
    assert s.apply_fill(f)[1] is True
    assert s.apply_fill(f)[1] is False
    assert list(s.fills) == ["F1"] and s.fills["F1"].code == "HK.00700"
