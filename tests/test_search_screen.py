"""Pilot tests for Search all transcripts (F anywhere): results as you type, Enter opens."""

from __future__ import annotations

from core.library import Library
from core.models import Segment
from core.search import highlight_pattern
from tests.tui_helpers import Notes, add_transcript, screen_text, wait_until
from tui.app import PonderApp
from tui.screens.help import BindingCommands
from tui.screens.search_all import SearchAllScreen, snippet_content
from tui.screens.study import StudyScreen

SIZE = (100, 30)


def _library() -> tuple[Library, int, int]:
    library = Library()
    biology = add_transcript(
        library,
        [
            Segment("Plants make food from light.", 0.0, 10.0),
            Segment("Mitochondria are the powerhouse of the cell.", 10.0, 20.0),
            Segment("Nothing to see here.", 20.0, 30.0),
            Segment("The mitochondria again, twice: mitochondria.", 30.0, 40.0),
        ],
        title="Biology [bold]101[/]",
    )
    history = add_transcript(
        library,
        [Segment("Rome had no mitochondria to speak of.", 5.0, 9.0)],
        title="History",
    )
    return library, biology, history


async def _type(pilot, text: str) -> None:
    for char in text:
        await pilot.press("space" if char == " " else char)


async def test_results_as_you_type_and_enter_opens_at_the_segment_with_marks() -> None:
    library, biology, _history = _library()
    app = PonderApp(library=library)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        await pilot.press("F")
        await wait_until(pilot, lambda: isinstance(app.screen, SearchAllScreen))
        screen = app.screen
        await _type(pilot, "powerhouse")
        await wait_until(pilot, lambda: screen.query_shown == "powerhouse")
        assert [(h.source_id, h.segment) for h in screen.hits] == [(biology, 2)]
        text = screen_text(app)
        assert "Biology [bold]101[/]" in text  # a title is plain text, never markup
        assert "00:00:10 · ¶2" in text and "1 match, best first" in text

        # Typing on replaces the results (the older search's answer is dropped).
        for _ in "powerhouse":
            await pilot.press("backspace")
        await _type(pilot, "mitochondria")
        await wait_until(pilot, lambda: screen.query_shown == "mitochondria")
        assert len(screen.hits) == 3
        best = screen.hits[0]
        assert (best.source_id, best.segment) == (biology, 4)  # twice in one segment

        await pilot.press("down")  # the second result: Biology ¶2
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, StudyScreen))
        study = app.screen
        await wait_until(pilot, lambda: study.transcript_view.line_count)
        view = study.transcript_view
        second = screen.hits[1]
        assert view.cursor == second.segment - 1
        assert list(view.matches) == [1, 3]  # every match in this transcript is marked
        assert view.search_query == "mitochondria"
        await pilot.press("n")
        assert view.cursor == 3

        await pilot.press("q")  # back to the results
        await wait_until(pilot, lambda: app.screen is screen)
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, SearchAllScreen))


async def test_bad_queries_no_matches_and_deleted_transcripts() -> None:
    library, biology, history = _library()
    app = PonderApp(library=library)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        notes = Notes(app)
        app.action_search_all()
        await wait_until(pilot, lambda: isinstance(app.screen, SearchAllScreen))
        screen = app.screen
        await _type(pilot, '"(')  # nothing searchable: a one-line message
        await wait_until(pilot, lambda: screen.query_shown == '"(')
        assert "Nothing to search for" in screen_text(app)
        await pilot.press("enter")
        assert any("Nothing to open" in m for m in notes.messages)
        await pilot.press("backspace", "backspace")
        await _type(pilot, "zebra")
        await wait_until(pilot, lambda: screen.query_shown == "zebra")
        assert "No matches for zebra" in screen_text(app)

        for _ in "zebra":
            await pilot.press("backspace")
        await _type(pilot, "rome")
        await wait_until(pilot, lambda: screen.query_shown == "rome")
        assert [h.source_id for h in screen.hits] == [history]
        library.remove(history)  # deleted meanwhile: opening it says so, nothing breaks
        await pilot.press("enter")
        await wait_until(
            pilot, lambda: any("no longer in the library" in m for m in notes.messages)
        )
        await wait_until(pilot, lambda: screen.hits == [])
        assert isinstance(app.screen, SearchAllScreen)
        assert biology


async def test_search_all_from_the_study_screen_and_in_help() -> None:
    library, biology, _history = _library()
    app = PonderApp(library=library)
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(StudyScreen(biology))
        await wait_until(pilot, lambda: isinstance(app.screen, StudyScreen))
        await pilot.pause()
        palette = BindingCommands(app.screen)  # the study screen's palette provider
        assert "Search all transcripts" in {name for name, *_ in palette._commands()}
        await pilot.press("F")
        await wait_until(pilot, lambda: isinstance(app.screen, SearchAllScreen))
        assert app.check_action("search_all", ()) is False  # already here
        app.action_help()  # ? types into the box here; the palette's "Keys" opens it too
        await wait_until(pilot, lambda: "search_all.open" in getattr(app.screen, "text", ""))
        assert "app.search_all" not in app.screen.text  # hidden while it is open


def test_snippet_marks_and_highlight_pattern() -> None:
    content = snippet_content("a \ue000[b]\ue001 c\x1b[31m")
    assert content.plain == "a [b] c␛[31m"
    assert [span.style for span in content.spans] == ["bold $accent"]
    pattern = highlight_pattern('entropy "closed system" photo*')
    assert pattern is not None
    found = pattern.findall("Entropy in a closed  system; photosynthesis, entropyx")
    assert found == ["Entropy", "closed  system", "photosynthesis"]
    assert highlight_pattern('"(') is None


async def test_from_a_collection_shown_in_the_library_search_only_it() -> None:
    from core import collections
    from tui.screens.library import LibraryScreen

    library, biology, history = _library()
    course = collections.create(library, "History only")
    collections.add_source(library, course.id, history)
    app = PonderApp(library=library)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = app.screen
        assert isinstance(screen, LibraryScreen)
        screen.show_collection(collections.get(library, course.id))
        await pilot.pause()
        await pilot.press("F")
        await wait_until(pilot, lambda: isinstance(app.screen, SearchAllScreen))
        search_screen = app.screen
        assert "History only" in search_screen.sub_title
        await _type(pilot, "mitochondria")
        await wait_until(pilot, lambda: search_screen.query_shown == "mitochondria")
        assert [h.source_id for h in search_screen.hits] == [history]
        await pilot.press("ctrl+t")  # everywhere
        await wait_until(pilot, lambda: len(search_screen.hits) == 3)
        assert search_screen.sub_title == "" and biology in {
            h.source_id for h in search_screen.hits
        }


async def test_a_capped_ranking_and_a_short_prefix_say_so(monkeypatch) -> None:
    import core.search
    import tui.screens.search_all

    monkeypatch.setattr(core.search, "RANK_CAP", 2)
    monkeypatch.setattr(tui.screens.search_all, "RANK_CAP", 2)
    library, _biology, _history = _library()
    app = PonderApp(library=library)
    async with app.run_test(size=SIZE) as pilot:
        app.action_search_all()
        await wait_until(pilot, lambda: isinstance(app.screen, SearchAllScreen))
        screen = app.screen
        await _type(pilot, "mitochondria")  # 3 segments hold it: only the newest 2 ranked
        await wait_until(pilot, lambda: screen.query_shown == "mitochondria")
        assert len(screen.hits) == 2
        assert "best of the newest 2 (a word more narrows it)" in screen_text(app)
        for _ in "mitochondria":
            await pilot.press("backspace")
        await _type(pilot, "mi*")
        await wait_until(pilot, lambda: screen.query_shown == "mi*")
        assert "mi* is too short a prefix" in screen_text(app) and screen.hits == []
