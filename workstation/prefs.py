"""What the trader chose on screen (theme, colours, chart period, indicators, layout),
remembered between runs in `prefs.json` beside the watchlist.

Unlike the config file, which the trader writes, this file is ours: a key is kept only if it
is declared in KEYS and its value passes that key's check; anything else (a hand edit, a
file from another version, a broken file) is dropped quietly and the default is used.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from workstation.config import data_dir, private_dir

log = logging.getLogger(__name__)


def _word(*allowed: str) -> Callable[[Any], bool]:
    return lambda v: isinstance(v, str) and (not allowed or v in allowed)


def _words(v: Any) -> bool:
    return isinstance(v, list) and len(v) <= 16 and all(isinstance(w, str) and 0 < len(w) <= 16 for w in v)


# key -> check of its value. Owners add their keys here; values are JSON-plain.
KEYS: dict[str, Callable[[Any], bool]] = {
    "theme": _word(),  # palette name; the app checks it against themes.PALETTES
    "colors": _word("red-up", "green-up"),
    "period": _word(),  # chart period, a key of protocol.codes.KL_SUBTYPES
    "chart_view": _word("kline", "timeshare", "timeshare5"),
    "indicators": _words,
    "layout": _word(),
    "watchlist_sort": _word(),
    "watchlist_group": _word(),
}


class Prefs:
    """A small JSON dict. `path=None` keeps it in memory only (tests, a read-only home)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self.values: dict[str, Any] = self._read()

    @classmethod
    def default(cls) -> Prefs:
        return cls(data_dir() / "prefs.json")

    def _read(self) -> dict[str, Any]:
        if self.path is None:
            return {}
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            log.warning("ignoring %s: %s", self.path, exc)
            return {}
        if not isinstance(raw, dict):
            return {}
        return {k: v for k, v in raw.items() if k in KEYS and KEYS[k](v)}

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)

    def set(self, key: str, value: Any) -> None:
        """Remember `value` (written at once; a failure to write is logged, never raised)."""
        if key not in KEYS or not KEYS[key](value):
            raise ValueError(f"not a preference: {key}={value!r}")
        if self.values.get(key) == value:
            return
        self.values[key] = value
        if self.path is None:
            return
        try:
            private_dir(self.path.parent)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(self.values, indent=1), encoding="utf-8")
            tmp.replace(self.path)  # atomic: a crash never leaves half a file
        except OSError as exc:
            log.warning("cannot save %s: %s", self.path, exc)
