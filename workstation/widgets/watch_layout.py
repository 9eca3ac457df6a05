"""The watchlist's columns by width and its group tabs: pure functions, no widget state.

Columns are taken by priority while they fit (a column that does not fit is skipped, a
narrower one after it may still come in), each as wide as its widest cell, so that prices,
index levels included, are never cut; only the name gives way, down to NAME_MIN cells.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.cells import cell_len, set_cell_size
from textual.content import Content


@dataclass(frozen=True)
class Spec:
    key: str
    label: str
    right: bool
    priority: int  # lower comes in first
    pair: str = ""  # shown only together with this column (bid and ask)


# Display order. Session, when any row has something to say (halted, at a limit, US pre-market),
# comes in right after the name; empty, it takes no room.
SPECS = (
    Spec("code", "Code", False, 0), Spec("name", "Name", False, 3), Spec("last", "Last", True, 1),
    Spec("pct", "Chg%", True, 2), Spec("chg", "Chg", True, 9), Spec("state", "Session", False, 4),
    Spec("vol", "Volume", True, 7), Spec("turn", "Turnover", True, 8), Spec("bid", "Bid", True, 5, "ask"),
    Spec("ask", "Ask", True, 6, "bid"),
)
KEYS = tuple(s.key for s in SPECS)
NAME_MIN = 8  # four Chinese characters
NAME_MAX = 16


def natural_widths(rows, sorted_col: int | None) -> list[int]:
    """Per column: its widest cell (0 if every cell is empty) or its label, if wider (+1 for the
    sort mark). `rows` are cell tuples in SPECS order."""
    widest = [0] * len(SPECS)
    for cells in rows:
        for i, (text, _style) in enumerate(cells):
            n = cell_len(text)
            if n > widest[i]:
                widest[i] = n
    out = []
    for i, spec in enumerate(SPECS):
        if not widest[i] and spec.key == "state":
            out.append(0)  # nothing to say: no column
            continue
        label = cell_len(spec.label) + (1 if i == sorted_col else 0)
        out.append(min(max(widest[i], label), NAME_MAX) if spec.key == "name" else max(widest[i], label))
    return out


def choose(widths: list[int], room: int, gap: int) -> list[tuple[int, int]]:
    """(column index, width) in display order for `room` cells; the first column always."""
    by_key = {s.key: i for i, s in enumerate(SPECS)}
    need = {i: (min(NAME_MIN, w) if SPECS[i].key == "name" else w) + gap for i, w in enumerate(widths)}
    taken: set[int] = set()
    used = 0
    for i in sorted(range(len(SPECS)), key=lambda i: SPECS[i].priority):
        if i in taken or not widths[i]:
            continue
        group = [i] + ([by_key[SPECS[i].pair]] if SPECS[i].pair else [])
        cost = sum(need[j] for j in group)
        if not taken or used + cost <= room:
            taken.update(group)
            used += cost
    shown = {i: need[i] - gap for i in taken}
    name = by_key["name"]
    if name in shown:  # what is left widens the name up to its longest
        shown[name] = min(widths[name], shown[name] + max(0, room - used))
    return [(i, shown[i]) for i in sorted(shown)]


def tab_strip(names: list[str], active: int, room: int) -> Content:
    """The group tabs for the border title: the active one reversed, as many neighbours as fit,
    ‹ and › where some are cut off. Names are plain text (never markup)."""
    labels = [f" {set_cell_size(n, min(cell_len(n), 20))} " for n in names]
    lo = hi = active
    used = cell_len(labels[active])
    while True:  # grow right, then left, while the next tab fits
        grown = False
        for side in (1, -1):
            j = hi + 1 if side > 0 else lo - 1
            if 0 <= j < len(labels) and used + cell_len(labels[j]) + 2 <= room:
                used += cell_len(labels[j])
                lo, hi = (lo, j) if side > 0 else (j, hi)
                grown = True
        if not grown:
            break
    parts: list[str | tuple[str, str]] = ["‹" if lo > 0 else ""]
    for j in range(lo, hi + 1):
        parts.append((labels[j], "reverse bold") if j == active else labels[j])
    parts.append("›" if hi < len(labels) - 1 else "")
    return Content.assemble(*parts)
