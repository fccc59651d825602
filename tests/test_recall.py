"""Free-recall grading (core.recall) against the fake Messages API."""

from __future__ import annotations

import json

import pytest

from core.chat.client import ChatClient
from core.chat.errors import AuthFailed
from core.chat.prompts import SYSTEM_PROMPT
from core.models import Source, Transcript
from core.recall import (
    RECALL_SYSTEM,
    RecallError,
    RecallFeedback,
    grade_recall,
    parse_rating,
    parse_recall,
)
from tests.fake_claude import Cite, FakeClaude, Reply
from tests.tui_helpers import make_segments


def transcript() -> Transcript:
    return Transcript(Source(title="Talk", origin="tests", kind="file", id=1), make_segments(30))


def client() -> ChatClient:
    return ChatClient.from_config(max_retries=0, timeout=5.0)


def last_instruction(fake: FakeClaude) -> str:
    content = fake.last_body["messages"][0]["content"]
    return content[-1]["text"]


async def test_request_carries_card_passage_and_typed_answer(fake_claude: FakeClaude) -> None:
    fake_claude.queue(
        Reply.text(
            '{"right": "You named the loop.", "missing": "The exit condition.", ',
            Cite(1, 2, '"rating": 2}'),
        )
    )
    async with client() as chat:
        feedback = await grade_recall(
            chat,
            transcript(),
            "What keeps the loop going?",
            "The gamma condition until delta",
            "seg 5 passage about gamma",
            "the loop uses gamma",
            first_segment=5,
        )
    body = fake_claude.last_body
    assert body["system"] == SYSTEM_PROMPT
    first = body["messages"][0]["content"]
    assert first[0]["type"] == "document"
    instruction = last_instruction(fake_claude)
    for part in (
        "What keeps the loop going?",
        "The gamma condition until delta",
        "seg 5 passage about gamma",
        "the loop uses gamma",
    ):
        assert part in instruction
    assert isinstance(feedback, RecallFeedback)
    assert feedback.right == "You named the loop."
    assert feedback.missing == "The exit condition."
    assert feedback.suggested_rating == 2 and feedback.rating_name == "Hard"
    assert feedback.citations and feedback.citations[0].first_segment >= 0
    assert feedback.usage.output_tokens > 0
    assert RecallFeedback.from_dict(feedback.to_dict()) == feedback


async def test_card_without_a_source_sends_a_plain_request(fake_claude: FakeClaude) -> None:
    fake_claude.queue(
        Reply.text('```json\n{"right": "All of it.", "missing": "", "rating": "Easy"}\n```')
    )
    async with client() as chat:
        feedback = await grade_recall(chat, None, "Capital of France?", "Paris", None, "Paris")
    body = fake_claude.last_body
    assert body["system"] == RECALL_SYSTEM
    content = body["messages"][0]["content"]
    assert [block["type"] for block in content] == ["text"]  # no document block
    assert (
        "Capital of France?" in content[0]["text"] and "<source_passage>" not in content[0]["text"]
    )
    assert (feedback.right, feedback.missing, feedback.suggested_rating) == ("All of it.", "", 4)
    assert feedback.citations == []


async def test_bad_json_raises_recall_error(fake_claude: FakeClaude) -> None:
    fake_claude.queue(Reply.text("I think it was mostly right!"))
    async with client() as chat:
        with pytest.raises(RecallError, match="not the JSON"):
            await grade_recall(chat, None, "Q", "A", None, "typed")


async def test_reply_without_a_rating_raises_recall_error(fake_claude: FakeClaude) -> None:
    fake_claude.queue(Reply.text(json.dumps({"right": "x", "missing": "y"})))
    async with client() as chat:
        with pytest.raises(RecallError, match="no rating"):
            await grade_recall(chat, transcript(), "Q", "A", "p", "typed")


async def test_blank_answer_is_rated_again_without_a_request(fake_claude: FakeClaude) -> None:
    async with client() as chat:
        feedback = await grade_recall(chat, None, "Q", "A", None, "   \n")
    assert feedback.suggested_rating == 1
    assert fake_claude.message_requests == []


async def test_network_errors_pass_through_as_chat_errors(fake_claude: FakeClaude) -> None:
    fake_claude.queue(Reply.error(401))
    async with client() as chat:
        with pytest.raises(AuthFailed):
            await grade_recall(chat, None, "Q", "A", None, "typed")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (3, 3),
        (3.6, 4),
        (0, 1),
        (9, 4),
        ("2", 2),
        ("3 (Good)", 3),
        ("easy", 4),
        ("Again", 1),
        ("none", None),
        (None, None),
        (True, None),
    ],
)
def test_parse_rating(value: object, expected: int | None) -> None:
    assert parse_rating(value) == expected


def test_parse_recall_strips_controls_and_accepts_aliases() -> None:
    right, missing, rating = parse_recall(
        'Sure: {"Correct": "ok\\u001b[31m", "Wrong": ["a", "b"], "Score": "1"} trailing'
    )
    assert right == "ok[31m" and missing == "a b" and rating == 1
