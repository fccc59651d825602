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
    a               (answer shown) ask Claude about this card (`ask`)

Free recall (`recall`: the answer box, the comparison, Claude's grade) stores the typed
answer (possibly empty: "I don't know") with the review (`review_log.answer_text`);
which cards ask for one is `deck_flags`. What a card looks like is `content`.

`open_review(app)` (`launch`) is what the app-wide `r` calls.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Button, Header, ProgressBar, Rule, Static

from core import clock
from core.models import Source
from core.ratings import RATING_NAMES
from core.textsafe import inert, inert_line
from decks.models import CardView, SourceRef
from decks.queue import LEARN_AHEAD
from decks.repository import CardFilter, CardStore, UndoError
from decks.review import ReviewError, ReviewSession
from tui.context import ponder
from tui.media import can_open, say_no_video
from tui.screens.deck_picker import CANCELLED, DeckPickerScreen, PickResult
from tui.screens.help import BindingCommands, show_help
from tui.screens.review.ask import ask_about_card
from tui.screens.review.content import (
    RATING_VARIANTS,
    card_answer,
    card_question,
    counts_content,
    db_error_text,
    describe_when,
    nothing_due_text,
    source_line,
    summary_text,
)
from tui.screens.review.deck_flags import TypingChoice
from tui.screens.review.recall import FreeRecall, RecallInput, expected_answer, typed_content
from tui.screens.review.source import open_card_video, show_source
from tui.widgets.footer import CoalescingFooter

if TYPE_CHECKING:
    from core.recall import RecallFeedback


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
        # Free recall: which cards ask for a typed answer, and the card on screen's.
        self.typing_choice = TypingChoice()
        self.typing = False  # the card on screen asks for a typed answer
        self.recall = FreeRecall(self)
        self._mode_text = ""
        self._show_label = ""

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
        self.store = CardStore(ponder(self).library.conn)
        try:
            try:
                session = ReviewSession(self.store, deck_id, config=ponder(self).config)
            except ReviewError:
                self.notify(
                    "That deck no longer exists: reviewing all decks.",
                    severity="warning",
                    markup=False,
                )
                deck_id = None
                session = ReviewSession(self.store, None, config=ponder(self).config)
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
        self.typing_choice.load(self.store.conn)  # a new session follows the decks' defaults
        self.advance()

    @property
    def card(self) -> CardView | None:
        """The card on screen (None when the session is done or waiting)."""
        return None if self.session is None else self.session.current

    @property
    def typed_answer(self) -> str | None:
        """The answer checked for the card on screen (None: not typed)."""
        return self.recall.typed_answer

    @property
    def feedback(self) -> RecallFeedback | None:
        """Claude's grade of the typed answer, once it came."""
        return self.recall.feedback

    @property
    def grading(self) -> bool:
        """Claude is grading the typed answer."""
        return self.recall.grading

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
        self.recall.reset()
        self.typing = self.typing_choice.for_card(view)
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
        if self.typing or (self.card is None and self.typing_choice.session):
            text = "✎ typing" + (" · session" if self.typing_choice.session is not None else "")
        if text != self._mode_text:
            self._mode_text = text
            self.query_one("#review-mode", Static).update(Content(text))

    def _show_done(self) -> None:
        session = self.session
        assert session is not None
        self.current_source = None
        self.recall.reset()
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
            return ponder(self).library.source(ref.source_id)
        except sqlite3.Error:
            return None

    def _cancel_wait(self) -> None:
        if self._wait_timer is not None:
            self._wait_timer.stop()
            self._wait_timer = None

    def _db_error(self, what: str, error: sqlite3.Error) -> None:
        self.notify(db_error_text(what, error), severity="error", markup=False)

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
        self.recall.stop()
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
        if view is not None:
            show_source(self, view, self.current_source)

    def action_open_video(self) -> None:
        open_card_video(self, self.card, self.current_source)

    def action_no_video(self) -> None:
        say_no_video(self)

    def action_edit(self) -> None:
        view = self.card
        if view is None:
            return
        from tui.screens.card_editor import CardEditorScreen

        self.app.push_screen(CardEditorScreen(note_id=view.note.id), self._after_edit)

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
            session.drop_current()
            if fresh is None:
                self.notify("The edit removed this card.", markup=False)
            self.advance()
            return
        session.replace_current(fresh)
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
        self.recall.stop()
        if len(self.app.screen_stack) > 1:
            self.app.pop_screen()
        else:
            self.app.exit()

    # -- free recall ---------------------------------------------------------------------

    def check_answer(self, typed: str) -> None:
        """Reveal the back beside the typed answer; Claude grades it when a key is set."""
        session = self.session
        view = self.card
        if session is None or view is None or session.revealed:
            return
        session.reveal()
        self.recall.typed_answer = typed.strip()
        self._show_answer()
        self.recall.grade(view, ponder(self).config)

    def action_stop_grading(self) -> None:
        """Esc while Claude grades: stop it; the answer stays shown for self-grading."""
        self.recall.stop_by_learner()

    def action_focus_answer(self) -> None:
        """Tab or i (outside the box, before checking): back to typing."""
        self.query_one(RecallInput).focus()

    def action_toggle_recall(self) -> None:
        """w: type answers (or not) for the rest of this session."""
        self.notify(self.typing_choice.toggle_session(self.card), markup=False)
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
        try:
            message = self.typing_choice.toggle_deck(store.conn, deck_id, deck_name)
        except sqlite3.Error as error:
            self._db_error("save the deck's typing default", error)
            return
        self.notify(message, markup=False)
        self._apply_recall_change()

    def _apply_recall_change(self) -> None:
        """A question on screen switches to (or from) typing at once; a shown answer keeps
        its state and the next card follows the new setting."""
        view = self.card
        if view is not None and not self.revealed:
            typing = self.typing_choice.for_card(view)
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
        if self.session is not None:
            ask_about_card(self, self.session)
