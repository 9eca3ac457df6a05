"""The whole simulated OpenD: gateway + market + paper broker + the services between them.

    sim = Simulator(port=0, seed=7)
    await sim.start()          # listening on sim.gateway.port, market running
    ...
    await sim.stop()

A pacing task advances the market clock every `tick_ms` and hands the new trades to the
quote service (pushes) and to the broker (matching of resting orders).
"""

from __future__ import annotations

import asyncio
import contextlib
import time

from protocol.crypto import RsaCipher
from protocol.gateway.server import Gateway


class Simulator:
    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 11111,
        *,
        rsa: RsaCipher | None = None,
        seed: int = 1,
        rate: float = 1.0,
        clock: str = "always",
        quota: int = 300,
        trade_password: str = "123456",
        keepalive: int = 10,
        tick_ms: int = 50,
    ) -> None:
        self.gateway = Gateway(host, port, rsa=rsa, keepalive_interval=keepalive)
        self.seed, self.rate, self.clock, self.quota = seed, rate, clock, quota
        self.trade_password = trade_password
        self.tick_ms = tick_ms
        self.market = None  # protocol.gateway.market.Market (issue 3)
        self.broker = None  # protocol.gateway.broker.Broker (issue 3)
        self._task: asyncio.Task | None = None

    @property
    def port(self) -> int:
        return self.gateway.port

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

    async def _pace(self) -> None:
        while True:
            await asyncio.sleep(self.tick_ms / 1000)
            self.step(time.time())

    def step(self, now: float) -> None:
        """Advance the market to `now` and fan the result out (pushes, order matching)."""
