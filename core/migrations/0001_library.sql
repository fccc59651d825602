-- Transcripts, their segments, highlights and where the reader left off.
CREATE TABLE sources (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    origin TEXT NOT NULL,
    kind TEXT NOT NULL DEFAULT 'file',
    video_id TEXT,
    language TEXT,
    is_generated INTEGER NOT NULL DEFAULT 0,
    format TEXT,
    content_hash TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    segment_count INTEGER NOT NULL DEFAULT 0,
    duration_s REAL
);
CREATE UNIQUE INDEX sources_video ON sources(video_id) WHERE video_id IS NOT NULL;
CREATE UNIQUE INDEX sources_content ON sources(content_hash);

CREATE TABLE segments (
    source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    start REAL,
    "end" REAL,
    speaker TEXT,
    text TEXT NOT NULL,
    PRIMARY KEY (source_id, idx)
) WITHOUT ROWID;

CREATE TABLE highlights (
    id INTEGER PRIMARY KEY,
    source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    first_segment INTEGER NOT NULL,
    last_segment INTEGER NOT NULL,
    start_char INTEGER,
    end_char INTEGER,
    note TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);
CREATE INDEX highlights_source ON highlights(source_id, first_segment);

CREATE TABLE reading_state (
    source_id INTEGER PRIMARY KEY REFERENCES sources(id) ON DELETE CASCADE,
    cursor INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL
);

CREATE TABLE app_state (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
