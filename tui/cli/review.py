"""`ponder review [--deck D]`: open the app straight on the review screen.

The library screen stays underneath, so `q` on the review goes back to it. Textual and
the screens are imported inside the handler only: `ponder --help` stays fast.
"""

from __future__ import annotations

import argparse
from typing import Any

from tui.cli.common import CliError, open_library, require_terminal


def register(subparsers: Any) -> None:
    review = subparsers.add_parser(
        "review",
        help="review today's flashcards (opens the app on the review screen)",
        description="Open the app on the review screen with today's cards: one deck and its "
        "subdecks with --deck, otherwise all decks. Keys: space shows the answer, 1-4 rate "
        "(Again, Hard, Good, Easy), space again means Good, u undoes, s shows the source, "
        "? lists every key.",
    )
    review.add_argument(
        "--deck", metavar="D", help="deck name (A::B for a subdeck) or deck id; default all"
    )
    review.set_defaults(func=cmd_review)


def resolve_deck(library: Any, text: str) -> int:
    """A deck id from a full deck name or an id; CliError naming the problem otherwise."""
    from core.textsafe import inert_line
    from decks.repository import CardStore

    store = CardStore(library.conn)
    deck = store.deck_by_name(text)
    if deck is None and text.strip().isdigit():
        deck = store.deck(int(text.strip()))
    if deck is None:
        known = ", ".join(inert_line(d.name) for d in store.decks()[:8]) or "none yet"
        raise CliError(f"no deck named {inert_line(text)!r} (decks: {known})")
    return deck.id


def build_app(library: Any, deck_id: int | None) -> Any:
    """The Ponder app, opening on ReviewScreen(deck_id) above the library screen."""
    import inspect
    from pathlib import Path

    from tui.app import PonderApp
    from tui.screens.review import ReviewScreen

    # CSS_PATH is relative to the file defining the class: keep pointing at tui/.
    stylesheet = Path(inspect.getfile(PonderApp)).parent / str(PonderApp.CSS_PATH)

    class ReviewApp(PonderApp):
        """PonderApp that starts on the review screen."""

        CSS_PATH = str(stylesheet)

        def on_mount(self) -> None:  # PonderApp.on_mount runs as well (Textual walks the MRO)
            self.push_screen(ReviewScreen(deck_id))

    return ReviewApp(library=library)


def launch(app: Any) -> int:
    """Run the app until it quits (tests replace this)."""
    require_terminal()
    app.run()
    return 0


def cmd_review(args: argparse.Namespace) -> int:
    library = open_library()
    try:
        deck_id = None if args.deck is None else resolve_deck(library, args.deck)
    except CliError:
        library.close()
        raise
    app = build_app(library, deck_id)
    try:
        return launch(app)
    finally:
        library.close()
