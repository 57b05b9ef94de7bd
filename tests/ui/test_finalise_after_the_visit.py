"""The lead's Finalise window after the visit: each of the provider's unanswered comments is a
thing to finish that goes to its finding; once the last sync saw a version approved, "Make the
final report" renders it (Final, the approval) and shows it."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pypdf
import pytest
from helpers import WAIT, settle
from pytestqt.qtbot import QtBot

from reviewer_app.app.paths import AppPaths
from reviewer_app.central.status import remember
from reviewer_app.demo.visit import DemoVisitOptions, create_demo_visit
from reviewer_app.lead import accuracy
from reviewer_app.lead import finalise as fin
from reviewer_app.lead.privacy import privacy_hits
from reviewer_app.visit.workspaces import open_session
from ui.lead.finalise import FinaliseDialog
from ui.main_window import ReviewerWindow

REASON = "The clinics were planned, not running, at the time of the visit."


@pytest.fixture
def lead_window(qtbot: QtBot) -> Iterator[ReviewerWindow]:
    paths = AppPaths.from_environment()
    visit_id = create_demo_visit(paths, DemoVisitOptions(photos=1))
    session = open_session(paths, visit_id).result(timeout=60)
    window = ReviewerWindow(session, paths)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    yield window
    window.close()


def finalise(win: ReviewerWindow, paths: AppPaths) -> fin.Snapshot:
    confirmed = {h.key for h in privacy_hits(win.session.data)}
    return fin.start_finalise(win.session, confirmed_privacy=confirmed, paths=paths).result(
        timeout=120
    )


def test_comments_to_answer_then_the_final_report(
    qtbot: QtBot, lead_window: ReviewerWindow
) -> None:
    win, paths = lead_window, AppPaths.from_environment()
    session = win.session
    for gap in fin.completeness(session.data):
        win.bridge.run(session.set_team_judgement(gap.ref, gap.component, "met", "Agreed"), "j")
    settle(qtbot, win)
    v1 = finalise(win, paths)
    [finding] = [
        f for f in session.data.findings_for("lht") if f.category == "further_consideration"
    ]
    comment = {
        "comment_id": "c-1",
        "item_kind": "finding",
        "item_id": finding.id,
        "comment_type": "factual",
        "comment": "The joint clinics are monthly.",
        "proposed": "",
    }
    visit_id = session.data.visit.visit_id
    accuracy.store_comments(
        paths, visit_id, {"snapshot_id": v1.snapshot_id, "version": 1, "comments": [comment]}
    )

    win.lead.show_finalise()
    dialog: FinaliseDialog = win.lead.views["finalise"]
    qtbot.waitExposed(dialog)
    qtbot.waitUntil(lambda: len(dialog.gaps.rows) == 1, timeout=WAIT)
    [gap] = dialog.gaps.rows
    assert (gap.kind, gap.finding_id) == ("finding", finding.id)
    assert "provider's comment (factually inaccurate) is not answered" in gap.message
    assert dialog.blockers().startswith("Not ready: 1 thing to finish")

    # Declined, with a reason: nothing left to finish.
    comments = accuracy.load_comments(paths, visit_id)
    answer = accuracy.declining(session.data, session.member_id, comments.comments[0], REASON)
    win.bridge.run(accuracy.record(session, answer), "decline")
    settle(qtbot, win)
    qtbot.waitUntil(lambda: not dialog.gaps.rows, timeout=WAIT)

    # Version 2 answers the round; the last sync saw it approved.
    v2 = finalise(win, paths)
    remember(
        paths,
        "http://central.example",
        visits={
            visit_id: [
                {"snapshot_id": v1.snapshot_id, "version": 1, "approval": None},
                {
                    "snapshot_id": v2.snapshot_id,
                    "version": 2,
                    "approval": {
                        "approved_by": "Quality Assurance Group",
                        "approved_at": "2027-01-20",
                        "conditions": "",
                    },
                    "final_report": None,
                },
            ]
        },
    )
    dialog.load_snapshots()
    qtbot.waitUntil(dialog.make_final.isEnabled, timeout=WAIT)
    dialog.make_final.click()
    qtbot.waitUntil(lambda: win.lead.printer.preview is not None, timeout=120_000)
    preview = win.lead.printer.preview
    assert "Final report, version 2" in preview.windowTitle()
    assert "final report of version 2 is made" in dialog.result_label.text()
    pages = [p.extract_text() or "" for p in pypdf.PdfReader(io.BytesIO(preview.pdf.data)).pages]
    assert "Approved by Quality Assurance Group on 20 January 2027" in " ".join(pages[0].split())
    assert not any("DRAFT" in p for p in pages)
