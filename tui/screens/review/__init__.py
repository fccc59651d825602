"""The review screen, in parts: today's cards one at a time, rated with Anki's keys.

- `screen`: `ReviewScreen`, which draws a `decks.review.ReviewSession` and turns keys
  into session calls;
- `content`: what a card and a session look like (pure functions);
- `recall`: free recall, the answer box and Claude's grade of a typed answer;
- `deck_flags`: which cards ask for a typed answer (each deck's default, or w);
- `ask`: `a`, a chat with Claude about the card;
- `source`: `s` and `o`, the card's passage and its video;
- `launch`: `open_review`, what the app-wide `r` does.
"""

from __future__ import annotations

from tui.screens.review.content import (
    card_answer,
    card_question,
    describe_when,
    format_spent,
    nothing_due_text,
    summary_text,
)
from tui.screens.review.launch import open_review
from tui.screens.review.recall import NO_KEY_NOTE, NOTHING_TYPED, RecallInput
from tui.screens.review.screen import ReviewScreen

__all__ = [
    "NOTHING_TYPED",
    "NO_KEY_NOTE",
    "RecallInput",
    "ReviewScreen",
    "card_answer",
    "card_question",
    "describe_when",
    "format_spent",
    "nothing_due_text",
    "open_review",
    "summary_text",
]
