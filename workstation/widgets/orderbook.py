"""Order book: 10 levels a side with size bars and order counts, the spread, HK broker queue."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from workstation.sessions import limit_state
from workstation.store import Store
from workstation.widgets.common import fmt_big, fmt_price, price_digits, price_styles, set_titles
from workstation.widgets.panel import FocusedPanel

LEVELS = 10
BAR_WIDTH = 12


class OrderBookPanel(FocusedPanel):
    """Asks above (best at the bottom), bids below (best at the top), spread between."""

    DEFAULT_CSS = "OrderBookPanel { height: 1fr; }"
    key, title, cell = "book", "Book", (0, 2)
    watches = ("books",)

    store: Store

    def updated_at(self) -> float | None:
        return self.store.book_at.get(self.code) if self.code else None

    def redraw(self) -> None:
        self.flushes += 1
        code = self.code
        q = self.store.quotes.get(code) if code else None
        mark = ""
        if q is not None:
            limit = limit_state(q.code, q.name, q.last, q.prev_close)
            mark = " HALTED" if q.halted else " LIMIT UP" if limit > 0 else " LIMIT DOWN" if limit < 0 else ""
        set_titles(self, title=f"Book {code}{mark}" if code else "Book")
        book = self.store.books.get(code) if code else None
        if q is not None and q.halted and not (book and (book.bids or book.asks)):
            self.update(Text(f"{code} is halted: trading suspended", style="bold"), layout=False)
            return
        if book is None:
            self.update(Text("waiting for the order book…", style="dim"), layout=False)
            return
        up, down, _ = price_styles(self.app)
        biggest = max([lv.volume for lv in book.bids[:LEVELS] + book.asks[:LEVELS]] or [1]) or 1
        d = price_digits(code)
        bar_width = max(2, min(BAR_WIDTH, self.size.width - 30))
        table = Table.grid(expand=True, padding=(0, 1))
        table.add_column(width=3, style="dim", no_wrap=True)
        table.add_column(justify="right", min_width=7, no_wrap=True)
        table.add_column(justify="right", min_width=6, no_wrap=True)
        table.add_column(justify="right", width=3, style="dim", no_wrap=True)
        table.add_column(width=bar_width, no_wrap=True)
        for i, lv in reversed(list(enumerate(book.asks[:LEVELS]))):
            table.add_row(f"A{i + 1}", Text(fmt_price(lv.price, d), style=down), fmt_big(lv.volume), str(lv.orders),
                          Text("█" * max(1, round(bar_width * lv.volume / biggest)), style=down))
        if book.bids and book.asks:
            spread = book.asks[0].price - book.bids[0].price
            mid = (book.asks[0].price + book.bids[0].price) / 2
            bps = spread / mid * 10_000 if mid else 0
            table.add_row(Text("spr", style="dim"), Text(fmt_price(spread, d), style="bold"), Text(f"{bps:.1f}bp", style="dim"), "", "")
        for i, lv in enumerate(book.bids[:LEVELS]):
            table.add_row(f"B{i + 1}", Text(fmt_price(lv.price, d), style=up), fmt_big(lv.volume), str(lv.orders),
                          Text("█" * max(1, round(bar_width * lv.volume / biggest)), style=up))
        parts = [table]
        brokers = self.store.brokers.get(code)
        if brokers is not None and (brokers.bids or brokers.asks):
            queue = Table.grid(expand=True, padding=(0, 1))
            queue.add_column(ratio=1, no_wrap=True)
            queue.add_column(ratio=1, no_wrap=True)
            queue.add_row(Text("Bid brokers", style=f"bold {up}"), Text("Ask brokers", style=f"bold {down}"))
            for b, a in zip(_pad(brokers.bids), _pad(brokers.asks)):
                queue.add_row(_broker(b), _broker(a))
            parts.append(queue)
        self.update(Group(*parts), layout=False)


def _pad(rows, n: int = 5):
    rows = list(rows[:n])
    return rows + [None] * (n - len(rows))


def _broker(row) -> Text:
    if row is None:
        return Text("")
    broker_id, name, pos = row
    return Text(f"{pos} {broker_id} {name}")
