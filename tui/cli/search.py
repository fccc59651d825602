"""`ponder search QUERY`: search every transcript in the library, offline.

One line per match, best first: `SOURCE_ID  h:mm:ss  TITLE — snippet` (matches in
[brackets]); `--json` prints a list of {source_id, title, segment, start, snippet}. A
query too common to rank in full says so on stderr (core.search.RANK_CAP).
Titles and transcript text are untrusted, so they go through `inert_line`.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from tui.cli.common import CliError, open_library, out, parse_id, print_json


def register(subparsers: Any) -> None:
    search = subparsers.add_parser(
        "search",
        help="search every transcript (offline)",
        description='Search every transcript. Words are all required; "quoted phrases" '
        "match as written; a trailing * matches a prefix (photo* finds photosynthesis).",
    )
    search.add_argument("query", metavar="QUERY", nargs="+")
    search.add_argument("--json", action="store_true", help="print a JSON array")
    search.add_argument("--source", metavar="ID", help="only search this source")
    search.add_argument(
        "--collection", metavar="NAME", help="only search the transcripts of this collection"
    )
    search.add_argument(
        "--limit", metavar="N", type=int, default=20, help="at most N matches (default: 20)"
    )
    search.set_defaults(func=cmd_search)


def cmd_search(args: argparse.Namespace) -> int:
    from core.search import SearchError, capped_note, search
    from core.textsafe import inert_line
    from tui.cli.sources import clock

    source_id = parse_id(args.source, "source", "see ponder list") if args.source else None
    if args.limit <= 0:
        raise CliError(f"--limit must be a positive number, not {args.limit}")
    query = " ".join(args.query)
    library = open_library()
    try:
        if source_id is not None and library.source(source_id) is None:
            raise CliError(f"no source with id {source_id} (see ponder list)")
        collection_id = None
        if args.collection is not None:
            from tui.cli.collections import require_collection

            collection_id = require_collection(library, args.collection).id
        try:
            hits = search(library, query, source_id, args.limit, collection_id=collection_id)
        except SearchError as error:
            raise CliError(str(error)) from None
    finally:
        library.close()
    if hits.capped:
        print(capped_note(), file=sys.stderr)  # stdout stays the results (or the JSON)
    if args.json:
        print_json(
            [
                {
                    "source_id": hit.source_id,
                    "title": hit.title,
                    "segment": hit.segment,
                    "start": hit.start,
                    "snippet": hit.snippet,
                }
                for hit in hits
            ]
        )
        return 0
    if not hits:
        out(f"no matches for {inert_line(query)}")
        return 0
    for hit in hits:
        out(
            f"{hit.source_id}  {clock(hit.start)}  {inert_line(hit.title)} — "
            f"{inert_line(hit.snippet)}"
        )
    return 0
