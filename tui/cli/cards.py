"""`ponder card add|show|delete|suspend|unsuspend|move`, `ponder cards`, `ponder due`.

Scripts can rely on: `card add` prints each new card's id on its own line (nothing
else on stdout); `cards --json` and `due --json` print plain JSON. Card text is
untrusted (it may come from transcripts), so it goes through `inert` on a terminal.

A hand-typed card has no source: pass `-` as SOURCE_ID.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from tui.cli.common import CliError, id_option, open_library, out, parse_id, print_json


def register(subparsers: Any) -> None:
    card = subparsers.add_parser(
        "card",
        help="add, show or change a flashcard",
        description="Add, show or change flashcards. `ponder card add -h` for adding.",
    )
    actions = card.add_subparsers(dest="card_command", metavar="ACTION")
    actions.required = True

    add = actions.add_parser(
        "add",
        help="add a note (basic, basic+reverse, or cloze) and print its card ids",
        description="Add a note and print the new card id(s), one per line. SOURCE_ID is the "
        "transcript the card comes from (see `ponder list`), or - for a card typed by hand. "
        "The deck defaults to one named after the transcript (Default for hand-typed cards).",
    )
    add.add_argument("source", metavar="SOURCE_ID", help="a transcript id, or - for none")
    kind = add.add_mutually_exclusive_group(required=True)
    kind.add_argument("--front", metavar="F", help="the question side")
    kind.add_argument(
        "--cloze",
        metavar="TEXT",
        help="cloze text: 'The {{c1::sun}} is a {{c2::star::hint}}' (one card per number)",
    )
    add.add_argument("--back", metavar="B", default="", help="the answer side")
    add.add_argument("--extra", metavar="X", default="", help="cloze only: shown with the answer")
    add.add_argument("--reverse", action="store_true", help="also add the back->front card")
    add.add_argument("--deck", metavar="D", help="deck name; A::B nests (created if missing)")
    add.add_argument("--tags", metavar="t1,t2", default="", help="comma separated tags")
    add.add_argument(
        "--segments",
        metavar="N[-M]",
        help="the transcript segment(s) it comes from, numbered from 1 as in the app",
    )
    add.add_argument(
        "--highlight", metavar="ID", type=id_option("highlight"), help="the highlight it comes from"
    )
    add.set_defaults(func=cmd_add)

    show = actions.add_parser("show", help="show a card with its memory state and history")
    show.add_argument("card_id", metavar="CARD_ID")
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(func=cmd_show)

    delete = actions.add_parser("delete", help="delete cards' notes (all their cards)")
    delete.add_argument("card_ids", metavar="CARD_ID", nargs="+")
    delete.set_defaults(func=cmd_delete)

    for name, helptext in (("suspend", "suspend cards"), ("unsuspend", "unsuspend cards")):
        action = actions.add_parser(name, help=helptext)
        action.add_argument("card_ids", metavar="CARD_ID", nargs="+")
        action.set_defaults(func=cmd_suspend, suspend=name == "suspend")

    move = actions.add_parser("move", help="move cards to a deck")
    move.add_argument("deck", metavar="DECK")
    move.add_argument("card_ids", metavar="CARD_ID", nargs="+")
    move.set_defaults(func=cmd_move)

    cards = subparsers.add_parser(
        "cards",
        help="list flashcards",
        description="List cards (id, deck, state, due, front). --search takes words and "
        "filters such as deck:NAME tag:NAME is:new|learning|review|suspended|leech|due.",
    )
    cards.add_argument("--json", action="store_true", help="print a JSON array")
    cards.add_argument("--deck", metavar="D", help="only this deck and its subdecks")
    cards.add_argument("--due", action="store_true", help="only cards due today")
    cards.add_argument("--search", metavar="Q", default="", help="words and filters")
    cards.set_defaults(func=cmd_cards)

    due = subparsers.add_parser(
        "due",
        help="how many cards are due now, per deck",
        description="Cards due now per "
        "deck (learning + review; a deck's count includes its subdecks), and new cards waiting.",
    )
    due.add_argument("--json", action="store_true", help="print JSON")
    due.set_defaults(func=cmd_due)


# -- helpers ------------------------------------------------------------------------


def _store():  # -> (Library, CardStore)
    from decks.repository import CardStore

    library = open_library()
    return library, CardStore(library.conn)


def _id(text: str) -> int:
    return parse_id(text, "card")


def _segments(text: str | None, count: int) -> tuple[int | None, int | None]:
    """Segment numbers as the app shows them (1..count) to stored indexes (0-based)."""
    if text is None:
        return None, None
    first_text, _, last_text = text.partition("-")
    try:
        first = int(first_text)
        last = int(last_text) if last_text else first
    except ValueError:
        raise CliError(f"--segments takes N or N-M (numbers), not {text!r}") from None
    if first < 1 or last < first:
        raise CliError(f"--segments {text}: need 1 <= N <= M (segments count from 1)")
    if last > count:
        raise CliError(f"--segments {text}: the transcript has segments 1-{count}")
    return first - 1, last - 1


def _one_line(text: str, width: int | None = None) -> str:
    from core.textsafe import inert_line

    line = inert_line(text)
    if width is not None and len(line) > width:
        line = line[: width - 1] + "…"
    return line


def _when(view: Any) -> str:
    card = view.card
    if card.is_new:
        return "new"
    return card.due.astimezone().strftime("%Y-%m-%d %H:%M")


# -- commands -----------------------------------------------------------------------


def cmd_add(args: argparse.Namespace) -> int:
    from decks.models import NoteKind, SourceRef
    from decks.repository import CardStoreError

    library, store = _store()
    try:
        source = None
        if args.source.strip() != "-":
            source_id = parse_id(args.source, "source", "see ponder list")
            found = library.source(source_id)
            if found is None:
                raise CliError(f"no source with id {source_id} (see ponder list; - for none)")
            first, last = _segments(args.segments, found.segment_count)
            source = SourceRef(source_id, found.title, first, last, highlight_id=args.highlight)
        elif args.segments or args.highlight:
            raise CliError("--segments and --highlight need a SOURCE_ID (not -)")
        if args.cloze is not None:
            if args.reverse:
                raise CliError("--reverse is for --front/--back cards, not cloze")
            kind, front, back = NoteKind.CLOZE, args.cloze, args.extra
        else:
            kind = NoteKind.REVERSED if args.reverse else NoteKind.BASIC
            front, back = args.front, args.back
            if args.extra:
                raise CliError("--extra is for cloze cards; use --back")
        try:
            created = store.create_note(
                kind, front, back, deck=args.deck, tags=args.tags, source=source
            )
        except CardStoreError as error:
            raise CliError(_one_line(str(error))) from None
        print(
            f"added {len(created.cards)} card(s) to {_one_line(created.deck.name)}",
            file=sys.stderr,
        )
        for card in created.cards:
            sys.stdout.write(f"{card.id}\n")
    finally:
        library.close()
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from core.config import load
    from decks.browse import card_details

    library, store = _store()
    try:
        details = card_details(store, _id(args.card_id), config=load())
        if details is None:
            raise CliError(f"no card with id {args.card_id} (see ponder cards)")
        if args.json:
            print_json(details.to_dict())
            return 0
        view, memory = details.view, details.memory
        out(f"card {view.id} ({view.note.kind.value}) in {_one_line(view.deck_name)}")
        out(f"front: {view.front}")
        out(f"back:  {view.back}")
        if view.note.tags:
            out("tags:  " + " ".join(view.note.tags))
        out(f"from:  {details.source_label}")
        state = memory.state.label + (" (suspended)" if view.card.suspended else "")
        out(f"state: {state}, due {_when(view)}, reps {memory.reps}, lapses {memory.lapses}")
        if memory.stability is not None:
            recall = "-" if memory.retrievability is None else f"{memory.retrievability:.0%}"
            out(
                f"memory: stability {memory.stability:.1f}d, difficulty "
                f"{memory.difficulty or 0:.1f}, recall now {recall}"
            )
        for entry in details.history:
            moment = entry.log.reviewed_at.astimezone().strftime("%Y-%m-%d %H:%M")
            secs = (entry.log.duration_ms or 0) / 1000
            out(f"  {moment}  {entry.rating_name:<5}  {entry.state_before.label:<10} {secs:.1f}s")
    finally:
        library.close()
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    library, store = _store()
    try:
        ids = [_id(text) for text in args.card_ids]
        notes = {card.note_id for card_id in ids if (card := store.get_card(card_id))}
        if not notes:
            raise CliError("no such card(s) (see ponder cards)")
        store.delete_notes(sorted(notes))
        out(f"deleted {len(notes)} note(s) with their cards")
    finally:
        library.close()
    return 0


def cmd_suspend(args: argparse.Namespace) -> int:
    library, store = _store()
    try:
        changed = store.set_suspended([_id(text) for text in args.card_ids], args.suspend)
        if not changed:
            raise CliError("no such card(s) (see ponder cards)")
        out(f"{'suspended' if args.suspend else 'unsuspended'} {changed} card(s)")
    finally:
        library.close()
    return 0


def cmd_move(args: argparse.Namespace) -> int:
    from decks.repository import CardStoreError

    library, store = _store()
    try:
        ids = [_id(text) for text in args.card_ids]
        existing = [card_id for card_id in ids if store.get_card(card_id) is not None]
        if not existing:
            raise CliError("no such card(s) (see ponder cards)")
        try:
            deck = store.move_to_deck(existing, args.deck)
        except CardStoreError as error:
            raise CliError(_one_line(str(error))) from None
        out(f"moved {len(existing)} card(s) to {_one_line(deck.name)}")
    finally:
        library.close()
    return 0


def cmd_cards(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from decks.browse import SearchError, parse_search

    library, store = _store()
    try:
        try:
            query = parse_search(args.search, store)
        except SearchError as error:
            raise CliError(_one_line(str(error))) from None
        if args.deck:
            deck = store.deck_by_name(args.deck)
            if deck is None:
                raise CliError(f"no deck named {_one_line(args.deck)!r}")
            query = replace(query, deck_id=deck.id)
        if args.due:
            query = replace(query, state="due", order="due")
        from core.config import load

        views = store.search(query, rollover_hour=load().day_rollover_hour)
        if args.json:
            print_json([view.to_dict() for view in views])
            return 0
        if not views:
            out("no cards")
            return 0
        for view in views:
            state = "suspended" if view.card.suspended else view.card.state.label
            out(
                f"{view.id:>6}  {_one_line(view.deck_name, 24):<24}  {state:<10}  "
                f"{_when(view):<16}  {_one_line(view.front, 60)}"
            )
    finally:
        library.close()
    return 0


def cmd_due(args: argparse.Namespace) -> int:
    library, store = _store()
    try:
        counts = store.due_counts()
        decks = store.decks()
        rows = []
        for deck in decks:
            ids = store.subdeck_ids(deck.id)
            learning = sum(counts[i].learning for i in ids if i in counts)
            review = sum(counts[i].review for i in ids if i in counts)
            new = sum(counts[i].new for i in ids if i in counts)
            rows.append(
                {
                    "deck": deck.name,
                    "deck_id": deck.id,
                    "due": learning + review,
                    "learning": learning,
                    "review": review,
                    "new": new,
                }
            )
        total = {
            "due": sum(c.due for c in counts.values()),
            "learning": sum(c.learning for c in counts.values()),
            "review": sum(c.review for c in counts.values()),
            "new": sum(c.new for c in counts.values()),
        }
        if args.json:
            print_json({"decks": rows, "total": total})
            return 0
        if not rows:
            out("no decks yet (add cards with ponder card add)")
            return 0
        for row, deck in zip(rows, decks, strict=True):
            name = "  " * deck.depth + deck.leaf
            out(f"{_one_line(name, 40):<40}  {row['due']:>5} due  {row['new']:>5} new")
        out(f"{'total':<40}  {total['due']:>5} due  {total['new']:>5} new")
    finally:
        library.close()
    return 0
