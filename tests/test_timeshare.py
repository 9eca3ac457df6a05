"""Time-share data from the wire: hostile numbers never reach the chart, pushes continue the
snapshot, five days come from the history before today; and drawing survives any of it."""

from __future__ import annotations

import math

import pytest

from protocol.codes import code_of
from protocol.proto import Qot_GetRT_pb2, Qot_UpdateRT_pb2
from workstation.store import Bar, Store
from workstation.timeshare import RT, apply_rt, five_days, set_rt
from workstation.widgets.chart_draw import Look, draw_candles, draw_timeshare

CODE = "HK.00700"


def row(t: str, price: float, avg: float = 0.0, volume: int = 100, last_close: float = 10.0):
    from protocol.proto import Qot_Common_pb2 as qc
    r = qc.TimeShare(time=t, minute=int(t[11:13]) * 60 + int(t[14:16]), isBlank=False, price=price,
                     lastClosePrice=last_close, volume=volume, turnover=price * volume)
    if avg:
        r.avgPrice = avg
    return r


def push(rows) -> Qot_UpdateRT_pb2.S2C:
    s2c = Qot_UpdateRT_pb2.S2C()
    s2c.security.market, s2c.security.code = 1, "00700"
    s2c.rtList.extend(rows)
    return s2c


def test_snapshot_then_pushes_replace_the_minute_and_append_the_next():
    assert code_of(1, "00700") == CODE
    store = Store()
    set_rt(store, CODE, Qot_GetRT_pb2.S2C(rtList=[row("2026-11-26 09:30:00", 10.1, 10.1),
                                                 row("2026-11-26 09:31:00", 10.2, 10.15)]).rtList)
    apply_rt(store, push([row("2026-11-26 09:31:00", 10.3, 10.2), row("2026-11-26 09:32:00", 10.4, 10.25)]))
    assert [(m.time[11:16], m.price) for m in store.rt[CODE]] == [("09:30", 10.1), ("09:31", 10.3), ("09:32", 10.4)]
    assert (CODE, RT) in store.take_dirty().bars
    apply_rt(store, push([row("2026-11-27 09:30:00", 11.0, 11.0)]))  # a new day starts a new line
    assert [m.time for m in store.rt[CODE]] == ["2026-11-27 09:30:00"]


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, 1e300])
def test_hostile_numbers_drop_the_push_and_are_counted(bad):
    store = Store()
    set_rt(store, CODE, [row("2026-11-26 09:30:00", 10.1, 10.1)])
    for rows in ([row("2026-11-26 09:31:00", bad)], [row("2026-11-26 09:31:00", 10.0, avg=bad)],
                 [row("2026-11-26 09:31:00", 10.0, last_close=bad)]):
        before = store.rejected
        apply_rt(store, push(rows))
        assert store.rejected == before + 1
    set_rt(store, CODE, [row("2026-11-26 09:30:00", bad)])
    assert [m.price for m in store.rt[CODE]] == [10.1]  # what we had stays; nothing non-finite is kept
    lines, shown, _ = draw_timeshare([store.rt[CODE]], 0, 60, 20, CODE, Look())
    assert shown and all(math.isfinite(m.price) for m in shown)


def test_text_from_the_wire_is_plain_and_short():
    store = Store()
    set_rt(store, CODE, [row("2026-11-26 09:30:00\x1b[2J[red]" + "x" * 100, 10.0)])
    (m,) = store.rt[CODE]
    assert "\x1b" not in m.time and len(m.time) <= 32


def test_five_days_take_four_from_history_and_today_from_rt():
    history = [Bar(f"2026-11-{day:02d} 09:{30 + i}:00", 10, 10, 10, 10 + i / 10, 100, 1000.0 + i)
               for day in (20, 23, 24, 25, 26, 27) for i in range(3)]
    store = Store()
    set_rt(store, CODE, [row("2026-11-27 09:30:00", 12.0, 12.0)])
    today = store.rt[CODE]
    days = five_days(history, today)
    assert [d[0].time[:10] for d in days] == ["2026-11-23", "2026-11-24", "2026-11-25", "2026-11-26", "2026-11-27"]
    assert days[-1] == today and days[0][-1].avg == pytest.approx(3003.0 / 300)  # running turnover / volume
    lines, shown, readout = draw_timeshare(days, 0, 80, 24, CODE, Look())
    assert "5 days" in "\n".join(line.plain for line in lines) and readout.startswith("11-27 09:30")


def test_drawing_fits_any_size_and_never_needs_more_than_a_few_bars():
    bars = [Bar(f"2026-11-{i + 1:02d} 00:00:00", 10 + i, 11 + i, 9 + i, 10.5 + i, 1000 * i, 1.0) for i in range(3)]
    for width, height in ((10, 3), (40, 10), (200, 60)):  # the panel crops what a tiny size cannot hold
        lines, shown, _ = draw_candles(bars, 0, width, height, ("BOLL", "MACD", "RSI", "KDJ"), Look())
        assert shown and (width < 20 or all(line.cell_len <= width for line in lines)), (width, height)
        assert width < 20 or len(lines) <= height


def test_the_canvas_skips_what_it_cannot_place():
    from workstation.widgets.canvas import Canvas

    cv = Canvas(10, 4, math.nan, math.inf)  # no usable range: a default one
    cv.block(1, math.nan, 1.0, "red", (0.0, math.inf))
    cv.line([0, 1, 2, 3], [math.nan, 1e308, -math.inf, 0.5], "red")
    cv.hline(math.nan, "grey42")
    assert len(cv.lines({0: "x"}, 9)) == 4
