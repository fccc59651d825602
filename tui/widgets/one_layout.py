"""A mixin for widgets that grow while an answer streams in."""

from __future__ import annotations

from typing import Any


class OneLayoutPerResize:
    """A size change that a layout pass found does not ask for another layout pass.

    Textual stores each resized widget's new size in `virtual_size`, a reactive that
    requests a layout of the whole screen: a widget that grows (a streamed answer, its
    Markdown, the chat log) made every screen update that resized it cost a second one.
    The size itself is kept; the chat log, which scrolls, still updates its scrollbar.
    Measured with benchmarks/bench_chat_ui.py: about a quarter fewer layout passes.
    """

    def _size_updated(
        self, size: Any, virtual_size: Any, container_size: Any, layout: bool = True
    ) -> bool:
        return super()._size_updated(size, virtual_size, container_size, layout=False)  # type: ignore[misc]
