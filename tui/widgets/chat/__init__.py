"""The chat with Claude: the study screen's pane and the widgets it is made of.

- `pane`: `ChatPane` (layout, syncing with the stored conversation, keys, conversations);
- `answering`: streaming an answer into the pane (a mixin of `ChatPane`);
- `messages`: a question's and an answer's widgets (they post requests up to the pane);
- `citations`: `ponder-cite:` Markdown links and the one citation link widget that the
  chat, the study guides and the quiz share (`CitationSelected` goes up to the screen);
- `feed`: `MarkdownFeed` (streamed Markdown, batched) and `show_text`;
- `chat_input`: the question box;
- `sdk`: loading the SDK off the event loop and keeping the GC quiet while streaming.

The pane changes a conversation only through `core.chat.service`.
"""

from tui.widgets.chat.chat_input import ChatInput
from tui.widgets.chat.citations import (
    CitationLink,
    CitationRow,
    CitationSelected,
    answer_markdown,
    citation_link_markdown,
    parse_citation_href,
)
from tui.widgets.chat.feed import MarkdownFeed
from tui.widgets.chat.messages import AnswerView, MessageView, QuestionView, usage_text
from tui.widgets.chat.pane import ChatPane
from tui.widgets.chat.sdk import load_sdk_once

__all__ = [
    "AnswerView",
    "ChatInput",
    "ChatPane",
    "CitationLink",
    "CitationRow",
    "CitationSelected",
    "MarkdownFeed",
    "MessageView",
    "QuestionView",
    "answer_markdown",
    "citation_link_markdown",
    "load_sdk_once",
    "parse_citation_href",
    "usage_text",
]
