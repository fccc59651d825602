"""Login, sync and status: the domain API the CLI and the app's worker call.

A sync is pull (Anki's normal sync of the bridge collection), merge (decks.anki_sync.merge),
push (a second normal sync). The learner's collection on the server is never replaced
without their word:

- FULL_DOWNLOAD (the bridge is empty, the account is not): download. Always safe: Ponder's
  database holds everything Ponder made, and notes are matched again by guid.
- FULL_UPLOAD (the account is empty): upload, after the merge.
- FULL_SYNC (both have data that diverged): stop with FullSyncRefused, changing nothing,
  unless `force_upload` says to replace the server's collection with the bridge.

Configuration is passed in (an AnkiAccount and the Config); nothing here reads the config
file. `progress(stage, done, total)` reports; `cancelled()` is polled, and during network
work a watcher aborts Anki's sync when it turns true.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core import clock
from decks.anki_sync.bridge import bridge_path, open_bridge
from decks.anki_sync.errors import (
    AnkiSyncError,
    FullSyncRefused,
    NotLoggedIn,
    SyncBusy,
    SyncCancelled,
    describe_endpoint,
    translate,
)
from decks.anki_sync.links import SyncLinks
from decks.anki_sync.merge import MergeCounts, Merger
from decks.anki_sync.reviews import merge_reviews
from decks.anki_sync.rows import anki_versions
from decks.models import from_db_time, to_db_time
from decks.repository import CardStore

if TYPE_CHECKING:
    import sqlite3

    from anki.collection import Collection

    from core.config import Config

ProgressFn = Callable[[str, int, int], None]
CancelFn = Callable[[], bool]
DEFAULT_TIMEOUT_S = 60
# Ponder reviews are looked at from this long before the last sync (a review written late).
WATERMARK_SLACK = timedelta(days=1)

# Anki's SyncOutput.required values.
NO_CHANGES, NORMAL_SYNC, FULL_SYNC, FULL_DOWNLOAD, FULL_UPLOAD = 0, 1, 2, 3, 4


@dataclass(frozen=True, slots=True)
class AnkiAccount:
    """Who Ponder syncs as: the user, the sync key the server gave, and the server."""

    user: str = ""
    key: str = ""
    endpoint: str = ""  # empty = AnkiWeb

    @property
    def logged_in(self) -> bool:
        return bool(self.user and self.key)

    @property
    def identity(self) -> str:
        return f"{self.user.lower()}@{describe_endpoint(self.endpoint)}"

    @classmethod
    def from_config(cls, config: Config) -> AnkiAccount:
        return cls(config.anki_user, config.anki_key, config.anki_endpoint)


@dataclass
class SyncSummary(MergeCounts):
    """What one sync did: the merge's counts, and how the sync went. `line()` is the
    one-line summary, `to_dict()` the --json object."""

    full_sync: str | None = None  # "download" / "upload" when one happened
    new_endpoint: str | None = None
    elapsed_s: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["deletions"] = len(self.deleted_in_anki) + len(self.deleted_in_ponder)
        data["elapsed_s"] = round(self.elapsed_s, 3)
        return data

    def line(self) -> str:
        text = (
            f"Synced with Anki: notes {self.notes_pushed} pushed, {self.notes_pulled} pulled; "
            f"reviews {self.reviews_pushed} pushed, {self.reviews_pulled} pulled; "
            f"deleted {len(self.deleted_in_ponder)} in Ponder, {len(self.deleted_in_anki)} in Anki"
        )
        if self.full_sync:
            text += f" (full {self.full_sync})"
        return text + "."


@dataclass(frozen=True, slots=True)
class SyncStatus:
    user: str
    endpoint: str
    logged_in: bool
    bridge: str
    bridge_bytes: int
    linked_notes: int
    linked_reviews: int
    last_sync: str | None
    last_summary: dict[str, Any] | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# -- login -------------------------------------------------------------------------------------


def login(user: str, password: str, endpoint: str = "", *, timeout_s: int = 30) -> AnkiAccount:
    """Ask the server for a sync key. The password is used once and never kept."""
    from anki.collection import Collection

    user = user.strip()
    if not user:
        raise AnkiSyncError("A user name is needed (the e-mail of the AnkiWeb account).")
    if not password:
        raise AnkiSyncError("No password given.")
    folder = tempfile.mkdtemp(prefix="ponder-anki-login-")
    col = Collection(os.path.join(folder, "login.anki2"))
    try:
        auth = col.sync_login(user, password, endpoint.strip() or None)
    except Exception as error:
        raise _translated(error, endpoint) from None
    finally:
        col.close()
        shutil.rmtree(folder, ignore_errors=True)
    return AnkiAccount(user, auth.hkey, endpoint.strip())


def _translated(error: BaseException, endpoint: str) -> BaseException:
    translated = translate(error, endpoint)
    return translated if translated is not None else error


# -- status ------------------------------------------------------------------------------------


def status(conn: sqlite3.Connection, account: AnkiAccount, home: Path) -> SyncStatus:
    """What the learner sees in `ponder anki status` (no network)."""
    links = SyncLinks(conn)
    path = bridge_path(home)
    size = sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())
    return SyncStatus(
        user=account.user,
        endpoint=describe_endpoint(account.endpoint),
        logged_in=account.logged_in,
        bridge=str(path),
        bridge_bytes=size,
        linked_notes=links.note_count(),
        linked_reviews=links.review_count(),
        last_sync=links.get("last_sync"),
        last_summary=links.get("last_summary"),
    )


# -- sync --------------------------------------------------------------------------------------


@contextlib.contextmanager
def _sync_lock(home: Path) -> Iterator[None]:
    """One sync per data folder at a time (a second one is refused, not queued)."""
    folder = home / "anki"
    folder.mkdir(parents=True, exist_ok=True)
    handle = open(folder / "sync.lock", "a+")  # noqa: SIM115 (held for the whole sync)
    try:
        try:
            import fcntl

            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except ImportError:  # Windows: no advisory lock; the databases still serialise
            pass
        except OSError:
            raise SyncBusy("Another Anki sync of this Ponder is running; try again.") from None
        yield
    finally:
        handle.close()


@contextlib.contextmanager
def _abort_when_cancelled(col: Collection, cancelled: CancelFn | None) -> Iterator[None]:
    """While network work runs, a watcher asks Anki to abort once `cancelled()` is true."""
    if cancelled is None:
        yield
        return
    stop = threading.Event()

    def watch() -> None:
        while not stop.wait(0.1):
            if cancelled():
                col.abort_sync()
                return

    watcher = threading.Thread(target=watch, name="anki-sync-cancel", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        stop.set()
        watcher.join()


def _forget_bridge(path: Path) -> None:
    for candidate in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        candidate.unlink(missing_ok=True)
    media = path.with_name(path.stem + ".media")
    if media.is_dir():
        shutil.rmtree(media, ignore_errors=True)
    media_db = path.with_name(path.stem + ".media.db2")
    media_db.unlink(missing_ok=True)


class _Session:
    """One sync run: the bridge, the auth, and the steps with error translation."""

    def __init__(
        self,
        col: Collection,
        account: AnkiAccount,
        timeout_s: int,
        progress: ProgressFn,
        cancelled: CancelFn | None,
    ) -> None:
        from anki.sync import SyncAuth

        self.col = col
        self.account = account
        self.auth = SyncAuth(
            hkey=account.key, endpoint=account.endpoint or None, io_timeout_secs=timeout_s
        )
        self.progress = progress
        self.cancelled = cancelled

    def network(self, what: Callable[[], Any]) -> Any:
        with _abort_when_cancelled(self.col, self.cancelled):
            try:
                return what()
            except Exception as error:
                translated = translate(error, self.account.endpoint)
                if translated is None:
                    raise
                raise translated from None

    def normal(self, stage: str) -> Any:
        self.progress(stage, 0, 1)
        out = self.network(lambda: self.col.sync_collection(self.auth, False))
        if out.new_endpoint:
            self.auth = type(self.auth)(
                hkey=self.auth.hkey,
                endpoint=out.new_endpoint,
                io_timeout_secs=self.auth.io_timeout_secs,
            )
        self.progress(stage, 1, 1)
        return out

    def full(self, out: Any, *, upload: bool) -> None:
        stage = "Uploading the collection" if upload else "Downloading the collection"
        self.progress(stage, 0, 1)
        col = self.col
        col.close_for_full_sync()
        try:
            self.network(
                lambda: col.full_upload_or_download(
                    auth=self.auth, server_usn=out.server_media_usn, upload=upload
                )
            )
        finally:
            col.reopen(after_full_sync=True)
        self.progress(stage, 1, 1)


def _refusal(account: AnkiAccount) -> FullSyncRefused:
    return FullSyncRefused(
        f"{describe_endpoint(account.endpoint)} asks for a full sync (the collection there "
        "and Ponder's copy diverged); nothing was changed. Sync once in Anki to settle it, or "
        "run `ponder anki sync --force-upload` to replace the server's collection with Ponder's."
    )


def sync(
    conn: sqlite3.Connection,
    account: AnkiAccount,
    config: Config,
    *,
    home: Path,
    force_upload: bool = False,
    progress: ProgressFn | None = None,
    cancelled: CancelFn | None = None,
    timeout_s: int = DEFAULT_TIMEOUT_S,
    now: datetime | None = None,
) -> SyncSummary:
    """Pull, merge, push. Raises an AnkiSyncError subclass with a one-line message."""
    with _anki_errors_translated(account.endpoint):
        if not account.logged_in:
            raise NotLoggedIn("Not logged in to Anki; run `ponder anki login USER` first.")
        report: ProgressFn = progress or (lambda _stage, _done, _total: None)
        is_cancelled: CancelFn = cancelled or (lambda: False)
        started = time.perf_counter()
        now = now or clock.now()
        summary = SyncSummary()
        links = SyncLinks(conn)
        path = bridge_path(home)
        with _sync_lock(home):
            if links.get("account") not in (None, account.identity):
                _forget_bridge(path)  # another account: nothing from the old one applies
                links.forget_account()
            try:
                col, fresh = open_bridge(path)
            except Exception as error:
                from anki.errors import DBError

                if not isinstance(error, DBError):
                    raise
                raise AnkiSyncError(
                    f"Ponder's copy of the Anki collection ({path}) cannot be opened "
                    f"({' '.join(str(error).split())}); remove that file and sync again: "
                    "Ponder rebuilds it from the server and its own cards."
                ) from None
            try:
                if fresh:
                    links.clear_notes()  # a new bridge: notes are matched by guid again
                session = _Session(col, account, timeout_s, report, cancelled)
                out = session.normal("Pulling from Anki")
                upload = False
                if out.required == FULL_DOWNLOAD:
                    session.full(out, upload=False)
                    links.clear_notes()
                    summary.full_sync = "download"
                elif out.required == FULL_SYNC:
                    if not force_upload:
                        raise _refusal(account)
                    upload = True
                if is_cancelled():
                    raise SyncCancelled("Sync cancelled before anything was merged.")
                links.set(account=account.identity)
                pulled_usn = int(col.db.scalar("select usn from col") or 0)
                incremental = not fresh and summary.full_sync is None
                last_usn = links.get("revlog_usn") if incremental else None
                since = from_db_time(links.get("reviews_checked")) if incremental else None
                counts = run_merge(
                    col,
                    CardStore(conn),
                    config,
                    now=now,
                    revlog_usn=last_usn,
                    reviews_since=since,
                    progress=report,
                    cancelled=is_cancelled,
                )
                for item in fields(MergeCounts):
                    setattr(summary, item.name, getattr(counts, item.name))
                settled = not summary.skipped
                if upload:
                    session.full(out, upload=True)
                    summary.full_sync = "upload"
                else:
                    pushed = session.normal("Pushing to Anki")
                    if pushed.required == FULL_UPLOAD:  # the account is empty: nothing to lose
                        session.full(pushed, upload=True)
                        summary.full_sync = summary.full_sync or "upload"
                    elif pushed.required == FULL_SYNC:
                        if not force_upload:
                            raise _refusal(account)
                        session.full(pushed, upload=True)
                        summary.full_sync = "upload"
                    elif pushed.required == FULL_DOWNLOAD:
                        session.full(pushed, upload=False)
                        links.clear_notes()
                        summary.full_sync = "download"
                        settled = False
                # Notes linked before the push now carry the server's usn: note it, so only a
                # change that arrives later counts as an edit made in Anki.
                pending = links.unpushed_notes()
                versions = anki_versions(col, pending)
                links.set_anki_versions((nid, mod, usn) for nid, (mod, usn) in versions.items())
                if summary.full_sync == "upload":
                    # The server now holds exactly the bridge: later rows come after its usn.
                    pulled_usn = int(col.db.scalar("select usn from col") or 0)
                if session.auth.endpoint and session.auth.endpoint != (account.endpoint or None):
                    summary.new_endpoint = session.auth.endpoint
                summary.elapsed_s = time.perf_counter() - started
                # Where this merge left off; with reviews left for later (or a download after
                # the merge) the next merge looks at everything again.
                links.set(
                    last_sync=to_db_time(now),
                    revlog_usn=pulled_usn if settled else None,
                    reviews_checked=to_db_time(now - WATERMARK_SLACK) if settled else None,
                    last_summary=summary.to_dict(),
                )
            finally:
                col.close()
        return summary


@contextlib.contextmanager
def _anki_errors_translated(endpoint: str | None) -> Iterator[None]:
    """The anki library's own exceptions, outside the network steps, as one-line
    AnkiSyncErrors."""
    from anki.errors import AnkiException

    try:
        yield
    except AnkiException as error:
        translated = translate(error, endpoint)
        if translated is not None:
            raise translated from None
        detail = " ".join(str(error).split()) or type(error).__name__
        raise AnkiSyncError(
            f"Anki's library failed ({detail}); nothing is lost, try the sync again."
        ) from None


def run_merge(
    col: Collection,
    store: CardStore,
    config: Config,
    *,
    now: datetime,
    revlog_usn: int | None,
    reviews_since: datetime | None,
    progress: Callable[[str, int, int], None],
    cancelled: Callable[[], bool],
) -> MergeCounts:
    """Notes (merge.Merger), then reviews (reviews.merge_reviews), then Anki's scheduling
    and decks; see decks.anki_sync.merge's docstring.

    `revlog_usn` / `reviews_since`: where the last complete merge left off on each side
    (None: look at everything, as on a first sync or after a full download).
    """
    merger = Merger(col, store, config, now=now, progress=progress, cancelled=cancelled)
    merger.merge_notes(revlog_usn if reviews_since is not None else None)
    merger.check()
    if merger.notes_changed:  # cards came or went on a side: read the keys again
        merger.load_ponder()
        merger.load_anki_cards()
    pairs = merger.card_pairs()
    full = revlog_usn is None or reviews_since is None or bool(merger.newly_linked)
    touched = merge_reviews(
        merger,
        pairs,
        revlog_usn=None if full else revlog_usn,
        since=None if full else reviews_since,
    )
    merger.check()
    merger.push_schedules(touched, pairs)
    merger.push_decks(pairs)
    return merger.counts


def bridge_size(home: Path) -> int:
    """Bytes on disk of the bridge collection (with its write-ahead log)."""
    path = bridge_path(home)
    return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())
