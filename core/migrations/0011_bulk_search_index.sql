-- Adding a transcript indexes its segments in one statement (core.library.Library.add)
-- instead of a trigger per row: FTS5 takes a bulk insert about five times faster, so the
-- index adds little to a 10-hour import. Deletes and edits keep their triggers.
DROP TRIGGER IF EXISTS segments_search_insert;
