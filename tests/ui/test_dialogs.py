"""The recording dialogs: each one's validation and the answer it gives, on the demo visit."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path

import pytest
from helpers import Screenshot
from PIL import Image
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QFileDialog
from pytestqt.qtbot import QtBot

from reviewer_app.visit.session import VisitSession
from ui import camera
from ui.dialogs import (
    EvidenceDialog,
    NoteDialog,
    ObservationDialog,
    ObservationInput,
    PhotoDialog,
    PhotoInput,
)

DURING_S03 = datetime(2026, 12, 3, 10, 30)  # the nurses' meeting (sub-team A: m-cns's)


@pytest.fixture
def fixed_now(monkeypatch: pytest.MonkeyPatch) -> datetime:
    monkeypatch.setattr("ui.dialogs.base.FormDialog.now", staticmethod(lambda: DURING_S03))
    return DURING_S03


def _accept_when_shown(fill: object) -> None:
    """Fill in the modal dialog ``ask()`` opens, then press OK."""

    def act() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, QDialog)
        fill(dialog)  # type: ignore[operator]
        dialog.ok_button.click()  # type: ignore[attr-defined]

    QTimer.singleShot(0, act)


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), "teal").save(out, "JPEG")
    return out.getvalue()


# -- evidence seen ----------------------------------------------------------------------------


def test_evidence_offers_the_standards_documents_first(qtbot: QtBot, session: VisitSession) -> None:
    dialog = EvidenceDialog(None, session.data, "HN-101", "shc")
    qtbot.addWidget(dialog)
    linked = [d.id for d in session.data.documents_for("HN-101")]
    assert linked
    offered = [dialog.document.itemData(i) for i in range(dialog.document.count())]
    offered = [d for d in offered if d]  # less the "Choose…" line and the separator
    assert offered[: len(linked)] == linked
    assert sorted(offered) == sorted(d.id for d in session.data.documents)
    assert dialog.document.currentData() == linked[0]
    assert dialog.ok_button.isEnabled()


def test_evidence_of_a_document_needs_a_document(qtbot: QtBot, session: VisitSession) -> None:
    dialog = EvidenceDialog(None, session.data, "HN-101", "shc")
    qtbot.addWidget(dialog)
    dialog.document.setCurrentIndex(0)
    assert not dialog.ok_button.isEnabled()
    assert "document" in dialog.hint.text()
    dialog.document.setCurrentIndex(dialog.document.findData("E002"))
    qtbot.keyClicks(dialog.location, "page 4")
    assert dialog.ok_button.isEnabled()
    dialog.ok_button.click()
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.value() == {
        "kind": "document",
        "document_id": "E002",
        "location": "page 4",
        "session_id": "",
        "description": "",
    }


def test_a_meeting_needs_a_description_or_a_session(qtbot: QtBot, session: VisitSession) -> None:
    dialog = EvidenceDialog(None, session.data, "HN-204", "shc")
    qtbot.addWidget(dialog)
    dialog.set_kind("meeting")
    assert not dialog.document.isEnabled()
    assert not dialog.ok_button.isEnabled()
    assert "Describe the meeting" in dialog.hint.text()
    dialog.session.setCurrentIndex(dialog.session.findData("s03"))
    assert dialog.ok_button.isEnabled()
    dialog.session.setCurrentIndex(0)
    assert not dialog.ok_button.isEnabled()
    qtbot.keyClicks(dialog.description, "Nurses described the out-of-hours rota")
    assert dialog.ok_button.isEnabled()
    value = dialog.value()
    assert value["kind"] == "meeting"
    assert value["document_id"] == "" and value["session_id"] == ""
    assert value["description"] == "Nurses described the out-of-hours rota"


def test_evidence_ask_defaults_to_the_session_happening_now(
    screenshot: Screenshot, qtbot: QtBot, session: VisitSession, fixed_now: datetime
) -> None:
    def fill(dialog: EvidenceDialog) -> None:
        assert dialog.session.currentData() == "s03"
        dialog.set_kind("interview")
        screenshot(dialog, "evidence_dialog.png")

    _accept_when_shown(fill)
    answer = EvidenceDialog.ask(None, session.data, "HN-204", "shc")
    assert answer is not None
    assert (answer["kind"], answer["session_id"]) == ("interview", "s03")
    # The answer is exactly what the session's operation takes.
    change = session.add_evidence_seen("HN-204", "shc", **answer).result(timeout=30)
    session.absorb(change)
    assert session.data.evidence_for("HN-204", "shc")[0].session_id == "s03"


def test_cancel_gives_none(qtbot: QtBot, session: VisitSession) -> None:
    QTimer.singleShot(0, lambda: QApplication.activeModalWidget().reject())  # type: ignore[union-attr]
    assert EvidenceDialog.ask(None, session.data, "HN-101", "shc") is None


# -- notes ------------------------------------------------------------------------------------


def test_a_note_needs_text_and_keeps_lines(qtbot: QtBot) -> None:
    dialog = NoteDialog(None, "Note on HN-101")
    qtbot.addWidget(dialog)
    assert not dialog.ok_button.isEnabled()
    qtbot.keyClicks(dialog.text, "   ")
    assert not dialog.ok_button.isEnabled()
    assert dialog.value() is None
    dialog.text.setPlainText("Leaflet seen.\nNot in Polish.")
    assert dialog.ok_button.isEnabled()
    assert dialog.value() == "Leaflet seen.\nNot in Polish."


def test_note_ask_edits_the_given_text(qtbot: QtBot) -> None:
    _accept_when_shown(lambda d: d.text.appendPlainText("Second line"))
    assert NoteDialog.ask(None, "Edit note", "First line") == "First line\nSecond line"


def test_ctrl_enter_saves_a_note(qtbot: QtBot) -> None:
    dialog = NoteDialog(None, "Note", "Ready")
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    dialog.text.setFocus()
    qtbot.keyClick(dialog.text, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert dialog.result() == QDialog.DialogCode.Accepted


# -- observations -----------------------------------------------------------------------------


def test_an_observation_needs_text_and_a_category(qtbot: QtBot, session: VisitSession) -> None:
    dialog = ObservationDialog(None, session.data, "HN-204")
    qtbot.addWidget(dialog)
    assert dialog.linked_refs() == ("HN-204",)
    assert not dialog.ok_button.isEnabled()
    qtbot.keyClicks(dialog.text, "Resuscitation trolley unchecked for 9 days")
    assert "category" in dialog.hint.text()
    dialog.radios["immediate_risk"].click()
    assert dialog.ok_button.isEnabled()
    assert "escalated" in dialog.radios["immediate_risk"].text()
    assert "lead" in dialog.hint.text()


def test_observation_links_more_standards_by_typing_a_ref(
    screenshot: Screenshot, qtbot: QtBot, session: VisitSession, fixed_now: datetime
) -> None:
    def fill(dialog: ObservationDialog) -> None:
        dialog.text.setPlainText("Transition clinic runs jointly with adult services")
        dialog.radios["good_practice"].click()
        qtbot.keyClicks(dialog.add_ref, "hn-602")
        qtbot.keyClick(dialog.add_ref, Qt.Key.Key_Return)
        qtbot.keyClicks(dialog.add_ref, "HN-999")
        qtbot.keyClick(dialog.add_ref, Qt.Key.Key_Return)
        assert "No standard" in dialog.hint.text()
        dialog.add_ref.clear()
        qtbot.keyClicks(dialog.add_ref, "HN-204")  # already linked: not twice
        qtbot.keyClick(dialog.add_ref, Qt.Key.Key_Return)
        screenshot(dialog, "observation_dialog.png")

    _accept_when_shown(fill)
    answer = ObservationDialog.ask(None, session.data, "HN-204")
    assert answer == ObservationInput(
        text="Transition clinic runs jointly with adult services",
        category="good_practice",
        refs=("HN-204", "HN-602"),
        session_id="s03",
    )


def test_a_free_standing_observation_has_no_standards(qtbot: QtBot, session: VisitSession) -> None:
    dialog = ObservationDialog(None, session.data, None)
    qtbot.addWidget(dialog)
    dialog.text.setPlainText("Staff were welcoming")
    dialog.radios["general"].click()
    dialog.session.setCurrentIndex(0)
    assert dialog.value() == ObservationInput("Staff were welcoming", "general", (), "")


def test_removing_a_linked_standard(qtbot: QtBot, session: VisitSession) -> None:
    dialog = ObservationDialog(None, session.data, "HN-101")
    qtbot.addWidget(dialog)
    dialog.add("HN-102")
    dialog.refs.setCurrentRow(0)
    dialog.remove_ref.click()
    assert dialog.linked_refs() == ("HN-102",)


# -- photos -----------------------------------------------------------------------------------


def test_photo_from_a_file_returns_its_bytes(
    screenshot: Screenshot, qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(camera, "camera_available", lambda: False)
    picture = tmp_path / "ward.jpg"
    picture.write_bytes(_jpeg())
    monkeypatch.setattr(
        QFileDialog, "getOpenFileName", staticmethod(lambda *_a, **_k: (str(picture), ""))
    )

    def fill(dialog: PhotoDialog) -> None:
        assert not dialog.ok_button.isEnabled()
        dialog.from_file.click()
        assert dialog.preview.pixmap() is not None and not dialog.preview.pixmap().isNull()
        qtbot.keyClicks(dialog.caption, "Sluice room door propped open")
        screenshot(dialog, "photo_dialog.png")

    _accept_when_shown(fill)
    answer = PhotoDialog.ask(None)
    assert answer == PhotoInput(picture.read_bytes(), "Sluice room door propped open")


def test_a_file_that_is_not_an_image_is_refused(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(camera, "camera_available", lambda: False)
    text = tmp_path / "notes.jpg"
    text.write_text("not a picture", encoding="utf-8")
    monkeypatch.setattr(
        QFileDialog, "getOpenFileName", staticmethod(lambda *_a, **_k: (str(text), ""))
    )
    dialog = PhotoDialog(None)
    qtbot.addWidget(dialog)
    dialog.from_file.click()
    assert not dialog.ok_button.isEnabled()
    assert "not a picture" in dialog.hint.text()


def test_no_camera_disables_take_a_photo(qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(camera, "camera_available", lambda: False)
    dialog = PhotoDialog(None)
    qtbot.addWidget(dialog)
    assert not dialog.take.isEnabled()
    assert dialog.take.toolTip() == "No camera found"
    assert dialog.reminder.text() == "No faces, names or NHS numbers in photos."


def test_a_photo_from_the_camera(qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    photo = _jpeg()
    monkeypatch.setattr(camera, "camera_available", lambda: True)
    monkeypatch.setattr(camera, "capture_photo", lambda _parent: photo)
    dialog = PhotoDialog(None)
    qtbot.addWidget(dialog)
    assert dialog.take.isEnabled()
    dialog.take.click()
    assert dialog.ok_button.isEnabled()
    assert dialog.value() == PhotoInput(photo, "")


def test_the_real_camera_check_does_not_crash_without_a_camera() -> None:
    assert isinstance(camera.camera_available(), bool)
    assert isinstance(camera.camera_names(), list)
