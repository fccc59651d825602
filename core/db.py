"""The SQLite connection: WAL, foreign keys, busy timeout, numbered migrations.

Migrations are `core/migrations/NNNN_name.sql`, applied in order inside one transaction
each; `PRAGMA user_version` records the last one applied.
"""

from __future__ import annotations

import errno
import os
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

from core.paths import StorageError, database_path, os_error_reason

BUSY_TIMEOUT_MS = 5000
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
# A migration that rebuilds a table other tables reference says so on a line of its own:
# it runs with foreign keys off (SQLite's recipe: a DROP TABLE with them on would cascade)
# and its foreign keys are checked before it commits.
FOREIGN_KEYS_OFF = "-- ponder: foreign-keys-off"


class DatabaseError(StorageError):
    """The database could not be opened or is newer than this Ponder."""


# SQLITE_CORRUPT ("database disk image is malformed") and SQLITE_NOTADB ("file is not a
# database"): the file itself is damaged, as opposed to locked, read-only or missing.
_DAMAGE_CODES = {sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB}


def is_damage(error: BaseException) -> bool:
    """Whether `error` says the database file is damaged (not busy, not read-only)."""
    code = getattr(error, "sqlite_errorcode", None)
    return (
        isinstance(error, sqlite3.DatabaseError)
        and code is not None
        and (code & 0xFF) in _DAMAGE_CODES
    )


def damaged_message(path: Path | str, error: BaseException) -> str:
    """One line: the database is damaged, and how to recover."""
    return (
        f"The database at {path} is damaged ({error}). Recover from a backup with "
        "`ponder restore BACKUP --yes` (the damaged file is kept aside)."
    )


# Below this much free space, an I/O error from SQLite is taken as the disk being full:
# with WAL, a full disk often shows as SQLITE_IOERR (the -shm file cannot grow) instead
# of SQLITE_FULL.
_NEARLY_FULL_BYTES = 1 << 20


def free_bytes(folder: Path) -> int | None:
    """Space left for us in `folder`, or None when it cannot be told."""
    try:
        info = os.statvfs(folder)
    except (OSError, AttributeError):
        return None
    return info.f_bavail * info.f_frsize


def _writable(path: Path) -> bool:
    return os.access(path, os.W_OK)


def storage_message(error: BaseException, path: Path | str | None = None) -> str | None:
    """One line for a failure caused by the disk or the database file itself (damaged,
    disk full, read-only, a folder where the file should be); None for anything else."""
    if path is None:
        try:
            path = database_path()
        except StorageError as problem:
            return str(problem)
    path = Path(path)
    folder = path.parent
    if is_damage(error):
        return damaged_message(path, error)
    code = getattr(error, "sqlite_errorcode", None)
    primary = code & 0xFF if code is not None else None
    os_errno = error.errno if isinstance(error, OSError) else None
    free = free_bytes(folder)
    if (
        primary == sqlite3.SQLITE_FULL
        or os_errno in (errno.ENOSPC, errno.EDQUOT)
        or (primary == sqlite3.SQLITE_IOERR and free is not None and free < _NEARLY_FULL_BYTES)
    ):
        return (
            f"The disk is full ({folder}): nothing was changed and the database is intact. "
            "Free some space and try again."
        )
    if not isinstance(error, sqlite3.Error | OSError):
        return None
    if path.is_dir():
        return f"The database {path} is a folder, not a file; move it away or set PONDER_HOME."
    if folder.is_dir() and not _writable(folder):
        return (
            f"The data folder {folder} is read-only, so Ponder cannot open or save its "
            "database there. Make it writable, or point PONDER_HOME at another folder."
        )
    if path.exists() and not _writable(path):
        return (
            f"The database {path} is read-only. Make it writable (chmod u+w), or point "
            "PONDER_HOME at another folder."
        )
    if primary == sqlite3.SQLITE_READONLY or os_errno in (errno.EROFS, errno.EACCES):
        reason = os_error_reason(error) if isinstance(error, OSError) else str(error)
        return f"Cannot write the database {path}: {reason}."
    return None


def migrations() -> list[tuple[int, str, str]]:
    """(version, file name, SQL) of every bundled migration, in order."""
    found = []
    for entry in resources.files("core.migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort()
    return found


def connect(path: Path | str | None = None) -> sqlite3.Connection:
    """An open, migrated connection. Autocommit mode: use `transaction()` for writes."""
    path = Path(path) if path is not None else database_path()
    try:
        conn = sqlite3.connect(
            path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
        )
    except sqlite3.Error as error:
        message = storage_message(error, path) or f"Cannot open the database at {path}: {error}"
        raise DatabaseError(message) from None
    conn.row_factory = sqlite3.Row
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        migrate(conn)
    except sqlite3.DatabaseError as error:
        conn.close()
        message = storage_message(error, path)
        if message is None:
            message = f"Cannot open the database at {path}: {error}"
        raise DatabaseError(message) from None
    return conn


def migrate(conn: sqlite3.Connection) -> int:
    """Apply the migrations the database has not seen; returns the schema version."""
    current = conn.execute("PRAGMA user_version").fetchone()[0]
    known = migrations()
    latest = known[-1][0] if known else 0
    if current > latest:
        raise DatabaseError(
            f"The database is at schema {current}, newer than this Ponder ({latest}). "
            "Upgrade Ponder."
        )
    for version, name, sql in known:
        if version <= current:
            continue
        keys_off = FOREIGN_KEYS_OFF in sql.splitlines()
        keys_were_on = bool(conn.execute("PRAGMA foreign_keys").fetchone()[0])
        if keys_off:
            conn.execute("PRAGMA foreign_keys = OFF")  # only works outside a transaction
        try:
            _apply(conn, version, name, sql, check_keys=keys_off)
        finally:
            if keys_off and keys_were_on:
                conn.execute("PRAGMA foreign_keys = ON")
        current = version
    return max(current, conn.execute("PRAGMA user_version").fetchone()[0])


def _apply(
    conn: sqlite3.Connection, version: int, name: str, sql: str, *, check_keys: bool
) -> None:
    conn.execute("BEGIN IMMEDIATE")
    try:
        # Re-check under the write lock: another instance may have migrated meanwhile.
        if conn.execute("PRAGMA user_version").fetchone()[0] >= version:
            conn.execute("ROLLBACK")
            return
        for statement in _statements(sql):
            conn.execute(statement)
        if check_keys and conn.execute("PRAGMA foreign_key_check").fetchone() is not None:
            raise DatabaseError(f"Migration {name} would break foreign keys; nothing was changed.")
        conn.execute(f"PRAGMA user_version = {version}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _statements(sql: str) -> Iterator[str]:
    buffer = ""
    for line in sql.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                yield buffer
            buffer = ""
    if buffer.strip():
        yield buffer


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One user action = one transaction (BEGIN IMMEDIATE, so writers queue, not fail)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    else:
        conn.execute("COMMIT")
