"""Getting streamed text on screen cheaply: `MarkdownFeed` and `show_text`.

`MarkdownFeed` appends an answer's fragments and citation links to a Markdown widget
through `Markdown.get_stream` (never re-rendering), batched by time with its own timer;
`show_text` updates a status line without a layout pass when it can. Both exist because a
streamed answer must stay within 100 ms of the network (benchmarks/bench_chat_ui.py).
"""

from __future__ import annotations

import asyncio
import time

from textual.content import Content
from textual.widgets import Markdown, Static

from core.chat.models import Citation
from core.textsafe import inert
from tui.widgets.chat.citations import citation_link_markdown


def show_text(widget: Static, content: Content) -> None:
    """Update a text widget only if its text changed, and without a layout pass when it
    stays one line that fits: each layout pass arranges the whole screen (5-15 ms), and a
    streamed answer changes its status lines several times in its first 100 ms."""
    current = widget.content
    if isinstance(current, Content) and current == content and current.spans == content.spans:
        return
    width = widget.content_region.width
    one_line = (
        isinstance(current, Content)
        and widget.is_mounted
        and width > 0
        and "\n" not in content.plain
        and content.cell_length <= width
        and "\n" not in current.plain
        and 0 < current.cell_length <= width
    )
    widget.update(content, layout=not one_line)


class MarkdownFeed:
    """Appends streamed text and citation links to a Markdown widget (never re-renders).

    Fragments go through `Markdown.get_stream` (an incremental parse of the last block per
    write), batched by time: every screen update of a growing answer costs a layout and a
    repaint of the pane, so the feed writes at most every `SLOW_INTERVAL` (40 updates a
    second: text read as it arrives stays well under 100 ms behind) and, when text
    arrives faster than anyone reads (over `FAST_RATE` fragments a second since the last
    write), every `FAST_INTERVAL`, so a burst costs a few repaints instead of hundreds; a
    timer writes what is left when the stream pauses. `close()` writes the rest.
    """

    SLOW_INTERVAL = 0.025
    FAST_INTERVAL = 0.5
    FAST_RATE = 1000.0  # fragments a second since the last write

    def __init__(self, markdown: Markdown) -> None:
        self.markdown = markdown
        self._stream = Markdown.get_stream(markdown)
        self.parts: list[str] = []
        self.citations: list[Citation] = []
        self._buffer: list[str] = []
        self._last_write = time.monotonic()
        self._timer: asyncio.TimerHandle | None = None
        self._flushing: asyncio.Task[None] | None = None
        self._closed = False

    async def text(self, fragment: str) -> None:
        self.parts.append(fragment)
        await self._add(inert(fragment))

    async def citation(self, citation: Citation) -> None:
        self.citations.append(citation)
        await self._add(citation_link_markdown(citation))

    @property
    def text_so_far(self) -> str:
        return "".join(self.parts)

    def _wait(self, now: float) -> float:
        """Seconds until the buffer is due to be written (0: now). Per fragment this is a
        subtraction and a comparison: a burst brings thousands of fragments a second."""
        elapsed = now - self._last_write
        if elapsed < self.SLOW_INTERVAL:
            return self.SLOW_INTERVAL - elapsed
        if len(self._buffer) > self.FAST_RATE * elapsed:
            return max(self.FAST_INTERVAL - elapsed, 0.0)
        return 0.0

    async def _add(self, markdown: str) -> None:
        if self._closed:
            return
        self._buffer.append(markdown)
        wait = self._wait(time.monotonic())
        if not wait:
            await self._write()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(wait, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        if not self._buffer or self._closed:
            return
        wait = self._wait(time.monotonic())
        if wait:
            self._timer = asyncio.get_running_loop().call_later(wait, self._on_timer)
        else:
            self._flushing = asyncio.ensure_future(self._write())

    async def _write(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._buffer:
            return
        pending = "".join(self._buffer)
        self._buffer.clear()
        self._last_write = time.monotonic()
        await self._stream.write(pending)

    async def close(self) -> None:
        """Write what is pending, stop the stream, and return once the Markdown holds it
        all (so what follows, e.g. the pane's bookkeeping, comes after the final paint).
        Safe to call twice."""
        if self._closed:
            return
        await self._write()
        self._closed = True
        await self._stream.stop()
        # Stopping cancels the stream's task without waiting for an append it had begun;
        # appends hold the widget's lock in turn, so taking it waits for the last one.
        async with self.markdown.lock:
            pass


__all__ = ["MarkdownFeed", "show_text"]
