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
import sys
from collections.abc import Callable
from typing import Any

from tui.cli.common import CliError, id_option, open_library, out, parse_id, print_json

EXIT_INTERRUPTED = 130


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


def _write(text: str) -> None:
    from core.textsafe import inert

    sys.stdout.write(inert(text))
    sys.stdout.flush()


def _note(text: str) -> None:
    from core.textsafe import inert_line

    sys.stderr.write(f"ponder: {inert_line(text)}\n")
    sys.stderr.flush()


def _client(args: argparse.Namespace, config: Any) -> Any:
    from core.chat.client import ChatClient
    from core.chat.errors import ChatError

    options: dict[str, Any] = {"timeout": args.timeout}
    if args.model:
        options["model"] = args.model
    try:
        return ChatClient.from_config(config, **options)
    except ChatError as error:
        raise CliError(str(error)) from None


class _Output:
    """Whether answer text reached stdout (so an error line starts on a fresh line), and
    whether any arrived at all (so a stop says whether a partial answer was kept)."""

    wrote = False
    answered = False


async def _print_stream(events: Any) -> tuple[Any, Any]:
    """Write an event stream to stdout; returns the Done and Started events (or None)."""
    from core.chat.models import CitationEvent, Done, Notice, Started, TextDelta

    done = None
    started = None
    async for event in events:
        if isinstance(event, TextDelta):
            _Output.wrote = _Output.answered = True
            _write(event.text)
        elif isinstance(event, CitationEvent):
            _write(f" {event.citation.marker}")
        elif isinstance(event, Notice):
            _note(event.text)
        elif isinstance(event, Started):
            started = event
        elif isinstance(event, Done):
            done = event
    return done, started


def _stop_on_signals(stopped_by: list[int]) -> None:
    """SIGTERM and SIGHUP (a closed terminal, a `kill`) stop the answer as Ctrl+C does:
    the running task is cancelled, so the service stores what arrived as `stopped`."""
    import asyncio
    import contextlib
    import signal

    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    if task is None:
        return

    def stop(signum: int) -> None:
        stopped_by.append(signum)
        task.cancel()

    for signum in (signal.SIGTERM, signal.SIGHUP):
        # Not the main thread (tests calling main() from a worker): no handler, no harm.
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(signum, stop, signum)


def _end_partial_line() -> None:
    if _Output.wrote:
        sys.stdout.write("\n")
        sys.stdout.flush()
        _Output.wrote = False


def _finish_line(done: Any, config: Any) -> None:
    from core.chat.cost import estimate_cost, format_cost

    sys.stdout.write("\n")
    if done.stop_reason == "max_tokens":
        _note("the answer reached the length limit and was cut short.")
    cost = format_cost(estimate_cost(done.usage, done.model, config.prices))
    sys.stdout.write(f"cost: ~{cost} ({done.model})\n")
    sys.stdout.write(done.usage.line() + "\n")
    sys.stdout.flush()


def _run_stream(
    client: Any,
    make_events: Callable[[], Any],
    *,
    again: str,
    interrupts: tuple[type[BaseException], ...],
    on_stop: Callable[[list[int]], int],
) -> Any:
    """Stream `make_events()` to stdout, closing the client; one path for answers and
    guides. `interrupts` stop it: `on_stop(signals that stopped it)` gives the exit status."""
    import asyncio

    from core.chat.errors import ChatError

    stopped_by: list[int] = []

    async def run() -> tuple[Any, Any]:
        _stop_on_signals(stopped_by)
        try:
            return await _print_stream(make_events())
        finally:
            await client.aclose()

    try:
        done, _started = asyncio.run(run())
    except interrupts:
        _end_partial_line()
        return on_stop(stopped_by)
    except ChatError as error:
        _end_partial_line()
        hint = f" (retry: {again})" if error.retryable else ""
        raise CliError(f"{error}{hint}") from None
    if done is None:
        raise CliError("Claude sent no answer; retry.")
    return done


def run_answer(client: Any, make_events: Callable[[], Any], *, again: str) -> Any:
    """Stream an answer (`make_events()`) to stdout; returns its Done, or the exit status
    when Ctrl+C, SIGTERM or SIGHUP stopped it (the partial answer is kept). `again` is the
    command that sends the question again."""
    import asyncio

    def stopped(stopped_by: list[int]) -> int:
        if _Output.answered:
            _note(f"stopped; the partial answer is kept. Re-send with: {again}")
        else:
            _note(
                "stopped before any answer arrived; nothing was kept but your question. "
                f"Send it again with: {again}"
            )
        return 128 + stopped_by[0] if stopped_by else EXIT_INTERRUPTED

    _Output.answered = False
    return _run_stream(
        client,
        make_events,
        again=again,
        interrupts=(KeyboardInterrupt, asyncio.CancelledError),
        on_stop=stopped,
    )


def run_guide(client: Any, make_events: Callable[[], Any], *, again: str) -> Any:
    """Stream a study guide to stdout; returns its Done, or EXIT_INTERRUPTED when stopped
    (an interrupted guide is not saved)."""

    def stopped(_stopped_by: list[int]) -> int:
        _note("stopped; the guide was not saved.")
        return EXIT_INTERRUPTED

    return _run_stream(
        client, make_events, again=again, interrupts=(KeyboardInterrupt,), on_stop=stopped
    )


def require_resendable(store: Any, conversation_id: int, again: str) -> None:
    """Without a question, `ask` re-sends; there must be a pending or failed one."""
    if store.pending_question(conversation_id) is None:
        answers = [m for m in store.messages(conversation_id) if m.role == "assistant"]
        if not answers or answers[-1].status == "complete":
            raise CliError(f'nothing to re-send; ask a question: {again} "..."')


def client_keeping_question(
    args: argparse.Namespace, config: Any, store: Any, conversation_id: int, question: str | None
) -> Any:
    """The Claude client; without a usable key the question is kept as a draft that
    `ask` without a question sends later."""
    try:
        return _client(args, config)
    except CliError as error:
        if question is not None:
            draft = store.add_user_message(conversation_id, question)
            reason = "malformed API key" if "malformed" in str(error) else "no API key"
            store.set_error(draft.id, f"Not sent: {reason}.")
        raise


def print_guide_kinds(saved_notes: Any) -> None:
    """One line a guide kind: saved when, or not written yet."""
    from core.chat.prompts import GUIDE_KINDS

    saved = {note.kind: note for note in saved_notes}
    for kind in GUIDE_KINDS.values():
        note = saved.get(kind.name)
        when = f"saved {note.created_at:%Y-%m-%d %H:%M}" if note else "not written yet"
        out(f"{kind.name:<11} {kind.title:<21} {when}")


def print_conversation_rows(store: Any, conversations: Any, prices: Any) -> None:
    """One line a conversation: id, last change, messages, cost, title."""
    from core.chat.cost import format_cost
    from core.textsafe import inert_line

    for conversation in conversations:
        cost = format_cost(store.conversation_cost(conversation.id, prices))
        out(
            f"{conversation.id:>4}  {conversation.updated_at:%Y-%m-%d %H:%M}  "
            f"{conversation.message_count:>3} msg  ~{cost:>7}  "
            f"{inert_line(conversation.title or '(empty)')}"
        )


# -- commands --------------------------------------------------------------------------------


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
    if question is not None and not question.strip():
        raise CliError("the question is empty")
    config = load()
    library = open_library()
    try:
        transcript = library.transcript(source_id)
        if transcript is None:
            raise CliError(f"no source with id {source_id} (see ponder list)")
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
        client = client_keeping_question(args, config, store, conversation.id, question)

        def events() -> Any:
            options = {
                "cursor_segment": library.cursor(source_id),
                "token_budget": args.budget or DEFAULT_TOKEN_BUDGET,
            }
            if question is None:
                from core.chat.service import retry

                return retry(store, client, transcript, conversation.id, **options)
            return ask(store, client, transcript, conversation.id, question, **options)

        done = run_answer(client, events, again=f"ponder ask {source_id}")
        if isinstance(done, int):
            return done
        _finish_line_with_cost(done, store, conversation.id, config, estimate_cost, format_cost)
    finally:
        library.close()
    return 0


def _finish_line_with_cost(
    done: Any, store: Any, conversation_id: int, config: Any, estimate: Any, fmt: Any
) -> None:
    sys.stdout.write("\n")
    if done.stop_reason == "max_tokens":
        _note("the answer reached the length limit and was cut short.")
    answer_cost = estimate(done.usage, done.model, config.prices)
    total = store.conversation_cost(conversation_id, config.prices)
    sys.stdout.write(f"cost: ~{fmt(answer_cost)} (conversation ~{fmt(total)}, {done.model})\n")
    sys.stdout.write(done.usage.line() + "\n")
    sys.stdout.flush()


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
    from core.chat.cost import format_cost
    from core.chat.models import render_with_citations
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
        if library.source(source_id) is None:
            raise CliError(f"no source with id {source_id} (see ponder list)")
        store = ConversationStore(library.conn)
        if args.show is not None:
            conversation = store.conversation(args.show)
            if conversation is None or conversation.source_id != source_id:
                raise CliError(f"no conversation {args.show} about source {source_id}")
            messages = store.messages(conversation.id)
            if args.json:
                data = conversation.to_dict()
                data["messages"] = [m.to_dict() for m in messages]
                print_json(data)
                return 0
            for message in messages:
                who = "you" if message.role == "user" else "claude"
                status = "" if message.status == "complete" else f" ({message.status})"
                out(f"## {who}{status}")
                out(render_with_citations(message.content, message.citations))
                if message.error:
                    out(f"[{inert_line(message.error)}]")
                out()
            out(
                f"{store.conversation_usage(conversation.id).line()}  cost: "
                f"~{format_cost(store.conversation_cost(conversation.id, config.prices))}"
            )
            return 0
        conversations = store.conversations(source_id)
        if args.json:
            rows = []
            for conversation in conversations:
                data = conversation.to_dict()
                data["usage"] = store.conversation_usage(conversation.id).to_dict()
                data["cost_usd"] = store.conversation_cost(conversation.id, config.prices)
                rows.append(data)
            print_json(rows)
            return 0
        if not conversations:
            out(f'No conversations yet. Ask something: ponder ask {source_id} "..."')
            return 0
        print_conversation_rows(store, conversations, config.prices)
    finally:
        library.close()
    return 0
