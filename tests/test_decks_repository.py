"""CardStore: notes and their cards, decks, sources, tags, presets, edits."""

from __future__ import annotations

import json

import pytest

from core.config import Config
from core.library import Library
from core.models import Highlight
from decks.models import CardState, NoteKind, SourceRef
from decks.repository import CardFilter, CardStore, CardStoreError, NoteDraft
from decks.scheduling import scheduler_for_deck, settings_for
from tests.test_decks_helpers import FakeClock, make_review

pytest_plugins = ["tests.test_decks_helpers"]


def test_note_kinds_make_the_right_cards(store: CardStore) -> None:
    basic = store.create_note("basic", "Q", "A")
    assert [c.ord for c in basic.cards] == [0]
    reverse = store.create_note(NoteKind.REVERSED, "front", "back")
    assert [c.ord for c in reverse.cards] == [0, 1]
    views = store.card_views(reverse.card_ids)
    assert [(v.front, v.back) for v in views] == [("front", "back"), ("back", "front")]
    # cards(): the same cards without their notes; unknown ids left out
    assert store.cards([*reverse.card_ids, 10**9]) == {v.card.id: v.card for v in views}
    assert store.cards([]) == {}
    clozed = store.create_note("cloze", "{{c2::b}} {{c1::a}} {{c2::c}} {{c5::e}}", "extra")
    assert [c.ord for c in clozed.cards] == [0, 1, 4]
    view = store.card_view(clozed.cards[1].id)
    assert view is not None and view.front == "[...] a [...] e"
    assert view.back == "b a c e\n\nextra"
    assert all(c.state == CardState.NEW and c.reps == 0 for c in clozed.cards)
    guids = {basic.note.guid, reverse.note.guid, clozed.note.guid}
    assert len(guids) == 3


@pytest.mark.parametrize(
    ("kind", "front", "back", "message"),
    [
        ("basic", "  ", "a", "front is empty"),
        ("reversed", "q", "", "needs a back"),
        ("cloze", "plain text", "", "No cloze deletion"),
        ("essay", "q", "a", "Unknown note kind"),
    ],
)
def test_bad_notes_are_refused_and_nothing_is_written(
    store: CardStore, kind: str, front: str, back: str, message: str
) -> None:
    with pytest.raises(CardStoreError, match=message):
        store.create_note(kind, front, back)
    assert store.conn.execute("SELECT COUNT(*) FROM notes").fetchone()[0] == 0
    assert store.conn.execute("SELECT COUNT(*) FROM decks").fetchone()[0] == 0


def test_decks_nest_and_default_to_the_transcript(store: CardStore, source_id: int) -> None:
    nested = store.create_note("basic", "q", "a", deck="Talks :: Physics::Waves")
    names = [deck.name for deck in store.decks()]
    assert names == ["Talks", "Talks::Physics", "Talks::Physics::Waves"]
    waves = store.deck_by_name("talks::physics::waves")  # names are case-insensitive
    assert waves is not None and nested.deck.id == waves.id
    physics = store.deck_by_name("Talks::Physics")
    assert physics is not None and waves.parent_id == physics.id
    from_talk = store.create_note("basic", "q", "a", source=SourceRef(source_id))
    assert from_talk.deck.name == "Memory talk"
    typed = store.create_note("basic", "q", "a")
    assert typed.deck.name == "Default" and typed.note.source is None
    talks = store.deck_by_name("Talks")
    assert talks is not None
    assert set(store.subdeck_ids(talks.id)) == {talks.id, physics.id, waves.id}


def test_source_is_kept_and_survives_the_transcript(store: CardStore, source_id: int) -> None:
    library = Library(store.conn)
    highlight = library.add_highlight(Highlight(source_id, 2, 3))
    created = store.create_note(
        "basic",
        "q",
        "a",
        source=SourceRef(source_id, first_segment=2, last_segment=3, highlight_id=highlight.id),
    )
    source = created.note.source
    assert source is not None
    assert (source.source_id, source.first_segment, source.last_segment) == (source_id, 2, 3)
    assert source.start_s == 10.0 and source.source_title == "Memory talk"
    assert source.highlight_id == highlight.id and not source.gone
    assert store.card_counts_by_source()[source_id] == (1, 0)
    assert [v.id for v in store.cards_for_source(source_id)] == created.card_ids
    assert [n.id for n in store.notes_for_highlight(highlight.id or 0)] == [created.note.id]

    library.remove(source_id)
    view = store.card_view(created.cards[0].id)
    assert view is not None and view.note.source is not None
    assert view.note.source.gone and view.note.source.source_title == "Memory talk"
    assert view.note.source.highlight_id is None
    assert view.to_dict()["source_gone"] is True
    assert store.card_counts_by_source() == {}


def test_unknown_source_or_foreign_highlight_is_refused(store: CardStore, source_id: int) -> None:
    with pytest.raises(CardStoreError, match="No transcript with id 999"):
        store.create_note("basic", "q", "a", source=SourceRef(999))
    with pytest.raises(CardStoreError, match="No highlight 42"):
        store.create_note("basic", "q", "a", source=SourceRef(source_id, highlight_id=42))


def test_update_note_adds_and_removes_cloze_cards(store: CardStore) -> None:
    created = store.create_note("cloze", "{{c1::a}} {{c2::b}}", deck="Lang", tags="x")
    first, second = created.card_ids
    update = store.update_note(created.note.id, front="{{c1::a}} {{c3::c}}", tags=["y", "z"])
    assert update.removed_card_ids == [second]
    assert len(update.added_card_ids) == 1
    assert update.note.tags == ("y", "z")
    cards = store.cards_of_note(created.note.id)
    assert [c.ord for c in cards] == [0, 2]
    assert cards[0].id == first
    assert all(c.deck_id == created.deck.id for c in cards)
    with pytest.raises(CardStoreError, match="No cloze deletion"):
        store.update_note(created.note.id, front="nothing left")
    assert [c.ord for c in store.cards_of_note(created.note.id)] == [0, 2]  # unchanged

    basic = store.create_note("basic", "q", "a")
    changed = store.update_note(basic.note.id, kind="reversed")
    assert len(changed.added_card_ids) == 1 and changed.note.kind == NoteKind.REVERSED


def test_move_suspend_reset_delete(store: CardStore, fake_clock: FakeClock) -> None:
    created = store.create_note("reversed", "q", "a", deck="A")
    ids = created.card_ids
    make_review(store, ids[0], fake_clock(), lapses=3)
    target = store.move_to_deck(ids, "B::C")
    assert {store.get_card(i).deck_id for i in ids} == {target.id}  # type: ignore[union-attr]
    assert store.set_suspended([ids[0]]) == 1
    assert store.get_card(ids[0]).suspended  # type: ignore[union-attr]
    store.set_suspended([ids[0]], False)
    assert not store.get_card(ids[0]).suspended  # type: ignore[union-attr]
    store.reset_card([ids[0]])
    reset = store.get_card(ids[0])
    assert reset is not None and reset.state == CardState.NEW and reset.stability is None
    assert reset.lapses == 3  # Anki keeps counts unless asked
    store.reset_card([ids[0]], reset_counts=True)
    assert store.get_card(ids[0]).lapses == 0  # type: ignore[union-attr]
    assert store.delete_cards([ids[0]]) == 1
    assert store.note(created.note.id) is not None  # the other card still uses it
    store.delete_cards([ids[1]])
    assert store.note(created.note.id) is None


def test_rename_and_delete_decks(store: CardStore) -> None:
    store.create_note("basic", "q", "a", deck="A::B::C")
    store.create_note("basic", "q2", "a2", deck="A::B")
    b = store.deck_by_name("A::B")
    assert b is not None
    renamed = store.rename_deck(b.id, "X::Y")
    assert renamed.name == "X::Y"
    assert [d.name for d in store.decks()] == ["A", "X", "X::Y", "X::Y::C"]
    with pytest.raises(CardStoreError, match="inside itself"):
        store.rename_deck(b.id, "X::Y::C::D")
    with pytest.raises(CardStoreError, match="already exists"):
        store.rename_deck(b.id, "a")
    assert store.delete_deck(b.id) == 2
    assert [d.name for d in store.decks()] == ["A", "X"]
    assert store.conn.execute("SELECT COUNT(*) FROM notes").fetchone()[0] == 0


def test_tags_are_searchable(store: CardStore) -> None:
    one = store.create_note("basic", "q", "a", tags="Python, lang::en")
    store.create_note("basic", "q2", "a2", tags="rust")
    found = store.search(CardFilter(tag="python"))
    assert [v.id for v in found] == one.card_ids
    assert [v.id for v in store.search(CardFilter(tag="lang"))] == one.card_ids
    store.add_tags([one.note.id], "extra")
    store.remove_tags([one.note.id], "python")
    assert store.tags_of(one.note.id) == ("extra", "lang::en")
    assert dict(store.all_tags()) == {"extra": 1, "lang::en": 1, "rust": 1}
    plan = " ".join(
        str(row[-1])
        for row in store.conn.execute(
            "EXPLAIN QUERY PLAN SELECT note_id FROM note_tags WHERE tag = 'rust'"
        )
    )
    assert "INDEX" in plan.upper()


def test_presets_drive_the_scheduler(store: CardStore, config: Config) -> None:
    created = store.create_note("basic", "q", "a", deck="Hard")
    deck = created.deck
    default = scheduler_for_deck(store, deck.id, config)
    assert default.desired_retention == 0.9
    assert [s.total_seconds() for s in default.learning_steps] == [60, 600]
    assert default.enable_fuzzing
    preset = store.create_preset("Intense", desired_retention=0.95, learning_steps=["30s"])
    store.set_deck_preset(deck.id, preset.id)
    fitted = [round(p * 1.01, 4) for p in default.parameters]
    fitted[20] = 0.2
    store.set_preset_parameters(preset.id, fitted)
    tuned = scheduler_for_deck(store, deck.id, config)
    assert tuned.desired_retention == 0.95
    assert [s.total_seconds() for s in tuned.learning_steps] == [30]
    assert list(tuned.parameters) == pytest.approx(fitted)
    assert store.preset(preset.id).optimized_at is not None  # type: ignore[union-attr]
    stored = store.conn.execute("SELECT parameters FROM presets WHERE id = ?", (preset.id,))
    assert len(json.loads(stored.fetchone()[0])) == 21
    # a subdeck created later starts with its parent's preset
    child = store.ensure_deck("Hard::Sub")
    assert child.preset_id == preset.id
    # unset preset values follow the config
    config.new_per_day = 7
    assert settings_for(store.preset(preset.id), config).new_per_day == 7
    store.update_preset(preset.id, new_per_day=3)
    assert settings_for(store.preset(preset.id), config).new_per_day == 3


def test_out_of_range_parameters_fall_back_safely(store: CardStore, config: Config) -> None:
    created = store.create_note("basic", "q", "a", deck="D")
    store.conn.execute("UPDATE presets SET parameters = '[1, 2, 3]' WHERE id = 1")
    scheduler = scheduler_for_deck(store, created.deck.id, config)
    assert len(scheduler.parameters) == 21
    store.conn.execute(
        "UPDATE presets SET parameters = ?, learning_steps = 'oops' WHERE id = 1",
        (json.dumps([1000.0] * 21),),
    )
    scheduler = scheduler_for_deck(store, created.deck.id, config)
    assert max(scheduler.parameters) <= 100.0
    assert [s.total_seconds() for s in scheduler.learning_steps] == [60, 600]


def test_bulk_create_validates_first(store: CardStore) -> None:
    drafts = [NoteDraft(NoteKind.BASIC, f"q{i}", f"a{i}", deck=f"D{i % 3}") for i in range(50)]
    drafts.append(NoteDraft(NoteKind.CLOZE, "{{c1::a}} {{c2::b}}", deck="D0", tags=("t",)))
    ids = store.create_notes_bulk(drafts)
    assert len(ids) == 51
    assert store.conn.execute("SELECT COUNT(*) FROM cards").fetchone()[0] == 52
    bad = [NoteDraft(NoteKind.BASIC, "fine", "x"), NoteDraft(NoteKind.CLOZE, "no cloze")]
    with pytest.raises(CardStoreError, match="Note 2"):
        store.create_notes_bulk(bad)
    assert store.conn.execute("SELECT COUNT(*) FROM notes").fetchone()[0] == 51


def test_bulk_create_keeps_a_free_guid_only(store: CardStore) -> None:
    taken = store.create_note("basic", "q", "a").note.guid
    ids = store.create_notes_bulk(
        [
            NoteDraft(NoteKind.BASIC, "x", guid="file-guid"),
            NoteDraft(NoteKind.BASIC, "y", guid=taken),
        ]
    )
    first, second = (store.note(note_id) for note_id in ids)
    assert first is not None and first.guid == "file-guid"
    assert second is not None and second.guid not in {taken, ""}


def test_set_scheduling_skips_cards_reviewed_meanwhile(
    store: CardStore, fake_clock: FakeClock
) -> None:
    from dataclasses import replace
    from datetime import timedelta

    from decks.scheduling import review

    now = fake_clock()
    ids = store.create_note("reversed", "q", "a").card_ids
    for card_id in ids:
        make_review(store, card_id, now)
    fresh, stale = (store.get_card(card_id) for card_id in ids)
    assert fresh is not None and stale is not None
    outcome = review(scheduler_for_deck(store, stale.deck_id, Config()), stale, 3, now)
    store.record_review(stale, outcome.after, 3, now, 900)  # another instance reviewed it
    later = now + timedelta(days=30)
    changes = [(card, replace(card, stability=99.0, due=later)) for card in (fresh, stale)]
    assert store.set_scheduling(changes, now) == 1
    written, kept = (store.get_card(card_id) for card_id in ids)
    assert written is not None and written.stability == 99.0 and written.due == later
    assert written.reps == fresh.reps and written.lapses == fresh.lapses
    assert kept is not None and kept.stability == outcome.after.stability


def test_deck_summaries_and_due_counts(store: CardStore, fake_clock: FakeClock) -> None:
    now = fake_clock()
    a = store.create_note("reversed", "q", "a", deck="A").card_ids
    b = store.create_note("basic", "q", "a", deck="A::B").card_ids
    make_review(store, a[0], now, due_in_days=-1)
    make_review(store, b[0], now, due_in_days=0.5)  # later today (before 04:00 tomorrow)
    summaries = {s.deck.name: s for s in store.deck_summaries(now, rollover_hour=4)}
    assert (summaries["A"].cards, summaries["A"].new, summaries["A"].review) == (2, 1, 1)
    assert summaries["A"].due_now == 1 and summaries["A::B"].due_today == 1
    assert summaries["A::B"].due_now == 0
    due = store.due_counts(now)
    deck_a = store.deck_by_name("A")
    assert deck_a is not None and due[deck_a.id].review == 1 and due[deck_a.id].new == 1
    fake_clock.advance(days=1)
    assert store.due_counts()[summaries["A::B"].deck.id].due == 1


def test_review_history_is_removed_with_the_card(store: CardStore, fake_clock: FakeClock) -> None:
    created = store.create_note("basic", "q", "a")
    card = created.cards[0]
    from decks.scheduling import review

    outcome = review(scheduler_for_deck(store, card.deck_id, Config()), card, 3, fake_clock())
    store.record_review(card, outcome.after, 3, fake_clock(), 1200)
    assert len(store.review_logs(card.id)) == 1
    store.delete_note(created.note.id)
    assert store.conn.execute("SELECT COUNT(*) FROM review_log").fetchone()[0] == 0
    assert list(store.iter_review_logs()) == []
