"""The planner screens staff use all day: evidence files looked at off the UI thread, dates from
a calendar, organisations and sites by name, a team table that fits, a plan from visit.json,
and deleting a plan or a standards version only after a question that names it."""

from __future__ import annotations

import pathlib
import threading

import pytest
from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QMessageBox, QStyleOptionViewItem

from reviewer_app.app.paths import DEMO_DIR
from reviewer_app.demo.kits import demo_visit
from reviewer_app.staff import library
from reviewer_app.staff.planner import VisitPlan, save_plan
from reviewer_app.staff.pool import Reviewer
from ui.staff import confirm
from ui.staff.planner import page as page_ui
from ui.staff.planner import provider as provider_ui
from ui.staff.window import StaffWindow


@pytest.fixture
def window(staff_window: StaffWindow) -> StaffWindow:
    return staff_window


def new_plan(qtbot, window):
    window.nav.setCurrentRow(2)
    window.plans.new_button.click()
    qtbot.waitUntil(lambda: window.plans.model.rowCount() == 1)
    return window.plans.editor


def messages(window) -> list[str]:
    return [box.text() for box in window.findChildren(QMessageBox) if box.isVisible()]


def test_evidence_files_are_looked_at_off_the_ui_thread(qtbot, window, tmp_path, monkeypatch):
    folder = tmp_path / "evidence"
    folder.mkdir()
    files = []
    for i in range(40):
        f = folder / f"policy_{i:02d}.pdf"
        f.write_bytes(b"%PDF-1.4 " + b"x" * (1000 + i))
        files.append(f)
    on_ui_thread: list[str] = []
    for name in ("stat", "is_file", "resolve", "exists"):
        original = getattr(pathlib.Path, name)

        def spy(self, *args, _original=original, _name=name, **kwargs):
            if threading.current_thread() is threading.main_thread() and str(self).startswith(
                str(folder)
            ):
                on_ui_thread.append(f"{_name} {self}")
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(pathlib.Path, name, spy)
    editor = new_plan(qtbot, window)
    editor.setCurrentWidget(editor.provider)
    prov = editor.provider
    monkeypatch.setattr(provider_ui, "choose_open_files", lambda *_a: files)
    prov.add_files_button.click()
    qtbot.waitUntil(lambda: prov.ev_model.rowCount() == 40)
    qtbot.waitUntil(lambda: "40 documents, 40.2 KB." in prov.status.text())
    assert prov.status.text().startswith("Added 40 documents.")
    assert not prov.busy.isVisible()
    files[3].unlink()
    editor.setCurrentWidget(editor.build)
    qtbot.waitUntil(lambda: not editor.build.checking)
    checks = [c.message for c in editor.build.checks]
    assert any("policy_03.pdf is missing" in m for m in checks)
    assert "40 evidence documents" in editor.build.summary.text()
    editor.setCurrentWidget(editor.provider)
    qtbot.waitUntil(lambda: "1 files are missing" in prov.status.text())
    assert prov.ev_model.data(prov.ev_model.index(3, 2)) == "MISSING"
    # Adding the same files again adds nothing.
    prov.add_files_button.click()
    qtbot.waitUntil(lambda: "already in the plan" in prov.status.text())
    assert prov.ev_model.rowCount() == 40
    assert on_ui_thread == []


def test_details_by_name_and_dates_from_a_calendar(screenshot, qtbot, window, qtmodeltester):
    editor = new_plan(qtbot, window)
    details = editor.details
    start, end = details.dates["start_date"], details.dates["end_date"]
    assert start.calendarPopup() and start.text() == "Not set"
    start.setDate(QDate(2026, 12, 3))
    assert (editor.plan.start_date, editor.plan.end_date) == ("2026-12-03", "2026-12-03")
    end.setDate(QDate(2026, 12, 4))
    assert editor.plan.end_date == "2026-12-04"
    end.setDate(QDate(2026, 12, 1))
    assert "before the first day" in details.status.text()
    end.setDate(QDate(2026, 12, 4))

    orgs, sites, comps = details.organisations, details.sites, details.components
    for name in ("Riverside University Hospitals NHS Trust", "Northfield Community Trust"):
        orgs.add()
        orgs.model.setData(orgs.model.index(orgs.model.rowCount() - 1, 0), name)
    assert [o.name for o in editor.plan.organisations][1] == "Northfield Community Trust"
    assert orgs.model.columnCount() == 1  # no ids to type
    sites.add()
    sites.model.setData(sites.model.index(0, 0), "Riverside General Hospital")
    sites.model.setData(sites.model.index(0, 2), "Specialist centre")
    # The site chooses its organisation by name, from a combo box.
    index = sites.model.index(0, 1)
    delegate = sites.view.itemDelegateForColumn(1)
    combo = delegate.createEditor(sites.view.viewport(), QStyleOptionViewItem(), index)
    assert [combo.itemText(i) for i in range(combo.count())] == [
        "(none)",
        "Riverside University Hospitals NHS Trust",
        "Northfield Community Trust",
    ]
    combo.setCurrentIndex(1)
    delegate.setModelData(combo, sites.model, index)
    riverside = editor.plan.organisations[0]
    assert editor.plan.sites[0].organisation == riverside.id
    assert sites.model.data(index) == riverside.name
    comps.add()
    comps.model.setData(comps.model.index(0, 0), "shc")
    comps.model.setData(comps.model.index(0, 1), "Specialist Haemoglobinopathy Centre")
    comps.model.setData(comps.model.index(0, 2), editor.plan.sites[0].id)
    assert comps.model.data(comps.model.index(0, 2)) == "Riverside General Hospital"
    for part in (orgs, sites, comps):
        qtmodeltester.check(part.model)
        assert not part.view.horizontalScrollBar().isVisible()
        part.refresh()  # (closes the editors Add opened, for the picture)
    screenshot(window, "staff_plan_details_by_name.png")
    # Removing an organisation leaves no site pointing at it.
    orgs.view.selectRow(0)
    orgs.remove_button.click()
    assert editor.plan.sites[0].organisation == ""
    assert sites.model.data(index) == ""


def test_the_team_table_fits_without_sideways_scrolling(screenshot, qtbot, window):
    window.resize(1280, 800)  # staff at a desk (the window opens fitted to the 800 px test screen)
    editor = new_plan(qtbot, window)
    long_role = (
        "Consultant haematologist and clinical lead for haemoglobinopathies across the network"
    )
    editor.reviewers = [
        Reviewer(f"r{i}", m.name, long_role if i == 0 else m.role, m.organisation)
        for i, m in enumerate(demo_visit().team)
    ]
    editor.setCurrentWidget(editor.team)
    team = editor.team
    while team.pool_model.rowCount():
        team.pool_view.selectRow(0)
        team.add_button.click()
    qtbot.waitUntil(lambda: team.team_model.rowCount() == 6)
    view = team.team_view
    assert not view.horizontalScrollBar().isVisible()
    header = view.horizontalHeader()
    assert header.length() <= view.viewport().width() + 1
    assert team.team_model.data(team.team_model.index(0, 2), Qt.ItemDataRole.ToolTipRole) == (
        long_role
    )
    screenshot(window, "staff_plan_team_fits.png")


def test_new_plan_from_visit_json(screenshot, qtbot, window, monkeypatch):
    window.nav.setCurrentRow(2)
    plans = window.plans
    monkeypatch.setattr(page_ui, "choose_open_file", lambda *_a: DEMO_DIR / "visit.json")
    plans.from_visit_button.click()
    visit = demo_visit()
    qtbot.waitUntil(lambda: plans.editor.plan.visit_id == visit.visit_id)
    qtbot.waitUntil(lambda: plans.model.rowCount() == 1)
    assert plans.editor.isVisible()
    assert plans.editor.details.boxes["title"].text() == visit.title
    assert [m.member_id for m in plans.editor.plan.team] == [m.member_id for m in visit.team]
    assert plans.editor.details.dates["start_date"].date() == QDate.fromString(
        visit.start_date, Qt.DateFormat.ISODate
    )
    screenshot(window, "staff_plan_from_visit.png")
    plans.from_visit_button.click()
    qtbot.waitUntil(lambda: plans.model.rowCount() == 2)
    assert "is for the same visit" in plans.status.text()
    # A file that is not a visit says what is wrong, and makes no plan.
    bad = DEMO_DIR / "standards.json"
    monkeypatch.setattr(page_ui, "choose_open_file", lambda *_a: bad)
    plans.from_visit_button.click()
    qtbot.waitUntil(lambda: any("standards.json" in m for m in messages(window)))
    assert plans.model.rowCount() == 2


def test_delete_a_plan_after_a_question_that_names_it(qtbot, window, monkeypatch):
    window.nav.setCurrentRow(2)
    plans = window.plans
    for title, day in (("Riverside review", "2026-12-03"), ("Northfield review", "2027-01-20")):
        plan = VisitPlan.new(title)
        plan.start_date = day
        window.ctx.store(save_plan, plan).result()
    plans.refresh()
    qtbot.waitUntil(lambda: plans.model.rowCount() == 2)
    plans.list_view.selectRow(0)
    qtbot.waitUntil(lambda: plans.editor.plan.title == "Riverside review")
    asked = []
    answer = iter([False, True])
    monkeypatch.setattr(
        confirm.ConfirmDialog,
        "ask",
        lambda _p, q, _d, action: asked.append((q, action)) or next(answer),
    )
    plans.delete_button.click()
    assert asked[-1] == (
        'Delete the visit plan "Riverside review" (2026-12-03)?',
        "Delete the plan",
    )
    assert plans.model.rowCount() == 2  # "Cancel" deletes nothing
    plans.delete_button.click()
    qtbot.waitUntil(lambda: plans.model.rowCount() == 1)
    assert plans.model.data(plans.model.index(0, 1)) == "Northfield review"
    assert not plans.editor.isVisible() and plans.placeholder.isVisible()
    assert 'Deleted the visit plan "Riverside review"' in plans.status.text()


def test_delete_a_standards_version_a_plan_does_not_use(screenshot, qtbot, window, monkeypatch):
    from sync.standards_import import read_standards

    standards = read_standards(DEMO_DIR / "standards.csv")
    ids = [
        window.ctx.store(
            lambda store, v=v: library.save_version(store, standards, title="HD", version=v)
        ).result()
        for v in ("V3", "V4")
    ]
    plan = VisitPlan.new("Riverside review")
    plan.standards_version = ids[1]
    window.ctx.store(save_plan, plan).result()
    window.nav.setCurrentRow(0)
    lib = window.library
    lib.refresh()
    qtbot.waitUntil(lambda: lib.versions_model.rowCount() == 2)
    asked = []
    monkeypatch.setattr(
        confirm.ConfirmDialog, "ask", lambda _p, q, d, _a: asked.append((q, d)) or True
    )
    # V4 is used by a plan: refused, naming the plan; nothing asked, nothing deleted.
    lib.versions_view.selectRow(1)
    lib.delete_button.click()
    qtbot.waitUntil(lambda: any('"Riverside review"' in m for m in messages(window)))
    assert asked == [] and lib.versions_model.rowCount() == 2
    refused = next(b for b in window.findChildren(QMessageBox) if b.isVisible())
    screenshot(refused, "staff_library_delete_refused.png")
    for box in window.findChildren(QMessageBox):
        box.close()
    lib.versions_view.selectRow(0)
    lib.delete_button.click()
    qtbot.waitUntil(lambda: lib.versions_model.rowCount() == 1)
    assert asked[0][0] == "Delete HD, version V3?" and "60 standards" in asked[0][1]
    assert lib.versions_model.data(lib.versions_model.index(0, 1)) == "V4"


def test_a_filled_template_with_problems_lists_them_on_the_tab_with_no_message_box(
    qtbot, window, tmp_path, monkeypatch
):
    from sync.standards_import import read_standards

    standards = read_standards(DEMO_DIR / "standards.csv")
    vid = window.ctx.store(
        lambda store: library.save_version(store, standards, title="HD", version="V4")
    ).result()
    editor = new_plan(qtbot, window)
    editor.choose_standards(vid, "HD V4")
    qtbot.waitUntil(lambda: editor.standards is not None)
    editor.setCurrentWidget(editor.provider)
    prov = editor.provider
    filled = tmp_path / "filled.csv"
    filled.write_text(
        "Ref,Title,Component,Claim,Comment,Evidence\nZZ-999,Nothing,Nowhere,Sort of,,\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(provider_ui, "choose_open_file", lambda *_a: filled)
    prov.import_button.click()
    qtbot.waitUntil(lambda: prov.sa_problems.count() > 0)
    assert prov.sa_problems.isVisible()
    assert prov.status.text() == (
        "Nothing was imported: put these problems right in filled.csv and import it again."
    )
    assert editor.plan.self_assessment == []
    qtbot.wait(50)  # a message box, had one been opened, is shown by now
    assert messages(window) == []
