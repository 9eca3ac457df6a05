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
