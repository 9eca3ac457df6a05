"""Status bar: connection (and how long it has been down), SIM/REAL, account, quota, age
of the last push, each market's session and the time to its next change, the clock (local
time and the focused market's)."""

from __future__ import annotations

import time

from rich.text import Text
from textual.widgets import Static

from workstation.messages import ConnState  # widgets never import protocol.client
from workstation.rights import OpenDStatus
from workstation.sessions import MARKETS, MarketHours

STATE_STYLE = {
    ConnState.READY: "bold green", ConnState.CONNECTING: "bold yellow",
    ConnState.LOST: "bold red", ConnState.CLOSED: "dim",
}


class StatusBar(Static):
    DEFAULT_CSS = "StatusBar { height: 1; background: $panel; }"

    def __init__(self, **kwargs) -> None:
        super().__init__("", **kwargs)
        self.state = ConnState.CLOSED
        self.reason = ""
        self.env = "SIM"
        self.account = ""
        self.quota = (0, 0)
        self.last_push = 0.0
        self.down_since: float | None = None  # monotonic time the connection was lost, until it is back
        self.wall_clock = time.time  # replaced by a frozen clock in snapshot tests
        self.mono_clock = time.monotonic
        self.banner = ""  # what stops trading (e.g. an unwritable journal), shown first in red
        self.opend: OpenDStatus | None = None  # OpenD's own login, rights and history quota
        self.hours: MarketHours | None = None  # each market's session (the feed keeps it current)
        self.market: str | None = None  # the focused code's market: its time beside ours
        self.zones = "both"  # the clock: local, market or both

    def render_status(self) -> None:
        now = self.mono_clock()
        age = max(0.0, now - self.last_push) if self.last_push else None
        age_text = "no data yet" if age is None else f"last push {age:.1f}s ago"
        badge = " REAL " if self.env == "REAL" else " SIM "
        badge_style = "bold white on #ff2d55" if self.env == "REAL" else "bold white on #3d8bfd"
        down = self.state is not ConnState.READY and self.down_since is not None
        label, label_style = f" {self.state.value.upper()} ", STATE_STYLE.get(self.state, "")
        offline = self.opend.offline_reason() if self.opend is not None else ""
        if self.state is ConnState.READY and offline:  # connected to OpenD, but OpenD is not to Futu
            label, label_style = " OPEND OFFLINE " if not self.opend.qot_logined else " NO TRADING ", "bold red"
        text = Text.assemble(
            (f" {self.banner} " if self.banner else "", "bold white on red"), " " if self.banner else "",
            (label, label_style), " ",
            (f"offline {_duration(now - self.down_since)} " if down else "", "bold red"),  # type: ignore[operator]
            (badge, badge_style), " ",
            (self.account or "no account", "dim"), "  ",
            f"quota {self.quota[0]}/{self.quota[1]}", "  ",
            (f"{self.opend.compact()}  " if self.opend is not None and self.opend.known else "", "dim"),
            (age_text, "bold yellow" if age is not None and age > 5 and self._any_trading() else "dim"), "  ",
        )
        if self.hours is not None:
            for part, style in self.hours.segment():
                text.append(part, style=style)
                text.append("  ")
            text.append(self.hours.clock_text(self.market, self.zones))
        else:
            text.append(time.strftime("%H:%M:%S", time.localtime(self.wall_clock())))
        if self.state is not ConnState.READY and self.reason:
            text.append(f"  {self.reason}", style="italic")
        elif offline:
            text.append(f"  {offline}", style="italic")
        self.update(text, layout=False)

    def _any_trading(self) -> bool:
        """Quiet pushes are news only while some market trades (not at lunch, not at night)."""
        return self.hours is None or any(self.hours.trading(m) for m in MARKETS)


def _duration(seconds: float) -> str:
    seconds = int(max(0.0, seconds))
    return f"{seconds}s" if seconds < 60 else f"{seconds // 60}m{seconds % 60:02d}s"
