"""OpenD's subscription accounting, with a fake clock."""

from __future__ import annotations

import pytest

from protocol.gateway.subscriptions import SubscriptionError, Subscriptions

QUOTE, TICKER = 1, 4


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_quota_is_one_per_code_and_subtype_shared_by_connections(clock):
    subs = Subscriptions(quota=3, clock=clock)
    subs.subscribe(1, [("HK.00700", QUOTE), ("HK.00700", TICKER)])
    subs.subscribe(2, [("HK.00700", QUOTE)])
    assert subs.used() == 2
    subs.subscribe(2, [("US.AAPL", QUOTE)])
    with pytest.raises(SubscriptionError, match="3 of 3 in use, this request needs 1 more"):
        subs.subscribe(1, [("US.TSLA", QUOTE), ("HK.00700", QUOTE)])
    assert not subs.holds(1, ("US.TSLA", QUOTE)) and subs.used() == 3  # all or nothing


def test_unsubscribe_after_a_minute_and_release_when_nobody_holds_it(clock):
    subs = Subscriptions(clock=clock)
    subs.subscribe(1, [("HK.00700", QUOTE)])
    clock.t += 30
    subs.subscribe(2, [("HK.00700", QUOTE)])
    with pytest.raises(SubscriptionError, match=r"HK.00700 1 yet: .* \(30 s to go\)"):
        subs.unsubscribe(1, [("HK.00700", QUOTE)])
    clock.t += 30
    subs.unsubscribe(1, [("HK.00700", QUOTE)])
    assert subs.used() == 1  # connection 2 still holds it
    clock.t += 30
    subs.unsubscribe(2, [("HK.00700", QUOTE), ("US.AAPL", QUOTE)])  # keys it never held are ignored
    assert subs.used() == 0


def test_closing_keeps_young_subscriptions_until_they_are_a_minute_old(clock):
    subs = Subscriptions(clock=clock)
    subs.subscribe(1, [("HK.00700", QUOTE)])
    subs.set_push(1, ("HK.00700", QUOTE), "session-1")
    clock.t += 50
    subs.subscribe(1, [("US.AAPL", QUOTE)])
    clock.t += 15
    subs.close(1)
    assert subs.used() == 1 and subs.pushers == {}  # HK.00700 was old enough; no more pushes
    clock.t += 44
    assert subs.used() == 1
    clock.t += 1
    assert subs.used() == 0
