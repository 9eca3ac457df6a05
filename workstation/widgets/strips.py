"""Rich Text lines to Textual Strips without Rich's general renderer.

A chart line is a few hundred cells in runs of one colour, spans that never overlap. Textual's
own path for a widget's `render()` Text takes ~10 ms for a 120x40 chart; cutting the line at
its spans takes well under one. Lines whose spans overlap take Rich's path.
"""

from __future__ import annotations

from functools import lru_cache

from rich.cells import cell_len
from rich.console import Console
from rich.segment import Segment
from rich.style import Style, StyleType
from rich.text import Text
from textual.strip import Strip


@lru_cache(maxsize=1024)
def _parse(spec: str) -> Style:
    return Style.parse(spec) if spec else Style.null()


def style_of(spec: StyleType) -> Style:
    return _parse(spec) if isinstance(spec, str) else spec


def text_strip(text: Text, base: Style, console: Console) -> Strip:
    """One line of `text` (no newlines) as a Strip, every segment on `base`."""
    plain = text.plain  # Text already took control codes out
    outer = base + style_of(text.style) if text.style else base
    segments: list[Segment] = []
    pos = 0
    for span in sorted(text.spans, key=lambda s: s.start):
        if span.start < pos:  # overlapping styles: Rich combines them
            segments = list(Segment.apply_style(text.render(console), base))
            return Strip(segments, cell_len(plain))
        if span.start > pos:
            segments.append(Segment(plain[pos:span.start], outer))
        if span.end > span.start:
            segments.append(Segment(plain[span.start:span.end], outer + style_of(span.style)))
        pos = max(pos, span.end)
    if pos < len(plain):
        segments.append(Segment(plain[pos:], outer))
    return Strip(segments, cell_len(plain))
