"""Moved: the chat pane is the `tui.widgets.chat` package now.

Only `load_sdk_once` is still importable from here, for `tui/screens/review.py`, which is
being split at the same time; import it from `tui.widgets.chat.sdk` and delete this file.
"""

from tui.widgets.chat.sdk import load_sdk_once

__all__ = ["load_sdk_once"]
