"""Small helpers for a calm, readable look that follows the system font size and palette.

A heading's size is a multiple of the system font, and secondary text takes the palette's
placeholder colour. Both are set on the widget, so Qt would keep them as they were when the
user changes the font size or switches between light and dark while the app runs: one
follower per application (``follow_system``) applies them again when that happens.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from functools import partial

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QFont, QPalette
from PySide6.QtWidgets import QApplication, QFrame, QLabel, QLayout, QVBoxLayout, QWidget
from shiboken6 import isValid

from ui.palette import TEXT_CONTRAST, with_contrast

HEADING_SCALE = "rv_heading_scale"  # widget property: the heading's multiple of the system font
MUTED = "rv_muted"  # widget property: secondary text

Restyle = Callable[[QWidget], None]
_restylers: weakref.WeakKeyDictionary[QWidget, list[Restyle]] = weakref.WeakKeyDictionary()
_followers: list[QObject] = []


def heading(label: QLabel, scale: float = 1.2) -> None:
    """Bold, and ``scale`` times the system font (never a fixed point size)."""
    label.setProperty(HEADING_SCALE, scale)
    _apply_heading(label, scale)
    follow_system()


def muted(label: QLabel) -> None:
    """Secondary text: the palette's placeholder colour, readable in light and dark themes."""
    label.setProperty(MUTED, True)
    _apply_muted(label)
    follow_system()


def restyle_on_change(widget: QWidget, restyle: Restyle) -> None:
    """Call ``restyle(widget)`` now, and again whenever the system font or palette changes.

    ``restyle`` takes the widget as its argument (it must not hold the widget itself, or the
    widget would never be freed). A widget may have several (each screen its own).
    """
    _restylers.setdefault(widget, []).append(restyle)
    restyle(widget)
    follow_system()


# From the application's font and palette, not the parent's: when they change, the widgets
# below take the new ones only as Qt's posted events arrive, after the follower has run.


def _apply_heading(label: QWidget, scale: float) -> None:
    base = QFont(QApplication.font(label))
    base.setBold(True)
    base.setPointSizeF(base.pointSizeF() * scale)
    label.setFont(base)


def _apply_muted(label: QWidget) -> None:
    """The placeholder colour, made darker or lighter where it would read below WCAG AA on
    the window's colour (dark palettes' placeholders are often too faint: "None yet.")."""
    palette = QPalette(QApplication.palette(label))
    colour = with_contrast(
        palette.color(QPalette.ColorRole.PlaceholderText),
        palette.color(QPalette.ColorRole.Window),
        TEXT_CONTRAST,
    )
    palette.setColor(QPalette.ColorRole.WindowText, colour)
    label.setPalette(palette)


class _Follower(QObject):
    """Applies the styles above again after the application's font or palette changed."""

    def __init__(self, app: QApplication) -> None:
        super().__init__(app)
        self._pending = False
        app.fontChanged.connect(self._soon)
        app.paletteChanged.connect(self._soon)

    def _soon(self, *_args: object) -> None:
        if not self._pending:  # one pass for a font and a palette changed together
            self._pending = True
            QTimer.singleShot(0, self, self.restyle)

    def restyle(self) -> None:
        self._pending = False
        for widget in QApplication.allWidgets():
            scale = widget.property(HEADING_SCALE)
            if isinstance(scale, (int, float)):
                _apply_heading(widget, float(scale))
            if widget.property(MUTED):
                _apply_muted(widget)
        for widget, restylers in list(_restylers.items()):
            if isValid(widget):
                for restyle in restylers:
                    restyle(widget)
            else:  # its window was closed and deleted; Python still held the wrapper
                _restylers.pop(widget, None)


def _set_style_sheet(widget: QWidget, sheet: str) -> None:
    widget.setStyleSheet("")  # the same sheet again would not be looked at again
    widget.setStyleSheet(sheet)


def follow_system() -> None:
    """Make sure this application's follower exists (once; cheap after the first call)."""
    app = QApplication.instance()
    if isinstance(app, QApplication) and app.property("rv_follower") is None:
        app.setProperty("rv_follower", True)
        _followers.append(_Follower(app))  # held: its slots live as long as the app


def is_dark(widget: QWidget) -> bool:
    """Whether the palette in use is dark (the application's: see the note above)."""
    palette = QApplication.palette(widget)
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def tone(widget: QWidget, light: str, dark: str) -> str:
    """The colour that reads well on the current palette."""
    return dark if is_dark(widget) else light


def clear_layout(layout: QLayout) -> None:
    """Remove and delete everything in ``layout`` (nested layouts too)."""
    while layout.count():
        item = layout.takeAt(0)
        if item is None:
            break
        widget = item.widget()
        inner = item.layout()
        if widget is not None:
            widget.setParent(None)
            widget.deleteLater()
        elif inner is not None:
            clear_layout(inner)


class Card(QFrame):
    """A framed block whose title reads as a heading, with a coloured edge on the left."""

    def __init__(self, title: str, accent: str, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("card")
        self.setAccessibleName(title)
        sheet = (
            f"QFrame#card {{ border: 1px solid palette(mid); border-left: 4px solid {accent};"
            " border-radius: 4px; background: palette(base); }"
        )
        # Set again after a font or palette change: Qt resolves ``palette(...)`` and the
        # fonts under a style sheet once, when it is set.
        restyle_on_change(self, partial(_set_style_sheet, sheet=sheet))
        self.layout_ = QVBoxLayout(self)
        self.heading = QLabel(title, self)
        self.heading.setWordWrap(True)  # a long component name never widens the page
        heading(self.heading, 1.05)
        self.layout_.addWidget(self.heading)

    def title(self) -> str:
        return self.heading.text()

    def setTitle(self, title: str) -> None:
        self.heading.setText(title)
