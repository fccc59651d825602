"""The feature screens see the study screen as `StudyHost`; StudyScreen must satisfy it.

The protocol is what broke the study <-> card editor / proposals / quiz / notes export
import cycle (tests/test_boundaries.py); this keeps it and the screen from drifting apart.
"""

from __future__ import annotations

import inspect

from textual.app import App

from core.library import Library
from core.models import Transcript
from tests.protocols import assert_same_signatures, assert_values_typed
from tests.tui_helpers import add_transcript, make_segments, wait_until
from tui.app import PonderApp
from tui.screens.study import StudyScreen
from tui.screens.study_host import StudyHost
from tui.widgets.transcript_view import TranscriptView

# The protocol's properties and the type each value must have on a live study screen.
PROPERTIES = {
    "app": App,
    "source_id": int,
    "current_transcript": Transcript,
    "transcript_view": TranscriptView,
}


def _members(protocol: type) -> tuple[set[str], set[str]]:
    """The protocol's property names and method names."""
    own = {name: value for name, value in vars(protocol).items() if not name.startswith("_")}
    properties = {name for name, value in own.items() if isinstance(value, property)}
    methods = {name for name, value in own.items() if inspect.isfunction(value)}
    return properties, methods


async def test_the_study_screen_satisfies_the_study_host_protocol(library: Library) -> None:
    properties, methods = _members(StudyHost)
    assert properties == set(PROPERTIES)  # a new member needs its type here
    assert methods == {"jump_to_segment"}
    source_id = add_transcript(library, make_segments(8))
    app = PonderApp(library=library)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = StudyScreen(source_id)
        app.push_screen(screen)
        await wait_until(pilot, lambda: app.screen is screen and screen.transcript_view.line_count)
        assert_values_typed(screen, PROPERTIES)
        assert_same_signatures(StudyHost, StudyScreen, methods)


def test_the_member_scan_can_fail() -> None:
    class Probe:
        @property
        def extra(self) -> int:
            return 1

        def method(self) -> None: ...

    assert _members(Probe) == ({"extra"}, {"method"})
