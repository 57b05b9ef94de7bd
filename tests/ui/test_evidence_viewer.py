"""The evidence viewer opens the kit's real PDFs, pages through them and searches them."""

from __future__ import annotations

import dataclasses
import os
import stat
from pathlib import Path

import pytest
from helpers import Screenshot
from pypdf import PdfReader
from PySide6.QtCore import Qt
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from reviewer_app.app.keys import visit_key
from reviewer_app.app.paths import AppPaths
from reviewer_app.visit.session import VisitSession
from storage.blob_crypto import encrypt_bytes
from ui.evidence_viewer import DAMAGED, MISSING, EvidenceViewer
from ui.evidence_viewer.documents import SEALED_DAMAGED

TCD_PROTOCOL = "E003"  # two pages; "capital programme" is on the second


@pytest.fixture
def viewer(qtbot: QtBot, session: VisitSession) -> EvidenceViewer:
    window = EvidenceViewer(session)
    qtbot.addWidget(window)
    window.show()
    return window


def _has_ink(viewer: EvidenceViewer) -> bool:
    """Some dark pixels in the page view: the visible page has been rendered."""
    image = viewer.view.viewport().grab().toImage()
    dark = 0
    for y in range(0, image.height(), 4):
        for x in range(0, image.width(), 4):
            dark += image.pixelColor(x, y).lightness() < 100
    return dark > 20


def _writable(path: Path) -> None:
    os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)


def test_a_demo_pdf_opens_with_its_page_count(
    qtbot: QtBot, viewer: EvidenceViewer, session: VisitSession
) -> None:
    doc = session.data.document(TCD_PROTOCOL)
    assert doc is not None
    pages = len(PdfReader(session.open_blob(doc.sha256)).pages)
    assert viewer.show_document(TCD_PROTOCOL)
    qtbot.waitUntil(viewer.showing_pdf, timeout=10_000)
    assert viewer.page_total() == pages == 2
    assert viewer.page_count.text() == f"of {pages}"
    assert viewer.title.text() == doc.title
    assert viewer.current_page() == 0
    viewer.view.setFocus()
    qtbot.keyClick(viewer.view, Qt.Key.Key_PageDown)
    assert viewer.current_page() == 1 and viewer.page.value() == 2
    qtbot.keyClick(viewer.view, Qt.Key.Key_PageUp)
    assert viewer.current_page() == 0
    viewer.page.setValue(2)
    assert viewer.current_page() == 1


def test_search_finds_a_word_and_jumps_to_its_page(
    screenshot: Screenshot, qtbot: QtBot, viewer: EvidenceViewer
) -> None:
    viewer.show_document(TCD_PROTOCOL, search="capital programme")
    qtbot.waitUntil(lambda: viewer.finder.results.count() >= 1, timeout=10_000)
    qtbot.waitUntil(lambda: viewer.current_page() == 1, timeout=5_000)
    assert viewer.view.currentSearchResultIndex() == 0
    assert viewer.finder.results.count() == viewer.finder.count()
    assert viewer.finder.results.item(0).text().startswith("p. 2 · ")
    assert "capital programme" in viewer.finder.results.item(0).text()
    assert "1 of" in viewer.finder.label.text()
    # A word on both pages: next result moves on, wrapping round.
    viewer.finder.field.setText("TCD")
    qtbot.keyClick(viewer.finder.field, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: viewer.finder.results.count() >= 2, timeout=10_000)
    first = viewer.finder.results.currentRow()
    viewer.finder.next()
    assert viewer.finder.results.currentRow() == (first + 1) % viewer.finder.count()
    viewer.resize(1200, 800)
    qtbot.waitUntil(lambda: _has_ink(viewer), timeout=10_000)  # pages render in the background
    screenshot(viewer, "evidence_viewer.png")


def test_zoom_and_fit_width(qtbot: QtBot, viewer: EvidenceViewer) -> None:
    viewer.show_document(TCD_PROTOCOL)
    qtbot.waitUntil(viewer.showing_pdf, timeout=10_000)
    assert viewer.fit.isChecked() and viewer.zoom_label.text() == ""
    before = viewer.view.zoomFactor()
    viewer.zoom_in.click()
    assert viewer.view.zoomFactor() == pytest.approx(before * 1.25)
    assert viewer.zoom_label.text().endswith("%")
    assert not viewer.fit.isChecked()
    viewer.fit.click()
    assert viewer.fit.isChecked() and viewer.zoom_label.text() == ""


def test_the_document_list_filters(viewer: EvidenceViewer, qtmodeltester: ModelTester) -> None:
    qtmodeltester.check(viewer.documents_model)
    total = viewer.proxy.rowCount()
    viewer.filter.setText("HN-209")  # by a linked standard's ref
    assert 0 < viewer.proxy.rowCount() < total
    viewer.filter.setText("protocol")
    titles = [
        viewer.proxy.index(r, 0).data(Qt.ItemDataRole.AccessibleTextRole)
        for r in range(viewer.proxy.rowCount())
    ]
    assert titles and all("protocol" in t.lower() for t in titles)


def test_a_missing_document_says_how_to_restore_it(
    qtbot: QtBot, viewer: EvidenceViewer, session: VisitSession
) -> None:
    doc = session.data.document("E001")
    assert doc is not None
    blob = session.blobs.path(doc.sha256)  # (where the sealed file is)
    _writable(blob.parent)
    blob.unlink()
    viewer.show_document("E001")
    assert not viewer.showing_pdf()
    assert viewer.message.text() == MISSING
    assert not viewer.system_button.isVisibleTo(viewer)


def test_a_damaged_sealed_copy_is_reported_with_the_way_back(
    qtbot: QtBot, viewer: EvidenceViewer, session: VisitSession
) -> None:
    doc = session.data.document("E002")
    assert doc is not None
    blob = session.blobs.path(doc.sha256)  # (sealed: a byte changed fails its check)
    _writable(blob)
    sealed = bytearray(blob.read_bytes())
    sealed[len(sealed) // 2] ^= 0xFF
    blob.write_bytes(bytes(sealed))
    viewer.show_document("E002")
    qtbot.waitUntil(lambda: viewer.message.text() == SEALED_DAMAGED, timeout=10_000)
    assert not viewer.system_button.isVisibleTo(viewer)  # no other program can read it either


def test_a_pdf_that_does_not_open_offers_the_system_viewer(
    qtbot: QtBot, viewer: EvidenceViewer, session: VisitSession, paths: AppPaths
) -> None:
    doc = session.data.document("E002")
    assert doc is not None
    blob = session.blobs.path(doc.sha256)  # authentic, but no PDF
    _writable(blob)
    key = visit_key(paths, session.data.visit.visit_id)
    blob.write_bytes(encrypt_bytes(b"this is not a PDF any more", key))
    viewer.show_document("E002")
    qtbot.waitUntil(lambda: viewer.message.text() == DAMAGED, timeout=10_000)
    assert viewer.system_button.isVisibleTo(viewer)


def test_a_document_that_is_not_a_pdf_offers_the_system_viewer(
    qtbot: QtBot, viewer: EvidenceViewer, session: VisitSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = session.data.documents[0]
    word = dataclasses.replace(doc, id="W1", file="rota.docx", title="Rota")
    viewer.load(word)
    assert not viewer.showing_pdf()
    assert "DOCX" in viewer.message.text() and "PDFs only" in viewer.message.text()
    assert viewer.system_button.isVisibleTo(viewer)
    opened: list[str] = []
    monkeypatch.setattr(
        "ui.evidence_viewer.window.QDesktopServices.openUrl",
        staticmethod(lambda url: opened.append(url.toLocalFile()) or True),
    )
    viewer.system_button.click()
    qtbot.waitUntil(lambda: bool(opened), timeout=10_000)
    copy = Path(opened[0])
    assert copy.name == "rota.docx"
    assert copy.read_bytes() == session.read_blob(doc.sha256)  # the plaintext, not the sealed file


def test_an_unknown_document_id(viewer: EvidenceViewer) -> None:
    assert not viewer.show_document("E999")
    assert "no document" in viewer.message.text()
