"""Anki's plain-text note format, both ways.

Export writes what Anki's own "Notes in Plain Text" export writes, headers included, so Anki
imports it with deck, notetype, tags and GUID (re-importing updates instead of
duplicating)::

    #separator:tab
    #html:true
    #guid column:1
    #notetype column:2
    #deck column:3
    #tags column:6
    <guid>  Basic  Deck::Sub  front  back  tag1 tag2

Import reads that, and simpler files too: tab, comma or semicolon separated, with or without
headers, double-quoted fields (`""` for a quote), notetypes Basic, "Basic (and reversed
card)" and Cloze. Without headers the columns are front, back and optionally tags.
Every line that cannot become a note is reported with its line number and why.
"""

from __future__ import annotations

import csv
import html
import io
import os
import re
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

KINDS = ("basic", "reversed", "cloze")
NOTETYPE_NAMES = {"basic": "Basic", "reversed": "Basic (and reversed card)", "cloze": "Cloze"}
SEPARATOR_NAMES = {
    "tab": "\t",
    "comma": ",",
    "semicolon": ";",
    "space": " ",
    "pipe": "|",
    "colon": ":",
}
HEADER_KEYS = {
    "separator",
    "html",
    "tags",
    "columns",
    "notetype",
    "deck",
    "guid column",
    "notetype column",
    "deck column",
    "tags column",
    "if matches",
    "match scope",
}
CLOZE_MARK = re.compile(r"\{\{c\d+::", re.IGNORECASE)
_BREAK = re.compile(r"<\s*br\s*/?\s*>|<\s*/\s*(?:div|p|li)\s*>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")
SOURCE_CLASS = "ponder-source"
_SOURCE_BLOCK = re.compile(r'<div class="ponder-source">.*</div>\s*$', re.DOTALL)
MAX_FIELD_CHARS = 100_000
MAX_FILE_BYTES = 200 * 1024 * 1024


class AnkiTextError(ValueError):
    """The file as a whole cannot be read (not text, too big, ...)."""


@dataclass(slots=True)
class TextNote:
    """One note as the text format carries it (plain text fields, not HTML)."""

    kind: str  # basic | reversed | cloze
    front: str
    back: str = ""
    tags: list[str] = field(default_factory=list)
    deck: str | None = None
    guid: str | None = None
    line: int = 0
    source_html: str = ""  # where it came from (export only: an HTML block after the back)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Skipped:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass(slots=True)
class ParsedFile:
    notes: list[TextNote] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    separator: str = "\t"
    html: bool = False


# -- HTML <-> plain text ------------------------------------------------------------------


def text_to_html(text: str) -> str:
    """Plain text as an Anki field: `& < >` escaped, line breaks as `<br>`."""
    escaped = html.escape(text, quote=False)
    return escaped.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "<br>")


def html_to_text(value: str) -> str:
    """An Anki HTML field as plain text: breaks kept as newlines, other tags dropped."""
    value = _BREAK.sub("\n", value)
    value = _TAG.sub("", value).replace("&nbsp;", " ")
    return html.unescape(value).strip()


# -- export ---------------------------------------------------------------------------------


def _source_block(source_html: str) -> str:
    """The Source rides at the end of the back (Anki's stock Basic and Cloze have no
    Source field); importing strips it again, so a round trip keeps the back as it was."""
    return f'<div class="{SOURCE_CLASS}">{source_html}</div>' if source_html else ""


def format_anki_text(notes: Iterable[TextNote]) -> str:
    """The text file for these notes (Anki's header layout, tab separated, HTML fields).

    The file is read by people as well as by Anki (`cat`, `less`), so control characters
    from card text (ESC, CSI, OSC...) are made inert, as in every other output.
    """
    from core.textsafe import inert

    buffer = io.StringIO()
    buffer.write("#separator:tab\n#html:true\n")
    buffer.write("#guid column:1\n#notetype column:2\n#deck column:3\n#tags column:6\n")
    writer = csv.writer(buffer, delimiter="\t", quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
    for note in notes:
        row = [
            note.guid or "",
            NOTETYPE_NAMES[note.kind],
            note.deck or "",
            text_to_html(note.front),
            text_to_html(note.back) + _source_block(note.source_html),
            " ".join(tag.replace(" ", "_") for tag in note.tags if tag),
        ]
        writer.writerow([inert(value) for value in row])
    return buffer.getvalue()


# -- import ---------------------------------------------------------------------------------


@dataclass(slots=True)
class _Headers:
    separator: str | None = None
    html: bool | None = None
    guid_column: int | None = None
    notetype_column: int | None = None
    deck_column: int | None = None
    tags_column: int | None = None
    notetype: str | None = None
    deck: str | None = None
    tags: list[str] = field(default_factory=list)


def _separator_value(value: str) -> str | None:
    value = value.strip()
    named = SEPARATOR_NAMES.get(value.lower())
    if named:
        return named
    if value == "\\t":
        return "\t"
    return value if len(value) == 1 else None


def _column(value: str) -> int | None:
    try:
        number = int(value.strip())
    except ValueError:
        return None
    return number if number >= 1 else None


def _read_headers(lines: list[str], skipped: list[Skipped]) -> tuple[_Headers, int]:
    """Parse leading `#key:value` lines; returns the headers and the first data line index."""
    headers = _Headers()
    index = 0
    while index < len(lines) and lines[index].startswith("#"):
        line = lines[index].rstrip("\r\n")
        key, sep, value = line[1:].partition(":")
        key = key.strip().lower()
        if not sep or key not in HEADER_KEYS:
            break  # a data line that happens to start with # (a guid may)
        if sep:
            if key == "separator":
                headers.separator = _separator_value(value)
                if headers.separator is None:
                    skipped.append(Skipped(index + 1, f"unknown separator {value.strip()!r}"))
            elif key == "html":
                headers.html = value.strip().lower() == "true"
            elif key == "guid column":
                headers.guid_column = _column(value)
            elif key == "notetype column":
                headers.notetype_column = _column(value)
            elif key == "deck column":
                headers.deck_column = _column(value)
            elif key == "tags column":
                headers.tags_column = _column(value)
            elif key == "notetype":
                headers.notetype = value.strip()
            elif key == "deck":
                headers.deck = value.strip()
            elif key == "tags":
                headers.tags = value.split()
        index += 1
    return headers, index


def _guess_separator(lines: Iterable[str]) -> str:
    for line in lines:
        if not line.strip():
            continue
        if "\t" in line:
            return "\t"
        if ";" in line and "," not in line:
            return ";"
        return ","
    return "\t"


def kind_for_notetype(name: str) -> str | None:
    """Ponder's note kind for an Anki notetype name, or None if not one we can import."""
    lowered = name.strip().lower()
    if lowered.startswith("cloze"):
        return "cloze"
    if lowered.startswith("basic") and "reverse" in lowered:
        return "reversed" if "optional" not in lowered else "basic"
    if lowered.startswith("basic"):
        return "basic"
    return None


_TOO_LONG = f"a field is longer than {MAX_FIELD_CHARS} characters"


def _records(text: str, separator: str) -> Iterator[tuple[int, list[str] | str]]:
    """(first line number, fields) for each record; quoted fields may span lines.

    A record the csv reader cannot read comes back as the reason why (reported, then
    skipped): csv's own field limit (131,072 characters) is above ours, so a field it
    refuses is simply too long.
    """
    reader = csv.reader(io.StringIO(text), delimiter=separator, quotechar='"', strict=False)
    start = 1
    while True:
        try:
            row: list[str] | str = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            if "field limit" in str(error):
                row = _TOO_LONG
            else:
                row = "unreadable line (a line break inside an unquoted field)"
        yield start, row
        start = reader.line_num + 1


def parse_anki_text(text: str) -> ParsedFile:
    """Notes and skipped lines from the text of an Anki plain-text export."""
    if "\x00" in text:
        raise AnkiTextError("This is not a text file.")
    text = text.removeprefix("\ufeff")
    lines = text.splitlines(keepends=True)
    skipped: list[Skipped] = []
    headers, first = _read_headers(lines, skipped)
    body = "".join(lines[first:])
    separator = headers.separator or _guess_separator(lines[first:])
    as_html = bool(headers.html)
    result = ParsedFile(separator=separator, html=as_html, skipped=skipped)
    meta = {
        column - 1
        for column in (
            headers.guid_column,
            headers.notetype_column,
            headers.deck_column,
            headers.tags_column,
        )
        if column
    }
    has_headers = first > 0
    default_kind = kind_for_notetype(headers.notetype) if headers.notetype else None
    if headers.notetype and default_kind is None:
        skipped.append(Skipped(1, f"notetype {headers.notetype!r} is not Basic, reversed or Cloze"))
        return result

    def cell(row: list[str], column: int | None) -> str:
        if not column or column > len(row):
            return ""
        return row[column - 1].strip()

    for offset, row in _records(body, separator):
        line = first + offset
        if isinstance(row, str):
            skipped.append(Skipped(line, row))
            continue
        if not any(value.strip() for value in row):
            continue
        if headers.tags_column is None and not has_headers and len(row) >= 3:
            tag_text = row[2]
            fields = row[:2]
        else:
            tag_text = cell(row, headers.tags_column)
            fields = [value for index, value in enumerate(row) if index not in meta]
        if any(len(value) > MAX_FIELD_CHARS for value in fields):
            skipped.append(Skipped(line, _TOO_LONG))
            continue
        if as_html and len(fields) > 1:  # our own export: the Source block is not the back
            fields = [fields[0], _SOURCE_BLOCK.sub("", fields[1]), *fields[2:]]
        values = [html_to_text(value) if as_html else value.strip() for value in fields]
        front = values[0] if values else ""
        back = values[1] if len(values) > 1 else ""
        notetype = cell(row, headers.notetype_column)
        if notetype:
            kind = kind_for_notetype(notetype)
            if kind is None:
                skipped.append(
                    Skipped(line, f"notetype {notetype!r} is not Basic, reversed or Cloze")
                )
                continue
        else:
            kind = default_kind or ("cloze" if CLOZE_MARK.search(front) else "basic")
        if not front:
            skipped.append(Skipped(line, "empty front" if kind != "cloze" else "empty text"))
            continue
        if kind == "cloze" and not CLOZE_MARK.search(front):
            skipped.append(Skipped(line, "cloze note without a {{c1::...}} deletion"))
            continue
        if kind != "cloze" and not back:
            skipped.append(Skipped(line, "empty back"))
            continue
        tags = [*headers.tags, *(tag for tag in tag_text.split() if tag)]
        deck = cell(row, headers.deck_column) or headers.deck or None
        guid = cell(row, headers.guid_column) or None
        result.notes.append(
            TextNote(
                kind=kind,
                front=front,
                back=back,
                tags=list(dict.fromkeys(tags)),
                deck=deck,
                guid=guid,
                line=line,
            )
        )
    return result


# -- importing into Ponder ------------------------------------------------------------------


@dataclass(slots=True)
class ImportReport:
    """What an import did: notes added, updated (same guid), unchanged, and lines skipped."""

    path: str
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    decks: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": [{"line": s.line, "reason": s.reason} for s in self.skipped],
            "decks": list(self.decks),
        }


def read_text_file(path: str | os.PathLike[str]) -> str:
    """The text of a user-given file; AnkiTextError (one line) if it is not readable text."""
    candidate = Path(os.fspath(path)).expanduser()
    if not candidate.is_file():
        raise AnkiTextError(f"{candidate} is not a file.")
    try:
        size = candidate.stat().st_size
        if size > MAX_FILE_BYTES:
            raise AnkiTextError(f"{candidate} is too large ({size // 1_000_000} MB).")
        data = candidate.read_bytes()
    except OSError as error:
        raise AnkiTextError(f"Cannot read {candidate}: {error.strerror or error}.") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise AnkiTextError(f"{candidate} is not UTF-8 text.") from None


def import_anki_text(
    conn: sqlite3.Connection, path: str | os.PathLike[str], *, deck: str | None = None
) -> ImportReport:
    """Import notes from an Anki text file.

    A note whose guid is already in Ponder is updated (text, back, tags, kind), not added
    again; its cards keep their deck and history. `deck` puts every new note in that deck
    (created if needed, `A::B` nests); otherwise the file's deck column decides, and notes
    without one go to the Default deck.
    """
    from decks.models import DEFAULT_DECK, NoteKind, normalise_deck_name
    from decks.repository import CardStore, CardStoreError, NoteDraft, card_ords

    if deck is not None:
        try:
            deck = normalise_deck_name(deck)
        except ValueError as error:
            raise AnkiTextError(str(error)) from None
    parsed = parse_anki_text(read_text_file(path))
    report = ImportReport(path=str(path), skipped=list(parsed.skipped))
    store = CardStore(conn)
    seen: dict[str, int] = {}
    drafts: list[NoteDraft] = []
    decks: set[str] = set()
    for note in parsed.notes:
        if note.guid:
            if note.guid in seen:
                report.skipped.append(Skipped(note.line, f"same guid as line {seen[note.guid]}"))
                continue
            seen[note.guid] = note.line
        kind = NoteKind(note.kind)
        try:
            card_ords(kind, note.front)
        except CardStoreError as error:
            report.skipped.append(Skipped(note.line, str(error).rstrip(".")))
            continue
        existing = _note_id_for_guid(conn, note.guid) if note.guid else None
        if existing is not None:
            current = store.note(existing)
            if current is None:
                continue
            same = (
                current.kind == kind
                and current.front == note.front
                and current.back == note.back
                and {t.lower() for t in current.tags} == {t.lower() for t in note.tags}
            )
            if same:
                report.unchanged += 1
                continue
            try:
                store.update_note(
                    existing, front=note.front, back=note.back, tags=note.tags, kind=kind
                )
            except CardStoreError as error:
                report.skipped.append(Skipped(note.line, str(error).rstrip(".")))
                continue
            report.updated += 1
            continue
        target = deck or note.deck or DEFAULT_DECK
        try:
            target = normalise_deck_name(target)
        except ValueError:
            report.skipped.append(Skipped(note.line, f"bad deck name {target!r}"))
            continue
        decks.add(target)
        drafts.append(
            NoteDraft(
                kind=kind,
                front=note.front,
                back=note.back,
                deck=target,
                tags=tuple(note.tags),
                guid=note.guid,
            )
        )
    if drafts:
        try:
            note_ids = store.create_notes_bulk(drafts)
        except CardStoreError as error:
            raise AnkiTextError(f"Nothing was imported: {error}") from None
        report.added = len(note_ids)
    report.skipped.sort(key=lambda skip: skip.line)
    report.decks = sorted(decks, key=str.lower)
    return report


def _note_id_for_guid(conn: sqlite3.Connection, guid: str) -> int | None:
    row = conn.execute("SELECT id FROM notes WHERE guid = ?", (guid,)).fetchone()
    return int(row[0]) if row else None
