"""What OpenD says about itself and this account: quote right per market, quotas, login.

Pure state (no Textual, no network), held by the store as `store.opend`. The feed's rights
keeper (rights_keeper.py) fills it from GetUserInfo, GetGlobalState, the history-K-line
quota and Notify pushes; the status bar, the rights screen, the watchlist and the order
form read it. Values are cleaned on the way in (numbers in range, text without controls).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from protocol import rights as qr
from protocol.codes import SUB_QUOTE
from protocol.markets import SEC_ETF, SEC_STOCK
from protocol.sanitize import clean_text

FLOW_TYPES = frozenset({SEC_STOCK, SEC_ETF, 5})  # stocks, funds and warrants: what capital flow serves
STATUS_NAMES = {0: "none", 1: "loaded", 2: "logging in", 3: "captcha", 4: "SMS code", 5: "login failed",
                6: "must update", 7: "preparing", 8: "data missing", 9: "disclaimer", 10: "ready",
                11: "logged out", 12: "disclaimer failed"}


@dataclass
class OpenDStatus:
    known: bool = False  # GetUserInfo answered on this connection
    rights: dict[str, int] = field(default_factory=lambda: {m: qr.UNKNOWN for m in qr.RIGHT_MARKETS})
    qot_logined: bool = True
    trd_logined: bool = True
    program_status: int = 10
    status_desc: str = ""
    sub_quota: int = 0
    sub_used: int = 0
    history_quota: int = 0
    history_used: int = 0
    history_codes: set[str] = field(default_factory=set)  # codes already counted this period
    sec_types: dict[str, int] = field(default_factory=dict)  # code -> Qot_Common.SecurityType
    polled: set[str] = field(default_factory=set)  # codes priced by snapshot polling
    polled_at: dict[str, float] = field(default_factory=dict)  # monotonic time of the last snapshot
    told: set[str] = field(default_factory=set)  # codes whose missing right was announced once
    version: int = 0  # bumped on every change the screen shows

    # -- reading ---------------------------------------------------------------------------

    def right_of(self, code: str) -> int:
        return self.rights.get(qr.right_market(code.partition(".")[0]), qr.UNKNOWN)

    def allows(self, code: str, subtype: int) -> bool:
        """May `code` be subscribed for `subtype`? Unknown rights (before GetUserInfo) say yes."""
        right = self.right_of(code)
        if right == qr.UNKNOWN:
            return True
        return qr.sub_refusal(code, code.partition(".")[0], subtype, right) is None

    def polls(self, code: str) -> bool:
        """No subscription right, but snapshots are allowed (HK BMP)."""
        return self.right_of(code) == qr.BMP

    def missing(self, code: str) -> str:
        """What a row says when its market has no quote right at all, else ""."""
        right = self.right_of(code)
        if right != qr.NO:
            return ""
        m = qr.right_market(code.partition(".")[0])
        return f"no {m} quote right (needs {m} LV1)"

    def book_note(self, code: str) -> str:
        """Why there is no order book for `code`, else ""."""
        right = self.right_of(code)
        if right == qr.UNKNOWN:
            return ""
        m = qr.right_market(code.partition(".")[0])
        if right == qr.NO:
            return f"no {m} quote right"
        if qr.book_depth(m, right) == 0:
            return f"no order book under {m} {qr.name(right)} (needs {m} LV2)"
        return ""

    def serves_flow(self, code: str) -> bool | None:
        """Capital flow / distribution exist for stocks, funds and warrants; None: type not known yet."""
        t = self.sec_types.get(code)
        return None if t is None else t in FLOW_TYPES

    @property
    def history_remain(self) -> int:
        return max(0, self.history_quota - self.history_used)

    def history_allowed(self, code: str) -> bool:
        return not self.known or code in self.history_codes or self.history_remain > 0

    def offline_reason(self) -> str:
        """Why OpenD itself cannot serve live data, else ""."""
        if self.program_status == 11:
            return f"OpenD logged out{': ' + self.status_desc if self.status_desc else ''}"
        if not self.qot_logined and not self.trd_logined:
            return "OpenD lost Futu's servers"
        if not self.qot_logined:
            return "OpenD not logged in to quotes"
        if not self.trd_logined:
            return "OpenD not logged in to trading"
        return ""

    def live(self, code: str | None) -> bool:
        """Live pushes flow for this code: OpenD logged in to quotes and the code subscribable."""
        return self.qot_logined and (code is None or self.allows(code, SUB_QUOTE))

    def compact(self) -> str:
        """The status bar's segment: "HK LV2 US LV1 CN LV1 · hist 3/300"."""
        if not self.known:
            return ""
        rights = " ".join(f"{m} {qr.name(self.rights[m])}" for m in qr.RIGHT_MARKETS)
        return f"{rights} · hist {self.history_used}/{self.history_quota}"

    # -- writing (the feed) ---------------------------------------------------------------

    def set_rights(self, hk: int, us: int, cn: int) -> bool:
        new = {"HK": _right(hk), "US": _right(us), "CN": _right(cn)}
        changed = new != self.rights
        self.rights = new
        self.known = True
        self.version += 1
        return changed

    def set_login(self, qot: bool, trd: bool, status: int | None = None, desc: str | None = None) -> None:
        self.qot_logined, self.trd_logined = bool(qot), bool(trd)
        if status is not None:
            self.program_status = status if 0 <= status <= 99 else 0
        if desc is not None:
            self.status_desc = clean_text(desc, 120)
        self.version += 1

    def set_history(self, used: int, remain: int, codes: list[str] | None = None) -> None:
        used, remain = _count(used), _count(remain)
        self.history_used, self.history_quota = used, used + remain
        if codes is not None:
            self.history_codes = set(codes)
        self.version += 1


def _right(value: int) -> int:
    return value if value in qr.NAMES else qr.UNKNOWN


def _count(value: int) -> int:
    return value if isinstance(value, int) and 0 <= value <= 10_000_000 else 0
