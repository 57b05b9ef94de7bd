"""Colours made from the application's palette, checked for contrast, light or dark.

A colour taken straight from a palette is not always readable on the colour behind it: a dark
palette that sets only the common roles (window, text, base, highlight...) keeps the light
palette's placeholder grey, and Qt's style draws a radio button's ring and a text box's frame
from the window colour, darker still. So the colours here start from the palette's roles and are
moved towards black or white, only as far as needed, until they reach the contrast WCAG 2.2
asks for:

- ``TEXT_CONTRAST`` (4.5:1, success criterion 1.4.3, level AA): text, hints included;
- ``NON_TEXT_CONTRAST`` (3:1, success criterion 1.4.11): what shows a control's state or
  bounds, a radio button's ring and dot, a text box's border.

Contrast is WCAG's: (L1 + 0.05) / (L2 + 0.05) of the relative luminances of the two colours.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QColor, QPalette

TEXT_CONTRAST = 4.5  # WCAG 2.2, 1.4.3 Contrast (Minimum), AA: normal text
NON_TEXT_CONTRAST = 3.0  # WCAG 2.2, 1.4.11 Non-text Contrast: indicators, control borders
_STEPS = 40  # how finely a colour is moved towards black or white


def relative_luminance(colour: QColor) -> float:
    """WCAG's relative luminance of an opaque colour, 0 (black) to 1 (white)."""

    def linear(channel: float) -> float:
        return channel / 12.92 if channel <= 0.04045 else ((channel + 0.055) / 1.055) ** 2.4

    return (
        0.2126 * linear(colour.redF())
        + 0.7152 * linear(colour.greenF())
        + 0.0722 * linear(colour.blueF())
    )


def contrast(a: QColor, b: QColor) -> float:
    """WCAG's contrast ratio of two opaque colours, 1 to 21."""
    la, lb = relative_luminance(a), relative_luminance(b)
    return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)


def mix(a: QColor, b: QColor, amount: float) -> QColor:
    """``a`` moved ``amount`` (0 to 1) of the way to ``b``; opaque."""
    return QColor.fromRgbF(
        a.redF() + (b.redF() - a.redF()) * amount,
        a.greenF() + (b.greenF() - a.greenF()) * amount,
        a.blueF() + (b.blueF() - a.blueF()) * amount,
    )


def over(colour: QColor, background: QColor) -> QColor:
    """``colour`` as it shows painted over ``background`` (its alpha blended in)."""
    return mix(background, colour, colour.alphaF())


def with_contrast(colour: QColor, background: QColor, ratio: float) -> QColor:
    """``colour`` (blended over ``background``), moved towards black or white, whichever
    stands out more from ``background``, just far enough to reach ``ratio``."""
    start = over(colour, background)
    if contrast(start, background) >= ratio:
        return start
    black, white = QColor(0, 0, 0), QColor(255, 255, 255)
    end = white if contrast(white, background) >= contrast(black, background) else black
    for step in range(1, _STEPS + 1):
        moved = mix(start, end, step / _STEPS)
        if contrast(moved, background) >= ratio:
            return moved
    return end


@dataclass(frozen=True)
class CardColours:
    """The colours of a card (my judgement) on the palette's base colour."""

    background: QColor  # the card's own: the palette's base
    text: QColor  # its text
    hint: QColor  # secondary text ("Keys: 1 Met ..."), a placeholder
    ring: QColor  # a radio button's ring
    checked: QColor  # the chosen radio button's ring and dot
    border: QColor  # a text box's border
    focus: QColor  # a text box's border while it has the keyboard


def card_colours(palette: QPalette) -> CardColours:
    """A card's colours from ``palette``, each readable on its base colour."""
    role = QPalette.ColorRole
    background = palette.color(role.Base)
    background.setAlpha(255)
    text = with_contrast(palette.color(role.Text), background, TEXT_CONTRAST)
    # Softer than the text, as far as each contrast allows.
    hint = with_contrast(palette.color(role.PlaceholderText), background, TEXT_CONTRAST)
    ring = with_contrast(mix(background, text, 0.6), background, NON_TEXT_CONTRAST)
    checked = with_contrast(palette.color(role.Highlight), background, NON_TEXT_CONTRAST)
    border = with_contrast(mix(background, text, 0.5), background, NON_TEXT_CONTRAST)
    return CardColours(background, text, hint, ring, checked, border, checked)


@dataclass(frozen=True)
class PageColours:
    """The colours of the standard's page, on the palette's window colour."""

    background: QColor  # the page's: the palette's window
    muted: QColor  # secondary text (the section, the kit's notes)
    box: QColor  # a check box's edge (a lettered part)
    checked: QColor  # a ticked box's fill


def page_colours(palette: QPalette) -> PageColours:
    """The page's colours from ``palette``, each readable on its window colour."""
    role = QPalette.ColorRole
    background = palette.color(role.Window)
    background.setAlpha(255)
    text = with_contrast(palette.color(role.WindowText), background, TEXT_CONTRAST)
    muted = with_contrast(palette.color(role.PlaceholderText), background, TEXT_CONTRAST)
    box = with_contrast(mix(background, text, 0.6), background, NON_TEXT_CONTRAST)
    checked = with_contrast(palette.color(role.Highlight), background, NON_TEXT_CONTRAST)
    return PageColours(background, muted, box, checked)


def check_box_sheet(box: QColor, checked: QColor, fill: QColor, size: int) -> str:
    """Check boxes whose edge and tick stand out from ``fill`` (their own inside)."""
    return (
        f"QCheckBox::indicator {{ width: {size}px; height: {size}px;"
        f" border: 2px solid {box.name()}; border-radius: 3px; background: {fill.name()}; }}"
        f" QCheckBox::indicator:checked {{ border-color: {checked.name()};"
        f" background: {checked.name()}; image: none; }}"
    )
