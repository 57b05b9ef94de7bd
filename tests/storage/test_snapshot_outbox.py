"""A finalised snapshot and its outbox item are written together, or not at all; a snapshot an
older app left without one is queued when the workspace is opened."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage import SnapshotRow, Workspace, encrypted_sqlite
from storage import snapshots as snapshot_rows
from tests.keys import TEST_KEY


def row(version: int = 1, supersedes: str | None = None, sid: str | None = None) -> SnapshotRow:
    return SnapshotRow(
        snapshot_id=sid or f"snap-{version}",
        version=version,
        supersedes=supersedes,
        content_sha256="ab" * 32,
        findings_json=b'{"visit":{"visit_id":"v"}}',
        report_sha256=None,
        signed_off_by="m-lead",
        signed_off_at="2026-12-03T17:00:00+00:00",
        created_at="2026-12-03T17:00:01+00:00",
    )


def open_ws(path: Path) -> Workspace:
    return Workspace.open(path, key=TEST_KEY, device_id="d", create=True, backup=False)


def test_a_snapshot_is_stored_with_its_outbox_item(tmp_path: Path) -> None:
    with open_ws(tmp_path / "workspace.sqlite") as ws:
        ws.add_snapshot(row())
        [item] = ws.snapshot_outbox()
        assert (item.snapshot_id, item.version, item.origin) == ("snap-1", 1, "finalised")
        assert item.handed_over_at is None
        assert [e.snapshot_id for e in ws.snapshot_outbox(pending=True)] == ["snap-1"]
        ws.mark_handed_over("snap-1")
        first = ws.snapshot_outbox()[0].handed_over_at
        assert first is not None and ws.snapshot_outbox(pending=True) == []
        ws.mark_handed_over("snap-1")  # a repeat keeps the first time
        assert ws.snapshot_outbox()[0].handed_over_at == first


def test_a_failure_inside_the_transaction_leaves_neither(tmp_path: Path) -> None:
    def crash() -> None:
        raise RuntimeError("killed")

    with open_ws(tmp_path / "workspace.sqlite") as ws:
        with pytest.raises(RuntimeError):
            ws.add_snapshot(row(), before_commit=crash)
        assert ws.snapshots() == [] and ws.snapshot_outbox() == []
        ws.add_snapshot(row())  # version 1 is still free
        assert [s.version for s in ws.snapshots()] == [1]


def test_an_outbox_item_is_never_deleted(tmp_path: Path) -> None:
    path = tmp_path / "workspace.sqlite"
    with open_ws(path) as ws:
        ws.add_snapshot(row())
    conn = encrypted_sqlite.connect(path, TEST_KEY)
    try:
        with pytest.raises(encrypted_sqlite.IntegrityError, match="stays queued"):
            conn.execute("DELETE FROM snapshot_outbox")
    finally:
        conn.close()


def _insert_bare_snapshot(path: Path, snapshot: SnapshotRow) -> None:
    """What the old code could leave: the snapshot committed, its outbox item never written."""
    values = [getattr(snapshot, c) for c in snapshot_rows.COLUMNS]
    conn = encrypted_sqlite.connect(path, TEST_KEY)
    try:
        marks = ", ".join("?" for _ in values)
        conn.execute(
            f"INSERT INTO snapshots ({', '.join(snapshot_rows.COLUMNS)}) VALUES ({marks})", values
        )
    finally:
        conn.close()


def test_an_orphaned_snapshot_of_an_old_workspace_is_queued_on_open(tmp_path: Path) -> None:
    path = tmp_path / "workspace.sqlite"
    open_ws(path).close()
    conn = encrypted_sqlite.connect(path, TEST_KEY)
    try:  # a workspace as the old app wrote it: no outbox table at all
        conn.execute("DROP TRIGGER snapshot_outbox_never_delete")
        conn.execute("DROP TABLE snapshot_outbox")
    finally:
        conn.close()
    _insert_bare_snapshot(path, row())
    with open_ws(path) as ws:
        [item] = ws.snapshot_outbox(pending=True)
        assert (item.snapshot_id, item.origin) == ("snap-1", "recovered")
        ws.add_snapshot(row(2, "snap-1"))
        assert [(e.version, e.origin) for e in ws.snapshot_outbox()] == [
            (1, "recovered"),
            (2, "finalised"),
        ]


def test_a_snapshot_without_an_item_is_queued_on_open_once(tmp_path: Path) -> None:
    path = tmp_path / "workspace.sqlite"
    with open_ws(path) as ws:
        ws.add_snapshot(row())
    _insert_bare_snapshot(path, row(2, "snap-1"))
    with open_ws(path) as ws:
        assert [(e.version, e.origin) for e in ws.snapshot_outbox()] == [
            (1, "finalised"),
            (2, "recovered"),
        ]
    with open_ws(path) as ws:  # nothing more to queue
        assert len(ws.snapshot_outbox()) == 2
