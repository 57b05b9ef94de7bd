"""The standard's page: parts suggest a judgement, reasons are asked for and saved, records
are added through their dialogs, and the page follows every change."""

from __future__ import annotations

import io

import pytest
from helpers import Screenshot, settle
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit, QPushButton
from pytestqt.qtbot import QtBot

from reviewer_app.visit.model import MET, NOT_APPLICABLE, NOT_ASSESSED, NOT_MET
from reviewer_app.visit.session import VisitSession
from ui import dialogs
from ui.bridge import SessionBridge
from ui.standard_page import StandardPage

PARTS_REF = "HN-101"  # seven lettered parts, a key standard, a self-assessment and a document


@pytest.fixture
def page(qtbot: QtBot, session: VisitSession) -> StandardPage:
    bridge = SessionBridge(session)
    page = StandardPage(bridge)
    page._bridge_keepalive = bridge  # type: ignore[attr-defined]
    qtbot.addWidget(page)
    page.resize(760, 900)
    page.show()
    page.show_standard(PARTS_REF, "shc")
    return page


def test_the_page_shows_the_standard_and_the_providers_claim(page: StandardPage) -> None:
    std = page.data.by_ref[PARTS_REF]
    assert page.ref_label.text() == PARTS_REF
    assert page.title_label.text() == std.title
    assert page.key_badge.isVisibleTo(page)
    assert list(page.part_boxes) == [p.label for p in std.parts]
    assert page.claim_group.title().startswith("Provider's self-assessment")
    assert page.claim.text().startswith("The provider claims:")
    docs = page.data.documents_for(PARTS_REF)
    assert docs and [b.text() for b in document_buttons(page)] == [d.title for d in docs]
    assert page.judgement.radios[NOT_ASSESSED].isChecked()


def document_buttons(page: StandardPage) -> list[QPushButton]:
    """The "open document" buttons shown (the page keeps them from standard to standard)."""
    box = page.documents_box
    buttons = [box.itemAt(i).widget() for i in range(box.count())]
    return [b for b in buttons if isinstance(b, QPushButton) and b.isVisibleTo(page)]


def test_moving_on_keeps_the_focus_and_opens_the_right_documents(
    qtbot: QtBot, page: StandardPage
) -> None:
    data = page.data
    few = min((s for s in data.standards if s.parts), key=lambda s: len(s.parts))
    assert len(few.parts) < len(data.by_ref[PARTS_REF].parts)
    page.activateWindow()
    qtbot.waitUntil(page.isActiveWindow, timeout=5_000)
    page.show_standard(few.ref, "shc")
    docs = data.documents_for(few.ref)
    assert [b.text() for b in document_buttons(page)] == [d.title for d in docs]
    page.part_boxes["a"].setFocus()
    qtbot.waitUntil(page.part_boxes["a"].hasFocus, timeout=5_000)
    # More parts than the last standard had: their lines are shown again; the focus stays.
    page.show_standard(PARTS_REF, "shc")
    assert len(page.part_boxes) == len(data.by_ref[PARTS_REF].parts)
    assert all(box.isVisibleTo(page) for box in page.part_boxes.values())
    assert page.part_boxes["a"].hasFocus()
    opened: list[str] = []
    page.open_document.connect(lambda d, _s: opened.append(d))
    buttons = document_buttons(page)
    qtbot.mouseClick(buttons[0], Qt.MouseButton.LeftButton)
    assert opened == [data.documents_for(PARTS_REF)[0].id]
    assert buttons[0].accessibleName() == f"Open document {buttons[0].text()}"


def test_ticking_every_part_suggests_met_and_use_applies_it(
    screenshot: Screenshot, qtbot: QtBot, page: StandardPage
) -> None:
    boxes = list(page.part_boxes.values())
    qtbot.mouseClick(boxes[0], Qt.MouseButton.LeftButton)
    settle(qtbot, page)
    assert page.judgement.suggestion.isVisibleTo(page)
    assert "suggests Not met" in page.judgement.suggestion.text()
    for box in boxes[1:]:
        qtbot.mouseClick(box, Qt.MouseButton.LeftButton)
    settle(qtbot, page)
    assert page.judgement.suggestion.text() == "Parts a–g all ticked: suggests Met"
    assert page.data.judgement(PARTS_REF, "shc").value == NOT_ASSESSED  # never by itself
    qtbot.mouseClick(page.judgement.use_button, Qt.MouseButton.LeftButton)
    settle(qtbot, page)
    assert page.data.judgement(PARTS_REF, "shc").value == MET
    assert page.judgement.radios[MET].isChecked()
    assert not page.judgement.suggestion.isVisibleTo(page)
    screenshot(page, "standard_page.png")


def test_not_met_asks_for_a_reason_which_is_saved_on_focus_out(
    qtbot: QtBot, page: StandardPage
) -> None:
    qtbot.mouseClick(page.judgement.radios[NOT_MET], Qt.MouseButton.LeftButton)
    assert page.judgement.warning.isVisibleTo(page)
    assert page.judgement.warning.text() == "A reason is needed for Not met"
    settle(qtbot, page)
    page.judgement.reason.setFocus()
    qtbot.keyClicks(page.judgement.reason, "No leaflet in Polish")
    assert not page.judgement.warning.isVisibleTo(page)
    other = QLineEdit(page)
    other.show()
    other.setFocus()  # focus leaves the reason: saved
    qtbot.waitUntil(
        lambda: page.data.judgement(PARTS_REF, "shc").reason == "No leaflet in Polish",
        timeout=10_000,
    )
    assert page.data.judgement(PARTS_REF, "shc").value == NOT_MET


def test_a_pause_in_typing_saves_the_reason(qtbot: QtBot, page: StandardPage) -> None:
    page.judge(NOT_APPLICABLE)
    settle(qtbot, page)
    page.judgement.reason.setFocus()
    qtbot.keyClicks(page.judgement.reason, "Not provided at this site")
    qtbot.waitUntil(
        lambda: page.data.judgement(PARTS_REF, "shc").reason == "Not provided at this site",
        timeout=5_000,
    )
    assert page.judgement.reason.hasFocus()


def test_a_reason_typed_then_judged_goes_with_the_judgement(
    qtbot: QtBot, page: StandardPage
) -> None:
    page.judgement.reason.setFocus()
    qtbot.keyClicks(page.judgement.reason, "Two of seven parts missing")
    page.judge(NOT_MET)
    settle(qtbot, page)
    j = page.data.judgement(PARTS_REF, "shc")
    assert (j.value, j.reason) == (NOT_MET, "Two of seven parts missing")
    assert not page.judgement.warning.isVisibleTo(page)


def test_moving_away_saves_the_reason_being_typed(qtbot: QtBot, page: StandardPage) -> None:
    page.judgement.reason.setFocus()
    qtbot.keyClicks(page.judgement.reason, "half-typed")
    page.show_standard("HN-102", "shc")
    settle(qtbot, page)
    assert page.data.judgement(PARTS_REF, "shc").reason == "half-typed"
    assert page.judgement.reason.toPlainText() == ""


def test_notes_evidence_observations_and_photos_are_added_through_their_dialogs(
    qtbot: QtBot, page: StandardPage, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = page.data.documents_for(PARTS_REF)[0]
    monkeypatch.setattr(
        dialogs.EvidenceDialog,
        "ask",
        classmethod(
            lambda _cls, *_a: {
                "kind": "document",
                "document_id": doc.id,
                "location": "p. 2",
                "description": "Leaflet v4",
            }
        ),
    )
    monkeypatch.setattr(dialogs.NoteDialog, "ask", classmethod(lambda _cls, *_a: "Only in English"))
    monkeypatch.setattr(
        dialogs.ObservationDialog,
        "ask",
        classmethod(
            lambda _cls, *_a: dialogs.ObservationInput(
                "Leaflets out of date", "concern", (PARTS_REF,), ""
            )
        ),
    )
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (40, 120, 200)).save(buf, "PNG")
    monkeypatch.setattr(
        dialogs.PhotoDialog,
        "ask",
        classmethod(lambda _cls, *_a: dialogs.PhotoInput(buf.getvalue(), "Rack")),
    )
    lists = page.lists
    qtbot.mouseClick(lists.evidence.add, Qt.MouseButton.LeftButton)
    page.add_note()
    page.add_observation()
    page.add_photo()
    settle(qtbot, page)
    texts = {
        section: section.rows.count()
        for section in (lists.evidence, lists.notes, lists.photos, lists.observations)
    }
    assert all(n == 1 for n in texts.values()), texts
    assert [n.text for n in page.data.notes_for(PARTS_REF)] == ["Only in English"]
    assert page.data.evidence_for(PARTS_REF, "shc")[0].location == "p. 2"
    qtbot.waitUntil(lambda: lists.thumbnails.count() > 0, timeout=5_000)  # read off-thread
    opened: list[str] = []
    page.open_document.connect(lambda d, _s: opened.append(d))
    row = lists.evidence.rows.itemAt(0).layout()
    open_button = row.itemAt(row.count() - 2).widget()
    qtbot.mouseClick(open_button, Qt.MouseButton.LeftButton)
    assert opened == [doc.id]


def test_undo_of_a_judgement_elsewhere_redraws_the_page(qtbot: QtBot, page: StandardPage) -> None:
    page.judge(MET)
    settle(qtbot, page)
    scroll_before = page.verticalScrollBar().value()
    page.bridge.undo()
    settle(qtbot, page)
    assert page.judgement.radios[NOT_ASSESSED].isChecked()
    assert page.verticalScrollBar().value() == scroll_before
    page.bridge.redo()
    settle(qtbot, page)
    assert page.judgement.radios[MET].isChecked()


def test_an_observation_is_edited_in_its_dialog_and_the_edit_can_be_undone(
    qtbot: QtBot, page: StandardPage, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = dialogs.ObservationInput("Leaflets out of date", "concern", (PARTS_REF,), "")
    monkeypatch.setattr(dialogs.ObservationDialog, "ask", classmethod(lambda _cls, *_a: first))
    page.add_observation()
    settle(qtbot, page)
    (observation,) = page.data.observations_for(PARTS_REF)

    # The dialog opens on the observation as it is.
    dialog = dialogs.ObservationDialog(page, page.data, None, observation)
    qtbot.addWidget(dialog)
    assert dialog.windowTitle() == "Edit observation"
    assert dialog.value() == first

    edited = dialogs.ObservationInput(
        "Leaflets out of date; the Urdu version is missing", "serious_concern", ("HN-102",), ""
    )
    monkeypatch.setattr(dialogs.ObservationDialog, "ask", classmethod(lambda _cls, *_a: edited))
    row = page.lists.observations.rows.itemAt(0).layout()
    edit = row.itemAt(row.count() - 2).widget()
    assert edit.accessibleName() == "Edit this observation"
    qtbot.mouseClick(edit, Qt.MouseButton.LeftButton)
    settle(qtbot, page)
    now = page.data.observations[observation.id]
    assert (now.text, now.category, now.refs) == (edited.text, "serious_concern", ("HN-102",))
    # Linked now to HN-102 only: it leaves this standard's list.
    assert page.lists.observations.rows.count() == 0

    undo = page.session.undo()
    assert undo is not None
    page.bridge.run(undo, "undo")
    settle(qtbot, page)
    back = page.data.observations[observation.id]
    assert (back.text, back.category, back.refs) == (first.text, "concern", (PARTS_REF,))
    qtbot.waitUntil(lambda: page.lists.observations.rows.count() == 1, timeout=5_000)
