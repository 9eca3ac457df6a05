"""The capital-flow panel through the real app against the simulated OpenD: every class's in
and out amount is on screen whole at 120x40 and follows the data; in the narrow layout's flow
tab the net-inflow plot shows the latest figure. And its drawing at any width and any amounts
the store lets through: nothing wider than the panel, no amount cut."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.color import Color

from protocol.gateway.sim import SimThread
from tests.test_app import make_app, wait_until
from workstation.store import DistSnap, FlowSnap
from workstation.widgets.common import fmt_big, price_styles
from workstation.widgets.flow import CLASSES, SHORT, dist_lines, flow_plot_lines
from workstation.wire import AMOUNT_MAX

AMOUNT = re.compile(r"^-?[\d,]+(?:\.(\d+))?[KMBT]?$")


@pytest.fixture(scope="module")
def sim():
    """A busy market (twenty times the default tick rate): the amounts move between two reads."""
    thread = SimThread(seed=7, rate=20)
    thread.start()
    yield thread
    thread.stop()


def class_rows(app) -> dict[str, tuple[int, list[str]]]:
    """Class key -> (line number, the words after the label) as the panel shows them."""
    rows = {}
    for y, line in enumerate(app.flow.lines_text().splitlines()):
        words = line.split()
        for key, label in CLASSES:
            if words and words[0] in (label, SHORT[label]):
                rows[key] = (y, [w for w in words[1:] if AMOUNT.match(w)])
    return rows


def whole(shown: str, value: float) -> bool:
    """The amount as the store holds it, formatted with the decimals the screen chose."""
    match = AMOUNT.match(shown)
    return match is not None and shown == fmt_big(value, len(match.group(1) or ""))


def shows(app, dist: DistSnap) -> bool:
    rows = class_rows(app)
    return len(rows) == len(CLASSES) and all(
        len(amounts) == 2 and whole(amounts[0], dist.inflow[key]) and whole(amounts[1], dist.outflow[key])
        for key, (_, amounts) in rows.items())


def colour_at(strip, x: int):
    for seg in strip:
        if x < len(seg.text):
            return seg.style.color.triplet if seg.style and seg.style.color else None
        x -= len(seg.text)
    return None


@pytest.mark.slow
async def test_distribution_whole_at_120x40_and_following_the_data(sim, tmp_path):
    app = make_app(sim, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.focus_code in app.store.dists, what="a capital distribution")
        code = app.focus_code
        await wait_until(pilot, lambda: shows(app, app.store.dists[code]), what="the store's figures on screen")
        first = app.store.dists[code]
        await wait_until(pilot, lambda: app.flow.lines_text().startswith(
            f"Net inflow {fmt_big(app.store.flows[code].total[-1])}\n"), what="the net inflow over the table")
        text = app.flow.lines_text()
        assert "…" not in text and app.flow.size.width <= 30  # a third of a column, nothing cut
        # In amounts in the up colour, out amounts in the down colour.
        up, down, _ = price_styles(app)
        for key, (y, (shown_in, shown_out)) in class_rows(app).items():
            strip = app.flow.render_line(y)
            line = strip.text
            assert colour_at(strip, line.index(shown_in)) == Color.parse(up).triplet, key
            assert colour_at(strip, line.rindex(shown_out)) == Color.parse(down).triplet, key
        # The market trades on: a later read (the focus leaves and comes back, or the poll)
        # brings new figures, and the panel shows them.
        await pilot.press("down")
        await wait_until(pilot, lambda: app.flow.code != code and app.flow.code in app.store.dists
                         and shows(app, app.store.dists[app.flow.code]), what="the next code's figures")
        await pilot.press("up")
        await wait_until(pilot, lambda: app.store.dists[code] is not first and app.flow.code == code
                         and shows(app, app.store.dists[code]) and app.flow.lines_text() != text,
                         what="new figures on screen")

        # The narrow layout: the flow tab has the room for the net-inflow plot over the table.
        await pilot.resize_terminal(80, 24)
        await wait_until(pilot, lambda: app.narrow, what="the narrow layout")
        await pilot.press("5")
        await wait_until(pilot, lambda: app.flow.display and app.flow.size.height > 11, what="the flow tab")
        await wait_until(pilot, lambda: shows(app, app.store.dists[code]), what="the distribution in the tab")
        await wait_until(pilot, lambda: app.flow.lines_text().startswith(f"Net {fmt_big(app.store.flows[code].total[-1])}"),
                         what="the latest net inflow over the plot")
        lines = app.flow.lines_text().splitlines()
        assert sum(any("\u2800" < ch <= "\u28ff" for ch in line) for line in lines) >= 5  # braille lines


amounts = st.floats(min_value=0, max_value=AMOUNT_MAX, exclude_max=True)


@settings(max_examples=300, deadline=None)
@given(width=st.integers(17, 200), ins=st.lists(amounts, min_size=4, max_size=4),
       outs=st.lists(amounts, min_size=4, max_size=4))
def test_distribution_fits_any_width_with_amounts_whole(width, ins, outs):
    keys = [key for key, _ in CLASSES]
    dist = DistSnap("HK.00700", dict(zip(keys, ins)), dict(zip(keys, outs)))
    lines = dist_lines(dist, width, "red", "green")
    assert len(lines) == 1 + len(CLASSES) and all(line.cell_len <= width for line in lines)
    for line, key in zip(lines[1:], keys):
        words = line.plain.split()
        amounts_ = [w for w in words if AMOUNT.match(w)]
        assert len(amounts_) == 2 and whole(amounts_[0], dist.inflow[key]) and whole(amounts_[1], dist.outflow[key])
        assert "…" not in line.plain


series = st.lists(st.floats(min_value=-AMOUNT_MAX / 2, max_value=AMOUNT_MAX / 2), min_size=1, max_size=400)


@settings(max_examples=100, deadline=None)
@given(width=st.integers(20, 200), rows=st.integers(5, 60), total=series)
def test_plot_fills_its_rows_and_width(width, rows, total):
    n = len(total)
    times = tuple(f"2026-11-26 {9 + i // 60 % 8:02d}:{i % 60:02d}:00" for i in range(n))
    half = tuple(v / 2 for v in total)
    flow = FlowSnap("HK.00700", times, tuple(total), half, half, (0.0,) * n, (0.0,) * n)
    lines = flow_plot_lines(flow, width, rows, "red", "green")
    assert len(lines) == rows and all(line.cell_len <= width for line in lines)
    assert lines[0].plain.startswith(f"Net {fmt_big(total[-1])}")
