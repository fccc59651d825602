"""What can go wrong in an Anki sync, each a one-line message for the learner.

The `anki` library raises its own exceptions (SyncError with an AUTH kind for a refused
user/password or key, NetworkError for connection trouble and timeouts, Interrupted for an
aborted sync); `translate` turns them into these, so callers never import `anki`.
"""

from __future__ import annotations


class AnkiSyncError(RuntimeError):
    """A sync or login that did not happen; the message says why, in one line."""


class NotLoggedIn(AnkiSyncError):
    """No sync key yet: `ponder anki login` first."""


class LoginFailed(AnkiSyncError):
    """The server refused the user and password (or the stored key)."""


class ServerUnreachable(AnkiSyncError):
    """No connection to the sync server (offline, wrong address, server down)."""


class SyncTimeout(AnkiSyncError):
    """The server did not answer in time."""


class FullSyncRefused(AnkiSyncError):
    """The server wants a full sync (one side replaces the other); Ponder will not upload
    over an existing collection without the learner's explicit word (`--force-upload`)."""


class SyncCancelled(AnkiSyncError):
    """The learner cancelled (Esc); whatever was merged so far is consistent."""


class SyncBusy(AnkiSyncError):
    """Another sync of this Ponder data folder is running."""


def describe_endpoint(endpoint: str | None) -> str:
    return endpoint.strip() if endpoint and endpoint.strip() else "AnkiWeb"


def translate(error: BaseException, endpoint: str | None) -> AnkiSyncError | None:
    """The AnkiSyncError for an exception from the `anki` library; None if it is not one."""
    from anki.errors import Interrupted, NetworkError, SyncError, SyncErrorKind

    where = describe_endpoint(endpoint)
    detail = " ".join(str(error).split())
    if isinstance(error, SyncError):
        if error.kind == SyncErrorKind.AUTH:
            return LoginFailed(
                f"{where} refused the user name or password (or the stored sync key); "
                "log in again with `ponder anki login USER`."
            )
        return AnkiSyncError(f"{where} refused the sync: {detail or 'no reason given'}.")
    if isinstance(error, NetworkError):
        lowered = detail.lower()
        if "timed out" in lowered or "timeout" in lowered:
            return SyncTimeout(f"{where} did not answer in time; try again later.")
        return ServerUnreachable(
            f"Cannot reach {where} ({detail or 'no connection'}); "
            "check the network or the server address."
        )
    if isinstance(error, Interrupted):
        return SyncCancelled("Sync cancelled.")
    return None
