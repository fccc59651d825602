"""The Ponder Textual app: owns the library connection and the config."""

from __future__ import annotations

from textual.app import App

from core import config as config_store
from core.config import Config
from core.demo import ensure_demo
from core.library import Library


class PonderApp(App[None]):
    """Screens reach shared state through `self.app.library` and `self.app.config`."""

    TITLE = "Ponder"
    CSS_PATH = "ponder.tcss"

    def __init__(self, library: Library | None = None, config: Config | None = None) -> None:
        super().__init__()
        self.library = library if library is not None else Library()
        self.config = config if config is not None else config_store.load()
        ensure_demo(self.library)

    def save_config(self) -> None:
        """Persist `self.config` (mode 0600)."""
        config_store.save(self.config)


def run() -> int:
    PonderApp().run()
    return 0
