"""Import speed of a 10-hour transcript (~12,000 cues, ~1 MB) in each supported format.

For each format: parse the bytes (`core.formats.parse_bytes`: decode, detect, parse,
clean) and store them (`Library.add`) on a throwaway PONDER_HOME, then read the stored
transcript back (`Library.transcript`). Prints the median of several runs.

Targets: import <= 300 ms, read back <= 100 ms.

    python benchmarks/bench_import.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

HOURS = 10
CUES = 12_000
IMPORT_TARGET_MS = 300
READ_TARGET_MS = 100

_VOCABULARY = (
    "memory spacing retrieval practice forgetting curve review interval learning "
    "sleep consolidation attention the a of and to we it is that this really so "
    "because when you think about how people remember things over long periods"
)
_WORDS = _VOCABULARY.split(" ")


def _sentence(rng: random.Random, words: int) -> str:
    chosen = [rng.choice(_WORDS) for _ in range(words)]
    return " ".join(chosen).capitalize() + rng.choice([".", ".", ".", "?", ","])


def _cues(seed: int = 7) -> list[tuple[float, float, str]]:
    """12,000 cues spread over ten hours, each a caption line of ~10 words."""
    rng = random.Random(seed)
    step = HOURS * 3600 / CUES
    cues = []
    for i in range(CUES):
        start = round(i * step, 3)
        cues.append((start, round(start + step * 0.95, 3), _sentence(rng, rng.randint(8, 12))))
    return cues


def _clock(seconds: float, sep: str = ".") -> str:
    millis = round(seconds * 1000)
    secs, ms = divmod(millis, 1000)
    minutes, secs = divmod(secs, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{sep}{ms:03d}"


def make_srt(cues: list[tuple[float, float, str]]) -> bytes:
    return "\n".join(
        f"{i}\n{_clock(s, ',')} --> {_clock(e, ',')}\n<i>{t}</i>\n"
        for i, (s, e, t) in enumerate(cues, 1)
    ).encode()


def make_vtt(cues: list[tuple[float, float, str]]) -> bytes:
    body = "\n".join(
        f"{_clock(s)} --> {_clock(e)} align:start position:0%\n<v Speaker {i % 2}>{t}\n"
        for i, (s, e, t) in enumerate(cues)
    )
    return f"WEBVTT\nKind: captions\nLanguage: en\n\n{body}".encode()


def make_youtube_auto_vtt(cues: list[tuple[float, float, str]]) -> bytes:
    """YouTube's rolling auto-captions: two lines per cue, word timings, 10 ms holds."""
    parts = ["WEBVTT\nKind: captions\nLanguage: en\n"]
    previous = ""
    for s, e, t in cues:
        words = t.split()
        step = (e - s) / len(words)
        timed = words[0] + "".join(
            f"<{_clock(s + k * step)}><c> {w}</c>" for k, w in enumerate(words[1:], 1)
        )
        parts.append(
            f"{_clock(s)} --> {_clock(e - 0.01)} align:start position:0%\n{previous or ' '}\n"
            f"{timed}\n"
        )
        parts.append(f"{_clock(e - 0.01)} --> {_clock(e)} align:start position:0%\n{t}\n \n")
        previous = t
    return "\n".join(parts).encode()


def make_whisper(cues: list[tuple[float, float, str]]) -> bytes:
    return "\n".join(f"[{_clock(s)} --> {_clock(e)}]   {t}" for s, e, t in cues).encode()


def make_podcast(cues: list[tuple[float, float, str]]) -> bytes:
    """Turns of four cues each: a header, then two paragraphs of two cues."""
    names = ["Maria Lopez", "James Chen", "Ada Park"]
    parts = []
    for turn, i in enumerate(range(0, len(cues), 4)):
        group = [c[2] for c in cues[i : i + 4]]
        head = f"{names[turn % 3]} [{_clock(cues[i][0])[:8]}]:"
        parts.append(f"{head}\n{' '.join(group[:2])}\n\n{' '.join(group[2:])}")
    return "\n\n".join(parts).encode()


def make_text(cues: list[tuple[float, float, str]]) -> bytes:
    return "\n\n".join(
        " ".join(c[2] for c in cues[i : i + 3]) for i in range(0, len(cues), 3)
    ).encode()


def make_json(cues: list[tuple[float, float, str]]) -> bytes:
    return json.dumps(
        [{"text": t, "start": s, "duration": round(e - s, 3)} for s, e, t in cues]
    ).encode()


MAKERS: dict[str, Callable[[list[tuple[float, float, str]]], bytes]] = {
    "srt": make_srt,
    "vtt": make_vtt,
    "vtt (YouTube auto)": make_youtube_auto_vtt,
    "whisper": make_whisper,
    "podcast": make_podcast,
    "text": make_text,
    "youtube-json": make_json,
}


def _load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def _ms(seconds: float) -> float:
    return seconds * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as home:
        os.environ["PONDER_HOME"] = home
        from core.formats import parse_bytes
        from core.library import Library
        from core.models import Source, Transcript

        library = Library()
        cues = _cues()
        header = (
            f"{'format':<20}{'size':>9}{'segments':>10}{'parse':>9}{'store':>9}"
            f"{'import':>9}{'(cpu)':>8}{'read':>9}  ok"
        )
        print(f"10-hour transcript, {CUES} cues; median of {args.runs} runs (ms)")
        print(header)
        print("-" * len(header))
        failures = 0
        for label, maker in MAKERS.items():
            data = maker(cues)
            parse_times, store_times, read_times, cpu_times = [], [], [], []
            count = 0
            for _ in range(args.runs):
                cpu_started = time.process_time()
                started = time.perf_counter()
                fmt, segments = parse_bytes(data, "bench")
                parsed = time.perf_counter()
                transcript = Transcript(Source(title=label, origin="bench", format=fmt), segments)
                result = library.add(transcript)
                stored = time.perf_counter()
                cpu_times.append(time.process_time() - cpu_started)
                assert not result.existed
                read = library.transcript(result.source_id)
                done = time.perf_counter()
                assert read is not None and len(read.segments) == len(segments)
                count = len(segments)
                parse_times.append(parsed - started)
                store_times.append(stored - parsed)
                read_times.append(done - stored)
                library.remove(result.source_id)
            parse_ms = _ms(statistics.median(parse_times))
            store_ms = _ms(statistics.median(store_times))
            imports = [p + s for p, s in zip(parse_times, store_times, strict=True)]
            import_ms = _ms(statistics.median(imports))
            read_ms = _ms(statistics.median(read_times))
            cpu_ms = _ms(statistics.median(cpu_times))
            ok = import_ms <= IMPORT_TARGET_MS and read_ms <= READ_TARGET_MS
            failures += not ok
            print(
                f"{label:<20}{len(data) / 1e6:>8.2f}M{count:>10}{parse_ms:>9.0f}{store_ms:>9.0f}"
                f"{import_ms:>9.0f}{cpu_ms:>8.0f}{read_ms:>9.0f}  {'yes' if ok else 'NO'}"
            )
        library.close()
    print(f"targets: import <= {IMPORT_TARGET_MS} ms, read back <= {READ_TARGET_MS} ms")
    print("import = parse + store (wall clock); (cpu) = this process's CPU time for both,")
    print("which a busy machine distorts less; load average now:", _load())
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
