"""Keeping a streamed answer smooth: the SDK loaded off the event loop, GC kept quiet.

Both are process-wide tuning that the chat pane, the study guides and the card chat use
around a stream; neither is a widget.
"""

from __future__ import annotations

import asyncio
import gc
import importlib

_sdk_ready = False


async def load_sdk_once() -> None:
    """Import the anthropic SDK (first question only) in a thread, then freeze the heap.

    The import takes about a second, so it runs off the event loop while the pane keeps
    painting. The SDK, the app and the library are then a big long-lived heap that every
    full collection would rescan: measured here, full collections every quarter second
    or so cost 20-170 ms each in the middle of a streamed answer. `gc.collect()` then
    `gc.freeze()` once makes that heap permanent, so collections only look at what the
    session creates afterwards.
    """
    global _sdk_ready
    if _sdk_ready:
        return
    await asyncio.to_thread(importlib.import_module, "anthropic")
    _sdk_ready = True
    gc.collect()
    gc.freeze()


class _DeferFullCollections:
    """No full garbage collections while an answer streams (restored once it is painted).

    After `load_sdk_once` the heap the session builds keeps growing (widgets, messages,
    SQLite rows), and a full collection of it took 50-150 ms, about every half second of
    a paced stream (measured: 17-22 per 5-second answer): each one froze the screen past
    the 100 ms target. Young collections still run; the full one is merely postponed
    until the final answer has been painted (then one collection, 0.1-0.3 s, while the
    learner reads; an answer's garbage is a few MB at most).
    """

    def __init__(self) -> None:
        self.saved: tuple[int, int, int] | None = None

    def start(self) -> None:
        if self.saved is None:
            self.saved = gc.get_threshold()
            young, middle, _ = self.saved
            gc.set_threshold(young, middle, 1_000_000_000)

    def end(self) -> None:
        if self.saved is not None:
            gc.set_threshold(*self.saved)
            self.saved = None


defer_full_collections = _DeferFullCollections()

__all__ = ["defer_full_collections", "load_sdk_once"]
