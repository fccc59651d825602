-- Anki keeps note modification times in whole seconds, so an edit on the phone in the same
-- second as Ponder's last sync of that note left `anki_mod` unchanged and went unseen.
-- The note's update sequence number (usn) changes with every change that arrives through a
-- sync: (anki_mod, anki_usn) together say whether the Anki side changed. -1 = not yet
-- pushed (read again after the push).
ALTER TABLE anki_notes ADD COLUMN anki_usn INTEGER NOT NULL DEFAULT -1;
