"""Keys can be rebound from the config's [keymap] table, by the ids the help screen shows."""

from __future__ import annotations

from core import config as config_store
from core.library import Library
from tests.tui_helpers import wait_until
from tui.app import PonderApp
from tui.screens.help import HelpScreen


async def test_rebinding_a_key_from_the_config_takes_effect() -> None:
    config_store.update("keymap", {"app.help": "f1"})  # the app's ? help binding id
    app = PonderApp(library=Library())
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)  # ? is no longer bound
        await pilot.press("f1")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        assert "app.help" in str(app.screen.query_one("#help-text").render())


async def test_settings_open_from_the_study_screen_too() -> None:
    from tui.screens.settings import SettingsScreen
    from tui.screens.study import StudyScreen

    library = Library()
    app = PonderApp(library=library)
    async with app.run_test(size=(100, 30)) as pilot:
        source_id = library.sources()[0].id
        assert source_id is not None
        app.push_screen(StudyScreen(source_id))
        await wait_until(pilot, lambda: isinstance(app.screen, StudyScreen))
        await pilot.press("comma")
        await wait_until(pilot, lambda: isinstance(app.screen, SettingsScreen))


async def test_app_keys_for_the_screen_already_open_leave_the_footer() -> None:
    from tui.screens.stats import StatsScreen

    app = PonderApp(library=Library())
    async with app.run_test(size=(100, 30)) as pilot:
        footer_actions = {b.binding.action for b in app.screen.active_bindings.values()}
        assert "stats" in footer_actions and app.check_action("stats", ()) is True
        await pilot.press("S")
        await wait_until(pilot, lambda: isinstance(app.screen, StatsScreen))
        assert app.check_action("stats", ()) is False
        assert app.check_action("browse", ()) is True
