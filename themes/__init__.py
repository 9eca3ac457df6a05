"""futu-tui's colour themes: three palettes x two price-colour conventions.

A theme name is "<palette>-<convention>", e.g. "dark-red-up". The convention decides the
`$price-up` / `$price-down` variables: red-up/green-down as in HK and mainland China, or
green-up/red-down as in the US. Widgets colour prices through these variables only.
"""

from __future__ import annotations

from pathlib import Path

from textual.theme import Theme

CSS_PATH = Path(__file__).with_name("futu.tcss")
PALETTES = ("dark", "light", "contrast")
CONVENTIONS = ("red-up", "green-up")

_BASE = {
    "dark": dict(primary="#3d8bfd", secondary="#7a8ca5", accent="#f0a020", warning="#f0a020", error="#ff5c5c",
                 success="#28c76f", foreground="#d8dee9", background="#10141a", surface="#161b22", panel="#1f2630", dark=True),
    "light": dict(primary="#0b5cd5", secondary="#5a6b80", accent="#b36b00", warning="#b36b00", error="#c62828",
                  success="#1b7f3b", foreground="#1c2330", background="#f6f7f9", surface="#ffffff", panel="#e6e9ef", dark=False),
    "contrast": dict(primary="#00ffff", secondary="#ffffff", accent="#ffff00", warning="#ffff00", error="#ff4040",
                     success="#00ff00", foreground="#ffffff", background="#000000", surface="#000000", panel="#202020", dark=True),
}
_UP_DOWN = {  # (red, green) per palette: readable on its background
    "dark": ("#ff5c5c", "#28c76f"),
    "light": ("#c62828", "#1b7f3b"),
    "contrast": ("#ff4040", "#00ff00"),
}


def theme_name(palette: str, convention: str) -> str:
    return f"{palette}-{convention}"


def build_themes() -> list[Theme]:
    themes = []
    for palette in PALETTES:
        red, green = _UP_DOWN[palette]
        for convention in CONVENTIONS:
            up, down = (red, green) if convention == "red-up" else (green, red)
            themes.append(Theme(
                name=theme_name(palette, convention),
                **_BASE[palette],
                variables={
                    "price-up": up,
                    "price-down": down,
                    "price-flat": _BASE[palette]["foreground"],
                    "real-badge": "#ff2d55",
                    "sim-badge": "#3d8bfd",
                    "big-trade": _BASE[palette]["accent"],
                },
            ))
    return themes
