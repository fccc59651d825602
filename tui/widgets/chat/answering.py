"""Streaming an answer into the chat pane: the worker, its client, and its widgets.

A mixin of `ChatPane` (kept apart so the pane module stays about layout, syncing and
keys). The worker drives `core.chat.service.ask`, which stores the question's answer
as it arrives and as `stopped` when the worker is cancelled: this side only paints.
The answer's widgets are mounted when the question is sent (while the request travels),
text goes through a `MarkdownFeed`, and the bookkeeping (usage, title, footer) waits
until the final text has been painted.
"""

from __future__ import annotations

import asyncio
from contextlib import aclosing, suppress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from textual import work
from textual.widget import AwaitMount

from core.chat import service
from core.chat.errors import ChatError, NoApiKey
from core.chat.models import ChatMessage, CitationEvent, Done, Notice, Started, TextDelta
from core.textsafe import inert_line
from tui.context import ponder
from tui.widgets.chat.feed import MarkdownFeed
from tui.widgets.chat.messages import AnswerView, QuestionView
from tui.widgets.chat.sdk import defer_full_collections, load_sdk_once

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from core.chat.client import ChatClient
    from core.chat.models import ChatEvent
    from core.models import Transcript

IDLE_HINT = "Enter sends · ctrl+j new line · Tab to messages"


@dataclass
class _Live:
    """The answer being streamed right now."""

    conversation_id: int
    answer_id: int | None = None
    view: AnswerView | None = None
    feed: MarkdownFeed | None = None
    model: str = ""
    notices: list[str] = field(default_factory=list)


class AnswerStreaming:
    """The answering half of `ChatPane` (a mixin: it uses the pane's store, status line
    and message widgets): send, stream, stop, settle."""

    _waiting: AnswerView | None = None  # mounted at send, bound when Claude starts
    _waiting_mount: AwaitMount | None = None
    _first_frame: list[AwaitMount]
    _client: ChatClient | None = None

    def _start_answer(self, mounting: AwaitMount | None = None) -> None:
        """Show the question as sending and a waiting answer, then stream into it.

        `mounting` is the question's mount, if new: the worker waits for it and the
        answer's mount in one batch, so the screen shows them in one update (each update
        is a layout pass and a paint, taken from the stream)."""
        assert self.conversation_id is not None
        self._set_busy(True)
        self.last_error = None
        self.set_status("Sending to Claude…", "busy")
        self._set_sending(True)
        # The answer's widgets are mounted now, while the request travels, so the first
        # token does not wait for a mount.
        placeholder = ChatMessage(0, self.conversation_id, "assistant", "", "streaming")
        self._waiting = AnswerView(placeholder, self.prices)
        self._waiting.answering = True
        self._waiting_mount = self.log_view.mount(self._waiting)
        self._first_frame = [m for m in (mounting, self._waiting_mount) if m is not None]
        self.log_view.anchor()
        self._answer_worker(self.conversation_id)

    def answer_events(
        self, client: ChatClient, transcript: Transcript, conversation_id: int
    ) -> AsyncIterator[ChatEvent]:
        """The service call that answers the pending question (a collection's pane sends
        every transcript of the collection instead)."""
        return service.ask(
            self.store,
            client,
            transcript,
            conversation_id,
            None,
            cursor_segment=self.cursor_segment,
        )

    def _set_sending(self, sending: bool) -> None:
        """Drafts being sent are not shown as "not sent"."""
        for view in self._views.values():
            if isinstance(view, QuestionView) and (view.message.status == "draft" or not sending):
                view.set_sending(sending)

    def _drop_waiting(self) -> None:
        if self._waiting is not None:
            self._waiting.remove()
        self._waiting = None
        self._waiting_mount = None

    @work(exclusive=True, group="chat", exit_on_error=False)
    async def _answer_worker(self, conversation_id: int) -> None:
        """Stream one answer into the pane (the service stores it as it arrives, and as
        stopped when this worker is cancelled)."""
        live = _Live(conversation_id)
        client = None
        status = "error"
        first_frame, self._first_frame = self._first_frame, []
        try:
            if first_frame:
                # No screen updates until both are mounted (a second at most: the batch
                # holds every paint of the app).
                with self.app.batch_update(), suppress(TimeoutError):
                    async with asyncio.timeout(1.0):
                        for mounting in first_frame:
                            await mounting
                # Awaiting a mount again would lay the log out again.
                self._waiting_mount = None
            transcript = self.transcript()
            if transcript is None:
                raise ChatError("This transcript is no longer in the library.")
            try:
                client = await self._chat_client()
            except NoApiKey:
                service.hold_question(self.store, conversation_id, "no API key")
                raise
            await load_sdk_once()
            defer_full_collections.start()
            events = self.answer_events(client, transcript, conversation_id)
            async with aclosing(events) as stream:
                async for event in stream:
                    if isinstance(event, TextDelta):
                        if live.feed is not None:
                            await live.feed.text(event.text)
                    elif isinstance(event, CitationEvent):
                        if live.feed is not None and live.view is not None:
                            await live.feed.citation(event.citation)
                            live.view.add_citation(event.citation)
                    elif isinstance(event, Started):
                        await self._begin_answer(live, event)
                    elif isinstance(event, Notice):
                        live.notices.append(event.text)
                        self.notify(inert_line(event.text), markup=False, timeout=8)
                    elif isinstance(event, Done):
                        status = "complete"
            if live.feed is not None:
                await live.feed.close()
        except ChatError as error:
            self.last_error = error
            await self._close_feed(live)
            hint = " ctrl+r retries." if self.conversation_id == conversation_id else ""
            self.set_status(f"{error}{hint}", "error")
            self._resting_hint = isinstance(error, NoApiKey)  # refreshed once a key is set
        except ValueError as error:  # nothing to send, conversation gone
            await self._close_feed(live)
            self.set_status(str(error), "error")
        except asyncio.CancelledError:
            status = "stopped"
            if self.is_attached:
                self.set_status(
                    "Stopped: the partial answer is kept. ctrl+r or r on it answers again.",
                    "warning",
                )
            await self._close_feed(live)
            raise
        finally:
            if self.is_attached:
                self._drop_waiting()  # Claude never started: no answer to show
            if client is not None and not self.is_attached:
                await self._close_client()
            if self.is_attached:
                # Paint the final text first; the bookkeeping (usage, title, footer) after.
                self.call_after_refresh(self._after_stream, live, status)
            else:
                self._busy = False
                self._set_sending(False)
                defer_full_collections.end()

    async def _chat_client(self) -> ChatClient:
        """The pane's client, kept from one answer to the next so its connection is reused
        (no new TLS handshake, nor a new SSL context: 20-30 ms here, per question); a new
        one once the key, model, address or options change."""
        from tui.claude import chat_client

        fresh = chat_client(ponder(self).config)
        if self._client is not None and self._client.same_setup(fresh):
            return self._client
        await self._close_client()
        self._client = fresh
        return fresh

    async def _close_client(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            with suppress(Exception):
                await client.aclose()

    async def on_unmount(self) -> None:
        await self._close_client()

    def _after_stream(self, live: _Live, status: str) -> None:
        """Settle the pane after a stream: statuses, usage, keys; then it is idle again."""
        self._set_busy(False)
        defer_full_collections.end()
        self._set_sending(False)
        if status == "complete":
            self.set_status(live.notices[-1] if live.notices else IDLE_HINT)
        self.sync()
        self.post_message(self.AnswerFinished(live.answer_id, status))

    async def _begin_answer(self, live: _Live, event: Started) -> None:
        live.answer_id = event.message_id
        live.model = event.model
        message = self.store.message(event.message_id) if event.message_id else None
        view, mounting = self._waiting, self._waiting_mount
        self._waiting = self._waiting_mount = None
        if message is not None and view is not None:
            view.update_message(message)
            self._views[message.id] = view
        elif view is not None:
            view.remove()
            view = None
        if mounting is not None:
            await mounting  # the Markdown must be mounted before the stream writes to it
        self._refresh_questions()  # sent: no longer drafts
        if message is None:
            return
        if view is None:
            found = self._views.get(message.id)
            if not isinstance(found, AnswerView):
                return
            view = found
        live.view = view
        live.feed = view.start_feed()
        self.set_status("Claude is answering… Esc stops.", "busy")

    async def _close_feed(self, live: _Live) -> None:
        if live.feed is not None:
            with suppress(Exception):
                await live.feed.close()

    def stop(self) -> None:
        """Stop the answer being streamed; the service stores the partial answer as stopped."""
        self.workers.cancel_group(self, "chat")


__all__ = ["IDLE_HINT", "AnswerStreaming"]
