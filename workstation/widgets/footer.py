"""The key bar: Textual's Footer, rebuilt only when what it shows changes.

Textual's Footer composes a widget per key every time the bindings are refreshed, which
happens at each focus change, connection event and account update; most of those change
nothing the footer shows, and each rebuild restyles some twenty widgets."""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer


class KeyBar(Footer):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.shown: tuple | None = None  # what the keys said when last built

    def bindings_changed(self, screen: Screen) -> None:
        app = self.app
        if self.is_attached and screen is self.screen and app.app_focus:  # else Textual builds nothing
            shown = tuple((b.key, app.get_key_display(b), b.action, b.description, enabled, tooltip)
                          for _, b, enabled, tooltip in screen.active_bindings.values()
                          if b.show or b.action == "command_palette")
            if shown == self.shown:
                return
            self.shown = shown
        super().bindings_changed(screen)
