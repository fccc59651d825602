"""Backing up and restoring the database, and writing export files safely.

A backup is taken with SQLite's online backup API, so it is a consistent snapshot even
while Ponder (or any other connection) is writing: readers never block writers in WAL
mode. A restore writes the backup *into* the live database through the same API, so a
running Ponder sees the restored content instead of a file swapped under its feet, and the
database being replaced is first kept as `ponder.db.bak-<timestamp>`.

Paths typed by the user are not trusted: an existing file is never overwritten without
`force`, a directory is never a target, and every file is written to a temporary name in
the same folder and renamed into place, so a failure leaves nothing half written.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import stat
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from core import clock
from core.db import BUSY_TIMEOUT_MS, migrations
from core.paths import database_path, os_error_reason

SQLITE_MAGIC = b"SQLite format 3\x00"
# A Ponder database has at least the library's tables.
REQUIRED_TABLES = ("sources", "segments", "app_state")


class BackupError(RuntimeError):
    """A backup, restore or export that cannot proceed; the message says why, in one line."""


# -- safe output files ------------------------------------------------------------------


def check_output_path(path: str | os.PathLike[str], *, force: bool = False) -> Path:
    """The resolved target for a file the user asked us to write, or BackupError.

    Refuses an existing file unless `force`, anything existing that is not a regular file
    (a device such as /dev/full, a pipe, a symbolic link) even with `force`, any directory,
    and a missing parent folder.
    """
    raw = os.fspath(path)
    if not raw or raw.strip() != raw or "\x00" in raw:
        raise BackupError(f"Not a usable file name: {raw!r}.")
    target = Path(raw).expanduser()
    if target.is_dir():
        raise BackupError(f"{target} is a folder; give a file name.")
    parent = target.parent.resolve()
    if not parent.is_dir():
        raise BackupError(f"The folder {target.parent} does not exist.")
    target = parent / target.name
    try:
        mode = target.lstat().st_mode
    except FileNotFoundError:
        return target
    except OSError as error:
        raise BackupError(f"Cannot check {target}: {error.strerror}.") from None
    if not stat.S_ISREG(mode):
        # The file is written aside and renamed over the target: that would replace a device,
        # a pipe or a symbolic link with a regular file, so only regular files are overwritten.
        raise BackupError(f"{target} exists and is not a regular file; give another name.")
    if not force:
        raise BackupError(f"{target} already exists; use --force to overwrite it.")
    return target


@contextmanager
def atomic_output(target: Path) -> Iterator[Path]:
    """A temporary path next to `target`, renamed onto it when the block succeeds."""
    try:
        handle, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as error:
        raise BackupError(f"Cannot write {target}: {os_error_reason(error)}.") from None
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        os.replace(temporary, target)
    except BaseException as error:
        with contextlib.suppress(OSError):
            temporary.unlink()
        if isinstance(error, OSError):  # e.g. the disk filled up while writing
            raise BackupError(
                f"Cannot write {target}: {os_error_reason(error)}. Nothing was written."
            ) from None
        raise


def write_text_file(
    path: str | os.PathLike[str], text: str, *, force: bool = False, newline: str | None = None
) -> Path:
    """Write UTF-8 text atomically to a user-given path (see `check_output_path`)."""
    target = check_output_path(path, force=force)
    with atomic_output(target) as temporary:
        temporary.write_text(text, encoding="utf-8", newline=newline)
    return target


# -- backup -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DatabaseInfo:
    """What a Ponder database holds, for confirmations and reports."""

    path: str
    schema_version: int
    sources: int
    notes: int
    cards: int
    reviews: int
    size_bytes: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class BackupResult:
    path: str
    info: DatabaseInfo

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, **{k: v for k, v in self.info.to_dict().items() if k != "path"}}


@dataclass(frozen=True, slots=True)
class RestoreResult:
    restored_from: str
    database: str
    previous_copy: str | None
    info: DatabaseInfo

    def to_dict(self) -> dict[str, Any]:
        return {
            "restored_from": self.restored_from,
            "database": self.database,
            "previous_copy": self.previous_copy,
            "info": self.info.to_dict(),
        }


def _open_plain(path: Path, *, read_only: bool = False) -> sqlite3.Connection:
    """A connection without migrations (backup and restore must not change the schema)."""
    if read_only or not os.access(path.parent, os.W_OK):
        # In a read-only folder SQLite cannot create the -shm file WAL needs: read the file
        # as it is (immutable), so a backup still gets the learner's data out.
        flags = "mode=ro" if os.access(path.parent, os.W_OK) else "mode=ro&immutable=1"
        conn = sqlite3.connect(
            f"{path.resolve().as_uri()}?{flags}", uri=True, timeout=BUSY_TIMEOUT_MS / 1000
        )
    else:
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return conn


def _count(conn: sqlite3.Connection, table: str) -> int:
    try:
        return int(conn.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0])
    except sqlite3.Error:
        return 0


def _describe(conn: sqlite3.Connection, path: Path) -> DatabaseInfo:
    return DatabaseInfo(
        path=str(path),
        schema_version=int(conn.execute("PRAGMA user_version").fetchone()[0]),
        sources=_count(conn, "sources"),
        notes=_count(conn, "notes"),
        cards=_count(conn, "cards"),
        reviews=_count(conn, "review_log"),
        size_bytes=path.stat().st_size if path.exists() else 0,
    )


def backup_database(
    out: str | os.PathLike[str],
    *,
    force: bool = False,
    source: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> BackupResult:
    """Write a consistent, self-contained copy of the database to `out`.

    Safe while Ponder runs: the copy is one snapshot, taken in a single read transaction.
    `progress(copied_pages, total_pages)` is called as the copy advances.
    """
    source = source or database_path()
    if not source.exists():
        raise BackupError(f"There is no database at {source} yet.")
    if not source.is_file():
        raise BackupError(f"The database {source} is not a file (a folder?); nothing to back up.")
    target = check_output_path(out, force=force)
    if target.resolve() == source.resolve():
        raise BackupError("The backup cannot overwrite the database itself.")
    try:
        src = _open_plain(source)
    except sqlite3.Error as error:
        raise BackupError(f"Cannot read the database {source}: {error}.") from None
    try:
        with atomic_output(target) as temporary:
            dest = sqlite3.connect(temporary)
            try:

                def report(_status: int, remaining: int, total: int) -> None:
                    if progress is not None:
                        progress(total - remaining, total)

                # pages=-1: everything in one step, so the copy is one snapshot.
                src.backup(dest, pages=-1, progress=report)
                # One file, no -wal beside it: a backup should travel as a single file.
                dest.execute("PRAGMA journal_mode = DELETE")
                check = dest.execute("PRAGMA quick_check").fetchone()[0]
                if check != "ok":
                    raise BackupError(f"The copy failed its check: {check}.")
                info = _describe(dest, temporary)
            finally:
                dest.close()
    except sqlite3.Error as error:
        from core.db import storage_message

        reason = (
            storage_message(error, target)
            or storage_message(error, source)
            or f"Backup failed: {error}."
        )
        raise BackupError(reason) from None
    finally:
        src.close()
    info = DatabaseInfo(**{**info.to_dict(), "path": str(target)})
    return BackupResult(path=str(target), info=info)


# -- restore ----------------------------------------------------------------------------


def latest_schema_version() -> int:
    known = migrations()
    return known[-1][0] if known else 0


def validate_backup(path: str | os.PathLike[str]) -> DatabaseInfo:
    """Check that `path` is an intact Ponder database this version can open."""
    candidate = Path(os.fspath(path)).expanduser()
    if not candidate.is_file():
        raise BackupError(f"{candidate} is not a file.")
    try:
        with candidate.open("rb") as handle:
            magic = handle.read(len(SQLITE_MAGIC))
    except OSError as error:
        raise BackupError(f"Cannot read {candidate}: {error.strerror}.") from None
    if magic != SQLITE_MAGIC:
        raise BackupError(f"{candidate} is not a SQLite database.")
    try:
        conn = _open_plain(candidate, read_only=True)
    except sqlite3.Error as error:
        raise BackupError(f"Cannot open {candidate}: {error}.") from None
    try:
        check = conn.execute("PRAGMA integrity_check").fetchone()[0]
        if check != "ok":
            raise BackupError(f"{candidate} is damaged (integrity check: {check}).")
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        missing = [name for name in REQUIRED_TABLES if name not in tables]
        if version < 1 or missing:
            raise BackupError(f"{candidate} is a SQLite file but not a Ponder database.")
        latest = latest_schema_version()
        if version > latest:
            raise BackupError(
                f"{candidate} comes from a newer Ponder (schema {version}, this one reads "
                f"up to {latest}); upgrade Ponder first."
            )
        return _describe(conn, candidate)
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{candidate} cannot be read as a database: {error}.") from None
    finally:
        conn.close()


def previous_copy_path(database: Path) -> Path:
    """Where the database being replaced is kept: `ponder.db.bak-<UTC timestamp>`."""
    stamp = clock.now().strftime("%Y%m%dT%H%M%SZ")
    candidate = database.with_name(f"{database.name}.bak-{stamp}")
    counter = 1
    while candidate.exists():
        counter += 1
        candidate = database.with_name(f"{database.name}.bak-{stamp}-{counter}")
    return candidate


def _is_damaged(database: Path) -> bool:
    """Whether the file at `database` is corrupt or not a database (not merely busy)."""
    from core.db import is_damage

    try:
        conn = _open_plain(database, read_only=True)
    except sqlite3.Error as error:
        return is_damage(error)
    try:
        rows = conn.execute("PRAGMA quick_check").fetchall()
    except sqlite3.Error as error:
        return is_damage(error)
    finally:
        conn.close()
    return [tuple(row) for row in rows] != [("ok",)]


def _move_aside_damaged(database: Path) -> Path:
    """Rename a damaged database (and its -wal/-shm) to `ponder.db.damaged-<timestamp>`."""
    stamp = clock.now().strftime("%Y%m%dT%H%M%SZ")
    aside = database.with_name(f"{database.name}.damaged-{stamp}")
    counter = 1
    while aside.exists():
        counter += 1
        aside = database.with_name(f"{database.name}.damaged-{stamp}-{counter}")
    try:
        os.replace(database, aside)
        for suffix in ("-wal", "-shm"):
            extra = database.with_name(database.name + suffix)
            if extra.exists():
                os.replace(extra, aside.with_name(aside.name + suffix))
    except OSError as error:
        raise BackupError(f"Cannot move the damaged database aside: {error.strerror}.") from None
    return aside


def restore_database(
    backup: str | os.PathLike[str], *, database: Path | None = None
) -> RestoreResult:
    """Replace the database's content with `backup`, keeping the old one beside it.

    The backup is validated first. The current database (if any) is copied, consistently,
    to `ponder.db.bak-<timestamp>`; then the backup is written into the live database in one
    transaction, so other connections see either the old or the restored content.
    """
    source = Path(os.fspath(backup)).expanduser()
    validate_backup(source)
    database = database or database_path()
    if database.exists() and source.resolve() == database.resolve():
        raise BackupError("That file is the database itself; nothing to restore.")
    previous: Path | None = None
    if database.exists():
        previous = previous_copy_path(database)
        try:
            backup_database(previous, source=database)
        except BackupError:
            if not _is_damaged(database):
                raise
            # A damaged database cannot be copied consistently: move the file itself aside.
            previous = _move_aside_damaged(database)
    try:
        src = _open_plain(source, read_only=True)
        dest = _open_plain(database)
        try:
            src.backup(dest, pages=-1)
        finally:
            src.close()
            dest.close()
    except sqlite3.Error as error:
        where = f" The previous database is kept at {previous}." if previous else ""
        raise BackupError(f"Restore failed: {error}.{where}") from None
    # Bring the restored schema up to date now, so problems show here and not at start-up.
    from core.db import DatabaseError, connect

    try:
        conn = connect(database)
    except (DatabaseError, sqlite3.Error) as error:
        raise BackupError(f"The restored database does not open: {error}.") from None
    try:
        info = _describe(conn, database)
    finally:
        conn.close()
    return RestoreResult(
        restored_from=str(source),
        database=str(database),
        previous_copy=str(previous) if previous else None,
        info=info,
    )
