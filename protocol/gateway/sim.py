"""The whole simulated OpenD: gateway + market + paper broker + the services between them.

    sim = Simulator(SimSettings(port=0, seed=7))    # or Simulator(port=0, seed=7)
    await sim.start()          # listening on sim.port, market running
    ...
    await sim.stop()

A pacing task advances the market clock every `tick_ms` and hands the new trades to the
quote service (pushes) and to the broker (matching of resting orders).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

from protocol.gateway.broker import Broker
from protocol.gateway.instruments import NAMES_EN
from protocol.gateway.knobs import Faults, SimSettings
from protocol.gateway.market import Market
from protocol.gateway.opend_state import OpenDState
from protocol.gateway.quotes import QuoteService
from protocol.gateway.server import Gateway
from protocol.gateway.trading import TradeService


class Simulator:
    """Built from one `SimSettings`; keyword arguments change single settings of it."""

    def __init__(self, settings: SimSettings | None = None, /, **changes: Any) -> None:
        self.settings = s = (settings or SimSettings()).replace(**changes)
        self.gateway = Gateway(s.host, s.port, rsa=s.rsa, keepalive_interval=s.keepalive, aes_mode=s.aes_mode)
        self.market = Market(seed=s.seed, clock=s.clock, rate=s.rate, start=s.start)
        for code, name in (NAMES_EN.items() if s.lang == "en" else ()):  # OpenD serves one language
            self.market.rename(code, name)
        for code in s.suspend:
            self.market.halt(code)
        for side, codes in (("up", s.limit_up), ("down", s.limit_down)):
            for code in codes:
                self.market.pin(code, side)
        self.market.advance(self.market.start)  # backfill the live day now, not on the first step
        self.market.extended.moved(self.market.start)  # extended prints before `start` are history, not pushes
        self._offset = self.market.start - time.time()  # the market clock runs on from `start`
        self._paused_at: float | None = time.time() if s.paused else None
        self.gateway.clock = self.now
        self.opend = OpenDState(self.gateway, s.quote_rights, sub_quota=s.quota, history_quota=s.history_quota,
                                history_period=s.history_quota_period, clock=self.now)
        self.quotes = QuoteService(self.gateway, self.market, quota=s.quota, state=self.opend)
        self.broker = Broker(self.market, s.trade_password, clock=self.now)  # orders stamped in market time
        self.trade = TradeService(self.gateway, self.broker)
        self._quiet: set[str] = set()  # codes changed without a trade, pushed on the next step
        self.faults = Faults(self.gateway, self.broker, self.opend, self.trade, self.market, self._quiet.add)
        self._task: asyncio.Task | None = None

    @property
    def port(self) -> int:
        return self.gateway.port

    @property
    def pacing(self) -> bool:
        """The market's pacing task is alive (started and neither stopped nor crashed)."""
        return self._task is not None and not self._task.done()

    async def start(self) -> None:
        await self.gateway.start()
        self._task = asyncio.create_task(self._pace(), name="sim-pace")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.gateway.stop()

    async def __aenter__(self) -> Simulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def now(self) -> float:
        """The market clock: wall time shifted to `start`, standing still while paused."""
        return (time.time() if self._paused_at is None else self._paused_at) + self._offset

    @property
    def paused(self) -> bool:
        return self._paused_at is not None

    def pause(self) -> None:
        """Stop the market clock: no ticks until resume() (tests, snapshots)."""
        if self._paused_at is None:
            self._paused_at = time.time()

    def resume(self) -> None:
        """Restart the market clock where it stopped: the pause leaves no gap of ticks."""
        if self._paused_at is not None:
            self._offset -= time.time() - self._paused_at
            self._paused_at = None

    async def _pace(self) -> None:
        while True:
            await asyncio.sleep(self.settings.tick_ms / 1000)
            if self._paused_at is None:
                self.step(self.now())

    def step(self, now: float) -> None:
        """Advance the market to `now` and fan the result out (pushes, order matching)."""
        trades = self.market.advance(now)
        quiet = self.market.extended.moved(now) | self._quiet
        self._quiet.clear()
        self.quotes.publish(trades, quiet, self.market.extended.take_prints())
        self.trade.publish(self.broker.on_trades(trades, now))


class SimThread:
    """A Simulator on its own event loop in a daemon thread (for `futu-tui --sim` and tests).

    Built like a Simulator, but on a free port unless `settings` say otherwise. `start()`
    returns the port once the simulator listens; `stop()` shuts it down. Keeping the
    simulated exchange off the app's event loop means a busy market never delays keys.
    """

    def __init__(self, settings: SimSettings | None = None, /, **changes: Any) -> None:
        self.settings = (settings or SimSettings(port=0)).replace(**changes)  # refused here, not in the thread
        self.sim: Simulator | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self._thread = None

    def start(self) -> int:
        import threading

        if self.sim is not None:
            return self.sim.port
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self.loop = loop
            try:
                self.sim = Simulator(self.settings)
                loop.run_until_complete(self.sim.start())
            except BaseException as exc:  # report to the starting thread
                failure.append(exc)
                ready.set()
                loop.close()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self.sim.stop())
            loop.close()

        self._thread = threading.Thread(target=run, name="futu-opend-sim", daemon=True)
        self._thread.start()
        ready.wait(30)
        if failure:
            self.sim = None
            raise failure[0]
        assert self.sim is not None
        return self.sim.port

    def call(self, fn, *args):
        """Run fn(*args) on the simulator's loop and return its result (for tests and fault hooks)."""
        import concurrent.futures

        assert self.loop is not None
        future: concurrent.futures.Future = concurrent.futures.Future()

        def run() -> None:
            try:
                future.set_result(fn(*args))
            except BaseException as exc:
                future.set_exception(exc)

        self.loop.call_soon_threadsafe(run)
        return future.result(10)

    def stop(self) -> None:
        if self.loop is None or self._thread is None:
            return
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop = self._thread = self.sim = None
