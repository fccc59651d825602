"""A real Anki sync server on 127.0.0.1 and a "phone" (a second anki Collection) for tests.

One server per test module (starting it costs about a second); each test takes a user of
its own (SYNC_USER1..N), so tests never see each other's collections.
"""

from __future__ import annotations

import itertools
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

USERS = 40
START_TIMEOUT_S = 90.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until(predicate: Callable[[], Any], timeout: float = 60.0, every: float = 0.05) -> Any:
    """Poll until `predicate()` is truthy (and return it); fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {predicate}")
        time.sleep(every)


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
    except OSError:
        return False
    return True


@dataclass
class SyncServer:
    endpoint: str
    port: int
    process: subprocess.Popen[bytes]
    _users: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def new_user(self) -> tuple[str, str]:
        number = next(self._users)
        if number > USERS:
            raise RuntimeError("the test server has no more users; raise USERS")
        return f"user{number}", f"pass{number}"


def start_server(base: Path, port: int | None = None) -> SyncServer:
    port = port or free_port()
    env = dict(os.environ)
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        env.pop(name, None)
    env.update(
        SYNC_BASE=str(base),
        SYNC_HOST="127.0.0.1",
        SYNC_PORT=str(port),
        RUST_LOG="error",
    )
    for number in range(1, USERS + 1):
        env[f"SYNC_USER{number}"] = f"user{number}:pass{number}"
    log = open(base / "server.log", "ab")  # noqa: SIM115 (closed with the process)
    process = subprocess.Popen(
        [sys.executable, "-m", "anki.syncserver"], env=env, stdout=log, stderr=log
    )
    log.close()
    wait_until(lambda: _listening(port) or process.poll() is not None, START_TIMEOUT_S)
    if process.poll() is not None:
        raise RuntimeError((base / "server.log").read_text(errors="replace"))
    return SyncServer(f"http://127.0.0.1:{port}/", port, process)


def stop_server(server: SyncServer) -> None:
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGTERM)
        try:
            server.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait(timeout=30)


@pytest.fixture(scope="module")
def anki_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SyncServer]:
    server = start_server(tmp_path_factory.mktemp("anki-sync-server"))
    yield server
    stop_server(server)


class Phone:
    """Another Anki client on the same account: AnkiDroid, played by a Collection."""

    def __init__(self, folder: Path, endpoint: str, user: str, password: str) -> None:
        from anki.collection import Collection

        folder.mkdir(parents=True, exist_ok=True)
        self.col = Collection(str(folder / "phone.anki2"))
        self.auth = self.col.sync_login(user, password, endpoint)

    def sync(self) -> int:
        """A normal sync; a full upload/download when Anki asks for one (as a phone would,
        after asking its user). Returns what Anki said was required."""
        out = self.col.sync_collection(self.auth, False)
        if out.required in (3, 4):
            self.col.close_for_full_sync()
            self.col.full_upload_or_download(
                auth=self.auth, server_usn=out.server_media_usn, upload=out.required == 4
            )
            self.col.reopen(after_full_sync=True)
        return int(out.required)

    def add_basic(self, front: str, back: str, deck: str = "Default") -> int:
        note = self.col.new_note(self.col.models.by_name("Basic"))
        note["Front"], note["Back"] = front, back
        self.col.add_note(note, self.col.decks.id(deck))
        return int(note.id)

    def find(self, text: str) -> list[int]:
        return list(self.col.find_notes(text))

    def note_by_guid(self, guid: str) -> Any:
        nid = self.col.db.scalar("select id from notes where guid = ?", guid)
        return None if nid is None else self.col.get_note(nid)

    def answer(self, card_id: int, ease: int) -> None:
        card = self.col.get_card(card_id)
        card.start_timer()
        self.col.sched.answerCard(card, ease)

    def revlog(self, card_id: int) -> list[tuple[int, int]]:
        return [
            (int(row[0]), int(row[1]))
            for row in self.col.db.all("select id, ease from revlog where cid = ?", card_id)
        ]

    def close(self) -> None:
        self.col.close()
