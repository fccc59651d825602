"""The library's `a` dialog with an audio file: the real tiny.en model, progress in the
dialog while the app keeps answering, Esc stops the transcription and stores nothing."""

from __future__ import annotations

import threading
import time
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Static

import core.transcription as transcription
from core.config import Config
from core.library import Library
from tests.test_transcription import AUDIO, MODEL
from tests.tui_helpers import Notes, wait_until
from tui.app import PonderApp
from tui.screens.add_source import AddSourceScreen
from tui.screens.library import LibraryScreen

SIZE = (100, 30)


async def open_add(app: PonderApp, pilot: Pilot) -> AddSourceScreen:
    await wait_until(pilot, lambda: isinstance(app.screen, LibraryScreen))
    await pilot.press("a")
    await wait_until(pilot, lambda: isinstance(app.screen, AddSourceScreen))
    screen = app.screen
    assert isinstance(screen, AddSourceScreen)
    return screen


def progress_label(screen: AddSourceScreen) -> str:
    label = screen.query_one("#add-progress-label", Static)
    return str(label.render())


def added(library: Library) -> list[str]:
    """The titles in the library besides the demo (seeded when the app starts)."""
    return sorted(source.title for source in library.sources() if source.kind != "demo")


async def test_adding_an_audio_file_shows_progress_and_stays_responsive(
    library: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With `whisper_model = "tiny.en"` not yet cached: the first use "downloads" it (the
    tiny.en folder copied in place of the hub) and the dialog says where it is cached."""
    import shutil

    import faster_whisper.utils

    cache = tmp_path / "hub" / "models--Systran--faster-whisper-tiny.en" / "snapshots" / "c0"
    # The worker waits at two points until the test has seen the dialog say so: a fast
    # machine would otherwise finish between two looks.
    loading_seen, bar_seen = threading.Event(), threading.Event()
    real = transcription.transcribe

    def download_model(name: str, local_files_only: bool = False, **_: object) -> str:
        loading_seen.wait(60)
        if not cache.exists():
            if local_files_only:
                raise RuntimeError("not in the cache")
            shutil.copytree(MODEL, cache)
        return str(cache)

    def held(*args: Any, on_progress: Any = None, **kwargs: Any) -> Any:
        def progress(done: float, total: float) -> None:
            on_progress(done, total)
            bar_seen.wait(60)

        return real(*args, on_progress=progress, **kwargs)

    monkeypatch.setattr(faster_whisper.utils, "download_model", download_model)
    monkeypatch.setattr(transcription, "transcribe", held)
    media = tmp_path / "cell biology.mp3"
    media.write_bytes((AUDIO / "speech.mp3").read_bytes())
    app = PonderApp(library=library, config=Config(whisper_model="tiny.en"))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        notes = Notes(app)
        screen = await open_add(app, pilot)
        screen.query_one("#add-input", Input).value = str(media)
        await pilot.press("enter")
        seen: list[str] = []
        ticks: list[float] = []

        def finished() -> bool:
            ticks.append(time.monotonic())
            if isinstance(app.screen, AddSourceScreen):
                seen.append(progress_label(app.screen))
                if seen[-1].startswith("Transcribing on this computer"):
                    loading_seen.set()
                if seen[-1].startswith("Transcribing ["):
                    bar_seen.set()
            return isinstance(app.screen, LibraryScreen)

        await wait_until(pilot, finished, timeout=180)
        assert seen[0].startswith("Transcribing on this computer")
        bars = [line for line in seen if line.startswith("Transcribing [")]
        assert bars, seen
        assert any("/ 0:00:08" in line for line in bars)  # audio time done / total
        # The app kept answering: the UI loop ran the check again and again while it
        # worked, never waiting long (how many times depends on how fast the machine is).
        gaps = [later - earlier for earlier, later in pairwise(ticks)]
        assert len(ticks) > 2 and max(gaps) < 3.0, max(gaps)
        (added,) = [s for s in library.sources() if s.kind != "demo"]
        assert added.title == "cell biology" and added.media_path == str(media.resolve())
        assert notes.messages[-1] == "Added: cell biology"
        assert f"downloaded whisper model tiny.en (first use); it is cached in {cache}" in (
            notes.messages
        )
        text = " ".join(segment.text for segment in library.segments(added.id)).lower()
        assert "powerhouse" in text


async def test_escape_stops_the_transcription_and_stores_nothing(
    library: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real transcriber, held after its first segment until Esc has been pressed."""
    gate = threading.Event()
    outcome: list[str] = []
    real = transcription.transcribe

    def held(*args: Any, on_progress: Any = None, **kwargs: Any) -> Any:
        def progress(done: float, total: float) -> None:
            on_progress(done, total)
            gate.wait(60)

        try:
            result = real(*args, on_progress=progress, **kwargs)
        except transcription.Cancelled:
            outcome.append("cancelled")
            raise
        outcome.append("finished")
        return result

    monkeypatch.setattr(transcription, "transcribe", held)
    app = PonderApp(library=library, config=Config(whisper_model=MODEL))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        notes = Notes(app)
        screen = await open_add(app, pilot)
        screen.query_one("#add-input", Input).value = str(AUDIO / "speech.mp3")
        await pilot.press("enter")
        await wait_until(
            pilot, lambda: progress_label(screen).startswith("Transcribing ["), timeout=180
        )
        await pilot.press("escape")
        assert not screen.busy
        assert notes.messages[-1] == "Import cancelled; nothing was added."
        gate.set()
        await wait_until(pilot, lambda: bool(outcome), timeout=60)
        assert outcome == ["cancelled"]  # it stopped at the next segment, not at the end
        await pilot.pause(0.2)
        assert app.screen is screen and not screen.query_one("#add-input", Input).disabled
    assert added(library) == []
