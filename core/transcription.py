"""Local speech-to-text for audio and video files (the optional `audio` extra).

Files are recognised by their first bytes, never by their names. `faster_whisper` is
imported only inside `transcribe`, so importing core never needs it. Every failure is a
`TranscriptionError` whose str() is one line for the user.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

DEFAULT_MODEL = "tiny.en"
INSTALL_HINT = "install it with: pip install -e '.[audio]'"


class TranscriptionError(Exception):
    """Nothing was transcribed; str() is a one-line reason."""


class AudioExtraMissing(TranscriptionError):
    pass


class NoSpeechFound(TranscriptionError):
    pass


class CorruptMedia(TranscriptionError):
    pass


class NoAudioTrack(TranscriptionError):
    pass


class ModelUnavailable(TranscriptionError):
    pass


class Cancelled(TranscriptionError):
    pass


@dataclass(frozen=True)
class Piece:
    start: float
    end: float
    text: str


def progress_text(done: float, total: float, elapsed: float, width: int = 30) -> str:
    """`[#####.....] 0:12 / 1:05  18%  ETA 0:40`: audio time done of total, time left.

    The ETA assumes the rest goes at the speed so far; it is left out until some audio
    is done (the model load and the voice filter come before the first segment).
    """
    from core.durations import format_hms

    total = max(total, 0.0)
    done = min(max(done, 0.0), total) if total else max(done, 0.0)
    share = done / total if total > 0 else 0.0
    filled = int(share * width)
    bar = "#" * filled + "." * (width - filled)
    line = f"[{bar}] {format_hms(done)} / {format_hms(total)}  {share:4.0%}"
    if 0 < done < total and elapsed > 0:
        line += f"  ETA {format_hms(elapsed * (total - done) / done)}"
    return line


def media_kind(head: bytes) -> str | None:
    """ "audio" or "video" family name for these first bytes, or None when not media."""
    if head.startswith(b"ID3"):
        return "mp3"
    if head.startswith(b"fLaC"):
        return "flac"
    if head.startswith(b"OggS"):
        return "ogg"
    if head[:4] == b"RIFF" and head[8:12] in (b"WAVE", b"AVI "):
        return "wav" if head[8:12] == b"WAVE" else "avi"
    if head[4:8] == b"ftyp":
        return "mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "matroska"
    if len(head) >= 2 and head[0] == 0xFF:
        second = head[1]
        if second & 0xF6 == 0xF0:  # ADTS: sync 12 bits, layer 00
            return "aac"
        if second & 0xE0 == 0xE0 and (second >> 1) & 0x03 != 0:  # MPEG audio frame sync
            return "mp3"
    return None


def is_media_file(path: Path) -> bool:
    try:
        with open(path, "rb") as handle:
            return media_kind(handle.read(16)) is not None
    except OSError:
        return False


def _load_model(model: str, threads: int) -> object:
    try:
        from faster_whisper import WhisperModel
    except ImportError:
        raise AudioExtraMissing(
            f"audio transcription needs the audio extra; {INSTALL_HINT}"
        ) from None
    try:
        return WhisperModel(
            model,
            device="cpu",
            compute_type="int8",
            cpu_threads=threads,
            local_files_only=True,
        )
    except Exception as error:  # unknown name, not cached, offline, unreadable folder
        kind = "model folder" if Path(model).expanduser().exists() else "model"
        raise ModelUnavailable(
            f"cannot load the whisper {kind} {model!r} offline "
            f"({type(error).__name__}); pass --model PATH to a downloaded model folder"
        ) from None


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def _split(start: float, end: float, text: str) -> list[Piece]:
    """Sentence-sized pieces of one segment, times shared out by length."""
    parts = [part.strip() for part in _SENTENCE_END.split(text.strip()) if part.strip()]
    if len(parts) <= 1:
        return [Piece(start, end, text.strip())] if text.strip() else []
    total = sum(len(part) for part in parts)
    pieces, at = [], start
    for part in parts:
        stop = at + (end - start) * len(part) / total
        pieces.append(Piece(round(at, 3), round(stop, 3), part))
        at = stop
    return pieces


def _check_media(path: Path) -> float:
    """Duration in seconds; raises for unreadable files and files without audio."""
    try:
        import av
    except ImportError:
        raise AudioExtraMissing(
            f"audio transcription needs the audio extra; {INSTALL_HINT}"
        ) from None
    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                raise NoAudioTrack(f"{path.name}: no audio track")
            duration = container.duration
            return duration / 1_000_000 if duration else 0.0
    except TranscriptionError:
        raise
    except Exception:
        raise CorruptMedia(f"{path.name}: cannot decode (corrupt or truncated file)") from None


def transcribe(
    path: Path,
    model: str = DEFAULT_MODEL,
    language: str | None = None,
    on_progress: Callable[[float, float], None] | None = None,
    should_cancel: Callable[[], bool] | None = None,
    threads: int = 2,
) -> list[Piece]:
    """Pieces (start, end, text) of the speech in `path`, in order.

    `on_progress(done_seconds, total_seconds)` is called as audio is decoded;
    `should_cancel()` returning true raises `Cancelled`.
    """
    path = Path(path)
    _check_media(path)
    whisper = _load_model(model, threads)
    try:
        segments, info = whisper.transcribe(  # type: ignore[attr-defined]
            str(path), vad_filter=True, language=language or None
        )
        total = float(info.duration or 0.0)
        pieces: list[Piece] = []
        for segment in segments:
            if should_cancel is not None and should_cancel():
                raise Cancelled("cancelled")
            for piece in _split(float(segment.start), float(segment.end), segment.text):
                if pieces and piece.text == pieces[-1].text:
                    continue
                pieces.append(piece)
            if on_progress is not None:
                on_progress(min(float(segment.end), total), total)
    except TranscriptionError:
        raise
    except ValueError as error:
        raise TranscriptionError(f"{path.name}: {error}") from None
    except Exception:
        raise CorruptMedia(f"{path.name}: cannot decode (corrupt or truncated file)") from None
    if on_progress is not None:
        on_progress(total, total)
    if not pieces:
        raise NoSpeechFound(f"{path.name}: no speech found")
    return pieces
