"""The study screen: the transcript on the left, the chat pane on the right.

The transcript is a `TranscriptView` (Line API, renders only what is visible) with a
search bar and a status line under it. The right-hand pane is a separate container
(`#chat-pane`) so the chat can replace its content. Below 80 columns only one pane is
shown and Tab / ctrl+w switches between them.

Public API for other screens: `StudyScreen(source_id)`, `jump_to_segment(index, flash)`,
`selected_range()`, `selected_text()`, `current_transcript`, `transcript_view` (its
`cursor` is the cursor segment). The feature screens it opens (card editor, proposals,
quiz, notes export) see it as a `tui.screens.study_host.StudyHost` and never import it.
"""

from __future__ import annotations

import sqlite3

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.events import Key, Paste, Resize
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Header, Static

from core.chat.focus import focus_from_selection
from core.durations import parse_clock
from core.models import Highlight, Transcript, format_timestamp
from core.textsafe import inert_line
from tui.context import ponder
from tui.media import can_open, open_at, say_no_video
from tui.screens.help import BindingCommands, show_help
from tui.screens.highlights import HighlightsScreen
from tui.screens.prompt import PromptScreen
from tui.widgets.chat import ChatPane, CitationSelected
from tui.widgets.footer import CoalescingFooter
from tui.widgets.search_bar import SearchBar
from tui.widgets.transcript_view import SelectedRange, TranscriptView

NARROW_WIDTH = 80
CHAT_PLACEHOLDER = "Chat with Claude arrives in the next version."
CHAT_ACTIONS = (
    "ask",
    "ask_selection",
    "conversations",
    "new_conversation",
    "guides",
    "guide",
)


class ChatPlaceholder(Static, can_focus=True):
    """Holds the right-hand pane (and a focus stop) until the chat arrives."""

    DEFAULT_CSS = """
    ChatPlaceholder { color: $text-muted; padding: 1 2; height: 1fr; }
    ChatPlaceholder:focus { background: $boost; }
    """


class StudyScreen(Screen[None]):
    """Read, search, select and highlight one transcript."""

    HELP_GROUP = "Study"
    COMMANDS = {BindingCommands}
    AUTO_FOCUS = "#transcript"
    CURSOR_SAVE_INTERVAL = 1.5

    BINDINGS: list[BindingType] = [
        Binding("slash", "search", "Search", id="study.search"),
        Binding("enter", "search_submit", "Keep matches", id="study.search_submit"),
        Binding("escape", "search_cancel", "Clear search", id="study.search_cancel"),
        Binding("t", "jump_time", "Time", id="study.jump_time"),
        Binding("o", "open_video", "Open video", id="study.open_video"),
        Binding("o", "no_video", "No video", show=False, id="study.no_video"),
        Binding("y", "copy", "Copy", id="study.copy"),
        Binding("h", "highlight", "Highlight", id="study.highlight"),
        Binding("H", "highlights", "Highlights", id="study.highlights"),
        Binding("tab,ctrl+w", "switch_pane", "Pane", id="study.switch_pane"),
        Binding("question_mark", "help", "Help", id="study.help"),
        Binding("q", "back", "Back", id="study.back"),
        # -- chat (tui/widgets/chat/, tui/screens/guide.py, conversations.py) --
        Binding("a", "ask", "Ask", id="study.ask"),
        Binding("A", "ask_selection", "Ask about selection", id="study.ask_selection"),
        Binding("L,ctrl+l", "conversations", "Chats", id="study.conversations"),
        Binding("ctrl+n", "new_conversation", "New chat", show=False, id="study.new_chat"),
        Binding("ctrl+g", "guides", "Guides", id="study.guides"),
        Binding("1", "guide('preread')", "Guide: pre-read", show=False, id="study.guide.preread"),
        Binding("2", "guide('ideas')", "Guide: central ideas", show=False, id="study.guide.ideas"),
        Binding(
            "3", "guide('vocabulary')", "Guide: vocabulary", show=False, id="study.guide.vocabulary"
        ),
        Binding(
            "4", "guide('references')", "Guide: references", show=False, id="study.guide.references"
        ),
        Binding("5", "guide('people')", "Guide: people", show=False, id="study.guide.people"),
        Binding(
            "6",
            "guide('questions')",
            "Guide: discussion questions",
            show=False,
            id="study.guide.questions",
        ),
        # -- quiz (tui/screens/quiz.py) --
        Binding("Q", "quiz", "Quiz", id="study.quiz"),
        # -- cards (tui/screens/card_editor.py, tui/screens/proposals.py) --
        Binding("c", "card", "Card", id="study.card"),
        Binding("C", "propose_cards", "Propose cards", id="study.propose_cards"),
        Binding("E", "export_notes", "Export notes", show=False, id="study.export_notes"),
    ]

    DEFAULT_CSS = """
    StudyScreen #study-body { height: 1fr; }
    StudyScreen #transcript-pane { width: 3fr; height: 1fr; }
    StudyScreen #chat-pane {
        width: 2fr;
        height: 1fr;
        border-left: vkey $panel-lighten-2;
        background: $surface;
    }
    StudyScreen #study-status {
        height: 1;
        padding: 0 1;
        background: $panel;
        color: $text-muted;
    }
    StudyScreen.-narrow #chat-pane { display: none; width: 1fr; border-left: none; }
    StudyScreen.-narrow.-chat-active #chat-pane { display: block; }
    StudyScreen.-narrow.-chat-active #transcript-pane { display: none; }
    StudyScreen.-narrow #transcript-pane { width: 1fr; }
    StudyScreen Footer.-compact FooterLabel { margin: 0 1 0 0; }
    StudyScreen Footer.-compact FooterKey.-command-palette { padding-right: 1; margin-right: 0; }
    """

    def __init__(
        self,
        source_id: int,
        *,
        at_segment: int | None = None,
        select_to: int | None = None,
        marks: str | None = None,
        name: str | None = None,
        id: str | None = None,
    ) -> None:
        """`at_segment`: open there instead of at the saved reading position (`select_to`:
        with segments at_segment..select_to selected, e.g. a cited passage, so `c` makes a
        card of it); `marks`: a library-wide search query whose matches are marked."""
        super().__init__(name=name, id=id)
        self.source_id = source_id
        self._open_at = at_segment
        self._select_to = select_to
        self._marks = marks
        self.current_transcript: Transcript | None = None
        self._search_origin = 0
        self._saved_cursor: int | None = None
        self.active_pane = "transcript"
        self._view: TranscriptView | None = None
        self._chat: ChatPane | None = None
        self._search_bar: SearchBar | None = None

    # -- layout ------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        library = ponder(self).library
        transcript = library.transcript(self.source_id)
        self.current_transcript = transcript
        yield Header()
        with Horizontal(id="study-body"):
            with Vertical(id="transcript-pane"):
                if transcript is None:
                    yield Static(Content("This transcript is no longer in the library."))
                else:
                    cursor = library.cursor(self.source_id)
                    self._saved_cursor = cursor
                    if self._open_at is not None:
                        cursor = self._open_at
                    self._view = TranscriptView(
                        transcript,
                        cursor=cursor,
                        highlights=library.highlights(self.source_id),
                        id="transcript",
                    )
                    yield self._view
                    self._search_bar = SearchBar(id="search-bar")
                    yield self._search_bar
                    yield Static(Content(""), id="study-status")
            with Vertical(id="chat-pane"):
                if transcript is None:
                    yield ChatPlaceholder(Content(CHAT_PLACEHOLDER), id="chat-placeholder")
                else:
                    cursor = self._view.cursor if self._view is not None else None
                    self._chat = ChatPane(
                        self.source_id, transcript=transcript, cursor_segment=cursor
                    )
                    yield self._chat
        yield CoalescingFooter(compact=True)

    def on_mount(self) -> None:
        transcript = self.current_transcript
        if transcript is None:
            self.notify(
                "That transcript is no longer in the library.", severity="error", markup=False
            )
            return
        source = transcript.source
        self.title = inert_line(source.title)
        kind = {"youtube": "YouTube", "demo": "demo"}.get(source.kind, source.format or "file")
        length = format_timestamp(transcript.duration_s) if transcript.timed else "untimed"
        self.sub_title = f"{kind} · {len(transcript.segments)} segments · {length}"
        if self._marks:
            self._mark_search_hits(self._marks)
        if self._open_at is not None and self._select_to is not None:
            view = self.transcript_view
            if view.segment_count and self._select_to >= view.cursor:
                view.action_toggle_visual()  # the anchor is the cursor (at_segment)
                view.move_cursor(min(self._select_to, view.segment_count - 1))
        self._update_status()
        self.set_interval(self.CURSOR_SAVE_INTERVAL, self.save_cursor)

    def _mark_search_hits(self, query: str) -> None:
        """Mark the segments the library-wide index matched (opened from Search all)."""
        from core.search import SearchError, highlight_pattern, matching_segments

        try:
            indexes = matching_segments(ponder(self).library, query, self.source_id)
        except (SearchError, sqlite3.Error):
            return
        view = self.transcript_view
        view.mark_matches(query, indexes, highlight_pattern(query))
        if self._open_at is not None:
            view.jump_to_segment(self._open_at, flash=True)

    def on_resize(self, event: Resize) -> None:
        self.set_class(event.size.width < NARROW_WIDTH, "-narrow")

    @property
    def narrow(self) -> bool:
        return self.has_class("-narrow")

    @property
    def transcript_view(self) -> TranscriptView:
        if self._view is None:
            raise LookupError("no transcript is open on this screen")
        return self._view

    @property
    def search_bar(self) -> SearchBar:
        return self.query_one("#search-bar", SearchBar)

    @property
    def chat_pane(self) -> Vertical:
        """The right-hand container; the chat replaces its children."""
        return self.query_one("#chat-pane", Vertical)

    # -- public API --------------------------------------------------------------

    def jump_to_segment(self, index: int, flash: bool = True) -> None:
        """Show segment `index` in the transcript pane with the cursor on it."""
        if self.narrow and self.active_pane != "transcript":
            self._show_pane("transcript")
        self.transcript_view.jump_to_segment(index, flash=flash)

    def selected_range(self) -> SelectedRange | None:
        """(first, last, start_char, end_char) of the selection, or None."""
        return self.transcript_view.selected_range()

    def selected_text(self) -> str:
        """The selected passage, or the cursor segment's text when nothing is selected."""
        return self.transcript_view.selected_text()

    # -- status and persistence ---------------------------------------------------

    def on_transcript_view_changed(self, event: TranscriptView.Changed) -> None:
        self._update_status()
        if self._chat is not None:
            self._chat.cursor_segment = event.view.cursor  # a long transcript's excerpt

    def _update_status(self) -> None:
        if self.current_transcript is None:
            return
        view = self.transcript_view
        parts = []
        count = view.segment_count
        if count:
            segment = self.current_transcript.segments[view.cursor]
            parts.append(f"{view.cursor + 1}/{count}")
            if view.timed:
                parts.append(format_timestamp(segment.start))
        else:
            parts.append("empty transcript")
        selected = view.selected_range()
        if view.visual_mode and selected:
            parts.append(f"VISUAL {selected[1] - selected[0] + 1} segment(s)")
        elif selected:
            parts.append("selection")
        if view.search_query:
            current, total = view.match_counter()
            query = inert_line(view.search_query)
            found = f"{current or '-'}/{total}" if total else "no match"
            parts.append(f"/{query} {found}" + (" (wrapped)" if view.search_wrapped else ""))
            if self.search_bar.is_open:
                self.search_bar.set_counter(current, total)
        # Fixed one-line size: skipping the layout pass keeps a keypress cheap.
        self.query_one("#study-status", Static).update(Content(" · ".join(parts)), layout=False)

    def save_cursor(self) -> None:
        """Remember the reading position (called periodically and when leaving)."""
        if self._view is None:
            return
        cursor = self._view.cursor
        if cursor == self._saved_cursor:
            return
        try:
            ponder(self).library.set_cursor(self.source_id, cursor)
        except sqlite3.Error:
            return
        self._saved_cursor = cursor

    def on_screen_suspend(self) -> None:
        self.save_cursor()

    def on_unmount(self) -> None:
        self.save_cursor()

    # -- actions -----------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "open_video":
            return self._has_media()
        if action == "no_video":
            return not self._has_media() and not self.searching
        if action in ("search_submit", "search_cancel"):
            return self.searching
        if self.searching:
            return action in ("switch_pane", "help")
        if action == "search" and self._typing_elsewhere():
            return False  # `/` belongs to the input being typed in (the chat's)
        if action in CHAT_ACTIONS:
            return self.current_transcript is not None
        needs_transcript = ("search", "jump_time", "copy", "highlight", "highlights")
        return self.current_transcript is not None or action not in needs_transcript

    def _typing_elsewhere(self) -> bool:
        focused = self.focused
        return focused is not None and focused.check_consume_key("slash", "/")

    def _has_media(self) -> bool:
        """A YouTube video or a transcribed media file that `o` can open."""
        transcript = self.current_transcript
        return transcript is not None and can_open(transcript.source)

    @property
    def searching(self) -> bool:
        """The search bar is open and the keys typed go into it."""
        return self._search_bar is not None and self._search_bar.is_open

    def action_search(self) -> None:
        """Open the search bar; the focus stays on the transcript (see `on_key`)."""
        if self.narrow and self.active_pane != "transcript":
            self._show_pane("transcript")
        view = self.transcript_view
        view.clear_selection()
        self.set_focus(view)
        self._search_origin = view.cursor
        self.search_bar.open()
        self.search_bar.set_counter(0, 0)
        view.suspend_bindings = True
        self.refresh_bindings()

    def on_key(self, event: Key) -> None:
        """Search typing, handled here in key order (keys reach the screen one by one from
        the focused transcript), before any binding sees the key."""
        if self._view is None:
            return
        if self.searching:
            handled = self._search_key(event)
        else:
            active = self.active_bindings.get(event.key)
            handled = (
                active is not None
                and active.node is self
                and active.binding.action == "search"
                and active.enabled
            )
            if handled:
                self.action_search()
        if handled:
            event.stop()
            event.prevent_default()

    def on_paste(self, event: Paste) -> None:
        if self.searching:
            event.stop()
            self.search_bar.insert(" ".join(event.text.split()))
            self._run_search()

    def _search_key(self, event: Key) -> bool:
        if event.key == "enter":
            self.action_search_submit()
        elif event.key == "escape":
            self.action_search_cancel()
        elif self.search_bar.edit(event):
            self._run_search()
        else:
            return False
        return True

    def _run_search(self) -> None:
        view = self.transcript_view
        view.search(self.search_bar.value, origin=self._search_origin)
        current, total = view.match_counter()
        self.search_bar.set_counter(current, total)

    def _close_search(self) -> None:
        self.search_bar.close()
        self.transcript_view.suspend_bindings = False
        self.refresh_bindings()

    def action_search_submit(self) -> None:
        """Enter: close the bar and keep the matches for n / N."""
        if not self.searching:
            return
        query = self.search_bar.value
        view = self.transcript_view
        if query != view.search_query:
            view.search(query, origin=self._search_origin)
        self._close_search()
        if query and not view.matches:
            self.notify(f"No match for {inert_line(query)!r}", severity="warning", markup=False)
        self._update_status()

    def action_search_cancel(self) -> None:
        """Esc: close the bar, clear the matches and go back to where the search began."""
        if not self.searching:
            return
        self._close_search()
        self.transcript_view.clear_search(restore=self._search_origin)

    def action_jump_time(self) -> None:
        view = self.transcript_view
        if not view.timed:
            self.notify(
                "This transcript has no timing: there is no time to jump to.",
                severity="warning",
                markup=False,
            )
            return
        self.app.push_screen(
            PromptScreen(
                "Jump to time",
                placeholder="1:02:03, 62:03, 3723 or 1h2m3s",
                hint="Enter jumps · Esc cancels",
            ),
            self._jump_to_time,
        )

    def _jump_to_time(self, answer: str | None) -> None:
        if answer is None or not answer.strip():
            return
        try:
            seconds = parse_clock(answer)
        except ValueError as error:
            self.notify(inert_line(str(error)), severity="error", markup=False)
            return
        transcript = self.current_transcript
        end = transcript.duration_s if transcript else None
        if end is not None and seconds > end:
            self.notify(
                f"{format_timestamp(seconds)} is past the end ({format_timestamp(end)}).",
                severity="error",
                markup=False,
            )
            return
        view = self.transcript_view
        self.jump_to_segment(view.segment_at_time(seconds))

    def action_open_video(self) -> None:
        transcript = self.current_transcript
        if transcript is None or not transcript.segments:
            say_no_video(self)
            return
        start = transcript.segments[self.transcript_view.cursor].start
        open_at(self, transcript.source, start)

    def action_no_video(self) -> None:
        say_no_video(self)

    def action_copy(self) -> None:
        from core.textsafe import inert

        view = self.transcript_view
        text = inert(view.selected_text())
        if not text:
            self.notify("Nothing to copy.", severity="warning", markup=False)
            return
        self.app.copy_to_clipboard(text)
        view.clear_selection()
        self.notify(f"Copied {len(text)} characters.", markup=False)

    def action_highlight(self) -> None:
        view = self.transcript_view
        transcript = self.current_transcript
        if transcript is None or not transcript.segments:
            return
        selected = view.selected_range() or (view.cursor, view.cursor, None, None)
        first, last, start_char, end_char = selected
        library = ponder(self).library
        for existing in view.highlights:
            if (
                existing.first_segment,
                existing.last_segment,
                existing.start_char,
                existing.end_char,
            ) == selected:
                view.clear_selection()
                self.notify("Already highlighted.", markup=False)
                return
        library.add_highlight(
            Highlight(
                source_id=self.source_id,
                first_segment=first,
                last_segment=last,
                start_char=start_char,
                end_char=end_char,
            )
        )
        view.set_highlights(library.highlights(self.source_id))
        view.clear_selection()
        count = last - first + 1
        where = ""
        if view.timed:
            where = f" at {format_timestamp(transcript.segments[first].start)}"
        partial = " (part)" if start_char is not None or end_char is not None else ""
        noun = "segment" if count == 1 else "segments"
        self.notify(f"Highlighted {count} {noun}{partial}{where}.", markup=False)

    def action_highlights(self) -> None:
        transcript = self.current_transcript
        if transcript is None:
            return
        highlights = ponder(self).library.highlights(self.source_id)
        self.app.push_screen(HighlightsScreen(transcript, highlights), self._after_highlights)

    def _after_highlights(self, chosen: Highlight | None) -> None:
        view = self.transcript_view
        view.set_highlights(ponder(self).library.highlights(self.source_id))
        if chosen is not None:
            self.jump_to_segment(chosen.first_segment)
        view.focus()

    def _chat_focus_target(self) -> Widget | None:
        for widget in self.chat_pane.walk_children(Widget):
            if widget.focusable:
                return widget
        return None

    def _show_pane(self, pane: str) -> None:
        self.active_pane = pane
        self.set_class(pane == "chat", "-chat-active")
        if pane == "chat":
            target = self._chat_focus_target()
            if target is not None:
                target.focus()
        elif self.current_transcript is not None:
            self.transcript_view.focus()

    def action_switch_pane(self) -> None:
        """Move between the transcript and the chat (below 80 columns: show the other)."""
        if self.narrow:
            self._show_pane("chat" if self.active_pane == "transcript" else "transcript")
            return
        focused = self.focused
        in_chat = focused is not None and self.chat_pane in focused.ancestors_with_self
        self._show_pane("transcript" if in_chat else "chat")

    # -- chat (owned by the chat pane's author; keep this block together) ----------

    @property
    def chat(self) -> ChatPane:
        """The chat pane (LookupError-like NoMatches when the transcript is missing)."""
        return self.query_one(ChatPane)

    @on(CitationSelected)
    def _citation_selected(self, event: CitationSelected) -> None:
        event.stop()
        self.jump_to_segment(event.first_segment, flash=True)
        self.transcript_view.focus()

    def _show_chat_input(self) -> None:
        if self.narrow and self.active_pane != "chat":
            self._show_pane("chat")
        self.active_pane = "chat"
        self.chat.focus_input()

    def action_ask(self) -> None:
        self._show_chat_input()

    def action_ask_selection(self) -> None:
        """Ask about the selected passage (or the cursor segment): it becomes the focus."""
        transcript = self.current_transcript
        if transcript is None:
            return
        view = self.transcript_view
        focus = focus_from_selection(
            transcript, view.selected_range(), view.cursor, view.selected_text()
        )
        if focus is None:
            self.notify("The transcript is empty.", severity="warning", markup=False)
            return
        view.clear_selection()
        self.chat.ask_about(focus)
        self._show_chat_input()

    def action_conversations(self) -> None:
        self.chat.show_conversations()

    @on(ChatPane.ConversationsRequested)
    def _list_conversations(self, event: ChatPane.ConversationsRequested) -> None:
        """The chat's conversation list (open, new, delete) in a modal."""
        from tui.screens.conversations import ConversationsScreen

        event.stop()
        pane = event.pane
        self.app.push_screen(
            ConversationsScreen(pane.store, pane.source_id, pane.conversation_id, pane.prices),
            pane.after_conversations,
        )

    def action_new_conversation(self) -> None:
        self.chat.new_conversation()
        self._show_chat_input()

    def action_guides(self) -> None:
        from tui.screens.guide import GuideMenuScreen

        def chosen(kind: str | None) -> None:
            if kind is not None:
                self.action_guide(kind)

        self.app.push_screen(GuideMenuScreen(self.chat.store, self.source_id), chosen)

    def action_guide(self, kind: str) -> None:
        """Show the saved study guide of `kind`, or have Claude write it."""
        from tui.screens.guide import GuideScreen

        transcript = self.current_transcript
        if transcript is None:
            return

        def jump(target: tuple[int, int] | None) -> None:
            if target is not None:
                self.jump_to_segment(target[0], flash=True)
                self.transcript_view.focus()

        self.app.push_screen(
            GuideScreen(
                self.chat.store,
                transcript,
                kind,
                cursor_segment=self.transcript_view.cursor,
                prices=self.chat.prices,
            ),
            jump,
        )

    def action_quiz(self) -> None:
        """`Q`: quiz on the selection, else the whole transcript; a citation jumps back here."""
        from tui.screens.quiz import open_quiz

        open_quiz(self)

    # -- cards (owned by the card editor's author; keep this block together) ------

    def action_card(self) -> None:
        """`c`: write a card from the selection (or the highlight / segment at the cursor)."""
        from tui.screens.card_editor import open_card_editor

        open_card_editor(self)

    def action_propose_cards(self) -> None:
        """`C`: Claude proposes up to 3 cards for the passage; accept, edit or skip each."""
        from tui.screens.proposals import open_proposals

        open_proposals(self)

    def action_export_notes(self) -> None:
        """`E`: write this transcript's study notes as Markdown (as `ponder export markdown`)."""
        from tui.screens.export_notes import open_markdown_export

        open_markdown_export(self)

    def action_help(self) -> None:
        show_help(self)

    def action_back(self) -> None:
        self.save_cursor()
        if len(self.app.screen_stack) > 1:
            self.app.pop_screen()
        else:
            self.app.exit()
