"""The one-line search bar under the transcript: `/` opens it, typing searches as you go.

It only reports what the user typed (Changed / Submitted / Cancelled); the screen owns
the search itself, so the bar can be reused under any searchable view.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.content import Content
from textual.message import Message
from textual.widgets import Input, Static


class SearchBar(Horizontal):
    """`/ [query........] 3/17` docked at the bottom of a pane; hidden until opened."""

    HELP_GROUP = "Search"

    BINDINGS: list[BindingType] = [
        Binding("escape", "cancel", "Clear search", id="search.cancel"),
    ]

    DEFAULT_CSS = """
    SearchBar {
        height: 1;
        display: none;
        background: $panel;
    }
    SearchBar.-open { display: block; }
    SearchBar > .search-bar--slash { width: 2; padding: 0 0 0 1; color: $accent; }
    SearchBar > Input {
        width: 1fr;
        height: 1;
        border: none;
        padding: 0;
        background: $panel;
    }
    SearchBar > Input:focus { border: none; background: $panel; }
    SearchBar > #search-count { width: 12; padding: 0 1; color: $text-muted; }
    """

    class Changed(Message):
        """The query changed (every keystroke)."""

        def __init__(self, query: str) -> None:
            super().__init__()
            self.query = query

    class Submitted(Message):
        """Enter: close the bar and keep the matches."""

        def __init__(self, query: str) -> None:
            super().__init__()
            self.query = query

    class Cancelled(Message):
        """Escape: close the bar and clear the matches."""

    def compose(self) -> ComposeResult:
        yield Static(Content("/"), classes="search-bar--slash")
        yield Input(
            placeholder="search (Enter keeps, Esc clears)", id="search-input", select_on_focus=False
        )
        yield Static(Content(""), id="search-count")

    @property
    def input(self) -> Input:
        return self.query_one("#search-input", Input)

    @property
    def is_open(self) -> bool:
        return self.has_class("-open")

    def open(self, query: str = "") -> None:
        """Show the bar and focus its input."""
        self.add_class("-open")
        self.input.value = query
        self.input.cursor_position = len(query)
        self.input.focus()

    def close(self) -> None:
        self.remove_class("-open")

    def set_counter(self, current: int, total: int) -> None:
        """`3/17`, `-/17` (cursor not on a match) or `no match`."""
        if not self.input.value:
            text = ""
        elif total == 0:
            text = "no match"
        else:
            text = f"{current or '-'}/{total}"
        self.query_one("#search-count", Static).update(Content(text), layout=False)

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.post_message(self.Changed(event.value))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.post_message(self.Submitted(event.value))

    def action_cancel(self) -> None:
        self.post_message(self.Cancelled())
