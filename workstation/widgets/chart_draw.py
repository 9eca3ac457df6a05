"""Drawing the chart: candles with MA, Bollinger bands, volume and indicator panes, or the
time-share line with its average price and volume, as Rich lines.

No widget here: `draw_candles` and `draw_timeshare` take the data, a size and the colours and
return the lines to show, so the benchmark and the panel build exactly the same thing.
Everything is drawn on `Canvas` grids one column per bar (bar i sits in column i of every
pane), each cell in the colour of its bar or line.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from rich.text import Text

from protocol.hours import SESSIONS
from workstation import indicators as ind
from workstation.store import Bar
from workstation.timeshare import Minute
from workstation.widgets.canvas import Canvas
from workstation.widgets.common import fmt_big, fmt_price

GUTTER = 9  # columns left of the plots: price labels, pane names
MAS = ((5, "#e5c07b"), (10, "#c678dd"), (20, "#56b6c2"))
BOLL_COLOUR, AVG_COLOUR, PRICE_COLOUR = "#98c379", "#e5c07b", "#61afef"
PANE_LINES = {"MACD": (("DIF", "#e5c07b"), ("DEA", "#c678dd")), "RSI": (("RSI", "#e5c07b"),),
              "KDJ": (("K", "#e5c07b"), ("D", "#c678dd"), ("J", "#56b6c2"))}
EIGHTHS = " ▁▂▃▄▅▆▇█"
VOLUME_ROWS, PANE_ROWS, MIN_PRICE_ROWS = 3, 4, 6


@dataclass
class Look:
    """Colours and formats of one drawing (from the theme and the code)."""

    up: str = "#ff5c5c"
    down: str = "#28c76f"
    digits: int = 2
    daily: bool = True  # bar times shown as dates, else as month-day hour:minute


def _num(x: float, digits: int = 2) -> str:
    return "-" if x is None or not math.isfinite(x) else f"{x:,.{digits}f}"


def _label(x: float, digits: int) -> str:
    """A y-axis label that fits the gutter."""
    text = f"{x:,.{digits}f}"
    return text if len(text) < GUTTER else fmt_big(x)


def _wrap(parts: list[Text], width: int) -> list[Text]:
    """Parts packed into lines no wider than `width`, one space apart (a part is never split)."""
    lines: list[Text] = []
    for part in parts:
        if lines and lines[-1].cell_len + 1 + part.cell_len <= width:
            lines[-1].append(" ").append_text(part)
        else:
            lines.append(part.copy())
    return lines or [Text()]


def _finite(*series) -> list[float]:
    return [v for s in series for v in s if math.isfinite(v)]


def _volume_rows(volumes: list[float], colours: list[str], rows: int, focus: int | None) -> list[Text]:
    """Volume as bars of eighth blocks, each in its candle's colour; the focus column marked."""
    top = max(volumes, default=0) or 1
    out = []
    for r in range(rows - 1, -1, -1):
        line = Text((fmt_big(top) if r == rows - 1 else "").rjust(GUTTER - 1)[:GUTTER - 1] + " ", style="dim")
        for i, (v, colour) in enumerate(zip(volumes, colours)):
            level = round(v / top * rows * 8) - r * 8
            cell = EIGHTHS[max(0, min(8, level))]
            style = colour + (" on grey23" if i == focus else "")
            line.append(cell, style)
        out.append(line)
    return out


def _axis(labels: list[tuple[int, str]], width: int, focus: int | None) -> Text:
    """The date row: a few labels at their columns and a caret under the focus bar."""
    cells = [" "] * width
    for col, text in labels:
        col = max(0, min(width - len(text), col))
        if all(c == " " for c in cells[max(0, col - 1):col + len(text) + 1]):
            cells[col:col + len(text)] = text
    line = Text(" " * GUTTER + "".join(cells), style="dim")
    if focus is not None and 0 <= focus < width:
        line.stylize("reverse", GUTTER + focus, GUTTER + focus + 1)
    return line


def volume_rows(height: int) -> int:
    return VOLUME_ROWS if height >= 20 else 2 if height >= 12 else 1


def _fit(n_rows: int, lower: list[str], vol: int) -> tuple[int, list[str]]:
    """Price rows and the lower panes that fit under them (with `vol` volume rows and the axis)."""
    panes = list(lower)
    while panes and n_rows - vol - 1 - len(panes) * (PANE_ROWS + 1) < MIN_PRICE_ROWS:
        panes.pop()
    return max(3, n_rows - vol - 1 - len(panes) * (PANE_ROWS + 1)), panes


def draw_candles(bars: list[Bar], back: int, width: int, height: int, indicators: tuple[str, ...],
                 look: Look) -> tuple[list[Text], list[Bar], str]:
    """(lines, bars shown, readout): candles using every column, the bar `back` from the newest
    in focus and described in the readout (OHLC, volume, change from the bar before)."""
    room = max(5, width - GUTTER)
    end = max(1, len(bars) - back)
    start = max(0, end - room)
    shown = bars[start:end]
    n = len(shown)
    # Averages need the bars before the first shown; indicators settle over ~100 bars.
    lead = max(0, start - 120)
    closes = [b.close for b in bars[lead:end]]
    skip = start - lead
    focus = shown[-1]
    prev = bars[end - 2].close if end >= 2 else focus.open
    change = focus.close - prev
    colour = look.up if change > 0 else look.down if change < 0 else ""
    d = look.digits
    stamp = focus.time[:10] if look.daily else focus.time[5:16]
    pct = change / prev * 100 if prev else 0.0
    head = [Text(stamp, style="bold")]
    for name, value in (("O", focus.open), ("H", focus.high), ("L", focus.low), ("C", focus.close)):
        head.append(Text.assemble((name + " ", "dim"), (fmt_price(value, d), colour)))
    head.append(Text.assemble(("V ", "dim"), fmt_big(focus.volume)))
    head.append(Text(f"{change:+,.{d}f} ({pct:+.2f}%)", style=colour))
    legend = []
    mas = {n_: ind.sma(closes, n_)[skip:] for n_, _ in MAS}
    for n_, c in MAS:
        legend.append(Text(f"MA{n_} {_num(mas[n_][-1], d)}", style=c))
    boll = ind.boll(closes)
    boll = tuple(s[skip:] for s in boll) if "BOLL" in indicators else None
    if boll:
        legend.append(Text(f"BOLL {_num(boll[0][-1], d)} {_num(boll[1][-1], d)} {_num(boll[2][-1], d)}",
                           style=BOLL_COLOUR))
    header = _wrap(head + legend, width)  # the readout, then the legend, as few lines as the width allows
    lower = [k for k in ind.LOWER if k in indicators]
    vol = volume_rows(height)
    price_rows, panes = _fit(height - len(header), lower, vol)
    lines = list(header)

    xs = list(range(n))
    lo, hi = min(b.low for b in shown), max(b.high for b in shown)
    if boll:
        lo, hi = min([lo, *_finite(boll[2])]), max([hi, *_finite(boll[1])])
    pad = (hi - lo) * 0.02
    cv = Canvas(room, price_rows, lo - pad, hi + pad)
    if boll:
        for series in boll:
            cv.line(xs, series, BOLL_COLOUR)
    for n_, c in MAS:  # lines first: the candles are drawn over them
        cv.line(xs, mas[n_], c)
    for x, b in enumerate(shown):
        cv.block(x, b.open, b.close, look.up if b.close >= b.open else look.down, (b.low, b.high))
    lines += cv.lines({r: _label(v, d) for r, v in _tick_values(cv).items()}, GUTTER)
    colours = [look.up if b.close >= b.open else look.down for b in shown]
    lines += _volume_rows([b.volume for b in shown], colours, vol, n - 1 if back else None)
    step = max(12, n // 3)
    lines.append(_axis([(i, (b.time[:10] if look.daily else b.time[5:16])) for i, b in list(enumerate(shown))[::step]],
                       room, n - 1))
    for name in panes:
        lines += _pane(name, bars[lead:end], skip, room, look)
    return lines, shown, " ".join(part.plain for part in head)


def _tick_values(cv: Canvas) -> dict[int, float]:
    rows = {0, cv.rows - 1} | ({cv.rows // 2} if cv.rows >= 5 else set())
    return {r: cv.hi - (r + 0.5) / cv.rows * (cv.hi - cv.lo) for r in rows}


def _pane(name: str, bars: list[Bar], skip: int, room: int, look: Look) -> list[Text]:
    closes = [b.close for b in bars]
    hist = None
    if name == "MACD":
        dif, dea, hist = (s[skip:] for s in ind.macd(closes))
        series, title = (dif, dea), "MACD 12,26,9"
    elif name == "RSI":
        series, title = (ind.rsi(closes)[skip:],), "RSI 14"
    else:
        series, title = tuple(s[skip:] for s in ind.kdj([b.high for b in bars], [b.low for b in bars], closes)), "KDJ 9,3,3"
    legend = Text(title + " ", style="bold")
    for (label, colour), s in zip(PANE_LINES[name], series):
        legend.append(f"{label} {_num(s[-1])} ", style=colour)
    if hist is not None:
        legend.append(f"MACD {_num(hist[-1])}", style=look.up if hist[-1] >= 0 else look.down)
    values = _finite(*series, hist or [], [0.0] if hist else [])
    lo, hi = (min(values), max(values)) if values else (0.0, 1.0)
    if name == "RSI":
        lo, hi = 0.0, 100.0
    cv = Canvas(room, PANE_ROWS, lo, hi)
    xs = list(range(len(series[0])))
    if hist is not None:
        tiny = (cv.hi - cv.lo) / (PANE_ROWS * 4)  # under a quarter row: no bar, or the zero line turns solid
        for x, v in zip(xs, hist):
            if math.isfinite(v) and abs(v) >= tiny:
                cv.block(x, 0.0, v, look.up if v > 0 else look.down)
    for (_, colour), s in zip(PANE_LINES[name], series):
        cv.line(xs, s, colour)
    for level in {"RSI": (30, 70), "KDJ": (20, 80)}.get(name, ()):
        cv.hline(level, "grey42")
    return [legend, *cv.lines({r: _label(v, 0 if name != "MACD" else 2) for r, v in _tick_values(cv).items()}, GUTTER)]


def session_minutes(code: str) -> int:
    spans = SESSIONS.get(code.partition(".")[0], ((570, 960),))
    return sum(b - a for a, b in spans)


def draw_timeshare(days: list[list[Minute]], back: int, width: int, height: int, code: str,
                   look: Look) -> tuple[list[Text], list[Minute], str]:
    """(lines, minutes up to the focus one, readout): price and average lines and volume, one
    day or several side by side."""
    room = max(5, width - GUTTER)
    points = [m for day in days for m in day]
    per_day = max(session_minutes(code), max((len(day) for day in days), default=1))
    slots = per_day * max(1, len(days))
    d = look.digits
    last_close = next((m.last_close for m in reversed(days[-1]) if m.last_close > 0), math.nan) if days and days[-1] else math.nan
    if not points:
        return [Text("no time-share data yet", style="dim")], [], ""
    focus_i = max(0, len(points) - 1 - back)
    focus = points[focus_i]
    base = last_close if math.isfinite(last_close) else points[0].price
    change = focus.price - base
    colour = look.up if change > 0 else look.down if change < 0 else ""
    head = [Text(focus.time[5:16], style="bold"),
            Text.assemble(("Price ", "dim"), (fmt_price(focus.price, d), colour)),
            Text(f"Avg {fmt_price(focus.avg, d)}", style=AVG_COLOUR), Text.assemble(("V ", "dim"), fmt_big(focus.volume)),
            Text(f"{change:+,.{d}f} ({(change / base * 100 if base else 0):+.2f}%)", style=colour)]
    legend = [Text("Price", style=PRICE_COLOUR), Text("Avg", style=AVG_COLOUR)]
    if math.isfinite(last_close):
        legend.append(Text(f"Prev close {fmt_price(last_close, d)}", style="dim"))
    legend.append(Text(f"{len(days)} days" if len(days) > 1 else "today", style="dim"))
    header = _wrap(head + legend, width)  # the readout, then the legend, as few lines as the width allows
    # x of each point: its day's slot block, then its index within the day
    xs, col_of = [], []
    for k, day in enumerate(days):
        xs += [k * per_day + j for j in range(len(day))]
    for x in xs:
        col_of.append(min(room - 1, x * room // slots))
    vol = volume_rows(height)
    price_rows = max(3, height - len(header) - vol - 1)
    values = _finite([m.price for m in points], [m.avg for m in points], [base])
    lo, hi = min(values), max(values)
    pad = (hi - lo) * 0.02
    cv = Canvas(room, price_rows, lo - pad, hi + pad)
    start = 0
    for day in days:  # each day its own line: no stroke across the night
        seg = xs[start:start + len(day)]
        cv.line(seg, [m.avg for m in day], AVG_COLOUR, slots)
        cv.line(seg, [m.price for m in day], PRICE_COLOUR, slots)
        start += len(day)
    if math.isfinite(base):
        cv.hline(base, "grey42")
    for k in range(1, len(days)):
        col = k * per_day * room // slots
        for r in range(cv.rows):
            cv.chars[r][col], cv.styles[r][col] = "┊", "grey42"
    lines = [*header, *cv.lines({r: _label(v, d) for r, v in _tick_values(cv).items()}, GUTTER)]
    volumes, colours = [0.0] * room, [look.up] * room
    prev = base
    for m, col in zip(points, col_of):
        volumes[col] += m.volume
        colours[col] = look.up if m.price >= prev else look.down
        prev = m.price
    lines += _volume_rows(volumes, colours, vol, col_of[focus_i] if back else None)
    labels = [(k * per_day * room // slots, day[0].time[5:10] if len(days) > 1 else day[0].time[11:16])
              for k, day in enumerate(days) if day]
    if len(days) == 1:
        labels.append((col_of[-1] - 4, points[-1].time[11:16]))
    lines.append(_axis(labels, room, col_of[focus_i]))
    return lines, points[:focus_i + 1], " ".join(part.plain for part in head)
