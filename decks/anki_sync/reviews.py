"""Reviews between Ponder's log and Anki's revlog: an append-only union, each exactly once.

- Pull: an Anki revlog row of a linked card that no link names becomes a Ponder review at
  the row's exact ms time. A review already in Ponder's log at that time (a run killed
  between adding it and linking it) is only linked. The card's whole log is then replayed
  with py-fsrs and its deck preset's parameters.
- Push: a Ponder review no link names goes to the revlog with the id of its own ms time
  (bumped past a taken id). A revlog row of that card and rating already there (its link
  was lost) is only linked. The links are written first and their ids kept as "pending";
  the next run re-inserts any pending row that never reached the bridge.

Incremental runs look only at revlog rows the last pull brought (usn at or past the last
merge's, or -1) and at Ponder reviews from a day before the last sync on; a first sync, or
one after a full download, looks at everything.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from decks.anki_sync.links import ReviewLink
from decks.anki_sync.replay import Answer, replay
from decks.anki_sync.rows import INTO_REVLOG, chunks, id_list, revlog_interval, revlog_row
from decks.models import ReviewLog, from_db_time, to_db_time
from decks.repository import ImportedReview, StaleCard

if TYPE_CHECKING:
    from decks.anki_sync.merge import Merger

ID_SLACK = 8  # how far past a review's own ms a pushed revlog id may be bumped


def _ms(moment: datetime) -> int:
    return round(moment.timestamp() * 1000)


def _from_ms(value: int) -> datetime:
    return datetime.fromtimestamp(value / 1000, UTC)


def _parse_time(text: Any) -> datetime | None:
    return from_db_time(text) if text else None


def merge_reviews(
    merger: Merger, pairs: dict[int, int], *, revlog_usn: int | None, since: datetime | None
) -> set[int]:
    """Pull then push; returns the Ponder card ids whose logs now need Anki's schedule set."""
    merger.progress("Merging reviews", 0, 1)
    by_anki = {anki_id: card_id for card_id, anki_id in pairs.items()}
    if revlog_usn is None:
        rows = merger.col.db.all(
            "select r.id, r.cid, r.ease, r.time, r.type from revlog r join cards c on"
            f" c.id = r.cid join notes n on n.id = c.nid where n.mid in ({merger.marks()})"
        )
    else:  # two lookups on Anki's usn index; rows of other notes are dropped below
        select = "select id, cid, ease, time, type from revlog where usn "
        rows = merger.col.db.all(select + ">= ?", int(revlog_usn))
        rows += merger.col.db.all(select + "= -1")
        rows = [row for row in rows if row[1] in by_anki]
    known = merger.links.known_revlog_ids(row[0] for row in rows)
    revlog = {int(row[0]): (int(row[1]), int(row[2])) for row in rows}
    pulls: dict[int, list[tuple[int, Answer]]] = defaultdict(list)
    for rid, cid, ease, duration, kind in rows:
        if rid in known or cid not in by_anki or not 1 <= ease <= 4 or kind > 3:
            continue
        pulls[by_anki[cid]].append((rid, Answer(ease, _from_ms(rid), duration)))
    total = len(pulls)
    pulled: list[ReviewLink] = []
    for done, (card_id, entries) in enumerate(sorted(pulls.items()), start=1):
        pulled += _pull_card(merger, card_id, entries)
        if done % 50 == 0 or done == total:
            # Linked in batches: a run killed before this finds the reviews in Ponder's
            # log at their exact times next time, and only links them.
            merger.links.link_reviews(pulled)
            pulled = []
            merger.progress("Taking in Anki reviews", done, total)
            merger.check()
    pushed = _push(merger, pairs, revlog, full=revlog_usn is None, since=since)
    merger.progress("Merging reviews", 1, 1)
    return set(pulls) | pushed


def _pull_card(merger: Merger, card_id: int, entries: list[tuple[int, Answer]]) -> list[ReviewLink]:
    """Take one card's Anki reviews into Ponder; the links to write (none if skipped)."""
    store = merger.store
    card = store.get_card(card_id)
    if card is None:
        return []
    logs = store.review_logs(card_id)
    present = {to_db_time(log.reviewed_at) for log in logs}
    links = [ReviewLink(rid, card_id, to_db_time(a.reviewed_at)) for rid, a in entries]
    fresh = [answer for _rid, answer in entries if to_db_time(answer.reviewed_at) not in present]
    if fresh:
        answers = [Answer(log.rating, log.reviewed_at, log.duration_ms) for log in logs]
        after, befores = replay(card, answers + fresh, merger.scheduler(card.deck_id))
        wanted = {id(answer) for answer in fresh}
        imported = [
            ImportedReview(a.rating, a.reviewed_at, a.duration_ms, before)
            for a, before in befores
            if id(a) in wanted
        ]
        try:
            store.add_reviews(card, imported, after, now=merger.now)
        except StaleCard:
            merger.counts.skipped += len(fresh)  # reviewed meanwhile: the next sync
            return []
        merger.forget_cards([card_id])
        merger.counts.reviews_pulled += len(fresh)
    return links


def _push(
    merger: Merger,
    pairs: dict[int, int],
    revlog: dict[int, tuple[int, int]],
    *,
    full: bool,
    since: datetime | None,
) -> set[int]:
    store, links = merger.store, merger.links
    by_card: dict[int, list[ReviewLog]] = defaultdict(list)
    for log in store.iter_review_logs(since=since):
        if log.card_id in pairs:
            by_card[log.card_id].append(log)
    stamps = links.stamps_since(None if since is None else to_db_time(since))
    # Links whose revlog row may never have reached the bridge (a run killed in between).
    if full:
        suspects = [
            ReviewLink(rid, card_id, at)
            for (card_id, at), rid in stamps.items()
            if rid not in revlog and card_id in pairs
        ]
    else:
        suspects = links.reviews_by_id(links.get("pending_push") or [])
        present = _existing(merger, [link.revlog_id for link in suspects])
        suspects = [s for s in suspects if s.revlog_id not in present and s.card_id in pairs]
    for link in suspects:
        if link.card_id not in by_card:
            by_card[link.card_id] = store.review_logs(link.card_id)
    missing = {(link.card_id, link.reviewed_at): link.revlog_id for link in suspects}
    # (log, its stamp, the next review of the card or None): the next one's state_before
    # holds the due date this review set, i.e. Anki's revlog interval.
    candidates: list[tuple[ReviewLog, str, ReviewLog | None]] = []
    for card_id, logs in by_card.items():
        logs.sort(key=lambda log: (log.reviewed_at, log.id))
        for index, log in enumerate(logs):
            stamp = to_db_time(log.reviewed_at)
            key = (card_id, stamp)
            if key in missing or key not in stamps:
                following = logs[index + 1] if index + 1 < len(logs) else None
                candidates.append((log, stamp, following))
    if not candidates:
        links.set(pending_push=[])
        return set()
    own = [_ms(log.reviewed_at) for log, _stamp, _next in candidates]
    linked = set(stamps.values())
    taken = _existing_range(merger, min(own), max(own) + ID_SLACK) | linked
    cards = merger.cards({log.card_id for log, _stamp, _next in candidates})
    in_anki: dict[int, set[tuple[int, int]]] = defaultdict(set)
    for rid, (cid, ease) in revlog.items():
        if rid not in linked:
            in_anki[cid].add((rid, ease))
    new_links: list[ReviewLink] = []
    rows: list[tuple[Any, ...]] = []
    last_ivl: dict[int, int] = {}
    for log, stamp, following in candidates:
        card_id, anki_card = log.card_id, pairs[log.card_id]
        rid = missing.get((card_id, stamp))
        if rid is None:
            mine = _ms(log.reviewed_at)
            same = sorted(
                r
                for r, ease in in_anki.get(anki_card, ())
                if ease == log.rating and 0 <= r - mine < ID_SLACK
            )
            if same:  # already in Anki (its link was lost): link it, never add twice
                new_links.append(ReviewLink(same[0], card_id, stamp))
                continue
            rid = mine
            while rid in taken:
                rid += 1
            taken.add(rid)
            new_links.append(ReviewLink(rid, card_id, stamp))
        if following is not None:
            due = _parse_time(following.state_before.get("due"))
        else:
            card = cards.get(card_id)
            due = card.due if card is not None else None
        ivl = revlog_interval(log.reviewed_at, due)
        prior = int(log.state_before.get("state", 0))
        rows.append(
            revlog_row(
                rid,
                anki_card,
                int(log.rating),
                ivl,
                last_ivl.get(card_id, 0),
                prior,
                int(log.duration_ms or 0),
            )
        )
        last_ivl[card_id] = ivl
    # The links first, and their ids as pending: a run killed before the insert below
    # re-inserts the rows next time; a row is never inserted without its link.
    links.link_reviews(new_links, pending=[row[0] for row in rows])
    if rows:
        db = merger.col.db
        for chunk in chunks(rows, 5000):
            db.transact(
                lambda chunk=chunk: db.executemany("insert or ignore " + INTO_REVLOG, chunk)
            )
    links.set(pending_push=[])
    merger.counts.reviews_pushed += len(rows)
    return {log.card_id for log, _stamp, _next in candidates}


def _existing(merger: Merger, revlog_ids: list[int]) -> set[int]:
    found: set[int] = set()
    for chunk in chunks(revlog_ids, 900):
        found.update(merger.col.db.list(f"select id from revlog where id in ({id_list(chunk)})"))
    return found


def _existing_range(merger: Merger, low: int, high: int) -> set[int]:
    return set(merger.col.db.list("select id from revlog where id between ? and ?", low, high))
