"""Notes and their cards: create (one or in bulk), read, edit, delete."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime

from core import clock
from core.db import transaction
from decks.models import (
    DEFAULT_DECK,
    Card,
    CardView,
    Deck,
    Note,
    NoteKind,
    SourceRef,
    deck_name_for_title,
    normalise_tags,
    to_db_time,
)
from decks.store.decks import DeckStore
from decks.store.rows import (
    _VIEW_SELECT,
    _card_from_row,
    _chunks,
    _note_from_row,
    _placeholders,
    _view_from_row,
)
from decks.store.values import (
    CardStoreError,
    CreatedNote,
    NoteDraft,
    NoteUpdate,
    _check_note,
    card_ords,
    new_guid,
)


class NoteStore(DeckStore):
    """Notes, the cards each note makes, and reading cards back as views."""

    def _source_title(self, source_id: int) -> str:
        row = self.conn.execute("SELECT title FROM sources WHERE id = ?", (source_id,)).fetchone()
        if row is None:
            raise CardStoreError(f"No transcript with id {source_id}.")
        return str(row["title"])

    def default_deck_name(self, source: SourceRef | None) -> str:
        """Cards go to a deck named after their transcript; hand-typed ones to Default."""
        if source is None:
            return DEFAULT_DECK
        if source.source_title:
            return deck_name_for_title(source.source_title)
        if source.source_id is not None:
            return deck_name_for_title(self._source_title(source.source_id))
        return DEFAULT_DECK

    def _complete_source(self, source: SourceRef | None) -> SourceRef | None:
        """Fill the title snapshot (and a start time from the first segment) if missing."""
        if source is None or source.source_id is None:
            return source
        title = source.source_title or self._source_title(source.source_id)
        start_s = source.start_s
        if start_s is None and source.first_segment is not None:
            row = self.conn.execute(
                "SELECT start FROM segments WHERE source_id = ? AND idx = ?",
                (source.source_id, source.first_segment),
            ).fetchone()
            start_s = row["start"] if row else None
        if source.highlight_id is not None:
            row = self.conn.execute(
                "SELECT source_id FROM highlights WHERE id = ?", (source.highlight_id,)
            ).fetchone()
            if row is None or row["source_id"] != source.source_id:
                raise CardStoreError(
                    f"No highlight {source.highlight_id} in transcript {source.source_id}."
                )
        return replace(source, source_title=title, start_s=start_s)

    def create_note(
        self,
        kind: NoteKind | str,
        front: str,
        back: str = "",
        *,
        deck: str | int | Deck | None = None,
        tags: Iterable[str] | str = (),
        source: SourceRef | None = None,
        now: datetime | None = None,
    ) -> CreatedNote:
        """A note and its cards, in one transaction. Default deck: named after the source."""
        try:
            kind = NoteKind(kind)
        except ValueError:
            raise CardStoreError(f"Unknown note kind {kind!r} (basic, reversed, cloze).") from None
        _check_note(kind, front, back)
        ords = card_ords(kind, front)
        now = now or clock.now()
        with transaction(self.conn):
            source = self._complete_source(source)
            if deck is None:
                target = self._ensure_deck(self.default_deck_name(source), now)
            elif isinstance(deck, str):
                target = self._ensure_deck(deck, now)
            else:
                target = self.resolve_deck(deck)
            note_id = self._insert_note(kind, front, back, normalise_tags(tags), source, now)
            self._insert_cards(note_id, ords, target.id, now)
        view_note = self.note(note_id)
        assert view_note is not None
        return CreatedNote(view_note, self.cards_of_note(note_id), target)

    def _insert_note(
        self,
        kind: NoteKind,
        front: str,
        back: str,
        tags: Sequence[str],
        source: SourceRef | None,
        now: datetime,
        guid: str | None = None,
    ) -> int:
        stamp = to_db_time(now)
        src = source or SourceRef(None)
        if guid is None or self._guid_taken(guid):
            guid = new_guid()
        cursor = self.conn.execute(
            "INSERT INTO notes (guid, kind, front, back, source_id, source_title, first_segment,"
            " last_segment, start_s, highlight_id, created_at, modified_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                guid,
                kind.value,
                front,
                back,
                src.source_id,
                src.source_title,
                src.first_segment,
                src.last_segment,
                src.start_s,
                src.highlight_id,
                stamp,
                stamp,
            ),
        )
        note_id = int(cursor.lastrowid or 0)
        self.conn.executemany(
            "INSERT OR IGNORE INTO note_tags (note_id, tag) VALUES (?, ?)",
            [(note_id, tag) for tag in tags],
        )
        return note_id

    def _guid_taken(self, guid: str) -> bool:
        return (
            self.conn.execute("SELECT 1 FROM notes WHERE guid = ?", (guid,)).fetchone() is not None
        )

    def _insert_cards(
        self, note_id: int, ords: Iterable[int], deck_id: int, now: datetime
    ) -> list[int]:
        stamp = to_db_time(now)
        ids = []
        for ord_ in ords:
            cursor = self.conn.execute(
                "INSERT INTO cards (note_id, ord, deck_id, state, due, created_at, modified_at)"
                " VALUES (?, ?, ?, 0, ?, ?, ?)",
                (note_id, ord_, deck_id, stamp, stamp, stamp),
            )
            ids.append(int(cursor.lastrowid or 0))
        return ids

    def create_notes_bulk(
        self, drafts: Iterable[NoteDraft], now: datetime | None = None
    ) -> list[int]:
        """Many notes in one transaction (imports, benchmarks); returns the note ids.

        Validates every draft first, so a bad one stops the batch before anything is written.
        """
        now = now or clock.now()
        prepared = []
        for number, draft in enumerate(drafts, start=1):
            try:
                kind = NoteKind(draft.kind)
                _check_note(kind, draft.front, draft.back)
                ords = card_ords(kind, draft.front)
            except (CardStoreError, ValueError) as error:
                raise CardStoreError(f"Note {number}: {error}") from None
            prepared.append((draft, kind, ords))
        note_ids: list[int] = []
        deck_cache: dict[str, int] = {}
        with transaction(self.conn):
            for draft, kind, ords in prepared:
                source = self._complete_source(draft.source)
                name = draft.deck or self.default_deck_name(source)
                deck_id = deck_cache.get(name)
                if deck_id is None:
                    deck_id = deck_cache[name] = self._ensure_deck(name, now).id
                created = draft.created_at or now
                note_id = self._insert_note(
                    kind,
                    draft.front,
                    draft.back,
                    normalise_tags(draft.tags),
                    source,
                    created,
                    draft.guid,
                )
                stamp = to_db_time(created)
                self.conn.executemany(
                    "INSERT INTO cards (note_id, ord, deck_id, state, due, created_at,"
                    " modified_at) VALUES (?, ?, ?, 0, ?, ?, ?)",
                    [(note_id, ord_, deck_id, stamp, stamp, stamp) for ord_ in ords],
                )
                note_ids.append(note_id)
        return note_ids

    def note(self, note_id: int) -> Note | None:
        row = self.conn.execute("SELECT * FROM notes WHERE id = ?", (note_id,)).fetchone()
        if row is None:
            return None
        return _note_from_row(row, tags=self.tags_of(note_id))

    def tags_of(self, note_id: int) -> tuple[str, ...]:
        rows = self.conn.execute("SELECT tag FROM note_tags WHERE note_id = ?", (note_id,))
        return tuple(sorted((row[0] for row in rows), key=str.lower))

    def get_card(self, card_id: int) -> Card | None:
        row = self.conn.execute("SELECT * FROM cards WHERE id = ?", (card_id,)).fetchone()
        return _card_from_row(row) if row else None

    def cards(self, card_ids: Sequence[int]) -> dict[int, Card]:
        """These cards by id (missing ones left out), without their notes: for bulk work
        that needs only the schedule (card_views reads each note and its tags too)."""
        found: dict[int, Card] = {}
        for chunk in _chunks(list(card_ids)):
            rows = self.conn.execute(
                f"SELECT * FROM cards WHERE id IN ({_placeholders(len(chunk))})", list(chunk)
            )
            for row in rows:
                found[row["id"]] = _card_from_row(row)
        return found

    def cards_of_note(self, note_id: int) -> list[Card]:
        rows = self.conn.execute("SELECT * FROM cards WHERE note_id = ? ORDER BY ord", (note_id,))
        return [_card_from_row(row) for row in rows]

    def note_stamps(self) -> list[tuple[int, str, str]]:
        """(note id, guid, modified_at as stored) of every note: a cheap "what changed"
        scan for sync, without building Note objects."""
        rows = self.conn.execute("SELECT id, guid, modified_at FROM notes")
        return [(row[0], row[1], row[2]) for row in rows]

    def card_keys(self) -> list[tuple[int, int, int, int]]:
        """(card id, note id, ord, deck id) of every card, cheaply (for sync)."""
        rows = self.conn.execute("SELECT id, note_id, ord, deck_id FROM cards")
        return [(row[0], row[1], row[2], row[3]) for row in rows]

    def card_view(self, card_id: int) -> CardView | None:
        row = self.conn.execute(_VIEW_SELECT + " WHERE c.id = ?", (card_id,)).fetchone()
        return _view_from_row(row) if row else None

    def card_views(self, card_ids: Sequence[int]) -> list[CardView]:
        """Views of these cards, in the order asked (missing ones skipped)."""
        found: dict[int, CardView] = {}
        for chunk in _chunks(list(card_ids)):
            rows = self.conn.execute(
                _VIEW_SELECT + f" WHERE c.id IN ({_placeholders(len(chunk))})", list(chunk)
            )
            for row in rows:
                found[row["id"]] = _view_from_row(row)
        return [found[card_id] for card_id in card_ids if card_id in found]

    def update_note(
        self,
        note_id: int,
        *,
        front: str | None = None,
        back: str | None = None,
        tags: Iterable[str] | str | None = None,
        kind: NoteKind | str | None = None,
        now: datetime | None = None,
    ) -> NoteUpdate:
        """Edit a note. Cards whose cloze number (or reverse side) disappears are deleted;
        new cloze numbers get new cards in the deck of the note's first card."""
        now = now or clock.now()
        with transaction(self.conn):
            note = self.note(note_id)
            if note is None:
                raise CardStoreError(f"No note {note_id}.")
            try:
                new_kind = NoteKind(kind) if kind is not None else note.kind
            except ValueError:
                raise CardStoreError(
                    f"Unknown note kind {kind!r} (basic, reversed, cloze)."
                ) from None
            new_front = note.front if front is None else front
            new_back = note.back if back is None else back
            _check_note(new_kind, new_front, new_back)
            wanted = set(card_ords(new_kind, new_front))
            self.conn.execute(
                "UPDATE notes SET kind = ?, front = ?, back = ?, modified_at = ? WHERE id = ?",
                (new_kind.value, new_front, new_back, to_db_time(now), note_id),
            )
            if tags is not None:
                self.conn.execute("DELETE FROM note_tags WHERE note_id = ?", (note_id,))
                self.conn.executemany(
                    "INSERT OR IGNORE INTO note_tags (note_id, tag) VALUES (?, ?)",
                    [(note_id, tag) for tag in normalise_tags(tags)],
                )
            existing = {card.ord: card for card in self.cards_of_note(note_id)}
            removed = [card.id for ord_, card in existing.items() if ord_ not in wanted]
            if removed:
                self.conn.execute(
                    f"DELETE FROM cards WHERE id IN ({_placeholders(len(removed))})", removed
                )
            added: list[int] = []
            missing = sorted(wanted - set(existing))
            if missing:
                deck_id = (
                    existing[min(existing)].deck_id
                    if existing
                    else self._ensure_deck(DEFAULT_DECK, now).id
                )
                added = self._insert_cards(note_id, missing, deck_id, now)
        updated = self.note(note_id)
        assert updated is not None
        return NoteUpdate(updated, added, removed)

    def delete_note(self, note_id: int) -> bool:
        """Delete a note with its cards and their review history."""
        with transaction(self.conn):
            cursor = self.conn.execute("DELETE FROM notes WHERE id = ?", (note_id,))
        return cursor.rowcount > 0

    def delete_notes(self, note_ids: Sequence[int]) -> int:
        deleted = 0
        with transaction(self.conn):
            for chunk in _chunks(list(note_ids)):
                cursor = self.conn.execute(
                    f"DELETE FROM notes WHERE id IN ({_placeholders(len(chunk))})", list(chunk)
                )
                deleted += cursor.rowcount
        return deleted

    def delete_cards(self, card_ids: Sequence[int]) -> int:
        """Delete cards (with their history); a note left without cards goes too."""
        deleted = 0
        with transaction(self.conn):
            note_ids: set[int] = set()
            for chunk in _chunks(list(card_ids)):
                marks = _placeholders(len(chunk))
                note_ids.update(
                    row[0]
                    for row in self.conn.execute(
                        f"SELECT note_id FROM cards WHERE id IN ({marks})", list(chunk)
                    )
                )
                cursor = self.conn.execute(f"DELETE FROM cards WHERE id IN ({marks})", list(chunk))
                deleted += cursor.rowcount
            self._delete_empty_notes(sorted(note_ids))
        return deleted
