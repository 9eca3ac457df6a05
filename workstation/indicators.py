"""Chart indicators from closed-form textbook definitions, computed with pandas.

Pure (no Textual): lists of floats in, lists of floats out, NaN where a value is not defined
yet. Standard parameters: MA 5/10/20, MACD 12/26/9, RSI 14 (Wilder), KDJ 9/3/3, BOLL 20/2.
MACD follows the convention of Futu and most Asian terminals: DIF = EMA12 - EMA26,
DEA = EMA9(DIF), histogram MACD = 2 x (DIF - DEA).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

INDICATORS = ("BOLL", "MACD", "RSI", "KDJ")  # what a chart can show; BOLL sits on the price
LOWER = ("MACD", "RSI", "KDJ")  # each in its own pane below the price


def _series(values: Sequence[float]) -> pd.Series:
    return pd.Series(np.asarray(values, dtype=float))


def _out(s: pd.Series) -> list[float]:
    return s.to_numpy(dtype=float).tolist()


def ema(values: Sequence[float], n: int) -> list[float]:
    """Exponential average with alpha 2/(n+1), seeded with the first value."""
    return _out(_series(values).ewm(span=n, adjust=False).mean())


def sma(values: Sequence[float], n: int) -> list[float]:
    """Simple average over n values; over what there is for the first n-1 (the chart's MA lines)."""
    return _out(_series(values).rolling(n, min_periods=1).mean())


def macd(closes: Sequence[float], fast: int = 12, slow: int = 26, signal: int = 9) -> tuple[list[float], list[float], list[float]]:
    """(DIF, DEA, MACD histogram)."""
    c = _series(closes)
    dif = c.ewm(span=fast, adjust=False).mean() - c.ewm(span=slow, adjust=False).mean()
    dea = dif.ewm(span=signal, adjust=False).mean()
    return _out(dif), _out(dea), _out(2 * (dif - dea))


def _wilder(x: pd.Series, n: int) -> pd.Series:
    """Wilder's smoothing: the first value is the mean of x[1..n], then (prev*(n-1) + x)/n."""
    seeded = pd.Series(np.nan, index=x.index)
    if len(x) > n:
        seeded.iloc[n] = x.iloc[1:n + 1].mean()
        seeded.iloc[n + 1:] = x.iloc[n + 1:]
    return seeded.ewm(alpha=1 / n, adjust=False, ignore_na=True).mean()


def rsi(closes: Sequence[float], n: int = 14) -> list[float]:
    """Wilder's RSI; NaN for the first n bars. 100 when nothing fell, 50 when nothing moved."""
    diff = _series(closes).diff()
    gain, loss = _wilder(diff.clip(lower=0), n), _wilder((-diff).clip(lower=0), n)
    total = gain + loss
    out = (100 * gain / total.where(total > 0)).where(total > 0, 50.0).clip(0, 100)
    return _out(out.where(gain.notna()))


def kdj(highs: Sequence[float], lows: Sequence[float], closes: Sequence[float],
        n: int = 9, k_n: int = 3, d_n: int = 3) -> tuple[list[float], list[float], list[float]]:
    """(K, D, J): RSV over the last n bars (fewer at the start); K and D start at 50."""
    h, low, c = _series(highs), _series(lows), _series(closes)
    hh, ll = h.rolling(n, min_periods=1).max(), low.rolling(n, min_periods=1).min()
    span = hh - ll
    rsv = (100 * (c - ll) / span.where(span > 0)).fillna(50.0)
    k = pd.concat([pd.Series([50.0]), rsv], ignore_index=True).ewm(alpha=1 / k_n, adjust=False).mean()
    d = k.ewm(alpha=1 / d_n, adjust=False).mean()
    k, d = k.iloc[1:].reset_index(drop=True), d.iloc[1:].reset_index(drop=True)
    return _out(k), _out(d), _out(3 * k - 2 * d)


def boll(closes: Sequence[float], n: int = 20, width: float = 2.0) -> tuple[list[float], list[float], list[float]]:
    """(middle, upper, lower): SMA n +- width population standard deviations; NaN before n bars."""
    c = _series(closes)
    mid = c.rolling(n).mean()
    sd = c.rolling(n).std(ddof=0)
    return _out(mid), _out(mid + width * sd), _out(mid - width * sd)
