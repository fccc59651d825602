"""kill -9 of `ponder anki sync` at four moments: both databases stay sound, the next sync
completes, and no review is lost or doubled on either side.

The sync runs in a child process (the real `tui.cli.main(["anki", "sync"])`) with one
function wrapped to announce itself and stall, so the kill lands at a known moment:

- "merge": the pull is done (the bridge has the phone's reviews), nothing merged yet;
- "links": Ponder took the phone's reviews into its log, their link rows not yet written;
- "links-push": Ponder's review linked to a revlog id, the revlog row not yet inserted;
- "push": everything merged on both local sides, the bridge not yet pushed.
"""

from __future__ import annotations

import io
import os
import signal
import sqlite3
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from core import clock
from core.config import load
from core.library import Library
from decks.repository import CardStore
from decks.scheduling import review, settings_for
from tests.anki_server import Phone, SyncServer, wait_until
from tui.cli import main

ROOT = Path(__file__).resolve().parent.parent

DRIVER = """
import os, sys, time
moment = os.environ["STALL_AT"]

def stall():
    print("STALLED", flush=True)
    time.sleep(600)

import decks.anki_sync.engine as engine
import decks.anki_sync.links as links
if moment == "merge":
    original = engine.run_merge
    def run_merge(*args, **kwargs):
        stall()
    engine.run_merge = run_merge
elif moment.startswith("links"):
    original = links.SyncLinks.link_reviews
    calls = []
    def link_reviews(self, rows, **kwargs):
        rows = list(rows)
        if rows:
            calls.append(rows)
            if len(calls) == (2 if moment == "links-push" else 1):
                if moment == "links-push":  # the push's links land, its revlog rows not
                    original(self, rows, **kwargs)
                stall()
        return original(self, rows, **kwargs)
    links.SyncLinks.link_reviews = link_reviews
elif moment == "push":
    original = engine._Session.normal
    def normal(self, stage):
        if stage.startswith("Pushing"):
            stall()
        return original(self, stage)
    engine._Session.normal = normal
from tui.cli import main
sys.exit(main(["anki", "sync"]))
"""


def _integrity(path: Path) -> str:
    conn = sqlite3.connect(path)
    # Anki's tables use its own collation; sqlite3 only needs one by that name to check.
    conn.create_collation("unicase", lambda a, b: (a.lower() > b.lower()) - (a.lower() < b.lower()))
    try:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        conn.close()


@pytest.mark.parametrize("moment", ["merge", "links", "links-push", "push"])
def test_kill_9_mid_sync_loses_and_doubles_nothing(
    moment: str,
    tmp_path: Path,
    ponder_home: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    anki_server: SyncServer,
) -> None:
    user, password = anki_server.new_user()
    library = Library()
    store = CardStore(library.conn)
    phone_note = store.create_note("basic", "Answered on the phone", "yes", deck="Talks")
    ponder_note = store.create_note("basic", "Answered in Ponder", "yes", deck="Talks")
    monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
    assert main(["anki", "login", "--endpoint", anki_server.endpoint, user]) == 0
    assert main(["anki", "sync"]) == 0
    capsys.readouterr()

    phone = Phone(tmp_path / "phone", anki_server.endpoint, user, password)
    phone.sync()
    on_phone = phone.note_by_guid(phone_note.note.guid).card_ids()[0]
    phone.answer(on_phone, 3)
    phone.answer(on_phone, 1)
    phone.sync()
    card = ponder_note.cards[0]
    scheduler = settings_for(store.preset_for_deck(card.deck_id), load()).scheduler()
    now = clock.now() - timedelta(minutes=5)
    outcome = review(scheduler, card, 3, now)
    store.record_review(card, outcome.after, 3, now, 2000)

    log = tmp_path / "child.out"
    env = dict(os.environ, STALL_AT=moment, PYTHONPATH=str(ROOT))
    with open(log, "wb") as output:
        child = subprocess.Popen(
            [sys.executable, "-c", DRIVER], env=env, stdout=output, stderr=subprocess.STDOUT
        )
    try:
        wait_until(lambda: b"STALLED" in log.read_bytes() or child.poll() is not None, timeout=120)
        assert child.poll() is None, log.read_text(errors="replace")
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=60)

    bridge = ponder_home / "anki" / "collection.anki2"
    assert _integrity(ponder_home / "ponder.db") == "ok"
    assert _integrity(bridge) == "ok"

    assert main(["anki", "sync"]) == 0, capsys.readouterr().err
    assert main(["anki", "sync"]) == 0  # and once more: nothing new on either side
    phone.sync()

    phone_card = store.cards_of_note(phone_note.note.id)[0]
    assert [log.rating for log in store.review_logs(phone_card.id)] == [3, 1]
    assert [log.rating for log in store.review_logs(card.id)] == [3]
    assert sorted(ease for _id, ease in phone.revlog(on_phone)) == [1, 3]
    in_ponder = phone.note_by_guid(ponder_note.note.guid).card_ids()[0]
    assert [ease for _id, ease in phone.revlog(in_ponder)] == [3]
    assert len(store.review_logs(phone_card.id)) == 2
    phone.close()
    library.close()
