"""Fault injection for reliability tests: `sim.faults`.

    sim.faults.drop()                          # close every connection abruptly
    sim.faults.drop(conn_id)                   # ... or one
    sim.faults.delay(3.0, count=2)             # hold the next 2 replies back 3 s
    sim.faults.delay(15.0, proto_id=2202)      # every place_order reply, until clear()
    sim.faults.corrupt(conn_id)                # a frame with a bad SHA-1
    sim.faults.reject_next_order("risk check failed")               # error reply
    sim.faults.reject_next_order("exchange rejected", failed=True)  # accepted, then FAILED

Not thread-safe: call on the simulator's event loop (loop.call_soon_threadsafe from a test thread).
"""

from __future__ import annotations

from protocol.gateway.broker import Broker
from protocol.gateway.server import Gateway, ReplyDelay


class Faults:
    def __init__(self, gateway: Gateway, broker: Broker) -> None:
        self.gateway = gateway
        self.broker = broker

    def drop(self, conn_id: int | None = None) -> int:
        return self.gateway.drop(conn_id)

    def delay(self, seconds: float, *, count: int | None = None, proto_id: int | None = None) -> None:
        self.gateway.reply_delays.append(ReplyDelay(seconds, count, proto_id))

    def corrupt(self, conn_id: int | None = None) -> int:
        return self.gateway.send_corrupt(conn_id)

    def reject_next_order(self, message: str = "order rejected (fault injection)", *, failed: bool = False) -> None:
        """Refuse the next place_order: as an error reply, or (failed=True) accept it and then fail it."""
        self.broker.reject_next = (message, failed)

    def clear(self) -> None:
        self.gateway.reply_delays.clear()
        self.broker.reject_next = None
