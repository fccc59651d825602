"""`ponder ask | guide | chats`: Claude about a transcript, from the shell.

`ask` streams the answer to stdout with citations as `[hh:mm:ss]`, stores it in the
source's latest conversation, and ends with `tokens: in=N out=N cache_write=N
cache_read=N`. Model output is untrusted: it goes through `inert` before the terminal.
Ctrl+C (or SIGTERM/SIGHUP) mid-answer keeps the partial answer (status stopped) and exits
130 (143/129); an error exits 1 with one line on stderr, and a question that could not be
sent stays a draft that `ponder ask ID` (without a question) sends again.
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
    passage_option,
    print_conversation,
    print_conversation_list,
    print_guide_kinds,
    require_resendable,
    run_answer,
    run_guide,
)
from tui.cli.common import CliError, id_option, open_library, out, parse_id


def register(subparsers: Any) -> None:
    ask = subparsers.add_parser(
        "ask",
        help="ask Claude about a source (streams the answer)",
        description="Ask Claude a question about a source's transcript. The answer streams "
        "to stdout with citations as [hh:mm:ss] and is saved in the source's latest "
        "conversation. Without a question, re-sends the last unanswered or failed one.",
    )
    ask.add_argument("source_id", metavar="SOURCE_ID", nargs="?")
    ask.add_argument("question", nargs="?", metavar="QUESTION")
    ask.add_argument(
        "--collection",
        metavar="NAME",
        help="ask about every transcript of a collection: ponder ask --collection NAME QUESTION",
    )
    ask.add_argument("--new", action="store_true", help="start a new conversation")
    ask.add_argument(
        "--passage",
        type=passage_option,
        metavar="SEGMENTS",
        help="the passage the question is about: segments 12 or 12-14 as the app numbers "
        "them (in a collection SOURCE_ID:12-14); with no question, Claude explains it",
    )
    ask.add_argument(
        "--conversation",
        type=id_option("conversation"),
        metavar="ID",
        help="continue this conversation instead",
    )
    _common_options(ask)
    ask.set_defaults(func=cmd_ask)

    guide = subparsers.add_parser(
        "guide",
        help="write (or show) a study guide for a source",
        description="Generate a study guide of one kind with Claude and save it as a note "
        "of the source: preread, ideas, vocabulary, references, people, questions. "
        "--show prints the saved one without calling Claude; without KIND, lists them.",
    )
    guide.add_argument("source_id", metavar="SOURCE_ID", nargs="?")
    guide.add_argument("kind", nargs="?", metavar="KIND")
    guide.add_argument(
        "--collection",
        metavar="NAME",
        help="a guide to a whole collection: ponder guide --collection NAME KIND",
    )
    guide.add_argument("--show", action="store_true", help="print the saved guide; no Claude")
    _common_options(guide)
    guide.set_defaults(func=cmd_guide)

    chats = subparsers.add_parser(
        "chats",
        help="list a source's conversations, or print one",
        description="List the conversations about a source with their cost estimate, or "
        "print one with --show.",
    )
    chats.add_argument("source_id", metavar="SOURCE_ID", nargs="?")
    chats.add_argument("--collection", metavar="NAME", help="a collection's conversations")
    chats.add_argument(
        "--show", type=id_option("conversation"), metavar="CONVERSATION_ID", help="print it"
    )
    chats.add_argument("--json", action="store_true", help="print JSON")
    chats.set_defaults(func=cmd_chats)


def _common_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", help="Claude model for this call (default: the setting)")
    parser.add_argument(
        "--timeout", type=float, default=60.0, metavar="S", help="seconds without data (60)"
    )
    parser.add_argument(
        "--budget",
        type=int,
        default=None,
        metavar="TOKENS",
        help="most transcript tokens to send; longer ones send the part around the cursor",
    )


# -- helpers ---------------------------------------------------------------------------------


def _source_id(text: str | None) -> int:
    if text is None:
        raise CliError("give a SOURCE_ID (see ponder list) or --collection NAME")
    return parse_id(text, "source", "see ponder list")


def _shift_for_collection(args: argparse.Namespace, second: str) -> None:
    """With --collection there is no SOURCE_ID: the first positional is the next one."""
    if args.source_id is not None and getattr(args, second) is not None:
        raise CliError(f"with --collection, give no SOURCE_ID (got {args.source_id!r})")
    if getattr(args, second) is None:
        setattr(args, second, args.source_id)
    args.source_id = None


def cmd_ask(args: argparse.Namespace) -> int:

    from core.chat.cost import estimate_cost, format_cost
    from core.chat.service import DEFAULT_TOKEN_BUDGET, ask
    from core.chat.store import ConversationStore
    from core.config import load

    if args.collection is not None:
        from tui.cli.collection_chat import cmd_ask_collection

        _shift_for_collection(args, "question")
        return cmd_ask_collection(args)
    source_id = _source_id(args.source_id)
    question = args.question
    if question is not None and not question.strip() and args.passage is None:
        raise CliError("the question is empty")
    config = load()
    library = open_library()
    try:
        transcript = library.transcript(source_id)
        if transcript is None:
            raise CliError(f"no source with id {source_id} (see ponder list)")
        focus = None
        if args.passage is not None:
            if args.passage[0] not in (None, source_id):
                raise CliError(f"--passage names source {args.passage[0]}, not {source_id}")
            focus = passage_focus(transcript, args.passage)
            question = question or ""  # a passage alone: Claude explains it
        store = ConversationStore(library.conn)
        if args.conversation is not None:
            conversation = store.conversation(args.conversation)
            if conversation is None or conversation.source_id != source_id:
                raise CliError(
                    f"no conversation {args.conversation} about source {source_id} "
                    f"(see ponder chats {source_id})"
                )
        elif args.new:
            conversation = store.create(source_id)
        else:
            conversation = store.latest_or_create(source_id)
        if question is None:
            require_resendable(store, conversation.id, f"ponder ask {source_id}")
        client = client_keeping_question(args, config, store, conversation.id, question, focus)

        def events() -> Any:
            options: dict[str, Any] = {
                "cursor_segment": library.cursor(source_id),
                "token_budget": args.budget or DEFAULT_TOKEN_BUDGET,
            }
            if question is None:
                from core.chat.service import retry

                return retry(store, client, transcript, conversation.id, **options)
            return ask(store, client, transcript, conversation.id, question, focus=focus, **options)

        done = run_answer(client, events, again=f"ponder ask {source_id}")
        if isinstance(done, int):
            return done
        _finish_line_with_cost(done, store, conversation.id, config, estimate_cost, format_cost)
    finally:
        library.close()
    return 0


def cmd_guide(args: argparse.Namespace) -> int:

    from core.chat.models import render_with_citations
    from core.chat.prompts import guide_kind
    from core.chat.service import DEFAULT_TOKEN_BUDGET, generate_guide
    from core.chat.store import ConversationStore
    from core.config import load

    if args.collection is not None:
        from tui.cli.collection_chat import cmd_guide_collection

        _shift_for_collection(args, "kind")
        return cmd_guide_collection(args)
    source_id = _source_id(args.source_id)
    library = open_library()
    try:
        transcript = library.transcript(source_id)
        if transcript is None:
            raise CliError(f"no source with id {source_id} (see ponder list)")
        store = ConversationStore(library.conn)
        if args.kind is None:
            print_guide_kinds(store.guides(source_id))
            return 0
        try:
            kind = guide_kind(args.kind)
        except KeyError as error:
            raise CliError(str(error.args[0])) from None
        if args.show:
            note = store.guide(source_id, kind.name)
            if note is None:
                raise CliError(
                    f"no saved {kind.name} guide for source {source_id}; write it with: "
                    f"ponder guide {source_id} {kind.name}"
                )
            out(render_with_citations(note.content, note.citations))
            return 0
        config = load()
        client = _client(args, config)

        done = run_guide(
            client,
            lambda: generate_guide(
                store,
                client,
                transcript,
                kind.name,
                cursor_segment=library.cursor(source_id),
                token_budget=args.budget or DEFAULT_TOKEN_BUDGET,
            ),
            again=f"ponder guide {source_id} {kind.name}",
        )
        if isinstance(done, int):
            return done
        _finish_line(done, config)
    finally:
        library.close()
    return 0


def cmd_chats(args: argparse.Namespace) -> int:
    from functools import partial

    from core.chat.service import focus_span
    from core.chat.store import ConversationStore
    from core.config import load
    from core.textsafe import inert_line

    if args.collection is not None:
        from tui.cli.collection_chat import cmd_chats_collection

        if args.source_id is not None:
            raise CliError(f"with --collection, give no SOURCE_ID (got {args.source_id!r})")
        return cmd_chats_collection(args)
    source_id = _source_id(args.source_id)
    config = load()
    library = open_library()
    try:
        source = library.source(source_id)
        if source is None:
            raise CliError(f"no source with id {source_id} (see ponder list)")
        store = ConversationStore(library.conn)
        if args.show is not None:
            conversation = store.conversation(args.show)
            if conversation is None or conversation.source_id != source_id:
                raise CliError(f"no conversation {args.show} about source {source_id}")
            transcript = library.transcript(source_id)
            print_conversation(
                store,
                conversation,
                config.prices,
                about=f"source {source_id} “{inert_line(source.title)}”",
                label_for=partial(focus_span, transcript) if transcript else lambda _f: None,
                as_json=args.json,
            )
            return 0
        print_conversation_list(
            store,
            store.conversations(source_id),
            config.prices,
            empty=f'No conversations yet. Ask something: ponder ask {source_id} "..."',
            as_json=args.json,
        )
    finally:
        library.close()
    return 0
