"""A list row of two lines: a bold first line over a muted second one, in palette colours.

The model's display text is "first\\nsecond"; the accessible text stays whatever the model says.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QPainter, QPalette
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

PADDING = 8


class TwoLineDelegate(QStyledItemDelegate):
    """Paints "first\\nsecond" display text as a bold line over a muted, elided one."""

    def sizeHint(
        self, option: QStyleOptionViewItem, _index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        return QSize(option.rect.width(), option.fontMetrics.lineSpacing() * 2 + 2 * PADDING)

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        first, _, second = str(index.data(Qt.ItemDataRole.DisplayRole) or "").partition("\n")
        opt.text = ""
        widget = opt.widget
        if widget is not None:
            widget.style().drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        rect = opt.rect.adjusted(PADDING + 4, PADDING, -PADDING, -PADDING)
        if not opt.icon.isNull():  # the style drew it at the left: the text goes beside it
            rect.setLeft(rect.left() + opt.decorationSize.width() + PADDING)
        line = opt.fontMetrics.lineSpacing()
        text_role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        muted_role = text_role if selected else QPalette.ColorRole.PlaceholderText
        painter.save()
        bold = opt.font
        bold.setBold(True)
        painter.setFont(bold)
        painter.setPen(opt.palette.color(text_role))
        width = rect.width()
        painter.drawText(
            QRect(rect.left(), rect.top(), width, line),
            Qt.AlignmentFlag.AlignLeft,
            painter.fontMetrics().elidedText(first, Qt.TextElideMode.ElideRight, width),
        )
        bold.setBold(False)
        painter.setFont(bold)
        painter.setPen(opt.palette.color(muted_role))
        painter.drawText(
            QRect(rect.left(), rect.top() + line, width, line),
            Qt.AlignmentFlag.AlignLeft,
            painter.fontMetrics().elidedText(second, Qt.TextElideMode.ElideRight, width),
        )
        painter.restore()
