"""Search all transcripts: results from the library-wide index as you type (F, anywhere).

Each keystroke starts a search in a thread worker (exclusive, so a newer query cancels
the older one and a stale answer is dropped). Up/Down move through the results while the
typing stays in the box; Enter opens the study screen at that segment with the query's
matches marked (n / N step through them there; q comes back here). Titles and snippets
are transcript text: shown as `Content`, never as markup, control characters visible.

`PickPassageScreen` is the same search over one collection that, instead of opening a
result, dismisses with it: the collection chat's "include a passage" (ctrl+f there).
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Header, Input, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from core.collections import Collection
from core.models import format_timestamp
from core.search import RANK_CAP, SearchError, SearchHit, search
from core.textsafe import inert_line
from tui.context import ponder
from tui.screens.help import BindingCommands
from tui.widgets.footer import CoalescingFooter

RESULT_LIMIT = 50
TYPING_PAUSE_S = 0.1
# Private-use characters mark the matches in a snippet: they cannot come from a transcript
# through `inert_line` confusion, and are split out before anything is shown.
MARK = ("\ue000", "\ue001")


def snippet_content(snippet: str) -> Content:
    """A snippet with its MARK-delimited matches in bold accent, the rest plain text."""
    parts: list[tuple[str, str] | str] = []
    rest = snippet
    while MARK[0] in rest:
        before, _, after = rest.partition(MARK[0])
        found, _, rest = after.partition(MARK[1])
        parts.append(inert_line(before))
        parts.append((inert_line(found), "bold $accent"))
    parts.append(inert_line(rest))
    return Content.assemble(*parts)


def hit_content(hit: SearchHit) -> Content:
    """Two lines: `Title · 00:12:34 · ¶12`, then the snippet."""
    where = f"¶{hit.segment}"
    if hit.start is not None:
        where = f"{format_timestamp(hit.start)} · {where}"
    return Content.assemble(
        (inert_line(hit.title), "bold"),
        (f"  {where}\n", "dim"),
        "  ",
        snippet_content(hit.snippet),
    )


@dataclass(frozen=True, slots=True)
class SearchOutcome:
    query: str
    hits: list[SearchHit]
    error: str | None = None
    capped: bool = False  # too many matches to rank them all (core.search.RANK_CAP)


class SearchAllScreen(Screen["SearchHit | None"]):
    """A search box over every transcript, its results below."""

    PLACEHOLDER = 'Search every transcript: words, "a phrase", prefix*'
    EMPTY_STATUS = "Type to search every transcript."
    ENTER_DOES = "Enter opens"

    HELP_GROUP = "Search all transcripts"
    COMMANDS = {BindingCommands}
    AUTO_FOCUS = "#search-all-input"

    # Priority: the box has the focus and would take these keys for itself.
    BINDINGS: list[BindingType] = [
        Binding("down", "move(1)", "Next result", show=False, priority=True, id="search_all.down"),
        Binding("up", "move(-1)", "Previous result", show=False, priority=True, id="search_all.up"),
        Binding(
            "pagedown",
            "move(10)",
            "Page down",
            show=False,
            priority=True,
            id="search_all.page_down",
        ),
        Binding(
            "pageup", "move(-10)", "Page up", show=False, priority=True, id="search_all.page_up"
        ),
        Binding(
            "enter",
            "open",
            "Open at the match",
            key_display="⏎",
            priority=True,
            id="search_all.open",
        ),
        Binding("escape", "back", "Back", id="search_all.back"),
        Binding(
            "ctrl+t",
            "toggle_scope",
            "Everywhere / this collection",
            show=False,
            id="search_all.scope",
        ),
    ]

    DEFAULT_CSS = """
    SearchAllScreen #search-all-input { margin: 0 1; }
    SearchAllScreen #search-all-results { height: 1fr; border: none; padding: 0 1; }
    SearchAllScreen #search-all-results > .option-list--option { padding: 0 0 1 0; }
    SearchAllScreen #search-all-status {
        height: 1;
        padding: 0 1;
        background: $panel;
        color: $text-muted;
    }
    """

    class Searched(Message):
        """A search finished in the worker (results or a one-line error)."""

        def __init__(self, outcome: SearchOutcome) -> None:
            super().__init__()
            self.outcome = outcome

    def __init__(self, query: str = "", *, collection: Collection | None = None) -> None:
        """`collection`: search only its transcripts (ctrl+t switches to everywhere)."""
        super().__init__()
        self.initial_query = query
        self.collection = collection
        self.scoped = collection is not None
        self.hits: list[SearchHit] = []
        self._pending: Timer | None = None
        self.query_shown = ""
        """The query whose results are on screen (the box may be ahead of it)."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(
            value=self.initial_query,
            placeholder=self.PLACEHOLDER,
            id="search-all-input",
        )
        results = OptionList(id="search-all-results")
        results.can_focus = False  # the typing stays in the box; Up/Down move here
        yield results
        yield Static(Content(self.EMPTY_STATUS), id="search-all-status")
        yield CoalescingFooter(compact=True)

    def on_mount(self) -> None:
        self.title = "Search all transcripts"
        self._scope_title()
        if self.initial_query.strip():
            self.run_search(self.initial_query)

    @property
    def results(self) -> OptionList:
        return self.query_one("#search-all-results", OptionList)

    def _status(self, text: str) -> None:
        self.query_one("#search-all-status", Static).update(Content(text))

    # -- searching -------------------------------------------------------------------

    @on(Input.Changed, "#search-all-input")
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        if self._pending is not None:
            self._pending.stop()
            self._pending = None
        if not event.value.strip():
            self.workers.cancel_group(self, "search-all")
            self._show(SearchOutcome("", []))
            return
        # A short pause first: a thread cannot be stopped mid-query, so a burst of typing
        # starts one search, not one per key.
        value = event.value
        self._pending = self.set_timer(TYPING_PAUSE_S, lambda: self.run_search(value))

    def _scope_title(self) -> None:
        name = self.collection.name if self.collection and self.scoped else ""
        self.sub_title = f"in the collection “{inert_line(name)}”" if name else ""

    def action_toggle_scope(self) -> None:
        """ctrl+t: search everywhere, or only the collection the library was showing."""
        if self.collection is None:
            self.notify("Show a collection in the library (c) to search only it.", markup=False)
            return
        self.scoped = not self.scoped
        self._scope_title()
        value = self.query_one("#search-all-input", Input).value
        if value.strip():
            self.run_search(value)

    @work(thread=True, exclusive=True, group="search-all")
    def run_search(self, query: str) -> None:
        """Search in a thread; a newer query cancels this one (its answer is dropped)."""
        scope = self.collection.id if self.collection and self.scoped else None
        try:
            hits = search(
                ponder(self).library,
                query,
                limit=RESULT_LIMIT,
                mark=MARK,
                collection_id=scope,
            )
            outcome = SearchOutcome(query, hits, capped=hits.capped)
        except SearchError as error:
            outcome = SearchOutcome(query, [], str(error))
        if not get_current_worker().is_cancelled:
            self.post_message(self.Searched(outcome))

    @on(Searched)
    def _searched(self, event: Searched) -> None:
        if event.outcome.query != self.query_one("#search-all-input", Input).value:
            return  # typed on meanwhile: a newer search is on its way
        self._show(event.outcome)

    def _show(self, outcome: SearchOutcome) -> None:
        self.hits = outcome.hits
        self.query_shown = outcome.query
        results = self.results
        results.clear_options()
        results.add_options([Option(hit_content(hit)) for hit in outcome.hits])
        if outcome.hits:
            results.highlighted = 0
        if outcome.error:
            self._status(outcome.error)
        elif not outcome.query.strip():
            self._status(self.EMPTY_STATUS)
        elif not outcome.hits:
            self._status(f"No matches for {inert_line(outcome.query)}.")
        else:
            count = len(outcome.hits)
            more = "+" if count == RESULT_LIMIT else ""
            noun = "match" if count == 1 else "matches"
            best = "best first"
            if outcome.capped:
                best = f"best of the newest {RANK_CAP:,} (a word more narrows it)"
            self._status(f"{count}{more} {noun}, {best} · ↑↓ choose · {self.ENTER_DOES}")

    # -- actions ----------------------------------------------------------------------

    def action_move(self, step: int) -> None:
        results = self.results
        if not self.hits:
            return
        current = results.highlighted if results.highlighted is not None else 0
        results.highlighted = max(0, min(len(self.hits) - 1, current + step))

    @on(Input.Submitted, "#search-all-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_open()

    @on(OptionList.OptionSelected, "#search-all-results")
    def _clicked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_open()

    def action_open(self) -> None:
        """Open the highlighted result's transcript at that segment, its matches marked.
        Results older than what is typed are not opened: the search runs at once instead."""
        hit = self._chosen_hit()
        if hit is not None:
            self.open_hit(hit)

    def _chosen_hit(self) -> SearchHit | None:
        """The highlighted result, if it is current and its transcript still exists (else
        None, having searched again or said why)."""
        value = self.query_one("#search-all-input", Input).value
        if value.strip() and value != self.query_shown:
            if self._pending is not None:
                self._pending.stop()
                self._pending = None
            self.run_search(value)
            return None
        index = self.results.highlighted
        if not self.hits or index is None:
            self.notify("Nothing to open: type a search first.", markup=False)
            return None
        hit = self.hits[index]
        if ponder(self).library.source(hit.source_id) is None:
            self.notify("That transcript is no longer in the library.", markup=False)
            self.run_search(self.query_shown)
            return None
        return hit

    def open_hit(self, hit: SearchHit) -> None:
        from tui.screens.study import StudyScreen

        self.app.push_screen(
            StudyScreen(hit.source_id, at_segment=hit.segment - 1, marks=self.query_shown)
        )

    def action_back(self) -> None:
        self.app.pop_screen()


class PickPassageScreen(SearchAllScreen):
    """Search one collection for a passage to include with the next question; dismisses
    with the chosen result (None on Esc). Only the collection's transcripts are searched:
    a passage from elsewhere is not in the chat's documents."""

    HELP_GROUP = "Include a passage"
    PLACEHOLDER = 'Find the passage to include: words, "a phrase", prefix*'
    EMPTY_STATUS = "Type to search this collection for the passage to include."
    ENTER_DOES = "Enter includes it"

    BINDINGS: list[BindingType] = [
        Binding(
            "enter",
            "open",
            "Include this passage",
            key_display="⏎",
            priority=True,
            id="pick_passage.include",
        ),
        Binding("escape", "back", "Back", id="pick_passage.back"),
    ]

    def __init__(self, collection: Collection, query: str = "") -> None:
        super().__init__(query, collection=collection)

    def on_mount(self) -> None:
        super().on_mount()
        self.title = "Include a passage"

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return action != "toggle_scope"  # always this collection

    def open_hit(self, hit: SearchHit) -> None:
        self.dismiss(hit)

    def action_back(self) -> None:
        self.dismiss(None)


def open_search_all(app: object) -> None:
    """Show the search screen (from any screen); already showing: focus its box."""
    from textual.app import App

    assert isinstance(app, App)
    if isinstance(app.screen, SearchAllScreen):
        app.screen.query_one("#search-all-input", Input).focus()
        return
    collection = getattr(app.screen, "collection", None)  # the library showing one
    app.push_screen(
        SearchAllScreen(collection=collection if isinstance(collection, Collection) else None)
    )
