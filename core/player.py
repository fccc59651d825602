"""Playing a transcribed audio/video file from a moment in an installed media player.

Ponder plays nothing itself: it starts mpv or VLC (the first one found on PATH) with its
start-time option and lets it run on its own. Failures are `PlaybackError`s whose str() is
one line for the user; the transcript never depends on the media file still being there.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from core.durations import format_hms

PLAYERS = ("mpv", "vlc")


class PlaybackError(Exception):
    """The file could not be played; str() is a one-line reason."""


@dataclass(frozen=True, slots=True)
class Playing:
    """What was started: the player's name, the file and the moment (seconds)."""

    player: str
    path: Path
    start_s: float

    def describe(self) -> str:
        return f"Playing {self.path.name} in {self.player} from {format_hms(self.start_s)}"


def find_player(which: Callable[[str], str | None] = shutil.which) -> tuple[str, str] | None:
    """(name, executable) of the first player of PLAYERS on PATH, or None."""
    for name in PLAYERS:
        executable = which(name)
        if executable:
            return name, executable
    return None


def player_command(name: str, executable: str, path: Path, start_s: float) -> list[str]:
    """The argv that plays `path` from `start_s` seconds (each player's start-time option)."""
    start = f"{max(0.0, start_s):.3f}"
    if name == "mpv":
        # --no-terminal: mpv must not read keys from (or draw on) Ponder's terminal.
        return [executable, "--no-terminal", f"--start={start}", "--", str(path)]
    # VLC: its start-time option is in seconds; the path is absolute, so never an option.
    return [executable, f"--start-time={start}", "--play-and-exit", str(path)]


_current: subprocess.Popen[bytes] | None = None


def play(media_path: str | Path, start_s: float | None) -> Playing:
    """Start a player on `media_path` at `start_s`; the previous one Ponder started stops.

    Raises PlaybackError when the file is gone or no player is installed.
    """
    global _current
    path = Path(media_path)
    if not path.is_file():
        raise PlaybackError(
            f"The media file is no longer at {path} (moved or deleted); the transcript still works."
        )
    found = find_player()
    if found is None:
        raise PlaybackError(
            f"No media player found to play {path.name}: looked for "
            + " and ".join(PLAYERS)
            + " on PATH."
        )
    name, executable = found
    start = max(0.0, start_s or 0.0)
    if _current is not None and _current.poll() is None:
        _current.terminate()  # one moment at a time, not two voices at once
    try:
        _current = subprocess.Popen(
            player_command(name, executable, path, start),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    except OSError as error:
        raise PlaybackError(f"Could not start {name}: {error.strerror or error}") from None
    return Playing(name, path, start)
