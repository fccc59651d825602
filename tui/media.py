"""`o`: a source's video or media file at a moment, shared by study, review and card source.

A YouTube transcript opens its video in the browser; a transcript made from an audio or
video file plays that file in mpv or VLC (core.player); anything else says why not.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.textsafe import inert_line

if TYPE_CHECKING:
    from textual.widget import Widget

    from core.models import Source


def youtube_id(source: Source | None) -> str | None:
    """The video to open for a source, if it is a YouTube transcript."""
    if source is not None and source.kind == "youtube" and source.video_id:
        return source.video_id
    return None


def media_file(source: Source | None) -> str | None:
    """The audio/video file a source was transcribed from, if it was."""
    return source.media_path if source is not None and source.media_path else None


def can_open(source: Source | None) -> bool:
    """Whether `o` has something to open for this source (a video or a media file)."""
    return youtube_id(source) is not None or media_file(source) is not None


def open_video(screen: Widget, video_id: str, start_s: float | None) -> None:
    """Open the video in the browser at `start_s` and say which link was opened."""
    from core.youtube import watch_url  # lazy: requests is not needed to read

    url = watch_url(video_id, start_s)
    screen.app.open_url(url)
    screen.notify(f"Opening {url}", markup=False)


def play_media(screen: Widget, media_path: str, start_s: float | None) -> None:
    """Play the media file from `start_s` in mpv or VLC, or say in one line why not."""
    from core.player import PlaybackError, play

    try:
        playing = play(media_path, start_s)
    except PlaybackError as error:
        screen.notify(inert_line(str(error)), severity="warning", markup=False)
        return
    screen.notify(inert_line(playing.describe()), markup=False)


def open_at(screen: Widget, source: Source | None, start_s: float | None) -> None:
    """`o`: the source's video or media file from `start_s`, or why there is none."""
    video_id = youtube_id(source)
    if video_id is not None:
        open_video(screen, video_id, start_s)
        return
    media = media_file(source)
    if media is not None:
        play_media(screen, media, start_s)
        return
    say_no_video(screen)


NO_VIDEO = (
    "No video to open: only transcripts fetched from YouTube or made from an audio or "
    "video file have one."
)


def say_no_video(screen: Widget) -> None:
    """`o` where there is no video: say why instead of doing nothing."""
    screen.notify(NO_VIDEO, severity="warning", markup=False)
