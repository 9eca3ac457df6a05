"""Order round trip on the simulated OpenD: submit to acknowledged in the orders panel, next
to the official SDK's place_order on the same gateway.

    python -m tests.bench.order_rtt [--orders 100]

The gateway is the simulated OpenD in another process (tests/bench/loadgen.py, market
paused so nothing fills, per-call rate limits off so 100 orders can go back to back). Each
order is a 1-lot BUY limit of HK.00700 on the HK paper account, 5% under the market, so it
rests. Orders are sent one at a time, 30-80 ms apart, each cancelled (untimed) once measured.

futu-tui (headless, 120x40): the order is submitted the way the order form's OK does it
(`app.send_order(ticket)`, a worker: throttle, journal, Trd_PlaceOrder); the client-side
throttle (15 per 30 s, as OpenD's) is patched out for the run. Stages, from submit:
  reply    Trd_PlaceOrder's reply is back (the order ID is known)
  push     the Trd_UpdateOrder push is applied to the store
  panel    a composed frame shows the order's row in the orders panel  <- "acknowledged"
The SDK (same process, after the app has quit): OpenSecTradeContext(HK) against the same
gateway, `place_order(..., trd_env=SIMULATE)` timed call to return, and the time to its
TradeOrderHandlerBase push. Goal (issue 6): p50 submit-to-panel under 10 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import random
import threading
import time

from tests.bench.harness import (
    LoadGenProcess,
    PaintClock,
    bench_codes,
    make_app,
    ms,
    percentile,
    wait_until,
)

CODE = "HK.00700"


def resting_price(last: float) -> float:
    from protocol.markets import round_to_tick

    return round_to_tick("HK", last * 0.95, False)


async def cancel(client, header, order_id_ex: str) -> None:
    """Untimed clean-up straight through the client: 100 resting orders would exceed the cash."""
    from protocol import ids
    from protocol.proto import Trd_ModifyOrder_pb2

    await client.request(ids.TRD_MODIFY_ORDER, Trd_ModifyOrder_pb2.C2S(
        header=header, orderID=0, orderIDEx=order_id_ex, modifyOrderOp=2, qty=0, price=0))


async def ours(lg: LoadGenProcess, n: int) -> dict:
    from workstation.orders import Ticket

    app = make_app(lg.port, [CODE, *bench_codes(6)[1:]])
    stages: dict[str, list[float]] = {"reply": [], "push": [], "panel": []}
    async with app.run_test(size=(120, 40)) as pilot:
        accounts, desk = app.feed.trading.accounts, app.feed.trading.desk
        await wait_until(pilot, lambda: app.feed.client.ready and accounts.active is not None
                         and not math.isnan(app.store.quote(CODE).last), what="account and price")
        await pilot.pause(1.5)
        acc = accounts.account_for(CODE)
        assert acc is not None and acc is accounts.active, "the HK paper account is the active one"
        desk.throttle.check = lambda kind, acc_id: 0.0  # OpenD's 15 orders / 30 s is off on this gateway too
        clock = PaintClock(app)
        table = app.account.orders
        price = resting_price(app.store.quote(CODE).last)
        lot = app.store.quote(CODE).lot_size or 100
        marks: dict[str, float] = {}
        place, apply_order = desk.place, app.store.apply_order

        async def timed_place(ticket):
            outcome = await place(ticket)
            marks["reply"] = time.monotonic()
            marks["id"] = outcome.order_id
            return outcome

        def timed_apply(o, *args, **kwargs):
            row = apply_order(o, *args, **kwargs)
            marks.setdefault("push", time.monotonic())
            return row

        desk.place = timed_place
        app.store.apply_order = timed_apply
        rng = random.Random(2)
        for i in range(n):
            await asyncio.sleep(rng.uniform(0.03, 0.08))
            marks.clear()
            rows = table.row_count
            painted = clock.next_paint(lambda rows=rows: table.row_count > rows)
            ticket = Ticket(code=CODE, side=1, qty=float(lot), price=price, env=acc.env, acc_id=acc.acc_id,
                            remark=f"bench {i}")
            t0 = time.monotonic()
            app.send_order(ticket)
            t_panel = await asyncio.wait_for(painted, 10)
            await wait_until(pilot, lambda: "reply" in marks and "push" in marks, timeout=10, what="reply and push")
            stages["reply"].append(marks["reply"] - t0)
            stages["push"].append(marks["push"] - t0)
            stages["panel"].append(t_panel - t0)
            await cancel(app.feed.client, accounts.header(acc, CODE), marks["id"])  # frees the cash it froze
        flush_hz = app.config.flush_hz
    return {"stages": stages, "flush_hz": flush_hz}


def sdk(port: int, n: int) -> dict:
    from futu import (
        RET_OK,
        ModifyOrderOp,
        OpenSecTradeContext,
        SysConfig,
        TradeOrderHandlerBase,
        TrdEnv,
        TrdMarket,
        TrdSide,
    )

    SysConfig.set_all_thread_daemon(True)
    pushed: dict[str, float] = {}
    lock = threading.Lock()

    class Pushes(TradeOrderHandlerBase):
        def on_recv_rsp(self, rsp_pb):
            ret, data = super().on_recv_rsp(rsp_pb)
            now = time.monotonic()
            if ret == RET_OK:
                with lock:
                    for order_id in data["order_id"]:
                        pushed.setdefault(order_id, now)
            return ret, data

    ctx = OpenSecTradeContext(filter_trdmarket=TrdMarket.HK, host="127.0.0.1", port=port)
    ctx.set_handler(Pushes())
    from futu import OpenQuoteContext

    quote = OpenQuoteContext(host="127.0.0.1", port=port)
    ret, snap = quote.get_market_snapshot([CODE])
    quote.close()
    assert ret == RET_OK, snap
    price, lot = resting_price(float(snap["last_price"][0])), int(snap["lot_size"][0])
    time.sleep(1.0)  # the context subscribes to account pushes in the background
    calls, to_push = [], []
    rng = random.Random(2)
    try:
        for i in range(n):
            time.sleep(rng.uniform(0.03, 0.08))
            t0 = time.monotonic()
            ret, data = ctx.place_order(price=price, qty=lot, code=CODE, trd_side=TrdSide.BUY, trd_env=TrdEnv.SIMULATE,
                                        remark=f"sdk {i}")
            t1 = time.monotonic()
            assert ret == RET_OK, data
            calls.append(t1 - t0)
            order_id = data["order_id"][0]
            deadline = t1 + 5
            while time.monotonic() < deadline:
                with lock:
                    if order_id in pushed:
                        to_push.append(pushed[order_id] - t0)
                        break
                time.sleep(0.0005)
            ret, data = ctx.modify_order(ModifyOrderOp.CANCEL, order_id, 0, 0, trd_env=TrdEnv.SIMULATE)
            assert ret == RET_OK, data
    finally:
        ctx.close()
    return {"call": calls, "push": to_push}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100)
    args = parser.parse_args(argv)
    import futu  # noqa: F401  (import cost outside the timings)
    from futu.common.ft_logger import logger as sdk_logger

    sdk_logger.console_level = logging.WARNING  # the SDK prints every connect and disconnect to stdout
    lg = LoadGenProcess("--no-limits")
    try:
        mine = asyncio.run(ours(lg, args.orders))
        theirs = sdk(lg.port, args.orders)
    finally:
        lg.stop()
    print(f"{args.orders} resting 1-lot limit BUYs of {CODE}, one at a time, simulated OpenD in another process")

    def row(label: str, xs: list[float]) -> None:
        print(f"  {label:<44} p50 {ms(percentile(xs, 50)):>9}  p90 {ms(percentile(xs, 90)):>9}  "
              f"max {ms(max(xs)):>9}")

    print(f"futu-tui (headless, flush timer {mine['flush_hz']:g} Hz):")
    row("submit -> Trd_PlaceOrder reply", mine["stages"]["reply"])
    row("submit -> Trd_UpdateOrder applied to the store", mine["stages"]["push"])
    row("submit -> row painted in the orders panel", mine["stages"]["panel"])
    print("official SDK (OpenSecTradeContext, same gateway):")
    row("place_order() call returns", theirs["call"])
    row("submit -> TradeOrderHandlerBase push", theirs["push"])
    p50 = percentile(mine["stages"]["panel"], 50)
    print(f"goal: submit to acknowledged in the orders panel p50 < 10 ms: {'met' if p50 < 0.01 else 'MISSED'} "
          f"({ms(p50)}); SDK place_order p50 {ms(percentile(theirs['call'], 50))}")


if __name__ == "__main__":
    main()
