"""Opening the review from anywhere: what the app-wide `r` does.

The deck picker comes first when several decks have cards to study now
(`decks.review.decks_to_study`), otherwise all decks are reviewed straight away.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from textual.app import App

from decks.repository import CardStore
from decks.review import decks_to_study
from tui.context import ponder
from tui.screens.deck_picker import CANCELLED, DeckPickerScreen, PickResult
from tui.screens.review.screen import ReviewScreen


def open_review(app: App[Any], deck_id: int | None = None) -> None:
    """What `r` does: the deck picker when several decks have cards to study, otherwise
    review all decks. A review already open (under the transcript its source view opened,
    say) is brought back rather than a second one started over it."""
    if isinstance(app.screen, DeckPickerScreen):
        return
    stack = app.screen_stack
    for index in range(len(stack) - 1, -1, -1):
        if isinstance(stack[index], ReviewScreen):
            for _ in range(len(stack) - 1 - index):
                app.pop_screen()
            return
    if deck_id is not None:
        app.push_screen(ReviewScreen(deck_id))
        return
    try:
        several = len(decks_to_study(CardStore(ponder(app).library.conn))) > 1
    except sqlite3.Error:
        several = False
    if not several:
        app.push_screen(ReviewScreen(None))
        return

    def chosen(choice: PickResult) -> None:
        if choice is CANCELLED:
            return
        app.push_screen(ReviewScreen(choice if isinstance(choice, int) else None))

    app.push_screen(DeckPickerScreen(), chosen)
