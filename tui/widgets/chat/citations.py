"""Citations on screen: `ponder-cite:` Markdown links inside an answer, and the focusable
`[hh:mm:ss]` links under it.

One link widget serves the chat, the study guides and the quiz: Enter, space or a click
posts `CitationSelected` (the cited segments), which the screen showing the transcript
handles. Cited text is untrusted: it reaches the screen only as `Content` and as inert
Markdown, never as markup.
"""

from __future__ import annotations

from typing import ClassVar

from textual import events
from textual.binding import Binding, BindingType
from textual.containers import Grid
from textual.content import Content
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Static

from core.chat.models import Citation, unique_citations
from core.textsafe import inert, inert_line

CITE_SCHEME = "ponder-cite:"
LINK_WIDTH = 12  # "[00:12:34]" plus a space


# -- citations as Markdown links -----------------------------------------------------------


def citation_href(citation: Citation) -> str:
    """`ponder-cite:F-L`, or `ponder-cite:F-L@S` when the citation names its transcript."""
    where = "" if citation.source_id is None else f"@{citation.source_id}"
    return f"{CITE_SCHEME}{citation.first_segment}-{citation.last_segment}{where}"


def parse_citation_target(href: str) -> tuple[int, int, int | None] | None:
    """(first, last, source id or None) of a `ponder-cite:F-L[@S]` link; None otherwise."""
    if not href.startswith(CITE_SCHEME):
        return None
    span, _, source = href[len(CITE_SCHEME) :].partition("@")
    first, _, last = span.partition("-")
    try:
        return int(first), int(last or first), int(source) if source else None
    except ValueError:
        return None


def parse_citation_href(href: str) -> tuple[int, int] | None:
    """(first, last) segment of a `ponder-cite:F-L` link, or None for any other link."""
    target = parse_citation_target(href)
    return None if target is None else (target[0], target[1])


def citation_link_markdown(citation: Citation) -> str:
    """` [\\[00:12:34\\]](ponder-cite:F-L)`: a clickable timestamp after a cited span."""
    label = citation.label.replace("\\", "").replace("[", "").replace("]", "")
    return f" [\\[{label}\\]]({citation_href(citation)})"


def answer_markdown(text: str, citations: list[Citation]) -> str:
    """A stored answer as the Markdown the stream would have produced: inert text with a
    link after each cited span (the same places `render_with_citations` uses)."""
    inserts: dict[int, list[str]] = {}
    for citation in citations:
        position = min(max(citation.end, 0), len(text))
        inserts.setdefault(position, []).append(citation_link_markdown(citation))
    pieces: list[str] = []
    previous = 0
    for position in sorted(inserts):
        pieces.append(inert(text[previous:position]))
        pieces.extend(inserts[position])
        previous = position
    pieces.append(inert(text[previous:]))
    return "".join(pieces)


# -- the link widgets --------------------------------------------------------------------


class CitationSelected(Message):
    """A citation was activated: show segments first..last of the transcript.

    `citation` is the link's citation (None for a `ponder-cite:` link in Markdown);
    `source_id` is the cited transcript when the answer is about a collection."""

    def __init__(
        self,
        first_segment: int,
        last_segment: int,
        citation: Citation | None = None,
        *,
        source_id: int | None = None,
    ) -> None:
        super().__init__()
        self.first_segment = first_segment
        self.last_segment = last_segment
        self.citation = citation
        self.source_id = source_id if citation is None else citation.source_id


class CitationLink(Static, can_focus=True):
    """A `[hh:mm:ss]` link: Enter, space or a click posts `CitationSelected`."""

    HELP_GROUP = "Citation link"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter,space", "activate", "Jump to passage", id="citation.jump"),
        Binding("right,l", "sibling(1)", "Next link", show=False),
        Binding("left,h", "sibling(-1)", "Previous link", show=False),
    ]

    DEFAULT_CSS = """
    CitationLink {
        width: auto;
        height: 1;
        color: $text-accent;
        text-style: underline;
    }
    CitationLink:hover { background: $boost; }
    CitationLink:focus { background: $accent; color: $text; text-style: bold; }
    """

    def __init__(self, citation: Citation) -> None:
        super().__init__(Content(inert_line(citation.marker)))
        self.citation = citation
        self.tooltip = inert_line(citation.cited_text)[:300] or None

    def action_activate(self) -> None:
        citation = self.citation
        self.post_message(CitationSelected(citation.first_segment, citation.last_segment, citation))

    def on_click(self, event: events.Click) -> None:
        event.stop()
        self.action_activate()

    def action_sibling(self, step: int) -> None:
        siblings = self.parent.children if self.parent is not None else []
        links = [w for w in siblings if isinstance(w, CitationLink)]
        if self in links:
            links[(links.index(self) + step) % len(links)].focus()


class CitationRow(Grid):
    """An answer's citation links, wrapped into as many columns as fit."""

    DEFAULT_CSS = f"""
    CitationRow {{
        height: auto;
        grid-size: 3;
        grid-columns: {LINK_WIDTH};
        grid-rows: 1;
        display: none;
    }}
    CitationRow.-has-links {{ display: block; }}
    CitationRow .citation-label {{ color: $text-muted; width: auto; }}
    """

    cell = LINK_WIDTH  # wider for `[Title hh:mm:ss]` links (an answer about a collection)

    def on_resize(self, event: events.Resize) -> None:
        self.styles.grid_size_columns = max(1, event.size.width // self.cell)

    def set_citations(self, citations: list[Citation]) -> None:
        def key(citation: Citation) -> tuple[int | None, int, int]:
            return (citation.source_id, citation.first_segment, citation.last_segment)

        shown = {key(link.citation) for link in self.links}
        new: list[Widget] = []
        for citation in unique_citations(citations):
            if key(citation) not in shown:
                shown.add(key(citation))
                new.append(CitationLink(citation))
        if new and not self.children:
            new.insert(0, Static(Content("Cited:"), classes="citation-label"))
        if new:
            self.mount_all(new)
            widest = max(len(citation.marker) + 1 for citation in citations)
            if widest > self.cell:
                self.cell = min(widest, 48)
                self.styles.grid_columns = str(self.cell)
                self.styles.grid_size_columns = max(1, self.size.width // self.cell)
        self.set_class(bool(shown), "-has-links")

    @property
    def links(self) -> list[CitationLink]:
        return [w for w in self.children if isinstance(w, CitationLink)]


__all__ = [
    "CITE_SCHEME",
    "CitationLink",
    "CitationRow",
    "CitationSelected",
    "answer_markdown",
    "citation_href",
    "citation_link_markdown",
    "parse_citation_href",
    "parse_citation_target",
]
