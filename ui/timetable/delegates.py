"""How a session is drawn: a "Now" pill by its time, and, in a narrow panel, its title with
where and which sub-team underneath in smaller, quieter type."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6 import QtWidgets
from PySide6.QtCore import QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import QApplication, QStyledItemDelegate, QTableView

if TYPE_CHECKING:
    from PySide6.QtWidgets import QStyleOptionViewItem

# QStyle and QStyleOptionViewItem are reached through the module when rows are drawn: naming
# them at import makes PySide build their types (5 ms) before the window's first paint.

from ui.timetable.models import NOW_ROLE, Index

NOW_BADGE = "Now"
NOW_GREEN = "#0b6e3d"
PAD = 4
WRAP = Qt.TextFlag.TextWordWrap | Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop


def pill_font(font: QFont) -> QFont:
    """The "Now" pill's type: bold, a little smaller than the cell's."""
    small = QFont(font)
    small.setBold(True)
    small.setPointSizeF(max(7.0, font.pointSizeF() * 0.85))
    return small


def pill_width(font: QFont) -> int:
    """The pill's width with its padding, at the cell's ``font`` (larger text, wider pill)."""
    metrics = QFontMetrics(pill_font(font))
    return metrics.horizontalAdvance(NOW_BADGE) + metrics.height()


class TimeDelegate(QStyledItemDelegate):
    """The session's time, with a green "Now" pill after it while it is happening."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        super().paint(painter, option, index)  # (the column is as wide as time and pill)
        if not index.data(NOW_ROLE):
            return
        painter.save()
        painter.setFont(pill_font(option.font))
        metrics = painter.fontMetrics()
        width = pill_width(option.font)
        height = metrics.height() + 2
        rect: QRect = option.rect
        pill = QRectF(rect.right() - width - PAD, rect.center().y() - height / 2, width, height)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(NOW_GREEN))
        painter.drawRoundedRect(pill, height / 2, height / 2)
        painter.setPen(QColor("white"))
        painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, NOW_BADGE)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        size = super().sizeHint(option, index)
        if index.data(NOW_ROLE):
            size.setWidth(size.width() + pill_width(option.font) + 3 * PAD)  # a gap, pill, edge
        return size


class SessionDelegate(QStyledItemDelegate):
    """In a narrow panel, the session cell holds "title" then "where · sub-team" below it."""

    def __init__(self, view: QTableView) -> None:
        super().__init__(view)
        self._view = view

    def _compact(self, index: Index) -> bool:
        return bool(getattr(index.model(), "compact", False))

    def _option(self, option: QStyleOptionViewItem, index: Index) -> QStyleOptionViewItem:
        opt = QtWidgets.QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        return opt

    @staticmethod
    def _small(font: QFont) -> QFont:
        small = QFont(font)
        small.setBold(False)
        small.setPointSizeF(max(7.0, font.pointSizeF() * 0.9))
        return small

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        if not self._compact(index):
            super().paint(painter, option, index)
            return
        opt: Any = self._option(option, index)
        title, _, rest = str(index.data() or "").partition("\n")  # opt.text has U+2028 for \n
        opt.text = ""
        style = opt.widget.style() if opt.widget is not None else QApplication.style()
        style.drawControl(QtWidgets.QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        selected = bool(opt.state & QtWidgets.QStyle.StateFlag.State_Selected)
        text_role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        quiet_role = text_role if selected else QPalette.ColorRole.PlaceholderText
        rect = QRect(opt.rect).adjusted(PAD, PAD, -PAD, -PAD)
        painter.save()
        painter.setFont(opt.font)
        painter.setPen(opt.palette.color(text_role))
        used = painter.boundingRect(rect, WRAP, title)
        painter.drawText(rect, WRAP, title)
        painter.setFont(self._small(opt.font))
        painter.setPen(opt.palette.color(quiet_role))
        painter.drawText(rect.adjusted(0, used.height() + 2, 0, 0), WRAP, rest)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        if not self._compact(index):
            return super().sizeHint(option, index)
        opt: Any = self._option(option, index)
        title, _, rest = str(index.data() or "").partition("\n")
        width = max(80, self._view.columnWidth(index.column()) - 2 * PAD)
        box = QRect(0, 0, width, 10_000)
        high = QFontMetrics(opt.font).boundingRect(box, WRAP, title).height()
        low = QFontMetrics(self._small(opt.font)).boundingRect(box, WRAP, rest).height()
        return QSize(width, high + low + 6 + 2 * PAD)
