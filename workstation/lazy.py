"""Heavy modules imported on first use, not at start-up.

pandas and numpy (the chart's indicators and canvas) take ~0.25 s to import; the app's
first frame and first price do not need them. `warm()` imports them on a thread once the
app is up, so the first chart rarely waits for them (and never imports them twice).
"""

from __future__ import annotations

import importlib
from types import ModuleType

HEAVY = ("numpy", "pandas")


class LazyModule:
    """Stands for a module; the first attribute read imports it."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._module: ModuleType | None = None

    def __getattr__(self, attr: str):
        module = self._module
        if module is None:
            module = self._module = importlib.import_module(self._name)
        return getattr(module, attr)


def warm() -> None:
    """Import the heavy modules (run on a thread: the import lock makes a first use that
    comes meanwhile wait for this one)."""
    for name in HEAVY:
        importlib.import_module(name)
