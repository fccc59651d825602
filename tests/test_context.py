"""Screens see the app through `tui.context.PonderContext`; PonderApp must satisfy it.

The protocol exists so screens need not import the app (which imports them); these tests
keep the two from drifting apart: every member the protocol names is on PonderApp with the
same type or signature, and no screen goes back to untyped `self.app.library` reaches.
"""

from __future__ import annotations

import inspect
import re
import typing
from pathlib import Path

from core.config import Config
from core.library import Library
from tests.protocols import assert_same_signatures, assert_values_typed
from tui.app import PonderApp
from tui.context import PonderContext, ponder
from tui.screens.prompt import PromptScreen

ROOT = Path(__file__).resolve().parent.parent


def _members() -> tuple[dict[str, type], list[str]]:
    """The protocol's data members with their types, and its method names."""
    hints = typing.get_type_hints(PonderContext)
    methods = [
        name
        for name, value in vars(PonderContext).items()
        if inspect.isfunction(value) and not name.startswith("_")
    ]
    return hints, methods


def test_ponder_app_satisfies_the_protocol(library: Library) -> None:
    app = PonderApp(library=library, config=Config())
    assert isinstance(app, PonderContext)
    hints, methods = _members()
    assert set(hints) == {"library", "config"} and "save_config" in methods  # scan sees them
    assert_values_typed(app, hints)
    assert_same_signatures(PonderContext, PonderApp, methods)


def test_the_protocol_check_can_fail() -> None:
    class Half:
        library = None
        config = None

    assert not isinstance(Half(), PonderContext)

    class WrongSignature:
        def save_config(self, path: str) -> None: ...

    wanted = inspect.signature(PonderContext.save_config)
    assert inspect.signature(WrongSignature.save_config) != wanted


async def test_ponder_finds_the_app_from_a_screen_and_from_the_app(library: Library) -> None:
    app = PonderApp(library=library, config=Config())
    async with app.run_test(size=(90, 30)) as pilot:
        screen = PromptScreen("Anything")
        app.push_screen(screen)
        await pilot.pause()
        assert ponder(screen) is app
        assert ponder(app) is app
        assert ponder(screen).library is library


UNTYPED = re.compile(
    r"\.app\.(library|config|save_config)\b|getattr\([\w.]*app, \"(library|config)\""
)


def test_no_untyped_reaches_into_the_app() -> None:
    """`ponder(self).library`, not `self.app.library` (untyped, it needs `type: ignore`)."""
    hits = []
    for path in sorted((ROOT / "tui").rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if UNTYPED.search(line) and not line.lstrip().startswith("#"):
                hits.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert hits == []
    assert UNTYPED.search("x = self.app.config.theme")  # the scan would see one
    assert UNTYPED.search('getattr(self.app, "config", None)')
