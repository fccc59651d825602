"""Drive the real `ponder` command inside tmux, for end-to-end tests.

Each `TmuxPonder` runs its own tmux server (a private socket in /tmp/ponder-e2e-<id>, its
own small config: no status line, no escape delay), so tests never touch the user's tmux
and can run side by side. The pane stays open after ponder exits (remain-on-exit) so a
test can read the last screen and the exit status (recorded by the wrapping shell in a
file), then `restart()` in the same pane, optionally with other environment variables
(e.g. PONDER_FAKE_NOW for the next simulated day).

    with TmuxPonder(home) as tui:
        tui.cli("add", "talk.srt")          # the CLI, same environment, not in tmux
        tui.start()
        tui.wait_for("sorted by")           # poll capture-pane, never sleep blindly
        tui.press("enter")
        tui.type("forgetting")
        tui.press("q")
        assert tui.wait_exit() == 0

Keys use Textual-style names ("enter", "escape", "ctrl+q", "down", "question_mark",
"shift+tab") or single characters; they are sent one by one so an Escape is never merged
with the next key into an Alt sequence.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

TMUX_CONFIG = """\
set -g status off
set -g remain-on-exit on
set -g history-limit 2000
set -g escape-time 0
set -g default-terminal "tmux-256color"
"""

# Textual key names -> tmux send-keys names.
_KEYS = {
    "enter": "Enter",
    "escape": "Escape",
    "tab": "Tab",
    "shift+tab": "BTab",
    "backspace": "BSpace",
    "delete": "DC",
    "space": "Space",
    "up": "Up",
    "down": "Down",
    "left": "Left",
    "right": "Right",
    "home": "Home",
    "end": "End",
    "pageup": "PPage",
    "pagedown": "NPage",
    "question_mark": "?",
    "slash": "/",
}

# Variables from the outside world that must not reach a test's Ponder: keys, addresses,
# the test clock, proxies (tests/conftest.py clears these for in-process tests too).
OUTSIDE_VARIABLES = (
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_BASE_URL",
    "PONDER_FAKE_NOW",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "http_proxy",
    "https_proxy",
)
_SCRUB = (*OUTSIDE_VARIABLES, "TMUX", "TMUX_PANE", "TEXTUAL")


def tmux_available() -> bool:
    return shutil.which("tmux") is not None


def ponder_command() -> list[str]:
    """The installed `ponder` next to this Python, else `python -m tui.cli`."""
    script = Path(sys.executable).with_name("ponder")
    if script.exists():
        return [str(script)]
    found = shutil.which("ponder")
    return [found] if found else [sys.executable, "-m", "tui.cli"]


def tmux_key(key: str) -> str:
    """A Textual-style key name as tmux's send-keys spells it."""
    if key in _KEYS:
        return _KEYS[key]
    if key.startswith("ctrl+") and len(key) > 5:
        return "C-" + tmux_key(key[5:])
    if key.startswith("alt+") and len(key) > 4:
        return "M-" + tmux_key(key[4:])
    if re.fullmatch(r"f\d{1,2}", key):
        return key.upper()
    return key


class TmuxError(AssertionError):
    """A wait timed out or tmux failed; the message ends with the screen as it was."""


class TmuxPonder:
    """One tmux server with one pane running `ponder` (or any command) in PONDER_HOME."""

    def __init__(
        self,
        home: Path,
        *,
        width: int = 100,
        height: int = 30,
        env: Mapping[str, str] | None = None,
        command: Sequence[str] | None = None,
        workdir: Path | None = None,
    ) -> None:
        self.home = Path(home)
        self.width = width
        self.height = height
        self.command = list(command) if command is not None else ponder_command()
        self.workdir = Path(workdir) if workdir is not None else self.home
        self.extra_env: dict[str, str] = dict(env or {})
        # A short socket path: AF_UNIX paths are limited to ~100 bytes.
        self._socket_dir = Path(f"/tmp/ponder-e2e-{uuid.uuid4().hex[:12]}")
        self._socket_dir.mkdir(mode=0o700)
        self.socket = self._socket_dir / "tmux.sock"
        self._config = self._socket_dir / "tmux.conf"
        self._config.write_text(TMUX_CONFIG)
        self.target = "ponder:0.0"
        self._status_file = self._socket_dir / "exit-status"
        self._started = False

    # -- environment and the CLI -------------------------------------------------------

    def environment(self, overrides: Mapping[str, str] | None = None) -> dict[str, str]:
        """What ponder runs with: this process's env, scrubbed, plus PONDER_HOME and TERM."""
        env = {key: value for key, value in os.environ.items() if key not in _SCRUB}
        env.update(PONDER_HOME=str(self.home), TERM="xterm-256color", COLORTERM="truecolor")
        env.update(self.extra_env)
        env.update(overrides or {})
        return env

    def cli(
        self, *args: str, env: Mapping[str, str] | None = None, check: bool = True, timeout=30
    ) -> subprocess.CompletedProcess[str]:
        """Run `ponder ARGS` outside tmux with the same environment (e.g. `ponder add`)."""
        result = subprocess.run(
            [*ponder_command(), *args],
            capture_output=True,
            text=True,
            env=self.environment(env),
            cwd=self.workdir,
            timeout=timeout,
        )
        if check and result.returncode != 0:
            raise TmuxError(
                f"ponder {shlex.join(args)} exited {result.returncode}:\n{result.stderr}"
            )
        return result

    # -- tmux plumbing -----------------------------------------------------------------

    def tmux(self, *args: str, check: bool = True) -> str:
        result = subprocess.run(
            ["tmux", "-S", str(self.socket), "-f", str(self._config), *args],
            capture_output=True,
            text=True,
            timeout=15,
        )
        if check and result.returncode != 0:
            raise TmuxError(f"tmux {shlex.join(args)}: {result.stderr.strip()}")
        return result.stdout

    def _shell_command(self, args: Sequence[str], env: Mapping[str, str] | None) -> str:
        """`env -i VAR=... command`, run by sh, which records the exit status in a file.

        The pane sees exactly the environment we chose. The status file is what
        `wait_exit` reads: tmux's own pane_dead_status is only set once tmux reaps the
        process, which was seen not to happen (a zombie) under pytest.
        """
        assignments = [f"{key}={value}" for key, value in self.environment(env).items()]
        inner = shlex.join(["env", "-i", *assignments, *self.command, *args])
        status = shlex.quote(str(self._status_file))
        return shlex.join(
            ["sh", "-c", f"{inner}; echo $? > {status}.tmp && mv {status}.tmp {status}"]
        )

    def start(self, *args: str, env: Mapping[str, str] | None = None) -> TmuxPonder:
        """Start `ponder ARGS` in a fresh pane of width×height (or respawn a dead one)."""
        self._status_file.unlink(missing_ok=True)
        command = self._shell_command(args, env)
        if self._started:
            self.tmux("respawn-pane", "-k", "-t", self.target, "-c", str(self.workdir), command)
            return self
        self.tmux(
            "new-session", "-d", "-s", "ponder", "-x", str(self.width), "-y", str(self.height),
            "-c", str(self.workdir), command,
        )  # fmt: skip
        self._started = True
        return self

    def restart(self, *args: str, env: Mapping[str, str] | None = None) -> TmuxPonder:
        """Start again in the same pane (after `wait_exit`, or killing a running one)."""
        return self.start(*args, env=env)

    def close(self) -> None:
        """Kill the tmux server (and ponder with it) and remove the socket folder."""
        if self._started:
            self.tmux("kill-server", check=False)
            self._started = False
        shutil.rmtree(self._socket_dir, ignore_errors=True)

    def __enter__(self) -> TmuxPonder:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- the process -------------------------------------------------------------------

    def app_pid(self) -> int | None:
        """The pid of the running ponder (the pane's first process that is not a shell).

        The pane runs `sh -c "env -i ... ponder ...; echo $? > status"`: `env` execs
        ponder, so ponder is the first descendant of the pane's shell that is not `sh` or
        `env`. Linux only (reads /proc). None once ponder has exited.
        """
        if not self.running:
            return None
        pane = int(self.tmux("display-message", "-p", "-t", self.target, "#{pane_pid}").strip())
        children: dict[int, list[int]] = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])  # field 4, after "(comm)"
            children.setdefault(parent, []).append(int(entry.name))
        queue = [pane]
        while queue:
            pid = queue.pop(0)
            try:
                name = (Path("/proc") / str(pid) / "comm").read_text().strip()
            except OSError:
                continue
            if pid != pane and name not in ("sh", "dash", "bash", "env"):
                return pid
            queue.extend(sorted(children.get(pid, [])))
        return None

    def kill(self, sig: int = signal.SIGKILL, *, timeout: float = 10.0) -> int:
        """Send `sig` (default SIGKILL, as `kill -9`) to ponder; its exit status (128+sig)."""
        pid = self.app_pid()
        if pid is None:
            raise TmuxError(f"no running ponder to kill:\n{self.capture()}")
        os.kill(pid, sig)
        return self.wait_exit(timeout=timeout)

    # -- input ---------------------------------------------------------------------------

    def press(self, *keys: str, delay: float = 0.03) -> None:
        """Send keys one at a time (Textual names such as "enter", "ctrl+p", "j")."""
        for key in keys:
            self.tmux("send-keys", "-t", self.target, tmux_key(key))
            time.sleep(0.12 if key == "escape" else delay)

    def type(self, text: str) -> None:
        """Type literal text (no key-name interpretation)."""
        if text:
            self.tmux("send-keys", "-t", self.target, "-l", text)
            time.sleep(0.03)

    def resize(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.tmux("resize-window", "-t", "ponder", "-x", str(width), "-y", str(height))

    # -- output --------------------------------------------------------------------------

    def capture(self, *, escapes: bool = False) -> str:
        """The visible screen as text (with colour escapes if `escapes`)."""
        args = ["capture-pane", "-p", "-t", self.target]
        if escapes:
            args.append("-e")
        return self.tmux(*args)

    @property
    def lines(self) -> list[str]:
        return self.capture().splitlines()

    def exit_status(self) -> int | None:
        """ponder's exit status once it has exited, else None."""
        try:
            return int(self._status_file.read_text().strip())
        except (OSError, ValueError):
            return None

    @property
    def running(self) -> bool:
        return self._started and self.exit_status() is None

    def wait_until(
        self,
        predicate: Callable[[str], bool],
        *,
        timeout: float = 30.0,
        interval: float = 0.05,
        what: str = "condition",
    ) -> str:
        """Poll capture-pane until `predicate(screen)` holds; return that screen."""
        deadline = time.monotonic() + timeout
        screen = ""
        while True:
            screen = self.capture()
            if predicate(screen):
                return screen
            status = self.exit_status()
            if status is not None:
                raise TmuxError(f"ponder exited ({status}) while waiting for {what}:\n{screen}")
            if time.monotonic() > deadline:
                raise TmuxError(f"timed out after {timeout} s waiting for {what}:\n{screen}")
            time.sleep(interval)

    def wait_for(self, text: str | re.Pattern[str], *, timeout: float = 30.0) -> str:
        """Wait until the screen contains `text` (a string or a compiled regex)."""
        if isinstance(text, re.Pattern):
            return self.wait_until(
                lambda screen: text.search(screen) is not None, timeout=timeout, what=repr(text)
            )
        return self.wait_until(lambda screen: text in screen, timeout=timeout, what=repr(text))

    def wait_gone(self, text: str, *, timeout: float = 10.0) -> str:
        """Wait until the screen no longer contains `text`."""
        return self.wait_until(
            lambda screen: text not in screen, timeout=timeout, what=f"{text!r} to go"
        )

    def wait_stable(self, *, quiet: float = 0.3, timeout: float = 10.0) -> str:
        """Wait until the screen has not changed for `quiet` seconds."""
        deadline = time.monotonic() + timeout
        last, since = self.capture(), time.monotonic()
        while time.monotonic() < deadline:
            time.sleep(0.05)
            screen = self.capture()
            if screen != last:
                last, since = screen, time.monotonic()
            elif time.monotonic() - since >= quiet:
                return screen
        raise TmuxError(f"screen kept changing for {timeout} s:\n{last}")

    def wait_ready(self, text: str, *, quiet: float = 0.25, timeout: float = 30.0) -> str:
        """Wait for `text`, then for the screen to settle: the app is idle and takes keys.

        Textual forwards keys to the focused widget as they arrive; keys typed while a
        screen is still mounting or redrawing can reach the widget that had focus before
        an action moved it. Tests type at machine speed, so they wait for quiet first.
        """
        self.wait_for(text, timeout=timeout)
        return self.wait_stable(quiet=quiet, timeout=timeout)

    def wait_exit(self, *, timeout: float = 10.0) -> int:
        """Wait until ponder has exited; its exit status (128+N for signal N)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = self.exit_status()
            if status is not None:
                return status
            time.sleep(0.05)
        raise TmuxError(f"ponder still running after {timeout} s:\n{self.capture()}")
