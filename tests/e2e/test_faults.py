"""Faults, end to end: kill -9 in the middle of things, and two Ponders on one library.

- kill -9 while a card's answer is shown (two answers committed before it): nothing
  committed is lost, the uncommitted one is simply not there, the database passes
  `PRAGMA integrity_check`, and the review goes on after a restart;
- kill -9 while Claude's answer streams in (a slow, paced reply from the fake server):
  the question and the partial answer saved so far survive; on restart the answer is
  marked stopped with its text kept, and the conversation goes on;
- two instances at once on the same PONDER_HOME: one reviews while the other
  highlights and writes a card, with writes at the same moment; both keep working, each
  sees the other's changes, both quit cleanly.

The clock is frozen with PONDER_FAKE_NOW (test-only); every wait polls with a timeout.
"""

from __future__ import annotations

import json
import re
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.helpers import (
    FIXTURE,
    LIBRARY_READY,
    STUDY_READY,
    TITLE,
    ask_box,
    chat_text,
    library_row,
    query,
    scalar,
    wait_db,
)
from tests.e2e.tmux import TmuxPonder, tmux_available
from tests.fake_claude import FakeClaude, Reply

NOW = "2026-03-02T09:00:00+00:00"
API_KEY = "sk-ant-test-key-faults"
KILLED = 128 + signal.SIGKILL  # the shell's exit status for a process killed by -9

CARDS = [
    ("Who measured forgetting in 1885?", "Ebbinghaus", "5"),
    ("What binds a new memory together at first?", "The hippocampus", "12"),
    ("When is most of systems consolidation done?", "During sleep", "15"),
    ("What beats rereading?", "Retrieval practice", "24"),
]


# -- helpers -----------------------------------------------------------------------------------


def assert_healthy(home: Path) -> None:
    """integrity_check says ok and no foreign key points nowhere."""
    assert scalar(home, "PRAGMA integrity_check") == "ok"
    assert query(home, "PRAGMA foreign_key_check") == []


def snapshot(home: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Everything a review commits: the cards' scheduling and the review log."""
    return {
        "cards": [tuple(r) for r in query(home, "SELECT * FROM cards ORDER BY id")],
        "review_log": [tuple(r) for r in query(home, "SELECT * FROM review_log ORDER BY id")],
    }


@pytest.fixture
def setup(ponder_home: Path, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """A library with the fixture transcript and four new cards made from it (by the CLI)."""
    if not tmux_available():
        pytest.skip("tmux is not installed")
    workdir = tmp_path / "work"
    workdir.mkdir()
    env = {"PONDER_FAKE_NOW": NOW, "TZ": "UTC", "ANTHROPIC_API_KEY": API_KEY}
    cli = TmuxPonder(ponder_home, workdir=workdir, env=env)
    try:
        source_id = cli.cli("add", str(FIXTURE)).stdout.strip().splitlines()[-1]
        for front, back, segment in CARDS:
            cli.cli(
                "card", "add", source_id, "--front", front, "--back", back, "--segments", segment
            )
    finally:
        cli.close()
    yield {"home": ponder_home, "workdir": workdir, "env": env, "source_id": int(source_id)}


def session(setup: dict[str, Any], **env: str) -> TmuxPonder:
    return TmuxPonder(setup["home"], workdir=setup["workdir"], env={**setup["env"], **env})


def open_transcript(tui: TmuxPonder) -> None:
    """From the library: filter to the transcript and open it."""
    tui.wait_ready(LIBRARY_READY)
    tui.press("slash")
    tui.type("long mem")
    tui.wait_for("1 of 2 transcripts")
    tui.press("enter", "enter")
    tui.wait_ready(STUDY_READY)


def rate_good(tui: TmuxPonder, home: Path, logged: int) -> int:
    """Reveal the card on screen and answer Good; wait for its row in the review log."""
    tui.wait_for("Show answer")
    tui.press("space")
    tui.wait_for("3 Good")
    tui.press("3")
    wait_db(
        tui,
        lambda: scalar(home, "SELECT count(*) FROM review_log") == logged + 1,
        what=f"review {logged + 1} committed",
    )
    return logged + 1


# -- kill -9 during a review ---------------------------------------------------------------------


def test_kill_9_during_a_review_loses_nothing_committed(setup: dict[str, Any]) -> None:
    home = setup["home"]
    with session(setup) as tui:
        tui.start()
        tui.wait_ready(LIBRARY_READY)
        tui.press("r")
        screen = tui.wait_ready("Show answer")
        assert re.search(r"New 4\s+Learning 0\s+Review 0", screen)
        logged = rate_good(tui, home, 0)
        logged = rate_good(tui, home, logged)
        # A third card's answer is on screen, not rated yet, when the process dies.
        tui.wait_for("Show answer")
        tui.press("space")
        tui.wait_for("3 Good")
        before = snapshot(home)
        assert len(before["review_log"]) == 2

        assert tui.kill(signal.SIGKILL) == KILLED

        after = snapshot(home)
        assert after == before, "the committed answers (and nothing else) survived"
        assert scalar(home, "SELECT count(*) FROM cards WHERE state = 1") == 2
        assert scalar(home, "SELECT count(*) FROM cards WHERE state = 0") == 2
        assert_healthy(home)

        # Restart: the review picks up where it was; the unrated card is still new.
        tui.restart()
        tui.wait_ready(LIBRARY_READY)
        tui.press("r")
        screen = tui.wait_ready("Show answer")
        assert re.search(r"New 2\s+Learning 2\s+Review 0", screen), screen
        logged = rate_good(tui, home, logged)
        tui.press("q")
        tui.wait_ready(LIBRARY_READY)
        tui.press("q")
        assert tui.wait_exit() == 0
    assert scalar(home, "SELECT count(*) FROM review_log") == 3
    assert_healthy(home)


# -- kill -9 while an answer streams -------------------------------------------------------------


def test_kill_9_while_an_answer_streams_keeps_the_question_and_partial_answer(
    setup: dict[str, Any],
) -> None:
    home = setup["home"]
    question = "How does spacing beat cramming?"
    words = ["spacing " if i % 2 else "works " for i in range(400)]
    full_answer = "".join(words)
    with FakeClaude() as fake, session(setup, ANTHROPIC_BASE_URL=fake.base_url) as tui:
        fake.queue(Reply.text(*words, tokens_per_second=40))  # ~10 s, paced
        tui.start()
        open_transcript(tui)
        ask_box(tui)
        tui.type(question)
        tui.press("enter")

        def partial() -> str:
            rows = query(
                home, "SELECT content FROM chat_messages WHERE role = 'assistant' ORDER BY id"
            )
            return rows[-1]["content"] if rows else ""

        # Mid-stream: some of the answer is on screen and saved (every 0.5 s).
        wait_db(tui, lambda: len(partial()) >= 60, what="a partial answer saved", timeout=20)
        tui.wait_until(lambda s: "answering…" in chat_text(s), what="the answer streaming")
        saved = partial()
        assert tui.kill(signal.SIGKILL) == KILLED

        rows = query(home, "SELECT role, content, status FROM chat_messages ORDER BY id")
        assert (rows[0]["role"], rows[0]["content"]) == ("user", question)
        assert rows[1]["role"] == "assistant" and rows[1]["status"] == "streaming"
        kept = rows[1]["content"]
        assert kept.startswith(saved) and full_answer.startswith(kept)
        assert len(kept) < len(full_answer), "the kill came before the end"
        assert_healthy(home)

        # Restart: the dead writer's answer is marked stopped, its text kept and shown.
        fake.queue(Reply.text("Spacing lets you forget a little, so recall works harder."))
        tui.restart()
        open_transcript(tui)
        tui.wait_until(
            lambda s: "stopped: partial answer kept" in chat_text(s),
            what="the stopped answer in the chat",
        )
        screen_text = chat_text(tui.capture())
        assert question in screen_text
        row = query(home, "SELECT content, status FROM chat_messages WHERE id = 2")[0]
        assert (row["status"], row["content"]) == ("stopped", kept)

        # The conversation goes on: a follow-up is answered; the partial answer stays.
        ask_box(tui)
        tui.type("And cramming?")
        tui.press("enter")
        tui.wait_until(
            lambda s: "recall works harder" in chat_text(s), timeout=20, what="the follow-up"
        )
        wait_db(
            tui,
            lambda: (
                scalar(
                    home,
                    "SELECT count(*) FROM chat_messages"
                    " WHERE role = 'assistant' AND status = 'complete'",
                )
                == 1
            ),
            what="the follow-up stored",
        )
        assert query(home, "SELECT content FROM chat_messages WHERE id = 2")[0][0] == kept
        tui.press("ctrl+w")
        tui.wait_stable()
        tui.press("q")
        tui.wait_ready(LIBRARY_READY)
        tui.press("q")
        assert tui.wait_exit() == 0
        fake.release_hangs()
    with session(setup) as cli:
        chats = json.loads(cli.cli("chats", str(setup["source_id"]), "--json").stdout)
    assert len(chats) == 1 and chats[0]["message_count"] == 4
    assert_healthy(home)


# -- two instances at once -----------------------------------------------------------------------


def test_two_instances_on_one_library_both_work(setup: dict[str, Any]) -> None:
    home = setup["home"]
    reviewer, reader = session(setup), session(setup)
    try:
        reviewer.start()
        reader.start()
        reviewer.wait_ready(LIBRARY_READY)
        open_transcript(reader)

        reviewer.press("r")
        reviewer.wait_ready("Show answer")
        logged = rate_good(reviewer, home, 0)

        # Writes at the same moment: a rating in one, a highlight in the other.
        reviewer.wait_for("Show answer")
        reviewer.press("space")
        reviewer.wait_for("3 Good")
        reader.press("j", "j", "j")
        reader.wait_for(re.compile(r"^ 4/40 · ", re.M))
        reviewer.press("3")
        reader.press("h")
        wait_db(
            reviewer,
            lambda: scalar(home, "SELECT count(*) FROM review_log") == logged + 1,
            what="the rating committed",
        )
        logged += 1
        reader.wait_for("Highlighted 1 segment")
        assert scalar(home, "SELECT count(*) FROM highlights") == 1

        # The reader writes a card from its highlight while the reviewer goes on.
        reader.press("c")
        reader.wait_ready("New card")
        reader.type("What did Ebbinghaus find about the first day?")
        reader.wait_for("→ A: (no back)")
        reader.press("tab")
        reader.wait_stable(quiet=0.15)
        reader.type("Most of the loss happens then")
        reader.wait_for("A: Most of the loss happens then")
        reviewer.press("space")
        reviewer.wait_for("3 Good")
        reviewer.press("3")
        reader.press("ctrl+s")
        wait_db(
            reader,
            lambda: scalar(home, "SELECT count(*) FROM notes") == len(CARDS) + 1,
            what="the reader's card saved",
        )
        wait_db(
            reviewer,
            lambda: scalar(home, "SELECT count(*) FROM review_log") == logged + 1,
            what="the third rating committed",
        )
        logged += 1
        reader.wait_gone("New card")

        # Each sees the other's writes: the reviewer's library counts the new card; the
        # reader's library shows the highlight and the cards now in learning.
        reviewer.press("q")
        reviewer.wait_ready(LIBRARY_READY)
        reviewer.wait_until(
            lambda s: library_row(s, TITLE)[2:4] == ["1", str(len(CARDS) + 1)],
            what="the reader's highlight and card in the reviewer's library",
        )
        # Learning cards come back within the learn-ahead: the reader's review sees them.
        reader.press("q")
        reader.wait_ready(LIBRARY_READY)
        reader.press("r")
        screen = reader.wait_ready("Show answer")
        assert re.search(rf"New {len(CARDS) + 1 - logged}\s+Learning {logged}\s", screen)
        reader.press("q")
        reader.wait_ready(LIBRARY_READY)
        for tui in (reviewer, reader):
            assert "locked" not in tui.capture()
            tui.press("q")
        assert reviewer.wait_exit() == 0
        assert reader.wait_exit() == 0
    finally:
        reviewer.close()
        reader.close()
    assert scalar(home, "SELECT count(*) FROM review_log") == 3
    assert scalar(home, "SELECT count(*) FROM notes") == len(CARDS) + 1
    assert_healthy(home)
