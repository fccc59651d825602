"""Structured answers (core.chat.structured) against the fake Messages API: a forced strict
tool streamed as the real API streams it, `sources` mapped to citations, and the refusal,
cut-off and malformed cases; plus the fake's own fidelity (schema checks, the 400 for JSON
outputs with a cited document)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from core.chat.client import ChatClient, ToolInput
from core.chat.document import build_document
from core.chat.errors import ChatError
from core.chat.models import Done
from core.chat.structured import (
    AnswerShape,
    CutOff,
    MalformedAnswer,
    Refused,
    ask_structured,
    citations_for_sources,
    sources_property,
    strict_object,
)
from core.models import Source, Transcript
from tests.fake_claude import FAKE_API_KEY, FakeClaude, Reply
from tests.fake_schema import schema_errors, schema_instance, strict_schema_problems
from tests.tui_helpers import make_segments

SHAPE = AnswerShape(
    name="record_note",
    description="Record one note about the passage.",
    schema=strict_object(
        {
            "title": {"type": "string"},
            "mood": {"type": "string", "enum": ["calm", "urgent"]},
            "sources": sources_property(),
        }
    ),
    task="write the note",
    noun="note",
)


def transcript(count: int = 40, *, timed: bool = True) -> Transcript:
    return Transcript(
        Source(title="Talk", origin="t", kind="file"), make_segments(count, timed=timed)
    )


@pytest.fixture
async def client(fake_claude: FakeClaude) -> AsyncIterator[ChatClient]:
    chat = ChatClient(FAKE_API_KEY, max_retries=0, timeout=5)
    yield chat
    await chat.aclose()


async def test_forced_strict_tool_with_the_cited_document(
    fake_claude: FakeClaude, client: ChatClient
) -> None:
    talk = transcript()
    document = build_document(talk)
    label = document.block["source"]["content"][2]["text"][1:9]  # "[00:00:24] ..." -> 00:00:24
    fake_claude.queue(
        Reply.json(
            {"title": "Zeta — ünïcode ✓", "mood": "urgent", "sources": [label]}, json_chunk=3
        )
    )
    answer = await ask_structured(client, SHAPE, "Write a note.", transcript=talk, max_tokens=300)
    body = fake_claude.last_body
    assert body["tools"] == [SHAPE.tool()] and body["tools"][0]["strict"] is True
    assert body["tool_choice"] == {"type": "tool", "name": "record_note"}
    assert body["max_tokens"] == 300 and "output_config" not in body
    document_block, instruction = body["messages"][0]["content"]
    assert document_block == document.block  # the chat's block: citations on, cache_control
    assert instruction == {"type": "text", "text": "Write a note."}
    assert answer.data == {"title": "Zeta — ünïcode ✓", "mood": "urgent", "sources": [label]}
    (citation,) = answer.citations
    first, last = document.map.blocks[2]
    assert (citation.first_segment, citation.last_segment) == (first, last)
    assert citation.label == label and f"seg {first} " in citation.cited_text
    assert answer.usage.output_tokens > 0 and answer.model == client.model


async def test_the_stream_is_the_real_apis_event_sequence(
    fake_claude: FakeClaude, client: ChatClient
) -> None:
    """The SDK itself rebuilds the message from the fake's SSE: a tool_use block, stop tool_use."""
    import anthropic

    fake_claude.queue(Reply.json({"title": "t", "mood": "calm", "sources": []}, json_chunk=2))
    sdk = anthropic.AsyncAnthropic(api_key=FAKE_API_KEY, max_retries=0)
    async with sdk.messages.stream(
        model="claude-sonnet-5-5",
        max_tokens=100,
        messages=[{"role": "user", "content": "x"}],
        tools=[SHAPE.tool()],
        tool_choice=SHAPE.tool_choice(),
    ) as stream:
        kinds = [event.type async for event in stream]
        message = await stream.get_final_message()
    await sdk.close()
    assert kinds[0] == "message_start" and kinds[-1] == "message_stop"
    assert "input_json" in kinds and "text" not in kinds
    assert message.stop_reason == "tool_use"
    (block,) = message.content
    assert block.type == "tool_use" and block.name == "record_note"
    assert block.input == {"title": "t", "mood": "calm", "sources": []}


async def test_client_stream_hands_over_the_tool_input(
    fake_claude: FakeClaude, client: ChatClient
) -> None:
    fake_claude.queue(Reply.json({"title": "a\nb", "mood": "calm", "sources": []}, json_chunk=1))
    events = [
        event
        async for event in client.stream(
            system="s",
            messages=[{"role": "user", "content": "x"}],
            tools=[SHAPE.tool()],
            tool_choice=SHAPE.tool_choice(),
        )
    ]
    inputs = [e for e in events if isinstance(e, ToolInput)]
    assert [i.name for i in inputs] == ["record_note"]
    assert inputs[0].raw_json == '{"title": "a\\nb", "mood": "calm", "sources": []}'
    assert isinstance(events[-1], Done) and events[-1].stop_reason == "tool_use"


async def test_a_refusal_is_one_clear_line(fake_claude: FakeClaude, client: ChatClient) -> None:
    fake_claude.queue(Reply.refusal(explanation="The request may enable harm.\nMore text."))
    with pytest.raises(Refused) as raised:
        await ask_structured(client, SHAPE, "Write a note.", transcript=transcript())
    message = str(raised.value)
    assert message.startswith("Claude declined to write the note (The request may enable harm")
    assert "Nothing was changed." in message and "\n" not in message
    assert not raised.value.retryable and raised.value.usage is not None


async def test_a_refusal_without_explanation(fake_claude: FakeClaude, client: ChatClient) -> None:
    fake_claude.queue(Reply.refusal())
    with pytest.raises(Refused, match=r"^Claude declined to write the note\. Nothing was changed"):
        await ask_structured(client, SHAPE, "Write a note.")


async def test_a_cut_off_answer_uses_nothing(fake_claude: FakeClaude, client: ChatClient) -> None:
    fake_claude.queue(Reply.json({"title": "long " * 50, "mood": "calm", "sources": []}, cut_at=40))
    with pytest.raises(CutOff) as raised:
        await ask_structured(client, SHAPE, "Write a note.", transcript=transcript(), max_tokens=64)
    assert str(raised.value) == (
        "Claude's note was cut off at the 64-token limit, before it was complete; "
        "nothing was used. Try again."
    )
    assert raised.value.retryable


async def test_without_a_transcript_the_schema_has_no_sources(
    fake_claude: FakeClaude, client: ChatClient
) -> None:
    fake_claude.queue(Reply.json({"title": "plain", "mood": "calm"}))
    answer = await ask_structured(client, SHAPE, "Write a note.", system="short system")
    body = fake_claude.last_body
    assert body["system"] == "short system"
    assert [b["type"] for b in body["messages"][0]["content"]] == ["text"]
    schema = body["tools"][0]["input_schema"]
    assert "sources" not in schema["properties"] and schema["required"] == ["title", "mood"]
    assert answer.data == {"title": "plain", "mood": "calm"} and answer.citations == []


async def test_unscripted_requests_get_an_instance_of_the_schema(
    fake_claude: FakeClaude, client: ChatClient
) -> None:
    answer = await ask_structured(client, SHAPE, "Write a note.", transcript=transcript())
    assert answer.data == {"title": "fake text", "mood": "calm", "sources": ["fake text"]}
    assert answer.citations == []  # "fake text" names no passage


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (Reply.text("Sure, a note.", unchecked=True), "held no note"),  # tool_choice ignored
        (Reply.json(["not", "an", "object"], unchecked=True), "not the JSON object"),
    ],
)
async def test_malformed_answers_are_one_line(
    fake_claude: FakeClaude, client: ChatClient, reply: Reply, message: str
) -> None:
    fake_claude.queue(reply)
    with pytest.raises(MalformedAnswer, match=message):
        await ask_structured(client, SHAPE.without_sources(), "Write a note.")


async def test_network_errors_stay_chat_errors(fake_claude: FakeClaude, client: ChatClient) -> None:
    fake_claude.queue(Reply.error(529))
    with pytest.raises(ChatError, match="overloaded"):
        await ask_structured(client, SHAPE, "Write a note.")


def test_sources_map_to_blocks_leniently() -> None:
    talk = transcript(60)
    document = build_document(talk)
    labels = [
        talk_label(talk, document, 0),
        f"[{talk_label(talk, document, 3)}]",  # brackets as in the document
        "00:00:31",  # a moment inside a block, not its start
        "99:00:00",  # past the end
        "nonsense",
        7,  # not a string
        talk_label(talk, document, 0),  # a repeat
    ]
    citations = citations_for_sources(talk, document, labels)
    expected = [document.map.blocks[0], document.map.blocks[3]]
    inside = next(
        block
        for block in document.map.blocks
        if talk.segments[block[0]].start <= 31 <= talk.segments[block[1]].end
    )
    expected.append(inside)
    assert [(c.first_segment, c.last_segment) for c in citations] == expected
    assert citations_for_sources(talk, document, "00:00:00") == []  # not a list


def test_untimed_transcripts_use_paragraph_labels() -> None:
    talk = transcript(30, timed=False)
    document = build_document(talk)
    first, _last = document.map.blocks[1]
    (citation,) = citations_for_sources(talk, document, [f"¶{first + 1}", "00:00:03"])
    assert citation.first_segment == first


def talk_label(talk: Transcript, document: Any, index: int) -> str:
    from core.chat.document import segment_label

    return segment_label(talk.segments, document.map.blocks[index][0])


# -- the fake's fidelity ---------------------------------------------------------------------


async def test_json_output_with_a_cited_document_is_a_400_as_in_the_real_api(
    fake_claude: FakeClaude,
) -> None:
    """Why Ponder forces a tool: output_config.format refuses citation-enabled documents."""
    import anthropic

    document = build_document(transcript()).block
    sdk = anthropic.AsyncAnthropic(api_key=FAKE_API_KEY, max_retries=0)
    output_config: Any = {"format": {"type": "json_schema", "schema": SHAPE.schema}}
    with pytest.raises(anthropic.BadRequestError, match="output_config"):
        await sdk.messages.create(
            model="claude-sonnet-5-5",
            max_tokens=100,
            messages=[{"role": "user", "content": [document, {"type": "text", "text": "x"}]}],
            output_config=output_config,
        )
    fake_claude.queue(Reply.json({"title": "t", "mood": "calm", "sources": []}))
    message = await sdk.messages.create(  # without a document: JSON as the text
        model="claude-sonnet-5-5",
        max_tokens=100,
        messages=[{"role": "user", "content": "x"}],
        output_config=output_config,
    )
    await sdk.close()
    assert message.content[0].type == "text"
    assert message.content[0].text == '{"title": "t", "mood": "calm", "sources": []}'


async def test_the_fake_flags_what_a_strict_model_could_not_send() -> None:
    import anthropic

    with FakeClaude() as fake:
        fake.queue(Reply.json({"title": 3, "mood": "angry", "extra": 1}))
        loose = {"type": "object", "properties": {"n": {"type": "integer", "maximum": 3}}}
        sdk = anthropic.AsyncAnthropic(api_key=FAKE_API_KEY, base_url=fake.base_url, max_retries=0)
        for tool in (SHAPE.tool(), {**SHAPE.tool(), "name": "loose", "input_schema": loose}):
            await sdk.messages.create(
                model="claude-sonnet-5-5",
                max_tokens=100,
                messages=[{"role": "user", "content": "x"}],
                tools=[tool],
                tool_choice={"type": "tool", "name": tool["name"]},
            )
        with pytest.raises(anthropic.BadRequestError, match="no tool named"):
            await sdk.messages.create(
                model="claude-sonnet-5-5",
                max_tokens=100,
                messages=[{"role": "user", "content": "x"}],
                tools=[SHAPE.tool()],
                tool_choice={"type": "tool", "name": "missing"},
            )
        await sdk.close()
    problems = " | ".join(fake.problems)
    assert "scripted data breaks the request's schema" in problems
    assert "$.title: 3 is not string" in problems and "'angry' is not one of" in problems
    assert "`extra` is not allowed" in problems
    assert "tool loose: $: objects need additionalProperties: false" in problems
    assert "`maximum` is not enforced" in problems


def test_schema_helpers_agree_on_ponders_shapes() -> None:
    from core.quiz import GRADE_SHAPE, QUESTION_SHAPE
    from core.recall import RECALL_SHAPE
    from decks.proposals import CARDS_SHAPE

    for shape in (CARDS_SHAPE, QUESTION_SHAPE, GRADE_SHAPE, RECALL_SHAPE, SHAPE):
        assert strict_schema_problems(shape.schema) == [], shape.name
        assert schema_errors(shape.schema, schema_instance(shape.schema)) == [], shape.name
        assert strict_schema_problems(shape.without_sources().schema) == [], shape.name
