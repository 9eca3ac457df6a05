"""The App's side of what the trader sets: theme and colours (remembered in prefs.json unless
the config gives them), the panel last shown, the `[keys]` keymap, the help screen and the
CSV export key. A mixin of FutuTui, like TradingActions."""

from __future__ import annotations

from textual import work

import themes
from workstation import exports
from workstation.screens.help import HelpScreen, sections


class SettingsActions:
    """Mixed into FutuTui (workstation/app.py)."""

    def remembered_theme(self) -> tuple[str, str]:
        """(palette, convention): a flag, an environment variable or the config file wins over
        what was last chosen on screen, which wins over the default."""
        config, prefs = self.config, self.prefs  # type: ignore[attr-defined]
        palette, convention = config.theme, config.colors
        if "theme" not in config.explicit and prefs.get("theme") in themes.PALETTES:
            palette = prefs.get("theme")
        if "colors" not in config.explicit and prefs.get("colors") in themes.CONVENTIONS:
            convention = prefs.get("colors")
        return palette, convention

    def restore_panel(self) -> None:
        """In narrow mode (one panel at a time), the panel that was on screen last time."""
        key = self.prefs.get("layout")  # type: ignore[attr-defined]
        if self.narrow and key in self.panels and key != self.active_panel:  # type: ignore[attr-defined]
            self.call_after_refresh(self.action_show_panel, key)  # type: ignore[attr-defined]  (once the tabs exist)

    def apply_keymap(self) -> None:
        if self.config.keys:  # type: ignore[attr-defined]
            self.set_keymap(self.config.keys)  # type: ignore[attr-defined]

    def set_theme(self, palette: str | None = None, convention: str | None = None) -> None:
        self.palette = palette or self.palette
        self.convention = convention or self.convention
        self.theme = themes.theme_name(self.palette, self.convention)
        self.prefs.set("theme", self.palette)  # type: ignore[attr-defined]
        self.prefs.set("colors", self.convention)  # type: ignore[attr-defined]
        self.refresh_all()  # type: ignore[attr-defined]

    def action_cycle_palette(self) -> None:
        i = themes.PALETTES.index(self.palette)
        self.set_theme(palette=themes.PALETTES[(i + 1) % len(themes.PALETTES)])
        self.notify(f"theme {self.palette}", timeout=1.5)  # type: ignore[attr-defined]

    def action_toggle_convention(self) -> None:
        self.set_theme(convention="green-up" if self.convention == "red-up" else "red-up")
        self.notify(f"prices: {self.convention.replace('-', ' ')}", timeout=1.5)  # type: ignore[attr-defined]

    def action_help(self) -> None:
        self.push_screen(HelpScreen(sections(self)))  # type: ignore[attr-defined]

    def action_export(self) -> None:
        """Orders, fills and positions as shown, to CSV files in exports_dir; a toast says where.
        The rows are copied now; pandas and the disk work in a thread, off the screen's way."""
        tabs = exports.tables(self.store)  # type: ignore[attr-defined]
        self.write_exports(tabs, exports.exports_dir(self.config.exports_dir))  # type: ignore[attr-defined]

    @work(thread=True, group="exports", exit_on_error=False, name="write CSV exports")
    def write_exports(self, tabs: dict, folder) -> None:
        try:
            written = exports.write_all(tabs, folder)
        except Exception as exc:  # a full disk, a folder we may not write: said, never a crash
            self.call_from_thread(self.notify, f"export failed: {exc}", severity="error", timeout=8)  # type: ignore[attr-defined]
            return
        counts = ", ".join(f"{n} {kind}" for kind, (_path, n) in zip(tabs, written))
        self.call_from_thread(self.notify, f"exported {counts} to {folder}", timeout=8)  # type: ignore[attr-defined]
