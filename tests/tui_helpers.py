"""Helpers for Pilot tests of the Textual app (import from tests.tui_helpers)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual.app import App
from textual.pilot import Pilot

from core.library import Library
from core.models import Segment, Source, Transcript

if TYPE_CHECKING:
    from tui.screens.study import StudyScreen


async def wait_until(
    pilot: Pilot, predicate: Callable[[], object], timeout: float = 20.0, interval: float = 0.02
) -> None:
    """Let the app run until `predicate()` is truthy; fail with its name after `timeout` s.

    Better than a bare `pilot.pause()` for workers, timers and screens that mount later.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            if predicate():
                return
        except Exception:  # not there yet (e.g. a query before the screen mounted)
            pass
        if time.monotonic() > deadline:
            name = getattr(predicate, "__name__", repr(predicate))
            raise AssertionError(f"wait_until: {name} still false after {timeout} s")
        await pilot.pause(interval)


def send_burst(app: App, keys: Sequence[tuple[str, str | None]]) -> None:
    """Queue key events without waiting between them, as a fast typist or a paste does
    (Pilot.press lets the app go idle after every key). Pairs are (key, character)."""
    from textual import events

    driver = app._driver
    assert driver is not None
    for key, character in keys:
        event = events.Key(key, character)
        event.set_sender(app)
        driver.send_message(event)


async def type_into_focused_input(pilot: Pilot, text: str, *, enter: bool = True) -> None:
    """Wait until the active screen's text box has focus, then type `text` in one burst
    (and Enter). A screen is on the stack before its input is mounted and focused: keys
    sent in between would go elsewhere on a slow machine."""
    from textual.widgets import Input, TextArea

    app = pilot.app

    def ready() -> bool:
        focused = app.focused
        return isinstance(focused, Input | TextArea) and focused.screen is app.screen

    await wait_until(pilot, ready)
    from textual.keys import _character_to_key

    send_burst(app, [(_character_to_key(c), c) for c in text])
    if enter:
        send_burst(app, [("enter", None)])


def make_segments(
    count: int,
    *,
    timed: bool = True,
    step: float = 3.0,
    words: int = 12,
    speakers: Sequence[str | None] = (None,),
) -> list[Segment]:
    """Numbered, easily searchable segments: `seg 7 alpha beta ...`."""
    vocabulary = [
        "alpha",
        "beta",
        "gamma",
        "delta",
        "epsilon",
        "zeta",
        "eta",
        "theta",
        "iota",
        "kappa",
        "lambda",
        "mu",
    ]
    segments = []
    for index in range(count):
        text = " ".join([f"seg {index}", *(vocabulary[(index + k) % 12] for k in range(words))])
        start = index * step if timed else None
        end = (index + 1) * step if timed else None
        speaker = speakers[(index // 3) % len(speakers)]
        segments.append(Segment(text, start, end, speaker))
    return segments


def add_transcript(
    library: Library,
    segments: list[Segment],
    *,
    title: str = "Test talk",
    kind: str = "file",
    video_id: str | None = None,
    media_path: str | None = None,
) -> int:
    """Store a transcript and return its source id."""
    source = Source(
        title=title, origin="tests", kind=kind, video_id=video_id, media_path=media_path
    )
    return library.add(Transcript(source, segments)).source_id


def screen_text(app: App) -> str:
    """What the terminal shows right now, as plain text (one line per row)."""
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(segment.text for segment in strip) for strip in strips)


def notifications(app: App) -> list[str]:
    """The messages of the toasts shown so far (the app runs with notifications=True)."""
    return [str(notification.message) for notification in app._notifications]


class Notes:
    """Records app.notify calls (message, severity, markup...) while still showing them."""

    def __init__(self, app: App) -> None:
        self.calls: list[dict[str, Any]] = []
        original = app.notify

        def notify(message: str, **kwargs: Any) -> None:
            self.calls.append({"message": message, **kwargs})
            original(message, **kwargs)

        app.notify = notify  # type: ignore[method-assign]

    @property
    def messages(self) -> list[str]:
        return [call["message"] for call in self.calls]

    @property
    def errors(self) -> list[str]:
        return [call["message"] for call in self.calls if call.get("severity") == "error"]


@asynccontextmanager
async def study_screen(
    segments: list[Segment] | None = None,
    *,
    size: tuple[int, int] = (100, 30),
    library: Library | None = None,
    source_id: int | None = None,
    **source: Any,
) -> AsyncIterator[tuple[Any, Pilot, StudyScreen, Library, int]]:
    """The app on the study screen of a transcript (40 made-up segments by default), its
    lines laid out: (app, pilot, screen, library, source_id)."""
    from tui.app import PonderApp
    from tui.screens.study import StudyScreen

    library = library if library is not None else Library()
    if source_id is None:
        source_id = add_transcript(library, segments or make_segments(40), **source)
    app = PonderApp(library=library)
    async with app.run_test(size=size, notifications=True) as pilot:
        screen = StudyScreen(source_id)
        app.push_screen(screen)
        await wait_until(pilot, lambda: app.screen is screen and screen.transcript_view.line_count)
        await pilot.pause()
        yield app, pilot, screen, library, source_id


@dataclass
class Driven:
    """An app under Pilot in a test: what its screen shows, and the notifications so far.
    Test sessions subclass it and add their own fields after `app` and `pilot`."""

    app: Any
    pilot: Pilot

    def text(self) -> str:
        return screen_text(self.app)

    def notes(self) -> list[str]:
        return notifications(self.app)
