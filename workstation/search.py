"""What `/` searches: every code OpenD lists, by code (`HK.700` and `700` find HK.00700), by
name in the language OpenD serves (its `lang` setting: `en` gives TENCENT and Apple, `chs` gives
腾讯控股 and 苹果), and by the pinyin of Chinese names: initials (`txkg`) or whole (`tengxun`).

OpenD sends one name per code, in one language, so the index keeps the names it is given; a
code seen with names in both languages (the universe plus another source) is found by both.
Pinyin comes from pypinyin (maintained, offline, MIT; phrase-aware, so 银行 reads yin hang).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

MAX_SHOWN = 30
MAX_READINGS = 8  # pinyin spellings kept per name: heteronyms (长 chang/zhang) multiply
_HAN = re.compile(r"[\u3400-\u9fff]")
_WORD = re.compile(r"[0-9a-z]+")
_RUNS = re.compile(r"[\u3400-\u9fff]+|[^\u3400-\u9fff]+")


@dataclass(frozen=True, slots=True)
class Entry:
    code: str  # "HK.00700"
    name: str  # shown
    market: str  # "HK"
    bare: str  # "00700", "AAPL"
    short: str  # "700": HK and A-share digits without leading zeros
    names: tuple[str, ...]  # casefolded names, every language seen
    spellings: tuple[str, ...]  # "txkg", "tengxunkonggu", ... (Chinese names only)
    hay: str  # all of the above, casefolded, one per line: a query absent from it cannot match


def pinyin_spellings(name: str) -> tuple[str, ...]:
    """Initials and whole pinyin of a Chinese name, other words kept as they are:
    腾讯控股 -> ("txkg", "tengxunkonggu"); 阿里巴巴-W -> ("albbw", "alibabaw"); () without Chinese."""
    if not _HAN.search(name):
        return ()
    from pypinyin import Style, lazy_pinyin, pinyin  # loaded when the first Chinese name is met

    initials: list[list[str]] = []  # per syllable or word: its spellings
    whole: list[str] = []
    for run in _RUNS.findall(name.lower()):
        if _HAN.match(run):
            syllables = lazy_pinyin(run)  # phrase-aware: 银行 is yin hang
            whole.extend(syllables)
            heteronyms = pinyin(run, style=Style.FIRST_LETTER, heteronym=True)
            for syllable, letters in zip(syllables, heteronyms):
                initials.append(list(dict.fromkeys([syllable[:1], *letters])))
        else:
            words = _WORD.findall(run)
            whole.extend(words)
            initials.extend([w] for w in words)
    out = dict.fromkeys("".join(c) for c in itertools.islice(itertools.product(*initials), MAX_READINGS))
    out["".join(whole)] = None
    out.pop("", None)
    return tuple(out)


def _short(bare: str) -> str:
    return bare.lstrip("0") or bare if bare.isdigit() else bare


class SymbolIndex:
    """The universe as search entries; `matches(query)` ranks them."""

    def __init__(self, universe: list[tuple[str, str]]) -> None:
        by_code: dict[str, list[str]] = {}
        for code, name in universe:
            names = by_code.setdefault(code, [])
            if name and name not in names:
                names.append(name)
        self.entries: list[Entry] = []
        for code, names in by_code.items():
            market, dot, bare = code.upper().partition(".")
            market, bare = (market, bare) if dot else ("", market)
            folded = tuple(n.casefold() for n in names)
            spell = tuple(dict.fromkeys(s for n in names for s in pinyin_spellings(n)))
            hay = "\n".join((code.casefold(), _short(bare).casefold(), *folded, *spell))
            self.entries.append(Entry(code, " / ".join(names), market, bare, _short(bare), folded, spell, hay))

    def __len__(self) -> int:
        return len(self.entries)

    def matches(self, query: str, limit: int = MAX_SHOWN) -> list[tuple[str, str]]:
        """(code, name) best first: the code itself (`HK.700`, `700`, `aapl`), then codes starting
        with the query, then names and pinyin starting with it, then anything containing it."""
        q = query.strip()
        if not q:
            return [(e.code, e.name) for e in self.entries[:limit]]
        upper, folded = q.upper(), q.casefold()
        squeezed = re.sub(r"[\s\-'.]", "", folded)
        market, dot, symbol = upper.partition(".")
        ranked: list[tuple[int, int]] = []
        if dot and market.isalpha():  # "HK.700": that market's codes only
            short = _short(symbol)
            for i, e in enumerate(self.entries):
                if e.market != market:
                    continue
                if e.short == short or e.bare == symbol:
                    ranked.append((0, i))
                elif e.bare.startswith(symbol) or (short.isdigit() and e.short.startswith(short)):
                    ranked.append((1, i))
        else:
            short = _short(upper)
            for i, e in enumerate(self.entries):
                if folded not in e.hay and (not squeezed or squeezed not in e.hay):
                    continue
                if e.short == short or e.bare == upper or e.code.upper() == upper:
                    rank = 0
                elif e.bare.startswith(upper) or e.short.startswith(short) or e.code.upper().startswith(upper):
                    rank = 1
                elif any(n.startswith(folded) for n in e.names) or any(s.startswith(squeezed) for s in e.spellings):
                    rank = 2
                else:
                    rank = 3
                ranked.append((rank, i))
        ranked.sort()
        return [(self.entries[i].code, self.entries[i].name) for _, i in ranked[:limit]]
