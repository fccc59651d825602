"""The conversation repository: conversations, their messages, and saved study guides.

A thin layer over SQL; every public method that writes is one transaction. Answers are
written while they stream (`save_partial`), so a crash or a kill keeps what arrived; a
message left `streaming` by a process that no longer exists is marked `stopped` when a
store is opened.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable
from datetime import datetime

from core.chat.models import (
    ChatMessage,
    Citation,
    Conversation,
    Focus,
    GuideNote,
    Usage,
)
from core.clock import now as utc_now
from core.db import transaction

TITLE_LENGTH = 60
ENDED_STATUSES = ("complete", "stopped", "error")


def _now() -> str:
    """UTC in one fixed-width format, so comparing the text compares the times."""
    return utc_now().strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


def _citations_json(citations: Iterable[Citation]) -> str:
    return json.dumps([c.to_dict() for c in citations], ensure_ascii=False)


def _citations_from(text: str | None) -> list[Citation]:
    try:
        return [Citation.from_dict(item) for item in json.loads(text or "[]")]
    except (ValueError, KeyError, TypeError):
        return []


def _message_from_row(row: sqlite3.Row) -> ChatMessage:
    focus = None
    if row["focus"]:
        try:
            focus = Focus.from_dict(json.loads(row["focus"]))
        except (ValueError, KeyError, TypeError):
            focus = None
    return ChatMessage(
        id=row["id"],
        conversation_id=row["conversation_id"],
        role=row["role"],
        content=row["content"],
        status=row["status"],
        citations=_citations_from(row["citations"]),
        focus=focus,
        error=row["error"],
        model=row["model"],
        usage=Usage(
            row["input_tokens"],
            row["output_tokens"],
            row["cache_write_tokens"],
            row["cache_read_tokens"],
        ),
        created_at=datetime.fromisoformat(row["created_at"]),
        updated_at=datetime.fromisoformat(row["updated_at"]),
    )


def _conversation_from_row(row: sqlite3.Row) -> Conversation:
    first, last = row["doc_first_segment"], row["doc_last_segment"]
    return Conversation(
        id=row["id"],
        source_id=row["source_id"],
        title=row["title"],
        created_at=datetime.fromisoformat(row["created_at"]),
        updated_at=datetime.fromisoformat(row["updated_at"]),
        window=(first, last) if first is not None and last is not None else None,
        message_count=row["message_count"],
        collection_id=row["collection_id"],
    )


def _guide_from_row(row: sqlite3.Row) -> GuideNote:
    keys = row.keys()
    return GuideNote(
        source_id=row["source_id"] if "source_id" in keys else None,
        collection_id=row["collection_id"] if "collection_id" in keys else None,
        kind=row["kind"],
        content=row["content"],
        citations=_citations_from(row["citations"]),
        model=row["model"],
        usage=Usage(
            row["input_tokens"],
            row["output_tokens"],
            row["cache_write_tokens"],
            row["cache_read_tokens"],
        ),
        created_at=datetime.fromisoformat(row["created_at"]),
    )


def _pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def title_from(question: str) -> str:
    """A conversation title from its first question: one line, at most 60 characters."""
    line = " ".join(question.split())
    return line if len(line) <= TITLE_LENGTH else line[: TITLE_LENGTH - 1].rstrip() + "…"


class ConversationStore:
    """Conversations and guide notes of the sources in one database."""

    def __init__(self, conn: sqlite3.Connection, *, recover: bool = True) -> None:
        self.conn = conn
        if recover:
            self.recover_interrupted()

    # -- conversations ---------------------------------------------------------------

    _CONVERSATION_SELECT = (
        "SELECT c.*, (SELECT COUNT(*) FROM chat_messages m WHERE m.conversation_id = c.id)"
        " AS message_count FROM conversations c"
    )

    def conversations(self, source_id: int) -> list[Conversation]:
        """The source's conversations, most recently active first."""
        return self._conversations_where("source_id", source_id)

    def _conversations_where(self, column: str, value: int) -> list[Conversation]:
        """Conversations whose `column` (source_id or collection_id, never user text) is
        `value`, most recently active first."""
        rows = self.conn.execute(
            f"{self._CONVERSATION_SELECT} WHERE c.{column} = ?"
            " ORDER BY c.updated_at DESC, c.id DESC",
            (value,),
        )
        return [_conversation_from_row(row) for row in rows]

    def conversation(self, conversation_id: int) -> Conversation | None:
        row = self.conn.execute(
            f"{self._CONVERSATION_SELECT} WHERE c.id = ?", (conversation_id,)
        ).fetchone()
        return _conversation_from_row(row) if row else None

    def create(self, source_id: int, title: str = "") -> Conversation:
        return self._insert_conversation("source_id", source_id, title)

    def _insert_conversation(self, column: str, value: int, title: str) -> Conversation:
        """A new conversation about `column` (source_id or collection_id) = `value`."""
        stamp = _now()
        with transaction(self.conn):
            cursor = self.conn.execute(
                f"INSERT INTO conversations ({column}, title, created_at, updated_at)"
                " VALUES (?, ?, ?, ?)",
                (value, title_from(title) if title else "", stamp, stamp),
            )
        conversation = self.conversation(int(cursor.lastrowid or 0))
        assert conversation is not None
        return conversation

    def latest_or_create(self, source_id: int) -> Conversation:
        """The source's most recently active conversation, or a new empty one."""
        found = self.conversations(source_id)
        return found[0] if found else self.create(source_id)

    # -- conversations about a collection ----------------------------------------------

    def collection_conversations(self, collection_id: int) -> list[Conversation]:
        """The collection's conversations, most recently active first."""
        return self._conversations_where("collection_id", collection_id)

    def create_for_collection(self, collection_id: int, title: str = "") -> Conversation:
        return self._insert_conversation("collection_id", collection_id, title)

    def latest_or_create_for_collection(self, collection_id: int) -> Conversation:
        """The collection's most recently active conversation, or a new empty one."""
        found = self.collection_conversations(collection_id)
        return found[0] if found else self.create_for_collection(collection_id)

    def rename(self, conversation_id: int, title: str) -> None:
        with transaction(self.conn):
            self.conn.execute(
                "UPDATE conversations SET title = ? WHERE id = ?",
                (title_from(title), conversation_id),
            )

    def delete_conversation(self, conversation_id: int) -> bool:
        with transaction(self.conn):
            cursor = self.conn.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))
        return cursor.rowcount > 0

    def set_window(self, conversation_id: int, window: tuple[int, int] | None) -> None:
        """Remember the transcript excerpt this conversation sends (None = whole)."""
        first, last = window if window else (None, None)
        with transaction(self.conn):
            self.conn.execute(
                "UPDATE conversations SET doc_first_segment = ?, doc_last_segment = ? WHERE id = ?",
                (first, last, conversation_id),
            )

    def _touch(self, conversation_id: int, stamp: str) -> None:
        self.conn.execute(
            "UPDATE conversations SET updated_at = ? WHERE id = ?", (stamp, conversation_id)
        )

    # -- messages ----------------------------------------------------------------------

    def messages(self, conversation_id: int) -> list[ChatMessage]:
        rows = self.conn.execute(
            "SELECT * FROM chat_messages WHERE conversation_id = ? ORDER BY id",
            (conversation_id,),
        )
        return [_message_from_row(row) for row in rows]

    def message(self, message_id: int) -> ChatMessage | None:
        row = self.conn.execute(
            "SELECT * FROM chat_messages WHERE id = ?", (message_id,)
        ).fetchone()
        return _message_from_row(row) if row else None

    def add_user_message(
        self,
        conversation_id: int,
        text: str,
        *,
        focus: Focus | None = None,
        status: str = "draft",
    ) -> ChatMessage:
        """Store a question (a draft until it has been sent); the first one titles the chat."""
        stamp = _now()
        with transaction(self.conn):
            cursor = self.conn.execute(
                "INSERT INTO chat_messages (conversation_id, role, content, focus, status,"
                " created_at, updated_at) VALUES (?, 'user', ?, ?, ?, ?, ?)",
                (
                    conversation_id,
                    text,
                    json.dumps(focus.to_dict(), ensure_ascii=False) if focus else None,
                    status,
                    stamp,
                    stamp,
                ),
            )
            self.conn.execute(
                "UPDATE conversations SET title = ? WHERE id = ? AND title = ''",
                (title_from(text), conversation_id),
            )
            self._touch(conversation_id, stamp)
        found = self.message(int(cursor.lastrowid or 0))
        assert found is not None
        return found

    def set_error(self, message_id: int, error: str | None) -> None:
        """Note why a draft question was not sent (shown next to it)."""
        with transaction(self.conn):
            self.conn.execute(
                "UPDATE chat_messages SET error = ?, updated_at = ? WHERE id = ?",
                (error, _now(), message_id),
            )

    def mark_sent(self, conversation_id: int) -> None:
        """Every draft question of the conversation has now been sent to Claude."""
        with transaction(self.conn):
            self.conn.execute(
                "UPDATE chat_messages SET status = 'complete', error = NULL, updated_at = ?"
                " WHERE conversation_id = ? AND role = 'user' AND status = 'draft'",
                (_now(), conversation_id),
            )

    def pending_question(self, conversation_id: int) -> ChatMessage | None:
        """The last question if no answer follows it (a draft, or sent but unanswered)."""
        messages = self.messages(conversation_id)
        if messages and messages[-1].role == "user":
            return messages[-1]
        return None

    def start_assistant_message(self, conversation_id: int, model: str) -> ChatMessage:
        """An empty answer in status `streaming`, owned by this process."""
        stamp = _now()
        with transaction(self.conn):
            cursor = self.conn.execute(
                "INSERT INTO chat_messages (conversation_id, role, content, status, model,"
                " owner_pid, created_at, updated_at)"
                " VALUES (?, 'assistant', '', 'streaming', ?, ?, ?, ?)",
                (conversation_id, model, os.getpid(), stamp, stamp),
            )
            self._touch(conversation_id, stamp)
        found = self.message(int(cursor.lastrowid or 0))
        assert found is not None
        return found

    def save_partial(self, message_id: int, text: str, citations: Iterable[Citation]) -> None:
        """Store the answer so far (called every half second or so while streaming)."""
        with transaction(self.conn):
            self.conn.execute(
                "UPDATE chat_messages SET content = ?, citations = ?, updated_at = ?"
                " WHERE id = ? AND status = 'streaming'",
                (text, _citations_json(citations), _now(), message_id),
            )

    def append_assistant_text(self, message_id: int, text: str) -> None:
        """Add text to a streaming answer (for callers that store fragment by fragment)."""
        with transaction(self.conn):
            self.conn.execute(
                "UPDATE chat_messages SET content = content || ?, updated_at = ?"
                " WHERE id = ? AND status = 'streaming'",
                (text, _now(), message_id),
            )

    def finish_assistant_message(
        self,
        message_id: int,
        *,
        text: str,
        citations: Iterable[Citation] = (),
        status: str = "complete",
        usage: Usage | None = None,
        error: str | None = None,
        model: str | None = None,
    ) -> None:
        """Close an answer: complete, stopped (interrupted) or error (partial text kept)."""
        if status not in ENDED_STATUSES:
            raise ValueError(f"finish status must be one of {ENDED_STATUSES}, not {status!r}")
        usage = usage or Usage()
        stamp = _now()
        with transaction(self.conn):
            self.conn.execute(
                "UPDATE chat_messages SET content = ?, citations = ?, status = ?, error = ?,"
                " model = COALESCE(?, model), input_tokens = ?, output_tokens = ?,"
                " cache_write_tokens = ?, cache_read_tokens = ?, owner_pid = NULL,"
                " updated_at = ? WHERE id = ?",
                (
                    text,
                    _citations_json(citations),
                    status,
                    error,
                    model,
                    usage.input_tokens,
                    usage.output_tokens,
                    usage.cache_write_tokens,
                    usage.cache_read_tokens,
                    stamp,
                    message_id,
                ),
            )
            self.conn.execute(
                "UPDATE conversations SET updated_at = ? WHERE id ="
                " (SELECT conversation_id FROM chat_messages WHERE id = ?)",
                (stamp, message_id),
            )

    def recover_interrupted(self) -> int:
        """Mark answers left `streaming` by a dead process as stopped; returns how many."""
        rows = self.conn.execute(
            "SELECT id, owner_pid FROM chat_messages WHERE status = 'streaming'"
        ).fetchall()
        dead = [row["id"] for row in rows if not _pid_alive(row["owner_pid"])]
        if dead:
            with transaction(self.conn):
                self.conn.executemany(
                    "UPDATE chat_messages SET status = 'stopped', owner_pid = NULL,"
                    " error = COALESCE(error, 'Interrupted: Ponder stopped while this answer"
                    " was arriving.') WHERE id = ? AND status = 'streaming'",
                    [(message_id,) for message_id in dead],
                )
        return len(dead)

    def edit_user_message_and_truncate(self, message_id: int, text: str) -> ChatMessage:
        """Change an earlier question and drop everything after it; it becomes a draft to send.

        Raises ValueError if the message is not a question.
        """
        message = self.message(message_id)
        if message is None or message.role != "user":
            raise ValueError("Only a question can be edited.")
        stamp = _now()
        with transaction(self.conn):
            self.conn.execute(
                "DELETE FROM chat_messages WHERE conversation_id = ? AND id > ?",
                (message.conversation_id, message_id),
            )
            self.conn.execute(
                "UPDATE chat_messages SET content = ?, status = 'draft', error = NULL,"
                " updated_at = ? WHERE id = ?",
                (text, stamp, message_id),
            )
            self._touch(message.conversation_id, stamp)
        edited = self.message(message_id)
        assert edited is not None
        return edited

    def truncate_after(self, message_id: int) -> int:
        """Delete every message after this one (to regenerate an answer); returns how many."""
        message = self.message(message_id)
        if message is None:
            return 0
        with transaction(self.conn):
            cursor = self.conn.execute(
                "DELETE FROM chat_messages WHERE conversation_id = ? AND id > ?",
                (message.conversation_id, message_id),
            )
        return cursor.rowcount

    def delete_turn(self, message_id: int) -> list[int]:
        """Delete a question with its answer (given either); returns the ids deleted."""
        message = self.message(message_id)
        if message is None:
            return []
        messages = self.messages(message.conversation_id)
        position = next(i for i, m in enumerate(messages) if m.id == message_id)
        if message.role == "assistant":
            asked = position > 0 and messages[position - 1].role == "user"
            start = position - 1 if asked else position
            end = position
        else:
            start = position
            end = position
            while end + 1 < len(messages) and messages[end + 1].role == "assistant":
                end += 1
        doomed = [m.id for m in messages[start : end + 1]]
        with transaction(self.conn):
            self.conn.executemany("DELETE FROM chat_messages WHERE id = ?", [(i,) for i in doomed])
        return doomed

    # -- usage and cost ---------------------------------------------------------------

    def conversation_usage(self, conversation_id: int) -> Usage:
        row = self.conn.execute(
            "SELECT COALESCE(SUM(input_tokens), 0), COALESCE(SUM(output_tokens), 0),"
            " COALESCE(SUM(cache_write_tokens), 0), COALESCE(SUM(cache_read_tokens), 0)"
            " FROM chat_messages WHERE conversation_id = ?",
            (conversation_id,),
        ).fetchone()
        return Usage(*row)

    def conversation_cost(
        self, conversation_id: int, prices: dict[str, dict[str, float]]
    ) -> float | None:
        """Estimated USD spent on this conversation; None if no model in it has a price."""
        from core.chat.cost import estimate_cost

        rows = self.conn.execute(
            "SELECT model, SUM(input_tokens), SUM(output_tokens), SUM(cache_write_tokens),"
            " SUM(cache_read_tokens) FROM chat_messages"
            " WHERE conversation_id = ? AND role = 'assistant' GROUP BY model",
            (conversation_id,),
        ).fetchall()
        total: float | None = None
        for model, *counts in rows:
            cost = estimate_cost(Usage(*(int(c or 0) for c in counts)), model or "", prices)
            if cost is not None:
                total = (total or 0.0) + cost
        return total if total is not None else (0.0 if not rows else None)

    # -- study guides -----------------------------------------------------------------

    def _write_guide(
        self,
        table: str,
        owner: str,
        owner_id: int,
        kind: str,
        text: str,
        citations: Iterable[Citation],
        model: str | None,
        usage: Usage | None,
    ) -> None:
        """Store (or replace) a guide note of a source or a collection (one SQL for both)."""
        usage = usage or Usage()
        with transaction(self.conn):
            self.conn.execute(
                f"INSERT OR REPLACE INTO {table} ({owner}, kind, content, citations, model,"
                " input_tokens, output_tokens, cache_write_tokens, cache_read_tokens,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    owner_id,
                    kind,
                    text,
                    _citations_json(citations),
                    model,
                    usage.input_tokens,
                    usage.output_tokens,
                    usage.cache_write_tokens,
                    usage.cache_read_tokens,
                    _now(),
                ),
            )

    def save_guide(
        self,
        source_id: int,
        kind: str,
        text: str,
        citations: Iterable[Citation] = (),
        *,
        model: str | None = None,
        usage: Usage | None = None,
    ) -> GuideNote:
        """Store (or replace) the source's study guide of this kind."""
        self._write_guide(
            "guide_notes", "source_id", source_id, kind, text, citations, model, usage
        )
        note = self.guide(source_id, kind)
        assert note is not None
        return note

    def guide(self, source_id: int, kind: str) -> GuideNote | None:
        row = self.conn.execute(
            "SELECT * FROM guide_notes WHERE source_id = ? AND kind = ?", (source_id, kind)
        ).fetchone()
        return _guide_from_row(row) if row else None

    def guides(self, source_id: int) -> list[GuideNote]:
        rows = self.conn.execute(
            "SELECT * FROM guide_notes WHERE source_id = ? ORDER BY created_at", (source_id,)
        )
        return [_guide_from_row(row) for row in rows]

    def delete_guide(self, source_id: int, kind: str) -> bool:
        with transaction(self.conn):
            cursor = self.conn.execute(
                "DELETE FROM guide_notes WHERE source_id = ? AND kind = ?", (source_id, kind)
            )
        return cursor.rowcount > 0

    # -- study guides of a collection ------------------------------------------------

    def save_collection_guide(
        self,
        collection_id: int,
        kind: str,
        text: str,
        citations: Iterable[Citation] = (),
        *,
        model: str | None = None,
        usage: Usage | None = None,
    ) -> GuideNote:
        """Store (or replace) the collection's study guide of this kind."""
        self._write_guide(
            "collection_guide_notes",
            "collection_id",
            collection_id,
            kind,
            text,
            citations,
            model,
            usage,
        )
        note = self.collection_guide(collection_id, kind)
        assert note is not None
        return note

    def collection_guide(self, collection_id: int, kind: str) -> GuideNote | None:
        row = self.conn.execute(
            "SELECT * FROM collection_guide_notes WHERE collection_id = ? AND kind = ?",
            (collection_id, kind),
        ).fetchone()
        return _guide_from_row(row) if row else None

    def collection_guides(self, collection_id: int) -> list[GuideNote]:
        rows = self.conn.execute(
            "SELECT * FROM collection_guide_notes WHERE collection_id = ? ORDER BY created_at",
            (collection_id,),
        )
        return [_guide_from_row(row) for row in rows]
