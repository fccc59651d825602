"""Asking Claude about a collection of transcripts (a course, a podcast, a person).

Every transcript goes as its own cited `document` block, titled with its title, in the
first user turn; the blocks carry `cache_control` (at most four breakpoints, as the API
allows, always including the last document, which caches every document before it), so
follow-up questions read the collection from the prompt cache. A citation's
`document_index` says which transcript it cites; it comes back as a Citation with that
transcript's `source_id` and a `Title hh:mm:ss` label.

Over the token budget, each question sends only the passages the full-text index ranks
best for it (plus the passage the learner selected): one excerpt document per transcript
that has any. A Notice says so before the answer, and the stored answer ends with a note
naming the excerpts Claude saw.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any

from core.chat.client import DEFAULT_MAX_TOKENS, BlockCitation, ChatClient
from core.chat.document import (
    BLOCK_CHARS,
    DocumentMap,
    PreparedDocument,
    block_texts,
    build_document,
    citation_for,
    group_segments,
    span_text,
)
from core.chat.models import ChatEvent, ChatMessage, Citation, Done, Focus, Notice
from core.chat.prompts import COLLECTION_SYSTEM_PROMPT, collection_request, guide_kind
from core.chat.service import (
    DEFAULT_TOKEN_BUDGET,
    SAVE_INTERVAL_S,
    Grounding,
    answer_pending,
    queue_question,
    rewind_to_last_question,
    stream_guide,
)
from core.chat.store import ConversationStore
from core.models import Transcript
from core.search import best_passages

MAX_CACHE_BREAKPOINTS = 4  # the Messages API refuses more cache_control blocks than this
TITLE_IN_LABEL = 40  # characters of a title kept in a `[Title hh:mm:ss]` marker
CONTEXT_BEFORE = 2  # segments sent before and after each passage the index ranks best
CONTEXT_AFTER = 3
PASSAGES = 60  # ranked passages considered per question


@dataclass(frozen=True, slots=True)
class CollectionDocument:
    """One transcript of the collection as sent: whole, or excerpts (`ranges`)."""

    transcript: Transcript
    document: PreparedDocument
    ranges: tuple[tuple[int, int], ...] | None = None  # None: the whole transcript

    @property
    def source_id(self) -> int:
        return int(self.transcript.source.id or 0)


@dataclass(frozen=True, slots=True)
class PreparedCollection:
    """The documents of one request, and what the learner is told about excerpts."""

    documents: list[CollectionDocument]
    notice: Notice | None = None
    trailer: str = ""

    @property
    def blocks(self) -> list[dict[str, Any]]:
        return [d.document.block for d in self.documents]

    @property
    def excerpts(self) -> bool:
        return any(d.ranges is not None for d in self.documents)


def short_title(title: str) -> str:
    """A title on one line, cut to TITLE_IN_LABEL characters for citation markers."""
    line = " ".join(title.split()) or "Transcript"
    return line if len(line) <= TITLE_IN_LABEL else line[: TITLE_IN_LABEL - 1].rstrip() + "…"


def cache_breakpoints(count: int) -> set[int]:
    """Which of `count` documents carry cache_control: every one up to four, else four
    spread out ending with the last (a breakpoint caches everything before it too)."""
    if count <= MAX_CACHE_BREAKPOINTS:
        return set(range(count))
    step = count / MAX_CACHE_BREAKPOINTS
    return {round(step * (i + 1)) - 1 for i in range(MAX_CACHE_BREAKPOINTS)}


def _with_cache(documents: list[PreparedDocument]) -> list[PreparedDocument]:
    marked = cache_breakpoints(len(documents))
    result = []
    for index, document in enumerate(documents):
        block = dict(document.block)
        if index not in marked:
            block.pop("cache_control", None)
        result.append(PreparedDocument(block, document.map, document.window, document.total_chars))
    return result


def excerpt_document(transcript: Transcript, ranges: Sequence[tuple[int, int]]) -> PreparedDocument:
    """A document holding only some passages of a transcript (inclusive segment ranges)."""
    segments = transcript.segments
    groups: list[tuple[int, int]] = []
    for first, last in ranges:
        groups.extend(group_segments(segments, first, last, block_chars=BLOCK_CHARS))
    texts = block_texts(segments, groups)
    spans = ", ".join(span_text(transcript, first, last) for first, last in ranges)
    block: dict[str, Any] = {
        "type": "document",
        "source": {"type": "content", "content": [{"type": "text", "text": t} for t in texts]},
        "title": " ".join(transcript.source.title.split()) or "Transcript",
        "context": (
            f"excerpts only: {spans}. The collection is too long to send whole; these are "
            "the passages that matched the question best. Say so if the answer may lie "
            "elsewhere."
        ),
        "citations": {"enabled": True},
        "cache_control": {"type": "ephemeral"},
    }
    return PreparedDocument(block, DocumentMap(tuple(groups)), ranges[0], sum(map(len, texts)))


def _merge(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for first, last in sorted(ranges):
        if merged and first <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return merged


def _size(transcript: Transcript, ranges: list[tuple[int, int]]) -> int:
    segments = transcript.segments
    return sum(len(segments[i].text) + 13 for first, last in ranges for i in range(first, last + 1))


def choose_excerpts(
    where: Any,
    transcripts: Sequence[Transcript],
    question: str,
    focus: Focus | None,
    max_chars: int,
) -> dict[int, list[tuple[int, int]]]:
    """source id -> merged segment ranges to send: the learner's selection first, then the
    passages bm25 ranks best for the question, each with a little context, until
    `max_chars`; when nothing matches, the opening of each transcript."""
    by_id = {int(t.source.id or 0): t for t in transcripts}
    chosen: dict[int, list[tuple[int, int]]] = {}

    def total() -> int:
        return sum(_size(by_id[s], r) for s, r in chosen.items())

    def take(source_id: int, first: int, last: int) -> bool:
        transcript = by_id.get(source_id)
        if transcript is None or not transcript.segments:
            return True
        count = len(transcript.segments)
        first, last = max(0, min(first, count - 1)), max(0, min(last, count - 1))
        before = chosen.get(source_id, [])
        after = _merge([*before, (first, last)])
        chosen[source_id] = after
        if total() > max_chars and (before or len(chosen) > 1):
            chosen[source_id] = before
            if not before:
                del chosen[source_id]
            return False
        return True

    if focus is not None and focus.source_id in by_id:
        take(focus.source_id, focus.first_segment, focus.last_segment)
    text = " ".join([question, focus.text if focus else ""])
    for source_id, index in best_passages(where, text, list(by_id), PASSAGES):
        if not take(source_id, index - CONTEXT_BEFORE, index + CONTEXT_AFTER):
            break
    if not chosen:  # no word of the question is in the collection: the openings
        share = max(max_chars // max(len(by_id), 1), 1)
        for source_id, transcript in by_id.items():
            running, last = 0, -1
            while last + 1 < len(transcript.segments) and running < share:
                last += 1
                running += len(transcript.segments[last].text) + 13
            if last >= 0:
                chosen[source_id] = [(0, last)]
    return chosen


def excerpt_note(documents: Sequence[CollectionDocument]) -> str:
    """`Title A (00:01:00–00:02:10, …); Title B (¶3–¶7)`: what an excerpt request held."""
    parts = []
    for document in documents:
        transcript = document.transcript
        ranges = document.ranges or ((0, max(len(transcript.segments) - 1, 0)),)
        spans = ", ".join(span_text(transcript, first, last) for first, last in ranges)
        parts.append(f"{short_title(transcript.source.title)} ({spans})")
    return "; ".join(parts)


async def prepare_collection(
    client: ChatClient,
    transcripts: Sequence[Transcript],
    *,
    where: Any,
    question: str = "",
    focus: Focus | None = None,
    token_budget: int = DEFAULT_TOKEN_BUDGET,
    system: str = COLLECTION_SYSTEM_PROMPT,
) -> PreparedCollection:
    """The documents to send for one question: every transcript whole when the collection
    fits the token budget, else the best-ranked excerpts (`where`: the library's conn)."""
    whole = _with_cache([build_document(t) for t in transcripts])
    documents = [CollectionDocument(t, d) for t, d in zip(transcripts, whole, strict=True)]
    chars = sum(d.total_chars for d in whole)
    if chars <= token_budget:
        return PreparedCollection(documents)
    probe = [
        {"role": "user", "content": [*(d.block for d in whole), {"type": "text", "text": "?"}]}
    ]
    tokens = await client.count_tokens(system=system, messages=probe)
    if tokens <= token_budget:
        return PreparedCollection(documents)
    max_chars = int(token_budget * 0.9 * chars / max(tokens, 1))
    chosen = choose_excerpts(where, transcripts, question, focus, max_chars)
    picked = [t for t in transcripts if int(t.source.id or 0) in chosen]
    excerpts = _with_cache([excerpt_document(t, chosen[int(t.source.id or 0)]) for t in picked])
    documents = [
        CollectionDocument(t, d, tuple(chosen[int(t.source.id or 0)]))
        for t, d in zip(picked, excerpts, strict=True)
    ]
    which = excerpt_note(documents)
    notice = Notice(
        f"The collection is about {tokens:,} tokens, over the {token_budget:,}-token budget: "
        f"Claude sees only the passages the search ranks best for this question: {which}."
    )
    trailer = (
        "\n\n[Excerpts only: the collection is over the token budget, so this answer saw "
        f"only these passages: {which}.]"
    )
    return PreparedCollection(documents, notice, trailer)


def resolver(prepared: PreparedCollection) -> Callable[[BlockCitation], Citation | None]:
    """Raw citation -> Citation of the transcript its `document_index` names (or None)."""

    def resolve(event: BlockCitation) -> Citation | None:
        if not 0 <= event.document_index < len(prepared.documents):
            return None
        sent = prepared.documents[event.document_index]
        citation = citation_for(
            sent.transcript,
            sent.document.map,
            event.start_block,
            event.end_block,
            event.cited_text,
            start=event.start,
            end=event.end,
        )
        if citation is None:
            return None
        return Citation(
            first_segment=citation.first_segment,
            last_segment=citation.last_segment,
            cited_text=citation.cited_text,
            label=f"{short_title(sent.transcript.source.title)} {citation.label}",
            start=citation.start,
            end=citation.end,
            source_id=sent.source_id,
        )

    return resolve


def focus_labeller(transcripts: Sequence[Transcript]) -> Callable[[Focus], str | None]:
    """Where a selected passage is: `Title 00:01:00–00:01:30`."""
    by_id = {t.source.id: t for t in transcripts}

    def label(focus: Focus) -> str | None:
        transcript = by_id.get(focus.source_id)
        if transcript is None or not transcript.segments:
            return None
        last = len(transcript.segments) - 1
        if not 0 <= focus.first_segment <= focus.last_segment <= last:
            return None
        span = span_text(transcript, focus.first_segment, focus.last_segment)
        return f"{short_title(transcript.source.title)} {span}"

    return label


async def ask_collection(
    store: ConversationStore,
    client: ChatClient,
    transcripts: Sequence[Transcript],
    conversation_id: int,
    question: str | None,
    *,
    where: Any,
    focus: Focus | None = None,
    token_budget: int = DEFAULT_TOKEN_BUDGET,
    max_tokens: int = DEFAULT_MAX_TOKENS,
    save_interval_s: float = SAVE_INTERVAL_S,
) -> AsyncIterator[ChatEvent]:
    """Ask (or, `question=None`, re-send) in a collection's conversation; the same events
    as `service.ask`. `where` is the library's connection (for ranking excerpts)."""
    conversation = store.conversation(conversation_id)
    if conversation is None or conversation.collection_id is None:
        raise ValueError("That conversation is not about a collection.")
    if not transcripts:
        raise ValueError("The collection has no transcripts: add some first.")
    if question is not None and (question.strip() or focus is not None):
        queue_question(store, conversation_id, question, focus)

    async def prepare(asked: ChatMessage) -> Grounding:
        prepared = await prepare_collection(
            client,
            transcripts,
            where=where,
            question=asked.content,
            focus=asked.focus,
            token_budget=token_budget,
        )
        return Grounding(
            prepared.blocks,
            resolve=resolver(prepared),
            label_for=focus_labeller(transcripts),
            notice=prepared.notice,
            trailer=prepared.trailer,
        )

    answer = answer_pending(
        store,
        client,
        conversation_id,
        prepare,
        system=COLLECTION_SYSTEM_PROMPT,
        max_tokens=max_tokens,
        save_interval_s=save_interval_s,
    )
    async with aclosing(answer) as events:
        async for event in events:
            yield event


async def retry_collection(
    store: ConversationStore,
    client: ChatClient,
    transcripts: Sequence[Transcript],
    conversation_id: int,
    **options: Any,
) -> AsyncIterator[ChatEvent]:
    """Answer the last question again: drops a trailing answer (failed, stopped or not)."""
    rewind_to_last_question(store, conversation_id)
    answer = ask_collection(store, client, transcripts, conversation_id, None, **options)
    async with aclosing(answer) as events:
        async for event in events:
            yield event


async def generate_collection_guide(
    store: ConversationStore,
    client: ChatClient,
    collection_id: int,
    name: str,
    transcripts: Sequence[Transcript],
    kind: str,
    *,
    where: Any,
    token_budget: int = DEFAULT_TOKEN_BUDGET,
    max_tokens: int = DEFAULT_MAX_TOKENS,
) -> AsyncIterator[ChatEvent]:
    """Stream a study guide about the whole collection; saved as the collection's note of
    that kind when complete (an interrupted or failed one is not). KeyError: unknown kind."""
    guide = guide_kind(kind)
    if not transcripts:
        raise ValueError("The collection has no transcripts: add some first.")
    instruction = collection_request(guide.request, name)
    prepared = await prepare_collection(
        client, transcripts, where=where, question=instruction, token_budget=token_budget
    )
    if prepared.notice is not None:
        yield prepared.notice
    messages = [
        {"role": "user", "content": [*prepared.blocks, {"type": "text", "text": instruction}]}
    ]

    def save(text: str, citations: list[Citation], done: Done) -> None:
        store.save_collection_guide(
            collection_id, guide.name, text, citations, model=done.model, usage=done.usage
        )

    stream = stream_guide(
        client,
        system=COLLECTION_SYSTEM_PROMPT,
        messages=messages,
        resolve=resolver(prepared),
        save=save,
        max_tokens=max_tokens,
        trailer=prepared.trailer,
    )
    async with aclosing(stream) as events:
        async for event in events:
            yield event
