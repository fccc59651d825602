"""A fake Anthropic Messages API on 127.0.0.1, for tests and benchmarks.

A real HTTP server (threaded `http.server`, port 0) that the real `anthropic` SDK talks to
through ANTHROPIC_BASE_URL. It records every request (path, headers, JSON body) and
answers with scripted replies, in order; when the script runs out it answers with
`FakeClaude.default_reply`.

What a `Reply` can do:
- stream text in chunks and citations (`Cite(start_block, end_block, text)`: the cited
  text is taken from the request's document blocks, as the real API does);
- report usage with prompt caching computed from the request: the prefix up to the last
  `cache_control` breakpoint is written to the cache the first time and read from it
  when the same prefix comes again (tokens ≈ characters / 4, `tokens_per_char`);
- fail with an HTTP status (401, 403, 429, 529, ...) and a proper JSON error body, with a
  short `retry-after-ms` so the SDK's retries are quick;
- send an `error` event in the middle of the stream, or drop the connection;
- pace the stream (`tokens_per_second`) or hang (for timeouts);
- answer structured requests as the real API does (`Reply.json(data)`): a request that
  forces a tool (`tool_choice: {"type": "tool"}`) gets one `tool_use` block whose input
  streams as `input_json_delta` chunks (stop_reason "tool_use"); a request with
  `output_config.format` gets the JSON as text. The data is checked against the request's
  schema (constrained decoding cannot produce anything else) and, when a test scripts
  none, an instance of the schema is made up. `Reply.refusal()` stops with stop_reason
  "refusal"; `Reply.json(data, cut_at=N)` sends N characters of the JSON and stops with
  "max_tokens". As the real API does, `output_config.format` with a citation-enabled
  document is a 400. Schemas the strict grammar would not honour (objects without
  `additionalProperties: false`, length or range keywords) are recorded in `problems`,
  and the fixture fails the test that sent them.

`POST /v1/messages/count_tokens` answers with the same token estimate.

Use the `fake_claude` fixture (every test gets it: tests/conftest.py loads this module as a
pytest plugin): it starts a server and points ANTHROPIC_BASE_URL and ANTHROPIC_API_KEY
(FAKE_API_KEY) at it.
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.fake_schema import (
    cites_documents,
    forced_tool,
    output_schema,
    schema_errors,
    schema_instance,
    strict_schema_problems,
)

FAKE_API_KEY = "sk-ant-api03-FAKE-TEST-KEY-0123456789-never-show-me"

ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}
ERROR_MESSAGES = {
    "invalid_request_error": "Invalid request.",
    "authentication_error": "invalid x-api-key",
    "permission_error": "Your API key does not have permission to use the specified resource.",
    "not_found_error": "Not found.",
    "rate_limit_error": "Number of request tokens has exceeded your per-minute rate limit.",
    "api_error": "Internal server error.",
    "overloaded_error": "Overloaded",
}


@dataclass(frozen=True)
class Cite:
    """A cited span of the answer: its own text block citing document blocks start..end
    of the request's document number `document` (0: the first)."""

    start_block: int
    end_block: int
    text: str = ""
    document: int = 0


_UNSET: Any = object()


@dataclass(frozen=True)
class _JsonChunk:
    """A piece of a structured answer's JSON (a tool's input_json_delta, or JSON text)."""

    text: str


@dataclass
class Reply:
    """One scripted response. `parts` are text chunks (str) and citations (Cite).

    `data`: the structured answer (tool input or JSON output) for a request that asks for
    one; unset, such a request gets an instance of its schema.
    """

    parts: list[str | Cite] = field(default_factory=lambda: ["Hello from the fake Claude."])
    status: int = 200
    error_type: str | None = None
    error_message: str | None = None
    echo_key_in_error: bool = False  # the error message repeats the key it received
    stream_error_after: int | None = None  # send an `error` event after N parts
    stream_error_type: str = "overloaded_error"
    drop_after: int | None = None  # close the connection after N parts (no message_stop)
    hang: bool = False  # accept the request and never answer
    hang_after: int | None = None  # send N parts, then stall
    tokens_per_second: float | None = None  # pace text parts (one part = one token)
    output_tokens: int | None = None  # default: one per text part
    stop_reason: str | None = None  # default: "tool_use" after a tool block, else "end_turn"
    stop_explanation: str | None = None  # stop_details.explanation (a refusal's reason)
    data: Any = _UNSET
    json_chunk: int = 24  # characters per input_json_delta
    cut_at: int | None = None  # send this many characters of the JSON, then max_tokens
    unchecked: bool = False  # send `data` (or text parts) whatever the schema: a lax model
    retry_after_ms: int = 5
    headers: dict[str, str] = field(default_factory=dict)
    stream: bool | None = None  # None: as the request asks

    @classmethod
    def text(cls, *parts: str | Cite, **options: Any) -> Reply:
        return cls(parts=list(parts), **options)

    @classmethod
    def error(cls, status: int, error_type: str | None = None, **options: Any) -> Reply:
        return cls(parts=[], status=status, error_type=error_type, **options)

    @classmethod
    def json(cls, data: Any, **options: Any) -> Reply:
        """A structured answer: tool input (forced tool) or JSON text (output_config)."""
        return cls(parts=[], data=data, **options)

    @classmethod
    def refusal(cls, *parts: str | Cite, explanation: str | None = None, **options: Any) -> Reply:
        """Claude declines: whatever `parts` stream first, then stop_reason "refusal"."""
        return cls(
            parts=list(parts), stop_reason="refusal", stop_explanation=explanation, **options
        )

    @classmethod
    def tokens(cls, count: int, word: str = "word ", **options: Any) -> Reply:
        """`count` text chunks of one word each (a long answer for benchmarks)."""
        return cls(parts=[word] * count, **options)


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    received_at: float

    @property
    def api_key(self) -> str:
        """The key sent (this SDK uses `Authorization: Bearer`; older ones `x-api-key`)."""
        if "x-api-key" in self.headers:
            return self.headers["x-api-key"]
        auth = self.headers.get("authorization", "")
        return auth.removeprefix("Bearer ").strip()

    @property
    def is_message(self) -> bool:
        return self.path.split("?")[0] == "/v1/messages"


def _strip_cache_control(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_cache_control(v) for k, v in value.items() if k != "cache_control"}
    if isinstance(value, list):
        return [_strip_cache_control(v) for v in value]
    return value


def _canonical(value: Any) -> str:
    return json.dumps(_strip_cache_control(value), sort_keys=True, ensure_ascii=False)


def document_blocks(body: dict[str, Any]) -> list[str]:
    """The text blocks of the first `document` in a request body."""
    documents = all_document_blocks(body)
    return documents[0] if documents else []


def all_document_blocks(body: dict[str, Any]) -> list[list[str]]:
    """The text blocks of every `document` in a request body, in order."""
    found: list[list[str]] = []
    for message in body.get("messages", []):
        content = message.get("content")
        if not isinstance(content, list):
            continue
        for block in content:
            if isinstance(block, dict) and block.get("type") == "document":
                source = block.get("source", {})
                inner = source.get("content")
                if isinstance(inner, list):
                    found.append([b.get("text", "") for b in inner if isinstance(b, dict)])
                elif isinstance(inner, str):
                    found.append([inner])
                else:
                    found.append([source.get("data", "")])
    return found


def _cited(documents: list[list[str]], part: Cite) -> str:
    blocks = documents[part.document] if 0 <= part.document < len(documents) else []
    return "".join(blocks[part.start_block : part.end_block])


class FakeClaude:
    """The server. Start with `start()` (or as a context manager); `stop()` at the end."""

    def __init__(
        self,
        *,
        tokens_per_char: float = 0.25,
        min_cache_tokens: int = 0,
        model_echo: bool = True,
    ) -> None:
        self.tokens_per_char = tokens_per_char
        self.min_cache_tokens = min_cache_tokens
        self.model_echo = model_echo
        self.requests: list[RecordedRequest] = []
        self.problems: list[str] = []  # requests the real API would treat differently
        self.default_reply = Reply(parts=["Here is what the talk says", Cite(0, 1), " about that."])
        self._script: list[Reply] = []
        self._cache: set[str] = set()
        self._lock = threading.Lock()
        self._release = threading.Event()
        self._message_counter = 0
        self._server: _QuietServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> FakeClaude:
        fake = self

        class Handler(_Handler):
            server_fake = fake

        self._server = _QuietServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._release.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeClaude:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "start() the fake first"
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- scripting and inspection ----------------------------------------------------------

    def queue(self, *replies: Reply) -> None:
        """Answer the next requests to /v1/messages with these replies, in order."""
        with self._lock:
            self._script.extend(replies)

    def pending(self) -> int:
        with self._lock:
            return len(self._script)

    def release_hangs(self) -> None:
        """Let hanging replies finish (they also end when the server stops)."""
        self._release.set()

    def reset_cache(self) -> None:
        with self._lock:
            self._cache.clear()

    @property
    def message_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.is_message]

    @property
    def last_body(self) -> dict[str, Any]:
        return self.message_requests[-1].body

    def _next_reply(self) -> Reply:
        with self._lock:
            return self._script.pop(0) if self._script else self.default_reply

    # -- token and cache accounting ----------------------------------------------------------

    def estimate_tokens(self, text: str) -> int:
        return math.ceil(len(text) * self.tokens_per_char) if text else 0

    def _breakpoint_prefixes(self, body: dict[str, Any]) -> list[str]:
        """Canonical text of the request up to each cache_control breakpoint, in order."""
        pieces: list[Any] = [body.get("model")]
        for key in ("tools", "tool_choice", "output_config"):
            if body.get(key):  # tools come first in the cached prefix; the rest invalidate it
                pieces.append({key: body[key]})
        prefixes: list[str] = []
        system = body.get("system")
        if isinstance(system, str):
            pieces.append({"system": system})
        elif isinstance(system, list):
            for block in system:
                pieces.append({"system": block})
                if isinstance(block, dict) and block.get("cache_control"):
                    prefixes.append(_canonical(pieces))
        for message in body.get("messages", []):
            content = message.get("content")
            if isinstance(content, str):
                pieces.append({"role": message.get("role"), "text": content})
                continue
            for block in content or []:
                pieces.append({"role": message.get("role"), "block": block})
                if isinstance(block, dict) and block.get("cache_control"):
                    prefixes.append(_canonical(pieces))
        return prefixes

    def usage_for(self, body: dict[str, Any]) -> dict[str, int]:
        """input / cache_creation / cache_read tokens, updating the cache like the API."""
        total = self.estimate_tokens(
            _canonical({"system": body.get("system"), "messages": body.get("messages")})
        )
        prefixes = self._breakpoint_prefixes(body)
        read = write = 0
        with self._lock:
            cached = [p for p in prefixes if self._key(p) in self._cache]
            longest_cached = max((self.estimate_tokens(p) for p in cached), default=0)
            if prefixes:
                longest = self.estimate_tokens(prefixes[-1])
                if longest >= self.min_cache_tokens:
                    read = longest_cached
                    write = max(longest - longest_cached, 0)
                    for prefix in prefixes:
                        if self.estimate_tokens(prefix) >= self.min_cache_tokens:
                            self._cache.add(self._key(prefix))
        cached_total = min(read + write, total)
        return {
            "input_tokens": max(total - cached_total, 1),
            "cache_creation_input_tokens": write,
            "cache_read_input_tokens": read,
        }

    @staticmethod
    def _key(prefix: str) -> str:
        return hashlib.sha256(prefix.encode()).hexdigest()

    def _next_message_id(self) -> str:
        with self._lock:
            self._message_counter += 1
            return f"msg_fake_{self._message_counter:06d}"


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client hanging up mid-stream is expected; a bug in the fake is printed."""
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server_fake: FakeClaude
    protocol_version = "HTTP/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        return  # quiet

    # -- plumbing --------------------------------------------------------------------------

    def _read_body(self) -> Any:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            return json.loads(raw or b"null")
        except ValueError:
            return raw.decode("utf-8", "replace")

    def _send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.send_header("request-id", "req_fake")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _event(self, name: str, payload: dict[str, Any]) -> None:
        self.wfile.write(f"event: {name}\ndata: {json.dumps(payload)}\n\n".encode())

    def do_GET(self) -> None:
        self._send_json(404, _error_body("not_found_error", "Not found."))

    def do_POST(self) -> None:
        fake = self.server_fake
        body = self._read_body()
        headers = {k.lower(): v for k, v in self.headers.items()}
        recorded = RecordedRequest("POST", self.path, headers, body, time.monotonic())
        fake.requests.append(recorded)
        path = self.path.split("?")[0]
        if path == "/v1/messages/count_tokens":
            total = fake.estimate_tokens(
                _canonical({"system": body.get("system"), "messages": body.get("messages")})
            )
            self._send_json(200, {"input_tokens": total})
            return
        if path != "/v1/messages":
            self._send_json(404, _error_body("not_found_error", f"No route {path}"))
            return
        reply = fake._next_reply()
        try:
            self._answer(fake, reply, body if isinstance(body, dict) else {}, recorded)
        except (BrokenPipeError, ConnectionResetError):
            return

    # -- answers -----------------------------------------------------------------------------

    def _answer(
        self, fake: FakeClaude, reply: Reply, body: dict[str, Any], request: RecordedRequest
    ) -> None:
        if reply.hang:
            fake._release.wait(timeout=60)
            return
        if reply.status != 200:
            kind = reply.error_type or ERROR_TYPES.get(reply.status, "api_error")
            message = reply.error_message or ERROR_MESSAGES.get(kind, "Error.")
            if reply.echo_key_in_error:
                message += f" (received key {request.api_key})"
            extra = {"retry-after-ms": str(reply.retry_after_ms), **reply.headers}
            self._send_json(reply.status, _error_body(kind, message), extra)
            return
        planned = self._plan(fake, reply, body)
        if planned is None:
            return  # answered with a 400, as the real API would
        parts, tool = planned
        usage = fake.usage_for(body)
        model = body.get("model", "claude-sonnet-5-5") if fake.model_echo else "claude-fake"
        blocks = all_document_blocks(body)
        stream = reply.stream if reply.stream is not None else bool(body.get("stream"))
        if not stream:
            self._answer_whole(fake, reply, usage, model, blocks, parts, tool)
            return
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("cache-control", "no-cache")
        self.send_header("request-id", "req_fake")
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        message = {
            "id": fake._next_message_id(),
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {**usage, "output_tokens": 1},
        }
        self._event("message_start", {"type": "message_start", "message": message})
        delay = 1.0 / reply.tokens_per_second if reply.tokens_per_second else 0.0
        index = -1
        open_plain = False
        open_tool = False
        text_parts = 0
        for count, part in enumerate(parts):
            if reply.stream_error_after is not None and count == reply.stream_error_after:
                kind = reply.stream_error_type
                self._event("error", _error_body(kind, ERROR_MESSAGES.get(kind, "Error.")))
                return
            if reply.drop_after is not None and count == reply.drop_after:
                self.wfile.flush()
                self.connection.shutdown(2)
                return
            if reply.hang_after is not None and count == reply.hang_after:
                self.wfile.flush()
                fake._release.wait(timeout=60)
                return
            if delay:
                time.sleep(delay)
            if isinstance(part, _JsonChunk):
                if open_plain:
                    self._block_stop(index)
                    open_plain = False
                if not open_tool:
                    index += 1
                    self._event(
                        "content_block_start",
                        {
                            "type": "content_block_start",
                            "index": index,
                            "content_block": {
                                "type": "tool_use",
                                "id": f"toolu_fake_{index:04d}",
                                "name": (tool or {}).get("name", ""),
                                "input": {},
                            },
                        },
                    )
                    open_tool = True
                self._event(
                    "content_block_delta",
                    {
                        "type": "content_block_delta",
                        "index": index,
                        "delta": {"type": "input_json_delta", "partial_json": part.text},
                    },
                )
                text_parts += 1
                continue
            if isinstance(part, Cite):
                if open_plain:
                    self._event(
                        "content_block_stop", {"type": "content_block_stop", "index": index}
                    )
                    open_plain = False
                index += 1
                cited = _cited(blocks, part)
                self._event(
                    "content_block_start",
                    {
                        "type": "content_block_start",
                        "index": index,
                        "content_block": {"type": "text", "text": "", "citations": []},
                    },
                )
                self._event(
                    "content_block_delta",
                    {
                        "type": "content_block_delta",
                        "index": index,
                        "delta": {
                            "type": "citations_delta",
                            "citation": {
                                "type": "content_block_location",
                                "cited_text": cited,
                                "document_index": part.document,
                                "document_title": None,
                                "start_block_index": part.start_block,
                                "end_block_index": part.end_block,
                            },
                        },
                    },
                )
                if part.text:
                    self._text_delta(index, part.text)
                    text_parts += 1
                self._event("content_block_stop", {"type": "content_block_stop", "index": index})
                continue
            if not open_plain:
                index += 1
                self._event(
                    "content_block_start",
                    {
                        "type": "content_block_start",
                        "index": index,
                        "content_block": {"type": "text", "text": ""},
                    },
                )
                open_plain = True
            self._text_delta(index, part)
            text_parts += 1
        if reply.stream_error_after is not None and reply.stream_error_after >= len(parts):
            kind = reply.stream_error_type
            self._event("error", _error_body(kind, ERROR_MESSAGES.get(kind, "Error.")))
            return
        if open_plain or open_tool:
            self._event("content_block_stop", {"type": "content_block_stop", "index": index})
        output = reply.output_tokens if reply.output_tokens is not None else max(text_parts, 1)
        delta: dict[str, Any] = {
            "stop_reason": _stop_reason(reply, open_tool),
            "stop_sequence": None,
        }
        if delta["stop_reason"] == "refusal":
            delta["stop_details"] = {
                "type": "refusal",
                "category": None,
                "explanation": reply.stop_explanation,
            }
        self._event(
            "message_delta",
            {"type": "message_delta", "delta": delta, "usage": {"output_tokens": output}},
        )
        self._event("message_stop", {"type": "message_stop"})
        self.wfile.flush()

    def _plan(
        self, fake: FakeClaude, reply: Reply, body: dict[str, Any]
    ) -> tuple[list[str | Cite | _JsonChunk], dict[str, Any] | None] | None:
        """The parts to send and the forced tool (None: none); None once a 400 is sent."""
        tool = forced_tool(body)
        schema = output_schema(body)
        if tool is None and schema is None:
            parts: list[str | Cite | _JsonChunk] = list(reply.parts)
            if reply.data is not _UNSET:  # JSON scripted for a plain request: plain text
                parts.append(json.dumps(reply.data, ensure_ascii=False))
            return parts, None
        if tool == {}:
            name = body["tool_choice"].get("name")
            self._send_json(
                400,
                _error_body("invalid_request_error", f"tool_choice: no tool named {name!r}."),
            )
            return None
        if schema is not None and cites_documents(body):
            # The real API: JSON outputs cannot be combined with citations.
            self._send_json(
                400,
                _error_body(
                    "invalid_request_error",
                    "Citations are not supported together with output_config.format.",
                ),
            )
            return None
        if tool is not None:
            schema = tool.get("input_schema") or {}
            if tool.get("strict"):
                fake.problems += [
                    f"tool {tool.get('name')}: {problem}"
                    for problem in strict_schema_problems(schema)
                ]
        else:
            fake.problems += [f"output_config: {p}" for p in strict_schema_problems(schema)]
        assert schema is not None
        if reply.stop_reason == "refusal" or (reply.unchecked and reply.data is _UNSET):
            return list(reply.parts), None  # a refusal, or a model that ignores the request
        data = schema_instance(schema) if reply.data is _UNSET else reply.data
        strict = tool is None or bool(tool.get("strict"))
        if strict and not reply.unchecked:
            errors = schema_errors(schema, data)
            if errors:
                fake.problems.append(
                    "scripted data breaks the request's schema (a strict model cannot send "
                    "it): " + "; ".join(errors[:5])
                )
        text = json.dumps(data, ensure_ascii=False)
        if reply.cut_at is not None:
            text = text[: reply.cut_at]
        size = max(reply.json_chunk, 1)
        pieces = [text[i : i + size] for i in range(0, len(text), size)] or [""]
        if tool is None:
            return list(pieces), None  # JSON output: plain text deltas
        return [_JsonChunk(piece) for piece in pieces], tool

    def _block_stop(self, index: int) -> None:
        self._event("content_block_stop", {"type": "content_block_stop", "index": index})

    def _text_delta(self, index: int, text: str) -> None:
        self._event(
            "content_block_delta",
            {
                "type": "content_block_delta",
                "index": index,
                "delta": {"type": "text_delta", "text": text},
            },
        )

    def _answer_whole(
        self,
        fake: FakeClaude,
        reply: Reply,
        usage: dict[str, int],
        model: str,
        blocks: list[list[str]],
        parts: list[str | Cite | _JsonChunk],
        tool: dict[str, Any] | None,
    ) -> None:
        content: list[dict[str, Any]] = []
        plain = ""
        tool_json = ""
        for part in parts:
            if isinstance(part, _JsonChunk):
                tool_json += part.text
                continue
            if isinstance(part, Cite):
                if plain:
                    content.append({"type": "text", "text": plain})
                    plain = ""
                content.append(
                    {
                        "type": "text",
                        "text": part.text,
                        "citations": [
                            {
                                "type": "content_block_location",
                                "cited_text": _cited(blocks, part),
                                "document_index": part.document,
                                "document_title": None,
                                "start_block_index": part.start_block,
                                "end_block_index": part.end_block,
                            }
                        ],
                    }
                )
            else:
                plain += part
        if plain:
            content.append({"type": "text", "text": plain})
        if tool is not None:
            try:
                tool_input = json.loads(tool_json)
            except ValueError:
                tool_input = {}  # cut off: what the SDK's partial parse would keep is unknown
            content.append(
                {
                    "type": "tool_use",
                    "id": "toolu_fake_0000",
                    "name": tool.get("name", ""),
                    "input": tool_input,
                }
            )
        text_parts = sum(1 for p in parts if isinstance(p, str | _JsonChunk) or p.text)
        output = reply.output_tokens if reply.output_tokens is not None else max(text_parts, 1)
        self._send_json(
            200,
            {
                "id": fake._next_message_id(),
                "type": "message",
                "role": "assistant",
                "model": model,
                "content": content,
                "stop_reason": _stop_reason(reply, tool is not None),
                "stop_sequence": None,
                "usage": {**usage, "output_tokens": output},
            },
        )


def _stop_reason(reply: Reply, sent_tool: bool) -> str:
    if reply.stop_reason is not None:
        return reply.stop_reason
    if reply.cut_at is not None:
        return "max_tokens"
    return "tool_use" if sent_tool else "end_turn"


def _error_body(kind: str, message: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": kind, "message": message}}


@pytest.fixture
def fake_claude(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeClaude]:
    """A running FakeClaude; ANTHROPIC_BASE_URL and ANTHROPIC_API_KEY point at it."""
    server = FakeClaude().start()
    monkeypatch.setenv("ANTHROPIC_BASE_URL", server.base_url)
    monkeypatch.setenv("ANTHROPIC_API_KEY", FAKE_API_KEY)
    try:
        yield server
    finally:
        server.stop()
    assert not server.problems, "The fake Claude saw requests the real API would not honour: " + (
        " | ".join(server.problems)
    )
