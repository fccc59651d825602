-- A transcript made from an audio or video file remembers that file, so `o` can play it
-- from a moment. NULL for everything else. Sources transcribed before this column existed
-- (format 'whisper', kind 'file') kept the media file's absolute path as their origin.
ALTER TABLE sources ADD COLUMN media_path TEXT;

UPDATE sources SET media_path = origin WHERE format = 'whisper' AND kind = 'file';
