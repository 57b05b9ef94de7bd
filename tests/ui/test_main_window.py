"""The reviewer's window driven by keyboard: judge, give reasons, move, undo and redo, and find
it all again after closing and reopening."""

from __future__ import annotations

from concurrent.futures import Future
from pathlib import Path

import pytest
from helpers import save_screenshot, settle, show_window
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from reviewer_app.app.errors import UserError
from reviewer_app.app.paths import AppPaths
from reviewer_app.visit.model import MET, NOT_ASSESSED, NOT_MET
from reviewer_app.visit.session import Change, VisitSession
from reviewer_app.visit.workspaces import open_kit, open_session
from ui.main_window import ReviewerWindow


@pytest.fixture
def visit_id(demo_kit_file: Path) -> str:
    return open_kit(demo_kit_file, "m-cns", paths=AppPaths.from_environment(), demo=True).visit_id


def open_window(qtbot: QtBot, visit_id: str) -> ReviewerWindow:
    paths = AppPaths.from_environment()
    session: VisitSession = open_session(paths, visit_id).result(timeout=30)
    window = ReviewerWindow(session, paths)
    show_window(qtbot, window)
    return window


def in_tree(qtbot: QtBot, window: ReviewerWindow) -> None:
    window.navigator.tree.setFocus()
    qtbot.waitUntil(window.navigator.tree.hasFocus, timeout=5_000)


def test_demo_window_says_demo_and_who_i_am(qtbot: QtBot, visit_id: str) -> None:
    window = open_window(qtbot, visit_id)
    assert window.windowTitle().startswith("DEMO — ")
    assert window.demo_banner.isVisible()
    assert window.who.text().startswith("You are Siobhán O'Brien (")
    assert window.page.ref == "HN-101"  # no position yet: the first standard
    assert window.progress_label.text() == "Assessed 0 of 56"
    window.close()


def test_judging_by_keyboard_with_a_reason_survives_reopening(qtbot: QtBot, visit_id: str) -> None:
    window = open_window(qtbot, visit_id)
    page = window.page
    in_tree(qtbot, window)
    qtbot.keyClick(window.navigator.tree, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    assert page.ref == "HN-102"
    qtbot.keyClick(window.navigator.tree, Qt.Key.Key_2)
    assert page.judgement.radios[NOT_MET].isChecked()
    assert page.judgement.warning.isVisible()
    assert page.judgement.warning.text() == "A reason is needed for Not met"
    settle(qtbot, window)
    assert window.save_label.text().startswith("All changes saved ")
    assert window.progress_label.text() == "Assessed 1 of 56"
    qtbot.keyClick(window, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)  # go to reason
    qtbot.waitUntil(page.judgement.reason.hasFocus, timeout=5_000)
    qtbot.keyClicks(page.judgement.reason, "Leaflet covers 3 of 6 topics")
    assert not page.judgement.warning.isVisible()
    assert page.data.judgement("HN-102", "shc").value == NOT_MET  # digits typed: no judging
    in_tree(qtbot, window)  # focus out: saved
    settle(qtbot, window)
    assert page.data.judgement("HN-102", "shc").reason == "Leaflet covers 3 of 6 topics"
    qtbot.keyClick(window.navigator.tree, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    qtbot.keyClick(window.navigator.tree, Qt.Key.Key_1)
    settle(qtbot, window)
    assert page.data.judgement("HN-103", "shc").value == MET
    window.close()

    again = open_window(qtbot, visit_id)
    assert again.page.ref == "HN-103"  # reopens where the reviewer was
    j = again.session.data.judgement("HN-102", "shc")
    assert (j.value, j.reason) == (NOT_MET, "Leaflet covers 3 of 6 topics")
    again.navigator.select("HN-102")
    assert again.page.judgement.reason.toPlainText() == "Leaflet covers 3 of 6 topics"
    assert again.page.judgement.radios[NOT_MET].isChecked()
    again.close()


def test_digits_in_text_boxes_never_judge(qtbot: QtBot, visit_id: str) -> None:
    window = open_window(qtbot, visit_id)
    page = window.page
    page.focus_reason()
    qtbot.waitUntil(page.judgement.reason.hasFocus, timeout=5_000)
    qtbot.keyClicks(page.judgement.reason, "1 2 3 4")
    assert page.judgement.reason.toPlainText() == "1 2 3 4"
    window.navigator.search.setFocus()
    qtbot.keyClicks(window.navigator.search, "2")
    assert window.navigator.search.text() == "2"
    settle(qtbot, window)
    assert page.data.judgement("HN-101", "shc").value == NOT_ASSESSED
    # Alt+digit judges from anywhere, even from the reason box.
    page.focus_reason()
    qtbot.waitUntil(page.judgement.reason.hasFocus, timeout=5_000)
    qtbot.keyClick(page.judgement.reason, Qt.Key.Key_3, Qt.KeyboardModifier.AltModifier)
    settle(qtbot, window)
    j = page.data.judgement("HN-101", "shc")
    assert j.value == "not_applicable"
    assert j.reason == "1 2 3 4"  # the reason being typed went with it
    window.close()


def test_undo_and_redo_by_keyboard_change_what_the_page_shows(qtbot: QtBot, visit_id: str) -> None:
    window = open_window(qtbot, visit_id)
    page = window.page
    in_tree(qtbot, window)
    assert not window.undo_action.isEnabled()
    qtbot.keyClick(window.navigator.tree, Qt.Key.Key_1)
    settle(qtbot, window)
    assert page.judgement.radios[MET].isChecked()
    assert window.undo_action.isEnabled()
    qtbot.keyClick(window.navigator.tree, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    settle(qtbot, window)
    assert page.judgement.radios[NOT_ASSESSED].isChecked()
    assert window.progress_label.text() == "Assessed 0 of 56"
    assert window.redo_action.isEnabled()
    shift_ctrl = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    qtbot.keyClick(window.navigator.tree, Qt.Key.Key_Z, shift_ctrl)
    settle(qtbot, window)
    assert page.judgement.radios[MET].isChecked()
    model = window.navigator.model
    assert "Met" in model.data(model.index_of("HN-101"), Qt.ItemDataRole.ToolTipRole)
    window.close()


def test_next_and_previous_by_keyboard_and_component_choice(qtbot: QtBot, visit_id: str) -> None:
    window = open_window(qtbot, visit_id)
    in_tree(qtbot, window)
    refs = window.navigator.model.refs()
    qtbot.keyClick(window.navigator.tree, Qt.Key.Key_F8)
    qtbot.keyClick(window.navigator.tree, Qt.Key.Key_F8)
    assert window.page.ref == refs[2]
    qtbot.keyClick(window.navigator.tree, Qt.Key.Key_Up, Qt.KeyboardModifier.AltModifier)
    assert window.page.ref == refs[1]
    window.navigator.set_component("lht")
    assert window.page.component == "lht"
    assert window.page.judgement.title() == "My judgement — Local Haemoglobinopathy Team"
    window.close()


@pytest.mark.screenshots
def test_screenshot_of_the_reviewer_window(qtbot: QtBot, visit_id: str) -> None:
    window = open_window(qtbot, visit_id)
    page = window.page
    in_tree(qtbot, window)
    for key in (Qt.Key.Key_1, Qt.Key.Key_1, Qt.Key.Key_3, Qt.Key.Key_1):
        qtbot.keyClick(window.navigator.tree, key)
        settle(qtbot, window)
        qtbot.keyClick(window.navigator.tree, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    qtbot.keyClick(window.navigator.tree, Qt.Key.Key_2)
    settle(qtbot, window)
    for box in list(page.part_boxes.values())[:3]:
        box.click()
    settle(qtbot, window)
    save_screenshot(window, "reviewer_window.png")
    window.close()


def test_a_document_opens_in_the_evidence_viewer(qtbot: QtBot, visit_id: str) -> None:
    window = open_window(qtbot, visit_id)
    doc = window.session.data.documents_for("HN-101")[0]
    button = window.page.documents_box.itemAt(0).widget()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert window.viewer is not None
    qtbot.waitUntil(window.viewer.isVisible, timeout=5_000)
    assert doc.title in button.text()
    window.close()
    assert not window.viewer.isVisible()


def test_a_failed_save_is_reported_once_and_shown_in_red(qtbot: QtBot, visit_id: str) -> None:
    window = open_window(qtbot, visit_id)
    failing: Future[Change] = Future()
    window.bridge.run(failing, "judge HN-101")
    assert window.save_label.text() == "Saving…"
    failing.set_exception(UserError("The disk is full: free some space and try again."))
    qtbot.waitUntil(lambda: window.save_label.text().startswith("Not saved"), timeout=5_000)
    boxes = window.findChildren(QMessageBox)
    assert [b.text() for b in boxes] == [
        "Could not judge HN-101: The disk is full: free some space and try again."
    ]
    unexpected: Future[Change] = Future()
    window.bridge.run(unexpected, "add a note")
    unexpected.set_exception(RuntimeError("bug"))
    qtbot.waitUntil(lambda: len(window.findChildren(QMessageBox)) == 2, timeout=5_000)
    text = window.findChildren(QMessageBox)[-1].text()
    assert text.startswith("Something went wrong while trying to add a note.")
    assert "bug" not in text  # no traceback or internals on screen
    window.close()
