"""The whole round trip of issue 6, against the real service on 127.0.0.1."""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path

import httpx
import pytest

from sync.client import MissingBlobs, SubmissionConflict
from sync.findings_format import content_sha256
from tests.server.central_helpers import DEMO_VISIT_ID, Central, make_envelope, sign
from tests.server.kit_envelopes import kit_envelope


def test_the_whole_round_trip(demo_central: Central, tmp_path: Path) -> None:
    c = demo_central
    staff, lead, cns = c.client("staff"), c.client("lead"), c.client("cns")

    # A reviewer sees and downloads the kit they were given, byte for byte.
    kits = cns.list_kits()
    assert [k["visit_id"] for k in kits] == [DEMO_VISIT_ID]
    assert kits[0]["member_id"] == "m-cns"
    got = cns.download_kit(kits[0]["kit_id"], tmp_path / "kit.rvkit")
    assert hashlib.sha256(got.read_bytes()).hexdigest() == kits[0]["sha256"]

    # The lead sends version 1 with a photo.
    photo = b"\x89PNG photo bytes" * 1000
    sha = hashlib.sha256(photo).hexdigest()
    assert lead.push_blob(photo, sha) is True
    assert lead.push_blob(photo, sha) is False  # HEAD first: not sent twice
    v1 = kit_envelope(
        attachments=[(sha, len(photo))],
        compliance=[
            {"component": "shc", "applicable": 10, "met": 6},
            {"component": "comm", "applicable": 0, "met": 0},
        ],
    )
    receipt1 = lead.submit(v1)
    assert receipt1.snapshot_id == v1["snapshot_id"] and receipt1.version == 1

    # Staff find issues; the lead sees the state and the comment.
    staff.set_state(v1["snapshot_id"], "has_issues", "Standard HN-104 needs its reason.")
    status = lead.visit_status(DEMO_VISIT_ID)
    assert [(s["version"], s["state"]) for s in status] == [(1, "has_issues")]
    assert status[0]["comments"][0]["text"] == "Standard HN-104 needs its reason."
    assert status[0]["receipt"] == receipt1.raw

    # Version 2 supersedes version 1; staff accept it.
    v2 = kit_envelope(
        version=2,
        supersedes=v1["snapshot_id"],
        compliance=[
            {"component": "shc", "applicable": 10, "met": 7},
            {"component": "lht", "applicable": 4, "met": 4},
            {"component": "comm", "applicable": 0, "met": 0},
        ],
    )
    lead.submit(v2)
    staff.set_state(v2["snapshot_id"], "accepted")
    status = lead.visit_status(DEMO_VISIT_ID)
    assert [(s["version"], s["state"]) for s in status] == [(1, "has_issues"), (2, "accepted")]
    assert status[0]["superseded_by"] == v2["snapshot_id"]

    # The overview counts version 2 only, per organisation and component, "-" for nothing.
    rows = {r["component"]: r for r in staff.overview()}
    assert rows["Specialist Haemoglobinopathy Centre"]["met"] == 7
    assert rows["Specialist Haemoglobinopathy Centre"]["percent_met"] == "70"
    assert rows["Local Haemoglobinopathy Team"]["percent_met"] == "100"
    assert rows["Commissioning"]["percent_met"] == "-"
    assert rows["Commissioning"]["organisation"] == (
        "NHS Riverside and Wealdshire Integrated Care Board"
    )
    assert rows["Specialist Haemoglobinopathy Centre"]["organisation"] == (
        "Riverside University Hospitals NHS Trust"
    )
    table = list(csv.DictReader(io.StringIO(staff.overview_csv())))
    assert {r["component"]: r["percent_met"] for r in table}["Commissioning"] == "-"
    assert len(table) == 3

    # Rejecting version 2 makes version 1 the one that counts.
    staff.set_state(v2["snapshot_id"], "rejected", "Wrong visit date.")
    rows = {r["component"]: r for r in staff.overview()}
    assert rows["Specialist Haemoglobinopathy Centre"]["met"] == 6
    # Version 1 judged nothing for the local team: its 47 standards are not yet assessed.
    assert rows["Local Haemoglobinopathy Team"]["applicable"] == 47
    assert rows["Local Haemoglobinopathy Team"]["percent_met"] == "0"


def test_resending_gives_the_same_receipt_and_other_content_is_409(demo_central: Central) -> None:
    lead = demo_central.client("lead")
    envelope = make_envelope()
    first = lead.submit(envelope)
    again = lead.submit(envelope)
    assert again.raw == first.raw

    changed = make_envelope(note="Something else")
    changed["snapshot_id"] = envelope["snapshot_id"]
    with pytest.raises(SubmissionConflict):
        lead.submit(changed)
    status = lead.visit_status(DEMO_VISIT_ID)
    assert len(status) == 1
    assert status[0]["content_sha256"] == envelope["content_sha256"]
    stored = lead._json("GET", f"/v1/submissions/{envelope['snapshot_id']}")
    assert stored["findings"] == envelope["findings"]


def test_missing_attachments_are_listed(demo_central: Central) -> None:
    lead = demo_central.client("lead")
    a, b = "a" * 64, "b" * 64
    with pytest.raises(MissingBlobs) as raised:
        lead.submit(make_envelope(attachments=[(a, 1)], report=(b, 2)))
    assert raised.value.status == 422
    assert raised.value.missing == [a, b]
    assert lead.visit_status(DEMO_VISIT_ID) == []


def test_bad_input_gets_one_sentence(demo_central: Central) -> None:
    url, token = demo_central.url, demo_central.tokens["lead"]
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=url, headers=headers) as http:
        r = http.put("/v1/submissions/x", json={"snapshot_id": "x"})
        assert r.status_code == 422 and "lacks" in r.json()["detail"]
        r = http.put("/v1/blobs/not-a-hash", content=b"x")
        assert r.status_code == 400 and "SHA-256" in r.json()["detail"]
        r = http.put("/v1/blobs/" + "0" * 64, content=b"not those bytes")
        assert r.status_code == 422
        assert http.head("/v1/blobs/" + "0" * 64).headers["Upload-Offset"] == "0"
        big = b"x" * (3 * 1024 * 1024)
        r = http.put("/v1/submissions/x", content=big, headers={"Content-Type": "application/json"})
        assert r.status_code == 413 and "larger" in r.json()["detail"]


def test_staff_need_a_trusted_key_and_a_signed_kit(central: Central, demo_kit_file: Path) -> None:
    staff = central.client("staff")
    from sync.client import CentralRefused

    with pytest.raises(CentralRefused, match="trusts no signing key"):
        staff.upload_kit(demo_kit_file)
    from reviewer_app.app.paths import DEMO_DIR

    staff.trust_key((DEMO_DIR / "demo_key.pub").read_bytes())
    tampered = demo_kit_file.read_bytes().replace(b"Riverside", b"Riverkind", 1)
    bad = central.folder / "bad.rvkit"
    bad.write_bytes(tampered)
    with pytest.raises(CentralRefused) as raised:
        staff.upload_kit(bad)
    assert raised.value.status == 422
    first = staff.upload_kit(demo_kit_file)
    assert staff.upload_kit(demo_kit_file) == first  # the same kit again is harmless


def test_the_overview_recomputes_figures_and_ignores_the_leads_totals(
    demo_central: Central,
) -> None:
    """A lead's figures that do not follow from its judgements (met 9 of 4) never reach the
    overview: it shows what the team judgements give, as the report does."""
    envelope = kit_envelope([{"component": "shc", "applicable": 10, "met": 7}])
    envelope["findings"]["compliance"] = [{"component": "shc", "applicable": 4, "met": 9}]
    envelope["content_sha256"] = content_sha256(envelope["findings"])
    demo_central.client("lead").submit(sign(envelope))  # the lead's laptop signs what it sends
    rows = {r["component"]: r for r in demo_central.client("staff").overview()}
    centre = rows["Specialist Haemoglobinopathy Centre"]
    assert (centre["applicable"], centre["met"], centre["percent_met"]) == (10, 7, "70")
