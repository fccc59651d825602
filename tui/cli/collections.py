"""`ponder collection create|add|remove|list|delete`: named sets of transcripts.

A collection groups transcripts (a course, a podcast, a person) so they can be searched
(`ponder search --collection NAME`) and asked about together (`ponder ask --collection`).
Names and titles are untrusted text: printed through `inert_line`.
"""

from __future__ import annotations

import argparse
from typing import Any

from tui.cli.common import CliError, open_library, out, parse_id, print_json


def register(subparsers: Any) -> None:
    collection = subparsers.add_parser(
        "collection",
        help="group transcripts into named collections",
        description="A collection is a named set of transcripts (a course, a podcast, a "
        "person): search it with `ponder search --collection NAME`, ask Claude about all of "
        "it with `ponder ask --collection NAME`.",
    )
    actions = collection.add_subparsers(dest="collection_command", metavar="ACTION")
    actions.required = True

    create = actions.add_parser("create", help="make an empty collection")
    create.add_argument("name", metavar="NAME")
    create.set_defaults(func=cmd_create)

    add = actions.add_parser("add", help="put transcripts in a collection")
    add.add_argument("name", metavar="NAME")
    add.add_argument("source_ids", metavar="SOURCE_ID", nargs="+")
    add.add_argument("--create", action="store_true", help="make the collection if needed")
    add.set_defaults(func=cmd_add)

    remove = actions.add_parser("remove", help="take transcripts out (they stay in the library)")
    remove.add_argument("name", metavar="NAME")
    remove.add_argument("source_ids", metavar="SOURCE_ID", nargs="+")
    remove.set_defaults(func=cmd_remove)

    listing = actions.add_parser("list", help="list collections, or the transcripts of one")
    listing.add_argument("name", metavar="NAME", nargs="?")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(func=cmd_list)

    delete = actions.add_parser(
        "delete", help="delete a collection (its transcripts stay in the library)"
    )
    delete.add_argument("name", metavar="NAME")
    delete.set_defaults(func=cmd_delete)


def _ids(texts: list[str]) -> list[int]:
    return list(dict.fromkeys(parse_id(text, "source", "see ponder list") for text in texts))


def require_collection(library: Any, name: str) -> Any:
    from core.collections import CollectionError, require

    try:
        return require(library, name)
    except CollectionError as error:
        raise CliError(str(error)) from None


def cmd_create(args: argparse.Namespace) -> int:
    from core.collections import CollectionError, create
    from core.textsafe import inert_line

    library = open_library()
    try:
        try:
            made = create(library, args.name)
        except CollectionError as error:
            raise CliError(str(error)) from None
        out(f"created collection {made.id}: {inert_line(made.name)}")
    finally:
        library.close()
    return 0


def cmd_add(args: argparse.Namespace) -> int:
    from core.collections import CollectionError, add_source, create, find
    from core.textsafe import inert_line

    source_ids = _ids(args.source_ids)
    library = open_library()
    try:
        missing = [i for i in source_ids if library.source(i) is None]
        if missing:
            raise CliError(f"no source with id {missing[0]} (see ponder list)")
        collection = find(library, args.name)
        if collection is None and args.create:
            try:
                collection = create(library, args.name)
            except CollectionError as error:
                raise CliError(str(error)) from None
        if collection is None:
            collection = require_collection(library, args.name)
        name = inert_line(collection.name)
        for source_id in source_ids:
            added = add_source(library, collection.id, source_id)
            title = inert_line(library.source(source_id).title)
            out(f"{'added' if added else 'already in'} {name}: {source_id}  {title}")
    finally:
        library.close()
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    from core.collections import remove_source
    from core.textsafe import inert_line

    source_ids = _ids(args.source_ids)
    library = open_library()
    try:
        collection = require_collection(library, args.name)
        name = inert_line(collection.name)
        not_in = [i for i in source_ids if i not in collection.source_ids]
        if not_in:
            raise CliError(f"source {not_in[0]} is not in the collection {name}")
        for source_id in source_ids:
            remove_source(library, collection.id, source_id)
            out(f"removed from {name}: {source_id}")
    finally:
        library.close()
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from core.collections import collections
    from core.textsafe import inert_line
    from tui.cli.sources import clock

    library = open_library()
    try:
        if args.name is None:
            found = collections(library)
            if args.json:
                print_json([c.to_dict() for c in found])
                return 0
            if not found:
                out("No collections yet. Make one: ponder collection create NAME")
            for collection in found:
                count = len(collection.source_ids)
                noun = "transcript" if count == 1 else "transcripts"
                out(f"{collection.id:>4}  {inert_line(collection.name)}  ({count} {noun})")
            return 0
        collection = require_collection(library, args.name)
        sources = [library.source(i) for i in collection.source_ids]
        if args.json:
            data = collection.to_dict()
            data["sources"] = [s.to_dict() for s in sources if s is not None]
            print_json(data)
            return 0
        if not sources:
            out(f"{inert_line(collection.name)} is empty. Add: ponder collection add NAME ID")
        for source in sources:
            if source is not None:
                out(f"{source.id:>4}  {clock(source.duration_s)}  {inert_line(source.title)}")
    finally:
        library.close()
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    from core.collections import delete
    from core.textsafe import inert_line

    library = open_library()
    try:
        collection = require_collection(library, args.name)
        delete(library, collection.id)
        out(f"deleted collection {inert_line(collection.name)} (its transcripts stay)")
    finally:
        library.close()
    return 0
