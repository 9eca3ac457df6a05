"""What trading tells the trader, as typed messages: the App turns each into a notification
(`text`, `severity`, `timeout`) and tests read them with `message_hook`.

Every outcome of a request is exactly one of these, posted once. Texts carry wire strings
(server errors, names): the App shows them with `markup=False`.
"""

from __future__ import annotations

from textual.message import Message

from protocol.trade import OrderStatus, Side
from workstation.orders import Ticket, fmt
from workstation.account_rows import OrderRow

FATE_UNKNOWN = "Its fate is unknown; it will be checked after reconnecting and is never resent."
CHECKING_NOW = "Its fate is unknown; OpenD's order list is being checked now; it is never resent."


def status_name(status: int) -> str:
    """A status as the orders panel spells it ("FILLED_ALL"), or the number OpenD sent."""
    try:
        return OrderStatus(status).name
    except ValueError:
        return str(status)


def ticket_words(ticket: Ticket) -> str:
    """An order as the trader names it: "BUY 100 HK.00700"."""
    return f"{Side.word_of(ticket.side)} {fmt(ticket.qty)} {ticket.code}"


class TradingOutcome(Message):
    """Base of every trading message: what the notification says, how loud, how long."""

    severity = "information"
    timeout = 4.0

    @property
    def text(self) -> str:
        raise NotImplementedError


# -- new orders ------------------------------------------------------------------------------


class OrderSent(TradingOutcome):
    """OpenD accepted the order and gave it an ID."""

    timeout = 3.0

    def __init__(self, ticket: Ticket, order_id: str) -> None:
        super().__init__()
        self.ticket, self.order_id = ticket, order_id

    @property
    def text(self) -> str:
        return f"order {self.order_id} sent: {ticket_words(self.ticket)}"


class OrderRefused(TradingOutcome):
    """Not sent: locked, throttled, no account, not connected. Nothing left the process."""

    severity, timeout = "warning", 6.0

    def __init__(self, ticket: Ticket, reason: str) -> None:
        super().__init__()
        self.ticket, self.reason = ticket, reason

    @property
    def text(self) -> str:
        return f"{ticket_words(self.ticket)} not sent: {self.reason}"


class OrderDeclined(TradingOutcome):
    """The trader answered no to a REAL order's confirmation."""

    timeout = 3.0

    def __init__(self, ticket: Ticket) -> None:
        super().__init__()
        self.ticket = ticket

    @property
    def text(self) -> str:
        return "REAL order not sent"


class OrderRejected(TradingOutcome):
    """OpenD refused the order in its reply; the orders panel shows a SUBMIT_FAILED row."""

    severity, timeout = "error", 8.0

    def __init__(self, ticket: Ticket, reason: str) -> None:
        super().__init__()
        self.ticket, self.reason = ticket, reason

    @property
    def text(self) -> str:
        return f"{ticket_words(self.ticket)} rejected: {self.reason}"


class OrderFateUnknown(TradingOutcome):
    """Sent, but the reply was lost: verified after the reconnect (a drop) or at once, from
    OpenD's order list (`checking`: a timeout with the link up)."""

    severity, timeout = "error", 10.0

    def __init__(self, ticket: Ticket, reason: str, checking: bool = False) -> None:
        super().__init__()
        self.ticket, self.reason, self.checking = ticket, reason, checking

    @property
    def text(self) -> str:
        return f"{ticket_words(self.ticket)}: {self.reason}. {CHECKING_NOW if self.checking else FATE_UNKNOWN}"


class OrderFailed(TradingOutcome):
    """An order OpenD pushed as failed after accepting it; told once per order. (The book tells
    a DISABLED order with OrderDisabled; given one, this still reads "is no longer valid".)"""

    timeout = 8.0

    def __init__(self, order: OrderRow) -> None:
        super().__init__()
        self.order = order
        self.severity = "warning" if order.status == OrderStatus.DISABLED else "error"

    @property
    def text(self) -> str:
        o = self.order
        word = "is no longer valid" if o.status == OrderStatus.DISABLED else "failed"
        why = o.last_error or status_name(o.status)
        return f"order {o.order_id} {Side.word_of(o.side)} {o.qty:g} {o.code} {word}: {why}"


def order_words(o: OrderRow) -> str:
    return f"order {o.order_id} {Side.word_of(o.side)} {fmt(o.qty)} {o.code}"


class OrderDisabled(TradingOutcome):
    """OpenD disabled an order: it stops working but is not final (it can be enabled again)."""

    severity, timeout = "warning", 8.0

    def __init__(self, order: OrderRow) -> None:
        super().__init__()
        self.order = order

    @property
    def text(self) -> str:
        why = f" ({self.order.last_error})" if self.order.last_error else ""
        return f"{order_words(self.order)} is disabled{why}: it does not work until enabled again"


class OrderEnabled(TradingOutcome):
    """A disabled order works again."""

    severity, timeout = "warning", 6.0

    def __init__(self, order: OrderRow) -> None:
        super().__init__()
        self.order = order

    @property
    def text(self) -> str:
        return f"{order_words(self.order)} is enabled again: {status_name(self.order.status)}"


class OrderTimedOut(TradingOutcome):
    """OpenD pushed an order as TIMEOUT: its outcome is unknown; OpenD's list is checked now."""

    severity, timeout = "error", 10.0

    def __init__(self, order: OrderRow) -> None:
        super().__init__()
        self.order = order

    @property
    def text(self) -> str:
        return (f"{order_words(self.order)}: OpenD reports TIMEOUT, its outcome is unknown; "
                "checking OpenD's order list now; nothing is resent")


class FillBusted(TradingOutcome):
    """A fill OpenD pushed as cancelled (busted) or changed (corrected): it left, or changed in,
    the fills; positions and funds are read again."""

    severity, timeout = "error", 10.0

    def __init__(self, fill_id: str, order_id: str, words: str, cancelled: bool) -> None:
        super().__init__()
        self.fill_id, self.order_id, self.words, self.cancelled = fill_id, order_id, words, cancelled

    @property
    def text(self) -> str:
        how = "was cancelled by the exchange (busted)" if self.cancelled else "was corrected by the exchange"
        return f"fill {self.fill_id} of order {self.order_id} ({self.words}) {how}; positions are read again"


# -- modify, cancel, cancel all --------------------------------------------------------------


class ChangeSent(TradingOutcome):
    """A modify or cancel OpenD accepted. `what` is "modify <id>" or "cancel <id>"."""

    timeout = 3.0

    def __init__(self, what: str, order_id: str, detail: str = "") -> None:
        super().__init__()
        self.what, self.order_id, self.detail = what, order_id, detail

    @property
    def text(self) -> str:
        return f"{self.what} sent{self.detail}"


class ChangeRefused(TradingOutcome):
    """A modify, cancel or cancel-all not sent (locked, throttled, not connected, not open)."""

    severity, timeout = "warning", 6.0

    def __init__(self, what: str, reason: str) -> None:
        super().__init__()
        self.what, self.reason = what, reason

    @property
    def text(self) -> str:
        return f"{self.what} not sent: {self.reason}"


class ChangeRejected(TradingOutcome):
    """OpenD refused a modify, cancel or (part of) a cancel-all; the order's row says why."""

    severity, timeout = "error", 8.0

    def __init__(self, what: str, reason: str) -> None:
        super().__init__()
        self.what, self.reason = what, reason

    @property
    def text(self) -> str:
        return f"{self.what} refused by OpenD: {self.reason}"


class ChangeFateUnknown(TradingOutcome):
    """A modify, cancel or cancel-all whose reply was lost: reported after the reconnect, or
    at once from OpenD's order list (`checking`: a timeout with the link up)."""

    severity, timeout = "error", 10.0

    def __init__(self, what: str, reason: str, checking: bool = False) -> None:
        super().__init__()
        self.what, self.reason, self.checking = what, reason, checking

    @property
    def text(self) -> str:
        return f"{self.what}: {self.reason}. {CHECKING_NOW if self.checking else FATE_UNKNOWN}"


class CancelAllDone(TradingOutcome):
    """Every cancel-all request (one per account and market) was accepted."""

    timeout = 3.0

    def __init__(self, open_orders: int) -> None:
        super().__init__()
        self.open_orders = open_orders

    @property
    def text(self) -> str:
        return f"cancel all sent ({self.open_orders} open orders)"


# -- accounts and lock --------------------------------------------------------------------


class TradingRefused(TradingOutcome):
    """A trading key refused before any form opens: no account for the code, REAL locked,
    not connected, no account of the wanted environment."""

    severity = "warning"

    def __init__(self, reason: str, severity: str = "warning") -> None:
        super().__init__()
        self.reason, self.severity = reason, severity

    @property
    def text(self) -> str:
        return self.reason


class AccountSwitched(TradingOutcome):
    """E chose another account; a REAL one that is still locked says how to unlock it."""

    def __init__(self, label: str, real: bool, unlocked: bool) -> None:
        super().__init__()
        self.label, self.real, self.unlocked = label, real, unlocked
        self.severity = "warning" if real else "information"

    @property
    def text(self) -> str:
        return f"trading on {self.label}{'; press L to unlock' if self.real and not self.unlocked else ''}"


class TradingUnlocked(TradingOutcome):
    severity, timeout = "warning", 5.0

    def __init__(self, relock_minutes: float) -> None:
        super().__init__()
        self.relock_minutes = relock_minutes

    @property
    def text(self) -> str:
        return f"REAL trading unlocked; it locks again after {self.relock_minutes:g} min without trading"


class UnlockRefused(TradingOutcome):
    severity, timeout = "error", 6.0

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason

    @property
    def text(self) -> str:
        return f"unlock refused: {self.reason}"


class TradingLocked(TradingOutcome):
    """REAL trading is locked here (by the trader or after idling); orders are refused."""

    def __init__(self, why: str) -> None:
        super().__init__()
        self.why = why

    @property
    def text(self) -> str:
        return f"REAL trading locked ({self.why})"


class UnlockForgotten(TradingOutcome):
    """After a reconnect REAL trading counts as locked: OpenD may have restarted (a restart
    forgets the unlock) and no call tells whether it did."""

    severity, timeout = "warning", 12.0

    @property
    def text(self) -> str:
        return ("reconnected to OpenD: it may have restarted, which forgets the unlock. "
                "REAL trading is locked: unlock again with L")


class LockAtOpenDFailed(TradingOutcome):
    severity = "warning"

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason

    @property
    def text(self) -> str:
        return f"lock at OpenD failed ({self.reason}); orders stay refused here"


# -- reconciliation --------------------------------------------------------------------------


class OrdersReconciled(TradingOutcome):
    """After a start or a reconnect: what the journal's open requests became, and (after an
    outage, `away` is its span) what happened to the account meanwhile. Told once."""

    severity = "warning"

    def __init__(self, lines: list[str], away: str | None = None) -> None:
        super().__init__()
        self.lines, self.away = list(lines), away
        self.timeout = 12.0 if away else 15.0

    @property
    def text(self) -> str:
        if self.away is None:
            return "order journal: " + "; ".join(self.lines)
        if self.lines:
            return f"{self.away}; while away: {'; '.join(self.lines)}"
        return f"{self.away}; nothing changed in the account while away"


class OrdersVerified(TradingOutcome):
    """What a check of OpenD's order list found, with the link up (after a reply that timed
    out, or an order pushed as TIMEOUT). Each order is told once."""

    severity, timeout = "warning", 12.0

    def __init__(self, lines: list[str]) -> None:
        super().__init__()
        self.lines = list(lines)

    @property
    def text(self) -> str:
        return "checked with OpenD: " + "; ".join(self.lines)
