"""The review screen: today's cards one at a time, rated with Anki's keys.

The domain does the work (`decks.review.ReviewSession`): when a card is shown it
previews the four ratings once, and pressing a rating commits that previewed outcome in
one transaction, so the interval printed on a button is exactly the one stored. This
screen only draws the session and turns keys into session calls:

    space / Enter   show the answer; on a shown answer: Good (as in Anki)
    1 2 3 4         Again, Hard, Good, Easy (each button shows its next interval)
    u               undo the last answer, bury or suspend (repeatable)
    s / o           the source passage / the video at that moment
    e b !           edit, bury until tomorrow, suspend
    d               review another deck (the deck picker)
    w / W           type answers (free recall): for this session / as the deck's default
    a               (answer shown) ask Claude about this card: `tui.screens.card_chat`

Free recall: with typing on, the front comes with a box, "Type your answer" (Enter or
ctrl+s checks it, ctrl+j adds a line, Esc leaves the box so the screen's keys work;
Tab goes back). Checking reveals the back with the typed answer beside the card's
answer. With an API key, Claude compares them (`core.recall.grade_recall`, in a worker:
"Claude is comparing…", Esc stops it, the reveal stays) and says what was right, what was
missing and which rating it suggests (that button is marked); the learner's 1-4 still
decides. Without a key, or when grading fails, the two answers stay side by side for
self-grading and a line says why. The typed answer (possibly empty: "I don't know") is
stored with the review (`review_log.answer_text`). Each card follows its own deck's
default (`decks.recall_mode`, W sets it for the deck reviewed and its subdecks, or the
card's deck in an all-decks review); w overrides it for this session.

Card text, deck names and source titles are untrusted: they are rendered as plain
`Content` (never markup) after `inert()` made control characters visible.

`open_review(app)` is what the app-wide `r` calls: the deck picker when several decks
have cards to study, otherwise all decks straight away.
"""

from __future__ import annotations

import importlib
import inspect
import sqlite3
from contextlib import suppress
from datetime import datetime
from typing import Any, ClassVar

from textual import events, on, work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Button, Header, ProgressBar, Rule, Static, TextArea

from core import clock
from core.durations import format_interval
from core.models import Source, format_timestamp
from core.textsafe import inert, inert_line
from decks import cloze
from decks.models import CardView, NoteKind, SourceRef
from decks.queue import LEARN_AHEAD, NothingDue, QueueCounts
from decks.recall_mode import free_recall_decks, set_deck_free_recall
from decks.repository import CardFilter, CardStore, UndoError
from decks.review import ReviewError, ReviewSession, SessionSummary
from tui.screens.deck_picker import CANCELLED, DeckPickerScreen, PickResult
from tui.screens.help import BindingCommands, show_help
from tui.screens.video import can_open, open_at, say_no_video
from tui.widgets.footer import CoalescingFooter

RATING_NAMES = {1: "Again", 2: "Hard", 3: "Good", 4: "Easy"}
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


# -- free recall ---------------------------------------------------------------------------

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


# -- the screen ---------------------------------------------------------------------------


class ReviewScreen(Screen[None]):
    """Review one deck (with its subdecks) or, with `deck_id=None`, all decks."""

    HELP_GROUP = "Review"
    COMMANDS = {BindingCommands}

    BINDINGS: list[BindingType] = [
        # One key, three meanings; check_action leaves exactly one of them enabled.
        # The buttons show "space Show answer" and the ratings, so the footer does not.
        Binding("space,enter", "reveal", "Show answer", show=False, id="review.reveal"),
        Binding("space,enter", "rate(3)", "Good", show=False, id="review.space_good"),
        Binding("space,enter", "check_again", "Check again", show=False, id="review.check"),
        Binding("1", "rate(1)", "Again", show=False, id="review.again"),
        Binding("2", "rate(2)", "Hard", show=False, id="review.hard"),
        Binding("3", "rate(3)", "Good", show=False, id="review.good"),
        Binding("4", "rate(4)", "Easy", show=False, id="review.easy"),
        Binding("u", "undo", "Undo", id="review.undo"),
        Binding("s", "source", "Source", id="review.source"),
        Binding("o", "open_video", "Video", id="review.open_video"),
        Binding("o", "no_video", "No video", show=False, id="review.no_video"),
        Binding("e", "edit", "Edit", id="review.edit"),
        Binding("b", "bury", "Bury", id="review.bury"),
        Binding("exclamation_mark", "suspend", "Suspend", id="review.suspend"),
        Binding("d", "pick_deck", "Deck", id="review.deck"),
        Binding("w", "toggle_recall", "Typing", id="review.free_recall"),
        Binding(
            "W",
            "toggle_deck_recall",
            "Typing default (deck)",
            show=False,
            id="review.free_recall_deck",
        ),
        Binding("a", "ask", "Ask", id="review.ask"),
        Binding("tab,i", "focus_answer", "Back to the answer box", show=False, id="review.type"),
        Binding("question_mark", "help", "Help", id="review.help"),
        # While Claude grades a typed answer, Esc stops the grading (and stays here).
        Binding("escape", "stop_grading", "Stop grading", show=False, id="review.stop_grading"),
        Binding("q,escape", "back", "Back", id="review.back"),
    ]

    client_options: ClassVar[dict[str, Any]] = {}
    """Extra ChatClient options for grading (timeout, max_retries); tests set them."""

    DEFAULT_CSS = """
    ReviewScreen #review-status { height: 1; padding: 0 1; background: $panel; }
    ReviewScreen #review-counts { width: 36; }
    ReviewScreen #review-progress { width: 14; margin: 0 1 0 1; }
    ReviewScreen #review-progress Bar { width: 12; }
    ReviewScreen #review-progress-label { width: 10; color: $text-muted; }
    ReviewScreen #review-last { width: 1fr; text-align: right; color: $text-muted; }
    ReviewScreen #review-card { height: 1fr; padding: 1 2; align-horizontal: center; }
    ReviewScreen #review-front, ReviewScreen #review-back, ReviewScreen #review-done {
        width: 1fr; max-width: 100; height: auto;
    }
    ReviewScreen #review-rule { max-width: 100; margin: 1 0; color: $primary; }
    ReviewScreen #review-rule, ReviewScreen #review-back, ReviewScreen #review-done {
        display: none;
    }
    ReviewScreen #review-source { height: auto; max-height: 2; padding: 0 2; color: $text-muted; }
    ReviewScreen #review-buttons { height: auto; align-horizontal: center; margin-bottom: 1; }
    ReviewScreen #review-buttons Button { margin: 0 1; min-width: 16; }
    ReviewScreen #review-buttons .rating { display: none; }
    ReviewScreen #review-buttons Button.-suggested { text-style: bold reverse; }
    ReviewScreen #review-mode { width: auto; padding: 0 1; color: $text-accent; }
    ReviewScreen #recall-input, ReviewScreen #recall-compare, ReviewScreen #recall-feedback {
        display: none;
    }
    ReviewScreen #recall-compare { height: auto; max-width: 100; }
    ReviewScreen #recall-compare > Static {
        width: 1fr; height: auto; padding: 0 1; border: round $primary-muted;
        border-title-color: $text-muted;
    }
    ReviewScreen #recall-typed { margin-left: 1; }
    ReviewScreen #recall-feedback { height: auto; max-width: 100; margin-top: 1; padding: 0 1; }
    ReviewScreen #recall-feedback.-busy { color: $text-accent; }
    ReviewScreen #recall-feedback.-note { color: $text-muted; }
    """

    def __init__(
        self, deck_id: int | None = None, *, name: str | None = None, id: str | None = None
    ) -> None:
        super().__init__(name=name, id=id)
        self.deck_id = deck_id
        self.session: ReviewSession | None = None
        self.store: CardStore | None = None
        self.current_source: Source | None = None
        self.done_text = ""
        self.last_answer = ""
        self._wait_timer: Timer | None = None
        self._footer_signature: tuple[bool, bool] | None = None
        self.mode = "question"  # "question", "answer" or "done"
        # Free recall: decks whose cards ask for a typed answer, this session's override,
        # and the state of the card on screen.
        self.recall_decks: set[int] = set()
        self.session_recall: bool | None = None
        self.typing = False  # the card on screen asks for a typed answer
        self.typed_answer: str | None = None  # what was checked (None: not typed)
        self.feedback: Any = None  # core.recall.RecallFeedback once Claude graded
        self.grading = False
        self._grade_serial = 0
        self._mode_text = ""
        self._show_label = ""
        self._suggested: int | None = None

    # -- layout ----------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="review-status"):
            yield Static(Content(""), id="review-counts")
            yield ProgressBar(total=1, show_percentage=False, show_eta=False, id="review-progress")
            yield Static(Content(""), id="review-progress-label")
            yield Static(Content(""), id="review-mode")
            yield Static(Content(""), id="review-last")
        with VerticalScroll(id="review-card"):
            yield Static(Content(""), id="review-front")
            yield RecallInput(id="recall-input")
            yield Rule(id="review-rule")
            yield Static(Content(""), id="review-back")
            with Horizontal(id="recall-compare"):
                expected = Static(Content(""), id="recall-expected")
                expected.border_title = "Card's answer"
                yield expected
                typed = Static(Content(""), id="recall-typed")
                typed.border_title = "Your answer"
                yield typed
            yield Static(Content(""), id="recall-feedback")
            yield Static(Content(""), id="review-done")
        yield Static(Content(""), id="review-source")
        with Horizontal(id="review-buttons"):
            yield self._button("Show answer", "space", "review-show", "primary")
            for rating, name in RATING_NAMES.items():
                button = self._button(name, str(rating), f"rate-{rating}", RATING_VARIANTS[rating])
                button.add_class("rating")
                yield button
        yield CoalescingFooter(compact=True)

    @staticmethod
    def _button(name: str, key: str, button_id: str, variant: Any) -> Button:
        button = Button(Content.assemble((key, "bold"), f" {name}"), variant, id=button_id)
        button.can_focus = False  # Enter and space belong to the screen, not a button
        return button

    def on_mount(self) -> None:
        self.title = "Review"
        self.start(self.deck_id)

    # -- public API (tests, the app) -----------------------------------------------------

    def start(self, deck_id: int | None) -> None:
        """(Re)start the session on a deck (None = all decks) and show the first card."""
        self._cancel_wait()
        self.store = CardStore(self.app.library.conn)
        try:
            try:
                session = ReviewSession(self.store, deck_id, config=self.app.config)
            except ReviewError:
                self.notify(
                    "That deck no longer exists: reviewing all decks.",
                    severity="warning",
                    markup=False,
                )
                deck_id = None
                session = ReviewSession(self.store, None, config=self.app.config)
        except sqlite3.Error as error:
            self._db_error("open the review", error)
            if self.session is None:  # nothing to fall back on: say so, d retries
                self._set_mode("done")
                self.done_text = "The review could not start. d tries again, q goes back."
                self.query_one("#review-done", Static).update(Content(self.done_text))
            return
        self.session = session
        self.deck_id = deck_id
        self.sub_title = inert_line(session.title)
        self.last_answer = ""
        self.session_recall = None  # a new session follows the decks' defaults
        try:
            self.recall_decks = free_recall_decks(self.store.conn)
        except sqlite3.Error:
            self.recall_decks = set()
        self.advance()

    @property
    def card(self) -> CardView | None:
        """The card on screen (None when the session is done or waiting)."""
        return None if self.session is None else self.session.current

    @property
    def revealed(self) -> bool:
        session = self.session
        return session is not None and session.current is not None and session.revealed

    def button_labels(self) -> dict[int, str]:
        """Rating -> interval label currently printed on its button (e.g. {3: '2d'})."""
        if self.session is None or self.session.current is None:
            return {}
        return {int(button.rating): button.label for button in self.session.buttons()}

    def counts_text(self) -> str:
        """The header's counts as plain text: `New 3  Learning 1  Review 12`."""
        if self.session is None:
            return ""
        return counts_content(self.session.counts(), None).plain

    def advance(self) -> None:
        """Show the next card, or the "done" panel when nothing is due now."""
        self._cancel_wait()
        assert self.session is not None
        try:
            view = self.session.next_card()
        except sqlite3.Error as error:
            self._db_error("load the next card", error)
            view = None
        if view is None:
            self._show_done()
        else:
            self._show_card(view)

    # -- drawing -----------------------------------------------------------------------

    def _show_card(self, view: CardView) -> None:
        self.current_source = self._load_source(view.note.source)
        self._reset_recall()
        self.typing = self.recall_for(view)
        self._set_mode("question")
        self.query_one("#review-front", Static).update(card_question(view))
        self.query_one("#review-source", Static).update(source_line(view, self.current_source))
        self._update_buttons()
        self._update_status()
        self.query_one("#review-card", VerticalScroll).scroll_home(animate=False)
        self._footer_changed()
        if self.typing:
            recall_input = self.query_one(RecallInput)
            recall_input.clear()
            recall_input.focus()

    def _show_answer(self) -> None:
        view = self.card
        if view is None:
            return
        top, below = card_answer(view)
        self.query_one("#review-front", Static).update(top)
        self.query_one("#review-back", Static).update(below or Content(""))
        if self.typed_answer is not None:
            self.query_one("#recall-expected", Static).update(expected_answer(view))
            self.query_one("#recall-typed", Static).update(typed_content(self.typed_answer))
        self._set_mode("answer", has_back=below is not None)

    def _set_mode(self, mode: str, *, has_back: bool = False) -> None:
        """Show the widgets of "question", "answer" or "done".

        Each widget's `display` is set directly (and only when it changes): toggling a
        class on the screen would restyle every widget on it, ~20 ms per key.
        """
        self.mode = mode
        answer, done = mode == "answer", mode == "done"
        compared = answer and self.typed_answer is not None
        wanted = {
            "#review-front": not done,
            "#recall-input": mode == "question" and self.typing,
            "#review-rule": answer and (has_back or compared),
            "#review-back": answer and has_back and not compared,
            "#recall-compare": compared,
            "#recall-feedback": compared,
            "#review-done": done,
            "#review-source": not done,
            "#review-buttons": not done,
            "#review-show": mode == "question",
            **{f"#rate-{rating}": answer for rating in RATING_NAMES},
        }
        for selector, visible in wanted.items():
            widget = self.query_one(selector)
            if widget.display != visible:
                widget.display = visible
        label = "enter Check answer" if mode == "question" and self.typing else "space Show answer"
        if label != self._show_label:
            self._show_label = label
            key, _, name = label.partition(" ")
            self.query_one("#review-show", Button).label = Content.assemble(
                (key, "bold"), f" {name}"
            )
        if mode != "question" or not self.typing:
            recall_input = self.query_one(RecallInput)
            if recall_input.has_focus:
                self.set_focus(None)

    def _footer_changed(self) -> None:
        """Refresh the footer only when what it shows changed (it recomposes each time)."""
        signature = (self.card is not None, can_open(self.current_source))
        if signature != self._footer_signature:
            self._footer_signature = signature
            self.refresh_bindings()

    def _update_buttons(self) -> None:
        for rating, label in self.button_labels().items():
            button = self.query_one(f"#rate-{rating}", Button)
            button.label = Content.assemble(
                (str(rating), "bold"), f" {RATING_NAMES[rating]}  ", (label, "italic")
            )

    def _update_status(self) -> None:
        session = self.session
        assert session is not None
        counts = session.counts()
        progress = session.progress()
        # Fixed-size one-line widgets: no layout pass needed (keeps a keypress cheap).
        self.query_one("#review-counts", Static).update(
            counts_content(counts, session.current_kind), layout=False
        )
        bar = self.query_one("#review-progress", ProgressBar)
        bar.update(total=max(1, progress.total), progress=progress.done)
        self.query_one("#review-progress-label", Static).update(
            Content(f"{progress.done}/{progress.total}"), layout=False
        )
        self.query_one("#review-last", Static).update(Content(self.last_answer), layout=False)
        self._update_mode_text()

    def _update_mode_text(self) -> None:
        """`✎ typing` in the status line while answers are typed (`· session` if w set it)."""
        text = ""
        if self.typing or (self.card is None and self.session_recall):
            text = "✎ typing" + (" · session" if self.session_recall is not None else "")
        if text != self._mode_text:
            self._mode_text = text
            self.query_one("#review-mode", Static).update(Content(text))

    def _show_done(self) -> None:
        session = self.session
        assert session is not None
        self.current_source = None
        self._reset_recall()
        self.typing = False
        now = clock.now()
        lines: list[str] = []
        if session.summary.answers:
            lines.append(f"Done with {session.title} for now. {summary_text(session.summary)}.")
        waiting = session.wait_for_learning()
        if waiting is not None:
            shown_from = waiting - LEARN_AHEAD
            count = session.queue.counts().learning
            noun = "learning card comes" if count == 1 else "learning cards come"
            lines.append(
                f"{count} {noun} back {describe_when(waiting, now)}; "
                "this screen shows them when they are due (space checks now)."
            )
            delay = max(1.0, (shown_from - now).total_seconds())
            self._wait_timer = self.set_timer(delay, self.action_check_again)
        elif not self._has_cards():
            where = "" if session.deck is None else f" in {session.title}"
            lines.append(
                f"No cards yet{where}. Make cards from highlights in a transcript, "
                "or with `ponder card add`."
            )
        else:
            if not session.summary.answers:
                lines.append(f"Nothing due in {session.title} right now.")
            try:
                lines.append(nothing_due_text(session.nothing_due(), now))
            except sqlite3.Error as error:
                self._db_error("count the cards due tomorrow", error)
        lines.append("")
        lines.append("q goes back · d picks another deck · u undoes the last answer")
        self.done_text = "\n".join(lines)
        self.query_one("#review-done", Static).update(Content(inert(self.done_text)))
        self._set_mode("done")
        self._update_status()
        self._footer_changed()

    def _has_cards(self) -> bool:
        assert self.session is not None and self.store is not None
        deck = self.session.deck
        query = CardFilter(deck_id=None if deck is None else deck.id, limit=1)
        try:
            return self.store.count(query) > 0
        except sqlite3.Error:
            return True

    def _load_source(self, ref: SourceRef | None) -> Source | None:
        if ref is None or ref.gone or ref.source_id is None:
            return None
        try:
            return self.app.library.source(ref.source_id)
        except sqlite3.Error:
            return None

    def _cancel_wait(self) -> None:
        if self._wait_timer is not None:
            self._wait_timer.stop()
            self._wait_timer = None

    def _db_error(self, what: str, error: sqlite3.Error) -> None:
        self.notify(
            f"Could not {what}: {inert_line(str(error))}. Nothing was lost; try again.",
            severity="error",
            markup=False,
        )

    # -- actions -----------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        session = self.session
        has_card = session is not None and session.current is not None
        revealed = has_card and session is not None and session.revealed
        if action == "reveal":
            return has_card and not revealed
        if action == "rate":
            return revealed
        if action == "check_again":
            return session is not None and not has_card
        if action in ("bury", "suspend", "edit", "source"):
            return has_card
        if action == "open_video":
            return has_card and can_open(self.current_source)
        if action == "no_video":
            return has_card and not can_open(self.current_source)
        if action == "stop_grading":
            return self.grading
        if action == "focus_answer":
            return self.typing and has_card and not revealed
        if action == "toggle_deck_recall":
            return session is not None and (session.deck is not None or has_card)
        return True

    def action_reveal(self) -> None:
        if self.session is None or self.session.current is None:
            return
        if self.typing:
            self.check_answer(self.query_one(RecallInput).text)
            return
        self.session.reveal()
        self._show_answer()

    def action_check_again(self) -> None:
        self._wait_timer = None
        if self.session is not None and self.session.current is None:
            self.advance()

    def action_rate(self, rating: int) -> None:
        self.rate(rating)

    @on(RecallInput.Submitted)
    def _answer_submitted(self, event: RecallInput.Submitted) -> None:
        event.stop()
        if self.typing and not self.revealed:
            self.check_answer(event.text)

    @on(Button.Pressed, "#review-buttons Button")
    def _button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        button_id = event.button.id or ""
        if button_id == "review-show":
            self.action_reveal()
        elif button_id.startswith("rate-"):
            self.rate(int(button_id.removeprefix("rate-")))

    def rate(self, rating: int) -> None:
        """Commit the previewed outcome of `rating` for the revealed card, then go on."""
        session = self.session
        if session is None or session.current is None or not session.revealed:
            return
        self._stop_grading_worker()
        try:
            result = session.answer(rating, answer_text=self.typed_answer)
        except ReviewError as error:
            self.notify(inert_line(str(error)), severity="warning", markup=False)
            self.advance()
            return
        except sqlite3.Error as error:
            self._db_error("save the review", error)
            return
        self.last_answer = f"last {RATING_NAMES[int(result.rating)]} → {result.interval_label}"
        if result.message:
            self.notify(result.message, title="Leech", severity="warning", timeout=10, markup=False)
        self.advance()

    def action_undo(self) -> None:
        session = self.session
        if session is None:
            return
        try:
            view = session.undo()
        except UndoError as error:
            self.notify(inert_line(str(error)), severity="warning", markup=False)
            return
        except sqlite3.Error as error:
            self._db_error("undo", error)
            return
        self.last_answer = "undone"
        self._cancel_wait()
        self._show_card(view)

    def action_bury(self) -> None:
        if self._act("bury", "bury the card"):
            self.notify("Buried until tomorrow (u undoes).", markup=False)

    def action_suspend(self) -> None:
        if self._act("suspend", "suspend the card"):
            self.notify(
                "Suspended: it leaves your reviews until unsuspended (u undoes).", markup=False
            )

    def _act(self, method: str, what: str) -> bool:
        session = self.session
        if session is None or session.current is None:
            return False
        try:
            getattr(session, method)()
        except ReviewError as error:
            self.notify(inert_line(str(error)), severity="warning", markup=False)
            return False
        except sqlite3.Error as error:
            self._db_error(what, error)
            return False
        self.last_answer = "buried" if method == "bury" else "suspended"
        self.advance()
        return True

    def action_source(self) -> None:
        view = self.card
        if view is None:
            return
        ref = view.note.source
        if ref is None:
            self.notify("This card was typed by hand: it has no source.", markup=False)
            return
        if ref.gone or self.current_source is None:
            self._source_deleted(ref, "; the card keeps working.")
            return
        from tui.screens.card_source import CardSourceScreen

        self.app.push_screen(CardSourceScreen(ref), self._after_source)

    def _source_deleted(self, ref: SourceRef, consequence: str) -> None:
        title = f" “{inert_line(ref.source_title)}”" if ref.source_title else ""
        self.notify(
            f"The source transcript{title} was deleted{consequence}",
            severity="warning",
            markup=False,
        )

    async def _after_source(self, result: tuple[int, int] | None) -> None:
        """The source view asked to open the transcript at (source id, segment)."""
        if result is None:
            return
        from tui.screens.study import StudyScreen

        source_id, segment = result
        screen = StudyScreen(source_id)
        await self.app.push_screen(screen)
        screen.call_after_refresh(screen.jump_to_segment, segment)

    def action_open_video(self) -> None:
        view = self.card
        if view is None or not can_open(self.current_source):
            say_no_video(self)
            return
        ref = view.note.source
        open_at(self, self.current_source, None if ref is None else ref.start_s)

    def action_no_video(self) -> None:
        say_no_video(self)

    def action_edit(self) -> None:
        view = self.card
        if view is None:
            return
        try:
            card_editor = importlib.import_module("tui.screens.card_editor")
        except ImportError:
            self.notify("Editing cards from here comes soon.", markup=False)
            return
        editor_class = getattr(card_editor, "CardEditorScreen", None)
        if editor_class is None:
            self.notify("Editing cards from here comes soon.", markup=False)
            return
        self.app.push_screen(_make_editor(editor_class, view), self._after_edit)

    def _after_edit(self, _result: object = None) -> None:
        """Show the edited text; a card the edit deleted (cloze renumbered) is skipped."""
        session, store = self.session, self.store
        if session is None or store is None or session.current is None:
            return
        card_id = session.current.card.id
        try:
            fresh = store.card_view(card_id)
        except sqlite3.Error as error:
            self._db_error("reload the card", error)
            return
        if fresh is None or fresh.card.suspended:
            # Gone or suspended by the edit: forget it and go on with the queue.
            session.current = None
            session.current_kind = None
            if fresh is None:
                self.notify("The edit removed this card.", markup=False)
            self.advance()
            return
        session.current = fresh
        self.current_source = self._load_source(fresh.note.source)
        self.query_one("#review-source", Static).update(source_line(fresh, self.current_source))
        if session.revealed:
            self._show_answer()
        else:
            self.query_one("#review-front", Static).update(card_question(fresh))

    def action_pick_deck(self) -> None:
        self.app.push_screen(DeckPickerScreen(current=self.deck_id), self._after_pick)

    def _after_pick(self, choice: PickResult) -> None:
        if choice is CANCELLED:
            return
        self.start(choice if isinstance(choice, int) else None)

    def action_help(self) -> None:
        show_help(self)

    def action_back(self) -> None:
        self._cancel_wait()
        self._stop_grading_worker()
        if len(self.app.screen_stack) > 1:
            self.app.pop_screen()
        else:
            self.app.exit()

    # -- free recall ---------------------------------------------------------------------

    def recall_for(self, view: CardView) -> bool:
        """Whether this card asks for a typed answer: this session's w, else its deck's."""
        if self.session_recall is not None:
            return self.session_recall
        return view.card.deck_id in self.recall_decks

    def _reset_recall(self) -> None:
        """Forget the previous card's typed answer and grade (only what was used: a
        widget update per card would cost a layout pass on every key)."""
        self._stop_grading_worker()
        if self.typed_answer is None and self.feedback is None and self._suggested is None:
            return
        self.typed_answer = None
        self.feedback = None
        self._mark_suggested(None)
        self._set_feedback(Content(""))

    def _mark_suggested(self, rating: int | None) -> None:
        if rating == self._suggested:
            return
        for number in (self._suggested, rating):
            if number is not None:
                button = self.query_one(f"#rate-{number}", Button)
                button.set_class(number == rating, "-suggested")
        self._suggested = rating

    def _set_feedback(self, content: Content, kind: str = "") -> None:
        widget = self.query_one("#recall-feedback", Static)
        widget.set_class(kind == "busy", "-busy")
        widget.set_class(kind == "note", "-note")
        widget.update(content)

    def check_answer(self, typed: str) -> None:
        """Reveal the back beside the typed answer; Claude grades it when a key is set."""
        session = self.session
        view = self.card
        if session is None or view is None or session.revealed:
            return
        session.reveal()
        self.typed_answer = typed.strip()
        self._show_answer()
        config = getattr(self.app, "config", None)
        has_key = config is not None and bool((config.effective_api_key() or "").strip())
        if not has_key:
            self._set_feedback(Content(NO_KEY_NOTE), "note")
            return
        self._grade_serial += 1
        self.grading = True
        self._set_feedback(
            Content("Claude is comparing your answer with the card… (Esc stops; rate any time)"),
            "busy",
        )
        self._grade_worker(self._grade_serial, view, self.typed_answer)

    @work(exclusive=True, group="recall", exit_on_error=False)
    async def _grade_worker(self, serial: int, view: CardView, typed: str) -> None:
        """Ask Claude to compare; show the result if that card is still on screen."""
        from core.chat.client import ChatClient
        from core.chat.errors import ChatError
        from core.recall import RecallError, grade_recall
        from tui.screens.card_chat import card_focus, card_texts
        from tui.widgets.chat_pane import load_sdk_once

        client = None
        try:
            front, back = card_texts(view)
            transcript = None
            ref = view.note.source
            if ref is not None and ref.source_id is not None:
                try:
                    transcript = self.app.library.transcript(ref.source_id)
                except sqlite3.Error:
                    transcript = None
            focus = None if transcript is None else card_focus(view, transcript)
            client = ChatClient.from_config(self.app.config, **self.client_options)
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
            if serial == self._grade_serial:
                self._grading_failed(str(error))
        else:
            if serial == self._grade_serial:
                self.grading = False
                self.feedback = feedback
                self._set_feedback(feedback_content(feedback))
                self._mark_suggested(int(feedback.suggested_rating))
        finally:
            if client is not None:
                with suppress(Exception):
                    await client.aclose()

    def _grading_failed(self, reason: str) -> None:
        self.grading = False
        line = inert_line(reason)
        if "yourself" not in line:
            line += " Compare the answers and rate it yourself."
        self._set_feedback(Content(f"No grade from Claude: {line}"), "note")
        self.notify(f"Grading failed: {inert_line(reason)}", severity="warning", markup=False)

    def _stop_grading_worker(self) -> None:
        if self.grading:
            self.grading = False
            self._grade_serial += 1
            self.workers.cancel_group(self, "recall")

    def action_stop_grading(self) -> None:
        """Esc while Claude grades: stop it; the answer stays shown for self-grading."""
        if not self.grading:
            return
        self._stop_grading_worker()
        self._set_feedback(
            Content("Grading stopped. Compare the answers and rate it yourself."), "note"
        )

    def action_focus_answer(self) -> None:
        """Tab or i (outside the box, before checking): back to typing."""
        self.query_one(RecallInput).focus()

    def action_toggle_recall(self) -> None:
        """w: type answers (or not) for the rest of this session."""
        view = self.card
        current = self.recall_for(view) if view is not None else bool(self.session_recall)
        self.session_recall = not current
        state = "on" if self.session_recall else "off"
        self.notify(
            f"Typing answers {state} for this session (W makes it the deck's default).",
            markup=False,
        )
        self._apply_recall_change()

    def action_toggle_deck_recall(self) -> None:
        """W: make typing answers the default (or not) of the deck reviewed (with its
        subdecks), or in an all-decks review of the card's deck; remembered."""
        session, store = self.session, self.store
        if session is None or store is None:
            return
        deck = session.deck
        view = self.card
        if deck is not None:
            deck_id, deck_name = deck.id, deck.name
        elif view is not None:
            deck_id, deck_name = view.card.deck_id, view.deck_name
        else:
            return
        enabled = deck_id not in self.recall_decks
        try:
            changed = set_deck_free_recall(store.conn, deck_id, enabled)
            self.recall_decks = free_recall_decks(store.conn)
        except sqlite3.Error as error:
            self._db_error("save the deck's typing default", error)
            return
        self.session_recall = None  # follow the decks again
        more = len(changed) - 1
        subdecks = f" and its {more} subdeck{'s' if more != 1 else ''}" if more > 0 else ""
        state = "now type their answers" if enabled else "no longer ask for typed answers"
        self.notify(f"Cards of “{inert_line(deck_name)}”{subdecks} {state}.", markup=False)
        self._apply_recall_change()

    def _apply_recall_change(self) -> None:
        """A question on screen switches to (or from) typing at once; a shown answer keeps
        its state and the next card follows the new setting."""
        view = self.card
        if view is not None and not self.revealed:
            typing = self.recall_for(view)
            if typing != self.typing:
                self.typing = typing
                self._set_mode("question")
                if typing:
                    recall_input = self.query_one(RecallInput)
                    recall_input.clear()
                    recall_input.focus()
        self._update_mode_text()

    # -- ask about this card ------------------------------------------------------------

    def action_ask(self) -> None:
        """a: a chat with Claude about the card, over its source transcript."""
        view = self.card
        session = self.session
        if view is None or session is None:
            return
        if not session.revealed:
            self.notify("Show the answer first; then a asks Claude about the card.", markup=False)
            return
        ref = view.note.source
        if ref is None:
            self.notify(
                "This card was typed by hand: it has no source transcript to discuss.",
                markup=False,
            )
            return
        transcript = None
        if not ref.gone and ref.source_id is not None:
            try:
                transcript = self.app.library.transcript(ref.source_id)
            except sqlite3.Error as error:
                self._db_error("load the card's transcript", error)
                return
        if transcript is None or transcript.source.id is None:
            self._source_deleted(ref, ": there is nothing to discuss.")
            return
        from tui.screens.card_chat import CardChatScreen

        paused = _AnswerClock(session)
        self.app.push_screen(CardChatScreen(view, transcript), lambda _result: paused.resume())


class _AnswerClock:
    """Keeps the time spent in the card chat out of the card's answer time.

    ReviewSession counts the answer time from `_shown_at` with its `_timer`; moving
    `_shown_at` forward by the chat's length takes the chat out (the session has no public
    pause yet)."""

    def __init__(self, session: ReviewSession) -> None:
        self.session = session
        self.card = session.current
        timer = getattr(session, "_timer", None)
        self.started = timer() if callable(timer) else None

    def resume(self) -> None:
        session, timer = self.session, getattr(self.session, "_timer", None)
        if self.started is None or not callable(timer) or session.current is not self.card:
            return
        shown_at = getattr(session, "_shown_at", None)
        if isinstance(shown_at, int | float):
            session._shown_at = shown_at + (timer() - self.started)


def _make_editor(editor_class: type, view: CardView) -> Screen[Any]:
    """The card editor for this card's note (by note_id; card_id or positional as fallbacks)."""
    parameters = inspect.signature(editor_class).parameters
    if "note_id" in parameters:  # tui.screens.card_editor: CardEditorScreen(note_id=...)
        return editor_class(note_id=view.note.id)
    if "card_id" in parameters:
        return editor_class(card_id=view.card.id)
    return editor_class(view.card.id)


# -- opening the review from anywhere ---------------------------------------------------


def decks_to_study(store: CardStore, now: datetime | None = None) -> list[int]:
    """Decks whose own cards include something to study now (due or new)."""
    counts = store.due_counts(now or clock.now())
    return [deck_id for deck_id, count in counts.items() if count.due or count.new]


def open_review(app: App[Any], deck_id: int | None = None) -> None:
    """What `r` does: the deck picker when several decks have cards to study, otherwise
    review all decks. A review already open (under the transcript its source view opened,
    say) is brought back rather than a second one started over it."""
    if isinstance(app.screen, DeckPickerScreen):
        return
    stack = app.screen_stack
    for index in range(len(stack) - 1, -1, -1):
        if isinstance(stack[index], ReviewScreen):
            for _ in range(len(stack) - 1 - index):
                app.pop_screen()
            return
    if deck_id is not None:
        app.push_screen(ReviewScreen(deck_id))
        return
    library = getattr(app, "library", None)
    several = False
    if library is not None:
        try:
            several = len(decks_to_study(CardStore(library.conn))) > 1
        except sqlite3.Error:
            several = False
    if not several:
        app.push_screen(ReviewScreen(None))
        return

    def chosen(choice: PickResult) -> None:
        if choice is CANCELLED:
            return
        app.push_screen(ReviewScreen(choice if isinstance(choice, int) else None))

    app.push_screen(DeckPickerScreen(), chosen)


__all__ = [
    "ReviewScreen",
    "card_answer",
    "card_question",
    "describe_when",
    "nothing_due_text",
    "open_review",
    "summary_text",
]
