"""A visit's steps after its end against the real service (docs/after-the-visit.md): the
timeline with its days, due dates and medians; approval of the latest version only; the final
report, its publication and its download, byte for byte."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from sync.client import CentralClient, CentralRefused, MissingBlobs, SubmissionConflict
from sync.server.db import audit
from sync.server.lifecycle import DEFAULT_EXPECTED_DAYS as DEFAULT_STEPS
from tests.server.central_helpers import DEMO_VISIT_ID, Central, make_envelope
from tests.server.test_accuracy import send_version
from tests.server.test_overview_trust import second_visit

PROGRAMME = "Haemoglobin Disorders Peer Review Programme 2026/27"


def final_files(c: Central, version: int) -> tuple[dict[str, Any], dict[str, Any], bytes]:
    """The final report's PDF and DOCX, uploaded by the lead: (pdf, docx, the PDF's bytes)."""
    lead = c.client("lead")
    pdf = b"%PDF-1.7\n% Final report, version " + str(version).encode() + b"\n" * 3000
    docx = b"PK final docx " + str(version).encode() * 500
    refs = []
    for data in (pdf, docx):
        sha = hashlib.sha256(data).hexdigest()
        lead.push_blob(data, sha)
        refs.append({"sha256": sha, "size": len(data)})
    return refs[0], refs[1], pdf


def test_approval_final_report_publication_and_download(
    demo_central: Central, tmp_path: Path
) -> None:
    c = demo_central
    staff, lead, cns, outsider = (c.client(n) for n in ("staff", "lead", "cns", "outsider"))
    v1 = send_version(c)
    v2 = send_version(c, 2, v1["snapshot_id"])

    # Only the latest version is approved; a superseded one is 409.
    with pytest.raises(SubmissionConflict) as conflict:
        staff.approve(v1["snapshot_id"], "Quality assurance group", "2027-02-01", "")
    assert conflict.value.status == 409 and "latest version (2)" in conflict.value.message
    for who in (lead, cns, outsider):
        with pytest.raises(CentralRefused) as refused:
            who.approve(v2["snapshot_id"], "Me", "2027-02-01", "")
        assert refused.value.status == 403
    approval = staff.approve(v2["snapshot_id"], "Quality assurance group", "2027-02-01", "None.")
    assert (approval["approved_by"], approval["approved_at"]) == (
        "Quality assurance group",
        "2027-02-01",
    )
    again = staff.approve(v2["snapshot_id"], "Quality assurance group", "2027-02-01", "None.")
    assert again == approval
    with pytest.raises(SubmissionConflict):
        staff.approve(v2["snapshot_id"], "Steering group", "2027-02-02", "None.")
    listed = {s["version"]: s for s in lead.visit_status(DEMO_VISIT_ID)}
    assert listed[1]["approval"] is None
    assert listed[2]["approval"] == approval
    assert listed[2]["final_report"] is None and listed[2]["publication"] is None

    # Publication needs the final report; the final report needs approval and its files.
    with pytest.raises(SubmissionConflict) as conflict:
        staff.publish(v2["snapshot_id"])
    assert "no final report" in conflict.value.message
    pdf, docx, pdf_bytes = final_files(c, 2)
    with pytest.raises(SubmissionConflict) as conflict:
        lead.put_final_report(v1["snapshot_id"], pdf, docx)
    assert "not approved" in conflict.value.message
    never_sent = {"sha256": hashlib.sha256(b"nothing").hexdigest(), "size": 7}
    with pytest.raises(MissingBlobs) as missing:
        lead.put_final_report(v2["snapshot_id"], never_sent, None)
    assert missing.value.missing == [never_sent["sha256"]]
    for who in (staff, cns, outsider):
        with pytest.raises(CentralRefused) as refused:
            who.put_final_report(v2["snapshot_id"], pdf, docx)
        assert refused.value.status == 403

    report = lead.put_final_report(v2["snapshot_id"], pdf, docx)
    assert (report["pdf_sha256"], report["docx_sha256"]) == (pdf["sha256"], docx["sha256"])
    assert lead.put_final_report(v2["snapshot_id"], pdf, docx) == report  # idempotent
    assert lead.visit_status(DEMO_VISIT_ID)[1]["final_report"] == report

    # Staff publish; anyone signed in lists and downloads it, checked against its hash.
    for who in (lead, outsider):
        with pytest.raises(CentralRefused) as refused:
            who.publish(v2["snapshot_id"])
        assert refused.value.status == 403
    assert outsider.published() == []
    publication = staff.publish(v2["snapshot_id"])
    assert staff.publish(v2["snapshot_id"]) == publication
    (entry,) = outsider.published(PROGRAMME)
    assert entry["visit_id"] == DEMO_VISIT_ID and entry["version"] == 2
    assert entry["pdf_sha256"] == pdf["sha256"] and entry["title"]
    assert outsider.published("Another programme") == []
    got = outsider.download_published(DEMO_VISIT_ID, tmp_path / "final.pdf")
    assert got.read_bytes() == pdf_bytes
    response = httpx.get(
        f"{c.url}/v1/published/{DEMO_VISIT_ID}/report.pdf",
        headers={"Authorization": f"Bearer {c.tokens['outsider']}"},
    )
    assert response.headers["X-Content-SHA256"] == hashlib.sha256(response.content).hexdigest()
    assert response.headers["content-type"] == "application/pdf"
    docx_file = cns.download_published(DEMO_VISIT_ID, tmp_path / "final.docx", "docx")
    assert hashlib.sha256(docx_file.read_bytes()).hexdigest() == docx["sha256"]
    assert lead.visit_status(DEMO_VISIT_ID)[1]["publication"] == publication

    # A published final report does not change.
    other_pdf, _docx, _ = final_files(c, 3)
    with pytest.raises(SubmissionConflict):
        lead.put_final_report(v2["snapshot_id"], other_pdf, None)

    # Each write has its audit row, once (the repeats above wrote nothing).
    with c.db.read() as conn:
        actions = list(conn.execute(select(audit.c.action).order_by(audit.c.id)).scalars())
    assert [a for a in actions if a in ("approve", "final_report", "publish")] == [
        "approve",
        "final_report",
        "publish",
    ]

    line = staff.timeline(PROGRAMME)["visits"][0]
    assert line["state"] == "published"
    assert line["steps"]["approved"]["at"] == "2027-02-01"
    assert line["steps"]["published"]["at"] == publication["published_at"]


def test_the_timeline_counts_days_from_the_visit_end(demo_central: Central, tmp_path: Path) -> None:
    c = demo_central
    staff, lead = c.client("staff"), c.client("lead")
    # The demo visit ended on Thursday 3 December 2026.
    v1 = send_version(
        c, signed_off_at="2026-12-08T10:00:00Z", feedback_sheet_at="2026-12-03T16:30:00Z"
    )
    staff.pack_sent(DEMO_VISIT_ID, v1["snapshot_id"], "2026-12-17")
    # A visit long past (ended Tuesday 7 January 2020), finalised three days later.
    old = second_visit(c, tmp_path, start_date="2020-01-06", end_date="2020-01-07")
    envelope = make_envelope(visit_id=old.visit_id)
    envelope["signed_off_at"] = "2020-01-10T09:00:00Z"
    lead.submit(envelope)
    # A visit yet to come (ends Monday 2 March 2099).
    future = second_visit(c, tmp_path, start_date="2099-03-02", end_date="2099-03-02")

    t = staff.timeline(PROGRAMME)
    assert t["steps"][0] == "visit_end" and t["steps"][-1] == "published"
    assert t["expected_days"]["v1_finalised"] == 5 and t["expected_days"]["published"] == 50
    lines = {v["visit_id"]: v for v in t["visits"]}
    assert list(lines) == [old.visit_id, DEMO_VISIT_ID, future.visit_id]  # by visit end

    demo = lines[DEMO_VISIT_ID]
    assert demo["state"] == "pack_sent"
    assert "Riverside University Hospitals NHS Trust" in demo["organisations"]
    steps = demo["steps"]
    assert steps["visit_end"] == {"at": "2026-12-03", "days": 0, "due": None, "overdue": False}
    assert steps["feedback_sheet"]["days"] == 0
    assert steps["v1_finalised"] == {
        "at": "2026-12-08T10:00:00Z",
        "days": 5,
        "due": "2026-12-10",  # five working days after a Thursday
        "overdue": False,
    }
    assert steps["pack_sent"]["days"] == 14 and steps["pack_sent"]["due"] == "2026-12-17"
    assert steps["approved"]["at"] is None and steps["approved"]["due"] == "2027-02-04"

    past = lines[old.visit_id]
    assert past["state"] == "v1_finalised"
    assert past["steps"]["v1_finalised"]["days"] == 3
    assert past["steps"]["v1_finalised"]["overdue"] is False  # reached, if late
    assert past["steps"]["pack_sent"] == {
        "at": None,
        "days": None,
        "due": "2020-01-21",
        "overdue": True,
    }
    assert past["steps"]["published"]["overdue"] is True

    coming = lines[future.visit_id]
    assert coming["state"] == "visit_end"
    assert coming["steps"]["v1_finalised"]["due"] == "2099-03-09"
    assert not any(s["overdue"] for s in coming["steps"].values())

    assert t["median_days"]["visit_end"] == 0
    assert t["median_days"]["v1_finalised"] == 4  # 5 and 3
    assert t["median_days"]["pack_sent"] == 14
    assert t["median_days"]["approved"] is None

    # Staff change what the programme expects: due dates follow.
    settings = staff.set_programme_settings(PROGRAMME, {"v1_finalised": 2, "pack_sent": 15})
    assert settings["expected_days"]["v1_finalised"] == 2
    assert settings["expected_days"]["approved"] == 45  # the others keep their defaults
    t = staff.timeline(PROGRAMME)
    assert t["expected_days"] == settings["expected_days"]
    lines = {v["visit_id"]: v for v in t["visits"]}
    assert lines[old.visit_id]["steps"]["v1_finalised"]["due"] == "2020-01-09"
    assert lines[DEMO_VISIT_ID]["steps"]["pack_sent"]["due"] == "2026-12-24"
    with pytest.raises(CentralRefused) as refused:
        staff.set_programme_settings(PROGRAMME, {"lunch": 1})
    assert refused.value.status == 422 and "lunch" in refused.value.message
    with pytest.raises(CentralRefused):
        staff.set_programme_settings(PROGRAMME, {"approved": -1})

    # The first date of a step is kept: a later pack of the same visit does not move it.
    v2 = send_version(c, 2, v1["snapshot_id"], signed_off_at="2027-01-20T10:00:00Z")
    staff.pack_sent(DEMO_VISIT_ID, v2["snapshot_id"], "2027-01-25")
    steps = {v["visit_id"]: v for v in staff.timeline(PROGRAMME)["visits"]}[DEMO_VISIT_ID]
    assert steps["steps"]["pack_sent"]["at"] == "2026-12-17"
    assert steps["steps"]["v2_finalised"]["days"] == 48
    assert steps["state"] == "v2_finalised"


def test_writes_at_the_same_moment_make_one_row_each(demo_central: Central) -> None:
    """Eight staff at once: one approval, one publication, one set of programme settings
    holding every change; every request answered, none refused."""
    c = demo_central
    staff = c.client("staff")
    v1 = send_version(c)
    snapshot = v1["snapshot_id"]

    def at_once(calls: list[Callable[[CentralClient], Any]]) -> list[Any]:
        clients = [c.client("staff") for _ in calls]
        with ThreadPoolExecutor(len(calls)) as pool:
            return list(pool.map(lambda pair: pair[0](pair[1]), zip(calls, clients, strict=True)))

    approvals = at_once([lambda s: s.approve(snapshot, "QAG", "2027-02-01", "")] * 8)
    assert all(a == approvals[0] for a in approvals)
    pdf, docx, _ = final_files(c, 1)
    c.client("lead").put_final_report(snapshot, pdf, docx)
    publications = at_once([lambda s: s.publish(snapshot)] * 8)
    assert all(p == publications[0] for p in publications)
    steps = list(DEFAULT_STEPS)
    at_once(
        [
            lambda s, step=step, n=n: s.set_programme_settings(PROGRAMME, {step: 60 + n})
            for n, step in enumerate(steps)
        ]
    )
    expected = staff.timeline(PROGRAMME)["expected_days"]
    assert expected == {step: 60 + n for n, step in enumerate(steps)}
    with c.db.read() as conn:
        actions = list(conn.execute(select(audit.c.action)).scalars())
    assert actions.count("approve") == 1 and actions.count("publish") == 1
