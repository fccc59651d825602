"""Ponder's UI-free core: transcripts, formats, YouTube, the SQLite library, chat, config."""
