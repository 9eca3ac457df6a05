"""App-wide messages from the feed. Events that must not be merged travel as messages;
"latest value wins" data goes through the store and the flush timer instead."""

from __future__ import annotations

from textual.message import Message

from protocol.client import ConnState
from workstation.account_rows import FillRow, OrderRow


class FeedStateChanged(Message):
    """The OpenD connection went connecting / ready / lost / closed."""

    def __init__(self, state: ConnState, reason: str) -> None:
        super().__init__()
        self.state = state
        self.reason = reason


class FeedNotice(Message):
    """Something the trader should read: a failed request, a quota limit, a recovery."""

    def __init__(self, text: str, severity: str = "information", timeout: float = 4.0) -> None:
        super().__init__()
        self.text = text
        self.severity = severity
        self.timeout = timeout


class OrderUpdated(Message):
    def __init__(self, order: OrderRow) -> None:
        super().__init__()
        self.order = order


class FillReceived(Message):
    def __init__(self, fill: FillRow) -> None:
        super().__init__()
        self.fill = fill


class AccountChanged(Message):
    """Accounts were (re)loaded or the active account changed."""
