"""Shared pieces of the CLI: the error type, opening the library, safe printing."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

from core.textsafe import inert


class CliError(Exception):
    """A user-facing failure: printed as one line on stderr, exit status 1."""


# SQLite's largest integer: a bigger id cannot exist and would overflow the query.
MAX_ID = 2**63 - 1


def parse_id(text: str, what: str, hint: str = "") -> int:
    """A positive id typed on the command line; anything else is a one-line CliError.

    `what` names the thing ("card", "source"); `hint` says where to find ids.
    """
    try:
        value = int(str(text).strip())
    except ValueError:
        extra = f"; {hint}" if hint else ""
        raise CliError(f"not a {what} id: {text!r} (ids are numbers{extra})") from None
    if value <= 0 or value > MAX_ID:
        raise CliError(f"no {what} with id {value}" + (f" ({hint})" if hint else ""))
    return value


def id_option(what: str) -> Callable[[str], int]:
    """An argparse `type=` for an option taking an id: the same checks as `parse_id`."""

    def convert(text: str) -> int:
        try:
            return parse_id(text, what)
        except CliError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    convert.__name__ = f"{what} id"
    return convert


def require_terminal() -> None:
    """The app reads keys from a terminal: without one (`ponder < /dev/null`, cron, a pipe)
    Textual would spin on end-of-file forever, so say so and stop instead."""
    try:
        interactive = sys.stdin is not None and sys.stdin.isatty()
    except (ValueError, OSError):  # stdin closed
        interactive = False
    if not interactive:
        raise CliError(
            "no terminal: the app needs one to read keys (stdin is not a terminal). "
            "From scripts use the commands instead: ponder --help"
        )


def open_library():  # -> core.library.Library
    """The library, with the demo transcript seeded on first use."""
    from core.db import DatabaseError
    from core.demo import ensure_demo
    from core.library import Library

    try:
        library = Library()
    except DatabaseError as error:
        raise CliError(str(error)) from None
    ensure_demo(library)
    return library


def out(text: str = "") -> None:
    """Print text from untrusted sources with control characters made visible."""
    sys.stdout.write(inert(text) + "\n")


_C1_ESCAPES = {code: f"\\u{code:04x}" for code in range(0x80, 0xA0)}


SEGMENT_KEYS = frozenset({"first_segment", "last_segment"})


def numbered_as_shown(data: Any) -> Any:
    """Segment indexes (stored from 0) as the app numbers them (from 1), at any depth, so
    a script reads the same numbers a learner sees and `--segments` takes."""
    if isinstance(data, dict):
        return {
            key: value + 1
            if key in SEGMENT_KEYS and isinstance(value, int) and not isinstance(value, bool)
            else numbered_as_shown(value)
            for key, value in data.items()
        }
    if isinstance(data, list):
        return [numbered_as_shown(item) for item in data]
    return data


def print_json(data: Any) -> None:
    """JSON for scripts (segments numbered from 1, as shown); C1 controls (which JSON leaves
    raw) are escaped too."""
    text = json.dumps(numbered_as_shown(data), ensure_ascii=False, indent=2).translate(_C1_ESCAPES)
    sys.stdout.write(text + "\n")


# -- shared by the stats, optimize, export/import and backup commands ------------------------


def rich_console(stderr: bool = False) -> Any:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, emoji=False)


def cell(value: Any, style: str = "") -> Any:
    """A table cell that is never parsed as markup, with control characters made visible."""
    from rich.text import Text

    from core.textsafe import inert_line

    return Text(inert_line(str(value)), style=style)


def confirm(question: str) -> bool:
    from core.textsafe import inert_line

    sys.stderr.write(inert_line(question) + " [y/N] ")
    sys.stderr.flush()
    answer = sys.stdin.readline()
    return answer.strip().lower() in ("y", "yes")


class ProgressBar:
    """rich.progress on stderr for long steps; silent when stderr is not a terminal."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self.progress: Any = None
        self.tasks: dict[str, Any] = {}

    def __enter__(self) -> ProgressBar:
        if self.enabled:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
            )

            self.progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=rich_console(stderr=True),
                transient=True,
            )
            self.progress.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.progress is not None:
            self.progress.__exit__(*exc)

    def __call__(self, stage: str, done: int, total: int) -> None:
        if self.progress is None:
            return
        task = self.tasks.get(stage)
        if task is None:
            task = self.tasks[stage] = self.progress.add_task(stage, total=max(total, 1))
        self.progress.update(task, completed=done, total=max(total, 1))


def open_store():
    from decks.repository import CardStore

    return CardStore(open_library().conn)
