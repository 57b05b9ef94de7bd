"""The standard's text in the reviewer's window: a table pasted from Excel shows as a table,
"see HN-105" is a link that takes the window there (by mouse and by keyboard), an unknown ref
stays words, and roman sub-items sit indented under their letter and are ticked on their own."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import Screenshot, settle
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QTextDocument, QTextTable
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from reviewer_app.app.paths import AppPaths
from reviewer_app.visit.session import VisitSession
from sync.kit_model import Part, Standard
from ui.main_window import ReviewerWindow

ROOT = Path(__file__).resolve().parents[2]
TABLE_REF = "HN-102"  # a pasted table and cross-references (one to a ref the visit lacks)
PARTS_REF = "HN-104"  # no stem; parts a (with i and ii) and b (which says "see HN-103")
REQUIREMENT = (
    "Written information should cover the services below:\n"
    "Service\tWhere\tHours\n"
    "Day unit\tWard 4 <east>\t9-5\n"
    "Out of hours\tA&E\n"
    "For transfusion see HN-105 and HN-999."
)
PARTS = (
    Part("a", "Transition information, covering:"),
    Part("a.i", "visiting the adult service"),
    Part("a.ii", "who to call"),
    Part("b", "Arrangements during transition (see HN-103)"),
)


def rewrite(session: VisitSession, ref: str, **fields: object) -> None:
    """Give a demo standard the text an import would give it (before the window reads it)."""
    data = session.data
    std: Standard = dataclasses.replace(data.by_ref[ref], **fields)  # type: ignore[arg-type]
    data.standards[[s.ref for s in data.standards].index(ref)] = std
    data.by_ref[ref] = std


@pytest.fixture
def window(qtbot: QtBot, session: VisitSession) -> ReviewerWindow:
    rewrite(
        session,
        TABLE_REF,
        requirement=REQUIREMENT,
        evidence_expected="Leaflets (see HN-101). Commissioning: see HN-901.",
    )
    rewrite(session, PARTS_REF, requirement="", parts=PARTS)
    window = ReviewerWindow(session, AppPaths.from_environment())
    qtbot.addWidget(window)
    window.resize(1400, 900)
    window.show()
    qtbot.waitExposed(window)
    return window


def document(label: QLabel) -> QTextDocument:
    doc = QTextDocument()
    doc.setDefaultFont(label.font())
    doc.setDocumentMargin(0)
    doc.setHtml(label.text())
    doc.setTextWidth(label.contentsRect().width())
    return doc


def hrefs(label: QLabel) -> list[str]:
    found = []
    doc = document(label)  # kept: a block does not keep its document alive
    block = doc.begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            href = it.fragment().charFormat().anchorHref()
            if href:
                found.append(href)
            it += 1
        block = block.next()
    return found


def link_point(label: QLabel, href: str) -> QPoint:
    """Where the link to ``href`` is drawn in ``label`` (the middle of its text)."""
    doc = document(label)
    block = doc.begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            fragment = it.fragment()
            if fragment.charFormat().anchorHref() == href:
                at = fragment.position() + fragment.length() // 2 - block.position()
                box = doc.documentLayout().blockBoundingRect(block)  # lays the text out
                layout = block.layout()
                line = layout.lineForTextPosition(at)
                assert line.isValid()
                x = line.cursorToX(at)[0]
                y = box.y() + line.y() + line.height() / 2
                return label.contentsRect().topLeft() + QPoint(int(box.x() + x), int(y))
            it += 1
        block = block.next()
    raise AssertionError(f"no link to {href} in {label.text()!r}")


def go(qtbot: QtBot, window: ReviewerWindow, ref: str) -> None:
    window.go_to(ref)
    qtbot.waitUntil(lambda: window.page.ref_label.text() == ref, timeout=5_000)


def test_a_pasted_table_shows_as_a_table_between_its_paragraphs(
    qtbot: QtBot, window: ReviewerWindow
) -> None:
    go(qtbot, window, TABLE_REF)
    label = window.page.requirement
    assert label.textFormat() == Qt.TextFormat.RichText
    assert label.accessibleName() == "Requirement"
    doc = document(label)
    tables = [f for f in doc.rootFrame().childFrames() if isinstance(f, QTextTable)]
    assert len(tables) == 1
    table = tables[0]
    assert (table.rows(), table.columns()) == (3, 3)
    cells = [
        [table.cellAt(r, c).firstCursorPosition().block().text() for c in range(3)]
        for r in range(3)
    ]
    assert cells == [
        ["Service", "Where", "Hours"],
        ["Day unit", "Ward 4 <east>", "9-5"],  # escaped, so shown as typed
        ["Out of hours", "A&E", ""],  # a ragged row is padded
    ]
    assert "<th>Service</th>" in label.text()  # the first row is the header
    plain = doc.toPlainText()
    assert plain.startswith("Written information should cover the services below:")
    assert plain.rstrip().endswith("For transfusion see HN-105 and HN-999.")


def test_only_refs_the_reviewer_can_go_to_are_links(qtbot: QtBot, window: ReviewerWindow) -> None:
    go(qtbot, window, TABLE_REF)
    page = window.page
    assert hrefs(page.requirement) == ["standard:HN-105"]  # HN-999 stays words
    # HN-901 is the commissioners': not in this component's list, so no link to nowhere
    assert page.component == "shc" and "shc" not in page.data.by_ref["HN-901"].applies_to
    assert hrefs(page.evidence_expected) == ["standard:HN-101"]
    flags = page.requirement.textInteractionFlags()
    assert flags & Qt.TextInteractionFlag.LinksAccessibleByKeyboard
    assert page.requirement.focusPolicy() & Qt.FocusPolicy.TabFocus


def test_ordinary_text_stays_plain_text(qtbot: QtBot, window: ReviewerWindow) -> None:
    page = window.page
    go(qtbot, window, TABLE_REF)
    go(qtbot, window, "HN-103")
    std = page.data.by_ref["HN-103"]
    for label, text in (
        (page.requirement, std.requirement),
        (page.evidence_expected, std.evidence_expected),
    ):
        assert label.textFormat() == Qt.TextFormat.PlainText
        assert label.text() == text
        assert not label.textInteractionFlags() & Qt.TextInteractionFlag.LinksAccessibleByMouse
        assert not label.focusPolicy() & Qt.FocusPolicy.TabFocus  # no stop for the Tab key


def test_clicking_a_cross_reference_goes_to_that_standard(
    qtbot: QtBot, window: ReviewerWindow
) -> None:
    go(qtbot, window, TABLE_REF)
    label = window.page.requirement
    qtbot.mouseClick(label, Qt.MouseButton.LeftButton, pos=link_point(label, "standard:HN-105"))
    qtbot.waitUntil(lambda: window.page.ref_label.text() == "HN-105", timeout=5_000)
    assert (
        window.navigator.tree.currentIndex().data(Qt.ItemDataRole.DisplayRole).startswith("HN-105")
    )


def test_a_cross_reference_is_followed_from_the_keyboard(
    qtbot: QtBot, window: ReviewerWindow
) -> None:
    go(qtbot, window, TABLE_REF)
    label = window.page.evidence_expected
    window.activateWindow()
    label.setFocus(Qt.FocusReason.TabFocusReason)  # Tab stops at the label...
    qtbot.waitUntil(label.hasFocus, timeout=5_000)
    qtbot.keyClick(label, Qt.Key.Key_Tab)  # ...then at each of its links
    assert label.hasFocus() and label.selectedText() == "HN-101"
    qtbot.keyClick(label, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.page.ref_label.text() == "HN-101", timeout=5_000)


def test_sub_parts_sit_under_their_letter_and_are_ticked_on_their_own(
    screenshot: Screenshot, qtbot: QtBot, window: ReviewerWindow
) -> None:
    go(qtbot, window, PARTS_REF)
    page = window.page
    assert not page.requirement.isVisibleTo(page)  # no stem: no empty gap
    boxes = page.part_boxes
    assert list(boxes) == ["a", "a.i", "a.ii", "b"]
    assert boxes["a.i"].accessibleName() == "Part a.i met"

    def x(label: str) -> int:
        return boxes[label].mapTo(page, QPoint(0, 0)).x()

    qtbot.waitUntil(lambda: x("a.i") > x("a"), timeout=5_000)  # once laid out
    assert x("a.i") - x("a") == x("a.ii") - x("a") >= 20
    assert x("b") == x("a")
    texts = [w.text() for w in page.parts_box.findChildren(QLabel)]
    assert "i.  visiting the adult service" in texts and "ii.  who to call" in texts
    qtbot.mouseClick(boxes["a.i"], Qt.MouseButton.LeftButton)
    settle(qtbot, window)
    assert page.data.judgement(PARTS_REF, page.component).parts == {"a.i": True}
    assert boxes["a.i"].isChecked() and not boxes["a"].isChecked()
    screenshot(page, "standard_page_parts.png")


def test_a_link_in_a_part_is_followed_without_ticking_the_part(
    qtbot: QtBot, window: ReviewerWindow
) -> None:
    go(qtbot, window, PARTS_REF)
    page = window.page
    [label] = [w for w in page.parts_box.findChildren(QLabel) if "HN-103" in w.text()]
    qtbot.waitUntil(lambda: label.isVisible() and label.x() > 0, timeout=5_000)  # laid out
    point = link_point(label, "standard:HN-103")
    qtbot.mouseClick(label, Qt.MouseButton.LeftButton, pos=point)
    qtbot.waitUntil(lambda: page.ref_label.text() == "HN-103", timeout=5_000)
    settle(qtbot, window)
    assert page.data.judgement(PARTS_REF, page.component).parts == {}


def test_clicking_a_parts_words_ticks_it(qtbot: QtBot, window: ReviewerWindow) -> None:
    go(qtbot, window, PARTS_REF)
    page = window.page
    [label] = [w for w in page.parts_box.findChildren(QLabel) if w.text().startswith("ii.")]
    qtbot.waitUntil(lambda: label.isVisible() and label.x() > 0, timeout=5_000)  # laid out
    qtbot.mouseClick(label, Qt.MouseButton.LeftButton, pos=QPoint(4, label.height() // 2))
    settle(qtbot, window)
    assert page.data.judgement(PARTS_REF, page.component).parts == {"a.ii": True}


def test_the_page_loads_the_text_reader_only_when_a_text_needs_it() -> None:
    """Start-up is budgeted: opening the window on ordinary standards does not import it."""
    code = (
        "import sys, ui.standard_page\n"
        "print('reviewer_app.visit.requirement_text' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.strip() == "False"


def test_sub_items_ticked_suggest_met_without_ticking_their_letter(
    qtbot: QtBot, window: ReviewerWindow
) -> None:
    go(qtbot, window, PARTS_REF)
    page = window.page
    boxes = page.part_boxes

    def x(label: str) -> int:
        return boxes[label].mapTo(page, QPoint(0, 0)).x()

    qtbot.waitUntil(lambda: x("a.i") > x("a"), timeout=5_000)  # once laid out
    card = page.judgement
    for label in ("a.i", "a.ii"):
        qtbot.mouseClick(boxes[label], Qt.MouseButton.LeftButton)
        settle(qtbot, window)
    assert page.data.judgement(PARTS_REF, page.component).parts == {"a.i": True, "a.ii": True}
    qtbot.waitUntil(lambda: card.suggestion.text() == "Not ticked: b: suggests Not met")
    qtbot.mouseClick(boxes["b"], Qt.MouseButton.LeftButton)
    settle(qtbot, window)
    qtbot.waitUntil(lambda: card.suggestion.text() == "Parts a–b all ticked: suggests Met")
    assert not boxes["a"].isChecked()
