"""What can go wrong talking to Claude, as messages a learner can act on.

Every message is one line, says what to do next, and never contains the API key: the
text passes through `redact` (the key in use is replaced, and anything shaped like an
Anthropic key is masked).
"""

from __future__ import annotations

import re

from core.chat.models import Usage

_KEY_SHAPE = re.compile(r"sk-ant-[A-Za-z0-9_\-]{4,}")
_known_secrets: set[str] = set()


def remember_secret(secret: str) -> None:
    """Register a key so that `redact` masks it wherever it shows up."""
    if secret and len(secret) >= 8:
        _known_secrets.add(secret)


def redact(text: str) -> str:
    """The text without any API key in it."""
    for secret in _known_secrets:
        if secret in text:
            text = text.replace(secret, "[hidden key]")
    return _KEY_SHAPE.sub("sk-ant-[hidden]", text)


class ChatError(Exception):
    """A failure with a user-facing one-line message.

    `retryable`: the same request may succeed later (the UI offers Retry).
    `usage`: tokens already billed before the failure, when known.
    """

    retryable = True
    default_message = "Claude could not answer."

    def __init__(self, message: str | None = None, *, usage: Usage | None = None) -> None:
        text = redact(" ".join((message or self.default_message).split()))
        super().__init__(text)
        self.message = text
        self.usage = usage

    def __str__(self) -> str:
        return self.message


class NoApiKey(ChatError):
    retryable = False
    default_message = (
        "No Anthropic API key. Set ANTHROPIC_API_KEY in your environment, or set api_key in "
        "Settings (press , in the app) or in the config file (kept with mode 0600)."
    )


class MalformedKey(NoApiKey):
    """A key that cannot go in an HTTP header (a line break, a space, a control inside).

    HTTP libraries refuse such a header before any connection, which used to read as
    "no network?"; a NoApiKey so the UI shows the same "set a key" hint.
    """

    default_message = (
        "The Anthropic API key is malformed (it contains a line break, a space or another "
        "character a key cannot have). Set ANTHROPIC_API_KEY or api_key in Settings again."
    )


class Offline(ChatError):
    default_message = (
        "Cannot reach Claude (no network?). Your question is kept as a draft; retry when online."
    )


class AuthFailed(ChatError):
    retryable = False
    default_message = (
        "Claude rejected the API key (401). Check ANTHROPIC_API_KEY or api_key in the config file."
    )


class Forbidden(ChatError):
    retryable = False
    default_message = (
        "This API key is not allowed to do that (403): check the key's workspace and the model "
        "in the config file."
    )


class RateLimited(ChatError):
    default_message = "Rate limited by Claude (429) even after retrying. Wait a minute, then retry."


class Overloaded(ChatError):
    default_message = "Claude is overloaded (529) even after retrying. Try again in a moment."


class ServerError(ChatError):
    default_message = "Claude had a server error. Try again in a moment."


class BadRequest(ChatError):
    retryable = False
    default_message = "Claude refused the request (400)."


class StreamBroken(ChatError):
    """The answer stopped in the middle: what arrived is kept and marked."""

    default_message = "The answer was cut off mid-stream; the part that arrived is kept. Retry."

    def __init__(
        self,
        message: str | None = None,
        *,
        error_type: str | None = None,
        usage: Usage | None = None,
    ) -> None:
        super().__init__(message, usage=usage)
        self.error_type = error_type


class TimedOut(ChatError):
    default_message = "Claude did not answer in time (timeout). Retry, or check your network."
