"""What Ponder's notes are in Anki, shared by the .apkg export and the sync's bridge.

Ponder's three note types (names, fields, templates, CSS; hard-coded ids for the export),
stable deck ids, a note's fields with its Source field, and `ExportNote`, a note as both
read it from Ponder's database. Both build on this module; it imports neither, so the
export and the sync never import each other for a shared definition.

Trap (checked): changing the fields or templates of a note type that was synced makes
the next sync demand a full sync, and a re-imported package whose note type differs
conflicts. Never edit these definitions in place; add a note type instead.
"""

from __future__ import annotations

import hashlib
import html
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from core.youtube import watch_url
from decks.anki_text import text_to_html

if TYPE_CHECKING:
    from anki.collection import Collection

# Hard-coded so Anki recognises the note types on every import (never change them).
BASIC_MODEL_ID = 1_707_400_001
REVERSED_MODEL_ID = 1_707_400_002
CLOZE_MODEL_ID = 1_707_400_003
MODEL_IDS = {"basic": BASIC_MODEL_ID, "reversed": REVERSED_MODEL_ID, "cloze": CLOZE_MODEL_ID}
EXPORT_CHUNK = 2000
# Characters of the passage in the Source field, exported or synced alike: a note must not
# change in Anki (and come back as an edit) only because it went the other way.
PASSAGE_CHARS = 1200

CSS = """.card {
  font-family: arial;
  font-size: 20px;
  text-align: center;
  color: black;
  background-color: white;
}
.source { font-size: 14px; color: #777; margin-top: 1.5em; }
.source a { color: #777; }
.passage { font-style: italic; }
.cloze { font-weight: bold; color: blue; }
.nightMode .cloze { color: lightblue; }
"""
SOURCE_BLOCK = '{{#Source}}<div class="source">{{Source}}</div>{{/Source}}'


@dataclass(frozen=True, slots=True)
class NoteTypeSpec:
    """One of Ponder's note types: name, fields, templates (name, question, answer)."""

    kind: str
    name: str
    fields: tuple[str, str, str]
    templates: tuple[tuple[str, str, str], ...]
    cloze: bool = False


_BACK = "{{FrontSide}}\n\n<hr id=answer>\n\n{{Back}}\n" + SOURCE_BLOCK
NOTE_TYPES: dict[str, NoteTypeSpec] = {
    "basic": NoteTypeSpec(
        "basic", "Ponder Basic", ("Front", "Back", "Source"), (("Card 1", "{{Front}}", _BACK),)
    ),
    "reversed": NoteTypeSpec(
        "reversed",
        "Ponder Basic (and reversed card)",
        ("Front", "Back", "Source"),
        (
            ("Card 1", "{{Front}}", _BACK),
            (
                "Card 2",
                "{{Back}}",
                "{{FrontSide}}\n\n<hr id=answer>\n\n{{Front}}\n" + SOURCE_BLOCK,
            ),
        ),
    ),
    "cloze": NoteTypeSpec(
        "cloze",
        "Ponder Cloze",
        ("Text", "Back Extra", "Source"),
        (("Cloze", "{{cloze:Text}}", "{{cloze:Text}}<br>\n{{Back Extra}}\n" + SOURCE_BLOCK),),
        cloze=True,
    ),
}


def _stable_id(text: str) -> int:
    """A fixed 63-bit id for a field or template (Anki draws them at random; a random one
    makes every export's note type a different schema, and re-imports then conflict)."""
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big") >> 1


def add_note_type(
    col: Collection, spec: NoteTypeSpec, name: str | None = None, *, stable_ids: bool = False
) -> int:
    """Add one of Ponder's note types (under `name`, default the spec's); its id.

    `stable_ids` gives fields and templates fixed ids (the export's package); the bridge
    keeps the ids Anki draws, as it always has.
    """
    models = col.models
    model = models.new(name or spec.name)
    if spec.cloze:
        model["type"] = 1
    for field_name in spec.fields:
        field = models.new_field(field_name)
        if stable_ids:
            field["id"] = _stable_id(f"{spec.kind}:field:{field_name}")
        models.add_field(model, field)
    for template_name, question, answer in spec.templates:
        template = models.new_template(template_name)
        template["qfmt"], template["afmt"] = question, answer
        if stable_ids:
            template["id"] = _stable_id(f"{spec.kind}:template:{template_name}")
        models.add_template(model, template)
    model["css"] = CSS
    return int(models.add_dict(model).id)


def deck_id_for(name: str) -> int:
    """A stable Anki deck id from the deck's full name (case-insensitive, as Anki's names)."""
    digest = hashlib.sha256(name.lower().encode("utf-8")).digest()
    return (1 << 30) + int.from_bytes(digest[:8], "big") % (1 << 30)


# -- fields ---------------------------------------------------------------------------------


def source_field(
    title: str | None,
    timestamp: str | None,
    link: str | None,
    passage: str | None,
    *,
    limit: int = PASSAGE_CHARS,
) -> str:
    """The Source field: title @ time (linked to the video at that second), then the passage
    (whitespace folded, cut at `limit` characters)."""
    if not title and not link:
        label = ""
    else:
        label = html.escape(title or "Source", quote=False)
        if timestamp:
            label += " @ " + html.escape(timestamp, quote=False)
        if link:
            label = f'<a href="{html.escape(link, quote=True)}">{label}</a>'
    text = " ".join((passage or "").split())
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    if text:
        quoted = f'<div class="passage">{html.escape(text, quote=False)}</div>'
        return f"{label}{quoted}" if label else quoted
    return label


def note_fields(front: str, back: str, source: str) -> list[str]:
    """An Anki note's three fields (front, back, Source) from Ponder's plain text."""
    return [text_to_html(front), text_to_html(back), source]


# -- notes as exports read them -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ExportNote:
    """A note as exports need it: plain-text fields, deck path, tags and where it came from."""

    id: int
    guid: str
    kind: str  # basic | reversed | cloze
    front: str
    back: str
    deck: str
    tags: tuple[str, ...]
    source_title: str | None = None
    start_s: float | None = None
    video_id: str | None = None
    passage: str | None = None  # the transcript text the note came from

    def source_link(self) -> str | None:
        """The video at the note's moment, when the source is a YouTube video."""
        if not self.video_id:
            return None
        return watch_url(self.video_id, self.start_s)

    def timestamp(self) -> str | None:
        """The note's moment as the Source field shows it (m:ss, or h:mm:ss)."""
        if self.start_s is None:
            return None
        from core.models import format_timestamp

        return format_timestamp(self.start_s, always_hours=False)

    def source_html(self) -> str:
        """The exported Source field: title and timestamp, linked to the video when there
        is one, then the passage; empty for a note without a title or a video."""
        if not self.source_title and not self.video_id:
            return ""
        return source_field(
            self.source_title,
            self.timestamp(),
            self.source_link(),
            self.passage,
        )

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["tags"] = list(self.tags)
        data["source_link"] = self.source_link()
        return data


def iter_export_notes(
    conn: sqlite3.Connection, deck_ids: Sequence[int] | None = None
) -> Iterator[ExportNote]:
    """Every note (with a card in these decks), oldest first, in one read transaction.

    A note's deck is the deck of its first card: in a package a note's cards share a deck.
    """
    where, params = "", []
    if deck_ids is not None:
        marks = ", ".join("?" for _ in deck_ids)
        where = f" WHERE n.id IN (SELECT note_id FROM cards WHERE deck_id IN ({marks}))"
        params = list(deck_ids)
    sql = (
        "SELECT n.id, n.guid, n.kind, n.front, n.back, n.source_title, n.start_s,"
        " s.video_id, s.title AS live_title,"
        " (SELECT d.name FROM cards c JOIN decks d ON d.id = c.deck_id"
        "   WHERE c.note_id = n.id ORDER BY c.ord LIMIT 1) AS deck,"
        " (SELECT group_concat(t.tag, ' ') FROM note_tags t WHERE t.note_id = n.id) AS tags,"
        " (SELECT group_concat(text, ' ') FROM (SELECT g.text FROM segments g"
        "   WHERE g.source_id = n.source_id AND g.idx BETWEEN n.first_segment"
        "   AND coalesce(n.last_segment, n.first_segment) ORDER BY g.idx)) AS passage"
        f" FROM notes n LEFT JOIN sources s ON s.id = n.source_id{where} ORDER BY n.id"
    )
    cursor = conn.execute(sql, params)
    while True:
        rows = cursor.fetchmany(EXPORT_CHUNK)
        if not rows:
            return
        for row in rows:
            if row[9] is None:  # a note without cards (should not happen): nothing to study
                continue
            yield ExportNote(
                id=int(row[0]),
                guid=str(row[1]),
                kind=str(row[2]),
                front=str(row[3]),
                back=str(row[4] or ""),
                deck=str(row[9]),
                tags=tuple(sorted((row[10] or "").split(), key=str.lower)),
                source_title=row[5] or row[8],
                start_s=row[6],
                video_id=row[7],
                passage=row[11],
            )
