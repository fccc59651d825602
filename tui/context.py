"""Typed access to what the app shares with every screen and widget.

`tui/app.py` imports the screens, so a screen importing `PonderApp` (even under
`TYPE_CHECKING`) would close an import cycle. Screens and widgets see the app through
`PonderContext` instead, a protocol that `PonderApp` satisfies (tests/test_context.py
checks it, so the two cannot drift apart): `ponder(self).library` is typed, where the
app's own attribute, reached through Textual's `App`, needs a `type: ignore`.
"""

from __future__ import annotations

from typing import Protocol, cast, runtime_checkable

from textual.app import App
from textual.message_pump import MessagePump

from core.config import Config
from core.library import Library


@runtime_checkable
class PonderContext(Protocol):
    """The app's shared state: the library connection and the (passed-in) config."""

    library: Library
    config: Config

    def save_config(self) -> None:
        """Persist `config` (only the app, an entry point, writes the file)."""
        ...

    def apply_theme(self, name: str, *, persist: bool = True) -> bool:
        """Switch theme; `persist=False` previews it without saving (False: unknown name)."""
        ...


def ponder(node: MessagePump) -> PonderContext:
    """The running Ponder app of `node` (a screen, a widget or the app itself), typed."""
    app = node if isinstance(node, App) else node.app
    return cast(PonderContext, app)


__all__ = ["PonderContext", "ponder"]
