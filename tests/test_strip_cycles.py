"""Frames leave no reference cycles behind: a Strip that divide() or crop_extend() leaves as it
was is freed by its reference count, not by the cyclic collector (whose full collections stalled
frames and keys for 15-85 ms under 2,000 pushes/s)."""

from __future__ import annotations

import gc

from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from workstation import strip_cycles


def freed_without_the_collector(use) -> bool:
    """True if no Strip was left for the cyclic collector after `use(strip)`."""
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)  # what a collection finds stays in gc.garbage to be looked at
    try:
        use(Strip([Segment("12.345", Style(bold=True)), Segment(" HK.00700")], 15))
        gc.collect()
        return not [o for o in gc.garbage if isinstance(o, Strip)]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()


def test_a_strip_divided_or_cropped_to_itself_is_freed_at_once():
    strip_cycles.install()  # what FutuTui does when it is built
    assert freed_without_the_collector(lambda s: s.divide([15]))
    assert freed_without_the_collector(lambda s: s.crop_extend(0, 15, None))
    assert freed_without_the_collector(lambda s: s.divide([40]))  # cuts past the end are dropped


def test_the_results_are_what_textual_gives():
    strip_cycles.install()
    strip = Strip([Segment("12.345", Style(bold=True)), Segment(" HK.00700")], 15)
    assert strip.divide([15]) == [strip]
    assert [s.text for s in strip.divide([6, 15])] == ["12.345", " HK.00700"]
    assert strip.crop_extend(0, 15, None) is strip
    assert strip.crop_extend(3, 18, None).text == "345 HK.00700   "
    assert strip.crop_extend(0, 6, None).text == "12.345"
