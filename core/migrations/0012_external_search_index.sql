-- The search index without a second copy of every segment's text (external content).
--
-- Until now `segment_search` kept its own copy of each segment's text (and of its
-- source_id and idx): two thirds of the index's pages, written again on every import.
-- Now its content is the view below over `segments`, whose `rid` is the index's rowid,
-- source_id * 2^32 + idx (source_id = rowid >> 32, idx = rowid & 0xFFFFFFFF), and
-- queries take the source and segment from the rowid.
--
-- TRAP: `segments` is WITHOUT ROWID and nothing indexes that expression, so anything
-- that makes FTS5 read a row's content through the view (selecting the `text` column,
-- snippet(), highlight()) scans every segment, per row. core.search never does: it
-- ranks rowids here, reads the hits' text from `segments` by primary key, and makes
-- their snippets on a scratch FTS5 table of those few texts (same tokenizer). 'rebuild'
-- and 'integrity-check' read the view in one pass and are fine.
--
-- External content is kept current by hand: the index must be told the OLD text of a
-- row it drops ('delete' command), which the triggers below take from `old`. Adding a
-- transcript indexes its segments in one statement (core.search.index_source,
-- migration 0011). A change of timing or speaker alone does not touch the index.
-- The old table's pages are freed, and given back by a VACUUM:
-- ponder: vacuum after
DROP TRIGGER IF EXISTS segments_search_insert;
DROP TRIGGER IF EXISTS segments_search_delete;
DROP TRIGGER IF EXISTS segments_search_update;
DROP TABLE IF EXISTS segment_search;

CREATE VIEW segment_search_content AS
SELECT source_id * 4294967296 + idx AS rid, text FROM segments;

CREATE VIRTUAL TABLE segment_search USING fts5(
    text,
    content = 'segment_search_content',
    content_rowid = 'rid',
    tokenize = 'unicode61 remove_diacritics 2'
);

INSERT INTO segment_search (segment_search) VALUES ('rebuild');

CREATE TRIGGER segments_search_delete AFTER DELETE ON segments BEGIN
    INSERT INTO segment_search (segment_search, rowid, text)
    VALUES ('delete', old.source_id * 4294967296 + old.idx, old.text);
END;

CREATE TRIGGER segments_search_update AFTER UPDATE OF source_id, idx, text ON segments BEGIN
    INSERT INTO segment_search (segment_search, rowid, text)
    VALUES ('delete', old.source_id * 4294967296 + old.idx, old.text);
    INSERT INTO segment_search (rowid, text)
    VALUES (new.source_id * 4294967296 + new.idx, new.text);
END;
