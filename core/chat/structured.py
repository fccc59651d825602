"""Answers that must be data (proposed cards, quiz questions, grades): one forced, strict tool.

Why a tool and not `output_config.format`: the Messages API refuses JSON outputs
(`output_config.format`) together with citation-enabled documents (400), and Ponder's
transcript document has citations on (it is the same cached block the chat sends). A
strict tool (`"strict": true`) forced with `tool_choice` is accepted with that document
and its input is constrained to the tool's `input_schema`, so a real model's answer is
valid by construction. Tool input carries no citations (the API attaches them to text
blocks only), so the passages an answer rests on are asked for as data: `sources`, the
`[hh:mm:ss]` / `[¶N]` labels that start each document block, mapped back to block
citations here.

How it can still go wrong, each a ChatError with a one-line message:
- `Refused`: stop_reason "refusal" (Claude declined; the API may say why);
- `CutOff`: stop_reason "max_tokens" (or the context window): the JSON is incomplete;
- `MalformedAnswer`: no tool input, or input that is not the JSON object asked for
  (only a model or proxy that ignores `strict` could send that).
Domain modules (decks.proposals, core.quiz, core.recall) still check each field's
content (sizes, control characters, cloze syntax): a schema says "a string", not "a
good card".
"""

from __future__ import annotations

import json
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from core.chat.client import BlockCitation, ToolInput
from core.chat.document import PreparedDocument, citation_for, segment_label
from core.chat.errors import ChatError
from core.chat.models import Citation, Done, Usage, unique_citations
from core.chat.prompts import SYSTEM_PROMPT

if TYPE_CHECKING:
    from core.chat.client import ChatClient
    from core.models import Transcript

SOURCES_FIELD = "sources"
CUT_OFF_REASONS = ("max_tokens", "model_context_window_exceeded")


class Refused(ChatError):
    """Claude declined to answer (stop_reason "refusal")."""

    retryable = False
    default_message = "Claude declined to answer this request (a refusal)."


class CutOff(ChatError):
    """The answer hit the token limit before the JSON was complete."""

    default_message = "Claude's answer was cut off before it was complete; try again."


class MalformedAnswer(ChatError):
    """The answer was not the JSON object the tool asks for."""

    default_message = "Claude's answer was not in the form asked for; try again."


def sources_property(description: str | None = None) -> dict[str, Any]:
    """The `sources` schema property: the labels of the document blocks an answer rests on."""
    return {
        "type": "array",
        "description": description
        or (
            "The timestamps of the transcript passages this rests on, exactly as they "
            'start the document\'s text blocks, e.g. "00:12:34" (or "¶12").'
        ),
        "items": {"type": "string"},
    }


def strict_object(properties: dict[str, Any], description: str = "") -> dict[str, Any]:
    """An object schema the strict-tool grammar accepts: every property required, no others."""
    schema: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }
    if description:
        schema["description"] = description
    return schema


@dataclass(frozen=True, slots=True)
class AnswerShape:
    """One kind of structured answer: a tool name, its input schema and how to talk about it.

    `task` completes "Claude declined to …" ("propose cards for this passage");
    `noun` names the result, singular ("list of cards"), in "Claude's … was cut off".
    """

    name: str
    description: str
    schema: dict[str, Any]
    task: str
    noun: str

    def tool(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "input_schema": self.schema,
            "strict": True,
        }

    def tool_choice(self) -> dict[str, Any]:
        return {"type": "tool", "name": self.name}

    @property
    def has_sources(self) -> bool:
        return SOURCES_FIELD in self.schema.get("properties", {})

    def without_sources(self) -> AnswerShape:
        """The same shape minus `sources` (for a request with no document to cite)."""
        if not self.has_sources:
            return self
        properties = {k: v for k, v in self.schema["properties"].items() if k != SOURCES_FIELD}
        schema = {**self.schema, "properties": properties, "required": list(properties)}
        return AnswerShape(self.name, self.description, schema, self.task, self.noun)


@dataclass(slots=True)
class StructuredAnswer:
    """The tool input as a dict, the citations its `sources` resolve to, and the usage."""

    data: dict[str, Any]
    citations: list[Citation] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    model: str = ""


# -- sources -> citations ------------------------------------------------------------------


def _normal_label(label: str) -> str:
    return " ".join(str(label).strip().strip("[]").split())


def citations_for_sources(
    transcript: Transcript, document: PreparedDocument, labels: Any
) -> list[Citation]:
    """Block citations for the labels Claude named; labels that match no block are dropped.

    A label names the block it starts (`00:12:34` or `¶12`, brackets optional). A
    timestamp that starts no block but falls inside the document points at the block
    holding that moment, since a model may name a moment rather than a block start.
    """
    if not isinstance(labels, list):
        return []
    segments = transcript.segments
    blocks = document.map.blocks
    by_label = {segment_label(segments, first): index for index, (first, _) in enumerate(blocks)}
    found: list[Citation] = []
    for raw in labels[:12]:
        if not isinstance(raw, str):
            continue
        label = _normal_label(raw)
        index = by_label.get(label)
        if index is None:
            index = _block_at_time(transcript, document, label)
        if index is None:
            continue
        first, last = blocks[index]
        cited = " ".join(segment.text.strip() for segment in segments[first : last + 1])
        citation = citation_for(transcript, document.map, index, index + 1, cited)
        if citation is not None:
            found.append(citation)
    return unique_citations(found)


def _block_at_time(transcript: Transcript, document: PreparedDocument, label: str) -> int | None:
    seconds = _seconds(label)
    if seconds is None or not transcript.timed:
        return None
    segments = transcript.segments
    best: int | None = None
    for index, (first, last) in enumerate(document.map.blocks):
        start = segments[first].start
        end = segments[last].end if segments[last].end is not None else segments[last].start
        if start is None:
            continue
        if start <= seconds + 0.5:
            best = index
            if end is not None and seconds <= end:
                return index
    if best is None:
        return None
    last_block = document.map.blocks[best][1]
    end = segments[last_block].end
    return best if end is None or seconds <= end + 1 else None


def _seconds(label: str) -> float | None:
    parts = label.split(":")
    if not 2 <= len(parts) <= 3 or not all(p.strip().isdigit() for p in parts):
        return None
    total = 0
    for part in parts:
        total = total * 60 + int(part)
    return float(total)


# -- the request ---------------------------------------------------------------------------


async def ask_structured(
    client: ChatClient,
    shape: AnswerShape,
    instruction: str,
    *,
    transcript: Transcript | None = None,
    cursor_segment: int | None = None,
    token_budget: int | None = None,
    max_tokens: int = 1024,
    system: str = SYSTEM_PROMPT,
) -> StructuredAnswer:
    """One request whose answer is `shape`'s tool input.

    With a transcript, the request is the chat's: its document block (citations on,
    cache_control) then the instruction; `sources` in the answer become citations.
    Without one, the instruction alone (and `sources` is left out of the schema).
    Raises Refused, CutOff, MalformedAnswer or any other ChatError.
    """
    from core.chat.service import DEFAULT_TOKEN_BUDGET, prepare_document

    document: PreparedDocument | None = None
    content: list[dict[str, Any]] = [{"type": "text", "text": instruction}]
    if transcript is not None and transcript.segments:
        document, _notice = await prepare_document(
            client,
            transcript,
            cursor_segment=cursor_segment,
            token_budget=token_budget or DEFAULT_TOKEN_BUDGET,
        )
        content.insert(0, document.block)
    elif shape.has_sources:
        shape = shape.without_sources()
    messages = [{"role": "user", "content": content}]
    inputs: list[ToolInput] = []
    done: Done | None = None
    stream = client.stream(
        system=system,
        messages=messages,
        max_tokens=max_tokens,
        tools=[shape.tool()],
        tool_choice=shape.tool_choice(),
    )
    async with aclosing(stream) as events:
        async for event in events:
            if isinstance(event, ToolInput):
                inputs.append(event)
            elif isinstance(event, Done):
                done = event
            elif isinstance(event, BlockCitation):
                continue  # only text blocks carry citations; a forced tool writes none
    usage = done.usage if done is not None else Usage()
    reason = done.stop_reason if done is not None else None
    if reason == "refusal":
        detail = f" ({_clip(done.stop_detail)})" if done is not None and done.stop_detail else ""
        raise Refused(f"Claude declined to {shape.task}{detail}. Nothing was changed.", usage=usage)
    if reason in CUT_OFF_REASONS:
        raise CutOff(
            f"Claude's {shape.noun} was cut off at the {max_tokens:,}-token limit, before "
            "it was complete; nothing was used. Try again.",
            usage=usage,
        )
    data = _tool_data(shape, inputs, usage)
    citations: list[Citation] = []
    if document is not None and transcript is not None and shape.has_sources:
        citations = citations_for_sources(transcript, document, data.get(SOURCES_FIELD))
    return StructuredAnswer(
        data=data,
        citations=citations,
        usage=usage,
        model=done.model if done is not None else client.model,
    )


def _tool_data(shape: AnswerShape, inputs: list[ToolInput], usage: Usage) -> dict[str, Any]:
    chosen = next((item for item in inputs if item.name == shape.name), None)
    if chosen is None:
        raise MalformedAnswer(
            f"Claude's answer held no {shape.noun} (no {shape.name} input); try again.",
            usage=usage,
        )
    try:
        data = json.loads(chosen.raw_json or "{}")
    except ValueError:
        raise MalformedAnswer(
            f"Claude's {shape.noun} was not valid JSON; try again.", usage=usage
        ) from None
    if not isinstance(data, dict):
        raise MalformedAnswer(
            f"Claude's {shape.noun} was not the JSON object asked for; try again.", usage=usage
        )
    return data


def _clip(text: str | None, limit: int = 200) -> str:
    from core.textsafe import clean_model_text

    cleaned = " ".join(clean_model_text(text or "", limit).split())
    return cleaned.rstrip(".")


__all__ = [
    "AnswerShape",
    "CutOff",
    "MalformedAnswer",
    "Refused",
    "StructuredAnswer",
    "ask_structured",
    "citations_for_sources",
    "sources_property",
    "strict_object",
]
