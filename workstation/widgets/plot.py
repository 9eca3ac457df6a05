"""A PlotextPlot that builds its figure once per change, not once per repaint."""

from __future__ import annotations

from plotext import _utility
from textual_plotext import PlotextPlot


def _stable_plotext() -> None:
    """plotext de-duplicates ticks through a set(), so label order (and which overlapping
    label wins) changes with Python's hash seed from run to run. Keep first-seen order."""
    _utility.no_duplicates = lambda data: list(dict.fromkeys(data))


_stable_plotext()


class CachedPlot(PlotextPlot):
    """`PlotextPlot.render` rebuilds the whole figure (~20-40 ms) every time Textual asks,
    which is on every layout pass and every repaint of its region. Call `replot()` after
    drawing; the built figure is kept until the data, the size or the theme changes."""

    _generation = 0
    _built = None  # (key, renderable)

    def replot(self) -> None:
        self._generation += 1
        self.refresh()

    def render(self):
        key = (self._generation, self.size, self.app.theme)
        if self._built is None or self._built[0] != key:
            self._built = (key, super().render())
        return self._built[1]
