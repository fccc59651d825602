"""One entry point for "add this": a transcript file, a YouTube URL or a bare video id.

A path that exists always wins (a file may be named like a video id); otherwise
anything that looks like YouTube is fetched; otherwise the message says both what was
tried and what was expected. Every failure is an `ImportFailed` with a one-line reason,
and nothing is stored unless the whole transcript was read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from core.models import Transcript

if TYPE_CHECKING:
    import requests

    from core.config import Config
    from core.library import AddResult, Library


class ImportFailed(Exception):
    """Nothing was imported; str() is a one-line reason for the user."""


def _existing_path(text: str) -> Path | None:
    try:
        path = Path(text).expanduser()
        return path if path.exists() else None
    except (OSError, ValueError):  # e.g. a name too long for the filesystem, NUL bytes
        return None


def is_video_ref(text: str) -> bool:
    """Whether `text` names a YouTube video rather than a file: the one rule for importing,
    for finding a stored video and for the CLI's "fetching captions" note (an existing file
    wins over a name that also parses as a video id)."""
    from core.youtube import looks_like_video_ref

    text = (text or "").strip()
    return bool(text) and _existing_path(text) is None and looks_like_video_ref(text)


ImportKind = Literal["media", "file", "video", "missing file", "unknown"]


def import_kind(text: str) -> ImportKind:
    """What `import_source` will do with `text`: the one decision, also used by the add
    dialog to say what it is doing ("Transcribing...", "Reading file...", "Fetching...")."""
    from core.transcription import is_media_file

    text = (text or "").strip()
    path = _existing_path(text) if text else None
    if path is not None:
        try:
            return "media" if path.is_file() and is_media_file(path) else "file"
        except OSError:
            return "file"  # unreadable: reading it gives the readable message
    if is_video_ref(text):
        return "video"
    return "missing file" if text and _looks_like_path(text) else "unknown"


def _looks_like_path(text: str) -> bool:
    """Whether the user most likely meant a file (so "no such file" is the right message)."""
    if "://" in text:
        return False
    suffix = Path(text).suffix.lower()
    return "/" in text or "\\" in text or text.startswith(("~", ".")) or bool(suffix)


def _read_file(path: Path, lang: str | None) -> Transcript:
    from core.formats import TranscriptImportError, read_file

    try:
        transcript = read_file(path)
    except TranscriptImportError as error:
        message = str(error)
        if path.name and path.name not in message:
            message = f"{path.name}: {message}"
        raise ImportFailed(message) from None
    except OSError as error:
        raise ImportFailed(f"cannot read {path}: {error.strerror or error}") from None
    if lang and not transcript.source.language:
        transcript = Transcript(replace(transcript.source, language=lang), transcript.segments)
    return transcript


def _transcribe_file(
    path: Path,
    lang: str | None,
    whisper_model: str | None,
    on_progress: Callable[[float, float], None] | None,
    should_cancel: Callable[[], bool] | None,
    on_note: Callable[[str], None] | None = None,
) -> Transcript:
    from core.models import Segment, Source
    from core.transcription import DEFAULT_MODEL, Cancelled, TranscriptionError, transcribe

    language = lang.replace(",", " ").split()[0] if lang and lang.strip() else None
    try:
        pieces = transcribe(
            path,
            whisper_model or DEFAULT_MODEL,
            language,
            on_progress=on_progress,
            should_cancel=should_cancel,
            on_note=on_note,
        )
    except Cancelled:
        raise
    except TranscriptionError as error:
        raise ImportFailed(str(error)) from None
    source = Source(
        title=path.stem or path.name,
        origin=str(path.resolve()),
        kind="file",
        language=language,
        is_generated=True,
        format="whisper",
        media_path=str(path.resolve()),
    )
    segments = [Segment(piece.text, piece.start, piece.end) for piece in pieces]
    return Transcript(source, segments)


def _fetch(
    text: str,
    lang: str | None,
    session: requests.Session | None,
    config: Config | None,
) -> Transcript:
    from core.youtube import YouTubeError, fetch_transcript

    languages = [code for code in lang.replace(",", " ").split()] if lang else None
    try:
        return fetch_transcript(text, languages, session=session, config=config)
    except YouTubeError as error:
        raise ImportFailed(str(error)) from None


def import_source(
    text: str,
    *,
    lang: str | None = None,
    title: str | None = None,
    session: requests.Session | None = None,
    config: Config | None = None,
    whisper_model: str | None = None,
    on_progress: Callable[[float, float], None] | None = None,
    should_cancel: Callable[[], bool] | None = None,
    on_note: Callable[[str], None] | None = None,
) -> Transcript:
    """Read a file or fetch a YouTube video into a Transcript (not stored).

    `lang` picks the caption language (codes, comma separated, in order of preference);
    `title` replaces the title the file or video gave. An audio or video file (known by
    its first bytes) is transcribed locally with `whisper_model`; the source's origin is
    the media file's absolute path. `on_progress(done_s, total_s)` and `should_cancel`
    are passed to the transcriber (a cancel raises `core.transcription.Cancelled`), and
    `on_note(line)` hears where a first-use model download went.
    """
    text = (text or "").strip()
    if not text:
        raise ImportFailed("Nothing to import: give a transcript file, a YouTube URL or id.")
    kind = import_kind(text)
    if kind == "media":
        transcript = _transcribe_file(
            Path(text).expanduser(), lang, whisper_model, on_progress, should_cancel, on_note
        )
    elif kind == "file":
        transcript = _read_file(Path(text).expanduser(), lang)
    elif kind == "video":
        transcript = _fetch(text, lang, session, config)
    elif kind == "missing file":
        raise ImportFailed(f"no such file: {text}")
    else:
        raise ImportFailed(f"not a YouTube URL or video id, and no such file: {text}")
    if title is not None and title.strip():
        transcript = Transcript(
            replace(transcript.source, title=title.strip()), transcript.segments
        )
    return transcript.with_counts()


def stored_video(library: Library, text: str) -> int | None:
    """The id of a source already holding the video `text` names, without any network."""
    from core.youtube import YouTubeError, parse_video_ref

    text = (text or "").strip()
    if not is_video_ref(text):
        return None
    try:
        video_id = parse_video_ref(text).video_id
    except YouTubeError:
        return None
    return library.find_by_video_id(video_id)


def add_to_library(library: Library, text: str, **kwargs: Any) -> AddResult:
    """Import and store; a video already in the library is not fetched again.

    Keyword arguments are those of `import_source`. A re-import of the same content
    returns the stored copy's id with `existed=True`.
    """
    from core.library import AddResult

    existing = stored_video(library, text)
    if existing is not None:
        return AddResult(existing, True)
    return library.add(import_source(text, **kwargs))
