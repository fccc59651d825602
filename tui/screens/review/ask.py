"""`a` on a shown answer: a chat with Claude about the card (`tui.screens.card_chat`).

The chat is grounded in the card's source transcript, so a card typed by hand or whose
transcript was deleted gets a one-line reason instead. The time spent in the chat is
kept out of the card's answer time (`ReviewSession.pause_clock` / `resume_clock`).
"""

from __future__ import annotations

import sqlite3
from typing import Any

from textual.screen import Screen

from decks.review import ReviewSession
from tui.context import ponder
from tui.screens.review.content import db_error_text, source_deleted_text


def ask_about_card(screen: Screen[Any], session: ReviewSession) -> None:
    """Open the card chat over `screen` for the session's card, or say why not."""
    view = session.current
    if view is None:
        return
    if not session.revealed:
        screen.notify("Show the answer first; then a asks Claude about the card.", markup=False)
        return
    ref = view.note.source
    if ref is None:
        screen.notify(
            "This card was typed by hand: it has no source transcript to discuss.",
            markup=False,
        )
        return
    transcript = None
    if not ref.gone and ref.source_id is not None:
        try:
            transcript = ponder(screen).library.transcript(ref.source_id)
        except sqlite3.Error as error:
            screen.notify(
                db_error_text("load the card's transcript", error), severity="error", markup=False
            )
            return
    if transcript is None or transcript.source.id is None:
        screen.notify(
            source_deleted_text(ref, ": there is nothing to discuss."),
            severity="warning",
            markup=False,
        )
        return
    from tui.screens.card_chat import CardChatScreen

    session.pause_clock()
    screen.app.push_screen(CardChatScreen(view, transcript), lambda _result: session.resume_clock())
