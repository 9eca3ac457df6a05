"""Layout snapshots of the quote detail (`d`) at 80x24, 120x40 and 200x60: a paused market at
a fixed instant, a frozen clock (see tests/test_snapshots.py)."""

from __future__ import annotations

import pytest

from tests.test_app import make_app, wait_until
from tests.test_snapshots import CODES, START, freeze_ages, frozen_sim, ready  # noqa: F401  (a fixture)
from workstation.screens.detail import QuoteDetail

pytestmark = pytest.mark.snapshot


@pytest.mark.parametrize("size", [(80, 24), (120, 40), (200, 60)], ids=["80x24", "120x40", "200x60"])
def test_detail_layout(size, frozen_sim, tmp_path, snap_compare):  # noqa: F811
    app = make_app(frozen_sim, tmp_path, CODES)

    async def settle(pilot) -> None:
        await wait_until(pilot, lambda: ready(app), what="every panel filled")
        feed = app.feed  # the grid shows around the detail at 200x60: it is settled first
        await wait_until(pilot, lambda: feed.want <= feed.have.keys() | feed.failed and feed.idle,
                         what="every subscription and read answered")
        app.status.wall_clock = lambda: START
        freeze_ages(app)
        app.action_dismiss_toasts()  # before the modal: a toast on the screen below follows it up
        await wait_until(pilot, lambda: not app.screen.query("Toast"), what="no toast")
        await pilot.press("d")
        screen = app.screen
        assert isinstance(screen, QuoteDetail)
        await wait_until(pilot, lambda: screen.snap is not None and screen.pages == 1, what="the detail filled")
        await pilot.press("n")
        await wait_until(pilot, lambda: screen.pages == 2, what="a second page")
        app.action_dismiss_toasts()
        app.flush()
        app.refresh_all()
        app.tick_status()
        await wait_until(pilot, lambda: not app.screen.query("Toast"), what="no toast")

    assert snap_compare(app, terminal_size=size, run_before=settle)
