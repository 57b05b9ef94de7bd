"""Who may see and send what: roles, assignment, the lead, revoked tokens."""

from __future__ import annotations

import uuid
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from reviewer_app.demo.kits import DEMO_PRIVATE_KEY, demo_standards, demo_visit
from sync.client import CentralRefused
from sync.keys import load_signing_key
from sync.kit_builder import build_kit
from sync.server.accounts import revoke_tokens
from tests.server.central_helpers import DEMO_VISIT_ID, Central, make_envelope

VISIT_B = str(uuid.uuid4())


@pytest.fixture
def two_visits(demo_central: Central, tmp_path: Path) -> Central:
    """Visit A (the demo, lead = "lead") and visit B, whose lead is "lead_b"."""
    kit_b = tmp_path / "b.rvkit"
    build_kit(
        kit_b,
        visit=replace(demo_visit(), visit_id=VISIT_B, title="Visit B"),
        standards=demo_standards(),
        signing_key=load_signing_key(DEMO_PRIVATE_KEY),
        created_by="test",
    )
    staff = demo_central.client("staff")
    kit = staff.upload_kit(kit_b)
    demo_central.user("lead_b")
    staff.assign(kit["kit_id"], "lead_b", "m-lead")
    demo_central.kit_b = kit  # type: ignore[attr-defined]
    return demo_central


def test_a_reviewer_of_visit_a_cannot_reach_visit_b(two_visits: Central, tmp_path: Path) -> None:
    c = two_visits
    lead_a = c.client("lead")
    kit_b = c.kit_b  # type: ignore[attr-defined]
    assert [k["visit_id"] for k in lead_a.list_kits()] == [DEMO_VISIT_ID]
    assert [v["visit_id"] for v in lead_a._json("GET", "/v1/visits")] == [DEMO_VISIT_ID]
    with pytest.raises(CentralRefused) as raised:
        lead_a.download_kit(kit_b["kit_id"], tmp_path / "got-b.rvkit")
    assert raised.value.status == 404
    assert not (tmp_path / "got-b.rvkit").exists()
    with pytest.raises(CentralRefused) as raised:
        lead_a.visit_status(VISIT_B)
    assert raised.value.status == 404
    with pytest.raises(CentralRefused) as raised:
        lead_a.submit(make_envelope(visit_id=VISIT_B))
    assert raised.value.status == 403
    # ... while visit B's own lead can.
    assert c.client("lead_b").submit(make_envelope(visit_id=VISIT_B)).visit_id == VISIT_B
    # Staff see both.
    assert len(c.client("staff").list_kits()) == 2


def test_only_the_lead_submits(demo_central: Central) -> None:
    cns = demo_central.client("cns")
    with pytest.raises(CentralRefused, match="lead") as raised:
        cns.submit(make_envelope())
    assert raised.value.status == 403
    assert cns.visit_status(DEMO_VISIT_ID) == []  # a team member still sees the visit
    with pytest.raises(CentralRefused) as raised:
        demo_central.client("outsider").submit(make_envelope())
    assert raised.value.status == 403
    with pytest.raises(CentralRefused) as raised:
        demo_central.client("staff").submit(make_envelope())
    assert raised.value.status == 403


def test_reviewers_cannot_do_staff_work(demo_central: Central, demo_kit_file: Path) -> None:
    lead = demo_central.client("lead")
    receipt = lead.submit(make_envelope())
    for call in (
        lambda: lead.set_state(receipt.snapshot_id, "accepted"),
        lead.overview,
        lambda: lead.upload_kit(demo_kit_file),
        lambda: lead.assign(demo_central.kit["kit_id"], "lead", "m-lead"),
        lambda: lead.trust_key(b"-----BEGIN PUBLIC KEY-----"),
    ):
        with pytest.raises(CentralRefused) as raised:
            call()
        assert raised.value.status == 403


def test_a_revoked_token_gets_401(demo_central: Central) -> None:
    lead = demo_central.client("lead")
    assert lead.me() == {"name": "lead", "role": "reviewer"}
    assert revoke_tokens(demo_central.db, "lead") == 1
    with pytest.raises(CentralRefused) as raised:
        lead.list_kits()
    assert raised.value.status == 401
    r = httpx.get(demo_central.url + "/v1/kits")
    assert r.status_code == 401 and r.headers["WWW-Authenticate"] == "Bearer"
    r = httpx.get(demo_central.url + "/v1/kits", headers={"Authorization": "Bearer nonsense"})
    assert r.status_code == 401


def test_assigning_checks_the_team(demo_central: Central) -> None:
    staff = demo_central.client("staff")
    with pytest.raises(CentralRefused, match="not in this visit's team"):
        staff.assign(demo_central.kit["kit_id"], "outsider", "m-nobody")
    with pytest.raises(CentralRefused, match="no user"):
        staff.assign(demo_central.kit["kit_id"], "ghost", "m-cns")
