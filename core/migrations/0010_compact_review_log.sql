-- The review log, compact: about 140 bytes per review instead of about 430.
--
-- Before, every row held its time as 32-character text (again in both indexes) and the
-- card's whole prior state as JSON. Now times are integers and the prior state is one
-- column per field, every value kept exactly:
--
-- reviewed_us       when, in microseconds since the Unix epoch (UTC); the card's
--                   last_review after the answer is this same instant.
-- prior_state ..    the card before the answer (what undo restores): state, step,
--                   stability, difficulty, reps, lapses as before;
-- prior_due_delta   its due minus reviewed_us (microseconds; negative when overdue),
-- prior_last_delta  reviewed_us minus its last_review (microseconds; NULL: never reviewed),
-- prior_buried_us   its buried_until (microseconds since the epoch; NULL: not buried).
--
-- Offsets rather than absolute instants because they fit in 6 bytes instead of 8.
-- The two indexes: by card (history, undo, deleting a card's reviews) and by time,
-- covering what stats and the optimiser read (no table row is visited for those).
-- Review ids are kept. The old table's pages are freed, and given back by a VACUUM:
-- ponder: vacuum after
CREATE TABLE review_log_compact (
    id INTEGER PRIMARY KEY,
    card_id INTEGER NOT NULL REFERENCES cards(id) ON DELETE CASCADE,
    reviewed_us INTEGER NOT NULL,
    rating INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 4),
    prior_state INTEGER NOT NULL,
    duration_ms INTEGER,
    prior_step INTEGER,
    prior_stability REAL,
    prior_difficulty REAL,
    prior_due_delta INTEGER NOT NULL,
    prior_last_delta INTEGER,
    prior_reps INTEGER NOT NULL,
    prior_lapses INTEGER NOT NULL,
    prior_buried_us INTEGER,
    answer_text TEXT
);

-- Old times are `YYYY-MM-DDTHH:MM:SS.ffffff+00:00` (decks.models.to_db_time): whole
-- seconds from strftime, microseconds from the fraction, integer arithmetic only.
INSERT INTO review_log_compact
SELECT id, card_id, at, rating, prior_state, duration_ms,
       json_extract(state_before, '$.step'),
       json_extract(state_before, '$.stability'),
       json_extract(state_before, '$.difficulty'),
       due - at,
       at - last,
       json_extract(state_before, '$.reps'),
       json_extract(state_before, '$.lapses'),
       buried,
       answer_text
FROM (
    SELECT id, card_id, rating, prior_state, duration_ms, state_before, answer_text,
           CAST(strftime('%s', substr(reviewed_at, 1, 19)) AS INTEGER) * 1000000
               + CAST(substr(reviewed_at, 21, 6) AS INTEGER) AS at,
           CAST(strftime('%s', substr(json_extract(state_before, '$.due'), 1, 19)) AS INTEGER) * 1000000
               + CAST(substr(json_extract(state_before, '$.due'), 21, 6) AS INTEGER) AS due,
           CAST(strftime('%s', substr(json_extract(state_before, '$.last_review'), 1, 19)) AS INTEGER)
               * 1000000 + CAST(substr(json_extract(state_before, '$.last_review'), 21, 6) AS INTEGER)
               AS last,
           CAST(strftime('%s', substr(json_extract(state_before, '$.buried_until'), 1, 19)) AS INTEGER)
               * 1000000 + CAST(substr(json_extract(state_before, '$.buried_until'), 21, 6) AS INTEGER)
               AS buried
    FROM review_log
)
ORDER BY id;

DROP TABLE review_log;
ALTER TABLE review_log_compact RENAME TO review_log;
CREATE INDEX review_log_card ON review_log(card_id);
CREATE INDEX review_log_time ON review_log(reviewed_us, prior_state, rating, duration_ms, card_id);
