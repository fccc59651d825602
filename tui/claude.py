"""The one place the app builds a Claude client, and the one hook to tune it.

Every screen and widget that talks to Claude (chat pane, study guides, quiz, proposed
cards, free-recall grading) asks `chat_client(config)`; tests and benchmarks set
`CLIENT_OPTIONS` (`monkeypatch.setattr(tui.claude, "CLIENT_OPTIONS", {...})`) instead of
one class attribute per screen. The CLI builds its own from its flags (`tui/cli/chat.py`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from core.chat.client import ChatClient
    from core.config import Config

CLIENT_OPTIONS: dict[str, Any] = {}
"""Extra ChatClient options (timeout, max_retries) for every client the app builds."""


def chat_client(config: Config | None) -> ChatClient:
    """A ChatClient with the config's key and model, plus CLIENT_OPTIONS.

    Raises NoApiKey (a ChatError saying how to set a key) when there is none. Building
    one is cheap: anthropic itself is imported only when the first request goes out.
    """
    from core.chat.client import ChatClient

    return ChatClient.from_config(config, **CLIENT_OPTIONS)
