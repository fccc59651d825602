"""Free recall per deck, and the conversation a note's "ask about this card" goes to.

Free recall (type the answer before the back is shown) is a deck's default, stored in
`decks.free_recall` (migration 0004); the review screen can override it for one session.
A card follows its own deck's flag, so one all-decks session can mix typed and plain
cards; switching a deck on or off switches its subdecks with it.

`note_chats` remembers which conversation of the note's source transcript holds the
questions asked about it in review, so asking again continues that conversation.

Thin functions over an open connection (no Textual, no Claude); the deck flags are
`CardStore`'s (`decks.store.decks`), these keep the connection-based calls the screens use.
"""

from __future__ import annotations

import sqlite3

from core.db import transaction
from decks.repository import CardStore


def deck_free_recall(conn: sqlite3.Connection, deck_id: int) -> bool:
    """Whether reviews of this deck ask for a typed answer by default (False if no deck)."""
    return CardStore(conn).deck_free_recall(deck_id)


def free_recall_decks(conn: sqlite3.Connection) -> set[int]:
    """Ids of every deck with free recall on (one query per review session)."""
    return CardStore(conn).free_recall_decks()


def set_deck_free_recall(
    conn: sqlite3.Connection, deck_id: int, enabled: bool, *, subdecks: bool = True
) -> list[int]:
    """Turn free recall on or off for a deck (and, by default, its subdecks).

    Returns the ids of the decks set (empty when the deck does not exist)."""
    return CardStore(conn).set_deck_free_recall(deck_id, enabled, subdecks=subdecks)


def note_conversation(conn: sqlite3.Connection, note_id: int) -> int | None:
    """The conversation questions about this note went to, if it still exists."""
    row = conn.execute(
        "SELECT conversation_id FROM note_chats WHERE note_id = ?", (note_id,)
    ).fetchone()
    return int(row[0]) if row else None


def link_note_conversation(conn: sqlite3.Connection, note_id: int, conversation_id: int) -> None:
    """Remember that questions about this note go to `conversation_id` (replaces a link)."""
    with transaction(conn):
        conn.execute(
            "INSERT INTO note_chats (note_id, conversation_id) VALUES (?, ?)"
            " ON CONFLICT(note_id) DO UPDATE SET conversation_id = excluded.conversation_id",
            (note_id, conversation_id),
        )


__all__ = [
    "deck_free_recall",
    "free_recall_decks",
    "link_note_conversation",
    "note_conversation",
    "set_deck_free_recall",
]
