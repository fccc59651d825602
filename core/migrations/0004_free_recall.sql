-- Free recall and "ask about this card" in review.
--
-- decks.free_recall: 1 = reviews of this deck's cards ask for a typed answer before the
-- back is shown (the review screen's W; w overrides it for one session only).
ALTER TABLE decks ADD COLUMN free_recall INTEGER NOT NULL DEFAULT 0;

-- The conversation (one of the note's source transcript's conversations) that questions
-- asked about a note's cards during review go to ("Card: <front>"). It is an ordinary
-- conversation of that source, so the study screen lists it too; deleting either the note
-- or the conversation forgets the link (the next question starts a new conversation).
CREATE TABLE note_chats (
    note_id INTEGER PRIMARY KEY REFERENCES notes(id) ON DELETE CASCADE,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE
);
CREATE INDEX note_chats_conversation ON note_chats(conversation_id);
