"""`ponder anki login|logout|status|sync`: two-way sync with Anki (decks.anki_sync).

The password is read with getpass (or from stdin when stdin is not a terminal) and used
once: only the sync key, the endpoint and the user go into the config file (mode 0600).
Every failure is one line on stderr and exit status 1.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from tui.cli.common import CliError, out, print_json


def register(subparsers: Any) -> None:
    anki = subparsers.add_parser(
        "anki",
        help="two-way sync with Anki (AnkiWeb or a self-hosted sync server)",
        description="Sync Ponder's cards and reviews with Anki: the cards appear on every "
        "device (AnkiDroid, AnkiMobile, Anki) and reviews made anywhere come back into "
        "Ponder's FSRS history.",
    )
    commands = anki.add_subparsers(dest="anki_command", metavar="COMMAND")
    login = commands.add_parser(
        "login",
        help="log in and keep the sync key (never the password)",
        description="Ask for the password (read from stdin when it is not a terminal), get a "
        "sync key from the server and store the key, endpoint and user in the config file.",
    )
    login.add_argument("user", metavar="USER", help="the AnkiWeb e-mail or sync user name")
    login.add_argument(
        "--endpoint",
        metavar="URL",
        default="",
        help="a self-hosted Anki sync server, e.g. http://host:8080/ (default: AnkiWeb)",
    )
    login.set_defaults(func=cmd_login)
    logout = commands.add_parser("logout", help="forget the sync key")
    logout.set_defaults(func=cmd_logout)
    status = commands.add_parser("status", help="who is logged in, the last sync, the bridge")
    status.add_argument("--json", action="store_true", help="print a JSON object")
    status.set_defaults(func=cmd_status)
    sync = commands.add_parser(
        "sync",
        help="pull, merge, push",
        description="Pull from Anki, merge notes and reviews, push back; prints one line.",
    )
    sync.add_argument("--json", action="store_true", help="print the counts as a JSON object")
    sync.add_argument(
        "--force-upload",
        action="store_true",
        help="when the server demands a full sync, replace the server's collection with "
        "Ponder's copy (what is only on the server is lost)",
    )
    sync.set_defaults(func=cmd_sync)
    anki.set_defaults(func=lambda _args: anki.print_help() or 0)


def _read_password(user: str) -> str:
    if sys.stdin is not None and sys.stdin.isatty():
        import getpass

        return getpass.getpass(f"Anki password for {user}: ")
    line = sys.stdin.readline() if sys.stdin is not None else ""
    return line.rstrip("\r\n")


def cmd_login(args: argparse.Namespace) -> int:
    from core.config import load, save
    from core.textsafe import inert_line
    from decks.anki_sync import AnkiSyncError, login

    password = _read_password(args.user)
    try:
        account = login(args.user, password, args.endpoint)
    except AnkiSyncError as error:
        raise CliError(str(error)) from None
    finally:
        password = ""
    config = load()
    config.anki_user = account.user
    config.anki_key = account.key
    config.anki_endpoint = account.endpoint
    save(config)
    where = account.endpoint or "AnkiWeb"
    out(f"Logged in to {inert_line(where)} as {inert_line(account.user)}.")
    return 0


def cmd_logout(_args: argparse.Namespace) -> int:
    from core.config import load, save

    config = load()
    was = bool(config.anki_key)
    config.anki_key = ""
    save(config)
    out("Logged out of Anki." if was else "Not logged in to Anki.")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from core.config import load
    from core.paths import home
    from decks.anki_sync import AnkiAccount, status
    from tui.cli.common import open_library

    account = AnkiAccount.from_config(load())
    library = open_library()
    try:
        report = status(library.conn, account, home())
    finally:
        library.close()
    if args.json:
        print_json(report.to_dict())
        return 0
    if report.logged_in:
        out(f"Logged in to {report.endpoint} as {report.user}.")
    else:
        out("Not logged in to Anki (ponder anki login USER).")
    out(f"Last sync: {report.last_sync or 'never'}")
    out(f"Linked: {report.linked_notes} notes, {report.linked_reviews} reviews")
    out(f"Bridge collection: {report.bridge} ({report.bridge_bytes / 1e6:.1f} MB)")
    return 0


def _progress() -> Any:
    """Stage names on stderr for someone watching a terminal; silent otherwise."""
    if not sys.stderr.isatty():
        return None
    shown: set[str] = set()

    def report(stage: str, done: int, total: int) -> None:
        if stage not in shown:
            shown.add(stage)
            sys.stderr.write(f"{stage}...\n")
            sys.stderr.flush()

    return report


def cmd_sync(args: argparse.Namespace) -> int:
    from core.config import load, save
    from core.paths import home
    from decks.anki_sync import AnkiAccount, AnkiSyncError, sync
    from tui.cli.common import open_library

    config = load()
    account = AnkiAccount.from_config(config)
    library = open_library()
    try:
        summary = sync(
            library.conn,
            account,
            config,
            home=home(),
            force_upload=args.force_upload,
            progress=_progress(),
        )
    except AnkiSyncError as error:
        raise CliError(str(error)) from None
    finally:
        library.close()
    if summary.new_endpoint:
        config.anki_endpoint = summary.new_endpoint
        save(config)
    if args.json:
        print_json(summary.to_dict())
        return 0
    out(summary.line())
    for text in summary.deleted_in_ponder:
        out(f"  deleted in Ponder (gone from Anki): {text}")
    for text in summary.deleted_in_anki:
        out(f"  deleted in Anki (gone from Ponder): {text}")
    return 0
