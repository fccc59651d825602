"""AnswerMarkdown: runs of paragraphs in one widget, streamed or rendered in one go."""

from __future__ import annotations

import random

import pytest
from textual.app import App, ComposeResult
from textual.widgets import Markdown
from textual.widgets._markdown import MarkdownBlock

from tui.widgets.answer_markdown import AnswerMarkdown, ParagraphRun


class MarkdownApp(App[None]):
    def compose(self) -> ComposeResult:
        yield AnswerMarkdown(id="answer")
        yield AnswerMarkdown(id="fresh")
        yield Markdown(id="stock")


def blocks(markdown: Markdown) -> list[tuple[str, str]]:
    """(kind, text) of each top-level block; a run counts as its paragraphs."""
    result: list[tuple[str, str]] = []
    for child in markdown.children:
        assert isinstance(child, MarkdownBlock)
        if isinstance(child, ParagraphRun):
            result.extend(("MarkdownParagraph", part.plain) for part in child.parts)
        else:
            text = child._content.plain or " ".join(
                block._content.plain for block in child.query(MarkdownBlock)
            )
            result.append((type(child).__name__, text))
    return result


def paragraphs(count: int, words: int) -> str:
    return "".join(" ".join(f"p{p}w{w}" for w in range(words)) + ".\n\n" for p in range(count))


MIXED = (
    "Intro paragraph with **bold** and a [\\[00:01:02\\]](ponder-cite:3-4) link.\n\n"
    + paragraphs(3, 20)
    + "## A heading\n\nAfter the heading.\n\n- one\n- two\n\n"
    + "Becomes a heading\n===\n\nA line\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
    + "```python\nprint('x')\n```\n\nLast words."
)


async def test_paragraphs_share_one_widget_and_read_the_same() -> None:
    app = MarkdownApp()
    async with app.run_test() as pilot:
        answer = app.query_one("#answer", AnswerMarkdown)
        stock = app.query_one("#stock", Markdown)
        source = paragraphs(12, 60)
        await answer.update(source)
        await stock.update(source)
        await pilot.pause()
        runs = list(answer.query(ParagraphRun))
        assert 1 < len(runs) < 12  # grouped, but bounded by ParagraphRun.LIMIT
        assert all(run.text_length <= ParagraphRun.LIMIT for run in runs)
        assert blocks(answer) == blocks(stock)
        assert len(list(stock.children)) == 12


async def test_mixed_blocks_keep_their_own_widgets() -> None:
    app = MarkdownApp()
    async with app.run_test() as pilot:
        answer = app.query_one("#answer", AnswerMarkdown)
        stock = app.query_one("#stock", Markdown)
        await answer.update(MIXED)
        await stock.update(MIXED)
        await pilot.pause()
        assert blocks(answer) == blocks(stock)
        kinds = [type(child).__name__ for child in answer.children]
        assert kinds == [
            "ParagraphRun",  # the intro and the three paragraphs after it
            "MarkdownH2",
            "ParagraphRun",
            "MarkdownBulletList",
            "MarkdownH1",
            "ParagraphRun",
            "MarkdownTable",
            "MarkdownFence",
            "ParagraphRun",
        ]


@pytest.mark.parametrize("seed", range(6))
async def test_streaming_in_any_pieces_ends_as_rendering_at_once(seed: int) -> None:
    """Each re-parse replaces just the run's last paragraph, also when it outgrows the
    run or turns into a heading or a table."""
    rng = random.Random(seed)
    source = MIXED + "\n\n" + paragraphs(15, 40) + "Tail\n---\n\nEnd."
    app = MarkdownApp()
    async with app.run_test() as pilot:
        answer = app.query_one("#answer", AnswerMarkdown)
        stock = app.query_one("#stock", Markdown)
        position = 0
        while position < len(source):
            size = rng.choice([1, 2, 5, 17, 60, 400])
            await answer.append(source[position : position + size])
            position += size
        await stock.update(source)
        fresh = app.query_one("#fresh", AnswerMarkdown)
        await fresh.update(source)
        await pilot.pause()
        assert answer.source == source
        assert blocks(answer) == blocks(stock)
        # Grouped as rendering the whole answer at once groups it.
        assert [len(run.parts) for run in answer.query(ParagraphRun)] == [
            len(run.parts) for run in fresh.query(ParagraphRun)
        ]


async def test_a_streamed_paragraph_that_becomes_a_heading_keeps_the_run_before_it() -> None:
    app = MarkdownApp()
    async with app.run_test() as pilot:
        answer = app.query_one("#answer", AnswerMarkdown)
        for fragment in ["One.\n\n", "Two\n", "---\n", "\nThree."]:
            await answer.append(fragment)
        await pilot.pause()
        assert blocks(answer) == [
            ("MarkdownParagraph", "One."),
            ("MarkdownH2", "Two"),
            ("MarkdownParagraph", "Three."),
        ]
