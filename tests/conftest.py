"""Every test gets its own PONDER_HOME, no API key and no proxy from the outside world."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.tmux import OUTSIDE_VARIABLES

# The `fake_claude` and `anki_server` fixtures, for every test file without importing them
# (which ruff flags as F811).
pytest_plugins = ["tests.fake_claude", "tests.anki_server"]


@pytest.fixture(autouse=True)
def ponder_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "ponder-home"
    home.mkdir()
    monkeypatch.setenv("PONDER_HOME", str(home))
    for name in OUTSIDE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture
def library(ponder_home: Path):
    from core.library import Library

    lib = Library()
    yield lib
    lib.close()
