"""The time-share line (Qot_GetRT 3008, Qot_UpdateRT 3009) as the official SDK reads it from
the simulator: fields as the vendor docs list them (seed 004: time, is_blank, opened_mins,
cur_price, last_close, avg_price, volume, turnover), and pushes that continue the snapshot."""

from __future__ import annotations

import threading
import time

import pytest

from protocol.gateway.sim import SimThread

pytestmark = pytest.mark.sdk
futu = pytest.importorskip("futu")
from futu import RET_OK, OpenQuoteContext, RTDataHandlerBase, SubType  # noqa: E402

CODE = "HK.00700"


@pytest.fixture(scope="module")
def ctx():
    from futu import SysConfig
    saved = (SysConfig.IS_PROTO_ENCRYPT, SysConfig.INIT_RSA_FILE)
    SysConfig.enable_proto_encrypt(False)
    SysConfig.set_init_rsa_file("")
    runner = SimThread(seed=5, rate=20.0)
    runner.start()
    c = OpenQuoteContext(host="127.0.0.1", port=runner.sim.port)
    yield c, runner
    c.close()
    runner.stop()
    SysConfig.enable_proto_encrypt(saved[0])
    SysConfig.set_init_rsa_file(saved[1])


def ok(result):
    ret, data = result
    assert ret == RET_OK, data
    return data


def test_get_rt_data_fields_agree_with_each_other_and_the_quote(ctx):
    c, runner = ctx
    ok(c.subscribe([CODE], [SubType.QUOTE, SubType.RT_DATA]))
    runner.call(runner.sim.pause)  # a still market: the snapshot and the quote describe the same moment
    try:
        data = ok(c.get_rt_data(CODE))
        quote = ok(c.get_stock_quote([CODE])).iloc[0]
    finally:
        runner.call(runner.sim.resume)
    assert {"code", "time", "is_blank", "opened_mins", "cur_price", "last_close", "avg_price", "volume",
            "turnover"} <= set(data.columns)
    assert len(data) >= 1 and not data["is_blank"].any() and set(data["code"]) == {CODE}
    # opened_mins is the minute of `time` since midnight (seed 004: "20:01:00" -> 1201)
    mins = data["time"].str[11:13].astype(int) * 60 + data["time"].str[14:16].astype(int)
    assert (mins == data["opened_mins"]).all() and data["opened_mins"].is_monotonic_increasing
    # avg_price is the day's running VWAP: running turnover over running volume
    vwap = data["turnover"].cumsum() / data["volume"].cumsum()
    assert (abs(data["avg_price"] - vwap) <= 1e-3 * vwap + 1e-3).all()
    assert (data["last_close"] == quote.prev_close_price).all()
    assert data["cur_price"].iloc[-1] == quote.last_price
    assert data["volume"].sum() == quote.volume


def test_rt_pushes_continue_the_snapshot(ctx):
    c, _ = ctx
    got: list[tuple[str, float, float]] = []
    lock = threading.Lock()

    class Handler(RTDataHandlerBase):
        def on_recv_rsp(self, rsp_pb):
            ret, data = super().on_recv_rsp(rsp_pb)
            if ret == RET_OK:
                with lock:
                    got.extend(zip(data["time"], data["cur_price"], data["avg_price"]))
            return ret, data

    c.set_handler(Handler())
    ok(c.subscribe([CODE], [SubType.RT_DATA]))
    first = ok(c.get_rt_data(CODE))
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with lock:
            if len(got) >= 3:
                break
        time.sleep(0.05)  # poll interval: the wait ends on the condition
    assert len(got) >= 3, "no RT pushes"
    with lock:
        times = [t for t, _, _ in got]
    # Pushes carry the snapshot's latest minutes or newer ones, in order, never an old minute.
    assert min(times) >= first["time"].iloc[max(0, len(first) - 2)] and times == sorted(times)
    assert all(p > 0 and a > 0 for _, p, a in got)
