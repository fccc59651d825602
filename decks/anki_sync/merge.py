"""The merge between Ponder's database and the bridge collection, after a pull, before a push.

Every step reconciles state instead of replaying events, so a run killed at any moment
leaves both sides consistent and the next run finishes the job:

- Notes: a link row per Ponder note made in Anki. A link whose Ponder note is gone deletes
  the Anki note; a link whose Anki note is gone (deleted on the phone) deletes the Ponder
  note. An unlinked Ponder note adopts the Anki note with its guid (left by a killed run or
  an .apkg import) or is created. When both sides changed a note since the last sync, the
  later modification wins. Notes of other note types are never read for changes, changed
  or deleted.
- Reviews: an append-only union. A Ponder review goes to Anki's revlog with the id of its
  own time in ms (bumped past a taken id); its link is written first, so a run killed
  before the insert inserts it next time. An Anki review becomes a Ponder review at the
  exact ms time; a review already present at that time (a killed run) is only linked, so
  no review is ever added twice. Cards that gained Anki reviews are replayed with py-fsrs.
- Scheduling: every card whose log grew takes Ponder's state into Anki (same due day).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from core.models import format_timestamp
from decks.anki import iter_export_notes
from decks.anki_sync.bridge import (
    AnkiDay,
    apply_schedule,
    ensure_note_types,
    fields_to_text,
    note_fields,
    revlog_interval,
    revlog_type,
    source_field,
    split_fields,
    split_tags,
)
from decks.anki_sync.errors import SyncCancelled
from decks.anki_sync.links import NoteLink, ReviewLink, SyncLinks
from decks.anki_sync.replay import Answer, replay
from decks.models import Card, Note, NoteKind, ReviewLog, to_db_time
from decks.repository import CardFilter, CardStore, CardStoreError, ImportedReview, StaleCard
from decks.scheduling import settings_for

if TYPE_CHECKING:
    from anki.collection import Collection

    from core.config import Config

CHUNK = 500
ID_SLACK = 8  # how far past a review's own ms a pushed revlog id may be bumped
WATERMARK_SLACK = timedelta(days=1)


@dataclass
class MergeCounts:
    notes_pushed: int = 0
    notes_pulled: int = 0
    reviews_pushed: int = 0
    reviews_pulled: int = 0
    deleted_in_anki: list[str] = field(default_factory=list)
    deleted_in_ponder: list[str] = field(default_factory=list)
    skipped: int = 0  # notes or reviews left for the next sync (changed under us, invalid)


@dataclass(frozen=True, slots=True)
class _AnkiNote:
    id: int
    guid: str
    mid: int
    mod: int
    fields: list[str]
    tags: tuple[str, ...]


def _short(text: str, limit: int = 60) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _ms(moment: datetime) -> int:
    return round(moment.timestamp() * 1000)


def _from_ms(value: int) -> datetime:
    return datetime.fromtimestamp(value / 1000, UTC)


def _chunks(items: list[Any], size: int = CHUNK) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class Merger:
    """One merge run over an open bridge collection and Ponder's database."""

    def __init__(
        self,
        col: Collection,
        store: CardStore,
        config: Config,
        *,
        now: datetime,
        progress: Callable[[str, int, int], None],
        cancelled: Callable[[], bool],
    ) -> None:
        self.col = col
        self.store = store
        self.links = SyncLinks(store.conn)
        self.config = config
        self.now = now
        self.rollover = config.day_rollover_hour
        self.progress = progress
        self.cancelled = cancelled
        self.counts = MergeCounts()
        self.mids = ensure_note_types(col)
        self.kind_of_mid = {mid: kind for kind, mid in self.mids.items()}
        self._schedulers: dict[int, Any] = {}
        self._passages: dict[int, list[str]] = {}
        self.newly_linked: set[int] = set()
        self._pending_pull: dict[int, list[tuple[int, Answer]]] = {}

    def check(self) -> None:
        if self.cancelled():
            raise SyncCancelled("Sync cancelled; what was merged so far is kept.")

    # -- loading ---------------------------------------------------------------------------

    def _load_ponder(self) -> None:
        self.p_notes: dict[int, Note] = {}
        self.p_cards: dict[int, dict[int, Card]] = defaultdict(dict)
        self.p_deck: dict[int, str] = {}
        for view in self.store.search(CardFilter()):
            self.p_notes[view.note.id] = view.note
            self.p_cards[view.note.id][view.card.ord] = view.card
            self.p_deck[view.card.id] = view.deck_name

    def _marks(self) -> str:
        return ",".join(str(int(mid)) for mid in self.mids.values())

    def _load_anki(self) -> None:
        db = self.col.db
        self.a_notes: dict[int, _AnkiNote] = {}
        self.a_by_guid: dict[str, int] = {}
        for nid, guid, mid, mod, flds, tags in db.all(
            f"select id, guid, mid, mod, flds, tags from notes where mid in ({self._marks()})"
        ):
            self.a_notes[nid] = _AnkiNote(nid, guid, mid, mod, split_fields(flds), split_tags(tags))
            self.a_by_guid.setdefault(guid, nid)
        self.a_cards: dict[tuple[int, int], tuple[int, int]] = {}
        for cid, nid, ord_, did in db.all(
            "select c.id, c.nid, c.ord, c.did from cards c join notes n on n.id = c.nid"
            f" where n.mid in ({self._marks()})"
        ):
            self.a_cards[(nid, ord_)] = (cid, did)

    # -- source field ----------------------------------------------------------------------

    def _passage(self, note: Note) -> str:
        source = note.source
        if source is None or source.source_id is None or source.first_segment is None:
            return ""
        texts = self._passages.get(source.source_id)
        if texts is None:
            from core.library import Library

            segments = Library(self.store.conn).segments(source.source_id)
            texts = self._passages[source.source_id] = [segment.text for segment in segments]
        last = source.last_segment if source.last_segment is not None else source.first_segment
        return " ".join(texts[source.first_segment : last + 1])

    def _wanted_fields(self, note: Note, export: Any) -> list[str]:
        title = timestamp = link = None
        if export is not None:
            title = export.source_title
            link = export.source_link()
            if export.start_s is not None:
                timestamp = format_timestamp(export.start_s, always_hours=False)
        source = source_field(title, timestamp, link, self._passage(note))
        return note_fields(note.front, note.back, source)

    # -- notes -----------------------------------------------------------------------------

    def merge_notes(self) -> None:
        self.progress("Merging notes", 0, 1)
        self._load_ponder()
        self._load_anki()
        exports = {note.id: note for note in iter_export_notes(self.store.conn)}
        links = self.links.notes()
        foreign = self._existing_elsewhere(
            [link.anki_note_id for link in links.values() if link.anki_note_id not in self.a_notes]
        )
        unlink: list[int] = []
        delete_anki: list[int] = []
        delete_ponder: list[int] = []
        kept: dict[int, NoteLink] = {}
        for link in links.values():
            note = self.p_notes.get(link.note_id)
            ponder_ok = note is not None and note.guid == link.guid
            anki_note = self.a_notes.get(link.anki_note_id)
            if not ponder_ok:
                if anki_note is not None:
                    delete_anki.append(anki_note.id)
                    self.counts.deleted_in_anki.append(_short(_first_text(anki_note)))
                unlink.append(link.note_id)
            elif anki_note is None:
                if link.anki_note_id not in foreign and note is not None:
                    delete_ponder.append(note.id)
                    self.counts.deleted_in_ponder.append(_short(note.front))
                unlink.append(link.note_id)
            else:
                kept[link.note_id] = link
        if delete_ponder:
            self.store.delete_notes(delete_ponder)
        if delete_anki:
            self.col.remove_notes(delete_anki)
        self.links.unlink_notes(unlink)
        for note_id in delete_ponder:
            self.p_notes.pop(note_id, None)
        self.check()
        adopt: list[tuple[Note, _AnkiNote]] = []
        create: list[Note] = []
        taken = {link.anki_note_id for link in kept.values()}
        for note in self.p_notes.values():
            if note.id in kept:
                continue
            anki_id = self.a_by_guid.get(note.guid)
            if anki_id is not None and anki_id not in taken and anki_id not in delete_anki:
                adopt.append((note, self.a_notes[anki_id]))
                taken.add(anki_id)
            else:
                create.append(note)
        self._create(create, exports)
        self.check()
        self._edit(kept, adopt, exports)
        self.progress("Merging notes", 1, 1)

    def _existing_elsewhere(self, anki_ids: list[int]) -> set[int]:
        """Of these Anki note ids, the ones that exist with a note type not Ponder's."""
        found: set[int] = set()
        for chunk in _chunks(anki_ids):
            marks = ",".join(str(int(i)) for i in chunk)
            found.update(self.col.db.list(f"select id from notes where id in ({marks})"))
        return found

    def _deck_id(self, name: str) -> int:
        return int(self.col.decks.id(name, create=True))

    def _create(self, notes: list[Note], exports: dict[int, Any]) -> None:
        from anki.collection import AddNoteRequest

        total = len(notes)
        done = 0
        models = {kind: self.col.models.get(mid) for kind, mid in self.mids.items()}
        for chunk in _chunks(notes):
            requests = []
            for note in chunk:
                anki_note = self.col.new_note(models[note.kind.value])
                for index, value in enumerate(self._wanted_fields(note, exports.get(note.id))):
                    anki_note.fields[index] = value
                anki_note.tags = list(note.tags)
                anki_note.guid = note.guid
                cards = self.p_cards.get(note.id, {})
                deck = self.p_deck.get(cards[min(cards)].id) if cards else None
                requests.append(
                    AddNoteRequest(note=anki_note, deck_id=self._deck_id(deck or "Default"))
                )
            try:
                self.col.add_notes(requests)
                added = list(zip(chunk, requests, strict=True))
            except Exception:  # one bad note must not stop the others: add one by one
                added = []
                for note, request in zip(chunk, requests, strict=True):
                    try:
                        self.col.add_note(request.note, request.deck_id)
                        added.append((note, request))
                    except Exception:
                        self.counts.skipped += 1
            mods = self._mods([int(request.note.id) for _note, request in added])
            self.links.link_notes(
                NoteLink(
                    note.id,
                    note.guid,
                    int(request.note.id),
                    to_db_time(note.modified_at or self.now),
                    mods[int(request.note.id)],
                )
                for note, request in added
            )
            self.newly_linked.update(note.id for note, _request in added)
            self.counts.notes_pushed += len(added)
            done += len(chunk)
            self.progress("Adding notes to Anki", done, total)
            self.check()

    def _mods(self, anki_ids: list[int]) -> dict[int, int]:
        mods: dict[int, int] = {}
        for chunk in _chunks(anki_ids):
            marks = ",".join(str(int(i)) for i in chunk)
            mods.update(self.col.db.all(f"select id, mod from notes where id in ({marks})"))
        return {int(k): int(v) for k, v in mods.items()}

    def _edit(
        self,
        kept: dict[int, NoteLink],
        adopt: list[tuple[Note, _AnkiNote]],
        exports: dict[int, Any],
    ) -> None:
        push: list[tuple[Note, _AnkiNote]] = []
        relink: list[tuple[Note, _AnkiNote]] = []
        for link in kept.values():
            note, anki_note = self.p_notes[link.note_id], self.a_notes[link.anki_note_id]
            ponder_changed = to_db_time(note.modified_at or self.now) != link.ponder_mod
            anki_changed = anki_note.mod != link.anki_mod
            if not ponder_changed and not anki_changed:
                continue
            ponder_later = (note.modified_at or self.now).timestamp() >= anki_note.mod
            if ponder_changed and (not anki_changed or ponder_later):
                push.append((note, anki_note))
            else:
                pulled = self._pull(note, anki_note)
                relink.append((pulled, anki_note))
        for note, anki_note in adopt:
            push.append((note, anki_note))
            self.newly_linked.add(note.id)
        self._push_edits(push, exports)
        self.links.link_notes(
            NoteLink(n.id, n.guid, a.id, to_db_time(n.modified_at or self.now), a.mod)
            for n, a in relink
        )

    def _pull(self, note: Note, anki_note: _AnkiNote) -> Note:
        """Anki's version of the note into Ponder (when it differs); the note as it is now."""
        front, back = fields_to_text(anki_note.fields)
        kind = NoteKind(self.kind_of_mid.get(anki_note.mid, note.kind.value))
        same_tags = {t.lower() for t in note.tags} == {t.lower() for t in anki_note.tags}
        if front == note.front and back == note.back and kind == note.kind and same_tags:
            return note
        try:
            update = self.store.update_note(
                note.id, front=front, back=back, tags=anki_note.tags, kind=kind
            )
        except CardStoreError:
            self.counts.skipped += 1  # e.g. a cloze without a cloze: Ponder keeps its text
            return note
        self.counts.notes_pulled += 1
        return update.note

    def _push_edits(self, pairs: list[tuple[Note, _AnkiNote]], exports: dict[int, Any]) -> None:
        changed = []
        for note, anki_note in pairs:
            wanted = self._wanted_fields(note, exports.get(note.id))
            same_tags = {t.lower() for t in note.tags} == {t.lower() for t in anki_note.tags}
            same_type = self.mids[note.kind.value] == anki_note.mid
            if wanted == anki_note.fields[:3] and same_tags and same_type:
                continue
            if not same_type:
                continue  # changing a note's type in Anki needs a full sync: keep Anki's
            full = self.col.get_note(anki_note.id)
            for index, value in enumerate(wanted):
                full.fields[index] = value
            full.tags = list(note.tags)
            changed.append(full)
        for chunk in _chunks(changed):
            self.col.update_notes(chunk, skip_undo_entry=True)
        self.counts.notes_pushed += len(changed)
        mods = self._mods([anki_note.id for _note, anki_note in pairs])
        self.links.link_notes(
            NoteLink(n.id, n.guid, a.id, to_db_time(n.modified_at or self.now), mods[a.id])
            for n, a in pairs
            if a.id in mods
        )

    # -- reviews ---------------------------------------------------------------------------

    def _scheduler(self, deck_id: int) -> Any:
        scheduler = self._schedulers.get(deck_id)
        if scheduler is None:
            preset = self.store.preset_for_deck(deck_id)
            scheduler = self._schedulers[deck_id] = settings_for(preset, self.config).scheduler()
        return scheduler

    def _card_pairs(self) -> dict[int, int]:
        """Ponder card id -> Anki card id, for every linked note (matched by ord)."""
        pairs: dict[int, int] = {}
        for link in self.links.notes().values():
            for ord_, card in self.p_cards.get(link.note_id, {}).items():
                found = self.a_cards.get((link.anki_note_id, ord_))
                if found is not None:
                    pairs[card.id] = found[0]
        return pairs

    def merge_reviews(self, watermark: datetime | None) -> set[int]:
        """Push and pull reviews; returns the Ponder card ids whose log grew on either side."""
        self.progress("Merging reviews", 0, 1)
        self._load_ponder()
        self._load_anki()
        pairs = self._card_pairs()
        by_anki = {anki_id: card_id for card_id, anki_id in pairs.items()}
        known = self.links.reviews()
        known_stamps = {(link.card_id, link.reviewed_at) for link in known.values()}
        revlog: dict[int, tuple[int, int]] = {}
        for rid, cid, ease, _time, _type in self.col.db.all(
            "select r.id, r.cid, r.ease, r.time, r.type from revlog r join cards c on"
            f" c.id = r.cid join notes n on n.id = c.nid where n.mid in ({self._marks()})"
        ):
            revlog[rid] = (cid, ease)
            if rid in known or cid not in by_anki or not 1 <= ease <= 4 or _type > 3:
                continue
            self._pending_pull.setdefault(by_anki[cid], []).append(
                (rid, Answer(ease, _from_ms(rid), _time))
            )
        touched = set(self._pending_pull)
        self._pull_reviews(pairs)
        self.check()
        full_scan = watermark is None or bool(self.newly_linked)
        since = None if full_scan else watermark
        touched |= self._push_reviews(pairs, known, known_stamps, revlog, since)
        self.progress("Merging reviews", 1, 1)
        return touched

    def _pull_reviews(self, pairs: dict[int, int]) -> None:
        total = len(self._pending_pull)
        for done, (card_id, entries) in enumerate(sorted(self._pending_pull.items()), start=1):
            self._pull_card(card_id, entries)
            if done % 50 == 0 or done == total:
                self.progress("Taking in Anki reviews", done, total)
                self.check()

    def _pull_card(self, card_id: int, entries: list[tuple[int, Answer]]) -> None:
        card = self.store.get_card(card_id)
        if card is None:
            return
        logs = self.store.review_logs(card_id)
        present = {to_db_time(log.reviewed_at) for log in logs}
        links = [ReviewLink(rid, card_id, to_db_time(a.reviewed_at)) for rid, a in entries]
        fresh = [(rid, a) for rid, a in entries if to_db_time(a.reviewed_at) not in present]
        if fresh:
            answers = [Answer(log.rating, log.reviewed_at, log.duration_ms) for log in logs]
            new_answers = [answer for _rid, answer in fresh]
            after, befores = replay(card, answers + new_answers, self._scheduler(card.deck_id))
            wanted = {id(answer) for answer in new_answers}
            imported = [
                ImportedReview(a.rating, a.reviewed_at, a.duration_ms, before)
                for a, before in befores
                if id(a) in wanted
            ]
            try:
                self.store.add_reviews(card, imported, after, now=self.now)
            except StaleCard:
                self.counts.skipped += len(fresh)  # reviewed meanwhile: next sync
                return
            self.counts.reviews_pulled += len(fresh)
        self.links.link_reviews(links)

    def _push_reviews(
        self,
        pairs: dict[int, int],
        known: dict[int, ReviewLink],
        known_stamps: set[tuple[int, str]],
        revlog: dict[int, tuple[int, int]],
        since: datetime | None,
    ) -> set[int]:
        by_card: dict[int, list[ReviewLog]] = defaultdict(list)
        for log in self.store.iter_review_logs(since=since):
            if log.card_id in pairs:
                by_card[log.card_id].append(log)
        # Links whose revlog row never reached the bridge (a run killed in between).
        missing = [
            link for rid, link in known.items() if rid not in revlog and link.card_id in pairs
        ]
        for link in missing:
            if link.card_id not in by_card:
                by_card[link.card_id] = self.store.review_logs(link.card_id)
        missing_ids = {(link.card_id, link.reviewed_at): link.revlog_id for link in missing}
        candidates: list[tuple[ReviewLog, int]] = []  # (log, index in its card's list)
        for card_id, logs in by_card.items():
            logs.sort(key=lambda log: (log.reviewed_at, log.id))
            for index, log in enumerate(logs):
                key = (card_id, to_db_time(log.reviewed_at))
                if key in missing_ids or key not in known_stamps:
                    candidates.append((log, index))
        if not candidates:
            return set()
        taken = self._taken_ids([_ms(log.reviewed_at) for log, _i in candidates]) | set(known)
        taken |= set(revlog)
        new_links: list[ReviewLink] = []
        rows: list[tuple[Any, ...]] = []
        for log, index in candidates:
            card_id = log.card_id
            anki_card = pairs[card_id]
            stamp = to_db_time(log.reviewed_at)
            rid = missing_ids.get((card_id, stamp))
            if rid is None:
                own = _ms(log.reviewed_at)
                same = [
                    own + k
                    for k in range(ID_SLACK)
                    if revlog.get(own + k) == (anki_card, log.rating) and own + k not in known
                ]
                if same:  # already in Anki (its link was lost): link it, never add twice
                    new_links.append(ReviewLink(same[0], card_id, stamp))
                    continue
                rid = own
                while rid in taken:
                    rid += 1
                taken.add(rid)
                new_links.append(ReviewLink(rid, card_id, stamp))
            rows.append(self._revlog_row(rid, anki_card, log, by_card[card_id], index))
        # The link first: a run killed after it re-inserts the row; never the other way.
        self.links.link_reviews(new_links)
        if rows:
            db = self.col.db
            db.transact(
                lambda: db.executemany(
                    "insert or ignore into revlog (id, cid, usn, ease, ivl, lastIvl, factor,"
                    " time, type) values (?, ?, -1, ?, ?, ?, ?, ?, ?)",
                    rows,
                )
            )
        self.counts.reviews_pushed += len(rows)
        return {log.card_id for log, _index in candidates}

    def _taken_ids(self, own: list[int]) -> set[int]:
        wanted = sorted({ms + k for ms in own for k in range(ID_SLACK)})
        found: set[int] = set()
        for chunk in _chunks(wanted, 900):
            marks = ",".join(str(int(i)) for i in chunk)
            found.update(self.col.db.list(f"select id from revlog where id in ({marks})"))
        return found

    def _revlog_row(
        self, rid: int, anki_card: int, log: ReviewLog, logs: list[ReviewLog], index: int
    ) -> tuple[Any, ...]:
        before = log.state_before
        if index + 1 < len(logs):
            after = logs[index + 1].state_before
            due = _parse(after.get("due"))
        else:
            card = self.store.get_card(log.card_id)
            due = card.due if card is not None else None
        last_due = _parse(before.get("due"))
        last_review = _parse(before.get("last_review"))
        last_ivl = revlog_interval(last_review, last_due) if last_review else 0
        prior = int(before.get("state", 0))
        return (
            rid,
            anki_card,
            int(log.rating),
            revlog_interval(log.reviewed_at, due),
            last_ivl,
            2500 if prior == 2 else 0,
            min(60000, max(0, int(log.duration_ms or 0))),
            revlog_type(prior),
        )

    # -- scheduling and decks --------------------------------------------------------------

    def push_schedules(self, card_ids: set[int]) -> None:
        pairs = self._card_pairs()
        day = AnkiDay.of(self.col)
        changed = []
        todo = sorted(card_id for card_id in card_ids if card_id in pairs)
        for done, card_id in enumerate(todo, start=1):
            card = self.store.get_card(card_id)
            if card is None:
                continue
            anki_card = self.col.get_card(pairs[card_id])
            if apply_schedule(anki_card, card, day, self.now, self.rollover):
                changed.append(anki_card)
            if done % 500 == 0:
                self.progress("Setting Anki's schedule", done, len(todo))
                self.check()
        for chunk in _chunks(changed):
            self.col.update_cards(chunk, skip_undo_entry=True)

    def push_decks(self) -> None:
        """Each Anki card in the deck its Ponder card is in (same full name)."""
        pairs = self._card_pairs()
        deck_names = {int(d.id): d.name for d in self.col.decks.all_names_and_ids()}
        anki_deck = {cid: did for (cid, did) in self.a_cards.values()}
        moves: dict[str, list[int]] = defaultdict(list)
        for card_id, anki_id in pairs.items():
            wanted = self.p_deck.get(card_id)
            current = deck_names.get(anki_deck.get(anki_id, -1), "")
            if wanted and wanted.lower() != current.lower():
                moves[wanted].append(anki_id)
        for name, cards in moves.items():
            self.col.set_deck(cards, self._deck_id(name))


def _first_text(anki_note: _AnkiNote) -> str:
    return fields_to_text(anki_note.fields)[0]


def _parse(text: Any) -> datetime | None:
    from decks.models import from_db_time

    return from_db_time(text) if text else None


def run_merge(
    col: Collection,
    store: CardStore,
    config: Config,
    *,
    now: datetime,
    watermark: datetime | None,
    progress: Callable[[str, int, int], None],
    cancelled: Callable[[], bool],
) -> MergeCounts:
    """Notes, then reviews, then Anki's scheduling and decks. See the module docstring."""
    merger = Merger(col, store, config, now=now, progress=progress, cancelled=cancelled)
    merger.merge_notes()
    merger.check()
    touched = merger.merge_reviews(watermark)
    merger.check()
    merger.push_schedules(touched | _cards_of(merger, merger.newly_linked))
    merger.push_decks()
    return merger.counts


def _cards_of(merger: Merger, note_ids: set[int]) -> set[int]:
    return {
        card.id
        for note_id in note_ids
        for card in merger.p_cards.get(note_id, {}).values()
        if card.reps
    }
