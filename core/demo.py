"""The bundled demo transcript, so a new library has something to open offline."""

from __future__ import annotations

import json
from importlib import resources

from core.library import Library
from core.models import Segment, Source, Transcript

DEMO_SEEDED_KEY = "demo_seeded"


def demo_transcript() -> Transcript:
    data = json.loads(resources.files("core.data").joinpath("demo.json").read_text("utf-8"))
    raw = data["segments"]
    segments = []
    for i, item in enumerate(raw):
        end = raw[i + 1]["start"] if i + 1 < len(raw) else item["start"] + 8
        segments.append(Segment(item["text"], float(item["start"]), float(end), item["speaker"]))
    source = Source(
        title=data["title"],
        origin=data["origin"],
        kind="demo",
        language=data["language"],
        format="demo",
    )
    return Transcript(source, segments).with_counts()


def ensure_demo(library: Library) -> int | None:
    """Add the demo once per library; a learner who deletes it does not get it back."""
    if library.get_state(DEMO_SEEDED_KEY):
        return None
    result = library.add(demo_transcript())
    library.set_state(DEMO_SEEDED_KEY, str(result.source_id))
    return result.source_id
