"""Accessibility: every control has a name a screen reader can say, every menu action has text,
the keyboard reaches the judgement, and the window follows a dark palette and a larger font."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import WAIT, Screenshot, settle, show_window
from PIL import Image
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPalette
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QHeaderView,
    QLineEdit,
    QMenu,
    QPlainTextEdit,
    QProgressBar,
    QSlider,
    QTabWidget,
    QTextEdit,
    QToolButton,
    QWidget,
)
from pytestqt.qtbot import QtBot

from reviewer_app.app.paths import AppPaths
from reviewer_app.demo.kits import demo_visit
from reviewer_app.visit.session import VisitSession
from reviewer_app.visit.workspaces import WorkspaceDamaged, open_kit, open_session
from ui.dialogs import EvidenceDialog, NoteDialog, ObservationDialog, PhotoDialog
from ui.main_window import ReviewerWindow
from ui.start_screen import StartScreen
from ui.who_am_i import WhoAmIDialog
from ui.workspace_problem import WorkspaceProblemDialog

LAPTOP_WIDTH = 1366  # the narrowest common laptop screen
CONTROLS = (
    QAbstractButton,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QComboBox,
    QAbstractItemView,
    QAbstractSpinBox,
    QSlider,
    QTabWidget,
    QProgressBar,
)


# -- finding controls without a name ---------------------------------------------------------------


def _part_of_a_named_control(w: QWidget) -> bool:
    """Qt's own sub-controls, named through the control they belong to (said, not skipped
    silently: these are the only exceptions)."""
    parent = w.parentWidget()
    named = parent is not None and bool(parent.accessibleName())
    if isinstance(w, QHeaderView):  # a table's or tree's header: read as the view's columns
        return named
    if isinstance(w, QLineEdit) and isinstance(parent, QComboBox | QAbstractSpinBox):
        return named  # the editor inside an editable combo box or a spin box
    if isinstance(w, QToolButton) and isinstance(parent, QLineEdit):
        return named  # a line edit's clear button
    return False


def unnamed(root: QWidget) -> list[str]:
    """Every visible control under ``root`` (itself included) with an empty accessible name."""
    found = []
    for w in [root, *root.findChildren(QWidget)]:
        if not isinstance(w, CONTROLS) or not w.isVisible() or _part_of_a_named_control(w):
            continue
        if not w.accessibleName().strip():
            text = getattr(w, "text", lambda: "")()
            found.append(f"{type(w).__name__} {w.objectName()!r} text={text!r} in {root_name(w)}")
    return found


def root_name(w: QWidget) -> str:
    names = []
    p = w.parentWidget()
    while p is not None and len(names) < 3:
        if p.accessibleName():
            names.append(p.accessibleName())
        p = p.parentWidget()
    return " < ".join(names) or "?"


def menu_actions_without_text(window: ReviewerWindow) -> list[str]:
    missing = []
    for top in window.menuBar().actions():
        menu = top.menu()
        if not top.text():
            missing.append("a menu with no title")
        if not isinstance(menu, QMenu):
            continue
        for action in menu.actions():
            if not action.isSeparator() and not action.text().replace("&", "").strip():
                missing.append(f"{top.text()} > {action.objectName() or '?'}")
    return missing


# -- fixtures --------------------------------------------------------------------------------------


@pytest.fixture
def visit_id(demo_kit_file: Path, paths: AppPaths) -> str:
    return open_kit(demo_kit_file, "m-cns", paths=paths, demo=True).visit_id


@pytest.fixture
def session(visit_id: str, paths: AppPaths) -> Iterator[VisitSession]:
    s = open_session(paths, visit_id).result(timeout=30)
    yield s
    s.close()  # the window closes it too: closing twice is harmless


@pytest.fixture
def looks() -> Iterator[QApplication]:
    """The app's palette and font, put back after the test."""
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    palette, font = QPalette(app.palette()), QFont(app.font())
    yield app
    app.setPalette(palette)
    app.setFont(font)


def shown_window(qtbot: QtBot, session: VisitSession, paths: AppPaths) -> ReviewerWindow:
    window = ReviewerWindow(session, paths)
    show_window(qtbot, window)
    return window


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), "teal").save(out, "JPEG")
    return out.getvalue()


# -- names -----------------------------------------------------------------------------------------


def test_every_control_of_the_main_window_has_a_name(
    qtbot: QtBot, session: VisitSession, paths: AppPaths
) -> None:
    """With every kind of row on the page: parts, documents, evidence, a note, a photo, an
    observation, a suggestion to use; both side tabs; the evidence viewer open."""
    window = shown_window(qtbot, session, paths)
    ref, comp = "HN-203", "shc"  # lettered parts and kit documents
    bridge = window.bridge
    bridge.run(session.add_evidence_seen(ref, comp, "document", document_id="E004"), "e")
    bridge.run(session.add_note(ref, "A note"), "note")
    bridge.run(session.add_photo(jpeg(), ref=ref, caption="A photo"), "photo")
    bridge.run(session.add_observation("Seen", "good_practice", (ref,), ""), "obs")
    bridge.run(session.tick_part(ref, comp, "a", True), "tick")
    settle(qtbot, window)
    window.go_to(ref)
    qtbot.waitUntil(window.page.judgement.use_button.isVisible, timeout=WAIT)
    qtbot.waitUntil(lambda: bool(window.page.part_boxes["a"].isVisible()), timeout=WAIT)
    window.navigator.search.setText("lead")  # the line edit's clear button shows
    missing = unnamed(window)
    window.show_tab(1)
    QApplication.processEvents()
    missing += unnamed(window)
    window.open_viewer("E004")
    qtbot.waitUntil(lambda: window.viewer is not None and window.viewer.isVisible(), timeout=WAIT)
    missing += unnamed(window.viewer)
    assert sorted(set(missing)) == []
    # The team's and the lead's menus come after the first paint: wait for them, then walk all.
    qtbot.waitUntil(lambda: window._team is not None, timeout=WAIT)
    titles = [a.text() for a in window.menuBar().actions()]
    assert "&Team" in titles and ("&Lead" in titles or "Re&port" in titles), titles
    assert menu_actions_without_text(window) == []
    assert len(window.menuBar().actions()) >= 8
    window.close()


def test_every_control_of_the_start_screen_has_a_name(
    qtbot: QtBot, demo_kit_file: Path, paths: AppPaths
) -> None:
    screen = StartScreen(paths, demo=True)
    qtbot.addWidget(screen)
    screen.show()
    qtbot.waitUntil(screen.no_visits.isVisible, timeout=WAIT)
    missing = unnamed(screen)  # empty: no visits yet
    open_kit(demo_kit_file, "m-cns", paths=paths, demo=True)
    screen.refresh()
    qtbot.waitUntil(lambda: screen.model.rowCount() == 1 and screen.recent.isVisible())
    missing += unnamed(screen)
    screen.opener.busy.emit("Opening…")  # the busy line and bar
    screen.busy_bar.setVisible(True)
    missing += unnamed(screen)
    assert sorted(set(missing)) == []
    screen.close()


def test_every_control_of_every_dialog_has_a_name(
    qtbot: QtBot, session: VisitSession, tmp_path: Path
) -> None:
    data = session.data
    damaged = WorkspaceDamaged(
        tmp_path / "workspace.sqlite", "file is not a database", [tmp_path / "backup-1.sqlite"]
    )
    dialogs: list[QWidget] = [
        EvidenceDialog(None, data, "HN-101", "shc"),
        NoteDialog(None, "Note on HN-101"),
        ObservationDialog(None, data, "HN-101"),
        PhotoDialog(None),
        WhoAmIDialog(None, data.visit.title, demo_visit().team),
        WorkspaceProblemDialog(None, damaged, data.visit.title),
    ]
    missing: list[str] = []
    for dialog in dialogs:
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitExposed(dialog)
        missing += unnamed(dialog)
        if isinstance(dialog, EvidenceDialog):  # the other kinds show other fields
            for kind in ("meeting", "interview", "observation"):
                dialog.set_kind(kind)
                missing += unnamed(dialog)
        if isinstance(dialog, ObservationDialog):
            dialog.add_ref.setText("HN-2")
            missing += unnamed(dialog)
        dialog.close()
    assert sorted(set(missing)) == []


# -- keyboard --------------------------------------------------------------------------------------


def test_tab_from_the_navigator_reaches_the_judgement_and_the_reason(
    qtbot: QtBot, session: VisitSession, paths: AppPaths
) -> None:
    window = shown_window(qtbot, session, paths)
    card = window.page.judgement
    window.navigator.tree.setFocus()
    qtbot.waitUntil(window.navigator.tree.hasFocus, timeout=WAIT)
    reached: list[QWidget] = []
    for _ in range(40):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        reached.append(QApplication.focusWidget())
    radios = set(card.radios.values())
    assert any(w in radios for w in reached), [w.accessibleName() for w in reached]
    assert card.reason in reached
    # Down the page as it reads (issue 16): the lettered parts, then my judgement and reason.
    # (F6 or Ctrl+R go straight to the judgement; tests/ui/test_focus_order.py walks it all.)
    parts = [reached.index(box) for box in window.page.part_boxes.values()]
    first_radio = min(reached.index(w) for w in reached if w in radios)
    assert parts and max(parts) < first_radio < reached.index(card.reason)
    # ...and Shift+Tab goes back the same way, out of the reason box and past the judgement.
    card.reason.setFocus()
    qtbot.waitUntil(card.reason.hasFocus, timeout=WAIT)
    qtbot.keyClick(card.reason, Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier)
    assert QApplication.focusWidget() in radios
    window.close()


# -- palette and font ------------------------------------------------------------------------------


def dark_palette() -> QPalette:
    p = QPalette()
    colours = {
        QPalette.ColorRole.Window: "#1f2226",
        QPalette.ColorRole.WindowText: "#e6e6e6",
        QPalette.ColorRole.Base: "#16181b",
        QPalette.ColorRole.AlternateBase: "#23262b",
        QPalette.ColorRole.Text: "#e6e6e6",
        QPalette.ColorRole.Button: "#2a2e33",
        QPalette.ColorRole.ButtonText: "#e6e6e6",
        QPalette.ColorRole.Highlight: "#3d7bd9",
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.PlaceholderText: "#9aa0a6",
        QPalette.ColorRole.ToolTipBase: "#2a2e33",
        QPalette.ColorRole.ToolTipText: "#e6e6e6",
        QPalette.ColorRole.Mid: "#4a4f55",
        QPalette.ColorRole.Light: "#3a3f45",
        QPalette.ColorRole.Dark: "#101214",
    }
    for role, colour in colours.items():
        p.setColor(role, QColor(colour))
    return p


def pixel(image: QImage, widget: QWidget, window: QWidget, at: QPoint) -> QColor:
    """The colour of ``widget``'s point ``at`` in a grab of ``window``."""
    point = widget.mapTo(window, at) * image.devicePixelRatio()
    return image.pixelColor(point)


def test_the_window_follows_a_dark_palette(
    screenshot: Screenshot,
    qtbot: QtBot,
    session: VisitSession,
    paths: AppPaths,
    looks: QApplication,
) -> None:
    looks.setPalette(dark_palette())
    window = shown_window(qtbot, session, paths)
    page = window.page
    window.go_to("HN-102")
    qtbot.keyClick(window.navigator.tree, Qt.Key.Key_2)  # Not met, with no reason: the warning
    settle(qtbot, window)
    assert page.judgement.warning.isVisible()
    QApplication.processEvents()
    image = window.grab().toImage()
    screenshot(image, "reviewer_window_dark.png")
    viewport = page.viewport()
    samples = {
        "page background": pixel(image, viewport, window, QPoint(viewport.width() - 6, 6)),
        "page bottom": pixel(
            image, viewport, window, QPoint(viewport.width() // 2, viewport.height() - 6)
        ),
        "judgement card": pixel(
            image, page.judgement, window, QPoint(page.judgement.width() - 12, 12)
        ),
        "standards list": pixel(
            image,
            window.navigator.tree.viewport(),
            window,
            QPoint(window.navigator.tree.viewport().width() - 3, 3),
        ),
        "status bar": pixel(image, window.statusBar(), window, QPoint(4, 4)),
    }
    light = {name: c.name() for name, c in samples.items() if c.lightness() >= 128}
    assert light == {}, f"hard-coded light backgrounds in a dark palette: {light}"
    # Text stays readable: the warning's colour is the dark palette's light red.
    warning = page.judgement.warning.styleSheet()
    assert "#ff8a80" in warning, warning
    window.close()


def test_the_window_follows_a_larger_system_font(
    screenshot: Screenshot, qtbot: QtBot, visit_id: str, paths: AppPaths, looks: QApplication
) -> None:
    normal = shown_window(qtbot, open_session(paths, visit_id).result(timeout=30), paths)
    normal_title = normal.page.title_label.font().pointSizeF()
    normal_reason = normal.page.judgement.reason.height()
    normal_row = normal.navigator.tree.sizeHintForRow(1)
    normal.close()
    font = QFont(looks.font())
    font.setPointSizeF(14)
    looks.setFont(font)
    big = shown_window(qtbot, open_session(paths, visit_id).result(timeout=30), paths)
    page = big.page
    assert page.title_label.font().pointSizeF() > normal_title
    assert page.title_label.font().pointSizeF() == pytest.approx(14 * 1.25)
    assert page.requirement.font().pointSizeF() == pytest.approx(14)
    assert page.judgement.radios["met"].font().pointSizeF() == pytest.approx(14)
    assert page.judgement.reason.height() > normal_reason  # five lines of the larger font
    assert big.navigator.tree.sizeHintForRow(1) > normal_row
    # The larger font wraps the long visit title and venue: the window still fits a laptop.
    assert big.minimumSizeHint().width() <= LAPTOP_WIDTH
    assert big.width() == 1400
    QApplication.processEvents()
    screenshot(big, "reviewer_window_14pt.png")
    big.close()


def test_at_a_larger_font_the_page_fits_its_column(
    qtbot: QtBot, visit_id: str, paths: AppPaths, looks: QApplication
) -> None:
    font = QFont(looks.font())
    font.setPointSizeF(14)
    looks.setFont(font)
    window = shown_window(qtbot, open_session(paths, visit_id).result(timeout=30), paths)
    page = window.page
    QApplication.processEvents()
    try:
        assert page.widget().width() <= page.viewport().width(), (
            f"page content {page.widget().width()} px in a {page.viewport().width()} px column"
        )
    finally:
        window.close()


def test_the_open_window_follows_a_font_and_palette_changed_while_it_runs(
    screenshot: Screenshot,
    qtbot: QtBot,
    session: VisitSession,
    paths: AppPaths,
    looks: QApplication,
) -> None:
    """The user changes the system font size, then switches to dark, with the visit open."""
    window = shown_window(qtbot, session, paths)
    page = window.page
    window.go_to("HN-102")
    qtbot.keyClick(window.navigator.tree, Qt.Key.Key_2)  # Not met, no reason: the warning
    settle(qtbot, window)
    base = looks.font().pointSizeF()
    title = page.title_label.font().pointSizeF()
    reason = page.judgement.reason.height()
    font = QFont(looks.font())
    font.setPointSizeF(base * 1.5)
    looks.setFont(font)
    qtbot.waitUntil(
        lambda: page.title_label.font().pointSizeF() == pytest.approx(title * 1.5), timeout=WAIT
    )
    assert page.title_label.font().bold()
    assert window.heading.font().pointSizeF() == pytest.approx(base * 1.5 * 1.3)
    assert page.judgement.reason.height() > reason  # still five lines of the larger font

    looks.setPalette(dark_palette())
    qtbot.waitUntil(lambda: "#ff8a80" in page.judgement.warning.styleSheet(), timeout=WAIT)
    assert window.who.palette().color(QPalette.ColorRole.WindowText).name() == "#9aa0a6"
    QApplication.processEvents()
    image = window.grab().toImage()
    screenshot(image, "reviewer_window_switched_to_dark.png")
    viewport = page.viewport()
    card = pixel(image, page.judgement, window, QPoint(page.judgement.width() - 12, 12))
    background = pixel(image, viewport, window, QPoint(viewport.width() - 6, 6))
    assert card.lightness() < 128, card.name()
    assert background.lightness() < 128, background.name()
    window.close()
