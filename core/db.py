"""The SQLite connection: WAL, foreign keys, busy timeout, numbered migrations.

Migrations are `core/migrations/NNNN_name.sql`, applied in order inside one transaction
each; `PRAGMA user_version` records the last one applied. A migration that rewrites a big
table says `-- ponder: vacuum after`, so the pages it freed go back to the file system
(backups copy every page, free ones too) once it is applied.
"""

from __future__ import annotations

import errno
import os
import re
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from importlib import resources
from pathlib import Path

from core.paths import StorageError, database_path, os_error_reason

BUSY_TIMEOUT_MS = 5000
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
# A migration that rebuilds a table other tables reference says so on a line of its own:
# it runs with foreign keys off (SQLite's recipe: a DROP TABLE with them on would cascade)
# and its foreign keys are checked before it commits.
FOREIGN_KEYS_OFF = "-- ponder: foreign-keys-off"
# A migration that rewrites a big table: VACUUM once it is applied (outside a transaction).
VACUUM_AFTER = "-- ponder: vacuum after"


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


def _inside(filename: object, folder: Path) -> bool:
    """Whether an OSError's file is in the data folder (None: not known, so yes)."""
    if filename is None:
        return True
    try:
        return Path(os.fsdecode(filename)).resolve().is_relative_to(folder.resolve())
    except (OSError, ValueError, TypeError):
        return False


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
    if isinstance(error, OSError) and not _inside(error.filename, folder):
        return None  # some other file (the user's own): its caller reports it
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
    if isinstance(error, sqlite3.OperationalError) and _is_busy(error):
        who = lock_holder(path) or "another program using the database"
        return f"The database is busy: {who} holds the write lock. Try again when it is done."
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


_upgrade_reporter: Callable[[str], None] | None = None


def report_upgrades(reporter: Callable[[str], None] | None) -> None:
    """Where to say what an upgrade of an existing library is doing (the entry points print
    it): rebuilding an index or a table of a large library takes seconds, and a silent
    wait at start-up looks like a hang."""
    global _upgrade_reporter
    _upgrade_reporter = reporter


def _report(line: str) -> None:
    if _upgrade_reporter is not None:
        _upgrade_reporter(line)


def migration_summary(sql: str) -> str:
    """A migration's first comment line (what it does), for the upgrade report."""
    for line in sql.splitlines():
        text = line.removeprefix("--").strip()
        if line.startswith("--") and text and not text.startswith("ponder:"):
            return text.rstrip(".:")
    return "schema change"


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
            path,
            timeout=BUSY_TIMEOUT_MS / 1000,
            isolation_level=None,
            check_same_thread=False,
            factory=_Connection,
        )
    except sqlite3.Error as error:
        message = storage_message(error, path) or f"Cannot open the database at {path}: {error}"
        raise DatabaseError(message) from None
    conn.row_factory = sqlite3.Row
    conn.database_file = path.resolve() if str(path) != ":memory:" else None
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys = ON")
        _while_locked(lambda: _set_up(conn))
    except sqlite3.DatabaseError as error:
        conn.close()
        message = storage_message(error, path)
        if message is None:
            message = f"Cannot open the database at {path}: {error}"
        raise DatabaseError(message) from None
    return conn


def _set_up(conn: sqlite3.Connection) -> None:
    conn.execute("PRAGMA journal_mode = WAL").fetchall()  # no statement left running
    conn.execute("PRAGMA synchronous = NORMAL")
    migrate(conn)


def _while_locked(step: Callable[[], object]) -> None:
    """Run `step` again while another Ponder's lock holds it up, for up to WRITE_WAIT_S as
    begin_write waits: two instances starting together on a new folder, or a checkpoint
    slowed by a busy disk, can hold a lock longer than one busy timeout. The setup steps
    (WAL mode, migrations that re-check the version under the write lock) can be repeated."""
    deadline = time.monotonic() + WRITE_WAIT_S
    while True:
        try:
            step()
            return
        except sqlite3.OperationalError as error:
            # SQLITE_BUSY also means "statements in progress", which waiting never cures.
            locked = _is_busy(error) and "locked" in str(error).lower()
            if not locked or time.monotonic() > deadline:
                raise


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
    vacuum = False
    pending = [(version, name, sql) for version, name, sql in known if version > current]
    upgrading = current > 0  # a new database is made, not upgraded: nothing to say
    started = time.monotonic()
    for number, (version, name, sql) in enumerate(pending, 1):
        if upgrading:
            _report(
                f"Upgrading the library ({number} of {len(pending)}): {migration_summary(sql)}…"
            )
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
        vacuum = vacuum or (upgrading and VACUUM_AFTER in sql.splitlines())
    if vacuum:  # only an upgrade frees pages: a new database has none to give back
        _report("Upgrading the library: giving the freed space back to the disk…")
        # Only space: another open Ponder (busy) or a read-only file keeps it for later.
        with suppress(sqlite3.OperationalError):
            conn.execute("VACUUM")
    if upgrading and pending:
        _report(f"The library is up to date ({time.monotonic() - started:.1f} s).")
    return max(current, conn.execute("PRAGMA user_version").fetchone()[0])


def _apply(
    conn: sqlite3.Connection, version: int, name: str, sql: str, *, check_keys: bool
) -> None:
    begin_write(conn)
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


# -- writers taking turns ---------------------------------------------------------------
#
# SQLite lets one writer at a time in. A large import holds the write lock for a minute or
# more, so a writer keeps asking (each ask waits BUSY_TIMEOUT_MS) for up to WRITE_WAIT_S
# before giving up. Each process that writes leaves a note beside the database on its first
# write (`ponder.db.writer-<pid>`: when it started and what it is doing; removed at exit),
# so a writer that does give up can name the work holding the lock: the process holding
# the WAL write lock when the system says which (Linux), else every other live writer.

WRITE_WAIT_S = 900.0
_WAL_WRITE_LOCK_BYTE = 120  # SQLite's WAL_WRITE_LOCK in the -shm file (wal.c)
_activity = "Ponder"
_started = 0.0
_noted: set[Path] = set()


class DatabaseBusy(DatabaseError):
    """Another process held the write lock for longer than WRITE_WAIT_S."""


def set_activity(text: str) -> None:
    """What this process is doing, as other Ponders waiting for the lock will name it."""
    global _activity
    _activity = " ".join(text.split())[:200] or "Ponder"


class _Connection(sqlite3.Connection):
    """A connection that knows its file (asking SQLite costs more than the transaction)."""

    database_file: Path | None = None


def _database_file(conn: sqlite3.Connection) -> Path | None:
    known = getattr(conn, "database_file", None)
    if known is not None:
        return known
    try:
        row = conn.execute("PRAGMA database_list").fetchone()
    except sqlite3.Error:
        return None
    return Path(row[2]) if row and row[2] else None


def _note_path(database: Path, pid: int) -> Path:
    return database.with_name(f"{database.name}.writer-{pid}")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def _write_lock_pid(database: Path) -> int | None:
    """The pid holding the WAL write lock, asked of the kernel (F_GETLK); None if unknown."""
    try:
        import fcntl
        import struct
    except ImportError:  # not POSIX
        return None
    layout = "hhqqi4x"  # struct flock on Linux (64-bit off_t)
    try:
        fd = os.open(f"{database}-shm", os.O_RDWR)
    except OSError:
        return None
    try:
        request = struct.pack(layout, fcntl.F_WRLCK, os.SEEK_SET, _WAL_WRITE_LOCK_BYTE, 1, 0)
        answer = fcntl.fcntl(fd, fcntl.F_GETLK, request)
        kind, _whence, _start, _length, pid = struct.unpack(layout, answer)
    except (OSError, struct.error, ValueError):
        return None
    finally:
        os.close(fd)
    return pid if kind != fcntl.F_UNLCK and pid > 0 else None


def _describe_writer(database: Path, pid: int) -> str:

    try:
        started_text, activity = (
            _note_path(database, pid).read_text(encoding="utf-8").split("\n", 1)
        )
        since = f", running for {max(0.0, time.time() - float(started_text)):.0f} s"
        return f"{activity.strip()} (pid {pid}{since})"
    except (OSError, ValueError):
        return f"another program (pid {pid})"


def lock_holder(database: Path) -> str | None:
    """Who holds the write lock, e.g. "ponder add big.srt (pid 123, running for 42 s)"."""
    holder = _write_lock_pid(database)
    if holder is not None:
        return _describe_writer(database, holder)
    others = []
    for pid in _live_writers(database):
        if pid != os.getpid():
            others.append(_describe_writer(database, pid))
    return "; ".join(others[:3]) or None


def _live_writers(database: Path) -> list[int]:
    """The pids with a note beside `database`; notes of processes that died are removed."""
    pids = []
    for note in sorted(database.parent.glob(f"{database.name}.writer-*")):
        try:
            pid = int(note.name.rsplit("-", 1)[1])
        except ValueError:
            continue
        if _pid_alive(pid):
            pids.append(pid)
        else:
            with suppress(OSError):
                note.unlink()  # left by a process that was killed
    return pids


def _note_writer(database: Path | None) -> None:
    """Once per process and database: what this process is doing, for waiting writers."""
    import atexit

    if database is None or database in _noted:
        return
    _noted.add(database)
    note = _note_path(database, os.getpid())
    global _started
    _started = _started or time.time()
    with suppress(OSError):
        note.write_text(f"{_started:.0f}\n{_activity}", encoding="utf-8")
        atexit.register(_remove_note, note)
        _live_writers(database)  # sweep the notes of killed processes


def _remove_note(note: Path) -> None:
    with suppress(OSError):
        note.unlink()


def _is_busy(error: sqlite3.OperationalError) -> bool:
    code = getattr(error, "sqlite_errorcode", None)
    return code is not None and (code & 0xFF) in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


def begin_write(conn: sqlite3.Connection) -> Path | None:
    """BEGIN IMMEDIATE, waiting up to WRITE_WAIT_S for other writers; DatabaseBusy (naming
    the holder) past that. Returns the database file (for the writer note)."""

    database = _database_file(conn)
    deadline = time.monotonic() + WRITE_WAIT_S
    while True:
        try:
            conn.execute("BEGIN IMMEDIATE")
            break
        except sqlite3.OperationalError as error:
            if not _is_busy(error):
                raise
            if time.monotonic() < deadline:
                continue  # each attempt already waited busy_timeout
            holder = lock_holder(database) if database is not None else None
            who = holder or "another program using the database"
            raise DatabaseBusy(
                f"The database is busy: {who} still holds the write lock after "
                f"{WRITE_WAIT_S:.0f} s of waiting. Try again when it has finished."
            ) from None
    _note_writer(database)
    return database


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One user action = one transaction (BEGIN IMMEDIATE, so writers queue, not fail)."""
    begin_write(conn)
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    else:
        conn.execute("COMMIT")
