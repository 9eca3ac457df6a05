"""Orders, fills and positions to CSV (pandas), from the app's store (key `X`) or from the
command line (`futu-tui export orders|fills|positions`), which connects to OpenD, reads the
account book through the same trade requests as the app, writes the file and exits.

Every text cell came from the wire: control characters are removed and a cell that a
spreadsheet would run as a formula (starting with = + - @) is prefixed with '."""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
import time
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING

from protocol.sanitize import clean_text
from protocol.trade import OrderStatus, OrderType, Side
from workstation.account_rows import VERIFYING
from workstation.config import data_dir, private_dir
from workstation.store import Store

if TYPE_CHECKING:
    import pandas as pd

KINDS = ("orders", "fills", "positions")
FORMULA_START = ("=", "+", "-", "@")
CELL_CHARS = 1000
WORDS = {"side": Side.short_of, "order_type": OrderType.short_of,  # wire numbers as the tables spell them
         "status": lambda v: "UNKNOWN?" if v == VERIFYING else OrderStatus.short_of(v)}


def safe_cell(value: object) -> object:
    """A cell a spreadsheet shows as text: no control characters, no formula. Numbers stay
    numbers (NaN and infinities become empty)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value if math.isfinite(value) else None
    text = clean_text(value, CELL_CHARS)
    return "'" + text if text.startswith(FORMULA_START) else text


def rows_of(store: Store, kind: str) -> list:
    if kind == "orders":
        return sorted(store.orders.values(), key=lambda o: (o.create_timestamp, o.order_id))
    if kind == "fills":
        return sorted(store.fills.values(), key=lambda f: (f.timestamp, f.fill_id))
    if kind == "positions":
        return sorted(store.positions.values(), key=lambda p: p.code)
    raise ValueError(f"nothing to export called {kind!r}; choose one of {', '.join(KINDS)}")


Table = tuple[list[str], list[dict]]  # column names, rows of safe cells


def table(store: Store, kind: str) -> Table:
    """One row per order, fill or position, columns the row's fields in order: a plain copy,
    so the file can be written off the UI thread while the store moves on."""
    rows = rows_of(store, kind)
    row_type = type(rows[0]) if rows else None
    names = [f.name for f in fields(row_type)] if row_type else _columns(kind)
    return names, [{n: safe_cell(WORDS[n](getattr(r, n)) if n in WORDS else getattr(r, n)) for n in names} for r in rows]


def frame(tab: Table) -> pd.DataFrame:
    import pandas as pd  # here: the app starts without it

    names, rows = tab
    return pd.DataFrame(rows, columns=names)


def _columns(kind: str) -> list[str]:
    from workstation.account_rows import FillRow, OrderRow, PositionRow

    return [f.name for f in fields({"orders": OrderRow, "fills": FillRow, "positions": PositionRow}[kind])]


def write(tab: Table, path: Path) -> int:
    """Write the CSV (atomically, 0600); returns the number of rows."""
    df = frame(tab)
    if not path.parent.exists():
        private_dir(path.parent)  # account data: a folder we create is the user's alone
    tmp = path.with_name(path.name + ".tmp")
    df.to_csv(tmp, index=False)
    tmp.chmod(0o600)
    tmp.replace(path)
    return len(df)


def exports_dir(setting: str = "") -> Path:
    """The `exports_dir` setting, or "exports" in the data dir."""
    return Path(setting).expanduser() if setting else data_dir() / "exports"


def default_path(kind: str, folder: Path, now: float | None = None) -> Path:
    return folder / f"{kind}-{time.strftime('%Y%m%d-%H%M%S', time.localtime(now))}.csv"


def tables(store: Store) -> dict[str, Table]:
    return {kind: table(store, kind) for kind in KINDS}


def write_all(tabs: dict[str, Table], folder: Path) -> list[tuple[Path, int]]:
    """Orders, fills and positions, one file each, stamped with the same time."""
    now = time.time()
    return [(path, write(tab, path)) for kind, tab in tabs.items() for path in [default_path(kind, folder, now)]]


# -- the command line ----------------------------------------------------------------------


def add_parser(sub) -> None:
    p = sub.add_parser("export", help="write orders, fills or positions to CSV and exit",
                       description="Connect to OpenD, read the account book (every SIMULATE account, or the "
                                   "first REAL one with --real), write it as CSV and exit. Settings as for futu-tui.")
    p.add_argument("what", choices=KINDS)
    p.add_argument("--out", metavar="FILE", help="where to write (default: <what>-<time>.csv in exports_dir, else in the data dir's exports; - for stdout)")
    p.add_argument("--real", action="store_true", help="the REAL account instead of the SIMULATE ones")
    for flag, kwargs in (("--host", {}), ("--port", {"type": int}), ("--rsa-key", {"metavar": "FILE"}),
                         ("--config", {"metavar": "FILE"}), ("--seed", {"type": int})):
        # SUPPRESS: a flag given before `export` is not reset by this one's default
        p.add_argument(flag, default=argparse.SUPPRESS, help="as for futu-tui", **kwargs)
    p.add_argument("--sim", action="store_const", const=True, default=argparse.SUPPRESS,
                   help="start the simulated OpenD in-process and read it")


async def read_book(client, real: bool) -> Store:
    """The account book as the app reads it: the account list, then orders, fills, positions."""
    from workstation.trading.accounts import Accounts
    from workstation.trading.book import AccountBook
    from protocol.trade import TrdEnv

    store = Store()
    ignore = lambda _msg: None  # noqa: E731  (no screen to tell)
    await client.connect()
    try:
        accounts = Accounts(client, store, ignore)
        await accounts.load()
        wanted = [a for a in accounts.all if a.env is (TrdEnv.REAL if real else TrdEnv.SIMULATE) and not a.disabled]
        if not wanted:
            raise LookupError(f"OpenD lists no {'REAL' if real else 'SIMULATE'} account")
        accounts.active = wanted[0]
        await AccountBook(client, store, accounts, ignore).refresh(orders=True)
    finally:
        await client.close()
    return store


def run(args, config, client_factory) -> int:
    """`futu-tui export ...`: 0 and the path on stdout, or 1 and why on stderr."""
    try:
        store = asyncio.run(asyncio.wait_for(read_book(client_factory(), args.real), 60))
    except Exception as exc:  # OpenD unreachable, refused, no account: say why, never a traceback
        print(f"futu-tui export: cannot read the account book: {clean_text(str(exc) or type(exc).__name__)}",
              file=sys.stderr)
        return 1
    if args.out == "-":
        frame(table(store, args.what)).to_csv(sys.stdout, index=False)
        return 0
    path = Path(args.out) if args.out else default_path(args.what, exports_dir(config.exports_dir))
    try:
        n = write(table(store, args.what), path)
    except OSError as exc:
        print(f"futu-tui export: cannot write {path}: {exc}", file=sys.stderr)
        return 1
    print(f"{n} {args.what} written to {path}")
    return 0
