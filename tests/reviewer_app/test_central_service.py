"""The central service's laptop side is one set of operations, whoever calls them: a sync from
the command line is what the sync centre shows next, and a retried snapshot comes back as the
row the outbox table shows. Against a real service on 127.0.0.1."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest

from reviewer_app.app.cli import main
from reviewer_app.app.errors import UserError
from reviewer_app.app.paths import AppPaths
from reviewer_app.central import service as laptop
from reviewer_app.central.status import status_path
from tests.server import central_helpers
from tests.server.central_helpers import DEMO_VISIT_ID, Central, make_envelope

demo_central = central_helpers.demo_central
central = central_helpers.central  # the fixture demo_central stands on


def test_a_sync_from_the_command_line_is_what_the_sync_centre_shows_next(
    demo_central: Central, app_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = AppPaths.from_environment()
    monkeypatch.setattr("sys.stdin", io.StringIO(demo_central.tokens["lead"] + "\n"))
    assert main(["central", "sign-in", "--url", demo_central.url, "--token-stdin"]) == 0
    laptop.enqueue_snapshot(paths, make_envelope(), {})
    assert main(["sync"]) == 0

    status = laptop.load_status(paths)  # what the window reads when it opens
    assert status.signed_in and status.online and (status.user, status.role) == ("lead", "reviewer")
    assert status.last_sync_at and [k.visit_id for k in status.kits] == [DEMO_VISIT_ID]
    assert status.visits[DEMO_VISIT_ID][0]["state"] == "received"
    assert [(r.title, r.state) for r in laptop.outbox(paths)] == [("Review", "acknowledged")]

    assert main(["central", "sign-out"]) == 0
    assert not status_path(paths).exists() and laptop.load_status(paths).url == ""


def test_a_retried_snapshot_is_the_titled_row_the_outbox_shows(
    demo_central: Central, app_home: Path
) -> None:
    paths = AppPaths.from_environment()
    photo = paths.data / "photo.jpg"
    photo.parent.mkdir(parents=True, exist_ok=True)
    photo.write_bytes(b"jpeg" * 100)
    sha = hashlib.sha256(photo.read_bytes()).hexdigest()
    envelope = make_envelope(attachments=[(sha, photo.stat().st_size)])
    laptop.enqueue_snapshot(paths, envelope, {sha: photo})
    photo.unlink()
    laptop.sign_in(paths, demo_central.url, demo_central.tokens["lead"])

    report = laptop.sync(paths)
    [failed] = laptop.outbox(paths)
    assert not report.ok and failed.state == "failed"
    assert failed.waits_for_person and not failed.retries_itself

    row = laptop.retry(paths, envelope["snapshot_id"])
    assert (row.title, row.version, row.state) == ("Review", 1, "queued")
    with pytest.raises(UserError, match="no snapshot"):
        laptop.retry(paths, "not-a-snapshot")
