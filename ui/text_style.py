"""Small helpers for a calm, readable look that follows the system font size and palette."""

from __future__ import annotations

from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QFrame, QLabel, QLayout, QVBoxLayout, QWidget


def heading(label: QLabel, scale: float = 1.2) -> None:
    """Bold, and ``scale`` times the system font (never a fixed point size)."""
    font = label.font()
    font.setBold(True)
    font.setPointSizeF(font.pointSizeF() * scale)
    label.setFont(font)


def muted(label: QLabel) -> None:
    """Secondary text: the palette's placeholder colour, readable in light and dark themes."""
    palette = label.palette()
    colour = palette.color(QPalette.ColorRole.PlaceholderText)
    palette.setColor(QPalette.ColorRole.WindowText, colour)
    label.setPalette(palette)


def is_dark(widget: QWidget) -> bool:
    return widget.palette().color(QPalette.ColorRole.Window).lightness() < 128


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
        self.setStyleSheet(
            f"QFrame#card {{ border: 1px solid palette(mid); border-left: 4px solid {accent};"
            " border-radius: 4px; background: palette(base); }"
        )
        self.layout_ = QVBoxLayout(self)
        self.heading = QLabel(title, self)
        self.heading.setWordWrap(True)  # a long component name never widens the page
        heading(self.heading, 1.05)
        self.layout_.addWidget(self.heading)

    def title(self) -> str:
        return self.heading.text()

    def setTitle(self, title: str) -> None:
        self.heading.setText(title)
