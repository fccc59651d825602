"""Pilot tests for the settings screen: every field saves and survives a restart, invalid
values are refused with the setting's name and range, the API key stays masked and 0600,
the theme applies live and persists, Esc asks before discarding."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input, Select

from core import config as config_store
from core.paths import config_path
from tests.tui_helpers import Notes, screen_text, wait_until
from tui.app import PonderApp
from tui.screens.confirm import ConfirmScreen
from tui.screens.settings import SettingsScreen, mask_secret, retention_warning

SIZE = (100, 30)
KEY = "sk-ant-api03-abcdefghijklmnopqrstuvwxyz-a1b2"


async def open_settings(app: PonderApp, pilot: Any) -> SettingsScreen:
    screen = SettingsScreen()
    app.push_screen(screen)
    await wait_until(pilot, lambda: app.screen is screen and screen.is_mounted)
    await pilot.pause()
    return screen


def field(screen: SettingsScreen, name: str) -> Input:
    return screen.query_one(f"#set-{name}", Input)


# -- pure helpers ----------------------------------------------------------------------


def test_mask_secret_shows_only_the_ends() -> None:
    assert mask_secret(KEY) == "sk-ant-…a1b2"
    assert mask_secret("") == "(not set)"
    assert "abcdef" not in mask_secret("abcdefghij")
    assert mask_secret("abc") == "•••"


@pytest.mark.parametrize(
    ("text", "warns"),
    [
        ("0.75", True),
        ("0.80", False),
        ("0.9", False),
        ("0.95", False),
        ("0.97", True),
        ("1.5", False),
        ("x", False),
    ],
)
def test_retention_warning_outside_080_095(text: str, warns: bool) -> None:
    assert bool(retention_warning(text)) is warns


# -- saving --------------------------------------------------------------------------


async def test_every_field_saves_and_survives_a_restart() -> None:
    app = PonderApp()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await open_settings(app, pilot)
        text = screen_text(app)
        assert str(config_path()) in text
        screen.query_one("#set-model", Select).value = "claude-haiku-5-5"
        field(screen, "api_key").value = KEY
        field(screen, "languages").value = "de, en"
        field(screen, "proxy_http").value = "http://proxy.example:8080"
        field(screen, "proxy_https").value = "http://proxy.example:8443"
        field(screen, "webshare_username").value = "wsuser"
        field(screen, "webshare_password").value = "wspass"
        field(screen, "new_per_day").value = "35"
        field(screen, "reviews_per_day").value = "450"
        field(screen, "learning_steps").value = "30s 5m 1h"
        field(screen, "relearning_steps").value = "15m"
        field(screen, "desired_retention").value = "0.87"
        field(screen, "maximum_interval").value = "3650"
        field(screen, "day_rollover_hour").value = "5"
        screen.query_one("#set-theme", Select).value = "nord"
        await pilot.pause()
        assert screen.dirty
        assert "Unsaved" in screen_text(app)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: not screen.dirty)
        assert app.theme == "nord"
    # A new app on the same PONDER_HOME reads every value back.
    config = config_store.load()
    assert config.model == "claude-haiku-5-5"
    assert config.api_key == KEY
    assert config.languages == ["de", "en"]
    assert config.proxy_http == "http://proxy.example:8080"
    assert config.proxy_https == "http://proxy.example:8443"
    assert config.webshare_username == "wsuser"
    assert config.webshare_password == "wspass"
    assert config.new_per_day == 35
    assert config.reviews_per_day == 450
    assert config.learning_steps == ["30s", "5m", "1h"]
    assert config.relearning_steps == ["15m"]
    assert config.desired_retention == pytest.approx(0.87)
    assert config.maximum_interval == 3650
    assert config.day_rollover_hour == 5
    assert config.theme == "nord"
    app = PonderApp()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        assert app.theme == "nord"
        screen = await open_settings(app, pilot)
        assert field(screen, "new_per_day").value == "35"
        assert field(screen, "learning_steps").value == "30s 5m 1h"
        assert field(screen, "desired_retention").value == "0.87"
        assert screen.query_one("#set-model", Select).value == "claude-haiku-5-5"
        assert screen.query_one("#set-theme", Select).value == "nord"
        assert not screen.dirty


async def test_typing_into_a_field_and_ctrl_s() -> None:
    app = PonderApp()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await open_settings(app, pilot)
        new = field(screen, "new_per_day")
        new.focus()
        await pilot.press("ctrl+a", "ctrl+k")  # clear (home, kill to end)
        new.value = ""
        await pilot.press("4", "2", "enter")
        assert new.value == "42"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: config_store.load().new_per_day == 42)
        assert app.config.new_per_day == 42


async def test_free_text_model() -> None:
    app = PonderApp()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await open_settings(app, pilot)
        custom = screen.query_one("#set-model-custom", Input)
        assert not custom.display or custom.has_class("-hidden")
        screen.query_one("#set-model", Select).value = "\x00other"
        await pilot.pause()
        assert not custom.has_class("-hidden")
        custom.value = "claude-future-9"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: config_store.load().model == "claude-future-9")
    app = PonderApp()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await open_settings(app, pilot)
        assert screen.query_one("#set-model", Select).value == "\x00other"
        assert screen.query_one("#set-model-custom", Input).value == "claude-future-9"


@pytest.mark.parametrize(
    ("name", "bad", "accepted"),
    [
        ("desired_retention", "1.5", "0.70 to 0.99"),
        ("day_rollover_hour", "25", "0 to 23"),
        ("learning_steps", "soon", "durations"),
        ("new_per_day", "-1", "0 to 9999"),
        ("proxy_https", "25", "a proxy URL"),
    ],
)
async def test_invalid_values_name_the_setting_and_keep_the_old_value(
    name: str, bad: str, accepted: str
) -> None:
    before = getattr(config_store.load(), name)
    app = PonderApp()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        notes = Notes(app)
        screen = await open_settings(app, pilot)
        field(screen, name).value = bad
        field(screen, "reviews_per_day").value = "123"  # a valid change saved alongside
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: notes.errors)
        message = notes.errors[0]
        assert name in message and accepted in message and bad in message
        assert all(c.get("markup") is False for c in notes.calls)
        assert getattr(app.config, name) == before
        # The typed text stays in its field, marked, with the message under it.
        assert field(screen, name).value == bad
        assert field(screen, name).has_class("-invalid-setting")
        assert accepted in screen.query_one(f"#error-{name}").render().plain
        assert screen.dirty
    saved = config_store.load()
    assert getattr(saved, name) == before
    assert saved.reviews_per_day == 123


async def test_leaving_an_invalid_field_shows_the_message_at_once() -> None:
    app = PonderApp()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await open_settings(app, pilot)
        hour = field(screen, "day_rollover_hour")
        hour.focus()
        hour.value = "25"
        await pilot.press("tab")
        await wait_until(pilot, lambda: hour.has_class("-invalid-setting"))
        assert "day_rollover_hour" in screen.query_one("#error-day_rollover_hour").render().plain
        hour.focus()
        hour.value = "6"
        await pilot.press("tab")
        await wait_until(pilot, lambda: not hour.has_class("-invalid-setting"))


async def test_api_key_masked_and_file_mode_0600() -> None:
    app = PonderApp()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await open_settings(app, pilot)
        key_field = field(screen, "api_key")
        assert key_field.password
        key_field.value = KEY
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.config.api_key == KEY)
        await pilot.pause()
        assert key_field.value == ""  # never kept in the form
        text = screen_text(app)
        assert "sk-ant-…a1b2" in text
        assert "abcdefghij" not in text
    path = config_path()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert config_store.load().api_key == KEY
    # Reopened: still masked; saving other fields keeps the key.
    app = PonderApp()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await open_settings(app, pilot)
        assert "sk-ant-…a1b2" in screen_text(app)
        field(screen, "new_per_day").value = "7"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: config_store.load().new_per_day == 7)
        assert config_store.load().api_key == KEY
        # Forget removes it.
        await pilot.click("#set-api-key-forget")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: config_store.load().api_key == "")


async def test_environment_key_is_shown_as_overriding(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-env-0000000000000000-zz99")
    app = PonderApp()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await open_settings(app, pilot)
        text = screen_text(app)
        assert "ANTHROPIC_API_KEY" in text and "overrides" in text
        assert "zz99" in text and "0000000000000000" not in text


async def test_theme_applies_live_and_discard_restores_it() -> None:
    app = PonderApp()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        original = app.theme
        screen = await open_settings(app, pilot)
        screen.query_one("#set-theme", Select).value = "dracula"
        await wait_until(pilot, lambda: app.theme == "dracula")
        assert config_store.load().theme == original  # not saved yet
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await wait_until(pilot, lambda: "Theme" in screen_text(app))
        await pilot.press("y")
        await wait_until(pilot, lambda: not isinstance(app.screen, SettingsScreen | ConfirmScreen))
        assert app.theme == original
    assert config_store.load().theme == original


async def test_escape_with_changes_can_keep_editing() -> None:
    app = PonderApp()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await open_settings(app, pilot)
        field(screen, "new_per_day").value = "11"
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("n")
        await wait_until(pilot, lambda: app.screen is screen)
        assert field(screen, "new_per_day").value == "11"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: not screen.dirty)
        await pilot.press("escape")  # nothing unsaved: closes at once
        await wait_until(pilot, lambda: app.screen is not screen)
    assert config_store.load().new_per_day == 11


async def test_untrusted_config_text_is_not_markup(ponder_home: Path) -> None:
    config = config_store.Config(webshare_username="[bold]x[/] [@click=app.quit]y[/]")
    config_store.save(config)
    app = PonderApp()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await open_settings(app, pilot)
        assert field(screen, "webshare_username").value == "[bold]x[/] [@click=app.quit]y[/]"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.is_running
    assert os.path.exists(config_path())
