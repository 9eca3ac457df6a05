"""`d`: the quote detail of the focused code, with its short-interest history.

The figures come from OpenD's snapshot (polled every few seconds while the screen is open)
and move at once with the pushed quote: price fields are taken from the push, and the
figures that follow from them (amplitude, VWAP, turnover rate, market cap, P/E, the 52-week
range) are recomputed from it. The short-interest history loads a page at a time, older
pages with `n` or by moving or scrolling past the last row.
"""

from __future__ import annotations

import asyncio
import io
import math

from rich.console import Console
from rich.table import Table
from rich.text import Text
from textual import work
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from workstation.detail_reads import SHORT_MARKETS, DetailReads, ShortRow, SnapshotView, Unavailable
from workstation.store import Quote, Store
from workstation.widgets.common import direction_style, fmt_big, fmt_pct, fmt_price, price_digits, price_styles
from workstation.widgets.plot import CachedPlot

SNAPSHOT_EVERY = 5.0  # s between snapshot polls while open (6 of OpenD's 60 per 30 s)
LIVE_HZ = 4  # pushed quote checked this often
# (heading, width): fixed widths, so a row added later never finds its column too narrow
US_COLUMNS = (("Date", 10), ("Shares short", 12), ("Short %", 8), ("Avg daily vol", 13), ("Days to cover", 13),
              ("Close", 11), ("Chg %", 8))
HK_COLUMNS = (("Date", 10), ("Short shares", 12), ("Short %", 8), ("Short value", 11), ("Close", 11), ("Chg %", 8))
NAN = math.nan


def _ok(*xs: float) -> bool:
    return all(not math.isnan(x) for x in xs)


def _ratio(now: float, then: float) -> float:
    """now / then, or NaN when it means nothing."""
    return now / then if _ok(now, then) and then > 0 and now >= 0 else NAN


def merged(snap: SnapshotView | None, q: Quote | None) -> dict[str, float]:
    """The detail's figures: the snapshot's, moved on by the pushed quote where it has one.
    Ratios and values that follow from price or volume are scaled by how far these moved
    since the snapshot, so the snapshot's own definitions (float or issued shares) stay."""
    s = snap
    f = dict.fromkeys(("last", "open", "high", "low", "prev_close", "volume", "turnover", "amplitude", "vwap",
                       "turnover_rate", "high52", "low52", "market_cap", "pe", "pe_ttm"), NAN)
    if s is not None:
        f.update(last=s.price, open=s.open, high=s.high, low=s.low, prev_close=s.prev_close, volume=s.volume,
                 turnover=s.turnover, amplitude=s.amplitude, vwap=s.avg_price, turnover_rate=s.turnover_rate,
                 high52=s.high52, low52=s.low52, market_cap=s.market_cap, pe=s.pe, pe_ttm=s.pe_ttm)
    if q is not None and _ok(q.last):
        f.update(last=q.last, volume=float(q.volume), turnover=q.turnover)
        for k in ("open", "high", "low", "prev_close"):
            if _ok(getattr(q, k)):
                f[k] = getattr(q, k)
        if q.volume > 0 and q.turnover > 0:
            f["vwap"] = q.turnover / q.volume
        if _ok(f["high"], f["low"], f["prev_close"]) and f["prev_close"] > 0 and f["high"] >= f["low"]:
            f["amplitude"] = (f["high"] - f["low"]) / f["prev_close"] * 100
        if s is not None:
            moved = _ratio(q.last, s.price)
            f.update(market_cap=s.market_cap * moved, pe=s.pe * moved, pe_ttm=s.pe_ttm * moved)
            f["turnover_rate"] = s.turnover_rate * _ratio(float(q.volume), s.volume) if s.volume else s.turnover_rate
            if _ok(s.high52, q.high):
                f["high52"] = max(s.high52, q.high)
            if _ok(s.low52, q.low) and q.low > 0:
                f["low52"] = min(s.low52, q.low)
    return f


def _pct(x: float) -> str:
    return "-" if math.isnan(x) else f"{x:,.2f}%"


def _plain(x: float, digits: int = 2) -> str:
    return "-" if math.isnan(x) else f"{x:,.{digits}f}"


class QuoteDetail(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,q,d", "dismiss", "Close", id="detail.close"),
        Binding("n", "older", "Older short interest", id="detail.older"),
    ]
    DEFAULT_CSS = """
    QuoteDetail { align: center middle; }
    QuoteDetail > #detail { width: 100%; max-width: 132; height: 100%; max-height: 52; border: round $primary;
                            background: $surface; padding: 0 1; }
    QuoteDetail #detail-fields { height: auto; }
    QuoteDetail #short-head { height: 1; margin-top: 1; }
    QuoteDetail #short-plot { height: 1fr; min-height: 5; max-height: 14; }
    QuoteDetail #short-table { height: 1fr; min-height: 3; }
    """

    def __init__(self, code: str, store: Store, reads: DetailReads) -> None:
        super().__init__()
        self.code = code
        self.store = store
        self.reads = reads
        self.market = code.partition(".")[0]
        self.snap: SnapshotView | None = None
        self.snap_problem = ""  # why there is no snapshot (yet)
        self.rows: list[ShortRow] = []  # newest first
        self.pages = 0
        self.next_key: str | None = None
        self.short_state = "loading short interest…"  # what the short section says beside its rows
        self.busy = False  # a short-interest page is on its way
        self._seen_seq = -1  # the pushed quote's update count last drawn
        self._pairs = 0  # figure pairs a row last drawn
        self.fields = Static(id="detail-fields")
        self.head = Static(id="short-head")
        self.plot = CachedPlot(id="short-plot")
        self.table: DataTable = DataTable(id="short-table", cursor_type="row", zebra_stripes=False)

    def compose(self):
        with Vertical(id="detail") as box:
            self.box = box
            name = self.store.names.get(self.code, "")
            box.border_title = Text(f"{self.code} {name}".strip() + " · quote detail")  # wire text: never markup
            box.border_subtitle = "Esc close · n older short interest"
            yield self.fields
            yield self.head
            yield self.plot
            yield self.table

    def on_mount(self) -> None:
        columns = US_COLUMNS if self.market == "US" else HK_COLUMNS
        for i, (label, width) in enumerate(columns):
            self.table.add_column(Text(label, justify="left" if i == 0 else "right"), width=width, key=label)
        self.redraw()
        self.draw_short()
        self.set_interval(1 / LIVE_HZ, self.follow_quote, name="detail follows the pushed quote")
        self.poll_snapshots()
        if self.market in SHORT_MARKETS:
            self.load_older()
        else:
            self.short_state = f"OpenD serves short interest for HK and US stocks and funds, not {self.market}"
            self.draw_short()
        self.watch(self.table, "scroll_y", self._scrolled, init=False)
        self.table.focus()

    # -- figures ------------------------------------------------------------------------

    @work(group="detail-snapshot", exclusive=True, exit_on_error=False, description="poll the snapshot")
    async def poll_snapshots(self) -> None:
        while True:
            try:
                snap = await self.reads.snapshot(self.code, wait=self.snap is None)
                if snap is not None:
                    self.snap, self.snap_problem = snap, ""
                    if snap.name and not self.store.names.get(self.code):
                        self.box.border_title = Text(f"{self.code} {snap.name} · quote detail")
            except Unavailable as exc:
                self.snap_problem = str(exc)
            self.redraw()
            await asyncio.sleep(SNAPSHOT_EVERY)

    def follow_quote(self) -> None:
        q = self.store.quotes.get(self.code)
        if q is not None and q.seq != self._seen_seq:
            self._seen_seq = q.seq
            self.redraw()

    def figures(self) -> dict[str, float]:
        return merged(self.snap, self.store.quotes.get(self.code))

    def redraw(self) -> None:
        f = self.figures()
        digits = price_digits(self.code)
        styles = price_styles(self.app)
        base = f["prev_close"]

        def price(key: str) -> Text:
            return Text(fmt_price(f[key], digits), style=direction_style(f[key], base, styles))

        last = f["last"]
        change = last - base if _ok(last, base) else NAN
        pct = change / base * 100 if _ok(change) and base else NAN
        lot = (self.snap.lot_size if self.snap else 0) or (self.store.quotes[self.code].lot_size
                                                          if self.code in self.store.quotes else 0)
        cells = [
            ("Open", price("open")), ("High", price("high")), ("Low", price("low")),
            ("Prev close", Text(fmt_price(base, digits))), ("Amplitude", Text(_pct(f["amplitude"]))),
            ("VWAP", price("vwap")), ("Volume", Text(fmt_big(f["volume"]))),
            ("Turnover", Text(fmt_big(f["turnover"]))), ("Turnover rate", Text(_pct(f["turnover_rate"]))),
            ("52w high", Text(fmt_price(f["high52"], digits))), ("52w low", Text(fmt_price(f["low52"], digits))),
            ("Lot size", Text(f"{lot:,}" if lot else "-")), ("Market cap", Text(fmt_big(f["market_cap"]))),
            ("P/E", Text(_plain(f["pe"]))), ("P/E TTM", Text(_plain(f["pe_ttm"]))),
        ]
        pairs = 3 if self.fields.size.width >= 72 or not self.fields.size.width else 2
        grid = Table.grid(padding=(0, 1))
        for _ in range(pairs):
            grid.add_column(style="bold", no_wrap=True)
            grid.add_column(justify="right", no_wrap=True, min_width=9)
        sign = "-" if math.isnan(change) else f"{change:+,.{digits}f}"
        head = Text.assemble(("Last ", "bold"), (fmt_price(last, digits), direction_style(last, base, styles)),
                             "  ", (f"{sign}  {fmt_pct(pct)}", direction_style(last, base, styles)))
        when = self.snap.update_time if self.snap else ""
        note = self.snap_problem or (f"snapshot {when}" if when else "waiting for the snapshot…")
        grid_head = Table.grid(expand=True)
        grid_head.add_column(no_wrap=True)
        grid_head.add_column(justify="right", overflow="ellipsis", no_wrap=True)
        grid_head.add_row(head, Text(note, style="dim"))
        for i in range(0, len(cells), pairs):
            row: list[Text] = []
            for n, (label, value) in enumerate(cells[i:i + pairs]):
                row += [Text(("  " if n else "") + label), value]  # two spaces between pairs
            grid.add_row(*row)
        outer = Table.grid(expand=True)
        outer.add_row(grid_head)
        outer.add_row(grid)
        # the number of lines changes only with the width: a tick repaints, no layout pass
        self.fields.update(outer, layout=pairs != self._pairs)
        self._pairs = pairs

    def on_resize(self) -> None:
        self.redraw()

    # -- short interest -----------------------------------------------------------------

    def _scrolled(self, y: float) -> None:
        if y >= self.table.max_scroll_y > 0:
            self.action_older()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.cursor_row >= self.table.row_count - 1 and self.pages:
            self.action_older()

    def action_older(self) -> None:
        """The next older page; or the first again, if OpenD refused it or the link was down."""
        if self.busy or self.market not in SHORT_MARKETS:
            return
        if self.next_key is not None or not self.pages:
            self.load_older()

    @work(group="detail-short", exclusive=True, exit_on_error=False, description="load a page of short interest")
    async def load_older(self) -> None:
        self.busy = True
        key = self.next_key
        self.short_state = "loading older records…" if self.pages else "loading short interest…"
        self.draw_short(rows=False)

        def waiting(wait: float) -> None:
            self.short_state = f"waiting {wait:.0f} s for OpenD's rate limit…"
            self.draw_short(rows=False)

        try:
            page = await self.reads.short_interest(self.code, key, waiting=waiting)
        except Unavailable as exc:
            self.short_state = str(exc)
            self.draw_short(rows=False)
            return
        finally:
            self.busy = False
        have = {r.day for r in self.rows}
        fresh = [r for r in page.rows if r.day not in have]  # a repeated record is shown once
        self.rows.extend(fresh)
        self.pages += 1
        # a page that adds nothing ends the paging: OpenD is repeating itself
        self.next_key = page.next_key if fresh else None
        self.short_state = ""
        self._add_rows(fresh)
        self.draw_short()

    def _add_rows(self, rows: list[ShortRow]) -> None:
        digits = price_digits(self.code)
        for r in rows:
            chg = (r.close / r.last_close - 1) * 100 if _ok(r.close, r.last_close) and r.last_close > 0 else NAN
            if self.market == "US":
                cells = (fmt_big(r.short), _pct(r.ratio), fmt_big(r.avg_volume), _plain(r.days_to_cover),
                         fmt_price(r.close, digits), fmt_pct(chg))
            else:
                value = r.short * r.close if _ok(r.short, r.close) else NAN
                cells = (fmt_big(r.short), _pct(r.ratio), fmt_big(value), fmt_price(r.close, digits), fmt_pct(chg))
            self.table.add_row(Text(r.day), *(Text(c, justify="right") for c in cells), key=r.day)

    def draw_short(self, rows: bool = True) -> None:
        what = "US short interest" if self.market == "US" else "HK short positions"
        if self.rows:
            more = "n: older" if self.next_key else "oldest record reached"
            count = f"{len(self.rows)} records, {self.rows[-1].day} to {self.rows[0].day} · {more}"
        else:
            count = ""
        tail = self.short_state or count
        self.head.update(Text.assemble((what, "bold"), "  ", (tail, "dim"), no_wrap=True, overflow="ellipsis"))
        if not rows:
            return
        plt = self.plot.plt
        plt.clear_figure()
        points = [(r.day, r.ratio) for r in reversed(self.rows) if _ok(r.ratio)]
        if len(points) >= 2:
            x = list(range(len(points)))
            plt.plot(x, [p for _, p in points], marker="braille", color="cyan")
            step = max(1, len(points) // 4)
            plt.xticks(x[::step], [d for d, _ in points[::step]])
            plt.title("short % by date")
        else:
            plt.title("short %: not enough records to draw" if self.rows else "")
        self.plot.replot()

    def text(self) -> str:
        """The figures and the short-interest heading as the screen shows them (tests read it)."""
        console = Console(width=max(40, self.fields.size.width), record=True, file=io.StringIO())
        console.print(self.fields.content)
        console.print(self.head.content)
        return console.export_text()
