"""Streaming Claude's answers to the terminal, shared by `ponder ask | guide | chats` for a
transcript (tui/cli/chat.py) and for a collection (tui/cli/collection_chat.py).

Model output is untrusted: it goes through `inert` before the terminal. Ctrl+C (or
SIGTERM/SIGHUP) mid-answer keeps the partial answer.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from tui.cli.common import CliError, out, print_json

EXIT_INTERRUPTED = 130


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
    args: argparse.Namespace,
    config: Any,
    store: Any,
    conversation_id: int,
    question: str | None,
    focus: Any = None,
) -> Any:
    """The Claude client; without a usable key the question (with its passage) is kept as
    a draft that `ask` without a question sends later."""
    try:
        return _client(args, config)
    except CliError as error:
        if question is not None:
            draft = store.add_user_message(conversation_id, question, focus=focus)
            reason = "malformed API key" if "malformed" in str(error) else "no API key"
            store.set_error(draft.id, f"Not sent: {reason}.")
        raise


Passage = tuple[int | None, int, int]
"""`--passage`: (source id or None, first segment, last segment), segments from 0."""


def passage_option(text: str) -> Passage:
    """argparse `type=` for `--passage`: `FIRST[-LAST]`, or `SOURCE_ID:FIRST[-LAST]`, with
    segments numbered from 1 as the app and `ponder search --json` number them."""
    import re

    match = re.fullmatch(r"\s*(?:(\d{1,12})\s*:\s*)?(\d{1,12})(?:\s*-\s*(\d{1,12}))?\s*", text)
    if match is None:
        raise argparse.ArgumentTypeError(
            f"not a passage: {text!r} (segments as the app numbers them: 12 or 12-14, "
            "after SOURCE_ID: in a collection, e.g. 3:12-14)"
        )
    source, first, last = match.groups()
    first_index = int(first) - 1
    last_index = int(last) - 1 if last else first_index
    return (int(source) if source else None, first_index, last_index)


def passage_focus(transcript: Any, passage: Passage, *, source_id: int | None = None) -> Any:
    """The Focus of whole segments `passage` names in `transcript` (`source_id` names the
    transcript in a collection); a one-line CliError when they are not in it."""
    from core.chat.focus import focus_from_selection

    _, first, last = passage
    count = len(transcript.segments)
    if not 0 <= first <= last < count:
        shown = f"{first + 1}" if first == last else f"{first + 1}-{last + 1}"
        raise CliError(
            f"--passage {shown}: source {transcript.source.id} has segments 1 to {count}"
            if count
            else f"--passage: source {transcript.source.id} has no segments"
        )
    focus = focus_from_selection(transcript, (first, last, None, None), first, "")
    assert focus is not None  # the transcript has segments
    if source_id is None:
        return focus
    from dataclasses import replace

    return replace(focus, source_id=source_id)


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


def print_conversation(
    store: Any,
    conversation: Any,
    prices: Any,
    *,
    about: str,
    label_for: Callable[[Any], str | None],
    as_json: bool = False,
) -> None:
    """`chats --show`, one layout for a transcript's and a collection's conversation: a
    title line (its title, what it is about, its id and last change), then each turn (a
    selected passage above its question), then the usage and cost. `label_for(focus)`
    says where a selected passage is."""
    from core.chat.cost import format_cost
    from core.chat.models import render_with_citations
    from core.textsafe import inert_line

    messages = store.messages(conversation.id)
    if as_json:
        data = conversation.to_dict()
        data["messages"] = [m.to_dict() for m in messages]
        print_json(data)
        return
    out(
        f"# {inert_line(conversation.title or '(untitled)')} — {about}, conversation "
        f"{conversation.id}, {conversation.updated_at:%Y-%m-%d %H:%M}"
    )
    out()
    for message in messages:
        who = "you" if message.role == "user" else "claude"
        status = "" if message.status == "complete" else f" ({message.status})"
        out(f"## {who}{status}")
        if message.focus is not None:
            where = label_for(message.focus)
            passage = inert_line(message.focus.text)
            out(f"> {where}: “{passage}”" if where else f"> “{passage}”")
        if message.content:
            out(render_with_citations(message.content, message.citations))
        if message.error:
            out(f"[{inert_line(message.error)}]")
        out()
    out(
        f"{store.conversation_usage(conversation.id).line()}  cost: "
        f"~{format_cost(store.conversation_cost(conversation.id, prices))}"
    )


def print_conversation_list(
    store: Any, conversations: Any, prices: Any, *, empty: str, as_json: bool = False
) -> None:
    """`chats`: one line a conversation (or, with --json, objects with usage and cost);
    `empty` is what to say when there is none."""
    if as_json:
        rows = []
        for conversation in conversations:
            data = conversation.to_dict()
            data["usage"] = store.conversation_usage(conversation.id).to_dict()
            data["cost_usd"] = store.conversation_cost(conversation.id, prices)
            rows.append(data)
        print_json(rows)
        return
    if not conversations:
        out(empty)
        return
    print_conversation_rows(store, conversations, prices)


# -- commands --------------------------------------------------------------------------------


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
