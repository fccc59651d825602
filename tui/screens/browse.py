"""Browse cards: search, filter, look closely, and fix what needs fixing.

`BrowseScreen(deck_id=None, search="")`: a search box (words, or the filters of
`decks.browse.parse_search` such as `deck:` `tag:` `is:due` `sort:-due`), a deck Select,
a tag box and a state Select over a DataTable of matching cards (front, deck, state,
due, stability, difficulty, retrievability now), and a detail panel for the highlighted
card: its text, FSRS memory state, source (title + time, or "source gone") and review
history.

Speed: only a page of rows (`PAGE_SIZE`) is queried and put in the table; the next page
is added when the cursor nears the end, so opening a deck of a 100,000-card collection
costs one count and one LIMITed query.

Keys: `/` search, `e`/Enter edit, `d`/Delete delete (asks), `m` move to a deck, `!`
suspend/unsuspend, `R` reset to new (asks), Esc leaves a filter box (then the screen),
`q` back. Card text and deck names are user or model text: shown as `rich.text.Text` /
`Content`, control characters made visible.
"""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import datetime

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.content import Content
from textual.css.query import NoMatches
from textual.events import DescendantFocus, Resize
from textual.screen import Screen
from textual.suggester import SuggestFromList
from textual.timer import Timer
from textual.widgets import DataTable, Header, Input, RichLog, Select, Static
from textual.widgets.data_table import ColumnKey

from core import clock
from core.textsafe import inert_line
from decks.models import CardView, normalise_deck_name
from decks.repository import CardFilter, CardStore, CardStoreError
from tui.context import ponder
from tui.screens.card_detail import (
    DETAIL_WIDTH,
    detail_text,
    due_label,
    number_text,
    percent_text,
    source_line,
    state_label,
)
from tui.screens.card_editor import TagSuggester
from tui.screens.help import BindingCommands, show_help
from tui.screens.prompt import PromptScreen
from tui.widgets.footer import CoalescingFooter

PAGE_SIZE = 100  # rows per query: more than any terminal shows at once
LOAD_AHEAD = 25  # rows before the end of what is loaded that trigger the next page
FILTER_DELAY_S = 0.2
NARROW_WIDTH = 140  # below: the detail panel goes under the table
STATE_CHOICES: list[tuple[str, str]] = [
    ("new", "new"),
    ("learning", "learning"),
    ("review", "review"),
    ("due today", "due"),
    ("suspended", "suspended"),
    ("leech", "leech"),
    ("buried", "buried"),
]
COLUMNS: list[tuple[str, str, int | None]] = [
    ("front", "Front", None),
    ("deck", "Deck", 14),
    ("state", "State", 9),
    ("due", "Due", 10),
    ("stability", "Stab.", 6),
    ("difficulty", "Diff.", 5),
    ("retrievability", "Retr.", 5),
]


def deck_width(screen_width: int) -> int:
    """The Deck column grows with the screen (nested names are long), up to 40."""
    return max(14, min(40, screen_width // 6))


def front_width(screen_width: int) -> int:
    """The Front column takes what the other columns (and the detail panel) leave."""
    others = sum((width or 0) + 2 for key, _label, width in COLUMNS[1:] if key != "deck")
    others += deck_width(screen_width) + 2
    detail = 0 if screen_width < NARROW_WIDTH else DETAIL_WIDTH + 1
    return max(12, screen_width - detail - others - 6)


class CardTable(DataTable[Text]):
    """The cards table: rows are cards (keyed by card id), j/k move as elsewhere."""

    BINDINGS: list[BindingType] = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
        Binding("g", "scroll_top", "Top", show=False),
        Binding("G", "scroll_bottom", "Bottom", show=False),
    ]


class DeckPrompt(PromptScreen):
    """The one-line prompt, with completion from the collection's deck names."""

    def __init__(self, title: str, deck_names: list[str], **options: object) -> None:
        super().__init__(title, **options)  # type: ignore[arg-type]
        self.deck_names = deck_names

    def on_mount(self) -> None:
        super().on_mount()
        self.input.suggester = SuggestFromList(self.deck_names, case_sensitive=False)


def _deck_problem(value: str) -> str | None:
    try:
        normalise_deck_name(value)
    except ValueError as error:
        return str(error)
    return None


class BrowseScreen(Screen[None]):
    """Find cards and act on the highlighted one."""

    HELP_GROUP = "Cards"
    COMMANDS = {BindingCommands}
    AUTO_FOCUS = "#browse-table"

    BINDINGS: list[BindingType] = [
        Binding("slash", "focus_search", "Search", id="browse.search"),
        Binding("e", "edit", "Edit", id="browse.edit"),
        Binding("d,delete", "delete", "Delete", id="browse.delete"),
        Binding("m", "move", "Move deck", id="browse.move"),
        Binding("exclamation_mark", "toggle_suspend", "Suspend/unsuspend", id="browse.suspend"),
        Binding("R", "reset", "Reset", id="browse.reset"),
        Binding("escape", "leave", "Back", id="browse.leave"),
        Binding("q", "back", "Back", show=False, id="browse.back"),
        Binding("question_mark", "help", "Help", id="browse.help"),
        Binding("J", "scroll_detail(1)", "Details down", show=False, id="browse.detail_down"),
        Binding("K", "scroll_detail(-1)", "Details up", show=False, id="browse.detail_up"),
    ]

    DEFAULT_CSS = """
    BrowseScreen #browse-filters { height: 1; margin: 1 1 0 1; }
    BrowseScreen #browse-search { width: 1fr; margin-right: 1; }
    BrowseScreen #browse-deck { width: 24; margin-right: 1; }
    BrowseScreen #browse-tag { width: 14; margin-right: 1; }
    BrowseScreen #browse-state { width: 16; }
    BrowseScreen #browse-body { height: 1fr; margin-top: 1; }
    BrowseScreen #browse-table { width: 1fr; height: 1fr; }
    BrowseScreen #browse-detail {
        width: 44;
        height: 1fr;
        padding: 0 1;
        border-left: vkey $panel-lighten-2;
        background: $surface;
    }
    BrowseScreen.-narrow #browse-body { layout: vertical; }
    BrowseScreen.-narrow #browse-detail {
        width: 1fr;
        height: 1fr;
        border-left: none;
        border-top: hkey $panel-lighten-2;
    }
    BrowseScreen #browse-status { height: 1; padding: 0 1; background: $panel; }
    BrowseScreen #browse-status.-error { color: $error; }
    """

    def __init__(self, deck_id: int | None = None, search: str = "") -> None:
        super().__init__()
        self.deck_id = deck_id
        self.initial_search = search
        self.views: list[CardView] = []
        self.total: int | None = 0  # None: more than loaded, still being counted
        self.query_filter: CardFilter | None = None
        self._filter_timer: Timer | None = None
        self._scheduler_cache: dict[int, object] = {}
        self._deck_names: list[str] = []
        self._shown_card: int | None = None
        self._detail_pending = False
        self._detail_plain = ""
        self._applied: tuple[object, ...] | None = None

    # -- layout --------------------------------------------------------------------------

    @property
    def store(self) -> CardStore:
        return CardStore(ponder(self).library.conn)

    def compose(self) -> ComposeResult:
        # Classes and widths decided before the children mount: no second styling pass.
        width = self.app.size.width
        self.set_class(width < NARROW_WIDTH, "-narrow")
        store = self.store
        decks = store.decks()
        self._deck_names = [deck.name for deck in decks]
        known_ids = {deck.id for deck in decks}
        deck_value = self.deck_id if self.deck_id in known_ids else Select.NULL
        yield Header()
        with Horizontal(id="browse-filters"):
            yield Input(
                value=self.initial_search,
                placeholder="Search front/back · deck: tag: is:due sort:-due",
                compact=True,
                id="browse-search",
            )
            yield Select(
                [(Text(inert_line(deck.name)), deck.id) for deck in decks],
                prompt="All decks",
                value=deck_value,
                compact=True,
                id="browse-deck",
            )
            yield Input(placeholder="Tag", compact=True, id="browse-tag")
            yield Select(STATE_CHOICES, prompt="Any state", compact=True, id="browse-state")
        with Horizontal(id="browse-body"):
            table = CardTable(cursor_type="row", zebra_stripes=True, id="browse-table")
            for key, label, column_width in COLUMNS:
                if key == "front":
                    column_width = front_width(width)
                elif key == "deck":
                    column_width = deck_width(width)
                table.add_column(label, key=key, width=column_width)
            yield table
            # A Line-API log: new details redraw it without a layout pass of the screen.
            yield RichLog(
                wrap=True,
                markup=False,
                highlight=False,
                auto_scroll=False,
                min_width=20,
                id="browse-detail",
            )
        yield Static(Content(""), id="browse-status")
        yield CoalescingFooter()

    def on_mount(self) -> None:
        self.title = "Cards"
        self.reload()

    def on_resize(self, event: Resize) -> None:
        self.set_class(event.size.width < NARROW_WIDTH, "-narrow")
        if self._shown_card is not None:  # rewrap the details at the new width
            self._shown_card = None
            self.schedule_detail()
        for key, width in (
            ("front", front_width(event.size.width)),
            ("deck", deck_width(event.size.width)),
        ):
            column = self.table.columns.get(ColumnKey(key))
            if column is not None and column.width != width:
                column.width = width
                column.auto_width = False
                self.table.refresh()

    def on_descendant_focus(self, event: DescendantFocus) -> None:
        """The tag box completes from the collection's tags, read when first needed."""
        tag_input = self.tag_input
        if event.widget is tag_input and tag_input.suggester is None:
            try:
                tags = [tag for tag, _count in self.store.all_tags()]
            except sqlite3.Error:
                tags = []
            tag_input.suggester = TagSuggester(tags)

    # -- widgets --------------------------------------------------------------------------

    @property
    def table(self) -> CardTable:
        return self.query_one("#browse-table", CardTable)

    @property
    def search_input(self) -> Input:
        return self.query_one("#browse-search", Input)

    @property
    def tag_input(self) -> Input:
        return self.query_one("#browse-tag", Input)

    @property
    def deck_select(self) -> Select[int]:
        return self.query_one("#browse-deck", Select)

    @property
    def state_select(self) -> Select[str]:
        return self.query_one("#browse-state", Select)

    @property
    def status_text(self) -> str:
        return str(self.query_one("#browse-status", Static).render())

    @property
    def detail_text(self) -> str:
        return self._detail_plain

    @property
    def current(self) -> CardView | None:
        """The card under the table cursor."""
        if not self.views:
            return None
        try:
            row = self.table.cursor_row
        except NoMatches:  # closing: the table is gone
            return None
        if not self.views or not 0 <= row < len(self.views):
            return None
        return self.views[row]

    def _set_status(self, text: str, *, error: bool = False) -> None:
        status = self.query_one("#browse-status", Static)
        status.update(Content(inert_line(text)), layout=False)  # fixed one-line size
        status.set_class(error, "-error")

    # -- querying -----------------------------------------------------------------------------

    def build_filter(self) -> CardFilter:
        """The CardFilter the boxes describe (SearchError for a bad search text)."""
        from decks.browse import parse_search

        query = parse_search(self.search_input.value, self.store)
        deck = self.deck_select.value
        if deck is not Select.NULL:
            query = replace(query, deck_id=int(deck))  # type: ignore[arg-type]
        tag = self.tag_input.value.strip()
        if tag:
            query = replace(query, tag=tag)
        state = self.state_select.value
        if state is not Select.NULL:
            query = replace(query, state=str(state))
        return query

    @property
    def rollover_hour(self) -> int:
        return ponder(self).config.day_rollover_hour

    def reload(self, keep_card: int | None = None, *, fresh: bool = False) -> None:
        """Query again and redraw: a first page from the top when the filters changed
        (`fresh`), else as many rows as were loaded with the cursor kept in place."""
        from decks.browse import SearchError

        row_hint = 0 if fresh else self.table.cursor_row
        try:
            query = self.build_filter()
        except SearchError as error:
            self._set_status(str(error), error=True)
            return
        wanted = PAGE_SIZE if fresh else max(PAGE_SIZE, len(self.views))
        now = clock.now()
        try:
            views = self.store.search(
                replace(query, limit=wanted, offset=0), now=now, rollover_hour=self.rollover_hour
            )
        except (CardStoreError, SearchError) as error:
            self._set_status(str(error), error=True)
            return
        except sqlite3.Error as error:
            self._set_status(f"Could not read the cards: {error}", error=True)
            return
        self.query_filter = query
        self._applied = self._filter_values()
        # A short result is its own count; otherwise count after the first paint.
        self.total = len(views) if len(views) < wanted else None
        self.views = []
        table = self.table
        table.clear()
        self._append(views, now)
        if self.views:
            index = next(
                (i for i, view in enumerate(self.views) if view.card.id == keep_card),
                min(row_hint, len(self.views) - 1),
            )
            table.move_cursor(row=index, animate=False)
        self._shown_card = None
        self.schedule_detail()
        self._update_status()
        if self.total is None:
            self.call_after_refresh(self._count_total, query)

    def _count_total(self, query: CardFilter) -> None:
        if query is not self.query_filter:
            return  # the filters changed meanwhile
        try:
            self.total = self.store.count(query, rollover_hour=self.rollover_hour)
        except (sqlite3.Error, CardStoreError):
            return
        self._update_status()

    def _append(self, views: list[CardView], now: datetime) -> None:
        rows = [self._row(view, now) for view in views]
        self.views.extend(views)
        table = self.table
        for view, row in zip(views, rows, strict=True):
            table.add_row(*row, key=str(view.card.id))

    def _row(self, view: CardView, now: datetime) -> list[Text]:
        from decks.scheduling import retrievability

        card = view.card
        scheduler = self._scheduler(card.deck_id)
        recall = retrievability(scheduler, card, now)  # type: ignore[arg-type]
        return [
            Text(inert_line(view.front), no_wrap=True, overflow="ellipsis"),
            Text(inert_line(view.deck_name), no_wrap=True, overflow="ellipsis"),
            Text(state_label(view, now)),
            Text(due_label(view, now)),
            Text(number_text(card.stability), justify="right"),
            Text(number_text(card.difficulty), justify="right"),
            Text(percent_text(recall), justify="right"),
        ]

    def _scheduler(self, deck_id: int) -> object:
        scheduler = self._scheduler_cache.get(deck_id)
        if scheduler is None:
            from decks.scheduling import scheduler_for_deck

            scheduler = scheduler_for_deck(self.store, deck_id, ponder(self).config)
            self._scheduler_cache[deck_id] = scheduler
        return scheduler

    def load_more(self) -> bool:
        """Add the next page of rows; False when everything is loaded."""
        if self.query_filter is None or (self.total is not None and len(self.views) >= self.total):
            return False
        now = clock.now()
        try:
            views = self.store.search(
                replace(self.query_filter, limit=PAGE_SIZE, offset=len(self.views)),
                now=now,
                rollover_hour=self.rollover_hour,
            )
        except (sqlite3.Error, CardStoreError) as error:
            self._set_status(f"Could not read more cards: {error}", error=True)
            return False
        if len(views) < PAGE_SIZE and self.total is None:
            self.total = len(self.views) + len(views)
        if not views:
            return False
        self._append(views, now)
        self._update_status()
        return True

    def _update_status(self) -> None:
        shown = len(self.views)
        if self.total is None:
            text = f"{shown:,}+ cards (counting…)"
        elif not self.total:
            text = "No card matches." if self._filtered() else "No cards yet: press c on a passage."
        elif shown < self.total:
            text = f"{self.total:,} cards · {shown:,} loaded (more as you scroll)"
        else:
            text = f"{self.total:,} card{'s' if self.total != 1 else ''}"
        self._set_status(text)

    def _filtered(self) -> bool:
        return bool(
            self.search_input.value.strip()
            or self.tag_input.value.strip()
            or self.deck_select.value is not Select.NULL
            or self.state_select.value is not Select.NULL
        )

    # -- events -------------------------------------------------------------------------------

    def on_input_changed(self, event: Input.Changed) -> None:
        self._schedule_reload()

    def on_select_changed(self, event: Select.Changed) -> None:
        self._schedule_reload()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._reload_now()
        self.table.focus()

    def _filter_values(self) -> tuple[object, ...]:
        return (
            self.search_input.value,
            self.deck_select.value,
            self.tag_input.value.strip(),
            self.state_select.value,
        )

    def _schedule_reload(self) -> None:
        if self._filter_timer is not None:
            self._filter_timer.stop()
            self._filter_timer = None
        if self._filter_values() == self._applied:
            # Back to what is shown (or a widget's Changed event on mount): no query.
            if self.query_filter is not None:
                self._update_status()
            return
        self._filter_timer = self.set_timer(FILTER_DELAY_S, self._reload_now)

    def _reload_now(self) -> None:
        if self._filter_timer is not None:
            self._filter_timer.stop()
            self._filter_timer = None
        self.reload(fresh=True)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        if event.cursor_row >= len(self.views) - LOAD_AHEAD:
            self.load_more()
        self.schedule_detail()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_edit()

    # -- the detail panel -------------------------------------------------------------------

    def schedule_detail(self) -> None:
        """Show the highlighted card's details after the next refresh (once, however
        many cursor moves or reloads happen before it)."""
        if not self._detail_pending:
            self._detail_pending = True
            self.call_after_refresh(self._show_detail)

    def _show_detail(self) -> None:
        self._detail_pending = False
        view = self.current
        if view is not None and view.card.id == self._shown_card:
            return
        target = self.query_one("#browse-detail", RichLog)
        if view is None:
            self._shown_card = None
            self._write_detail(target, Text(""))
            return
        from decks.browse import card_details

        try:
            details = card_details(self.store, view.card.id, config=ponder(self).config)
        except sqlite3.Error as error:
            self._write_detail(target, Text(f"Could not read the card: {error}"))
            return
        if details is None:
            self._write_detail(target, Text("This card was deleted."))
            return
        self._shown_card = view.card.id
        self._write_detail(target, detail_text(details, clock.now()))

    def action_scroll_detail(self, pages: int) -> None:
        """J/K: page through a long detail panel without leaving the table."""
        detail = self.query_one("#browse-detail", RichLog)
        detail.scroll_relative(y=pages * max(1, detail.size.height - 2), animate=False)

    def _write_detail(self, target: RichLog, text: Text) -> None:
        self._detail_plain = text.plain
        target.clear()
        target.write(text, scroll_end=False)
        target.scroll_home(animate=False)

    # -- actions --------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("edit", "delete", "move", "toggle_suspend", "reset"):
            return self.current is not None
        return True

    def action_focus_search(self) -> None:
        self.search_input.focus()

    def action_leave(self) -> None:
        """Esc: from a filter box back to the table; from the table, leave the screen."""
        focused = self.focused
        if focused is not None and focused is not self.table:
            self.table.focus()
            return
        self.action_back()

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 1:
            self.app.pop_screen()
        else:
            self.app.exit()

    def action_help(self) -> None:
        show_help(self)

    def action_edit(self) -> None:
        view = self.current
        if view is None:
            return
        from tui.screens.card_editor import CardEditorScreen

        card_id = view.card.id

        def edited(note_id: int | None) -> None:
            if note_id is not None:
                self._scheduler_cache.clear()
                self.reload(keep_card=card_id)

        self.app.push_screen(CardEditorScreen(note_id=view.note.id), edited)

    def action_delete(self) -> None:
        view = self.current
        if view is None:
            return
        from tui.screens.confirm import ConfirmScreen

        try:
            count = len(self.store.cards_of_note(view.note.id))
        except sqlite3.Error:
            count = 1
        front = inert_line(view.front)
        if len(front) > 60:
            front = front[:59] + "…"
        cards = "its card" if count == 1 else f"its {count} cards"
        note_id = view.note.id

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            try:
                self.store.delete_note(note_id)
            except sqlite3.Error as error:
                self.notify(f"Could not delete: {error}", severity="error", markup=False)
                return
            self.notify(f"Deleted the note and {cards}.", markup=False)
            self.reload()

        self.app.push_screen(
            ConfirmScreen(
                f"Delete “{front}” and {cards}? Their review history goes too.",
                confirm_label="Delete",
                title="Delete card",
            ),
            answered,
        )

    def action_move(self) -> None:
        view = self.current
        if view is None:
            return
        card_id = view.card.id

        def chosen(name: str | None) -> None:
            if name is None or not name.strip():
                return
            try:
                deck = self.store.move_to_deck([card_id], name)
            except (CardStoreError, sqlite3.Error) as error:
                self.notify(inert_line(str(error)), severity="error", markup=False)
                return
            self.notify(f"Moved to {inert_line(deck.name)}.", markup=False)
            self._deck_names = [d.name for d in self.store.decks()]
            self.reload(keep_card=card_id)

        self.app.push_screen(
            DeckPrompt(
                "Move this card to deck",
                self._deck_names,
                value=inert_line(view.deck_name),
                placeholder="Deck name (A::B nests; created if new)",
                hint="Enter moves · Tab/→ completes · Esc cancels",
                validate=_deck_problem,
            ),
            chosen,
        )

    def action_toggle_suspend(self) -> None:
        view = self.current
        if view is None:
            return
        suspend = not view.card.suspended
        try:
            self.store.set_suspended([view.card.id], suspend)
        except sqlite3.Error as error:
            self.notify(f"Could not change the card: {error}", severity="error", markup=False)
            return
        self.notify("Suspended." if suspend else "Unsuspended.", markup=False)
        self.reload(keep_card=view.card.id)

    def action_reset(self) -> None:
        view = self.current
        if view is None:
            return
        from tui.screens.confirm import ConfirmScreen

        card_id = view.card.id

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            try:
                self.store.reset_card([card_id])
            except sqlite3.Error as error:
                self.notify(f"Could not reset: {error}", severity="error", markup=False)
                return
            self.notify("Reset: the card is new again (its history is kept).", markup=False)
            self.reload(keep_card=card_id)

        self.app.push_screen(
            ConfirmScreen(
                "Reset this card to new? It forgets its memory state; the review history is kept.",
                confirm_label="Reset",
                title="Reset card",
            ),
            answered,
        )


def open_browse(app: App[object], deck_id: int | None = None, search: str = "") -> None:
    """What the app's `B` does: the card browser, unless it is already on top."""
    if isinstance(app.screen, BrowseScreen):
        return
    app.push_screen(BrowseScreen(deck_id, search))


__all__ = [
    "PAGE_SIZE",
    "BrowseScreen",
    "CardTable",
    "detail_text",
    "open_browse",
    "source_line",
]
