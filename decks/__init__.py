"""Ponder's UI-free flashcard domain: notes, cards, FSRS scheduling, review, stats, Anki interop."""
