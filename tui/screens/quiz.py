"""The quiz screen: Claude asks one question at a time about a talk and grades each answer.

`Q` on the study screen calls `open_quiz(study_screen)`: a quiz on the selected passage,
or on the whole transcript when nothing is selected. `QuizScreen` shows the question, a
text area for the answer (Enter is a new line, ctrl+s submits; ctrl+enter too where the
terminal reports it), then the verdict, Claude's feedback (Markdown) and `[hh:mm:ss]`
citation links. `n` (or ctrl+n while typing) asks the next question; `f`/Esc finishes
with a summary and an offer to turn the missed questions into cards, each opened in the
card editor prefilled (front = question, back = expected answer, source = the passage)
for the learner to save, edit or skip.

Activating a citation closes the quiz and moves the transcript cursor there; the quiz is
kept, and `Q` on the same study screen goes back to it. Network calls run in an
exclusive worker with a visible "Claude is thinking…" line; Esc cancels the request.
Without a key or a network the quiz says so and nothing else changes.

The domain is `core.quiz.QuizSession` (it saves the exchange as a "Quiz: …"
conversation). Model output and transcript text are never parsed as markup: `Content`,
`TextArea` and a `Markdown` widget fed `inert` text.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar
from weakref import WeakKeyDictionary

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Header, Markdown, Static, TextArea

from core.chat.errors import ChatError, NoApiKey
from core.chat.models import Citation
from core.quiz import QuizError, QuizSession
from core.textsafe import inert, inert_line
from tui.context import ponder
from tui.widgets.chat.citations import LINK_WIDTH, CitationLink, CitationSelected
from tui.widgets.footer import CoalescingFooter

if TYPE_CHECKING:
    from core.chat.client import ChatClient
    from tui.screens.study_host import StudyHost

ANSWER_HINT = "Enter: new line · ctrl+s: submit · ctrl+n: skip · Esc: finish"
GRADED_HINT = "n: next question · f: finish · Tab to a [hh:mm:ss] link, Enter jumps there"
VERDICT_MARKS = {"correct": "✓", "partial": "~", "missed": "✗", None: "–"}

# Quizzes left to follow a citation, per study screen: `Q` there goes back to them.
_SUSPENDED: WeakKeyDictionary[Any, QuizSession] = WeakKeyDictionary()


@dataclass(frozen=True, slots=True)
class QuizOutcome:
    """What the quiz screen dismisses with.

    `jump_to`: the (first, last) segments of a citation the learner activated;
    `session`: the quiz, when it is not finished (to resume); `cards_saved`: notes made.
    """

    jump_to: tuple[int, int] | None = None
    session: QuizSession | None = None
    cards_saved: int = 0


class QuizScreen(Screen[QuizOutcome | None]):
    """One quiz; dismisses with a QuizOutcome (or None when closed without one)."""

    HELP_GROUP = "Quiz"
    AUTO_FOCUS = None

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s,ctrl+enter", "submit", "Submit", id="quiz.submit", priority=True),
        Binding("n,ctrl+n", "next", "Next question", id="quiz.next"),
        Binding("f", "finish", "Finish", id="quiz.finish"),
        Binding("c", "make_cards", "Make cards", id="quiz.make_cards"),
        Binding("escape", "escape", "Stop / finish / close", id="quiz.escape"),
        Binding("q", "close", "Close", show=False, id="quiz.close"),
    ]

    DEFAULT_CSS = f"""
    QuizScreen #quiz-body {{ height: 1fr; padding: 0 2; }}
    QuizScreen #quiz-scope {{ color: $text-muted; height: 1; margin-top: 1; }}
    QuizScreen #quiz-question-label {{ text-style: bold; margin-top: 1; height: 1; }}
    QuizScreen #quiz-question {{ height: auto; margin-bottom: 1; }}
    QuizScreen #quiz-answer {{ height: 6; }}
    QuizScreen #quiz-hint {{ color: $text-muted; height: 1; }}
    QuizScreen #quiz-status {{ height: auto; margin-top: 1; }}
    QuizScreen #quiz-status.-busy {{ color: $text-accent; text-style: italic; }}
    QuizScreen #quiz-status.-error {{ color: $error; }}
    QuizScreen #quiz-status.-warning {{ color: $warning; }}
    QuizScreen #quiz-feedback {{ height: auto; display: none; margin-top: 1; }}
    QuizScreen #quiz-feedback.-shown {{ display: block; }}
    QuizScreen #quiz-verdict {{ text-style: bold; height: 1; }}
    QuizScreen #quiz-verdict.-correct {{ color: $success; }}
    QuizScreen #quiz-verdict.-partial {{ color: $warning; }}
    QuizScreen #quiz-verdict.-missed {{ color: $error; }}
    QuizScreen #quiz-feedback-text {{ margin: 0; padding: 0; background: transparent; }}
    QuizScreen #quiz-feedback-text MarkdownParagraph {{ margin: 0 0 1 0; }}
    QuizScreen #quiz-expected {{ height: auto; color: $text-muted; }}
    QuizScreen #quiz-links {{
        height: auto;
        grid-size: 6;
        grid-columns: {LINK_WIDTH};
        grid-rows: 1;
        margin-top: 1;
    }}
    QuizScreen #quiz-graded-hint {{ color: $text-muted; height: 1; margin-top: 1; }}
    QuizScreen #quiz-summary {{ height: auto; display: none; margin-top: 1; }}
    QuizScreen #quiz-summary.-shown {{ display: block; }}
    QuizScreen #quiz-asking {{ height: auto; }}
    QuizScreen.-summary #quiz-asking {{ display: none; }}
    """

    def __init__(
        self,
        source_id: int,
        first_segment: int | None = None,
        last_segment: int | None = None,
        *,
        session: QuizSession | None = None,
    ) -> None:
        super().__init__()
        self.source_id = source_id
        self.first_segment = first_segment
        self.last_segment = last_segment
        self.session: QuizSession | None = session
        self.phase = "start"  # start | answer | graded | summary
        self.busy = False
        self.cards_saved = 0
        self._client: ChatClient | None = None
        self._card_queue: list[Any] = []
        self._card_total = 0
        self._leaving = False

    # -- building -------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="quiz-body"):
            yield Static(Content(""), id="quiz-scope")
            with Vertical(id="quiz-asking"):
                yield Static(Content(""), id="quiz-question-label")
                yield Static(Content(""), id="quiz-question")
                yield TextArea("", soft_wrap=True, id="quiz-answer")
                yield Static(Content(ANSWER_HINT), id="quiz-hint")
                with Vertical(id="quiz-feedback"):
                    yield Static(Content(""), id="quiz-verdict")
                    yield Markdown("", open_links=False, id="quiz-feedback-text")
                    yield Static(Content(""), id="quiz-expected")
                    yield Grid(id="quiz-links")
                    yield Static(Content(GRADED_HINT), id="quiz-graded-hint")
            yield Static(Content(""), id="quiz-status")
            yield Static(Content(""), id="quiz-summary")
        yield CoalescingFooter()

    async def on_mount(self) -> None:
        self.title = "Quiz"
        if self.session is None:
            try:
                self.session = self._new_session()
            except QuizError as error:
                self.set_status(str(error), "error")
                return
        session = self.session
        self.sub_title = inert_line(session.transcript.source.title)
        self.query_one("#quiz-scope", Static).update(
            Content(f"Quiz on the {session.scope_label} · answers are graded by Claude")
        )
        if not session.questions:
            self.action_next()
            return
        await self._show_current()
        if session.awaiting_answer and session.draft_answer:
            self.answer_area.load_text(session.draft_answer)
        self.set_status(f"Back to the quiz: {self._progress()}.")

    def _new_session(self) -> QuizSession:
        from core.chat.store import ConversationStore

        transcript = ponder(self).library.transcript(self.source_id)
        if transcript is None:
            raise QuizError("This transcript is no longer in the library.")
        return QuizSession(
            transcript,
            self.first_segment,
            self.last_segment,
            store=ConversationStore(ponder(self).library.conn),
        )

    async def on_unmount(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            with suppress(Exception):
                await client.aclose()

    # -- widgets and state -------------------------------------------------------------------

    @property
    def answer_area(self) -> TextArea:
        return self.query_one("#quiz-answer", TextArea)

    @property
    def status_text(self) -> str:
        return str(self.query_one("#quiz-status", Static).render())

    @property
    def question_text(self) -> str:
        return str(self.query_one("#quiz-question", Static).render())

    @property
    def feedback_markdown(self) -> Markdown:
        return self.query_one("#quiz-feedback-text", Markdown)

    @property
    def summary_text(self) -> str:
        return str(self.query_one("#quiz-summary", Static).render())

    @property
    def links(self) -> list[CitationLink]:
        return list(self.query(CitationLink))

    def set_status(self, text: str, kind: str = "") -> None:
        status = self.query_one("#quiz-status", Static)
        status.update(Content(inert(text)))
        for name in ("busy", "error", "warning"):
            status.set_class(kind == name, f"-{name}")

    def _set_busy(self, busy: bool, text: str = "") -> None:
        self.busy = busy
        self.answer_area.read_only = busy or self.phase != "answer"
        if busy:
            self.set_status(f"{text} (Esc cancels)", "busy")
        self.refresh_bindings()

    def _progress(self) -> str:
        assert self.session is not None
        summary = self.session.summary()
        asked = len(self.session.questions)
        return f"question {asked} · {summary.line()}"

    def _client_for_request(self) -> ChatClient:
        if self._client is None:
            from tui.claude import chat_client

            self._client = chat_client(ponder(self).config)
        return self._client

    # -- showing a question and its grade ----------------------------------------------------

    async def _show_current(self) -> None:
        session = self.session
        assert session is not None
        item = session.current
        if item is None:
            return
        self.query_one("#quiz-question-label", Static).update(Content(f"Question {item.number}"))
        self.query_one("#quiz-question", Static).update(Content(inert(item.question)))
        area = self.answer_area
        feedback = self.query_one("#quiz-feedback")
        if item.grade is None:
            self.phase = "answer"
            area.read_only = False
            area.load_text(session.draft_answer)
            feedback.remove_class("-shown")
            self.query_one("#quiz-hint").display = True
            area.focus()
        else:
            self.phase = "graded"
            area.load_text(inert(item.answer or ""))
            area.read_only = True
            await self._show_grade()
        self.refresh_bindings()

    async def _show_grade(self) -> None:
        session = self.session
        assert session is not None
        item = session.current
        if item is None or item.grade is None:
            return
        grade = item.grade
        verdict = self.query_one("#quiz-verdict", Static)
        mark = VERDICT_MARKS.get(grade.verdict, "")
        verdict.update(Content(f"{mark} {grade.label}"))
        for name in ("correct", "partial", "missed"):
            verdict.set_class(grade.verdict == name, f"-{name}")
        await self.feedback_markdown.update(inert(grade.feedback or "(no feedback)"))
        expected = grade.expected_answer or item.expected_answer
        self.query_one("#quiz-expected", Static).update(
            Content(inert(f"Expected answer: {expected}") if expected else "")
        )
        grid = self.query_one("#quiz-links", Grid)
        await grid.remove_children()
        links = [CitationLink(citation) for citation in grade.citations]
        if links:
            await grid.mount_all(links)
        grid.display = bool(links)
        self.query_one("#quiz-hint").display = False
        self.query_one("#quiz-feedback").add_class("-shown")
        if links:
            links[0].focus()
        else:
            self.set_focus(None)
        self.query_one("#quiz-body", VerticalScroll).scroll_end(animate=False)

    def on_resize(self, event: events.Resize) -> None:
        with suppress(Exception):
            grid = self.query_one("#quiz-links", Grid)
            grid.styles.grid_size_columns = max(1, (event.size.width - 4) // LINK_WIDTH)

    # -- actions -------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("escape", "close"):
            return True
        if self.session is None:
            return action in ("finish",)
        if action == "submit":
            return not self.busy and self.phase == "answer"
        if action in ("next", "finish"):
            return not self.busy and self.phase != "summary"
        if action == "make_cards":
            return (
                self.phase == "summary"
                and not self._card_queue
                and bool(self.session.missed(include_partial=True))
            )
        return True

    def action_submit(self) -> None:
        if self.busy or self.phase != "answer" or self.session is None:
            return
        answer = self.answer_area.text
        self.session.draft_answer = answer
        if not answer.strip():
            self.set_status("Type an answer first (or ctrl+n to skip this question).", "warning")
            return
        self._set_busy(True, "Claude is thinking: grading your answer…")
        self._grade_worker(answer)

    def action_next(self) -> None:
        if self.busy or self.phase == "summary" or self.session is None:
            return
        if self.phase == "answer":
            self.session.draft_answer = self.answer_area.text
        self._set_busy(True, "Claude is thinking of a question…")
        self._question_worker()

    @work(exclusive=True, group="quiz", exit_on_error=False)
    async def _question_worker(self) -> None:
        session = self.session
        assert session is not None
        try:
            client = self._client_for_request()
            await session.next_question(client)
        except NoApiKey as error:
            self._set_busy(False)
            self.set_status(f"The quiz needs Claude. {error}", "error")
            return
        except (ChatError, QuizError) as error:
            self._set_busy(False)
            self.set_status(f"{error} Press n or ctrl+n to ask again.", "error")
            return
        except asyncio.CancelledError:
            if self.is_attached:
                self._set_busy(False)
                self.set_status("Cancelled. Press n or ctrl+n to ask for a question.", "warning")
            raise
        self.busy = False
        await self._show_current()
        self._set_busy(False)
        self.set_status(f"Type your answer: {self._progress()}.")

    @work(exclusive=True, group="quiz", exit_on_error=False)
    async def _grade_worker(self, answer: str) -> None:
        session = self.session
        assert session is not None
        try:
            client = self._client_for_request()
            grade = await session.grade(client, answer)
        except NoApiKey as error:
            self._set_busy(False)
            self.set_status(f"The quiz needs Claude. {error}", "error")
            return
        except (ChatError, QuizError) as error:
            self._set_busy(False)
            self.set_status(f"{error} Your answer is kept: ctrl+s grades it again.", "error")
            self.answer_area.focus()
            return
        except asyncio.CancelledError:
            if self.is_attached:
                self._set_busy(False)
                self.set_status("Cancelled: your answer is kept. ctrl+s sends it again.", "warning")
            raise
        self.phase = "graded"
        self._set_busy(False)
        await self._show_current()
        self.set_status(f"{grade.label}: {self._progress()}.")

    def action_escape(self) -> None:
        if self.busy:
            self.workers.cancel_group(self, "quiz")
            return
        if self.phase == "summary" or self.session is None or not self.session.questions:
            self.action_close()
            return
        self.action_finish()

    def action_finish(self) -> None:
        if self.busy or self.phase == "summary":
            return
        session = self.session
        if session is None or not session.questions:
            self.action_close()
            return
        typed = self.answer_area.text.strip() if self.phase == "answer" else ""
        if typed:
            from tui.screens.confirm import ConfirmScreen

            def answered(finish: bool | None) -> None:
                if finish:
                    self.call_later(self._show_summary)

            self.app.push_screen(
                ConfirmScreen(
                    "Finish the quiz? The answer you typed has not been graded.",
                    confirm_label="Finish",
                    cancel_label="Keep answering",
                    title="Finish quiz",
                    destructive=False,
                ),
                answered,
            )
            return
        self.call_later(self._show_summary)

    def _show_summary(self) -> None:
        session = self.session
        assert session is not None
        self.session.draft_answer = self.answer_area.text if self.phase == "answer" else ""
        summary = session.finish()
        _forget_suspended(session)
        self.phase = "summary"
        self.add_class("-summary")
        lines = [f"Quiz finished: {summary.line()}.", ""]
        for item in session.questions:
            mark = VERDICT_MARKS.get(item.verdict, "–")
            label = item.grade.label if item.grade else "Skipped"
            lines.append(f"{mark} {item.number}. {label}: {inert_line(item.question)}")
        missed = session.missed(include_partial=True)
        lines.append("")
        if missed:
            lines.append(f"c: make cards from {self._missed_phrase()} · Esc: close")
        else:
            lines.append("Nothing missed. Esc: close")
        summary_widget = self.query_one("#quiz-summary", Static)
        summary_widget.update(Content("\n".join(lines)))
        summary_widget.add_class("-shown")
        self.set_status("")
        self.set_focus(None)
        self.refresh_bindings()
        if missed:
            self._offer_cards()

    def _missed_phrase(self) -> str:
        session = self.session
        assert session is not None
        missed = session.missed(include_partial=True)
        wrong = sum(1 for m in missed if m.verdict == "missed")
        partly = len(missed) - wrong
        noun = "question" if len(missed) == 1 else "questions"
        if partly and wrong:
            return f"the {len(missed)} {noun} you missed ({wrong} missed, {partly} partly right)"
        if partly:
            return f"the {len(missed)} {noun} you got partly right"
        return f"the {len(missed)} missed {noun}"

    def _offer_cards(self) -> None:
        from tui.screens.confirm import ConfirmScreen

        def answered(make: bool | None) -> None:
            if make:
                self.action_make_cards()

        phrase = self._missed_phrase()
        self.app.push_screen(
            ConfirmScreen(
                f"Make cards from {phrase}? Each opens in the card editor to save, edit or skip.",
                confirm_label="Make cards",
                cancel_label="Not now",
                title="Cards from the quiz",
                destructive=False,
            ),
            answered,
        )

    # -- cards from missed questions ---------------------------------------------------------

    def action_make_cards(self) -> None:
        if self.session is None or self.phase != "summary" or self._card_queue:
            return
        self._card_queue = list(self.session.missed(include_partial=True))
        self._card_total = len(self._card_queue)
        self.refresh_bindings()
        self._next_card()

    def _next_card(self) -> None:
        if not self._card_queue:
            self._card_total = 0
            count = self.cards_saved
            self.notify(
                f"Made {count} card{'s' if count != 1 else ''} from the quiz.", markup=False
            )
            self.refresh_bindings()
            return
        from tui.screens.card_editor import CardEditorScreen

        missed = self._card_queue[0]
        index = self._card_total - len(self._card_queue) + 1
        self.app.push_screen(
            CardEditorScreen(
                source_id=self.source_id,
                first_segment=missed.first_segment,
                last_segment=missed.last_segment,
                proposal=missed.proposal(),
                heading=f"Card {index} of {self._card_total} from the quiz (ctrl+n skips)",
                skippable=True,
            ),
            self._card_done,
        )

    def _card_done(self, note_id: int | None) -> None:
        if self._card_queue:
            self._card_queue.pop(0)
        if note_id is not None:
            self.cards_saved += 1
        self.call_later(self._next_card)

    # -- leaving -----------------------------------------------------------------------------

    @on(CitationSelected)
    def _citation_selected(self, event: CitationSelected) -> None:
        event.stop()
        if event.citation is not None:
            self.jump_to(event.citation)

    def jump_to(self, citation: Citation) -> None:
        """Close the quiz (kept for `Q`) and show the cited passage in the transcript."""
        if self._leaving:
            return
        if self.busy:
            self.workers.cancel_group(self, "quiz")
        session = self.session
        if session is not None and self.phase == "answer":
            session.draft_answer = self.answer_area.text
        self._leaving = True
        self.dismiss(
            QuizOutcome(
                jump_to=(citation.first_segment, citation.last_segment),
                session=session if session is not None and not session.finished else None,
                cards_saved=self.cards_saved,
            )
        )

    def action_close(self) -> None:
        if self._leaving:
            return
        if self.busy:
            self.workers.cancel_group(self, "quiz")
        session = self.session
        if self.phase != "summary" and session is not None and session.questions:
            self.action_finish()  # the summary first; Esc again closes
            return
        self._leaving = True
        self.dismiss(QuizOutcome(session=None, cards_saved=self.cards_saved))


def _forget_suspended(session: QuizSession) -> None:
    for key, value in list(_SUSPENDED.items()):
        if value is session:
            _SUSPENDED.pop(key, None)


def open_quiz(screen: StudyHost) -> None:
    """`Q` on the study screen: a quiz on the selection (or all of it), or the one left
    open to follow a citation when nothing new is selected."""
    transcript = screen.current_transcript
    if transcript is None or not transcript.segments:
        screen.app.notify("There is no transcript to quiz on.", severity="warning", markup=False)
        return
    from tui.claude import chat_client

    try:
        chat_client(ponder(screen.app).config)
    except NoApiKey as error:
        screen.app.notify(f"The quiz needs Claude. {error}", severity="error", markup=False)
        return
    selected = screen.transcript_view.selected_range()
    first, last = (selected[0], selected[1]) if selected else (None, None)
    session = _SUSPENDED.pop(screen, None)
    if session is not None and (session.finished or (selected and session.span != (first, last))):
        session = None

    def finished(outcome: QuizOutcome | None) -> None:
        if outcome is None:
            return
        if outcome.session is not None and not outcome.session.finished:
            _SUSPENDED[screen] = outcome.session
        if outcome.jump_to is not None:
            screen.jump_to_segment(outcome.jump_to[0])
            if outcome.session is not None:
                screen.app.notify("Quiz paused: press Q to go back to it.", markup=False)

    screen.app.push_screen(QuizScreen(screen.source_id, first, last, session=session), finished)


__all__ = ["QuizOutcome", "QuizScreen", "open_quiz"]
