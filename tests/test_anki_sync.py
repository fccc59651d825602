"""Two-way sync with Anki against the real `python -m anki.syncserver` on 127.0.0.1.

The phone is a second `anki.collection.Collection` on the same account; Ponder is driven
through `ponder anki ...` (tui.cli.main) as a learner would.
"""

from __future__ import annotations

import io
import json
import sqlite3
import stat
from datetime import timedelta
from pathlib import Path

import pytest

from core import clock
from core.config import load
from core.library import Library
from core.models import Segment, Source, Transcript
from decks.anki_sync.replay import Answer, replay
from decks.models import CardState, SourceRef, to_db_time
from decks.repository import CardStore
from decks.scheduling import settings_for
from tests.anki_server import Phone, SyncServer
from tui.cli import main

VIDEO = "dQw4w9WgXcQ"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def login(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    server: SyncServer,
    user: str,
    password: str,
) -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
    return run(capsys, "anki", "login", "--endpoint", server.endpoint, user)


def sync_json(capsys: pytest.CaptureFixture[str], *extra: str) -> dict:
    code, out, err = run(capsys, "anki", "sync", "--json", *extra)
    assert code == 0, err
    return json.loads(out)


@pytest.fixture
def account(anki_server: SyncServer) -> tuple[str, str]:
    return anki_server.new_user()


@pytest.fixture
def ponder(ponder_home: Path):
    """Ponder's library with a YouTube talk and three notes (basic, reversed, cloze)."""
    library = Library()
    source_id = library.add(
        Transcript(
            Source(
                title="Stars <talk>",
                origin=f"https://youtu.be/{VIDEO}",
                kind="youtube",
                video_id=VIDEO,
            ),
            [Segment("Hello there.", 0.0, 61.5), Segment("The sun is a star.", 61.5, 125.0)],
        )
    ).source_id
    store = CardStore(library.conn)
    store.create_note(
        "basic",
        "What is the sun?",
        "A star",
        deck="Talks::Astro",
        tags=["astro"],
        source=SourceRef(source_id, first_segment=1, last_segment=1),
    )
    store.create_note("reversed", "Hund", "dog", deck="Talks")
    store.create_note("cloze", "The {{c1::sun}} is a {{c2::star}}.", "", deck="Talks::Astro")
    yield library, store
    library.close()


def ponder_card(store: CardStore, front: str, ord_: int = 0):
    note = next(n for n in _notes(store) if n.front == front)
    return next(c for c in store.cards_of_note(note.id) if c.ord == ord_), note


def _notes(store: CardStore):
    ids = [row[0] for row in store.conn.execute("SELECT id FROM notes ORDER BY id")]
    return [store.note(note_id) for note_id in ids]


def test_first_sync_keeps_the_phones_notes_and_brings_ponders_with_source(
    tmp_path, capsys, monkeypatch, anki_server, account, ponder, ponder_home
):
    user, password = account
    phone = Phone(tmp_path / "phone", anki_server.endpoint, user, password)
    own = [phone.add_basic(f"phone question {i}", f"answer {i}") for i in range(3)]
    first = phone.col.get_card(phone.col.card_ids_of_note(own[0])[0])
    phone.answer(first.id, 3)
    assert phone.sync() == 4  # the phone's collection goes up first (FULL_UPLOAD)

    code, out, err = login(capsys, monkeypatch, anki_server, user, password)
    assert code == 0, err
    assert "Logged in" in out
    config_file = ponder_home / "config.toml"
    text = config_file.read_text()
    assert password not in text
    assert stat.S_IMODE(config_file.stat().st_mode) == 0o600
    config = load()
    assert (config.anki_user, config.anki_endpoint) == (user, anki_server.endpoint)
    assert config.anki_key

    summary = sync_json(capsys)
    assert summary["full_sync"] == "download"
    assert summary["notes_pushed"] == 3
    assert summary["deletions"] == 0

    assert phone.sync() in (0, 1)
    for nid in own:  # all of the phone's own notes and history are still there
        assert phone.col.get_note(nid)["Front"].startswith("phone question")
    assert len(phone.revlog(first.id)) == 1
    _library, store = ponder
    basic = next(n for n in _notes(store) if n.front == "What is the sun?")
    mine = phone.note_by_guid(basic.guid)
    assert mine is not None
    assert mine.note_type()["name"] == "Ponder Basic"
    assert mine["Front"] == "What is the sun?" and mine["Back"] == "A star"
    source = mine["Source"]
    assert "Stars &lt;talk&gt; @ 01:01" in source
    assert f"https://youtu.be/{VIDEO}?t=61" in source
    assert "The sun is a star." in source
    assert mine.tags == ["astro"]
    card = phone.col.get_card(mine.card_ids()[0])
    assert phone.col.decks.name(card.did) == "Talks::Astro"
    reverse = next(n for n in _notes(store) if n.front == "Hund")
    assert len(phone.note_by_guid(reverse.guid).card_ids()) == 2
    cloze = next(n for n in _notes(store) if n.kind.value == "cloze")
    assert len(phone.note_by_guid(cloze.guid).card_ids()) == 2
    phone.close()


def test_reviews_flow_both_ways_exactly_once(
    tmp_path, capsys, monkeypatch, anki_server, account, ponder
):
    user, password = account
    _library, store = ponder
    assert login(capsys, monkeypatch, anki_server, user, password)[0] == 0
    first = sync_json(capsys)
    assert first["notes_pushed"] == 3
    assert first["full_sync"] == "upload"  # an empty account: nothing to lose

    phone = Phone(tmp_path / "phone", anki_server.endpoint, user, password)
    assert phone.sync() == 3  # the phone downloads Ponder's collection
    card, note = ponder_card(store, "What is the sun?")
    anki_note = phone.note_by_guid(note.guid)
    anki_card = anki_note.card_ids()[0]
    phone.answer(anki_card, 3)  # Good
    phone.answer(anki_card, 3)
    phone_reviews = phone.revlog(anki_card)
    assert len(phone_reviews) == 2
    phone.sync()

    summary = sync_json(capsys)
    assert summary["reviews_pulled"] == 2
    logs = store.review_logs(card.id)
    assert [log.rating for log in logs] == [3, 3]
    assert [round(log.reviewed_at.timestamp() * 1000) for log in logs] == [
        rid for rid, _ease in sorted(phone_reviews)
    ]
    # The state is the replay of the whole log with py-fsrs (an independent oracle).
    after = store.get_card(card.id)
    settings = settings_for(store.preset_for_deck(card.deck_id), load())
    expected, _ = replay(
        card, [Answer(log.rating, log.reviewed_at) for log in logs], settings.scheduler()
    )
    assert after.state == expected.state != CardState.NEW
    assert after.stability == pytest.approx(expected.stability)
    assert after.due == expected.due
    assert after.reps == 2

    # Ponder reviews another card; the phone gets the review and the same due day.
    other, other_note = ponder_card(store, "Hund")
    from decks.scheduling import review

    now = clock.now()
    outcome = review(settings.scheduler(), other, 3, now)
    store.record_review(other, outcome.after, 3, now, 4200)
    outcome2 = review(settings.scheduler(), outcome.after, 4, now + timedelta(minutes=2))
    store.record_review(outcome.after, outcome2.after, 4, now + timedelta(minutes=2), 1800)
    pushed = sync_json(capsys)
    assert pushed["reviews_pushed"] == 2
    assert pushed["reviews_pulled"] == 0
    phone.sync()
    phone_card_id = next(
        cid
        for cid in phone.note_by_guid(other_note.guid).card_ids()
        if phone.col.get_card(cid).ord == 0
    )
    rows = phone.col.db.all("select id, ease, time from revlog where cid = ?", phone_card_id)
    assert sorted((ease, time) for _id, ease, time in rows) == [(3, 4200), (4, 1800)]
    phone_card = phone.col.get_card(phone_card_id)
    ponder_after = store.get_card(other.id)
    assert phone_card.type == 2 and phone_card.queue == 2
    days = round(
        (
            clock.study_day_start(ponder_after.due, 4) - clock.study_day_start(clock.now(), 4)
        ).total_seconds()
        / 86400
    )
    assert phone_card.due == phone.col.sched.today + days

    # Syncing again changes nothing and doubles nothing, on either side.
    again = sync_json(capsys)
    for key in ("notes_pushed", "notes_pulled", "reviews_pushed", "reviews_pulled", "deletions"):
        assert again[key] == 0, key
    phone.sync()
    assert len(store.review_logs(card.id)) == 2
    assert len(store.review_logs(other.id)) == 2
    assert len(phone.revlog(anki_card)) == 2
    assert len(phone.revlog(phone_card_id)) == 2
    phone.close()


def test_edits_each_way_and_a_phone_deletion(
    tmp_path, capsys, monkeypatch, anki_server, account, ponder
):
    user, password = account
    _library, store = ponder
    assert login(capsys, monkeypatch, anki_server, user, password)[0] == 0
    sync_json(capsys)
    phone = Phone(tmp_path / "phone", anki_server.endpoint, user, password)
    phone.sync()

    _card, basic = ponder_card(store, "What is the sun?")
    _card, hund = ponder_card(store, "Hund")
    cloze = next(n for n in _notes(store) if n.kind.value == "cloze")
    # The phone edits one note, Ponder another; the phone deletes the cloze note.
    edited = phone.note_by_guid(basic.guid)
    edited["Back"] = "A <b>G-type</b> star<br>close by"
    phone.col.update_note(edited)
    phone.col.remove_notes([phone.note_by_guid(cloze.guid).id])
    phone.sync()
    store.update_note(hund.id, back="the dog", tags=["german"])

    code, out, err = run(capsys, "anki", "sync")
    assert code == 0, err
    assert "1 pushed, 1 pulled" in out
    assert "deleted 1 in Ponder, 0 in Anki" in out
    assert "deleted in Ponder (gone from Anki): The {{c1::sun}}" in out
    assert store.note(basic.id).back == "A G-type star\nclose by"
    assert store.note(cloze.id) is None
    phone.sync()
    phone_hund = phone.note_by_guid(hund.guid)
    assert phone_hund["Back"] == "the dog"
    assert phone_hund.tags == ["german"]

    # A note deleted in Ponder goes from Anki too; the phone's own notes are never touched.
    own = phone.add_basic("mine", "only mine")
    phone.sync()
    store.delete_note(hund.id)
    summary = sync_json(capsys)
    assert summary["deleted_in_anki"] == ["Hund"]
    phone.sync()
    assert phone.note_by_guid(hund.guid) is None
    assert phone.col.get_note(own)["Front"] == "mine"
    again = sync_json(capsys)
    assert again["deletions"] == 0 and again["notes_pushed"] == 0
    phone.close()


def test_wrong_password_server_down_and_full_sync_demand_change_nothing(
    tmp_path, capsys, monkeypatch, anki_server, account, ponder, ponder_home
):
    user, password = account
    code, _out, err = login(capsys, monkeypatch, anki_server, user, "not-the-password")
    assert code == 1
    assert err.count("\n") == 1 and "refused the user name or password" in err
    assert not load().anki_key

    code, _out, err = run(capsys, "anki", "sync")
    assert code == 1 and "Not logged in" in err and err.count("\n") == 1

    assert login(capsys, monkeypatch, anki_server, user, password)[0] == 0
    _library, store = ponder
    ponder_db = ponder_home / "ponder.db"

    def snapshot() -> list:
        conn = sqlite3.connect(ponder_db)
        try:
            return [
                conn.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()
                for table in ("notes", "cards", "review_log", "anki_notes", "anki_reviews")
            ]
        finally:
            conn.close()

    # A server nobody listens on: one line, nothing changed.
    before = snapshot()
    config = load()
    config.anki_endpoint = "http://127.0.0.1:9/"
    from core.config import save

    save(config)
    code, _out, err = run(capsys, "anki", "sync")
    assert code == 1 and err.count("\n") == 1
    assert "Cannot reach http://127.0.0.1:9/" in err
    assert snapshot() == before

    # The phone and Ponder both start collections on the same empty account... the phone
    # uploads first, then diverges from a bridge that already synced: a full-sync demand.
    config.anki_endpoint = anki_server.endpoint
    save(config)
    assert sync_json(capsys)["full_sync"] == "upload"
    phone = Phone(tmp_path / "phone", anki_server.endpoint, user, password)
    phone.sync()
    model = phone.col.models.by_name("Basic")
    phone.col.models.add_field(model, phone.col.models.new_field("Extra"))
    phone.col.models.update_dict(model)  # a schema change: the server's copy moves on
    phone.add_basic("phone only", "x")
    out_required = phone.col.sync_collection(phone.auth, False).required
    assert out_required == 2
    phone.col.close_for_full_sync()
    phone.col.full_upload_or_download(auth=phone.auth, server_usn=None, upload=True)
    phone.col.reopen(after_full_sync=True)
    store.update_note(ponder_card(store, "Hund")[1].id, back="changed in Ponder")
    before = snapshot()
    code, _out, err = run(capsys, "anki", "sync")
    assert code == 1 and err.count("\n") == 1
    assert "asks for a full sync" in err and "--force-upload" in err
    assert snapshot() == before
    assert phone.sync() in (0, 1)
    assert phone.find("phone only")  # the server's collection was not replaced

    forced = sync_json(capsys, "--force-upload")
    assert forced["full_sync"] == "upload"
    phone.close()


def test_status_and_logout(capsys, monkeypatch, anki_server, account, ponder):
    user, password = account
    code, out, _err = run(capsys, "anki", "status")
    assert code == 0 and "Not logged in" in out
    assert login(capsys, monkeypatch, anki_server, user, password)[0] == 0
    sync_json(capsys)
    code, out, _err = run(capsys, "anki", "status", "--json")
    data = json.loads(out)
    assert data["logged_in"] and data["user"] == user
    assert data["linked_notes"] == 3 and data["bridge_bytes"] > 0
    assert data["last_sync"] == data["last_sync"] and data["last_sync"] is not None
    code, out, _err = run(capsys, "anki", "logout")
    assert code == 0 and "Logged out" in out
    assert not load().anki_key
    assert to_db_time(clock.now())  # the module imports stay used


def test_engine_timeout_cancel_and_progress(tmp_path, anki_server, account, ponder, ponder_home):
    """The domain API the app's worker calls: a timeout and a cancel are one-line errors
    that change nothing; progress reports stages; the next sync completes."""
    import socket
    import threading

    from decks.anki_sync import AnkiAccount, SyncCancelled, SyncTimeout, login, sync

    user, password = account
    _library, store = ponder
    config = load()
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                held.append(silent.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    mute = AnkiAccount(user, "some-key", f"http://127.0.0.1:{silent.getsockname()[1]}/")
    with pytest.raises(SyncTimeout, match="did not answer in time"):
        sync(store.conn, mute, config, home=ponder_home, timeout_s=2)
    silent.close()

    real = login(user, password, anki_server.endpoint)
    assert real.key and real.user == user
    with pytest.raises(SyncCancelled):
        sync(store.conn, real, config, home=ponder_home, cancelled=lambda: True)
    assert store.conn.execute("SELECT COUNT(*) FROM anki_notes").fetchone()[0] == 0

    stages: list[tuple[str, int, int]] = []
    summary = sync(
        store.conn,
        real,
        config,
        home=ponder_home,
        progress=lambda stage, done, total: stages.append((stage, done, total)),
    )
    assert summary.notes_pushed == 3
    names = [stage for stage, _done, _total in stages]
    assert names[0] == "Pulling from Anki"
    assert "Merging notes" in names and "Merging reviews" in names
    assert any(name.startswith("Uploading") or name.startswith("Pushing") for name in names)
    assert all(0 <= done <= total for _stage, done, total in stages)


def test_when_both_sides_edit_a_note_the_later_edit_wins(
    tmp_path, capsys, monkeypatch, anki_server, account, ponder
):
    user, password = account
    _library, store = ponder
    assert login(capsys, monkeypatch, anki_server, user, password)[0] == 0
    sync_json(capsys)
    phone = Phone(tmp_path / "phone", anki_server.endpoint, user, password)
    phone.sync()
    _card, sun = ponder_card(store, "What is the sun?")
    _card, hund = ponder_card(store, "Hund")
    for note, text in ((sun, "phone: a star"), (hund, "phone: dog")):
        edited = phone.note_by_guid(note.guid)
        edited["Back"] = text
        phone.col.update_note(edited)
    phone.sync()
    hour = timedelta(hours=1)
    store.update_note(sun.id, back="ponder: earlier", now=clock.now() - hour)
    store.update_note(hund.id, back="ponder: later", now=clock.now() + hour)

    summary = sync_json(capsys)
    assert (summary["notes_pulled"], summary["notes_pushed"]) == (1, 1)
    assert store.note(sun.id).back == "phone: a star"
    assert store.note(hund.id).back == "ponder: later"
    phone.sync()
    assert phone.note_by_guid(sun.guid)["Back"] == "phone: a star"
    assert phone.note_by_guid(hund.guid)["Back"] == "ponder: later"
    phone.close()


def test_a_collection_with_fsrs_on_gets_ponders_memory_state(
    tmp_path, capsys, monkeypatch, anki_server, account, ponder
):
    user, password = account
    _library, store = ponder
    phone = Phone(tmp_path / "phone", anki_server.endpoint, user, password)
    phone.add_basic("phone question", "answer")
    phone.col.set_config("fsrs", True)  # the learner's choice; Ponder never flips it
    assert phone.sync() == 4
    card, note = ponder_card(store, "What is the sun?")
    settings = settings_for(store.preset_for_deck(card.deck_id), load())
    from decks.scheduling import review

    now = clock.now()
    outcome = review(settings.scheduler(), card, 3, now)
    store.record_review(card, outcome.after, 3, now, 2500)
    assert login(capsys, monkeypatch, anki_server, user, password)[0] == 0
    summary = sync_json(capsys)
    assert summary["full_sync"] == "download" and summary["reviews_pushed"] == 1
    phone.sync()
    assert phone.col.get_config("fsrs") is True
    anki_card = phone.col.get_card(phone.note_by_guid(note.guid).card_ids()[0])
    after = store.get_card(card.id)
    assert anki_card.memory_state is not None
    assert anki_card.memory_state.stability == pytest.approx(after.stability, rel=1e-3)
    assert anki_card.memory_state.difficulty == pytest.approx(after.difficulty, rel=1e-3)
    assert anki_card.reps == 1
    phone.close()


def test_a_damaged_bridge_collection_is_one_line(
    capsys, monkeypatch, anki_server, account, ponder, ponder_home
):
    user, password = account
    assert login(capsys, monkeypatch, anki_server, user, password)[0] == 0
    bridge = ponder_home / "anki" / "collection.anki2"
    bridge.parent.mkdir(parents=True, exist_ok=True)
    bridge.write_bytes(b"this is not an Anki collection" * 100)
    code, out, err = run(capsys, "anki", "sync")
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("ponder: ") and "remove that file and sync again" in err
    bridge.unlink()  # as the message says: the next sync rebuilds the bridge
    summary = sync_json(capsys)
    assert summary["notes_pushed"] == 3


def test_a_cloze_number_removed_in_ponder_takes_its_anki_card_with_it(
    tmp_path, capsys, monkeypatch, anki_server, account, ponder
):
    user, password = account
    _library, store = ponder
    assert login(capsys, monkeypatch, anki_server, user, password)[0] == 0
    sync_json(capsys)
    cloze = next(n for n in _notes(store) if n.kind.value == "cloze")
    update = store.update_note(cloze.id, front="The {{c1::sun}} is a star.")
    assert len(update.removed_card_ids) == 1
    assert sync_json(capsys)["notes_pushed"] == 1
    phone = Phone(tmp_path / "phone", anki_server.endpoint, user, password)
    phone.sync()
    on_phone = phone.note_by_guid(cloze.guid)
    assert on_phone["Text"] == "The {{c1::sun}} is a star."
    assert [phone.col.get_card(cid).ord for cid in on_phone.card_ids()] == [0]
    phone.close()


def test_an_error_of_the_anki_library_itself_is_one_line(
    library: Library, ponder_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Outside the network steps (here an I/O error opening the bridge), an exception of
    the anki library becomes one AnkiSyncError line."""
    from anki.errors import BackendIOError

    from decks.anki_sync import AnkiAccount, AnkiSyncError, engine, sync

    def broken(*_args: object, **_kwargs: object) -> None:
        raise BackendIOError("media folder unreadable\n  at line 3", None, None, None)

    monkeypatch.setattr(engine, "open_bridge", broken)
    account = AnkiAccount("me@example.com", "key", "http://127.0.0.1:9/")
    with pytest.raises(AnkiSyncError) as caught:
        sync(library.conn, account, load(), home=ponder_home)
    assert str(caught.value) == (
        "Anki's library failed (media folder unreadable at line 3); nothing is lost,"
        " try the sync again."
    )
