"""Where Ponder keeps its files: one data folder, overridable with PONDER_HOME."""

from __future__ import annotations

import errno
import os
from pathlib import Path

APP_NAME = "ponder"


class StorageError(RuntimeError):
    """The data folder or the database cannot be used (one line saying why and what to do)."""


def os_error_reason(error: OSError) -> str:
    """Why an OS call on our files failed, in words a learner can act on."""
    if error.errno == errno.ENOSPC or error.errno == errno.EDQUOT:
        return "the disk is full; free some space and try again"
    if error.errno == errno.EROFS:
        return "it is on a read-only file system"
    if error.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    return error.strerror or str(error)


def home() -> Path:
    """The data folder (database, logs); PONDER_HOME wins over the platform default."""
    override = os.environ.get("PONDER_HOME")
    if override:
        path = Path(override).expanduser()
    else:
        from platformdirs import user_data_path

        path = user_data_path(APP_NAME, appauthor=False)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        where = "PONDER_HOME" if override else "The data folder"
        raise StorageError(
            f"{where} {path} is a file, not a folder; point PONDER_HOME at a folder."
        ) from None
    except OSError as error:
        raise StorageError(
            f"Cannot create the data folder {path}: {os_error_reason(error)} "
            "(or point PONDER_HOME at another folder)."
        ) from None
    return path


def config_path() -> Path:
    """The TOML config file; inside PONDER_HOME when that is set, so tests stay isolated."""
    override = os.environ.get("PONDER_HOME")
    if override:
        return Path(override).expanduser() / "config.toml"
    from platformdirs import user_config_path

    return user_config_path(APP_NAME, appauthor=False) / "config.toml"


def database_path() -> Path:
    return home() / "ponder.db"
