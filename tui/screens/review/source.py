"""`s` and `o` on a card: its passage in the transcript, or its video (or the transcribed
media file) at that moment.

The source view (`tui.screens.card_source`) can ask to open the whole transcript there
(Enter): the study screen opens over the review, at the passage. A card typed by hand
or whose transcript was deleted gets a one-line reason instead.
"""

from __future__ import annotations

from typing import Any

from textual.app import App
from textual.screen import Screen

from core.models import Source
from decks.models import CardView
from tui.media import can_open, open_at, say_no_video
from tui.screens.review.content import source_deleted_text


def show_source(screen: Screen[Any], view: CardView, source: Source | None) -> None:
    """The card's passage with a few segments around it, or why there is none."""
    ref = view.note.source
    if ref is None:
        screen.notify("This card was typed by hand: it has no source.", markup=False)
        return
    if ref.gone or source is None:
        screen.notify(
            source_deleted_text(ref, "; the card keeps working."), severity="warning", markup=False
        )
        return
    from tui.screens.card_source import CardSourceScreen

    app = screen.app

    async def opened(result: tuple[int, int] | None) -> None:
        if result is not None:
            await open_transcript_at(app, *result)

    app.push_screen(CardSourceScreen(ref), opened)


async def open_transcript_at(app: App[Any], source_id: int, segment: int) -> None:
    """The study screen over the review, scrolled to the passage's first segment."""
    from tui.screens.study import StudyScreen

    screen = StudyScreen(source_id)
    await app.push_screen(screen)
    screen.call_after_refresh(screen.jump_to_segment, segment)


def open_card_video(screen: Screen[Any], view: CardView | None, source: Source | None) -> None:
    """The video or media file at the card's moment, or a line saying there is none."""
    if view is None or source is None or not can_open(source):
        say_no_video(screen)
        return
    ref = view.note.source
    open_at(screen, source, None if ref is None else ref.start_s)
