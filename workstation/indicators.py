"""Chart indicators from closed-form textbook definitions, computed with pandas.

Pure (no Textual): lists of floats in, lists of floats out, NaN where a value is not defined
yet. Standard parameters: MA 5/10/20, MACD 12/26/9, RSI 14 (Wilder), KDJ 9/3/3, BOLL 20/2.
MACD follows the convention of Futu and most Asian terminals: DIF = EMA12 - EMA26,
DEA = EMA9(DIF), histogram MACD = 2 x (DIF - DEA).
"""

from __future__ import annotations

from collections.abc import Sequence

from workstation.lazy import LazyModule

np = LazyModule("numpy")
pd = LazyModule("pandas")

INDICATORS = ("BOLL", "MACD", "RSI", "KDJ")  # what a chart can show; BOLL sits on the price
LOWER = ("MACD", "RSI", "KDJ")  # each in its own pane below the price


def _series(values) -> pd.Series:
    return pd.Series(np.asarray(values, dtype=float))


def _ewm(values, **kwargs) -> np.ndarray:
    return _series(values).ewm(adjust=False, **kwargs).mean().to_numpy()


# pandas does the windows and the recursive averages; the arithmetic between them is numpy
# (a pandas operator costs ~50 us of bookkeeping, and the chart rebuilds these every second).


def sma(values: Sequence[float], n: int) -> list[float]:
    """Simple average over n values; over what there is for the first n-1 (the chart's MA lines).
    A running sum in numpy: three of these per redraw cost less than one pandas window."""
    c = np.asarray(values, dtype=float)
    total = np.cumsum(c)
    total[n:] = total[n:] - total[:-n]
    return (total / np.minimum(np.arange(1, len(c) + 1), n)).tolist()


def macd(closes: Sequence[float], fast: int = 12, slow: int = 26, signal: int = 9) -> tuple[list[float], list[float], list[float]]:
    """(DIF, DEA, MACD histogram)."""
    dif = _ewm(closes, span=fast) - _ewm(closes, span=slow)
    dea = _ewm(dif, span=signal)
    return dif.tolist(), dea.tolist(), (2 * (dif - dea)).tolist()


def _wilder(x: np.ndarray, n: int) -> np.ndarray:
    """Wilder's smoothing: the first value is the mean of x[1..n], then (prev*(n-1) + x)/n."""
    seeded = np.full(len(x), np.nan)
    if len(x) > n:
        seeded[n] = x[1:n + 1].mean()
        seeded[n + 1:] = x[n + 1:]
    return _ewm(seeded, alpha=1 / n, ignore_na=True)


def rsi(closes: Sequence[float], n: int = 14) -> list[float]:
    """Wilder's RSI; NaN for the first n bars. 100 when nothing fell, 50 when nothing moved."""
    c = np.asarray(closes, dtype=float)
    diff = np.diff(c, prepend=np.nan)
    gain, loss = _wilder(np.clip(diff, 0, None), n), _wilder(np.clip(-diff, 0, None), n)
    total = gain + loss
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(total > 0, 100 * gain / np.where(total > 0, total, 1), 50.0)
    out = np.clip(out, 0, 100)
    out[np.isnan(gain)] = np.nan
    return out.tolist()


def kdj(highs: Sequence[float], lows: Sequence[float], closes: Sequence[float],
        n: int = 9, k_n: int = 3, d_n: int = 3) -> tuple[list[float], list[float], list[float]]:
    """(K, D, J): RSV over the last n bars (fewer at the start); K and D start at 50."""
    c = np.asarray(closes, dtype=float)
    hh = _series(highs).rolling(n, min_periods=1).max().to_numpy()
    ll = _series(lows).rolling(n, min_periods=1).min().to_numpy()
    span = hh - ll
    with np.errstate(invalid="ignore", divide="ignore"):
        rsv = np.where(span > 0, 100 * (c - ll) / np.where(span > 0, span, 1), 50.0)
    k = _ewm(np.concatenate(([50.0], rsv)), alpha=1 / k_n)
    d = _ewm(k, alpha=1 / d_n)
    k, d = k[1:], d[1:]
    return k.tolist(), d.tolist(), (3 * k - 2 * d).tolist()


def boll(closes: Sequence[float], n: int = 20, width: float = 2.0) -> tuple[list[float], list[float], list[float]]:
    """(middle, upper, lower): SMA n +- width population standard deviations; NaN before n bars."""
    window = _series(closes).rolling(n)
    mid, sd = window.mean().to_numpy(), window.std(ddof=0).to_numpy()
    return mid.tolist(), (mid + width * sd).tolist(), (mid - width * sd).tolist()
