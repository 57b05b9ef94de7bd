"""Programme staff's window, driven like a person would: from the demo's spreadsheets and
folders to a signed kit that verifies and opens for a reviewer."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QMessageBox

from reviewer_app.app.paths import DEMO_DIR, AppPaths
from reviewer_app.demo.kits import demo_visit
from reviewer_app.staff import library
from reviewer_app.staff.planner import Session
from reviewer_app.visit.workspaces import open_kit
from sync.keys import generate_key
from ui.staff import library as library_ui
from ui.staff import pool as pool_ui
from ui.staff.library_dialogs import ImportChoice, ImportPreviewDialog
from ui.staff.planner import build as build_ui
from ui.staff.planner import provider as provider_ui
from ui.staff.planner import timetable as timetable_ui
from ui.staff.planner.standards import SectionGridModel
from ui.staff.window import StaffWindow

PASSPHRASE = "a long staff passphrase"


def pool_csv(path: Path) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["Name", "Role", "Organisation", "Email", "Training date"])
        for i, m in enumerate(demo_visit().team):
            w.writerow([m.name, m.role, m.organisation, f"reviewer{i}@nhs.net", "12/09/2025"])
    return path


@pytest.fixture
def window(staff_window: StaffWindow) -> StaffWindow:
    return staff_window


def test_build_a_kit_through_the_window(
    qtbot, window, tmp_path, monkeypatch, qtmodeltester, *, screenshot
):
    key = tmp_path / "org_key"
    generate_key(key, PASSPHRASE.encode())

    # 1. The standards library: import the demo spreadsheet (the preview is seen and accepted).
    seen = []

    def accept_preview(_parent, preview, _versions):
        seen.append(preview)
        return ImportChoice("", "Haemoglobin disorders", "V4", "October 2026")

    monkeypatch.setattr(library_ui, "choose_open_file", lambda *_a: DEMO_DIR / "standards.csv")
    monkeypatch.setattr(ImportPreviewDialog, "ask", accept_preview)
    window.nav.setCurrentRow(0)
    window.library.import_button.click()
    qtbot.waitUntil(lambda: window.library.standards_model.rowCount() == 60, timeout=10_000)
    assert seen[0].ok
    qtmodeltester.check(window.library.versions_model)
    qtmodeltester.check(window.library.standards_model)
    # Mark HN-102 as a key standard by ticking it.
    lib = window.library
    row = next(i for i, s in enumerate(lib.standards_model.rows) if s.ref == "HN-102")
    lib.standards_model.setData(
        lib.standards_model.index(row, 0), Qt.CheckState.Checked, Qt.ItemDataRole.CheckStateRole
    )
    qtbot.waitUntil(lambda: "HN-102 is now a key standard" in lib.status.text())
    screenshot(window, "staff_library.png")

    # 2. The reviewer pool, from a contacts spreadsheet.
    monkeypatch.setattr(pool_ui, "choose_open_file", lambda *_a: pool_csv(tmp_path / "pool.csv"))
    window.nav.setCurrentRow(1)
    window.pool.import_button.click()
    qtbot.waitUntil(lambda: window.pool.model.rowCount() == 6, timeout=10_000)
    assert "6 added, 0 updated" in window.pool.status.text()
    qtmodeltester.check(window.pool.model)
    screenshot(window, "staff_pool.png")

    # 3. A new visit plan: details, components.
    window.nav.setCurrentRow(2)
    plans = window.plans
    plans.new_button.click()
    editor = plans.editor
    details = editor.details
    visit = demo_visit()
    for name in ("programme", "title", "network", "venue"):
        box = details.boxes[name]
        box.clear()
        qtbot.keyClicks(box, getattr(visit, name))
    assert details.dates["start_date"].text() == "Not set"
    details.dates["start_date"].setDate(QDate(2026, 12, 3))  # as the calendar pop-up does
    assert editor.plan.start_date == "2026-12-03"
    assert editor.plan.end_date == "2026-12-03"  # a one-day visit until staff say otherwise
    for c in visit.components:
        details.components.add()
        m = details.components.model
        m.setData(m.index(m.rowCount() - 1, 0), c.id)
        m.setData(m.index(m.rowCount() - 1, 1), c.name)
    assert [c.id for c in editor.plan.components] == ["shc", "lht", "comm"]
    qtmodeltester.check(details.components.model)
    screenshot(window, "staff_plan_details.png")

    # 4. Standards: choose the set; the Network section applies to the local team too.
    editor.setCurrentWidget(editor.standards_tab)
    tab = editor.standards_tab
    tab.set_box.setCurrentIndex(1)
    qtbot.waitUntil(lambda: editor.standards is not None and tab.grid_model.rowCount() == 9)
    qtmodeltester.check(tab.grid_model)
    network = editor.standards.sections.index("Network")
    cell = tab.grid_model.index(network, 1)
    before = tab.grid_model.data(cell, Qt.ItemDataRole.CheckStateRole)
    tab.grid_model.setData(cell, Qt.CheckState.Checked, Qt.ItemDataRole.CheckStateRole)
    assert tab.grid_model.data(cell, Qt.ItemDataRole.CheckStateRole) != before
    tab.grid.setCurrentIndex(tab.grid_model.index(0, 0))
    qtmodeltester.check(tab.standards_model)
    screenshot(window, "staff_plan_standards.png")

    # 5. The team from the pool, with the consultant haematologist as lead, in two sub-teams.
    editor.setCurrentWidget(editor.team)
    team = editor.team
    while team.pool_model.rowCount():
        team.pool_view.selectRow(0)
        team.add_button.click()
    assert len(editor.plan.team) == 6 and editor.plan.team[0].lead
    for i, m in enumerate(visit.team):
        team.team_model.setData(team.team_model.index(i, 4), m.subteam)
    team.team_model.setData(
        team.team_model.index(1, 0), Qt.CheckState.Checked, Qt.ItemDataRole.CheckStateRole
    )
    assert [m.lead for m in editor.plan.team] == [False, True, False, False, False, False]
    team.team_model.setData(
        team.team_model.index(0, 0), Qt.CheckState.Checked, Qt.ItemDataRole.CheckStateRole
    )
    qtmodeltester.check(team.team_model)
    screenshot(window, "staff_plan_team.png")

    # 6. The timetable: the demo's sessions by sub-team; one clash is shown, then fixed.
    editor.setCurrentWidget(editor.timetable)
    sessions = iter(
        [
            Session(
                "s01", "2026-12-03", "09:00", "10:00", "Meeting with nurses", "Room 4", subteam="A"
            ),
            Session(
                "s02", "2026-12-03", "09:30", "10:30", "Tour of the day unit", "Room 4", subteam="B"
            ),
        ]
    )
    monkeypatch.setattr(timetable_ui.SessionDialog, "ask", lambda *_a: next(sessions))
    editor.timetable.add_button.click()
    editor.timetable.add_button.click()
    tt = editor.timetable
    assert tt.model.data(tt.model.index(1, 8)) == "room clash"
    assert tt.clash_list.count() == 1
    qtmodeltester.check(tt.model)
    screenshot(window, "staff_plan_timetable_clash.png")
    tt.model.setData(tt.model.index(1, 4), "Day unit")
    assert tt.clash_list.count() == 0 and tt.model.data(tt.model.index(1, 8)) == ""

    # 7. Evidence from the demo folder; the self-assessment template out and back.
    editor.setCurrentWidget(editor.provider)
    prov = editor.provider
    monkeypatch.setattr(provider_ui, "choose_folder", lambda *_a: DEMO_DIR / "evidence")
    prov.add_folder_button.click()
    qtbot.waitUntil(lambda: prov.ev_model.rowCount() == 6, timeout=10_000)
    template = tmp_path / "template.xlsx"
    monkeypatch.setattr(provider_ui, "choose_save_file", lambda *_a: template)
    prov.export_button.click()
    qtbot.waitUntil(lambda: "rows to" in prov.status.text(), timeout=10_000)
    from openpyxl import load_workbook

    book = load_workbook(template)
    sheet = book.active
    sheet["D2"], sheet["E2"], sheet["F2"] = "Met", "Leaflet given at first visit", "E001"
    book.save(tmp_path / "filled.xlsx")
    monkeypatch.setattr(provider_ui, "choose_open_file", lambda *_a: tmp_path / "filled.xlsx")
    prov.import_button.click()
    qtbot.waitUntil(lambda: len(editor.plan.self_assessment) == 1, timeout=10_000)
    qtmodeltester.check(prov.ev_model)
    screenshot(window, "staff_plan_provider.png")

    # 8. Build and sign with the passphrase-protected key file.
    editor.setCurrentWidget(editor.build)
    b = editor.build
    qtbot.waitUntil(lambda: not b.checking, timeout=10_000)  # checked on the staff worker
    assert b.build_button.isEnabled(), [c.message for c in b.checks]
    assert not b.publish_button.isEnabled() and "Build the kit first" in b.publish_button.toolTip()
    b.key_path.setText(str(key))
    out = tmp_path / "out" / "riverside.rvkit"
    monkeypatch.setattr(build_ui, "choose_save_file", lambda *_a: out)
    monkeypatch.setattr(build_ui.PassphraseDialog, "ask", lambda *_a: "not the passphrase")
    b.build_button.click()
    qtbot.waitUntil(
        lambda: any("Wrong passphrase" in box.text() for box in window.findChildren(QMessageBox)),
        timeout=10_000,
    )
    assert not out.exists()
    for box in window.findChildren(QMessageBox):
        box.close()
    monkeypatch.setattr(build_ui.PassphraseDialog, "ask", lambda *_a: PASSPHRASE)
    b.build_button.click()
    qtbot.waitUntil(lambda: b.history.count() == 1, timeout=30_000)
    assert out.is_file() and "Built and signed" in b.result.text()
    assert b.publish_button.isEnabled()  # the newest kit can now go to the central service
    # The plan was saved as it was edited: the list names it by its title and date.
    qtbot.waitUntil(lambda: plans.model.data(plans.model.index(0, 1)) == visit.title)
    assert plans.model.data(plans.model.index(0, 0)) == "2026-12-03"
    screenshot(window, "staff_plan_build.png")

    # The kit verifies on the command line and opens for a reviewer, with what staff chose.
    env = dict(os.environ)
    cli = [sys.executable, "-m", "reviewer_app"]
    subprocess.run([*cli, "keys", "trust", f"{key}.pub"], env=env, check=True, capture_output=True)
    verified = subprocess.run(
        [*cli, "kit", "verify", str(out)], env=env, check=False, capture_output=True, text=True
    )
    assert verified.returncode == 0, verified.stderr
    assert f"visit {editor.plan.visit_id}" in verified.stdout
    lead = editor.plan.lead
    assert lead is not None and lead.name == visit.lead.name  # type: ignore[union-attr]
    opened = open_kit(out, lead.member_id, paths=AppPaths.from_environment())
    assert opened.visit_id == editor.plan.visit_id


def test_import_preview_lists_row_problems(screenshot, qtbot, tmp_path) -> None:
    bad = tmp_path / "standards.csv"
    bad.write_text(
        "Ref,Section,Title,Requirement,Key\nA-1,Staffing,Nurses,Enough nurses,maybe\n"
        ",Staffing,Doctors,A consultant,Y\n",
        encoding="utf-8",
    )
    dialog = ImportPreviewDialog(None, library.preview(bad), [])
    qtbot.addWidget(dialog)
    dialog.show()
    assert not dialog.ok_button.isEnabled()
    assert dialog.problems.count() == 2
    assert dialog.problems.item(0).text().startswith('standards.csv, row 2, column "Key"')
    screenshot(dialog, "staff_import_problems.png")
    good = ImportPreviewDialog(None, library.preview(DEMO_DIR / "standards.csv"), [])
    qtbot.addWidget(good)
    good.show()
    assert not good.ok_button.isEnabled()  # no version label yet
    qtbot.keyClicks(good.version, "V4")
    assert good.ok_button.isEnabled()
    screenshot(good, "staff_import_preview.png")


def test_compare_dialog_shows_word_changes(
    screenshot, qtbot, window, tmp_path, monkeypatch
) -> None:
    header = "Ref,Section,Title,Requirement\n"
    v1 = tmp_path / "v1.csv"
    v1.write_text(
        header + "Q-1,Staffing,Nurses,Enough nurses on every shift.\n"
        "Q-2,Staffing,Doctors,A consultant leads.\n",
        encoding="utf-8",
    )
    v2 = tmp_path / "v2.csv"
    v2.write_text(
        header + "Q-1,Staffing,Nurses,Enough trained nurses on every shift.\n"
        "Q-3,Governance,Audit,Yearly audit.\n",
        encoding="utf-8",
    )
    files = iter([v1, v2])
    monkeypatch.setattr(library_ui, "choose_open_file", lambda *_a: next(files))
    versions = iter(["1", "2"])
    monkeypatch.setattr(
        ImportPreviewDialog, "ask", lambda *_a: ImportChoice("", "QS", next(versions), "")
    )
    window.nav.setCurrentRow(0)
    window.library.import_button.click()
    qtbot.waitUntil(lambda: window.library.versions_model.rowCount() == 1)
    window.library.import_button.click()
    qtbot.waitUntil(lambda: window.library.versions_model.rowCount() == 2)
    window.library.compare()
    dialog = window.library.compare_dialog
    qtbot.waitUntil(lambda: "1 added, 1 removed, 1 reworded" in dialog.view.toPlainText())
    assert "trained" in dialog.view.toHtml()
    screenshot(dialog, "staff_compare.png")
    dialog.close()


def test_section_grid_model_without_a_plan(qtmodeltester) -> None:
    qtmodeltester.check(SectionGridModel())


def test_start_screen_leads_to_staff_and_back(screenshot, qtbot) -> None:
    from ui.app import AppController

    controller = AppController(AppPaths.from_environment())
    try:
        controller.start()
        screen = controller.start_screen
        assert screen.staff_button.isVisible()
        screenshot(screen, "staff_start_screen.png")
        screen.staff_button.click()
        assert isinstance(controller.window, StaffWindow)
        controller.window.back_requested.emit()
        assert screen.isVisible() and controller.window is None
    finally:
        controller.shutdown()


def test_reissued_kit_changes_are_shown_once(screenshot, qtbot, session) -> None:
    from PySide6.QtWidgets import QWidget

    from reviewer_app.visit.kit_changes import PENDING_KEY, KitChanges
    from ui.kit_changes import show_kit_changes_once

    changes = KitChanges(
        "kit-2",
        standards_added=("HN-110 Transition clinic",),
        standards_reworded=("HN-101 Service information (requirement changed)",),
        sessions_changed=(
            "2026-12-03 11:30-12:30 Meeting with patients and carers: moved "
            "from 2026-12-03 11:15-12:15",
        ),
    )
    session.worker.submit(lambda ws: ws.set_local(PENDING_KEY, changes.to_dict())).result()
    host = QWidget()
    qtbot.addWidget(host)
    host.show()
    show_kit_changes_once(host, session)
    qtbot.waitUntil(lambda: host.property("kit_changes_dialog") is not None)
    dialog = host.property("kit_changes_dialog")
    assert "HN-110 Transition clinic" in dialog.view.toPlainText()
    assert "moved from 2026-12-03 11:15-12:15" in dialog.view.toPlainText()
    screenshot(dialog, "staff_kit_changes.png")
    dialog.close()
    from reviewer_app.visit.kit_changes import take_pending

    assert session.worker.submit(take_pending).result() is None  # shown once, then gone


def test_import_preview_says_what_is_worth_checking(qtbot, tmp_path) -> None:
    """A cross-reference to a standard the file does not hold is worth a look, not a refusal."""
    good = tmp_path / "standards.csv"
    good.write_text(
        "Ref,Section,Title,Requirement\nHN-101,Staffing,Nurses,Enough nurses (see HN-199).\n"
        "HN-102,Staffing,Doctors,A consultant; see HN-101.\n",
        encoding="utf-8",
    )
    preview = library.preview(good)
    said = 'HN-101 says "see HN-199", but HN-199 is not one of these standards'
    assert not preview.problems and len(preview.warnings) == 1  # "see HN-101" is fine
    dialog = ImportPreviewDialog(None, preview, [])
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.warnings.isVisible() and dialog.warnings.text().startswith(said)
    qtbot.keyClicks(dialog.version, "V1")
    assert dialog.ok_button.isEnabled()  # a warning never stops the import
