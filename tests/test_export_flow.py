"""The one ask-confirm-write-report flow behind the cards' and the study notes' exports.

Driven with a recording `write` so each step is seen: the path it gets (stripped, `~`
expanded), `force` only after "Overwrite", nothing for an empty answer or Esc, and one
notification for a success or a failure (and none for somebody else's worker).
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from textual.worker import Worker, WorkerState

from core.config import Config
from core.library import Library
from tests.tui_helpers import Notes, wait_until
from tui.app import PonderApp
from tui.export_flow import ask_path_then_write, report_written
from tui.screens.confirm import ConfirmScreen
from tui.screens.prompt import PromptScreen


class Recorder:
    """A `write` that records its calls (from the worker thread) and writes the file."""

    def __init__(self, fail: str | None = None) -> None:
        self.calls: list[tuple[str, bool]] = []
        self.fail = fail
        self.lock = threading.Lock()

    def __call__(self, path: str, force: bool) -> str:
        with self.lock:
            self.calls.append((path, force))
        if self.fail:
            raise OSError(self.fail)
        Path(path).write_text("written")
        return f"wrote {path}"


def _ask(app: PonderApp, write: Recorder, suggested: Path) -> None:
    ask_path_then_write(
        app,
        title="Write it to",
        suggested=suggested,
        hint="A test file",
        write=write,
        name="test-write",
        done_title="Done",
    )


async def _answer(app: PonderApp, pilot, text: str) -> None:
    await wait_until(pilot, lambda: isinstance(app.screen, PromptScreen) and app.screen.input)
    prompt = app.screen
    assert isinstance(prompt, PromptScreen)
    assert prompt.input.value  # the suggestion is filled in
    prompt.input.value = text
    await pilot.press("enter")


async def test_the_path_is_stripped_and_expanded_and_the_result_reported(
    library: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    app = PonderApp(library=library, config=Config())
    write = Recorder()
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        notes = Notes(app)
        _ask(app, write, tmp_path / "suggested.txt")
        await _answer(app, pilot, "  ~/out.txt ")
        out = tmp_path / "out.txt"
        await wait_until(pilot, lambda: f"wrote {out}" in notes.messages)
        await pilot.pause()  # any report still queued (once each state was taken as the end)
        assert notes.messages == [f"wrote {out}"]
        assert write.calls == [(str(out), False)]
        assert notes.calls[-1]["title"] == "Done" and notes.calls[-1]["markup"] is False


async def test_an_existing_file_is_overwritten_only_when_confirmed(
    library: Library, tmp_path: Path
) -> None:
    app = PonderApp(library=library, config=Config())
    out = tmp_path / "mine.txt"
    out.write_text("mine")
    write = Recorder()
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        notes = Notes(app)
        _ask(app, write, out)
        await _answer(app, pilot, str(out))
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("n")
        await wait_until(pilot, lambda: not isinstance(app.screen, ConfirmScreen))
        await pilot.pause()
        assert write.calls == [] and out.read_text() == "mine"

        _ask(app, write, out)
        await _answer(app, pilot, str(out))
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_until(pilot, lambda: out.read_text() == "written")
        assert write.calls == [(str(out), True)]
        await wait_until(pilot, lambda: f"wrote {out}" in notes.messages)


async def test_an_empty_answer_or_esc_writes_nothing(library: Library, tmp_path: Path) -> None:
    app = PonderApp(library=library, config=Config())
    write = Recorder()
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        _ask(app, write, tmp_path / "x.txt")
        await _answer(app, pilot, "   ")
        await wait_until(pilot, lambda: not isinstance(app.screen, PromptScreen))
        _ask(app, write, tmp_path / "x.txt")
        await wait_until(pilot, lambda: isinstance(app.screen, PromptScreen))
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, PromptScreen))
        await pilot.pause()
        assert write.calls == [] and not (tmp_path / "x.txt").exists()


async def test_a_failure_is_one_line_and_the_app_carries_on(
    library: Library, tmp_path: Path
) -> None:
    app = PonderApp(library=library, config=Config())
    write = Recorder(fail="The disk is full.\n\x1b[31mred")
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        notes = Notes(app)
        _ask(app, write, tmp_path / "x.txt")
        await _answer(app, pilot, str(tmp_path / "x.txt"))
        await wait_until(pilot, lambda: notes.errors)
        await pilot.pause()
        assert notes.calls[-1]["title"] == "Export failed"
        (error,) = notes.errors
        assert error.startswith("The disk is full.") and "\n" not in error and "\x1b" not in error
        assert app.is_running


async def test_other_workers_are_not_reported(library: Library) -> None:
    app = PonderApp(library=library, config=Config())
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        notes = Notes(app)
        worker = app.run_worker(lambda: "not ours", thread=True, name="test-write")
        await wait_until(pilot, lambda: worker.is_finished)
        assert report_written(app, Worker.StateChanged(worker, WorkerState.SUCCESS)) is False
        await pilot.pause()
        assert notes.messages == []
