"""Pilot tests for collections in the library screen: C, +, c, - and Esc, help and palette."""

from __future__ import annotations

from core import collections
from core.library import Library
from tests.tui_helpers import Notes, add_transcript, make_segments, screen_text, wait_until
from tui.app import PonderApp
from tui.screens.choice import ChoiceScreen
from tui.screens.help import HelpScreen
from tui.screens.library import COLLECTION_KEY, LibraryScreen
from tui.screens.prompt import PromptScreen

SIZE = (100, 30)


def _library() -> tuple[Library, list[int]]:
    library = Library()
    ids = [
        add_transcript(library, make_segments(3, words=i + 1), title=f"Lecture {i}")
        for i in range(3)
    ]
    return library, ids


async def _type(pilot, text: str) -> None:
    for char in text:
        await pilot.press("space" if char == " " else char)


async def test_make_a_collection_add_and_filter_by_it() -> None:
    library, ids = _library()
    app = PonderApp(library=library)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        notes = Notes(app)
        screen = app.screen
        assert isinstance(screen, LibraryScreen)
        await wait_until(pilot, lambda: len(screen.shown_ids) == 4)  # with the demo
        screen.reload(select=ids[0])
        await pilot.pause()

        # C: a new collection, with the selected transcript in it.
        await pilot.press("C")
        await wait_until(pilot, lambda: isinstance(app.screen, PromptScreen))
        await _type(pilot, "Physics")
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen is screen)
        physics = collections.find(library, "physics")
        assert physics is not None and physics.source_ids == (ids[0],)
        assert any("Added “Lecture 0” to “Physics”" in m for m in notes.messages)

        # +: the selected transcript into an existing collection (picked from a list).
        screen.reload(select=ids[2])
        await pilot.pause()
        await pilot.press("plus")
        await wait_until(pilot, lambda: isinstance(app.screen, ChoiceScreen))
        assert app.screen.labels == ["Physics  (1)", "New collection…"]
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen is screen)
        assert collections.find(library, "Physics").source_ids == (ids[0], ids[2])

        # c: show only that collection; the status line says so; it survives a restart.
        await pilot.press("c")
        await wait_until(pilot, lambda: isinstance(app.screen, ChoiceScreen))
        assert app.screen.labels == ["All transcripts", "Physics  (2)"]
        await pilot.press("j", "enter")
        await wait_until(pilot, lambda: set(screen.shown_ids) == {ids[0], ids[2]})
        assert screen.collection is not None and screen.collection.name == "Physics"
        status = str(screen.query_one("#library-status").render())
        assert "2 of 4 transcripts in “Physics”" in status
        assert library.get_state(COLLECTION_KEY) == str(physics.id)

        # -: take the selected one out; it stays in the library.
        screen.reload(select=ids[2])
        await pilot.pause()
        await pilot.press("minus")
        await wait_until(pilot, lambda: screen.shown_ids == [ids[0]])
        assert library.source(ids[2]) is not None

        # Esc (no typed filter): every transcript again.
        await pilot.press("escape")
        await wait_until(pilot, lambda: len(screen.shown_ids) == 4)
        assert screen.collection is None and library.get_state(COLLECTION_KEY) == ""


async def test_collection_filter_is_restored_and_new_from_plus() -> None:
    library, ids = _library()
    course = collections.create(library, "Course")
    collections.add_source(library, course.id, ids[1])
    library.set_state(COLLECTION_KEY, str(course.id))
    app = PonderApp(library=library)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = app.screen
        await wait_until(pilot, lambda: screen.shown_ids == [ids[1]])
        # + then "New collection…" then a name: made and the transcript added.
        await pilot.press("plus")
        await wait_until(pilot, lambda: isinstance(app.screen, ChoiceScreen))
        await pilot.press("j", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, PromptScreen))
        await _type(pilot, "course")  # taken: the dialog stays open with an error
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, PromptScreen)
        assert "already a collection" in str(app.screen.query_one("#prompt-error").render())
        await _type(pilot, " two")
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen is screen)
        assert collections.find(library, "course two").source_ids == (ids[1],)


async def test_collection_keys_without_collections_explain_themselves() -> None:
    library, _ids = _library()
    app = PonderApp(library=library)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        notes = Notes(app)
        await pilot.pause()
        await pilot.press("c")
        await pilot.press("minus")
        await pilot.pause()
        assert isinstance(app.screen, LibraryScreen)
        assert any("No collections yet" in m for m in notes.messages)
        assert any("Show a collection first" in m for m in notes.messages)


async def test_collection_keys_are_in_help_and_palette() -> None:
    app = PonderApp(library=Library())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        commands = {command.title for command in app.get_system_commands(app.screen)}
        for name in ("Show a collection", "New collection", "Add to a collection"):
            assert name in commands
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        text = app.screen.text
        for binding_id in (
            "library.collection",
            "library.new_collection",
            "library.add_to_collection",
            "library.remove_from_collection",
        ):
            assert binding_id in text


async def test_hostile_titles_and_names_are_plain_text_in_the_dialogs() -> None:
    library = Library()
    source_id = add_transcript(library, make_segments(2), title="stray [/] and [bold]x[/bold]")
    collections.create(library, "[@click=app.quit]name[/]")
    app = PonderApp(library=library)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = app.screen
        await wait_until(pilot, lambda: source_id in screen.shown_ids)
        screen.reload(select=source_id)
        await pilot.pause()
        await pilot.press("plus")
        await wait_until(pilot, lambda: isinstance(app.screen, ChoiceScreen))
        await pilot.pause()
        text = screen_text(app)
        assert "stray [/] and [bold]x[/bold]" in text
        assert "[@click=app.quit]name[/]" in text
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen is screen)
        assert collections.collections(library)[0].source_ids == (source_id,)
