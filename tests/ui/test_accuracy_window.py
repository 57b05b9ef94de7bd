"""The lead answers the provider's factual accuracy comments in the lead's window (issue 18):
on the worked demo visit, with the comments the last sync stored, the lead accepts one comment
on a finding (the proposed wording), one on a standard's team judgement (in the lead's own
words) and declines one (with a reason), working through the list of comments; the finding's
and the standard's texts change where the lead reads them, and the counts follow."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from helpers import WAIT, Screenshot, message_boxes, settle
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QPushButton
from pytestqt.qtbot import QtBot

from reviewer_app.app.paths import AppPaths
from reviewer_app.demo.visit import DemoVisitOptions, create_demo_visit
from reviewer_app.lead import accuracy
from reviewer_app.visit.workspaces import open_session
from ui.lead.accuracy import ID_ROLE, AccuracyWindow, CommentsBadge, CommentsPanel
from ui.lead.dialogs import DeclineDialog, OwnWordingDialog
from ui.lead.findings import FindingsWindow
from ui.main_window import ReviewerWindow

PROPOSED = "Care plans are reviewed every year, as the trust's policy requires."
OWN_WORDS = "The transfusion policy seen was dated March 2022 and in date."
REASON = "The team saw the rota for three weeks; the gap was confirmed by staff."


@pytest.fixture
def lead_window(qtbot: QtBot) -> Iterator[tuple[ReviewerWindow, dict[str, Any]]]:
    """The worked demo visit open in the lead's window, with three provider comments stored
    as the sync stores them: on two findings and on one standard's team judgement."""
    paths = AppPaths.from_environment()
    visit_id = create_demo_visit(paths, DemoVisitOptions(photos=0))
    session = open_session(paths, visit_id).result(timeout=60)
    data = session.data
    f1, f2 = data.findings_for(None)[:2]
    component = data.visit.components[0].id
    ref = next(
        s.ref
        for s in data.standards_for(component)
        if data.team_judgement(s.ref, component).rationale
    )
    payload = {
        "snapshot_id": "snap-v1",
        "version": 1,
        "comments": [
            _comment(
                "c-1", "finding", f1.id, "factual", "This is yearly, not every two years.", PROPOSED
            ),
            _comment("c-2", "finding", f2.id, "omitted", "Locum cover was arranged in May.", ""),
            _comment(
                "c-3",
                "standard",
                f"{component}:{ref}",
                "typographical",
                "2022, not 2021.",
                "Dated 2022.",
            ),
        ],
    }
    accuracy.store_comments(paths, visit_id, payload)
    window = ReviewerWindow(session, paths)
    qtbot.addWidget(window)
    window.resize(1400, 900)
    window.show()
    qtbot.waitExposed(window)
    yield window, {"f1": f1.id, "f2": f2.id, "ref": ref, "component": component}
    window.close()


def _comment(cid: str, kind: str, item: str, ctype: str, text: str, proposed: str) -> dict:  # noqa: PLR0913, PLR0917
    return {
        "comment_id": cid,
        "item_kind": kind,
        "item_id": item,
        "item_label": "",
        "comment_type": ctype,
        "comment": text,
        "proposed": proposed,
        "form_row": 5,
        "imported_at": "2027-01-10T09:00:00+00:00",
    }


def patch_ask(monkeypatch: pytest.MonkeyPatch, cls: type, value: object) -> list[tuple]:
    asked: list[tuple] = []

    def ask(_cls: type, *args: object) -> object:
        asked.append(args)
        return value

    monkeypatch.setattr(cls, "ask", classmethod(ask))
    return asked


def choose(win: AccuracyWindow, comment_id: str) -> None:
    """Choose a comment in the list, as the lead would (its card shows beside the list)."""
    rows = [str(win.list.item(r).data(ID_ROLE)) for r in range(win.list.count())]
    win.list.setFocus()
    win.list.setCurrentRow(rows.index(comment_id))
    assert win.card is not None and win.card.comment.comment_id == comment_id


def test_the_lead_accepts_two_comments_and_declines_one(
    qtbot: QtBot,
    lead_window: tuple[ReviewerWindow, dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
    screenshot: Screenshot,
) -> None:
    win, ids = lead_window
    data = win.session.data
    qtbot.waitUntil(lambda: win.findChild(CommentsBadge) is not None, timeout=WAIT)
    badge = win.findChild(CommentsBadge)
    qtbot.waitUntil(badge.isVisible, timeout=WAIT)
    assert badge.text() == "3 provider comments to answer"

    action = next(a for a in win.findChildren(QAction) if a.text() == "Provider's &comments…")
    action.trigger()
    comments = win.lead.views["accuracy"]
    assert isinstance(comments, AccuracyWindow)
    qtbot.waitUntil(lambda: comments.list.count() == 3, timeout=WAIT)
    assert comments.counts.text() == "3 comments on V1: 0 answered, 3 unanswered"
    screenshot(comments, "accuracy-list.png")

    # 1. The finding: the proposed wording, with the card's Accept button.
    choose(comments, "c-1")
    assert comments.card is not None
    assert "every two years" in comments.card.words.text()
    assert PROPOSED in comments.card.proposed.text()
    qtbot.mouseClick(comments.card.accept_button, Qt.MouseButton.LeftButton)
    settle(qtbot, win)
    qtbot.waitUntil(lambda: data.findings[ids["f1"]].text == PROPOSED, timeout=WAIT)
    qtbot.waitUntil(lambda: "1 answered, 2 unanswered" in comments.counts.text(), timeout=WAIT)
    assert badge.text() == "2 provider comments to answer"

    # 2. The standard: the lead's own words.
    asked = patch_ask(monkeypatch, OwnWordingDialog, OWN_WORDS)
    choose(comments, "c-3")
    comments.card.own_button.click()
    settle(qtbot, win)
    assert asked and "2022, not 2021." in asked[0][1]  # the dialog showed the provider's words
    team = lambda: data.team_judgement(ids["ref"], ids["component"])  # noqa: E731
    qtbot.waitUntil(lambda: team().rationale == OWN_WORDS, timeout=WAIT)

    # 3. Declined, with a reason (the card's Accept is off: nothing was proposed).
    patch_ask(monkeypatch, DeclineDialog, REASON)
    choose(comments, "c-2")
    assert not comments.card.accept_button.isEnabled()
    comments.card.decline_button.click()
    settle(qtbot, win)
    qtbot.waitUntil(lambda: "3 answered, 0 unanswered" in comments.counts.text(), timeout=WAIT)
    assert REASON in comments.card.status.text()
    assert not badge.isVisible()
    assert accuracy.unanswered(data, win.paths) == []
    screenshot(comments, "accuracy-answered.png")

    # The standard's page shows the new rationale and the answered comment under it.
    comments.go_to_standard.emit(ids["ref"], ids["component"])
    qtbot.waitUntil(lambda: win.page.ref == ids["ref"], timeout=WAIT)
    assert win.page.team_line.rationale.text() == f"“{OWN_WORDS}”"
    panel = next(p for p in win.findChildren(CommentsPanel) if p.item and p.item[0] == "standard")

    assert panel.isVisible()
    assert panel.heading.text() == "The provider's comment on this (1 of 1 answered)"
    screenshot(win, "accuracy-standard-page.png")

    # The finding shows its new text in the findings window, with the comment beside it.
    comments.open_finding.emit(ids["f1"])
    findings = win.lead.views["findings"]
    assert isinstance(findings, FindingsWindow)
    assert findings.editor.text.toPlainText() == PROPOSED
    assert findings.editor.comments is not None and findings.editor.comments.isVisible()
    assert "Accepted by" in findings.editor.comments.cards[0].status.text()
    screenshot(findings, "accuracy-finding.png")

    # Undo takes the decline back: one comment unanswered again.
    win.bridge.undo()
    settle(qtbot, win)
    qtbot.waitUntil(lambda: "2 answered, 1 unanswered" in comments.counts.text(), timeout=WAIT)
    assert badge.isVisible()


def test_a_comment_on_a_finding_is_answered_beside_it_in_the_findings_window(
    qtbot: QtBot,
    lead_window: tuple[ReviewerWindow, dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    win, ids = lead_window
    qtbot.waitUntil(lambda: win.findChild(CommentsBadge) is not None, timeout=WAIT)
    qtbot.waitUntil(win.findChild(CommentsBadge).isVisible, timeout=WAIT)  # comments read
    findings = win.lead.show_findings()
    assert findings.show_finding(ids["f2"])
    panel = findings.editor.comments
    assert panel is not None
    qtbot.waitUntil(panel.isVisible, timeout=WAIT)
    card = panel.cards[0]
    assert "Locum cover was arranged in May." in card.words.text()
    assert card.status.text() == "Not answered yet."
    buttons = {b.accessibleName() for b in card.findChildren(QPushButton)}
    assert buttons == {
        "Accept the proposed wording",
        "Accept with my wording",
        "Decline the comment",
    }
    # What the lead was typing in the finding is saved before the answer changes it.
    findings.editor.text.setPlainText("Half-typed words the lead keeps")
    patch_ask(monkeypatch, OwnWordingDialog, "A locum covers the gap since May.")
    card.own_button.click()
    settle(qtbot, win)
    qtbot.waitUntil(
        lambda: win.session.data.findings[ids["f2"]].text == "A locum covers the gap since May.",
        timeout=WAIT,
    )
    assert findings.editor.text.toPlainText() == "A locum covers the gap since May."
    assert panel.heading.text() == "The provider's comment on this (1 of 1 answered)"
    assert "The provider's comments: 2 of 3 to answer." in findings.status.text()
    descriptions = [c.description for c in win.session.history.undo[-3:]]
    assert descriptions == ["edit a finding", "edit a finding", "edit an accuracy answer"]


def test_comments_a_sync_stores_later_show_without_reopening(
    qtbot: QtBot, lead_window: tuple[ReviewerWindow, dict[str, Any]]
) -> None:
    win, ids = lead_window
    qtbot.waitUntil(lambda: win.findChild(CommentsBadge) is not None, timeout=WAIT)
    badge = win.findChild(CommentsBadge)
    qtbot.waitUntil(badge.isVisible, timeout=WAIT)
    comments = win.lead.show_accuracy()
    qtbot.waitUntil(lambda: comments.list.count() == 3, timeout=WAIT)
    # The next sync brings a fourth comment (written whole, as the sync writes it).
    later = {
        "snapshot_id": "snap-v1",
        "version": 1,
        "comments": [
            _comment("c-4", "finding", ids["f2"], "factual", "The MDT is weekly.", "Weekly MDT.")
        ],
    }
    accuracy.store_comments(win.paths, win.session.data.visit.visit_id, later)
    qtbot.waitUntil(lambda: comments.list.count() == 1, timeout=WAIT)
    assert comments.counts.text() == "1 comment on V1: 0 answered, 1 unanswered"
    assert badge.text() == "1 provider comment to answer"


def test_words_typed_for_an_answer_that_could_not_be_saved_are_offered_again(
    qtbot: QtBot,
    lead_window: tuple[ReviewerWindow, dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    win, ids = lead_window
    comments = win.lead.show_accuracy()
    qtbot.waitUntil(lambda: comments.list.count() == 3, timeout=WAIT)
    choose(comments, "c-1")
    # The finding goes (deleted) before the lead answers: accepting it cannot be saved.
    win.bridge.run(win.session.delete_finding(ids["f1"]))
    settle(qtbot, win)
    typed = "Care plans are now reviewed every year."
    asked = patch_ask(monkeypatch, OwnWordingDialog, typed)
    comments.card.own_button.click()
    qtbot.waitUntil(lambda: bool(message_boxes()), timeout=WAIT)
    assert "no longer in this visit" in message_boxes()[0].text()
    for box in message_boxes():
        box.close()
    assert "c-1" not in win.session.data.accuracy_answers
    comments.card.own_button.click()  # the lead tries again: their words are there
    assert asked[1][2] == typed


def test_tab_goes_from_the_team_judgement_to_the_comments_buttons(
    qtbot: QtBot, lead_window: tuple[ReviewerWindow, dict[str, Any]]
) -> None:
    win, ids = lead_window
    qtbot.waitUntil(lambda: win.findChild(CommentsBadge) is not None, timeout=WAIT)
    win.activateWindow()
    win.show_standard(ids["ref"], ids["component"])
    panel = next(p for p in win.findChildren(CommentsPanel) if p.item and p.item[0] == "standard")
    qtbot.waitUntil(lambda: bool(panel.cards) and panel.isVisible(), timeout=WAIT)
    qtbot.waitUntil(lambda: not win.focus_order.pending, timeout=WAIT)  # Tab follows the screen
    win.page.team_line.button.setFocus()
    reached = []
    for _ in range(3):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        reached.append(QApplication.focusWidget().accessibleName())
    assert reached == [
        "Accept the proposed wording",
        "Accept with my wording",
        "Decline the comment",
    ]
