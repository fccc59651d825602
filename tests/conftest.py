"""Every test gets its own PONDER_HOME, no API key and no proxy from the outside world."""

from __future__ import annotations

from pathlib import Path

import pytest

# The `fake_claude` fixture, for every test file without importing it (which ruff flags as F811).
pytest_plugins = ["tests.fake_claude"]


@pytest.fixture(autouse=True)
def ponder_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "ponder-home"
    home.mkdir()
    monkeypatch.setenv("PONDER_HOME", str(home))
    for name in (
        "ANTHROPIC_API_KEY",
        "ANTHROPIC_BASE_URL",
        "PONDER_FAKE_NOW",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "http_proxy",
        "https_proxy",
    ):
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture
def library(ponder_home: Path):
    from core.library import Library

    lib = Library()
    yield lib
    lib.close()
