"""Chat streaming speed without a UI, and the prompt cache on a second question.

    /work/venv/bin/python benchmarks/bench_chat.py [--tokens 4000] [--runs 5]

Runs the fake Messages API (tests/fake_claude.py) on 127.0.0.1 and measures:
1. the server's ceiling: the SSE bytes of a 4,000-token answer read with plain httpx2;
2. `ChatClient.stream` drained through the real anthropic SDK (no storing);
3. `core.chat.service.ask` drained: SDK + citations + storing in SQLite (periodic saves);
4. a first and a second question on the same transcript: the request shape and the usage
   the fake server reports (the second reads the transcript from the cache).
The UI part (Markdown streaming) is measured by the UI benchmark on top of this baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.fake_claude import FAKE_API_KEY, FakeClaude, Reply  # noqa: E402


def talk(minutes: int = 60) -> Any:
    from core.models import Segment, Source, Transcript

    segments = []
    for i in range(minutes * 15):  # a caption every 4 s
        words = " ".join(f"idea{i % 97}" if j == 3 else f"word{j}" for j in range(11))
        segments.append(Segment(f"{words}.", i * 4.0, i * 4.0 + 4.0))
    return Transcript(Source(f"A {minutes}-minute talk", "bench"), segments)


def median_ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:8.1f} ms"


async def raw_ceiling(fake: FakeClaude, tokens: int, runs: int) -> list[float]:
    import httpx2

    body = {
        "model": "claude-sonnet-5-5",
        "max_tokens": 8192,
        "stream": True,
        "messages": [{"role": "user", "content": "q"}],
    }
    times = []
    async with httpx2.AsyncClient(timeout=30) as http:
        for _ in range(runs):
            fake.queue(Reply.tokens(tokens))
            started = time.perf_counter()
            size = 0
            async with http.stream("POST", f"{fake.base_url}/v1/messages", json=body) as response:
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
            times.append(time.perf_counter() - started)
    return times


async def sdk_drain(fake: FakeClaude, transcript: Any, tokens: int, runs: int) -> dict[str, Any]:
    from core.chat.client import ChatClient
    from core.chat.document import build_document
    from core.chat.models import TextDelta
    from core.chat.prompts import SYSTEM_PROMPT

    document = build_document(transcript)
    messages = [{"role": "user", "content": [document.block, {"type": "text", "text": "q"}]}]
    totals, firsts = [], []
    count = 0
    async with ChatClient(FAKE_API_KEY, max_retries=0) as client:
        for _ in range(runs):
            fake.queue(Reply.tokens(tokens))
            started = time.perf_counter()
            first = None
            count = 0
            async for event in client.stream(
                system=SYSTEM_PROMPT, messages=messages, max_tokens=8192
            ):
                if isinstance(event, TextDelta):
                    count += 1
                    if first is None:
                        first = time.perf_counter() - started
            totals.append(time.perf_counter() - started)
            firsts.append(first or 0.0)
    return {"total": totals, "first": firsts, "deltas": count}


async def ask_drain(fake: FakeClaude, transcript: Any, tokens: int, runs: int) -> dict[str, Any]:
    from core.chat.client import ChatClient
    from core.chat.models import TextDelta
    from core.chat.service import ask
    from core.chat.store import ConversationStore
    from core.library import Library

    library = Library()
    source_id = library.add(transcript).source_id
    stored = library.transcript(source_id)
    store = ConversationStore(library.conn)
    totals, firsts = [], []
    async with ChatClient(FAKE_API_KEY, max_retries=0) as client:
        for _ in range(runs):
            conversation = store.create(source_id)
            fake.queue(Reply.tokens(tokens))
            started = time.perf_counter()
            first = None
            async for event in ask(store, client, stored, conversation.id, "Explain it all"):
                if isinstance(event, TextDelta) and first is None:
                    first = time.perf_counter() - started
            totals.append(time.perf_counter() - started)
            firsts.append(first or 0.0)
            answer = store.messages(conversation.id)[-1]
            assert answer.status == "complete" and len(answer.content) == tokens * 5
    library.close()
    return {"total": totals, "first": firsts}


def abridged(body: dict[str, Any]) -> dict[str, Any]:
    """The request with the transcript blocks elided, to show its shape."""
    shown = json.loads(json.dumps(body))
    for message in shown["messages"]:
        for block in message["content"]:
            if block.get("type") == "document":
                blocks = block["source"]["content"]
                block["source"]["content"] = [
                    {"type": "text", "text": blocks[0]["text"][:60] + "…"},
                    {"...": f"{len(blocks) - 2} more text blocks"},
                    {"type": "text", "text": blocks[-1]["text"][:60] + "…"},
                ]
    shown["system"] = shown["system"][:60] + "..."
    return shown


async def cache_demo(fake: FakeClaude, transcript: Any) -> None:
    from core.chat.client import ChatClient
    from core.chat.models import Done
    from core.chat.service import ask
    from core.chat.store import ConversationStore
    from core.library import Library

    library = Library()
    source_id = library.add(transcript).source_id
    stored = library.transcript(source_id)
    store = ConversationStore(library.conn)
    conversation = store.create(source_id)
    fake.reset_cache()
    before = len(fake.message_requests)
    usages = []
    async with ChatClient(FAKE_API_KEY, max_retries=0) as client:
        for question in ("What is the central claim?", "What evidence supports it?"):
            fake.queue(Reply.text("An answer."))
            async for event in ask(store, client, stored, conversation.id, question):
                if isinstance(event, Done):
                    usages.append(event.usage)
    library.close()
    first, second = fake.message_requests[before:]
    print("\n4. Two questions on the same transcript (fake server's view)")
    print("   second request, transcript blocks elided:")
    text = json.dumps(abridged(second.body), indent=2, ensure_ascii=False)
    print("\n".join("     " + line for line in text.splitlines()))
    for label, usage in zip(("first ", "second"), usages, strict=True):
        print(
            f"   {label} question usage: input={usage.input_tokens:>6} "
            f"cache_write={usage.cache_write_tokens:>6} cache_read={usage.cache_read_tokens:>6} "
            f"output={usage.output_tokens}"
        )
    document_same = (
        first.body["messages"][0]["content"][0] == second.body["messages"][0]["content"][0]
    )
    print(f"   identical document block in both requests: {document_same}")


async def main_async(tokens: int, runs: int) -> None:
    transcript = talk(60)
    with FakeClaude() as fake:
        os.environ["ANTHROPIC_BASE_URL"] = fake.base_url
        chars = sum(len(s.text) for s in transcript.segments)
        print(
            f"Transcript: {len(transcript.segments)} segments, {chars:,} chars; answer: "
            f"{tokens:,} tokens (one SSE text_delta each); median of {runs} runs\n"
        )
        started = time.perf_counter()
        import anthropic  # noqa: F401

        imported = median_ms([time.perf_counter() - started])
        print(f"0. import anthropic (once):              {imported}")
        raw = await raw_ceiling(fake, tokens, runs)
        print(
            f"1. server ceiling (httpx2, bytes only):   {median_ms(raw)}"
            f"  = {tokens / statistics.median(raw):,.0f} tokens/s"
        )
        sdk = await sdk_drain(fake, transcript, tokens, runs)
        print(
            f"2. ChatClient.stream drained (SDK):      {median_ms(sdk['total'])}"
            f"  = {tokens / statistics.median(sdk['total']):,.0f} tokens/s, "
            f"first token {median_ms(sdk['first']).strip()}"
        )
        asked = await ask_drain(fake, transcript, tokens, runs)
        print(
            f"3. ask() drained (SDK + SQLite saves):   {median_ms(asked['total'])}"
            f"  = {tokens / statistics.median(asked['total']):,.0f} tokens/s, "
            f"first token {median_ms(asked['first']).strip()}"
        )
        await cache_demo(fake, transcript)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=4000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        os.environ["PONDER_HOME"] = home
        os.environ["ANTHROPIC_API_KEY"] = FAKE_API_KEY
        asyncio.run(main_async(args.tokens, args.runs))


if __name__ == "__main__":
    main()
