"""Talking to Claude about a transcript (no Textual; anthropic is imported lazily).

The pieces: `models` (Usage, Citation, Focus, ChatMessage, Conversation, GuideNote and the
streamed events), `errors` (ChatError and its kinds), `document` (the transcript as a
cited, cached document block), `prompts`, `client` (ChatClient over the SDK), `store`
(ConversationStore), `cost`, `service` (ask, retry, regenerate, generate_guide) which the
UI and the CLI both call, and `structured` (answers that must be data: a forced, strict
tool whose input is the answer).
"""

from core.chat.client import ChatClient
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
)
from core.chat.models import (
    ChatEvent,
    ChatMessage,
    Citation,
    CitationEvent,
    Conversation,
    Done,
    Focus,
    GuideNote,
    Notice,
    Started,
    TextDelta,
    Usage,
    render_with_citations,
)
from core.chat.prompts import GUIDE_KINDS, QUIZ_REQUEST, guide_kind
from core.chat.service import (
    ask,
    generate_guide,
    regenerate,
    retry,
)
from core.chat.store import ConversationStore

__all__ = [
    "GUIDE_KINDS",
    "QUIZ_REQUEST",
    "AuthFailed",
    "BadRequest",
    "ChatClient",
    "ChatError",
    "ChatEvent",
    "ChatMessage",
    "Citation",
    "CitationEvent",
    "Conversation",
    "ConversationStore",
    "Done",
    "Focus",
    "Forbidden",
    "GuideNote",
    "MalformedKey",
    "NoApiKey",
    "Notice",
    "Offline",
    "Overloaded",
    "RateLimited",
    "ServerError",
    "Started",
    "StreamBroken",
    "TextDelta",
    "TimedOut",
    "Usage",
    "ask",
    "generate_guide",
    "guide_kind",
    "regenerate",
    "render_with_citations",
    "retry",
]
