"""One Claude client factory for the app (tui/claude.py): every screen and widget builds its
client there, so one hook (CLIENT_OPTIONS) tunes them all."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from core.chat.errors import NoApiKey
from core.config import Config
from tui import claude

ROOT = Path(__file__).resolve().parent.parent


def test_the_app_builds_clients_in_one_place() -> None:
    """No screen or widget builds a ChatClient itself (the CLI builds its own from flags)."""
    builders = re.compile(r"ChatClient(\.from_config)?\(")
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted((ROOT / "tui").rglob("*.py"))
        if path.name != "claude.py" and "cli" not in path.relative_to(ROOT / "tui").parts
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if builders.search(line)
    ]
    assert found == []


def test_client_options_reach_every_client(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(claude, "CLIENT_OPTIONS", {"max_retries": 0, "timeout": 3.0})
    client = claude.chat_client(
        Config(api_key="sk-ant-factory-test-0000", model="claude-haiku-5-5")
    )
    assert (client.max_retries, client.timeout, client.model) == (0, 3.0, "claude-haiku-5-5")
    monkeypatch.setattr(claude, "CLIENT_OPTIONS", {})
    assert claude.chat_client(Config(api_key="sk-ant-factory-test-0000")).max_retries == 2


def test_no_key_is_the_usual_message() -> None:
    with pytest.raises(NoApiKey, match="No Anthropic API key"):
        claude.chat_client(Config())
