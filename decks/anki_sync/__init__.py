"""Two-way sync with Anki (AnkiWeb or a self-hosted server) through Anki's own library.

Ponder keeps a bridge collection at `$PONDER_HOME/anki/collection.anki2` and syncs it with
Anki's protocol; the merge between it and Ponder's database is in `merge`. Callers (the
CLI, the app's worker) use only what is exported here. Importing this package does not
import `anki`; that happens when a sync or login runs.
"""

from decks.anki_model import NOTE_TYPES
from decks.anki_sync.bridge import bridge_path
from decks.anki_sync.engine import (
    AnkiAccount,
    SyncStatus,
    SyncSummary,
    bridge_size,
    login,
    status,
    sync,
)
from decks.anki_sync.errors import (
    AnkiSyncError,
    FullSyncRefused,
    LoginFailed,
    NotLoggedIn,
    ServerUnreachable,
    SyncBusy,
    SyncCancelled,
    SyncTimeout,
)

__all__ = [
    "NOTE_TYPES",
    "AnkiAccount",
    "AnkiSyncError",
    "FullSyncRefused",
    "LoginFailed",
    "NotLoggedIn",
    "ServerUnreachable",
    "SyncBusy",
    "SyncCancelled",
    "SyncStatus",
    "SyncSummary",
    "SyncTimeout",
    "bridge_path",
    "bridge_size",
    "login",
    "status",
    "sync",
]
