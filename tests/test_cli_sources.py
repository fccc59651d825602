"""`ponder add/list/show/languages/remove`, in-process and through the real console script.

YouTube is served from recorded responses: `core.youtube._session_factory` is replaced by
one that mounts the fake adapter, so the CLI code path is the real one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.youtube.fake import VIDEO_ID, FakeYouTube, session_with
from tui.cli import main

LATIN1_SRT = (
    "1\n00:00:01,000 --> 00:00:03,000\nCaf\xe9 na\xefve r\xe9sum\xe9\n\n"
    "2\n00:00:03,500 --> 00:00:06,000\nd\xe9j\xe0 vu, \xfcber \xa3 5\n"
).encode("latin-1")

HOSTILE_SRT = (
    b"1\n00:00:00,000 --> 00:00:02,000\n[bold]not bold[/] and [@click=app.quit]x[/]\n\n"
    b"2\n00:00:02,000 --> 00:00:04,000\n\x1b[31mred\x1b[0m \x1b]0;pwned\x07 \x1b]52;c;aGk=\x07\n"
)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def source_ids(capsys: pytest.CaptureFixture[str]) -> list[int]:
    code, stdout, _ = run(capsys, "list", "--json")
    assert code == 0
    return [item["id"] for item in json.loads(stdout)]


@pytest.fixture
def youtube(monkeypatch: pytest.MonkeyPatch):
    """Route the CLI's YouTube requests to the recorded responses; returns a configurator."""
    from core import youtube as yt

    adapters: list[FakeYouTube] = []

    def configure(**kwargs) -> list[FakeYouTube]:
        def factory():
            adapter = FakeYouTube(**kwargs)
            adapters.append(adapter)
            return session_with(adapter)

        monkeypatch.setattr(yt, "_session_factory", factory)
        return adapters

    configure()
    return configure


def write(path: Path, data: bytes) -> str:
    path.write_bytes(data)
    return str(path)


# -- add -------------------------------------------------------------------------------


def test_add_latin1_srt_prints_id_last_and_stores_it(capsys, tmp_path: Path) -> None:
    path = write(tmp_path / "lecture_notes.srt", LATIN1_SRT)
    code, stdout, stderr = run(capsys, "add", path)
    assert code == 0, stderr
    lines = stdout.strip().splitlines()
    source_id = int(lines[-1])
    assert lines[0].startswith("added: ")
    assert "2 segments" in lines[0] and "0:00:06" in lines[0]
    code, stdout, _ = run(capsys, "show", str(source_id), "--format", "json")
    data = json.loads(stdout)
    assert data["id"] == source_id
    assert [s["text"] for s in data["segments"]] == [
        "Café naïve résumé",
        "déjà vu, über £ 5",
    ]
    assert data["segments"][1] == {
        "start": 3.5,
        "end": 6.0,
        "speaker": None,
        "text": "déjà vu, über £ 5",
    }


def test_adding_twice_returns_the_same_id(capsys, tmp_path: Path) -> None:
    path = write(tmp_path / "talk.srt", LATIN1_SRT)
    _, first, _ = run(capsys, "add", path)
    before = source_ids(capsys)
    copy = write(tmp_path / "same-content-other-name.srt", LATIN1_SRT)
    code, second, _ = run(capsys, "add", copy)
    assert code == 0
    assert second.strip().splitlines()[-1] == first.strip().splitlines()[-1]
    assert "already in the library" in second
    assert source_ids(capsys) == before


def test_title_option_overrides(capsys, tmp_path: Path) -> None:
    path = write(tmp_path / "x.srt", LATIN1_SRT)
    _, stdout, _ = run(capsys, "add", path, "--title", "  Chosen title ")
    source_id = int(stdout.strip().splitlines()[-1])
    _, stdout, _ = run(capsys, "list", "--json")
    titles = {item["id"]: item["title"] for item in json.loads(stdout)}
    assert titles[source_id] == "Chosen title"


def test_a_3000_word_single_line_imports(capsys, tmp_path: Path) -> None:
    words = [f"word{i}" for i in range(3000)]
    path = write(tmp_path / "monologue.txt", (" ".join(words) + "\n").encode())
    code, stdout, stderr = run(capsys, "add", path)
    assert code == 0, stderr
    source_id = stdout.strip().splitlines()[-1]
    _, stdout, _ = run(capsys, "show", source_id, "--format", "json")
    stored = " ".join(s["text"] for s in json.loads(stdout)["segments"]).split()
    assert stored == words


def test_markup_and_escapes_are_stored_verbatim_and_shown_inert(capsys, tmp_path: Path) -> None:
    path = write(tmp_path / "hostile.srt", HOSTILE_SRT)
    code, stdout, stderr = run(capsys, "add", path)
    assert code == 0, stderr
    source_id = stdout.strip().splitlines()[-1]
    _, stdout, _ = run(capsys, "show", source_id, "--format", "json")
    texts = [s["text"] for s in json.loads(stdout)["segments"]]
    assert texts == [
        "[bold]not bold[/] and [@click=app.quit]x[/]",
        "\x1b[31mred\x1b[0m \x1b]0;pwned\x07 \x1b]52;c;aGk=\x07",
    ]
    assert "\x1b" not in stdout  # JSON escapes it
    for fmt in ("text", "srt", "vtt", "md"):
        code, shown, _ = run(capsys, "show", source_id, "--format", fmt)
        assert code == 0
        assert "\x1b" not in shown and "\x07" not in shown
        assert "␛" in shown and "red" in shown  # made visible, not dropped
        if fmt != "md":  # Markdown escapes the brackets
            assert "␛[31mred" in shown and "[bold]not bold[/]" in shown


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda d: write(d / "blob.srt", bytes(range(256)) * 40), None),
        (lambda d: write(d / "empty.srt", b""), "empty"),
        (lambda d: write(d / "blank.txt", b"   \n\n \t\n"), None),
        (lambda d: str(d / "missing.srt"), "no such file: "),
        (lambda d: str(d), "folder"),
        (lambda d: "https://youtube.com/watch?v=short", "not a YouTube video id"),
        (lambda d: "https://vimeo.com/1234", "not a YouTube URL or video id"),
        (lambda d: "just some words", "not a YouTube URL or video id, and no such file"),
    ],
)
def test_bad_input_is_one_line_exit_1_and_changes_nothing(
    capsys, tmp_path: Path, youtube, make, expected: str | None
) -> None:
    before = source_ids(capsys)
    code, stdout, stderr = run(capsys, "add", make(tmp_path))
    assert code == 1
    assert stdout == ""
    assert stderr.startswith("ponder: ") and stderr.count("\n") == 1
    assert "Traceback" not in stderr
    if expected:
        assert expected in stderr
    assert source_ids(capsys) == before


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"player": "player_unavailable.json"}, "is unavailable"),
        ({"watch_status": 429}, "proxy"),
        ({"player": "player_disabled.json"}, "no captions"),
    ],
)
def test_video_youtube_refuses(capsys, youtube, kwargs: dict, expected: str) -> None:
    youtube(**kwargs)
    before = source_ids(capsys)
    code, stdout, stderr = run(capsys, "add", f"https://www.youtube.com/watch?v={VIDEO_ID}")
    assert code == 1 and stdout == ""
    assert expected in stderr and stderr.count("\n") == 1
    assert source_ids(capsys) == before


def test_add_youtube_then_again_by_another_url_without_fetching(capsys, youtube) -> None:
    adapters = youtube()
    code, stdout, stderr = run(capsys, "add", f"https://youtu.be/{VIDEO_ID}?si=abc&t=30")
    assert code == 0, stderr
    source_id = int(stdout.strip().splitlines()[-1])
    assert len(adapters) == 1 and len(adapters[0].calls) == 3
    code, again, _ = run(capsys, "add", VIDEO_ID)
    assert code == 0
    assert int(again.strip().splitlines()[-1]) == source_id
    assert "already in the library" in again
    assert len(adapters) == 1  # no second session, no network
    _, stdout, _ = run(capsys, "list", "--json")
    item = next(i for i in json.loads(stdout) if i["id"] == source_id)
    assert item["video_id"] == VIDEO_ID
    assert item["origin"] == f"https://youtu.be/{VIDEO_ID}"
    assert item["kind"] == "youtube" and item["language"] == "en"
    assert item["title"] == "Surface Go Review & Verdict - It's Awesome"


def test_add_youtube_with_lang(capsys, youtube) -> None:
    code, stdout, _ = run(capsys, "add", VIDEO_ID, "--lang", "de")
    assert code == 0
    source_id = stdout.strip().splitlines()[-1]
    _, stdout, _ = run(capsys, "show", source_id, "--format", "json")
    data = json.loads(stdout)
    assert data["language"] == "de"
    assert data["segments"][0]["text"] == "Hallo, das ist die deutsche Spur mit Umlauten: äöü ß"


def test_add_youtube_offline(capsys, monkeypatch) -> None:
    import requests

    from core import youtube as yt
    from tests.fixtures.youtube.fake import RaisingAdapter

    adapter = RaisingAdapter(requests.ConnectionError("[Errno -3] name resolution"))
    monkeypatch.setattr(yt, "_session_factory", lambda: session_with(adapter))
    code, stdout, stderr = run(capsys, "add", VIDEO_ID)
    assert code == 1 and stdout == ""
    assert "offline?" in stderr and stderr.count("\n") == 1


# -- list, show, languages, remove ------------------------------------------------------


def test_list_json_fields_and_text_lines(capsys, tmp_path: Path) -> None:
    path = write(tmp_path / "talk.srt", LATIN1_SRT)
    _, stdout, _ = run(capsys, "add", path)
    source_id = int(stdout.strip().splitlines()[-1])
    code, stdout, _ = run(capsys, "list", "--json")
    assert code == 0
    items = json.loads(stdout)
    item = next(i for i in items if i["id"] == source_id)
    for key in (
        "id",
        "title",
        "segments",
        "duration_s",
        "video_id",
        "origin",
        "imported_at",
        "language",
        "kind",
    ):
        assert key in item
    assert item["segments"] == 2 and item["duration_s"] == 6.0 and item["video_id"] is None
    code, stdout, _ = run(capsys, "list")
    line = next(li for li in stdout.splitlines() if li.split()[0] == str(source_id))
    assert "0:00:06" in line and " 2 seg" in line and item["title"] in line
    assert len(stdout.splitlines()) == len(items)


def test_list_duration_truncates_like_the_app(capsys, tmp_path: Path) -> None:
    from tui.screens.library import format_duration

    srt = b"1\n01:26:30,000 --> 01:26:37,900\nThe long interview ends.\n"
    _, stdout, _ = run(capsys, "add", write(tmp_path / "long.srt", srt))
    source_id = int(stdout.strip().splitlines()[-1])
    code, stdout, _ = run(capsys, "list", "--json")
    (item,) = [i for i in json.loads(stdout) if i["id"] == source_id]
    assert item["duration_s"] == pytest.approx(5197.9)
    code, stdout, _ = run(capsys, "list")
    assert code == 0
    line = next(li for li in stdout.splitlines() if li.split()[0] == str(source_id))
    # the app's library shows 1:26:37 for this transcript: the CLI must say the same
    assert format_duration(item["duration_s"]) == "1:26:37"
    assert "1:26:37" in line and "1:26:38" not in line


def test_rename_keeps_the_title_as_plain_text(capsys, tmp_path: Path) -> None:
    _, stdout, _ = run(capsys, "add", write(tmp_path / "mlst_howard.srt", LATIN1_SRT))
    source_id = str(int(stdout.strip().splitlines()[-1]))
    hostile = "  Howard [red]on[/]\nlearning \x1b]0;pwned\x07 "
    code, stdout, stderr = run(capsys, "rename", source_id, hostile)
    assert code == 0, stderr
    assert "\x1b" not in stdout and "\x07" not in stdout and "Howard [red]on[/]" in stdout
    code, stdout, _ = run(capsys, "list", "--json")
    (item,) = [i for i in json.loads(stdout) if str(i["id"]) == source_id]
    # stored verbatim as text (markup not parsed), on one line, ends trimmed
    assert item["title"] == "Howard [red]on[/] learning \x1b]0;pwned\x07"
    # a title that looks like an option, after --
    assert run(capsys, "rename", source_id, "--", "-- dashes --")[0] == 0
    _, stdout, _ = run(capsys, "list", "--json")
    assert [i["title"] for i in json.loads(stdout) if str(i["id"]) == source_id] == ["-- dashes --"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("999", "T"), "ponder: no source with id 999 (see ponder list)\n"),
        (("abc", "T"), "ponder: not a source id: 'abc' (ids are numbers; see ponder list)\n"),
        (("1", "  \n "), "ponder: a title cannot be empty\n"),
    ],
)
def test_rename_errors_are_one_line(capsys, argv: tuple[str, str], message: str) -> None:
    code, stdout, stderr = run(capsys, "rename", *argv)
    assert (code, stdout, stderr) == (1, "", message)


def test_list_shows_hostile_titles_inert(capsys, tmp_path: Path) -> None:
    path = write(tmp_path / "t.srt", LATIN1_SRT)
    run(capsys, "add", path, "--title", "evil \x1b]0;title\x07 [red]x[/]")
    _, stdout, _ = run(capsys, "list")
    assert "\x1b" not in stdout and "\x07" not in stdout
    assert "[red]x[/]" in stdout


def test_show_errors(capsys, tmp_path: Path) -> None:
    code, stdout, stderr = run(capsys, "show", "999")
    assert code == 1 and stdout == ""
    assert stderr == "ponder: no source with id 999 (see ponder list)\n"
    code, _, stderr = run(capsys, "show", "abc")
    assert code == 1 and "not a source id" in stderr
    path = write(tmp_path / "plain.txt", b"An untimed paragraph of text.\n")
    _, stdout, _ = run(capsys, "add", path)
    source_id = stdout.strip().splitlines()[-1]
    code, stdout, stderr = run(capsys, "show", source_id, "--format", "srt")
    assert code == 1 and stdout == "" and stderr.startswith("ponder: ")
    code, stdout, _ = run(capsys, "show", source_id)
    assert code == 0 and "An untimed paragraph of text." in stdout


def test_show_formats(capsys, tmp_path: Path) -> None:
    path = write(tmp_path / "talk.srt", LATIN1_SRT)
    _, stdout, _ = run(capsys, "add", path)
    source_id = stdout.strip().splitlines()[-1]
    _, srt, _ = run(capsys, "show", source_id, "--format", "srt")
    assert "00:00:03,500 --> 00:00:06,000" in srt
    _, vtt, _ = run(capsys, "show", source_id, "--format", "vtt")
    assert vtt.startswith("WEBVTT") and "00:00:03.500 --> 00:00:06.000" in vtt
    _, text, _ = run(capsys, "show", source_id)
    assert "Café naïve résumé" in text


def test_languages(capsys, youtube) -> None:
    code, stdout, _ = run(capsys, "languages", f"https://youtu.be/{VIDEO_ID}")
    assert code == 0
    lines = stdout.splitlines()
    assert lines[0].split()[:3] == ["de", "manual", "German"]
    assert any(li.split()[:2] == ["fr", "generated"] for li in lines)
    code, stdout, _ = run(capsys, "languages", VIDEO_ID, "--json")
    codes = [(t["code"], t["is_generated"]) for t in json.loads(stdout)]
    assert codes == [
        ("de", False),
        ("en", False),
        ("pt-BR", False),
        ("en", True),
        ("fr", True),
    ]


def test_languages_errors(capsys, youtube) -> None:
    youtube(player="player_disabled.json")
    code, stdout, stderr = run(capsys, "languages", VIDEO_ID)
    assert code == 1 and stdout == "" and "no captions" in stderr
    code, _, stderr = run(capsys, "languages", "not a video")
    assert code == 1 and "Not a YouTube URL" in stderr


def test_remove(capsys, tmp_path: Path) -> None:
    path = write(tmp_path / "talk.srt", LATIN1_SRT)
    _, stdout, _ = run(capsys, "add", path)
    source_id = stdout.strip().splitlines()[-1]
    code, stdout, _ = run(capsys, "remove", source_id)
    assert code == 0 and stdout.startswith("removed: ")
    assert int(source_id) not in source_ids(capsys)
    code, _, stderr = run(capsys, "remove", source_id)
    assert code == 1 and f"no source with id {source_id}" in stderr
    # once removed, the same file imports again as a new source
    _, stdout, _ = run(capsys, "add", path)
    assert "added: " in stdout


# -- the real console script ---------------------------------------------------------------


def _ponder_command() -> list[str]:
    script = Path(sys.executable).with_name("ponder")
    return [str(script)] if script.exists() else [sys.executable, "-m", "tui.cli"]


def test_console_script_end_to_end(tmp_path: Path, ponder_home: Path) -> None:
    env = {**os.environ, "PONDER_HOME": str(ponder_home)}
    path = write(tmp_path / "talk.srt", LATIN1_SRT)
    hostile = write(tmp_path / "hostile.srt", HOSTILE_SRT)

    def ponder(*args: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [*_ponder_command(), *args], env=env, capture_output=True, timeout=60, check=False
        )

    added = ponder("add", path)
    assert added.returncode == 0, added.stderr
    source_id = int(added.stdout.decode().strip().splitlines()[-1])
    evil = ponder("add", hostile)
    evil_id = evil.stdout.decode().strip().splitlines()[-1]
    listed = ponder("list", "--json")
    items = json.loads(listed.stdout)
    assert {source_id, int(evil_id)} <= {item["id"] for item in items}
    shown = ponder("show", evil_id)
    assert shown.returncode == 0 and b"\x1b" not in shown.stdout and b"\x07" not in shown.stdout
    missing = ponder("add", str(tmp_path / "nope.srt"))
    assert missing.returncode == 1 and missing.stdout == b""
    assert missing.stderr.decode().strip() == "ponder: no such file: " + str(tmp_path / "nope.srt")
    assert ponder("remove", str(source_id)).returncode == 0
    assert ponder("remove", str(source_id)).returncode == 1


# -- the importer underneath ----------------------------------------------------------------


def test_an_existing_path_wins_over_a_video_id(
    capsys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, youtube
) -> None:
    from core.importer import import_source

    adapters = youtube()
    monkeypatch.chdir(tmp_path)
    write(tmp_path / VIDEO_ID, LATIN1_SRT)  # a file that happens to be named like an id
    transcript = import_source(VIDEO_ID, title="From the file")
    assert transcript.source.kind == "file" and transcript.source.video_id is None
    assert transcript.source.title == "From the file"
    assert adapters == [] or all(a.calls == [] for a in adapters)
    (tmp_path / VIDEO_ID).unlink()
    assert import_source(VIDEO_ID).source.kind == "youtube"


def test_import_failed_wraps_every_failure(tmp_path: Path, youtube) -> None:
    from core.importer import ImportFailed, import_source

    youtube(player="player_unavailable.json")
    cases = {
        "": "Nothing to import",
        str(tmp_path / "gone.vtt"): "no such file",
        VIDEO_ID: "unavailable",
        write(tmp_path / "zero.srt", b""): "zero.srt",
    }
    for text, expected in cases.items():
        with pytest.raises(ImportFailed) as info:
            import_source(text)
        assert expected in str(info.value)
        assert "\n" not in str(info.value)


def test_add_to_library_reports_existing(library, youtube) -> None:
    from core.importer import add_to_library, stored_video

    assert stored_video(library, VIDEO_ID) is None
    first = add_to_library(library, f"https://www.youtube.com/shorts/{VIDEO_ID}")
    assert not first.existed
    assert stored_video(library, f"https://youtu.be/{VIDEO_ID}") == first.source_id
    again = add_to_library(library, f"https://m.youtube.com/watch?v={VIDEO_ID}")
    assert again.existed and again.source_id == first.source_id


def test_an_existing_file_wins_over_a_name_that_parses_as_a_video_id(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One rule (core.importer.is_video_ref) for import, stored videos and the CLI note."""
    from core.importer import is_video_ref

    video_id = "dQw4w9WgXcQ"
    assert is_video_ref(video_id) and is_video_ref(f"  https://youtu.be/{video_id} ")
    monkeypatch.chdir(tmp_path)
    (tmp_path / video_id).write_text("1\n00:00:01,000 --> 00:00:02,000\nhello\n")
    assert not is_video_ref(video_id)
    assert not is_video_ref("") and not is_video_ref("notes.txt")


def test_import_kind_is_the_one_decision_the_dialog_and_the_importer_share(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from core.importer import import_kind
    from tests.test_transcription import AUDIO

    monkeypatch.chdir(tmp_path)
    (tmp_path / "talk.srt").write_text("1\n00:00:01,000 --> 00:00:02,000\nhello\n")
    (tmp_path / "speech.mp3").write_bytes((AUDIO / "speech.mp3").read_bytes())
    (tmp_path / "dQw4w9WgXcQ").write_text("1\n00:00:01,000 --> 00:00:02,000\nhi\n")
    expected = {
        "talk.srt": "file",
        " ./talk.srt ": "file",
        "speech.mp3": "media",
        str(tmp_path / "speech.mp3"): "media",
        "dQw4w9WgXcQ": "file",  # an existing file wins over a video id
        "https://youtu.be/aaaaaaaaaaa": "video",
        "bbbbbbbbbbb": "video",
        "missing.srt": "missing file",
        "~/nowhere/x": "missing file",
        "hello there": "unknown",
        "": "unknown",
    }
    assert {text: import_kind(text) for text in expected} == expected
