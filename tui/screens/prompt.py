"""A small reusable modal: a title, one line of input, Enter submits, Esc cancels.

Used for the time jump, highlight notes and anything else that needs one answer.
The dismiss value is the entered text (`str`) or None when cancelled. Titles and hints
are shown as plain text, never parsed as markup.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from core.textsafe import inert_line

Validator = Callable[[str], "str | None"]
"""Returns an error message for bad input, or None when the value is acceptable."""


class PromptScreen(ModalScreen["str | None"]):
    """Ask one question. `validate` may keep the dialog open with an error line."""

    HELP_GROUP = "Prompt"

    BINDINGS: list[BindingType] = [
        Binding("escape", "cancel", "Cancel", id="prompt.cancel"),
    ]

    DEFAULT_CSS = """
    PromptScreen { align: center middle; }
    PromptScreen > #prompt-dialog {
        width: 64;
        max-width: 95%;
        height: auto;
        padding: 1 2;
        background: $panel;
        border: round $primary;
    }
    PromptScreen #prompt-title { text-style: bold; margin-bottom: 1; }
    PromptScreen #prompt-hint { color: $text-muted; margin-top: 1; }
    PromptScreen #prompt-error { color: $error; display: none; margin-top: 1; }
    PromptScreen #prompt-error.-shown { display: block; }
    """

    def __init__(
        self,
        title: str,
        *,
        value: str = "",
        placeholder: str = "",
        hint: str = "Enter to confirm · Esc to cancel",
        validate: Validator | None = None,
        max_length: int = 0,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.prompt_title = title
        self.initial_value = value
        self.placeholder = placeholder
        self.hint = hint
        self.validate = validate
        self.max_length = max_length

    def compose(self) -> ComposeResult:
        with Vertical(id="prompt-dialog"):
            yield Static(Content(inert_line(self.prompt_title)), id="prompt-title")
            yield Input(
                value=self.initial_value,
                placeholder=self.placeholder,
                max_length=self.max_length,
                id="prompt-input",
            )
            yield Static(Content(inert_line(self.hint)), id="prompt-hint")
            yield Static(Content(""), id="prompt-error")

    def on_mount(self) -> None:
        self.query_one("#prompt-input", Input).focus()

    @property
    def input(self) -> Input:
        return self.query_one("#prompt-input", Input)

    def show_error(self, message: str) -> None:
        error = self.query_one("#prompt-error", Static)
        error.update(Content(inert_line(message)))
        error.add_class("-shown")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        value = event.value
        if self.validate is not None:
            problem = self.validate(value)
            if problem:
                self.show_error(problem)
                return
        self.dismiss(value)

    def action_cancel(self) -> None:
        self.dismiss(None)
