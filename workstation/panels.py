"""The panels of the main screen, in tab order (narrow-mode tabs, keys 1-9, the palette).

Adding a panel: a module in `workstation/widgets/` with a `Panel` subclass (its key, title,
grid cell and the changes it watches), and one line here.
"""

from __future__ import annotations

from workstation.widgets.account import AccountPanel
from workstation.widgets.chart import ChartPanel
from workstation.widgets.flow import FlowPanel
from workstation.widgets.orderbook import OrderBookPanel
from workstation.widgets.panel import Panel
from workstation.widgets.tape import TapePanel
from workstation.widgets.watchlist import Watchlist

PANELS: list[type[Panel]] = [
    Watchlist,
    ChartPanel,
    OrderBookPanel,
    AccountPanel,
    FlowPanel,
    TapePanel,
]


class PanelRef:
    """`app.chart` and the like: the panel registered under the attribute's name."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.key = name

    def __get__(self, app, owner: type | None = None):
        return self if app is None else app.panels[self.key]
