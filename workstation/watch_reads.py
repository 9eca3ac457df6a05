"""OpenD reads behind the watchlist's group tabs and the symbol search.

Group names and codes come from the wire: names are cleaned for the screen but the raw name
is what OpenD is asked with (a cleaned name would not be found); codes must be valid codes.
"""

from __future__ import annotations

import asyncio

from protocol import ids
from protocol.client import OpenDClient
from protocol.codes import code_of
from protocol.proto import Qot_GetStaticInfo_pb2, Qot_GetUserSecurity_pb2, Qot_GetUserSecurityGroup_pb2
from protocol.sanitize import clean_text, valid_code
from protocol.sanitize import NAME_CHARS
from workstation.search import SymbolIndex

GROUP_ALL = 3  # GroupType_All: the user's own groups and Futu's built-in ones
MAX_GROUPS = 40
GROUP_NAME_CHARS = 24
MAX_GROUP_CODES = 1000


async def watch_groups(client: OpenDClient) -> list[tuple[str, str]]:
    """The account's watchlist groups as (name to show, name to ask OpenD with), in OpenD's order."""
    s2c = await client.request(ids.QOT_GET_USER_SECURITY_GROUP, Qot_GetUserSecurityGroup_pb2.C2S(groupType=GROUP_ALL))
    out: dict[str, str] = {}
    for g in s2c.groupList[:MAX_GROUPS]:
        shown = clean_text(g.groupName, GROUP_NAME_CHARS).strip()
        if shown and shown not in out:
            out[shown] = g.groupName
    return list(out.items())


async def watch_group_codes(client: OpenDClient, raw_name: str) -> list[str]:
    """The codes of one group (Qot_GetUserSecurity: 10 calls / 30 s, so read when chosen)."""
    s2c = await client.request(ids.QOT_GET_USER_SECURITY, Qot_GetUserSecurity_pb2.C2S(groupName=raw_name))
    codes = (code_of(i.basic.security.market, i.basic.security.code) for i in s2c.staticInfoList)
    return list(dict.fromkeys(c for c in codes if valid_code(c)))[:MAX_GROUP_CODES]


async def load_index(client: OpenDClient) -> SymbolIndex:
    """Every code OpenD lists, indexed for search; the pinyin is worked out off the event loop."""
    return await asyncio.to_thread(SymbolIndex, await load_universe(client))


async def load_universe(client: OpenDClient) -> list[tuple[str, str]]:
    """Every stock, ETF and index OpenD lists in HK, US, SH and SZ: (code, name)."""
    out: list[tuple[str, str]] = []
    for market in (1, 11, 21, 22):
        for sec_type in (3, 4, 6):
            s2c = await client.request(ids.QOT_GET_STATIC_INFO, Qot_GetStaticInfo_pb2.C2S(market=market, secType=sec_type))
            for i in s2c.staticInfoList:
                code = code_of(i.basic.security.market, i.basic.security.code)
                if valid_code(code):
                    out.append((code, clean_text(i.basic.name, NAME_CHARS)))
    return sorted(set(out))
