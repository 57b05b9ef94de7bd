"""Issue 18's whole round, as the people do it, against a real service: the lead finalises V1 and
syncs; staff send the accuracy pack; the provider fills the pack's XLSX response form in a
spreadsheet (openpyxl here, choosing types from the list); staff import it; the lead's next sync
brings the comments, and in the lead's window the lead accepts two and declines one (the real
decline dialog, typed into); V2 is finalised and sent; staff approve it with a condition; the
next sync makes the final report; staff publish it. The published PDF is read back as a reader
would: no DRAFT, "Final", the approval and its condition, what changed from V1 to V2 and why.
The programme's timeline then shows every step of the visit reached.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from pypdf import PdfReader
from PySide6.QtCore import QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QDialogButtonBox
from pytestqt.qtbot import QtBot

from reviewer_app.app.paths import AppPaths
from reviewer_app.central import service as central
from reviewer_app.lead import accuracy
from reviewer_app.lead import finalise as fin
from reviewer_app.lead.privacy import privacy_hits
from reviewer_app.visit.session import VisitSession
from tests.reviewer_app.lead_tools import do
from tests.server.central_helpers import DEMO_VISIT_ID, Central
from ui.lead.accuracy import ID_ROLE, AccuracyWindow
from ui.lead.dialogs import DeclineDialog
from ui.main_window import ReviewerWindow

WAIT = 20_000
FIRST = "Transition clinics are held monthly with the adult service, from the age of 14."
SECOND = "The day unit is open from 08:00 to 20:00 on weekdays."
NOT_SO = "The team saw the rota for three weeks; staff confirmed the gap on both days."
APPROVER = "Quality Assurance Group"
CONDITION = "Publish once the trust's full name is used on the cover."


def finalise(session: VisitSession, paths: AppPaths) -> fin.Snapshot:
    confirmed = {h.key for h in privacy_hits(session.data)}
    return fin.start_finalise(session, confirmed_privacy=confirmed, paths=paths).result(timeout=180)


def provider_fills(pack: Path, answers: dict[str, tuple[str, str, str]], out: Path) -> bytes:
    """Open the pack's XLSX, write in the provider's three columns of the rows whose Id is in
    ``answers`` (type as the list offers it, comment, proposed wording), save it as Excel does."""
    with zipfile.ZipFile(pack) as z:
        (out.parent / "from-pack.xlsx").write_bytes(z.read("response-form.xlsx"))
    book = openpyxl.load_workbook(out.parent / "from-pack.xlsx")
    sheet = book["Response form"]
    rows = list(sheet.iter_rows())
    header = next(i for i, r in enumerate(rows) if [c.value for c in r[:2]] == ["Id", "Check"])
    names = [c.value for c in rows[header]]
    done = set()
    for row in rows[header + 1 :]:
        item = row[0].value
        if item in answers:
            kind, comment, proposed = answers[item]
            row[names.index("Comment type")].value = kind
            row[names.index("Provider comment")].value = comment
            row[names.index("Proposed wording")].value = proposed or None
            done.add(item)
    assert done == set(answers), "the form lists every finding and standard"
    book.save(out)
    return out.read_bytes()


def choose(comments: AccuracyWindow, comment_id: str) -> None:
    rows = [str(comments.list.item(r).data(ID_ROLE)) for r in range(comments.list.count())]
    comments.list.setFocus()
    comments.list.setCurrentRow(rows.index(comment_id))
    assert comments.card is not None and comments.card.comment.comment_id == comment_id


def type_into_decline_dialog(qtbot: QtBot, reason: str) -> list[str]:
    """When the real decline dialog opens, type the reason into it and press its OK button."""
    seen: list[str] = []

    def answer() -> None:
        dialogs = [w for w in QApplication.topLevelWidgets() if isinstance(w, DeclineDialog)]
        if not dialogs or not dialogs[0].isVisible():
            QTimer.singleShot(50, answer)
            return
        dialog = dialogs[0]
        seen.append(dialog.windowTitle())
        dialog.text.setFocus()
        qtbot.keyClicks(dialog.text, reason)
        box = dialog.findChild(QDialogButtonBox)
        assert box is not None
        ok = box.button(QDialogButtonBox.StandardButton.Ok) or box.buttons()[0]
        ok.click()

    QTimer.singleShot(50, answer)
    return seen


@pytest.mark.sqlite_only
def test_a_visit_goes_from_v1_to_a_published_final_report_with_the_providers_comments_answered(
    demo_central: Central,
    open_demo_session: Callable[..., VisitSession],
    qtbot: QtBot,
    tmp_path: Path,
) -> None:
    paths = AppPaths.from_environment()
    lead = open_demo_session("m-lead")
    for gap in fin.completeness(lead.data):
        do(lead, lead.set_team_judgement(gap.ref, gap.component, "met", "Agreed on the day"))
    first_id = do(lead, lead.add_finding("lht", "concern", "Transition clinics are planned."))
    second_id = do(lead, lead.add_finding("lht", "concern", "The day unit closes at 18:00."))
    third_id = do(lead, lead.add_finding("lht", "serious_concern", "Nursing rota has gaps."))
    first, second, third = (c.entity_id for c in (first_id, second_id, third_id))
    v1 = finalise(lead, paths)
    central.sign_in(paths, demo_central.url, demo_central.tokens["lead"])
    assert central.sync(paths).ok

    # Staff send the pack; the provider fills its XLSX in a spreadsheet and sends it back.
    staff = demo_central.client("staff")
    pack = staff.accuracy_pack(DEMO_VISIT_ID, tmp_path / "pack.zip")
    staff.pack_sent(DEMO_VISIT_ID, v1.snapshot_id)
    form = provider_fills(
        pack,
        {
            first: ("Factually inaccurate", "The clinics have run since March.", FIRST),
            second: ("Typographical or numerical", "The unit closes at 20:00.", SECOND),
            third: ("Omitted information", "Bank staff filled every gap.", ""),
        },
        tmp_path / "returned.xlsx",
    )
    assert staff.import_accuracy_form(DEMO_VISIT_ID, form)["comments"] == 3

    # The lead's next sync brings them; the lead answers in the window.
    assert central.sync(paths).provider_comments == {DEMO_VISIT_ID: 3}
    window = ReviewerWindow(lead, paths)
    qtbot.addWidget(window)
    window.resize(1400, 900)
    window.show()
    qtbot.waitExposed(window)

    def menu_item() -> QAction | None:  # the menus are made once the window has painted
        items = [a for a in window.findChildren(QAction) if a.text() == "Provider's &comments…"]
        return items[0] if items else None

    qtbot.waitUntil(lambda: menu_item() is not None, timeout=WAIT)
    action = menu_item()
    assert action is not None
    action.trigger()
    comments = window.lead.views["accuracy"]
    assert isinstance(comments, AccuracyWindow)
    qtbot.waitUntil(lambda: comments.list.count() == 3, timeout=WAIT)
    by_item = {
        c.item_id: c.comment_id for c in accuracy.load_comments(paths, DEMO_VISIT_ID).comments
    }
    for finding in (first, second):  # accepted: the proposed wording, with Accept
        choose(comments, by_item[finding])
        comments.card.accept_button.click()
    qtbot.waitUntil(lambda: lead.data.findings[second].text == SECOND, timeout=WAIT)
    choose(comments, by_item[third])
    seen = type_into_decline_dialog(qtbot, NOT_SO)
    comments.card.decline_button.click()  # the dialog runs here, and is answered
    assert seen == ["Decline the comment"]
    qtbot.waitUntil(lambda: "3 answered, 0 unanswered" in comments.counts.text(), timeout=WAIT)
    assert lead.data.findings[first].text == FIRST
    assert lead.data.findings[third].text == "Nursing rota has gaps."  # declined: unchanged

    # V2 records every answer; approved with a condition; the sync makes the final report.
    v2 = finalise(lead, paths)
    answers = {a["item_id"]: a for a in v2.findings["accuracy_answers"]}
    assert {k: a["decision"] for k, a in answers.items()} == {
        first: "accepted",
        second: "accepted",
        third: "declined",
    }
    assert answers[third]["reason"] == NOT_SO
    assert central.sync(paths).ok
    staff.approve(v2.snapshot_id, APPROVER, "2027-02-03", CONDITION)
    made = central.sync(paths)
    assert [r["snapshot_id"] for r in made.final_reports] == [v2.snapshot_id]
    staff.publish(v2.snapshot_id)
    window.close()

    # The published report, as its reader sees it.
    pdf = staff.download_published(DEMO_VISIT_ID, tmp_path / "final.pdf")
    pages = [" ".join((p.extract_text() or "").split()) for p in PdfReader(pdf).pages]
    text = " ".join(pages)
    assert "DRAFT" not in text.upper()
    assert all("Final report" in p for p in pages)
    assert f"Approved by {APPROVER} on 3 February 2027" in pages[0]
    assert CONDITION in pages[0]
    history = text[text.index("Version history") :]
    assert "2 comments accepted, 1 declined" in history
    for words in (FIRST, SECOND, NOT_SO, "Transition clinics are planned."):
        assert words in history, words

    # Every step of the visit is on the programme's timeline, in order.
    programme = lead.data.visit.programme
    [line] = [v for v in staff.timeline(programme)["visits"] if v["visit_id"] == DEMO_VISIT_ID]
    assert line["state"] == "published"
    reached = [s for s, step in line["steps"].items() if step.get("at")]
    assert {"v1_finalised", "pack_sent", "comments_returned", "v2_finalised", "approved"} <= set(
        reached
    )
    assert "published" in reached
