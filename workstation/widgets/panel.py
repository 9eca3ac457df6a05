"""The one interface every panel on the main screen implements.

A panel says where it sits (`key`, `title`, `cell`), which kinds of store change it
watches (`watches`, fields of `Changes`), whether and when it follows the focused code
(`follows`), and how old its data is (`updated_at`). The App composes, flushes, dims,
catches up and tabs through panels only through this interface; the registry of panels
is `workstation.panels.PANELS`.
"""

from __future__ import annotations

from enum import Enum
from typing import ClassVar

from textual.widget import Widget

from workstation.sessions import MarketHours
from workstation.store import CHANGE_KINDS, Changes, Store
from workstation.widgets.common import STALE_AFTER, LinePanel, fmt_age, set_titles


FOCUS_GRACE = 3.0  # s a newly focused code's panel has for fresh data before old data dims


class Follow(Enum):
    """How a panel follows the focused code."""

    NONE = "none"  # shows no single code (watchlist, account)
    AT_ONCE = "at once"  # cheap to draw: moves with the cursor (book, tape, capital flow)
    SETTLED = "settled"  # costly to draw: once the cursor rests (chart)


class Panel:
    """Mixin for a main-screen panel widget; put it before the widget class in the bases.

    The App calls `refresh_from(changes)` from its flush timer when `changed(changes)` and
    the panel is visible, `redraw()` when a hidden panel is shown or the theme changes,
    `show(code)` when the focused code moves, and `show_age(now, online)` once a second.
    """

    key: ClassVar[str] = ""  # widget id, the palette's and the tabs' handle
    title: ClassVar[str] = ""  # border title and narrow-mode tab label
    cell: ClassVar[tuple[int, int]] = (0, 0)  # (row, column) in the wide layout's grid
    watches: ClassVar[tuple[str, ...]] = ()  # the `Changes` fields that concern it
    follows: ClassVar[Follow] = Follow.NONE
    stale_after: ClassVar[float] = STALE_AFTER  # s without an update before the data counts as stale

    store: Store
    code: str | None = None  # the code shown, for panels that follow the focused one
    flushes = 0  # redraws so far (burst tests bound them)
    age_label = ""  # what the border shows; "" while the data is fresh or absent
    hours: MarketHours | None = None  # the markets' sessions (set by the App): quiet is not stale
    aged_code: str | None = None  # the code show_age last saw, and since when (its clock)
    aged_since = 0.0

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        unknown = set(cls.watches) - CHANGE_KINDS
        if unknown:
            raise TypeError(f"{cls.__name__} watches unknown kinds of change: {sorted(unknown)}")

    @property
    def focus_target(self) -> Widget:
        """What takes the keyboard when the panel is shown."""
        return self  # type: ignore[return-value]

    def changed(self, changes: Changes) -> bool:
        """Whether `changes` touch what this panel shows."""
        mine = self.change_key() if self.follows is not Follow.NONE else None
        for kind in self.watches:
            seen = getattr(changes, kind)
            if seen and (mine is None or mine in seen):
                return True
        return False

    def change_key(self) -> object:
        """How the watched change sets name what this panel shows."""
        return self.code

    def refresh_from(self, changes: Changes) -> None:
        """Redraw after `changes` (only what they touch, where the panel can tell)."""
        self.redraw()

    def redraw(self) -> None:
        """Redraw everything from the store."""
        raise NotImplementedError

    def show(self, code: str | None) -> None:
        """Follow the focused code."""
        self.code = code
        self.redraw()

    # -- the age of the data ------------------------------------------------------------

    def updated_at(self) -> float | None:
        """Monotonic time the data this panel draws last changed; None if it cannot tell."""
        return None

    def quiet(self) -> str | None:
        """Why this panel's data stands still on purpose: its market's session ("lunch break",
        "closed", ...); None while the market trades or for panels of no single market."""
        if self.hours is None or not self.code:
            return None
        return self.hours.quiet(self.code.partition(".")[0])

    def show_age(self, now: float, online: bool) -> None:
        """The `-stale` class (dimmed by the theme) when the data is old or the feed is down,
        and the data's age in the border subtitle once it is half that old (a label ticking
        every second on a live panel would repaint it whole every second). A market at lunch
        or closed is quiet, not stale: the subtitle says which."""
        quiet = self.quiet()
        if quiet is not None:
            self.set_class(not online, "-stale")  # type: ignore[attr-defined]
            if quiet != self.age_label:
                self.age_label = quiet
                set_titles(self, subtitle=self.subtitle())
            return
        if self.code != self.aged_code:
            self.aged_code, self.aged_since = self.code, now
        at = self.updated_at()
        age = None if at is None else max(0.0, now - at)
        # A code just focused shows what the store last had of it until its subscription's first
        # push (~0.3-1 s): that is loading, not a feed gone quiet, and dimming it for that moment
        # would repaint the panel twice per cursor move.
        settling = now - self.aged_since < FOCUS_GRACE
        stale = not online or (age is not None and age > self.stale_after and not settling)
        self.set_class(stale, "-stale")  # type: ignore[attr-defined]
        label = "" if age is None or settling or age < self.stale_after / 2 else fmt_age(age)
        if label != self.age_label:
            self.age_label = label
            set_titles(self, subtitle=self.subtitle())

    def subtitle(self) -> str:
        return self.age_label


class FocusedPanel(Panel, LinePanel):
    """A panel drawn line by line from one code's data, following the focused code at once."""

    follows = Follow.AT_ONCE

    def __init__(self, store: Store, **kwargs) -> None:
        super().__init__(**kwargs)
        self.store = store
        self.code = None
        self.flushes = 0

    def on_resize(self) -> None:
        self.redraw()  # bar widths and row counts follow the size
