"""The `?` help: every key that works right now, grouped by where it is bound.

Built from the screen's active bindings (the focused widget's chain up to the app), so
it is always true to the current keymap and to actions that are enabled or hidden.
`BindingCommands` offers the same bindings in the command palette (ctrl+p); any screen
can list it in its `COMMANDS`.
"""

from __future__ import annotations

from functools import cache, partial

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

HelpEntry = tuple[str, str, bool, str]
"""keys as displayed, description, enabled, binding id (for `[keymap]` in the config)."""


def group_name(node: DOMNode) -> str:
    """A heading for bindings owned by `node`: its HELP_GROUP, or a name from its class."""
    explicit = getattr(node, "HELP_GROUP", None)
    if isinstance(explicit, str) and explicit:
        return explicit
    if isinstance(node, App):
        return "App"
    name = type(node).__name__
    for suffix in ("Screen", "View", "Widget"):
        if name.endswith(suffix) and name != suffix:
            name = name[: -len(suffix)]
    return name


@cache
def _own_actions(cls: type) -> frozenset[tuple[str, str]]:
    """(action, description) of the bindings Ponder's own classes declare in `cls`'s MRO
    (Textual's widgets, subclassed or not, bring cursor and scroll bindings of their own)."""
    found: set[tuple[str, str]] = set()
    for klass in cls.__mro__:
        if klass.__module__.startswith("textual.") or klass.__module__ == "builtins":
            continue
        for item in klass.__dict__.get("BINDINGS", ()):
            if isinstance(item, Binding):
                found.add((item.action, item.description))
            elif isinstance(item, tuple) and len(item) >= 3:
                found.add((str(item[1]), str(item[2])))
    return frozenset(found)


def is_ponders(node: DOMNode, binding: Binding) -> bool:
    """Whether a binding is one of Ponder's commands (or shown in the footer), so the
    palette lists Ponder's actions, not Textual's internal cursor movements."""
    return binding.show or (binding.action, binding.description) in _own_actions(type(node))


def _active(screen: Screen) -> list[tuple[DOMNode, Binding, bool]]:
    return [
        (active.node, active.binding, active.enabled)
        for active in screen.active_bindings.values()
        if active.binding.description
    ]


def binding_groups(screen: Screen) -> list[tuple[str, list[HelpEntry]]]:
    """Active bindings with a description, grouped by owner (focused widget first) and
    merged per action, so `j` and `down` show as one line."""
    app = screen.app
    groups: dict[DOMNode, dict[tuple[str, str], list[str]]] = {}
    enabled_by: dict[tuple[DOMNode, str, str], bool] = {}
    ids: dict[tuple[DOMNode, str, str], str] = {}
    for node, binding, enabled in _active(screen):
        actions = groups.setdefault(node, {})
        key = (binding.action, binding.description)
        actions.setdefault(key, []).append(app.get_key_display(binding))
        enabled_by[(node, *key)] = enabled_by.get((node, *key), False) or enabled
        if binding.id:
            ids.setdefault((node, *key), binding.id)
    result: list[tuple[str, list[HelpEntry]]] = []
    for node, actions in groups.items():
        entries = [
            (
                " ".join(dict.fromkeys(keys)),
                description,
                enabled_by[(node, action, description)],
                ids.get((node, action, description), ""),
            )
            for (action, description), keys in actions.items()
        ]
        result.append((group_name(node), entries))
    return result


def help_text(groups: list[tuple[str, list[HelpEntry]]]) -> Text:
    """The help body as plain styled text (descriptions are never parsed as markup)."""
    width = max((len(entry[0]) for _, entries in groups for entry in entries), default=4)
    text = Text()
    for number, (title, entries) in enumerate(groups):
        if number:
            text.append("\n")
        text.append(f"{title}\n", style="bold underline")
        for keys, description, enabled, binding_id in entries:
            style = "" if enabled else "dim"
            text.append(f"  {keys.ljust(width)}  ", style="bold " + style)
            text.append(description, style=style)
            if binding_id:
                text.append(f"  {binding_id}", style="dim italic")
            text.append("\n")
    text.rstrip()
    return text


class HelpScreen(ModalScreen[None]):
    """A scrollable list of keys; Esc, q or ? closes it."""

    HELP_GROUP = "Help"

    BINDINGS: list[BindingType] = [
        Binding("escape,q,question_mark", "dismiss", "Close help", id="help.close"),
        Binding("j,down", "scroll_body(1)", "Scroll down", show=False, id="help.scroll_down"),
        Binding("k,up", "scroll_body(-1)", "Scroll up", show=False, id="help.scroll_up"),
        Binding("pagedown,space", "page_body(1)", "Page down", show=False, id="help.page_down"),
        Binding("pageup", "page_body(-1)", "Page up", show=False, id="help.page_up"),
    ]

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > #help-dialog {
        width: 72;
        max-width: 95%;
        height: auto;
        max-height: 90%;
        padding: 0 1;
        background: $panel;
        border: round $primary;
        border-title-align: center;
    }
    HelpScreen #help-body { height: auto; max-height: 100%; }
    HelpScreen #help-footer { color: $text-muted; margin-top: 1; }
    """

    def __init__(self, groups: list[tuple[str, list[HelpEntry]]], title: str = "Keys") -> None:
        super().__init__()
        self.groups = groups
        self.help_title = title

    def compose(self) -> ComposeResult:
        with Vertical(id="help-dialog") as dialog:
            dialog.border_title = self.help_title
            with VerticalScroll(id="help-body"):
                yield Static(help_text(self.groups), id="help-text")
            yield Static(
                Content(
                    "Esc closes · ctrl+p finds any of these by name"
                    " · the names on the right rebind keys in the config's [keymap]"
                ),
                id="help-footer",
            )

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(None)

    def action_scroll_body(self, lines: int) -> None:
        body = self.query_one("#help-body", VerticalScroll)
        body.scroll_relative(y=lines, animate=False)

    def action_page_body(self, pages: int) -> None:
        body = self.query_one("#help-body", VerticalScroll)
        body.scroll_relative(
            y=pages * max(1, body.scrollable_content_region.height - 1), animate=False
        )

    @property
    def text(self) -> str:
        """The help as plain text (for tests)."""
        return help_text(self.groups).plain


def show_help(screen: Screen | None = None, *, app: App | None = None) -> HelpScreen:
    """Open the help for `screen` (default: the app's current screen)."""
    if screen is None:
        if app is None:
            raise ValueError("show_help needs a screen or an app")
        screen = app.screen
    help_screen = HelpScreen(binding_groups(screen))
    screen.app.push_screen(help_screen)
    return help_screen


class BindingCommands(Provider):
    """Command palette entries for the calling screen's active key bindings."""

    def _commands(self) -> list[tuple[str, str, DOMNode, str]]:
        seen: set[tuple[int, str]] = set()
        commands = []
        for node, binding, enabled in _active(self.screen):
            if not enabled or (id(node), binding.action) in seen:
                continue
            if not is_ponders(node, binding):
                continue  # Textual's own cursor and scroll actions: not Ponder's commands
            seen.add((id(node), binding.action))
            key = self.app.get_key_display(binding)
            commands.append(
                (binding.description, f"{group_name(node)} · key {key}", node, binding.action)
            )
        return commands

    async def discover(self) -> Hits:
        for name, help_line, node, action in self._commands():
            yield DiscoveryHit(name, partial(self.app.run_action, action, node), help=help_line)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_line, node, action in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(name),
                    partial(self.app.run_action, action, node),
                    help=help_line,
                )
