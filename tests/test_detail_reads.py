"""The detail's reads keep to their share of OpenD's rate limits on their own, against the
simulated OpenD over loopback: short interest waits for room instead of being refused, a
snapshot poll skips a round."""

from __future__ import annotations

import asyncio

from protocol.client import OpenDClient
from protocol.gateway.sim import Simulator
from workstation.detail_reads import SHORT_SHARE, SNAPSHOT_SHARE, DetailReads


async def test_reads_wait_or_skip_rather_than_meet_opend_refusals():
    async with Simulator(seed=3) as sim:
        client = OpenDClient("127.0.0.1", sim.port)
        await client.connect()
        try:
            reads = DetailReads(lambda: client)
            for _ in range(SHORT_SHARE):
                page = await reads.short_interest("HK.00700", num=1)
                assert len(page.rows) == 1
            waits: list[float] = []
            late = asyncio.create_task(reads.short_interest("HK.00700", num=1, waiting=waits.append))
            for _ in range(200):
                if waits:
                    break
                await asyncio.sleep(0.01)
            assert waits and 25.0 < waits[0] <= 30.0, waits  # told how long, and waiting: not sent
            assert reads.short_requests == SHORT_SHARE and not late.done()
            late.cancel()

            views = [await reads.snapshot("US.AAPL") for _ in range(SNAPSHOT_SHARE + 1)]
            assert all(v is not None and v.code == "US.AAPL" for v in views[:-1])
            assert views[-1] is None and reads.snapshots == SNAPSHOT_SHARE  # a poll skips a round
        finally:
            await client.close()
