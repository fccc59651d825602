"""Asking Claude about a transcript: what the UI and the CLI both call.

`ask` stores the question, builds the request from the stored conversation (the
transcript document in the first user turn only, with `cache_control`, then the turns as
plain text), streams the answer, stores it as it arrives, and yields events. Failures are
raised as `ChatError`s after the store is made consistent:

- before Claude accepted the request (no key, offline, 401/403/429/529 after the SDK's
  retries, timeout): the question stays a `draft` with the reason; `retry` sends it;
- mid-answer (an `error` event, a dropped connection, a timeout): the partial answer is
  kept with status `error`;
- cancelled (Ctrl+C, quitting, the consumer closing the generator): the partial answer is
  kept with status `stopped`.

This module is the one writer of a conversation's state: the chat pane changes a
conversation only through the functions below (`start_conversation`, `queue_question`,
`hold_question`, `rewind_to_last_question`, `rewind_before`, `edit_question`,
`delete_turn`) and the streams, never through the store; in particular a stopped answer
is stored as `stopped` here, not by the pane.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import aclosing
from dataclasses import dataclass
from functools import partial
from typing import Any

from core.chat.client import DEFAULT_MAX_TOKENS, BlockCitation, ChatClient
from core.chat.document import (
    PreparedDocument,
    build_document,
    citation_for,
    span_text,
    window_around,
)
from core.chat.errors import ChatError
from core.chat.models import (
    ChatEvent,
    ChatMessage,
    Citation,
    CitationEvent,
    Done,
    Focus,
    Notice,
    Started,
    TextDelta,
)
from core.chat.prompts import SYSTEM_PROMPT, guide_kind, question_text
from core.chat.store import ConversationStore
from core.models import Transcript, format_timestamp

DEFAULT_TOKEN_BUDGET = 150_000  # tokens of transcript sent at most (leaves room to talk)
SAVE_INTERVAL_S = 0.5  # how often a streaming answer is written to the database
INTERRUPTED_NOTE = "\n\n[This answer was interrupted before it finished.]"


# -- the document and the request ------------------------------------------------------


def _whole(transcript: Transcript) -> tuple[int, int]:
    return (0, max(len(transcript.segments) - 1, 0))


def _document_for(transcript: Transcript, window: tuple[int, int] | None) -> PreparedDocument:
    if window is None or window == _whole(transcript):
        return build_document(transcript)
    return build_document(transcript, window)


async def prepare_document(
    client: ChatClient,
    transcript: Transcript,
    *,
    cursor_segment: int | None = None,
    token_budget: int = DEFAULT_TOKEN_BUDGET,
    window: tuple[int, int] | None = None,
) -> tuple[PreparedDocument, Notice | None]:
    """The document to send, and a notice when it is an excerpt.

    `window` (a conversation's remembered excerpt) is used as is. Otherwise tokens are
    counted only when the transcript is big (more characters than the token budget, since
    a token is at least one character), and if it is over budget the part around the
    cursor is sent instead.
    """
    if window is not None:
        document = _document_for(transcript, window)
        return document, _excerpt_notice(transcript, document, None, token_budget)
    document = build_document(transcript)
    if document.total_chars <= token_budget:
        return document, None
    probe = [{"role": "user", "content": [document.block, {"type": "text", "text": "?"}]}]
    tokens = await client.count_tokens(system=SYSTEM_PROMPT, messages=probe)
    if tokens <= token_budget:
        return document, None
    chars_per_token = document.total_chars / max(tokens, 1)
    max_chars = int(token_budget * 0.9 * chars_per_token)
    cursor = cursor_segment if cursor_segment is not None else 0
    excerpt = _document_for(transcript, window_around(transcript, cursor, max_chars))
    return excerpt, _excerpt_notice(transcript, excerpt, tokens, token_budget)


def _excerpt_notice(
    transcript: Transcript, document: PreparedDocument, tokens: int | None, budget: int
) -> Notice | None:
    if document.window is None:
        return None
    first, last = document.window
    size = f"about {tokens:,} tokens" if tokens else "too long"
    duration = transcript.duration_s
    whole = (
        format_timestamp(duration)
        if transcript.timed and duration is not None
        else f"{len(transcript.segments)} paragraphs"
    )
    return Notice(
        f"The transcript is {size}, over the {budget:,}-token budget: Claude sees only the "
        f"excerpt {span_text(transcript, first, last)} of {whole}, around the cursor."
    )


def focus_span(transcript: Transcript, focus: Focus) -> str | None:
    """Where a selected passage is in its transcript (`00:01:00–00:01:30`), or None."""
    segments = transcript.segments
    if not segments or not 0 <= focus.first_segment <= focus.last_segment < len(segments):
        return None
    return span_text(transcript, focus.first_segment, focus.last_segment)


def build_messages(
    transcript: Transcript | None,
    history: list[ChatMessage],
    document_block: dict[str, Any] | list[dict[str, Any]],
    *,
    label_for: Callable[[Focus], str | None] | None = None,
) -> list[dict[str, Any]]:
    """API messages from a stored conversation: the document(s) in the first user turn only.

    Consecutive questions (unsent drafts) merge into one turn; empty answers are skipped;
    an interrupted answer is marked as such so Claude knows it was cut short. `label_for`
    says where a selected passage is (default: its span in `transcript`).
    """
    if label_for is None:
        assert transcript is not None, "build_messages needs a transcript or label_for"
        label_for = partial(focus_span, transcript)
    blocks = document_block if isinstance(document_block, list) else [document_block]
    turns: list[tuple[str, str]] = []
    for message in history:
        if message.role == "user":
            label = label_for(message.focus) if message.focus else None
            text = question_text(message.content, message.focus, label)
        else:
            if not message.content.strip():
                continue
            text = message.content
            if message.status in ("stopped", "error", "streaming"):
                text += INTERRUPTED_NOTE
        if not text.strip():
            continue
        if turns and turns[-1][0] == message.role:
            turns[-1] = (message.role, turns[-1][1] + "\n\n" + text)
        else:
            turns.append((message.role, text))
    while turns and turns[0][0] != "user":
        turns.pop(0)
    messages: list[dict[str, Any]] = []
    for index, (role, text) in enumerate(turns):
        content: list[dict[str, Any]] = [{"type": "text", "text": text}]
        if index == 0:
            content[0:0] = blocks
        messages.append({"role": role, "content": content})
    return messages


# -- changing a conversation (what the UI does between streams) ------------------------------


def start_conversation(store: ConversationStore, source_id: int, title: str = "") -> int:
    """A new, empty conversation about a source; returns its id."""
    return store.create(source_id, title).id


def queue_question(
    store: ConversationStore, conversation_id: int, question: str, focus: Focus | None = None
) -> ChatMessage:
    """Store a question to send (a draft until Claude accepts it).

    The same question still waiting as an unsent draft is reused, not copied."""
    pending = store.pending_question(conversation_id)
    if (
        pending is not None
        and pending.status == "draft"
        and pending.content == question
        and pending.focus == focus
    ):
        return pending
    return store.add_user_message(conversation_id, question, focus=focus)


def hold_question(store: ConversationStore, conversation_id: int, reason: str) -> None:
    """The waiting question could not be sent (e.g. no API key): note why next to it."""
    pending = store.pending_question(conversation_id)
    if pending is not None:
        store.set_error(pending.id, reason)


def rewind_to_last_question(store: ConversationStore, conversation_id: int) -> int:
    """Make the last question the one to send again: drops what follows it (how many).

    Raises ValueError when the conversation has no question."""
    questions = [m for m in store.messages(conversation_id) if m.role == "user"]
    if not questions:
        raise ValueError("There is no question to send.")
    return store.truncate_after(questions[-1].id)


def rewind_before(store: ConversationStore, message_id: int) -> int:
    """Answer again from this message: drops it if it is an answer, and everything after
    it; returns how many messages went. Raises ValueError when no question precedes it."""
    message = store.message(message_id)
    if message is None:
        raise ValueError("That message no longer exists.")
    earlier = [
        m
        for m in store.messages(message.conversation_id)
        if m.role == "user" and m.id <= message_id
    ]
    if not earlier:
        raise ValueError("There is no question before that answer.")
    return store.truncate_after(earlier[-1].id)


def edit_question(store: ConversationStore, message_id: int, text: str) -> ChatMessage:
    """Change an earlier question and drop what followed; it becomes a draft to send.

    Raises ValueError if the message is not a question."""
    return store.edit_user_message_and_truncate(message_id, text)


def delete_turn(store: ConversationStore, message_id: int) -> list[int]:
    """Delete a question with its answer (given either); returns the ids deleted."""
    return store.delete_turn(message_id)


# -- streaming and storing -----------------------------------------------------------------


async def ask(
    store: ConversationStore,
    client: ChatClient,
    transcript: Transcript,
    conversation_id: int,
    question: str | None,
    *,
    focus: Focus | None = None,
    focus_passage: Focus | None = None,
    cursor_segment: int | None = None,
    token_budget: int = DEFAULT_TOKEN_BUDGET,
    max_tokens: int = DEFAULT_MAX_TOKENS,
    save_interval_s: float = SAVE_INTERVAL_S,
) -> AsyncIterator[ChatEvent]:
    """Ask a question in a conversation; yields Notice?, Started, TextDelta/CitationEvent…, Done.

    `focus` (alias `focus_passage`) is the selected passage the question is about.
    Asking the same question again while it is still an unsent draft re-sends that draft
    instead of adding a copy; `question=None` re-sends the pending question.
    """
    focus = focus or focus_passage
    if question is None or (not question.strip() and focus is None):
        if store.pending_question(conversation_id) is None:
            raise ValueError("There is no question to send.")
    else:
        queue_question(store, conversation_id, question, focus)
    answer = _answer(
        store,
        client,
        transcript,
        conversation_id,
        cursor_segment=cursor_segment,
        token_budget=token_budget,
        max_tokens=max_tokens,
        save_interval_s=save_interval_s,
    )
    async with aclosing(answer) as events:
        async for event in events:
            yield event


async def retry(
    store: ConversationStore,
    client: ChatClient,
    transcript: Transcript,
    conversation_id: int,
    **options: Any,
) -> AsyncIterator[ChatEvent]:
    """Answer the last question again: drops a trailing answer (failed, stopped or not)."""
    rewind_to_last_question(store, conversation_id)
    answer = _answer(store, client, transcript, conversation_id, **options)
    async with aclosing(answer) as events:
        async for event in events:
            yield event


async def regenerate(
    store: ConversationStore,
    client: ChatClient,
    transcript: Transcript,
    message_id: int,
    **options: Any,
) -> AsyncIterator[ChatEvent]:
    """Answer again from a given message: drops it (if an answer) and everything after."""
    message = store.message(message_id)
    if message is None:
        raise ValueError("That message no longer exists.")
    rewind_before(store, message_id)
    answer = _answer(store, client, transcript, message.conversation_id, **options)
    async with aclosing(answer) as events:
        async for event in events:
            yield event


async def _answer(
    store: ConversationStore,
    client: ChatClient,
    transcript: Transcript,
    conversation_id: int,
    *,
    cursor_segment: int | None = None,
    token_budget: int = DEFAULT_TOKEN_BUDGET,
    max_tokens: int = DEFAULT_MAX_TOKENS,
    save_interval_s: float = SAVE_INTERVAL_S,
) -> AsyncIterator[ChatEvent]:
    conversation = store.conversation(conversation_id)
    if conversation is None:
        raise ValueError("That conversation no longer exists.")
    if transcript.source.id is not None and conversation.source_id != transcript.source.id:
        raise ValueError("The conversation belongs to another transcript.")
    window = conversation.window

    async def prepare(_question: ChatMessage) -> Grounding:
        document, notice = await prepare_document(
            client,
            transcript,
            cursor_segment=cursor_segment,
            token_budget=token_budget,
            window=window,
        )
        if window is None:
            store.set_window(conversation_id, document.window or _whole(transcript))
        return Grounding(
            [document.block],
            resolve=transcript_resolver(transcript, document.map),
            label_for=partial(focus_span, transcript),
            notice=notice,
        )

    answer = answer_pending(
        store,
        client,
        conversation_id,
        prepare,
        system=SYSTEM_PROMPT,
        max_tokens=max_tokens,
        save_interval_s=save_interval_s,
    )
    async with aclosing(answer) as events:
        async for event in events:
            yield event


@dataclass(frozen=True, slots=True)
class Grounding:
    """What one question is answered from: the document block(s) for the first user turn,
    how a raw citation maps back to segments, where a selected passage is, a Notice for
    the learner (an excerpt was sent) and text Ponder adds after a complete answer."""

    blocks: list[dict[str, Any]]
    resolve: Callable[[BlockCitation], Citation | None]
    label_for: Callable[[Focus], str | None]
    notice: Notice | None = None
    trailer: str = ""


async def answer_pending(
    store: ConversationStore,
    client: ChatClient,
    conversation_id: int,
    prepare: Callable[[ChatMessage], Awaitable[Grounding]],
    *,
    system: str,
    max_tokens: int = DEFAULT_MAX_TOKENS,
    save_interval_s: float = SAVE_INTERVAL_S,
) -> AsyncIterator[ChatEvent]:
    """Answer the conversation's pending question: one path for a transcript and for a
    collection. `prepare(question)` chooses what to send (a ChatError there is noted on
    the question, which stays a draft); its Notice comes first, then the answer's events,
    stored as they stream (`stream_answer`)."""
    question = store.pending_question(conversation_id)
    if question is None:
        raise ValueError("There is no question to send.")
    try:
        grounding = await prepare(question)
    except ChatError as error:
        store.set_error(question.id, str(error))
        raise
    if grounding.notice is not None:
        yield grounding.notice
    request = build_messages(
        None, store.messages(conversation_id), grounding.blocks, label_for=grounding.label_for
    )
    answer = stream_answer(
        store,
        client,
        conversation_id,
        question,
        system=system,
        request=request,
        resolve=grounding.resolve,
        max_tokens=max_tokens,
        save_interval_s=save_interval_s,
        trailer=grounding.trailer,
    )
    async with aclosing(answer) as events:
        async for event in events:
            yield event


async def stream_answer(
    store: ConversationStore,
    client: ChatClient,
    conversation_id: int,
    question: ChatMessage,
    *,
    system: str,
    request: list[dict[str, Any]],
    resolve: Callable[[BlockCitation], Citation | None],
    max_tokens: int = DEFAULT_MAX_TOKENS,
    save_interval_s: float = SAVE_INTERVAL_S,
    trailer: str = "",
) -> AsyncIterator[ChatEvent]:
    """Send `request`, store the answer as it streams, and yield its events.

    `resolve` turns a raw citation into a segment-level one (or None); `trailer` is text
    Ponder adds at the end of a complete answer (e.g. which excerpts Claude saw).
    """
    answer_id: int | None = None
    parts: list[str] = []
    citations: list[Citation] = []
    finished = False
    last_save = time.monotonic()
    try:
        stream = client.stream(system=system, messages=request, max_tokens=max_tokens)
        async with aclosing(stream) as client_events:
            async for event in client_events:
                if isinstance(event, TextDelta):
                    parts.append(event.text)
                    if answer_id is not None and time.monotonic() - last_save >= save_interval_s:
                        store.save_partial(answer_id, "".join(parts), citations)
                        last_save = time.monotonic()
                    yield event
                elif isinstance(event, BlockCitation):
                    citation = resolve(event)
                    if citation is not None:
                        citations.append(citation)
                        yield CitationEvent(citation)
                elif isinstance(event, Started):
                    store.mark_sent(conversation_id)
                    answer_id = store.start_assistant_message(conversation_id, event.model).id
                    yield Started(message_id=answer_id, model=event.model)
                elif isinstance(event, Done):
                    if trailer:
                        parts.append(trailer)
                        yield TextDelta(trailer)
                    if answer_id is not None:
                        store.finish_assistant_message(
                            answer_id,
                            text="".join(parts),
                            citations=citations,
                            status="complete",
                            usage=event.usage,
                            model=event.model,
                        )
                    finished = True
                    yield Done(event.usage, event.stop_reason, answer_id, event.model)
    except ChatError as error:
        if answer_id is not None:
            store.finish_assistant_message(
                answer_id,
                text="".join(parts),
                citations=citations,
                status="error",
                usage=error.usage,
                error=str(error),
            )
        else:
            store.set_error(question.id, str(error))
        raise
    except BaseException:
        # Cancelled (Ctrl+C, quitting, the consumer stopped listening): keep what arrived.
        if answer_id is not None and not finished:
            store.finish_assistant_message(
                answer_id,
                text="".join(parts),
                citations=citations,
                status="stopped",
                error="Stopped before the answer finished.",
            )
        raise


# -- one-shot requests: study guides -------------------------------------------


def transcript_resolver(
    transcript: Transcript, document_map: Any
) -> Callable[[BlockCitation], Citation | None]:
    """Turns a raw citation into segments of one transcript (None when out of range)."""

    def resolve(event: BlockCitation) -> Citation | None:
        return citation_for(
            transcript,
            document_map,
            event.start_block,
            event.end_block,
            event.cited_text,
            start=event.start,
            end=event.end,
        )

    return resolve


async def stream_guide(
    client: ChatClient,
    *,
    system: str,
    messages: list[dict[str, Any]],
    resolve: Callable[[BlockCitation], Citation | None],
    save: Callable[[str, list[Citation], Done], None],
    max_tokens: int = DEFAULT_MAX_TOKENS,
    trailer: str = "",
) -> AsyncIterator[ChatEvent]:
    """One request, no conversation: yields its events with resolved citations and, when
    complete, calls `save(text, citations, done)` (an interrupted guide is not saved).
    `trailer` is text Ponder adds at the end of a complete guide."""
    parts: list[str] = []
    citations: list[Citation] = []
    stream = client.stream(system=system, messages=messages, max_tokens=max_tokens)
    async with aclosing(stream) as events:
        async for event in events:
            if isinstance(event, BlockCitation):
                citation = resolve(event)
                if citation is not None:
                    citations.append(citation)
                    yield CitationEvent(citation)
                continue
            if isinstance(event, TextDelta):
                parts.append(event.text)
            elif isinstance(event, Done):
                if trailer:
                    parts.append(trailer)
                    yield TextDelta(trailer)
                save("".join(parts), citations, event)
            yield event


async def generate_guide(
    store: ConversationStore,
    client: ChatClient,
    transcript: Transcript,
    kind: str,
    *,
    cursor_segment: int | None = None,
    token_budget: int = DEFAULT_TOKEN_BUDGET,
    max_tokens: int = DEFAULT_MAX_TOKENS,
) -> AsyncIterator[ChatEvent]:
    """Stream a study guide and save it as the source's note of that kind when complete.

    An interrupted or failed guide is not saved (the previous one, if any, stays).
    Raises KeyError for an unknown kind.
    """
    guide = guide_kind(kind)
    if transcript.source.id is None:
        raise ValueError("Store the transcript before generating a study guide.")
    document, notice = await prepare_document(
        client, transcript, cursor_segment=cursor_segment, token_budget=token_budget
    )
    if notice is not None:
        yield notice
    source_id = transcript.source.id
    messages = [
        {"role": "user", "content": [document.block, {"type": "text", "text": guide.request}]}
    ]

    def save(text: str, citations: list[Citation], done: Done) -> None:
        store.save_guide(source_id, guide.name, text, citations, model=done.model, usage=done.usage)

    stream = stream_guide(
        client,
        system=SYSTEM_PROMPT,
        messages=messages,
        resolve=transcript_resolver(transcript, document.map),
        save=save,
        max_tokens=max_tokens,
    )
    async with aclosing(stream) as events:
        async for event in events:
            yield event
