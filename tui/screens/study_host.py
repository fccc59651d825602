"""What the feature screens opened from the study screen need from it.

`c` (card editor), `C` (proposals), `Q` (quiz) and `E` (study notes) start from the
transcript that is open and the passage selected in it, and the quiz jumps back to a
cited segment. They see the study screen through `StudyHost`, never as `StudyScreen`, so
they need not import it (the study screen imports them: that was an import cycle) and
cannot come to depend on its private state. tests/test_study_host.py checks that
`StudyScreen` satisfies the protocol.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from textual.app import App

    from core.models import Transcript
    from tui.widgets.transcript_view import TranscriptView


class StudyHost(Protocol):
    """The open transcript, its view (cursor, selection, highlights) and the way back."""

    @property
    def app(self) -> App[Any]:
        """The running app (to push the feature's screen, notify, reach the library)."""
        ...

    @property
    def source_id(self) -> int:
        """The library id of the open transcript."""
        ...

    @property
    def current_transcript(self) -> Transcript | None:
        """The open transcript; None when it is no longer in the library."""
        ...

    @property
    def transcript_view(self) -> TranscriptView:
        """The transcript widget: the cursor, the selection and the highlights."""
        ...

    def jump_to_segment(self, index: int, flash: bool = True) -> None:
        """Show segment `index` with the cursor on it (a quiz citation leads back here)."""
        ...


__all__ = ["StudyHost"]
