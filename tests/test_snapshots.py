"""Snapshot tests (pytest-textual-snapshot) of the library, study, review, browse, card
editor, stats, settings and quiz screens.

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


# -- cards: review, browse, the card editor, stats, settings, the quiz --------------------------


def _library_with_cards() -> Library:
    """The demo and four cards in one deck, two of them reviewed a few days before FAKE_NOW."""
    from core.demo import ensure_demo
    from decks.repository import CardStore

    library = Library()
    ensure_demo(library)
    store = CardStore(library.conn)
    cards = [
        ("Who measured forgetting in 1885?", "Hermann Ebbinghaus"),
        ("What beats rereading?", "Retrieval practice: recalling without looking"),
        ("Why space reviews out?", "Forgetting a little makes the next recall count more"),
        ("What does sleep do for memory?", "It consolidates what was learned that day"),
    ]
    for front, back in cards:
        store.create_note("basic", front, back, deck="Memory", tags=["talk"])
    return library


@pytest.fixture
def utc(monkeypatch: pytest.MonkeyPatch):
    """Local time = UTC: study days (4 am rollover) fall the same on every machine."""
    import time

    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def unfuzzed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Intervals on the rating buttons without py-fsrs's random fuzz."""
    from dataclasses import replace

    from decks.scheduling import SchedulerSettings

    original = SchedulerSettings.scheduler
    monkeypatch.setattr(
        SchedulerSettings, "scheduler", lambda self: original(replace(self, enable_fuzzing=False))
    )


def _on(screen_name: str, then: list[str] | None = None, ready=None):
    """run_before: wait for `screen_name` (and `ready(screen)`), press `then`, settle."""

    async def run_before(pilot) -> None:
        from tests.tui_helpers import wait_until

        await wait_until(pilot, lambda: type(pilot.app.screen).__name__ == screen_name)
        if ready is not None:
            await wait_until(pilot, lambda: ready(pilot.app.screen))
        if then:
            await pilot.press(*then)
        # A blinking cursor is on or off depending on when the picture is taken: keep it on.
        from textual.widgets import Input, TextArea

        for widget in pilot.app.screen.query(TextArea).results():
            widget.cursor_blink = False
        for widget in pilot.app.screen.query(Input).results():
            widget.cursor_blink = False
        await pilot.pause()
        await pilot.pause()

    return run_before


def test_review_screen_question(snap_compare, unfuzzed) -> None:
    async def run_before(pilot) -> None:
        await pilot.press("r")
        await _on("ReviewScreen")(pilot)

    app = PonderApp(library=_library_with_cards())
    assert snap_compare(app, run_before=run_before, terminal_size=(100, 30))


def test_review_screen_answer_shown(snap_compare, unfuzzed) -> None:
    """The answer side: the back and the four ratings with their (unfuzzed) intervals."""

    async def reveal(pilot) -> None:
        from tests.tui_helpers import wait_until

        await pilot.press("r")
        await wait_until(pilot, lambda: type(pilot.app.screen).__name__ == "ReviewScreen")
        await pilot.pause()
        await pilot.press("space")
        await pilot.pause()

    app = PonderApp(library=_library_with_cards())
    assert snap_compare(app, run_before=reveal, terminal_size=(100, 30))


def test_browse_screen(snap_compare) -> None:
    async def run_before(pilot) -> None:
        await pilot.press("B")
        await _on("BrowseScreen", ready=lambda screen: screen.total == 4)(pilot)

    app = PonderApp(library=_library_with_cards())
    assert snap_compare(app, run_before=run_before, terminal_size=(100, 30))


def test_card_editor(snap_compare) -> None:
    async def run_before(pilot) -> None:
        await pilot.press("B")
        await _on("BrowseScreen", ready=lambda screen: screen.total == 4)(pilot)
        await pilot.press("e")
        await _on("CardEditorScreen", ready=lambda screen: screen.front_area.has_focus)(pilot)

    app = PonderApp(library=_library_with_cards())
    assert snap_compare(app, run_before=run_before, terminal_size=(100, 30))


def test_stats_screen(snap_compare, unfuzzed, utc, monkeypatch: pytest.MonkeyPatch) -> None:
    """Stats after two study days (answers at fixed times and durations)."""
    from dataclasses import replace
    from itertools import count

    import decks.stats
    from core.config import Config
    from decks.repository import CardStore
    from decks.review import ReviewSession

    real = decks.stats.compute_stats
    # The time it took is the one figure that moves: fixed here.
    monkeypatch.setattr(
        decks.stats, "compute_stats", lambda *a, **k: replace(real(*a, **k), query_ms=12.0)
    )
    library = _library_with_cards()
    store = CardStore(library.conn)
    ticks = count(0, 6)  # each answer took 6 s
    for days_ago, ratings in ((3, [3, 4, 3, 1]), (1, [3, 3])):
        moment = datetime.fromisoformat(FAKE_NOW) - timedelta(days=days_ago)
        session = ReviewSession(
            store, config=Config(), now=lambda m=moment: m, timer=lambda: float(next(ticks))
        )
        for rating in ratings:
            if session.next_card() is None:
                break
            session.reveal()
            session.answer(rating)

    async def run_before(pilot) -> None:
        await pilot.press("S")
        await _on("StatsScreen", ready=lambda screen: screen.loaded)(pilot)

    app = PonderApp(library=library)
    assert snap_compare(app, run_before=run_before, terminal_size=(100, 30))


def test_settings_screen(snap_compare, monkeypatch: pytest.MonkeyPatch) -> None:
    from pathlib import Path

    import tui.screens.settings as settings_module

    # The config file's real path is a temporary folder: show a fixed one.
    fixed = Path("/home/learner/.config/ponder/config.toml")
    monkeypatch.setattr(settings_module, "config_path", lambda: fixed)

    async def run_before(pilot) -> None:
        await pilot.press("comma")
        await _on("SettingsScreen")(pilot)

    assert snap_compare(PonderApp(), run_before=run_before, terminal_size=(100, 30))


def test_quiz_screen_question(snap_compare, fake_claude, monkeypatch: pytest.MonkeyPatch) -> None:
    """Q on the study screen: Claude's question (from the fake server) and the answer box."""
    from tests.fake_claude import Reply
    from tui import claude

    monkeypatch.setattr(claude, "CLIENT_OPTIONS", {"max_retries": 0, "timeout": 5.0})
    fake_claude.queue(
        Reply.json(
            {
                "question": "Why does forgetting a little make the next recall stronger?",
                "answer": "Effortful retrieval strengthens the memory more.",
                "sources": ["00:00:21"],
            }
        )
    )

    async def run_before(pilot) -> None:
        await pilot.press("enter")
        await _on("StudyScreen")(pilot)
        await pilot.press("Q")
        await _on("QuizScreen", ready=lambda screen: screen.phase == "answer")(pilot)

    assert snap_compare(PonderApp(), run_before=run_before, terminal_size=(100, 30))


def test_collection_chat_with_an_included_passage(snap_compare) -> None:
    """ctrl+f in a collection's chat, a search, Enter: the passage shown above the input
    with its transcript's title and time, the footer listing ctrl+f."""
    from core import collections

    library = Library()
    talks = []
    for title, texts in (
        ("Lecture 1", ["Heat is energy in transit.", "Work is energy too."]),
        ("Lecture 2", ["Entropy never decreases.", "Boltzmann wrote it on his tombstone."]),
    ):
        segments = [Segment(text, i * 10.0, (i + 1) * 10.0) for i, text in enumerate(texts)]
        talks.append(library.add(Transcript(Source(title=title, origin=title), segments)))
    thermo = collections.create(library, "Thermodynamics")
    for talk in talks:
        collections.add_source(library, thermo.id, talk.source_id)

    async def run_before(pilot) -> None:
        from tests.tui_helpers import wait_until
        from tui.screens.collection_chat import CollectionChatScreen

        pilot.app.push_screen(CollectionChatScreen(thermo.id))
        await _on("CollectionChatScreen", ready=lambda s: s.pane.input.is_mounted)(pilot)
        await pilot.press("ctrl+f")
        await _on("PickPassageScreen")(pilot)
        await pilot.press(*"tombstone")
        await wait_until(pilot, lambda: pilot.app.screen.hits)
        await pilot.press("enter")
        await _on("CollectionChatScreen", ready=lambda s: s.pane.pending_focus)(pilot)

    app = PonderApp(library=library)
    assert snap_compare(app, run_before=run_before, terminal_size=(100, 30))
