"""The card browser's text: table cells (state, due) and the detail panel (sides, source,
memory state, history), built as plain styled Text so card text is never markup."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text

from core.models import format_timestamp
from core.textsafe import inert, inert_line
from decks.models import CardState, CardView

DETAIL_WIDTH = 44
HISTORY_SHOWN = 30
SIDE_LINES = 3  # lines of front and of back in the detail panel


def state_label(view: CardView, now: datetime) -> str:
    """new / learning / review / relearning, with suspended, buried and leech marks."""
    card = view.card
    label = CardState(card.state).label
    if card.suspended:
        label = "suspended"
    elif card.is_buried(now):
        label = "buried"
    if view.note.is_leech:
        label += " ⚑"
    return label


def due_label(view: CardView, now: datetime) -> str:
    card = view.card
    if card.is_new:
        return "new"
    local_due = card.due.astimezone()
    if local_due.date() == now.astimezone().date():
        return local_due.strftime("%H:%M")
    return local_due.strftime("%Y-%m-%d")


def number_text(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def percent_text(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.0f}%"


def clipped(text: str, lines: int, width: int) -> str:
    """About `lines` lines of `width` characters (the panel wraps them), with … where it
    was cut, so a long side leaves room in the panel for the source and the history."""
    kept: list[str] = []
    budget = lines
    for paragraph in text.strip().splitlines():
        needed = max(1, -(-len(paragraph) // width))
        if needed <= budget:
            kept.append(paragraph)
            budget -= needed
            continue
        if budget > 0:
            kept.append(paragraph[: budget * width - 1].rstrip() + "…")
        elif kept:
            kept[-1] = kept[-1].rstrip() + " …"
        break
    return "\n".join(kept)


def source_line(details: object) -> str:
    """`Title · 00:01:30 · segments 3–5`, `source gone (was Title)` or `typed by hand`."""
    view: CardView = details.view  # type: ignore[attr-defined]
    source = view.note.source
    if source is None:
        return "typed by hand"
    title = source.source_title or "untitled"
    if not details.source_exists:  # type: ignore[attr-defined]
        return f"source gone (was {title})"
    parts = [title]
    if source.start_s is not None:
        parts.append(format_timestamp(source.start_s))
    if source.first_segment is not None:
        last = source.last_segment if source.last_segment is not None else source.first_segment
        if last == source.first_segment:
            parts.append(f"segment {source.first_segment + 1}")
        else:
            parts.append(f"segments {source.first_segment + 1}–{last + 1}")
    return " · ".join(parts)


def detail_text(details: object, now: datetime) -> Text:
    """The detail panel: the card's sides, memory state, source and review history."""
    from decks.browse import CardDetails

    assert isinstance(details, CardDetails)
    view, memory = details.view, details.memory
    card, note = view.card, view.note
    text = Text()

    def heading(title: str) -> None:
        text.append(f"{title}\n", style="bold")

    def field(name: str, value: str) -> None:
        text.append(f"  {name:<14}", style="dim")
        text.append(f"{value}\n")

    text.append("Front  ", style="bold")
    text.append(clipped(inert(view.front), SIDE_LINES, DETAIL_WIDTH - 10) + "\n")
    text.append("Back   ", style="bold")
    text.append(clipped(inert(view.back), SIDE_LINES, DETAIL_WIDTH - 10) + "\n")
    field("source", inert_line(source_line(details)))
    field("deck", inert_line(view.deck_name))
    kind = note.kind.value + (f" (card {card.ord + 1})" if note.kind.value != "basic" else "")
    field("kind · tags", f"{kind} · " + (inert_line(" ".join(note.tags)) or "–"))
    heading("Memory (FSRS)")
    due = (
        "new (not studied yet)"
        if card.is_new
        else memory.due.astimezone().strftime("%Y-%m-%d %H:%M")
    )
    field("state · due", f"{state_label(view, now)} · {due}")
    stability = "–" if memory.stability is None else f"{memory.stability:.2f} d"
    difficulty = "–" if memory.difficulty is None else f"{memory.difficulty:.2f}/10"
    field("stab. · diff.", f"{stability} · {difficulty}")
    field("recall now", percent_text(memory.retrievability))
    field("reviews", f"{memory.reps} · lapses {memory.lapses} · card {card.id} · note {note.id}")
    history = details.history
    heading(f"History ({len(history)} review{'s' if len(history) != 1 else ''})")
    if not history:
        text.append("  no reviews yet\n", style="dim")
    for entry in history[-HISTORY_SHOWN:][::-1]:
        log = entry.log
        when = log.reviewed_at.astimezone().strftime("%Y-%m-%d %H:%M")
        seconds = "" if log.duration_ms is None else f" {log.duration_ms / 1000:.0f}s"
        text.append(f"  {when}  ")
        text.append(f"{entry.rating_name:<5}", style="bold")
        text.append(f"  was {entry.state_before.label}{seconds}\n", style="dim")
    if len(history) > HISTORY_SHOWN:
        text.append(f"  … {len(history) - HISTORY_SHOWN} older\n", style="dim")
    return text
