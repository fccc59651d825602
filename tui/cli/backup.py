"""`ponder backup | restore`: a consistent copy of the database, and putting one back.

A backup prints the written file's path on stdout's last line.
"""

from __future__ import annotations

import sys
from typing import Any

from tui.cli.common import (
    CliError,
    confirm,
    out,
)


def register(subparsers: Any) -> None:
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
        if not confirm(question):
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
