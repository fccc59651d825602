"""A broken or out-of-range config file: a warning naming the problem, never lost settings."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from core import config as config_store
from core.config import Config

BROKEN = 'api_key = "sk-ant-keep-me"\nnew_per_day = 7\nlearning_steps = [1m, 10m]\n'


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_broken_file_is_reported_with_file_and_line(ponder_home: Path) -> None:
    path = _write(ponder_home / "config.toml", BROKEN)
    config, warnings = config_store.load_with_warnings(path)
    assert config == Config()
    assert len(warnings) == 1
    assert str(path) in warnings[0] and "line 3" in warnings[0]


def test_save_keeps_a_broken_file_aside_before_writing(ponder_home: Path) -> None:
    path = _write(ponder_home / "config.toml", BROKEN)
    config = config_store.load(path)
    config.theme = "nord"
    config_store.save(config, path)
    kept = list(ponder_home.glob("config.toml.bad-*"))
    assert len(kept) == 1
    assert kept[0].read_text(encoding="utf-8") == BROKEN
    assert kept[0].stat().st_mode & 0o777 == 0o600
    assert config_store.load(path).theme == "nord"


def test_cli_warns_on_stderr_and_still_runs(ponder_home: Path) -> None:
    _write(ponder_home / "config.toml", BROKEN)
    result = subprocess.run(
        [sys.executable, "-m", "tui.cli", "list"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result
    lines = [line for line in result.stderr.splitlines() if "warning" in line]
    assert len(lines) == 1
    assert "config.toml" in lines[0] and "line 3" in lines[0]
    assert "Traceback" not in result.stderr
    assert (ponder_home / "config.toml").read_text(encoding="utf-8") == BROKEN


async def test_app_notifies_at_start_and_theme_save_keeps_the_file(ponder_home: Path) -> None:
    from tui.app import PonderApp

    _write(ponder_home / "config.toml", BROKEN)
    app = PonderApp()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        messages = [n.message for n in app._notifications]
        assert any("config.toml" in m and "line 3" in m for m in messages), messages
        app.theme = "nord"
        await pilot.pause()
    kept = list(ponder_home.glob("config.toml.bad-*"))
    assert [k.read_text(encoding="utf-8") for k in kept] == [BROKEN]


@pytest.mark.parametrize(
    ("line", "name"),
    [
        ("new_per_day = inf", "new_per_day"),
        ("maximum_interval = -inf", "maximum_interval"),
        ('learning_steps = ["99999999999d"]', "learning_steps"),
        ('relearning_steps = "99999999999999999999999h"', "relearning_steps"),
    ],
)
def test_out_of_range_value_falls_back_with_a_warning(
    ponder_home: Path, line: str, name: str
) -> None:
    path = _write(ponder_home / "config.toml", f'api_key = "k"\n{line}\n')
    config, warnings = config_store.load_with_warnings(path)
    assert getattr(config, name) == getattr(Config(), name)
    assert config.api_key == "k"
    assert len(warnings) == 1 and name in warnings[0]


def test_deeply_nested_array_is_a_warning_not_a_crash(ponder_home: Path) -> None:
    path = _write(ponder_home / "config.toml", "learning_steps = " + "[" * 5000 + "]" * 5000)
    config, warnings = config_store.load_with_warnings(path)
    assert config == Config()
    assert len(warnings) == 1 and "config.toml" in warnings[0]


def test_cli_survives_out_of_range_values(ponder_home: Path) -> None:
    _write(ponder_home / "config.toml", 'new_per_day = inf\nlearning_steps = ["99999999999d"]\n')
    result = subprocess.run(
        [sys.executable, "-m", "tui.cli", "list"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result
    assert "Traceback" not in result.stderr
    assert "new_per_day" in result.stderr and "learning_steps" in result.stderr


@pytest.mark.parametrize(
    "value", ["25", "proxy.example:3128", "ftp://h:1", "http://", "http://h:99999"]
)
def test_a_proxy_setting_that_is_not_a_proxy_url_is_refused(value: str) -> None:
    from core.config import ConfigError, validate

    with pytest.raises(ConfigError, match="proxy URL"):
        validate("proxy_https", value)


@pytest.mark.parametrize(
    "value", ["", "http://h:3128", "https://user:pa%40ss@proxy.example:443", "socks5h://h:1080"]
)
def test_proxy_urls_and_no_proxy_are_accepted(value: str) -> None:
    from core.config import validate

    assert validate("proxy_http", value) == value
