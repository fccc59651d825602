"""ChatClient: the one place that talks to the Anthropic SDK (imported lazily, here only).

`stream()` turns the SDK's message stream into Ponder's small events (Started,
TextDelta, BlockCitation, Done) and every SDK or network failure into a `ChatError` with
a message a learner can act on. The SDK retries 408/409/429/5xx itself (`max_retries`);
what still fails after that surfaces here. `ANTHROPIC_BASE_URL` is honoured by the SDK.
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from core.chat.errors import (
    AuthFailed,
    BadRequest,
    ChatError,
    Forbidden,
    MalformedKey,
    NoApiKey,
    Offline,
    Overloaded,
    RateLimited,
    ServerError,
    StreamBroken,
    TimedOut,
    remember_secret,
)
from core.chat.models import Done, Started, TextDelta, Usage

if TYPE_CHECKING:
    from core.config import Config

DEFAULT_MODEL = "claude-sonnet-5-5"
DEFAULT_MAX_TOKENS = 4096
DEFAULT_TIMEOUT_S = 60.0
CONNECT_TIMEOUT_S = 10.0
# What can travel in the x-api-key header: visible ASCII, no spaces or line breaks.
_KEY_CHARACTERS = re.compile(r"[\x21-\x7e]+")

__all__ = [
    "AuthFailed",
    "BlockCitation",
    "ChatClient",
    "ChatError",
    "Forbidden",
    "MalformedKey",
    "NoApiKey",
    "Offline",
    "Overloaded",
    "RateLimited",
    "StreamBroken",
    "TimedOut",
    "ToolInput",
]


@dataclass(frozen=True, slots=True)
class BlockCitation:
    """A raw citation: document blocks start..end (exclusive) and the answer span it covers.

    `document_index` is which document of the request it cites (0 with one transcript).
    """

    start_block: int
    end_block: int
    cited_text: str
    start: int
    end: int
    document_index: int = 0


@dataclass(frozen=True, slots=True)
class ToolInput:
    """A complete `tool_use` block: the tool's name and its input JSON as sent (unparsed).

    With a forced, strict tool this is the structured answer; it carries no citations
    (the API attaches citations to text blocks only).
    """

    name: str
    raw_json: str


ClientEvent = Started | TextDelta | BlockCitation | ToolInput | Done


def _usage_from(sdk_usage: Any) -> Usage:
    if sdk_usage is None:
        return Usage()
    return Usage(
        input_tokens=int(getattr(sdk_usage, "input_tokens", 0) or 0),
        output_tokens=int(getattr(sdk_usage, "output_tokens", 0) or 0),
        cache_write_tokens=int(getattr(sdk_usage, "cache_creation_input_tokens", 0) or 0),
        cache_read_tokens=int(getattr(sdk_usage, "cache_read_input_tokens", 0) or 0),
    )


class ChatClient:
    """An async Claude client for one model. Create it, use it, `await aclose()` it.

    The key is kept private to this object: it is never put in an error message, a log
    line or the database (error texts pass through `errors.redact`).
    """

    def __init__(
        self,
        api_key: str,
        *,
        model: str = DEFAULT_MODEL,
        max_retries: int = 2,
        timeout: float = DEFAULT_TIMEOUT_S,
        connect_timeout: float = CONNECT_TIMEOUT_S,
        base_url: str | None = None,
    ) -> None:
        if not api_key or not api_key.strip():
            raise NoApiKey()
        if not _KEY_CHARACTERS.fullmatch(api_key.strip()):
            raise MalformedKey()
        self.__api_key = api_key.strip()
        remember_secret(self.__api_key)
        self.model = model
        self.max_retries = max_retries
        self.timeout = timeout
        self.connect_timeout = min(connect_timeout, timeout)
        self._base_url = base_url
        self._env_base_url = os.environ.get("ANTHROPIC_BASE_URL")  # what the SDK will read
        self._sdk: Any = None

    def __repr__(self) -> str:
        return f"ChatClient(model={self.model!r}, base_url={self.base_url!r})"

    def same_setup(self, other: ChatClient) -> bool:
        """Same key, model, address and options: `other` can be used in its place."""
        return (
            self.__api_key,
            self.model,
            self.max_retries,
            self.timeout,
            self.connect_timeout,
            self._base_url,
            self._env_base_url,
        ) == (
            other.__api_key,
            other.model,
            other.max_retries,
            other.timeout,
            other.connect_timeout,
            other._base_url,
            other._env_base_url,
        )

    @classmethod
    def from_config(cls, config: Config | None = None, **options: Any) -> ChatClient:
        """A client with the key (ANTHROPIC_API_KEY, else the config's) and the config's model.

        Raises NoApiKey, saying how to set one, when there is neither.
        """
        if config is None:  # the defaults: only entry points (app, CLI) read the file
            from core.config import Config

            config = Config()
        options.setdefault("model", config.model or DEFAULT_MODEL)
        key = config.effective_api_key()
        if not key or not key.strip():
            from core.paths import config_path

            raise NoApiKey(
                "No Anthropic API key. Set ANTHROPIC_API_KEY in your environment, or set "
                f"api_key in Settings (press , in the app) or in {config_path()} "
                "(kept with mode 0600)."
            )
        return cls(key, **options)

    @property
    def base_url(self) -> str:
        """Where requests go: the explicit URL, else ANTHROPIC_BASE_URL, else Anthropic's."""
        return self._base_url or os.environ.get("ANTHROPIC_BASE_URL") or "https://api.anthropic.com"

    def _client(self) -> Any:
        if self._sdk is None:
            import anthropic

            options: dict[str, Any] = {
                "api_key": self.__api_key,
                "max_retries": self.max_retries,
                "timeout": anthropic.Timeout(self.timeout, connect=self.connect_timeout),
            }
            if self._base_url:
                options["base_url"] = self._base_url
            self._sdk = anthropic.AsyncAnthropic(**options)
        return self._sdk

    async def aclose(self) -> None:
        if self._sdk is not None:
            sdk, self._sdk = self._sdk, None
            await sdk.close()

    async def __aenter__(self) -> ChatClient:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.aclose()

    # -- calls ---------------------------------------------------------------------------

    async def count_tokens(self, *, system: str, messages: list[dict[str, Any]]) -> int:
        """Input tokens of a request, from the API's count_tokens endpoint."""
        try:
            result = await self._client().messages.count_tokens(
                model=self.model, system=system, messages=messages
            )
        except ChatError:
            raise
        except Exception as error:
            raise self.translate(error, started=False) from None
        return int(result.input_tokens)

    async def stream(
        self,
        *,
        system: str,
        messages: list[dict[str, Any]],
        max_tokens: int = DEFAULT_MAX_TOKENS,
        tools: list[dict[str, Any]] | None = None,
        tool_choice: dict[str, Any] | None = None,
    ) -> AsyncIterator[ClientEvent]:
        """Stream one answer as Started, TextDelta, BlockCitation..., ToolInput..., Done.

        `tools`/`tool_choice` are passed through (a forced tool is how structured answers
        are asked for, see `core.chat.structured`). Done's `stop_reason` says how it
        ended ("refusal", "max_tokens", ...): the caller decides what that means.
        Raises a ChatError subclass on failure; `StreamBroken` when the answer stops in
        the middle (an `error` event, or the stream ending without `message_stop`).
        """
        client = self._client()
        started = False
        finished = False
        offset = 0
        block_start: dict[int, int] = {}
        pending: dict[int, list[Any]] = {}
        stop_reason: str | None = None
        stop_detail: str | None = None
        tool_names: dict[int, str] = {}
        tool_json: dict[int, list[str]] = {}
        model = self.model
        stream_obj: Any = None
        extra: dict[str, Any] = {}
        if tools:
            extra["tools"] = tools
        if tool_choice:
            extra["tool_choice"] = tool_choice
        try:
            async with client.messages.stream(
                model=self.model, max_tokens=max_tokens, system=system, messages=messages, **extra
            ) as stream_obj:
                async for event in stream_obj:
                    kind = event.type
                    if kind == "message_start":
                        started = True
                        model = getattr(event.message, "model", None) or self.model
                        yield Started(message_id=None, model=model)
                    elif kind == "content_block_start":
                        block_start[event.index] = offset
                        if getattr(event.content_block, "type", "") == "tool_use":
                            tool_names[event.index] = str(event.content_block.name)
                            tool_json[event.index] = []
                    elif kind == "content_block_delta":
                        delta = event.delta
                        if delta.type == "text_delta":
                            if delta.text:
                                offset += len(delta.text)
                                yield TextDelta(delta.text)
                        elif delta.type == "citations_delta":
                            pending.setdefault(event.index, []).append(delta.citation)
                        elif delta.type == "input_json_delta" and event.index in tool_json:
                            tool_json[event.index].append(delta.partial_json or "")
                    elif kind == "content_block_stop":
                        if event.index in tool_names:
                            yield ToolInput(
                                tool_names.pop(event.index),
                                "".join(tool_json.pop(event.index, [])),
                            )
                            continue
                        start = block_start.get(event.index, offset)
                        for citation in pending.pop(event.index, []):
                            if getattr(citation, "type", "") != "content_block_location":
                                continue
                            yield BlockCitation(
                                start_block=int(citation.start_block_index),
                                end_block=int(citation.end_block_index),
                                cited_text=str(citation.cited_text or ""),
                                start=start,
                                end=offset,
                                document_index=int(getattr(citation, "document_index", 0) or 0),
                            )
                    elif kind == "message_delta":
                        stop_reason = event.delta.stop_reason
                        details = getattr(event.delta, "stop_details", None)
                        explanation = getattr(details, "explanation", None)
                        stop_detail = str(explanation) if explanation else None
                    elif kind == "message_stop":
                        finished = True
                if not finished:
                    raise StreamBroken(
                        "The answer was cut off (the connection ended before Claude finished); "
                        "the part that arrived is kept. Retry.",
                        usage=_snapshot_usage(stream_obj),
                    )
                usage = _snapshot_usage(stream_obj)
        except ChatError:
            raise
        except Exception as error:
            raise self.translate(
                error, started=started, usage=_snapshot_usage(stream_obj)
            ) from None
        # A tool_use block cut off by max_tokens gets no content_block_stop: hand over
        # what arrived, so the caller can tell a cut-off answer from a missing one.
        for index, name in tool_names.items():
            yield ToolInput(name, "".join(tool_json.get(index, [])))
        yield Done(
            usage=usage,
            stop_reason=stop_reason,
            message_id=None,
            model=model,
            stop_detail=stop_detail,
        )

    # -- errors --------------------------------------------------------------------------

    def translate(
        self, error: BaseException, *, started: bool, usage: Usage | None = None
    ) -> ChatError:
        """The ChatError (one line, no key) for an SDK or network exception."""
        import anthropic
        import httpx2

        host = self.base_url
        if isinstance(error, anthropic.APITimeoutError | httpx2.TimeoutException):
            return TimedOut(
                f"Claude did not answer within {self.timeout:g} s (timeout). "
                + ("The part that arrived is kept. " if started else "")
                + "Retry, or check your network.",
                usage=usage,
            )
        if isinstance(error, anthropic.APIConnectionError):
            if started:
                return StreamBroken(usage=usage)
            return Offline(
                f"Cannot reach Claude at {host} (no network?). Your question is kept as a "
                "draft; retry when you are online.",
                usage=usage,
            )
        if isinstance(error, httpx2.TransportError):
            if started:
                return StreamBroken(usage=usage)
            return Offline(usage=usage)
        if isinstance(error, anthropic.APIStatusError):
            detail = (error.api_message or "").strip()
            said = f": {detail}" if detail else ""
            kind = error.type or ""
            if error.status_code == 200 or (started and error.status_code < 400):
                reason = {
                    "overloaded_error": "Claude became overloaded",
                    "api_error": "Claude had an internal error",
                    "rate_limit_error": "the rate limit was hit",
                }.get(kind, f"Claude reported {kind or 'an error'}")
                return StreamBroken(
                    f"The answer stopped mid-stream: {reason}. The part that arrived is kept "
                    "and marked; retry to get a full answer.",
                    error_type=kind or None,
                    usage=usage,
                )
            if isinstance(error, anthropic.AuthenticationError):
                return AuthFailed(usage=usage)
            if isinstance(error, anthropic.PermissionDeniedError):
                return Forbidden(
                    f"This API key is not allowed to do that (403){said}."
                    " Check the key's workspace and the model in Settings.",
                    usage=usage,
                )
            if isinstance(error, anthropic.RateLimitError):
                return RateLimited(usage=usage)
            if error.status_code == 529 or kind == "overloaded_error":
                return Overloaded(usage=usage)
            if isinstance(error, anthropic.NotFoundError):
                return BadRequest(
                    f"Claude does not know the model {self.model!r} (404). Choose another "
                    "model in Settings (claude-sonnet-5-5, claude-haiku-5-5, claude-opus-5-5).",
                    usage=usage,
                )
            if isinstance(error, anthropic.BadRequestError):
                return BadRequest(
                    f"Claude refused the request (400){said}.",
                    usage=usage,
                )
            if error.status_code >= 500:
                return ServerError(
                    f"Claude had a server error ({error.status_code}) even after retrying. "
                    "Try again in a moment.",
                    usage=usage,
                )
            return ChatError(
                f"Claude returned an error ({error.status_code}"
                f"{', ' + kind if kind else ''}){said}.",
                usage=usage,
            )
        return ChatError(f"Talking to Claude failed: {type(error).__name__}: {error}", usage=usage)


def _snapshot_usage(stream_obj: Any) -> Usage | None:
    """Usage the stream has seen so far (message_start, then message_delta), if any."""
    if stream_obj is None:
        return None
    try:
        return _usage_from(stream_obj.current_message_snapshot.usage)
    except (AssertionError, AttributeError):
        return None
