"""Fuzzing the readers: whatever the bytes, only TranscriptImportError may escape, and
whatever is accepted obeys the segment invariants. Plus a round-trip property."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.formats import TranscriptImportError, export, parse_bytes
from core.formats.timecode import format_clock
from core.models import Segment, Source, Transcript
from tests.test_formats import assert_well_formed

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def accept_or_refuse(data: bytes) -> None:
    try:
        fmt, segments = parse_bytes(data)
    except TranscriptImportError as error:
        assert str(error) and "\n" not in str(error)
        return
    assert fmt in {"srt", "vtt", "whisper", "podcast", "text", "youtube-json"}
    assert_well_formed(segments)


@FUZZ
@given(st.binary(max_size=2000))
def test_random_bytes(data: bytes) -> None:
    accept_or_refuse(data)


_times = st.floats(min_value=0, max_value=400_000, allow_nan=False).map(lambda t: round(t, 3))
_words = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)
_cue = st.tuples(_times, _times, st.lists(_words, max_size=3), st.sampled_from(["", "x"]))


def _render(kind: str, cues: list[tuple[float, float, list[str], str]], blank: str) -> str:
    parts = ["WEBVTT\n"] if kind == "vtt" else []
    for i, (start, end, lines, extra) in enumerate(cues, start=1):
        body = "\n".join(lines)
        if kind == "whisper":
            parts.append(f"[{format_clock(start)} --> {format_clock(end)}]  {body}{extra}")
        elif kind == "podcast":
            parts.append(f"Speaker {i % 3} [{format_clock(start)[:8]}]:\n{body}")
        else:
            sep = "," if kind == "srt" else "."
            head = f"{i}\n" if extra else ""
            parts.append(
                f"{head}{format_clock(start, decimal=sep)} --> "
                f"{format_clock(end, decimal=sep)}\n{body}"
            )
    return blank.join(parts)


@FUZZ
@given(
    st.sampled_from(["srt", "vtt", "whisper", "podcast"]),
    st.lists(_cue, max_size=12),
    st.sampled_from(["\n\n", "\n", "\r\n\r\n", "\n \n"]),
    st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]),
)
def test_random_cue_structures(
    kind: str, cues: list[tuple[float, float, list[str], str]], blank: str, encoding: str
) -> None:
    text = _render(kind, cues, blank)
    data = text.encode(encoding, errors="replace")
    accept_or_refuse(data)


@FUZZ
@given(st.lists(st.text(max_size=80), max_size=8), st.sampled_from(["\n", "\n\n", "\r"]))
def test_random_text_lines(lines: list[str], separator: str) -> None:
    accept_or_refuse(separator.join(lines).encode("utf-8", errors="replace"))


_plain_words = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABC éü東&<>[]/.,!?'-", min_size=1, max_size=30
)


@st.composite
def _timelines(draw: st.DrawFn) -> list[Segment]:
    count = draw(st.integers(min_value=1, max_value=10))
    at = 0
    segments = []
    for i in range(count):
        at += draw(st.integers(min_value=0, max_value=5_000_000))
        length = draw(st.integers(min_value=0, max_value=90_000))
        text = " ".join(f"{draw(_plain_words)} #{i}".split())
        speaker = draw(st.sampled_from([None, "Ann", "Bo Li"]))
        segments.append(Segment(text, at / 1000, (at + length) / 1000, speaker))
        at += length
    return segments


@settings(max_examples=100, deadline=None)
@given(_timelines(), st.sampled_from(["srt", "vtt", "json"]))
def test_export_then_import_gives_the_same_segments(segments: list[Segment], fmt: str) -> None:
    if fmt == "srt":  # SRT has no speakers and strips tag-like text
        segments = [
            Segment(s.text.replace("<", "(").replace(">", ")"), s.start, s.end) for s in segments
        ]
    transcript = Transcript(Source(title="t", origin="t"), segments)
    assert parse_bytes(export(transcript, fmt).encode())[1] == segments
