"""Cards proposed by Claude (`C` on the study screen) against the fake Messages API:
the request, accepting / editing / skipping, bad answers, no key, offline, cancelling;
and the parsing of model answers."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import pytest
from textual.keys import _character_to_key

from core.library import Library
from core.models import Segment, Source, Transcript
from decks.models import NoteKind
from decks.proposals import (
    MAX_PROPOSALS,
    Proposal,
    ProposalError,
    build_instruction,
    language_hint,
    parse_proposals,
    propose_cards,
)
from decks.repository import CardFilter, CardStore
from tests.fake_claude import FakeClaude, Reply
from tests.tui_helpers import (
    Driven,
    make_segments,
    send_burst,
    study_screen,
    wait_until,
)
from tui.screens.card_editor import CardEditorScreen
from tui.screens.proposals import ProposalsScreen, summary
from tui.screens.study import StudyScreen

THREE = [
    {"kind": "basic", "front": "What is seg 10 about?", "back": "alpha and beta"},
    {"kind": "reversed", "front": "gamma", "back": "the third letter"},
    {"kind": "cloze", "text": "seg 11 comes after {{c1::seg 10}}.", "back": ""},
]


@dataclass
class Session(Driven):
    study: StudyScreen
    library: Library
    source_id: int

    def saved(self) -> list:
        return CardStore(self.library.conn).search(CardFilter(), rollover_hour=4)


@asynccontextmanager
async def open_study(segments: list[Segment] | None = None) -> AsyncIterator[Session]:
    async with study_screen(segments, title="Test talk") as parts:
        yield Session(*parts)


async def propose_for(session: Session, first: int, last: int) -> None:
    view = session.study.transcript_view
    view.cursor = first
    await session.pilot.press("v", *["j"] * (last - first), "C")


def editor_on_top(session: Session) -> CardEditorScreen | None:
    screen = session.app.screen
    return screen if isinstance(screen, CardEditorScreen) else None


async def next_editor(session: Session, previous: object = None) -> CardEditorScreen:
    await wait_until(
        session.pilot,
        lambda: (
            editor_on_top(session) is not None
            and editor_on_top(session) is not previous
            and editor_on_top(session)._initial is not None
        ),
        timeout=15,
    )
    editor = editor_on_top(session)
    assert editor is not None
    return editor


# -- the whole flow -----------------------------------------------------------------------------


async def test_three_proposals_accept_edit_skip_saves_exactly_two(fake_claude: FakeClaude) -> None:
    fake_claude.queue(Reply.text(json.dumps(THREE)))
    async with open_study() as session:
        await propose_for(session, 10, 12)
        first = await next_editor(session)
        # The request: the transcript document, then the passage and a request for JSON.
        body = fake_claude.last_body
        instruction = body["messages"][0]["content"][-1]["text"]
        passage = session.study.transcript_view.range_text((10, 12, None, None))
        assert passage in instruction
        assert "JSON" in instruction and "up to 3" in instruction
        assert "[00:00:30–00:00:39]" in instruction
        assert body["messages"][0]["content"][0]["type"] == "document"
        # Nothing saved before a keypress.
        assert session.saved() == []
        assert first.front_area.text == "What is seg 10 about?"
        assert first.back_area.text == "alpha and beta"
        assert "1 of 3" in str(first.query_one("#editor-dialog").border_title)
        assert isinstance(session.app.screen_stack[-2], ProposalsScreen)

        await session.pilot.press("ctrl+s")  # accept as proposed
        second = await next_editor(session, first)
        assert second.kind == NoteKind.REVERSED
        assert len(session.saved()) == 1
        second.back_area.focus()
        await session.pilot.press("end")
        send_burst(session.app, [(_character_to_key(c), c) for c in " (edited)"])
        await session.pilot.pause()
        await session.pilot.press("ctrl+s")  # edit, then save

        third = await next_editor(session, second)
        assert third.kind == NoteKind.CLOZE
        assert third.front_area.text == "seg 11 comes after {{c1::seg 10}}."
        await session.pilot.press("ctrl+n")  # skip
        await wait_until(session.pilot, lambda: session.app.screen is session.study)

        views = session.saved()
        notes = {view.note.id: view.note for view in views}
        assert len(notes) == 2
        fronts = sorted(note.front for note in notes.values())
        assert fronts == ["What is seg 10 about?", "gamma"]
        edited = next(n for n in notes.values() if n.front == "gamma")
        assert edited.back == "the third letter (edited)"
        assert edited.source is not None
        assert (edited.source.first_segment, edited.source.last_segment) == (10, 12)
        assert len(views) == 3  # basic (1) + reversed (2)
        assert "2 cards added, 1 skipped." in session.notes()
        assert len(fake_claude.message_requests) == 1


async def test_escape_in_a_proposal_skips_it(fake_claude: FakeClaude) -> None:
    fake_claude.queue(Reply.text(json.dumps(THREE[:2])))
    async with open_study() as session:
        await propose_for(session, 3, 3)
        first = await next_editor(session)
        await session.pilot.press("escape")  # untouched: skipped without asking
        await next_editor(session, first)
        await session.pilot.press("ctrl+s")
        await wait_until(session.pilot, lambda: session.app.screen is session.study)
        assert "1 card added, 1 skipped." in session.notes()
        assert len({view.note.id for view in session.saved()}) == 1


async def test_bad_json_says_why_and_opens_the_manual_editor(fake_claude: FakeClaude) -> None:
    fake_claude.queue(Reply.text("Sure! Here are some cards: front: what? back: that."))
    async with open_study() as session:
        await propose_for(session, 5, 6)
        editor = await next_editor(session)
        assert editor.proposal is None and not editor.skippable
        assert editor.passage_area.text.startswith("seg 5 ")
        assert editor.front_area.text == ""
        assert any("not the JSON list of cards" in note for note in session.notes())
        assert session.saved() == []
        assert not any(isinstance(s, ProposalsScreen) for s in session.app.screen_stack)
        # The manual editor works as usual.
        send_burst(session.app, [(_character_to_key(c), c) for c in "mine"])
        await session.pilot.press("tab")
        send_burst(session.app, [(_character_to_key(c), c) for c in "yes"])
        await session.pilot.pause()
        await session.pilot.press("ctrl+s")
        await wait_until(session.pilot, lambda: session.app.screen is session.study)
        [view] = session.saved()
        assert view.front == "mine"


async def test_no_key_says_how_to_set_one_and_opens_the_manual_editor() -> None:
    async with open_study() as session:
        await propose_for(session, 1, 1)
        editor = await next_editor(session)
        assert editor.proposal is None
        assert any("No Anthropic API key" in note for note in session.notes())
        assert session.saved() == []


async def test_offline_says_so_and_opens_the_manual_editor(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import socket

    with socket.socket() as probe:  # a port with nothing listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-offline-0000")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", f"http://127.0.0.1:{port}")
    async with open_study() as session:
        await propose_for(session, 1, 1)
        await next_editor(session)
        assert any("Cannot reach Claude" in note for note in session.notes()), session.notes()


async def test_escape_while_asking_cancels_the_request(fake_claude: FakeClaude) -> None:
    fake_claude.queue(Reply(parts=[], hang=True))
    async with open_study() as session:
        await propose_for(session, 1, 1)
        await wait_until(session.pilot, lambda: isinstance(session.app.screen, ProposalsScreen))
        screen = session.app.screen
        assert isinstance(screen, ProposalsScreen)
        assert "Asking Claude for cards" in screen.status_text
        await wait_until(session.pilot, lambda: len(fake_claude.message_requests) == 1)
        await session.pilot.press("escape")
        await wait_until(session.pilot, lambda: session.app.screen is session.study)
        assert any("no cards were proposed" in note for note in session.notes())
        assert session.saved() == []
        fake_claude.release_hangs()


# -- parsing and the instruction ----------------------------------------------------------------


def test_parse_accepts_fences_prose_and_wrappers() -> None:
    fenced = "Here you go:\n```json\n" + json.dumps(THREE) + "\n```"
    assert [p.kind for p in parse_proposals(fenced)] == [
        NoteKind.BASIC,
        NoteKind.REVERSED,
        NoteKind.CLOZE,
    ]
    wrapped = json.dumps({"cards": THREE[:1]})
    assert parse_proposals(wrapped) == [
        Proposal(NoteKind.BASIC, THREE[0]["front"], "alpha and beta")
    ]
    single = json.dumps(THREE[2])
    assert parse_proposals(single)[0].front == "seg 11 comes after {{c1::seg 10}}."


def test_parse_drops_bad_items_caps_at_three_and_cleans_text() -> None:
    items = [
        {"kind": "basic", "front": "", "back": "no front"},
        {"kind": "cloze", "text": "no deletion"},
        {"kind": "poem", "front": "x", "back": "y"},
        "not an object",
        {"kind": "basic", "front": "ok\x1b[31m", "back": "fine\x07"},
        {"kind": "basic", "front": "ok\x1b[31m", "back": "fine\x07"},  # duplicate
        {"type": "reverse", "question": "q2", "answer": "a2"},
        {"kind": "cloze", "front": "{{c1::x}} y"},
        {"kind": "basic", "front": "fourth", "back": "dropped"},
    ]
    proposals = parse_proposals(json.dumps(items))
    assert len(proposals) == MAX_PROPOSALS
    assert proposals[0] == Proposal(NoteKind.BASIC, "ok[31m", "fine")
    assert proposals[1] == Proposal(NoteKind.REVERSED, "q2", "a2")
    assert proposals[2] == Proposal(NoteKind.CLOZE, "{{c1::x}} y", "")
    assert proposals[2].card_count == 1


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ("", "empty answer"),
        ("no json at all", "not the JSON list"),
        ('"just a string"', "not the JSON list"),
        ("[1, 2, 3]", r"None of the 3 item\(s\)"),
        ('{"answer": 42}', r"None of the 1 item\(s\)"),
    ],
)
def test_parse_errors_are_one_clear_line(answer: str, message: str) -> None:
    with pytest.raises(ProposalError, match=message) as raised:
        parse_proposals(answer)
    assert "\n" not in str(raised.value)


def test_instruction_quotes_the_passage_and_language() -> None:
    transcript = Transcript(
        Source(title="T", origin="x", language="de"),
        [Segment("Erster Satz.", 0.0, 2.0), Segment("Zweiter Satz.", 2.0, 5.0)],
    )
    hint = language_hint(None, None, transcript)
    assert "de" in hint
    text = build_instruction(transcript, 0, 1, hint)
    assert "Erster Satz. Zweiter Satz." in text
    assert "[00:00:00–00:00:05]" in text
    assert "JSON" in text and "{{c1::answer}}" in text
    assert "language code de" in text


def test_language_hint_prefers_the_decks_existing_cards() -> None:
    library = Library()
    try:
        store = CardStore(library.conn)
        store.create_note("basic", "Was ist Entropie?", "Unordnung", deck="Physik")
        hint = language_hint(store, "Physik", None)
        assert "Was ist Entropie?" in hint
        assert (
            language_hint(store, "Unknown deck", None) == "the language the passage is written in"
        )
    finally:
        library.close()


async def test_propose_cards_against_the_fake_server(fake_claude: FakeClaude) -> None:
    from core.chat.client import ChatClient

    fake_claude.queue(Reply.text(json.dumps(THREE[:1])))
    transcript = Transcript(Source(title="T", origin="x"), make_segments(5))
    async with ChatClient.from_config() as client:
        proposals = await propose_cards(client, transcript, 1, 2, "English")
    assert proposals == [Proposal(NoteKind.BASIC, THREE[0]["front"], "alpha and beta")]
    instruction = fake_claude.last_body["messages"][0]["content"][-1]["text"]
    assert "Write every card in English." in instruction
    with pytest.raises(ProposalError, match="not in this transcript"):
        async with ChatClient.from_config() as client:
            await propose_cards(client, transcript, 3, 9, None)


def test_summary_wording() -> None:
    assert summary(2, 1) == "2 cards added, 1 skipped."
    assert summary(1, 0) == "1 card added, 0 skipped."
