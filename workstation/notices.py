"""Telling the trader about floods without flooding the screen: fills arrive as one summary
per burst, and pushes dropped as malformed are reported at most once a minute with a count."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from workstation.account_rows import FillRow

if TYPE_CHECKING:
    from workstation.app import FutuTui

FILL_BATCH = 0.3  # s: fills arriving within this of the first are told together
REJECTED_EVERY = 60.0  # s between two reports of dropped pushes
SHOWN_FILLS = 3  # fills named in a summary; the rest are counted


def fill_text(f: FillRow) -> str:
    return f"filled {f.qty:g} {f.code} @ {f.price:g}"


class Notices:
    def __init__(self, app: FutuTui) -> None:
        self.app = app
        self.fills: list[FillRow] = []
        self._timer = None
        self.rejected_told = 0
        self._rejected_at = -math.inf

    def fill(self, fill: FillRow) -> None:
        self.fills.append(fill)
        if self._timer is None:
            self._timer = self.app.set_timer(FILL_BATCH, self._tell_fills, name="tell fills")

    def _tell_fills(self) -> None:
        fills, self.fills, self._timer = self.fills, [], None
        if len(fills) == 1:
            self.app.notify(fill_text(fills[0]), timeout=3)
            return
        named = "; ".join(fill_text(f) for f in fills[-SHOWN_FILLS:])
        more = len(fills) - SHOWN_FILLS
        self.app.notify(f"{len(fills)} fills: {named}" + (f"; and {more} more (see the fills tab)" if more > 0 else ""),
                        timeout=5)

    def dropped(self, count: int, last: str, now: float) -> None:
        """The store's count of malformed pushes dropped so far; told once a minute at most."""
        if count <= self.rejected_told or now - self._rejected_at < REJECTED_EVERY:
            return
        new = count - self.rejected_told
        self.rejected_told, self._rejected_at = count, now
        self.app.notify(f"ignored {new:,} malformed update{'s' if new > 1 else ''} from OpenD "
                        f"(latest: {last})", severity="warning", timeout=6)
