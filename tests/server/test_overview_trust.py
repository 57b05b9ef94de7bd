"""The staff overview trusts nothing a laptop computed, and no one submission can break it
(issue 17, item 3): figures, programme and names come from the stored kit and the submitted team
judgements; an unreadable submission is left out; the CSV never carries a formula."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import update

from reviewer_app.demo.kits import demo_visit
from sync.kit_model import Organisation, VisitDetails
from sync.server.db import submissions
from tests.server.central_helpers import DEMO_VISIT_ID, Central, make_envelope
from tests.server.kit_envelopes import build_other_kit, kit_envelope, with_judgements

PROGRAMME = "Haemoglobin Disorders Peer Review Programme 2026/27"


def rows_by_component(c: Central, **params: str) -> dict[str, dict[str, Any]]:
    return {r["component"]: r for r in c.client("staff").overview(**params)}


def second_visit(c: Central, tmp_path: Path, **changes: Any) -> VisitDetails:
    """Another visit (its own kit), with the lead as its lead too."""
    path = tmp_path / "other.rvkit"
    visit = build_other_kit(path, **changes)
    staff = c.client("staff")
    kit = staff.upload_kit(path)
    staff.assign(kit["kit_id"], "lead", "m-lead")
    return visit


def test_met_never_exceeds_applicable_whatever_the_judgements_say(demo_central: Central) -> None:
    envelope = make_envelope(compliance=[{"component": "comm", "applicable": 4, "met": 9}])
    judgement = {"component": "comm", "value": "met", "rationale": "", "key": False}
    # The kit's three commissioning standards, each judged met five times, and six standards
    # the kit does not have, all met.
    judgements = [
        {**judgement, "ref": ref} for ref in ("HN-901", "HN-902", "HN-903") for _ in range(5)
    ]
    judgements += [{**judgement, "ref": f"HN-99{i}"} for i in range(6)]
    demo_central.client("lead").submit(with_judgements(envelope, judgements))

    rows = rows_by_component(demo_central)
    assert (rows["Commissioning"]["applicable"], rows["Commissioning"]["met"]) == (3, 3)
    assert rows["Commissioning"]["percent_met"] == "100"
    # Components the lead judged nothing of count every standard as not yet assessed.
    centre = rows["Specialist Haemoglobinopathy Centre"]
    assert (centre["applicable"], centre["met"], centre["percent_met"]) == (56, 0, "0")
    assert all(r["met"] <= r["applicable"] for r in rows.values())


def test_programme_and_component_names_come_from_the_stored_kit(demo_central: Central) -> None:
    envelope = kit_envelope([{"component": "shc", "applicable": 10, "met": 7}])
    envelope["findings"]["visit"]["programme"] = "A Programme Of My Own"
    envelope["findings"]["visit"]["components"] = [{"id": "shc", "name": "World's Best Centre"}]
    demo_central.client("lead").submit(
        with_judgements(envelope, envelope["findings"]["team_judgements"])
    )

    rows = rows_by_component(demo_central)
    assert set(rows) == {c.name for c in demo_visit().components}
    assert {r["programme"] for r in rows.values()} == {PROGRAMME}
    centre = rows["Specialist Haemoglobinopathy Centre"]
    assert (centre["applicable"], centre["met"], centre["percent_met"]) == (10, 7, "70")
    assert rows_by_component(demo_central, programme="A Programme Of My Own") == {}
    assert len(rows_by_component(demo_central, programme=PROGRAMME)) == 3


def test_an_unreadable_stored_submission_does_not_break_the_overview(
    demo_central: Central, tmp_path: Path
) -> None:
    c = demo_central
    other = second_visit(c, tmp_path, title="Another review")
    lead = c.client("lead")
    lead.submit(kit_envelope([{"component": "shc", "applicable": 4, "met": 1}]))
    lead.submit(
        kit_envelope([{"component": "lht", "applicable": 8, "met": 6}], visit_id=other.visit_id)
    )
    # What an older release accepted (or a hand-edited database holds) for the demo visit.
    poisoned = {"findings": {"visit": 5, "team_judgements": "lots", "compliance": "lots"}}
    with c.db.write() as conn:
        conn.execute(
            update(submissions)
            .where(submissions.c.visit_id == DEMO_VISIT_ID)
            .values(envelope=json.dumps(poisoned))
        )
    with httpx.Client(
        base_url=c.url, headers={"Authorization": f"Bearer {c.tokens['staff']}"}
    ) as http:
        r = http.get("/v1/overview")
        assert r.status_code == 200
        local = [row for row in r.json() if row["component"] == "Local Haemoglobinopathy Team"]
        assert [(row["visits"], row["applicable"], row["met"]) for row in local] == [(1, 8, 6)]
        csv_response = http.get("/v1/overview", params={"format": "csv"})
        assert csv_response.status_code == 200
        assert len(list(csv.DictReader(io.StringIO(csv_response.text)))) == 3


def test_csv_cells_that_could_be_formulas_are_escaped(
    demo_central: Central, tmp_path: Path
) -> None:
    c = demo_central
    formulas = ['=HYPERLINK("http://example.com","x")', "+1+1", "@SUM(A1:A9)"]
    organisations = tuple(
        Organisation(o.id, name, o.role)
        for o, name in zip(demo_visit().organisations, ["-2+3", "\tTabbed Trust"], strict=True)
    )
    other = second_visit(
        c,
        tmp_path,
        programme="\r=cmd|' /C calc'!A0",
        component_names=formulas,
        organisations=organisations,
    )
    c.client("lead").submit(
        kit_envelope([{"component": "comm", "applicable": 0, "met": 0}], visit_id=other.visit_id)
    )
    # JSON keeps the names as the kit has them; the CSV shows them as text.
    json_rows = c.client("staff").overview()
    assert sorted(r["component"] for r in json_rows) == sorted(formulas)
    table = list(csv.reader(io.StringIO(c.client("staff").overview_csv())))
    cells = [cell for row in table[1:] for cell in row]
    for cell in cells:
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")) or cell == "-", cell
    assert '\'=HYPERLINK("http://example.com","x")' in cells
    assert "'+1+1" in cells and "'@SUM(A1:A9)" in cells
    assert "'-2+3" in cells and "'\tTabbed Trust" in cells
    assert "'\r=cmd|' /C calc'!A0" in cells
    assert "-" in cells  # % met of a component where nothing applies stays "-"
