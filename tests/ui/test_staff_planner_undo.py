"""Undo and redo in the visit planner: every edit of a plan is a named command, Ctrl+Z and
Ctrl+Shift+Z take it back and bring it back whichever tab is showing, the Edit menu names the
change, and the plan is saved as it stands after each, as staff would find it on reopening."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from reviewer_app.app.paths import DEMO_DIR, AppPaths
from reviewer_app.demo.kits import demo_visit
from reviewer_app.staff import library
from reviewer_app.staff.planner import VisitPlan, load_plan, save_plan
from ui.staff import confirm
from ui.staff.window import StaffWindow

CTRL = Qt.KeyboardModifier.ControlModifier
CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


@pytest.fixture
def window(qtbot):
    w = StaffWindow(AppPaths.from_environment())
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow)
    yield w
    w.close()


def open_plans(qtbot, window: StaffWindow, *plans: VisitPlan) -> None:
    for plan in plans:
        window.ctx.store(save_plan, plan).result()
    window.nav.setCurrentRow(2)
    window.plans.refresh()
    qtbot.waitUntil(lambda: window.plans.model.rowCount() == len(plans))


def choose(qtbot, window: StaffWindow, plan: VisitPlan) -> None:
    """Open ``plan`` from the list on the left, as staff would click it."""
    plans = window.plans
    row = next(i for i, p in enumerate(plans.plans) if p["id"] == plan.plan_id)
    plans.list_view.selectRow(row)
    qtbot.waitUntil(lambda: plans.editor.plan.plan_id == plan.plan_id)
    qtbot.waitUntil(lambda: plans.editor.details.boxes["title"].text() != "")


def press(qtbot, widget: QWidget, modifiers: Qt.KeyboardModifier) -> None:
    """Ctrl+Z (or Ctrl+Shift+Z) with the keyboard on ``widget``, not in a text box."""
    widget.setFocus()
    qtbot.waitUntil(widget.hasFocus)
    qtbot.keyClick(widget, Qt.Key.Key_Z, modifiers)


def stored(window: StaffWindow, plan_id: str) -> dict:
    return window.ctx.store(load_plan, plan_id).result().to_dict()


def test_two_tabs_undone_by_keyboard_saved_and_redone(qtbot, window):
    riverside = VisitPlan.from_visit(demo_visit())
    riverside.start_date = "2026-12-03"
    northfield = VisitPlan.new("Northfield review")
    original = riverside.to_dict()
    open_plans(qtbot, window, riverside, northfield)
    choose(qtbot, window, riverside)
    editor = window.plans.editor
    assert not window.undo_action.isEnabled() and window.undo_action.text() == "&Undo"

    # Visit details: the title typed (one edit however many keys); then the team: one removed.
    editor.setCurrentWidget(editor.details)
    title = editor.details.boxes["title"]
    title.setFocus()
    title.end(False)
    qtbot.keyClicks(title, " (re-issue)")
    assert editor.plan.title == f"{riverside.title} (re-issue)"
    assert window.undo_action.text() == "&Undo Change the visit's title"
    editor.setCurrentWidget(editor.team)
    team = editor.team
    gone = riverside.team[2]
    team.team_view.selectRow(2)
    team.remove_button.click()
    assert gone.member_id not in [m.member_id for m in editor.plan.team]
    assert window.undo_action.text() == f"&Undo Remove reviewer {gone.name}"
    edited = editor.plan.to_dict()
    qtbot.waitUntil(lambda: stored(window, riverside.plan_id) == edited)

    # Undo from another tab: the change is undone and its tab shown.
    editor.setCurrentWidget(editor.build)
    press(qtbot, editor.tabBar(), CTRL)
    assert editor.currentWidget() is team
    assert team.team_model.rowCount() == len(riverside.team)
    assert window.undo_action.text() == "&Undo Change the visit's title"
    assert window.redo_action.text() == f"&Redo Remove reviewer {gone.name}"
    press(qtbot, editor.tabBar(), CTRL)
    assert editor.currentWidget() is editor.details
    assert title.text() == riverside.title
    assert editor.plan.to_dict() == original
    assert not window.undo_action.isEnabled()
    assert window.redo_action.text() == "&Redo Change the visit's title"
    qtbot.waitUntil(lambda: stored(window, riverside.plan_id) == original)

    # Redo brings both back, and that is saved too.
    press(qtbot, editor.tabBar(), CTRL_SHIFT)
    press(qtbot, editor.tabBar(), CTRL_SHIFT)
    assert editor.currentWidget() is team and team.team_model.rowCount() == len(edited["team"])
    assert editor.plan.to_dict() == edited
    assert not window.redo_action.isEnabled()
    assert window.undo_action.text() == f"&Undo Remove reviewer {gone.name}"
    qtbot.waitUntil(lambda: stored(window, riverside.plan_id) == edited)

    # Undone again, then another plan opened: its edits cannot be undone, and on reopening
    # the plan is as it was before any of this.
    window.undo_action.trigger()
    window.undo_action.trigger()
    choose(qtbot, window, northfield)
    assert not window.undo_action.isEnabled() and window.undo_action.text() == "&Undo"
    assert not window.redo_action.isEnabled()
    choose(qtbot, window, riverside)
    assert editor.details.boxes["title"].text() == riverside.title
    editor.setCurrentWidget(editor.team)
    assert team.team_model.rowCount() == len(riverside.team)
    assert stored(window, riverside.plan_id) == original


def test_undo_is_for_the_plans_page_only(qtbot, window, monkeypatch):
    plan = VisitPlan.from_visit(demo_visit())
    open_plans(qtbot, window, plan)
    choose(qtbot, window, plan)
    editor = window.plans.editor
    editor.setCurrentWidget(editor.timetable)
    timetable = editor.timetable
    first = timetable.model.rows[0]
    timetable.view.selectRow(0)
    timetable.remove_button.click()
    assert window.undo_action.text().startswith(f"&Undo Remove the session {first.title}")
    window.nav.setCurrentRow(0)  # the standards library: Ctrl+Z must not change a plan unseen
    assert not window.undo_action.isEnabled()
    press(qtbot, window.library, CTRL)
    assert first.id not in [s.id for s in editor.plan.timetable]
    window.nav.setCurrentRow(2)
    assert window.undo_action.isEnabled()
    press(qtbot, timetable.view, CTRL)
    assert first.id in [s.id for s in editor.plan.timetable]
    assert timetable.model.rowCount() == len(plan.timetable)
    # A deleted plan's edits go with it: an undo must not save it back.
    timetable.view.selectRow(0)
    timetable.remove_button.click()
    monkeypatch.setattr(confirm.ConfirmDialog, "ask", lambda *_a: True)
    window.plans.list_view.selectRow(0)
    window.plans.delete_button.click()
    qtbot.waitUntil(lambda: window.plans.model.rowCount() == 0)
    assert not window.undo_action.isEnabled() and not window.redo_action.isEnabled()


def test_undoing_the_standards_set_forgets_it_and_its_ticks(qtbot, window):
    from sync.standards_import import read_standards

    standards = read_standards(DEMO_DIR / "standards.csv")
    window.ctx.store(
        lambda store: library.save_version(store, standards, title="HD", version="V4")
    ).result()
    window.library.refresh()
    plan = VisitPlan.from_visit(demo_visit())
    open_plans(qtbot, window, plan)
    choose(qtbot, window, plan)
    editor = window.plans.editor
    qtbot.waitUntil(lambda: len(editor.versions) == 1)
    editor.setCurrentWidget(editor.standards_tab)
    tab = editor.standards_tab
    tab.set_box.setCurrentIndex(1)
    qtbot.waitUntil(lambda: editor.standards is not None and tab.grid_model.rowCount() == 9)
    assert window.undo_action.text() == f"&Undo Choose the standards set {editor.versions[0].label}"
    network = editor.standards.sections.index("Network")
    cell = tab.grid_model.index(network, 1)
    before = tab.grid_model.data(cell, Qt.ItemDataRole.CheckStateRole)
    tab.grid_model.setData(cell, Qt.CheckState.Checked, Qt.ItemDataRole.CheckStateRole)
    local = plan.components[1].name
    assert window.undo_action.text() == f"&Undo Apply the Network section to {local}"
    window.undo_action.trigger()
    assert tab.grid_model.data(cell, Qt.ItemDataRole.CheckStateRole) == before
    assert editor.plan.section_rules == {}
    window.undo_action.trigger()
    qtbot.waitUntil(lambda: editor.standards is None)
    assert editor.plan.standards_version is None
    assert tab.set_box.currentIndex() == 0
    assert "Choose the standards set" in tab.summary.text()
    window.redo_action.trigger()
    qtbot.waitUntil(lambda: editor.standards is not None and tab.grid_model.rowCount() == 9)
    assert tab.set_box.currentIndex() == 1


def test_an_undo_snapshot_shares_nothing_an_edit_can_change():
    """Undo keeps copies of the plan: an edit of the open plan must never reach one."""
    from dataclasses import fields

    from reviewer_app.staff.planner import EvidenceItem

    plan = VisitPlan.from_visit(demo_visit())
    plan.section_rules = {"Network": ["shc"]}
    plan.exceptions = {"HN-101": ["lht"]}
    plan.evidence = [EvidenceItem("E001", "Leaflet", "/docs/leaflet.pdf", ["HN-101"])]
    plan.central_users = {"m-lead": "asha"}
    # A new field of the plan needs a look at VisitPlan.copy (copied, or frozen and shared).
    assert len(fields(VisitPlan)) == 19
    snapshot = plan.copy()
    kept = snapshot.to_dict()
    assert snapshot == plan and kept == plan.to_dict()
    plan.team[0].subteam = "Z"
    plan.set_lead(plan.team[1].member_id)
    plan.section_rules["Network"].append("lht")
    plan.exceptions["HN-101"].append("shc")
    plan.evidence[0].standards.append("HN-102")
    plan.evidence[0].title = "Another"
    plan.central_users["m-cns"] = "cns"
    for name in ("organisations", "sites", "components", "timetable", "self_assessment"):
        getattr(plan, name).clear()
    assert snapshot.to_dict() == kept
    plan.become(snapshot)
    assert plan.to_dict() == kept
    plan.team[0].subteam = "Y"  # and what the plan became is a copy too
    assert snapshot.to_dict() == kept
