"""`ponder ask|guide|chats --collection NAME`: Claude about every transcript of a collection.

The same output as for one transcript (tui/cli/chat.py), with citations as
`[Title hh:mm:ss]`. Conversations and guides are saved with the collection. Over the
token budget a note on stderr says Claude sees only excerpts, and the answer ends by
naming them.
"""

from __future__ import annotations

import argparse
from typing import Any

from tui.cli.chat_stream import (
    _client,
    _finish_line,
    _finish_line_with_cost,
    client_keeping_question,
    passage_focus,
    print_conversation,
    print_conversation_list,
    print_guide_kinds,
    require_resendable,
    run_answer,
    run_guide,
)
from tui.cli.collections import require_collection
from tui.cli.common import CliError, open_library, out


def _members(library: Any, collection: Any) -> list[Any]:
    """The collection's transcripts, in its order; a one-line error when it is empty."""
    from core.textsafe import inert_line

    transcripts = [library.transcript(i) for i in collection.source_ids]
    found = [t for t in transcripts if t is not None]
    if not found:
        raise CliError(
            f"the collection {inert_line(collection.name)} has no transcripts; add some: "
            "ponder collection add NAME SOURCE_ID"
        )
    return found


def _quoted(name: str) -> str:
    from core.textsafe import inert_line

    return '"' + inert_line(name).replace('"', '\\"') + '"'


def _passage(transcripts: list[Any], passage: Any) -> Any:
    """--passage SOURCE_ID:FIRST[-LAST]: the Focus in that member of the collection."""
    source_id = passage[0]
    if source_id is None:
        raise CliError("with --collection, --passage names its transcript: SOURCE_ID:12-14")
    transcript = next((t for t in transcripts if t.source.id == source_id), None)
    if transcript is None:
        raise CliError(f"--passage: source {source_id} is not in this collection")
    return passage_focus(transcript, passage, source_id=source_id)


def cmd_ask_collection(args: argparse.Namespace) -> int:
    from core.chat.collection import ask_collection, retry_collection
    from core.chat.cost import estimate_cost, format_cost
    from core.chat.service import DEFAULT_TOKEN_BUDGET
    from core.chat.store import ConversationStore
    from core.config import load

    question = args.question
    if question is not None and not question.strip() and args.passage is None:
        raise CliError("the question is empty")
    config = load()
    library = open_library()
    try:
        collection = require_collection(library, args.collection)
        again = f"ponder ask --collection {_quoted(collection.name)}"
        transcripts = _members(library, collection)
        focus = None
        if args.passage is not None:
            focus = _passage(transcripts, args.passage)
            question = question or ""  # a passage alone: Claude explains it
        store = ConversationStore(library.conn)
        if args.conversation is not None:
            conversation = store.conversation(args.conversation)
            if conversation is None or conversation.collection_id != collection.id:
                raise CliError(
                    f"no conversation {args.conversation} about this collection "
                    f"(see ponder chats --collection {_quoted(collection.name)})"
                )
        elif args.new:
            conversation = store.create_for_collection(collection.id)
        else:
            conversation = store.latest_or_create_for_collection(collection.id)
        if question is None:
            require_resendable(store, conversation.id, again)
        client = client_keeping_question(args, config, store, conversation.id, question, focus)
        options: dict[str, Any] = {
            "where": library.conn,
            "token_budget": args.budget or DEFAULT_TOKEN_BUDGET,
        }

        def events() -> Any:
            if question is None:
                return retry_collection(store, client, transcripts, conversation.id, **options)
            return ask_collection(
                store, client, transcripts, conversation.id, question, focus=focus, **options
            )

        done = run_answer(client, events, again=again)
        if isinstance(done, int):
            return done
        _finish_line_with_cost(done, store, conversation.id, config, estimate_cost, format_cost)
    finally:
        library.close()
    return 0


def cmd_guide_collection(args: argparse.Namespace) -> int:
    from core.chat.collection import generate_collection_guide
    from core.chat.models import render_with_citations
    from core.chat.prompts import guide_kind
    from core.chat.service import DEFAULT_TOKEN_BUDGET
    from core.chat.store import ConversationStore
    from core.config import load

    library = open_library()
    try:
        collection = require_collection(library, args.collection)
        name = _quoted(collection.name)
        store = ConversationStore(library.conn)
        if args.kind is None:
            print_guide_kinds(store.collection_guides(collection.id))
            return 0
        try:
            kind = guide_kind(args.kind)
        except KeyError as error:
            raise CliError(str(error.args[0])) from None
        if args.show:
            note = store.collection_guide(collection.id, kind.name)
            if note is None:
                raise CliError(
                    f"no saved {kind.name} guide for this collection; write it with: "
                    f"ponder guide --collection {name} {kind.name}"
                )
            out(render_with_citations(note.content, note.citations))
            return 0
        transcripts = _members(library, collection)
        config = load()
        client = _client(args, config)

        done = run_guide(
            client,
            lambda: generate_collection_guide(
                store,
                client,
                collection.id,
                collection.name,
                transcripts,
                kind.name,
                where=library.conn,
                token_budget=args.budget or DEFAULT_TOKEN_BUDGET,
            ),
            again=f"ponder guide --collection {name} {kind.name}",
        )
        if isinstance(done, int):
            return done
        _finish_line(done, config)
    finally:
        library.close()
    return 0


def cmd_chats_collection(args: argparse.Namespace) -> int:
    from core.chat.collection import focus_labeller
    from core.chat.store import ConversationStore
    from core.config import load

    config = load()
    library = open_library()
    try:
        collection = require_collection(library, args.collection)
        store = ConversationStore(library.conn)
        if args.show is not None:
            conversation = store.conversation(args.show)
            if conversation is None or conversation.collection_id != collection.id:
                raise CliError(f"no conversation {args.show} about this collection")
            transcripts = [library.transcript(i) for i in collection.source_ids]
            print_conversation(
                store,
                conversation,
                config.prices,
                about=f"collection {_quoted(collection.name)}",
                label_for=focus_labeller([t for t in transcripts if t is not None]),
                as_json=args.json,
            )
            return 0
        print_conversation_list(
            store,
            store.collection_conversations(collection.id),
            config.prices,
            empty=f'No conversations yet: ponder ask --collection {_quoted(collection.name)} "..."',
            as_json=args.json,
        )
    finally:
        library.close()
    return 0
