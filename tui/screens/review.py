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

Card text, deck names and source titles are untrusted: they are rendered as plain
`Content` (never markup) after `inert()` made control characters visible.

`open_review(app)` is what the app-wide `r` calls: the deck picker when several decks
have cards to study, otherwise all decks straight away.
"""

from __future__ import annotations

import importlib
import inspect
import sqlite3
from datetime import datetime
from typing import Any

from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Button, Footer, Header, ProgressBar, Rule, Static

from core import clock
from core.durations import format_interval
from core.models import Source, format_timestamp
from core.textsafe import inert, inert_line
from decks import cloze
from decks.models import CardView, NoteKind, SourceRef
from decks.queue import LEARN_AHEAD, NothingDue, QueueCounts
from decks.repository import CardFilter, CardStore, UndoError
from decks.review import ReviewError, ReviewSession, SessionSummary
from tui.screens.deck_picker import CANCELLED, DeckPickerScreen, PickResult
from tui.screens.help import BindingCommands, show_help

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
        if youtube_id(source) is not None:
            pieces.append((", o video", "dim"))
        pieces.append((")", "dim"))
    return Content.assemble(*pieces)


def youtube_id(source: Source | None) -> str | None:
    """The video to open for a source, if it is a YouTube transcript."""
    if source is not None and source.kind == "youtube" and source.video_id:
        return source.video_id
    return None


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
        Binding("e", "edit", "Edit", id="review.edit"),
        Binding("b", "bury", "Bury", id="review.bury"),
        Binding("exclamation_mark", "suspend", "Suspend", id="review.suspend"),
        Binding("d", "pick_deck", "Deck", id="review.deck"),
        Binding("question_mark", "help", "Help", id="review.help"),
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

    # -- layout ----------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="review-status"):
            yield Static(Content(""), id="review-counts")
            yield ProgressBar(total=1, show_percentage=False, show_eta=False, id="review-progress")
            yield Static(Content(""), id="review-progress-label")
            yield Static(Content(""), id="review-last")
        with VerticalScroll(id="review-card"):
            yield Static(Content(""), id="review-front")
            yield Rule(id="review-rule")
            yield Static(Content(""), id="review-back")
            yield Static(Content(""), id="review-done")
        yield Static(Content(""), id="review-source")
        with Horizontal(id="review-buttons"):
            yield self._button("Show answer", "space", "review-show", "primary")
            for rating, name in RATING_NAMES.items():
                button = self._button(name, str(rating), f"rate-{rating}", RATING_VARIANTS[rating])
                button.add_class("rating")
                yield button
        yield Footer(compact=True)

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
        self._set_mode("question")
        self.query_one("#review-front", Static).update(card_question(view))
        self.query_one("#review-source", Static).update(source_line(view, self.current_source))
        self._update_buttons()
        self._update_status()
        self.query_one("#review-card", VerticalScroll).scroll_home(animate=False)
        self._footer_changed()

    def _show_answer(self) -> None:
        view = self.card
        if view is None:
            return
        top, below = card_answer(view)
        self.query_one("#review-front", Static).update(top)
        self.query_one("#review-back", Static).update(below or Content(""))
        self._set_mode("answer", has_back=below is not None)

    def _set_mode(self, mode: str, *, has_back: bool = False) -> None:
        """Show the widgets of "question", "answer" or "done".

        Each widget's `display` is set directly (and only when it changes): toggling a
        class on the screen would restyle every widget on it, ~20 ms per key.
        """
        self.mode = mode
        answer, done = mode == "answer", mode == "done"
        wanted = {
            "#review-front": not done,
            "#review-rule": answer and has_back,
            "#review-back": answer and has_back,
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

    def _footer_changed(self) -> None:
        """Refresh the footer only when what it shows changed (it recomposes each time)."""
        signature = (self.card is not None, youtube_id(self.current_source) is not None)
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

    def _show_done(self) -> None:
        session = self.session
        assert session is not None
        self.current_source = None
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
            return has_card and youtube_id(self.current_source) is not None
        return True

    def action_reveal(self) -> None:
        if self.session is None or self.session.current is None:
            return
        self.session.reveal()
        self._show_answer()

    def action_check_again(self) -> None:
        self._wait_timer = None
        if self.session is not None and self.session.current is None:
            self.advance()

    def action_rate(self, rating: int) -> None:
        self.rate(rating)

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
        try:
            result = session.answer(rating)
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
            title = f" “{inert_line(ref.source_title)}”" if ref.source_title else ""
            self.notify(
                f"The source transcript{title} was deleted; the card keeps working.",
                severity="warning",
                markup=False,
            )
            return
        from tui.screens.card_source import CardSourceScreen

        self.app.push_screen(CardSourceScreen(ref), self._after_source)

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
        video_id = youtube_id(self.current_source)
        if view is None or video_id is None:
            self.notify("Only cards from YouTube transcripts open a video.", markup=False)
            return
        from core.youtube import watch_url

        ref = view.note.source
        start = None if ref is None else ref.start_s
        url = watch_url(video_id, start)
        self.app.open_url(url)
        self.notify(f"Opening {url}", markup=False)

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
        if len(self.app.screen_stack) > 1:
            self.app.pop_screen()
        else:
            self.app.exit()


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
