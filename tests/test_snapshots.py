"""Layout snapshots: fixed seed, a paused market at a fixed instant, a frozen clock.

Regenerate after an intended layout change with `pytest tests/test_snapshots.py --snapshot-update`
and look at the SVGs in tests/__snapshots__/ before committing them.
"""

from __future__ import annotations

import math

import pytest

from protocol import ids
from protocol.gateway.sim import SimThread
from protocol.proto import GetGlobalState_pb2
from tests.test_app import make_app, wait_until
from workstation.app import FutuTui

pytestmark = pytest.mark.snapshot
START = 1_795_660_200.0  # 2026-11-26 10:30 in Hong Kong: a Thursday morning session
CODES = ["HK.00700", "HK.09988", "HK.03690", "US.AAPL", "US.NVDA", "SH.600519", "SZ.300750"]


def freeze_ages(app: FutuTui) -> None:
    """Stop the status clock at the oldest panel's last update: every age on screen reads 0,
    however long a loaded machine took between the first pushes and the last."""
    oldest = min([app.store.last_push] + [t for p in app.panels.values() if (t := p.updated_at()) is not None])
    app.status.mono_clock = lambda: oldest


async def still_screen(pilot, app: FutuTui) -> None:
    """Quiet (the market is paused, so only subscriptions push): every subscription and read is
    answered, and a request sent now is answered after everything sent before it, first pushes
    included. Then the clocks stop, toasts go and every panel is drawn from what it holds."""
    feed = app.feed
    await wait_until(pilot, lambda: feed.want <= feed.have.keys() | feed.failed and feed.idle,
                     what="every subscription and read answered")
    await feed.client.request(ids.GET_GLOBAL_STATE, GetGlobalState_pb2.C2S(userID=0))
    app.status.wall_clock = lambda: START
    freeze_ages(app)
    app.action_dismiss_toasts()
    app.flush()
    app.refresh_all()
    app.tick_status()
    await wait_until(pilot, lambda: not app.screen.query("Toast"), what="no toast")  # snap_compare then waits for idle


@pytest.fixture
def frozen_sim():
    """A fresh simulator per snapshot: one app's subscriptions must not show in another's quota."""
    thread = SimThread(seed=7, start=START, paused=True)
    thread.start()
    yield thread
    thread.stop()


def ready(app: FutuTui) -> bool:
    s = app.store
    code = app.focus_code
    return (
        all(c in s.quotes and not math.isnan(s.quotes[c].last) and s.quotes[c].name for c in CODES)
        and code in s.books and code in s.flows and code in s.dists
        and app.feed.has_history(code, app.chart.kl_type) and not math.isnan(s.funds.cash)
        and len(app.watchlist.groups) > 1  # the Futu groups' tabs
    )


@pytest.mark.parametrize("size", [(80, 24), (120, 40), (160, 45), (200, 60)], ids=["80x24", "120x40", "160x45", "200x60"])
def test_layout(size, frozen_sim, tmp_path, snap_compare):
    app = make_app(frozen_sim, tmp_path, CODES)

    async def settle(pilot) -> None:
        await wait_until(pilot, lambda: ready(app), what="every panel filled")
        await still_screen(pilot, app)

    assert snap_compare(app, terminal_size=size, run_before=settle)


def test_flow_tab(frozen_sim, tmp_path, snap_compare):
    """The narrow layout's capital-flow tab: the net-inflow plot over the in/out distribution."""
    app = make_app(frozen_sim, tmp_path, CODES)

    async def settle(pilot) -> None:
        await wait_until(pilot, lambda: ready(app), what="every panel filled")
        await pilot.press("5")  # the flow tab: a hidden panel is not drawn
        await wait_until(pilot, lambda: app.flow.display and app.flow.size.height > 11, what="the flow tab")
        await still_screen(pilot, app)

    assert snap_compare(app, terminal_size=(80, 24), run_before=settle)
