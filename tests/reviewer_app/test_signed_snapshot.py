"""The lead's snapshot is signed with this laptop's device key (DESIGN.md "Finalised findings"),
in the snapshot's own transaction; the central service takes findings only from the laptop
pinned to the lead. A real workspace and outbox on disk, a real service on 127.0.0.1."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lead_tools import do
from sqlalchemy import select

from reviewer_app.app import keys as app_keys
from reviewer_app.app.device import device_key
from reviewer_app.app.paths import AppPaths
from reviewer_app.central import service as laptop
from reviewer_app.demo import visit as demo
from reviewer_app.lead import finalise as fin
from reviewer_app.lead.privacy import privacy_hits
from reviewer_app.visit.session import VisitSession
from reviewer_app.visit.workspaces import open_session, open_workspace, workspace_path
from storage import Workspace, encrypted_sqlite
from sync.authorship import fingerprint_words, public_hex, verify_findings
from sync.findings_format import SIGNATURE_FIELDS, canonical_bytes
from sync.server.db import device_keys, submission_signatures
from tests.keys import app_key
from tests.server import central_helpers
from tests.server.central_helpers import Central, laptop_key

# The live service's fixtures (tests/server/conftest.py holds them for that folder only).
central = central_helpers.central
demo_central = central_helpers.demo_central

NEW_LAPTOP = laptop_key("the lead's new laptop")


@pytest.fixture
def lead(demo_central: Central, monkeypatch: pytest.MonkeyPatch) -> Iterator[VisitSession]:
    """A worked demo visit on this laptop, opened as its lead and ready to finalise; the
    service has its kit with user "lead" as the lead, and this laptop is signed in as them."""
    paths = AppPaths.from_environment()
    kits: list[Path] = []
    build = demo._build_kit

    def keep_kit(*args: Any, **kwargs: Any) -> Path:
        out = build(*args, **kwargs)
        kits.append(shutil.copy(out, out.with_name("kept.rvkit")))
        return out

    monkeypatch.setattr(demo, "_build_kit", keep_kit)
    visit_id = demo.create_demo_visit(paths, demo.DemoVisitOptions(photos=1))
    staff = demo_central.client("staff")
    staff.assign(staff.upload_kit(kits[0])["kit_id"], "lead", "m-lead")
    laptop.sign_in(paths, demo_central.url, demo_central.tokens["lead"])
    session = open_session(paths, visit_id).result(timeout=60)
    for gap in fin.completeness(session.data):
        do(session, session.set_team_judgement(gap.ref, gap.component, "met", "Agreed"))
    yield session
    session.close()


def confirmed(session: VisitSession) -> set[str]:
    return {h.key for h in privacy_hits(session.data)}


def amend(session: VisitSession, text: str) -> None:
    [fid] = [f.id for f in session.data.findings_for("lht") if f.category != "immediate_risk"][:1]
    do(session, session.edit_finding(fid, text=text))


def finalise_with(session: VisitSession, **kwargs: Any) -> fin.Snapshot:
    """Finalise on the session's worker, as the window does, with ``paths`` or ``key``."""
    job = lambda ws: fin.finalise(  # noqa: E731
        ws, signed_off_by="m-lead", confirmed_privacy=confirmed(session), **kwargs
    )
    snap: fin.Snapshot = session.worker.submit(job).result(timeout=120)
    return snap


def workspace(session: VisitSession) -> Workspace:
    paths = AppPaths.from_environment()
    return open_workspace(paths, workspace_path(paths, session.data.visit.visit_id))


def on_service(service: Central) -> tuple[dict[str, str], list[str]]:
    """(snapshot id -> public key of its stored signature, the keys pinned)."""
    with service.db.read() as conn:
        signatures = dict(
            conn.execute(
                select(submission_signatures.c.snapshot_id, submission_signatures.c.public_key)
            ).all()
        )
        pins = list(conn.execute(select(device_keys.c.public_key)).scalars())
    return signatures, pins


def test_the_snapshot_is_signed_by_this_laptop_and_the_service_pins_it(
    lead: VisitSession, demo_central: Central
) -> None:
    paths = AppPaths.from_environment()
    mine = public_hex(device_key(paths))
    v1 = fin.start_finalise(lead, confirmed_privacy=confirmed(lead), paths=paths).result(120)
    assert v1.queued and v1.device_public_key == mine
    with workspace(lead) as ws:
        row = ws.snapshot(v1.snapshot_id)
        assert row is not None and row.signature is not None
        assert row.public_key == mine
        assert verify_findings(mine, row.findings_json, row.signature)
        assert row.findings_json == canonical_bytes(v1.findings)
    with laptop.open_outbox(paths) as outbox:
        queued = outbox.envelope(v1.snapshot_id)
    assert (queued["device_public_key"], queued["signature"]) == (mine, row.signature)

    report = laptop.sync(paths)
    assert [i.snapshot_id for i in report.outbox.acknowledged] == [v1.snapshot_id]
    assert not laptop.sync(paths).outbox.acknowledged  # sent once, not again
    assert on_service(demo_central) == ({v1.snapshot_id: mine}, [mine])

    # The lead moves to a new laptop: its findings are refused, in words, and nothing stored.
    amend(lead, "Consider joint clinics (amended on the new laptop).")
    v2 = finalise_with(lead, paths=paths, key=NEW_LAPTOP)
    assert v2.device_public_key == public_hex(NEW_LAPTOP)
    report = laptop.sync(paths)
    [failed] = report.outbox.failed
    words = fingerprint_words(public_hex(NEW_LAPTOP))
    assert failed.last_error == (
        f"These findings are signed by a device this service does not know for lead: "
        f"fingerprint {words}; if lead changed laptop, ask programme staff to reset the device "
        "key."
    )
    assert on_service(demo_central) == ({v1.snapshot_id: mine}, [mine])

    demo_central.client("staff").reset_device_key("lead")
    laptop.retry(paths, v2.snapshot_id)
    report = laptop.sync(paths)
    assert [i.snapshot_id for i in report.outbox.acknowledged] == [v2.snapshot_id]
    signatures, pins = on_service(demo_central)
    assert pins == [public_hex(NEW_LAPTOP)]
    assert signatures == {v1.snapshot_id: mine, v2.snapshot_id: public_hex(NEW_LAPTOP)}
    states = [i.state for i in laptop.outbox(paths)]
    assert states == ["acknowledged", "acknowledged"]


@pytest.mark.parametrize("left", ["queued only in the workspace", "in the outbox unsigned"])
def test_a_snapshot_an_older_app_left_unsigned_is_signed_when_handed_over(
    lead: VisitSession, demo_central: Central, left: str
) -> None:
    paths = AppPaths.from_environment()
    with pytest.raises(ValueError, match="device key"):
        finalise_with(lead)  # neither paths nor a key: nothing to sign with
    snap = finalise_with(lead, key=laptop_key("unused"))  # no paths: not handed over
    file = workspace_path(paths, lead.data.visit.visit_id)
    with workspace(lead) as ws:
        row = ws.snapshot(snap.snapshot_id)
        assert row is not None
        signed = fin.envelope(ws, row)
        unsigned = {k: v for k, v in signed.items() if k not in SIGNATURE_FIELDS}
        files = {sha: str(path) for sha, path in fin.blob_files(ws, signed).items()}
    conn = encrypted_sqlite.connect(file, app_key(file))  # autocommit, as isolation_level=None
    try:  # what an older app left: the snapshot and its outbox item, no signature
        conn.execute("DROP TRIGGER snapshot_signatures_never_delete")  # this app never would
        conn.execute("DELETE FROM snapshot_signatures")
    finally:
        conn.close()
    if left == "in the outbox unsigned":
        _queue_as_an_older_app(paths, unsigned, files)
        with workspace(lead) as ws:
            ws.mark_handed_over(snap.snapshot_id)
            assert ws.snapshot_outbox(pending=True) == []

    with workspace(lead) as ws:
        assert ws.unsigned_snapshots() == [snap.snapshot_id]
        assert fin.hand_over(ws, paths) == [snap.snapshot_id]
        row = ws.snapshot(snap.snapshot_id)
        assert row is not None and row.signature is not None
        mine = public_hex(device_key(paths))
        assert row.public_key == mine  # this laptop's key, not the one it was made with
        assert verify_findings(mine, row.findings_json, row.signature)
        assert ws.unsigned_snapshots() == [] and fin.hand_over(ws, paths) == []
    with laptop.open_outbox(paths) as outbox:
        sent = outbox.envelope(snap.snapshot_id)
        assert sent == {**unsigned, "device_public_key": mine, "signature": row.signature}
        assert [i.state for i in outbox.items()] == ["queued"]
    report = laptop.sync(paths)
    assert [i.snapshot_id for i in report.outbox.acknowledged] == [snap.snapshot_id]
    assert on_service(demo_central) == ({snap.snapshot_id: mine}, [mine])


def _queue_as_an_older_app(
    paths: AppPaths, envelope: dict[str, Any], files: dict[str, str]
) -> None:
    """An unsigned envelope in the sending queue, refused by the service (as an older app's
    would be now); written with SQL, since the queue itself takes signed ones only."""
    laptop.open_outbox(paths).close()  # the file and its table
    key = app_keys.laptop_key(paths, app_keys.OUTBOX)  # the sending queue is encrypted too
    conn = encrypted_sqlite.connect(laptop.outbox_path(paths), key)  # autocommit
    try:
        conn.execute(
            "INSERT INTO items (snapshot_id, visit_id, version, envelope, blob_files, state, "
            "attempts, last_error, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, 'failed', 1, ?, 0, 0)",
            (
                envelope["snapshot_id"],
                envelope["visit_id"],
                envelope["version"],
                canonical_bytes(envelope).decode("utf-8"),
                json.dumps(files),
                "the submission lacks device_public_key, signature.",
            ),
        )
    finally:
        conn.close()
