"""Study guides of a transcript: choose a kind, view the saved note, or write it.

`GuideMenuScreen` lists the six kinds (pre-read, central ideas, vocabulary, references,
people, discussion questions) with whether each is saved; `GuideScreen` shows one. A
saved guide is shown from the database without calling Claude; a missing one is
generated (streamed into Markdown, saved when complete), and `r` writes it again.
Citation links dismiss the screen with the cited segments so the study screen can jump.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import aclosing, suppress
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Markdown, OptionList, Static
from textual.widgets.option_list import Option

from core.chat.cost import estimate_cost, format_cost
from core.chat.errors import ChatError
from core.chat.models import (
    ChatEvent,
    CitationEvent,
    GuideNote,
    Notice,
    TextDelta,
    render_with_citations,
)
from core.chat.prompts import GUIDE_KINDS, guide_kind
from core.chat.store import ConversationStore
from core.models import Transcript
from core.textsafe import inert, inert_line
from tui.context import ponder
from tui.widgets.chat.citations import (
    CitationRow,
    CitationSelected,
    answer_markdown,
    parse_citation_target,
)
from tui.widgets.chat.feed import MarkdownFeed
from tui.widgets.chat.messages import usage_text
from tui.widgets.chat.sdk import load_sdk_once

if TYPE_CHECKING:
    from core.chat.client import ChatClient

GUIDE_ORDER = list(GUIDE_KINDS)  # preread, ideas, vocabulary, references, people, questions
"""Kinds in menu order; the menu's keys 1..6 and the study screen's keys follow it."""


class GuideMenuScreen(ModalScreen["str | None"]):
    """Pick a study guide kind (1..6 or Enter); dismisses with the kind's name."""

    HELP_GROUP = "Study guides"

    BINDINGS: list[BindingType] = [
        Binding("escape,q", "close", "Close", id="guides.close"),
        *[
            Binding(str(number), f"pick({number})", kind.title, show=False)
            for number, kind in enumerate(GUIDE_KINDS.values(), start=1)
        ],
    ]

    DEFAULT_CSS = """
    GuideMenuScreen { align: center middle; }
    GuideMenuScreen > #guides-dialog {
        width: 64;
        max-width: 95%;
        height: auto;
        padding: 0 1;
        background: $panel;
        border: round $primary;
        border-title-align: center;
    }
    GuideMenuScreen #guides-list { height: auto; }
    GuideMenuScreen #guides-hint { color: $text-muted; margin-top: 1; }
    """

    def __init__(self, store: ConversationStore, source_id: int) -> None:
        super().__init__()
        self.store = store
        self.source_id = source_id

    def saved_notes(self) -> list[GuideNote]:
        """The guides already written (a collection's menu lists the collection's)."""
        return self.store.guides(self.source_id)

    def compose(self) -> ComposeResult:
        saved = {note.kind: note for note in self.saved_notes()}
        options = []
        for number, kind in enumerate(GUIDE_KINDS.values(), start=1):
            label = Text(no_wrap=True, overflow="ellipsis")
            label.append(f"{number}  ", style="bold")
            label.append(f"{kind.title:<22}")
            note = saved.get(kind.name)
            if note is not None:
                label.append(f"saved {note.created_at.astimezone():%Y-%m-%d %H:%M}", style="dim")
            else:
                label.append("not written yet (asks Claude)", style="dim italic")
            options.append(Option(label, id=kind.name))
        with Vertical(id="guides-dialog") as dialog:
            dialog.border_title = "Study guides"
            yield OptionList(*options, id="guides-list")
            yield Static(
                Content("1-6 or Enter opens · saved guides open without calling Claude · Esc"),
                id="guides-hint",
            )

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option_id)

    def action_pick(self, number: int) -> None:
        if 1 <= number <= len(GUIDE_ORDER):
            self.dismiss(GUIDE_ORDER[number - 1])

    def action_close(self) -> None:
        self.dismiss(None)


class GuideScreen(ModalScreen["tuple[int, int] | None"]):
    """One study guide. Dismisses with (first, last) segment when a citation is chosen."""

    HELP_GROUP = "Study guide"

    BINDINGS: list[BindingType] = [
        Binding("escape", "stop_or_close", "Stop / close", id="guide.close"),
        Binding("q", "close", "Close", show=False, id="guide.quit"),
        Binding("r,ctrl+r", "regenerate", "Write again", id="guide.regenerate"),
        Binding("c", "copy", "Copy", id="guide.copy"),
        Binding("j,down", "scroll(1)", "Scroll down", show=False),
        Binding("k,up", "scroll(-1)", "Scroll up", show=False),
    ]

    DEFAULT_CSS = """
    GuideScreen { align: center middle; }
    GuideScreen > #guide-dialog {
        width: 100;
        max-width: 96%;
        height: 90%;
        padding: 0 1;
        background: $panel;
        border: round $primary;
        border-title-align: center;
    }
    GuideScreen #guide-body { height: 1fr; }
    GuideScreen #guide-body Markdown { margin: 0; padding: 0 1; background: transparent; }
    GuideScreen #guide-status { height: auto; color: $text-muted; }
    GuideScreen #guide-status.-error { color: $error; }
    GuideScreen #guide-status.-busy { color: $text-accent; }
    GuideScreen #guide-meta { height: 1; color: $text-muted; }
    """

    def __init__(
        self,
        store: ConversationStore,
        transcript: Transcript,
        kind: str,
        *,
        cursor_segment: int | None = None,
        prices: dict[str, dict[str, float]] | None = None,
    ) -> None:
        super().__init__()
        self.store = store
        self.transcript = transcript
        self.kind = guide_kind(kind)
        self.cursor_segment = cursor_segment
        self.prices = prices or {}
        self.note: GuideNote | None = None
        self.generating = False
        self.markdown = Markdown(open_links=False, id="guide-markdown")
        self.citation_row = CitationRow(id="guide-citations")

    owner = "transcript"  # what the guide is saved with ("collection" for a collection's)

    @property
    def source_id(self) -> int:
        source_id = self.transcript.source.id
        assert source_id is not None
        return source_id

    def compose(self) -> ComposeResult:
        with Vertical(id="guide-dialog") as dialog:
            dialog.border_title = f"Study guide · {self.kind.title}"
            with VerticalScroll(id="guide-body"):
                yield self.markdown
                yield self.citation_row
            yield Static(Content(""), id="guide-status")
            yield Static(Content(""), id="guide-meta")

    def saved_note(self) -> GuideNote | None:
        """The saved guide of this kind, if any (a collection's screen reads its own)."""
        return self.store.guide(self.source_id, self.kind.name)

    def guide_events(self, client: ChatClient) -> AsyncIterator[ChatEvent]:
        """The service call that writes (and saves) the guide."""
        from core.chat.service import generate_guide

        return generate_guide(
            self.store, client, self.transcript, self.kind.name, cursor_segment=self.cursor_segment
        )

    async def on_mount(self) -> None:
        self.note = self.saved_note()
        if self.note is not None:
            await self.show_note(self.note)
            self.set_status("Saved guide (no request sent) · r writes it again · Esc closes")
        else:
            self.generate()
        self.query_one("#guide-body").focus()

    async def show_note(self, note: GuideNote) -> None:
        await self.markdown.update(answer_markdown(note.content, note.citations))
        await self.citation_row.remove_children()
        self.citation_row.set_citations(note.citations)
        self.set_meta(note)

    def set_status(self, text: str, kind: str = "") -> None:
        status = self.query_one("#guide-status", Static)
        for name in ("busy", "error"):
            status.set_class(kind == name, f"-{name}")
        status.update(Content(inert_line(text)))

    @property
    def status_text(self) -> str:
        return str(self.query_one("#guide-status", Static).render())

    def set_meta(self, note: GuideNote) -> None:
        parts = []
        if note.model:
            parts.append(inert_line(note.model))
        parts.append(usage_text(note.usage))
        parts.append(f"~{format_cost(estimate_cost(note.usage, note.model or '', self.prices))}")
        parts.append(f"saved {note.created_at.astimezone():%Y-%m-%d %H:%M}")
        self.query_one("#guide-meta", Static).update(Content(" · ".join(parts)))

    # -- generating ---------------------------------------------------------------------

    def generate(self) -> None:
        if self.generating:
            return
        self.generating = True
        self.set_status(f"Asking Claude for the {self.kind.title.lower()}… Esc stops", "busy")
        self._generate()

    @work(exclusive=True, group="guide", exit_on_error=False)
    async def _generate(self) -> None:
        from tui.claude import chat_client

        client = None
        feed: MarkdownFeed | None = None
        try:
            config = ponder(self).config
            client = chat_client(config)
            await self.markdown.update("")
            await self.citation_row.remove_children()
            self.citation_row.set_citations([])
            self.query_one("#guide-meta", Static).update(Content(""))
            feed = MarkdownFeed(self.markdown)
            await load_sdk_once()
            events = self.guide_events(client)
            async with aclosing(events) as stream:
                async for event in stream:
                    if isinstance(event, TextDelta):
                        await feed.text(event.text)
                    elif isinstance(event, CitationEvent):
                        await feed.citation(event.citation)
                        self.citation_row.set_citations(feed.citations)
                    elif isinstance(event, Notice):
                        self.notify(inert_line(event.text), markup=False, timeout=8)
            await feed.close()
            self.note = self.saved_note()
            if self.note is not None:
                self.set_meta(self.note)
            self.set_status(
                f"Saved as a note of this {self.owner} · r writes it again · Esc closes"
            )
        except ChatError as error:
            if feed is not None:
                await feed.close()
            kept = " The previous guide is kept." if self.note is not None else ""
            self.set_status(f"{error}{kept} r tries again.", "error")
        except asyncio.CancelledError:
            if feed is not None:
                with suppress(Exception):
                    await feed.close()
            if self.is_attached:
                self.set_status("Stopped: the guide was not saved. r writes it again.", "error")
            raise
        finally:
            self.generating = False
            if client is not None:
                with suppress(Exception):
                    await client.aclose()

    # -- actions ------------------------------------------------------------------------

    def action_regenerate(self) -> None:
        if self.generating:
            return
        self.generate()

    def action_stop_or_close(self) -> None:
        if self.generating:
            self.workers.cancel_group(self, "guide")
            return
        self.dismiss(None)

    def action_close(self) -> None:
        self.workers.cancel_group(self, "guide")
        self.dismiss(None)

    def action_copy(self) -> None:
        if self.note is None:
            self.notify("Nothing saved to copy yet.", severity="warning", markup=False)
            return
        text = inert(render_with_citations(self.note.content, self.note.citations))
        self.app.copy_to_clipboard(text)
        self.notify(f"Copied the {self.kind.title.lower()} ({len(text)} characters).", markup=False)

    def action_scroll(self, step: int) -> None:
        body = self.query_one("#guide-body", VerticalScroll)
        body.scroll_relative(y=step * 3, animate=False)

    @on(CitationSelected)
    def _citation_selected(self, event: CitationSelected) -> None:
        event.stop()
        self.workers.cancel_group(self, "guide")
        self.dismiss(self.citation_target(event.first_segment, event.last_segment, event.source_id))

    def citation_target(self, first: int, last: int, source_id: int | None) -> Any:
        """What the screen dismisses with for a chosen citation: (first, last) segment (a
        collection's guide adds which transcript)."""
        return (first, last)

    def on_markdown_link_clicked(self, event: Markdown.LinkClicked) -> None:
        event.stop()
        target = parse_citation_target(event.href)
        if target is not None:
            self.workers.cancel_group(self, "guide")
            self.dismiss(self.citation_target(*target))
        elif event.href.startswith(("https://", "http://")):
            self.app.open_url(event.href)
