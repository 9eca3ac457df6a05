"""Indicator values equal a reference computed here, independently, with plain Python loops
and the textbook definitions, on fixed bars (no pandas in the reference)."""

from __future__ import annotations

import math

import pytest

from workstation import indicators as ind


def fixed_bars(n: int = 160) -> tuple[list[float], list[float], list[float]]:
    """Deterministic bars: a wave, a trend and a little pseudo-noise from a fixed LCG,
    with a flat stretch (nothing moves) in the middle."""
    highs, lows, closes = [], [], []
    x, seed = 100.0, 12345
    for i in range(n):
        seed = (1103515245 * seed + 12345) % 2**31
        noise = seed / 2**31 - 0.5
        x = 100.0 if 60 <= i < 75 else x + math.sin(i / 7) * 1.3 + 0.08 + noise
        closes.append(round(x, 3))
        highs.append(round(x + (0 if 60 <= i < 75 else 0.4 + abs(noise)), 3))
        lows.append(round(x - (0 if 60 <= i < 75 else 0.3 + abs(noise) / 2), 3))
    return highs, lows, closes


def ref_ema(xs, n):
    a, out = 2 / (n + 1), []
    for x in xs:
        out.append(x if not out else a * x + (1 - a) * out[-1])
    return out


def ref_macd(closes):
    fast, slow = ref_ema(closes, 12), ref_ema(closes, 26)
    dif = [f - s for f, s in zip(fast, slow)]
    dea = ref_ema(dif, 9)
    return dif, dea, [2 * (a - b) for a, b in zip(dif, dea)]


def ref_rsi(closes, n=14):
    out = [math.nan] * len(closes)
    gains = [max(closes[i] - closes[i - 1], 0) for i in range(1, len(closes))]
    losses = [max(closes[i - 1] - closes[i], 0) for i in range(1, len(closes))]
    avg_g, avg_l = sum(gains[:n]) / n, sum(losses[:n]) / n
    for i in range(n, len(closes)):
        if i > n:
            avg_g = (avg_g * (n - 1) + gains[i - 1]) / n
            avg_l = (avg_l * (n - 1) + losses[i - 1]) / n
        out[i] = 50.0 if avg_g + avg_l == 0 else 100 - 100 / (1 + avg_g / avg_l) if avg_l else 100.0
    return out


def ref_kdj(highs, lows, closes, n=9):
    k_prev = d_prev = 50.0
    ks, ds, js = [], [], []
    for i in range(len(closes)):
        hh, ll = max(highs[max(0, i - n + 1):i + 1]), min(lows[max(0, i - n + 1):i + 1])
        rsv = 50.0 if hh == ll else (closes[i] - ll) / (hh - ll) * 100
        k_prev = 2 / 3 * k_prev + rsv / 3
        d_prev = 2 / 3 * d_prev + k_prev / 3
        ks.append(k_prev)
        ds.append(d_prev)
        js.append(3 * k_prev - 2 * d_prev)
    return ks, ds, js


def ref_boll(closes, n=20, k=2.0):
    mid, up, low = [], [], []
    for i in range(len(closes)):
        if i < n - 1:
            mid.append(math.nan), up.append(math.nan), low.append(math.nan)
            continue
        w = closes[i - n + 1:i + 1]
        m = sum(w) / n
        sd = math.sqrt(sum((x - m) ** 2 for x in w) / n)
        mid.append(m), up.append(m + k * sd), low.append(m - k * sd)
    return mid, up, low


def same(got, want, tol=1e-9):
    assert len(got) == len(want)
    for i, (g, w) in enumerate(zip(got, want)):
        if math.isnan(w):
            assert math.isnan(g), f"at {i}: {g} where the reference is undefined"
        else:
            assert g == pytest.approx(w, rel=tol, abs=tol), f"at {i}"


def test_macd_equals_reference():
    _, _, closes = fixed_bars()
    for got, want in zip(ind.macd(closes), ref_macd(closes)):
        same(got, want)


def test_rsi_is_wilders_and_defined_from_bar_15():
    _, _, closes = fixed_bars()
    got = ind.rsi(closes)
    same(got, ref_rsi(closes))
    assert all(math.isnan(v) for v in got[:14]) and all(0 <= v <= 100 for v in got[14:])
    assert ind.rsi([5.0] * 30)[20] == 50.0 and ind.rsi(list(range(30)))[20] == 100.0


def test_kdj_equals_reference_including_a_flat_stretch():
    highs, lows, closes = fixed_bars()
    for got, want in zip(ind.kdj(highs, lows, closes), ref_kdj(highs, lows, closes)):
        same(got, want)


def test_boll_equals_reference():
    _, _, closes = fixed_bars()
    for got, want in zip(ind.boll(closes), ref_boll(closes)):
        same(got, want)
    mid, up, low = ind.boll(closes)
    assert all(lo <= m <= u for lo, m, u in zip(low[19:], mid[19:], up[19:]))


def test_short_series_do_not_raise():
    for n in (0, 1, 5, 14, 15):
        closes = [10.0 + i for i in range(n)]
        assert len(ind.rsi(closes)) == n and len(ind.macd(closes)[0]) == n
        assert len(ind.kdj(closes, closes, closes)[2]) == n and len(ind.boll(closes)[0]) == n


def test_moving_averages_equal_reference():
    _, _, closes = fixed_bars()
    for n in (5, 10, 20):
        want = [sum(closes[max(0, i - n + 1):i + 1]) / min(i + 1, n) for i in range(len(closes))]
        same(ind.sma(closes, n), want)
