"""Order entry: a keyboard-first modal that returns a validated `Ticket` (or None).

Nothing is sent from here: the form validates locally (lot, tick grid, price band, notional,
can-sell quantity, trigger side, buying power when known) and shows each problem next to
the form; only a clean ticket is returned to the app, which sends it. Whether the account
may trade at all (REAL re-locked while the form was open) is asked again at Enter; the form
stays open with the reason. A halt that starts while the form is open shows at once (title
and reason) and refuses Enter; the resume clears it.

The preview is live: the last price and band each second from the store, buying power from
the store (the active account) or from OpenD (another account), max quantities from OpenD
within its rate limit. Every look-up fills in after the form is on screen.
"""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace

from rich.text import Text
from textual import events, on
from textual.binding import Binding
from textual.containers import Grid, Vertical
from textual.widgets import Input, Label, Select, Static

from protocol.fees import schedule_for
from protocol.trade import CURRENCY_OF, OrderType, Session, Side, TimeInForce
from workstation.orders import Limits, Problem, Ticket, fmt, price_band, validate
from workstation.screens.form import PriceQtyForm

TYPES = [("Limit", OrderType.NORMAL), ("Market", OrderType.MARKET), ("Absolute limit", OrderType.ABSOLUTE_LIMIT),
         ("Stop", OrderType.STOP), ("Stop limit", OrderType.STOP_LIMIT)]
TIFS = [("Day", TimeInForce.DAY), ("Good till cancelled", TimeInForce.GTC)]
SESSIONS = [("Regular hours", Session.RTH), ("Extended hours", Session.ETH)]
FIELDS = ("price", "aux", "qty", "remark")
MAX_QTY_EVERY = 3.5  # s between Trd_GetMaxTrdQtys calls of one account (OpenD allows 10 per 30 s)
MAX_QTY_STALE = 6.0  # s: asked again at the same price, since fills and orders change them
POWER_EVERY = 3.0  # s between Trd_GetFunds calls for another account's buying power (no refreshCache)
MaxQtys = Callable[[Ticket], Awaitable[object]]
PowerOf = Callable[[int], Awaitable[tuple[float, str]]]  # account ID -> (buying power, currency)
Live = Callable[[], float | None]  # the code's last price now
PowerNow = Callable[[], tuple[float, str]]  # the active account's buying power now, from the store
CanSend = Callable[[Ticket], str | None]  # why this ticket may not be sent now, or None
Halted = Callable[[], bool]  # the code is halted now (from the store)
_max_asked: dict[int, float] = {}  # account ID -> when the last form asked OpenD for max quantities


def _same(a: float, b: float) -> bool:
    return a == b or (a != a and b != b)


def order_currency(ticket: Ticket) -> str:
    """The currency the order is priced in: its code's market's."""
    try:
        return CURRENCY_OF[ticket.market].name
    except (KeyError, ValueError):
        return ""


class OrderForm(PriceQtyForm[Ticket | None]):
    BINDINGS = [Binding("ctrl+s", "cycle_side", "Side", id="order.side")]
    # Opaque: a see-through modal renders and tints every panel behind it on each frame
    # (40-60 ms at 120x40); the form shows the last price, band and buying power itself.
    DEFAULT_CSS = """
    OrderForm { background: $background; }
    OrderForm.-sell > Vertical { border: thick $price-down; }
    OrderForm.-buy > Vertical { border: thick $price-up; }
    OrderForm Select { height: 1; }
    OrderForm SelectCurrent { height: 1; border: none; padding: 0 1; background: $panel; }
    OrderForm Select:focus > SelectCurrent { background: $primary 30%; }
    OrderForm #preview { color: $text-muted; height: auto; }
    """

    def __init__(self, ticket: Ticket, **details) -> None:
        super().__init__()
        self.shown = 0  # how many times the form was filled: a late look-up for an earlier order is dropped
        self._fill(ticket, **details)

    def _fill(self, ticket: Ticket, *, name: str, lot_size: int, last_price: float | None,
              can_sell_qty: float, limits: Limits, env_label: str, position_qty: float = 0.0,
              buying_power: float = math.nan, currency: str = "", max_qtys: MaxQtys | None = None,
              power_of: PowerOf | None = None, spread: float | None = None, no_quote: str = "",
              last_of: Live | None = None, power_now: PowerNow | None = None,
              can_send: CanSend | None = None, halted_of: Halted | None = None) -> None:
        self.shown += 1
        self.no_quote = no_quote  # why there is no live quote for this code ("" if there is one)
        if ticket.market == "US" and ticket.session == Session.NONE:
            ticket = replace(ticket, session=Session.RTH)
        self.spread = spread  # the quote's priceSpread, when the caller has it: wins over the tick table
        self.position_qty = position_qty
        self.buying_power = buying_power
        self.currency = currency
        self.max_qtys = max_qtys
        self.power_of = power_of  # asks OpenD for the buying power when the caller has none
        self.power_now = power_now  # reads it from the store (the active account's funds)
        self.last_of = last_of
        self.can_send = can_send
        self.halted_of = halted_of
        self.halted = False  # as last seen by the live check
        self.max_text = "max qty …" if max_qtys else ""
        self._max_for: float | None = None  # the price the shown max quantities are for
        self._max_at = -math.inf
        self._power_at = -math.inf
        self.ticket = ticket
        self.code = ticket.code
        self.sec_name = name
        self.lot_size = max(1, lot_size)
        self.last_price = last_price
        self.can_sell_qty = can_sell_qty
        self.limits = limits
        self.env_label = env_label
        self.problems: list[Problem] = []

    def refill(self, ticket: Ticket, **details) -> None:
        """The same form, for a new order (b / s again): building a form costs 50-150 ms,
        filling this one a few. Keys typed from now on go to its first field, as in a new form."""
        self._fill(ticket, **details)
        self.dismissed = False
        self.typed_ahead = []
        self.set_focus(None)  # focusing the first field again selects its text
        self._load()

    def compose(self):
        t = self.ticket
        with Vertical():
            yield Static(id="title")
            with Grid():
                yield Label("Type")
                yield Select(TYPES, value=t.order_type, allow_blank=False, id="type")
                yield Label("Price")
                yield Input(id="price")
                yield Label("Trigger")
                yield Input(id="aux", placeholder="stop orders only")
                yield Label("Quantity")
                yield Input(id="qty")
                yield Label("Validity")
                yield Select(TIFS, value=t.tif, allow_blank=False, id="tif")
                yield Label("Session", id="session-label")  # US orders only
                yield Select(SESSIONS, value=Session.RTH, allow_blank=False, id="session")
                yield Label("Remark")
                yield Input(id="remark")
            yield Static(id="preview")
            yield Static(id="problems")
            yield Static(Text("Enter send · Esc · ^↑↓ tick · PgUp/Dn lot · ^s side",
                              style="dim"))

    styled_for = ""  # the theme the fields were last styled for

    def on_screen_resume(self, event: events.ScreenResume) -> None:
        """Runs before Screen's own handler, which restyles every field when told to (about
        20 ms): needed only when the theme changed while the form was put away."""
        event.refresh_styles = self.styled_for != self.app.theme
        self.styled_for = self.app.theme

    def on_mount(self) -> None:
        self.set_interval(1.0, self._live, name="refresh the order preview")
        self._load()

    def _load(self) -> None:
        """Show self.ticket in the fields, then take the keys typed so far."""
        t = self.ticket
        self.query_one("#type", Select).value = t.order_type
        self.query_one("#price", Input).value = fmt(t.price) if t.price else ""
        self.query_one("#aux", Input).value = "" if t.aux_price is None else fmt(t.aux_price)
        self.query_one("#qty", Input).value = f"{t.qty:g}"
        self.query_one("#tif", Select).value = t.tif
        us = t.market == "US"
        self.query_one("#session-label").display = self.query_one("#session").display = us
        if us:
            self.query_one("#session", Select).value = t.session
        remark = self.query_one("#remark", Input)
        remark.value = t.remark
        # OpenD takes 64 bytes of UTF-8; our reference uses the rest (workstation.orders)
        remark.placeholder = f"optional, up to {self.limits.remark_bytes} bytes (UTF-8)"
        self._show([])
        self._refresh_title()
        self._refresh_preview()
        self.take_focus(self.query_one("#price" if t.has_price else "#qty", Input))
        self.call_after_refresh(self._live)  # look-ups once the form is on screen

    @property
    def closing(self) -> bool:
        """Dismissed or taken down: a late look-up or tick must not touch its fields."""
        return self.dismissed or not self.is_attached

    def _live(self) -> None:
        """Each second: last price and band, buying power, max quantities."""
        if self.closing:
            return
        changed = False
        if self.last_of is not None:
            last = self.last_of()
            if last is not None and last == last and last != self.last_price:
                self.last_price, changed = last, True
        if self.power_now is not None:
            power, currency = self.power_now()
            if currency != self.currency or not _same(power, self.buying_power):
                self.buying_power, self.currency, changed = power, currency, True
        elif self.power_of is not None and time.monotonic() - self._power_at >= POWER_EVERY:
            self._power_at = time.monotonic()
            self.run_worker(self._fetch_power(), group="power", exclusive=True, exit_on_error=False)
        self._ask_max_qtys()
        if self.halted_of is not None and self.halted_of() != self.halted:
            self.halted = not self.halted
            self._refresh_title()
            self._show(self.checked()[1] if self.halted or self.problems else [])
        if changed:
            self._refresh_preview()
            if self.problems:
                self._show(self.checked()[1])

    async def _fetch_power(self) -> None:
        shown = self.shown
        try:
            power = await self.power_of(self.ticket.acc_id)
        except Exception:  # a preview must never break the form; "-" stays
            return
        if self.closing or shown != self.shown:  # the answer came after the form closed
            return
        if power != (self.buying_power, self.currency):
            self.buying_power, self.currency = power
            self._refresh_preview()

    # -- reading the form ------------------------------------------------------------------

    def checked(self) -> tuple[Ticket, list[Problem]]:
        """`read()`, and whether it may be sent now (REAL may have re-locked while the form was
        open): the re-checks after a refused Enter keep saying why until it no longer holds."""
        ticket, problems = self.read()
        if not problems and self.can_send is not None and (why := self.can_send(ticket)):
            problems = [Problem("account", why)]
        return ticket, problems

    def read(self) -> tuple[Ticket, list[Problem]]:
        """The ticket the form describes and what is wrong with it (typos included)."""
        problems: list[Problem] = []
        values = {}
        for field in ("price", "aux", "qty"):
            v = self.number(field)
            if v is not None and math.isnan(v):
                problems.append(Problem(field, f"{field}: not a number"))
                v = None
            values[field] = v
        ticket = replace(
            self.ticket,
            order_type=self.query_one("#type", Select).value,
            price=values["price"] or 0.0,
            aux_price=values["aux"],
            qty=values["qty"] or 0.0,
            tif=self.query_one("#tif", Select).value,
            session=self.query_one("#session", Select).value if self.ticket.market == "US" else Session.NONE,
            remark=self.query_one("#remark", Input).value,
        )
        if not problems:
            problems = validate(ticket, lot_size=self.lot_size, last_price=self.last_price,
                                can_sell_qty=self.can_sell_qty, limits=self.limits, spread=self.spread)
            if self.no_quote and self.last_price is None and ticket.has_price:
                # No quote is coming: the typed limit price stands, without a band to check it against.
                problems = [p for p in problems if "band against" not in p.message]
            if (power := self.power_problem(ticket)) is not None:
                problems.append(power)
        return ticket, problems

    def notional(self, ticket: Ticket) -> float:
        """At the limit price, or at the last price for an order without one (0 if unknown)."""
        price = ticket.price if ticket.has_price else (self.last_price or 0.0)
        return price * (ticket.qty if ticket.qty == ticket.qty else 0.0)

    def power_problem(self, ticket: Ticket) -> Problem | None:
        """A buy over the buying power, when it is known and in the order's currency."""
        power, currency = self.buying_power, order_currency(ticket)
        if ticket.side != Side.BUY or power != power or not currency or self.currency != currency:
            return None
        notional = self.notional(ticket)
        if notional <= power:
            return None
        return Problem("qty", f"notional {notional:,.2f} {currency} is over the buying power {power:,.2f} {currency}")

    # -- display -----------------------------------------------------------------------------

    def _refresh_title(self) -> None:
        t = self.ticket
        side = Side.word_of(t.side)
        self.set_class(t.side == Side.BUY, "-buy")
        self.set_class(t.side != Side.BUY, "-sell")
        self.query_one("#title", Static).update(Text.assemble(
            (f" {side} ", "bold reverse"), " ", (t.code, "bold"), " ", self.sec_name, "   ",
            (f" {self.env_label} ", "bold white on #ff2d55" if self.env_label == "REAL" else "bold white on #3d8bfd"),
            *(("  ", (" HALTED ", "bold reverse")) if self.halted else ()),
        ))

    def _refresh_preview(self) -> None:
        """Notional, estimated fees (and whose schedule), buying power, max quantities, position
        after a full fill."""
        ticket, _ = self.read()
        qty = ticket.qty if ticket.qty == ticket.qty else 0.0
        notional = self.notional(ticket)
        schedule = schedule_for(ticket.market)
        is_sell = ticket.side != Side.BUY
        fees = schedule.total(qty, notional, is_sell) if schedule is not None and notional > 0 else 0.0
        after = self.position_qty + (qty if ticket.side == Side.BUY else -qty)
        last = "-" if self.last_price is None else fmt(self.last_price)
        band = ""
        if self.last_price:
            lo, hi = price_band(ticket.market, self.last_price, self.limits.band_pct, self.spread)
            band = f"  band {fmt(lo)}–{fmt(hi)}"
        power = "-" if self.buying_power != self.buying_power else f"{self.buying_power:,.2f} {self.currency}".rstrip()
        currency = order_currency(ticket) or self.currency
        self.query_one("#preview", Static).update(Text(
            f"notional {notional:,.2f} {currency}  fees ≈ {fees:,.2f}  lot {self.lot_size}\n"
            f"last {last}{band}\n"
            f"buying power {power}  {self.max_text}\n"
            f"position {fmt(self.position_qty)} → {fmt(after)}  can sell {fmt(self.can_sell_qty)}\n"
            f"fees are an estimate: {schedule.name if schedule is not None else 'no schedule for this market'}"
            + (f"\nno quote: {self.no_quote}; type a limit price: with no last price there is no ±"
               f"{self.limits.band_pct:g}% band check, the notional uses your price" if self.no_quote else "")))

    def _ask_max_qtys(self) -> None:
        """Trd_GetMaxTrdQtys for the price on the form (market and stop orders: the last price),
        when it changed or the answer is MAX_QTY_STALE s old; at most every MAX_QTY_EVERY s
        per account, across forms."""
        if self.max_qtys is None:
            return
        ticket, _ = self.read()
        price = ticket.price if ticket.has_price else (self.last_price or 0.0)
        if not price:
            self.max_text = "max qty: no price yet"
            return
        now = time.monotonic()
        if price == self._max_for and now - self._max_at < MAX_QTY_STALE:
            return
        if now - _max_asked.get(ticket.acc_id, -math.inf) < MAX_QTY_EVERY:
            return
        self._max_for, self._max_at = price, now
        _max_asked[ticket.acc_id] = now
        self.run_worker(self._fetch_max_qtys(replace(ticket, price=price)), group="max-qtys", exclusive=True,
                        exit_on_error=False)

    async def _fetch_max_qtys(self, ticket: Ticket) -> None:
        shown = self.shown
        try:
            m = await self.max_qtys(ticket)
            text = f"max buy {m.maxCashBuy:g}  max sell {m.maxPositionSell:g}"
            if m.HasField("maxSellShort") and m.maxSellShort:
                text += f"  short {m.maxSellShort:g}"
        except Exception as exc:  # a preview must never break the form
            text = f"max qty unavailable ({exc})"[:60]
        if shown != self.shown:  # the answer is for an earlier order of this form
            return
        self.max_text = text
        if not self.closing:  # the answer may come after the form closed
            self._refresh_preview()

    def _show(self, problems: list[Problem]) -> None:
        self.problems = problems
        bad = {p.field for p in problems}
        for field in FIELDS:
            self.query_one(f"#{field}", Input).set_class(field in bad or (field == "aux" and "aux_price" in bad), "-invalid")
        self.query_one("#problems", Static).update("\n".join(f"• {p.message}" for p in problems))

    @on(Input.Changed)
    @on(Select.Changed)
    def _changed(self) -> None:
        self._refresh_preview()
        if self.problems:  # re-check live once the trader has seen problems
            self._show(self.checked()[1])

    # -- actions -----------------------------------------------------------------------------

    @on(Input.Submitted)
    def submit(self) -> None:
        if self.dismissed:  # a second Enter: the first one already gave the ticket
            return
        ticket, problems = self.checked()
        self._show(problems)
        if not problems:
            self.dismiss(ticket)

    @property
    def sides(self) -> tuple[int, ...]:
        """What ctrl+s cycles through: SELL SHORT only when the limits allow shorting."""
        return (Side.BUY, Side.SELL, Side.SELL_SHORT) if self.limits.allow_short else (Side.BUY, Side.SELL)

    def action_cycle_side(self) -> None:
        sides = self.sides
        at = sides.index(self.ticket.side) if self.ticket.side in sides else -1
        self.ticket = replace(self.ticket, side=sides[(at + 1) % len(sides)])
        self._refresh_title()
        self._refresh_preview()
        if self.problems:
            self._show(self.checked()[1])
