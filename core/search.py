"""Search everything (offline): full-text search over every transcript's segments.

The index is the `segment_search` FTS5 table (migration 0005), kept current by triggers
on `segments`. `search()` takes what a person typed and never lets it reach FTS5 as
syntax: plain words are ANDed, "quoted phrases" stay phrases, a trailing `*` makes a
word a prefix, and everything else (AND/OR/NOT/NEAR, parentheses, colons, `^`, stray
quotes) is matched as ordinary text.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from typing import Any

DEFAULT_LIMIT = 20
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


def index_source(conn: sqlite3.Connection, source_id: int) -> None:
    """Put a newly added transcript's segments in the index, in one statement (the caller's
    transaction). FTS5 takes this about five times faster than a trigger per row, so a
    10-hour import pays little for being searchable (migration 0011)."""
    conn.execute(
        "INSERT INTO segment_search (rowid, text, source_id, idx)"
        " SELECT source_id * 4294967296 + idx, text, source_id, idx FROM segments"
        " WHERE source_id = ?",
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
        parts.append(_quote(word) + ("*" if prefix else ""))
    if not parts:
        raise SearchError("Nothing to search for: type one or more words.")
    return " AND ".join(parts)


def _connection(where: Any) -> sqlite3.Connection:
    return where if isinstance(where, sqlite3.Connection) else where.conn


def search(
    where: Any,
    query: str,
    source_id: int | None = None,
    limit: int = DEFAULT_LIMIT,
    *,
    mark: tuple[str, str] = (MARK_START, MARK_END),
    collection_id: int | None = None,
) -> list[SearchHit]:
    """The best `limit` segments matching `query` (bm25 order), optionally in one source
    or in the transcripts of one collection.

    `where` is a sqlite3 connection or anything with a `.conn` (a Library).
    """
    if limit <= 0:
        raise SearchError("The limit must be a positive number.")
    match = fts_query(query)
    sql = (
        "SELECT f.source_id, src.title, f.idx, seg.start,"
        " snippet(segment_search, 0, ?, ?, '…', ?) AS snippet"
        " FROM segment_search AS f"
        " JOIN sources AS src ON src.id = f.source_id"
        " JOIN segments AS seg ON seg.source_id = f.source_id AND seg.idx = f.idx"
        " WHERE segment_search MATCH ?"
    )
    params: list[Any] = [mark[0], mark[1], SNIPPET_TOKENS, match]
    if source_id is not None:
        sql += " AND f.source_id = ?"
        params.append(source_id)
    if collection_id is not None:
        sql += (
            " AND f.source_id IN (SELECT source_id FROM collection_sources WHERE collection_id = ?)"
        )
        params.append(collection_id)
    sql += " ORDER BY rank, f.source_id, f.idx LIMIT ?"
    params.append(limit)
    try:
        rows = _connection(where).execute(sql, params).fetchall()
    except sqlite3.OperationalError as error:  # should not happen: the query is all quoted
        raise SearchError(f"Cannot search for {query!r}: {error}") from None
    return [
        SearchHit(
            source_id=int(row[0]),
            title=str(row[1]),
            segment=int(row[2]) + 1,
            start=row[3],
            snippet=str(row[4]),
        )
        for row in rows
    ]


def matching_segments(where: Any, query: str, source_id: int) -> list[int]:
    """Indexes (0-based) of every segment of one source that matches `query`, in order."""
    match = fts_query(query)
    try:
        rows = _connection(where).execute(
            "SELECT idx FROM segment_search WHERE segment_search MATCH ? AND source_id = ?"
            " ORDER BY idx",
            (match, source_id),
        )
        return [int(row[0]) for row in rows]
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
    marks = ",".join("?" * len(source_ids)) or "NULL"
    try:
        rows = conn.execute(
            "SELECT source_id, idx FROM segment_search WHERE segment_search MATCH ?"
            f" AND source_id IN ({marks}) ORDER BY rank, source_id, idx LIMIT ?",
            (match, *source_ids, limit),
        )
        return [(int(row[0]), int(row[1])) for row in rows]
    except sqlite3.OperationalError:
        return []
