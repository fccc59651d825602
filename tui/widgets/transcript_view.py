"""The transcript reader: a Line-API `ScrollView` that renders only the visible lines.

A 10-hour talk has ~12,000 segments; one widget per segment would take seconds to mount.
Here every segment is wrapped once per width into a tuple of line-start offsets, and a
prefix sum of line counts (`_line_starts`) turns "segment -> first line" into a list
lookup and "line -> segment" into a bisect, so cursor moves, scrolling and search steps
cost the same at segment 10 as at segment 11,000. Rendered lines are kept in an LRU cache
keyed by everything that changes their look.

Untrusted transcript text is never parsed as markup: lines are built from `rich.text.Text`
pieces and control characters are made visible with `core.textsafe.inert` (the character
count is unchanged, so stored character offsets and on-screen offsets agree).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from itertools import accumulate
from time import perf_counter

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Offset, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.selection import Selection
from textual.strip import Strip

from core.models import Highlight, Transcript, format_timestamp
from core.textsafe import inert
from tui.widgets.line_wrap import MIN_TEXT_WIDTH, wrap_starts

SelectedRange = tuple[int, int, int | None, int | None]
"""first segment, last segment, start char in the first (or None), end char in the last."""


class TranscriptView(ScrollView, can_focus=True, inherit_bindings=False):
    """Segments with time stamps and speakers, a cursor segment, visual/mouse selection,
    highlights and incremental search marks."""

    HELP_GROUP = "Transcript"

    BINDINGS: list[BindingType] = [
        Binding("j,down", "cursor_down", "Down", id="transcript.down", show=False),
        Binding("k,up", "cursor_up", "Up", id="transcript.up", show=False),
        Binding("pagedown,ctrl+f", "page_down", "Page down", id="transcript.page_down", show=False),
        Binding("pageup,ctrl+b", "page_up", "Page up", id="transcript.page_up", show=False),
        Binding("g,home", "cursor_first", "Top", id="transcript.top", show=False),
        Binding("G,end", "cursor_last", "Bottom", id="transcript.bottom", show=False),
        Binding("v", "toggle_visual", "Select", id="transcript.visual"),
        Binding("n", "search_next", "Next match", id="transcript.search_next"),
        Binding("N", "search_previous", "Previous match", id="transcript.search_previous"),
        # Before a search: listed (dimmed) in ? help, hidden from the footer.
        Binding("n", "search_next('idle')", "Next match", show=False),
        Binding("N", "search_previous('idle')", "Previous match", show=False),
        Binding("escape", "cancel", "Cancel", id="transcript.cancel"),
    ]

    COMPONENT_CLASSES = {
        "transcript-view--time",
        "transcript-view--speaker",
        "transcript-view--cursor",
        "transcript-view--cursor-blurred",
        "transcript-view--selection",
        "transcript-view--highlight",
        "transcript-view--match",
        "transcript-view--match-current",
        "transcript-view--flash",
    }

    DEFAULT_CSS = """
    TranscriptView {
        height: 1fr;
        overflow-x: hidden;
        overflow-y: scroll;
        scrollbar-gutter: stable;
        background: $surface;
        color: $foreground;
    }
    TranscriptView > .transcript-view--time { color: $text-muted; }
    TranscriptView > .transcript-view--speaker { color: $accent; text-style: bold; }
    TranscriptView > .transcript-view--cursor { background: $primary-muted; }
    TranscriptView > .transcript-view--cursor-blurred { background: $panel; }
    TranscriptView > .transcript-view--selection { background: $secondary; color: $text; }
    TranscriptView > .transcript-view--highlight { background: $warning-muted; }
    TranscriptView > .transcript-view--match { color: $accent; text-style: bold underline; }
    TranscriptView > .transcript-view--match-current {
        background: $accent; color: $text; text-style: bold;
    }
    TranscriptView > .transcript-view--flash { background: $success-muted; }
    """

    class Changed(Message):
        """The cursor, selection or search moved: the status line should redraw."""

        def __init__(self, view: TranscriptView) -> None:
            super().__init__()
            self.view = view

        @property
        def control(self) -> TranscriptView:
            return self.view

    def __init__(
        self,
        transcript: Transcript,
        *,
        cursor: int = 0,
        highlights: Iterable[Highlight] = (),
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.transcript = transcript
        segments = transcript.segments
        self._count = len(segments)
        self._raw = [segment.text for segment in segments]
        self._texts = [inert(text).replace("\t", " ") for text in self._raw]
        self._lower: list[str] = [text.lower() for text in self._raw]
        self.timed = transcript.timed
        starts: list[float] = []
        last = 0.0
        for segment in segments:
            last = segment.start if segment.start is not None else last
            starts.append(last)
        self._starts = starts
        if self.timed:
            self._indent = len("[00:00:00] ")
        else:
            self._indent = len(f"[¶{max(1, self._count)}] ")
        self._cursor = max(0, min(cursor, self._count - 1)) if self._count else 0
        self._anchor: int | None = None
        self._mouse_range: tuple[int, int, int, int] | None = None
        self._highlights: list[Highlight] = []
        self._highlight_firsts: list[int] = []
        self._highlight_generation = 0
        self.set_highlights(highlights)
        self._query = ""
        self._matches: list[int] = []
        # What to paint in a matching segment when the matches came from elsewhere
        # (`mark_matches`, the library-wide index); None: the query itself.
        self._pattern: re.Pattern[str] | None = None
        self._search_generation = 0
        self.search_wrapped = False
        self._flash: int | None = None
        self._flash_timer = None
        self._wrap_width = 0
        self._breaks: list[tuple[int, ...]] = []
        self._line_starts: list[int] = [0] * (self._count + 1)
        self._cache: LRUCache[tuple[object, ...], Strip] = LRUCache(1024)
        self._styles_by_name: dict[str, Style] = {}
        self.suspend_bindings = False
        """True while another widget takes the typing (the search bar): keys pass through."""
        self.first_paint_at: float | None = None
        """perf_counter() when a line with text was first rendered (for benchmarks)."""

    # -- layout ------------------------------------------------------------------

    @property
    def cursor(self) -> int:
        """Index of the cursor segment."""
        return self._cursor

    @cursor.setter
    def cursor(self, index: int) -> None:
        self.move_cursor(index)

    @property
    def segment_count(self) -> int:
        return self._count

    @property
    def line_count(self) -> int:
        """Wrapped lines at the current width."""
        return self._line_starts[-1]

    def _prefix(self, index: int) -> str:
        if self.timed:
            return f"[{format_timestamp(self.transcript.segments[index].start)}] "
        return f"[¶{index + 1}] ".ljust(self._indent)

    def _label(self, index: int) -> str:
        """`Speaker: ` when the speaker is known and differs from the previous segment's."""
        segments = self.transcript.segments
        speaker = segments[index].speaker
        if not speaker or (index and segments[index - 1].speaker == speaker):
            return ""
        return inert(speaker).replace("\n", " ").replace("\t", " ") + ": "

    def _rewrap(self, width: int) -> None:
        """Wrap every segment for `width` columns and rebuild the line prefix sums."""
        indent = self._indent
        rest = max(1, width - indent)
        texts = self._texts
        segments = self.transcript.segments
        breaks: list[tuple[int, ...]] = []
        append = breaks.append
        single = (0,)
        previous_speaker: str | None = None
        for index, text in enumerate(texts):
            speaker = segments[index].speaker
            first = rest
            if speaker and speaker != previous_speaker:
                first = rest - cell_len(self._label(index))
            previous_speaker = speaker
            if len(text) <= first and "\n" not in text and text.isascii():
                append(single)
            else:
                append(wrap_starts(text, first, rest))
        self._breaks = breaks
        self._line_starts = [0, *accumulate(len(item) for item in breaks)]
        self._wrap_width = width
        self._cache.clear()
        self.virtual_size = Size(width, self._line_starts[-1])

    def _content_width(self) -> int:
        """Columns for text; never so few that every character gets its own line."""
        return max(self._indent + MIN_TEXT_WIDTH, self.scrollable_content_region.width)

    def _size_updated(
        self, size: Size, virtual_size: Size, container_size: Size, layout: bool = True
    ) -> bool:
        # The view sets its own virtual size (its wrapped lines); the compositor reports
        # the arranged one (no children: the visible height). ScrollView took the
        # difference for a change on every layout of the screen, and repainted the
        # scrollbar each time (a third of the screen updates' work while Claude streams).
        return super()._size_updated(size, self.virtual_size, container_size, layout)

    def on_resize(self, event: events.Resize) -> None:
        if event.size.width <= 0 or event.size.height <= 0:
            return  # hidden (the other pane is showing): keep the wrap we have
        width = self._content_width()
        if width == self._wrap_width:
            return
        had_layout = self._wrap_width > 0
        relative = None
        if had_layout:
            top = self._line_starts[self._cursor]
            if self.scroll_y <= top < self.scroll_y + self.scrollable_content_region.height:
                relative = top - round(self.scroll_y)
        self._rewrap(width)
        if relative is not None:
            self.scroll_to(y=max(0, self._line_starts[self._cursor] - relative), animate=False)
            self.scroll_to_cursor()
        else:
            self.scroll_to_cursor(center=not had_layout)
        self.refresh()

    def line_of_segment(self, index: int) -> int:
        """The first wrapped line of a segment (O(1))."""
        return self._line_starts[index]

    def segment_at_line(self, y: int) -> int:
        """The segment drawn on wrapped line y (O(log n))."""
        if not self._count:
            return 0
        y = max(0, min(y, self._line_starts[-1] - 1))
        return bisect_right(self._line_starts, y) - 1

    def segment_at_time(self, seconds: float) -> int:
        """The segment being spoken at `seconds` (the last one starting at or before it)."""
        return max(0, bisect_right(self._starts, seconds) - 1)

    # -- rendering ---------------------------------------------------------------

    def notify_style_update(self) -> None:
        super().notify_style_update()
        if hasattr(self, "_cache"):
            self._styles_by_name.clear()
            self._cache.clear()

    def _base_style(self) -> Style:
        """The widget's own style (computing `rich_style` per line would double the cost)."""
        style = self._styles_by_name.get("")
        if style is None:
            style = self._styles_by_name[""] = self.rich_style
        return style

    def _style(self, name: str) -> Style:
        """Only what the component rule sets (so layers combine), with colours resolved
        against the widget's background (so `$text-muted` and alpha colours work)."""
        style = self._styles_by_name.get(name)
        if style is None:
            component = f"transcript-view--{name}"
            partial = self.get_component_rich_style(component, partial=True)
            full = self.get_component_rich_style(component)
            style = partial + Style(
                color=full.color if partial.color is not None else None,
                bgcolor=full.bgcolor if partial.bgcolor is not None else None,
            )
            self._styles_by_name[name] = style
        return style

    def _line_bounds(self, index: int, row: int) -> tuple[int, int]:
        """Character range of wrapped row `row` of segment `index` (trailing newline cut)."""
        starts = self._breaks[index]
        start = starts[row]
        end = starts[row + 1] if row + 1 < len(starts) else len(self._texts[index])
        if end > start and self._texts[index][end - 1] == "\n":
            end -= 1
        return start, end

    def _selection_span(self, index: int) -> tuple[int, int] | None:
        if self._anchor is not None:
            low, high = sorted((self._anchor, self._cursor))
            return (0, len(self._texts[index])) if low <= index <= high else None
        if self._mouse_range is not None:
            first, start, last, end = self._mouse_range
            if not first <= index <= last:
                return None
            return (start if index == first else 0, end if index == last else len(self._raw[index]))
        return None

    def _highlight_spans(self, index: int) -> list[tuple[int, int]]:
        spans = []
        length = len(self._texts[index])
        for highlight in self._highlights[: bisect_right(self._highlight_firsts, index)]:
            if highlight.last_segment < index:
                continue
            start = (highlight.start_char or 0) if index == highlight.first_segment else 0
            end = length
            if index == highlight.last_segment and highlight.end_char is not None:
                end = highlight.end_char
            spans.append((start, end))
        return spans

    def _is_match(self, index: int) -> bool:
        if not self._query:
            return False
        position = bisect_left(self._matches, index)
        return position < len(self._matches) and self._matches[position] == index

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self._wrap_width or self._content_width()
        line = scroll_y + y
        if not self._count and line == 0:
            empty = Text(" This transcript has no text.", style=self._style("time"), end="")
            return (
                Strip(empty.render(self.app.console))
                .extend_cell_length(width, self._base_style())
                .apply_style(self._base_style())
            )
        if not self._count or not self._breaks or line >= self._line_starts[-1]:
            return Strip.blank(width, self._base_style())
        index = bisect_right(self._line_starts, line) - 1
        row = line - self._line_starts[index]
        is_cursor = index == self._cursor
        selection = self._selection_span(index)
        match = self._is_match(index)
        key = (
            line,
            width,
            is_cursor and (1 + self.has_focus),
            selection,
            self._highlight_generation,
            match and (self._search_generation, is_cursor),
            index == self._flash,
        )
        strip = self._cache.get(key)
        if strip is None:
            strip = self._render_row(index, row, width, is_cursor, selection, match)
            self._cache[key] = strip
            if self.first_paint_at is None:
                self.first_paint_at = perf_counter()
        return strip.apply_offsets(scroll_x, line)

    def _render_row(
        self,
        index: int,
        row: int,
        width: int,
        is_cursor: bool,
        selection: tuple[int, int] | None,
        match: bool,
    ) -> Strip:
        start, end = self._line_bounds(index, row)
        line = Text(no_wrap=True, end="", style=self._base_style())
        if row == 0:
            line.append(self._prefix(index), self._style("time"))
            label = self._label(index)
            if label:
                line.append(label, self._style("speaker"))
        else:
            line.append(" " * self._indent)
        body = len(line)
        line.append(self._texts[index][start:end])
        used = line.cell_len
        if used < width:
            line.append(" " * (width - used))

        def paint(span_start: int, span_end: int, style: Style) -> None:
            low, high = max(span_start, start), min(span_end, end)
            if low < high:
                line.stylize(style, body + low - start, body + high - start)

        if is_cursor:
            line.stylize(self._style("cursor" if self.has_focus else "cursor-blurred"))
        if index == self._flash:
            line.stylize(self._style("flash"))
        highlight_style = self._style("highlight")
        for span in self._highlight_spans(index):
            paint(*span, highlight_style)
        if match:
            style = self._style("match-current" if is_cursor else "match")
            pattern = self._pattern or re.compile(re.escape(self._query), re.IGNORECASE)
            for found in pattern.finditer(self._raw[index]):
                paint(found.start(), found.end(), style)
        if selection is not None:
            paint(*selection, self._style("selection"))
        strip = Strip(line.render(self.app.console), max(used, width))
        return strip.crop(0, width) if used > width else strip

    def line_text(self, y: int) -> str:
        """Plain text of wrapped line y as drawn (for tests and debugging)."""
        if not self._count or y >= self._line_starts[-1]:
            return ""
        index = self.segment_at_line(y)
        row = y - self._line_starts[index]
        start, end = self._line_bounds(index, row)
        head = (self._prefix(index) + self._label(index)) if row == 0 else " " * self._indent
        return head + self._texts[index][start:end]

    def _refresh_segment(self, index: int) -> None:
        if 0 <= index < self._count and self._breaks:
            self.refresh_lines(self._line_starts[index], len(self._breaks[index]))

    def on_focus(self) -> None:
        self._refresh_segment(self._cursor)

    def on_blur(self) -> None:
        self._refresh_segment(self._cursor)

    # -- cursor ------------------------------------------------------------------

    def move_cursor(self, index: int, *, center: bool = False) -> None:
        """Put the cursor on segment `index` (clamped) and scroll it into view."""
        if not self._count:
            return
        index = max(0, min(index, self._count - 1))
        previous = self._cursor
        self._cursor = index
        if self._mouse_range is not None and self._anchor is None:
            self.clear_selection()
        if self._anchor is not None:
            low, high = sorted((previous, index))
            for item in {low, high, self._anchor}:
                self._refresh_segment(item)
            if high - low > 1:
                self.refresh()
        else:
            self._refresh_segment(previous)
            self._refresh_segment(index)
        self.scroll_to_cursor(center=center)
        self.post_message(self.Changed(self))

    def scroll_to_cursor(self, *, center: bool = False) -> None:
        """Scroll so the whole cursor segment is visible, with two lines of context."""
        if not self._count or not self._breaks:
            return
        height = self.scrollable_content_region.height
        if height <= 0:
            return
        top = self._line_starts[self._cursor]
        bottom = self._line_starts[self._cursor + 1]
        current = round(self.scroll_y)
        if center:
            target = top - max(0, (height - (bottom - top)) // 2)
        else:
            margin = max(0, min(2, (height - (bottom - top)) // 2))
            target = current
            if bottom - top >= height or top - margin < current:
                target = top - margin
            elif bottom + margin > current + height:
                target = bottom + margin - height
        target = max(0, min(target, self._line_starts[-1] - height))
        if target != current:
            self.scroll_to(y=target, animate=False)

    def jump_to_segment(self, index: int, *, flash: bool = True) -> None:
        """Move the cursor to `index`, centred, and flash it so the eye finds it."""
        self.move_cursor(index, center=True)
        if flash:
            self.flash_segment(self._cursor)

    def flash_segment(self, index: int, duration: float = 0.8) -> None:
        previous = self._flash
        self._flash = index
        self._refresh_segment(previous if previous is not None else -1)
        self._refresh_segment(index)
        if self._flash_timer is not None:
            self._flash_timer.stop()
        self._flash_timer = self.set_timer(duration, self._end_flash)

    def _end_flash(self) -> None:
        flashed, self._flash = self._flash, None
        if flashed is not None:
            self._refresh_segment(flashed)

    def _page(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def action_cursor_down(self) -> None:
        self.move_cursor(self._cursor + 1)

    def action_cursor_up(self) -> None:
        self.move_cursor(self._cursor - 1)

    def action_page_down(self) -> None:
        if not self._breaks:
            return
        page = self._page()
        self.scroll_to(y=self.scroll_y + page, animate=False)
        target = self.segment_at_line(self._line_starts[self._cursor] + page)
        self.move_cursor(max(target, self._cursor + 1))

    def action_page_up(self) -> None:
        if not self._breaks:
            return
        page = self._page()
        self.scroll_to(y=max(0, self.scroll_y - page), animate=False)
        target = self.segment_at_line(max(0, self._line_starts[self._cursor] - page))
        self.move_cursor(min(target, self._cursor - 1))

    def action_cursor_first(self) -> None:
        self.move_cursor(0)

    def action_cursor_last(self) -> None:
        self.move_cursor(self._count - 1)

    def on_click(self, event: events.Click) -> None:
        """A plain click (not the end of a drag selection) moves the cursor there."""
        if self.text_selection is not None or not self._breaks:
            return
        if event.chain > 1:
            return
        self.move_cursor(self.segment_at_line(round(self.scroll_y) + event.y))

    # -- selection ---------------------------------------------------------------

    @property
    def visual_mode(self) -> bool:
        return self._anchor is not None

    @property
    def has_selection(self) -> bool:
        return self._anchor is not None or self._mouse_range is not None

    def action_toggle_visual(self) -> None:
        """Start (or leave) selecting whole segments from the cursor, like vim's `V`."""
        if self._anchor is not None:
            self.clear_selection()
            return
        if not self._count:
            return
        if self._mouse_range is not None:
            self._clear_mouse_selection()
        self._anchor = self._cursor
        self._refresh_segment(self._cursor)
        self.refresh_bindings()
        self.post_message(self.Changed(self))

    def _clear_mouse_selection(self) -> None:
        self._mouse_range = None
        if self.is_mounted and self.screen.selections:
            self.screen.clear_selection()

    def clear_selection(self) -> None:
        """Leave visual mode and drop any mouse selection."""
        had = self.has_selection
        self._anchor = None
        self._clear_mouse_selection()
        self._mouse_range = None
        if had:
            self.refresh()
            self.refresh_bindings()
            self.post_message(self.Changed(self))

    def selected_range(self) -> SelectedRange | None:
        """The selection as (first, last, start_char, end_char); chars only when partial."""
        if self._anchor is not None:
            low, high = sorted((self._anchor, self._cursor))
            return (low, high, None, None)
        if self._mouse_range is None:
            return None
        first, start, last, end = self._mouse_range
        return (first, last, start or None, None if end >= len(self._raw[last]) else end)

    def range_text(self, selected: SelectedRange) -> str:
        """The stored (raw) text of a range; segments joined with spaces."""
        first, last, start, end = selected
        parts = self._raw[first : last + 1]
        if not parts:
            return ""
        if end is not None:
            parts[-1] = parts[-1][:end]
        if start:
            parts[0] = parts[0][start:]
        return " ".join(part.strip() for part in parts)

    def selected_text(self) -> str:
        """The selected text, or the cursor segment's text when nothing is selected."""
        selected = self.selected_range()
        if selected is None:
            if not self._count:
                return ""
            selected = (self._cursor, self._cursor, None, None)
        return self.range_text(selected)

    def _offset_to_position(self, offset: Offset) -> tuple[int, int]:
        """(segment, char) under a content offset (x in characters of the drawn line)."""
        y = max(0, min(offset.y, self._line_starts[-1] - 1))
        index = self.segment_at_line(y)
        row = y - self._line_starts[index]
        start, end = self._line_bounds(index, row)
        head = len(self._prefix(index) + self._label(index)) if row == 0 else self._indent
        return index, max(start, min(end, start + offset.x - head))

    def _selection_to_range(self, selection: Selection) -> tuple[int, int, int, int] | None:
        if not self._breaks or not self._count:
            return None
        top = round(self.scroll_y)
        height = self.scrollable_content_region.height
        if selection.start is None and selection.end is None:
            index = self._cursor
            return (index, 0, index, len(self._raw[index]))
        start = selection.start if selection.start is not None else Offset(0, top)
        end = selection.end
        if end is None:
            last_line = min(top + height, self._line_starts[-1]) - 1
            end = Offset(self._wrap_width + self._indent, last_line)
        first, first_char = self._offset_to_position(start)
        last, last_char = self._offset_to_position(end)
        if first_char >= len(self._raw[first]) and first < last:
            first, first_char = first + 1, 0
        if last_char == 0 and last > first:
            last -= 1
            last_char = len(self._raw[last])
        if (first, first_char) >= (last, last_char):
            return None
        return (first, first_char, last, last_char)

    def selection_updated(self, selection: Selection | None) -> None:
        """Textual's mouse selection over this widget, turned into a segment range."""
        self._mouse_range = None if selection is None else self._selection_to_range(selection)
        if self._mouse_range is not None:
            self._anchor = None
        self.refresh()
        self.refresh_bindings()
        self.post_message(self.Changed(self))

    def get_selection(self, selection: Selection) -> tuple[str, str] | None:
        selected = self._selection_to_range(selection)
        if selected is None:
            return None
        first, start, last, end = selected
        return self.range_text((first, last, start, end)), "\n"

    def action_cancel(self) -> None:
        if self.has_selection:
            self.clear_selection()
        elif self._query:
            self.clear_search()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.suspend_bindings:
            return False
        if action == "cancel":
            return self.has_selection or bool(self._query)
        if action in ("search_next", "search_previous"):
            if parameters:  # the idle entry: shown disabled only while there is no search
                return False if self._query else None
            return bool(self._query)
        return True

    # -- highlights --------------------------------------------------------------

    def set_highlights(self, highlights: Iterable[Highlight]) -> None:
        """Show these highlights (replacing the previous set)."""
        self._highlights = sorted(highlights, key=lambda item: item.first_segment)
        self._highlight_firsts = [item.first_segment for item in self._highlights]
        self._highlight_generation += 1
        self.refresh()

    @property
    def highlights(self) -> Sequence[Highlight]:
        return tuple(self._highlights)

    def highlight_at(self, index: int) -> Highlight | None:
        """The innermost highlight covering segment `index`, if any."""
        found = None
        for highlight in self._highlights[: bisect_right(self._highlight_firsts, index)]:
            if highlight.last_segment >= index:
                found = highlight
        return found

    # -- search ------------------------------------------------------------------

    @property
    def search_query(self) -> str:
        return self._query

    @property
    def matches(self) -> Sequence[int]:
        """Indexes of the segments that contain the query (case-insensitive)."""
        return self._matches

    def search(self, query: str, origin: int | None = None) -> int:
        """Mark segments containing `query` and move to the first at/after `origin`.

        Typing one more character only rescans the previous matches. Returns the count.
        """
        origin = self._cursor if origin is None else origin
        needle = query.lower()
        if not needle:
            self.clear_search(restore=origin)
            return 0
        if self._query and self._pattern is None and needle.startswith(self._query.lower()):
            pool: Iterable[int] = self._matches
            lower = self._lower
            matches = [index for index in pool if needle in lower[index]]
        else:
            matches = [index for index, text in enumerate(self._lower) if needle in text]
        self._query = query
        self._matches = matches
        self._pattern = None
        self._search_generation += 1
        self.search_wrapped = False
        self.refresh()
        self.refresh_bindings()
        if matches:
            position = bisect_left(matches, origin)
            if position == len(matches):
                position = 0
                self.search_wrapped = True
            self.move_cursor(matches[position])
        else:
            self.move_cursor(origin)
        return len(matches)

    def mark_matches(
        self, query: str, indexes: Iterable[int], pattern: re.Pattern[str] | None = None
    ) -> None:
        """Mark segments found elsewhere (the library-wide index) as the matches of `query`;
        `pattern` is what to paint in them. n / N then move between them, as after `/`."""
        self._query = query
        self._matches = sorted({i for i in indexes if 0 <= i < self._count})
        self._pattern = pattern
        self._search_generation += 1
        self.search_wrapped = False
        self.refresh()
        self.refresh_bindings()
        self.post_message(self.Changed(self))

    def clear_search(self, restore: int | None = None) -> None:
        """Forget the query and its marks; optionally put the cursor back on `restore`."""
        had = bool(self._query)
        self._query = ""
        self._pattern = None
        self._matches = []
        self._search_generation += 1
        self.search_wrapped = False
        if had:
            self.refresh()
            self.refresh_bindings()
        if restore is not None:
            self.move_cursor(restore)
        else:
            self.post_message(self.Changed(self))

    def match_counter(self) -> tuple[int, int]:
        """(position of the cursor among the matches, 1-based or 0, number of matches)."""
        matches = self._matches
        position = bisect_left(matches, self._cursor)
        current = (
            position + 1 if position < len(matches) and matches[position] == self._cursor else 0
        )
        return current, len(matches)

    def action_search_next(self, _idle: str = "") -> None:
        if not self._matches:
            return
        position = bisect_right(self._matches, self._cursor)
        self.search_wrapped = position == len(self._matches)
        self.move_cursor(self._matches[0 if self.search_wrapped else position])

    def action_search_previous(self, _idle: str = "") -> None:
        if not self._matches:
            return
        position = bisect_left(self._matches, self._cursor) - 1
        self.search_wrapped = position < 0
        self.move_cursor(self._matches[position])
