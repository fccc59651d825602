"""The bridge collection's rows read and written in bulk, shared by the sync and the export.

Anki's Card and Note objects cost a backend call apiece (~0.5 ms): where only plain
columns change, both read and write them as rows, in chunks that fit SQLite's limits.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from anki.collection import Collection

CHUNK = 500


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


def anki_versions(col: Collection, anki_ids: list[int]) -> dict[int, tuple[int, int]]:
    """Anki note id -> (mod, usn) in the bridge."""
    found: dict[int, tuple[int, int]] = {}
    for chunk in chunks(anki_ids):
        for nid, mod, usn in col.db.all(
            f"select id, mod, usn from notes where id in ({id_list(chunk)})"
        ):
            found[int(nid)] = (int(mod), int(usn))
    return found
