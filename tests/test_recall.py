"""Free-recall grading (core.recall) against the fake Messages API."""

from __future__ import annotations

import pytest

from core.chat.client import ChatClient
from core.chat.errors import AuthFailed
from core.chat.prompts import SYSTEM_PROMPT
from core.chat.structured import CutOff, Refused
from core.models import Source, Transcript
from core.recall import (
    RECALL_SHAPE,
    RECALL_SYSTEM,
    RecallError,
    RecallFeedback,
    grade_recall,
    recall_from_data,
)
from tests.fake_claude import FakeClaude, Reply
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
        Reply.json(
            {
                "right": "You named the loop.",
                "missing": "The exit condition.",
                "rating": 2,
                "sources": ["00:00:15"],  # the block of segments 5-9
            }
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
    assert body["tools"] == [RECALL_SHAPE.tool()]
    assert body["tool_choice"] == {"type": "tool", "name": "recall_grade"}
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
    assert [(c.first_segment, c.last_segment) for c in feedback.citations] == [(5, 9)]
    assert feedback.usage.output_tokens > 0
    assert RecallFeedback.from_dict(feedback.to_dict()) == feedback


async def test_card_without_a_source_sends_a_plain_request(fake_claude: FakeClaude) -> None:
    fake_claude.queue(Reply.json({"right": "All of it.", "missing": "", "rating": 4}))
    async with client() as chat:
        feedback = await grade_recall(chat, None, "Capital of France?", "Paris", None, "Paris")
    body = fake_claude.last_body
    assert body["system"] == RECALL_SYSTEM
    content = body["messages"][0]["content"]
    assert [block["type"] for block in content] == ["text"]  # no document block
    assert (
        "Capital of France?" in content[0]["text"] and "<source_passage>" not in content[0]["text"]
    )
    schema = body["tools"][0]["input_schema"]  # nothing to cite: no sources asked for
    assert schema["required"] == ["right", "missing", "rating"]
    assert (feedback.right, feedback.missing, feedback.suggested_rating) == ("All of it.", "", 4)
    assert feedback.citations == []


async def test_a_refusal_and_a_cut_off_grade_are_one_line(fake_claude: FakeClaude) -> None:
    fake_claude.queue(
        Reply.refusal(),
        Reply.json({"right": "x" * 80, "missing": "", "rating": 3, "sources": []}, cut_at=50),
    )
    async with client() as chat:
        with pytest.raises(Refused, match=r"^Claude declined to grade this answer\. "):
            await grade_recall(chat, None, "Q", "A", None, "typed")
        with pytest.raises(CutOff, match="grade was cut off at the 500-token limit"):
            await grade_recall(chat, transcript(), "Q", "A", "p", "typed")


async def test_a_lax_models_missing_rating_raises_recall_error(fake_claude: FakeClaude) -> None:
    fake_claude.queue(Reply.json({"right": "x", "missing": "y"}, unchecked=True))
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
    ("data", "expected"),
    [
        ({"right": "ok\u001b[31m", "missing": " b ", "rating": 1}, ("ok[31m", "b", 1)),
        ({"right": "", "missing": "", "rating": 4}, ("", "", 4)),
    ],
)
def test_recall_data_is_cleaned(data: dict, expected: tuple) -> None:
    assert recall_from_data(data) == expected


@pytest.mark.parametrize("rating", [0, 5, "3", True, None, 2.5])
def test_a_rating_outside_1_to_4_is_refused(rating: object) -> None:
    with pytest.raises(RecallError, match="no rating from 1 to 4"):
        recall_from_data({"right": "", "missing": "", "rating": rating})
