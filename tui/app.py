"""The Ponder Textual app: owns the library connection and the config.

Start-up is kept lean (the first painted library screen should cost little more than a
bare Textual app): screens other than the library are imported when first opened, and
anthropic is never imported here. The time to the first paint is logged to
`$PONDER_HOME/ponder.log` ("started in N ms").
"""

from __future__ import annotations

import time

_STARTED = time.perf_counter()

from collections.abc import Iterable  # noqa: E402
from functools import partial  # noqa: E402

from textual.app import App, SystemCommand  # noqa: E402
from textual.binding import Binding  # noqa: E402
from textual.dom import DOMNode  # noqa: E402
from textual.screen import Screen  # noqa: E402
from textual.worker import Worker  # noqa: E402

from core import config as config_store  # noqa: E402
from core.config import Config  # noqa: E402
from core.demo import ensure_demo  # noqa: E402
from core.library import Library  # noqa: E402

LOG_NAME = "ponder.log"
LOG_MAX_BYTES = 64_000
# Actions the palette already offers as system commands, or that make no sense from it.
_PALETTE_SKIP = {"command_palette", "quit", "help_quit", "change_theme"}


class PonderApp(App[None]):
    """Screens reach shared state through `ponder(self).library` and `.config` (tui/context.py)."""

    TITLE = "Ponder"
    CSS_PATH = "ponder.tcss"

    BINDINGS = [
        Binding("q", "quit", "Quit", id="app.quit"),
        Binding("question_mark", "help", "Help", id="app.help"),
        Binding("r", "review", "Review", id="app.review"),
        Binding("S", "stats", "Stats", id="app.stats"),
        Binding("B", "browse", "Cards", id="app.browse"),
        Binding("F", "search_all", "Search all transcripts", show=False, id="app.search_all"),
        Binding("comma", "settings", "Settings", show=False, id="app.settings"),
        Binding("Y", "anki_sync", "Sync with Anki", show=False, id="app.anki_sync"),
    ]

    def __init__(self, library: Library | None = None, config: Config | None = None) -> None:
        super().__init__()
        self.library = library if library is not None else Library()
        # Problems with the config file (not TOML, invalid values), shown once at start.
        self.config_warnings: list[str] = []
        if config is None:
            config, self.config_warnings = config_store.load_with_warnings()
        self.config = config
        ensure_demo(self.library)
        # Applied without saving: an unknown name in the file falls back to the default
        # and the user's file is left as it is. `_applying_config_theme` suppresses saving.
        self._applying_config_theme = False
        if not self.apply_theme(self.config.theme, persist=False):
            self.apply_theme("textual-dark", persist=False)
        self.startup_ms: float | None = None
        # The one-line reason the app stopped on a storage failure (disk full, read-only).
        self.storage_failure: str | None = None
        if self.config.keymap:
            self.set_keymap(self.config.keymap)
        self._quitting_after_sync = False

    # -- screens -------------------------------------------------------------------

    def get_default_screen(self) -> Screen:
        from tui.screens.library import LibraryScreen

        return LibraryScreen()

    def on_mount(self) -> None:
        if not self.is_headless:  # a real terminal (run_test leaves the test's handlers alone)
            self._exit_on_signals()
        self.call_after_refresh(self._log_startup)
        for warning in self.config_warnings:
            self.notify(warning, title="Settings", severity="warning", timeout=20, markup=False)
        if self.config.anki_sync_on_start and self.config.anki_key:
            self.call_after_refresh(self.action_anki_sync)

    def _exit_on_signals(self) -> None:
        """SIGTERM and SIGHUP (a `kill`, a closed terminal tab) end the app as `q` does.

        Python's default is to die on the spot, leaving the terminal on the alternate
        screen with mouse reporting on and the cursor hidden. Everything a learner did is
        already committed, so a normal exit loses nothing and restores the terminal.
        """
        import asyncio
        import contextlib
        import signal

        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGHUP):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(signum, self._exit_on_signal, signum)

    def _exit_on_signal(self, signum: int) -> None:
        self.exit(return_code=128 + signum)

    def _handle_exception(self, error: Exception) -> None:
        """A full disk, a read-only or damaged database end the app with one line saying
        so (exit status 1) instead of a traceback; anything else is Textual's to report."""
        from rich.text import Text

        from core.db import storage_message
        from core.paths import StorageError

        try:
            message = str(error) if isinstance(error, StorageError) else storage_message(error)
        except Exception:  # never let the report itself crash the exit
            message = None
        if message is None:
            super()._handle_exception(error)
            return
        self.storage_failure = message
        self.exit(return_code=1, message=Text(f"ponder: {message}"))

    def _log_startup(self) -> None:
        """Posting-style: record how long the first paint took (plus a line in textual's log)."""
        self.startup_ms = (time.perf_counter() - _STARTED) * 1000
        message = f"started in {self.startup_ms:.0f} ms"
        self.log.info(message)
        try:
            from core.paths import home

            path = home() / LOG_NAME
            if path.exists() and path.stat().st_size > LOG_MAX_BYTES:  # keep the newest half
                lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
                path.write_text("\n".join(lines[len(lines) // 2 :]) + "\n", encoding="utf-8")
            with open(path, "a", encoding="utf-8") as handle:
                handle.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {message}\n")
        except OSError:
            pass

    # -- config --------------------------------------------------------------------

    def save_config(self) -> None:
        """Persist `self.config` (mode 0600)."""
        config_store.save(self.config)

    def apply_theme(self, name: str, *, persist: bool = True) -> bool:
        """Switch to a registered theme; `persist=False` previews it without saving.

        Returns False (and changes nothing) for an unknown theme name.
        """
        if name not in self.available_themes:
            return False
        previous = self._applying_config_theme
        self._applying_config_theme = not persist
        try:
            self.theme = name
        finally:
            self._applying_config_theme = previous
        return True

    def watch_theme(self, theme: str) -> None:
        """A theme picked in the palette becomes the saved choice."""
        if self._applying_config_theme or theme == self.config.theme:
            return
        self.config.theme = theme
        try:
            self.save_config()
        except OSError as error:
            self.notify(f"Could not save the theme: {error}", severity="warning", markup=False)

    # -- actions ---------------------------------------------------------------------

    def action_help(self) -> None:
        """The current screen's keys in Ponder's help modal (? again closes it)."""
        try:
            from tui.screens.help import HelpScreen, show_help
        except ImportError:  # pragma: no cover - the help screen ships with Ponder
            self.action_show_help_panel()
            return
        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss(None)
            return
        show_help(app=self)

    def action_review(self) -> None:
        """Today's cards (the deck picker first when several decks have some)."""
        from tui.screens.review import open_review

        open_review(self)

    def action_stats(self) -> None:
        from tui.screens.stats import StatsScreen

        if not isinstance(self.screen, StatsScreen):
            self.push_screen(StatsScreen())

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Hide app keys that would only reopen the screen already showing (saves footer room)."""
        screen_for_action = {
            "review": "ReviewScreen",
            "stats": "StatsScreen",
            "browse": "BrowseScreen",
            "search_all": "SearchAllScreen",
        }
        return type(self.screen).__name__ != screen_for_action.get(action)

    def action_settings(self) -> None:
        """The settings screen, from anywhere (the chat's no-key hint points here)."""
        from tui.screens.settings import SettingsScreen

        if not isinstance(self.screen, SettingsScreen):
            self.push_screen(SettingsScreen())

    def action_anki_sync(self) -> None:
        """Pull, merge and push with Anki (progress in a modal, Esc cancels)."""
        from tui.screens.anki_sync import start_anki_sync

        start_anki_sync(self)

    async def action_quit(self) -> None:
        """Quit; with "sync on quit" set (and logged in) a sync runs first, Esc skips it."""
        from tui.screens.anki_sync import AnkiSyncScreen, start_anki_sync

        if self._quitting_after_sync:  # q again while that sync runs: stop it, then quit
            for screen in self.screen_stack:
                if isinstance(screen, AnkiSyncScreen):
                    screen.action_cancel()
            return
        if self.config.anki_sync_on_quit and self.config.anki_key:
            self._quitting_after_sync = True
            start_anki_sync(self, then=lambda _outcome: self.exit())
            return
        self.exit()

    def action_browse(self) -> None:
        """Search, inspect and fix cards."""
        from tui.screens.browse import open_browse

        open_browse(self)

    def action_search_all(self) -> None:
        """Search every transcript (the library-wide index), from any screen."""
        from tui.screens.search_all import open_search_all

        open_search_all(self)

    # -- command palette -------------------------------------------------------------

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Textual's commands, every action bound on the current screen, and what has no
        key but belongs everywhere (exporting cards)."""
        from tui.screens.export_cards import EXPORTS, open_card_export

        yield from super().get_system_commands(screen)
        if not any(getattr(p, "__name__", "") == "BindingCommands" for p in screen.COMMANDS):
            yield from screen_commands(self, screen)
        for export in EXPORTS:
            yield SystemCommand(
                export.title, export.help, partial(open_card_export, self, export.kind)
            )

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        from tui.export_flow import report_written

        report_written(self, event)


def screen_commands(app: App, screen: Screen) -> Iterable[SystemCommand]:
    """One palette command per described binding on `screen`, its focus chain and the app.

    Every node in the chain counts, not only the binding that wins a key, so an action
    whose key a focused widget shadows is still listed. Bindings that Textual's widgets
    bring (even subclassed) are listed only when shown in the footer, so cursor movements
    do not flood the list.
    """
    from tui.screens.help import is_ponders

    grouped: dict[tuple[int, str], tuple[DOMNode, Binding, list[str]]] = {}
    for node, bindings in screen._modal_binding_chain:
        for _key, binding in bindings:
            if not binding.description or binding.action in _PALETTE_SKIP:
                continue
            if not is_ponders(node, binding):
                continue
            if app._check_action_state(binding.action, node) is False:
                continue
            entry = grouped.setdefault((id(node), binding.action), (node, binding, []))
            display = app.get_key_display(binding)
            if display not in entry[2]:
                entry[2].append(display)
    for node, binding, keys in grouped.values():
        help_text = "Key: " + ", ".join(keys)
        if binding.tooltip:
            help_text += f" · {binding.tooltip}"
        yield SystemCommand(
            binding.description,
            help_text,
            partial(app.run_action, binding.action, node),
        )


def run(library: Library | None = None) -> int:
    """Run the app; the exit status is non-zero when it ended on an error."""
    app = PonderApp(library=library)
    app.run()
    return app.return_code or 0
