"""A yes/no question in a modal: `push_screen(ConfirmScreen("Delete …?"), callback)`.

The message is shown verbatim (it usually names a title the user imported), so it is
never parsed as markup and control characters are made visible.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from core.textsafe import inert


class ConfirmScreen(ModalScreen[bool]):
    """Dismisses with True (y, or the confirm button) or False (n, Esc, the cancel button).

    The cancel button has the focus at first, so a stray Enter never destroys anything.
    """

    AUTO_FOCUS = "#confirm-no"

    BINDINGS = [
        Binding("y", "confirm", "Yes", id="confirm.yes"),
        Binding("n", "cancel", "No", id="confirm.no"),
        Binding("escape", "cancel", "Cancel", id="confirm.cancel"),
        Binding("left,h", "app.focus_previous", "Previous button", show=False),
        Binding("right,l", "app.focus_next", "Next button", show=False),
    ]

    def __init__(
        self,
        message: str,
        *,
        confirm_label: str = "Yes",
        cancel_label: str = "No",
        title: str = "Confirm",
        destructive: bool = True,
    ) -> None:
        super().__init__()
        self.message = message
        self.confirm_label = confirm_label
        self.cancel_label = cancel_label
        self.title_text = title
        self.destructive = destructive

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-dialog", classes="dialog") as dialog:
            dialog.border_title = self.title_text
            yield Static(Text(inert(self.message)), id="confirm-message")
            with Horizontal(id="confirm-buttons", classes="dialog-buttons"):
                yield Button(
                    Text(f"{self.confirm_label} (y)"),
                    variant="error" if self.destructive else "success",
                    id="confirm-yes",
                )
                yield Button(Text(f"{self.cancel_label} (n)"), variant="primary", id="confirm-no")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "confirm-yes")

    def action_confirm(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)
