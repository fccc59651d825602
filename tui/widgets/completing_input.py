"""An Input whose Tab accepts the completion it shows."""

from __future__ import annotations

from textual.binding import Binding, BindingType
from textual.widgets import Input


class CompletingInput(Input):
    """Tab accepts the completion shown (and otherwise moves on, as Tab does)."""

    BINDINGS: list[BindingType] = [
        Binding("tab", "complete", "Complete", show=False),
    ]

    def action_complete(self) -> None:
        if self._suggestion and self._suggestion != self.value:
            self.value = self._suggestion
            self.cursor_position = len(self.value)
        else:
            self.screen.focus_next()
