"""Fixtures for the tmux end-to-end tests: a private tmux server per test, skipped without tmux."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.tmux import TmuxPonder, tmux_available


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything under tests/e2e is an e2e test (select or skip with -m e2e)."""
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture
def tmux_ponder(ponder_home: Path, tmp_path: Path) -> Iterator[TmuxPonder]:
    """A `TmuxPonder` (100×30) on this test's PONDER_HOME; the tmux server dies with the test."""
    if not tmux_available():
        pytest.skip("tmux is not installed")
    workdir = tmp_path / "work"
    workdir.mkdir(exist_ok=True)
    session = TmuxPonder(ponder_home, workdir=workdir)
    try:
        yield session
    finally:
        session.close()
