"""The four review ratings by number, named as FSRS and Anki name them.

One table for the review screen, the card browser's history, the scheduler's buttons and
free-recall grading (keys are ints; fsrs.Rating is an IntEnum, so it looks up the same).
"""

from __future__ import annotations

RATING_NAMES: dict[int, str] = {1: "Again", 2: "Hard", 3: "Good", 4: "Easy"}
