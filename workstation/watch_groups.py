"""The App's side of the watchlist's group tabs: the local list (watchlist.json) first, then the
account's Futu groups (Qot_GetUserSecurityGroup), listed at every (re)connect. A group's codes
are read when its tab is chosen (Qot_GetUserSecurity allows 10 calls / 30 s) and kept for
GROUP_FRESH seconds; the tab shown is what the feed subscribes. The chosen tab is remembered
in prefs ("watchlist_group": the group's name, "" for the local list). A mixin of FutuTui.
"""

from __future__ import annotations

import logging
import time

from textual import work

from protocol.client import ConnState
from workstation.messages import FeedStateChanged
from workstation.screens.symbol import SymbolSearch
from workstation.watch_reads import watch_group_codes, watch_groups
from workstation.widgets.watchlist import Watchlist

log = logging.getLogger(__name__)

GROUP_FRESH = 60.0  # s a group's codes are trusted before they are read again


class WatchGroups:
    """Mixed into FutuTui: uses self.feed, self.prefs, self.watchlist, self.watchlist_codes."""

    group_names: dict[str, str]  # shown name -> the raw name OpenD knows it by
    group_codes: dict[str, tuple[float, list[str]]]  # shown name -> (monotonic time read, codes)

    def on_feed_state_changed(self, event: FeedStateChanged) -> None:
        if event.state is ConnState.READY:
            self.load_groups()

    @work(group="watch-groups", exclusive=True, exit_on_error=False)
    async def load_groups(self) -> None:
        """List the groups as tabs and show the one shown before (or remembered)."""
        try:
            groups = await watch_groups(self.feed.client)
        except Exception as exc:  # groups are a convenience: the local list still works
            log.info("watchlist groups unavailable: %s", exc)
            return
        self.group_names = dict(groups)
        self.group_codes = {}
        wl: Watchlist = self.watchlist
        want = wl.groups[wl.group] if wl.group else self.prefs.get("watchlist_group", "")
        names = list(self.group_names)
        index = names.index(want) + 1 if want in names else 0
        wl.set_groups(names, index)
        if index:
            self.show_group(index)

    def on_watchlist_group_chosen(self, event: Watchlist.GroupChosen) -> None:
        self.show_group(event.index)

    def show_group(self, index: int) -> None:
        self.prefs.set("watchlist_group", self.watchlist.groups[index] if index else "")
        if index:
            self.read_group(self.watchlist.groups[index])
        else:
            self.show_local()

    def show_local(self) -> None:
        """The local list's rows and subscriptions, if its tab is the one shown."""
        if not self.watchlist.group:
            self.watchlist.set_codes(self.watchlist_codes)
            self.feed.set_watchlist(self.watchlist_codes)

    @work(group="watch-group", exclusive=True, exit_on_error=False)
    async def read_group(self, name: str) -> None:
        seen = getattr(self, "group_codes", {}).get(name)
        if seen and time.monotonic() - seen[0] < GROUP_FRESH:
            codes = seen[1]
        else:
            try:
                codes = await watch_group_codes(self.feed.client, self.group_names[name])
            except Exception as exc:
                self.notify(f"{name}: {exc}", severity="warning", timeout=3, markup=False)
                return
            self.group_codes[name] = (time.monotonic(), codes)
        wl = self.watchlist
        if wl.groups[wl.group] == name:  # not moved on meanwhile
            wl.set_codes(codes)
            self.feed.set_watchlist(codes)

    def on_watchlist_import_requested(self) -> None:  # by name: @on is not seen in a mixin
        self.import_group()

    @work(group="groups", exclusive=True)
    async def import_group(self) -> None:
        """Pick one of the account's Futu watchlist groups and add its codes."""
        if not self.feed.client.ready:
            self.notify("not connected to OpenD", severity="warning")
            return
        try:
            groups = dict(await watch_groups(self.feed.client))  # shown name -> the name OpenD knows
        except Exception as exc:
            self.notify(f"watchlist groups unavailable: {exc}", severity="warning")
            return
        if not groups:
            self.notify("OpenD offers no watchlist groups for this account")
            return
        name = await self.push_screen_wait(SymbolSearch([(n, "") for n in groups], "Import watchlist group"))
        if name not in groups:
            return
        try:
            codes = await watch_group_codes(self.feed.client, groups[name])
        except Exception as exc:
            self.notify(f"{name}: {exc}", severity="warning")
            return
        added = [c for c in codes if c not in self.watchlist_codes]
        if added:
            self.watchlist_codes.extend(added)
            self._watchlist_changed()
        self.notify(f"{name}: added {len(added)} of {len(codes)} codes", timeout=2)
