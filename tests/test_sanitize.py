"""The wire-text boundary: whatever a peer sends, what we keep is one safe line."""

from __future__ import annotations

import math

from hypothesis import given, strategies as st

from protocol.sanitize import MESSAGE_CHARS, clean_text, escape_controls, finite, valid_code


@given(st.text(), st.integers(min_value=2, max_value=400))
def test_clean_text_never_keeps_a_control_character_nor_grows_past_its_limit(text, limit):
    out = clean_text(text, limit)
    assert len(out) <= limit
    assert not any(ord(ch) < 32 or 0x7F <= ord(ch) <= 0x9F for ch in out)


def test_clean_text_keeps_cjk_and_punctuation_and_drops_escapes():
    assert clean_text("\x1b]0;pwned\x07騰訊控股 [code=1001] (A/B)") == "]0;pwned 騰訊控股 [code=1001] (A/B)"
    assert clean_text("line one\n" * 40, 30).count("\n") == 0
    assert clean_text(None) == "" and clean_text(12) == "12"
    assert len(clean_text("x" * 1_000_000)) == MESSAGE_CHARS


@given(st.text())
def test_escape_controls_shows_every_control_as_an_escape(text):
    out = escape_controls(text, 10_000)
    assert not any(ord(ch) < 32 or 0x7F <= ord(ch) <= 0x9F for ch in out)


def test_codes_must_be_strict_market_dot_code():
    for good in ("HK.00700", "US..DJI", "US.BRK.B", "SZ.000001", "HK.800000"):
        assert valid_code(good), good
    for bad in ("HK.[/]", "XX.1", "HK.", "HK.007 00", "hk.00700", "HK.\x1b[2J", 700, None, "HK." + "9" * 60):
        assert not valid_code(bad), bad


def test_finite_refuses_nan_inf_huge_and_bool():
    assert finite(1.5) and finite(0) and finite(-3)
    assert not any(finite(x) for x in (math.nan, math.inf, -math.inf, 1e308, True, "1"))
    assert not finite(-1, lo=0)
