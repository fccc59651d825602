"""What a card and a session look like on the review screen (pure functions, no widgets).

Card text, deck names and source titles are untrusted: they are rendered as plain
`Content` (never markup) after `inert()` made control characters visible.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime

from textual.content import Content

from core.durations import format_interval
from core.models import Source, format_timestamp
from core.textsafe import inert, inert_line
from decks import cloze
from decks.models import CardView, NoteKind, SourceRef
from decks.queue import NothingDue, QueueCounts
from decks.review import SessionSummary
from tui.media import can_open

RATING_VARIANTS = {1: "error", 2: "warning", 3: "success", 4: "primary"}
QUESTION_STYLE = "bold $text-accent"  # the `[...]` of the asked cloze
ANSWER_STYLE = "bold underline $text-accent"  # the revealed cloze answer


# -- what a card looks like (pure functions, tested without a terminal) -------------------


def card_question(view: CardView) -> Content:
    """The front: for cloze cards the asked deletion as `[...]` / `[hint]`, emphasised."""
    note = view.note
    if note.kind == NoteKind.CLOZE:
        return _cloze_content(note.front, view.card.cloze_number, reveal=False)
    return Content(inert(view.front))


def card_answer(view: CardView) -> tuple[Content, Content | None]:
    """(top, below the rule): basic/reversed keep the front on top and put the back under
    the rule; cloze shows the filled text with the answer emphasised, the extra under it."""
    note = view.note
    if note.kind == NoteKind.CLOZE:
        filled = _cloze_content(note.front, view.card.cloze_number, reveal=True)
        extra = note.back.strip()
        return filled, Content(inert(note.back)) if extra else None
    back = view.back
    return Content(inert(view.front)), Content(inert(back)) if back.strip() else None


def _cloze_content(text: str, number: int, *, reveal: bool) -> Content:
    pieces: list[str | tuple[str, str]] = []
    for part in cloze.parts(text, number, reveal=reveal):
        shown = inert(part.text)
        if part.asked:
            pieces.append((shown, ANSWER_STYLE if reveal else QUESTION_STYLE))
        else:
            pieces.append(shown)
    return Content.assemble(*pieces)


def source_line(view: CardView, source: Source | None) -> Content:
    """Deck, state and where the card came from ("source gone" once it was deleted)."""
    pieces: list[str | tuple[str, str]] = [(inert_line(view.deck_name), "bold")]
    state = "suspended" if view.card.suspended else view.card.state.label
    pieces.append(f" · {state}")
    if view.note.is_leech:
        pieces.append((" · leech", "$text-warning"))
    ref = view.note.source
    if ref is None:
        pieces.append(" · typed by hand")
    elif ref.gone or source is None:
        title = f" (was “{inert_line(ref.source_title)}”)" if ref.source_title else ""
        pieces.append((f" · source gone{title}", "$text-warning"))
    else:
        pieces.append(f" · from “{inert_line(source.title)}”")
        if ref.start_s is not None:
            pieces.append(f" at {format_timestamp(ref.start_s, always_hours=False)}")
        pieces.append(("  (s source", "dim"))
        if can_open(source):
            pieces.append((", o video", "dim"))
        pieces.append((")", "dim"))
    return Content.assemble(*pieces)


def counts_content(counts: QueueCounts, current_kind: str | None) -> Content:
    """`New 3  Learning 1  Review 12`, the queue of the card on screen underlined (Anki)."""
    pieces: list[str | tuple[str, str]] = []
    for kind, label, style in (
        ("new", "New", "bold $text-primary"),
        ("learning", "Learning", "bold $text-error"),
        ("review", "Review", "bold $text-success"),
    ):
        value = getattr(counts, kind)
        if pieces:
            pieces.append("  ")
        pieces.append(f"{label} ")
        pieces.append((str(value), style + (" underline" if kind == current_kind else "")))
    return Content.assemble(*pieces)


def describe_when(moment: datetime, now: datetime) -> str:
    """`today at 14:05 (in 3h)`, `tomorrow at 09:00 (in 20h)`, `on 2026-03-09 at 09:00 (in 7d)`."""
    local, local_now = moment.astimezone(), now.astimezone()
    clock_time = local.strftime("%H:%M")
    days = (local.date() - local_now.date()).days
    if days == 0:
        day = f"today at {clock_time}"
    elif days == 1:
        day = f"tomorrow at {clock_time}"
    else:
        day = f"on {local:%Y-%m-%d} at {clock_time}"
    wait = moment - now
    if wait.total_seconds() <= 0:
        return f"{day} (now)"
    return f"{day} (in {format_interval(wait)})"


def format_spent(milliseconds: int) -> str:
    """`45s`, `3m 05s`, `1h 02m`."""
    seconds = round(milliseconds / 1000)
    minutes, secs = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


def summary_text(summary: SessionSummary) -> str:
    """Cards reviewed, again-rate and time spent, for the end of a session."""
    cards = "card" if summary.cards == 1 else "cards"
    answers = "" if summary.answers == summary.cards else f" ({summary.answers} answers)"
    return (
        f"Reviewed {summary.cards} {cards}{answers} · again {summary.again_rate:.0%}"
        f" · {format_spent(summary.time_ms)} spent"
    )


def nothing_due_text(info: NothingDue, now: datetime) -> str:
    """When the next card is due and how many come tomorrow (plus why, if a limit hit)."""
    lines = []
    if info.next_due is not None:
        lines.append(f"Next card due {describe_when(info.next_due, now)}.")
    cards = "card is" if info.due_tomorrow == 1 else "cards are"
    lines.append(f"{info.due_tomorrow} {cards} due tomorrow.")
    if info.new_limit_reached:
        lines.append("Today's limit of new cards is reached (Settings or the deck preset).")
    if info.review_limit_reached:
        lines.append("Today's review limit is reached: the rest waits for tomorrow.")
    return "\n".join(lines)


def db_error_text(what: str, error: sqlite3.Error) -> str:
    """A database error as one line that says nothing was lost."""
    return f"Could not {what}: {inert_line(str(error))}. Nothing was lost; try again."


def source_deleted_text(ref: SourceRef, consequence: str) -> str:
    """The card's transcript was deleted (its title kept on the card, if any)."""
    title = f" “{inert_line(ref.source_title)}”" if ref.source_title else ""
    return f"The source transcript{title} was deleted{consequence}"
