"""Reading a visit's bundles one after another, the next in a second process.

:func:`read_each` reads each file with a :class:`BundleReader` (what :func:`read_bundle` needs,
as plain data, so that it can be pickled): while the caller imports one bundle, the next is read
in a spawned process. The verified bundle comes back pickled (its manifest's read-only mappings
as copies: see :mod:`sync.bundle_format`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import TypeAlias

from storage import Workspace
from storage.attachments import BlobStore
from sync.bundle_format import FORMAT_LIMITS, BundleRefused, OpLimits
from sync.bundle_import import imported_ops
from sync.bundle_reader import VerifiedBundle, read_bundle
from sync.processes import single_worker_pool

__all__ = [
    "READ_AHEAD_FROM_BYTES",
    "READ_AHEAD_FROM_SECONDS",
    "BundleReader",
    "read_each",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BundleReader:
    """What reading a visit's bundles needs, as data (:func:`read_bundle` with these choices):
    plain values, so that a second process can read with it (see :func:`read_each`)."""

    visit_id: str
    team_key: bytes
    staging_root: Path
    blobs: BlobStore | None = None
    """The visit's blob store: blobs are sealed into it as they are read (a second process
    can: it holds the key), and those it holds are neither unpacked nor checked."""
    known: frozenset[str] = frozenset()
    """Hashes of ``ops.jsonl`` files imported in full before
    (:func:`sync.bundle_import.known_ops_in`)."""
    limits: OpLimits = FORMAT_LIMITS

    @classmethod
    def for_workspace(  # noqa: PLR0913 (the reader's choices)
        cls,
        ws: Workspace,
        *,
        visit_id: str,
        team_key: bytes,
        staging_root: Path,
        limits: OpLimits = FORMAT_LIMITS,
    ) -> BundleReader:
        return cls(visit_id, team_key, staging_root, ws.blobs, frozenset(imported_ops(ws)), limits)

    def __call__(self, path: Path) -> VerifiedBundle:
        return read_bundle(
            path,
            visit_id=self.visit_id,
            team_key=self.team_key,
            staging_root=self.staging_root,
            have_blob=None if self.blobs is None else self.blobs.has,
            known_ops=self.known.__contains__,
            limits=self.limits,
            blobs=self.blobs,
        )


ReadOutcome: TypeAlias = "VerifiedBundle | BundleRefused"
READ_AHEAD_FROM_SECONDS = 0.5
"""Read the next bundles in a second process when reading them here would take this long
(the variable ``REVIEWER_APP_READ_AHEAD_FROM_SECONDS`` sets it for one run: the one-folder
bundle's check sets 0, to prove the process starts there)."""


READ_AHEAD_FROM_BYTES = 8_000_000
"""... or, before any bundle of the visit was imported, when the rest hold this many bytes: a
bundle is read at ~10 MB/s here, so they take longer than the process takes to start."""


def _read_ahead_from() -> float:
    try:
        return float(os.environ["REVIEWER_APP_READ_AHEAD_FROM_SECONDS"])
    except (KeyError, ValueError):
        return READ_AHEAD_FROM_SECONDS


def read_each(
    files: Sequence[Path], read: Callable[[Path], VerifiedBundle]
) -> Generator[tuple[Path, ReadOutcome], None, None]:
    """``(file, read(file))`` for each file in turn, the bundle cleaned up once the caller is
    done with it. A refused file comes as its :class:`BundleRefused`; any other error is
    raised.

    With a :class:`BundleReader` and several files, the next file is read in a second process
    while the caller imports this one: reading (decrypting, hashing, checking seals, parsing)
    is Python's work under the GIL, so a thread cannot overlap it with the import, but a
    second core can. One file is read ahead, no more (a bundle's ops are held in memory until
    imported), and only when reading the rest here would take a while (``READ_AHEAD_FROM_SECONDS``,
    judged by the first file; or ``READ_AHEAD_FROM_BYTES`` when none of the visit's bundles was
    imported before, judged by their sizes: the process then starts while the first file is
    read). Should the second process fail to start or die, the files are read here.
    """
    if not files:
        return
    if isinstance(read, BundleReader) and _worth_starting_first(read, files):
        # The process starts (a quarter of a second, more on a busy laptop) while the first
        # file is read here, instead of after it.
        yield from _read_ahead(files, read, None)
        return
    started = time.perf_counter()
    first = _outcome(read, files[0])
    # Starting a process costs about a quarter of a second: worth it when reading the rest
    # here would take longer (not when they were all imported before, and read in a moment).
    rest = (time.perf_counter() - started) * (len(files) - 1)
    if not isinstance(read, BundleReader) or rest < _read_ahead_from():
        yield from _handed_over(files[0], first)
        for file in files[1:]:
            yield from _handed_over(file, _outcome(read, file))
        return
    yield from _read_ahead(files, read, first)


def _worth_starting_first(read: BundleReader, files: Sequence[Path]) -> bool:
    """Whether reading the rest is sure to take a while, so the second process should start
    before the first file is read: nothing was imported before (every file's ops are new:
    each is parsed and checked whole), and the rest are big."""
    if read.known or len(files) < 2:  # noqa: PLR2004 (a second file to read ahead)
        return False
    rest = 0
    for file in files[1:]:
        with contextlib.suppress(OSError):  # (a missing file is refused when it is read)
            rest += file.stat().st_size
    return rest >= READ_AHEAD_FROM_BYTES


def _read_ahead(
    files: Sequence[Path], read: BundleReader, first: ReadOutcome | None
) -> Generator[tuple[Path, ReadOutcome], None, None]:
    """Every file's outcome, the next read in a second process; ``first``: the first file's,
    when it was read here already."""
    log.info("reading %d bundles ahead in a second process", len(files) - 1)
    with _ReadAhead(read) as ahead:
        ahead.submit(files[1])
        if first is None:
            first = _outcome(read, files[0])
        yield from _handed_over(files[0], first)
        for i, file in enumerate(files[1:], start=1):
            result = ahead.take(file)
            if i + 1 < len(files):
                ahead.submit(files[i + 1])
            yield from _handed_over(file, result)


def _outcome(read: Callable[[Path], VerifiedBundle], file: Path) -> ReadOutcome:
    try:
        return read(file)
    except BundleRefused as exc:
        return exc


def _handed_over(file: Path, result: ReadOutcome) -> Iterator[tuple[Path, ReadOutcome]]:
    try:
        yield file, result
    finally:
        if isinstance(result, VerifiedBundle):
            result.cleanup()


class _ReadAhead:
    """One file read ahead in a second process (``spawn``: safe beside Qt's threads)."""

    def __init__(self, read: BundleReader) -> None:
        self.read = read
        self.pool: ProcessPoolExecutor | None = None
        self.pending: Future[ReadOutcome] | None = None

    def __enter__(self) -> _ReadAhead:
        return self

    def submit(self, file: Path) -> None:
        try:
            if self.pool is None:
                self.pool = single_worker_pool()
            self.pending = self.pool.submit(_outcome, self.read, file)
        except (OSError, RuntimeError, BrokenProcessPool) as exc:  # (cannot start one here)
            log.warning("reading bundles in this process: %s", exc)
            self.pending = None

    def take(self, file: Path) -> ReadOutcome:
        """The outcome for ``file``, read ahead, or here if that could not be done."""
        pending, self.pending = self.pending, None
        if pending is not None:
            try:
                return pending.result()
            except (BrokenProcessPool, OSError, EOFError) as exc:
                log.warning("the reading process stopped (%s): reading %s here", exc, file.name)
                self._stop()
        return _outcome(self.read, file)

    def _stop(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None

    def __exit__(self, *exc: object) -> None:
        """Stopped early (an error, or the caller closed the generator): what was read ahead
        is cleaned up, and the process ends."""
        pending, self.pending = self.pending, None
        self._stop()
        if pending is not None and pending.done() and not pending.cancelled():
            with contextlib.suppress(Exception):
                result = pending.result()
                if isinstance(result, VerifiedBundle):
                    result.cleanup()
