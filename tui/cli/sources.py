"""`ponder add | list | show | languages | remove`: the library from the shell.

Scripts can rely on two things: `add` prints the source id alone on stdout's last line,
and `list --json` / `show --format json` print plain JSON. Everything else is for people.
Titles and transcripts are untrusted text, so they go through `inert` before reaching a
terminal; JSON output is escaped by the encoder.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from core.durations import format_hms
from tui.cli.common import CliError, open_library, out, parse_id, print_json

SHOW_FORMATS = ("text", "srt", "vtt", "json", "md")


def register(subparsers: Any) -> None:
    add = subparsers.add_parser(
        "add",
        help="import a YouTube video (URL or id), a transcript file or an audio/video file",
        description="Import a YouTube video's captions (URL or 11-character id) or a "
        "transcript file (SRT, VTT, JSON, text, ...), or transcribe an audio/video file "
        "locally (needs the audio extra). Prints the new source's id on the "
        "last line.",
    )
    add.add_argument("source", metavar="URL_OR_ID_OR_PATH")
    add.add_argument(
        "--lang",
        metavar="CODE",
        help="caption language(s) to prefer, e.g. de or 'de,en' (default: the languages "
        "setting, en)",
    )
    add.add_argument("--title", metavar="T", help="use this title instead of the video's or file's")
    add.add_argument(
        "--model",
        metavar="NAME_OR_PATH",
        help="audio/video: faster-whisper model name or folder (default: the whisper_model "
        "setting, tiny.en)",
    )
    add.add_argument(
        "--language",
        metavar="CODE",
        help="audio/video: the spoken language, e.g. en (default: detected)",
    )
    add.set_defaults(func=cmd_add)

    listing = subparsers.add_parser("list", help="list the sources in the library")
    listing.add_argument("--json", action="store_true", help="print a JSON array")
    listing.set_defaults(func=cmd_list)

    show = subparsers.add_parser("show", help="print a source's transcript")
    show.add_argument("source_id", metavar="ID")
    show.add_argument(
        "--format", choices=SHOW_FORMATS, default="text", help="output format (default: text)"
    )
    show.set_defaults(func=cmd_show)

    languages = subparsers.add_parser(
        "languages", help="list the caption languages YouTube offers for a video"
    )
    languages.add_argument("video", metavar="URL_OR_ID")
    languages.add_argument("--json", action="store_true", help="print a JSON array")
    languages.set_defaults(func=cmd_languages)

    rename = subparsers.add_parser(
        "rename",
        help="give a source a new title",
        description="Give a source a new title (shown in the app and by ponder list). "
        "The title is kept as plain text, on one line.",
    )
    rename.add_argument("source_id", metavar="ID")
    rename.add_argument("title", metavar="TITLE")
    rename.set_defaults(func=cmd_rename)

    remove = subparsers.add_parser(
        "remove", help="remove a source with its highlights and reading position"
    )
    remove.add_argument("source_id", metavar="ID")
    remove.set_defaults(func=cmd_remove)


# -- helpers ------------------------------------------------------------------------


def clock(seconds: float | None) -> str:
    """h:mm:ss for durations in listings; `-:--:--` when untimed."""
    if seconds is None:
        return "-:--:--"
    return format_hms(seconds)


def _source_id(text: str) -> int:
    return parse_id(text, "source", "see ponder list")


def _one_line(text: str) -> str:
    from core.textsafe import inert_line

    return inert_line(text)


def _source_json(source: Any) -> dict[str, Any]:
    data = source.to_dict()
    data["segments"] = source.segment_count
    return data


# -- commands -----------------------------------------------------------------------


def cmd_add(args: argparse.Namespace) -> int:
    from core.importer import ImportFailed, add_to_library

    library = open_library()
    try:
        _say_fetching(args.source)
        try:
            result = add_to_library(
                library,
                args.source,
                lang=getattr(args, "language", None) or args.lang,
                title=args.title,
                config=_config(),
                whisper_model=getattr(args, "model", None) or _whisper_model(),
                on_progress=_progress_bar() if sys.stderr.isatty() else None,
                on_note=_note,
            )
        except ImportFailed as error:
            _end_progress()
            raise CliError(_one_line(str(error))) from None
        except KeyboardInterrupt:
            _end_progress()
            sys.stderr.write("cancelled: nothing stored\n")
            return 130
        _end_progress()
        source = library.source(result.source_id)
        title = source.title if source else "?"
        if result.existed:
            out(f"already in the library: {_one_line(title)}")
        else:
            segments = source.segment_count if source else 0
            duration = clock(source.duration_s) if source else clock(None)
            out(f"added: {_one_line(title)} ({segments} segments, {duration})")
        sys.stdout.write(f"{result.source_id}\n")
    finally:
        library.close()
    return 0


_bar_shown = False


def _config() -> Any:  # -> core.config.Config; the CLI is an entry point: it reads the file
    from core.config import load

    return load()


def _whisper_model() -> str:
    return _config().whisper_model


def _progress_bar() -> Any:
    """A callback drawing `transcribing [####....] 0:00:12 / 0:01:05  18%  ETA 0:00:40`."""
    from core.transcription import ProgressClock, progress_text

    clock = ProgressClock()

    def draw(done: float, total: float) -> None:
        global _bar_shown
        _bar_shown = True
        line = progress_text(done, total, clock.eta(done, total))
        sys.stderr.write(f"\rtranscribing {line}\x1b[K")
        sys.stderr.flush()

    return draw


def _note(line: str) -> None:
    """A line on stderr (a first-use model download and where it is cached)."""
    _end_progress()
    sys.stderr.write(_one_line(line) + "\n")
    sys.stderr.flush()


def _end_progress() -> None:
    global _bar_shown
    if _bar_shown:
        sys.stderr.write("\n")
        sys.stderr.flush()
        _bar_shown = False


def _say_fetching(text: str) -> None:
    """A note on stderr before a network fetch, for people watching a terminal."""
    from core.importer import is_video_ref

    if not sys.stderr.isatty() or not is_video_ref(text):
        return
    sys.stderr.write("fetching captions from YouTube...\n")
    sys.stderr.flush()


def cmd_list(args: argparse.Namespace) -> int:
    library = open_library()
    try:
        sources = library.sources()
    finally:
        library.close()
    if args.json:
        print_json([_source_json(source) for source in sources])
        return 0
    if not sources:
        out("The library is empty. Add something with: ponder add URL_OR_FILE")
        return 0
    width = max(len(str(source.id)) for source in sources)
    for source in sources:
        out(
            f"{source.id:>{width}}  {clock(source.duration_s):>8}  "
            f"{source.segment_count:>6} seg  {_one_line(source.title)}"
        )
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    source_id = _source_id(args.source_id)
    library = open_library()
    try:
        transcript = library.transcript(source_id)
    finally:
        library.close()
    if transcript is None:
        raise CliError(f"no source with id {source_id} (see ponder list)")
    if args.format == "json":
        data = _source_json(transcript.source)
        data["segments"] = [segment.to_dict() for segment in transcript.segments]
        print_json(data)
        return 0
    from core.formats import export

    try:
        text = export(transcript, args.format)
    except ValueError as error:  # TranscriptExportError, e.g. SRT of an untimed transcript
        raise CliError(_one_line(str(error))) from None
    # Always inert: the transcript is untrusted and may hold escape sequences.
    sys.stdout.write(_inert(text).rstrip("\n") + "\n")
    return 0


def _inert(text: str) -> str:
    from core.textsafe import inert

    return inert(text)


def cmd_languages(args: argparse.Namespace) -> int:
    from core.youtube import YouTubeError, list_languages

    try:
        tracks = list_languages(args.video, config=_config())
    except YouTubeError as error:
        raise CliError(_one_line(str(error))) from None
    if args.json:
        print_json([track.to_dict() for track in tracks])
        return 0
    if not tracks:
        out("YouTube lists no caption tracks for this video.")
        return 0
    width = max(len(track.code) for track in tracks)
    for track in tracks:
        kind = "generated" if track.is_generated else "manual"
        extra = "  translatable" if track.translatable else ""
        out(f"{track.code:<{width}}  {kind:<9}  {_one_line(track.name)}{extra}")
    out("Pick one with: ponder add URL --lang CODE")
    return 0


def cmd_rename(args: argparse.Namespace) -> int:
    from core.library import clean_title

    source_id = _source_id(args.source_id)
    try:
        title = clean_title(args.title)
    except ValueError as error:
        raise CliError(str(error)) from None
    library = open_library()
    try:
        if not library.rename(source_id, title):
            raise CliError(f"no source with id {source_id} (see ponder list)")
    finally:
        library.close()
    out(f"renamed {source_id}: {_one_line(title)}")
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    source_id = _source_id(args.source_id)
    library = open_library()
    try:
        source = library.source(source_id)
        if source is None or not library.remove(source_id):
            raise CliError(f"no source with id {source_id} (see ponder list)")
    finally:
        library.close()
    out(f"removed: {_one_line(source.title)}")
    return 0
