"""The `ponder` command. Subcommands are registered by the modules in this package.

Nothing here imports Textual or anthropic at module level: `ponder --help`, `ponder list`
and friends must start fast. The TUI is imported only when `ponder` runs without a
subcommand (or with `ponder ui`).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import sys
from collections.abc import Sequence

from tui.cli.common import CliError

# Each module defines `register(subparsers)`; a module not written yet is skipped.
COMMAND_MODULES = (
    "tui.cli.sources",
    "tui.cli.cards",
    "tui.cli.chat",
    "tui.cli.stats",
    "tui.cli.optimize",
    "tui.cli.export_import",
    "tui.cli.backup",
    "tui.cli.review",
    "tui.cli.search",
    "tui.cli.collections",
    "tui.cli.anki",
)


class _IntermixedParser(argparse.ArgumentParser):
    """A subcommand parser that takes its options anywhere on the line.

    Plain argparse fills an optional positional (`ask 3 [QUESTION]`) before it reaches an
    option, so `ponder ask 3 --new "Quiz me"` failed with "unrecognized arguments".
    Intermixed parsing reads the options first, then the positionals. A parser that has
    subcommands of its own (`ponder card ...`) parses plainly and hands on to them.
    """

    _intermixing = False

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        has_subcommands = any(
            isinstance(action, argparse._SubParsersAction) for action in self._actions
        )
        if self._intermixing or has_subcommands:
            return super().parse_known_args(args, namespace)
        self._intermixing = True
        try:
            return self.parse_known_intermixed_args(args, namespace)
        finally:
            self._intermixing = False


def build_parser() -> argparse.ArgumentParser:
    from core.paths import config_path

    parser = argparse.ArgumentParser(
        prog="ponder",
        description="A keyboard-driven terminal study companion. "
        "Run without a command to open the app.",
        epilog=f"Config file: {config_path()}  (data folder: $PONDER_HOME or the platform default)",
    )
    subparsers = parser.add_subparsers(
        dest="command", metavar="COMMAND", parser_class=_IntermixedParser
    )
    ui = subparsers.add_parser("ui", help="open the app (the default)")
    ui.set_defaults(func=lambda _args: _run_app())
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as error:
            if error.name == name:
                continue
            raise
        module.register(subparsers)
    return parser


def _run_app() -> int:
    from core.db import DatabaseError
    from core.library import Library
    from tui.cli.common import require_terminal

    try:
        library = Library()
    except DatabaseError as error:  # e.g. a database newer than this Ponder, or damaged
        raise CliError(str(error)) from None
    try:
        require_terminal()
        from tui.app import run

        return run(library)
    except DatabaseError as error:
        raise CliError(str(error)) from None
    finally:
        library.close()


def _warn_about_config() -> None:
    """One line on stderr for each problem in the config file (the command still runs).

    A data folder that cannot be used is reported first, alone (StorageError)."""
    from core.config import load_with_warnings
    from core.paths import home

    home()
    from core.textsafe import inert_line

    for warning in load_with_warnings()[1]:
        print(f"ponder: warning: {inert_line(warning)}", file=sys.stderr)


# Arguments that name files: kept as the OS gave them (non-UTF-8 bytes included) so the
# file opens; every other argument is text and is repaired by `from_os` before use.
PATH_ARGUMENTS = frozenset({"path", "out", "source", "video", "collection", "file", "backup"})


def _printable_streams() -> None:
    """Output never fails on a character the locale cannot encode (`PYTHONIOENCODING=ascii`,
    LANG=C): it is written as an escape instead of raising UnicodeEncodeError."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with contextlib.suppress(ValueError, OSError):  # a closed or detached stream
                reconfigure(errors="backslashreplace")


def _repair_text_arguments(args: argparse.Namespace) -> None:
    from core.textsafe import from_os

    for key, value in vars(args).items():
        if key in PATH_ARGUMENTS:
            continue
        if isinstance(value, str):
            setattr(args, key, from_os(value))
        elif isinstance(value, list) and all(isinstance(item, str) for item in value):
            setattr(args, key, [from_os(item) for item in value])


def _say_on_stderr(line: str) -> None:
    print(f"ponder: {line}", file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    _printable_streams()
    # Bare `ponder` opens the app at once: no need to import every command module first.
    func = None
    if arguments:
        args = build_parser().parse_args(arguments)
        func = getattr(args, "func", None)
        _repair_text_arguments(args)
    from core.db import report_upgrades, set_activity

    # Named by another Ponder that has to wait for this one's write lock.
    from core.textsafe import from_os

    activity = "the Ponder app" if func is None else "ponder " + " ".join(arguments)
    set_activity(from_os(activity))
    report_upgrades(_say_on_stderr)
    try:
        if func is None:
            return _run_app()
        _warn_about_config()
        return int(func(args) or 0)
    except CliError as error:
        from core.textsafe import inert_line

        print(f"ponder: {inert_line(str(error))}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("ponder: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as error:  # the disk or the database failing under a running command
        from core.db import storage_message
        from core.paths import StorageError
        from core.textsafe import inert_line

        message = str(error) if isinstance(error, StorageError) else storage_message(error)
        if message is None:
            raise
        print(f"ponder: {inert_line(message)}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
