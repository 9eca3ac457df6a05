"""Capital flow: intraday cumulative net inflow by class, and today's in/out distribution."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.containers import Vertical
from textual.widgets import Static

from workstation.store import Store
from workstation.widgets.common import fmt_big, price_styles, set_titles
from workstation.widgets.panel import Follow, Panel
from workstation.widgets.plot import CachedPlot

CLASSES = (("super", "Super"), ("big", "Big"), ("mid", "Mid"), ("small", "Small"))  # 5 chars max
BAR = 14


class FlowPanel(Panel, Vertical):
    DEFAULT_CSS = """
    FlowPanel > CachedPlot { height: 1fr; }
    FlowPanel > #dist { height: auto; max-height: 7; }
    """
    key, title, cell = "flow", "Flow", (1, 1)
    watches = ("flows",)
    follows = Follow.SETTLED
    stale_after = 20.0  # polled every 6 s, not pushed

    def __init__(self, store: Store, **kwargs) -> None:
        super().__init__(**kwargs)
        self.store = store
        self.code: str | None = None
        self.flushes = 0
        self.plot = CachedPlot(id="flow-plot")
        self.dist = Static("", id="dist")
        self._dist_lines = 0  # rows the distribution table had when last shown

    def compose(self):
        yield self.plot
        yield self.dist

    def on_resize(self) -> None:
        self.plot.display = self.size.height >= 11  # a plot in 3 lines is noise: the table alone

    def show(self, code: str | None) -> None:
        self.code = code
        self.refresh_flow()

    @property
    def focus_target(self):
        return self.plot

    def redraw(self) -> None:
        self.refresh_flow()

    def updated_at(self) -> float | None:
        return self.store.flow_at.get(self.code) if self.code else None

    def refresh_flow(self) -> None:
        self.flushes += 1
        code = self.code
        set_titles(self, title=f"Capital flow {code}" if code else "Capital flow")
        flow = self.store.flows.get(code) if code else None
        plt = self.plot.plt
        plt.clear_figure()
        if flow is None or not flow.times:
            plt.title("waiting for capital flow…")
        else:
            n = len(flow.times)
            # Braille draws 2 points per cell: more points cost build time (~20 ms a rebuild
            # for a day of minutes) and show nothing. Keep every step-th and the last.
            step = max(1, -(-n // max(2, 2 * self.plot.size.width)))
            x = list(range(0, n, step))
            if x[-1] != n - 1:
                x.append(n - 1)
            plt.plot(x, [flow.total[i] for i in x], label="net", marker="braille", color="cyan")
            for series, label, colour in ((flow.super_, "super", "magenta"), (flow.big, "big", "yellow"),
                                          (flow.mid, "mid", "blue"), (flow.small, "small", "white")):
                if any(series):
                    plt.plot(x, [series[i] for i in x], label=label, marker="braille", color=colour)
            x = list(range(n))
            step = max(1, len(x) // 4)
            plt.xticks(x[::step], [t[11:16] if len(t) > 11 else t for t in flow.times[::step]])
            lo = min(min(flow.total), *(min(s) for s in (flow.super_, flow.big, flow.mid, flow.small) if s))
            hi = max(max(flow.total), *(max(s) for s in (flow.super_, flow.big, flow.mid, flow.small) if s))
            ticks = [lo + (hi - lo) * i / 4 for i in range(5)]
            plt.yticks(ticks, [fmt_big(t) for t in ticks])
            plt.title(f"net inflow {fmt_big(flow.total[-1])}")
        self.plot.replot()
        table = self._dist_table()
        lines = 0 if isinstance(table, Text) else table.row_count
        # A new layout only when its height changes (once data arrives): a layout pass repaints everything.
        self.dist.update(table, layout=lines != self._dist_lines)
        self._dist_lines = lines

    def _dist_table(self):
        dist = self.store.dists.get(self.code) if self.code else None
        if dist is None:
            return Text("")
        up, down, _ = price_styles(self.app)
        biggest = max(list(dist.inflow.values()) + list(dist.outflow.values()) + [1.0])
        bar = max(2, min(BAR, (self.dist.size.width - 5 - 8 - 8 - 8) // 2))
        table = Table.grid(expand=True, padding=(0, 1))
        table.add_column(width=5, no_wrap=True)
        table.add_column(justify="right", width=bar, no_wrap=True, overflow="crop")
        table.add_column(justify="right", width=7, no_wrap=True)
        table.add_column(justify="right", width=7, no_wrap=True)
        table.add_column(width=bar, no_wrap=True, overflow="crop")
        table.add_row("", Text("in", style=up), "", "", Text("out", style=down))
        for key, label in CLASSES:
            i, o = dist.inflow.get(key, 0.0), dist.outflow.get(key, 0.0)
            table.add_row(label, Text("█" * round(bar * i / biggest), style=up), fmt_big(i), fmt_big(o),
                          Text("█" * round(bar * o / biggest), style=down))
        return table
