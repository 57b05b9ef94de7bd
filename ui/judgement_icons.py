"""Icons for a judgement (and a kit document), drawn as vectors at every size so they are sharp
on any screen. Drawn here rather than taken from the style: asking Qt's style for a standard
icon costs several milliseconds of start-up."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache, partial

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPainter, QPainterPath, QPen, QPixmap

from reviewer_app.visit.model import MET, NOT_APPLICABLE, NOT_ASSESSED, NOT_MET

COLOURS = {MET: "#1b7a3a", NOT_MET: "#c0392b", NOT_APPLICABLE: "#6b7280", NOT_ASSESSED: "#8a94a6"}


def _paint(value: str, p: QPainter, size: float) -> None:
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    colour = QColor(COLOURS[value])
    m = size * 0.1
    box = QRectF(m, m, size - 2 * m, size - 2 * m)
    if value == NOT_ASSESSED:
        p.setPen(QPen(colour, max(1.0, size / 12)))
        p.drawEllipse(box.adjusted(size * 0.06, size * 0.06, -size * 0.06, -size * 0.06))
        return
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(colour)
    p.drawEllipse(box)
    pen = QPen(QColor("white"), size / 8)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    p.setPen(pen)
    p.setBrush(Qt.BrushStyle.NoBrush)
    s = size
    if value == MET:
        path = QPainterPath(QPointF(s * 0.3, s * 0.52))
        path.lineTo(s * 0.44, s * 0.66)
        path.lineTo(s * 0.71, s * 0.36)
        p.drawPath(path)
    elif value == NOT_MET:
        p.drawLine(QPointF(s * 0.35, s * 0.35), QPointF(s * 0.65, s * 0.65))
        p.drawLine(QPointF(s * 0.65, s * 0.35), QPointF(s * 0.35, s * 0.65))
    else:
        p.drawLine(QPointF(s * 0.32, s * 0.5), QPointF(s * 0.68, s * 0.5))


def _paint_document(p: QPainter, size: float) -> None:
    """A page with its corner folded, in the text colour's grey."""
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    s = size
    fold = s * 0.25
    left, top, right, bottom = s * 0.2, s * 0.1, s * 0.8, s * 0.9
    page = QPainterPath(QPointF(left, top))
    page.lineTo(right - fold, top)
    page.lineTo(right, top + fold)
    page.lineTo(right, bottom)
    page.lineTo(left, bottom)
    page.closeSubpath()
    pen = QPen(QColor("#5f6b7a"), max(1.0, s / 14))
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    p.setPen(pen)
    p.setBrush(QColor("#ffffff"))
    p.drawPath(page)
    corner = QPainterPath(QPointF(right - fold, top))
    corner.lineTo(right - fold, top + fold)
    corner.lineTo(right, top + fold)
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawPath(corner)
    for i in range(3):  # lines of text
        y = top + fold + s * (0.14 + 0.14 * i)
        p.drawLine(QPointF(left + s * 0.1, y), QPointF(right - s * 0.1, y))


def _ratios() -> tuple[float, ...]:
    """The screens' pixel ratios (1.0 always: a window may move to a plain screen)."""
    screens = QGuiApplication.screens()
    return tuple(sorted({1.0, *(s.devicePixelRatio() for s in screens)}))


def _icon(paint: Callable[[QPainter, float], None]) -> QIcon:
    """Drawn at the sizes rows, radio buttons and buttons use, for the screens there are (Qt
    scales to any other): ten sizes for every icon were 20 ms of opening a visit."""
    icon = QIcon()
    for size in (16, 20, 24, 32):
        for ratio in _ratios():
            pixmap = QPixmap(int(size * ratio), int(size * ratio))
            pixmap.setDevicePixelRatio(ratio)
            pixmap.fill(Qt.GlobalColor.transparent)
            painter = QPainter(pixmap)
            paint(painter, size)
            painter.end()
            icon.addPixmap(pixmap)
    return icon


@cache
def judgement_icon(value: str) -> QIcon:
    """An icon for a judgement: green tick, red cross, grey dash, or an empty circle."""
    return _icon(partial(_paint, value))


def choice_icon(value: str) -> QIcon:
    """The icon beside a judgement's radio button: none for "Not yet assessed", whose empty
    circle beside the radio's own looked like a second radio button."""
    return QIcon() if value == NOT_ASSESSED else judgement_icon(value)


@cache
def document_icon() -> QIcon:
    """An icon for a kit document (a page with a folded corner)."""
    return _icon(_paint_document)
