"""Talking to Claude about a transcript (no Textual; anthropic imported lazily)."""
