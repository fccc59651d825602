"""The question box of the chat: Enter sends, shift+enter or ctrl+j inserts a new line."""

from __future__ import annotations

from typing import Any, ClassVar

from textual import events
from textual.actions import SkipAction
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.message import Message
from textual.widgets import TextArea


class ChatInput(TextArea):
    """The question box: Enter sends, shift+enter or ctrl+j inserts a new line."""

    HELP_GROUP = "Question box"

    BINDINGS: ClassVar[list[BindingType]] = [
        # The study screen's pane switch (TextArea would delete a word on ctrl+w).
        Binding("ctrl+w", "leave", "Pane", show=False),
    ]

    DEFAULT_CSS = """
    ChatInput { height: auto; min-height: 3; max-height: 10; border: tall $border-blurred; }
    ChatInput:focus { border: tall $border; }
    """

    class Submitted(Message):
        def __init__(self, chat_input: ChatInput, text: str) -> None:
            super().__init__()
            self.chat_input = chat_input
            self.text = text

        @property
        def control(self) -> ChatInput:
            return self.chat_input

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(soft_wrap=True, show_line_numbers=False, tab_behavior="focus", **kwargs)
        self.placeholder = Content("Ask about the transcript…")

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            self.post_message(self.Submitted(self, self.text))
            return
        if event.key in ("shift+enter", "ctrl+j"):
            event.stop()
            event.prevent_default()
            start, end = self.selection
            self._replace_via_keyboard("\n", start, end)
            return
        await super()._on_key(event)

    def action_leave(self) -> None:
        screen_switch = getattr(self.screen, "action_switch_pane", None)
        if screen_switch is None:
            raise SkipAction()
        screen_switch()


__all__ = ["ChatInput"]
