"""The programme overview and the QSG summary (issue 18): computed by the service from the
stored kits and the submitted team judgements, over the visits staff may put before a quality
assurance group; the QSG sees only approved or published versions' risks. Runs on SQLite and
PostgreSQL (conftest.py)."""

from __future__ import annotations

import hashlib
import uuid
from itertools import pairwise
from pathlib import Path
from typing import Any

import httpx
import pytest

from reviewer_app.demo.kits import demo_standards, demo_visit
from sync.client import CentralError
from sync.compliance import component_figures, figures_by_component
from sync.kit_model import Organisation
from tests.server.central_helpers import DEMO_VISIT_ID, Central
from tests.server.kit_envelopes import (
    applies,
    build_other_kit,
    kit_envelope,
    kit_judgements,
    with_judgements,
)

PROGRAMME = "Haemoglobin Disorders Peer Review Programme 2026/27"


def approve(c: Central, snapshot_id: str, *, published: bool = False) -> None:
    """Staff's approval of a version, through the service; ``published``: the lead sends its
    final report and staff publish it."""
    c.client("staff").approve(snapshot_id, "Quality Assurance Group", "2027-02-01")
    if published:
        pdf = f"%PDF-1.7 final report of {snapshot_id}".encode()
        sha = hashlib.sha256(pdf).hexdigest()
        lead = c.client("lead")
        lead.push_blob(pdf, sha)
        lead.put_final_report(snapshot_id, {"sha256": sha, "size": len(pdf)}, None)
        c.client("staff").publish(snapshot_id)


def upload_visit(c: Central, tmp_path: Path, trust: str, start: str) -> str:
    orgs = demo_visit().organisations
    organisations = (Organisation(orgs[0].id, trust, orgs[0].role), orgs[1])
    path = tmp_path / f"{uuid.uuid4().hex}.rvkit"
    visit = build_other_kit(
        path,
        title=f"Review of {trust}",
        organisations=organisations,
        start_date=start,
        end_date=start,
    )
    staff = c.client("staff")
    kit = staff.upload_kit(path)
    staff.assign(kit["kit_id"], "lead", "m-lead")
    return visit.visit_id


def finding(category: str, component: str, number: int, text: str) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "component": component,
        "category": category,
        "number": number,
        "text": text,
        "refs": ["HN-101"],
        "photos": [],
    }


def submit(
    c: Central,
    visit_id: str,
    compliance: list[dict[str, Any]],
    *,
    findings: list[dict[str, Any]] = (),  # type: ignore[assignment]
    risks: list[dict[str, Any]] = (),  # type: ignore[assignment]
    state: str | None = "accepted",
    version: int = 1,
    supersedes: str | None = None,
) -> str:
    """A finalised version of the visit (judged as ``compliance`` says), set to ``state``."""
    envelope = kit_envelope(compliance, visit_id=visit_id, version=version, supersedes=supersedes)
    envelope["findings"]["findings"] = list(findings)
    envelope["findings"]["immediate_risks"] = list(risks)
    envelope = with_judgements(envelope, envelope["findings"]["team_judgements"])
    c.client("lead").submit(envelope)
    if state is not None:
        c.client("staff").set_state(envelope["snapshot_id"], state)
    return str(envelope["snapshot_id"])


def escalation(f: dict[str, Any], status: str = "escalated") -> dict[str, Any]:
    return {
        "finding_id": f["id"],
        "status": status,
        "escalated_to": "Chief Executive and ICB Chief Nurse",
        "escalated_at": "2026-12-03",
        "escalated_how": "phone",
        "confirmation_due": "2026-12-07",
        "confirmation_sent": "2026-12-05" if status == "confirmed" else "",
    }


@pytest.fixture
def programme(demo_central: Central, tmp_path: Path) -> dict[str, Any]:
    """Five visits: three that count (accepted, approved, published), one still received, one
    whose newer version was rejected (its accepted first version counts)."""
    c = demo_central
    ids = {
        "northgate": upload_visit(c, tmp_path, "Northgate Hospitals NHS Trust", "2026-10-01"),
        "eastmoor": upload_visit(c, tmp_path, "Eastmoor NHS Foundation Trust", "2026-11-05"),
        "westfield": upload_visit(c, tmp_path, "Westfield Health NHS Trust", "2026-11-20"),
        "southdale": upload_visit(c, tmp_path, "Southdale NHS Trust", "2026-09-10"),
    }
    risk = finding("immediate_risk", "shc", 1, "No paediatric consultant cover at night.")
    concern = finding("serious_concern", "lht", 1, "Transfusion records incomplete.")
    good = finding("good_practice", "shc", 1, "Psychology drop-in clinic run with patients.")
    unapproved_risk = finding("immediate_risk", "shc", 1, "Broken alarm on ward 4.")
    figures = {
        "demo": [{"component": "shc", "applicable": 10, "met": 7}],
        "northgate": [
            {"component": "shc", "applicable": 20, "met": 15},
            {"component": "lht", "applicable": 8, "met": 2},
        ],
        "eastmoor": [{"component": "comm", "applicable": 3, "met": 1}],
        "southdale": [{"component": "shc", "applicable": 12, "met": 12}],
    }
    snaps = {
        "demo": submit(c, DEMO_VISIT_ID, figures["demo"], findings=[good]),
        "northgate": submit(
            c,
            ids["northgate"],
            figures["northgate"],
            findings=[risk, concern],
            risks=[escalation(risk, "confirmed")],
        ),
        "eastmoor": submit(
            c,
            ids["eastmoor"],
            figures["eastmoor"],
            findings=[unapproved_risk],
            risks=[escalation(unapproved_risk)],
        ),
        "westfield": submit(
            c, ids["westfield"], [{"component": "shc", "applicable": 5, "met": 0}], state=None
        ),
    }
    first = submit(c, ids["southdale"], figures["southdale"])
    second = submit(
        c,
        ids["southdale"],
        [{"component": "shc", "applicable": 12, "met": 0}],
        version=2,
        supersedes=first,
        state="rejected",
    )
    snaps["southdale"], snaps["southdale_rejected"] = first, second
    approve(c, snaps["northgate"])
    approve(c, snaps["demo"], published=True)
    return {"ids": {**ids, "demo": DEMO_VISIT_ID}, "snaps": snaps, "figures": figures}


def test_overview_figures_are_each_visits_own(
    demo_central: Central, programme: dict[str, Any]
) -> None:
    data = demo_central.client("staff").programme_overview(PROGRAMME)
    ids = programme["ids"]
    by_id = {v["visit_id"]: v for v in data["visits"]}
    # The received visit is left out; the one whose v2 was rejected counts by its v1.
    assert set(by_id) == {ids["demo"], ids["northgate"], ids["eastmoor"], ids["southdale"]}
    assert by_id[ids["southdale"]]["version"] == 1
    assert by_id[ids["demo"]]["state"] == "published"
    assert by_id[ids["demo"]]["published_at"] is not None
    assert by_id[ids["northgate"]]["state"] == "approved"
    assert by_id[ids["eastmoor"]]["state"] == "accepted"
    assert [v["start_date"] for v in data["visits"]] == sorted(
        v["start_date"] for v in data["visits"]
    )

    # Each column is the visit's own compliance (sync.compliance over its judgements), which
    # the tests' judgements were made to give.
    standards = demo_standards()
    components = [(c.id, c.name) for c in demo_visit().components]
    for name, rows in programme["figures"].items():
        visit_id = ids[name]
        own = {
            f.component: f
            for f in figures_by_component(
                components,
                [
                    (j["component"], j["value"])
                    for j in kit_judgements(rows, standards)
                    if j["value"] != "not_applicable"
                ]
                + [
                    (comp, "")  # not judged: not yet assessed
                    for comp, _n in components
                    if comp not in {r["component"] for r in rows}
                    for _ref in applies(standards, comp)
                ],
            )
        }
        columns = [c for c in data["columns"] if c["visit_id"] == visit_id]
        assert [c["component"] for c in columns] == [c for c, _n in components]
        for column in columns:
            f = own[column["component"]]
            assert (column["applicable"], column["met"], column["percent_met"]) == (
                f.applicable,
                f.met,
                f.percent,
            )
        for row in rows:
            column = next(c for c in columns if c["component"] == row["component"])
            assert (column["applicable"], column["met"]) == (row["applicable"], row["met"])

    # The same figures as the comparative overview of those components.
    compared = demo_central.client("staff").overview(PROGRAMME)
    northgate = next(
        r
        for r in compared
        if r["organisation"] == "Northgate Hospitals NHS Trust"
        and r["component"] == "Local Haemoglobinopathy Team"
    )
    column = next(
        c for c in data["columns"] if c["visit_id"] == ids["northgate"] and c["component"] == "lht"
    )
    assert (northgate["applicable"], northgate["met"]) == (column["applicable"], column["met"])
    assert northgate["percent_met"] == str(column["percent_met"])


def test_standards_organisations_and_themes(
    demo_central: Central, programme: dict[str, Any]
) -> None:
    data = demo_central.client("staff").programme_overview(PROGRAMME)
    ids = programme["ids"]
    columns = data["columns"]
    first_shc = applies(demo_standards(), "shc")[0]
    row = next(r for r in data["standards"] if r["ref"] == first_shc)
    shc = [i for i, c in enumerate(columns) if c["component"] == "shc"]
    # Met in every visit that judged shc (each met its first standards); Eastmoor judged only
    # commissioning, so its centre has it not yet assessed: applicable, not met.
    judged = {columns[i]["visit_id"]: row["cells"][i] for i in shc}
    assert judged == {
        ids["demo"]: "met",
        ids["northgate"]: "met",
        ids["southdale"]: "met",
        ids["eastmoor"]: "not_assessed",
    }
    # The standard's figures across the programme: sync.compliance over its cells.
    across = component_figures(row["ref"], "", [v for v in row["cells"] if v is not None])
    assert (row["met"], row["applicable"], row["percent_met"]) == (
        across.met,
        across.applicable,
        across.percent,
    )
    assert row["met"] >= 3 and row["applicable"] > row["met"]
    # A standard a component does not have is no cell at all.
    lht_only = set(applies(demo_standards(), "lht")) - set(applies(demo_standards(), "shc"))
    if lht_only:
        r = next(r for r in data["standards"] if r["ref"] == min(lht_only))
        assert all(r["cells"][i] is None for i in shc)
    assert [s for s in data["sections"]] == list(
        dict.fromkeys(r["section"] for r in data["standards"])
    )

    orgs = {o["organisation"]: o for o in data["organisations"]}
    northgate = orgs["Northgate Hospitals NHS Trust"]
    shc_total = len(applies(demo_standards(), "shc"))
    # shc 15 met of 20 judged (the rest N/A), lht 2 of 8: 17 of 28.
    assert (northgate["met"], northgate["applicable"]) == (17, 28)
    assert northgate["percent_met"] == 61
    assert shc_total >= 20

    worst = data["most_not_met"][0]
    assert worst["not_met"] >= 2
    assert all(a["not_met"] >= b["not_met"] for a, b in pairwise(data["most_not_met"]))

    assert [(g["visit_id"], g["text"]) for g in data["good_practice"]] == [
        (ids["demo"], "Psychology drop-in clinic run with patients.")
    ]
    assert data["good_practice"][0]["organisation"] == "Riverside University Hospitals NHS Trust"
    risks = {(r["organisation"], r["category"], r["text"]) for r in data["risks"]}
    assert risks == {
        (
            "Northgate Hospitals NHS Trust",
            "immediate_risk",
            "No paediatric consultant cover at night.",
        ),
        ("Northgate Hospitals NHS Trust", "serious_concern", "Transfusion records incomplete."),
        ("Eastmoor NHS Foundation Trust", "immediate_risk", "Broken alarm on ward 4."),
    }


def test_chosen_visits_and_a_refused_choice(
    demo_central: Central, programme: dict[str, Any]
) -> None:
    staff = demo_central.client("staff")
    ids = programme["ids"]
    chosen = staff.programme_overview(PROGRAMME, [ids["eastmoor"], ids["demo"]])
    assert {v["visit_id"] for v in chosen["visits"]} == {ids["eastmoor"], ids["demo"]}
    assert {c["visit_id"] for c in chosen["columns"]} == {ids["eastmoor"], ids["demo"]}
    with pytest.raises(CentralError) as refused:
        staff.programme_overview(PROGRAMME, [ids["demo"], ids["westfield"]])
    assert refused.value.status == 422
    assert "received" in str(refused.value) and ids["westfield"] in str(refused.value)
    with pytest.raises(CentralError) as unknown:
        staff.programme_overview(PROGRAMME, [str(uuid.uuid4())])
    assert unknown.value.status == 422
    assert staff.programme_overview("No Such Programme")["visits"] == []
    # Requests the database could not take are refused with a sentence.
    with httpx.Client(
        base_url=demo_central.url,
        headers={"Authorization": f"Bearer {demo_central.tokens['staff']}"},
    ) as http:
        for params in (
            {"programme": "P\x00"},
            {"programme": PROGRAMME, "visit": "x" * 65},
            {"programme": PROGRAMME, "visit": "a\x00b"},
            {"programme": ""},
        ):
            r = http.get("/v1/programme/overview", params=params)
            assert r.status_code == 422, params
            assert isinstance(r.json()["detail"], str)


def test_qsg_lists_exactly_the_approved_risks(
    demo_central: Central, programme: dict[str, Any]
) -> None:
    qsg = demo_central.client("staff").qsg(PROGRAMME)
    ids = programme["ids"]
    assert {v["visit_id"] for v in qsg["visits"]} == {ids["demo"], ids["northgate"]}
    items = [(p["organisation"], i) for p in qsg["providers"] for i in p["items"]]
    assert [(org, i["category"], i["text"]) for org, i in items] == [
        (
            "Northgate Hospitals NHS Trust",
            "immediate_risk",
            "No paediatric consultant cover at night.",
        ),
        ("Northgate Hospitals NHS Trust", "serious_concern", "Transfusion records incomplete."),
    ]
    risk = items[0][1]
    assert risk["visit_date"] == "2026-10-01"
    assert risk["escalated_to"] == "Chief Executive and ICB Chief Nurse"
    assert (risk["escalated_at"], risk["escalated_how"]) == ("2026-12-03", "phone")
    assert (risk["confirmation_due"], risk["confirmation_sent"]) == ("2026-12-07", "2026-12-05")
    assert risk["status"] == "confirmed"
    assert (risk["state"], risk["approved_at"], risk["published_at"]) == (
        "approved",
        "2027-02-01",
        None,
    )
    assert items[1][1]["status"] == ""


def test_reviewers_are_refused(demo_central: Central, programme: dict[str, Any]) -> None:
    del programme
    lead = demo_central.client("lead")
    with pytest.raises(CentralError) as refused:
        lead.programme_overview(PROGRAMME)
    assert refused.value.status == 403
    with pytest.raises(CentralError) as refused_qsg:
        lead.qsg(PROGRAMME)
    assert refused_qsg.value.status == 403
