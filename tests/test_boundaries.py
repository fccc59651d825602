"""The layering rule, checked in fresh interpreters: the domain never loads the UI or the SDK.

core/ and decks/ must import without Textual or anthropic (anthropic only lazily, inside
the functions that call Claude), and `ponder --help` / `ponder list` must load neither,
so the command line starts fast. Every module is discovered with pkgutil, so a new one
is covered the day it is added.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = ("textual", "anthropic")

_CHECK = """
import json, sys
def loaded():
    return sorted(
        name for name in sys.modules
        if any(name == f or name.startswith(f + ".") for f in {forbidden!r})
    )
"""

_IMPORT_DOMAIN = (
    _CHECK
    + """
import importlib, pkgutil
import core, core.library, core.formats, core.youtube, core.importer, decks
names = []
for package in (core, decks):
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        names.append(info.name)
        importlib.import_module(info.name)
print(json.dumps({{"modules": names, "loaded": loaded()}}))
"""
)

_RUN_CLI = (
    _CHECK
    + """
import contextlib, io
from tui.cli import main
buffer = io.StringIO()
with contextlib.redirect_stdout(buffer):
    try:
        code = main({argv!r})
    except SystemExit as exit:
        code = exit.code
print(json.dumps({{"code": code, "loaded": loaded(), "out": buffer.getvalue()}}))
"""
)


def _run(code: str, home: Path) -> dict:
    env = {**os.environ, "PONDER_HOME": str(home)}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_domain_packages_load_neither_textual_nor_anthropic(ponder_home: Path) -> None:
    report = _run(_IMPORT_DOMAIN.format(forbidden=FORBIDDEN), ponder_home)
    # the discovery really found the modules this test is about
    for expected in ("core.library", "core.formats", "core.youtube", "core.importer"):
        assert expected in report["modules"]
    assert report["loaded"] == [], f"loaded by core/decks: {report['loaded']}"


@pytest.mark.parametrize("argv", [["--help"], ["list", "--json"]])
def test_cli_commands_load_neither_textual_nor_anthropic(ponder_home: Path, argv) -> None:
    report = _run(_RUN_CLI.format(forbidden=FORBIDDEN, argv=argv), ponder_home)
    assert report["code"] == 0
    assert report["out"].strip()  # it really ran
    assert report["loaded"] == [], f"`ponder {' '.join(argv)}` loaded {report['loaded']}"


def test_the_check_itself_can_fail(ponder_home: Path) -> None:
    """Guard against a vacuous check: importing textual must be noticed."""
    report = _run(
        _CHECK.format(forbidden=FORBIDDEN)
        + "import textual\nprint(json.dumps({'loaded': loaded()}))",
        ponder_home,
    )
    assert "textual" in report["loaded"]


def _screen_imports(path: Path) -> list[str]:
    """Every import of tui.screens in a file, lazy and TYPE_CHECKING ones included."""
    import ast

    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        found += [f"{path.name}:{node.lineno} {n}" for n in names if n.startswith("tui.screens")]
    return found


def test_widgets_never_import_screens(tmp_path: Path) -> None:
    """Attributes down, messages up: a widget asks its screen (e.g. the chat pane's
    ConversationsRequested) instead of opening screens itself."""
    widgets = sorted((ROOT / "tui" / "widgets").rglob("*.py"))
    assert any(path.parent.name == "chat" for path in widgets)  # the scan sees packages
    assert [hit for path in widgets for hit in _screen_imports(path)] == []
    # ...and would see one, even a lazy one
    probe = tmp_path / "probe.py"
    probe.write_text("def f():\n    from tui.screens.conversations import X\n")
    assert _screen_imports(probe) == ["probe.py:2 tui.screens.conversations"]


def _imports(path: Path, module: str) -> set[str]:
    """Every module name a file imports, lazy and TYPE_CHECKING ones included.

    Relative imports are resolved against `module`; `from a import b` yields both `a` and
    `a.b` (b may be a submodule), and callers keep the names that are real modules.
    """
    import ast

    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = module.split(".") if is_package else module.split(".")[:-1]
                parts = parts[: len(parts) - (node.level - 1)]
                base = ".".join(parts + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def _project_modules() -> dict[str, Path]:
    """Every module of core/, decks/ and tui/ by dotted name."""
    modules = {}
    for package in ("core", "decks", "tui"):
        for path in (ROOT / package).rglob("*.py"):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            modules[name.removesuffix(".__init__")] = path
    return modules


def _import_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    """module -> the project modules it imports (an import of a.b.c counts as a.b.c only)."""

    def resolve(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        targets = {resolve(name) for name in _imports(path, module)}
        # `from a import b` where b is a function: resolve("a.b") is "a", already counted
        graph[module] = {t for t in targets if t and t != module}
    return graph


def test_core_never_imports_decks() -> None:
    """core/ is the ground floor: decks/ builds on it, never the other way round."""
    modules = _project_modules()
    graph = _import_graph(modules)
    assert "core.library" in graph and "decks.cloze" in graph  # the scan sees both packages
    hits = sorted(
        f"{module} -> {target}"
        for module, targets in graph.items()
        if module.startswith("core")
        for target in targets
        if target == "decks" or target.startswith("decks.")
    )
    assert hits == []


def test_the_import_scan_sees_lazy_and_relative_imports(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from decks.cloze import x\n"
        "def f():\n    from . import sibling\n"
    )
    found = _imports(probe, "core.chat.probe")
    assert {"decks.cloze", "core.chat", "core.chat.sibling"} <= found


MAX_LINES = 800


def test_no_module_over_800_lines() -> None:
    """A module past 800 lines is where every change lands: split it by what lives there."""
    modules = _project_modules()
    assert len(modules) > 50  # the scan sees the packages
    counts = {
        name: len(path.read_text(encoding="utf-8").splitlines()) for name, path in modules.items()
    }
    long = {name: count for name, count in counts.items() if count > MAX_LINES}
    assert long == {}


# Cycles not yet broken, listed so that no new one can appear unnoticed and so that
# breaking one means shrinking this list. Each is a strongly connected component. None is
# left (issue 12 broke the anki modules' and the study screen <-> feature screens' one).
KNOWN_CYCLES: set[frozenset[str]] = set()


def _cycles(graph: dict[str, set[str]]) -> set[frozenset[str]]:
    """The strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: set[frozenset[str]] = set()
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.add(frozenset(component))
    return found


def test_no_new_import_cycles() -> None:
    """No import cycle between modules, lazy and TYPE_CHECKING imports included."""
    assert _cycles(_import_graph(_project_modules())) == KNOWN_CYCLES


def test_the_cycle_check_can_fail() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}}
    assert _cycles(graph) == {frozenset({"a", "b", "c"})}
