"""Anki sync speed against a real `python -m anki.syncserver` on loopback.

Builds a throwaway Ponder with 10,000 basic cards and 100,000 reviews (10 per card,
written through CardStore with states replayed by py-fsrs), then times:

- the first sync to an empty account (creates the bridge, adds every note, every review,
  sets every card's scheduling, full upload)                          target <= 60 s
- an incremental sync with 50 new reviews on each side (a phone that downloaded the
  collection answers 50 cards; Ponder answers 50 others)               target <= 2 s

and reports the bridge collection's size on disk.

    python benchmarks/bench_anki_sync.py [--cards 10000] [--reviews-per-card 10]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TARGET_FIRST_S = 60.0
TARGET_INCREMENTAL_S = 2.0
NEW_EACH_SIDE = 50


def build(cards: int, per_card: int) -> None:
    from core import clock
    from core.config import Config
    from core.library import Library
    from decks.anki_sync.replay import Answer, replay
    from decks.models import NoteKind
    from decks.repository import CardStore, ImportedReview, NoteDraft
    from decks.scheduling import settings_for

    library = Library()
    store = CardStore(library.conn)
    rng = random.Random(7)
    now = clock.now()
    start = now - timedelta(days=400)
    drafts = [
        NoteDraft(
            NoteKind.BASIC,
            f"Question {i}: what does term {rng.randrange(10_000)} mean?",
            f"Answer {i}",
            deck=f"Talks::Topic {i % 20:02d}",
            created_at=start,
        )
        for i in range(cards)
    ]
    started = time.perf_counter()
    note_ids = store.create_notes_bulk(drafts, now=start)
    scheduler = settings_for(store.preset(1), Config()).scheduler()
    for number, note_id in enumerate(note_ids):
        card = store.cards_of_note(note_id)[0]
        moment = start + timedelta(minutes=number % 600)
        answers = []
        for _ in range(per_card):
            answers.append(Answer(rng.choice((1, 3, 3, 3, 4)), moment, rng.randrange(2000, 9000)))
            moment += timedelta(days=rng.randrange(1, 30), seconds=rng.randrange(3600))
        after, befores = replay(card, answers, scheduler)
        store.add_reviews(
            card,
            [ImportedReview(a.rating, a.reviewed_at, a.duration_ms, b) for a, b in befores],
            after,
        )
    print(
        f"built {cards:,} cards with {cards * per_card:,} reviews in "
        f"{time.perf_counter() - started:.1f} s"
    )
    library.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=10_000)
    parser.add_argument("--reviews-per-card", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ponder-bench-anki-") as folder:
        base = Path(folder)
        home = base / "home"
        home.mkdir()
        os.environ["PONDER_HOME"] = str(home)
        build(args.cards, args.reviews_per_card)

        from core import clock
        from core.config import Config
        from core.library import Library
        from decks.anki_sync import bridge_size, login, sync
        from decks.repository import CardStore
        from decks.scheduling import review, settings_for
        from tests.anki_server import Phone, start_server, stop_server

        server_dir = base / "server"
        server_dir.mkdir()
        server = start_server(server_dir)
        try:
            user, password = server.new_user()
            account = login(user, password, server.endpoint)
            config = Config()
            library = Library()
            started = time.perf_counter()
            first = sync(library.conn, account, config, home=home)
            first_s = time.perf_counter() - started
            print(
                f"first sync: {first_s:.1f} s (target <= {TARGET_FIRST_S:.0f} s)  "
                f"{first.notes_pushed:,} notes, {first.reviews_pushed:,} reviews pushed, "
                f"full {first.full_sync}"
            )
            print(f"bridge collection: {bridge_size(home) / 1e6:.1f} MB")

            phone = Phone(base / "phone", server.endpoint, user, password)
            started = time.perf_counter()
            phone.sync()
            print(f"(phone full download: {time.perf_counter() - started:.1f} s)")
            phone_cards = phone.col.db.list("select id from cards order by id")
            for card_id in phone_cards[:NEW_EACH_SIDE]:
                phone.answer(card_id, 3)
            phone.sync()
            store = CardStore(library.conn)
            ids = [row[0] for row in library.conn.execute("SELECT id FROM cards ORDER BY id DESC")]
            now = clock.now()
            for card_id in ids[:NEW_EACH_SIDE]:
                card = store.get_card(card_id)
                assert card is not None
                scheduler = settings_for(store.preset_for_deck(card.deck_id), config).scheduler()
                outcome = review(scheduler, card, 3, now)
                store.record_review(card, outcome.after, 3, now, 3000)
            started = time.perf_counter()
            second = sync(library.conn, account, config, home=home)
            second_s = time.perf_counter() - started
            print(
                f"incremental sync: {second_s:.2f} s (target <= {TARGET_INCREMENTAL_S:.0f} s)  "
                f"{second.reviews_pushed} pushed, {second.reviews_pulled} pulled"
            )
            started = time.perf_counter()
            third = sync(library.conn, account, config, home=home)
            print(
                f"sync with nothing new: {time.perf_counter() - started:.2f} s  "
                f"({third.reviews_pushed} pushed, {third.reviews_pulled} pulled)"
            )
            print(f"bridge collection after: {bridge_size(home) / 1e6:.1f} MB")
            phone.close()
            library.close()
            ok = first_s <= TARGET_FIRST_S and second_s <= TARGET_INCREMENTAL_S
            ok = ok and second.reviews_pushed == NEW_EACH_SIDE
            ok = ok and second.reviews_pulled == NEW_EACH_SIDE
        finally:
            stop_server(server)
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
