"""What screens need for work in threads: a way back to the UI thread."""

from __future__ import annotations

from typing import Any


class PostsFromThreads:
    """A screen whose thread workers report back to it."""

    def _post(self, callback: Any, *args: Any) -> None:
        """Run `callback(*args)` on the UI thread, if this screen is still there."""

        def run() -> None:
            if self.is_mounted:  # type: ignore[attr-defined]
                callback(*args)

        self.app.call_from_thread(run)  # type: ignore[attr-defined]
