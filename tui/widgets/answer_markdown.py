"""A Markdown widget for long streamed answers: runs of paragraphs share one widget.

Textual's Markdown mounts one widget per block. A chat answer is mostly paragraphs, and
a 4,000-token answer of 60-word paragraphs made 67 widgets: mounting, styling, laying
out and painting them was most of what the pane spent on an answer (measured by
benchmarks/bench_chat_ui.py). Here consecutive top-level paragraphs are one
`ParagraphRun` (their text joined by blank lines, looking the same), up to
`ParagraphRun.LIMIT` characters so a streamed write re-wraps a bounded amount of text.
Headings, lists, code, tables and quotes stay Textual's own blocks.

Streaming still goes through `Markdown.append`: it re-parses from the start of the last
top-level block, which for a run is its last paragraph, and hands the first re-parsed
block to the last widget's `_update_from_block`; the run replaces just that paragraph.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token
from textual.content import Content
from textual.events import Mount
from textual.widget import Widget
from textual.widgets import Markdown
from textual.widgets._markdown import MarkdownBlock, MarkdownParagraph

from tui.widgets.one_layout import OneLayoutPerResize

PARAGRAPH_BREAK = Content("\n\n")


class ParagraphRun(OneLayoutPerResize, MarkdownParagraph):
    """Consecutive top-level paragraphs shown by one widget."""

    LIMIT = 3000  # characters; more only for one paragraph longer than this

    def __init__(self, markdown: Markdown, token: Token, parts: list[Content]) -> None:
        super().__init__(markdown, token)
        self.parts = parts

    @property
    def text_length(self) -> int:
        return sum(len(part) for part in self.parts)

    def takes(self, part: Content) -> bool:
        return self.text_length + len(part) <= self.LIMIT

    def add(self, part: Content, last_line: int) -> None:
        self.parts.append(part)
        self.source_range = (self.source_range[0], last_line)

    def _show(self) -> None:
        self.set_content(PARAGRAPH_BREAK.join(self.parts))

    async def _update_from_block(self, block: MarkdownBlock) -> None:
        # `block` is what this run's last paragraph became, re-parsed with new text.
        kept = self.parts[:-1]
        if isinstance(block, ParagraphRun):
            # Fill this run as a fresh parse would (up to LIMIT, at least one paragraph);
            # what does not fit starts the next run.
            mine, rest = list(kept), list(block.parts)
            size = sum(len(part) for part in mine)
            while rest and (not mine or size + len(rest[0]) <= self.LIMIT):
                size += len(rest[0])
                mine.append(rest.pop(0))
            self.parts = mine
            self._show()
            if rest:
                block.parts = rest
                block._show()
                await self._markdown.mount(block)
        elif kept:
            # The last paragraph became something else (a heading, a table...).
            self.parts = kept
            self._show()
            await self._markdown.mount(block)
        else:
            await MarkdownBlock._update_from_block(self, block)


class AnswerMarkdown(OneLayoutPerResize, Markdown):
    """Textual's Markdown with consecutive top-level paragraphs in `ParagraphRun`s.

    Top-level paragraphs go straight from their tokens to a run's text (no widget per
    paragraph); every other block is Textual's own. One parser serves every write (the
    widget's lock keeps them apart) instead of a new one per write.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        parser = MarkdownIt("gfm-like")
        super().__init__(*args, parser_factory=lambda: parser, **kwargs)
        self._inline: MarkdownParagraph | None = None

    async def _on_mount(self, event: Mount) -> None:
        if self._initial_markdown is None:
            # Empty until streamed into: Markdown would parse "" in a thread and publish
            # a table of contents, delaying the answer's first frame for nothing.
            event.prevent_default()
            Widget._on_mount(self, event)

    def _paragraph_content(self, inline: Token) -> Content:
        if self._inline is None:
            self._inline = MarkdownParagraph(self, inline)
        return self._inline._token_to_content(inline)

    def _parse_markdown(self, tokens: Iterable[Token]) -> Iterable[MarkdownBlock]:
        tokens = list(tokens)
        run: ParagraphRun | None = None
        others: list[Token] = []  # whole top-level blocks, for Textual's parser
        index = 0
        while index < len(tokens):
            token = tokens[index]
            top_paragraph = (
                token.type == "paragraph_open"
                and token.level == 0
                and index + 2 < len(tokens)
                and tokens[index + 1].type == "inline"
            )
            if not top_paragraph:
                if run is not None:
                    run._show()
                    yield run
                    run = None
                others.append(token)
                index += 1
                continue
            if others:
                yield from super()._parse_markdown(others)
                others = []
            part = self._paragraph_content(tokens[index + 1])
            last_line = token.map[1] if token.map else 0
            if run is not None and run.takes(part):
                run.add(part, last_line)
            else:
                if run is not None:
                    run._show()
                    yield run
                run = ParagraphRun(self, token, [part])
            index += 3  # paragraph_open, inline, paragraph_close
        if others:
            yield from super()._parse_markdown(others)
        if run is not None:
            run._show()
            yield run
