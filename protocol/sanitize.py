"""Untrusted text and numbers made safe to keep, show and log.

Everything a peer sends (OpenD to the app, a client to the simulator) passes here before
it is stored or written anywhere: strings lose C0/C1 control characters and DEL (CJK and
ordinary punctuation stay) and are capped in length; numbers must be finite and in range;
codes must match MARKET.CODE. Pure functions, no I/O.
"""

from __future__ import annotations

import math
import re

from protocol.codes import valid_code  # noqa: F401  (the code check belongs with the codes)

NAME_CHARS = 64  # a security name, broker name or account label
MESSAGE_CHARS = 300  # a server message (retMsg, lastErrMsg, InitConnect text)
REMARK_CHARS = 64

# C0 controls, DEL, C1 controls, and the Unicode line/paragraph separators and bidi overrides
# that can reorder or break a line on screen.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def clean_text(value: object, limit: int = MESSAGE_CHARS) -> str:
    """One line of plain text: control characters become spaces, runs of them one space,
    at most `limit` characters (an ellipsis marks the cut). Never raises."""
    if not isinstance(value, str):
        value = "" if value is None else str(value)
    if len(value) > limit * 4:
        value = value[: limit * 4]
    text = _CONTROLS.sub(" ", value)
    if "  " in text:
        text = " ".join(text.split())
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def escape_controls(value: object, limit: int = MESSAGE_CHARS) -> str:
    """For logs and consoles: control characters shown as escapes (\\x1b), nothing dropped
    silently, at most `limit` characters."""
    text = value if isinstance(value, str) else repr(value)
    text = text[: limit * 4]
    text = _CONTROLS.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def finite(value: object, lo: float = -1e15, hi: float = 1e15) -> bool:
    """A real number within [lo, hi]: no NaN, no infinity, no 1e308."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and lo <= value <= hi
