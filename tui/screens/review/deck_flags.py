"""Which cards ask for a typed answer: each deck's remembered default, or this session's.

Each card follows its own deck's default (`decks.recall_mode`; W sets it for the deck
reviewed and its subdecks, or the card's deck in an all-decks review); w overrides it
for the rest of the session. `TypingChoice` keeps both and answers for a card; the
screen turns its answers into widgets and notices.
"""

from __future__ import annotations

import sqlite3

from core.textsafe import inert_line
from decks.models import CardView
from decks.recall_mode import free_recall_decks, set_deck_free_recall


class TypingChoice:
    """The decks whose cards ask for a typed answer, and this session's override (w)."""

    def __init__(self) -> None:
        self.decks: set[int] = set()
        self.session: bool | None = None  # None: follow the decks

    def load(self, conn: sqlite3.Connection) -> None:
        """A new session follows the decks' defaults (none if they cannot be read)."""
        self.session = None
        try:
            self.decks = free_recall_decks(conn)
        except sqlite3.Error:
            self.decks = set()

    def for_card(self, view: CardView) -> bool:
        """Whether this card asks for a typed answer: this session's w, else its deck's."""
        if self.session is not None:
            return self.session
        return view.card.deck_id in self.decks

    def toggle_session(self, view: CardView | None) -> str:
        """w: the opposite of what the card on screen does, for the rest of the session.
        Returns what to tell the learner."""
        current = self.for_card(view) if view is not None else bool(self.session)
        self.session = not current
        state = "on" if self.session else "off"
        return f"Typing answers {state} for this session (W makes it the deck's default)."

    def toggle_deck(self, conn: sqlite3.Connection, deck_id: int, deck_name: str) -> str:
        """W: flip the deck's remembered default (with its subdecks) and follow the decks
        again. Returns what to tell the learner; a database error is left to the caller
        with nothing changed here."""
        enabled = deck_id not in self.decks
        changed = set_deck_free_recall(conn, deck_id, enabled)
        self.decks = free_recall_decks(conn)
        self.session = None
        more = len(changed) - 1
        subdecks = f" and its {more} subdeck{'s' if more != 1 else ''}" if more > 0 else ""
        state = "now type their answers" if enabled else "no longer ask for typed answers"
        return f"Cards of “{inert_line(deck_name)}”{subdecks} {state}."
