"""My judgement (and the page above it) reads in light and dark palettes (issue 16, point 6),
switched while the window runs.

Contrast is measured WCAG's way (relative luminance, (L1 + 0.05) / (L2 + 0.05)) on what is
painted: the card's background is a pixel of a grab of the window, the radio buttons' rings and
the reason box's border are the pixels of the grab that stand out most from it, and the hint's
text colour is the one its label paints with. The thresholds:

- text, the "Keys: 1 Met ..." hint and the page's section (muted): at least 4.5:1 (WCAG 2.2,
  1.4.3, AA);
- the radio buttons' rings, the reason box's border and the lettered parts' check boxes: at
  least 3:1 (WCAG 2.2, 1.4.11, non-text contrast).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from helpers import WAIT, Screenshot
from PySide6.QtCore import QPoint, QRect
from PySide6.QtGui import QColor, QImage, QPalette
from PySide6.QtWidgets import QApplication, QStyle, QStyleOptionButton, QWidget
from pytestqt.qtbot import QtBot

from reviewer_app.app.paths import AppPaths
from reviewer_app.visit.session import VisitSession
from ui.main_window import ReviewerWindow
from ui.palette import NON_TEXT_CONTRAST, TEXT_CONTRAST, contrast

TEXT = 4.5
NON_TEXT = 3.0


def dark_palette() -> QPalette:
    """A typical dark palette: the common roles only (no placeholder, mid or dark colours)."""
    palette = QPalette(QApplication.style().standardPalette())
    role = QPalette.ColorRole
    for r, colour in {
        role.Window: "#2b2b2b",
        role.WindowText: "#e6e6e6",
        role.Base: "#1e1e1e",
        role.AlternateBase: "#2f2f2f",
        role.ToolTipBase: "#2b2b2b",
        role.ToolTipText: "#e6e6e6",
        role.Text: "#e6e6e6",
        role.Button: "#353535",
        role.ButtonText: "#e6e6e6",
        role.BrightText: "#ff5555",
        role.Link: "#6ea8fe",
        role.Highlight: "#2f65ca",
        role.HighlightedText: "#ffffff",
    }.items():
        palette.setColor(r, QColor(colour))
    return palette


@pytest.fixture
def app() -> Iterator[QApplication]:
    """The application, its palette put back after the test."""
    instance = QApplication.instance()
    assert isinstance(instance, QApplication)
    palette = QPalette(instance.palette())
    yield instance
    instance.setPalette(palette)


def grab(window: ReviewerWindow) -> QImage:
    QApplication.processEvents()
    return window.grab().toImage()


def at(image: QImage, window: QWidget, widget: QWidget, point: QPoint) -> QColor:
    return image.pixelColor(widget.mapTo(window, point) * image.devicePixelRatio())


def most_standing_out(
    image: QImage,
    window: ReviewerWindow,
    widget: QWidget,
    rect: QRect,
    behind: QColor | None = None,
) -> QColor:
    """The pixel of ``rect`` (in ``widget``) that differs most from what is ``behind`` it
    (the card's background unless said)."""
    best, best_ratio = QColor(), 0.0
    card = behind if behind is not None else card_background(image, window)
    for x in range(rect.left(), rect.right() + 1):
        for y in range(rect.top(), rect.bottom() + 1):
            colour = at(image, window, widget, QPoint(x, y))
            ratio = contrast(colour, card)
            if ratio > best_ratio:
                best, best_ratio = colour, ratio
    return best


def card_background(image: QImage, window: ReviewerWindow) -> QColor:
    card = window.page.judgement
    return at(image, window, card, QPoint(card.width() - 12, card.height() // 2))


def ring_rect(radio: QWidget) -> QRect:
    option = QStyleOptionButton()
    option.initFrom(radio)
    return radio.style().subElementRect(QStyle.SubElement.SE_RadioButtonIndicator, option, radio)


def measured(window: ReviewerWindow) -> dict[str, float]:
    """The contrast of each thing against the card's background, as painted."""
    image = grab(window)
    card = window.page.judgement
    background = card_background(image, window)
    hint = card.keys_hint
    hint_text = hint.palette().color(hint.foregroundRole())
    hint_background = at(image, window, hint, QPoint(hint.width() - 2, hint.height() - 2))
    out = {"hint text": contrast(hint_text, hint_background)}
    for value, radio in card.radios.items():
        ring = most_standing_out(image, window, radio, ring_rect(radio))
        out[f"{value} ring{' (chosen)' if radio.isChecked() else ''}"] = contrast(ring, background)
    reason = card.reason
    edge = QRect(0, reason.height() // 4, 3, reason.height() // 2)  # its left border
    out["reason border"] = contrast(most_standing_out(image, window, reason, edge), background)
    # On the page: the section's muted text and the lettered parts' boxes.
    page = window.page
    section = page.section_label
    behind = at(image, window, section, QPoint(section.width() - 2, section.height() - 2))
    out["section text"] = contrast(section.palette().color(section.foregroundRole()), behind)
    empty = page.lists.notes.empty  # "None yet." under My notes (none on this standard)
    assert empty.isVisible() and empty.text() == "None yet."
    behind_empty = at(image, window, empty, QPoint(empty.width() - 2, empty.height() - 2))
    out["'None yet.' text"] = contrast(empty.palette().color(empty.foregroundRole()), behind_empty)
    for label, box in page.part_boxes.items():
        indicator = check_rect(box)
        edge_colour = most_standing_out(image, window, box, indicator, behind)
        out[f"part {label} box"] = contrast(edge_colour, behind)
    return out


def check_rect(box: QWidget) -> QRect:
    option = QStyleOptionButton()
    option.initFrom(box)
    return box.style().subElementRect(QStyle.SubElement.SE_CheckBoxIndicator, option, box)


def too_low(found: dict[str, float]) -> dict[str, float]:
    return {
        name: round(ratio, 2)
        for name, ratio in found.items()
        if ratio < (TEXT if name.endswith("text") else NON_TEXT)
    }


def test_the_judgement_reads_in_light_and_dark_and_follows_a_switch(
    screenshot: Screenshot, qtbot: QtBot, session: VisitSession, app: QApplication
) -> None:
    assert (TEXT_CONTRAST, NON_TEXT_CONTRAST) == (TEXT, NON_TEXT)  # the app aims at these
    app.setPalette(QApplication.style().standardPalette())  # light
    window = ReviewerWindow(session, AppPaths.from_environment())
    qtbot.addWidget(window)
    window.resize(1400, 900)
    window.show()
    qtbot.waitExposed(window)
    window.go_to("HN-102")
    card = window.page.judgement
    assert card.radios["met"].isVisible() and card.keys_hint.text().startswith("Keys: 1 Met")
    light = measured(window)
    assert too_low(light) == {}, light
    screenshot(window.splitter.widget(1), "standard_page_light.png")

    app.setPalette(dark_palette())  # switched while the window is open
    qtbot.waitUntil(lambda: card.colours.background.name() == "#1e1e1e", timeout=WAIT)
    dark = measured(window)
    assert too_low(dark) == {}, dark
    assert card_background(grab(window), window).lightness() < 128  # really dark
    screenshot(window.splitter.widget(1), "standard_page_dark.png")

    app.setPalette(QApplication.style().standardPalette())  # and back
    qtbot.waitUntil(lambda: card.colours.background.lightness() > 128, timeout=WAIT)
    assert too_low(measured(window)) == {}
    window.close()


def test_not_yet_assessed_shows_one_circle_not_two(qtbot: QtBot, session: VisitSession) -> None:
    """Its empty-circle icon beside the radio's own ring read as a second radio button (issue
    16, point 9): the choice has its ring only; the others keep their tick, cross and dash."""
    window = ReviewerWindow(session, AppPaths.from_environment())
    qtbot.addWidget(window)
    card = window.page.judgement
    assert card.radios["not_assessed"].icon().isNull()
    assert all(not r.icon().isNull() for v, r in card.radios.items() if v != "not_assessed")
    window.close()
