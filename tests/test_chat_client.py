"""Asking Claude, against the fake Messages API on 127.0.0.1: request shape, caching,
citations, persistence, and every failure the learner can meet."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest

from core.chat.client import DEFAULT_MODEL, ChatClient
from core.chat.errors import (
    AuthFailed,
    ChatError,
    Forbidden,
    MalformedKey,
    NoApiKey,
    Offline,
    Overloaded,
    RateLimited,
    StreamBroken,
    TimedOut,
)
from core.chat.models import CitationEvent, Done, Focus, Notice, Started, TextDelta, Usage
from core.chat.prompts import GUIDE_KINDS, SYSTEM_PROMPT
from core.chat.service import ask, generate_guide, retry
from core.chat.store import ConversationStore
from core.config import Config
from core.models import Segment, Source, Transcript
from tests.fake_claude import FAKE_API_KEY, Cite, FakeClaude, Reply


def talk(count: int = 60) -> Transcript:
    segments = [
        Segment(
            f"Sentence {i} of the talk about spaced practice and memory.", i * 5.0, i * 5.0 + 5.0
        )
        for i in range(count)
    ]
    return Transcript(Source("Memory talk", "test"), segments)


@pytest.fixture
def transcript(library) -> Transcript:
    source_id = library.add(talk()).source_id
    stored = library.transcript(source_id)
    assert stored is not None
    return stored


@pytest.fixture
def store(library) -> ConversationStore:
    return ConversationStore(library.conn)


@pytest.fixture
async def client(fake_claude: FakeClaude) -> AsyncIterator[ChatClient]:
    chat = ChatClient(FAKE_API_KEY, max_retries=0, timeout=5)
    yield chat
    await chat.aclose()


async def collect(events: AsyncIterator[Any]) -> list[Any]:
    return [event async for event in events]


def answer_text(events: list[Any]) -> str:
    return "".join(e.text for e in events if isinstance(e, TextDelta))


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def database_text(store: ConversationStore) -> str:
    return "\n".join(store.conn.iterdump())


# -- request shape, caching, citations ------------------------------------------------------


async def test_request_carries_document_with_citations_and_cache_control(
    fake_claude, client, store, transcript
) -> None:
    conversation = store.latest_or_create(transcript.source.id)
    events = await collect(ask(store, client, transcript, conversation.id, "What is it about?"))
    assert isinstance(events[0], Started) and isinstance(events[-1], Done)

    request = fake_claude.message_requests[-1]
    assert request.api_key == FAKE_API_KEY
    assert "anthropic-version" in request.headers
    body = request.body
    assert body["model"] == "claude-sonnet-5-5"
    assert body["system"] == SYSTEM_PROMPT
    assert body["stream"] is True
    assert "temperature" not in body
    [user] = body["messages"]
    document, question = user["content"]
    assert document["type"] == "document"
    assert document["citations"] == {"enabled": True}
    assert document["cache_control"] == {"type": "ephemeral"}
    assert document["source"]["type"] == "content"
    assert document["title"] == "Memory talk"
    assert document["source"]["content"][0]["text"].startswith("[00:00:00] Sentence 0 ")
    assert question == {"type": "text", "text": "What is it about?"}
    # The only cache breakpoint is the document.
    assert str(body).count("cache_control") == 1


async def test_follow_up_reads_the_transcript_from_the_cache(
    fake_claude, client, store, transcript
) -> None:
    conversation = store.latest_or_create(transcript.source.id)
    fake_claude.queue(Reply.text("First answer."), Reply.text("Second answer."))
    first = await collect(ask(store, client, transcript, conversation.id, "Q1"))
    second = await collect(ask(store, client, transcript, conversation.id, "Q2"))

    one, two = fake_claude.message_requests
    assert one.body["messages"][0]["content"][0] == two.body["messages"][0]["content"][0]
    roles = [m["role"] for m in two.body["messages"]]
    assert roles == ["user", "assistant", "user"]
    assert two.body["messages"][1]["content"] == [{"type": "text", "text": "First answer."}]
    assert two.body["messages"][2]["content"] == [{"type": "text", "text": "Q2"}]
    assert all(b["type"] == "text" for m in two.body["messages"][1:] for b in m["content"])

    usage_one, usage_two = first[-1].usage, second[-1].usage
    assert usage_one.cache_write_tokens > 500 and usage_one.cache_read_tokens == 0
    assert usage_two.cache_read_tokens == usage_one.cache_write_tokens
    assert usage_two.cache_write_tokens == 0
    stored = [m for m in store.messages(conversation.id) if m.role == "assistant"]
    assert [m.usage for m in stored] == [usage_one, usage_two]
    assert [m.content for m in stored] == ["First answer.", "Second answer."]
    assert all(m.status == "complete" for m in store.messages(conversation.id))


async def test_citations_map_back_to_segments_and_are_stored(
    fake_claude, client, store, transcript
) -> None:
    from core.chat.document import build_document

    document_map = build_document(transcript).map
    fake_claude.queue(Reply.text("Spacing ", Cite(2, 4, "beats cramming"), "."))
    conversation = store.latest_or_create(transcript.source.id)
    events = await collect(ask(store, client, transcript, conversation.id, "Why space?"))

    [event] = [e for e in events if isinstance(e, CitationEvent)]
    citation = event.citation
    assert citation.first_segment == document_map.blocks[2][0]
    assert citation.last_segment == document_map.blocks[3][1]
    seconds = int(document_map.blocks[2][0] * 5)
    assert citation.label == f"00:{seconds // 60:02d}:{seconds % 60:02d}"
    assert citation.cited_text.startswith(f"[{citation.label}]")
    text = answer_text(events)
    assert text[citation.start : citation.end] == "beats cramming"
    [answer] = [m for m in store.messages(conversation.id) if m.role == "assistant"]
    assert answer.citations == [citation]


async def test_focus_passage_is_sent_with_the_question(
    fake_claude, client, store, transcript
) -> None:
    conversation = store.latest_or_create(transcript.source.id)
    focus = Focus(3, 4, "Sentence 3 of the talk")
    await collect(ask(store, client, transcript, conversation.id, "Explain", focus=focus))
    text = fake_claude.last_body["messages"][0]["content"][1]["text"]
    assert "<passage>\nSentence 3 of the talk\n</passage>" in text
    assert "00:00:15–00:00:25" in text
    assert text.endswith("Explain")
    assert store.messages(conversation.id)[0].focus == focus


async def test_guide_is_saved_and_reuses_the_cached_document(
    fake_claude, client, store, transcript
) -> None:
    conversation = store.latest_or_create(transcript.source.id)
    await collect(ask(store, client, transcript, conversation.id, "Warm the cache"))
    fake_claude.queue(Reply.text("1. **Spacing** — ", Cite(0, 1, "it works"), "."))
    events = await collect(generate_guide(store, client, transcript, "ideas"))
    body = fake_claude.last_body
    assert body["messages"][0]["content"][1]["text"] == GUIDE_KINDS["ideas"].request
    assert events[-1].usage.cache_read_tokens > 0
    note = store.guide(transcript.source.id, "ideas")
    assert note is not None
    assert note.content == "1. **Spacing** — it works."
    assert note.citations[0].first_segment == 0
    with pytest.raises(KeyError):
        await collect(generate_guide(store, client, transcript, "poem"))


async def test_edit_question_then_regenerate(fake_claude, client, store, transcript) -> None:
    conversation = store.latest_or_create(transcript.source.id)
    await collect(ask(store, client, transcript, conversation.id, "Q1"))
    await collect(ask(store, client, transcript, conversation.id, "Q2"))
    first_question = store.messages(conversation.id)[0]
    store.edit_user_message_and_truncate(first_question.id, "Q1 edited")
    fake_claude.queue(Reply.text("New answer."))
    await collect(retry(store, client, transcript, conversation.id))
    messages = fake_claude.last_body["messages"]
    assert len(messages) == 1 and messages[0]["content"][1]["text"] == "Q1 edited"
    assert [m.content for m in store.messages(conversation.id)] == ["Q1 edited", "New answer."]


async def test_config_model_is_used(fake_claude, store, transcript) -> None:
    client = ChatClient.from_config(Config(model="claude-haiku-5-5"), max_retries=0)
    try:
        conversation = store.latest_or_create(transcript.source.id)
        events = await collect(ask(store, client, transcript, conversation.id, "Q"))
    finally:
        await client.aclose()
    assert fake_claude.last_body["model"] == "claude-haiku-5-5"
    assert events[-1].model == "claude-haiku-5-5"
    assert store.messages(conversation.id)[1].model == "claude-haiku-5-5"


# -- long transcripts -------------------------------------------------------------------------


async def test_small_transcript_is_not_counted(fake_claude, client, store, transcript) -> None:
    conversation = store.latest_or_create(transcript.source.id)
    await collect(ask(store, client, transcript, conversation.id, "Q"))
    assert not [r for r in fake_claude.requests if r.path.endswith("count_tokens")]


async def test_long_transcript_sends_the_part_around_the_cursor(
    fake_claude, client, store, library
) -> None:
    source_id = library.add(talk(3000)).source_id
    transcript = library.transcript(source_id)
    conversation = store.latest_or_create(source_id)
    events = await collect(
        ask(store, client, transcript, conversation.id, "Q", cursor_segment=2000, token_budget=5000)
    )
    assert [r.path for r in fake_claude.requests][:1] == ["/v1/messages/count_tokens"]
    notices = [e for e in events if isinstance(e, Notice)]
    assert notices and "excerpt" in notices[0].text and "of 04:10:00" in notices[0].text
    document = fake_claude.last_body["messages"][0]["content"][0]
    assert document["context"].startswith("excerpt: ")
    assert "of 04:10:00" in document["context"]
    blocks = document["source"]["content"]
    first_time = blocks[0]["text"][1:9]
    last_time = blocks[-1]["text"][1:9]
    assert first_time < "02:46:40" < last_time  # segment 2000 starts at 02:46:40
    assert sum(len(b["text"]) for b in blocks) < 5000 * 4
    window = store.conversation(conversation.id).window
    assert window is not None and window[0] <= 2000 <= window[1]

    # The next turn reuses the excerpt (no second count; the document is read from cache).
    events = await collect(
        ask(store, client, transcript, conversation.id, "Q2", cursor_segment=10, token_budget=5000)
    )
    assert sum(r.path.endswith("count_tokens") for r in fake_claude.requests) == 1
    assert fake_claude.last_body["messages"][0]["content"][0] == document
    assert events[-1].usage.cache_read_tokens > 0


# -- failures -----------------------------------------------------------------------------------


def test_no_api_key_says_how_to_set_one() -> None:
    with pytest.raises(NoApiKey, match="ANTHROPIC_API_KEY"):
        ChatClient("")
    with pytest.raises(NoApiKey, match="api_key"):
        ChatClient.from_config(Config())


@pytest.mark.parametrize("key", ["sk-ant-abc\ndef-0000", "sk-ant-abc def-0000", "sk-ant-é-0000"])
def test_a_key_that_cannot_be_a_header_is_malformed(key: str) -> None:
    with pytest.raises(MalformedKey, match="malformed"):
        ChatClient(key)
    ChatClient("  sk-ant-trailing-newline-ok\n")  # surrounding whitespace is trimmed


def test_environment_key_wins_over_config(monkeypatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", FAKE_API_KEY)
    client = ChatClient.from_config(Config(api_key="sk-ant-from-config-000000"))
    assert FAKE_API_KEY not in repr(client)
    assert client.model == "claude-sonnet-5-5"


async def test_offline_keeps_the_question_as_a_draft_and_retry_sends_it(
    fake_claude, store, transcript
) -> None:
    offline = ChatClient(FAKE_API_KEY, max_retries=0, base_url=f"http://127.0.0.1:{closed_port()}")
    conversation = store.latest_or_create(transcript.source.id)
    with pytest.raises(Offline, match="draft"):
        await collect(ask(store, offline, transcript, conversation.id, "Offline question"))
    await offline.aclose()
    [draft] = store.messages(conversation.id)
    assert draft.status == "draft" and draft.content == "Offline question"
    assert draft.error and "reach Claude" in draft.error

    online = ChatClient(FAKE_API_KEY, max_retries=0)
    try:
        # Asking the same question again re-sends the draft rather than copying it.
        await collect(ask(store, online, transcript, conversation.id, "Offline question"))
    finally:
        await online.aclose()
    messages = store.messages(conversation.id)
    assert [m.role for m in messages] == ["user", "assistant"]
    assert messages[0].status == "complete" and messages[0].error is None
    assert messages[1].status == "complete"


@pytest.mark.parametrize(
    ("status", "error_class", "words"),
    [
        (401, AuthFailed, "API key"),
        (403, Forbidden, "403"),
        (429, RateLimited, "Rate limited"),
        (529, Overloaded, "overloaded"),
    ],
)
async def test_http_errors_give_a_clear_message_and_keep_the_question(
    fake_claude, client, store, transcript, status, error_class, words
) -> None:
    fake_claude.queue(Reply.error(status, echo_key_in_error=True))
    conversation = store.latest_or_create(transcript.source.id)
    with pytest.raises(error_class) as raised:
        await collect(ask(store, client, transcript, conversation.id, "Q"))
    message = str(raised.value)
    assert words.lower() in message.lower()
    assert "\n" not in message
    assert FAKE_API_KEY not in message
    assert raised.value.retryable == (status in (429, 529))
    [question] = store.messages(conversation.id)
    assert question.status == "draft"
    assert FAKE_API_KEY not in database_text(store)
    # Retry once the service is back: the draft is sent and answered.
    await collect(retry(store, client, transcript, conversation.id))
    assert [m.status for m in store.messages(conversation.id)] == ["complete", "complete"]


async def test_sdk_retries_an_overloaded_answer(fake_claude, store, transcript) -> None:
    fake_claude.queue(Reply.error(529), Reply.text("Worked on the second try."))
    client = ChatClient(FAKE_API_KEY, max_retries=1)
    try:
        conversation = store.latest_or_create(transcript.source.id)
        events = await collect(ask(store, client, transcript, conversation.id, "Q"))
    finally:
        await client.aclose()
    assert answer_text(events) == "Worked on the second try."
    assert len(fake_claude.message_requests) == 2
    assert fake_claude.message_requests[1].headers["x-stainless-retry-count"] == "1"


async def test_rate_limit_after_all_retries(fake_claude, store, transcript) -> None:
    fake_claude.queue(Reply.error(429), Reply.error(429), Reply.error(429))
    client = ChatClient(FAKE_API_KEY, max_retries=2)
    try:
        conversation = store.latest_or_create(transcript.source.id)
        with pytest.raises(RateLimited):
            await collect(ask(store, client, transcript, conversation.id, "Q"))
    finally:
        await client.aclose()
    assert len(fake_claude.message_requests) == 3


async def test_error_event_mid_stream_keeps_the_partial_answer(
    fake_claude, client, store, transcript
) -> None:
    fake_claude.queue(Reply.text("One ", "two ", "three ", "four", stream_error_after=2))
    conversation = store.latest_or_create(transcript.source.id)
    seen: list[Any] = []
    with pytest.raises(StreamBroken) as raised:
        async for event in ask(store, client, transcript, conversation.id, "Q"):
            seen.append(event)
    assert raised.value.error_type == "overloaded_error"
    assert "kept" in str(raised.value)
    assert answer_text(seen) == "One two "
    question, answer = store.messages(conversation.id)
    assert question.status == "complete"
    assert answer.status == "error" and answer.content == "One two "
    assert "overloaded" in answer.error
    assert answer.usage.input_tokens > 0  # billed input is still recorded
    # Retry replaces the broken answer with a whole one.
    fake_claude.queue(Reply.text("Whole answer."))
    await collect(retry(store, client, transcript, conversation.id))
    assert [m.content for m in store.messages(conversation.id)] == ["Q", "Whole answer."]
    # The interrupted answer was not sent back as history.
    assert len(fake_claude.last_body["messages"]) == 1


async def test_dropped_connection_is_a_broken_stream(
    fake_claude, client, store, transcript
) -> None:
    fake_claude.queue(Reply.text("Half ", "an ", "answer", drop_after=2))
    conversation = store.latest_or_create(transcript.source.id)
    with pytest.raises(StreamBroken):
        await collect(ask(store, client, transcript, conversation.id, "Q"))
    answer = store.messages(conversation.id)[1]
    assert answer.status == "error" and answer.content == "Half an "


async def test_timeout_before_the_answer_keeps_a_draft(fake_claude, store, transcript) -> None:
    fake_claude.queue(Reply(hang=True))
    client = ChatClient(FAKE_API_KEY, max_retries=0, timeout=0.5)
    try:
        conversation = store.latest_or_create(transcript.source.id)
        with pytest.raises(TimedOut, match="timeout"):
            await collect(ask(store, client, transcript, conversation.id, "Q"))
    finally:
        await client.aclose()
        fake_claude.release_hangs()
    [question] = store.messages(conversation.id)
    assert question.status == "draft"


async def test_timeout_mid_answer_keeps_the_partial_text(fake_claude, store, transcript) -> None:
    fake_claude.queue(Reply.text("Some ", "text ", "then silence", hang_after=2))
    client = ChatClient(FAKE_API_KEY, max_retries=0, timeout=0.5)
    try:
        conversation = store.latest_or_create(transcript.source.id)
        with pytest.raises(TimedOut):
            await collect(ask(store, client, transcript, conversation.id, "Q"))
    finally:
        await client.aclose()
        fake_claude.release_hangs()
    answer = store.messages(conversation.id)[1]
    assert answer.status == "error" and answer.content == "Some text "


async def test_cancelling_mid_stream_stores_what_arrived_as_stopped(
    fake_claude, client, store, transcript
) -> None:
    fake_claude.queue(Reply.tokens(400, tokens_per_second=200))
    conversation = store.latest_or_create(transcript.source.id)
    received = asyncio.Event()
    count = 0

    async def consume() -> None:
        nonlocal count
        async for event in ask(
            store, client, transcript, conversation.id, "Long answer please", save_interval_s=0
        ):
            if isinstance(event, TextDelta):
                count += 1
                if count == 10:
                    received.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(received.wait(), timeout=10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    answer = store.messages(conversation.id)[1]
    assert answer.status == "stopped"
    assert answer.content.startswith("word " * 10)
    assert len(answer.content) < 400 * 5
    # The next question sends the interrupted answer marked as such.
    fake_claude.queue(Reply.text("ok"))
    await collect(ask(store, client, transcript, conversation.id, "Next"))
    history = fake_claude.last_body["messages"]
    assert history[1]["content"][0]["text"].endswith("interrupted before it finished.]")


async def test_closing_the_event_stream_early_stops_the_answer(
    fake_claude, client, store, transcript
) -> None:
    fake_claude.queue(Reply.tokens(200, tokens_per_second=500))
    conversation = store.latest_or_create(transcript.source.id)
    events = ask(store, client, transcript, conversation.id, "Q")
    async for event in events:
        if isinstance(event, TextDelta):
            break
    await events.aclose()
    answer = store.messages(conversation.id)[1]
    assert answer.status == "stopped" and answer.content == "word "


async def test_partial_answer_is_in_the_database_while_streaming(
    fake_claude, client, store, transcript
) -> None:
    from core.db import connect

    fake_claude.queue(Reply.tokens(100, tokens_per_second=400))
    conversation = store.latest_or_create(transcript.source.id)
    other = connect()  # another process's view of the database
    seen_partial = False
    async for event in ask(store, client, transcript, conversation.id, "Q", save_interval_s=0):
        if isinstance(event, TextDelta) and not seen_partial:
            row = other.execute(
                "SELECT status, content FROM chat_messages WHERE role = 'assistant'"
            ).fetchone()
            if row and row["content"]:
                assert row["status"] == "streaming"
                seen_partial = True
    other.close()
    assert seen_partial


async def test_escape_codes_are_stored_verbatim_and_neutralised_for_display(
    fake_claude, client, store, transcript
) -> None:
    from core.textsafe import inert

    evil = "Look \x1b]52;c;cm0gLXJmIH4=\x07 here \x1b[2J"
    fake_claude.queue(Reply.text(evil))
    conversation = store.latest_or_create(transcript.source.id)
    await collect(ask(store, client, transcript, conversation.id, "Q"))
    answer = store.messages(conversation.id)[1]
    assert answer.content == evil
    shown = inert(answer.content)
    assert "\x1b" not in shown and "\x07" not in shown


async def test_api_key_never_reaches_errors_or_the_database(
    fake_claude, client, store, transcript
) -> None:
    conversation = store.latest_or_create(transcript.source.id)
    fake_claude.queue(
        Reply.error(401, echo_key_in_error=True),
        Reply.error(400, echo_key_in_error=True),
        Reply.error(500, echo_key_in_error=True),
    )
    messages = []
    for _ in range(3):
        with pytest.raises(ChatError) as raised:
            await collect(ask(store, client, transcript, conversation.id, "Q"))
        messages.append(str(raised.value))
    assert any("hidden" in m for m in messages)
    for message in messages:
        assert FAKE_API_KEY not in message
        assert "sk-ant-api03" not in message
    await collect(ask(store, client, transcript, conversation.id, "Q"))
    assert FAKE_API_KEY not in database_text(store)
    assert FAKE_API_KEY not in repr(client)


async def test_usage_is_a_dataclass_on_done(fake_claude, client, store, transcript) -> None:
    conversation = store.latest_or_create(transcript.source.id)
    fake_claude.queue(Reply.text("x", output_tokens=42))
    events = await collect(ask(store, client, transcript, conversation.id, "Q"))
    done = events[-1]
    assert isinstance(done.usage, Usage) and done.usage.output_tokens == 42
    assert done.stop_reason == "end_turn" and done.message_id is not None


async def test_api_key_never_reaches_the_logs(fake_claude, client, store, transcript, caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    conversation = store.latest_or_create(transcript.source.id)
    fake_claude.queue(Reply.error(401), Reply.text("fine"))
    with pytest.raises(AuthFailed):
        await collect(ask(store, client, transcript, conversation.id, "Q"))
    await collect(retry(store, client, transcript, conversation.id))
    assert caplog.records  # the SDK did log at debug level
    assert FAKE_API_KEY not in caplog.text
    assert FAKE_API_KEY[-20:] not in caplog.text


def test_same_setup_means_same_key_model_address_and_options(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("ANTHROPIC_BASE_URL", raising=False)
    client = ChatClient("key-one", model="claude-haiku-5-5")
    assert client.same_setup(ChatClient("key-one", model="claude-haiku-5-5"))
    assert not client.same_setup(ChatClient("key-two", model="claude-haiku-5-5"))
    assert not client.same_setup(ChatClient("key-one", model="claude-opus-5-5"))
    assert not client.same_setup(ChatClient("key-one", model="claude-haiku-5-5", max_retries=0))
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "http://127.0.0.1:9")
    assert not client.same_setup(ChatClient("key-one", model="claude-haiku-5-5"))


def test_model_json_fields_are_cleaned_the_same_way_everywhere() -> None:
    from core.textsafe import clean_model_text

    assert clean_model_text("  a\r\nb\x1b[31m\x07 ", 100) == "a\nb[31m"
    assert clean_model_text(["one", 2, None, {"x": 1}, "three"], 100) == "one 2 three"
    assert clean_model_text(4.5, 100) == "4.5"
    assert clean_model_text(True, 100) == clean_model_text(None, 100) == ""
    assert clean_model_text({"text": "no"}, 100) == ""
    cut = clean_model_text("word " * 50, 20)
    assert len(cut) <= 20 and cut.endswith("…")


def test_domain_never_reads_the_config_file(monkeypatch: pytest.MonkeyPatch) -> None:
    """Configuration is passed in: without one, the client and YouTube use the defaults."""
    import core.config
    from core import youtube

    def no_file() -> Config:
        raise AssertionError("the domain read the config file")

    monkeypatch.setattr(core.config, "load", no_file)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-from-env-000000")
    assert ChatClient.from_config(max_retries=0).model == (Config().model or DEFAULT_MODEL)
    assert youtube._load_config(None) == Config()
