"""A small character canvas for the chart: candles and bars in (half-)block characters, lines
in braille dots, one colour per cell, rendered straight to Rich lines.

Plotext builds a 200x60 chart with indicator panes in hundreds of milliseconds; this draws
only what the chart needs, one column per bar, in a few. Values must be finite (the store
guarantees it; NaN points of an indicator are skipped here).
"""

from __future__ import annotations

import math

from rich.text import Span, Text

from workstation.lazy import LazyModule

np = LazyModule("numpy")

# braille dot bits by (sub-column, sub-row)
_DOTS = ((0x01, 0x02, 0x04, 0x40), (0x08, 0x10, 0x20, 0x80))
# _RUNS[sub-column][first][last]: the bits of sub-rows first..last of one cell
_RUNS = tuple(tuple(tuple(sum(d[a:b + 1]) for b in range(4)) for a in range(4)) for d in _DOTS)


class Canvas:
    """`width` columns x `rows` rows showing values from `lo` (bottom) to `hi` (top)."""

    def __init__(self, width: int, rows: int, lo: float, hi: float) -> None:
        if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
            mid = lo if math.isfinite(lo) else 0.0
            lo, hi = mid - 1, mid + 1
        self.width, self.rows, self.lo, self.hi = max(1, width), max(1, rows), lo, hi
        self.chars: list[list[str | None]] = [[None] * self.width for _ in range(self.rows)]
        self.masks = [[0] * self.width for _ in range(self.rows)]
        self.styles: list[list[str]] = [[""] * self.width for _ in range(self.rows)]

    def _sub(self, value: float, per_row: int) -> int:
        """Sub-row of a value, 0 at the top, `rows * per_row - 1` at the bottom."""
        n = self.rows * per_row
        y = round((self.hi - value) / (self.hi - self.lo) * (n - 1))
        return max(0, min(n - 1, y))

    def line(self, xs: list[float], values: list[float], style: str, slots: float | None = None) -> None:
        """A braille line through (x, value); x in columns, or in `slots` spread over the width.
        NaN values break the line."""
        scale = (2 * self.width - 1) / max(1.0, slots - 1) if slots else 2.0
        n = self.rows * 4 - 1
        v = np.asarray(values, dtype=float)
        ok = np.isfinite(v)
        sxs = np.rint(np.asarray(xs, dtype=float)[:len(v)] * scale).astype(int).tolist()
        with np.errstate(over="ignore", invalid="ignore"):  # far off the canvas: clipped to its edge
            sys_ = np.where(ok, np.clip(np.rint((self.hi - np.where(ok, v, 0)) * (n / (self.hi - self.lo))), 0, n), -1)
        width, rows = self.width, self.rows
        masks, styles, chars = self.masks, self.styles, self.chars

        def put(px: int, y0: int, y1: int) -> None:
            col = px >> 1
            if 0 <= col < width:
                run = _RUNS[px & 1]
                r0, r1 = y0 >> 2, min(y1 >> 2, rows - 1)
                for row in range(r0, r1 + 1):
                    masks[row][col] |= run[y0 & 3 if row == r0 else 0][y1 & 3 if row == r1 else 3]
                    if chars[row][col] is None:
                        styles[row][col] = style

        last_x = last_y = -1
        for sx, sy in zip(sxs, sys_.astype(int).tolist()):
            if sy < 0:
                last_x = -1
                continue
            if last_x < 0:
                put(sx, sy, sy)
            else:  # one sub-column at a time, each with the vertical run that joins it to the last
                span = max(1, sx - last_x)
                prev = last_y
                for step in range(1, span + 1):
                    y = last_y + ((sy - last_y) * step + span // 2) // span
                    put(last_x + step, min(prev, y), max(prev, y))
                    prev = y
            last_x, last_y = sx, sy

    def hline(self, value: float, style: str) -> None:
        """A faint dotted level (previous close, 30/70): a dot every other column, only where
        nothing else is drawn."""
        if not self.lo <= value <= self.hi:
            return
        sy = self._sub(value, 4)
        row, bit = sy >> 2, _DOTS[0][sy & 3]
        for col in range(0, self.width, 2):
            if not self.masks[row][col] and self.chars[row][col] is None:
                self.masks[row][col] = bit
                self.styles[row][col] = style

    def block(self, col: int, a: float, b: float, style: str, wick: tuple[float, float] | None = None) -> None:
        """A solid column from a to b in half-row steps (a candle body, a histogram bar), with
        an optional thin wick from wick[0] to wick[1]."""
        if not 0 <= col < self.width or not all(map(math.isfinite, (a, b, *(wick or ())))):
            return  # the store lets nothing non-finite through; a drawing never depends on it
        top, bottom = self._sub(max(a, b), 2), self._sub(min(a, b), 2)
        w_top, w_bottom = (self._sub(max(wick), 2), self._sub(min(wick), 2)) if wick else (top, bottom)
        for row in range(min(top, w_top) // 2, max(bottom, w_bottom) // 2 + 1):
            upper, lower = top <= 2 * row <= bottom, top <= 2 * row + 1 <= bottom
            if upper and lower:
                ch = "█"
            elif upper:
                ch = "▀"
            elif lower:
                ch = "▄"
            elif w_top <= 2 * row + 1 and 2 * row <= w_bottom:
                ch = "│"
            else:
                continue
            self.chars[row][col] = ch
            self.styles[row][col] = style

    def text(self, row: int, gutter: str = "") -> Text:
        chars, masks, styles = self.chars[row], self.masks[row], self.styles[row]
        out = [gutter]
        spans, start, current = [], len(gutter), None
        pos = len(gutter)
        for ch, mask, style in zip(chars, masks, styles):
            out.append(ch if ch is not None else chr(0x2800 + mask) if mask else " ")
            if style != current:
                if current:
                    spans.append(Span(start, pos, current))
                start, current = pos, style
            pos += 1
        if current:
            spans.append(Span(start, pos, current))
        return Text("".join(out), spans=spans)

    def lines(self, labels: dict[int, str] | None = None, gutter: int = 0) -> list[Text]:
        """Every row, with `labels` (row -> text) right-aligned in a gutter of that width."""
        labels = labels or {}
        out = []
        for r in range(self.rows):
            line = self.text(r, labels.get(r, "")[:gutter - 1].rjust(gutter - 1) + " " if gutter else "")
            if r in labels:
                line.stylize("dim", 0, gutter)
            out.append(line)
        return out

    def ticks(self, digits: int, fmt=None) -> dict[int, str]:
        """Labels for the top, middle and bottom rows: the value at each row's centre."""
        fmt = fmt or (lambda v: f"{v:,.{digits}f}")
        rows = {0, self.rows - 1} | ({self.rows // 2} if self.rows >= 5 else set())
        return {r: fmt(self.hi - (r + 0.5) / self.rows * (self.hi - self.lo)) for r in sorted(rows)}
