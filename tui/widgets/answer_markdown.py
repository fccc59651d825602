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

from markdown_it.token import Token
from textual.content import Content
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
        self._show()

    @classmethod
    def of(cls, paragraph: MarkdownParagraph) -> ParagraphRun:
        run = cls(paragraph._markdown, paragraph._token, [paragraph._content])
        run.source_range = paragraph.source_range
        return run

    @property
    def text_length(self) -> int:
        return sum(len(part) for part in self.parts)

    def takes(self, paragraph: MarkdownParagraph) -> bool:
        return self.text_length + len(paragraph._content) <= self.LIMIT

    def add(self, paragraph: MarkdownParagraph) -> None:
        self.parts.append(paragraph._content)
        self.source_range = (self.source_range[0], paragraph.source_range[1])

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
    """Textual's Markdown with consecutive top-level paragraphs in `ParagraphRun`s."""

    def _parse_markdown(self, tokens: Iterable[Token]) -> Iterable[MarkdownBlock]:
        run: ParagraphRun | None = None
        for block in super()._parse_markdown(tokens):
            if type(block) is MarkdownParagraph:
                if run is not None and run.takes(block):
                    run.add(block)
                    continue
                if run is not None:
                    run._show()
                    yield run
                run = ParagraphRun.of(block)
                continue
            if run is not None:
                run._show()
                yield run
                run = None
            yield block
        if run is not None:
            run._show()
            yield run
