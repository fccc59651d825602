"""The library: every saved transcript in a sortable, filterable table (what `ponder` opens on).

Titles come from files and YouTube, so they are shown as plain text (never markup) with
control characters made visible. The selected transcript and the sort order survive a
restart (stored in the library's app_state).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import DataTable, Header, Input, Static

from core import collections
from core.collections import Collection
from core.demo import DEMO_SEEDED_KEY
from core.durations import format_hms
from core.models import Source
from core.textsafe import inert_line
from decks.library_rows import LibraryRow, filter_rows, in_collection, load_rows
from tui.context import ponder
from tui.widgets.footer import CoalescingFooter

SELECTED_KEY = "library.selected"
SORT_KEY = "library.sort"
COLLECTION_KEY = "library.collection"
NEW_COLLECTION = "new"
ALL_TRANSCRIPTS = "all"


@dataclass(frozen=True, slots=True)
class SortColumn:
    """A column the table can be sorted by, and the direction that is natural for it."""

    key: str
    label: str
    value: Callable[[LibraryRow], Any]
    descending: bool
    width: int | None = None
    numeric: bool = False


COLUMNS: tuple[SortColumn, ...] = (
    SortColumn("title", "Title", lambda row: row.source.title.casefold(), False),
    SortColumn(
        "duration", "Duration", lambda row: row.source.duration_s or 0.0, True, 8, numeric=True
    ),
    SortColumn("added", "Added", lambda row: row.source.imported_at, True, 10),
    SortColumn("highlights", "Highlights", lambda row: row.highlights, True, 10, numeric=True),
    SortColumn("cards", "Cards", lambda row: row.cards, True, 5, numeric=True),
    SortColumn("due", "Due", lambda row: row.due, True, 5, numeric=True),
)
COLUMN_BY_KEY = {column.key: column for column in COLUMNS}
DEFAULT_SORT = ("added", True)
MIN_TITLE_WIDTH = 12
EXTERNAL_CHECK_S = 2.0
"""How often the library looks for changes another `ponder` committed (PRAGMA data_version)."""


def format_duration(seconds: float | None) -> str:
    """h:mm:ss, or a dash for untimed transcripts."""
    if seconds is None:
        return "—"
    return format_hms(seconds)


def format_added(source: Source) -> str:
    """The local calendar date the transcript was imported."""
    return source.imported_at.astimezone().strftime("%Y-%m-%d")


def sort_rows(rows: list[LibraryRow], column_key: str, descending: bool) -> list[LibraryRow]:
    """Stable sort by one column; ties keep newest first, then title."""
    column = COLUMN_BY_KEY.get(column_key, COLUMN_BY_KEY[DEFAULT_SORT[0]])
    ordered = sorted(rows, key=lambda row: row.source.title.casefold())
    ordered.sort(key=lambda row: row.source.imported_at, reverse=True)
    ordered.sort(key=column.value, reverse=descending)
    return ordered


class LibraryTable(DataTable, inherit_bindings=False):
    """The transcripts table: row movement with arrows or vim keys, Enter opens.

    DataTable's own bindings are replaced (not inherited) so the help lists only what
    matters for a list of rows (no column movement).
    """

    HELP_GROUP = "Transcripts table"

    BINDINGS = [
        Binding("enter", "select_cursor", "Open", key_display="⏎", id="library.open"),
        Binding("down,j", "cursor_down", "Down", show=False, id="library.down"),
        Binding("up,k", "cursor_up", "Up", show=False, id="library.up"),
        Binding("pagedown", "page_down", "Page down", show=False, id="library.page_down"),
        Binding("pageup", "page_up", "Page up", show=False, id="library.page_up"),
        Binding("home,g,ctrl+home", "scroll_top", "First", show=False, id="library.first"),
        Binding("end,G,ctrl+end", "scroll_bottom", "Last", show=False, id="library.last"),
    ]

    def action_select_cursor(self) -> None:
        if self.row_count == 0:  # nothing to select: let the screen explain
            self.screen.action_open()  # type: ignore[attr-defined]
            return
        super().action_select_cursor()


class LibraryScreen(Screen[None]):
    """Pick a transcript: open it, add one, rename or delete one, sort, filter."""

    TITLE = "Ponder"
    SUB_TITLE = "Library"
    AUTO_FOCUS = "#library-table"

    BINDINGS = [
        Binding("a", "add", "Add", id="library.add"),
        Binding("d", "delete", "Delete", id="library.delete"),
        Binding("e", "rename", "Rename", show=False, id="library.rename"),
        Binding("s", "cycle_sort", "Sort", show=False, id="library.sort"),
        Binding("o", "reverse_sort", "Reverse order", show=False, id="library.reverse"),
        # Priority: the focus moves before any key typed right after "/" is delivered.
        Binding("slash", "focus_filter", "Filter", priority=True, id="library.filter"),
        Binding("f", "focus_filter", "Filter", show=False, id="library.filter_f"),
        Binding("escape", "clear_filter", "Clear filter", show=False, id="library.clear_filter"),
        # -- collections (core/collections.py): listed in ? help and the palette --
        Binding("c", "show_collection", "Show a collection", show=False, id="library.collection"),
        Binding("C", "new_collection", "New collection", show=False, id="library.new_collection"),
        Binding(
            "plus",
            "add_to_collection",
            "Add to a collection",
            show=False,
            id="library.add_to_collection",
        ),
        Binding(
            "minus",
            "remove_from_collection",
            "Remove from this collection",
            show=False,
            id="library.remove_from_collection",
        ),
        Binding(
            "A",
            "collection_chat",
            "Chat with a collection",
            show=False,
            id="library.collection_chat",
        ),
    ]

    def __init__(self) -> None:
        super().__init__(id="library")
        self._rows: list[LibraryRow] = []
        self._shown: list[LibraryRow] = []
        self._sort_key, self._descending = DEFAULT_SORT
        self._selected_id: int | None = None
        self._title_width = MIN_TITLE_WIDTH
        self._mounted = False
        self.collection: Collection | None = None
        """The collection the table is filtered by (None: every transcript)."""

    # -- building --------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(placeholder="Filter titles  ( / )", id="library-filter", compact=True)
        table = LibraryTable(id="library-table", cursor_type="row", zebra_stripes=True)
        yield table
        yield Static("", id="library-empty")
        with Horizontal(id="library-status-bar"):
            yield Static("", id="library-status")
        yield CoalescingFooter(compact=True)

    def on_mount(self) -> None:
        library = ponder(self).library
        self._restore_sort(library.get_state(SORT_KEY))
        selected = library.get_state(SELECTED_KEY) or library.get_state(DEMO_SEEDED_KEY)
        self._selected_id = int(selected) if selected and selected.isdigit() else None
        shown = library.get_state(COLLECTION_KEY) or ""
        self.collection = collections.get(library, int(shown)) if shown.isdigit() else None
        self._title_width = self._compute_title_width(self.size.width or self.app.size.width)
        # Card counts need the decks package (tens of ms to import): paint first, then count.
        self.reload(with_cards=False)
        self.call_after_refresh(self.reload)
        self._data_version = library.data_version()
        self.set_interval(EXTERNAL_CHECK_S, self._notice_external_changes)

    def _notice_external_changes(self) -> None:
        """Another terminal's `ponder add` (or rename, remove) shows up without a key."""
        if not self.is_current:
            return
        version = ponder(self).library.data_version()
        if version != self._data_version:
            self._data_version = version
            self.reload()

    def on_screen_resume(self) -> None:
        if self._mounted:
            self.reload()
        self._mounted = True

    def on_resize(self) -> None:
        width = self._compute_title_width(self.size.width)
        if width != self._title_width:
            self._title_width = width
            self._selected_id = self._cursor_source_id()
            self._render_table()

    def _compute_title_width(self, screen_width: int) -> int:
        others = sum((column.width or 0) + 2 for column in COLUMNS[1:])
        # Title cell padding (2) and the vertical scrollbar (2) take the rest.
        return max(MIN_TITLE_WIDTH, screen_width - others - 4)

    def _restore_sort(self, stored: str | None) -> None:
        if not stored or ":" not in stored:
            return
        key, direction = stored.split(":", 1)
        if key in COLUMN_BY_KEY:
            self._sort_key, self._descending = key, direction == "desc"

    # -- data ------------------------------------------------------------------

    @property
    def table(self) -> LibraryTable:
        return self.query_one("#library-table", LibraryTable)

    @property
    def filter_input(self) -> Input:
        return self.query_one("#library-filter", Input)

    @property
    def selected_source(self) -> Source | None:
        """The source under the table cursor, if any."""
        for row in self._shown:
            if row.source_id == self._selected_id:
                return row.source
        return None

    @property
    def shown_ids(self) -> list[int]:
        """Source ids in the order the table shows them (tests and the palette use it)."""
        return [row.source_id for row in self._shown]

    def reload(self, select: int | None = None, *, with_cards: bool = True) -> None:
        """Read the library again and redraw; optionally move the cursor to `select`."""
        self._rows = load_rows(ponder(self).library, ponder(self).config, with_cards=with_cards)
        if self.collection is not None:  # renamed, changed or deleted elsewhere
            self.collection = collections.get(ponder(self).library, self.collection.id)
        self._selected_id = select if select is not None else self._cursor_source_id()
        self._render_table()

    def _cursor_source_id(self) -> int | None:
        """The row under the cursor now: a redraw must not undo a move whose highlight
        message is still queued (a key pressed while the counts were loading)."""
        row = self.table.cursor_row
        if self._shown and 0 <= row < len(self._shown) and self.table.row_count:
            return self._shown[row].source_id
        return self._selected_id

    def _render_table(self) -> None:
        table = self.table
        query = self.filter_input.value
        rows = filter_rows(in_collection(self._rows, self.collection), query)
        self._shown = sort_rows(rows, self._sort_key, self._descending)
        table.clear(columns=True)
        for column in COLUMNS:
            label = Text(column.label, justify="right" if column.numeric else "left")
            if column.key == self._sort_key:
                label.append(" ▼" if self._descending else " ▲")
            width = self._title_width if column.key == "title" else column.width
            table.add_column(label, key=column.key, width=width)
        for row in self._shown:
            source = row.source
            table.add_row(
                Text(inert_line(source.title), no_wrap=True, overflow="ellipsis"),
                Text(format_duration(source.duration_s), justify="right"),
                Text(format_added(source)),
                Text(str(row.highlights), justify="right"),
                Text(str(row.cards), justify="right"),
                Text(str(row.due), justify="right"),
                key=str(row.source_id),
            )
        index = next(
            (i for i, row in enumerate(self._shown) if row.source_id == self._selected_id), None
        )
        if index is None and self._shown:
            index = 0
        if index is not None:
            table.move_cursor(row=index, animate=False, scroll=True)
            self._remember(self._shown[index].source_id)
        self._update_status(query)

    def _update_status(self, query: str) -> None:
        empty = self.query_one("#library-empty", Static)
        collection = self.collection
        name = f"“{inert_line(collection.name)}”" if collection else ""
        if not self._rows:
            empty.update(Text("No transcripts yet. Press a to add a YouTube URL or a file."))
        elif collection is not None and not collection.source_ids:
            empty.update(
                Text(
                    f"{name} has no transcripts yet. Esc shows them all; there, + adds the "
                    "selected one to a collection."
                )
            )
        elif not self._shown:
            empty.update(Text(f"No titles match “{inert_line(query)}”. Esc clears the filter."))
        self.set_class(not self._shown, "-empty")
        column = COLUMN_BY_KEY[self._sort_key]
        direction = "descending" if self._descending else "ascending"
        total = len(self._rows)
        filtered = bool(query.strip()) or collection is not None
        count = f"{len(self._shown)} of {total}" if filtered else f"{total}"
        noun = "transcript" if total == 1 else "transcripts"
        status = f"{count} {noun} · sorted by {column.label.lower()}, {direction}"
        if collection is not None:
            status = f"{count} {noun} in {name} · sorted by {column.label.lower()}, {direction}"
        self.query_one("#library-status", Static).update(Text(status))

    def _remember(self, source_id: int) -> None:
        if source_id == self._selected_id and self._mounted:
            return
        self._selected_id = source_id
        if ponder(self).library.get_state(SELECTED_KEY) != str(source_id):
            ponder(self).library.set_state(SELECTED_KEY, str(source_id))

    # -- events ----------------------------------------------------------------

    @on(DataTable.RowHighlighted, "#library-table")
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value is not None:
            self._remember(int(event.row_key.value))

    @on(DataTable.RowSelected, "#library-table")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value is not None:
            self._remember(int(event.row_key.value))
        self.action_open()

    @on(DataTable.HeaderSelected, "#library-table")
    def _header_selected(self, event: DataTable.HeaderSelected) -> None:
        key = event.column_key.value or ""
        if key == self._sort_key:
            self._descending = not self._descending
        elif key in COLUMN_BY_KEY:
            self._sort_key, self._descending = key, COLUMN_BY_KEY[key].descending
        self._sort_changed()

    @on(Input.Changed, "#library-filter")
    def _filter_changed(self) -> None:
        self._render_table()

    @on(Input.Submitted, "#library-filter")
    def _filter_submitted(self) -> None:
        if self._shown:
            self.set_focus(self.table)

    def on_key(self, event: Any) -> None:
        """Down from the filter goes to the table."""
        if event.key == "down" and self.focused is self.filter_input and self._shown:
            event.stop()
            self.set_focus(self.table)

    # -- actions ---------------------------------------------------------------

    def action_open(self) -> None:
        source = self.selected_source
        if source is None:
            self.notify("Nothing to open: add a transcript with a.", markup=False)
            return
        from tui.screens.study import StudyScreen  # lazy: keeps start-up fast

        self.app.push_screen(StudyScreen(int(source.id or 0)))

    def action_add(self) -> None:
        from tui.screens.add_source import AddSourceScreen

        self.app.push_screen(AddSourceScreen(), self._added)

    def _added(self, result: Any) -> None:
        """Select what the add dialog stored (or found already stored) and say so."""
        if result is None:
            return
        self.filter_input.value = ""
        self.reload(select=result.source_id)
        self.set_focus(self.table)
        title = inert_line(result.title)
        if result.existed:
            self.notify(f"Already in the library: {title}", markup=False)
        else:
            self.notify(f"Added: {title}", markup=False)

    def action_delete(self) -> None:
        source = self.selected_source
        if source is None:
            self.notify("Nothing to delete.", markup=False)
            return
        from tui.screens.confirm import ConfirmScreen

        source_id = int(source.id or 0)
        title = inert_line(source.title)
        message = (
            f"Delete “{title}”?\n\n"
            "Its highlights and chats go with it. Its cards stay, marked “source gone”. "
            "This cannot be undone."
        )

        def done(confirmed: bool | None) -> None:
            if confirmed:
                self._delete(source_id, title)

        self.app.push_screen(
            ConfirmScreen(message, confirm_label="Delete", cancel_label="Keep", title="Delete"),
            done,
        )

    def action_rename(self) -> None:
        source = self.selected_source
        if source is None:
            self.notify("Nothing to rename.", markup=False)
            return
        from core.library import clean_title
        from tui.screens.prompt import PromptScreen

        source_id = int(source.id or 0)

        def problem(text: str) -> str | None:
            try:
                clean_title(text)
            except ValueError as error:
                return str(error)
            return None

        def done(title: str | None) -> None:
            if title is None:
                return
            if not ponder(self).library.rename(source_id, title):
                self.notify("That transcript is gone.", severity="warning", markup=False)
                self.reload()
                return
            self.reload(select=source_id)
            self.notify(f"Renamed: {inert_line(clean_title(title))}", markup=False)

        self.app.push_screen(
            PromptScreen(
                "Rename the transcript",
                value=inert_line(source.title),
                hint="Enter renames · Esc cancels",
                validate=problem,
            ),
            done,
        )

    def _delete(self, source_id: int, title: str) -> None:
        index = next((i for i, r in enumerate(self._shown) if r.source_id == source_id), 0)
        ponder(self).library.remove(source_id)
        remaining = [row for row in self._shown if row.source_id != source_id]
        neighbour = remaining[min(index, len(remaining) - 1)].source_id if remaining else None
        self._selected_id = None
        self.reload(select=neighbour)
        self.notify(f"Deleted: {title}", markup=False)

    def action_cycle_sort(self) -> None:
        keys = [column.key for column in COLUMNS]
        next_key = keys[(keys.index(self._sort_key) + 1) % len(keys)]
        self._sort_key, self._descending = next_key, COLUMN_BY_KEY[next_key].descending
        self._sort_changed()

    def action_reverse_sort(self) -> None:
        self._descending = not self._descending
        self._sort_changed()

    def _sort_changed(self) -> None:
        direction = "desc" if self._descending else "asc"
        ponder(self).library.set_state(SORT_KEY, f"{self._sort_key}:{direction}")
        self._render_table()

    def action_focus_filter(self) -> None:
        if self.focused is self.filter_input:  # "/" typed inside the filter is just text
            self.filter_input.insert_text_at_cursor("/")
            return
        self.set_focus(self.filter_input)

    def action_clear_filter(self) -> None:
        """Esc: clear the typed filter; with none, stop showing only one collection."""
        if self.filter_input.value:
            self.filter_input.value = ""
        elif self.collection is not None and self.focused is not self.filter_input:
            self.show_collection(None)
        self.set_focus(self.table)

    # -- collections -------------------------------------------------------------

    def show_collection(self, collection: Collection | None) -> None:
        """Filter the table by a collection (None: every transcript); remembered."""
        self.collection = collection
        ponder(self).library.set_state(COLLECTION_KEY, str(collection.id) if collection else "")
        self._render_table()

    def _choices(self) -> list[tuple[Any, str]]:
        return [
            (found.id, f"{found.name}  ({len(found.source_ids)})")
            for found in collections.collections(ponder(self).library)
        ]

    def action_show_collection(self) -> None:
        """`c`: show only the transcripts of one collection (or all of them again)."""
        from tui.screens.choice import ChoiceScreen

        choices = [(ALL_TRANSCRIPTS, "All transcripts"), *self._choices()]
        if len(choices) == 1:
            self.notify("No collections yet: C makes one, + adds a transcript.", markup=False)
            return

        def chosen(value: Any) -> None:
            if value is None:
                return
            if value == ALL_TRANSCRIPTS:
                self.show_collection(None)
                return
            self.show_collection(collections.get(ponder(self).library, int(value)))
            self.set_focus(self.table)

        current = self.collection.id if self.collection else ALL_TRANSCRIPTS
        self.app.push_screen(
            ChoiceScreen("Show which collection?", choices, current=current), chosen
        )

    def _ask_name(self, then: Callable[[Collection], None]) -> None:
        """Prompt for a new collection's name and create it; `then` gets the new one."""
        from tui.screens.prompt import PromptScreen

        library = ponder(self).library

        def problem(text: str) -> str | None:
            try:
                name = collections.clean_name(text)
            except collections.CollectionError as error:
                return str(error)
            if collections.find(library, name) is not None:
                return f"There is already a collection called “{inert_line(name)}”."
            return None

        def done(name: str | None) -> None:
            if name is None:
                return
            try:
                made = collections.create(library, name)
            except collections.CollectionError as error:  # taken meanwhile (another Ponder)
                self.notify(inert_line(str(error)), severity="error", markup=False)
                return
            then(made)

        self.app.push_screen(
            PromptScreen(
                "New collection (a course, a podcast, a person)",
                placeholder="Name",
                hint="Enter creates · Esc cancels",
                validate=problem,
            ),
            done,
        )

    def action_new_collection(self) -> None:
        """`C`: make a collection; the selected transcript goes in it."""

        def made(collection: Collection) -> None:
            source = self.selected_source
            if source is not None:
                self._add_to(collection, source)
            else:
                self.notify(f"Made “{inert_line(collection.name)}”.", markup=False)

        self._ask_name(made)

    def action_add_to_collection(self) -> None:
        """`+`: put the selected transcript in a collection (or a new one)."""
        from tui.screens.choice import ChoiceScreen

        source = self.selected_source
        if source is None:
            self.notify("Select a transcript to add to a collection.", markup=False)
            return
        choices = [*self._choices(), (NEW_COLLECTION, "New collection…")]

        def chosen(value: Any) -> None:
            if value is None:
                return
            if value == NEW_COLLECTION:
                self._ask_name(lambda made: self._add_to(made, source))
                return
            found = collections.get(ponder(self).library, int(value))
            if found is None:
                self.notify("That collection is gone.", severity="warning", markup=False)
                return
            self._add_to(found, source)

        title = f"Add “{inert_line(source.title)}” to…"
        self.app.push_screen(ChoiceScreen(title, choices), chosen)

    def _add_to(self, collection: Collection, source: Source) -> None:
        try:
            added = collections.add_source(ponder(self).library, collection.id, int(source.id or 0))
        except collections.CollectionError as error:
            self.notify(inert_line(str(error)), severity="warning", markup=False)
            return
        name = inert_line(collection.name)
        title = inert_line(source.title)
        if added:
            self.notify(f"Added “{title}” to “{name}”.", markup=False)
        else:
            self.notify(f"“{title}” is already in “{name}”.", markup=False)
        self.reload(select=int(source.id or 0))

    def action_collection_chat(self) -> None:
        """`A`: ask Claude about every transcript of the collection shown (or one picked)."""
        from tui.screens.choice import ChoiceScreen
        from tui.screens.collection_chat import CollectionChatScreen

        if self.collection is not None:
            self.app.push_screen(CollectionChatScreen(self.collection.id))
            return
        choices = self._choices()
        if not choices:
            self.notify("No collections yet: C makes one, + adds a transcript.", markup=False)
            return

        def chosen(value: Any) -> None:
            if value is not None:
                self.app.push_screen(CollectionChatScreen(int(value)))

        self.app.push_screen(ChoiceScreen("Chat with which collection?", choices), chosen)

    def action_remove_from_collection(self) -> None:
        """`-`: take the selected transcript out of the collection shown (it stays here)."""
        collection = self.collection
        source = self.selected_source
        if collection is None:
            self.notify(
                "Show a collection first (c): - takes a transcript out of it.", markup=False
            )
            return
        if source is None:
            self.notify("Nothing to remove.", markup=False)
            return
        source_id = int(source.id or 0)
        index = next((i for i, r in enumerate(self._shown) if r.source_id == source_id), 0)
        collections.remove_source(ponder(self).library, collection.id, source_id)
        remaining = [row for row in self._shown if row.source_id != source_id]
        neighbour = remaining[min(index, len(remaining) - 1)].source_id if remaining else None
        self.reload(select=neighbour)
        self.notify(
            f"Took “{inert_line(source.title)}” out of “{inert_line(collection.name)}” "
            "(it stays in the library).",
            markup=False,
        )
