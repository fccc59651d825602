"""Opening a YouTube source's video at a moment: shared by study, review and card source."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from textual.widget import Widget

    from core.models import Source


def youtube_id(source: Source | None) -> str | None:
    """The video to open for a source, if it is a YouTube transcript."""
    if source is not None and source.kind == "youtube" and source.video_id:
        return source.video_id
    return None


def open_video(screen: Widget, video_id: str, start_s: float | None) -> None:
    """Open the video in the browser at `start_s` and say which link was opened."""
    from core.youtube import watch_url  # lazy: requests is not needed to read

    url = watch_url(video_id, start_s)
    screen.app.open_url(url)
    screen.notify(f"Opening {url}", markup=False)


NO_VIDEO = "No video to open: only transcripts fetched from YouTube have one."


def say_no_video(screen: Widget) -> None:
    """`o` where there is no video: say why instead of doing nothing."""
    screen.notify(NO_VIDEO, severity="warning", markup=False)
