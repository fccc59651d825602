"""`ponder card add`, `ponder cards`, `ponder due` and friends, run in-process."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from core.db import connect
from decks.repository import CardStore
from tests.test_decks_helpers import FakeClock, make_review
from tui.cli import main

pytest_plugins = ["tests.test_decks_helpers"]


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _demo_id(capsys: pytest.CaptureFixture[str]) -> int:
    code, out, _ = _run(capsys, "list", "--json")
    assert code == 0
    return int(json.loads(out)[0]["id"])


def _cards_json(capsys: pytest.CaptureFixture[str], *extra: str) -> list[dict]:
    code, out, err = _run(capsys, "cards", "--json", *extra)
    assert code == 0, err
    return json.loads(out)


def test_add_prints_card_ids_and_lists_them(capsys: pytest.CaptureFixture[str]) -> None:
    source = _demo_id(capsys)
    code, out, err = _run(
        capsys, "card", "add", str(source), "--front", "F", "--back", "B", "--tags", "a,b",
        "--segments", "1-2",
    )  # fmt: skip
    assert code == 0, err
    (card_id,) = [int(line) for line in out.split()]
    code, out, _ = _run(capsys, "card", "add", "-", "--front", "Q", "--back", "A", "--reverse")
    reverse_ids = [int(line) for line in out.split()]
    assert code == 0 and len(reverse_ids) == 2
    code, out, _ = _run(
        capsys, "card", "add", "-", "--cloze", "{{c1::Paris}} is in {{c2::France::country}}",
        "--deck", "Geo::Europe", "--extra", "capital",
    )  # fmt: skip
    cloze_ids = [int(line) for line in out.split()]
    assert code == 0 and len(cloze_ids) == 2

    cards = {card["id"]: card for card in _cards_json(capsys)}
    assert set(cards) == {card_id, *reverse_ids, *cloze_ids}
    required = {"id", "deck", "front", "back", "state", "due", "stability", "difficulty"}
    assert all(required | {"source_id"} <= set(card) for card in cards.values())
    first = cards[card_id]
    assert first["source_id"] == source and first["tags"] == ["a", "b"]
    assert (first["first_segment"], first["last_segment"]) == (1, 2)
    assert first["start_s"] is not None and first["deck"] == first["source_title"]
    assert first["state"] == "new" and first["stability"] is None
    assert cards[reverse_ids[1]]["front"] == "A" and cards[reverse_ids[1]]["deck"] == "Default"
    assert cards[reverse_ids[0]]["source_id"] is None
    assert cards[cloze_ids[1]]["front"] == "Paris is in [country]"
    assert cards[cloze_ids[1]]["back"] == "Paris is in France\n\ncapital"
    assert [c["id"] for c in _cards_json(capsys, "--deck", "Geo")] == cloze_ids


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["card", "add", "-", "--cloze", "no deletions"], "No cloze deletion"),
        (["card", "add", "999", "--front", "F"], "no source with id 999"),
        (["card", "add", "x1", "--front", "F"], "not a source id"),
        (["card", "add", "-", "--front", "  "], "front is empty"),
        (["card", "add", "-", "--front", "F", "--segments", "2"], "need a SOURCE_ID"),
        (["card", "add", "-", "--front", "F", "--reverse"], "needs a back"),
        (["card", "add", "-", "--front", "F", "--deck", "A::"], "not a deck name"),
        (["cards", "--deck", "Nope"], "no deck named"),
        (["cards", "--search", "is:sleepy"], "not a state"),
        (["card", "show", "12345"], "no card with id 12345"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, out, err = _run(capsys, *argv)
    assert code == 1 and out == ""
    assert err.startswith("ponder: ") and message in err and err.count("\n") == 1
    assert _cards_json(capsys) == []


def test_segments_are_checked_against_the_transcript(capsys: pytest.CaptureFixture[str]) -> None:
    source = _demo_id(capsys)
    code, _, err = _run(capsys, "card", "add", str(source), "--front", "F", "--segments", "9999")
    assert code == 1 and "the transcript has segments 1-" in err
    code, _, err = _run(capsys, "card", "add", str(source), "--front", "F", "--segments", "0")
    assert code == 1 and "count from 1" in err


def test_segment_numbers_are_the_ones_the_app_shows(capsys: pytest.CaptureFixture[str]) -> None:
    """The app labels the first segment ¶1: `--segments 2` is the second segment, stored as
    index 1, and every JSON output says 2 again."""
    from core.library import Library

    source = _demo_id(capsys)
    second = Library().segments(source)[1]
    code, out, err = _run(capsys, "card", "add", str(source), "--front", "F", "--segments", "2-3")
    assert code == 0, err
    card_id = int(out.split()[0])
    card = _cards_json(capsys)[0]
    assert (card["first_segment"], card["last_segment"]) == (2, 3)
    assert card["start_s"] == second.start
    code, out, _ = _run(capsys, "card", "show", str(card_id), "--json")
    shown = json.loads(out)["card"]
    assert (shown["first_segment"], shown["last_segment"]) == (2, 3)
    with connect() as connection:
        (stored,) = connection.execute("SELECT first_segment FROM notes").fetchone()
    assert stored == 1


def test_front_and_cloze_are_exclusive(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["card", "add", "-", "--front", "F", "--cloze", "{{c1::x}}"])
    assert exit_info.value.code == 2
    assert "not allowed with" in capsys.readouterr().err


def test_due_counts_per_deck_and_due_filter(
    capsys: pytest.CaptureFixture[str], fake_clock: FakeClock
) -> None:
    ids = []
    for deck in ("Lang::French", "Lang::French", "Lang", "Physics"):
        _code, out, _ = _run(capsys, "card", "add", "-", "--front", "q", "--deck", deck)
        ids.append(int(out))
    store = CardStore(connect())
    now = fake_clock()
    make_review(store, ids[0], now, due_in_days=-1)
    make_review(store, ids[1], now, due_in_days=2)
    make_review(store, ids[3], now, due_in_days=-3)
    store.close()
    code, out, _ = _run(capsys, "due", "--json")
    data = json.loads(out)
    by_deck = {row["deck"]: row for row in data["decks"]}
    assert by_deck["Lang"]["due"] == 1 and by_deck["Lang"]["new"] == 1  # subdecks included
    assert by_deck["Lang::French"]["due"] == 1 and by_deck["Physics"]["review"] == 1
    assert data["total"] == {"due": 2, "learning": 0, "review": 2, "new": 1}
    code, out, _ = _run(capsys, "due")
    assert code == 0 and "  French" in out and out.splitlines()[-1].split()[1] == "2"
    due_ids = [card["id"] for card in _cards_json(capsys, "--due")]
    assert due_ids == [ids[3], ids[0]]  # most overdue first
    fake_clock.advance(days=2)
    assert len(_cards_json(capsys, "--due")) == 3


def test_show_suspend_move_delete(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "card", "add", "-", "--front", "\x1b[31mred", "--back", "b")
    card_id = out.strip()
    code, out, _ = _run(capsys, "cards")
    assert "\x1b" not in out and "␛[31mred" in out
    code, out, _ = _run(capsys, "card", "show", card_id)
    assert code == 0 and "typed by hand" in out and "state: new" in out
    code, out, _ = _run(capsys, "card", "show", card_id, "--json")
    assert json.loads(out)["card"]["id"] == int(card_id)
    assert _run(capsys, "card", "suspend", card_id)[0] == 0
    assert _cards_json(capsys)[0]["suspended"] is True
    assert _run(capsys, "card", "unsuspend", card_id)[0] == 0
    assert _run(capsys, "card", "move", "New::Deck", card_id)[0] == 0
    assert _cards_json(capsys)[0]["deck"] == "New::Deck"
    assert _run(capsys, "card", "delete", card_id)[0] == 0
    assert _cards_json(capsys) == []


def test_ponder_command_runs_as_a_process(ponder_home: object) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tui.cli", "card", "add", "-", "--front", "F", "--back", "B"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().isdigit()
