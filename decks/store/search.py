"""Queries over cards: the review queue's candidates and the browse filter."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from core import clock
from decks.models import (
    LEECH_TAG,
    CardView,
    from_db_time,
    to_db_time,
)
from decks.store.decks import DeckStore
from decks.store.rows import (
    _VIEW_SELECT,
    _placeholders,
    _view_from_row,
    day_end,
)
from decks.store.values import (
    STATE_FILTERS,
    CardFilter,
    CardStoreError,
)

_ORDERS = {
    "created": "c.note_id {dir}, c.ord {dir}",
    "due": "c.state = 0 {dir}, c.due {dir}, c.id {dir}",
    "deck": "d.name COLLATE NOCASE {dir}, c.note_id {dir}, c.ord {dir}",
    "modified": "n.modified_at {dir}, c.id {dir}",
    "lapses": "c.lapses {dir}, c.id {dir}",
}


class SearchStore(DeckStore):
    """What the queue and the browser ask for, as SQL over the card indexes."""

    def _deck_clause(self, deck_ids: Sequence[int] | None) -> tuple[str, list[Any]]:
        if deck_ids is None:
            return "", []
        return f" AND deck_id IN ({_placeholders(len(deck_ids))})", list(deck_ids)

    def queue_candidates(
        self,
        kind: str,
        now: datetime,
        day_end: datetime,
        deck_ids: Sequence[int] | None,
        limit: int | None = None,
    ) -> list[tuple[int, datetime]]:
        """(card id, due) of unsuspended, unburied cards: kind 'learning' (due before the
        day ends), 'review' (due before the day ends) or 'new' (creation order)."""
        deck_clause, deck_params = self._deck_clause(deck_ids)
        now_text = to_db_time(now)
        bury = " AND (buried_until IS NULL OR buried_until <= ?)"
        if kind == "learning":
            sql = "SELECT id, due FROM cards WHERE state IN (1, 3) AND suspended = 0 AND due < ?"
            params: list[Any] = [to_db_time(day_end)]
        elif kind == "review":
            sql = "SELECT id, due FROM cards WHERE state = 2 AND suspended = 0 AND due < ?"
            params = [to_db_time(day_end)]
        elif kind == "new":
            sql = "SELECT id, due FROM cards WHERE state = 0 AND suspended = 0"
            params = []
        else:
            raise ValueError(kind)
        sql += bury + deck_clause + " ORDER BY due, id"
        params += [now_text, *deck_params]
        if limit is not None:
            sql += " LIMIT ?"
            params.append(max(0, limit))
        return [(row[0], from_db_time(row[1])) for row in self.conn.execute(sql, params)]  # type: ignore[misc]

    def next_due(self, after: datetime, deck_ids: Sequence[int] | None = None) -> datetime | None:
        """The earliest due time after `after` among scheduled (not new) cards."""
        deck_clause, deck_params = self._deck_clause(deck_ids)
        row = self.conn.execute(
            "SELECT MIN(due) FROM cards WHERE state > 0 AND suspended = 0 AND due > ?"
            + deck_clause,
            [to_db_time(after), *deck_params],
        ).fetchone()
        return from_db_time(row[0]) if row and row[0] else None

    def count_due_between(
        self, start: datetime | None, end: datetime, deck_ids: Sequence[int] | None = None
    ) -> int:
        """Scheduled, unsuspended cards with start <= due < end (start None = any past)."""
        deck_clause, deck_params = self._deck_clause(deck_ids)
        sql = "SELECT COUNT(*) FROM cards WHERE state > 0 AND suspended = 0 AND due < ?"
        params: list[Any] = [to_db_time(end)]
        if start is not None:
            sql += " AND due >= ?"
            params.append(to_db_time(start))
        row = self.conn.execute(sql + deck_clause, [*params, *deck_params]).fetchone()
        return int(row[0])

    # -- browse ---------------------------------------------------------------------------

    def _filter_sql(
        self, query: CardFilter, now: datetime, rollover_hour: int | None
    ) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []
        if query.deck_id is not None:
            ids = self.subdeck_ids(query.deck_id) if query.include_subdecks else [query.deck_id]
            clauses.append(f"c.deck_id IN ({_placeholders(len(ids))})")
            params.extend(ids)
        if query.card_ids is not None:
            ids = list(query.card_ids) or [-1]
            clauses.append(f"c.id IN ({_placeholders(len(ids))})")
            params.extend(ids)
        if query.note_id is not None:
            clauses.append("c.note_id = ?")
            params.append(query.note_id)
        if query.source_id is not None:
            clauses.append("n.source_id = ?")
            params.append(query.source_id)
        if query.tag:
            tag = query.tag.strip()
            clauses.append(
                "c.note_id IN (SELECT note_id FROM note_tags"
                " WHERE tag = ? OR tag LIKE ? ESCAPE '\\')"
            )
            params.extend([tag, _like_escape(tag) + "::%"])
        for word in _search_words(query.text):
            pattern = f"%{_like_escape(word)}%"
            clauses.append("(n.front LIKE ? ESCAPE '\\' OR n.back LIKE ? ESCAPE '\\')")
            params.extend([pattern, pattern])
        if query.state:
            state_sql, state_params = _state_clause(query.state, now, rollover_hour)
            clauses.append(state_sql)
            params.extend(state_params)
        where = " WHERE " + " AND ".join(clauses) if clauses else ""
        return where, params

    def search(
        self, query: CardFilter, now: datetime | None = None, rollover_hour: int | None = None
    ) -> list[CardView]:
        """Cards matching the filter, as views (see CardFilter). The `due` state filter
        needs `rollover_hour` (from the config) to know when today's study day ends."""
        now = now or clock.now()
        where, params = self._filter_sql(query, now, rollover_hour)
        order = _ORDERS.get(query.order, _ORDERS["created"]).format(
            dir="DESC" if query.descending else "ASC"
        )
        sql = _VIEW_SELECT + where + " ORDER BY " + order
        if query.limit is not None:
            sql += " LIMIT ? OFFSET ?"
            params.extend([max(0, query.limit), max(0, query.offset)])
        return [_view_from_row(row) for row in self.conn.execute(sql, params)]

    def count(
        self, query: CardFilter, now: datetime | None = None, rollover_hour: int | None = None
    ) -> int:
        now = now or clock.now()
        where, params = self._filter_sql(query, now, rollover_hour)
        sql = "SELECT COUNT(*) FROM cards c JOIN notes n ON n.id = c.note_id" + where
        return int(self.conn.execute(sql, params).fetchone()[0])


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _search_words(text: str) -> list[str]:
    """Words to find (all must occur); "quoted phrases" stay whole."""
    words: list[str] = []
    text = text.strip()
    while text:
        if text.startswith('"'):
            end = text.find('"', 1)
            if end == -1:
                end = len(text)
            phrase = text[1:end]
            if phrase.strip():
                words.append(phrase)
            text = text[end + 1 :].strip()
        else:
            word, _, text = text.partition(" ")
            if word:
                words.append(word)
            text = text.strip()
    return words


def _state_clause(state: str, now: datetime, rollover_hour: int | None) -> tuple[str, list[Any]]:
    now_text = to_db_time(now)
    unburied = "(c.buried_until IS NULL OR c.buried_until <= ?)"
    match state:
        case "new":
            return "c.state = 0 AND c.suspended = 0", []
        case "learning":
            return "c.state IN (1, 3) AND c.suspended = 0", []
        case "review":
            return "c.state = 2 AND c.suspended = 0", []
        case "suspended":
            return "c.suspended = 1", []
        case "buried":
            return "c.buried_until > ?", [now_text]
        case "leech":
            return "c.note_id IN (SELECT note_id FROM note_tags WHERE tag = ?)", [LEECH_TAG]
        case "due":
            end = to_db_time(day_end(now, rollover_hour))
            return f"c.state > 0 AND c.suspended = 0 AND c.due < ? AND {unburied}", [end, now_text]
        case "due_now":
            return f"c.state > 0 AND c.suspended = 0 AND c.due <= ? AND {unburied}", [
                now_text,
                now_text,
            ]
    raise CardStoreError(f"Unknown card state {state!r} (one of {', '.join(STATE_FILTERS)}).")


def bury_until(now: datetime, rollover_hour: int) -> datetime:
    """Buried cards come back when the next study day starts."""
    from core.clock import next_study_day_start

    return next_study_day_start(now, rollover_hour)
