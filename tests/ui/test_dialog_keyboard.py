"""The recording dialogs driven by keyboard from the reviewer's window (issue 16): each opens with
the keyboard in its first input, what is typed is saved by the save key and read back from the
visit, a stray Space or Enter never closes a dialog with something typed in it, and Esc asks
before throwing typing away."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from helpers import WAIT, message_boxes, settle, show_window
from PIL import Image
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QWidget,
)
from pytestqt.qtbot import QtBot

from reviewer_app.app.paths import AppPaths
from reviewer_app.team.devices import DeviceRow
from reviewer_app.visit.model import MET, NOT_MET, TeamJudgement
from reviewer_app.visit.session import VisitSession
from reviewer_app.visit.workspaces import open_kit, open_session
from ui import camera
from ui.dialogs.base import INPUTS, FormDialog
from ui.dialogs.note import NoteDialog
from ui.main_window import ReviewerWindow
from ui.team.devices import DeviceDecisionDialog
from ui.team.team_judgement_dialog import TeamJudgementDialog

REF = "HN-101"  # the window's first standard: a document is linked to it
CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier
Act = Callable[[FormDialog], None]

# What each recording shortcut opens, and the input the keyboard should start in.
RECORDING = {
    "evidence": ((Qt.Key.Key_E, CTRL), "kind"),
    "note": ((Qt.Key.Key_N, CTRL), "text"),
    "observation": ((Qt.Key.Key_O, CTRL | SHIFT), "text"),
    "photo": ((Qt.Key.Key_P, CTRL | SHIFT), "caption"),
}


@pytest.fixture
def window(
    qtbot: QtBot, demo_kit_file: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ReviewerWindow]:
    monkeypatch.setattr(camera, "camera_available", lambda: False)
    paths = AppPaths.from_environment()
    visit_id = open_kit(demo_kit_file, "m-cns", paths=paths, demo=True).visit_id
    session: VisitSession = open_session(paths, visit_id).result(timeout=30)
    window = ReviewerWindow(session, paths)
    show_window(qtbot, window)
    assert window.page.ref == REF
    yield window
    window.close()


def in_dialog(qtbot: QtBot, act: Act) -> None:
    """Run ``act`` on the recording dialog about to open modally, once it has the keyboard.
    A failing ``act`` closes the dialog, so the test fails instead of hanging."""

    def run() -> None:
        dialog = QApplication.activeModalWidget()
        try:
            assert isinstance(dialog, FormDialog), dialog
            qtbot.waitUntil(dialog.isActiveWindow, timeout=WAIT)
            act(dialog)
        except BaseException:
            if isinstance(dialog, QDialog) and dialog.isVisible():
                QDialog.done(dialog, QDialog.DialogCode.Rejected)
            raise

    QTimer.singleShot(0, run)


def open_by_keyboard(qtbot: QtBot, window: ReviewerWindow, kind: str, act: Act) -> None:
    """Press the recording shortcut in the window; ``act`` runs while its dialog is open."""
    (key, modifiers), _first = RECORDING[kind]
    in_dialog(qtbot, act)
    qtbot.keyClick(window, key, modifiers)


def answer_question(qtbot: QtBot, answer: str, asked: list[str]) -> None:
    """Answer the next message box by keyboard: "enter" presses its default button, or the
    button named ``answer`` is clicked. Its question is added to ``asked``."""

    def run() -> None:
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox), box
        asked.append(box.text())
        default = box.defaultButton()
        assert default is not None and default.text() == "Keep editing"
        if answer == "enter":
            qtbot.keyClick(box, Qt.Key.Key_Return)
        else:
            [button] = [b for b in box.buttons() if b.text() == answer]
            button.click()

    QTimer.singleShot(0, run)


class FromTheWindowManager(QCloseEvent):
    """The close event the window manager's close button sends (a spontaneous one)."""

    def spontaneous(self) -> bool:
        return True


def focused() -> QWidget | None:
    return QApplication.focusWidget()


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), "teal").save(out, "JPEG")
    return out.getvalue()


# -- focus on open ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(RECORDING))
def test_each_recording_dialog_opens_with_the_keyboard_in_its_first_input(
    qtbot: QtBot, window: ReviewerWindow, kind: str
) -> None:
    seen: dict[str, object] = {}

    def act(dialog: FormDialog) -> None:
        widget = focused()
        seen["input"] = isinstance(widget, INPUTS)
        seen["expected"] = widget is getattr(dialog, RECORDING[kind][1])
        buttons = dialog.findChildren(QPushButton)
        seen["pressable by Enter"] = [b.text() for b in buttons if b.isDefault() or b.autoDefault()]
        seen["keys"] = dialog.keys.text()
        QDialog.done(dialog, QDialog.DialogCode.Rejected)

    open_by_keyboard(qtbot, window, kind, act)
    assert seen["input"] and seen["expected"], seen
    assert seen["pressable by Enter"] == []
    if kind == "photo":  # no multi-line text box
        assert seen["keys"] == "Enter or Ctrl+Enter to save · Esc to cancel"
    else:
        assert str(seen["keys"]).startswith("Ctrl+Enter to save (Enter starts a new line")


def test_the_team_judgement_dialog_opens_on_the_chosen_judgement(qtbot: QtBot) -> None:
    current = TeamJudgement(REF, "shc", NOT_MET, "Leaflet missing")
    dialog = TeamJudgementDialog(None, f"Team judgement — {REF}", current)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow, timeout=WAIT)
    assert focused() is dialog.radios[NOT_MET]
    assert isinstance(focused(), QRadioButton)
    # Arrows choose, Tab goes on to the rationale, where typing lands; Ctrl+Enter saves.
    qtbot.keyClick(focused(), Qt.Key.Key_Tab)
    assert focused() is dialog.rationale
    qtbot.keyClicks(dialog.rationale, " on the ward")
    qtbot.keyClick(dialog.rationale, Qt.Key.Key_Space)
    assert dialog.isVisible()
    qtbot.keyClick(dialog.rationale, Qt.Key.Key_Return, CTRL)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.value() == (NOT_MET, "Leaflet missing on the ward")


# -- typing, then the save key ---------------------------------------------------------------------


def test_an_observation_typed_with_spaces_is_saved_by_ctrl_enter_and_nowhere_else(
    qtbot: QtBot, window: ReviewerWindow
) -> None:
    text = "Resuscitation trolley unchecked for 9 days"
    still_open: list[bool] = []

    def act(dialog: FormDialog) -> None:
        assert focused() is dialog.text  # type: ignore[attr-defined]
        qtbot.keyClicks(focused(), text)  # spaces and all
        qtbot.keyClick(focused(), Qt.Key.Key_Space)
        qtbot.keyClick(focused(), Qt.Key.Key_Return)  # a new line, not OK
        qtbot.keyClicks(focused(), "Seen on ward 4")
        still_open.append(dialog.isVisible())
        qtbot.keyClick(focused(), Qt.Key.Key_Tab)  # to the categories
        assert isinstance(focused(), QRadioButton)
        qtbot.keyClick(focused(), Qt.Key.Key_Space)  # "General comments" chosen
        qtbot.keyClick(focused(), Qt.Key.Key_Return, CTRL)

    open_by_keyboard(qtbot, window, "observation", act)
    settle(qtbot, window)
    assert still_open == [True]
    data = window.session.data
    [saved] = data.observations_for(REF)
    assert saved.text == f"{text} \nSeen on ward 4"
    assert saved.category == "general"
    # Nothing of it went to the judgement's reason box (issue 16), nor into the visit.
    assert window.page.judgement.reason.toPlainText() == ""
    assert data.judgement(REF, "shc").reason == ""
    assert window.page.lists.observations.rows.count() == 1


def test_a_note_is_saved_by_ctrl_enter_with_its_lines(qtbot: QtBot, window: ReviewerWindow) -> None:
    def act(dialog: FormDialog) -> None:
        qtbot.keyClicks(focused(), "Leaflet only in English")
        qtbot.keyClick(focused(), Qt.Key.Key_Return)
        qtbot.keyClicks(focused(), "Asked for Polish")
        assert dialog.isVisible()
        qtbot.keyClick(focused(), Qt.Key.Key_Enter, CTRL | Qt.KeyboardModifier.KeypadModifier)

    open_by_keyboard(qtbot, window, "note", act)
    settle(qtbot, window)
    assert [n.text for n in window.session.data.notes_for(REF)] == [
        "Leaflet only in English\nAsked for Polish"
    ]
    assert window.page.lists.notes.rows.count() == 1


def test_evidence_typed_in_a_one_line_field_is_saved_by_enter(
    qtbot: QtBot, window: ReviewerWindow
) -> None:
    def act(dialog: FormDialog) -> None:
        assert focused() is dialog.kind  # type: ignore[attr-defined]
        qtbot.keyClick(focused(), Qt.Key.Key_Tab)  # the document: the one linked, chosen
        qtbot.keyClick(focused(), Qt.Key.Key_Tab)
        assert focused() is dialog.location  # type: ignore[attr-defined]
        qtbot.keyClicks(focused(), "page 4")
        qtbot.keyClick(focused(), Qt.Key.Key_Return)

    open_by_keyboard(qtbot, window, "evidence", act)
    settle(qtbot, window)
    [seen] = window.session.data.evidence_for(REF, "shc")
    assert (seen.kind, seen.location) == ("document", "page 4")
    assert seen.document_id == window.session.data.documents_for(REF)[0].id
    assert window.page.lists.evidence.rows.count() == 1


def test_a_photo_caption_is_saved_by_enter(qtbot: QtBot, window: ReviewerWindow) -> None:
    def act(dialog: FormDialog) -> None:
        assert focused() is dialog.caption  # type: ignore[attr-defined]
        qtbot.keyClicks(focused(), "Sluice door propped open")
        qtbot.keyClick(focused(), Qt.Key.Key_Return)  # no photo yet: nothing happens
        assert dialog.isVisible()
        assert dialog.set_photo(jpeg())  # type: ignore[attr-defined]
        qtbot.keyClick(focused(), Qt.Key.Key_Return)

    open_by_keyboard(qtbot, window, "photo", act)
    settle(qtbot, window)
    assert [p.caption for p in window.session.data.photos_for(REF)] == ["Sluice door propped open"]


# -- stray keys and Esc ----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(RECORDING))
def test_space_while_typing_never_closes_and_esc_asks_before_discarding(
    qtbot: QtBot, window: ReviewerWindow, kind: str
) -> None:
    asked: list[str] = []
    after: dict[str, object] = {}
    before = len(window.session.data.notes) + len(window.session.data.observations)

    def act(dialog: FormDialog) -> None:
        box = focused()
        if kind == "evidence":  # the kind first: typing goes in the page field
            qtbot.keyClick(box, Qt.Key.Key_Tab)
            qtbot.keyClick(focused(), Qt.Key.Key_Tab)
            box = focused()
        assert isinstance(box, QLineEdit | QPlainTextEdit)
        for _ in range(3):
            qtbot.keyClick(box, Qt.Key.Key_Space)
        qtbot.keyClicks(box, "Trolley")
        qtbot.keyClick(box, Qt.Key.Key_Space)
        after["open after spaces"] = dialog.isVisible()
        answer_question(qtbot, "enter", asked)  # Enter on the question: its default
        qtbot.keyClick(box, Qt.Key.Key_Escape)
        after["open after keep"] = dialog.isVisible()
        after["text"] = box.text() if isinstance(box, QLineEdit) else box.toPlainText()
        qtbot.waitUntil(lambda: focused() is box, timeout=WAIT)  # back in the text
        answer_question(qtbot, "Discard", asked)
        qtbot.keyClick(box, Qt.Key.Key_Escape)

    open_by_keyboard(qtbot, window, kind, act)
    noun = {"note": "note", "observation": "observation", "photo": "photo"}.get(kind, "evidence")
    assert asked == [f"Discard this {noun}?"] * 2
    assert after == {
        "open after spaces": True,
        "open after keep": True,
        "text": "   Trolley ",
    }
    settle(qtbot, window)
    data = window.session.data
    assert len(data.notes) + len(data.observations) == before
    assert not data.evidence_for(REF, "shc") and not data.photos_for(REF)
    assert QApplication.activeModalWidget() is None


@pytest.mark.parametrize("kind", list(RECORDING))
def test_esc_on_an_untouched_dialog_just_closes(
    qtbot: QtBot, window: ReviewerWindow, kind: str
) -> None:
    boxes: list[int] = []

    def act(dialog: FormDialog) -> None:
        qtbot.keyClick(focused(), Qt.Key.Key_Escape)
        boxes.append(len(message_boxes()))
        assert not dialog.isVisible()

    open_by_keyboard(qtbot, window, kind, act)
    assert boxes == [0]
    assert QApplication.activeModalWidget() is None


def test_enter_in_the_add_a_standard_field_links_it_and_does_not_save(
    qtbot: QtBot, window: ReviewerWindow
) -> None:
    def act(dialog: FormDialog) -> None:
        qtbot.keyClicks(focused(), "Transition clinic")
        dialog.radios["good_practice"].click()  # type: ignore[attr-defined]
        dialog.add_ref.setFocus()  # type: ignore[attr-defined]
        qtbot.keyClicks(dialog.add_ref, "HN-102")  # type: ignore[attr-defined]
        qtbot.keyClick(dialog.add_ref, Qt.Key.Key_Return)  # type: ignore[attr-defined]
        assert dialog.isVisible()
        assert dialog.linked_refs() == (REF, "HN-102")  # type: ignore[attr-defined]
        qtbot.keyClick(dialog.add_ref, Qt.Key.Key_Return, CTRL)  # type: ignore[attr-defined]

    open_by_keyboard(qtbot, window, "observation", act)
    settle(qtbot, window)
    [saved] = window.session.data.observations_for("HN-102")
    assert saved.refs == (REF, "HN-102")


def test_esc_on_a_changed_team_judgement_asks(qtbot: QtBot) -> None:
    dialog = TeamJudgementDialog(None, "Team judgement — HN-101", TeamJudgement(REF, "shc"))
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow, timeout=WAIT)
    qtbot.keyClick(focused(), Qt.Key.Key_Escape)  # nothing changed: just closes
    assert not dialog.isVisible() and not message_boxes()
    dialog.show()
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow, timeout=WAIT)
    dialog.radios[MET].click()
    asked: list[str] = []
    answer_question(qtbot, "Keep editing", asked)
    qtbot.keyClick(focused(), Qt.Key.Key_Escape)
    assert asked == ["Discard this team judgement?"]
    assert dialog.isVisible() and dialog.radios[MET].isChecked()
    QDialog.done(dialog, QDialog.DialogCode.Rejected)


def test_space_on_cancel_after_typing_asks_too(qtbot: QtBot, window: ReviewerWindow) -> None:
    asked: list[str] = []
    kept: list[str] = []

    def act(dialog: FormDialog) -> None:
        qtbot.keyClicks(focused(), "Leaflet only in English")
        cancel = dialog.buttons.button(dialog.buttons.StandardButton.Cancel)
        cancel.setFocus()
        answer_question(qtbot, "Keep editing", asked)
        qtbot.keyClick(cancel, Qt.Key.Key_Space)
        kept.append(dialog.text.toPlainText())  # type: ignore[attr-defined]
        qtbot.waitUntil(dialog.isActiveWindow, timeout=WAIT)
        qtbot.keyClick(dialog.text, Qt.Key.Key_Return, CTRL)  # type: ignore[attr-defined]

    open_by_keyboard(qtbot, window, "note", act)
    settle(qtbot, window)
    assert asked == ["Discard this note?"]
    assert kept == ["Leaflet only in English"]
    assert [n.text for n in window.session.data.notes_for(REF)] == ["Leaflet only in English"]


def test_the_device_dialogs_open_on_the_tick_box_or_on_cancel(qtbot: QtBot) -> None:
    row = DeviceRow(
        member_id="m-cns",
        name="Siobhán O'Brien",
        role="Clinical nurse specialist",
        device_id="d-2",
        public_key="",
        words="apple river stone cloud maple lantern",
        state="held",
        this_laptop=False,
        first_seen="2026-12-03T09:00:00+00:00",
        seen_in="cns.rvbundle",
        held=2,
    )
    accept = DeviceDecisionDialog(None, row, accept=True)
    qtbot.addWidget(accept)
    accept.show()
    accept.activateWindow()
    qtbot.waitUntil(accept.isActiveWindow, timeout=WAIT)
    assert focused() is accept.match
    qtbot.keyClick(accept.match, Qt.Key.Key_Space)  # ticked, not accepted
    assert accept.match.isChecked() and accept.isVisible()
    QDialog.done(accept, QDialog.DialogCode.Rejected)
    refuse = DeviceDecisionDialog(None, row, accept=False)
    qtbot.addWidget(refuse)
    refuse.show()
    refuse.activateWindow()
    qtbot.waitUntil(refuse.isActiveWindow, timeout=WAIT)
    assert focused() is refuse.buttons.button(refuse.buttons.StandardButton.Cancel)
    qtbot.keyClick(focused(), Qt.Key.Key_Return)  # Enter on Cancel: nothing refused
    assert refuse.result() == QDialog.DialogCode.Rejected


def test_the_close_button_on_typed_text_asks_too(qtbot: QtBot) -> None:
    dialog = NoteDialog(None, "Note on HN-101")
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow, timeout=WAIT)
    qtbot.keyClicks(focused(), "Leaflet only in English")
    asked: list[str] = []
    answer_question(qtbot, "Keep editing", asked)
    closing = FromTheWindowManager()
    dialog.closeEvent(closing)  # (offscreen Qt has no window manager to press its button)
    assert asked == ["Discard this note?"]
    assert not closing.isAccepted()
    assert dialog.isVisible() and dialog.text.toPlainText() == "Leaflet only in English"
    dialog.close()  # the program's own close() does not ask: nobody would answer
    assert not dialog.isVisible()
