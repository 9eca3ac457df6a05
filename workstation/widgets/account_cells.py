"""The account tables' columns (with the priority each keeps when the width runs short) and
their cells: what a row of the orders, fills and positions tabs and a line of funds reads."""

from __future__ import annotations

import math

from rich.text import Text

from protocol.trade import OrderStatus, OrderType, Side
from workstation.account_rows import VERIFYING, FillRow, Funds, OrderRow, PositionRow
from workstation.orders import split_remark
from workstation.sessions import local_hms, row_time
from workstation.widgets.common import fmt_big, fmt_price, price_digits

# (key, label, priority): 0 always shows; higher numbers drop first on narrow screens.
ORDER_COLS = (("time", "Time", 1), ("code", "Code", 0), ("side", "Side", 0), ("type", "Type", 1),
              ("qty", "Qty", 0), ("price", "Price", 0), ("trigger", "Trigger", 2), ("filled", "Filled", 1),
              ("status", "Status", 0), ("avg", "Avg fill", 3), ("id", "Order", 4), ("updated", "Updated", 5),
              ("name", "Name", 6), ("msg", "Message", 3), ("remark", "Remark", 7))
FILL_COLS = (("time", "Time", 0), ("code", "Code", 0), ("side", "Side", 0), ("qty", "Qty", 0),
             ("price", "Price", 0), ("order", "Order", 2), ("id", "Fill", 3), ("name", "Name", 4))
POS_COLS = (("code", "Code", 0), ("name", "Name", 5), ("qty", "Qty", 0), ("sell", "Can sell", 4),
            ("avg", "Avg cost", 1), ("last", "Last", 0), ("value", "Mkt value", 1), ("pl", "P&L", 0),
            ("plr", "P&L %", 1), ("today", "Today P&L", 2), ("ccy", "Ccy", 2),
            ("diluted", "Diluted cost", 6), ("dpl", "P&L diluted", 6))
FUNDS_COLS = (("item", "", 0),)  # then one column per currency, added as the account holds them

IDS = {"id", "order"}  # long: shown by their last digits (all of them where the width allows)
RIGHT = {"qty", "price", "trigger", "filled", "avg", "sell", "last", "value", "pl", "plr", "today", "diluted", "dpl"}
ID_WIDTH = 7  # "…" and the last 6 digits
MONEY_WIDTH = 16  # wider amounts (10^12 and up) read as 1.23T


def fmt_qty(x: float) -> str:
    if math.isnan(x):
        return "-"
    return f"{x:,.0f}" if x == int(x) else f"{x:,.4f}".rstrip("0")


def fmt_money(x: float) -> str:
    """Exact to the cent with thousands separators; K/M/B/T only past the column's width."""
    if math.isnan(x):
        return "-"
    text = f"{x:,.2f}"
    return text if len(text) <= MONEY_WIDTH else fmt_big(x)


def signed(x: float, text: str, styles: tuple[str, str, str]) -> Text:
    up, down, flat = styles
    return Text(text, style=up if x > 0 else down if x < 0 else flat)


def order_cells(o: OrderRow, created: float) -> tuple:
    digits = price_digits(o.code)
    try:
        kind = OrderType(o.order_type)
        priced, triggered = kind.needs_price, kind.needs_trigger
    except ValueError:  # a type this end does not know: show what OpenD sent
        priced, triggered = bool(o.price), not math.isnan(o.aux_price)
    price = fmt_price(o.price, digits) if priced else "MKT"
    trigger = fmt_price(o.aux_price, digits) if triggered and not math.isnan(o.aux_price) else "-"
    return (
        local_hms(created), o.code, Side.short_of(o.side), OrderType.short_of(o.order_type), fmt_qty(o.qty),
        price, trigger, fmt_qty(o.fill_qty),
        "UNKNOWN?" if o.status == VERIFYING else OrderStatus.short_of(o.status),
        fmt_price(o.fill_avg_price, digits) if o.fill_qty else "-", o.order_id,
        local_hms(row_time(o.update_timestamp, o.update_time, o.code)), Text(o.name), Text(o.last_error),
        Text(split_remark(o.remark)[0]),  # the trader's text: our client reference is not shown
    )


def fill_cells(f: FillRow, when: float) -> tuple:
    return (local_hms(when), f.code, Side.short_of(f.side), fmt_qty(f.qty), fmt_price(f.price, price_digits(f.code)),
            f.order_id, f.fill_id, Text(f.name))


def position_cells(p: PositionRow, styles: tuple[str, str, str]) -> tuple:
    digits = price_digits(p.code)
    pct = "-" if math.isnan(p.pl_ratio) else f"{p.pl_ratio * 100:+.2f}%"
    return (
        p.code, Text(p.name), fmt_qty(p.qty), fmt_qty(p.can_sell_qty), fmt_price(p.avg_cost, digits),
        fmt_price(p.price, digits), fmt_money(p.value), signed(p.pl_val, fmt_money(p.pl_val), styles),
        signed(p.pl_val, pct, styles), signed(p.today_pl, fmt_money(p.today_pl), styles), p.currency,
        fmt_price(p.diluted_cost, digits), signed(p.diluted_pl, fmt_money(p.diluted_pl), styles),
    )


def funds_currencies(f: Funds) -> list[str]:
    """The columns of the funds tab: the account's currency alone, or (holding several) its
    totals and then each currency held, the account's first."""
    mine = f.currency or "-"
    held = sorted(c for c in f.cash_by if c != mine)
    return [mine] if not held else ["Total " + mine, mine, *held]


def funds_lines(f: Funds, positions, styles: tuple[str, str, str]) -> dict[str, tuple]:
    """Funds as rows by line: the first column OpenD's totals in the account's currency
    (marked to the quotes), then what is held in each currency."""
    currencies = funds_currencies(f)[1:]
    mine = [p for p in positions if p.acc_id == f.acc_id]

    def per(index: int):
        return lambda cur: fmt_money(f.cash_by[cur][index]) if cur in f.cash_by else "-"

    def held(attr: str):
        def value(cur: str) -> float:
            values = [getattr(p, attr) for p in mine if p.currency == cur]
            return sum(values) if values else 0.0
        return value

    def line(label: str, total: float, other=None, pl: bool = False) -> tuple:
        cells = [signed(total, fmt_money(total), styles) if pl else fmt_money(total)]
        for cur in currencies:
            x = other(cur) if other else ""
            cells.append(x if isinstance(x, str) else signed(x, fmt_money(x), styles) if pl else fmt_money(x))
        return (label, *cells)

    today = 0.0  # in the account's currency; a position without the figure or a rate is left out
    for p in mine:
        rate = f.rates.get(p.currency)
        if rate is not None and not math.isnan(p.today_pl):
            today += p.today_pl * rate
    rows = {
        "total": line("Total assets", f.total_assets),
        "cash": line("Cash", f.cash, per(0)),
        "power": line("Buying power", f.power, per(2)),
        "withdraw": line("Withdrawable", f.withdrawable, per(1)),
        "frozen": line("Frozen cash", f.frozen_cash),
        "value": line("Market value", f.market_value, held("value")),
        "unreal": line("Unrealized P&L (avg cost)", f.unrealized_pl, held("pl_val"), pl=True),
        "today": line("Today's P&L", today, held("today_pl"), pl=True),
        "real": line("Realized P&L", f.realized_pl, pl=True),
    }
    if currencies:
        rows["rate"] = ("Rate to " + (f.currency or "-"), "", *(
            f"{f.rates[c]:,.4f}" if c in f.rates else "no rate" for c in currencies))
    return rows
