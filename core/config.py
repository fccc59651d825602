"""The user's settings: a documented TOML file, validated field by field.

Read with `tomllib`, written with `tomlkit` so the user's comments survive. The file is
written with mode 0600 because it may hold the Anthropic API key. An invalid value is
reported with the setting's name and accepted range, and the old value is kept.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from core.paths import config_path

DEFAULT_MODEL = "claude-sonnet-5-5"
KNOWN_MODELS = ("claude-sonnet-5-5", "claude-haiku-5-5", "claude-opus-5-5")

# USD per million tokens: input, output, cache write, cache read.
DEFAULT_PRICES: dict[str, dict[str, float]] = {
    "claude-sonnet-5-5": {"input": 3.0, "output": 15.0, "cache_write": 3.75, "cache_read": 0.30},
    "claude-haiku-5-5": {"input": 1.0, "output": 5.0, "cache_write": 1.25, "cache_read": 0.10},
    "claude-opus-5-5": {"input": 5.0, "output": 25.0, "cache_write": 6.25, "cache_read": 0.50},
}


class ConfigError(ValueError):
    """A setting with a value outside what it accepts; the message names both."""


@dataclass
class Config:
    model: str = DEFAULT_MODEL
    api_key: str = ""
    languages: list[str] = field(default_factory=lambda: ["en"])
    proxy_http: str = ""
    proxy_https: str = ""
    webshare_username: str = ""
    webshare_password: str = ""
    new_per_day: int = 20
    reviews_per_day: int = 200
    learning_steps: list[str] = field(default_factory=lambda: ["1m", "10m"])
    relearning_steps: list[str] = field(default_factory=lambda: ["10m"])
    desired_retention: float = 0.9
    maximum_interval: int = 36500
    day_rollover_hour: int = 4
    bury_siblings: bool = True
    theme: str = "textual-dark"
    whisper_model: str = "tiny.en"
    prices: dict[str, dict[str, float]] = field(default_factory=lambda: dict(DEFAULT_PRICES))
    keymap: dict[str, str] = field(default_factory=dict)
    anki_endpoint: str = ""
    anki_user: str = ""
    anki_key: str = ""
    anki_sync_on_start: bool = False
    anki_sync_on_quit: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any], warnings: list[str] | None = None) -> Config:
        """Build from a mapping, keeping defaults for missing or invalid values.

        Each invalid value is described in `warnings` (when given) and left at its default.
        """
        config = cls()
        for name, value in data.items():
            if name in _FIELD_NAMES:
                try:
                    setattr(config, name, validate(name, value))
                except ConfigError as error:
                    if warnings is not None:
                        warnings.append(f"{error} Using the default.")
        return config

    def effective_api_key(self) -> str:
        """ANTHROPIC_API_KEY wins over the config file, as the SDK users expect."""
        return os.environ.get("ANTHROPIC_API_KEY") or self.api_key


_FIELD_NAMES = {f.name for f in fields(Config)}


def _steps(value: Any) -> list[str]:
    from core.durations import parse_duration

    if isinstance(value, str):
        value = value.split()
    if not isinstance(value, list) or not value:
        raise ValueError
    for step in value:
        if parse_duration(str(step)) is None:
            raise ValueError
    return [str(s) for s in value]


def _int_range(low: int, high: int) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        number = int(value)
        if not low <= number <= high or isinstance(value, bool):
            raise ValueError
        return number

    return check


def _float_range(low: float, high: float) -> Callable[[Any], float]:
    def check(value: Any) -> float:
        number = float(value)
        if not low <= number <= high:
            raise ValueError
        return number

    return check


def _languages(value: Any) -> list[str]:
    if isinstance(value, str):
        value = [v.strip() for v in value.replace(",", " ").split()]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        raise ValueError
    return value


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError
    return value.strip()


PROXY_SCHEMES = ("http", "https", "socks5", "socks5h", "socks4")


def _proxy_url(value: Any) -> str:
    """Empty (no proxy) or a URL with a proxy scheme and a host; a bare "25" is refused."""
    from urllib.parse import urlsplit

    text = _text(value)
    if not text:
        return text
    parts = urlsplit(text)
    if parts.scheme.lower() not in PROXY_SCHEMES or not parts.hostname:
        raise ValueError
    _ = parts.port  # ValueError for a port that is not a number from 0 to 65535
    return text


def _yes_no(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = _text(value).lower()
    if text in ("yes", "true", "on", "1"):
        return True
    if text in ("no", "false", "off", "0"):
        return False
    raise ValueError


def _model(value: Any) -> str:
    text = _text(value)
    if not text:
        raise ValueError
    return text


def _prices(value: Any) -> dict[str, dict[str, float]]:
    if not isinstance(value, dict):
        raise ValueError
    return {str(m): {str(k): float(v) for k, v in p.items()} for m, p in value.items()}


def _keymap(value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in value.items()
    ):
        raise ValueError
    return {k: v.strip() for k, v in value.items()}


# name -> (validator, description of what is accepted)
VALIDATORS: dict[str, tuple[Callable[[Any], Any], str]] = {
    "model": (_model, f"a Claude model name such as {', '.join(KNOWN_MODELS)}"),
    "api_key": (_text, "an Anthropic API key (text)"),
    "languages": (_languages, "language codes such as en, de (comma or space separated)"),
    "proxy_http": (_proxy_url, "a proxy URL such as http://user:pass@host:port"),
    "proxy_https": (_proxy_url, "a proxy URL such as http://user:pass@host:port"),
    "webshare_username": (_text, "a Webshare proxy username"),
    "webshare_password": (_text, "a Webshare proxy password"),
    "new_per_day": (_int_range(0, 9999), "a whole number from 0 to 9999"),
    "reviews_per_day": (_int_range(0, 99999), "a whole number from 0 to 99999"),
    "learning_steps": (_steps, "durations such as 1m 10m (s, m, h, d)"),
    "relearning_steps": (_steps, "durations such as 10m (s, m, h, d)"),
    "desired_retention": (_float_range(0.70, 0.99), "a number from 0.70 to 0.99"),
    "maximum_interval": (_int_range(1, 36500), "a whole number of days from 1 to 36500"),
    "day_rollover_hour": (_int_range(0, 23), "an hour from 0 to 23"),
    "bury_siblings": (_yes_no, "yes or no"),
    "theme": (_model, "the name of a Textual theme"),
    "whisper_model": (_text, "a faster-whisper model name (tiny.en, base, ...) or folder"),
    "prices": (_prices, "a table of model -> {input, output, cache_write, cache_read}"),
    "keymap": (_keymap, 'a table of binding id -> keys, e.g. "study.search" = "ctrl+f"'),
    "anki_endpoint": (_text, "an Anki sync server URL (empty = AnkiWeb)"),
    "anki_user": (_text, "the Anki sync user name (set by `ponder anki login`)"),
    "anki_key": (_text, "the Anki sync key (set by `ponder anki login`; never a password)"),
    "anki_sync_on_start": (_yes_no, "yes or no"),
    "anki_sync_on_quit": (_yes_no, "yes or no"),
}


def validate(name: str, value: Any) -> Any:
    """The cleaned value for setting `name`, or ConfigError naming the accepted range."""
    if name not in VALIDATORS:
        raise ConfigError(f"Unknown setting {name!r}.")
    check, accepted = VALIDATORS[name]
    try:
        return check(value)
    except (ValueError, TypeError, AttributeError, OverflowError, RecursionError):
        raise ConfigError(f"{name}: {value!r} is not valid; expected {accepted}.") from None


class ConfigFileError(ValueError):
    """The config file exists but is not valid TOML; the message names the file and line."""


def _parse(path: Path) -> dict[str, Any] | None:
    """The file's table; None when it is missing or unreadable; ConfigFileError when broken."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except UnicodeDecodeError:
        raise ConfigFileError(f"{path} could not be read: it is not UTF-8 text.") from None
    except OSError as error:
        raise ConfigFileError(f"{path} could not be read: {error.strerror or error}.") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigFileError(f"{path} could not be read: {error}.") from None
    except RecursionError:
        raise ConfigFileError(f"{path} could not be read: it is nested too deeply.") from None


def load_with_warnings(path: Path | None = None) -> tuple[Config, list[str]]:
    """The config from disk and what was wrong with it (one line each, for the user).

    A missing file gives the defaults silently; a file that is not valid TOML gives the
    defaults and a warning naming the file and line; an invalid value keeps its default.
    """
    path = path or config_path()
    warnings: list[str] = []
    try:
        data = _parse(path)
    except ConfigFileError as error:
        return Config(), [f"{error} Using the defaults; fix the file (it is left as it is)."]
    if data is None:
        return Config(), warnings
    return Config.from_dict(data, warnings), warnings


def load(path: Path | None = None) -> Config:
    """The config from disk; a missing or unreadable file gives the defaults."""
    return load_with_warnings(path)[0]


_HEADER = """\
# Ponder settings. Edit here or in the Settings screen (press , in the app).
# Every setting is optional; a missing or invalid one falls back to its default.
#   model              Claude model for chat (claude-sonnet-5-5, claude-haiku-5-5, claude-opus-5-5)
#   api_key            Anthropic API key (ANTHROPIC_API_KEY in the environment wins)
#   languages          preferred YouTube caption languages, in order
#   proxy_http/https   proxy for YouTube (cloud IPs are often blocked by YouTube)
#   webshare_*         Webshare rotating residential proxy credentials
#   new_per_day        new cards introduced per study day
#   reviews_per_day    review cards shown per study day
#   learning_steps     FSRS learning steps, e.g. ["1m", "10m"]
#   relearning_steps   FSRS relearning steps, e.g. ["10m"]
#   desired_retention  0.70-0.99 (0.80-0.95 recommended)
#   maximum_interval   longest interval in days
#   day_rollover_hour  local hour at which a new study day begins (Anki: 4)
#   bury_siblings      answering a card hides the other cards of its note until the next day
#   theme              a Textual theme name
#   whisper_model      speech-to-text model for `ponder add AUDIO` (name or folder)
#   prices             USD per million tokens, for the cost estimate
#   keymap             rebind keys: binding id -> keys, e.g. [keymap] "study.search" = "ctrl+f"
#                      (the ids are listed in the ? help screen)
#   anki_endpoint      Anki sync server URL; empty = AnkiWeb (set by `ponder anki login`)
#   anki_user          Anki sync user (set by `ponder anki login`)
#   anki_key           Anki sync key from the server (the password itself is never stored)
#   anki_sync_on_start the app syncs with Anki when it starts (yes/no, default no)
#   anki_sync_on_quit  the app syncs with Anki before it quits (yes/no, default no)
"""


def save(config: Config, path: Path | None = None) -> Path:
    """Write the config, keeping comments already in the file; mode 0600."""
    import tomlkit

    path = path or config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        broken = False
        _parse(path)
    except ConfigFileError:
        broken = True
    document = None
    if not broken:
        try:
            document = tomlkit.parse(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            pass
        except Exception:  # tomlkit disagrees with tomllib: treat the file as broken
            broken = True
    if broken:
        _keep_aside(path)
    if document is None:
        document = tomlkit.parse(_HEADER)
    for name, value in config.to_dict().items():
        document[name] = value
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(tomlkit.dumps(document))
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
    return path


def _keep_aside(path: Path) -> Path:
    """Copy a file that could not be parsed to `<name>.bad-<timestamp>` (mode 0600)."""
    import time

    aside = path.with_name(f"{path.name}.bad-{time.strftime('%Y%m%d-%H%M%S')}")
    counter = 1
    while aside.exists():
        counter += 1
        aside = path.with_name(f"{path.name}.bad-{time.strftime('%Y%m%d-%H%M%S')}-{counter}")
    data = path.read_bytes()
    fd = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    return aside


def update(name: str, value: Any, path: Path | None = None) -> Config:
    """Validate and store one setting; raises ConfigError and changes nothing if invalid."""
    config = load(path)
    setattr(config, name, validate(name, value))
    save(config, path)
    return config
