"""Order book: 10 levels a side with size bars and order counts, the spread, HK broker queue."""

from __future__ import annotations

from rich.text import Text

from workstation.sessions import limit_state
from workstation.store import Store
from workstation.widgets.common import fit, fmt_big, fmt_price, price_digits, price_styles, set_titles
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
        self.update(book_text(book, self.store.brokers.get(code), price_digits(code), self.size.width, up, down),
                    layout=False)


def _cell(text: str, width: int, right: bool = False) -> str:
    """One cell, cut with an ellipsis or padded to exactly `width` terminal cells."""
    return fit(text, width, right)


def book_text(book, brokers, digits: int, width: int, up: str, down: str) -> Text:
    """The book as plain lines (a Rich table of the same took ~10x the time to render)."""
    asks, bids = book.asks[:LEVELS], book.bids[:LEVELS]
    biggest = max([lv.volume for lv in bids + asks] or [1]) or 1
    bar_width = max(2, min(BAR_WIDTH, width - 30))
    prices = [fmt_price(lv.price, digits) for lv in asks + bids]
    vols = [fmt_big(lv.volume) for lv in asks + bids]
    pw = max([7, *map(len, prices)])
    vw = max([6, *map(len, vols)])
    spare = max(0, width - (3 + pw + vw + 3 + bar_width + 4))
    pw, vw = pw + spare // 2, vw + spare - spare // 2  # the grid's spare width, shared by the numbers
    out = Text(no_wrap=True, overflow="crop")
    add = out.append  # plain strings, one style each: a Text per cell cost ~4 ms a redraw

    def level(label: str, lv, style: str) -> None:
        bar = "█" * max(1, round(bar_width * lv.volume / biggest))
        add(_cell(label, 3), "dim")
        add(" ")
        add(_cell(fmt_price(lv.price, digits), pw, right=True), style)
        add(" " + _cell(fmt_big(lv.volume), vw, right=True) + " ")
        add(_cell(str(lv.orders), 3, right=True), "dim")
        add(" ")
        add(_cell(bar, bar_width) + "\n", style)

    for i in reversed(range(len(asks))):
        level(f"A{i + 1}", asks[i], down)
    if bids and asks:
        spread = asks[0].price - bids[0].price
        mid = (asks[0].price + bids[0].price) / 2
        bps = spread / mid * 10_000 if mid else 0
        add(_cell("spr", 3), "dim")
        add(" ")
        add(_cell(fmt_price(spread, digits), pw, right=True), "bold")
        add(" ")
        add(_cell(f"{bps:.1f}bp", vw, right=True) + "\n", "dim")
    for i, lv in enumerate(bids):
        level(f"B{i + 1}", lv, up)
    if brokers is not None and (brokers.bids or brokers.asks):
        half = max(1, (width - 1) // 2)
        add(_cell("Bid brokers", half), f"bold {up}")
        add(" ")
        add(_cell("Ask brokers", half) + "\n", f"bold {down}")
        for b, a in zip(_pad(brokers.bids), _pad(brokers.asks)):
            add(_broker(b, half) + " " + _broker(a, half) + "\n")
    out.rstrip()
    return out


def _pad(rows, n: int = 5):
    rows = list(rows[:n])
    return rows + [None] * (n - len(rows))


def _broker(row, width: int) -> str:
    if row is None:
        return _cell("", width)
    broker_id, name, pos = row
    return _cell(f"{pos} {broker_id} {name}", width)
