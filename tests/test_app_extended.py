"""US extended hours and halts as the trader meets them, through Pilot against the real
simulator: pre-market prints on the tape with their session marker, and a halt that starts
while the order form is open."""

from __future__ import annotations

import math

import pytest

from protocol.hours import TICKER_OVERNIGHT, TICKER_PRE_AFTER
from tests.test_app import make_app, text_of, wait_until
from tests.test_app_hours import at, sim_at, trading_ready  # noqa: F401  (sim_at is a fixture)
from workstation.screens.order import OrderForm

pytestmark = pytest.mark.slow


async def test_the_tape_marks_us_after_hours_and_overnight_prints(sim_at, tmp_path):  # noqa: F811
    sim = sim_at("2026-12-01T20:01-05:00")  # a minute into the overnight session, after the after-hours
    app = make_app(sim, tmp_path, codes=["US.AAPL"])
    async with app.run_test(size=(200, 50)) as pilot:
        await wait_until(pilot, lambda: app.focus_code == "US.AAPL" and len(app.store.tapes.get("US.AAPL", ())) >= 5,
                         what="extended-hours prints on the tape")
        tape = list(app.store.tapes["US.AAPL"])
        kinds = {t.kind: t.time[11:19] for t in tape}
        assert set(kinds) == {TICKER_PRE_AFTER, TICKER_OVERNIGHT}  # the after-hours' last prints, then the night's
        assert all((t.kind == TICKER_OVERNIGHT) == (t.time[11:19] >= "20:00:00") for t in tape)
        await wait_until(pilot, lambda: "waiting" not in text_of(app.tape, width=60), what="the tape drawn")
        rows = [line.strip() for line in text_of(app.tape, width=60).splitlines() if line.strip()]
        assert rows[0].startswith(tape[-1].time[11:19])  # newest first
        for row in rows:
            assert row.endswith(" n" if row[:8] >= "20:00:00" else " e"), row


async def test_a_halt_while_the_form_is_open_shows_on_it_and_refuses_enter(sim_at, tmp_path):  # noqa: F811
    sim = sim_at()
    app = make_app(sim, tmp_path, codes=["HK.00700"])
    async with app.run_test(size=(200, 50)) as pilot:
        await trading_ready(pilot, app, "HK.00700")
        app.watchlist.focus()
        await pilot.press("b")
        await wait_until(pilot, lambda: isinstance(app.screen, OrderForm), what="the order form")
        form = app.screen
        assert "HALTED" not in text_of(form.query_one("#title"), width=120)
        sim.call(sim.sim.faults.halt, "HK.00700")
        await wait_until(pilot, lambda: "HALTED" in text_of(form.query_one("#title"), width=120),
                         what="the halt on the form")
        assert "HK.00700 is halted" in text_of(form.query_one("#problems"), width=200)
        before = set(app.store.orders)
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is form and not form.dismissed  # Enter refused: the form stays with the reason
        assert "halted" in text_of(form.query_one("#problems"), width=200)
        # Trading resumes: the mark and the reason go, Enter sends.
        sim.call(sim.sim.faults.resume, "HK.00700")
        await wait_until(pilot, lambda: "HALTED" not in text_of(form.query_one("#title"), width=120),
                         what="the resume on the form")
        assert "halted" not in text_of(form.query_one("#problems"), width=200)
        price = app.store.quotes["HK.00700"].bid
        assert not math.isnan(price)
        form.query_one("#price").value = f"{price:g}"
        await pilot.press("enter")
        await wait_until(pilot, lambda: not isinstance(app.screen, OrderForm), what="the form sent")
        await wait_until(pilot, lambda: set(app.store.orders) - before, what="the order")
