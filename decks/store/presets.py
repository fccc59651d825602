"""Presets (deck option groups): scheduling settings and fitted FSRS parameters."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from core import clock
from core.db import transaction
from decks.models import (
    DEFAULT_PRESET_ID,
    Preset,
    to_db_time,
)
from decks.store.base import StoreBase
from decks.store.rows import _preset_from_row
from decks.store.values import CardStoreError

_PRESET_FIELDS = (
    "desired_retention",
    "learning_steps",
    "relearning_steps",
    "maximum_interval",
    "new_per_day",
    "reviews_per_day",
)


class PresetStore(StoreBase):
    """Presets: read, create, update, and the fitted parameters."""

    def presets(self) -> list[Preset]:
        rows = self.conn.execute("SELECT * FROM presets ORDER BY id")
        return [_preset_from_row(row) for row in rows]

    def preset(self, preset_id: int) -> Preset | None:
        row = self.conn.execute("SELECT * FROM presets WHERE id = ?", (preset_id,)).fetchone()
        return _preset_from_row(row) if row else None

    def preset_for_deck(self, deck_id: int | None) -> Preset:
        """The deck's preset; the default preset for None (all decks) or an unknown deck."""
        row = None
        if deck_id is not None:
            row = self.conn.execute(
                "SELECT p.* FROM presets p JOIN decks d ON d.preset_id = p.id WHERE d.id = ?",
                (deck_id,),
            ).fetchone()
        if row is None:
            row = self.conn.execute(
                "SELECT * FROM presets WHERE id = ?", (DEFAULT_PRESET_ID,)
            ).fetchone()
        if row is None:  # the default preset row was deleted by hand
            return Preset(id=DEFAULT_PRESET_ID, name="Default")
        return _preset_from_row(row)

    def create_preset(self, name: str, **values: Any) -> Preset:
        """A new preset; values as in `update_preset`."""
        name = " ".join(name.split())
        if not name:
            raise CardStoreError("A preset needs a name.")
        with transaction(self.conn):
            if self.conn.execute("SELECT 1 FROM presets WHERE name = ?", (name,)).fetchone():
                raise CardStoreError(f"A preset named {name!r} already exists.")
            cursor = self.conn.execute("INSERT INTO presets (name) VALUES (?)", (name,))
            preset_id = int(cursor.lastrowid or 0)
            self._update_preset(preset_id, values)
        preset = self.preset(preset_id)
        assert preset is not None
        return preset

    def update_preset(self, preset_id: int, **values: Any) -> Preset:
        """Set preset values (desired_retention, learning_steps (list or '1m 10m'),
        relearning_steps, maximum_interval, new_per_day, reviews_per_day); None = config."""
        with transaction(self.conn):
            self._update_preset(preset_id, values)
        preset = self.preset(preset_id)
        if preset is None:
            raise CardStoreError(f"No preset {preset_id}.")
        return preset

    def _update_preset(self, preset_id: int, values: dict[str, Any]) -> None:
        for name, value in values.items():
            if name not in _PRESET_FIELDS:
                raise CardStoreError(f"Unknown preset setting {name!r}.")
            if name.endswith("steps") and value is not None and not isinstance(value, str):
                value = " ".join(str(v) for v in value)
            self.conn.execute(f"UPDATE presets SET {name} = ? WHERE id = ?", (value, preset_id))

    def set_preset_parameters(
        self,
        preset_id: int,
        parameters: Sequence[float] | None,
        optimized_at: datetime | None = None,
    ) -> None:
        """Store fitted FSRS parameters (None = back to the defaults)."""
        if parameters is not None and len(parameters) != 21:
            raise CardStoreError("FSRS parameters are 21 numbers.")
        payload = None if parameters is None else json.dumps([float(p) for p in parameters])
        stamp = None
        if parameters is not None:
            stamp = to_db_time(optimized_at or clock.now())
        with transaction(self.conn):
            self.conn.execute(
                "UPDATE presets SET parameters = ?, optimized_at = ? WHERE id = ?",
                (payload, stamp, preset_id),
            )
