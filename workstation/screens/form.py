"""What the order and modify forms share: compact one-row fields, Esc to cancel, one tick
and one lot nudges, reading numbers typed by hand, keys typed before the form is drawn, and
a result given once."""

from __future__ import annotations

import math
from typing import TypeVar

from textual import events
from textual.await_complete import AwaitComplete
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import Input

from workstation.orders import fmt, nudge_price, nudge_qty

Result = TypeVar("Result")


def retyped(key: events.Key, app) -> events.Key:
    """A fresh copy of a key event, to deliver again (the original may be stopped or spent).
    Sent by the App, as a driver's key is: it bubbles back up to the App, where Enter's
    binding (submit) is found; a copy sent by the form would stop at the form."""
    copy = events.Key(key.key, key.character)
    copy.time = key.time
    copy.set_sender(app)
    return copy


class DismissOnce:
    """Mixed into a modal screen: the first dismiss wins; later ones (a second Enter or y that
    was already queued, a paste, key repeat) do nothing instead of raising ScreenStackError
    or calling the result callback twice."""

    dismissed = False

    def dismiss(self, result=None) -> AwaitComplete:
        if self.dismissed or self is not self.app.screen:
            return AwaitComplete.nothing()
        self.dismissed = True
        return super().dismiss(result)



class PriceQtyForm(DismissOnce, ModalScreen[Result]):
    """Subclasses have #price and #qty inputs and set `code`, `lot_size`, `last_price`.

    Keys typed after `b` but before the form is drawn (nothing is focused yet, so the App
    hands them to the screen) are held, and given to the first field in the order typed once
    it has focus and its text is selected: `b575<Enter>` sends 575, never the prefilled price.
    Subclasses call `take_focus(field)` at the end of `on_mount`."""

    AUTO_FOCUS = ""  # the form chooses its field itself, in take_focus
    HELP_ORDER, HELP_KEYS = 1, [("enter", "Send"), ("tab, shift+tab", "Next / previous field")]  # for `?`

    BINDINGS = [
        Binding("escape", "dismiss(None)", "Cancel", id="form.cancel"),
        Binding("ctrl+up", "nudge_price(1)", "Price +1 tick", id="form.price_up"),
        Binding("ctrl+down", "nudge_price(-1)", "Price -1 tick", id="form.price_down"),
        Binding("pageup", "nudge_qty(1)", "Qty +1 lot", id="form.qty_up"),
        Binding("pagedown", "nudge_qty(-1)", "Qty -1 lot", id="form.qty_down"),
    ]
    DEFAULT_CSS = """
    PriceQtyForm { align: center middle; }
    PriceQtyForm > Vertical { width: 64; max-width: 100%; height: auto; max-height: 100%;
                              border: thick $primary; background: $surface; padding: 0 1; }
    PriceQtyForm Grid { grid-size: 2; grid-columns: 14 1fr; grid-rows: 1; height: auto; grid-gutter: 0 1; }
    PriceQtyForm Input { height: 1; border: none; padding: 0 1; background: $panel; }
    PriceQtyForm Input:focus { border: none; background: $primary 30%; }
    PriceQtyForm Input.-invalid, PriceQtyForm Input.-invalid:focus { border: none; background: $error 40%; }
    PriceQtyForm #problems { color: $error; height: auto; }
    """
    code: str
    lot_size: int
    last_price: float | None
    typed_ahead: list[events.Key] | None = None  # None once a field has focus

    def _forward_event(self, event: events.Event) -> None:
        """Keys arrive here only while no field has focus: keep them."""
        if not (isinstance(event, events.Key) and self.hold(event)):
            super()._forward_event(event)

    def hold(self, key: events.Key) -> bool:
        """Keep a key typed before a field has focus; False once one has."""
        if self.typed_ahead is None:
            return False
        self.typed_ahead.append(key)
        return True

    def take_key(self, key: events.Key) -> None:
        """A key typed after `b` that reached the main screen before this form existed (the App
        hands it over when it bubbles back): held, or given to the focused field."""
        if not self.hold(key) and self.focused is not None:
            self.focused._forward_event(retyped(key, self.app))

    def take_focus(self, field: Input) -> None:
        """Focus `field` (Input selects its text on focus) and give it the keys typed so far,
        in the order they were typed. Synchronous: later keys reach the field after these."""
        self.set_focus(field)
        held, self.typed_ahead = sorted(self.typed_ahead or [], key=lambda k: k.time), None
        for key in held:
            field._forward_event(retyped(key, self.app))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.typed_ahead = []

    def number(self, field: str) -> float | None:
        """The field as a number: None when empty, NaN when it is not a number."""
        text = self.query_one(f"#{field}", Input).value.replace(",", "").strip()
        if not text:
            return None
        try:
            return float(text)
        except ValueError:
            return math.nan

    def action_nudge_price(self, ticks: int) -> None:
        base = self.number("price") or self.last_price or 0.0
        if base and not math.isnan(base):
            self.query_one("#price", Input).value = fmt(nudge_price(self.code, base, ticks))

    def action_nudge_qty(self, lots: int) -> None:
        qty = self.number("qty") or 0.0
        self.query_one("#qty", Input).value = fmt(nudge_qty(0.0 if math.isnan(qty) else qty, lots, self.lot_size))
