"""The quiz screen (being written): `open_quiz(study_screen)` is what `Q` calls."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tui.screens.study import StudyScreen


def open_quiz(screen: StudyScreen) -> None:
    screen.notify("The quiz arrives shortly.", markup=False)
