"""The chat pane of the study screen, driven with Pilot against the fake Messages API
(a real HTTP server on 127.0.0.1 that the real anthropic SDK talks to)."""

from __future__ import annotations

import socket
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import pytest

from core.chat.prompts import GUIDE_KINDS, SYSTEM_PROMPT
from core.chat.store import ConversationStore
from core.library import Library
from core.models import Segment
from core.paths import config_path
from tests.fake_claude import FAKE_API_KEY, Cite, FakeClaude, Reply
from tests.tui_helpers import (
    Driven,
    add_transcript,
    make_segments,
    wait_until,
)
from tui import claude
from tui.app import PonderApp
from tui.screens.conversations import ConversationsScreen
from tui.screens.guide import GuideMenuScreen, GuideScreen
from tui.screens.study import StudyScreen
from tui.widgets.chat import (
    AnswerView,
    ChatPane,
    CitationLink,
    QuestionView,
    answer_markdown,
    parse_citation_href,
)


@dataclass
class Chat(Driven):
    screen: StudyScreen
    library: Library
    source_id: int

    @property
    def pane(self) -> ChatPane:
        return self.screen.query_one(ChatPane)

    @property
    def store(self) -> ConversationStore:
        return ConversationStore(self.library.conn, recover=False)

    def messages(self) -> list:
        conversation_id = self.pane.conversation_id
        return self.store.messages(conversation_id) if conversation_id else []

    async def ask(self, question: str) -> None:
        self.pane.focus_input()
        self.pane.input.load_text(question)
        await self.pilot.press("enter")

    async def settle(self, timeout: float = 30.0) -> None:
        await wait_until(self.pilot, lambda: not self.pane.is_streaming, timeout=timeout)
        await self.pilot.pause()

    def answers(self) -> list[AnswerView]:
        return self.pane.answer_views()


@asynccontextmanager
async def open_chat(
    segments: list[Segment] | None = None,
    *,
    size: tuple[int, int] = (120, 40),
    library: Library | None = None,
) -> AsyncIterator[Chat]:
    library = library if library is not None else Library()
    source_id = add_transcript(library, segments or make_segments(60))
    app = PonderApp(library=library)
    async with app.run_test(size=size, notifications=True) as pilot:
        screen = StudyScreen(source_id)
        app.push_screen(screen)
        await wait_until(pilot, lambda: app.screen is screen and screen.query_one(ChatPane))
        await pilot.pause()
        yield Chat(app, pilot, screen, library, source_id)


@pytest.fixture
def quick_client(monkeypatch: pytest.MonkeyPatch) -> dict:
    """No SDK retries and a short timeout (the retry tests set their own)."""
    options = {"max_retries": 0, "timeout": 5.0}
    monkeypatch.setattr(claude, "CLIENT_OPTIONS", options)
    return options


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


# -- asking ---------------------------------------------------------------------------------


async def test_a_question_sends_the_cached_document_and_streams_a_cited_answer(
    fake_claude: FakeClaude,
) -> None:
    fake_claude.queue(Reply.text("The talk says", Cite(2, 3, " seg two matters."), " Done."))
    async with open_chat() as chat:
        await chat.ask("What matters?")
        await chat.settle()

        body = fake_claude.last_body
        assert body["model"] == "claude-sonnet-5-5"
        assert body["system"] == SYSTEM_PROMPT and body["stream"] is True
        first = body["messages"][0]
        document, question = first["content"][0], first["content"][-1]
        assert document["type"] == "document"
        assert document["citations"] == {"enabled": True}
        assert document["cache_control"] == {"type": "ephemeral"}
        assert "seg 0 alpha" in document["source"]["content"][0]["text"]
        assert question == {"type": "text", "text": "What matters?"}

        (answer,) = chat.answers()
        source = answer.markdown.source
        assert source.startswith("The talk says seg two matters.")
        assert source.endswith(" Done.")
        links = list(answer.query(CitationLink))
        assert len(links) == 1 and links[0].citation.label in source
        stored = chat.messages()
        assert [m.role for m in stored] == ["user", "assistant"]
        assert stored[1].status == "complete" and stored[1].citations
        assert "seg two matters." in chat.text()
        assert "in 10" not in chat.pane.status_text  # status back to the hint
        assert "cache write" in chat.pane.usage_line


async def test_answers_render_through_markdown_stream_without_full_rerenders(
    fake_claude: FakeClaude, monkeypatch: pytest.MonkeyPatch
) -> None:
    from textual.widgets import Markdown

    updates: list[int] = []
    original = Markdown.update

    def counting_update(self: Markdown, markdown: str):  # type: ignore[no-untyped-def]
        updates.append(len(markdown))
        return original(self, markdown)

    monkeypatch.setattr(Markdown, "update", counting_update)
    fake_claude.queue(Reply.tokens(300, word="**bold** word "))
    async with open_chat() as chat:
        await chat.ask("Long answer please")
        await chat.settle()
        (answer,) = chat.answers()
        assert answer.markdown.source == "**bold** word " * 300
        assert all(size == 0 for size in updates)  # only the empty initial document


async def test_citation_links_move_the_transcript_cursor(fake_claude: FakeClaude) -> None:
    fake_claude.queue(Reply.text("First", Cite(4, 5, " point."), " And", Cite(8, 9, " more.")))
    async with open_chat(make_segments(200)) as chat:
        await chat.ask("Where?")
        await chat.settle()
        view = chat.screen.transcript_view
        (answer,) = chat.answers()
        first_link, second_link = answer.query(CitationLink)
        assert view.cursor == 0
        # Keyboard: shift+tab from the input reaches the last link, Enter jumps.
        chat.pane.focus_input()
        await chat.pilot.press("shift+tab")
        assert chat.screen.focused is second_link
        await chat.pilot.press("enter")
        await chat.pilot.pause()
        assert view.cursor == second_link.citation.first_segment > 0
        assert view.has_focus
        # Tab from the input reaches the first link, as the hint and the README say.
        chat.pane.focus_input()
        await chat.pilot.press("tab")
        assert chat.screen.focused is first_link
        await chat.pilot.press("enter")
        await chat.pilot.pause()
        assert view.cursor == first_link.citation.first_segment
        assert view.has_focus
        view.jump_to_segment(0)
        # Mouse: a click on the first link.
        await chat.pilot.click(first_link)
        await chat.pilot.pause()
        assert view.cursor == first_link.citation.first_segment
        # The inline Markdown link posts the same jump.
        href = f"ponder-cite:{second_link.citation.first_segment}-2"
        assert parse_citation_href(href) == (second_link.citation.first_segment, 2)
        from textual.widgets import Markdown

        answer.markdown.post_message(Markdown.LinkClicked(answer.markdown, href))
        await chat.pilot.pause()
        assert view.cursor == second_link.citation.first_segment


async def test_second_question_reads_the_transcript_from_the_cache(
    fake_claude: FakeClaude,
) -> None:
    async with open_chat() as chat:
        await chat.ask("First question")
        await chat.settle()
        first_usage = chat.messages()[-1].usage
        await chat.ask("Second question")
        await chat.settle()
        second_usage = chat.messages()[-1].usage
        assert first_usage.cache_write_tokens > 0 and first_usage.cache_read_tokens == 0
        assert second_usage.cache_read_tokens == first_usage.cache_write_tokens
        first, second = fake_claude.message_requests[-2:]
        assert first.body["messages"][0]["content"][0] == second.body["messages"][0]["content"][0]
        assert [m["role"] for m in second.body["messages"]] == ["user", "assistant", "user"]
        assert f"cache read {second_usage.cache_read_tokens:,}" in chat.pane.usage_line
        last_answer = chat.answers()[-1]
        assert f"cache read {second_usage.cache_read_tokens:,}" in str(last_answer.meta.render())
        assert "Conversation ~$" in chat.pane.usage_line


async def test_escape_stops_the_stream_and_keeps_the_partial_answer(
    fake_claude: FakeClaude,
) -> None:
    fake_claude.queue(Reply.tokens(400, tokens_per_second=80))
    async with open_chat() as chat:
        await chat.ask("Tell me everything")
        await wait_until(
            chat.pilot,
            lambda: chat.answers() and len(chat.answers()[0].markdown.source) > 20,
            timeout=10,
        )
        await chat.pilot.press("escape")
        await chat.settle()
        answer = chat.messages()[-1]
        assert answer.status == "stopped"
        assert 20 <= len(answer.content) < 400 * 5
        (view,) = chat.answers()
        assert "stopped" in str(view.meta.render())
        assert view.meta.has_class("-stopped")
        assert "Stopped" in chat.pane.status_text
        # ctrl+r answers again (replacing the stopped answer).
        fake_claude.queue(Reply.text("Whole answer."))
        await chat.pilot.press("ctrl+r")
        await chat.settle()
        stored = chat.messages()
        assert [m.status for m in stored] == ["complete", "complete"]
        assert stored[-1].content == "Whole answer."
        assert len(chat.answers()) == 1


async def test_a_question_on_its_way_is_not_shown_as_an_unsent_draft(
    fake_claude: FakeClaude, quick_client: dict
) -> None:
    fake_claude.queue(Reply(hang=True))
    async with open_chat() as chat:
        await chat.ask("Still there?")
        await wait_until(chat.pilot, lambda: chat.pane.query(QuestionView))
        await chat.pilot.pause()
        assert chat.messages()[0].status == "draft"  # stored, not yet accepted by Claude
        assert "Sending to Claude" in chat.pane.status_text
        assert "Still there?" in chat.text()
        assert "Draft, not sent" not in chat.text()
        await chat.pilot.press("escape")
        await chat.settle()
        assert "Draft, not sent" in chat.text()  # stopped before Claude took it


async def test_a_long_answer_of_paragraphs_shows_every_paragraph_in_few_widgets(
    fake_claude: FakeClaude,
) -> None:
    from tui.widgets.answer_markdown import ParagraphRun

    words = [f"w{i}" + (".\n\n" if i % 40 == 39 else " ") for i in range(2000)]
    fake_claude.queue(Reply.text(*words))
    async with open_chat() as chat:
        await chat.ask("Go on")
        await chat.settle()
        (answer,) = chat.answers()
        runs = list(answer.query(ParagraphRun))
        assert sum(len(run.parts) for run in runs) == 50
        assert 1 < len(runs) < 10
        shown = "\n\n".join(part.plain for run in runs for part in run.parts)
        assert shown == "".join(words).strip()
        assert "w1999." in chat.text()  # anchored at the end


async def test_the_pane_keeps_one_client_between_answers_and_closes_it(
    fake_claude: FakeClaude,
) -> None:
    fake_claude.queue(Reply.text("One."))
    fake_claude.queue(Reply.text("Two."))
    async with open_chat() as chat:
        await chat.ask("First?")
        await chat.settle()
        client = chat.pane._client
        assert client is not None and client._sdk is not None
        await chat.ask("Second?")
        await chat.settle()
        assert chat.pane._client is client  # its connection is reused
        assert [m.content for m in chat.messages()][1::2] == ["One.", "Two."]
        chat.app.pop_screen()
        await wait_until(chat.pilot, lambda: client._sdk is None)  # closed with the pane


async def test_enter_sends_and_ctrl_j_or_shift_enter_insert_a_new_line(
    fake_claude: FakeClaude,
) -> None:
    async with open_chat() as chat:
        await chat.pilot.press("a")  # the study screen's Ask key focuses the input
        assert chat.pane.input.has_focus
        await chat.pilot.press("o", "n", "e", "ctrl+j", "t", "w", "o", "shift+enter", "x")
        assert chat.pane.input.text == "one\ntwo\nx"
        assert not fake_claude.message_requests
        await chat.pilot.press("enter")
        await chat.settle()
        assert chat.messages()[0].content == "one\ntwo\nx"
        assert chat.pane.input.text == ""


async def test_chat_keys_are_in_the_help_and_the_footer(fake_claude: FakeClaude) -> None:
    from tui.screens.help import HelpScreen

    async with open_chat() as chat:
        await chat.pilot.press("question_mark")
        await wait_until(chat.pilot, lambda: isinstance(chat.app.screen, HelpScreen))
        help_text = chat.app.screen.text
        for entry in ("Ask about selection", "Guides", "Guide: pre-read", "Chats", "New chat"):
            assert entry in help_text
        await chat.pilot.press("escape")
        chat.pane.focus_input()
        await chat.pilot.pause()
        keys = {b.binding.action for b in chat.screen.active_bindings.values() if b.enabled}
        assert "stop" not in keys and "retry" not in keys  # nothing to stop or retry yet


# -- failures -------------------------------------------------------------------------------


async def test_without_a_key_the_pane_says_how_and_keeps_the_question(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with open_chat() as chat:
        status = chat.pane.status_text
        assert "No Anthropic API key" in status and "ANTHROPIC_API_KEY" in status
        assert str(config_path()) in status
        # `,` (Settings) is an app binding: it works on every screen, not just the library
        assert "press , anywhere in the app" in status and "library screen" not in status
        await chat.ask("Can I ask without a key?")
        await chat.settle()
        (question,) = chat.messages()
        assert question.status == "draft" and question.error == "no API key"
        assert "No Anthropic API key" in chat.pane.status_text
        (view,) = chat.pane.message_views()
        assert isinstance(view, QuestionView) and "Draft, not sent" in chat.text()
        # The rest of the screen still works.
        await chat.pilot.press("ctrl+w", "j", "j")
        assert chat.screen.transcript_view.cursor == 2
        # Once a key is set, ctrl+r sends the draft.
        with FakeClaude() as server:
            monkeypatch.setenv("ANTHROPIC_BASE_URL", server.base_url)
            monkeypatch.setenv("ANTHROPIC_API_KEY", FAKE_API_KEY)
            chat.pane.focus_input()
            await chat.pilot.pause()
            assert "waiting to be sent" in chat.pane.status_text  # the hint follows the key
            await chat.pilot.press("ctrl+r")
            await chat.settle()
            assert [m.status for m in chat.messages()] == ["complete", "complete"]
            assert len(server.message_requests) == 1


async def test_offline_keeps_a_draft_and_ctrl_r_sends_it(
    fake_claude: FakeClaude, quick_client: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_BASE_URL", closed_port_url())
    async with open_chat() as chat:
        await chat.ask("Are we online?")
        await chat.settle()
        (question,) = chat.messages()
        assert question.status == "draft" and "Cannot reach Claude" in (question.error or "")
        assert "Cannot reach Claude" in chat.pane.status_text
        assert "ctrl+r" in chat.pane.status_text
        assert "Draft, not sent" in chat.text()
        monkeypatch.setenv("ANTHROPIC_BASE_URL", fake_claude.base_url)
        await chat.pilot.press("ctrl+r")
        await chat.settle()
        stored = chat.messages()
        assert [(m.role, m.status) for m in stored] == [
            ("user", "complete"),
            ("assistant", "complete"),
        ]
        assert "Draft, not sent" not in chat.text()


@pytest.mark.parametrize(
    ("status", "replies", "expected"),
    [
        (401, 1, "(401)"),
        (403, 1, "(403)"),
        (429, 3, "(429)"),
        (529, 3, "(529)"),
    ],
)
async def test_http_errors_show_a_clear_message_and_retry_works(
    fake_claude: FakeClaude,
    monkeypatch: pytest.MonkeyPatch,
    status: int,
    replies: int,
    expected: str,
) -> None:
    # The SDK's own retries (2) run first for 429/529: three failures reach the pane.
    monkeypatch.setattr(claude, "CLIENT_OPTIONS", {"max_retries": 2, "timeout": 5.0})
    fake_claude.queue(*[Reply.error(status, echo_key_in_error=True) for _ in range(replies)])
    async with open_chat() as chat:
        await chat.ask("Will this fail?")
        await chat.settle()
        assert len(fake_claude.message_requests) == replies
        assert expected in chat.pane.status_text and "ctrl+r" in chat.pane.status_text
        assert FAKE_API_KEY not in chat.text() and FAKE_API_KEY not in chat.pane.status_text
        assert all(FAKE_API_KEY not in note for note in chat.notes())
        (question,) = chat.messages()
        assert question.status == "draft"
        await chat.pilot.press("ctrl+r")
        await chat.settle()
        assert [m.status for m in chat.messages()] == ["complete", "complete"]


async def test_an_error_event_mid_stream_keeps_and_marks_the_text(
    fake_claude: FakeClaude, quick_client: dict
) -> None:
    fake_claude.queue(Reply.text("Part one. ", "Part two. ", "Part three.", stream_error_after=2))
    async with open_chat() as chat:
        await chat.ask("Go")
        await chat.settle()
        answer = chat.messages()[-1]
        assert answer.status == "error" and answer.content == "Part one. Part two. "
        (view,) = chat.answers()
        assert view.markdown.source == "Part one. Part two. "
        assert "cut off" in str(view.meta.render()) and view.meta.has_class("-error")
        assert "overloaded" in chat.pane.status_text and "ctrl+r" in chat.pane.status_text
        await chat.pilot.press("ctrl+r")
        await chat.settle()
        stored = chat.messages()
        assert [m.status for m in stored] == ["complete", "complete"]
        assert len(chat.answers()) == 1
        assert chat.answers()[0].markdown.source.startswith("Here is what the talk says")


async def test_a_timeout_is_reported_and_retry_works(
    fake_claude: FakeClaude, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(claude, "CLIENT_OPTIONS", {"max_retries": 0, "timeout": 1.0})
    fake_claude.queue(Reply(hang=True))
    async with open_chat() as chat:
        await chat.ask("Slow?")
        await chat.settle()
        assert "timeout" in chat.pane.status_text and "ctrl+r" in chat.pane.status_text
        assert chat.messages()[-1].status == "draft"
        # The retry gets a generous timeout: 1 s is too short for a loaded machine.
        monkeypatch.setattr(claude, "CLIENT_OPTIONS", {"max_retries": 0, "timeout": 30.0})
        await chat.pilot.press("ctrl+r")
        await chat.settle()
        assert [m.status for m in chat.messages()] == ["complete", "complete"]


async def test_quitting_mid_stream_leaves_a_consistent_database(
    fake_claude: FakeClaude, ponder_home
) -> None:
    fake_claude.queue(Reply.tokens(500, tokens_per_second=80))
    library = Library()
    async with open_chat(library=library) as chat:
        await chat.ask("Long one")
        await wait_until(
            chat.pilot,
            lambda: chat.answers() and len(chat.answers()[0].markdown.source) > 20,
            timeout=10,
        )
        chat.app.exit()
    path = ponder_home / "ponder.db"
    candidates = [path] if path.exists() else list(ponder_home.glob("*.db"))
    conn = sqlite3.connect(candidates[0])
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    rows = conn.execute("SELECT role, status, content FROM chat_messages ORDER BY id").fetchall()
    conn.close()
    assert [(role, status) for role, status, _ in rows] == [
        ("user", "complete"),
        ("assistant", "stopped"),
    ]
    assert len(rows[1][2]) >= 20


# -- untrusted output -----------------------------------------------------------------------


async def test_model_output_is_never_markup_and_escapes_are_inert(
    fake_claude: FakeClaude,
) -> None:
    hostile = "[bold]B[/] [@click=app.quit]Q[/] \x1b[31mred\x1b]52;c;AAAA\x07 stray [/]"
    fake_claude.queue(Reply.text(hostile))
    async with open_chat() as chat:
        await chat.ask("Say something odd")
        await chat.settle()
        (answer,) = chat.answers()
        assert "\x1b" not in answer.markdown.source and "␛" in answer.markdown.source
        shown = chat.text()
        assert "[bold]B[/]" in shown and "[@click=app.quit]Q[/]" in shown
        assert "\x1b" not in shown and "\x07" not in shown
        assert chat.messages()[-1].content == hostile  # stored verbatim
        assert chat.app.is_running
        # Copy gives the inert text too.
        answer.focus()
        await chat.pilot.press("c")
        assert "\x1b" not in (chat.app.clipboard or "")


def test_stored_answers_render_like_streamed_ones() -> None:
    from core.chat.models import Citation

    citation = Citation(3, 4, "x", "00:00:09", start=0, end=5)
    assert answer_markdown("Hello world", [citation]) == (
        "Hello [\\[00:00:09\\]](ponder-cite:3-4) world"
    )
    assert answer_markdown("\x1b[1m", []) == "␛[1m"
    assert parse_citation_href("https://example.com") is None


# -- editing the dialogue -------------------------------------------------------------------


async def test_edit_an_earlier_question_and_regenerate_from_there(
    fake_claude: FakeClaude,
) -> None:
    async with open_chat() as chat:
        await chat.ask("First question")
        await chat.settle()
        await chat.ask("Second question")
        await chat.settle()
        assert len(chat.messages()) == 4
        first_question = chat.pane.message_views()[0]
        first_question.focus()
        await chat.pilot.press("e")
        assert chat.pane.input.has_focus and chat.pane.input.text == "First question"
        assert "drops the 3 messages" in chat.pane.status_text
        chat.pane.input.load_text("First question, rephrased")
        await chat.pilot.press("enter")
        await chat.settle()
        stored = chat.messages()
        assert (stored[0].role, stored[0].content) == (
            "user",
            "First question, rephrased",
        )
        assert len(stored) == 2 and stored[0].id == first_question.message_id
        body = fake_claude.last_body
        assert body["messages"][-1]["content"][-1]["text"] == "First question, rephrased"
        assert len(chat.pane.message_views()) == 2


async def test_regenerate_an_answer_and_delete_a_turn(fake_claude: FakeClaude) -> None:
    fake_claude.queue(Reply.text("Answer one."), Reply.text("Answer two."))
    async with open_chat() as chat:
        await chat.ask("Q1")
        await chat.settle()
        await chat.ask("Q2")
        await chat.settle()
        first_answer = chat.answers()[0]
        first_answer.focus()
        fake_claude.queue(Reply.text("Answer one, again."))
        await chat.pilot.press("r")
        await chat.settle()
        assert [m.content for m in chat.messages()] == ["Q1", "Answer one, again."]
        assert "1 later messages removed" not in " ".join(chat.notes())
        await chat.ask("Q3")
        await chat.settle()
        assert len(chat.messages()) == 4
        chat.answers()[0].focus()
        await chat.pilot.press("x")
        await chat.pilot.pause()
        remaining = chat.messages()
        assert [m.role for m in remaining] == ["user", "assistant"]
        assert remaining[0].content == "Q3"
        assert len(chat.pane.message_views()) == 2


async def test_copy_an_answer_with_its_timestamps(fake_claude: FakeClaude) -> None:
    fake_claude.queue(Reply.text("Claim", Cite(0, 1, " here."), " End."))
    async with open_chat() as chat:
        await chat.ask("Copy me")
        await chat.settle()
        (answer,) = chat.answers()
        answer.focus()
        await chat.pilot.press("c")
        label = answer.message.citations[0].label
        assert chat.app.clipboard == f"Claim here. [{label}] End."
        assert any("Copied the answer" in note for note in chat.notes())


async def test_messages_are_reachable_by_keyboard(fake_claude: FakeClaude) -> None:
    fake_claude.queue(Reply.text("One."), Reply.text("Two."))
    async with open_chat() as chat:
        await chat.ask("Q1")
        await chat.settle()
        await chat.ask("Q2")
        await chat.settle()
        views = chat.pane.message_views()
        chat.pane.focus_input()
        await chat.pilot.press("shift+tab")
        assert chat.screen.focused is views[-1]
        await chat.pilot.press("k", "k")
        assert chat.screen.focused is views[-3]
        await chat.pilot.press("j")
        assert chat.screen.focused is views[-2]
        footer_keys = {b.binding.action for b in chat.screen.active_bindings.values()}
        assert {"copy", "delete_turn", "regenerate"} <= footer_keys
        await chat.pilot.press("tab")
        assert chat.screen.focused is views[-1]
        await chat.pilot.press("tab")
        assert chat.pane.input.has_focus
        await chat.pilot.press("tab")  # from the input: back to the last message
        assert chat.screen.focused is views[-1]
        chat.pane.focus_input()
        await chat.pilot.press("ctrl+w")  # leaves the chat
        assert chat.screen.transcript_view.has_focus


# -- conversations --------------------------------------------------------------------------


async def test_new_list_and_reopen_conversations(fake_claude: FakeClaude) -> None:
    fake_claude.queue(Reply.text("About the first."), Reply.text("About the second."))
    async with open_chat() as chat:
        await chat.ask("First conversation question")
        await chat.settle()
        first_id = chat.pane.conversation_id
        await chat.pilot.press("ctrl+n")
        assert chat.pane.conversation_id != first_id and not chat.pane.message_views()
        await chat.ask("Second conversation question")
        await chat.settle()
        second_id = chat.pane.conversation_id
        second_body = fake_claude.last_body
        assert [m["role"] for m in second_body["messages"]] == ["user"]  # a fresh history

        chat.screen.transcript_view.focus()
        await chat.pilot.press("L")
        await wait_until(chat.pilot, lambda: isinstance(chat.app.screen, ConversationsScreen))
        listing = chat.app.screen
        assert [c.id for c in listing.conversations] == [second_id, first_id]
        assert "First conversation question" in chat.text()
        await chat.pilot.press("j", "enter")
        await wait_until(chat.pilot, lambda: chat.app.screen is chat.screen)
        assert chat.pane.conversation_id == first_id
        contents = [v.message.content for v in chat.pane.message_views()]
        assert contents == ["First conversation question", "About the first."]

        # Delete the other one from the list (with confirmation); ctrl+l works while typing.
        chat.pane.focus_input()
        await chat.pilot.press("ctrl+l")
        await wait_until(chat.pilot, lambda: isinstance(chat.app.screen, ConversationsScreen))
        await chat.pilot.press("k", "d")
        await chat.pilot.pause()
        await chat.pilot.press("y")
        await chat.pilot.pause()
        listing = chat.app.screen
        assert isinstance(listing, ConversationsScreen)
        assert [c.id for c in listing.conversations] == [first_id]
        await chat.pilot.press("escape")
        assert chat.store.conversation(second_id) is None
        assert chat.pane.conversation_id == first_id


async def test_conversation_keys_work_from_the_chat_box_and_the_footer_says_which() -> None:
    from textual.widgets._footer import FooterKey

    def footer_keys(chat: Chat) -> set[str]:
        return {key.key for key in chat.screen.query(FooterKey)}

    async with open_chat() as chat:
        # In the question box, L types an L: the footer does not offer it (nor a, A, Q...),
        # it offers ctrl+l, and the pane's own lines name ctrl+l.
        chat.pane.focus_input()
        await wait_until(chat.pilot, lambda: "ctrl+l" in footer_keys(chat))
        keys = footer_keys(chat)
        assert not keys & {"L", "a", "A", "Q", "c", "y", "question_mark"}, keys
        assert "ctrl+l lists conversations" in chat.pane.usage_line
        await chat.pilot.press("L")
        assert chat.pane.input.text == "L"
        await chat.pilot.press("ctrl+l")
        await wait_until(chat.pilot, lambda: isinstance(chat.app.screen, ConversationsScreen))
        await chat.pilot.press("escape")
        await wait_until(chat.pilot, lambda: chat.app.screen is chat.screen)
        # On the transcript both keys list the conversations, and the footer shows L.
        chat.screen.transcript_view.focus()
        await wait_until(chat.pilot, lambda: "L" in footer_keys(chat))
        await chat.pilot.press("ctrl+l")
        await wait_until(chat.pilot, lambda: isinstance(chat.app.screen, ConversationsScreen))


async def test_reopening_the_study_screen_shows_the_latest_conversation(
    fake_claude: FakeClaude,
) -> None:
    fake_claude.queue(Reply.text("Kept **answer**", Cite(0, 1, " cited.")))
    library = Library()
    async with open_chat(library=library) as chat:
        await chat.ask("Remember me")
        await chat.settle()
        source_id = chat.source_id
        await chat.pilot.press("ctrl+w", "q")  # back to the library
        screen = StudyScreen(source_id)
        chat.app.push_screen(screen)
        await wait_until(chat.pilot, lambda: screen.query_one(ChatPane).message_views())
        pane = screen.query_one(ChatPane)
        await chat.pilot.pause()
        question, answer = pane.message_views()
        assert question.message.content == "Remember me"
        assert isinstance(answer, AnswerView)
        assert "Kept **answer** cited." in answer.markdown.source
        assert len(list(answer.query(CitationLink))) == 1
        assert len(fake_claude.message_requests) == 1


# -- study guides and ask-about-selection ---------------------------------------------------


async def test_a_guide_is_generated_saved_and_reopened_without_calling_claude(
    fake_claude: FakeClaude,
) -> None:
    fake_claude.queue(Reply.text("A pre-read:", Cite(0, 1, " the opening."), " Watch for X."))
    async with open_chat() as chat:
        await chat.pilot.press("1")
        await wait_until(chat.pilot, lambda: isinstance(chat.app.screen, GuideScreen))
        guide = chat.app.screen
        await wait_until(chat.pilot, lambda: "Saved as a note" in guide.status_text)
        assert len(fake_claude.message_requests) == 1
        body = fake_claude.last_body
        assert body["messages"][0]["content"][0]["type"] == "document"
        assert GUIDE_KINDS["preread"].request in body["messages"][0]["content"][-1]["text"]
        assert guide.markdown.source.startswith("A pre-read: the opening.")
        note = chat.store.guide(chat.source_id, "preread")
        assert note is not None and note.content == "A pre-read: the opening. Watch for X."
        await chat.pilot.press("escape")
        await wait_until(chat.pilot, lambda: chat.app.screen is chat.screen)

        # Reopen from the menu: the saved note, no request.
        await chat.pilot.press("ctrl+g")
        await wait_until(chat.pilot, lambda: isinstance(chat.app.screen, GuideMenuScreen))
        assert "saved" in chat.text()
        await chat.pilot.press("1")
        await wait_until(chat.pilot, lambda: isinstance(chat.app.screen, GuideScreen))
        guide = chat.app.screen
        await wait_until(chat.pilot, lambda: "Saved guide" in guide.status_text)
        assert guide.markdown.source.startswith("A pre-read: the opening.")
        assert len(fake_claude.message_requests) == 1
        # Its citation link jumps in the transcript.
        link = guide.query_one(CitationLink)
        link.focus()
        await chat.pilot.press("enter")
        await wait_until(chat.pilot, lambda: chat.app.screen is chat.screen)
        assert chat.screen.transcript_view.cursor == link.citation.first_segment

        # r writes it again (one more request), replacing the note.
        fake_claude.queue(Reply.text("A newer pre-read."))
        await chat.pilot.press("1")
        await wait_until(chat.pilot, lambda: isinstance(chat.app.screen, GuideScreen))
        guide = chat.app.screen
        await wait_until(chat.pilot, lambda: "Saved guide" in guide.status_text)
        await chat.pilot.press("r")
        await wait_until(chat.pilot, lambda: "Saved as a note" in guide.status_text)
        assert len(fake_claude.message_requests) == 2
        assert chat.store.guide(chat.source_id, "preread").content == "A newer pre-read."


@pytest.mark.parametrize("key", ["2", "3", "4", "5", "6"])
async def test_every_guide_key_asks_for_its_kind(fake_claude: FakeClaude, key: str) -> None:
    kind = list(GUIDE_KINDS.values())[int(key) - 1]
    async with open_chat() as chat:
        await chat.pilot.press(key)
        await wait_until(chat.pilot, lambda: isinstance(chat.app.screen, GuideScreen))
        guide = chat.app.screen
        await wait_until(chat.pilot, lambda: "Saved as a note" in guide.status_text)
        assert kind.request in fake_claude.last_body["messages"][0]["content"][-1]["text"]
        assert chat.store.guide(chat.source_id, kind.name) is not None


async def test_guide_without_a_key_explains_and_saves_nothing() -> None:
    async with open_chat() as chat:
        await chat.pilot.press("2")
        await wait_until(chat.pilot, lambda: isinstance(chat.app.screen, GuideScreen))
        guide = chat.app.screen
        await wait_until(chat.pilot, lambda: "No Anthropic API key" in guide.status_text)
        assert chat.store.guide(chat.source_id, "ideas") is None


async def test_ask_about_selection_sends_the_passage_as_focus(fake_claude: FakeClaude) -> None:
    async with open_chat() as chat:
        view = chat.screen.transcript_view
        await chat.pilot.press("j", "j", "v", "j")
        assert view.selected_range() is not None
        await chat.pilot.press("A")
        assert chat.pane.input.has_focus
        focus = chat.pane.pending_focus
        assert focus is not None and (focus.first_segment, focus.last_segment) == (2, 3)
        assert "seg 2" in focus.text and "seg 3" in focus.text
        assert "About [00:00:06–00:00:12]" in chat.text()
        await chat.pilot.press("enter")  # an empty question: "explain this passage"
        await chat.settle()
        question = chat.messages()[0]
        assert question.focus == focus
        sent = fake_claude.last_body["messages"][0]["content"][-1]["text"]
        assert "<passage>" in sent and "seg 2" in sent and "Explain this passage" in sent
        assert "About the passage" in chat.text()
