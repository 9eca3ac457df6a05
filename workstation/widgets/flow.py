"""Capital flow: intraday cumulative net inflow by class, and today's in/out distribution.

Both are drawn as plain lines: the net-inflow lines in braille on the chart's `Canvas`, the
distribution as a row per class (in bar, in amount, out amount, out bar). Amounts are
always shown whole: the bars take the width that is left; labels shorten and amounts lose
decimals only when even that is not enough.
"""

from __future__ import annotations

import math

from rich.text import Text

from workstation.store import DistSnap, FlowSnap, Store
from workstation.widgets.canvas import Canvas
from workstation.widgets.common import LinePanel, fmt_big, price_styles, set_titles
from workstation.widgets.panel import Follow, Panel

CLASSES = (("super", "Super"), ("big", "Big"), ("mid", "Mid"), ("small", "Small"))
SHORT = {"Super": "Sup", "Big": "Big", "Mid": "Mid", "Small": "Sml"}  # labels when the width is tight
BAR_MAX = 24  # cells per bar at most
PLOT_MIN_HEIGHT = 11  # below this the panel shows the distribution alone: a plot in 3 lines is noise
# (series attribute, legend, colour); the net last, so it is drawn over the classes
SERIES = (("small", "Small", "grey50"), ("mid", "Mid", "blue"), ("big", "Big", "yellow"),
          ("super_", "Super", "magenta"), ("total", "Net", "cyan"))


def _bar(value: float, biggest: float, cells: int, leftward: bool) -> str:
    """A bar of `cells` cells in half-cell steps, growing left (inflow) or right (outflow)."""
    halves = round(2 * cells * value / biggest) if biggest > 0 and value > 0 else 0
    full, half = divmod(min(halves, 2 * cells), 2)
    if leftward:
        return (" " * (cells - full - half)) + ("▐" if half else "") + "█" * full
    return "█" * full + ("▌" if half else "") + " " * (cells - full - half)


def dist_lines(dist: DistSnap, width: int, up: str, down: str) -> list[Text]:
    """A header row and a row per class: label, in bar, in amount, out amount, out bar.

    Amounts are always whole: the bars take what is left (none when narrow); when the
    amounts do not fit even then, the labels shorten, then the amounts lose decimals."""
    ins = [dist.inflow.get(key, 0.0) for key, _ in CLASSES]
    outs = [dist.outflow.get(key, 0.0) for key, _ in CLASSES]
    for digits in (2, 1, 0):
        shown_in, shown_out = [fmt_big(x, digits) for x in ins], [fmt_big(x, digits) for x in outs]
        iw, ow = max(2, *map(len, shown_in)), max(3, *map(len, shown_out))
        label_w = next((w for w in (5, 3) if w + 1 + iw + 1 + ow <= width), 0)
        if label_w:
            break
    else:
        label_w = 3  # narrower than any panel gets: the lines are cropped at the edge
    room = width - (label_w + 1 + iw + 1 + ow)
    bar = min(BAR_MAX, max(0, (room - 2) // 2))  # each bar has a space between it and its amount
    slack = max(0, room - (2 * bar + 2 if bar else 0))
    biggest = max(ins + outs + [0.0])
    lead = label_w + 1 + slack + (bar + 1 if bar else 0)
    head = Text(" " * lead, no_wrap=True, overflow="crop")
    head.append("in".rjust(iw), style=up).append(" ").append("out".rjust(ow), style=down)
    lines = [head]
    for (_, label), i, o, si, so in zip(CLASSES, ins, outs, shown_in, shown_out):
        name = label if label_w >= 5 else SHORT[label]
        line = Text(name.ljust(label_w) + " " + " " * slack, no_wrap=True, overflow="crop")
        if bar:
            line.append(_bar(i, biggest, bar, leftward=True), style=up).append(" ")
        line.append(si.rjust(iw), style=up).append(" ").append(so.rjust(ow), style=down)
        if bar:
            line.append(" ").append(_bar(o, biggest, bar, leftward=False), style=down)
        lines.append(line)
    return lines


def _pack(parts: list[Text], width: int) -> Text:
    """As many parts as fit on one line, one space apart; a part is never cut."""
    out = Text(no_wrap=True, overflow="crop")
    for part in parts:
        gap = 1 if out.cell_len else 0
        if out.cell_len + gap + part.cell_len > width:
            break
        out.append(" " * gap).append_text(part)
    return out


def _axis(times: list[str], gutter: int, width: int) -> Text:
    """Times under the plot: the first, the middle and the last, where they fit."""
    cells = [" "] * width
    n = len(times)
    marks = [(0, 0), (n // 2, width // 2 - 2), (n - 1, width - 5)] if n > 1 else [(0, 0)]
    for i, col in marks:
        label = times[i][11:16] if len(times[i]) > 11 else times[i][:5]
        col = max(0, min(width - len(label), col))
        if all(c == " " for c in cells[max(0, col - 1):col + len(label) + 1]):
            cells[col:col + len(label)] = label
    return Text(" " * gutter + "".join(cells), style="dim", no_wrap=True, overflow="crop")


def flow_plot_lines(flow: FlowSnap, width: int, rows: int, up: str, down: str) -> list[Text]:
    """`rows` lines: the latest net inflow and the legend, the cumulative net inflow of each
    class and in total as braille lines over a dotted zero line, and the time axis."""
    net = flow.total[-1]
    head = Text.assemble(("Net", SERIES[-1][2]), " ", (fmt_big(net), up if net > 0 else down if net < 0 else ""))
    legend = [Text(label, style=colour) for attr, label, colour in reversed(SERIES[:-1]) if any(getattr(flow, attr))]
    lines = [_pack([head, *legend], width)]
    plot_rows = max(1, rows - 2)
    n = len(flow.times)
    series = [(getattr(flow, attr), colour) for attr, _, colour in SERIES if attr == "total" or any(getattr(flow, attr))]
    values = [v for s, _ in series for v in s if math.isfinite(v)] + [0.0]
    lo, hi = min(values), max(values)
    pad = (hi - lo) * 0.04
    probe = Canvas(1, plot_rows, lo - pad, hi + pad)
    labels = probe.ticks(0, fmt_big)
    zero = round(probe.hi / (probe.hi - probe.lo) * (4 * plot_rows - 1)) >> 2  # the dotted zero line's row
    labels[zero] = "0"
    gutter = max(map(len, labels.values())) + 1
    cv = Canvas(max(1, width - gutter), plot_rows, lo - pad, hi + pad)
    cv.hline(0.0, "grey42")
    # Two braille dots a cell: more points than that cost time and show nothing. Keep every
    # step-th and the last.
    step = max(1, -(-n // (2 * cv.width)))
    xs = list(range(0, n, step))
    if xs[-1] != n - 1:
        xs.append(n - 1)
    for values_, colour in series:
        cv.line(xs, [values_[i] for i in xs], colour, slots=n)
    lines += cv.lines(labels, gutter)
    lines.append(_axis(list(flow.times), gutter, cv.width))
    return lines


class FlowPanel(Panel, LinePanel):
    DEFAULT_CSS = "FlowPanel { height: 1fr; }"
    key, title, cell = "flow", "Flow", (1, 1)
    watches = ("flows",)
    follows = Follow.AT_ONCE  # plain lines: a redraw costs a millisecond or two
    stale_after = 20.0  # polled every 6 s, not pushed

    def __init__(self, store: Store, **kwargs) -> None:
        super().__init__(**kwargs)
        self.store = store
        self.code: str | None = None
        self.flushes = 0

    def on_resize(self) -> None:
        self.refresh_flow()  # the plot and the bars follow the size

    def redraw(self) -> None:
        self.refresh_flow()

    def updated_at(self) -> float | None:
        return self.store.flow_at.get(self.code) if self.code else None

    def refresh_flow(self) -> None:
        self.flushes += 1
        code = self.code
        set_titles(self, title=f"Capital flow {code}" if code else "Capital flow")
        width, height = self.size
        if not width or not self.is_attached:
            return
        up, down, _ = price_styles(self.app)
        flow = self.store.flows.get(code) if code else None
        dist = self.store.dists.get(code) if code else None
        lines = dist_lines(dist, width, up, down) if dist is not None else []
        has_flow = flow is not None and bool(flow.times)
        if has_flow and height >= PLOT_MIN_HEIGHT and height - len(lines) >= 5:
            lines = flow_plot_lines(flow, width, height - len(lines), up, down) + lines
        elif has_flow and lines and height > len(lines):  # no room for the plot: its latest figure
            net = flow.total[-1]
            lines.insert(0, Text.assemble(("Net inflow ", "bold"), (fmt_big(net), up if net > 0 else down if net < 0 else ""),
                                          no_wrap=True, overflow="crop"))
        elif not lines or (height >= PLOT_MIN_HEIGHT and not has_flow):
            lines.insert(0, Text("waiting for capital flow…", style="dim"))
        self.update(Text("\n", no_wrap=True, overflow="crop").join(lines), layout=False)
