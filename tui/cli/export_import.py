"""`ponder export | import`: cards to Anki (.apkg, text), notes to Markdown; Anki text in.

Exports print the written file's path on stdout's last line; `import anki-text --json`
prints plain JSON. Deck names and file names are untrusted text (lines go through `inert`).
"""

from __future__ import annotations

import sys
from typing import Any

from tui.cli.common import (
    CliError,
    ProgressBar,
    open_library,
    out,
    parse_id,
    print_json,
)


def register(subparsers: Any) -> None:
    export = subparsers.add_parser(
        "export",
        help="export cards to Anki (.apkg or text) or a transcript's notes to Markdown",
        description="Export cards to Anki or study notes to Markdown. Existing files are "
        "never overwritten without --force.",
    )
    formats = export.add_subparsers(dest="export_format", metavar="FORMAT")
    formats.required = True
    anki = formats.add_parser(
        "anki",
        help="an .apkg package with scheduling and review history (GUIDs stable so "
        "re-imports update)",
        description="Write an Anki package with Anki's own library. Notes keep their GUID, "
        "so importing a newer export into Anki updates the notes instead of duplicating "
        "them. Each card keeps its schedule and review history; --no-history writes a "
        "fresh deck (new cards).",
    )
    anki.add_argument("out", metavar="OUT.apkg")
    anki.add_argument(
        "--no-history",
        action="store_true",
        help="cards as new, without scheduling or review history (a deck to share)",
    )
    anki.add_argument("--deck", metavar="D", help="only this deck and its subdecks")
    anki.add_argument("--force", action="store_true", help="overwrite OUT if it exists")
    anki.set_defaults(func=cmd_export_anki)
    text = formats.add_parser(
        "anki-text",
        help="Anki's plain-text format (tab separated, with headers)",
        description="Write notes in Anki's text format with #separator, #html, #notetype "
        "column, #deck column, #guid column and #tags column headers.",
    )
    text.add_argument("out", metavar="OUT.txt")
    text.add_argument("--deck", metavar="D", help="only this deck and its subdecks")
    text.add_argument("--force", action="store_true", help="overwrite OUT if it exists")
    text.set_defaults(func=cmd_export_anki_text)
    markdown = formats.add_parser(
        "markdown",
        help="a transcript's study notes: guide, highlights, conversations, cards",
    )
    markdown.add_argument("source_id", metavar="SOURCE_ID")
    markdown.add_argument("out", metavar="OUT.md")
    markdown.add_argument("--force", action="store_true", help="overwrite OUT if it exists")
    markdown.set_defaults(func=cmd_export_markdown)

    importer = subparsers.add_parser(
        "import",
        help="import notes from Anki's text format",
        description="Import notes into Ponder.",
    )
    import_formats = importer.add_subparsers(dest="import_format", metavar="FORMAT")
    import_formats.required = True
    import_text = import_formats.add_parser(
        "anki-text",
        help="Anki text export or any tab/comma separated file (front, back[, tags])",
        description="Import Basic, 'Basic (and reversed card)' and Cloze notes from a tab or "
        "comma separated file, with or without Anki's # headers. A note whose GUID is "
        "already in Ponder is updated, not added again. Reports added, updated and skipped "
        "lines with the reason.",
    )
    import_text.add_argument("path", metavar="IN.txt")
    import_text.add_argument(
        "--deck",
        metavar="D",
        help="put new notes in this deck (default: the file's deck column, else Default)",
    )
    import_text.add_argument("--json", action="store_true", help="print JSON")
    import_text.set_defaults(func=cmd_import_anki_text)


# -- exports and imports -----------------------------------------------------------------------


def cmd_export_anki(args: Any) -> int:
    from core.config import load
    from decks.anki import ExportError, export_apkg

    library = open_library()
    history = not args.no_history
    with ProgressBar(enabled=True) as bar:
        try:
            report = export_apkg(
                library.conn,
                args.out,
                deck=args.deck,
                force=args.force,
                progress=bar,
                history=history,
                rollover_hour=load().day_rollover_hour,
            )
        except ExportError as error:
            raise CliError(str(error)) from None
    kept = "with their schedule and review history" if history else "as new cards"
    sys.stderr.write(
        f"Exported {report.notes} notes ({report.cards} cards) in {len(report.decks)} deck(s), "
        f"{kept}.\n"
    )
    out(report.path)
    return 0


def cmd_export_anki_text(args: Any) -> int:
    from decks.anki import ExportError, export_anki_text

    library = open_library()
    try:
        report = export_anki_text(library.conn, args.out, deck=args.deck, force=args.force)
    except ExportError as error:
        raise CliError(str(error)) from None
    sys.stderr.write(f"Exported {report.notes} notes ({report.cards} cards).\n")
    out(report.path)
    return 0


def cmd_export_markdown(args: Any) -> int:
    from core.backup import BackupError
    from decks.markdown_export import MarkdownExportError, write_markdown_export

    source_id = parse_id(args.source_id, "source", "see ponder list")
    library = open_library()
    try:
        path = write_markdown_export(source_id, args.out, force=args.force, conn=library.conn)
    except (MarkdownExportError, BackupError) as error:
        raise CliError(str(error)) from None
    out(path)
    return 0


def cmd_import_anki_text(args: Any) -> int:
    from decks.anki_text import AnkiTextError, import_anki_text

    library = open_library()
    try:
        report = import_anki_text(library.conn, args.path, deck=args.deck)
    except AnkiTextError as error:
        raise CliError(str(error)) from None
    if args.json:
        print_json(report.to_dict())
        return 0
    parts = [f"{report.added} added", f"{report.updated} updated"]
    if report.unchanged:
        parts.append(f"{report.unchanged} unchanged")
    parts.append(f"{len(report.skipped)} skipped")
    out(", ".join(parts) + (f" (decks: {', '.join(report.decks)})" if report.decks else ""))
    for skipped in report.skipped[:50]:
        out(f"  {skipped}")
    if len(report.skipped) > 50:
        out(f"  ... and {len(report.skipped) - 50} more (--json lists them all)")
    return 0
