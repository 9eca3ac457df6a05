"""Fault injection for reliability tests: `sim.faults`.

    sim.faults.drop()                          # close every connection abruptly
    sim.faults.drop(conn_id)                   # ... or one
    sim.faults.delay(3.0, count=2)             # hold the next 2 replies back 3 s
    sim.faults.delay(15.0, proto_id=2202)      # every place_order reply, until clear()
    sim.faults.corrupt(conn_id)                # a frame with a bad SHA-1
    sim.faults.stall(conn_id)                  # go silent, keep the socket open (half-open link)
    sim.faults.reject_next_order("risk check failed")               # error reply
    sim.faults.reject_next_order("exchange rejected", failed=True)  # accepted, then FAILED
    sim.faults.reject_next_modify("order is being processed")      # next modify / cancel: error reply

Not thread-safe: call on the simulator's event loop (loop.call_soon_threadsafe from a test thread).
"""

from __future__ import annotations

from protocol.gateway.broker import Broker
from protocol.gateway.server import Gateway, ReplyDelay


class _Muted:
    """A session's writer that sends nothing; closing and aborting still reach the socket."""

    def __init__(self, writer) -> None:
        self._writer = writer

    def write(self, data: bytes) -> None:
        pass

    def __getattr__(self, name: str):
        return getattr(self._writer, name)


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

    def stall(self, conn_id: int | None = None) -> int:
        """Stop sending on one connection (or all) without closing it: no replies, pushes or
        keepalive answers, while requests are still read. To the client, a half-open link."""
        targets = [s for s in list(self.gateway.sessions.values()) if conn_id is None or s.conn_id == conn_id]
        for session in targets:
            if not isinstance(session.writer, _Muted):
                session.writer = _Muted(session.writer)
        return len(targets)

    def reject_next_order(self, message: str = "order rejected (fault injection)", *, failed: bool = False) -> None:
        """Refuse the next place_order: as an error reply, or (failed=True) accept it and then fail it."""
        self.broker.reject_next = (message, failed)

    def reject_next_modify(self, message: str = "modify rejected (fault injection)") -> None:
        """Refuse the next modify_order (modify, cancel or cancel-all) with an error reply."""
        self.broker.reject_next_modify = message

    def clear(self) -> None:
        self.gateway.reply_delays.clear()
        self.broker.reject_next = None
        self.broker.reject_next_modify = None
