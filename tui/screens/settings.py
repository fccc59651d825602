"""Settings: every field of the documented TOML config file, edited in one form.

ctrl+s validates every field with `core.config.validate` and saves the valid ones; an
invalid value is reported with the setting's name and accepted range (the ConfigError
message), stays in its field marked in red, and the saved config keeps the old value.
Esc closes, asking first when there are unsaved changes. The theme applies live while
choosing (and goes back if the changes are discarded).

The API key is never shown: the screen shows a masked form (`sk-ant-…a1b2`) and an empty
password field that replaces it when filled. The file is written with mode 0600.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Literal

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Header, Input, Select, Static

from core.config import KNOWN_MODELS, VALIDATORS, Config, ConfigError, validate
from core.paths import config_path
from core.textsafe import inert_line
from tui.context import ponder
from tui.widgets.footer import CoalescingFooter

OTHER_MODEL = "\x00other"  # the Select value meaning "type a model name below"
RETENTION_ADVISED = (0.80, 0.95)

FieldKind = Literal[
    "text", "integer", "number", "secret", "model", "theme", "api_key", "anki_login"
]


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One setting as the form shows it."""

    name: str
    label: str
    kind: FieldKind = "text"
    section: str = ""

    @property
    def accepted(self) -> str:
        return VALIDATORS[self.name][1]


FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("model", "Model", "model", "Chat"),
    FieldSpec("api_key", "API key", "api_key", "Chat"),
    FieldSpec("languages", "Transcript languages", "text", "YouTube"),
    FieldSpec("proxy_http", "HTTP proxy", "text", "YouTube"),
    FieldSpec("proxy_https", "HTTPS proxy", "text", "YouTube"),
    FieldSpec("webshare_username", "Webshare user", "secret", "YouTube"),
    FieldSpec("webshare_password", "Webshare password", "secret", "YouTube"),
    FieldSpec("new_per_day", "New cards/day", "integer", "Study"),
    FieldSpec("reviews_per_day", "Reviews/day", "integer", "Study"),
    FieldSpec("learning_steps", "Learning steps", "text", "Study"),
    FieldSpec("relearning_steps", "Relearning steps", "text", "Study"),
    FieldSpec("desired_retention", "Desired retention", "number", "Study"),
    FieldSpec("maximum_interval", "Maximum interval (days)", "integer", "Study"),
    FieldSpec("day_rollover_hour", "Day starts at hour", "integer", "Study"),
    FieldSpec("bury_siblings", "Bury siblings (yes/no)", "text", "Study"),
    FieldSpec("theme", "Theme", "theme", "Look"),
    FieldSpec("anki_endpoint", "Sync server (empty: AnkiWeb)", "text", "Anki"),
    FieldSpec("anki_user", "User (AnkiWeb e-mail)", "text", "Anki"),
    FieldSpec("anki_key", "Log in", "anki_login", "Anki"),
    FieldSpec("anki_sync_on_start", "Sync on start (yes/no)", "text", "Anki"),
    FieldSpec("anki_sync_on_quit", "Sync on quit (yes/no)", "text", "Anki"),
)
FIELD_BY_NAME = {spec.name: spec for spec in FIELDS}


def mask_secret(secret: str) -> str:
    """`sk-ant-api03-…a1b2`-style: enough to recognise a key, never enough to use it."""
    secret = secret.strip()
    if not secret:
        return "(not set)"
    if len(secret) >= 16:
        return f"{secret[:7]}…{secret[-4:]}"
    if len(secret) >= 8:
        return f"…{secret[-2:]}"
    return "•" * len(secret)


def as_text(value: Any) -> str:
    """A config value as the text a field holds (lists space separated)."""
    if isinstance(value, list | tuple):
        return " ".join(str(item) for item in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def retention_warning(text: str) -> str:
    """A warning for an allowed but unwise desired retention (empty when fine or invalid)."""
    try:
        value = float(text)
    except ValueError:
        return ""
    low, high = RETENTION_ADVISED
    if 0.70 <= value < low:
        return f"Below {low:.2f}: more forgetting, and relearning costs more than it saves."
    if high < value <= 0.99:
        return f"Above {high:.2f}: the workload grows steeply for little gain."
    return ""


class AnkiLoginDone(Message):
    """The login worker's answer: the account (key, never the password) or why not."""

    def __init__(self, account: Any, error: str) -> None:
        super().__init__()
        self.account = account
        self.error = error


ANKI_LOGIN_HINT = (
    "The password is used once to get a sync key; only the key is kept (mode 0600). "
    "Y syncs from any screen."
)


def anki_status_text(config: Config) -> Text:
    if config.anki_user and config.anki_key:
        where = config.anki_endpoint or "AnkiWeb"
        return Text(f"Logged in as {inert_line(config.anki_user)} ({inert_line(where)})")
    return Text("Not logged in")


def anki_login_row(config: Config) -> ComposeResult:
    yield Static(anki_status_text(config), id="set-anki-status")
    yield Input("", placeholder="password", password=True, compact=True, id="set-anki-password")
    yield Button("Log in", id="set-anki-login", variant="primary", compact=True)
    yield Button("Log out", id="set-anki-logout", compact=True)


class SettingsScreen(Screen[None]):
    """The config file as a form; ctrl+s saves, Esc closes."""

    HELP_GROUP = "Settings"

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="settings.save", priority=True),
        Binding("escape", "close", "Close", id="settings.close"),
    ]

    DEFAULT_CSS = """
    SettingsScreen #settings-path { padding: 0 1; color: $text-muted; height: auto; }
    SettingsScreen #settings-status { padding: 0 1; height: 1; color: $warning; }
    SettingsScreen #settings-form { height: 1fr; padding: 0 1; }
    SettingsScreen .settings-section {
        margin-top: 1; text-style: bold; color: $accent; height: 1;
    }
    SettingsScreen .settings-row { height: auto; margin-top: 1; }
    SettingsScreen .settings-label { width: 26; padding: 0 1 0 0; }
    SettingsScreen .settings-control { width: 1fr; height: auto; }
    SettingsScreen .settings-control Input, SettingsScreen .settings-control Select {
        width: 1fr;
    }
    SettingsScreen .settings-hint { color: $text-muted; padding-left: 26; height: auto; }
    SettingsScreen .settings-error { color: $error; padding-left: 26; height: auto; }
    SettingsScreen .settings-warning { color: $warning; padding-left: 26; height: auto; }
    SettingsScreen .settings-error.-empty, SettingsScreen .settings-warning.-empty {
        display: none;
    }
    SettingsScreen #set-model-custom { width: 1fr; }
    SettingsScreen #set-model-custom.-hidden { display: none; }
    SettingsScreen #set-api-key-shown { width: auto; padding: 0 1 0 0; }
    SettingsScreen #set-api-key-forget { min-width: 10; margin-left: 1; }
    SettingsScreen #set-anki-status { width: auto; padding: 0 1 0 0; }
    SettingsScreen #set-anki-login, SettingsScreen #set-anki-logout {
        min-width: 8; margin-left: 1;
    }
    SettingsScreen Input.-invalid-setting { background: $error 30%; }
    """

    def __init__(self) -> None:
        super().__init__()
        self._saved: dict[str, str] = {}
        self._forget_key = False
        self._original_theme: str | None = None

    # -- building the form -----------------------------------------------------------

    @property
    def config(self) -> Config:
        return ponder(self).config

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(
            Text.assemble(("Config file: ", "bold"), inert_line(str(config_path()))),
            id="settings-path",
        )
        yield Static("", id="settings-status")
        with VerticalScroll(id="settings-form"):
            section = ""
            for spec in FIELDS:
                if spec.section != section:
                    section = spec.section
                    yield Static(Content(section), classes="settings-section")
                yield from self._compose_field(spec)
        yield CoalescingFooter()

    def _compose_field(self, spec: FieldSpec) -> ComposeResult:
        config = self.config
        value = getattr(config, spec.name)
        with Horizontal(classes="settings-row"):
            yield Static(Content(spec.label), classes="settings-label")
            with Horizontal(classes="settings-control"):
                if spec.kind == "model":
                    known = value in KNOWN_MODELS
                    options = [(Text(model), model) for model in KNOWN_MODELS]
                    options.append((Text("Other (type the name)"), OTHER_MODEL))
                    yield Select(
                        options,
                        value=value if known else OTHER_MODEL,
                        allow_blank=False,
                        compact=True,
                        id="set-model",
                    )
                    yield Input(
                        "" if known else value,
                        placeholder="model name",
                        compact=True,
                        id="set-model-custom",
                        classes="" if not known else "-hidden",
                    )
                elif spec.kind == "theme":
                    themes = sorted(self.app.available_themes)
                    yield Select(
                        [(Text(name), name) for name in themes],
                        value=self.app.theme if self.app.theme in themes else themes[0],
                        allow_blank=False,
                        compact=True,
                        id="set-theme",
                    )
                elif spec.kind == "api_key":
                    yield Static(Text(mask_secret(value)), id="set-api-key-shown")
                    yield Input(
                        "",
                        placeholder="paste a new key to replace it",
                        password=True,
                        compact=True,
                        id="set-api_key",
                    )
                    yield Button("Forget", id="set-api-key-forget", variant="warning", compact=True)
                elif spec.kind == "anki_login":
                    yield from anki_login_row(config)
                else:
                    yield Input(
                        as_text(value),
                        type="integer" if spec.kind == "integer" else "text",
                        password=spec.kind == "secret",
                        compact=True,
                        id=f"set-{spec.name}",
                    )
        hint = spec.accepted
        if spec.name == "api_key":
            hint = "Kept in the config file (mode 0600), shown masked; Forget removes it."
            if os.environ.get("ANTHROPIC_API_KEY"):
                hint = (
                    "ANTHROPIC_API_KEY is set in the environment and overrides this key "
                    f"({mask_secret(os.environ['ANTHROPIC_API_KEY'])})."
                )
        elif spec.kind == "anki_login":
            hint = ANKI_LOGIN_HINT
        elif spec.name == "desired_retention":
            hint += " (0.80-0.95 recommended)"
        yield Static(Text(hint), classes="settings-hint", id=f"hint-{spec.name}")
        if spec.name == "desired_retention":
            warning = retention_warning(as_text(value))
            yield Static(
                Text(warning),
                classes="settings-warning" + ("" if warning else " -empty"),
                id="warn-desired_retention",
            )
        yield Static("", classes="settings-error -empty", id=f"error-{spec.name}")

    def on_mount(self) -> None:
        self.sub_title = "Settings"
        self._original_theme = self.app.theme
        self._saved = self._form_values()
        self._update_status()

    # -- reading the form ------------------------------------------------------------

    def _form_values(self) -> dict[str, str]:
        """Every field's current text (the API key: '' = unchanged)."""
        values: dict[str, str] = {}
        for spec in FIELDS:
            if spec.kind == "model":
                choice = self.query_one("#set-model", Select).value
                if choice == OTHER_MODEL:
                    values["model"] = self.query_one("#set-model-custom", Input).value
                else:
                    values["model"] = str(choice)
            elif spec.kind == "theme":
                values["theme"] = str(self.query_one("#set-theme", Select).value)
            elif spec.kind == "anki_login":
                continue  # logging in saves the key at once; never part of ctrl+s
            else:
                values[spec.name] = self.query_one(f"#set-{spec.name}", Input).value
        return values

    def changed_fields(self) -> list[str]:
        """Settings whose field differs from what was last saved."""
        current = self._form_values()
        changed = [name for name, text in current.items() if text != self._saved.get(name)]
        if self._forget_key and "api_key" not in changed:
            changed.append("api_key")
        return changed

    @property
    def dirty(self) -> bool:
        return bool(self.changed_fields())

    def _update_status(self) -> None:
        changed = self.changed_fields()
        status = self.query_one("#settings-status", Static)
        if changed:
            labels = ", ".join(FIELD_BY_NAME[name].label for name in changed)
            status.update(Text(f"Unsaved: {labels} — ctrl+s saves, Esc discards"))
        else:
            status.update(Text("ctrl+s saves · Esc closes", style="dim"))

    # -- events ----------------------------------------------------------------------

    @on(Input.Changed)
    def _input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "set-desired_retention":
            self._show_retention_warning(event.value)
        self._update_status()

    @on(Input.Blurred)
    def _input_blurred(self, event: Input.Blurred) -> None:
        """Check a field as the cursor leaves it, so a typo shows at once (not saved yet)."""
        name = self._name_of(event.input)
        if name is None:
            return
        text = self._form_values().get(name, "")
        if name == "api_key" and not text:
            self._show_error(name, "")
            return
        try:
            validate(name, text)
        except ConfigError as error:
            self._show_error(name, str(error))
        else:
            self._show_error(name, "")

    @on(Input.Submitted)
    def _input_submitted(self, event: Input.Submitted) -> None:
        """Enter moves to the next field (ctrl+s saves); in the Anki password, logs in."""
        event.stop()
        if event.input.id == "set-anki-password":
            self.anki_login()
            return
        self.focus_next()

    @on(Select.Changed, "#set-model")
    def _model_changed(self, event: Select.Changed) -> None:
        custom = self.query_one("#set-model-custom", Input)
        custom.set_class(event.value != OTHER_MODEL, "-hidden")
        if event.value == OTHER_MODEL:
            custom.focus()
        self._update_status()

    @on(Select.Changed, "#set-theme")
    def _theme_changed(self, event: Select.Changed) -> None:
        """Preview the theme at once; it is kept on save and undone on discard."""
        value = event.value
        if (
            isinstance(value, str)
            and value in self.app.available_themes
            and value != self.app.theme
        ):
            self._apply_theme(value)
        self._update_status()

    @on(Button.Pressed, "#set-api-key-forget")
    def _forget_api_key(self, event: Button.Pressed) -> None:
        event.stop()
        self._forget_key = True
        self.query_one("#set-api_key", Input).value = ""
        self.query_one("#set-api-key-shown", Static).update(Text("(removed on save)"))
        self._update_status()

    # -- Anki login ------------------------------------------------------------------

    @on(Button.Pressed, "#set-anki-login")
    def _anki_login_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.anki_login()

    @on(Button.Pressed, "#set-anki-logout")
    def _anki_logout_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        was = bool(self.config.anki_key)
        self.config.anki_key = ""
        try:
            ponder(self).save_config()
        except OSError as error:
            self.notify(f"Could not save the settings: {error}", severity="error", markup=False)
            return
        self._show_anki_status()
        self.notify("Logged out of Anki." if was else "Not logged in to Anki.", markup=False)

    def anki_login(self) -> None:
        """Log in with the user and server in the form; the password field is emptied at
        once and the password lives only in the worker's call (the key is what is kept)."""
        password_field = self.query_one("#set-anki-password", Input)
        password = password_field.value
        password_field.value = ""
        values = self._form_values()
        user, endpoint = values["anki_user"].strip(), values["anki_endpoint"].strip()
        if not user:
            self._show_error("anki_key", "Type the user (the AnkiWeb e-mail) first.")
            return
        if not password:
            self._show_error("anki_key", "Type the password, then Enter or Log in.")
            return
        self._show_error("anki_key", "")
        self.query_one("#set-anki-status", Static).update(Text("Logging in..."))
        self._anki_login_worker(user, password, endpoint)

    @work(thread=True, exclusive=True, group="anki-login", exit_on_error=False)
    def _anki_login_worker(self, user: str, password: str, endpoint: str) -> None:
        from decks.anki_sync import AnkiSyncError, login

        try:
            account = login(user, password, endpoint)
        except AnkiSyncError as error:
            self.post_message(AnkiLoginDone(None, str(error)))
        except Exception as error:  # never a traceback in the form
            self.post_message(AnkiLoginDone(None, f"Login failed: {error}"))
        else:
            self.post_message(AnkiLoginDone(account, ""))
        finally:
            password = ""

    @on(AnkiLoginDone)
    def _anki_login_done(self, event: AnkiLoginDone) -> None:
        account = event.account
        if account is None:
            self._show_error("anki_key", event.error)
            self._show_anki_status()
            return
        config = self.config
        config.anki_user, config.anki_key = account.user, account.key
        config.anki_endpoint = account.endpoint
        try:
            ponder(self).save_config()
        except OSError as error:
            self.notify(f"Could not save the settings: {error}", severity="error", markup=False)
            return
        self.query_one("#set-anki_user", Input).value = account.user
        self.query_one("#set-anki_endpoint", Input).value = account.endpoint
        self._saved["anki_user"], self._saved["anki_endpoint"] = account.user, account.endpoint
        self._show_anki_status()
        self._update_status()
        where = account.endpoint or "AnkiWeb"
        self.notify(
            f"Logged in to {inert_line(where)} as {inert_line(account.user)}.", markup=False
        )

    def _show_anki_status(self) -> None:
        self.query_one("#set-anki-status", Static).update(anki_status_text(self.config))

    def _name_of(self, widget: Input) -> str | None:
        if widget.id == "set-model-custom":
            return "model"
        if widget.id and widget.id.startswith("set-"):
            name = widget.id[4:]
            return name if name in FIELD_BY_NAME else None
        return None

    def _show_error(self, name: str, message: str) -> None:
        error = self.query_one(f"#error-{name}", Static)
        error.update(Text(message))
        error.set_class(not message, "-empty")
        widget_id = "#set-model-custom" if name == "model" else f"#set-{name}"
        for widget in self.query(widget_id):
            widget.set_class(bool(message), "-invalid-setting")

    def _show_retention_warning(self, text: str) -> None:
        warning = retention_warning(text)
        widget = self.query_one("#warn-desired_retention", Static)
        widget.update(Text(warning))
        widget.set_class(not warning, "-empty")

    def _apply_theme(self, theme: str) -> None:
        """Set the app's theme without letting the app save it behind the form's back."""
        ponder(self).apply_theme(theme, persist=False)

    # -- saving ----------------------------------------------------------------------

    def save(self) -> list[str]:
        """Validate and store every changed field; returns the error messages (if any).

        Valid fields are saved even when another one is invalid; an invalid one keeps its
        old value in the config and stays in its field, marked, with the message.
        """
        values = self._form_values()
        config = self.config
        errors: list[str] = []
        saved_names: list[str] = []
        anki_account = (config.anki_user, config.anki_endpoint)
        for name in self.changed_fields():
            text = values[name]
            if name == "api_key" and not text:
                if not self._forget_key:
                    continue
                text = ""
            try:
                cleaned = validate(name, text)
            except ConfigError as error:
                errors.append(str(error))
                self._show_error(name, str(error))
                continue
            self._show_error(name, "")
            setattr(config, name, cleaned)
            saved_names.append(name)
        if (config.anki_user, config.anki_endpoint) != anki_account and config.anki_key:
            config.anki_key = ""  # the key belongs to the old account: log in again
            self._show_anki_status()
        if saved_names:
            try:
                ponder(self).save_config()
            except OSError as error:
                self.notify(f"Could not save the settings: {error}", severity="error", markup=False)
                return [*errors, str(error)]
            for name in saved_names:
                self._saved[name] = values[name] if name != "api_key" else ""
            if "api_key" in saved_names:
                self._forget_key = False
                self.query_one("#set-api_key", Input).value = ""
                self.query_one("#set-api-key-shown", Static).update(
                    Text(mask_secret(config.api_key))
                )
                self._saved["api_key"] = ""
            if "theme" in saved_names:
                self._original_theme = config.theme
                self._apply_theme(config.theme)
        for message in errors:
            self.notify(message, title="Not saved", severity="error", markup=False, timeout=8)
        if saved_names:
            labels = ", ".join(FIELD_BY_NAME[name].label for name in saved_names)
            self.notify(f"Saved {labels} to {config_path()}", markup=False)
        elif not errors:
            self.notify("Nothing to save.", markup=False)
        self._update_status()
        return errors

    def action_save(self) -> None:
        self.save()

    def action_close(self) -> None:
        if not self.dirty:
            self._close()
            return
        from tui.screens.confirm import ConfirmScreen

        changed = ", ".join(FIELD_BY_NAME[name].label for name in self.changed_fields())

        def decided(discard: bool | None) -> None:
            if discard:
                self._close(discard=True)

        self.app.push_screen(
            ConfirmScreen(
                f"Discard unsaved changes to {changed}?",
                confirm_label="Discard",
                cancel_label="Keep editing",
                title="Unsaved settings",
            ),
            decided,
        )

    def _close(self, discard: bool = False) -> None:
        if discard and self._original_theme and self.app.theme != self._original_theme:
            self._apply_theme(self._original_theme)
        self.dismiss(None)


__all__ = ["FIELDS", "AnkiLoginDone", "SettingsScreen", "mask_secret", "retention_warning"]
