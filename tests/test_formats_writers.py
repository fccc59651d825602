"""Transcript writers: exact output of each format, refusals, and export -> import round trips."""

from __future__ import annotations

import json

import pytest

from core.formats import (
    EXPORT_FORMATS,
    TranscriptExportError,
    TranscriptImportError,
    export,
    parse_bytes,
    parse_document,
)
from core.models import Segment, Source, Transcript


def make(segments: list[Segment], **source: object) -> Transcript:
    fields = {"title": "Memory talk", "origin": "talk.srt", **source}
    return Transcript(Source(**fields), segments).with_counts()  # type: ignore[arg-type]


TIMED = [
    Segment("Hello & welcome <everyone>.", 0.5, 2.0, "Ann"),
    Segment("Spacing beats cramming.", 2.0, 4.25, "Ann"),
    Segment("Does it, though?", 4.25, 3725.5, "Bo"),
]
PLAIN = [Segment("First paragraph."), Segment("Second paragraph.", speaker="Ann")]


def test_export_formats_constant() -> None:
    assert EXPORT_FORMATS == ("text", "srt", "vtt", "json", "md")


def test_srt_output() -> None:
    assert export(make(TIMED), "srt") == (
        "1\n00:00:00,500 --> 00:00:02,000\nHello & welcome <everyone>.\n\n"
        "2\n00:00:02,000 --> 00:00:04,250\nSpacing beats cramming.\n\n"
        "3\n00:00:04,250 --> 01:02:05,500\nDoes it, though?\n"
    )


def test_vtt_output_with_voices_and_escaping() -> None:
    assert export(make(TIMED, language="en"), "vtt") == (
        "WEBVTT\nLanguage: en\n\n"
        "00:00:00.500 --> 00:00:02.000\n<v Ann>Hello &amp; welcome &lt;everyone&gt;.\n\n"
        "00:00:02.000 --> 00:00:04.250\n<v Ann>Spacing beats cramming.\n\n"
        "00:00:04.250 --> 01:02:05.500\n<v Bo>Does it, though?\n"
    )


def test_missing_ends_are_filled_for_captions() -> None:
    segments = [Segment("a", 1.0, None), Segment("b b b b b", 3.0, None)]
    srt = export(make(segments), "srt")
    assert "00:00:01,000 --> 00:00:03,000" in srt
    assert "00:00:03,000 --> 00:00:05,000" in srt  # five words ~ two seconds


@pytest.mark.parametrize("fmt", ["srt", "vtt"])
def test_untimed_transcripts_refuse_caption_formats(fmt: str) -> None:
    with pytest.raises(TranscriptExportError, match="no timing; export as text, json or md"):
        export(make(PLAIN), fmt)
    assert issubclass(TranscriptExportError, ValueError)


def test_unknown_format_is_refused() -> None:
    with pytest.raises(TranscriptExportError, match="unknown export format 'docx'"):
        export(make(TIMED), "docx")
    assert export(make(TIMED), "TXT") == export(make(TIMED), "text")


def test_text_output_speaker_lines_when_they_change() -> None:
    assert export(make(TIMED), "text") == (
        "Ann:\nHello & welcome <everyone>. Spacing beats cramming.\n\nBo:\nDoes it, though?\n"
    )
    assert export(make(PLAIN), "text") == "First paragraph.\n\nAnn:\nSecond paragraph.\n"


def test_text_output_with_timestamps_reads_back_as_podcast() -> None:
    text = export(make(TIMED), "text", timestamps=True)
    assert text.startswith("Ann [00:00:00]:\nHello & welcome")
    fmt, segments = parse_bytes(text.encode())
    assert fmt == "podcast"
    assert [(s.speaker, s.start) for s in segments] == [("Ann", 0.0), ("Bo", 4.0)]
    speakerless = [Segment("one", 0.0, 1.0), Segment("two.", 75.0, 80.0)]
    text = export(make(speakerless), "text", timestamps=True)
    assert text == "[00:00:00] one\n\n[00:01:15] two.\n"
    assert [s.start for s in parse_bytes(text.encode())[1]] == [0.0, 75.0]


def test_short_captions_join_into_paragraphs_in_text() -> None:
    captions = [Segment(f"line {i}", float(i), float(i + 1)) for i in range(200)]
    text = export(make(captions), "text")
    paragraphs = text.strip().split("\n\n")
    assert 1 < len(paragraphs) < 50
    assert " ".join(paragraphs).split() == " ".join(s.text for s in captions).split()


def test_json_output_shape() -> None:
    data = json.loads(
        export(make(TIMED, video_id="dQw4w9WgXcQ", language="en", origin="https://x"), "json")
    )
    assert list(data) == ["title", "origin", "video_id", "language", "segments"]
    assert data["video_id"] == "dQw4w9WgXcQ"
    assert data["segments"][0] == {
        "start": 0.5,
        "end": 2.0,
        "speaker": "Ann",
        "text": "Hello & welcome <everyone>.",
    }


def test_markdown_output() -> None:
    md = export(
        make(
            TIMED,
            title="Memory *talk*",
            origin="https://www.youtube.com/watch?v=dQw4w9WgXcQ",
            video_id="dQw4w9WgXcQ",
        ),
        "md",
    )
    lines = md.splitlines()
    assert lines[0] == "# Memory \\*talk\\*"
    assert "Source: <https://www.youtube.com/watch?v=dQw4w9WgXcQ>" in lines
    assert "**Ann** [00:00:00](https://youtu.be/dQw4w9WgXcQ)" in lines
    assert "Hello & welcome \\<everyone\\>. Spacing beats cramming." in lines
    assert "**Bo** [00:00:04](https://youtu.be/dQw4w9WgXcQ?t=4)" in lines


def test_markdown_for_files_and_untimed_text() -> None:
    md = export(make([Segment("[bold]# not a heading[/]", 61.0, 62.0, "Ann")]), "md")
    assert "Source: talk.srt" in md
    assert "**Ann** [00:01:01]\n\\[bold\\]# not a heading\\[/\\]" in md
    md = export(make([Segment("# Title-like line"), Segment("1. list-like")]), "md")
    assert "\n\\# Title-like line\n" in md and "\n1\\. list-like\n" in md


# -- round trips ----------------------------------------------------------------------


ROUND = [
    Segment("Plain words.", 0.0, 1.5),
    Segment("Markup [bold]stays[/] and \x1b[31mANSI\x1b[0m too.", 1.5, 3.25),
    Segment("Ampersand & angle < > brackets.", 3.25, 3.25),
    Segment("Café — naïve — 東京.", 10.001, 3725.999),
]


@pytest.mark.parametrize("fmt", ["srt", "vtt", "json"])
def test_round_trip_timed(fmt: str) -> None:
    segments = ROUND if fmt != "srt" else [s for s in ROUND if "<" not in s.text]
    out = export(make(segments), fmt)
    fmt_back, back = parse_bytes(out.encode("utf-8"))
    assert fmt_back == {"json": "youtube-json"}.get(fmt, fmt)
    assert back == segments


def test_round_trip_vtt_and_json_keep_speakers() -> None:
    for fmt in ("vtt", "json"):
        back = parse_bytes(export(make(TIMED), fmt).encode())[1]
        assert back == TIMED


def test_round_trip_json_untimed_and_metadata() -> None:
    original = make(PLAIN, title="Notes", origin="notes.txt", language="fr")
    parsed = parse_document(export(original, "json").encode())
    assert parsed.segments == PLAIN
    assert (parsed.title, parsed.origin, parsed.language) == ("Notes", "notes.txt", "fr")


def test_round_trip_untimed_text() -> None:
    dialogue = [
        Segment("Opening words.", speaker="Ann"),
        Segment("More from Ann.", speaker="Ann"),
        Segment("A reply.", speaker="Bo"),
    ]
    assert parse_bytes(export(make(dialogue), "text").encode())[1] == dialogue
    assert parse_bytes(export(make(PLAIN), "text").encode())[1] == [
        Segment("First paragraph."),
        Segment("Ann: Second paragraph."),  # one speaker line alone is not trusted
    ]


def test_exported_empty_transcript_is_refused_on_import() -> None:
    for fmt in ("srt", "vtt", "json"):
        with pytest.raises(TranscriptImportError):
            parse_bytes(export(make([]), fmt).encode())
