"""``storage.files``: a file written with ``write_atomic`` or ``replacing`` is the old one or the
new one, never part of either, and the rename is made durable (the folder is flushed)."""

from __future__ import annotations

import errno
import os
import signal
import stat
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import BinaryIO

import pytest

from storage.files import replacing, temp_leftovers, write_atomic

OLD = b"the old settings, whole\n" * 100


def _others(folder: Path, keep: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p != keep)


def test_bytes_replace_the_file_and_leave_nothing_beside_it(tmp_path: Path) -> None:
    target = tmp_path / "settings.json"
    target.write_bytes(OLD)
    assert write_atomic(target, b"new") == target
    assert target.read_bytes() == b"new"
    assert _others(tmp_path, target) == []


def test_a_function_writes_to_the_open_file(tmp_path: Path) -> None:
    target = tmp_path / "report.bin"

    def write(f: BinaryIO) -> None:
        for n in range(3):
            f.write(f"part {n}\n".encode())

    write_atomic(target, write)
    assert target.read_text() == "part 0\npart 1\npart 2\n"


def test_a_write_that_fails_before_the_rename_leaves_the_old_file_whole(tmp_path: Path) -> None:
    target = tmp_path / "settings.json"
    target.write_bytes(OLD)

    def half_then_fail(f: BinaryIO) -> None:
        f.write(b"half of the new")
        raise OSError(errno.EIO, "the stick was pulled out")

    with pytest.raises(OSError, match="stick"):
        write_atomic(target, half_then_fail)
    assert target.read_bytes() == OLD
    assert _others(tmp_path, target) == []


def test_a_full_disk_when_flushing_leaves_the_old_file_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "settings.json"
    target.write_bytes(OLD)

    def no_space(_fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", no_space)
    with pytest.raises(OSError, match="No space"):
        write_atomic(target, b"new")
    monkeypatch.undo()
    assert target.read_bytes() == OLD
    assert _others(tmp_path, target) == []


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="SIGKILL needs a POSIX system")
def test_a_kill_before_the_rename_leaves_the_old_file_and_the_next_write_cleans_up(
    tmp_path: Path,
) -> None:
    """A real process is killed while it writes; the temporary file it leaves under a named
    ``temp`` (a report's ``.part``) is written over and gone after the next write."""
    target = tmp_path / "report.pdf"
    target.write_bytes(OLD)
    part = tmp_path / ".report.pdf.part"
    child = textwrap.dedent(
        f"""
        import sys, time
        from pathlib import Path
        from storage.files import write_atomic

        def write(f):
            f.write(b"%PDF- half of a report")
            f.flush()
            print("writing", flush=True)
            time.sleep(60)

        write_atomic(Path({str(target)!r}), write, temp=Path({str(part)!r}))
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", child], stdout=subprocess.PIPE)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline() == b"writing\n"
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
    assert target.read_bytes() == OLD
    assert part.exists()  # what the kill left
    write_atomic(target, b"%PDF- a whole report", temp=part)
    assert target.read_bytes() == b"%PDF- a whole report"
    assert _others(tmp_path, target) == []


@pytest.mark.skipif(os.name != "posix", reason="folders are flushed on POSIX only")
def test_the_file_is_flushed_before_the_rename_and_the_folder_after_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What each fsync flushed, and what the target held at that moment."""
    target = tmp_path / "device_id"
    target.write_bytes(b"old")
    real_fsync = os.fsync
    seen: list[tuple[str, bytes]] = []

    def watching(fd: int) -> None:
        st = os.fstat(fd)
        kind = "folder" if stat.S_ISDIR(st.st_mode) else "file"
        if kind == "folder":
            assert (st.st_dev, st.st_ino) == (tmp_path.stat().st_dev, tmp_path.stat().st_ino)
        seen.append((kind, target.read_bytes()))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", watching)
    write_atomic(target, b"new")
    assert seen == [("file", b"old"), ("folder", b"new")]


def test_permissions_are_the_callers(tmp_path: Path) -> None:
    target = tmp_path / "settings.json"
    write_atomic(target, b"{}", mode=0o600)
    if os.name == "posix":
        assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_exclusive_never_replaces_what_another_process_made(tmp_path: Path) -> None:
    key = tmp_path / "device_key.pem"
    write_atomic(key, b"first", exclusive=True)
    with pytest.raises(FileExistsError):
        write_atomic(key, b"second", exclusive=True)
    assert key.read_bytes() == b"first"
    assert _others(tmp_path, key) == []


def test_a_writer_by_name_that_fails_leaves_the_old_file_and_no_journal(tmp_path: Path) -> None:
    import sqlite3  # noqa: PLC0415

    target = tmp_path / "backup.sqlite"
    target.write_bytes(OLD)
    with (
        pytest.raises(sqlite3.OperationalError),
        replacing(target, temp=tmp_path / ".backup.sqlite.tmp", leftovers=("-journal",)) as tmp,
    ):
        conn = sqlite3.connect(tmp)
        conn.execute("BEGIN")
        conn.execute("CREATE TABLE t (x)")
        conn.execute("INSERT INTO t VALUES (1)")  # a journal now sits beside it
        assert Path(f"{tmp}-journal").exists()
        try:
            conn.execute("INSERT INTO nowhere VALUES (1)")
        finally:
            conn.close()
    assert target.read_bytes() == OLD
    assert _others(tmp_path, target) == []


def test_a_writer_by_name_replaces_the_file_when_it_succeeds(tmp_path: Path) -> None:
    target = tmp_path / "kit.rvkit"
    target.write_bytes(OLD)
    with replacing(target) as tmp:
        assert tmp.parent == tmp_path and tmp.name.startswith(".kit.rvkit.")
        tmp.write_bytes(b"a whole kit")
    assert target.read_bytes() == b"a whole kit"
    assert _others(tmp_path, target) == []


def test_the_leftovers_of_a_killed_write_are_found_and_no_others(tmp_path: Path) -> None:
    target = tmp_path / "visit-key.json"

    def killed(f: BinaryIO) -> None:
        f.write(b'{"format": ')
        raise KeyboardInterrupt  # stands for the kill: the temporary file is removed...

    with pytest.raises(KeyboardInterrupt):
        write_atomic(target, killed)
    assert temp_leftovers(target) == []  # ...when the writer lives to remove it
    leftover = tmp_path / ".visit-key.json.0badf00d.tmp"  # what a kill -9 leaves instead
    leftover.write_bytes(b'{"format": ')
    (tmp_path / ".visit-key.json.bak").write_bytes(b"")
    (tmp_path / ".other.json.0badf00d.tmp").write_bytes(b"")
    write_atomic(tmp_path / "[odd].json", b"{}")
    (tmp_path / ".[odd].json.12345678.tmp").write_bytes(b"")
    assert temp_leftovers(target) == [leftover]
    assert temp_leftovers(tmp_path / "[odd].json") == [tmp_path / ".[odd].json.12345678.tmp"]
