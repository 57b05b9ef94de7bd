"""A kit's evidence never reaches the disk in the clear: it is sealed with the visit's key while
it is unpacked, so neither staging nor the blob store holds a readable byte of it, and a kit
refused halfway through leaves nothing in the visit's store."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path
from typing import Any

import pytest

from reviewer_app.app.paths import AppPaths
from reviewer_app.visit import workspaces
from reviewer_app.visit.workspaces import open_kit, open_workspace, workspace_path
from sync.kit_archive import KitRefused


@pytest.fixture
def paths(app_home: Path) -> AppPaths:
    return AppPaths.from_environment()


def evidence_of(kit: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(kit) as zf:
        return {
            n: zf.read(n) for n in zf.namelist() if n.startswith("evidence/") and n[-5:] != ".json"
        }


def files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def test_opening_a_kit_leaves_no_evidence_readable_on_disk(
    paths: AppPaths, demo_kit_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    evidence = evidence_of(demo_kit_file)
    assert evidence, "the demo kit has evidence documents"
    staged: list[Path] = []
    install = workspaces._install

    def looking_at_staging(*args: object, **kwargs: object) -> object:
        staged.extend(p for p in files_under(paths.staging) if p.stat().st_size)
        return install(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(workspaces, "_install", looking_at_staging)
    opened = open_kit(demo_kit_file, "m-cns", paths=paths, demo=True)
    assert staged == []  # checked and sealed, never unpacked in the clear
    store = paths.visit_folder(opened.visit_id) / "blobs"
    stored = files_under(store)
    assert {p.name for p in stored} == {hashlib.sha256(d).hexdigest() for d in evidence.values()}
    for path in stored:
        raw = path.read_bytes()
        assert b"%PDF" not in raw
        for data in evidence.values():
            assert data[200:232] not in raw
    with open_workspace(paths, workspace_path(paths, opened.visit_id)) as ws:
        for data in evidence.values():
            sha = hashlib.sha256(data).hexdigest()
            assert ws.blobs.read_bytes(sha) == data and ws.blobs.size(sha) == len(data)


def tampered_kit(kit: Path, folder: Path) -> Path:
    """``kit`` with a byte of its last evidence document changed (read last: the others are
    sealed before it is found out)."""
    tampered = folder / "tampered.rvkit"
    last = max(evidence_of(kit))
    with zipfile.ZipFile(kit) as src, zipfile.ZipFile(tampered, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == last:
                data = data[:-1] + bytes([data[-1] ^ 1])
            dst.writestr(info, data)
    return tampered


def test_a_kit_refused_for_its_last_document_leaves_nothing_behind(
    paths: AppPaths, demo_kit_file: Path, tmp_path: Path, memory_keyring: Any
) -> None:
    tampered = tampered_kit(demo_kit_file, tmp_path)
    with pytest.raises(KitRefused, match="does not match its manifest"):
        open_kit(tampered, "m-cns", paths=paths, demo=True)
    assert files_under(paths.visits) == [] and files_under(paths.staging) == []
    assert not paths.visits.exists() or list(paths.visits.iterdir()) == []
    assert memory_keyring.secrets == {}  # the new visit's key went with it


def test_a_refused_reissue_keeps_the_visit_and_its_key(
    paths: AppPaths, demo_kit_file: Path, tmp_path: Path, memory_keyring: Any
) -> None:
    opened = open_kit(demo_kit_file, "m-cns", paths=paths, demo=True)
    before = files_under(paths.visit_folder(opened.visit_id) / "blobs")
    kept = dict(memory_keyring.secrets)
    with pytest.raises(KitRefused):
        open_kit(tampered_kit(demo_kit_file, tmp_path), "m-cns", paths=paths, demo=True)
    assert memory_keyring.secrets == kept
    assert files_under(paths.visit_folder(opened.visit_id) / "blobs") == before
    with open_workspace(paths, workspace_path(paths, opened.visit_id)) as ws:
        assert ws.kit_info() is not None
