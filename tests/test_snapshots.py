"""Snapshot tests (pytest-textual-snapshot) of the library and study screens.

Deterministic: every test has its own PONDER_HOME (tests/conftest.py) and a frozen clock
(PONDER_FAKE_NOW), so the demo's "date added" does not move. Regenerate after an
intended change with `pytest tests/test_snapshots.py --snapshot-update` and look at the
SVGs in tests/__snapshots__/ before committing them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.library import Library
from core.models import Highlight, Segment, Source, Transcript
from tui.app import PonderApp

FAKE_NOW = "2026-03-10T12:00:00+00:00"
SIZES = [(100, 30), (80, 24)]


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PONDER_FAKE_NOW", FAKE_NOW)
    # A key, so the chat pane does not print the (temporary) config path; a dead local
    # address, so nothing could ever reach the network.
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-snapshot-never-used")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "http://127.0.0.1:9")


def _library_with_sources() -> Library:
    """The demo plus two more transcripts (one with a hostile title), one with highlights."""
    from core.demo import ensure_demo

    library = Library()
    ensure_demo(library)
    base = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    for days, (title, minutes) in enumerate(
        [("[bold]Lecture 7[/bold]: memory \x1b[31mconsolidation", 95), ("Short talk", 4)]
    ):
        segments = [
            Segment(f"Part {i} of {title}", i * 60.0, (i + 1) * 60.0) for i in range(minutes)
        ]
        source = Source(
            title=title, origin="/x.srt", kind="file", imported_at=base - timedelta(days=days)
        )
        result = library.add(Transcript(source, segments))
        if days == 0:
            library.add_highlight(Highlight(result.source_id, 1, 2))
    return library


@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
def test_library_first_run(snap_compare, size: tuple[int, int]) -> None:
    assert snap_compare(PonderApp(), terminal_size=size)


@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
def test_library_with_sources(snap_compare, size: tuple[int, int]) -> None:
    assert snap_compare(PonderApp(library=_library_with_sources()), terminal_size=size)


def test_library_filtered_and_sorted(snap_compare) -> None:
    app = PonderApp(library=_library_with_sources())
    assert snap_compare(
        app, press=["s", "s", "s", "s", "slash", "L", "e", "c"], terminal_size=(100, 30)
    )


def test_add_dialog(snap_compare) -> None:
    assert snap_compare(PonderApp(), press=["a"], terminal_size=(80, 24))


def test_delete_confirmation(snap_compare) -> None:
    app = PonderApp(library=_library_with_sources())
    assert snap_compare(app, press=["j", "d"], terminal_size=(80, 24))


@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
def test_study_screen_demo(snap_compare, size: tuple[int, int]) -> None:
    """Enter on the (selected) demo opens the study screen."""
    assert snap_compare(PonderApp(), press=["enter"], terminal_size=size)


def test_study_screen_search_and_selection(snap_compare) -> None:
    keys = ["enter", "slash", *"forgetting", "enter", "v", "j", "j"]
    assert snap_compare(PonderApp(), press=keys, terminal_size=(100, 30))


def test_study_screen_with_a_saved_answer(snap_compare) -> None:
    """A reopened conversation: paragraphs (one widget for the run, looking like separate
    paragraphs), a heading, a list, a citation link and the usage line."""
    from core.chat.models import Citation, Usage
    from core.chat.store import ConversationStore
    from core.demo import ensure_demo

    library = Library()
    source_id = ensure_demo(library)
    assert source_id is not None
    store = ConversationStore(library.conn)
    conversation = store.create(source_id)
    store.add_user_message(conversation.id, "What is the talk about?")
    store.mark_sent(conversation.id)
    answer = store.start_assistant_message(conversation.id, "claude-sonnet-5-5")
    text = (
        "The talk is about forgetting, and why it helps.\n\n"
        "Effortful recall makes a memory last longer than rereading does.\n\n"
        "## Three ideas\n\n- spacing\n- retrieval\n- interleaving\n\nThat is all."
    )
    cited = "Effortful recall makes a memory last longer"
    start = text.index(cited)
    citation = Citation(2, 3, cited, "00:00:21", start, start + len(cited))
    usage = Usage(input_tokens=1200, output_tokens=80, cache_read_tokens=1100)
    store.finish_assistant_message(answer.id, text=text, citations=[citation], usage=usage)
    assert snap_compare(PonderApp(library=library), press=["enter"], terminal_size=(120, 40))


def test_search_all_screen(snap_compare) -> None:
    """F from the library, a query typed: results from every transcript, matches marked."""

    async def results_shown(pilot) -> None:
        from tests.tui_helpers import wait_until
        from tui.screens.search_all import SearchAllScreen

        await pilot.press("F")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, SearchAllScreen))
        await pilot.press(*"memory")
        await wait_until(pilot, lambda: pilot.app.screen.query_shown == "memory")
        await pilot.pause()

    app = PonderApp(library=_library_with_sources())
    assert snap_compare(
        app,
        run_before=results_shown,
        terminal_size=(100, 30),
    )
