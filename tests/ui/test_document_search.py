"""Searching all the kit's documents from the evidence viewer and from the reviewer's window:
the demo kit's real PDFs, indexed in the background into the visit's real index file."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTreeWidgetItem
from pytestqt.qtbot import QtBot

from reviewer_app.app.paths import AppPaths
from reviewer_app.visit.session import VisitSession
from ui.document_search import SEARCH_PAUSE_MS
from ui.evidence_viewer import EvidenceViewer
from ui.main_window import ReviewerWindow

WORD = "appointments"  # on page 2 of E001 and on page 2 of E002, nowhere else


def _documents(viewer: EvidenceViewer) -> dict[str, QTreeWidgetItem]:
    tree = viewer.everywhere.tree
    items = [tree.topLevelItem(i) for i in range(tree.topLevelItemCount())]
    return {item.toolTip(0).split(" · ")[0]: item for item in items if item is not None}


def _searched(viewer: EvidenceViewer) -> str | None:
    results = viewer.everywhere.results
    return None if results is None else results.query


def test_the_viewer_search_finds_pages_in_every_document(
    qtbot: QtBot, session: VisitSession
) -> None:
    viewer = EvidenceViewer(session)
    qtbot.addWidget(viewer)
    viewer.show()
    assert viewer.finder.field.isEnabled()  # with no document shown, it searches them all
    qtbot.keyClicks(viewer.finder.field, WORD)
    qtbot.waitUntil(lambda: set(_documents(viewer)) == {"E001", "E002"}, timeout=30_000)
    qtbot.waitUntil(lambda: not viewer.everywhere.results.partial, timeout=30_000)
    assert viewer.everywhere.summary.text() == "2 pages in 2 documents"
    hit = _documents(viewer)["E002"].child(0)
    assert hit is not None
    assert hit.text(0).startswith("p. 2 · ") and WORD in hit.text(0).lower()
    tree = viewer.everywhere.tree
    tree.scrollToItem(hit)
    qtbot.mouseClick(
        tree.viewport(), Qt.MouseButton.LeftButton, pos=tree.visualItemRect(hit).center()
    )
    qtbot.waitUntil(viewer.showing_pdf, timeout=10_000)
    assert viewer.current is not None and viewer.current.id == "E002"
    qtbot.waitUntil(lambda: viewer.current_page() == 1, timeout=10_000)
    # the other document, from its own line: its first matching page
    other = _documents(viewer)["E001"]
    tree.setCurrentItem(other)
    viewer.everywhere.tree.itemActivated.emit(other, 0)
    qtbot.waitUntil(
        lambda: viewer.current is not None and viewer.current.id == "E001", timeout=10_000
    )
    qtbot.waitUntil(lambda: viewer.showing_pdf() and viewer.current_page() == 1, timeout=10_000)
    # the status line has nothing to say once every document is searchable
    qtbot.waitUntil(lambda: viewer.everywhere.status.text() == "", timeout=30_000)


def test_hostile_words_are_just_words(qtbot: QtBot, session: VisitSession) -> None:
    viewer = EvidenceViewer(session)
    qtbot.addWidget(viewer)
    assert session.document_index().wait(30)
    for text in ('"', "AND(", "NEAR(x", "*", "transcranial AND zebra"):
        viewer.search_everywhere(text)
        qtbot.waitUntil(lambda t=text: _searched(viewer) == t, timeout=10_000)
    assert "could not" not in viewer.everywhere.summary.text()
    assert viewer.everywhere.summary.text() == "No documents match"


def test_the_main_search_offers_the_documents(
    qtbot: QtBot, session: VisitSession, paths: AppPaths
) -> None:
    window = ReviewerWindow(session, paths)
    qtbot.addWidget(window)
    window.show()
    offer = window.documents
    assert not offer.button.isVisible()
    qtbot.keyClicks(window.navigator.search, WORD)
    qtbot.waitUntil(offer.button.isVisible, timeout=10_000)
    assert session.document_index().wait(30)
    qtbot.waitUntil(lambda: "2 pages in 2 documents" in offer.button.text(), timeout=10_000)
    qtbot.waitUntil(lambda: offer.status.text() == "", timeout=10_000)  # all indexed
    offer.button.click()
    viewer = window.viewer
    assert viewer is not None and viewer.isVisible()
    assert viewer.finder.field.text() == WORD
    qtbot.waitUntil(lambda: set(_documents(viewer)) == {"E001", "E002"}, timeout=10_000)
    window.navigator.search.clear()
    qtbot.waitUntil(lambda: not offer.button.isVisible(), timeout=10_000)


def test_words_typed_as_the_visit_closes_search_nothing(
    qtbot: QtBot, session: VisitSession, paths: AppPaths
) -> None:
    """Seen: the pause after typing ended after the visit had closed, and searching its closed
    index raised in the event loop."""
    window = ReviewerWindow(session, paths)
    qtbot.addWidget(window)
    window.show()
    offer = window.documents
    qtbot.keyClicks(window.navigator.search, WORD)
    window.close()  # as the app closes a visit: its window, then its session,
    session.close()  # before the pause in typing is over
    qtbot.wait(SEARCH_PAUSE_MS * 3)  # (an exception in the event loop fails the test)
    assert session.document_index().closed
    assert "Search" not in offer.button.text()  # nothing was offered for the closed visit
