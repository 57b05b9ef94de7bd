"""A full disk at each write point (issue 13, item 4): the write fails as a full disk, the user
reads the sentence, nothing saved before is lost, and no temporary file is left behind.

ENOSPC is injected where each atomic write makes its bytes durable (``os.fsync``): a photo
into the blob store, the settings, a backup, a team bundle, the laptop's device id. The
workspace's own writes are SQLite's, which no Python call can fail for it: they are tested on
a real, small file system (a tmpfs filled up), skipped with the reason where mounting is not
allowed.
"""

from __future__ import annotations

import errno
import io
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from reviewer_app.app.disk import DiskFull, disk_full_in
from reviewer_app.app.paths import AppPaths
from reviewer_app.app.settings import Settings
from reviewer_app.visit.model import NOTE
from reviewer_app.visit.workspaces import open_kit, open_workspace, workspace_path
from storage import BlobStore, Workspace
from tests.keys import TEST_KEY, app_key

SENTENCE = "nothing you saved is lost. Free some space and go on."


def _no_space(*_args: object) -> None:
    raise OSError(errno.ENOSPC, "No space left on device")


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (20, 120, 200)).save(out, "JPEG")
    return out.getvalue()


def _leftovers(folder: Path) -> list[str]:
    """Temporary files an interrupted write could leave: dot-files, .tmp, .part, .incoming."""
    return sorted(
        p.name
        for p in folder.rglob("*")
        if p.is_file()
        and (p.name.startswith(".") or p.suffix in (".tmp", ".part") or "incoming" in p.name)
        and p.name not in (".in-use", ".lock")  # locks, kept on purpose
    )


def _photo(paths: AppPaths, visit_id: str) -> Path:
    key = app_key(workspace_path(paths, visit_id))
    BlobStore(paths.visit_folder(visit_id) / "blobs", key).add_photo(_jpeg())
    return paths.visit_folder(visit_id) / "blobs"


def _settings(paths: AppPaths, _visit_id: str) -> Path:
    s = Settings.load(paths)
    s.set("central_url", "https://central.example.nhs.uk")
    s.save()
    return paths.config


def _backup(paths: AppPaths, visit_id: str) -> Path:
    with open_workspace(paths, workspace_path(paths, visit_id), backup=False) as ws:
        ws.backup("manual")
    return paths.visit_folder(visit_id) / "backups"


def _bundle(paths: AppPaths, visit_id: str) -> Path:
    from reviewer_app.team.bundles import export_visit_bundle  # noqa: PLC0415

    out = paths.data / "stick"
    out.mkdir(exist_ok=True)
    export_visit_bundle(paths, visit_id, out)
    return out


WRITES: dict[str, Callable[[AppPaths, str], Path]] = {
    "photo": _photo,
    "settings": _settings,
    "backup": _backup,
    "bundle": _bundle,
}


@pytest.fixture
def visit(app_home: Path, demo_kit_file: Path) -> tuple[AppPaths, str]:
    paths = AppPaths.from_environment()
    return paths, open_kit(demo_kit_file, "m-cns", paths=paths, demo=True).visit_id


@pytest.mark.parametrize("write", list(WRITES))
def test_a_full_disk_at_each_write_point_is_said_and_leaves_nothing(
    write: str, visit: tuple[AppPaths, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    paths, visit_id = visit
    before = Settings.load(paths).get("central_url")
    monkeypatch.setattr(os, "fsync", _no_space)
    with pytest.raises(OSError) as raised:
        WRITES[write](paths, visit_id)
    monkeypatch.undo()
    full = disk_full_in(raised.value, paths.data)
    assert isinstance(full, DiskFull) and str(full).endswith(SENTENCE)
    assert _leftovers(paths.data) == [] and _leftovers(paths.config) == []
    assert Settings.load(paths).get("central_url") == before  # the old file, whole
    with open_workspace(paths, workspace_path(paths, visit_id), backup=False) as ws:
        assert ws._conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"  # noqa: SLF001


def test_edits_until_the_disk_is_full_keep_every_acknowledged_one(
    small_disk: Callable[[str], Path],
) -> None:
    """Notes are written until SQLite finds the disk full: the failure reads as a full disk,
    and every note acknowledged before it is there when the workspace is opened again."""
    disk = small_disk("4m")
    path = disk / "workspace.sqlite"
    saved: list[str] = []
    with Workspace.open(path, key=TEST_KEY, device_id="t", create=True, backup=False) as ws:
        with pytest.raises(Exception) as raised:  # noqa: PT011 (SQLite's error, whatever it is)
            for n in range(100_000):
                ws.record("m-cns", NOTE, f"note-{n}", {"text": "x" * 2000, "ref": "HN-101"})
                saved.append(f"note-{n}")
        full = disk_full_in(raised.value, disk)
        assert isinstance(full, DiskFull), raised.value
        assert "The disk is full (0 MB free)" in str(full)
    assert len(saved) > 10
    with Workspace.open(path, key=TEST_KEY, device_id="t", backup=False) as ws:
        ids = {r[0] for r in ws._conn.execute("SELECT DISTINCT entity_id FROM ops")}  # noqa: SLF001
    assert set(saved) <= ids
