"""`--force` replaces regular files only: never a device node, a pipe or a symbolic link."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest


def _ponder(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tui.cli", *argv], capture_output=True, text=True, timeout=60
    )


def test_backup_force_refuses_a_device_node(ponder_home: Path, tmp_path: Path) -> None:
    # A copy of /dev/full made here: a regression must not replace the real /dev/full.
    device = tmp_path / "full"
    try:
        os.mknod(device, 0o666 | stat.S_IFCHR, os.makedev(1, 7))
    except (PermissionError, AttributeError):
        pytest.skip("creating a device node needs root")
    assert _ponder("list").returncode == 0
    result = _ponder("backup", str(device), "--force")
    assert result.returncode == 1, result
    assert result.stderr.count("\n") == 1 and "not a regular file" in result.stderr
    assert stat.S_ISCHR(os.lstat(device).st_mode)


def test_force_refuses_a_pipe_and_a_symlink_but_replaces_a_file(
    ponder_home: Path, tmp_path: Path
) -> None:
    assert _ponder("list").returncode == 0
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    regular = tmp_path / "elsewhere.db"
    regular.write_text("keep me", encoding="utf-8")
    link = tmp_path / "link.db"
    link.symlink_to(regular)
    for target, check in ((pipe, stat.S_ISFIFO), (link, stat.S_ISLNK)):
        for argv in (["backup", str(target), "--force"], ["export", "anki-text", str(target)]):
            result = _ponder(*argv, "--force") if argv[0] == "export" else _ponder(*argv)
            assert result.returncode == 1, (argv, result)
            assert "not a regular file" in result.stderr, result.stderr
            assert check(os.lstat(target).st_mode)
    assert regular.read_text(encoding="utf-8") == "keep me"
    old = tmp_path / "old.db"
    old.write_text("old", encoding="utf-8")
    assert _ponder("backup", str(old), "--force").returncode == 0
    assert old.read_bytes().startswith(b"SQLite format 3")
