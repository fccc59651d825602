"""Quiz from a talk: the domain (core.quiz) against the fake Messages API, then the
QuizScreen and the study screen's `Q` with Pilot."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from textual.pilot import Pilot

from core.chat.client import ChatClient
from core.chat.store import ConversationStore
from core.library import Library
from core.models import Segment
from core.quiz import (
    GRADE_SHAPE,
    QUESTION_SHAPE,
    QuizError,
    QuizSession,
    grade_from_data,
    question_from_data,
)
from tests.fake_claude import FakeClaude, Reply
from tests.tui_helpers import (
    add_transcript,
    make_segments,
    notifications,
    screen_text,
    study_screen,
    wait_until,
)
from tui import claude
from tui.screens.quiz import QuizScreen


def question_reply(question: str, answer: str, where: str = "00:00:30") -> Reply:
    """The quiz_question tool input, streamed as the real API streams a forced tool."""
    return Reply.json({"question": question, "answer": answer, "sources": [where]})


def grade_reply(
    verdict: str, feedback: str, *, cite: tuple[int, int] | None = None, **options: Any
) -> Reply:
    """The quiz_grade tool input; `cite` names the document blocks start..end as sources."""
    sources = [] if cite is None else [block_label(i) for i in range(*cite)]
    return Reply.json(
        {"verdict": verdict, "feedback": feedback, "answer": "model answer", "sources": sources},
        **options,
    )


def block_label(index: int, segments: int = 40) -> str:
    """The label that starts document block `index` of a make_segments(segments) talk."""
    from core.chat.document import build_document
    from core.models import Source, Transcript

    talk = Transcript(Source(title="t", origin="o"), make_segments(segments))
    text = build_document(talk).block["source"]["content"][index]["text"]
    return text[1 : text.index("]")]


def instruction_of(body: dict) -> str:
    return body["messages"][0]["content"][-1]["text"]


def client() -> ChatClient:
    return ChatClient.from_config(max_retries=0, timeout=5.0)


def session(library: Library, count: int = 40, **scope: int) -> QuizSession:
    source_id = add_transcript(library, make_segments(count))
    transcript = library.transcript(source_id)
    assert transcript is not None
    return QuizSession(transcript, store=ConversationStore(library.conn), **scope)


# -- the domain ------------------------------------------------------------------------------


async def test_whole_talk_quiz_asks_grades_and_saves_the_conversation(
    library: Library, fake_claude: FakeClaude
) -> None:
    quiz = session(library)
    fake_claude.queue(
        question_reply("What does gamma do?", "It opens the loop.", "00:00:30"),
        grade_reply("partial", "You named gamma but not the loop.", cite=(1, 2)),
    )
    async with client() as chat:
        item = await quiz.next_question(chat)
        assert item.question == "What does gamma do?"
        assert item.expected_answer == "It opens the loop."
        # 00:00:30 starts the document block of segments 10-14 (3 s each): the question's range
        assert (item.first_segment, item.last_segment) == (10, 14)
        first = fake_claude.last_body
        assert first["messages"][0]["content"][0]["type"] == "document"
        assert first["tools"] == [QUESTION_SHAPE.tool()]
        assert first["tool_choice"] == {"type": "tool", "name": "quiz_question"}
        assert item.citations and item.citations[0].label == "00:00:30"
        assert "Quiz the learner on this talk" in instruction_of(first)
        assert "<passage>" not in instruction_of(first)

        grade = await quiz.grade(chat, "gamma is involved somehow")
    assert fake_claude.last_body["tools"] == [GRADE_SHAPE.tool()]
    grading = instruction_of(fake_claude.last_body)
    assert "gamma is involved somehow" in grading
    assert "What does gamma do?" in grading and "It opens the loop." in grading
    assert grade.verdict == "partial" and grade.feedback == "You named gamma but not the loop."
    assert grade.citations and grade.citations[0].label
    assert quiz.summary().line() == "0 correct · 1 partial · 0 missed"

    store = ConversationStore(library.conn)
    (conversation,) = store.conversations(quiz.transcript.source.id)
    assert conversation.title == "Quiz: whole talk"
    messages = store.messages(conversation.id)
    assert [m.role for m in messages] == ["user", "assistant", "user", "assistant"]
    assert "What does gamma do?" in messages[1].content
    assert "It opens the loop." not in messages[1].content  # the answer is not given away
    assert messages[2].content == "gamma is involved somehow"
    assert messages[3].content.startswith("**Partly right.** You named gamma")
    assert messages[3].citations and all(m.status == "complete" for m in messages)
    assert messages[3].usage.output_tokens > 0


async def test_range_quiz_names_and_quotes_only_the_range(
    library: Library, fake_claude: FakeClaude
) -> None:
    quiz = session(library, first_segment=12, last_segment=14)
    assert quiz.scope_label == "00:00:36–00:00:45" and not quiz.whole
    fake_claude.queue(question_reply("Why zeta?", "Because.", "00:05:00"))  # outside: ignored
    async with client() as chat:
        item = await quiz.next_question(chat)
    instruction = instruction_of(fake_claude.last_body)
    assert "[00:00:36–00:00:45]" in instruction and "Ask only about this passage" in instruction
    passage = instruction.split("<passage>")[1].split("</passage>")[0]
    assert "seg 12 " in passage and "seg 14 " in passage
    assert "seg 11 " not in passage and "seg 15 " not in passage
    assert (item.first_segment, item.last_segment) == (12, 14)  # the scope, not 00:05:00
    conversation = ConversationStore(library.conn).conversation(quiz.conversation_id or 0)
    assert conversation is not None and conversation.title == "Quiz: 00:00:36–00:00:45"


async def test_earlier_questions_are_listed_and_a_repeat_is_refused(
    library: Library, fake_claude: FakeClaude
) -> None:
    quiz = session(library)
    fake_claude.queue(
        question_reply("First?", "One."),
        question_reply("Second?", "Two."),
        question_reply("  second? ", "Dup."),
    )
    async with client() as chat:
        await quiz.next_question(chat)
        await quiz.next_question(chat)  # the first is left unanswered: skipped
        assert "- First?" in instruction_of(fake_claude.last_body)
        with pytest.raises(QuizError, match="repeated"):
            await quiz.next_question(chat)
    assert [q.question for q in quiz.questions] == ["First?", "Second?"]
    assert quiz.summary().skipped == 1  # the first; the second is current


async def test_a_cut_off_grade_keeps_the_answer_and_can_be_retried(
    library: Library, fake_claude: FakeClaude
) -> None:
    from core.chat.structured import CutOff

    quiz = session(library)
    fake_claude.queue(
        question_reply("What is eta?", "A letter."),
        grade_reply("correct", "Yes, a letter of the Greek alphabet.", cut_at=30),  # max_tokens
        grade_reply("correct", "Yes."),
    )
    async with client() as chat:
        await quiz.next_question(chat)
        with pytest.raises(CutOff, match="grade was cut off at the 900-token limit"):
            await quiz.grade(chat, "a greek letter")
        assert quiz.draft_answer == "a greek letter" and quiz.awaiting_answer
        grade = await quiz.grade(chat, quiz.draft_answer)
    assert grade.verdict == "correct" and quiz.draft_answer == ""
    assert quiz.questions[0].answer == "a greek letter"


async def test_a_refused_question_leaves_the_session_unchanged(
    library: Library, fake_claude: FakeClaude
) -> None:
    from core.chat.structured import Refused

    quiz = session(library)
    fake_claude.queue(Reply.refusal())
    async with client() as chat:
        with pytest.raises(Refused, match=r"^Claude declined to write a quiz question"):
            await quiz.next_question(chat)
    assert quiz.questions == [] and quiz.conversation_id is None


async def test_missed_lists_questions_for_cards(library: Library, fake_claude: FakeClaude) -> None:
    quiz = session(library)
    fake_claude.queue(
        question_reply("Q1?", "A1.", "00:00:16"),  # inside the block 00:00:15 (segments 5-9)
        grade_reply("missed", "No."),
        question_reply("Q2?", "A2.", "00:00:00"),
        grade_reply("correct", "Yes."),
        question_reply("Q3?", "A3.", "00:00:30"),
        grade_reply("partial", "Half."),
    )
    async with client() as chat:
        for answer in ("x", "y", "z"):
            await quiz.next_question(chat)
            await quiz.grade(chat, answer)
    missed = quiz.missed()
    assert [(m.question, m.expected_answer, m.first_segment) for m in missed] == [
        ("Q1?", "model answer", 5)
    ]
    assert [m.question for m in quiz.missed(include_partial=True)] == ["Q1?", "Q3?"]
    assert missed[0].proposal() == {"kind": "basic", "front": "Q1?", "back": "model answer"}
    assert quiz.finish().line() == "1 correct · 1 partial · 1 missed"


async def test_empty_answer_is_refused_without_a_request(
    library: Library, fake_claude: FakeClaude
) -> None:
    quiz = session(library)
    fake_claude.queue(question_reply("Q?", "A."))
    async with client() as chat:
        await quiz.next_question(chat)
        sent = len(fake_claude.message_requests)
        with pytest.raises(QuizError, match="Type an answer"):
            await quiz.grade(chat, "  ")
    assert len(fake_claude.message_requests) == sent


def test_scope_validation(library: Library) -> None:
    source_id = add_transcript(library, make_segments(5))
    transcript = library.transcript(source_id)
    assert transcript is not None
    with pytest.raises(QuizError, match="not in this transcript"):
        QuizSession(transcript, first_segment=3, last_segment=9)
    assert QuizSession(transcript, first_segment=4, last_segment=0).whole  # all of it
    assert QuizSession(transcript, first_segment=3, last_segment=1).span == (1, 3)


def test_answers_are_checked_and_cleaned() -> None:
    data = {"question": " Why?\x1b[2J ", "answer": "Because", "sources": []}
    assert question_from_data(data) == ("Why?[2J", "Because")
    with pytest.raises(QuizError, match="no question"):
        question_from_data({"question": "  ", "answer": "x", "sources": []})
    assert grade_from_data({"verdict": "partial", "feedback": "a b", "answer": "c"}) == (
        "partial",
        "a b",
        "c",
    )
    with pytest.raises(QuizError, match="no verdict"):  # only a model ignoring the schema
        grade_from_data({"verdict": "maybe", "feedback": "hm", "answer": ""})


# -- the screen -------------------------------------------------------------------------------


@dataclass
class Study:
    app: Any
    pilot: Pilot
    screen: Any
    library: Library
    source_id: int

    @property
    def quiz(self) -> QuizScreen:
        screen = self.app.screen
        assert isinstance(screen, QuizScreen), f"not on the quiz: {type(screen).__name__}"
        return screen

    def notes(self) -> list[str]:
        return notifications(self.app)

    def on_quiz(self) -> bool:
        return isinstance(self.app.screen, QuizScreen)

    def idle(self) -> bool:
        """On the quiz, no request running, and a question shown or a failure said."""
        if not self.on_quiz() or self.quiz.busy:
            return False
        status = self.quiz.status_text
        return self.quiz.phase != "start" or "needs Claude" in status or "Cancelled" in status

    async def wait_idle(self) -> None:
        await wait_until(self.pilot, self.idle, timeout=10)
        await self.pilot.pause()

    async def answer(self, text: str) -> None:
        await wait_until(self.pilot, lambda: self.quiz.phase == "answer")
        self.quiz.answer_area.focus()
        self.quiz.answer_area.load_text(text)
        await self.pilot.press("ctrl+s")
        await self.wait_idle()


@asynccontextmanager
async def open_study(segments: list[Segment] | None = None) -> AsyncIterator[Study]:
    library = Library()
    try:
        async with study_screen(segments, library=library) as parts:
            yield Study(*parts)
    finally:
        library.close()


@pytest.fixture(autouse=True)
def quick_client(monkeypatch: pytest.MonkeyPatch) -> None:
    """No SDK retries and a short timeout."""
    monkeypatch.setattr(claude, "CLIENT_OPTIONS", {"max_retries": 0, "timeout": 5.0})


async def test_quiz_on_the_whole_talk_then_cards_from_missed_questions(
    fake_claude: FakeClaude,
) -> None:
    from tui.screens.card_editor import CardEditorScreen
    from tui.screens.confirm import ConfirmScreen

    fake_claude.queue(
        question_reply("What does gamma open?", "The loop.", "00:00:30"),
        grade_reply("missed", "Gamma opens the loop, not the door.", cite=(2, 3)),
        question_reply("Why delta?", "To close it.", "00:00:45"),
        grade_reply("missed", "Delta closes it."),
        question_reply("Third?", "Three."),
    )
    async with open_study() as study:
        await study.pilot.press("Q")
        await study.wait_idle()
        quiz = study.quiz
        assert quiz.question_text == "What does gamma open?"
        assert "<passage>" not in instruction_of(fake_claude.last_body)
        assert len(fake_claude.message_requests) == 1  # one question at a time
        assert "The loop." not in screen_text(study.app)  # the expected answer stays hidden

        await study.answer("a door, I think")
        assert "a door, I think" in instruction_of(fake_claude.last_body)
        assert quiz.phase == "graded"
        text = screen_text(study.app)
        assert "✗ Missed" in text and "Gamma opens the loop" in text
        assert "Expected answer: model answer" in text
        assert [link.citation.label for link in quiz.links] and quiz.links[0].has_focus

        await study.pilot.press("n")  # the link has the focus: n is not typed anywhere
        await study.wait_idle()
        assert quiz.question_text == "Why delta?"
        await study.answer("no idea")
        await study.pilot.press("f")
        await wait_until(study.pilot, lambda: isinstance(study.app.screen, ConfirmScreen))
        assert "Quiz finished: 0 correct · 0 partial · 2 missed." in quiz.summary_text
        await study.pilot.press("y")  # make cards

        await wait_until(study.pilot, lambda: isinstance(study.app.screen, CardEditorScreen))
        editor = study.app.screen
        assert editor.front_area.text == "What does gamma open?"
        assert editor.back_area.text == "model answer"
        assert (editor.source_id, editor.first_segment) == (study.source_id, 10)
        await study.pilot.press("ctrl+s")  # accept the first
        await wait_until(
            study.pilot,
            lambda: (
                isinstance(study.app.screen, CardEditorScreen) and study.app.screen is not editor
            ),
        )
        assert study.app.screen.front_area.text == "Why delta?"
        await study.pilot.press("ctrl+n")  # skip the second
        await wait_until(study.pilot, study.on_quiz)
        await wait_until(study.pilot, lambda: any("Made 1 card" in n for n in study.notes()))
        count = study.library.conn.execute("SELECT COUNT(*) FROM notes").fetchone()[0]
        assert count == 1
        assert len(fake_claude.message_requests) == 4  # the third question was never asked

        await study.pilot.press("escape")
        await wait_until(study.pilot, lambda: study.app.screen is study.screen)
        store = ConversationStore(study.library.conn)
        titles = [c.title for c in store.conversations(study.source_id)]
        assert "Quiz: whole talk" in titles


async def test_quiz_on_a_selected_range(fake_claude: FakeClaude) -> None:
    fake_claude.queue(question_reply("About seg 3?", "Yes."))
    async with open_study() as study:
        await study.pilot.press("j", "j", "j", "v", "j", "j")
        assert study.screen.selected_range() == (3, 5, None, None)
        await study.pilot.press("Q")
        await study.wait_idle()
        instruction = instruction_of(fake_claude.last_body)
        assert "[00:00:09–00:00:18]" in instruction
        passage = instruction.split("<passage>")[1].split("</passage>")[0]
        assert "seg 3 " in passage and "seg 5 " in passage and "seg 6 " not in passage
        assert study.quiz.session is not None and study.quiz.session.span == (3, 5)
        assert "00:00:09–00:00:18" in screen_text(study.app)


async def test_citation_jump_moves_the_cursor_and_Q_resumes(fake_claude: FakeClaude) -> None:
    fake_claude.queue(
        question_reply("Q one?", "A."),
        grade_reply("correct", "Right.", cite=(3, 4)),
    )
    async with open_study(make_segments(120)) as study:
        await study.pilot.press("Q")
        await study.wait_idle()
        await study.answer("my answer")
        quiz = study.quiz
        (link,) = quiz.links
        target = link.citation.first_segment
        assert target > 0 and study.screen.transcript_view.cursor != target
        await study.pilot.press("enter")
        await wait_until(study.pilot, lambda: study.app.screen is study.screen)
        assert study.screen.transcript_view.cursor == target
        assert any("Quiz paused" in note for note in study.notes())

        await study.pilot.press("Q")  # back to the same quiz, no new request
        await wait_until(study.pilot, study.on_quiz)
        await study.pilot.pause()
        assert study.quiz is not quiz and study.quiz.session is quiz.session
        assert study.quiz.phase == "graded" and len(fake_claude.message_requests) == 2


async def test_no_key_says_the_quiz_needs_claude() -> None:
    async with open_study() as study:
        await study.pilot.press("Q")
        await study.pilot.pause()
        assert study.app.screen is study.screen
        assert any("The quiz needs Claude" in note and "API key" in note for note in study.notes())


async def test_no_key_on_the_screen_itself_is_a_clear_message() -> None:
    async with open_study() as study:
        study.app.push_screen(QuizScreen(study.source_id))
        await study.wait_idle()
        assert "The quiz needs Claude" in study.quiz.status_text
        await study.pilot.press("escape")
        await wait_until(study.pilot, lambda: study.app.screen is study.screen)


async def test_a_refused_grade_keeps_the_typed_answer(fake_claude: FakeClaude) -> None:
    fake_claude.queue(
        question_reply("Q?", "A."),
        Reply.refusal(explanation="Declined."),
        grade_reply("partial", "Half of it."),
    )
    async with open_study() as study:
        await study.pilot.press("Q")
        await study.wait_idle()
        await study.answer("my careful answer")
        quiz = study.quiz
        assert quiz.status_text.startswith("Claude declined to grade this answer (Declined).")
        assert "answer is kept" in quiz.status_text and "\n" not in quiz.status_text
        assert quiz.answer_area.text == "my careful answer" and quiz.phase == "answer"
        await study.pilot.press("ctrl+s")
        await study.wait_idle()
        assert quiz.phase == "graded" and "~ Partly right" in screen_text(study.app)


async def test_a_cut_off_question_says_so_and_n_asks_again(fake_claude: FakeClaude) -> None:
    fake_claude.queue(
        Reply.json({"question": "A very long question?", "answer": "A.", "sources": []}, cut_at=20),
        question_reply("Short?", "Yes."),
    )
    async with open_study() as study:
        await study.pilot.press("Q")
        await wait_until(
            study.pilot,
            lambda: study.on_quiz() and not study.quiz.busy and "cut off" in study.quiz.status_text,
            timeout=10,
        )
        status = study.quiz.status_text
        assert "quiz question was cut off at the 700-token limit" in status
        assert "Press n or ctrl+n to ask again." in status
        await study.pilot.press("n")
        await study.wait_idle()
        assert study.quiz.question_text == "Short?"


async def test_escape_cancels_a_request_in_flight(fake_claude: FakeClaude) -> None:
    fake_claude.queue(Reply(hang=True), question_reply("After cancel?", "Yes."))
    async with open_study() as study:
        await study.pilot.press("Q")
        await wait_until(study.pilot, lambda: study.on_quiz() and study.quiz.busy)
        assert "Claude is thinking" in study.quiz.status_text
        await study.pilot.press("escape")
        await study.wait_idle()
        assert "Cancelled" in study.quiz.status_text and study.on_quiz()
        fake_claude.release_hangs()
        await study.pilot.press("n")
        await study.wait_idle()
        assert study.quiz.question_text == "After cancel?"
