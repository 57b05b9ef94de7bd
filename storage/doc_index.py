"""The text of the kit's documents, searchable: an SQLite FTS5 index in its own file.

The index lives beside the workspace (``documents.sqlite`` in the visit's folder), not in it:
it is a cache that the documents can always rebuild, so it stays out of the workspace's backups
(their size and their 15-minute copies), never holds the workspace's write lock that every edit
waits for, and a damaged one is simply deleted and made again (``DocIndex.open``).

Documents are keyed by their SHA-256, the name the blob store gives them: a document indexed
once is never read again, and a re-issued kit re-indexes only the files whose content changed.
A document's pages and its ``doc_files`` row are written in one transaction, so an index
stopped part way (a laptop switched off) holds whole documents only and resumes where it
stopped. A document that cannot be read is recorded as ``skipped`` with the reason, so it is
not tried again and can be listed as "not searchable".

The index holds the documents' text, so it is encrypted with the visit's key (SQLCipher) like
the workspace. An index an older version left in the clear is encrypted in place on its first
open; one that the key does not open (the visit opened again from its kit under a new key) is,
like a damaged one, made again.

Imports nothing of ours except the SQLite helpers; never Qt.
"""

from __future__ import annotations

import contextlib
import logging
import re
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from storage import encrypted_sqlite
from storage.sqlite import FileDamaged, SchemaTooNew, Step, open_migrated

INDEX_FILE = "documents.sqlite"
HIT_START, HIT_END = "\x02", "\x03"
"""What ``snippet()`` puts around each matched word (control characters: never in the text)."""
SNIPPET_TOKENS = 14
MAX_PAGE_CHARS = 200_000  # a page's text beyond this is not indexed (a hostile or odd file)

log = logging.getLogger(__name__)

_STEPS: list[Step] = [
    (
        1,
        """
        CREATE TABLE doc_files (
            sha256     TEXT PRIMARY KEY NOT NULL,
            state      TEXT NOT NULL CHECK (state IN ('indexed', 'skipped')),
            pages      INTEGER NOT NULL DEFAULT 0,
            reason     TEXT NOT NULL DEFAULT '',
            indexed_at TEXT NOT NULL
        );
        CREATE VIRTUAL TABLE doc_pages USING fts5(
            sha256 UNINDEXED, page UNINDEXED, text,
            tokenize='unicode61 remove_diacritics 2'
        );
        """,
    ),
]

_WORD = re.compile(r"\w", re.UNICODE)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def match_expression(text: str) -> str:
    """An FTS5 query for the user's words: every word must be there (in any order), the last
    one as a prefix (typing "safeguar" finds "safeguarding"). Each word is quoted, so input
    such as ``"``, ``AND(``, ``NEAR``, ``*`` or ``col:`` is searched for as text and never
    parsed as query syntax; words with no letter or digit are left out. "" when nothing is
    left to search for."""
    words = [w for w in _CONTROL.sub(" ", text).split() if _WORD.search(w)]
    quoted = ['"' + w.replace('"', '""') + '"' for w in words]
    if quoted:
        quoted[-1] += "*"
    return " ".join(quoted)


@dataclass(frozen=True, slots=True)
class PageHit:
    """One page that matches: the document's hash, the page (1-based), a snippet with the
    matched words between ``HIT_START`` and ``HIT_END``, and bm25's rank (lower is better)."""

    sha256: str
    page: int
    snippet: str
    rank: float


@dataclass(frozen=True, slots=True)
class FileState:
    sha256: str
    state: str  # "indexed" or "skipped"
    pages: int
    reason: str


class DocIndex:
    """One connection to the index file. Use from one thread at a time (each thread that
    writes or reads opens its own: WAL lets readers search while a writer indexes)."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self._conn = conn
        self.path = path

    @classmethod
    def open(cls, path: Path, *, key: bytes) -> DocIndex:
        """Open (creating when missing) the index at ``path``, encrypted with ``key`` (the
        visit's). A damaged file, one from a newer app, or one the key does not open, is a
        cache: it is deleted and made again, empty."""
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            if encrypted_sqlite.is_plain(path):  # an older version's: encrypted in place
                encrypted_sqlite.encrypt_plain_database(path, path, key)
            return cls._open(path, key)
        except (
            FileDamaged,
            SchemaTooNew,
            encrypted_sqlite.WrongKey,
            encrypted_sqlite.EncryptionFailed,
            *encrypted_sqlite.DatabaseError,
        ) as exc:
            log.warning("the document index %s is unusable (%s); making it again", path, exc)
            for leftover in (
                path,
                path.with_name(path.name + "-wal"),
                path.with_name(path.name + "-shm"),
            ):
                with contextlib.suppress(FileNotFoundError):
                    leftover.unlink()
            return cls._open(path, key)

    @classmethod
    def _open(cls, path: Path, key: bytes) -> DocIndex:
        conn = open_migrated(path, _STEPS, what="document index", key=key, check_same_thread=False)
        # A cache: a transaction lost to a power cut is indexed again, so FULL is not needed.
        conn.execute("PRAGMA synchronous = NORMAL")
        return cls(conn, path)

    def close(self) -> None:
        self._conn.close()

    # -- writing ---------------------------------------------------------------------------------

    def add_document(self, sha256: str, pages: Iterable[str]) -> int:
        """Index a document's pages (in order; page 1 first) in one transaction, replacing
        anything stored for it; the number of pages."""
        rows = [
            (sha256, number, text[:MAX_PAGE_CHARS]) for number, text in enumerate(pages, start=1)
        ]
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            self._forget(sha256)
            self._conn.executemany(
                "INSERT INTO doc_pages (sha256, page, text) VALUES (?, ?, ?)",
                [r for r in rows if r[2].strip()],
            )
            self._mark(sha256, "indexed", len(rows), "")
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")
        return len(rows)

    def skip_document(self, sha256: str, reason: str) -> None:
        """Record that a document cannot be searched, and why (it is not tried again)."""
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            self._forget(sha256)
            self._mark(sha256, "skipped", 0, reason)
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    def keep_only(self, hashes: Iterable[str]) -> int:
        """Forget every document not in ``hashes`` (a re-issued kit dropped it); how many."""
        keep = set(hashes)
        gone = [sha for sha in self.known() if sha not in keep]
        if not gone:
            return 0
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            for sha in gone:
                self._forget(sha)
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")
        return len(gone)

    def _forget(self, sha256: str) -> None:
        self._conn.execute("DELETE FROM doc_pages WHERE sha256 = ?", (sha256,))
        self._conn.execute("DELETE FROM doc_files WHERE sha256 = ?", (sha256,))

    def _mark(self, sha256: str, state: str, pages: int, reason: str) -> None:
        self._conn.execute(
            "INSERT INTO doc_files (sha256, state, pages, reason, indexed_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (sha256, state, pages, reason, datetime.now(UTC).isoformat(timespec="seconds")),
        )

    # -- reading ---------------------------------------------------------------------------------

    def known(self) -> dict[str, FileState]:
        """Every document indexed or skipped, by hash."""
        rows = self._conn.execute("SELECT sha256, state, pages, reason FROM doc_files")
        return {r[0]: FileState(r[0], r[1], r[2], r[3]) for r in rows}

    def search(self, text: str, *, limit: int = 100) -> list[PageHit]:
        """Pages matching every word of ``text`` (the last as a prefix), best first (bm25).
        Any input is safe; input with nothing to search for gives no hits. Snippets cost
        (~0.08 ms a page), and SQLite makes them only for the ``limit`` pages kept."""
        match = match_expression(text)
        if not match:
            return []
        rows = self._conn.execute(
            "SELECT sha256, page, snippet(doc_pages, 2, ?, ?, '…', ?), bm25(doc_pages) "
            "FROM doc_pages WHERE doc_pages MATCH ? ORDER BY rank LIMIT ?",
            (HIT_START, HIT_END, SNIPPET_TOKENS, match, int(limit)),
        )
        return [PageHit(r[0], int(r[1]), r[2], float(r[3])) for r in rows]

    def count(self, text: str) -> int:
        """How many pages match ``text`` (as ``search`` matches): cheap, no snippets."""
        match = match_expression(text)
        if not match:
            return 0
        row = self._conn.execute(
            "SELECT count(*) FROM doc_pages WHERE doc_pages MATCH ?", (match,)
        ).fetchone()
        return int(row[0])

    def page_text(self, sha256: str, page: int) -> str:
        row = self._conn.execute(
            "SELECT text FROM doc_pages WHERE sha256 = ? AND page = ?", (sha256, page)
        ).fetchone()
        return "" if row is None else str(row[0])


def index_path(visit_folder: Path) -> Path:
    return visit_folder / INDEX_FILE


def pending(documents: Sequence[str], known: Iterable[str]) -> list[str]:
    """The hashes of ``documents`` still to index, in order, each once."""
    done = set(known)
    return [sha for sha in dict.fromkeys(documents) if sha not in done]
