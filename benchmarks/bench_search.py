"""Search speed over a large library: 200 transcripts x 3,000 segments (600,000 segments).

Builds the library on a throwaway database through `Library.add` (so the FTS5 triggers
of migration 0005 do the indexing, as in real use), then runs a mix of queries through
`core.search.search` (common and rare words, several words, phrases, prefixes, one
source) and prints the median and p99 query time, the build time and the index size
(the `segment_search*` tables, from dbstat). It also times the same queries inside a
collection of 20 of the transcripts (`ponder search --collection`), and
`best_passages` (what a question over a collection's token budget ranks excerpts with).

It also times a 10-hour import (12,000 segments) with and without its indexing step, to
show what the index adds to an import.

Targets (issue 15): median <= 30 ms, p99 <= 100 ms; indexing adds <= 20% to an import.

    python benchmarks/bench_search.py [--sources 200] [--segments 3000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

MEDIAN_TARGET_MS = 30
P99_TARGET_MS = 100
INDEX_OVERHEAD_TARGET = 0.20

_COMMON = [
    "the",
    "a",
    "of",
    "and",
    "to",
    "we",
    "it",
    "is",
    "that",
    "this",
    "really",
    "so",
    "because",
    "when",
    "you",
    "think",
    "about",
    "how",
    "people",
    "remember",
    "things",
    "over",
    "long",
    "periods",
    "in",
    "on",
    "for",
    "with",
    "as",
    "at",
    "by",
    "from",
]
_TOPICAL = [
    "memory",
    "spacing",
    "retrieval",
    "practice",
    "forgetting",
    "curve",
    "review",
    "interval",
    "learning",
    "sleep",
    "consolidation",
    "attention",
    "photosynthesis",
    "mitochondria",
    "entropy",
    "gradient",
    "derivative",
    "integral",
    "theorem",
    "empire",
    "carthage",
    "enzyme",
    "protein",
    "neuron",
    "synapse",
    "algorithm",
    "recursion",
    "café",
    "naïve",
    "résumé",
    "déjà",
]
_RARE = [f"zq{n:04d}" for n in range(2000)]  # each appears a handful of times

QUERIES = [
    "the",
    "memory",
    "spacing effect",
    "forgetting curve",
    '"forgetting curve"',
    '"the memory of"',
    "photo*",
    "mito* cell",
    "cafe naive",
    "entropy gradient theorem",
    "zq0042",
    "zq1999 memory",
    "neuron AND synapse",
    'NEAR( "broken',
    "people remember things",
    "rec*",
]


def _sentence(rng: random.Random) -> str:
    words = []
    for _ in range(rng.randint(6, 18)):
        roll = rng.random()
        if roll < 0.7:
            words.append(rng.choice(_COMMON))
        elif roll < 0.995:
            words.append(rng.choice(_TOPICAL))
        else:
            words.append(rng.choice(_RARE))
    return " ".join(words).capitalize() + "."


def build(path: Path, sources: int, segments: int) -> float:
    from core.db import connect
    from core.library import Library
    from core.models import Segment, Source, Transcript

    rng = random.Random(15)
    library = Library(connect(path))
    began = time.perf_counter()
    for number in range(sources):
        cues = [Segment(_sentence(rng), i * 4.0, i * 4.0 + 4.0) for i in range(segments)]
        source = Source(title=f"Lecture {number + 1}", origin=f"bench-{number}")
        library.add(Transcript(source, cues))
    elapsed = time.perf_counter() - began
    library.close()
    return elapsed


def import_overhead(folder: Path, runs: int = 5) -> tuple[float, float]:
    """Median seconds to store a 10-hour transcript (12,000 segments) indexed, and with
    the indexing step left out (what the import cost before the index)."""
    from core import library as library_module
    from core.db import connect
    from core.library import Library
    from core.models import Segment, Source, Transcript

    index_source = library_module.index_source

    rng = random.Random(10)
    cues = [Segment(_sentence(rng), i * 3.0, i * 3.0 + 3.0) for i in range(12_000)]
    timings: dict[bool, list[float]] = {True: [], False: []}
    for run in range(runs):
        for indexed in (True, False):
            path = folder / f"import-{run}-{indexed}.db"
            library = Library(connect(path))
            library_module.index_source = index_source if indexed else lambda *_args: None
            began = time.perf_counter()
            library.add(Transcript(Source(title="Ten hours", origin=f"ten-{run}"), cues))
            timings[indexed].append(time.perf_counter() - began)
            library.close()
    library_module.index_source = index_source
    return statistics.median(timings[True]), statistics.median(timings[False])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=int, default=200)
    parser.add_argument("--segments", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    from core import collections
    from core.db import connect
    from core.search import best_passages, search

    with tempfile.TemporaryDirectory() as home:
        path = Path(home) / "bench.db"
        build_s = build(path, args.sources, args.segments)
        conn = connect(path)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        try:
            index_bytes = conn.execute(
                "SELECT SUM(pgsize) FROM dbstat WHERE name LIKE 'segment_search%'"
            ).fetchone()[0]
        except Exception:  # dbstat not compiled in
            index_bytes = None
        db_bytes = path.stat().st_size
        times: list[float] = []
        some_source = conn.execute("SELECT MAX(id) FROM sources").fetchone()[0]
        for _ in range(args.rounds):
            for query in QUERIES:
                for source_id in (None, some_source):
                    began = time.perf_counter()
                    search(conn, query, source_id, 20)
                    times.append((time.perf_counter() - began) * 1000)
        course = collections.create(conn, "Bench course")
        members = [row[0] for row in conn.execute("SELECT id FROM sources ORDER BY id LIMIT 20")]
        for source_id in members:
            collections.add_source(conn, course.id, source_id)
        in_collection: list[float] = []
        ranking: list[float] = []
        for _ in range(args.rounds):
            for query in QUERIES:
                began = time.perf_counter()
                search(conn, query, limit=20, collection_id=course.id)
                in_collection.append((time.perf_counter() - began) * 1000)
                began = time.perf_counter()
                best_passages(conn, f"What does the talk say about {query}?", members, 60)
                ranking.append((time.perf_counter() - began) * 1000)
        conn.close()
        with_index_s, without_index_s = import_overhead(Path(home))

    def p99_of(values: list[float]) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]

    times.sort()
    median = statistics.median(times)
    p99 = p99_of(times)
    result = {
        "sources": args.sources,
        "segments": args.sources * args.segments,
        "queries": len(times),
        "median_ms": round(median, 2),
        "p99_ms": round(p99, 2),
        "max_ms": round(times[-1], 2),
        "collection_median_ms": round(statistics.median(in_collection), 2),
        "collection_p99_ms": round(p99_of(in_collection), 2),
        "passages_median_ms": round(statistics.median(ranking), 2),
        "passages_p99_ms": round(p99_of(ranking), 2),
        "build_s": round(build_s, 1),
        "index_mb": round(index_bytes / 1e6, 1) if index_bytes else None,
        "database_mb": round(db_bytes / 1e6, 1),
        "import_10h_indexed_ms": round(with_index_s * 1000, 1),
        "import_10h_unindexed_ms": round(without_index_s * 1000, 1),
        "index_overhead_pct": round((with_index_s / without_index_s - 1) * 100, 1),
    }
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>12}: {value}")
        ok = median <= MEDIAN_TARGET_MS and p99 <= P99_TARGET_MS
        print(
            f"target median <= {MEDIAN_TARGET_MS} ms, p99 <= {P99_TARGET_MS} ms: "
            f"{'met' if ok else 'MISSED'}"
        )
        overhead_ok = with_index_s <= without_index_s * (1 + INDEX_OVERHEAD_TARGET)
        print(
            f"target indexing adds <= {INDEX_OVERHEAD_TARGET:.0%} to a 10-hour import: "
            f"{'met' if overhead_ok else 'MISSED'}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
