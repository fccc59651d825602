"""Where Ponder keeps its files: one data folder, overridable with PONDER_HOME."""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "ponder"


def home() -> Path:
    """The data folder (database, logs); PONDER_HOME wins over the platform default."""
    override = os.environ.get("PONDER_HOME")
    if override:
        path = Path(override).expanduser()
    else:
        from platformdirs import user_data_path

        path = user_data_path(APP_NAME, appauthor=False)
    path.mkdir(parents=True, exist_ok=True)
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
