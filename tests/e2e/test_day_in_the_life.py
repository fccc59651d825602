"""The acceptance test: a learner's first days with Ponder, driven by keys in tmux.

Three simulated days share one PONDER_HOME (module scope); the clock is set with
PONDER_FAKE_NOW (test-only, see core/clock.py), Claude is a local fake server
(tests/fake_claude.py) on day 1 and unreachable (a closed port) afterwards.

- day 1: import a podcast transcript through the add dialog, read, search, highlight
  three passages, ask two questions (the second is a prompt-cache read), follow a
  citation, write two cards by hand and accept one proposed by Claude, quit;
- day 2 (offline): review the due cards with space / 3, undo one, the stats screen,
  export to .apkg and Markdown, a question asked offline is kept as a draft;
- day 5: the cards are due again; Good answers give longer intervals; the optimiser
  refuses politely (too few reviews) in the app and on the command line.

Each day is one test; a day is skipped when an earlier one failed. Every step is named,
so a failure says which day and which step broke (and shows the screen). Nothing sleeps
for a fixed time: every wait polls the screen or the database with a timeout.
"""

from __future__ import annotations

import json
import re
import socket
import sqlite3
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
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
from tests.e2e.tmux import TmuxError, TmuxPonder, tmux_available
from tests.fake_claude import Cite, FakeClaude, Reply

API_KEY = "sk-ant-test-key-day-in-the-life"

DAY_1 = datetime.fromisoformat("2026-03-02T09:00:00+00:00")  # a Monday
DAY_2 = DAY_1 + timedelta(days=1)
DAY_5 = DAY_1 + timedelta(days=4)

QUESTION_1 = "What does the hippocampus do with a new memory?"
ANSWER_1 = "It binds the pieces of a new memory together at first"
QUESTION_2 = "Why does sleep matter for that?"
ANSWER_2 = "Slow-wave sleep replays the day and moves memories out"
OFFLINE_QUESTION = "Is interleaving the same as spacing?"

HAND_CARDS = [
    ("Which brain structure first binds a new memory together?", "The hippocampus"),
    ("What happens in the hippocampus during slow-wave sleep?", "It replays the day"),
]
PROPOSALS = [
    {
        "kind": "basic",
        "front": "Why is retrieval practice better than rereading?",
        "back": "Recall makes a memory easier to find again; rereading only feels familiar",
    },
    {"kind": "basic", "front": "Who measured forgetting in 1885?", "back": "Ebbinghaus"},
]


# -- the fixture transcript ---------------------------------------------------------------


def fixture_cues() -> list[tuple[str, str]]:
    """(hh:mm:ss start, text) of each cue of the fixture SRT."""
    text = FIXTURE.read_text(encoding="utf-8")
    return re.findall(r"^\d+\n(\d\d:\d\d:\d\d),\d{3} --> [^\n]+\n([^\n]+)$", text, re.M)


CUES = fixture_cues()


def matching(words: str) -> list[int]:
    """The 0-based segments whose text contains `words` (ignoring case, as the search)."""
    return [i for i, (_start, text) in enumerate(CUES) if words.lower() in text.lower()]


def index_of(words: str) -> int:
    """The 0-based segment whose text contains `words`."""
    return next(i for i, (_start, text) in enumerate(CUES) if words in text)


# -- helpers: database, screen, steps --------------------------------------------------------


def integrity(home: Path) -> str:
    return scalar(home, "PRAGMA integrity_check")


def status_line(screen: str) -> str:
    """The study screen's status line (above the footer)."""
    return screen.splitlines()[-2]


def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def step(tui: TmuxPonder, day: str, name: str) -> Iterator[None]:
    """Name the step in any failure: `day 2, step 'undo one answer' failed: ...`.

    A failed wait already shows the screen; any other failure gets the screen too.
    """
    try:
        yield
    except TmuxError as error:
        raise AssertionError(f"{day}, step {name!r} failed: {error}") from error
    except Exception as error:
        try:
            screen = tui.capture() if tui.running else f"(ponder not running)\n{tui.capture()}"
        except Exception:
            screen = "(no screen)"
        raise AssertionError(
            f"{day}, step {name!r} failed: {error}\nThe screen:\n{screen}"
        ) from error


# -- the shared life ---------------------------------------------------------------------------


@dataclass
class Life:
    home: Path
    workdir: Path
    days_done: set[str] = field(default_factory=set)
    source_id: int | None = None
    day2_cards: dict[int, dict[str, Any]] = field(default_factory=dict)

    def require(self, *days: str) -> None:
        missing = [day for day in days if day not in self.days_done]
        if missing:
            pytest.skip(f"needs {', '.join(missing)} to have passed")

    def env(self, moment: datetime, base_url: str) -> dict[str, str]:
        return {
            "PONDER_FAKE_NOW": moment.isoformat(),
            "ANTHROPIC_BASE_URL": base_url,
            "ANTHROPIC_API_KEY": API_KEY,
            "TZ": "UTC",
        }

    def session(self, moment: datetime, base_url: str) -> TmuxPonder:
        return TmuxPonder(self.home, workdir=self.workdir, env=self.env(moment, base_url))


@pytest.fixture(scope="module")
def life(tmp_path_factory: pytest.TempPathFactory) -> Life:
    if not tmux_available():
        pytest.skip("tmux is not installed")
    root = tmp_path_factory.mktemp("day-in-the-life")
    home, workdir = root / "ponder-home", root / "work"
    home.mkdir()
    workdir.mkdir()
    (workdir / FIXTURE.name).write_bytes(FIXTURE.read_bytes())
    return Life(home, workdir)


def review_until_done(tui: TmuxPonder, home: Path, *, limit: int = 12) -> int:
    """Answer every card shown with space (reveal) then 3 (Good); the number answered.

    Each answer is waited for in the review log, so keys never run ahead of the app.
    """
    logged = scalar(home, "SELECT count(*) FROM review_log")
    for answered in range(limit + 1):
        screen = tui.wait_until(
            lambda s: "Show answer" in s or "Done with" in s, what="a card or the end"
        )
        if "Done with" in screen:
            return answered
        if answered == limit:
            break
        tui.press("space")
        tui.wait_for("3 Good")
        tui.press("3")
        logged += 1
        wait_db(
            tui,
            lambda n=logged: scalar(home, "SELECT count(*) FROM review_log") == n,
            what=f"review log row {logged}",
        )
    raise AssertionError(f"still reviewing after {limit} answers:\n{tui.capture()}")


def card_intervals(home: Path) -> dict[int, dict[str, Any]]:
    """Each card's state, stability, last review and due date (and the interval between)."""
    cards = {}
    for row in query(home, "SELECT id, state, stability, due, last_review FROM cards"):
        due = datetime.fromisoformat(row["due"])
        last = datetime.fromisoformat(row["last_review"]) if row["last_review"] else None
        cards[row["id"]] = {
            "state": row["state"],
            "stability": row["stability"],
            "due": due,
            "last_review": last,
            "interval": (due - last) if last else None,
        }
    return cards


# -- day 1 -------------------------------------------------------------------------------------


def test_day_1_import_read_highlight_ask_and_make_cards(life: Life) -> None:
    day = "day 1"
    fake = FakeClaude().start()
    tui = life.session(DAY_1, fake.base_url)
    home = life.home
    try:
        with step(tui, day, "start on an empty library"):
            tui.start()
            screen = tui.wait_ready(LIBRARY_READY)
            assert "Ponder demo" in screen and TITLE not in screen

        with step(tui, day, "import the transcript file with the add dialog"):
            tui.press("a")
            tui.wait_ready("Add a transcript")
            tui.type("./long_mem")
            tui.wait_for(f"./{FIXTURE.name}")  # Tab completion is offered
            tui.press("tab", "enter")
            screen = tui.wait_for(f"Added: {TITLE}")
            sources = json.loads(tui.cli("list", "--json").stdout)
            ours = [s for s in sources if s["title"] == TITLE]
            assert len(ours) == 1, sources
            assert ours[0]["segments"] == len(CUES) == 40
            assert ours[0]["format"] == "srt"
            life.source_id = int(ours[0]["id"])
            assert library_row(tui.wait_ready(LIBRARY_READY), TITLE)[0] == "0:04:07"

        with step(tui, day, "open and read"):
            tui.press("enter")
            screen = tui.wait_ready(STUDY_READY)
            assert TITLE in screen.splitlines()[0]
            assert CUES[0][1][:40] in screen
            tui.press("j", "j", "j", "j")
            tui.wait_for(re.compile(rf"^ 5/40 · {CUES[4][0]}", re.M))

        hippocampus = matching("hippocampus")
        retrieval = matching("retrieval practice")[0]
        with step(tui, day, "search shows the match counter"):
            tui.press("slash")
            tui.wait_for("search (Enter keeps")
            tui.type("hippocampus")
            tui.press("enter")
            screen = tui.wait_for(f"{hippocampus[0] + 1}/40 · {CUES[hippocampus[0]][0]}")
            assert f"/hippocampus 1/{len(hippocampus)}" in status_line(screen)

        with step(tui, day, "highlight three passages"):
            first = hippocampus[0]
            tui.press("v", "j")
            tui.wait_for("VISUAL 2 segment")
            tui.press("h")
            tui.wait_for(f"Highlighted 2 segments at {CUES[first][0]}.")
            tui.press("n")  # on to the third match
            third = hippocampus[2]
            tui.wait_for(f"/hippocampus 3/{len(hippocampus)}")
            tui.press("v", "j", "h")
            tui.wait_for(f"Highlighted 2 segments at {CUES[third][0]}.")
            tui.press("slash")
            tui.wait_for("search (Enter keeps")
            tui.type("retrieval practice")
            tui.press("enter")
            tui.wait_for(f"/retrieval practice 1/{len(matching('retrieval practice'))}")
            tui.press("h")
            tui.wait_for(f"Highlighted 1 segment at {CUES[retrieval][0]}.")
            rows = query(
                home,
                "SELECT first_segment, last_segment FROM highlights WHERE source_id = ?"
                " ORDER BY first_segment",
                (life.source_id,),
            )
            assert [tuple(r) for r in rows] == [
                (first, first + 1),
                (third, third + 1),
                (retrieval, retrieval),
            ]

        with step(tui, day, "ask the first question"):
            fake.queue(Reply.text(ANSWER_1, Cite(1, 2), ", then hands it on."))
            ask_box(tui)
            tui.type(QUESTION_1)
            tui.press("enter")
            tui.wait_until(
                lambda s: ANSWER_1 in chat_text(s) and "cache read" in chat_text(s),
                timeout=20,
                what="the first answer",
            )
            assert len(fake.message_requests) == 1
            assert fake.message_requests[0].api_key == API_KEY

        with step(tui, day, "ask the second question: a prompt-cache read"):
            fake.queue(Reply.text(ANSWER_2, Cite(2, 3), "."))
            tui.type(QUESTION_2)
            tui.press("enter")
            tui.wait_until(lambda s: ANSWER_2 in chat_text(s), timeout=20, what="answer 2")
            wait_db(
                tui,
                lambda: (
                    scalar(home, "SELECT count(*) FROM chat_messages WHERE status = 'complete'")
                    == 4
                ),
                what="both answers stored",
            )
            requests = fake.message_requests
            assert len(requests) == 2
            document_1 = requests[0].body["messages"][0]["content"][0]
            document_2 = requests[1].body["messages"][0]["content"][0]
            assert document_1["type"] == "document" and document_1.get("cache_control")
            assert document_2 == document_1  # the same cached prefix
            answers = query(
                home,
                "SELECT content, citations, cache_write_tokens AS w, cache_read_tokens AS r"
                " FROM chat_messages WHERE role = 'assistant' ORDER BY id",
            )
            assert [
                a["content"].startswith(text)
                for a, text in zip(answers, (ANSWER_1, ANSWER_2), strict=True)
            ] == [True, True]
            assert answers[0]["w"] > 0 and answers[0]["r"] == 0
            assert answers[1]["r"] > 0 and answers[1]["w"] == 0, dict(answers[1])
            # The second answer's usage line says it was read from the cache.
            read = f"cache write 0 · cache read {answers[1]['r']:,}"
            tui.wait_until(lambda s: read in chat_text(s), what=repr(read))

        with step(tui, day, "a citation link jumps to its passage"):
            cited = json.loads(answers[1]["citations"])[0]
            segment = cited["first_segment"]
            tui.press("shift+tab")  # from the question box to the answer's link
            tui.wait_for("Jump to passage")  # the link's key in the footer
            tui.press("enter")
            tui.wait_for(re.compile(rf"^ {segment + 1}/40 · ", re.M))
            assert cited["first_segment"] > 0

        with step(tui, day, "write a card by hand from the first highlight"):
            tui.press("H")
            tui.wait_ready("Highlights · 3")
            tui.press("enter")
            tui.wait_for(re.compile(rf"^ {first + 1}/40 · ", re.M))
            tui.wait_stable()
            add_card_by_hand(tui, home, *HAND_CARDS[0], passage=CUES[first][1], notes=1)

        with step(tui, day, "write a card by hand from the second highlight"):
            tui.press("H")
            tui.wait_ready("Highlights · 3")
            tui.press("down", "enter")
            tui.wait_for(re.compile(rf"^ {third + 1}/40 · ", re.M))
            tui.wait_stable()
            add_card_by_hand(tui, home, *HAND_CARDS[1], passage=CUES[third][1], notes=2)

        with step(tui, day, "accept one card Claude proposes, skip the other"):
            tui.press("H")
            tui.wait_ready("Highlights · 3")
            tui.press("down", "down", "enter")
            tui.wait_for(re.compile(rf"^ {retrieval + 1}/40 · ", re.M))
            tui.wait_stable()
            fake.queue(Reply.json({"cards": PROPOSALS}))  # the propose_cards tool's input
            tui.press("C")
            tui.wait_ready("Proposed card 1 of 2", timeout=20)
            assert PROPOSALS[0]["front"] in tui.capture()
            tui.press("ctrl+s")
            tui.wait_ready("Proposed card 2 of 2")
            tui.press("ctrl+n")
            tui.wait_for("1 card added, 1 skipped.")
            assert scalar(home, "SELECT count(*) FROM notes") == 3
            assert len(fake.message_requests) == 3
            assert fake.message_requests[2].body["tool_choice"]["name"] == "propose_cards"
            assert not fake.problems, fake.problems

        with step(tui, day, "quit"):
            tui.press("q")
            screen = tui.wait_ready(LIBRARY_READY)
            tui.wait_until(
                lambda s: library_row(s, TITLE)[2:4] == ["3", "3"],
                what="3 highlights and 3 cards in the library row",
            )
            tui.press("q")
            assert tui.wait_exit() == 0

        with step(tui, day, "the command line sees the cards with their sources"):
            cards = json.loads(tui.cli("cards", "--json").stdout)
            assert sorted(c["front"] for c in cards) == sorted(
                [front for front, _back in HAND_CARDS] + [PROPOSALS[0]["front"]]
            )
            assert len({c["note_id"] for c in cards}) == 3
            assert all(c["source_id"] == life.source_id for c in cards)
            assert all(c["state"] == "new" for c in cards)
            highlight_ids = [
                r[0] for r in query(home, "SELECT id FROM highlights ORDER BY first_segment")
            ]
            by_front = {c["front"]: c for c in cards}
            assert by_front[HAND_CARDS[0][0]]["highlight_id"] == highlight_ids[0]
            assert by_front[HAND_CARDS[1][0]]["highlight_id"] == highlight_ids[1]
            assert by_front[PROPOSALS[0]["front"]]["highlight_id"] == highlight_ids[2]
            assert (
                by_front[PROPOSALS[0]["front"]]["first_segment"] == retrieval + 1
            )  # numbered as the app shows
            chats = json.loads(tui.cli("chats", str(life.source_id), "--json").stdout)
            assert len(chats) == 1 and chats[0]["message_count"] == 4
            assert chats[0]["usage"]["cache_read_tokens"] > 0
            assert integrity(home) == "ok"
    finally:
        tui.close()
        fake.stop()
    life.days_done.add(day)


def add_card_by_hand(
    tui: TmuxPonder, home: Path, front: str, back: str, *, passage: str, notes: int
) -> None:
    """`c` on a highlight: the editor shows its passage; type front, Tab, back; ctrl+s."""
    tui.press("c")
    screen = tui.wait_ready("New card")
    assert passage[:40] in screen, "the editor shows the highlighted passage"
    tui.type(front)
    # Keys reach the focused widget's queue; a Tab sent while the front still digests
    # the burst moves the focus only after the next keys were queued there too.
    tui.wait_for(f"Q: {front} →")  # the preview: every character is in
    tui.press("tab")
    tui.wait_stable(quiet=0.15)
    tui.type(back)
    tui.wait_for(f"A: {back}")  # the preview
    tui.press("ctrl+s")
    wait_db(
        tui,
        lambda: scalar(home, "SELECT count(*) FROM notes") == notes,
        what=f"{notes} notes saved",
    )
    tui.wait_gone("New card")
    tui.wait_stable()


# -- day 2 -------------------------------------------------------------------------------------


def test_day_2_offline_review_undo_stats_and_export(life: Life) -> None:
    life.require("day 1")
    day = "day 2"
    home = life.home
    offline = f"http://127.0.0.1:{closed_port()}"
    tui = life.session(DAY_2, offline)
    try:
        with step(tui, day, "start offline: three new cards wait"):
            tui.start()
            tui.wait_ready(LIBRARY_READY)
            # Cards are counted just after the first paint. New cards are not "due"
            # (that column counts learning and review cards, as `ponder due` does).
            tui.wait_until(lambda s: library_row(s, TITLE)[3] == "3", what="3 cards")
            due = json.loads(tui.cli("due", "--json").stdout)["total"]
            assert (due["new"], due["due"]) == (3, 0), due

        with step(tui, day, "review the first card, then undo it"):
            tui.press("r")
            screen = tui.wait_ready("Show answer")
            assert re.search(r"New 3\s+Learning 0\s+Review 0", screen)
            tui.press("space")
            tui.wait_for("3 Good")
            tui.press("3")
            wait_db(
                tui,
                lambda: scalar(home, "SELECT count(*) FROM review_log") == 1,
                what="one review logged",
            )
            tui.wait_for("last Good")
            tui.press("u")
            tui.wait_for("undone")
            wait_db(
                tui,
                lambda: scalar(home, "SELECT count(*) FROM review_log") == 0,
                what="the undone review gone from the log",
            )
            screen = tui.wait_ready("Show answer")
            assert re.search(r"New 3\s+Learning 0\s+Review 0", screen)
            assert scalar(home, "SELECT count(*) FROM cards WHERE state = 0") == 3

        with step(tui, day, "review every due card with space and 3"):
            answered = review_until_done(tui, home)
            # New -> learning (10m, shown again within the learn-ahead) -> review.
            assert answered == 6
            screen = tui.wait_for("Reviewed 3 cards (6 answers)")
            assert "Next card due" in screen
            cards = card_intervals(home)
            assert all(c["state"] == 2 for c in cards.values()), cards
            assert all(c["interval"] >= timedelta(days=1) for c in cards.values()), cards
            assert all(c["due"] <= DAY_5 for c in cards.values()), "due again by day 5"
            life.day2_cards = cards

        with step(tui, day, "the stats screen"):
            tui.press("q")
            tui.wait_ready(LIBRARY_READY)
            tui.press("S")
            tui.wait_ready("Statistics")
            # the figures are computed in a worker ("Computing…" first) and paint in parts
            figures = [r"Reviews\s+6\b", r"Cards \(3\)", r"Review\s+3\b", r"Streak\s+1 day"]
            tui.wait_until(
                lambda screen: all(re.search(figure, screen) for figure in figures),
                timeout=60,
                what="today's reviews, 3 cards in review, a 1-day streak",
            )
            tui.press("escape")
            tui.wait_ready(LIBRARY_READY)

        with step(tui, day, "export to an Anki package"):
            apkg = life.workdir / "long-memory.apkg"
            tui.cli("export", "anki", str(apkg))
            assert zipfile.is_zipfile(apkg)
            with zipfile.ZipFile(apkg) as package:
                # Anki's own writer: the real collection is collection.anki21 (the
                # collection.anki2 beside it is a stub for very old Ankis).
                assert "collection.anki21" in package.namelist()
                collection = life.workdir / "collection.anki21"
                collection.write_bytes(package.read("collection.anki21"))
            anki = sqlite3.connect(collection)
            try:
                fields = [row[0] for row in anki.execute("SELECT flds FROM notes")]
            finally:
                anki.close()
            assert len(fields) >= 3
            for front, _back in HAND_CARDS:
                assert any(front in f for f in fields), (front, fields)

        with step(tui, day, "export the transcript's notes to Markdown"):
            notes = life.workdir / "long-memory.md"
            tui.cli("export", "markdown", str(life.source_id), str(notes))
            text = notes.read_text(encoding="utf-8")
            assert text.startswith(f"# {TITLE}")
            assert "## Highlights" in text and "## Conversations" in text
            for index in (index_of("Where does the hippocampus"), index_of("retrieval practice")):
                assert CUES[index][1] in text
            for line in (QUESTION_1, ANSWER_1, QUESTION_2, ANSWER_2, HAND_CARDS[0][0]):
                assert line in text, line

        with step(tui, day, "a question asked offline is kept as a draft"):
            tui.press("slash")
            tui.type("long mem")
            tui.wait_for("1 of 2 transcripts")
            tui.press("enter", "enter")
            tui.wait_ready(STUDY_READY)
            ask_box(tui)
            tui.type(OFFLINE_QUESTION)
            tui.press("enter")
            tui.wait_until(
                lambda s: "Draft, not sent" in chat_text(s) and "Cannot reach" in chat_text(s),
                timeout=30,
                what="the offline notice",
            )
            drafts = query(
                home, "SELECT content FROM chat_messages WHERE status = 'draft' AND role = 'user'"
            )
            assert [d["content"] for d in drafts] == [OFFLINE_QUESTION]
            assert scalar(home, "SELECT count(*) FROM chat_messages") == 5

        with step(tui, day, "quit"):
            tui.press("ctrl+w")
            tui.wait_stable()
            tui.press("q")
            tui.wait_ready(LIBRARY_READY)
            tui.press("q")
            assert tui.wait_exit() == 0
            assert integrity(home) == "ok"
    finally:
        tui.close()
    life.days_done.add(day)


# -- day 5 -------------------------------------------------------------------------------------


def test_day_5_intervals_grow_and_the_optimiser_refuses_politely(life: Life) -> None:
    life.require("day 1", "day 2")
    day = "day 5"
    home = life.home
    offline = f"http://127.0.0.1:{closed_port()}"
    tui = life.session(DAY_5, offline)
    try:
        with step(tui, day, "the cards are due again"):
            due = json.loads(tui.cli("due", "--json").stdout)
            assert due["total"]["review"] == 3 and due["total"]["new"] == 0, due

        with step(tui, day, "review with Good"):
            tui.start()
            tui.wait_ready(LIBRARY_READY)
            tui.press("r")
            screen = tui.wait_ready("Show answer")
            assert re.search(r"New 0\s+Learning 0\s+Review 3", screen)
            assert review_until_done(tui, home) == 3
            tui.wait_for("Reviewed 3 cards")

        with step(tui, day, "Good answers give longer intervals"):
            before, after = life.day2_cards, card_intervals(home)
            assert set(after) == set(before)
            for card_id, card in after.items():
                previous = before[card_id]
                assert card["state"] == 2
                assert card["last_review"] == DAY_5
                assert card["stability"] > previous["stability"], (card, previous)
                assert card["interval"] > previous["interval"], (card, previous)
                assert card["due"] > previous["due"]
            assert scalar(home, "SELECT count(*) FROM review_log") == 9

        with step(tui, day, "the optimiser refuses politely in the app"):
            tui.press("q")
            tui.wait_ready(LIBRARY_READY)
            tui.press("S")
            tui.wait_ready("Statistics")
            tui.press("o")
            screen = tui.wait_for(re.compile(r"has (\d+)\. Review (\d+) more and try again"))
            flat = " ".join(screen.split())
            found = re.search(r"at least (\d+) reviews.*?has (\d+)\. Review (\d+) more", flat)
            assert found, flat
            needed, have, more = (int(g) for g in found.groups())
            assert have == 3, "the day-5 reviews are the only ones a day after the last"
            assert have + more == needed == 400

        with step(tui, day, "the optimiser refuses politely on the command line"):
            result = tui.cli("optimize", check=False)
            assert result.returncode == 1
            assert "Traceback" not in result.stderr
            message = result.stderr.strip()
            assert len(message.splitlines()) == 1, message
            assert f"Review {more} more and try again" in message

        with step(tui, day, "quit"):
            tui.press("escape")
            tui.wait_gone("Optimise (o)")
            tui.press("escape")
            tui.wait_ready(LIBRARY_READY)
            tui.press("q")
            assert tui.wait_exit() == 0
            assert integrity(home) == "ok"
    finally:
        tui.close()
    life.days_done.add(day)
