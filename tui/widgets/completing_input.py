"""An Input whose Tab accepts the completion it shows, and cycles when several match."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Input


def shared_prefix(texts: Sequence[str]) -> str:
    """The characters every text starts with (what a shell's Tab extends to)."""
    if not texts:
        return ""
    first, last = min(texts), max(texts)
    length = 0
    while length < min(len(first), len(last)) and first[length] == last[length]:
        length += 1
    return first[:length]


class CompletingInput(Input):
    """Tab accepts the completion shown (and otherwise moves on, as Tab does).

    Given `choices` (every completion of a value), Tab works as in a shell: one match is
    taken; several are extended to what they have in common, then each further Tab takes
    the next one. `Choices` tells the screen what matched, so it can show them.
    """

    BINDINGS: list[BindingType] = [
        Binding("tab", "complete", "Complete", show=False),
    ]

    class Choices(Message):
        """Several completions matched; `index` is the one now in the input (None: none
        yet, the input holds what they share)."""

        def __init__(self, field: CompletingInput, choices: list[str], index: int | None) -> None:
            super().__init__()
            self.field = field
            self.choices = choices
            self.index = index

        @property
        def control(self) -> CompletingInput:
            """For `@on(CompletingInput.Choices, "#id")`."""
            return self.field

    def __init__(
        self, *args: object, choices: Callable[[str], list[str]] | None = None, **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._choices = choices
        self._cycle: list[str] = []
        self._cycle_index = 0

    def _take(self, value: str) -> None:
        self.value = value
        self.cursor_position = len(value)

    def action_complete(self) -> None:
        if self._choices is not None and self._complete_from_choices():
            return
        if self._suggestion and self._suggestion != self.value:
            self._take(self._suggestion)
        else:
            self.screen.focus_next()

    def _complete_from_choices(self) -> bool:
        assert self._choices is not None
        if self._cycle and self.value == self._cycle[self._cycle_index]:
            self._cycle_index = (self._cycle_index + 1) % len(self._cycle)
            self._take(self._cycle[self._cycle_index])
            self.post_message(self.Choices(self, self._cycle, self._cycle_index))
            return True
        self._cycle = []
        matches = self._choices(self.value)
        if len(matches) < 2:
            return False  # one match is the suggestion shown; none: Tab moves on
        shared = shared_prefix(matches)
        if len(shared) > len(self.value):
            self._take(shared)
            self.post_message(self.Choices(self, matches, None))
        else:
            self._cycle, self._cycle_index = matches, 0
            self._take(matches[0])
            self.post_message(self.Choices(self, matches, 0))
        return True
