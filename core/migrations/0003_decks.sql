-- Flashcards: scheduling presets, decks, notes (with tags and where they came from),
-- cards (FSRS state in columns) and the review log (enough to undo, replay and optimise).
--
-- Every time is UTC text in ONE fixed format, `YYYY-MM-DDTHH:MM:SS.ffffff+00:00`
-- (decks.models.to_db_time), so comparing the text compares the times.

-- A preset is a deck option group. NULL columns follow the user's config (Settings);
-- parameters NULL = py-fsrs's default FSRS-6 parameters. The optimiser fills
-- `parameters` (JSON list of 21 floats) and `optimized_at`.
CREATE TABLE presets (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    parameters TEXT,
    desired_retention REAL,
    learning_steps TEXT,      -- space separated durations, e.g. '1m 10m'
    relearning_steps TEXT,    -- e.g. '10m'
    maximum_interval INTEGER, -- days
    new_per_day INTEGER,
    reviews_per_day INTEGER,
    optimized_at TEXT
);
INSERT INTO presets (id, name) VALUES (1, 'Default');

-- Decks are named by their full path `A::B::C`; every parent exists as a row.
CREATE TABLE decks (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    parent_id INTEGER REFERENCES decks(id) ON DELETE CASCADE,
    preset_id INTEGER NOT NULL DEFAULT 1 REFERENCES presets(id) ON DELETE SET DEFAULT,
    created_at TEXT NOT NULL
);
CREATE INDEX decks_parent ON decks(parent_id);

-- A note is what the learner wrote; its cards are what gets reviewed.
-- kind: basic (1 card), reversed (2 cards: ord 0 front->back, ord 1 back->front),
-- cloze (one card per cloze number n, ord = n - 1; `front` holds the cloze text,
-- `back` the optional extra shown with the answer).
-- The source columns say where the note came from; `source_title` is a snapshot so a
-- note whose transcript was deleted still says where it came from (source_id NULL).
CREATE TABLE notes (
    id INTEGER PRIMARY KEY,
    guid TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('basic', 'reversed', 'cloze')),
    front TEXT NOT NULL,
    back TEXT NOT NULL DEFAULT '',
    source_id INTEGER REFERENCES sources(id) ON DELETE SET NULL,
    source_title TEXT,
    first_segment INTEGER,
    last_segment INTEGER,
    start_s REAL,
    highlight_id INTEGER REFERENCES highlights(id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    modified_at TEXT NOT NULL
);
CREATE INDEX notes_source ON notes(source_id);
CREATE INDEX notes_highlight ON notes(highlight_id);

-- Tags, normalised (no spaces, NOCASE); `leech` is added after 8 lapses.
CREATE TABLE note_tags (
    note_id INTEGER NOT NULL REFERENCES notes(id) ON DELETE CASCADE,
    tag TEXT NOT NULL COLLATE NOCASE,
    PRIMARY KEY (note_id, tag)
) WITHOUT ROWID;
CREATE INDEX note_tags_tag ON note_tags(tag, note_id);

-- state: 0 new (never reviewed), 1 learning, 2 review, 3 relearning (1-3 = fsrs.State).
-- step: learning/relearning step (NULL in review). due: for new cards, the creation
-- time (the order new cards are introduced). buried_until: hidden until that time.
CREATE TABLE cards (
    id INTEGER PRIMARY KEY,
    note_id INTEGER NOT NULL REFERENCES notes(id) ON DELETE CASCADE,
    ord INTEGER NOT NULL,
    deck_id INTEGER NOT NULL REFERENCES decks(id) ON DELETE CASCADE,
    state INTEGER NOT NULL DEFAULT 0 CHECK (state BETWEEN 0 AND 3),
    step INTEGER,
    stability REAL,
    difficulty REAL,
    due TEXT NOT NULL,
    last_review TEXT,
    reps INTEGER NOT NULL DEFAULT 0,
    lapses INTEGER NOT NULL DEFAULT 0,
    suspended INTEGER NOT NULL DEFAULT 0,
    buried_until TEXT,
    created_at TEXT NOT NULL,
    modified_at TEXT NOT NULL,
    UNIQUE (note_id, ord)
);
CREATE INDEX cards_due ON cards(due);
CREATE INDEX cards_queue ON cards(state, due) WHERE suspended = 0;
-- Covers the per-deck counts and the per-deck queue without reading the table rows.
CREATE INDEX cards_deck ON cards(deck_id, state, due, suspended, buried_until);

-- One row per answer. state_before is the card's full scheduling state before the
-- review (JSON: state, step, stability, difficulty, due, last_review, reps, lapses,
-- buried_until), so a review can be undone exactly; prior_state repeats its `state`
-- for fast daily counts. answer_text: a typed answer (free recall), if any.
CREATE TABLE review_log (
    id INTEGER PRIMARY KEY,
    card_id INTEGER NOT NULL REFERENCES cards(id) ON DELETE CASCADE,
    rating INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 4),
    reviewed_at TEXT NOT NULL,
    duration_ms INTEGER,
    prior_state INTEGER NOT NULL,
    state_before TEXT NOT NULL,
    answer_text TEXT
);
CREATE INDEX review_log_card ON review_log(card_id, reviewed_at);
CREATE INDEX review_log_time ON review_log(reviewed_at, prior_state, rating, duration_ms, card_id);
