"""Anki sync in the app (Pilot) against the real `python -m anki.syncserver` on 127.0.0.1.

Logging in from Settings keeps the key and never the password; Y (or the palette) syncs
from any screen with the engine's progress; Esc cancels before anything is merged; not
logged in or offline is one clear message and Ponder keeps working.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input

import decks.anki_sync as anki_sync
from core import config as config_store
from core.library import Library
from core.models import Segment, Source, Transcript
from decks.anki_sync import AnkiAccount, login, status
from decks.models import SourceRef
from decks.repository import CardStore
from tests.anki_server import Phone, SyncServer, free_port
from tests.tui_helpers import Notes, wait_until
from tui.app import PonderApp
from tui.screens.anki_sync import NOT_LOGGED_IN, AnkiSyncScreen
from tui.screens.help import BindingCommands, binding_groups
from tui.screens.settings import SettingsScreen

SIZE = (110, 34)
SYNC_WAIT = 120.0  # a busy machine; the engine's own tests allow as much


@pytest.fixture
def account(anki_server: SyncServer) -> tuple[str, str]:
    return anki_server.new_user()


@pytest.fixture
def library(ponder_home: Path):
    """A talk and one basic note with its passage, as Ponder makes them."""
    lib = Library()
    source_id = lib.add(
        Transcript(
            Source(title="Stars", origin="stars.txt", kind="file"),
            [Segment("The sun is a star.", 0.0, 12.0)],
        )
    ).source_id
    CardStore(lib.conn).create_note(
        "basic",
        "What is the sun?",
        "A star",
        deck="Talks::Astro",
        source=SourceRef(source_id, first_segment=0, last_segment=0),
    )
    yield lib
    lib.close()


def phone_with_history(tmp_path: Path, server: SyncServer, user: str, password: str) -> Phone:
    """A phone whose own collection (one answered note) is on the server first."""
    phone = Phone(tmp_path / "phone", server.endpoint, user, password)
    own = phone.add_basic("phone question", "phone answer")
    phone.answer(phone.col.card_ids_of_note(own)[0], 3)
    assert phone.sync() == 4
    return phone


def store_login(server: SyncServer, user: str, password: str) -> None:
    account = login(user, password, server.endpoint)
    config = config_store.load()
    config.anki_user, config.anki_key, config.anki_endpoint = (
        account.user,
        account.key,
        account.endpoint,
    )
    config_store.save(config)


def sync_screen(app: PonderApp) -> AnkiSyncScreen | None:
    return next((s for s in app.screen_stack if isinstance(s, AnkiSyncScreen)), None)


async def test_login_in_settings_keeps_the_key_and_y_syncs_to_the_phone(
    tmp_path, anki_server, account, library, ponder_home, monkeypatch
) -> None:
    user, password = account
    phone = phone_with_history(tmp_path, anki_server, user, password)
    shown: list[AnkiSyncScreen] = []
    threads: list[threading.Thread] = []
    mount, real_sync = AnkiSyncScreen.on_mount, anki_sync.sync

    def recorded_mount(self: AnkiSyncScreen) -> None:
        shown.append(self)
        mount(self)

    def recorded_sync(*args: Any, **kwargs: Any) -> Any:
        threads.append(threading.current_thread())
        return real_sync(*args, **kwargs)

    monkeypatch.setattr(AnkiSyncScreen, "on_mount", recorded_mount)
    monkeypatch.setattr(anki_sync, "sync", recorded_sync)
    app = PonderApp(library=library)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        notes = Notes(app)
        screen = SettingsScreen()
        app.push_screen(screen)
        await wait_until(pilot, lambda: app.screen is screen and screen.is_mounted)
        screen.query_one("#set-anki_endpoint", Input).value = anki_server.endpoint
        screen.query_one("#set-anki_user", Input).value = user
        screen.query_one("#set-anki-password", Input).value = password
        screen.anki_login()
        assert screen.query_one("#set-anki-password", Input).value == ""
        await wait_until(pilot, lambda: app.config.anki_key, timeout=SYNC_WAIT)
        assert "Logged in" in " ".join(notes.messages)
        assert not screen.dirty  # the login is saved; nothing is left for ctrl+s
        text = (ponder_home / "config.toml").read_text()
        assert password not in text
        saved = config_store.load()
        assert (saved.anki_user, saved.anki_endpoint) == (user, anki_server.endpoint)
        assert saved.anki_key == app.config.anki_key

        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is not screen)
        await pilot.press("Y")
        await wait_until(
            pilot, lambda: any("Synced with Anki" in m for m in notes.messages), timeout=SYNC_WAIT
        )
        await wait_until(pilot, lambda: sync_screen(app) is None)
        assert len(shown) == 1  # the progress modal, closed again at the end
        assert "Pulling from Anki" in shown[0].stages and "Pushing to Anki" in shown[0].stages
        assert threads and threading.main_thread() not in threads  # a thread worker
        summary = next(m for m in notes.messages if "Synced with Anki" in m)
        assert "\n" not in summary
        assert "1 pushed" in summary
    phone.sync()
    found = phone.find("sun")
    assert len(found) == 1
    note = phone.col.get_note(found[0])
    assert "Stars" in note["Source"]
    assert phone.find("phone question")  # the phone's own notes stay
    phone.close()


async def test_esc_cancels_before_anything_is_merged(
    tmp_path, anki_server, account, library, monkeypatch, ponder_home
) -> None:
    user, password = account
    phone = phone_with_history(tmp_path, anki_server, user, password)
    store_login(anki_server, user, password)
    reached, gate = threading.Event(), threading.Event()
    real_sync = anki_sync.sync

    def held_sync(*args: Any, progress: Any = None, **kwargs: Any) -> Any:
        def report(stage: str, done: int, total: int) -> None:
            progress(stage, done, total)
            if stage == "Pulling from Anki" and done == 1:
                reached.set()  # the pull is done: hold here until the test pressed Esc
                gate.wait(SYNC_WAIT)

        return real_sync(*args, progress=report, **kwargs)

    monkeypatch.setattr(anki_sync, "sync", held_sync)
    notes_before = library.conn.execute("SELECT count(*) FROM notes").fetchone()[0]
    app = PonderApp(library=library)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        notes = Notes(app)
        await pilot.press("Y")
        await wait_until(pilot, reached.is_set, timeout=SYNC_WAIT)
        running = sync_screen(app)
        assert running is not None
        await pilot.press("escape")
        await wait_until(pilot, running.cancel.is_set)
        gate.set()
        await wait_until(pilot, lambda: sync_screen(app) is None, timeout=SYNC_WAIT)
        # The outcome is reported by the dismiss callback, a moment after the modal closed.
        await wait_until(pilot, lambda: any("cancelled" in m.lower() for m in notes.messages))
        assert not any("Synced with Anki" in m for m in notes.messages)
    gate.set()
    report = status(library.conn, AnkiAccount.from_config(config_store.load()), ponder_home)
    assert report.linked_notes == 0 and report.last_sync is None
    assert library.conn.execute("SELECT count(*) FROM notes").fetchone()[0] == notes_before
    phone.sync()
    assert phone.find("sun") == []  # nothing reached the server
    assert phone.find("phone question")
    phone.close()


async def test_not_logged_in_says_so_and_ponder_keeps_working(library) -> None:
    app = PonderApp(library=library)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        notes = Notes(app)
        first = app.screen
        await pilot.press("Y")
        await wait_until(pilot, lambda: NOT_LOGGED_IN in notes.messages)
        assert sync_screen(app) is None
        assert app.screen is first
        await pilot.press("B")  # still working
        await wait_until(pilot, lambda: type(app.screen).__name__ == "BrowseScreen")


async def test_offline_says_so(library) -> None:
    config = config_store.load()
    config.anki_user, config.anki_key = "someone", "a-key"
    config.anki_endpoint = f"http://127.0.0.1:{free_port()}/"  # nothing listens there
    config_store.save(config)
    app = PonderApp(library=library)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        notes = Notes(app)
        await pilot.press("Y")
        await wait_until(
            pilot, lambda: any("Cannot reach" in m for m in notes.messages), timeout=SYNC_WAIT
        )
        await wait_until(pilot, lambda: sync_screen(app) is None)
        warning = next(c for c in notes.calls if "Cannot reach" in c["message"])
        assert warning["severity"] == "warning"


async def test_sync_is_in_the_palette_and_help_on_every_screen(library) -> None:
    app = PonderApp(library=library)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        titles = [command.title for command in app.get_system_commands(app.screen)]
        assert "Sync with Anki" in titles
        entries = [entry for _group, items in binding_groups(app.screen) for entry in items]
        assert any(e[1] == "Sync with Anki" and e[3] == "app.anki_sync" for e in entries)
        await pilot.press("B")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "BrowseScreen")
        # The browser lists its bindings through BindingCommands (the palette) and help.
        provider = BindingCommands(app.screen)
        assert "Sync with Anki" in [name for name, *_rest in provider._commands()]


async def test_sync_on_start_and_quit_are_settings_off_by_default() -> None:
    config = config_store.load()
    assert (config.anki_sync_on_start, config.anki_sync_on_quit) == (False, False)
    app = PonderApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = SettingsScreen()
        app.push_screen(screen)
        await wait_until(pilot, lambda: screen.is_mounted)
        screen.query_one("#set-anki_sync_on_start", Input).value = "yes"
        screen.query_one("#set-anki_sync_on_quit", Input).value = "yes"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: not screen.dirty)
    config = config_store.load()
    assert (config.anki_sync_on_start, config.anki_sync_on_quit) == (True, True)


async def test_sync_on_start_runs_when_set(library) -> None:
    config = config_store.load()
    config.anki_user, config.anki_key = "someone", "a-key"
    config.anki_endpoint = f"http://127.0.0.1:{free_port()}/"
    config.anki_sync_on_start = True
    config_store.save(config)
    app = PonderApp(library=library)
    notes: list[str] = []
    original = app.notify

    def notify(message: str, **kwargs: Any) -> None:
        notes.append(message)
        original(message, **kwargs)

    app.notify = notify  # type: ignore[method-assign]
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_until(pilot, lambda: any("Cannot reach" in m for m in notes), timeout=SYNC_WAIT)


async def test_sync_on_quit_runs_first_and_then_quits(library, monkeypatch) -> None:
    config = config_store.load()
    config.anki_user, config.anki_key = "someone", "a-key"
    config.anki_endpoint = f"http://127.0.0.1:{free_port()}/"  # offline: the sync fails fast
    config.anki_sync_on_quit = True
    config_store.save(config)
    calls: list[str] = []
    real_sync = anki_sync.sync

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append("sync")
        return real_sync(*args, **kwargs)

    monkeypatch.setattr(anki_sync, "sync", counted)
    app = PonderApp(library=library)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        await app.action_quit()
        await wait_until(pilot, lambda: app._exit, timeout=SYNC_WAIT)  # type: ignore[attr-defined]
    assert calls == ["sync"]
