"""Cards proposed by Claude (`C` on the study screen) against the fake Messages API:
the structured request (a forced, strict tool), accepting / editing / skipping, a refusal,
a cut-off answer, unusable cards, no key, offline, cancelling; and checking the cards."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import pytest
from textual.keys import _character_to_key

from core.library import Library
from core.models import Segment, Source, Transcript
from decks.models import NoteKind
from decks.proposals import (
    CARDS_SHAPE,
    MAX_PROPOSALS,
    Proposal,
    ProposalError,
    build_instruction,
    language_hint,
    proposals_from_data,
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
    {"kind": "cloze", "front": "seg 11 comes after {{c1::seg 10}}.", "back": ""},
]


def cards(*items: dict, **options: object) -> Reply:
    """The propose_cards tool input, streamed as the real API streams a forced tool."""
    return Reply.json({"cards": list(items)}, **options)


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
    fake_claude.queue(cards(*THREE, json_chunk=7))
    async with open_study() as session:
        await propose_for(session, 10, 12)
        first = await next_editor(session)
        # The request: the transcript document, then the passage; the answer is the input
        # of the forced, strict propose_cards tool.
        body = fake_claude.last_body
        instruction = body["messages"][0]["content"][-1]["text"]
        passage = session.study.transcript_view.range_text((10, 12, None, None))
        assert passage in instruction
        assert "propose_cards tool" in instruction and "up to 3" in instruction
        assert "[00:00:30–00:00:39]" in instruction
        assert body["messages"][0]["content"][0]["type"] == "document"
        assert body["tools"] == [CARDS_SHAPE.tool()] and body["tools"][0]["strict"] is True
        assert body["tool_choice"] == {"type": "tool", "name": "propose_cards"}
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
    fake_claude.queue(cards(*THREE[:2]))
    async with open_study() as session:
        await propose_for(session, 3, 3)
        first = await next_editor(session)
        await session.pilot.press("escape")  # untouched: skipped without asking
        await next_editor(session, first)
        await session.pilot.press("ctrl+s")
        await wait_until(session.pilot, lambda: session.app.screen is session.study)
        assert "1 card added, 1 skipped." in session.notes()
        assert len({view.note.id for view in session.saved()}) == 1


async def manual_editor_after(session: Session, first: int, last: int) -> CardEditorScreen:
    await propose_for(session, first, last)
    editor = await next_editor(session)
    assert editor.proposal is None and not editor.skippable
    assert session.saved() == []
    assert not any(isinstance(s, ProposalsScreen) for s in session.app.screen_stack)
    return editor


async def test_unusable_cards_say_why_and_open_the_manual_editor(
    fake_claude: FakeClaude,
) -> None:
    # Valid by the schema, yet no card: an empty back, a cloze with nothing hidden.
    fake_claude.queue(
        cards(
            {"kind": "basic", "front": "What?", "back": " "},
            {"kind": "cloze", "front": "Nothing hidden here.", "back": ""},
        )
    )
    async with open_study() as session:
        editor = await manual_editor_after(session, 5, 6)
        assert editor.passage_area.text.startswith("seg 5 ")
        assert editor.front_area.text == ""
        assert any("None of the 2 card(s) Claude proposed" in n for n in session.notes())
        # The manual editor works as usual.
        send_burst(session.app, [(_character_to_key(c), c) for c in "mine"])
        await session.pilot.press("tab")
        send_burst(session.app, [(_character_to_key(c), c) for c in "yes"])
        await session.pilot.pause()
        await session.pilot.press("ctrl+s")
        await wait_until(session.pilot, lambda: session.app.screen is session.study)
        [view] = session.saved()
        assert view.front == "mine"


async def test_a_refusal_is_said_in_one_line_and_opens_the_manual_editor(
    fake_claude: FakeClaude,
) -> None:
    fake_claude.queue(Reply.refusal(explanation="This request was declined."))
    async with open_study() as session:
        await manual_editor_after(session, 2, 3)
        (note,) = [n for n in session.notes() if "declined" in n]
        assert note == (
            "Claude declined to propose cards for this passage (This request was declined). "
            "Nothing was changed. The manual editor is open."
        )


async def test_a_cut_off_answer_proposes_nothing(fake_claude: FakeClaude) -> None:
    fake_claude.queue(cards(*THREE, cut_at=60))  # two thirds of the first card
    async with open_study() as session:
        await manual_editor_after(session, 2, 3)
        assert any(
            "list of proposed cards was cut off at the 1,500-token limit" in note
            for note in session.notes()
        ), session.notes()


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


# -- checking the cards and the instruction -----------------------------------------------------


def test_cards_are_checked_capped_and_cleaned() -> None:
    items = [
        {"kind": "basic", "front": "", "back": "no front"},
        {"kind": "cloze", "front": "no deletion", "back": ""},
        {"kind": "poem", "front": "x", "back": "y"},  # only a lax model sends this
        "not an object",
        {"kind": "basic", "front": "ok\x1b[31m", "back": "fine\x07"},
        {"kind": "basic", "front": "ok\x1b[31m", "back": "fine\x07"},  # duplicate
        {"kind": "reversed", "front": "q2", "back": "a2"},
        {"kind": "cloze", "front": "{{c1::x}} y", "back": ""},
        {"kind": "basic", "front": "fourth", "back": "dropped"},
    ]
    proposals = proposals_from_data({"cards": items})
    assert len(proposals) == MAX_PROPOSALS
    assert proposals[0] == Proposal(NoteKind.BASIC, "ok[31m", "fine")
    assert proposals[1] == Proposal(NoteKind.REVERSED, "q2", "a2")
    assert proposals[2] == Proposal(NoteKind.CLOZE, "{{c1::x}} y", "")
    assert proposals[2].card_count == 1
    assert Proposal.from_dict(proposals[2].to_dict()) == proposals[2]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"cards": []}, "proposed no card"),
        ({}, "proposed no card"),
        ({"cards": [{"kind": "basic", "front": "", "back": ""}]}, r"None of the 1 card\(s\)"),
    ],
)
def test_no_usable_card_is_one_clear_line(data: dict, message: str) -> None:
    with pytest.raises(ProposalError, match=message) as raised:
        proposals_from_data(data)
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
    assert "propose_cards tool" in text and "{{c1::answer}}" in text
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

    fake_claude.queue(cards(*THREE[:1]))
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
