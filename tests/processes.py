"""Child processes that a test interrupts as a person at the terminal would."""

from __future__ import annotations

import signal


def sigint_as_at_a_terminal() -> None:
    """`preexec_fn` for a child the test sends SIGINT: the default disposition, so Python
    turns it into KeyboardInterrupt. A test run started in the background (`cmd &` in a
    script) ignores SIGINT, and a child would inherit that and never see the Ctrl+C."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
