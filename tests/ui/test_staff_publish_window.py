"""Publishing from the build tab to a real central service (uvicorn on 127.0.0.1): the dialog
names each member's central user, the plan remembers them, the reviewer's client lists the kit;
not signed in, the window says so in one sentence."""

# ruff: noqa: F811  (pytest fixtures imported from tests/server/central_helpers.py)
from __future__ import annotations

from pathlib import Path

import pytest
from helpers import Screenshot
from PySide6.QtWidgets import QMessageBox

from reviewer_app.app.paths import DEMO_DIR, AppPaths
from reviewer_app.central.service import sign_in
from reviewer_app.demo.kits import demo_visit
from reviewer_app.staff.planner import VisitPlan, load_plan, save_plan
from sync.keys import TrustStore, load_public_key
from sync.kit_reader import verify_kit
from tests.server.central_helpers import Central, central  # noqa: F401 (fixture)
from ui.staff.planner.publish import PublishDialog
from ui.staff.window import StaffWindow


@pytest.fixture
def window(staff_window: StaffWindow) -> StaffWindow:
    return staff_window


def plan_with_a_kit(window: StaffWindow, kit: Path) -> VisitPlan:
    """The demo visit as a plan, with the demo kit logged as built from it (as a build does)."""
    plan = VisitPlan.from_visit(demo_visit())
    manifest = verify_kit(kit, trust=TrustStore.of([load_public_key(DEMO_DIR / "demo_key.pub")]))
    pem = (DEMO_DIR / "demo_key.pub").read_text("ascii")

    def put(store):
        save_plan(store, plan)
        store.log_kit(
            plan_id=plan.plan_id,
            visit_id=manifest.visit_id,
            kit_id=manifest.kit_id,
            path=str(kit),
            size=kit.stat().st_size,
            key_id=manifest.signing_key_id,
            summary={"public_key": pem},
        )

    window.ctx.store(put).result()
    return plan


def open_build_tab(qtbot, window: StaffWindow, plan: VisitPlan):
    plans = window.plans
    plans.refresh()
    qtbot.waitUntil(lambda: plans.model.rowCount() == 1)
    plans.list_view.selectRow(0)
    qtbot.waitUntil(lambda: plans.editor.plan.plan_id == plan.plan_id)
    plans.editor.setCurrentWidget(plans.editor.build)
    b = plans.editor.build
    qtbot.waitUntil(b.publish_button.isEnabled, timeout=10_000)
    return b


def test_publish_from_the_window(
    qtbot, window, central: Central, demo_kit_file, monkeypatch, *, screenshot: Screenshot
):
    sign_in(AppPaths.from_environment(), central.url, central.tokens["staff"])
    central.user("asha")
    plan = plan_with_a_kit(window, demo_kit_file)
    b = open_build_tab(qtbot, window, plan)
    asked = []

    def name_the_lead(_parent, plan, kit_path):
        asked.append(kit_path)
        return {m.member_id: ("asha" if m.lead else "") for m in plan.team}

    monkeypatch.setattr(PublishDialog, "ask", name_the_lead)
    b.publish_button.click()
    qtbot.waitUntil(lambda: "Published kit" in b.result.text(), timeout=20_000)
    assert asked == [str(demo_kit_file)]
    lead = demo_visit().lead
    assert f"Assigned to 1: {lead.name} as asha." in b.result.text()  # type: ignore[union-attr]
    assert "Not assigned yet (no central user named): " in b.result.text()
    assert b.publish_button.isEnabled() and not b.progress.isVisible()
    screenshot(window, "staff_plan_published.png")
    kits = central.client("asha").list_kits()
    assert [k["member_id"] for k in kits] == ["m-lead"]
    # The plan remembers who is who on the service, for the next re-issue.
    window.plans.editor.save_now()
    qtbot.waitUntil(
        lambda: (
            window.ctx.store(load_plan, plan.plan_id).result().central_users == {"m-lead": "asha"}
        )
    )


def test_publish_when_not_signed_in_says_so(qtbot, window, demo_kit_file, monkeypatch):
    plan = plan_with_a_kit(window, demo_kit_file)
    b = open_build_tab(qtbot, window, plan)
    monkeypatch.setattr(PublishDialog, "ask", lambda *_a: {"m-lead": "asha"})
    b.publish_button.click()
    qtbot.waitUntil(
        lambda: any("Not signed in" in box.text() for box in window.findChildren(QMessageBox)),
        timeout=10_000,
    )
    assert b.result.text() == "The kit was not published."
    assert b.publish_button.isEnabled()


def test_publish_dialog_names_central_users(screenshot, qtbot, qtmodeltester) -> None:
    plan = VisitPlan.from_visit(demo_visit())
    plan.central_users = {"m-cns": "cns.nurse"}
    dialog = PublishDialog(None, plan, "/kits/riverside.rvkit")
    qtbot.addWidget(dialog)
    dialog.show()
    qtmodeltester.check(dialog.model)
    model = dialog.model
    assert model.data(model.index(1, 3)) == "cns.nurse"  # remembered from last time
    assert "1 of 6" in dialog.hint.text()
    assert not model.setData(model.index(0, 3), "two words")
    assert model.setData(model.index(0, 3), "asha")
    assert dialog.users["m-lead"] == "asha" and "2 of 6" in dialog.hint.text()
    screenshot(dialog, "staff_publish_dialog.png")
