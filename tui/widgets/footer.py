"""The footer every Ponder screen shows."""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer


class CoalescingFooter(Footer):
    """A Footer that rebuilds once per refresh, and only when the keys it shows change.

    Each `refresh_bindings()` (a focus change, a pane starting or ending a chat answer, a
    cursor move) makes the stock Footer remove and mount all its keys again, and lay the
    screen out again. Measured: that was a third of the browse screen's opening time,
    and three rebuilds in the first 50 ms of a streamed chat answer.
    """

    _ponder_rebuild_pending = False
    _ponder_shown: tuple[object, ...] | None = None

    def bindings_changed(self, screen: Screen) -> None:
        if self._ponder_rebuild_pending:
            return
        self._ponder_rebuild_pending = True
        self.call_after_refresh(self._ponder_rebuild, screen)

    def _ponder_rebuild(self, screen: Screen) -> None:
        self._ponder_rebuild_pending = False
        if not self.is_attached or screen is not self.screen or not screen.is_mounted:
            return
        shown = tuple(
            (key, active.binding.action, active.binding.description, active.enabled)
            for key, active in screen.active_bindings.items()
            if active.binding.show
        )
        if shown == self._ponder_shown:
            return
        self._ponder_shown = shown
        super().bindings_changed(screen)
