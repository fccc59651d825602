"""ConversationStore: conversations, messages, turns, recovery, guides, cost."""

from __future__ import annotations

import subprocess
import sys

import pytest

from core.chat.models import ChatMessage, Citation, Focus, Usage
from core.chat.store import ConversationStore, title_from
from core.config import DEFAULT_PRICES
from core.models import Segment, Source, Transcript


@pytest.fixture
def source_id(library) -> int:
    transcript = Transcript(Source("Talk", "test"), [Segment("Hello.", 0.0, 2.0)])
    return library.add(transcript).source_id


@pytest.fixture
def store(library) -> ConversationStore:
    return ConversationStore(library.conn)


def answered(store: ConversationStore, conversation_id: int, question: str, answer: str) -> int:
    store.add_user_message(conversation_id, question)
    store.mark_sent(conversation_id)
    message = store.start_assistant_message(conversation_id, "claude-sonnet-5-5")
    store.finish_assistant_message(
        message.id, text=answer, usage=Usage(10, 20, 100, 0), model="claude-sonnet-5-5"
    )
    return message.id


def test_conversations_are_listed_newest_first_and_titled(store, source_id) -> None:
    first = store.create(source_id)
    second = store.create(source_id, "Named")
    answered(store, first.id, "What is spaced repetition, and why does it work so well?", "...")
    listed = store.conversations(source_id)
    assert [c.id for c in listed] == [first.id, second.id]  # first was active last
    assert listed[0].title == title_from("What is spaced repetition, and why does it work so well?")
    assert len(listed[0].title) <= 60
    assert listed[0].message_count == 2
    assert store.latest_or_create(source_id).id == first.id


def test_latest_or_create_creates_once(store, source_id) -> None:
    created = store.latest_or_create(source_id)
    assert store.latest_or_create(source_id).id == created.id
    assert len(store.conversations(source_id)) == 1


def test_messages_keep_citations_focus_status_and_usage(store, source_id) -> None:
    conversation = store.create(source_id)
    focus = Focus(0, 0, "Hello.")
    question = store.add_user_message(conversation.id, "Why hello?", focus=focus)
    assert question.status == "draft"
    store.mark_sent(conversation.id)
    answer = store.start_assistant_message(conversation.id, "claude-haiku-5-5")
    assert answer.status == "streaming"
    store.save_partial(answer.id, "Part", [])
    assert store.message(answer.id).content == "Part"
    citation = Citation(0, 0, "Hello.", "00:00:00", start=0, end=4)
    store.finish_assistant_message(
        answer.id, text="Partial answer", citations=[citation], usage=Usage(1, 2, 3, 4)
    )
    messages = store.messages(conversation.id)
    assert [m.role for m in messages] == ["user", "assistant"]
    assert messages[0].status == "complete" and messages[0].focus == focus
    assert messages[1].citations == [citation]
    assert messages[1].usage == Usage(1, 2, 3, 4)
    assert messages[1].model == "claude-haiku-5-5"
    assert ChatMessage.from_dict(messages[1].to_dict()) == messages[1]
    # Once finished, late partial writes change nothing.
    store.save_partial(answer.id, "late", [])
    assert store.message(answer.id).content == "Partial answer"


def test_finish_rejects_unknown_status(store, source_id) -> None:
    conversation = store.create(source_id)
    answer = store.start_assistant_message(conversation.id, "m")
    with pytest.raises(ValueError):
        store.finish_assistant_message(answer.id, text="", status="streaming")


def test_edit_question_truncates_what_followed(store, source_id) -> None:
    conversation = store.create(source_id)
    answered(store, conversation.id, "Q1", "A1")
    answered(store, conversation.id, "Q2", "A2")
    answered(store, conversation.id, "Q3", "A3")
    q2 = store.messages(conversation.id)[2]
    edited = store.edit_user_message_and_truncate(q2.id, "Q2, better")
    assert edited.status == "draft"
    assert [m.content for m in store.messages(conversation.id)] == ["Q1", "A1", "Q2, better"]
    assert store.pending_question(conversation.id).id == q2.id
    answer = store.messages(conversation.id)[1]
    with pytest.raises(ValueError):
        store.edit_user_message_and_truncate(answer.id, "no")


def test_delete_turn_removes_question_and_answer(store, source_id) -> None:
    conversation = store.create(source_id)
    answered(store, conversation.id, "Q1", "A1")
    a2 = answered(store, conversation.id, "Q2", "A2")
    answered(store, conversation.id, "Q3", "A3")
    deleted = store.delete_turn(a2)  # by the answer
    assert len(deleted) == 2
    assert [m.content for m in store.messages(conversation.id)] == ["Q1", "A1", "Q3", "A3"]
    q1 = store.messages(conversation.id)[0]
    store.delete_turn(q1.id)  # by the question
    assert [m.content for m in store.messages(conversation.id)] == ["Q3", "A3"]
    assert store.delete_turn(99999) == []


def test_leftover_streaming_answer_of_a_dead_process_is_marked_stopped(
    library, store, source_id
) -> None:
    conversation = store.create(source_id)
    store.add_user_message(conversation.id, "Q")
    answer = store.start_assistant_message(conversation.id, "m")
    store.save_partial(answer.id, "What arrived before the kill", [])
    # Our own live answer is left alone...
    assert ConversationStore(library.conn).recover_interrupted() == 0
    assert store.message(answer.id).status == "streaming"
    # ...but one owned by a process that has exited is stopped, keeping its text.
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    library.conn.execute(
        "UPDATE chat_messages SET owner_pid = ? WHERE id = ?", (int(dead.stdout), answer.id)
    )
    ConversationStore(library.conn)
    recovered = store.message(answer.id)
    assert recovered.status == "stopped"
    assert recovered.content == "What arrived before the kill"
    assert "Interrupted" in recovered.error


def test_conversation_usage_and_cost(store, source_id) -> None:
    conversation = store.create(source_id)
    answered(store, conversation.id, "Q1", "A1")
    answered(store, conversation.id, "Q2", "A2")
    assert store.conversation_usage(conversation.id) == Usage(20, 40, 200, 0)
    expected = (20 * 3.0 + 40 * 15.0 + 200 * 3.75) / 1_000_000
    assert store.conversation_cost(conversation.id, DEFAULT_PRICES) == pytest.approx(expected)
    empty = store.create(source_id)
    assert store.conversation_cost(empty.id, DEFAULT_PRICES) == 0.0


def test_guides_are_saved_replaced_and_listed(store, source_id) -> None:
    assert store.guide(source_id, "ideas") is None
    citation = Citation(0, 0, "Hello.", "00:00:00", start=0, end=3)
    store.save_guide(source_id, "ideas", "1. One", [citation], model="m", usage=Usage(1, 1))
    store.save_guide(source_id, "preread", "Pre")
    store.save_guide(source_id, "ideas", "1. Better", [citation])
    note = store.guide(source_id, "ideas")
    assert note.content == "1. Better" and note.citations == [citation]
    assert sorted(n.kind for n in store.guides(source_id)) == ["ideas", "preread"]
    assert store.delete_guide(source_id, "preread")
    assert [n.kind for n in store.guides(source_id)] == ["ideas"]


def test_removing_the_source_removes_its_chats_and_guides(library, store, source_id) -> None:
    conversation = store.create(source_id)
    answered(store, conversation.id, "Q", "A")
    store.save_guide(source_id, "ideas", "x")
    assert library.remove(source_id)
    for table in ("conversations", "chat_messages", "guide_notes"):
        assert library.conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] == 0
