"""The App's side of the quote detail (`d`): a mixin of FutuTui, like HoursActions."""

from __future__ import annotations

from workstation.detail_reads import DetailReads


class DetailActions:
    """Mixed into FutuTui (workstation/app.py)."""

    _detail_reads: DetailReads | None = None

    @property
    def detail_reads(self) -> DetailReads:
        """One reader for the session: its rate-limit share outlives each opening of the screen."""
        if self._detail_reads is None:
            self._detail_reads = DetailReads(lambda: self.feed.client)  # type: ignore[attr-defined]
        return self._detail_reads

    def action_detail(self) -> None:
        from workstation.screens.detail import QuoteDetail  # here: plotext is not a start-up import

        code = self.focus_code  # type: ignore[attr-defined]
        if code:
            self.push_screen(QuoteDetail(code, self.store, self.detail_reads))  # type: ignore[attr-defined]
