"""The laptop's side: sign in (keyring or memory), sync now, and `reviewer-app sync`."""

from __future__ import annotations

import io
import json
from pathlib import Path

import keyring
import keyring.errors
import pytest

from reviewer_app.app.cli import main
from reviewer_app.app.errors import UserError
from reviewer_app.app.keys import visit_key
from reviewer_app.app.paths import AppPaths
from reviewer_app.central import service as central
from reviewer_app.central import tokens
from storage import BlobStore
from tests.server.central_helpers import DEMO_VISIT_ID, Central, make_envelope


def _all_text(root: Path) -> str:
    return "".join(p.read_text("utf-8", errors="replace") for p in root.rglob("*") if p.is_file())


def test_sign_in_keeps_the_token_in_the_keyring(demo_central: Central, app_home: Path) -> None:
    paths = AppPaths.from_environment()
    token = demo_central.tokens["lead"]
    result = central.sign_in(paths, demo_central.url + "/", token)
    assert result.in_keyring and result.user == "lead"
    assert keyring.get_password(tokens.KEYRING_SERVICE, demo_central.url) == token
    assert central.signed_in_url(paths) == demo_central.url
    assert token not in _all_text(app_home)  # not in settings, not in the log
    central.sign_out(paths)
    assert keyring.get_password(tokens.KEYRING_SERVICE, demo_central.url) is None
    with pytest.raises(central.NotSignedIn):
        central.connect(paths)


def test_with_no_keyring_the_token_is_kept_in_memory_and_the_user_told(
    demo_central: Central, app_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_keyring(*_a: object) -> None:
        raise keyring.errors.NoKeyringError("no backend")

    monkeypatch.setattr(keyring, "set_password", no_keyring)
    monkeypatch.setattr(keyring, "get_password", no_keyring)
    paths = AppPaths.from_environment()
    token = demo_central.tokens["lead"]
    result = central.sign_in(paths, demo_central.url, token)
    assert not result.in_keyring
    assert "sign in again next time" in result.message
    assert central.connect(paths).me()["name"] == "lead"
    assert token not in _all_text(app_home)
    central.sign_out(paths)


def test_a_wrong_token_or_address_is_one_sentence(demo_central: Central) -> None:
    paths = AppPaths.from_environment()
    with pytest.raises(UserError, match="did not accept that token"):
        central.sign_in(paths, demo_central.url, "wrong")
    with pytest.raises(UserError, match="not a web address"):
        central.sign_in(paths, "central.example", "x")
    # The command line gets the same sentences as the window (no "something went wrong").
    with pytest.raises(UserError, match="not a Reviewer App central service"):
        central.sign_in(paths, demo_central.url + "/nothing-here", "x")


def test_sync_now_downloads_kits_sends_the_outbox_and_reads_comments(
    demo_central: Central,
) -> None:
    paths = AppPaths.from_environment()
    central.sign_in(paths, demo_central.url, demo_central.tokens["lead"])
    # The photo as finalising leaves it: sealed in the visit's store, with the visit's key.
    store = BlobStore(
        paths.visit_folder(DEMO_VISIT_ID) / "blobs", visit_key(paths, DEMO_VISIT_ID, create=True)
    )
    sha = store.put_bytes(b"jpeg" * 1000)
    envelope = make_envelope(attachments=[(sha, 4000)])
    central.enqueue_snapshot(paths, envelope, {sha: store.path(sha)})
    assert [i.state for i in central.outbox(paths)] == ["queued"]

    progress: list[tuple[int, int, str]] = []
    report = central.sync(paths, lambda *a: progress.append(a))
    assert report.ok and len(report.downloaded) == 1
    assert Path(report.downloaded[0].path).read_bytes()[:2] == b"PK"
    assert [i.snapshot_id for i in report.outbox.acknowledged] == [envelope["snapshot_id"]]
    assert report.visits[DEMO_VISIT_ID][0]["state"] == "received"
    assert (1, 1, "Sending findings") in progress

    demo_central.client("staff").set_state(
        envelope["snapshot_id"], "has_issues", "Add the reason for HN-104."
    )
    again = central.sync(paths)
    assert again.kits_up_to_date == 1 and not again.downloaded
    assert again.visits[DEMO_VISIT_ID][0]["comments"][0]["text"] == "Add the reason for HN-104."


def test_reviewer_app_sync_from_a_script(
    demo_central: Central, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sync"]) == 2
    assert "Not signed in" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO(demo_central.tokens["lead"] + "\n"))
    assert main(["central", "sign-in", "--url", demo_central.url, "--token-stdin"]) == 0
    capsys.readouterr()
    paths = AppPaths.from_environment()
    central.enqueue_snapshot(paths, make_envelope(), {})
    assert main(["sync", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] and len(report["outbox"]["acknowledged"]) == 1
    assert report["visits"][DEMO_VISIT_ID][0]["state"] == "received"
    assert main(["central", "outbox"]) == 0
    assert "acknowledged" in capsys.readouterr().out
    assert main(["central", "sign-out"]) == 0


def test_sync_while_the_service_is_away_keeps_the_work(
    demo_central: Central, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = AppPaths.from_environment()
    tokens.store_token("http://127.0.0.1:9", "t")
    from reviewer_app.app.settings import Settings

    settings = Settings.load(paths)
    settings.set("central_url", "http://127.0.0.1:9")
    settings.save()
    central.enqueue_snapshot(paths, make_envelope(), {})
    from sync.client import CentralClient

    dead = CentralClient("http://127.0.0.1:9", "t", sleep=lambda _s: None, max_attempts=2)
    report = central.sync(paths, client=dead)
    assert report.offline and "could not be reached" in report.message
    assert [i.state for i in central.outbox(paths)] == ["queued"]
