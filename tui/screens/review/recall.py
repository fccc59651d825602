"""Free recall on the review screen: the answer box, the comparison and Claude's grade.

With typing on, the front comes with a box, "Type your answer" (Enter or ctrl+s checks
it, ctrl+j adds a line, Esc leaves the box so the screen's keys work; Tab goes back).
Checking reveals the back with the typed answer beside the card's answer. With an API
key, Claude compares them (`core.recall.grade_recall`, in a worker: "Claude is
comparing…", Esc stops it, the reveal stays) and says what was right, what was missing
and which rating it suggests (that button is marked); the learner's 1-4 still decides.
Without a key, or when grading fails, the two answers stay side by side for
self-grading and a line says why.

`FreeRecall` holds the state of the card on screen (what was typed, the grade) and runs
the grading worker in the screen's "recall" group; the screen decides when to check,
reset or stop it.
"""

from __future__ import annotations

import sqlite3
from contextlib import suppress
from typing import TYPE_CHECKING, Any, ClassVar

from textual import events
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Static, TextArea

from core.ratings import RATING_NAMES
from core.textsafe import inert, inert_line
from decks import cloze
from decks.models import CardView, NoteKind
from decks.passage import card_focus, card_texts
from tui.context import ponder
from tui.screens.review.content import ANSWER_STYLE

if TYPE_CHECKING:
    from core.config import Config
    from core.recall import RecallFeedback

NOTHING_TYPED = "(nothing typed: “I don't know”)"
NO_KEY_NOTE = (
    "No grading by Claude: no Anthropic API key (set ANTHROPIC_API_KEY, or api_key in "
    "Settings). Compare your answer with the card's and rate it yourself."
)


def expected_answer(view: CardView) -> Content:
    """What the typed answer is compared with: the back, or a cloze's asked part(s) (and
    its extra)."""
    note = view.note
    if note.kind == NoteKind.CLOZE:
        asked = [
            inert(part.text)
            for part in cloze.parts(note.front, view.card.cloze_number, reveal=True)
            if part.asked
        ]
        pieces: list[str | tuple[str, str]] = [(" · ".join(asked), ANSWER_STYLE)]
        if note.back.strip():
            pieces.append("\n" + inert(note.back.strip()))
        return Content.assemble(*pieces)
    back = view.back.strip()
    return Content(inert(back)) if back else Content.styled("(the card has no back)", "dim")


def typed_content(typed: str) -> Content:
    """The learner's answer as typed (plain text), or a note that nothing was typed."""
    if not typed.strip():
        return Content.styled(NOTHING_TYPED, "italic $text-muted")
    return Content(inert(typed.strip()))


def feedback_content(feedback: Any) -> Content:
    """Claude's comparison (a `core.recall.RecallFeedback`): right, missing, suggestion."""
    pieces: list[str | tuple[str, str]] = []
    if feedback.right:
        pieces += [("Right: ", "bold $text-success"), inert(feedback.right), "\n"]
    if feedback.missing:
        pieces += [("Missing: ", "bold $text-warning"), inert(feedback.missing), "\n"]
    rating = int(feedback.suggested_rating)
    pieces += [
        ("Suggested: ", "bold"),
        (f"{RATING_NAMES[rating]} ({rating})", "bold $text-accent"),
        ("  · your key decides: 1 Again 2 Hard 3 Good 4 Easy", "$text-muted"),
    ]
    labels = list(dict.fromkeys(citation.marker for citation in feedback.citations))
    if labels:
        pieces += ["\n", ("Cited: ", "$text-muted"), inert_line(" ".join(labels))]
    return Content.assemble(*pieces)


class RecallInput(TextArea):
    """The "Type your answer" box: Enter or ctrl+s checks, ctrl+j / shift+enter add a line,
    Esc leaves the box (the review keys work again; Tab comes back)."""

    HELP_GROUP = "Answer box"

    BINDINGS: ClassVar[list[BindingType]] = [
        # Enter is handled in _on_key (a TextArea would insert a line); listed for the footer.
        Binding("enter,ctrl+s", "submit", "Check answer", id="review.recall.submit"),
        Binding("ctrl+j", "newline", "New line", id="review.recall.newline"),
        Binding("escape", "leave", "Leave box", id="review.recall.leave"),
    ]

    DEFAULT_CSS = """
    RecallInput {
        height: auto; min-height: 3; max-height: 8; max-width: 100; margin-top: 1;
        border: tall $border-blurred;
    }
    RecallInput:focus { border: tall $border; }
    """

    class Submitted(Message):
        """The learner checks what they typed."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(soft_wrap=True, show_line_numbers=False, tab_behavior="focus", **kwargs)
        self.placeholder = Content("Type your answer… (Enter checks · ctrl+j new line)")

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            self.action_submit()
            return
        if event.key in ("shift+enter", "ctrl+j"):
            event.stop()
            event.prevent_default()
            self.action_newline()
            return
        await super()._on_key(event)

    def action_submit(self) -> None:
        self.post_message(self.Submitted(self.text))

    def action_newline(self) -> None:
        start, end = self.selection
        self._replace_via_keyboard("\n", start, end)

    def action_leave(self) -> None:
        self.screen.set_focus(None)


class FreeRecall:
    """The typed answer of the card on screen and Claude's grade of it.

    Draws into the screen's `#recall-feedback` line and marks the suggested rating
    button; the grading runs as a worker of the screen (group "recall"), so closing the
    screen cancels it, and a grade that arrives for a card no longer shown is dropped."""

    GROUP = "recall"

    def __init__(self, screen: Screen[Any]) -> None:
        self.screen = screen
        self.typed_answer: str | None = None  # what was checked (None: not typed)
        self.feedback: RecallFeedback | None = None  # once Claude graded
        self.grading = False
        self._serial = 0
        self._suggested: int | None = None

    def reset(self) -> None:
        """Forget the previous card's typed answer and grade (only what was used: a
        widget update per card would cost a layout pass on every key)."""
        self.stop()
        if self.typed_answer is None and self.feedback is None and self._suggested is None:
            return
        self.typed_answer = None
        self.feedback = None
        self.mark_suggested(None)
        self.set_feedback(Content(""))

    def mark_suggested(self, rating: int | None) -> None:
        if rating == self._suggested:
            return
        for number in (self._suggested, rating):
            if number is not None:
                button = self.screen.query_one(f"#rate-{number}", Button)
                button.set_class(number == rating, "-suggested")
        self._suggested = rating

    def set_feedback(self, content: Content, kind: str = "") -> None:
        widget = self.screen.query_one("#recall-feedback", Static)
        widget.set_class(kind == "busy", "-busy")
        widget.set_class(kind == "note", "-note")
        widget.update(content)

    def grade(self, view: CardView, config: Config | None) -> None:
        """Claude compares the checked answer with the card when a key is set; without
        one, a line says to compare and rate it yourself."""
        has_key = config is not None and bool((config.effective_api_key() or "").strip())
        if not has_key:
            self.set_feedback(Content(NO_KEY_NOTE), "note")
            return
        self._serial += 1
        self.grading = True
        self.set_feedback(
            Content("Claude is comparing your answer with the card… (Esc stops; rate any time)"),
            "busy",
        )
        self.screen.run_worker(
            self._grade(self._serial, view, self.typed_answer or ""),
            group=self.GROUP,
            exclusive=True,
            exit_on_error=False,
        )

    async def _grade(self, serial: int, view: CardView, typed: str) -> None:
        """Ask Claude to compare; show the result if that card is still on screen."""
        from core.chat.errors import ChatError
        from core.recall import RecallError, grade_recall
        from tui.claude import chat_client
        from tui.widgets.chat.sdk import load_sdk_once

        app = ponder(self.screen)
        client = None
        try:
            front, back = card_texts(view)
            transcript = None
            ref = view.note.source
            if ref is not None and ref.source_id is not None:
                try:
                    transcript = app.library.transcript(ref.source_id)
                except sqlite3.Error:
                    transcript = None
            focus = None if transcript is None else card_focus(view, transcript)
            client = chat_client(app.config)
            await load_sdk_once()
            feedback = await grade_recall(
                client,
                transcript,
                front,
                back,
                None if focus is None else focus.text,
                typed,
                first_segment=None if focus is None else focus.first_segment,
            )
        except (ChatError, RecallError) as error:
            if serial == self._serial:
                self._failed(str(error))
        else:
            if serial == self._serial:
                self.grading = False
                self.feedback = feedback
                self.set_feedback(feedback_content(feedback))
                self.mark_suggested(int(feedback.suggested_rating))
        finally:
            if client is not None:
                with suppress(Exception):
                    await client.aclose()

    def _failed(self, reason: str) -> None:
        """Why there is no grade, said once: on the line beside the answers, where the
        learner is looking (a toast repeating it would say the same thing twice)."""
        self.grading = False
        line = inert_line(reason)
        if "yourself" not in line:
            line += " Compare the answers and rate it yourself."
        self.set_feedback(Content(f"No grade from Claude: {line}"), "note")

    def stop(self) -> None:
        """Cancel a grading under way (its late result is dropped)."""
        if self.grading:
            self.grading = False
            self._serial += 1
            self.screen.workers.cancel_group(self.screen, self.GROUP)

    def stop_by_learner(self) -> None:
        """Esc while Claude grades: stop it; the answer stays shown for self-grading."""
        if not self.grading:
            return
        self.stop()
        self.set_feedback(
            Content("Grading stopped. Compare the answers and rate it yourself."), "note"
        )
