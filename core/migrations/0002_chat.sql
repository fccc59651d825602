-- Chat with Claude: conversations per source, their messages, and saved study guides.
-- Times are UTC ISO 8601 text. Everything hangs off `sources` and goes with it.

-- `doc_first_segment`/`doc_last_segment`: the excerpt of the transcript this conversation
-- sends when the whole transcript is over the token budget (NULL = the whole transcript).
-- Kept so every turn sends the same document and reads it from the prompt cache.
CREATE TABLE conversations (
    id INTEGER PRIMARY KEY,
    source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    title TEXT NOT NULL DEFAULT '',
    doc_first_segment INTEGER,
    doc_last_segment INTEGER,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX conversations_source ON conversations(source_id, updated_at);

-- status: draft (question not sent yet), streaming (answer arriving; `owner_pid` is the
-- process writing it), complete, stopped (interrupted, partial text kept), error (failed
-- mid-answer, partial text kept, `error` says why). `citations` is a JSON list;
-- `focus` is JSON {first_segment, last_segment, text} for "ask about selection".
CREATE TABLE chat_messages (
    id INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
    content TEXT NOT NULL DEFAULT '',
    focus TEXT,
    citations TEXT NOT NULL DEFAULT '[]',
    status TEXT NOT NULL CHECK (status IN ('draft', 'streaming', 'complete', 'stopped', 'error')),
    error TEXT,
    model TEXT,
    input_tokens INTEGER NOT NULL DEFAULT 0,
    output_tokens INTEGER NOT NULL DEFAULT 0,
    cache_write_tokens INTEGER NOT NULL DEFAULT 0,
    cache_read_tokens INTEGER NOT NULL DEFAULT 0,
    owner_pid INTEGER,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX chat_messages_conversation ON chat_messages(conversation_id, id);
CREATE INDEX chat_messages_streaming ON chat_messages(status) WHERE status = 'streaming';

-- Study guides (pre-read, central ideas, vocabulary, ...): one saved note per kind.
CREATE TABLE guide_notes (
    source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    content TEXT NOT NULL,
    citations TEXT NOT NULL DEFAULT '[]',
    model TEXT,
    input_tokens INTEGER NOT NULL DEFAULT 0,
    output_tokens INTEGER NOT NULL DEFAULT 0,
    cache_write_tokens INTEGER NOT NULL DEFAULT 0,
    cache_read_tokens INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    PRIMARY KEY (source_id, kind)
) WITHOUT ROWID;
