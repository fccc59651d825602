"""Search everything (offline): full-text search over every transcript's segments.

The index is the `segment_search` FTS5 table over `segments`' text (external content,
migration 0012): its rowid is source_id * 2^32 + idx, so a hit's source and segment come
from the rowid, and one source is a rowid range. `search()` takes what a person typed and
never lets it reach FTS5 as syntax: plain words are ANDed, "quoted phrases" stay phrases,
a trailing `*` makes a word a prefix (of 3+ characters), and everything else
(AND/OR/NOT/NEAR, parentheses, colons, `^`, stray quotes) is matched as ordinary text.

Ranking costs about a microsecond per matching segment (bm25 reads each one's length), so
a query that matches more than RANK_CAP segments ranks the RANK_CAP newest of them (the
results say so: `SearchResults.capped`); snippets are made for the hits shown only.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from dataclasses import dataclass
from typing import Any

DEFAULT_LIMIT = 20
RANK_CAP = 20_000
MIN_PREFIX = 3  # "t*" would merge the lists of hundreds of words: slow and useless
_SOURCE_SHIFT = 32
_IDX_MASK = (1 << _SOURCE_SHIFT) - 1
MARK_START = "["
MARK_END = "]"
SNIPPET_TOKENS = 12

# A "quoted phrase" (closed), or any run of non-space characters.
_TOKEN = re.compile(r'"([^"]*)"|(\S+)')
_WORDISH = re.compile(r"\w")


class SearchError(ValueError):
    """The query cannot be searched for (e.g. it is empty); the message says why."""


@dataclass(frozen=True)
class SearchHit:
    source_id: int
    title: str
    segment: int  # 1-based, as the app shows it (¶N)
    start: float | None
    snippet: str


class SearchResults(list[SearchHit]):
    """The hits, best first; `capped` when the query matched more than RANK_CAP segments,
    so only the RANK_CAP newest were ranked (a word more narrows it)."""

    capped: bool = False


def capped_note() -> str:
    """One line for results whose ranking was capped (`SearchResults.capped`)."""
    return (
        f"More than {RANK_CAP:,} segments match: the best of the newest {RANK_CAP:,} are"
        " shown. Add a word to narrow it."
    )


def _rowid(source_id: int, idx: int) -> int:
    return (source_id << _SOURCE_SHIFT) | idx


def index_source(conn: sqlite3.Connection, source_id: int) -> None:
    """Put a newly added transcript's segments in the index, in one statement (the caller's
    transaction). FTS5 takes this about five times faster than a trigger per row, so a
    10-hour import pays little for being searchable (migration 0011)."""
    conn.execute(
        "INSERT INTO segment_search (rowid, text)"
        " SELECT source_id * 4294967296 + idx, text FROM segments WHERE source_id = ?",
        (source_id,),
    )


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def fts_query(text: str) -> str:
    """A valid FTS5 query for what a person typed; SearchError if nothing is searchable."""
    parts: list[str] = []
    for match in _TOKEN.finditer(text or ""):
        phrase, word = match.group(1), match.group(2)
        if phrase is not None:
            if _WORDISH.search(phrase):
                parts.append(_quote(phrase))
            continue
        prefix = word.endswith("*")
        word = word.rstrip("*")
        if not _WORDISH.search(word):
            continue  # pure punctuation: nothing the index could match
        if prefix and len(word) < MIN_PREFIX:
            raise SearchError(
                f"{word}* is too short a prefix: type at least {MIN_PREFIX} characters before *."
            )
        parts.append(_quote(word) + ("*" if prefix else ""))
    if not parts:
        raise SearchError("Nothing to search for: type one or more words.")
    return " AND ".join(parts)


def _connection(where: Any) -> sqlite3.Connection:
    return where if isinstance(where, sqlite3.Connection) else where.conn


def _scope(source_ids: list[int] | None) -> tuple[str, list[Any]]:
    """SQL (and its parameters) narrowing a MATCH to some sources (None: all of them).
    The rowid range from the first to the last source is what FTS5 itself narrows by
    (it seeks, instead of reading every match); the list filters the gaps in between."""
    if source_ids is None:
        return "", []
    if not source_ids:
        return " AND 0", []
    ids = sorted(set(source_ids))
    sql = " AND rowid BETWEEN ? AND ?"
    params: list[Any] = [_rowid(ids[0], 0), _rowid(ids[-1], _IDX_MASK)]
    if len(ids) < ids[-1] - ids[0] + 1:
        sql += f" AND rowid >> {_SOURCE_SHIFT} IN ({','.join('?' * len(ids))})"
        params += ids
    return sql, params


def _in_scope(
    conn: sqlite3.Connection, source_id: int | None, collection_id: int | None
) -> list[int] | None:
    """The sources a search looks in: one, a collection's, both (their overlap) or all."""
    ids = None if source_id is None else [source_id]
    if collection_id is not None:
        members = [
            int(row[0])
            for row in conn.execute(
                "SELECT source_id FROM collection_sources WHERE collection_id = ?",
                (collection_id,),
            )
        ]
        ids = members if ids is None else [i for i in ids if i in members]
    return ids


def _ranked(
    conn: sqlite3.Connection, match: str, scope: str, params: list[Any], limit: int
) -> tuple[list[int], bool]:
    """Rowids of the best `limit` matches (bm25, then rowid), and whether the ranking was
    capped to the RANK_CAP newest matches. Finding where the newest RANK_CAP begin reads
    rowids only (cheap); ranking walks forward from there (bm25 backwards is 2x slower)."""
    cap = ""
    beyond = conn.execute(
        f"SELECT rowid FROM segment_search WHERE segment_search MATCH ?{scope}"
        " ORDER BY rowid DESC LIMIT 1 OFFSET ?",
        [match, *params, RANK_CAP],
    ).fetchone()
    if beyond is not None:
        cap = " AND rowid > ?"
        params = [*params, int(beyond[0])]
    rows = conn.execute(
        f"SELECT rowid FROM segment_search WHERE segment_search MATCH ?{scope}{cap}"
        " ORDER BY rank, rowid LIMIT ?",
        [match, *params, limit],
    ).fetchall()
    return [int(row[0]) for row in rows], beyond is not None


def _segments(
    conn: sqlite3.Connection, rowids: list[int]
) -> dict[int, tuple[str, float | None, str]]:
    """(title, start, text) of each hit, read from `segments` by primary key (in batches:
    `--limit` may ask for more hits than a statement takes parameters)."""
    found: dict[int, tuple[str, float | None, str]] = {}
    for first in range(0, len(rowids), 500):
        batch = rowids[first : first + 500]
        values = ",".join(["(?)"] * len(batch))
        rows = conn.execute(
            f"WITH hit (rid) AS (VALUES {values})"
            " SELECT hit.rid, src.title, seg.start, seg.text FROM hit"
            f" JOIN segments AS seg ON seg.source_id = hit.rid >> {_SOURCE_SHIFT}"
            f" AND seg.idx = hit.rid & {_IDX_MASK}"
            " JOIN sources AS src ON src.id = seg.source_id",
            batch,
        )
        found.update((int(row[0]), (str(row[1]), row[2], str(row[3]))) for row in rows)
    return found


# The index's tokenizer (migration 0012); the scratch table must split words the same way.
TOKENIZE = "unicode61 remove_diacritics 2"
_scratch = threading.local()


def _snippets(texts: list[str], match: str, mark: tuple[str, str]) -> list[str]:
    """snippet() of each text for `match`, made on a scratch in-memory FTS5 table of just
    these texts (one per thread): the index itself would read each text through its
    unindexed content view (migration 0012). Same tokenizer, same snippet algorithm."""
    if not texts:
        return []
    conn = getattr(_scratch, "conn", None)
    if conn is None:
        conn = sqlite3.connect(":memory:", isolation_level=None)
        conn.execute(f"CREATE VIRTUAL TABLE scratch USING fts5(text, tokenize = '{TOKENIZE}')")
        _scratch.conn = conn
    conn.execute("BEGIN")
    try:
        conn.executemany("INSERT INTO scratch (rowid, text) VALUES (?, ?)", enumerate(texts))
        made = dict(
            conn.execute(
                "SELECT rowid, snippet(scratch, 0, ?, ?, '…', ?) FROM scratch"
                " WHERE scratch MATCH ?",
                (mark[0], mark[1], SNIPPET_TOKENS, match),
            ).fetchall()
        )
    finally:
        conn.execute("ROLLBACK")
    return [str(made.get(number, text)) for number, text in enumerate(texts)]


def search(
    where: Any,
    query: str,
    source_id: int | None = None,
    limit: int = DEFAULT_LIMIT,
    *,
    mark: tuple[str, str] = (MARK_START, MARK_END),
    collection_id: int | None = None,
) -> SearchResults:
    """The best `limit` segments matching `query` (bm25 order), optionally in one source
    or in the transcripts of one collection.

    `where` is a sqlite3 connection or anything with a `.conn` (a Library).
    """
    if limit <= 0:
        raise SearchError("The limit must be a positive number.")
    match = fts_query(query)
    conn = _connection(where)
    scope, params = _scope(_in_scope(conn, source_id, collection_id))
    try:
        rowids, capped = _ranked(conn, match, scope, params, limit)
        found = _segments(conn, rowids)
    except sqlite3.OperationalError as error:  # should not happen: the query is all quoted
        raise SearchError(f"Cannot search for {query!r}: {error}") from None
    rowids = [rowid for rowid in rowids if rowid in found]  # deleted meanwhile
    snippets = _snippets([found[rowid][2] for rowid in rowids], match, mark)
    results = SearchResults(
        SearchHit(
            source_id=rowid >> _SOURCE_SHIFT,
            title=found[rowid][0],
            segment=(rowid & _IDX_MASK) + 1,
            start=found[rowid][1],
            snippet=snippet,
        )
        for rowid, snippet in zip(rowids, snippets, strict=True)
    )
    results.capped = capped
    return results


def matching_segments(where: Any, query: str, source_id: int) -> list[int]:
    """Indexes (0-based) of every segment of one source that matches `query`, in order."""
    match = fts_query(query)
    scope, params = _scope([source_id])
    try:
        rows = _connection(where).execute(
            f"SELECT rowid FROM segment_search WHERE segment_search MATCH ?{scope} ORDER BY rowid",
            (match, *params),
        )
        return [int(row[0]) & _IDX_MASK for row in rows]
    except sqlite3.OperationalError as error:
        raise SearchError(f"Cannot search for {query!r}: {error}") from None


def highlight_pattern(query: str) -> re.Pattern[str] | None:
    """A regex for the words a query matches, to paint them in a segment (an approximation
    of the index's tokenizer: words at word starts, a trailing * as any word ending)."""
    terms: list[str] = []
    for match in _TOKEN.finditer(query or ""):
        phrase, word = match.group(1), match.group(2)
        if phrase is not None:
            words = re.findall(r"\w+", phrase)
            if words:
                terms.append(r"\W+".join(re.escape(w) for w in words) + r"\b")
            continue
        prefix = word.endswith("*")
        words = re.findall(r"\w+", word)
        if not words:
            continue
        body = r"\W+".join(re.escape(w) for w in words)
        terms.append(body + (r"\w*" if prefix else r"\b"))
    if not terms:
        return None
    return re.compile(r"\b(?:" + "|".join(terms) + ")", re.IGNORECASE)


# Words too common to rank passages by (a question is mostly these).
_STOPWORD_TEXT = """
the and for are but not you all any can had her was one our out has him his how its may new
now old see two way who did get let put say she too use what when where which while with
would could should about after again also because been before being between both does doing
down during each from further have having here into just more most other over same some such
than that their them then there these they this those through under until very were will
your talk speaker says said tell explain
"""
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())


RANKING_WORDS = 8  # the rarest words of a question that rank passages


def content_words(text: str) -> list[str]:
    """A question's words worth ranking by: 3+ letters, not too common, in order."""
    words = [w for w in re.findall(r"\w+", (text or "").lower()) if len(w) >= 3]
    return list(dict.fromkeys(w for w in words if w not in _STOPWORDS)) or list(
        dict.fromkeys(words)
    )


def any_words_query(text: str, words: list[str] | None = None) -> str:
    """An FTS5 query matching segments with ANY of the text's content words (for ranking
    passages against a question in natural language); SearchError when there are none."""
    chosen = words if words is not None else content_words(text)
    if not chosen:
        raise SearchError("Nothing to search for: type one or more words.")
    return " OR ".join(_quote(w) for w in chosen[:32])


def _rarest(conn: sqlite3.Connection, words: list[str], keep: int) -> list[str]:
    """The `keep` words found in the fewest segments (bm25 weighs those most anyway, and
    ranking every segment that holds a common word is what makes OR queries slow).
    Words the index does not list as typed (accents folded differently) are kept."""
    if len(words) <= keep:
        return words
    try:
        conn.execute(
            "CREATE VIRTUAL TABLE IF NOT EXISTS temp.segment_search_vocab"
            " USING fts5vocab(main, segment_search, row)"
        )
        marks = ",".join("?" * len(words))
        counts = dict(
            conn.execute(
                f"SELECT term, doc FROM temp.segment_search_vocab WHERE term IN ({marks})", words
            ).fetchall()
        )
    except sqlite3.Error:
        return words[:keep]
    found = [w for w in words if w in counts]
    unknown = [w for w in words if w not in counts and not w.isascii()]
    return (unknown + sorted(found, key=lambda w: counts[w]))[:keep]


def best_passages(
    where: Any, text: str, source_ids: list[int], limit: int = 40
) -> list[tuple[int, int]]:
    """(source_id, segment index) of the segments of those sources that bm25 ranks best
    for `text` (any of its words), best first; [] when nothing matches."""
    conn = _connection(where)
    try:
        match = any_words_query(text, _rarest(conn, content_words(text), RANKING_WORDS))
    except SearchError:
        return []
    scope, params = _scope(list(source_ids))
    try:
        rowids, _capped = _ranked(conn, match, scope, params, limit)
    except sqlite3.OperationalError:
        return []
    return [(rowid >> _SOURCE_SHIFT, rowid & _IDX_MASK) for rowid in rowids]
