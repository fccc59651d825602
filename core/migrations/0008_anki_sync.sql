-- Two-way sync with Anki (decks.anki_sync): which Ponder notes and reviews live in the
-- bridge collection ($PONDER_HOME/anki/collection.anki2) under which Anki ids.
--
-- No foreign keys on purpose: a mapping row that outlives its Ponder note is how the sync
-- learns that the note was deleted in Ponder (and deletes it in Anki), and a review row
-- that outlives an undone review keeps that review from coming back as a "phone" review.

-- One row per Ponder note that has an Anki twin. `guid` guards against a reused note id;
-- ponder_mod / anki_mod are both sides' modification times at the last sync, so the next
-- sync knows which side changed (the later modification wins when both did).
CREATE TABLE anki_notes (
    note_id INTEGER PRIMARY KEY,
    guid TEXT NOT NULL,
    anki_note_id INTEGER NOT NULL UNIQUE,
    ponder_mod TEXT NOT NULL,
    anki_mod INTEGER NOT NULL
);

-- One row per review known to both sides, keyed by Anki's revlog id (ms epoch, unique in a
-- collection). A Ponder review is identified by (card_id, reviewed_at), not its row id, so
-- an id reused after an undo is never mistaken for a review already sent.
CREATE TABLE anki_reviews (
    revlog_id INTEGER PRIMARY KEY,
    card_id INTEGER NOT NULL,
    reviewed_at TEXT NOT NULL
);
CREATE INDEX anki_reviews_card ON anki_reviews(card_id, reviewed_at);

-- Small facts about the sync: the account the bridge belongs to, the last sync time.
CREATE TABLE anki_sync_state (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
