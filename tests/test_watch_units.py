"""Without Textual's app: the search index over the simulator's universe in both of OpenD's
languages, and which watchlist columns a width holds."""

from __future__ import annotations

from protocol.gateway.instruments import NAMES_EN, UNIVERSE
from workstation.search import SymbolIndex, pinyin_spellings
from workstation.widgets.watch_layout import KEYS, choose, natural_widths, tab_strip

CHS = SymbolIndex([(i.code, i.name) for i in UNIVERSE])
EN = SymbolIndex(list(NAMES_EN.items()))


def first(index: SymbolIndex, query: str) -> str | None:
    found = index.matches(query)
    return found[0][0] if found else None


def test_codes_are_found_padded_or_not_with_or_without_the_market():
    for query in ("HK.700", "hk.700", "700", "00700", "HK.00700"):
        assert first(CHS, query) == "HK.00700", query
    assert first(CHS, "5") == "HK.00005" and first(CHS, "HK.5") == "HK.00005"
    assert first(CHS, "aapl") == "US.AAPL" and first(CHS, "US..DJI") == "US..DJI"
    assert [c for c, _ in CHS.matches("SH.600")] == ["SH.600519", "SH.600036", "SH.600900"]
    assert CHS.matches("US.700") == []  # the market given is the market searched


def test_names_in_the_language_opend_serves_and_pinyin_of_chinese_names():
    assert first(EN, "apple") == "US.AAPL" and first(EN, "tencent") == "HK.00700"
    assert first(CHS, "apple") is None  # OpenD in Chinese serves 苹果: only the code finds it
    assert first(CHS, "txkg") == "HK.00700" and first(CHS, "tengxun") == "HK.00700"
    assert first(CHS, "腾讯") == "HK.00700"
    assert {c for c, _ in CHS.matches("zgpa")} == {"HK.02318", "SH.601318"}
    assert "ch" in pinyin_spellings("长和") and "zgyh" in pinyin_spellings("中国银行")  # heteronyms, phrases
    assert pinyin_spellings("Apple") == ()
    both = SymbolIndex([("HK.00700", "腾讯控股"), ("HK.00700", "TENCENT")])  # both languages, if both are given
    assert first(both, "txkg") == first(both, "tencent") == "HK.00700"


def test_columns_by_width_keep_prices_whole_and_add_bid_ask_volume_turnover_when_wide():
    rows = [(("SH.600519", ""), ("贵州茅台", ""), ("1,493.38", ""), ("+0.36%", ""), ("+5.38", ""), ("", ""),
             ("2.57M", ""), ("3.82B", ""), ("1,493.37", ""), ("1,493.38", "")),
            (("HK.800000", ""), ("恒生指数", ""), ("20,452.73", ""), ("-0.75%", ""), ("-154.10", ""), ("", ""),
             ("2.95B", ""), ("35.42B", ""), ("-", ""), ("-", ""))]
    widths = natural_widths(rows, None)

    def shown(room: int) -> list[str]:
        return [KEYS[i] for i, _ in choose(widths, room, 1)]

    assert shown(43) == ["code", "name", "last", "pct", "vol"]  # 120x40: a fifth column
    assert shown(40) == ["code", "name", "last", "pct"]
    assert dict(choose(widths, 40, 1))[KEYS.index("last")] == len("20,452.73")  # the index level whole
    assert shown(73) == ["code", "name", "last", "pct", "vol", "turn", "bid", "ask"]  # 200x60
    assert "state" not in shown(500)  # an empty Session column takes no room


def test_group_tabs_are_plain_text():
    strip = tab_strip(["Local", "[b]x[/b]", "All"], 1, 40)
    assert "[b]x[/b]" in strip.plain
    narrow = tab_strip(["Local", "All", "HK", "US", "A-Shares", "Tech"], 5, 16)
    assert "Tech" in narrow.plain and narrow.plain.startswith("‹")
