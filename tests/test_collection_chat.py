"""Chat about a collection against the fake Messages API: `ponder ask|guide|chats --collection`."""

from __future__ import annotations

import re

import pytest

from core import collections
from core.chat.collection import cache_breakpoints
from core.chat.store import ConversationStore
from core.library import Library
from core.models import Segment, Source, Transcript
from tests.fake_claude import Cite, FakeClaude, Reply, all_document_blocks
from tui.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def add(library: Library, title: str, texts: list[str], step: float = 10.0) -> int:
    segments = [Segment(text, i * step, (i + 1) * step) for i, text in enumerate(texts)]
    return library.add(Transcript(Source(title=title, origin=title), segments)).source_id


def documents(body: dict) -> list[dict]:
    return [b for b in body["messages"][0]["content"] if b.get("type") == "document"]


@pytest.fixture
def course(library: Library) -> tuple[Library, int, int]:
    first = add(library, "Lecture 1", ["Heat is energy in transit.", "Work is also energy."])
    second = add(
        library,
        "Lecture 2",
        ["Entropy never decreases.", "In a closed system, that is.", "Boltzmann wrote it down."],
    )
    thermo = collections.create(library, "Thermo")
    collections.add_source(library, thermo.id, first)
    collections.add_source(library, thermo.id, second)
    return library, first, second


def test_one_cited_cached_document_per_transcript_and_citations_map_back(
    course, fake_claude: FakeClaude, capsys
) -> None:
    library, first, second = course
    fake_claude.queue(
        Reply.text("Entropy grows", Cite(0, 1, " in lecture 2", document=1), "; heat moves.")
    )
    code, out, err = run(capsys, "ask", "--collection", "thermo", "What is entropy?")
    assert code == 0, err
    docs = documents(fake_claude.last_body)
    assert [d["title"] for d in docs] == ["Lecture 1", "Lecture 2"]
    assert all(d["citations"] == {"enabled": True} for d in docs)
    assert all(d["cache_control"] == {"type": "ephemeral"} for d in docs)
    assert all_document_blocks(fake_claude.last_body)[1][0].startswith("[00:00:00] Entropy")
    assert "collection of talks" in fake_claude.last_body["system"]
    # The citation with document_index 1 is the second transcript, shown with its title.
    assert out.splitlines()[0] == "Entropy grows in lecture 2 [Lecture 2 00:00:00]; heat moves."
    store = ConversationStore(library.conn)
    thermo = collections.find(library, "Thermo")
    (conversation,) = store.collection_conversations(thermo.id)
    assert conversation.source_id is None and conversation.title == "What is entropy?"
    answer = store.messages(conversation.id)[-1]
    (citation,) = answer.citations
    assert (citation.source_id, citation.first_segment, citation.label) == (
        second,
        0,
        "Lecture 2 00:00:00",
    )
    assert store.conversations(first) == [] and store.conversations(second) == []

    # A follow-up reads the documents from the prompt cache.
    code, out, _ = run(capsys, "ask", "--collection", "Thermo", "And heat?")
    assert code == 0
    cache_read = int(re.search(r"cache_read=(\d+)", out).group(1))
    assert cache_read > 0
    assert len(store.messages(conversation.id)) == 4
    code, out, _ = run(capsys, "chats", "--collection", "Thermo")
    assert code == 0 and "4 msg" in out and "What is entropy?" in out


def test_over_the_budget_sends_the_best_passages_and_says_which(
    library: Library, fake_claude: FakeClaude, capsys
) -> None:
    filler = "Plain words about nothing in particular, said slowly and at length."
    first = add(library, "Long one", [filler] * 60 + ["Boltzmann defined entropy here."])
    second = add(library, "Long two", [filler] * 80)
    third = add(library, "Long three", ["Entropy of mixing, for Boltzmann fans."] + [filler] * 50)
    big = collections.create(library, "Big")
    for source_id in (first, second, third):
        collections.add_source(library, big.id, source_id)

    code, out, err = run(
        capsys, "ask", "--collection", "Big", "What did Boltzmann say?", "--budget", "1500"
    )
    assert code == 0, err
    assert "over the 1,500-token budget" in err and "Long two" not in err
    docs = documents(fake_claude.last_body)
    assert [d["title"] for d in docs] == ["Long one", "Long three"]  # no match in "Long two"
    assert all("excerpts only" in d["context"] for d in docs)
    blocks = all_document_blocks(fake_claude.last_body)
    assert any("Boltzmann defined entropy" in b for b in blocks[0])
    assert any("Entropy of mixing" in b for b in blocks[1])
    assert sum(len(b) for doc in blocks for b in doc) < 1500 * 4
    # The answer itself says it saw excerpts, and which.
    assert "[Excerpts only:" in out and "Long one (00:09:" in out and "Long three (00:00:00" in out
    store = ConversationStore(library.conn)
    (conversation,) = store.collection_conversations(big.id)
    assert "[Excerpts only:" in store.messages(conversation.id)[-1].content


def test_many_transcripts_use_at_most_four_cache_breakpoints(
    library: Library, fake_claude: FakeClaude, capsys
) -> None:
    many = collections.create(library, "Many")
    for number in range(6):
        collections.add_source(library, many.id, add(library, f"Talk {number}", [f"Text {number}"]))
    assert run(capsys, "ask", "--collection", "Many", "Compare them")[0] == 0
    docs = documents(fake_claude.last_body)
    assert len(docs) == 6
    marked = [i for i, d in enumerate(docs) if "cache_control" in d]
    assert len(marked) == 4 and marked[-1] == 5
    assert cache_breakpoints(2) == {0, 1} and cache_breakpoints(8) == {1, 3, 5, 7}


def test_collection_guide_is_saved_and_shown_without_claude(
    course, fake_claude: FakeClaude, capsys
) -> None:
    fake_claude.queue(Reply.text("1. **Heat** — ", Cite(0, 1, "energy", document=0), "."))
    code, out, err = run(capsys, "guide", "--collection", "Thermo", "ideas")
    assert code == 0, err
    assert out.startswith("1. **Heat** — energy [Lecture 1 00:00:00].")
    assert "Thermo" in fake_claude.last_body["messages"][0]["content"][-1]["text"]
    requests = len(fake_claude.requests)
    code, out, _ = run(capsys, "guide", "--collection", "Thermo", "ideas", "--show")
    assert code == 0 and out.startswith("1. **Heat** — energy [Lecture 1 00:00:00]")
    assert len(fake_claude.requests) == requests
    code, out, _ = run(capsys, "guide", "--collection", "Thermo")
    assert "ideas" in out and "saved" in out
    code, _, err = run(capsys, "guide", "3", "ideas", "--show")  # the transcripts' own: none
    assert code == 1


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("ask", "--collection", "Nope", "Q"), "No collection called 'Nope'"),
        (("ask", "--collection", "Empty", "Q"), "has no transcripts"),
        (("ask", "2", "Q", "--collection", "Thermo"), "give no SOURCE_ID"),
        (("ask",), "give a SOURCE_ID"),
        (("guide", "--collection", "Thermo", "poems"), "choose one of"),
        (("guide", "--collection", "Thermo", "people", "--show"), "no saved people guide"),
        (("chats", "--collection", "Nope"), "No collection called"),
    ],
)
def test_errors_are_one_line(course, fake_claude: FakeClaude, capsys, argv, message) -> None:
    library, *_ = course
    collections.create(library, "Empty")
    code, _, err = run(capsys, *argv)
    assert code == 1 and message in err and err.count("\n") == 1


def test_excerpts_start_with_the_learners_selection(library: Library) -> None:
    from core.chat.collection import choose_excerpts
    from core.chat.models import Focus

    filler = "Plain words about nothing in particular, said slowly and at length."
    first = add(library, "One", [filler] * 40 + ["Boltzmann here."])
    second = add(library, "Two", [filler] * 40)
    transcripts = [library.transcript(first), library.transcript(second)]
    selection = Focus(20, 21, "xyzzy", source_id=second)
    chosen = choose_excerpts(library.conn, transcripts, "Boltzmann?", selection, 2000)
    assert chosen[second] == [(20, 21)]  # the selection, as selected
    assert chosen[first] == [(38, 40)]  # the best-ranked passage, with its context
    # Nothing in the question matches: the opening of each transcript, within the budget.
    openings = choose_excerpts(library.conn, transcripts, "zebra?", None, 1000)
    assert openings[first][0][0] == 0 and openings[second][0][0] == 0
    assert sum(last - first_ + 1 for r in openings.values() for first_, last in r) < 20


def test_passages_are_ranked_by_the_questions_rarest_words(library: Library) -> None:
    from core.search import RANKING_WORDS, _rarest, best_passages

    common = " ".join(f"common{n}" for n in range(RANKING_WORDS + 2))
    source = add(library, "Talk", [common] * 30 + [f"{common} zebra"])
    other = add(library, "Other", [common] * 5)
    words = [*common.split(), "zebra", "unicorn"]
    rarest = _rarest(library.conn, words, RANKING_WORDS)
    assert rarest[0] == "zebra" and "unicorn" not in rarest and len(rarest) == RANKING_WORDS
    question = f"Tell me about {common} and the zebra?"
    assert best_passages(library.conn, question, [source, other], 1) == [(source, 30)]
    assert best_passages(library.conn, "the and of?", [source], 5) == []


def _layout(shown: str) -> list[str]:
    """The lines of `chats --show` with the text that differs between the two masked."""
    masked = []
    for line in shown.splitlines():
        if line.startswith("# "):
            line = "# TITLE"
        elif line.startswith("> "):
            line = "> PASSAGE"
        elif line.startswith("tokens: "):
            line = "tokens: USAGE"
        elif line and not line.startswith("## "):
            line = "TEXT"
        masked.append(line)
    return masked


def test_chats_show_lays_out_a_collection_conversation_as_a_transcripts(
    course, fake_claude: FakeClaude, capsys
) -> None:
    from core.chat.models import Focus

    library, first, second = course
    fake_claude.queue(Reply.text("Entropy grows."), Reply.text("Heat moves."))
    assert run(capsys, "ask", "--collection", "Thermo", "What is entropy?")[0] == 0
    assert run(capsys, "ask", str(first), "What is heat?")[0] == 0
    store = ConversationStore(library.conn)
    thermo = collections.find(library, "Thermo")
    (about_thermo,) = store.collection_conversations(thermo.id)
    (about_first,) = store.conversations(first)
    passage = Focus(1, 2, "In a closed system, that is. Boltzmann", source_id=second)
    store.add_user_message(about_thermo.id, "Who?", focus=passage)
    store.add_user_message(about_first.id, "", focus=Focus(1, 1, "Work is also energy."))
    about_thermo = store.conversation(about_thermo.id)
    about_first = store.conversation(about_first.id)

    code, collection_shown, err = run(
        capsys, "chats", "--collection", "Thermo", "--show", str(about_thermo.id)
    )
    assert code == 0, err
    code, transcript_shown, err = run(capsys, "chats", str(first), "--show", str(about_first.id))
    assert code == 0, err

    # One layout: a title line, then the turns, then the usage and cost.
    expected = [
        *("# TITLE", ""),
        *("## you", "TEXT", ""),
        *("## claude", "TEXT", ""),
        *("## you (draft)", "> PASSAGE", "TEXT", ""),
        "tokens: USAGE",
    ]
    assert _layout(collection_shown) == expected
    assert _layout(transcript_shown) == [*expected[:10], *expected[11:]]  # no question
    when = f"{about_thermo.updated_at:%Y-%m-%d %H:%M}"
    assert collection_shown.splitlines()[0] == (
        f'# What is entropy? — collection "Thermo", conversation {about_thermo.id}, {when}'
    )
    when = f"{about_first.updated_at:%Y-%m-%d %H:%M}"
    assert transcript_shown.splitlines()[0] == (
        f"# What is heat? — source {first} “Lecture 1”, conversation {about_first.id}, {when}"
    )
    # A selected passage says where it is: its transcript in a collection, its moment in one.
    assert "> Lecture 2 00:00:10–00:00:30: “In a closed system, that is. Boltzmann”" in (
        collection_shown.splitlines()
    )
    assert "> 00:00:10–00:00:20: “Work is also energy.”" in transcript_shown.splitlines()
    assert "cost: ~$" in collection_shown.splitlines()[-1]


def test_ask_with_a_passage_sends_it_as_the_selected_passage(
    course, fake_claude: FakeClaude, capsys
) -> None:
    from core.chat.models import Focus

    library, first, second = course
    passage = f"{second}:2-3"
    code, _, err = run(capsys, "ask", "--collection", "Thermo", "--passage", passage, "Who?")
    assert code == 0, err
    sent = fake_claude.last_body["messages"][-1]["content"][-1]["text"]
    assert "(Lecture 2 00:00:10–00:00:30)" in sent and sent.endswith("Who?")
    assert "<passage>\nIn a closed system, that is. Boltzmann wrote it down.\n</passage>" in sent
    store = ConversationStore(library.conn)
    (conversation,) = store.collection_conversations(collections.find(library, "Thermo").id)
    stored = store.messages(conversation.id)[-2]
    assert stored.focus == Focus(
        1, 2, "In a closed system, that is. Boltzmann wrote it down.", source_id=second
    )

    # A passage alone: Claude is asked to explain it. One transcript: segments only.
    code, _, err = run(capsys, "ask", str(first), "--passage", "2")
    assert code == 0, err
    sent = fake_claude.last_body["messages"][-1]["content"][-1]["text"]
    assert "(00:00:10–00:00:20)" in sent and "<passage>\nWork is also energy.\n</passage>" in sent
    assert sent.endswith("Explain this passage in the context of the talk.")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("--collection", "Thermo", "--passage", "2", "Q"), "names its transcript"),
        (("--collection", "Thermo", "--passage", "99:1", "Q"), "not in this collection"),
        (("--collection", "Thermo", "--passage", "SECOND:3-4", "Q"), "has segments 1 to 3"),
        (("FIRST", "--passage", "3", "Q"), "has segments 1 to 2"),
        (("FIRST", "--passage", "0", "Q"), "has segments 1 to 2"),
        (("FIRST", "--passage", "SECOND:1", "Q"), "names source SECOND, not FIRST"),
    ],
)
def test_a_passage_that_is_not_there_is_one_line(
    course, fake_claude: FakeClaude, capsys, argv, message
) -> None:
    _library, first, second = course
    names = {"FIRST": str(first), "SECOND": str(second)}
    for name, value in names.items():
        argv = tuple(a.replace(name, value) for a in argv)
        message = message.replace(name, value)
    code, _, err = run(capsys, "ask", *argv)
    assert code == 1 and message in err and err.count("\n") == 1, err
    assert fake_claude.message_requests == []


def test_a_malformed_passage_is_a_usage_error(course, capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["ask", "--collection", "Thermo", "--passage", "12-", "Q"])
    assert exit_.value.code == 2
    assert "not a passage: '12-'" in capsys.readouterr().err


def test_without_a_key_the_question_is_kept_with_its_passage(course, capsys) -> None:
    library, _first, second = course
    code, _, err = run(capsys, "ask", "--collection", "Thermo", "--passage", f"{second}:3", "Who?")
    assert code == 1 and "API key" in err
    store = ConversationStore(library.conn)
    (conversation,) = store.collection_conversations(collections.find(library, "Thermo").id)
    (draft,) = store.messages(conversation.id)
    assert (draft.content, draft.status, draft.error) == ("Who?", "draft", "Not sent: no API key.")
    assert draft.focus is not None and (draft.focus.source_id, draft.focus.first_segment) == (
        second,
        2,
    )
