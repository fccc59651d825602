"""The bridge collection's rows read and written in bulk, shared by the sync and the export.

Anki's Card and Note objects cost a backend call apiece (~0.5 ms): where only plain
columns change, both read and write them as rows (cards' scheduling columns, revlog rows),
in chunks that fit SQLite's limits. The statements are plain SQL, so the export can run
them with Python's sqlite3 on a closed collection and the sync through `col.db`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from core.clock import to_utc

if TYPE_CHECKING:
    from anki.collection import Collection

CHUNK = 500
CARD_COLUMNS = "id, type, queue, due, ivl, factor, reps, lapses, left"
# usn -1: the next sync sends the card (a fresh collection's cards are at -1 already).
UPDATE_CARD = (
    "update cards set type = ?, queue = ?, due = ?, ivl = ?, factor = ?,"
    " reps = ?, lapses = ?, left = ?, mod = ?, usn = -1 where id = ?"
)
# after "insert" or "insert or ignore"; the rows are `revlog_row`'s
INTO_REVLOG = (
    "into revlog (id, cid, usn, ease, ivl, lastIvl, factor, time, type)"
    " values (?, ?, -1, ?, ?, ?, ?, ?, ?)"
)


def chunks(items: list[Any], size: int = CHUNK) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def id_list(ids: Iterable[int]) -> str:
    """Integers for an SQL IN list (the bridge's query API takes no list parameters)."""
    return ",".join(str(int(i)) for i in ids)


@dataclass
class CardRow:
    """An Anki card's scheduling columns, for `apply_schedule` without Anki's Card object."""

    id: int
    type: int
    queue: int
    due: int
    ivl: int
    factor: int
    reps: int
    lapses: int
    left: int
    memory_state: Any = None
    last_review_time: int | None = None

    def values(self, mod: int) -> tuple[int, ...]:
        return (
            self.type,
            self.queue,
            self.due,
            self.ivl,
            self.factor,
            self.reps,
            self.lapses,
            self.left,
            mod,
            self.id,
        )


def card_rows(col: Collection, anki_ids: list[int] | None = None) -> dict[int, CardRow]:
    """Anki card id -> its scheduling columns, for these cards (None: every card)."""
    select = f"select {CARD_COLUMNS} from cards"
    if anki_ids is None:
        return {int(row[0]): CardRow(*row) for row in col.db.all(select)}
    rows: dict[int, CardRow] = {}
    for chunk in chunks(anki_ids, 900):
        for row in col.db.all(f"{select} where id in ({id_list(chunk)})"):
            rows[int(row[0])] = CardRow(*row)
    return rows


def revlog_ivl(seconds: float | None) -> int:
    """Anki's revlog interval for a review that set the card due `seconds` later: days when
    a day or more, else negative seconds (0 when unknown)."""
    if seconds is None:
        return 0
    if seconds >= 86400:
        return round(seconds / 86400)
    return -max(1, int(seconds))


def revlog_interval(reviewed_at: datetime, due: datetime | None) -> int:
    """`revlog_ivl` between a review and the due it set."""
    if due is None:
        return 0
    return revlog_ivl((to_utc(due) - to_utc(reviewed_at)).total_seconds())


_REVLOG_TYPES = {0: 0, 1: 0, 2: 1, 3: 2}


def revlog_type(prior_state: int) -> int:
    """Anki revlog type from the card's state before: 0 learn, 1 review, 2 relearn."""
    return _REVLOG_TYPES.get(int(prior_state), 0)


def revlog_row(
    rid: int, cid: int, rating: int, ivl: int, last_ivl: int, prior: int, duration_ms: int
) -> tuple[int, ...]:
    """One revlog row for INTO_REVLOG: a Ponder review of Anki card `cid` (`prior`: the
    card's state before it; a review card's factor is Anki's default 2500)."""
    return (
        rid,
        cid,
        rating,
        ivl,
        last_ivl,
        2500 if prior == 2 else 0,
        min(60000, max(0, duration_ms)),
        revlog_type(prior),
    )


def anki_versions(col: Collection, anki_ids: list[int]) -> dict[int, tuple[int, int]]:
    """Anki note id -> (mod, usn) in the bridge."""
    found: dict[int, tuple[int, int]] = {}
    for chunk in chunks(anki_ids):
        for nid, mod, usn in col.db.all(
            f"select id, mod, usn from notes where id in ({id_list(chunk)})"
        ):
            found[int(nid)] = (int(mod), int(usn))
    return found
