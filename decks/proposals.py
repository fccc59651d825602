"""Cards proposed by Claude for a passage (the domain side of `C` on the study screen).

`propose_cards` sends one instruction after the cached transcript document (the same
prefix as the chat, so the transcript is read from the prompt cache) asking for up to
`MAX_PROPOSALS` cards as a JSON array, then parses and validates the answer. Nothing
is stored here: the learner accepts, edits or skips each proposal in the card editor.

Model output is untrusted: control characters are removed, sizes are capped, unknown
kinds and empty or malformed cards are dropped. A reply with no usable card raises
`ProposalError` with a one-line message (the UI then offers the manual editor).

No Textual here, and anthropic is imported lazily by `core.chat.client` only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from core.textsafe import clean_model_text
from decks import cloze
from decks.models import NoteKind

if TYPE_CHECKING:
    from core.chat.client import ChatClient
    from core.models import Transcript
    from decks.repository import CardStore

MAX_PROPOSALS = 3
MAX_FIELD_CHARS = 2000  # a card side longer than this is not a flashcard
MAX_PASSAGE_CHARS = 6000  # the passage quoted in the instruction (the document has it all)
MAX_ANSWER_TOKENS = 1500

_KIND_ALIASES = {
    "basic": NoteKind.BASIC,
    "front/back": NoteKind.BASIC,
    "qa": NoteKind.BASIC,
    "reversed": NoteKind.REVERSED,
    "reverse": NoteKind.REVERSED,
    "basic_reversed": NoteKind.REVERSED,
    "basic+reverse": NoteKind.REVERSED,
    "basic-and-reversed": NoteKind.REVERSED,
    "cloze": NoteKind.CLOZE,
}


class ProposalError(ValueError):
    """Claude's answer held no usable card; the message says why, in one line."""


@dataclass(frozen=True, slots=True)
class Proposal:
    """One proposed note. For cloze, `front` is the cloze text and `back` the extra."""

    kind: NoteKind
    front: str
    back: str = ""

    @property
    def card_count(self) -> int:
        if self.kind == NoteKind.CLOZE:
            return len(cloze.numbers(self.front))
        return 2 if self.kind == NoteKind.REVERSED else 1

    def to_dict(self) -> dict[str, Any]:
        """The editor's `proposal` shape: kind, front, back and (cloze) text."""
        data: dict[str, Any] = {"kind": self.kind.value, "front": self.front, "back": self.back}
        if self.kind == NoteKind.CLOZE:
            data["text"] = self.front
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Proposal:
        """A proposal from the JSON shape Claude is asked for (or `to_dict`'s).

        Raises ProposalError when the item is not a usable card.
        """
        proposal = _proposal_from_item(data)
        if proposal is None:
            raise ProposalError("That is not a usable card (kind, front/back or cloze text).")
        return proposal


# -- the instruction ---------------------------------------------------------------------


def passage_label(transcript: Transcript, first: int, last: int) -> str:
    """`[00:01:30–00:01:42]` (or `[¶3–¶5]` for untimed transcripts) for the instruction."""
    from core.models import format_timestamp

    segments = transcript.segments
    start = segments[first].start
    if start is None:
        return f"[¶{first + 1}]" if first == last else f"[¶{first + 1}–¶{last + 1}]"
    end = segments[last].end if segments[last].end is not None else segments[last].start
    return f"[{format_timestamp(start)}–{format_timestamp(end)}]"


def passage_text(transcript: Transcript, first: int, last: int) -> str:
    """The passage's segments joined with spaces (capped at MAX_PASSAGE_CHARS)."""
    text = " ".join(segment.text.strip() for segment in transcript.segments[first : last + 1])
    if len(text) > MAX_PASSAGE_CHARS:
        text = text[:MAX_PASSAGE_CHARS] + " …"
    return text


def language_hint(
    store: CardStore | None, deck_name: str | None, transcript: Transcript | None
) -> str:
    """How to tell Claude which language to write in.

    The learner's existing cards in the target deck win (a learner may study an English
    talk with cards in their own language); then the transcript's language code; then
    "the passage's language".
    """
    if store is not None and deck_name:
        samples = _deck_samples(store, deck_name)
        if samples:
            quoted = "; ".join(f"«{sample}»" for sample in samples)
            return (
                "the same language as the learner's existing cards in this deck, for "
                f"example: {quoted}"
            )
    language = transcript.source.language if transcript is not None else None
    if language:
        return f"the transcript's language (language code {language})"
    return "the language the passage is written in"


def _deck_samples(store: CardStore, deck_name: str, count: int = 3) -> list[str]:
    from decks.repository import CardFilter

    deck = store.deck_by_name(deck_name)
    if deck is None:
        return []
    views = store.search(
        CardFilter(
            deck_id=deck.id, include_subdecks=False, order="created", descending=True, limit=20
        ),
        rollover_hour=4,
    )
    samples: list[str] = []
    for view in views:
        text = " ".join(_field(view.note.front).split())
        if text and text not in samples:
            samples.append(text[:80])
        if len(samples) >= count:
            break
    return samples


def build_instruction(
    transcript: Transcript, first_segment: int, last_segment: int, language: str
) -> str:
    """The request sent after the transcript document."""
    label = passage_label(transcript, first_segment, last_segment)
    passage = passage_text(transcript, first_segment, last_segment)
    return f"""\
Propose up to {MAX_PROPOSALS} flashcards that help the learner remember the passage \
{label} of the transcript, quoted here:

<passage>
{passage}
</passage>

Rules:
- Ground every card in what the transcript says (the passage, read in the context of the \
talk). Do not add facts the talk does not state.
- One idea per card. Questions must make sense on their own, months later, without the \
talk at hand. Prefer fewer, better cards over {MAX_PROPOSALS} weak ones.
- Write every card in {language}.
- Kinds: "basic" (a question and its answer), "reversed" (a term and its definition, \
asked both ways), "cloze" (a sentence with the key words hidden as {{{{c1::answer}}}} or \
{{{{c1::answer::hint}}}}; one card per number).

Reply with only a JSON array, no prose and no code fence, in this shape:
[{{"kind": "basic", "front": "question", "back": "answer"}},
 {{"kind": "reversed", "front": "term", "back": "definition"}},
 {{"kind": "cloze", "text": "The {{{{c1::key idea}}}} in context.", "back": "optional extra"}}]
"""


# -- parsing the answer --------------------------------------------------------------------


def _field(value: Any) -> str:
    return clean_model_text(value, MAX_FIELD_CHARS)


def _proposal_from_item(item: Any) -> Proposal | None:
    if not isinstance(item, dict):
        return None
    lowered = {str(key).lower(): value for key, value in item.items()}
    raw_kind = lowered.get("kind", lowered.get("type", "basic"))
    kind_text = raw_kind.strip().lower() if isinstance(raw_kind, str) else ""
    kind = _KIND_ALIASES.get(kind_text)
    front = _field(lowered.get("front", lowered.get("question")))
    back = _field(lowered.get("back", lowered.get("answer", lowered.get("extra"))))
    text = _field(lowered.get("text", lowered.get("cloze")))
    if kind is None:
        kind = NoteKind.CLOZE if cloze.deletions(text or front) else None
    if kind is None:
        return None
    if kind == NoteKind.CLOZE:
        body = text or front
        try:
            cloze.validate(body)
        except cloze.ClozeError:
            return None
        return Proposal(NoteKind.CLOZE, body, back)
    if not front or not back:
        return None
    return Proposal(kind, front, back)


def parse_proposals(answer: str) -> list[Proposal]:
    """Up to MAX_PROPOSALS usable cards from Claude's answer.

    Accepts a bare JSON array, one wrapped in prose or a code fence, `{"cards": [...]}`
    or a single card object. Raises ProposalError when nothing usable is in it.
    """
    from core.chat.service import extract_json

    if not answer.strip():
        raise ProposalError("Claude sent an empty answer instead of cards.")
    try:
        data = extract_json(answer)
    except ValueError:
        raise ProposalError(
            "Claude's answer was not the JSON list of cards asked for; write the card yourself "
            "or press C to ask again."
        ) from None
    if isinstance(data, dict):
        inner = next(
            (data[key] for key in ("cards", "flashcards", "proposals") if key in data), None
        )
        data = inner if isinstance(inner, list) else [data]
    if not isinstance(data, list):
        raise ProposalError("Claude's answer held no list of cards.")
    proposals: list[Proposal] = []
    seen: set[tuple[str, str]] = set()
    for item in data:
        proposal = _proposal_from_item(item)
        if proposal is None or (proposal.front, proposal.back) in seen:
            continue
        seen.add((proposal.front, proposal.back))
        proposals.append(proposal)
        if len(proposals) == MAX_PROPOSALS:
            break
    if not proposals:
        raise ProposalError(
            f"None of the {len(data)} item(s) in Claude's answer was a usable card "
            "(front and back, or cloze text with {{c1::...}})."
        )
    return proposals


# -- the request ----------------------------------------------------------------------------


async def propose_cards(
    client: ChatClient,
    transcript: Transcript,
    first_segment: int,
    last_segment: int,
    deck_language_hint: str | None = None,
) -> list[Proposal]:
    """Ask Claude for up to MAX_PROPOSALS cards about segments first..last.

    `deck_language_hint` is what `language_hint` returns (None: the transcript's
    language). Raises ChatError (offline, no key, ...) or ProposalError (bad answer).
    """
    from core.chat.service import complete_text

    count = len(transcript.segments)
    if not 0 <= first_segment <= last_segment < count:
        raise ProposalError(
            f"Segments {first_segment}–{last_segment} are not in this transcript (it has {count})."
        )
    language = deck_language_hint or language_hint(None, None, transcript)
    instruction = build_instruction(transcript, first_segment, last_segment, language)
    text, _citations, _usage = await complete_text(
        client,
        transcript,
        instruction,
        cursor_segment=first_segment,
        max_tokens=MAX_ANSWER_TOKENS,
    )
    return parse_proposals(text)


__all__ = [
    "MAX_PROPOSALS",
    "Proposal",
    "ProposalError",
    "build_instruction",
    "language_hint",
    "parse_proposals",
    "passage_label",
    "passage_text",
    "propose_cards",
]
