"""A full disk is said as such (issue 13, item 4): what the user reads, wherever it surfaced."""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

import pytest

from reviewer_app.app.disk import MB, DiskFull, disk_full_in, ensure_space

SENTENCE = "; nothing you saved is lost. Free some space and go on."


def test_the_sentence_says_how_much_is_free_and_that_nothing_is_lost() -> None:
    assert str(DiskFull(3 * MB + 5)) == "The disk is full (3 MB free)" + SENTENCE
    assert str(DiskFull(None)) == "The disk is full" + SENTENCE


@pytest.mark.parametrize(
    "raised",
    [
        OSError(errno.ENOSPC, "No space left on device"),
        sqlite3.OperationalError("database or disk is full"),
    ],
    ids=["oserror", "sqlite"],
)
def test_a_full_disk_is_found_however_deep_in_the_chain(raised: Exception, tmp_path: Path) -> None:
    try:
        try:
            raise raised
        except Exception as inner:
            raise RuntimeError("the storage worker failed") from inner
    except RuntimeError as outer:
        found = disk_full_in(outer, tmp_path)
    assert isinstance(found, DiskFull) and str(found).endswith(SENTENCE)


def test_other_errors_are_not_a_full_disk(tmp_path: Path) -> None:
    assert disk_full_in(OSError(errno.EACCES, "Permission denied"), tmp_path) is None
    assert disk_full_in(sqlite3.OperationalError("no such table: x"), tmp_path) is None
    # "disk I/O error" is a full disk only when the disk is nearly full; this one is not.
    assert disk_full_in(sqlite3.OperationalError("disk I/O error"), tmp_path) is None


def test_ensure_space_refuses_before_the_work_starts(tmp_path: Path) -> None:
    ensure_space(tmp_path, 1)
    with pytest.raises(DiskFull, match="The disk is full"):
        ensure_space(tmp_path, 1 << 60)
