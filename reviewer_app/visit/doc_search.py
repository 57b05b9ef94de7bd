"""Searching the text of every evidence document of the kit at once.

``DocumentIndex(folder, documents, blob_path, key=...)`` keeps the index of the visit's
documents (``storage.doc_index``: SQLite FTS5 in its own file beside the workspace, encrypted
with the visit's key like the workspace) up to date and answers searches. ``start()`` begins
indexing on a thread of its own, documents in kit order, skipping every document whose content
(its SHA-256) is already indexed: the reviewer works meanwhile, ``progress()`` says how far it
is ("Indexing documents… 12 of 200"), and a search made before it finishes says its results are
partial. Searches run on another thread, with their own connection (WAL lets them read while
the indexer writes), and come back as futures.

The text is read with pure Python (pypdf, python-docx) in a second process (``Reader``): pypdf
would otherwise hold the interpreter lock the window's thread needs, for minutes on a big kit.
The documents are sealed blobs: that process decrypts each in memory (``read_sealed``, given
the blob's path and the visit key through its pipe), so no plaintext copy is written to disk.

Nothing here imports Qt.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from reviewer_app.visit import doc_text
from reviewer_app.visit.read_model import KitDocument
from storage import OwnerThread
from storage.doc_index import HIT_END, HIT_START, DocIndex, index_path, pending

if TYPE_CHECKING:
    from concurrent.futures.process import ProcessPoolExecutor

__all__ = [
    "HIT_END",
    "HIT_START",
    "DocumentIndex",
    "DocumentMatches",
    "IndexProgress",
    "PageMatch",
    "SearchResults",
]

log = logging.getLogger(__name__)

MAX_HITS = 100  # pages with a snippet; more are counted ("100 of 257 pages shown")
READ_TIMEOUT_S = 120  # a document that takes longer to read is skipped (a hostile file)


@dataclass(frozen=True, slots=True)
class IndexProgress:
    """How far indexing is: documents done (indexed or skipped) of all, and which cannot be
    searched, with the reason."""

    done: int
    total: int
    finished: bool
    not_searchable: tuple[tuple[KitDocument, str], ...] = ()
    failed: str = ""  # the indexer stopped on an error of its own (a full disk...)

    def text(self) -> str:
        """A few words for the status bar ("" once every document is searchable)."""
        if self.failed:
            return "Document search is incomplete: indexing stopped"
        if not self.finished:
            return f"Indexing documents… {self.done} of {self.total}"
        if self.not_searchable:
            n = len(self.not_searchable)
            return f"{n} document{'' if n == 1 else 's'} not searchable"
        return ""

    def details(self) -> str:
        """The documents that cannot be searched, and why (a tooltip)."""
        lines = [f"{doc.title} ({doc.file}): {reason}" for doc, reason in self.not_searchable]
        return "Not searchable:\n" + "\n".join(lines) if lines else ""


@dataclass(frozen=True, slots=True)
class PageMatch:
    page: int  # 1-based
    marked: str  # the snippet, matched words between HIT_START and HIT_END

    @property
    def snippet(self) -> str:
        return self.marked.replace(HIT_START, "").replace(HIT_END, "")


@dataclass(frozen=True, slots=True)
class DocumentMatches:
    document: KitDocument
    pages: tuple[PageMatch, ...]  # in page order


@dataclass(frozen=True, slots=True)
class SearchResults:
    """What a search found: documents, best first, each with its matching pages in order."""

    query: str
    documents: tuple[DocumentMatches, ...]
    progress: IndexProgress
    total_pages: int = 0  # every page that matches (more than are shown when past MAX_HITS)

    @property
    def partial(self) -> bool:
        """Some documents were not indexed yet when it searched."""
        return not self.progress.finished or bool(self.progress.failed)

    @property
    def page_count(self) -> int:
        return sum(len(d.pages) for d in self.documents)

    def summary(self) -> str:
        """ "12 pages in 3 documents", and that results are partial while indexing."""
        pages, docs = self.page_count, len(self.documents)
        if not docs:
            found = "No documents match"
        else:
            found = (
                f"{pages} page{'' if pages == 1 else 's'} in "
                f"{docs} document{'' if docs == 1 else 's'}"
            )
        if self.total_pages > pages:
            found += f" ({pages} of {self.total_pages} pages shown: add a word to narrow it)"
        if self.partial:
            p = self.progress
            found += f" (partial: {p.done} of {p.total} documents indexed so far)"
        return found


class DocumentIndex:
    """The visit's document index: built in the background, searched on demand."""

    def __init__(
        self,
        visit_folder: Path,
        documents: Sequence[KitDocument],
        blob_path: Callable[[str], Path],
        *,
        key: bytes,
        in_process: bool = False,
    ) -> None:
        """``blob_path``: where a document's sealed blob is (``BlobStore.path``); ``key``: the
        visit's (it decrypts the blobs and encrypts the index). ``in_process``: read the
        documents in this process (tests that watch the reads)."""
        self.path = index_path(visit_folder)
        self._key = key
        self._text_reader = Reader(key, in_process=in_process)
        self._blob_path = blob_path
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._documents: list[KitDocument] = list(documents)
        self._done: set[str] = set()
        self._skipped: dict[str, str] = {}
        self._finished = False
        self._running = False  # an indexer thread is at work (or about to be)
        self._failed = ""
        self._indexer: threading.Thread | None = None
        self._reader: OwnerThread[DocIndex] | None = None
        self._finished_event = threading.Event()

    @property
    def documents(self) -> list[KitDocument]:
        with self._lock:
            return list(self._documents)

    def document_count(self) -> int:
        return len(self.documents)

    # -- indexing --------------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        """The visit was closed: nothing more is indexed or searched."""
        return self._stop.is_set()

    def start(self) -> None:
        """Open the index and start indexing what is not indexed yet (returns at once)."""
        if self._reader is not None or self.closed:
            return
        # The reader's thread opens (and creates) the file first, then starts the indexer:
        # two connections creating the schema at once would race.
        self._reader = OwnerThread(self._open_then_index, name="document-search")

    def _open_then_index(self) -> DocIndex:
        index = DocIndex.open(self.path, key=self._key)
        with self._lock:
            self._running = True
        self._indexer = threading.Thread(target=self._index, name="document-index", daemon=True)
        self._indexer.start()
        return index

    def update(self, documents: Sequence[KitDocument]) -> None:
        """A re-issued kit: index its new documents (the running indexer picks them up)."""
        with self._lock:
            self._documents = list(documents)
            self._finished = False
            self._finished_event.clear()
            restart = self._reader is not None and not self._running
            self._running = self._running or restart
        if restart:
            self._indexer = threading.Thread(target=self._index, name="document-index", daemon=True)
            self._indexer.start()

    def _index(self) -> None:
        index: DocIndex | None = None
        finished = False
        try:
            index = DocIndex.open(self.path, key=self._key)
            while not self._stop.is_set():
                with self._lock:
                    docs = list(self._documents)
                if not index_documents(index, docs, self._blob_path, self):
                    break  # stopped
                if self._finish(docs):
                    finished = True
                    break
        except Exception as exc:  # noqa: BLE001 - shown as "indexing stopped", logged once
            log.exception("indexing the documents stopped")
            with self._lock:
                self._failed = str(exc) or type(exc).__name__
        finally:
            if index is not None:
                index.close()
            if not finished:
                with self._lock:
                    self._running = False
            self._finished_event.set()

    # called by index_documents (on the indexer's thread)

    def _record(self, sha256: str, reason: str | None) -> None:
        with self._lock:
            self._done.add(sha256)
            if reason is not None:
                self._skipped[sha256] = reason

    def _known(self, known: dict[str, str | None]) -> None:
        with self._lock:
            self._done = set(known)
            self._skipped = {sha: r for sha, r in known.items() if r is not None}

    def _finish(self, docs: Sequence[KitDocument]) -> bool:
        """True when ``docs`` is still the kit's list (else index again: it changed)."""
        with self._lock:
            if [d.sha256 for d in docs] != [d.sha256 for d in self._documents]:
                return False
            self._finished = True
            self._running = False  # in the same breath: update() starts a new indexer now
            return True

    def stopping(self) -> bool:
        return self._stop.is_set()

    def read(self, path: Path, file_name: str) -> tuple[str, list[str] | str]:
        """One document's text (on the indexer's thread; see ``Reader``)."""
        return self._text_reader.read(path, file_name)

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until indexing is finished (tests, benchmarks); True if it is."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self._indexer is None:
            if deadline is not None and time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        left = None if deadline is None else max(0.0, deadline - time.monotonic())
        return self._finished_event.wait(left)

    def progress(self) -> IndexProgress:
        with self._lock:
            docs = self._documents
            hashes = set(d.sha256 for d in docs)
            done = len(hashes & self._done)
            seen: set[str] = set()
            skipped = []
            for d in docs:
                if d.sha256 in self._skipped and d.sha256 not in seen:
                    seen.add(d.sha256)
                    skipped.append((d, self._skipped[d.sha256]))
            return IndexProgress(
                done=done,
                total=len(hashes),
                finished=self._finished,
                not_searchable=tuple(skipped),
                failed=self._failed,
            )

    def close(self) -> None:
        """Stop indexing (what is done stays done) and close the index."""
        self._stop.set()
        self._text_reader.stop()
        if self._reader is not None:
            self._reader.close(timeout=5)
        if self._indexer is not None:
            self._indexer.join(timeout=10)

    # -- searching -------------------------------------------------------------------------------

    def search(self, text: str, limit: int = MAX_HITS) -> Future[SearchResults]:
        """Search every indexed document for ``text``, on the search thread (raises
        RuntimeError once the index is closed)."""
        self.start()
        if self._reader is None:
            raise RuntimeError("the document index is closed")
        return self._reader.submit(self._search, text, limit)

    def _search(self, index: DocIndex, text: str, limit: int) -> SearchResults:
        progress = self.progress()  # before the query: "partial" errs on the safe side
        hits = index.search(text, limit=limit)
        by_sha: dict[str, KitDocument] = {}
        for d in self.documents:
            by_sha.setdefault(d.sha256, d)
        grouped: dict[str, list[PageMatch]] = {}
        for hit in hits:  # best first: the documents keep the order of their best page
            if hit.sha256 in by_sha:
                grouped.setdefault(hit.sha256, []).append(PageMatch(hit.page, hit.snippet))
        documents = tuple(
            DocumentMatches(by_sha[sha], tuple(sorted(pages, key=lambda p: p.page)))
            for sha, pages in grouped.items()
        )
        total = index.count(text) if len(hits) >= limit else len(hits)
        return SearchResults(text, documents, progress, total)


def index_documents(
    index: DocIndex,
    documents: Sequence[KitDocument],
    blob_path: Callable[[str], Path],
    owner: DocumentIndex,
) -> bool:
    """Index every document of ``documents`` not indexed yet; False when stopped part way.

    Each document is read, then written in one transaction, so stopping (or a crash) at any
    point loses at most the document being read."""
    index.keep_only(d.sha256 for d in documents)
    known = index.known()
    owner._known({sha: (s.reason if s.state == "skipped" else None) for sha, s in known.items()})
    names: dict[str, str] = {}
    for d in documents:
        names.setdefault(d.sha256, d.file)
    for sha in pending([d.sha256 for d in documents], known):
        if owner.stopping():
            return False
        reason = index_one(
            index, sha, names[sha], blob_path(sha), read=owner.read, stopping=owner.stopping
        )
        if reason == _STOPPED:
            return False
        owner._record(sha, reason)
    return True


_STOPPED = "\x00stopped"


def index_one(
    index: DocIndex,
    sha256: str,
    file_name: str,
    path: Path,
    *,
    read: Callable[[Path, str], tuple[str, list[str] | str]],
    stopping: Callable[[], bool],
) -> str | None:
    """Read one document and store its text; the reason it is not searchable, or None."""
    kind, found = read(path, file_name)
    if stopping():
        return _STOPPED  # closing: what was read is not stored, and is read again next time
    if kind == "pages":
        index.add_document(sha256, found)
        return None
    if kind == "missing":
        # Not recorded in the index: opening the kit again restores the file, and it is read then.
        reason = "it is missing from the workspace"
    else:
        reason = str(found)
        index.skip_document(sha256, reason)
    # A property of the document, shown beside it in the viewer: a line in the log, no warning
    # (a provider's pack of 200 scanned PDFs is not 200 problems of the app's).
    log.info("%s is not searchable: %s", file_name, reason)
    return reason


def read_sealed(path: Path, key: bytes, file_name: str) -> tuple[str, list[str] | str]:
    """``doc_text.read`` of the sealed blob at ``path``, decrypted with ``key`` as it is read
    (in memory: nothing decrypted is written to disk)."""
    from storage import blob_crypto  # noqa: PLC0415 (in the reading process)

    try:
        with blob_crypto.open_decrypted(path, key) as source:
            return doc_text.read(source, file_name)
    except FileNotFoundError:
        return "missing", ""
    except blob_crypto.BlobCryptoError as exc:
        return "skipped", str(exc)


class Reader:
    """Reads documents' text in a second process (``spawn``: safe beside Qt's threads), so
    the window's thread never waits for the interpreter while pypdf works, and a file that
    crashes or hangs pypdf costs only that process. Reads here when no process can be started.
    ``key`` decrypts the documents (``read_sealed``).
    """

    def __init__(self, key: bytes, *, in_process: bool = False) -> None:
        self.in_process = in_process
        self._key = key
        self._pool: ProcessPoolExecutor | None = None

    def read(self, path: Path, file_name: str) -> tuple[str, list[str] | str]:
        if self.in_process:
            return read_sealed(path, self._key, file_name)
        # Imported here, on the indexer's thread: multiprocessing costs the window's thread
        # some 30 ms when the index is made.
        from concurrent.futures.process import BrokenProcessPool  # noqa: PLC0415

        from sync.processes import single_worker_pool  # noqa: PLC0415

        try:
            if self._pool is None:
                self._pool = single_worker_pool()
            future = self._pool.submit(read_sealed, path, self._key, file_name)
        except (OSError, RuntimeError, BrokenProcessPool) as exc:
            log.warning("reading documents in this process: %s", exc)
            self.in_process = True
            return read_sealed(path, self._key, file_name)
        try:
            return future.result(timeout=READ_TIMEOUT_S)
        except TimeoutError:
            self.stop()
            return "skipped", f"it took more than {READ_TIMEOUT_S} seconds to read"
        except (BrokenProcessPool, OSError, EOFError) as exc:
            log.warning("reading %s stopped its process: %s", file_name, exc)
            self.stop()
            return "skipped", "reading it stopped the program that reads documents"

    def stop(self) -> None:
        """End the reading process now (even part way through a file)."""
        pool, self._pool = self._pool, None
        if pool is None:
            return
        # The pool has no public way to end a worker that is busy; a hung or unwanted read
        # must not keep the app (or its exit) waiting.
        for process in list(getattr(pool, "_processes", {}).values()):
            with contextlib.suppress(Exception):
                process.terminate()
        pool.shutdown(wait=False, cancel_futures=True)
