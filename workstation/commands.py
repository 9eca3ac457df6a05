"""The command palette: symbol jump, chart period, theme, colours and panels."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content

import themes
from workstation.widgets.chart import PERIODS

if TYPE_CHECKING:
    from workstation.app import FutuTui


class WorkstationCommands(Provider):
    """Command palette: symbol jump, chart period, theme, colours and panel commands."""

    def _commands(self) -> list[tuple[str, Callable[[], None], str]]:
        app: FutuTui = self.app  # type: ignore[assignment]
        cmds = []
        for code in app.watchlist_codes:
            name = app.store.names.get(code, "")
            cmds.append((f"Go to {code} {name}".rstrip(), lambda c=code: app.choose(c), "show this symbol"))
        for p in PERIODS:
            cmds.append((f"Chart period: {p}", lambda p=p: app.set_period(p), "K-line period"))
        for palette in themes.PALETTES:
            cmds.append((f"Theme: {palette}", lambda t=palette: app.set_theme(palette=t), "colour palette"))
        for conv in themes.CONVENTIONS:
            cmds.append((f"Colours: {conv}", lambda c=conv: app.set_theme(convention=c), "price colour convention"))
        for key, panel in app.panels.items():
            cmds.append((f"Panel: {panel.title}", lambda k=key: app.action_show_panel(k), "focus this panel"))
        cmds.append(("Symbol search…", app.action_search, "find any symbol"))
        cmds.append(("Quote detail and short interest", app.action_detail, "the focused symbol (d)"))
        cmds.append(("Dismiss notifications", app.action_dismiss_toasts, "clear every toast"))
        return cmds

    async def discover(self) -> Hits:
        for text, callback, help_text in self._commands():
            yield DiscoveryHit(Content(text), callback, help=help_text)  # names are wire text: never markup

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text, callback, help_text in self._commands():
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), callback, help=help_text)
