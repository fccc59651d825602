"""A small reusable modal: pick one of a few labelled choices (Enter picks, Esc cancels).

`ChoiceScreen(title, [(value, label), ...], current=value)` dismisses with the value of
the chosen line, or None when cancelled. Labels are user text (collection names, titles):
shown as plain `Content`, control characters made visible, never parsed as markup.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from core.textsafe import inert_line


class ChoiceScreen(ModalScreen["Hashable | None"]):
    """One list of choices; j/k move, Enter picks, Esc or q cancels."""

    HELP_GROUP = "Choose"

    BINDINGS: list[BindingType] = [
        Binding("escape,q", "cancel", "Cancel", id="choice.cancel"),
        Binding("j", "cursor_down", "Down", show=False, id="choice.down"),
        Binding("k", "cursor_up", "Up", show=False, id="choice.up"),
    ]

    DEFAULT_CSS = """
    ChoiceScreen #choice-dialog { width: 56; }
    ChoiceScreen #choice-list { height: auto; max-height: 16; border: none; }
    ChoiceScreen #choice-hint { color: $text-muted; margin-top: 1; }
    """

    def __init__(
        self,
        title: str,
        choices: Sequence[tuple[Hashable, str]],
        *,
        current: Hashable | None = None,
        hint: str = "Enter picks · Esc cancels",
    ) -> None:
        super().__init__()
        self.choice_title = title
        self.choices = list(choices)
        self.current = current
        self.hint = hint

    def compose(self) -> ComposeResult:
        with Vertical(id="choice-dialog", classes="dialog") as dialog:
            dialog.border_title = Content(inert_line(self.choice_title))  # never markup
            yield OptionList(
                *(Option(Content(inert_line(label))) for _value, label in self.choices),
                id="choice-list",
            )
            yield Static(Content(self.hint), id="choice-hint")

    def on_mount(self) -> None:
        option_list = self.query_one(OptionList)
        values = [value for value, _label in self.choices]
        if values:
            option_list.highlighted = values.index(self.current) if self.current in values else 0
        option_list.focus()

    @property
    def labels(self) -> list[str]:
        """The labels shown, in order (for tests)."""
        return [label for _value, label in self.choices]

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(self.choices[event.option_index][0])

    def action_cursor_down(self) -> None:
        self.query_one(OptionList).action_cursor_down()

    def action_cursor_up(self) -> None:
        self.query_one(OptionList).action_cursor_up()

    def action_cancel(self) -> None:
        self.dismiss(None)
