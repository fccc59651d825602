"""Browse: the search language, filters by text/deck/tag/state, memory state and history."""

from __future__ import annotations

import pytest
from fsrs import Rating

from core.config import Config
from core.library import Library
from decks.browse import SearchError, card_details, parse_search, search
from decks.models import LEECH_TAG, SourceRef
from decks.repository import CardStore
from decks.review import ReviewSession
from tests.test_decks_helpers import FakeClock, make_review

pytest_plugins = ["tests.test_decks_helpers"]


def test_parse_search(store: CardStore) -> None:
    deck = store.ensure_deck("Big Talks::Physics")
    query = parse_search(
        'light "dark matter" deck:"Big Talks" tag:exam is:due sort:-due source:3', store
    )
    assert query.text == 'light "dark matter"'
    assert query.deck_id == deck.parent_id
    assert (query.tag, query.state, query.order, query.descending) == ("exam", "due", "due", True)
    assert query.source_id == 3
    assert parse_search("is:learn").state == "learning"
    assert parse_search("http://x.org").text == "http://x.org"  # not a filter key
    for bad, message in [
        ("is:sleepy", "not a state"),
        ("deck:Nope", "No deck named"),
        ("tag:", "needs a value"),
        ("card:x", "takes a number"),
        ("sort:size", "not one of"),
    ]:
        with pytest.raises(SearchError, match=message):
            parse_search(bad, store)


def test_search_by_text_deck_tag_and_state(
    store: CardStore, fake_clock: FakeClock, config: Config
) -> None:
    photo = store.create_note("basic", "What is photosynthesis?", "Light -> sugar", deck="Bio")
    cell = store.create_note("cloze", "The {{c1::cell}} is 100% alive", deck="Bio::Cells")
    other = store.create_note("basic", "Newton's 2nd law", "F = ma", deck="Physics", tags="exam")
    leech = store.create_note("basic", "hard one", "x", deck="Physics", tags=LEECH_TAG)
    now = fake_clock()
    make_review(store, other.cards[0].id, now, due_in_days=-1)
    make_review(store, leech.cards[0].id, now, due_in_days=3)
    store.set_suspended(leech.card_ids)

    def ids(text: str) -> list[int]:
        return [view.id for view in search(store, text, config=config)]

    assert ids("PHOTOSYNTHESIS") == photo.card_ids
    assert ids("sugar") == photo.card_ids  # the back is searched too
    assert ids("100%") == cell.card_ids  # LIKE wildcards are literal
    assert ids("2nd_law") == []
    assert sorted(ids("deck:Bio")) == sorted(photo.card_ids + cell.card_ids)
    assert ids("deck:Bio::Cells") == cell.card_ids
    assert ids("tag:exam") == other.card_ids
    assert sorted(ids("is:new")) == sorted(photo.card_ids + cell.card_ids)
    assert ids("is:review") == other.card_ids  # the suspended review card is not listed
    assert ids("is:suspended") == leech.card_ids
    assert ids("is:leech") == leech.card_ids
    assert ids("is:due") == other.card_ids
    assert ids("deck:Physics is:due") == other.card_ids
    assert ids("deck:Bio is:due") == []
    assert store.count(parse_search("deck:Bio", store)) == 2
    assert [v.id for v in search(store, "sort:-created", config=config, limit=1)] == leech.card_ids


def test_card_details_memory_and_history(
    store: CardStore, fake_clock: FakeClock, config: Config, source_id: int
) -> None:
    created = store.create_note("basic", "q", "a", source=SourceRef(source_id, first_segment=1))
    card_id = created.cards[0].id
    session = ReviewSession(store, config=config)
    session.next_card()
    session.answer(Rating.Good)
    fake_clock.advance(minutes=10)
    session.next_card()
    session.answer(Rating.Good)
    fake_clock.advance(days=1)
    details = card_details(store, card_id, config=config)
    assert details is not None
    assert [entry.rating_name for entry in details.history] == ["Good", "Good"]
    assert [entry.state_before.label for entry in details.history] == ["new", "learning"]
    memory = details.memory
    assert memory.stability is not None and memory.difficulty is not None
    assert memory.retrievability is not None and 0 < memory.retrievability < 1
    assert memory.reps == 2 and details.source_label == "Memory talk"
    assert details.to_dict()["card"]["source_id"] == source_id

    Library(store.conn).remove(source_id)
    gone = card_details(store, card_id, config=config)
    assert gone is not None and gone.source_label == "Memory talk (transcript deleted)"
    assert not gone.source_exists
    typed = store.create_note("basic", "q", "a")
    typed_details = card_details(store, typed.cards[0].id, config=config)
    assert typed_details is not None and typed_details.source_label == "typed by hand"
    assert typed_details.memory.retrievability is None
    assert card_details(store, 999_999, config=Config()) is None
