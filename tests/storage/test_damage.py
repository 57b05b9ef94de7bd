"""A damaged workspace file always ends as ``WorkspaceDamaged`` (which names the backups to
restore from), or opens and reads correctly: never SQLite's or Python's own error.

The damage is real: bytes flipped inside the file's pages and its first page, a file cut
short, a database copied without its write-ahead log after a crash. The file is encrypted
(SQLCipher: each page carries its own HMAC), so a flipped byte makes its whole page unreadable;
text that decrypts but is not UTF-8, or JSON that does not parse (a writer's fault, not the
disk's), is written through SQL.
"""

from __future__ import annotations

import random
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from storage import StorageWorker, Workspace, WorkspaceDamaged, encrypted_sqlite, list_backups
from tests.keys import TEST_KEY
from tests.storage.conftest import sample_kit

MARK = "Rota-gap-seen-on-ward-7"
PAGE = 4096


def _make(path: Path, *, backups: int = 2, judgements: int = 40) -> None:
    """A workspace with a kit and judgements whose reasons hold MARK, and some backups."""
    for round_ in range(backups):
        with Workspace.open(path, key=TEST_KEY, device_id="d", create=True) as ws:
            if round_ == 0:
                ws.load_kit(**sample_kit(n=20))  # type: ignore[arg-type]
            for i in range(judgements):
                reason = f"{MARK} {round_}-{i} " + "the rota had gaps on nights " * 3
                ws.record("m", "judgement", f'["T-10{i % 3}","ED","m{i}"]', {"reason": reason})
            ws.backup()


def _read_everything(ws: Workspace) -> None:
    """Everything the app reads from a workspace."""
    ws.kit_info()
    ws.sections()
    ws.standards()
    ws.self_assessment()
    ws.evidence_index()
    ws.get_local("member_id")
    for kind in ("judgement", "note"):
        ws.entities(kind)
    list(ws.ops())
    ws.conflicts()
    ws.canonical_state()
    ws.snapshots()


def _outcome(path: Path) -> str:
    """ "ok" when the workspace opens and reads, else the WorkspaceDamaged message; any other
    exception fails the test."""
    try:
        with Workspace.open(path, key=TEST_KEY, device_id="d") as ws:
            _read_everything(ws)
    except WorkspaceDamaged as exc:
        assert exc.backups == list_backups(path)
        return str(exc)
    return "ok"


def _worker_outcome(path: Path) -> str:
    """The same through the storage worker the window uses: jobs fail only as damage."""
    worker = StorageWorker(lambda: Workspace.open(path, key=TEST_KEY, device_id="d", backup=False))
    try:
        worker.submit(_read_everything).result(timeout=60)
    except WorkspaceDamaged as exc:
        return str(exc)
    finally:
        worker.close()
    return "ok"


_REASON = "entity = 'judgement' AND entity_id = ? AND field = 'reason'"


def _reason_rows(path: Path) -> list[str]:
    """The judgements whose reason is set, in order."""
    conn = encrypted_sqlite.connect(path, TEST_KEY)
    try:
        rows = conn.execute(
            "SELECT entity_id FROM field_state WHERE field = 'reason' ORDER BY entity_id"
        ).fetchall()
    finally:
        conn.close()
    return [str(r[0]) for r in rows]


def _rewrite_values(path: Path, judgements: list[str], change: Callable[[bytes], bytes]) -> None:
    """Replace the stored bytes of those reasons with ``change(bytes)``, as text."""
    conn = encrypted_sqlite.connect(path, TEST_KEY)
    try:
        for entity_id in judgements:
            (raw,) = conn.execute(
                f"SELECT CAST(value AS BLOB) FROM field_state WHERE {_REASON}", (entity_id,)
            ).fetchone()
            conn.execute(
                f"UPDATE field_state SET value = CAST(? AS TEXT) WHERE {_REASON}",
                (change(bytes(raw)), entity_id),
            )
    finally:
        conn.close()


def _pages(path: Path) -> int:
    return path.stat().st_size // PAGE


def _flip(path: Path, offsets: list[int], value: int | None = None, seed: int = 0) -> None:
    rng = random.Random(seed)
    with open(path, "r+b") as f:
        for offset in offsets:
            f.seek(offset)
            old = f.read(1)[0]
            f.seek(offset)
            f.write(bytes([value if value is not None else old ^ (1 << rng.randrange(8))]))


def _assert_damaged_message(message: str, path: Path) -> None:
    assert message.startswith(f"The visit workspace {path} is damaged (")
    assert "Traceback" not in message
    backups = list_backups(path)
    assert backups and str(backups[0]) in message and "Restore the newest backup" in message


@pytest.fixture
def made(tmp_path: Path) -> Path:
    path = tmp_path / "v" / "workspace.sqlite"
    _make(path)
    assert MARK.encode() not in path.read_bytes(), "the judgements' text is encrypted"
    return path


@pytest.mark.parametrize("which", ["first", "last", "every"])
def test_a_byte_that_is_not_text_inside_a_judgements_reason_is_damage(
    made: Path, which: str
) -> None:
    rows = _reason_rows(made)
    chosen = {"first": rows[:1], "last": rows[-1:], "every": rows}[which]
    _rewrite_values(made, chosen, lambda raw: raw[:4] + b"\xff" + raw[5:])  # never in UTF-8
    backups = list_backups(made)
    message = _outcome(made)
    _assert_damaged_message(message, made)
    assert "some of the text in it cannot be read" in message
    assert _worker_outcome(made) != "ok"
    assert list_backups(made) == backups  # no backup of the damaged file


def test_a_broken_quote_inside_a_stored_value_is_damage(made: Path) -> None:
    """A judgement's value is JSON: a flipped quote mark makes it unreadable JSON."""
    _rewrite_values(made, _reason_rows(made)[:1], lambda raw: b"{" + raw[1:])  # its quote
    message = _outcome(made)
    _assert_damaged_message(message, made)
    assert "a value stored in it cannot be read" in message or "text" in message


@pytest.mark.parametrize("seed", range(12))
def test_random_bit_flips_in_the_page_of_a_judgement_never_raise_a_raw_error(
    made: Path, seed: int
) -> None:
    """One bit, a few bits or many bits of one page (not the first): damage or a clean open."""
    rng = random.Random(seed)
    page_start = rng.randrange(1, _pages(made)) * PAGE
    count = [1, 8, 64, 600][seed % 4]
    offsets = [page_start + rng.randrange(PAGE) for _ in range(count)]
    _flip(made, offsets, seed=seed)
    outcome = _outcome(made)
    if outcome != "ok":
        _assert_damaged_message(outcome, made)
    worker = _worker_outcome(made)
    assert worker == "ok" or worker.startswith(f"The visit workspace {made} is damaged (")


def test_many_flipped_bytes_that_quick_check_quotes_are_reported_not_raised(made: Path) -> None:
    """quick_check's own report quotes the damaged bytes; reading it must not fail."""
    size = made.stat().st_size
    rng = random.Random(7)
    offsets = [rng.randrange(PAGE, size) for _ in range(size // 40)]
    _flip(made, offsets, value=0xFF)
    message = _outcome(made)
    _assert_damaged_message(message, made)


@pytest.mark.parametrize("name", [b"ops_unsealed", b"field_state", b"kit_standards"])
def test_a_damaged_name_in_the_schema_is_reported_though_sqlite_quotes_it(
    made: Path, name: bytes
) -> None:
    """SQLite's error quotes the damaged name, bytes that are not UTF-8: Python's sqlite3 then
    raises UnicodeDecodeError from quick_check itself."""
    conn = encrypted_sqlite.connect(made, TEST_KEY)
    try:
        (sql,) = conn.execute(
            "SELECT sql FROM sqlite_schema WHERE name = ?", (name.decode(),)
        ).fetchone()
        raw = bytearray(str(sql).encode())
        raw[len(b"CREATE TABLE ") + 2] = 0xFF
        conn.execute("PRAGMA writable_schema = ON")
        conn.execute(
            "UPDATE sqlite_schema SET sql = CAST(? AS TEXT) WHERE name = ?",
            (bytes(raw), name.decode()),
        )
    finally:
        conn.close()
    message = _outcome(made)
    _assert_damaged_message(message, made)
    assert _worker_outcome(made) != "ok"


@pytest.mark.parametrize("where", [range(0, 16), range(16, 24), range(28, 32), range(95, 100)])
def test_damage_in_the_header_is_reported(made: Path, where: range) -> None:
    _flip(made, list(where), value=0xA5)
    outcome = _outcome(made)
    if outcome != "ok":
        _assert_damaged_message(outcome, made)


def test_the_magic_header_overwritten_says_it_is_not_a_database(made: Path) -> None:
    _flip(made, list(range(16)), value=0x20)
    message = _outcome(made)
    _assert_damaged_message(message, made)
    assert "not a database file any more" in message


@pytest.mark.parametrize("keep", [0.1, 0.5, 0.9, 0.999])
def test_a_file_cut_short_is_damage(made: Path, keep: float) -> None:
    size = made.stat().st_size
    with open(made, "r+b") as f:
        f.truncate(int(size * keep))
    message = _outcome(made)
    _assert_damaged_message(message, made)
    assert _worker_outcome(made) != "ok"


def _crash_copy(source: Path, copy: Path, between: Callable[[sqlite3.Connection], None]) -> None:
    """Copy ``source`` without its -wal while a writer holds committed, not yet checkpointed
    work (and, from ``between``, an open transaction): what a crash plus a lost -wal leaves."""
    writer = encrypted_sqlite.connect(source, TEST_KEY)
    writer.execute("PRAGMA wal_autocheckpoint = 0")
    try:
        writer.execute("BEGIN IMMEDIATE")
        for i in range(200):
            writer.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?)",
                (f"pending-{i}", '"' + "p" * 300 + '"'),
            )
        writer.execute("COMMIT")
        between(writer)
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, copy)
        shutil.copytree(source.parent / "backups", copy.parent / "backups")
    finally:
        if writer.in_transaction:
            writer.execute("ROLLBACK")
        writer.close()


def _uncommitted(writer: sqlite3.Connection) -> None:
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE meta SET value = '\"changed\"' WHERE key LIKE 'pending-%'")


def _partly_checkpointed(writer: sqlite3.Connection) -> None:
    """Some of the log's pages copied into the file and not the rest (a torn checkpoint)."""
    db = Path(writer.execute("PRAGMA database_list").fetchone()[2])
    before = db.read_bytes()
    writer.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    after = db.read_bytes()
    torn = bytearray(before + after[len(before) :])
    for start in range(0, min(len(before), len(after)), 2 * PAGE):
        torn[start : start + PAGE] = after[start : start + PAGE]
    db.write_bytes(bytes(torn))


@pytest.mark.parametrize("between", [lambda _w: None, _uncommitted, _partly_checkpointed])
def test_a_copy_without_its_write_ahead_log_opens_or_is_damage(
    made: Path, tmp_path: Path, between: Callable[[sqlite3.Connection], None]
) -> None:
    copy = tmp_path / "copied" / "workspace.sqlite"
    _crash_copy(made, copy, between)
    assert not Path(f"{copy}-wal").exists()
    outcome = _outcome(copy)
    if outcome != "ok":
        _assert_damaged_message(outcome, copy)
    worker = _worker_outcome(copy)
    assert worker == "ok" or worker.startswith(f"The visit workspace {copy} is damaged (")


def test_a_copy_without_its_log_keeps_what_was_checkpointed(made: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copied" / "workspace.sqlite"
    _crash_copy(made, copy, lambda _w: None)
    assert _outcome(copy) == "ok"
    with Workspace.open(copy, key=TEST_KEY, device_id="d") as ws:
        assert len(ws.entities("judgement")) == 40  # every judgement from before the crash
