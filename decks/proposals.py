"""Cards proposed by Claude for a passage (the domain side of `C` on the study screen).

`propose_cards` sends one instruction after the transcript document (the chat's block)
and gets up to `MAX_PROPOSALS` cards back as data: the input of the forced, strict
`propose_cards` tool (`CARDS_SHAPE`, see core.chat.structured), so the shape is valid by
construction. Nothing is stored here: the learner accepts, edits or skips each proposal
in the card editor.

Model output is still untrusted: control characters are removed, sizes are capped, and
empty sides or cloze text without a valid deletion are dropped. No usable card raises
`ProposalError`; a refusal or a cut-off answer is a ChatError (`Refused`, `CutOff`);
each is one line, and the UI then offers the manual editor.

No Textual here, and anthropic is imported lazily by `core.chat.client` only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from core.chat.structured import AnswerShape, ask_structured, strict_object
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

Record the cards with the propose_cards tool.
"""


# -- the answer, as data --------------------------------------------------------------------

KINDS = {"basic": NoteKind.BASIC, "reversed": NoteKind.REVERSED, "cloze": NoteKind.CLOZE}

CARDS_SHAPE = AnswerShape(
    name="propose_cards",
    description=f"Record up to {MAX_PROPOSALS} flashcards proposed for the passage, best first.",
    schema=strict_object(
        {
            "cards": {
                "type": "array",
                "description": f"At most {MAX_PROPOSALS} cards; fewer, better cards are fine.",
                "items": strict_object(
                    {
                        "kind": {
                            "type": "string",
                            "enum": list(KINDS),
                            "description": "basic: question and answer; reversed: term and "
                            "definition, asked both ways; cloze: a sentence with hidden words.",
                        },
                        "front": {
                            "type": "string",
                            "description": "basic: the question; reversed: the term; cloze: "
                            "the sentence with {{c1::hidden words}} (or {{c1::words::hint}}).",
                        },
                        "back": {
                            "type": "string",
                            "description": "basic: the answer; reversed: the definition; "
                            "cloze: an optional extra note, or an empty string.",
                        },
                    }
                ),
            }
        }
    ),
    task="propose cards for this passage",
    noun="list of proposed cards",
)


def _field(value: Any) -> str:
    return clean_model_text(value, MAX_FIELD_CHARS)


def _proposal_from_item(item: Any) -> Proposal | None:
    """A card from one item of the schema's `cards`; None when its content is unusable."""
    if not isinstance(item, dict):
        return None
    kind = KINDS.get(str(item.get("kind", "")))
    if kind is None:
        return None
    front = _field(item.get("front", item.get("text")))
    back = _field(item.get("back"))
    if kind == NoteKind.CLOZE:
        try:
            cloze.validate(front)
        except cloze.ClozeError:
            return None
        return Proposal(NoteKind.CLOZE, front, back)
    if not front or not back:
        return None
    return Proposal(kind, front, back)


def proposals_from_data(data: dict[str, Any]) -> list[Proposal]:
    """Up to MAX_PROPOSALS usable cards from the `propose_cards` tool input.

    The schema fixes the shape; this checks the content: empty sides, cloze text
    without a valid {{c1::...}}, repeats, and sizes and control characters (model text
    is untrusted). Raises ProposalError when no card is usable.
    """
    items = data.get("cards")
    if not isinstance(items, list) or not items:
        raise ProposalError("Claude proposed no card for this passage; write one yourself.")
    proposals: list[Proposal] = []
    seen: set[tuple[str, str]] = set()
    for item in items:
        proposal = _proposal_from_item(item)
        if proposal is None or (proposal.front, proposal.back) in seen:
            continue
        seen.add((proposal.front, proposal.back))
        proposals.append(proposal)
        if len(proposals) == MAX_PROPOSALS:
            break
    if not proposals:
        raise ProposalError(
            f"None of the {len(items)} card(s) Claude proposed was usable (an empty side, or "
            "cloze text without {{c1::...}}); write one yourself or press C to ask again."
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
    language). Raises ChatError (offline, no key, a refusal, a cut-off answer, ...) or
    ProposalError (no usable card).
    """
    count = len(transcript.segments)
    if not 0 <= first_segment <= last_segment < count:
        raise ProposalError(
            f"Segments {first_segment}–{last_segment} are not in this transcript (it has {count})."
        )
    language = deck_language_hint or language_hint(None, None, transcript)
    instruction = build_instruction(transcript, first_segment, last_segment, language)
    answer = await ask_structured(
        client,
        CARDS_SHAPE,
        instruction,
        transcript=transcript,
        cursor_segment=first_segment,
        max_tokens=MAX_ANSWER_TOKENS,
    )
    return proposals_from_data(answer.data)


__all__ = [
    "CARDS_SHAPE",
    "MAX_PROPOSALS",
    "Proposal",
    "ProposalError",
    "build_instruction",
    "language_hint",
    "passage_label",
    "passage_text",
    "proposals_from_data",
    "propose_cards",
]
