"""What the client takes from a server's InitConnect reply is bounded."""

from __future__ import annotations

from protocol.client import MAX_KEEPALIVE, OpenDClient
from protocol.gateway.server import Gateway


async def test_a_huge_keepalive_interval_from_the_server_is_clamped_so_dead_links_are_still_found():
    async with Gateway("127.0.0.1", 0, keepalive_interval=2**31 - 1) as gw:
        client = OpenDClient("127.0.0.1", gw.port)
        info = await client.connect()
        try:
            assert info.keepalive_interval == MAX_KEEPALIVE == 60
        finally:
            await client.close()


async def test_a_push_handler_that_fails_every_time_is_logged_once_not_once_per_push(caplog):
    import asyncio
    import logging

    from protocol import ids
    from protocol.proto import Qot_UpdateBasicQot_pb2

    seen: list[int] = []

    def broken(resp) -> None:
        seen.append(1)
        raise ValueError("bug")

    async with Gateway("127.0.0.1", 0) as gw:
        client = OpenDClient("127.0.0.1", gw.port)
        client.on_push(ids.QOT_UPDATE_BASIC_QOT, broken)
        await client.connect()
        try:
            with caplog.at_level(logging.ERROR, logger="protocol.client"):
                for session in list(gw.sessions.values()):
                    for _ in range(1000):
                        session.push(ids.QOT_UPDATE_BASIC_QOT, Qot_UpdateBasicQot_pb2.Response(retType=0))
                deadline = asyncio.get_running_loop().time() + 10
                while len(seen) < 1000 and asyncio.get_running_loop().time() < deadline:
                    await asyncio.sleep(0.01)
            assert len(seen) == 1000
            assert sum("push handler for" in r.getMessage() for r in caplog.records) == 1
        finally:
            await client.close()
