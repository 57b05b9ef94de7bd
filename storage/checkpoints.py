"""Folding a workspace's write-ahead log back into its file on a thread of its own.

SQLite's default is that the connection whose commit takes the log past 1,000 pages copies the
log into the database file there and then, and flushes the file to disk: that commit waits for
it. A bundle merged into the workspace writes ~1,000 pages, so every bundle of a merge paid a
checkpoint (a tenth of the merge), and one edit in a few hundred paid one (a long edit).

:class:`Checkpointer` does it off the committing thread instead: the workspace's connection has
``wal_autocheckpoint`` off, tells the checkpointer how many rows each transaction changed
(:meth:`Checkpointer.committed`), and once they add up to ``ROWS_PER_CHECKPOINT`` a thread of
its own runs ``PRAGMA wal_checkpoint(PASSIVE)`` on a second connection (opened with the same
key when first needed). PASSIVE never blocks a writer: commits go on appending to the log
meanwhile, and the next write after a complete checkpoint starts the log again from its
beginning. Crash safety is SQLite's: a kill at any moment leaves the log and the file as they
were or with more of the log copied, and the next open recovers from the log.

Imports nothing of ours but ``storage.encrypted_sqlite``.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from storage import encrypted_sqlite

log = logging.getLogger(__name__)

ROWS_PER_CHECKPOINT = 1_000
"""Rows changed (``total_changes``) between two checkpoints: about 300 edits, or any import of
a bundle or a kit. An edit changes ~3 rows on ~4 pages, so the log stays around 1,000 pages
(SQLite's own threshold) between checkpoints."""


class Checkpointer:
    """Runs the checkpoints of the database at ``path`` (key ``key``, pages of ``page_size``
    bytes) on its own thread."""

    def __init__(self, path: Path, key: bytes, page_size: int) -> None:
        self._path, self._key, self._page_size = path, key, page_size
        self._changes = 0
        self._wake = threading.Condition()
        self._due = False
        self._stopping = False
        self._thread: threading.Thread | None = None

    def committed(self, changes: int) -> None:
        """A transaction of ``changes`` rows committed: checkpoint once enough have added up.

        Cheap (a sum, and at most a notify): called after every commit, on the writer's thread.
        """
        self._changes += changes
        if self._changes < ROWS_PER_CHECKPOINT:
            return
        self._changes = 0
        with self._wake:
            if self._stopping:
                return
            self._due = True
            if self._thread is None or not self._thread.is_alive():  # (or ended by an error)
                self._thread = threading.Thread(
                    target=self._run, name="wal-checkpoint", daemon=True
                )
                self._thread.start()
            self._wake.notify()

    def close(self) -> None:
        """Finish the checkpoint running now, if any, and end the thread (its connection
        closed): the caller's own checkpoint then finds the log to itself."""
        with self._wake:
            self._stopping = True
            self._wake.notify()
            thread, self._thread = self._thread, None
        if thread is not None:
            thread.join()

    def _run(self) -> None:
        conn: Any = None
        try:
            while True:
                with self._wake:
                    while not self._due and not self._stopping:
                        self._wake.wait()
                    if self._stopping:
                        return
                    self._due = False
                if conn is None:
                    conn = encrypted_sqlite.connect(
                        self._path, self._key, page_size=self._page_size
                    )
                    conn.execute("PRAGMA wal_autocheckpoint = 0")
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except encrypted_sqlite.Error as exc:  # (the next one, or the close, folds the log)
            log.warning("checkpoint of %s failed: %s", self._path, exc)
        finally:
            if conn is not None:
                conn.close()
