"""A visit's key through the app: a wrong passphrase, a keyring entry gone, a damaged entry or
key file each end with one sentence (the CLI's, exit 2) that says what to do, and the visit's
files are left as they were (nothing lost: with the right key it opens with everything). A
visit on disk (workspace, backup, blobs) holds none of its plaintext."""

from __future__ import annotations

import hashlib
import io
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.backends.fail
import pytest
from PIL import Image

from reviewer_app.app import keys as app_keys
from reviewer_app.app.cli import main
from reviewer_app.app.errors import is_user_error
from reviewer_app.app.paths import AppPaths
from reviewer_app.visit.workspaces import open_kit, open_workspace, workspace_path
from storage import visit_keys
from storage.visit_keys import SERVICE, KeyDamaged, PassphraseRequest, WrongPassphrase
from tests.conftest import MemoryKeyring
from tests.server.central_helpers import DEMO_VISIT_ID

MEMBER = "m-cns"
REASON = "Rota-gaps-on-nights-were-never-escalated"
NOTE = "The-matron-said-audits-stopped-in-May"
WAY_BACK = "opened again from its kit and the team's bundles"
RIGHT = "the right passphrase"


def _fill(paths: AppPaths, visit_id: str) -> bytes:
    """A judgement's reason, a note, a photo and a backup, through the app's durable open;
    returns the photo as stored (decrypted)."""
    with open_workspace(paths, workspace_path(paths, visit_id)) as ws:
        ws.record(MEMBER, "judgement", '["T-100","ED","m-cns"]', {"reason": REASON})
        ws.record(MEMBER, "note", "n1", {"text": NOTE})
        jpeg = io.BytesIO()
        Image.effect_noise((320, 240), 60).convert("RGB").save(jpeg, format="JPEG")
        sha = ws.blobs.add_photo(jpeg.getvalue())
        ws.record(MEMBER, "photo", "p1", {"sha256": sha})
        ws.backup("manual")
        return ws.blobs.read_bytes(sha)


def _open_visit(demo_kit_file: Path) -> tuple[AppPaths, str]:
    paths = AppPaths.from_environment()
    visit_id = open_kit(demo_kit_file, MEMBER, paths=paths, demo=True).visit_id
    _fill(paths, visit_id)
    return paths, visit_id


def _fingerprint(folder: Path) -> dict[str, str]:
    """Every file of the visit but the lock files, by content."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != ".lock"
    }


def _export(visit_id: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """``reviewer-app bundle export --visit ID``: a command that opens the workspace."""
    code = main(["bundle", "export", "--visit", visit_id, "-o", str(tmp_path / "out.rvbundle")])
    return code, capsys.readouterr().err


def _reason(paths: AppPaths, visit_id: str) -> object:
    with open_workspace(paths, workspace_path(paths, visit_id), backup=False) as ws:
        return ws.field("judgement", '["T-100","ED","m-cns"]', "reason")


@pytest.fixture
def no_keyring(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No usable keyring: keys wrapped with a passphrase, given as a script would."""
    keyring.set_keyring(keyring.backends.fail.Keyring())
    monkeypatch.setenv(app_keys.PASSPHRASE_ENV, RIGHT)
    visit_keys.lock()
    yield
    visit_keys.lock()


def test_a_visit_on_disk_holds_none_of_its_plaintext(demo_kit_file: Path) -> None:
    paths = AppPaths.from_environment()
    visit_id = open_kit(demo_kit_file, MEMBER, paths=paths, demo=True).visit_id
    photo = _fill(paths, visit_id)
    folder = paths.visit_folder(visit_id)
    files = [p for p in folder.rglob("*") if p.is_file()]
    assert any(p.parent.name == "backups" for p in files)
    for file in files:
        data = file.read_bytes()
        for secret in (REASON.encode(), NOTE.encode(), photo[200:264]):
            assert secret not in data, file
        assert not data.startswith(b"\xff\xd8\xff"), file  # no JPEG
    for db in [workspace_path(paths, visit_id), *(folder / "backups").glob("*.sqlite")]:
        with pytest.raises(sqlite3.DatabaseError, match="not a database"):
            sqlite3.connect(db).execute("SELECT * FROM sqlite_master").fetchall()
    assert _reason(paths, visit_id) == REASON


@pytest.mark.usefixtures("no_keyring")
def test_a_wrong_passphrase_ends_with_a_sentence_and_nothing_lost(
    demo_kit_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    paths, visit_id = _open_visit(demo_kit_file)
    folder = paths.visit_folder(visit_id)
    assert visit_keys.key_file(folder).is_file()  # wrapped: there is no keyring
    before = _fingerprint(folder)
    app_keys.lock()
    monkeypatch.setenv(app_keys.PASSPHRASE_ENV, "not the passphrase")
    code, err = _export(visit_id, tmp_path, capsys)
    assert code == 2
    assert err.startswith(f"reviewer-app: That passphrase does not open visit {visit_id}.")
    assert WAY_BACK in err and "Traceback" not in err
    assert _fingerprint(folder) == before
    monkeypatch.setenv(app_keys.PASSPHRASE_ENV, RIGHT)
    assert _reason(paths, visit_id) == REASON


@pytest.mark.usefixtures("no_keyring")
def test_the_windows_dialog_is_asked_three_times_then_the_sentence(
    demo_kit_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths, visit_id = _open_visit(demo_kit_file)
    before = _fingerprint(paths.visit_folder(visit_id))
    app_keys.lock()
    asked: list[PassphraseRequest] = []

    def dialog(request: PassphraseRequest) -> str:
        asked.append(request)
        return "a guess"

    app_keys.set_passphrase_asker(dialog)
    try:
        with pytest.raises(WrongPassphrase) as caught:
            open_workspace(paths, workspace_path(paths, visit_id))
    finally:
        app_keys.set_passphrase_asker(None)
    assert [r.retry for r in asked] == [False, True, True]
    assert is_user_error(caught.value) and WAY_BACK in str(caught.value)
    assert _fingerprint(paths.visit_folder(visit_id)) == before


def test_a_keyring_entry_gone_ends_with_the_way_back_and_nothing_changed(
    demo_kit_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    memory_keyring: MemoryKeyring,
) -> None:
    paths, visit_id = _open_visit(demo_kit_file)
    folder = paths.visit_folder(visit_id)
    before = _fingerprint(folder)
    kept = memory_keyring.secrets.pop((SERVICE, visit_id))
    visit_keys.lock()
    code, err = _export(visit_id, tmp_path, capsys)
    assert code == 2
    assert err.startswith(f"reviewer-app: The key of visit {visit_id} is not in this computer's")
    assert WAY_BACK in err
    assert _fingerprint(folder) == before
    memory_keyring.secrets[(SERVICE, visit_id)] = kept  # the keyring restored: all there
    assert _reason(paths, visit_id) == REASON


def test_a_damaged_keyring_entry_ends_with_the_way_back_and_nothing_changed(
    demo_kit_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    memory_keyring: MemoryKeyring,
) -> None:
    paths, visit_id = _open_visit(demo_kit_file)
    folder = paths.visit_folder(visit_id)
    before = _fingerprint(folder)
    kept = memory_keyring.secrets[(SERVICE, visit_id)]
    memory_keyring.secrets[(SERVICE, visit_id)] = kept[:40] + "not hex!"
    visit_keys.lock()
    code, err = _export(visit_id, tmp_path, capsys)
    assert code == 2
    assert "is damaged, so it cannot be opened here" in err and WAY_BACK in err
    assert _fingerprint(folder) == before
    memory_keyring.secrets[(SERVICE, visit_id)] = kept
    assert _reason(paths, visit_id) == REASON


@pytest.mark.usefixtures("no_keyring")
def test_a_damaged_key_file_ends_with_the_way_back_and_the_workspace_unchanged(
    demo_kit_file: Path,
) -> None:
    paths, visit_id = _open_visit(demo_kit_file)
    folder = paths.visit_folder(visit_id)
    key_file = visit_keys.key_file(folder)
    kept = key_file.read_bytes()
    before = _fingerprint(folder)
    key_file.write_bytes(kept[: len(kept) // 2])  # cut short
    app_keys.lock()
    with pytest.raises(KeyDamaged) as caught:
        open_workspace(paths, workspace_path(paths, visit_id))
    assert WAY_BACK in str(caught.value) and is_user_error(caught.value)
    key_file.write_bytes(kept)
    assert _fingerprint(folder) == before
    assert _reason(paths, visit_id) == REASON


def test_a_visit_whose_key_is_lost_opens_again_from_its_kit(
    demo_kit_file: Path, memory_keyring: MemoryKeyring
) -> None:
    """The way back the sentences give: the kit opened again says the old folder holds what
    the lost key encrypted and to move it aside; once moved, the kit opens afresh."""
    paths, visit_id = _open_visit(demo_kit_file)
    folder = paths.visit_folder(visit_id)
    del memory_keyring.secrets[(SERVICE, visit_id)]
    visit_keys.lock()
    before = _fingerprint(folder)
    with pytest.raises(app_keys.KeyLost) as caught:
        open_kit(demo_kit_file, MEMBER, paths=paths, demo=True)
    assert f"its folder {folder} holds what that key encrypted" in str(caught.value)
    assert _fingerprint(folder) == before
    assert is_user_error(caught.value)
    folder.rename(folder.with_name(folder.name + ".lost-key"))
    opened = open_kit(demo_kit_file, MEMBER, paths=paths, demo=True)
    with open_workspace(paths, opened.workspace_path, backup=False) as ws:
        assert ws.kit_info() is not None


def test_a_key_file_whose_writing_was_killed_does_not_block_the_visit(
    demo_kit_file: Path, wrapped_keys: MemoryKeyring
) -> None:
    """Killed while a new visit's wrapped key was being written: its temporary file is all
    there is (no key kept, nothing encrypted). Opening the kit again makes the key, and the
    leftover goes; it used to say the keyring could not be reached, for ever."""
    paths = AppPaths.from_environment()
    folder = paths.visit_folder(DEMO_VISIT_ID)
    folder.mkdir(parents=True)
    leftover = folder / f".{visit_keys.KEY_FILE}.0badf00d.tmp"
    leftover.write_bytes(b'{"format": ')
    opened = open_kit(demo_kit_file, MEMBER, paths=paths, demo=True)
    assert opened.visit_id == DEMO_VISIT_ID
    assert not leftover.exists() and visit_keys.key_file(folder).is_file()
    with open_workspace(paths, opened.workspace_path, backup=False) as ws:
        assert ws.kit_info() is not None
