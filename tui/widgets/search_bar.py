"""The one-line search bar under the transcript: `/ [query.......] 3/17`.

The bar never takes the focus. While it is open the screen feeds it the keys that reach
the focused transcript (`edit`), so every key is handled in the order it was typed:
a word typed straight after `/`, or `n` straight after Enter, can never land in the
wrong place (focus changes in Textual are asynchronous; key order within one widget's
queue is not). The screen runs the search itself after each edit.
"""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Input, Static


class SearchBar(Horizontal):
    """Hidden until `open()`; `edit(key_event)` applies one key; `value` is the query."""

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
    SearchBar > #search-count { width: 12; padding: 0 1; color: $text-muted; }
    """

    def compose(self) -> ComposeResult:
        yield Static(Content("/"), classes="search-bar--slash")
        search_input = Input(placeholder="search (Enter keeps, Esc clears)", id="search-input")
        search_input.can_focus = False
        yield search_input
        yield Static(Content(""), id="search-count")

    @property
    def input(self) -> Input:
        return self.query_one("#search-input", Input)

    @property
    def value(self) -> str:
        return self.input.value

    @property
    def is_open(self) -> bool:
        return self.has_class("-open")

    def open(self, query: str = "") -> None:
        self.add_class("-open")
        self.input.value = query
        self.input.cursor_position = len(query)

    def close(self) -> None:
        self.remove_class("-open")

    def insert(self, text: str) -> None:
        self.input.insert_text_at_cursor(text)

    def edit(self, event: events.Key) -> bool:
        """Apply an editing key (characters, backspace, delete, arrows, home/end);
        False when the key is not an editing key."""
        field = self.input
        key = event.key
        if key == "backspace":
            field.action_delete_left()
        elif key == "delete":
            field.action_delete_right()
        elif key in ("ctrl+u",):
            field.value = ""
        elif key == "left":
            field.action_cursor_left()
        elif key == "right":
            field.action_cursor_right()
        elif key in ("home", "ctrl+a"):
            field.action_home()
        elif key in ("end", "ctrl+e"):
            field.action_end()
        elif event.is_printable and event.character:
            field.insert_text_at_cursor(event.character)
        else:
            return False
        return True

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
        event.stop()  # the screen searches after each edit itself, in key order
