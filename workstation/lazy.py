"""Heavy modules imported on first use, not at start-up.

pandas and numpy (the chart's indicators and canvas) take ~0.25 s to import; the app's
first frame and first price do not need them, so the chart's first drawing imports them.
"""

from __future__ import annotations

import importlib
from types import ModuleType


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

