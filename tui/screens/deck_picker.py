"""Pick the deck to review: every deck (as a tree) with what is left to study today.

`DeckPickerScreen(current=None)` dismisses with a deck id, `None` for all decks, or
`CANCELLED` (Esc). The counts are the review queue's own (`DailyQueue`), so a deck's
numbers include its subdecks and respect the daily limits of its preset, exactly as
the review header will show them.

Deck names are user text: shown as plain `Content`, control characters made visible.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING

from rich.cells import cell_len, set_cell_size
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from core import clock
from core.clock import study_day_start
from core.textsafe import inert_line
from decks.repository import CardStore
from decks.scheduling import settings_for
from tui.context import ponder

if TYPE_CHECKING:
    from core.config import Config


class _Cancelled(Enum):
    CANCELLED = "cancelled"


CANCELLED = _Cancelled.CANCELLED
"""What the picker returns when the learner backs out (distinct from None = all decks)."""

PickResult = int | None | _Cancelled

ALL_DECKS = "All decks"
NAME_WIDTH = 44


@dataclass(frozen=True, slots=True)
class DeckRow:
    """One line of the picker: a deck (or all decks) and its cards left today."""

    deck_id: int | None
    name: str
    depth: int
    new: int
    learning: int
    review: int

    @property
    def due(self) -> int:
        return self.learning + self.review

    @property
    def total(self) -> int:
        return self.new + self.learning + self.review

    @property
    def label(self) -> str:
        """The indented last part of the name (the tree shows the rest)."""
        if self.deck_id is None:
            return self.name
        return "  " * self.depth + self.name.split("::")[-1]


def deck_rows(store: CardStore, config: Config, now: datetime | None = None) -> list[DeckRow]:
    """All decks first, then every deck in tree order, with what is left to study today.

    One counting query for every deck (`deck_summaries`), then each deck's daily limits
    (its preset, minus what was studied today in it and its subdecks). The review header
    counts the same cards (it builds the deck's queue, too slow to do for every deck).
    """
    now = now or clock.now()
    rollover = config.day_rollover_hour
    summaries = store.deck_summaries(now, rollover_hour=rollover)
    children: dict[int | None, list[int]] = {}
    for summary in summaries:
        children.setdefault(summary.deck.parent_id, []).append(summary.deck.id)
    by_id = {summary.deck.id: summary for summary in summaries}

    def subtree(deck_id: int) -> list[int]:
        ids, stack = [], [deck_id]
        while stack:
            current = stack.pop()
            ids.append(current)
            stack.extend(children.get(current, ()))
        return ids

    day_start = study_day_start(now, rollover)

    def row(deck_id: int | None, name: str, depth: int, ids: list[int] | None) -> DeckRow:
        chosen = [by_id[i] for i in (ids if ids is not None else by_id) if i in by_id]
        new = sum(s.new for s in chosen)
        learning = sum(min(s.learning, s.due_today) for s in chosen)
        review = sum(s.due_today for s in chosen) - learning
        settings = settings_for(store.preset_for_deck(deck_id), config)
        new_done, reviews_done = store.studied_since(day_start, ids)
        new = min(new, max(0, settings.new_per_day - new_done))
        review = min(review, max(0, settings.reviews_per_day - reviews_done))
        return DeckRow(deck_id, name, depth, new, learning, review)

    rows = [row(None, ALL_DECKS, 0, None)]
    for summary in summaries:
        deck = summary.deck
        rows.append(row(deck.id, deck.name, deck.depth, subtree(deck.id)))
    return rows


def row_content(row: DeckRow, name_width: int = NAME_WIDTH) -> Content:
    """`Talks::Physics` as an indented leaf, then due and new counts in columns."""
    label = inert_line(row.label)
    if cell_len(label) > name_width:
        label = set_cell_size(label, name_width - 1) + "…"
    else:
        label = set_cell_size(label, name_width)
    style = "" if row.total else "dim"
    if row.deck_id is None:
        style = (style + " bold").strip()
    return Content.assemble(
        (label, style),
        (f"{row.due:>6}", "$text-success" if row.due else "dim"),
        (f"{row.new:>6}", "$text-primary" if row.new else "dim"),
    )


class DeckPickerScreen(ModalScreen[PickResult]):
    """Enter reviews the highlighted deck (with subdecks); Esc cancels."""

    HELP_GROUP = "Pick a deck"

    BINDINGS: list[BindingType] = [
        Binding("escape,q", "cancel", "Cancel", id="deck_picker.cancel"),
        Binding("j", "cursor_down", "Down", show=False, id="deck_picker.down"),
        Binding("k", "cursor_up", "Up", show=False, id="deck_picker.up"),
        Binding("a", "pick_all", "All decks", id="deck_picker.all"),
    ]

    DEFAULT_CSS = """
    DeckPickerScreen #deck-picker-dialog { width: 64; }
    DeckPickerScreen #deck-picker-head { color: $text-muted; padding: 0 1; }
    DeckPickerScreen #deck-picker-list { height: auto; max-height: 20; border: none; }
    DeckPickerScreen #deck-picker-hint { color: $text-muted; margin-top: 1; }
    """

    def __init__(self, current: int | None = None) -> None:
        super().__init__()
        self.current = current
        self.rows: list[DeckRow] = []

    def compose(self) -> ComposeResult:
        try:
            store = CardStore(ponder(self).library.conn)
            self.rows = deck_rows(store, ponder(self).config)
        except sqlite3.Error as error:
            self.rows = []
            self.notify(
                f"Could not count the decks: {inert_line(str(error))}",
                severity="error",
                markup=False,
            )
        with Vertical(id="deck-picker-dialog", classes="dialog") as dialog:
            dialog.border_title = "Review which deck?"
            head = set_cell_size("Deck", NAME_WIDTH) + f"{'Due':>6}{'New':>6}"
            yield Static(Content(head), id="deck-picker-head")
            options = [
                Option(row_content(row), id=f"deck-{row.deck_id or 'all'}") for row in self.rows
            ]
            yield OptionList(*options, id="deck-picker-list")
            yield Static(
                Content("Enter reviews the deck with its subdecks · a all decks · Esc cancels"),
                id="deck-picker-hint",
            )

    def on_mount(self) -> None:
        option_list = self.query_one(OptionList)
        index = next((i for i, row in enumerate(self.rows) if row.deck_id == self.current), 0)
        if self.rows:
            option_list.highlighted = index
        option_list.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        row = self.rows[event.option_index]
        self.dismiss(row.deck_id)

    def action_cursor_down(self) -> None:
        self.query_one(OptionList).action_cursor_down()

    def action_cursor_up(self) -> None:
        self.query_one(OptionList).action_cursor_up()

    def action_pick_all(self) -> None:
        self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(CANCELLED)
