"""The merge between Ponder's database and the bridge collection, after a pull, before a push.

Every step reconciles state instead of replaying events, so a run killed at any moment
leaves both sides consistent and the next run finishes the job:

- Notes: a link row per Ponder note made in Anki. A link whose Ponder note is gone deletes
  the Anki note; a link whose Anki note is gone (deleted on the phone) deletes the Ponder
  note. An unlinked Ponder note adopts the Anki note with its guid (left by a killed run or
  an .apkg import) or is created. When both sides changed a note since the last sync, the
  later modification wins. Notes of other note types are never read for changes, changed
  or deleted.
- Reviews (decks.anki_sync.reviews, which works on a Merger): an append-only union, each
  review exactly once.
- Scheduling: every card whose log grew takes Ponder's state into Anki (same due day), and
  every Anki card sits in the deck of the same name as its Ponder card's.

Loading is light (ids and modification times on both sides); whole notes are read only
for the ones that changed, so a sync with little to do stays fast on a large collection.
The steps run in that order from engine.run_merge.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from decks.anki_model import iter_export_notes, note_fields, source_field
from decks.anki_sync.bridge import (
    AnkiDay,
    apply_schedule,
    ensure_note_types,
    fields_to_text,
    split_fields,
    split_tags,
)
from decks.anki_sync.errors import SyncCancelled
from decks.anki_sync.links import NoteLink, SyncLinks
from decks.anki_sync.rows import CHUNK, UPDATE_CARD, anki_versions, card_rows, chunks, id_list
from decks.models import Card, Note, NoteKind, to_db_time
from decks.repository import CardStore, CardStoreError
from decks.scheduling import settings_for

if TYPE_CHECKING:
    from anki.collection import Collection

    from core.config import Config


@dataclass
class MergeCounts:
    notes_pushed: int = 0
    notes_pulled: int = 0
    reviews_pushed: int = 0
    reviews_pulled: int = 0
    deleted_in_anki: list[str] = field(default_factory=list)
    deleted_in_ponder: list[str] = field(default_factory=list)
    skipped: int = 0  # notes or reviews left for the next sync (changed under us, invalid)


class AnkiNoteMeta(NamedTuple):  # a tuple: one per Anki note of ours, on every sync
    id: int
    guid: str
    mid: int
    mod: int
    usn: int


def short(text: str, limit: int = 60) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


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
        self.notes_changed = False  # notes or cards created, edited or deleted on a side
        self._card_cache: dict[int, Card] = {}

    def check(self) -> None:
        if self.cancelled():
            raise SyncCancelled("Sync cancelled; what was merged so far is kept.")

    # -- loading (light) ---------------------------------------------------------------------

    def load_ponder(self) -> None:
        self.p_meta: dict[int, tuple[str, str]] = {}
        for note_id, guid, modified in self.store.note_stamps():
            self.p_meta[note_id] = (guid, modified)
        self.p_cards: dict[int, dict[int, int]] = defaultdict(dict)
        self.card_deck: dict[int, int] = {}
        self.card_note: dict[int, int] = {}
        for card_id, note_id, ord_, deck_id in self.store.card_keys():
            self.p_cards[note_id][ord_] = card_id
            self.card_deck[card_id] = deck_id
            self.card_note[card_id] = note_id
        self.deck_names = {deck.id: deck.name for deck in self.store.decks()}

    def marks(self) -> str:
        return id_list(self.mids.values())

    def load_anki(self, usn_from: int | None = None) -> None:
        """Ids of all of Ponder's notes in Anki; the mod/usn/guid of the ones that may have
        changed (usn at or past `usn_from`, or -1), or of all when `usn_from` is None."""
        db = self.col.db
        self.a_meta: dict[int, AnkiNoteMeta] = {}
        self.a_by_guid: dict[str, int] = {}
        self.all_guids = usn_from is None
        sql = f"select id, guid, mid, mod, usn from notes where mid in ({self.marks()})"
        if usn_from is None:
            rows = db.all(sql)
        else:
            rows = db.all(sql + " and (usn >= ? or usn = -1)", int(usn_from))
        self._add_meta(rows)
        if usn_from is None:
            self.a_ids = set(self.a_meta)
        else:
            self.a_ids = set(db.list(f"select id from notes where mid in ({self.marks()})"))
        self.load_anki_cards()

    def _add_meta(self, rows: Iterable[Any]) -> None:
        for meta in map(AnkiNoteMeta._make, rows):
            self.a_meta[meta.id] = meta
            self.a_by_guid.setdefault(meta.guid, meta.id)

    def ensure_meta(self, anki_ids: Iterable[int]) -> None:
        """Read mod/usn/guid of these Anki notes if not read yet."""
        wanted = [i for i in anki_ids if i not in self.a_meta and i in self.a_ids]
        for chunk in chunks(wanted):
            self._add_meta(
                self.col.db.all(
                    f"select id, guid, mid, mod, usn from notes where id in ({id_list(chunk)})"
                )
            )

    def by_guid(self, guids: list[str]) -> dict[str, int]:
        """Anki note ids of Ponder's note types with these guids (for adoption)."""
        if not self.all_guids:
            for chunk in chunks(guids, 400):
                marks = ",".join("?" * len(chunk))
                self._add_meta(
                    self.col.db.all(
                        "select id, guid, mid, mod, usn from notes"
                        f" where mid in ({self.marks()}) and guid in ({marks})",
                        *chunk,
                    )
                )
        return {guid: self.a_by_guid[guid] for guid in guids if guid in self.a_by_guid}

    def load_anki_cards(self) -> None:
        self.a_cards: dict[tuple[int, int], tuple[int, int]] = {}
        for cid, nid, ord_, did in self.col.db.all(
            "select c.id, c.nid, c.ord, c.did from cards c join notes n on n.id = c.nid"
            f" where n.mid in ({self.marks()})"
        ):
            self.a_cards[(nid, ord_)] = (cid, did)

    def card_pairs(self) -> dict[int, int]:
        """Ponder card id -> Anki card id, for every linked note (matched by ord)."""
        pairs: dict[int, int] = {}
        for note_id, anki_note_id in self.links.note_pairs():
            for ord_, card_id in self.p_cards.get(note_id, {}).items():
                found = self.a_cards.get((anki_note_id, ord_))
                if found is not None:
                    pairs[card_id] = found[0]
        return pairs

    def cards(self, card_ids: Iterable[int]) -> dict[int, Card]:
        """Ponder's cards by id, read in bulk once per run (pulled cards are read again)."""
        wanted = set(card_ids)
        for chunk in chunks(sorted(wanted - self._card_cache.keys())):
            self._card_cache.update(self.store.cards(chunk))
        return {
            card_id: self._card_cache[card_id] for card_id in wanted if card_id in self._card_cache
        }

    def forget_cards(self, card_ids: Iterable[int]) -> None:
        for card_id in card_ids:
            self._card_cache.pop(card_id, None)

    def full_notes(self, note_ids: Iterable[int]) -> dict[int, tuple[Note, str]]:
        """Whole notes (with the deck name of their first card), read in bulk."""
        first_cards = []
        for note_id in note_ids:
            cards = self.p_cards.get(note_id)
            if cards:
                first_cards.append(cards[min(cards)])
        return {
            view.note.id: (view.note, view.deck_name) for view in self.store.card_views(first_cards)
        }

    def anki_fields(self, anki_ids: Iterable[int]) -> dict[int, tuple[list[str], tuple[str, ...]]]:
        found: dict[int, tuple[list[str], tuple[str, ...]]] = {}
        for chunk in chunks(list(anki_ids)):
            for nid, flds, tags in self.col.db.all(
                f"select id, flds, tags from notes where id in ({id_list(chunk)})"
            ):
                found[nid] = (split_fields(flds), split_tags(tags))
        return found

    def scheduler(self, deck_id: int) -> Any:
        scheduler = self._schedulers.get(deck_id)
        if scheduler is None:
            preset = self.store.preset_for_deck(deck_id)
            scheduler = self._schedulers[deck_id] = settings_for(preset, self.config).scheduler()
        return scheduler

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
            title, timestamp, link = export.source_title, export.timestamp(), export.source_link()
        source = source_field(title, timestamp, link, self._passage(note))
        return note_fields(note.front, note.back, source)

    def _exports(self, wanted: set[int]) -> dict[int, Any]:
        if not wanted:
            return {}
        return {note.id: note for note in iter_export_notes(self.store.conn) if note.id in wanted}

    # -- notes -----------------------------------------------------------------------------

    def merge_notes(self, usn_from: int | None = None) -> None:
        self.progress("Merging notes", 0, 1)
        self.load_ponder()
        self.load_anki(usn_from)
        links = self.links.notes()
        foreign = self._existing_elsewhere(
            [link.anki_note_id for link in links.values() if link.anki_note_id not in self.a_ids]
        )
        unlink: list[int] = []
        delete_anki: list[int] = []
        delete_ponder: list[int] = []
        kept: dict[int, NoteLink] = {}
        for link in links.values():
            meta = self.p_meta.get(link.note_id)
            ponder_ok = meta is not None and meta[0] == link.guid
            in_anki = link.anki_note_id in self.a_ids
            if not ponder_ok:
                if in_anki:
                    delete_anki.append(link.anki_note_id)
                unlink.append(link.note_id)
            elif not in_anki:
                if link.anki_note_id not in foreign:
                    delete_ponder.append(link.note_id)
                unlink.append(link.note_id)
            else:
                kept[link.note_id] = link
        self._delete(delete_ponder, delete_anki)
        self.links.unlink_notes(unlink)
        self.notes_changed = bool(delete_ponder or delete_anki)
        self.check()
        adopt: list[tuple[int, int]] = []
        create: list[int] = []
        taken = {link.anki_note_id for link in kept.values()}
        unlinked = [(n, guid) for n, (guid, _modified) in self.p_meta.items() if n not in kept]
        guids = self.by_guid([guid for _n, guid in unlinked])
        for note_id, guid in unlinked:
            anki_id = guids.get(guid)
            if anki_id is not None and anki_id not in taken and anki_id not in delete_anki:
                adopt.append((note_id, anki_id))
                taken.add(anki_id)
            else:
                create.append(note_id)
        changed = [
            link
            for link in kept.values()
            if self.p_meta[link.note_id][1] != link.ponder_mod or self._anki_changed(link)
        ]
        self.ensure_meta(link.anki_note_id for link in changed)
        wanted = set(create) | {n for n, _a in adopt} | {link.note_id for link in changed}
        notes = self.full_notes(wanted)
        exports = self._exports(wanted)
        self._create([note_id for note_id in create if note_id in notes], notes, exports)
        self.check()
        self._edit(changed, adopt, notes, exports)
        self.progress("Merging notes", 1, 1)

    def _anki_changed(self, link: NoteLink) -> bool:
        meta = self.a_meta.get(link.anki_note_id)
        if meta is None:  # not touched since the last merge (its usn is older)
            return False
        return (meta.mod, meta.usn) != (link.anki_mod, link.anki_usn)

    def _delete(self, delete_ponder: list[int], delete_anki: list[int]) -> None:
        if delete_ponder:
            for note, _deck in self.full_notes(delete_ponder).values():
                self.counts.deleted_in_ponder.append(short(note.front))
            self.store.delete_notes(delete_ponder)
            for note_id in delete_ponder:
                self.p_meta.pop(note_id, None)
        if delete_anki:
            for fields, _tags in self.anki_fields(delete_anki).values():
                self.counts.deleted_in_anki.append(short(fields_to_text(fields)[0]))
            self.col.remove_notes(delete_anki)
            for anki_id in delete_anki:
                self.a_meta.pop(anki_id, None)
                self.a_ids.discard(anki_id)

    def _existing_elsewhere(self, anki_ids: list[int]) -> set[int]:
        """Of these Anki note ids, the ones that exist with a note type not Ponder's."""
        found: set[int] = set()
        for chunk in chunks(anki_ids):
            found.update(self.col.db.list(f"select id from notes where id in ({id_list(chunk)})"))
        return found

    def deck_id(self, name: str) -> int:
        return int(self.col.decks.id(name, create=True))

    def _create(
        self, note_ids: list[int], notes: dict[int, tuple[Note, str]], exports: dict[int, Any]
    ) -> None:
        from anki.collection import AddNoteRequest

        total = len(note_ids)
        models = {kind: self.col.models.get(mid) for kind, mid in self.mids.items()}
        decks: dict[str, int] = {}
        for done, chunk in enumerate(chunks(note_ids), start=1):
            requests = []
            for note_id in chunk:
                note, deck = notes[note_id]
                anki_note = self.col.new_note(models[note.kind.value])
                for index, value in enumerate(self._wanted_fields(note, exports.get(note_id))):
                    anki_note.fields[index] = value
                anki_note.tags = list(note.tags)
                anki_note.guid = note.guid
                if deck not in decks:
                    decks[deck] = self.deck_id(deck)
                requests.append(AddNoteRequest(note=anki_note, deck_id=decks[deck]))
            try:
                self.col.add_notes(requests)
                added = [(notes[n][0], r) for n, r in zip(chunk, requests, strict=True)]
            except Exception:  # one bad note must not stop the others: add one by one
                added = []
                for note_id, request in zip(chunk, requests, strict=True):
                    try:
                        self.col.add_note(request.note, request.deck_id)
                        added.append((notes[note_id][0], request))
                    except Exception:
                        self.counts.skipped += 1
            versions = self._versions([int(request.note.id) for _note, request in added])
            self.links.link_notes(
                NoteLink(
                    note.id,
                    note.guid,
                    int(request.note.id),
                    self.p_meta[note.id][1],
                    *versions[int(request.note.id)],
                )
                for note, request in added
            )
            self.newly_linked.update(note.id for note, _request in added)
            self.counts.notes_pushed += len(added)
            self.notes_changed = True
            self.progress("Adding notes to Anki", min(total, done * CHUNK), total)
            self.check()

    def _versions(self, anki_ids: list[int]) -> dict[int, tuple[int, int]]:
        """Anki note id -> (mod, usn) as the bridge has them now."""
        return anki_versions(self.col, anki_ids)

    def _edit(
        self,
        changed: list[NoteLink],
        adopt: list[tuple[int, int]],
        notes: dict[int, tuple[Note, str]],
        exports: dict[int, Any],
    ) -> None:
        fields = self.anki_fields(
            [link.anki_note_id for link in changed] + [anki_id for _n, anki_id in adopt]
        )
        push: list[tuple[Note, int]] = []
        relink: list[NoteLink] = []
        for link in changed:
            if link.note_id not in notes or link.anki_note_id not in fields:
                continue
            note = notes[link.note_id][0]
            meta = self.a_meta[link.anki_note_id]
            ponder_changed = self.p_meta[note.id][1] != link.ponder_mod
            anki_changed = self._anki_changed(link)
            ponder_later = (note.modified_at or self.now).timestamp() >= meta.mod
            if ponder_changed and (not anki_changed or ponder_later):
                push.append((note, meta.id))
            else:
                pulled = self._pull(note, meta, fields[meta.id])
                relink.append(
                    NoteLink(
                        pulled.id,
                        pulled.guid,
                        meta.id,
                        _stamp(pulled, self.now),
                        meta.mod,
                        meta.usn,
                    )
                )
        for note_id, anki_id in adopt:
            if note_id in notes and anki_id in fields:
                push.append((notes[note_id][0], anki_id))
                self.newly_linked.add(note_id)
        self._push_edits(push, fields, exports)
        self.links.link_notes(relink)

    def _pull(
        self, note: Note, meta: AnkiNoteMeta, content: tuple[list[str], tuple[str, ...]]
    ) -> Note:
        """Anki's version of the note into Ponder (when it differs); the note as it is now."""
        front, back = fields_to_text(content[0])
        tags = content[1]
        kind = NoteKind(self.kind_of_mid.get(meta.mid, note.kind.value))
        same_tags = {t.lower() for t in note.tags} == {t.lower() for t in tags}
        if front == note.front and back == note.back and kind == note.kind and same_tags:
            return note
        try:
            update = self.store.update_note(note.id, front=front, back=back, tags=tags, kind=kind)
        except CardStoreError:
            self.counts.skipped += 1  # e.g. a cloze without a cloze: Ponder keeps its text
            return note
        self.counts.notes_pulled += 1
        self.notes_changed = True
        return update.note

    def _push_edits(
        self,
        pairs: list[tuple[Note, int]],
        fields: dict[int, tuple[list[str], tuple[str, ...]]],
        exports: dict[int, Any],
    ) -> None:
        changed = []
        clozes: list[tuple[int, int]] = []  # (Ponder note, Anki note) of edited cloze notes
        for note, anki_id in pairs:
            wanted = self._wanted_fields(note, exports.get(note.id))
            current, tags = fields[anki_id]
            same_tags = {t.lower() for t in note.tags} == {t.lower() for t in tags}
            same_type = self.mids[note.kind.value] == self.a_meta[anki_id].mid
            if not same_type or (wanted == current[:3] and same_tags):
                continue  # changing a note's type in Anki needs a full sync: keep Anki's
            full = self.col.get_note(anki_id)
            for index, value in enumerate(wanted):
                full.fields[index] = value
            full.tags = list(note.tags)
            changed.append(full)
            if note.kind == NoteKind.CLOZE:
                clozes.append((note.id, anki_id))
        for chunk in chunks(changed):
            self.col.update_notes(chunk, skip_undo_entry=True)
        self._drop_gone_clozes(clozes)
        self.counts.notes_pushed += len(changed)
        self.notes_changed = self.notes_changed or bool(changed)
        versions = self._versions([anki_id for _note, anki_id in pairs])
        self.links.link_notes(
            NoteLink(note.id, note.guid, anki_id, self.p_meta[note.id][1], *versions[anki_id])
            for note, anki_id in pairs
            if anki_id in versions
        )

    def _drop_gone_clozes(self, clozes: list[tuple[int, int]]) -> None:
        """Anki keeps the card of a cloze number the text no longer has (an empty card);
        Ponder deleted it, so the Anki card goes too."""
        stale: list[int] = []
        for note_id, anki_id in clozes:
            ords = set(self.p_cards.get(note_id, {}))
            for card_id, ord_ in self.col.db.all(
                "select id, ord from cards where nid = ?", int(anki_id)
            ):
                if ords and ord_ not in ords:
                    stale.append(int(card_id))
        if stale:
            self.col.remove_cards_and_orphaned_notes(stale)

    # -- scheduling and decks --------------------------------------------------------------

    def push_schedules(self, card_ids: set[int], pairs: dict[int, int]) -> None:
        todo = sorted(card_id for card_id in card_ids if card_id in pairs)
        if not todo:
            return
        self.progress("Setting Anki's schedule", 0, len(todo))
        day = AnkiDay.of(self.col)
        cards = self.cards(todo)
        if day.fsrs:  # memory states live in Anki's card data: go through its API
            changed = []
            for card_id in todo:
                anki_card = self.col.get_card(pairs[card_id])
                card = cards.get(card_id)
                if card is not None and apply_schedule(
                    anki_card, card, day, self.now, self.rollover
                ):
                    changed.append(anki_card)
            for chunk in chunks(changed):
                self.col.update_cards(chunk, skip_undo_entry=True)
        else:  # plain columns: read and write them in bulk (usn -1 so the push sends them)
            rows = card_rows(self.col, [pairs[card_id] for card_id in todo])
            updates = []
            stamp = int(self.now.timestamp())
            for card_id in todo:
                row, card = rows.get(pairs[card_id]), cards.get(card_id)
                if row is None or card is None:
                    continue
                if apply_schedule(row, card, day, self.now, self.rollover):
                    updates.append(row.values(stamp))
            db = self.col.db
            db.transact(lambda: db.executemany(UPDATE_CARD, updates))
        self.progress("Setting Anki's schedule", len(todo), len(todo))
        self.check()

    def push_decks(self, pairs: dict[int, int]) -> None:
        """Each Anki card in the deck its Ponder card is in (same full name)."""
        deck_names = {int(d.id): d.name for d in self.col.decks.all_names_and_ids()}
        anki_deck = {cid: did for (cid, did) in self.a_cards.values()}
        moves: dict[str, list[int]] = defaultdict(list)
        for card_id, anki_id in pairs.items():
            wanted = self.deck_names.get(self.card_deck.get(card_id, -1))
            current = deck_names.get(anki_deck.get(anki_id, -1), "")
            if wanted and wanted.lower() != current.lower():
                moves[wanted].append(anki_id)
        for name, cards in moves.items():
            self.col.set_deck(cards, self.deck_id(name))


def _stamp(note: Note, now: datetime) -> str:
    return to_db_time(note.modified_at or now)


__all__ = ["MergeCounts", "Merger"]
