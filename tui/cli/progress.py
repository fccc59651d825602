"""`ponder stats | optimize | export | import | backup | restore`: progress and data safety.

Scripts can rely on: `stats --json`, `optimize --json` and `import anki-text --json` print
plain JSON; exports and backups print the written file's path on stdout's last line.
Deck names, titles and file names are untrusted text: tables get them as `rich.text.Text`
(never parsed as markup) and lines go through `inert`.
"""

from __future__ import annotations

import sys
from typing import Any

from tui.cli.common import CliError, open_library, out, parse_id, print_json

SHADES = " ░▒▓█"
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def register(subparsers: Any) -> None:
    stats = subparsers.add_parser(
        "stats",
        help="study statistics: forecast, heatmap, retention, stability, streak",
        description="Reviews due over the next 30 days, reviews per day over the past year, "
        "true retention per week, the spread of stability, cards by state, streak, reviews "
        "today and time per card. For one deck (with its subdecks) or all decks.",
    )
    stats.add_argument("--deck", metavar="D", help="one deck (A::B for a subdeck)")
    stats.add_argument("--json", action="store_true", help="print JSON")
    stats.set_defaults(func=cmd_stats)

    optimize = subparsers.add_parser(
        "optimize",
        help="fit FSRS parameters to your own reviews (per deck preset)",
        description="Fit the 21 FSRS-6 parameters to your review history and store them in "
        "the deck's preset (all decks sharing it contribute), if they predict your reviews "
        "better. Without --deck every preset in use is optimised.",
    )
    optimize.add_argument("--deck", metavar="D", help="optimise this deck's preset")
    optimize.add_argument(
        "--reschedule",
        action="store_true",
        help="then reschedule existing cards with the parameters (replays their history)",
    )
    optimize.add_argument(
        "--reset", action="store_true", help="go back to the default parameters instead"
    )
    optimize.add_argument(
        "--retention",
        type=float,
        metavar="R",
        help="set the preset's desired retention (0.70-0.99) instead, and show its workload",
    )
    optimize.add_argument(
        "--workload",
        action="store_true",
        help="only show the simulated workload at several desired retentions",
    )
    optimize.add_argument("--json", action="store_true", help="print JSON")
    optimize.set_defaults(func=cmd_optimize)

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

    backup = subparsers.add_parser(
        "backup",
        help="write a consistent copy of the database (safe while Ponder runs)",
    )
    backup.add_argument("out", metavar="OUT")
    backup.add_argument("--force", action="store_true", help="overwrite OUT if it exists")
    backup.set_defaults(func=cmd_backup)

    restore = subparsers.add_parser(
        "restore",
        help="replace the database with a backup (the current one is kept as .bak-<time>)",
        description="Check that IN is an intact Ponder database this version can read, keep "
        "the current database as ponder.db.bak-<timestamp>, then restore IN. Asks first on a "
        "terminal; elsewhere pass --yes.",
    )
    restore.add_argument("path", metavar="IN")
    restore.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    restore.set_defaults(func=cmd_restore)


# -- shared helpers ----------------------------------------------------------------------------


def _console(stderr: bool = False) -> Any:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, emoji=False)


def _text(value: Any, style: str = "") -> Any:
    """A table cell that is never parsed as markup, with control characters made visible."""
    from rich.text import Text

    from core.textsafe import inert_line

    return Text(inert_line(str(value)), style=style)


def _confirm(question: str) -> bool:
    from core.textsafe import inert_line

    sys.stderr.write(inert_line(question) + " [y/N] ")
    sys.stderr.flush()
    answer = sys.stdin.readline()
    return answer.strip().lower() in ("y", "yes")


class _ProgressBar:
    """rich.progress on stderr for long steps; silent when stderr is not a terminal."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self.progress: Any = None
        self.tasks: dict[str, Any] = {}

    def __enter__(self) -> _ProgressBar:
        if self.enabled:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
            )

            self.progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=_console(stderr=True),
                transient=True,
            )
            self.progress.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.progress is not None:
            self.progress.__exit__(*exc)

    def __call__(self, stage: str, done: int, total: int) -> None:
        if self.progress is None:
            return
        task = self.tasks.get(stage)
        if task is None:
            task = self.tasks[stage] = self.progress.add_task(stage, total=max(total, 1))
        self.progress.update(task, completed=done, total=max(total, 1))


def _store():
    from decks.repository import CardStore

    return CardStore(open_library().conn)


# -- stats -------------------------------------------------------------------------------------


def cmd_stats(args: Any) -> int:
    from core.config import load
    from decks.stats import UnknownDeck, compute_stats

    library = open_library()
    rollover_hour = load().day_rollover_hour
    try:
        stats = compute_stats(library.conn, args.deck, rollover_hour=rollover_hour)
    except UnknownDeck as error:
        raise CliError(str(error)) from None
    if args.json:
        print_json(stats.to_dict())
        return 0
    render_stats(stats, _console(), rollover_hour)
    return 0


def _bar(value: int, largest: int, width: int = 30) -> str:
    if largest <= 0 or value <= 0:
        return ""
    return "█" * max(1, round(value / largest * width))


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def render_stats(stats: Any, console: Any, rollover_hour: int = 4) -> None:
    """The stats as Rich tables (used by `ponder stats`)."""
    from rich.table import Table

    from decks.stats import day_label, study_day_note

    title = f"Stats: {stats.deck}" if stats.deck else "Stats: all decks"
    summary = Table(title=_text(title), show_header=False, box=None, pad_edge=False)
    summary.add_column(style="bold")
    summary.add_column(justify="right")
    cards = stats.cards
    average = "-" if stats.average_seconds is None else f"{stats.average_seconds:.1f} s"
    for label, value in (
        ("Due today", f"{stats.due_today}"),
        ("Reviews today", f"{stats.reviews_today} ({stats.seconds_today / 60:.1f} min)"),
        ("Streak", f"{stats.streak} day{'s' if stats.streak != 1 else ''}"),
        ("Average time per card", average),
        ("Reviews in the past year", f"{stats.reviews_past_year}"),
        ("True retention (past year)", _percent(stats.true_retention)),
        ("Cards", f"{cards.total}"),
    ):
        summary.add_row(label, value)
    console.print(summary)
    note = study_day_note(stats, rollover_hour)
    if note:
        console.print(_text(f"({note})"))
    console.print()

    states = Table(title="Cards by state")
    for name in ("New", "Learning", "Review", "Relearning", "Suspended"):
        states.add_column(name, justify="right")
    states.add_row(
        *(
            str(value)
            for value in (
                cards.new,
                cards.learning,
                cards.review,
                cards.relearning,
                cards.suspended,
            )
        )
    )
    console.print(states)
    console.print()

    forecast = Table(title="Due (today includes overdue)")
    forecast.add_column("Day")
    forecast.add_column("Due", justify="right")
    forecast.add_column("")
    largest = max((day.count for day in stats.forecast), default=0)
    for day in stats.forecast:
        label = day_label(day.day, stats.today)
        forecast.add_row(label, str(day.count), _text(_bar(day.count, largest), "cyan"))
    console.print(forecast)
    console.print()

    console.print(_heatmap(stats))
    console.print()

    retention = Table(title="True retention per week")
    retention.add_column("Week from")
    retention.add_column("Reviews", justify="right")
    retention.add_column("Passed", justify="right")
    retention.add_column("Retention", justify="right")
    for week in stats.retention[-12:]:
        retention.add_row(
            week.week_start.isoformat(),
            str(week.reviews),
            str(week.passed),
            _percent(week.retention),
        )
    console.print(retention)
    console.print()

    stability = Table(title="Stability (days to 90% recall)")
    stability.add_column("Stability")
    stability.add_column("Cards", justify="right")
    stability.add_column("")
    largest = max((bucket.count for bucket in stats.stability), default=0)
    for bucket in stats.stability:
        stability.add_row(
            bucket.label, str(bucket.count), _text(_bar(bucket.count, largest), "green")
        )
    console.print(stability)


def _heatmap(stats: Any) -> Any:
    """A GitHub-style calendar: one column per week, one row per weekday."""
    from rich.text import Text

    days = stats.heatmap
    text = Text()
    text.append("Reviews per day, past year (darker = more)\n", style="bold")
    if not days:
        return text
    counts = sorted(day.count for day in days if day.count)
    levels = [counts[int(len(counts) * q)] for q in (0.25, 0.5, 0.75)] if counts else []
    first = days[0].day
    offset = first.weekday()
    columns = (offset + len(days) + 6) // 7
    grid: list[list[str]] = [[" "] * columns for _ in range(7)]
    for index, day in enumerate(days):
        position = offset + index
        shade = "·" if day.count == 0 else SHADES[1 + sum(day.count > level for level in levels)]
        grid[position % 7][position // 7] = shade
    for row, name in enumerate(WEEKDAYS):
        text.append(f"{name} ", style="dim")
        text.append("".join(grid[row]) + "\n", style="green")
    text.append(f"{first.isoformat()} .. today", style="dim")
    return text


# -- optimise ----------------------------------------------------------------------------------


def _presets_for(store: Any, deck: str | None) -> list[Any]:
    from decks.optimize import presets_in_use

    if deck is None:
        presets = presets_in_use(store)
        if not presets:
            raise CliError("There are no decks yet: add cards first (ponder card add).")
        return presets
    found = store.deck_by_name(deck)
    if found is None:
        raise CliError(f"No deck named {deck!r}.")
    return [store.preset_for_deck(found.id)]


def _workload_line(workload: Any) -> str:
    line = (
        f"  desired retention {workload.desired_retention:.2f}: about "
        f"{workload.reviews_per_day:.0f} reviews/day ({workload.minutes_per_day:.0f} min) "
        f"over a year for {workload.deck_size} cards"
    )
    if workload.warning:
        line += f"\n  warning: {workload.warning}"
    return line


def _save_setting(name: str, value: Any) -> None:
    """The Default preset's values live in the config file (Settings shows them)."""
    from core import config as config_store

    config = config_store.load()
    setattr(config, name, value)
    try:
        config_store.save(config)
    except (OSError, config_store.ConfigError) as error:
        raise CliError(f"Could not save {name} in the config file: {error}") from None


def cmd_optimize(args: Any) -> int:
    from core.config import load
    from decks.optimize import (
        NotEnoughReviews,
        OptimizeError,
        optimize_preset,
        own_preset_for_deck,
        reschedule_preset,
        reset_parameters,
        set_desired_retention,
        workload_for_preset,
        workload_table,
    )
    from decks.repository import CardStoreError

    store = _store()
    config = load()
    presets = _presets_for(store, args.deck)
    modes = sum(bool(flag) for flag in (args.reset, args.retention is not None, args.workload))
    if modes > 1:
        raise CliError("choose one of --reset, --retention and --workload")
    results: list[dict[str, Any]] = []

    if args.workload or args.retention is not None:
        notice = None
        if args.retention is not None and args.deck is not None:
            try:
                own, notice = own_preset_for_deck(store, store.deck_by_name(args.deck).id)
            except OptimizeError as error:
                raise CliError(str(error)) from None
            presets = [own]
            if notice and not args.json:
                out(notice)
        for preset in presets:
            entry: dict[str, Any] = {"preset_id": preset.id, "preset": preset.name}
            if args.retention is not None:
                try:
                    change = set_desired_retention(store, preset.id, args.retention)
                except (ValueError, CardStoreError) as error:
                    raise CliError(str(error)) from None
                if change.for_settings is not None:
                    _save_setting("desired_retention", change.for_settings)
                    config.desired_retention = change.for_settings  # what was just saved
                preset = change.preset
                entry["desired_retention"] = args.retention
                entry["warning"] = change.warning
                entry["in_settings"] = change.for_settings is not None
                if notice:
                    entry["notice"] = notice
            table = workload_table(store, preset.id, config=config)
            current = workload_for_preset(store, preset.id, config=config)
            entry["workload"] = current.to_dict()
            entry["table"] = [workload.to_dict() for workload in table]
            results.append(entry)
            if not args.json:
                if args.retention is not None:
                    where = " (the desired_retention setting)" if entry["in_settings"] else ""
                    out(
                        f"Preset {preset.name}: desired retention set to "
                        f"{args.retention:.2f}{where}"
                    )
                else:
                    out(f"Preset {preset.name}:")
                out(_workload_line(current))
                for workload in table:
                    out(
                        f"    at {workload.desired_retention:.2f}: "
                        f"{workload.reviews_per_day:6.1f} reviews/day, "
                        f"{workload.minutes_per_day:5.1f} min/day"
                    )
        if args.json:
            print_json(results)
        return 0

    reschedule = args.reschedule
    for preset in presets:
        entry = {"preset_id": preset.id, "preset": preset.name}
        if args.reset:
            reset_parameters(store, preset.id)
            entry["message"] = "Back to the default parameters."
            if not args.json:
                out(f"Preset {preset.name}: back to the default FSRS parameters.")
        else:
            try:
                with _ProgressBar(enabled=not args.json) as bar:
                    outcome = optimize_preset(store, preset.id, progress=bar)
            except NotEnoughReviews as error:
                entry["message"] = str(error)
                entry["needed"] = error.needed - error.have
                results.append(entry)
                if len(presets) == 1 and not args.json:
                    raise CliError(str(error)) from None
                if not args.json:
                    out(f"Preset {preset.name}: {error}")
                continue
            except OptimizeError as error:
                raise CliError(str(error)) from None
            entry.update(outcome.to_dict())
            if not args.json:
                _print_outcome(outcome)
        changed = bool(args.reset or entry.get("saved"))
        if reschedule or (
            changed
            and not args.json
            and sys.stdin.isatty()
            and _confirm(f"Reschedule the cards of preset {preset.name} now?")
        ):
            with _ProgressBar(enabled=not args.json) as bar:
                report = reschedule_preset(store, preset.id, progress=bar, config=config)
            entry["rescheduled"] = report.to_dict()
            if not args.json:
                out(
                    f"  rescheduled {report.rescheduled} card(s)"
                    + (f", {report.skipped} left as they were" if report.skipped else "")
                )
        elif changed and not args.json:
            out("  cards keep their due dates until reviewed; --reschedule replays them now")
        if not args.json:
            out(_workload_line(workload_for_preset(store, preset.id, config=config)))
        results.append(entry)
    if args.json:
        print_json(results)
    return 0


def _print_outcome(outcome: Any) -> None:
    result = outcome.result
    decks = ", ".join(outcome.decks) or "no decks"
    out(f"Preset {outcome.preset_name} ({decks}):")
    out(
        f"  {result.reviews} reviews of {result.cards} cards, "
        f"{result.training_items} used for fitting ({result.elapsed_s:.1f} s)"
    )
    out(f"  log loss {result.before.log_loss:.4f} -> {result.after.log_loss:.4f} (lower is better)")
    out(f"  RMSE     {result.before.rmse:.4f} -> {result.after.rmse:.4f}")
    out(f"  {outcome.message}")


# -- exports and imports -----------------------------------------------------------------------


def cmd_export_anki(args: Any) -> int:
    from core.config import load
    from decks.anki import ExportError, export_apkg

    library = open_library()
    history = not args.no_history
    with _ProgressBar(enabled=True) as bar:
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


# -- backup and restore ------------------------------------------------------------------------


def cmd_backup(args: Any) -> int:
    from core.backup import BackupError, backup_database
    from core.paths import database_path

    if not database_path().exists():
        raise CliError("There is no database yet: nothing to back up.")
    try:
        result = backup_database(args.out, force=args.force)
    except BackupError as error:
        raise CliError(str(error)) from None
    info = result.info
    sys.stderr.write(
        f"Backed up {info.sources} sources, {info.cards} cards and {info.reviews} reviews "
        f"({info.size_bytes / 1e6:.1f} MB).\n"
    )
    out(result.path)
    return 0


def cmd_restore(args: Any) -> int:
    from core.backup import BackupError, restore_database, validate_backup
    from core.paths import database_path

    try:
        info = validate_backup(args.path)
    except BackupError as error:
        raise CliError(str(error)) from None
    target = database_path()
    if not args.yes:
        if not sys.stdin.isatty():
            raise CliError(
                "restore replaces your database: pass --yes to confirm (no terminal to ask on)"
            )
        question = (
            f"Replace the database at {target} with {args.path} ({info.sources} sources, "
            f"{info.cards} cards, {info.reviews} reviews)? The current one is kept as a .bak "
            "file."
        )
        if not _confirm(question):
            out("Nothing changed.")
            return 1
    try:
        result = restore_database(args.path)
    except BackupError as error:
        raise CliError(str(error)) from None
    if result.previous_copy:
        out(f"The previous database is kept at {result.previous_copy}")
    out(
        f"Restored {result.info.sources} sources, {result.info.cards} cards and "
        f"{result.info.reviews} reviews into {result.database}"
    )
    return 0
