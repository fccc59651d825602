-- ponder: foreign-keys-off
-- Collections: named sets of transcripts (a course, a podcast, a person), and chat about a
-- whole collection.
--
-- The line above makes core.db run this migration with foreign keys off (SQLite's own
-- recipe for changing a table that others reference): `conversations` is rebuilt so a
-- conversation belongs to either one source or one collection. With foreign keys on,
-- dropping the old table would cascade-delete every chat message. Ids are kept, so
-- chat_messages and note_chats still point at the same rows; the migration checks the
-- foreign keys before it commits.

-- `position` orders the transcripts (the order their documents are sent to Claude).
CREATE TABLE collections (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    created_at TEXT NOT NULL
);

CREATE TABLE collection_sources (
    collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
    source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    added_at TEXT NOT NULL,
    PRIMARY KEY (collection_id, source_id)
) WITHOUT ROWID;
CREATE INDEX collection_sources_source ON collection_sources(source_id, collection_id);

CREATE TABLE conversations_new (
    id INTEGER PRIMARY KEY,
    source_id INTEGER REFERENCES sources(id) ON DELETE CASCADE,
    collection_id INTEGER REFERENCES collections(id) ON DELETE CASCADE,
    title TEXT NOT NULL DEFAULT '',
    doc_first_segment INTEGER,
    doc_last_segment INTEGER,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CHECK ((source_id IS NULL) <> (collection_id IS NULL))
);

INSERT INTO conversations_new (id, source_id, collection_id, title, doc_first_segment,
    doc_last_segment, created_at, updated_at)
SELECT id, source_id, NULL, title, doc_first_segment, doc_last_segment, created_at, updated_at
FROM conversations;

DROP TABLE conversations;
ALTER TABLE conversations_new RENAME TO conversations;
CREATE INDEX conversations_source ON conversations(source_id, updated_at);
CREATE INDEX conversations_collection ON conversations(collection_id, updated_at)
    WHERE collection_id IS NOT NULL;

-- Study guides of a collection: one saved note per kind, as guide_notes for a source.
CREATE TABLE collection_guide_notes (
    collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    content TEXT NOT NULL,
    citations TEXT NOT NULL DEFAULT '[]',
    model TEXT,
    input_tokens INTEGER NOT NULL DEFAULT 0,
    output_tokens INTEGER NOT NULL DEFAULT 0,
    cache_write_tokens INTEGER NOT NULL DEFAULT 0,
    cache_read_tokens INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    PRIMARY KEY (collection_id, kind)
) WITHOUT ROWID;
