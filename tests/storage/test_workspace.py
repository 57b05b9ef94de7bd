from __future__ import annotations

import os
from pathlib import Path

import pytest

from storage import (
    Workspace,
    WorkspaceDamaged,
    WorkspaceKeyWrong,
    WorkspaceMissing,
    WrongVisit,
    encrypted_sqlite,
    restore_backup,
)
from tests.keys import TEST_KEY
from tests.storage.conftest import OpenWorkspace, sample_kit


def test_pragmas_are_really_set(ws: Workspace) -> None:
    conn = ws._conn
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 5000
    assert ws.integrity_problems() == []


def test_a_missing_workspace_is_not_created_silently(tmp_path: Path) -> None:
    path = tmp_path / "nothing" / "workspace.sqlite"
    with pytest.raises(WorkspaceMissing, match="Open the visit's kit"):
        Workspace.open(path, key=TEST_KEY, device_id="d")
    assert not path.exists()


def _fill(path: Path, rounds: int = 3) -> None:
    """A workspace with some data and one backup per open."""
    for r in range(rounds):
        with Workspace.open(path, key=TEST_KEY, device_id="d", create=True) as ws:
            ws.load_kit(**sample_kit(n=50))  # type: ignore[arg-type]
            for i in range(100):
                ws.record("m", "note", f"n{r}-{i}", {"text": "x" * 200})


def test_random_bytes_are_reported_with_the_way_back(tmp_path: Path) -> None:
    path = tmp_path / "v" / "workspace.sqlite"
    _fill(path)
    path.write_bytes(os.urandom(64 * 1024))
    with pytest.raises(WorkspaceDamaged) as caught:
        Workspace.open(path, key=TEST_KEY, device_id="d")
    err = caught.value
    assert err.backups and err.backups == sorted(err.backups, reverse=True)
    message = str(err)
    assert "damaged" in message and str(err.backups[0]) in message and "Restore" in message
    # the way back works: restoring the newest backup gives a sound workspace with the data
    kept = restore_backup(path, err.backups[0])
    assert kept.exists()
    with Workspace.open(path, key=TEST_KEY, device_id="d") as ws:
        assert ws.integrity_problems() == []
        assert ws.field("note", "n1-0", "text") == "x" * 200


def test_an_overwritten_page_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "v" / "workspace.sqlite"
    _fill(path)
    size = path.stat().st_size
    page = 4096
    with open(path, "r+b") as f:
        for offset in range(2 * page, size, 3 * page):
            f.seek(offset)
            f.write(b"\xa5" * page)
    with pytest.raises(WorkspaceDamaged) as caught:
        Workspace.open(path, key=TEST_KEY, device_id="d")
    assert caught.value.backups


def test_a_truncated_file_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "v" / "workspace.sqlite"
    _fill(path)
    with open(path, "r+b") as f:
        f.truncate(path.stat().st_size // 2)
    with pytest.raises(WorkspaceDamaged):
        Workspace.open(path, key=TEST_KEY, device_id="d")


def test_no_backup_says_so(tmp_path: Path) -> None:
    """Encrypted, a file of random bytes and a file under another key look the same: with no
    backup to try the key on, the sentence says both, and the way back."""
    path = tmp_path / "workspace.sqlite"
    path.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(WorkspaceKeyWrong, match="no backup") as caught:
        Workspace.open(path, key=TEST_KEY, device_id="d")
    assert caught.value.backups == []
    assert "opened again from its kit and the team's bundles" in str(caught.value)


def test_backups_roll_keeping_the_newest_n(open_ws: OpenWorkspace) -> None:
    ws = open_ws("a", keep_backups=3)
    made = []
    for i in range(6):
        ws.record("m", "note", "n", {"text": str(i)})
        made.append(ws.backup())
    assert ws.backups() == sorted(made, reverse=True)[:3]
    newest = encrypted_sqlite.connect(ws.backups()[0], TEST_KEY)
    assert newest.execute("PRAGMA quick_check").fetchone()[0] == "ok"
    value = newest.execute("SELECT value FROM field_state WHERE entity = 'note'").fetchone()[0]
    assert value == '"5"'
    newest.close()


def test_open_takes_a_backup_only_when_something_changed(tmp_path: Path) -> None:
    path = tmp_path / "v" / "workspace.sqlite"
    with Workspace.open(path, key=TEST_KEY, device_id="d", create=True) as ws:
        ws.record("m", "note", "n", {"text": "a"})
    Workspace.open(path, key=TEST_KEY, device_id="d").close()
    assert len(Workspace.open(path, key=TEST_KEY, device_id="d", backup=False).backups()) == 1
    with Workspace.open(path, key=TEST_KEY, device_id="d") as ws:
        assert len(ws.backups()) == 1
        ws.record("m", "note", "n", {"text": "b"})
    with Workspace.open(path, key=TEST_KEY, device_id="d") as ws:
        assert len(ws.backups()) == 2


def test_load_kit_twice_replaces_kit_rows_and_keeps_ops(ws: Workspace) -> None:
    ws.load_kit(**sample_kit("kit-1", n=5))  # type: ignore[arg-type]
    ws.record("m", "judgement", "T-100/ED/m", {"rating": "met"})
    assert len(ws.standards()) == 5
    assert ws.kit_info() is not None and ws.kit_info()["kit_id"] == "kit-1"  # type: ignore[index]
    ws.load_kit(**sample_kit("kit-2", n=2))  # type: ignore[arg-type]
    assert ws.kit_info()["kit_id"] == "kit-2"  # type: ignore[index]
    assert [s["ref"] for s in ws.standards()] == ["T-100", "T-101"]
    assert ws.standard("T-104") is None
    assert ws.field("judgement", "T-100/ED/m", "rating") == "met"
    assert ws.op_count() == 1


def test_kit_round_trips(ws: Workspace) -> None:
    kit = sample_kit(n=3)
    ws.load_kit(**kit)  # type: ignore[arg-type]
    first = ws.standard("T-100")
    assert first is not None
    assert first["key"] is True and first["parts"] == [{"label": "a", "text": "first part"}]
    assert first["notes"] == [{"name": "Source", "value": "QS 2024"}]
    assert ws.sections() == ["Triage", "Staffing"]
    assert ws.self_assessment()[0]["evidence"] == ["E1"]
    assert ws.evidence_index()[0]["standards"] == ["T-100"]


def test_a_kit_for_another_visit_is_refused(ws: Workspace) -> None:
    ws.load_kit(**sample_kit(visit_id="visit-1"))  # type: ignore[arg-type]
    with pytest.raises(WrongVisit, match="visit-2"):
        ws.load_kit(**sample_kit(visit_id="visit-2"))  # type: ignore[arg-type]
    assert ws.kit_info()["visit_id"] == "visit-1"  # type: ignore[index]


def test_self_assessment_for_an_unknown_standard_is_refused(ws: Workspace) -> None:
    kit = sample_kit()
    kit["self_assessment"] = [{"ref": "NOPE", "component": "ED", "claim": "met"}]
    with pytest.raises(ValueError, match="NOPE"):
        ws.load_kit(**kit)  # type: ignore[arg-type]
    assert ws.kit_info() is None


def test_local_values_are_kept_apart_from_ops(ws: Workspace) -> None:
    assert ws.get_local("member_id") is None
    assert ws.get_local("member_id", "nobody") == "nobody"
    ws.set_local("member_id", "m1")
    ws.set_local("position", {"ref": "T-101"})
    assert ws.get_local("member_id") == "m1"
    assert ws.get_local("position") == {"ref": "T-101"}
    assert ws.op_count() == 0


def test_kit_rows_are_not_committed_when_its_documents_failed_to_store(ws: Workspace) -> None:
    ws.load_kit(**sample_kit("kit-1", n=3))  # type: ignore[arg-type]

    def disk_full() -> None:
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space"):
        ws.load_kit(**sample_kit("kit-2", n=5), before_commit=disk_full)  # type: ignore[arg-type]
    assert ws.kit_info()["kit_id"] == "kit-1"  # type: ignore[index]
    assert len(ws.standards()) == 3


def test_entities_can_read_only_some_fields(tmp_path: Path) -> None:
    with Workspace.open(tmp_path / "w.sqlite", key=TEST_KEY, device_id="d", create=True) as ws:
        ws.record("m", "judgement", "j1", {"value": "met", "reason": "seen", "part.a": True})
        ws.record("m", "judgement", "j2", {"reason": "not judged yet"})
        ws.record("m", "judgement", "j3", {"value": "not_met"})
        ws.delete("m", "judgement", "j3")
        assert ws.entities("judgement", fields=("value",)) == {"j1": {"value": "met"}}
        assert ws.entities("judgement")["j1"] == {"value": "met", "reason": "seen", "part.a": True}
