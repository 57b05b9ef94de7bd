"""The lead's window at the end of a visit day (issue 5): on the worked demo visit the lead
writes findings (one promoted from a reviewer's observation), escalates an immediate risk,
prints the feedback sheet (a real PDF read back), and finalises: refused first by a Not met
team judgement with no reason and a possible NHS number in a finding, then allowed once both
are dealt with. A reviewer's window gets the findings read-only and no editing at all."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pypdf
import pytest
from helpers import WAIT, Screenshot, settle
from PySide6.QtCore import QObject, Qt, QUrl, Slot
from PySide6.QtGui import QAction, QDesktopServices
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from reviewer_app.app.paths import AppPaths
from reviewer_app.demo.visit import DemoVisitOptions, create_demo_visit
from reviewer_app.lead import finalise as fin
from reviewer_app.visit.model import NOT_MET, TEAM_JUDGEMENT, team_judgement_id
from reviewer_app.visit.outside import outside_folder, remove_outside_copies
from reviewer_app.visit.workspaces import open_session
from ui.lead import LeadActions
from ui.lead.dialogs import (
    Escalation,
    EscalationDialog,
    NewFindingDialog,
    PromoteDialog,
    ReportFiles,
    ReportTextDialog,
    unpromoted,
)
from ui.lead.finalise import FinaliseDialog
from ui.lead.findings import FindingsWindow
from ui.lead.risks import OVERDUE, RisksWindow
from ui.main_window import ReviewerWindow
from ui.team.team_judgement_dialog import TeamJudgementDialog

NHS_TEXT = "The patient (NHS 943 476 5919) waited eleven hours for a specialist review."
FIXED_TEXT = "One patient waited eleven hours for a specialist review."
RISK_TEXT = "Oxygen cylinders stored unsecured in the day unit corridor."


@pytest.fixture
def lead_window(qtbot: QtBot) -> Iterator[ReviewerWindow]:
    """The worked demo visit (the team's work merged) open in the lead's window."""
    paths = AppPaths.from_environment()
    visit_id = create_demo_visit(paths, DemoVisitOptions(photos=2))
    session = open_session(paths, visit_id).result(timeout=60)
    window = ReviewerWindow(session, paths)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    yield window
    window.close()


def action(window: ReviewerWindow, name: str) -> QAction | None:
    return window.findChild(QAction, name)


def trigger(window: ReviewerWindow, name: str) -> None:
    found = action(window, name)
    assert found is not None, name
    found.trigger()


def patch_ask(monkeypatch: pytest.MonkeyPatch, cls: type, value: object) -> list[tuple]:
    asked: list[tuple] = []

    def ask(_cls: type, *args: object) -> object:
        asked.append(args)
        return value

    monkeypatch.setattr(cls, "ask", classmethod(ask))
    return asked


def write_finding(
    qtbot: QtBot,
    win: ReviewerWindow,
    view: FindingsWindow,
    monkeypatch: pytest.MonkeyPatch,
    *,
    category: str,
    text: str,
) -> str:
    before = set(win.session.data.findings)
    patch_ask(monkeypatch, NewFindingDialog, (category, text))
    view.new_button.click()
    qtbot.waitUntil(lambda: len(win.session.data.findings) == len(before) + 1, timeout=WAIT)
    settle(qtbot, win)
    [new] = set(win.session.data.findings) - before
    return new


def test_the_lead_writes_findings_escalates_prints_and_finalises(
    qtbot: QtBot,
    lead_window: ReviewerWindow,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    qtmodeltester,
    *,
    screenshot: Screenshot,
) -> None:
    win = lead_window
    data = win.session.data
    lead: LeadActions = win.lead
    assert lead.lead and lead.menu is not None and lead.menu.title() == "&Lead"
    for name in ("action_finalise", "action_feedback_sheet_(pdf)", "action_introduction"):
        assert action(win, name) is not None, name

    # -- findings: write one, word it, link it, move it, promote an observation -------------
    trigger(win, "action_findings")
    view: FindingsWindow = lead.views["findings"]
    qtbot.waitExposed(view)
    view.component.setCurrentIndex(view.component.findData("shc"))
    qtmodeltester.check(view.model)
    concerns_before = len(view.model.groups["concern"])
    fid = write_finding(
        qtbot, win, view, monkeypatch, category="concern", text="Waits for review are long."
    )
    assert view.current_id() == fid  # the new finding is chosen, last of its category
    assert view.model.siblings(fid)[-1] == fid
    assert len(view.model.groups["concern"]) == concerns_before + 1
    view.editor.text.setPlainText(NHS_TEXT)
    assert view.editor.privacy.isVisibleTo(view)  # the NHS number is flagged as it is typed
    assert "943 476 5919" in view.editor.privacy.text()
    assert view.editor.link("HN-101")
    view.editor.save.click()
    settle(qtbot, win)
    stored = data.findings[fid]
    assert stored.text == NHS_TEXT and stored.refs == ("HN-101",)
    qtbot.waitUntil(lambda: view.current_id() == fid, timeout=WAIT)
    number = view.model.siblings(fid).index(fid)
    view.up_button.click()
    settle(qtbot, win)
    qtbot.waitUntil(lambda: view.model.siblings(fid).index(fid) == number - 1, timeout=WAIT)
    assert view.current_id() == fid
    assert view.model.data(view.model.index_of(fid)).startswith(f"{number}. ")
    qtmodeltester.check(view.model)

    waiting = unpromoted(data)
    assert waiting, "the demo leaves reviewers' observations to promote"
    observation = waiting[0]
    patch_ask(monkeypatch, PromoteDialog, observation.id)
    view.promote_button.click()
    qtbot.waitUntil(
        lambda: any(f.observation_id == observation.id for f in data.findings.values()),
        timeout=WAIT,
    )
    settle(qtbot, win)
    promoted = next(f for f in data.findings.values() if f.observation_id == observation.id)
    assert promoted.text == observation.text and promoted.component == "shc"
    assert view.current_id() == promoted.id
    assert "observation" in view.editor.meta.text()

    risk_id = write_finding(
        qtbot, win, view, monkeypatch, category="immediate_risk", text=RISK_TEXT
    )
    view.show_finding(fid)
    screenshot(view, "lead_findings.png")

    # Undo from the findings window takes back the last edit (the risk), redo restores it.
    assert win.bridge.undo()
    qtbot.waitUntil(lambda: risk_id not in data.findings, timeout=WAIT)
    assert win.bridge.redo()
    qtbot.waitUntil(lambda: risk_id in data.findings, timeout=WAIT)
    settle(qtbot, win)

    # -- immediate risks: the new one needs its escalation ----------------------------------
    # A week after the visit: the written confirmations not yet sent are late.
    qtbot.waitUntil(lambda: lead.calendar is not None, timeout=WAIT)
    visit_end = date.fromisoformat(data.visit.end_date or data.visit.start_date)
    lead.calendar = replace(lead.calendar, today=visit_end + timedelta(days=7))
    assert not lead.badge.isVisibleTo(win)  # not yet looked at again
    trigger(win, "action_immediate_risks")
    qtbot.waitUntil(lambda: "risks" in lead.views, timeout=WAIT)
    risks: RisksWindow = lead.views["risks"]
    qtmodeltester.check(risks.model)
    assert risks.select(risk_id)
    row = risks.table.currentIndex().row()
    assert risks.model.text(risks.model.rows[row], 5) == "Record the escalation"
    when = f"{data.visit.end_date or data.visit.start_date}T16:45"
    escalation = Escalation("Chief Executive, Riverside University Hospitals", when, "In person")
    asked = patch_ask(monkeypatch, EscalationDialog, escalation)
    risks.escalate.click()
    settle(qtbot, win)
    assert asked and "Immediate risk" in str(asked[0][1])
    assert data.findings[risk_id].escalated_to.startswith("Chief Executive")
    row = next(i for i, r in enumerate(risks.model.rows) if r.finding.id == risk_id)
    assert risks.model.text(risks.model.rows[row], 2).startswith("Chief Executive")
    # Unconfirmed risks are overdue, in the list and the status bar.
    overdue = [r for r in risks.model.rows if r.overdue]
    assert overdue, "the demo's second risk and ours are not confirmed in writing"
    assert risks.warning.text().startswith(OVERDUE)
    assert lead.badge.isVisibleTo(win) and "OVERDUE: " in lead.badge.text()
    assert risks.model.text(overdue[0], 5).startswith(OVERDUE)
    screenshot(risks, "lead_risks.png")

    # -- the feedback sheet: a real PDF with the risk in it ---------------------------------
    sheet = tmp_path / "feedback.pdf"
    monkeypatch.setattr(ReportFiles, "ask_save", classmethod(lambda *_: sheet))
    trigger(win, "action_feedback_sheet_(pdf)")
    qtbot.waitUntil(lambda: lead.printer.last_saved == sheet, timeout=30_000)
    text = " ".join(p.extract_text() for p in pypdf.PdfReader(str(sheet)).pages)
    assert "Oxygen cylinders stored unsecured" in " ".join(text.split())
    assert lead.printer.last_message is not None
    assert str(sheet) in lead.printer.last_message.text()
    lead.printer.last_message.close()

    # -- finalise: refused by a missing reason and an NHS number ----------------------------
    for gap in fin.completeness(data):  # the demo's unsettled standards, settled
        win.bridge.run(win.session.set_team_judgement(gap.ref, gap.component, "met", "Agreed"), "")
    settle(qtbot, win)
    ref, comp = "HN-102", "shc"
    # A Not met with no rationale (as a merged edit can leave it).
    win.bridge.run(
        win.session.update(
            TEAM_JUDGEMENT, team_judgement_id(ref, comp), {"value": NOT_MET, "rationale": ""}
        ),
        "",
    )
    settle(qtbot, win)
    trigger(win, "action_finalise")
    dialog: FinaliseDialog = lead.views["finalise"]
    qtbot.waitExposed(dialog)
    for model in (dialog.gaps, dialog.hits, dialog.snapshots):
        qtmodeltester.check(model)
    assert [g.ref for g in dialog.gaps.rows] == [ref]
    assert "Not met needs a reason" in dialog.gaps.rows[0].message
    nhs = [h for h in dialog.hits.rows if h.kind == "nhs_number"]
    assert [h.match for h in nhs] == ["943 476 5919"]
    assert not dialog.finalise_button.isEnabled()
    dialog.sign_off.setChecked(True)
    assert not dialog.finalise_button.isEnabled()
    assert dialog.blockers().startswith("Not ready: 1 thing to finish")
    screenshot(dialog, "lead_finalise_blocked.png")

    # The gap jumps to the standard in the reviewer's window; the lead writes the reason.
    dialog.gaps_view.setCurrentIndex(dialog.gaps.index(0))
    dialog.go_button.click()
    assert win.navigator.component == comp and win.page.ref == ref
    patch_ask(monkeypatch, TeamJudgementDialog, (NOT_MET, "No written protocol for transfers"))
    win.page.team_line.button.click()
    settle(qtbot, win)
    qtbot.waitUntil(lambda: not dialog.gaps.rows, timeout=WAIT)

    # The NHS number: "Edit the text" opens the finding; the lead takes the number out.
    row = dialog.hits.rows.index(nhs[0])
    dialog.hits_view.setCurrentIndex(dialog.hits.index(row))
    dialog.edit_hit.click()
    assert view.current_id() == fid
    view.editor.text.setPlainText(FIXED_TEXT)
    view.save()
    settle(qtbot, win)
    qtbot.waitUntil(lambda: not any(h.kind == "nhs_number" for h in dialog.hits.rows), timeout=WAIT)
    # Whatever else is flagged (the demo's switchboard number) is confirmed by ticking it.
    for i in range(dialog.hits.rowCount()):
        dialog.hits.setData(dialog.hits.index(i), Qt.CheckState.Checked, Qt.CheckStateRole)
    assert dialog.blockers() == ""
    assert dialog.finalise_button.isEnabled()
    dialog.finalise_button.click()
    qtbot.waitUntil(lambda: dialog.last_snapshot is not None, timeout=120_000)
    snap = dialog.last_snapshot
    assert snap is not None and snap.version == 1
    assert snap.snapshot_id in dialog.result_label.text()
    assert snap.content_sha256 in dialog.result_label.text()
    assert "Queued to send" in dialog.result_label.text()
    qtbot.waitUntil(lambda: dialog.snapshots.rowCount() == 1, timeout=WAIT)
    assert dialog.snapshots.data(dialog.snapshots.index(0, 0)) == "V1 (current)"
    qtmodeltester.check(dialog.snapshots)
    assert not dialog.finalise_button.isEnabled()  # the sign-off is asked again next time
    screenshot(dialog, "lead_finalise_done.png")
    # Nothing has changed since: ticking the sign-off again does not offer to finalise.
    qtbot.waitUntil(lambda: dialog.unchanged_since == 1, timeout=WAIT)
    dialog.sign_off.setChecked(True)
    assert not dialog.finalise_button.isEnabled()
    assert dialog.why_not.text().startswith("Not changed since version 1 was finalised")
    [stored_snap] = fin.list_snapshots(win.session).result(timeout=30)
    assert stored_snap.version == 1 and "Waits" not in str(stored_snap.findings)

    # Its report opens in the app.
    dialog.open_snapshot.click()
    qtbot.waitUntil(lambda: lead.printer.preview is not None, timeout=WAIT)
    preview = lead.printer.preview
    assert preview.page_count() > 3 and preview.pdf.name.endswith(".pdf")
    assert pdfs_in(win.paths) == []  # decrypted into memory, not into a file
    assert "version 1" in preview.windowTitle()
    screenshot(preview, "lead_preview.png")

    # An edit to the findings makes a version 2 possible (the sign-off is still ticked).
    win.bridge.run(win.session.edit_finding(fid, text=FIXED_TEXT + " Seen again."), "edit")
    settle(qtbot, win)
    qtbot.waitUntil(lambda: dialog.unchanged_since is None, timeout=WAIT)
    assert dialog.finalise_button.isEnabled()


def test_a_reviewer_sees_findings_read_only_and_cannot_finalise(
    qtbot: QtBot, laptops, qtmodeltester
) -> None:
    win = laptops("m-cns").win
    lead: LeadActions = win.lead
    assert not lead.lead and lead.menu is not None and lead.menu.title() == "Re&port"
    for name in ("action_finalise", "action_feedback_sheet_(pdf)", "action_introduction"):
        assert action(win, name) is None, name
    trigger(win, "action_findings_(read-only)")
    view: FindingsWindow = lead.views["findings"]
    qtbot.waitExposed(view)
    qtmodeltester.check(view.model)
    assert not view.new_button.isVisible() and not view.promote_button.isVisible()
    assert not view.model.movable  # nor can a finding be dragged to another place
    drag = Qt.ItemFlag.ItemIsDragEnabled
    assert not any(
        view.model.flags(view.model.index(r, 0, view.model.category_index(c))) & drag
        for c in ("immediate_risk", "good_practice")
        for r in range(view.model.rowCount(view.model.category_index(c)))
    )
    assert view.editor.text.isReadOnly() and not view.editor.save.isVisible()
    view.new_finding()  # even a stray call changes nothing
    assert not win.session.data.findings


def test_the_draft_report_as_docx_the_preview_and_the_report_texts(
    qtbot: QtBot, lead_window: ReviewerWindow, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import docx  # noqa: PLC0415 - python-docx, only here

    win = lead_window
    lead: LeadActions = win.lead
    asked = patch_ask(monkeypatch, ReportTextDialog, "Our own introduction, written on the day.")
    trigger(win, "action_introduction")
    qtbot.waitUntil(lambda: bool(asked), timeout=WAIT)
    settle(qtbot, win)
    # The lead starts from the template, filled with the visit's details.
    assert str(asked[0][2]).startswith("This report presents the findings of the peer review")
    assert win.session.data.report_texts["introduction"].startswith("Our own introduction")

    out = tmp_path / "draft.docx"
    monkeypatch.setattr(ReportFiles, "ask_save", classmethod(lambda *_: out))
    trigger(win, "action_draft_report_(pdf_/_docx)")
    qtbot.waitUntil(lambda: lead.printer.last_saved == out, timeout=60_000)
    paragraphs = [p.text for p in docx.Document(str(out)).paragraphs]
    assert any("Our own introduction" in p for p in paragraphs)
    lead.printer.last_message.close()

    wrong = tmp_path / "draft.txt"
    monkeypatch.setattr(ReportFiles, "ask_save", classmethod(lambda *_: wrong))
    trigger(win, "action_draft_report_(pdf_/_docx)")
    boxes = [b for b in win.findChildren(QMessageBox) if "neither .pdf nor .docx" in b.text()]
    assert boxes and not wrong.exists() and not lead.printer.running
    boxes[0].close()

    trigger(win, "action_report_preview")
    qtbot.waitUntil(lambda: lead.printer.preview is not None, timeout=60_000)
    preview = lead.printer.preview
    assert preview.page_count() > 3 and "preview" in preview.windowTitle().lower()
    # Shown from memory: the app's folders hold no PDF of the visit (issue 19).
    assert pdfs_in(win.paths) == []

    # The system's PDF viewer is another program: it gets one copy, in the app's cache.
    opened: list[str] = []
    handler = UrlCatcher(opened)
    QDesktopServices.setUrlHandler("file", handler, "open")
    try:
        preview.open_outside.click()
    finally:
        QDesktopServices.unsetUrlHandler("file")
    [copy] = pdfs_in(win.paths)
    assert opened == [QUrl.fromLocalFile(str(copy)).toString()]
    assert copy.parent.parent == outside_folder(win.paths) and copy.name.startswith("draft-report")
    remove_outside_copies(win.paths)  # as locking and closing the app do (tests/ui/test_lock.py)
    assert pdfs_in(win.paths) == []


def pdfs_in(paths: AppPaths) -> list[Path]:
    """Every file in the app's folders that is a plain PDF (its first bytes say so)."""
    found = []
    for path in (
        p for root in (paths.data, paths.config, paths.cache, paths.logs) for p in root.rglob("*")
    ):
        if path.is_file():
            with open(path, "rb") as f:
                if f.read(5) == b"%PDF-":
                    found.append(path)
    return found


class UrlCatcher(QObject):
    """Stands in for the desktop's viewer: the URLs the app asked to open (Qt's own hook)."""

    def __init__(self, opened: list[str]) -> None:
        super().__init__()
        self.opened = opened

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.opened.append(url.toString())


def test_the_lead_drags_a_finding_to_its_place_in_its_category(
    qtbot: QtBot, lead_window: ReviewerWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    win = lead_window
    lead = win.lead  # (the Lead menu comes after the first paint, or when asked for)
    trigger(win, "action_findings")
    view: FindingsWindow = lead.views["findings"]
    model = view.model
    made = [
        write_finding(qtbot, win, view, monkeypatch, category="good_practice", text=text)
        for text in ("Clinics run to time.", "Leaflets in four languages.", "A named nurse.")
    ]
    first, second, third = made
    # The photo list shows each photo's thumbnail (read off the UI thread), which is no edit.
    photos = view.editor.photos
    assert photos.count() >= 2
    qtbot.waitUntil(
        lambda: all(not photos.item(i).icon().isNull() for i in range(photos.count())),
        timeout=WAIT,
    )
    assert not view.editor.dirty
    before = [i for i in model.siblings(first) if i not in made]  # the demo's own, if any
    assert model.siblings(first) == [*before, *made]
    move = Qt.DropAction.MoveAction

    def drop(fid: str, row: int, parent: object) -> None:
        mime = model.mimeData([model.index_of(fid)])
        assert model.canDropMimeData(mime, move, row, 0, parent)
        assert model.dropMimeData(mime, move, row, 0, parent) is False  # the view removes none
        settle(qtbot, win)

    category = model.category_index("good_practice")
    # The last to the top of its category (dropped between rows)...
    drop(third, 0, category)
    qtbot.waitUntil(lambda: model.siblings(first) == [third, *before, first, second], timeout=WAIT)
    assert view.current_id() == third  # still the chosen one
    # ...the first onto another finding (it goes before that one)...
    drop(first, -1, model.index_of(third))
    qtbot.waitUntil(lambda: model.siblings(first) == [first, third, *before, second], timeout=WAIT)
    # ...and one to the end (dropped below the last row).
    drop(first, len(model.siblings(first)), category)
    qtbot.waitUntil(lambda: model.siblings(first) == [third, *before, second, first], timeout=WAIT)
    # Another category is not a place for it: that would change what it is, not where.
    mime = model.mimeData([model.index_of(first)])
    assert not model.canDropMimeData(mime, move, 0, 0, model.category_index("serious_concern"))
    # Undo takes back the last move.
    assert win.bridge.undo()
    qtbot.waitUntil(lambda: model.siblings(first) == [first, third, *before, second], timeout=WAIT)


def test_compliance_so_far_shows_the_reports_figures_and_follows_team_judgements(
    qtbot: QtBot, lead_window: ReviewerWindow, qtmodeltester
) -> None:
    """Lead > Compliance so far: per component, the figures the sheet and the report print,
    redrawn when the lead records a team judgement."""
    from reviewer_app.lead.compliance import compliance  # noqa: PLC0415
    from ui.lead.compliance import ComplianceWindow  # noqa: PLC0415

    win = lead_window
    lead: LeadActions = win.lead  # the menus are made after the first paint, or when asked for
    trigger(win, "action_compliance_so_far")
    view: ComplianceWindow = lead.views["compliance"]
    qtbot.waitExposed(view)
    qtmodeltester.check(view.model)
    data = win.session.data

    def shown() -> list[tuple[str, ...]]:
        m = view.model
        return [
            tuple(str(m.data(m.index(r, c))) for c in range(m.columnCount()))
            for r in range(m.rowCount())
        ]

    def figures() -> list[tuple[str, ...]]:
        return [
            (
                c.name,
                str(c.applicable),
                str(c.met),
                str(c.not_met),
                str(c.not_assessed),
                c.percent_text,
            )
            for c in compliance(data)
        ]

    assert shown() == figures()
    assert [r[0] for r in shown()] == [c.name for c in data.visit.components]
    comp = data.visit.components[0]
    gap = next(
        s.ref
        for s in data.standards_for(comp.id)
        if data.team_judgement(s.ref, comp.id).value == "not_assessed"
    )
    before = next(c for c in compliance(data) if c.component == comp.id).met
    win.bridge.run(win.session.set_team_judgement(gap, comp.id, "met", "Seen"), "judge")
    qtbot.waitUntil(lambda: shown()[0][2] == str(before + 1), timeout=WAIT)
    assert shown() == figures()
