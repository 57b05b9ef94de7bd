"""Icons for a judgement, drawn as vectors at every size so they are sharp on any screen."""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap

from reviewer_app.visit_model import MET, NOT_APPLICABLE, NOT_ASSESSED, NOT_MET

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


@cache
def judgement_icon(value: str) -> QIcon:
    """An icon for a judgement: green tick, red cross, grey dash, or an empty circle."""
    icon = QIcon()
    for size in (16, 20, 24, 32, 48):
        for ratio in (1.0, 2.0):
            pixmap = QPixmap(int(size * ratio), int(size * ratio))
            pixmap.setDevicePixelRatio(ratio)
            pixmap.fill(Qt.GlobalColor.transparent)
            painter = QPainter(pixmap)
            _paint(value, painter, size)
            painter.end()
            icon.addPixmap(pixmap)
    return icon
