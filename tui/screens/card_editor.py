"""The card editor: make a flashcard from a passage, or edit an existing note.

`CardEditorScreen` is a modal that dismisses with the saved note's id, or None when the
learner cancels (or skips a proposal). It shows the passage the card comes from (with
its timestamp) as context, a kind switch (basic / basic + reverse / cloze, ctrl+t),
front and back (for cloze: the text and an extra), a deck and tags with completion,
a live preview of the cards that will be created, and a validation line.

Cloze marking: switching to cloze puts the passage into the text (when it is empty), so
the learner only marks words. Select words in the passage or in the cloze text and press
ctrl+l; the selection is wrapped in `{{cN::...}}` with the next number (from the passage, the text
is copied into the cloze field first). ctrl+s saves in one CardStore transaction; an
error keeps everything typed. Esc asks before discarding anything typed.

Passages, note text, deck names and model proposals are untrusted: shown as plain
`Content`/`TextArea` text with control characters made visible (`inert`).

`open_card_editor(study_screen)` is what `c` on the study screen calls (it sees that screen
as a `StudyHost`: the passage, the selection).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.suggester import Suggester, SuggestFromList
from textual.widgets import Input, Static, TextArea
from textual.widgets.text_area import Selection

from core.models import format_timestamp
from core.textsafe import inert, inert_line
from decks import cloze
from decks.models import NoteKind, SourceRef, normalise_deck_name, normalise_tags
from decks.repository import CardStore, CardStoreError, card_ords
from tui.context import ponder
from tui.widgets.completing_input import CompletingInput
from tui.widgets.footer import CoalescingFooter

if TYPE_CHECKING:
    from decks.proposals import Proposal
    from tui.screens.study_host import StudyHost

KINDS = (NoteKind.BASIC, NoteKind.REVERSED, NoteKind.CLOZE)
KIND_LABELS = {
    NoteKind.BASIC: "basic",
    NoteKind.REVERSED: "basic + reverse",
    NoteKind.CLOZE: "cloze",
}
PREVIEW_LINES = 3


# -- where a new card comes from -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CardContext:
    """The passage a new card is made from: transcript, segment range, time, highlight."""

    source_id: int | None = None
    first_segment: int | None = None
    last_segment: int | None = None
    highlight_id: int | None = None
    passage: str = ""
    start_s: float | None = None

    def editor_kwargs(self) -> dict[str, Any]:
        return {
            "source_id": self.source_id,
            "first_segment": self.first_segment,
            "last_segment": self.last_segment,
            "highlight_id": self.highlight_id,
            "passage": self.passage,
            "start_s": self.start_s,
        }


def context_from_study(screen: StudyHost) -> CardContext | None:
    """The study screen's selection (or the highlight under the cursor, or the cursor
    segment) as a card context; None when there is no transcript or it is empty."""
    transcript = screen.current_transcript
    if transcript is None or not transcript.segments:
        return None
    view = screen.transcript_view
    selected = view.selected_range()
    highlight_id = None
    if selected is None:
        under = view.highlight_at(view.cursor)
        if under is not None:
            selected = (under.first_segment, under.last_segment, under.start_char, under.end_char)
            highlight_id = under.id
        else:
            selected = (view.cursor, view.cursor, None, None)
    else:
        for highlight in view.highlights:
            span = (
                highlight.first_segment,
                highlight.last_segment,
                highlight.start_char,
                highlight.end_char,
            )
            if span == selected:
                highlight_id = highlight.id
    first, last = selected[0], selected[1]
    return CardContext(
        source_id=screen.source_id,
        first_segment=first,
        last_segment=last,
        highlight_id=highlight_id,
        passage=view.range_text(selected),
        start_s=transcript.segments[first].start,
    )


def open_card_editor(screen: StudyHost) -> None:
    """`c` on the study screen: the editor for the selection, highlight or cursor segment."""
    context = context_from_study(screen)
    if context is None:
        screen.app.notify(
            "There is no passage to make a card from.", severity="warning", markup=False
        )
        return

    def saved(note_id: int | None) -> None:
        if note_id is not None:
            screen.transcript_view.clear_selection()

    screen.app.push_screen(CardEditorScreen(**context.editor_kwargs()), saved)


# -- pure helpers (tested without a UI) -----------------------------------------------------


def preview_lines(kind: NoteKind, front: str, back: str) -> list[str]:
    """One line per card that saving would create (or a hint why there would be none)."""
    front, back = front.strip(), back.strip()
    if kind == NoteKind.CLOZE:
        if not front:
            return ["Cloze: type the text, select words and press ctrl+l to hide them."]
        try:
            numbers = cloze.validate(front)
        except cloze.ClozeError as error:
            return [str(error)]
        return [
            f"c{n}: {cloze.render_front(front, n)}  →  {', '.join(cloze.answers(front, n))}"
            for n in numbers
        ]
    if not front:
        return ["Type the front (the question) and the back (the answer)."]
    lines = [f"Q: {front}  →  A: {back or '(no back)'}"]
    if kind == NoteKind.REVERSED:
        lines.append(f"Q: {back or '(the back)'}  →  A: {front}")
    return lines


def _one_line(text: str, width: int = 160) -> str:
    line = inert_line(" ".join(text.split()))
    if cell_len(line) > width:
        line = line[: width - 1] + "…"
    return line


class TagSuggester(Suggester):
    """Completes the last tag being typed from the collection's tags."""

    def __init__(self, tags: Iterable[str]) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self.tags = sorted(set(tags), key=str.lower)

    async def get_suggestion(self, value: str) -> str | None:
        if not value or value[-1] in " ,":
            return None
        cut = max(value.rfind(" "), value.rfind(","))
        head, partial = value[: cut + 1], value[cut + 1 :]
        lowered = partial.lower()
        for tag in self.tags:
            if tag.lower().startswith(lowered) and len(tag) > len(partial):
                return head + tag
        return None


# -- the screen ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Fields:
    kind: NoteKind
    front: str
    back: str
    deck: str
    tags: str


class CardEditorScreen(ModalScreen["int | None"]):
    """Write or edit one note. Dismisses with the note id, or None (cancelled/skipped)."""

    HELP_GROUP = "Card editor"

    BINDINGS: list[BindingType] = [
        Binding("ctrl+s", "save", "Save", id="card_editor.save", priority=True),
        Binding("ctrl+t", "cycle_kind", "Kind", id="card_editor.kind"),
        Binding("ctrl+l", "cloze", "Cloze selection", id="card_editor.cloze"),
        Binding("ctrl+n", "skip", "Skip", id="card_editor.skip"),
        Binding("escape", "cancel", "Cancel", id="card_editor.cancel"),
    ]

    DEFAULT_CSS = """
    CardEditorScreen > #editor-dialog {
        width: 110;
        max-width: 100%;
        height: auto;
        max-height: 100%;
        padding: 0 1;
        border: round $primary;
        border-title-color: $text;
        border-title-style: bold;
        background: $surface;
    }
    CardEditorScreen #editor-context { color: $text-muted; height: 1; }
    CardEditorScreen #editor-passage { height: 3; background: $boost; }
    CardEditorScreen #editor-passage.-gone { display: none; }
    CardEditorScreen #editor-kind { height: 1; }
    CardEditorScreen .editor-label { height: 1; color: $text-muted; }
    CardEditorScreen TextArea.editor-field { height: 3; background: $panel; }
    CardEditorScreen TextArea.editor-field:focus { background: $panel-lighten-1; }
    CardEditorScreen #editor-meta { height: 1; }
    CardEditorScreen #editor-meta .editor-inline { width: auto; color: $text-muted; }
    CardEditorScreen #editor-deck { width: 1fr; margin-right: 2; }
    CardEditorScreen #editor-tags { width: 1fr; }
    CardEditorScreen #editor-preview {
        height: auto;
        max-height: 4;
        margin-top: 1;
        color: $text-muted;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    CardEditorScreen #editor-error { height: auto; color: $error; display: none; }
    CardEditorScreen #editor-error.-shown { display: block; }
    CardEditorScreen Footer { background: $surface; }
    """

    def __init__(
        self,
        source_id: int | None = None,
        first_segment: int | None = None,
        last_segment: int | None = None,
        highlight_id: int | None = None,
        passage: str = "",
        start_s: float | None = None,
        note_id: int | None = None,
        proposal: dict[str, Any] | Proposal | None = None,
        *,
        deck: str | None = None,
        heading: str | None = None,
        skippable: bool | None = None,
    ) -> None:
        super().__init__()
        self.source_id = source_id
        self.first_segment = first_segment
        self.last_segment = last_segment
        self.highlight_id = highlight_id
        self.passage = passage
        self.start_s = start_s
        self.note_id = note_id
        self.proposal = _proposal_dict(proposal)
        self.initial_deck = deck
        self.heading = heading
        self.skippable = self.proposal is not None if skippable is None else skippable
        self.kind = NoteKind.BASIC
        self.source_title: str | None = None
        self.source_gone = False
        self._initial: _Fields | None = None
        self._deck_names: list[str] = []
        self._note_deck: str | None = None
        self._note_card_ids: list[int] = []
        self._finished = False

    # -- building ---------------------------------------------------------------------

    @property
    def store(self) -> CardStore:
        return CardStore(ponder(self).library.conn)

    def compose(self) -> ComposeResult:
        with Vertical(id="editor-dialog"):
            yield Static(Content(""), id="editor-context")
            yield TextArea(
                "",
                read_only=True,
                soft_wrap=True,
                compact=True,
                highlight_cursor_line=False,
                id="editor-passage",
            )
            yield Static(Content(""), id="editor-kind")
            yield Static(Content("Front"), id="editor-front-label", classes="editor-label")
            yield TextArea(
                "", soft_wrap=True, compact=True, id="editor-front", classes="editor-field"
            )
            yield Static(Content("Back"), id="editor-back-label", classes="editor-label")
            yield TextArea(
                "", soft_wrap=True, compact=True, id="editor-back", classes="editor-field"
            )
            with Horizontal(id="editor-meta"):
                yield Static(Content("Deck "), classes="editor-inline")
                yield CompletingInput(
                    placeholder="Deck (A::B nests)", compact=True, id="editor-deck"
                )
                yield Static(Content("Tags "), classes="editor-inline")
                yield CompletingInput(
                    placeholder="tags, space separated", compact=True, id="editor-tags"
                )
            yield Static(Content(""), id="editor-preview")
            yield Static(Content(""), id="editor-error")
            yield CoalescingFooter()

    def on_mount(self) -> None:
        dialog = self.query_one("#editor-dialog")
        try:
            fields = self._load()
        except sqlite3.Error as error:
            fields = _Fields(NoteKind.BASIC, "", "", "", "")
            self.show_error(f"Could not read the collection: {error}")
        dialog.border_title = self.heading or ("Edit card" if self.note_id else "New card")
        self.kind = fields.kind
        self.front_area.load_text(fields.front)
        self.back_area.load_text(fields.back)
        self.deck_input.value = fields.deck
        self.tags_input.value = fields.tags
        self.deck_input.suggester = SuggestFromList(self._deck_names, case_sensitive=False)
        try:
            tags = [tag for tag, _count in self.store.all_tags()]
        except sqlite3.Error:
            tags = []
        self.tags_input.suggester = TagSuggester(tags)
        self._initial = fields
        self._show_context()
        self._show_kind()
        self._update_preview()
        self.front_area.focus()
        self.front_area.move_cursor(self.front_area.document.end)

    def _load(self) -> _Fields:
        """The fields to start with: the note being edited, a proposal, or empty."""
        store = self.store
        self._deck_names = [deck.name for deck in store.decks()]
        library = ponder(self).library
        if self.note_id is not None:
            note = store.note(self.note_id)
            if note is None:
                self.show_error(f"Note {self.note_id} no longer exists: saving adds a new one.")
                self.note_id = None
            else:
                cards = store.cards_of_note(note.id)
                self._note_card_ids = [card.id for card in cards]
                deck = store.deck(cards[0].deck_id) if cards else None
                self._note_deck = deck.name if deck else None
                source = note.source
                if source is not None:
                    self.source_id = source.source_id
                    self.first_segment = source.first_segment
                    self.last_segment = source.last_segment
                    self.highlight_id = source.highlight_id
                    self.start_s = source.start_s
                    self.source_title = source.source_title
                    self.source_gone = source.gone
                    if not self.passage and not source.gone:
                        self.passage = self._passage_from_library()
                return _Fields(
                    note.kind,
                    inert(note.front),
                    inert(note.back),
                    inert_line(self._note_deck or ""),
                    " ".join(note.tags),
                )
        if self.source_id is not None:
            found = library.source(self.source_id)
            if found is None:
                self.source_gone = True
            else:
                self.source_title = found.title
                if self.start_s is None and self.first_segment is not None:
                    segments = library.segments(self.source_id)
                    if 0 <= self.first_segment < len(segments):
                        self.start_s = segments[self.first_segment].start
                if not self.passage:
                    self.passage = self._passage_from_library()
        deck = self.initial_deck
        if deck is None:
            try:
                deck = store.default_deck_name(self._source_ref())
            except CardStoreError:
                deck = store.default_deck_name(None)
        if self.proposal is not None:
            kind = _kind_of(self.proposal.get("kind"))
            front = str(self.proposal.get("front") or "")
            if kind == NoteKind.CLOZE:
                front = str(self.proposal.get("text") or front)
            back = str(self.proposal.get("back") or "")
            return _Fields(kind, inert(front), inert(back), inert_line(deck), "")
        return _Fields(NoteKind.BASIC, "", "", inert_line(deck), "")

    def _passage_from_library(self) -> str:
        if self.source_id is None or self.first_segment is None:
            return ""
        segments = ponder(self).library.segments(self.source_id)
        last = self.last_segment if self.last_segment is not None else self.first_segment
        return " ".join(segment.text.strip() for segment in segments[self.first_segment : last + 1])

    def _source_ref(self) -> SourceRef | None:
        if self.source_id is None or self.source_gone:
            return None
        return SourceRef(
            self.source_id,
            self.source_title,
            self.first_segment,
            self.last_segment,
            self.start_s,
            self.highlight_id,
        )

    # -- widgets ------------------------------------------------------------------------

    @property
    def passage_area(self) -> TextArea:
        return self.query_one("#editor-passage", TextArea)

    @property
    def front_area(self) -> TextArea:
        return self.query_one("#editor-front", TextArea)

    @property
    def back_area(self) -> TextArea:
        return self.query_one("#editor-back", TextArea)

    @property
    def deck_input(self) -> Input:
        return self.query_one("#editor-deck", Input)

    @property
    def tags_input(self) -> Input:
        return self.query_one("#editor-tags", Input)

    @property
    def error_text(self) -> str:
        """The validation message shown (empty when none)."""
        error = self.query_one("#editor-error", Static)
        return str(error.render()) if error.has_class("-shown") else ""

    @property
    def preview_text(self) -> str:
        return str(self.query_one("#editor-preview", Static).render())

    def _fields(self) -> _Fields:
        return _Fields(
            self.kind,
            self.front_area.text,
            self.back_area.text,
            self.deck_input.value,
            self.tags_input.value,
        )

    @property
    def dirty(self) -> bool:
        """Something was typed or changed since the editor opened."""
        return self._initial is not None and self._fields() != self._initial

    def _show_context(self) -> None:
        parts: list[str] = []
        if self.source_title is not None:
            parts.append(self.source_title)
        if self.source_gone:
            parts.append("source gone (transcript deleted)")
        if self.start_s is not None:
            parts.append(format_timestamp(self.start_s))
        if self.first_segment is not None:
            last = self.last_segment if self.last_segment is not None else self.first_segment
            span = f"segment {self.first_segment + 1}"
            if last != self.first_segment:
                span = f"segments {self.first_segment + 1}–{last + 1}"
            parts.append(span)
        if self.highlight_id is not None:
            parts.append("from a highlight")
        if not parts:
            parts.append("typed by hand (no source)")
        self.query_one("#editor-context", Static).update(Content(_one_line(" · ".join(parts))))
        passage = self.passage_area
        passage.load_text(inert(self.passage))
        passage.set_class(not self.passage.strip(), "-gone")

    def _show_kind(self) -> None:
        content = Content("Kind: ")
        for kind in KINDS:
            label = f" {KIND_LABELS[kind]} "
            if kind == self.kind:
                content += Content.styled(label, "reverse bold")
            else:
                content += Content(label)
            content += Content(" ")
        content += Content.styled("  ctrl+t", "dim")
        if self.kind == NoteKind.CLOZE:
            content += Content.styled(" · ctrl+l: hide selection", "dim")
        self.query_one("#editor-kind", Static).update(content)
        cloze_kind = self.kind == NoteKind.CLOZE
        self.query_one("#editor-front-label", Static).update(
            Content("Text (with {{c1::…}} deletions)" if cloze_kind else "Front")
        )
        self.query_one("#editor-back-label", Static).update(
            Content("Extra (shown with the answer)" if cloze_kind else "Back")
        )

    def _update_preview(self) -> None:
        fields = self._fields()
        lines = preview_lines(fields.kind, fields.front, fields.back)
        count = 0
        try:
            count = len(card_ords(fields.kind, fields.front)) if fields.front.strip() else 0
        except CardStoreError:
            count = 0
        deck = " ".join(fields.deck.split()) or "the default deck"
        new_deck = deck not in self._deck_names and bool(fields.deck.strip())
        head = f"Preview: {count} card{'s' if count != 1 else ''} → {deck}"
        if new_deck:
            head += " (new deck)"
        text = "\n".join([_one_line(head), *(_one_line(line) for line in lines[:PREVIEW_LINES])])
        if len(lines) > PREVIEW_LINES:
            text += f" (+{len(lines) - PREVIEW_LINES} more)"
        self.query_one("#editor-preview", Static).update(Content(text))

    def show_error(self, message: str) -> None:
        error = self.query_one("#editor-error", Static)
        error.update(Content(_one_line(message, 300)))
        error.add_class("-shown")

    def clear_error(self) -> None:
        self.query_one("#editor-error", Static).remove_class("-shown")

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        if event.text_area.id != "editor-passage":
            self._update_preview()

    def on_input_changed(self, event: Input.Changed) -> None:
        self._update_preview()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter in deck/tags: take the completion shown, then go to the next field."""
        event.stop()
        field = event.input
        if field._suggestion and field._suggestion != field.value:
            field.value = field._suggestion
            field.cursor_position = len(field.value)
        self.focus_next()

    # -- actions --------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "skip":
            return self.skippable
        return True

    def action_cycle_kind(self) -> None:
        self.set_kind(KINDS[(KINDS.index(self.kind) + 1) % len(KINDS)])

    def set_kind(self, kind: NoteKind | str) -> None:
        """Switch the kind. A cloze made from a passage starts with the passage as its
        text, so the learner only marks the words to hide; leaving cloze again takes the
        passage back out if it was not touched."""
        previous, self.kind = self.kind, NoteKind(kind)
        front = self.front_area.text
        passage = inert(self.passage).strip()
        if self.kind == NoteKind.CLOZE and not front.strip() and passage:
            self._set_front(passage, 0)
            self.front_area.focus()
        elif previous == NoteKind.CLOZE and self.kind != NoteKind.CLOZE and front == passage:
            self._set_front("", 0)
        self._show_kind()
        self._update_preview()

    def action_cloze(self) -> None:
        """Hide the selected words as the next cloze deletion."""
        focused = self.focused
        try:
            if focused is self.front_area:
                self._cloze_in_front()
            elif focused is self.passage_area:
                self._cloze_from_passage()
            else:
                raise ValueError(
                    "Select words in the passage or the cloze text, then press ctrl+l."
                )
        except ValueError as error:
            self.show_error(str(error))
            return
        self.clear_error()

    def _cloze_in_front(self) -> None:
        area = self.front_area
        document = area.document
        start_loc, end_loc = area.selection
        start = document.get_index_from_location(start_loc)
        end = document.get_index_from_location(end_loc)
        new_text, number = cloze.wrap_cloze(area.text, start, end)
        self._set_front(new_text, cloze.deletion_end(new_text, number))
        if self.kind != NoteKind.CLOZE:
            self.set_kind(NoteKind.CLOZE)

    def _cloze_from_passage(self) -> None:
        area = self.passage_area
        start_loc, end_loc = sorted(area.selection)
        document = area.document
        start = document.get_index_from_location(start_loc)
        end = document.get_index_from_location(end_loc)
        fragment = area.text[start:end]
        stripped = fragment.strip()
        if not stripped:
            raise ValueError("Select the words to hide in the passage (shift+arrows) first.")
        start += len(fragment) - len(fragment.lstrip())
        front = self.front_area.text
        if self.kind != NoteKind.CLOZE or not front.strip():
            if front.strip() and self.kind != NoteKind.CLOZE:
                raise ValueError(
                    "The front already has text: switch to cloze (ctrl+t) or clear it first."
                )
            front = area.text
        index = cloze.locate_fragment(front, stripped, start)
        if index is None:
            raise ValueError(
                "Those words are not in the cloze text any more: select them in the Text field."
            )
        new_text, _number = cloze.wrap_cloze(front, index, index + len(stripped))
        self._set_front(new_text, None)
        if self.kind != NoteKind.CLOZE:
            self.set_kind(NoteKind.CLOZE)
        area.selection = Selection.cursor(end_loc)

    def _set_front(self, text: str, cursor_index: int | None) -> None:
        area = self.front_area
        area.load_text(text)
        if cursor_index is not None:
            area.move_cursor(area.document.get_location_from_index(min(cursor_index, len(text))))
        self._update_preview()

    def action_save(self) -> None:
        if self._finished:
            return
        fields = self._fields()
        deck_text = " ".join(fields.deck.split())
        try:
            deck = normalise_deck_name(deck_text) if deck_text else None
        except ValueError as error:
            self.show_error(str(error))
            return
        try:
            note_id = self._save(fields, deck)
        except CardStoreError as error:
            self.show_error(str(error))
            self.notify(_one_line(str(error)), severity="error", markup=False)
            return
        except sqlite3.Error as error:
            self.show_error(f"Could not save (nothing was lost here, try again): {error}")
            return
        self._finished = True
        self.dismiss(note_id)

    def _save(self, fields: _Fields, deck: str | None) -> int:
        store = self.store
        tags = normalise_tags(fields.tags)
        if self.note_id is None:
            created = store.create_note(
                fields.kind,
                fields.front,
                fields.back,
                deck=deck,
                tags=tags,
                source=self._source_ref(),
            )
            count = len(created.cards)
            self.notify(
                _one_line(f"Added {count} card{'s' if count != 1 else ''} to {created.deck.name}."),
                markup=False,
            )
            return created.note.id
        update = store.update_note(
            self.note_id, front=fields.front, back=fields.back, tags=tags, kind=fields.kind
        )
        if deck is not None and deck != self._note_deck:
            cards = [card.id for card in store.cards_of_note(self.note_id)]
            store.move_to_deck(cards, deck)
        changes = []
        if update.added_card_ids:
            changes.append(f"{len(update.added_card_ids)} card(s) added")
        if update.removed_card_ids:
            changes.append(f"{len(update.removed_card_ids)} card(s) removed")
        self.notify("Card saved" + (f": {', '.join(changes)}." if changes else "."), markup=False)
        return update.note.id

    def action_skip(self) -> None:
        if self.skippable and not self._finished:
            self._finished = True
            self.dismiss(None)

    def action_cancel(self) -> None:
        if self._finished:
            return
        if not self.dirty:
            self._finished = True
            self.dismiss(None)
            return
        from tui.screens.confirm import ConfirmScreen

        what = "this proposal" if self.skippable else "this card"

        def answered(discard: bool | None) -> None:
            if discard and not self._finished:
                self._finished = True
                self.dismiss(None)

        self.app.push_screen(
            ConfirmScreen(
                f"Discard {what}? What you typed is lost.",
                confirm_label="Discard",
                cancel_label="Keep editing",
                title="Discard",
            ),
            answered,
        )


def _kind_of(value: Any) -> NoteKind:
    try:
        return NoteKind(str(value))
    except ValueError:
        return NoteKind.BASIC


def _proposal_dict(proposal: dict[str, Any] | Proposal | None) -> dict[str, Any] | None:
    if proposal is None:
        return None
    if isinstance(proposal, dict):
        return dict(proposal)
    return proposal.to_dict()


__all__ = [
    "CardContext",
    "CardEditorScreen",
    "TagSuggester",
    "context_from_study",
    "open_card_editor",
    "preview_lines",
]
