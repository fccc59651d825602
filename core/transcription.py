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


def progress_text(done: float, total: float, eta: float | None, width: int = 30) -> str:
    """`[#####.....] 0:00:12 / 0:01:05   18%  ETA 0:00:40`: audio done of total, time left."""
    from core.durations import format_hms

    total = max(total, 0.0)
    done = min(max(done, 0.0), total) if total else max(done, 0.0)
    share = done / total if total > 0 else 0.0
    filled = int(share * width)
    bar = "#" * filled + "." * (width - filled)
    line = f"[{bar}] {format_hms(done)} / {format_hms(total)}  {share:4.0%}"
    if eta is not None and done < total:
        line += f"  ETA {format_hms(eta)}"
    return line


class ProgressClock:
    """Time left from the speed since the first report.

    The first report comes after the model load and the voice filter, which say nothing
    about the speed of the rest, so the ETA starts with the second report.
    """

    def __init__(self, clock: Callable[[], float] | None = None) -> None:
        import time

        self._clock = clock or time.monotonic
        self._first: tuple[float, float] | None = None

    def eta(self, done: float, total: float) -> float | None:
        now = self._clock()
        if self._first is None:
            self._first = (now, done)
            return None
        started, done_then = self._first
        if done <= done_then or now <= started:
            return None
        return (now - started) * max(total - done, 0.0) / (done - done_then)


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
        return "mp4"  # mp4, m4a, mov (QuickTime brand)
    if head[4:8] in (b"moov", b"mdat", b"wide") and int.from_bytes(head[:4], "big") >= 8:
        return "mov"  # an older QuickTime file without an ftyp box
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


def _missing_extra() -> AudioExtraMissing:
    return AudioExtraMissing(f"audio transcription needs the audio extra; {INSTALL_HINT}")


def _looks_like_folder(model: str) -> bool:
    return model.startswith(("/", "~", ".")) or "\\" in model or model.count("/") > 1


def _resolve_model(model: str, on_note: Callable[[str], None] | None) -> str:
    """A local folder holding `model`: the folder given, or a named model from the cache.

    A named model not cached yet is downloaded through faster-whisper (the Hugging Face
    hub, with its progress bar on stderr), and `on_note` says where it was cached.
    """
    try:
        from faster_whisper.utils import available_models, download_model
    except ImportError:
        raise _missing_extra() from None
    folder = Path(model).expanduser()
    if folder.is_dir():
        return str(folder)
    if _looks_like_folder(model) or folder.exists():
        raise ModelUnavailable(f"no whisper model folder at {model}")
    if "/" not in model and model not in available_models():
        raise ModelUnavailable(
            f"unknown whisper model {model!r}: use one of "
            + ", ".join(available_models())
            + ", or pass --model PATH to a model folder"
        )
    try:
        return str(download_model(model, local_files_only=True))
    except Exception:  # not in the cache yet: the first use downloads it
        pass
    try:
        path = str(download_model(model))
    except Exception as error:
        raise ModelUnavailable(
            f"whisper model {model!r} is not downloaded and could not be fetched "
            f"({type(error).__name__}): connect to the internet once to download it, "
            "or pass --model PATH to a downloaded model folder"
        ) from None
    if on_note is not None:
        on_note(f"downloaded whisper model {model} (first use); it is cached in {path}")
    return path


def _load_model(model: str, threads: int, on_note: Callable[[str], None] | None = None) -> object:
    try:
        from faster_whisper import WhisperModel
    except ImportError:
        raise _missing_extra() from None
    folder = _resolve_model(model, on_note)
    try:
        return WhisperModel(
            folder,
            device="cpu",
            compute_type="int8",
            cpu_threads=threads,
            local_files_only=True,
        )
    except Exception as error:  # an unreadable or incomplete folder
        raise ModelUnavailable(
            f"cannot load the whisper model in {folder} ({type(error).__name__}); "
            "pass --model PATH to a complete faster-whisper model folder"
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
        raise _missing_extra() from None
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
    on_note: Callable[[str], None] | None = None,
) -> list[Piece]:
    """Pieces (start, end, text) of the speech in `path`, in order.

    `on_progress(done_seconds, total_seconds)` is called as audio is decoded;
    `should_cancel()` returning true raises `Cancelled`; `on_note(line)` hears about a
    first-use model download and where it was cached.
    """
    path = Path(path)
    _check_media(path)
    whisper = _load_model(model, threads, on_note)
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
