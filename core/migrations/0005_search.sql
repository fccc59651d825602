-- Search everything (offline): a full-text index over every segment of every transcript.
--
-- `segments` is WITHOUT ROWID, so FTS5's external-content mode (which needs an integer
-- rowid in the content table) cannot point at it; the index keeps its own copy of each
-- segment's text instead. Its rowid is source_id * 2^32 + idx, so the triggers find a
-- segment's row directly. Deleting a source cascades to its segments, whose delete
-- trigger takes them out of the index. unicode61 with remove_diacritics 2 makes
-- "cafe" find "café".
CREATE VIRTUAL TABLE segment_search USING fts5(
    text,
    source_id UNINDEXED,
    idx UNINDEXED,
    tokenize = 'unicode61 remove_diacritics 2'
);

INSERT INTO segment_search (rowid, text, source_id, idx)
SELECT source_id * 4294967296 + idx, text, source_id, idx FROM segments;

CREATE TRIGGER segments_search_insert AFTER INSERT ON segments BEGIN
    INSERT INTO segment_search (rowid, text, source_id, idx)
    VALUES (new.source_id * 4294967296 + new.idx, new.text, new.source_id, new.idx);
END;

CREATE TRIGGER segments_search_delete AFTER DELETE ON segments BEGIN
    DELETE FROM segment_search WHERE rowid = old.source_id * 4294967296 + old.idx;
END;

CREATE TRIGGER segments_search_update AFTER UPDATE ON segments BEGIN
    DELETE FROM segment_search WHERE rowid = old.source_id * 4294967296 + old.idx;
    INSERT INTO segment_search (rowid, text, source_id, idx)
    VALUES (new.source_id * 4294967296 + new.idx, new.text, new.source_id, new.idx);
END;
